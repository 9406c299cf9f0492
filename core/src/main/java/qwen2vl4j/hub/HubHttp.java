package qwen2vl4j.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * HTTP with the hub's conventions: the token goes only to the hub's own origin (never to the CDN a
 * download redirects to), redirects are followed by hand, bodies are not compressed, and error
 * answers become one-line {@link HubException}s.
 */
final class HubHttp {
    private static final int MAX_REDIRECTS = 10;
    private static final String USER_AGENT = "qwen2vl4j/0.1.0; java/" + Runtime.version().feature();
    private final HubSettings settings;
    private final HttpClient client;

    HubHttp(HubSettings settings) {
        this.settings = settings;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(20))
                .build();
    }

    /** {@code {endpoint}/api/models/{repo}/revision/{revision}?blobs=true}. */
    URI listingUri(RepoId repo, String revision) {
        return URI.create(settings.endpoint() + "/api/models/" + repo + "/revision/" + encode(revision, false) + "?blobs=true");
    }

    /** {@code {endpoint}/{repo}/resolve/{commit}/{filename}}. */
    URI resolveUri(RepoId repo, String commit, String filename) {
        return URI.create(settings.endpoint() + "/" + repo + "/resolve/" + encode(commit, false) + "/" + encode(filename, true));
    }

    /** GET following every redirect; the caller closes the body. */
    HttpResponse<InputStream> get(URI uri, Map<String, String> headers) throws IOException {
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder b = request(current).GET();
            headers.forEach(b::header);
            HttpResponse<InputStream> r = send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            URI next = redirectTarget(current, r);
            if (next == null) return r;
            r.body().close();
            current = next;
        }
        throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + uri);
    }

    /**
     * HEAD following redirects that stay on the hub's origin (renamed repos); the answer returned is the
     * first one that is not such a redirect: a success, an error, or a redirect to another host (a CDN),
     * whose headers carry the file metadata.
     */
    HttpResponse<Void> head(URI uri) throws IOException {
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest request = request(current).method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
            HttpResponse<Void> r = send(request, HttpResponse.BodyHandlers.discarding());
            URI next = redirectTarget(current, r);
            if (next == null || !sameOrigin(next, settings.endpoint())) return r;
            current = next;
        }
        throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + uri);
    }

    /** GET of a small body as text (for the API). */
    TextAnswer getText(URI uri) throws IOException {
        HttpResponse<InputStream> r = get(uri, Map.of());
        try (InputStream in = r.body()) {
            return new TextAnswer(r.statusCode(), r.headers(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** The absolute target of a redirect answer, else null. */
    static URI redirectTarget(URI current, HttpResponse<?> r) {
        int s = r.statusCode();
        if (s != 301 && s != 302 && s != 303 && s != 307 && s != 308) return null;
        String location = r.headers().firstValue("Location").orElse(null);
        if (location == null || location.isBlank()) return null;
        try {
            return current.resolve(location.strip());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Same scheme, host and port. */
    static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(lower(a.getScheme()), lower(b.getScheme()))
                && Objects.equals(lower(a.getHost()), lower(b.getHost()))
                && port(a) == port(b);
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .header("User-Agent", USER_AGENT)
                .header("Accept-Encoding", "identity");
        if (settings.token() != null && sameOrigin(uri, settings.endpoint())) {
            b.header("Authorization", "Bearer " + settings.token());
        }
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return client.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while talking to " + request.uri().getHost());
        }
    }

    /** Percent-encodes a path part (keeping '/' when asked), like Python's urllib.parse.quote. */
    static String encode(String text, boolean keepSlash) {
        StringBuilder sb = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            boolean plain = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '-' || c == '.' || c == '_' || c == '~' || keepSlash && c == '/';
            if (plain) sb.append((char) c);
            else sb.append('%').append(String.format(Locale.ROOT, "%02X", c));
        }
        return sb.toString();
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) return u.getPort();
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /** A small answer read whole. */
    record TextAnswer(int status, HttpHeaders headers, String body) {}
}
