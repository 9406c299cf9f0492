package qwen2vl4j.langchain4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import qwen2vl4j.Qwen2VL;

/** The tiny random-weight fixture model, loaded once per test JVM and shared by every test (as applications share it). */
final class TinyModel {
    private static Qwen2VL model;

    private TinyModel() {}

    static synchronized Qwen2VL get() {
        if (model == null) model = Qwen2VL.load(folder().toString());
        return model;
    }

    /** The fixtures folder (surefire sets {@code fixtures.dir}). */
    static Path fixtures() {
        String p = System.getProperty("fixtures.dir");
        Path dir = p != null ? Path.of(p) : Path.of("..", "fixtures");
        if (!Files.isDirectory(dir)) throw new IllegalStateException("fixtures folder not found at " + dir.toAbsolutePath());
        return dir;
    }

    static Path folder() {
        return fixtures().resolve("models/tiny-qwen2vl");
    }

    static Path image(String name) {
        return fixtures().resolve("images").resolve(name);
    }

    static String base64(Path file) {
        try {
            return Base64.getEncoder().encodeToString(Files.readAllBytes(file));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
