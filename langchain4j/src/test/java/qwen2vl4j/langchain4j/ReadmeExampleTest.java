package qwen2vl4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's LangChain4j example, taken from README.md itself, compiled against this module and run on the tiny
 * fixture model (the model id, the photo and the answer length swapped for the fixture's).
 */
class ReadmeExampleTest {
    @Test
    void theReadmesLangChain4jExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
        String readme = Files.readString(TinyModel.fixtures().resolve("../README.md"));
        int section = readme.indexOf("## With LangChain4j");
        assertTrue(section >= 0, "README has a '## With LangChain4j' section");
        Matcher block = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(block.find(section), "the section has a java block");
        String source = block.group(1);
        for (String[] swap : List.of(
                new String[] {"\"Qwen/Qwen2-VL-2B-Instruct\"", quoted(TinyModel.folder())},
                new String[] {"Path.of(\"photo.jpg\")", "Path.of(" + quoted(TinyModel.image("odd_171x129.png")) + ")"},
                new String[] {"maxOutputTokens(128)", "maxOutputTokens(6)"})) {
            assertTrue(source.contains(swap[0]), "the example contains " + swap[0]);
            source = source.replace(swap[0], swap[1]);
        }
        Path file = dir.resolve("Example.java");
        Files.writeString(file, source);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        boolean compiled = javac.getTask(diagnostics, null, null,
                List.of("-classpath", System.getProperty("java.class.path"), "-d", dir.toString(), "-proc:none"), null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(file)).call();
        assertTrue(compiled, "README example does not compile:\n" + diagnostics);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            loader.loadClass("Example").getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(original);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("TokenUsage") && printed.contains("\n[]\n"), "the answer, its usage, no boxes (random weights), "
                + "the AI service's answer: " + printed);
    }

    private static String quoted(Path p) {
        return "\"" + p.toAbsolutePath().normalize().toString().replace("\\", "\\\\") + "\"";
    }
}
