package qwen2vl4j;

import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Supplier;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.preprocess.ImageDecodeException;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.ImageSources;
import qwen2vl4j.preprocess.MediaInputException;
import qwen2vl4j.preprocess.RgbImage;
import qwen2vl4j.preprocess.VideoInfo;
import qwen2vl4j.preprocess.VideoSources;
import qwen2vl4j.preprocess.VisionOptions;

/**
 * Decodes the images and videos of chat messages from any {@link MediaSource}: the one place where the library,
 * the command line and the server read media. A failure is a {@link MediaInputException} naming the source.
 *
 * <p>An image is a file, a {@code data:} URI, bytes in memory or a {@code BufferedImage}. A video is one source
 * (a folder of frames, an animated GIF, a video file, or such a file as bytes or a {@code data:} URI) or a list
 * of frame images in order, all frames together within the decoder's pixel limit.
 */
public final class MediaLoader {
    private final ImageDecoder decoder;

    /** A loader decoding with {@code decoder} (whose pixel limit applies to every image and frame list). */
    public MediaLoader(ImageDecoder decoder) {
        this.decoder = decoder;
    }

    /** The decoder's pixel limit. */
    /** The decoder images go through (with its pixel limit). */
    public ImageDecoder decoder() {
        return decoder;
    }

    public long maxPixels() {
        return decoder.maxPixels();
    }

    /** Decodes an image (the first frame of an animation). */
    public RgbImage image(MediaSource source) {
        return guard(source, () -> switch (source) {
            case MediaSource.FileSource f -> decoder.decode(f.path());
            case MediaSource.BytesSource b -> decoder.decode(b.bytes(), b.name());
            case MediaSource.UriSource u -> ImageSources.load(u.uri(), decoder);
            case MediaSource.BufferedImageSource bi -> ImageDecoder.fromBufferedImage(bi.image(), name(bi));
        });
    }

    /**
     * The {@code {width, height}} of an image from its header alone (no pixel decoded), within the decoder's limit.
     */
    public int[] imageSize(MediaSource source) {
        return guard(source, () -> switch (source) {
            case MediaSource.FileSource f -> decoder.size(f.path());
            case MediaSource.BytesSource b -> decoder.size(b.bytes(), b.name());
            case MediaSource.UriSource u -> ImageSources.size(u.uri(), decoder);
            case MediaSource.BufferedImageSource bi -> new int[] {bi.image().getWidth(), bi.image().getHeight()};
        });
    }

    /**
     * Decodes a video: one source, or frame images in order; {@code options} choose the frames of a video file
     * ({@code fps} / {@code nframes}). Errors name the first frame's source, or the frame that failed.
     */
    public VideoSources.VideoInput video(List<MediaSource> frames, VisionOptions options) {
        return video(frames, options, info -> {});
    }

    /**
     * As {@link #video(List, VisionOptions)}; for a video file (one source), {@code beforeDecoding} gets what its
     * probe found before any frame is decoded and may throw to refuse it (what it throws is passed on as it is).
     */
    public VideoSources.VideoInput video(List<MediaSource> frames, VisionOptions options, Consumer<VideoInfo> beforeDecoding) {
        if (frames.isEmpty()) throw new ImageDecodeException("no video given: pass a folder, a GIF, a video file or frame images");
        MediaSource source = frames.get(0);
        if (frames.size() > 1) {
            return guard(source, () -> new VideoSources.VideoInput(
                    VideoSources.decodeFrames(frames, this::image, MediaLoader::name, decoder.maxPixels()), null));
        }
        return guard(source, () -> switch (source) {
            case MediaSource.FileSource f -> VideoSources.load(List.of(f.path().toString()), options, decoder, beforeDecoding);
            case MediaSource.BytesSource b -> VideoSources.load(b.bytes(), name(b), options, decoder, beforeDecoding);
            case MediaSource.UriSource u when u.uri().regionMatches(true, 0, "data:", 0, 5) ->
                    VideoSources.load(ImageSources.dataUriBytes(u.uri()), name(u), options, decoder, beforeDecoding);
            case MediaSource.UriSource u -> throw new ImageDecodeException("video " + name(u)
                    + ": only files and data: URIs are read here; download it and pass its path");
            case MediaSource.BufferedImageSource bi -> new VideoSources.VideoInput(List.of(image(bi)), null);
        });
    }

    /** How messages name {@code source}: its path, its URI (shortened), the name given to its bytes. */
    public static String name(MediaSource source) {
        return switch (source) {
            case MediaSource.FileSource f -> f.path().toString();
            case MediaSource.BytesSource b -> b.name() != null ? b.name() : String.format(Locale.ROOT, "<%d bytes>", b.bytes().length);
            case MediaSource.UriSource u -> ImageSources.shortName(u.uri());
            case MediaSource.BufferedImageSource bi -> "BufferedImage";
        };
    }

    /**
     * Runs a decoding or preprocessing step of {@code source}; its input errors become a {@link MediaInputException}
     * naming the source (one from a step nested inside, e.g. a single frame, is kept as it is).
     */
    static <T> T guard(MediaSource source, Supplier<T> step) {
        try {
            return step.get();
        } catch (MediaInputException | PromptTooLongException e) {
            throw e; // named already, or a budget's refusal (a video's tokens counted from its header), not the medium's
        } catch (ImageDecodeException e) {
            throw new MediaInputException(name(source), e.getMessage(), e);
        } catch (IllegalArgumentException | ArithmeticException e) {
            String name = name(source);
            throw new MediaInputException(name, name + ": " + e.getMessage(), e);
        }
    }
}
