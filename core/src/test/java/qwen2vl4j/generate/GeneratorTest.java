package qwen2vl4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The loop against fake models with deterministic logits and a table decoder. */
class GeneratorTest {
    private static final int VOCAB = 12;
    private static final int EOS = 0;
    /** id -> text; EOS decodes to nothing (as skip_special_tokens); 9 is half a character until flushed. */
    private static final String[] PIECES = {"", "Hel", "lo", " wor", "ld", "!", "EN", "D", "x", "", "E", "y"};

    /** A decoder that keeps token 9 pending (an incomplete UTF-8 sequence) and flushes it as U+FFFD. */
    static final class TableDecoder implements TextDecoder {
        private boolean pending;

        @Override
        public String accept(int id) {
            String prefix = pending ? "\uFFFD" : "";
            pending = id == 9;
            return prefix + PIECES[id];
        }

        @Override
        public String flush() {
            String out = pending ? "\uFFFD" : "";
            pending = false;
            return out;
        }
    }

    /** Logits whose arg-max follows a script; records the ids fed back. */
    static final class ScriptedSource implements LogitsSource {
        final int[] script;
        final List<Integer> fed = new ArrayList<>();

        ScriptedSource(int... script) {
            this.script = script;
        }

        @Override
        public float[] prefill() {
            return logitsFor(0);
        }

        @Override
        public float[] next(int tokenId) {
            fed.add(tokenId);
            return logitsFor(fed.size());
        }

        private float[] logitsFor(int step) {
            float[] l = new float[VOCAB];
            for (int i = 0; i < VOCAB; i++) l[i] = 0.01f * i - 1f;
            l[script[step % script.length]] = 5f;
            return l;
        }
    }

    /** The same logits at every step (a fresh array each time). */
    record ConstantSource(float[] logits) implements LogitsSource {
        @Override
        public float[] prefill() {
            return logits.clone();
        }

        @Override
        public float[] next(int tokenId) {
            return logits.clone();
        }
    }

    /** Collects what the listener is told. */
    static final class Recorder implements TokenListener {
        final List<Integer> ids = new ArrayList<>();
        final List<String> deltas = new ArrayList<>();

        @Override
        public void onToken(int id, String textDelta) {
            ids.add(id);
            deltas.add(textDelta);
        }

        String text() {
            return String.join("", deltas);
        }
    }

    private static final Generator GENERATOR = new Generator(TableDecoder::new);

    private static SamplingParams.Builder greedy() {
        return SamplingParams.builder().eosTokenIds(List.of(EOS)).maxNewTokens(20);
    }

    private static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void stopsOnEosKeepingItInIdsButNotInText() {
        ScriptedSource source = new ScriptedSource(1, 2, EOS, 3);
        Recorder rec = new Recorder();
        GenerationResult r = GENERATOR.generate(source, new int[] {4, 4, 4}, greedy().build(), rec);
        assertArrayEquals(new int[] {1, 2, EOS}, r.ids());
        assertEquals("Hello", r.text());
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals(List.of(1, 2), source.fed);
        assertArrayEquals(r.ids(), ints(rec.ids));
        assertEquals(r.text(), rec.text());
        assertEquals(Usage.of(3, 3), r.usage());
        assertTrue(r.timings().prefillMillis() >= 0 && r.timings().decodeMillis() >= 0);
    }

    @Test
    void ignoreEosRunsToTheLengthLimit() {
        ScriptedSource source = new ScriptedSource(1, 2, EOS, 3);
        GenerationResult r = GENERATOR.generate(source, new int[0], greedy().ignoreEos(true).maxNewTokens(4).build(), null);
        assertArrayEquals(new int[] {1, 2, EOS, 3}, r.ids());
        assertEquals("Hello wor", r.text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(List.of(1, 2, EOS), source.fed);
    }

    @Test
    void stopTokenIdsStopEvenWithIgnoreEos() {
        ScriptedSource source = new ScriptedSource(1, 2, EOS, 3, 5, 4);
        GenerationResult r = GENERATOR.generate(source, new int[0], greedy().ignoreEos(true).stopTokenIds(List.of(5)).build(), null);
        assertArrayEquals(new int[] {1, 2, EOS, 3, 5}, r.ids());
        assertEquals(FinishReason.STOP, r.finishReason());
    }

    @Test
    void lengthLimit() {
        GenerationResult r = GENERATOR.generate(new ScriptedSource(1, 2, 3, 4), new int[] {1}, greedy().maxNewTokens(2).build(), null);
        assertArrayEquals(new int[] {1, 2}, r.ids());
        assertEquals("Hello", r.text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(Usage.of(1, 2), r.usage());
    }

    @Test
    void stopStringAcrossTokensCutsTheTextAndIsNeverStreamed() {
        Recorder rec = new Recorder();
        GenerationResult r = GENERATOR.generate(new ScriptedSource(1, 2, 6, 7, 3, 4), new int[0],
                greedy().stopStrings("END").build(), rec);
        assertArrayEquals(new int[] {1, 2, 6, 7}, r.ids());
        assertEquals("Hello", r.text());
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals(List.of("Hel", "lo", "", ""), rec.deltas);
    }

    @Test
    void heldBackPrefixIsStreamedOnceItCannotBeAStopString() {
        Recorder rec = new Recorder();
        // "E" could start "END" but "x" follows: released with "x"; the length limit releases the final "E"
        GenerationResult r = GENERATOR.generate(new ScriptedSource(10, 8, 10), new int[0],
                greedy().stopStrings("END").maxNewTokens(3).build(), rec);
        assertEquals("ExE", r.text());
        assertEquals(List.of("", "Ex", "E"), rec.deltas);
        assertEquals(FinishReason.LENGTH, r.finishReason());
    }

    @Test
    void pendingTextIsFlushedAtTheEnd() {
        Recorder rec = new Recorder();
        GenerationResult r = GENERATOR.generate(new ScriptedSource(1, 9), new int[0], greedy().maxNewTokens(2).build(), rec);
        assertEquals("Hel\uFFFD", r.text());
        assertEquals(r.text(), rec.text());
    }

    @Test
    void repetitionPenaltyChangesGreedyChoices() {
        float[] logits = new float[VOCAB];
        logits[5] = 2.0f;
        logits[6] = 1.9f;
        SamplingParams plain = greedy().maxNewTokens(4).build();
        assertArrayEquals(new int[] {5, 5, 5, 5}, GENERATOR.generate(new ConstantSource(logits), new int[0], plain, null).ids());

        SamplingParams penalised = plain.toBuilder().repetitionPenalty(1.1).build();
        // 5 first; then 5 -> 2.0/1.1 = 1.82 < 1.9 -> 6; then both penalised once: 1.82 > 1.73 -> 5 from then on
        assertArrayEquals(new int[] {5, 6, 5, 5}, GENERATOR.generate(new ConstantSource(logits), new int[0], penalised, null).ids());
        // the prompt counts too
        assertArrayEquals(new int[] {6, 5, 5, 5}, GENERATOR.generate(new ConstantSource(logits), new int[] {5, 5}, penalised, null).ids());
        // a frequency penalty keeps pushing: alternation
        SamplingParams frequency = plain.toBuilder().frequencyPenalty(0.2).build();
        assertArrayEquals(new int[] {5, 6, 5, 6}, GENERATOR.generate(new ConstantSource(logits), new int[0], frequency, null).ids());
    }

    private static float[] flatLogits() {
        float[] l = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) l[i] = 0.1f * (i % 5);
        l[EOS] = -10f;
        return l;
    }

    @Test
    void aSeedReproducesASampledGeneration() {
        SamplingParams p = greedy().sample(1.0).seed(123L).maxNewTokens(40).build();
        int[] a = GENERATOR.generate(new ConstantSource(flatLogits()), new int[0], p, null).ids();
        int[] b = GENERATOR.generate(new ConstantSource(flatLogits()), new int[0], p, null).ids();
        int[] c = GENERATOR.generate(new ConstantSource(flatLogits()), new int[0], p.toBuilder().seed(124L).build(), null).ids();
        assertArrayEquals(a, b);
        assertNotEquals(Arrays.toString(a), Arrays.toString(c));
        assertTrue(Arrays.stream(a).distinct().count() > 3, "sampling should vary: " + Arrays.toString(a));
    }

    @Test
    void generationsOnTwoThreadsDoNotInterfere() throws Exception {
        SamplingParams first = greedy().sample(0.9).topK(8).seed(1L).maxNewTokens(30).stopStrings("wor").build();
        SamplingParams second = greedy().sample(1.3).topP(0.9).repetitionPenalty(1.2).seed(2L).maxNewTokens(25).build();
        GenerationResult expectedFirst = GENERATOR.generate(new ConstantSource(flatLogits()), new int[] {1}, first, null);
        GenerationResult expectedSecond = GENERATOR.generate(new ConstantSource(flatLogits()), new int[] {2}, second, null);
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Future<Boolean> a = pool.submit(() -> repeatEquals(first, new int[] {1}, expectedFirst));
            Future<Boolean> b = pool.submit(() -> repeatEquals(second, new int[] {2}, expectedSecond));
            assertTrue(a.get());
            assertTrue(b.get());
        }
    }

    private static boolean repeatEquals(SamplingParams p, int[] prompt, GenerationResult expected) {
        for (int i = 0; i < 300; i++) {
            GenerationResult r = GENERATOR.generate(new ConstantSource(flatLogits()), prompt, p, null);
            if (!Arrays.equals(r.ids(), expected.ids()) || !r.text().equals(expected.text())) return false;
        }
        return true;
    }

    @Test
    void stopStringsNeedADecoder() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Generator().generate(new ScriptedSource(1), new int[0], greedy().stopStrings("x").build(), null));
        assertTrue(e.getMessage().contains("stopStrings"), e.getMessage());
    }

    @Test
    void aDecoderCanBeGivenPerCall() {
        GenerationResult r = new Generator().generate(new ScriptedSource(3, 4, 6, 7), new int[0],
                greedy().stopStrings("ldEN").build(), new TableDecoder(), null);
        assertArrayEquals(new int[] {3, 4, 6}, r.ids());
        assertEquals(" wor", r.text());
        assertEquals(FinishReason.STOP, r.finishReason());
    }

    @Test
    void withoutADecoderTextIsEmpty() {
        GenerationResult r = new Generator().generate(new ScriptedSource(1, 2), new int[0], greedy().maxNewTokens(2).build(), null);
        assertArrayEquals(new int[] {1, 2}, r.ids());
        assertEquals("", r.text());
    }

    @Test
    void resultMapsForJson() {
        GenerationResult r = GENERATOR.generate(new ScriptedSource(1, EOS), new int[] {3, 3}, greedy().build(), null)
                .withUsage(Usage.of(2, 2).withMediaTokens(1, 0))
                .withTimings(Timings.of(10, 2, 5, 1).withStages(100, 20, 30));
        var m = r.toMap();
        assertEquals("stop", m.get("finish_reason"));
        assertEquals("Hel", m.get("text"));
        @SuppressWarnings("unchecked")
        var usage = (java.util.Map<String, Object>) m.get("usage");
        assertEquals(1, usage.get("image_tokens"));
        assertEquals(4, usage.get("total_tokens"));
        assertEquals(200.0, r.timings().prefillTokensPerSecond(), 1e-9);
        assertEquals(200.0, r.timings().decodeTokensPerSecond(), 1e-9);
        assertEquals(100.0, r.timings().loadMillis());
        assertFalse(r.toString().isEmpty());
    }
}
