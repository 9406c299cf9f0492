package qwen2vl4j.preprocess;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The image-processor settings of a model folder ({@code preprocessor_config.json}).
 *
 * @param minPixels least pixel count of a resized image
 * @param maxPixels largest pixel count of a resized image
 * @param patchSize side of a vision patch (14)
 * @param temporalPatchSize frames per patch (2)
 * @param mergeSize patches merged per side into one LLM token (2)
 * @param mean per-channel mean (R, G, B) subtracted after rescaling to [0, 1]
 * @param std per-channel standard deviation divided by after subtracting the mean
 */
public record PreprocessorConfig(long minPixels, long maxPixels, int patchSize, int temporalPatchSize, int mergeSize,
                                 float[] mean, float[] std) {
    /** The file name inside a model folder. */
    public static final String FILE_NAME = "preprocessor_config.json";

    /** The values of Qwen2-VL-2B-Instruct's {@code preprocessor_config.json}. */
    public static final PreprocessorConfig QWEN2_VL = new PreprocessorConfig(3136, 12845056, 14, 2, 2,
            new float[] {0.48145466f, 0.4578275f, 0.40821073f}, new float[] {0.26862954f, 0.26130258f, 0.27577711f});

    public PreprocessorConfig {
        if (mean == null || mean.length != 3 || std == null || std.length != 3) {
            throw new IllegalArgumentException("image mean and std must have 3 values each");
        }
        if (patchSize <= 0 || temporalPatchSize <= 0 || mergeSize <= 0) {
            throw new IllegalArgumentException("patch_size, temporal_patch_size and merge_size must be positive");
        }
        if (minPixels <= 0 || maxPixels < minPixels) {
            throw new IllegalArgumentException("need 0 < min_pixels <= max_pixels, found " + minPixels + ", " + maxPixels);
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** Side length that resized images are multiples of: {@code patchSize * mergeSize} (28). */
    public int factor() {
        return patchSize * mergeSize;
    }

    /** Values per patch row of {@code pixel_values}: {@code 3 * temporalPatchSize * patchSize^2} (1176). */
    public int patchDim() {
        return 3 * temporalPatchSize * patchSize * patchSize;
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    /** A copy with other pixel bounds. */
    public PreprocessorConfig withPixels(long newMin, long newMax) {
        return new PreprocessorConfig(newMin, newMax, patchSize, temporalPatchSize, mergeSize, mean, std);
    }

    /**
     * Reads {@code preprocessor_config.json} from a model folder. Pixel bounds come from
     * {@code min_pixels}/{@code max_pixels} or {@code size.shortest_edge}/{@code size.longest_edge};
     * missing fields take the Qwen2-VL values.
     *
     * @throws IllegalArgumentException naming the file and field when the file is missing or malformed
     */
    public static PreprocessorConfig load(Path modelDir) {
        Path file = modelDir.resolve(FILE_NAME);
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + " does not exist");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is not valid JSON" + qwen2vl4j.io.Json.errorDetail(e));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + " must hold a JSON object");
        }
        PreprocessorConfig d = QWEN2_VL;
        JsonNode size = root.get("size");
        long min = longField(file, root, "min_pixels", size != null && size.isObject()
                ? longField(file, size, "shortest_edge", d.minPixels, "size.") : d.minPixels, "");
        long max = longField(file, root, "max_pixels", size != null && size.isObject()
                ? longField(file, size, "longest_edge", d.maxPixels, "size.") : d.maxPixels, "");
        int patch = (int) longField(file, root, "patch_size", d.patchSize, "");
        int temporal = (int) longField(file, root, "temporal_patch_size", d.temporalPatchSize, "");
        int merge = (int) longField(file, root, "merge_size", d.mergeSize, "");
        float[] mean = floats3(file, root, "image_mean", d.mean);
        float[] std = floats3(file, root, "image_std", d.std);
        for (int c = 0; c < 3; c++) {
            if (!(std[c] > 0)) throw new IllegalArgumentException(file + ": field image_std must be positive, found " + std[c]);
        }
        // Steps Qwen2VLImageProcessor takes that this engine always takes, and so at the value it knows: another
        // value would change the pixels without a word, so it is refused instead of ignored.
        for (String step : new String[] {"do_resize", "do_rescale", "do_normalize", "do_convert_rgb"}) {
            JsonNode n = root.get(step);
            if (n != null && !n.isNull() && !(n.isBoolean() && n.asBoolean())) {
                throw new IllegalArgumentException(file + ": field " + step + " must be true (this engine always takes that step, "
                        + "as Qwen2-VL's processor does), found " + n);
            }
        }
        JsonNode rescale = root.get("rescale_factor");
        if (rescale != null && !rescale.isNull() && !(rescale.isNumber() && Math.abs(rescale.asDouble() * 255 - 1) < 1e-9)) {
            throw new IllegalArgumentException(file + ": field rescale_factor must be 1/255 (the only scale this engine applies), found " + rescale);
        }
        JsonNode resample = root.get("resample");
        if (resample != null && !resample.isNull() && !(resample.isIntegralNumber() && resample.asInt() == 3 && resample.canConvertToInt())) {
            throw new IllegalArgumentException(file + ": field resample must be 3 (bicubic, the only resampling this engine implements), found "
                    + resample);
        }
        try {
            return new PreprocessorConfig(min, max, patch, temporal, merge, mean, std);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    private static long longField(Path file, JsonNode obj, String name, long fallback, String prefix) {
        JsonNode n = obj.get(name);
        if (n == null || n.isNull()) return fallback;
        if (!n.isIntegralNumber() && !(n.isNumber() && n.asDouble() == Math.rint(n.asDouble()))) {
            throw new IllegalArgumentException(file + ": field " + prefix + name + " must be an integer, found " + n);
        }
        long v = n.asLong();
        if (v <= 0 || v > Integer.MAX_VALUE * 16L) {
            throw new IllegalArgumentException(file + ": field " + prefix + name + " must be a positive integer, found " + n);
        }
        return v;
    }

    private static float[] floats3(Path file, JsonNode obj, String name, float[] fallback) {
        JsonNode n = obj.get(name);
        if (n == null || n.isNull()) return fallback.clone();
        if (!n.isArray() || n.size() != 3) {
            throw new IllegalArgumentException(file + ": field " + name + " must be a list of 3 numbers, found " + n);
        }
        float[] out = new float[3];
        for (int i = 0; i < 3; i++) {
            if (!n.get(i).isNumber()) {
                throw new IllegalArgumentException(file + ": field " + name + "[" + i + "] must be a number, found " + n.get(i));
            }
            out[i] = (float) n.get(i).asDouble();
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PreprocessorConfig p && minPixels == p.minPixels && maxPixels == p.maxPixels
                && patchSize == p.patchSize && temporalPatchSize == p.temporalPatchSize && mergeSize == p.mergeSize
                && Arrays.equals(mean, p.mean) && Arrays.equals(std, p.std);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(minPixels) * 31 + Long.hashCode(maxPixels) + Arrays.hashCode(mean) * 7 + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "PreprocessorConfig[minPixels=" + minPixels + ", maxPixels=" + maxPixels + ", patchSize=" + patchSize
                + ", temporalPatchSize=" + temporalPatchSize + ", mergeSize=" + mergeSize
                + ", mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
