package qwen2vl4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import qwen2vl4j.io.SafeTensors;
import qwen2vl4j.preprocess.Grid;
import qwen2vl4j.io.Tensor;

/** One end-to-end case of golden_tiny / golden_geometry (fixtures/README.md), read into plain arrays. */
record GoldenCase(
        String set,
        String key,
        int[] inputIds,
        int[][] positions,
        long ropeDelta,
        List<Grid> imageGrid,
        List<Grid> videoGrid,
        float[] imageEmbeds,
        float[] videoEmbeds,
        float[] lastLogits,
        float[] allLogits,
        List<float[]> hidden,
        int[] argmax,
        double[] top1,
        double[] margin,
        int[] greedyIds,
        double[] greedyMargins) {

    static final String TINY = "golden_tiny";
    static final String GEOMETRY = "golden_geometry";

    static Path fixtures() {
        String dir = System.getProperty("fixtures.dir");
        if (dir == null) throw new IllegalStateException("system property fixtures.dir is not set (surefire sets it)");
        return Path.of(dir);
    }

    /** The model folder the cases of {@code set} were computed with. */
    static Path modelDir(String set) {
        return fixtures().resolve("models").resolve(set.equals(TINY) ? "tiny-qwen2vl" : "geometry-qwen2vl");
    }

    static List<GoldenCase> load(String set) {
        Path dir = fixtures();
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(dir.resolve(set + ".json").toFile());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + set + ".json", e);
        }
        List<GoldenCase> cases = new ArrayList<>();
        try (SafeTensors st = SafeTensors.open(dir.resolve(set + ".safetensors"))) {
            for (JsonNode c : root) {
                String key = c.get("key").asText();
                long[] ids = st.tensor(key + "/input_ids").toLongArray();
                long[] pos = st.tensor(key + "/position_ids").toLongArray();
                int len = ids.length;
                int[][] positions = new int[3][len];
                for (int a = 0; a < 3; a++) for (int i = 0; i < len; i++) positions[a][i] = Math.toIntExact(pos[a * len + i]);
                List<float[]> hidden = new ArrayList<>();
                for (int i = 0; st.has(key + "/hidden_" + i); i++) hidden.add(st.tensor(key + "/hidden_" + i).toFloatArray());
                cases.add(new GoldenCase(set, key, toInts(ids), positions,
                        st.tensor(key + "/rope_deltas").toLongArray()[0],
                        grid(st, key + "/image_grid_thw"),
                        grid(st, key + "/video_grid_thw"),
                        floats(st, key + "/image_embeds"),
                        floats(st, key + "/video_embeds"),
                        st.tensor(key + "/last_logits").toFloatArray(),
                        floats(st, key + "/logits"),
                        hidden,
                        ints(c.get("argmax")),
                        doubles(c.get("top1")),
                        doubles(c.get("margin")),
                        ints(c.get("greedy_ids")),
                        doubles(c.get("greedy_margins"))));
            }
        }
        return cases;
    }

    String name() {
        return key;
    }

    @Override
    public String toString() {
        return key;
    }

    private static List<Grid> grid(SafeTensors st, String name) {
        return st.has(name) ? Grid.rows(st.tensor(name).toLongArray()) : null;
    }

    private static float[] floats(SafeTensors st, String name) {
        return st.has(name) ? st.tensor(name).toFloatArray() : null;
    }

    private static int[] toInts(long[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Math.toIntExact(v[i]);
        return r;
    }

    private static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    private static double[] doubles(JsonNode a) {
        double[] r = new double[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asDouble();
        return r;
    }
}
