package qwen2vl4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.SamplingParams;

/**
 * Reads an OpenAI chat completion request: checks every field it uses for type and range (a mistake is a 400
 * naming the field), tolerates fields it does not know, and fetches the media of image and video parts.
 *
 * <p>Content parts: {@code text}; {@code image_url} ({@code {"url": ...}} or a string, with optional
 * {@code min_pixels} / {@code max_pixels} / {@code resized_height} / {@code resized_width} in the part or in
 * {@code image_url}); {@code image} (qwen-vl-utils style: the URL in {@code "image"}); {@code video_url} (an
 * animated GIF) and {@code video} (a URL or a list of frame image URLs) with {@code fps} / {@code nframes} too.
 * Extensions beyond OpenAI's fields: {@code top_k}, {@code min_p}, {@code repetition_penalty}, {@code ignore_eos}.
 */
final class ChatRequestParser {
    private static final List<String> VISION_OPTIONS = List.of("min_pixels", "max_pixels", "resized_height", "resized_width");
    private static final List<String> VIDEO_OPTIONS = List.of("min_pixels", "max_pixels", "resized_height", "resized_width", "fps", "nframes");
    private static final int MAX_STOP_STRINGS = 16;
    private static final List<String> DETAILS = List.of("auto", "low", "high");

    /** Request fields of OpenAI's API this server does not implement: refused rather than silently ignored. */
    private static final List<String> UNSUPPORTED = List.of("tools", "tool_choice", "functions", "function_call", "logprobs",
            "top_logprobs", "response_format", "audio", "modalities", "prediction", "web_search_options", "logit_bias");

    private final SamplingParams defaults;
    private final MediaFetcher media;
    private final int maxMediaItems;
    private final long minPixels;
    private final long maxMinPixels;
    private final String modelId;

    ChatRequestParser(SamplingParams defaults, MediaFetcher media, int maxMediaItems) {
        this(defaults, media, maxMediaItems, 1, Long.MAX_VALUE, null);
    }

    /**
     * @param minPixels    the floor of an image part that gives only {@code max_pixels} ({@link InferenceEngine#minImagePixels})
     * @param maxMinPixels the largest {@code min_pixels} a part may ask for (the processor's {@code max_pixels})
     * @param modelId      the model this server serves; a request naming another gets 404 (null accepts any name)
     */
    ChatRequestParser(SamplingParams defaults, MediaFetcher media, int maxMediaItems, long minPixels, long maxMinPixels, String modelId) {
        this.defaults = defaults;
        this.media = media;
        this.maxMediaItems = maxMediaItems;
        this.minPixels = minPixels;
        this.maxMinPixels = maxMinPixels;
        this.modelId = modelId;
    }

    ChatRequest parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.badRequest(null, "the request body must be a JSON object, found " + (body == null ? "nothing" : body.getNodeType()));
        }
        String model = optString(body, "model");
        if (model != null && modelId != null && !model.equals(modelId)) {
            throw ApiException.modelNotFound("the model '" + abbreviate(model, 100) + "' does not exist on this server; it serves '" + modelId + "'");
        }
        refuseUnsupported(body);
        optString(body, "user");                    // not used, but a client sending a number has a bug to know of
        int n = optInt(body, "n", 1, 1, 1);
        if (n != 1) throw ApiException.badRequest("n", "n must be 1");
        boolean stream = optBoolean(body, "stream", false);
        boolean includeUsage = false;
        JsonNode streamOptions = body.get("stream_options");
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!streamOptions.isObject()) throw wrongType("stream_options", "an object", streamOptions);
            includeUsage = optBoolean(streamOptions, "include_usage", false, "stream_options.include_usage");
        }
        SamplingParams params = params(body);
        List<Message> messages = messages(body.get("messages"));
        return new ChatRequest(model == null ? "" : model, messages, params, stream, includeUsage);
    }

    /** A field this server would have to ignore is refused: a client relying on it must know. */
    private static void refuseUnsupported(JsonNode body) {
        for (String field : UNSUPPORTED) {
            JsonNode v = body.get(field);
            if (v == null || v.isNull() || v.isMissingNode()) continue;
            boolean harmless = switch (field) {
                case "logprobs" -> v.isBoolean() && !v.booleanValue();
                case "tools", "functions" -> v.isArray() && v.isEmpty();
                case "tool_choice", "function_call" -> v.isTextual() && v.asText().equals("none");
                case "response_format" -> v.isObject() && v.path("type").asText("").equals("text");
                case "modalities" -> v.isArray() && v.size() == 1 && v.get(0).asText("").equals("text");
                case "logit_bias" -> v.isObject() && v.isEmpty();
                default -> false;
            };
            if (!harmless) {
                throw ApiException.badRequest(field, "unsupported_parameter", field + " is not supported by this server"
                        + (field.equals("response_format") ? " (only {\"type\": \"text\"})" : "") + "; remove it from the request");
            }
        }
    }

    // ------------------------------------------------------------------ sampling parameters

    private SamplingParams params(JsonNode body) {
        SamplingParams.Builder b = defaults.toBuilder();
        Integer maxCompletionTokens = optInteger(body, "max_completion_tokens", 1, Integer.MAX_VALUE);
        Integer maxTokens = optInteger(body, "max_tokens", 1, Integer.MAX_VALUE);     // checked even when the first wins
        if (maxCompletionTokens != null) b.maxNewTokens(maxCompletionTokens);
        else if (maxTokens != null) b.maxNewTokens(maxTokens);
        Double temperature = optDouble(body, "temperature", 0, 2);
        // below SamplingParams.MIN_TEMPERATURE the draw is the arg-max anyway, and the float logits divided by it overflow
        // (1e-300 is 0 as a float): greedy, as vLLM does
        if (temperature != null) b.greedy(temperature < SamplingParams.MIN_TEMPERATURE).temperature(temperature);
        Double topP = optDouble(body, "top_p", 0, false, 1, "");
        if (topP != null) b.topP(topP);
        Integer topK = optInteger(body, "top_k", -1, Integer.MAX_VALUE);
        if (topK != null) b.topK(Math.max(topK, 0));                       // -1 (vLLM) and 0 disable
        Double minP = optDouble(body, "min_p", 0, 1);
        if (minP != null) b.minP(minP);
        Double presence = optDouble(body, "presence_penalty", -2, 2);
        if (presence != null) b.presencePenalty(presence);
        Double frequency = optDouble(body, "frequency_penalty", -2, 2);
        if (frequency != null) b.frequencyPenalty(frequency);
        // a penalty under 0.01 divides the logits of repeated tokens past the float range (1e-300 is 0 as a float)
        Double repetition = optDouble(body, "repetition_penalty", SamplingParams.MIN_REPETITION_PENALTY, true,
                SamplingParams.MAX_REPETITION_PENALTY, " (1 disables)");
        if (repetition != null) b.repetitionPenalty(repetition);
        JsonNode seed = body.get("seed");
        if (seed != null && !seed.isNull()) {
            if (!isInteger(seed)) throw wrongType("seed", "an integer", seed);
            if (!seed.isIntegralNumber() || !seed.canConvertToLong()) {
                throw ApiException.badRequest("seed", "seed must be in [" + Long.MIN_VALUE + ", " + Long.MAX_VALUE + "], found " + number(seed));
            }
            b.seed(seed.longValue());
        }
        b.ignoreEos(optBoolean(body, "ignore_eos", false));
        b.stopStrings(stop(body.get("stop")));
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(null, e.getMessage());
        }
    }

    private static List<String> stop(JsonNode stop) {
        if (stop == null || stop.isNull()) return List.of();
        if (stop.isTextual()) {
            if (stop.asText().isEmpty()) throw ApiException.badRequest("stop", "stop must not be an empty string");
            return List.of(stop.asText());
        }
        if (!stop.isArray()) throw wrongType("stop", "a string or a list of strings", stop);
        if (stop.size() > MAX_STOP_STRINGS) throw ApiException.badRequest("stop", "stop holds " + stop.size() + " strings; at most " + MAX_STOP_STRINGS);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < stop.size(); i++) {
            JsonNode s = stop.get(i);
            if (!s.isTextual() || s.asText().isEmpty()) throw wrongType("stop[" + i + "]", "a non-empty string", s);
            out.add(s.asText());
        }
        return out;
    }

    // ------------------------------------------------------------------ messages

    private List<Message> messages(JsonNode array) {
        if (array == null || array.isNull()) throw ApiException.badRequest("messages", "messages is required");
        if (!array.isArray()) throw wrongType("messages", "a list of messages", array);
        if (array.isEmpty()) throw ApiException.badRequest("messages", "messages must not be empty");
        List<Message> out = new ArrayList<>();
        int[] mediaCount = {0};
        for (int i = 0; i < array.size(); i++) out.add(message(array.get(i), "messages[" + i + "]", mediaCount));
        return out;
    }

    private Message message(JsonNode node, String where, int[] mediaCount) {
        if (!node.isObject()) throw wrongType(where, "an object", node);
        JsonNode role = node.get("role");
        if (role == null || !role.isTextual()) throw wrongType(where + ".role", "a string", role);
        if (!Message.ROLES.contains(role.asText())) {
            throw ApiException.badRequest(where + ".role", where + ".role must be one of " + Message.ROLES + ", found '" + role.asText() + "'");
        }
        String r = role.asText().equals("developer") ? "system" : role.asText();
        JsonNode content = node.get("content");
        if (content == null || content.isNull()) return Message.of(r, "");
        if (content.isTextual()) return Message.of(r, content.asText());
        if (!content.isArray()) throw wrongType(where + ".content", "a string or a list of content parts", content);
        List<ContentPart> parts = new ArrayList<>();
        for (int p = 0; p < content.size(); p++) parts.add(part(content.get(p), where + ".content[" + p + "]", mediaCount));
        return new Message(r, parts);
    }

    private ContentPart part(JsonNode node, String where, int[] mediaCount) {
        if (!node.isObject()) throw wrongType(where, "an object", node);
        JsonNode typeNode = node.get("type");
        if (typeNode == null || !typeNode.isTextual()) throw wrongType(where + ".type", "a string", typeNode);
        String type = typeNode.asText();
        switch (type) {
            case "text" -> {
                JsonNode text = node.get("text");
                if (text == null || !text.isTextual()) throw wrongType(where + ".text", "a string", text);
                return new ContentPart.Text(text.asText());
            }
            case "image_url", "image" -> {
                countMedia(mediaCount, where);
                checkDetail(node.path(type).get("detail"), where + "." + type + ".detail");
                MediaField field = MediaField.of(this, node, type, VISION_OPTIONS, where, minPixels);
                return new ContentPart.Image(fetch(url(field.url(), field.where()), field.where()), field.options());
            }
            case "video_url", "video" -> {
                countMedia(mediaCount, where);
                MediaField field = MediaField.of(this, node, type, VIDEO_OPTIONS, where, 0);
                List<MediaSource> frames = new ArrayList<>();
                if (field.url() != null && field.url().isArray()) {
                    if (field.url().isEmpty()) throw ApiException.badRequest(field.where(), field.where() + " must hold at least one frame URL");
                    for (int f = 0; f < field.url().size(); f++) {
                        String fw = field.where() + "[" + f + "]";
                        frames.add(fetch(url(field.url().get(f), fw), fw));
                    }
                } else {
                    frames.add(fetch(url(field.url(), field.where()), field.where()));
                }
                return new ContentPart.Video(frames, field.options());
            }
            default -> throw ApiException.badRequest(where + ".type", where + ".type '" + type
                    + "' is not supported (expected text, image_url, image, video_url or video)");
        }
    }

    /**
     * Where a media part keeps its URL: in the field named by its type, either directly or as {@code {"url": ...}};
     * options may stand in the part and in that object.
     *
     * @param url     the URL node (a string, or for videos a list of frame URLs; null when missing)
     * @param where   the URL's field, for errors and as the media's name
     * @param options the part's vision options
     */
    private record MediaField(JsonNode url, String where, Map<String, Object> options) {
        /** @param floor the min_pixels a part's max_pixels must reach when the part gives none (0: none, as for videos) */
        static MediaField of(ChatRequestParser parser, JsonNode part, String type, List<String> optionKeys, String partWhere, long floor) {
            JsonNode holder = part.get(type);
            String where = partWhere + "." + type;
            Map<String, Object> options = parser.options(part, optionKeys, partWhere);
            Map<String, String> fields = new LinkedHashMap<>();              // option -> the field that gave it
            options.keySet().forEach(k -> fields.put(k, partWhere + "." + k));
            if (holder != null && holder.isObject()) {
                Map<String, Object> inner = parser.options(holder, optionKeys, where);
                for (String k : inner.keySet()) fields.put(k, where + "." + k);
                options.putAll(inner);
                holder = holder.get("url");
                where += ".url";
            }
            checkTogether(options, fields, floor);
            return new MediaField(holder, where, options);
        }

        /**
         * Options that only mean something together: min_pixels at most max_pixels (the default min_pixels when the part
         * gives none, unless it gives a resized size), both resized sides or none.
         */
        private static void checkTogether(Map<String, Object> options, Map<String, String> fields, long floor) {
            boolean height = options.containsKey("resized_height"), width = options.containsKey("resized_width");
            if (options.get("max_pixels") instanceof Long max) {
                String f = fields.get("max_pixels");
                if (options.get("min_pixels") instanceof Long min && min > max) {
                    throw ApiException.badRequest(f, f + " must be at least min_pixels (" + min + "), found " + max);
                }
                if (!options.containsKey("min_pixels") && !(height && width) && max < floor) {
                    throw ApiException.badRequest(f, f + " must be at least the default min_pixels (" + floor
                            + ") unless the part gives a smaller min_pixels too, found " + max);
                }
            }
            if (height != width) {
                String f = fields.get(height ? "resized_height" : "resized_width");
                throw ApiException.badRequest(f, f + " needs " + (height ? "resized_width" : "resized_height")
                        + " too: a resized size takes both sides");
            }
        }
    }

    /** OpenAI's {@code image_url.detail}: not used (the pixel budget decides), but a value OpenAI refuses is refused. */
    private static void checkDetail(JsonNode detail, String where) {
        if (detail == null || detail.isNull()) return;
        if (!detail.isTextual()) throw wrongType(where, "one of " + String.join(", ", DETAILS), detail);
        if (!DETAILS.contains(detail.asText())) {
            throw ApiException.badRequest(where, where + " must be one of " + String.join(", ", DETAILS) + ", found '"
                    + abbreviate(detail.asText(), 40) + "'");
        }
    }

    /** The bytes {@code url} names, named by the request field {@code where}. */
    private MediaSource fetch(String url, String where) {
        return new MediaSource.BytesSource(media.fetch(url, where), where);
    }

    private void countMedia(int[] mediaCount, String where) {
        if (++mediaCount[0] > maxMediaItems) {
            throw ApiException.badRequest(where, "too many images and videos: at most " + maxMediaItems + " per request");
        }
    }

    private static String url(JsonNode node, String where) {
        if (node == null || !node.isTextual() || node.asText().isEmpty()) throw wrongType(where, "a non-empty URL string", node);
        return node.asText();
    }

    private Map<String, Object> options(JsonNode node, List<String> keys, String where) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String key : keys) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) continue;
            String field = where + "." + key;
            if (!v.isNumber() || !Double.isFinite(v.asDouble())) throw wrongType(field, key.equals("fps") ? "a positive number" : "a positive integer", v);
            if (key.equals("fps")) {
                double fps = v.asDouble();
                if (!(fps > 0 && fps <= 1000)) throw ApiException.badRequest(field, field + " must be in (0, 1000], found " + number(v));
                out.put(key, fps);
                continue;
            }
            if (!isInteger(v)) throw wrongType(field, "a positive integer", v);
            long max = switch (key) {
                case "min_pixels" -> maxMinPixels;
                case "max_pixels" -> 1L << 53;
                default -> Integer.MAX_VALUE;            // resized_height, resized_width, nframes
            };
            double d = v.asDouble();
            if (!(d >= 1 && d <= max)) {
                throw ApiException.badRequest(field, field + " must be in [1, " + max + "]"
                        + (key.equals("min_pixels") ? " (the model's max_pixels)" : "") + ", found " + number(v));
            }
            out.put(key, (long) d);
        }
        return out;
    }

    // ------------------------------------------------------------------ typed fields

    private static String optString(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw wrongType(field, "a string", v);
        return v.asText();
    }

    private static boolean optBoolean(JsonNode body, String field, boolean fallback) {
        return optBoolean(body, field, fallback, field);
    }

    private static boolean optBoolean(JsonNode body, String field, boolean fallback, String name) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return fallback;
        if (!v.isBoolean()) throw wrongType(name, "true or false", v);
        return v.booleanValue();
    }

    private static int optInt(JsonNode body, String field, int fallback, int min, int max) {
        Integer v = optInteger(body, field, min, max);
        return v == null ? fallback : v;
    }

    private static Integer optInteger(JsonNode body, String field, int min, int max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return null;
        if (!isInteger(v)) throw wrongType(field, "an integer", v);
        double d = v.doubleValue();
        if (!(d >= min && d <= max)) throw ApiException.badRequest(field, field + " must be in [" + min + ", " + max + "], found " + number(v));
        return (int) d;
    }

    /** An integer, also when written with a fraction or exponent ({@code 1e12}, {@code 5.0}). */
    private static boolean isInteger(JsonNode v) {
        if (v.isIntegralNumber()) return true;
        if (!v.isNumber()) return false;
        double d = v.doubleValue();
        return Double.isFinite(d) && d == Math.rint(d);
    }

    /** A number as the request wrote it, shortened. */
    private static String number(JsonNode v) {
        return abbreviate(v.isIntegralNumber() ? v.bigIntegerValue().toString() : v.decimalValue().toPlainString(), 40);
    }

    static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    private static Double optDouble(JsonNode body, String field, double min, double max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw wrongType(field, "a number", v);
        double d = v.doubleValue();
        if (!(d >= min && d <= max)) throw ApiException.badRequest(field, field + " must be in [" + min + ", " + max + "], found " + d);
        return d;
    }

    /**
     * A number in {@code [min, max]} or {@code (min, max]}, the range written as such in the message ({@code top_p must be
     * in (0, 1], found 0}), then {@code note}.
     */
    private static Double optDouble(JsonNode body, String field, double min, boolean minIncluded, double max, String note) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw wrongType(field, "a number", v);
        double d = v.doubleValue();
        if (!((minIncluded ? d >= min : d > min) && d <= max)) {
            throw ApiException.badRequest(field, field + " must be in " + (minIncluded ? "[" : "(") + number(min) + ", " + number(max) + "]"
                    + note + ", found " + (!Double.isFinite(d) ? Double.toString(d) : v.isIntegralNumber() ? number(v) : number(d)));
        }
        return d;
    }

    private static String number(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        String plain = java.math.BigDecimal.valueOf(d).toPlainString();
        return plain.length() <= 20 ? plain : Double.toString(d);
    }

    private static ApiException wrongType(String field, String expected, JsonNode found) {
        String what = found == null || found.isMissingNode() ? "nothing" : found.isNull() ? "null" : found.getNodeType().toString().toLowerCase();
        return ApiException.badRequest(field, field + " must be " + expected + ", found " + what);
    }
}
