package qwen2vl4j.spark;

import java.util.List;
import qwen2vl4j.ModelInputs;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.Message;
import qwen2vl4j.text.TextSession;

/**
 * The two model steps of a generation this module drives itself, written against today's public API in one place
 * (the same steps as the server's InferenceEngine): prepare a row's inputs with the library's processor, and run its
 * multimodal prefill (vision tower, M-RoPE positions, text prefill) into a fresh session. The decode steps after it go
 * through {@link qwen2vl4j.text.BatchDecoder}.
 */
final class ModelSteps {
    /** A prompt that leaves no room for an answer in the model's context. */
    static final class ContextLimitException extends IllegalArgumentException {
        ContextLimitException(String message) {
            super(message);
        }
    }

    private ModelSteps() {}

    /**
     * Renders, tokenizes and preprocesses {@code messages} as {@link Qwen2VL#generate} does, and checks the prompt
     * leaves room in the context.
     *
     * @throws ContextLimitException when the prompt fills the context
     */
    static ModelInputs prepare(Qwen2VL model, List<Message> messages) {
        ModelInputs inputs = model.processor().process(messages, true, false);
        if (inputs.ids().length >= model.contextLength()) {
            throw new ContextLimitException("the prompt holds " + inputs.ids().length + " tokens (" + inputs.imageTokens()
                    + " for the image); the context holds " + model.contextLength() + " tokens, answer included");
        }
        return inputs;
    }

    /** Runs {@code inputs}' images and text into {@code session}; returns the logits of the last prompt token. */
    static float[] prefill(Qwen2VL model, ModelInputs inputs, TextSession session) {
        float[][] embeds = model.encodeVision(inputs);
        int[][] positions = model.positions(inputs).positions();
        return session.prefill(inputs.ids(), embeds[0], embeds[1], positions);
    }
}
