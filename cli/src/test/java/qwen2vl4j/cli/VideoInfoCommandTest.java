package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code video-info} on a video written here: the CLI finds the video module's decoder service. */
class VideoInfoCommandTest {
    /** 30 grey frames of 56x42 at 15 fps, VP8 in WebM. */
    private static Path writeWebm(Path dir) throws Exception {
        return writeWebm(dir, 30);
    }

    /** {@code frames} grey frames (level 8 × i) of 56x42 at 15 fps, VP8 in WebM. */
    static Path writeWebm(Path dir, int frames) throws Exception {
        Path file = dir.resolve("grey" + frames + ".webm");
        avutil.av_log_set_level(avutil.AV_LOG_QUIET);
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), 56, 42, 0)) {
            recorder.setFormat("webm");
            recorder.setVideoCodecName("libvpx");
            recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
            recorder.setFrameRate(15);
            recorder.start();
            for (int i = 0; i < frames; i++) {
                Frame f = new Frame(56, 42, Frame.DEPTH_UBYTE, 3);
                ByteBuffer buf = (ByteBuffer) f.image[0];
                while (buf.hasRemaining()) buf.put((byte) (i * 8));
                recorder.record(f, avutil.AV_PIX_FMT_RGB24);
            }
            recorder.stop();
        }
        return file;
    }

    @Test
    void printsTheFileTheSampleAndTheGrid(@TempDir Path dir) throws Exception {
        Path file = writeWebm(dir);
        CliRun r = CliRun.of("video-info", file.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().contains("30 frames, 15.000 fps, 56x42, 2.00 s"), r.stdout());
        // 2 s at 2 fps = 4 frames from linspace(0, 29, 4).round()
        assertTrue(r.stdout().contains("4 frames (2.000 fps): [0, 10, 19, 29]"), r.stdout());
        assertTrue(r.stdout().contains("grid:    2x"), r.stdout());

        CliRun n = CliRun.of("video-info", "--nframes", "6", file.toString());
        assertEquals(0, n.exitCode(), n.stderr());
        assertTrue(n.stdout().contains("6 frames (3.000 fps): [0, 6, 12, 17, 23, 29]"), n.stdout());
    }

    @Test
    void aFileThatIsNoVideoFailsWithOneLine(@TempDir Path dir) throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.mp4"), "not a video at all");
        CliRun r = CliRun.of("video-info", junk.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.stderr().startsWith("qwen2vl4j: video " + junk + " could not be read by FFmpeg"), r.stderr());
        assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
    }

    /** Bad sampling and pixel flags are refused by name before the file is opened (here it does not even exist). */
    @Test
    void badFlagsAreRefusedBeforeTheFileIsRead(@TempDir Path dir) {
        String file = dir.resolve("none.mp4").toString();
        String[][] cases = {
                {"--fps must be in (0, 60], got NaN", "--fps", "NaN"},
                {"--fps must be in (0, 60], got 1.0E9", "--fps", "1e9"},
                {"--nframes must be in [2, 768], got 0", "--nframes", "0"},
                {"--nframes must be in [2, 768], got 99999", "--nframes", "99999"},
                {"--min-pixels must be in [784, ", "--min-pixels", "-1"},
                {"--max-pixels must be in [784, ", "--max-pixels", "100000000000000"},
                {"--min-pixels 9000 is larger than --max-pixels 8000", "--min-pixels", "9000", "--max-pixels", "8000"}};
        for (String[] c : cases) {
            String[] args = new String[c.length + 1];
            args[0] = "video-info";
            System.arraycopy(c, 1, args, 1, c.length - 1);
            args[c.length] = file;
            CliRun r = CliRun.of(args);
            assertEquals(1, r.exitCode(), r.stderr());
            assertTrue(r.stderr().startsWith("qwen2vl4j: " + c[0]), r.stderr());
        }
    }
}
