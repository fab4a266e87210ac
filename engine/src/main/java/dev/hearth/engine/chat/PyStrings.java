package dev.hearth.engine.chat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Python {@code str} methods that Hugging Face templates call ({@code .strip()}, {@code .split()},
 * {@code .startswith()}...), with Python's semantics rather than Java's.
 */
final class PyStrings {
    private PyStrings() {}

    /** Sentinel: the method is not a Python string method we know. */
    static final Object UNKNOWN = new Object();

    static Object call(String s, String method, Object[] args) {
        int n = args == null ? 0 : args.length;
        return switch (method) {
            case "strip" -> strip(s, n > 0 ? chars(args[0]) : null, true, true);
            case "lstrip" -> strip(s, n > 0 ? chars(args[0]) : null, true, false);
            case "rstrip" -> strip(s, n > 0 ? chars(args[0]) : null, false, true);
            case "startswith" -> matchesAny(s, arg(args, 0, method), true);
            case "endswith" -> matchesAny(s, arg(args, 0, method), false);
            case "split" -> split(s, n > 0 ? chars(args[0]) : null, n > 1 ? toInt(args[1]) : -1);
            case "rsplit" -> rsplit(s, n > 0 ? chars(args[0]) : null, n > 1 ? toInt(args[1]) : -1);
            case "splitlines" -> splitlines(s);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "replace" -> replace(s, str(arg(args, 0, method)), str(arg(args, 1, method)), n > 2 ? toInt(args[2]) : -1);
            case "find" -> s.indexOf(str(arg(args, 0, method)));
            case "rfind" -> s.lastIndexOf(str(arg(args, 0, method)));
            case "count" -> count(s, str(arg(args, 0, method)));
            case "join" -> join(s, arg(args, 0, method));
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(PyStrings::isSpace);
            case "isupper" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            case "islower" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            default -> UNKNOWN;
        };
    }

    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x1c || c == 0x1d || c == 0x1e || c == 0x1f || c == 0x85;
    }

    /** Python's {@code str.strip(chars)}: whitespace when chars is null. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int b = 0, e = s.length();
        if (left) while (b < e && stripped(s.charAt(b), chars)) b++;
        if (right) while (e > b && stripped(s.charAt(e - 1), chars)) e--;
        return s.substring(b, e);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    /** Python's {@code str.split(sep, maxsplit)}: runs of whitespace (dropping empties) when sep is null. */
    static List<String> split(String s, String sep, int maxSplit) {
        var out = new ArrayList<String>();
        if (sep == null) {
            int i = 0, len = s.length();
            while (true) {
                while (i < len && isSpace(s.charAt(i))) i++;
                if (i >= len) break;
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < len && !isSpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("split(): empty separator");
        int start = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int k = s.indexOf(sep, start);
            if (k < 0) break;
            out.add(s.substring(start, k));
            start = k + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    static List<String> rsplit(String s, String sep, int maxSplit) {
        if (maxSplit < 0) return split(s, sep, -1);
        var out = new ArrayList<String>();
        if (sep == null) {
            int e = s.length();
            while (true) {
                while (e > 0 && isSpace(s.charAt(e - 1))) e--;
                if (e == 0) break;
                if (out.size() == maxSplit) {
                    out.addFirst(strip(s.substring(0, e), null, true, false));
                    break;
                }
                int b = e;
                while (b > 0 && !isSpace(s.charAt(b - 1))) b--;
                out.addFirst(s.substring(b, e));
                e = b;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("rsplit(): empty separator");
        int end = s.length();
        while (out.size() < maxSplit) {
            int k = s.lastIndexOf(sep, end - sep.length());
            if (k < 0) break;
            out.addFirst(s.substring(k + sep.length(), end));
            end = k;
        }
        out.addFirst(s.substring(0, end));
        return out;
    }

    private static List<String> splitlines(String s) {
        // splitlines() drops the empty piece after a final line break and returns [] for "".
        String[] parts = s.split("\r\n|\r|\n", -1);
        int n = parts.length;
        if (n > 0 && parts[n - 1].isEmpty()) n--;
        return List.of(parts).subList(0, n);
    }

    /** Python's {@code str.title()}: a letter after a non-letter is upper-cased, every other letter lower-cased. */
    static String title(String s) {
        var sb = new StringBuilder(s.length());
        boolean prevLetter = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isLetter(c)) {
                sb.append(prevLetter ? Character.toLowerCase(c) : Character.toTitleCase(c));
                prevLetter = true;
            } else {
                sb.append(c);
                prevLetter = false;
            }
        }
        return sb.toString();
    }

    static String replace(String s, String old, String with, int count) {
        if (count < 0) return s.replace(old, with);
        var sb = new StringBuilder();
        int start = 0, done = 0;
        while (done < count) {
            int k = old.isEmpty() ? (start <= s.length() ? start : -1) : s.indexOf(old, start);
            if (k < 0) break;
            sb.append(s, start, k).append(with);
            if (old.isEmpty()) {
                if (k < s.length()) sb.append(s.charAt(k));
                start = k + 1;
            } else {
                start = k + old.length();
            }
            done++;
        }
        if (start <= s.length()) sb.append(s.substring(Math.min(start, s.length())));
        return sb.toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1;
        int c = 0;
        for (int k = s.indexOf(sub); k >= 0; k = s.indexOf(sub, k + sub.length())) c++;
        return c;
    }

    private static String join(String sep, Object items) {
        var sb = new StringBuilder();
        boolean first = true;
        for (Object o : iterable(items)) {
            if (!first) sb.append(sep);
            first = false;
            sb.append(o);
        }
        return sb.toString();
    }

    private static Iterable<?> iterable(Object o) {
        if (o instanceof Iterable<?> it) return it;
        if (o instanceof Object[] a) return List.of(a);
        if (o instanceof String s) return s.chars().mapToObj(c -> String.valueOf((char) c)).toList();
        throw new IllegalArgumentException("join() needs a list, got " + typeName(o));
    }

    private static boolean matchesAny(String s, Object prefixes, boolean start) {
        // startswith/endswith accept one string or a tuple of strings.
        if (prefixes instanceof Collection<?> c) {
            for (Object p : c) if (start ? s.startsWith(str(p)) : s.endsWith(str(p))) return true;
            return false;
        }
        String p = str(prefixes);
        return start ? s.startsWith(p) : s.endsWith(p);
    }

    private static Object arg(Object[] args, int i, String method) {
        if (args == null || args.length <= i) {
            throw new IllegalArgumentException("str." + method + "() is missing argument " + (i + 1));
        }
        return args[i];
    }

    private static String chars(Object o) {
        return o == null ? null : o.toString();
    }

    private static String str(Object o) {
        if (o == null) throw new IllegalArgumentException("expected a string, got None");
        return o.toString();
    }

    private static int toInt(Object o) {
        if (o instanceof Number n) return n.intValue();
        throw new IllegalArgumentException("expected an integer, got " + typeName(o));
    }

    static String typeName(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }
}
