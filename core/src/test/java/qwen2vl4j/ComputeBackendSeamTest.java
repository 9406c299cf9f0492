package qwen2vl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.SamplingParams;
import qwen2vl4j.io.Precision;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.ComputeBackends;
import qwen2vl4j.kernels.CountingBackend;
import qwen2vl4j.kernels.JavaBackend;

/**
 * The model reaches its weights' products only through the {@link qwen2vl4j.kernels.ComputeBackend} it was loaded
 * for: the test backend {@code counting} (installed through the tests' {@code META-INF/services}) sees every weight
 * matrix of the vision tower and the text decoder, and the answer is the Java backend's to the bit.
 */
class ComputeBackendSeamTest {
    private static List<Message> question() {
        return List.of(new Message("user", List.of(
                new ContentPart.Image(new MediaSource.FileSource(Fixtures.file("images/exact_224x224.png"))),
                new ContentPart.Text("Describe this image."))));
    }

    @Test
    void everyWeightMatrixOfTheModelGoesThroughTheSelectedBackend() {
        SamplingParams greedy = SamplingParams.builder().greedy(true).maxNewTokens(4).build();
        GenerationResult viaJava;
        try (Qwen2VL model = Qwen2VL.load(Fixtures.tinyModel(), LoadOptions.builder().backend("java").build())) {
            viaJava = model.generate(question(), greedy, null);
        }
        CountingBackend counting = CountingBackend.instance();
        counting.reset();
        GenerationResult viaCounting;
        try (Qwen2VL model = Qwen2VL.load(Fixtures.tinyModel(), LoadOptions.builder().backend("Counting").build())) {
            viaCounting = model.generate(question(), greedy, null);
        }
        Set<String> expected = new TreeSet<>();
        try (Weights weights = Weights.open(Fixtures.tinyModel())) {
            for (Tensor t : weights.all().values()) {
                if (t.shape().length >= 2) expected.add(t.name());   // every linear weight, the patch embedding, the (tied) head
            }
        }
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(counting.matrices());
        assertTrue(missing.isEmpty(), "matrices that did not go through the backend: " + missing);
        assertTrue(counting.calls("gemm3") > 0 && counting.calls("swiGlu") > 0 && counting.calls("gemv") > 0,
                "the fused q/k/v and SwiGLU forms and the decode's GEMV reach the backend");
        assertArrayEquals(viaJava.ids(), viaCounting.ids(), "the same answer through the delegating backend");
    }

    @Test
    void autoPicksTheBestAvailableAndSkipsABackendWhoseLibraryIsMissing() {
        assertSame(JavaBackend.INSTANCE, ComputeBackends.select("auto"));
        assertSame(JavaBackend.INSTANCE, ComputeBackends.select("java"));
        assertEquals(List.of("auto", "java", "counting", "bf16-reference"), ComputeBackends.available());
        ComputeBackends.Choice missing = ComputeBackends.choose("missing-native", Precision.F32);
        assertSame(JavaBackend.INSTANCE, missing.backend(), "a backend whose library does not load falls back to java");
        assertTrue(missing.notice().contains("missing-native") && missing.notice().contains("cannot run here")
                && missing.notice().contains("not installed") && missing.notice().contains("java backend"), missing.notice());
        assertNull(ComputeBackends.choose("auto", Precision.F32).notice(), "auto at f32 says nothing when java is the best");
    }

    @Test
    void bf16WithoutANativeBackendRunsJavaInF32AndSaysSoOnce() {
        ComputeBackends.Choice viaAuto = ComputeBackends.choose("auto", Precision.BF16);
        assertSame(JavaBackend.INSTANCE, viaAuto.backend());
        assertEquals(Precision.F32, viaAuto.backend().precision());
        assertTrue(viaAuto.notice().contains("bf16") && viaAuto.notice().contains("f32"), viaAuto.notice());
        ComputeBackends.Choice viaJava = ComputeBackends.choose("java", Precision.BF16);
        assertSame(JavaBackend.INSTANCE, viaJava.backend());
        assertTrue(viaJava.notice().contains("needs a native backend"), viaJava.notice());
        try (Qwen2VL model = Qwen2VL.load(Fixtures.tinyModel(), LoadOptions.builder().precision(Precision.BF16).build())) {
            ComputeInfo info = model.compute();
            assertEquals("java", info.backend());
            assertEquals("f32", info.precision());
            assertEquals(viaAuto.notice(), info.notice());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp8"));
        assertTrue(e.getMessage().contains("'fp8'") && e.getMessage().contains("f32, bf16"), e.getMessage());
    }

    @Test
    void anUnknownBackendIsRefusedWithTheAvailableOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Qwen2VL.load(Fixtures.tinyModel(), LoadOptions.builder().backend("cuda").build()));
        assertTrue(e.getMessage().contains("'cuda'") && e.getMessage().contains("auto, java, counting, bf16-reference"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LoadOptions.builder().backend(" ").build());
        assertEquals("auto", LoadOptions.defaults().backend());
    }
}
