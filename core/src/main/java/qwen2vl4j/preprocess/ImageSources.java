package qwen2vl4j.preprocess;

import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;

/**
 * Loads an image named the way qwen-vl-utils accepts it in a message: a file path, a {@code file://} URI
 * (the prefix is stripped, as qwen-vl-utils does) or a {@code data:} URI with base64 payload.
 * {@code http(s)://} URLs are refused: this library does not download.
 */
public final class ImageSources {
    private ImageSources() {}

    /** Decodes the image with the default decoder. */
    public static RgbImage load(String pathOrUri) {
        return load(pathOrUri, new ImageDecoder());
    }

    /** Decodes the image with {@code decoder}. */
    public static RgbImage load(String pathOrUri, ImageDecoder decoder) {
        requireLocal(pathOrUri, "image");
        if (pathOrUri.regionMatches(true, 0, "data:", 0, 5)) {
            byte[] bytes;
            try {
                bytes = dataUriBytes(pathOrUri);
            } catch (IllegalArgumentException e) {
                throw new ImageDecodeException("image " + shortName(pathOrUri) + ": " + e.getMessage());
            }
            return decoder.decode(bytes, shortName(pathOrUri));
        }
        return decoder.decode(toPath(pathOrUri));
    }

    /** Refuses an empty name and an http(s) URL (this library does not download); {@code kind} names the medium. */
    static void requireLocal(String pathOrUri, String kind) {
        if (pathOrUri == null || pathOrUri.isBlank()) throw new ImageDecodeException("no " + kind + " given (empty path)");
        String lower = pathOrUri.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            throw new ImageDecodeException(kind + " " + pathOrUri + ": http(s) URLs are not supported here; download the file and pass its path");
        }
    }

    /** The {@code {width, height}} of the image {@code pathOrUri} names, from its header ({@link ImageDecoder#size}). */
    public static int[] size(String pathOrUri, ImageDecoder decoder) {
        requireLocal(pathOrUri, "image");
        if (pathOrUri.regionMatches(true, 0, "data:", 0, 5)) {
            byte[] bytes;
            try {
                bytes = dataUriBytes(pathOrUri);
            } catch (IllegalArgumentException e) {
                throw new ImageDecodeException("image " + shortName(pathOrUri) + ": " + e.getMessage());
            }
            return decoder.size(bytes, shortName(pathOrUri));
        }
        return decoder.size(toPath(pathOrUri));
    }

    /** The file a path or {@code file://} URI names. */
    public static Path toPath(String pathOrUri) {
        String s = pathOrUri.regionMatches(true, 0, "file://", 0, 7) ? pathOrUri.substring(7) : pathOrUri;
        try {
            return Path.of(s);
        } catch (RuntimeException e) {
            throw new ImageDecodeException("image " + pathOrUri + " is not a valid path: " + e.getMessage());
        }
    }

    /**
     * The bytes of a {@code data:[mime];base64,PAYLOAD} URI: the payload must be base64 (only its alphabet, padding and
     * line breaks; anything else is refused rather than skipped) and not empty.
     *
     * @throws IllegalArgumentException saying what is wrong; the caller names the URI or the field it came from
     */
    public static byte[] dataUriBytes(String uri) {
        int comma = uri.indexOf(',');
        if (comma < 0) throw new IllegalArgumentException("data URL has no ',' before its payload");
        String header = uri.substring(5, comma).toLowerCase(Locale.ROOT);
        if (!header.endsWith(";base64")) {
            throw new IllegalArgumentException("data URL must be base64-encoded (data:<mime>;base64,...)");
        }
        String payload = uri.substring(comma + 1);
        if (payload.isEmpty()) throw new IllegalArgumentException("data URL payload is empty");
        for (int i = 0; i < payload.length(); i++) {
            char c = payload.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'
                    || c == '=' || c == '\r' || c == '\n';
            if (!ok) throw new IllegalArgumentException("invalid base64 in data URL: character '" + c + "' at offset " + i);
        }
        try {
            return Base64.getMimeDecoder().decode(payload);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid base64 in data URL: " + e.getMessage(), e);
        }
    }

    /** {@code uri} cut to 40 characters for messages (a data URI's payload can be megabytes). */
    public static String shortName(String uri) {
        return uri.length() <= 40 ? uri : uri.substring(0, 37) + "...";
    }
}
