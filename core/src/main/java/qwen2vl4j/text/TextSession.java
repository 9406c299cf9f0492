package qwen2vl4j.text;

import qwen2vl4j.config.TextConfig;
import qwen2vl4j.generate.GenerationProgress;

/**
 * One conversation with a {@link TextModel}: the KV cache and the rope delta of the tokens seen so far.
 * Not thread-safe; use one session per thread (sessions share the model's weights).
 *
 * <p>Typical use: {@code prefill(ids, imageEmbeds, videoEmbeds, positions)} (what {@code Qwen2VL.prefill} does
 * for a multimodal prompt), then {@link #decode} once per generated token. A later {@code prefill}/{@link #append}
 * continues on the same cache (multi-turn), from {@link #nextPosition()}.
 */
public final class TextSession {
    /** Tokens a prefill runs through the layers at once: bounds its work arrays to about 50 MB at the 2B geometry. */
    static final int PREFILL_PIECE = 512;

    private final TextModel model;
    private final TextConfig config;
    private final KvCache cache;
    private final Buffers step;
    private final float[] lastRow;
    private int length;
    private long maxPosition = -1;
    private int pieceSize = PREFILL_PIECE;

    TextSession(TextModel model, KvCacheType kvCacheType) {
        this.model = model;
        this.config = model.config();
        this.cache = new KvCache(model.layerCount(), config.kvDim(), config.maxPositionEmbeddings(), kvCacheType);
        this.step = new Buffers(config, 1, false);
        this.lastRow = new float[config.hiddenSize()];
    }

    /** How this session stores its cached keys and values. */
    public KvCacheType kvCacheType() {
        return cache.type();
    }

    /** Tokens in the cache. */
    public int length() {
        return length;
    }

    /** {@code max position so far + 1 − length()}: the token at sequence index {@code s} decodes at {@code s + ropeDelta()}. */
    public long ropeDelta() {
        return maxPosition + 1 - length;
    }

    /** Empties the cache (keeps its memory). */
    public void reset() {
        length = 0;
        maxPosition = -1;
    }

    /**
     * Runs new tokens through the model and caches them.
     *
     * @param ids         token ids {@code [L]}
     * @param imageEmbeds {@code [nImagePads, hidden]}: row {@code r} replaces the r-th image pad token of {@code ids};
     *                    null when {@code ids} hold no image pads
     * @param videoEmbeds {@code [nVideoPads, hidden]}, likewise for video pad tokens
     * @param positions   {@code [3][L]} M-RoPE positions (see {@link RopeIndex}); for a continuation they must
     *                    follow on from the cached tokens ({@link #nextPosition()})
     * @return logits of the last token, {@code [vocab]}
     * @throws ContextLimitException when the cache would exceed max_position_embeddings (nothing is run)
     */
    public float[] prefill(int[] ids, float[] imageEmbeds, float[] videoEmbeds, int[][] positions) {
        return prefill(ids, imageEmbeds, videoEmbeds, positions, null);
    }

    /**
     * {@link #prefill(int[], float[], float[], int[][])} shown to {@code observer} (may be null): every hidden
     * state and every position's logits, as Hugging Face's {@code output_hidden_states=True} gives them. With an
     * observer the final norm and the LM head run over every token (the returned logits are the last row of
     * those); without one over the last token only.
     */
    public float[] prefill(int[] ids, float[] imageEmbeds, float[] videoEmbeds, int[][] positions, LayerObserver observer) {
        int n = ids.length;
        if (n == 0) throw new IllegalArgumentException("prefill: ids is empty");
        checkContext(n);
        checkPositions(positions, n);
        for (int i = 0; i < n; i++) checkToken(ids[i], i);
        checkEmbeds(ids, model.modelConfig().imageTokenId(), imageEmbeds, "image");
        checkEmbeds(ids, model.modelConfig().videoTokenId(), videoEmbeds, "video");

        int start = length;
        cache.ensureCapacity(start + n);
        float[] last = new float[config.vocabSize()];
        prefillInPieces(ids, imageEmbeds, videoEmbeds, positions, start, observer, last);
        length = start + n;
        for (int[] axis : positions) for (int p : axis) maxPosition = Math.max(maxPosition, p);
        return last;
    }

    /** The memory {@link #snapshot()} takes now: every cached token's keys and values over all layers, in bytes. */
    public long snapshotBytes() {
        return length * cache.bytesPerToken();
    }

    /** A copy of every token this session has cached, for {@link #restore} by this or another session of the model. */
    public KvSnapshot snapshot() {
        return cache.snapshot(length);
    }

    /**
     * Empties the session and fills it with the first {@code rows} tokens of {@code snapshot}, as if they had been
     * prefilled here: the next tokens continue at {@code nextPosition} (the largest position among those rows + 1).
     *
     * @throws IllegalArgumentException when the snapshot holds fewer rows or was taken with another cache type or
     *                                  model
     */
    public void restore(KvSnapshot snapshot, int rows, int nextPosition) {
        if (rows < 0 || rows > snapshot.rows() || nextPosition < Math.min(rows, 1)) {
            throw new IllegalArgumentException("restore " + rows + " of a snapshot's " + snapshot.rows() + " rows at next position "
                    + nextPosition);
        }
        reset();
        checkContext(rows);
        cache.restore(snapshot, rows);
        length = rows;
        maxPosition = nextPosition - 1L;
    }

    /** Text continuation: {@code ids} at the positions that follow the cached tokens. Returns the last token's logits. */
    public float[] append(int[] ids) {
        return prefill(ids, null, null, nextTextPositions(ids.length));
    }

    /**
     * The position the next token takes on every axis: the largest position cached so far + 1 (0 when empty),
     * which is {@code length() + ropeDelta()}. A continuation's positions start here.
     */
    public int nextPosition() {
        return Math.toIntExact(maxPosition + 1);
    }

    /** Positions {@code [3][n]} of {@code n} text tokens following the cache: {@code nextPosition() + i} on every axis. */
    public int[][] nextTextPositions(int n) {
        return RopeIndex.textOnly(nextPosition(), n).positions();
    }

    /**
     * One generation step: feeds {@code tokenId} at position {@link #nextPosition()} (all three axes)
     * and returns its logits {@code [vocab]}. Reuses the session's buffers and attention workspace; only the
     * result is allocated (and the cache, when it doubles).
     */
    public float[] decode(int tokenId) {
        checkContext(1);
        checkToken(tokenId, 0);
        int position = beginDecode();
        model.embed(tokenId, step.x, 0);                                   // x [1, hidden]
        model.rope().cosSin(position, step.cos, step.sin);
        step.place(0, cache, length);
        model.layers(step, null, 0);
        model.finalNorm(step.x, 1, step.h);
        float[] logits = new float[config.vocabSize()];
        model.logits(step.h, 1, logits);                                   // [vocab]
        endDecode(position);
        return logits;
    }

    /** Throws as {@link #decode} would for {@code tokenId}: a full context or an id outside the vocabulary. */
    void checkDecodable(int tokenId) {
        checkContext(1);
        checkToken(tokenId, 0);
    }

    /** Readies one decode step (alone or in a {@link BatchDecoder} step): grows the cache by one row, returns the token's position. */
    int beginDecode() {
        cache.ensureCapacity(length + 1);
        return nextPosition();
    }

    /** Records that a decode step cached one token at {@code position}. */
    void endDecode(int position) {
        length++;
        maxPosition = Math.max(maxPosition, position);
    }

    KvCache cache() {
        return cache;
    }

    TextModel model() {
        return model;
    }

    /** Tokens one prefill pass runs through the layers at once (tests set it to compare pass sizes). */
    void pieceSize(int rows) {
        if (rows < 1) throw new IllegalArgumentException("prefill piece size must be positive, found " + rows);
        this.pieceSize = rows;
    }

    /**
     * Runs the tokens through the layers {@link #pieceSize} at a time (each piece attends to the cache the
     * earlier ones filled), so the work arrays stay a piece's size however long the prompt; writes the last
     * token's logits to {@code last}.
     */
    private void prefillInPieces(int[] ids, float[] imageEmbeds, float[] videoEmbeds, int[][] positions, int start,
                                 LayerObserver observer, float[] last) {
        int n = ids.length, hidden = config.hiddenSize(), vocab = config.vocabSize();
        int[] used = new int[2];                                            // image / video rows consumed so far
        Buffers full = null;
        float[] pieceLogits = null;
        GenerationProgress.report(GenerationProgress.Stage.PREFILL, 0, n, n);
        for (int from = 0; from < n; from += pieceSize) {
            int rows = Math.min(pieceSize, n - from);
            Buffers b;
            if (rows == pieceSize) {
                if (full == null) full = new Buffers(config, pieceSize, true);
                b = full;
            } else {
                b = new Buffers(config, rows, true);
            }
            embed(ids, from, rows, imageEmbeds, videoEmbeds, used, b.x);    // x [rows, hidden]
            model.rope().cosSin(positions, from, rows, b.cos, b.sin);       // cos/sin [rows, headDim/2]
            for (int i = 0; i < rows; i++) b.place(i, cache, start + from + i);
            model.layers(b, observer, from);                                // x [rows, hidden]
            if (observer != null) {                                         // every row through the norm and the head
                model.finalNorm(b.x, rows, b.h);                            // h [rows, hidden]
                observer.hiddenStates(model.layerCount(), from, rows, b.h);
                if (pieceLogits == null || pieceLogits.length < rows * vocab) pieceLogits = new float[Math.multiplyExact(rows, vocab)];
                model.logits(b.h, rows, pieceLogits);                       // [rows, vocab]
                observer.logits(from, rows, pieceLogits);
                if (from + rows == n) System.arraycopy(pieceLogits, (rows - 1) * vocab, last, 0, vocab);
            } else if (from + rows == n) {                                  // only the last row is needed
                System.arraycopy(b.x, (rows - 1) * hidden, lastRow, 0, hidden);
                float[] h = new float[hidden];
                model.finalNorm(lastRow, 1, h);                             // [hidden]
                model.logits(h, 1, last);                                   // [vocab]
            }
            GenerationProgress.report(GenerationProgress.Stage.PREFILL, from + rows, n, n);
        }
    }

    /**
     * Embeddings of {@code ids[from .. from+rows)} into {@code x}, pad tokens replaced in order by the rows of the
     * image / video embeddings; {@code used} counts the image and video rows consumed so far and is advanced.
     */
    private void embed(int[] ids, int from, int rows, float[] imageEmbeds, float[] videoEmbeds, int[] used, float[] x) {
        int hidden = config.hiddenSize();
        int imageId = model.modelConfig().imageTokenId(), videoId = model.modelConfig().videoTokenId();
        for (int i = 0; i < rows; i++) {
            int id = ids[from + i];
            if (id == imageId) {
                System.arraycopy(imageEmbeds, (used[0]++) * hidden, x, i * hidden, hidden);
            } else if (id == videoId) {
                System.arraycopy(videoEmbeds, (used[1]++) * hidden, x, i * hidden, hidden);
            } else {
                model.embed(id, x, i * hidden);
            }
        }
    }

    private void checkContext(int newTokens) {
        long requested = (long) length + newTokens;
        if (requested > config.maxPositionEmbeddings()) throw new ContextLimitException(config.maxPositionEmbeddings(), requested);
    }

    private void checkToken(int id, int index) {
        if (id < 0 || id >= config.vocabSize()) {
            throw new IllegalArgumentException("token id " + id + " at index " + index + " is outside the vocabulary [0, " + config.vocabSize() + ")");
        }
    }

    private static void checkPositions(int[][] positions, int n) {
        if (positions == null || positions.length != 3) {
            throw new IllegalArgumentException("positions must be [3][" + n + "], found " + (positions == null ? "null" : positions.length + " axes"));
        }
        for (int a = 0; a < 3; a++) {
            if (positions[a].length != n) {
                throw new IllegalArgumentException("positions axis " + a + " has " + positions[a].length + " entries for " + n + " tokens");
            }
        }
    }

    private void checkEmbeds(int[] ids, int padId, float[] embeds, String kind) {
        int pads = 0;
        for (int id : ids) if (id == padId) pads++;
        int rows = embeds == null ? 0 : embeds.length / config.hiddenSize();
        if (embeds != null && embeds.length % config.hiddenSize() != 0) {
            throw new IllegalArgumentException(kind + " embeddings hold " + embeds.length + " values, not a multiple of hidden size " + config.hiddenSize());
        }
        if (rows != pads) {
            throw new IllegalArgumentException("ids hold " + pads + " " + kind + " pad tokens (id " + padId + ") but " + rows + " " + kind
                    + " embedding rows were given");
        }
    }
}
