package qwen2vl4j.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import qwen2vl4j.ModelInputs;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.chat.Messages;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.Generator;
import qwen2vl4j.generate.LogitsSource;
import qwen2vl4j.generate.SamplingParams;
import qwen2vl4j.generate.TokenListener;
import qwen2vl4j.preprocess.ImageDecodeException;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.ImageProcessor;
import qwen2vl4j.preprocess.PixelValues;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.preprocess.RgbImage;
import qwen2vl4j.preprocess.VideoProcessor;
import qwen2vl4j.preprocess.VideoFiles;
import qwen2vl4j.preprocess.VisionOptions;
import qwen2vl4j.text.RopeIndex;
import qwen2vl4j.text.TextSession;

/**
 * The model side of the server: turns a request's messages into model inputs (decoding the media it carries as
 * bytes) and generates, each request with its own KV cache. With a {@link DecodeScheduler} the decode steps of
 * concurrent generations run batched; without one each generation decodes on its own thread. Either way a
 * request's answer is the same as {@link Qwen2VL#generate} with the same messages and parameters.
 */
final class InferenceEngine implements AutoCloseable {
    /** Images whose header claims more pixels than this are refused before decoding. */
    private static final long MAX_IMAGE_PIXELS = 64L << 20;

    private final Qwen2VL model;
    private final ImageDecoder decoder = new ImageDecoder(MAX_IMAGE_PIXELS);
    private final ImageProcessor imageProcessor;
    private final VideoProcessor videoProcessor;
    private final RopeIndex ropeIndex;
    private final Generator generator;
    private final DecodeScheduler scheduler;

    InferenceEngine(Qwen2VL model, boolean batching, int maxBatch, Metrics metrics) {
        this.model = model;
        PreprocessorConfig preprocessor = PreprocessorConfig.load(model.folder());
        this.imageProcessor = new ImageProcessor(preprocessor);
        this.videoProcessor = new VideoProcessor(preprocessor);
        this.ropeIndex = RopeIndex.of(model.config());
        this.generator = model.generator();
        this.scheduler = batching ? new DecodeScheduler(model.text(), maxBatch, metrics) : null;
    }

    /** The model's default decoding options (generation_config.json). */
    SamplingParams defaults() {
        return model.defaultParams();
    }

    /**
     * A request's model inputs.
     *
     * @param inputs    token ids and patches
     * @param imageSize {@code {width, height}} of the last image (what grounding boxes refer to), null without images
     */
    record Prepared(ModelInputs inputs, int[] imageSize) {
    }

    /**
     * Renders, tokenizes and preprocesses {@code messages}.
     *
     * @throws ApiException 400 for media that cannot be decoded, bad vision options, or a prompt over the context
     */
    Prepared prepare(List<Message> messages) {
        String prompt = model.processor().render(messages, true, false);
        List<PixelValues> images = new ArrayList<>();
        int[] imageSize = null;
        for (ContentPart.Image image : Messages.images(messages)) {
            MediaSource.BytesSource bytes = bytes(image.source());
            RgbImage rgb = decode(() -> decoder.decode(bytes.bytes(), bytes.name()), bytes.name());
            images.add(decode(() -> imageProcessor.process(rgb, options(image.options(), bytes.name())).pixelValues(), bytes.name()));
            imageSize = new int[] {rgb.width(), rgb.height()};
        }
        List<PixelValues> videos = new ArrayList<>();
        for (ContentPart.Video video : Messages.videos(messages)) videos.add(video(video));
        ModelInputs inputs = model.processor().expand(prompt, model.tokenizer().encode(prompt), images, videos);
        int limit = model.contextLength();
        if (inputs.ids().length >= limit) {
            throw ApiException.badRequest("messages", "context_length_exceeded", "the prompt holds " + inputs.ids().length
                    + " tokens (" + inputs.imageTokens() + " for images, " + inputs.videoTokens() + " for videos); the context holds "
                    + limit + " tokens, answer included");
        }
        return new Prepared(inputs, imageSize);
    }

    /** {@code ids} decoded with their special tokens (for grounding boxes). */
    String decodeWithSpecialTokens(int[] ids) {
        return model.tokenizer().decodeGenerated(ids, false);
    }

    /**
     * Generates the answer to {@code inputs}; {@code params.maxNewTokens()} is cut to the room left in the context.
     * The listener may throw to stop the generation at once (e.g. when the client went away).
     */
    GenerationResult generate(ModelInputs inputs, SamplingParams params, TokenListener listener) {
        int[] ids = inputs.ids();
        float[] imageEmbeds = inputs.images() == null ? null
                : model.vision().forward(inputs.images().data(), inputs.images().rows(), inputs.images().grids());
        float[] videoEmbeds = inputs.videos() == null ? null
                : model.vision().forward(inputs.videos().data(), inputs.videos().rows(), inputs.videos().grids());
        int[][] positions = ropeIndex.compute(ids,
                inputs.images() == null ? null : inputs.images().gridArray(),
                inputs.videos() == null ? null : inputs.videos().gridArray()).positions();
        int room = model.contextLength() - ids.length;
        SamplingParams bounded = params.maxNewTokens() > room ? params.toBuilder().maxNewTokens(room).build() : params;
        TextSession session = model.newSession();
        boolean[] joined = {false};
        LogitsSource source = new LogitsSource() {
            @Override
            public float[] prefill() {
                float[] logits = session.prefill(ids, imageEmbeds, videoEmbeds, positions);
                if (scheduler != null) {
                    scheduler.join();
                    joined[0] = true;
                }
                return logits;
            }

            @Override
            public float[] next(int tokenId) {
                return scheduler == null ? session.decode(tokenId) : scheduler.step(session, tokenId);
            }
        };
        try {
            GenerationResult result = generator.generate(source, ids, bounded, listener);
            return result.withUsage(result.usage().withMediaTokens(inputs.imageTokens(), inputs.videoTokens()));
        } finally {
            if (joined[0]) scheduler.leave();
        }
    }

    private PixelValues video(ContentPart.Video video) {
        List<MediaSource> frames = video.frames();
        String name = bytes(frames.get(0)).name();
        VisionOptions options = options(video.options(), name);
        if (frames.size() == 1) {
            MediaSource.BytesSource b = bytes(frames.get(0));
            if (VideoFiles.sniffContainer(b.bytes()) != null) {   // an MP4 / WebM / MOV / AVI file, sampled at 2 fps
                return decode(() -> VideoFiles.load(b.bytes(), b.name(), options).process(videoProcessor, options), name);
            }
            ImageDecoder.Animation a = decode(() -> decoder.decodeAnimation(b.bytes(), b.name()), name);
            if (a.frames().size() > 1) {
                double fps = Double.isNaN(a.fps()) ? 10.0 : a.fps();
                return decode(() -> videoProcessor.processVideo(a.frames(), fps, options), name);
            }
            return decode(() -> videoProcessor.processFrameList(a.frames(), options), name);
        }
        List<RgbImage> decoded = new ArrayList<>();
        for (MediaSource f : frames) {
            MediaSource.BytesSource b = bytes(f);
            decoded.add(decode(() -> decoder.decode(b.bytes(), b.name()), b.name()));
        }
        return decode(() -> videoProcessor.processFrameList(decoded, options), name);
    }

    private static MediaSource.BytesSource bytes(MediaSource source) {
        if (source instanceof MediaSource.BytesSource b) return b;
        throw new IllegalStateException("the server only passes fetched bytes, found " + source);
    }

    /** qwen-vl-utils' per-item options; a bad value is a 400 naming the part. */
    private static VisionOptions options(Map<String, Object> o, String where) {
        try {
            return VisionOptions.fromMap(o);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw ApiException.badRequest(where, where + ": " + e.getMessage());
        }
    }

    private interface MediaStep<T> {
        T run();
    }

    /** Runs a decoding or preprocessing step; its input errors become 400s naming the request field. */
    private static <T> T decode(MediaStep<T> step, String where) {
        try {
            return step.run();
        } catch (ImageDecodeException e) {
            throw ApiException.badRequest(where, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(where, where + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (scheduler != null) scheduler.close();
    }
}
