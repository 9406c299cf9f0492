package qwen2vl4j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import qwen2vl4j.chat.jinja.JinjaTemplate;
import qwen2vl4j.io.ModelLoadException;

/**
 * A model's chat template, rendered byte-identically to transformers' {@code apply_chat_template}: the template gets
 * {@code messages}, {@code add_generation_prompt}, {@code tools} and {@code documents} (None), the tokenizer's special
 * tokens ({@code eos_token}, {@code bos_token}, ... when the template came from a model folder), and any extra
 * variables such as {@code add_vision_id}.
 */
public final class ChatTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SPECIAL_TOKEN_KEYS = List.of("bos_token", "eos_token", "unk_token", "sep_token",
            "pad_token", "cls_token", "mask_token");

    private final String source;
    private final JinjaTemplate template;
    private final Map<String, Object> defaults;

    private ChatTemplate(String source, Map<String, Object> defaults) {
        this.source = source;
        this.template = JinjaTemplate.parse(source);
        this.defaults = defaults;
    }

    /**
     * Parses template source.
     *
     * @throws qwen2vl4j.chat.jinja.TemplateSyntaxException naming line and column when the template is malformed
     */
    public static ChatTemplate parse(String source) {
        return new ChatTemplate(source, Map.of());
    }

    /**
     * Finds the template of a model folder: {@code chat_template.json} (key {@code chat_template}), else
     * {@code chat_template.jinja}, else {@code tokenizer_config.json}'s {@code chat_template} (a string, or a list of
     * {@code {name, template}} from which {@code default} is taken).
     *
     * @throws ModelLoadException naming the folder when it holds no template, or the file when it is malformed
     */
    public static ChatTemplate load(Path modelDir) {
        Map<String, Object> specialTokens = specialTokens(modelDir.resolve("tokenizer_config.json"));
        Path json = modelDir.resolve("chat_template.json");
        if (Files.isRegularFile(json)) {
            JsonNode node = readJson(json).get("chat_template");
            return fromFile(json, templateText(node, json), specialTokens);
        }
        Path jinja = modelDir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            try {
                return fromFile(jinja, Files.readString(jinja), specialTokens);
            } catch (IOException e) {
                throw new ModelLoadException("cannot read " + jinja + ": " + e.getMessage(), e);
            }
        }
        Path config = modelDir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(config)) {
            JsonNode node = readJson(config).get("chat_template");
            if (node != null && !node.isNull()) return fromFile(config, templateText(node, config), specialTokens);
        }
        throw new ModelLoadException("folder " + modelDir + " has no chat template: expected chat_template.json, "
                + "chat_template.jinja, or a \"chat_template\" in tokenizer_config.json");
    }

    private static ChatTemplate fromFile(Path file, String source, Map<String, Object> defaults) {
        try {
            return new ChatTemplate(source, defaults);
        } catch (qwen2vl4j.chat.jinja.TemplateSyntaxException e) {
            throw new ModelLoadException(file + ": " + e.getMessage(), e);
        }
    }

    private static String templateText(JsonNode node, Path file) {
        if (node != null && node.isTextual()) return node.asText();
        if (node != null && node.isArray()) {
            for (JsonNode named : node) {
                if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
                    return named.get("template").asText();
                }
            }
            throw new ModelLoadException(file + ": \"chat_template\" is a list of named templates without one named "
                    + "\"default\"");
        }
        throw new ModelLoadException(file + ": \"chat_template\" must be a string or a list of {name, template}, found "
                + (node == null ? "nothing" : node.getNodeType()));
    }

    private static JsonNode readJson(Path file) {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) throw new ModelLoadException(file + ": expected a JSON object");
            return node;
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The special tokens transformers passes to every template ({@code eos_token}, ...), from tokenizer_config. */
    private static Map<String, Object> specialTokens(Path tokenizerConfig) {
        Map<String, Object> tokens = new LinkedHashMap<>();
        if (!Files.isRegularFile(tokenizerConfig)) return tokens;
        JsonNode config = readJson(tokenizerConfig);
        for (String key : SPECIAL_TOKEN_KEYS) {
            String token = tokenContent(config.get(key));
            if (token != null) tokens.put(key, token);
        }
        JsonNode additional = config.get("additional_special_tokens");
        if (additional != null && additional.isArray()) {
            List<Object> list = new ArrayList<>();
            for (JsonNode t : additional) {
                String token = tokenContent(t);
                if (token != null) list.add(token);
            }
            tokens.put("additional_special_tokens", list);
        }
        return tokens;
    }

    private static String tokenContent(JsonNode node) {
        if (node == null || node.isNull()) return null;
        if (node.isTextual()) return node.asText();
        if (node.isObject() && node.path("content").isTextual()) return node.get("content").asText();
        return null;
    }

    /** The template source text. */
    public String source() {
        return source;
    }

    /**
     * Renders the prompt.
     *
     * @param messages            plain Java values as the template sees them (Map/List/String/Number/Boolean, e.g.
     *                            from Jackson {@code convertValue}); {@link Message} elements are converted with
     *                            {@link Messages#toTemplateValues}
     * @param addGenerationPrompt append the assistant turn opener
     * @param extraVariables      other template variables ({@code add_vision_id}, ...); may be null
     * @throws qwen2vl4j.chat.jinja.TemplateRenderException on template errors or {@code raise_exception(...)}
     */
    public String render(List<?> messages, boolean addGenerationPrompt, Map<String, Object> extraVariables) {
        Map<String, Object> variables = new LinkedHashMap<>(defaults);
        variables.put("tools", null);
        variables.put("documents", null);
        if (extraVariables != null) variables.putAll(extraVariables);
        List<Object> values = new ArrayList<>();
        for (Object m : messages) values.add(m instanceof Message message ? Messages.toTemplateValue(message) : m);
        variables.put("messages", values);
        variables.put("add_generation_prompt", addGenerationPrompt);
        return template.render(variables);
    }
}
