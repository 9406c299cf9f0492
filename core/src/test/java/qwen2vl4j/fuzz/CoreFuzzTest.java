package qwen2vl4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import qwen2vl4j.Fixtures;
import qwen2vl4j.MediaLoader;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.jinja.JinjaTemplate;
import qwen2vl4j.chat.jinja.TemplateException;
import qwen2vl4j.config.GenerationConfig;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.generate.SamplingParams;
import qwen2vl4j.grounding.Box;
import qwen2vl4j.grounding.Grounding;
import qwen2vl4j.io.ModelLoadException;
import qwen2vl4j.io.SafeTensors;
import qwen2vl4j.preprocess.ImageDecodeException;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.preprocess.RgbImage;
import qwen2vl4j.tokenizer.Tokenizer;

/**
 * Fuzz targets of the parsers that read untrusted bytes. Under {@code mvn verify} each runs in regression mode on its
 * committed inputs ({@code src/test/resources/qwen2vl4j/fuzz/CoreFuzzTestInputs/<target>/}); {@code bin/fuzz} fuzzes
 * them ({@code JAZZER_FUZZ=1}). The contract of each: only its documented exception, never another one, a hang or a
 * wrong answer; every crash found becomes an input there.
 */
class CoreFuzzTest {
    private static Tokenizer tokenizer;
    private static final MediaLoader MEDIA = new MediaLoader(new ImageDecoder(4L << 20));

    private static synchronized Tokenizer tokenizer() {
        if (tokenizer == null) tokenizer = Tokenizer.load(Fixtures.tinyModel());
        return tokenizer;
    }

    /** The safetensors header parser: any file is opened or refused with a {@link ModelLoadException}. */
    @FuzzTest(maxDuration = "5s")
    void safetensorsHeader(byte[] data) throws IOException {
        Path file = Files.createTempFile("fuzz", ".safetensors");
        try {
            Files.write(file, data);
            try (SafeTensors st = SafeTensors.open(file)) {
                st.names().forEach(n -> assertTrue(st.tensor(n).numel() >= 0));
            } catch (ModelLoadException expected) {
                // refused with a message naming the file
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * The model folder's JSON files: the same bytes as config.json, preprocessor_config.json and generation_config.json
     * load or are refused naming the file ({@link ModelLoadException}, {@link IllegalArgumentException}), and what loads
     * is in range (sizes at least 1).
     */
    @FuzzTest(maxDuration = "5s")
    void modelFolderConfigs(byte[] data) throws IOException {
        Path dir = Files.createTempDirectory("fuzz-config");
        try {
            for (String name : new String[] {"config.json", "preprocessor_config.json", "generation_config.json"}) {
                Files.write(dir.resolve(name), data);
            }
            try {
                ModelConfig config = ModelConfig.load(dir);
                assertTrue(config.text().numHiddenLayers() >= 1 && config.vision().depth() >= 1 && config.text().headDim() >= 1);
                SamplingParams.from(GenerationConfig.load(dir, config.eosTokenIds()));
            } catch (ModelLoadException | IllegalArgumentException refused) {
                assertTrue(refused.getMessage() != null && refused.getMessage().contains("json"), refused.getMessage());
            }
            try {
                assertTrue(PreprocessorConfig.load(dir).minPixels() >= 1);
            } catch (IllegalArgumentException refused) {
                assertTrue(refused.getMessage().contains("preprocessor_config.json"), refused.getMessage());
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
    }

    /** The Jinja interpreter: a template renders or fails with a {@link TemplateException}. */
    @FuzzTest(maxDuration = "5s")
    void jinjaTemplate(byte[] data) {
        String name = "user";
        String source = new String(data, java.nio.charset.StandardCharsets.UTF_8);
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", List.of(Map.of("role", "user", "content", name)));
        vars.put("add_generation_prompt", true);
        vars.put("x", name);
        try {
            JinjaTemplate.parse(source).render(vars);
        } catch (TemplateException expected) {
            // syntax or render error, with a message
        }
    }

    /**
     * The tokenizer: what is encoded decodes to the same text (NFC-normalised, as the reference normalises), and so
     * does escaped text encoded with literals, which never yields a special token.
     */
    @FuzzTest(maxDuration = "5s")
    void tokenizerRoundTrip(FuzzedDataProvider data) {
        String text = wellFormed(data.consumeRemainingAsString());
        Tokenizer t = tokenizer();
        int[] ids = t.encode(text);
        String back = t.decode(ids, false);
        if (!text.contains("<|")) assertEquals(Normalizer.normalize(text, Normalizer.Form.NFC), back);
        String escaped = t.escapeSpecial(text);
        int[] literal = t.encodeWithLiterals(escaped);
        for (int id : literal) assertTrue(!t.isSpecial(id), "escaped text produced a special token");
        // escapeSpecial turns its own marker characters (two Unicode noncharacters) into U+FFFD
        String unmarked = text.replace(Tokenizer.LITERAL_OPEN, '\uFFFD').replace(Tokenizer.LITERAL_CLOSE, '\uFFFD');
        if (!text.contains("<|")) assertEquals(Normalizer.normalize(unmarked, Normalizer.Form.NFC), t.decode(literal, false));
    }

    /** The image decoders behind every front end: an image or an {@link ImageDecodeException}; the header agrees. */
    @FuzzTest(maxDuration = "5s")
    void imageDecoders(byte[] data) {
        MediaSource source = new MediaSource.BytesSource(data, "fuzz");
        int[] size;
        try {
            size = MEDIA.imageSize(source);
        } catch (ImageDecodeException refused) {
            return;
        }
        try {
            RgbImage image = MEDIA.image(source);
            assertEquals(size[0], image.width(), "width from the header");
            assertEquals(size[1], image.height(), "height from the header");
        } catch (ImageDecodeException refused) {
            // a header that reads but pixel data that does not
        }
    }

    /** The grounding parser: never throws for any text, and every box lies inside the image. */
    @FuzzTest(maxDuration = "5s")
    void groundingParser(FuzzedDataProvider data) {
        int w = data.consumeInt(1, 10_000), h = data.consumeInt(1, 10_000);
        for (Box b : Grounding.parse(data.consumeRemainingAsString(), w, h)) {
            assertTrue(b.x1() >= 0 && b.x2() <= w && b.y1() >= 0 && b.y2() <= h, b.toString());
        }
    }

    /** {@code s} with unpaired surrogates replaced by U+FFFD (they have no UTF-8 form to round-trip). */
    static String wellFormed(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else {
                sb.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return sb.toString();
    }
}
