package qwen2vl4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path tmp;

    private Path raw(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = tmp.resolve("t" + System.nanoTime() + ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    private static String message(Path p) {
        return assertThrows(ModelLoadException.class, () -> SafeTensors.open(p).close()).getMessage();
    }

    @Test
    void roundTripsEveryDtypeTheFixturesUse() throws Exception {
        Path p = tmp.resolve("ok.safetensors");
        float[] f = {1.5f, -2.25f, 3.0f, 1e-3f, 0f, 7f};
        new SafeTensorsWriter()
                .addF32("f", new long[] {2, 3}, f)
                .addBF16("b", new long[] {6}, f)
                .addI64("i", new long[] {2}, new long[] {-5, 1L << 40})
                .addU8("u", new long[] {3}, new byte[] {0, (byte) 200, 7})
                .write(p);
        try (SafeTensors st = SafeTensors.open(p)) {
            assertEquals(4, st.names().size());
            assertArrayEquals(f, st.tensor("f").toFloatArray());
            assertArrayEquals(new long[] {2, 3}, st.tensor("f").shape());
            assertEquals(DType.BF16, st.tensor("b").dtype());
            assertArrayEquals(new float[] {1.5f, -2.25f, 3.0f, Float.intBitsToFloat(0x3A830000) /* 1e-3 rounded to nearest bf16 */, 0f, 7f}, st.tensor("b").toFloatArray());
            assertArrayEquals(new long[] {-5, 1L << 40}, st.tensor("i").toLongArray());
            assertArrayEquals(new long[] {0, 200, 7}, st.tensor("u").toLongArray());
        }
    }

    @Test
    void readsF16() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(Float.floatToFloat16(0.5f)).putShort(Float.floatToFloat16(-3f));
        Path p = tmp.resolve("h.safetensors");
        new SafeTensorsWriter().addRaw("h", DType.F16, new long[] {2}, b.array()).write(p);
        try (SafeTensors st = SafeTensors.open(p)) {
            assertArrayEquals(new float[] {0.5f, -3f}, st.tensor("h").toFloatArray());
        }
    }

    @Test
    void truncatedFileNamesTheFileAndTensor() throws Exception {
        Path p = tmp.resolve("full.safetensors");
        new SafeTensorsWriter().addF32("weight", new long[] {4, 4}, new float[16]).write(p);
        byte[] all = Files.readAllBytes(p);
        Path cut = tmp.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(all, all.length - 10));
        String m = message(cut);
        assertTrue(m.contains("cut.safetensors") && m.contains("weight") && m.contains("outside"), m);
    }

    @Test
    void tinyFilesAndHeaderLengthBeyondTheFile() throws Exception {
        Path tiny = tmp.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertTrue(message(tiny).contains("truncated"), message(tiny));

        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1_000_000).putLong(0);
        Path big = tmp.resolve("biglen.safetensors");
        Files.write(big, b.array());
        String m = message(big);
        assertTrue(m.contains("header length 1000000") && m.contains("biglen.safetensors"), m);
    }

    @Test
    void outOfFileOffsets() throws Exception {
        String m = message(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4));
        assertTrue(m.contains("tensor w") && m.contains("outside"), m);
    }

    @Test
    void overlappingTensors() throws Exception {
        String m = message(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));
        assertTrue(m.contains("overlap") && m.contains("a") && m.contains("b"), m);
    }

    @Test
    void sizeDisagreeingWithShape() throws Exception {
        String m = message(raw("{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8));
        assertTrue(m.contains("tensor w") && m.contains("needs 6"), m);
    }

    @Test
    void unknownDtype() throws Exception {
        String m = message(raw("{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2));
        assertTrue(m.contains("tensor w") && m.contains("unknown dtype 'Q4_K'"), m);
    }

    @Test
    void malformedHeaderJson() throws Exception {
        String m = message(raw("{\"w\": [", 0));
        assertTrue(m.contains("not valid JSON"), m);
        String m2 = message(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0));
        assertTrue(m2.contains("invalid dimension"), m2);
    }

    @Test
    void tensorsBeyondTwoGigabytesAreReadFromTheMapping() throws Exception {
        // a sparse file: 2.5 GB of zeros on paper, a few blocks on disk
        long pad = 2_500_000_000L;
        String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[" + pad + "],\"data_offsets\":[0," + pad + "]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + pad + "," + (pad + 8) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path p = tmp.resolve("big.safetensors");
        try (var f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
            f.write(len.array());
            f.write(h);
            f.seek(8 + h.length + pad);
            ByteBuffer w = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.25f).putFloat(-7f);
            f.write(w.array());
        }
        try (SafeTensors st = SafeTensors.open(p)) {
            assertArrayEquals(new float[] {1.25f, -7f}, st.tensor("w").toFloatArray());
            assertEquals(pad, st.tensor("pad").numel());
        }
    }

    @Test
    void missingFile() {
        String m = message(tmp.resolve("nope.safetensors"));
        assertTrue(m.contains("nope.safetensors") && m.contains("does not exist"), m);
    }

    @Test
    void metadataIsKeptAndNotATensor() throws Exception {
        Path p = raw("{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        try (SafeTensors st = SafeTensors.open(p)) {
            assertEquals("pt", st.metadata().get("format"));
            assertEquals(1, st.names().size());
            assertThrows(ModelLoadException.class, () -> st.tensor("x"));
        }
    }
}
