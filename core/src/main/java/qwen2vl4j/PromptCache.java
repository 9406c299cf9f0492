package qwen2vl4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedList;
import java.util.List;
import qwen2vl4j.preprocess.Grid;
import qwen2vl4j.preprocess.VisionBatch;
import qwen2vl4j.text.KvSnapshot;

/**
 * Prompts already prefilled, kept so that a later prompt that starts the same way runs only what follows: the
 * vision tower over its media and the prefill of its tokens are skipped for the shared start (vLLM's automatic
 * prefix caching, llama.cpp server's {@code cache_prompt}). A client of a stateless chat API sends the whole
 * conversation with every turn, its images included; with the cache a follow-up question about an image costs its
 * own tokens, not the image again.
 *
 * <p>A prompt is compared token by token, each image or video pad token standing for its item's pixel values (a
 * SHA-256 of them and of the grid), so the same text with another picture does not match past the picture. A match
 * never ends inside an item: it stops before the item's {@code <|vision_start|>}, and the item is encoded again.
 * Only a prompt's own rows are kept (the answer's rows come from decode steps, which sum in another order).
 *
 * <p>The answers are the same with or without the cache, bit for bit, where the backend's products are
 * {@linkplain qwen2vl4j.kernels.ComputeBackend#rowStable() row-stable} (the Java backend, the default): a prompt
 * prefilled after a cached start equals the prompt prefilled in one pass. Entries are evicted least recently used
 * first to stay within {@link #capacityBytes()}. Thread-safe.
 */
public final class PromptCache {
    /** The pad tokens' keys have this bit set, so that they never equal a text token's id. */
    private static final long PAD = Long.MIN_VALUE;

    private final long capacityBytes;
    /** Most recently used first. */
    private final LinkedList<Entry> entries = new LinkedList<>();
    private long bytes;
    private long lookups;
    private long hits;
    private long reusedTokens;

    /**
     * The capacity front ends take when none is given: 1 GiB (about 18,000 prompt tokens of the 2B model's f32 keys and
     * values), at most an eighth of the heap, which also holds the requests' own caches and vision activations.
     */
    public static long defaultCapacityBytes() {
        return Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 8);
    }

    /** An empty cache that keeps at most {@code capacityBytes} of keys and values (0: keeps nothing). */
    public PromptCache(long capacityBytes) {
        if (capacityBytes < 0) throw new IllegalArgumentException("prompt cache capacity must be at least 0 bytes, found " + capacityBytes);
        this.capacityBytes = capacityBytes;
    }

    /**
     * A prompt kept: the model that ran it (a cache shared by two models never gives one the other's rows), its
     * token keys, the position each of its prefixes continues at, and its rows' keys and values.
     */
    record Entry(Object model, long[] keys, int[] nextPositions, KvSnapshot kv) {}

    /** The longest cached start of a prompt: {@code rows} tokens of {@code entry}, after which positions continue at {@code nextPosition}. */
    record Hit(Entry entry, int rows, int nextPosition) {}

    /** What the cache has done so far. */
    public record Stats(int entries, long bytes, long lookups, long hits, long reusedTokens) {}

    /** The most memory its entries take, in bytes. */
    public long capacityBytes() {
        return capacityBytes;
    }

    /** Its entries, memory, lookups, hits and the prompt tokens those hits did not run. */
    public synchronized Stats stats() {
        return new Stats(entries.size(), bytes, lookups, hits, reusedTokens);
    }

    /**
     * The longest start of the prompt {@code keys} that an entry of {@code model} holds, at most {@code limit} tokens,
     * or null.
     * A start that would end inside a media item is cut back to the item's {@code <|vision_start|>} token, so that
     * what is left to run holds whole items.
     */
    synchronized Hit find(Object model, long[] keys, int limit) {
        lookups++;
        Entry best = null;
        int bestRows = 0;
        for (Entry e : entries) {
            if (e.model != model) continue;
            int n = Math.min(limit, Math.min(keys.length, e.keys.length)), m = 0;
            while (m < n && keys[m] == e.keys[m]) m++;
            if (m > bestRows) {
                best = e;
                bestRows = m;
            }
        }
        // a start that ends inside an item's pads (or right after its <|vision_start|>) goes back to that token
        while (bestRows > 0 && bestRows < keys.length && (keys[bestRows] & PAD) != 0) bestRows--;
        if (best == null || bestRows == 0) return null;
        entries.remove(best);
        entries.addFirst(best);
        hits++;
        reusedTokens += bestRows;
        return new Hit(best, bestRows, best.nextPositions[bestRows - 1]);
    }

    /** Whether a prompt of {@code tokens} whose keys and values take {@code kvBytes} fits the capacity at all. */
    boolean admits(int tokens, long kvBytes) {
        return sizeOf(tokens, kvBytes) <= capacityBytes;
    }

    /**
     * Keeps a prefilled prompt: its keys, {@code nextPositions[i]} (the largest position among its tokens
     * {@code 0..i}, + 1) and its rows' keys and values. An entry whose keys start this one is dropped (this one
     * holds it); the least recently used go until the cache fits its capacity. A prompt larger than the whole
     * capacity is not kept.
     */
    synchronized void put(Object model, long[] keys, int[] nextPositions, KvSnapshot kv) {
        long size = sizeOf(keys, kv);
        if (size > capacityBytes || kv.rows() != keys.length) return;
        for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (e.model == model && e.keys.length <= keys.length && startsWith(keys, e.keys)) {
                it.remove();
                bytes -= sizeOf(e.keys, e.kv);
            }
        }
        entries.addFirst(new Entry(model, keys, nextPositions, kv));
        bytes += size;
        while (bytes > capacityBytes) {
            Entry last = entries.removeLast();
            bytes -= sizeOf(last.keys, last.kv);
        }
    }

    /** Empties the cache. */
    public synchronized void clear() {
        entries.clear();
        bytes = 0;
    }

    private static long sizeOf(long[] keys, KvSnapshot kv) {
        return sizeOf(keys.length, kv.bytes());
    }

    /** An entry's memory: its keys and values, and 12 bytes a token for its key and next position. */
    private static long sizeOf(int tokens, long kvBytes) {
        return kvBytes + 12L * tokens;
    }

    private static boolean startsWith(long[] keys, long[] start) {
        for (int i = 0; i < start.length; i++) if (keys[i] != start[i]) return false;
        return true;
    }

    /**
     * The prompt's tokens as the cache compares them: a text token is its id; the {@code j}-th pad token of a media
     * item is a hash of the item's pixel values, grid and {@code j} (with the {@link #PAD} bit).
     */
    static long[] keys(ModelInputs inputs, int imageTokenId, int videoTokenId, int mergeSize) {
        int[] ids = inputs.ids();
        long[] keys = new long[ids.length];
        long[] images = itemDigests(inputs.images()), videos = itemDigests(inputs.videos());
        int[] imageTokens = itemTokens(inputs.images(), mergeSize), videoTokens = itemTokens(inputs.videos(), mergeSize);
        int image = 0, video = 0, inImage = 0, inVideo = 0;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == imageTokenId && image < images.length) {
                keys[i] = PAD | mix(images[image] + inImage) >>> 1;
                if (++inImage == imageTokens[image]) {
                    image++;
                    inImage = 0;
                }
            } else if (ids[i] == videoTokenId && video < videos.length) {
                keys[i] = PAD | mix(videos[video] + inVideo) >>> 1;
                if (++inVideo == videoTokens[video]) {
                    video++;
                    inVideo = 0;
                }
            } else {
                keys[i] = ids[i] & 0xffffffffL;
            }
        }
        return keys;
    }

    /** The first 64 bits of a SHA-256 of each item's grid and pixel values. */
    private static long[] itemDigests(VisionBatch batch) {
        if (batch == null) return new long[0];
        List<Grid> grids = batch.grids();
        long[] out = new long[grids.size()];
        MessageDigest sha = sha256();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        int row = 0;
        for (int g = 0; g < grids.size(); g++) {
            Grid grid = grids.get(g);
            sha.reset();
            for (long v : grid.thw()) buf.putLong(v);
            int from = row * batch.cols(), to = (row + grid.patches()) * batch.cols();
            for (int i = from; i < to; i++) {
                if (buf.remaining() < Float.BYTES) {
                    sha.update(buf.flip());
                    buf.clear();
                }
                buf.putInt(Float.floatToRawIntBits(batch.data()[i]));
            }
            sha.update(buf.flip());
            buf.clear();
            out[g] = ByteBuffer.wrap(sha.digest()).getLong();
            row += grid.patches();
        }
        return out;
    }

    private static int[] itemTokens(VisionBatch batch, int mergeSize) {
        if (batch == null) return new int[0];
        List<Grid> grids = batch.grids();
        int[] out = new int[grids.size()];
        for (int g = 0; g < out.length; g++) out[g] = grids.get(g).tokens(mergeSize);
        return out;
    }

    /** The items of {@code batch} from {@code first} on (null when none is left). */
    static VisionBatch itemsFrom(VisionBatch batch, int first) {
        if (batch == null || first == 0) return batch;
        List<Grid> grids = batch.grids();
        if (first >= grids.size()) return null;
        int skipped = 0;
        for (int g = 0; g < first; g++) skipped += grids.get(g).patches();
        float[] data = java.util.Arrays.copyOfRange(batch.data(), skipped * batch.cols(), batch.data().length);
        return new VisionBatch(data, batch.rows() - skipped, batch.cols(), new ArrayList<>(grids.subList(first, grids.size())));
    }

    private static long mix(long z) {              // SplitMix64's finaliser
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
