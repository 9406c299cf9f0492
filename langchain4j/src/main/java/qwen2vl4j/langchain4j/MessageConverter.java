package qwen2vl4j.langchain4j;

import dev.langchain4j.data.image.Image;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.message.VideoContent;
import dev.langchain4j.data.video.Video;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.preprocess.ImageSources;
import qwen2vl4j.server.ApiException;
import qwen2vl4j.server.MediaFetcher;

/**
 * Turns LangChain4j messages into the core library's: {@link SystemMessage}, {@link UserMessage} (text, images,
 * videos) and {@link AiMessage} (the history of a multi-turn chat). Media become {@link MediaSource}s without a
 * round trip: base64 data is decoded once into bytes, {@code file:} URIs and plain paths are read by the library,
 * {@code data:} URIs are decoded here, and {@code http(s)} URLs are fetched (with the server's rules: public
 * addresses only, size and time limits, no redirects) only when remote media are allowed, by {@link #fetchRemote}
 * on the generation's thread (a streaming call does not wait for downloads).
 *
 * <p>Everything a request cannot have (tool calls and results, audio, PDF, custom messages, an unreadable medium
 * name) is refused here, before any work, naming the message and the content part ({@code messages[2].contents[1]}).
 */
final class MessageConverter {
    private final MediaFetcher fetcher;
    private final boolean allowRemote;

    MessageConverter(MediaFetcher fetcher, boolean allowRemote) {
        this.fetcher = fetcher;
        this.allowRemote = allowRemote;
    }

    /**
     * A converted conversation.
     *
     * @param firstImage the source of its first image (null when it has none)
     * @param remote     its {@code http(s)} media not fetched yet (a placeholder {@link MediaSource.UriSource} each),
     *                   with the name of their part; empty when none
     */
    record Converted(List<Message> messages, MediaSource firstImage, Map<MediaSource, String> remote) {}

    /** What converting one request collects besides the messages. */
    private static final class Context {
        final RequestParameters.Pixels pixels;
        MediaSource firstImage;
        final Map<MediaSource, String> remote = new IdentityHashMap<>();

        Context(RequestParameters.Pixels pixels) {
            this.pixels = pixels;
        }
    }

    /** Converts and checks everything that needs no download: remote media are fetched later, by {@link #fetchRemote}. */
    Converted convert(List<ChatMessage> messages, RequestParameters.Pixels pixels) {
        Context context = new Context(pixels);
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) out.add(message(messages.get(i), "messages[" + i + "]", context));
        return new Converted(out, context.firstImage, context.remote);
    }

    /** {@code c} with its remote media fetched (as bytes named by their part), on the calling thread. */
    Converted fetchRemote(Converted c) {
        if (c.remote().isEmpty()) return c;
        Map<MediaSource, MediaSource> fetched = new IdentityHashMap<>();
        c.remote().forEach((placeholder, where) -> fetched.put(placeholder, fetch(((MediaSource.UriSource) placeholder).uri(), where)));
        List<Message> out = new ArrayList<>();
        for (Message m : c.messages()) {
            if (m.stringContent()) {
                out.add(m);
                continue;
            }
            List<ContentPart> parts = new ArrayList<>();
            for (ContentPart part : m.content()) {
                parts.add(switch (part) {
                    case ContentPart.Image i when fetched.containsKey(i.source()) -> new ContentPart.Image(fetched.get(i.source()), i.options());
                    case ContentPart.Video v -> new ContentPart.Video(v.frames().stream().map(f -> fetched.getOrDefault(f, f)).toList(), v.options());
                    default -> part;
                });
            }
            out.add(new Message(m.role(), parts));
        }
        return new Converted(out, c.firstImage() == null ? null : fetched.getOrDefault(c.firstImage(), c.firstImage()), Map.of());
    }

    private Message message(ChatMessage m, String where, Context context) {
        if (m == null) throw new InvalidRequestException(where + " is null");
        return switch (m) {
            case SystemMessage s -> Message.system(s.text());
            case AiMessage a -> {
                if (a.hasToolExecutionRequests()) {
                    throw new UnsupportedFeatureException(where + ": an AiMessage with tool execution requests; tools are not supported by Qwen2-VL");
                }
                yield Message.assistant(a.text() == null ? "" : a.text());
            }
            case UserMessage u -> user(u, where, context);
            default -> throw new UnsupportedFeatureException(where + ": " + m.type() + " messages (" + m.getClass().getSimpleName()
                    + ") are not supported; Qwen2-VL takes system, user and AI messages"
                    + (m.type().name().startsWith("TOOL") ? " (it has no tool calling)" : ""));
        };
    }

    private Message user(UserMessage u, String where, Context context) {
        if (u.hasSingleText()) return Message.user(u.singleText());
        List<ContentPart> parts = new ArrayList<>();
        List<Content> contents = u.contents();
        for (int p = 0; p < contents.size(); p++) {
            String partWhere = where + ".contents[" + p + "]";
            Content c = contents.get(p);
            switch (c) {
                case TextContent t -> parts.add(new ContentPart.Text(t.text()));
                case ImageContent image -> {
                    MediaSource source = image(image.image(), partWhere, context);
                    if (context.firstImage == null) context.firstImage = source;
                    Map<String, Object> options = PixelBudget.imageOptions(image.detailLevel(),
                            context.pixels.minPixels(), context.pixels.maxPixels());
                    parts.add(new ContentPart.Image(source, options));
                }
                case VideoContent video -> parts.add(new ContentPart.Video(List.of(video(video.video(), partWhere, context)), Map.of()));
                case null -> throw new InvalidRequestException(partWhere + " is null");
                default -> throw new UnsupportedFeatureException(partWhere + ": " + c.type() + " content is not supported; Qwen2-VL reads text, images and videos");
            }
        }
        return new Message("user", parts);
    }

    private MediaSource image(Image image, String where, Context context) {
        if (image.base64Data() != null) return new MediaSource.BytesSource(base64(image.base64Data(), where), where);
        if (image.url() == null) throw new InvalidRequestException(where + ": the image has neither base64 data nor a URL");
        return uri(image.url(), where, "image", context);
    }

    private MediaSource video(Video video, String where, Context context) {
        if (video.base64Data() != null) return new MediaSource.BytesSource(base64(video.base64Data(), where), where);
        if (video.url() == null) throw new InvalidRequestException(where + ": the video has neither base64 data nor a URL");
        return uri(video.url(), where, "video", context);
    }

    /** A {@code file:} URI or a path, a {@code data:} URI, or (when allowed) an {@code http(s)} URL. */
    private MediaSource uri(URI uri, String where, String kind, Context context) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "", "file" -> file(uri, where, kind);
            case "data" -> {
                try {
                    yield new MediaSource.BytesSource(ImageSources.dataUriBytes(uri.toString()), where);
                } catch (IllegalArgumentException e) {
                    throw new InvalidRequestException(where + ": " + e.getMessage(), e);
                }
            }
            case "http", "https" -> remote(uri, where, kind, context);
            default -> throw new InvalidRequestException(where + ": the " + kind + " URL scheme '" + scheme + "' is not supported; use base64 data, "
                    + "a file: URI or path, a data: URI" + (allowRemote ? " or an http(s) URL" : ""));
        };
    }

    private static MediaSource file(URI uri, String where, String kind) {
        Path path;
        try {
            path = uri.isOpaque() || uri.getScheme() == null ? Path.of(uri.getSchemeSpecificPart()) : Path.of(uri);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(where + ": '" + uri + "' is not a valid file path: " + e.getMessage(), e);
        }
        if (!Files.exists(path)) throw new InvalidRequestException(where + ": no " + kind + " file at " + path.toAbsolutePath());
        return new MediaSource.FileSource(path);
    }

    /** A placeholder for an allowed remote medium, fetched by {@link #fetchRemote}. */
    private MediaSource remote(URI uri, String where, String kind, Context context) {
        if (!allowRemote) {
            throw new InvalidRequestException(where + ": http(s) " + kind + " URLs are refused (" + abbreviate(uri.toString())
                    + "); build the model with allowRemoteMedia(true), or pass the " + kind + " as base64 data or a file");
        }
        if (uri.getHost() == null) throw new InvalidRequestException(where + ": the " + kind + " URL " + abbreviate(uri.toString()) + " has no host");
        MediaSource placeholder = new MediaSource.UriSource(uri.toString());
        context.remote.put(placeholder, where);
        return placeholder;
    }

    private MediaSource fetch(String url, String where) {
        try {
            return new MediaSource.BytesSource(fetcher.fetch(url, where), where);
        } catch (ApiException e) {
            throw new InvalidRequestException(e.getMessage(), e);
        }
    }

    private static byte[] base64(String data, String where) {
        try {
            return Base64.getDecoder().decode(data.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(where + ": invalid base64 data: " + e.getMessage(), e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
