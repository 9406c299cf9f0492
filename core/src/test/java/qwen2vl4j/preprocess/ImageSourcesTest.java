package qwen2vl4j.preprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ImageSourcesTest {
    private static final String PNG = "small_112x84.png";

    @Test
    void pathFileUriAndDataUriGiveTheSameImage() throws Exception {
        RgbImage fromPath = ImageSources.load(Fixtures.image(PNG).toString());
        RgbImage fromUri = ImageSources.load("file://" + Fixtures.image(PNG).toAbsolutePath());
        String data = "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(Fixtures.image(PNG)));
        RgbImage fromData = ImageSources.load(data);
        assertEquals(112, fromPath.width());
        assertEquals(84, fromPath.height());
        assertEquals(fromPath, fromUri);
        assertEquals(fromPath, fromData);
    }

    @Test
    void httpIsRefusedClearly() {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageSources.load("https://example.com/cat.png"));
        assertTrue(e.getMessage().contains("not supported here"), e.getMessage());
        assertThrows(ImageDecodeException.class, () -> ImageSources.load("http://example.com/cat.png"));
    }

    @Test
    void badDataUrisAreRefused() {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageSources.load("data:image/png,abc"));
        assertTrue(e.getMessage().contains("base64"), e.getMessage());
        e = assertThrows(ImageDecodeException.class, () -> ImageSources.load("data:image/png;base64,@@@@"));
        assertTrue(e.getMessage().contains("base64"), e.getMessage());
        e = assertThrows(ImageDecodeException.class, () -> ImageSources.load("data:image/png;base64,iVBO*Rw0K"));
        assertTrue(e.getMessage().contains("character '*' at offset 4"), "a stray character is refused, not skipped: " + e.getMessage());
        assertThrows(ImageDecodeException.class, () -> ImageSources.load("data:image/png;base64"));
        assertThrows(ImageDecodeException.class, () -> ImageSources.load(""));
    }
}
