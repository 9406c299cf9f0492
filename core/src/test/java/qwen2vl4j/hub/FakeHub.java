package qwen2vl4j.hub;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local stand-in for the Hugging Face hub on 127.0.0.1 (random port), answering the listing API and
 * {@code resolve} downloads with the hub's headers, plus a second server playing the CDN that LFS
 * downloads may redirect to. Tests switch on faults (cut connections, corrupt bytes, a required token)
 * and read back every request received.
 */
final class FakeHub implements AutoCloseable {
    static final String REPO = "Qwen/Qwen2-VL-2B-Instruct";
    static final String COMMIT = "5c0a7dd84c2b8d0a9e8f1b2c3d4e5f60718293a4";
    private static final Pattern API = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/([^/?]+)");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    /** One served file with its hashes as the hub computes them. */
    record Served(String name, byte[] bytes, boolean lfs, String sha256, String gitSha1) {}

    /** A request as received: which server, method, decoded path, headers. */
    record Request(String server, String method, String path, Headers headers) {
        String header(String name) {
            return headers.getFirst(name);
        }
    }

    private final Map<String, Served> files = new LinkedHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> cutOnce = new ConcurrentHashMap<>();
    private final Map<String, Integer> cutAlways = new ConcurrentHashMap<>();
    private final Set<String> corrupt = ConcurrentHashMap.newKeySet();
    private final HttpServer hub;
    private final HttpServer cdn;
    volatile boolean redirectLfs;
    volatile String requiredToken;

    private FakeHub(Map<String, byte[]> contents) throws IOException {
        contents.forEach((name, bytes) -> files.put(name, served(name, bytes)));
        hub = start("hub");
        cdn = start("cdn");
    }

    /** Serves the named files of a fixture folder plus in-memory extras (name -> content). */
    static FakeHub serving(Path folder, List<String> names, Map<String, String> extras) throws IOException {
        Map<String, byte[]> contents = new LinkedHashMap<>();
        for (String name : names) contents.put(name, Files.readAllBytes(folder.resolve(name)));
        extras.forEach((name, text) -> contents.put(name, text.getBytes(StandardCharsets.UTF_8)));
        return new FakeHub(contents);
    }

    /** The fixture folder the fake hub serves from. */
    static Path tinyModel() {
        return Path.of(System.getProperty("fixtures.dir"), "models", "tiny-qwen2vl");
    }

    String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    Served file(String name) {
        return files.get(name);
    }

    List<Served> files() {
        return List.copyOf(files.values());
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    void clearRequests() {
        requests.clear();
    }

    /** The first GET of the file closes the connection once {@code offset} bytes of the file were sent. */
    void cutOnce(String name, int offset) {
        cutOnce.put(name, offset);
    }

    /** Every GET of the file closes the connection at {@code offset} (until {@link #stopCutting}). */
    void cutAlways(String name, int offset) {
        cutAlways.put(name, offset);
    }

    void stopCutting() {
        cutAlways.clear();
        cutOnce.clear();
    }

    /** The file is served with one byte changed. */
    void corrupt(String name) {
        corrupt.add(name);
    }

    /** The bytes a corrupt file is served with. */
    static byte[] corrupted(byte[] bytes) {
        byte[] copy = bytes.clone();
        copy[copy.length / 2] ^= 0x5a;
        return copy;
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }

    private HttpServer start(String role) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                String path = URLDecoder.decode(exchange.getRequestURI().getRawPath(), StandardCharsets.UTF_8);
                requests.add(new Request(role, exchange.getRequestMethod(), path, new Headers(exchange.getRequestHeaders())));
                if (role.equals("hub")) handleHub(exchange, path);
                else handleCdn(exchange, path);
            }
        });
        server.start();
        return server;
    }

    private void handleHub(HttpExchange ex, String path) throws IOException {
        if (requiredToken != null && !("Bearer " + requiredToken).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            error(ex, 401, "GatedRepo", "Access to model " + REPO + " is restricted.");
            return;
        }
        Matcher api = API.matcher(path);
        Matcher resolve = RESOLVE.matcher(path);
        if (api.matches()) {
            if (!checkRepoAndRevision(ex, api.group(1), api.group(2))) return;
            String query = ex.getRequestURI().getRawQuery();
            send(ex, 200, listingJson(query != null && query.contains("blobs=true")).getBytes(StandardCharsets.UTF_8), "application/json");
        } else if (resolve.matches()) {
            if (!checkRepoAndRevision(ex, resolve.group(1), resolve.group(2))) return;
            Served f = files.get(resolve.group(3));
            if (f == null) {
                error(ex, 404, "EntryNotFound", "Entry not found");
                return;
            }
            Headers h = ex.getResponseHeaders();
            h.set("X-Repo-Commit", COMMIT);
            if (f.lfs()) {
                h.set("X-Linked-Etag", "\"" + f.sha256() + "\"");
                h.set("X-Linked-Size", Long.toString(f.bytes().length));
                h.set("ETag", "\"" + f.gitSha1() + "\"");
                if (redirectLfs) {
                    h.set("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/cdn/" + f.sha256() + "?name=" + f.name());
                    ex.sendResponseHeaders(302, -1);
                    return;
                }
            } else {
                h.set("ETag", "\"" + f.gitSha1() + "\"");
            }
            serveBytes(ex, f);
        } else {
            error(ex, 404, null, "no route " + path);
        }
    }

    private void handleCdn(HttpExchange ex, String path) throws IOException {
        String sha = path.substring(path.lastIndexOf('/') + 1);
        for (Served f : files.values()) {
            if (f.lfs() && f.sha256().equals(sha)) {
                serveBytes(ex, f);
                return;
            }
        }
        error(ex, 404, null, "no blob " + sha);
    }

    private boolean checkRepoAndRevision(HttpExchange ex, String repo, String revision) throws IOException {
        if (!repo.equals(REPO)) {
            error(ex, 404, "RepoNotFound", "Repository not found");
            return false;
        }
        if (!revision.equals("main") && !revision.equals(COMMIT)) {
            error(ex, 404, "RevisionNotFound", "Invalid rev id: " + revision);
            return false;
        }
        return true;
    }

    /** Sends the file (or its tail for {@code Range: bytes=N-}), cutting or corrupting it when asked. */
    private void serveBytes(HttpExchange ex, Served f) throws IOException {
        byte[] data = corrupt.contains(f.name()) ? corrupted(f.bytes()) : f.bytes();
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
        int start = 0;
        int status = 200;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null) {
            Matcher m = RANGE.matcher(range);
            if (!m.matches() || Integer.parseInt(m.group(1)) >= data.length) {
                ex.sendResponseHeaders(416, -1);
                return;
            }
            start = Integer.parseInt(m.group(1));
            status = 206;
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (data.length - 1) + "/" + data.length);
        }
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        Integer cut = cutAlways.get(f.name());
        if (cut == null) cut = cutOnce.remove(f.name());
        ex.sendResponseHeaders(status, data.length - start);
        OutputStream out = ex.getResponseBody();
        if (cut != null) {
            if (cut > start) out.write(data, start, cut - start);
            out.flush();
            throw new IOException("fake hub cuts the connection of " + f.name() + " at byte " + cut);
        }
        out.write(data, start, data.length - start);
    }

    private String listingJson(boolean blobs) {
        StringBuilder sb = new StringBuilder("{\"id\":\"" + REPO + "\",\"sha\":\"" + COMMIT + "\",\"siblings\":[");
        List<String> siblings = new ArrayList<>();
        for (Served f : files.values()) {
            String s = "{\"rfilename\":\"" + f.name() + "\"";
            if (blobs) {
                s += ",\"blobId\":\"" + f.gitSha1() + "\",\"size\":" + f.bytes().length;
                if (f.lfs()) s += ",\"lfs\":{\"sha256\":\"" + f.sha256() + "\",\"size\":" + f.bytes().length + ",\"pointerSize\":134}";
            }
            siblings.add(s + "}");
        }
        return sb.append(String.join(",", siblings)).append("]}").toString();
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        if (code != null) ex.getResponseHeaders().set("X-Error-Code", code);
        ex.getResponseHeaders().set("X-Error-Message", message);
        send(ex, status, ("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8), "application/json");
    }

    private static void send(HttpExchange ex, int status, byte[] body, String type) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }

    private static Served served(String name, byte[] bytes) {
        boolean lfs = name.endsWith(".safetensors") || name.equals("tokenizer.json");
        return new Served(name, bytes, lfs, hex("SHA-256", bytes), gitBlobSha1(bytes));
    }

    /** The git object id of a blob: sha1 of "blob {size}\0" + content. */
    static String gitBlobSha1(byte[] bytes) {
        byte[] header = ("blob " + bytes.length + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[header.length + bytes.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(bytes, 0, all, header.length, bytes.length);
        return hex("SHA-1", all);
    }

    static String hex(String algorithm, byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
