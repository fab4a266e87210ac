package dev.hearth.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/** What both tokenizers share: special-token partitioning, BOS/EOS, token bytes and decoding. */
abstract sealed class BaseTokenizer implements Tokenizer permits SpmTokenizer, BpeTokenizer {
    private static final byte[] EMPTY = new byte[0];

    final Vocab vocab;
    /** Each token's output bytes as printed with special = true. */
    private final byte[][] pieces;

    BaseTokenizer(Vocab vocab) {
        this.vocab = vocab;
        pieces = new byte[vocab.size()][];
        for (int i = 0; i < pieces.length; i++) {
            int attr = vocab.attrs[i];
            if ((attr & (Vocab.ATTR_UNKNOWN | Vocab.ATTR_CONTROL | Vocab.ATTR_USER_DEFINED)) != 0) {
                pieces[i] = vocab.tokens[i].getBytes(StandardCharsets.UTF_8);
            } else if ((attr & Vocab.ATTR_NORMAL) != 0) {
                pieces[i] = normalPiece(vocab.tokens[i]);
            } else if ((attr & Vocab.ATTR_BYTE) != 0) {
                pieces[i] = bytePiece(vocab.tokens[i]);
            } else {
                pieces[i] = EMPTY; // unused / undefined tokens print nothing
            }
        }
    }

    /** The bytes of a normal token. */
    abstract byte[] normalPiece(String text);

    /** Tokenizes one piece of plain text (no special tokens in it); {@code afterSpecial} is true at the start and after a special token. */
    abstract void encodeText(String text, boolean afterSpecial, IntList out);

    private static byte[] bytePiece(String text) {
        // <0xNN>
        if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
            try {
                return new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)};
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        text = wellFormed(text);
        var out = new IntList(Math.max(16, text.length() / 3));
        if (addSpecial && vocab.addBos) out.add(vocab.bos);
        boolean afterSpecial = true;
        for (Fragment f : partition(text, parseSpecial)) {
            if (f.token >= 0) {
                out.add(f.token);
                afterSpecial = true;
            } else {
                encodeText(text.substring(f.start, f.end), afterSpecial, out);
                afterSpecial = false;
            }
        }
        if (addSpecial && vocab.addEos) out.add(vocab.eos);
        return out.toArray();
    }

    /** A piece of the input: a special token, or the text [start, end). */
    private record Fragment(int token, int start, int end) {}

    /**
     * Cuts the special tokens out of the text, longest token first, as llama.cpp's
     * tokenizer_st_partition does. Control and unknown tokens only when parseSpecial; user-defined always.
     */
    private List<Fragment> partition(String text, boolean parseSpecial) {
        var frags = new ArrayList<Fragment>();
        if (text.isEmpty()) return frags;
        frags.add(new Fragment(-1, 0, text.length()));
        BitSet present = null;
        for (int id : vocab.specialTokens) {
            int attr = vocab.attrs[id];
            if (!parseSpecial && (attr & (Vocab.ATTR_CONTROL | Vocab.ATTR_UNKNOWN)) != 0) continue;
            String st = vocab.tokens[id];
            if (present == null) {
                present = new BitSet(128);
                for (int i = 0; i < text.length(); i++) present.set(text.charAt(i));
            }
            // Cheap filters first: most special tokens do not occur in a given text.
            if (!present.get(st.charAt(0)) || text.indexOf(st) < 0) continue;
            var next = new ArrayList<Fragment>(frags.size() + 4);
            for (Fragment f : frags) {
                if (f.token >= 0) {
                    next.add(f);
                    continue;
                }
                int s = f.start, e = f.end;
                while (s < e) {
                    int m = text.indexOf(st, s);
                    if (m < 0 || m + st.length() > e) {
                        next.add(new Fragment(-1, s, e));
                        break;
                    }
                    int leftEnd = m;
                    if ((attr & Vocab.ATTR_LSTRIP) != 0) while (leftEnd > s && isCSpace(text.charAt(leftEnd - 1))) leftEnd--;
                    if (leftEnd > s) next.add(new Fragment(-1, s, leftEnd));
                    next.add(new Fragment(id, m, m + st.length()));
                    s = m + st.length();
                    if ((attr & Vocab.ATTR_RSTRIP) != 0) while (s < e && isCSpace(text.charAt(s))) s++;
                }
            }
            frags = next;
        }
        return frags;
    }

    /** C's isspace in the "C" locale, which llama.cpp uses to strip around special tokens. */
    private static boolean isCSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    /** Replaces unpaired surrogates (which have no UTF-8 form) with U+FFFD. */
    static String wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
                if (!paired) return fixSurrogates(s);
                i++;
            }
        }
        return s;
    }

    private static String fixSurrogates(String s) {
        var sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else {
                sb.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return sb.toString();
    }

    @Override
    public byte[] tokenBytes(int token, boolean special) {
        checkToken(token);
        if (!special && (vocab.attrs[token] & (Vocab.ATTR_UNKNOWN | Vocab.ATTR_CONTROL)) != 0) return EMPTY;
        byte[] p = pieces[token];
        return p.length == 0 ? EMPTY : p.clone();
    }

    /** Tokens' bytes without copying (callers must not modify them). */
    byte[] piece(int token, boolean special) {
        if (!special && (vocab.attrs[token] & (Vocab.ATTR_UNKNOWN | Vocab.ATTR_CONTROL)) != 0) return EMPTY;
        return pieces[token];
    }

    @Override
    public String decode(int[] tokens, boolean special) {
        var buf = new java.io.ByteArrayOutputStream(tokens.length * 4);
        boolean stripSpace = vocab.addSpacePrefix && this instanceof SpmTokenizer;
        for (int t : tokens) {
            checkToken(t);
            byte[] p = piece(t, special);
            if (stripSpace && (vocab.attrs[t] & (Vocab.ATTR_CONTROL | Vocab.ATTR_UNKNOWN)) == 0 && p.length > 0) {
                // The space prefix encode added to the text belongs to the first text token.
                buf.write(p, p[0] == ' ' ? 1 : 0, p[0] == ' ' ? p.length - 1 : p.length);
                stripSpace = false;
                continue;
            }
            buf.write(p, 0, p.length);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    private void checkToken(int token) {
        if (token < 0 || token >= vocab.size()) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary (0.." + (vocab.size() - 1) + ")");
        }
    }

    @Override public int vocabSize() { return vocab.size(); }

    @Override
    public String tokenText(int token) {
        checkToken(token);
        return vocab.tokens[token];
    }

    @Override public int bos() { return vocab.bos; }

    @Override public int eos() { return vocab.eos; }

    @Override public boolean isEndOfGeneration(int token) { return token >= 0 && vocab.endOfGeneration.get(token); }

    @Override public boolean addBos() { return vocab.addBos; }

    @Override public String modelType() { return vocab.model; }
}
