package dev.hearth.engine;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Locates the team's shared folder ({@code ../shared}: models, reference outputs, tokenizer vectors).
 * Looks at {@code -Dhearth.shared}, {@code $HEARTH_SHARED}, then a {@code shared/} folder beside any
 * ancestor of the working directory. Tests that need it skip, with the reason printed, when it is absent.
 */
public final class SharedFiles {
    private SharedFiles() {}

    public static Optional<Path> root() {
        for (String s : new String[] {System.getProperty("hearth.shared"), System.getenv("HEARTH_SHARED")}) {
            if (s != null && Files.isDirectory(Path.of(s))) return Optional.of(Path.of(s));
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared");
            if (Files.isDirectory(candidate.resolve("models")) || Files.isDirectory(candidate.resolve("reference"))) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The shared file, or skips the calling test with a printed reason when it is not there. */
    public static Path require(String relative) {
        Optional<Path> root = root();
        Path p = root.map(r -> r.resolve(relative)).orElse(null);
        boolean present = p != null && Files.exists(p);
        if (!present) {
            String why = "SKIPPED: shared file '" + relative + "' not found (looked for ../shared beside the checkout, "
                    + "-Dhearth.shared and $HEARTH_SHARED)";
            System.out.println(why);
            assumeTrue(false, why);
        }
        return p;
    }
}
