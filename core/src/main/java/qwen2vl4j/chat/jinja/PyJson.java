package qwen2vl4j.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps} as transformers' {@code tojson} filter calls it: {@code ensure_ascii=False} by default,
 * separators {@code ", "} and {@code ": "} (or {@code ","} with an indent), keys in insertion order unless sorted.
 */
final class PyJson {
    private final boolean ensureAscii;
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;

    PyJson(boolean ensureAscii, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSeparator = itemSeparator != null ? itemSeparator : indent == null ? ", " : ",";
        this.keySeparator = keySeparator != null ? keySeparator : ": ";
        this.sortKeys = sortKeys;
    }

    String dumps(Object value) {
        StringBuilder sb = new StringBuilder();
        write(value, sb, 0);
        return sb.toString();
    }

    private void write(Object v, StringBuilder sb, int depth) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (Py.isIntegral(v)) {
            sb.append(v);
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity")
                    : Py.floatRepr(d));
        } else if (v instanceof String s) {
            writeString(s, sb);
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                sb.append(i == 0 ? "" : itemSeparator);
                newline(sb, depth + 1);
                write(l.get(i), sb, depth + 1);
            }
            newline(sb, depth);
            sb.append(']');
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
            if (sortKeys) entries.sort((a, b) -> Py.compare(keyString(a.getKey()), keyString(b.getKey()), "<"));
            sb.append('{');
            for (int i = 0; i < entries.size(); i++) {
                sb.append(i == 0 ? "" : itemSeparator);
                newline(sb, depth + 1);
                writeString(keyString(entries.get(i).getKey()), sb);
                sb.append(keySeparator);
                write(entries.get(i).getValue(), sb, depth + 1);
            }
            newline(sb, depth);
            sb.append('}');
        } else {
            throw new TemplateRenderException("Object of type " + Py.typeName(v) + " is not JSON serializable");
        }
    }

    private void newline(StringBuilder sb, int depth) {
        if (indent == null) return;
        sb.append('\n').append(indent.repeat(depth));
    }

    private static String keyString(Object key) {
        if (key instanceof String s) return s;
        if (key == null) return "null";
        if (key instanceof Boolean b) return b ? "true" : "false";
        if (Py.isNumber(key)) return Py.repr(key);
        throw new TemplateRenderException("keys must be str, int, float, bool or None, not " + Py.typeName(key));
    }

    private void writeString(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
