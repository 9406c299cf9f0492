package qwen2vl4j.server;

import com.sun.net.httpserver.HttpExchange;
import java.util.List;
import java.util.Map;

/**
 * Request-head limits. The JDK's HTTP server parses the request line and headers itself and, past its own limits,
 * closes the connection without an answer (a client sees a reset). So its limits are set well above this server's
 * ({@link #JDK_MAX_HEADERS} headers, {@link #JDK_MAX_HEADER_BYTES} bytes, unless the JVM was started with others), and
 * the handler answers a head over this server's limits ({@link #MAX_HEADERS}, {@link #MAX_HEADER_BYTES}) with 431.
 * Only a head beyond the JDK's limits still gets no answer.
 */
final class JdkHttpLimits {
    static final int MAX_URI_BYTES = 16 * 1024;
    static final int MAX_HEADERS = 128;
    static final int MAX_HEADER_BYTES = 64 * 1024;
    static final int JDK_MAX_HEADERS = 10_000;
    static final int JDK_MAX_HEADER_BYTES = 2 * 1024 * 1024;

    private JdkHttpLimits() {}

    /**
     * Sets the JDK server's limits unless the JVM was given its own; takes effect only before the JVM's first
     * {@code HttpServer} is created (the JDK reads them once).
     */
    static void apply() {
        setIfAbsent("sun.net.httpserver.maxReqHeaders", JDK_MAX_HEADERS);
        setIfAbsent("sun.net.httpserver.maxReqHeaderSize", JDK_MAX_HEADER_BYTES);
    }

    private static void setIfAbsent(String name, int value) {
        if (System.getProperty(name) == null) System.setProperty(name, Integer.toString(value));
    }

    /** 414 for a request target, 431 for headers over this server's limits. */
    static void checkHeaders(HttpExchange exchange) {
        int uri = exchange.getRequestURI().toString().length();
        if (uri > MAX_URI_BYTES) {
            exchange.getResponseHeaders().set("Connection", "close");
            throw new ApiException(414, "invalid_request_error", "uri_too_long", null, "the request target is " + uri
                    + " bytes long; at most " + MAX_URI_BYTES + " are accepted", 0);
        }
        int count = 0;
        long bytes = 0;
        for (Map.Entry<String, List<String>> e : exchange.getRequestHeaders().entrySet()) {
            for (String v : e.getValue()) {
                count++;
                bytes += e.getKey().length() + v.length() + 4;
            }
        }
        if (count > MAX_HEADERS || bytes > MAX_HEADER_BYTES) {
            exchange.getResponseHeaders().set("Connection", "close");
            throw new ApiException(431, "invalid_request_error", "request_header_fields_too_large", null, "the request head holds "
                    + count + " header lines and " + bytes + " bytes; at most " + MAX_HEADERS + " lines and " + MAX_HEADER_BYTES
                    + " bytes are accepted", 0);
        }
    }
}
