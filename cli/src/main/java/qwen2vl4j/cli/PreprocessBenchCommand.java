package qwen2vl4j.cli;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.Patchify;
import qwen2vl4j.preprocess.PillowResize;
import qwen2vl4j.preprocess.PixelValues;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.preprocess.RgbImage;
import qwen2vl4j.preprocess.SmartResize;

/**
 * {@code preprocess-bench}: times the image pipeline on one thread on a synthetic photo-sized JPEG
 * (deterministic noise and gradients, encoded in memory): decode, smart_resize, Pillow resize, patchify.
 */
@Command(name = "preprocess-bench", mixinStandardHelpOptions = true,
        description = "Time image decode + smart_resize + Pillow bicubic resize + patchify on a synthetic JPEG (one thread).")
public final class PreprocessBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--width", defaultValue = "4032", description = "synthetic image width (default ${DEFAULT-VALUE})")
    int width;

    @Option(names = "--height", defaultValue = "3024", description = "synthetic image height (default ${DEFAULT-VALUE})")
    int height;

    @Option(names = "--runs", defaultValue = "10", description = "timed runs (default ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--warmup", defaultValue = "5", description = "untimed warm-up runs (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--max-pixels", split = ",", defaultValue = "12845056,1003520",
            description = "pixel budgets to time, comma-separated (default ${DEFAULT-VALUE}: the model's, and 1280 tokens)")
    long[] budgets;

    @Override
    public Integer call() throws IOException {
        if (runs <= 0 || warmup < 0 || width <= 0 || height <= 0) {
            throw new IllegalArgumentException("--runs, --width and --height must be positive and --warmup not negative");
        }
        var out = spec.commandLine().getOut();
        byte[] jpeg = syntheticJpeg(width, height);
        out.printf("synthetic %dx%d JPEG, %d bytes; %d warm-up + %d timed runs, one thread%n", width, height, jpeg.length, warmup, runs);
        PreprocessorConfig base = PreprocessorConfig.QWEN2_VL;
        ImageDecoder decoder = new ImageDecoder();
        for (long budget : budgets) {
            PreprocessorConfig cfg = base.withPixels(Math.min(base.minPixels(), budget), budget);
            double[][] times = new double[4][runs];
            int[] size = null;
            PixelValues pv = null;
            for (int r = -warmup; r < runs; r++) {
                long t0 = System.nanoTime();
                RgbImage img = decoder.decode(jpeg, "synthetic.jpg");
                long t1 = System.nanoTime();
                size = SmartResize.smartResize(img.height(), img.width(), cfg.factor(), cfg.minPixels(), cfg.maxPixels());
                long t2 = System.nanoTime();
                RgbImage resized = PillowResize.resizeBicubic(img, size[1], size[0]);
                long t3 = System.nanoTime();
                pv = Patchify.image(resized, cfg);
                long t4 = System.nanoTime();
                if (r >= 0) {
                    times[0][r] = (t1 - t0) / 1e6;
                    times[1][r] = (t2 - t1) / 1e6;
                    times[2][r] = (t3 - t2) / 1e6;
                    times[3][r] = (t4 - t3) / 1e6;
                }
            }
            double total = 0;
            for (double[] t : times) total += median(t);
            out.printf("max_pixels %d: %dx%d -> %dx%d, %d patches%n", budget, width, height, size[1], size[0], pv.rows());
            out.printf("  median ms: decode %.1f, smart_resize %.3f, resize %.1f, patchify %.1f, total %.1f%n",
                    median(times[0]), median(times[1]), median(times[2]), median(times[3]), total);
        }
        out.flush();
        return 0;
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Smooth gradients, a few discs and per-pixel noise, from a fixed seed; encoded with ImageIO's JPEG writer. */
    static byte[] syntheticJpeg(int width, int height) throws IOException {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] data = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
        SplittableRandom rnd = new SplittableRandom(42);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int noise = rnd.nextInt(33) - 16;
                int r = 255 * x / width + noise;
                int g = 255 * y / height + noise;
                int b = (int) (127 + 100 * Math.sin((x + y) * 0.01)) + noise;
                int cx = x % 512 - 256, cy = y % 512 - 256;
                if (cx * cx + cy * cy < 150 * 150) {
                    r = 255 - r;
                    b = 255 - b;
                }
                int p = (y * width + x) * 3;
                data[p] = (byte) Math.clamp(b, 0, 255);
                data[p + 1] = (byte) Math.clamp(g, 0, 255);
                data[p + 2] = (byte) Math.clamp(r, 0, 255);
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "jpeg", bytes)) throw new IOException("no JPEG writer available");
        return bytes.toByteArray();
    }
}
