package qwen2vl4j.cli.bench;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
 * Prints the median wall time and, where the JVM measures it, the median CPU time of the thread per stage
 * (the CPU time is the better figure on a machine shared with other work).
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
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            boolean cpu = threads.isCurrentThreadCpuTimeSupported();
            double[][] wall = new double[4][runs];
            double[][] cpuMs = new double[4][runs];
            int[] size = null;
            PixelValues pv = null;
            long[] w = new long[5], c = new long[5];
            for (int r = -warmup; r < runs; r++) {
                mark(threads, cpu, w, c, 0);
                RgbImage img = decoder.decode(jpeg, "synthetic.jpg");
                mark(threads, cpu, w, c, 1);
                size = SmartResize.smartResize(img.height(), img.width(), cfg.factor(), cfg.minPixels(), cfg.maxPixels());
                mark(threads, cpu, w, c, 2);
                RgbImage resized = PillowResize.resizeBicubic(img, size[1], size[0]);
                mark(threads, cpu, w, c, 3);
                pv = Patchify.image(resized, cfg);
                mark(threads, cpu, w, c, 4);
                if (r >= 0) {
                    for (int s = 0; s < 4; s++) {
                        wall[s][r] = (w[s + 1] - w[s]) / 1e6;
                        cpuMs[s][r] = (c[s + 1] - c[s]) / 1e6;
                    }
                }
            }
            out.printf("max_pixels %d: %dx%d -> %dx%d, %d patches%n", budget, width, height, size[1], size[0], pv.rows());
            out.println(row("  median wall ms:", wall));
            if (cpu) out.println(row("  median CPU ms: ", cpuMs));
        }
        out.flush();
        return 0;
    }

    private static void mark(ThreadMXBean threads, boolean cpu, long[] wall, long[] cpuNanos, int i) {
        wall[i] = System.nanoTime();
        cpuNanos[i] = cpu ? threads.getCurrentThreadCpuTime() : 0;
    }

    private static String row(String label, double[][] stages) {
        double total = 0;
        for (double[] t : stages) total += median(t);
        return String.format("%s decode %.1f, smart_resize %.3f, resize %.1f, patchify %.1f, total %.1f", label,
                median(stages[0]), median(stages[1]), median(stages[2]), median(stages[3]), total);
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
