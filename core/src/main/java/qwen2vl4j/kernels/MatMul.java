package qwen2vl4j.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import qwen2vl4j.io.DType;

/**
 * {@code out[n, rows] = x[n, cols] · Wᵀ + bias}, the linear layer of every component.
 * Output rows are split across the shared pool; with several input rows each weight row is
 * widened to float32 once and reused for all of them.
 */
public final class MatMul {
    /** Work below this many multiply-adds stays on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1L << 15;
    private static final int ROW_BLOCK = 16;

    private MatMul() {}

    /**
     * @param x    input rows, {@code [n, w.cols()]} row-major
     * @param bias {@code [w.rows()]} or null
     * @param out  {@code [n, w.rows()]} row-major, overwritten
     */
    public static void matmul(float[] x, int n, Matrix w, float[] bias, float[] out) {
        int rows = w.rows(), cols = w.cols();
        if (x.length < (long) n * cols || out.length < (long) n * rows) {
            throw new IllegalArgumentException("matmul with " + w.name() + " [" + rows + ", " + cols + "]: input holds "
                    + x.length + " values for " + n + " rows, output " + out.length);
        }
        if (bias != null && bias.length != rows) {
            throw new IllegalArgumentException("matmul with " + w.name() + ": bias has " + bias.length + " values, expected " + rows);
        }
        long work = (long) n * rows * cols;
        if (work < PARALLEL_THRESHOLD) {
            rowRange(x, n, w, bias, out, 0, rows);
        } else {
            ForkJoinPool.commonPool().invoke(new Task(x, n, w, bias, out, 0, rows));
        }
    }

    private static final class Task extends RecursiveAction {
        final float[] x, bias, out;
        final int n, from, to;
        final Matrix w;

        Task(float[] x, int n, Matrix w, float[] bias, float[] out, int from, int to) {
            this.x = x; this.n = n; this.w = w; this.bias = bias; this.out = out; this.from = from; this.to = to;
        }

        @Override
        protected void compute() {
            if (to - from <= ROW_BLOCK || (long) (to - from) * n * w.cols() < PARALLEL_THRESHOLD) {
                rowRange(x, n, w, bias, out, from, to);
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Task(x, n, w, bias, out, from, mid), new Task(x, n, w, bias, out, mid, to));
        }
    }

    private static void rowRange(float[] x, int n, Matrix w, float[] bias, float[] out, int from, int to) {
        int rows = w.rows(), cols = w.cols();
        if (n == 1 && w.dtype() == DType.BF16) {
            for (int r = from; r < to; r++) {
                float s = VectorKernels.dotBf16(w.data(), (long) r * cols * 2, x, 0, cols);
                out[r] = s + (bias == null ? 0f : bias[r]);
            }
            return;
        }
        float[] wr = new float[cols];
        for (int r = from; r < to; r++) {
            w.row(r, wr, 0);
            float b = bias == null ? 0f : bias[r];
            for (int i = 0; i < n; i++) {
                out[i * rows + r] = VectorKernels.dot(x, i * cols, wr, 0, cols) + b;
            }
        }
    }

    /** The scalar twin (double accumulation), for tests. */
    public static void matmulScalar(float[] x, int n, Matrix w, float[] bias, float[] out) {
        ScalarKernels.matmul(x, n, w, bias, out);
    }
}
