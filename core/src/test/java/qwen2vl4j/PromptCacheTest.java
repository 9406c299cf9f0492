package qwen2vl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import qwen2vl4j.chat.Message;
import qwen2vl4j.text.TextSession;

/**
 * {@link PromptCache} through {@link MultimodalPrefill}: a conversation sent whole with every turn, as a stateless
 * chat API gets it, runs only what is new, and every turn's logits equal those of the prompt run in one pass, bit
 * for bit.
 */
class PromptCacheTest {
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
        return MultimodalPrefillTest.ask(image, text);
    }

    static ModelInputs inputs(Message... messages) {
        return model.processor().process(List.of(messages), true, false);
    }

    record Turn(ModelInputs inputs, float[] logits, MultimodalPrefill.Encoded encoded) {}

    static Turn run(ModelInputs inputs, PromptCache cache) {
        MultimodalPrefill.Encoded encoded = model.multimodalPrefill().encode(inputs, cache);
        TextSession session = model.newSession();
        float[] logits = model.multimodalPrefill().prefill(session, encoded);
        assertEquals(inputs.ids().length, session.length());
        return new Turn(inputs, logits, encoded);
    }

    static float[] onePass(ModelInputs inputs) {
        return model.multimodalPrefill().prefill(model.newSession(), inputs);
    }

    static int indexOf(int[] ids, int token) {
        for (int i = 0; i < ids.length; i++) if (ids[i] == token) return i;
        return -1;
    }

    /**
     * Four turns: a question about an image; the same with the answer and a follow-up (the image and the first prompt
     * come from the cache); a second image after that (only it is encoded); another image in the first one's place
     * (the cache holds nothing past the image's start). The JIT may change a sum's lane order while it compiles the
     * kernels' Vector API code (the interpreter adds a vector's lanes in another order), so the comparison is repeated
     * on a warm JIT until one round agrees; a real difference disagrees in every round.
     */
    @Test
    void eachTurnRunsOnlyWhatIsNewAndEqualsOnePass() {
        Message first = ask("small_112x84.png", "What is it?");
        Message answer = Message.assistant("A small picture.");
        ModelInputs r1 = inputs(first);
        ModelInputs r2 = inputs(first, answer, Message.user("And its colour?"));
        ModelInputs r3 = inputs(first, answer, ask("odd_171x129.png", "And this one?"));
        ModelInputs r4 = inputs(ask("odd_171x129.png", "What is it?"));
        int visionStart = model.tokenizer().tokenId("<|vision_start|>").orElseThrow();
        assertArrayEquals(r1.ids(), Arrays.copyOf(r2.ids(), r1.ids().length), "the first prompt starts the second");

        List<String> disagreements = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            PromptCache cache = new PromptCache(1L << 30);
            Turn t1 = run(r1, cache), t2 = run(r2, cache), t3 = run(r3, cache), t4 = run(r4, cache);

            assertEquals(0, t1.encoded().cachedTokens());
            assertEquals(r1.ids().length, t2.encoded().cachedTokens(), "the second turn continues the first prompt");
            assertNull(t2.encoded().images(), "the cached image is not encoded again");
            assertTrue(t3.encoded().cachedTokens() > r1.ids().length, "the third turn continues the second prompt");
            assertEquals(1, t3.encoded().images().grids().size(), "only the new image is encoded");
            assertTrue(t3.encoded().cachedTokens() <= lastIndexOf(r3.ids(), visionStart), "the new image runs whole");
            assertEquals(indexOf(r4.ids(), visionStart), t4.encoded().cachedTokens(), "another image: the cache stops at its start");
            assertEquals(1, t4.encoded().images().grids().size());

            disagreements.clear();
            for (Turn t : List.of(t1, t2, t3, t4)) {
                if (!Arrays.equals(onePass(t.inputs()), t.logits())) disagreements.add(t.encoded().cachedTokens() + " cached tokens");
            }
            if (disagreements.isEmpty()) break;
        }
        assertEquals(List.of(), disagreements, "turns whose logits differ from one pass in every round");
    }

    static int lastIndexOf(int[] ids, int token) {
        for (int i = ids.length - 1; i >= 0; i--) if (ids[i] == token) return i;
        return -1;
    }

    /** The same prompt again runs its last token only; its logits are those of the first run. */
    @Test
    void aRepeatedPromptRunsItsLastToken() {
        ModelInputs r = inputs(ask("small_112x84.png", "Describe it."));
        PromptCache cache = new PromptCache(1L << 30);
        Turn a = run(r, cache), b = run(r, cache);
        assertEquals(r.ids().length - 1, b.encoded().cachedTokens());
        assertNull(b.encoded().images());
        assertArrayEquals(a.logits(), b.logits());
        PromptCache.Stats stats = cache.stats();
        assertEquals(1, stats.entries(), "the repeated prompt replaces its entry");
        assertEquals(2, stats.lookups());
        assertEquals(1, stats.hits());
        assertEquals(r.ids().length - 1, stats.reusedTokens());
    }

    /** Entries beyond the capacity go, least recently used first; a prompt larger than it is not kept. */
    @Test
    void theCapacityBoundsWhatIsKept() {
        ModelInputs a = inputs(Message.user("First question, about nothing in particular.")),
                b = inputs(Message.user("Second question, quite unrelated to the first."));
        PromptCache probe = new PromptCache(1L << 30);
        run(a, probe);
        long one = probe.stats().bytes();
        assertTrue(one > 0);

        PromptCache cache = new PromptCache(one + one / 2);                  // room for one prompt, not two
        run(a, cache);
        run(b, cache);
        assertEquals(1, cache.stats().entries());
        int shared = 0;
        while (a.ids()[shared] == b.ids()[shared]) shared++;
        assertEquals(shared, run(a, cache).encoded().cachedTokens(), "a was evicted: only the start it shares with b is found");

        PromptCache tiny = new PromptCache(one / 2);
        run(a, tiny);
        assertEquals(0, tiny.stats().entries(), "a prompt larger than the cache is not kept");
        assertEquals(0, run(a, tiny).encoded().cachedTokens());
        assertThrows(IllegalArgumentException.class, () -> new PromptCache(-1));
    }

    /** A cache shared by two models gives neither the other's prompts. */
    @Test
    void aCacheSharedByTwoModelsKeepsThemApart() {
        PromptCache cache = new PromptCache(1L << 30);
        ModelInputs r = inputs(Message.user("The same words for both models."));
        try (Qwen2VL other = Qwen2VL.load(Fixtures.tinyModel(), LoadOptions.defaults())) {
            run(r, cache);
            MultimodalPrefill.Encoded encoded = other.multimodalPrefill().encode(r, cache);
            assertEquals(0, encoded.cachedTokens(), "the other model's rows are not taken");
            other.multimodalPrefill().prefill(other.newSession(), encoded);
            assertEquals(2, cache.stats().entries());
            assertEquals(r.ids().length - 1, run(r, cache).encoded().cachedTokens());
        }
    }

    /** A session that already holds tokens cannot take a cached prompt. */
    @Test
    void aCachedPromptNeedsAnEmptySession() {
        ModelInputs r = inputs(Message.user("Hello."));
        TextSession session = model.newSession();
        session.append(new int[] {1, 2, 3});
        MultimodalPrefill.Encoded encoded = model.multimodalPrefill().encode(r, new PromptCache(1L << 20));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.multimodalPrefill().prefill(session, encoded));
        assertTrue(e.getMessage().contains("holds 3 tokens"), e.getMessage());
    }
}
