package qwen2vl4j.kernels;

/**
 * A test provider, {@code missing-native}, whose native library is absent: its availability check fails the way a
 * careless one would, with the {@link UnsatisfiedLinkError} of loading it, and it ranks first for {@code auto}.
 */
public final class MissingNativeBackendProvider implements ComputeBackendProvider {
    @Override
    public String name() {
        return "missing-native";
    }

    @Override
    public boolean available() {
        System.loadLibrary("qwen2vl4j-no-such-library");
        return true;
    }

    @Override
    public String unavailableReason() {
        return "libqwen2vl4j-no-such-library.so is not installed";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public ComputeBackend create() {
        throw new AssertionError("an unavailable backend is never created");
    }
}
