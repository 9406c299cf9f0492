package qwen2vl4j.preprocess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Loads video input: a list of frame image files (used as given), a folder of frame images (sorted by
 * file name), one animated GIF (all frames, with the frame rate from its delays), or one video file
 * (MP4, WebM, ..., through {@link VideoFiles}, which needs the optional video module), from a path or from memory.
 */
public final class VideoSources {
    private static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff");

    private VideoSources() {}

    /**
     * Decoded video input.
     *
     * @param frames the frames
     * @param fps the frame rate when the source is a real video (an animated GIF), {@code null} for frames
     *            given as a list of images, which are used without sampling
     */
    public record VideoInput(List<RgbImage> frames, Double fps, SampledVideo sampled) {
        public VideoInput(List<RgbImage> frames, Double fps) {
            this(frames, fps, null);
        }

        /** Frames already sampled from a video file by {@link VideoFiles}. */
        public static VideoInput of(SampledVideo sampled) {
            return new VideoInput(sampled.frames(), sampled.info().fps(), sampled);
        }

        /** The LLM tokens {@link #process} would make, computed from the frame sizes before any resizing. */
        public long tokenCount(VideoProcessor processor, VisionOptions options) {
            if (sampled != null) {
                VisionOptions o = options == null ? VisionOptions.DEFAULT : options;
                VisionOptions all = new VisionOptions(o.minPixels(), o.maxPixels(), o.resizedHeight(), o.resizedWidth(), null, frames.size());
                return processor.videoTokens(frames.size(), frames.get(0).height(), frames.get(0).width(), sampled.info().fps(), all);
            }
            if (fps == null) {
                List<int[]> sizes = new ArrayList<>(frames.size());
                for (RgbImage f : frames) sizes.add(new int[] {f.height(), f.width()});
                return processor.frameListTokens(sizes, options);
            }
            return processor.videoTokens(frames.size(), frames.get(0).height(), frames.get(0).width(), fps, options);
        }

        /** Processes these frames with {@code processor}: sampled if they come from a video, as given otherwise. */
        public PixelValues process(VideoProcessor processor, VisionOptions options) {
            if (sampled != null) return sampled.process(processor, options);
            return fps == null ? processor.processFrameList(frames, options) : processor.processVideo(frames, fps, options);
        }
    }

    /** Loads with the default decoder. */
    public static VideoInput load(List<String> sources) {
        return load(sources, new ImageDecoder());
    }

    /**
     * Loads one folder, one animated GIF, or a list of frame files.
     *
     * @throws ImageDecodeException for an empty list or folder, a video file, or a frame that cannot be decoded
     */
    public static VideoInput load(List<String> sources, ImageDecoder decoder) {
        return load(sources, VisionOptions.DEFAULT, decoder);
    }

    /**
     * Loads one folder, one animated GIF, one video file (through the optional video module, sampled by
     * {@code options}' fps / nframes as qwen-vl-utils does), or a list of frame files.
     *
     * @throws ImageDecodeException for an empty list or folder, or a frame or file that cannot be decoded
     */
    public static VideoInput load(List<String> sources, VisionOptions options, ImageDecoder decoder) {
        return load(sources, options, decoder, info -> {});
    }

    /**
     * As {@link #load(List, VisionOptions, ImageDecoder)}; a video file's probe is given to {@code beforeDecoding}
     * before its frames are decoded ({@link VideoFiles#load(Path, VisionOptions, VideoFileDecoder, Consumer)}).
     */
    public static VideoInput load(List<String> sources, VisionOptions options, ImageDecoder decoder, Consumer<VideoInfo> beforeDecoding) {
        if (sources == null || sources.isEmpty()) throw new ImageDecodeException("no video given: pass a folder, a GIF or frame files");
        if (sources.size() == 1) {
            Path p = ImageSources.toPath(sources.get(0));
            if (Files.isDirectory(p)) return new VideoInput(decodeAll(framesInFolder(p), decoder), null);
            if (VideoFiles.isVideoFile(p)) return VideoInput.of(VideoFiles.load(p, options, beforeDecoding));
            if (extension(p).equals("gif")) return animation(decoder.decodeAnimation(p));
            checkFrameImage(p); // else one frame image: a one-frame video
        }
        List<Path> files = new ArrayList<>();
        for (String s : sources) files.add(ImageSources.toPath(s));
        return new VideoInput(decodeAll(files, decoder), null);
    }

    /**
     * Checks, without decoding a frame, that {@code file} is what {@link #load(List, VisionOptions, ImageDecoder)}
     * takes as one video: a folder holding frame images, a video file or GIF that exists, or a frame image (e.g. for
     * a chat that attaches a video before the message it goes with).
     *
     * @throws ImageDecodeException with the message {@code load} would give
     */
    public static void check(Path file) {
        if (Files.isDirectory(file)) {
            framesInFolder(file);
        } else if (VideoFiles.isVideoFile(file) || extension(file).equals("gif")) {
            if (!Files.isRegularFile(file)) throw new ImageDecodeException("video " + file + " does not exist");
        } else {
            checkFrameImage(file);
        }
    }

    private static void checkFrameImage(Path p) {
        if (!Files.exists(p)) throw new ImageDecodeException("video " + p + " does not exist");
        if (!ImageDecoder.isImageFile(p)) {
            throw new ImageDecodeException("video " + p + " is not a folder of frames, a video file ("
                    + String.join(", ", VideoFiles.VIDEO_EXTENSIONS.stream().sorted().toList()) + "), an animated GIF or a frame image");
        }
    }

    /**
     * Loads one video file held in memory (e.g. a {@code data:} URL's payload): an MP4 / MOV / WebM / AVI file,
     * recognised by its first bytes and sampled by {@code options} as {@link VideoFiles} does, or an animated GIF
     * (all frames, with its frame rate), or a single image (a one-frame video); {@code name} names it in errors. A
     * video file's probe goes to {@code beforeDecoding} before its frames are decoded, as in
     * {@link #load(List, VisionOptions, ImageDecoder, Consumer)}.
     *
     * @throws ImageDecodeException when the bytes are none of these or cannot be decoded
     */
    public static VideoInput load(byte[] bytes, String name, VisionOptions options, ImageDecoder decoder, Consumer<VideoInfo> beforeDecoding) {
        if (bytes == null || bytes.length == 0) throw new ImageDecodeException("video " + name + " is empty (0 bytes)");
        if (VideoFiles.sniffContainer(bytes) != null) return VideoInput.of(VideoFiles.load(bytes, name, options, beforeDecoding));
        if (!ImageDecoder.isImage(bytes)) {
            throw new ImageDecodeException("video " + name + " is not a video file (MP4, MOV, WebM, MKV or AVI), an animated GIF"
                    + " or a frame image (first bytes " + ImageDecoder.firstBytes(bytes) + ")");
        }
        return animation(decoder.decodeAnimation(bytes, name));
    }

    /** An animation with several frames is a video at its frame rate (10 fps when it has none); one frame is a frame list. */
    private static VideoInput animation(ImageDecoder.Animation a) {
        if (a.frames().size() > 1) return new VideoInput(a.frames(), Double.isNaN(a.fps()) ? 10.0 : a.fps());
        return new VideoInput(a.frames(), null);
    }

    /**
     * Decodes the frames of a video given frame by frame, in order, refusing the list once its frames together hold
     * more than {@code maxPixels} pixels (as one image of that size would be refused).
     *
     * @param decode decodes one frame
     * @param name   names a frame in the error message
     * @throws ImageDecodeException naming the frame where the limit is passed
     */
    public static <T> List<RgbImage> decodeFrames(List<T> frames, Function<? super T, RgbImage> decode,
                                                  Function<? super T, String> name, long maxPixels) {
        List<RgbImage> out = new ArrayList<>(frames.size());
        long pixels = 0;
        for (T f : frames) {
            RgbImage img = decode.apply(f);
            pixels += (long) img.width() * img.height();
            if (pixels > maxPixels) {
                throw new ImageDecodeException("video frames up to " + name.apply(f) + " hold " + pixels + " pixels, more than the limit of "
                        + maxPixels);
            }
            out.add(img);
        }
        return out;
    }

    /** The image files of a folder, sorted by name; hidden files are skipped. */
    public static List<Path> framesInFolder(Path folder) {
        List<Path> files;
        try (Stream<Path> list = Files.list(folder)) {
            files = list.filter(Files::isRegularFile)
                    .filter(f -> !f.getFileName().toString().startsWith("."))
                    .filter(f -> IMAGE_EXTENSIONS.contains(extension(f)))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new ImageDecodeException("video folder " + folder + " cannot be listed: " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new ImageDecodeException("video folder " + folder + " holds no frame images (" + String.join(", ", IMAGE_EXTENSIONS) + ")");
        }
        return files;
    }

    private static List<RgbImage> decodeAll(List<Path> files, ImageDecoder decoder) {
        return decodeFrames(files, decoder::decode, Path::toString, decoder.maxPixels());
    }

    private static String extension(Path p) {
        String n = p.getFileName() == null ? "" : p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
