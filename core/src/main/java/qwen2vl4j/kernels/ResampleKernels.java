package qwen2vl4j.kernels;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The horizontal pass of Pillow's fixed-point resampler ({@code qwen2vl4j.preprocess.PillowResize}) for
 * blocks of rows at once with the Vector API: each lane holds one row, so one vector multiply-add applies a
 * tap to {@code lanes} rows. Same integer arithmetic as the scalar pass there (its twin, which the tests
 * compare against), so the result is identical.
 */
public final class ResampleKernels {
    private static final VectorSpecies<Integer> SPECIES = IntVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    private ResampleKernels() {}

    /** True where vectors of at least 4 ints are available (otherwise the scalar pass is faster). */
    public static boolean isUsable() {
        return LANES >= 4;
    }

    /**
     * Resamples the largest multiple of the lane count of rows from the start; returns how many rows it did.
     * Rows are transposed per channel into {@code column[x * lanes + row]} so that a tap is one vector load.
     */
    public static int resample(byte[] in, int inW, int firstRow, int rowCount, int outW,
                               int ksize, int[] bounds, int[] k, int precisionBits, byte[] out) {
        int lanes = LANES;
        int blocks = rowCount / lanes;
        if (blocks == 0) return 0;
        int half = 1 << (precisionBits - 1);
        int[][] columns = new int[3][inW * lanes];
        int[] lane = new int[lanes];
        int outStride = outW * 3;
        for (int block = 0; block < blocks; block++) {
            int y0 = block * lanes;
            for (int q = 0; q < lanes; q++) {
                int p = (firstRow + y0 + q) * inW * 3;
                for (int x = 0, t = q; x < inW; x++, t += lanes, p += 3) {
                    columns[0][t] = in[p] & 0xFF;
                    columns[1][t] = in[p + 1] & 0xFF;
                    columns[2][t] = in[p + 2] & 0xFF;
                }
            }
            int outBase = y0 * outStride;
            for (int xx = 0; xx < outW; xx++) {
                int xmin = bounds[2 * xx];
                int count = bounds[2 * xx + 1];
                int kOff = xx * ksize;
                for (int ch = 0; ch < 3; ch++) {
                    int[] col = columns[ch];
                    IntVector acc = IntVector.broadcast(SPECIES, half);
                    for (int i = 0, t = xmin * lanes; i < count; i++, t += lanes) {
                        acc = acc.add(IntVector.fromArray(SPECIES, col, t).mul(k[kOff + i]));
                    }
                    acc.lanewise(VectorOperators.ASHR, precisionBits).max(0).min(255).intoArray(lane, 0);
                    for (int q = 0, o = outBase + xx * 3 + ch; q < lanes; q++, o += outStride) {
                        out[o] = (byte) lane[q];
                    }
                }
            }
        }
        return blocks * lanes;
    }
}
