package qwen2vl4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

/**
 * The inputs of {@code batch}: a folder (its image files, recursively), a glob ({@code photos/**.jpg}), a JSON Lines
 * file of {@code {"path": ..., "prompt": ...}} objects (paths relative to the file's folder; {@code prompt} optional),
 * or one image file. Paths become absolute, so that a resumed run recognises them.
 */
final class BatchInputs {
    /** One image to answer; {@code prompt} null means the command's {@code --prompt}. */
    record Input(String path, String prompt) {}

    static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff");

    private BatchInputs() {}

    /**
     * @throws IllegalArgumentException naming the input that matches nothing, or the JSONL line that is not valid
     */
    static List<Input> list(String input) {
        if (input.isBlank()) throw new IllegalArgumentException("--input must name a folder, a glob, a .jsonl file or an image, found ''");
        if (input.endsWith(".jsonl") && Files.isRegularFile(Path.of(input))) return jsonLines(Path.of(input));
        if (input.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{')) return glob(input);
        Path p = Path.of(input);
        if (Files.isDirectory(p)) return folder(p);
        if (Files.isRegularFile(p)) return List.of(new Input(p.toAbsolutePath().normalize().toString(), null));
        throw new IllegalArgumentException("--input " + input + ": no such file or folder (give a folder, a glob, a .jsonl file or an image)");
    }

    private static List<Input> folder(Path dir) {
        List<Input> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(Files::isRegularFile).filter(BatchInputs::isImage).sorted()
                    .forEach(f -> out.add(new Input(f.toAbsolutePath().normalize().toString(), null)));
        } catch (IOException e) {
            throw new UncheckedIOException("--input " + dir + ": cannot list the folder: " + e.getMessage(), e);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--input " + dir + ": the folder holds no image files (" + String.join(", ", IMAGE_EXTENSIONS.stream().sorted().toList()) + ")");
        return out;
    }

    private static List<Input> glob(String pattern) {
        // the folder part before the first wildcard is walked; the whole pattern is matched against the paths in it
        String normalized = pattern.replace('\\', '/');
        int wildcard = 0;
        while (wildcard < normalized.length() && "*?[{".indexOf(normalized.charAt(wildcard)) < 0) wildcard++;
        int slash = normalized.lastIndexOf('/', wildcard);
        Path base = slash < 0 ? Path.of("") : Path.of(normalized.substring(0, slash + 1));
        Path walkRoot = base.toString().isEmpty() ? Path.of(".") : base;
        PathMatcher matcher;
        try {
            matcher = FileSystems.getDefault().getPathMatcher("glob:" + normalized);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("--input " + pattern + ": not a valid glob: " + e.getDescription() + " at index " + e.getIndex()
                    + " (* ? [abc] {a,b} and ** are allowed)");
        }
        List<Input> out = new ArrayList<>();
        if (Files.isDirectory(walkRoot)) {
            try (Stream<Path> files = Files.walk(walkRoot)) {
                files.filter(Files::isRegularFile)
                        .filter(f -> matcher.matches(base.toString().isEmpty() ? walkRoot.relativize(f) : f))
                        .sorted().forEach(f -> out.add(new Input(f.toAbsolutePath().normalize().toString(), null)));
            } catch (IOException e) {
                throw new UncheckedIOException("--input " + pattern + ": cannot list " + walkRoot + ": " + e.getMessage(), e);
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--input " + pattern + ": the glob matches no file");
        return out;
    }

    private static List<Input> jsonLines(Path file) {
        ObjectMapper json = new ObjectMapper();
        Path dir = file.toAbsolutePath().getParent();
        List<Input> out = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("--input " + file + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            String where = file + " line " + (i + 1);
            JsonNode node;
            try {
                node = json.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException(where + ": not a JSON object" + qwen2vl4j.io.Json.errorDetail(e));
            }
            if (!node.isObject() || !node.path("path").isTextual()) {
                throw new IllegalArgumentException(where + ": needs a \"path\" string (and optionally a \"prompt\" string), found " + line);
            }
            JsonNode prompt = node.get("prompt");
            if (prompt != null && !prompt.isNull() && !prompt.isTextual()) throw new IllegalArgumentException(where + ": \"prompt\" must be a string, found " + prompt);
            String path = node.get("path").asText();
            String resolved = path.matches("(?i)[a-z][a-z0-9+.-]*:.*") && !path.startsWith("file:") ? path
                    : dir.resolve(path.startsWith("file:") ? Path.of(java.net.URI.create(path)).toString() : path).normalize().toString();
            out.add(new Input(resolved, prompt == null || prompt.isNull() ? null : prompt.asText()));
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--input " + file + ": no rows");
        return out;
    }

    private static boolean isImage(Path f) {
        String name = f.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
