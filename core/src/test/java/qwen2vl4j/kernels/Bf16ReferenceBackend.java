package qwen2vl4j.kernels;

import qwen2vl4j.io.DType;
import qwen2vl4j.io.Precision;

/**
 * The plain twin of a bf16 backend: for {@link #MIN_ROWS} or more input rows and bf16 weights, the inputs are rounded
 * to bfloat16 ({@link NativeRowsReference#bf16}, nearest even) and multiplied with the Java kernels in f32, which is
 * what a bf16 × bf16 → f32 matrix unit computes up to the order of its sums (a product of two bf16 values is exact
 * in f32). Fewer rows stay f32, as the onednn backend leaves them to the Java kernels. It measures the precision's
 * cost on any CPU; selected by name ({@code bf16-reference}) in tests only.
 */
public final class Bf16ReferenceBackend implements ComputeBackend {
    public static final String NAME = "bf16-reference";
    public static final Bf16ReferenceBackend INSTANCE = new Bf16ReferenceBackend();
    static final int MIN_ROWS = 4;

    private Bf16ReferenceBackend() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String implementation() {
        return "inputs rounded to bf16, then " + JavaBackend.INSTANCE.implementation();
    }

    @Override
    public Precision precision() {
        return Precision.BF16;
    }

    @Override
    public void gemm(float[] x, int n, Matrix w, float[] bias, float[] out) {
        if (n < MIN_ROWS || w.dtype() != DType.BF16) {
            JavaBackend.INSTANCE.gemm(x, n, w, bias, out);
            return;
        }
        float[] rounded = new float[n * w.cols()];
        for (int i = 0; i < rounded.length; i++) rounded[i] = Float.intBitsToFloat(NativeRowsReference.bf16(x[i]) << 16);
        JavaBackend.INSTANCE.gemm(rounded, n, w, bias, out);
    }

    @Override
    public void gemv(float[] x, Matrix w, float[] bias, float[] out) {
        JavaBackend.INSTANCE.gemv(x, w, bias, out);
    }

    /** Its {@link java.util.ServiceLoader} entry: never chosen by {@code auto}. */
    public static final class Provider implements ComputeBackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public boolean available() {
            return true;
        }

        @Override
        public boolean supports(Precision precision) {
            return precision == Precision.BF16;
        }

        @Override
        public int priority() {
            return -1;
        }

        @Override
        public int priority(Precision precision) {
            return -1;
        }

        @Override
        public ComputeBackend create() {
            throw new IllegalStateException(NAME + " computes in bf16 only");
        }

        @Override
        public ComputeBackend create(Precision precision) {
            return INSTANCE;
        }
    }
}
