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
        assertEquals(1, cl.execute("serve", "--model", TINY.toString(), "--max-concurrency", "0"));
        assertTrue(err.toString().contains("maxConcurrency must be >= 1"), err.toString());
        StringWriter err2 = new StringWriter();
        var cl2 = Main.commandLine();
        cl2.setErr(new PrintWriter(err2, true));
        assertTrue(cl2.execute("serve", "--model", TINY.toString(), "--max-visual-tokens", "0") != 0);
        assertTrue(err2.toString().contains("--max-visual-tokens must be >= 1, found 0"), err2.toString());
    }
}
