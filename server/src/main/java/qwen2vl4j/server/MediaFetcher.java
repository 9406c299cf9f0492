package qwen2vl4j.server;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Predicate;
import qwen2vl4j.preprocess.ImageSources;

/**
 * Turns the URL of an image or video frame in a request into its bytes: {@code data:} URLs with a base64
 * payload always; {@code http(s)} URLs only when allowed, within a size and a time limit, never from loopback,
 * private, link-local or other non-public addresses (nor IPv6 forms that embed one: NAT64, 6to4, IPv4-compatible and
 * -translated), and without following redirects. The host is resolved once: the address checked is the address
 * connected to ({@link PinnedHttpGet}), so a rebinding DNS answer cannot turn the fetch to a private address.
 * Public so that the LangChain4j module applies the same rules to remote media.
 */
public final class MediaFetcher {
    private final boolean allowRemote;
    private final long maxBytes;
    private final Duration timeout;
    private final Predicate<InetAddress> allowedAddress;
    private final Resolver resolver;

    /** Host name to addresses (tests stand in for DNS). */
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

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
        this(allowRemote, maxBytes, timeout, allowedAddress, InetAddress::getAllByName);
    }

    MediaFetcher(boolean allowRemote, long maxBytes, Duration timeout, Predicate<InetAddress> allowedAddress, Resolver resolver) {
        this.allowedAddress = allowedAddress;
        this.allowRemote = allowRemote;
        this.maxBytes = maxBytes;
        this.timeout = timeout;
        this.resolver = resolver;
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
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) throw ApiException.badRequest(where, where + ": only http(s) URLs are fetched");
        // the address checked is the address connected to: no second lookup for a rebinding DNS answer to change
        InetAddress address = checkPublic(uri.getHost(), where);
        try {
            PinnedHttpGet.Response r = PinnedHttpGet.get(uri, address, maxBytes, timeout);
            if (r.status() != 200) {
                throw ApiException.badRequest(where, where + ": fetching " + abbreviate(url) + " gave HTTP " + r.status());
            }
            return r.body();
        } catch (PinnedHttpGet.TimeLimitException | java.net.SocketTimeoutException e) {
            throw ApiException.badRequest(where, where + ": fetching " + abbreviate(url) + " took longer than " + timeout.toMillis() + " ms");
        } catch (PinnedHttpGet.TooLargeException e) {
            throw ApiException.badRequest(where, where + ": " + abbreviate(url) + " is larger than " + maxBytes + " bytes");
        } catch (IOException e) {
            throw ApiException.badRequest(where, where + ": fetching " + abbreviate(url) + " failed: " + abbreviate(String.valueOf(e.getMessage())));
        }
    }

    /** Refuses hosts that resolve to any address the policy refuses (by default: loopback, private, link-local, ...). */
    private InetAddress checkPublic(String host, String where) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(bare);
        } catch (UnknownHostException e) {
            throw ApiException.badRequest(where, where + ": unknown host " + host);
        }
        for (InetAddress a : addresses) {
            if (!allowedAddress.test(a)) {
                throw ApiException.badRequest(where, where + ": host " + host + " resolves to the non-public address "
                        + a.getHostAddress() + "; only public addresses are fetched");
            }
        }
        if (addresses.length == 0) throw ApiException.badRequest(where, where + ": unknown host " + host);
        return addresses[0];
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
            if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) return false;  // 2001::/32 Teredo (tunnels to IPv4)
            if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && (b[3] & 0xFF) == 0xb8) return false;  // 2001:db8::/32 documentation
            if (b[0] == 0x01 && b[1] == 0 && allZero(b, 2, 8)) return false;      // 100::/64 discard-only
            if (b[0] == 0 && b[1] == 0x64 && (b[2] & 0xFF) == 0xff && (b[3] & 0xFF) == 0x9b) {
                if (b[4] == 0 && b[5] == 1) return false;                         // 64:ff9b:1::/48 local-use NAT64
                if (allZero(b, 4, 12)) return embeddedPublic(b, 12);              // 64:ff9b::/96 NAT64 of an IPv4 address
                return false;
            }
            if (b[0] == 0x20 && b[1] == 0x02) return embeddedPublic(b, 2);       // 2002::/16 6to4 of an IPv4 address
            if (allZero(b, 0, 12)) return embeddedPublic(b, 12);                  // ::a.b.c.d IPv4-compatible
            if (allZero(b, 0, 10) && (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF) return embeddedPublic(b, 12);  // ::ffff:a.b.c.d
            if (allZero(b, 0, 8) && (b[8] & 0xFF) == 0xFF && (b[9] & 0xFF) == 0xFF && allZero(b, 10, 12)) {
                return embeddedPublic(b, 12);                                     // ::ffff:0:a.b.c.d IPv4-translated
            }
            return true;
        }
        int first = b[0] & 0xFF, second = b[1] & 0xFF;
        if (first == 0) return false;                                             // 0.0.0.0/8
        if (first == 100 && second >= 64 && second < 128) return false;           // carrier-grade NAT
        if (first == 198 && (second == 18 || second == 19)) return false;         // benchmarking
        if (first == 192 && second == 0 && (b[2] == 0 || b[2] == 2)) return false;  // 192.0.0.0/24 protocol assignments, TEST-NET-1
        if (first == 198 && second == 51 && (b[2] & 0xFF) == 100) return false;  // TEST-NET-2
        if (first == 203 && second == 0 && (b[2] & 0xFF) == 113) return false;   // TEST-NET-3
        if (first == 192 && second == 88 && (b[2] & 0xFF) == 99) return false;   // 6to4 relay anycast
        return first < 224;                                                       // multicast / reserved
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) if (b[i] != 0) return false;
        return true;
    }

    /** Whether the IPv4 address in {@code b[at..at+4)} is public. */
    private static boolean embeddedPublic(byte[] b, int at) {
        try {
            return isPublic(InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, at, at + 4)));
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
