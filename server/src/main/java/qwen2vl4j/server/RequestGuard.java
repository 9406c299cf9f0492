package qwen2vl4j.server;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.util.List;
import java.util.Locale;

/**
 * What a request must show before it is routed, against browsers turned against a local server: its Host must name
 * this server (an IP literal, {@code localhost}, the bound name or an {@code --allowed-host}), so a DNS-rebinding page
 * cannot reach it by a name of its own; a POST must be {@code application/json}, which a page can send cross-origin
 * only after a CORS preflight; and CORS headers go only to the configured origins. Same-origin pages (a chat page
 * served at {@code /}) need none of this: their Host is the server's and their {@code fetch} sends JSON.
 */
final class RequestGuard {
    private final String boundHost;
    private final List<String> allowedHosts;
    private final List<String> corsOrigins;

    RequestGuard(String boundHost, List<String> allowedHosts, List<String> corsOrigins) {
        this.boundHost = boundHost.toLowerCase(Locale.ROOT);
        this.allowedHosts = allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        this.corsOrigins = corsOrigins;
    }

    /** Refuses a request whose Host names no address of this server (421 Misdirected Request). */
    void checkHost(HttpExchange exchange) {
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (host == null) return;                                  // HTTP/1.0 without Host: not a browser
        if (!hostAllowed(host)) {
            throw new ApiException(421, "invalid_request_error", "host_not_allowed", null, "the Host header '"
                    + ChatRequestParser.abbreviate(host, 100) + "' does not name this server; start it with --allowed-host NAME to accept it", 0);
        }
    }

    boolean hostAllowed(String hostHeader) {
        String name = hostName(hostHeader.trim()).toLowerCase(Locale.ROOT);
        if (name.isEmpty()) return false;
        if (allowedHosts.contains("*") || allowedHosts.contains(name)) return true;
        if (name.equals(boundHost) || name.equals("localhost") || name.endsWith(".localhost")) return true;
        return isIpLiteral(name);
    }

    /** The host part of a Host header: {@code [v6]:port}, {@code name:port} or a bare name. */
    static String hostName(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? "" : host.substring(1, end);
        }
        int colon = host.indexOf(':');
        if (colon >= 0 && host.indexOf(':', colon + 1) < 0) return host.substring(0, colon);
        return host;
    }

    private static boolean isIpLiteral(String name) {
        if (name.matches("\\d{1,3}(\\.\\d{1,3}){3}")) return true;
        return name.contains(":") && name.matches("[0-9a-f:.]+");
    }

    /** A POST body must be declared as JSON (415 otherwise): browsers send text/plain and form bodies without preflight. */
    static void requireJson(HttpExchange exchange) {
        List<String> types = exchange.getRequestHeaders().getOrDefault("Content-Type", List.of());
        String type = types.isEmpty() ? null : String.join(", ", types);
        boolean json = !types.isEmpty();
        for (String t : types) json &= t.split(";", 2)[0].trim().toLowerCase(Locale.ROOT).equals("application/json");
        if (!json) {
            throw new ApiException(415, "invalid_request_error", "unsupported_media_type", null, "the request body must be sent with "
                    + "'Content-Type: application/json', found " + (type == null ? "none" : "'" + ChatRequestParser.abbreviate(type, 100) + "'"), 0);
        }
    }

    /** Adds CORS headers when the request's Origin is one of the configured ones; returns whether it is. */
    boolean cors(HttpExchange exchange) {
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        if (origin == null || corsOrigins.isEmpty()) return false;
        if (!corsOrigins.contains("*") && !corsOrigins.contains(origin)) return false;
        Headers h = exchange.getResponseHeaders();
        h.set("Access-Control-Allow-Origin", corsOrigins.contains("*") ? "*" : origin);
        h.set("Vary", "Origin");
        h.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        h.set("Access-Control-Allow-Headers", "Authorization, Content-Type");
        h.set("Access-Control-Max-Age", "600");
        return true;
    }
}
