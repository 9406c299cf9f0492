package qwen2vl4j.chat;

import java.util.List;
import java.util.Objects;

/**
 * One chat message.
 *
 * @param role          {@code system}, {@code user}, {@code assistant}, ...
 * @param content       the parts, in order
 * @param stringContent true when the content was given as a plain string (a single {@link ContentPart.Text}); the
 *                      template then sees a string, not a list of parts
 */
public record Message(String role, List<ContentPart> content, boolean stringContent) {
    /**
     * The roles a chat request may give (OpenAI's): the front ends refuse others. The record itself takes any role, as
     * the chat template renders any ({@code <|im_start|>role}); {@code developer} is OpenAI's newer name for
     * {@code system}.
     */
    public static final List<String> ROLES = List.of("system", "developer", "user", "assistant", "tool");

    public Message {
        Objects.requireNonNull(role, "role");
        content = List.copyOf(content);
        if (stringContent && !(content.size() == 1 && content.get(0) instanceof ContentPart.Text)) {
            throw new IllegalArgumentException("string content must be exactly one text part");
        }
    }

    /** A message whose content is a list of parts. */
    public Message(String role, List<ContentPart> content) {
        this(role, content, false);
    }

    /** A message whose content is the plain string {@code text}. */
    public static Message of(String role, String text) {
        return new Message(role, List.of(new ContentPart.Text(text)), true);
    }

    public static Message user(String text) {
        return of("user", text);
    }

    public static Message system(String text) {
        return of("system", text);
    }

    public static Message assistant(String text) {
        return of("assistant", text);
    }
}
