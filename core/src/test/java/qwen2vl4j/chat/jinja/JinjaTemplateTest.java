package qwen2vl4j.chat.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Behaviour beyond what real Jinja can be compared against: Java inputs, leniency, error locations. */
class JinjaTemplateTest {
    private static String render(String template, Map<String, ?> vars) {
        return JinjaTemplate.parse(template).render(vars);
    }

    @Test
    void attributesOfUndefinedAreUndefinedInsteadOfErrors() {
        assertEquals("False|f|", render("{{ missing.attr is defined }}|{% if missing.a.b %}t{% else %}f{% endif %}|"
                + "{{ missing.a['b'] }}", Map.of()));
    }

    @Test
    void acceptsEveryJavaNumberKind() {
        Map<String, Object> vars = new HashMap<>();
        vars.put("i", 3);
        vars.put("l", 4L);
        vars.put("d", 0.5);
        vars.put("f", 1.5f);
        vars.put("b", new BigDecimal("2.25"));
        vars.put("n", null);
        assertEquals("7 3.5 3.75 True None 3", render("{{ i + l }} {{ l * d + f }} {{ b + f }} {{ i == 3.0 }} {{ n }} "
                + "{{ [i, l]|max - 1 }}", vars));
    }

    @Test
    void doesNotModifyItsInputs() {
        List<Object> xs = new ArrayList<>(List.of(3, 1, 2));
        assertEquals("[1, 2, 3] [3, 2, 1]", render("{{ xs|sort }} {{ xs|reverse|list|sort(reverse=true) }}",
                Map.of("xs", xs)));
        assertEquals(List.of(3, 1, 2), xs);
    }

    @Test
    void syntaxErrorsNameLineAndColumn() {
        TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class,
                () -> JinjaTemplate.parse("ok\n\n  {{ 1 + }}"));
        assertEquals(3, e.line());
        assertEquals(10, e.column());
        assertTrue(e.getMessage().contains("line 3, column 10"), e.getMessage());
    }

    @Test
    void unclosedBlocksNameTheOpeningLine() {
        TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class,
                () -> JinjaTemplate.parse("{% for m in messages %}\n{% if m %}\nx\n{% endfor %}"));
        assertTrue(e.getMessage().contains("endfor"), e.getMessage());
        TemplateSyntaxException unclosed = assertThrows(TemplateSyntaxException.class,
                () -> JinjaTemplate.parse("a\n{% for m in messages %}\nx"));
        assertTrue(unclosed.getMessage().contains("opened at line 2") && unclosed.getMessage().contains("endfor"),
                unclosed.getMessage());
    }

    @Test
    void breakOutsideALoopIsASyntaxError() {
        TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class,
                () -> JinjaTemplate.parse("{% if x %}\n  {% break %}{% endif %}"));
        assertEquals(2, e.line());
    }

    @Test
    void renderErrorsNameTheTemplateLine() {
        TemplateRenderException e = assertThrows(TemplateRenderException.class,
                () -> render("line one\n{% for x in [1] %}\n{{ x + 'a' }}\n{% endfor %}", Map.of()));
        assertTrue(e.getMessage().contains("template line 3"), e.getMessage());
    }

    @Test
    void setAttributeNeedsANamespace() {
        TemplateRenderException e = assertThrows(TemplateRenderException.class,
                () -> render("{% set d = {} %}{% set d.x = 1 %}", Map.of()));
        assertTrue(e.getMessage().contains("namespace"), e.getMessage());
    }

    @Test
    void unknownTestsAndFiltersFailAtParseTime() {
        assertThrows(TemplateSyntaxException.class, () -> JinjaTemplate.parse("{{ x is frobbed }}"));
        assertThrows(TemplateSyntaxException.class, () -> JinjaTemplate.parse("{{ x | frob }}"));
    }

    /** Found by fuzzing: each of these threw a ClassCastException or IllegalArgumentException, or built gigabytes. */
    @Test
    void badArgumentsAreRenderErrors() {
        Map<String, Object> vars = Map.of("x", "user");
        for (String template : new String[] {"{{ x[:missing] }}", "{{ x[1.5:] }}", "{{ x[::'a'] }}", "{{ x|indent([]) }}",
                "{{ x|replace('u', 'v', 'w') }}", "{{ 1.5|round('a') }}", "{{ x|indent(10**12) }}", "{{ range(missing) }}"}) {
            TemplateRenderException e = assertThrows(TemplateRenderException.class, () -> render(template, vars), template);
            assertTrue(e.getMessage().contains("integer") || e.getMessage().contains("limit"), template + ": " + e.getMessage());
        }
        TemplateRenderException slice = assertThrows(TemplateRenderException.class, () -> render("{{ x[:missing] }}", vars));
        assertTrue(slice.getMessage().contains("slice indices must be integers or None, found 'Undefined'"), slice.getMessage());
    }

    /** Found by fuzzing: a digit of another script (here N'Ko four) threw an IllegalStateException from the lexer. */
    @Test
    void aDigitOfAnotherScriptIsASyntaxError() {
        TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class, () -> JinjaTemplate.parse("{{ \u07C4 }}"));
        assertTrue(e.getMessage().contains("unexpected character"), e.getMessage());
    }

    /** Found by fuzzing: an integer literal past a long threw a NumberFormatException; Python's ints have no bound. */
    @Test
    void integerLiteralsPastALongRender() {
        assertEquals("666666666666666666666666666|9223372036854775807", render("{{ 666666666666666666666666666 }}|{{ 9223372036854775807 }}",
                Map.of()));
    }

    /** Integers are exact past a long, as Python's; an integer that would grow past 65536 bits is refused, not computed. */
    @Test
    void integerArithmeticIsExactAndBounded() {
        assertEquals("9223372036854775808|-9223372036854775809|85070591730234615847396907784232501249|True|False|-4|2|1267650600228229401496703205376",
                render("{{ 9223372036854775807 + 1 }}|{{ -9223372036854775807 - 2 }}|{{ 9223372036854775807 * 9223372036854775807 }}|"
                        + "{{ 10**30 > 10**29 }}|{{ 10**30 == 10**31 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 2 ** 100 }}", Map.of()));
        assertEquals("1|-1|0|1", render("{{ 1 ** 10**12 }}|{{ (0 - 1) ** (10**12 + 1) }}|{{ 0 ** 10**12 }}|{{ 0 ** 0 }}", Map.of()));
        TemplateRenderException e = assertThrows(TemplateRenderException.class, () -> render("{{ 2 ** 1000000000 }}", Map.of()));
        assertTrue(e.getMessage().contains("more than the limit"), e.getMessage());
    }

    /** As Python: {@code " " * -2} is empty, and rounding to 10¹² digits gives the number back. */
    @Test
    void extremeButValidArgumentsRenderAsPython() {
        assertEquals("a\nb", render("{{ 'a\nb'|indent(-2) }}", Map.of()));
        assertEquals("1.5|0.0", render("{{ 1.5|round(10**12) }}|{{ 1.5|round(0 - 10**12) }}", Map.of()));
        assertEquals("se", render("{{ x[None:2] }}", Map.of("x", "served")));
        assertEquals("ser", render("{{ x[:3:True] }}", Map.of("x", "served")));
    }
}
