package qwen2vl4j.chat.jinja;

import java.util.List;
import qwen2vl4j.chat.jinja.Lexer.Token;
import qwen2vl4j.chat.jinja.Lexer.Type;

/** The parsers' shared cursor over the lexer's tokens, with the nesting-depth guard and syntax errors at a token. */
final class TokenStream {
    private final List<Token> tokens;
    private int index;
    private int depth;

    TokenStream(List<Token> tokens) {
        this.tokens = tokens;
    }

    Token peek() {
        return tokens.get(index);
    }

    /** The token {@code ahead} places after the current one. */
    Token peek(int ahead) {
        return tokens.get(index + ahead);
    }

    Token next() {
        Token t = tokens.get(index);
        if (t.type() != Type.EOF) index++;
        return t;
    }

    Token expect(Type type, String what) {
        Token t = peek();
        if (t.type() != type) {
            throw error("expected " + what + ", found '" + (t.type() == Type.EOF ? "end of template" : t.value())
                    + "'", t);
        }
        return next();
    }

    void expectOp(String op) {
        Token t = peek();
        if (!t.isOp(op)) {
            throw error("expected '" + op + "', found '" + (t.type() == Type.EOF ? "end of template" : t.value())
                    + "'", t);
        }
        next();
    }

    /** One level deeper into expressions and blocks; past {@link Parser#MAX_DEPTH} a syntax error at {@code at}. */
    void enter(Token at) {
        if (++depth > Parser.MAX_DEPTH) {
            depth = 0;
            throw error("nesting deeper than " + Parser.MAX_DEPTH + " levels", at);
        }
    }

    /** Back out of the level the matching {@link #enter} went into. */
    void leave() {
        depth--;
    }

    TemplateSyntaxException error(String message, Token at) {
        return new TemplateSyntaxException(message, at.line(), at.column());
    }
}
