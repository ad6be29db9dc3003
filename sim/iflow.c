/* iflow.c -- the inertial interacting attention flow on the sphere and the growth of its modes
 * near an equilibrium (iflow.h; issue 7, spec spectral_gap.md §1 eq. 7 and §7d.2 carried over to
 * the interacting flow [ours]).
 *
 * State y = [X (n x d); V (n x d)], a plain ODE for the back end (sphere = 0: velocities are not
 * unit vectors; the equation keeps |x_i| = 1 and <x_i, v_i> = 0 itself, and the run reports the
 * drift of both). Right-hand side: x' = v, v' = f(x) - gamma v - (|v|^2/|x|^2) x with f the
 * first-order flow's RHS (kernel.h, norm-aware projection: tangent to x_i).
 *
 * Modes: with J = G^{-1}(-Hess F) = sum_k kappa_k v_k w_k^T (flowhess.h), the coefficient
 * a_k = <w_k, xi> of a tangent perturbation xi obeys a_k'' + gamma a_k' = kappa_k a_k to first
 * order; from a_k(0), a_k'(0) = 0 the linear solution is a_k(0) A(gamma, -kappa_k, t)
 * (spx_inertial_amplification), growing like e^{z_+ t} iff kappa_k > 0. The experiment starts from
 * a small mixture of all modes with zero velocity (spec §2.6's protocol, X0 = x* + xi, V0 = 0)
 * and keeps the fastest mode's amplitude small (amp * growth), so that quadratic feed-in
 * ((amp growth)^2) stays far below every mode's own amplitude.
 */
#include "iflow.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "inertial.h"
#include "kernel.h"
#include "solver.h"
#include "status.h"

void spx_iflow_settings_default(spx_iflow_settings *s)
{
  s->gamma = 0.5;
  s->T = 10.0;
  s->dt = 0.01;
  s->method = "rk4";
  s->rtol = 1e-12;
  s->atol = 1e-16;
}

void spx_iflow_result_free(spx_iflow_result *r)
{
  if (!r) return;
  free(r->t);
  free(r->a);
  free(r->x);
  free(r->v);
  free(r);
}

typedef struct {
  spx_kernel *k;
  int n, d;
  double gamma;
} if_ctx;

static int if_rhs(double t, const double *y, double *f, void *user)
{
  if_ctx *c = user;
  const long nd = (long)c->n * c->d;
  const int d = c->d;
  (void)t;
  /* f_v = kernel RHS at x (written straight into the velocity block of f) */
  if (spx_kernel_rhs(c->k, y, f + nd) != SPX_OK) return -1;
  for (int i = 0; i < c->n; i++) {
    const double *x = y + (long)i * d, *v = y + nd + (long)i * d;
    double *fx = f + (long)i * d, *fv = f + nd + (long)i * d, vv = 0.0, xx = 0.0;
    for (int a = 0; a < d; a++) {
      vv += v[a] * v[a];
      xx += x[a] * x[a];
    }
    for (int a = 0; a < d; a++) {
      fx[a] = v[a];
      fv[a] += -c->gamma * v[a] - vv / xx * x[a];
    }
  }
  return 0;
}

/* Coefficients and drift monitors of one sample. */
static void sample(const double *y, int n, int d, const double *xstar, int nmodes,
                   const double *C, double *a, spx_iflow_result *r)
{
  const long nd = (long)n * d;
  for (int k = 0; k < nmodes; k++) {
    double s = 0.0;
    for (long q = 0; q < nd; q++) s += C[(long)k * nd + q] * (y[q] - xstar[q]);
    a[k] = s;
  }
  for (int i = 0; i < n; i++) {
    double xx = 0.0, xv = 0.0;
    for (int c = 0; c < d; c++) {
      xx += y[(long)i * d + c] * y[(long)i * d + c];
      xv += y[(long)i * d + c] * y[nd + (long)i * d + c];
    }
    r->max_norm_drift = fmax(r->max_norm_drift, fabs(sqrt(xx) - 1.0));
    r->max_radial = fmax(r->max_radial, fabs(xv));
  }
}

int spx_iflow_run(const spx_model *m, const double *x0, const double *v0, const double *xstar,
                  int nmodes, const double *C, const spx_iflow_settings *s,
                  spx_iflow_result **out)
{
  int status = SPX_OK;
  const int n = m->n, d = m->d;
  const long nd = (long)n * d;
  const spx_solver_type *ST = s->method ? spx_solver_find(s->method) : NULL;
  spx_iflow_result *r = NULL;
  void *solver = NULL;
  double *y = NULL;
  if_ctx c = {NULL, n, d, s->gamma};
  *out = NULL;
  if (!ST) {
    spx_error("inertial flow: unknown integrator \"%s\"", s->method ? s->method : "(null)");
    return SPX_EINVAL;
  }
  if (!(s->dt > 0.0) || !(s->T > 0.0) || !isfinite(s->T) || !(s->gamma >= 0.0) ||
      !isfinite(s->gamma) || nmodes < 0) {
    spx_error("inertial flow: need dt > 0, a finite T > 0 and gamma >= 0 (got dt = %g, T = %g, "
              "gamma = %g)", s->dt, s->T, s->gamma);
    return SPX_EINVAL;
  }
  for (int i = 0; i < n; i++) {
    double xx = 0.0, xv = 0.0;
    for (int a = 0; a < d; a++) {
      xx += x0[(long)i * d + a] * x0[(long)i * d + a];
      if (v0) xv += x0[(long)i * d + a] * v0[(long)i * d + a];
    }
    if (!(fabs(xx - 1.0) <= 1e-8) || !(fabs(xv) <= 1e-8)) {
      spx_error("inertial flow: particle %d must be a unit vector with a tangent velocity "
                "(|x|^2 = %.17g, <x, v> = %.3g)", i + 1, xx, xv);
      return SPX_EINVAL;
    }
  }
  const int ns = (int)floor(s->T / s->dt + 1e-9) + 1;
  SPX_TRY(spx_kernel_create(m, &c.k));
  y = malloc(sizeof(double) * 2 * nd);
  r = calloc(1, sizeof *r);
  if (!y || !r) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  r->nsamples = ns;
  r->nmodes = nmodes;
  r->n = n;
  r->d = d;
  r->t = malloc(sizeof(double) * ns);
  r->a = malloc(sizeof(double) * (size_t)ns * (nmodes > 0 ? nmodes : 1));
  r->x = malloc(sizeof(double) * nd);
  r->v = malloc(sizeof(double) * nd);
  if (!r->t || !r->a || !r->x || !r->v) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  memcpy(y, x0, sizeof(double) * nd);
  if (v0) memcpy(y + nd, v0, sizeof(double) * nd);
  else memset(y + nd, 0, sizeof(double) * nd);
  spx_ode ode = {.N = 2 * nd, .nblocks = 2 * n, .bsize = d, .sphere = 0, .rhs = if_rhs,
                 .jv = NULL, .user = &c};
  spx_solver_settings set = {.rtol = s->rtol, .atol = s->atol, .dt = s->dt, .max_steps = 1000000};
  SPX_TRY(ST->create(&ode, &set, 0.0, y, &solver));
  r->t[0] = 0.0;
  sample(y, n, d, xstar, nmodes, C, r->a, r);
  for (int j = 1; j < ns; j++) {
    double tr;
    r->t[j] = j * s->dt;
    SPX_TRY(ST->advance(solver, r->t[j], y, &tr));
    sample(y, n, d, xstar, nmodes, C, r->a + (long)j * nmodes, r);
  }
  memcpy(r->x, y, sizeof(double) * nd);
  memcpy(r->v, y + nd, sizeof(double) * nd);
  *out = r;
  r = NULL;
cleanup:
  if (solver) ST->free(solver);
  spx_kernel_free(c.k);
  spx_iflow_result_free(r);
  free(y);
  return status;
}

void spx_iflow_ambient(int n, int d, const double *T, const double *M, int nmodes, double *out)
{
  const int m = d - 1, dim = n * m;
  const long nd = (long)n * d;
  for (int k = 0; k < nmodes; k++) {
    double *o = out + (long)k * nd;
    memset(o, 0, sizeof(double) * nd);
    for (int a = 0; a < dim; a++) {
      const double c = M[(long)a * dim + k], *t = T + (long)a * d;
      double *oi = o + (long)(a / m) * d;
      for (int e = 0; e < d; e++) oi[e] += c * t[e];
    }
  }
}

double spx_iflow_growth(const spx_iflow_result *r, int k)
{
  return fabs(r->a[(long)(r->nsamples - 1) * r->nmodes + k]) / fabs(r->a[k]);
}

double spx_iflow_fit_rate(const spx_iflow_result *r, int k, double t_lo, double t_hi)
{
  double tm = 0.0, ym = 0.0, stt = 0.0, sty = 0.0;
  int cnt = 0;
  for (int j = 0; j < r->nsamples; j++) {
    double a = fabs(r->a[(long)j * r->nmodes + k]);
    if (r->t[j] < t_lo || r->t[j] > t_hi || !(a > 0.0)) continue;
    tm += r->t[j];
    ym += log(a);
    cnt++;
  }
  if (cnt < 2) return NAN;
  tm /= cnt;
  ym /= cnt;
  for (int j = 0; j < r->nsamples; j++) {
    double a = fabs(r->a[(long)j * r->nmodes + k]);
    if (r->t[j] < t_lo || r->t[j] > t_hi || !(a > 0.0)) continue;
    stt += (r->t[j] - tm) * (r->t[j] - tm);
    sty += (r->t[j] - tm) * (log(a) - ym);
  }
  return stt > 0.0 ? sty / stt : NAN;
}

void spx_iflow_exp_opts_default(spx_iflow_exp_opts *o)
{
  o->amp = 1e-10;
  o->seed = 1;
  o->factor = 2.0;
  o->growth = 1e4;
  o->T_max = 200.0;
}

void spx_iflow_exp_free(spx_iflow_exp *e)
{
  if (!e) return;
  free(e->kappa);
  free(e->zplus);
  free(e->growth);
  free(e->predicted);
  free(e->rate);
  spx_iflow_result_free(e->run);
  free(e);
}

int spx_iflow_experiment(const spx_model *m, const double *xstar, const double *T,
                         const double *kappa, const double *right, const double *left,
                         const spx_iflow_settings *s, const spx_iflow_exp_opts *o,
                         spx_iflow_exp **out)
{
  int status = SPX_OK;
  const int n = m->n, d = m->d, mm = d - 1, dim = n * mm;
  const long nd = (long)n * d;
  spx_iflow_exp *e = NULL;
  double *c = NULL, *x0 = NULL, *C = NULL, *xi = NULL;
  gsl_rng *rng = NULL;
  *out = NULL;
  if (!(o->amp > 0.0) || !(o->factor > 1.0) || !(o->growth > 1.0)) {
    spx_error("inertial flow experiment: need amp > 0, factor > 1 and growth > 1");
    return SPX_EINVAL;
  }
  e = calloc(1, sizeof *e);
  c = malloc(sizeof(double) * dim);
  x0 = malloc(sizeof(double) * nd);
  xi = malloc(sizeof(double) * nd);
  C = malloc(sizeof(double) * dim * nd);
  rng = gsl_rng_alloc(gsl_rng_mt19937);
  if (!e || !c || !x0 || !xi || !C || !rng) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  e->dim = dim;
  e->kappa = malloc(sizeof(double) * dim);
  e->zplus = malloc(sizeof(double) * dim);
  e->growth = malloc(sizeof(double) * dim);
  e->predicted = malloc(sizeof(double) * dim);
  e->rate = malloc(sizeof(double) * dim);
  if (!e->kappa || !e->zplus || !e->growth || !e->predicted || !e->rate) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  spx_iflow_settings set = *s;
  /* tolerance of "kappa > 0": the Morse tolerance of stability.h, 1e-7 max(1, max|kappa|) */
  double kmax = 0.0, zmax = 0.0;
  for (int k = 0; k < dim; k++) kmax = fmax(kmax, fabs(kappa[k]));
  const double ktol = 1e-7 * fmax(1.0, kmax);
  for (int k = 0; k < dim; k++) {
    e->kappa[k] = kappa[k];
    e->zplus[k] = spx_inertial_rate(s->gamma, -kappa[k]);
    if (kappa[k] > ktol) {
      e->n_predicted++;
      zmax = fmax(zmax, e->zplus[k]);
    }
  }
  if (!(set.T > 0.0)) set.T = zmax > 0.0 ? fmin(o->T_max, log(o->growth) / zmax) : fmin(o->T_max, 20.0);
  set.T = s->dt * ceil(set.T / s->dt - 1e-9);
  e->T = set.T;
  /* the initial tangent perturbation: a random mixture of the right eigenvectors */
  gsl_rng_set(rng, o->seed);
  double cn = 0.0;
  for (int a = 0; a < dim; a++) c[a] = 0.0;
  for (int k = 0; k < dim; k++) {
    double rk = (0.5 + 0.5 * gsl_rng_uniform(rng)) * (gsl_rng_uniform(rng) < 0.5 ? -1.0 : 1.0);
    for (int a = 0; a < dim; a++) c[a] += rk * right[(long)a * dim + k];
  }
  for (int a = 0; a < dim; a++) cn += c[a] * c[a];
  cn = sqrt(cn);
  for (int a = 0; a < dim; a++) c[a] *= o->amp / cn;
  /* xi = sum_a c_a t_a; x0 = normalize(x* + xi) row by row */
  for (long q = 0; q < nd; q++) xi[q] = 0.0;
  for (int a = 0; a < dim; a++)
    for (int q = 0; q < d; q++) xi[(long)(a / mm) * d + q] += c[a] * T[(long)a * d + q];
  for (int i = 0; i < n; i++) {
    double s2 = 0.0;
    for (int q = 0; q < d; q++) {
      x0[(long)i * d + q] = xstar[(long)i * d + q] + xi[(long)i * d + q];
      s2 += x0[(long)i * d + q] * x0[(long)i * d + q];
    }
    for (int q = 0; q < d; q++) x0[(long)i * d + q] /= sqrt(s2);
  }
  spx_iflow_ambient(n, d, T, left, dim, C);
  SPX_TRY(spx_iflow_run(m, x0, NULL, xstar, dim, C, &set, &e->run));
  for (int k = 0; k < dim; k++) {
    e->growth[k] = spx_iflow_growth(e->run, k);
    e->predicted[k] = fabs(spx_inertial_amplification(s->gamma, -kappa[k], set.T));
    e->rate[k] = spx_iflow_fit_rate(e->run, k, 0.5 * set.T, set.T);
    e->n_growing += e->growth[k] > o->factor;
    if (kappa[k] > ktol) {
      e->max_growth_err = fmax(e->max_growth_err, fabs(e->growth[k] / e->predicted[k] - 1.0));
      e->max_rate_err = fmax(e->max_rate_err, fabs(e->rate[k] / e->zplus[k] - 1.0));
    } else {
      e->max_stable_growth = fmax(e->max_stable_growth, e->growth[k]);
    }
  }
  e->max_norm_drift = e->run->max_norm_drift;
  e->max_radial = e->run->max_radial;
  *out = e;
  e = NULL;
cleanup:
  spx_iflow_exp_free(e);
  free(c);
  free(x0);
  free(xi);
  free(C);
  if (rng) gsl_rng_free(rng);
  return status;
}
