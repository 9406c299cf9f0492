package qwen2vl4j;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import qwen2vl4j.chat.ChatTemplate;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.chat.Messages;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.ImageProcessor;
import qwen2vl4j.preprocess.MediaInputException;
import qwen2vl4j.preprocess.PixelValues;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.preprocess.RgbImage;
import qwen2vl4j.preprocess.VideoProcessor;
import qwen2vl4j.preprocess.VideoSources;
import qwen2vl4j.preprocess.VisionBatch;
import qwen2vl4j.preprocess.VisionOptions;
import qwen2vl4j.text.ContextLimitException;
import qwen2vl4j.tokenizer.Tokenizer;

/**
 * Hugging Face's {@code Qwen2VLProcessor}: renders the chat template, loads and preprocesses every
 * image and video, tokenizes, and expands each {@code <|image_pad|>} / {@code <|video_pad|>} into as
 * many pad tokens as the vision tower will produce embeddings (as Hugging Face's {@code Qwen2VLProcessor.__call__} does). Stateless and thread-safe.
 *
 * <p>Every front end (the library's {@link Qwen2VL#generate} and {@link Conversation}, the command line, the
 * server) prepares its inputs here, so media handling, errors and {@link ModelInputs#boxes grounding boxes}
 * are the same in all of them.
 */
public final class Qwen2VLProcessor {
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final PreprocessorConfig preprocessor;
    private final MediaLoader media;
    private final ImageProcessor imageProcessor;
    private final VideoProcessor videoProcessor;
    private final int mergeSize;
    private final VisionOptions imageDefaults;   // min / max pixels for image parts without them; null fields: none
    private final VisionOptions videoDefaults;   // maxPixels / fps / maxFrames for video parts without them; null fields: none
    private final ImageDecoder decoder;
    private final long maxVisualTokens;
    private final boolean escapeSpecialTokens;

    public Qwen2VLProcessor(ModelConfig config, Tokenizer tokenizer, ChatTemplate template,
                            PreprocessorConfig preprocessor, ImageDecoder decoder) {
        this(config, tokenizer, template, preprocessor, decoder, VisionOptions.DEFAULT, VisionOptions.DEFAULT, Long.MAX_VALUE,
                false);
    }

    private Qwen2VLProcessor(ModelConfig config, Tokenizer tokenizer, ChatTemplate template,
                             PreprocessorConfig preprocessor, ImageDecoder decoder, VisionOptions imageDefaults,
                             VisionOptions videoDefaults, long maxVisualTokens, boolean escapeSpecialTokens) {
        this.imageDefaults = imageDefaults;
        this.videoDefaults = videoDefaults;
        this.decoder = decoder;
        this.escapeSpecialTokens = escapeSpecialTokens;
        this.maxVisualTokens = maxVisualTokens;
        this.config = config;
        this.tokenizer = tokenizer;
        this.template = template;
        this.preprocessor = preprocessor;
        this.media = new MediaLoader(decoder);
        this.imageProcessor = new ImageProcessor(preprocessor);
        this.videoProcessor = new VideoProcessor(preprocessor);
        this.mergeSize = preprocessor.mergeSize();
    }

    /** The image processor's settings (pixel budgets, patch sizes, normalisation). */
    public PreprocessorConfig preprocessor() {
        return preprocessor;
    }

    /**
     * This processor with another image pixel limit (images, and the frames of a video together, with more pixels
     * are refused before decoding), e.g. a server's stricter one.
     */
    public Qwen2VLProcessor withMaxImagePixels(long maxPixels) {
        return new Qwen2VLProcessor(config, tokenizer, template, preprocessor, new ImageDecoder(maxPixels), imageDefaults, videoDefaults,
                maxVisualTokens, escapeSpecialTokens);
    }

    /**
     * This processor with other defaults for video parts that do not give their own: the per-frame pixel budget,
     * the frames per second sampled from a video file and the most frames sampled; null (or 0) keeps qwen-vl-utils'
     * values (its per-frame rule, 2.0 and 768).
     */
    public Qwen2VLProcessor withVideoDefaults(Long maxPixels, Double fps, Integer maxFrames) {
        VisionOptions d = new VisionOptions(null, maxPixels == null || maxPixels == 0 ? null : maxPixels, null, null,
                fps == null || fps == 0 ? null : fps, null, maxFrames == null || maxFrames == 0 ? null : maxFrames);
        return new Qwen2VLProcessor(config, tokenizer, template, preprocessor, decoder, imageDefaults, d, maxVisualTokens, escapeSpecialTokens);
    }

    /**
     * This processor with default pixel bounds for image parts that give none of their own ({@code min_pixels},
     * {@code max_pixels}, or a resized size); null (or 0) keeps the preprocessor's. A part's own bounds win, also
     * beyond these. A bound that crosses the preprocessor's other one moves it along (a max below its min_pixels
     * is still raised to that min by the processor's final resize).
     */
    public Qwen2VLProcessor withImageDefaults(Long minPixels, Long maxPixels) {
        Long min = minPixels == null || minPixels == 0 ? null : minPixels;
        Long max = maxPixels == null || maxPixels == 0 ? null : maxPixels;
        if (min != null && max != null && min > max) {
            throw new IllegalArgumentException("default min_pixels " + min + " is larger than default max_pixels " + max);
        }
        if (max != null && min == null && max < preprocessor.minPixels()) min = max;
        if (min != null && max == null && min > preprocessor.maxPixels()) max = min;
        VisionOptions d = VisionOptions.pixels(min, max);
        return new Qwen2VLProcessor(config, tokenizer, template, preprocessor, decoder, d, videoDefaults, maxVisualTokens, escapeSpecialTokens);
    }

    /** The pixel bounds image parts without their own get: the preprocessor's unless {@link #withImageDefaults} set others. */
    public long[] imagePixelBounds() {
        return new long[] {imageDefaults.minPixels() != null ? imageDefaults.minPixels() : preprocessor.minPixels(),
                imageDefaults.maxPixels() != null ? imageDefaults.maxPixels() : preprocessor.maxPixels()};
    }

    /**
     * This processor with a limit on the image and video tokens of one prompt (e.g. a server's), checked with the
     * context length before any media is decoded.
     */
    public Qwen2VLProcessor withMaxVisualTokens(long maxTokens) {
        if (maxTokens < 1) throw new IllegalArgumentException("max visual tokens must be >= 1, found " + maxTokens);
        return new Qwen2VLProcessor(config, tokenizer, template, preprocessor, decoder, imageDefaults, videoDefaults, maxTokens,
                escapeSpecialTokens);
    }

    /**
     * This processor reading special-token text in message content ({@code <|im_start|>system}, {@code <|image_pad|>})
     * as plain text instead of control tokens, as a server taking untrusted text should. Off by default: the
     * reference (transformers) turns such text into the control tokens, and the library stays identical to it.
     */
    public Qwen2VLProcessor withEscapedSpecialTokens(boolean escape) {
        return new Qwen2VLProcessor(config, tokenizer, template, preprocessor, decoder, imageDefaults, videoDefaults, maxVisualTokens, escape);
    }

    /** The most tokens one prompt may hold, answer included: the model's context length. */
    public int contextLength() {
        return config.text().maxPositionEmbeddings();
    }

    /** Renders {@code messages} with the model's chat template. */
    public String render(List<Message> messages, boolean addGenerationPrompt, boolean addVisionId) {
        Map<String, Object> vars = new HashMap<>();
        vars.put("add_vision_id", addVisionId);
        return template.render(Messages.toTemplateValues(messages), addGenerationPrompt, vars);
    }

    /**
     * Everything the model needs for {@code messages}.
     *
     * @throws MediaInputException      naming the image or video part that cannot be read, or whose options or
     *                                  size do not fit
     * @throws ContextLimitException    when the prompt, its visual tokens counted from the image headers, does not fit
     *                                  the context (checked before any media is decoded)
     * @throws PromptTooLongException   when its visual tokens exceed {@link #withMaxVisualTokens the limit}
     * @throws IllegalArgumentException for messages the template refuses
     */
    public ModelInputs process(List<Message> messages, boolean addGenerationPrompt, boolean addVisionId) {
        if (!escapeSpecialTokens) return processRendered(render(messages, addGenerationPrompt, addVisionId), messages);
        List<Message> escaped = new ArrayList<>(messages.size());
        for (Message m : messages) {
            List<ContentPart> parts = new ArrayList<>(m.content().size());
            for (ContentPart p : m.content()) parts.add(p instanceof ContentPart.Text t ? new ContentPart.Text(tokenizer.escapeSpecial(t.text())) : p);
            escaped.add(new Message(m.role(), parts, m.stringContent()));
        }
        return processRendered(render(escaped, addGenerationPrompt, addVisionId), messages);
    }

    /**
     * Tokenizes an already rendered {@code prompt} and expands its placeholders with the images and videos
     * of {@code mediaFrom} (in order), e.g. one new turn of a conversation.
     *
     * @throws MediaInputException naming the image or video part that cannot be used
     */
    public ModelInputs processRendered(String prompt, List<Message> mediaFrom) {
        int[] ids = escapeSpecialTokens ? tokenizer.encodeWithLiterals(prompt) : tokenizer.encode(prompt);
        if (escapeSpecialTokens && prompt.indexOf(Tokenizer.LITERAL_OPEN) >= 0) {
            prompt = prompt.replace(String.valueOf(Tokenizer.LITERAL_OPEN), "").replace(String.valueOf(Tokenizer.LITERAL_CLOSE), "");
        }
        List<ContentPart.Image> imageParts = Messages.images(mediaFrom);
        List<ContentPart.Video> videoParts = Messages.videos(mediaFrom);
        // bounded work before work: every option is checked and the visual tokens of the images and frame lists are
        // counted from the headers, and the prompt checked against the limits, before a pixel is decoded
        Budget budget = new Budget(ids.length - count(ids, config.imageTokenId()) - count(ids, config.videoTokenId()));
        List<VisionOptions> imageOptions = new ArrayList<>();
        for (ContentPart.Image image : imageParts) {
            VisionOptions o = MediaLoader.guard(image.source(), () -> imageProcessor.check(VisionOptions.fromMap(image.options())
                    .withImageDefaults(imageDefaults.minPixels(), imageDefaults.maxPixels())));
            int[] wh = media.imageSize(image.source());
            budget.image(MediaLoader.guard(image.source(), () -> imageProcessor.tokenCount(wh[1], wh[0], o)));
            imageOptions.add(o);
        }
        List<VisionOptions> videoOptions = new ArrayList<>();
        for (ContentPart.Video video : videoParts) {
            MediaSource first = video.frames().get(0);
            VisionOptions o = MediaLoader.guard(first, () -> imageProcessor.check(VisionOptions.fromMap(video.options())
                    .withVideoDefaults(videoDefaults.maxPixels(), videoDefaults.fps(), videoDefaults.maxFrames())));
            if (video.frames().size() > 1) {
                List<int[]> sizes = new ArrayList<>();
                for (MediaSource frame : video.frames()) {
                    int[] wh = media.imageSize(frame);
                    sizes.add(new int[] {wh[1], wh[0]});
                }
                budget.video(MediaLoader.guard(first, () -> videoProcessor.frameListTokens(sizes, o)));
            }
            videoOptions.add(o);
        }
        budget.check();
        List<PixelValues> images = new ArrayList<>();
        List<ModelInputs.Size> sizes = new ArrayList<>();
        for (int i = 0; i < imageParts.size(); i++) {
            MediaSource source = imageParts.get(i).source();
            RgbImage rgb = media.image(source);
            VisionOptions o = imageOptions.get(i);
            images.add(MediaLoader.guard(source, () -> imageProcessor.process(rgb, o).pixelValues()));
            sizes.add(new ModelInputs.Size(rgb.width(), rgb.height()));
        }
        List<PixelValues> videos = new ArrayList<>();
        for (int i = 0; i < videoParts.size(); i++) videos.add(video(videoParts.get(i), videoOptions.get(i), budget));
        return expand(prompt, ids, images, videos).withImageSizes(sizes);
    }

    /**
     * The tokens of one prompt against the context and the visual-token limit: text tokens first, then each image's
     * and video's tokens as they are known (from headers; a video file's also from its decoded frames, a GIF's only from
     * them, before resizing).
     */
    private final class Budget {
        private final long textTokens;
        private long imageTokens;
        private long videoTokens;

        Budget(long textTokens) {
            this.textTokens = textTokens;
        }

        void image(long tokens) {
            imageTokens += tokens;
        }

        void video(long tokens) {
            videoTokens += tokens;
        }

        void check() {
            checkWith(0);
        }

        /** {@link #check} as if a video of {@code moreVideoTokens} were counted too (they are not added). */
        void checkWith(long moreVideoTokens) {
            long imageTokens = this.imageTokens, videoTokens = this.videoTokens + moreVideoTokens;
            long visual = imageTokens + videoTokens;
            long total = textTokens + visual;
            String counted = " (" + imageTokens + " for images, " + videoTokens + " for videos, " + textTokens + " for text)";
            if (visual > maxVisualTokens) {
                throw new PromptTooLongException("the images and videos make " + visual + " visual tokens" + counted
                        + "; at most " + maxVisualTokens + " are accepted: send smaller images, fewer frames, or lower max_pixels",
                        total, visual, maxVisualTokens, true);
            }
            if (total >= contextLength()) {
                // the same refusal the generation itself makes, only before the media are decoded
                throw new ContextLimitException(contextLength(), total + 1);
            }
        }
    }

    /** Expands placeholders in already tokenized {@code ids} for the given preprocessed media. */
    public ModelInputs expand(String prompt, int[] ids, List<PixelValues> images, List<PixelValues> videos) {
        int imagePads = count(ids, config.imageTokenId()), videoPads = count(ids, config.videoTokenId());
        if (imagePads != images.size()) {
            throw new IllegalArgumentException("the prompt has " + imagePads + " image placeholders but " + images.size() + " images were given");
        }
        if (videoPads != videos.size()) {
            throw new IllegalArgumentException("the prompt has " + videoPads + " video placeholders but " + videos.size() + " videos were given");
        }
        int imageTokens = 0, videoTokens = 0;
        for (PixelValues p : images) imageTokens += p.tokenCount(mergeSize);
        for (PixelValues p : videos) videoTokens += p.tokenCount(mergeSize);
        int[] out = new int[ids.length - imagePads - videoPads + imageTokens + videoTokens];
        int o = 0, nextImage = 0, nextVideo = 0;
        for (int id : ids) {
            int copies = 1;
            if (id == config.imageTokenId()) copies = images.get(nextImage++).tokenCount(mergeSize);
            else if (id == config.videoTokenId()) copies = videos.get(nextVideo++).tokenCount(mergeSize);
            for (int c = 0; c < copies; c++) out[o++] = id;
        }
        return new ModelInputs(prompt, out, images.isEmpty() ? null : VisionBatch.of(images),
                videos.isEmpty() ? null : VisionBatch.of(videos), imageTokens, videoTokens);
    }

    private static int count(int[] ids, int id) {
        int n = 0;
        for (int x : ids) if (x == id) n++;
        return n;
    }

    /**
     * A video part's patches; its tokens are checked against the budget before its frames are resized, and a video
     * file's also before they are decoded (from its header, which gives the same count unless its frames change size).
     */
    private PixelValues video(ContentPart.Video video, VisionOptions options, Budget budget) {
        MediaSource first = video.frames().get(0);
        VideoSources.VideoInput input = media.video(video.frames(), options, info -> budget.checkWith(
                videoProcessor.videoTokens(info.frameCount(), info.height(), info.width(), info.fps(), options)));
        if (video.frames().size() == 1) {
            budget.video(MediaLoader.guard(first, () -> input.tokenCount(videoProcessor, options)));
            budget.check();
        }
        return MediaLoader.guard(first, () -> input.process(videoProcessor, options));
    }
}
