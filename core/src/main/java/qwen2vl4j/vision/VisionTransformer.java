package qwen2vl4j.vision;

import java.util.ArrayList;
import java.util.List;
import qwen2vl4j.config.VisionConfig;
import qwen2vl4j.io.Weights;

/**
 * The Qwen2-VL vision tower ({@code Qwen2VisionTransformerPretrainedModel}, spec §5): patch
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
     * Encodes the images or videos whose patches are {@code pixelValues}.
     *
     * @param pixelValues {@code [patches, patchValues]} row-major, rows in merge-block order (spec §2.5)
     * @param patches     number of rows
     * @param gridThw     one {@code {t, h, w}} per image / video, in patch units; Σ t·h·w = patches
     * @return {@code [patches / merge², hiddenSize]} row-major, images / videos concatenated in order
     * @throws IllegalArgumentException when the sizes or grids do not agree
     */
    public float[] forward(float[] pixelValues, int patches, List<int[]> gridThw) {
        if (patches <= 0 || pixelValues.length != (long) patches * config.patchValues()) {
            throw new IllegalArgumentException("pixel_values holds " + pixelValues.length + " values; expected " + patches
                    + " patches × " + config.patchValues() + " values");
        }
        VisionGrids grids = VisionGrids.of(gridThw, patches, config.spatialMergeSize());
        VisionRotaryEmbedding.Table rope = rotary.table(grids);      // cos/sin [patches, headDim/2]
        float[] x = patchEmbed.forward(pixelValues, patches);         // [patches, embedDim]
        VisionState state = new VisionState(config, grids, patches);  // the blocks' buffers, reused by each
        for (VisionBlock block : blocks) {
            block.forward(x, state, grids, rope);                     // [patches, embedDim], in place
        }
        return merger.forward(x, patches);                            // [patches / merge², hiddenSize]
    }

    /** The geometry this tower was loaded with. */
    public VisionConfig config() {
        return config;
    }
}
