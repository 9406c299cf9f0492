package qwen2vl4j.kernels;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import qwen2vl4j.io.Precision;

/**
 * Selects the {@link ComputeBackend} a model is loaded for, by name and {@link Precision}: {@code java} (built in,
 * always there), {@code auto} (the available backend of highest {@link ComputeBackendProvider#priority(Precision)
 * priority}, {@code java} on a tie), or the name of a {@link ComputeBackendProvider} found through
 * {@link ServiceLoader}. Each backend is created once per JVM and precision.
 */
public final class ComputeBackends {
    /** The name that picks the best available backend. */
    public static final String AUTO = "auto";

    /** Providers that fail to load before the lookup gives up on the rest (the loader may not get past a broken entry). */
    private static final int MAX_BROKEN_PROVIDERS = 16;

    private static final Map<String, ComputeBackend> CREATED = new LinkedHashMap<>();

    private ComputeBackends() {}

    /**
     * The backend a model loads for, and the one line to show the user when it is not what was asked for.
     *
     * @param backend the backend that computes
     * @param notice  why the backend or precision asked for is not used (a native library that does not load, a CPU
     *                without a bf16 matrix product), or null when the choice is as asked
     */
    public record Choice(ComputeBackend backend, String notice) {}

    /** The backend called {@code name} computing in f32 ({@link #choose}); a notice is dropped. */
    public static ComputeBackend select(String name) {
        return choose(name, Precision.F32).backend();
    }

    /**
     * The backend called {@code name} (case-insensitive) computing in {@code precision}: {@code java}; {@code auto},
     * the available provider of highest {@link ComputeBackendProvider#priority(Precision) priority} that supports the
     * precision, else {@code java}; or an installed provider's name. A provider that cannot run here (its native
     * library does not load) or cannot compute in {@code precision} on this machine, and a bf16 request that only
     * {@code java} can serve, fall back to {@code java} (which computes in f32) with a {@link Choice#notice()} that
     * says why: never an error.
     *
     * @throws IllegalArgumentException for a name that is neither {@code auto}, {@code java} nor an installed
     *                                  provider's, listing the available ones
     */
    public static synchronized Choice choose(String name, Precision precision) {
        String wanted = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        List<ComputeBackendProvider> providers = providers();
        if (wanted.equals(JavaBackend.NAME)) {
            return new Choice(JavaBackend.INSTANCE, precision == Precision.F32 ? null
                    : "precision " + precision.label() + " needs a native backend (" + bf16Backends(providers)
                    + "); the java backend computes in f32");
        }
        if (wanted.equals(AUTO)) {
            ComputeBackendProvider best = null;
            List<String> why = new ArrayList<>();
            for (ComputeBackendProvider p : providers) {
                int rank = priority(p, precision);
                if (rank <= 0 || (best != null && rank <= priority(best, precision))) continue;
                if (!available(p)) {
                    why.add(p.name() + " cannot run here" + suffix(reason(p)));
                } else if (!supports(p, precision)) {
                    why.add(p.name() + " has no " + precision.label() + " product on this machine" + suffix(unsupportedReason(p, precision)));
                } else {
                    best = p;
                }
            }
            if (best != null) return create(best, precision);
            if (precision == Precision.F32) return new Choice(JavaBackend.INSTANCE, null);
            return new Choice(JavaBackend.INSTANCE, "precision " + precision.label() + ": "
                    + (why.isEmpty() ? "no native backend is installed (" + bf16Backends(providers) + ")" : String.join("; ", why))
                    + "; the java backend computes in f32");
        }
        for (ComputeBackendProvider p : providers) {
            if (!p.name().equals(wanted)) continue;
            if (!available(p)) {
                return new Choice(JavaBackend.INSTANCE, "compute backend '" + wanted + "' cannot run here" + suffix(reason(p))
                        + "; the java backend computes in f32");
            }
            if (!supports(p, precision)) {
                return new Choice(JavaBackend.INSTANCE, "compute backend '" + wanted + "' has no " + precision.label()
                        + " product on this machine" + suffix(unsupportedReason(p, precision)) + "; the java backend computes in f32");
            }
            return create(p, precision);
        }
        throw new IllegalArgumentException("unknown compute backend '" + name + "' (available: " + String.join(", ", available()) + ")");
    }

    /** The provider's backend, or java with a notice when creating it fails. */
    private static Choice create(ComputeBackendProvider p, Precision precision) {
        try {
            return new Choice(created(p, precision), null);
        } catch (RuntimeException | LinkageError e) {
            return new Choice(JavaBackend.INSTANCE, "compute backend '" + p.name() + "' failed to start (" + e
                    + "); the java backend computes in f32");
        }
    }

    private static String suffix(String reason) {
        return reason == null || reason.isBlank() ? "" : " (" + reason + ")";
    }

    /** The installed providers that may compute in bf16, for a notice: {@code onednn} when none is installed. */
    private static String bf16Backends(List<ComputeBackendProvider> providers) {
        List<String> names = new ArrayList<>();
        for (ComputeBackendProvider p : providers) {
            if (priority(p, Precision.BF16) > 0) names.add(p.name());
        }
        return names.isEmpty() ? "none is installed; the onednn module brings one" : String.join(", ", names);
    }

    /**
     * Whether {@link #choose} takes {@code name} (case-insensitive): {@code auto}, {@code java} or an installed provider's
     * name, also one that cannot run here (it falls back to {@code java} with a notice). Creates no backend.
     */
    public static boolean isKnown(String name) {
        String wanted = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        if (wanted.equals(AUTO) || wanted.equals(JavaBackend.NAME)) return true;
        for (ComputeBackendProvider p : providers()) if (p.name().equals(wanted)) return true;
        return false;
    }

    /** The names {@link #select} accepts on this machine: {@code auto}, {@code java}, then the available providers. */
    public static List<String> available() {
        List<String> names = new ArrayList<>(List.of(AUTO, JavaBackend.NAME));
        for (ComputeBackendProvider p : providers()) {
            if (available(p) && !names.contains(p.name())) names.add(p.name());
        }
        return names;
    }

    /** The installed providers whose class loads and whose name is usable; a broken one is skipped. */
    private static List<ComputeBackendProvider> providers() {
        List<ComputeBackendProvider> list = new ArrayList<>();
        ServiceLoader<ComputeBackendProvider> loader = ServiceLoader.load(ComputeBackendProvider.class);
        var it = loader.stream().iterator();
        for (int failures = 0; failures < MAX_BROKEN_PROVIDERS; ) {
            try {
                if (!it.hasNext()) break;
                ComputeBackendProvider p = it.next().get();
                String n = p.name();
                if (n != null && !n.equals(AUTO) && !n.equals(JavaBackend.NAME)) list.add(p);
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                failures++;   // a provider whose class or native library does not load is not available
            }
        }
        return list;
    }

    private static boolean available(ComputeBackendProvider p) {
        try {
            return p.available();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static int priority(ComputeBackendProvider p, Precision precision) {
        try {
            return p.priority(precision);
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }

    private static boolean supports(ComputeBackendProvider p, Precision precision) {
        try {
            return p.supports(precision);
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static String unsupportedReason(ComputeBackendProvider p, Precision precision) {
        try {
            return p.unsupportedReason(precision);
        } catch (RuntimeException | LinkageError e) {
            return e.toString();
        }
    }

    private static String reason(ComputeBackendProvider p) {
        try {
            return p.unavailableReason();
        } catch (RuntimeException | LinkageError e) {
            return e.toString();
        }
    }

    private static ComputeBackend created(ComputeBackendProvider p, Precision precision) {
        return CREATED.computeIfAbsent(p.name() + "/" + precision.label(), n -> p.create(precision));
    }
}
