package qwen2vl4j.io;

import com.fasterxml.jackson.core.JsonLocation;
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

    /**
     * Where and why a parse failed, to follow a message naming the input: {@code " at line 3, column 7: Unexpected
     * character ('}' (code 125))"} (or {@code ": ..."} without a location). Jackson's own words lose what a user cannot
     * act on: the source it redacts ({@code (start marker at [Source: REDACTED ...; line: 1, column: 1])} becomes
     * {@code (opened at line 1, column 1)}), its advice to programmers ({@code enable `...` to allow}, {@code from
     * `StreamReadConstraints...`}) and the lines after the first.
     */
    public static String errorDetail(JsonProcessingException e) {
        String m = String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse("");
        m = m.replaceAll("\\(start marker at \\[Source: .*?; line: (\\d+), column: (\\d+)\\]\\)", "(opened at line $1, column $2)")
                .replaceAll(":? ?enable `[^`]*` to allow", "").replaceAll(", from `[^`]*`", "");
        if (m.startsWith("Non-standard token")) m += " (JSON numbers are finite: no NaN or Infinity)";
        JsonLocation at = e.getLocation();
        return (at == null || at.getLineNr() < 1 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()) + ": " + m;
    }

    public static JsonNode read(Path file) {
        try {
            JsonNode n = MAPPER.readTree(file.toFile());
            if (n == null || n.isMissingNode()) throw new ModelLoadException("file " + file + " is empty, expected JSON");
            return n;
        } catch (JsonProcessingException e) {
            throw new ModelLoadException("file " + file + " is not valid JSON" + errorDetail(e), e);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new ModelLoadException("file " + file + " does not exist", e);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
