package qwen2vl4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tiled micro-kernels of the {@link Gemm}, over two packed operands:
 * <ul>
 *   <li>input rows packed {@link #MR} at a time, column-major within the block
 *       ({@code a[aOff + k·MR + r]} is column {@code k} of row {@code r}; see {@link #packRows});</li>
 *   <li>one weight tile of {@link #NR} rows, packed transposed ({@code b[bOff + k·NR + j]}).</li>
 * </ul>
 * Each kernel adds {@code Σ_{k<kc} a[k·MR + r] · b[k·NR + j]} into {@code out[oOff + r·oStride + j]}
 * for its rows {@code r} and all {@code j < NR}. (The {@code RowMajor} kernels instead read rows of {@code a} where
 * they lie and store their sums: for operands used once, in {@link WindowAttention}.) The full-block kernel fits the register file
 * ({@link VectorRegisters}): {@link #gemm12} keeps its 24 accumulators (12 rows × 2 vectors) in the 32
 * vector registers of AVX-512 and AArch64, {@link #gemm4} its 8 in the 16 of AVX2 and SSE. (There 24
 * accumulators spill, and even 10 or 12 do: the JIT keeps several broadcast inputs live at once, and the
 * one accumulator it moves to the stack chains each multiply-add through a store and a load. The 6×2 tile
 * of C BLAS kernels ran at 42 GFLOP/s on one Zen 3 core, 4×2 at 87–95.) Per column each loads two weight
 * vectors and broadcasts {@link #MR} consecutive input values, so the loads stay well under the two
 * multiply-adds per cycle. The kernels are branch-free and call no helper on purpose: the JIT keeps the accumulators
 * in registers only while a method stays small, and an accumulator passed to a call it does not
 * inline is boxed (seven times slower). {@code GemmKernelsReference} (in the tests) is the plain twin.
 */
final class GemmKernels {
    private static final VectorSpecies<Float> F = VectorKernels.F;
    private static final int L = VectorKernels.L;
    /** Input rows per packed block (and per full-block kernel call): 12 with 32 vector registers, else 4. */
    static final int MR = VectorRegisters.COUNT >= 32 ? 12 : 4;
    /** Weight rows per packed tile: two vectors. */
    static final int NR = 2 * L;

    private GemmKernels() {}

    /** The full block where {@link #MR} is 12 (32 vector registers): twelve rows against one weight tile. */
    static void gemm12(float[] a, int aOff, float[] b, int bOff, int kc, float[] out, int oOff, int oStride) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00;
        FloatVector c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00;
        FloatVector c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00, c80 = c00, c81 = c00;
        FloatVector c90 = c00, c91 = c00, c100 = c00, c101 = c00, c110 = c00, c111 = c00;
        for (int k = 0; k < kc; k++) {
            int p = bOff + k * NR, q = aOff + k * 12;
            FloatVector b0 = FloatVector.fromArray(F, b, p), b1 = FloatVector.fromArray(F, b, p + L);
            FloatVector a0 = FloatVector.broadcast(F, a[q]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, a[q + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, a[q + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, a[q + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(F, a[q + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(F, a[q + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(F, a[q + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(F, a[q + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
            FloatVector a8 = FloatVector.broadcast(F, a[q + 8]);
            c80 = a8.fma(b0, c80);
            c81 = a8.fma(b1, c81);
            FloatVector a9 = FloatVector.broadcast(F, a[q + 9]);
            c90 = a9.fma(b0, c90);
            c91 = a9.fma(b1, c91);
            FloatVector a10 = FloatVector.broadcast(F, a[q + 10]);
            c100 = a10.fma(b0, c100);
            c101 = a10.fma(b1, c101);
            FloatVector a11 = FloatVector.broadcast(F, a[q + 11]);
            c110 = a11.fma(b0, c110);
            c111 = a11.fma(b1, c111);
        }
        c00.add(FloatVector.fromArray(F, out, oOff)).intoArray(out, oOff);
        c01.add(FloatVector.fromArray(F, out, oOff + L)).intoArray(out, oOff + L);
        int o = oOff + oStride;
        c10.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c11.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c20.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c21.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c30.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c31.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c40.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c41.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c50.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c51.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c60.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c61.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c70.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c71.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c80.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c81.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c90.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c91.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c100.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c101.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c110.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c111.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
    }

    /**
     * Four rows of a packed block (those from {@code aOff}'s row on) against one weight tile: the full block where
     * {@link #MR} is 4 (16 vector registers), else the tail of {@code n}.
     */
    static void gemm4(float[] a, int aOff, float[] b, int bOff, int kc, float[] out, int oOff, int oStride) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00;
        FloatVector c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int k = 0; k < kc; k++) {
            int p = bOff + k * NR, q = aOff + k * MR;
            FloatVector b0 = FloatVector.fromArray(F, b, p), b1 = FloatVector.fromArray(F, b, p + L);
            FloatVector a0 = FloatVector.broadcast(F, a[q]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, a[q + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, a[q + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, a[q + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        c00.add(FloatVector.fromArray(F, out, oOff)).intoArray(out, oOff);
        c01.add(FloatVector.fromArray(F, out, oOff + L)).intoArray(out, oOff + L);
        int o = oOff + oStride;
        c10.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c11.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c20.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c21.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
        o += oStride;
        c30.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        c31.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
    }

    /** One row of a packed block against one weight tile: the last rows of {@code n}. */
    static void gemm1(float[] a, int aOff, float[] b, int bOff, int kc, float[] out, int oOff) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00;
        for (int k = 0; k < kc; k++) {
            int p = bOff + k * NR, q = aOff + k * MR;
            FloatVector b0 = FloatVector.fromArray(F, b, p), b1 = FloatVector.fromArray(F, b, p + L);
            FloatVector a0 = FloatVector.broadcast(F, a[q]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
        }
        c00.add(FloatVector.fromArray(F, out, oOff)).intoArray(out, oOff);
        c01.add(FloatVector.fromArray(F, out, oOff + L)).intoArray(out, oOff + L);
    }

    /**
     * Four rows of a row-major {@code a} (row {@code r} at {@code aOff + r·lda}) against one packed weight tile, the
     * sums stored, not added: {@code out[oOff + r·oStride + j] = Σ_{k<kc} a[aOff + r·lda + k] · b[bOff + k·NR + j]}.
     * For operands used once, where packing {@code a} would cost as much as the product (attention's queries and
     * probabilities, {@link WindowAttention}); four rows keep the 8 accumulators and 4 row offsets in registers at
     * every width.
     */
    static void gemm4RowMajor(float[] a, int aOff, int lda, float[] b, int bOff, int kc, float[] out, int oOff, int oStride) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00;
        FloatVector c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        int a1 = aOff + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int k = 0; k < kc; k++) {
            int p = bOff + k * NR;
            FloatVector b0 = FloatVector.fromArray(F, b, p), b1 = FloatVector.fromArray(F, b, p + L);
            FloatVector x0 = FloatVector.broadcast(F, a[aOff + k]);
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(F, a[a1 + k]);
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(F, a[a2 + k]);
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(F, a[a3 + k]);
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
        }
        c00.intoArray(out, oOff);
        c01.intoArray(out, oOff + L);
        int o = oOff + oStride;
        c10.intoArray(out, o);
        c11.intoArray(out, o + L);
        o += oStride;
        c20.intoArray(out, o);
        c21.intoArray(out, o + L);
        o += oStride;
        c30.intoArray(out, o);
        c31.intoArray(out, o + L);
    }

    /** {@link #gemm4RowMajor} for one row: {@code out[oOff + j] = Σ_{k<kc} a[aOff + k] · b[bOff + k·NR + j]}. */
    static void gemm1RowMajor(float[] a, int aOff, float[] b, int bOff, int kc, float[] out, int oOff) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00;
        for (int k = 0; k < kc; k++) {
            int p = bOff + k * NR;
            FloatVector x0 = FloatVector.broadcast(F, a[aOff + k]);
            c00 = x0.fma(FloatVector.fromArray(F, b, p), c00);
            c01 = x0.fma(FloatVector.fromArray(F, b, p + L), c01);
        }
        c00.intoArray(out, oOff);
        c01.intoArray(out, oOff + L);
    }

    /**
     * {@link #gemm4RowMajor} against a half tile, {@code NR / 2} lanes packed {@code b[bOff + k·NR/2 + j]}: the last
     * lanes of a row whose width leaves half a tile (the vision heads' 80 lanes at 512 bits, 2·32 + 16).
     */
    static void gemm4RowMajorHalf(float[] a, int aOff, int lda, float[] b, int bOff, int kc, float[] out, int oOff, int oStride) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
        int a1 = aOff + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int k = 0; k < kc; k++) {
            FloatVector b0 = FloatVector.fromArray(F, b, bOff + k * L);
            c0 = FloatVector.broadcast(F, a[aOff + k]).fma(b0, c0);
            c1 = FloatVector.broadcast(F, a[a1 + k]).fma(b0, c1);
            c2 = FloatVector.broadcast(F, a[a2 + k]).fma(b0, c2);
            c3 = FloatVector.broadcast(F, a[a3 + k]).fma(b0, c3);
        }
        c0.intoArray(out, oOff);
        c1.intoArray(out, oOff + oStride);
        c2.intoArray(out, oOff + 2 * oStride);
        c3.intoArray(out, oOff + 3 * oStride);
    }

    /** {@link #gemm4RowMajorHalf} for one row. */
    static void gemm1RowMajorHalf(float[] a, int aOff, float[] b, int bOff, int kc, float[] out, int oOff) {
        FloatVector c0 = FloatVector.zero(F);
        for (int k = 0; k < kc; k++) c0 = FloatVector.broadcast(F, a[aOff + k]).fma(FloatVector.fromArray(F, b, bOff + k * L), c0);
        c0.intoArray(out, oOff);
    }

    /**
     * Transposes {@code NR} rows of {@code kc} floats ({@code src[jj·srcStride + k]}) into a packed
     * weight tile ({@code panel[pOff + k·NR + jj]}), one gathered column vector at a time.
     * {@code srcStride} must be the stride {@link #gatherMap} was made for.
     */
    static void transposeTile(float[] src, int srcStride, int[] gatherMap, int kc, float[] panel, int pOff) {
        for (int k = 0, p = pOff; k < kc; k++, p += NR) {
            FloatVector.fromArray(F, src, k, gatherMap, 0).intoArray(panel, p);
            FloatVector.fromArray(F, src, k + L * srcStride, gatherMap, 0).intoArray(panel, p + L);
        }
    }

    /** The gather offsets of {@link #transposeTile} for rows {@code srcStride} floats apart. */
    static int[] gatherMap(int srcStride) {
        int[] map = new int[L];
        for (int i = 0; i < L; i++) map[i] = i * srcStride;
        return map;
    }

    /**
     * Packs input rows {@code [block·MR, block·MR + MR)} (those below {@code n}) of {@code x[n, cols]}
     * into block {@code block} of {@code a}: {@code a[(block·cols + k)·MR + r] = x[(block·MR + r)·cols + k]}.
     * The slots of the rows past {@code n} are left as they are: no kernel reads them.
     */
    static void packRows(float[] x, int n, int cols, int block, float[] a) {
        int r0 = block * MR, rowsHere = Math.min(MR, n - r0);
        int base = block * cols * MR;
        for (int r = 0; r < rowsHere; r++) {
            int src = (r0 + r) * cols;
            for (int k = 0, d = base + r; k < cols; k++, d += MR) a[d] = x[src + k];
        }
    }
}
