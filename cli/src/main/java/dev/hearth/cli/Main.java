package dev.hearth.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code hearth} command: subcommands for running, serving, benchmarking and planning. */
@Command(name = "hearth", mixinStandardHelpOptions = true, version = "hearth 0.1.0",
        description = "Local LLM inference: run GGUF models, serve them over OpenAI/Ollama APIs, plan cost and hardware.",
        subcommands = {RunCommand.class, ChatCommand.class, ServeCommand.class, LoadtestCommand.class, InspectCommand.class,
                BenchCommand.class, PerplexityCommand.class, CostCommand.class, PlanCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** Bad input (arguments, model files, templates, too-long prompts) rather than a failure while running. */
    static boolean isUserError(Throwable ex) {
        return ex instanceof IllegalArgumentException
                || ex instanceof dev.hearth.engine.gguf.GgufException
                || ex instanceof dev.hearth.engine.model.ContextOverflowException
                || ex instanceof dev.hearth.engine.chat.ChatTemplateException;
    }

    /** Exit code 2 for usage errors and bad input, 1 for failures while running. */
    static CommandLine commandLine() {
        var cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("hearth: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (System.getenv("HEARTH_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return isUserError(ex) ? 2 : 1;
        });
        return cl;
    }
}
