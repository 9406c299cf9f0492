package qwen2vl4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import qwen2vl4j.io.DType;
import qwen2vl4j.kernels.QuantKernelsScalar.Q4Order;

/** The Q4_0 activation layouts the kernels read (the weights' side and the kernels themselves: {@link QuantKernelsTest}). */
class QuantActivationTest {
    private static final int BLOCK = QuantKernelsScalar.BLOCK;

    /**
     * The grouped Q4_0 activation (what the vector kernels of every width read): in a group of eight blocks the four
     * multipliers of each 16-bit weight lane, {@code x[2i]}, {@code x[16+2i] − 16·x[2i]}, {@code x[2i+1] − 16·x[16+2i]}
     * and {@code x[17+2i] − 16·x[2i+1]}; past the group each block's value {@code 16 + j} replaced by
     * {@code x[16 + j] − 16·x[j]}; the same scales and corrections. The scalar twin over it gives exactly the natural
     * twin's sums, and the kernels agree, on rows whose nibbles and activations reach every extreme.
     */
    @Test
    void groupedActivationGivesTheNaturalSums() {
        Random rnd = new Random(41);
        int blocks = 13, cols = blocks * BLOCK; // one group of eight, five blocks past it
        float[] w = QuantKernelsTest.gaussian(rnd, 2 * cols), x = QuantKernelsTest.gaussian(rnd, cols);
        for (int b : new int[] {0, 9}) { // in the group and past it: activations of ±127, nibbles 0 and 15
            for (int j = 0; j < BLOCK; j++) {
                x[b * BLOCK + j] = j % 2 == 0 ? 1f : -1f;
                w[b * BLOCK + j] = j < BLOCK / 2 ? -8f : 7f;
            }
        }
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) DType.Q4_0.byteSize(2L * cols)]);
        QuantKernelsTest.quantizeRows(DType.Q4_0, w, 2, cols, seg);
        short[] natural = new short[cols], grouped = new short[cols];
        float[] d = new float[blocks], corr = new float[blocks], dG = new float[blocks], corrG = new float[blocks];
        QuantKernelsScalar.quantizeActivation(DType.Q4_0, Q4Order.NATURAL, x, 0, cols, natural, 0, d, corr, 0);
        QuantKernelsScalar.quantizeActivation(DType.Q4_0, Q4Order.GROUPED, x, 0, cols, grouped, 0, dG, corrG, 0);
        assertArrayEquals(d, dG, "scales");
        assertArrayEquals(corr, corrG, "corrections (of the unfolded values)");
        int half = BLOCK / 2;
        for (int b = 0; b < blocks; b++) {
            for (int v = 0; v < BLOCK; v++) {
                int n = b * BLOCK;
                int expected;
                if (b >= 8) { // past the group: the high half folded onto the low
                    expected = v < half ? natural[n + v] : natural[n + v] - 16 * natural[n + v - half];
                } else { // in the group: a = x[2i], b = x[16+2i] − 16a, c = x[2i+1] − 16·x[16+2i], d = x[17+2i] − 16·x[2i+1]
                    int i = v % half / 2;
                    expected = switch (2 * (v % 2) + v / half) {
                        case 0 -> natural[n + 2 * i];
                        case 1 -> natural[n + half + 2 * i] - 16 * natural[n + 2 * i];
                        case 2 -> natural[n + 2 * i + 1] - 16 * natural[n + half + 2 * i];
                        default -> natural[n + half + 2 * i + 1] - 16 * natural[n + 2 * i + 1];
                    };
                }
                assertEquals(expected, grouped[QuantKernelsScalar.q4Position(Q4Order.GROUPED, b, v, blocks)], "block " + b + ", value " + v);
            }
        }
        for (int r = 0; r < 2; r++) {
            long off = DType.Q4_0.byteSize((long) r * cols);
            float exact = QuantKernelsScalar.dotQ4(Q4Order.NATURAL, seg, off, natural, 0, d, corr, 0, blocks);
            assertEquals(exact, QuantKernelsScalar.dotQ4(Q4Order.GROUPED, seg, off, grouped, 0, d, corr, 0, blocks), "row " + r);
            for (int bits : new int[] {512, 256, 128}) {
                assertEquals(exact, QuantKernelsTest.dot(bits, DType.Q4_0, seg, off, grouped, 0, d, corr, 0, blocks),
                        1e-5f * QuantKernelsTest.magnitude(seg, DType.Q4_0, off, x, cols), bits + "-bit kernel over the grouped activation, row " + r);
            }
        }
    }
}
