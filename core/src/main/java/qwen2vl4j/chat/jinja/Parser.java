package qwen2vl4j.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import qwen2vl4j.chat.jinja.Ast.Args;
import qwen2vl4j.chat.jinja.Ast.Expr;
import qwen2vl4j.chat.jinja.Ast.FilterCall;
import qwen2vl4j.chat.jinja.Ast.Node;
import qwen2vl4j.chat.jinja.Ast.Target;
import qwen2vl4j.chat.jinja.Lexer.Token;
import qwen2vl4j.chat.jinja.Lexer.Type;

/** Recursive-descent parser from tokens to {@link Ast} nodes, with Jinja's operator precedence. */
final class Parser {
    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", ">", "<=", ">=");

    private final List<Token> tokens;
    private int index;
    private int loopDepth;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Node> parse(String source) {
        Parser parser = new Parser(Lexer.tokenize(source));
        List<Node> body = parser.parseBody(Set.of(), null);
        Token end = parser.peek();
        if (end.type() != Type.EOF) {
            throw parser.error("unexpected '" + end.value() + "'", end);
        }
        return body;
    }

    // ---- statements ----

    /** Parses nodes until a block tag named in {@code endTags} (left unconsumed) or the end of input. */
    private List<Node> parseBody(Set<String> endTags, Token opener) {
        enter(opener == null ? peek() : opener);
        try {
            return parseBodyNested(endTags, opener);
        } finally {
            depth--;
        }
    }

    private List<Node> parseBodyNested(Set<String> endTags, Token opener) {
        List<Node> body = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.type()) {
                case EOF -> {
                    if (opener != null) {
                        throw error("unexpected end of template: '" + opener.value() + "' block opened at line "
                                + opener.line() + " is never closed (expected " + String.join(" or ", endTags)
                                + ")", t);
                    }
                    return body;
                }
                case TEXT -> {
                    next();
                    body.add(new Ast.Text(t.value(), t.line()));
                }
                case VAR_BEGIN -> {
                    next();
                    Expr value = parseTuple(true);
                    expect(Type.VAR_END, "'}}'");
                    body.add(new Ast.Output(value, t.line()));
                }
                case BLOCK_BEGIN -> {
                    Token keyword = tokens.get(index + 1);
                    if (keyword.type() == Type.NAME && endTags.contains(keyword.value())) return body;
                    next();
                    body.add(parseStatement());
                }
                default -> throw error("unexpected '" + t.value() + "'", t);
            }
        }
    }

    private Node parseStatement() {
        Token keyword = next();
        if (keyword.type() != Type.NAME) throw error("expected a statement name, found '" + keyword.value() + "'",
                keyword);
        return switch (keyword.value()) {
            case "if" -> parseIf(keyword);
            case "for" -> parseFor(keyword);
            case "set" -> parseSet(keyword);
            case "macro" -> parseMacro(keyword);
            case "filter" -> parseFilterBlock(keyword);
            case "generation" -> {
                endTag();
                List<Node> body = parseBody(Set.of("endgeneration"), keyword);
                closeBlock();
                yield new Ast.Passthrough(body, keyword.line());
            }
            case "break", "continue" -> {
                if (loopDepth == 0) throw error("'" + keyword.value() + "' outside a for loop", keyword);
                endTag();
                yield keyword.value().equals("break") ? new Ast.Break(keyword.line()) : new Ast.Continue(keyword.line());
            }
            default -> throw error("unknown tag '" + keyword.value() + "'", keyword);
        };
    }

    private Node parseIf(Token keyword) {
        List<Ast.Branch> branches = new ArrayList<>();
        Expr condition = parseTuple(true);
        endTag();
        while (true) {
            List<Node> body = parseBody(Set.of("elif", "else", "endif"), keyword);
            branches.add(new Ast.Branch(condition, body));
            next();
            Token tag = next();
            switch (tag.value()) {
                case "elif" -> {
                    condition = parseTuple(true);
                    endTag();
                }
                case "else" -> {
                    endTag();
                    List<Node> otherwise = parseBody(Set.of("endif"), keyword);
                    closeBlock();
                    return new Ast.If(branches, otherwise, keyword.line());
                }
                default -> {
                    endTag();
                    return new Ast.If(branches, List.of(), keyword.line());
                }
            }
        }
    }

    private Node parseFor(Token keyword) {
        Target target = parseAssignTarget(false);
        Token in = next();
        if (!in.isName("in")) throw error("expected 'in' in for loop, found '" + in.value() + "'", in);
        Expr iterable = parseTuple(false);
        Expr filter = null;
        if (peek().isName("if")) {
            next();
            filter = parseExpression(true);
        }
        if (peek().isName("recursive")) throw error("recursive loops are not supported", peek());
        endTag();
        loopDepth++;
        List<Node> body = parseBody(Set.of("else", "endfor"), keyword);
        loopDepth--;
        next();
        Token tag = next();
        List<Node> otherwise = List.of();
        endTag();
        if (tag.value().equals("else")) {
            otherwise = parseBody(Set.of("endfor"), keyword);
            closeBlock();
        }
        return new Ast.For(target, iterable, filter, body, otherwise, keyword.line());
    }

    private Node parseSet(Token keyword) {
        Target target = parseAssignTarget(true);
        if (peek().isOp("=")) {
            next();
            Expr value = parseTuple(true);
            endTag();
            return new Ast.Set(target, value, keyword.line());
        }
        endTag();
        List<Node> body = parseBody(Set.of("endset"), keyword);
        closeBlock();
        return new Ast.SetBlock(target, body, keyword.line());
    }

    private Target parseAssignTarget(boolean allowAttribute) {
        boolean parenthesized = peek().isOp("(");
        if (parenthesized) next();
        Token first = expect(Type.NAME, "a variable name");
        if (allowAttribute && peek().isOp(".")) {
            next();
            Token attribute = expect(Type.NAME, "an attribute name");
            return new Ast.AttributeTarget(first.value(), attribute.value());
        }
        List<String> names = new ArrayList<>(List.of(first.value()));
        while (peek().isOp(",")) {
            next();
            if (peek().type() != Type.NAME) break;
            names.add(next().value());
        }
        if (parenthesized) expectOp(")");
        return names.size() == 1 && !parenthesized ? new Ast.NameTarget(first.value()) : new Ast.TupleTarget(names);
    }

    private Node parseMacro(Token keyword) {
        Token name = expect(Type.NAME, "a macro name");
        expectOp("(");
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        while (!peek().isOp(")")) {
            if (!params.isEmpty()) expectOp(",");
            if (peek().isOp(")")) break;
            params.add(expect(Type.NAME, "a parameter name").value());
            if (peek().isOp("=")) {
                next();
                defaults.add(parseExpression(true));
            } else {
                defaults.add(null);
            }
        }
        next();
        endTag();
        int outerLoops = loopDepth;
        loopDepth = 0;
        List<Node> body = parseBody(Set.of("endmacro"), keyword);
        loopDepth = outerLoops;
        closeBlock();
        return new Ast.Macro(name.value(), params, defaults, body, keyword.line());
    }

    private Node parseFilterBlock(Token keyword) {
        List<FilterCall> filters = new ArrayList<>();
        filters.add(parseFilterCall());
        while (peek().isOp("|")) {
            next();
            filters.add(parseFilterCall());
        }
        endTag();
        List<Node> body = parseBody(Set.of("endfilter"), keyword);
        closeBlock();
        return new Ast.FilterBlock(filters, body, keyword.line());
    }

    /** Consumes the {@code {% endX %}} that parseBody stopped at. */
    private void closeBlock() {
        next();
        next();
        endTag();
    }

    private void endTag() {
        Token t = peek();
        if (t.type() != Type.BLOCK_END) throw error("expected end of statement '%}', found '" + t.value() + "'", t);
        next();
    }

    // ---- expressions ----

    /** An expression, or several separated by commas (a tuple without parentheses). */
    private Expr parseTuple(boolean withCondition) {
        Expr first = parseExpression(withCondition);
        if (!peek().isOp(",")) return first;
        List<Expr> items = new ArrayList<>(List.of(first));
        while (peek().isOp(",")) {
            next();
            if (isExpressionEnd(peek())) break;
            items.add(parseExpression(withCondition));
        }
        return new Ast.TupleExpr(items);
    }

    private static boolean isExpressionEnd(Token t) {
        return t.type() == Type.VAR_END || t.type() == Type.BLOCK_END || t.isOp(")") || t.isOp("]") || t.isOp("}")
                || t.isOp("=");
    }

    private Expr parseExpression(boolean withCondition) {
        Expr value = parseOr();
        if (!withCondition) return value;
        while (peek().isName("if")) {
            next();
            Expr condition = parseOr();
            Expr otherwise = null;
            if (peek().isName("else")) {
                next();
                otherwise = parseExpression(true);
            }
            value = new Ast.Conditional(condition, value, otherwise);
        }
        return value;
    }

    private Expr parseOr() {
        return leftAssociative("or", this::parseAnd);
    }

    private Expr parseAnd() {
        return leftAssociative("and", this::parseNot);
    }

    /** {@code operand (keyword operand)*}, grouped from the left. */
    private Expr leftAssociative(String keyword, Supplier<Expr> operand) {
        Expr left = operand.get();
        while (peek().isName(keyword)) {
            next();
            left = new Ast.Binary(keyword, left, operand.get());
        }
        return left;
    }

    private Expr parseNot() {
        if (peek().isName("not")) {
            Token not = next();
            enter(not);
            try {
                return new Ast.Unary("not", parseNot());
            } finally {
                depth--;
            }
        }
        return parseCompare();
    }

    /** Nesting of expressions and blocks this parser follows (deeper ones would overflow the stack). */
    static final int MAX_DEPTH = 200;
    private int depth;

    private void enter(Token at) {
        if (++depth > MAX_DEPTH) {
            depth = 0;
            throw error("nesting deeper than " + MAX_DEPTH + " levels", at);
        }
    }

    private Expr parseCompare() {
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.type() == Type.OP && COMPARE_OPS.contains(t.value())) {
                next();
                ops.add(t.value());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && tokens.get(index + 1).isName("in")) {
                next();
                next();
                ops.add("not in");
            } else {
                break;
            }
            rest.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Ast.Compare(first, ops, rest);
    }

    private Expr parseMath1() {
        Expr left = parseConcat();
        while (peek().isOp("+") || peek().isOp("-")) {
            String op = next().value();
            left = new Ast.Binary(op, left, parseConcat());
        }
        return left;
    }

    private Expr parseConcat() {
        Expr first = parseMath2();
        if (!peek().isOp("~")) return first;
        List<Expr> parts = new ArrayList<>(List.of(first));
        while (peek().isOp("~")) {
            next();
            parts.add(parseMath2());
        }
        return new Ast.Concat(parts);
    }

    private Expr parseMath2() {
        Expr left = parsePow();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            String op = next().value();
            left = new Ast.Binary(op, left, parsePow());
        }
        return left;
    }

    private Expr parsePow() {
        Expr left = parseUnary(true);
        while (peek().isOp("**")) {
            next();
            left = new Ast.Binary("**", left, parseUnary(true));
        }
        return left;
    }

    private Expr parseUnary(boolean withFilter) {
        enter(peek());
        try {
            Expr node;
            if (peek().isOp("-") || peek().isOp("+")) {
                String op = next().value();
                node = new Ast.Unary(op, parseUnary(false));
            } else {
                node = parsePostfix(parsePrimary());
            }
            return withFilter ? parseFilterExpr(node) : node;
        } finally {
            depth--;
        }
    }

    private Expr parsePrimary() {
        Token t = next();
        switch (t.type()) {
            case NAME -> {
                return switch (t.value()) {
                    case "true", "True" -> new Ast.Literal(Boolean.TRUE);
                    case "false", "False" -> new Ast.Literal(Boolean.FALSE);
                    case "none", "None" -> new Ast.Literal(null);
                    default -> new Ast.Name(t.value());
                };
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder(t.value());
                while (peek().type() == Type.STRING) sb.append(next().value());
                return new Ast.Literal(sb.toString());
            }
            case INT -> {
                return new Ast.Literal(Long.parseLong(t.value()));
            }
            case FLOAT -> {
                return new Ast.Literal(Double.parseDouble(t.value()));
            }
            case OP -> {
                switch (t.value()) {
                    case "(" -> {
                        if (peek().isOp(")")) {
                            next();
                            return new Ast.TupleExpr(List.of());
                        }
                        Expr inner = parseExpression(true);
                        if (peek().isOp(",")) {
                            List<Expr> items = new ArrayList<>(List.of(inner));
                            while (peek().isOp(",")) {
                                next();
                                if (peek().isOp(")")) break;
                                items.add(parseExpression(true));
                            }
                            inner = new Ast.TupleExpr(items);
                        }
                        expectOp(")");
                        return inner;
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!peek().isOp("]")) {
                            if (!items.isEmpty()) expectOp(",");
                            if (peek().isOp("]")) break;
                            items.add(parseExpression(true));
                        }
                        next();
                        return new Ast.ListExpr(items);
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!peek().isOp("}")) {
                            if (!keys.isEmpty()) expectOp(",");
                            if (peek().isOp("}")) break;
                            keys.add(parseExpression(true));
                            expectOp(":");
                            values.add(parseExpression(true));
                        }
                        next();
                        return new Ast.DictExpr(keys, values);
                    }
                    default -> { }
                }
            }
            default -> { }
        }
        throw error("unexpected '" + (t.type() == Type.EOF ? "end of template" : t.value()) + "'", t);
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                next();
                Token attribute = next();
                if (attribute.type() == Type.NAME) {
                    node = new Ast.GetAttr(node, attribute.value());
                } else if (attribute.type() == Type.INT) {
                    node = new Ast.GetItem(node, new Ast.Literal(Long.parseLong(attribute.value())));
                } else {
                    throw error("expected an attribute name after '.', found '" + attribute.value() + "'", attribute);
                }
            } else if (t.isOp("[")) {
                next();
                node = new Ast.GetItem(node, parseSubscript());
                expectOp("]");
            } else if (t.isOp("(")) {
                node = new Ast.Call(node, parseCallArgs());
            } else {
                return node;
            }
        }
    }

    private Expr parseSubscript() {
        Expr start = null;
        if (!peek().isOp(":")) {
            start = parseExpression(true);
            if (!peek().isOp(":")) return start;
        }
        next();
        Expr stop = peek().isOp(":") || peek().isOp("]") ? null : parseExpression(true);
        Expr step = null;
        if (peek().isOp(":")) {
            next();
            if (!peek().isOp("]")) step = parseExpression(true);
        }
        return new Ast.Slice(start, stop, step);
    }

    private Args parseCallArgs() {
        expectOp("(");
        List<Expr> positional = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        boolean first = true;
        while (!peek().isOp(")")) {
            if (!first) expectOp(",");
            first = false;
            if (peek().isOp(")")) break;
            if (peek().type() == Type.NAME && tokens.get(index + 1).isOp("=")) {
                names.add(next().value());
                next();
                values.add(parseExpression(true));
            } else {
                if (!names.isEmpty()) throw error("positional argument follows keyword argument", peek());
                positional.add(parseExpression(true));
            }
        }
        next();
        return new Args(positional, names, values);
    }

    private Expr parseFilterExpr(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                next();
                node = new Ast.Filter(node, parseFilterCall());
            } else if (t.isName("is")) {
                next();
                node = parseTest(node);
            } else if (t.isOp("(")) {
                node = new Ast.Call(node, parseCallArgs());
            } else {
                return node;
            }
        }
    }

    private FilterCall parseFilterCall() {
        Token name = expect(Type.NAME, "a filter name");
        String fullName = name.value();
        while (peek().isOp(".")) {
            next();
            fullName += "." + expect(Type.NAME, "a filter name").value();
        }
        if (!Filters.exists(fullName)) throw error("no filter named '" + fullName + "'", name);
        Args args = peek().isOp("(") ? parseCallArgs() : Args.NONE;
        return new FilterCall(fullName, args, name.line(), name.column());
    }

    private Expr parseTest(Expr node) {
        boolean negated = false;
        if (peek().isName("not")) {
            next();
            negated = true;
        }
        Token name = next();
        String testName;
        if (name.type() == Type.NAME) {
            testName = name.value();
        } else if (name.type() == Type.OP && COMPARE_OPS.contains(name.value())) {
            testName = name.value();
        } else {
            throw error("expected a test name after 'is', found '" + name.value() + "'", name);
        }
        if (!Tests.exists(testName)) throw error("no test named '" + testName + "'", name);
        Args args = Args.NONE;
        Token t = peek();
        if (t.isOp("(")) {
            args = parseCallArgs();
        } else if (startsBareTestArgument(t)) {
            args = new Args(List.of(parsePostfix(parsePrimary())), List.of(), List.of());
        }
        return new Ast.Test(node, testName, args, negated);
    }

    private static boolean startsBareTestArgument(Token t) {
        if (t.type() == Type.STRING || t.type() == Type.INT || t.type() == Type.FLOAT) return true;
        if (t.isOp("[") || t.isOp("{")) return true;
        return t.type() == Type.NAME && !Set.of("else", "or", "and", "if", "is", "in", "not").contains(t.value());
    }

    // ---- token helpers ----

    private Token peek() {
        return tokens.get(index);
    }

    private Token next() {
        Token t = tokens.get(index);
        if (t.type() != Type.EOF) index++;
        return t;
    }

    private Token expect(Type type, String what) {
        Token t = peek();
        if (t.type() != type) {
            throw error("expected " + what + ", found '" + (t.type() == Type.EOF ? "end of template" : t.value())
                    + "'", t);
        }
        return next();
    }

    private void expectOp(String op) {
        Token t = peek();
        if (!t.isOp(op)) {
            throw error("expected '" + op + "', found '" + (t.type() == Type.EOF ? "end of template" : t.value())
                    + "'", t);
        }
        next();
    }

    private TemplateSyntaxException error(String message, Token at) {
        return new TemplateSyntaxException(message, at.line(), at.column());
    }
}
