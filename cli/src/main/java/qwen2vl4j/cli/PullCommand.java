package qwen2vl4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import qwen2vl4j.hub.ConsoleProgress;
import qwen2vl4j.hub.FileSelection;
import qwen2vl4j.hub.HubClient;
import qwen2vl4j.hub.RepoId;

/** {@code qwen2vl4j pull Org/Name}: downloads a model into the Hugging Face cache and prints its snapshot folder. */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {
                "Download a model from the Hugging Face hub into the local cache",
                "(shared with Python's huggingface_hub) and print its snapshot folder.",
                "Cached files are skipped; an interrupted download resumes.",
                "Environment: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HUB_CACHE, HF_HOME."})
public final class PullCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "REPO", description = "repo id, e.g. Qwen/Qwen2-VL-2B-Instruct")
    String repo;

    @Option(names = "--revision", defaultValue = "main", paramLabel = "REV",
            description = "branch, tag or commit hash (default: ${DEFAULT-VALUE})")
    String revision;

    @Option(names = "--all", description = "download every file of the repo, not only the ones the model needs "
            + "(configs, tokenizer, chat template, safetensors weights and their index)")
    boolean all;

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;
    private final Path home;

    /** With the process environment. */
    public PullCommand() {
        this(System.getenv(), Paths.get(System.getProperty("user.home")));
    }

    /** With the given environment and home folder (for tests). */
    PullCommand(Map<String, String> env, Path home) {
        this.env = env;
        this.home = home;
    }

    @Override
    public Integer call() {
        if (revision.isBlank() || revision.startsWith("/") || revision.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))
                || List.of(revision.split("/")).contains("..")) {
            throw new IllegalArgumentException("--revision must be a branch, tag or commit hash (no spaces, leading '/' or '..'), found '"
                    + revision + "'");
        }
        HubClient hub = HubClient.fromEnvironment(env, home);
        PrintWriter err = spec.commandLine().getErr();
        ConsoleProgress progress = new ConsoleProgress(err, ConsoleProgress.isTerminal());
        Path snapshot = hub.download(RepoId.parse(repo), revision, all ? FileSelection.ALL : FileSelection.NEEDED, progress);
        PrintWriter out = spec.commandLine().getOut();
        out.println(snapshot);
        out.flush();
        return 0;
    }
}
