package qwen2vl4j.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One {@code GET} over a connection to an address resolved (and checked) beforehand: the host name is not looked up
 * again, so a DNS answer that changes between the check and the connection (DNS rebinding) cannot redirect the fetch
 * to a private address. HTTPS still verifies the certificate against the host name (SNI and endpoint identification).
 * HTTP/1.1 with {@code Connection: close}; no redirects followed; size and time limits on the whole exchange.
 */
final class PinnedHttpGet {
    private static final int MAX_HEAD_BYTES = 64 * 1024;

    private PinnedHttpGet() {}

    /** What came back: the status and, for a 200, the body. */
    record Response(int status, byte[] body) {
    }

    /** The body is over the size limit. */
    static final class TooLargeException extends IOException {
        TooLargeException() {
            super("body over the size limit");
        }
    }

    /** The exchange took longer than the time limit. */
    static final class TimeLimitException extends IOException {
        TimeLimitException() {
            super("time limit passed");
        }
    }

    static Response get(URI uri, InetAddress address, long maxBytes, Duration timeout) throws IOException {
        boolean https = uri.getScheme().equalsIgnoreCase("https");
        int port = uri.getPort() >= 0 ? uri.getPort() : https ? 443 : 80;
        long deadline = System.nanoTime() + timeout.toNanos();
        String host = uri.getHost();
        String bareHost = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(address, port), (int) Math.max(1, timeout.toMillis()));
            Socket socket = plain;
            if (https) {
                SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(plain, bareHost, port, true);
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                if (!bareHost.contains(":") && !bareHost.matches("[0-9.]+")) p.setServerNames(List.of(new SNIHostName(bareHost)));
                ssl.setSSLParameters(p);
                socket = ssl;
                socket.setSoTimeout(remainingMillis(deadline));
                ssl.startHandshake();
            }
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            if (uri.getRawQuery() != null) path += "?" + uri.getRawQuery();
            String hostHeader = uri.getPort() >= 0 ? host + ":" + port : host;
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nUser-Agent: qwen2vl4j\r\nAccept: */*\r\n"
                    + "Accept-Encoding: identity\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Reader in = new Reader(socket, deadline);
            String status = in.line();
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("not an HTTP response: " + ChatRequestParser.abbreviate(status, 60));
            int code;
            try {
                code = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("bad status line: " + ChatRequestParser.abbreviate(status, 60));
            }
            long length = -1;
            boolean chunked = false;
            for (String line; !(line = in.line()).isEmpty(); ) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT), value = line.substring(colon + 1).trim();
                if (name.equals("content-length")) {
                    try {
                        length = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new IOException("bad Content-Length: " + ChatRequestParser.abbreviate(value, 40));
                    }
                }
                if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) chunked = true;
            }
            if (code != 200) return new Response(code, null);
            if (length > maxBytes) throw new TooLargeException();
            return new Response(code, chunked ? in.chunked(maxBytes) : in.body(length, maxBytes));
        }
    }

    private static int remainingMillis(long deadline) throws TimeLimitException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) throw new TimeLimitException();
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    /** Reads a response within the deadline: every read waits at most the time left. */
    private static final class Reader {
        private final Socket socket;
        private final InputStream in;
        private final long deadline;
        private int headBytes;

        Reader(Socket socket, long deadline) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.deadline = deadline;
        }

        int read() throws IOException {
            socket.setSoTimeout(remainingMillis(deadline));
            try {
                return in.read();
            } catch (SocketTimeoutException e) {
                throw new TimeLimitException();
            }
        }

        int read(byte[] buf, int len) throws IOException {
            socket.setSoTimeout(remainingMillis(deadline));
            try {
                return in.read(buf, 0, len);
            } catch (SocketTimeoutException e) {
                throw new TimeLimitException();
            }
        }

        String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int c; (c = read()) != '\n'; ) {
                if (c < 0) throw new IOException("connection closed in the response head");
                if (++headBytes > MAX_HEAD_BYTES) throw new IOException("response head over " + MAX_HEAD_BYTES + " bytes");
                if (c != '\r') sb.append((char) c);
            }
            return sb.toString();
        }

        /** {@code length} bytes, or up to the end of the stream when it is -1; over {@code max} fails. */
        byte[] body(long length, long max) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            copy(out, length, max);
            return out.toByteArray();
        }

        byte[] chunked(long max) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (true) {
                String size = line().split(";", 2)[0].trim();
                long n;
                try {
                    n = Long.parseLong(size, 16);
                } catch (NumberFormatException e) {
                    throw new IOException("bad chunk size: " + ChatRequestParser.abbreviate(size, 20));
                }
                if (n < 0) throw new IOException("bad chunk size: " + size);
                if (n == 0) return out.toByteArray();
                copy(out, n, max);
                line();
            }
        }

        private void copy(ByteArrayOutputStream out, long length, long max) throws IOException {
            byte[] buf = new byte[16384];
            long left = length;
            while (length < 0 || left > 0) {
                int want = (int) (length < 0 ? buf.length : Math.min(buf.length, left));
                int n = read(buf, want);
                if (n < 0) {
                    if (length < 0) return;
                    throw new IOException("connection closed " + left + " bytes before the end of the body");
                }
                if (out.size() + (long) n > max) throw new TooLargeException();
                out.write(buf, 0, n);
                left -= n;
            }
        }
    }
}
