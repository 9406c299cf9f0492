package qwen2vl4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import qwen2vl4j.Fixtures;

/** Model output may hold ids of the padded embedding rows (151657..151935): they decode to nothing. */
class DecodeGeneratedTest {
    @Test
    void idsPastTheTokenizerDecodeToNothing() {
        Tokenizer t = Tokenizer.load(Fixtures.tinyModel());
        int[] ids = {9707, 151700, 1879, 151935, 151645};
        assertEquals("Hello world<|im_end|>", t.decodeGenerated(ids, false));
        assertEquals("Hello world", t.decodeGenerated(ids, true));
        assertThrows(IllegalArgumentException.class, () -> t.decode(ids, false), "plain decode stays strict");
    }
}
