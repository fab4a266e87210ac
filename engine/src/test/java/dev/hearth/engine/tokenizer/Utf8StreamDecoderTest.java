package dev.hearth.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Utf8StreamDecoderTest {
    private static byte[] b(int... v) {
        byte[] a = new byte[v.length];
        for (int i = 0; i < v.length; i++) a[i] = (byte) v[i];
        return a;
    }

    @Test
    void emojiSplitAcrossTokensComesOutWhole() {
        byte[] rocket = "🚀".getBytes(StandardCharsets.UTF_8); // F0 9F 9A 80
        var d = new Utf8StreamDecoder();
        assertThat(d.feed("go ".getBytes(StandardCharsets.UTF_8))).isEqualTo("go ");
        assertThat(d.feed(Arrays.copyOfRange(rocket, 0, 1))).isEmpty();
        assertThat(d.feed(Arrays.copyOfRange(rocket, 1, 3))).isEmpty();
        assertThat(d.feed(new byte[] {rocket[3], '!'})).isEqualTo("🚀!");
        assertThat(d.flush()).isEmpty();
    }

    @Test
    void everySplitOfMixedTextReassemblesExactly() {
        String text = "añ€𝄞 你好 😶‍🌫️ ok";
        byte[] all = text.getBytes(StandardCharsets.UTF_8);
        for (int cut1 = 0; cut1 <= all.length; cut1++) {
            for (int cut2 = cut1; cut2 <= all.length; cut2++) {
                var d = new Utf8StreamDecoder();
                var sb = new StringBuilder();
                for (byte[] part : new byte[][] {Arrays.copyOfRange(all, 0, cut1), Arrays.copyOfRange(all, cut1, cut2),
                        Arrays.copyOfRange(all, cut2, all.length)}) {
                    String s = d.feed(part);
                    assertThat(s).doesNotContain("\uFFFD");
                    // Never half a character: no unpaired surrogate at the end of a chunk.
                    if (!s.isEmpty()) assertThat(Character.isHighSurrogate(s.charAt(s.length() - 1))).isFalse();
                    sb.append(s);
                }
                sb.append(d.flush());
                assertThat(sb.toString()).isEqualTo(text);
            }
        }
    }

    @Test
    void incompleteTailIsReplacedOnFlush() {
        var d = new Utf8StreamDecoder();
        assertThat(d.feed(b('a', 0xE4, 0xBD))).isEqualTo("a");
        assertThat(d.flush()).isEqualTo("\uFFFD");
        assertThat(d.feed(b('b'))).isEqualTo("b"); // flush reset the state
    }

    @Test
    void invalidBytesAreReplacedWithoutWaiting() {
        var d = new Utf8StreamDecoder();
        assertThat(d.feed(b(0xBD))).isEqualTo("\uFFFD");           // lone continuation byte
        assertThat(d.feed(b(0xE0, 0x80))).isEqualTo("\uFFFD\uFFFD"); // overlong start cannot complete
        assertThat(d.feed(b(0xC3, 'x'))).isEqualTo("\uFFFDx");     // lead byte followed by ASCII
        assertThat(d.feed(b(0xFF))).isEqualTo("\uFFFD");
        assertThat(d.flush()).isEmpty();
    }
}
