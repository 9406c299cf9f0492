package qwen2vl4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.SamplingParams;
import qwen2vl4j.generate.TokenListener;
import qwen2vl4j.text.TextSession;

/**
 * A chat that keeps its KV cache across turns: each {@link #send} runs only the new turn's tokens
 * (and its images / videos) through the model. One conversation is used by one thread at a time.
 *
 * <p>The template is prefix-stable: rendering the history with a new user message extends the
 * previous rendering, so the new turn is the text after it. The answer's tokens are already in the
 * cache (all but the last one, which is fed with the next turn).
 */
public final class Conversation {
    private final Qwen2VL model;
    private final TextSession session;
    private final List<Message> history = new ArrayList<>();
    /** Rendering of everything the cache holds, as the template would write the history. */
    private String renderedSoFar = "";
    /** Generated tokens not yet fed to the cache (the last one of the previous answer). */
    private int[] pending = new int[0];
    /** All ids the cache holds plus {@link #pending}, for the repetition penalty. */
    private int[] allIds = new int[0];
    private boolean lastAnswerEndedWithImEnd;
    private int turns;
    private static final String IM_END = "<|im_end|>";

    Conversation(Qwen2VL model) {
        this.model = model;
        this.session = model.newSession();
    }

    /** Adds {@code message} (usually the user's) and generates the assistant's answer, which joins the history. */
    public GenerationResult send(Message message, SamplingParams params, TokenListener listener) {
        return generate(List.of(message), params, listener);
    }

    /**
     * Adds {@code messages} (e.g. a system message and the first user message) and generates the assistant's answer.
     */
    public GenerationResult send(List<Message> messages, SamplingParams params, TokenListener listener) {
        return generate(messages, params, listener);
    }

    /** The messages so far, answers included. */
    public List<Message> history() {
        return List.copyOf(history);
    }

    /** Tokens held in the KV cache. */
    public int cachedTokens() {
        return session.length();
    }

    GenerationResult generate(List<Message> newMessages, SamplingParams params, TokenListener listener) {
        long t0 = System.nanoTime();
        List<Message> all = new ArrayList<>(history);
        all.addAll(newMessages);
        Qwen2VLProcessor processor = model.processor();
        String full = processor.render(all, true, false);
        if (!full.startsWith(renderedSoFar)) {
            throw new IllegalStateException("the chat template did not extend the previous turns' rendering; start a new conversation");
        }
        String turn = full.substring(renderedSoFar.length());
        // the cache lacks the previous answer's last token (pending); when that token is <|im_end|>, the
        // template's closing <|im_end|> at the start of this turn is already accounted for
        if (lastAnswerEndedWithImEnd && turn.startsWith(IM_END)) turn = turn.substring(IM_END.length());
        ModelInputs inputs = processor.processRendered(turn, newMessages);
        int[] ids = concat(pending, inputs.ids());
        double preprocessMillis = (System.nanoTime() - t0) / 1e6;
        int[] history = concat(allIds, ids);
        GenerationResult result = model.answer(session, inputs.withIds(ids), history, params, listener,
                turns == 0 ? model.loadMillis() : 0, preprocessMillis, null);

        int[] generated = result.ids();
        pending = generated.length == 0 ? new int[0] : new int[] {generated[generated.length - 1]};
        allIds = concat(history, generated);
        this.history.addAll(newMessages);
        this.history.add(Message.assistant(result.text()));
        renderedSoFar = full + result.text();
        lastAnswerEndedWithImEnd = generated.length > 0
                && generated[generated.length - 1] == model.tokenizer().tokenId(IM_END).orElse(-1);
        turns++;
        return result;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
