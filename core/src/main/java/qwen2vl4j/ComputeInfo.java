package qwen2vl4j;

/**
 * What computes a loaded model's matrix products ({@link Qwen2VL#compute()}), for reports and timings.
 *
 * @param backend        the compute backend in use, e.g. {@code java}, {@code onednn}
 * @param precision      the arithmetic of its large products: {@code f32} or {@code bf16}
 * @param implementation what ran, e.g. {@code Vector API, 8 f32 lanes (256-bit), 2 threads} or oneDNN's
 *                       implementation names such as {@code brg_matmul:avx512_core_amx}
 * @param notice         why the backend or precision asked for is not the one in use, or null
 */
public record ComputeInfo(String backend, String precision, String implementation, String notice) {}
