package dev.hearth.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the hearth command line in-process and captures its exit code, stdout and stderr. */
record CliRun(int code, String out, String err) {
    static CliRun run(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
