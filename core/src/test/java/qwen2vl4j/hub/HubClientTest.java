package qwen2vl4j.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.io.ModelFolder;

class HubClientTest {
    private static final List<String> ALL_FIXTURE_FILES = List.of(
            "chat_template.json", "config.json", "generation_config.json", "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors", "model.safetensors.index.json", "preprocessor_config.json",
            "tokenizer.json", "tokenizer_config.json");
    private static final List<String> SMALL = List.of("config.json", "model-00002-of-00002.safetensors");
    private static final String SHARD = "model-00002-of-00002.safetensors";
    private static final RepoId REPO = RepoId.parse(FakeHub.REPO);

    @TempDir
    Path tmp;

    private Map<String, String> env(FakeHub hub, String... more) {
        Map<String, String> env = new HashMap<>();
        env.put("HF_ENDPOINT", hub.endpoint());
        env.put("HF_HUB_CACHE", tmp.resolve("cache").toString());
        for (int i = 0; i < more.length; i += 2) env.put(more[i], more[i + 1]);
        return env;
    }

    private HubClient client(Map<String, String> env) {
        return new HubClient(HubSettings.fromEnvironment(env, tmp.resolve("home")).withRetries(3, Duration.ofMillis(5)));
    }

    private Path repoFolder() {
        return tmp.resolve("cache").resolve("models--Qwen--Qwen2-VL-2B-Instruct");
    }

    private static List<FakeHub.Request> downloads(FakeHub hub, String server, String name) {
        return hub.requests().stream()
                .filter(r -> r.server().equals(server) && r.method().equals("GET"))
                .filter(r -> r.path().endsWith("/" + name) || r.path().endsWith("/" + hub.file(name).sha256()))
                .toList();
    }

    @Test
    void pullOfTheNeededFilesBuildsTheHubCacheLayout() throws IOException {
        try (FakeHub hub = FakeHub.serving(FakeHub.tinyModel(), ALL_FIXTURE_FILES,
                Map.of("README.md", "# tiny\n", "onnx/notes.txt", "not needed\n"))) {
            Map<String, String> env = env(hub);
            Path snapshot = client(env).download(REPO, "main", FileSelection.NEEDED, ProgressListener.NONE);

            assertEquals(repoFolder().resolve("snapshots").resolve(FakeHub.COMMIT), snapshot);
            assertEquals(FakeHub.COMMIT, Files.readString(repoFolder().resolve("refs/main")));
            for (FakeHub.Served f : hub.files()) {
                Path entry = snapshot.resolve(f.name());
                if (f.name().equals("README.md") || f.name().startsWith("onnx/")) {
                    assertFalse(Files.exists(entry), f.name() + " is not needed by the model");
                    continue;
                }
                String hash = f.lfs() ? f.sha256() : f.gitSha1();
                assertTrue(Files.isSymbolicLink(entry), f.name());
                assertEquals(Path.of("../../blobs/" + hash), Files.readSymbolicLink(entry), f.name());
                assertArrayEquals(f.bytes(), Files.readAllBytes(entry), f.name());
                assertTrue(Files.isRegularFile(repoFolder().resolve("blobs").resolve(hash)), f.name());
            }
            try (Stream<Path> blobs = Files.list(repoFolder().resolve("blobs"))) {
                assertEquals(9, blobs.peek(b -> assertFalse(b.toString().endsWith(".incomplete"), b.toString())).count());
            }
            assertEquals(snapshot, ModelFolder.resolve(FakeHub.REPO, env, tmp.resolve("home")));

            hub.clearRequests();
            client(env).download(REPO, "main", FileSelection.NEEDED, ProgressListener.NONE);
            assertEquals(List.of("/api/models/" + FakeHub.REPO + "/revision/main"),
                    hub.requests().stream().map(FakeHub.Request::path).toList(), "a second pull only asks for the listing");
        }
    }

    @Test
    void allSelectionAlsoFetchesOtherFilesWithLinksFromSubFolders() throws IOException {
        try (FakeHub hub = FakeHub.serving(FakeHub.tinyModel(), List.of("config.json"),
                Map.of("README.md", "# tiny\n", "onnx/notes.txt", "not needed\n"))) {
            Path snapshot = client(env(hub)).download(REPO, "main", FileSelection.ALL, ProgressListener.NONE);

            FakeHub.Served nested = hub.file("onnx/notes.txt");
            Path entry = snapshot.resolve("onnx/notes.txt");
            assertEquals(Path.of("../../../blobs/" + nested.gitSha1()), Files.readSymbolicLink(entry));
            assertEquals("not needed\n", Files.readString(entry));
            assertEquals("# tiny\n", Files.readString(snapshot.resolve("README.md")));
        }
    }

    @Test
    void cutConnectionResumesWithARangeRequest() throws IOException {
        try (FakeHub hub = FakeHub.serving(FakeHub.tinyModel(), SMALL, Map.of())) {
            hub.cutOnce(SHARD, 100_000);
            List<String> retries = new ArrayList<>();
            ProgressListener listener = new ProgressListener() {
                @Override
                public void retrying(String filename, int attempt, long bytesKept, String reason) {
                    retries.add(filename + " " + attempt + " " + bytesKept);
                }
            };
            Path snapshot = client(env(hub)).download(REPO, "main", FileSelection.NEEDED, listener);

            List<FakeHub.Request> gets = downloads(hub, "hub", SHARD);
            assertEquals(2, gets.size());
            assertNull(gets.get(0).header("Range"));
            // The server cuts after writing 100000 bytes, but how many of them reach the client before the
            // reset is up to the TCP stack and the JDK's HTTP client: the resume must start where the kept bytes end.
            assertEquals(1, retries.size(), retries.toString());
            String[] retry = retries.get(0).split(" ");
            assertEquals(SHARD + " 1", retry[0] + " " + retry[1]);
            long kept = Long.parseLong(retry[2]);
            assertTrue(kept > 0 && kept <= 100_000, "bytes kept " + kept);
            assertEquals("bytes=" + kept + "-", gets.get(1).header("Range"));
            assertArrayEquals(hub.file(SHARD).bytes(), Files.readAllBytes(snapshot.resolve(SHARD)));
        }
    }

    @Test
    void aLaterRunResumesTheBytesKeptByAFailedOne() throws IOException {
        try (FakeHub hub = FakeHub.serving(FakeHub.tinyModel(), SMALL, Map.of())) {
            hub.cutAlways(SHARD, 100_000);
            HubException e = assertThrows(HubException.class,
                    () -> client(env(hub)).download(REPO, "main", FileSelection.NEEDED, ProgressListener.NONE));
            assertTrue(e.getMessage().contains(SHARD) && e.getMessage().contains("run again to resume"), e.getMessage());
            Path incomplete = repoFolder().resolve("blobs").resolve(hub.file(SHARD).sha256() + ".incomplete");
            long kept = Files.size(incomplete);
            assertTrue(kept > 0 && kept <= 100_000, "bytes kept " + kept);
            assertFalse(Files.exists(repoFolder().resolve("snapshots").resolve(FakeHub.COMMIT).resolve(SHARD)));

            hub.stopCutting();
            hub.clearRequests();
            Path snapshot = client(env(hub)).download(REPO, "main", FileSelection.NEEDED, ProgressListener.NONE);

            List<FakeHub.Request> gets = downloads(hub, "hub", SHARD);
            assertEquals(1, gets.size());
            assertEquals("bytes=" + kept + "-", gets.get(0).header("Range"));
            assertArrayEquals(hub.file(SHARD).bytes(), Files.readAllBytes(snapshot.resolve(SHARD)));
            assertFalse(Files.exists(incomplete));
        }
    }

    @Test
    void checksumMismatchFailsNamingTheFileAndLeavesNothingBehind() throws IOException {
        try (FakeHub hub = FakeHub.serving(FakeHub.tinyModel(), SMALL, Map.of())) {
            hub.corrupt(SHARD);
            FakeHub.Served shard = hub.file(SHARD);
            HubException e = assertThrows(HubException.class,
                    () -> client(env(hub)).download(REPO, "main", FileSelection.NEEDED, ProgressListener.NONE));

            String found = FakeHub.hex("SHA-256", FakeHub.corrupted(shard.bytes()));
            assertTrue(e.getMessage().contains("checksum mismatch for " + SHARD), e.getMessage());
            assertTrue(e.getMessage().contains("expected sha256 " + shard.sha256() + ", found " + found), e.getMessage());
            assertFalse(Files.exists(repoFolder().resolve("snapshots").resolve(FakeHub.COMMIT).resolve(SHARD)));
            assertFalse(Files.exists(repoFolder().resolve("refs/main")));
            try (Stream<Path> blobs = Files.list(repoFolder().resolve("blobs"))) {
                List<String> names = blobs.map(p -> p.getFileName().toString()).toList();
                assertEquals(List.of(hub.file("config.json").gitSha1()), names);
            }
        }
    }

    @Test
    void offlineModeUsesOnlyTheCache() throws IOException {
        try (FakeHub hub = FakeHub.serving(FakeHub.tinyModel(), SMALL, Map.of())) {
            Map<String, String> offline = env(hub, "HF_HUB_OFFLINE", "1");
            HubException e = assertThrows(HubException.class,
                    () -> client(offline).download(REPO, "main", FileSelection.NEEDED, ProgressListener.NONE));
            assertTrue(e.getMessage().contains("HF_HUB_OFFLINE") && e.getMessage().contains(FakeHub.REPO), e.getMessage());
            assertEquals(List.of(), hub.requests());

            Path online = client(env(hub)).download(REPO, "main", FileSelection.NEEDED, ProgressListener.NONE);
            hub.clearRequests();
            assertEquals(online, client(offline).download(REPO, "main", FileSelection.NEEDED, ProgressListener.NONE));
            assertEquals(List.of(), hub.requests());
        }
    }

    @Test
    void theTokenIsSentToTheHubAndAGatedRepoWithoutOneFailsClearly() throws IOException {
        try (FakeHub hub = FakeHub.serving(FakeHub.tinyModel(), SMALL, Map.of())) {
            hub.requiredToken = "hf_secret";
            HubException e = assertThrows(HubException.class,
                    () -> client(env(hub)).download(REPO, "main", FileSelection.NEEDED, ProgressListener.NONE));
            assertTrue(e.getMessage().contains("HTTP 401") && e.getMessage().contains("HF_TOKEN"), e.getMessage());

            hub.clearRequests();
            Path snapshot = client(env(hub, "HF_TOKEN", "hf_secret")).download(REPO, "main", FileSelection.NEEDED, ProgressListener.NONE);
            assertArrayEquals(hub.file(SHARD).bytes(), Files.readAllBytes(snapshot.resolve(SHARD)));
            assertFalse(hub.requests().isEmpty());
            for (FakeHub.Request r : hub.requests()) {
                assertEquals("Bearer hf_secret", r.header("Authorization"), r.method() + " " + r.path());
            }
        }
    }

    @Test
    void aRedirectToAnotherHostIsFollowedWithoutTheToken() throws IOException {
        try (FakeHub hub = FakeHub.serving(FakeHub.tinyModel(), SMALL, Map.of())) {
            hub.redirectLfs = true;
            hub.requiredToken = "hf_secret";
            Path snapshot = client(env(hub, "HF_TOKEN", "hf_secret")).download(REPO, "main", FileSelection.NEEDED, ProgressListener.NONE);

            assertArrayEquals(hub.file(SHARD).bytes(), Files.readAllBytes(snapshot.resolve(SHARD)));
            List<FakeHub.Request> cdn = downloads(hub, "cdn", SHARD);
            assertEquals(1, cdn.size());
            assertNull(cdn.get(0).header("Authorization"));
            assertTrue(downloads(hub, "hub", SHARD).isEmpty(), "the bytes come from the CDN");
            assertEquals(Path.of("../../blobs/" + hub.file(SHARD).sha256()), Files.readSymbolicLink(snapshot.resolve(SHARD)));
        }
    }

    @Test
    void aResumedRedirectedDownloadSendsTheRangeToTheCdn() throws IOException {
        try (FakeHub hub = FakeHub.serving(FakeHub.tinyModel(), SMALL, Map.of())) {
            hub.redirectLfs = true;
            hub.cutOnce(SHARD, 50_000);
            Path snapshot = client(env(hub)).download(REPO, "main", FileSelection.NEEDED, ProgressListener.NONE);

            List<FakeHub.Request> cdn = downloads(hub, "cdn", SHARD);
            assertEquals(2, cdn.size());
            assertEquals("bytes=50000-", cdn.get(1).header("Range"));
            assertArrayEquals(hub.file(SHARD).bytes(), Files.readAllBytes(snapshot.resolve(SHARD)));
        }
    }

    @Test
    void unknownRepoAndRevisionGiveOneClearLine() throws IOException {
        try (FakeHub hub = FakeHub.serving(FakeHub.tinyModel(), SMALL, Map.of())) {
            HubException repo = assertThrows(HubException.class,
                    () -> client(env(hub)).download(RepoId.parse("Qwen/No-Such-Model"), "main", FileSelection.NEEDED, ProgressListener.NONE));
            assertTrue(repo.getMessage().startsWith("repo Qwen/No-Such-Model not found at " + hub.endpoint() + " (HTTP 404)"), repo.getMessage());
            HubException revision = assertThrows(HubException.class,
                    () -> client(env(hub)).download(REPO, "v9", FileSelection.NEEDED, ProgressListener.NONE));
            assertTrue(revision.getMessage().startsWith("revision v9 not found in repo " + FakeHub.REPO), revision.getMessage());
            assertFalse(repo.getMessage().contains("\n") || revision.getMessage().contains("\n"));
        }
    }

    @Test
    void anUnreachableHubSaysSoAndSuggestsOfflineMode() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Map<String, String> env = Map.of("HF_ENDPOINT", "http://127.0.0.1:" + closedPort, "HF_HUB_CACHE", tmp.resolve("cache").toString());
        HubException e = assertThrows(HubException.class,
                () -> client(env).download(REPO, "main", FileSelection.NEEDED, ProgressListener.NONE));
        assertTrue(e.getMessage().startsWith("cannot reach http://127.0.0.1:" + closedPort), e.getMessage());
        assertTrue(e.getMessage().contains("HF_HUB_OFFLINE=1"), e.getMessage());
    }

    @Test
    void downloadingByCommitHashWritesNoRef() throws IOException {
        try (FakeHub hub = FakeHub.serving(FakeHub.tinyModel(), SMALL, Map.of())) {
            Path snapshot = client(env(hub)).download(REPO, FakeHub.COMMIT, FileSelection.NEEDED, ProgressListener.NONE);
            assertEquals(repoFolder().resolve("snapshots").resolve(FakeHub.COMMIT), snapshot);
            assertFalse(Files.exists(repoFolder().resolve("refs")));
            assertTrue(hub.requests().stream().anyMatch(r -> r.path().contains("/resolve/" + FakeHub.COMMIT + "/config.json")));
        }
    }
}
