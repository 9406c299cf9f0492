package qwen2vl4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import qwen2vl4j.ModelInputs;
import qwen2vl4j.ComputeInfo;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationProgress;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.SamplingParams;
import qwen2vl4j.generate.Timings;
import qwen2vl4j.generate.TokenListener;
import qwen2vl4j.grounding.Box;

/**
 * {@code run}: answers one request and exits. The request is a user message built from {@code --image},
 * {@code --video} and {@code --prompt} (in that order, after an optional {@code --system} message), or a whole
 * conversation from {@code --messages}. Text output streams as it is generated; JSON output is one object at the end.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Answer one prompt (with images / videos) and exit.",
                "Text format streams the answer to stdout and a stats line to stderr; json format prints",
                "{\"ids\":[...], \"text\":\"...\", \"finish_reason\":\"stop\"|\"length\", \"usage\":{...}, \"timings\":{...}}",
                "(timings name the compute backend, precision and implementation that ran;",
                "plus \"boxes\":[{\"label\":...,\"x1\":...,\"y1\":...,\"x2\":...,\"y2\":...}] with --draw-boxes)."})
public final class RunCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Output formats. */
    enum Format { text, json }

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M",
            description = "model folder, or a Hugging Face repo id found in the local cache")
    String model;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "the user's text")
    String prompt;

    @Option(names = "--image", paramLabel = "FILE", description = "image file or URI, before the text (repeatable)")
    List<String> images = new ArrayList<>();

    @Option(names = "--video", paramLabel = "FILE_OR_FOLDER",
            description = "one video: a folder of frames, a video file (mp4, webm, mov, mkv, avi...) or an animated GIF, after the images (repeatable)")
    List<String> videos = new ArrayList<>();

    @Option(names = "--system", paramLabel = "TEXT", description = "system message")
    String system;

    @Option(names = "--messages", paramLabel = "FILE.json",
            description = "JSON array of chat messages instead of --prompt/--image/--video/--system; "
                    + "relative media paths are looked up beside the file first")
    Path messagesFile;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "output: streamed text, or one JSON object at the end (default ${DEFAULT-VALUE})")
    Format format;

    @Option(names = "--add-vision-id", description = "label media in the prompt: \"Picture 1: \", \"Video 1: \"")
    boolean addVisionId;

    @Option(names = {"-q", "--quiet"}, description = "no stats line on stderr")
    boolean quiet;

    @Option(names = "--draw-boxes", paramLabel = "OUT.png",
            description = "draw the grounding boxes of the answer (<|box_start|>(x1,y1),(x2,y2)<|box_end|>, 0-1000 grid) "
                    + "on the first image of the request, in its pixels, and write OUT.png")
    Path drawBoxes;

    @Mixin
    LoadOptionsMixin load;

    @Override
    public Integer call() throws IOException {
        List<Message> messages = messages();
        if (addVisionId) messages = new VisionIds().label(messages);
        sampling.validate();
        BoxDrawing boxDrawing = drawBoxes == null ? null : BoxDrawing.prepare(drawBoxes, messages);
        Path folder = qwen2vl4j.hub.ModelResolver.resolveOrDownload(model);
        try (Qwen2VL qwen = Qwen2VL.load(folder, load.toLoadOptions(folder))) {
            SamplingParams params = sampling.apply(qwen.defaultParams());
            long start = System.nanoTime();
            ProgressLine progress = ProgressLine.forCommand(spec.commandLine().getErr(), quiet);
            // prepared once, as Qwen2VL.generate(messages, ..) does: answered, and its image sizes scale the boxes
            ModelInputs inputs;
            try {
                List<Message> request = messages;
                inputs = GenerationProgress.during(progress, () -> qwen.processor().process(request, true, false));
            } finally {
                progress.clear();
            }
            double preprocessMillis = (System.nanoTime() - start) / 1e6;
            if (format == Format.json) {
                GenerationResult r;
                try {
                    r = GenerationProgress.during(progress, () -> generate(qwen, inputs, preprocessMillis, params, progress.clearingBefore(null)));
                } finally {
                    progress.clear();
                }
                Map<String, Object> json = r.toMap();
                @SuppressWarnings("unchecked")
                Map<String, Object> timings = (Map<String, Object>) json.get("timings");
                ComputeInfo compute = qwen.compute();
                timings.put("backend", compute.backend());
                timings.put("precision", compute.precision());
                timings.put("implementation", compute.implementation());
                if (boxDrawing != null) json.put("boxes", BoxDrawing.toJson(boxDrawing.draw(inputs, r, qwen.tokenizer())));
                System.out.write(JSON.writeValueAsString(json).getBytes(StandardCharsets.UTF_8));
                System.out.write('\n');
                System.out.flush();
                return 0;
            }
            TokenPrinter printer = new TokenPrinter(System.out);
            GenerationResult r;
            try {
                r = GenerationProgress.during(progress, () -> generate(qwen, inputs, preprocessMillis, params, progress.clearingBefore(printer)));
            } finally {
                progress.clear();
            }
            printer.print("\n");
            List<Box> boxes = boxDrawing == null ? null : boxDrawing.draw(inputs, r, qwen.tokenizer());
            if (!quiet) {
                spec.commandLine().getErr().println(GenerationStats.line(r));
                if (boxes != null) spec.commandLine().getErr().println(BoxDrawing.summary(boxes, drawBoxes));
                spec.commandLine().getErr().flush();
            }
            return 0;
        }
    }

    /** The answer to {@code inputs}, its timings with the preprocessing stage that made them. */
    private static GenerationResult generate(Qwen2VL qwen, ModelInputs inputs, double preprocessMillis, SamplingParams params,
                                             TokenListener listener) {
        GenerationResult r = qwen.generate(inputs, params, listener);
        Timings t = r.timings();
        return r.withTimings(t.withStages(t.loadMillis(), preprocessMillis, t.visionMillis()));
    }

    /** The conversation to answer, from {@code --messages} or from the other input flags. */
    List<Message> messages() {
        if (messagesFile != null) {
            if (prompt != null || system != null || !images.isEmpty() || !videos.isEmpty()) {
                throw new IllegalArgumentException("--messages cannot be combined with --prompt, --system, --image or --video");
            }
            return MessageFiles.read(messagesFile);
        }
        if (prompt == null && images.isEmpty() && videos.isEmpty()) {
            throw new IllegalArgumentException("nothing to answer: give --prompt, --image, --video or --messages");
        }
        List<Message> messages = new ArrayList<>();
        if (system != null) messages.add(Message.system(system));
        if (images.isEmpty() && videos.isEmpty()) {
            messages.add(Message.user(prompt));
            return messages;
        }
        List<ContentPart> parts = new ArrayList<>();
        for (String image : images) parts.add(new ContentPart.Image(MediaSource.of(image)));
        for (String video : videos) parts.add(new ContentPart.Video(List.of(MediaSource.of(video)), Map.of()));
        if (prompt != null) parts.add(new ContentPart.Text(prompt));
        messages.add(new Message("user", parts));
        return messages;
    }
}
