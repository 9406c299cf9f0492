package qwen2vl4j.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import qwen2vl4j.io.ModelFolder;

/**
 * How to reach the hub and where its cache lives, read from the same environment variables as
 * the Python {@code huggingface_hub} library so that both share one cache:
 * {@code HF_ENDPOINT} (default {@code https://huggingface.co}), {@code HF_TOKEN} (else the token file
 * {@code $HF_TOKEN_PATH}, else {@code $HF_HOME/token}, else {@code ~/.cache/huggingface/token}),
 * {@code HF_HUB_OFFLINE} ({@code 1}, {@code true}, {@code yes} or {@code on}: never use the network),
 * and the cache folder of {@link ModelFolder#hubCache}.
 *
 * @param endpoint     base URL of the hub, without a trailing slash
 * @param token        access token sent as {@code Authorization: Bearer}, or {@code null}
 * @param offline      whether the network must not be used
 * @param cacheDir     the hub cache folder (holding {@code models--Org--Name})
 * @param maxRetries   how many times a cut download is retried (resuming) before giving up
 * @param retryBackoff wait before the first retry; doubled for each further one
 */
public record HubSettings(URI endpoint, String token, boolean offline, Path cacheDir, int maxRetries, Duration retryBackoff) {
    /** The public hub. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE_VALUES = Set.of("1", "ON", "YES", "TRUE");

    public HubSettings {
        if (endpoint == null) throw new HubException("hub endpoint is missing");
        if (cacheDir == null) throw new HubException("hub cache folder is missing");
        if (maxRetries < 0) throw new HubException("maxRetries must be >= 0, found " + maxRetries);
        if (retryBackoff == null || retryBackoff.isNegative()) throw new HubException("retryBackoff must be >= 0, found " + retryBackoff);
        if (token != null && token.isBlank()) token = null;
    }

    /** Settings from the process environment and the user's home folder. */
    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv(), Paths.get(System.getProperty("user.home")));
    }

    /** Settings from the given environment and home folder (the home is used for the default cache and token file). */
    public static HubSettings fromEnvironment(Map<String, String> env, Path home) {
        return new HubSettings(endpoint(env), token(env, home), isTrue(env.get("HF_HUB_OFFLINE")),
                ModelFolder.hubCache(env, home), 5, Duration.ofSeconds(1));
    }

    /** The same settings with another retry policy. */
    public HubSettings withRetries(int maxRetries, Duration retryBackoff) {
        return new HubSettings(endpoint, token, offline, cacheDir, maxRetries, retryBackoff);
    }

    private static URI endpoint(Map<String, String> env) {
        String text = env.getOrDefault("HF_ENDPOINT", "");
        if (text.isBlank()) text = DEFAULT_ENDPOINT;
        text = text.strip();
        while (text.endsWith("/")) text = text.substring(0, text.length() - 1);
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                throw new HubException("HF_ENDPOINT " + text + " is not an http(s) URL such as " + DEFAULT_ENDPOINT);
            }
            return uri;
        } catch (java.net.URISyntaxException e) {
            throw new HubException("HF_ENDPOINT " + text + " is not a valid URL: " + e.getMessage(), e);
        }
    }

    private static String token(Map<String, String> env, Path home) {
        String token = env.get("HF_TOKEN");
        if (token != null && !token.isBlank()) return token.strip();
        Path file = tokenFile(env, home);
        try {
            if (Files.isRegularFile(file)) {
                String fromFile = Files.readString(file).strip();
                return fromFile.isEmpty() ? null : fromFile;
            }
        } catch (IOException e) {
            throw new HubException("cannot read the hub token file " + file + ": " + e.getMessage(), e);
        }
        return null;
    }

    private static Path tokenFile(Map<String, String> env, Path home) {
        String path = env.get("HF_TOKEN_PATH");
        if (path != null && !path.isBlank()) return Paths.get(path);
        return ModelFolder.hfHome(env, home).resolve("token");
    }

    private static boolean isTrue(String value) {
        return value != null && TRUE_VALUES.contains(value.strip().toUpperCase(Locale.ROOT));
    }

    /** Hides the token when printed. */
    @Override
    public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", token=" + (token == null ? "none" : "***") + ", offline=" + offline
                + ", cacheDir=" + cacheDir + ", maxRetries=" + maxRetries + ", retryBackoff=" + retryBackoff + "]";
    }
}
