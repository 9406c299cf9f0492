package qwen2vl4j.cli;

import java.io.PrintWriter;
import java.util.function.LongSupplier;
import qwen2vl4j.generate.GenerationProgress;
import qwen2vl4j.generate.TokenListener;

/**
 * What {@code run} and {@code chat} show on stderr while they work before the first token: one line when the media
 * cost more than {@link #WARN_TOKENS} visual tokens (with how to lower that), and on a terminal a progress line
 * for a video file's decoding, the vision encode (per block) and a prefill longer than one 512-token piece, each with
 * an estimate of the time left, rewritten in place and cleared before the answer streams.
 */
final class ProgressLine implements GenerationProgress {
    /** Above this many visual tokens the vision encode takes long on a CPU, and {@code run} / {@code chat} say so. */
    static final int WARN_TOKENS = 4096;
    private static final long REDRAW_NANOS = 100_000_000L;
    /** Video files of at most this many frames (up to the last sampled one) decode too fast to show. */
    static final int SHORT_VIDEO_FRAMES = 64;

    private final PrintWriter err;
    private final boolean live;
    private final boolean warn;
    private final LongSupplier clock;
    private long stageStart;
    private long lastDraw;
    private boolean showing;

    /**
     * @param live draw the progress line (stderr is a terminal and output is not quiet)
     * @param warn print the line about costly media
     */
    ProgressLine(PrintWriter err, boolean live, boolean warn, LongSupplier clock) {
        this.err = err;
        this.live = live;
        this.warn = warn;
        this.clock = clock;
    }

    /**
     * For a command: live on a terminal unless {@code quiet}; warns unless {@code quiet}. (Since JDK 22
     * {@code System.console()} is present for redirected streams too; {@code isTerminal()} tells a terminal.)
     */
    static ProgressLine forCommand(PrintWriter err, boolean quiet) {
        java.io.Console console = System.console();
        return new ProgressLine(err, !quiet && console != null && console.isTerminal(), !quiet, System::nanoTime);
    }

    @Override
    public void progress(Stage stage, int done, int total, int tokens) {
        long now = clock.getAsLong();
        if (done == 0) {
            stageStart = now;
            if (stage == Stage.VISION && warn && tokens > WARN_TOKENS) {
                clear();
                err.println("qwen2vl4j: these images or videos take " + tokens + " visual tokens (over " + WARN_TOKENS
                        + ": slow on a CPU); --max-pixels 1003520 caps each image at 1280 tokens, --video-max-pixels and "
                        + "--max-frames make videos cheaper");
                err.flush();
            }
        }
        if (!live || stage == Stage.PREFILL && total <= 512 || stage == Stage.VIDEO && total <= SHORT_VIDEO_FRAMES) return;
        if (done == total) {
            clear();
            return;
        }
        if (done > 0 && now - lastDraw < REDRAW_NANOS) return;
        lastDraw = now;
        String what = switch (stage) {
            case VIDEO -> "decoding video: frame " + done + "/" + total;
            case VISION -> "vision encode (" + tokens + " tokens): block " + done + "/" + total;
            case PREFILL -> "prefill: " + done + "/" + total + " tokens";
        };
        String eta = done == 0 ? "" : ", " + seconds((now - stageStart) / (double) done * (total - done)) + " left";
        err.print("\r\033[2K" + what + eta);
        err.flush();
        showing = true;
    }

    /** Removes the progress line, if one is shown. */
    void clear() {
        if (!showing) return;
        err.print("\r\033[2K");
        err.flush();
        showing = false;
    }

    /** {@code tokens}, clearing the progress line before the first token is printed. */
    TokenListener clearingBefore(TokenListener tokens) {
        return (id, text) -> {
            clear();
            if (tokens != null) tokens.onToken(id, text);
        };
    }

    private static String seconds(double nanos) {
        double s = nanos / 1e9;
        return s < 10 ? String.format("%.1f s", s) : String.format("%d s", Math.round(s));
    }
}
