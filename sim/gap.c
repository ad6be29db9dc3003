/* gap.c -- the spectral gap of a symmetric Hessian and the well-posedness of dim E_-
 * (spec spectral_gap.md §1 Def. 1, Props. 1-2, §2.4, §2.5, §7b, §7c).
 *
 * Gap finder (§7c): in the ascending spectrum, the largest MULTIPLICATIVE jump
 * |lambda_i| / |lambda_{i+1}| (never the largest difference), Delta = lambda_{i+1} - lambda_i,
 * theta_0 = -(lambda_i + lambda_{i+1})/2, relgap = Delta / max|lambda|, genuine iff relgap > 0.05.
 * The companion script floors |lambda| at 1e-9 max(|lambda_1|, 1), an ABSOLUTE floor: when H is
 * rank deficient (N - 1 < d) the largest jump is then "bulk -> exact zeros" and the count becomes
 * N - 1 (the pitfall of §7c). Our default ([ours], as the spec recommends) drops eigenvalues
 * above -1e-8 max|lambda| from the search; the paper's rule stays available (floor_rel <= 0).
 * Two boundary cases are ours too: one retained eigenvalue -> the gap is to the null space above
 * it (count 1); none -> dim E_- = 0 for every theta > 0. Also ours: the option to_null adds the
 * jump "least negative retained eigenvalue -> null floor" to the candidates, so that the count of
 * an equilibrium's Hessian can be its number of negative eigenvalues (flowhess.c).
 *
 * Riesz projector (eq. 4, §2.4): P = (1/2 pi i) oint (zI - H)^{-1} dz on a circle, by the
 * trapezoidal rule with M nodes; for a circle the rule converges geometrically in M
 * (the error decays like (rho)^M with rho the ratio of the radius to the distance of the nearest
 * eigenvalue's image), which is what §2.4's convergence table shows.
 *
 * Perturbations (Prop. 2, §2.5): Weyl keeps the count for ||dH|| < Delta/2; the subspace moves by
 * at most ||dH|| / (Delta - ||dH||) (Davis-Kahan + Weyl) or 2 ||dH|| / Delta (Yu-Wang-Samworth);
 * the paper's ||dH|| / Delta is checked, not assumed.
 */
#include "gap.h"

#include <gsl/gsl_complex.h>
#include <gsl/gsl_complex_math.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_permutation.h>
#include <gsl/gsl_sort_vector.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mat.h"
#include "status.h"

struct spx_gap_ws {
  int n;
  gsl_eigen_symmv_workspace *ev_ws;
  gsl_eigen_symm_workspace *e_ws;
  gsl_matrix *A, *E, *svdV;
  gsl_vector *ev, *svdS, *svdW;
  double *Hp, *ev2, *V2, *M; /* perturbed matrix, its spectrum and vectors; sin-theta matrix */
};

void spx_gap_ws_free(spx_gap_ws *w)
{
  if (!w) return;
  if (w->ev_ws) gsl_eigen_symmv_free(w->ev_ws);
  if (w->e_ws) gsl_eigen_symm_free(w->e_ws);
  if (w->A) gsl_matrix_free(w->A);
  if (w->E) gsl_matrix_free(w->E);
  if (w->svdV) gsl_matrix_free(w->svdV);
  if (w->ev) gsl_vector_free(w->ev);
  if (w->svdS) gsl_vector_free(w->svdS);
  if (w->svdW) gsl_vector_free(w->svdW);
  free(w->Hp);
  free(w->ev2);
  free(w->V2);
  free(w->M);
  free(w);
}

int spx_gap_ws_create(int n, spx_gap_ws **out)
{
  *out = NULL;
  if (n < 1) {
    spx_error("gap: matrix size must be >= 1 (got %d)", n);
    return SPX_EINVAL;
  }
  spx_gap_ws *w = calloc(1, sizeof *w);
  if (!w) return SPX_ENOMEM;
  w->n = n;
  w->ev_ws = gsl_eigen_symmv_alloc(n);
  w->e_ws = gsl_eigen_symm_alloc(n);
  w->A = gsl_matrix_alloc(n, n);
  w->E = gsl_matrix_alloc(n, n);
  w->svdV = gsl_matrix_alloc(n, n);
  w->ev = gsl_vector_alloc(n);
  w->svdS = gsl_vector_alloc(n);
  w->svdW = gsl_vector_alloc(n);
  w->Hp = malloc(sizeof(double) * n * n);
  w->ev2 = malloc(sizeof(double) * n);
  w->V2 = malloc(sizeof(double) * n * n);
  w->M = malloc(sizeof(double) * n * n);
  if (!w->ev_ws || !w->e_ws || !w->A || !w->E || !w->svdV || !w->ev || !w->svdS || !w->svdW ||
      !w->Hp || !w->ev2 || !w->V2 || !w->M) {
    spx_gap_ws_free(w);
    return SPX_ENOMEM;
  }
  *out = w;
  return SPX_OK;
}

static void load_sym(gsl_matrix *A, int n, const double *H)
{
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) gsl_matrix_set(A, i, j, 0.5 * (H[i * n + j] + H[j * n + i]));
}

int spx_gap_eigen(spx_gap_ws *w, const double *H, double *evals, double *evecs)
{
  const int n = w->n;
  if (!spx_all_finite((long)n * n, H)) {
    spx_error("gap: the matrix has a non-finite entry");
    return SPX_ENONFINITE;
  }
  load_sym(w->A, n, H);
  if (!evecs) {
    if (gsl_eigen_symm(w->A, w->ev, w->e_ws) != 0) {
      spx_error("gap: gsl_eigen_symm failed");
      return SPX_EINTERNAL;
    }
    gsl_sort_vector(w->ev);
    for (int i = 0; i < n; i++) evals[i] = gsl_vector_get(w->ev, i);
    return SPX_OK;
  }
  if (gsl_eigen_symmv(w->A, w->ev, w->E, w->ev_ws) != 0 ||
      gsl_eigen_symmv_sort(w->ev, w->E, GSL_EIGEN_SORT_VAL_ASC) != 0) {
    spx_error("gap: gsl_eigen_symmv failed");
    return SPX_EINTERNAL;
  }
  for (int i = 0; i < n; i++) {
    evals[i] = gsl_vector_get(w->ev, i);
    /* Sign convention of mat.c: the largest-modulus entry of each eigenvector is positive. */
    int kmax = 0;
    for (int k = 1; k < n; k++)
      if (fabs(gsl_matrix_get(w->E, k, i)) > fabs(gsl_matrix_get(w->E, kmax, i)) + 1e-12) kmax = k;
    double s = gsl_matrix_get(w->E, kmax, i) < 0 ? -1.0 : 1.0;
    for (int k = 0; k < n; k++) evecs[k * n + i] = s * gsl_matrix_get(w->E, k, i);
  }
  return SPX_OK;
}

void spx_gap_settings_default(spx_gap_settings *s)
{
  s->floor_rel = 1e-8;
  s->top = 0;
  s->relgap_min = 0.05;
  s->to_null = 0;
}

int spx_gap_count(int n, const double *evals, double theta)
{
  int c = 0;
  for (int i = 0; i < n; i++) c += evals[i] < -theta;
  return c;
}

int spx_gap_find(int n, const double *evals, const spx_gap_settings *s, spx_gap *g)
{
  g->well_posed = 0;
  g->count = 0;
  g->index = -1;
  g->lambda_lo = g->lambda_hi = g->delta = g->theta = g->jump = g->relgap = NAN;
  if (n < 1 || !spx_all_finite(n, evals)) {
    spx_error("gap: need n >= 1 finite eigenvalues");
    return SPX_EINVAL;
  }
  for (int i = 1; i < n; i++)
    if (evals[i] < evals[i - 1]) {
      spx_error("gap: eigenvalues must be in ascending order (lambda_%d > lambda_%d)", i, i + 1);
      return SPX_EINVAL;
    }
  double maxabs = 0.0;
  for (int i = 0; i < n; i++) maxabs = fmax(maxabs, fabs(evals[i]));
  int i0 = -1;
  if (s->floor_rel > 0.0) {
    /* Retained: the prefix of eigenvalues below -floor_rel max|lambda|. */
    int R = 0;
    while (R < n && evals[R] < -s->floor_rel * maxabs) R++;
    if (s->top > 0 && R > s->top) R = s->top;
    if (R == 0) {
      /* No negative eigenvalue beyond the floor: E_-(theta) = {0} for every theta > 0. */
      g->well_posed = 1;
      g->lambda_hi = evals[0];
      return SPX_OK;
    }
    if (R == 1 && !s->to_null) {
      i0 = 0;
      g->jump = INFINITY;
    } else {
      double best = -1.0;
      for (int i = 0; i + 1 < R; i++) {
        double q = fabs(evals[i]) / fabs(evals[i + 1]);
        if (q > best) {
          best = q;
          i0 = i;
        }
      }
      /* to_null: the last retained eigenvalue against the floor (everything above it is null
       * space or positive); ties go to the null gap. */
      if (s->to_null) {
        double q = fabs(evals[R - 1]) / (s->floor_rel * maxabs);
        if (q >= best) {
          best = q;
          i0 = R - 1;
        }
      }
      g->jump = best;
    }
  } else {
    /* The companion script (gap_metrics.py): absolute floor over the whole spectrum. */
    double fl = 1e-9 * fmax(fabs(evals[0]), 1.0), best = -1.0;
    int last = n - 1;
    if (s->top > 0 && s->top - 1 < last) last = s->top - 1;
    if (last < 1) {
      spx_error("gap: the absolute-floor rule needs at least two eigenvalues");
      return SPX_EINVAL;
    }
    for (int i = 0; i < last; i++) {
      double q = fmax(fabs(evals[i]), fl) / fmax(fabs(evals[i + 1]), fl);
      if (q > best) {
        best = q;
        i0 = i;
      }
    }
    g->jump = best;
  }
  g->index = i0;
  g->lambda_lo = evals[i0];
  /* Prop. 1 needs lambda_hi < 0: above the last negative eigenvalue the gap ends at 0. */
  g->lambda_hi = i0 + 1 < n ? evals[i0 + 1] : 0.0;
  if (s->floor_rel > 0.0 && g->lambda_hi > 0.0) g->lambda_hi = 0.0;
  g->delta = g->lambda_hi - g->lambda_lo;
  g->theta = -0.5 * (g->lambda_lo + g->lambda_hi);
  g->count = spx_gap_count(n, evals, g->theta);
  g->relgap = maxabs > 0.0 ? g->delta / maxabs : NAN;
  g->well_posed = g->relgap > s->relgap_min;
  return SPX_OK;
}

const char *spx_gap_verdict(const spx_gap *g)
{
  return g->well_posed ? "gap" : "no gap: count ill-posed";
}

void spx_gap_count_curve(int n, const double *evals, double theta_a, double theta_b, int nsamples,
                         double *thetas, int *counts, int *cmin, int *cmax)
{
  int lo = n + 1, hi = -1;
  for (int j = 0; j < nsamples; j++) {
    double t = nsamples > 1 ? (double)j / (nsamples - 1) : 0.0;
    double th = theta_a * pow(theta_b / theta_a, t);
    int c = spx_gap_count(n, evals, th);
    if (thetas) thetas[j] = th;
    if (counts) counts[j] = c;
    if (c < lo) lo = c;
    if (c > hi) hi = c;
  }
  if (cmin) *cmin = lo;
  if (cmax) *cmax = hi;
}

void spx_riesz_gap_contour(int n, const double *evals, const spx_gap *g, double margin,
                           double *centre, double *radius)
{
  (void)n;
  *centre = 0.5 * (evals[0] + g->lambda_lo);
  *radius = 0.5 * (g->lambda_lo - evals[0]) + margin * g->delta;
}

void spx_riesz_trace(int n, const double *evals, double c, double r, int M, double *re,
                     double *im)
{
  /* (1/2 pi i) dz_k = r e^{i phi_k} / M: sum_k sum_i w_k / (z_k - lambda_i). */
  double sr = 0.0, si = 0.0;
  for (int k = 0; k < M; k++) {
    double phi = 2.0 * M_PI * k / M;
    double wr = r * cos(phi) / M, wi = r * sin(phi) / M;
    for (int i = 0; i < n; i++) {
      double ar = c + r * cos(phi) - evals[i], ai = r * sin(phi);
      double den = ar * ar + ai * ai;
      /* w / a = w conj(a) / |a|^2 */
      sr += (wr * ar + wi * ai) / den;
      si += (wi * ar - wr * ai) / den;
    }
  }
  *re = sr;
  if (im) *im = si;
}

int spx_riesz_projector(int n, const double *H, double c, double r, int M, double *P,
                        double *trace, double *imag_max)
{
  int status = SPX_OK, signum;
  gsl_matrix_complex *Z = gsl_matrix_complex_alloc(n, n), *Zi = gsl_matrix_complex_alloc(n, n);
  gsl_matrix_complex *acc = gsl_matrix_complex_calloc(n, n);
  gsl_permutation *perm = gsl_permutation_alloc(n);
  if (!Z || !Zi || !acc || !perm) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  if (M < 1 || !(r > 0.0)) {
    spx_error("Riesz projector: need M >= 1 nodes and a radius > 0 (got M = %d, r = %g)", M, r);
    status = SPX_EINVAL;
    goto cleanup;
  }
  for (int k = 0; k < M; k++) {
    double phi = 2.0 * M_PI * k / M;
    gsl_complex z = gsl_complex_rect(c + r * cos(phi), r * sin(phi));
    gsl_complex wk = gsl_complex_rect(r * cos(phi) / M, r * sin(phi) / M);
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        double h = -0.5 * (H[i * n + j] + H[j * n + i]);
        gsl_matrix_complex_set(Z, i, j, i == j ? gsl_complex_add_real(z, h) : gsl_complex_rect(h, 0));
      }
    if (gsl_linalg_complex_LU_decomp(Z, perm, &signum) != 0 ||
        gsl_linalg_complex_LU_invert(Z, perm, Zi) != 0) {
      spx_error("Riesz projector: complex LU failed at node %d (an eigenvalue on the contour?)", k);
      status = SPX_EINTERNAL;
      goto cleanup;
    }
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        gsl_complex a = gsl_matrix_complex_get(acc, i, j);
        gsl_matrix_complex_set(acc, i, j,
                               gsl_complex_add(a, gsl_complex_mul(wk, gsl_matrix_complex_get(Zi, i, j))));
      }
  }
  double tr = 0.0, im = 0.0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      gsl_complex a = gsl_matrix_complex_get(acc, i, j);
      P[i * n + j] = GSL_REAL(a);
      im = fmax(im, fabs(GSL_IMAG(a)));
      if (i == j) tr += GSL_REAL(a);
    }
  if (!spx_all_finite((long)n * n, P)) {
    spx_error("Riesz projector: non-finite result");
    status = SPX_ENONFINITE;
    goto cleanup;
  }
  if (trace) *trace = tr;
  if (imag_max) *imag_max = im;
cleanup:
  if (Z) gsl_matrix_complex_free(Z);
  if (Zi) gsl_matrix_complex_free(Zi);
  if (acc) gsl_matrix_complex_free(acc);
  if (perm) gsl_permutation_free(perm);
  return status;
}

void spx_gap_eigen_projector(int n, const double *evecs, int k, double *P)
{
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0.0;
      for (int q = 0; q < k; q++) s += evecs[i * n + q] * evecs[j * n + q];
      P[i * n + j] = s;
    }
}

int spx_gap_sin_theta(spx_gap_ws *w, const double *V, const double *W, int k, double *sin_theta)
{
  const int n = w->n, m = n - k;
  *sin_theta = 0.0;
  if (k <= 0 || m <= 0) return SPX_OK;
  /* Mt = W_perp^T V_{1:k} (m x k); the SVD wants rows >= columns, so take the transpose when
   * m < k (same singular values). */
  int rows = m >= k ? m : k, cols = m >= k ? k : m;
  for (int a = 0; a < m; a++)
    for (int b = 0; b < k; b++) {
      double s = 0.0;
      for (int q = 0; q < n; q++) s += W[q * n + (k + a)] * V[q * n + b];
      if (m >= k) w->M[a * cols + b] = s;
      else w->M[b * cols + a] = s;
    }
  if (cols == 1) {
    double s = 0.0;
    for (int a = 0; a < rows; a++) s += w->M[a] * w->M[a];
    *sin_theta = sqrt(s);
    return SPX_OK;
  }
  gsl_matrix_view Mv = gsl_matrix_view_array(w->M, rows, cols);
  gsl_matrix_view Vv = gsl_matrix_submatrix(w->svdV, 0, 0, cols, cols);
  gsl_vector_view Sv = gsl_vector_subvector(w->svdS, 0, cols);
  gsl_vector_view Wv = gsl_vector_subvector(w->svdW, 0, cols);
  if (gsl_linalg_SV_decomp(&Mv.matrix, &Vv.matrix, &Sv.vector, &Wv.vector) != 0) {
    spx_error("gap: SVD for sin Theta failed");
    return SPX_EINTERNAL;
  }
  *sin_theta = fmin(1.0, gsl_vector_get(&Sv.vector, 0));
  return SPX_OK;
}

/* ||A||_2 of a symmetric matrix: the largest |eigenvalue|. */
static int sym_norm(spx_gap_ws *w, const double *A, double *norm)
{
  int status = spx_gap_eigen(w, A, w->ev2, NULL);
  if (status) return status;
  *norm = fmax(fabs(w->ev2[0]), fabs(w->ev2[w->n - 1]));
  return SPX_OK;
}

int spx_gap_perturb_goe(spx_gap_ws *w, gsl_rng *rng, double eps, double *A)
{
  const int n = w->n;
  double nrm;
  /* spx_mat_goe is (G + G^T)/sqrt(2n): a multiple of (G + G^T)/2, so after the rescaling to
   * ||A||_2 = eps the law is exactly the spec's. */
  spx_mat_goe(n, rng, A);
  int status = sym_norm(w, A, &nrm);
  if (status) return status;
  if (!(nrm > 0.0)) return SPX_EINTERNAL;
  for (int i = 0; i < n * n; i++) A[i] *= eps / nrm;
  return SPX_OK;
}

void spx_gap_perturb_shift(int n, const double *evecs, int count, double eps, double *A)
{
  /* eps (P_- - (I - P_-)) = eps (2 P_- - I) */
  spx_gap_eigen_projector(n, evecs, count, A);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) A[i * n + j] = eps * (2.0 * A[i * n + j] - (i == j ? 1.0 : 0.0));
}

void spx_gap_perturb_rotate(int n, const double *evecs, int count, double eps, double *A)
{
  int a = count - 1, b = count;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      A[i * n + j] = eps * (evecs[i * n + a] * evecs[j * n + b] + evecs[i * n + b] * evecs[j * n + a]);
}

int spx_gap_perturb_eval(spx_gap_ws *w, const double *H, const double *evecs, const spx_gap *g,
                         const double *A, spx_gap_trial *t)
{
  int status = SPX_OK;
  const int n = w->n;
  SPX_TRY(sym_norm(w, A, &t->norm));
  for (int i = 0; i < n * n; i++) w->Hp[i] = H[i] + A[i];
  SPX_TRY(spx_gap_eigen(w, w->Hp, w->ev2, w->V2));
  t->count = spx_gap_count(n, w->ev2, g->theta);
  t->preserved = t->count == g->count;
  SPX_TRY(spx_gap_sin_theta(w, evecs, w->V2, g->count, &t->sin_theta));
  t->paper_bound = t->norm / g->delta;
  t->yws_bound = 2.0 * t->norm / g->delta;
  t->dk_bound = t->norm < g->delta ? t->norm / (g->delta - t->norm) : INFINITY;
cleanup:
  return status;
}

int spx_gap_perturb_study(spx_gap_ws *w, const double *H, const double *evecs, const spx_gap *g,
                          double eps_over_delta, int ntrials, gsl_rng *rng,
                          spx_gap_perturb_stats *st)
{
  int status = SPX_OK;
  const int n = w->n;
  memset(st, 0, sizeof *st);
  double *A = malloc(sizeof(double) * n * n);
  if (!A) return SPX_ENOMEM;
  if (!(g->delta > 0.0) || g->count < 1 || !rng || ntrials < 0) {
    spx_error("gap perturbation study: needs a gap (Delta > 0), dim E_- >= 1, a random "
              "generator and ntrials >= 0");
    status = SPX_EINVAL;
    goto cleanup;
  }
  for (int t = 0; t < ntrials; t++) {
    spx_gap_trial tr;
    SPX_TRY(spx_gap_perturb_goe(w, rng, eps_over_delta * g->delta, A));
    SPX_TRY(spx_gap_perturb_eval(w, H, evecs, g, A, &tr));
    st->trials++;
    st->preserved += tr.preserved;
    st->max_sin_theta = fmax(st->max_sin_theta, tr.sin_theta);
    st->max_ratio = fmax(st->max_ratio, tr.sin_theta / tr.paper_bound);
    st->dk_violations += tr.sin_theta > tr.dk_bound;
    st->paper_violations += tr.sin_theta > tr.paper_bound;
  }
  st->frac_preserved = st->trials ? (double)st->preserved / st->trials : NAN;
cleanup:
  free(A);
  return status;
}
