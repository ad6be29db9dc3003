/* freeenergy.c -- soft-min free energy of a fixed key set, its gradient and Hessian in R^d and
 * on S^{d-1} (spec spectral_gap.md §0.3, §1 eq. 2, §2.2, §7d.1).
 *
 * F(x) = -(1/beta) LSE_j(-beta U_j(x)); the log-sum-exp subtracts the largest exponent first so
 * that it never overflows (any beta, any |x|). The spec notes that the paper's eq. (1) has the
 * opposite sign; all of its scripts, and this file, use the soft-min version (§0.3).
 *
 * Derivatives (eq. 2):  grad F = sum_j p_j g_j,  Hess F = sum_j p_j Hess U_j - beta Cov_p(g),
 * with g_j = grad U_j. Cov is computed in two passes (mean, then centred outer products), which
 * keeps the small intra-cluster eigenvalues (~1e-4 against ~0.3) accurate.
 *
 * Sphere ([ours], spec §7d.1): for f restricted to the unit sphere, with P = I - x x^T,
 *   grad_S f = P grad f,   Hess_S f = P Hess f P - <x, grad f> P.
 * For attention (grad F = -kbar) this is P(-beta Cov)P + <x, kbar> P, the spec's formula.
 */
#include "freeenergy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "table.h"

struct spx_fe {
  spx_fe_kind kind;
  int nkeys, d;
  double beta;
  double *keys;  /* nkeys x d */
  double *keysT; /* d x nkeys: the keys transposed, so that the logits vectorize over keys */
  double *a;     /* nkeys: exponents -beta U_j, then the weights p_j */
  double *kbar;  /* d: the p-mean of the keys */
  double *g;     /* d: Euclidean gradient scratch (sphere evaluation) */
  double *hs;    /* d x d: Euclidean Hessian scratch (sphere evaluation) */
  double *hx;    /* d: Hess F x (sphere evaluation) */
  double *rh;    /* d x d: Riemannian Hessian (tangent Hessian) */
  double *tmp;   /* d x (d-1): scratch */
};

int spx_fe_create(spx_fe_kind kind, int nkeys, int d, double beta, const double *keys,
                  spx_fe **out)
{
  int status = SPX_OK;
  spx_fe *fe = NULL;
  *out = NULL;
  if (kind != SPX_FE_ATTENTION && kind != SPX_FE_QUADRATIC) {
    spx_error("free energy: unknown potential kind %d (0 attention, 1 quadratic)", (int)kind);
    return SPX_EINVAL;
  }
  if (nkeys < 1 || d < 1) {
    spx_error("free energy: need at least one key and d >= 1 (got %d keys, d = %d)", nkeys, d);
    return SPX_EINVAL;
  }
  if (!(isfinite(beta) && beta > 0.0)) {
    spx_error("free energy: beta must be finite and > 0 (got %g)", beta);
    return SPX_EINVAL;
  }
  for (long i = 0; i < (long)nkeys * d; i++)
    if (!isfinite(keys[i])) {
      spx_error("free energy: key %ld, component %ld is not finite", i / d + 1, i % d + 1);
      return SPX_EINVAL;
    }
  fe = calloc(1, sizeof *fe);
  if (!fe) return SPX_ENOMEM;
  fe->kind = kind;
  fe->nkeys = nkeys;
  fe->d = d;
  fe->beta = beta;
  int dm = d > 1 ? d - 1 : 1;
  fe->keys = malloc(sizeof(double) * nkeys * d);
  fe->keysT = malloc(sizeof(double) * nkeys * d);
  fe->a = malloc(sizeof(double) * nkeys);
  fe->kbar = malloc(sizeof(double) * d);
  fe->g = malloc(sizeof(double) * d);
  fe->hs = malloc(sizeof(double) * d * d);
  fe->hx = malloc(sizeof(double) * d);
  fe->rh = malloc(sizeof(double) * d * d);
  fe->tmp = malloc(sizeof(double) * d * dm);
  if (!fe->keys || !fe->keysT || !fe->a || !fe->kbar || !fe->g || !fe->hs || !fe->hx || !fe->rh || !fe->tmp) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  memcpy(fe->keys, keys, sizeof(double) * nkeys * d);
  for (int j = 0; j < nkeys; j++)
    for (int c = 0; c < d; c++) fe->keysT[(long)c * nkeys + j] = keys[(long)j * d + c];
  *out = fe;
  fe = NULL;
cleanup:
  spx_fe_free(fe);
  return status;
}

void spx_fe_free(spx_fe *fe)
{
  if (!fe) return;
  free(fe->keys);
  free(fe->keysT);
  free(fe->a);
  free(fe->kbar);
  free(fe->g);
  free(fe->hs);
  free(fe->hx);
  free(fe->rh);
  free(fe->tmp);
  free(fe);
}

int spx_fe_dim(const spx_fe *fe) { return fe->d; }
int spx_fe_nkeys(const spx_fe *fe) { return fe->nkeys; }
double spx_fe_beta(const spx_fe *fe) { return fe->beta; }
spx_fe_kind spx_fe_get_kind(const spx_fe *fe) { return fe->kind; }
const double *spx_fe_keys(const spx_fe *fe) { return fe->keys; }
const double *spx_fe_weights(const spx_fe *fe) { return fe->a; }

/* Fill a[j] = -beta U_j(x), turn it into the weights p_j in place, put the p-mean of the keys in
 * kbar, and return F by log-sum-exp with max shift. Returns NaN if x is not finite. */
static double weights(const spx_fe *fe, const double *restrict x, double *restrict a,
                      double *restrict kbar)
{
  const int n = fe->nkeys, d = fe->d;
  const double beta = fe->beta;
  double amax = -INFINITY;
  if (fe->kind == SPX_FE_ATTENTION) {
    /* <x, k_j> for all j at once, summed over c in the same order as a plain dot product (the
     * same rounding), but independent across j, so the loop vectorizes */
    for (int j = 0; j < n; j++) a[j] = 0.0;
    for (int c = 0; c < d; c++) {
      const double xc = x[c], *restrict kt = fe->keysT + (long)c * n;
#pragma omp simd
      for (int j = 0; j < n; j++) a[j] += xc * kt[j];
    }
    for (int j = 0; j < n; j++) {
      a[j] *= beta;
      if (a[j] > amax) amax = a[j];
    }
  } else {
    for (int j = 0; j < n; j++) {
      const double *k = fe->keys + (long)j * d;
      double s = 0.0;
      for (int c = 0; c < d; c++) s -= 0.5 * (x[c] - k[c]) * (x[c] - k[c]);
      a[j] = beta * s;
      if (a[j] > amax) amax = a[j];
    }
  }
  if (!isfinite(amax)) return NAN;
  double z = 0.0;
  for (int j = 0; j < n; j++) {
    a[j] = exp(a[j] - amax);
    z += a[j];
  }
  for (int c = 0; c < d; c++) kbar[c] = 0.0;
  for (int j = 0; j < n; j++) {
    a[j] /= z;
    const double aj = a[j], *restrict k = fe->keys + (long)j * d;
#pragma omp simd
    for (int c = 0; c < d; c++) kbar[c] += aj * k[c];
  }
  return -(amax + log(z)) / beta;
}

int spx_fe_eval(spx_fe *fe, const double *x, double *F, double *grad, double *hess)
{
  const int n = fe->nkeys, d = fe->d;
  double f = weights(fe, x, fe->a, fe->kbar);
  if (!isfinite(f)) {
    spx_error("free energy: non-finite value at the query point");
    return SPX_ENONFINITE;
  }
  if (F) *F = f;
  if (grad) {
    /* grad U_j = -k_j (attention) or x - c_j (quadratic); both means follow from kbar. */
    for (int c = 0; c < d; c++)
      grad[c] = fe->kind == SPX_FE_ATTENTION ? -fe->kbar[c] : x[c] - fe->kbar[c];
  }
  if (hess) {
    /* Cov_p(grad U) = Cov_p(k) in both cases (grad U_j differs from -+k_j by a constant). */
    for (int i = 0; i < d * d; i++) hess[i] = 0.0;
    for (int j = 0; j < n; j++) {
      const double *k = fe->keys + (long)j * d;
      const double w = fe->a[j];
      for (int r = 0; r < d; r++) {
        const double dr = w * (k[r] - fe->kbar[r]);
        for (int c = r; c < d; c++) hess[r * d + c] += dr * (k[c] - fe->kbar[c]);
      }
    }
    for (int r = 0; r < d; r++)
      for (int c = r; c < d; c++) {
        double h = -fe->beta * hess[r * d + c];
        if (r == c && fe->kind == SPX_FE_QUADRATIC) h += 1.0; /* E_p[Hess U_j] = I */
        hess[r * d + c] = hess[c * d + r] = h;
      }
  }
  return SPX_OK;
}

int spx_fe_force(const spx_fe *fe, const double *x, double *force, double *scratch)
{
  double f = weights(fe, x, scratch, force); /* force now holds kbar */
  if (!isfinite(f)) return SPX_ENONFINITE;
  if (fe->kind == SPX_FE_QUADRATIC)
    for (int c = 0; c < fe->d; c++) force[c] -= x[c]; /* -(x - cbar) */
  return SPX_OK;
}

static int check_unit(int d, const double *x)
{
  double s = 0.0;
  for (int c = 0; c < d; c++) s += x[c] * x[c];
  if (!(fabs(s - 1.0) <= 1e-8)) {
    spx_error("free energy on the sphere: the point must be a unit vector (|x|^2 = %.17g)", s);
    return SPX_EINVAL;
  }
  return SPX_OK;
}

int spx_fe_sphere_eval(spx_fe *fe, const double *x, double *F, double *rgrad, double *rhess)
{
  int status = SPX_OK;
  const int d = fe->d;
  SPX_TRY(check_unit(d, x));
  SPX_TRY(spx_fe_eval(fe, x, F, fe->g, rhess ? fe->hs : NULL));
  double xg = 0.0;
  for (int c = 0; c < d; c++) xg += x[c] * fe->g[c];
  if (rgrad)
    for (int c = 0; c < d; c++) rgrad[c] = fe->g[c] - xg * x[c];
  if (rhess) {
    /* P Hs P = Hs - x (x^T Hs) - (Hs x) x^T + (x^T Hs x) x x^T; then - <x, g> P. */
    double *hx = fe->hx;
    double xhx = 0.0;
    for (int r = 0; r < d; r++) {
      double s = 0.0;
      for (int c = 0; c < d; c++) s += fe->hs[r * d + c] * x[c];
      hx[r] = s;
      xhx += x[r] * s;
    }
    for (int r = 0; r < d; r++)
      for (int c = 0; c < d; c++) {
        double p = (r == c ? 1.0 : 0.0) - x[r] * x[c];
        rhess[r * d + c] = fe->hs[r * d + c] - x[r] * hx[c] - hx[r] * x[c] + xhx * x[r] * x[c] -
                           xg * p;
      }
  }
cleanup:
  return status;
}

int spx_sphere_tangent_basis(int d, const double *x, double *B)
{
  int status = SPX_OK;
  if (d < 2) {
    spx_error("tangent basis: the sphere S^{d-1} needs d >= 2 (got %d)", d);
    return SPX_EINVAL;
  }
  SPX_TRY(check_unit(d, x));
  /* Householder Q = I - 2 w w^T / |w|^2 with w = x - s e_d, s = -sign(x_d): Q e_d = s x, so the
   * first d-1 columns of Q span x-perp. The sign choice avoids cancellation in w. */
  double s = x[d - 1] >= 0.0 ? -1.0 : 1.0;
  double w2 = 0.0;
  for (int c = 0; c < d; c++) {
    double w = x[c] - (c == d - 1 ? s : 0.0);
    w2 += w * w;
  }
  for (int r = 0; r < d; r++) {
    double wr = x[r] - (r == d - 1 ? s : 0.0);
    for (int c = 0; c < d - 1; c++) B[r * (d - 1) + c] = (r == c ? 1.0 : 0.0) - 2.0 * wr * x[c] / w2;
  }
cleanup:
  return status;
}

int spx_fe_sphere_tangent_hessian(spx_fe *fe, const double *x, double *Ht, double *B)
{
  int status = SPX_OK;
  const int d = fe->d, m = d - 1;
  SPX_TRY(spx_sphere_tangent_basis(d, x, B));
  SPX_TRY(spx_fe_sphere_eval(fe, x, NULL, NULL, fe->rh));
  for (int r = 0; r < d; r++)
    for (int c = 0; c < m; c++) {
      double acc = 0.0;
      for (int k = 0; k < d; k++) acc += fe->rh[r * d + k] * B[k * m + c];
      fe->tmp[r * m + c] = acc;
    }
  for (int a = 0; a < m; a++)
    for (int b = 0; b < m; b++) {
      double acc = 0.0;
      for (int k = 0; k < d; k++) acc += B[k * m + a] * fe->tmp[k * m + b];
      Ht[a * m + b] = acc;
    }
cleanup:
  return status;
}

double spx_fe_cluster_neff(const spx_fe *fe, int nclusters, const int *labels)
{
  double s2 = 0.0;
  for (int a = 0; a < nclusters; a++) {
    double P = 0.0;
    for (int j = 0; j < fe->nkeys; j++)
      if (labels[j] == a) P += fe->a[j];
    s2 += P * P;
  }
  return s2 > 0.0 ? 1.0 / s2 : NAN;
}

int spx_fe_read_keys(const char *path, int n, int d, double *K)
{
  double *t = NULL;
  int status = spx_table_read(path, "keys file", n, d, NULL, NULL, &t, NULL, NULL);
  if (status) return status;
  memcpy(K, t, sizeof(double) * n * d);
  free(t);
  return SPX_OK;
}
