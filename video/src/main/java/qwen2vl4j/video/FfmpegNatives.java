package qwen2vl4j.video;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swresample;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.javacpp.Loader;
import qwen2vl4j.preprocess.ImageDecodeException;

/**
 * Loads FFmpeg's native libraries once, quiets FFmpeg's own logging, and turns FFmpeg error codes into text.
 * FFmpeg writes its diagnostics to stderr; they stay off unless the system property
 * {@value #LOG_LEVEL_PROPERTY} names a level ({@code quiet, panic, fatal, error, warning, info, verbose, debug}).
 */
final class FfmpegNatives {
    /** System property choosing FFmpeg's log level; {@code quiet} when absent. */
    static final String LOG_LEVEL_PROPERTY = "qwen2vl4j.ffmpeg.loglevel";
    private static final Pattern ERROR_CODE = Pattern.compile("^(\\w+)\\(\\) error (-?\\d+)");

    private static volatile boolean loaded;

    private FfmpegNatives() {}

    /** Loads the natives (once) or fails with a message naming the platform and the file being read. */
    static void ensureLoaded(Path file) {
        if (loaded) return;
        synchronized (FfmpegNatives.class) {
            if (loaded) return;
            try {
                // only the libraries a grabber uses: FFmpegFrameGrabber.tryLoad() also loads avdevice,
                // which needs libpulse and fails on hosts without it (servers, CI containers)
                Loader.load(avutil.class);
                Loader.load(swresample.class);
                Loader.load(avcodec.class);
                Loader.load(avformat.class);
                Loader.load(swscale.class);
                avutil.av_log_set_level(logLevel(System.getProperty(LOG_LEVEL_PROPERTY, "quiet")));
                loaded = true;
            } catch (RuntimeException | LinkageError e) {
                throw new ImageDecodeException("video " + file + ": FFmpeg's native libraries could not be loaded on platform "
                        + Loader.getPlatform() + " (qwen2vl4j-video bundles them for linux-x86_64; elsewhere add "
                        + "org.bytedeco:ffmpeg with that platform's classifier to the class path): " + e.getMessage(), e);
            }
        }
    }

    /** FFmpeg's log level for a name such as {@code error} or {@code info}. */
    static int logLevel(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "quiet" -> avutil.AV_LOG_QUIET;
            case "panic" -> avutil.AV_LOG_PANIC;
            case "fatal" -> avutil.AV_LOG_FATAL;
            case "error" -> avutil.AV_LOG_ERROR;
            case "warning" -> avutil.AV_LOG_WARNING;
            case "info" -> avutil.AV_LOG_INFO;
            case "verbose" -> avutil.AV_LOG_VERBOSE;
            case "debug" -> avutil.AV_LOG_DEBUG;
            default -> throw new IllegalArgumentException("system property " + LOG_LEVEL_PROPERTY + " must be one of quiet, "
                    + "panic, fatal, error, warning, info, verbose, debug; found '" + name + "'");
        };
    }

    /**
     * A short description of a JavaCV error: for messages like {@code "avformat_open_input() error -1094995529: ..."}
     * FFmpeg's text for the code and the failing call, otherwise the message itself.
     */
    static String describe(Throwable e) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        Matcher m = ERROR_CODE.matcher(msg);
        if (m.find()) {
            try {
                return errorText(Integer.parseInt(m.group(2))) + " (" + m.group(1) + ")";
            } catch (NumberFormatException ignored) {
                // not an int: fall through to the raw message
            }
        }
        return msg;
    }

    /** FFmpeg's text for an {@code AVERROR} code. */
    static String errorText(int code) {
        byte[] buf = new byte[256];
        if (avutil.av_strerror(code, buf, buf.length) < 0) return "FFmpeg error " + code;
        int len = 0;
        while (len < buf.length && buf[len] != 0) len++;
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }
}
