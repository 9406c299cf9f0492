package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The chat page in a real browser: headless Chromium, driven by Selenium, against a server on the tiny fixture
 * model. Chromium and chromedriver come from {@code $CHROME_BIN} / {@code $CHROMEDRIVER}, else /usr/bin/chromium and
 * /usr/bin/chromedriver ({@code .ci/run} installs them). Without them the test is skipped on a developer's machine
 * and fails under CI ({@code CI=true}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)   // the screenshot last, when the JIT has compiled the kernels
class WebChatBrowserTest {
    private static final Duration WAIT = ServerFixture.PATIENCE;
    private static final long MAX_BODY = 512 * 1024;

    private static ServerFixture server;
    private static ChromeDriver driver;
    private static Path profile;

    @BeforeAll
    static void start() throws IOException {
        Path chromium = Path.of(envOr("CHROME_BIN", "/usr/bin/chromium"));
        Path chromedriver = Path.of(envOr("CHROMEDRIVER", "/usr/bin/chromedriver"));
        if (!Files.isExecutable(chromium) || !Files.isExecutable(chromedriver)) {
            String why = "the browser test needs Chromium at " + chromium + " and chromedriver at " + chromedriver
                    + " (apt-get install chromium chromium-driver, or set CHROME_BIN and CHROMEDRIVER)";
            if ("true".equals(System.getenv("CI"))) fail(why);
            Assumptions.abort(why);
        }
        server = new ServerFixture(ServerOptions.builder().maxBodyBytes(MAX_BODY));
        profile = Files.createTempDirectory("qwen2vl4j-chromium");
        System.setProperty("webdriver.chrome.driver", chromedriver.toString());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1000,1150", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(WAIT);
    }

    @AfterAll
    static void stop() throws IOException {
        if (driver != null) driver.quit();
        if (server != null) server.close();
        if (profile != null) {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String envOr(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    // ------------------------------------------------------------------ tests

    @Test
    void attachedImageIsSentAndTheAnswerStreamsWithUsage() {
        open();
        attach(ServerFixture.fixtures().resolve("images/exact_224x224.png"));
        waitFor("the thumbnail", () -> !driver.findElements(By.cssSelector("#attachments .thumb img")).isEmpty());
        setting("set-temperature", "0");
        setting("set-max-tokens", "12");
        ask("Describe this image.");
        WebElement answer = awaitAnswer();
        String meta = answer.findElement(By.className("meta")).getText();
        // the system prompt's tokens may come from the prompt cache already (the tests share one server)
        assertTrue(meta.matches("\\d+ prompt tokens \\(64 image(, \\d+ cached)?\\) · .*"), meta);
        assertTrue(meta.contains("12 generated") && meta.contains("tok/s") && meta.contains("finish: length"), meta);
        assertFalse(answer.findElement(By.className("body")).getText().isBlank(), "the answer is empty");
        WebElement user = driver.findElement(By.cssSelector(".msg.user"));
        assertTrue(user.findElement(By.cssSelector(".media img")).getAttribute("src").startsWith("data:image/png;base64,"));
        assertEquals("Describe this image.", user.findElement(By.className("text")).getText());
        assertTrue(driver.findElements(By.cssSelector("#attachments .thumb")).isEmpty(), "attachments kept after sending");

        ask("And its colours?");                                       // the page sends the whole conversation again
        waitFor("the second answer", () -> driver.findElements(By.cssSelector(".msg.assistant")).size() == 2);
        String second = awaitAnswer().findElement(By.className("meta")).getText();
        java.util.regex.Matcher cached = java.util.regex.Pattern.compile("\\(64 image, (\\d+) cached\\)").matcher(second);
        assertTrue(cached.find(), "the first turn comes from the prompt cache: " + second);
        int firstPrompt = Integer.parseInt(meta.substring(0, meta.indexOf(' ')));
        assertTrue(Integer.parseInt(cached.group(1)) >= firstPrompt - 1, "the first turn's prompt is cached: " + meta + " / " + second);
    }

    @Test
    void stopEndsALongAnswerAndFreesTheServer() throws InterruptedException {
        open();
        js("qwenChat.setExtra({ignore_eos: true})");
        setting("set-max-tokens", "20000");
        ask("Count to a million.");
        waitFor("streamed text", () -> driver.findElement(By.cssSelector("#stop")).isDisplayed()
                && !driver.findElement(By.cssSelector(".msg.assistant .body")).getText().isEmpty());
        driver.findElement(By.id("stop")).click();
        WebElement answer = awaitAnswer();
        assertTrue(answer.findElement(By.className("meta")).getText().contains("stopped"), answer.getText());
        assertTrue(driver.findElement(By.id("send")).isDisplayed(), "Send is back");
        String text = answer.findElement(By.className("body")).getText();
        Thread.sleep(500);
        assertEquals(text, answer.findElement(By.className("body")).getText(), "text still growing after Stop");
        assertTrue(server.awaitIdle(), "the server still runs the stopped generation");
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void groundingBoxIsDrawnOnTheFirstImageAndScreenshotted() throws IOException {
        open();
        attach(ServerFixture.fixtures().resolve("images/photo_800x600.jpg"));
        waitFor("the thumbnail", () -> !driver.findElements(By.cssSelector("#attachments .thumb img")).isEmpty());
        setting("set-temperature", "0");
        setting("set-max-tokens", "6");
        setting("set-max-pixels", "200704");                          // 256 visual tokens at most (not 609)
        ask("Outline the main object with a box.");
        String meta = awaitAnswer().findElement(By.className("meta")).getText();
        java.util.regex.Matcher image = java.util.regex.Pattern.compile("\\((\\d+) image[,)]").matcher(meta);
        assertTrue(image.find(), meta);
        int imageTokens = Integer.parseInt(image.group(1));
        assertTrue(imageTokens > 100 && imageTokens <= 256, "image tokens under a 200704-pixel budget: " + meta);
        js("qwenChat.renderAssistant(arguments[0])", "The <|object_ref_start|>main object<|object_ref_end|>"
                + "<|box_start|>(250,100),(750,600)<|box_end|> is **here**.");
        List<WebElement> answers = driver.findElements(By.cssSelector(".msg.assistant"));
        WebElement last = answers.get(answers.size() - 1);
        assertEquals("main object", last.findElement(By.cssSelector(".body .ref")).getText());
        assertEquals("box 1", last.findElement(By.cssSelector(".body .boxref")).getText());
        assertFalse(last.findElement(By.className("body")).getText().contains("<|"), "tags left in the text");
        assertEquals("here", last.findElement(By.cssSelector(".body strong")).getText());
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) js("""
                const fig = arguments[0].querySelector('.grounding');
                const img = fig.querySelector('img').getBoundingClientRect();
                const box = fig.querySelector('.box').getBoundingClientRect();
                return {iw: img.width, ih: img.height, x: box.left - img.left, y: box.top - img.top, w: box.width, h: box.height,
                        label: fig.querySelector('.box .label').textContent};""", last);
        double iw = num(r.get("iw")), ih = num(r.get("ih"));
        assertTrue(iw > 100, "image shown " + iw + " px wide");
        assertEquals(600.0 / 800, ih / iw, 0.01, "aspect ratio");
        assertEquals(0.25 * iw, num(r.get("x")), 1.0, "left");
        assertEquals(0.10 * ih, num(r.get("y")), 1.0, "top");
        assertEquals(0.50 * iw, num(r.get("w")), 1.0, "width");
        assertEquals(0.50 * ih, num(r.get("h")), 1.0, "height");
        assertEquals("1 main object", r.get("label"));
        driver.findElement(By.id("settings-toggle")).click();      // the screenshot shows the conversation
        js("document.getElementById('log').scrollTop = 1e9");
        Path shot = Path.of("target", "web-chat.png");
        Files.createDirectories(shot.getParent());
        Files.write(shot, driver.getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void modelOutputCannotInjectMarkup() {
        open();
        js("window.pwned = false; qwenChat.renderAssistant(arguments[0])",
                "<img src=x onerror=\"window.pwned=true\"><script>window.pwned=true</script> `<b>` and\n```\n<i>code</i>\n```");
        WebElement body = driver.findElement(By.cssSelector(".msg.assistant .body"));
        assertTrue(body.findElements(By.cssSelector("img, script, b, i")).isEmpty(), body.getAttribute("innerHTML"));
        assertTrue(body.getText().contains("<img src=x onerror=\"window.pwned=true\">"), body.getText());
        assertEquals("<i>code</i>", body.findElement(By.cssSelector("pre code")).getText());
        assertEquals(Boolean.FALSE, js("return window.pwned"));
    }

    @Test
    void oversizedFileIsRefusedBeforeUpload() throws IOException {
        open();
        Path big = Files.createTempFile("big", ".png");
        byte[] bytes = new byte[(int) MAX_BODY];
        new Random(1).nextBytes(bytes);
        Files.write(big, bytes);
        try {
            attach(big);
            WebElement notice = driver.findElement(By.id("notice"));
            waitFor("the notice", notice::isDisplayed);
            assertTrue(notice.getText().contains(big.getFileName() + " is 0.5 MB: too large for this server"), notice.getText());
            assertTrue(driver.findElements(By.cssSelector("#attachments .thumb")).isEmpty(), "the file was attached");
        } finally {
            Files.delete(big);
        }
    }

    @Test
    void aClientErrorIsShownAsAMessage() {
        open();
        js("qwenChat.setExtra({top_p: 0})");
        ask("Hello");
        waitFor("the error", () -> !driver.findElements(By.cssSelector(".msg.error")).isEmpty());
        String error = driver.findElement(By.cssSelector(".msg.error")).getText();
        assertTrue(error.contains("Error 400: top_p must be in (0, 1], found 0"), error);
        assertTrue(driver.findElements(By.cssSelector(".msg.assistant")).isEmpty(), "an empty answer was left behind");
        assertTrue(driver.findElement(By.id("send")).isDisplayed());
        js("qwenChat.setExtra({})");
        setting("set-max-tokens", "3");
        ask("Hello again");
        assertTrue(awaitAnswer().findElement(By.className("meta")).getText().contains("3 generated"));
    }

    @Test
    void apiKeyIsAskedForAndKeptInSessionStorageOnly() {
        try (ServerFixture keyed = new ServerFixture(ServerOptions.builder().apiKey("sesame"))) {
            driver.get("http://127.0.0.1:" + keyed.server.port() + "/");
            waitFor("the key dialog", () -> driver.findElement(By.id("key-dialog")).isDisplayed());
            driver.findElement(By.id("key-input")).sendKeys("sesame");
            driver.findElement(By.id("key-save")).click();
            waitFor("the model name", () -> driver.findElement(By.id("model-name")).getText().equals("tiny"));
            assertEquals("sesame", js("return sessionStorage.getItem('qwen2vl4j.apiKey')"));
            assertNull(js("return localStorage.getItem('qwen2vl4j.apiKey')"));
            setting("set-max-tokens", "2");
            ask("Hi");
            assertTrue(awaitAnswer().findElement(By.className("meta")).getText().contains("2 generated"));
            js("sessionStorage.clear()");
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void open() {
        driver.get("http://127.0.0.1:" + server.server.port() + "/");
        js("sessionStorage.clear()");
        driver.navigate().refresh();
        waitFor("the page", () -> "true".equals(driver.findElement(By.tagName("body")).getAttribute("data-ready")));
    }

    private static void attach(Path file) {
        driver.findElement(By.id("file")).sendKeys(file.toAbsolutePath().toString());
    }

    private static void setting(String id, String value) {
        if (!driver.findElement(By.id("settings")).isDisplayed()) driver.findElement(By.id("settings-toggle")).click();
        WebElement input = driver.findElement(By.id(id));
        input.clear();
        input.sendKeys(value);
    }

    private static void ask(String text) {
        driver.findElement(By.id("prompt")).sendKeys(text);
        driver.findElement(By.id("send")).click();
    }

    /** The last assistant message, once its usage line is there (the answer ended). */
    private static WebElement awaitAnswer() {
        waitFor("the end of the answer", () -> {
            List<WebElement> all = driver.findElements(By.cssSelector(".msg.assistant .meta"));
            return !all.isEmpty() && !all.get(all.size() - 1).getText().isEmpty();
        });
        List<WebElement> all = driver.findElements(By.cssSelector(".msg.assistant"));
        return all.get(all.size() - 1);
    }

    private static Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    private static double num(Object o) {
        return ((Number) o).doubleValue();
    }

    private static void waitFor(String what, java.util.function.BooleanSupplier condition) {
        new WebDriverWait(driver, WAIT).withMessage("waiting for " + what).until(d -> condition.getAsBoolean());
    }
}
