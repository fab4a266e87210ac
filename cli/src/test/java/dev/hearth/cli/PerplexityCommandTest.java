package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.engine.Model;
import dev.hearth.engine.bench.Perplexity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerplexityCommandTest {
    @TempDir static Path dir;
    static Path model, text;

    @BeforeAll
    static void files() throws Exception {
        model = TinyModelFile.write(dir.resolve("tiny.gguf"));
        var sb = new StringBuilder();
        for (int i = 0; i < 60; i++) sb.append("the heart sat in the shade and the rain ran on. ");
        text = Files.writeString(dir.resolve("text.txt"), sb.toString());
    }

    @Test
    void printsRunningFiguresAndTheFinalEstimateOfTheEngine() throws Exception {
        var r = CliRun.run("perplexity", "-m", model.toString(), "-f", text.toString(), "-c", "64", "-t", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("perplexity: calculating perplexity over").contains("n_ctx=64");
        assertThat(r.out()).startsWith("[1]").contains(",[2]");
        var m = Pattern.compile("Final estimate: PPL = (\\d+\\.\\d{4}) \\+/- (\\d+\\.\\d{5})").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();

        try (Model loaded = Model.load(model, new Model.Options(64, 2, null))) {
            int[] tokens = loaded.tokenizer().encode(Files.readString(text), true, false);
            var expected = Perplexity.compute(loaded.transformer(), tokens, 64, 1, 0, null);
            assertThat(m.group(1)).isEqualTo(String.format(Locale.ROOT, "%.4f", expected.ppl()));
            assertThat(m.group(2)).isEqualTo(String.format(Locale.ROOT, "%.5f", expected.error()));
            assertThat(r.out()).contains("[" + expected.chunks() + "]");
        }

        var two = CliRun.run("perplexity", "-m", model.toString(), "-f", text.toString(), "-c", "64", "--chunks", "2");
        assertThat(two.code()).as(two.err()).isZero();
        assertThat(two.out()).contains("[2]").doesNotContain("[3]");
    }

    @Test
    void badInputExitsTwo() throws Exception {
        var shortText = Files.writeString(dir.resolve("short.txt"), "the rain");
        CostCommandTest.expectBad("needs at least 512", "perplexity", "-m", model.toString(), "-f", shortText.toString());
        CostCommandTest.expectBad("cannot read -f", "perplexity", "-m", model.toString(), "-f", dir.resolve("none.txt").toString());
        CostCommandTest.expectBad("-c must be at least 4", "perplexity", "-m", model.toString(), "-f", text.toString(), "-c", "2");
        CostCommandTest.expectBad("model file not found", "perplexity", "-m", dir.resolve("none.gguf").toString(), "-f", text.toString());
        var r = CliRun.run("perplexity", "-m", model.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--file");
    }
}
