package qwen2vl4j.chat.jinja;

import java.util.List;
import java.util.Map;

/** Binds positional and keyword arguments to a function's parameter names, Python style. */
final class Arguments {
    /** Marks a parameter the caller did not pass. */
    static final Object MISSING = new Object() {
        @Override
        public String toString() {
            return "<missing>";
        }
    };

    private final Object[] values;

    private Arguments(Object[] values) {
        this.values = values;
    }

    static Arguments bind(String function, List<Object> args, Map<String, Object> kwargs, String... names) {
        if (args.size() > names.length) {
            throw new TemplateRenderException(function + "() takes at most " + names.length + " argument(s), "
                    + args.size() + " given");
        }
        Object[] values = new Object[names.length];
        java.util.Arrays.fill(values, MISSING);
        for (int i = 0; i < args.size(); i++) values[i] = args.get(i);
        for (Map.Entry<String, Object> e : kwargs.entrySet()) {
            int at = List.of(names).indexOf(e.getKey());
            if (at < 0) {
                throw new TemplateRenderException(function + "() got an unexpected keyword argument '" + e.getKey()
                        + "'");
            }
            if (values[at] != MISSING) {
                throw new TemplateRenderException(function + "() got multiple values for argument '" + e.getKey()
                        + "'");
            }
            values[at] = e.getValue();
        }
        return new Arguments(values);
    }

    Object get(int i, Object fallback) {
        return values[i] == MISSING ? fallback : values[i];
    }

    boolean has(int i) {
        return values[i] != MISSING;
    }

    Object required(int i, String function, String name) {
        if (values[i] == MISSING) {
            throw new TemplateRenderException(function + "() missing required argument '" + name + "'");
        }
        return values[i];
    }
}
