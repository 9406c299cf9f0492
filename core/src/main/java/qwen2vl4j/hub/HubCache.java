package qwen2vl4j.hub;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The Hugging Face hub cache layout, shared with the Python {@code huggingface_hub} library:
 * <pre>
 * {cache}/models--Org--Name/blobs/{etag or sha256}          file contents, named by hash
 * {cache}/models--Org--Name/blobs/{hash}.incomplete          a download in progress (resumable)
 * {cache}/models--Org--Name/snapshots/{commit}/{filename}    relative symlink to ../../blobs/{hash}
 * {cache}/models--Org--Name/refs/{revision}                  the commit a branch or tag pointed to
 * </pre>
 */
public final class HubCache {
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private final Path root;

    /** A cache rooted at the given folder (see {@link HubSettings#cacheDir()}). */
    public HubCache(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** {@code {cache}/models--Org--Name}. */
    public Path repoFolder(RepoId repo) {
        return root.resolve(repo.cacheFolderName());
    }

    /** The blob holding the content whose etag / sha256 is {@code hash}. */
    public Path blob(RepoId repo, String hash) {
        if (hash.isEmpty() || hash.contains("/") || hash.contains("\\") || hash.startsWith(".")) {
            throw new HubException("hub sent an unusable file hash '" + hash + "' for " + repo);
        }
        return repoFolder(repo).resolve("blobs").resolve(hash);
    }

    /** Where the blob is downloaded to before it is complete and verified. */
    public Path incomplete(RepoId repo, String hash) {
        Path blob = blob(repo, hash);
        return blob.resolveSibling(blob.getFileName() + ".incomplete");
    }

    /** {@code {cache}/models--Org--Name/snapshots/{commit}}. */
    public Path snapshotFolder(RepoId repo, String commit) {
        return repoFolder(repo).resolve("snapshots").resolve(commit);
    }

    /** The snapshot entry of a file (path inside the repo, '/' separated). */
    public Path snapshotFile(RepoId repo, String commit, String filename) {
        Path folder = snapshotFolder(repo, commit);
        Path file = folder.resolve(filename).normalize();
        if (!file.startsWith(folder) || file.equals(folder)) {
            throw new HubException("hub listed a file name that leaves the snapshot folder: " + filename + " in " + repo);
        }
        return file;
    }

    /** Whether a revision is a full commit hash (then no ref is needed to find its snapshot). */
    public static boolean isCommitHash(String revision) {
        return COMMIT.matcher(revision).matches();
    }

    /** The commit a revision names: itself for a commit hash, else the content of {@code refs/{revision}} if present. */
    public Optional<String> commitOf(RepoId repo, String revision) {
        if (isCommitHash(revision)) return Optional.of(revision);
        Path ref = refFile(repo, revision);
        if (!Files.isRegularFile(ref)) return Optional.empty();
        try {
            String commit = Files.readString(ref).strip();
            return commit.isEmpty() ? Optional.empty() : Optional.of(commit);
        } catch (IOException e) {
            throw new HubException("cannot read " + ref + ": " + e.getMessage(), e);
        }
    }

    /** The cached snapshot folder of a revision, if the cache knows the revision and has that folder. */
    public Optional<Path> snapshot(RepoId repo, String revision) {
        return commitOf(repo, revision).map(c -> snapshotFolder(repo, c)).filter(Files::isDirectory);
    }

    /** Records that a branch or tag points to a commit (nothing to do for a commit hash). */
    public void writeRef(RepoId repo, String revision, String commit) {
        if (revision.equals(commit)) return;
        Path ref = refFile(repo, revision);
        try {
            Files.createDirectories(ref.getParent());
            Path tmp = ref.resolveSibling(ref.getFileName() + ".tmp");
            Files.writeString(tmp, commit);
            move(tmp, ref);
        } catch (IOException e) {
            throw new HubException("cannot write " + ref + ": " + e.getMessage(), e);
        }
    }

    /**
     * Makes the snapshot entry point at the blob: a relative symlink ({@code ../../blobs/{hash}}, one more
     * {@code ../} per sub folder), or a copy of the blob where the file system refuses symlinks.
     */
    public void link(Path blob, Path snapshotFile) {
        try {
            Files.createDirectories(snapshotFile.getParent());
            Files.deleteIfExists(snapshotFile);
            Path target = snapshotFile.getParent().relativize(blob);
            try {
                Files.createSymbolicLink(snapshotFile, target);
            } catch (UnsupportedOperationException | FileSystemException e) {
                Files.copy(blob, snapshotFile, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new HubException("cannot create " + snapshotFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * Locks the download of one blob against other processes ({@code {cache}/.locks/models--Org--Name/{hash}.lock},
     * the lock file {@code huggingface_hub} uses); blocks until the lock is free. Close the lock to release it.
     */
    public Lock lock(RepoId repo, String hash) {
        Path file = root.resolve(".locks").resolve(repo.cacheFolderName()).resolve(blob(repo, hash).getFileName() + ".lock");
        FileChannel channel = null;
        try {
            Files.createDirectories(file.getParent());
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            channel.lock();
            return new Lock(channel);
        } catch (IOException | OverlappingFileLockException e) {
            closeQuietly(channel);
            throw new HubException("cannot lock " + file + " (is another download of " + repo + " running in this process?): "
                    + e.getMessage(), e);
        }
    }

    /** A held download lock; closing it releases the lock. */
    public static final class Lock implements AutoCloseable {
        private final FileChannel channel;

        private Lock(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void close() {
            closeQuietly(channel);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel == null) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing more to release
        }
    }

    /** Renames atomically where the file system can, else replaces. */
    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private Path refFile(RepoId repo, String revision) {
        Path refs = repoFolder(repo).resolve("refs");
        Path ref = refs.resolve(revision).normalize();
        if (!ref.startsWith(refs) || ref.equals(refs)) {
            throw new HubException("revision " + revision + " is not a valid branch, tag or commit name");
        }
        return ref;
    }
}
