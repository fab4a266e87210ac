package dev.hearth.planner;

import java.math.BigDecimal;
import java.util.Locale;

/** Number formatting for reports: grouped thousands, fixed decimals, always in the ROOT locale. */
public final class Fmt {
    private Fmt() {}

    /** A number with thousands separators and the given number of decimals: {@code 1,234.50}. */
    public static String num(double v, int decimals) {
        return String.format(Locale.ROOT, "%,." + decimals + "f", v);
    }

    /** A whole number with thousands separators: {@code 600,000,000}. */
    public static String count(double v) {
        return num(v, 0);
    }

    /** A quantity: grouped thousands, up to two decimals, no trailing zeros ({@code 2,000}, {@code 0.33}). */
    public static String qty(double v) {
        if (v == Math.rint(v)) return count(v);
        var s = num(v, 2);
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    /** Dollars with cents: {@code $3,600.00}; small per-token amounts keep more digits. */
    public static String usd(double v) {
        if (v != 0 && Math.abs(v) < 0.01) return "$" + sig(v, 3);
        return (v < 0 ? "-$" : "$") + num(Math.abs(v), 2);
    }

    /** A price per unit (per 1M tokens): cents at $1 and above, three significant digits below ($0.0833). */
    public static String rate(double v) {
        if (v == 0 || Math.abs(v) >= 1) return usd(v);
        var s = sig(v, 3);
        if (s.indexOf('.') >= 0 && s.length() - s.indexOf('.') < 3) s = num(v, 2); // $0.1 -> $0.10
        return (v < 0 ? "-$" + s.substring(1) : "$" + s);
    }

    /** Up to {@code digits} significant digits, no exponent, no trailing zeros. */
    public static String sig(double v, int digits) {
        if (v == 0 || Double.isNaN(v) || Double.isInfinite(v)) return plain(v);
        var bd = new BigDecimal(v).round(new java.math.MathContext(digits)).stripTrailingZeros();
        return bd.toPlainString();
    }

    /** A value as typed by a user: no grouping, no exponent for ordinary sizes. */
    public static String plain(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "infinity" : "-infinity";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }

    /** Bytes as GiB with two decimals. */
    public static String gib(double bytes) {
        return num(bytes / (1L << 30), 2) + " GiB";
    }

    /** Bytes as GiB (two decimals) from 1 GiB up, else MiB (one decimal). */
    public static String bytes(double bytes) {
        return bytes >= (1L << 30) ? gib(bytes) : num(bytes / (1L << 20), 1) + " MiB";
    }

    /** A parameter count: 8.03B, 21.1M. */
    public static String params(double n) {
        return n >= 1e9 ? sig(n / 1e9, 4) + "B" : n >= 1e6 ? sig(n / 1e6, 3) + "M" : count(n);
    }

    /** Pads or leaves a cell at a width; right-aligned for numbers. */
    public static String pad(String s, int width, boolean right) {
        if (s.length() >= width) return s;
        var sp = " ".repeat(width - s.length());
        return right ? sp + s : s + sp;
    }
}
