package qwen2vl4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import qwen2vl4j.generate.SamplingParams;

class SamplingOptionsTest {
    /** Like Qwen2-VL-2B-Instruct's generation_config.json, with a repetition penalty. */
    static final SamplingParams MODEL_DEFAULTS = SamplingParams.builder().sample(0.01).topK(1).topP(0.001)
            .repetitionPenalty(1.05).eosTokenIds(List.of(151645, 151643)).build();

    static SamplingParams parse(String... flags) {
        RunCommand run = new RunCommand();
        String[] args = Stream.concat(Stream.of("--model", "m"), Stream.of(flags))
                .toArray(String[]::new);
        new CommandLine(run).parseArgs(args);
        return run.sampling.apply(MODEL_DEFAULTS);
    }

    @Test
    void noFlagsKeepTheModelDefaults() {
        assertEquals(MODEL_DEFAULTS, parse());
    }

    @Test
    void greedyDropsTheRepetitionPenaltyUnlessGiven() {
        SamplingParams greedy = parse("--greedy", "--ignore-eos", "--max-tokens", "16");
        assertTrue(greedy.greedy());
        assertFalse(greedy.sampling());
        assertEquals(1.0, greedy.repetitionPenalty());
        assertTrue(greedy.ignoreEos());
        assertEquals(16, greedy.maxNewTokens());
        assertEquals(MODEL_DEFAULTS.eosTokenIds(), greedy.eosTokenIds());
        assertEquals(1.2, parse("--greedy", "--repetition-penalty", "1.2").repetitionPenalty());
    }

    @Test
    void samplingFlagsOverrideOnlyWhatTheyName() {
        SamplingParams p = parse("--temperature", "0.7", "--top-k", "0", "--seed", "7", "--stop", "END", "--stop", "STOP");
        assertTrue(p.sampling());
        assertEquals(0.7, p.temperature());
        assertEquals(0, p.topK());
        assertEquals(0.001, p.topP());
        assertEquals(1.05, p.repetitionPenalty());
        assertEquals(7L, p.seed());
        assertEquals(List.of("END", "STOP"), p.stopStrings());
    }

    @Test
    void badValuesNameTheFlag() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--min-p", "1.5")).getMessage().contains("--min-p"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--max-tokens", "0")).getMessage().contains("--max-tokens"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("--greedy", "--top-k", "5")).getMessage()
                .contains("--greedy cannot be combined"));
        // float logits divided by these overflow: refused before any work instead of failing at the first token
        assertEquals("sampling options: --temperature must be 0 (greedy) or at least 1.0E-5, found 1.0E-300",
                assertThrows(IllegalArgumentException.class, () -> parse("--temperature", "1e-300")).getMessage());
        assertEquals("sampling options: --repetition-penalty must be in [0.01, 100] (1 = disabled), found 1.0E-300",
                assertThrows(IllegalArgumentException.class, () -> parse("--repetition-penalty", "1e-300")).getMessage());
    }
}
