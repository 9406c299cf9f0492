package qwen2vl4j.server;

import java.util.List;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.SamplingParams;

/**
 * A validated {@code POST /v1/chat/completions} request. Image and video parts hold their fetched bytes
 * ({@link qwen2vl4j.chat.MediaSource.BytesSource}), never a path on the server.
 *
 * @param model        the model name the client asked for (echoed back)
 * @param messages     the conversation
 * @param params       decoding options: the model's defaults overridden by the request's fields
 * @param stream       answer with Server-Sent Events
 * @param includeUsage streaming only: send a last chunk with the usage ({@code stream_options.include_usage})
 */
record ChatRequest(String model, List<Message> messages, SamplingParams params, boolean stream, boolean includeUsage) {
}
