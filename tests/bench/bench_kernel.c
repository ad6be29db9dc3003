/* bench_kernel.c -- throughput of the all-pairs kernel (sim/kernel.c): one RHS evaluation timed
 * at a grid of n, d and thread counts (issue 4 "make bench"; spec c_stack.md §5).
 *
 * Model: SA, beta = 1, Q = K = V = I (the setting of shared/peers/pair_limit.c), no mask, one head,
 * uniform random unit rows (GSL mt19937, seed 1). Each point: one warm-up call, then calls until
 * 0.3 s have passed (at least 2, at most 500); the median-free mean of those calls is reported.
 * A pair is one (i, j) term of one head: pairs per RHS = n^2 H.
 *
 * usage: bench_kernel [--n 256,1024] [--d 2,3] [--threads 1,2] [--path auto|small|generic|blas|sym]
 *                     [--min-time S]
 * Prints one TSV line per point: kernel n d threads path reps s_per_rhs pairs_per_s peak_rss_kb.
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel.h"
#include "model.h"
#include "output.h"
#include "status.h"

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Parse "a,b,c" into at most max integers; returns the count (0 on a bad list). */
static int parse_list(const char *s, int *v, int max)
{
  int c = 0;
  char *end;
  while (*s && c < max) {
    long x = strtol(s, &end, 10);
    if (end == s || x <= 0) return 0;
    v[c++] = (int)x;
    s = *end == ',' ? end + 1 : end;
    if (*end && *end != ',') return 0;
  }
  return c;
}

int main(int argc, char **argv)
{
  int ns[16] = {256, 1024, 4096, 16384}, nn = 4, ds[16] = {2, 3, 8, 64}, nd = 4;
  int ts[8] = {1, 2}, nt = 2;
  double min_time = 0.3;
  spx_kernel_path path = SPX_KERNEL_AUTO;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int ok = v != NULL;
    if (ok && strcmp(a, "--n") == 0) ok = (nn = parse_list(v, ns, 16)) > 0;
    else if (ok && strcmp(a, "--d") == 0) ok = (nd = parse_list(v, ds, 16)) > 0;
    else if (ok && strcmp(a, "--threads") == 0) ok = (nt = parse_list(v, ts, 8)) > 0;
    else if (ok && strcmp(a, "--min-time") == 0) ok = (min_time = atof(v)) > 0;
    else if (ok && strcmp(a, "--path") == 0) {
      path = strcmp(v, "small") == 0     ? SPX_KERNEL_SMALL
             : strcmp(v, "generic") == 0 ? SPX_KERNEL_GENERIC
             : strcmp(v, "blas") == 0    ? SPX_KERNEL_BLAS
             : strcmp(v, "sym") == 0     ? SPX_KERNEL_SYM
                                         : SPX_KERNEL_AUTO;
      ok = path != SPX_KERNEL_AUTO || strcmp(v, "auto") == 0;
    } else ok = 0;
    if (!ok) {
      fprintf(stderr, "bench_kernel: bad option \"%s\"; usage: bench_kernel [--n LIST] [--d LIST] "
                      "[--threads LIST] [--path auto|small|generic|blas|sym] [--min-time S]\n", a);
      return 2;
    }
    i++;
  }
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  int status = 0;
  for (int id = 0; id < nd; id++)
    for (int in = 0; in < nn; in++) {
      const int n = ns[in], d = ds[id];
      spx_model *m = NULL;
      spx_kernel *k = NULL;
      double *x = malloc(sizeof(double) * n * d), *f = malloc(sizeof(double) * n * d);
      if (!x || !f || spx_model_create(n, d, 1, &m) != SPX_OK) { status = 1; goto next; }
      m->beta = 1.0;
      for (int a = 0; a < d; a++) m->heads[0].A[a * d + a] = m->heads[0].V[a * d + a] = 1.0;
      if (spx_model_finalize(m, 0) != SPX_OK) { status = 1; goto next; }
      gsl_rng_set(rng, 1);
      for (int i = 0; i < n; i++) gsl_ran_dir_nd(rng, d, x + (long)i * d);
      for (int it = 0; it < nt; it++) {
        omp_set_num_threads(ts[it]);
        if (spx_kernel_create(m, &k) != SPX_OK || spx_kernel_set_path(k, path) != SPX_OK) {
          status = 1;
          goto next;
        }
        if (spx_kernel_rhs(k, x, f) != SPX_OK) { status = 1; goto next; } /* warm-up */
        int reps = 0;
        double t0 = now(), el = 0.0;
        while (reps < 2 || (el < min_time && reps < 100000)) {
          if (spx_kernel_rhs(k, x, f) != SPX_OK) { status = 1; goto next; }
          reps++;
          el = now() - t0;
        }
        double per = el / reps;
        printf("kernel\t%d\t%d\t%d\t%s\t%d\t%.6e\t%.6e\t%ld\n", n, d, ts[it],
               spx_kernel_path_name(spx_kernel_get_path(k)), reps, per, (double)n * n / per,
               spx_out_peak_rss_kb());
        fflush(stdout);
        spx_kernel_free(k);
        k = NULL;
      }
    next:
      spx_kernel_free(k);
      spx_model_free(m);
      free(x);
      free(f);
      if (status) {
        fprintf(stderr, "bench_kernel: failed at n=%d d=%d\n", n, d);
        gsl_rng_free(rng);
        return status;
      }
    }
  gsl_rng_free(rng);
  return 0;
}
