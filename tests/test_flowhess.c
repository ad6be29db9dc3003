/* test_flowhess.c -- the free energy F = -E_beta of the symmetric interacting flow, its Riemannian
 * Hessian on (S^{d-1})^n, the metric and dim E_- against the Morse index (sim/flowhess.c).
 *
 * Expected values from mathematics: central differences of E on the second-order retraction
 * normalize(x + xi) (at arbitrary, non-critical states), the closed-form pure-mode spectra of the
 * linearization (sphere_dynamics.md §4.3, via stability.c) multiplied by the metric weights
 * N_+- (SA) or n (USA) of §3, the kernel's analytic tangent Jacobian (J = G^{-1}(-Hess F) at an
 * equilibrium), Sylvester's law of inertia (dim E_- = Morse index), and the §13 mixed equilibrium.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flowhess.h"
#include "harness.h"
#include "kernel.h"
#include "mat.h"
#include "stability.h"
#include "status.h"

static int cmp_desc(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x < y) - (x > y);
}

/* A model with V = A = U diag(lam) U^T, U random (seed), nheads copies scaled by 1, 0.5, ... */
static spx_model *make_model(int n, int d, const double *lam, int nheads, double beta,
                             spx_normalization norm, unsigned long seed)
{
  spx_model *m = NULL;
  double *U = malloc(sizeof(double) * d * d), *V = malloc(sizeof(double) * d * d);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, seed);
  if (seed) spx_mat_random_orthogonal(d, rng, U);
  else spx_mat_identity(d, U);
  for (int a = 0; a < d; a++)
    for (int b = 0; b < d; b++) {
      double s = 0;
      for (int k = 0; k < d; k++) s += U[a * d + k] * lam[k] * U[b * d + k];
      V[a * d + b] = s;
    }
  if (spx_model_create(n, d, nheads, &m) == SPX_OK) {
    m->beta = beta;
    m->norm = norm;
    for (int h = 0; h < nheads; h++)
      for (int i = 0; i < d * d; i++) m->heads[h].A[i] = m->heads[h].V[i] = V[i] / (1.0 + h);
    memcpy(m->spectrum, lam, sizeof(double) * d);
    memcpy(m->U, U, sizeof(double) * d * d);
    m->basis_set = 1;
    if (spx_model_finalize(m, 0)) {
      spx_model_free(m);
      m = NULL;
    }
  }
  free(U);
  free(V);
  gsl_rng_free(rng);
  return m;
}

static void random_state(int n, int d, unsigned long seed, double *x)
{
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, seed);
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int a = 0; a < d; a++) {
      x[i * d + a] = gsl_rng_uniform(rng) - 0.5;
      s += x[i * d + a] * x[i * d + a];
    }
    for (int a = 0; a < d; a++) x[i * d + a] /= sqrt(s);
  }
  gsl_rng_free(rng);
}

/* The Hessian against central differences of E at a random (non-critical) state, and the
 * Riemannian gradient against one-sided directional differences. */
static void test_fd(void)
{
  const double lam[4] = {0.9, -0.35, 0.5, -1.2};
  const char *tags[3] = {"SA, 1 head", "USA, 2 heads", "SA, beta = 0.2"};
  for (int c = 0; c < 3; c++) {
    const int n = 5, d = 4;
    spx_model *m = make_model(n, d, lam, c == 1 ? 2 : 1, c == 2 ? 0.2 : 1.3,
                              c == 1 ? SPX_NORM_USA : SPX_NORM_SA, 7 + c);
    spx_flowhess *w = NULL;
    double x[20], xp[20], rg[20];
    char name[200];
    random_state(n, d, 3 + c, x);
    if (!m || spx_flowhess_create(m, &w)) {
      spx_test(0, "fd set-up", NULL);
      spx_model_free(m);
      continue;
    }
    spx_flowhess_opts o;
    spx_flowhess_opts_default(&o);
    o.fd_h = 1e-4;
    spx_flowhess_result r;
    int st = spx_flowhess_analyze(w, x, NULL, &o, &r);
    snprintf(name, sizeof name, "%s: Riemannian Hessian of F = central differences on the "
                                "retraction (h = 1e-4, rel < 1e-6)", tags[c]);
    spx_test(st == SPX_OK && r.fd_err < 1e-6, name, "max rel err %.3g (dim %d)", r.fd_err, r.dim);
    snprintf(name, sizeof name, "%s: a non-equilibrium state has a nonzero gradient", tags[c]);
    spx_test(r.rhs_norm > 1e-2 && r.grad_norm > 1e-3, name, "|f| %.3g", r.rhs_norm);
    /* directional derivative of E along a random tangent direction: <-grad F, xi> */
    double logE, lp, lm, ls;
    spx_flowhess_gradient(w, x, &logE, rg, &ls);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 99);
    double xi[20], dot = 0;
    for (int i = 0; i < n * d; i++) xi[i] = gsl_rng_uniform(rng) - 0.5;
    for (int i = 0; i < n; i++) { /* make xi tangent */
      double s = 0;
      for (int a = 0; a < d; a++) s += xi[i * d + a] * x[i * d + a];
      for (int a = 0; a < d; a++) xi[i * d + a] -= s * x[i * d + a];
    }
    for (int i = 0; i < n * d; i++) dot += -rg[i] * xi[i];
    const double h = 1e-5;
    for (int i = 0; i < n * d; i++) xp[i] = x[i] + h * xi[i];
    spx_flowhess_gradient(w, xp, &lp, NULL, NULL);
    for (int i = 0; i < n * d; i++) xp[i] = x[i] - h * xi[i];
    spx_flowhess_gradient(w, xp, &lm, NULL, NULL);
    double fd = (exp(lp - logE) - exp(lm - logE)) / (2 * h) * exp(logE - ls);
    snprintf(name, sizeof name, "%s: <grad F, xi> = -dE/ds (central difference, rel < 1e-8)",
             tags[c]);
    spx_test_rel(name, dot, fd, 1e-8);
    /* log E against the kernel's monitor */
    spx_kernel *k = NULL;
    spx_kernel_create(m, &k);
    snprintf(name, sizeof name, "%s: log E_beta = the kernel's log-domain energy", tags[c]);
    spx_test_abs(name, logE, spx_kernel_log_energy(k, x), 1e-12);
    spx_kernel_free(k);
    gsl_rng_free(rng);
    spx_flowhess_free(w);
    spx_model_free(m);
  }
}

/* Pure modes: Hess F = -G J with the closed-form J (§4.3) and G = N_+- (SA) or n (USA);
 * dim E_- = Morse index = number of positive flow rates. */
static void test_pure_modes(void)
{
  const int n = 6, d = 3;
  const double lam[3] = {1.0, 0.4, -0.6}, beta = 1.0;
  struct { int k, np; } eq[] = {{0, 6}, {1, 6}, {1, 3}, {2, 6}, {2, 3}, {0, 4}};
  const int neq = (int)(sizeof eq / sizeof *eq);
  for (int norm = 0; norm < 2; norm++) {
    spx_model *m = make_model(n, d, lam, 1, beta, norm ? SPX_NORM_USA : SPX_NORM_SA, 5);
    spx_flowhess *w = NULL;
    if (!m || spx_flowhess_create(m, &w)) {
      spx_test(0, "pure-mode set-up", NULL);
      spx_model_free(m);
      continue;
    }
    double worst_spec = 0, worst_jac = 0, worst_rhs = 0;
    int counts_ok = 1;
    char detail[512] = "";
    for (int e = 0; e < neq; e++) {
      double x[18], T[36], cf[12], hf[12];
      spx_stability_pm_state(m, eq[e].k, eq[e].np, n - eq[e].np, x);
      spx_stability_basis_pm(n, d, m->U, eq[e].k, T);
      spx_flowhess_opts o;
      spx_flowhess_opts_default(&o);
      spx_flowhess_result r;
      if (spx_flowhess_analyze(w, x, T, &o, &r)) {
        counts_ok = 0;
        continue;
      }
      spx_puremode pm = {d, m->spectrum, beta, m->norm, m->usa_shift, eq[e].k, eq[e].np,
                         n - eq[e].np};
      spx_pm_eig eig[16];
      int neig, morse_cf;
      double mx;
      spx_verdict v;
      spx_puremode_spectrum(&pm, 16, eig, &neig);
      spx_pm_eig_expand(neig, eig, 12, cf);
      spx_puremode_verdict(&pm, 0, &mx, &morse_cf, &v);
      /* the metric of particle i: N_+ or N_- (SA), n (USA); Hess F = -G J; both descending */
      double Ek = exp(beta * lam[eq[e].k]), ek = 1.0 / Ek;
      int npl = eq[e].np, nmi = n - npl;
      double Np = norm ? n : npl * Ek + nmi * ek, Nm = norm ? n : nmi * Ek + npl * ek;
      /* -Hess F = G J: with G not a multiple of I (unbalanced SA) the spectra differ, so compare
       * J = G^{-1}(-H) through its eigenvalues kappa instead, and -H/N only when N_+ = N_-. */
      for (int i = 0; i < 12; i++) hf[i] = -r.evals[i];
      qsort(hf, 12, sizeof(double), cmp_desc);
      for (int i = 0; i < 12; i++) {
        worst_spec = fmax(worst_spec, fabs(r.kappa[i] - cf[i]) / fmax(1.0, fabs(cf[i])));
        /* one metric weight for all particles: homogeneous, balanced, or USA */
        double G = nmi == 0 ? Np : fabs(Np - Nm) < 1e-12 * Np ? Np : NAN;
        if (!isnan(G)) worst_spec = fmax(worst_spec, fabs(hf[i] / G - cf[i]) / fmax(1.0, fabs(cf[i])));
      }
      worst_jac = fmax(worst_jac, r.jac_err);
      worst_rhs = fmax(worst_rhs, r.rhs_norm);
      int ok = r.gap.count == morse_cf && r.morse == morse_cf && r.n_kappa_pos == morse_cf &&
               r.gap.well_posed;
      counts_ok &= ok;
      size_t used = strlen(detail);
      snprintf(detail + used, sizeof detail - used, "%s(k%d %d:%d) dimE- %d Morse %d cf %d; ",
               ok ? "" : "MISMATCH ", eq[e].k + 1, npl, nmi, r.gap.count, r.morse, morse_cf);
    }
    const char *tag = norm ? "USA" : "SA";
    char name[200];
    snprintf(name, sizeof name, "%s pure modes: rates of J = G^{-1}(-Hess F) = closed form 4.3", tag);
    spx_test_le(name, worst_spec, 1e-10);
    snprintf(name, sizeof name, "%s pure modes: kernel tangent Jacobian = G^{-1}(-Hess F) (rel)", tag);
    spx_test_le(name, worst_jac, 1e-10);
    snprintf(name, sizeof name, "%s pure modes: the states are equilibria", tag);
    spx_test_le(name, worst_rhs, 1e-13);
    snprintf(name, sizeof name, "%s: dim E_- (gap to the null space) = Morse index = #kappa > 0 = "
                                "closed form, 6 equilibria", tag);
    spx_test(counts_ok, name, "%s", detail);
    spx_flowhess_free(w);
    spx_model_free(m);
  }
}

/* §13 mixed equilibrium (not a pure mode): the Householder basis at any state. */
static void test_mixed(void)
{
  const double a = -0.4, b = -4, beta = 0.03, lam[3] = {-0.4, -4.0, -1.3};
  double roots[8], q = NAN;
  int nr = 0;
  spx_stability_mixed_roots(a, b, beta, 1, 1, 8, roots, &nr);
  for (int i = 0; i < nr && i < 8; i++)
    if (isnan(q) || fabs(roots[i] + 0.2341172382) < fabs(q + 0.2341172382)) q = roots[i];
  for (int norm = 0; norm < 2; norm++) {
    spx_model *m = make_model(3, 3, lam, 1, beta, norm ? SPX_NORM_USA : SPX_NORM_SA, 11);
    spx_flowhess *w = NULL;
    double x[9];
    if (!m || spx_flowhess_create(m, &w)) {
      spx_test(0, "mixed set-up", NULL);
      spx_model_free(m);
      continue;
    }
    spx_stability_mixed_state(3, m->U, 0, 1, 1, 1, q, x);
    spx_flowhess_opts o;
    spx_flowhess_opts_default(&o);
    o.fd_h = 1e-4;
    spx_flowhess_result r;
    int st = spx_flowhess_analyze(w, x, NULL, &o, &r);
    char name[200];
    const char *tag = norm ? "USA" : "SA";
    snprintf(name, sizeof name, "13 %s mixed equilibrium: J_kernel = G^{-1}(-Hess F) (rel < 1e-8)", tag);
    spx_test(st == SPX_OK && r.rhs_norm < 1e-10 && r.jac_err < 1e-8, name,
             "|f| %.3g, rel err %.3g", r.rhs_norm, r.jac_err);
    snprintf(name, sizeof name, "13 %s mixed equilibrium: Hessian = central differences", tag);
    spx_test_le(name, r.fd_err, 1e-6);
    snprintf(name, sizeof name, "13 %s mixed equilibrium: dim E_- = Morse index = #kappa > 0", tag);
    spx_test(r.gap.count == r.morse && r.morse == r.n_kappa_pos, name, "dim E_- %d Morse %d kappa %d",
             r.gap.count, r.morse, r.n_kappa_pos);
    /* left and right eigenvectors are biorthogonal */
    double bo = 0;
    for (int k = 0; k < r.dim; k++)
      for (int l = 0; l < r.dim; l++) {
        double s = 0;
        for (int c = 0; c < r.dim; c++) s += r.left[c * r.dim + k] * r.right[c * r.dim + l];
        bo = fmax(bo, fabs(s - (k == l)));
      }
    snprintf(name, sizeof name, "13 %s: left/right eigenvectors of J biorthonormal", tag);
    spx_test_le(name, bo, 1e-12);
    spx_flowhess_free(w);
    spx_model_free(m);
  }
}

/* Large beta: values in units of e^{log_scale}; counts unchanged. */
static void test_scale(void)
{
  const int n = 4, d = 3;
  const double lam[3] = {1.0, 0.4, -0.6}, beta = 2000;
  spx_model *m = make_model(n, d, lam, 1, beta, SPX_NORM_SA, 0);
  spx_flowhess *w = NULL;
  if (!m || spx_flowhess_create(m, &w)) {
    spx_test(0, "scale set-up", NULL);
    spx_model_free(m);
    return;
  }
  double x[12], T[24];
  spx_stability_pm_state(m, 1, n, 0, x); /* homogeneous at u_2 */
  spx_stability_basis_pm(n, d, m->U, 1, T);
  spx_flowhess_opts o;
  spx_flowhess_opts_default(&o);
  spx_flowhess_result r;
  int st = spx_flowhess_analyze(w, x, T, &o, &r);
  /* homogeneous SA: G = n e^{beta lambda_2}, J eigenvalues -lambda_2 (internal) and
   * lambda_l - lambda_2 (drift): the most negative Hess F eigenvalue, in units of
   * e^{beta lambda_2}, is -n (lambda_1 - lambda_2) */
  spx_test(st == SPX_OK && fabs(r.log_scale - beta * 0.4) < 1e-9 && r.gap.count == 1 &&
               r.morse == 1,
           "beta = 2000: Hessian in units of e^{800}, dim E_- = Morse = 1 (homogeneous on u_2)",
           "log_scale %.6g dim E_- %d Morse %d", r.log_scale, r.gap.count, r.morse);
  spx_test_rel("beta = 2000: lowest Hess F eigenvalue = -n (lambda_1 - lambda_2) e^{beta lambda_2}",
               st == SPX_OK ? r.evals[0] : NAN, -n * 0.6, 1e-10);
  spx_flowhess_free(w);
  spx_model_free(m);
}

static void test_errors(void)
{
  const double lam[3] = {1.0, 0.4, -0.6};
  spx_model *m = make_model(4, 3, lam, 1, 1.0, SPX_NORM_SA, 0);
  spx_flowhess *w = NULL;
  m->heads[0].V[1] += 0.3; /* V != A */
  spx_model_finalize(m, 0);
  spx_test(spx_flowhess_create(m, &w) == SPX_EINVAL && !w, "error: A != V has no free energy", NULL);
  m->heads[0].V[1] -= 0.3;
  m->mask = SPX_MASK_CAUSAL;
  spx_model_finalize(m, 0);
  spx_test(spx_flowhess_create(m, &w) == SPX_EINVAL, "error: a masked flow has no free energy", NULL);
  spx_model_free(m);
  m = make_model(4, 3, lam, 2, 1.0, SPX_NORM_SA, 0);
  spx_test(spx_flowhess_create(m, &w) == SPX_EINVAL, "error: multi-head SA is not one gradient flow",
           NULL);
  spx_model_free(m);
  m = make_model(2, 3, lam, 1, 1.0, SPX_NORM_SA, 0);
  spx_flowhess_create(m, &w);
  double x[6] = {0, 0, 0, 1, 0, 0}, H[16], ls;
  double T[24];
  spx_test(spx_flowhess_hessian(w, x, T, H, &ls) == SPX_EINVAL, "error: a zero particle", NULL);
  spx_flowhess_free(w);
  spx_model_free(m);
}

int main(void)
{
  gsl_set_error_handler_off();
  test_fd();
  test_pure_modes();
  test_mixed();
  test_scale();
  test_errors();
  return spx_test_summary();
}
