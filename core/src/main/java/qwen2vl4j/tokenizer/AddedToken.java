package qwen2vl4j.tokenizer;

/**
 * A token added on top of the BPE vocabulary ({@code <|im_start|>}, ...). It is matched in the
 * text before BPE and never merged.
 *
 * @param id         its id
 * @param content    its text
 * @param special    whether {@code skipSpecial} decoding drops it
 * @param normalized whether it is matched after NFC normalisation (false: in the raw text)
 */
record AddedToken(int id, String content, boolean special, boolean normalized) {}
