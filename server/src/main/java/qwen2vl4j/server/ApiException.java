package qwen2vl4j.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request the server answers with an error, in OpenAI's format:
 * {@code {"error": {"message", "type", "param", "code"}}} with an HTTP status.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final int retryAfterSeconds;

    public ApiException(int status, String type, String code, String param, String message, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400 invalid_request_error; {@code param} names the offending field (may be null). */
    public static ApiException badRequest(String param, String message) {
        return new ApiException(400, "invalid_request_error", null, param, message, 0);
    }

    /** 400 with a machine-readable code (e.g. context_length_exceeded). */
    public static ApiException badRequest(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", code, param, message, 0);
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(401, "invalid_request_error", "invalid_api_key", null, message, 0);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "invalid_request_error", "not_found", null, message, 0);
    }

    /** 404 model_not_found, as OpenAI answers a model name it does not serve. */
    public static ApiException modelNotFound(String message) {
        return new ApiException(404, "invalid_request_error", "model_not_found", "model", message, 0);
    }

    public static ApiException methodNotAllowed(String message) {
        return new ApiException(405, "invalid_request_error", "method_not_allowed", null, message, 0);
    }

    public static ApiException tooLarge(String message) {
        return new ApiException(413, "invalid_request_error", "request_too_large", null, message, 0);
    }

    public static ApiException busy(String message, int retryAfterSeconds) {
        return new ApiException(429, "rate_limit_error", "server_busy", null, message, retryAfterSeconds);
    }

    public static ApiException internal(String message) {
        return new ApiException(500, "server_error", null, null, message, 0);
    }

    public int status() {
        return status;
    }

    /** Seconds for a Retry-After header; 0 for none. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** The JSON body. */
    public Map<String, Object> body() {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return Map.of("error", error);
    }
}
