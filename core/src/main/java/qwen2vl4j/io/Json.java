package qwen2vl4j.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads JSON files of a model folder, with errors that name the file. */
public final class Json {
    /** The shared mapper (thread-safe once configured). */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    public static JsonNode read(Path file) {
        try {
            JsonNode n = MAPPER.readTree(file.toFile());
            if (n == null || n.isMissingNode()) throw new ModelLoadException("file " + file + " is empty, expected JSON");
            return n;
        } catch (JsonProcessingException e) {
            throw new ModelLoadException("file " + file + " is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : ""), e);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new ModelLoadException("file " + file + " does not exist", e);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
