package qwen2vl4j.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/** One in-process run of the command line with stdin, stdout and stderr redirected. */
record CliRun(int exitCode, String stdout, String stderr) {

    static CliRun withStdin(String stdin, String... args) {
        return withStdout(StandardCharsets.UTF_8, stdin, args);
    }

    /**
     * A run whose {@code System.out} encodes text in {@code stdoutCharset} (a command writing UTF-8 bytes itself must not
     * depend on it); what it wrote is read back as UTF-8.
     */
    static CliRun withStdout(Charset stdoutCharset, String stdin, String... args) {
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(out, true, stdoutCharset));
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            System.out.flush();
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
        }
    }

    static CliRun of(String... args) {
        return withStdin("", args);
    }
}
