package qwen2vl4j.hub;

/**
 * One file of a repo as the hub lists it.
 *
 * @param name   path inside the repo, with '/' separators ({@code rfilename})
 * @param size   size in bytes, or -1 when the listing did not say
 * @param sha256 the sha256 of the content for files stored with Git LFS (lowercase hex), else {@code null}
 */
public record RepoFile(String name, long size, String sha256) {
    /** Whether the hub stores the file with Git LFS (and so publishes its sha256). */
    public boolean isLfs() {
        return sha256 != null;
    }
}
