package dev.hearth.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
}
