package dev.hearth.planner;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Locates the team's shared model folder ({@code shared/models}) for planner tests, without depending on
 * the engine's test sources: {@code -Dhearth.shared}, {@code $HEARTH_SHARED}, then a {@code shared/}
 * folder beside any ancestor of the working directory. Tests skip, printing why, when it is absent.
 */
public final class SharedModels {
    private SharedModels() {}

    public static Optional<Path> root() {
        for (String s : new String[] {System.getProperty("hearth.shared"), System.getenv("HEARTH_SHARED")}) {
            if (s != null && Files.isDirectory(Path.of(s))) return Optional.of(Path.of(s));
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared");
            if (Files.isDirectory(candidate.resolve("models"))) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    /** {@code shared/models/NAME}, or skips the calling test with a printed reason. */
    public static Path require(String name) {
        Path p = root().map(r -> r.resolve("models").resolve(name)).orElse(null);
        if (p == null || !Files.isRegularFile(p)) {
            String why = "SKIPPED: shared model '" + name + "' not found (looked for shared/models beside an ancestor of "
                    + Path.of("").toAbsolutePath() + ", -Dhearth.shared and $HEARTH_SHARED)";
            System.out.println(why);
            assumeTrue(false, why);
        }
        return p;
    }
}
