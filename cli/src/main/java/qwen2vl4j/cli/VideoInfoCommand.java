package qwen2vl4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import qwen2vl4j.LoadOptions;
import qwen2vl4j.io.ModelFolder;
import qwen2vl4j.preprocess.FrameSampling;
import qwen2vl4j.preprocess.PixelValues;
import qwen2vl4j.preprocess.PreprocessorConfig;
import qwen2vl4j.preprocess.SampledVideo;
import qwen2vl4j.preprocess.VideoFiles;
import qwen2vl4j.preprocess.VideoInfo;
import qwen2vl4j.preprocess.VideoProcessor;
import qwen2vl4j.preprocess.VisionOptions;

/** {@code video-info}: what a video file holds, which frames qwen-vl-utils' sampling takes, and the grid they make. */
@Command(name = "video-info", mixinStandardHelpOptions = true,
        description = {"Probe a video file (MP4, WebM, MOV, MKV, AVI, ...; needs the qwen2vl4j-video module),",
                "sample its frames as qwen-vl-utils does, decode and preprocess them, and print what was taken."})
public final class VideoInfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "video file or file:// URI")
    String file;

    @ArgGroup(exclusive = true)
    Sampling sampling;

    static final class Sampling {
        @Option(names = "--fps", paramLabel = "F", description = "frames per second to sample (default 2)")
        Double fps;

        @Option(names = "--nframes", paramLabel = "N", description = "number of frames to sample (rounded to even)")
        Integer nframes;
    }

    @Option(names = "--min-pixels", paramLabel = "N", description = "least pixels of a resized frame (default: qwen-vl-utils')")
    Long minPixels;

    @Option(names = "--max-pixels", paramLabel = "N", description = "most pixels of a resized frame (default: qwen-vl-utils')")
    Long maxPixels;

    @Option(names = "--model", paramLabel = "M",
            description = "model folder or Hugging Face repo id for preprocessor_config.json (default: Qwen2-VL's values)")
    String model;

    @Override
    public Integer call() {
        if (sampling != null) LoadOptionsMixin.checkFps(sampling.fps);
        if (sampling != null && sampling.nframes != null && (sampling.nframes < FrameSampling.FRAME_FACTOR || sampling.nframes > LoadOptions.MAX_FRAMES)) {
            throw new IllegalArgumentException("--nframes must be in [" + FrameSampling.FRAME_FACTOR + ", " + LoadOptions.MAX_FRAMES + "], got "
                    + sampling.nframes);
        }
        LoadOptionsMixin.budgets(minPixels, maxPixels);
        VisionOptions options = new VisionOptions(minPixels, maxPixels, null, null,
                sampling == null ? null : sampling.fps, sampling == null ? null : sampling.nframes);
        PreprocessorConfig config = model == null ? PreprocessorConfig.QWEN2_VL : PreprocessorConfig.load(ModelFolder.resolve(model));
        SampledVideo video = VideoFiles.load(file, options);
        PixelValues pv = video.process(new VideoProcessor(config), options);
        VideoInfo info = video.info();
        PrintWriter out = spec.commandLine().getOut();
        out.println("file:    " + video.file());
        out.println(String.format(Locale.ROOT, "video:   %d frames, %.3f fps, %dx%d, %.2f s",
                info.frameCount(), info.fps(), info.width(), info.height(), info.durationSeconds()));
        out.println(String.format(Locale.ROOT, "sampled: %d frames (%.3f fps): %s",
                video.frames().size(), video.sampledFps(), Arrays.toString(video.frameIndices())));
        out.println("grid:    " + pv.grid() + " (T x H x W patches of "
                + config.patchSize() + " px), " + pv.tokenCount(config.mergeSize()) + " tokens");
        out.flush();
        return 0;
    }
}
