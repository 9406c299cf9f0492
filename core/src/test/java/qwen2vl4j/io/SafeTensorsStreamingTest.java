package qwen2vl4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.io.SafeTensorsWriter.TensorSpec;

class SafeTensorsStreamingTest {
    @TempDir
    Path tmp;

    @Test
    void streamedFileReadsBackLikeTheInMemoryOne() throws Exception {
        float[] a = {1.5f, -2f, 3.25f, 0f, 7f, -0.5f};
        float[] b = {0.1f, 0.2f, 0.3f};
        Path streamed = tmp.resolve("streamed.safetensors");
        try (SafeTensorsWriter.Streaming out = SafeTensorsWriter.stream(streamed,
                List.of(new TensorSpec("a", DType.F32, new long[] {2, 3}), new TensorSpec("b", DType.BF16, new long[] {3})))) {
            ByteBuffer fa = ByteBuffer.allocate(a.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : a) fa.putFloat(v);
            fa.flip();
            out.write(fa.slice(0, 10));          // chunks that split a value are fine
            out.write(fa.slice(10, 14));
            ByteBuffer fb = ByteBuffer.allocate(b.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : b) fb.putShort(SafeTensorsWriter.toBF16(v));
            out.write(fb.flip());
        }
        Path inMemory = tmp.resolve("memory.safetensors");
        new SafeTensorsWriter().addF32("a", new long[] {2, 3}, a).addBF16("b", new long[] {3}, b).write(inMemory);
        assertArrayEquals(Files.readAllBytes(inMemory), Files.readAllBytes(streamed));
        try (SafeTensors st = SafeTensors.open(streamed)) {
            assertArrayEquals(a, st.tensor("a").toFloatArray());
            assertEquals(0.1f, st.tensor("b").toFloatArray()[0], 1e-3);
        }
    }

    @Test
    void tooFewOrTooManyBytesAreRefusedNamingTheFile() throws Exception {
        Path file = tmp.resolve("short.safetensors");
        List<TensorSpec> specs = List.of(new TensorSpec("a", DType.F32, new long[] {4}));
        SafeTensorsWriter.Streaming out = SafeTensorsWriter.stream(file, specs);
        out.write(ByteBuffer.allocate(8));
        IllegalStateException shortFile = assertThrows(IllegalStateException.class, out::close);
        assertTrue(shortFile.getMessage().contains("short.safetensors") && shortFile.getMessage().contains("16"), shortFile.getMessage());

        try (SafeTensorsWriter.Streaming big = SafeTensorsWriter.stream(tmp.resolve("long.safetensors"), specs)) {
            IllegalStateException tooLong = assertThrows(IllegalStateException.class, () -> big.write(ByteBuffer.allocate(20)));
            assertTrue(tooLong.getMessage().contains("long.safetensors"), tooLong.getMessage());
            big.write(ByteBuffer.allocate(16));
        }
    }
}
