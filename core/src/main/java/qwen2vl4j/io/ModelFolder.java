package qwen2vl4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Finds a model folder from what the user typed: a path to a folder, or a Hugging Face repo id
 * ({@code Qwen/Qwen2-VL-2B-Instruct}) looked up in the local Hugging Face cache
 * ({@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}),
 * in {@code models--Org--Name/snapshots/<revision>/}, where the revision is the one
 * {@code refs/main} names (or the only snapshot there is).
 */
public final class ModelFolder {
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*");

    private ModelFolder() {}

    /** Resolves with the process environment. */
    public static Path resolve(String model) {
        return resolve(model, System.getenv(), Paths.get(System.getProperty("user.home")));
    }

    /** Resolves with the given environment and home folder (for tests). */
    public static Path resolve(String model, Map<String, String> env, Path home) {
        if (model == null || model.isBlank()) {
            throw new ModelLoadException("no model given: pass a model folder or a Hugging Face repo id such as Qwen/Qwen2-VL-2B-Instruct");
        }
        Path asPath = Paths.get(model);
        if (Files.isDirectory(asPath)) {
            return checkHasModel(asPath);
        }
        if (Files.isRegularFile(asPath)) {
            Path parent = asPath.toAbsolutePath().getParent();
            throw new ModelLoadException("model " + model + " is a file, not a model folder: "
                    + (model.toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")
                            ? "GGUF files are not read; pass the Hugging Face model folder (config.json, *.safetensors, tokenizer.json),"
                                    + " which the quantize command turns into Q8_0 or Q4_0"
                            : "pass the folder that holds config.json, the *.safetensors files and tokenizer.json"
                                    + (Files.isRegularFile(parent.resolve("config.json")) ? " (" + parent + "?)" : "")));
        }
        if (!REPO_ID.matcher(model).matches() || model.startsWith(".") || model.startsWith("/")) {
            throw new ModelLoadException("model folder " + model + " does not exist");
        }
        Path cache = hubCache(env, home);
        String[] parts = model.split("/");
        Path repo = cache.resolve("models--" + parts[0] + "--" + parts[1]);
        Path snapshots = repo.resolve("snapshots");
        if (!Files.isDirectory(snapshots)) {
            throw new ModelLoadException("model " + model + " is neither a folder nor in the Hugging Face cache at " + repo
                    + "; download it first, e.g. with: huggingface-cli download " + model);
        }
        Path ref = repo.resolve("refs").resolve("main");
        try {
            if (Files.isRegularFile(ref)) {
                String revision = Files.readString(ref).trim();
                Path snap = snapshots.resolve(revision);
                if (!Files.isDirectory(snap)) {
                    throw new ModelLoadException("Hugging Face cache for " + model + ": " + ref + " names revision " + revision
                            + " but " + snap + " does not exist; download the model again");
                }
                return checkHasModel(snap);
            }
            try (var list = Files.list(snapshots)) {
                var dirs = list.filter(Files::isDirectory).toList();
                if (dirs.size() == 1) return checkHasModel(dirs.get(0));
                throw new ModelLoadException("Hugging Face cache for " + model + " has " + dirs.size()
                        + " snapshots in " + snapshots + " and no refs/main to choose one; pass the snapshot folder instead");
            }
        } catch (IOException e) {
            throw new ModelLoadException("cannot read Hugging Face cache " + repo + ": " + e.getMessage(), e);
        }
    }

    /** The hub cache folder: $HF_HUB_CACHE, else {@link #hfHome}{@code /hub}. */
    public static Path hubCache(Map<String, String> env, Path home) {
        String hubCache = env.get("HF_HUB_CACHE");
        if (hubCache != null && !hubCache.isBlank()) return Paths.get(hubCache);
        return hfHome(env, home).resolve("hub");
    }

    /** Hugging Face's own folder (cache, token), as {@code huggingface_hub} finds it: $HF_HOME, else ~/.cache/huggingface. */
    public static Path hfHome(Map<String, String> env, Path home) {
        String hfHome = env.get("HF_HOME");
        if (hfHome != null && !hfHome.isBlank()) return Paths.get(hfHome);
        return home.resolve(".cache").resolve("huggingface");
    }

    private static Path checkHasModel(Path dir) {
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new ModelLoadException("folder " + dir + " holds no model: config.json is missing");
        }
        return dir;
    }
}
