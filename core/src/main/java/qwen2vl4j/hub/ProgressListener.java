package qwen2vl4j.hub;

import java.nio.file.Path;

/**
 * Hears how a download goes. Every method has an empty default, so a listener overrides only what it
 * shows. Calls come from the downloading thread; {@link #fileProgress} comes often and must be cheap.
 */
public interface ProgressListener {
    /** A listener that shows nothing. */
    ProgressListener NONE = new ProgressListener() {};

    /** The listing is known: {@code files} files to check, {@code totalBytes} in all (-1 if unknown). */
    default void started(RepoId repo, String commit, int files, long totalBytes) {}

    /** A file is about to be downloaded; {@code size} is -1 when unknown, {@code alreadyHave} bytes come from an earlier try. */
    default void fileStarted(String filename, long size, long alreadyHave) {}

    /** {@code done} bytes of the file are on disk (including resumed ones). */
    default void fileProgress(String filename, long done, long size) {}

    /** The download was cut; it resumes from {@code bytesKept} after a pause ({@code attempt} counts from 1). */
    default void retrying(String filename, int attempt, long bytesKept, String reason) {}

    /** The file is complete and verified in the cache. */
    default void fileDone(String filename, long size) {}

    /** The file was already in the cache; nothing was downloaded. */
    default void fileSkipped(String filename, long size) {}

    /** All files are in the snapshot folder. */
    default void finished(Path snapshot) {}
}
