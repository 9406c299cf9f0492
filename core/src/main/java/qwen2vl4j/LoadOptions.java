package qwen2vl4j;

import java.util.Objects;
import qwen2vl4j.io.WeightFormat;
import qwen2vl4j.kernels.ComputeBackends;
import qwen2vl4j.kernels.ComputePool;
import qwen2vl4j.io.Precision;
import qwen2vl4j.preprocess.FrameSampling;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.text.KvCacheType;

/**
 * How {@link Qwen2VL#load(String, LoadOptions)} loads a model. Every field has a default that reproduces the
 * Hugging Face reference: {@code LoadOptions.defaults()}, or {@code LoadOptions.builder()...build()}.
 *
 * @param weights        the form of the large matrices: as stored (bf16, mapped) or quantized at load (q8_0, q4_0)
 * @param kvCache        how every session stores its cached keys and values
 * @param maxImagePixels images whose header claims more pixels are refused before decoding
 * @param minPixels      the smallest pixel budget of an image part without its own {@code min_pixels}; 0 keeps
 *                       preprocessor_config.json's (a part's own bounds always win)
 * @param maxPixels      the largest pixel budget of an image part without its own {@code max_pixels}; 0 keeps
 *                       preprocessor_config.json's
 * @param threads        threads the kernels split work across, the caller included; 0 uses every available processor.
 *                       The pool is shared by the whole JVM, so the last load that sets it wins.
 * @param videoMaxPixels the largest pixel budget of one video frame, for videos whose part gives no {@code max_pixels};
 *                       0 keeps qwen-vl-utils' rule (768 tokens per frame, less for long videos)
 * @param fps            frames per second sampled from a video file whose part gives no {@code fps}; 0 keeps 2.0
 * @param maxFrames      most frames sampled from a video file (a part's {@code nframes} is used as given); 0 keeps 768
 * @param backend        the {@link qwen2vl4j.kernels.ComputeBackend} the matrix products run on, by name: {@code auto}
 *                       (the best available, today {@code java}), {@code java}, or an installed provider's name
 *                       ({@link ComputeBackends#available()}); an unknown name is refused at load, listing those; one
 *                       that cannot run here falls back to {@code java} with one line that says why
 * @param precision      the arithmetic of the large matrix products: {@link Precision#F32} (the reference) or
 *                       {@link Precision#BF16} (bf16 inputs, f32 accumulation, on a backend with a bf16 matrix unit;
 *                       elsewhere the Java kernels compute in f32 and say so once)
 */
public record LoadOptions(WeightFormat weights, KvCacheType kvCache, long maxImagePixels, long minPixels, long maxPixels,
                          int threads, long videoMaxPixels, double fps, int maxFrames, String backend, Precision precision) {
    /** The most frames qwen-vl-utils samples from a video, and so the largest {@code maxFrames}. */
    public static final int MAX_FRAMES = FrameSampling.FPS_MAX_FRAMES;
    /** The smallest pixel budget a front end's flag takes: one visual token's 28×28 pixels. */
    public static final long MIN_PIXEL_BUDGET = 28 * 28;

    /**
     * Checks a compute backend name given by a front end's flag {@code flag}: {@code auto}, {@code java} or an installed
     * backend's (one that cannot run on this machine is taken: the load falls back to {@code java} and says why).
     *
     * @throws IllegalArgumentException naming the flag, the names this machine has and the value
     */
    public static void checkBackend(String flag, String name) {
        if (!ComputeBackends.isKnown(name)) {
            throw new IllegalArgumentException(flag + " must be one of " + String.join(", ", ComputeBackends.available()) + ", found '" + name + "'");
        }
    }

    /**
     * Checks a pixel budget given by a front end's flag {@code flag} (e.g. {@code --max-pixels}): one visual token's
     * 28×28 pixels to the image pixel limit; 0, where {@code zeroKeepsDefault}, keeps the preprocessor's.
     *
     * @throws IllegalArgumentException naming the flag, its range and the value
     */
    public static void checkPixelBudget(String flag, long value, boolean zeroKeepsDefault) {
        if (zeroKeepsDefault && value == 0) return;
        if (value < MIN_PIXEL_BUDGET || value > ImageDecoder.DEFAULT_MAX_PIXELS) {
            throw new IllegalArgumentException(flag + " must be in [" + MIN_PIXEL_BUDGET + ", " + ImageDecoder.DEFAULT_MAX_PIXELS
                    + "] pixels (one 28x28 visual token to the image pixel limit" + (zeroKeepsDefault ? "; 0 = the preprocessor's" : "")
                    + "), got " + value);
        }
    }

    public LoadOptions {
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(kvCache, "kvCache");
        if (maxImagePixels < 1) throw new IllegalArgumentException("maxImagePixels must be at least 1, got " + maxImagePixels);
        if (minPixels < 0) throw new IllegalArgumentException("minPixels must be at least 0 (0 = the preprocessor's), got " + minPixels);
        if (maxPixels < 0) throw new IllegalArgumentException("maxPixels must be at least 0 (0 = the preprocessor's), got " + maxPixels);
        if (minPixels > 0 && maxPixels > 0 && minPixels > maxPixels) {
            throw new IllegalArgumentException("minPixels " + minPixels + " is larger than maxPixels " + maxPixels);
        }
        if (videoMaxPixels < 0) throw new IllegalArgumentException("videoMaxPixels must be at least 0 (0 = qwen-vl-utils' rule), got " + videoMaxPixels);
        if (!(fps >= 0) || Double.isInfinite(fps)) throw new IllegalArgumentException("fps must be at least 0 (0 = 2.0), got " + fps);
        if (maxFrames != 0 && (maxFrames < FrameSampling.FRAME_FACTOR || maxFrames > MAX_FRAMES)) {
            throw new IllegalArgumentException("maxFrames must be in [" + FrameSampling.FRAME_FACTOR + ", " + MAX_FRAMES + "] (0 = "
                    + MAX_FRAMES + "), got " + maxFrames);
        }
        if (threads < 0 || threads > ComputePool.MAX_THREADS) {
            throw new IllegalArgumentException("threads must be in [0, " + ComputePool.MAX_THREADS + "] (0 = all available processors), got " + threads);
        }
        Objects.requireNonNull(backend, "backend");
        if (backend.isBlank()) throw new IllegalArgumentException("backend must name a compute backend (auto, java, ...), got '" + backend + "'");
        Objects.requireNonNull(precision, "precision");
    }

    /** The options without a backend or precision choice: {@code auto}, f32. */
    public LoadOptions(WeightFormat weights, KvCacheType kvCache, long maxImagePixels, long minPixels, long maxPixels, int threads,
                       long videoMaxPixels, double fps, int maxFrames) {
        this(weights, kvCache, maxImagePixels, minPixels, maxPixels, threads, videoMaxPixels, fps, maxFrames, ComputeBackends.AUTO, Precision.F32);
    }

    /** The reference settings: bf16 weights as stored, f32 KV cache, the preprocessor's and qwen-vl-utils' budgets, every core, the best backend, f32. */
    public static LoadOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        return new Builder().weights(weights).kvCache(kvCache).maxImagePixels(maxImagePixels).minPixels(minPixels)
                .maxPixels(maxPixels).threads(threads).videoMaxPixels(videoMaxPixels).fps(fps).maxFrames(maxFrames).backend(backend).precision(precision);
    }

    /** Builds {@link LoadOptions}; unset fields keep their defaults. */
    public static final class Builder {
        private WeightFormat weights = WeightFormat.BF16;
        private KvCacheType kvCache = KvCacheType.F32;
        private long maxImagePixels = ImageDecoder.DEFAULT_MAX_PIXELS;
        private long minPixels;
        private long maxPixels;
        private int threads;
        private long videoMaxPixels;
        private double fps;
        private int maxFrames;
        private String backend = ComputeBackends.AUTO;
        private Precision precision = Precision.F32;

        private Builder() {}

        public Builder videoMaxPixels(long pixels) {
            this.videoMaxPixels = pixels;
            return this;
        }

        public Builder fps(double fps) {
            this.fps = fps;
            return this;
        }

        public Builder maxFrames(int frames) {
            this.maxFrames = frames;
            return this;
        }

        public Builder weights(WeightFormat format) {
            this.weights = format;
            return this;
        }

        public Builder kvCache(KvCacheType type) {
            this.kvCache = type;
            return this;
        }

        public Builder maxImagePixels(long pixels) {
            this.maxImagePixels = pixels;
            return this;
        }

        public Builder minPixels(long pixels) {
            this.minPixels = pixels;
            return this;
        }

        public Builder maxPixels(long pixels) {
            this.maxPixels = pixels;
            return this;
        }

        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /** The compute backend by name: {@code auto} (default), {@code java}, or an installed provider's. */
        public Builder backend(String name) {
            this.backend = name;
            return this;
        }

        /** The arithmetic of the large matrix products: {@link Precision#F32} (default, the reference) or bf16. */
        public Builder precision(Precision precision) {
            this.precision = precision;
            return this;
        }

        /** @throws IllegalArgumentException naming the field that is out of range */
        public LoadOptions build() {
            return new LoadOptions(weights, kvCache, maxImagePixels, minPixels, maxPixels, threads, videoMaxPixels, fps, maxFrames, backend, precision);
        }
    }
}
