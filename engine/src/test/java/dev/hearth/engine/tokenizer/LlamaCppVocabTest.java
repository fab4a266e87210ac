package dev.hearth.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.engine.SharedFiles;
import dev.hearth.engine.gguf.GgufFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * llama.cpp's own tokenizer test vectors (tests/test-tokenizer-0 with models/ggml-vocab-*.gguf):
 * every string of every .inp file must tokenize (no BOS, no special parsing) to exactly the ids of
 * the matching .out line.
 */
class LlamaCppVocabTest {
    static final List<String> VOCABS = List.of("llama-spm", "phi-3", "gpt-2", "deepseek-llm", "deepseek-coder", "falcon", "starcoder");
    static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    record Case(String input, int[] expected) {}

    static List<Case> readCases(Path gguf) throws IOException {
        String inp = Files.readString(Path.of(gguf + ".inp"), StandardCharsets.UTF_8);
        List<String> out = Files.readAllLines(Path.of(gguf + ".out"), StandardCharsets.UTF_8);
        var inputs = new ArrayList<String>();
        int pos = 0;
        while (pos < inp.length()) {
            int next = inp.indexOf(SEPARATOR, pos);
            if (next < 0) {
                inputs.add(inp.substring(pos));
                break;
            }
            inputs.add(inp.substring(pos, next));
            pos = next + SEPARATOR.length();
        }
        assertThat(inputs).as("strings in %s.inp vs lines in .out", gguf).hasSameSizeAs(out);
        var cases = new ArrayList<Case>();
        for (int i = 0; i < inputs.size(); i++) {
            String line = out.get(i).strip();
            int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
            cases.add(new Case(inputs.get(i), ids));
        }
        return cases;
    }

    @TestFactory
    Stream<DynamicNode> vocabularies() {
        return VOCABS.stream().map(name -> {
            Path gguf = SharedFiles.require("reference/tokenizer/ggml-vocab-" + name + ".gguf");
            List<Case> cases;
            Tokenizer tok;
            try (GgufFile f = GgufFile.open(gguf)) {
                cases = readCases(gguf);
                tok = Tokenizer.fromGguf(f);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            var tests = new ArrayList<DynamicTest>();
            for (int i = 0; i < cases.size(); i++) {
                Case c = cases.get(i);
                tests.add(DynamicTest.dynamicTest("#" + i + " " + visible(c.input()), () -> {
                    int[] got = tok.encode(c.input(), false, false);
                    assertThat(got).as("%s: %s%n expected %s%n got      %s", name, visible(c.input()),
                            describe(tok, c.expected()), describe(tok, got)).containsExactly(c.expected());
                }));
                tests.add(DynamicTest.dynamicTest("#" + i + " round trip " + visible(c.input()), () ->
                        assertThat(tok.decode(tok.encode(c.input(), true, false), false)).isEqualTo(c.input())));
            }
            return DynamicContainer.dynamicContainer(name, tests);
        });
    }

    static String visible(String s) {
        String v = s.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        return "'" + (v.length() > 60 ? v.substring(0, 60) + "…" : v) + "'";
    }

    static String describe(Tokenizer tok, int[] ids) {
        var sb = new StringBuilder("[");
        for (int id : ids) {
            if (sb.length() > 1) sb.append(", ");
            sb.append(id);
            if (id >= 0 && id < tok.vocabSize()) sb.append(" '").append(tok.tokenText(id)).append('\'');
        }
        return sb.append(']').toString();
    }
}
