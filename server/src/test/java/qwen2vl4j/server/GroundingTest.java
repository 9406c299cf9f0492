package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Grounding boxes read from an answer with special tokens and scaled to the original image. */
class GroundingTest {
    @Test
    void labelledBoxesAreReadInOrder() {
        String text = "Here: <|object_ref_start|>the red car<|object_ref_end|><|box_start|>(100,200),(500,800)<|box_end|> and "
                + "<|object_ref_start|>a dog<|object_ref_end|> <|box_start|>( 0, 0 ) , (1000,1000)<|box_end|>"
                + "<|box_start|>(10,20),(30,40)<|box_end|><|im_end|>";
        List<Grounding.Box> boxes = Grounding.parse(text);
        assertEquals(List.of(new Grounding.Box("the red car", 100, 200, 500, 800), new Grounding.Box("a dog", 0, 0, 1000, 1000),
                new Grounding.Box("a dog", 10, 20, 30, 40)), boxes);
    }

    @Test
    void unlabelledAndMalformedBoxes() {
        assertEquals(List.of(new Grounding.Box(null, 1, 2, 3, 4)), Grounding.parse("<|box_start|>(1,2),(3,4)<|box_end|>"));
        assertEquals(List.of(), Grounding.parse("no boxes (1,2),(3,4) here"));
        assertEquals(List.of(), Grounding.parse("<|box_start|>(1,2)<|box_end|> <|box_start|>(a,b),(c,d)<|box_end|>"));
    }

    @Test
    void pixelsOfTheOriginalImage() {
        Grounding.Box box = new Grounding.Box("x", 100, 250, 500, 1000);
        assertArrayEquals(new double[] {64, 120, 320, 480}, box.pixels(640, 480));
        Map<String, Object> json = Grounding.toJson(List.of(box), new int[] {640, 480}).get(0);
        assertEquals(List.of(64.0, 120.0, 320.0, 480.0), json.get("box"));
        assertEquals(List.of(100, 250, 500, 1000), json.get("box_1000"));
        assertEquals(640, json.get("image_width"));
        assertEquals(Map.of("label", "x", "box_1000", List.of(100, 250, 500, 1000)), Grounding.toJson(List.of(box), null).get(0));
    }
}
