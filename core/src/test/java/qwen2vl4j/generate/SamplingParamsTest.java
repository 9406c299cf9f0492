package qwen2vl4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import qwen2vl4j.config.GenerationConfig;

class SamplingParamsTest {

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("temperature", (UnaryOperator<SamplingParams.Builder>) b -> b.temperature(-0.1)),
                Arguments.of("temperature", (UnaryOperator<SamplingParams.Builder>) b -> b.temperature(Double.NaN)),
                Arguments.of("topK", (UnaryOperator<SamplingParams.Builder>) b -> b.topK(-1)),
                Arguments.of("topP", (UnaryOperator<SamplingParams.Builder>) b -> b.topP(0)),
                Arguments.of("topP", (UnaryOperator<SamplingParams.Builder>) b -> b.topP(1.01)),
                Arguments.of("minP", (UnaryOperator<SamplingParams.Builder>) b -> b.minP(1.5)),
                Arguments.of("temperature", (UnaryOperator<SamplingParams.Builder>) b -> b.sample(1e-300)),
                Arguments.of("temperature", (UnaryOperator<SamplingParams.Builder>) b -> b.sample(9e-6)),
                Arguments.of("repetitionPenalty", (UnaryOperator<SamplingParams.Builder>) b -> b.repetitionPenalty(0)),
                Arguments.of("repetitionPenalty", (UnaryOperator<SamplingParams.Builder>) b -> b.repetitionPenalty(1e-300)),
                Arguments.of("repetitionPenalty", (UnaryOperator<SamplingParams.Builder>) b -> b.repetitionPenalty(101)),
                Arguments.of("repetitionPenalty", (UnaryOperator<SamplingParams.Builder>) b -> b.repetitionPenalty(Double.NaN)),
                Arguments.of("presencePenalty", (UnaryOperator<SamplingParams.Builder>) b -> b.presencePenalty(2.5)),
                Arguments.of("frequencyPenalty", (UnaryOperator<SamplingParams.Builder>) b -> b.frequencyPenalty(-3)),
                Arguments.of("maxNewTokens", (UnaryOperator<SamplingParams.Builder>) b -> b.maxNewTokens(0)),
                Arguments.of("stopStrings[1]", (UnaryOperator<SamplingParams.Builder>) b -> b.stopStrings("a", "")),
                Arguments.of("eosTokenIds[0]", (UnaryOperator<SamplingParams.Builder>) b -> b.eosTokenIds(List.of(-5))));
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void badValuesNameTheField(String field, UnaryOperator<SamplingParams.Builder> change) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> change.apply(SamplingParams.builder()).build());
        assertTrue(e.getMessage().startsWith(field + " must be"), e.getMessage());
    }

    @Test
    void qwen2vlGenerationConfigSamplesFromTopOne() {
        Path model = Path.of(System.getProperty("fixtures.dir", "../fixtures"), "models", "tiny-qwen2vl");
        SamplingParams p = SamplingParams.from(GenerationConfig.load(model, new int[0]));
        assertFalse(p.greedy());
        assertTrue(p.sampling());
        assertEquals(0.01, p.temperature());
        assertEquals(1, p.topK());
        assertEquals(0.001, p.topP());
        assertEquals(1.0, p.repetitionPenalty());
        assertEquals(List.of(151645, 151643), p.eosTokenIds());
        assertEquals(SamplingParams.DEFAULT_MAX_NEW_TOKENS, p.maxNewTokens());
        assertTrue(p.isStopToken(151645) && p.isStopToken(151643) && !p.isStopToken(151644));
    }

    @Test
    void doSampleFalseIsGreedyWithPenaltyKept() {
        GenerationConfig c = new GenerationConfig(false, 0.7, 20, 0.8, 0.0, 1.05, new int[] {2}, null, 64);
        SamplingParams p = SamplingParams.from(c);
        assertTrue(p.greedy());
        assertFalse(p.sampling());
        assertEquals(1.05, p.repetitionPenalty());
        assertEquals(64, p.maxNewTokens());
        assertEquals(List.of(2), p.eosTokenIds());
    }

    @Test
    void transformersDefaultsWithoutAFile() {
        SamplingParams p = SamplingParams.from(GenerationConfig.defaults(new int[] {9}));
        assertTrue(p.greedy());
        assertEquals(50, p.topK());
        assertEquals(List.of(9), p.eosTokenIds());
    }

    @Test
    void badGenerationConfigNamesTheFile() {
        GenerationConfig c = new GenerationConfig(true, -1, 0, 1.0, 0.0, 1.0, new int[0], null, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SamplingParams.from(c));
        assertTrue(e.getMessage().contains("generation_config.json") && e.getMessage().contains("temperature"), e.getMessage());
        GenerationConfig topK = new GenerationConfig(true, 1.0, -1, 1.0, 0.0, 1.0, new int[0], null, null);
        e = assertThrows(IllegalArgumentException.class, () -> SamplingParams.from(topK));
        assertEquals("generation_config.json: top_k must be >= 0 (0 = disabled), found -1", e.getMessage());
        GenerationConfig eos = new GenerationConfig(true, 1.0, 0, 1.0, 0.0, 1.0, new int[] {5, -2}, null, null);
        e = assertThrows(IllegalArgumentException.class, () -> SamplingParams.from(eos));
        assertEquals("generation_config.json: eos_token_id[1] must be a token id >= 0, found -2", e.getMessage());
    }

    @Test
    void temperatureZeroIsGreedyAndIgnoreEosKeepsStopTokenIds() {
        SamplingParams p = SamplingParams.builder().sample(0.0).eosTokenIds(List.of(1)).stopTokenIds(List.of(2)).ignoreEos(true).build();
        assertFalse(p.sampling());
        assertFalse(p.isStopToken(1));
        assertTrue(p.isStopToken(2));
    }

    @Test
    void recordIsImmutableAndBuilderRoundTrips() {
        List<String> stops = new java.util.ArrayList<>(List.of("x"));
        SamplingParams p = SamplingParams.builder().stopStrings(stops).seed(5L).build();
        stops.add("y");
        assertEquals(List.of("x"), p.stopStrings());
        assertThrows(UnsupportedOperationException.class, () -> p.stopStrings().add("z"));
        assertEquals(p, p.toBuilder().build());
        assertEquals(6L, p.toBuilder().seed(6L).build().seed());
    }
}
