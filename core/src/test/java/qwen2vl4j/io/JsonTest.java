package qwen2vl4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parse errors say where and why in the user's terms, with none of Jackson's words for programmers. */
class JsonTest {
    static String detail(String json) {
        return Json.errorDetail(assertThrows(JsonProcessingException.class, () -> Json.MAPPER.readTree(json)));
    }

    @Test
    void errorDetailGivesTheLineColumnAndReason() {
        assertEquals(" at line 2, column 1: Unexpected end-of-input: expected close marker for Object (opened at line 1, column 7)",
                detail("{\"a\": {\n"));
        assertEquals(" at line 1, column 7: Unexpected character ('}' (code 125)): expected a valid value (JSON String, Number, Array,"
                + " Object or token 'null', 'true' or 'false')", detail("{\"a\": }"));
        assertEquals(" at line 1, column 10: Non-standard token 'NaN' (JSON numbers are finite: no NaN or Infinity)", detail("{\"a\": NaN}"));
        assertEquals(": Document nesting depth (1001) exceeds the maximum allowed (1000)", detail("[".repeat(1001)));
    }

    @Test
    void aTruncatedModelFileIsNamedWithTheDetail(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"qwen2_vl\",\n\"vision_config\": {");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Json.read(config));
        assertEquals("file " + config + " is not valid JSON at line 2, column 19: Unexpected end-of-input: expected close marker for"
                + " Object (opened at line 2, column 18)", e.getMessage());
    }
}
