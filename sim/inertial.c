/* inertial.c -- inertial flows of independent queries in a fixed key field, in R^d and on
 * S^{d-1}, as first-order systems for the project's integrators; linear rates, spreads and fitted
 * rates (spec spectral_gap.md §1 eq. 7, §2.6, §5, §7d.2, §8 items 13-15).
 *
 * State y = [X (N x d); V (N x d)] (2N blocks of d, sphere = 0 for the integrator: on S^{d-1} the
 * equation itself keeps |x| = 1 and <x, v> = 0, since d/dt <x, v> = |v|^2 + <x, v'> = 0 with
 * v' = -|v|^2 x + tangent; renormalising velocities as blocks would be wrong).
 *   R^d:     v' = f(x) - gamma v,              f = -grad F (spx_fe_force) or -H (x - x*);
 *   S^{d-1}: v' = -|v|^2 x + P_x(f(x) - gamma v)  ([ours], §7d.2; the spec writes it for
 *            attention, f = kbar_p; the projection of v is kept so that drift stays tangent).
 *
 * Linear rates (eq. 7): a'' + gamma a' + mu a = 0 has roots z = (-gamma +- sqrt(gamma^2 - 4 mu))/2;
 * for mu < 0 both are real and z_+ > 0. a(0) = 1, a'(0) = 0 gives
 * a = (z_+ e^{z_- t} - z_- e^{z_+ t})/(z_+ - z_-) (spec §8 item 13), and the damped-oscillator
 * forms when gamma^2 < 4 mu or = 4 mu.
 *
 * Spreads (§2.6): S_k(t) = std_i <x_i - xbar, e_k> with ddof 0, sampled every step (the RK4 back
 * end with solver.dt = dt takes exactly one step per sample). Rate fit: least squares of ln S_k
 * against t over the samples in the small-amplitude window (3e-3, 5e-2).
 */
#include "inertial.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "solver.h"
#include "status.h"

double spx_inertial_rate(double gamma, double mu)
{
  double D = gamma * gamma - 4.0 * mu;
  return D >= 0.0 ? 0.5 * (-gamma + sqrt(D)) : -0.5 * gamma;
}

double spx_inertial_rate_minus(double gamma, double mu)
{
  double D = gamma * gamma - 4.0 * mu;
  return D >= 0.0 ? 0.5 * (-gamma - sqrt(D)) : -0.5 * gamma;
}

double spx_inertial_amplification(double gamma, double mu, double T)
{
  double D = gamma * gamma - 4.0 * mu;
  if (D > 0.0) {
    double zp = 0.5 * (-gamma + sqrt(D)), zm = 0.5 * (-gamma - sqrt(D));
    return (zp * exp(zm * T) - zm * exp(zp * T)) / (zp - zm);
  }
  if (D < 0.0) {
    double w = 0.5 * sqrt(-D);
    return exp(-0.5 * gamma * T) * (cos(w * T) + gamma / (2.0 * w) * sin(w * T));
  }
  return exp(-0.5 * gamma * T) * (1.0 + 0.5 * gamma * T);
}

void spx_inertial_settings_default(spx_inertial_settings *s)
{
  s->gamma = 0.5;
  s->T = 14.0;
  s->dt = 0.01;
  s->method = "rk4";
  s->sphere = 0;
  s->H = NULL;
}

void spx_inertial_result_free(spx_inertial_result *r)
{
  if (!r) return;
  free(r->t);
  free(r->S);
  free(r->X);
  free(r->V);
  free(r);
}

int spx_inertial_cloud(int N, int d, const double *xstar, double amp, int sphere, gsl_rng *rng,
                       double *X0)
{
  if (N < 1 || d < 1 || !rng) {
    spx_error("inertial cloud: need N >= 1, d >= 1 and a random generator");
    return SPX_EINVAL;
  }
  if (sphere) {
    double s = 0.0;
    for (int c = 0; c < d; c++) s += xstar[c] * xstar[c];
    if (!(fabs(s - 1.0) <= 1e-8)) {
      spx_error("inertial cloud on the sphere: the centre must be a unit vector (|x|^2 = %.17g)", s);
      return SPX_EINVAL;
    }
  }
  for (int i = 0; i < N; i++) {
    double *x = X0 + (long)i * d, xe = 0.0, n = 0.0;
    for (int c = 0; c < d; c++) x[c] = amp * gsl_ran_gaussian(rng, 1.0);
    if (sphere) {
      for (int c = 0; c < d; c++) xe += x[c] * xstar[c];
      for (int c = 0; c < d; c++) x[c] -= xe * xstar[c];
    }
    for (int c = 0; c < d; c++) {
      x[c] += xstar[c];
      n += x[c] * x[c];
    }
    if (sphere)
      for (int c = 0; c < d; c++) x[c] /= sqrt(n);
  }
  return SPX_OK;
}

typedef struct {
  const spx_fe *fe;
  int N, d, nkeys;
  double gamma;
  int sphere;
  const double *H, *xstar;
  double *scratch; /* nthreads x nkeys (softmax weights) */
  double *force;   /* nthreads x d */
  int nthreads;
  int parallel;    /* 1: run the query loop with OpenMP */
  int bad;         /* a non-finite force was met */
} in_ctx;

static int in_rhs(double t, const double *y, double *f, void *user)
{
  in_ctx *c = user;
  const int N = c->N, d = c->d;
  const long off = (long)N * d;
  (void)t;
  c->bad = 0;
  /* Threads only pay off for a large right-hand side (a fork-join per call; under load, idle
   * spinning threads cost more than the work itself): about 4e6 multiply-adds. */
#pragma omp parallel for schedule(static) num_threads(c->nthreads) if (c->parallel)
  for (int i = 0; i < N; i++) {
    const int th = omp_get_thread_num();
    const double *x = y + (long)i * d, *v = y + off + (long)i * d;
    double *fo = c->force + (long)th * d, *dx = f + (long)i * d, *dv = f + off + (long)i * d;
    if (c->H) {
      for (int r = 0; r < d; r++) {
        double s = 0.0;
        for (int q = 0; q < d; q++) s -= c->H[r * d + q] * (x[q] - c->xstar[q]);
        fo[r] = s;
      }
    } else if (spx_fe_force(c->fe, x, fo, c->scratch + (long)th * c->nkeys) != SPX_OK) {
#pragma omp atomic write
      c->bad = 1;
      continue;
    }
    for (int q = 0; q < d; q++) {
      dx[q] = v[q];
      dv[q] = fo[q] - c->gamma * v[q];
    }
    if (c->sphere) {
      double xa = 0.0, vv = 0.0;
      for (int q = 0; q < d; q++) {
        xa += x[q] * dv[q];
        vv += v[q] * v[q];
      }
      for (int q = 0; q < d; q++) dv[q] -= (xa + vv) * x[q];
    }
  }
  return c->bad ? -SPX_ENONFINITE : 0;
}

static void spreads(int N, int d, const double *X, int nmodes, const double *E, int ldE, double *S,
                    int parallel)
{
#pragma omp parallel for schedule(static) if (parallel)
  for (int k = 0; k < nmodes; k++) {
    double mean = 0.0, var = 0.0;
    for (int i = 0; i < N; i++) {
      double c = 0.0;
      for (int q = 0; q < d; q++) c += X[(long)i * d + q] * E[q * ldE + k];
      mean += c;
    }
    mean /= N;
    for (int i = 0; i < N; i++) {
      double c = 0.0;
      for (int q = 0; q < d; q++) c += X[(long)i * d + q] * E[q * ldE + k];
      var += (c - mean) * (c - mean);
    }
    S[k] = sqrt(var / N);
  }
}

int spx_inertial_run(spx_fe *fe, int N, const double *X0, const double *V0, const double *xstar,
                     int nmodes, const double *E, int ldE, const spx_inertial_settings *s,
                     spx_inertial_result **out)
{
  int status = SPX_OK;
  const int d = spx_fe_dim(fe);
  const long len = 2L * N * d;
  const spx_solver_type *T = spx_solver_find(s->method);
  spx_inertial_result *r = NULL;
  void *solver = NULL;
  double *y = NULL;
  in_ctx c = {0};
  *out = NULL;
  if (!T) {
    spx_error("inertial run: unknown integrator \"%s\"", s->method ? s->method : "(null)");
    return SPX_EINVAL;
  }
  if (N < 1 || nmodes < 1 || ldE < nmodes || !(s->dt > 0.0) || !(s->T >= 0.0) || !isfinite(s->T) ||
      !(s->gamma >= 0.0) || !isfinite(s->gamma)) {
    spx_error("inertial run: need N >= 1, 1 <= nmodes <= ldE, dt > 0, a finite T >= 0 and "
              "gamma >= 0 (got N = %d, nmodes = %d, ldE = %d, dt = %g, T = %g, gamma = %g)",
              N, nmodes, ldE, s->dt, s->T, s->gamma);
    return SPX_EINVAL;
  }
  if (s->H && (s->sphere || !xstar)) {
    spx_error("inertial run: the linearised flow is for R^d and needs the point x*");
    return SPX_EINVAL;
  }
  if (s->sphere)
    for (int i = 0; i < N; i++) {
      double xx = 0.0, xv = 0.0;
      for (int q = 0; q < d; q++) {
        xx += X0[(long)i * d + q] * X0[(long)i * d + q];
        if (V0) xv += X0[(long)i * d + q] * V0[(long)i * d + q];
      }
      if (!(fabs(xx - 1.0) <= 1e-8) || !(fabs(xv) <= 1e-8)) {
        spx_error("inertial run on the sphere: query %d must be a unit vector with a tangent "
                  "velocity (|x|^2 = %.17g, <x, v> = %.3g)", i + 1, xx, xv);
        return SPX_EINVAL;
      }
    }
  const int ns = (int)floor(s->T / s->dt + 1e-9) + 1;
  c.fe = fe;
  c.N = N;
  c.d = d;
  c.nkeys = spx_fe_nkeys(fe);
  c.gamma = s->gamma;
  c.sphere = s->sphere;
  c.H = s->H;
  c.xstar = xstar;
  c.nthreads = omp_get_max_threads();
  c.parallel = (double)N * (c.nkeys + d) * d > 4e6;
  c.scratch = malloc(sizeof(double) * c.nthreads * c.nkeys);
  c.force = malloc(sizeof(double) * c.nthreads * d);
  y = malloc(sizeof(double) * len);
  r = calloc(1, sizeof *r);
  if (!c.scratch || !c.force || !y || !r) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  r->nsamples = ns;
  r->nmodes = nmodes;
  r->N = N;
  r->d = d;
  r->t = malloc(sizeof(double) * ns);
  r->S = malloc(sizeof(double) * ns * nmodes);
  r->X = malloc(sizeof(double) * N * d);
  r->V = malloc(sizeof(double) * N * d);
  if (!r->t || !r->S || !r->X || !r->V) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  memcpy(y, X0, sizeof(double) * N * d);
  if (V0) memcpy(y + (long)N * d, V0, sizeof(double) * N * d);
  else memset(y + (long)N * d, 0, sizeof(double) * N * d);
  /* sphere = 0: see the top comment (the equation keeps the sphere; velocities are blocks too) */
  spx_ode ode = {.N = len, .nblocks = 2 * N, .bsize = d, .sphere = 0, .rhs = in_rhs, .jv = NULL,
                 .user = &c};
  spx_solver_settings set = {.rtol = 1e-10, .atol = 1e-12, .dt = s->dt, .max_steps = 0};
  SPX_TRY(T->create(&ode, &set, 0.0, y, &solver));
  r->t[0] = 0.0;
  spreads(N, d, y, nmodes, E, ldE, r->S, c.parallel);
  for (int j = 1; j < ns; j++) {
    double tr;
    r->t[j] = j * s->dt;
    SPX_TRY(T->advance(solver, r->t[j], y, &tr));
    spreads(N, d, y, nmodes, E, ldE, r->S + (long)j * nmodes, c.parallel);
  }
  memcpy(r->X, y, sizeof(double) * N * d);
  memcpy(r->V, y + (long)N * d, sizeof(double) * N * d);
  *out = r;
  r = NULL;
cleanup:
  if (solver) T->free(solver);
  spx_inertial_result_free(r);
  free(y);
  free(c.scratch);
  free(c.force);
  return status;
}

double spx_inertial_fit_rate(const spx_inertial_result *r, int k, double lo, double hi,
                             int min_samples, int *used)
{
  double tm = 0.0, ym = 0.0, stt = 0.0, sty = 0.0;
  int n = 0;
  for (int j = 0; j < r->nsamples; j++) {
    double S = r->S[(long)j * r->nmodes + k];
    if (!(S > lo && S < hi)) continue;
    tm += r->t[j];
    ym += log(S);
    n++;
  }
  if (used) *used = n;
  if (n < min_samples || n < 2) return NAN;
  tm /= n;
  ym /= n;
  for (int j = 0; j < r->nsamples; j++) {
    double S = r->S[(long)j * r->nmodes + k];
    if (!(S > lo && S < hi)) continue;
    stt += (r->t[j] - tm) * (r->t[j] - tm);
    sty += (r->t[j] - tm) * (log(S) - ym);
  }
  return stt > 0.0 ? sty / stt : NAN;
}

double spx_inertial_growth(const spx_inertial_result *r, int k)
{
  return r->S[(long)(r->nsamples - 1) * r->nmodes + k] / r->S[k];
}

int spx_inertial_count_growing(const spx_inertial_result *r, double factor)
{
  int c = 0;
  for (int k = 0; k < r->nmodes; k++) c += spx_inertial_growth(r, k) > factor;
  return c;
}
