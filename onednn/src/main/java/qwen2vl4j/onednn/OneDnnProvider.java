package qwen2vl4j.onednn;

import qwen2vl4j.io.Precision;
import qwen2vl4j.kernels.ComputeBackend;
import qwen2vl4j.kernels.ComputeBackendProvider;

/**
 * Registers the {@code onednn} backend with the compute seam ({@code META-INF/services}). It is available where
 * oneDNN's library for this platform loads; {@code auto} chooses it for {@link Precision#BF16} where oneDNN has a
 * bf16 matrix product on this CPU (not its slow reference code), and it computes in {@link Precision#F32} only when
 * asked for by name ({@code --backend onednn}), since the Java kernels are the f32 reference.
 */
public final class OneDnnProvider implements ComputeBackendProvider {
    /** The name it is selected by. */
    public static final String NAME = "onednn";
    /** Its rank for {@code auto} at bf16, above the built-in {@code java} (0). */
    private static final int BF16_PRIORITY = 10;
    /** The shape whose implementation tells whether a precision has a real kernel here (a prefill-sized product). */
    private static final int PROBE_M = 64, PROBE_K = 256, PROBE_N = 256;

    /** What loading found, once per JVM. */
    private record State(Matmuls matmuls, String library, String f32, String bf16, String error) {}

    private static volatile State state;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean available() {
        return state().error() == null;
    }

    @Override
    public String unavailableReason() {
        return state().error();
    }

    @Override
    public boolean supports(Precision precision) {
        State s = state();
        return s.error() == null && (precision == Precision.F32 ? s.f32() : s.bf16()) != null;
    }

    @Override
    public String unsupportedReason(Precision precision) {
        State s = state();
        if (s.error() != null) return s.error();
        return s.library() + " on this CPU"
                + (precision == Precision.BF16 ? "; bf16 needs AVX512-BF16, AMX or AVX-NE-CONVERT (x86) or BF16 (Arm)" : "");
    }

    /** Not chosen by {@code auto} at f32: the Java kernels are the reference. */
    @Override
    public int priority() {
        return -1;
    }

    @Override
    public int priority(Precision precision) {
        return precision == Precision.BF16 ? BF16_PRIORITY : priority();
    }

    @Override
    public ComputeBackend create() {
        return create(Precision.F32);
    }

    @Override
    public ComputeBackend create(Precision precision) {
        State s = state();
        if (!supports(precision)) throw new IllegalStateException(unsupportedReason(precision));
        return new OneDnnBackend(s.matmuls(), precision, s.library());
    }

    /** The matmuls of the loaded library (after {@link #available()} answered true). */
    static Matmuls matmuls() {
        return state().matmuls();
    }

    private static State state() {
        State s = state;
        if (s == null) {
            synchronized (OneDnnProvider.class) {
                s = state;
                if (s == null) state = s = load();
            }
        }
        return s;
    }

    private static State load() {
        NativeLibrary.Platform platform = NativeLibrary.ofThisJvm(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
        if (platform == null) {
            return new State(null, null, null, null, "oneDNN's library is not made for " + System.getProperty("os.name") + " on "
                    + System.getProperty("os.arch"));
        }
        try {
            Dnnl dnnl = new Dnnl(NativeLibrary.load(platform));
            Matmuls matmuls = new Matmuls(dnnl);
            String library = "oneDNN " + dnnl.version() + " (" + dnnl.cpuIsa() + ")";
            return new State(matmuls, library, fast(matmuls.implementationFor(PROBE_M, PROBE_K, PROBE_N, Dnnl.F32)),
                    fast(matmuls.implementationFor(PROBE_M, PROBE_K, PROBE_N, Dnnl.BF16)), null);
        } catch (RuntimeException | LinkageError e) {
            return new State(null, null, null, null, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** An implementation name unless it is oneDNN's reference code ({@code ref:any}), which is too slow to use. */
    private static String fast(String implementation) {
        return implementation == null || implementation.startsWith("ref") ? null : implementation;
    }
}
