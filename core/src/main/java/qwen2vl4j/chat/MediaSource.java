package qwen2vl4j.chat;

import java.awt.image.BufferedImage;
import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/** Where an image or video frame comes from. */
public sealed interface MediaSource
        permits MediaSource.FileSource, MediaSource.BytesSource, MediaSource.UriSource,
                MediaSource.BufferedImageSource {

    /** A local file. */
    record FileSource(Path path) implements MediaSource {
        public FileSource {
            Objects.requireNonNull(path, "path");
        }
    }

    /** Encoded file content (PNG, JPEG, ...) held in memory; {@code name} is for messages only (may be null). */
    record BytesSource(byte[] bytes, String name) implements MediaSource {
        public BytesSource {
            Objects.requireNonNull(bytes, "bytes");
        }

        @Override
        public String toString() {
            return "BytesSource[" + (name == null ? "" : name + ", ") + bytes.length + " bytes]";
        }
    }

    /** A URI other than {@code file:}: {@code http(s)://...} or {@code data:image/png;base64,...}. */
    record UriSource(String uri) implements MediaSource {
        public UriSource {
            Objects.requireNonNull(uri, "uri");
        }
    }

    /** An already decoded image. */
    record BufferedImageSource(BufferedImage image) implements MediaSource {
        public BufferedImageSource {
            Objects.requireNonNull(image, "image");
        }
    }

    /**
     * Reads the form used in chat messages: {@code file:///abs/path} and plain paths become a {@link FileSource},
     * any other URI with a scheme ({@code http:}, {@code https:}, {@code data:}) a {@link UriSource}.
     */
    static MediaSource of(String pathOrUri) {
        Objects.requireNonNull(pathOrUri, "pathOrUri");
        if (pathOrUri.startsWith("file:")) {
            try {
                return new FileSource(Path.of(URI.create(pathOrUri)));
            } catch (IllegalArgumentException e) {
                return new FileSource(Path.of(pathOrUri.substring("file:".length())));
            }
        }
        if (pathOrUri.matches("(?i)(https?|data|ftp|s3|gs):.*")) return new UriSource(pathOrUri);
        return new FileSource(Path.of(pathOrUri));
    }
}
