package qwen2vl4j.cli.bench;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import qwen2vl4j.hub.ModelResolver;
import qwen2vl4j.tokenizer.Tokenizer;

/**
 * {@code tokenizer-bench}: encode throughput on a deterministic mixed text (English, code, CJK,
 * emoji, digits, whitespace), with the piece cache and, as the baseline, without it.
 */
@Command(name = "tokenizer-bench", mixinStandardHelpOptions = true,
        description = "Measure tokenizer encode throughput (MB/s, tokens/s) with and without the piece cache.")
public final class TokenizerBenchCommand implements Runnable {
    private static final int WARMUP_RUNS = 2;
    private static final int TIMED_RUNS = 3;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M",
            description = "model folder, or a Hugging Face repo id found in the local cache")
    String model;

    @Option(names = "--mb", paramLabel = "N", defaultValue = "4", description = "size of the text in MB (default: ${DEFAULT-VALUE})")
    double megabytes;

    @Override
    public void run() {
        if (!(megabytes > 0) || megabytes > 1024) throw new IllegalArgumentException("--mb: expected a size in (0, 1024], found " + megabytes);
        PrintWriter out = spec.commandLine().getOut();
        Tokenizer cached = Tokenizer.load(ModelResolver.resolveOrDownload(model));
        String text = MixedText.generate((long) (megabytes * 1024 * 1024), 20251126L);
        long bytes = text.getBytes(StandardCharsets.UTF_8).length;
        out.printf("text: %.2f MB UTF-8 (%d chars), %d runs after %d warm-up runs, best run reported%n",
                bytes / 1048576.0, text.length(), TIMED_RUNS, WARMUP_RUNS);
        Result withCache = measure(cached, text);
        Result withoutCache = measure(cached.withoutPieceCache(), text);
        if (withCache.tokens != withoutCache.tokens) {
            throw new IllegalStateException("cached and uncached encodings differ: " + withCache.tokens + " vs " + withoutCache.tokens + " tokens");
        }
        print(out, "piece cache on ", withCache, bytes);
        print(out, "piece cache off", withoutCache, bytes);
        out.printf("cache speed-up: %.2fx wall clock, %.2fx CPU time%n", withoutCache.seconds / withCache.seconds,
                withoutCache.cpuSeconds / withCache.cpuSeconds);
        out.flush();
    }

    /** Best wall-clock and best thread CPU seconds of the timed runs. */
    private record Result(int tokens, double seconds, double cpuSeconds) {}

    private static Result measure(Tokenizer tokenizer, String text) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        boolean cpuTime = threads.isCurrentThreadCpuTimeSupported();
        int tokens = 0;
        for (int i = 0; i < WARMUP_RUNS; i++) tokens = tokenizer.encode(text).length;
        double best = Double.MAX_VALUE;
        double bestCpu = Double.MAX_VALUE;
        for (int i = 0; i < TIMED_RUNS; i++) {
            long cpuStart = cpuTime ? threads.getCurrentThreadCpuTime() : 0;
            long start = System.nanoTime();
            tokens = tokenizer.encode(text).length;
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
            if (cpuTime) bestCpu = Math.min(bestCpu, (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9);
        }
        return new Result(tokens, best, cpuTime ? bestCpu : Double.NaN);
    }

    private static void print(PrintWriter out, String label, Result r, long bytes) {
        out.printf("%s: %8.2f MB/s  %,12.0f tokens/s  (%d tokens in %.3f s; thread CPU time %.3f s = %.2f MB/s)%n",
                label, bytes / 1048576.0 / r.seconds, r.tokens / r.seconds, r.tokens, r.seconds, r.cpuSeconds,
                bytes / 1048576.0 / r.cpuSeconds);
    }

    /** A deterministic text that mixes the kinds of content a chat model sees. */
    static final class MixedText {
        private static final String[] WORDS = ("the of and to in is that it was for on are with as his they be at one have this "
                + "from or had by word but what some we can out other were all there when up use your how said an each she "
                + "which do their time if will way about many then them write would like so these her long make thing see "
                + "him two has look more day could go come did number sound no most people my over know water than call "
                + "first who may down side been now find any new work part take get place made live where after back little "
                + "only round man year came show every good me give our under name very through just form sentence great "
                + "think say help low line differ turn cause much mean before move right boy old too same tell does set "
                + "Tokenizer Qwen Vision Transformer Hello World don't it's we'll they're I've").split(" ");
        private static final String[] CODE = {
                "for (int i = 0; i < n; i++) {\n    sum += values[i] * weights[i];\n}\n",
                "def forward(self, x):\n    return self.proj(torch.relu(self.fc(x)))\n\n",
                "if (x == null) throw new IllegalArgumentException(\"x\");\n",
                "\t\tconst result = await fetch(`/api/v1/items?id=${id}`);\n",
                "    # TODO: handle the edge case\n    pass\n",
                "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;\n"};
        private static final String[] CJK = {"今天天气很好，我们去公园散步吧。", "机器学习模型需要大量的数据。", "日本語のテキストも含まれています。",
                "한국어 문장도 있습니다.", "视觉语言模型可以理解图片和视频。", "饕餮盛宴，鳞次栉比。"};
        private static final String[] EMOJI = {"😀", "👍🏽", "🚀", "🧑‍💻", "❤️", "🎉", "👩‍👩‍👧", "🦩"};
        private static final String[] SPACES = {" ", "  ", "\n", "\n\n", "\t", "    ", " \n", "\r\n"};

        private MixedText() {}

        /** About {@code targetBytes} bytes of UTF-8 text, the same for the same seed. */
        static String generate(long targetBytes, long seed) {
            Random random = new Random(seed);
            StringBuilder b = new StringBuilder((int) Math.min(Integer.MAX_VALUE - 16, targetBytes));
            long bytes = 0;
            while (bytes < targetBytes) {
                int start = b.length();
                appendChunk(b, random);
                bytes += utf8Length(b, start);
            }
            return b.toString();
        }

        private static void appendChunk(StringBuilder b, Random random) {
            int kind = random.nextInt(10);
            if (kind < 5) {
                int n = 5 + random.nextInt(20);
                for (int i = 0; i < n; i++) {
                    String w = WORDS[random.nextInt(WORDS.length)];
                    b.append(i == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : w);
                    b.append(i == n - 1 ? ". " : random.nextInt(12) == 0 ? ", " : " ");
                }
            } else if (kind < 7) {
                b.append(CODE[random.nextInt(CODE.length)].replace("i", random.nextInt(4) == 0 ? "idx" + random.nextInt(100) : "i"));
            } else if (kind == 7) {
                b.append(CJK[random.nextInt(CJK.length)]);
            } else if (kind == 8) {
                b.append(EMOJI[random.nextInt(EMOJI.length)]).append(' ');
                b.append(random.nextInt(1_000_000)).append('.').append(random.nextInt(100)).append(' ');
            } else {
                b.append(SPACES[random.nextInt(SPACES.length)]);
            }
        }

        private static long utf8Length(CharSequence s, int from) {
            long n = 0;
            for (int i = from; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < 0x80) n += 1;
                else if (c < 0x800) n += 2;
                else if (Character.isHighSurrogate(c)) { n += 4; i++; }
                else n += 3;
            }
            return n;
        }
    }
}
