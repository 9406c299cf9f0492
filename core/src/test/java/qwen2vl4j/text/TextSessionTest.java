package qwen2vl4j.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.config.TextConfig;
import qwen2vl4j.io.Weights;

/** KV-cache behaviour of {@link TextSession}: decode vs recompute, continuation, concurrency, limits, input checks. */
class TextSessionTest {
    static final double CACHE_TOL = 1e-4;

    static Stream<GoldenCase> cases() {
        return GoldenModels.allCases();
    }

    /** Greedy tokens decoded with the cache give the logits of a full prefill of the longer sequence. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decodingWithCacheEqualsFullRecompute(GoldenCase c) {
        TextModel model = GoldenModels.model(c);
        int steps = 5;
        TextSession s = model.newSession();
        float[] logits = s.prefill(c.inputIds(), c.imageEmbeds(), c.videoEmbeds(), c.positions());
        int[] ids = c.inputIds();
        for (int k = 0; k < steps; k++) {
            int token = GoldenModels.argmax(logits, 0, logits.length);
            logits = s.decode(token);
            ids = append(ids, token);
            float[] full = model.newSession().prefill(ids, c.imageEmbeds(), c.videoEmbeds(), extendedPositions(c, ids.length));
            TextModelGoldenTest.assertAbsClose(full, logits, CACHE_TOL, c + " decode step " + k + " vs recompute");
        }
        assertEquals(ids.length, s.length());
        assertEquals(c.ropeDelta(), s.ropeDelta());
    }

    /**
     * A prompt longer than {@link TextSession#PREFILL_PIECE}, its image pads straddling a piece boundary, gives the
     * logits of a prefill in one pass.
     */
    @Test
    void promptRunInPiecesEqualsOnePass() {
        GoldenCase c = GoldenModels.cases(GoldenCase.TINY).stream().filter(k -> k.imageEmbeds() != null).findFirst().orElseThrow();
        int image = GoldenModels.model(c).modelConfig().imageTokenId();
        int firstPad = 0;
        while (c.inputIds()[firstPad] != image) firstPad++;
        int filler = TextSession.PREFILL_PIECE - firstPad - 2, n = filler + c.inputIds().length;
        int[] ids = new int[n];
        int[][] positions = new int[3][n];
        for (int i = 0; i < filler; i++) {
            ids[i] = 100 + i % 50;
            for (int a = 0; a < 3; a++) positions[a][i] = i;
        }
        for (int i = 0; i < c.inputIds().length; i++) {
            ids[filler + i] = c.inputIds()[i];
            for (int a = 0; a < 3; a++) positions[a][filler + i] = filler + c.positions()[a][i];
        }
        TextModel model = GoldenModels.model(c);
        float[] pieces = model.newSession().prefill(ids, c.imageEmbeds(), c.videoEmbeds(), positions);
        TextSession whole = model.newSession();
        whole.pieceSize(n);
        float[] onePass = whole.prefill(ids, c.imageEmbeds(), c.videoEmbeds(), positions);
        TextModelGoldenTest.assertAbsClose(onePass, pieces, CACHE_TOL, c + " behind " + filler + " text tokens");
    }

    /** Crossing the cache's initial capacity (64) and its doublings keeps the cached keys and values. */
    @Test
    void cacheGrowthKeepsContents() {
        GoldenCase c = GoldenModels.find(GoldenCase.TINY, "text_system_multiturn"); // 40 prompt tokens
        TextModel model = GoldenModels.model(c);
        TextSession s = model.newSession();
        float[] logits = s.prefill(c.inputIds(), null, null, c.positions());
        int[] ids = c.inputIds();
        while (ids.length < 140) {
            int token = GoldenModels.argmax(logits, 0, logits.length);
            logits = s.decode(token);
            ids = append(ids, token);
        }
        float[] full = model.newSession().prefill(ids, null, null, RopeIndex.textOnly(ids.length).positions());
        TextModelGoldenTest.assertAbsClose(full, logits, CACHE_TOL, "after growing to " + ids.length + " tokens");
    }

    /** A prompt split in two prefills (the second continuing on the cache) gives the reference logits. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void continuationPrefillEqualsOnePrefill(GoldenCase c) {
        TextModel model = GoldenModels.model(c);
        int n = c.inputIds().length;
        int split = n - Math.max(1, n / 4);
        int image = model.modelConfig().imageTokenId(), video = model.modelConfig().videoTokenId();
        int imageRows = count(c.inputIds(), 0, split, image), videoRows = count(c.inputIds(), 0, split, video);
        int hidden = model.config().hiddenSize();
        TextSession s = model.newSession();
        s.prefill(Arrays.copyOf(c.inputIds(), split), rows(c.imageEmbeds(), 0, imageRows, hidden),
                rows(c.videoEmbeds(), 0, videoRows, hidden), slice(c.positions(), 0, split));
        float[] last = s.prefill(Arrays.copyOfRange(c.inputIds(), split, n), rest(c.imageEmbeds(), imageRows, hidden),
                rest(c.videoEmbeds(), videoRows, hidden), slice(c.positions(), split, n));
        TextModelGoldenTest.assertAbsClose(c.lastLogits(), last, TextModelGoldenTest.LOGIT_ABS_TOL, c + " split at " + split);
        assertEquals(n, s.length());
        assertEquals(c.ropeDelta(), s.ropeDelta());
    }

    /**
     * A prompt split anywhere into two prefills gives the logits of one pass bit for bit, on both fixture models:
     * a prefill's products and attention compute each row the same way whatever the pass's size (a prompt cache
     * relies on it). The JIT may change a vector sum's lane order while it compiles (the interpreter adds lanes in
     * another order), so every split is compared again on a warm JIT until one round agrees; a real difference
     * disagrees in every round.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aPromptSplitAnywhereEqualsOnePassBitForBit(GoldenCase c) {
        TextModel model = GoldenModels.model(c);
        int n = c.inputIds().length, hidden = model.config().hiddenSize();
        int image = model.modelConfig().imageTokenId(), video = model.modelConfig().videoTokenId();
        List<Integer> differing = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            differing.clear();
            float[] onePass = model.newSession().prefill(c.inputIds(), c.imageEmbeds(), c.videoEmbeds(), c.positions());
            for (int split = 1; split < n; split += Math.max(1, n / 9)) {
                int imageRows = count(c.inputIds(), 0, split, image), videoRows = count(c.inputIds(), 0, split, video);
                TextSession s = model.newSession();
                s.prefill(Arrays.copyOf(c.inputIds(), split), rows(c.imageEmbeds(), 0, imageRows, hidden),
                        rows(c.videoEmbeds(), 0, videoRows, hidden), slice(c.positions(), 0, split));
                float[] last = s.prefill(Arrays.copyOfRange(c.inputIds(), split, n), rest(c.imageEmbeds(), imageRows, hidden),
                        rest(c.videoEmbeds(), videoRows, hidden), slice(c.positions(), split, n));
                if (!Arrays.equals(onePass, last)) differing.add(split);
            }
            if (differing.isEmpty()) return;
        }
        assertEquals(List.of(), differing, c + ": splits whose logits differ from one pass in every round");
    }

    /** Multi-turn text: {@link TextSession#append} continues at the next text positions. */
    @Test
    void appendContinuesTextPositions() {
        GoldenCase c = GoldenModels.find(GoldenCase.TINY, "image_one");
        TextModel model = GoldenModels.model(c);
        TextSession s = model.newSession();
        s.prefill(c.inputIds(), c.imageEmbeds(), null, c.positions());
        int[] more = {c.inputIds()[0], c.inputIds()[1], c.inputIds()[2]};
        int[][] expectedPositions = s.nextTextPositions(more.length);
        assertEquals(c.inputIds().length + c.ropeDelta(), expectedPositions[1][0]);
        float[] appended = s.append(more);
        int[] ids = append(append(append(c.inputIds(), more[0]), more[1]), more[2]);
        float[] full = model.newSession().prefill(ids, c.imageEmbeds(), null, extendedPositions(c, ids.length));
        TextModelGoldenTest.assertAbsClose(full, appended, CACHE_TOL, "append vs one prefill");
    }

    /** Two sessions running at once on two threads give exactly what they give one after the other. */
    @Test
    void concurrentSessionsMatchSequentialRuns() throws Exception {
        GoldenCase a = GoldenModels.find(GoldenCase.TINY, "image_and_video");
        GoldenCase b = GoldenModels.find(GoldenCase.GEOMETRY, "g_video_image");
        List<float[]> seqA = generate(a), seqB = generate(b);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 2; round++) {
                Future<List<float[]>> fa = pool.submit((Callable<List<float[]>>) () -> generate(a));
                Future<List<float[]>> fb = pool.submit((Callable<List<float[]>>) () -> generate(b));
                assertSame(seqA, fa.get(), a.toString());
                assertSame(seqB, fb.get(), b.toString());
            }
        } finally {
            pool.shutdown();
        }
        GoldenCase sameModel = GoldenModels.find(GoldenCase.TINY, "text_hello");
        List<float[]> seqC = generate(sameModel);
        try (ExecutorService two = Executors.newFixedThreadPool(2)) {
            Future<List<float[]>> f1 = two.submit(() -> generate(sameModel));
            Future<List<float[]>> f2 = two.submit(() -> generate(a));
            assertSame(seqC, f1.get(), sameModel.toString());
            assertSame(seqA, f2.get(), a.toString());
        }
    }

    @Test
    void contextLimitIsCheckedBeforeAnyWork() throws Exception {
        var dir = GoldenCase.modelDir(GoldenCase.TINY);
        ModelConfig full = ModelConfig.load(dir);
        TextConfig t = full.text();
        TextConfig small = new TextConfig(t.hiddenSize(), t.intermediateSize(), t.numHiddenLayers(), t.numAttentionHeads(),
                t.numKeyValueHeads(), t.headDim(), t.vocabSize(), t.rmsNormEps(), t.ropeTheta(), t.mropeSection(), 20, t.tieWordEmbeddings());
        ModelConfig limited = new ModelConfig(small, full.vision(), full.imageTokenId(), full.videoTokenId(),
                full.visionStartTokenId(), full.visionEndTokenId(), full.bosTokenId(), full.eosTokenIds());
        try (Weights w = Weights.open(dir)) {
            TextModel model = TextModel.load(w, limited);
            int[] ids = Arrays.copyOf(GoldenModels.find(GoldenCase.TINY, "text_hello").inputIds(), 18);
            TextSession s = model.newSession();
            ContextLimitException tooLong = assertThrows(ContextLimitException.class,
                    () -> s.prefill(append(append(append(ids, 1), 2), 3), null, null, RopeIndex.textOnly(21).positions()));
            assertEquals(20, tooLong.limit());
            assertEquals(21, tooLong.requested());
            assertTrue(tooLong.getMessage().contains("20") && tooLong.getMessage().contains("21"), tooLong.getMessage());
            assertEquals(0, s.length());

            s.prefill(ids, null, null, RopeIndex.textOnly(18).positions());
            ContextLimitException append = assertThrows(ContextLimitException.class, () -> s.append(new int[] {1, 2, 3}));
            assertEquals(21, append.requested());
            assertEquals(18, s.length());
            s.decode(5);
            s.decode(6);
            assertEquals(20, s.length());
            ContextLimitException decode = assertThrows(ContextLimitException.class, () -> s.decode(7));
            assertEquals(21, decode.requested());
            assertEquals(20, s.length());
        }
    }

    @Test
    void visionEmbeddingCountMismatchIsRejected() {
        GoldenCase c = GoldenModels.find(GoldenCase.TINY, "image_and_video");
        TextModel model = GoldenModels.model(c);
        int hidden = model.config().hiddenSize();
        float[] fewer = Arrays.copyOf(c.imageEmbeds(), c.imageEmbeds().length - hidden);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.newSession().prefill(c.inputIds(), fewer, c.videoEmbeds(), c.positions()));
        assertTrue(e.getMessage().contains("image") && e.getMessage().contains(String.valueOf(fewer.length / hidden)), e.getMessage());
        IllegalArgumentException noVideo = assertThrows(IllegalArgumentException.class,
                () -> model.newSession().prefill(c.inputIds(), c.imageEmbeds(), null, c.positions()));
        assertTrue(noVideo.getMessage().contains("video"), noVideo.getMessage());
        IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class,
                () -> model.newSession().prefill(c.inputIds(), Arrays.copyOf(c.imageEmbeds(), c.imageEmbeds().length + 1), c.videoEmbeds(), c.positions()));
        assertTrue(ragged.getMessage().contains("multiple of hidden size"), ragged.getMessage());
    }

    @Test
    void badTokensAndPositionsAreRejected() {
        TextModel model = GoldenModels.model(GoldenCase.GEOMETRY);
        TextSession s = model.newSession();
        IllegalArgumentException token = assertThrows(IllegalArgumentException.class,
                () -> s.prefill(new int[] {1, 1024}, null, null, RopeIndex.textOnly(2).positions()));
        assertTrue(token.getMessage().contains("1024") && token.getMessage().contains("index 1"), token.getMessage());
        IllegalArgumentException pos = assertThrows(IllegalArgumentException.class,
                () -> s.prefill(new int[] {1, 2}, null, null, RopeIndex.textOnly(3).positions()));
        assertTrue(pos.getMessage().contains("positions"), pos.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.decode(-1));
        assertEquals(0, s.length());
    }

    private static List<float[]> generate(GoldenCase c) {
        TextSession s = GoldenModels.model(c).newSession();
        List<float[]> out = new ArrayList<>();
        float[] logits = s.prefill(c.inputIds(), c.imageEmbeds(), c.videoEmbeds(), c.positions());
        out.add(logits);
        for (int k = 0; k < 6; k++) {
            logits = s.decode(GoldenModels.argmax(logits, 0, logits.length));
            out.add(logits);
        }
        return out;
    }

    private static void assertSame(List<float[]> expected, List<float[]> actual, String what) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) assertArrayEquals(expected.get(i), actual.get(i), what + " step " + i);
    }

    /** The case's prompt positions followed by text positions for the tokens appended after it. */
    private static int[][] extendedPositions(GoldenCase c, int length) {
        int n = c.inputIds().length;
        int[][] p = new int[3][length];
        for (int a = 0; a < 3; a++) {
            System.arraycopy(c.positions()[a], 0, p[a], 0, n);
            for (int i = n; i < length; i++) p[a][i] = (int) (i + c.ropeDelta());
        }
        return p;
    }

    private static int[] append(int[] ids, int token) {
        int[] r = Arrays.copyOf(ids, ids.length + 1);
        r[ids.length] = token;
        return r;
    }

    private static int count(int[] ids, int from, int to, int token) {
        int n = 0;
        for (int i = from; i < to; i++) if (ids[i] == token) n++;
        return n;
    }

    private static float[] rows(float[] embeds, int from, int count, int hidden) {
        return count == 0 ? null : Arrays.copyOfRange(embeds, from * hidden, (from + count) * hidden);
    }

    private static float[] rest(float[] embeds, int from, int hidden) {
        return embeds == null || embeds.length == from * hidden ? null : Arrays.copyOfRange(embeds, from * hidden, embeds.length);
    }

    private static int[][] slice(int[][] positions, int from, int to) {
        int[][] r = new int[3][];
        for (int a = 0; a < 3; a++) r[a] = Arrays.copyOfRange(positions[a], from, to);
        return r;
    }
}
