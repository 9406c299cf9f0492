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
        if (pathOrUri == null || pathOrUri.isBlank()) throw new ImageDecodeException("no image given (empty path)");
        String lower = pathOrUri.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            throw new ImageDecodeException("image " + pathOrUri + ": http(s) URLs are not supported here; download the file and pass its path");
        }
        if (lower.startsWith("data:")) return decoder.decode(dataUriBytes(pathOrUri), shortName(pathOrUri));
        return decoder.decode(toPath(pathOrUri));
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

    /** The bytes of a {@code data:[mime];base64,PAYLOAD} URI. */
    public static byte[] dataUriBytes(String uri) {
        int comma = uri.indexOf(',');
        if (comma < 0) throw new ImageDecodeException("image " + shortName(uri) + ": data URI has no ',' before its payload");
        String header = uri.substring(5, comma).toLowerCase(Locale.ROOT);
        if (!header.endsWith(";base64")) {
            throw new ImageDecodeException("image " + shortName(uri) + ": data URI must be base64-encoded (';base64,')");
        }
        try {
            return Base64.getMimeDecoder().decode(uri.substring(comma + 1).trim());
        } catch (IllegalArgumentException e) {
            throw new ImageDecodeException("image " + shortName(uri) + ": invalid base64 payload: " + e.getMessage());
        }
    }

    /** {@code uri} cut to 40 characters for messages (a data URI's payload can be megabytes). */
    public static String shortName(String uri) {
        return uri.length() <= 40 ? uri : uri.substring(0, 37) + "...";
    }
}
