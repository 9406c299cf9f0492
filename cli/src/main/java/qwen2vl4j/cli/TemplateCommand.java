package qwen2vl4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import qwen2vl4j.chat.ChatTemplate;
import qwen2vl4j.chat.jinja.TemplateException;
import qwen2vl4j.hub.ModelResolver;
import qwen2vl4j.io.Json;

/**
 * {@code qwen2vl4j template --model M}: reads {@code {"messages": [...], "add_generation_prompt": true, ...}} from
 * stdin and writes the prompt the model's chat template renders, as UTF-8 with nothing added.
 */
@Command(name = "template", mixinStandardHelpOptions = true,
        description = {"Render the model's chat template.",
                "Reads one JSON object from stdin: {\"messages\": [...], \"add_generation_prompt\": true, "
                        + "\"add_vision_id\": false}; other keys are passed to the template as variables.",
                "Writes the rendered prompt to stdout exactly (UTF-8, no trailing newline)."})
public final class TemplateCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, paramLabel = "M",
            description = "Model folder, or a Hugging Face repo id found in the local cache.")
    String model;

    @Override
    public Integer call() throws IOException {
        JsonNode request = readRequest(System.in);
        ChatTemplate template = ChatTemplate.load(ModelResolver.resolveOrDownload(model));
        String prompt;
        try {
            prompt = render(template, request);
        } catch (TemplateException e) {
            throw new IllegalArgumentException("chat template: " + e.getMessage(), e);
        }
        PrintStream out = System.out;
        out.write(prompt.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return 0;
    }

    static JsonNode readRequest(InputStream in) throws IOException {
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        JsonNode request;
        try {
            request = JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(text);   // one object, nothing after it
        } catch (JsonProcessingException e) {
            String detail = Json.errorDetail(e);
            if (e.getOriginalMessage().startsWith("Trailing token")) {
                detail = detail.substring(0, detail.indexOf(": ")) + ": more after the request object (give one JSON object)";
            }
            throw new IllegalArgumentException("stdin: invalid JSON" + detail, e);
        }
        if (request == null || !request.isObject()) {
            throw new IllegalArgumentException("stdin: expected one JSON object {\"messages\": [...], ...}, found "
                    + (request == null || request.isMissingNode() ? "nothing" : request.getNodeType()));
        }
        if (!request.path("messages").isArray()) {
            throw new IllegalArgumentException("stdin: \"messages\" must be an array of {\"role\", \"content\"}");
        }
        JsonNode generation = request.get("add_generation_prompt");
        if (generation != null && !generation.isBoolean()) {
            throw new IllegalArgumentException("stdin: \"add_generation_prompt\" must be true or false, found "
                    + generation);
        }
        return request;
    }

    static String render(ChatTemplate template, JsonNode request) {
        List<?> messages = JSON.convertValue(request.get("messages"), List.class);
        boolean addGenerationPrompt = request.path("add_generation_prompt").asBoolean(false);
        Map<String, Object> variables = new LinkedHashMap<>();
        request.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("messages") && !e.getKey().equals("add_generation_prompt")) {
                variables.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
            }
        });
        return template.render(messages, addGenerationPrompt, variables);
    }
}
