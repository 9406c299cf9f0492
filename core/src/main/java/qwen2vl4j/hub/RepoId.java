package qwen2vl4j.hub;

import java.util.regex.Pattern;

/**
 * A Hugging Face model repository id, {@code Org/Name} (or a bare {@code Name} for the few legacy
 * repos without an owner), as typed by the user and as used in hub URLs and cache folder names.
 *
 * @param owner the organisation or user, or {@code null} for a legacy repo without one
 * @param name  the repository name
 */
public record RepoId(String owner, String name) {
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    public RepoId {
        if (owner != null && !valid(owner) || !valid(name)) {
            throw new HubException("repo id " + (owner == null ? "" : owner + "/") + name
                    + " is not valid: expected Org/Name with letters, digits, '-', '_' or '.'");
        }
    }

    /** Parses {@code Org/Name} (or {@code Name}); throws a {@link HubException} naming the text when it is not a repo id. */
    public static RepoId parse(String text) {
        if (text == null || text.isBlank()) {
            throw new HubException("no repo id given: expected Org/Name such as Qwen/Qwen2-VL-2B-Instruct");
        }
        String[] parts = text.split("/", -1);
        if (parts.length == 1) return new RepoId(null, parts[0]);
        if (parts.length == 2) return new RepoId(parts[0], parts[1]);
        throw new HubException("repo id " + text + " is not valid: expected Org/Name such as Qwen/Qwen2-VL-2B-Instruct");
    }

    /** Whether the text has the shape of a repo id (it may still not exist on the hub). */
    public static boolean looksLike(String text) {
        if (text == null) return false;
        String[] parts = text.split("/", -1);
        if (parts.length != 2) return false;
        return valid(parts[0]) && valid(parts[1]);
    }

    private static boolean valid(String part) {
        return part != null && PART.matcher(part).matches() && !part.contains("..") && !part.contains("--");
    }

    /** The folder name in the hub cache: {@code models--Org--Name}. */
    public String cacheFolderName() {
        return owner == null ? "models--" + name : "models--" + owner + "--" + name;
    }

    /** {@code Org/Name}, the form used in hub URLs. */
    @Override
    public String toString() {
        return owner == null ? name : owner + "/" + name;
    }
}
