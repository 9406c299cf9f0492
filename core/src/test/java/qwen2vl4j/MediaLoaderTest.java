package qwen2vl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.chat.ChatTemplate;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.grounding.Box;
import qwen2vl4j.preprocess.ImageDecodeException;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.ImageDecoderTest;
import qwen2vl4j.preprocess.MediaInputException;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.preprocess.VideoSources;
import qwen2vl4j.preprocess.VisionOptions;
import qwen2vl4j.tokenizer.Tokenizer;

/**
 * Media of chat messages read from every kind of {@link MediaSource} (as the library, the command line and the server
 * pass them) give the same frames and the same model inputs; failures name the part.
 */
class MediaLoaderTest {
    static final MediaLoader LOADER = new MediaLoader(new ImageDecoder());
    static Qwen2VLProcessor processor;

    @BeforeAll
    static void processor() {
        Path m = Fixtures.tinyModel();
        processor = new Qwen2VLProcessor(ModelConfig.load(m), Tokenizer.load(m), ChatTemplate.load(m), PreprocessorConfig.load(m),
                new ImageDecoder());
    }

    static String dataUri(String mime, byte[] bytes) {
        return "data:" + mime + ";base64," + Base64.getEncoder().encodeToString(bytes);
    }

    @Test
    void anAnimatedGifIsTheSameVideoFromAFileFromBytesAndFromADataUri(@TempDir Path dir) throws Exception {
        byte[] gif = ImageDecoderTest.animatedGif(new int[] {0xFF0000, 0x00FF00, 0x0000FF}, 25);
        Path file = Files.write(dir.resolve("clip.gif"), gif);
        VideoSources.VideoInput fromFile = LOADER.video(List.of(new MediaSource.FileSource(file)), VisionOptions.DEFAULT);
        assertEquals(3, fromFile.frames().size());
        assertEquals(4.0, fromFile.fps(), 1e-9);
        for (MediaSource s : List.of(new MediaSource.BytesSource(gif, "clip"), new MediaSource.UriSource(dataUri("image/gif", gif)))) {
            VideoSources.VideoInput v = LOADER.video(List.of(s), VisionOptions.DEFAULT);
            assertEquals(fromFile.frames(), v.frames(), s.toString());
            assertEquals(fromFile.fps(), v.fps(), s.toString());
        }
    }

    @Test
    void framesGivenOneByOneAreTheSameInEveryForm() throws Exception {
        List<MediaSource> files = new ArrayList<>(), bytes = new ArrayList<>(), uris = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path frame = Fixtures.file("videos/moving_8x168x224/frame_00" + i + ".png");
            files.add(new MediaSource.FileSource(frame));
            bytes.add(new MediaSource.BytesSource(Files.readAllBytes(frame), "frame " + i));
            uris.add(new MediaSource.UriSource(dataUri("image/png", Files.readAllBytes(frame))));
        }
        VideoSources.VideoInput expected = LOADER.video(files, VisionOptions.DEFAULT);
        assertEquals(3, expected.frames().size());
        assertNull(expected.fps(), "frames given one by one are used as given, not sampled");
        assertEquals(expected.frames(), LOADER.video(bytes, VisionOptions.DEFAULT).frames());
        assertEquals(expected.frames(), LOADER.video(uris, VisionOptions.DEFAULT).frames());
    }

    @Test
    void aFrameThatCannotBeDecodedIsNamedAndSoIsTheFrameOverThePixelLimit() throws Exception {
        byte[] png = Files.readAllBytes(Fixtures.file("videos/moving_8x168x224/frame_000.png"));
        List<MediaSource> frames = List.of(new MediaSource.BytesSource(png, "f0"), new MediaSource.BytesSource("junk".getBytes(), "f1"));
        MediaInputException bad = assertThrows(MediaInputException.class, () -> LOADER.video(frames, VisionOptions.DEFAULT));
        assertEquals("f1", bad.source());
        assertTrue(bad.getMessage().contains("f1"), bad.getMessage());

        MediaLoader small = new MediaLoader(new ImageDecoder(2L * 168 * 224 + 1));
        List<MediaSource> three = List.of(new MediaSource.BytesSource(png, "f0"), new MediaSource.BytesSource(png, "f1"),
                new MediaSource.BytesSource(png, "f2"));
        MediaInputException over = assertThrows(MediaInputException.class, () -> small.video(three, VisionOptions.DEFAULT));
        assertEquals("f0", over.source(), "a video's own errors name its first frame");
        assertTrue(over.getMessage().contains("up to f2"), over.getMessage());
    }

    /** A single video file that is no video, GIF or image, or none at all, is named as the video, with what a video may be. */
    @Test
    void aFileThatIsNoVideoIsNamedAsAVideo(@TempDir Path dir) throws Exception {
        Path notes = Files.writeString(dir.resolve("notes.txt"), "no video here, no image either");
        MediaInputException e = assertThrows(MediaInputException.class,
                () -> LOADER.video(List.of(new MediaSource.FileSource(notes)), VisionOptions.DEFAULT));
        assertTrue(e.getMessage().startsWith("video " + notes + " is not a folder of frames, a video file ("), e.getMessage());
        assertTrue(e.getMessage().contains("mp4") && e.getMessage().contains("an animated GIF or a frame image"), e.getMessage());

        Path missing = dir.resolve("clip.xyz");
        MediaInputException gone = assertThrows(MediaInputException.class,
                () -> LOADER.video(List.of(new MediaSource.FileSource(missing)), VisionOptions.DEFAULT));
        assertEquals("video " + missing + " does not exist", gone.getMessage());
        // the check without decoding gives the same messages, and passes what load takes
        assertEquals(e.getMessage(), assertThrows(ImageDecodeException.class, () -> VideoSources.check(notes)).getMessage());
        assertEquals(gone.getMessage(), assertThrows(ImageDecodeException.class, () -> VideoSources.check(missing)).getMessage());
        assertEquals("video " + dir.resolve("x.mp4") + " does not exist",
                assertThrows(ImageDecodeException.class, () -> VideoSources.check(dir.resolve("x.mp4"))).getMessage());
        VideoSources.check(Fixtures.file("images/exact_224x224.png"));

        Path frame = Fixtures.file("videos/moving_8x168x224/frame_000.png");
        assertEquals(1, LOADER.video(List.of(new MediaSource.FileSource(frame)), VisionOptions.DEFAULT).frames().size(),
                "one frame image is a one-frame video");
    }

    @Test
    void theProcessorGivesTheSameInputsForAFileAndItsBytes() throws Exception {
        Path file = Fixtures.file("images/small_112x84.png");
        Map<String, Object> options = Map.of("max_pixels", 20000);
        ModelInputs fromFile = processor.process(List.of(new Message("user", List.of(
                new ContentPart.Image(new MediaSource.FileSource(file), options), new ContentPart.Text("?")))), true, false);
        ModelInputs fromBytes = processor.process(List.of(new Message("user", List.of(
                new ContentPart.Image(new MediaSource.BytesSource(Files.readAllBytes(file), "x"), options), new ContentPart.Text("?")))),
                true, false);
        assertArrayEquals(fromFile.ids(), fromBytes.ids());
        assertArrayEquals(fromFile.images().data(), fromBytes.images().data());
        assertEquals(fromFile.imageSizes(), fromBytes.imageSizes());
    }

    @Test
    void badOptionsAndUndecodableMediaNameThePart() throws Exception {
        byte[] png = Files.readAllBytes(Fixtures.file("images/tiny_20x30.png"));
        List<Message> hugeSize = List.of(new Message("user", List.of(new ContentPart.Image(new MediaSource.BytesSource(png, "part 7"),
                Map.of("resized_height", 3_000_000_000L, "resized_width", 28)))));
        MediaInputException e = assertThrows(MediaInputException.class, () -> processor.process(hugeSize, true, false));
        assertEquals("part 7", e.source());
        assertTrue(e.getMessage().startsWith("part 7: "), e.getMessage());

        List<Message> notAVideo = List.of(new Message("user", List.of(new ContentPart.Video(
                List.of(new MediaSource.BytesSource("no video here, no image either".getBytes(), "clip 3")), Map.of()))));
        MediaInputException v = assertThrows(MediaInputException.class, () -> processor.process(notAVideo, true, false));
        assertEquals("clip 3", v.source());
        assertTrue(v.getMessage().contains("video clip 3 is not a video file (MP4, MOV, WebM, MKV or AVI), an animated GIF or a frame image"
                + " (first bytes 6e6f20766964656f)"), v.getMessage());
        MediaInputException empty = assertThrows(MediaInputException.class,
                () -> LOADER.video(List.of(new MediaSource.BytesSource(new byte[0], "clip 4")), VisionOptions.DEFAULT));
        assertEquals("video clip 4 is empty (0 bytes)", empty.getMessage());

        MediaInputException remote = assertThrows(MediaInputException.class,
                () -> LOADER.video(List.of(MediaSource.of("https://example.com/clip.mp4")), VisionOptions.DEFAULT));
        assertEquals("https://example.com/clip.mp4", remote.source());
        assertTrue(remote.getMessage().contains("download it"), remote.getMessage());
    }

    @Test
    void boxesReferToTheFirstImageOrToTheGridWithoutImages() {
        List<Message> twoImages = List.of(new Message("user", List.of(
                new ContentPart.Image(new MediaSource.FileSource(Fixtures.file("images/small_112x84.png"))),
                new ContentPart.Image(new MediaSource.FileSource(Fixtures.file("images/tiny_20x30.png"))),
                new ContentPart.Text("Where?"))));
        ModelInputs inputs = processor.process(twoImages, true, false);
        assertEquals(List.of(new ModelInputs.Size(112, 84), new ModelInputs.Size(20, 30)), inputs.imageSizes());
        String answer = "<|object_ref_start|>it<|object_ref_end|><|box_start|>(500,250),(1000,1000)<|box_end|>";
        assertEquals(List.of(new Box("it", 56, 21, 112, 84)), inputs.boxes(answer));
        ModelInputs text = processor.process(List.of(Message.user("Where?")), true, false);
        assertEquals(List.of(new Box("it", 500, 250, 1000, 1000)), text.boxes(answer));
    }
}
