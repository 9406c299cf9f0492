package qwen2vl4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.chat.Messages;
import qwen2vl4j.io.Json;

/**
 * Reads the {@code --messages} file: a JSON array of chat messages (or {@code {"messages": [...]}}). Relative
 * image and video paths are taken relative to the file's folder when they exist there, else to the working directory.
 */
final class MessageFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MessageFiles() {
    }

    /** @throws IllegalArgumentException naming the file for a missing file, invalid JSON or a malformed message */
    static List<Message> read(Path file) {
        JsonNode root = parse(file);
        if (root != null && root.isObject() && root.has("messages")) root = root.get("messages");
        List<Message> messages;
        try {
            messages = Messages.fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        if (messages.isEmpty()) throw new IllegalArgumentException(file + ": the message list is empty");
        Path folder = file.toAbsolutePath().getParent();
        return messages.stream().map(m -> resolve(m, folder)).toList();
    }

    private static JsonNode parse(Path file) {
        if (file.toString().isEmpty()) throw new IllegalArgumentException("--messages needs a JSON file, found ''");
        if (Files.isDirectory(file)) throw new IllegalArgumentException("--messages " + file + " is a folder: give a JSON file");
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--messages " + file + ": no such file", e);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("--messages " + file + ": not UTF-8 text (a JSON file must be UTF-8)", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("--messages " + file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": invalid JSON" + Json.errorDetail(e), e);
        }
    }

    /** {@code message} with relative file paths replaced by paths in {@code folder} where such a file exists. */
    static Message resolve(Message message, Path folder) {
        if (message.stringContent()) return message;
        List<ContentPart> parts = new ArrayList<>();
        for (ContentPart part : message.content()) {
            parts.add(switch (part) {
                case ContentPart.Text t -> t;
                case ContentPart.Image i -> new ContentPart.Image(resolve(i.source(), folder), i.options());
                case ContentPart.Video v -> new ContentPart.Video(v.frames().stream().map(s -> resolve(s, folder)).toList(), v.options());
            });
        }
        return new Message(message.role(), parts);
    }

    private static MediaSource resolve(MediaSource source, Path folder) {
        if (source instanceof MediaSource.FileSource f && !f.path().isAbsolute() && folder != null) {
            Path beside = folder.resolve(f.path());
            if (Files.exists(beside)) return new MediaSource.FileSource(beside);
        }
        return source;
    }
}
