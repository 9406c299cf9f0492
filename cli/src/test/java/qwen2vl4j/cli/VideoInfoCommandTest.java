package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code video-info} on a video written here: the CLI finds the video module's decoder service. */
class VideoInfoCommandTest {
    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** 30 grey frames of 56x42 at 15 fps, VP8 in WebM. */
    private static Path writeWebm(Path dir) throws Exception {
        Path file = dir.resolve("grey.webm");
        avutil.av_log_set_level(avutil.AV_LOG_QUIET);
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toFile(), 56, 42, 0)) {
            recorder.setFormat("webm");
            recorder.setVideoCodecName("libvpx");
            recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
            recorder.setFrameRate(15);
            recorder.start();
            for (int i = 0; i < 30; i++) {
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
        Run r = run("video-info", file.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("30 frames, 15.000 fps, 56x42, 2.00 s"), r.out());
        // 2 s at 2 fps = 4 frames from linspace(0, 29, 4).round()
        assertTrue(r.out().contains("4 frames (2.000 fps): [0, 10, 19, 29]"), r.out());
        assertTrue(r.out().contains("grid:    2x"), r.out());

        Run n = run("video-info", "--nframes", "6", file.toString());
        assertEquals(0, n.exit(), n.err());
        assertTrue(n.out().contains("6 frames (3.000 fps): [0, 6, 12, 17, 23, 29]"), n.out());
    }

    @Test
    void aFileThatIsNoVideoFailsWithOneLine(@TempDir Path dir) throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.mp4"), "not a video at all");
        Run r = run("video-info", junk.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("qwen2vl4j: video " + junk + " could not be read by FFmpeg"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
