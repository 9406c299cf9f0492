package qwen2vl4j.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one file into its blob: bytes go to {@code blobs/{hash}.incomplete}, a cut connection is
 * resumed with {@code Range: bytes=N-} (a few times, with growing pauses; a later run resumes too), the
 * sha256 of LFS files is checked against the hub's, and the finished file is renamed into place.
 */
final class BlobDownloader {
    private static final Pattern CONTENT_RANGE_START = Pattern.compile("bytes\\s+(\\d+)-");
    private static final int BUFFER = 1 << 16;
    private final HubHttp http;
    private final HubSettings settings;

    BlobDownloader(HubHttp http, HubSettings settings) {
        this.http = http;
        this.settings = settings;
    }

    /** What to fetch and how to check it. */
    record Job(RepoId repo, String revision, String filename, URI url, long size, String sha256, Path incomplete, Path blob) {}

    /** A network failure worth retrying (cut connection, 5xx answer). */
    private static final class RetryableException extends IOException {
        RetryableException(String message) {
            super(message);
        }
    }

    /** Downloads, verifies and renames into {@code job.blob()}. */
    void download(Job job, ProgressListener progress) {
        try {
            Files.createDirectories(job.incomplete().getParent());
        } catch (IOException e) {
            throw new HubException("cannot create " + job.incomplete().getParent() + ": " + e.getMessage(), e);
        }
        HashingState state = new HashingState();
        progress.fileStarted(job.filename(), job.size(), currentSize(job.incomplete()));
        for (int attempt = 0; ; attempt++) {
            try {
                fetchOnce(job, state, progress);
                break;
            } catch (IOException e) {
                long kept = currentSize(job.incomplete());
                if (attempt >= settings.maxRetries()) {
                    String reason = HubErrors.reason(e);
                    if (kept == 0 && !(e instanceof RetryableException)) throw HubErrors.unreachable(job.url(), e);
                    throw new HubException("download of " + job.filename() + " from " + job.repo() + " failed after "
                            + (attempt + 1) + " attempts (" + reason + "); " + kept + " bytes are kept in " + job.incomplete()
                            + ", run again to resume", e);
                }
                progress.retrying(job.filename(), attempt + 1, kept, HubErrors.reason(e));
                pause(attempt);
            }
        }
        verify(job, state);
        try {
            HubCache.move(job.incomplete(), job.blob());
        } catch (IOException e) {
            throw new HubException("cannot move " + job.incomplete() + " to " + job.blob() + ": " + e.getMessage(), e);
        }
        progress.fileDone(job.filename(), currentSize(job.blob()));
    }

    /** One request: resumes from what is on disk and appends until the body ends. */
    private void fetchOnce(Job job, HashingState state, ProgressListener progress) throws IOException {
        long have = currentSize(job.incomplete());
        if (job.size() >= 0 && have > job.size()) {
            deleteQuietly(job.incomplete());
            have = 0;
        }
        if (job.size() >= 0 && have == job.size() && have > 0) {
            state.catchUp(job.incomplete(), have);
            return;
        }
        Map<String, String> headers = have > 0 ? Map.of("Range", "bytes=" + have + "-") : Map.of();
        HttpResponse<InputStream> r = http.get(job.url(), headers);
        try (InputStream body = r.body()) {
            int status = r.statusCode();
            if (status == 416) {
                deleteQuietly(job.incomplete());
                throw new RetryableException("the server refused to resume at byte " + have);
            }
            if (status == 429 || status >= 500) throw new RetryableException("HTTP " + status);
            if (status != 200 && status != 206) {
                throw HubErrors.forAnswer(status, r.headers(), settings, job.repo(), job.revision(), job.filename());
            }
            long start = status == 206 ? rangeStart(r).orElse(-1) : 0;
            if (start != 0 && start != have) {
                throw new RetryableException("the server resumed at byte " + start + " instead of " + have);
            }
            state.catchUp(job.incomplete(), start);
            copy(body, job, start, state, progress);
        }
    }

    private void copy(InputStream body, Job job, long start, HashingState state, ProgressListener progress) throws IOException {
        long done = start;
        try (FileChannel out = openForWrite(job.incomplete(), start)) {
            byte[] buffer = new byte[BUFFER];
            int n;
            while ((n = body.read(buffer)) >= 0) {
                if (job.size() >= 0 && done + n > job.size()) {
                    throw new HubException("hub sent more than the " + job.size() + " bytes announced for " + job.filename()
                            + " of " + job.repo());
                }
                writeFully(out, buffer, n, job.incomplete());
                state.update(buffer, n);
                done += n;
                progress.fileProgress(job.filename(), done, job.size());
            }
        }
        if (job.size() >= 0 && done < job.size()) {
            throw new RetryableException("connection closed after " + done + " of " + job.size() + " bytes");
        }
    }

    private static FileChannel openForWrite(Path file, long start) {
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            ch.truncate(start);
            ch.position(start);
            return ch;
        } catch (IOException e) {
            throw new HubException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Local write errors (disk full) are not network errors: they end the download at once. */
    private static void writeFully(FileChannel out, byte[] buffer, int n, Path file) {
        try {
            ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
            while (bb.hasRemaining()) out.write(bb);
        } catch (IOException e) {
            throw new HubException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private void verify(Job job, HashingState state) {
        long size = currentSize(job.incomplete());
        if (job.size() >= 0 && size != job.size()) {
            deleteQuietly(job.incomplete());
            throw new HubException("download of " + job.filename() + " from " + job.repo() + " has " + size
                    + " bytes, expected " + job.size() + "; the partial file was deleted, run again");
        }
        if (job.sha256() == null) return;
        state.catchUp(job.incomplete(), size);
        String found = state.hex();
        if (!found.equalsIgnoreCase(job.sha256())) {
            deleteQuietly(job.incomplete());
            throw new HubException("checksum mismatch for " + job.filename() + " from " + job.repo() + ": expected sha256 "
                    + job.sha256() + ", found " + found + "; the corrupt download was deleted, run again");
        }
    }

    private void pause(int attempt) {
        long millis = settings.retryBackoff().toMillis() << Math.min(attempt, 6);
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("download interrupted");
        }
    }

    private static OptionalLong rangeStart(HttpResponse<?> r) {
        String range = r.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE_START.matcher(range);
        return m.lookingAt() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
    }

    static long currentSize(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            throw new HubException("cannot read the size of " + file + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // the caller reports the real problem
        }
    }

    /** A running sha256 of the first {@code hashed} bytes of the incomplete file. */
    private static final class HashingState {
        private MessageDigest digest = newDigest();
        private long hashed;

        /** Makes the digest cover exactly the first {@code length} bytes of the file (re-reading them if needed). */
        void catchUp(Path file, long length) {
            if (hashed == length) return;
            digest = newDigest();
            hashed = 0;
            if (length == 0) return;
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buffer = new byte[BUFFER];
                while (hashed < length) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, length - hashed));
                    if (n < 0) throw new IOException("file ended after " + hashed + " of " + length + " bytes");
                    digest.update(buffer, 0, n);
                    hashed += n;
                }
            } catch (IOException e) {
                throw new HubException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }

        void update(byte[] buffer, int n) {
            digest.update(buffer, 0, n);
            hashed += n;
        }

        String hex() {
            return HexFormat.of().formatHex(digest.digest());
        }

        private static MessageDigest newDigest() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 missing from the JDK", e);
            }
        }
    }
}
