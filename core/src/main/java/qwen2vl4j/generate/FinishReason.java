package qwen2vl4j.generate;

/** Why a generation ended (named as in OpenAI's {@code finish_reason}). */
public enum FinishReason {
    /** An end token (EOS or a stop token id) was generated, or a stop string appeared. */
    STOP,
    /** {@code maxNewTokens} tokens were generated. */
    LENGTH;

    /** The OpenAI spelling: {@code "stop"} or {@code "length"}. */
    public String openAiName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
