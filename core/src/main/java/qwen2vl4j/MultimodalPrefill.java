package qwen2vl4j;

import java.util.List;
import java.util.Objects;
import qwen2vl4j.preprocess.Grid;
import qwen2vl4j.preprocess.VisionBatch;
import qwen2vl4j.text.RopeIndex;
import qwen2vl4j.text.TextSession;
import qwen2vl4j.vision.VisionEmbeddings;
import qwen2vl4j.vision.VisionTransformer;

/**
 * Hugging Face's {@code Qwen2VLModel.forward} over a prompt, the one home of the multimodal step that every front
 * end (the library's {@link Qwen2VL#generate} and {@link Conversation}, the server, the command line) goes through:
 *
 * <ol>
 *   <li>the vision tower over the images and the videos ({@code get_image_features}, {@code get_video_features});</li>
 *   <li>their rows scattered over the pad tokens in order ({@code masked_scatter} of {@code inputs_embeds}; the
 *       session takes the token embeddings piece by piece and the vision rows in their place);</li>
 *   <li>3-axis positions ({@code get_rope_index}), starting at the session's next position;</li>
 *   <li>the decoder over the new tokens, cached in the session ({@link TextSession#prefill}).</li>
 * </ol>
 *
 * <p>{@link #encode} (step 1) and {@link #prefill(TextSession, Encoded)} (steps 2–4) are apart so that a caller can
 * time the vision tower on its own; {@link #prefill(TextSession, ModelInputs)} does both. Immutable and thread-safe;
 * the per-request state is the session's.
 */
public final class MultimodalPrefill {
    private final VisionTransformer vision;
    private final RopeIndex ropeIndex;

    /** The step over {@code vision} and the positions of {@code ropeIndex}. */
    public MultimodalPrefill(VisionTransformer vision, RopeIndex ropeIndex) {
        this.vision = Objects.requireNonNull(vision, "vision");
        this.ropeIndex = Objects.requireNonNull(ropeIndex, "ropeIndex");
    }

    /**
     * A prompt with its vision tower output.
     *
     * @param inputs the prompt
     * @param images the images' embeddings, one row per image pad token (null when there are no images)
     * @param videos the videos' embeddings, one row per video pad token (null when there are no videos)
     */
    public record Encoded(ModelInputs inputs, VisionEmbeddings images, VisionEmbeddings videos, Cached cached) {
        public Encoded {
            Objects.requireNonNull(inputs, "inputs");
        }

        /** A prompt encoded without a {@link PromptCache}. */
        public Encoded(ModelInputs inputs, VisionEmbeddings images, VisionEmbeddings videos) {
            this(inputs, images, videos, null);
        }

        /** Prompt tokens taken from the cache (their vision tower and prefill skipped): 0 without a hit. */
        public int cachedTokens() {
            return cached == null || cached.hit == null ? 0 : cached.hit.rows();
        }
    }

    /**
     * The prompt's place in a {@link PromptCache}: its keys and the cached start it continues (null when none); the
     * embeddings beside it are then those of the media after that start.
     */
    public record Cached(PromptCache cache, long[] keys, PromptCache.Hit hit) {}

    /** Step 1: runs the vision tower over {@code inputs}' images and videos (nothing when there are none). */
    public Encoded encode(ModelInputs inputs) {
        return new Encoded(inputs, encode(inputs.images()), encode(inputs.videos()));
    }

    /**
     * Step 1 with a cache of prompts already run (null: {@link #encode(ModelInputs)}): finds the longest start of
     * {@code inputs} that {@code cache} holds (at most all tokens but the last, whose logits are needed) and runs
     * the vision tower over the images and videos after it only. {@link #prefill(TextSession, Encoded)} then takes
     * the start from the cache and keeps the whole prompt there.
     */
    public Encoded encode(ModelInputs inputs, PromptCache cache) {
        if (cache == null) return encode(inputs);
        int[] ids = inputs.ids();
        long[] keys = PromptCache.keys(inputs, ropeIndex.imageTokenId(), ropeIndex.videoTokenId(), ropeIndex.spatialMergeSize());
        PromptCache.Hit hit = cache.find(this, keys, ids.length - 1);
        int rows = hit == null ? 0 : hit.rows();
        return new Encoded(inputs, encode(PromptCache.itemsFrom(inputs.images(), ropeIndex.imagesIn(ids, rows))),
                encode(PromptCache.itemsFrom(inputs.videos(), ropeIndex.videosIn(ids, rows))), new Cached(cache, keys, hit));
    }

    /**
     * Steps 2–4: runs the prompt through the decoder after what {@code session} holds, at positions that
     * continue from {@link TextSession#nextPosition()}.
     *
     * @return the logits of the prompt's last token {@code [vocab]}
     * @throws qwen2vl4j.text.ContextLimitException when the prompt does not fit the session's context (nothing is run)
     * @throws IllegalArgumentException when the pad tokens and the grids or embeddings disagree
     */
    public float[] prefill(TextSession session, Encoded encoded) {
        if (encoded.cached() != null) return prefillCached(session, encoded, encoded.cached());
        int[] ids = encoded.inputs().ids();
        int[][] positions = ropeIndex.compute(ids, grids(encoded.images()), grids(encoded.videos()),   // [3][L]
                session.nextPosition()).positions();
        return session.prefill(ids, data(encoded.images()), data(encoded.videos()), positions);
    }

    /**
     * Steps 2–4 after a cached start: the session (empty) takes the start's keys and values from the cache, the rest
     * of the prompt runs at the positions that follow, and the whole prompt joins the cache.
     */
    private float[] prefillCached(TextSession session, Encoded encoded, Cached cached) {
        if (session.length() != 0) {
            throw new IllegalArgumentException("a prompt encoded with a prompt cache is prefilled into an empty session; this one holds "
                    + session.length() + " tokens");
        }
        int[] all = encoded.inputs().ids();
        int start = 0;
        if (cached.hit() != null) {
            start = cached.hit().rows();
            session.restore(cached.hit().entry().kv(), start, cached.hit().nextPosition());
        }
        int[] ids = java.util.Arrays.copyOfRange(all, start, all.length);
        int[][] positions = ropeIndex.compute(ids, grids(encoded.images()), grids(encoded.videos()),   // [3][L - start]
                session.nextPosition()).positions();
        float[] logits = session.prefill(ids, data(encoded.images()), data(encoded.videos()), positions);
        int[] nextPositions = new int[all.length];             // the largest position of tokens 0..i, + 1
        for (int i = 0; i < start; i++) nextPositions[i] = cached.hit().entry().nextPositions()[i];
        int max = start == 0 ? -1 : nextPositions[start - 1] - 1;
        for (int i = start; i < all.length; i++) {
            for (int[] axis : positions) max = Math.max(max, axis[i - start]);
            nextPositions[i] = max + 1;
        }
        if (cached.cache().admits(all.length, session.snapshotBytes())) {   // never copy what the cache cannot keep
            cached.cache().put(this, cached.keys(), nextPositions, session.snapshot());
        }
        return logits;
    }

    /** Steps 1–4: {@link #encode} then {@link #prefill(TextSession, Encoded)}. */
    public float[] prefill(TextSession session, ModelInputs inputs) {
        return prefill(session, encode(inputs));
    }

    private VisionEmbeddings encode(VisionBatch batch) {
        return batch == null ? null : vision.forward(batch.data(), batch.rows(), batch.grids());   // [tokens, hidden]
    }

    private static List<Grid> grids(VisionEmbeddings e) {
        return e == null ? List.of() : e.grids();
    }

    private static float[] data(VisionEmbeddings e) {
        return e == null ? null : e.data();
    }
}
