package qwen2vl4j.chat.jinja;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Jinja's built-in tests ({@code x is string}, {@code x is not none}, {@code x is divisibleby 3}, ...). */
final class Tests {
    private static final Set<String> NAMES = Set.of("defined", "undefined", "none", "string", "number", "integer",
            "float", "boolean", "true", "false", "mapping", "iterable", "sequence", "callable", "odd", "even",
            "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan",
            ">", "ge", ">=", "in", "sameas", "lower", "upper", "escaped", "filter", "test");

    private Tests() {
    }

    static boolean exists(String name) {
        return NAMES.contains(name);
    }

    static boolean apply(String name, Object v, List<Object> args) {
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "string" -> v instanceof String;
            case "number" -> Py.isNumber(v);
            case "integer" -> Py.isIntegral(v) && !(v instanceof Boolean);
            case "float" -> v instanceof Number && !Py.isIntegral(v);
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "mapping" -> v instanceof Map;
            case "iterable" -> v instanceof Iterable || v instanceof Map || v instanceof String || v instanceof Undefined;
            case "sequence" -> v instanceof List || v instanceof Map || v instanceof String || v instanceof Undefined;
            case "callable" -> v instanceof JinjaCallable;
            case "odd" -> Math.floorMod(integer(v, name), 2) == 1;
            case "even" -> Math.floorMod(integer(v, name), 2) == 0;
            case "divisibleby" -> Math.floorMod(integer(v, name), integer(arg(args, name), name)) == 0;
            case "eq", "equalto", "==" -> Py.eq(v, arg(args, name));
            case "ne", "!=" -> !Py.eq(v, arg(args, name));
            case "lt", "lessthan", "<" -> Py.compare(v, arg(args, name), "<") < 0;
            case "le", "<=" -> Py.compare(v, arg(args, name), "<=") <= 0;
            case "gt", "greaterthan", ">" -> Py.compare(v, arg(args, name), ">") > 0;
            case "ge", ">=" -> Py.compare(v, arg(args, name), ">=") >= 0;
            case "in" -> Py.contains(arg(args, name), v);
            case "sameas" -> sameAs(v, arg(args, name));
            case "lower" -> v instanceof String s && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            case "upper" -> v instanceof String s && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            case "escaped" -> false;
            case "filter" -> v instanceof String s && Filters.exists(s);
            case "test" -> v instanceof String s && exists(s);
            default -> throw new TemplateRenderException("no test named '" + name + "'");
        };
    }

    private static boolean sameAs(Object a, Object b) {
        if (a == null || b == null || a instanceof Boolean || b instanceof Boolean) return a == b || (a != null
                && a.equals(b) && a instanceof Boolean);
        return a == b;
    }

    private static Object arg(List<Object> args, String test) {
        if (args.isEmpty()) throw new TemplateRenderException("test '" + test + "' needs an argument");
        return args.get(0);
    }

    private static long integer(Object v, String test) {
        if (!Py.isNumber(v)) {
            throw new TemplateRenderException("test '" + test + "' needs a number, got " + Py.typeName(v));
        }
        return Py.toLong(v);
    }
}
