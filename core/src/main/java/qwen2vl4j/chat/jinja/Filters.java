package qwen2vl4j.chat.jinja;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Jinja's built-in filters used by chat templates, with transformers' {@code tojson}. */
final class Filters {
    private static final Set<String> NAMES = Set.of("abs", "attr", "capitalize", "count", "d", "default",
            "dictsort", "e", "escape", "first", "float", "indent", "int", "items", "join", "last", "length", "list",
            "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select",
            "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "unique", "upper", "wordcount");

    private Filters() {
    }

    static boolean exists(String name) {
        return NAMES.contains(name);
    }

    static Object apply(String name, Object v, List<Object> args, Map<String, Object> kwargs) {
        return switch (name) {
            case "abs" -> Py.isIntegral(v) ? (Object) Math.abs(Py.toLong(v)) : (Object) Math.abs(number(v, name));
            case "attr" -> Interpreter.getAttr(v, Py.str(Arguments.bind(name, args, kwargs, "name")
                    .required(0, name, "name")));
            case "capitalize" -> capitalize(text(v));
            case "count", "length" -> (long) Py.length(v);
            case "d", "default" -> defaultFilter(v, Arguments.bind(name, args, kwargs, "default_value", "boolean"));
            case "dictsort" -> dictsort(v, Arguments.bind(name, args, kwargs, "case_sensitive", "by", "reverse"));
            case "e", "escape" -> escape(Py.str(v));
            case "first" -> first(v);
            case "last" -> last(v);
            case "float" -> toFloat(v, Arguments.bind(name, args, kwargs, "default").get(0, 0.0));
            case "int" -> toInt(v, Arguments.bind(name, args, kwargs, "default", "base").get(0, 0L));
            case "indent" -> indent(text(v), Arguments.bind(name, args, kwargs, "width", "first", "blank"));
            case "items" -> items(v);
            case "join" -> join(v, Arguments.bind(name, args, kwargs, "d", "attribute"));
            case "list" -> Py.iterate(v);
            case "lower" -> text(v).toLowerCase(Locale.ROOT);
            case "upper" -> text(v).toUpperCase(Locale.ROOT);
            case "map" -> map(v, args, kwargs);
            case "max" -> extreme(v, true);
            case "min" -> extreme(v, false);
            case "select" -> select(v, args, true);
            case "reject" -> select(v, args, false);
            case "selectattr" -> selectAttr(v, args, true);
            case "rejectattr" -> selectAttr(v, args, false);
            case "replace" -> replace(v, Arguments.bind(name, args, kwargs, "old", "new", "count"));
            case "reverse" -> reverse(v);
            case "round" -> round(v, Arguments.bind(name, args, kwargs, "precision", "method"));
            case "safe", "string" -> v instanceof String ? v : Py.str(v);
            case "sort" -> sort(v, Arguments.bind(name, args, kwargs, "reverse", "case_sensitive", "attribute"));
            case "sum" -> sum(v);
            case "title" -> title(text(v));
            case "tojson" -> tojson(v, Arguments.bind(name, args, kwargs, "ensure_ascii", "indent", "separators",
                    "sort_keys"));
            case "trim" -> trim(text(v), Arguments.bind(name, args, kwargs, "chars").get(0, null));
            case "unique" -> unique(v);
            case "wordcount" -> (long) Py.strip(text(v)).split("\\s+").length;
            default -> throw new TemplateRenderException("no filter named '" + name + "'");
        };
    }

    private static String text(Object v) {
        return Py.str(v);
    }

    private static double number(Object v, String filter) {
        if (!Py.isNumber(v)) {
            throw new TemplateRenderException("filter '" + filter + "' needs a number, got " + Py.typeName(v));
        }
        return Py.toDouble(v);
    }

    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int first = s.codePointAt(0);
        return new String(Character.toChars(Character.toTitleCase(first)))
                + s.substring(Character.charCount(first)).toLowerCase(Locale.ROOT);
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder();
        boolean wordStart = true;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            boolean letter = Character.isLetterOrDigit(c) || c == '\'';
            sb.appendCodePoint(letter ? (wordStart ? Character.toTitleCase(c) : Character.toLowerCase(c)) : c);
            wordStart = !letter;
            i += Character.charCount(c);
        }
        return sb.toString();
    }

    private static Object defaultFilter(Object v, Arguments a) {
        Object fallback = a.get(0, "");
        boolean boolean_ = Py.truthy(a.get(1, false));
        if (v instanceof Undefined || (boolean_ && !Py.truthy(v))) return fallback;
        return v;
    }

    private static Object first(Object v) {
        if (v instanceof Undefined) return v;
        List<Object> items = Py.iterate(v);
        return items.isEmpty() ? new Undefined("first item") : items.get(0);
    }

    private static Object last(Object v) {
        if (v instanceof Undefined) return v;
        List<Object> items = Py.iterate(v);
        return items.isEmpty() ? new Undefined("last item") : items.get(items.size() - 1);
    }

    private static Object toFloat(Object v, Object fallback) {
        if (Py.isNumber(v)) return Py.toDouble(v);
        try {
            return Double.parseDouble(Py.strip(Py.str(v)));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static Object toInt(Object v, Object fallback) {
        if (Py.isNumber(v)) return (long) Py.toDouble(v);
        String s = Py.strip(Py.str(v)).replace("_", "");
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            try {
                return (long) Double.parseDouble(s);
            } catch (NumberFormatException e2) {
                return fallback;
            }
        }
    }

    private static String indent(String s, Arguments a) {
        Object width = a.get(0, 4L);
        String pad = width instanceof String w ? w : Py.spaces(Py.toLong(width));
        boolean first = Py.truthy(a.get(1, false));
        boolean blank = Py.truthy(a.get(2, false));
        String[] lines = (s + "\n").split("\n", -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length - 1; i++) {
            String line = lines[i];
            if (i > 0) sb.append('\n');
            boolean indentIt = (i > 0 || first) && (blank || !line.isEmpty());
            sb.append(indentIt ? pad : "").append(line);
        }
        return s.endsWith("\n") ? sb.append('\n').toString() : sb.toString();
    }

    private static List<Object> items(Object v) {
        if (v instanceof Undefined) return List.of();
        if (!(v instanceof Map<?, ?> m)) {
            throw new TemplateRenderException("filter 'items' needs a mapping, got " + Py.typeName(v));
        }
        List<Object> out = new ArrayList<>();
        m.forEach((k, value) -> out.add(new Tuple(java.util.Arrays.asList(k, value))));
        return out;
    }

    private static String join(Object v, Arguments a) {
        String separator = Py.str(a.get(0, ""));
        Object attribute = a.get(1, null);
        StringBuilder sb = new StringBuilder();
        boolean firstItem = true;
        for (Object item : Py.iterate(v)) {
            if (!firstItem) sb.append(separator);
            firstItem = false;
            sb.append(Py.str(attribute == null ? item : Interpreter.getAttrPath(item, Py.str(attribute))));
        }
        return sb.toString();
    }

    private static List<Object> map(Object v, List<Object> args, Map<String, Object> kwargs) {
        List<Object> out = new ArrayList<>();
        if (kwargs.containsKey("attribute")) {
            String attribute = Py.str(kwargs.get("attribute"));
            for (Object item : Py.iterate(v)) {
                Object value = Interpreter.getAttrPath(item, attribute);
                if (value instanceof Undefined && kwargs.containsKey("default")) value = kwargs.get("default");
                out.add(value);
            }
            return out;
        }
        if (args.isEmpty()) throw new TemplateRenderException("filter 'map' needs a filter name or attribute=");
        String filter = Py.str(args.get(0));
        if (!exists(filter)) throw new TemplateRenderException("no filter named '" + filter + "'");
        for (Object item : Py.iterate(v)) out.add(apply(filter, item, args.subList(1, args.size()), kwargs));
        return out;
    }

    private static List<Object> select(Object v, List<Object> args, boolean keep) {
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(v)) {
            boolean pass = args.isEmpty() ? Py.truthy(item) : test(args.get(0), item, args.subList(1, args.size()));
            if (pass == keep) out.add(item);
        }
        return out;
    }

    private static List<Object> selectAttr(Object v, List<Object> args, boolean keep) {
        if (args.isEmpty()) throw new TemplateRenderException("filter 'selectattr' needs an attribute name");
        String attribute = Py.str(args.get(0));
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(v)) {
            Object value = Interpreter.getAttrPath(item, attribute);
            boolean pass = args.size() < 2 ? Py.truthy(value) : test(args.get(1), value, args.subList(2, args.size()));
            if (pass == keep) out.add(item);
        }
        return out;
    }

    private static boolean test(Object name, Object value, List<Object> args) {
        String test = Py.str(name);
        if (!Tests.exists(test)) throw new TemplateRenderException("no test named '" + test + "'");
        return Tests.apply(test, value, args);
    }

    private static Object replace(Object v, Arguments a) {
        String s = Py.str(v);
        String old = Py.str(a.required(0, "replace", "old"));
        String replacement = Py.str(a.required(1, "replace", "new"));
        long count = a.has(2) && a.get(2, null) != null ? Py.toLong(a.get(2, null)) : -1;
        return PyStrings.replace(s, old, replacement, count);
    }

    private static Object reverse(Object v) {
        if (v instanceof String s) return new StringBuilder(s).reverse().toString();
        List<Object> items = Py.iterate(v);
        Collections.reverse(items);
        return items;
    }

    private static Object round(Object v, Arguments a) {
        double x = number(v, "round");
        // beyond ±400 digits a double's rounding is itself or zero; clamped, BigDecimal never builds a huge number
        long precision = Math.max(-400, Math.min(400, Py.toLong(a.get(0, 0L))));
        String method = Py.str(a.get(1, "common"));
        if (method.equals("common")) {
            if (Double.isNaN(x) || Double.isInfinite(x)) return x;
            return new java.math.BigDecimal(x).setScale((int) precision, java.math.RoundingMode.HALF_EVEN)
                    .doubleValue();
        }
        double scale = Math.pow(10, precision);
        return switch (method) {
            case "ceil" -> Math.ceil(x * scale) / scale;
            case "floor" -> Math.floor(x * scale) / scale;
            default -> throw new TemplateRenderException("round() method must be 'common', 'ceil' or 'floor'");
        };
    }

    private static List<Object> sort(Object v, Arguments a) {
        boolean reverse = Py.truthy(a.get(0, false));
        boolean caseSensitive = Py.truthy(a.get(1, false));
        Object attribute = a.get(2, null);
        List<Object> items = Py.iterate(v);
        Comparator<Object> order = (x, y) -> {
            Object kx = attribute == null ? x : Interpreter.getAttrPath(x, Py.str(attribute));
            Object ky = attribute == null ? y : Interpreter.getAttrPath(y, Py.str(attribute));
            return Py.compare(sortKey(kx, caseSensitive), sortKey(ky, caseSensitive), "<");
        };
        items.sort(reverse ? order.reversed() : order);
        return items;
    }

    private static Object sortKey(Object v, boolean caseSensitive) {
        return !caseSensitive && v instanceof String s ? s.toLowerCase(Locale.ROOT) : v;
    }

    private static List<Object> dictsort(Object v, Arguments a) {
        boolean caseSensitive = Py.truthy(a.get(0, false));
        int by = "value".equals(a.get(1, "key")) ? 1 : 0;
        boolean reverse = Py.truthy(a.get(2, false));
        List<Object> pairs = items(v);
        Comparator<Object> order = (x, y) -> Py.compare(sortKey(((List<?>) x).get(by), caseSensitive),
                sortKey(((List<?>) y).get(by), caseSensitive), "<");
        pairs.sort(reverse ? order.reversed() : order);
        return pairs;
    }

    private static Object sum(Object v) {
        Object total = 0L;
        for (Object item : Py.iterate(v)) total = Py.add(total, item);
        return total;
    }

    private static Object extreme(Object v, boolean max) {
        List<Object> items = Py.iterate(v);
        if (items.isEmpty()) return new Undefined(max ? "max" : "min");
        Object best = items.get(0);
        for (Object item : items) {
            int c = Py.compare(sortKey(item, false), sortKey(best, false), "<");
            if (max ? c > 0 : c < 0) best = item;
        }
        return best;
    }

    private static String tojson(Object v, Arguments a) {
        boolean ensureAscii = Py.truthy(a.get(0, false));
        Object indent = a.get(1, null);
        String indentText = indent == null ? null : indent instanceof String s ? s : Py.spaces(Py.toLong(indent));
        String itemSeparator = null;
        String keySeparator = null;
        Object separators = a.get(2, null);
        if (separators instanceof List<?> l && l.size() == 2) {
            itemSeparator = Py.str(l.get(0));
            keySeparator = Py.str(l.get(1));
        }
        boolean sortKeys = Py.truthy(a.get(3, false));
        return new PyJson(ensureAscii, indentText, itemSeparator, keySeparator, sortKeys).dumps(v);
    }

    private static String trim(String s, Object chars) {
        if (chars == null) return Py.strip(s);
        return PyStrings.strip(s, Py.str(chars), true, true);
    }

    private static List<Object> unique(Object v) {
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(v)) {
            Object key = sortKey(item, false);
            if (out.stream().noneMatch(o -> Py.eq(sortKey(o, false), key))) out.add(item);
        }
        return out;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")
                .replace("\"", "&#34;");
    }
}
