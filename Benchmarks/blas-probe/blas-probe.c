// Times the sgemm calls of one training step on two BLAS libraries, one core
// each, shape by shape, and checks the bits they return.
//
// The shapes are Network.swift's, row-major, for a micro-shard of s rows and a
// layer of n_in inputs and n_out outputs (W is n_out × n_in):
//   forward  z = a · Wᵀ      NoTrans, Trans    m = s,     n = n_out, k = n_in,  beta = 1 (z holds the bias)
//   delta    d' = d · W      NoTrans, NoTrans  m = s,     n = n_in,  k = n_out, beta = 0 (layers 2…L)
//   dW       dW = dᵀ · a     Trans,   NoTrans  m = n_out, n = n_in,  k = s,     beta = 0
//
// Both libraries export cblas_sgemm, so each is dlopen'ed on its own (RTLD_LOCAL)
// and called through its own pointer; the repetitions alternate between them, so
// a noisy machine disturbs both alike.
//
// Bit checks, per shape and library:
//   rerun    the same call twice gives the same bits;
//   threads  2 threads give the bits of 1;
//   rows     the first and the second half of the output rows, computed on their
//            own (m/2 rows), give the bits of the full product. For forward and
//            delta that is a shard of s/2 rows against one of s; for dW it is
//            half of the output neurons (the k = s sum is the same either way).

#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };
typedef void (*sgemm_fn)(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc);

typedef struct {
    const char *name;
    void *handle;
    sgemm_fn sgemm;
    void (*set_threads)(int);
    char kernels[192];
} Library;

// BLIS takes its thread count as dim_t (64 bits); wrap it to the OpenBLAS signature.
static void (*bli_thread_set_num_threads_p)(int64_t);
static void blis_set_threads(int n) { bli_thread_set_num_threads_p(n); }

static void *symbol(void *handle, const char *library, const char *name) {
    void *p = dlsym(handle, name);
    if (!p) { fprintf(stderr, "blas-probe: %s has no %s\n", library, name); exit(1); }
    return p;
}

static int load(Library *lib, const char *name, const char *path) {
    lib->name = name;
    lib->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib->handle) { fprintf(stderr, "blas-probe: skipping %s: %s\n", name, dlerror()); return 0; }
    lib->sgemm = (sgemm_fn)symbol(lib->handle, path, "cblas_sgemm");
    if (strcmp(name, "OpenBLAS") == 0) {
        lib->set_threads = (void (*)(int))symbol(lib->handle, path, "openblas_set_num_threads");
        char *(*corename)(void) = (char *(*)(void))symbol(lib->handle, path, "openblas_get_corename");
        char *(*config)(void) = (char *(*)(void))symbol(lib->handle, path, "openblas_get_config");
        snprintf(lib->kernels, sizeof lib->kernels, "%s (%s)", corename(), config());
    } else {
        bli_thread_set_num_threads_p = (void (*)(int64_t))symbol(lib->handle, path, "bli_thread_set_num_threads");
        lib->set_threads = blis_set_threads;
        int (*arch)(void) = (int (*)(void))symbol(lib->handle, path, "bli_arch_query_id");
        char *(*arch_string)(int) = (char *(*)(int))symbol(lib->handle, path, "bli_arch_string");
        char *(*version)(void) = (char *(*)(void))symbol(lib->handle, path, "bli_info_get_version_str");
        snprintf(lib->kernels, sizeof lib->kernels, "%s (BLIS %s)", arch_string(arch()), version());
    }
    lib->set_threads(1);
    return 1;
}

typedef struct {
    const char *product;  // "forward", "delta", "dW"
    int layer;            // l, 1-based
    int ta, tb, m, n, k, lda, ldb, ldc;
    float beta;
} Shape;

static Shape forward(int l, int s, int in, int out) { return (Shape){"forward", l, NoTrans, Trans, s, out, in, in, in, out, 1}; }
static Shape delta(int l, int s, int in, int out) { return (Shape){"delta", l, NoTrans, NoTrans, s, in, out, out, in, in, 0}; }
static Shape dW(int l, int s, int in, int out) { return (Shape){"dW", l, Trans, NoTrans, out, in, s, out, in, in, 0}; }

static float *A, *B, *C, *C0, *Cref, *Chalf;
enum { MaxElements = 1 << 20 };  // 1024 × 1024: the largest operand

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void call(const Library *lib, const Shape *sh, const float *a, const float *b, float *c, int m) {
    lib->sgemm(RowMajor, sh->ta, sh->tb, m, sh->n, sh->k, 1, a, sh->lda, b, sh->ldb, sh->beta, c, sh->ldc);
}

// C from its starting values (the bias rows for beta = 1), then one product.
static void fresh(const Library *lib, const Shape *sh, float *c) {
    memcpy(c, C0, sizeof(float) * sh->m * sh->ldc);
    call(lib, sh, A, B, c, sh->m);
}

static int same(const float *x, const float *y, size_t count) { return memcmp(x, y, count * sizeof(float)) == 0; }

// rerun, threads, rows: 1 when the bits agree.
static void check(const Library *lib, const Shape *sh, int verdict[3]) {
    size_t count = (size_t)sh->m * sh->ldc;
    fresh(lib, sh, Cref);
    fresh(lib, sh, C);
    verdict[0] = same(C, Cref, count);
    lib->set_threads(2);
    fresh(lib, sh, C);
    lib->set_threads(1);
    verdict[1] = same(C, Cref, count);
    // Half the output rows on their own: for NoTrans A the rows of A, for Trans A (dW) its columns.
    int half = sh->m / 2, rows_ok = 1;
    for (int part = 0; part < 2 && half > 0; part++) {
        int first = part * half;
        const float *a = sh->ta == NoTrans ? A + (size_t)first * sh->lda : A + first;
        memcpy(Chalf, C0 + (size_t)first * sh->ldc, sizeof(float) * half * sh->ldc);
        call(lib, sh, a, B, Chalf, half);
        rows_ok &= same(Chalf, Cref + (size_t)first * sh->ldc, (size_t)half * sh->ldc);
    }
    verdict[2] = rows_ok;
}

static int by_value(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

// Median GFLOP/s over `reps` timings of each library, alternating.
static void time_shape(Library *libs, int nlibs, const Shape *sh, int reps, double *gflops) {
    double flop = 2.0 * sh->m * sh->n * sh->k;
    // Calls per timing: about 10 ms on the first library.
    memcpy(C, C0, sizeof(float) * sh->m * sh->ldc);
    double t = now();
    int calls = 0;
    do { call(&libs[0], sh, A, B, C, sh->m); calls++; } while (now() - t < 0.002);
    calls = calls * 5 > 1 ? calls * 5 : 1;
    double rates[2][64];
    for (int r = 0; r < reps; r++) {
        for (int i = 0; i < nlibs; i++) {
            Library *lib = &libs[(i + r) % nlibs];
            call(lib, sh, A, B, C, sh->m);  // warm the operands for this library
            double start = now();
            for (int c = 0; c < calls; c++) call(lib, sh, A, B, C, sh->m);
            rates[(i + r) % nlibs][r] = flop * calls / (now() - start) / 1e9;
        }
    }
    for (int i = 0; i < nlibs; i++) {
        qsort(rates[i], reps, sizeof(double), by_value);
        gflops[i] = rates[i][reps / 2];
    }
}

static const char *mark(int ok) { return ok ? "same" : "**differ**"; }

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 9;
    if (reps < 1 || reps > 64) { fprintf(stderr, "usage: blas-probe [repetitions 1…64]\n"); return 64; }
    const char *openblas = getenv("OPENBLAS_LIB") ? getenv("OPENBLAS_LIB") : "libopenblas.so.0";
    const char *blis = getenv("BLIS_LIB") ? getenv("BLIS_LIB") : "libblis.so.4";
    Library libs[2];
    int nlibs = 0;
    nlibs += load(&libs[nlibs], "OpenBLAS", openblas);
    nlibs += load(&libs[nlibs], "BLIS", blis);
    if (nlibs == 0) return 1;

    float **buffers[] = {&A, &B, &C, &C0, &Cref, &Chalf};
    for (int i = 0; i < 6; i++)
        if (posix_memalign((void **)buffers[i], 64, sizeof(float) * MaxElements)) return 1;
    uint64_t state = 1;
    for (int i = 0; i < MaxElements; i++) {
        float *all[] = {A, B, C0};
        for (int j = 0; j < 3; j++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            all[j][i] = (float)((state >> 40) / (double)(1 << 24) * 2 - 1);  // uniform in [-1, 1)
        }
    }

    printf("blas-probe: median of %d timings per shape, 1 thread, libraries alternating\n", reps);
    for (int i = 0; i < nlibs; i++) printf("- %s: %s\n", libs[i].name, libs[i].kernels);
    printf("\nBits: rerun = same call twice; 2 threads = against 1 thread; half rows = each half of the output rows "
           "computed alone (m/2) against the full product.\n\n");
    printf("| model | s | product | m × n × k |");
    for (int i = 0; i < nlibs; i++) printf(" %s GFLOP/s |", libs[i].name);
    if (nlibs == 2) printf(" BLIS / OpenBLAS |");
    for (int i = 0; i < nlibs; i++) printf(" %s rerun, 2 threads, half rows |", libs[i].name);
    printf("\n| --- | ---: | --- | --- |");
    for (int i = 0; i < nlibs; i++) printf(" ---: |");
    if (nlibs == 2) printf(" ---: |");
    for (int i = 0; i < nlibs; i++) printf(" --- |");
    printf("\n");

    static const int models[][4] = {{784, 256, 128, 10}, {784, 1024, 1024, 10}};
    static const int shards[] = {8, 16, 64, 128, 256, 512};
    // A step's sgemm seconds per example, for the summary: [model][shard][library].
    double step[2][6][2] = {{{0}}}, step_flop[2][6] = {{0}}, best[2][6] = {{0}};
    for (int mi = 0; mi < 2; mi++) {
        for (int si = 0; si < 6; si++) {
            int s = shards[si];
            Shape shapes[9];
            int count = 0;
            for (int l = 1; l <= 3; l++) {
                int in = models[mi][l - 1], out = models[mi][l];
                shapes[count++] = forward(l, s, in, out);
                if (l > 1) shapes[count++] = delta(l, s, in, out);
                shapes[count++] = dW(l, s, in, out);
            }
            for (int h = 0; h < count; h++) {
                Shape *sh = &shapes[h];
                double g[2];
                time_shape(libs, nlibs, sh, reps, g);
                double flop = 2.0 * sh->m * sh->n * sh->k;
                step_flop[mi][si] += flop;
                double fastest = 0;
                for (int i = 0; i < nlibs; i++) {
                    step[mi][si][i] += flop / (g[i] * 1e9);
                    if (g[i] > fastest) fastest = g[i];
                }
                best[mi][si] += flop / (fastest * 1e9);
                printf("| %d-%d-%d-%d | %d | %s %d | %d × %d × %d |", models[mi][0], models[mi][1], models[mi][2],
                       models[mi][3], s, sh->product, sh->layer, sh->m, sh->n, sh->k);
                for (int i = 0; i < nlibs; i++) printf(" %.1f |", g[i]);
                if (nlibs == 2) printf(" %.2f× |", g[1] / g[0]);
                for (int i = 0; i < nlibs; i++) {
                    int v[3];
                    check(&libs[i], sh, v);
                    printf(" %s, %s, %s |", mark(v[0]), mark(v[1]), mark(v[2]));
                }
                printf("\n");
                fflush(stdout);
            }
        }
    }

    printf("\nWhole step (every product above for one micro-shard of s rows), GFLOP/s:\n\n| model | s |");
    for (int i = 0; i < nlibs; i++) printf(" %s |", libs[i].name);
    if (nlibs == 2) printf(" BLIS / OpenBLAS | faster library per shape |");
    printf("\n| --- | ---: |");
    for (int i = 0; i < nlibs + (nlibs == 2 ? 2 : 0); i++) printf(" ---: |");
    printf("\n");
    for (int mi = 0; mi < 2; mi++)
        for (int si = 0; si < 6; si++) {
            printf("| %d-%d-%d-%d | %d |", models[mi][0], models[mi][1], models[mi][2], models[mi][3], shards[si]);
            for (int i = 0; i < nlibs; i++) printf(" %.1f |", step_flop[mi][si] / step[mi][si][i] / 1e9);
            if (nlibs == 2)
                printf(" %.2f× | %.1f |", step[mi][si][0] / step[mi][si][1], step_flop[mi][si] / best[mi][si] / 1e9);
            printf("\n");
        }

    Shape big = {"reference", 0, NoTrans, NoTrans, 1024, 1024, 1024, 1024, 1024, 1024, 0};
    double g[2];
    time_shape(libs, nlibs, &big, reps, g);
    printf("\nReference 1024³ (NoTrans, NoTrans), 1 thread:");
    for (int i = 0; i < nlibs; i++) printf(" %s %.1f GFLOP/s%s", libs[i].name, g[i], i + 1 < nlibs ? "," : "\n");
    return 0;
}
