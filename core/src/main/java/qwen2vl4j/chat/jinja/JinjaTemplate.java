package qwen2vl4j.chat.jinja;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed Jinja2 template, rendered the way transformers' {@code apply_chat_template} renders chat templates:
 * {@code trim_blocks} and {@code lstrip_blocks} on, no autoescaping, the {@code loopcontrols} extension
 * ({@code break}/{@code continue}), and the globals {@code raise_exception}, {@code strftime_now}, {@code namespace},
 * {@code range} and {@code dict}. Only the subset of Jinja that chat templates use is supported; anything else is a
 * {@link TemplateSyntaxException} naming the line and column.
 */
public final class JinjaTemplate {
    private final List<Ast.Node> body;

    private JinjaTemplate(List<Ast.Node> body) {
        this.body = body;
    }

    /** Parses template source; throws {@link TemplateSyntaxException} on malformed templates. */
    public static JinjaTemplate parse(String source) {
        return new JinjaTemplate(Parser.parse(source));
    }

    /**
     * Renders with the given variables (plain Java values: Map, List, String, Number, Boolean, null).
     *
     * @throws TemplateRenderException on type errors or {@code raise_exception(...)}
     */
    public String render(Map<String, ?> variables) {
        Interpreter.Scope globals = new Interpreter.Scope(builtins());
        variables.forEach(globals::set);
        return new Interpreter().render(body, globals);
    }

    private static Interpreter.Scope builtins() {
        Interpreter.Scope scope = new Interpreter.Scope(null);
        scope.set("namespace", (JinjaCallable) (args, kwargs) -> {
            Namespace ns = new Namespace();
            for (Object arg : args) {
                if (arg instanceof Map<?, ?> m) m.forEach((k, v) -> ns.attributes.put(Py.str(k), v));
            }
            ns.attributes.putAll(kwargs);
            return ns;
        });
        scope.set("raise_exception", (JinjaCallable) (args, kwargs) -> {
            throw new TemplateRenderException(args.isEmpty() ? "raise_exception() called" : Py.str(args.get(0)));
        });
        scope.set("range", (JinjaCallable) (args, kwargs) -> range(args));
        scope.set("dict", (JinjaCallable) (args, kwargs) -> {
            Map<Object, Object> map = new LinkedHashMap<>();
            for (Object arg : args) if (arg instanceof Map<?, ?> m) map.putAll(m);
            map.putAll(kwargs);
            return map;
        });
        scope.set("strftime_now", (JinjaCallable) (args, kwargs) ->
                Strftime.format(Py.str(Arguments.bind("strftime_now", args, kwargs, "format")
                        .required(0, "strftime_now", "format")), LocalDateTime.now()));
        return scope;
    }

    private static List<Object> range(List<Object> args) {
        for (Object a : args) {
            if (!Py.isIntegral(a)) throw new TemplateRenderException("range() needs integers, got " + Py.typeName(a));
        }
        long start = args.size() >= 2 ? Py.toLong(args.get(0)) : 0;
        long stop = args.size() == 1 ? Py.toLong(args.get(0)) : args.size() >= 2 ? Py.toLong(args.get(1)) : 0;
        long step = args.size() >= 3 ? Py.toLong(args.get(2)) : 1;
        if (args.isEmpty() || args.size() > 3) throw new TemplateRenderException("range() takes 1 to 3 arguments");
        if (step == 0) throw new TemplateRenderException("range() step must not be zero");
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
            out.add(i);
            if (out.size() > 1_000_000) throw new TemplateRenderException("range() of more than 1000000 numbers");
        }
        return out;
    }
}
