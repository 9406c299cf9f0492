package qwen2vl4j.hub;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;

/** Turns the hub's error answers and network failures into one-line messages that say what to do. */
final class HubErrors {
    private HubErrors() {}

    /**
     * An error answer to a request about {@code repo} at {@code revision}; {@code filename} is the file
     * asked for, or null for the repo listing.
     */
    static HubException forAnswer(int status, HttpHeaders headers, HubSettings settings, RepoId repo, String revision, String filename) {
        String code = headers.firstValue("X-Error-Code").orElse("");
        String detail = headers.firstValue("X-Error-Message").map(m -> " (hub says: " + oneLine(m) + ")").orElse("");
        String what = filename == null ? "repo " + repo : "file " + filename + " of repo " + repo;
        String message = switch (status) {
            case 401 -> settings.token() == null
                    ? "access to " + what + " was refused (HTTP 401): the repo is gated, private or does not exist; "
                      + "set HF_TOKEN to a token that has access"
                    : "access to " + what + " was refused (HTTP 401): the repo does not exist or the token in HF_TOKEN "
                      + "is not valid for it";
            case 403 -> "access to " + what + " is forbidden (HTTP 403): if the repo is gated, accept its conditions at "
                    + settings.endpoint() + "/" + repo + " with the account of your token";
            case 404 -> switch (code) {
                case "RevisionNotFound" -> "revision " + revision + " not found in repo " + repo + " at " + settings.endpoint() + " (HTTP 404)";
                case "EntryNotFound" -> "file " + filename + " not found in repo " + repo + " at revision " + revision + " (HTTP 404)";
                default -> filename == null || code.equals("RepoNotFound")
                        ? "repo " + repo + " not found at " + settings.endpoint() + " (HTTP 404): check the spelling Org/Name"
                        : "file " + filename + " not found in repo " + repo + " at revision " + revision + " (HTTP 404)";
            };
            case 429 -> "the hub is rate limiting requests for " + what + " (HTTP 429): wait a moment and run again";
            default -> "the hub answered HTTP " + status + " for " + what + " at revision " + revision;
        };
        return new HubException(message + detail);
    }

    /** The hub (or the CDN) could not be reached at all. */
    static HubException unreachable(URI uri, IOException e) {
        return new HubException("cannot reach " + uri.getScheme() + "://" + uri.getAuthority() + " (" + reason(e)
                + "): check the network connection, or set HF_HUB_OFFLINE=1 to use only models already in the cache", e);
    }

    /** A short reason for a network failure, digging into causes for the useful one. */
    static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) return "unknown host";
            if (t instanceof HttpConnectTimeoutException) return "connection timed out";
            if (t instanceof HttpTimeoutException) return "timed out";
            if (t instanceof ConnectException && t.getMessage() != null && !t.getMessage().isBlank()) return oneLine(t.getMessage());
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) return oneLine(t.getMessage());
        }
        return e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName();
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }
}
