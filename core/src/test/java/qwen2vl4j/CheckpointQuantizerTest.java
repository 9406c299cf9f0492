package qwen2vl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.io.DType;
import qwen2vl4j.io.ModelLoadException;
import qwen2vl4j.io.QuantizedTensors;
import qwen2vl4j.io.SafeTensors;
import qwen2vl4j.io.Tensor;
import qwen2vl4j.io.WeightFormat;
import qwen2vl4j.kernels.Matrix;
import qwen2vl4j.io.Weights;
import qwen2vl4j.text.TextModel;

/** The quantize command's folder: a plain safetensors file that maps back to the same blocks as load-time quantization. */
class CheckpointQuantizerTest {
    @TempDir
    Path tmp;

    @Test
    void writtenFolderMapsBackToTheLoadTimeBlocks() throws Exception {
        Path src = Fixtures.geometryModel();
        Path out = tmp.resolve("q8");
        CheckpointQuantizer.Summary s = CheckpointQuantizer.write(src, out, WeightFormat.Q8_0, null);
        assertTrue(Files.isRegularFile(out.resolve("config.json")) && Files.isRegularFile(out.resolve("preprocessor_config.json")));
        assertTrue(s.quantized() > 0 && s.bytesAfter() < s.bytesBefore(), s.toString());

        ModelConfig config = ModelConfig.load(src);
        try (Weights mapped = Weights.open(out);
             Weights atLoad = CheckpointQuantizer.quantizeAtLoad(Weights.open(src), config, WeightFormat.Q8_0)) {
            assertEquals(atLoad.all().keySet(), mapped.all().keySet());
            int quantized = 0;
            for (Tensor expected : atLoad.all().values()) {
                Tensor actual = mapped.tensor(expected.name());
                assertEquals(expected.dtype(), actual.dtype(), expected.name());
                assertArrayEquals(expected.shape(), actual.shape(), expected.name());
                assertArrayEquals(expected.data().toArray(ValueLayout.JAVA_BYTE), actual.data().toArray(ValueLayout.JAVA_BYTE), expected.name());
                if (actual.dtype() == DType.Q8_0) quantized++;
            }
            assertEquals(s.quantized(), quantized);
            assertEquals(DType.Q8_0, mapped.tensor("lm_head.weight").dtype(), "the untied head is quantized");
            assertEquals(DType.BF16, mapped.tensor("model.embed_tokens.weight").dtype(), "the embedding stays for the row lookup");
            assertEquals(DType.Q8_0, mapped.tensor("visual.blocks.0.attn.qkv.weight").dtype());
            assertEquals(DType.BF16, mapped.tensor("visual.patch_embed.proj.weight").dtype(), "the Conv3d kernel is not a matrix");
            assertFalse(mapped.tensor("model.norm.weight").dtype().isQuantized());

            float[] fromFile = TextModel.load(mapped, config).newSession().prefill(new int[] {1, 2, 3}, null, null, new int[][] {{0, 1, 2}, {0, 1, 2}, {0, 1, 2}});
            float[] fromLoad = TextModel.load(atLoad, config).newSession().prefill(new int[] {1, 2, 3}, null, null, new int[][] {{0, 1, 2}, {0, 1, 2}, {0, 1, 2}});
            // same blocks, same kernels: equal up to the float reduction order, which the Vector API leaves open (JIT vs interpreter)
            assertEquals(fromLoad.length, fromFile.length);
            for (int i = 0; i < fromLoad.length; i++) assertEquals(fromLoad[i], fromFile[i], 1e-5f * (1 + Math.abs(fromLoad[i])), "logit " + i);
        }
    }

    @Test
    void fileIsPlainSafetensorsWithU8AndMetadata() throws Exception {
        Path out = tmp.resolve("q4");
        CheckpointQuantizer.write(Fixtures.geometryModel(), out, WeightFormat.Q4_0, null);
        byte[] bytes = Files.readAllBytes(out.resolve("model.safetensors"));
        long headerLen = java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"" + QuantizedTensors.METADATA_KEY + "\""), header.substring(0, 200));
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(header);
        json.fields().forEachRemaining(e -> assertFalse(e.getValue().path("dtype").asText().startsWith("Q"),
                e.getKey() + ": block types are never header dtypes"));
        assertEquals("U8", json.get("lm_head.weight").get("dtype").asText());
        assertEquals("[1024,432]", json.get("lm_head.weight").get("shape").toString(), "768 columns = 24 blocks of 18 bytes");
        try (SafeTensors st = SafeTensors.open(out.resolve("model.safetensors"))) {
            assertEquals(DType.Q4_0, st.tensor("lm_head.weight").dtype());
            assertArrayEquals(new long[] {1024, 768}, st.tensor("lm_head.weight").shape());
        }
    }

    @Test
    void inconsistentMetadataIsReportedByTensorName() throws Exception {
        Path file = tmp.resolve("bad.safetensors");
        String meta = "{\\\"w\\\":{\\\"dtype\\\":\\\"Q8_0\\\",\\\"shape\\\":[2,64]}}";
        String header = "{\"__metadata__\":{\"" + QuantizedTensors.METADATA_KEY + "\":\"" + meta + "\"},"
                + "\"w\":{\"dtype\":\"U8\",\"shape\":[2,60],\"data_offsets\":[0,120]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + h.length + 120).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(file, b.array());
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafeTensors.open(file));
        assertTrue(e.getMessage().contains("tensor w") && e.getMessage().contains("[2, 68]"), e.getMessage());
    }

    /**
     * A file from before the planar Q4_0 rows (GGUF's interleaved blocks, no "layout") still loads, to the same values;
     * a layout this engine does not know is refused by name.
     */
    @Test
    void olderInterleavedQ4FilesStillLoad() throws Exception {
        float[] values = new float[2 * 64];
        for (int i = 0; i < values.length; i++) values[i] = (float) Math.sin(i * 0.37) * (1 + i % 7);
        Matrix planar = Matrix.quantize(Matrix.ofFloats("w", values, 2, 64), DType.Q4_0);
        byte[] interleaved = new byte[72];
        for (int r = 0; r < 2; r++) {
            for (int b = 0; b < 2; b++) {
                long row = planar.rowOffset(r);
                int at = r * 36 + b * 18;
                interleaved[at] = planar.data().get(ValueLayout.JAVA_BYTE, row + 2L * b);
                interleaved[at + 1] = planar.data().get(ValueLayout.JAVA_BYTE, row + 2L * b + 1);
                for (int j = 0; j < 16; j++) interleaved[at + 2 + j] = planar.data().get(ValueLayout.JAVA_BYTE, row + 4 + 16L * b + j);
            }
        }
        Path file = tmp.resolve("old.safetensors");
        writeQ4(file, "", interleaved);
        try (SafeTensors st = SafeTensors.open(file)) {
            Matrix loaded = Matrix.of(st.tensor("w"));
            for (int r = 0; r < 2; r++) for (int c = 0; c < 64; c++) assertEquals(planar.get(r, c), loaded.get(r, c), "value " + r + "," + c);
        }
        Path odd = tmp.resolve("odd.safetensors");
        writeQ4(odd, ",\\\"layout\\\":\\\"columns\\\"", interleaved);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafeTensors.open(odd));
        assertTrue(e.getMessage().contains("tensor w") && e.getMessage().contains("columns") && e.getMessage().contains("planar"), e.getMessage());
        Path q8 = tmp.resolve("q8.safetensors");
        writeQuantized(q8, "Q8_0", ",\\\"layout\\\":\\\"planar\\\"", new byte[136]);
        e = assertThrows(ModelLoadException.class, () -> SafeTensors.open(q8));
        assertTrue(e.getMessage().contains("tensor w") && e.getMessage().contains("for Q8_0") && e.getMessage().contains("(expected blocks)"), e.getMessage());
    }

    /** A file holding one Q4_0 tensor w [2, 64] stored as {@code blocks}, its metadata entry ending with {@code extra}. */
    private static void writeQ4(Path file, String extra, byte[] blocks) throws Exception {
        writeQuantized(file, "Q4_0", extra, blocks);
    }

    /** A file holding one tensor w [2, 64] of block type {@code type} stored as {@code blocks} (both rows). */
    private static void writeQuantized(Path file, String type, String extra, byte[] blocks) throws Exception {
        String meta = "{\\\"w\\\":{\\\"dtype\\\":\\\"" + type + "\\\",\\\"shape\\\":[2,64]" + extra + "}}";
        String header = "{\"__metadata__\":{\"" + QuantizedTensors.METADATA_KEY + "\":\"" + meta + "\"},"
                + "\"w\":{\"dtype\":\"U8\",\"shape\":[2," + blocks.length / 2 + "],\"data_offsets\":[0," + blocks.length + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + h.length + blocks.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(blocks);
        Files.write(file, b.array());
    }

    @Test
    void bf16IsNotAQuantizedFormat() {
        assertThrows(IllegalArgumentException.class, () -> CheckpointQuantizer.write(Fixtures.geometryModel(), tmp.resolve("x"), WeightFormat.BF16, null));
        assertEquals(WeightFormat.Q4_0, WeightFormat.parse("q4_0"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightFormat.parse("q5_k"));
        assertTrue(e.getMessage().contains("q5_k") && e.getMessage().contains("q8_0"), e.getMessage());
        assertEquals(Arrays.asList(WeightFormat.values()).size(), 3);
    }

    /** File-system errors whose message is only the path get their reason ("cannot write quantized model X: X" before). */
    @Test
    void writeErrorsSayWhatWentWrong() {
        assertEquals("/out: permission denied", CheckpointQuantizer.reason(new AccessDeniedException("/out")));
        assertEquals("/a/b: no such file or folder", CheckpointQuantizer.reason(new NoSuchFileException("/a/b")));
        assertEquals("/x: Not a directory", CheckpointQuantizer.reason(new FileSystemException("/x", null, "Not a directory")));
        assertEquals("disk full", CheckpointQuantizer.reason(new IOException("disk full")));
    }
}
