package qwen2vl4j.chat.jinja;

import java.util.List;
import java.util.Map;

/** Anything a template can call: a global function, a bound method, a macro. */
@FunctionalInterface
interface JinjaCallable {
    Object call(List<Object> args, Map<String, Object> kwargs);
}
