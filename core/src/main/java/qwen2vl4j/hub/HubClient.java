package qwen2vl4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import qwen2vl4j.io.Json;

/**
 * Downloads model repos from the Hugging Face hub into the shared hub cache, the way the Python
 * {@code huggingface_hub} library does ({@code snapshot_download}), so that both tools reuse each
 * other's downloads. Files already in the cache are not downloaded again; cut downloads resume.
 *
 * <pre>{@code
 * HubClient hub = HubClient.fromEnvironment(System.getenv(), home);
 * Path folder = hub.download(RepoId.parse("Qwen/Qwen2-VL-2B-Instruct"), "main", FileSelection.NEEDED, ProgressListener.NONE);
 * }</pre>
 */
public final class HubClient {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private final HubSettings settings;
    private final HubCache cache;
    private final HubHttp http;
    private final BlobDownloader downloader;

    public HubClient(HubSettings settings) {
        this.settings = settings;
        this.cache = new HubCache(settings.cacheDir());
        this.http = new HubHttp(settings);
        this.downloader = new BlobDownloader(http, settings);
    }

    /** A client configured like {@code huggingface_hub} from the environment (see {@link HubSettings}). */
    public static HubClient fromEnvironment(Map<String, String> env, Path home) {
        return new HubClient(HubSettings.fromEnvironment(env, home));
    }

    public HubSettings settings() {
        return settings;
    }

    public HubCache cache() {
        return cache;
    }

    /** The cached snapshot folder of a revision (branch, tag or commit), without using the network. */
    public Optional<Path> cachedSnapshot(RepoId repo, String revision) {
        return cache.snapshot(repo, revision);
    }

    /** Asks the hub which commit a revision is and which files it has. */
    public RepoListing listing(RepoId repo, String revision) {
        requireOnline(repo, revision);
        URI uri = http.listingUri(repo, revision);
        HubHttp.TextAnswer answer;
        try {
            answer = http.getText(uri);
        } catch (IOException e) {
            throw HubErrors.unreachable(uri, e);
        }
        if (answer.status() != 200) {
            throw HubErrors.forAnswer(answer.status(), answer.headers(), settings, repo, revision, null);
        }
        return parseListing(repo, uri, answer.body());
    }

    /**
     * Makes the snapshot of {@code revision} complete in the cache for the selected files and returns its folder
     * ({@code models--Org--Name/snapshots/{commit}}). Offline ({@code HF_HUB_OFFLINE}), returns the cached
     * snapshot or fails saying it is not cached.
     */
    public Path download(RepoId repo, String revision, FileSelection selection, ProgressListener progress) {
        if (settings.offline()) {
            return cache.snapshot(repo, revision).orElseThrow(() -> new HubException("offline mode (HF_HUB_OFFLINE is set) and "
                    + repo + " at revision " + revision + " is not in the Hugging Face cache at " + cache.repoFolder(repo)
                    + "; unset HF_HUB_OFFLINE to download it"));
        }
        RepoListing listing = listing(repo, revision);
        List<RepoFile> files = listing.files().stream().filter(f -> selection.includes(f.name())).toList();
        if (files.isEmpty()) {
            throw new HubException("repo " + repo + " at revision " + revision + " has none of the files of selection "
                    + selection + " (it lists " + listing.files().size() + " files)");
        }
        boolean sizesKnown = files.stream().allMatch(f -> f.size() >= 0);
        long total = sizesKnown ? files.stream().mapToLong(RepoFile::size).sum() : -1;
        progress.started(repo, listing.commit(), files.size(), total);
        for (RepoFile file : files) {
            fetch(repo, revision, listing.commit(), file, progress);
        }
        cache.writeRef(repo, revision, listing.commit());
        Path snapshot = cache.snapshotFolder(repo, listing.commit());
        progress.finished(snapshot);
        return snapshot;
    }

    /** Puts one file in the snapshot: skipped when present, linked when its blob is present, else downloaded. */
    private void fetch(RepoId repo, String revision, String commit, RepoFile file, ProgressListener progress) {
        Path entry = cache.snapshotFile(repo, commit, file.name());
        if (isPresent(entry, file.size())) {
            progress.fileSkipped(file.name(), file.size());
            return;
        }
        URI url = http.resolveUri(repo, commit, file.name());
        FileMetadata meta = metadata(repo, revision, file, url);
        String sha256 = file.sha256() != null ? file.sha256().toLowerCase(Locale.ROOT) : meta.linkedSha256();
        String hash = sha256 != null ? sha256 : meta.etag();
        long size = meta.size() >= 0 ? meta.size() : file.size();
        Path blob = cache.blob(repo, hash);
        try (HubCache.Lock lock = cache.lock(repo, hash)) {
            if (isPresent(blob, size)) {
                progress.fileSkipped(file.name(), size);
            } else {
                downloader.download(new BlobDownloader.Job(repo, revision, file.name(), meta.downloadUrl(), size, sha256,
                        cache.incomplete(repo, hash), blob), progress);
            }
            cache.link(blob, entry);
        }
    }

    /** What the hub's HEAD answer says about a file. */
    private record FileMetadata(String etag, String linkedSha256, long size, URI downloadUrl) {}

    private FileMetadata metadata(RepoId repo, String revision, RepoFile file, URI url) {
        HttpResponse<Void> r;
        try {
            r = http.head(url);
        } catch (IOException e) {
            throw HubErrors.unreachable(url, e);
        }
        int status = r.statusCode();
        URI redirect = HubHttp.redirectTarget(r.uri(), r);
        if (redirect == null && (status < 200 || status > 299)) {
            throw HubErrors.forAnswer(status, r.headers(), settings, repo, revision, file.name());
        }
        HttpHeaders h = r.headers();
        String linked = h.firstValue("X-Linked-Etag").map(HubClient::normalizeEtag).orElse(null);
        String etag = linked != null ? linked : h.firstValue("ETag").map(HubClient::normalizeEtag).orElse(null);
        if ((etag == null || etag.isEmpty()) && file.sha256() == null) {
            throw new HubException("the hub sent no ETag for file " + file.name() + " of " + repo
                    + ", so it cannot be stored in the cache; is HF_ENDPOINT a Hugging Face hub?");
        }
        String linkedSha = linked != null && SHA256.matcher(linked.toLowerCase(Locale.ROOT)).matches()
                ? linked.toLowerCase(Locale.ROOT) : null;
        long size = longHeader(h, "X-Linked-Size");
        if (size < 0) size = file.size();
        if (size < 0 && redirect == null) size = longHeader(h, "Content-Length");
        return new FileMetadata(etag, linkedSha, size, redirect != null ? redirect : r.uri());
    }

    private void requireOnline(RepoId repo, String revision) {
        if (settings.offline()) {
            throw new HubException("offline mode (HF_HUB_OFFLINE is set): cannot ask the hub about " + repo + " at revision " + revision);
        }
    }

    private static RepoListing parseListing(RepoId repo, URI uri, String body) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new HubException("the hub's listing of " + repo + " from " + uri + " is not valid JSON: " + e.getMessage(), e);
        }
        String commit = root == null ? null : root.path("sha").asText(null);
        if (commit == null || !HubCache.isCommitHash(commit)) {
            throw new HubException("the hub's listing of " + repo + " from " + uri + " has no commit hash in field 'sha' (found "
                    + commit + ")");
        }
        List<RepoFile> files = new ArrayList<>();
        for (JsonNode sibling : root.path("siblings")) {
            String name = sibling.path("rfilename").asText(null);
            if (name == null || name.isEmpty()) {
                throw new HubException("the hub's listing of " + repo + " from " + uri + " has a sibling without 'rfilename'");
            }
            long size = sibling.path("size").isNumber() ? sibling.path("size").asLong() : -1;
            String sha256 = sibling.path("lfs").path("sha256").asText(null);
            if (sha256 != null && !SHA256.matcher(sha256.toLowerCase(Locale.ROOT)).matches()) {
                throw new HubException("the hub's listing of " + repo + " gives file " + name + " an invalid lfs.sha256: " + sha256);
            }
            files.add(new RepoFile(name, size, sha256 == null ? null : sha256.toLowerCase(Locale.ROOT)));
        }
        return new RepoListing(repo, commit, files);
    }

    private static boolean isPresent(Path file, long size) {
        try {
            return Files.isRegularFile(file) && (size < 0 || Files.size(file) == size);
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code W/"abc"} -> {@code abc}. */
    static String normalizeEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        return e;
    }

    private static long longHeader(HttpHeaders h, String name) {
        try {
            return h.firstValue(name).map(String::strip).map(Long::parseLong).orElse(-1L);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
