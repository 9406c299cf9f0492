package qwen2vl4j.preprocess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Loads video input: a list of frame image files (used as given), a folder of frame images (sorted by
 * file name), or one animated GIF (all frames, with the frame rate from its delays). Video files
 * (MP4, WebM, ...) need a video decoder, which this class does not have.
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
        if (sources == null || sources.isEmpty()) throw new ImageDecodeException("no video given: pass a folder, a GIF or frame files");
        if (sources.size() == 1) {
            Path p = ImageSources.toPath(sources.get(0));
            if (Files.isDirectory(p)) return new VideoInput(decodeAll(framesInFolder(p), decoder), null);
            String ext = extension(p);
            if (VideoFiles.isVideoFile(p)) return VideoInput.of(VideoFiles.load(p, options));
            if (ext.equals("gif")) {
                ImageDecoder.Animation a = decoder.decodeAnimation(p);
                if (a.frames().size() > 1) {
                    double fps = Double.isNaN(a.fps()) ? 10.0 : a.fps();
                    return new VideoInput(a.frames(), fps);
                }
                return new VideoInput(a.frames(), null);
            }
        }
        List<Path> files = new ArrayList<>();
        for (String s : sources) files.add(ImageSources.toPath(s));
        return new VideoInput(decodeAll(files, decoder), null);
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
        List<RgbImage> frames = new ArrayList<>(files.size());
        long pixels = 0;
        for (Path f : files) {
            RgbImage img = decoder.decode(f);
            pixels += (long) img.width() * img.height();
            if (pixels > decoder.maxPixels()) {
                throw new ImageDecodeException("video frames up to " + f + " hold " + pixels + " pixels, more than the limit of "
                        + decoder.maxPixels());
            }
            frames.add(img);
        }
        return frames;
    }

    private static String extension(Path p) {
        String n = p.getFileName() == null ? "" : p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
