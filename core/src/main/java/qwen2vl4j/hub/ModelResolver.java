package qwen2vl4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import qwen2vl4j.io.Json;
import qwen2vl4j.io.ModelFolder;
import qwen2vl4j.io.ModelLoadException;

/**
 * Turns what the user typed into a model folder, downloading when needed: a folder is used as is, a repo id
 * ({@code Qwen/Qwen2-VL-2B-Instruct}) whose {@code main} snapshot is complete in the Hugging Face cache is used
 * from there without the network, anything else is downloaded (the files the model needs) unless
 * {@code HF_HUB_OFFLINE} is set.
 */
public final class ModelResolver {
    /** The branch a bare repo id means. */
    public static final String DEFAULT_REVISION = "main";

    private ModelResolver() {}

    /** With the process environment, progress on stderr. */
    public static Path resolveOrDownload(String model) {
        return resolveOrDownload(model, System.getenv(), Paths.get(System.getProperty("user.home")), ConsoleProgress.onStderr());
    }

    /** With the given environment and home folder (for tests), reporting download progress to {@code progress}. */
    public static Path resolveOrDownload(String model, Map<String, String> env, Path home, ProgressListener progress) {
        if (model == null || model.isBlank() || Files.isDirectory(Paths.get(model)) || !RepoId.looksLike(model)) {
            return ModelFolder.resolve(model, env, home);
        }
        RepoId repo = RepoId.parse(model);
        HubClient hub = HubClient.fromEnvironment(env, home);
        var cached = hub.cachedSnapshot(repo, DEFAULT_REVISION);
        if (cached.isPresent() && isComplete(cached.get())) return cached.get();
        if (hub.settings().offline()) {
            try {
                return ModelFolder.resolve(model, env, home);
            } catch (ModelLoadException e) {
                throw new HubException("offline mode (HF_HUB_OFFLINE is set) and " + e.getMessage(), e);
            }
        }
        Path snapshot = hub.download(repo, DEFAULT_REVISION, FileSelection.NEEDED, progress);
        return ModelFolder.resolve(snapshot.toString(), env, home);
    }

    /** Whether a snapshot has config.json and every weight file (those of the index, or at least one *.safetensors). */
    static boolean isComplete(Path snapshot) {
        if (!Files.isRegularFile(snapshot.resolve("config.json"))) return false;
        Path index = snapshot.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            Set<String> shards = new HashSet<>();
            for (JsonNode shard : Json.read(index).path("weight_map")) shards.add(shard.asText());
            return !shards.isEmpty() && shards.stream().allMatch(s -> Files.isRegularFile(snapshot.resolve(s)));
        }
        try (Stream<Path> files = Files.list(snapshot)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(f));
        } catch (IOException e) {
            return false;
        }
    }
}
