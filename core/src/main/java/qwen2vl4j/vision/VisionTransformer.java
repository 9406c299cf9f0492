package qwen2vl4j.vision;

import java.util.ArrayList;
import java.util.List;
import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.generate.GenerationProgress;
import qwen2vl4j.io.Weights;
import qwen2vl4j.preprocess.Grid;

/**
 * The Qwen2-VL vision tower ({@code Qwen2VisionTransformerPretrainedModel}): patch
 * embedding, {@code depth} blocks with 2-D rotary attention confined to each frame, and the
 * patch merger. Turns {@code pixel_values [patches, C·T·P·P]} into one embedding of the text
 * hidden size per merged token, in the order the text model expects.
 *
 * <p>Weights stay in the mapped checkpoint (valid while its {@link Weights} is open). The
 * components hold no mutable state, so {@link #forward} may be called from several threads.
 */
public final class VisionTransformer {
    private final VisionConfig config;
    private final PatchEmbed patchEmbed;
    private final VisionRotaryEmbedding rotary;
    private final List<VisionBlock> blocks;
    private final PatchMerger merger;

    private VisionTransformer(VisionConfig config, PatchEmbed patchEmbed, VisionRotaryEmbedding rotary,
                              List<VisionBlock> blocks, PatchMerger merger) {
        this.config = config;
        this.patchEmbed = patchEmbed;
        this.rotary = rotary;
        this.blocks = blocks;
        this.merger = merger;
    }

    /**
     * Binds every {@code visual.*} tensor of {@code weights}, checking each shape against
     * {@code config}; a missing or misshapen tensor throws a {@code ModelLoadException} naming it.
     */
    public static VisionTransformer load(Weights weights, VisionConfig config) {
        List<VisionBlock> blocks = new ArrayList<>(config.depth());
        for (int i = 0; i < config.depth(); i++) blocks.add(VisionBlock.load(weights, config, i));
        return new VisionTransformer(config, PatchEmbed.load(weights, config),
                new VisionRotaryEmbedding(config.headDim()), List.copyOf(blocks), PatchMerger.load(weights, config));
    }

    /**
     * Encodes the images or videos whose patches are {@code pixelValues} ({@code Qwen2VLModel.get_image_features}).
     *
     * @param pixelValues {@code [patches, patchValues]} row-major, rows in merge-block order (as preprocessing makes them)
     * @param patches     number of rows
     * @param grids       one grid per image / video, in patch units; Σ t·h·w = patches
     * @return {@code [patches / merge², hiddenSize]}, images / videos concatenated in order
     * @throws IllegalArgumentException when the sizes or grids do not agree
     */
    public VisionEmbeddings forward(float[] pixelValues, int patches, List<Grid> grids) {
        if (patches <= 0 || pixelValues.length != (long) patches * config.patchValues()) {
            throw new IllegalArgumentException("pixel_values holds " + pixelValues.length + " values; expected " + patches
                    + " patches × " + config.patchValues() + " values");
        }
        VisionGrids layout = VisionGrids.of(grids, patches, config.spatialMergeSize());
        VisionRotaryEmbedding.Table rope = rotary.table(layout);     // cos/sin [patches, headDim/2]
        float[] x = patchEmbed.forward(pixelValues, patches);         // [patches, embedDim]
        VisionState state = new VisionState(config, layout, patches); // the blocks' buffers, reused by each
        int tokens = patches / (config.spatialMergeSize() * config.spatialMergeSize());
        GenerationProgress.report(GenerationProgress.Stage.VISION, 0, blocks.size(), tokens);
        for (int b = 0; b < blocks.size(); b++) {
            blocks.get(b).forward(x, state, layout, rope);            // [patches, embedDim], in place
            GenerationProgress.report(GenerationProgress.Stage.VISION, b + 1, blocks.size(), tokens);
        }
        float[] merged = merger.forward(x, patches);                  // [patches / merge², hiddenSize]
        return new VisionEmbeddings(merged, patches / (config.spatialMergeSize() * config.spatialMergeSize()), config.hiddenSize(), grids);
    }

    /** The geometry this tower was loaded with. */
    public VisionConfig config() {
        return config;
    }
}
