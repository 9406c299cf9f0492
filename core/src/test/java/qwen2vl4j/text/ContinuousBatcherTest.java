package qwen2vl4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ContinuousBatcher}: generations stepping from their own threads get the logits of their own decode steps,
 * a bad token fails only its own generation, and a closed batcher refuses steps.
 */
@Timeout(120) // a worker that died would leave step() waiting
class ContinuousBatcherTest {
    private static final int GENERATIONS = 3;
    private static final int STEPS = 4;

    /** Each generation's prompt prefilled into a fresh session; its first token the prompt's greedy choice. */
    private record Generation(TextSession batched, TextSession alone, int firstToken) {}

    private static List<Generation> generations(TextModel model, List<GoldenCase> cases) {
        List<Generation> out = new ArrayList<>();
        for (int i = 0; i < GENERATIONS; i++) {
            GoldenCase c = cases.get(i % cases.size());
            TextSession a = model.newSession(), b = model.newSession();
            float[] logits = a.prefill(c.inputIds(), c.imageEmbeds(), c.videoEmbeds(), c.positions());
            b.prefill(c.inputIds(), c.imageEmbeds(), c.videoEmbeds(), c.positions());
            out.add(new Generation(a, b, GoldenModels.argmax(logits, 0, logits.length)));
        }
        return out;
    }

    @Test
    void concurrentGenerationsGetTheirOwnLogits() throws Exception {
        TextModel model = GoldenModels.model(GoldenCase.TINY);
        List<Generation> gens = generations(model, GoldenModels.cases(GoldenCase.TINY));
        AtomicInteger rows = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(GENERATIONS);
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, 8, "test-decode", rows::addAndGet)) {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < GENERATIONS; i++) {
                Generation g = gens.get(i);
                int k = i;
                batcher.join();
                done.add(threads.submit(() -> {
                    try {
                        int token = g.firstToken();
                        for (int step = 0; step < STEPS; step++) {
                            float[] got = batcher.step(g.batched(), token);
                            float[] expected = g.alone().decode(token);
                            TextModelGoldenTest.assertAbsClose(expected, got, BatchDecoderTest.TOL, "generation " + k + " step " + step);
                            token = GoldenModels.argmax(got, 0, got.length);
                        }
                    } finally {
                        batcher.leave();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
            assertEquals(GENERATIONS * STEPS, rows.get(), "every row of every batched step reported once");
            assertTrue(batcher.steps() <= GENERATIONS * STEPS && batcher.steps() >= STEPS, "steps run: " + batcher.steps());
            assertTrue(batcher.largestBatch() >= 1 && batcher.largestBatch() <= GENERATIONS, "largest batch " + batcher.largestBatch());
            for (Generation g : gens) assertEquals(g.alone().length(), g.batched().length());
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aBadTokenFailsOnlyItsOwnGeneration() throws Exception {
        TextModel model = GoldenModels.model(GoldenCase.TINY);
        List<Generation> gens = generations(model, GoldenModels.cases(GoldenCase.TINY));
        int vocab = model.config().vocabSize();
        ExecutorService threads = Executors.newFixedThreadPool(GENERATIONS);
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, 8, "test-decode", null)) {
            List<Future<Object>> done = new ArrayList<>();
            for (int i = 0; i < GENERATIONS; i++) {
                Generation g = gens.get(i);
                int token = i == 1 ? vocab : g.firstToken();
                batcher.join();
                done.add(threads.submit(() -> {
                    try {
                        return batcher.step(g.batched(), token);
                    } catch (RuntimeException e) {
                        return e;
                    } finally {
                        batcher.leave();
                    }
                }));
            }
            for (int i = 0; i < GENERATIONS; i++) {
                Object got = done.get(i).get();
                Generation g = gens.get(i);
                if (i == 1) {
                    IllegalArgumentException e = assertInstanceOf(IllegalArgumentException.class, got);
                    assertTrue(e.getMessage().contains(String.valueOf(vocab)), e.getMessage());
                    assertEquals(g.alone().length(), g.batched().length(), "the failed generation's session is unchanged");
                } else {
                    TextModelGoldenTest.assertAbsClose(g.alone().decode(g.firstToken()), (float[]) got, BatchDecoderTest.TOL, "generation " + i);
                    assertEquals(g.alone().length(), g.batched().length());
                }
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aListenerThatThrowsLosesNoStep() {
        TextModel model = GoldenModels.model(GoldenCase.TINY);
        Generation g = generations(model, GoldenModels.cases(GoldenCase.TINY)).get(0);
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, 2, "test-decode", rows -> {
            throw new IllegalStateException("listener");
        })) {
            int token = g.firstToken();
            for (int step = 0; step < 2; step++) {
                float[] got = batcher.step(g.batched(), token);
                TextModelGoldenTest.assertAbsClose(g.alone().decode(token), got, BatchDecoderTest.TOL, "step " + step);
                assertEquals(g.alone().length(), g.batched().length(), "each token decoded once");
                token = GoldenModels.argmax(got, 0, got.length);
            }
        }
    }

    @Test
    void closedOrMisconfiguredBatchersRefuse() {
        TextModel model = GoldenModels.model(GoldenCase.TINY);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ContinuousBatcher(model, 0, "x", null));
        assertTrue(e.getMessage().contains("at least 1"), e.getMessage());
        ContinuousBatcher batcher = new ContinuousBatcher(model, 4, "test-decode", null);
        batcher.close();
        TextSession s = model.newSession();
        s.append(new int[] {1, 2});
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> batcher.step(s, 3));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        assertEquals(2, s.length());
    }
}
