package qwen2vl4j.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API versions of the vision tower's per-row work, one row or range at a time on the
 * calling thread ({@link VisionOps} splits them across the pool). Each has a scalar twin in
 * {@code VisionOpsReference} (in the tests). Every element is computed by the same lane arithmetic, a partial last
 * vector through a mask (or, for rotary, the twin's identical float32 arithmetic), so a result never
 * depends on where a range starts or ends.
 *
 * <p>LayerNorm runs in double lanes like its twin. Softmax and quick GELU use {@link #exp}, a float32
 * exponential within about an ulp of {@link Math#exp}; softmax corrects its argument for the rounding
 * of {@code x − max} and sums in double lanes, so it stays as accurate as the twin.
 *
 * <p>Only IEEE lane arithmetic is used (no lane {@code EXP}, no lane-order {@code ADD} reduction): those
 * are computed differently before and after the JIT compiles a loop, and a result must not depend on
 * when it was computed.
 */
final class VisionVectorKernels {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Doubles of the same bit width as {@link #F}: half as many lanes. */
    static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
    /** Floats with as many lanes as {@link #D} (half the bit width), to widen into and narrow from. */
    static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int L = F.length();
    private static final int DL = D.length();

    private static final float LOG2_E = (float) (1.0 / Math.log(2.0));
    /** ln 2 as a float32 and the float32 nearest the remainder: together about 48 bits of ln 2. */
    private static final float LN2_HI = (float) Math.log(2.0);
    private static final float LN2_LO = (float) (Math.log(2.0) - LN2_HI);
    /** Their negations as constants (C2 negates {@code -LN2_HI} in each iteration otherwise). */
    private static final float NEG_LN2_HI = -LN2_HI, NEG_LN2_LO = -LN2_LO;
    /** 1.5·2²³: adding and subtracting it rounds a float32 of magnitude below 2²² to the nearest integer. */
    private static final float ROUNDER = 0x1.8p23f;
    /** The bits of {@link #ROUNDER}: those of {@code ROUNDER + n} minus these are {@code n}. */
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    /** exp of anything below this is under half the smallest float32; above the upper bound it overflows. */
    private static final float EXP_LOW = -104f;
    private static final float EXP_HIGH = 89f;

    private VisionVectorKernels() {}

    private static DoubleVector widen(float[] a, int i) {
        return (DoubleVector) FloatVector.fromArray(FH, a, i).convertShape(VectorOperators.F2D, D, 0);
    }

    private static DoubleVector widen(float[] a, int i, VectorMask<Float> m) {
        return (DoubleVector) FloatVector.fromArray(FH, a, i, m).convertShape(VectorOperators.F2D, D, 0);
    }

    /** LayerNorm of the rows {@code [from, to)} (see {@link VisionOps#layerNorm}), in double lanes. */
    static void layerNorm(float[] x, int from, int to, int dim, float[] weight, float[] bias, float eps, float[] out) {
        int bound = FH.loopBound(dim);
        VectorMask<Float> tail = FH.indexInRange(bound, dim);
        VectorMask<Double> tailD = tail.cast(D);
        for (int r = from; r < to; r++) {
            int off = r * dim;
            DoubleVector acc = DoubleVector.zero(D);
            for (int i = 0; i < bound; i += DL) acc = acc.add(widen(x, off + i));
            if (bound < dim) acc = acc.add(widen(x, off + bound, tail));
            double mean = sumLanes(acc) / dim;
            DoubleVector vMean = DoubleVector.broadcast(D, mean);
            acc = DoubleVector.zero(D);
            for (int i = 0; i < bound; i += DL) {
                DoubleVector d = widen(x, off + i).sub(vMean);
                acc = acc.add(d.mul(d));
            }
            if (bound < dim) {
                DoubleVector d = widen(x, off + bound, tail).sub(vMean);
                acc = acc.add(d.mul(d), tailD);
            }
            double inv = 1.0 / Math.sqrt(sumLanes(acc) / dim + eps);
            for (int i = 0; i < bound; i += DL) {
                DoubleVector y = widen(x, off + i).sub(vMean).mul(inv).mul(widen(weight, i)).add(widen(bias, i));
                ((FloatVector) y.convertShape(VectorOperators.D2F, FH, 0)).intoArray(out, off + i);
            }
            if (bound < dim) {
                DoubleVector y = widen(x, off + bound, tail).sub(vMean).mul(inv).mul(widen(weight, bound, tail)).add(widen(bias, bound, tail));
                ((FloatVector) y.convertShape(VectorOperators.D2F, FH, 0)).intoArray(out, off + bound, tail);
            }
        }
    }

    /**
     * {@code a[off+i] ← a[off+i]·scale}, then their softmax in place. The exponent {@code x − max} is
     * rounded to float32, so its rounding error (exact, by TwoSum) is put back as {@code e·(1 + err)}.
     */
    static void softmax(float[] a, int off, int n, float scale) {
        int bound = F.loopBound(n);
        VectorMask<Float> tail = F.indexInRange(bound, n);
        FloatVector vMax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, a, off + i).mul(scale);
            v.intoArray(a, off + i);
            vMax = vMax.max(v);
        }
        if (bound < n) {
            FloatVector v = FloatVector.fromArray(F, a, off + bound, tail).mul(scale);
            v.intoArray(a, off + bound, tail);
            vMax = vMax.lanewise(VectorOperators.MAX, v, tail);
        }
        float max = vMax.reduceLanes(VectorOperators.MAX);
        for (int i = 0; i < bound; i += L) shiftedExp(FloatVector.fromArray(F, a, off + i), max).intoArray(a, off + i);
        if (bound < n) shiftedExp(FloatVector.fromArray(F, a, off + bound, tail), max).intoArray(a, off + bound, tail);
        // summed in a pass of their own: beside the exponential's constants the two sums had no registers left
        // (AVX2 has 16) and went through the stack in every iteration, a chain of store, load and add
        DoubleVector sum0 = DoubleVector.zero(D), sum1 = DoubleVector.zero(D);
        for (int i = 0; i < bound; i += L) {
            FloatVector e = FloatVector.fromArray(F, a, off + i);
            sum0 = sum0.add((DoubleVector) e.convertShape(VectorOperators.F2D, D, 0));
            sum1 = sum1.add((DoubleVector) e.convertShape(VectorOperators.F2D, D, 1));
        }
        if (bound < n) {
            FloatVector e = FloatVector.fromArray(F, a, off + bound, tail);
            sum0 = sum0.add((DoubleVector) e.convertShape(VectorOperators.F2D, D, 0));
            sum1 = sum1.add((DoubleVector) e.convertShape(VectorOperators.F2D, D, 1));
        }
        float inv = (float) (1.0 / sumLanes(sum0.add(sum1)));
        for (int i = 0; i < bound; i += L) FloatVector.fromArray(F, a, off + i).mul(inv).intoArray(a, off + i);
        if (bound < n) FloatVector.fromArray(F, a, off + bound, tail).mul(inv).intoArray(a, off + bound, tail);
    }

    /** {@code exp(v − max)} per lane, with the rounding error of the float32 difference put back. */
    private static FloatVector shiftedExp(FloatVector v, float max) {
        FloatVector negMax = FloatVector.broadcast(F, -max);
        FloatVector d = v.add(negMax);
        FloatVector bp = d.sub(v);
        FloatVector err = v.sub(d.sub(bp)).add(negMax.sub(bp));      // TwoSum: v − max = d + err exactly
        err = err.blend(0f, err.test(VectorOperators.IS_NAN));       // −∞ inputs: exp is 0, nothing to correct
        FloatVector e = exp(d);
        return e.fma(err, e);
    }

    /** The lanes of {@code v} added in lane order. */
    private static double sumLanes(DoubleVector v) {
        double[] lanes = v.toArray();
        double sum = 0;
        for (double x : lanes) sum += x;
        return sum;
    }

    /**
     * {@code e^x} per lane, within about an ulp of {@link Math#exp} rounded to float32: {@code x = n·ln 2 + r}
     * with {@code n} the nearest integer to {@code x/ln 2} and {@code |r| ≤ ln 2 / 2}; {@code e^r} by its Taylor
     * series to {@code r⁷} (the rest is under 6e-9 relative); then times {@code 2ⁿ}, built from exponent
     * bits in two halves so that results near overflow and in the subnormal range come out right.
     * {@code −∞} gives 0, {@code +∞} gives {@code +∞}, NaN gives NaN.
     */
    static FloatVector exp(FloatVector x) {
        // compare and blend rather than max/min: Java's max/min order NaN and −0.0, six AVX2 instructions each; a NaN
        // compares false and stays itself, as with max/min
        FloatVector xc = x.blend(EXP_LOW, x.compare(VectorOperators.LT, EXP_LOW));
        xc = xc.blend(EXP_HIGH, xc.compare(VectorOperators.GT, EXP_HIGH));
        FloatVector rounded = xc.mul(LOG2_E).add(ROUNDER);
        FloatVector n = rounded.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(F, NEG_LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(F, NEG_LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, 1f / 5040);
        p = p.fma(r, FloatVector.broadcast(F, 1f / 720));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 120));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        // n as an int from the rounded sum's bits (1.5·2²³ + n, |n| ≤ 150, in the binade of ulp 1): exact, without
        // the range and NaN fix-ups of F2I
        IntVector ni = rounded.reinterpretAsInts().sub(ROUNDER_BITS);
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector scale1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector scale2 = ni.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale1).mul(scale2);
    }

    /** {@link #exp} over {@code a[from..to)} in place (for the tests). */
    static void exp(float[] a, int from, int to) {
        int i = from;
        for (int bound = from + F.loopBound(to - from); i < bound; i += L) exp(FloatVector.fromArray(F, a, i)).intoArray(a, i);
        if (i < to) {
            VectorMask<Float> m = F.indexInRange(i, to);
            exp(FloatVector.fromArray(F, a, i, m)).intoArray(a, i, m);
        }
    }

    /** {@code x · sigmoid(1.702 · x) = x / (1 + e^(−1.702·x))} on {@code a[from..to)} in place. */
    static void quickGelu(float[] a, int from, int to) {
        int i = from;
        for (int bound = from + F.loopBound(to - from); i < bound; i += L) {
            quickGelu(FloatVector.fromArray(F, a, i)).intoArray(a, i);
        }
        if (i < to) {
            VectorMask<Float> m = F.indexInRange(i, to);
            quickGelu(FloatVector.fromArray(F, a, i, m)).intoArray(a, i, m);
        }
    }

    private static FloatVector quickGelu(FloatVector x) {
        return x.div(exp(x.mul(-1.702f)).add(1f));
    }

    /**
     * Rotates {@code heads} consecutive head vectors of each row in {@code [from, to)} (see
     * {@link VisionOps#rotaryHeads}); the float32 arithmetic is the twin's, lane by lane, and the pairs
     * past the last whole vector take the twin's own loop.
     */
    static void rotaryHeads(float[] x, int from, int to, int rowStride, int heads, int headDim, float[] cos, float[] sin) {
        int half = headDim / 2;
        int bound = F.loopBound(half);
        for (int r = from; r < to; r++) {
            int t = r * half;
            for (int h = 0; h < heads; h++) {
                int off = r * rowStride + h * headDim;
                for (int j = 0; j < bound; j += L) {
                    FloatVector a = FloatVector.fromArray(F, x, off + j), b = FloatVector.fromArray(F, x, off + j + half);
                    FloatVector c = FloatVector.fromArray(F, cos, t + j), s = FloatVector.fromArray(F, sin, t + j);
                    a.mul(c).sub(b.mul(s)).intoArray(x, off + j);
                    b.mul(c).add(a.mul(s)).intoArray(x, off + j + half);
                }
                if (bound < half) VisionOps.rotaryPairs(x, off + bound, cos, sin, t + bound, half - bound, half);
            }
        }
    }

    /** {@code acc[i] += delta[i]} for {@code i} in {@code [from, to)}. */
    static void add(float[] acc, float[] delta, int from, int to) {
        int i = from;
        for (int bound = from + F.loopBound(to - from); i < bound; i += L) {
            FloatVector.fromArray(F, acc, i).add(FloatVector.fromArray(F, delta, i)).intoArray(acc, i);
        }
        if (i < to) {
            VectorMask<Float> m = F.indexInRange(i, to);
            FloatVector.fromArray(F, acc, i, m).add(FloatVector.fromArray(F, delta, i, m)).intoArray(acc, i, m);
        }
    }
}
