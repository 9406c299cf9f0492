package qwen2vl4j.spark;

import java.util.List;
import qwen2vl4j.ModelInputs;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.Message;
import qwen2vl4j.text.TextSession;

/**
 * The two model steps of a generation this module drives itself, in one place (the same steps as the server's
 * InferenceEngine): prepare a row's inputs with the library's processor, and run its multimodal prefill into a fresh
 * session ({@link Qwen2VL#prefill}). The decode steps after it go through {@link qwen2vl4j.text.BatchDecoder}.
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

    /**
     * Runs {@code inputs}' image and text into {@code session} (the library's multimodal prefill: vision tower,
     * embeddings, M-RoPE positions, decoder); returns the logits of the last prompt token.
     */
    static float[] prefill(Qwen2VL model, ModelInputs inputs, TextSession session) {
        return model.prefill(session, inputs);
    }
}
