package qwen2vl4j.onednn;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Locale;

/**
 * oneDNN's shared library and its OpenMP runtime, as the {@code org.bytedeco:dnnl} native jar of this platform
 * carries them ({@code org/bytedeco/dnnl/<platform>/}): copied out of the class path (the OS loads libraries from
 * files only; the library finds its runtime beside it through its {@code $ORIGIN} run path) into a folder of this
 * user's under the temporary directory, named by the jar's version, and reused by later runs (about 93 MB on
 * linux-x86_64, written once, each file by an atomic rename), then opened for the FFM linker.
 */
final class NativeLibrary {
    /** Where the native jar keeps the libraries. */
    private static final String RESOURCE_ROOT = "org/bytedeco/dnnl/";
    /** The native jar's version (the libraries' folder is named by it). */
    static final String VERSION = "3.13-1.5.14";

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

    /** {@code <tmp>/qwen2vl4j-onednn-<version>-<user>}, created readable by this user only where the file system can say so. */
    private static Path cacheFolder() throws IOException {
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
        Path folder = Path.of(System.getProperty("java.io.tmpdir"), "qwen2vl4j-onednn-" + VERSION + "-" + user);
        if (!java.nio.file.Files.isDirectory(folder)) {
            try {
                java.nio.file.Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (UnsupportedOperationException e) {
                java.nio.file.Files.createDirectories(folder);
            }
        }
        try {
            UserPrincipal owner = java.nio.file.Files.getOwner(folder);
            if (!owner.getName().equals(System.getProperty("user.name"))) {
                throw new IllegalStateException(folder + " belongs to " + owner.getName() + ", not to this user: oneDNN's library is not loaded from it");
            }
        } catch (UnsupportedOperationException e) {
            // no owners on this file system
        }
        return folder;
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
            Path folder = cacheFolder();
            List<String> names = files.openMp() == null ? List.of(files.dnnl()) : List.of(files.openMp(), files.dnnl());
            for (String name : names) {
                URL resource = loader.getResource(dir + name);
                if (resource == null) throw new IllegalStateException(dir + name + " is missing from the oneDNN native jar");
                Path target = folder.resolve(name);
                long size = resource.openConnection().getContentLengthLong();
                if (java.nio.file.Files.isRegularFile(target) && size > 0 && java.nio.file.Files.size(target) == size) continue;
                Path part = java.nio.file.Files.createTempFile(folder, name, ".part");
                try (InputStream in = resource.openStream()) {
                    java.nio.file.Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                }
                java.nio.file.Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
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
