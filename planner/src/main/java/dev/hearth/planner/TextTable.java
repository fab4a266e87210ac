package dev.hearth.planner;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table: first column left-aligned, the others right-aligned, a dashed rule under the head. */
public final class TextTable {
    private TextTable() {}

    public static void append(StringBuilder sb, List<String> head, List<List<String>> rows) {
        int[] w = new int[head.size()];
        for (int i = 0; i < w.length; i++) w[i] = head.get(i).length();
        for (var r : rows) for (int i = 0; i < w.length; i++) w[i] = Math.max(w[i], r.get(i).length());
        appendRow(sb, head, w);
        var rule = new ArrayList<String>();
        for (int x : w) rule.add("-".repeat(x));
        appendRow(sb, rule, w);
        for (var r : rows) appendRow(sb, r, w);
    }

    private static void appendRow(StringBuilder sb, List<String> cells, int[] w) {
        var line = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            if (i > 0) line.append("  ");
            line.append(Fmt.pad(cells.get(i), w[i], i > 0));
        }
        sb.append(line.toString().stripTrailing()).append('\n');
    }
}
