/* windows.c -- GSL instances of the paper's key geometries and the count-law experiments
 * (windows.h; spec spectral_gap.md §2.1-§2.3, §7a, §7b).
 *
 * Regular simplex: the centred basis vectors e_a - (1/m) 1 of R^m have unit-free pairwise
 * distance sqrt(2) and lie in the hyperplane orthogonal to 1; their coordinates in the Helmert
 * basis h_k = (1, .., 1, -k, 0, ..)/sqrt(k(k+1)), k = 1..m-1, divided by sqrt(2), give a centred
 * regular simplex with unit edge and |c_a|^2 = (m-1)/(2m) (the spec's SVD construction gives the
 * same simplex up to a rotation, which the Haar rotation B absorbs).
 *
 * Covariance: two passes (mean, then centred outer products) as in freeenergy.c, so the small
 * intra-cluster eigenvalues (beta s_k^2 ~ 1e-4) stay accurate; eigenvalues by gsl_eigen_symm.
 */
#include "windows.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mat.h"
#include "status.h"

void spx_geom_ring(int count, double radius, double phase_deg, double *C)
{
  for (int j = 0; j < count; j++) {
    double a = (phase_deg + 360.0 * j / count) * M_PI / 180.0;
    C[2 * j] = radius * cos(a);
    C[2 * j + 1] = radius * sin(a);
  }
}

int spx_geom_a(int m, int d, int nc, double rc, double sk, unsigned long seed, double *K)
{
  if (m < 1 || d < 1 || nc < 1) {
    spx_error("geometry A: need m, d, nc >= 1");
    return SPX_EINVAL;
  }
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  double *c = malloc(sizeof(double) * m * d), *mean = calloc((size_t)d, sizeof(double));
  if (!rng || !c || !mean) {
    if (rng) gsl_rng_free(rng);
    free(c);
    free(mean);
    return SPX_ENOMEM;
  }
  gsl_rng_set(rng, seed);
  for (int a = 0; a < m; a++) {
    double s = 0.0;
    for (int q = 0; q < d; q++) {
      c[a * d + q] = gsl_ran_gaussian_ziggurat(rng, 1.0);
      s += c[a * d + q] * c[a * d + q];
    }
    for (int q = 0; q < d; q++) c[a * d + q] *= rc / sqrt(s);
  }
  for (int a = 0; a < m; a++)
    for (int i = 0; i < nc; i++)
      for (int q = 0; q < d; q++) {
        double v = c[a * d + q] + sk * gsl_ran_gaussian_ziggurat(rng, 1.0);
        K[((long)a * nc + i) * d + q] = v;
        mean[q] += v / (m * nc);
      }
  for (long j = 0; j < (long)m * nc; j++)
    for (int q = 0; q < d; q++) K[j * d + q] -= mean[q];
  gsl_rng_free(rng);
  free(c);
  free(mean);
  return SPX_OK;
}

void spx_geom_simplex(int m, double *C)
{
  for (int a = 0; a < m; a++)
    for (int k = 1; k < m; k++) {
      double h = a < k ? 1.0 : a == k ? -(double)k : 0.0;
      C[a * (m - 1) + (k - 1)] = h / sqrt((double)k * (k + 1)) / sqrt(2.0);
    }
}

int spx_geom_c(int m, int d, int nc, double sk, double scale, unsigned long seed, double *centres,
               double *keys)
{
  int status = SPX_OK;
  if (m < 2 || m - 1 > d || nc < 1) {
    spx_error("geometry C: need 2 <= m <= d + 1 and nc >= 1 (got m = %d, d = %d, nc = %d)", m, d, nc);
    return SPX_EINVAL;
  }
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  double *B = malloc(sizeof(double) * d * d), *C = malloc(sizeof(double) * m * (m - 1));
  if (!rng || !B || !C) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  gsl_rng_set(rng, seed);
  SPX_TRY(spx_mat_random_orthogonal(d, rng, B));
  spx_geom_simplex(m, C);
  for (int a = 0; a < m; a++)
    for (int q = 0; q < d; q++) {
      double s = 0.0;
      for (int k = 0; k < m - 1; k++) s += C[a * (m - 1) + k] * B[q * d + k];
      centres[a * d + q] = scale * s;
    }
  for (int a = 0; a < m; a++)
    for (int i = 0; i < nc; i++)
      for (int q = 0; q < d; q++)
        keys[((long)a * nc + i) * d + q] = centres[a * d + q] + sk * gsl_ran_gaussian_ziggurat(rng, 1.0);
cleanup:
  if (rng) gsl_rng_free(rng);
  free(B);
  free(C);
  return status;
}

int spx_geom_queries(int m, int d, const double *centres, int nr, unsigned long seed, double *Q)
{
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  int *all = malloc(sizeof(int) * m), *pick = malloc(sizeof(int) * m);
  double *alpha = malloc(sizeof(double) * m), *w = malloc(sizeof(double) * m);
  if (!rng || !all || !pick || !alpha || !w) {
    if (rng) gsl_rng_free(rng);
    free(all);
    free(pick);
    free(alpha);
    free(w);
    return SPX_ENOMEM;
  }
  gsl_rng_set(rng, seed);
  for (int a = 0; a < m; a++) all[a] = a;
  long row = 0;
  for (int k = 1; k <= m; k++)
    for (int r = 0; r < 3; r++, row++) {
      gsl_ran_choose(rng, pick, k, all, m, sizeof(int));
      for (int q = 0; q < d; q++) {
        double s = 0.0;
        for (int i = 0; i < k; i++) s += centres[pick[i] * d + q];
        Q[row * d + q] = s / k;
      }
    }
  for (int r = 0; r < nr; r++, row++) {
    double c = pow(10.0, gsl_ran_flat(rng, -1.0, 1.0));
    for (int a = 0; a < m; a++) alpha[a] = c;
    gsl_ran_dirichlet(rng, m, alpha, w);
    for (int q = 0; q < d; q++) {
      double s = 0.0;
      for (int a = 0; a < m; a++) s += w[a] * centres[a * d + q];
      Q[row * d + q] = s;
    }
  }
  gsl_rng_free(rng);
  free(all);
  free(pick);
  free(alpha);
  free(w);
  return SPX_OK;
}

void spx_window_pop_free(spx_window_pop *p)
{
  if (!p) return;
  if (p->keys)
    for (int i = 0; i < p->ninst; i++) free(p->keys[i]);
  free(p->keys);
  free(p->inst_m);
  free(p->q_inst);
  free(p->Q);
  free(p->lam);
  free(p->neff);
  free(p->dlogit);
  free(p);
}

int spx_window_population(const int *ms, int nm, int seeds, int d, int nc, double sk, double scale,
                          int nr, int qoffset, spx_window_pop **out)
{
  int status = SPX_OK;
  spx_window_pop *p = calloc(1, sizeof *p);
  double *cent = NULL;
  *out = NULL;
  if (!p) return SPX_ENOMEM;
  if (nm < 1 || seeds < 1) {
    spx_error("count-law population: need at least one m and one seed");
    free(p);
    return SPX_EINVAL;
  }
  p->d = d;
  p->nc = nc;
  p->ninst = nm * seeds;
  int mmax = 0;
  for (int i = 0; i < nm; i++) {
    p->nq += seeds * (3 * ms[i] + nr);
    if (ms[i] > mmax) mmax = ms[i];
  }
  p->inst_m = malloc(sizeof(int) * p->ninst);
  p->keys = calloc((size_t)p->ninst, sizeof(double *));
  p->q_inst = malloc(sizeof(int) * p->nq);
  p->Q = malloc(sizeof(double) * p->nq * d);
  p->lam = malloc(sizeof(double) * p->nq * d);
  p->neff = malloc(sizeof(double) * p->nq);
  p->dlogit = malloc(sizeof(double) * p->nq);
  cent = malloc(sizeof(double) * mmax * d);
  if (!p->inst_m || !p->keys || !p->q_inst || !p->Q || !p->lam || !p->neff || !p->dlogit || !cent) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  int q0 = 0;
  for (int i = 0; i < nm; i++)
    for (int s = 0; s < seeds; s++) {
      int inst = i * seeds + s, m = ms[i];
      p->inst_m[inst] = m;
      p->keys[inst] = malloc(sizeof(double) * m * nc * d);
      if (!p->keys[inst]) {
        status = SPX_ENOMEM;
        goto cleanup;
      }
      SPX_TRY(spx_geom_c(m, d, nc, sk, scale, (unsigned long)s, cent, p->keys[inst]));
      SPX_TRY(spx_geom_queries(m, d, cent, nr, (unsigned long)(s + qoffset), p->Q + (long)q0 * d));
      for (int j = 0; j < 3 * m + nr; j++) p->q_inst[q0 + j] = inst;
      q0 += 3 * m + nr;
    }
  p->beta = NAN;
  *out = p;
  p = NULL;
cleanup:
  free(cent);
  spx_window_pop_free(p);
  return status;
}

/* Weights p_j = softmax(beta <k_j, x>), Cov_p (d x d) into C, the logits' population std. */
static void cov_p(int nk, int d, const double *K, const double *x, double beta, double *p,
                  double *mean, double *C, double *dlogit)
{
  double lmax = -INFINITY, z = 0.0, lm = 0.0, lv = 0.0;
  for (int j = 0; j < nk; j++) {
    double s = 0.0;
    for (int q = 0; q < d; q++) s += K[(long)j * d + q] * x[q];
    p[j] = s;
    lm += s;
    if (beta * s > lmax) lmax = beta * s;
  }
  lm /= nk;
  for (int j = 0; j < nk; j++) lv += (p[j] - lm) * (p[j] - lm);
  if (dlogit) *dlogit = sqrt(lv / nk);
  for (int j = 0; j < nk; j++) {
    p[j] = exp(beta * p[j] - lmax);
    z += p[j];
  }
  for (int q = 0; q < d; q++) mean[q] = 0.0;
  for (int j = 0; j < nk; j++) {
    p[j] /= z;
    for (int q = 0; q < d; q++) mean[q] += p[j] * K[(long)j * d + q];
  }
  memset(C, 0, sizeof(double) * d * d);
  for (int j = 0; j < nk; j++)
    for (int a = 0; a < d; a++) {
      double da = p[j] * (K[(long)j * d + a] - mean[a]);
      for (int b = a; b < d; b++) C[a * d + b] += da * (K[(long)j * d + b] - mean[b]);
    }
  for (int a = 0; a < d; a++)
    for (int b = 0; b < a; b++) C[a * d + b] = C[b * d + a];
}

/* N_eff of the cluster masses (keys cluster by cluster, nc per cluster). */
static double neff_of(int m, int nc, const double *p)
{
  double s2 = 0.0;
  for (int a = 0; a < m; a++) {
    double P = 0.0;
    for (int i = 0; i < nc; i++) P += p[a * nc + i];
    s2 += P * P;
  }
  return 1.0 / s2;
}

/* Descending eigenvalues (clipped at 0) of the symmetric C (d x d) into ev. */
static int eig_desc(int d, double *C, double *ev, gsl_eigen_symm_workspace *ws, gsl_vector *e)
{
  gsl_matrix_view Cv = gsl_matrix_view_array(C, d, d);
  if (gsl_eigen_symm(&Cv.matrix, e, ws) != 0) {
    spx_error("count law: gsl_eigen_symm failed");
    return SPX_EINTERNAL;
  }
  for (int i = 0; i < d; i++) ev[i] = fmax(0.0, gsl_vector_get(e, i));
  gsl_sort(ev, 1, d);
  for (int i = 0; i < d / 2; i++) {
    double t = ev[i];
    ev[i] = ev[d - 1 - i];
    ev[d - 1 - i] = t;
  }
  return SPX_OK;
}

int spx_window_spectra(spx_window_pop *p, double beta)
{
  int status = SPX_OK;
  const int d = p->d;
  int nkmax = 0;
  for (int i = 0; i < p->ninst; i++)
    if (p->inst_m[i] * p->nc > nkmax) nkmax = p->inst_m[i] * p->nc;
  double *w = malloc(sizeof(double) * nkmax), *mean = malloc(sizeof(double) * d),
         *C = malloc(sizeof(double) * d * d);
  gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(d);
  gsl_vector *e = gsl_vector_alloc(d);
  if (!w || !mean || !C || !ws || !e) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  for (int q = 0; q < p->nq; q++) {
    int inst = p->q_inst[q], m = p->inst_m[inst];
    cov_p(m * p->nc, d, p->keys[inst], p->Q + (long)q * d, beta, w, mean, C, &p->dlogit[q]);
    p->neff[q] = neff_of(m, p->nc, w);
    SPX_TRY(eig_desc(d, C, p->lam + (long)q * d, ws, e));
  }
  p->beta = beta;
cleanup:
  free(w);
  free(mean);
  free(C);
  if (ws) gsl_eigen_symm_free(ws);
  if (e) gsl_vector_free(e);
  return status;
}

void spx_window_fit(const spx_window_pop *p, double thr, double *slope, double *intercept,
                    double *r, double *mean_count, int *counts)
{
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  const int n = p->nq;
  for (int q = 0; q < n; q++) {
    int c = 0;
    for (int i = 0; i < p->d; i++) c += p->beta * p->lam[(long)q * p->d + i] > thr;
    if (counts) counts[q] = c;
    double x = p->neff[q], y = c;
    sx += x;
    sy += y;
  }
  double mx = sx / n, my = sy / n;
  for (int q = 0; q < n; q++) {
    int c = 0;
    for (int i = 0; i < p->d; i++) c += p->beta * p->lam[(long)q * p->d + i] > thr;
    double x = p->neff[q] - mx, y = c - my;
    sxx += x * x;
    syy += y * y;
    sxy += x * y;
  }
  *slope = sxx > 0 ? sxy / sxx : NAN;
  *intercept = my - *slope * mx;
  *r = sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
  *mean_count = my;
}

int spx_symctl_eval(int m, int d, int nc, const double *keys, const double *centres, double beta,
                    int k, double tol, int top, spx_symctl *out)
{
  int status = SPX_OK;
  const int nk = m * nc;
  double *w = malloc(sizeof(double) * nk), *mean = malloc(sizeof(double) * d),
         *C = malloc(sizeof(double) * d * d), *ev = malloc(sizeof(double) * d),
         *x = calloc((size_t)d, sizeof(double));
  gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(d);
  gsl_vector *e = gsl_vector_alloc(d);
  if (!w || !mean || !C || !ev || !x || !ws || !e) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  if (k < 1 || k > m) {
    spx_error("symmetric control: k = %d must be in 1..%d", k, m);
    status = SPX_EINVAL;
    goto cleanup;
  }
  for (int a = 0; a < k; a++)
    for (int q = 0; q < d; q++) x[q] += centres[a * d + q] / k;
  cov_p(nk, d, keys, x, beta, w, mean, C, NULL);
  out->neff = neff_of(m, nc, w);
  SPX_TRY(eig_desc(d, C, ev, ws, e));
  out->tol_count = 0;
  for (int i = 0; i < d; i++) out->tol_count += beta * ev[i] > tol;
  out->beta_lmax = beta * ev[0];
  /* H = -beta Cov_p: ascending = minus the descending eigenvalues of beta Cov */
  for (int i = 0; i < d; i++) ev[i] = -beta * ev[i];
  spx_gap_settings s;
  spx_gap_settings_default(&s);
  s.top = top;
  SPX_TRY(spx_gap_find(d, ev, &s, &out->gap));
cleanup:
  free(w);
  free(mean);
  free(C);
  free(ev);
  free(x);
  if (ws) gsl_eigen_symm_free(ws);
  if (e) gsl_vector_free(e);
  return status;
}
