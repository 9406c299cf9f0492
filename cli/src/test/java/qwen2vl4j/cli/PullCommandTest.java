package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PullCommandTest {
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final String CONFIG = "{\"model_type\":\"qwen2_vl\"}";

    @TempDir
    Path tmp;
    private HttpServer hub;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /** A minimal hub: repo Org/Tiny at main with config.json and README.md. */
    @BeforeEach
    void startHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        hub.createContext("/", this::answer);
        hub.start();
    }

    @AfterEach
    void stopHub() {
        hub.stop(0);
    }

    private void answer(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String body;
            if (path.equals("/api/models/Org/Tiny/revision/main")) {
                body = "{\"sha\":\"" + COMMIT + "\",\"siblings\":[{\"rfilename\":\"config.json\"},{\"rfilename\":\"README.md\"}]}";
            } else if (path.equals("/Org/Tiny/resolve/" + COMMIT + "/config.json")) {
                body = CONFIG;
                ex.getResponseHeaders().set("ETag", "\"etag-config\"");
            } else if (path.equals("/Org/Tiny/resolve/" + COMMIT + "/README.md")) {
                body = "# Tiny";
                ex.getResponseHeaders().set("ETag", "\"etag-readme\"");
            } else {
                ex.getResponseHeaders().set("X-Error-Code", "RepoNotFound");
                ex.sendResponseHeaders(404, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("X-Repo-Commit", COMMIT);
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.sendResponseHeaders(200, -1);
            } else {
                ex.sendResponseHeaders(200, bytes.length);
                ex.getResponseBody().write(bytes);
            }
        }
    }

    private int pull(Map<String, String> env, String... args) {
        CommandLine cl = new CommandLine(new PullCommand(env, tmp.resolve("home")));
        cl.setExecutionExceptionHandler(Main.commandLine().getExecutionExceptionHandler());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private Map<String, String> env(String endpoint, String... more) {
        Map<String, String> env = new HashMap<>();
        env.put("HF_ENDPOINT", endpoint);
        env.put("HF_HUB_CACHE", tmp.resolve("cache").toString());
        for (int i = 0; i < more.length; i += 2) env.put(more[i], more[i + 1]);
        return env;
    }

    private String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    private Path snapshot() {
        return tmp.resolve("cache/models--Org--Tiny/snapshots").resolve(COMMIT);
    }

    @Test
    void pullPrintsTheSnapshotFolderAndFetchesOnlyTheNeededFiles() throws IOException {
        assertEquals(0, pull(env(endpoint()), "Org/Tiny"), err.toString());
        assertEquals(snapshot() + System.lineSeparator(), out.toString());
        assertEquals(CONFIG, Files.readString(snapshot().resolve("config.json")));
        assertTrue(Files.notExists(snapshot().resolve("README.md")));
        assertTrue(err.toString().contains("downloading config.json"), err.toString());
    }

    @Test
    void allFetchesEveryFile() throws IOException {
        assertEquals(0, pull(env(endpoint()), "Org/Tiny", "--all", "--revision", "main"), err.toString());
        assertEquals("# Tiny", Files.readString(snapshot().resolve("README.md")));
    }

    @Test
    void offlineAndNotCachedIsOneLineAndExitOne() {
        assertEquals(1, pull(env(endpoint(), "HF_HUB_OFFLINE", "1"), "Org/Tiny"));
        assertOneErrorLine("qwen2vl4j: offline mode (HF_HUB_OFFLINE is set) and Org/Tiny at revision main is not in the Hugging Face cache");
    }

    @Test
    void offlineAndCachedPrintsTheCachedFolder() {
        assertEquals(0, pull(env(endpoint()), "Org/Tiny"));
        out.getBuffer().setLength(0);
        hub.stop(0);
        assertEquals(0, pull(env(endpoint(), "HF_HUB_OFFLINE", "1"), "Org/Tiny"));
        assertEquals(snapshot() + System.lineSeparator(), out.toString());
    }

    @Test
    void unknownRepoIsOneLineAndExitOne() {
        assertEquals(1, pull(env(endpoint()), "Org/Missing"));
        assertOneErrorLine("qwen2vl4j: repo Org/Missing not found at " + endpoint() + " (HTTP 404)");
    }

    @Test
    void networkDownIsOneLineAndExitOne() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertEquals(1, pull(env("http://127.0.0.1:" + port), "Org/Tiny"));
        assertOneErrorLine("qwen2vl4j: cannot reach http://127.0.0.1:" + port);
    }

    @Test
    void badRepoIdIsOneLineAndExitOne() {
        assertEquals(1, pull(env(endpoint()), "a/b/c"));
        assertOneErrorLine("qwen2vl4j: repo id a/b/c is not valid");
    }

    @Test
    void badRevisionIsOneLineBeforeAnyRequest() {
        for (String bad : new String[] {"", "a b", "../x", "refs/../../x", "/main"}) {
            err.getBuffer().setLength(0);
            assertEquals(1, pull(env("http://127.0.0.1:9"), "Org/Tiny", "--revision", bad), bad);
            assertOneErrorLine("qwen2vl4j: --revision must be a branch, tag or commit hash (no spaces, leading '/' or '..'), found '" + bad + "'");
        }
    }

    private void assertOneErrorLine(String start) {
        String text = err.toString();
        assertTrue(text.startsWith(start), text);
        assertEquals(1, text.lines().count(), text);
    }
}
