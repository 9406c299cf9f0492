package qwen2vl4j.video;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import qwen2vl4j.preprocess.RgbImage;

/**
 * Writes small test videos with FFmpeg: frame {@code i} is a solid colour of its own ({@link #colour}) with a
 * black square in its top left corner ({@link #SQUARE} pixels wide).
 */
final class TestVideos {
    static final int WIDTH = 64, HEIGHT = 48, SQUARE = 16;

    /** A container format and the encoder to use in it. */
    record Format(String extension, String container, String encoder, Map<String, String> encoderOptions) {}

    static final Format MP4_H264 = new Format("mp4", "mp4", "libopenh264", Map.of());
    static final Format WEBM_VP8 = new Format("webm", "webm", "libvpx", Map.of("crf", "4"));
    /** MPEG-4 part 2 with B-frames, so the decoder must reorder and flush frames. */
    static final Format MOV_MPEG4_BFRAMES = new Format("mov", "mov", "mpeg4", Map.of("bf", "2"));

    /** MPEG-4 part 2 in AVI: this container keeps a video stream even when no frame is written. */
    static final Format AVI_MPEG4 = new Format("avi", "avi", "mpeg4", Map.of());

    private TestVideos() {}

    /**
     * The background colour of frame {@code i}: levels 40, 125, 210 per channel, so frames 0..26 all differ by at
     * least 85 in some channel.
     */
    static int[] colour(int i) {
        return new int[] {40 + 85 * (i % 3), 40 + 85 * (i / 3 % 3), 40 + 85 * (i / 9 % 3)};
    }

    /** Source frame {@code i} as RGB. */
    static RgbImage frame(int i) {
        int[] c = colour(i);
        byte[] rgb = new byte[WIDTH * HEIGHT * 3];
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                boolean square = x < SQUARE && y < SQUARE;
                for (int ch = 0; ch < 3; ch++) rgb[(y * WIDTH + x) * 3 + ch] = (byte) (square ? 0 : c[ch]);
            }
        }
        return new RgbImage(WIDTH, HEIGHT, rgb);
    }

    /** Encodes {@code frames} frames at {@code fps} into {@code dir/name.ext}. */
    static Path write(Path dir, String name, Format format, int frames, double fps) throws Exception {
        Path file = dir.resolve(name + "." + format.extension());
        avutil.av_log_set_level(avutil.AV_LOG_QUIET); // the encoders' banners
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), WIDTH, HEIGHT, 0)) {
            recorder.setFormat(format.container());
            recorder.setVideoCodecName(format.encoder());
            recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
            recorder.setFrameRate(fps);
            recorder.setVideoBitrate(2_000_000);
            recorder.setGopSize(8);
            format.encoderOptions().forEach(recorder::setVideoOption);
            recorder.start();
            for (int i = 0; i < frames; i++) recorder.record(toFrame(frame(i)), avutil.AV_PIX_FMT_RGB24);
            recorder.stop();
        }
        return file;
    }

    private static Frame toFrame(RgbImage image) {
        Frame f = new Frame(image.width(), image.height(), Frame.DEPTH_UBYTE, 3);
        ByteBuffer buf = (ByteBuffer) f.image[0];
        int row = image.width() * 3;
        for (int y = 0; y < image.height(); y++) buf.put(y * f.imageStride, image.rgb(), y * row, row);
        return f;
    }

    /** Mean of channel {@code ch} over the rectangle {@code [x0, x1) x [y0, y1)}. */
    static double mean(RgbImage image, int ch, int x0, int y0, int x1, int y1) {
        double sum = 0;
        for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) sum += image.sample(x, y, ch);
        return sum / ((x1 - x0) * (y1 - y0));
    }

    /** The mean background colour of a decoded frame, away from the square's edges. */
    static double[] background(RgbImage image) {
        double[] c = new double[3];
        for (int ch = 0; ch < 3; ch++) c[ch] = mean(image, ch, WIDTH / 2, HEIGHT / 2, WIDTH, HEIGHT);
        return c;
    }

    /** The source frame (of {@code frames}) whose colour is nearest to {@code image}'s background. */
    static int nearestFrame(RgbImage image, int frames) {
        double[] bg = background(image);
        int best = -1;
        double bestDist = Double.MAX_VALUE;
        for (int i = 0; i < frames; i++) {
            int[] c = colour(i);
            double d = 0;
            for (int ch = 0; ch < 3; ch++) d += Math.abs(bg[ch] - c[ch]);
            if (d < bestDist) {
                bestDist = d;
                best = i;
            }
        }
        return best;
    }
}
