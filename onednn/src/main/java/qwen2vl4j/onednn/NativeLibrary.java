package qwen2vl4j.onednn;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;

/**
 * oneDNN's shared library and its OpenMP runtime, as the {@code org.bytedeco:dnnl} native jar of this platform
 * carries them ({@code org/bytedeco/dnnl/<platform>/}): copied out of the class path into a fresh temporary folder
 * (the OS loads libraries from files only; the library finds its runtime there through its {@code $ORIGIN}
 * run path) and opened for the FFM linker. The folder is removed when the JVM exits.
 */
final class NativeLibrary {
    /** Where the native jar keeps the libraries. */
    private static final String RESOURCE_ROOT = "org/bytedeco/dnnl/";

    /**
     * @param platform the native jar's platform name, e.g. {@code linux-x86_64}
     * @param dnnl     oneDNN itself
     * @param openMp   its OpenMP runtime ({@code omp_set_num_threads} lives there), opened first
     */
    record Platform(String platform, String dnnl, String openMp) {}

    private final SymbolLookup dnnl;
    private final SymbolLookup openMp;
    private final String platform;

    private NativeLibrary(String platform, SymbolLookup dnnl, SymbolLookup openMp) {
        this.platform = platform;
        this.dnnl = dnnl;
        this.openMp = openMp;
    }

    SymbolLookup dnnl() {
        return dnnl;
    }

    /** The OpenMP runtime, or null where the platform's build has none of its own. */
    SymbolLookup openMp() {
        return openMp;
    }

    String platform() {
        return platform;
    }

    /** The library files of the platform this JVM runs on, or null where no oneDNN native jar is made for it. */
    static Platform ofThisJvm(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String arch = switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm64";
            default -> null;
        };
        if (arch == null) return null;
        if (os.startsWith("linux")) return new Platform("linux-" + arch, "libdnnl.so.3", "libgomp.so.1");
        if (os.startsWith("mac")) return new Platform("macosx-" + arch, "libdnnl.3.dylib", "libomp.dylib");
        if (os.startsWith("windows") && arch.equals("x86_64")) return new Platform("windows-x86_64", "dnnl.dll", null);
        return null;
    }

    /**
     * Copies the platform's libraries out of the class path and opens them.
     *
     * @throws IllegalStateException naming what is missing or fails to load
     */
    static NativeLibrary load(Platform files) {
        ClassLoader loader = NativeLibrary.class.getClassLoader();
        String dir = RESOURCE_ROOT + files.platform() + "/";
        if (loader.getResource(dir + files.dnnl()) == null) {
            throw new IllegalStateException("the oneDNN native jar for " + files.platform() + " (org.bytedeco:dnnl:...:"
                    + files.platform() + ") is not on the class path");
        }
        try {
            Path folder = java.nio.file.Files.createTempDirectory("qwen2vl4j-onednn-");
            folder.toFile().deleteOnExit();
            List<String> names = files.openMp() == null ? List.of(files.dnnl()) : List.of(files.openMp(), files.dnnl());
            for (String name : names) {
                Path target = folder.resolve(name);
                try (InputStream in = loader.getResourceAsStream(dir + name)) {
                    if (in == null) throw new IllegalStateException(dir + name + " is missing from the oneDNN native jar");
                    java.nio.file.Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
                target.toFile().deleteOnExit();
            }
            SymbolLookup openMp = files.openMp() == null ? null : SymbolLookup.libraryLookup(folder.resolve(files.openMp()), Arena.global());
            SymbolLookup dnnl = SymbolLookup.libraryLookup(folder.resolve(files.dnnl()), Arena.global());
            return new NativeLibrary(files.platform(), dnnl, openMp);
        } catch (IOException e) {
            throw new IllegalStateException("cannot copy oneDNN's library out of its jar: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("cannot load oneDNN's library (" + files.dnnl() + "): " + e.getMessage(), e);
        }
    }
}
