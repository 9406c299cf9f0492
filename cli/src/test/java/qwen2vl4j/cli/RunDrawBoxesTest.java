package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.ModelInputs;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.grounding.Box;
import qwen2vl4j.grounding.BoxDrawer;
import qwen2vl4j.grounding.Grounding;
import qwen2vl4j.tokenizer.Tokenizer;

/** {@code run --draw-boxes}: on the tiny model (whose random answers hold no boxes) and with a fake answer. */
class RunDrawBoxesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURES = Path.of(System.getProperty("fixtures.dir"));
    private static final Path MODEL = FIXTURES.resolve("models/tiny-qwen2vl");

    @TempDir
    Path dir;

    static Path image(String name) {
        return FIXTURES.resolve("images").resolve(name);
    }

    static void assertSamePixels(Path expected, Path actual) throws Exception {
        BufferedImage a = ImageIO.read(expected.toFile()), b = ImageIO.read(actual.toFile());
        assertEquals(a.getWidth(), b.getWidth());
        assertEquals(a.getHeight(), b.getHeight());
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                assertEquals(a.getRGB(x, y) & 0xFFFFFF, b.getRGB(x, y) & 0xFFFFFF, "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void jsonCarriesTheBoxesOfTheAnswerAndThePngIsWritten() throws Exception {
        Path out = dir.resolve("boxes.png");
        CliRun r = CliRun.of("run", "--model", MODEL.toString(), "--image", image("small_112x84.png").toString(),
                "--prompt", "Find the cat.", "--greedy", "--ignore-eos", "--max-tokens", "12", "--format", "json",
                "--draw-boxes", out.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("", r.stderr());
        JsonNode json = JSON.readTree(r.stdout());
        assertEquals(List.of("ids", "text", "finish_reason", "usage", "timings", "boxes"), RunCommandTest.fieldNames(json));
        String answer = Tokenizer.load(MODEL).decode(RunCommandTest.ints(json.get("ids")), false);
        assertEquals(List.of(), Grounding.parse(answer, 112, 84), "the tiny model's answer: " + answer);
        assertTrue(json.get("boxes").isArray() && json.get("boxes").isEmpty(), json.toString());
        assertSamePixels(image("small_112x84.png"), out);
    }

    @Test
    void textFormatReportsTheBoxesOnStderr() throws Exception {
        Path out = dir.resolve("t.png");
        CliRun r = CliRun.of("run", "--model", MODEL.toString(), "--image", image("tiny_20x30.png").toString(),
                "--prompt", "Where?", "--greedy", "--ignore-eos", "--max-tokens", "4", "--draw-boxes", out.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        List<String> lines = r.stderr().lines().toList();
        assertEquals(2, lines.size(), r.stderr());
        assertEquals("[0 boxes drawn on " + out + "]", lines.get(1));
        assertTrue(Files.isRegularFile(out));
    }

    @Test
    void withoutTheFlagTheJsonShapeIsUnchanged() throws Exception {
        CliRun r = CliRun.of("run", "--model", MODEL.toString(), "--image", image("tiny_20x30.png").toString(),
                "--prompt", "Where?", "--greedy", "--max-tokens", "2", "--format", "json");
        assertEquals(0, r.exitCode(), r.stderr());
        assertFalse(JSON.readTree(r.stdout()).has("boxes"));
    }

    @Test
    void aFakeAnswerIsScaledToTheFirstImageAndDrawn() throws Exception {
        Path out = dir.resolve("fake.png");
        List<Message> messages = List.of(new Message("user", List.of(
                new ContentPart.Image(MediaSource.of(image("gradient_640x480.png").toString())),
                new ContentPart.Image(MediaSource.of(image("tiny_20x30.png").toString())),
                new ContentPart.Text("Find the cat."))));
        BoxDrawing drawing = BoxDrawing.prepare(out, messages);
        String answer = "<|object_ref_start|>the cat<|object_ref_end|><|box_start|>(100,250),(600,750)<|box_end|>"
                + " and a box without a name <|box_start|>(500,500),(1200,1000)<|box_end|><|im_end|>";
        // the sizes the request's preprocessing found (ModelInputs.imageSizes), in order; the first image is drawn on
        ModelInputs inputs = new ModelInputs("", new int[0], null, null, 0, 0,
                List.of(new ModelInputs.Size(640, 480), new ModelInputs.Size(20, 30)));
        List<Box> boxes = drawing.draw(inputs, answer);
        assertEquals(List.of(new Box("the cat", 64, 120, 384, 360), new Box(null, 320, 240, 640, 480)), boxes);
        assertEquals(List.of(Map.of("label", "the cat", "x1", 64.0, "y1", 120.0, "x2", 384.0, "y2", 360.0)),
                BoxDrawing.toJson(boxes.subList(0, 1)));
        assertNull(BoxDrawing.toJson(boxes).get(1).get("label"));
        assertEquals("[2 boxes drawn on " + out + "; the cat (64,120)-(384,360); - (320,240)-(640,480)]",
                BoxDrawing.summary(boxes, out));

        BufferedImage png = ImageIO.read(out.toFile()), original = ImageIO.read(image("gradient_640x480.png").toFile());
        assertEquals(640, png.getWidth());
        assertEquals(480, png.getHeight());
        assertEquals(BoxDrawer.colour(0).getRGB(), png.getRGB(64, 240), "left edge of box 0");
        assertEquals(BoxDrawer.colour(1).getRGB(), png.getRGB(639, 400), "right edge of box 1, on the image border");
        assertEquals(original.getRGB(200, 240), png.getRGB(200, 240), "inside box 0");
        assertNotEquals(original.getRGB(64, 240), png.getRGB(64, 240));
    }

    @Test
    void aRequestWithoutAnImageOrAMissingFolderIsRefusedBeforeLoading() {
        CliRun noImage = CliRun.of("run", "--model", "/no/such/model", "--prompt", "Find the cat.", "--draw-boxes", "o.png");
        RunCommandTest.assertOneLineError(noImage, "--draw-boxes o.png needs an image in the request");
        Path out = dir.resolve("missing/o.png");
        CliRun noFolder = CliRun.of("run", "--model", "/no/such/model", "--image", image("tiny_20x30.png").toString(),
                "--prompt", "x", "--draw-boxes", out.toString());
        RunCommandTest.assertOneLineError(noFolder, "folder " + dir.resolve("missing") + " does not exist");
    }

    /** Was a stack trace from ImageIO and "cannot write : Can't create an ImageOutputStream!" after the whole answer. */
    @Test
    void anEmptyPathOrAFolderIsRefusedBeforeLoading() {
        String img = image("tiny_20x30.png").toString();
        RunCommandTest.assertOneLineError(CliRun.of("run", "--model", "/no/such/model", "--image", img, "--prompt", "x", "--draw-boxes", ""),
                "--draw-boxes must name a PNG file to write, found ''");
        RunCommandTest.assertOneLineError(CliRun.of("run", "--model", "/no/such/model", "--image", img, "--prompt", "x",
                "--draw-boxes", dir.toString()), "--draw-boxes must name a PNG file to write, found the folder " + dir);
    }

    @Test
    void theFirstImageIsTheOneTheBoxesReferTo() {
        MediaSource first = MediaSource.of("a.png"), second = MediaSource.of("b.png");
        List<Message> messages = List.of(Message.system("sys"),
                new Message("user", List.of(new ContentPart.Video(List.of(MediaSource.of("v")), Map.of()),
                        new ContentPart.Text("x"))),
                new Message("user", List.of(new ContentPart.Image(first), new ContentPart.Image(second))));
        assertEquals(first, BoxDrawing.firstImage(messages));
        assertNull(BoxDrawing.firstImage(List.of(Message.user("no image"))));
        assertThrows(IllegalArgumentException.class, () -> BoxDrawing.prepare(Path.of("o.png"), List.of(Message.user("x"))));
    }
}
