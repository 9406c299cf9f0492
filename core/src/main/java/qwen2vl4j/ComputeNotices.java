package qwen2vl4j;

import java.util.HashSet;
import java.util.Set;

/**
 * The one line a load prints when the compute backend or precision asked for cannot be used here (and what runs
 * instead): on standard error, once per distinct line per JVM, so a server that loads twice or a job with many
 * tasks does not repeat it. {@link Qwen2VL#compute()} keeps it for reports.
 */
final class ComputeNotices {
    private static final Set<String> SAID = new HashSet<>();

    private ComputeNotices() {}

    static void sayOnce(String notice) {
        synchronized (SAID) {
            if (!SAID.add(notice)) return;
        }
        System.err.println("qwen2vl4j: " + notice);
    }
}
