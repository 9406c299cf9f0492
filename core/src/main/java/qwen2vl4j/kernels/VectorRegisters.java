package qwen2vl4j.kernels;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * How many vector registers the JIT can give a micro-kernel here, which decides how large a register tile
 * ({@link GemmKernels}) can stay in registers: 32 on AArch64 (NEON and SVE) and on x86 where the JIT uses
 * AVX-512's EVEX encoding ({@code -XX:UseAVX=3}, at any {@code MaxVectorSize}), 16 on other x86 CPUs (AVX2 and
 * SSE: every accumulator past the sixteenth spills to the stack on each multiply-add, which halves the speed).
 */
final class VectorRegisters {
    /** Vector registers available to compiled code. */
    static final int COUNT = count(ManagementFactory.getOperatingSystemMXBean().getArch(), useAvx());

    private VectorRegisters() {}

    static int count(String arch, int useAvx) {
        if (arch.equals("aarch64") || arch.equals("arm64")) return 32;
        return useAvx >= 3 ? 32 : 16;
    }

    /** HotSpot's {@code UseAVX} level (0–3), or 0 where the JVM does not say (not HotSpot, not x86). */
    private static int useAvx() {
        try {
            HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return bean == null ? 0 : Integer.parseInt(bean.getVMOption("UseAVX").getValue());
        } catch (RuntimeException | LinkageError e) {
            return 0;
        }
    }
}
