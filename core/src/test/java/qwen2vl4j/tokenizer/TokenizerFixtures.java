package qwen2vl4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Shared access to the reference fixtures: the tiny model's tokenizer and the golden cases. */
final class TokenizerFixtures {
    private static Tokenizer tokenizer;

    private TokenizerFixtures() {}

    /** One reference case. */
    record Case(String text, int[] ids, List<String> tokens, String decoded, String decodedSkipSpecial) {
        @Override
        public String toString() {
            String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
            return shown.replace("\n", "\\n").replace("\r", "\\r");
        }
    }

    static Path dir() {
        String dir = System.getProperty("fixtures.dir");
        if (dir == null) throw new IllegalStateException("system property fixtures.dir is not set (surefire sets it)");
        return Path.of(dir);
    }

    static Path modelDir() {
        return dir().resolve("models").resolve("tiny-qwen2vl");
    }

    static synchronized Tokenizer tokenizer() {
        if (tokenizer == null) tokenizer = Tokenizer.load(modelDir());
        return tokenizer;
    }

    static List<Case> cases(String file) {
        try {
            JsonNode root = new ObjectMapper().readTree(dir().resolve(file).toFile());
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : root) {
                int[] ids = new int[c.get("ids").size()];
                for (int i = 0; i < ids.length; i++) ids[i] = c.get("ids").get(i).asInt();
                List<String> tokens = new ArrayList<>();
                c.get("tokens").forEach(t -> tokens.add(t.asText()));
                cases.add(new Case(c.get("text").asText(), ids, tokens, c.get("decoded").asText(),
                        c.get("decoded_skip_special").asText()));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
