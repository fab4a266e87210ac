package dev.hearth.planner.cost;

import dev.hearth.planner.Fmt;
import java.util.ArrayList;
import java.util.Locale;

/**
 * An SVG chart of monthly cost against daily volume: the API line, each local option (steps where a
 * device is added), the scenario's volume and each break-even point. Built as plain text, no libraries.
 */
public final class CostChart {
    private static final String[] COLORS = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
    private static final int W = 860, H = 520, L = 90, R = 30, T = 50, B = 70;

    private CostChart() {}

    /** The chart as an SVG document; {@code maxVolume} 0 picks a range that shows the volume and break-evens. */
    public static String svg(CostScenario s, CostReport r, double maxVolume) {
        var w = s.workload();
        var c = s.conventions();
        double xMax = maxVolume > 0 ? maxVolume : defaultRange(r);
        int n = 400;
        var series = new ArrayList<double[]>();
        var names = new ArrayList<String>();
        double[] api = new double[n + 1];
        for (int i = 0; i <= n; i++) api[i] = CostModel.apiMonthly(s.api(), w, c, xMax * i / n);
        series.add(api);
        names.add("API (" + s.api().name() + ")");
        for (int k = 0; k < s.local().size(); k++) {
            var opt = s.local().get(k);
            var t = s.throughputOf(k);
            double[] y = new double[n + 1];
            // At volume 0 a rented or owned device still costs its fixed price: the line starts there.
            for (int i = 0; i <= n; i++) y[i] = CostModel.localMonthly(opt, w, t, c, xMax * i / n);
            series.add(y);
            names.add(opt.name());
        }
        double yMax = 0;
        for (var y : series) for (double v : y) yMax = Math.max(yMax, v);
        yMax = niceCeil(yMax <= 0 ? 1 : yMax);

        var sb = new StringBuilder();
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H).append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append("<text x=\"").append(W / 2).append("\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">Monthly cost vs daily volume (")
                .append(esc(r.throughput().kind())).append(" throughput)</text>\n");
        // Axes and grid.
        for (int i = 0; i <= 5; i++) {
            double yv = yMax * i / 5, yp = py(yv, yMax);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", L, yp, W - R, yp));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", L - 6, yp + 4, esc(yMax >= 10 ? "$" + Fmt.count(yv) : Fmt.usd(yv))));
            double xv = xMax * i / 5, xp = px(xv, xMax);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n", xp, T, xp, H - B));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", xp, H - B + 18, esc(Fmt.count(xv))));
        }
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n", L, T, W - L - R, H - T - B));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s per day</text>%n", (L + W - R) / 2, H - B + 40, esc(r.unit())));
        sb.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">US dollars per month</text>%n", (T + H - B) / 2, (T + H - B) / 2));
        // The scenario's volume.
        if (r.itemsPerDay() <= xMax) {
            double xp = px(r.itemsPerDay(), xMax);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555\" stroke-dasharray=\"4 4\"/>%n", xp, T, xp, H - B));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">this workload</text>%n", xp, T - 4));
        }
        // Series.
        for (int k = 0; k < series.size(); k++) {
            var y = series.get(k);
            var pts = new StringBuilder();
            for (int i = 0; i <= n; i++) {
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px(xMax * i / n, xMax), py(Math.min(y[i], yMax), yMax)));
            }
            sb.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(COLORS[k % COLORS.length])
                    .append("\" points=\"").append(pts.toString().strip()).append("\"/>\n");
        }
        // Break-even markers.
        for (int k = 0; k < r.local().size(); k++) {
            var be = r.local().get(k).breakEven();
            if (be.itemsPerDay() != null && be.itemsPerDay() > 0 && be.itemsPerDay() <= xMax) {
                double x = be.itemsPerDay();
                double yv = CostModel.apiMonthly(s.api(), w, c, x);
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                        px(x, xMax), py(Math.min(yv, yMax), yMax), COLORS[(k + 1) % COLORS.length]));
            }
        }
        // Legend.
        for (int k = 0; k < names.size(); k++) {
            var be = k == 0 ? "" : " (break-even: " + CostText.breakEvenCell(r.local().get(k - 1).breakEven()) + ")";
            int ly = T + 16 + 18 * k;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>%n",
                    L + 12, ly - 4, L + 36, ly - 4, COLORS[k % COLORS.length]));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", L + 42, ly, esc(names.get(k) + be)));
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    /** Up to twice the workload or 1.5 times the largest break-even, whichever is more. */
    static double defaultRange(CostReport r) {
        double x = 2 * r.itemsPerDay();
        for (var l : r.local()) {
            var b = l.breakEven().itemsPerDay();
            if (b != null && b > 0) x = Math.max(x, 1.5 * b);
        }
        return niceCeil(x);
    }

    /** The next "nice" number at or above v: 1, 2, 2.5 or 5 times a power of ten. */
    static double niceCeil(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) if (m * p >= v * (1 - 1e-12)) return m * p;
        return 10 * p;
    }

    private static double px(double x, double xMax) {
        return L + (W - L - R) * x / xMax;
    }

    private static double py(double y, double yMax) {
        return H - B - (H - T - B) * y / yMax;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
