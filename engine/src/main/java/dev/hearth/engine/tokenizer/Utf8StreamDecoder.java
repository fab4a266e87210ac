package dev.hearth.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Streaming UTF-8 decoder: feed token bytes, get back only complete characters; flush() at the end
 * returns the rest (replacement char for an incomplete tail). Never emits half a character: a
 * character whose bytes span several tokens (emoji, CJK from byte-fallback tokens) comes out whole
 * once its last byte arrives. Invalid bytes become U+FFFD. Not thread-safe; one per stream.
 */
public final class Utf8StreamDecoder {
    private byte[] pending = new byte[0];

    /** Adds bytes and returns the characters they complete (possibly ""). */
    public String feed(byte[] bytes) {
        byte[] all;
        if (pending.length == 0) {
            all = bytes;
        } else {
            all = Arrays.copyOf(pending, pending.length + bytes.length);
            System.arraycopy(bytes, 0, all, pending.length, bytes.length);
        }
        int keep = incompleteTail(all);
        pending = keep == 0 ? new byte[0] : Arrays.copyOfRange(all, all.length - keep, all.length);
        return new String(all, 0, all.length - keep, StandardCharsets.UTF_8);
    }

    /** Returns whatever is left (an incomplete character becomes U+FFFD) and resets the decoder. */
    public String flush() {
        String s = new String(pending, StandardCharsets.UTF_8);
        pending = new byte[0];
        return s;
    }

    /**
     * How many bytes at the end form the start of a character that is still valid so far but not
     * complete: a lead byte followed by fewer continuation bytes than it announces.
     */
    static int incompleteTail(byte[] b) {
        int n = b.length;
        // A character is at most 4 bytes, so its lead byte is within the last 3.
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) continue; // continuation byte: look further back
            int need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? (c <= 0xEF ? 3 : 0) : c >= 0xC2 ? 2 : 0;
            if (need == 0 || back >= need) return 0; // ASCII, invalid lead, or complete
            if (back >= 2 && !validSecond(c, b[n - back + 1] & 0xFF)) return 0; // already invalid: let the decoder replace it
            return back;
        }
        return 0;
    }

    /** The second byte's range for leads with a restricted one (no overlongs, surrogates or > U+10FFFF). */
    private static boolean validSecond(int lead, int second) {
        return switch (lead) {
            case 0xE0 -> second >= 0xA0 && second <= 0xBF;
            case 0xED -> second >= 0x80 && second <= 0x9F;
            case 0xF0 -> second >= 0x90 && second <= 0xBF;
            case 0xF4 -> second >= 0x80 && second <= 0x8F;
            default -> (second & 0xC0) == 0x80;
        };
    }
}
