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
import qwen2vl4j.preprocess.ImageDecodeException;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.ImageProcessor;
import qwen2vl4j.preprocess.ImageSources;
import qwen2vl4j.preprocess.PixelValues;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.preprocess.RgbImage;
import qwen2vl4j.preprocess.VideoProcessor;
import qwen2vl4j.preprocess.VideoSources;
import qwen2vl4j.preprocess.VisionBatch;
import qwen2vl4j.preprocess.VisionOptions;
import qwen2vl4j.tokenizer.Tokenizer;

/**
 * Hugging Face's {@code Qwen2VLProcessor}: renders the chat template, loads and preprocesses every
 * image and video, tokenizes, and expands each {@code <|image_pad|>} / {@code <|video_pad|>} into as
 * many pad tokens as the vision tower will produce embeddings (spec §4.2). Stateless and thread-safe.
 */
public final class Qwen2VLProcessor {
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final ImageDecoder decoder;
    private final ImageProcessor imageProcessor;
    private final VideoProcessor videoProcessor;
    private final int mergeSize;

    public Qwen2VLProcessor(ModelConfig config, Tokenizer tokenizer, ChatTemplate template,
                            PreprocessorConfig preprocessor, ImageDecoder decoder) {
        this.config = config;
        this.tokenizer = tokenizer;
        this.template = template;
        this.decoder = decoder;
        this.imageProcessor = new ImageProcessor(preprocessor);
        this.videoProcessor = new VideoProcessor(preprocessor);
        this.mergeSize = preprocessor.mergeSize();
    }

    /** Renders {@code messages} with the model's chat template. */
    public String render(List<Message> messages, boolean addGenerationPrompt, boolean addVisionId) {
        Map<String, Object> vars = new HashMap<>();
        vars.put("add_vision_id", addVisionId);
        return template.render(Messages.toTemplateValues(messages), addGenerationPrompt, vars);
    }

    /** Everything the model needs for {@code messages}; media errors name the message part's source. */
    public ModelInputs process(List<Message> messages, boolean addGenerationPrompt, boolean addVisionId) {
        return processRendered(render(messages, addGenerationPrompt, addVisionId), messages);
    }

    /**
     * Tokenizes an already rendered {@code prompt} and expands its placeholders with the images and videos
     * of {@code mediaFrom} (in order), e.g. one new turn of a conversation.
     */
    public ModelInputs processRendered(String prompt, List<Message> mediaFrom) {
        List<Message> messages = mediaFrom;
        List<PixelValues> images = new ArrayList<>();
        for (ContentPart.Image image : Messages.images(messages)) {
            images.add(imageProcessor.process(loadImage(image.source()), options(image.options())).pixelValues());
        }
        List<PixelValues> videos = new ArrayList<>();
        for (ContentPart.Video video : Messages.videos(messages)) {
            videos.add(loadVideo(video));
        }
        return expand(prompt, tokenizer.encode(prompt), images, videos);
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

    private RgbImage loadImage(MediaSource source) {
        return switch (source) {
            case MediaSource.FileSource f -> decoder.decode(f.path());
            case MediaSource.BytesSource b -> decoder.decode(b.bytes(), b.name());
            case MediaSource.UriSource u -> ImageSources.load(u.uri(), decoder);
            case MediaSource.BufferedImageSource bi -> ImageDecoder.fromBufferedImage(bi.image(), "BufferedImage");
        };
    }

    private PixelValues loadVideo(ContentPart.Video video) {
        List<String> sources = new ArrayList<>();
        for (MediaSource s : video.frames()) {
            switch (s) {
                case MediaSource.FileSource f -> sources.add(f.path().toString());
                case MediaSource.UriSource u -> sources.add(u.uri());
                default -> throw new ImageDecodeException("video frames must be files or file/data URIs, found " + s);
            }
        }
        VisionOptions options = options(video.options());
        return VideoSources.load(sources, options, decoder).process(videoProcessor, options);
    }

    /** qwen-vl-utils' per-item options from a message part. */
    static VisionOptions options(Map<String, Object> o) {
        if (o == null || o.isEmpty()) return VisionOptions.DEFAULT;
        return new VisionOptions(longOpt(o, "min_pixels"), longOpt(o, "max_pixels"), intOpt(o, "resized_height"),
                intOpt(o, "resized_width"), doubleOpt(o, "fps"), intOpt(o, "nframes"));
    }

    private static Number number(Map<String, Object> o, String key) {
        Object v = o.get(key);
        if (v == null) return null;
        if (v instanceof Number n) return n;
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("option " + key + " must be a number, found " + v);
    }

    private static Long longOpt(Map<String, Object> o, String key) {
        Number n = number(o, key);
        return n == null ? null : n.longValue();
    }

    private static Integer intOpt(Map<String, Object> o, String key) {
        Number n = number(o, key);
        return n == null ? null : Math.toIntExact(n.longValue());
    }

    private static Double doubleOpt(Map<String, Object> o, String key) {
        Number n = number(o, key);
        return n == null ? null : n.doubleValue();
    }
}
