package qwen2vl4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/** Where {@code chat} reads the user's lines: a line editor on a terminal, or plain lines from a pipe. */
interface LineSource extends AutoCloseable {
    /** The next line, without its end; {@code null} at the end of input (Ctrl-D). */
    String readLine(String prompt);

    @Override
    void close();

    /** A JLine editor with history when stdin and stdout are a terminal, else plain UTF-8 lines from {@code in}. */
    static LineSource open(InputStream in, Path historyFile) {
        var console = System.console();
        boolean terminal = console != null && console.isTerminal();
        return terminal ? new Editor(historyFile) : new Plain(in);
    }

    /** Plain lines, for pipes and tests; no prompt is shown. */
    final class Plain implements LineSource {
        private final BufferedReader reader;

        Plain(InputStream in) {
            reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        }

        @Override
        public String readLine(String prompt) {
            try {
                return reader.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read stdin: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            // stdin belongs to the process
        }
    }

    /** JLine line editor with history (kept in {@code historyFile}); Ctrl-C clears the line, Ctrl-D ends. */
    final class Editor implements LineSource {
        private final Terminal terminal;
        private final LineReader reader;

        Editor(Path historyFile) {
            try {
                terminal = TerminalBuilder.builder().system(true).build();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the terminal: " + e.getMessage(), e);
            }
            LineReaderBuilder builder = LineReaderBuilder.builder().terminal(terminal).appName("qwen2vl4j");
            if (historyFile != null) builder.variable(LineReader.HISTORY_FILE, historyFile);
            reader = builder.build();
        }

        @Override
        public String readLine(String prompt) {
            try {
                return reader.readLine(prompt);
            } catch (UserInterruptException e) {
                return "";
            } catch (EndOfFileException e) {
                return null;
            }
        }

        @Override
        public void close() {
            try {
                reader.getHistory().save();
                terminal.close();
            } catch (IOException e) {
                // nothing to do at exit
            }
        }
    }
}
