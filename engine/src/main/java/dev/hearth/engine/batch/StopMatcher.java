package dev.hearth.engine.batch;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text that could still turn out to be the start of a stop string is
 * held back until the next piece decides it, so a stop string split across tokens is found and never
 * emitted. Not thread-safe: one per sequence.
 */
public final class StopMatcher {
    private final String[] stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    public StopMatcher(List<String> stops) {
        this.stops = stops.toArray(String[]::new);
        for (String s : this.stops) {
            if (s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
        }
    }

    /** Whether a stop string was found; nothing more should be generated. */
    public boolean stopped() { return stopped; }

    /** Characters currently held back. */
    public int held() { return pending.length(); }

    /**
     * Adds a piece of text and returns the text that can be emitted now: everything before a stop string
     * once one is found (then {@link #stopped()} turns true), else everything that cannot be the start of one.
     */
    public String push(String piece) {
        if (stopped) return "";
        if (stops.length == 0) return piece;
        pending.append(piece);
        int at = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (at < 0 || i < at)) at = i;
        }
        if (at >= 0) {
            String out = pending.substring(0, at);
            pending.setLength(0);
            stopped = true;
            return out;
        }
        int hold = heldSuffix();
        String out = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return out;
    }

    /** The text still held back (the sequence ended for another reason), and resets. */
    public String flush() {
        String out = pending.toString();
        pending.setLength(0);
        return out;
    }

    /** Length of the longest suffix of {@code pending} that is a proper prefix of some stop string. */
    private int heldSuffix() {
        String p = pending.toString();
        int n = p.length();
        int best = 0;
        for (String s : stops) {
            for (int k = Math.min(n, s.length() - 1); k > best; k--) {
                if (p.regionMatches(n - k, s, 0, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }
}
