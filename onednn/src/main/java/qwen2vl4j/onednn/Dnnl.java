package qwen2vl4j.onednn;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The part of oneDNN's C API ({@code dnnl.h}) the backend calls, bound through the FFM API: a CPU engine, matmul
 * primitives over memory described by strides, execution on a stream, and the queries that name the implementation
 * that runs. Every call's status is checked; a failure throws {@link DnnlException} naming the function and status.
 */
final class Dnnl {
    static final int F32 = 3;
    static final int BF16 = 2;
    static final int ARG_SRC = 1;
    static final int ARG_DST = 17;
    static final int ARG_WEIGHTS = 33;
    static final int ARG_BIAS = 41;
    private static final int ENGINE_CPU = 1;
    private static final int STREAM_IN_ORDER = 1;
    private static final int QUERY_IMPL_INFO_STR = 8;
    private static final String[] STATUS = {"success", "out_of_memory", "invalid_arguments", "unimplemented", "last_impl_reached",
            "runtime_error", "not_required", "invalid_graph", "invalid_graph_op", "invalid_shape", "invalid_data_type"};

    /** A failed oneDNN call. */
    static final class DnnlException extends IllegalStateException {
        final int status;

        DnnlException(String function, int status) {
            super("oneDNN " + function + " failed: " + (status >= 0 && status < STATUS.length ? STATUS[status] : "status " + status));
            this.status = status;
        }

        boolean unimplemented() {
            return status == 3;
        }
    }

    private final MethodHandle engineCreate, streamCreate, mdCreate, mdDestroy, matmulPd, pdQuery, pdDestroy, primCreate, primDestroy,
            memCreate, memDestroy, execute, streamWait, ompSetThreads;
    private final MethodHandle version, cpuIsa;
    private final MemorySegment engine;

    Dnnl(NativeLibrary lib) {
        SymbolLookup l = lib.dnnl();
        engineCreate = h(l, "dnnl_engine_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
        streamCreate = h(l, "dnnl_stream_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        mdCreate = h(l, "dnnl_memory_desc_create_with_strides", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        mdDestroy = h(l, "dnnl_memory_desc_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        matmulPd = h(l, "dnnl_matmul_primitive_desc_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        pdQuery = h(l, "dnnl_primitive_desc_query", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
        pdDestroy = h(l, "dnnl_primitive_desc_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        primCreate = h(l, "dnnl_primitive_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        primDestroy = h(l, "dnnl_primitive_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        memCreate = h(l, "dnnl_memory_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        memDestroy = h(l, "dnnl_memory_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        execute = h(l, "dnnl_primitive_execute", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        streamWait = h(l, "dnnl_stream_wait", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        version = h(l, "dnnl_version", FunctionDescriptor.of(ADDRESS));
        cpuIsa = h(l, "dnnl_get_effective_cpu_isa", FunctionDescriptor.of(JAVA_INT));
        SymbolLookup omp = lib.openMp() != null ? lib.openMp() : l;
        ompSetThreads = omp.find("omp_set_num_threads")
                .map(s -> Linker.nativeLinker().downcallHandle(s, FunctionDescriptor.ofVoid(JAVA_INT))).orElse(null);
        engine = handle("dnnl_engine_create", (arena, p) -> (int) engineCreate.invokeExact(p, ENGINE_CPU, 0L));
    }

    /** A call that writes a handle through {@code out} and returns its status. */
    @FunctionalInterface
    private interface Call {
        int run(Arena arena, MemorySegment out) throws Throwable;
    }

    /** The handle {@code call} creates, its status checked. */
    private static MemorySegment handle(String function, Call call) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(ADDRESS);
            check(function, call.run(arena, p));
            return p.get(ADDRESS, 0);
        } catch (DnnlException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("oneDNN " + function + ": " + e, e);
        }
    }

    private static MethodHandle h(SymbolLookup lookup, String name, FunctionDescriptor fd) {
        return Linker.nativeLinker().downcallHandle(lookup.find(name)
                .orElseThrow(() -> new IllegalStateException("oneDNN's library has no " + name)), fd);
    }

    static void check(String function, int status) {
        if (status != 0) throw new DnnlException(function, status);
    }

    /** e.g. {@code 3.13.0}. */
    String version() {
        try {
            MemorySegment v = ((MemorySegment) version.invokeExact()).reinterpret(12);
            return v.get(JAVA_INT, 0) + "." + v.get(JAVA_INT, 4) + "." + v.get(JAVA_INT, 8);
        } catch (Throwable e) {
            throw new IllegalStateException("oneDNN dnnl_version: " + e, e);
        }
    }

    /** The widest instruction set oneDNN uses on this CPU, by its name in {@code dnnl_cpu_isa_t}. */
    String cpuIsa() {
        int isa;
        try {
            isa = (int) cpuIsa.invokeExact();
        } catch (Throwable e) {
            return "unknown";
        }
        return switch (isa) {
            case 0x1 -> "sse41";
            case 0x3 -> "avx";
            case 0x7 -> "avx2";
            case 0xf -> "avx2_vnni";
            case 0x1f -> "avx2_vnni_2";
            case 0x27 -> "avx512_core";
            case 0x67 -> "avx512_core_vnni";
            case 0xe7 -> "avx512_core_bf16";
            case 0x1ef -> "avx512_core_fp16";
            case 0xfef -> "avx512_core_amx";
            case 0x1fef -> "avx512_core_amx_fp16";
            case 0x201ff -> "avx10_2";
            case 0x22fff -> "avx10_2_amx_2";
            default -> "isa 0x" + Integer.toHexString(isa);
        };
    }

    /** Threads of oneDNN's next parallel regions on the calling thread (OpenMP's per-thread setting). */
    void setThreads(int threads) {
        if (ompSetThreads == null) return;
        try {
            ompSetThreads.invokeExact(threads);
        } catch (Throwable e) {
            throw new IllegalStateException("omp_set_num_threads: " + e, e);
        }
    }

    /** A stream on the CPU engine (in order). */
    MemorySegment newStream() {
        return handle("dnnl_stream_create", (arena, p) -> (int) streamCreate.invokeExact(p, engine, STREAM_IN_ORDER));
    }

    /** A 2-D memory descriptor {@code [d0, d1]} with element strides {@code [s0, s1]}. */
    MemorySegment memoryDesc(long d0, long d1, int type, long s0, long s1) {
        return handle("dnnl_memory_desc_create_with_strides", (arena, p) -> {
            MemorySegment dims = arena.allocateFrom(JAVA_LONG, d0, d1), strides = arena.allocateFrom(JAVA_LONG, s0, s1);
            return (int) mdCreate.invokeExact(p, 2, dims, type, strides);
        });
    }

    void destroyMemoryDesc(MemorySegment md) {
        call("dnnl_memory_desc_destroy", mdDestroy, md);
    }

    /** A matmul primitive descriptor ({@code bias} may be {@link MemorySegment#NULL}); the caller destroys it. */
    MemorySegment matmulDesc(MemorySegment src, MemorySegment weights, MemorySegment bias, MemorySegment dst) {
        return handle("dnnl_matmul_primitive_desc_create",
                (arena, p) -> (int) matmulPd.invokeExact(p, engine, src, weights, bias, dst, MemorySegment.NULL));
    }

    /** The name of the implementation a primitive descriptor chose, e.g. {@code brg_matmul:avx512_core_amx}. */
    String implementation(MemorySegment pd) {
        return handle("dnnl_primitive_desc_query", (arena, p) -> (int) pdQuery.invokeExact(pd, QUERY_IMPL_INFO_STR, 0, p))
                .reinterpret(256).getString(0);
    }

    void destroyDesc(MemorySegment pd) {
        call("dnnl_primitive_desc_destroy", pdDestroy, pd);
    }

    MemorySegment primitive(MemorySegment pd) {
        return handle("dnnl_primitive_create", (arena, p) -> (int) primCreate.invokeExact(p, pd));
    }

    void destroyPrimitive(MemorySegment primitive) {
        call("dnnl_primitive_destroy", primDestroy, primitive);
    }

    /**
     * Runs a primitive on {@code stream} over user memory and waits for it: {@code mds[i]} describes {@code data[i]},
     * passed as argument {@code args[i]}; a {@link MemorySegment#NULL} datum is left out.
     */
    void execute(MemorySegment primitive, MemorySegment stream, int[] args, MemorySegment[] mds, MemorySegment[] data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memories = arena.allocate(ADDRESS, args.length);
            MemorySegment list = arena.allocate(16L * args.length, 8);
            int count = 0;
            try {
                for (int i = 0; i < args.length; i++) {
                    if (data[i].equals(MemorySegment.NULL)) continue;
                    MemorySegment p = arena.allocate(ADDRESS);
                    check("dnnl_memory_create", (int) memCreate.invokeExact(p, mds[i], engine, data[i]));
                    memories.setAtIndex(ADDRESS, count, p.get(ADDRESS, 0));
                    list.set(JAVA_INT, 16L * count, args[i]);
                    list.set(ADDRESS, 16L * count + 8, p.get(ADDRESS, 0));
                    count++;
                }
                check("dnnl_primitive_execute", (int) execute.invokeExact(primitive, stream, count, list));
                check("dnnl_stream_wait", (int) streamWait.invokeExact(stream));
            } finally {
                for (int i = 0; i < count; i++) call("dnnl_memory_destroy", memDestroy, memories.getAtIndex(ADDRESS, i));
            }
        } catch (DnnlException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("oneDNN dnnl_primitive_execute: " + e, e);
        }
    }

    private static void call(String function, MethodHandle h, MemorySegment handle) {
        try {
            check(function, (int) h.invokeExact(handle));
        } catch (DnnlException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("oneDNN " + function + ": " + e, e);
        }
    }
}
