package dev.hearth.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Rules for the engine's Vector API code that no output test can see, because breaking them only makes some JVM
 * processes slow (docs/kernels.md, "Slow decode after a prefill is boxing").
 */
class VectorSourceTest {
    /**
     * {@code convert(conv, part)} looks its result species up at run time; where C2 leaves that look-up out of line
     * the conversion is not intrinsified and the vectors around it are boxed. Conversions name their species
     * ({@code convertShape(conv, species, part)}).
     */
    @Test
    void conversionsNameTheirResultSpecies() throws IOException {
        Path sources = Path.of("src/main/java/dev/hearth/engine");
        assertThat(sources).as("run from the engine module").isDirectory();
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).contains(".convert(VectorOperators.")) found.add(f.getFileName() + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        assertThat(found).as("use convertShape(conversion, species, part) instead").isEmpty();
    }

    /**
     * The decode kernels written for C2's late inlining (Q4_0, Q8_0 and the K-quants' sub-block layouts; docs/kernels.md,
     * "Decode kernels written for C2's late inlining") call only operations their vector classes override: the convenience forms ({@code and}, {@code mul},
     * {@code add}, {@code fma}, {@code reinterpretAs...}, a lane-wise operation with a scalar) call on through type
     * profiles that every caller in the process shares, and brought back the boxing that the form removed.
     */
    @Test
    void lateInliningKernelsUseOnlyOverriddenOperations() throws IOException {
        String source = Files.readString(Path.of("src/main/java/dev/hearth/engine/kernel/Q8Kernels.java"));
        List<String> found = new ArrayList<>();
        for (String kernel : List.of("q4_0Quads", "q8_0GroupRows", "q8_0ShortRows", "q8_0SliceRows", "q4_KSplitRows", "q4_KSliceRows", "q5_KSliceRows", "q5_KSplitRows", "q6_KSplitRows", "q2_KRows", "q2_KShortRows", "q3_KShortRows")) {
            String body = methodBody(source, kernel);
            for (String form : List.of(".and(", ".or(", ".mul(", ".add(", ".sub(", ".fma(", ".reinterpretAs")) {
                if (body.contains(form)) found.add(kernel + ": " + form);
            }
            // a lane-wise operation whose second argument is a number: lanewise(OP, 4)
            if (Pattern.compile("\\.lanewise\\([\\w.]+, -?[0-9]").matcher(body).find()) found.add(kernel + ": lanewise(op, scalar)");
        }
        assertThat(found).as("use lanewise(op, vector) with constants as vectors (see q4_0Quads' Javadoc)").isEmpty();
    }

    /** The text of method {@code name}'s body in {@code source}: from its declaration's brace to the matching one. */
    private static String methodBody(String source, String name) {
        int at = source.indexOf("static void " + name + "(");
        assertThat(at).as("method " + name).isNotNegative();
        int open = source.indexOf('{', at), depth = 0;
        for (int i = open; i < source.length(); i++) {
            char c = source.charAt(i);
            if (c == '{') depth++;
            else if (c == '}' && --depth == 0) return source.substring(open, i + 1);
        }
        throw new AssertionError("unbalanced braces in " + name);
    }
}
