package qwen2vl4j.hub;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Shows download progress on a stream (normally stderr): on a terminal, one bar per file redrawn in place
 * with bytes, percent and speed; otherwise plain lines, one when a file starts and one when it ends.
 */
public final class ConsoleProgress implements ProgressListener {
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final int BAR_WIDTH = 24;
    private final PrintWriter out;
    private final boolean terminal;
    private final long clockStart = System.nanoTime();
    private long fileStartNanos;
    private long fileStartBytes;
    private long lastDraw;

    /** @param terminal whether {@code out} is a terminal (bars) or a file / pipe (plain lines) */
    public ConsoleProgress(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    /** Progress on stderr, with bars when the process runs in a terminal. */
    public static ConsoleProgress onStderr() {
        return new ConsoleProgress(new PrintWriter(System.err, true), isTerminal());
    }

    /** Whether this process runs attached to a terminal (so that bars redrawn in place are readable). */
    public static boolean isTerminal() {
        var console = System.console();
        return console != null && console.isTerminal();
    }

    @Override
    public void started(RepoId repo, String commit, int files, long totalBytes) {
        line("Fetching " + files + " files of " + repo + " at " + commit
                + (totalBytes >= 0 ? " (" + size(totalBytes) + ")" : ""));
    }

    @Override
    public void fileStarted(String filename, long size, long alreadyHave) {
        fileStartNanos = System.nanoTime();
        fileStartBytes = alreadyHave;
        lastDraw = 0;
        if (terminal) {
            draw(filename, alreadyHave, size);
        } else {
            line("downloading " + filename + (size >= 0 ? " (" + size(size) + ")" : "")
                    + (alreadyHave > 0 ? ", resuming at " + size(alreadyHave) : ""));
        }
    }

    @Override
    public void fileProgress(String filename, long done, long size) {
        if (!terminal) return;
        long now = System.nanoTime();
        if (now - lastDraw < REDRAW_NANOS) return;
        lastDraw = now;
        draw(filename, done, size);
    }

    @Override
    public void retrying(String filename, int attempt, long bytesKept, String reason) {
        if (terminal) line("");
        line("download of " + filename + " was cut (" + reason + "); retry " + attempt + " resumes at " + size(bytesKept));
    }

    @Override
    public void fileDone(String filename, long size) {
        if (terminal) {
            draw(filename, size, size);
            line("");
        } else {
            line("done " + filename + " (" + size(size) + (size >= 1_000_000 ? ", " + speed(size) : "") + ")");
        }
    }

    @Override
    public void fileSkipped(String filename, long size) {
        line("cached " + filename + (size >= 0 ? " (" + size(size) + ")" : ""));
    }

    @Override
    public void finished(Path snapshot) {
        line(String.format(Locale.ROOT, "Done in %.1f s", (System.nanoTime() - clockStart) / 1e9));
    }

    private void line(String text) {
        out.println(text);
        out.flush();
    }

    private void draw(String filename, long done, long size) {
        StringBuilder line = new StringBuilder("\r").append(filename).append(' ');
        if (size > 0) {
            int filled = (int) Math.min(BAR_WIDTH, done * BAR_WIDTH / size);
            line.append('[').append("#".repeat(filled)).append("-".repeat(BAR_WIDTH - filled)).append("] ")
                    .append(String.format(Locale.ROOT, "%3d%% ", done * 100 / size))
                    .append(size(done)).append(" / ").append(size(size));
        } else {
            line.append(size(done));
        }
        line.append("  ").append(speed(done)).append("\u001b[K");
        out.print(line);
        out.flush();
    }

    private String speed(long done) {
        double seconds = Math.max(1e-3, (System.nanoTime() - fileStartNanos) / 1e9);
        return String.format(Locale.ROOT, "%.1f MB/s", Math.max(0, done - fileStartBytes) / 1e6 / seconds);
    }

    /** Bytes in kB, MB or GB with one decimal. */
    static String size(long bytes) {
        if (bytes < 1_000_000) return String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
        if (bytes < 1_000_000_000) return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }
}
