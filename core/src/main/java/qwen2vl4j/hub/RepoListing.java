package qwen2vl4j.hub;

import java.util.List;

/**
 * A repo at one commit, as the hub's {@code /api/models/{repo}/revision/{revision}} lists it.
 *
 * @param repo   the repo
 * @param commit the full commit hash the revision points to
 * @param files  the files ({@code siblings})
 */
public record RepoListing(RepoId repo, String commit, List<RepoFile> files) {
    public RepoListing {
        files = List.copyOf(files);
    }
}
