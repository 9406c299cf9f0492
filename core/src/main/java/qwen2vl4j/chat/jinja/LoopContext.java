package qwen2vl4j.chat.jinja;

import java.util.List;

/** The {@code loop} variable inside a for loop: index, index0, first, last, length, previtem, nextitem, cycle. */
final class LoopContext {
    private final List<Object> items;
    private final int index0;

    LoopContext(List<Object> items, int index0) {
        this.items = items;
        this.index0 = index0;
    }

    Object attribute(String name) {
        int length = items.size();
        return switch (name) {
            case "index" -> (long) index0 + 1;
            case "index0" -> (long) index0;
            case "revindex" -> (long) (length - index0);
            case "revindex0" -> (long) (length - index0 - 1);
            case "first" -> index0 == 0;
            case "last" -> index0 == length - 1;
            case "length" -> (long) length;
            case "depth" -> 1L;
            case "depth0" -> 0L;
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : new Undefined("loop.previtem");
            case "nextitem" -> index0 < length - 1 ? items.get(index0 + 1) : new Undefined("loop.nextitem");
            case "cycle" -> (JinjaCallable) (args, kwargs) -> {
                if (args.isEmpty()) throw new TemplateRenderException("loop.cycle() needs at least one argument");
                return args.get(index0 % args.size());
            };
            default -> new Undefined("loop." + name);
        };
    }

    @Override
    public String toString() {
        return "<LoopContext " + (index0 + 1) + "/" + items.size() + ">";
    }
}
