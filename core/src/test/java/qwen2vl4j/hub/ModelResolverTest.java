package qwen2vl4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.io.ModelLoadException;

class ModelResolverTest {
    private static final List<String> NEEDED = List.of(
            "config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
            "model.safetensors.index.json");

    @TempDir
    Path tmp;

    private Map<String, String> env(String endpoint, String... more) {
        var env = new java.util.HashMap<String, String>();
        env.put("HF_ENDPOINT", endpoint);
        env.put("HF_HUB_CACHE", tmp.resolve("cache").toString());
        for (int i = 0; i < more.length; i += 2) env.put(more[i], more[i + 1]);
        return env;
    }

    @Test
    void aFolderIsUsedAsIs() {
        Path folder = FakeHub.tinyModel();
        assertEquals(folder, ModelResolver.resolveOrDownload(folder.toString(), env("http://127.0.0.1:9"), tmp, ProgressListener.NONE));
    }

    @Test
    void aRepoIdIsDownloadedOnceThenTakenFromTheCacheWithoutTheNetwork() throws IOException {
        Path first;
        try (FakeHub hub = FakeHub.serving(FakeHub.tinyModel(), NEEDED, Map.of("README.md", "# tiny\n"))) {
            first = ModelResolver.resolveOrDownload(FakeHub.REPO, env(hub.endpoint()), tmp, ProgressListener.NONE);
            assertEquals(tmp.resolve("cache/models--Qwen--Qwen2-VL-2B-Instruct/snapshots").resolve(FakeHub.COMMIT), first);
            for (String name : NEEDED) {
                assertEquals(Files.mismatch(FakeHub.tinyModel().resolve(name), first.resolve(name)), -1L, name);
            }
            assertTrue(Files.notExists(first.resolve("README.md")), "only the needed files are fetched");
        }
        // the hub is gone: a cached, complete snapshot needs no network
        assertEquals(first, ModelResolver.resolveOrDownload(FakeHub.REPO, env("http://127.0.0.1:9"), tmp, ProgressListener.NONE));
    }

    @Test
    void anIncompleteCachedSnapshotIsCompletedFromTheHub() throws IOException {
        try (FakeHub hub = FakeHub.serving(FakeHub.tinyModel(), NEEDED, Map.of())) {
            Path snapshot = ModelResolver.resolveOrDownload(FakeHub.REPO, env(hub.endpoint()), tmp, ProgressListener.NONE);
            Files.delete(snapshot.resolve("model-00002-of-00002.safetensors"));
            hub.clearRequests();

            assertEquals(snapshot, ModelResolver.resolveOrDownload(FakeHub.REPO, env(hub.endpoint()), tmp, ProgressListener.NONE));
            assertEquals(-1L, Files.mismatch(FakeHub.tinyModel().resolve("model-00002-of-00002.safetensors"),
                    snapshot.resolve("model-00002-of-00002.safetensors")));
            assertTrue(hub.requests().stream().noneMatch(r -> r.method().equals("GET") && r.path().endsWith("/config.json")),
                    "files already cached are not fetched again");
        }
    }

    @Test
    void offlineAndNotCachedIsAClearError() {
        HubException e = assertThrows(HubException.class, () -> ModelResolver.resolveOrDownload(FakeHub.REPO,
                env("http://127.0.0.1:9", "HF_HUB_OFFLINE", "true"), tmp, ProgressListener.NONE));
        assertTrue(e.getMessage().startsWith("offline mode (HF_HUB_OFFLINE is set)"), e.getMessage());
        assertTrue(e.getMessage().contains(FakeHub.REPO), e.getMessage());
    }

    @Test
    void aMissingPathThatIsNoRepoIdIsReportedAsAFolder() {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelResolver.resolveOrDownload(
                tmp.resolve("nope").toString(), env("http://127.0.0.1:9"), tmp, ProgressListener.NONE));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
