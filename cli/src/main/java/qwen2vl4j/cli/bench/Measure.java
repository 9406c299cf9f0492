package qwen2vl4j.cli.bench;

/**
 * One timed run: {@code seconds} for {@code count} units of output ({@code unit} "s" prints the time itself), with the
 * process using {@code cpuShare} of all threads' time, whose {@code work} of the {@code bound} kind sets the best
 * possible time. {@code json} names its fields in the JSON report.
 */
record Measure(String label, String json, double seconds, double cpuShare, double count, String unit, Bound bound, double work) {
    /** What bounds a measurement: arithmetic (FLOPs at the FMA peak) or memory traffic (bytes at the read bandwidth). */
    enum Bound { FLOPS, BYTES }

    double boundSeconds(double bytesPerS, double flopPerS) {
        return work / (bound == Bound.FLOPS ? flopPerS : bytesPerS);
    }

    double fraction(double bytesPerS, double flopPerS) {
        return boundSeconds(bytesPerS, flopPerS) / seconds;
    }

    /** The table's cells: label, value, bound, fraction of the bound, CPU share. */
    String[] cells(double bytesPerS, double flopPerS) {
        double best = boundSeconds(bytesPerS, flopPerS);
        String value = unit.equals("s") ? fmt(seconds, "s") : fmt(count / seconds, unit);
        String limit = unit.equals("s") ? fmt(best, "s") : fmt(count / best, unit);
        return new String[] {label, value, limit, pct(best / seconds), pct(cpuShare)};
    }

    private static String fmt(double v, String unit) {
        return String.format(v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, unit);
    }

    private static String pct(double fraction) {
        return String.format("%.0f%%", 100 * fraction);
    }
}
