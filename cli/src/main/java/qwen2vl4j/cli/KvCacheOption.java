package qwen2vl4j.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;
import qwen2vl4j.text.KvCacheType;

/** {@code --kv-cache f32|bf16|f16}: how sessions store their cached keys and values; shared by run, chat, serve and bench. */
public final class KvCacheOption {
    @Option(names = "--kv-cache", paramLabel = "f32|bf16|f16", defaultValue = "${sys:qwen2vl4j.kv-cache:-f32}", converter = Converter.class,
            description = "KV cache storage: f32 (exact, default), bf16 or f16 (half the memory per token of context)")
    KvCacheType type = KvCacheType.F32;

    /** The chosen storage. */
    public KvCacheType type() {
        return type;
    }

    /** Parses the names case-insensitively, with the accepted names in the error. */
    public static final class Converter implements ITypeConverter<KvCacheType> {
        @Override
        public KvCacheType convert(String value) {
            try {
                return KvCacheType.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
