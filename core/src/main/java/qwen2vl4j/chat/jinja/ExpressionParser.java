package qwen2vl4j.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import qwen2vl4j.chat.jinja.Ast.Args;
import qwen2vl4j.chat.jinja.Ast.Expr;
import qwen2vl4j.chat.jinja.Ast.FilterCall;
import qwen2vl4j.chat.jinja.Lexer.Token;
import qwen2vl4j.chat.jinja.Lexer.Type;

/** Recursive-descent parser of expressions, with Jinja's operator precedence, over the statement parser's tokens. */
final class ExpressionParser {
    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", ">", "<=", ">=");

    private final TokenStream tokens;

    ExpressionParser(TokenStream tokens) {
        this.tokens = tokens;
    }

    /** An expression, or several separated by commas (a tuple without parentheses). */
    Expr parseTuple(boolean withCondition) {
        Expr first = parseExpression(withCondition);
        if (!tokens.peek().isOp(",")) return first;
        List<Expr> items = new ArrayList<>(List.of(first));
        while (tokens.peek().isOp(",")) {
            tokens.next();
            if (isExpressionEnd(tokens.peek())) break;
            items.add(parseExpression(withCondition));
        }
        return new Ast.TupleExpr(items);
    }

    private static boolean isExpressionEnd(Token t) {
        return t.type() == Type.VAR_END || t.type() == Type.BLOCK_END || t.isOp(")") || t.isOp("]") || t.isOp("}")
                || t.isOp("=");
    }

    Expr parseExpression(boolean withCondition) {
        Expr value = parseOr();
        if (!withCondition) return value;
        while (tokens.peek().isName("if")) {
            tokens.next();
            Expr condition = parseOr();
            Expr otherwise = null;
            if (tokens.peek().isName("else")) {
                tokens.next();
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
        while (tokens.peek().isName(keyword)) {
            tokens.next();
            left = new Ast.Binary(keyword, left, operand.get());
        }
        return left;
    }

    private Expr parseNot() {
        if (tokens.peek().isName("not")) {
            Token not = tokens.next();
            tokens.enter(not);
            try {
                return new Ast.Unary("not", parseNot());
            } finally {
                tokens.leave();
            }
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = tokens.peek();
            if (t.type() == Type.OP && COMPARE_OPS.contains(t.value())) {
                tokens.next();
                ops.add(t.value());
            } else if (t.isName("in")) {
                tokens.next();
                ops.add("in");
            } else if (t.isName("not") && tokens.peek(1).isName("in")) {
                tokens.next();
                tokens.next();
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
        while (tokens.peek().isOp("+") || tokens.peek().isOp("-")) {
            String op = tokens.next().value();
            left = new Ast.Binary(op, left, parseConcat());
        }
        return left;
    }

    private Expr parseConcat() {
        Expr first = parseMath2();
        if (!tokens.peek().isOp("~")) return first;
        List<Expr> parts = new ArrayList<>(List.of(first));
        while (tokens.peek().isOp("~")) {
            tokens.next();
            parts.add(parseMath2());
        }
        return new Ast.Concat(parts);
    }

    private Expr parseMath2() {
        Expr left = parsePow();
        while (tokens.peek().isOp("*") || tokens.peek().isOp("/") || tokens.peek().isOp("//")
                || tokens.peek().isOp("%")) {
            String op = tokens.next().value();
            left = new Ast.Binary(op, left, parsePow());
        }
        return left;
    }

    private Expr parsePow() {
        Expr left = parseUnary(true);
        while (tokens.peek().isOp("**")) {
            tokens.next();
            left = new Ast.Binary("**", left, parseUnary(true));
        }
        return left;
    }

    private Expr parseUnary(boolean withFilter) {
        tokens.enter(tokens.peek());
        try {
            Expr node;
            if (tokens.peek().isOp("-") || tokens.peek().isOp("+")) {
                String op = tokens.next().value();
                node = new Ast.Unary(op, parseUnary(false));
            } else {
                node = parsePostfix(parsePrimary());
            }
            return withFilter ? parseFilterExpr(node) : node;
        } finally {
            tokens.leave();
        }
    }

    private Expr parsePrimary() {
        Token t = tokens.next();
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
                while (tokens.peek().type() == Type.STRING) sb.append(tokens.next().value());
                return new Ast.Literal(sb.toString());
            }
            case INT -> { // Python's ints have no bound: one past a long stays a BigInteger
                java.math.BigInteger value = new java.math.BigInteger(t.value());
                return new Ast.Literal(value.bitLength() < 64 ? (Object) value.longValue() : value);
            }
            case FLOAT -> {
                return new Ast.Literal(Double.parseDouble(t.value()));
            }
            case OP -> {
                switch (t.value()) {
                    case "(" -> {
                        if (tokens.peek().isOp(")")) {
                            tokens.next();
                            return new Ast.TupleExpr(List.of());
                        }
                        Expr inner = parseExpression(true);
                        if (tokens.peek().isOp(",")) {
                            List<Expr> items = new ArrayList<>(List.of(inner));
                            while (tokens.peek().isOp(",")) {
                                tokens.next();
                                if (tokens.peek().isOp(")")) break;
                                items.add(parseExpression(true));
                            }
                            inner = new Ast.TupleExpr(items);
                        }
                        tokens.expectOp(")");
                        return inner;
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!tokens.peek().isOp("]")) {
                            if (!items.isEmpty()) tokens.expectOp(",");
                            if (tokens.peek().isOp("]")) break;
                            items.add(parseExpression(true));
                        }
                        tokens.next();
                        return new Ast.ListExpr(items);
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!tokens.peek().isOp("}")) {
                            if (!keys.isEmpty()) tokens.expectOp(",");
                            if (tokens.peek().isOp("}")) break;
                            keys.add(parseExpression(true));
                            tokens.expectOp(":");
                            values.add(parseExpression(true));
                        }
                        tokens.next();
                        return new Ast.DictExpr(keys, values);
                    }
                    default -> { }
                }
            }
            default -> { }
        }
        throw tokens.error("unexpected '" + (t.type() == Type.EOF ? "end of template" : t.value()) + "'", t);
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            Token t = tokens.peek();
            if (t.isOp(".")) {
                tokens.next();
                Token attribute = tokens.next();
                if (attribute.type() == Type.NAME) {
                    node = new Ast.GetAttr(node, attribute.value());
                } else if (attribute.type() == Type.INT) {
                    node = new Ast.GetItem(node, new Ast.Literal(Long.parseLong(attribute.value())));
                } else {
                    throw tokens.error("expected an attribute name after '.', found '" + attribute.value() + "'",
                            attribute);
                }
            } else if (t.isOp("[")) {
                tokens.next();
                node = new Ast.GetItem(node, parseSubscript());
                tokens.expectOp("]");
            } else if (t.isOp("(")) {
                node = new Ast.Call(node, parseCallArgs());
            } else {
                return node;
            }
        }
    }

    private Expr parseSubscript() {
        Expr start = null;
        if (!tokens.peek().isOp(":")) {
            start = parseExpression(true);
            if (!tokens.peek().isOp(":")) return start;
        }
        tokens.next();
        Expr stop = tokens.peek().isOp(":") || tokens.peek().isOp("]") ? null : parseExpression(true);
        Expr step = null;
        if (tokens.peek().isOp(":")) {
            tokens.next();
            if (!tokens.peek().isOp("]")) step = parseExpression(true);
        }
        return new Ast.Slice(start, stop, step);
    }

    private Args parseCallArgs() {
        tokens.expectOp("(");
        List<Expr> positional = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        boolean first = true;
        while (!tokens.peek().isOp(")")) {
            if (!first) tokens.expectOp(",");
            first = false;
            if (tokens.peek().isOp(")")) break;
            if (tokens.peek().type() == Type.NAME && tokens.peek(1).isOp("=")) {
                names.add(tokens.next().value());
                tokens.next();
                values.add(parseExpression(true));
            } else {
                if (!names.isEmpty()) throw tokens.error("positional argument follows keyword argument", tokens.peek());
                positional.add(parseExpression(true));
            }
        }
        tokens.next();
        return new Args(positional, names, values);
    }

    private Expr parseFilterExpr(Expr node) {
        while (true) {
            Token t = tokens.peek();
            if (t.isOp("|")) {
                tokens.next();
                node = new Ast.Filter(node, parseFilterCall());
            } else if (t.isName("is")) {
                tokens.next();
                node = parseTest(node);
            } else if (t.isOp("(")) {
                node = new Ast.Call(node, parseCallArgs());
            } else {
                return node;
            }
        }
    }

    FilterCall parseFilterCall() {
        Token name = tokens.expect(Type.NAME, "a filter name");
        String fullName = name.value();
        while (tokens.peek().isOp(".")) {
            tokens.next();
            fullName += "." + tokens.expect(Type.NAME, "a filter name").value();
        }
        if (!Filters.exists(fullName)) throw tokens.error("no filter named '" + fullName + "'", name);
        Args args = tokens.peek().isOp("(") ? parseCallArgs() : Args.NONE;
        return new FilterCall(fullName, args, name.line(), name.column());
    }

    private Expr parseTest(Expr node) {
        boolean negated = false;
        if (tokens.peek().isName("not")) {
            tokens.next();
            negated = true;
        }
        Token name = tokens.next();
        String testName;
        if (name.type() == Type.NAME) {
            testName = name.value();
        } else if (name.type() == Type.OP && COMPARE_OPS.contains(name.value())) {
            testName = name.value();
        } else {
            throw tokens.error("expected a test name after 'is', found '" + name.value() + "'", name);
        }
        if (!Tests.exists(testName)) throw tokens.error("no test named '" + testName + "'", name);
        Args args = Args.NONE;
        Token t = tokens.peek();
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
}
