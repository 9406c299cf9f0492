package qwen2vl4j.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.Locale;
import java.util.function.Predicate;
import qwen2vl4j.preprocess.ImageSources;

/**
 * Turns the URL of an image or video frame in a request into its bytes: {@code data:} URLs with a base64
 * payload always; {@code http(s)} URLs only when allowed, within a size and a time limit, never from loopback,
 * private, link-local or other non-public addresses, and without following redirects. Public so that the
 * LangChain4j module applies the same rules to remote media.
 */
public final class MediaFetcher {
    private final boolean allowRemote;
    private final long maxBytes;
    private final Duration timeout;
    private final HttpClient client;
    private final Predicate<InetAddress> allowedAddress;

    /**
     * @param allowRemote whether {@code http(s)} URLs are fetched at all
     * @param maxBytes    the largest remote file
     * @param timeout     the longest time to fetch one remote file
     */
    public MediaFetcher(boolean allowRemote, long maxBytes, Duration timeout) {
        this(allowRemote, maxBytes, timeout, MediaFetcher::isPublic);
    }

    /** As the three-argument constructor, with another address policy (tests fetch from loopback this way). */
    public MediaFetcher(boolean allowRemote, long maxBytes, Duration timeout, Predicate<InetAddress> allowedAddress) {
        this.allowedAddress = allowedAddress;
        this.allowRemote = allowRemote;
        this.maxBytes = maxBytes;
        this.timeout = timeout;
        this.client = allowRemote
                ? HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build()
                : null;
    }

    /**
     * The bytes {@code url} names.
     *
     * @param where the request field, for error messages (e.g. {@code messages[0].content[1].image_url.url})
     * @throws ApiException 400 for a malformed or refused URL, invalid base64, or a failed download
     */
    public byte[] fetch(String url, String where) {
        String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("data:")) return dataUrl(url, where);
        if (lower.startsWith("http://") || lower.startsWith("https://")) return remote(url, where);
        throw ApiException.badRequest(where, where + ": expected a data: URL (data:image/png;base64,...)"
                + (allowRemote ? " or an http(s) URL" : "") + ", found '" + abbreviate(url) + "'");
    }

    /** The payload of a {@code data:} URL, read by the library's rules ({@link ImageSources#dataUriBytes}). */
    static byte[] dataUrl(String url, String where) {
        try {
            return ImageSources.dataUriBytes(url);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(where, where + ": " + e.getMessage());
        }
    }

    private byte[] remote(String url, String where) {
        if (!allowRemote) {
            throw ApiException.badRequest(where, where + ": http(s) URLs are disabled on this server (start it with "
                    + "--allow-remote-media); send the image as a data: URL");
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(where, where + ": malformed URL: " + e.getMessage());
        }
        if (uri.getHost() == null) throw ApiException.badRequest(where, where + ": URL has no host");
        checkPublic(uri.getHost(), where);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        CompletableFuture<HttpResponse<byte[]>> response = client.sendAsync(request,
                info -> info.statusCode() == 200 ? new LimitedBody(maxBytes) : HttpResponse.BodySubscribers.replacing(null));
        try {
            HttpResponse<byte[]> r = response.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (r.statusCode() != 200) {
                throw ApiException.badRequest(where, where + ": fetching " + abbreviate(url) + " gave HTTP " + r.statusCode());
            }
            return r.body();
        } catch (TimeoutException e) {
            response.cancel(true);
            throw ApiException.badRequest(where, where + ": fetching " + abbreviate(url) + " took longer than " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof IOException && e.getCause().getCause() instanceof TooLargeException
                    ? e.getCause().getCause() : e.getCause();
            if (cause instanceof TooLargeException) {
                throw ApiException.badRequest(where, where + ": " + abbreviate(url) + " is larger than " + maxBytes + " bytes");
            }
            throw ApiException.badRequest(where, where + ": fetching " + abbreviate(url) + " failed: " + cause);
        } catch (InterruptedException e) {
            response.cancel(true);
            Thread.currentThread().interrupt();
            throw ApiException.badRequest(where, where + ": fetching " + abbreviate(url) + " was interrupted");
        }
    }

    /** Signals a body over the size limit. */
    private static final class TooLargeException extends IOException {
        TooLargeException() {
            super("body over the size limit");
        }
    }

    /** Collects a response body, failing (and cancelling the download) once it exceeds {@code max} bytes. */
    private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final long max;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        LimitedBody(long max) {
            this.max = max;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (result.isDone()) return;
            for (ByteBuffer b : buffers) {
                if (out.size() + (long) b.remaining() > max) {
                    subscription.cancel();
                    result.completeExceptionally(new TooLargeException());
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.writeBytes(chunk);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(out.toByteArray());
        }
    }

    /** Refuses hosts that resolve to any address the policy refuses (by default: loopback, private, link-local, ...). */
    private void checkPublic(String host, String where) {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw ApiException.badRequest(where, where + ": unknown host " + host);
        }
        for (InetAddress a : addresses) {
            if (!allowedAddress.test(a)) {
                throw ApiException.badRequest(where, where + ": host " + host + " resolves to the non-public address "
                        + a.getHostAddress() + "; only public addresses are fetched");
            }
        }
    }

    /** Whether {@code a} is a public unicast address (not loopback, private, link-local, CGNAT, multicast, ...). */
    static boolean isPublic(InetAddress a) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return false;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet6Address) {
            if ((b[0] & 0xFE) == 0xFC) return false;                              // fc00::/7 unique local
            boolean v4Mapped = true;
            for (int i = 0; i < 10; i++) v4Mapped &= b[i] == 0;
            if (v4Mapped && (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF) {
                try {
                    return isPublic(InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, 12, 16)));
                } catch (UnknownHostException e) {
                    return false;
                }
            }
            return true;
        }
        int first = b[0] & 0xFF, second = b[1] & 0xFF;
        if (first == 0) return false;                                             // 0.0.0.0/8
        if (first == 100 && second >= 64 && second < 128) return false;           // carrier-grade NAT
        if (first == 198 && (second == 18 || second == 19)) return false;         // benchmarking
        return first < 224;                                                       // multicast / reserved
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
