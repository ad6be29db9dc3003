/* test_iflow.c -- the inertial interacting attention flow on the sphere (sim/iflow.c).
 *
 * Expected values from mathematics: for USA the flow is f = (1/n) grad E_beta (sphere_dynamics.md
 * §3), so the inertial flow has the energy H = sum_i |v_i|^2/2 - E_beta/n with dH/dt =
 * -gamma sum_i |v_i|^2 (conserved at gamma = 0); the sphere constraints |x_i| = 1, <x_i, v_i> = 0
 * are invariant; near an equilibrium each eigen-direction of J = G^{-1}(-Hess F) follows
 * a'' + gamma a' = kappa a, so its growth is A(gamma, -kappa, T) and its rate z_+ (spec
 * spectral_gap.md §1 eq. 7), and the number of growing modes is the Morse index = dim E_-.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "claims_util.h"
#include "flowhess.h"
#include "harness.h"
#include "iflow.h"
#include "inertial.h"
#include "kernel.h"
#include "stability.h"
#include "status.h"

/* H = sum |v|^2/2 - E/n from a run's final state, with E from the kernel's log energy. */
static double hamiltonian(spx_kernel *k, int n, int d, const double *x, const double *v)
{
  double kin = 0;
  for (int i = 0; i < n * d; i++) kin += 0.5 * v[i] * v[i];
  return kin - exp(spx_kernel_log_energy(k, x)) / n;
}

static void test_energy(void)
{
  const int n = 7, d = 3;
  const double lam[3] = {0.8, -0.3, -1.1};
  spx_model *m = NULL;
  spx_kernel *k = NULL;
  double x[21], v[21];
  if (spx_cu_model_diag(n, d, 1.5, SPX_NORM_USA, lam, &m) || spx_kernel_create(m, &k) ||
      spx_cu_uniform(m, 4, x)) {
    spx_test(0, "energy set-up", NULL);
    spx_kernel_free(k);
    spx_model_free(m);
    return;
  }
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 8);
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int a = 0; a < d; a++) v[i * d + a] = 0.6 * (gsl_rng_uniform(rng) - 0.5);
    for (int a = 0; a < d; a++) s += v[i * d + a] * x[i * d + a];
    for (int a = 0; a < d; a++) v[i * d + a] -= s * x[i * d + a];
  }
  gsl_rng_free(rng);
  double H0 = hamiltonian(k, n, d, x, v);
  spx_iflow_settings s;
  spx_iflow_settings_default(&s);
  s.gamma = 0.0;
  s.T = 5.0;
  s.dt = 0.002;
  spx_iflow_result *r = NULL;
  int st = spx_iflow_run(m, x, v, x, 0, NULL, &s, &r);
  spx_test(st == SPX_OK && r, "USA inertial flow, gamma = 0: run to T = 5 (rk4, dt 0.002)", NULL);
  if (r) {
    double H1 = hamiltonian(k, n, d, r->x, r->v);
    spx_test(fabs(H1 - H0) < 1e-9 * fabs(H0) + 1e-12,
             "USA, gamma = 0: H = sum |v|^2/2 - E/n is conserved", "H0 %.12g H1 %.12g", H0, H1);
    spx_test(r->max_norm_drift < 1e-10 && r->max_radial < 1e-10,
             "the sphere constraints |x_i| = 1 and <x_i, v_i> = 0 stay (RK4 drift only)",
             "drift %.2g radial %.2g", r->max_norm_drift, r->max_radial);
    double kin = 0;
    for (int i = 0; i < n * d; i++) kin += r->v[i] * r->v[i];
    spx_test(kin > 1e-3, "the particles move (kinetic energy > 0 at T)", "%.3g", kin);
  }
  spx_iflow_result_free(r);
  r = NULL;
  /* gamma > 0: H(T) - H(0) = -gamma int sum|v|^2 dt; the integral by the samples of the kinetic
   * energy, recorded as mode coefficients: use the velocities' work through a fine run. */
  s.gamma = 0.4;
  s.T = 2.0;
  s.dt = 0.001;
  double work = 0, Hp = H0, *xs = malloc(sizeof(double) * n * d), *vs = malloc(sizeof(double) * n * d);
  memcpy(xs, x, sizeof(double) * n * d);
  memcpy(vs, v, sizeof(double) * n * d);
  /* chain 20 short runs of 0.1 and integrate sum|v|^2 by the trapezoid rule on their ends
   * (error O(0.1^2)); compare with a tolerance from that error */
  s.T = 0.1;
  double prevk = 0;
  for (int i = 0; i < n * d; i++) prevk += vs[i] * vs[i];
  for (int c = 0; c < 20 && st == SPX_OK; c++) {
    st = spx_iflow_run(m, xs, vs, xs, 0, NULL, &s, &r);
    if (st) break;
    double kk = 0;
    for (int i = 0; i < n * d; i++) kk += r->v[i] * r->v[i];
    work += 0.5 * 0.1 * (prevk + kk);
    prevk = kk;
    memcpy(xs, r->x, sizeof(double) * n * d);
    memcpy(vs, r->v, sizeof(double) * n * d);
    /* re-project against the tiny RK4 drift before the next start */
    for (int i = 0; i < n; i++) {
      double nn = 0, xv = 0;
      for (int a = 0; a < d; a++) nn += xs[i * d + a] * xs[i * d + a];
      for (int a = 0; a < d; a++) xs[i * d + a] /= sqrt(nn);
      for (int a = 0; a < d; a++) xv += xs[i * d + a] * vs[i * d + a];
      for (int a = 0; a < d; a++) vs[i * d + a] -= xv * xs[i * d + a];
    }
    spx_iflow_result_free(r);
    r = NULL;
  }
  double H2 = hamiltonian(k, n, d, xs, vs);
  spx_test(st == SPX_OK && fabs((H2 - Hp) + s.gamma * work) < 2e-3 * s.gamma * work,
           "USA, gamma = 0.4: H(2) - H(0) = -gamma int sum|v|^2 dt (trapezoid, 0.2 %)",
           "dH %.6g, -gamma W %.6g", H2 - Hp, -s.gamma * work);
  free(xs);
  free(vs);
  spx_kernel_free(k);
  spx_model_free(m);
}

/* Five pure-mode equilibria: growing modes = dim E_- = Morse index, growth = A(T), rates = z_+. */
static void test_equilibria(void)
{
  const int n = 6, d = 3;
  const double lam[3] = {1.0, 0.4, -0.6};
  struct { int k, np, morse; } eq[] = {{1, 6, 1}, {1, 3, 2}, {2, 6, 12}, {2, 3, 2}, {0, 6, 0}};
  for (int norm = 0; norm < 2; norm++) {
    spx_model *m = NULL;
    spx_flowhess *w = NULL;
    if (spx_cu_model_diag(n, d, 1.0, norm ? SPX_NORM_USA : SPX_NORM_SA, lam, &m) ||
        spx_flowhess_create(m, &w)) {
      spx_test(0, "equilibria set-up", NULL);
      spx_model_free(m);
      continue;
    }
    for (int e = 0; e < 5; e++) {
      double x[18], T[36];
      char name[240];
      spx_stability_pm_state(m, eq[e].k, eq[e].np, n - eq[e].np, x);
      spx_stability_basis_pm(n, d, m->U, eq[e].k, T);
      spx_flowhess_opts o;
      spx_flowhess_opts_default(&o);
      spx_flowhess_result r;
      spx_iflow_settings s;
      spx_iflow_settings_default(&s);
      s.T = 0; /* automatic: the fastest mode grows 1e4-fold */
      spx_iflow_exp_opts eo;
      spx_iflow_exp_opts_default(&eo);
      spx_iflow_exp *ex = NULL;
      int st = spx_flowhess_analyze(w, x, T, &o, &r);
      if (!st) st = spx_iflow_experiment(m, x, T, r.kappa, r.right, r.left, &s, &eo, &ex);
      snprintf(name, sizeof name,
               "%s u_%d %d:%d: growing modes = dim E_- = Morse = %d (closed form)",
               norm ? "USA" : "SA", eq[e].k + 1, eq[e].np, n - eq[e].np, eq[e].morse);
      if (st || !ex) {
        spx_test(0, name, "status %d", st);
        continue;
      }
      spx_test(ex->n_growing == eq[e].morse && r.gap.count == eq[e].morse &&
                   r.morse == eq[e].morse,
               name, "growing %d dim E_- %d Morse %d (T %.2f)", ex->n_growing, r.gap.count,
               r.morse, ex->T);
      if (eq[e].morse > 0) {
        snprintf(name, sizeof name, "%s u_%d %d:%d: growth |a_k(T)/a_k(0)| = A(gamma, -kappa, T) "
                 "(rel < 1e-3)", norm ? "USA" : "SA", eq[e].k + 1, eq[e].np, n - eq[e].np);
        spx_test_le(name, ex->max_growth_err, 1e-3);
        snprintf(name, sizeof name, "%s u_%d %d:%d: fitted rates = z_+(gamma, -kappa) (rel < 1 %%)",
                 norm ? "USA" : "SA", eq[e].k + 1, eq[e].np, n - eq[e].np);
        spx_test_le(name, ex->max_rate_err, 0.01);
      }
      snprintf(name, sizeof name, "%s u_%d %d:%d: stable and neutral modes stay <= x1.5",
               norm ? "USA" : "SA", eq[e].k + 1, eq[e].np, n - eq[e].np);
      spx_test_le(name, ex->max_stable_growth, 1.5);
      spx_iflow_exp_free(ex);
    }
    spx_flowhess_free(w);
    spx_model_free(m);
  }
}

static void test_errors(void)
{
  const double lam[3] = {1.0, 0.4, -0.6};
  spx_model *m = NULL;
  spx_cu_model_diag(2, 3, 1.0, SPX_NORM_SA, lam, &m);
  double x[6] = {1, 0, 0, 0, 1.1, 0}, v[6] = {0, 0, 0, 0, 0, 0};
  spx_iflow_settings s;
  spx_iflow_settings_default(&s);
  spx_iflow_result *r = NULL;
  spx_test(spx_iflow_run(m, x, v, x, 0, NULL, &s, &r) == SPX_EINVAL && !r,
           "error: a particle off the sphere", NULL);
  x[4] = 1.0;
  v[0] = 0.1;
  spx_test(spx_iflow_run(m, x, v, x, 0, NULL, &s, &r) == SPX_EINVAL, "error: a radial velocity", NULL);
  v[0] = 0;
  s.method = "nope";
  spx_test(spx_iflow_run(m, x, v, x, 0, NULL, &s, &r) == SPX_EINVAL, "error: unknown integrator", NULL);
  s.method = "rk4";
  s.gamma = -1;
  spx_test(spx_iflow_run(m, x, v, x, 0, NULL, &s, &r) == SPX_EINVAL, "error: negative damping", NULL);
  spx_model_free(m);
}

int main(void)
{
  gsl_set_error_handler_off();
  test_energy();
  test_equilibria();
  test_errors();
  return spx_test_summary();
}
