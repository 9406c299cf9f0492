package qwen2vl4j.kernels;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Selects the {@link ComputeBackend} a model is loaded for, by name: {@code java} (built in, always there),
 * {@code auto} (the available backend of highest {@link ComputeBackendProvider#priority() priority}, {@code java}
 * on a tie), or the name of a {@link ComputeBackendProvider} found through {@link ServiceLoader}. Each backend is
 * created once per JVM.
 */
public final class ComputeBackends {
    /** The name that picks the best available backend. */
    public static final String AUTO = "auto";

    /** Providers that fail to load before the lookup gives up on the rest (the loader may not get past a broken entry). */
    private static final int MAX_BROKEN_PROVIDERS = 16;

    private static final Map<String, ComputeBackend> CREATED = new LinkedHashMap<>();

    private ComputeBackends() {}

    /**
     * The backend called {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException for an unknown name, listing the available ones, or for a backend that is
     *                                  installed but cannot run here, with the reason it gives
     */
    public static synchronized ComputeBackend select(String name) {
        String wanted = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        if (wanted.equals(JavaBackend.NAME)) return JavaBackend.INSTANCE;
        List<ComputeBackendProvider> providers = providers();
        if (wanted.equals(AUTO)) {
            ComputeBackendProvider best = null;
            for (ComputeBackendProvider p : providers) {
                if (p.priority() > 0 && (best == null || p.priority() > best.priority()) && available(p)) best = p;
            }
            return best == null ? JavaBackend.INSTANCE : created(best);
        }
        for (ComputeBackendProvider p : providers) {
            if (!p.name().equals(wanted)) continue;
            if (available(p)) return created(p);
            String reason = reason(p);
            throw new IllegalArgumentException("compute backend '" + wanted + "' is installed but cannot run here"
                    + (reason == null ? "" : ": " + reason) + " (available: " + String.join(", ", available()) + ")");
        }
        throw new IllegalArgumentException("unknown compute backend '" + name + "' (available: " + String.join(", ", available()) + ")");
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

    private static String reason(ComputeBackendProvider p) {
        try {
            return p.unavailableReason();
        } catch (RuntimeException | LinkageError e) {
            return e.toString();
        }
    }

    private static ComputeBackend created(ComputeBackendProvider p) {
        return CREATED.computeIfAbsent(p.name(), n -> p.create());
    }
}
