/* transport.c -- transport and routing diagnostics of attention matrices (spec
 * transport_routing.md; the API is documented in transport.h).
 *
 * Formulas and where they come from (spec sections):
 *   §1.3 [D]  d = (r + c)/2, T = D^{-1/2} A D^{-1/2}, S_T = (T + T^T)/2 = I - L, K_T = (T - T^T)/2;
 *             D(A^T) = D(A), so T(A^T) = T(A)^T (orientation blindness, §1.5).
 *   §1.4 [D]  phi(S) = cut_W(S) / min(vol S, vol S^c), cut_W(S) = (A(S,S^c) + A(S^c,S))/2,
 *             vol S = sum_{i in S} d_i; prefix cuts S_t = {1..t}; Cheeger lambda_2/2 <= phi <=
 *             sqrt(2 lambda_2); causal closed form phi(t) = C/min(2t + C, 2(n-t) - C); uniform
 *             causal C(t) = t(H_n - H_t); worst cut x(2 - ln x) = 1, phi* = 1 - 2x*; window
 *             phi_win,min = ((w-1)/2)/(n - delta).
 *   §1.5 [D]  G = ||K_T||_F/||S_T||_F; nu = (sum_{i>j} - sum_{i<j}) / sum_{i!=j};
 *             J(t) = (A(S^c,S) - A(S,S^c)) / (A(S^c,S) + A(S,S^c)).
 *   §3        KL(a_i || uniform over the m_i allowed keys) = ln m_i - H(a_i).
 *   §2.2      R = (M - M^T)/2, F = (M + M^T)/2; logits beta X M X^T; log(A_ij/A_ji) =
 *             log(Z_j/Z_i) + 2 beta kappa_ij and the 3-cycle affinity 2 beta (kappa_ij + kappa_jk +
 *             kappa_ki) (checked in the tests; here the affinity itself).
 *   §2.3 [D]  M = S - D, S skew, D = C C^T; Re lambda in [-lambda_max(D), -lambda_min(D)].
 *   §2.4 [D]  erank = exp(-sum p ln p), p = sigma/sum sigma; PR = (sum sigma^2)^2 / sum sigma^4.
 * [D] = the spec's DERIVED definitions: the project's own choice, not the papers' text.
 * [ours] = not in the spec: the validity test of the window formula (ramp cuts, see
 * spx_cheeger_window_min), the max-Z normalization of the detailed-balance residual, the KL of
 * A^T over the mirrored mask, the mask inferred from a matrix's zero pattern, the row-normalized
 * attention of USA models.
 *
 * Every sum runs in a fixed order (no threads here), so results are reproducible bit for bit.
 */
#include "transport.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_roots.h>

#include "mat.h"
#include "status.h"
#include "table.h"

/* ---- small helpers ------------------------------------------------------------------------- */

static int row_kl_core(int n, const double *A, spx_mask mask, int window, int mirror, int lenient,
                       double *kl, double *mean);

/* Allowed keys [lo, hi) of query i (0-based) under a mask (same ranges as spx_model_partners). */
static void allowed_range(spx_mask mask, int window, int n, int i, int *lo, int *hi)
{
  switch (mask) {
  case SPX_MASK_CAUSAL: *lo = 0; *hi = i + 1; break;
  case SPX_MASK_WINDOW: *lo = i - window + 1 > 0 ? i - window + 1 : 0; *hi = i + 1; break;
  default: *lo = 0; *hi = n; break;
  }
}

/* The keys of row i under the transposed mask (the support pattern of A^T): [i, n) for causal,
 * [i, min(n, i+w)) for a window. */
static void allowed_range_mirror(spx_mask mask, int window, int n, int i, int *lo, int *hi)
{
  switch (mask) {
  case SPX_MASK_CAUSAL: *lo = i; *hi = n; break;
  case SPX_MASK_WINDOW: *lo = i; *hi = i + window < n ? i + window : n; break;
  default: *lo = 0; *hi = n; break;
  }
}

static int check_mask(spx_mask mask, int window)
{
  if (mask != SPX_MASK_NONE && mask != SPX_MASK_CAUSAL && mask != SPX_MASK_WINDOW) {
    spx_error("transport: unknown mask %d", (int)mask);
    return SPX_EINVAL;
  }
  if (mask == SPX_MASK_WINDOW && window < 1) {
    spx_error("transport: window width %d (must be >= 1)", window);
    return SPX_EINVAL;
  }
  return SPX_OK;
}

/* Stable merge sort of idx[0..n) by a "less" predicate; tmp holds n ints. Deterministic for
 * ties (index order kept), unlike qsort. */
typedef int (*less_fn)(int a, int b, const void *ctx);
static void merge_sort(int n, int *idx, int *tmp, less_fn less, const void *ctx)
{
  for (int width = 1; width < n; width *= 2) {
    for (int lo = 0; lo < n; lo += 2 * width) {
      int mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      int a = lo, b = mid, k = lo;
      while (a < mid && b < hi) tmp[k++] = less(idx[b], idx[a], ctx) ? idx[b++] : idx[a++];
      while (a < mid) tmp[k++] = idx[a++];
      while (b < hi) tmp[k++] = idx[b++];
    }
    memcpy(idx, tmp, sizeof(int) * n);
  }
}

static int less_by_value(int a, int b, const void *ctx)
{
  const double *v = ctx;
  return v[a] < v[b];
}

/* ctx = {re, im}: lexicographic order on (Re, Im). */
static int less_complex(int a, int b, const void *ctx)
{
  const double *const *p = ctx;
  if (p[0][a] != p[0][b]) return p[0][a] < p[0][b];
  return p[1][a] < p[1][b];
}

/* Row sums r, column sums c and degrees d = (r + c)/2 (§1.3). SPX_EINVAL if some d_i <= 0:
 * T and the volumes need positive degrees. */
static int degrees(int n, const double *A, double *r, double *c, double *deg)
{
  for (int j = 0; j < n; j++) c[j] = 0.0;
  for (int i = 0; i < n; i++) {
    double s = 0.0;
    for (int j = 0; j < n; j++) {
      s += A[(long)i * n + j];
      c[j] += A[(long)i * n + j];
    }
    r[i] = s;
  }
  for (int i = 0; i < n; i++) {
    deg[i] = 0.5 * (r[i] + c[i]);
    if (!(deg[i] > 0.0)) {
      spx_error("transport: degree d_%d = (r + c)/2 = %g is not positive (an isolated or "
                "negative node): the normalized operator needs d > 0",
                i + 1, deg[i]);
      return SPX_EINVAL;
    }
  }
  return SPX_OK;
}

/* The landscape in O(n^2) (§1.4, §4 "cumulative sums"). With P = A permuted by p:
 *   in[t]  = A(S^c_t, S_t) = sum_{s >= t} sum_{q < t} P_sq,
 *   out[t] = A(S_t, S^c_t) = sum_{s < t} sum_{q >= t} P_sq.
 * Row s contributes its running prefix sums to in[t] for t <= s and its running suffix sums to
 * out[t] for t > s: O(n) per row, and no subtraction, so no cancellation. in/out/s1/s2 hold n. */
static void landscape_core(int n, const double *A, const double *deg, const int *p, double *in,
                           double *out, double *s1, double *s2, double *phi, double *flux,
                           double *phi_min, int *t_min)
{
#define PERM(s) (p ? p[s] : (s))
  for (int t = 0; t < n; t++) in[t] = out[t] = 0.0;
  for (int s = 0; s < n; s++) {
    const double *row = A + (long)PERM(s) * n;
    double acc = 0.0;
    for (int t = 1; t <= s; t++) {
      acc += row[PERM(t - 1)];
      in[t] += acc;
    }
    acc = 0.0;
    for (int t = n - 1; t > s; t--) {
      acc += row[PERM(t)];
      out[t] += acc;
    }
  }
  /* vol S_t forward, vol S_t^c backward (each a plain cumulative sum). */
  s1[0] = 0.0;
  for (int t = 1; t < n; t++) s1[t] = s1[t - 1] + deg[PERM(t - 1)];
  s2[n - 1] = deg[PERM(n - 1)];
  for (int t = n - 2; t >= 1; t--) s2[t] = s2[t + 1] + deg[PERM(t)];
#undef PERM
  double best = INFINITY;
  int tbest = 1;
  for (int t = 1; t < n; t++) {
    double cut = 0.5 * (in[t] + out[t]), vol = fmin(s1[t], s2[t]);
    double ph = cut / vol;
    phi[t - 1] = ph;
    if (flux) flux[t - 1] = in[t] + out[t] > 0.0 ? (in[t] - out[t]) / (in[t] + out[t]) : 0.0;
    if (ph < best) {
      best = ph;
      tbest = t;
    }
  }
  *phi_min = best;
  *t_min = tbest;
}

/* Entropy effective rank, participation ratio and numerical rank (§2.4) from the n singular
 * values in s; tol_dim sets the rank tolerance smax * tol_dim * eps. */
static void erank_from_sv(int n, const gsl_vector *s, int tol_dim, spx_erank *out, double *sv);

/* Singular values of the n x n matrix M into s (descending, GSL), then the entropy effective
 * rank, participation ratio and numerical rank (§2.4). a, v: n x n; s, work: n. */
static int erank_core(int n, const double *M, gsl_matrix *a, gsl_matrix *v, gsl_vector *s,
                      gsl_vector *work, spx_erank *out, double *sv)
{
  if (!spx_all_finite((long)n * n, M)) {
    spx_error("transport: effective rank of a matrix with a non-finite entry");
    return SPX_ENONFINITE;
  }
  if (n == 1) {
    gsl_vector_set(s, 0, fabs(M[0]));
  } else {
    memcpy(a->data, M, sizeof(double) * n * n); /* gsl_matrix_alloc: tda == n */
    int rc = gsl_linalg_SV_decomp(a, v, s, work);
    if (rc != GSL_SUCCESS) {
      spx_error("transport: SVD failed (%s)", gsl_strerror(rc));
      return SPX_EINTERNAL;
    }
  }
  erank_from_sv(n, s, n, out, sv);
  return SPX_OK;
}

static void erank_from_sv(int n, const gsl_vector *s, int tol_dim, spx_erank *out, double *sv)
{
  double sum = 0.0, sum2 = 0.0, sum4 = 0.0, smax = 0.0;
  for (int k = 0; k < n; k++) {
    double x = gsl_vector_get(s, k);
    sum += x;
    sum2 += x * x;
    sum4 += x * x * x * x;
    smax = fmax(smax, x);
    if (sv) sv[k] = x;
  }
  out->smax = smax;
  out->rank = 0;
  for (int k = 0; k < n; k++)
    if (gsl_vector_get(s, k) > smax * tol_dim * DBL_EPSILON) out->rank++;
  if (sum == 0.0) {
    out->erank = out->pr = 0.0;
    return;
  }
  double h = 0.0;
  for (int k = 0; k < n; k++) {
    double pk = gsl_vector_get(s, k) / sum;
    if (pk > 0.0) h -= pk * log(pk);
  }
  out->erank = exp(h);
  out->pr = sum2 * sum2 / sum4;
}

/* Complex eigenvalues of the n x n matrix M (copied into a), sorted by (Re, Im). */
static int nonsymm_core(int n, const double *M, gsl_matrix *a, gsl_vector_complex *ev,
                        gsl_eigen_nonsymm_workspace *ws, int *idx, int *tmp, double *sre,
                        double *sim, double *re, double *im)
{
  if (!spx_all_finite((long)n * n, M)) {
    spx_error("transport: eigenvalues of a matrix with a non-finite entry");
    return SPX_ENONFINITE;
  }
  memcpy(a->data, M, sizeof(double) * n * n);
  int rc = gsl_eigen_nonsymm(a, ev, ws);
  if (rc != GSL_SUCCESS) {
    spx_error("transport: nonsymmetric eigensolver failed (%s)", gsl_strerror(rc));
    return SPX_EINTERNAL;
  }
  for (int k = 0; k < n; k++) {
    gsl_complex z = gsl_vector_complex_get(ev, k);
    sre[k] = GSL_REAL(z);
    sim[k] = GSL_IMAG(z);
    idx[k] = k;
  }
  const double *ctx[2] = {sre, sim};
  merge_sort(n, idx, tmp, less_complex, ctx);
  for (int k = 0; k < n; k++) {
    re[k] = sre[idx[k]];
    im[k] = sim[idx[k]];
  }
  return SPX_OK;
}

/* ---- workspace ----------------------------------------------------------------------------- */

int spx_transport_alloc(int n, spx_transport **out)
{
  int status = SPX_OK;
  spx_transport *w = NULL;
  *out = NULL;
  if (n < 2) {
    spx_error("transport: matrix size n = %d (must be >= 2: a cut needs two sides)", n);
    return SPX_EINVAL;
  }
  w = calloc(1, sizeof *w);
  if (!w) return SPX_ENOMEM;
  w->n = n;
  size_t nn = (size_t)n * n;
  w->r = malloc(sizeof(double) * n);
  w->c = malloc(sizeof(double) * n);
  w->deg = malloc(sizeof(double) * n);
  w->T = malloc(sizeof(double) * nn);
  w->ST = malloc(sizeof(double) * nn);
  w->KT = malloc(sizeof(double) * nn);
  w->lap = malloc(sizeof(double) * n);
  w->fiedler = malloc(sizeof(double) * n);
  w->phi = malloc(sizeof(double) * n);
  w->flux = malloc(sizeof(double) * n);
  w->order = malloc(sizeof(int) * n);
  w->sweep = malloc(sizeof(double) * n);
  w->in = malloc(sizeof(double) * n);
  w->out = malloc(sizeof(double) * n);
  w->s1 = malloc(sizeof(double) * n);
  w->s2 = malloc(sizeof(double) * n);
  w->itmp = malloc(sizeof(int) * n);
  w->itmp2 = malloc(sizeof(int) * n);
  w->m1 = gsl_matrix_alloc(n, n);
  w->m2 = gsl_matrix_alloc(n, n);
  w->v1 = gsl_vector_alloc(n);
  w->v2 = gsl_vector_alloc(n);
  w->cv = gsl_vector_complex_alloc(n);
  w->sym = gsl_eigen_symmv_alloc(n);
  w->nsym = gsl_eigen_nonsymm_alloc(n);
  if (!w->r || !w->c || !w->deg || !w->T || !w->ST || !w->KT || !w->lap || !w->fiedler ||
      !w->phi || !w->flux || !w->order || !w->sweep || !w->in || !w->out || !w->s1 || !w->s2 ||
      !w->itmp || !w->itmp2 || !w->m1 || !w->m2 || !w->v1 || !w->v2 || !w->cv || !w->sym ||
      !w->nsym) {
    spx_error("transport: out of memory for n = %d", n);
    status = SPX_ENOMEM;
    goto cleanup;
  }
  *out = w;
  w = NULL;
cleanup:
  spx_transport_free(w);
  return status;
}

void spx_transport_free(spx_transport *w)
{
  if (!w) return;
  free(w->r);
  free(w->c);
  free(w->deg);
  free(w->T);
  free(w->ST);
  free(w->KT);
  free(w->lap);
  free(w->fiedler);
  free(w->phi);
  free(w->flux);
  free(w->order);
  free(w->sweep);
  free(w->in);
  free(w->out);
  free(w->s1);
  free(w->s2);
  free(w->itmp);
  free(w->itmp2);
  if (w->m1) gsl_matrix_free(w->m1);
  if (w->m2) gsl_matrix_free(w->m2);
  if (w->v1) gsl_vector_free(w->v1);
  if (w->v2) gsl_vector_free(w->v2);
  if (w->cv) gsl_vector_complex_free(w->cv);
  if (w->sym) gsl_eigen_symmv_free(w->sym);
  if (w->nsym) gsl_eigen_nonsymm_free(w->nsym);
  free(w);
}

/* ---- operator diagnostics ------------------------------------------------------------------ */

int spx_transport_operator(spx_transport *w, const double *A)
{
  int status = SPX_OK, n = w->n;
  w->have_op = w->have_spec = 0;
  w->op_of = NULL;
  if (!spx_all_finite((long)n * n, A)) {
    spx_error("transport: the attention matrix has a non-finite entry");
    return SPX_ENONFINITE;
  }
  SPX_TRY(degrees(n, A, w->r, w->c, w->deg));
  double *dis = w->s1; /* d^{-1/2} */
  double vol = 0.0;
  for (int i = 0; i < n; i++) {
    dis[i] = 1.0 / sqrt(w->deg[i]);
    vol += w->deg[i];
  }
  w->volume = vol;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) w->T[(long)i * n + j] = dis[i] * A[(long)i * n + j] * dis[j];
  /* S_T and K_T from the pair (i,j),(j,i) at once; the diagonal of K_T is exactly 0. */
  double t2 = 0.0, s2 = 0.0, k2 = 0.0;
  for (int i = 0; i < n; i++)
    for (int j = i; j < n; j++) {
      double a = w->T[(long)i * n + j], b = w->T[(long)j * n + i];
      double s = 0.5 * (a + b), k = 0.5 * (a - b);
      w->ST[(long)i * n + j] = w->ST[(long)j * n + i] = s;
      w->KT[(long)i * n + j] = k;
      w->KT[(long)j * n + i] = -k;
      if (i == j) {
        t2 += a * a;
        s2 += s * s;
      } else {
        t2 += a * a + b * b;
        s2 += 2.0 * s * s;
        k2 += 2.0 * k * k;
      }
    }
  w->norm_T = sqrt(t2);
  w->norm_S = sqrt(s2);
  w->norm_K = sqrt(k2);
  if (!(w->norm_S > 0.0)) {
    spx_error("transport: the symmetric part S_T vanishes: G is undefined");
    status = SPX_EINVAL;
    goto cleanup;
  }
  w->G = w->norm_K / w->norm_S;
  w->have_op = 1;
  w->op_of = A;
cleanup:
  return status;
}

int spx_transport_spectrum(spx_transport *w)
{
  int n = w->n;
  w->have_spec = 0;
  if (!w->have_op) {
    spx_error("transport: spx_transport_spectrum called before spx_transport_operator");
    return SPX_EINVAL;
  }
  memcpy(w->m1->data, w->ST, sizeof(double) * n * n);
  int rc = gsl_eigen_symmv(w->m1, w->v1, w->m2, w->sym);
  if (rc != GSL_SUCCESS) {
    spx_error("transport: symmetric eigensolver failed (%s)", gsl_strerror(rc));
    return SPX_EINTERNAL;
  }
  rc = gsl_eigen_symmv_sort(w->v1, w->m2, GSL_EIGEN_SORT_VAL_DESC);
  if (rc != GSL_SUCCESS) {
    spx_error("transport: eigenvalue sort failed (%s)", gsl_strerror(rc));
    return SPX_EINTERNAL;
  }
  /* L = I - S_T: ascending Laplacian eigenvalues are 1 - the descending ones of S_T. */
  for (int k = 0; k < n; k++) w->lap[k] = 1.0 - gsl_vector_get(w->v1, k);
  w->lambda2 = w->lap[1];
  /* Fiedler vector in vertex coordinates D^{-1/2} v_2 (§4); sign fixed so that the order does
   * not depend on the eigensolver's choice. */
  int kmax = 0;
  for (int i = 0; i < n; i++) {
    w->fiedler[i] = gsl_matrix_get(w->m2, i, 1) / sqrt(w->deg[i]);
    if (fabs(w->fiedler[i]) > fabs(w->fiedler[kmax])) kmax = i;
  }
  if (w->fiedler[kmax] < 0.0)
    for (int i = 0; i < n; i++) w->fiedler[i] = -w->fiedler[i];
  w->have_spec = 1;
  return SPX_OK;
}

int spx_transport_T_eigen(spx_transport *w, double *re, double *im)
{
  if (!w->have_op) {
    spx_error("transport: spx_transport_T_eigen called before spx_transport_operator");
    return SPX_EINVAL;
  }
  /* in/out hold the unsorted values (private scratch; order is left as the sweep wrote it). */
  return nonsymm_core(w->n, w->T, w->m1, w->cv, w->nsym, w->itmp, w->itmp2, w->in, w->out,
                      re, im);
}

int spx_transport_landscape(spx_transport *w, const double *A, const int *order)
{
  int n = w->n;
  if (!spx_all_finite((long)n * n, A)) {
    spx_error("transport: the attention matrix has a non-finite entry");
    return SPX_ENONFINITE;
  }
  if (order) {
    /* A permutation of 0..n-1 is required: every particle exactly once. */
    for (int i = 0; i < n; i++) w->itmp[i] = 0;
    for (int s = 0; s < n; s++) {
      if (order[s] < 0 || order[s] >= n || w->itmp[order[s]]++) {
        spx_error("transport: landscape order is not a permutation of 0..%d (position %d)",
                  n - 1, s);
        return SPX_EINVAL;
      }
    }
  }
  int status = degrees(n, A, w->r, w->c, w->deg);
  if (status != SPX_OK) return status;
  landscape_core(n, A, w->deg, order, w->in, w->out, w->s1, w->s2, w->phi, w->flux,
                 &w->phi_min, &w->t_min);
  return SPX_OK;
}

int spx_transport_sweep(spx_transport *w, const double *A)
{
  int n = w->n, tmin;
  if (!w->have_spec || w->op_of != A) {
    spx_error("transport: spx_transport_sweep needs spx_transport_operator and "
              "spx_transport_spectrum of the same matrix first");
    return SPX_EINVAL;
  }
  for (int i = 0; i < n; i++) w->order[i] = i;
  merge_sort(n, w->order, w->itmp, less_by_value, w->fiedler);
  /* Degrees again from A: a landscape call on another matrix may have overwritten w->deg. */
  int status = degrees(n, A, w->r, w->c, w->deg);
  if (status != SPX_OK) return status;
  landscape_core(n, A, w->deg, w->order, w->in, w->out, w->s1, w->s2, w->sweep, NULL,
                 &w->phi_sweep, &tmin);
  return SPX_OK;
}

int spx_transport_diagnose(spx_transport *w, const double *A, spx_mask mask, int window,
                           spx_transport_summary *out)
{
  int status = SPX_OK;
  SPX_TRY(check_mask(mask, window));
  SPX_TRY(spx_transport_operator(w, A));
  SPX_TRY(spx_transport_spectrum(w));
  SPX_TRY(spx_transport_sweep(w, A));
  SPX_TRY(spx_transport_landscape(w, A, NULL));
  /* lenient: a row without mass (a token nobody reads from, e.g. in a transposed sink) makes the
   * mean KL NaN instead of failing the whole snapshot */
  SPX_TRY(row_kl_core(w->n, A, mask, window, 0, 1, NULL, &out->mean_kl));
  out->lambda2 = w->lambda2;
  out->G = w->G;
  out->phi_prefix = w->phi_min;
  out->t_prefix = w->t_min;
  out->phi_sweep = w->phi_sweep;
  /* lambda_2 can be a tiny negative number for a disconnected graph: clamp inside the sqrt. */
  out->cheeger_lower = 0.5 * w->lambda2;
  out->cheeger_upper = sqrt(2.0 * fmax(w->lambda2, 0.0));
  out->nu = spx_transport_nu(w->n, A);
  out->volume = w->volume;
cleanup:
  return status;
}

int spx_transport_erank(spx_transport *w, const double *M, spx_erank *out)
{
  return erank_core(w->n, M, w->m1, w->m2, w->v1, w->v2, out, NULL);
}

int spx_transport_reversibility(spx_transport *w, const double *A, const double *logZ,
                                spx_reversibility *out)
{
  int n = w->n;
  double *lg = w->m1->data; /* log A_ij, n x n scratch */
  if (!spx_all_finite((long)n * n, A) || (logZ && !spx_all_finite(n, logZ))) {
    spx_error("transport: reversibility of a matrix with a non-finite entry");
    return SPX_ENONFINITE;
  }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double a = A[(long)i * n + j];
      if (i != j && !(a > 0.0)) {
        spx_error("transport: reversibility needs A_ij > 0 off the diagonal; A_%d,%d = %g", i + 1,
                  j + 1, a);
        return SPX_EINVAL;
      }
      lg[(long)i * n + j] = i != j ? log(a) : 0.0;
    }
  /* Kolmogorov criterion on the complete graph: the chain is reversible iff every 3-cycle has
   * zero affinity. The affinity of (i,k,j) is minus that of (i,j,k), so i<j<k covers all. */
  double amax = 0.0;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double lij = lg[(long)i * n + j] - lg[(long)j * n + i];
      for (int k = j + 1; k < n; k++) {
        double a = lij + (lg[(long)j * n + k] - lg[(long)k * n + j]) +
                   (lg[(long)k * n + i] - lg[(long)i * n + k]);
        amax = fmax(amax, fabs(a));
      }
    }
  out->max_affinity = amax;
  out->db_residual = out->stationarity = out->sym_defect = NAN;
  if (!logZ) return SPX_OK;
  /* z_i = Z_i / max Z (no overflow), pi = Z / sum Z. */
  double lmax = logZ[0], zsum = 0.0;
  for (int i = 1; i < n; i++) lmax = fmax(lmax, logZ[i]);
  double *z = w->s1, *pi = w->s2;
  for (int i = 0; i < n; i++) {
    z[i] = exp(logZ[i] - lmax);
    zsum += z[i];
  }
  for (int i = 0; i < n; i++) pi[i] = z[i] / zsum;
  double db = 0.0, sd = 0.0, st = 0.0;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double aij = A[(long)i * n + j], aji = A[(long)j * n + i];
      db = fmax(db, fabs(z[i] * aij - z[j] * aji));
      /* (Pi^{1/2} A Pi^{-1/2})_ij = sqrt(pi_i/pi_j) A_ij. */
      sd = fmax(sd, fabs(sqrt(pi[i] / pi[j]) * aij - sqrt(pi[j] / pi[i]) * aji));
    }
  for (int j = 0; j < n; j++) {
    double s = 0.0;
    for (int i = 0; i < n; i++) s += pi[i] * A[(long)i * n + j];
    st = fmax(st, fabs(s - pi[j]));
  }
  out->db_residual = db;
  out->sym_defect = sd;
  out->stationarity = st;
  return SPX_OK;
}

int spx_transport_phi_exhaustive(int n, const double *A, double *phi, unsigned long *set)
{
  double r[SPX_TRANSPORT_EXHAUSTIVE_MAX], c[SPX_TRANSPORT_EXHAUSTIVE_MAX],
      deg[SPX_TRANSPORT_EXHAUSTIVE_MAX];
  if (n < 2 || n > SPX_TRANSPORT_EXHAUSTIVE_MAX) {
    spx_error("transport: exhaustive conductance needs 2 <= n <= %d (got %d)",
              SPX_TRANSPORT_EXHAUSTIVE_MAX, n);
    return SPX_EINVAL;
  }
  if (!spx_all_finite((long)n * n, A)) {
    spx_error("transport: the attention matrix has a non-finite entry");
    return SPX_ENONFINITE;
  }
  int status = degrees(n, A, r, c, deg);
  if (status != SPX_OK) return status;
  double total = 0.0;
  for (int i = 0; i < n; i++) total += deg[i];
  /* phi(S) = phi(S^c), so the subsets without the last vertex cover every bipartition once. Each
   * cut is summed from scratch (O(n^2)): no drift over 2^(n-1) subsets. */
  double best = INFINITY;
  unsigned long bset = 1, nsub = 1UL << (n - 1);
  for (unsigned long m = 1; m < nsub; m++) {
    double cut = 0.0, vol = 0.0;
    for (int i = 0; i < n; i++) {
      if (!(m >> i & 1UL)) continue;
      vol += deg[i];
      for (int j = 0; j < n; j++)
        if (!(m >> j & 1UL)) cut += A[i * n + j] + A[j * n + i];
    }
    double ph = 0.5 * cut / fmin(vol, total - vol);
    if (ph < best) {
      best = ph;
      bset = m;
    }
  }
  *phi = best;
  if (set) *set = bset;
  return SPX_OK;
}

double spx_transport_nu(int n, const double *M)
{
  double lower = 0.0, upper = 0.0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      if (i > j) lower += M[(long)i * n + j];
      else if (i < j) upper += M[(long)i * n + j];
    }
  /* No off-diagonal mass: no flow, no direction. */
  return lower + upper != 0.0 ? (lower - upper) / (lower + upper) : 0.0;
}

/* KL of every row to the uniform distribution over its allowed keys (§3); mirror: the keys of
 * the transposed mask; lenient: a row without mass gives NaN instead of an error. */
static int row_kl_core(int n, const double *A, spx_mask mask, int window, int mirror, int lenient,
                       double *kl, double *mean)
{
  int status = check_mask(mask, window);
  if (status != SPX_OK) return status;
  double total = 0.0;
  for (int i = 0; i < n; i++) {
    int lo, hi;
    if (mirror) allowed_range_mirror(mask, window, n, i, &lo, &hi);
    else allowed_range(mask, window, n, i, &lo, &hi);
    const double *row = A + (long)i * n;
    double rs = 0.0;
    for (int j = 0; j < n; j++) {
      double a = row[j];
      if (!isfinite(a) || a < 0.0) {
        spx_error("transport: KL needs a nonnegative finite row; A_%d,%d = %g", i + 1, j + 1, a);
        return SPX_EINVAL;
      }
      if (a > 0.0 && (j < lo || j >= hi)) {
        spx_error("transport: A_%d,%d = %g lies outside the keys the mask allows: KL is "
                  "infinite",
                  i + 1, j + 1, a);
        return SPX_EINVAL;
      }
      rs += a;
    }
    if (!(rs > 0.0)) {
      if (lenient) {
        if (kl) kl[i] = NAN;
        total = NAN;
        continue;
      }
      spx_error("transport: row %d of the attention matrix has no mass", i + 1);
      return SPX_EINVAL;
    }
    /* KL(p || u) = sum_j p_j ln(p_j m) = ln m - H(p), p = row / row sum (§3). */
    double h = 0.0;
    for (int j = lo; j < hi; j++) {
      double p = row[j] / rs;
      if (p > 0.0) h -= p * log(p);
    }
    double k = log((double)(hi - lo)) - h;
    if (kl) kl[i] = k;
    total += k;
  }
  *mean = total / n;
  return SPX_OK;
}

int spx_transport_row_kl(int n, const double *A, spx_mask mask, int window, double *kl,
                         double *mean)
{
  return row_kl_core(n, A, mask, window, 0, 0, kl, mean);
}

int spx_transport_row_kl_ex(int n, const double *A, spx_mask mask, int window, int mirror,
                            double *kl, double *mean)
{
  return row_kl_core(n, A, mask, window, mirror, 1, kl, mean);
}

void spx_transport_infer_mask(int n, const double *A, spx_mask *mask, int *window)
{
  int w = 1;
  for (int i = 0; i < n; i++) {
    const double *row = A + (long)i * n;
    for (int j = i + 1; j < n; j++)
      if (row[j] != 0.0) {
        *mask = SPX_MASK_NONE;
        *window = n;
        return;
      }
    int j = 0;
    while (j < i && row[j] == 0.0) j++;
    if (i - j + 1 > w) w = i - j + 1;
  }
  *mask = w < n ? SPX_MASK_WINDOW : SPX_MASK_CAUSAL;
  *window = w;
}

/* Line number of the k-th data row (0-based) of a table file: blank and '#' lines do not count
 * (the rules of sim/table.c). 0 if it cannot be found. */
static long data_row_line(const char *path, long k)
{
  FILE *f = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0;
  long lineno = 0, row = -1, found = 0;
  if (!f) return 0;
  while (getline(&line, &cap, f) >= 0) {
    lineno++;
    const char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0') continue;
    if (++row == k) {
      found = lineno;
      break;
    }
  }
  free(line);
  fclose(f);
  return found;
}

int spx_transport_read_matrix(const char *path, int max_n, int *n_out, double **A_out)
{
  int status = SPX_OK, rows = 0, cols = 0;
  double *A = NULL;
  *A_out = NULL;
  SPX_TRY(spx_table_read(path, "attention matrix", -1, -1, NULL, NULL, &A, &rows, &cols));
  if (rows != cols) {
    spx_error("attention matrix %s:%ld: %d rows of %d numbers: the matrix must be square (n rows "
              "of n numbers, n = the entries of the first row)",
              path, data_row_line(path, rows < cols ? rows - 1 : cols), rows, cols);
    status = SPX_EINVAL;
    goto cleanup;
  }
  const int n = rows;
  if (n < 2 || n > max_n) {
    spx_error("attention matrix %s:%ld: n = %d; allowed 2 <= n <= %d (a cut needs two sides; "
              "the dense diagnostics hold ~10 n^2 doubles)",
              path, data_row_line(path, 0), n, max_n);
    status = SPX_EINVAL;
    goto cleanup;
  }
  for (long k = 0; k < (long)n * n; k++)
    if (A[k] < 0.0) {
      spx_error("attention matrix %s:%ld: column %ld is %g: attention weights must be >= 0 (the "
                "conductance, G <= 1 and the KL divergence need a nonnegative matrix)",
                path, data_row_line(path, k / n), k % n + 1, A[k]);
      status = SPX_EINVAL;
      goto cleanup;
    }
  for (int i = 0; i < n; i++) {
    double mass = 0.0;
    for (int j = 0; j < n; j++) mass += A[(long)i * n + j] + A[(long)j * n + i];
    if (!(mass > 0.0)) {
      spx_error("attention matrix %s:%ld: row %d and column %d are both zero: token %d is "
                "isolated and the normalized operator needs degrees (r_i + c_i)/2 > 0",
                path, data_row_line(path, i), i + 1, i + 1, i + 1);
      status = SPX_EINVAL;
      goto cleanup;
    }
  }
  *n_out = n;
  *A_out = A;
  A = NULL;
cleanup:
  free(A);
  return status;
}

double spx_transport_cycle_affinity(int n, const double *A, int i, int j, int k)
{
  return log(A[(long)i * n + j]) + log(A[(long)j * n + k]) + log(A[(long)k * n + i]) -
         log(A[(long)i * n + k]) - log(A[(long)k * n + j]) - log(A[(long)j * n + i]);
}

/* ---- routing / filtering ------------------------------------------------------------------- */

void spx_routing_split(int d, const double *M, double *R, double *F, spx_routing_norms *norms)
{
  double m2 = 0.0, r2 = 0.0, f2 = 0.0, rf = 0.0;
  for (int i = 0; i < d; i++)
    for (int j = i; j < d; j++) {
      double a = M[i * d + j], b = M[j * d + i]; /* read both before any aliased write */
      double f = 0.5 * (a + b), r = 0.5 * (a - b);
      F[i * d + j] = F[j * d + i] = f;
      R[i * d + j] = r;
      R[j * d + i] = -r;
      if (i == j) {
        m2 += a * a;
        f2 += f * f;
      } else {
        m2 += a * a + b * b;
        f2 += 2.0 * f * f;
        r2 += 2.0 * r * r;
      }
    }
  if (norms) {
    /* <R,F>_F from the stored parts, in storage order: zero in exact arithmetic only. */
    for (int k = 0; k < d * d; k++) rf += R[k] * F[k];
    norms->norm_M = sqrt(m2);
    norms->norm_R = sqrt(r2);
    norms->norm_F = sqrt(f2);
    norms->inner_RF = rf;
    norms->ratio = f2 > 0.0 ? sqrt(r2 / f2) : (r2 > 0.0 ? INFINITY : 0.0);
  }
}

double spx_routing_ratio(int d, const double *M)
{
  double r2 = 0.0, f2 = 0.0;
  for (int i = 0; i < d; i++)
    for (int j = i; j < d; j++) {
      double a = M[(long)i * d + j], b = M[(long)j * d + i];
      double f = 0.5 * (a + b), r = 0.5 * (a - b);
      f2 += (i == j ? 1.0 : 2.0) * f * f;
      r2 += (i == j ? 0.0 : 2.0) * r * r;
    }
  return f2 > 0.0 ? sqrt(r2 / f2) : (r2 > 0.0 ? INFINITY : 0.0);
}

int spx_routing_erank(int d, const double *M, spx_erank *out, double *sv)
{
  int status = SPX_OK;
  if (d < 1) {
    spx_error("transport: effective rank of a %d x %d matrix", d, d);
    return SPX_EINVAL;
  }
  gsl_matrix *a = gsl_matrix_alloc(d, d), *v = gsl_matrix_alloc(d, d);
  gsl_vector *s = gsl_vector_alloc(d), *work = gsl_vector_alloc(d);
  if (!a || !v || !s || !work) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  SPX_TRY(erank_core(d, M, a, v, s, work, out, sv));
cleanup:
  if (a) gsl_matrix_free(a);
  if (v) gsl_matrix_free(v);
  if (s) gsl_vector_free(s);
  if (work) gsl_vector_free(work);
  return status;
}

int spx_routing_eigen(int d, const double *M, double *re, double *im)
{
  int status = SPX_OK;
  if (d < 1) {
    spx_error("transport: eigenvalues of a %d x %d matrix", d, d);
    return SPX_EINVAL;
  }
  gsl_matrix *a = gsl_matrix_alloc(d, d);
  gsl_vector_complex *ev = gsl_vector_complex_alloc(d);
  gsl_eigen_nonsymm_workspace *ws = gsl_eigen_nonsymm_alloc(d);
  int *idx = malloc(sizeof(int) * d), *tmp = malloc(sizeof(int) * d);
  double *sre = malloc(sizeof(double) * d), *sim = malloc(sizeof(double) * d);
  if (!a || !ev || !ws || !idx || !tmp || !sre || !sim) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  SPX_TRY(nonsymm_core(d, M, a, ev, ws, idx, tmp, sre, sim, re, im));
cleanup:
  if (a) gsl_matrix_free(a);
  if (ev) gsl_vector_complex_free(ev);
  if (ws) gsl_eigen_nonsymm_free(ws);
  free(idx);
  free(tmp);
  free(sre);
  free(sim);
  return status;
}

struct spx_routing_ws {
  int d;
  gsl_matrix *g, *v, *a, *sv_v; /* Gram U^T U, its eigenvectors, the d x d reduction, SVD scratch */
  gsl_vector *lam, *s, *work;
  gsl_eigen_symmv_workspace *eig;
};

void spx_routing_ws_free(spx_routing_ws *ws)
{
  if (!ws) return;
  if (ws->g) gsl_matrix_free(ws->g);
  if (ws->v) gsl_matrix_free(ws->v);
  if (ws->a) gsl_matrix_free(ws->a);
  if (ws->sv_v) gsl_matrix_free(ws->sv_v);
  if (ws->lam) gsl_vector_free(ws->lam);
  if (ws->s) gsl_vector_free(ws->s);
  if (ws->work) gsl_vector_free(ws->work);
  if (ws->eig) gsl_eigen_symmv_free(ws->eig);
  free(ws);
}

int spx_routing_ws_alloc(int d, spx_routing_ws **out)
{
  *out = NULL;
  if (d < 1) {
    spx_error("transport: routing workspace for d = %d", d);
    return SPX_EINVAL;
  }
  spx_routing_ws *ws = calloc(1, sizeof *ws);
  if (!ws) return SPX_ENOMEM;
  ws->d = d;
  ws->g = gsl_matrix_alloc(d, d);
  ws->v = gsl_matrix_alloc(d, d);
  ws->a = gsl_matrix_alloc(d, d);
  ws->sv_v = gsl_matrix_alloc(d, d);
  ws->lam = gsl_vector_alloc(d);
  ws->s = gsl_vector_alloc(d);
  ws->work = gsl_vector_alloc(d);
  ws->eig = gsl_eigen_symmv_alloc(d);
  if (!ws->g || !ws->v || !ws->a || !ws->sv_v || !ws->lam || !ws->s || !ws->work || !ws->eig) {
    spx_routing_ws_free(ws);
    return SPX_ENOMEM;
  }
  *out = ws;
  return SPX_OK;
}

int spx_routing_logits_erank(spx_routing_ws *ws, int n, const double *U, const double *R,
                             double beta, spx_erank *out)
{
  const int d = ws->d;
  if (!spx_all_finite((long)n * d, U) || !spx_all_finite((long)d * d, R)) {
    spx_error("transport: routing logits of a non-finite state or form");
    return SPX_ENONFINITE;
  }
  /* Gram matrix U^T U = V Lambda V^T; then U = W Lambda^{1/2} V^T with W^T W = I on the range, so
   * beta U R U^T = W (Lambda^{1/2} V^T beta R V Lambda^{1/2}) W^T: same nonzero singular values. */
  for (int a = 0; a < d; a++)
    for (int b = a; b < d; b++) {
      double s = 0.0;
      for (int i = 0; i < n; i++) s += U[(long)i * d + a] * U[(long)i * d + b];
      gsl_matrix_set(ws->g, a, b, s);
      gsl_matrix_set(ws->g, b, a, s);
    }
  int rc = gsl_eigen_symmv(ws->g, ws->lam, ws->v, ws->eig);
  if (rc != GSL_SUCCESS) {
    spx_error("transport: eigensolver failed on the Gram matrix (%s)", gsl_strerror(rc));
    return SPX_EINTERNAL;
  }
  /* Eigenvalues at rounding level (U of rank < d, e.g. n < d) are zeros: their square roots
   * (~1e-8) would add spurious singular values, so they are set to 0. */
  double lmax = 0.0;
  for (int k = 0; k < d; k++) lmax = fmax(lmax, gsl_vector_get(ws->lam, k));
  const double ltol = lmax * (n > d ? n : d) * DBL_EPSILON;
  for (int k = 0; k < d; k++) {
    double l = gsl_vector_get(ws->lam, k);
    gsl_vector_set(ws->lam, k, l > ltol ? sqrt(l) : 0.0);
  }
  /* a = Lambda^{1/2} V^T (beta R) V Lambda^{1/2}, entry (k,l) = sqrt(lam_k lam_l) v_k^T beta R v_l */
  for (int k = 0; k < d; k++)
    for (int l = 0; l < d; l++) {
      double s = 0.0;
      for (int a = 0; a < d; a++) {
        double ra = 0.0;
        for (int b = 0; b < d; b++) ra += R[a * d + b] * gsl_matrix_get(ws->v, b, l);
        s += gsl_matrix_get(ws->v, a, k) * ra;
      }
      gsl_matrix_set(ws->a, k, l,
                     beta * gsl_vector_get(ws->lam, k) * gsl_vector_get(ws->lam, l) * s);
    }
  if (d == 1) {
    gsl_vector_set(ws->s, 0, fabs(gsl_matrix_get(ws->a, 0, 0)));
  } else {
    rc = gsl_linalg_SV_decomp(ws->a, ws->sv_v, ws->s, ws->work);
    if (rc != GSL_SUCCESS) {
      spx_error("transport: SVD failed (%s)", gsl_strerror(rc));
      return SPX_EINTERNAL;
    }
  }
  erank_from_sv(d, ws->s, n, out, NULL);
  return SPX_OK;
}

/* ---- S-D parameterization ------------------------------------------------------------------ */

void spx_sd_compose(int d, const double *B, int k, const double *C, double *S, double *D,
                    double *M)
{
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) {
      double dij = 0.0;
      for (int l = 0; l < k; l++) dij += C[i * k + l] * C[j * k + l];
      S[i * d + j] = 0.5 * (B[i * d + j] - B[j * d + i]);
      D[i * d + j] = dij;
    }
  /* C C^T is symmetric in exact arithmetic and here too: the sum for (i,j) and (j,i) multiplies
   * the same pairs in the same order. */
  if (M)
    for (int i = 0; i < d * d; i++) M[i] = S[i] - D[i];
}

int spx_sd_bendixson(int d, const double *S, const double *D, spx_sd_bounds *out)
{
  int status = SPX_OK;
  double *M = NULL, *re = NULL, *im = NULL;
  gsl_matrix *dm = NULL;
  gsl_vector *ev = NULL;
  gsl_eigen_symm_workspace *ws = NULL;
  if (d < 1) {
    spx_error("transport: S-D bounds of a %d x %d matrix", d, d);
    return SPX_EINVAL;
  }
  if (!spx_all_finite((long)d * d, S) || !spx_all_finite((long)d * d, D)) {
    spx_error("transport: S or D has a non-finite entry");
    return SPX_ENONFINITE;
  }
  double scale = 0.0, skew = 0.0, asym = 0.0;
  for (int i = 0; i < d * d; i++) scale = fmax(scale, fmax(fabs(S[i]), fabs(D[i])));
  for (int i = 0; i < d; i++)
    for (int j = i; j < d; j++) {
      skew = fmax(skew, fabs(S[i * d + j] + S[j * d + i]));
      asym = fmax(asym, fabs(D[i * d + j] - D[j * d + i]));
    }
  double tol = 1e-12 * (1.0 + scale);
  if (skew > tol || asym > tol) {
    spx_error("transport: S-D form needs S skew and D symmetric (max |S + S^T| = %g, "
              "max |D - D^T| = %g)",
              skew, asym);
    return SPX_EINVAL;
  }
  M = malloc(sizeof(double) * d * d);
  re = malloc(sizeof(double) * d);
  im = malloc(sizeof(double) * d);
  dm = gsl_matrix_alloc(d, d);
  ev = gsl_vector_alloc(d);
  ws = gsl_eigen_symm_alloc(d);
  if (!M || !re || !im || !dm || !ev || !ws) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  memcpy(dm->data, D, sizeof(double) * d * d);
  int rc = gsl_eigen_symm(dm, ev, ws);
  if (rc != GSL_SUCCESS) {
    spx_error("transport: symmetric eigensolver failed on D (%s)", gsl_strerror(rc));
    status = SPX_EINTERNAL;
    goto cleanup;
  }
  out->d_min = gsl_vector_min(ev);
  out->d_max = gsl_vector_max(ev);
  if (out->d_min < -tol) {
    spx_error("transport: D is not positive semidefinite (lambda_min(D) = %g)", out->d_min);
    status = SPX_EINVAL;
    goto cleanup;
  }
  for (int i = 0; i < d * d; i++) M[i] = S[i] - D[i];
  SPX_TRY(spx_routing_eigen(d, M, re, im));
  out->re_min = re[0];
  out->re_max = re[d - 1];
  out->im_max = 0.0;
  for (int i = 0; i < d; i++) out->im_max = fmax(out->im_max, fabs(im[i]));
cleanup:
  free(M);
  free(re);
  free(im);
  if (dm) gsl_matrix_free(dm);
  if (ev) gsl_vector_free(ev);
  if (ws) gsl_eigen_symm_free(ws);
  return status;
}

/* ---- attention builders -------------------------------------------------------------------- */

void spx_attention_uniform_causal(int n, double *A)
{
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) A[(long)i * n + j] = j <= i ? 1.0 / (i + 1) : 0.0;
}

int spx_attention_window(int n, int w, double *A)
{
  if (w < 1) {
    spx_error("transport: window width %d (must be >= 1)", w);
    return SPX_EINVAL;
  }
  for (int i = 0; i < n; i++) {
    int lo = i - w + 1 > 0 ? i - w + 1 : 0; /* 0-based: max(1, i-w+1) - 1 */
    double v = 1.0 / (i + 1 < w ? i + 1 : w);
    for (int j = 0; j < n; j++) A[(long)i * n + j] = j >= lo && j <= i ? v : 0.0;
  }
  return SPX_OK;
}

void spx_attention_sink(int n, double *A)
{
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) A[(long)i * n + j] = j == 0 ? 1.0 : 0.0;
}

void spx_attention_uniform_full(int n, double *A)
{
  for (long i = 0; i < (long)n * n; i++) A[i] = 1.0 / n;
}

void spx_attention_logits(int n, int d, const double *X, const double *M, double beta,
                          double *work, double *L)
{
  /* Y = X M (n x d), then L_ij = beta <y_i, x_j> = beta x_i^T M x_j: O(n d^2 + n^2 d). */
  for (int i = 0; i < n; i++)
    for (int b = 0; b < d; b++) {
      double s = 0.0;
      for (int a = 0; a < d; a++) s += X[(long)i * d + a] * M[a * d + b];
      work[(long)i * d + b] = s;
    }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0.0;
      for (int b = 0; b < d; b++) s += work[(long)i * d + b] * X[(long)j * d + b];
      L[(long)i * n + j] = beta * s;
    }
}

int spx_attention_softmax(int n, const double *L, spx_mask mask, int window, double *A,
                          double *logZ)
{
  int status = check_mask(mask, window);
  if (status != SPX_OK) return status;
  for (int i = 0; i < n; i++) {
    int lo, hi;
    allowed_range(mask, window, n, i, &lo, &hi);
    const double *l = L + (long)i * n;
    double *a = A + (long)i * n;
    double mx = -INFINITY;
    for (int j = lo; j < hi; j++) {
      if (!isfinite(l[j])) {
        spx_error("transport: logit L_%d,%d = %g is not finite", i + 1, j + 1, l[j]);
        return SPX_ENONFINITE;
      }
      mx = fmax(mx, l[j]);
    }
    /* Shift by the row maximum so exp never overflows; log Z adds it back. Each l[j] is read
     * before a[j] is written, so A may alias L. */
    double z = 0.0;
    for (int j = 0; j < n; j++) {
      double e = j >= lo && j < hi ? exp(l[j] - mx) : 0.0;
      a[j] = e;
      z += e;
    }
    for (int j = lo; j < hi; j++) a[j] /= z;
    if (logZ) logZ[i] = mx + log(z);
  }
  return SPX_OK;
}

int spx_attention_of_state(const spx_model *m, int h, const double *x, spx_mask mask, int window,
                           double *U, double *work, double *A, double *logZ)
{
  const int n = m->n, d = m->d;
  if (h < 0 || h >= m->nheads) {
    spx_error("transport: head %d of a model with %d heads", h + 1, m->nheads);
    return SPX_EINVAL;
  }
  for (int i = 0; i < n; i++) {
    double s = 0.0;
    for (int a = 0; a < d; a++) s += x[(long)i * d + a] * x[(long)i * d + a];
    if (!(s > 0.0) || !isfinite(s)) {
      spx_error("transport: particle %d has norm %g: no direction on the sphere", i + 1, sqrt(s));
      return SPX_ENONFINITE;
    }
    double r = 1.0 / sqrt(s);
    for (int a = 0; a < d; a++) U[(long)i * d + a] = x[(long)i * d + a] * r;
  }
  spx_attention_logits(n, d, U, m->heads[h].A, m->beta, work, A);
  return spx_attention_softmax(n, A, mask, window, A, logZ);
}

/* ---- closed forms -------------------------------------------------------------------------- */

double spx_cheeger_causal(int n, int t, double C)
{
  /* vol S_t = t + C/2 and vol S_t^c = n - t - C/2 for causal row-stochastic A (§1.4). */
  return C / fmin(2.0 * t + C, 2.0 * (n - t) - C);
}

double spx_cheeger_uniform_causal(int n, int t)
{
  if (t < 1 || t >= n) return NAN;
  double h = 0.0; /* H_n - H_t, summed from the small terms up */
  for (int k = n; k > t; k--) h += 1.0 / k;
  return spx_cheeger_causal(n, t, t * h);
}

int spx_cheeger_uniform_landscape(int n, double *phi, double *phi_min, int *t_min)
{
  if (n < 2) {
    spx_error("transport: uniform causal landscape needs n >= 2 (got %d)", n);
    return SPX_EINVAL;
  }
  /* H_n - H_t accumulated backwards from t = n - 1: one pass, O(n). */
  double h = 0.0, best = INFINITY;
  int tbest = 1;
  for (int t = n - 1; t >= 1; t--) {
    h += 1.0 / (t + 1);
    double ph = spx_cheeger_causal(n, t, t * h);
    if (phi) phi[t - 1] = ph;
    if (ph <= best) { /* <= while going down: the first (smallest) argmin wins */
      best = ph;
      tbest = t;
    }
  }
  if (phi_min) *phi_min = best;
  if (t_min) *t_min = tbest;
  return SPX_OK;
}

double spx_cheeger_window_cross(int n, int w, int t)
{
  /* Row i > t (1-based) reads keys max(1, i-w+1)..i with weight 1/min(i,w); those <= t count. */
  double C = 0.0;
  for (int i = t + 1; i <= n && i - w + 1 <= t; i++) {
    int lo = i - w + 1 > 1 ? i - w + 1 : 1;
    C += (double)(t - lo + 1) / (i < w ? i : w);
  }
  return C;
}

int spx_cheeger_window_min(int n, int w, double *phi_min, int *valid)
{
  if (w < 1 || n < 2 || w > n) {
    spx_error("transport: window formula needs 1 <= w <= n and n >= 2 (n = %d, w = %d)", n, w);
    return SPX_EINVAL;
  }
  /* With c = (w-1)/2 and u = n - c: phi(t) = c / (c + 2 min(t, u - t)) on w-1 <= t <= n-w+1,
   * where C(t) = c. The best integer t is floor or ceil of u/2, giving 2 min(t, u - t) = u - delta
   * where delta is the distance from u to the nearest even integer (§1.4). */
  double c = 0.5 * (w - 1), u = n - c;
  double delta = fabs(u - 2.0 * nearbyint(0.5 * u));
  *phi_min = c / (n - delta);
  /* Valid = the formula is the minimum of the whole landscape: (a) an optimal t lies in the
   * constant-C range, and (b) no cut in the truncated ramps (t < w-1 or t > n-w+1) is lower.
   * The spec states (a) only ("roughly n >= 5(w-1)/2"); (a) alone fails when u is odd and the
   * tie t = w-2 sits in the left ramp (n = (5w-7)/2: e.g. (9,5), (14,7)), so (b) is checked with
   * the exact ramp C(t). On the ramps phi > 1/5 (left: C/t > 1/2; right: phi > 1/3, our
   * derivation), so (b) holds whenever the formula value is <= 1/5, i.e. whenever it pierces. */
  int in_range = 0;
  for (int t = (int)floor(0.5 * u); t <= (int)ceil(0.5 * u); t++) {
    double denom = c + 2.0 * fmin(t, u - t);
    if (t >= w - 1 && t <= n - w + 1 && t >= 1 && t <= n - 1 && fabs(denom - (n - delta)) < 1e-9)
      in_range = 1;
  }
  *valid = in_range;
  for (int t = 1; in_range && t < n; t++) {
    if (t >= w - 1 && t <= n - w + 1) continue;
    if (spx_cheeger_causal(n, t, spx_cheeger_window_cross(n, w, t)) < *phi_min) *valid = 0;
  }
  return SPX_OK;
}

/* x(2 - ln x) - 1: increasing on (0, e) (derivative 1 - ln x), so one root in (0, 1/2). */
static double balance(double x, void *params)
{
  (void)params;
  return x * (2.0 - log(x)) - 1.0;
}

int spx_cheeger_worst_cut(double *xstar, double *phistar)
{
  int status = SPX_OK;
  gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  gsl_function f = {balance, NULL};
  if (!s) return SPX_ENOMEM;
  /* f(0.1) = -0.57 < 0 < f(0.5) = 0.35: a valid bracket. */
  int rc = gsl_root_fsolver_set(s, &f, 0.1, 0.5);
  if (rc != GSL_SUCCESS) {
    spx_error("transport: root bracket for x(2 - ln x) = 1 rejected (%s)", gsl_strerror(rc));
    status = SPX_EINTERNAL;
    goto cleanup;
  }
  rc = GSL_CONTINUE;
  for (int it = 0; it < 200 && rc == GSL_CONTINUE; it++) {
    int irc = gsl_root_fsolver_iterate(s);
    if (irc != GSL_SUCCESS) {
      spx_error("transport: Brent iteration failed (%s)", gsl_strerror(irc));
      status = SPX_EINTERNAL;
      goto cleanup;
    }
    rc = gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s), 1e-15,
                                0.0);
  }
  if (rc != GSL_SUCCESS) {
    spx_error("transport: Brent did not converge on x(2 - ln x) = 1");
    status = SPX_EINTERNAL;
    goto cleanup;
  }
  *xstar = gsl_root_fsolver_root(s);
  *phistar = 1.0 - 2.0 * *xstar;
cleanup:
  gsl_root_fsolver_free(s);
  return status;
}
