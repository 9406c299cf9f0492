package qwen2vl4j.chat.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every construct against real Jinja2 3.1.6 configured as transformers configures it: {@code jinja_cases.json} was
 * written by {@code make_jinja_cases.py} (beside it in the test resources).
 */
class JinjaReferenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() throws IOException {
        try (InputStream in = JinjaReferenceTest.class.getResourceAsStream("jinja_cases.json")) {
            JsonNode cases = JSON.readTree(in);
            List<Arguments> out = new ArrayList<>();
            for (JsonNode c : cases) out.add(Arguments.of(c.get("name").asText(), c));
            return out.stream();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> vars(JsonNode c) {
        return JSON.convertValue(c.get("vars"), Map.class);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesJinja(String name, JsonNode c) {
        String source = c.get("template").asText();
        if (c.has("expected")) {
            assertEquals(c.get("expected").asText(), JinjaTemplate.parse(source).render(vars(c)));
        } else if (c.has("syntax_error_line")) {
            TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class, () -> JinjaTemplate.parse(source));
            assertEquals(c.get("syntax_error_line").asInt(), e.line(), e.getMessage());
            assertTrue(e.getMessage().contains("line " + e.line() + ", column " + e.column()), e.getMessage());
        } else {
            JinjaTemplate template = JinjaTemplate.parse(source);
            TemplateRenderException e = assertThrows(TemplateRenderException.class, () -> template.render(vars(c)));
            assertTrue(e.getMessage().startsWith(c.get("render_error").asText()), e.getMessage());
        }
    }
}
