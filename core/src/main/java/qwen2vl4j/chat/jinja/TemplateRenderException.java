package qwen2vl4j.chat.jinja;

/** An error while rendering: a type error, an undefined value used in arithmetic, or {@code raise_exception(msg)}. */
public final class TemplateRenderException extends TemplateException {
    public TemplateRenderException(String message) {
        super(message);
    }
}
