package qwen2vl4j.kernels;

/** The plain twin of {@link NativeRows}: bfloat16 rounding by comparing the two neighbours in double. */
final class NativeRowsReference {
    private NativeRowsReference() {}

    /** The bfloat16 nearest to {@code v} (ties to the even one), NaN as a quiet NaN of the same sign. */
    static short bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int down = bits & 0xFFFF0000;
        int up = down + 0x10000;                              // the next bfloat16 away from zero
        double dDown = Math.abs((double) v - Float.intBitsToFloat(down));
        double upValue = (up & 0x7F800000) == 0x7F800000 ? Math.copySign(Math.pow(2, 128), v) : Float.intBitsToFloat(up);
        double dUp = Math.abs(upValue - v);
        if (dDown < dUp) return (short) (down >>> 16);
        if (dUp < dDown) return (short) (up >>> 16);
        return (short) ((((down >>> 16) & 1) == 0 ? down : up) >>> 16);
    }
}
