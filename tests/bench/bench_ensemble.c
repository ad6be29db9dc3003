/* bench_ensemble.c -- the phase-diagram workload of issue 4 target 3, in process: many small
 * systems, one solver instance per system, spread over OpenMP threads (schedule dynamic, one
 * system per task; the kernel inside runs serially at this size).
 *
 * Workload (the setting of shared/peers/batch_euler.py): d = 2, SA, beta = 1, V = A = diag(a, 1)
 * for a on a grid lo:hi:count, `seeds` systems of n particles per point, integrated to T with a
 * CVODE back end. Initial points: the file given with --init (seeds x n rows of d numbers, the
 * same points for every a, as the peer draws them), else uniform on the circle (GSL mt19937,
 * seed 1). The final state is classified as the peer does: single (every <x_i,x_j> > 1 - eps),
 * split (every |<x_i,x_j>| > 1 - eps, not single), other; eps = 1e-3.
 *
 * usage: bench_ensemble [--a lo:hi:count] [--seeds S] [--n N] [--T T] [--beta B]
 *                       [--method adams|bdf] [--rtol R] [--atol A] [--settle TOL]
 *                       [--threads LIST] [--init FILE]
 * --settle TOL stops a system early once it is within TOL of a linearly stable pure mode
 * (sim/settle.h, the option solver.stop_when_settled of bin/sim run).
 * Prints per point "a single split other", then one TSV line per thread count:
 *   ensemble threads systems wall_s rhs_evals settled_runs mean_t_end
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "init.h"
#include "model.h"
#include "settle.h"
#include "sim.h"
#include "status.h"

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Peer classes: 0 single, 1 split, 2 other. */
static int classify(int n, int d, const double *x, double eps)
{
  int single = 1, split = 1;
  for (int i = 0; i < n && split; i++) {
    double ni = 0.0;
    for (int a = 0; a < d; a++) ni += x[i * d + a] * x[i * d + a];
    for (int j = i + 1; j < n; j++) {
      double g = 0.0, nj = 0.0;
      for (int a = 0; a < d; a++) {
        g += x[i * d + a] * x[j * d + a];
        nj += x[j * d + a] * x[j * d + a];
      }
      g /= sqrt(ni * nj);
      if (!(g > 1.0 - eps)) single = 0;
      if (!(fabs(g) > 1.0 - eps)) split = 0;
    }
  }
  return single ? 0 : split ? 1 : 2;
}

int main(int argc, char **argv)
{
  double alo = 0.6, ahi = 1.4, T = 200.0, beta = 1.0, rtol = 1e-6, atol = 1e-8, settle = 0.0;
  int na = 9, seeds = 20, n = 100, ts[8] = {1, 2}, nt = 2;
  const char *method = "adams", *initfile = NULL;
  const int d = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *o = argv[i], *v = argv[i + 1];
    if (strcmp(o, "--a") == 0) {
      if (sscanf(v, "%lf:%lf:%d", &alo, &ahi, &na) != 3 || na < 1) goto usage;
    } else if (strcmp(o, "--seeds") == 0) seeds = atoi(v);
    else if (strcmp(o, "--n") == 0) n = atoi(v);
    else if (strcmp(o, "--T") == 0) T = atof(v);
    else if (strcmp(o, "--beta") == 0) beta = atof(v);
    else if (strcmp(o, "--rtol") == 0) rtol = atof(v);
    else if (strcmp(o, "--atol") == 0) atol = atof(v);
    else if (strcmp(o, "--settle") == 0) settle = atof(v);
    else if (strcmp(o, "--method") == 0) method = v;
    else if (strcmp(o, "--init") == 0) initfile = v;
    else if (strcmp(o, "--threads") == 0) {
      nt = 0;
      for (char *s = (char *)v, *e; *s && nt < 8; s = *e ? e + 1 : e) {
        ts[nt++] = (int)strtol(s, &e, 10);
        if (e == s) goto usage;
      }
    } else goto usage;
  }
  if (argc % 2 == 0 || seeds < 1 || n < 2) goto usage;

  const long nsys = (long)na * seeds;
  double *x0 = malloc(sizeof(double) * seeds * n * d);
  int *cls = malloc(sizeof(int) * nsys);
  long *rhs = malloc(sizeof(long) * nsys);
  double *tend = malloc(sizeof(double) * nsys);
  spx_model **models = calloc((size_t)na, sizeof *models);
  if (!x0 || !cls || !rhs || !tend || !models) return 1;
  if (initfile) {
    if (spx_init_read_table(initfile, seeds * n, d, x0) != SPX_OK) return 2;
  } else {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1);
    for (long i = 0; i < (long)seeds * n; i++) gsl_ran_dir_nd(r, d, x0 + i * d);
    gsl_rng_free(r);
  }
  for (long i = 0; i < (long)seeds * n; i++) { /* unit rows, as the peer normalizes */
    double s = hypot(x0[i * d], x0[i * d + 1]);
    x0[i * d] /= s;
    x0[i * d + 1] /= s;
  }
  for (int p = 0; p < na; p++) {
    const double a = na > 1 ? alo + (ahi - alo) * p / (na - 1) : alo;
    if (spx_model_create(n, d, 1, &models[p]) != SPX_OK) return 1;
    spx_model *m = models[p];
    m->beta = beta;
    m->heads[0].A[0] = m->heads[0].V[0] = a;
    m->heads[0].A[3] = m->heads[0].V[3] = 1.0;
    if (spx_model_finalize(m, 0) != SPX_OK) return 1;
  }
  const spx_solver_settings set = {.rtol = rtol, .atol = atol, .max_steps = 0};
  int fail = 0;
  for (int it = 0; it < nt; it++) {
    omp_set_num_threads(ts[it]);
    double t0 = now();
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : fail)
    for (long k = 0; k < nsys; k++) {
      const int p = (int)(k / seeds), s = (int)(k % seeds);
      spx_sim *sim = NULL;
      spx_settle *stl = NULL;
      double *x = malloc(sizeof(double) * n * d);
      int st = x ? spx_sim_create(models[p], method, &set, 0.0, x0 + (long)s * n * d, &sim)
                 : SPX_ENOMEM;
      if (st == SPX_OK && settle > 0.0) st = spx_settle_attach(sim, models[p], settle, &stl);
      if (st == SPX_OK) st = spx_sim_advance(sim, T);
      if (st == SPX_OK) {
        spx_solver_stats ss;
        spx_sim_state_x(sim, x);
        spx_sim_stats(sim, &ss);
        cls[k] = classify(n, d, x, 1e-3);
        rhs[k] = ss.rhs_evals;
        tend[k] = spx_sim_time(sim);
      } else {
        cls[k] = -1;
        fail++;
      }
      spx_sim_free(sim);
      spx_settle_free(stl);
      free(x);
    }
    double wall = now() - t0;
    long tot = 0, nset = 0;
    double tmean = 0.0;
    for (long k = 0; k < nsys; k++) {
      tot += rhs[k];
      nset += tend[k] < T;
      tmean += tend[k] / nsys;
    }
    if (it == 0)
      for (int p = 0; p < na; p++) {
        int c[3] = {0, 0, 0};
        for (int s = 0; s < seeds; s++)
          if (cls[(long)p * seeds + s] >= 0) c[cls[(long)p * seeds + s]]++;
        printf("a=%.4f single=%d split=%d other=%d\n", models[p]->heads[0].V[0], c[0], c[1], c[2]);
      }
    printf("ensemble\t%d\t%ld\t%.4f\t%ld\t%ld\t%.4g\n", ts[it], nsys, wall, tot, nset, tmean);
    fflush(stdout);
  }
  for (int p = 0; p < na; p++) spx_model_free(models[p]);
  free(models);
  free(x0);
  free(cls);
  free(rhs);
  free(tend);
  return fail ? 1 : 0;
usage:
  fprintf(stderr, "usage: bench_ensemble [--a lo:hi:count] [--seeds S] [--n N] [--T T] [--beta B] "
                  "[--method adams|bdf] [--rtol R] [--atol A] [--settle TOL] [--threads LIST] "
                  "[--init FILE]\n");
  return 2;
}
