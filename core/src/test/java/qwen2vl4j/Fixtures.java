package qwen2vl4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Where the golden fixtures copied into the project live (surefire sets {@code fixtures.dir}). */
public final class Fixtures {
    private Fixtures() {}

    public static Path dir() {
        String p = System.getProperty("fixtures.dir");
        Path dir = p != null ? Paths.get(p) : Paths.get("..", "fixtures");
        if (!Files.isDirectory(dir)) throw new IllegalStateException("fixtures folder not found at " + dir.toAbsolutePath());
        return dir;
    }

    public static Path file(String name) {
        return dir().resolve(name);
    }

    public static Path tinyModel() {
        return dir().resolve("models/tiny-qwen2vl");
    }

    public static Path geometryModel() {
        return dir().resolve("models/geometry-qwen2vl");
    }
}
