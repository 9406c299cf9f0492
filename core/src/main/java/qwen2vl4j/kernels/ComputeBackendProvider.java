package qwen2vl4j.kernels;

import qwen2vl4j.io.Precision;

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

    /** The backend computing in {@link Precision#F32}; called once, after {@link #available()} answered true. */
    ComputeBackend create();

    /**
     * Whether it computes in {@code precision} on this machine (called after {@link #available()} answered true):
     * {@link Precision#F32} always; a backend answers true for {@link Precision#BF16} only where it has a bf16
     * matrix product on this CPU or device.
     */
    default boolean supports(Precision precision) {
        return precision == Precision.F32;
    }

    /** Why {@link #supports} is false for {@code precision}, for the line that says so; null when nothing is known. */
    default String unsupportedReason(Precision precision) {
        return null;
    }

    /** Its rank for {@code auto} at {@code precision}: {@link #priority()} for f32, not chosen (-1) otherwise. */
    default int priority(Precision precision) {
        return precision == Precision.F32 ? priority() : -1;
    }

    /** The backend computing in {@code precision}; called once per precision, after {@link #supports} answered true. */
    default ComputeBackend create(Precision precision) {
        if (precision == Precision.F32) return create();
        throw new IllegalStateException("compute backend '" + name() + "' does not compute in " + precision.label());
    }
}
