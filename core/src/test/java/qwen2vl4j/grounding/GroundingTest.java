package qwen2vl4j.grounding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import qwen2vl4j.generate.FinishReason;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.Timings;
import qwen2vl4j.generate.Usage;
import qwen2vl4j.tokenizer.Tokenizer;

class GroundingTest {
    private static final String REF = "<|object_ref_start|>", REF_END = "<|object_ref_end|>";
    private static final String BOX = "<|box_start|>", BOX_END = "<|box_end|>";

    static String ref(String label) {
        return REF + label + REF_END;
    }

    static String box(String content) {
        return BOX + content + BOX_END;
    }

    @Test
    void oneLabelledBox() {
        String text = "Here it is: " + ref("the cat") + box("(100,200),(300,400)") + "<|im_end|>";
        assertEquals(List.of(new Box("the cat", 100, 200, 300, 400)), Grounding.parseNormalized(text));
    }

    @Test
    void scalesToThe640x480OriginalImage() {
        String text = ref("dog") + box("(0,0),(1000,1000)") + ref("ball") + box("(250,500),(750,125)");
        assertEquals(List.of(new Box("dog", 0, 0, 640, 480), new Box("ball", 160, 60, 480, 240)),
                Grounding.parse(text, 640, 480));
    }

    @Test
    void severalBoxesAfterOneReferenceShareItsLabel() {
        String text = ref("the people") + box("(1,2),(3,4)") + box("(5,6),(7,8)") + ", " + box("(9,10),(11,12)")
                + " and " + box("(13,14),(15,16)");
        List<Box> boxes = Grounding.parseNormalized(text);
        assertEquals(4, boxes.size(), boxes.toString());
        for (Box b : boxes) assertEquals("the people", b.label());
        assertEquals(new Box("the people", 13, 14, 15, 16), boxes.get(3));
    }

    @Test
    void boxesWithoutAReferenceHaveNoLabel() {
        assertEquals(List.of(new Box(null, 10, 20, 30, 40)), Grounding.parseNormalized(box("(10,20),(30,40)")));
        String text = ref("cat") + box("(1,1),(2,2)") + " and then somewhere else " + box("(3,3),(4,4)");
        assertEquals(List.of(new Box("cat", 1, 1, 2, 2), new Box(null, 3, 3, 4, 4)), Grounding.parseNormalized(text));
    }

    @Test
    void referencesWithoutBoxesAreIgnored() {
        assertEquals(List.of(), Grounding.parseNormalized("The " + ref("cat") + " sits on the " + ref("mat") + "."));
        String text = ref("cat") + " and " + ref("mat") + box("(5,5),(6,6)");
        assertEquals(List.of(new Box("mat", 5, 5, 6, 6)), Grounding.parseNormalized(text));
        assertEquals(List.of(new Box(null, 5, 5, 6, 6)), Grounding.parseNormalized(ref("  ") + box("(5,5),(6,6)")));
    }

    @Test
    void malformedBoxesAreSkippedWithoutThrowing() {
        String good = box("(10,10),(20,20)");
        List<String> bad = List.of(
                box("(a,10),(20,20)"),            // not a number
                box("10,10,20,20"),               // no parentheses
                box("(10,10),(20,20"),            // a missing parenthesis
                box("(10,10)"),                   // one corner
                box("(10,10),(20,20),(30,30)"),   // three corners
                box(""),
                BOX + "(10,10),(20,20)",          // unclosed at the end
                BOX + "(1,1),(2,2)" + "<|quad_end|>");  // closed by the wrong tag
        for (String b : bad) {
            assertEquals(List.of(), Grounding.parseNormalized(b), b);
            assertEquals(List.of(new Box(null, 10, 10, 20, 20)), Grounding.parseNormalized(b + good), b + good);
        }
        assertEquals(List.of(new Box(null, 10, 10, 20, 20)),
                Grounding.parseNormalized(BOX + "(1,1),(2,2)" + good), "an unclosed box before a good one");
        assertEquals(List.of(new Box("cat", 10, 10, 20, 20)),
                Grounding.parseNormalized(REF + "cat" + good), "an unclosed reference ends at the next tag");
        assertEquals(List.of(new Box(null, 10, 10, 20, 20)),
                Grounding.parseNormalized(BOX_END + REF_END + "<|quad_end|>" + good), "stray closing tags");
        assertEquals(List.of(), Grounding.parseNormalized(REF + "dangling"));
        assertEquals(List.of(), Grounding.parseNormalized(null));
        assertEquals(List.of(), Grounding.parseNormalized("no tags at all"));
    }

    @Test
    void spacesDecimalsAndSwappedCornersAreAccepted() {
        assertEquals(List.of(new Box(null, 10.5, 20, 30, 40)), Grounding.parseNormalized(box(" ( 30 , 40 ) , ( 10.5 ,20 ) ")));
        assertEquals(List.of(new Box(null, 1, 2, 3, 4)), Grounding.parseNormalized(box("(1,2)(3,4)")));
    }

    @Test
    void coordinatesOutsideTheGridAreClamped() {
        assertEquals(List.of(new Box(null, 0, 900, 1000, 1000)), Grounding.parseNormalized(box("(-5,900),(1200,99999)")));
        assertEquals(List.of(new Box(null, 0, 432, 640, 480)), Grounding.parse(box("(-5,900),(1200,99999)"), 640, 480));
    }

    @Test
    void aQuadBecomesTheBoxAroundItsPoints() {
        String text = ref("sign") + "<|quad_start|>(100,200),(400,150),(420,500),(90,520)<|quad_end|>";
        assertEquals(List.of(new Box("sign", 90, 150, 420, 520)), Grounding.parseNormalized(text));
        assertEquals(List.of(), Grounding.parseNormalized("<|quad_start|>(1,2),(3,4)<|quad_end|>"));
    }

    @Test
    void aBadImageSizeIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Grounding.parse("", 0, 480));
        assertTrue(e.getMessage().contains("0x480"), e.getMessage());
    }

    @Test
    void boxesComeFromTheGeneratedIdsWithTheirSpecialTokens() throws Exception {
        Path modelDir = Path.of(System.getProperty("fixtures.dir"), "models/tiny-qwen2vl");
        Tokenizer tok = Tokenizer.load(modelDir);
        int[] ids = tok.encode(ref("the cat") + box("(100,200),(300,400)") + "<|im_end|>");
        assertTrue(tok.isSpecial(ids[0]), "the tags are special tokens");
        GenerationResult r = new GenerationResult(ids, tok.decode(ids, true), FinishReason.STOP,
                Usage.of(1, ids.length), Timings.of(0, 1, 0, 0));
        assertEquals(List.of(), Grounding.parse(r.text(), 640, 480), "the plain text has lost the tags");
        assertEquals(List.of(new Box("the cat", 64, 96, 192, 192)), Grounding.parse(r, tok, 640, 480));
    }
}
