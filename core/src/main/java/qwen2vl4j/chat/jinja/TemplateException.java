package qwen2vl4j.chat.jinja;

/** Base of every error raised while parsing or rendering a Jinja template. */
public class TemplateException extends RuntimeException {
    public TemplateException(String message) {
        super(message);
    }
}
