package qwen2vl4j.chat.jinja;

/** A template that cannot be parsed; the message names the line and column (both 1-based). */
public final class TemplateSyntaxException extends TemplateException {
    private final int line;
    private final int column;

    public TemplateSyntaxException(String message, int line, int column) {
        super("template syntax error at line " + line + ", column " + column + ": " + message);
        this.line = line;
        this.column = column;
    }

    /** 1-based line of the offending token. */
    public int line() {
        return line;
    }

    /** 1-based column of the offending token. */
    public int column() {
        return column;
    }
}
