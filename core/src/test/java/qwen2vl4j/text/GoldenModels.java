package qwen2vl4j.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import qwen2vl4j.config.ModelConfig;
import qwen2vl4j.io.Weights;

/** The fixture models and cases, loaded once per test JVM (weights stay mapped for its lifetime). */
final class GoldenModels {
    private static final Map<String, TextModel> MODELS = new ConcurrentHashMap<>();
    private static final Map<String, List<GoldenCase>> CASES = new ConcurrentHashMap<>();

    private GoldenModels() {}

    static TextModel model(String set) {
        return MODELS.computeIfAbsent(set, s -> {
            var dir = GoldenCase.modelDir(s);
            return TextModel.load(Weights.open(dir), ModelConfig.load(dir));
        });
    }

    static List<GoldenCase> cases(String set) {
        return CASES.computeIfAbsent(set, GoldenCase::load);
    }

    /** Every case of both fixture sets. */
    static Stream<GoldenCase> allCases() {
        List<GoldenCase> all = new ArrayList<>(cases(GoldenCase.TINY));
        all.addAll(cases(GoldenCase.GEOMETRY));
        return all.stream();
    }

    static GoldenCase find(String set, String name) {
        return cases(set).stream().filter(c -> c.key().endsWith("/" + name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no case " + name + " in " + set));
    }

    static TextModel model(GoldenCase c) {
        return model(c.set());
    }

    static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (v[off + i] > v[off + best]) best = i;
        return best;
    }
}
