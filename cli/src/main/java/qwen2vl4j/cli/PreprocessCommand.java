package qwen2vl4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import qwen2vl4j.hub.ModelResolver;
import qwen2vl4j.io.SafeTensorsWriter;
import qwen2vl4j.preprocess.ImageProcessor;
import qwen2vl4j.preprocess.ImageSources;
import qwen2vl4j.preprocess.PixelValues;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.preprocess.ProcessedImage;
import qwen2vl4j.preprocess.RgbImage;
import qwen2vl4j.preprocess.VideoProcessor;
import qwen2vl4j.preprocess.VideoSources;
import qwen2vl4j.preprocess.VisionOptions;

/** {@code preprocess}: one image or video to the pixel values the vision tower takes, written as safetensors. */
@Command(name = "preprocess", mixinStandardHelpOptions = true,
        description = {"Preprocess one image or video as the Hugging Face Qwen2-VL processor does (Pillow bicubic)",
                "and write pixel_values + image_grid_thw (+ resized_rgb), or pixel_values_videos + video_grid_thw,",
                "to a safetensors file."})
public final class PreprocessCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M",
            description = "model folder or Hugging Face repo id (for preprocessor_config.json)")
    String model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--image", paramLabel = "FILE", description = "image file, file:// URI or data: URI")
        String image;

        @Option(names = "--video", arity = "1..*", paramLabel = "FILE",
                description = "a folder of frames, an animated GIF, or frame image files in order")
        List<String> video;
    }

    @Option(names = "--min-pixels", paramLabel = "N", description = "least pixels of the resized image (default: the model's)")
    Long minPixels;

    @Option(names = "--max-pixels", paramLabel = "N", description = "most pixels of the resized image (default: the model's)")
    Long maxPixels;

    @Option(names = "--out", required = true, paramLabel = "FILE.safetensors", description = "output file")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (out.toString().isEmpty() || Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out must name a .safetensors file to write, found "
                    + (out.toString().isEmpty() ? "''" : "the folder " + out));
        }
        LoadOptionsMixin.budgets(minPixels, maxPixels);
        PreprocessorConfig config = PreprocessorConfig.load(ModelResolver.resolveOrDownload(model));
        SafeTensorsWriter writer = new SafeTensorsWriter();
        String summary;
        if (input.image != null) {
            long min = minPixels != null ? minPixels : config.minPixels();
            long max = maxPixels != null ? maxPixels : config.maxPixels();
            if (min > max) throw new IllegalArgumentException("--min-pixels " + min + " is larger than --max-pixels " + max);
            RgbImage image = ImageSources.load(input.image);
            ProcessedImage processed = new ImageProcessor(config.withPixels(min, max)).process(image);
            PixelValues pv = processed.pixelValues();
            RgbImage resized = processed.resized();
            writer.addF32("pixel_values", new long[] {pv.rows(), pv.cols()}, pv.data())
                    .addI64("image_grid_thw", new long[] {1, 3}, pv.grid().thw())
                    .addU8("resized_rgb", new long[] {resized.height(), resized.width(), 3}, resized.rgb());
            summary = "image " + image.width() + "x" + image.height() + " -> " + resized.width() + "x" + resized.height()
                    + ", grid " + grid(pv) + ", " + pv.tokenCount(config.mergeSize()) + " tokens";
        } else {
            VideoSources.VideoInput video = VideoSources.load(input.video);
            PixelValues pv = video.process(new VideoProcessor(config), VisionOptions.pixels(minPixels, maxPixels));
            writer.addF32("pixel_values_videos", new long[] {pv.rows(), pv.cols()}, pv.data())
                    .addI64("video_grid_thw", new long[] {1, 3}, pv.grid().thw());
            summary = "video of " + video.frames().size() + " frames -> grid " + grid(pv) + ", "
                    + pv.tokenCount(config.mergeSize()) + " tokens";
        }
        try {
            writer.write(out);
        } catch (IOException e) {
            Files.deleteIfExists(out);   // no half-written file left behind
            throw new IOException("cannot write " + out + ": " + e.getMessage(), e);
        }
        spec.commandLine().getOut().println(summary + "; wrote " + out);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static String grid(PixelValues pv) {
        return pv.grid().toString();
    }
}
