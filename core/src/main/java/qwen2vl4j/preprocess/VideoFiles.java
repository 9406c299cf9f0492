package qwen2vl4j.preprocess;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads video files into sampled frames as qwen-vl-utils does: probe the file, choose
 * {@link FrameSampling#smartNframes} frames at {@link FrameSampling#frameIndices}, decode only those.
 * Decoding is done by a {@link VideoFileDecoder} service found with {@link ServiceLoader}; core has none, the
 * optional {@code qwen2vl4j-video} module (FFmpeg) provides one. Without it, video files fail with a message
 * that says so.
 */
public final class VideoFiles {
    /** File name endings taken for video files (compared in lower case). */
    public static final Set<String> VIDEO_EXTENSIONS = Set.of(
            "mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "ts", "m2ts", "3gp", "ogv", "flv", "wmv");
    /** The {@code beforeDecoding} of the loads that check nothing between the probe and the decoding. */
    private static final Consumer<VideoInfo> NO_CHECK = info -> {};
    /**
     * The container of a video held in memory, from its first bytes: {@code "mp4"} (ISO media: MP4, M4V, and
     * QuickTime with an {@code ftyp} box), {@code "mov"} (older QuickTime), {@code "webm"} (Matroska / WebM) or
     * {@code "avi"}; null when the bytes are none of these (an image, say).
     */
    public static String sniffContainer(byte[] b) {
        if (b == null || b.length < 12) return null;
        String box = new String(b, 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
        if (box.equals("ftyp")) return "mp4";
        if (box.equals("moov") || box.equals("mdat") || box.equals("wide") || box.equals("free")) return "mov";
        if ((b[0] & 0xFF) == 0x1A && (b[1] & 0xFF) == 0x45 && (b[2] & 0xFF) == 0xDF && (b[3] & 0xFF) == 0xA3) return "webm";
        if (new String(b, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals("RIFF")
                && new String(b, 8, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals("AVI ")) return "avi";
        return null;
    }

    /**
     * Loads a video file held in memory (e.g. a {@code data:} URL's payload) through a temporary file, which is
     * deleted afterwards; {@code name} is used in messages.
     */
    public static SampledVideo load(byte[] bytes, String name, VisionOptions options) {
        return load(bytes, name, options, NO_CHECK);
    }

    /** As {@link #load(byte[], String, VisionOptions)}, with {@code beforeDecoding} as in {@link #load(Path, VisionOptions, VideoFileDecoder, Consumer)}. */
    public static SampledVideo load(byte[] bytes, String name, VisionOptions options, Consumer<VideoInfo> beforeDecoding) {
        String container = sniffContainer(bytes);
        if (container == null) throw new ImageDecodeException("video " + name + " is not a video file (MP4, MOV, WebM or AVI)");
        Path tmp = null;
        try {
            tmp = java.nio.file.Files.createTempFile("qwen2vl4j-video-", "." + container);
            java.nio.file.Files.write(tmp, bytes);
            return load(tmp, options, beforeDecoding);
        } catch (ImageDecodeException e) {
            // the temporary file means nothing to the caller (and is a server's path): messages name the source
            if (e instanceof MediaInputException || e.getMessage() == null || !e.getMessage().contains(tmp.toString())) throw e;
            throw new ImageDecodeException(e.getMessage().replace(tmp.toString(), name), e.getCause());
        } catch (java.io.IOException e) {
            throw new ImageDecodeException("video " + name + ": cannot stage it in a temporary file: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    java.nio.file.Files.deleteIfExists(tmp);
                } catch (java.io.IOException ignored) {
                    // the temporary folder is cleaned by the system
                }
            }
        }
    }

    /** The module that provides the decoder, as named in error messages. */
    public static final String VIDEO_MODULE = "qwen2vl4j-video";

    private static volatile List<VideoFileDecoder> installed;

    private VideoFiles() {}

    /** True when {@code file}'s name ends with one of {@link #VIDEO_EXTENSIONS}. */
    public static boolean isVideoFile(Path file) {
        Path name = file.getFileName();
        if (name == null) return false;
        String s = name.toString();
        int dot = s.lastIndexOf('.');
        return dot >= 0 && VIDEO_EXTENSIONS.contains(s.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** The decoder services on the class path (found once, then cached). */
    public static List<VideoFileDecoder> installedDecoders() {
        List<VideoFileDecoder> found = installed;
        if (found == null) {
            List<VideoFileDecoder> list = new ArrayList<>();
            ServiceLoader.load(VideoFileDecoder.class, VideoFiles.class.getClassLoader()).forEach(list::add);
            installed = found = List.copyOf(list);
        }
        return found;
    }

    /**
     * The installed decoder that accepts {@code file}.
     *
     * @throws ImageDecodeException when none is installed ("video files need the qwen2vl4j-video module") or none
     *                              accepts the file
     */
    public static VideoFileDecoder decoderFor(Path file) {
        return decoderFor(file, installedDecoders());
    }

    static VideoFileDecoder decoderFor(Path file, List<VideoFileDecoder> decoders) {
        if (decoders.isEmpty()) {
            throw new ImageDecodeException("video " + file + ": video files need the " + VIDEO_MODULE
                    + " module (dev.qwen2vl4j:" + VIDEO_MODULE + ") on the class path; it is not there");
        }
        for (VideoFileDecoder d : decoders) {
            if (d.canDecode(file)) return d;
        }
        throw new ImageDecodeException("video " + file + ": no installed video decoder accepts this file type; expected one of "
                + new java.util.TreeSet<>(VIDEO_EXTENSIONS));
    }

    /** Loads a video named by a path or {@code file://} URI with the installed decoder; see {@link #load(Path, VisionOptions, VideoFileDecoder)}. */
    public static SampledVideo load(String pathOrUri, VisionOptions options) {
        ImageSources.requireLocal(pathOrUri, "video");
        if (pathOrUri.regionMatches(true, 0, "data:", 0, 5)) {
            throw new ImageDecodeException("video " + pathOrUri.substring(0, Math.min(40, pathOrUri.length()))
                    + "...: data URIs are not supported for videos; pass a file path");
        }
        return load(ImageSources.toPath(pathOrUri), options);
    }

    /** Loads {@code file} with the installed decoder that accepts it; see {@link #load(Path, VisionOptions, VideoFileDecoder)}. */
    public static SampledVideo load(Path file, VisionOptions options) {
        return load(file, options, NO_CHECK);
    }

    /** As {@link #load(Path, VisionOptions)}, with {@code beforeDecoding} as in {@link #load(Path, VisionOptions, VideoFileDecoder, Consumer)}. */
    public static SampledVideo load(Path file, VisionOptions options, Consumer<VideoInfo> beforeDecoding) {
        requireFile(file);
        return load(file, options, decoderFor(file), beforeDecoding);
    }

    /**
     * Probes {@code file}, samples its frames by qwen-vl-utils' rule ({@code fps} 2 by default, an even count,
     * 4 to 768 frames, or the options' {@code nframes}) and decodes those frames.
     *
     * @throws ImageDecodeException naming the file when it is missing, undecodable, has no frames, too few frames
     *                              for the sampling rule, frames over {@link ImageDecoder#DEFAULT_MAX_PIXELS} pixels,
     *                              or would need more than half the Java heap
     */
    public static SampledVideo load(Path file, VisionOptions options, VideoFileDecoder decoder) {
        return load(file, options, decoder, NO_CHECK);
    }

    /**
     * As {@link #load(Path, VisionOptions, VideoFileDecoder)}, calling {@code beforeDecoding} with what the probe
     * found once the sample is chosen and checked, before any frame is decoded: a caller counts the video's tokens
     * from it and may throw to refuse the video without decoding it.
     */
    public static SampledVideo load(Path file, VisionOptions options, VideoFileDecoder decoder, Consumer<VideoInfo> beforeDecoding) {
        requireFile(file);
        VideoInfo info = decoder.probe(file);
        if (info.frameCount() == 0) throw new ImageDecodeException("video " + file + " has no video frames");
        int n;
        try {
            n = FrameSampling.smartNframes(info.frameCount(), info.fps(), options);
        } catch (IllegalArgumentException e) {
            throw new ImageDecodeException("video " + file + ": " + e.getMessage());
        }
        requirePixelLimit(file, info);
        long maxHeap = Runtime.getRuntime().maxMemory();
        requireHeap(file, info, n, maxHeap);
        beforeDecoding.accept(info);
        int[] indices = FrameSampling.frameIndices(info.frameCount(), n);
        List<RgbImage> frames = decoder.decodeFrames(file, indices, framePixelLimit(n, maxHeap));
        if (frames.size() != n) {
            throw new IllegalStateException("video decoder " + decoder.getClass().getName() + " returned " + frames.size()
                    + " frames of " + file + " for " + n + " indices");
        }
        return new SampledVideo(file, info, indices, frames);
    }

    private static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ImageDecodeException("video " + file + (Files.exists(file) ? " is not a regular file" : " does not exist"));
        }
        if (!Files.isReadable(file)) throw new ImageDecodeException("video " + file + " is not readable");
    }

    private static void requirePixelLimit(Path file, VideoInfo info) {
        if (info.pixelsPerFrame() > ImageDecoder.DEFAULT_MAX_PIXELS) {
            throw new ImageDecodeException("video " + file + ": frames of " + info.width() + "x" + info.height() + " = "
                    + info.pixelsPerFrame() + " pixels exceed the limit of " + ImageDecoder.DEFAULT_MAX_PIXELS + " pixels");
        }
    }

    /**
     * The pixels each of {@code nframes} decoded frames may have: Pillow's limit, and at most an equal share of half
     * of {@code maxHeapBytes} ({@link #requireHeap}'s budget). The header's size passed that budget already; this
     * bound holds it when a stream's frames grow past the size its header gives.
     */
    static long framePixelLimit(int nframes, long maxHeapBytes) {
        return Math.min(ImageDecoder.DEFAULT_MAX_PIXELS, maxHeapBytes / 2 / (3L * nframes));
    }

    /** Refuses a sample whose decoded RGB frames would take more than half of {@code maxHeapBytes}. */
    static void requireHeap(Path file, VideoInfo info, int nframes, long maxHeapBytes) {
        long need = (long) nframes * info.pixelsPerFrame() * 3;
        if (need > maxHeapBytes / 2) {
            throw new ImageDecodeException("video " + file + ": decoding " + nframes + " frames of " + info.width() + "x"
                    + info.height() + " needs about " + (need >> 20) + " MiB, more than half the Java heap ("
                    + (maxHeapBytes >> 20) + " MiB); ask for fewer frames (fps or nframes) or give Java more memory (-Xmx)");
        }
    }
}
