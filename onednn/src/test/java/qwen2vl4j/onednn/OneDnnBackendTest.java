package qwen2vl4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.Precision;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.kernels.ComputeBackend;
import qwen2vl4j.kernels.ComputeBackends;
import qwen2vl4j.kernels.JavaBackend;
import qwen2vl4j.kernels.MatMul;
import qwen2vl4j.kernels.Matrix;

/**
 * The backend's products against a plain double-precision twin on odd sizes, in each precision oneDNN computes on
 * this CPU, with the implementation that ran named; and the choice between it and the Java kernels.
 */
class OneDnnBackendTest {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final OneDnnProvider PROVIDER = new OneDnnProvider();

    @Test
    void theLibraryLoadsOnThisPlatformAndComputesF32() {
        assertTrue(PROVIDER.available(), "oneDNN loads on linux-x86_64: " + PROVIDER.unavailableReason());
        assertTrue(PROVIDER.supports(Precision.F32), PROVIDER.unsupportedReason(Precision.F32));
        assertTrue(ComputeBackends.available().contains("onednn"), ComputeBackends.available().toString());
    }

    @ParameterizedTest
    @CsvSource({"4, 5, 3, true", "7, 33, 17, false", "33, 130, 64, true", "129, 64, 304, false", "5, 67, 48, true", "129, 64, 300, false"})
    void productsMatchThePlainTwinInEveryPrecisionThisCpuHas(int n, int k, int rows, boolean withBias) {
        for (Precision p : Precision.values()) {
            if (!PROVIDER.supports(p)) {
                assertEquals(Precision.BF16, p, "f32 is always there");
                continue;
            }
            OneDnnBackend backend = (OneDnnBackend) PROVIDER.create(p);
            try (Arena arena = Arena.ofShared()) {
                Random r = new Random(n * 31L + k);
                Matrix w = bf16Matrix(arena, rows, k, r, backend);
                float[] x = gaussian(n * k, r), bias = withBias ? gaussian(rows, r) : null;
                float[] out = new float[n * rows];
                long before = backend.productsRun();
                MatMul.matmul(x, n, w, bias, out);
                long runs = backend.productsRun() - before;
                for (int i = 0; i < n; i++) {
                    for (int o = 0; o < rows; o++) {
                        double expected = 0, magnitude = 0;
                        for (int c = 0; c < k; c++) {
                            double xv = p == Precision.BF16 ? bf16(x[i * k + c]) : x[i * k + c];
                            expected += xv * w.get(o, c);
                            magnitude += Math.abs(xv * w.get(o, c));
                        }
                        if (bias != null) expected += bias[o];
                        double tolerance = 1e-6 * (magnitude + 1) + 1e-7 * k * magnitude;
                        assertEquals(expected, out[i * rows + o], tolerance, p + " row " + i + ", output " + o);
                    }
                }
                List<String> ran = backend.implementationsRun();
                assertTrue(ran.stream().noneMatch(s -> s.startsWith("ref")), "never oneDNN's slow reference code: " + ran);
                if (rows % 16 == 0) {
                    assertEquals(1, runs, "oneDNN ran the product");
                    assertTrue(backend.implementation().contains(ran.getFirst()), backend.implementation());
                }
            }
        }
    }

    @Test
    void fewRowsAndOtherWeightTypesStayOnTheJavaKernels() {
        OneDnnBackend backend = (OneDnnBackend) PROVIDER.create(Precision.F32);
        float[] w = gaussian(6 * 8, new Random(3));
        Matrix heap = Matrix.ofFloats("w", w, 6, 8);
        assertFalse(OneDnnBackend.takes(8, heap), "f32 weights on the heap");
        float[] x = gaussian(3 * 8, new Random(4)), viaBackend = new float[18], viaJava = new float[18];
        backend.gemm(x, 3, heap, null, viaBackend);
        JavaBackend.INSTANCE.gemm(x, 3, heap, null, viaJava);
        assertEquals(List.of(viaJava[0], viaJava[17]), List.of(viaBackend[0], viaBackend[17]));
        try (Arena arena = Arena.ofShared()) {
            Matrix m = bf16Matrix(arena, 6, 8, new Random(5), backend);
            assertFalse(OneDnnBackend.takes(OneDnnBackend.MIN_ROWS - 1, m), "a few rows: the decode's products");
            assertTrue(OneDnnBackend.takes(OneDnnBackend.MIN_ROWS, m));
        }
    }

    @Test
    void bf16IsChosenByAutoWhereThisCpuHasItAndOtherwiseSaysWhyOnce() {
        ComputeBackends.Choice choice = ComputeBackends.choose("auto", Precision.BF16);
        if (PROVIDER.supports(Precision.BF16)) {
            assertEquals("onednn", choice.backend().name());
            assertEquals(Precision.BF16, choice.backend().precision());
            assertNull(choice.notice());
        } else {
            assertSame(JavaBackend.INSTANCE, choice.backend());
            assertTrue(choice.notice().contains("onednn has no bf16 product") && choice.notice().contains("oneDNN 3.")
                    && choice.notice().contains("java backend computes in f32"), choice.notice());
            ComputeBackends.Choice named = ComputeBackends.choose("onednn", Precision.BF16);
            assertSame(JavaBackend.INSTANCE, named.backend());
            assertTrue(named.notice().contains("'onednn' has no bf16 product"), named.notice());
        }
        ComputeBackends.Choice f32 = ComputeBackends.choose("auto", Precision.F32);
        assertSame(JavaBackend.INSTANCE, f32.backend(), "f32 stays on the Java reference unless onednn is asked for");
        ComputeBackend named = ComputeBackends.choose("onednn", Precision.F32).backend();
        assertEquals("onednn", named.name());
    }

    static Matrix bf16Matrix(Arena arena, int rows, int cols, Random r, ComputeBackend backend) {
        MemorySegment data = arena.allocate(2L * rows * cols, 64);
        for (long i = 0; i < (long) rows * cols; i++) {
            data.set(SHORT, 2 * i, (short) (Float.floatToIntBits((float) r.nextGaussian()) >>> 16));
        }
        return Matrix.of(new Tensor("test.weight", DType.BF16, new long[] {rows, cols}, data, "test", backend));
    }

    static float[] gaussian(int n, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** The bfloat16 nearest to v (ties to even), as a double. */
    static double bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        return Float.intBitsToFloat(((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16) << 16);
    }
}
