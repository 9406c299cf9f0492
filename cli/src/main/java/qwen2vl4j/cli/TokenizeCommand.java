package qwen2vl4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import qwen2vl4j.hub.ModelResolver;
import qwen2vl4j.io.Json;
import qwen2vl4j.tokenizer.Tokenizer;

/**
 * {@code tokenize}: JSON Lines in, JSON Lines out. Each input line is a JSON string and gives
 * {@code {"ids":[...]}}; with {@code --decode} each line is a JSON array of ids and gives
 * {@code {"text":"..."}}. Reads stdin and writes stdout as UTF-8.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Encode text to token ids (or decode ids to text) with the model's tokenizer.",
                "stdin: one JSON string per line -> stdout: one {\"ids\":[...]} per line.",
                "With --decode: one JSON array of ids per line -> one {\"text\":\"...\"} per line."})
public final class TokenizeCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    @Option(names = "--model", required = true, paramLabel = "M",
            description = "model folder, or a Hugging Face repo id found in the local cache")
    String model;

    @Option(names = "--decode", description = "decode: input lines are JSON arrays of token ids")
    boolean decode;

    @Option(names = "--skip-special", description = "with --decode: drop special tokens such as <|im_end|>")
    boolean skipSpecial;

    @Override
    public void run() {
        if (skipSpecial && !decode) throw new IllegalArgumentException("--skip-special only applies with --decode");
        Tokenizer tokenizer = Tokenizer.load(ModelResolver.resolveOrDownload(model));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        try {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                Object result = decode ? Map.of("text", decodeLine(tokenizer, line, lineNo))
                        : Map.of("ids", tokenizer.encode(textOf(line, lineNo)));
                out.write(JSON.writeValueAsString(result));
                out.write('\n');
                if (!in.ready()) out.flush(); // answer at once when the caller waits for it
            }
        } catch (IOException e) {
            throw new UncheckedIOException("tokenize: " + e.getMessage(), e);
        } finally {
            flushQuietly(out); // the lines before a bad line still reach the caller
        }
    }

    private static void flushQuietly(Writer out) {
        try {
            out.flush();
        } catch (IOException ignored) {
            // stdout is gone; nothing left to tell
        }
    }

    private static String textOf(String line, int lineNo) {
        JsonNode node = parseLine(line, lineNo);
        if (!node.isTextual()) throw new IllegalArgumentException(badLine(lineNo, "expected a JSON string", node));
        return node.asText();
    }

    private String decodeLine(Tokenizer tokenizer, String line, int lineNo) {
        JsonNode node = parseLine(line, lineNo);
        if (!node.isArray()) throw new IllegalArgumentException(badLine(lineNo, "expected a JSON array of token ids", node));
        int[] ids = new int[node.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = node.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToInt()) {
                throw new IllegalArgumentException(badLine(lineNo, "expected a token id (an integer in 0.." + (tokenizer.vocabSize() - 1)
                        + ") at index " + i, id));
            }
            ids[i] = id.asInt();
        }
        try {
            return tokenizer.decode(ids, skipSpecial);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("input line " + lineNo + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode parseLine(String line, int lineNo) {
        try {
            JsonNode node = JSON.readTree(line);
            if (node == null || node.isMissingNode()) throw new IllegalArgumentException("input line " + lineNo + ": empty line, expected JSON");
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("input line " + lineNo + ": not valid JSON" + Json.errorDetail(e));
        }
    }

    private static String badLine(int lineNo, String expected, JsonNode found) {
        String shown = found.toString();
        if (shown.length() > 60) shown = shown.substring(0, 57) + "...";
        return "input line " + lineNo + ": " + expected + ", found " + shown;
    }
}
