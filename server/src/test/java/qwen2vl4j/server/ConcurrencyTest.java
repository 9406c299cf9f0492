package qwen2vl4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import qwen2vl4j.chat.Message;

/** Several clients at once get the same answers as one after the other (and as the library), batched or not. */
class ConcurrencyTest {
    static final int CLIENTS = 8;

    static String prompt(int i) {
        return "Question number " + i + ": what comes " + "next ".repeat(i) + "?";
    }

    static int maxTokens(int i) {
        return 6 + 3 * i;   // different lengths: generations join and leave the batch at different steps
    }

    @ParameterizedTest(name = "batching {0}")
    @ValueSource(booleans = {true, false})
    void concurrentAnswersEqualSequentialAnswers(boolean batching) throws Exception {
        try (ServerFixture f = new ServerFixture(ServerOptions.builder().maxConcurrency(4).queue(CLIENTS).batching(batching)
                .queueTimeout(ServerFixture.PATIENCE))) {
            List<String> sequential = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                HttpResponse<String> r = f.post("/v1/chat/completions", ServerFixture.greedyBody(prompt(i), maxTokens(i), false));
                assertEquals(200, r.statusCode(), r.body());
                sequential.add(ServerFixture.answerText(r.body()));
                assertEquals(ServerFixture.expected(List.of(Message.user(prompt(i))), maxTokens(i)).text(), sequential.get(i));
            }
            // A long generation read all along keeps decoding during the rounds, so that the others' steps share
            // batches with it however the clients' requests happen to be spread in time on a loaded machine.
            Socket companion = f.openStream(AdmissionTest.LONG_STREAM, 2);
            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try (InputStream in = companion.getInputStream()) {
                    in.transferTo(OutputStream.nullOutputStream());
                } catch (IOException closed) {
                    // the test closed it
                }
            });
            for (int round = 0; round < 2; round++) {
                List<String> concurrent = new ArrayList<>();
                try (ExecutorService pool = Executors.newFixedThreadPool(CLIENTS)) {
                    List<Future<String>> answers = new ArrayList<>();
                    for (int i = 0; i < CLIENTS; i++) {
                        int k = i;
                        boolean stream = (i + round) % 2 == 0;
                        answers.add(pool.submit(() -> {
                            HttpResponse<String> r = f.post("/v1/chat/completions", ServerFixture.greedyBody(prompt(k), maxTokens(k), stream));
                            assertEquals(200, r.statusCode(), r.body());
                            return ServerFixture.answerText(r.body());
                        }));
                    }
                    for (Future<String> a : answers) concurrent.add(a.get());
                }
                assertEquals(sequential, concurrent, "round " + round);
            }
            companion.close();
            reader.join();
            String metrics = f.get("/metrics").body();
            long steps = metricValue(metrics, "qwen2vl4j_decode_batch_size_count");
            long single = metricValue(metrics, "qwen2vl4j_decode_batch_size_bucket{le=\"1\"}");
            if (batching) assertTrue(steps > single, "no decode step ran more than one generation: " + steps + " steps, " + single + " single");
            else assertEquals(0, steps);
        }
    }

    static long metricValue(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(metrics);
        if (!m.find()) throw new AssertionError(name + " not in metrics");
        return (long) Double.parseDouble(m.group(1));
    }
}
