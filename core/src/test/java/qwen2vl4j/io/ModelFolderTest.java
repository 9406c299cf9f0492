package qwen2vl4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.Fixtures;

class ModelFolderTest {
    @TempDir
    Path tmp;

    private Path snapshot(Path hub, String rev) throws Exception {
        Path repo = hub.resolve("models--Qwen--Qwen2-VL-2B-Instruct");
        Path snap = repo.resolve("snapshots").resolve(rev);
        Files.createDirectories(snap);
        Files.copy(Fixtures.tinyModel().resolve("config.json"), snap.resolve("config.json"));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), rev + "\n");
        return snap;
    }

    @Test
    void aFolderIsUsedAsIs() {
        assertEquals(Fixtures.tinyModel(), ModelFolder.resolve(Fixtures.tinyModel().toString(), Map.of(), tmp));
    }

    @Test
    void repoIdFollowsRefsMainInEachCacheLocation() throws Exception {
        Path home = tmp.resolve("home");
        Path snap = snapshot(home.resolve(".cache/huggingface/hub"), "abc123");
        assertEquals(snap, ModelFolder.resolve("Qwen/Qwen2-VL-2B-Instruct", Map.of(), home));

        Path hfHome = tmp.resolve("hfhome");
        Path snap2 = snapshot(hfHome.resolve("hub"), "def456");
        assertEquals(snap2, ModelFolder.resolve("Qwen/Qwen2-VL-2B-Instruct", Map.of("HF_HOME", hfHome.toString()), home));

        Path hubCache = tmp.resolve("hubcache");
        Path snap3 = snapshot(hubCache, "0a0a");
        assertEquals(snap3, ModelFolder.resolve("Qwen/Qwen2-VL-2B-Instruct",
                Map.of("HF_HUB_CACHE", hubCache.toString(), "HF_HOME", hfHome.toString()), home));
    }

    @Test
    void missingModelSaysHowToGetIt() {
        String m = assertThrows(ModelLoadException.class,
                () -> ModelFolder.resolve("Qwen/Qwen2-VL-2B-Instruct", Map.of(), tmp)).getMessage();
        assertTrue(m.contains("Qwen/Qwen2-VL-2B-Instruct") && m.contains("download"), m);
        String m2 = assertThrows(ModelLoadException.class, () -> ModelFolder.resolve(tmp.resolve("nope/x/y").toString(), Map.of(), tmp)).getMessage();
        assertTrue(m2.contains("does not exist"), m2);
    }

    @Test
    void aFileIsRefusedAsNoFolder() throws Exception {
        Path config = Fixtures.tinyModel().resolve("config.json");
        String m = assertThrows(ModelLoadException.class, () -> ModelFolder.resolve(config.toString(), Map.of(), tmp)).getMessage();
        assertEquals("model " + config + " is a file, not a model folder: pass the folder that holds config.json, the *.safetensors"
                + " files and tokenizer.json (" + config.toAbsolutePath().getParent() + "?)", m);
        Path gguf = Files.writeString(tmp.resolve("qwen2-vl-2b-q4_0.gguf"), "GGUF");
        String g = assertThrows(ModelLoadException.class, () -> ModelFolder.resolve(gguf.toString(), Map.of(), tmp)).getMessage();
        assertTrue(g.contains("is a file, not a model folder: GGUF files are not read; pass the Hugging Face model folder"), g);
        assertTrue(!g.contains("?)"), "no folder is suggested where it holds no config.json: " + g);
    }

    @Test
    void folderWithoutConfig() throws Exception {
        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty);
        String m = assertThrows(ModelLoadException.class, () -> ModelFolder.resolve(empty.toString(), Map.of(), tmp)).getMessage();
        assertTrue(m.contains("holds no model") && m.contains("config.json"), m);
    }
}
