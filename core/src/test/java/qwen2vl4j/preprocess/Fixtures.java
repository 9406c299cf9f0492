package qwen2vl4j.preprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the reference fixtures ({@code fixtures.dir}, set by surefire). */
final class Fixtures {
    private Fixtures() {}

    static Path dir() {
        String d = System.getProperty("fixtures.dir");
        if (d == null) throw new IllegalStateException("system property fixtures.dir is not set (run the tests through Maven)");
        return Path.of(d);
    }

    static Path image(String name) {
        return dir().resolve("images").resolve(name);
    }

    static Path modelDir() {
        return dir().resolve("models").resolve("tiny-qwen2vl");
    }

    static JsonNode json(String name) {
        try {
            return new ObjectMapper().readTree(Files.readString(dir().resolve(name)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asLong();
        return out;
    }
}
