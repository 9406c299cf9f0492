package qwen2vl4j.chat;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** One part of a message's content: text, an image, or a video. */
public sealed interface ContentPart permits ContentPart.Text, ContentPart.Image, ContentPart.Video {

    /** Plain text, inserted verbatim. */
    record Text(String text) implements ContentPart {
        public Text {
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * An image; {@code options} holds per-image processor settings such as {@code min_pixels}, {@code max_pixels},
     * {@code resized_height}, {@code resized_width} (values as in the JSON message).
     */
    record Image(MediaSource source, Map<String, Object> options) implements ContentPart {
        public Image {
            Objects.requireNonNull(source, "source");
            options = options == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(options));
        }

        public Image(MediaSource source) {
            this(source, Map.of());
        }
    }

    /**
     * A video: either its frames in order (each an image source), or a single source that is a video file.
     * {@code options} holds settings such as {@code fps}, {@code nframes}, {@code min_pixels}, {@code max_pixels}.
     */
    record Video(List<MediaSource> frames, Map<String, Object> options) implements ContentPart {
        public Video {
            frames = List.copyOf(frames);
            if (frames.isEmpty()) throw new IllegalArgumentException("a video needs at least one frame or file");
            options = options == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(options));
        }
    }
}
