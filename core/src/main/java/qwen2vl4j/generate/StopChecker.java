package qwen2vl4j.generate;

import java.util.List;

/**
 * Decides when a generation ends and which decoded text may be shown yet. End tokens and the length limit are
 * checked per token; stop strings against all decoded text so far, so one spanning several tokens is found.
 * When a stop string appears the text is cut just before it. Text whose tail could still grow into a stop
 * string is held back from {@link #release()} until it cannot. One instance per generation.
 */
public final class StopChecker {
    private final SamplingParams params;
    private final List<String> stopStrings;
    private final int longestStop;
    private final StringBuilder text = new StringBuilder();
    private int released;
    private boolean stopStringFound;

    public StopChecker(SamplingParams params) {
        this.params = params;
        this.stopStrings = params.stopStrings();
        this.longestStop = stopStrings.stream().mapToInt(String::length).max().orElse(0);
    }

    /** Whether generating {@code id} ends the generation (EOS unless ignored, or a stop token id). */
    public boolean isStopToken(int id) {
        return params.isStopToken(id);
    }

    /** Whether {@code generated} tokens reach {@code maxNewTokens}. */
    public boolean reachedLength(int generated) {
        return generated >= params.maxNewTokens();
    }

    /**
     * Appends decoded text; returns true when a stop string now appears (the earliest one wins), after cutting
     * the text just before it. Text appended after that is ignored.
     */
    public boolean append(String delta) {
        if (stopStringFound || delta.isEmpty()) return stopStringFound;
        int oldLength = text.length();
        text.append(delta);
        int cut = -1;
        for (String stop : stopStrings) {
            int from = Math.max(0, oldLength - stop.length() + 1);
            int at = text.indexOf(stop, from);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut < 0) return false;
        text.setLength(cut);
        released = Math.min(released, cut);
        stopStringFound = true;
        return true;
    }

    /** Whether a stop string was found. */
    public boolean stopStringFound() {
        return stopStringFound;
    }

    /** All text so far (cut before the stop string once one was found). */
    public String text() {
        return text.toString();
    }

    /**
     * The text not yet released that can no longer turn into a stop string (everything except the longest tail
     * that is a proper prefix of a stop string), and marks it released.
     */
    public String release() {
        int end = stopStringFound ? text.length() : text.length() - heldBackLength();
        if (end <= released) return "";
        String out = text.substring(released, end);
        released = end;
        return out;
    }

    /** All text not yet released, held-back tail included (for the end of a generation). */
    public String releaseAll() {
        String out = text.substring(released);
        released = text.length();
        return out;
    }

    /** Length of the longest tail of the text that is a proper prefix of some stop string. */
    private int heldBackLength() {
        int max = Math.min(longestStop - 1, text.length() - released);
        for (int k = max; k > 0; k--) {
            for (String stop : stopStrings) {
                if (k < stop.length() && regionEndsWithPrefix(stop, k)) return k;
            }
        }
        return 0;
    }

    private boolean regionEndsWithPrefix(String stop, int k) {
        int start = text.length() - k;
        for (int i = 0; i < k; i++) if (text.charAt(start + i) != stop.charAt(i)) return false;
        return true;
    }
}
