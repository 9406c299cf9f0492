package qwen2vl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.Message;
import qwen2vl4j.preprocess.Grid;
import qwen2vl4j.preprocess.VisionBatch;
import qwen2vl4j.text.TextSession;

/** {@link MultimodalPrefill}: a prompt with an image that continues a session equals one prefill of everything. */
class MultimodalPrefillTest {
    static final double TOL = 1e-4;
    static Qwen2VL model;

    @BeforeAll
    static void load() {
        model = Qwen2VL.load(Fixtures.tinyModel(), LoadOptions.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static Message ask(String image, String text) {
        return new Message("user", List.of(Qwen2VLEndToEndTest.image(image), new ContentPart.Text(text)));
    }

    @Test
    void aContinuationWithAnImageStartsAtTheSessionsNextPosition() {
        ModelInputs first = model.processor().process(List.of(ask("small_112x84.png", "What is it?")), true, false);
        Message next = ask("odd_171x129.png", "And this one?");
        ModelInputs second = model.processor().processRendered("<|im_end|>\n" + model.processor().render(List.of(next), true, false), List.of(next));

        TextSession continued = model.newSession();
        model.prefill(continued, first);
        int nextPosition = continued.nextPosition();
        assertTrue(nextPosition < continued.length(), "the image's tokens share positions: " + nextPosition + " for " + continued.length() + " tokens");
        float[] twoSteps = model.prefill(continued, second);

        TextSession fresh = model.newSession();
        float[] onePass = model.prefill(fresh, both(first, second));
        assertEquals(fresh.length(), continued.length());
        assertEquals(fresh.nextPosition(), continued.nextPosition());
        for (int i = 0; i < onePass.length; i++) {
            assertEquals(onePass[i], twoSteps[i], TOL, "logit " + i);
        }
    }

    /** One prompt holding {@code a}'s tokens, then {@code b}'s, with the images of both in order. */
    static ModelInputs both(ModelInputs a, ModelInputs b) {
        int[] ids = Qwen2VLEndToEndTest.concat(a.ids(), b.ids());
        VisionBatch x = a.images(), y = b.images();
        float[] data = java.util.Arrays.copyOf(x.data(), x.data().length + y.data().length);
        System.arraycopy(y.data(), 0, data, x.data().length, y.data().length);
        List<Grid> grids = new ArrayList<>(x.grids());
        grids.addAll(y.grids());
        return new ModelInputs("", ids, new VisionBatch(data, x.rows() + y.rows(), x.cols(), grids), null,
                a.imageTokens() + b.imageTokens(), 0);
    }
}
