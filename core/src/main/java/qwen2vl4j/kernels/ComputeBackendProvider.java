package qwen2vl4j.kernels;

/**
 * A {@link ComputeBackend} that can be installed beside the built-in {@code java} one: listed in
 * {@code META-INF/services/qwen2vl4j.kernels.ComputeBackendProvider} of its jar and found through
 * {@link java.util.ServiceLoader} by {@link ComputeBackends}.
 */
public interface ComputeBackendProvider {
    /** The name the backend is selected by: lower case, neither {@code auto} nor {@code java}. */
    String name();

    /**
     * Whether the backend can run on this machine (its native library loads, its device is present). Must not
     * throw: a missing library or device answers false (an exception or linkage error counts as false too).
     */
    boolean available();

    /** Why {@link #available()} is false, for the error that refuses it; null when nothing is known. */
    default String unavailableReason() {
        return null;
    }

    /**
     * Its rank for {@code auto}: the available backend with the highest priority is chosen, the built-in {@code java}
     * (priority 0) on a tie. A backend that should run only when asked for by name answers a negative number.
     */
    int priority();

    /** The backend; called once, after {@link #available()} answered true. */
    ComputeBackend create();
}
