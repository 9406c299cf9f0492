package qwen2vl4j.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The browser chat page at {@code /}: three static files ({@code index.html}, {@code chat.js}, {@code chat.css})
 * read once from the jar's resources. The page calls the server's own API ({@code GET /v1/limits},
 * {@code POST /v1/chat/completions}); it loads nothing from elsewhere, which its Content-Security-Policy enforces.
 */
final class WebPage {
    private static final String FOLDER = "web/";
    private static final Map<String, String> FILES = Map.of(
            "/", "index.html",
            "/index.html", "index.html",
            "/chat.js", "chat.js",
            "/chat.css", "chat.css");
    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "chat.js", "text/javascript; charset=utf-8",
            "chat.css", "text/css; charset=utf-8");
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self' data: blob:; media-src 'self' data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final Map<String, byte[]> contents;

    WebPage() {
        contents = Map.of("index.html", read("index.html"), "chat.js", read("chat.js"), "chat.css", read("chat.css"));
    }

    /** Whether {@code path} is one of the page's files. */
    static boolean handles(String path) {
        return FILES.containsKey(path);
    }

    /** Sends the file {@code path} names (GET or HEAD); returns the HTTP status. */
    int serve(HttpExchange exchange, String method, String path) throws IOException {
        boolean head = method.equals("HEAD");
        if (!head && !method.equals("GET")) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            throw ApiException.methodNotAllowed(path + " takes GET, not " + method);
        }
        String name = FILES.get(path);
        byte[] body = contents.get(name);
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", TYPES.get(name));
        headers.set("Cache-Control", "no-cache");
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Referrer-Policy", "no-referrer");
        if (name.equals("index.html")) headers.set("Content-Security-Policy", CSP);
        if (head) {
            headers.set("Content-Length", Integer.toString(body.length));
            exchange.sendResponseHeaders(200, -1);
            return 200;
        }
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
        return 200;
    }

    private static byte[] read(String name) {
        try (InputStream in = WebPage.class.getResourceAsStream(FOLDER + name)) {
            if (in == null) throw new IllegalStateException("the web page's resource qwen2vl4j/server/" + FOLDER + name + " is missing from the jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the web page's resource " + FOLDER + name, e);
        }
    }
}
