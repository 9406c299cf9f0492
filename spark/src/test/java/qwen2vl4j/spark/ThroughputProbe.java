package qwen2vl4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;

/**
 * Not a test: measures images per minute of one JVM over a folder of images, answered one after the other with
 * {@link Qwen2VL#generate} against {@link PartitionGenerator} with several batch sizes, alternating the two so that a
 * shared machine's load hits both alike. {@code java <flags> -cp ... qwen2vl4j.spark.ThroughputProbe MODEL DIR TOKENS ROUNDS}
 */
public final class ThroughputProbe {
    public static void main(String[] args) throws Exception {
        String model = args[0];
        List<Path> images;
        try (Stream<Path> s = Files.list(Path.of(args[1]))) {
            images = s.sorted().toList();
        }
        int tokens = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        ModelSpec spec = ModelSpec.of(model);
        Qwen2VL m = ExecutorModels.model(spec);
        String prompt = "Describe this image.";
        for (int round = 0; round <= rounds; round++) {   // round 0 warms the JIT up
            long t0 = System.nanoTime();
            List<String> sequential = new ArrayList<>();
            for (Path p : images) {
                var messages = List.of(new Message("user", List.of(new ContentPart.Image(new MediaSource.FileSource(p)), new ContentPart.Text(prompt))));
                sequential.add(m.generate(messages, Decoding.greedy(tokens).params(m), null).text());
            }
            double seq = (System.nanoTime() - t0) / 6e10;
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %d: sequential generate %.1f images/min", round, images.size() / seq));
            for (int batch : new int[] {1, 4, 8}) {
                long t1 = System.nanoTime();
                List<RowRequest> rows = new ArrayList<>();
                for (Path p : images) rows.add(RowRequest.of(p.toString(), new MediaSource.FileSource(p), prompt));
                List<String> texts = new ArrayList<>();
                new PartitionGenerator(spec, Decoding.greedy(tokens), batch).apply(rows.iterator()).forEachRemaining(r -> texts.add(r.text()));
                double min = (System.nanoTime() - t1) / 6e10;
                line.append(String.format(Locale.ROOT, "; batch %d %.1f images/min%s", batch, images.size() / min,
                        texts.equals(sequential) ? "" : " (ANSWERS DIFFER)"));
            }
            System.out.println(line + " (largest batch " + ExecutorModels.largestBatch() + ")");
        }
    }
}
