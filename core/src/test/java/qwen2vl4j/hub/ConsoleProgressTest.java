package qwen2vl4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {
    @Test
    void withoutATerminalItPrintsPlainLines() {
        StringWriter out = new StringWriter();
        ConsoleProgress p = new ConsoleProgress(new PrintWriter(out), false);
        p.fileStarted("model.safetensors", 2_000_000, 500_000);
        p.fileProgress("model.safetensors", 1_000_000, 2_000_000);
        p.fileDone("model.safetensors", 2_000_000);
        p.fileStarted("config.json", 1150, 0);
        p.fileDone("config.json", 1150);
        p.fileSkipped("config.json", 1150);
        String[] lines = out.toString().split("\\R");
        assertEquals(5, lines.length, out.toString());
        assertEquals("downloading model.safetensors (2.0 MB), resuming at 500.0 kB", lines[0]);
        assertTrue(lines[1].startsWith("done model.safetensors (2.0 MB, ") && lines[1].endsWith(" MB/s)"), lines[1]);
        assertEquals("done config.json (1.2 kB)", lines[3]);
        assertEquals("cached config.json (1.2 kB)", lines[4]);
        assertFalse(out.toString().contains("\r"));
    }

    @Test
    void onATerminalItRedrawsABarWithPercentAndSpeed() {
        StringWriter out = new StringWriter();
        ConsoleProgress p = new ConsoleProgress(new PrintWriter(out), true);
        p.fileStarted("model.safetensors", 4_000_000, 0);
        p.fileDone("model.safetensors", 4_000_000);
        String text = out.toString();
        assertTrue(text.startsWith("\rmodel.safetensors [------------------------]   0% 0.0 kB / 4.0 MB"), text);
        assertTrue(text.contains("\rmodel.safetensors [########################] 100% 4.0 MB / 4.0 MB"), text);
        assertTrue(text.contains("MB/s") && text.endsWith(System.lineSeparator()), text);
    }
}
