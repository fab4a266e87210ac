package dev.hearth.engine.chat;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Map;

/**
 * JSON encoding the way Hugging Face's {@code tojson} filter does it: Python's
 * {@code json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=sort_keys)}. Separators are
 * {@code ", "} and {@code ": "} without indent, {@code ","} and {@code ": "} with it; floats print as
 * Python's {@code repr} (1.0, 1e-05); non-ASCII stays as is unless {@code ensureAscii}.
 */
final class PyJson {
    private PyJson() {}

    /** @param indent null for one line, else the indentation unit (Python accepts a count or a string). */
    static String dumps(Object value, String indent, boolean ensureAscii, boolean sortKeys) {
        var sb = new StringBuilder();
        new Writer(sb, indent, ensureAscii, sortKeys).write(value, 0);
        return sb.toString();
    }

    private record Writer(StringBuilder sb, String indent, boolean ensureAscii, boolean sortKeys) {
        void write(Object v, int depth) {
            if (depth > 512) throw new IllegalArgumentException("tojson: value nested more than 512 levels (circular?)");
            switch (v) {
                case null -> sb.append("null");
                case Boolean b -> sb.append(b ? "true" : "false");
                case Double d -> sb.append(floatRepr(d));
                case Float f -> sb.append(floatRepr(Double.parseDouble(Float.toString(f))));
                case BigDecimal bd -> sb.append(floatRepr(bd.doubleValue()));
                case Number n -> sb.append(n instanceof BigInteger bi ? bi.toString() : Long.toString(n.longValue()));
                case CharSequence s -> string(s.toString());
                case Character c -> string(c.toString());
                case Map<?, ?> m -> map(m, depth);
                case Iterable<?> it -> {
                    var items = new ArrayList<Object>();
                    it.forEach(items::add);
                    list(items, depth);
                }
                default -> {
                    if (v.getClass().isArray()) {
                        int n = Array.getLength(v);
                        var items = new ArrayList<Object>(n);
                        for (int i = 0; i < n; i++) items.add(Array.get(v, i));
                        list(items, depth);
                    } else {
                        // Jinjava's own wrappers (SafeString and similar) print as their text.
                        string(v.toString());
                    }
                }
            }
        }

        void map(Map<?, ?> m, int depth) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            var entries = new ArrayList<Map.Entry<?, ?>>(m.entrySet());
            if (sortKeys) entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
            sb.append('{');
            boolean first = true;
            for (var e : entries) {
                if (!first) sb.append(indent == null ? ", " : ",");
                first = false;
                newline(depth + 1);
                Object k = e.getKey();
                // Python turns int/float/bool/None keys into strings.
                string(k instanceof Boolean b ? (b ? "true" : "false") : k == null ? "null" : k instanceof Double d ? floatRepr(d) : k.toString());
                sb.append(": ");
                write(e.getValue(), depth + 1);
            }
            newline(depth);
            sb.append('}');
        }

        void list(ArrayList<Object> items, int depth) {
            if (items.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) sb.append(indent == null ? ", " : ",");
                newline(depth + 1);
                write(items.get(i), depth + 1);
            }
            newline(depth);
            sb.append(']');
        }

        void newline(int depth) {
            if (indent == null) return;
            sb.append('\n');
            sb.append(indent.repeat(depth));
        }

        void string(String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, exponent form below 1e-4 or from 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        // Java's Double.toString gives the shortest digits that round-trip (JDK 19+), as Python's repr does.
        var bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int exp = digits.length() - 1 - bd.scale();
        String sign = d < 0 ? "-" : "";
        if (exp >= -4 && exp < 16) {
            String plain = bd.toPlainString();
            return sign + (plain.indexOf('.') < 0 ? plain + ".0" : plain);
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
}
