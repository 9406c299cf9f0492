package qwen2vl4j.video;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import qwen2vl4j.generate.GenerationProgress;
import qwen2vl4j.preprocess.ImageDecodeException;
import qwen2vl4j.preprocess.RgbImage;
import qwen2vl4j.preprocess.VideoFileDecoder;
import qwen2vl4j.preprocess.VideoFiles;
import qwen2vl4j.preprocess.VideoInfo;

/**
 * Decodes video files with FFmpeg (through JavaCV's {@link FFmpegFrameGrabber}): the first video stream, frames
 * read in order from the start (no seeking, so the frame numbers are exact), converted to RGB24, only the asked
 * frames kept, reading stopped after the last one. Registered as the {@link VideoFileDecoder} service of the
 * {@code qwen2vl4j-video} module.
 */
public final class FfmpegVideoDecoder implements VideoFileDecoder {
    /** Frames read between two {@link GenerationProgress} reports. */
    static final int PROGRESS_FRAMES = 16;

    /** Public for {@link java.util.ServiceLoader}. */
    public FfmpegVideoDecoder() {}

    /** Every name {@link VideoFiles#isVideoFile} takes for a video: FFmpeg reads all of those containers. */
    @Override
    public boolean canDecode(Path file) {
        return VideoFiles.isVideoFile(file);
    }

    /**
     * The frame count is the stream header's when it has one (MP4, MOV), otherwise the number of the stream's
     * packets (WebM, MKV); the frame rate is the stream's average rate.
     */
    @Override
    public VideoInfo probe(Path file) {
        try (FFmpegFrameGrabber grabber = open(file)) {
            int width = grabber.getImageWidth(), height = grabber.getImageHeight();
            if (width <= 0 || height <= 0) {
                throw new ImageDecodeException("video " + file + ": its video stream has no frame size (" + width + "x" + height + ")");
            }
            AVFormatContext oc = grabber.getFormatContext();
            AVStream stream = oc.streams(grabber.getVideoStream());
            long frames = stream.nb_frames() > 0 ? stream.nb_frames() : countPackets(grabber, file);
            if (frames > Integer.MAX_VALUE) throw new ImageDecodeException("video " + file + " claims " + frames + " frames, too many");
            double seconds = oc.duration() == avutil.AV_NOPTS_VALUE ? Double.NaN : oc.duration() / (double) avutil.AV_TIME_BASE;
            double fps = frameRate(grabber.getVideoFrameRate(), frames, seconds, file);
            if (!(seconds >= 0)) seconds = frames / fps;
            return new VideoInfo((int) frames, fps, width, height, seconds);
        } catch (FrameGrabber.Exception e) {
            throw unreadable(file, e);
        }
    }

    @Override
    public List<RgbImage> decodeFrames(Path file, int[] frameIndices, long maxPixelsPerFrame) {
        int[] wanted = distinctSorted(frameIndices);
        Map<Integer, RgbImage> decoded = new HashMap<>();
        int seen = decodePass(file, wanted, maxPixelsPerFrame, decoded);
        if (seen == 0) throw new ImageDecodeException("video " + file + " has no decodable video frames");
        if (decoded.size() < wanted.length) {
            // the stream ended before some asked frames (its header over-counts): they get its last frame
            int last = seen - 1;
            if (!decoded.containsKey(last)) decodePass(file, new int[] {last}, maxPixelsPerFrame, decoded);
            RgbImage lastFrame = decoded.get(last);
            if (lastFrame == null) throw new ImageDecodeException("video " + file + ": frame " + last + " could not be decoded again");
            for (int i : wanted) decoded.putIfAbsent(i, lastFrame);
        }
        List<RgbImage> out = new ArrayList<>(frameIndices.length);
        for (int i : frameIndices) out.add(decoded.get(i));
        return out;
    }

    /**
     * Reads frames from the start until the last of {@code wanted} (sorted, distinct) or the end of the stream,
     * converting only the wanted ones into {@code into}. Each frame is grabbed once, so this ends after at most
     * {@code wanted[last] + 1} grabs, reported as {@link GenerationProgress.Stage#VIDEO} progress. Returns the number of
     * frames read.
     */
    private static int decodePass(Path file, int[] wanted, long maxPixelsPerFrame, Map<Integer, RgbImage> into) {
        try (FFmpegFrameGrabber grabber = open(file)) {
            requirePixels(file, grabber.getImageWidth(), grabber.getImageHeight(), maxPixelsPerFrame);
            int next = 0, index = 0, total = wanted[wanted.length - 1] + 1;
            // a listener may show this or stop it by throwing (a server's time limit); the grabber is closed either way
            GenerationProgress.report(GenerationProgress.Stage.VIDEO, 0, total, 0);
            for (; index < total; index++) {
                if (index > 0 && index % PROGRESS_FRAMES == 0) GenerationProgress.report(GenerationProgress.Stage.VIDEO, index, total, 0);
                boolean keep = index == wanted[next];
                Frame frame = grabber.grabFrame(false, true, keep, false, false);
                if (frame == null) break;
                if (keep) {
                    long pixels = (long) frame.imageWidth * frame.imageHeight;
                    if (pixels > maxPixelsPerFrame) {
                        // the stream's frames grew past the size its header gave (checked above)
                        throw new ImageDecodeException("video " + file + ": frame " + index + " is " + frame.imageWidth + "x"
                                + frame.imageHeight + " = " + pixels + " pixels, more than its stream's header gave and over the"
                                + " limit of " + maxPixelsPerFrame + " pixels");
                    }
                    into.put(index, toRgb(frame, file, index));
                    next++;
                }
            }
            GenerationProgress.report(GenerationProgress.Stage.VIDEO, total, total, 0);
            return index;
        } catch (FrameGrabber.Exception e) {
            throw unreadable(file, e);
        }
    }

    /** A started grabber on the first video stream of {@code file}, converting to RGB24. */
    private static FFmpegFrameGrabber open(Path file) throws FrameGrabber.Exception {
        if (!Files.isRegularFile(file)) {
            throw new ImageDecodeException("video " + file + (Files.exists(file) ? " is not a regular file" : " does not exist"));
        }
        FfmpegNatives.ensureLoaded(file);
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile());
        grabber.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
        try {
            grabber.start();
            if (!grabber.hasVideo()) throw new ImageDecodeException("video " + file + " has no video stream");
            return grabber;
        } catch (FrameGrabber.Exception e) {
            grabber.close();
            // JavaCV's words for a container without audio or video streams (an MP4 written with no frames has none)
            if (String.valueOf(e.getMessage()).startsWith("Did not find a video or audio stream")) {
                throw new ImageDecodeException("video " + file + " has no video stream");
            }
            throw e;
        } catch (RuntimeException e) {
            grabber.close();
            throw e;
        }
    }

    /** The number of packets of the video stream, read without decoding. */
    private static long countPackets(FFmpegFrameGrabber grabber, Path file) throws FrameGrabber.Exception {
        int stream = grabber.getVideoStream();
        long count = 0;
        for (AVPacket pkt; (pkt = grabber.grabPacket()) != null; ) {
            if (pkt.stream_index() == stream) count++;
            avcodec.av_packet_unref(pkt);
        }
        return count;
    }

    /** The header's average frame rate, or frames / seconds when the header has none. */
    private static double frameRate(double headerFps, long frames, double seconds, Path file) {
        if (headerFps > 0 && !Double.isInfinite(headerFps)) return headerFps;
        if (frames > 0 && seconds > 0) return frames / seconds;
        if (frames == 0) return 1; // an empty stream: the frame rate is never used
        throw new ImageDecodeException("video " + file + ": its video stream gives no frame rate");
    }

    private static void requirePixels(Path file, int width, int height, long maxPixels) {
        if ((long) width * height > maxPixels) {
            throw new ImageDecodeException("video " + file + ": frames of " + width + "x" + height + " = " + (long) width * height
                    + " pixels exceed the limit of " + maxPixels + " pixels");
        }
    }

    /** Copies a grabbed RGB24 frame (rows may be padded to its stride) into a packed {@link RgbImage}. */
    private static RgbImage toRgb(Frame frame, Path file, int index) {
        if (frame.image == null || !(frame.image[0] instanceof ByteBuffer buf) || frame.imageDepth != Frame.DEPTH_UBYTE) {
            throw new ImageDecodeException("video " + file + ": frame " + index + " was not converted to 8-bit RGB");
        }
        int w = frame.imageWidth, h = frame.imageHeight, stride = frame.imageStride, row = w * 3;
        if (stride < row || buf.limit() < (long) stride * (h - 1) + row) {
            throw new ImageDecodeException("video " + file + ": frame " + index + " has an RGB buffer of " + buf.limit()
                    + " bytes with stride " + stride + ", too small for " + w + "x" + h);
        }
        byte[] rgb = new byte[row * h];
        for (int y = 0; y < h; y++) buf.get(y * stride, rgb, y * row, row);
        return new RgbImage(w, h, rgb);
    }

    private static int[] distinctSorted(int[] indices) {
        if (indices == null || indices.length == 0) throw new IllegalArgumentException("no frame indices given");
        int[] sorted = Arrays.stream(indices).sorted().distinct().toArray();
        if (sorted[0] < 0) throw new IllegalArgumentException("frame indices must not be negative, found " + sorted[0]);
        return sorted;
    }

    private static ImageDecodeException unreadable(Path file, Exception e) {
        return new ImageDecodeException("video " + file + " could not be read by FFmpeg: " + FfmpegNatives.describe(e), e);
    }
}
