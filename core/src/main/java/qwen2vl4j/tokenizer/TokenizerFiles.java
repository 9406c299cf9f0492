package qwen2vl4j.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import qwen2vl4j.io.ModelLoadException;

/**
 * Reads a byte-level BPE tokenizer from a model folder, in one of two layouts:
 * <ul>
 *   <li>{@code tokenizer.json} (vocabulary, merges as {@code "a b"} strings or {@code ["a","b"]}
 *       pairs, added tokens), or</li>
 *   <li>{@code vocab.json} + {@code merges.txt} (an optional {@code #version} first line), with the
 *       added tokens from {@code tokenizer_config.json}'s {@code added_tokens_decoder}.</li>
 * </ul>
 * Every error names the file and, where there is one, the field or line.
 */
final class TokenizerFiles {
    /** The Qwen2 split pattern; a tokenizer.json with another split regex is refused. */
    static final String QWEN2_PATTERN =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a tokenizer is made of. */
    record Contents(Map<String, Integer> vocab, MergeTable merges, List<AddedToken> addedTokens) {}

    private TokenizerFiles() {}

    static Contents read(Path modelDir) {
        Path tokenizerJson = modelDir.resolve("tokenizer.json");
        if (Files.isRegularFile(tokenizerJson)) return readTokenizerJson(tokenizerJson);
        Path vocabJson = modelDir.resolve("vocab.json");
        Path mergesTxt = modelDir.resolve("merges.txt");
        boolean hasVocab = Files.isRegularFile(vocabJson);
        boolean hasMerges = Files.isRegularFile(mergesTxt);
        if (!hasVocab && !hasMerges) {
            throw new ModelLoadException("no tokenizer in " + modelDir + ": expected " + tokenizerJson
                    + ", or vocab.json and merges.txt");
        }
        if (!hasVocab || !hasMerges) {
            Path missing = hasVocab ? mergesTxt : vocabJson;
            throw new ModelLoadException("tokenizer file " + missing + " is missing (" + (hasVocab ? "vocab.json" : "merges.txt")
                    + " is there, and there is no tokenizer.json)");
        }
        return readVocabAndMerges(vocabJson, mergesTxt, modelDir.resolve("tokenizer_config.json"));
    }

    /**
     * Reads tokenizer.json with the streaming parser: the file holds ~150k vocabulary entries and
     * merges, and a tree of nodes for them would cost seconds at every start.
     */
    private static Contents readTokenizerJson(Path file) {
        try (JsonParser p = JSON.getFactory().createParser(file.toFile())) {
            expect(p, p.nextToken(), JsonToken.START_OBJECT, file, "top level");
            Map<String, Integer> vocab = null;
            List<String[]> mergePairs = null;
            List<AddedToken> added = new ArrayList<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "model" -> {
                        expect(p, value, JsonToken.START_OBJECT, file, "model");
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String modelField = p.currentName();
                            JsonToken v = p.nextToken();
                            switch (modelField) {
                                case "type" -> {
                                    if (!"BPE".equals(p.getText())) {
                                        throw new ModelLoadException(file + ": model.type: expected BPE, found " + p.getText());
                                    }
                                }
                                case "vocab" -> vocab = streamVocab(p, v, file, "model.vocab");
                                case "merges" -> mergePairs = streamMerges(p, v, file);
                                default -> p.skipChildren();
                            }
                        }
                    }
                    case "added_tokens" -> {
                        JsonNode node = p.readValueAsTree();
                        if (node != null && !node.isNull()) {
                            if (!node.isArray()) {
                                throw new ModelLoadException(file + ": added_tokens: expected an array, found " + describe(node));
                            }
                            for (int i = 0; i < node.size(); i++) {
                                String where = "added_tokens[" + i + "]";
                                JsonNode t = requireObject(node.get(i), file, where);
                                added.add(addedToken(requireInt(t.get("id"), file, where + ".id"), t, file, where));
                            }
                        }
                    }
                    case "pre_tokenizer" -> checkPreTokenizer(p.readValueAsTree(), file);
                    default -> p.skipChildren();
                }
            }
            if (vocab == null) throw new ModelLoadException(file + ": model.vocab: expected an object, found nothing");
            if (mergePairs == null) throw new ModelLoadException(file + ": model.merges: expected an array, found nothing");
            MergeTable.Builder merges = new MergeTable.Builder();
            for (int i = 0; i < mergePairs.size(); i++) {
                String[] pair = mergePairs.get(i);
                addMerge(merges, vocab, pair[0], pair[1], file, "model.merges[" + i + "]");
            }
            return new Contents(vocab, merges.build(), added);
        } catch (JsonProcessingException e) {
            throw malformed(file, e);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Integer> streamVocab(JsonParser p, JsonToken start, Path file, String field) throws IOException {
        expect(p, start, JsonToken.START_OBJECT, file, field);
        Map<String, Integer> vocab = new HashMap<>(1 << 18);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String token = p.currentName();
            JsonToken v = p.nextToken();
            if (v != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT || p.getIntValue() < 0) {
                throw new ModelLoadException(file + ": " + field + "[\"" + token + "\"]: expected an id >= 0, found " + p.getText());
            }
            vocab.put(token, p.getIntValue());
        }
        return vocab;
    }

    private static List<String[]> streamMerges(JsonParser p, JsonToken start, Path file) throws IOException {
        expect(p, start, JsonToken.START_ARRAY, file, "model.merges");
        List<String[]> merges = new ArrayList<>(1 << 18);
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            String where = file + ": model.merges[" + merges.size() + "]";
            if (t == JsonToken.VALUE_STRING) {
                String s = p.getText();
                int space = s.indexOf(' ');
                if (space <= 0 || space == s.length() - 1 || s.indexOf(' ', space + 1) >= 0) {
                    throw new ModelLoadException(where + ": expected \"a b\", found \"" + s + "\"");
                }
                merges.add(new String[] {s.substring(0, space), s.substring(space + 1)});
            } else if (t == JsonToken.START_ARRAY) {
                String a = p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
                String b = a != null && p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
                if (b == null || p.nextToken() != JsonToken.END_ARRAY) {
                    throw new ModelLoadException(where + ": expected [\"a\",\"b\"], found another form");
                }
                merges.add(new String[] {a, b});
            } else {
                throw new ModelLoadException(where + ": expected \"a b\" or [\"a\",\"b\"], found " + p.getText());
            }
        }
        return merges;
    }

    private static void expect(JsonParser p, JsonToken found, JsonToken expected, Path file, String field) {
        if (found != expected) {
            String what = expected == JsonToken.START_OBJECT ? "an object" : "an array";
            throw new ModelLoadException(file + ": " + field + ": expected " + what + ", found "
                    + (found == null ? "nothing" : found.asString() != null ? found.asString() : found.name()));
        }
    }

    private static Contents readVocabAndMerges(Path vocabFile, Path mergesFile, Path configFile) {
        Map<String, Integer> vocab;
        try (JsonParser p = JSON.getFactory().createParser(vocabFile.toFile())) {
            vocab = streamVocab(p, p.nextToken(), vocabFile, "top level");
        } catch (JsonProcessingException e) {
            throw malformed(vocabFile, e);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + vocabFile + ": " + e.getMessage(), e);
        }
        MergeTable.Builder merges = new MergeTable.Builder();
        try (BufferedReader reader = Files.newBufferedReader(mergesFile, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("#version")) continue;
                if (line.isEmpty()) continue;
                int space = line.indexOf(' ');
                if (space <= 0 || space == line.length() - 1 || line.indexOf(' ', space + 1) >= 0) {
                    throw new ModelLoadException(mergesFile + " line " + lineNo + ": expected two tokens separated by one space, found \""
                            + line + "\"");
                }
                addMerge(merges, vocab, line.substring(0, space), line.substring(space + 1), mergesFile, "line " + lineNo);
            }
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + mergesFile + ": " + e.getMessage(), e);
        } catch (java.io.UncheckedIOException e) {
            throw new ModelLoadException("cannot read " + mergesFile + ": " + e.getCause().getMessage(), e);
        }
        List<AddedToken> added = new ArrayList<>();
        if (Files.isRegularFile(configFile)) {
            JsonNode decoder = parse(configFile).get("added_tokens_decoder");
            if (decoder != null && !decoder.isNull()) {
                requireObject(decoder, configFile, "added_tokens_decoder");
                for (Iterator<Map.Entry<String, JsonNode>> it = decoder.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String field = "added_tokens_decoder." + e.getKey();
                    int id;
                    try {
                        id = Integer.parseInt(e.getKey());
                    } catch (NumberFormatException nfe) {
                        throw new ModelLoadException(configFile + ": " + field + ": expected an integer id as key");
                    }
                    added.add(addedToken(id, requireObject(e.getValue(), configFile, field), configFile, field));
                }
            }
        }
        return new Contents(vocab, merges.build(), added);
    }

    private static void checkPreTokenizer(JsonNode preTokenizer, Path file) {
        if (preTokenizer == null || preTokenizer.isNull()) return;
        for (JsonNode regex : preTokenizer.findValues("Regex")) {
            if (!QWEN2_PATTERN.equals(regex.asText())) {
                throw new ModelLoadException(file + ": pre_tokenizer split regex: expected the Qwen2 pattern " + QWEN2_PATTERN
                        + ", found " + regex.asText());
            }
        }
    }

    private static void addMerge(MergeTable.Builder merges, Map<String, Integer> vocab, String a, String b, Path file,
                                 String where) {
        Integer left = vocab.get(a);
        Integer right = vocab.get(b);
        Integer merged = vocab.get(a + b);
        String missing = left == null ? a : right == null ? b : merged == null ? a + b : null;
        if (missing != null) {
            throw new ModelLoadException(file + ": " + where + ": merge \"" + a + "\" + \"" + b + "\" uses \"" + missing
                    + "\", which is not in the vocabulary");
        }
        merges.add(left, right, merged);
    }

    private static AddedToken addedToken(int id, JsonNode t, Path file, String field) {
        JsonNode content = t.get("content");
        if (content == null || !content.isTextual()) {
            throw new ModelLoadException(file + ": " + field + ".content: expected a string, found " + describe(content));
        }
        if (id < 0) throw new ModelLoadException(file + ": " + field + ".id: expected an id >= 0, found " + id);
        return new AddedToken(id, content.asText(), t.path("special").asBoolean(false), t.path("normalized").asBoolean(false));
    }

    private static JsonNode parse(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw malformed(file, e);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static ModelLoadException malformed(Path file, JsonProcessingException e) {
        return new ModelLoadException("malformed JSON in " + file + qwen2vl4j.io.Json.errorDetail(e), e);
    }

    private static JsonNode requireObject(JsonNode node, Path file, String field) {
        if (node == null || !node.isObject()) {
            throw new ModelLoadException(file + ": " + field + ": expected an object, found " + describe(node));
        }
        return node;
    }

    private static int requireInt(JsonNode node, Path file, String field) {
        if (node == null || !node.canConvertToInt() || !node.isIntegralNumber()) {
            throw new ModelLoadException(file + ": " + field + ": expected an integer, found " + describe(node));
        }
        return node.asInt();
    }

    private static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) return "nothing";
        String s = node.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
