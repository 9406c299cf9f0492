package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import qwen2vl4j.generate.GenerationProgress.Stage;

/** The terminal progress line: drawn in place with the time left, cleared before the answer, silent when not live. */
class ProgressLineTest {
    private final StringWriter out = new StringWriter();
    private final long[] now = {0};

    private ProgressLine line(boolean live, boolean warn) {
        return new ProgressLine(new PrintWriter(out), live, warn, () -> now[0]);
    }

    @Test
    void visionBlocksAndLongPrefillsAreDrawnWithTheTimeLeftThenCleared() {
        ProgressLine p = line(true, true);
        p.progress(Stage.VISION, 0, 32, 1024);
        now[0] = 2_000_000_000L;
        p.progress(Stage.VISION, 8, 32, 1024);                // 2 s for 8 blocks: 6 s for the other 24
        now[0] = 2_050_000_000L;
        p.progress(Stage.VISION, 9, 32, 1024);                // within 100 ms of the last drawing: skipped
        p.progress(Stage.VISION, 32, 32, 1024);
        p.progress(Stage.PREFILL, 0, 300, 300);               // one piece: nothing to show
        p.progress(Stage.PREFILL, 300, 300, 300);
        p.progress(Stage.PREFILL, 0, 2048, 2048);
        now[0] = 3_050_000_000L;
        p.progress(Stage.PREFILL, 512, 2048, 2048);
        p.clearingBefore(null).onToken(1, "x");
        String clear = "\r\033[2K";
        assertEquals(clear + "vision encode (1024 tokens): block 0/32"
                + clear + "vision encode (1024 tokens): block 8/32, 6.0 s left"
                + clear
                + clear + "prefill: 0/2048 tokens"
                + clear + "prefill: 512/2048 tokens, 3.0 s left"
                + clear, out.toString());
    }

    @Test
    void aLongVideoFilesDecodingIsDrawnAndAShortOneIsNot() {
        ProgressLine p = line(true, true);
        p.progress(Stage.VIDEO, 0, 64, 0);
        p.progress(Stage.VIDEO, 32, 64, 0);
        p.progress(Stage.VIDEO, 64, 64, 0);
        assertEquals("", out.toString());
        p.progress(Stage.VIDEO, 0, 900, 0);
        now[0] = 1_000_000_000L;
        p.progress(Stage.VIDEO, 300, 900, 0);                 // 1 s for 300 frames: 2 s for the other 600
        p.progress(Stage.VIDEO, 900, 900, 0);
        String clear = "\r\033[2K";
        assertEquals(clear + "decoding video: frame 0/900" + clear + "decoding video: frame 300/900, 2.0 s left" + clear, out.toString());
    }

    @Test
    void costlyMediaAreAnnouncedOnceAndNothingElseWhenNotLive() {
        ProgressLine p = line(false, true);
        p.progress(Stage.VISION, 0, 32, 5120);
        p.progress(Stage.VISION, 16, 32, 5120);
        p.progress(Stage.VISION, 32, 32, 5120);
        p.progress(Stage.PREFILL, 0, 6000, 6000);
        p.progress(Stage.PREFILL, 512, 6000, 6000);
        assertTrue(out.toString().startsWith("qwen2vl4j: these images or videos take 5120 visual tokens (over 4096"), out.toString());
        assertEquals(1, out.toString().lines().count(), out.toString());
        StringWriter quiet = new StringWriter();
        new ProgressLine(new PrintWriter(quiet), false, false, () -> 0).progress(Stage.VISION, 0, 32, 5120);
        assertEquals("", quiet.toString());
    }
}
