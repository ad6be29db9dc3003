/* test_settle.c -- the early stop of sim/settle.c (solver.stop_when_settled) with the stop hook of
 * sim.c and the CVODE root function of solvers/cvode.c.
 *
 * Expected values from mathematics and the spec:
 *  1. g on constructed states: a cluster at angle theta from u_k has delta_pm = 1 - cos(theta)
 *     (spec §7), so g = (1 - cos theta)/tol - 1 at a stable pure mode; g = 1 at an unstable one
 *     (spec §4.4 item 1: a homogeneous cluster on u_k is stable iff lambda_k > 0 and > every other;
 *     item 2: the balanced split on u_1 is stable iff beta > beta_s).
 *  2. Where the run stops: a single cluster moves as x(t) = e^{tV} x0 / |e^{tV} x0| (spec §2.7), so
 *     with V = diag(l1, l2) tan(theta(t)) = tan(theta0) e^{-(l1 - l2) t} and the stop time solves
 *     1 - cos(theta) = tol: t_s = log(tan(theta0) / tan(arccos(1 - tol))) / (l1 - l2).
 *  3. The stopped run has the class of the full run (same mode, n_+, n_-), at any tolerance.
 *  4. Refusals: asymmetric, multi-head or masked models, tolerances outside (0, 1), and the
 *     fixed-step back ends (they cannot stop).
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "model.h"
#include "settle.h"
#include "sim.h"
#include "stability.h"
#include "status.h"

static gsl_rng *rng;

/* Symmetric single-head model V = A = diag(lam) in d dimensions; NULL on failure. */
static spx_model *diag_model(int n, int d, const double *lam, double beta)
{
  spx_model *m = NULL;
  if (spx_model_create(n, d, 1, &m) != SPX_OK) return NULL;
  m->beta = beta;
  for (int a = 0; a < d; a++) m->heads[0].A[a * d + a] = m->heads[0].V[a * d + a] = lam[a];
  if (spx_model_finalize(m, 0) != SPX_OK) {
    spx_model_free(m);
    return NULL;
  }
  return m;
}

static void test_g_values(void)
{
  const double lam[3] = {1.0, 0.5, -0.3}, tol = 1e-4;
  enum { N = 6, D = 3 };
  spx_model *m = diag_model(N, D, lam, 1.0);
  spx_settle *st = NULL;
  if (!m || spx_settle_create(m, tol, &st) != SPX_OK) {
    spx_test(0, "settle: model and workspace", "creation failed");
    spx_model_free(m);
    return;
  }
  double x[N * D], g = NAN;
  char name[200];
  /* Homogeneous cluster at angle theta from e_1 (the top mode, stable), in the (e_1, e_3) plane. */
  const double thetas[3] = {0.0, 0.01, 0.02};
  for (int c = 0; c < 3; c++) {
    for (int i = 0; i < N; i++) {
      x[i * D] = cos(thetas[c]);
      x[i * D + 1] = 0.0;
      x[i * D + 2] = sin(thetas[c]);
    }
    int r = spx_settle_g(0.0, x, &g, st);
    double want = (1.0 - cos(thetas[c])) / tol - 1.0;
    snprintf(name, sizeof name,
             "g at a homogeneous cluster %.2f rad from u_1 (stable): (1 - cos theta)/tol - 1 "
             "= %.6g",
             thetas[c], want);
    spx_test(r == 0 && fabs(g - want) <= 1e-9 * fmax(1.0, fabs(want)), name, "g = %.12g", g);
  }
  /* Homogeneous cluster exactly on e_2 (lambda = 0.5 < 1: a saddle, spec §4.4 item 1): g = 1. */
  for (int i = 0; i < N; i++) {
    x[i * D] = 0.0;
    x[i * D + 1] = 1.0;
    x[i * D + 2] = 0.0;
  }
  spx_settle_g(0.0, x, &g, st);
  spx_test(g == 1.0, "g at a homogeneous cluster on u_2 (lambda_2 < lambda_1: unstable) is 1",
           "g = %g", g);
  /* Split 3/3 on e_1 at beta = 1: stable iff beta > beta_s = artanh(0.5) = 0.549 (§4.4 item 2). */
  for (int i = 0; i < N; i++) {
    x[i * D] = i < 3 ? 1.0 : -1.0;
    x[i * D + 1] = x[i * D + 2] = 0.0;
  }
  spx_settle_g(0.0, x, &g, st);
  spx_test(g == -1.0, "g at the balanced split 3/3 on u_1, beta = 1 > beta_s = 0.549: -1 (stable)",
           "g = %g", g);
  spx_settle_free(st);
  spx_model_free(m);
  /* The same split at beta = 0.4 < beta_s: unstable, g = 1. */
  m = diag_model(N, D, lam, 0.4);
  if (m && spx_settle_create(m, tol, &st) == SPX_OK) {
    spx_settle_g(0.0, x, &g, st);
    spx_test(g == 1.0, "g at the balanced split 3/3 on u_1, beta = 0.4 < beta_s: 1 (unstable)",
             "g = %g", g);
  } else spx_test(0, "settle at beta = 0.4", "creation failed");
  spx_settle_free(st);
  spx_model_free(m);
}

static void test_refusals(void)
{
  enum { N = 5, D = 3 };
  const double lam[3] = {1.0, 0.5, -0.3};
  spx_settle *st = NULL;
  char why[200];
  spx_model *m = NULL;
  /* asymmetric */
  spx_model_create(N, D, 1, &m);
  m->beta = 1.0;
  for (int a = 0; a < D * D; a++) m->heads[0].A[a] = m->heads[0].V[a] = gsl_ran_gaussian(rng, 1.0);
  spx_model_finalize(m, 0);
  spx_test(spx_settle_check(m, why, sizeof why) == SPX_EINVAL,
           "refused: asymmetric A = V (no pure-mode closed forms)", "%s", why);
  spx_model_free(m);
  /* two heads */
  spx_model_create(N, D, 2, &m);
  m->beta = 1.0;
  for (int h = 0; h < 2; h++)
    for (int a = 0; a < D; a++) m->heads[h].A[a * D + a] = m->heads[h].V[a * D + a] = lam[a];
  spx_model_finalize(m, 0);
  spx_test(spx_settle_check(m, why, sizeof why) == SPX_EINVAL, "refused: two heads", "%s", why);
  spx_model_free(m);
  /* causal mask */
  m = diag_model(N, D, lam, 1.0);
  m->mask = SPX_MASK_CAUSAL;
  spx_test(spx_settle_check(m, why, sizeof why) == SPX_EINVAL, "refused: causal mask", "%s", why);
  m->mask = SPX_MASK_NONE;
  fprintf(stderr, "(test_settle: the next two error messages are expected)\n");
  int a = spx_settle_create(m, 0.0, &st), b = spx_settle_create(m, 1.0, &st);
  spx_test(a == SPX_EINVAL && b == SPX_EINVAL && st == NULL, "refused: stop_tol 0 and 1",
           "status %d %d", a, b);
  /* fixed-step back end */
  double x0[N * D];
  for (int i = 0; i < N * D; i++) x0[i] = gsl_ran_gaussian(rng, 1.0);
  spx_sim *s = NULL;
  spx_solver_settings set = {.rtol = 1e-8, .atol = 1e-10, .dt = 0.01};
  int st1 = spx_sim_create(m, "rk4", &set, 0.0, x0, &s);
  fprintf(stderr, "(test_settle: the next error message is expected)\n");
  int st2 = st1 == SPX_OK ? spx_settle_attach(s, m, 1e-6, &st) : -1;
  spx_test(st1 == SPX_OK && st2 == SPX_EINVAL && st == NULL,
           "refused: early stop on the fixed-step back end rk4 (SPX_EINVAL)", "status %d", st2);
  spx_sim_free(s);
  spx_model_free(m);
}

/* Single cluster: the stop time against the closed form of spec §2.7, for each CVODE back end. */
static void test_stop_time(void)
{
  enum { N = 4, D = 2 };
  const double lam[2] = {1.3, 0.6}, tol = 1e-6, theta0 = 1.2;
  const double ts = log(tan(theta0) / tan(acos(1.0 - tol))) / (lam[0] - lam[1]);
  const char *methods[3] = {"adams", "bdf", "bdf_newton"};
  spx_model *m = diag_model(N, D, lam, 2.0);
  double x0[N * D], x[N * D];
  for (int i = 0; i < N; i++) {
    x0[i * D] = cos(theta0);
    x0[i * D + 1] = sin(theta0);
  }
  for (int c = 0; c < 3 && m; c++) {
    spx_sim *s = NULL;
    spx_settle *st = NULL;
    spx_solver_settings set = {.rtol = 1e-11, .atol = 1e-13};
    double t = NAN, delta = NAN;
    int stopped = 0, ok = spx_sim_create(m, methods[c], &set, 0.0, x0, &s) == SPX_OK &&
                          spx_settle_attach(s, m, tol, &st) == SPX_OK &&
                          spx_sim_advance(s, 100.0) == SPX_OK;
    if (ok) {
      t = spx_sim_time(s);
      stopped = spx_sim_stopped(s);
      spx_sim_state_x(s, x);
      delta = 1.0 - fabs(x[0]) / hypot(x[0], x[1]);
    }
    char name[200];
    snprintf(name, sizeof name,
             "single cluster, V = diag(1.3, 0.6), theta0 = 1.2, tol 1e-6, %s: stops at t_s = "
             "log(tan theta0 / tan arccos(1 - tol)) / 0.7 = %.9g (1e-6)",
             methods[c], ts);
    spx_test(ok && stopped && fabs(t - ts) <= 1e-6, name, "stopped %d at t = %.12g, delta %.6g",
             stopped, t, delta);
    /* A second advance does nothing; a new state clears the stop. */
    double t2 = NAN;
    if (ok) {
      spx_sim_advance(s, 200.0);
      t2 = spx_sim_time(s);
    }
    snprintf(name, sizeof name, "%s: after the stop, advance leaves t unchanged", methods[c]);
    spx_test(ok && t2 == t, name, "t %.12g -> %.12g", t, t2);
    spx_sim_free(s);
    spx_settle_free(st);
  }
  /* Starting on the stable mode: the sim is stopped at once, at t = 0. */
  {
    for (int i = 0; i < N; i++) {
      x0[i * D] = 1.0;
      x0[i * D + 1] = 0.0;
    }
    spx_sim *s = NULL;
    spx_settle *st = NULL;
    spx_solver_settings set = {.rtol = 1e-8, .atol = 1e-10};
    int ok = m && spx_sim_create(m, "adams", &set, 0.0, x0, &s) == SPX_OK &&
             spx_settle_attach(s, m, tol, &st) == SPX_OK && spx_sim_advance(s, 5.0) == SPX_OK;
    spx_test(ok && spx_sim_stopped(s) && spx_sim_time(s) == 0.0,
             "start exactly on the stable pure mode: stopped at t = 0", "t = %g",
             ok ? spx_sim_time(s) : NAN);
    spx_sim_free(s);
    spx_settle_free(st);
  }
  spx_model_free(m);
}

/* The stopped run keeps the class of the full run: random states, V = A = diag(1.4, 1, 0.3)
 * (bistable: homogeneous on u_1 and splits), several seeds and both tolerances. */
static void test_class_unchanged(void)
{
  enum { N = 24, D = 3, SEEDS = 6 };
  const double lam[3] = {1.4, 1.0, 0.3};
  spx_model *m = diag_model(N, D, lam, 1.5);
  const double T = 150.0;
  int agree = 0, stopped = 0, total = 0;
  double tmax = 0.0;
  for (int sd = 0; sd < SEEDS && m; sd++) {
    double x0[N * D], xf[N * D], xs[N * D];
    for (int i = 0; i < N; i++) gsl_ran_dir_nd(rng, D, x0 + i * D);
    spx_solver_settings set = {.rtol = 1e-8, .atol = 1e-10};
    spx_sim *full = NULL, *s = NULL;
    spx_settle *st = NULL;
    int ok = spx_sim_create(m, "adams", &set, 0.0, x0, &full) == SPX_OK &&
             spx_sim_advance(full, T) == SPX_OK &&
             spx_sim_create(m, "adams", &set, 0.0, x0, &s) == SPX_OK &&
             spx_settle_attach(s, m, 1e-6, &st) == SPX_OK && spx_sim_advance(s, T) == SPX_OK;
    if (ok) {
      spx_sim_state_x(full, xf);
      spx_sim_state_x(s, xs);
      /* class: mode of the largest mean square, and the signs on it */
      int kf = 0, ks = 0, same = 1;
      double Af[D] = {0}, As[D] = {0};
      for (int i = 0; i < N; i++)
        for (int a = 0; a < D; a++) {
          Af[a] += xf[i * D + a] * xf[i * D + a];
          As[a] += xs[i * D + a] * xs[i * D + a];
        }
      for (int a = 1; a < D; a++) {
        if (Af[a] > Af[kf]) kf = a;
        if (As[a] > As[ks]) ks = a;
      }
      same = kf == ks;
      for (int i = 0; i < N && same; i++) same = (xf[i * D + kf] > 0) == (xs[i * D + ks] > 0);
      agree += same;
      stopped += spx_sim_stopped(s);
      if (spx_sim_stopped(s)) tmax = fmax(tmax, spx_sim_time(s));
      total++;
    }
    spx_sim_free(full);
    spx_sim_free(s);
    spx_settle_free(st);
  }
  char name[200];
  snprintf(name, sizeof name,
           "V = A = diag(1.4, 1, 0.3), beta 1.5, n = 24, %d seeds: the stopped run has the full "
           "run's mode and signs (T = 150)", SEEDS);
  spx_test(total == SEEDS && agree == SEEDS, name,
           "%d/%d agree, %d stopped early (last at t = %.3g)", agree, total, stopped, tmax);
  spx_test(stopped >= SEEDS / 2, "most of those runs stop early (the stop is not a no-op)",
           "%d/%d stopped", stopped, total);
  spx_model_free(m);
}

int main(void)
{
  gsl_set_error_handler_off();
  rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 4242);
  test_g_values();
  test_refusals();
  test_stop_time();
  test_class_unchanged();
  gsl_rng_free(rng);
  return spx_test_summary();
}
