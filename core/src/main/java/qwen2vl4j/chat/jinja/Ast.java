package qwen2vl4j.chat.jinja;

import java.util.List;

/** The parsed template: statements ({@link Node}) and expressions ({@link Expr}); each knows its source line. */
final class Ast {
    private Ast() {
    }

    /** A statement or piece of output. */
    sealed interface Node {
        int line();
    }

    record Text(String text, int line) implements Node { }

    record Output(Expr value, int line) implements Node { }

    record Branch(Expr condition, List<Node> body) { }

    record If(List<Branch> branches, List<Node> otherwise, int line) implements Node { }

    record For(Target target, Expr iterable, Expr filter, List<Node> body, List<Node> otherwise, int line)
            implements Node { }

    record Set(Target target, Expr value, int line) implements Node { }

    record SetBlock(Target target, List<Node> body, int line) implements Node { }

    record Macro(String name, List<String> params, List<Expr> defaults, List<Node> body, int line)
            implements Node { }

    record FilterBlock(List<FilterCall> filters, List<Node> body, int line) implements Node { }

    /** Renders its body unchanged: transformers' {@code {% generation %}} marker. */
    record Passthrough(List<Node> body, int line) implements Node { }

    record Break(int line) implements Node { }

    record Continue(int line) implements Node { }

    /** The left side of {@code set} or a {@code for} loop variable. */
    sealed interface Target { }

    record NameTarget(String name) implements Target { }

    record AttributeTarget(String object, String attribute) implements Target { }

    record TupleTarget(List<String> names) implements Target { }

    /** Positional and keyword arguments of a call, filter or test. */
    record Args(List<Expr> positional, List<String> keywordNames, List<Expr> keywordValues) {
        static final Args NONE = new Args(List.of(), List.of(), List.of());
    }

    record FilterCall(String name, Args args, int line, int column) { }

    /** An expression. */
    sealed interface Expr { }

    record Literal(Object value) implements Expr { }

    record Name(String name) implements Expr { }

    record ListExpr(List<Expr> items) implements Expr { }

    record TupleExpr(List<Expr> items) implements Expr { }

    record DictExpr(List<Expr> keys, List<Expr> values) implements Expr { }

    record GetAttr(Expr object, String attribute) implements Expr { }

    record GetItem(Expr object, Expr key) implements Expr { }

    record Slice(Expr start, Expr stop, Expr step) implements Expr { }

    record Call(Expr function, Args args) implements Expr { }

    record Filter(Expr value, FilterCall filter) implements Expr { }

    record Test(Expr value, String name, Args args, boolean negated) implements Expr { }

    record Binary(String op, Expr left, Expr right) implements Expr { }

    record Unary(String op, Expr operand) implements Expr { }

    record Compare(Expr first, List<String> ops, List<Expr> rest) implements Expr { }

    record Concat(List<Expr> parts) implements Expr { }

    record Conditional(Expr condition, Expr then, Expr otherwise) implements Expr { }
}
