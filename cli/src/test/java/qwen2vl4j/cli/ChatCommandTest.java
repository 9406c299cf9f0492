package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.Conversation;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.SamplingParams;

/** {@code chat} driven through piped stdin: answers equal a library {@link Conversation} given the same turns. */
class ChatCommandTest {
    private static final Path FIXTURES = Path.of(System.getProperty("fixtures.dir"));
    private static final String MODEL = FIXTURES.resolve("models/tiny-qwen2vl").toString();
    private static final String IMAGE = FIXTURES.resolve("images/exact_224x224.png").toString();

    static Qwen2VL model;
    static SamplingParams params;

    @BeforeAll
    static void load() {
        model = Qwen2VL.load(Path.of(MODEL), qwen2vl4j.LoadOptions.defaults());
        params = model.defaultParams().toBuilder().greedy(true).repetitionPenalty(1.0).ignoreEos(true).maxNewTokens(8).build();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static CliRun chat(String stdin, String... extra) {
        String[] args = {"chat", "--model", MODEL, "--greedy", "--ignore-eos", "--max-tokens", "8"};
        String[] all = Stream.concat(Stream.of(args), Stream.of(extra))
                .toArray(String[]::new);
        return CliRun.withStdin(stdin, all);
    }

    static String expectedAnswers(List<List<Message>> turns) {
        Conversation c = model.newConversation();
        StringBuilder out = new StringBuilder();
        for (List<Message> turn : turns) out.append(c.send(turn, params, null).text()).append('\n');
        return out.toString();
    }

    static Message userWithImage(String text) {
        return new Message("user", List.of(new ContentPart.Image(MediaSource.of(IMAGE)), new ContentPart.Text(text)));
    }

    @Test
    void twoTurnsWithAnImageContinueOneConversation() {
        CliRun r = chat("Hello, who are you?\n/image " + IMAGE + "\nDescribe this image.\n/exit\nnot read\n");
        assertEquals(0, r.exitCode(), r.stderr());
        String expected = expectedAnswers(List.of(List.of(Message.user("Hello, who are you?")),
                List.of(userWithImage("Describe this image."))));
        assertEquals(expected, r.stdout());
        assertEquals("(image attached: " + IMAGE + ")\n", r.stderr());
        // the second answer depends on the first turn: a fresh conversation answers differently
        String alone = expectedAnswers(List.of(List.of(userWithImage("Describe this image."))));
        assertTrue(!expected.endsWith(alone), "the history changes the answer");
    }

    @Test
    void systemMessageResetAndEndOfInput() {
        CliRun r = chat("Name three colors.\n/reset\nName three colors.\n", "--system", "You are terse.");
        assertEquals(0, r.exitCode(), r.stderr());
        String one = expectedAnswers(List.of(List.of(Message.system("You are terse."), Message.user("Name three colors."))));
        assertEquals(one + one, r.stdout());
        assertEquals("(new conversation)\n", r.stderr());
    }

    @Test
    void aFailedTurnPrintsOneLineAndTheChatGoesOn(@TempDir Path dir) throws Exception {
        // a PNG whose header reads but whose pixels are cut off: it attaches, and its turn fails
        Path truncated = dir.resolve("truncated.png");
        Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(Path.of(IMAGE)), 120));
        CliRun r = chat("/image " + truncated + "\nWhat is this?\n/bogus\nHello, who are you?\n");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals(expectedAnswers(List.of(List.of(Message.user("Hello, who are you?")))), r.stdout());
        List<String> err = r.stderr().lines().toList();
        assertEquals(4, err.size(), r.stderr());
        assertEquals("(image attached: " + truncated + ")", err.get(0));
        assertTrue(err.get(1).startsWith("qwen2vl4j: ") && err.get(1).contains("truncated.png"), err.get(1));
        assertEquals("(the attached media were dropped with the message; attach again to retry)", err.get(2));
        assertTrue(err.get(3).startsWith("qwen2vl4j: unknown command /bogus"), err.get(3));
    }

    /** Media that cannot be what the command says are refused when attached, so the message that follows is kept. */
    @Test
    void badAttachmentsAreRefusedBeforeTheMessage(@TempDir Path dir) throws Exception {
        Path notImage = dir.resolve("broken.png");
        Files.write(notImage, new byte[] {1, 2, 3, 4, 5});
        Path notes = dir.resolve("notes.txt");
        Files.writeString(notes, "not a video");
        Path empty = Files.createDirectory(dir.resolve("frames"));
        CliRun r = chat("/image " + dir.resolve("missing.png") + "\n/image " + notImage + "\n/image " + dir + "\n/video " + notes
                + "\n/video " + empty + "\n/video " + dir.resolve("clip.mp4") + "\nHello, who are you?\n");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals(expectedAnswers(List.of(List.of(Message.user("Hello, who are you?")))), r.stdout(), "answered without media");
        List<String> err = r.stderr().lines().toList();
        assertEquals(6, err.size(), r.stderr());
        assertTrue(err.get(0).endsWith("missing.png: no such file"), err.get(0));
        assertTrue(err.get(1).startsWith("qwen2vl4j: ") && err.get(1).contains("broken.png"), err.get(1));
        assertTrue(err.get(2).contains("folder"), err.get(2));
        assertTrue(err.get(3).contains("notes.txt is not a folder of frames, a video file"), err.get(3));
        assertTrue(err.get(4).contains("holds no frame images"), err.get(4));
        assertTrue(err.get(5).endsWith("clip.mp4: no such file"), err.get(5));
    }

    @Test
    void aTurnOverTheContextIsRefusedAndTheChatGoesOn() {
        String huge = "word ".repeat(model.contextLength() + 10);
        CliRun r = chat(huge + "\nHello, who are you?\n");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals(expectedAnswers(List.of(List.of(Message.user("Hello, who are you?")))), r.stdout());
        assertEquals(1, r.stderr().lines().count(), r.stderr());
        assertTrue(r.stderr().contains("exceeds the model's limit") && r.stderr().contains("/reset"), r.stderr());
    }
}
