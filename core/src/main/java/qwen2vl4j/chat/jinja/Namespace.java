package qwen2vl4j.chat.jinja;

import java.util.LinkedHashMap;
import java.util.Map;

/** The mutable object made by {@code namespace(...)}; the only value {@code set x.attr = v} may change. */
final class Namespace {
    final Map<String, Object> attributes = new LinkedHashMap<>();

    @Override
    public String toString() {
        return "<Namespace " + Py.repr(attributes) + ">";
    }
}
