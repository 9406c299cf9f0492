package qwen2vl4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import qwen2vl4j.io.ModelLoadException;

/** Typed field access on config JSON objects; errors name the file and the field. */
final class ConfigFields {
    private final Path file;

    ConfigFields(Path file) {
        this.file = file;
    }

    /** The first object among {@code nodes} that has {@code field}, else null. */
    static JsonNode first(String field, JsonNode... nodes) {
        for (JsonNode n : nodes) {
            if (n != null && n.has(field) && !n.get(field).isNull()) return n.get(field);
        }
        return null;
    }

    int intField(String field, int dflt, JsonNode... nodes) {
        JsonNode v = first(field, nodes);
        if (v == null) {
            if (dflt == Integer.MIN_VALUE) throw new ModelLoadException("config " + file + ": field '" + field + "' is missing");
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new ModelLoadException("config " + file + ": field '" + field + "' must be an integer, found " + v);
        }
        return v.asInt();
    }

    /** A required size or count: an integer of at least 1. */
    int requiredPositiveInt(String field, JsonNode... nodes) {
        return positiveInt(field, Integer.MIN_VALUE, nodes);
    }

    /** A size or count: an integer of at least 1, {@code dflt} when absent. */
    int positiveInt(String field, int dflt, JsonNode... nodes) {
        int v = intField(field, dflt, nodes);
        if (v < 1) throw new ModelLoadException("config " + file + ": field '" + field + "' must be at least 1, found " + v);
        return v;
    }

    /** A token id: an integer of at least 0 ({@code dflt} when absent). */
    int tokenId(String field, int dflt, JsonNode... nodes) {
        int v = intField(field, dflt, nodes);
        if (v < 0) throw new ModelLoadException("config " + file + ": field '" + field + "' must be a token id (0 or more), found " + v);
        return v;
    }

    double doubleField(String field, double dflt, JsonNode... nodes) {
        JsonNode v = first(field, nodes);
        if (v == null) return dflt;
        if (!v.isNumber()) throw new ModelLoadException("config " + file + ": field '" + field + "' must be a number, found " + v);
        return v.asDouble();
    }

    boolean boolField(String field, boolean dflt, JsonNode... nodes) {
        JsonNode v = first(field, nodes);
        if (v == null) return dflt;
        if (!v.isBoolean()) throw new ModelLoadException("config " + file + ": field '" + field + "' must be true or false, found " + v);
        return v.asBoolean();
    }

    String stringField(String field, String dflt, JsonNode... nodes) {
        JsonNode v = first(field, nodes);
        if (v == null) return dflt;
        if (!v.isTextual()) throw new ModelLoadException("config " + file + ": field '" + field + "' must be a string, found " + v);
        return v.asText();
    }

    /** An int or a list of ints (eos_token_id may be either). */
    int[] intList(String field, JsonNode... nodes) {
        JsonNode v = first(field, nodes);
        if (v == null) return new int[0];
        if (v.isIntegralNumber() && v.canConvertToInt()) return new int[] {v.asInt()};
        if (!v.isArray()) throw new ModelLoadException("config " + file + ": field '" + field + "' must be an integer or a list, found " + v);
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isIntegralNumber() || !v.get(i).canConvertToInt()) {
                throw new ModelLoadException("config " + file + ": field '" + field + "' must hold integers, found " + v);
            }
            out[i] = v.get(i).asInt();
        }
        return out;
    }

    ModelLoadException error(String message) {
        return new ModelLoadException("config " + file + ": " + message);
    }
}
