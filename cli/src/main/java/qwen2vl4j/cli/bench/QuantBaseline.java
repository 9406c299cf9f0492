package qwen2vl4j.cli.bench;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import qwen2vl4j.io.DType;
import qwen2vl4j.kernels.ComputePool;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.QuantGemv;

/**
 * The first integer kernels of the quantized matrix-vector product, kept only as the baseline that
 * {@code quant-bench} measures {@link QuantGemv}'s current ones against: one weight row per pass, each
 * short vector of products paired into 32-bit lanes by shift, add and arithmetic shift, converted and
 * scaled on its own. Written once for any width ({@link #BITS}; below 128 bits the whole product is
 * {@link QuantGemv.Kernel#SCALAR}): a block is {@code 32 / shorts-per-vector} parts. Q4_0 bytes are
 * widened to ints and a byte's two nibbles put side by side as shorts, against the activation in the
 * interleaved order {@code (x0, x16, x1, x17, …)} per block ({@link #quantizeActivation}), which is
 * the same at every width. The activation is quantized as the engine does it
 * ({@link QuantGemv#quantizeActivation}), rows are split across the pool as in {@link QuantGemv}, and
 * the activation buffers are per calling thread. Same contract as {@link QuantGemv#run}.
 */
final class QuantBaseline {
    /** The width the kernels run at, chosen as the engine's quantized kernels choose theirs: the preferred vector size, at most 512 bits; 0 below 128. */
    static final int BITS = width(FloatVector.SPECIES_PREFERRED.vectorBitSize());
    /** Whether the kernels here run vector code ({@link #BITS} ≥ 128). */
    static final boolean VECTOR = BITS >= 128;
    /** Values per block. */
    static final int BLOCK = 32;

    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(Math.max(128, BITS)));
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final VectorSpecies<Short> S = F.withLanes(short.class);
    /** Bytes widened to one vector of shorts: half the width. */
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    /** Bytes of a Q4_0 load: one per int lane, at least 8 (the smallest byte vector; at 128 bits the first 4 are widened). */
    private static final VectorSpecies<Byte> BI = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, 8 * I.length())));
    /** Bytes a load of {@link #BI} reads past the ones it widens: 4 at 128 bits, else 0. */
    private static final int OVERREAD = BI.length() - I.length();
    private static final int HALF = BLOCK / 2;
    private static final int Q8 = 34;
    private static final int Q4 = 18;
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Tasks per pool thread and the work (multiply-adds) below which one task runs: as in {@link QuantGemv}. */
    private static final int TASKS_PER_THREAD = 2;
    private static final long PARALLEL_THRESHOLD = 1L << 16;

    /** Per calling thread: the quantized activation rows (shorts, scales, Q4 corrections). */
    private static final ThreadLocal<Activation> ACTIVATION = ThreadLocal.withInitial(Activation::new);

    private QuantBaseline() {}

    private static int width(int preferred) {
        return preferred >= 512 ? 512 : preferred >= 256 ? 256 : preferred >= 128 ? 128 : 0;
    }

    private static final class Activation {
        short[] q = new short[0];
        float[] d = new float[0];
        float[] corr = new float[0];

        void fit(int values) {
            if (q.length < values) {
                q = new short[values];
                d = new float[values / BLOCK];
                corr = new float[values / BLOCK];
            }
        }
    }

    /** {@code out = x · Wᵀ + bias} for {@code n} input rows of a Q8_0 or Q4_0 matrix. */
    static void run(float[] x, int n, Matrix w, float[] bias, float[] out) {
        if (!VECTOR) {
            QuantGemv.run(x, n, w, bias, out, QuantGemv.Kernel.SCALAR);
            return;
        }
        DType type = w.dtype();
        if (!type.isQuantized()) throw new IllegalArgumentException("matrix " + w.name() + " is " + type + ", not block-quantized");
        int rows = w.rows(), cols = w.cols(), blocks = cols / BLOCK;
        Activation a = ACTIVATION.get();
        a.fit(n * cols);
        for (int i = 0; i < n; i++) quantizeActivation(type, x, i * cols, cols, a.q, i * cols, a.d, a.corr, i * blocks);
        int tasks = tasks(rows, (long) rows * cols * n);
        short[] q = a.q;
        float[] d = a.d, corr = a.corr;
        ComputePool.forEach(tasks, t -> rows(n, w, bias, out, q, d, corr, (int) ((long) rows * t / tasks), (int) ((long) rows * (t + 1) / tasks)));
    }

    /** How many pool tasks a product of {@code rows} weight rows and {@code work} multiply-adds is split into, as in {@link QuantGemv}. */
    static int tasks(int rows, long work) {
        return work < PARALLEL_THRESHOLD ? 1 : Math.min(rows, ComputePool.threads() * TASKS_PER_THREAD);
    }

    /**
     * {@link QuantGemv#quantizeActivation}, then for Q4_0 each block's shorts interleaved
     * {@code (x0, x16, x1, x17, …)}: a low nibble's value and its high nibble's side by side, as
     * {@link #dotQ4} reads them.
     */
    static void quantizeActivation(DType type, float[] x, int xo, int n, short[] qa, int qo, float[] da, float[] corr, int dOff) {
        QuantGemv.quantizeActivation(type, x, xo, n, qa, qo, da, corr, dOff);
        if (type != DType.Q4_0) return;
        short[] natural = new short[BLOCK];
        for (int at = qo; at < qo + n; at += BLOCK) {
            System.arraycopy(qa, at, natural, 0, BLOCK);
            for (int j = 0; j < HALF; j++) {
                qa[at + 2 * j] = natural[j];
                qa[at + 2 * j + 1] = natural[HALF + j];
            }
        }
    }

    private static void rows(int n, Matrix w, float[] bias, float[] out, short[] q, float[] d, float[] corr, int from, int to) {
        int rows = w.rows(), cols = w.cols(), blocks = cols / BLOCK;
        MemorySegment data = w.data();
        boolean q8 = w.dtype() == DType.Q8_0;
        for (int r = from; r < to; r++) {
            long off = w.rowOffset(r);
            for (int i = 0; i < n; i++) {
                float s = q8
                        ? dotQ8(data, off, q, i * cols, d, i * blocks, blocks)
                        : dotQ4(data, off, q, i * cols, d, corr, i * blocks, blocks);
                out[i * rows + r] = bias == null ? s : s + bias[r];
            }
        }
    }

    /**
     * Σ over blocks of {@code d_w · d_a · Σ q_w·q_a}: the Q8_0 weight row at {@code w[off..]} against the
     * quantized activation row at {@code qa[qo..]} (scales from {@code da[dOff]}). Vector code at
     * {@link #BITS}, at least 128 (without vectors {@link #run} takes the scalar kernel instead).
     */
    static float dotQ8(MemorySegment w, long off, short[] qa, int qo, float[] da, int dOff, int blocks) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int b = 0;
        for (; b + 1 < blocks; b += 2, off += 2 * Q8) {
            acc0 = blockQ8(w, off, qa, qo + b * BLOCK, scale(w, off, da[dOff + b]), acc0);
            acc1 = blockQ8(w, off + Q8, qa, qo + (b + 1) * BLOCK, scale(w, off + Q8, da[dOff + b + 1]), acc1);
        }
        if (b < blocks) acc0 = blockQ8(w, off, qa, qo + b * BLOCK, scale(w, off, da[dOff + b]), acc0);
        return acc0.add(acc1).reduceLanes(ADD);
    }

    /** {@code d_w · da}: the block's f16 scale times the activation's. */
    private static float scale(MemorySegment w, long off, float da) {
        return Float.float16ToFloat(w.get(SHORT_LE, off)) * da;
    }

    private static FloatVector blockQ8(MemorySegment w, long off, short[] qa, int qo, float s, FloatVector acc) {
        FloatVector scale = FloatVector.broadcast(F, s);
        for (int j = 0; j < BLOCK; j += S.length()) {
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(BS, w, off + 2 + j, ByteOrder.LITTLE_ENDIAN).convertShape(B2S, S, 0);
            IntVector p = q.mul(ShortVector.fromArray(S, qa, qo + j)).reinterpretAsInts();
            acc = ((FloatVector) pairSums(p).convert(I2F, 0)).fma(scale, acc);
        }
        return acc;
    }

    private static IntVector pairSums(IntVector p) {
        return p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16);
    }

    /**
     * Σ over blocks of {@code d_w · d_a · Σ (q_w − 8)·q_a}: the Q4_0 weight row at {@code w[off..]} against
     * the activation row at {@code qa[qo..]} in the interleaved order ({@link #quantizeActivation}), its
     * corrections in {@code corr[dOff..]}. Vector code as {@link #dotQ8}; where a load would read past the
     * end of the segment, the last block is taken by {@link #dotQ4Scalar}.
     */
    static float dotQ4(MemorySegment w, long off, short[] qa, int qo, float[] da, float[] corr, int dOff, int blocks) {
        int vb = OVERREAD > 0 && blocks > 0 && off + (long) blocks * Q4 + OVERREAD > w.byteSize() ? blocks - 1 : blocks;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        float c = 0;
        int b = 0;
        for (; b + 1 < vb; b += 2) {
            float s0 = scale(w, off + 2L * b, da[dOff + b]), s1 = scale(w, off + 2L * (b + 1), da[dOff + b + 1]);
            acc0 = blockQ4(w, quants(off, blocks, b), qa, qo + b * BLOCK, s0, acc0);
            acc1 = blockQ4(w, quants(off, blocks, b + 1), qa, qo + (b + 1) * BLOCK, s1, acc1);
            c += s0 * corr[dOff + b] + s1 * corr[dOff + b + 1];
        }
        if (b < vb) {
            float s0 = scale(w, off + 2L * b, da[dOff + b]);
            acc0 = blockQ4(w, quants(off, blocks, b), qa, qo + b * BLOCK, s0, acc0);
            c += s0 * corr[dOff + b];
            b++;
        }
        if (b < blocks) c += dotQ4Scalar(w, off, blocks, b, qa, qo, da, corr, dOff);
        return acc0.add(acc1).reduceLanes(ADD) + c;
    }

    /** Where the nibbles of block {@code b} lie in the planar Q4_0 row at {@code off} of {@code blocks} blocks (its scales first, 2 bytes each). */
    static long quants(long off, int blocks, int b) {
        return off + 2L * blocks + 16L * b;
    }

    /** Bytes {@code j..} of the block's nibbles widened to ints; each int {@code (hi nibble << 16 | lo nibble)} is the short pair (lo, hi). */
    private static FloatVector blockQ4(MemorySegment w, long quants, short[] qa, int qo, float s, FloatVector acc) {
        FloatVector scale = FloatVector.broadcast(F, s);
        for (int j = 0; j < HALF; j += I.length()) {
            IntVector q = (IntVector) ByteVector.fromMemorySegment(BI, w, quants + j, ByteOrder.LITTLE_ENDIAN).convertShape(B2I, I, 0);
            IntVector pairs = q.and(0xF).or(q.lanewise(LSHL, 12).and(0xF0000));
            IntVector p = pairs.reinterpretAsShorts().mul(ShortVector.fromArray(S, qa, qo + 2 * j)).reinterpretAsInts();
            acc = ((FloatVector) pairSums(p).convert(I2F, 0)).fma(scale, acc);
        }
        return acc;
    }

    /** Plain-Java {@link #dotQ4} over blocks {@code [from, blocks)} (same interleaved activation): the blocks its vectors cannot load. */
    private static float dotQ4Scalar(MemorySegment w, long off, int blocks, int from, short[] qa, int qo, float[] da, float[] corr, int dOff) {
        float s = 0;
        for (int b = from; b < blocks; b++) {
            int sum = 0;
            for (int j = 0; j < HALF; j++) {
                int q = w.get(ValueLayout.JAVA_BYTE, quants(off, blocks, b) + j) & 0xFF;
                sum += (q & 0xF) * qa[qo + b * BLOCK + 2 * j] + (q >>> 4) * qa[qo + b * BLOCK + 2 * j + 1];
            }
            s += Float.float16ToFloat(w.get(SHORT_LE, off + 2L * b)) * da[dOff + b] * (sum + corr[dOff + b]);
        }
        return s;
    }
}
