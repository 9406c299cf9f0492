package qwen2vl4j.hub;

import java.util.Set;

/** Which files of a repo to download. */
public enum FileSelection {
    /** Only what qwen2vl4j needs to run the model: configs, tokenizer, chat template, weights and their index. */
    NEEDED {
        @Override
        public boolean includes(String filename) {
            if (filename.contains("/")) return false;
            return NEEDED_NAMES.contains(filename)
                    || filename.endsWith(".safetensors")
                    || filename.endsWith(".safetensors.index.json");
        }
    },
    /** Every file of the repo (README, other weight formats, ...). */
    ALL {
        @Override
        public boolean includes(String filename) {
            return true;
        }
    };

    private static final Set<String> NEEDED_NAMES = Set.of(
            "config.json", "generation_config.json", "preprocessor_config.json",
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
            "vocab.json", "merges.txt", "chat_template.json", "chat_template.jinja");

    /** Whether a file (path inside the repo) is part of this selection. */
    public abstract boolean includes(String filename);
}
