package qwen2vl4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import qwen2vl4j.Qwen2VL;

/**
 * {@code chat}: an interactive multi-turn chat. Each turn runs only its new tokens through the model (the KV cache
 * is kept); {@code /image} and {@code /video} attach media to the next message. On a terminal the input is a line
 * editor with history; from a pipe it reads plain lines and writes only the answers to stdout.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Interactive multi-turn chat with streaming answers.",
                ChatSession.HELP + ".",
                "From a pipe: one user line per turn; answers on stdout (one per turn), notes and errors on stderr."})
public final class ChatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M",
            description = "model folder, or a Hugging Face repo id found in the local cache")
    String model;

    @Option(names = "--system", paramLabel = "TEXT", description = "system message")
    String system;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--add-vision-id", description = "label media in the prompt: \"Picture 1: \", \"Video 1: \"")
    boolean addVisionId;

    @Option(names = "--stats", description = "a stats line on stderr after each answer")
    boolean stats;

    @Mixin
    LoadOptionsMixin load;

    @Override
    public Integer call() {
        sampling.validate();
        java.nio.file.Path folder = qwen2vl4j.hub.ModelResolver.resolveOrDownload(model);
        try (Qwen2VL qwen = Qwen2VL.load(folder, load.toLoadOptions(folder)); LineSource input = LineSource.open(System.in, historyFile())) {
            ChatSession session = new ChatSession(qwen, sampling.apply(qwen.defaultParams()), system, addVisionId, stats,
                    new TokenPrinter(System.out), spec.commandLine().getErr(), ProgressLine.forCommand(spec.commandLine().getErr(), false));
            String line;
            while ((line = input.readLine("> ")) != null) {
                if (!session.handle(line)) break;
            }
        }
        return 0;
    }

    private static Path historyFile() {
        String home = System.getProperty("user.home");
        return home == null ? null : Path.of(home, ".qwen2vl4j_history");
    }
}
