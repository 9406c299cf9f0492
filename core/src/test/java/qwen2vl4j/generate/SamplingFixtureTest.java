package qwen2vl4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import qwen2vl4j.io.SafeTensors;

/** Every case of fixtures/sampling.json: transformers' processors on fixed scores, reproduced. */
class SamplingFixtureTest {
    private static SafeTensors arrays;

    record Case(String key, double rp, double t, int k, double p, int kept) {
        @Override
        public String toString() {
            return key + " (rp " + rp + ", t " + t + ", k " + k + ", p " + p + ")";
        }
    }

    static Path fixtures() {
        return Path.of(System.getProperty("fixtures.dir", "../fixtures"));
    }

    @BeforeAll
    static void open() {
        arrays = SafeTensors.open(fixtures().resolve("sampling.safetensors"));
    }

    @AfterAll
    static void close() {
        arrays.close();
    }

    static Stream<Case> cases() throws Exception {
        JsonNode root = new ObjectMapper().readTree(fixtures().resolve("sampling.json").toFile());
        List<Case> out = new ArrayList<>();
        for (JsonNode c : root) {
            out.add(new Case(c.get("key").asText(), c.get("rp").asDouble(), c.get("t").asDouble(), c.get("k").asInt(),
                    c.get("p").asDouble(), c.get("kept").asInt()));
        }
        assertEquals(6, out.size(), "sampling.json case count");
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void applyReproducesTransformers(Case c) {
        float[] scores = arrays.tensor(c.key + "/scores").toFloatArray();
        int[] prev = toInts(arrays.tensor(c.key + "/prev_ids").toLongArray());
        float[] expected = arrays.tensor(c.key + "/processed").toFloatArray();
        SamplingParams params = SamplingParams.builder().sample(c.t).repetitionPenalty(c.rp).topK(c.k).topP(c.p).build();

        LogitsProcessors.apply(scores, params, new TokenHistory(prev));

        assertSameScores(expected, scores, c.toString());
        int finite = 0;
        for (float s : scores) if (s != Float.NEGATIVE_INFINITY) finite++;
        assertEquals(c.kept, finite, c + ": tokens kept");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void singleProcessorsChainedMatchTransformers(Case c) {
        float[] scores = arrays.tensor(c.key + "/scores").toFloatArray();
        int[] prev = toInts(arrays.tensor(c.key + "/prev_ids").toLongArray());
        float[] expected = arrays.tensor(c.key + "/processed").toFloatArray();

        LogitsProcessors.repetitionPenalty(scores, prev, c.rp);
        LogitsProcessors.temperature(scores, c.t);
        if (c.k > 0) LogitsProcessors.topK(scores, c.k);
        LogitsProcessors.topP(scores, c.p);

        assertSameScores(expected, scores, c.toString());
    }

    static void assertSameScores(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            boolean filtered = expected[i] == Float.NEGATIVE_INFINITY;
            assertEquals(filtered, actual[i] == Float.NEGATIVE_INFINITY,
                    what + ": token " + i + " expected " + expected[i] + " found " + actual[i]);
            if (!filtered) {
                double tol = 1e-6 * Math.abs(expected[i]);
                assertTrue(Math.abs(expected[i] - actual[i]) <= tol,
                        what + ": token " + i + " expected " + expected[i] + " found " + actual[i]);
            }
        }
    }

    private static int[] toInts(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Math.toIntExact(v[i]);
        return out;
    }
}
