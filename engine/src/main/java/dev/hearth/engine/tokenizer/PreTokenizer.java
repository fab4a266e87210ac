package dev.hearth.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words before byte-level BPE, reproducing llama.cpp's {@code unicode_regex_split}:
 * a list of expressions is applied in turn, each splitting every current piece into its matches and
 * the text between them. The two expressions llama.cpp runs through hand-written scanners (GPT-2's
 * and Llama 3's) are scanned here the same way; the others run as Java regexes over the text as
 * llama.cpp's std::regex sees it: for expressions using \p{..}, every code point is first "collapsed"
 * to one character (ASCII stays, other whitespace becomes \v, other code points a marker for their
 * category), and for the others non-ASCII whitespace becomes \v, because C++'s \s is ASCII-only.
 */
final class PreTokenizer {
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    static final String LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String TEKKEN = "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+"
            + "|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*"
            + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String GPT4O = "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+"
            + "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?"
            + "|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*"
            + "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String PORO = " ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{0964}\\x{06D4}\\x{060C})]+";
    /** deepseek-llm's letter expression: the cased-letter (L&) ranges of Unicode, written as escapes. */
    static final String DEEPSEEK_LLM_LETTERS = "\\s?["
            + "\\x{41}-\\x{5A}\\x{61}-\\x{7A}\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}"
            + "\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}"
            + "\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}"
            + "\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}"
            + "\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}"
            + "\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}"
            + "\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}"
            + "\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}"
            + "\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}"
            + "\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}"
            + "\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}"
            + "\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}"
            + "\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}"
            + "\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}"
            + "\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}"
            + "\\x{1E900}-\\x{1E943}"
            + "]+";

    static final String CJK_HANGUL = "[\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+";

    private final String name;
    private final Step[] steps;

    private PreTokenizer(String name, String... expressions) {
        this.name = name;
        steps = new Step[expressions.length];
        for (int i = 0; i < expressions.length; i++) {
            String e = expressions[i];
            Step classRun = ClassRunStep.parse(e);
            steps[i] = e.equals(GPT2) ? PreTokenizer::scanGpt2
                    : e.equals(LLAMA3) ? PreTokenizer::scanLlama3
                    : classRun != null ? classRun
                    : new RegexStep(e);
        }
    }

    String name() { return name; }

    /** Pre-tokenizer names whose models add BOS unless the file says otherwise (llama.cpp sets add_bos for them). */
    static boolean addsBosByDefault(String pre) {
        return switch (pre) {
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "tekken", "chameleon" -> true;
            default -> false;
        };
    }

    /** Names whose vocabularies take a whole word that is in the vocabulary as one token, skipping merges. */
    static boolean ignoresMerges(String pre) {
        return switch (pre) {
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "tekken" -> true;
            default -> false;
        };
    }

    /** The pre-tokenizer for a tokenizer.ggml.pre value, or null when Hearth does not know the name. */
    static PreTokenizer forName(String pre) {
        return switch (pre) {
            case "default" -> new PreTokenizer(pre, "[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]");
            case "gpt-2", "gpt2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de",
                 "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais", "trillion", "exaone4" -> new PreTokenizer(pre, GPT2);
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "dbrx", "smaug-bpe", "chatglm-bpe", "glm4" ->
                    new PreTokenizer(pre, LLAMA3);
            case "qwen2", "deepseek-r1-qwen", "stablelm2", "megrez", "hunyuan" -> new PreTokenizer(pre, QWEN2);
            case "deepseek-llm" -> new PreTokenizer(pre, "[\r\n]", DEEPSEEK_LLM_LETTERS,
                    "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+", "\\s+$", CJK_HANGUL, "\\p{N}+");
            case "deepseek-coder" -> new PreTokenizer(pre, "[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", CJK_HANGUL, "\\p{N}");
            case "deepseek-v3" -> new PreTokenizer(pre, "\\p{N}{1,3}", "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
                    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
                            + "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+");
            case "falcon" -> new PreTokenizer(pre, "[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2, "[0-9][0-9][0-9]");
            case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b" ->
                    new PreTokenizer(pre, "\\p{N}", GPT2);
            case "poro-chat", "bloom", "gpt3-finnish" -> new PreTokenizer(pre, PORO);
            case "viking" -> new PreTokenizer(pre, PORO, "\\p{N}");
            case "tekken" -> new PreTokenizer(pre, TEKKEN);
            case "gpt-4o", "llama4" -> new PreTokenizer(pre, GPT4O);
            default -> null;
        };
    }

    /** Splits text into words (as Unicode strings, before byte-level encoding). */
    List<String> split(String text) {
        int[] cps = text.codePoints().toArray();
        var lengths = new IntList();
        if (cps.length > 0) lengths.add(cps.length);
        var views = new Views(cps);
        for (Step step : steps) {
            var out = new IntList(lengths.size() * 2);
            int off = 0;
            for (int i = 0; i < lengths.size(); i++) {
                int len = lengths.get(i);
                step.split(views, off, off + len, out);
                off += len;
            }
            lengths = out;
        }
        var words = new ArrayList<String>(lengths.size());
        int off = 0;
        for (int i = 0; i < lengths.size(); i++) {
            int len = lengths.get(i);
            words.add(new String(cps, off, len));
            off += len;
        }
        return words;
    }

    /** One splitting expression: appends the lengths (in code points) of the pieces of [from, to). */
    private interface Step {
        void split(Views v, int from, int to, IntList out);
    }

    /** The text as code points plus the two regex-ready forms, built on first use. */
    private static final class Views {
        final int[] cps;
        String collapsed;
        String wide;
        int[] wideCharOf;  // code point index -> char index in wide
        int[] wideCpOf;    // char index in wide -> code point index

        Views(int[] cps) { this.cps = cps; }

        int flags(int pos, int from, int to) {
            return pos >= from && pos < to ? UnicodeFlags.of(cps[pos]) : 0;
        }

        int cp(int pos, int from, int to) {
            return pos >= from && pos < to ? cps[pos] : -1;
        }

        String collapsed() {
            if (collapsed == null) {
                char[] c = new char[cps.length];
                for (int i = 0; i < cps.length; i++) c[i] = collapse(cps[i]);
                collapsed = new String(c);
            }
            return collapsed;
        }

        String wide() {
            if (wide == null) {
                var sb = new StringBuilder(cps.length + 16);
                wideCharOf = new int[cps.length + 1];
                for (int i = 0; i < cps.length; i++) {
                    wideCharOf[i] = sb.length();
                    int cp = cps[i];
                    sb.appendCodePoint(cp > 0x7F && UnicodeFlags.isWhitespace(cp) ? 0x0B : cp);
                }
                wideCharOf[cps.length] = sb.length();
                wide = sb.toString();
                wideCpOf = new int[wide.length() + 1];
                for (int i = 0; i <= cps.length; i++) wideCpOf[wideCharOf[i]] = i;
            }
            return wide;
        }
    }

    // Markers standing for a category in the collapsed text (llama.cpp uses the bytes 0xD0..0xD5).
    private static final char OTHER = '\u00D0', NUMBER = '\u00D1', LETTER = '\u00D2', PUNCT = '\u00D3', MARK = '\u00D4', SYMBOL = '\u00D5';

    private static char collapse(int cp) {
        if (cp < 128) return (char) cp;
        int f = UnicodeFlags.of(cp);
        if ((f & UnicodeFlags.WHITESPACE) != 0) return '\u000B';
        return switch (f & 0xFF) {
            case UnicodeFlags.NUMBER -> NUMBER;
            case UnicodeFlags.LETTER -> LETTER;
            case UnicodeFlags.PUNCTUATION -> PUNCT;
            case UnicodeFlags.ACCENT_MARK -> MARK;
            case UnicodeFlags.SYMBOL -> SYMBOL;
            default -> OTHER;
        };
    }

    /** A general expression, run as llama.cpp runs it through std::regex. */
    private static final class RegexStep implements Step {
        final Pattern pattern;
        final boolean collapsed;

        RegexStep(String expr) {
            collapsed = expr.contains("\\p{");
            String javaExpr = collapsed ? collapseExpression(expr) : expr;
            // ECMAScript '$' (no multiline) matches only at the end; Java's also before a final line break.
            if (javaExpr.endsWith("$") && !javaExpr.endsWith("\\$")) javaExpr = javaExpr.substring(0, javaExpr.length() - 1) + "\\z";
            pattern = Pattern.compile(javaExpr);
        }

        @Override
        public void split(Views v, int from, int to, IntList out) {
            String text;
            int start, end;
            if (collapsed) {
                text = v.collapsed();
                start = from;
                end = to;
            } else {
                text = v.wide();
                start = v.wideCharOf[from];
                end = v.wideCharOf[to];
            }
            Matcher m = pattern.matcher(text).region(start, end); // opaque bounds: lookahead stops at the piece's end
            int prev = start;
            while (m.find()) {
                if (m.end() == m.start()) continue; // empty matches split nothing
                if (m.start() > prev) out.add(cpLength(v, prev, m.start()));
                out.add(cpLength(v, m.start(), m.end()));
                prev = m.end();
            }
            if (prev < end) out.add(cpLength(v, prev, end));
        }

        private int cpLength(Views v, int charFrom, int charTo) {
            return collapsed ? charTo - charFrom : v.wideCpOf[charTo] - v.wideCpOf[charFrom];
        }
    }

    /**
     * Expressions of the form {@code \s?[class]+} or {@code [class]+} whose class lists only characters and
     * ranges (deepseek's long letter and CJK classes), matched directly: java.util.regex tests a class of a
     * hundred ranges one range at a time, which made these the slowest step by far. Same leftmost, greedy
     * semantics, over the same text (non-ASCII whitespace counts as \v).
     */
    private static final class ClassRunStep implements Step {
        final boolean optionalSpace;
        final java.util.BitSet members;

        private ClassRunStep(boolean optionalSpace, java.util.BitSet members) {
            this.optionalSpace = optionalSpace;
            this.members = members;
        }

        /** The step for a simple class-run expression, or null when the expression is anything else. */
        static ClassRunStep parse(String e) {
            boolean space = e.startsWith("\\s?");
            int i = space ? 3 : 0;
            if (!e.startsWith("[", i) || !e.endsWith("]+") || e.length() < i + 4) return null;
            int end = e.length() - 2;
            i++;
            var members = new java.util.BitSet();
            int pendingLow = -1;
            boolean range = false;
            while (i < end) {
                int cp;
                char c = e.charAt(i);
                if (c == '\\') {
                    if (!e.startsWith("\\x{", i)) return null;
                    int close = e.indexOf('}', i);
                    if (close < 0 || close > end) return null;
                    cp = Integer.parseInt(e.substring(i + 3, close), 16);
                    i = close + 1;
                } else if (c == '[' || c == ']' || (c == '^' && i == (space ? 4 : 1))) {
                    return null;
                } else if (c == '-' && pendingLow >= 0 && !range && i + 1 < end) {
                    range = true;
                    i++;
                    continue;
                } else {
                    cp = e.codePointAt(i);
                    i += Character.charCount(cp);
                }
                if (range) {
                    if (cp < pendingLow) return null;
                    members.set(pendingLow, cp + 1);
                    pendingLow = -1;
                    range = false;
                } else {
                    if (pendingLow >= 0) members.set(pendingLow);
                    pendingLow = cp;
                }
            }
            if (range) return null;
            if (pendingLow >= 0) members.set(pendingLow);
            return new ClassRunStep(space, members);
        }

        /** The code point as C++'s std::wregex sees it: non-ASCII whitespace was replaced by \v. */
        private static int seen(int cp) {
            return cp > 0x7F && UnicodeFlags.isWhitespace(cp) ? 0x0B : cp;
        }

        private boolean in(int cp) {
            return members.get(seen(cp));
        }

        private static boolean isSpace(int cp) {
            int c = seen(cp);
            return c == ' ' || (c >= '\t' && c <= '\r');
        }

        @Override
        public void split(Views v, int from, int to, IntList out) {
            int[] cps = v.cps;
            int prev = from;
            int pos = from;
            while (pos < to) {
                int start;
                if (optionalSpace && isSpace(cps[pos]) && pos + 1 < to && in(cps[pos + 1])) {
                    start = pos;
                    pos += 2;
                } else if (in(cps[pos])) {
                    start = pos;
                    pos++;
                } else {
                    pos++;
                    continue;
                }
                while (pos < to && in(cps[pos])) pos++;
                if (start > prev) out.add(start - prev);
                out.add(pos - start);
                prev = pos;
            }
            if (prev < to) out.add(to - prev);
        }
    }

    /** Rewrites \p{..} categories as classes over the collapsed text: the category's marker plus its ASCII members. */
    static String collapseExpression(String expr) {
        var sb = new StringBuilder();
        boolean inside = false;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (c == '[' && (i == 0 || expr.charAt(i - 1) != '\\')) {
                sb.append('[');
                inside = true;
                continue;
            }
            if (inside && c == ']' && expr.charAt(i - 1) != '\\') {
                sb.append(']');
                inside = false;
                continue;
            }
            if (c == '\\' && i + 3 < expr.length() && expr.charAt(i + 1) == 'p' && expr.charAt(i + 2) == '{') {
                int close = expr.indexOf('}', i + 3);
                String members = close < 0 ? null : categoryMembers(expr.substring(i + 3, close));
                if (members != null) {
                    if (!inside) sb.append('[');
                    sb.append(members);
                    if (!inside) sb.append(']');
                    i = close;
                    continue;
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** llama.cpp's ASCII members of each category (note: '~' is in none, as there). */
    private static String categoryMembers(String category) {
        return switch (category) {
            case "N" -> NUMBER + "0-9";
            case "L", "Lu", "Ll", "Lt", "Lm", "Lo" -> LETTER + "A-Za-z";
            case "P" -> PUNCT + "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}";
            case "M" -> String.valueOf(MARK);
            case "S" -> SYMBOL + "\\$\\+<->\\^`\\|";
            default -> null;
        };
    }

    private static boolean isLetter(int f) { return (f & UnicodeFlags.LETTER) != 0; }

    private static boolean isNumber(int f) { return (f & UnicodeFlags.NUMBER) != 0; }

    private static boolean isSpace(int f) { return (f & UnicodeFlags.WHITESPACE) != 0; }

    /** 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S), scanned by hand. */
    private static void scanGpt2(Views v, int from, int to, IntList out) {
        int pos = from;
        while (pos < to) {
            int start = pos;
            int cp = v.cps[pos];
            int flags = v.flags(pos, from, to);
            if (cp == '\'' && pos + 1 < to) {
                int next = v.cps[pos + 1];
                if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                    out.add(2);
                    pos += 2;
                    continue;
                }
                if (pos + 2 < to) {
                    int next2 = v.cps[pos + 2];
                    if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l')) {
                        out.add(3);
                        pos += 3;
                        continue;
                    }
                }
            }
            int f2 = cp == ' ' ? v.flags(pos + 1, from, to) : flags;
            if (isLetter(f2)) {
                if (cp == ' ') pos++;
                while (isLetter(v.flags(pos, from, to))) pos++;
            } else if (isNumber(f2)) {
                if (cp == ' ') pos++;
                while (isNumber(v.flags(pos, from, to))) pos++;
            } else if (f2 != 0 && !isSpace(f2)) {
                if (cp == ' ') pos++;
                for (int f = v.flags(pos, from, to); f != 0 && !isSpace(f) && !isLetter(f) && !isNumber(f); f = v.flags(pos, from, to)) pos++;
            } else {
                int spaces = 0;
                while (isSpace(v.flags(pos + spaces, from, to))) spaces++;
                if (spaces > 1 && pos + spaces < to) pos += spaces - 1; // \s+(?!\S): leave the last space to the next word
                else if (spaces > 0) pos += spaces;
                else pos++;
            }
            out.add(pos - start);
        }
    }

    /** Llama 3's expression (see {@link #LLAMA3}), scanned by hand. */
    private static void scanLlama3(Views v, int from, int to, IntList out) {
        int pos = from;
        while (pos < to) {
            int start = pos;
            int cp = v.cps[pos];
            int flags = v.flags(pos, from, to);
            if (cp == '\'' && pos + 1 < to) {
                int next = asciiLower(v.cps[pos + 1]);
                if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                    out.add(2);
                    pos += 2;
                    continue;
                }
                if (pos + 2 < to) {
                    int next2 = asciiLower(v.cps[pos + 2]);
                    if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l')) {
                        out.add(3);
                        pos += 3;
                        continue;
                    }
                }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (!(cp == '\r' || cp == '\n' || isNumber(flags)) && (isLetter(flags) || isLetter(v.flags(pos + 1, from, to)))) {
                pos++;
                while (isLetter(v.flags(pos, from, to))) pos++;
                out.add(pos - start);
                continue;
            }
            // \p{N}{1,3}
            if (isNumber(flags)) {
                int groupStart = pos;
                while (isNumber(v.flags(pos, from, to))) {
                    pos++;
                    if (pos - groupStart >= 3) {
                        out.add(pos - groupStart);
                        groupStart = pos;
                    }
                }
                if (pos > groupStart) out.add(pos - groupStart);
                continue;
            }
            //  ?[^\s\p{L}\p{N}]+[\r\n]*
            int f2 = cp == ' ' ? v.flags(pos + 1, from, to) : flags;
            if (!isSpace(f2) && !isLetter(f2) && !isNumber(f2)) {
                if (cp == ' ') pos++;
                for (int f = v.flags(pos, from, to); f != 0 && !isSpace(f) && !isLetter(f) && !isNumber(f); f = v.flags(pos, from, to)) pos++;
                for (int c = v.cp(pos, from, to); c == '\r' || c == '\n'; c = v.cp(pos, from, to)) pos++;
                out.add(pos - start);
                continue;
            }
            int spaces = 0;
            int afterLastNewline = -1;
            while (isSpace(v.flags(pos + spaces, from, to))) {
                int c = v.cps[pos + spaces];
                if (c == '\r' || c == '\n') afterLastNewline = pos + spaces + 1;
                spaces++;
            }
            if (afterLastNewline >= 0) pos = afterLastNewline;         // \s*[\r\n]+
            else if (spaces > 1 && pos + spaces < to) pos += spaces - 1; // \s+(?!\S)
            else if (spaces > 0) pos += spaces;                         // \s+
            else pos++;
            out.add(pos - start);
        }
    }

    private static int asciiLower(int c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }
}
