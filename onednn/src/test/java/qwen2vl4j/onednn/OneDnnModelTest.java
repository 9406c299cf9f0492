package qwen2vl4j.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import qwen2vl4j.Fixtures;
import qwen2vl4j.GeometryQuality;
import qwen2vl4j.LoadOptions;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.SamplingParams;
import qwen2vl4j.io.Precision;
import qwen2vl4j.io.Weights;
import qwen2vl4j.text.GreedyAgreement;

/**
 * The whole model on the oneDNN backend against the float32 reference (the golden fixtures), in each precision
 * oneDNN computes on this CPU; each proves the backend ran by the products it counted and the implementation names
 * it reports. The bars: f32 as tight as the Java kernels' own; bf16 those of the acceleration issue (logits cosine
 * ≥ 0.999 at every position, top-1 ≥ 95%, greedy ids equal up to the first reference margin below 0.05).
 */
class OneDnnModelTest {
    private static final OneDnnProvider PROVIDER = new OneDnnProvider();

    @Test
    void f32OnOneDnnIsTheReferenceToFloat32Rounding() {
        OneDnnBackend backend = (OneDnnBackend) PROVIDER.create(Precision.F32);
        long before = backend.productsRun();
        GeometryQuality.Quality q = GeometryQuality.measure("onednn f32", Weights.open(Fixtures.geometryModel(), backend));
        System.out.println(q + "; implementations " + backend.implementationsRun());
        assertTrue(backend.productsRun() - before > 20, "the vision tower's and the prefill's products ran on oneDNN");
        assertTrue(q.minCosine() >= 0.999999, q.toString());
        assertEquals(1.0, q.top1(), 0.02, q.toString());
        assertTrue(q.visionRelativeError() < 1e-5, q.toString());
        GreedyAgreement.Result greedy = GreedyAgreement.check(dir -> Weights.open(dir, backend), 1e-3);
        System.out.println("onednn f32, greedy: " + greedy);
        assertTrue(greedy.steps() >= 100, greedy.toString());
    }

    @Test
    void bf16OnOneDnnStaysWithinTheBarWhereThisCpuHasIt() {
        if (!PROVIDER.supports(Precision.BF16)) {
            System.out.println("no bf16 on this CPU: " + PROVIDER.unsupportedReason(Precision.BF16));
            assertTrue(PROVIDER.unsupportedReason(Precision.BF16).contains("bf16 needs AVX512-BF16, AMX"));
            return;
        }
        OneDnnBackend backend = (OneDnnBackend) PROVIDER.create(Precision.BF16);
        GeometryQuality.Quality q = GeometryQuality.measure("onednn bf16", Weights.open(Fixtures.geometryModel(), backend));
        System.out.println(q + "; implementations " + backend.implementationsRun());
        assertTrue(q.minCosine() >= 0.999 && q.top1() >= 0.95, q.toString());
        assertTrue(backend.implementationsRun().stream().anyMatch(s -> s.contains("bf16") || s.contains("amx")),
                "a bf16 kernel ran: " + backend.implementationsRun());
        GreedyAgreement.Result greedy = GreedyAgreement.check(dir -> Weights.open(dir, backend), 0.05);
        System.out.println("onednn bf16, greedy: " + greedy);
        assertTrue(greedy.steps() >= 20, greedy.toString());
    }

    @Test
    void aModelLoadedForOneDnnReportsWhatRan() {
        try (Qwen2VL model = Qwen2VL.load(Fixtures.tinyModel(), LoadOptions.builder().backend("onednn").build())) {
            model.generate(List.of(Message.user("Describe the weather in three words.")),
                    SamplingParams.builder().greedy(true).maxNewTokens(4).build(), null);
            assertEquals("onednn", model.compute().backend());
            assertEquals("f32", model.compute().precision());
            assertNull(model.compute().notice());
            assertTrue(model.compute().implementation().startsWith("oneDNN 3."), model.compute().implementation());
            assertTrue(model.compute().implementation().contains("brg_matmul") || model.compute().implementation().contains("gemm"),
                    "the prefill's products ran on oneDNN: " + model.compute().implementation());
        }
    }
}
