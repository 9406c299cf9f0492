package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Media URLs: data URLs, the remote-fetch switch, the address policy, and the size / time / redirect limits. */
class MediaFetcherTest {
    static final String WHERE = "messages[0].content[0].image_url.url";

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1",
            "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
            "64:ff9b::10.0.0.1", "64:ff9b::127.0.0.1", "64:ff9b:1::8.8.8.8", "2002:0a00:0001::1", "2002:7f00:0001::", "2002:a9fe:a9fe::1",
            "::10.0.0.1", "::127.0.0.2", "::ffff:0:10.0.0.1", "::ffff:0:169.254.169.254", "192.0.0.1", "192.0.0.170", "192.0.2.1",
            "2001::1", "2001:db8::1", "100::1", "198.51.100.7", "203.0.113.9"})
    void nonPublicAddressesAreRefused(String address) throws Exception {
        assertFalse(MediaFetcher.isPublic(InetAddress.getByName(address)), address);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "151.101.1.69", "2001:4860:4860::8888", "64:ff9b::8.8.8.8", "2002:0808:0808::1",
            "192.0.1.1"})
    void publicAddressesAreAllowed(String address) throws Exception {
        assertTrue(MediaFetcher.isPublic(InetAddress.getByName(address)), address);
    }

    @Test
    void dataUrls() {
        byte[] bytes = {1, 2, 3, (byte) 0xFF};
        assertArrayEquals(bytes, MediaFetcher.dataUrl("data:image/png;base64," + Base64.getEncoder().encodeToString(bytes), WHERE));
        for (String bad : new String[] {"data:image/png;base64", "data:image/png,AAAA", "data:image/png;base64,", "data:image/png;base64,AA*A",
                "data:image/png;base64,AAAAA"}) {
            ApiException e = assertThrows(ApiException.class, () -> MediaFetcher.dataUrl(bad, WHERE), bad);
            assertEquals(400, e.status());
            assertTrue(e.getMessage().startsWith(WHERE), e.getMessage());
        }
    }

    @Test
    void remoteUrlsNeedTheFlagAndAPublicHost() {
        MediaFetcher off = new MediaFetcher(false, 1000, Duration.ofSeconds(1));
        assertTrue(assertThrows(ApiException.class, () -> off.fetch("https://example.com/cat.png", WHERE)).getMessage()
                .contains("--allow-remote-media"));
        assertThrows(ApiException.class, () -> off.fetch("ftp://example.com/cat.png", WHERE));
        assertThrows(ApiException.class, () -> off.fetch("/etc/passwd", WHERE));
        MediaFetcher on = new MediaFetcher(true, 1000, Duration.ofSeconds(1));
        for (String url : new String[] {"http://127.0.0.1:1/x.png", "http://localhost:1/x.png", "http://[::1]:1/x.png", "http://10.0.0.1/x.png"}) {
            ApiException e = assertThrows(ApiException.class, () -> on.fetch(url, WHERE), url);
            assertTrue(e.getMessage().contains("non-public"), e.getMessage());
        }
    }

    /** DNS rebinding: the address checked is the one connected to; the host name is never looked up a second time. */
    @Test
    void theCheckedAddressIsTheOneConnectedTo() throws Exception {
        HttpServer files = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] ok = "pinned".getBytes(StandardCharsets.UTF_8);
        String[] host = {null};
        files.createContext("/img", ex -> {
            host[0] = ex.getRequestHeaders().getFirst("Host");
            ex.sendResponseHeaders(200, ok.length);
            ex.getResponseBody().write(ok);
            ex.close();
        });
        files.start();
        try {
            int[] lookups = {0};
            MediaFetcher.Resolver rebinding = name -> {
                if (!name.equals("media.rebind.test")) throw new java.net.UnknownHostException(name);
                // first answer: the (here allowed) checked address; any later answer would be a private one
                return new InetAddress[] {InetAddress.getByName(lookups[0]++ == 0 ? "127.0.0.1" : "10.0.0.1")};
            };
            MediaFetcher fetcher = new MediaFetcher(true, 1000, Duration.ofSeconds(5), InetAddress::isLoopbackAddress, rebinding);
            int port = files.getAddress().getPort();
            assertArrayEquals(ok, fetcher.fetch("http://media.rebind.test:" + port + "/img", WHERE));
            assertEquals(1, lookups[0]);
            assertEquals("media.rebind.test:" + port, host[0]);
            MediaFetcher strict = new MediaFetcher(true, 1000, Duration.ofSeconds(5), MediaFetcher::isPublic, rebinding);
            assertTrue(assertThrows(ApiException.class, () -> strict.fetch("http://media.rebind.test:" + port + "/img", WHERE))
                    .getMessage().contains("non-public"));
        } finally {
            files.stop(0);
        }
    }

    @Test
    void remoteFetchLimits() throws Exception {
        JdkHttpLimits.apply();   // the JDK reads its server limits once: as OpenAiServer sets them, for the tests after this one
        HttpServer files = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] ok = "small image".getBytes(StandardCharsets.UTF_8);
        files.createContext("/ok", ex -> {
            ex.sendResponseHeaders(200, ok.length);
            ex.getResponseBody().write(ok);
            ex.close();
        });
        files.createContext("/big", ex -> {
            ex.sendResponseHeaders(200, 0);   // chunked: no Content-Length to refuse early
            for (int i = 0; i < 10; i++) ex.getResponseBody().write(new byte[200]);
            ex.close();
        });
        files.createContext("/redirect", ex -> {
            ex.getResponseHeaders().set("Location", "/ok");
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        CountDownLatch stalled = new CountDownLatch(1);
        files.createContext("/slow", ex -> {
            try {
                ex.sendResponseHeaders(200, 0);
                ex.getResponseBody().write(1);
                ex.getResponseBody().flush();
                stalled.await();   // then stalls until the test ends: only the fetcher's time limit can end the fetch
            } catch (InterruptedException | java.io.IOException ignored) {
                // the fetcher gave up
            }
            ex.close();
        });
        files.start();
        try {
            String base = "http://127.0.0.1:" + files.getAddress().getPort();
            MediaFetcher fetcher = new MediaFetcher(true, 1000, Duration.ofSeconds(1), InetAddress::isLoopbackAddress);
            assertArrayEquals(ok, fetcher.fetch(base + "/ok", WHERE));
            assertTrue(assertThrows(ApiException.class, () -> fetcher.fetch(base + "/big", WHERE)).getMessage().contains("larger than"));
            assertTrue(assertThrows(ApiException.class, () -> fetcher.fetch(base + "/redirect", WHERE)).getMessage().contains("HTTP 302"));
            ApiException slow = assertTimeoutPreemptively(ServerFixture.PATIENCE,
                    () -> assertThrows(ApiException.class, () -> fetcher.fetch(base + "/slow", WHERE)),
                    "the stalled download was not cut at the time limit");
            assertTrue(slow.getMessage().contains("took longer than 1000 ms"), slow.getMessage());
            assertEquals(400, assertThrows(ApiException.class, () -> fetcher.fetch(base + "/missing", WHERE)).status());
        } finally {
            stalled.countDown();
            files.stop(0);
        }
    }
}
