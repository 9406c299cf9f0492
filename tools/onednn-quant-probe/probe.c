// Times one oneDNN matmul at the decode step's shapes with the weights as bf16, as int8 with GGUF's Q8_0 block
// scales (one f32 scale per 32 weights along K) or as int4 with Q4_0's (and its offset of 8 as a zero point), checks
// its result against a plain loop, and prints the implementation oneDNN chose. A developer's probe for the question
// "does oneDNN's quantized matmul beat our Java kernels at M = 1 on this CPU?"; see README.md beside it.
//
// usage: probe MODE M K N [MATRICES] [REPS]
//   MODE: bf16      f32 activations x bf16 weights, widened to f32 (what --backend onednn --precision f32 runs)
//         s8        f32 activations x s8 weights, f32 scale per 32 along K (Q8_0's values)
//         u4        f32 activations x u4 weights, f32 scale per 32 along K, zero point 8 (Q4_0's values)
//         u8s8      u8 activations (7-bit) x s8 weights, one scale per output column (no block scales: a lower
//                   bound on what an int8 x int8 product costs here)
//   MATRICES copies of the weights are cycled through so that they stream from memory, as in decode.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// The part of oneDNN's C API (dnnl.h, dnnl_common_types.h) used here; handles are opaque pointers.
typedef void *H;
typedef struct { int arg; H memory; } exec_arg;
int dnnl_engine_create(H *engine, int kind, size_t index);
int dnnl_stream_create(H *stream, H engine, unsigned flags);
int dnnl_memory_desc_create_with_strides(H *md, int ndims, const int64_t *dims, int data_type, const int64_t *strides);
int dnnl_primitive_attr_create(H *attr);
int dnnl_primitive_attr_set_scales(H attr, int arg, int mask, int ndims, const int64_t *group_dims, int data_type);
int dnnl_primitive_attr_set_zero_points(H attr, int arg, int mask, int ndims, const int64_t *group_dims, int data_type);
int dnnl_primitive_attr_set_fpmath_mode_v2(H attr, int mode, int apply_to_int);
int dnnl_matmul_primitive_desc_create(H *pd, H engine, H src, H weights, H bias, H dst, H attr);
int dnnl_primitive_desc_query(H pd, int what, int index, void *result);
int dnnl_primitive_create(H *primitive, H pd);
int dnnl_memory_create(H *memory, H md, H engine, void *handle);
int dnnl_primitive_execute(H primitive, H stream, int nargs, const exec_arg *args);
int dnnl_stream_wait(H stream);

enum { BF16 = 2, F32 = 3, S32 = 4, S8 = 5, U8 = 6, U4 = 12 };
enum { ARG_SRC = 1, ARG_DST = 17, ARG_WEIGHTS = 33, ARG_SCALES = 4096, ARG_ZERO_POINTS = 8192 };
enum { CPU = 1, IN_ORDER = 1, IMPL_INFO_STR = 8, FPMATH_STRICT = 0 };

#define CHECK(call) do { int s_ = (call); if (s_) { fprintf(stderr, "%s failed: status %d\n", #call, s_); exit(2); } } while (0)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static H desc(int64_t rows, int64_t cols, int type, int64_t rowStride, int64_t colStride) {
    H md;
    int64_t dims[2] = {rows, cols}, strides[2] = {rowStride, colStride};
    CHECK(dnnl_memory_desc_create_with_strides(&md, 2, dims, type, strides));
    return md;
}

static H memory(H md, H engine, void *data) {
    H m;
    CHECK(dnnl_memory_create(&m, md, engine, data));
    return m;
}

static float bf16ToFloat(uint16_t h) {
    uint32_t bits = (uint32_t) h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: probe bf16|s8|u4|u8s8 M K N [MATRICES] [REPS]\n");
        return 1;
    }
    const char *mode = argv[1];
    int64_t M = atol(argv[2]), K = atol(argv[3]), N = atol(argv[4]);
    int matrices = argc > 5 ? atoi(argv[5]) : 12, reps = argc > 6 ? atoi(argv[6]) : 10;
    int bf16 = !strcmp(mode, "bf16"), s8 = !strcmp(mode, "s8"), u4 = !strcmp(mode, "u4"), u8s8 = !strcmp(mode, "u8s8");
    if (!(bf16 || s8 || u4 || u8s8) || M < 1 || K < 32 || K % 32 || N < 1) {
        fprintf(stderr, "MODE must be bf16, s8, u4 or u8s8; M, N at least 1; K a multiple of 32\n");
        return 1;
    }
    int weightType = bf16 ? BF16 : s8 || u8s8 ? S8 : U4, srcType = u8s8 ? U8 : F32;
    int64_t groups = K / 32;

    H engine, stream;
    CHECK(dnnl_engine_create(&engine, CPU, 0));
    CHECK(dnnl_stream_create(&stream, engine, IN_ORDER));
    // Weights stored [N, K] row-major, as a checkpoint keeps them, described as [K, N] with strides {1, K}.
    H srcMd = desc(M, K, srcType, K, 1), weightMd = desc(K, N, weightType, 1, K), dstMd = desc(M, N, F32, N, 1);
    H attr;
    CHECK(dnnl_primitive_attr_create(&attr));
    H scaleMd = NULL;
    if (s8 || u4) {
        int64_t group[2] = {32, 1};
        CHECK(dnnl_primitive_attr_set_fpmath_mode_v2(attr, FPMATH_STRICT, 1));
        CHECK(dnnl_primitive_attr_set_scales(attr, ARG_WEIGHTS, 3, 2, group, F32));
        scaleMd = desc(groups, N, F32, N, 1);
        if (u4) CHECK(dnnl_primitive_attr_set_zero_points(attr, ARG_WEIGHTS, 0, 0, NULL, S32));
    } else if (u8s8) {
        CHECK(dnnl_primitive_attr_set_scales(attr, ARG_WEIGHTS, 2, 0, NULL, F32));
        scaleMd = desc(1, N, F32, N, 1);
    }
    H pd;
    int status = dnnl_matmul_primitive_desc_create(&pd, engine, srcMd, weightMd, NULL, dstMd, attr);
    if (status) {
        printf("%s M=%ld K=%ld N=%ld: oneDNN has no implementation here (status %d)\n", mode, (long) M, (long) K, (long) N, status);
        return 0;
    }
    const char *impl;
    CHECK(dnnl_primitive_desc_query(pd, IMPL_INFO_STR, 0, &impl));
    H primitive;
    CHECK(dnnl_primitive_create(&primitive, pd));

    size_t weightBytes = bf16 ? (size_t) (K * N * 2) : u4 ? (size_t) (K * N / 2) : (size_t) (K * N);
    size_t scaleCount = u8s8 ? (size_t) N : (size_t) (groups * N);
    H *weightMem = malloc(sizeof(H) * matrices), *scaleMem = malloc(sizeof(H) * matrices);
    uint8_t *w0 = NULL;
    float *scale0 = NULL;
    srand(1);
    for (int i = 0; i < matrices; i++) {
        uint8_t *w = aligned_alloc(64, (weightBytes + 63) / 64 * 64);
        for (size_t j = 0; j < weightBytes; j++) w[j] = (uint8_t) rand();
        if (bf16) for (size_t j = 1; j < weightBytes; j += 2) w[j] = 0x3c + (w[j] & 1); // finite bf16 of modest size
        if (s8 || u8s8) for (size_t j = 0; j < weightBytes; j++) if (w[j] == 0x80) w[j] = 0x81; // Q8_0 has no -128
        float *sc = aligned_alloc(64, (scaleCount * 4 + 63) / 64 * 64);
        for (size_t j = 0; j < scaleCount; j++) sc[j] = 0.001f * (1 + rand() % 16);
        weightMem[i] = memory(weightMd, engine, w);
        scaleMem[i] = scaleMd ? memory(scaleMd, engine, sc) : NULL;
        if (i == 0) { w0 = w; scale0 = sc; }
    }
    void *src = aligned_alloc(64, (size_t) ((M * K * 4 + 63) / 64 * 64));
    for (int64_t j = 0; j < M * K; j++) {
        if (u8s8) ((uint8_t *) src)[j] = (uint8_t) (rand() % 128); // 7 bits: AVX2's vpmaddubsw saturates pairs of 8-bit products
        else ((float *) src)[j] = (float) (rand() % 2001 - 1000) / 1000.0f;
    }
    float *dst = aligned_alloc(64, (size_t) ((M * N * 4 + 63) / 64 * 64));
    H srcMem = memory(srcMd, engine, src), dstMem = memory(dstMd, engine, dst);
    int64_t one = 1;
    int32_t eight = 8;
    H zeroPointMd;
    CHECK(dnnl_memory_desc_create_with_strides(&zeroPointMd, 1, &one, S32, &one));
    H zeroPointMem = memory(zeroPointMd, engine, &eight);

    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int i = matrices - 1; i >= 0; i--) { // ends on matrix 0, which the check below reads
            exec_arg args[5] = {{ARG_SRC, srcMem}, {ARG_WEIGHTS, weightMem[i]}, {ARG_DST, dstMem}};
            int n = 3;
            if (scaleMd) args[n++] = (exec_arg) {ARG_SCALES | ARG_WEIGHTS, scaleMem[i]};
            if (u4) args[n++] = (exec_arg) {ARG_ZERO_POINTS | ARG_WEIGHTS, zeroPointMem};
            CHECK(dnnl_primitive_execute(primitive, stream, n, args));
            CHECK(dnnl_stream_wait(stream));
        }
        double t = (now() - t0) / matrices;
        if (t < best) best = t;
    }

    // The plain loop, in double, over the first matrix: weight (n, k) of the [N, K] rows.
    double worst = 0;
    for (int64_t m = 0; m < M; m++) {
        for (int64_t n = 0; n < N; n++) {
            double sum = 0, norm = 0;
            for (int64_t k = 0; k < K; k++) {
                size_t at = (size_t) (n * K + k);
                double w, x = u8s8 ? ((uint8_t *) src)[m * K + k] : ((float *) src)[m * K + k];
                if (bf16) w = bf16ToFloat((uint16_t) (w0[2 * at] | w0[2 * at + 1] << 8));
                else if (u4) w = (((w0[at / 2] >> (4 * (at % 2))) & 15) - 8) * scale0[(k / 32) * N + n];
                else w = (int8_t) w0[at] * (u8s8 ? scale0[n] : scale0[(k / 32) * N + n]);
                sum += w * x;
                norm += fabs(w * x);
            }
            double err = fabs(dst[m * N + n] - sum) / (norm > 0 ? norm : 1);
            if (err > worst) worst = err;
        }
    }
    printf("%-5s M=%-3ld K=%-5ld N=%-5ld %-28s %8.3f ms  %6.1f GB/s of weights  %7.1f GFLOP/s  error %.1e %s\n", mode, (long) M,
           (long) K, (long) N, impl, best * 1e3, weightBytes / best / 1e9, 2.0 * M * K * N / best / 1e9, worst,
           worst < 1e-5 ? "ok" : "WRONG");
    return worst < 1e-5 ? 0 : 3;
}
