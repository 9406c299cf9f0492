package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code serve}: starts on loopback, answers, stops when interrupted; bad options fail with one line. */
class ServeCommandTest {
    /** How long the test waits for the server to start or stop; a loaded machine may be slow, never wrong. */
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final Path TINY = Path.of(System.getProperty("fixtures.dir", "../fixtures")).resolve("models/tiny-qwen2vl");

    @Test
    void servesTheModelUntilStopped() throws Exception {
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int[] exit = {-1};
        Thread serving = new Thread(() -> exit[0] = cl.execute("serve", "--model", TINY.toString(), "--port", "0", "--api-key", "k"));
        serving.start();
        Matcher url = null;
        long deadline = System.nanoTime() + PATIENCE.toNanos();   // only a failing run waits this long
        while ((url == null || !url.find()) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            url = Pattern.compile("serving tiny-qwen2vl at (http://127\\.0\\.0\\.1:\\d+/v1)").matcher(err.toString());
        }
        assertTrue(url != null && url.find(0), err.toString());
        assertTrue(err.toString().contains("; java f32)"), "the startup line names the backend and precision: " + err);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(url.group(1) + "/models"))
                .header("Authorization", "Bearer k").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, models.statusCode());
        assertTrue(models.body().contains("\"id\":\"tiny-qwen2vl\""), models.body());
        serving.interrupt();
        serving.join(PATIENCE.toMillis());
        assertTrue(!serving.isAlive());
    }

    @Test
    void badOptionsFailWithOneLine() {
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        assertEquals(2, cl.execute("serve", "--model", TINY.toString(), "--max-concurrency", "0"));
        assertTrue(err.toString().contains("--max-concurrency must be >= 1, found 0"), err.toString());
        StringWriter err2 = new StringWriter();
        var cl2 = Main.commandLine();
        cl2.setErr(new PrintWriter(err2, true));
        assertTrue(cl2.execute("serve", "--model", TINY.toString(), "--max-visual-tokens", "0") != 0);
        assertTrue(err2.toString().contains("--max-visual-tokens must be >= 1, found 0"), err2.toString());
    }

    /** Negative timeouts and a 95 TB body limit started the server; an empty --host listened on every interface; names were camelCase. */
    @Test
    void everyNumericFlagIsCheckedByItsName() {
        String[][] cases = {
                {"--queue-timeout", "-1", "--queue-timeout must be >= 0 seconds, found -1"},
                {"--body-timeout", "0", "--body-timeout must be >= 1 second, found 0"},
                {"--request-timeout", "-5", "--request-timeout must be >= 1 second, found -5"},
                {"--max-body-mb", "99999999", "--max-body-mb must be in [1, 2047], found 99999999"},
                {"--queue", "-1", "--queue must be >= 0, found -1"},
                {"--max-media", "-1", "--max-media must be >= 0, found -1"},
                {"--port", "70000", "--port must be in [0, 65535] (0 picks a free one), found 70000"},
                {"--host", "", "--host must be an address or host name"},
                {"--model-name", " ", "--model-name must be a non-empty model id"},
                {"--allowed-host", "", "--allowed-host must be a host name or *"},
                {"--prompt-cache-mb", "-1", "--prompt-cache-mb must be in [0, " + (Runtime.getRuntime().maxMemory() >> 21) + "] MiB, at most half"},
                {"--prompt-cache-mb", "99999999", "--prompt-cache-mb must be in [0, "},
        };
        for (String[] c : cases) {
            StringWriter err = new StringWriter();
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            assertTrue(cl.execute("serve", "--model", TINY.toString(), c[0], c[1]) != 0, c[0]);
            assertTrue(err.toString().startsWith("qwen2vl4j: " + c[2]), err.toString());
            assertEquals(1, err.toString().lines().count(), err.toString());
        }
    }
}
