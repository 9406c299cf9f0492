package qwen2vl4j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Converts chat messages between the OpenAI / Hugging Face JSON form, {@link Message}, and template values. */
public final class Messages {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> IMAGE_KEYS = List.of("image", "url", "path", "image_url");
    private static final List<String> VIDEO_KEYS = List.of("video", "url", "path");

    private Messages() {
    }

    /**
     * Reads a JSON array of {@code {"role": ..., "content": ...}} where content is a string or a list of parts:
     * {@code {"type":"text","text":..}}, {@code {"type":"image","image":PATH_OR_URI, ...options}} (also
     * {@code "url"} or {@code "path"} instead of {@code "image"}), {@code {"type":"image_url","image_url":{"url":..}}}
     * (or {@code "image_url": "..."}), {@code {"type":"video","video":PATH or [frame paths], ...options}}.
     *
     * @throws IllegalArgumentException naming the message (and part) index for malformed input or an unknown type
     */
    public static List<Message> fromJson(JsonNode array) {
        if (array == null || !array.isArray()) {
            throw new IllegalArgumentException("messages: expected a JSON array, found "
                    + (array == null ? "nothing" : array.getNodeType()));
        }
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) messages.add(message(array.get(i), i));
        return messages;
    }

    private static Message message(JsonNode node, int index) {
        String where = "message " + index;
        if (!node.isObject()) throw new IllegalArgumentException(where + ": expected an object, found " + node.getNodeType());
        JsonNode role = node.get("role");
        if (role == null || !role.isTextual()) throw new IllegalArgumentException(where + ": \"role\" must be a string");
        if (!Message.ROLES.contains(role.asText())) {
            throw new IllegalArgumentException(where + ": \"role\" must be one of " + String.join(", ", Message.ROLES) + ", found '"
                    + role.asText() + "'");
        }
        String name = role.asText().equals("developer") ? "system" : role.asText();   // as the server reads it
        JsonNode content = node.get("content");
        if (content == null || content.isNull()) {
            throw new IllegalArgumentException(where + ": \"content\" is missing");
        }
        if (content.isTextual()) return Message.of(name, content.asText());
        if (!content.isArray()) {
            throw new IllegalArgumentException(where + ": \"content\" must be a string or a list of parts, found "
                    + content.getNodeType());
        }
        List<ContentPart> parts = new ArrayList<>();
        for (int p = 0; p < content.size(); p++) parts.add(part(content.get(p), where + ", part " + p));
        return new Message(name, parts);
    }

    private static ContentPart part(JsonNode node, String where) {
        if (!node.isObject()) throw new IllegalArgumentException(where + ": expected an object, found " + node.getNodeType());
        String type = node.hasNonNull("type") ? node.get("type").asText() : inferType(node, where);
        return switch (type) {
            case "text" -> {
                JsonNode text = node.get("text");
                if (text == null || !text.isTextual()) {
                    throw new IllegalArgumentException(where + ": text part needs a string \"text\"");
                }
                yield new ContentPart.Text(text.asText());
            }
            case "image", "image_url" -> new ContentPart.Image(imageSource(node, where), options(node, IMAGE_KEYS));
            case "video" -> new ContentPart.Video(videoFrames(node, where), options(node, VIDEO_KEYS));
            default -> throw new IllegalArgumentException(where + ": unknown content part type '" + type
                    + "' (expected text, image, image_url or video)");
        };
    }

    private static String inferType(JsonNode node, String where) {
        for (String key : List.of("text", "image", "image_url", "video")) if (node.has(key)) return key;
        throw new IllegalArgumentException(where + ": part has no \"type\" (expected text, image, image_url or video)");
    }

    private static MediaSource imageSource(JsonNode node, String where) {
        for (String key : IMAGE_KEYS) {
            JsonNode value = node.get(key);
            if (value == null || value.isNull()) continue;
            if (value.isObject() && value.hasNonNull("url")) value = value.get("url");
            if (!value.isTextual()) {
                throw new IllegalArgumentException(where + ": \"" + key + "\" must be a path or URI string");
            }
            return MediaSource.of(value.asText());
        }
        throw new IllegalArgumentException(where + ": image part has no source (expected \"image\", \"url\", "
                + "\"path\" or \"image_url\")");
    }

    private static List<MediaSource> videoFrames(JsonNode node, String where) {
        for (String key : VIDEO_KEYS) {
            JsonNode value = node.get(key);
            if (value == null || value.isNull()) continue;
            if (value.isTextual()) return List.of(MediaSource.of(value.asText()));
            if (value.isArray() && !value.isEmpty()) {
                List<MediaSource> frames = new ArrayList<>();
                for (JsonNode frame : value) {
                    if (!frame.isTextual()) {
                        throw new IllegalArgumentException(where + ": video frames must be path or URI strings");
                    }
                    frames.add(MediaSource.of(frame.asText()));
                }
                return frames;
            }
            throw new IllegalArgumentException(where + ": \"" + key + "\" must be a path or a non-empty list of "
                    + "frame paths");
        }
        throw new IllegalArgumentException(where + ": video part has no source (expected \"video\", \"url\" or "
                + "\"path\")");
    }

    private static Map<String, Object> options(JsonNode node, List<String> sourceKeys) {
        Map<String, Object> options = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("type") && !sourceKeys.contains(e.getKey())) {
                options.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
            }
        });
        return options;
    }

    /**
     * The values the chat template sees: one map per message with {@code role} and {@code content}, where string
     * content stays a string and parts become {@code {"type":"text","text":..}}, {@code {"type":"image"}},
     * {@code {"type":"video"}}.
     */
    public static List<Object> toTemplateValues(List<Message> messages) {
        List<Object> values = new ArrayList<>();
        for (Message m : messages) values.add(toTemplateValue(m));
        return values;
    }

    static Map<String, Object> toTemplateValue(Message message) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("role", message.role());
        if (message.stringContent()) {
            map.put("content", ((ContentPart.Text) message.content().get(0)).text());
            return map;
        }
        List<Object> parts = new ArrayList<>();
        for (ContentPart part : message.content()) {
            Map<String, Object> p = new LinkedHashMap<>();
            switch (part) {
                case ContentPart.Text t -> {
                    p.put("type", "text");
                    p.put("text", t.text());
                }
                case ContentPart.Image i -> p.put("type", "image");
                case ContentPart.Video v -> p.put("type", "video");
            }
            parts.add(p);
        }
        map.put("content", parts);
        return map;
    }

    /** The image parts of all messages, in the order the template emits their placeholders. */
    public static List<ContentPart.Image> images(List<Message> messages) {
        List<ContentPart.Image> out = new ArrayList<>();
        for (Message m : messages) for (ContentPart p : m.content()) if (p instanceof ContentPart.Image i) out.add(i);
        return out;
    }

    /** The video parts of all messages, in order. */
    public static List<ContentPart.Video> videos(List<Message> messages) {
        List<ContentPart.Video> out = new ArrayList<>();
        for (Message m : messages) for (ContentPart p : m.content()) if (p instanceof ContentPart.Video v) out.add(v);
        return out;
    }
}
