package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MachineProbeTest {
    /** Both streaming sums add up exactly the floats of their range (small integers, so every order is exact). */
    @Test
    void streamingSumsMatchAPlainSum() {
        int vector = VectorKernels.F.vectorByteSize();
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(1 << 16, 64);
            for (long o = 0; o < seg.byteSize(); o += 4) seg.set(Matrix.FLOAT_LE, o, rnd.nextInt(9) - 4);
            long[][] ranges = {{0, 1 << 16}, {4L * vector, 4L * vector + 3 * 8L * vector}, {8L * vector, 8L * vector + 64L * vector}};
            for (long[] r : ranges) {
                float expected = 0;
                for (long o = r[0]; o < r[1]; o += 4) expected += seg.get(Matrix.FLOAT_LE, o);
                assertEquals(expected, VectorKernels.sumFloats(seg, r[0], r[1]), "sumFloats " + r[0] + ".." + r[1]);
                assertEquals(expected, VectorKernels.sumFloatStreams(seg, r[0], r[1]), "sumFloatStreams " + r[0] + ".." + r[1]);
            }
        }
    }

    @Test
    void bandwidthIsAPositiveFiniteRate() {
        double rate = MachineProbe.readBandwidth(16 << 20, 2);
        assertTrue(rate > 0 && Double.isFinite(rate), "read bandwidth " + rate);
    }
}
