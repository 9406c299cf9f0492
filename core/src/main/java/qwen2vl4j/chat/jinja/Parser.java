package qwen2vl4j.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import qwen2vl4j.chat.jinja.Ast.Expr;
import qwen2vl4j.chat.jinja.Ast.FilterCall;
import qwen2vl4j.chat.jinja.Ast.Node;
import qwen2vl4j.chat.jinja.Ast.Target;
import qwen2vl4j.chat.jinja.Lexer.Token;
import qwen2vl4j.chat.jinja.Lexer.Type;

/**
 * Recursive-descent parser from tokens to {@link Ast} nodes: the statements and block tags; expressions, with
 * Jinja's operator precedence, are left to {@link ExpressionParser}.
 */
final class Parser {
    /** Nesting of expressions and blocks the parsers follow (deeper ones would overflow the stack). */
    static final int MAX_DEPTH = 200;

    private final TokenStream tokens;
    private final ExpressionParser expressions;
    private int loopDepth;

    private Parser(List<Token> tokens) {
        this.tokens = new TokenStream(tokens);
        this.expressions = new ExpressionParser(this.tokens);
    }

    static List<Node> parse(String source) {
        Parser parser = new Parser(Lexer.tokenize(source));
        List<Node> body = parser.parseBody(Set.of(), null);
        Token end = parser.tokens.peek();
        if (end.type() != Type.EOF) {
            throw parser.tokens.error("unexpected '" + end.value() + "'", end);
        }
        return body;
    }

    // ---- statements ----

    /** Parses nodes until a block tag named in {@code endTags} (left unconsumed) or the end of input. */
    private List<Node> parseBody(Set<String> endTags, Token opener) {
        tokens.enter(opener == null ? tokens.peek() : opener);
        try {
            return parseBodyNested(endTags, opener);
        } finally {
            tokens.leave();
        }
    }

    private List<Node> parseBodyNested(Set<String> endTags, Token opener) {
        List<Node> body = new ArrayList<>();
        while (true) {
            Token t = tokens.peek();
            switch (t.type()) {
                case EOF -> {
                    if (opener != null) {
                        throw tokens.error("unexpected end of template: '" + opener.value() + "' block opened at line "
                                + opener.line() + " is never closed (expected " + String.join(" or ", endTags)
                                + ")", t);
                    }
                    return body;
                }
                case TEXT -> {
                    tokens.next();
                    body.add(new Ast.Text(t.value(), t.line()));
                }
                case VAR_BEGIN -> {
                    tokens.next();
                    Expr value = expressions.parseTuple(true);
                    tokens.expect(Type.VAR_END, "'}}'");
                    body.add(new Ast.Output(value, t.line()));
                }
                case BLOCK_BEGIN -> {
                    Token keyword = tokens.peek(1);
                    if (keyword.type() == Type.NAME && endTags.contains(keyword.value())) return body;
                    tokens.next();
                    body.add(parseStatement());
                }
                default -> throw tokens.error("unexpected '" + t.value() + "'", t);
            }
        }
    }

    private Node parseStatement() {
        Token keyword = tokens.next();
        if (keyword.type() != Type.NAME) {
            throw tokens.error("expected a statement name, found '" + keyword.value() + "'", keyword);
        }
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
                if (loopDepth == 0) throw tokens.error("'" + keyword.value() + "' outside a for loop", keyword);
                endTag();
                yield keyword.value().equals("break") ? new Ast.Break(keyword.line()) : new Ast.Continue(keyword.line());
            }
            default -> throw tokens.error("unknown tag '" + keyword.value() + "'", keyword);
        };
    }

    private Node parseIf(Token keyword) {
        List<Ast.Branch> branches = new ArrayList<>();
        Expr condition = expressions.parseTuple(true);
        endTag();
        while (true) {
            List<Node> body = parseBody(Set.of("elif", "else", "endif"), keyword);
            branches.add(new Ast.Branch(condition, body));
            tokens.next();
            Token tag = tokens.next();
            switch (tag.value()) {
                case "elif" -> {
                    condition = expressions.parseTuple(true);
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
        Token in = tokens.next();
        if (!in.isName("in")) throw tokens.error("expected 'in' in for loop, found '" + in.value() + "'", in);
        Expr iterable = expressions.parseTuple(false);
        Expr filter = null;
        if (tokens.peek().isName("if")) {
            tokens.next();
            filter = expressions.parseExpression(true);
        }
        if (tokens.peek().isName("recursive")) throw tokens.error("recursive loops are not supported", tokens.peek());
        endTag();
        loopDepth++;
        List<Node> body = parseBody(Set.of("else", "endfor"), keyword);
        loopDepth--;
        tokens.next();
        Token tag = tokens.next();
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
        if (tokens.peek().isOp("=")) {
            tokens.next();
            Expr value = expressions.parseTuple(true);
            endTag();
            return new Ast.Set(target, value, keyword.line());
        }
        endTag();
        List<Node> body = parseBody(Set.of("endset"), keyword);
        closeBlock();
        return new Ast.SetBlock(target, body, keyword.line());
    }

    private Target parseAssignTarget(boolean allowAttribute) {
        boolean parenthesized = tokens.peek().isOp("(");
        if (parenthesized) tokens.next();
        Token first = tokens.expect(Type.NAME, "a variable name");
        if (allowAttribute && tokens.peek().isOp(".")) {
            tokens.next();
            Token attribute = tokens.expect(Type.NAME, "an attribute name");
            return new Ast.AttributeTarget(first.value(), attribute.value());
        }
        List<String> names = new ArrayList<>(List.of(first.value()));
        while (tokens.peek().isOp(",")) {
            tokens.next();
            if (tokens.peek().type() != Type.NAME) break;
            names.add(tokens.next().value());
        }
        if (parenthesized) tokens.expectOp(")");
        return names.size() == 1 && !parenthesized ? new Ast.NameTarget(first.value()) : new Ast.TupleTarget(names);
    }

    private Node parseMacro(Token keyword) {
        Token name = tokens.expect(Type.NAME, "a macro name");
        tokens.expectOp("(");
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        while (!tokens.peek().isOp(")")) {
            if (!params.isEmpty()) tokens.expectOp(",");
            if (tokens.peek().isOp(")")) break;
            params.add(tokens.expect(Type.NAME, "a parameter name").value());
            if (tokens.peek().isOp("=")) {
                tokens.next();
                defaults.add(expressions.parseExpression(true));
            } else {
                defaults.add(null);
            }
        }
        tokens.next();
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
        filters.add(expressions.parseFilterCall());
        while (tokens.peek().isOp("|")) {
            tokens.next();
            filters.add(expressions.parseFilterCall());
        }
        endTag();
        List<Node> body = parseBody(Set.of("endfilter"), keyword);
        closeBlock();
        return new Ast.FilterBlock(filters, body, keyword.line());
    }

    /** Consumes the {@code {% endX %}} that parseBody stopped at. */
    private void closeBlock() {
        tokens.next();
        tokens.next();
        endTag();
    }

    private void endTag() {
        Token t = tokens.peek();
        if (t.type() != Type.BLOCK_END) {
            throw tokens.error("expected end of statement '%}', found '" + t.value() + "'", t);
        }
        tokens.next();
    }
}
