package qwen2vl4j.chat.jinja;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import qwen2vl4j.chat.jinja.Ast.Args;
import qwen2vl4j.chat.jinja.Ast.Expr;
import qwen2vl4j.chat.jinja.Ast.FilterCall;
import qwen2vl4j.chat.jinja.Ast.Node;
import qwen2vl4j.chat.jinja.Ast.Target;

/** Walks the {@link Ast} and writes the output, with Jinja's scoping (each loop iteration has its own scope). */
final class Interpreter {
    private static final Set<String> DICT_METHODS = Set.of("items", "keys", "values", "get");
    private static final Set<String> LIST_MUTATORS = Set.of("append", "pop", "insert", "extend", "remove", "clear",
            "sort", "reverse");

    /** Variables of one block level; lookups fall back to the parent. */
    static final class Scope {
        private final Map<String, Object> vars = new HashMap<>();
        private final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars.containsKey(name)) return s.vars.get(name);
            }
            return new Undefined(name);
        }

        void set(String name, Object value) {
            vars.put(name, value);
        }
    }

    private static final class BreakSignal extends RuntimeException {
        BreakSignal() {
            super(null, null, false, false);
        }
    }

    private static final class ContinueSignal extends RuntimeException {
        ContinueSignal() {
            super(null, null, false, false);
        }
    }

    private int currentLine = 1;

    /** Renders the template body; runtime errors name the template line they happened on. */
    String render(List<Node> body, Scope globals) {
        StringBuilder out = new StringBuilder();
        try {
            renderAll(body, new Scope(globals), out);
        } catch (TemplateRenderException e) {
            throw new TemplateRenderException(e.getMessage() + " (template line " + currentLine + ")");
        } catch (BreakSignal | ContinueSignal e) {
            throw new TemplateRenderException("'break' or 'continue' outside a loop (template line " + currentLine
                    + ")");
        }
        return out.toString();
    }

    private void renderAll(List<Node> nodes, Scope scope, StringBuilder out) {
        for (Node node : nodes) renderNode(node, scope, out);
    }

    private void renderNode(Node node, Scope scope, StringBuilder out) {
        currentLine = node.line();
        switch (node) {
            case Ast.Text t -> out.append(t.text());
            case Ast.Output o -> out.append(Py.str(eval(o.value(), scope)));
            case Ast.If i -> renderIf(i, scope, out);
            case Ast.For f -> renderFor(f, scope, out);
            case Ast.Set s -> assign(s.target(), eval(s.value(), scope), scope);
            case Ast.SetBlock s -> {
                StringBuilder captured = new StringBuilder();
                renderAll(s.body(), scope, captured);
                assign(s.target(), captured.toString(), scope);
            }
            case Ast.Macro m -> scope.set(m.name(), macro(m, scope));
            case Ast.FilterBlock f -> {
                StringBuilder captured = new StringBuilder();
                renderAll(f.body(), scope, captured);
                Object value = captured.toString();
                for (FilterCall call : f.filters()) value = applyFilter(call, value, scope);
                out.append(Py.str(value));
            }
            case Ast.Passthrough p -> renderAll(p.body(), scope, out);
            case Ast.Break b -> throw new BreakSignal();
            case Ast.Continue c -> throw new ContinueSignal();
        }
    }

    private void renderIf(Ast.If node, Scope scope, StringBuilder out) {
        for (Ast.Branch branch : node.branches()) {
            if (Py.truthy(eval(branch.condition(), scope))) {
                renderAll(branch.body(), scope, out);
                return;
            }
        }
        renderAll(node.otherwise(), scope, out);
    }

    private void renderFor(Ast.For node, Scope scope, StringBuilder out) {
        List<Object> items = Py.iterate(eval(node.iterable(), scope));
        if (node.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope test = new Scope(scope);
                bind(node.target(), item, test);
                if (Py.truthy(eval(node.filter(), test))) kept.add(item);
            }
            items = kept;
        }
        if (items.isEmpty()) {
            renderAll(node.otherwise(), scope, out);
            return;
        }
        for (int i = 0; i < items.size(); i++) {
            if (++iterations > MAX_ITERATIONS) throw new TemplateRenderException("more than " + MAX_ITERATIONS + " loop iterations");
            if (out.length() > Py.MAX_LENGTH) throw new TemplateRenderException("output over " + Py.MAX_LENGTH + " characters");
            Scope iteration = new Scope(scope);
            iteration.set("loop", new LoopContext(items, i));
            bind(node.target(), items.get(i), iteration);
            try {
                renderAll(node.body(), iteration, out);
            } catch (ContinueSignal c) {
                // next iteration
            } catch (BreakSignal b) {
                break;
            }
        }
    }

    private void bind(Target target, Object value, Scope scope) {
        switch (target) {
            case Ast.NameTarget n -> scope.set(n.name(), value);
            case Ast.TupleTarget t -> {
                List<Object> values = Py.iterate(value);
                if (values.size() != t.names().size()) {
                    throw new TemplateRenderException("cannot unpack " + values.size() + " value(s) into "
                            + t.names().size() + " variables " + t.names());
                }
                for (int i = 0; i < values.size(); i++) scope.set(t.names().get(i), values.get(i));
            }
            case Ast.AttributeTarget a -> throw new TemplateRenderException("cannot bind a loop variable to "
                    + a.object() + "." + a.attribute());
        }
    }

    private void assign(Target target, Object value, Scope scope) {
        if (target instanceof Ast.AttributeTarget a) {
            Object object = scope.lookup(a.object());
            if (!(object instanceof Namespace ns)) {
                throw new TemplateRenderException("cannot assign attribute '" + a.attribute() + "' on '" + a.object()
                        + "': it is a " + Py.typeName(object) + ", not a namespace()");
            }
            ns.attributes.put(a.attribute(), value);
            return;
        }
        bind(target, value, scope);
    }

    /** Deepest macro recursion and most loop iterations of one render: a template that asks for more is refused. */
    static final int MAX_MACRO_DEPTH = 100;
    static final long MAX_ITERATIONS = 1_000_000;
    private int macroDepth;
    private long iterations;

    private JinjaCallable macro(Ast.Macro m, Scope closure) {
        return (args, kwargs) -> {
            if (macroDepth >= MAX_MACRO_DEPTH) {
                throw new TemplateRenderException("macro '" + m.name() + "' calls nested deeper than " + MAX_MACRO_DEPTH + " levels");
            }
            macroDepth++;
            try {
                return callMacro(m, closure, args, kwargs);
            } finally {
                macroDepth--;
            }
        };
    }

    private String callMacro(Ast.Macro m, Scope closure, List<Object> args, java.util.Map<String, Object> kwargs) {
        {
            if (args.size() > m.params().size()) {
                throw new TemplateRenderException("macro '" + m.name() + "' takes " + m.params().size()
                        + " argument(s), " + args.size() + " given");
            }
            Scope scope = new Scope(closure);
            for (int i = 0; i < m.params().size(); i++) {
                String param = m.params().get(i);
                Object value;
                if (i < args.size()) value = args.get(i);
                else if (kwargs.containsKey(param)) value = kwargs.get(param);
                else if (m.defaults().get(i) != null) value = eval(m.defaults().get(i), scope);
                else value = new Undefined(param);
                scope.set(param, value);
            }
            for (String key : kwargs.keySet()) {
                if (!m.params().contains(key)) {
                    throw new TemplateRenderException("macro '" + m.name() + "' has no parameter '" + key + "'");
                }
            }
            StringBuilder out = new StringBuilder();
            int line = currentLine;
            renderAll(m.body(), scope, out);
            currentLine = line;
            return out.toString();
        }
    }

    // ---- expressions ----

    Object eval(Expr expr, Scope scope) {
        return switch (expr) {
            case Ast.Literal l -> l.value();
            case Ast.Name n -> scope.lookup(n.name());
            case Ast.ListExpr l -> evalAll(l.items(), scope);
            case Ast.TupleExpr t -> new Tuple(evalAll(t.items(), scope));
            case Ast.DictExpr d -> {
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    map.put(eval(d.keys().get(i), scope), eval(d.values().get(i), scope));
                }
                yield map;
            }
            case Ast.GetAttr g -> getAttr(eval(g.object(), scope), g.attribute());
            case Ast.GetItem g -> g.key() instanceof Ast.Slice s
                    ? slice(eval(g.object(), scope), s, scope)
                    : getItem(eval(g.object(), scope), eval(g.key(), scope));
            case Ast.Slice s -> throw new TemplateRenderException("a slice is only allowed inside [...]");
            case Ast.Call c -> call(eval(c.function(), scope), c.args(), scope);
            case Ast.Filter f -> applyFilter(f.filter(), eval(f.value(), scope), scope);
            case Ast.Test t -> {
                List<Object> args = evalAll(t.args().positional(), scope);
                yield Tests.apply(t.name(), eval(t.value(), scope), args) != t.negated();
            }
            case Ast.Binary b -> binary(b, scope);
            case Ast.Unary u -> unary(u, scope);
            case Ast.Compare c -> compare(c, scope);
            case Ast.Concat c -> {
                StringBuilder sb = new StringBuilder();
                for (Expr part : c.parts()) {
                    sb.append(Py.str(eval(part, scope)));
                    if (sb.length() > Py.MAX_LENGTH) throw new TemplateRenderException("'~' would build a string over " + Py.MAX_LENGTH + " characters");
                }
                yield sb.toString();
            }
            case Ast.Conditional c -> Py.truthy(eval(c.condition(), scope))
                    ? eval(c.then(), scope)
                    : c.otherwise() == null ? new Undefined("else branch") : eval(c.otherwise(), scope);
        };
    }

    private List<Object> evalAll(List<Expr> exprs, Scope scope) {
        List<Object> values = new ArrayList<>(exprs.size());
        for (Expr e : exprs) values.add(eval(e, scope));
        return values;
    }

    private Map<String, Object> evalKeywords(Args args, Scope scope) {
        Map<String, Object> kwargs = new LinkedHashMap<>();
        for (int i = 0; i < args.keywordNames().size(); i++) {
            kwargs.put(args.keywordNames().get(i), eval(args.keywordValues().get(i), scope));
        }
        return kwargs;
    }

    private Object call(Object function, Args args, Scope scope) {
        if (function instanceof JinjaCallable callable) {
            return callable.call(evalAll(args.positional(), scope), evalKeywords(args, scope));
        }
        if (function instanceof Undefined u) throw new TemplateRenderException(u.error());
        throw new TemplateRenderException("'" + Py.typeName(function) + "' object is not callable");
    }

    private Object applyFilter(FilterCall filter, Object value, Scope scope) {
        return Filters.apply(filter.name(), value, evalAll(filter.args().positional(), scope),
                evalKeywords(filter.args(), scope));
    }

    private Object binary(Ast.Binary b, Scope scope) {
        Object left = eval(b.left(), scope);
        return switch (b.op()) {
            case "and" -> Py.truthy(left) ? eval(b.right(), scope) : left;
            case "or" -> Py.truthy(left) ? left : eval(b.right(), scope);
            case "+" -> Py.add(left, eval(b.right(), scope));
            case "-" -> Py.subtract(left, eval(b.right(), scope));
            case "*" -> Py.multiply(left, eval(b.right(), scope));
            case "/" -> Py.divide(left, eval(b.right(), scope));
            case "//" -> Py.floorDivide(left, eval(b.right(), scope));
            case "%" -> Py.modulo(left, eval(b.right(), scope));
            case "**" -> Py.power(left, eval(b.right(), scope));
            default -> throw new TemplateRenderException("unknown operator " + b.op());
        };
    }

    private Object unary(Ast.Unary u, Scope scope) {
        Object value = eval(u.operand(), scope);
        return switch (u.op()) {
            case "not" -> !Py.truthy(value);
            case "-" -> Py.negate(value);
            default -> {
                if (!Py.isNumber(value)) {
                    throw new TemplateRenderException("bad operand type for unary +: '" + Py.typeName(value) + "'");
                }
                yield value;
            }
        };
    }

    private Object compare(Ast.Compare c, Scope scope) {
        Object left = eval(c.first(), scope);
        for (int i = 0; i < c.ops().size(); i++) {
            Object right = eval(c.rest().get(i), scope);
            String op = c.ops().get(i);
            boolean result = switch (op) {
                case "==" -> Py.eq(left, right);
                case "!=" -> !Py.eq(left, right);
                case "<" -> Py.compare(left, right, op) < 0;
                case ">" -> Py.compare(left, right, op) > 0;
                case "<=" -> Py.compare(left, right, op) <= 0;
                case ">=" -> Py.compare(left, right, op) >= 0;
                case "in" -> Py.contains(right, left);
                default -> !Py.contains(right, left);
            };
            if (!result) return false;
            left = right;
        }
        return true;
    }

    // ---- attribute and item access ----

    /** {@code obj.name}: a method of a str, dict or list, a dict key, a namespace or loop attribute, else undefined. */
    static Object getAttr(Object obj, String name) {
        if (obj instanceof Map<?, ?> map) {
            if (DICT_METHODS.contains(name)) return dictMethod(map, name);
            return map.containsKey(name) ? map.get(name) : new Undefined(name);
        }
        if (obj instanceof String s) {
            if (PyStrings.METHODS.contains(name)) return (JinjaCallable) (a, k) -> PyStrings.call(s, name, a, k);
            return new Undefined(name);
        }
        if (obj instanceof List<?> list) {
            if (LIST_MUTATORS.contains(name)) {
                throw new TemplateRenderException("access to attribute '" + name + "' of '" + Py.typeName(obj)
                        + "' object is unsafe.");
            }
            if (name.equals("index")) return (JinjaCallable) (a, k) -> listIndex(list, a);
            if (name.equals("count")) {
                return (JinjaCallable) (a, k) -> list.stream().filter(o -> Py.eq(o, a.get(0))).count();
            }
            return new Undefined(name);
        }
        if (obj instanceof Namespace ns) {
            return ns.attributes.containsKey(name) ? ns.attributes.get(name) : new Undefined(name);
        }
        if (obj instanceof LoopContext loop) return loop.attribute(name);
        return new Undefined(name);
    }

    /** {@code attribute} with dots ({@code "a.b.0"}), as Jinja's {@code map(attribute=...)} reads it. */
    static Object getAttrPath(Object obj, String path) {
        Object value = obj;
        for (String part : path.split("\\.")) {
            value = part.matches("\\d+") ? getItem(value, Long.parseLong(part)) : getItem(value, part);
        }
        return value;
    }

    private static Object listIndex(List<?> list, List<Object> args) {
        for (int i = 0; i < list.size(); i++) if (Py.eq(list.get(i), args.get(0))) return (long) i;
        throw new TemplateRenderException(Py.repr(args.get(0)) + " is not in list");
    }

    private static JinjaCallable dictMethod(Map<?, ?> map, String name) {
        return (args, kwargs) -> switch (name) {
            case "items" -> {
                List<Object> out = new ArrayList<>();
                map.forEach((k, v) -> out.add(new Tuple(java.util.Arrays.asList(k, v))));
                yield out;
            }
            case "keys" -> new ArrayList<Object>(map.keySet());
            case "values" -> new ArrayList<Object>(map.values());
            default -> {
                Arguments a = Arguments.bind("get", args, kwargs, "key", "default");
                Object key = a.required(0, "get", "key");
                yield map.containsKey(key) ? map.get(key) : a.get(1, null);
            }
        };
    }

    /** {@code obj[key]}: dict lookup, list/str index (negative from the end), else attribute; undefined if absent. */
    static Object getItem(Object obj, Object key) {
        if (obj instanceof Map<?, ?> map) {
            if (map.containsKey(key)) return map.get(key);
            return key instanceof String s ? getAttr(obj, s) : new Undefined(Py.repr(key));
        }
        if ((obj instanceof List || obj instanceof String) && Py.isIntegral(key)) {
            List<?> items = obj instanceof String s ? Py.codePointStrings(s) : (List<?>) obj;
            long i = Py.toLong(key);
            if (i < 0) i += items.size();
            return i >= 0 && i < items.size() ? items.get((int) i) : new Undefined("index " + key);
        }
        if (key instanceof String s) return getAttr(obj, s);
        return new Undefined(Py.repr(key));
    }

    private Object slice(Object obj, Ast.Slice s, Scope scope) {
        if (obj instanceof Undefined) return obj;
        Object start = sliceIndex(s.start(), scope);
        Object stop = sliceIndex(s.stop(), scope);
        Object stepValue = sliceIndex(s.step(), scope);
        boolean isString = obj instanceof String;
        List<?> items = obj instanceof String str ? Py.codePointStrings(str) : obj instanceof List<?> l ? l : null;
        if (items == null) throw new TemplateRenderException("'" + Py.typeName(obj) + "' object is not subscriptable");
        int n = items.size();
        long step = stepValue == null ? 1 : Py.toLong(stepValue);
        if (step == 0) throw new TemplateRenderException("slice step cannot be zero");
        long lo;
        long hi;
        if (step > 0) {
            lo = start == null ? 0 : clamp(Py.toLong(start), n, 0, n);
            hi = stop == null ? n : clamp(Py.toLong(stop), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clamp(Py.toLong(start), n, -1, n - 1);
            hi = stop == null ? -1 : clamp(Py.toLong(stop), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long i = lo; step > 0 ? i < hi : i > hi; i += step) out.add(items.get((int) i));
        if (!isString) return out;
        StringBuilder sb = new StringBuilder();
        out.forEach(o -> sb.append((String) o));
        return sb.toString();
    }

    /** A slice bound: absent or None, else an integer, as Python's slice() takes them. */
    private Object sliceIndex(Expr bound, Scope scope) {
        Object v = bound == null ? null : eval(bound, scope);
        if (v != null && !Py.isIntegral(v)) {
            throw new TemplateRenderException("slice indices must be integers or None, found '" + Py.typeName(v) + "'");
        }
        return v;
    }

    private static long clamp(long index, int n, long min, long max) {
        long i = index < 0 ? index + n : index;
        return Math.max(min, Math.min(max, i));
    }
}
