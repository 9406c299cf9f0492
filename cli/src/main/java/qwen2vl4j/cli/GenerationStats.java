package qwen2vl4j.cli;

import java.util.Locale;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.Timings;
import qwen2vl4j.generate.Usage;

/** The one-line summary printed on stderr after an answer. */
final class GenerationStats {
    private GenerationStats() {
    }

    /** e.g. {@code [prompt 90 tokens (image 64, video 0), generated 8 tokens (length); prefill 512.3 tok/s, decode 40.1 tok/s]}. */
    static String line(GenerationResult r) {
        Usage u = r.usage();
        Timings t = r.timings();
        return String.format(Locale.ROOT, "[prompt %d tokens (image %d, video %d), generated %d tokens (%s); prefill %.1f tok/s, decode %.1f tok/s]",
                u.promptTokens(), u.imageTokens(), u.videoTokens(), u.completionTokens(), r.finishReason().openAiName(),
                t.prefillTokensPerSecond(), t.decodeTokensPerSecond());
    }
}
