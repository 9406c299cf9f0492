package qwen2vl4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link BatchDecoder}: a batched step over several sessions equals each session's own decode step. */
class BatchDecoderTest {
    static final double TOL = 1e-5;

    /** Sessions with different prompts (text, image, video) and lengths, stepped together for several tokens. */
    @Test
    void batchedStepsEqualSingleSteps() {
        for (String set : List.of(GoldenCase.TINY, GoldenCase.GEOMETRY)) {
            List<GoldenCase> cases = GoldenModels.cases(set);
            TextModel model = GoldenModels.model(set);
            List<TextSession> batched = new ArrayList<>(), single = new ArrayList<>();
            int n = Math.min(cases.size(), 5);
            int[] tokens = new int[n];
            for (int i = 0; i < n; i++) {
                GoldenCase c = cases.get(i);
                TextSession a = model.newSession(), b = model.newSession();
                float[] logits = a.prefill(c.inputIds(), c.imageEmbeds(), c.videoEmbeds(), c.positions());
                b.prefill(c.inputIds(), c.imageEmbeds(), c.videoEmbeds(), c.positions());
                batched.add(a);
                single.add(b);
                tokens[i] = GoldenModels.argmax(logits, 0, logits.length);
            }
            for (int step = 0; step < 4; step++) {
                float[][] out = BatchDecoder.decode(model, batched, tokens);
                for (int i = 0; i < n; i++) {
                    float[] expected = single.get(i).decode(tokens[i]);
                    TextModelGoldenTest.assertAbsClose(expected, out[i], TOL, set + " session " + i + " step " + step);
                    assertEquals(single.get(i).length(), batched.get(i).length());
                    assertEquals(single.get(i).ropeDelta(), batched.get(i).ropeDelta());
                    tokens[i] = GoldenModels.argmax(out[i], 0, out[i].length);
                }
            }
        }
    }

    @Test
    void badInputChangesNoSession() {
        TextModel model = GoldenModels.model(GoldenCase.TINY);
        TextSession a = model.newSession(), b = model.newSession();
        a.append(new int[] {1, 2, 3});
        b.append(new int[] {4});
        int vocab = model.config().vocabSize();
        assertThrows(IllegalArgumentException.class, () -> BatchDecoder.decode(model, List.of(a, b), new int[] {5, vocab}));
        assertThrows(IllegalArgumentException.class, () -> BatchDecoder.decode(model, List.of(a, a), new int[] {5, 6}));
        assertThrows(IllegalArgumentException.class, () -> BatchDecoder.decode(model, List.of(a, b), new int[] {5}));
        assertEquals(3, a.length());
        assertEquals(1, b.length());
    }
}
