package qwen2vl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.io.WeightFormat;
import qwen2vl4j.io.Weights;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.kernels.Quantizer;

/**
 * Quantizing at load time keeps one copy of the weights: the blocks are native memory (not the Java heap) that the
 * weights own and free on close, and the mapped bf16 pages each quantized matrix was read from leave the process.
 */
class QuantizedMemoryTest {
    @Test
    void quantizedMatricesAreNativeMemoryNotHeap() {
        Matrix m = Matrix.ofFloats("w", new float[4 * 64], 4, 64);
        Matrix auto = Matrix.quantize(m, DType.Q8_0);
        assertTrue(auto.data().isNative() && auto.data().heapBase().isEmpty(), "Matrix.quantize: native");
        MemorySegment blocks;
        try (Arena arena = Arena.ofShared()) {
            Matrix owned = Matrix.quantize(m, DType.Q4_0, arena);
            blocks = owned.data();
            assertTrue(blocks.isNative() && blocks.heapBase().isEmpty());
            assertEquals(4 * 2 * 18, blocks.byteSize());
            assertEquals(0, blocks.address() % 64, "cache-line aligned");
        }
        assertThrows(IllegalStateException.class, () -> blocks.get(ValueLayout.JAVA_BYTE, 0), "freed with its arena");
    }

    @Test
    void loadTimeBlocksAreNativeAndFreedWhenTheWeightsClose() {
        Path src = Fixtures.geometryModel();
        ModelConfig config = ModelConfig.load(src);
        MemorySegment someBlocks = null, someMapped = null;
        int quantized = 0;
        try (Weights w = CheckpointQuantizer.quantizeAtLoad(Weights.open(src), config, WeightFormat.Q8_0)) {
            for (Tensor t : w.all().values()) {
                if (t.dtype() == DType.Q8_0) {
                    assertTrue(t.data().isNative() && !t.data().isMapped() && t.data().heapBase().isEmpty(), t.name() + ": native blocks");
                    someBlocks = t.data();
                    quantized++;
                } else {
                    assertTrue(t.data().isMapped(), t.name() + ": left as stored, mapped");
                    someMapped = t.data();
                }
            }
        }
        assertTrue(quantized > 10 && someMapped != null, quantized + " quantized");
        MemorySegment blocks = someBlocks, mapped = someMapped;
        assertThrows(IllegalStateException.class, () -> blocks.get(ValueLayout.JAVA_BYTE, 0), "the blocks are freed on close");
        assertThrows(IllegalStateException.class, () -> mapped.get(ValueLayout.JAVA_BYTE, 0), "the files are closed on close");
    }

    /** Linux: the resident pages of the file's mapping ({@code /proc/self/smaps}) before and after quantizing. */
    @Test
    void quantizingReleasesTheMappedSourcePages() throws IOException {
        assumeTrue(Files.isReadable(Path.of("/proc/self/smaps")), "needs /proc/self/smaps (Linux)");
        Path src = Fixtures.geometryModel();
        ModelConfig config = ModelConfig.load(src);
        try (Weights stored = Weights.open(src)) {
            Predicate<String> include = CheckpointQuantizer.quantizable(stored, config);
            List<Tensor> sources = stored.all().values().stream().filter(t -> include.test(t.name()) && Quantizer.canQuantize(t)).toList();
            long sourceBytes = sources.stream().mapToLong(t -> t.data().byteSize()).sum();
            long otherBytes = stored.all().values().stream().mapToLong(t -> t.data().byteSize()).sum() - sourceBytes;
            long address = sources.getFirst().data().address();
            long sum = 0;
            for (Tensor t : sources) {                      // every page of the sources resident, as a first decode leaves them
                for (long o = 0; o < t.data().byteSize(); o += 2048) sum += t.data().get(ValueLayout.JAVA_BYTE, o);
            }
            long before = residentBytes(address);
            assertTrue(before >= sourceBytes * 9 / 10, "touched: " + before + " resident of " + sourceBytes + " (" + sum + ")");

            try (Weights q = Quantizer.quantizeAtLoad(stored, DType.Q4_0, include)) {
                long after = residentBytes(address);
                // what stays: pages of the tensors left as they are, which the kernel may map along with their neighbours
                assertTrue(after <= otherBytes + (1 << 20), "after quantizing " + after + " bytes of the file stay resident; "
                        + "tensors not quantized: " + otherBytes + ", quantized from: " + sourceBytes);
                assertTrue(sourceBytes > 4 * (otherBytes + (1 << 20)), "the fixture tells the difference");
                Tensor first = sources.getFirst();
                assertEquals(first.getFloat(0), stored.tensor(first.name()).getFloat(0), "the source reads back after its release");
                assertEquals(DType.Q4_0, q.tensor(first.name()).dtype());
            }
        }
    }

    /** The {@code Rss} of the mapping in {@code /proc/self/smaps} that contains {@code address}. */
    private static long residentBytes(long address) throws IOException {
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            int dash = line.indexOf('-'), space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                long start = HexFormat.fromHexDigitsToLong(line.substring(0, dash));
                long end = HexFormat.fromHexDigitsToLong(line.substring(dash + 1, space));
                inside = Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
            } else if (inside && line.startsWith("Rss:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new AssertionError("no mapping holds address " + Long.toHexString(address));
    }

    @Test
    void releaseLeavesMemoryThatIsNotMappedAlone() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment native1 = arena.allocate(64);
            native1.set(ValueLayout.JAVA_BYTE, 3, (byte) 7);
            Quantizer.release(native1);
            Quantizer.release(MemorySegment.ofArray(new byte[8]));
            assertEquals(7, native1.get(ValueLayout.JAVA_BYTE, 3));
        }
        assertFalse(MemorySegment.ofArray(new byte[1]).isMapped());
    }
}
