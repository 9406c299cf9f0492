/**
 * Qwen2-VL in process behind LangChain4j's chat API: {@link qwen2vl4j.langchain4j.Qwen2VLChatModel} (a
 * {@code ChatModel}) and {@link qwen2vl4j.langchain4j.Qwen2VLStreamingChatModel} (a {@code StreamingChatModel}), built
 * from a shared {@link qwen2vl4j.Qwen2VL} or a model folder / Hugging Face repo id. Qwen2-VL's own request parameters
 * are in {@link qwen2vl4j.langchain4j.Qwen2VLChatRequestParameters}, its response extras (grounding boxes, visual
 * token counts) in {@link qwen2vl4j.langchain4j.Qwen2VLChatResponseMetadata}, and how an image's
 * {@code DetailLevel} becomes a pixel budget in {@link qwen2vl4j.langchain4j.PixelBudget}.
 */
package qwen2vl4j.langchain4j;
