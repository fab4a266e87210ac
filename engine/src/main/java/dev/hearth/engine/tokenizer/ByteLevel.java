package dev.hearth.engine.tokenizer;

/**
 * GPT-2's reversible byte-to-character map: printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ')
 * stand for themselves, the other 68 bytes are mapped in order to U+0100.. so every byte becomes
 * one visible character (space becomes 'Ġ', newline 'Ċ').
 */
final class ByteLevel {
    private ByteLevel() {}

    /** byte (0..255) -> the character that represents it. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** character (below 0x200) -> the byte it represents, or -1. */
    private static final short[] CHAR_TO_BYTE = new short[0x200];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    /** The byte a character stands for, or -1 when it is not one of the 256 byte characters. */
    static int charToByte(int cp) {
        return cp >= 0 && cp < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[cp] : -1;
    }

    /** UTF-8 bytes -> their byte-level string. */
    static String encode(byte[] utf8, int from, int to) {
        char[] out = new char[to - from];
        for (int i = from; i < to; i++) out[i - from] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        return new String(out);
    }
}
