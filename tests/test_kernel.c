/* test_kernel.c -- the all-pairs kernel (sim/kernel.c), the model's derived quantities
 * (sim/model.c) and the in-memory integrator (sim/sim.c with the solver back ends).
 *
 * Every expected value comes from spec sphere_dynamics.md or from mathematics:
 *  1. J v against central differences of the RHS: the error of a central difference is O(h^2),
 *     so it drops ~100x when h drops 10x (ratio in [50, 200]); a wrong J v gives ratio ~1.
 *     The RHS itself against a naive evaluation of the defining formulas (§2.1, §2.2, §2.6).
 *  2. Structure of the RHS: |x_i| is a first integral of the norm-aware RHS (§2.6); masks
 *     (transport_routing.md) restrict partners; heads add before the (linear) projection;
 *     SA = USA = P(V xbar) at beta = 0 (§2.2).
 *  3. Single cluster: x(t) = e^{tV} x0 / |e^{tV} x0| for any A, V, beta under SA (§2.7, §10
 *     item 2); skew V = omega J rotates by omega t (S14). Orders of the fixed-step schemes.
 *  4. Equiangular ODE (§6.2, §10 item 3): printed values, the scalar ODE, common rho.
 *  5. Scale invariance (V, beta, t) -> (cV, beta/c, t/c) (§2.7, §10 item 4) and the
 *     eigen-coordinate integration (§2.5, §4.1).
 *  6. Energy (§3, §10 item 1): direct sum, dissipation identity, monotonicity.
 *  7. USA time rescaling (§2.6): shift = beta ||A||_2, RHS scaled by e^{-shift}.
 *  8. Thread independence of RHS / J v / energy (kernel.h: fixed summation order).
 *  9. Non-finite states are reported with the particle.
 * 10. CVODE back ends against GSL rk8pd; projection keeps |x_i| = 1.
 * 11. Kernel paths (issue 4): the exponential against expl (<= 4 ulp over the range the kernel
 *     feeds it), every row path (small d, generic, BLAS-3) against the plain reference loop,
 *     small = generic bitwise, the loose-bound fallback, row ranges, thread independence, and
 *     the memory of an n = 100 000 system (< 256 MB).
 */
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "harness.h"
#include "kernel.h"
#include "mat.h"
#include "model.h"
#include "sim.h"
#include "status.h"

#define DMAX 16 /* largest d used here (stack scratch of the reference formulas) */

static gsl_rng *rng;

/* ---------------------------------------------------------------------------------------------
 * Helpers: random data, models, one-shot kernel calls, integration, norms.
 * ------------------------------------------------------------------------------------------- */

/* d x d Gaussian matrix with entries N(0, 1/d): generic, non-symmetric, ||M||_2 ~ 2. */
static void rand_matrix(int d, double *M)
{
  for (int i = 0; i < d * d; i++) M[i] = gsl_ran_gaussian(rng, 1.0) / sqrt((double)d);
}

/* n rows with uniform random directions and norms uniform in [rlo, rhi]. */
static void rand_state(int n, int d, double rlo, double rhi, double *x)
{
  for (int i = 0; i < n; i++) {
    double s = 0.0, *xi = x + (long)i * d;
    for (int a = 0; a < d; a++) {
      xi[a] = gsl_ran_gaussian(rng, 1.0);
      s += xi[a] * xi[a];
    }
    double r = rlo + (rhi - rlo) * gsl_rng_uniform(rng);
    for (int a = 0; a < d; a++) xi[a] *= r / sqrt(s);
  }
}

/* n unit rows e_1 + spread * N(0, I), renormalized: a cluster around e_1. */
static void clustered_state(int n, int d, double spread, double *x)
{
  for (int i = 0; i < n; i++) {
    double s = 0.0;
    for (int a = 0; a < d; a++) {
      x[i * d + a] = (a == 0 ? 1.0 : 0.0) + spread * gsl_ran_gaussian(rng, 1.0);
      s += x[i * d + a] * x[i * d + a];
    }
    for (int a = 0; a < d; a++) x[i * d + a] /= sqrt(s);
  }
}

/* A model with H heads whose matrices are A + h d d, V + h d d, finalized; NULL on failure. */
static spx_model *model_new(int n, int d, int H, double beta, spx_normalization norm,
                            int norm_aware, spx_mask mask, int window, const double *A,
                            const double *V, int usa_rescaled)
{
  spx_model *m = NULL;
  if (spx_model_create(n, d, H, &m) != SPX_OK) return NULL;
  m->beta = beta;
  m->norm = norm;
  m->norm_aware = norm_aware;
  m->mask = mask;
  m->window = window;
  for (int h = 0; h < H; h++) {
    memcpy(m->heads[h].A, A + (long)h * d * d, sizeof(double) * d * d);
    memcpy(m->heads[h].V, V + (long)h * d * d, sizeof(double) * d * d);
  }
  if (spx_model_finalize(m, usa_rescaled) != SPX_OK) {
    spx_model_free(m);
    return NULL;
  }
  return m;
}

/* f = RHS(x) with a fresh kernel; returns the kernel's status. */
static int rhs_once(const spx_model *m, const double *x, double *f)
{
  spx_kernel *k = NULL;
  int st = spx_kernel_create(m, &k);
  if (st == SPX_OK) st = spx_kernel_rhs(k, x, f);
  spx_kernel_free(k);
  return st;
}

/* The RHS straight from its definition (spec §2.1, §2.2, §2.6), O(n^2 d^2), no tricks:
 * u_j = x_j/|x_j| (norm-aware) or x_j; w_ij = exp(beta <u_i, A u_j> - s) / N_i over the partners
 * j of i, N_i = sum_j exp(...) (SA, s = row max) or n (USA, s = usa_shift);
 * F_i = sum_h sum_j w_ij V u_j; f_i = F_i - <u_i, F_i> u_i. */
static void rhs_reference(const spx_model *m, const double *x, double *f)
{
  const int n = m->n, d = m->d;
  double *u = malloc(sizeof(double) * n * d), *L = malloc(sizeof(double) * n);
  double *F = malloc(sizeof(double) * d);
  for (int i = 0; i < n; i++) {
    double s = 0.0;
    for (int a = 0; a < d; a++) s += x[i * d + a] * x[i * d + a];
    double c = m->norm_aware ? 1.0 / sqrt(s) : 1.0;
    for (int a = 0; a < d; a++) u[i * d + a] = c * x[i * d + a];
  }
  for (int i = 0; i < n; i++) {
    int lo, hi;
    spx_model_partners(m, i, &lo, &hi);
    const double *ui = u + (long)i * d;
    for (int a = 0; a < d; a++) F[a] = 0.0;
    for (int h = 0; h < m->nheads; h++) {
      const double *A = m->heads[h].A, *V = m->heads[h].V;
      double mx = -INFINITY, z = 0.0;
      for (int j = lo; j < hi; j++) {
        double l = 0.0;
        for (int a = 0; a < d; a++)
          for (int b = 0; b < d; b++) l += ui[a] * A[a * d + b] * u[j * d + b];
        L[j - lo] = m->beta * l;
        mx = fmax(mx, L[j - lo]);
      }
      double shift = m->norm == SPX_NORM_SA ? mx : m->usa_shift;
      for (int j = lo; j < hi; j++) z += exp(L[j - lo] - shift);
      double N = m->norm == SPX_NORM_SA ? z : (double)n;
      for (int j = lo; j < hi; j++) {
        double w = exp(L[j - lo] - shift) / N;
        for (int a = 0; a < d; a++)
          for (int b = 0; b < d; b++) F[a] += w * V[a * d + b] * u[j * d + b];
      }
    }
    double p = 0.0;
    for (int a = 0; a < d; a++) p += ui[a] * F[a];
    for (int a = 0; a < d; a++) f[i * d + a] = F[a] - p * ui[a];
  }
  free(u);
  free(L);
  free(F);
}

/* log E_beta = log((1/(2 beta)) sum_ij exp(beta <u_i, S u_j>)) on the renormalized rows u of x,
 * straight from the definition (spec §3) in long double. */
static double log_energy_direct(int n, int d, double beta, const double *S, const double *x)
{
  long double direct = 0.0L;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double l = 0.0, ni = 0.0, nj = 0.0;
      for (int a = 0; a < d; a++) {
        ni += x[i * d + a] * x[i * d + a];
        nj += x[j * d + a] * x[j * d + a];
        for (int b = 0; b < d; b++) l += x[i * d + a] * S[a * d + b] * x[j * d + b];
      }
      direct += expl((long double)(beta * l / sqrt(ni * nj)));
    }
  return (double)logl(direct / (2.0L * (long double)beta));
}

static double max_abs(long len, const double *a)
{
  double r = 0.0;
  for (long i = 0; i < len; i++) r = fmax(r, fabs(a[i]));
  return r;
}

/* max_i |a_i - b_i|; NaN propagates (so a NaN fails every tolerance test). */
static double max_diff(long len, const double *a, const double *b)
{
  double r = 0.0;
  for (long i = 0; i < len; i++) {
    double e = fabs(a[i] - b[i]);
    if (!(e <= r)) r = e;
  }
  return r;
}

/* max_i ||x_i| - 1|. */
static double norm_defect(int n, int d, const double *x)
{
  double r = 0.0;
  for (int i = 0; i < n; i++) {
    double s = 0.0;
    for (int a = 0; a < d; a++) s += x[i * d + a] * x[i * d + a];
    r = fmax(r, fabs(sqrt(s) - 1.0));
  }
  return r;
}

static spx_solver_settings settings(double rtol, double atol, double dt)
{
  spx_solver_settings s = {.rtol = rtol, .atol = atol, .dt = dt, .max_steps = 0, .max_order = 0,
                           .h0 = 0.0};
  return s;
}

/* Integrate m from x0 at t = 0 to T with method; final x-frame state in xT. Optional stats. */
static int integrate(const spx_model *m, const char *method, spx_solver_settings set,
                     const double *x0, double T, double *xT, spx_solver_stats *st)
{
  spx_sim *s = NULL;
  int status = spx_sim_create(m, method, &set, 0.0, x0, &s);
  if (status == SPX_OK) status = spx_sim_advance(s, T);
  if (status == SPX_OK && spx_sim_time(s) != T) status = SPX_EINTERNAL;
  if (status == SPX_OK) spx_sim_state_x(s, xT);
  if (status == SPX_OK && st) spx_sim_stats(s, st);
  spx_sim_free(s);
  return status;
}

/* E = e^{t M} (d x d) by scaling and squaring of the Taylor series (35 terms on ||tM||_1 <= 1/2:
 * truncation far below double precision). */
static void expm(int d, const double *M, double t, double *E)
{
  double B[DMAX * DMAX], T[DMAX * DMAX], P[DMAX * DMAX], nrm = 0.0;
  int s = 0;
  for (int i = 0; i < d * d; i++) nrm = fmax(nrm, fabs(t * M[i]) * d);
  while (nrm > 0.5) {
    nrm *= 0.5;
    s++;
  }
  for (int i = 0; i < d * d; i++) B[i] = t * M[i] / ldexp(1.0, s);
  spx_mat_identity(d, E);
  spx_mat_identity(d, T);
  for (int k = 1; k <= 35; k++) {
    spx_mat_mul(d, d, d, T, B, P);
    for (int i = 0; i < d * d; i++) {
      T[i] = P[i] / k;
      E[i] += T[i];
    }
  }
  for (int r = 0; r < s; r++) {
    spx_mat_mul(d, d, d, E, E, P);
    memcpy(E, P, sizeof(double) * d * d);
  }
}

static const char *norm_name(spx_normalization nm) { return nm == SPX_NORM_SA ? "SA" : "USA"; }
static const char *mask_name(spx_mask mk)
{
  return mk == SPX_MASK_CAUSAL ? "causal" : mk == SPX_MASK_WINDOW ? "window 3" : "no mask";
}

/* ---------------------------------------------------------------------------------------------
 * 1. J v against central differences; RHS against its definition.
 * ------------------------------------------------------------------------------------------- */

/* Central-difference error max|J v - (f(x + h v) - f(x - h v)) / 2h| at step h. */
static double fd_error(spx_kernel *k, int len, const double *x, const double *v, const double *Jv,
                       double h, double *xp, double *fp, double *fm)
{
  for (int i = 0; i < len; i++) xp[i] = x[i] + h * v[i];
  if (spx_kernel_rhs(k, xp, fp) != SPX_OK) return NAN;
  for (int i = 0; i < len; i++) xp[i] = x[i] - h * v[i];
  if (spx_kernel_rhs(k, xp, fm) != SPX_OK) return NAN;
  double e = 0.0;
  for (int i = 0; i < len; i++) {
    double r = fabs(Jv[i] - (fp[i] - fm[i]) / (2.0 * h));
    if (!(r <= e)) e = r;
  }
  return e;
}

static void test_jv_and_reference(void)
{
  enum { N = 9 };
  const int dims[2] = {3, 5};
  const spx_mask masks[3] = {SPX_MASK_NONE, SPX_MASK_CAUSAL, SPX_MASK_WINDOW};
  for (int id = 0; id < 2; id++)
    for (int nm = 0; nm < 2; nm++)
      for (int na = 1; na >= 0; na--)
        for (int im = 0; im < 3; im++) {
          const int d = dims[id], len = N * d;
          double rmin = INFINITY, rmax = -INFINITY, refrel = 0.0, e3worst = 0.0;
          int ok = 1;
          for (int H = 1; H <= 2; H++)
            for (int off = 0; off < 2; off++) {
              double A[2 * DMAX * DMAX], V[2 * DMAX * DMAX];
              double x[N * DMAX], v[N * DMAX], Jv[N * DMAX], f[N * DMAX], fr[N * DMAX];
              double xp[N * DMAX], fp[N * DMAX], fm[N * DMAX];
              for (int h = 0; h < H; h++) {
                rand_matrix(d, A + h * d * d);
                rand_matrix(d, V + h * d * d);
              }
              spx_model *m = model_new(N, d, H, 3.0, (spx_normalization)nm, na, masks[im], 3, A,
                                       V, 0);
              spx_kernel *k = NULL;
              if (!m || spx_kernel_create(m, &k) != SPX_OK) {
                ok = 0;
                spx_model_free(m);
                continue;
              }
              /* On the sphere, or off it with |x_i| in [0.9, 1.2] (spec: e.g. 1.1). */
              rand_state(N, d, off ? 0.9 : 1.0, off ? 1.2 : 1.0, x);
              for (int i = 0; i < len; i++) v[i] = gsl_ran_gaussian(rng, 1.0);
              if (spx_kernel_jv(k, x, v, Jv) != SPX_OK || spx_kernel_rhs(k, x, f) != SPX_OK) ok = 0;
              double e3 = fd_error(k, len, x, v, Jv, 1e-3, xp, fp, fm);
              double e4 = fd_error(k, len, x, v, Jv, 1e-4, xp, fp, fm);
              double ratio = e3 / e4;
              if (!(ratio >= rmin)) rmin = ratio;
              if (!(ratio <= rmax)) rmax = ratio;
              e3worst = fmax(e3worst, e3 / fmax(max_abs(len, Jv), 1e-300));
              rhs_reference(m, x, fr);
              double r = max_diff(len, f, fr) / max_abs(len, fr);
              if (!(r <= refrel)) refrel = r;
              spx_kernel_free(k);
              spx_model_free(m);
            }
          char name[160];
          snprintf(name, sizeof name,
                   "J v vs central differences, d=%d %s norm_aware=%d %s (H=1,2; on/off sphere): "
                   "error ratio h=1e-3/1e-4 in [50, 200]",
                   d, norm_name((spx_normalization)nm), na, mask_name(masks[im]));
          spx_test(ok && rmin >= 50.0 && rmax <= 200.0, name,
                   "ratios in [%.1f, %.1f], rel FD error at h=1e-3 %.2g", rmin, rmax, e3worst);
          snprintf(name, sizeof name,
                   "RHS = definition (spec 2.1/2.2/2.6), d=%d %s norm_aware=%d %s (H=1,2; on/off "
                   "sphere): rel 1e-13",
                   d, norm_name((spx_normalization)nm), na, mask_name(masks[im]));
          spx_test(ok && refrel <= 1e-13, name, "max rel diff %.3g", refrel);
        }
}

/* ---------------------------------------------------------------------------------------------
 * 2. Structure of the RHS.
 * ------------------------------------------------------------------------------------------- */

static void test_structure(void)
{
  enum { N = 9 };
  double A[2 * DMAX * DMAX], V[2 * DMAX * DMAX];
  double x[N * DMAX], x2[N * DMAX], f[N * DMAX], f2[N * DMAX], f1[N * DMAX], fsum[N * DMAX];
  char name[160];

  /* |x_i| is a first integral of the norm-aware RHS: <x_i, f_i> = 0 even off the sphere. */
  for (int d = 3; d <= 5; d += 2)
    for (int nm = 0; nm < 2; nm++) {
      double worst = 0.0;
      for (int H = 1; H <= 2; H++)
        for (int im = 0; im < 3; im++) {
          for (int h = 0; h < H; h++) {
            rand_matrix(d, A + h * d * d);
            rand_matrix(d, V + h * d * d);
          }
          spx_model *m = model_new(N, d, H, 3.0, (spx_normalization)nm, 1, (spx_mask)im, 3, A, V,
                                   0);
          rand_state(N, d, 0.5, 2.0, x);
          if (!m || rhs_once(m, x, f) != SPX_OK) worst = NAN;
          for (int i = 0; i < N && m; i++) {
            double p = 0.0;
            for (int a = 0; a < d; a++) p += x[i * d + a] * f[i * d + a];
            if (!(fabs(p) <= worst)) worst = fabs(p);
          }
          spx_model_free(m);
        }
      snprintf(name, sizeof name,
               "norm-aware RHS, d=%d %s, |x_i| in [0.5, 2] (all masks, H=1,2): max |<x_i, f_i>| "
               "<= 1e-14",
               d, norm_name((spx_normalization)nm));
      spx_test_le(name, worst, 1e-14);
    }

  /* Masks: f_i depends only on the partners of i. */
  for (int im = 1; im <= 2; im++) {
    const int d = 3, w = 3, j = im == 1 ? 6 : 2;
    rand_matrix(d, A);
    rand_matrix(d, V);
    spx_model *m = model_new(N, d, 1, 3.0, SPX_NORM_SA, 1, (spx_mask)im, w, A, V, 0);
    rand_state(N, d, 1.0, 1.0, x);
    memcpy(x2, x, sizeof(double) * N * d);
    rand_state(1, d, 1.0, 1.0, x2 + j * d); /* particle j moves */
    double same = 0.0, changed = INFINITY;
    if (!m || rhs_once(m, x, f) != SPX_OK || rhs_once(m, x2, f2) != SPX_OK) same = NAN;
    for (int i = 0; i < N && m; i++) {
      int lo, hi;
      spx_model_partners(m, i, &lo, &hi);
      double e = max_diff(d, f + i * d, f2 + i * d);
      if (j >= lo && j < hi) changed = fmin(changed, e);
      else if (!(e <= same)) same = e;
    }
    snprintf(name, sizeof name,
             "%s mask: f_i unchanged when a non-partner particle %d moves (max |df_i| = 0)",
             mask_name((spx_mask)im), j);
    spx_test(same == 0.0, name, "max |df_i| over non-partners %.3g", same);
    snprintf(name, sizeof name, "%s mask: f_i of every partner of particle %d changes (> 1e-6)",
             mask_name((spx_mask)im), j);
    spx_test(changed > 1e-6, name, "min |df_i| over rows that see particle %d: %.3g", j, changed);
    spx_model_free(m);
  }

  /* Heads add before the projection, which is linear in F for fixed x: f(H=2) = f1 + f2. */
  for (int d = 3; d <= 5; d += 2)
    for (int nm = 0; nm < 2; nm++) {
      for (int h = 0; h < 2; h++) {
        rand_matrix(d, A + h * d * d);
        rand_matrix(d, V + h * d * d);
      }
      spx_model *m2 = model_new(N, d, 2, 3.0, (spx_normalization)nm, 1, SPX_MASK_NONE, 1, A, V, 0);
      spx_model *ma = model_new(N, d, 1, 3.0, (spx_normalization)nm, 1, SPX_MASK_NONE, 1, A, V, 0);
      spx_model *mb = model_new(N, d, 1, 3.0, (spx_normalization)nm, 1, SPX_MASK_NONE, 1,
                                A + d * d, V + d * d, 0);
      rand_state(N, d, 1.0, 1.0, x);
      double r = NAN;
      if (m2 && ma && mb && rhs_once(m2, x, f) == SPX_OK && rhs_once(ma, x, f1) == SPX_OK &&
          rhs_once(mb, x, f2) == SPX_OK) {
        for (int i = 0; i < N * d; i++) fsum[i] = f1[i] + f2[i];
        r = max_diff(N * d, f, fsum) / max_abs(N * d, fsum);
      }
      snprintf(name, sizeof name, "H=2 heads, d=%d %s: f = f_head1 + f_head2 (rel 1e-14)", d,
               norm_name((spx_normalization)nm));
      spx_test_le(name, r, 1e-14);
      spx_model_free(m2);
      spx_model_free(ma);
      spx_model_free(mb);
    }

  /* beta = 0: SA and USA both give P_{x_i}(V xbar) (spec §2.2). */
  for (int d = 3; d <= 5; d += 2) {
    rand_matrix(d, A);
    rand_matrix(d, V);
    spx_model *ms = model_new(N, d, 1, 0.0, SPX_NORM_SA, 1, SPX_MASK_NONE, 1, A, V, 0);
    spx_model *mu = model_new(N, d, 1, 0.0, SPX_NORM_USA, 1, SPX_MASK_NONE, 1, A, V, 0);
    rand_state(N, d, 1.0, 1.0, x);
    double xbar[DMAX] = {0}, Vx[DMAX];
    for (int i = 0; i < N; i++)
      for (int a = 0; a < d; a++) xbar[a] += x[i * d + a] / N;
    spx_mat_mul(d, d, 1, V, xbar, Vx);
    for (int i = 0; i < N; i++) {
      double p = 0.0;
      for (int a = 0; a < d; a++) p += x[i * d + a] * Vx[a];
      for (int a = 0; a < d; a++) fsum[i * d + a] = Vx[a] - p * x[i * d + a];
    }
    double es = NAN, eu = NAN;
    if (ms && mu && rhs_once(ms, x, f1) == SPX_OK && rhs_once(mu, x, f2) == SPX_OK) {
      es = max_diff(N * d, f1, fsum);
      eu = max_diff(N * d, f2, fsum);
    }
    snprintf(name, sizeof name, "beta=0, d=%d: SA RHS = P(V xbar) (1e-14)", d);
    spx_test_le(name, es, 1e-14);
    snprintf(name, sizeof name, "beta=0, d=%d: USA RHS = P(V xbar) (1e-14)", d);
    spx_test_le(name, eu, 1e-14);
    spx_model_free(ms);
    spx_model_free(mu);
  }
}

/* ---------------------------------------------------------------------------------------------
 * 3. Single cluster: x(T) = e^{TV} x0 / |e^{TV} x0| (spec §2.7); fixed-step orders.
 * ------------------------------------------------------------------------------------------- */

static void test_single_cluster(void)
{
  enum { N = 7, D = 3 };
  const double T = 2.0;
  double A[D * D], V[D * D], E[D * D], x0[D], ex[D], X0[N * D], XT[N * D], XE[N * D];
  char name[160];
  rand_matrix(D, A);
  rand_matrix(D, V);
  rand_state(1, D, 1.0, 1.0, x0);
  expm(D, V, T, E);
  spx_mat_mul(D, D, 1, E, x0, ex);
  double s = sqrt(ex[0] * ex[0] + ex[1] * ex[1] + ex[2] * ex[2]);
  for (int i = 0; i < N; i++)
    for (int a = 0; a < D; a++) {
      X0[i * D + a] = x0[a];
      XE[i * D + a] = ex[a] / s;
    }
  spx_model *m = model_new(N, D, 1, 3.0, SPX_NORM_SA, 1, SPX_MASK_NONE, 1, A, V, 0);
  const char *methods[2] = {"adams", "rk8pd"};
  for (int k = 0; k < 2; k++) {
    double e = NAN;
    if (m && integrate(m, methods[k], settings(1e-10, 1e-12, 0.0), X0, T, XT, NULL) == SPX_OK)
      e = max_diff(N * D, XT, XE);
    snprintf(name, sizeof name,
             "single cluster n=7, random A, V, beta=3, SA, %s: x(2) = e^{2V}x0/|.| to 1e-8",
             methods[k]);
    spx_test_le(name, e, 1e-8);
  }

  /* Fixed-step schemes (renormalized): global error O(dt^p), so halving dt divides it by 2^p. */
  struct { const char *method; double dt; double lo, hi; int p; } fx[2] = {
      {"rk4", 0.1, 12.0, 20.0, 4}, {"euler", 0.01, 1.8, 2.2, 1}};
  for (int k = 0; k < 2; k++) {
    double e1 = NAN, e2 = NAN;
    if (m && integrate(m, fx[k].method, settings(0, 0, fx[k].dt), X0, T, XT, NULL) == SPX_OK)
      e1 = max_diff(N * D, XT, XE);
    if (m && integrate(m, fx[k].method, settings(0, 0, fx[k].dt / 2), X0, T, XT, NULL) == SPX_OK)
      e2 = max_diff(N * D, XT, XE);
    snprintf(name, sizeof name,
             "single cluster, %s: error ratio dt=%g vs dt/2 is ~2^%d (in [%g, %g])", fx[k].method,
             fx[k].dt, fx[k].p, fx[k].lo, fx[k].hi);
    spx_test(e1 / e2 >= fx[k].lo && e1 / e2 <= fx[k].hi, name, "errors %.3g, %.3g ratio %.3f", e1,
             e2, e1 / e2);
  }
  spx_model_free(m);

  /* Skew V = omega J (d = 2): the cluster rotates at angular speed omega (S14). */
  {
    enum { D2 = 2 };
    const double om = 0.7;
    double A2[D2 * D2], V2[D2 * D2] = {0.0, -om, om, 0.0}, Y0[N * D2], YT[N * D2];
    rand_matrix(D2, A2);
    double th0 = 2.0 * M_PI * gsl_rng_uniform(rng);
    for (int i = 0; i < N; i++) {
      Y0[i * D2] = cos(th0);
      Y0[i * D2 + 1] = sin(th0);
    }
    spx_model *m2 = model_new(N, D2, 1, 3.0, SPX_NORM_SA, 1, SPX_MASK_NONE, 1, A2, V2, 0);
    for (int k = 0; k < 2; k++) {
      double ang = NAN;
      if (m2 && integrate(m2, methods[k], settings(1e-10, 1e-12, 0.0), Y0, T, YT, NULL) == SPX_OK) {
        /* signed angle from x0 to x(T) of particle 0; all particles are identical */
        ang = atan2(Y0[0] * YT[1] - Y0[1] * YT[0], Y0[0] * YT[0] + Y0[1] * YT[1]);
        if (max_diff(D2, YT, YT + (N - 1) * D2) != 0.0) ang = NAN;
      }
      snprintf(name, sizeof name, "skew V = 0.7 J, d=2, %s: rotation angle at T=2 is 1.4 (1e-8)",
               methods[k]);
      spx_test_abs(name, ang, om * T, 1e-8);
    }
    spx_model_free(m2);
  }
}

/* ---------------------------------------------------------------------------------------------
 * 4. Equiangular ODE (spec §6.2, §10 item 3).
 * ------------------------------------------------------------------------------------------- */

typedef struct {
  int n, usa;
  double beta;
} eq_params;

static int eq_rhs(double t, const double y[], double dydt[], void *params)
{
  const eq_params *p = params;
  const double r = y[0], e = exp(p->beta * r), g = (1.0 - r) * ((p->n - 1) * r + 1.0);
  dydt[0] = p->usa ? 2.0 / p->n * e * g : 2.0 * e * g / (exp(p->beta) + (p->n - 1) * e);
  return GSL_SUCCESS;
}

/* rho(t1), rho(t2) of the scalar ODE from rho(0) = 0 (GSL rk8pd, tolerances 1e-13). */
static int eq_scalar(eq_params *p, double t1, double t2, double *r1, double *r2)
{
  gsl_odeiv2_system sys = {eq_rhs, NULL, 1, p};
  gsl_odeiv2_driver *drv = gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, 1e-6,
                                                         1e-13, 1e-13);
  if (!drv) return SPX_ENOMEM;
  double t = 0.0, y[1] = {0.0};
  int st = gsl_odeiv2_driver_apply(drv, &t, t1, y);
  *r1 = y[0];
  if (st == GSL_SUCCESS) st = gsl_odeiv2_driver_apply(drv, &t, t2, y);
  *r2 = y[0];
  gsl_odeiv2_driver_free(drv);
  return st == GSL_SUCCESS ? SPX_OK : SPX_ESOLVER;
}

static void test_equiangular(void)
{
  enum { N = 8, D = 8 };
  struct { spx_normalization nm; double beta, r1, r4; } cs[4] = {
      {SPX_NORM_SA, 0.5, 0.40970, 0.996807},
      {SPX_NORM_SA, 2.0, 0.23070, 0.990088},
      {SPX_NORM_SA, 5.0, 0.013830, 0.071744},
      {SPX_NORM_USA, 0.5, 0.50866, 0.999939}};
  double I[D * D], X0[N * D], X[N * D];
  char name[160];
  spx_mat_identity(D, I);
  spx_mat_identity(D, X0);
  for (int c = 0; c < 4; c++) {
    spx_model *m = model_new(N, D, 1, cs[c].beta, cs[c].nm, 1, SPX_MASK_NONE, 1, I, I, 0);
    spx_solver_settings set = settings(1e-11, 1e-13, 0.0);
    spx_sim *s = NULL;
    double rho[2] = {NAN, NAN}, spread = 0.0;
    const double times[2] = {1.0, 4.0};
    int st = m ? spx_sim_create(m, "adams", &set, 0.0, X0, &s) : SPX_ENOMEM;
    for (int k = 0; k < 2 && st == SPX_OK; k++) {
      st = spx_sim_advance(s, times[k]);
      if (st != SPX_OK) break;
      spx_sim_state_x(s, X);
      double g[N * N];
      for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
          double p = 0.0;
          for (int a = 0; a < D; a++) p += X[i * D + a] * X[j * D + a];
          g[i * N + j] = p;
        }
      rho[k] = g[0 * N + 1];
      for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
          if (i != j && !(fabs(g[i * N + j] - rho[k]) <= spread)) spread = fabs(g[i * N + j] - rho[k]);
    }
    if (st != SPX_OK) spread = NAN;
    const char *nn = norm_name(cs[c].nm);
    snprintf(name, sizeof name, "equiangular %s beta=%g: rho(1) = %g (spec 10.3, 1e-4)", nn,
             cs[c].beta, cs[c].r1);
    spx_test_abs(name, rho[0], cs[c].r1, 1e-4);
    snprintf(name, sizeof name, "equiangular %s beta=%g: rho(4) = %g (spec 10.3, 1e-4)", nn,
             cs[c].beta, cs[c].r4);
    spx_test_abs(name, rho[1], cs[c].r4, 1e-4);
    eq_params p = {N, cs[c].nm == SPX_NORM_USA, cs[c].beta};
    double s1 = NAN, s4 = NAN;
    eq_scalar(&p, 1.0, 4.0, &s1, &s4);
    snprintf(name, sizeof name,
             "equiangular %s beta=%g: particle rho(1), rho(4) = scalar ODE (spec 6.2) to 1e-7", nn,
             cs[c].beta);
    spx_test(fabs(rho[0] - s1) <= 1e-7 && fabs(rho[1] - s4) <= 1e-7, name,
             "particles %.10f %.10f, scalar ODE %.10f %.10f", rho[0], rho[1], s1, s4);
    snprintf(name, sizeof name, "equiangular %s beta=%g: all pairs share rho (1e-9)", nn,
             cs[c].beta);
    spx_test_le(name, spread, 1e-9);
    spx_sim_free(s);
    spx_model_free(m);
  }
}

/* ---------------------------------------------------------------------------------------------
 * 5. Scale invariance and eigen-coordinates.
 * ------------------------------------------------------------------------------------------- */

static void test_scale_and_eigen(void)
{
  enum { N = 20, D = 3 };
  const double lam[D] = {1.0, 0.5, -0.3};
  double L[D * D] = {0}, L2[D * D] = {0}, X0[N * D], Xa[N * D], Xb[N * D];
  char name[160];
  for (int a = 0; a < D; a++) {
    L[a * D + a] = lam[a];
    L2[a * D + a] = 2.0 * lam[a];
  }
  rand_state(N, D, 1.0, 1.0, X0);
  const spx_solver_settings set = settings(1e-12, 1e-14, 0.0);
  for (int nm = 0; nm < 2; nm++) {
    spx_model *m1 = model_new(N, D, 1, 2.0, (spx_normalization)nm, 1, SPX_MASK_NONE, 1, L, L, 0);
    spx_model *m2 = model_new(N, D, 1, 1.0, (spx_normalization)nm, 1, SPX_MASK_NONE, 1, L2, L2, 0);
    double e = NAN;
    if (m1 && m2 && integrate(m1, "rk8pd", set, X0, 3.0, Xa, NULL) == SPX_OK &&
        integrate(m2, "rk8pd", set, X0, 1.5, Xb, NULL) == SPX_OK)
      e = max_diff(N * D, Xa, Xb);
    snprintf(name, sizeof name,
             "scale invariance %s: (V, beta, T) = (diag(1,.5,-.3), 2, 3) vs (2V, 1, 1.5) to 1e-8",
             norm_name((spx_normalization)nm));
    spx_test_le(name, e, 1e-8);
    spx_model_free(m1);
    spx_model_free(m2);
  }

  /* The same flow with V = U Lambda U^T in the x frame vs eigen-coordinates y = U^T x. */
  double U[D * D], UL[D * D], Ut[D * D], Vx[D * D];
  if (spx_mat_random_orthogonal(D, rng, U) != SPX_OK) {
    spx_test(0, "random orthogonal basis", "spx_mat_random_orthogonal failed");
    return;
  }
  spx_mat_mul(D, D, D, U, L, UL);
  spx_mat_transpose(D, D, U, Ut);
  spx_mat_mul(D, D, D, UL, Ut, Vx);
  for (int nm = 0; nm < 2; nm++) {
    spx_model *mx = model_new(N, D, 1, 2.0, (spx_normalization)nm, 1, SPX_MASK_NONE, 1, Vx, Vx, 0);
    spx_model *my = NULL;
    double e = NAN;
    if (spx_model_create(N, D, 1, &my) == SPX_OK) {
      my->beta = 2.0;
      my->norm = (spx_normalization)nm;
      memcpy(my->heads[0].A, L, sizeof L);
      memcpy(my->heads[0].V, L, sizeof L);
      memcpy(my->spectrum, lam, sizeof lam);
      memcpy(my->U, U, sizeof U);
      my->basis_set = 1;
      my->eigen_coords = 1;
      if (spx_model_finalize(my, 0) != SPX_OK) {
        spx_model_free(my);
        my = NULL;
      }
    }
    if (mx && my && integrate(mx, "rk8pd", set, X0, 3.0, Xa, NULL) == SPX_OK &&
        integrate(my, "rk8pd", set, X0, 3.0, Xb, NULL) == SPX_OK)
      e = max_diff(N * D, Xa, Xb);
    snprintf(name, sizeof name,
             "eigen-coordinates %s: run in y = U^T x with diag(spectrum) = x-frame run (1e-8)",
             norm_name((spx_normalization)nm));
    spx_test_le(name, e, 1e-8);
    spx_model_free(mx);
    spx_model_free(my);
  }
}

/* ---------------------------------------------------------------------------------------------
 * 6. Energy (spec §3, §10 item 1).
 * ------------------------------------------------------------------------------------------- */

static void test_energy(void)
{
  enum { N = 40, D = 4, NOUT = 201 };
  const double beta = 2.0, T = 10.0, h = 1e-5;
  double V[D * D], x[N * D], f[N * D], xp[N * D], x11[N * D];
  char name[160];
  spx_mat_goe(D, rng, V);
  for (int nm = 0; nm < 2; nm++) {
    const char *nn = norm_name((spx_normalization)nm);
    spx_model *m = model_new(N, D, 1, beta, (spx_normalization)nm, 1, SPX_MASK_NONE, 1, V, V, 0);
    spx_kernel *k = NULL;
    if (!m || spx_kernel_create(m, &k) != SPX_OK) {
      spx_test(0, "energy: model and kernel", "creation failed");
      spx_model_free(m);
      continue;
    }
    snprintf(name, sizeof name, "energy %s: symmetric A = V unmasked H=1 is a gradient flow", nn);
    spx_test(m->symmetric == 1 && m->gradient_flow == 1, name, "symmetric %d gradient_flow %d",
             m->symmetric, m->gradient_flow);
    rand_state(N, D, 1.0, 1.0, x);

    /* log E against the direct sum (1/(2 beta)) sum_ij exp(beta <x_i, A x_j>). */
    double direct = 0.0;
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        double l = 0.0;
        for (int a = 0; a < D; a++)
          for (int b = 0; b < D; b++) l += x[i * D + a] * V[a * D + b] * x[j * D + b];
        direct += exp(beta * l);
      }
    direct /= 2.0 * beta;
    double l0 = spx_kernel_log_energy(k, x);
    snprintf(name, sizeof name, "energy %s: log E = log of the direct double sum (1e-12)", nn);
    spx_test_abs(name, l0, log(direct), 1e-12);
    for (int i = 0; i < N * D; i++) x11[i] = 1.1 * x[i];
    snprintf(name, sizeof name, "energy %s: E measured on renormalized rows, E(1.1 x) = E(x)", nn);
    spx_test_abs(name, spx_kernel_log_energy(k, x11), l0, 1e-12);

    /* Dissipation identity dE/dt = sum Z_i |f_i|^2 (SA) or n sum |f_i|^2 (USA). */
    double diss = spx_kernel_dissipation(k, x), fd = NAN;
    if (spx_kernel_rhs(k, x, f) == SPX_OK) {
      for (int i = 0; i < N * D; i++) xp[i] = x[i] + h * f[i];
      double lp = spx_kernel_log_energy(k, xp);
      for (int i = 0; i < N * D; i++) xp[i] = x[i] - h * f[i];
      double lm = spx_kernel_log_energy(k, xp);
      fd = exp(l0) * (expm1(lp - l0) - expm1(lm - l0)) / (2.0 * h);
    }
    /* the identity written out independently from f and the direct Z_i */
    double ident = 0.0;
    for (int i = 0; i < N; i++) {
      double Z = 0.0, f2 = 0.0;
      for (int j = 0; j < N; j++) {
        double l = 0.0;
        for (int a = 0; a < D; a++)
          for (int b = 0; b < D; b++) l += x[i * D + a] * V[a * D + b] * x[j * D + b];
        Z += exp(beta * l);
      }
      for (int a = 0; a < D; a++) f2 += f[i * D + a] * f[i * D + a];
      ident += (nm == SPX_NORM_SA ? Z : (double)N) * f2;
    }
    snprintf(name, sizeof name, "energy %s: spx_kernel_dissipation = %s (1e-12 rel)", nn,
             nm == SPX_NORM_SA ? "sum_i Z_i |f_i|^2" : "n sum_i |f_i|^2");
    spx_test_rel(name, diss, ident, 1e-12);
    snprintf(name, sizeof name,
             "energy %s: centred FD (E(x+hf)-E(x-hf))/2h = dissipation (1e-6 rel, h=1e-5)", nn);
    spx_test_rel(name, fd, diss, 1e-6);

    /* Monotonicity along a run, 201 output times on [0, 10]. */
    spx_solver_settings set = settings(1e-10, 1e-12, 0.0);
    spx_sim *s = NULL;
    double minrel = INFINITY, lprev = l0, lfirst = l0;
    int st = spx_sim_create(m, "adams", &set, 0.0, x, &s);
    for (int o = 1; o < NOUT && st == SPX_OK; o++) {
      st = spx_sim_advance(s, T * o / (NOUT - 1));
      if (st != SPX_OK) break;
      spx_sim_state_x(s, xp);
      double l = spx_kernel_log_energy(k, xp);
      double inc = expm1(l - lprev); /* (E_k - E_{k-1}) / E_{k-1} */
      if (!(inc >= minrel)) minrel = inc;
      lprev = l;
    }
    if (st != SPX_OK) minrel = NAN;
    snprintf(name, sizeof name,
             "energy %s: nondecreasing at 201 output times on [0,10] (min rel increment >= -1e-9)",
             nn);
    spx_test(minrel >= -1e-9 && lprev > lfirst, name, "min rel increment %.3g, log E %.6f -> %.6f",
             minrel, lfirst, lprev);
    spx_sim_free(s);
    spx_kernel_free(k);
    spx_model_free(m);
  }

  /* Not gradient flows: asymmetric matrices, a causal mask, SA with two heads (spec §3). */
  {
    double A[2 * D * D], Vs[2 * D * D];
    rand_matrix(D, A);
    spx_model *ma = model_new(N, D, 1, beta, SPX_NORM_SA, 1, SPX_MASK_NONE, 1, A, A, 0);
    spx_model *mc = model_new(N, D, 1, beta, SPX_NORM_SA, 1, SPX_MASK_CAUSAL, 1, V, V, 0);
    memcpy(Vs, V, sizeof V);
    memcpy(Vs + D * D, V, sizeof V);
    spx_model *mh = model_new(N, D, 2, beta, SPX_NORM_SA, 1, SPX_MASK_NONE, 1, Vs, Vs, 0);
    spx_model *mu = model_new(N, D, 2, beta, SPX_NORM_USA, 1, SPX_MASK_NONE, 1, Vs, Vs, 0);
    spx_test(ma && mc && mh && mu && !ma->gradient_flow && !mc->gradient_flow &&
                 !mh->gradient_flow && mu->gradient_flow,
             "gradient_flow flag: 0 for asymmetric A = V, causal mask, SA with H=2; 1 for USA H=2",
             "asym %d causal %d SA-H2 %d USA-H2 %d", ma ? ma->gradient_flow : -1,
             mc ? mc->gradient_flow : -1, mh ? mh->gradient_flow : -1, mu ? mu->gradient_flow : -1);
    spx_model_free(ma);
    spx_model_free(mc);
    spx_model_free(mh);
    spx_model_free(mu);
  }
}

/* ---------------------------------------------------------------------------------------------
 * 7. USA time rescaling (spec §2.6).
 * ------------------------------------------------------------------------------------------- */

/* ||A||_2 = sqrt(lambda_max(A^T A)), via GSL's symmetric eigensolver (independent of mat.c's SVD). */
static double opnorm(int d, const double *A)
{
  gsl_matrix *M = gsl_matrix_alloc(d, d);
  gsl_vector *ev = gsl_vector_alloc(d);
  gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(d);
  double r = NAN;
  if (M && ev && w) {
    for (int i = 0; i < d; i++)
      for (int j = 0; j < d; j++) {
        double s = 0.0;
        for (int a = 0; a < d; a++) s += A[a * d + i] * A[a * d + j];
        gsl_matrix_set(M, i, j, s);
      }
    if (gsl_eigen_symm(M, ev, w) == GSL_SUCCESS) r = sqrt(gsl_vector_max(ev));
  }
  if (w) gsl_eigen_symm_free(w);
  if (ev) gsl_vector_free(ev);
  if (M) gsl_matrix_free(M);
  return r;
}

static void test_usa_rescaled(void)
{
  enum { N = 11, D = 4 };
  const double beta = 2.5;
  double A[2 * D * D], V[2 * D * D], x[N * D], fp[N * D], fr[N * D];
  char name[160];
  for (int H = 1; H <= 2; H++) {
    for (int h = 0; h < H; h++) {
      rand_matrix(D, A + h * D * D);
      rand_matrix(D, V + h * D * D);
    }
    double shift = beta * opnorm(D, A);
    if (H == 2) shift = fmax(shift, beta * opnorm(D, A + D * D));
    spx_model *mp = model_new(N, D, H, beta, SPX_NORM_USA, 1, SPX_MASK_NONE, 1, A, V, 0);
    spx_model *mr = model_new(N, D, H, beta, SPX_NORM_USA, 1, SPX_MASK_NONE, 1, A, V, 1);
    snprintf(name, sizeof name, "USA rescaled H=%d: usa_shift = beta max_h ||A_h||_2", H);
    spx_test_rel(name, mr ? mr->usa_shift : NAN, shift, 1e-12);
    snprintf(name, sizeof name, "USA physical time H=%d: usa_shift = 0", H);
    spx_test(mp && mp->usa_shift == 0.0, name, "usa_shift %g", mp ? mp->usa_shift : NAN);
    rand_state(N, D, 1.0, 1.0, x);
    double r = NAN;
    if (mp && mr && rhs_once(mp, x, fp) == SPX_OK && rhs_once(mr, x, fr) == SPX_OK) {
      const double c = exp(-mr->usa_shift);
      for (int i = 0; i < N * D; i++) fp[i] *= c;
      r = max_diff(N * D, fr, fp) / max_abs(N * D, fp);
    }
    snprintf(name, sizeof name, "USA rescaled H=%d: RHS = e^{-shift} physical RHS (rel 1e-13)", H);
    spx_test_le(name, r, 1e-13);
    spx_model_free(mp);
    spx_model_free(mr);
  }

  /* Dissipation in rescaled time: the integration time is tau = e^{shift} t and the RHS is
   * dx/dtau = e^{-shift} dx/dt, so dE/dtau = e^{-shift} n sum|dx/dt|^2 = e^{shift} n sum|dx/dtau|^2
   * (spec §3 identity, chain rule). spx_kernel_dissipation is "the predicted dE/dt with
   * f = RHS(x)": it must match the centred difference of E along the RHS it is given. */
  {
    double S[D * D];
    spx_mat_goe(D, rng, S);
    spx_model *mr = model_new(N, D, 1, beta, SPX_NORM_USA, 1, SPX_MASK_NONE, 1, S, S, 1);
    spx_kernel *k = NULL;
    double fd = NAN, diss = NAN;
    const double h = 1e-5;
    if (mr && spx_kernel_create(mr, &k) == SPX_OK && spx_kernel_rhs(k, x, fr) == SPX_OK) {
      double l0 = spx_kernel_log_energy(k, x);
      for (int i = 0; i < N * D; i++) fp[i] = x[i] + h * fr[i];
      double lp = spx_kernel_log_energy(k, fp);
      for (int i = 0; i < N * D; i++) fp[i] = x[i] - h * fr[i];
      double lm = spx_kernel_log_energy(k, fp);
      fd = exp(l0) * (expm1(lp - l0) - expm1(lm - l0)) / (2.0 * h);
      diss = spx_kernel_dissipation(k, x);
    }
    snprintf(name, sizeof name,
             "USA rescaled (shift %.3g): dissipation = centred FD of E along the RHS, dE/dtau "
             "(1e-6 rel)",
             mr ? mr->usa_shift : NAN);
    spx_test_rel(name, diss, fd, 1e-6);
    spx_kernel_free(k);
    spx_model_free(mr);
  }

  /* beta ||A|| = 800: physical time is refused (exp overflow), rescaled time works and agrees
   * with the definition evaluated as exp(L - shift) / n. */
  {
    double I2[D * D];
    spx_mat_identity(D, I2);
    for (int i = 0; i < D * D; i++) I2[i] *= 2.0;
    rand_matrix(D, V);
    fprintf(stderr, "(test_kernel: the next error message is expected)\n");
    spx_model *mp = model_new(N, D, 1, 400.0, SPX_NORM_USA, 1, SPX_MASK_NONE, 1, I2, V, 0);
    spx_test(mp == NULL, "USA beta ||A|| = 800 in physical time: finalize refuses (SPX_EINVAL)",
             "%s", mp ? "accepted" : "refused");
    spx_model_free(mp);
    spx_model *mr = model_new(N, D, 1, 400.0, SPX_NORM_USA, 1, SPX_MASK_NONE, 1, I2, V, 1);
    double r = NAN;
    if (mr && rhs_once(mr, x, fr) == SPX_OK) {
      rhs_reference(mr, x, fp);
      r = max_diff(N * D, fr, fp) / max_abs(N * D, fp);
    }
    spx_test_le("USA beta ||A|| = 800 rescaled: finite RHS = definition with exp(L - shift) "
                "(rel 1e-12)",
                r, 1e-12);
    spx_model_free(mr);
  }
}

/* ---------------------------------------------------------------------------------------------
 * 8. Thread independence.
 * ------------------------------------------------------------------------------------------- */

static void test_threads(void)
{
  enum { N = 257 };
  const int dims[2] = {3, 6};
  const int nthreads0 = omp_get_max_threads();
  char name[160];
  for (int c = 0; c < 2; c++) {
    const int d = dims[c], len = N * d;
    double A[DMAX * DMAX], V[DMAX * DMAX];
    rand_matrix(d, A);
    rand_matrix(d, V);
    double *x = malloc(sizeof(double) * len), *v = malloc(sizeof(double) * len);
    double *f1 = malloc(sizeof(double) * len), *f2 = malloc(sizeof(double) * len);
    double *j1 = malloc(sizeof(double) * len), *j2 = malloc(sizeof(double) * len);
    spx_model *m = model_new(N, d, 1, 3.0, SPX_NORM_SA, 1, SPX_MASK_NONE, 1, A, V, 0);
    spx_kernel *k = NULL;
    int ok = x && v && f1 && f2 && j1 && j2 && m && spx_kernel_create(m, &k) == SPX_OK;
    double e1 = NAN, e2 = NAN;
    if (ok) {
      rand_state(N, d, 1.0, 1.0, x);
      for (int i = 0; i < len; i++) v[i] = gsl_ran_gaussian(rng, 1.0);
      omp_set_num_threads(1);
      ok &= spx_kernel_rhs(k, x, f1) == SPX_OK && spx_kernel_jv(k, x, v, j1) == SPX_OK;
      e1 = spx_kernel_log_energy(k, x);
      omp_set_num_threads(2);
      ok &= spx_kernel_rhs(k, x, f2) == SPX_OK && spx_kernel_jv(k, x, v, j2) == SPX_OK;
      e2 = spx_kernel_log_energy(k, x);
      omp_set_num_threads(nthreads0);
    }
    snprintf(name, sizeof name, "threads, n=257 d=%d: RHS bitwise identical with 1 and 2 threads",
             d);
    spx_test(ok && memcmp(f1, f2, sizeof(double) * len) == 0, name, "max diff %.3g",
             ok ? max_diff(len, f1, f2) : NAN);
    snprintf(name, sizeof name, "threads, n=257 d=%d: J v bitwise identical with 1 and 2 threads",
             d);
    spx_test(ok && memcmp(j1, j2, sizeof(double) * len) == 0, name, "max diff %.3g",
             ok ? max_diff(len, j1, j2) : NAN);
    snprintf(name, sizeof name, "threads, n=257 d=%d: log E identical with 1 and 2 threads", d);
    spx_test(ok && e1 == e2, name, "%.17g vs %.17g", e1, e2);
    spx_kernel_free(k);
    spx_model_free(m);
    free(x);
    free(v);
    free(f1);
    free(f2);
    free(j1);
    free(j2);
  }

  /* A whole integration (kernel + sim + CVODE Adams) is bitwise the same with 1 and 2 threads. */
  {
    enum { D = 3 };
    double A[D * D], V[D * D];
    double *x0 = malloc(sizeof(double) * N * D), *x1 = malloc(sizeof(double) * N * D);
    double *x2 = malloc(sizeof(double) * N * D);
    rand_matrix(D, A);
    rand_matrix(D, V);
    spx_model *m = model_new(N, D, 1, 2.0, SPX_NORM_SA, 1, SPX_MASK_NONE, 1, A, V, 0);
    int ok = x0 && x1 && x2 && m;
    if (ok) {
      rand_state(N, D, 1.0, 1.0, x0);
      omp_set_num_threads(1);
      ok &= integrate(m, "adams", settings(1e-8, 1e-10, 0.0), x0, 0.5, x1, NULL) == SPX_OK;
      omp_set_num_threads(2);
      ok &= integrate(m, "adams", settings(1e-8, 1e-10, 0.0), x0, 0.5, x2, NULL) == SPX_OK;
      omp_set_num_threads(nthreads0);
    }
    spx_test(ok && memcmp(x1, x2, sizeof(double) * N * D) == 0,
             "threads, n=257 d=3: adams run to t=0.5 bitwise identical with 1 and 2 threads",
             "max diff %.3g", ok ? max_diff(N * D, x1, x2) : NAN);
    spx_model_free(m);
    free(x0);
    free(x1);
    free(x2);
  }
}

/* ---------------------------------------------------------------------------------------------
 * 9. Non-finite handling.
 * ------------------------------------------------------------------------------------------- */

static void test_nonfinite(void)
{
  enum { N = 17, D = 3 };
  double A[D * D], V[D * D], x[N * D], f[N * D], v[N * D];
  rand_matrix(D, A);
  rand_matrix(D, V);
  spx_model *m = model_new(N, D, 1, 3.0, SPX_NORM_SA, 1, SPX_MASK_NONE, 1, A, V, 0);
  spx_kernel *k = NULL;
  if (!m || spx_kernel_create(m, &k) != SPX_OK) {
    spx_test(0, "non-finite: model and kernel", "creation failed");
    spx_model_free(m);
    return;
  }
  struct { int particle, comp; double value; const char *what; } cs[3] = {
      {5, 1, NAN, "NaN"}, {11, 2, INFINITY, "+inf"}, {2, -1, 0.0, "zero row"}};
  for (int c = 0; c < 3; c++) {
    rand_state(N, D, 1.0, 1.0, x);
    for (int i = 0; i < N * D; i++) v[i] = 1.0;
    if (cs[c].comp >= 0) x[cs[c].particle * D + cs[c].comp] = cs[c].value;
    else
      for (int a = 0; a < D; a++) x[cs[c].particle * D + a] = 0.0;
    int p = -1, p2 = -1;
    const char *q = NULL;
    int st = spx_kernel_rhs(k, x, f);
    spx_kernel_last_nonfinite(k, &p, &q);
    int st2 = spx_kernel_jv(k, x, v, f);
    spx_kernel_last_nonfinite(k, &p2, &q);
    char name[160];
    snprintf(name, sizeof name,
             "non-finite: %s in particle %d -> RHS and J v return SPX_ENONFINITE naming particle %d",
             cs[c].what, cs[c].particle, cs[c].particle);
    spx_test(st == SPX_ENONFINITE && st2 == SPX_ENONFINITE && p == cs[c].particle &&
                 p2 == cs[c].particle,
             name, "status %d/%d, particle %d/%d (%s)", st, st2, p, p2, q ? q : "");
  }
  /* Two bad particles: the report is deterministic, the lowest index (kernel.c, report_bad). */
  {
    rand_state(N, D, 1.0, 1.0, x);
    x[9 * D] = NAN;
    x[4 * D + 2] = NAN;
    int p = -1;
    const char *q = NULL;
    int st = spx_kernel_rhs(k, x, f);
    spx_kernel_last_nonfinite(k, &p, &q);
    spx_test(st == SPX_ENONFINITE && p == 4,
             "non-finite: NaN in particles 9 and 4 -> the lowest, particle 4, is named",
             "status %d particle %d", st, p);
  }
  spx_kernel_free(k);
  spx_model_free(m);
}

/* ---------------------------------------------------------------------------------------------
 * 10. CVODE back ends against GSL rk8pd; the sim object.
 * ------------------------------------------------------------------------------------------- */

static void test_cvode_vs_rk8pd(void)
{
  enum { N = 30, D = 3 };
  const double T = 5.0;
  double V[D * D], X0[N * D], Xr[N * D], X[N * D];
  char name[160];
  spx_mat_goe(D, rng, V);
  rand_state(N, D, 1.0, 1.0, X0);
  spx_model *m = model_new(N, D, 1, 1.0, SPX_NORM_SA, 1, SPX_MASK_NONE, 1, V, V, 0);
  if (!m || integrate(m, "rk8pd", settings(1e-12, 1e-14, 0.0), X0, T, Xr, NULL) != SPX_OK) {
    spx_test(0, "rk8pd reference run", "failed");
    spx_model_free(m);
    return;
  }
  struct { const char *method; double tol; } cs[3] = {
      {"adams", 1e-7}, {"bdf", 1e-7}, {"bdf_newton", 1e-6}};
  for (int c = 0; c < 3; c++) {
    spx_solver_stats st;
    memset(&st, 0, sizeof st);
    double e = NAN, drift = NAN;
    if (integrate(m, cs[c].method, settings(1e-10, 1e-12, 0.0), X0, T, X, &st) == SPX_OK) {
      e = max_diff(N * D, X, Xr);
      drift = norm_defect(N, D, X);
    }
    snprintf(name, sizeof name,
             "CVODE %s vs rk8pd, random symmetric V = A, n=30 d=3 beta=1 T=5 rtol 1e-10: to %g",
             cs[c].method, cs[c].tol);
    spx_test_le(name, e, cs[c].tol);
    if (strcmp(cs[c].method, "bdf") == 0) {
      spx_test_le("CVODE bdf (projection): max ||x_i| - 1| <= 1e-9 at T=5", drift, 1e-9);
      spx_test(st.proj_evals > 0, "CVODE bdf: projection was called", "proj_evals %ld",
               st.proj_evals);
    }
    if (strcmp(cs[c].method, "bdf_newton") == 0)
      spx_test(st.jv_evals > 0, "CVODE bdf_newton: analytic J v used (jv_evals > 0)",
               "jv_evals %ld", st.jv_evals);
  }

  /* The sim object: unknown method, time, restart from a replaced state. */
  {
    spx_solver_settings set = settings(1e-10, 1e-12, 0.0);
    spx_sim *s = NULL;
    fprintf(stderr, "(test_kernel: the next error message is expected)\n");
    int st = spx_sim_create(m, "no_such_method", &set, 0.0, X0, &s);
    spx_test(st == SPX_EINVAL && s == NULL, "spx_sim_create with an unknown method: SPX_EINVAL",
             "status %d", st);
    spx_sim_free(s);
    s = NULL;
    /* advance to 2, replace the state by X0, advance by 5 more: the flow is autonomous, so the
     * final state equals the run from X0 over [0, 5]. */
    double e = NAN, t = NAN;
    st = spx_sim_create(m, "rk8pd", &(spx_solver_settings){.rtol = 1e-12, .atol = 1e-14}, 0.0,
                        X0, &s);
    if (st == SPX_OK) st = spx_sim_advance(s, 2.0);
    if (st == SPX_OK) st = spx_sim_set_state_x(s, X0);
    if (st == SPX_OK) st = spx_sim_advance(s, 7.0);
    if (st == SPX_OK) {
      t = spx_sim_time(s);
      spx_sim_state_x(s, X);
      e = max_diff(N * D, X, Xr);
    }
    spx_test(t == 7.0 && e <= 1e-9, "sim: set_state_x at t=2 then advance to 7 = run over [0, 5]",
             "time %.17g, max diff %.3g", t, e);
    spx_sim_free(s);
  }
  spx_model_free(m);
}

/* ---------------------------------------------------------------------------------------------
 * 11. Kernel paths (small d, generic, BLAS-3), row ranges, the exponential, memory (issue 4).
 * ------------------------------------------------------------------------------------------- */

/* Error of y against the exact value ref (long double expl, 11 more bits than double) in units
 * of the double spacing at ref: 2^(e - 53) for |ref| in [2^(e-1), 2^e), 2^-1074 below 2^-1022. */
static double ulp_error(double y, long double ref)
{
  double r = (double)ref, ulp = 0x1p-1074;
  if (r != 0.0) {
    int e;
    frexp(r, &e);
    ulp = fmax(ldexp(1.0, e - 53), 0x1p-1074);
  }
  return (double)(fabsl((long double)y - ref) / ulp);
}

static void test_exp(void)
{
  /* Inputs: a uniform grid and random points over [-746, 1] (the kernel feeds L - shift <= 0
   * plus rounding), the neighbourhood of 0 and of the reduction boundaries (k + 1/2) ln 2. */
  enum { NG = 1500000, NR = 500000, NB = 4000 };
  const long len = NG + NR + NB;
  double *x = malloc(sizeof(double) * len), *y = malloc(sizeof(double) * len);
  if (!x || !y) {
    spx_test(0, "exp: allocation", "failed");
    free(x);
    free(y);
    return;
  }
  long c = 0;
  for (long i = 0; i < NG; i++) x[c++] = -746.0 + 747.0 * (double)i / (NG - 1);
  for (long i = 0; i < NR; i++) x[c++] = -746.0 + 747.0 * gsl_rng_uniform(rng);
  for (long i = 0; i < NB / 2; i++) {
    double b = ((double)gsl_rng_uniform_int(rng, 1076) - 1075.0 + 0.5) * M_LN2;
    x[c++] = nextafter(b, b + 1.0);
    x[c++] = (i % 2 ? 1e-3 : 1e-300) * (2.0 * gsl_rng_uniform(rng) - 1.0);
  }
  spx_kernel_exp_array(len, x, y);
  double worst_n = 0.0, worst_s = 0.0, xn = NAN, xs = NAN;
  int same = 1;
  for (long i = 0; i < len; i++) {
    double e = ulp_error(y[i], expl((long double)x[i]));
    same &= y[i] == spx_kernel_exp(x[i]);
    if (x[i] >= -708.39) {
      if (!(e <= worst_n)) { worst_n = e; xn = x[i]; }
    } else if (!(e <= worst_s)) {
      worst_s = e;
      xs = x[i];
    }
  }
  char name[200];
  snprintf(name, sizeof name, "exp: relative error <= 4 ulp on [-708.39, 1] (%ld points vs expl)",
           len);
  spx_test(worst_n <= 4.0, name, "max %.3f ulp at x = %.17g", worst_n, xn);
  spx_test(worst_s <= 4.0, "exp: subnormal results on [-746, -708.39] within 4 x 2^-1074",
           "max %.3f units at x = %.17g", worst_s, xs);
  spx_test(same, "exp: the vectorized loop gives bitwise the scalar function", "%s",
           same ? "identical" : "differs");
  spx_test(spx_kernel_exp(0.0) == 1.0 && spx_kernel_exp(-0.0) == 1.0,
           "exp: e^0 = 1 exactly", "%.17g", spx_kernel_exp(0.0));
  double lo1 = spx_kernel_exp(-746.0), lo2 = spx_kernel_exp(-1e6), lo3 = spx_kernel_exp(-INFINITY);
  spx_test(lo1 == 0.0 && lo2 == 0.0 && lo3 == 0.0,
           "exp: x <= -746 gives 0 (e^-746 < 2^-1076 rounds to 0)", "%g %g %g", lo1, lo2, lo3);
  spx_test(isnan(spx_kernel_exp(NAN)), "exp: NaN propagates", "%g", spx_kernel_exp(NAN));
  /* The narrow exponential of the bounded pair loops = the wide one bitwise where both apply,
   * [-708.74, 293] (both round e^r 2^k once), including subnormal results and the edge. */
  {
    long differ = 0, count = 0;
    double where = NAN;
    for (long t = 0; t < 2000000; t++) {
      double xv = t < 1000 ? -708.74 + 1e-3 * t * gsl_rng_uniform(rng) /* k = -1022: subnormal */
                  : t % 2  ? -708.74 + 1001.74 * gsl_rng_uniform(rng)
                           : -4.0 + 5.0 * gsl_rng_uniform(rng);
      double a = spx_kernel_exp(xv), b = spx_kernel_exp_narrow(xv);
      count++;
      if (memcmp(&a, &b, sizeof a) != 0) {
        differ++;
        where = xv;
      }
    }
    spx_test(differ == 0 && isnan(spx_kernel_exp_narrow(NAN)),
             "exp: the narrow exponential = the wide one bitwise on [-708.74, 293] (2e6 points, "
             "subnormal results included); NaN propagates",
             "%ld of %ld differ (last at %.17g)", differ, count, where);
  }
  /* e^{-1074 ln 2} = 2^-1074 exactly: the smallest subnormal. */
  spx_test(spx_kernel_exp(-1074.0 * (double)M_LN2) == 0x1p-1074, "exp: e^(-1074 ln2) = 2^-1074",
           "%a", spx_kernel_exp(-1074.0 * (double)M_LN2));
  free(x);
  free(y);
}

/* f = RHS(x) with a kernel forced to path p; returns the status (SPX_EINVAL if p was refused). */
static int rhs_path(const spx_model *m, spx_kernel_path p, const double *x, double *f,
                    spx_kernel_path *used)
{
  spx_kernel *k = NULL;
  int st = spx_kernel_create(m, &k);
  if (st == SPX_OK) st = spx_kernel_set_path(k, p);
  if (st == SPX_OK) st = spx_kernel_rhs(k, x, f);
  if (k && used) *used = spx_kernel_get_path(k);
  spx_kernel_free(k);
  return st;
}

/* log E at x through a kernel forced to path p; NaN if p was refused. */
static double energy_path(const spx_model *m, spx_kernel_path p, const double *x)
{
  spx_kernel *k = NULL;
  double e = NAN;
  if (spx_kernel_create(m, &k) == SPX_OK && spx_kernel_set_path(k, p) == SPX_OK)
    e = spx_kernel_log_energy(k, x);
  spx_kernel_free(k);
  return e;
}

static void test_paths(void)
{
  enum { N = 77 }; /* 9 lanes of 8 and a tail of 5; 3 blocks of 32 rows in the BLAS path */
  const int dims[7] = {2, 3, 4, 5, 7, 16, 20};
  const spx_kernel_path paths[3] = {SPX_KERNEL_SMALL, SPX_KERNEL_GENERIC, SPX_KERNEL_BLAS};
  const spx_mask masks[3] = {SPX_MASK_NONE, SPX_MASK_CAUSAL, SPX_MASK_WINDOW};
  char name[200];
  for (int id = 0; id < 7; id++) {
    const int d = dims[id], len = N * d;
    double *A = malloc(sizeof(double) * 2 * d * d), *V = malloc(sizeof(double) * 2 * d * d);
    double *x = malloc(sizeof(double) * len), *f = malloc(sizeof(double) * len);
    double *fr = malloc(sizeof(double) * len), *fs = malloc(sizeof(double) * len);
    double *fg = malloc(sizeof(double) * len);
    for (int ip = 0; ip < 3; ip++) {
      if (paths[ip] == SPX_KERNEL_SMALL && d > 4) continue;
      double worst = 0.0;
      int ok = 1, bitwise = 1;
      spx_kernel_path used = SPX_KERNEL_AUTO;
      for (int H = 1; H <= 2; H++)
        for (int nm = 0; nm < 2; nm++)
          for (int im = 0; im < 3; im++) {
            for (int h = 0; h < H; h++) {
              rand_matrix(d, A + h * d * d);
              rand_matrix(d, V + h * d * d);
            }
            spx_model *m = model_new(N, d, H, 2.5, (spx_normalization)nm, 1, masks[im], 5, A, V,
                                     0);
            rand_state(N, d, 0.9, 1.2, x);
            if (!m || rhs_path(m, paths[ip], x, f, &used) != SPX_OK) {
              ok = 0;
              spx_model_free(m);
              continue;
            }
            rhs_reference(m, x, fr);
            double r = max_diff(len, f, fr) / max_abs(len, fr);
            if (!(r <= worst)) worst = r;
            /* small and generic: the same operations in the same order */
            if (paths[ip] == SPX_KERNEL_SMALL) {
              ok &= rhs_path(m, SPX_KERNEL_SMALL, x, fs, NULL) == SPX_OK &&
                    rhs_path(m, SPX_KERNEL_GENERIC, x, fg, NULL) == SPX_OK;
              bitwise &= memcmp(fs, fg, sizeof(double) * len) == 0;
            }
            spx_model_free(m);
          }
      snprintf(name, sizeof name,
               "path %s, d=%d, n=77 (H=1,2; SA, USA; no mask, causal, window 5; off sphere): RHS = "
               "plain reference loop, rel 1e-13",
               spx_kernel_path_name(paths[ip]), d);
      spx_test(ok && used == paths[ip] && worst <= 1e-13, name, "max rel diff %.3g (path used %s)",
               worst, spx_kernel_path_name(used));
      if (paths[ip] == SPX_KERNEL_SMALL) {
        snprintf(name, sizeof name, "path small_d = path generic bitwise, d=%d (all 12 cases)", d);
        spx_test(ok && bitwise, name, "%s", bitwise ? "identical" : "differ");
      }
    }
    free(A);
    free(V);
    free(x);
    free(f);
    free(fr);
    free(fs);
    free(fg);
  }

  /* The automatic choice (kernel.h): sym_small for d <= 4 with symmetric A and no mask (the
   * default model has A = I), small_d for d <= 4 otherwise, blas3 from d = 5 (so for d >= 16). */
  {
    const int dd[7] = {2, 4, 3, 3, 5, 15, 16};
    const int asym[7] = {0, 0, 1, 0, 0, 0, 0}, causal[7] = {0, 0, 0, 1, 0, 0, 0};
    const spx_kernel_path want[7] = {SPX_KERNEL_SYM, SPX_KERNEL_SYM, SPX_KERNEL_SMALL,
                                     SPX_KERNEL_SMALL, SPX_KERNEL_BLAS, SPX_KERNEL_BLAS,
                                     SPX_KERNEL_BLAS};
    int ok = 1;
    char got[200] = "";
    for (int c = 0; c < 7; c++) {
      spx_model *m = NULL;
      spx_kernel *k = NULL;
      if (spx_model_create(8, dd[c], 1, &m) != SPX_OK) {
        ok = 0;
        continue;
      }
      if (asym[c]) m->heads[0].A[1] = 0.5; /* A_01 != A_10 */
      if (causal[c]) m->mask = SPX_MASK_CAUSAL;
      if (spx_kernel_create(m, &k) != SPX_OK) ok = 0;
      else ok &= spx_kernel_get_path(k) == want[c];
      if (k) {
        size_t l = strlen(got);
        snprintf(got + l, sizeof got - l, "%sd=%d%s:%s", c ? " " : "", dd[c],
                 asym[c] ? "(A asym)" : causal[c] ? "(causal)" : "",
                 spx_kernel_path_name(spx_kernel_get_path(k)));
      }
      spx_kernel_free(k);
      spx_model_free(m);
    }
    spx_test(ok,
             "automatic path: sym_small for d = 2..4 with symmetric A and no mask, small_d for an "
             "asymmetric A or a mask, blas3 for d >= 5",
             "%s", got);
  }

  /* BLAS path across a partner block boundary (1024 columns) and row blocks, with and without
   * the causal mask (blocks whose rows have different partner ranges). */
  for (int im = 0; im < 2; im++) {
    enum { NB = 1100, DB = 16 };
    double *A = malloc(sizeof(double) * DB * DB), *V = malloc(sizeof(double) * DB * DB);
    double *x = malloc(sizeof(double) * NB * DB), *f = malloc(sizeof(double) * NB * DB);
    double *fr = malloc(sizeof(double) * NB * DB);
    rand_matrix(DB, A);
    rand_matrix(DB, V);
    spx_model *m = model_new(NB, DB, 1, 2.0, SPX_NORM_SA, 1, im ? SPX_MASK_CAUSAL : SPX_MASK_NONE,
                             1, A, V, 0);
    rand_state(NB, DB, 1.0, 1.0, x);
    double r = NAN;
    if (m && rhs_path(m, SPX_KERNEL_BLAS, x, f, NULL) == SPX_OK) {
      rhs_reference(m, x, fr);
      r = max_diff(NB * DB, f, fr) / max_abs(NB * DB, fr);
    }
    snprintf(name, sizeof name,
             "path blas3, n=1100 d=16 %s (partner blocks of 1024): RHS = reference, rel 1e-13",
             im ? "causal" : "no mask");
    spx_test_le(name, r, 1e-13);
    spx_model_free(m);
    free(A);
    free(V);
    free(x);
    free(f);
    free(fr);
  }

  /* Loose logit bound: A = e_1 e_2^T, particles within ~1e-3 of e_1, beta = 2000: the logits
   * L_ij = 2000 u_i1 u_j2 spread over a few units (a soft, not a hard, max), while the bound
   * beta |q_i| |u_j| = 2000 exceeds them by ~2000, so every shifted exp underflows and the row
   * must be redone with the exact maximum (kernel.c, row_normalized). */
  {
    enum { NL = 40, DL = 3 };
    double A[DL * DL] = {0}, V[DL * DL], x[NL * DL], f[NL * DL], fr[NL * DL];
    A[0 * DL + 1] = 1.0;
    rand_matrix(DL, V);
    clustered_state(NL, DL, 1e-3, x);
    spx_model *m = model_new(NL, DL, 1, 2000.0, SPX_NORM_SA, 1, SPX_MASK_NONE, 1, A, V, 0);
    double worst = 0.0;
    for (int ip = 0; ip < 3 && m; ip++) {
      double r = NAN;
      if (rhs_path(m, paths[ip], x, f, NULL) == SPX_OK) {
        rhs_reference(m, x, fr);
        r = max_diff(NL * DL, f, fr) / max_abs(NL * DL, fr);
      }
      if (!(r <= worst)) worst = r;
    }
    spx_test(m && worst <= 1e-11,
             "loose logit bound (beta = 2000, every shifted exp underflows): small_d, generic and "
             "blas3 redo the rows with the exact max and match the definition (rel 1e-11)",
             "max rel diff %.3g", worst);
    spx_model_free(m);
  }

  /* Energy through every path: log E of the blas3 and generic paths = the direct double sum
   * (1/(2 beta)) sum_ij exp(beta <u_i, A u_j>) (spec §3), symmetric A, d = 5 and 16. */
  {
    const int dd[2] = {5, 16};
    for (int c = 0; c < 2; c++) {
      const int d = dd[c];
      double *S = malloc(sizeof(double) * d * d), *x = malloc(sizeof(double) * N * d);
      spx_mat_goe(d, rng, S);
      spx_model *m = model_new(N, d, 1, 1.7, SPX_NORM_SA, 1, SPX_MASK_NONE, 1, S, S, 0);
      rand_state(N, d, 0.8, 1.3, x);
      double want = log_energy_direct(N, d, 1.7, S, x), got[2] = {NAN, NAN};
      const spx_kernel_path pp[2] = {SPX_KERNEL_BLAS, SPX_KERNEL_GENERIC};
      for (int ip = 0; ip < 2 && m; ip++) got[ip] = energy_path(m, pp[ip], x);
      snprintf(name, sizeof name,
               "energy d=%d n=77: log E of blas3 and generic = direct sum (1e-13): %.15g", d, want);
      spx_test(fabs(got[0] - want) <= 1e-13 * fabs(want) &&
                   fabs(got[1] - want) <= 1e-13 * fabs(want),
               name, "blas3 %.15g, generic %.15g", got[0], got[1]);
      spx_model_free(m);
      free(S);
      free(x);
    }
  }

  /* Row ranges (MPI row blocks): rows [13, 61) of spx_kernel_rhs_rows = those rows of the RHS. */
  {
    const int dd[3] = {3, 5, 16};
    for (int c = 0; c < 3; c++) {
      const int d = dd[c], len = N * d;
      double *A = malloc(sizeof(double) * d * d), *V = malloc(sizeof(double) * d * d);
      double *x = malloc(sizeof(double) * len), *f = malloc(sizeof(double) * len);
      double *fp = malloc(sizeof(double) * len);
      rand_matrix(d, A);
      rand_matrix(d, V);
      spx_model *m = model_new(N, d, 1, 2.0, SPX_NORM_SA, 1, SPX_MASK_CAUSAL, 1, A, V, 0);
      spx_kernel *k = NULL;
      rand_state(N, d, 1.0, 1.0, x);
      int ok = m && spx_kernel_create(m, &k) == SPX_OK && spx_kernel_rhs(k, x, f) == SPX_OK &&
               spx_kernel_rhs_rows(k, x, 13, 61, fp) == SPX_OK;
      ok = ok && memcmp(fp, f + 13 * d, sizeof(double) * 48 * d) == 0;
      int bad = k ? spx_kernel_rhs_rows(k, x, 61, 13, fp) : -1;
      snprintf(name, sizeof name,
               "rhs_rows [13, 61), d=%d (path %s): bitwise the rows of the full RHS; a reversed "
               "range is SPX_EINVAL", d, k ? spx_kernel_path_name(spx_kernel_get_path(k)) : "?");
      spx_test(ok && bad == SPX_EINVAL, name, "%s, status of [61, 13): %d",
               ok ? "identical" : "differ", bad);
      spx_kernel_free(k);
      spx_model_free(m);
      free(A);
      free(V);
      free(x);
      free(f);
      free(fp);
    }
  }

  /* Thread independence of every path (kernel.h: fixed summation order). */
  {
    enum { NT = 257 };
    const int nthreads0 = omp_get_max_threads();
    const int dd[4] = {2, 4, 5, 16};
    for (int c = 0; c < 4; c++) {
      const int d = dd[c], len = NT * d;
      double *A = malloc(sizeof(double) * 2 * d * d), *V = malloc(sizeof(double) * 2 * d * d);
      double *x = malloc(sizeof(double) * len), *f1 = malloc(sizeof(double) * len);
      double *f2 = malloc(sizeof(double) * len);
      for (int h = 0; h < 2; h++) {
        rand_matrix(d, A + h * d * d);
        rand_matrix(d, V + h * d * d);
      }
      spx_model *m = model_new(NT, d, 2, 2.0, SPX_NORM_SA, 1, SPX_MASK_NONE, 1, A, V, 0);
      spx_kernel *k = NULL;
      rand_state(NT, d, 1.0, 1.0, x);
      int ok = m && spx_kernel_create(m, &k) == SPX_OK;
      if (ok) {
        omp_set_num_threads(1);
        ok &= spx_kernel_rhs(k, x, f1) == SPX_OK;
        omp_set_num_threads(2);
        ok &= spx_kernel_rhs(k, x, f2) == SPX_OK;
        omp_set_num_threads(nthreads0);
      }
      snprintf(name, sizeof name, "threads, n=257 d=%d H=2 (path %s): RHS bitwise identical with "
               "1 and 2 threads", d, k ? spx_kernel_path_name(spx_kernel_get_path(k)) : "?");
      spx_test(ok && memcmp(f1, f2, sizeof(double) * len) == 0, name, "max diff %.3g",
               ok ? max_diff(len, f1, f2) : NAN);
      spx_kernel_free(k);
      spx_model_free(m);
      free(A);
      free(V);
      free(x);
      free(f1);
      free(f2);
    }
  }
}

/* The symmetric path (kernel.c "the symmetric path"): one exponential per unordered pair, tiles
 * of at least 128 rows, at most 16 per side. Checked against the plain reference loop at sizes
 * with one tile (n = 77), three tiles with a short last one (n = 300) and 16 tiles of 136 rows
 * (n = 2100), for d = 2, 3, 4, one and two heads, SA and USA, rows off the sphere. */
static void test_sym_path(void)
{
  enum { NMAX = 2100 };
  const int sizes[3] = {77, 300, 2100};
  char name[240];
  double *A = malloc(sizeof(double) * 2 * 16), *V = malloc(sizeof(double) * 2 * 16);
  double *x = malloc(sizeof(double) * NMAX * 4), *f = malloc(sizeof(double) * NMAX * 4);
  double *fr = malloc(sizeof(double) * NMAX * 4), *f2 = malloc(sizeof(double) * NMAX * 4);
  for (int d = 2; d <= 4; d++)
    for (int is = 0; is < 3; is++) {
      const int n = sizes[is], len = n * d;
      double worst = 0.0;
      int ok = 1;
      for (int H = 1; H <= 2; H++)
        for (int nm = 0; nm < 2; nm++) {
          for (int h = 0; h < H; h++) { /* A = (R + R^T) / 2: exactly symmetric */
            double *Ah = A + h * d * d;
            rand_matrix(d, Ah);
            for (int a = 0; a < d; a++)
              for (int b = 0; b < a; b++) Ah[a * d + b] = Ah[b * d + a] = 0.5 * (Ah[a * d + b] + Ah[b * d + a]);
            rand_matrix(d, V + h * d * d);
          }
          spx_model *m = model_new(n, d, H, 2.5, (spx_normalization)nm, 1, SPX_MASK_NONE, 1, A, V, 0);
          rand_state(n, d, 0.9, 1.2, x);
          spx_kernel_path used = SPX_KERNEL_AUTO;
          if (!m || rhs_path(m, SPX_KERNEL_SYM, x, f, &used) != SPX_OK || used != SPX_KERNEL_SYM) {
            ok = 0;
            spx_model_free(m);
            continue;
          }
          rhs_reference(m, x, fr);
          double r = max_diff(len, f, fr) / max_abs(len, fr);
          if (!(r <= worst)) worst = r;
          spx_model_free(m);
        }
      snprintf(name, sizeof name,
               "path sym_small, d=%d, n=%d (H=1,2; SA, USA; off sphere): RHS = plain reference "
               "loop, rel 1e-13", d, n);
      spx_test(ok && worst <= 1e-13, name, "max rel diff %.3g", worst);
    }

  /* Refused where it does not apply: a mask, an asymmetric A, d = 5. */
  {
    int st[3];
    for (int c = 0; c < 3; c++) {
      const int d = c == 2 ? 5 : 3;
      spx_model *m = NULL;
      spx_kernel *k = NULL;
      st[c] = -1;
      if (spx_model_create(20, d, 1, &m) == SPX_OK) {
        if (c == 0) m->mask = SPX_MASK_CAUSAL;
        if (c == 1) m->heads[0].A[2] = 0.25;
        if (spx_kernel_create(m, &k) == SPX_OK) st[c] = spx_kernel_set_path(k, SPX_KERNEL_SYM);
      }
      spx_kernel_free(k);
      spx_model_free(m);
    }
    spx_test(st[0] == SPX_EINVAL && st[1] == SPX_EINVAL && st[2] == SPX_EINVAL,
             "path sym_small refused (SPX_EINVAL) with a causal mask, an asymmetric A, d = 5",
             "statuses %d %d %d", st[0], st[1], st[2]);
  }

  /* Row ranges and threads: rows [13, 261) of rhs_rows (tiles touching blocks 0..2 of 128) are
   * bitwise those of the full RHS; the full RHS is bitwise the same with 1 and 2 threads. */
  {
    const int n = 300, d = 3, len = n * d, nthreads0 = omp_get_max_threads();
    double S[9];
    spx_mat_goe(d, rng, S);
    rand_matrix(d, V);
    spx_model *m = model_new(n, d, 2, 1.5, SPX_NORM_SA, 1, SPX_MASK_NONE, 1,
                             (double[18]){S[0], S[1], S[2], S[3], S[4], S[5], S[6], S[7], S[8],
                                          1, 0, 0, 0, -1, 0, 0, 0, 0.5},
                             (double[18]){V[0], V[1], V[2], V[3], V[4], V[5], V[6], V[7], V[8],
                                          1, 0, 0, 0, 1, 0, 0, 0, 1}, 0);
    spx_kernel *k = NULL;
    rand_state(n, d, 1.0, 1.0, x);
    int ok = m && spx_kernel_create(m, &k) == SPX_OK && spx_kernel_get_path(k) == SPX_KERNEL_SYM;
    if (ok) {
      omp_set_num_threads(1);
      ok &= spx_kernel_rhs(k, x, f) == SPX_OK;
      omp_set_num_threads(2);
      ok &= spx_kernel_rhs(k, x, f2) == SPX_OK && spx_kernel_rhs_rows(k, x, 13, 261, fr) == SPX_OK;
      omp_set_num_threads(nthreads0);
    }
    spx_test(ok && memcmp(f, f2, sizeof(double) * len) == 0,
             "path sym_small, n=300 H=2: RHS bitwise identical with 1 and 2 threads", "max diff %.3g",
             ok ? max_diff(len, f, f2) : NAN);
    spx_test(ok && memcmp(fr, f + 13 * d, sizeof(double) * 248 * d) == 0,
             "path sym_small: rhs_rows [13, 261) bitwise the rows of the full RHS", "max diff %.3g",
             ok ? max_diff(248 * d, fr, f + 13 * d) : NAN);
    /* the normalizers the RHS leaves behind serve the dissipation: same as the small path */
    double dsym = k ? spx_kernel_dissipation(k, x) : NAN, dsmall = NAN;
    if (k && spx_kernel_set_path(k, SPX_KERNEL_SMALL) == SPX_OK) dsmall = spx_kernel_dissipation(k, x);
    spx_test(fabs(dsym - dsmall) <= 1e-13 * fabs(dsmall),
             "path sym_small: dissipation sum_i Z_i |f_i|^2 = that of the small path (rel 1e-13)",
             "%.17g vs %.17g", dsym, dsmall);
    spx_kernel_free(k);
    spx_model_free(m);
  }

  /* The energy from the symmetric tiles = the direct double sum (1/(2 beta)) sum_ij
   * exp(beta <u_i, A u_j>) (spec §3) and the small path's, n = 300 (3 tiles), rows off the sphere. */
  {
    const int n = 300, d = 3;
    double S[9], got[2] = {NAN, NAN};
    spx_mat_goe(d, rng, S);
    spx_model *m = model_new(n, d, 1, 1.7, SPX_NORM_SA, 0, SPX_MASK_NONE, 1, S, S, 0);
    rand_state(n, d, 0.8, 1.3, x);
    const double want = log_energy_direct(n, d, 1.7, S, x);
    const spx_kernel_path pp[2] = {SPX_KERNEL_SYM, SPX_KERNEL_SMALL};
    for (int ip = 0; ip < 2 && m; ip++) got[ip] = energy_path(m, pp[ip], x);
    snprintf(name, sizeof name,
             "energy n=300 d=3 (plain projection, rows off the sphere): log E of sym_small and "
             "small_d = direct sum (1e-13): %.15g", want);
    spx_test(fabs(got[0] - want) <= 1e-13 * fabs(want) && fabs(got[1] - want) <= 1e-13 * fabs(want),
             name, "sym_small %.15g, small_d %.15g", got[0], got[1]);
    spx_model_free(m);
  }

  /* The common shift c = beta max|q| is too loose when A is negative and the particles cluster:
   * A = -I, beta = 400, particles within 1e-2 of e_1: every logit is about -400 = -c, so every
   * G_ij = exp(L_ij - c) ~ e^-800 underflows and each row must be redone with its exact max. */
  {
    const int n = 260, d = 3, len = n * d;
    double Am[9] = {-1, 0, 0, 0, -1, 0, 0, 0, -1};
    rand_matrix(d, V);
    clustered_state(n, d, 1e-2, x);
    spx_model *m = model_new(n, d, 1, 400.0, SPX_NORM_SA, 1, SPX_MASK_NONE, 1, Am, V, 0);
    double r = NAN;
    if (m && rhs_path(m, SPX_KERNEL_SYM, x, f, NULL) == SPX_OK) {
      rhs_reference(m, x, fr);
      r = max_diff(len, f, fr) / max_abs(len, fr);
    }
    spx_test(m && r <= 1e-11,
             "path sym_small, A = -I, beta = 400, clustered (every G_ij underflows): rows redone "
             "with the exact max match the definition (rel 1e-11)", "max rel diff %.3g", r);
    spx_model_free(m);
  }
  free(A);
  free(V);
  free(x);
  free(f);
  free(fr);
  free(f2);
}

/* Memory (issue 4): n = 100 000, d = 3 through the sim (kernel + CVODE Adams), with a window
 * mask so that the RHS costs O(n w d) and the test stays fast; the memory is the same as without
 * the mask (the kernel never stores n x n). The whole test process must stay under 256 MB. */
static void test_memory(void)
{
  enum { NM = 100000, DM = 3 };
  double A[DM * DM], V[DM * DM];
  spx_mat_identity(DM, A);
  spx_mat_identity(DM, V);
  double *x0 = malloc(sizeof(double) * NM * DM);
  spx_model *m = model_new(NM, DM, 1, 1.0, SPX_NORM_SA, 1, SPX_MASK_WINDOW, 8, A, V, 0);
  spx_sim *s = NULL;
  spx_solver_stats st;
  memset(&st, 0, sizeof st);
  int ok = x0 && m;
  if (ok) {
    rand_state(NM, DM, 1.0, 1.0, x0);
    ok = spx_sim_create(m, "adams", &(spx_solver_settings){.rtol = 1e-8, .atol = 1e-10}, 0.0, x0,
                        &s) == SPX_OK &&
         spx_sim_advance(s, 1e-3) == SPX_OK;
    if (s) spx_sim_stats(s, &st);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  spx_test(ok && st.rhs_evals >= 3 && ru.ru_maxrss < 256 * 1024,
           "memory: n = 100000, d = 3 sim (adams) completes >= 3 RHS with peak RSS < 256 MB",
           "%ld RHS, peak RSS %ld kB", st.rhs_evals, (long)ru.ru_maxrss);
  spx_sim_free(s);
  spx_model_free(m);
  free(x0);
}

int main(void)
{
  gsl_set_error_handler_off();
  rng = gsl_rng_alloc(gsl_rng_mt19937);
  if (!rng) return 1;
  gsl_rng_set(rng, 20260428UL);
  /* One thread everywhere except test_threads, which proves that 2 threads give bitwise the same
   * numbers: on small n the OpenMP barriers of a loaded 2-core machine cost seconds of spinning. */
  omp_set_num_threads(1);
  test_jv_and_reference();
  test_structure();
  test_single_cluster();
  test_equiangular();
  test_scale_and_eigen();
  test_energy();
  test_usa_rescaled();
  test_threads();
  test_nonfinite();
  test_cvode_vs_rk8pd();
  test_exp();
  test_paths();
  test_sym_path();
  test_memory();
  gsl_rng_free(rng);
  return spx_test_summary();
}
