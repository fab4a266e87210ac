package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.engine.SharedFiles;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code hearth chat} driven through stdin: turns, KV reuse across turns, /reset, /exit. */
class ChatCommandTest {

    @Test
    void multiTurnChatReusesTheCacheAndResets() {
        Path model = SharedFiles.require("models/brown-llama-spm-q8_0.gguf");
        String input = "Tell me about the city.\nAnd the river?\n/reset\nHello there.\n/exit\n";
        InputStream saved = System.in;
        try {
            System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            var r = CliRun.run("chat", "-m", model.toString(), "-n", "12", "--temp", "0");
            assertThat(r.code()).as(r.err()).isZero();
            // Three replies, each reported; the second turn reuses the first turn's tokens.
            var stats = r.err().lines().filter(l -> l.contains("new prompt tokens")).toList();
            assertThat(stats).hasSize(3);
            assertThat(stats.get(0)).contains(" 0 reused");
            assertThat(stats.get(1)).doesNotContain(" 0 reused");
            assertThat(stats.get(2)).contains(" 0 reused"); // after /reset
            assertThat(r.err()).contains("(conversation cleared)");
            assertThat(r.out().strip()).isNotEmpty();
        } finally {
            System.setIn(saved);
        }
    }
}
