/* stability.c -- local stability of equilibria of the symmetric flow (stability.h).
 *
 * Closed forms (spec sphere_dynamics.md §4.3 [D], §12.3 = Kuehn-Yoon Theorem 5.2 [KY-S]).
 * At the pure mode x_i = sigma_i u_k with p = lambda_k, the weight of a same-side partner seen
 * from the + cluster is a_+ = E/N_+ and of an opposite partner b_+ = e/N_+ (E = e^{beta p},
 * e = e^{-beta p}; N_+ = n_+ E + n_- e for SA, n e^{shift} for USA), and symmetrically a_-, b_-.
 * The weights move only at second order, so the tangent linearization splits over the d-1
 * transverse modes l != k; in mode l it is lambda_l W - diag(<x_i, F_i>) with
 *   <x_i, F_i> = gamma_+ = p (n_+ a_+ - n_- b_+) on the + cluster (gamma_- likewise).
 * Vectors summing to zero inside a cluster give the internal rates mu_+- = -gamma_+- (§4.3,
 * multiplicity (d-1)(n_+- - 1)); cluster-constant vectors give the 2x2 block
 *   G^(l) = [[lambda_l n_+ a_+ - gamma_+, lambda_l n_- b_+], [lambda_l n_+ b_-, lambda_l n_- a_- - gamma_-]].
 * G^(l) = diag(1/N_+, 1/N_-) S diag(n_+, n_-) with S symmetric, so its eigenvalues are real and
 * computed here from the symmetrized form (mean +- hypot), and their signs are those of S.
 *
 * Criteria (§4.4, §12.4). With r = n_+/n_-, c = e^{2 beta p} and S scaled by 1/e:
 *   S = [[c(lambda_l - p) + p/r, lambda_l], [lambda_l, c(lambda_l - p) + p r]],
 *   det S = (lambda_l - p)(c^2 - 1)(lambda_l - p sigma(c, r)),  sigma = (c-r)(cr-1)/(r(c^2-1)),
 * which is where §12.4's sigma comes from. spx_puremode_stable evaluates trace < 0 < det of S and
 * the internal signs directly [ours]; it holds for n_+- = 1 too, where §12.4 does not apply.
 *
 * Numerics: the tangent Jacobian J_ab = <t_a, Df(x) t_b> on an orthonormal basis of the tangent
 * space of the product of spheres (dimension n(d-1)). At an equilibrium f = 0, and differentiating
 * <x_i, f_i> = 0 shows that Df maps tangent vectors to tangent vectors, so this restriction is the
 * exact linearization [D]. Eigenvalues: GSL nonsymmetric QR (c_stack.md), with balancing, of
 * J / max|J_ab| (scaled back), so that uniformly tiny rates (USA in rescaled time) converge.
 *
 * Mixed equilibria (§13): m copies of u, k copies of q u +- s v (s = sqrt(1-q^2)). The drive of
 * q u + s v is, up to its positive normalizer, F = (a(m e^{beta a q} + k q (A + B)), b k s (A - B))
 * in the (u, v) plane with A = e^{beta(b + (a-b) q^2)}, B = e^{beta(-b + (a+b) q^2)}; F || (q, s)
 * is the existence equation of §13 (re-derived here [D]); u itself is driven along u.
 */
#include "stability.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_complex.h>
#include <gsl/gsl_complex_math.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_vector.h>

#include "status.h"

/* Largest dimension n(d-1) of a dense tangent Jacobian (c_stack.md: dense O(N^3) eigen). */
#define SPX_STAB_MAX_DIM 2000

/* ---- verdicts -------------------------------------------------------------------------------- */

const char *spx_verdict_name(spx_verdict v)
{
  switch (v) {
  case SPX_VERDICT_STABLE: return "stable";
  case SPX_VERDICT_NEUTRAL: return "neutral";
  case SPX_VERDICT_UNSTABLE: return "unstable";
  }
  return "?";
}

double spx_stability_default_tol(double scale) { return 1e-7 * fmax(1.0, fabs(scale)); }

spx_verdict spx_stability_classify(int len, const double *re, const int *mult, double tol,
                                   int *morse, int *nzero)
{
  int up = 0, zero = 0;
  for (int i = 0; i < len; i++) {
    int w = mult ? mult[i] : 1;
    if (re[i] > tol) up += w;
    else if (re[i] >= -tol) zero += w;
  }
  if (morse) *morse = up;
  if (nzero) *nzero = zero;
  return up > 0 ? SPX_VERDICT_UNSTABLE : (zero > 0 ? SPX_VERDICT_NEUTRAL : SPX_VERDICT_STABLE);
}

/* ---- 1. closed forms --------------------------------------------------------------------------- */

const char *spx_pm_kind_name(spx_pm_kind kind)
{
  switch (kind) {
  case SPX_PM_INTERNAL_PLUS: return "internal+";
  case SPX_PM_INTERNAL_MINUS: return "internal-";
  case SPX_PM_DRIFT: return "drift";
  case SPX_PM_COMOTION: return "co-motion";
  case SPX_PM_COUNTER: return "counter-rotation";
  case SPX_PM_BLOCK: return "block";
  }
  return "?";
}

int spx_puremode_check(const spx_puremode *pm)
{
  if (!pm || !pm->lambda || pm->d < 2) {
    spx_error("stability: a pure mode needs d >= 2 and a spectrum");
    return SPX_EINVAL;
  }
  if (pm->k < 0 || pm->k >= pm->d) {
    spx_error("stability: mode k = %d out of range [0, %d)", pm->k, pm->d);
    return SPX_EINVAL;
  }
  if (pm->n_plus < 0 || pm->n_minus < 0 || pm->n_plus + pm->n_minus < 1) {
    spx_error("stability: n_plus = %d, n_minus = %d: need both >= 0 and a sum >= 1",
              pm->n_plus, pm->n_minus);
    return SPX_EINVAL;
  }
  if (!(pm->beta >= 0.0) || !isfinite(pm->beta) || !isfinite(pm->usa_shift)) {
    spx_error("stability: beta = %g must be finite and >= 0", pm->beta);
    return SPX_EINVAL;
  }
  for (int l = 0; l < pm->d; l++)
    if (!isfinite(pm->lambda[l])) {
      spx_error("stability: eigenvalue %d of V is not finite", l);
      return SPX_EINVAL;
    }
  return SPX_OK;
}

/* Cluster sizes with n_plus >= 1: a state with n_plus = 0 is the mirror image x -> -x of one
 * with the roles swapped (the flow is odd), and the spectrum is the same. */
static void pm_sizes(const spx_puremode *pm, int *np, int *nm)
{
  *np = pm->n_plus > 0 ? pm->n_plus : pm->n_minus;
  *nm = pm->n_plus > 0 ? pm->n_minus : 0;
}

/* Weights a_+, b_+, a_-, b_- of the header (overflow-safe: SA ratios are written with
 * e^{+-2 beta p}, whose infinities give the right limits). Unused weights are 0. */
static void pm_weights(const spx_puremode *pm, int np, int nm, double *ap, double *bp, double *am,
                       double *bm)
{
  const double bl = pm->beta * pm->lambda[pm->k];
  *ap = *bp = *am = *bm = 0.0;
  if (pm->norm == SPX_NORM_USA) {
    const double n = np + nm;
    *ap = *am = exp(bl - pm->usa_shift) / n;
    *bp = *bm = exp(-bl - pm->usa_shift) / n;
    if (nm == 0) *bp = *am = *bm = 0.0; /* no opposite cluster (avoids 0 * inf) */
    return;
  }
  if (nm == 0) {
    *ap = 1.0 / np;
    return;
  }
  const double c = exp(2.0 * bl), g = exp(-2.0 * bl);
  *ap = 1.0 / (np + nm * g); /* E/N_+ */
  *bp = 1.0 / (np * c + nm); /* e/N_+ */
  *am = 1.0 / (nm + np * g); /* E/N_- */
  *bm = 1.0 / (nm * c + np); /* e/N_- */
}

int spx_puremode_internal(const spx_puremode *pm, double *mu_plus, double *mu_minus)
{
  int status = spx_puremode_check(pm);
  if (status != SPX_OK) return status;
  int np, nm;
  double ap, bp, am, bm, p = pm->lambda[pm->k];
  pm_sizes(pm, &np, &nm);
  pm_weights(pm, np, nm, &ap, &bp, &am, &bm);
  *mu_plus = -p * (np * ap - nm * bp);
  *mu_minus = nm > 0 ? -p * (nm * am - np * bm) : 0.0;
  return SPX_OK;
}

int spx_puremode_block(const spx_puremode *pm, int l, double G[4])
{
  double mup, mum;
  int status = spx_puremode_internal(pm, &mup, &mum);
  if (status != SPX_OK) return status;
  if (l < 0 || l >= pm->d || l == pm->k) {
    spx_error("stability: block index l = %d must differ from k = %d and lie in [0, %d)", l,
              pm->k, pm->d);
    return SPX_EINVAL;
  }
  int np, nm;
  double ap, bp, am, bm, ll = pm->lambda[l];
  pm_sizes(pm, &np, &nm);
  pm_weights(pm, np, nm, &ap, &bp, &am, &bm);
  G[0] = ll * np * ap + mup;
  G[1] = ll * nm * bp;
  G[2] = nm > 0 ? ll * np * bm : 0.0;
  G[3] = nm > 0 ? ll * nm * am + mum : 0.0;
  return SPX_OK;
}

/* Append an entry when its multiplicity is positive. */
static int eig_push(spx_pm_eig *eig, int cap, int *len, double v, int mult, spx_pm_kind kind,
                    int l)
{
  if (mult <= 0) return SPX_OK;
  if (*len >= cap) {
    spx_error("stability: eigenvalue list capacity %d too small (need 2 d)", cap);
    return SPX_EINVAL;
  }
  eig[*len] = (spx_pm_eig){v, mult, kind, l};
  (*len)++;
  return SPX_OK;
}

int spx_puremode_spectrum(const spx_puremode *pm, int cap, spx_pm_eig *eig, int *neig)
{
  int status = SPX_OK, len = 0, np, nm;
  double mup, mum;
  SPX_TRY(spx_puremode_internal(pm, &mup, &mum));
  pm_sizes(pm, &np, &nm);
  const int d = pm->d;
  SPX_TRY(eig_push(eig, cap, &len, mup, (d - 1) * (np - 1), SPX_PM_INTERNAL_PLUS, -1));
  SPX_TRY(eig_push(eig, cap, &len, mum, (d - 1) * (nm - 1), SPX_PM_INTERNAL_MINUS, -1));
  for (int l = 0; l < d; l++) {
    if (l == pm->k) continue;
    double G[4];
    SPX_TRY(spx_puremode_block(pm, l, G));
    if (nm == 0) {
      SPX_TRY(eig_push(eig, cap, &len, G[0], 1, SPX_PM_DRIFT, l));
      continue;
    }
    /* G similar to [[G0, s], [s, G3]] with s = sgn(G1) sqrt(G1 G2) (G1 G2 >= 0). */
    double mean = 0.5 * (G[0] + G[3]);
    /* sqrt(G1 G2) as sqrt|G1| sqrt|G2|: the product underflows for USA in rescaled time */
    double off = (G[1] >= 0.0) == (G[2] >= 0.0) ? sqrt(fabs(G[1])) * sqrt(fabs(G[2])) : 0.0;
    double rad = hypot(0.5 * (G[0] - G[3]), off);
    double hi = mean + rad, lo = mean - rad;
    /* Eigenvector (G1, mu - G0): mu_hi >= G0 >= mu_lo, so the high one has the sign of G1 in
     * both components (co-motion when lambda_l > 0) and the low one the opposite. */
    spx_pm_kind khi = SPX_PM_BLOCK, klo = SPX_PM_BLOCK;
    if (G[1] > 0.0) khi = SPX_PM_COMOTION, klo = SPX_PM_COUNTER;
    else if (G[1] < 0.0) khi = SPX_PM_COUNTER, klo = SPX_PM_COMOTION;
    SPX_TRY(eig_push(eig, cap, &len, hi, 1, khi, l));
    SPX_TRY(eig_push(eig, cap, &len, lo, 1, klo, l));
  }
  *neig = len;
cleanup:
  return status;
}

static int cmp_desc(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x < y) - (x > y);
}

int spx_pm_eig_expand(int neig, const spx_pm_eig *eig, int dim, double *values)
{
  int len = 0;
  for (int i = 0; i < neig; i++) len += eig[i].mult;
  if (len != dim) {
    spx_error("stability: eigenvalue multiplicities sum to %d, expected %d", len, dim);
    return SPX_EINVAL;
  }
  len = 0;
  for (int i = 0; i < neig; i++)
    for (int j = 0; j < eig[i].mult; j++) values[len++] = eig[i].value;
  qsort(values, (size_t)dim, sizeof(double), cmp_desc);
  return SPX_OK;
}

int spx_puremode_verdict(const spx_puremode *pm, double tol, double *max_eig, int *morse,
                         spx_verdict *verdict)
{
  int status = SPX_OK, neig = 0;
  spx_pm_eig *eig = malloc(sizeof(spx_pm_eig) * 2 * (size_t)(pm && pm->d > 0 ? pm->d : 1));
  double *vals = NULL;
  int *mult = NULL;
  if (!eig) return SPX_ENOMEM;
  SPX_TRY(spx_puremode_spectrum(pm, 2 * pm->d, eig, &neig));
  vals = malloc(sizeof(double) * (size_t)neig);
  mult = malloc(sizeof(int) * (size_t)neig);
  if (!vals || !mult) { status = SPX_ENOMEM; goto cleanup; }
  double mx = -INFINITY, scale = 0.0;
  for (int i = 0; i < neig; i++) {
    vals[i] = eig[i].value;
    mult[i] = eig[i].mult;
    mx = fmax(mx, vals[i]);
    scale = fmax(scale, fabs(vals[i]));
  }
  if (tol <= 0.0) tol = spx_stability_default_tol(scale);
  if (max_eig) *max_eig = mx;
  spx_verdict v = spx_stability_classify(neig, vals, mult, tol, morse, NULL);
  if (verdict) *verdict = v;
cleanup:
  free(eig);
  free(vals);
  free(mult);
  return status;
}

/* ---- 1b. criteria ------------------------------------------------------------------------------ */

int spx_puremode_stable(const spx_puremode *pm)
{
  if (spx_puremode_check(pm) != SPX_OK) return 0;
  int np, nm;
  pm_sizes(pm, &np, &nm);
  const double p = pm->lambda[pm->k], bl = pm->beta * p;
  if (nm == 0) { /* §4.4 item 1, with the internal rate -p only when the cluster has >= 2 */
    if (np >= 2 && !(p > 0.0)) return 0;
    for (int l = 0; l < pm->d; l++)
      if (l != pm->k && !(pm->lambda[l] < p)) return 0;
    return 1;
  }
  const double r = (double)np / nm, c = exp(2.0 * bl), g = exp(-2.0 * bl);
  /* Internal rates: mu_+ < 0 <=> p (r c - 1) > 0, mu_- < 0 <=> p (c - r) > 0. */
  if (np >= 2 && !(p > 0.0 ? r > g : (p < 0.0 && r * c < 1.0))) return 0;
  if (nm >= 2 && !(p > 0.0 ? r * g < 1.0 : (p < 0.0 && c < r))) return 0;
  for (int l = 0; l < pm->d; l++) {
    if (l == pm->k) continue;
    const double ll = pm->lambda[l];
    double s11, s22, s12;
    if (p >= 0.0) { /* S / E, with g = e/E <= 1 */
      s11 = (ll - p) + p * g / r;
      s22 = (ll - p) + p * r * g;
      s12 = ll * g;
    } else { /* S / e, with c = E/e < 1 */
      s11 = c * (ll - p) + p / r;
      s22 = c * (ll - p) + p * r;
      s12 = ll;
    }
    if (!(s11 + s22 < 0.0 && s11 * s22 - s12 * s12 > 0.0)) return 0;
  }
  return 1;
}

int spx_stability_homogeneous_stable(int d, const double *lambda, int k)
{
  if (k < 0 || k >= d || !(lambda[k] > 0.0)) return 0;
  for (int l = 0; l < d; l++)
    if (l != k && !(lambda[k] > lambda[l])) return 0;
  return 1;
}

int spx_stability_balanced_stable(int d, const double *lambda, double beta, int k)
{
  if (k < 0 || k >= d) return 0;
  const double p = lambda[k], sg = (p > 0.0) - (p < 0.0), th = tanh(beta * p);
  /* beta p != 0: the internal rate -p tanh(beta p) is < 0 (it vanishes at beta = 0). */
  if (!(beta > 0.0) || sg == 0.0) return 0;
  for (int l = 0; l < d; l++) {
    if (l == k) continue;
    if (!((lambda[l] - p) * sg < 0.0 && lambda[l] < p * th)) return 0;
  }
  return 1;
}

double spx_stability_sigma(double c, double r)
{
  if (c > 1.0) { /* divide through by c^2: finite even when c overflows */
    double g = 1.0 / c;
    return (1.0 - r * g) * (r - g) / (r * (1.0 - g * g));
  }
  return (c - r) * (c * r - 1.0) / (r * (c * c - 1.0));
}

int spx_stability_unbalanced_stable(int d, const double *lambda, double beta, int k, int n_plus,
                                    int n_minus)
{
  if (k < 0 || k >= d || n_plus < 1 || n_minus < 1 || !(beta > 0.0)) return 0;
  const double p = lambda[k], r = (double)n_plus / n_minus;
  const double c = exp(2.0 * beta * p), sig = spx_stability_sigma(c, r);
  const double edge = fabs(log(r)) / (2.0 * beta);
  if (p > 0.0) {
    if (!(p > edge)) return 0;
    for (int l = 0; l < d; l++)
      if (l != k && !(lambda[l] < p * sig)) return 0;
    return 1;
  }
  if (p < 0.0) {
    if (!(p < -edge)) return 0;
    for (int l = 0; l < d; l++)
      if (l != k && !(p < lambda[l] && lambda[l] < p * sig)) return 0;
    return 1;
  }
  return 0;
}

double spx_stability_imbalance_bound(double beta, double lambda_k)
{
  return exp(2.0 * beta * fabs(lambda_k));
}

/* Largest and second largest eigenvalue (the second equals the first when it is repeated). */
static void top_two(int d, const double *lambda, double *l1, double *l2)
{
  *l1 = *l2 = -INFINITY;
  for (int l = 0; l < d; l++) {
    if (lambda[l] > *l1) {
      *l2 = *l1;
      *l1 = lambda[l];
    } else if (lambda[l] > *l2) {
      *l2 = lambda[l];
    }
  }
}

double spx_stability_beta_s(int d, const double *lambda)
{
  double l1, l2;
  if (d < 2) return INFINITY;
  top_two(d, lambda, &l1, &l2);
  if (!(l1 > 0.0) || !(l2 < l1)) return INFINITY;
  if (l2 <= 0.0) return 0.0;
  return atanh(l2 / l1) / l1;
}

double spx_stability_bistability_beta(int d, const double *lambda)
{
  double l1, l2, lmin = INFINITY, lmin2 = INFINITY;
  if (d < 2) return INFINITY;
  top_two(d, lambda, &l1, &l2);
  for (int l = 0; l < d; l++) {
    if (lambda[l] < lmin) {
      lmin2 = lmin;
      lmin = lambda[l];
    } else if (lambda[l] < lmin2) {
      lmin2 = lambda[l];
    }
  }
  /* Homogeneous at u_1: lambda_1 > 0 simple. Split on u_min: lambda_min simple and
   * lambda_1 < |lambda_min| tanh(beta |lambda_min|), possible only if lambda_1 < |lambda_min|. */
  if (!(l1 > 0.0) || !(l2 < l1) || !(lmin < lmin2) || !(-lmin > l1)) return INFINITY;
  return atanh(l1 / -lmin) / -lmin;
}

int spx_stability_stable_modes(int d, const double *lambda, double beta, int *homogeneous,
                               int *balanced)
{
  if (d < 1 || !lambda || !homogeneous || !balanced) {
    spx_error("stability: stable_modes needs d >= 1 and output arrays");
    return SPX_EINVAL;
  }
  for (int k = 0; k < d; k++) {
    homogeneous[k] = spx_stability_homogeneous_stable(d, lambda, k);
    balanced[k] = spx_stability_balanced_stable(d, lambda, beta, k);
  }
  return SPX_OK;
}

double spx_puremode_energy_eps(const spx_puremode *pm)
{
  if (spx_puremode_check(pm) != SPX_OK) return NAN;
  const double n = pm->n_plus + pm->n_minus, p = pm->n_plus / n, q = pm->n_minus / n;
  const double bl = pm->beta * pm->lambda[pm->k];
  /* the opposite-side term only when both sides are occupied (0 * inf would give NaN) */
  return (p * p + q * q) * exp(bl) + (p > 0.0 && q > 0.0 ? 2.0 * p * q * exp(-bl) : 0.0);
}

double spx_puremode_log_energy(const spx_puremode *pm)
{
  if (spx_puremode_check(pm) != SPX_OK || !(pm->beta > 0.0)) return NAN;
  /* E = (1/2 beta) [(n_+^2 + n_-^2) e^{beta p} + 2 n_+ n_- e^{-beta p}], summed in log domain. */
  const double np = pm->n_plus, nm = pm->n_minus, bl = pm->beta * pm->lambda[pm->k];
  double t1 = log(np * np + nm * nm) + bl;
  double t2 = (np > 0 && nm > 0) ? log(2.0 * np * nm) - bl : -INFINITY;
  double mx = fmax(t1, t2);
  return mx + log(exp(t1 - mx) + exp(t2 - mx)) - log(2.0 * pm->beta);
}

/* ---- 2. numerics --------------------------------------------------------------------------------- */

struct spx_stability_ws {
  int n, d, dim;
  double *T;                 /* n (d-1) d: Householder basis when the caller gives none */
  double *v, *Jv, *xp, *xm, *fp, *fm; /* n d each */
  double *J, *J_fd;          /* dim x dim */
  double *re, *im, *re_fd, *im_fd; /* dim */
  double *pairs;             /* 2 dim: (re, im) pairs for sorting */
  gsl_matrix *A;             /* dim x dim copy destroyed by the eigen solver */
  gsl_vector_complex *eval;
  gsl_eigen_nonsymm_workspace *w;
};

int spx_stability_ws_create(int n, int d, spx_stability_ws **out)
{
  if (n < 1 || d < 2 || (long)n * (d - 1) > SPX_STAB_MAX_DIM) {
    spx_error("stability: tangent Jacobian of n = %d, d = %d: need n >= 1, d >= 2 and "
              "n(d-1) <= %d (dense eigenvalues)", n, d, SPX_STAB_MAX_DIM);
    return SPX_EINVAL;
  }
  spx_stability_ws *ws = calloc(1, sizeof *ws);
  if (!ws) return SPX_ENOMEM;
  const size_t nd = (size_t)n * d, dim = (size_t)n * (d - 1);
  ws->n = n;
  ws->d = d;
  ws->dim = (int)dim;
  ws->T = malloc(sizeof(double) * dim * d);
  ws->v = calloc(nd, sizeof(double));
  ws->Jv = malloc(sizeof(double) * nd);
  ws->xp = malloc(sizeof(double) * nd);
  ws->xm = malloc(sizeof(double) * nd);
  ws->fp = malloc(sizeof(double) * nd);
  ws->fm = malloc(sizeof(double) * nd);
  ws->J = malloc(sizeof(double) * dim * dim);
  ws->J_fd = malloc(sizeof(double) * dim * dim);
  ws->re = malloc(sizeof(double) * dim);
  ws->im = malloc(sizeof(double) * dim);
  ws->re_fd = malloc(sizeof(double) * dim);
  ws->im_fd = malloc(sizeof(double) * dim);
  ws->pairs = malloc(sizeof(double) * 2 * dim);
  ws->A = gsl_matrix_alloc(dim, dim);
  ws->eval = gsl_vector_complex_alloc(dim);
  ws->w = gsl_eigen_nonsymm_alloc(dim);
  if (!ws->T || !ws->v || !ws->Jv || !ws->xp || !ws->xm || !ws->fp || !ws->fm || !ws->J ||
      !ws->J_fd || !ws->re || !ws->im || !ws->re_fd || !ws->im_fd || !ws->pairs || !ws->A ||
      !ws->eval || !ws->w) {
    spx_stability_ws_free(ws);
    return SPX_ENOMEM;
  }
  /* Eigenvalues only; balancing (a diagonal similarity) suits J, similar to a symmetric matrix
   * through the metric's diagonal scaling. */
  gsl_eigen_nonsymm_params(0, 1, ws->w);
  *out = ws;
  return SPX_OK;
}

void spx_stability_ws_free(spx_stability_ws *ws)
{
  if (!ws) return;
  free(ws->T);
  free(ws->v);
  free(ws->Jv);
  free(ws->xp);
  free(ws->xm);
  free(ws->fp);
  free(ws->fm);
  free(ws->J);
  free(ws->J_fd);
  free(ws->re);
  free(ws->im);
  free(ws->re_fd);
  free(ws->im_fd);
  free(ws->pairs);
  if (ws->A) gsl_matrix_free(ws->A);
  if (ws->eval) gsl_vector_complex_free(ws->eval);
  if (ws->w) gsl_eigen_nonsymm_free(ws->w);
  free(ws);
}

int spx_stability_pm_state(const spx_model *m, int k, int n_plus, int n_minus, double *x)
{
  if (!m || k < 0 || k >= m->d || n_plus < 0 || n_minus < 0 || n_plus + n_minus != m->n) {
    spx_error("stability: pure mode (k = %d, n_plus = %d, n_minus = %d) does not fit the model "
              "(d = %d, n = %d)", k, n_plus, n_minus, m ? m->d : 0, m ? m->n : 0);
    return SPX_EINVAL;
  }
  const int d = m->d;
  for (int i = 0; i < m->n; i++) {
    double s = i < n_plus ? 1.0 : -1.0;
    for (int a = 0; a < d; a++) x[(long)i * d + a] = s * m->U[a * d + k];
  }
  return SPX_OK;
}

int spx_stability_basis_pm(int n, int d, const double *U, int k, double *T)
{
  if (n < 1 || d < 2 || k < 0 || k >= d) {
    spx_error("stability: pure-mode tangent basis needs n >= 1, d >= 2, 0 <= k < d");
    return SPX_EINVAL;
  }
  for (int i = 0; i < n; i++) {
    int j = 0;
    for (int l = 0; l < d; l++) {
      if (l == k) continue;
      double *t = T + ((long)i * (d - 1) + j) * d;
      for (int a = 0; a < d; a++) t[a] = U[a * d + l];
      j++;
    }
  }
  return SPX_OK;
}

int spx_stability_basis_householder(int n, int d, const double *x, double *T)
{
  if (n < 1 || d < 2) {
    spx_error("stability: tangent basis needs n >= 1 and d >= 2");
    return SPX_EINVAL;
  }
  for (int i = 0; i < n; i++) {
    const double *xi = x + (long)i * d;
    double nrm = 0.0;
    int amax = 0;
    for (int a = 0; a < d; a++) {
      nrm += xi[a] * xi[a];
      if (fabs(xi[a]) > fabs(xi[amax])) amax = a;
    }
    nrm = sqrt(nrm);
    if (!(nrm > 0.0) || !isfinite(nrm)) {
      spx_error("stability: particle %d has a zero or non-finite row: no tangent space", i);
      return SPX_EINVAL;
    }
    /* H = I - 2 w w^T / |w|^2 with w = u + sgn(u_amax) e_amax maps u to -sgn e_amax; its
     * columns e_b, b != amax, are orthonormal and orthogonal to u. Pivoting on the largest
     * component keeps |w| >= 1 (no cancellation). */
    double w[d], ww = 0.0, sg = xi[amax] >= 0.0 ? 1.0 : -1.0;
    for (int a = 0; a < d; a++) w[a] = xi[a] / nrm;
    w[amax] += sg;
    for (int a = 0; a < d; a++) ww += w[a] * w[a];
    int j = 0;
    for (int b = 0; b < d; b++) {
      if (b == amax) continue;
      double *t = T + ((long)i * (d - 1) + j) * d;
      for (int a = 0; a < d; a++) t[a] = (a == b ? 1.0 : 0.0) - 2.0 * w[a] * w[b] / ww;
      j++;
    }
  }
  return SPX_OK;
}

int spx_stability_jacobian(spx_kernel *kern, spx_stability_ws *ws, const double *x,
                           const double *T, double h, double *J)
{
  int status = SPX_OK;
  const int n = ws->n, d = ws->d, dim = ws->dim;
  const long nd = (long)n * d;
  if (!(h >= 0.0) || !isfinite(h)) {
    spx_error("stability: finite-difference step h = %g must be >= 0", h);
    return SPX_EINVAL;
  }
  memset(ws->v, 0, sizeof(double) * nd);
  for (int b = 0; b < dim; b++) {
    const int ib = b / (d - 1);
    const double *tb = T + (long)b * d;
    double *vb = ws->v + (long)ib * d;
    for (int a = 0; a < d; a++) vb[a] = tb[a];
    if (h == 0.0) {
      status = spx_kernel_jv(kern, x, ws->v, ws->Jv);
    } else {
      for (long c = 0; c < nd; c++) {
        ws->xp[c] = x[c] + h * ws->v[c];
        ws->xm[c] = x[c] - h * ws->v[c];
      }
      status = spx_kernel_rhs(kern, ws->xp, ws->fp);
      if (status == SPX_OK) status = spx_kernel_rhs(kern, ws->xm, ws->fm);
      if (status == SPX_OK)
        for (long c = 0; c < nd; c++) ws->Jv[c] = (ws->fp[c] - ws->fm[c]) / (2.0 * h);
    }
    for (int a = 0; a < d; a++) vb[a] = 0.0;
    if (status != SPX_OK) {
      spx_error("stability: %s failed on tangent direction %d (particle %d)",
                h == 0.0 ? "J*v" : "right-hand side", b, ib);
      goto cleanup;
    }
    /* column b: J_ab = <t_a, (Df t_b)_{particle of a}> */
    for (int a = 0; a < dim; a++) {
      const int ia = a / (d - 1);
      const double *ta = T + (long)a * d, *ja = ws->Jv + (long)ia * d;
      double s = 0.0;
      for (int c = 0; c < d; c++) s += ta[c] * ja[c];
      J[(long)a * dim + b] = s;
    }
  }
cleanup:
  return status;
}

static int cmp_pair_desc(const void *a, const void *b)
{
  const double *x = a, *y = b;
  if (x[0] != y[0]) return (x[0] < y[0]) - (x[0] > y[0]);
  return (x[1] < y[1]) - (x[1] > y[1]);
}

int spx_stability_eigen(spx_stability_ws *ws, const double *J, double tol, double *re,
                        double *im, spx_stability_spectrum *out)
{
  const int dim = ws->dim;
  for (long c = 0; c < (long)dim * dim; c++)
    if (!isfinite(J[c])) {
      spx_error("stability: the tangent Jacobian has a non-finite entry (%ld, %ld)", c / dim,
                c % dim);
      return SPX_ENONFINITE;
    }
  if (dim == 1) {
    ws->pairs[0] = J[0];
    ws->pairs[1] = 0.0;
  } else {
    /* Solve for J / max|J_ab| and scale back: the eigenvalues scale linearly, and a Jacobian whose
     * entries are all tiny (USA in rescaled time, weights e^{beta lambda - shift}) or partly
     * subnormal otherwise stalls the QR iteration. Entries below 1e-300 of the largest are
     * flushed to zero (far below double precision relative to it). */
    double jmax = 0.0;
    for (long c = 0; c < (long)dim * dim; c++) jmax = fmax(jmax, fabs(J[c]));
    for (long c = 0; c < (long)dim * dim; c++) {
      double v = jmax > 0.0 ? J[c] / jmax : 0.0;
      ws->A->data[c] = fabs(v) < 1e-300 ? 0.0 : v; /* tda == dim for a fresh matrix */
    }
    int rc = gsl_eigen_nonsymm(ws->A, ws->eval, ws->w);
    if (rc != GSL_SUCCESS) {
      spx_error("stability: GSL nonsymmetric eigensolver failed on the %d x %d tangent Jacobian: "
                "%s (%zu eigenvalues converged)", dim, dim, gsl_strerror(rc), ws->w->n_evals);
      return SPX_EINTERNAL;
    }
    for (int i = 0; i < dim; i++) {
      gsl_complex z = gsl_vector_complex_get(ws->eval, i);
      ws->pairs[2 * i] = GSL_REAL(z) * jmax;
      ws->pairs[2 * i + 1] = GSL_IMAG(z) * jmax;
    }
  }
  qsort(ws->pairs, (size_t)dim, 2 * sizeof(double), cmp_pair_desc);
  double scale = 0.0, maxim = 0.0;
  for (int i = 0; i < dim; i++) {
    re[i] = ws->pairs[2 * i];
    im[i] = ws->pairs[2 * i + 1];
    scale = fmax(scale, fabs(re[i]));
    maxim = fmax(maxim, fabs(im[i]));
  }
  out->dim = dim;
  out->re = re;
  out->im = im;
  out->max_re = re[0];
  out->max_abs_im = maxim;
  out->tol = tol > 0.0 ? tol : spx_stability_default_tol(scale);
  out->verdict = spx_stability_classify(dim, re, NULL, out->tol, &out->morse, &out->nzero);
  return SPX_OK;
}

int spx_stability_analyze(spx_kernel *kern, spx_stability_ws *ws, const double *x,
                          const double *T, const spx_stability_opts *opts,
                          spx_stability_result *res)
{
  int status = SPX_OK;
  const long nd = (long)ws->n * ws->d, dim = ws->dim;
  const double h = (opts && opts->fd_h > 0.0) ? opts->fd_h : 1e-6;
  const double tol = opts ? opts->tol : 0.0;
  memset(res, 0, sizeof *res);
  res->dim = ws->dim;
  SPX_TRY(spx_kernel_rhs(kern, x, ws->fp));
  double s = 0.0;
  for (long c = 0; c < nd; c++) s += ws->fp[c] * ws->fp[c];
  res->rhs_norm = sqrt(s);
  if (!T) {
    SPX_TRY(spx_stability_basis_householder(ws->n, ws->d, x, ws->T));
    T = ws->T;
  }
  SPX_TRY(spx_stability_jacobian(kern, ws, x, T, 0.0, ws->J));
  res->J = ws->J;
  SPX_TRY(spx_stability_eigen(ws, ws->J, tol, ws->re, ws->im, &res->an));
  if (opts && opts->fd) {
    SPX_TRY(spx_stability_jacobian(kern, ws, x, T, h, ws->J_fd));
    res->J_fd = ws->J_fd;
    for (long c = 0; c < dim * dim; c++)
      res->jac_diff = fmax(res->jac_diff, fabs(ws->J[c] - ws->J_fd[c]));
    /* same tolerance as the analytic spectrum, so the two verdicts are comparable */
    SPX_TRY(spx_stability_eigen(ws, ws->J_fd, res->an.tol, ws->re_fd, ws->im_fd, &res->fd));
  }
cleanup:
  return status;
}

/* ---- 2b. mixed equilibria (§13) ------------------------------------------------------------------ */

typedef struct {
  double a, b, beta;
  int m, k;
} mixed_params;

double spx_stability_mixed_fn(double a, double b, double beta, int m, int k, double q)
{
  const double A = exp(beta * (b + (a - b) * q * q)), B = exp(beta * (-b + (a + b) * q * q));
  return q * ((a - b) * A + (a + b) * B) + a * ((double)m / k) * exp(beta * a * q);
}

static double mixed_gsl(double q, void *params)
{
  const mixed_params *p = params;
  return spx_stability_mixed_fn(p->a, p->b, p->beta, p->m, p->k, q);
}

int spx_stability_mixed_roots(double a, double b, double beta, int m, int k, int cap,
                              double *roots, int *nroots)
{
  enum { NGRID = 4000, MAXIT = 200 };
  int status = SPX_OK, found = 0;
  if (m < 0 || k < 1 || !(beta >= 0.0) || !isfinite(a) || !isfinite(b) || !isfinite(beta) ||
      cap < 0) {
    spx_error("stability: mixed equilibria need m >= 0, k >= 1, finite a, b and beta >= 0");
    return SPX_EINVAL;
  }
  mixed_params par = {a, b, beta, m, k};
  gsl_function F = {mixed_gsl, &par};
  gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!s) return SPX_ENOMEM;
  /* q = +-1 are pure modes (s = 0), excluded: scan the open interval. */
  double q0 = -1.0, f0 = spx_stability_mixed_fn(a, b, beta, m, k, q0);
  for (int i = 1; i <= NGRID; i++) {
    double q1 = -1.0 + 2.0 * i / NGRID, f1 = spx_stability_mixed_fn(a, b, beta, m, k, q1);
    if (!isfinite(f1)) {
      spx_error("stability: mixed existence function not finite at q = %g", q1);
      status = SPX_ENONFINITE;
      goto cleanup;
    }
    double root = NAN;
    if (f1 == 0.0 && i < NGRID) {
      root = q1;
    } else if (f0 != 0.0 && f1 != 0.0 && (f0 < 0.0) != (f1 < 0.0)) {
      int rc = gsl_root_fsolver_set(s, &F, q0, q1), it = 0;
      if (rc != GSL_SUCCESS) { status = SPX_EINTERNAL; goto cleanup; }
      do {
        rc = gsl_root_fsolver_iterate(s);
        if (rc != GSL_SUCCESS) break;
        rc = gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s),
                                    1e-14, 0.0);
      } while (rc == GSL_CONTINUE && ++it < MAXIT);
      if (rc != GSL_SUCCESS) {
        spx_error("stability: Brent did not converge on [%g, %g]: %s", q0, q1, gsl_strerror(rc));
        status = SPX_EINTERNAL;
        goto cleanup;
      }
      root = gsl_root_fsolver_root(s);
    }
    if (!isnan(root)) {
      if (found < cap) roots[found] = root;
      found++;
    }
    q0 = q1;
    f0 = f1;
  }
cleanup:
  gsl_root_fsolver_free(s);
  *nroots = found;
  return status;
}

int spx_stability_mixed_state(int d, const double *U, int ia, int ib, int m, int k, double q,
                              double *x)
{
  if (d < 2 || ia < 0 || ia >= d || ib < 0 || ib >= d || ia == ib || m < 0 || k < 1 ||
      !(fabs(q) < 1.0)) {
    spx_error("stability: mixed state needs 0 <= ia != ib < d, m >= 0, k >= 1, |q| < 1");
    return SPX_EINVAL;
  }
  const double s = sqrt((1.0 - q) * (1.0 + q));
  const int n = m + 2 * k;
  for (int i = 0; i < n; i++) {
    double cu = 1.0, cv = 0.0;
    if (i >= m) {
      cu = q;
      cv = i < m + k ? s : -s;
    }
    double *xi = x + (long)i * d, nrm = 0.0;
    for (int a = 0; a < d; a++) {
      xi[a] = cu * U[a * d + ia] + cv * U[a * d + ib];
      nrm += xi[a] * xi[a];
    }
    nrm = sqrt(nrm);
    for (int a = 0; a < d; a++) xi[a] /= nrm;
  }
  return SPX_OK;
}

/* ---- 3. the table -------------------------------------------------------------------------------- */

const char *spx_pm_class_name(spx_pm_class c)
{
  switch (c) {
  case SPX_PM_HOMOGENEOUS: return "homogeneous";
  case SPX_PM_BALANCED: return "balanced";
  case SPX_PM_SPLIT: return "split";
  }
  return "?";
}

/* A copy of the single-head symmetric proto with n particles, in the x frame. */
static int model_with_n(const spx_model *p, int n, spx_model **out)
{
  int status = SPX_OK, d = p->d;
  spx_model *m = NULL;
  SPX_TRY(spx_model_create(n, d, 1, &m));
  memcpy(m->spectrum, p->spectrum, sizeof(double) * d);
  memcpy(m->U, p->U, sizeof(double) * d * d);
  if (p->eigen_coords) {
    /* the proto integrates y = U^T x with V = diag(spectrum): rebuild the x-frame V = U L U^T,
     * since the states of the table are built from the columns of U (spec §4.1) */
    for (int i = 0; i < d; i++)
      for (int j = 0; j < d; j++) {
        double s = 0.0;
        for (int k = 0; k < d; k++) s += p->U[i * d + k] * p->spectrum[k] * p->U[j * d + k];
        m->heads[0].V[i * d + j] = m->heads[0].A[i * d + j] = s;
      }
  } else {
    memcpy(m->heads[0].A, p->heads[0].A, sizeof(double) * d * d);
    memcpy(m->heads[0].V, p->heads[0].V, sizeof(double) * d * d);
  }
  m->basis_set = 1;
  m->beta = p->beta;
  m->norm = p->norm;
  m->norm_aware = p->norm_aware;
  m->mask = SPX_MASK_NONE;
  m->eigen_coords = 0;
  SPX_TRY(spx_model_finalize(m, p->usa_shift != 0.0));
  *out = m;
  m = NULL;
cleanup:
  spx_model_free(m);
  return status;
}

/* Numerical columns of one row: build the state, check it, tangent Jacobians, spectra. */
static int row_numeric(const spx_model *proto, const spx_stability_table_opts *opts,
                       spx_stability_row *row)
{
  int status = SPX_OK, n = row->n_plus + row->n_minus, d = proto->d, dim = n * (d - 1);
  spx_model *m = NULL;
  spx_kernel *kern = NULL;
  spx_stability_ws *ws = NULL;
  double *x = NULL, *T = NULL, *cf = NULL;
  SPX_TRY(model_with_n(proto, n, &m));
  SPX_TRY(spx_kernel_create(m, &kern));
  SPX_TRY(spx_stability_ws_create(n, d, &ws));
  x = malloc(sizeof(double) * n * d);
  T = malloc(sizeof(double) * dim * d);
  cf = malloc(sizeof(double) * dim);
  if (!x || !T || !cf) { status = SPX_ENOMEM; goto cleanup; }
  SPX_TRY(spx_stability_pm_state(m, row->k, row->n_plus, row->n_minus, x));
  SPX_TRY(spx_stability_basis_pm(n, d, m->U, row->k, T));
  spx_stability_opts so = {opts->fd_h, 1, row->tol};
  spx_stability_result res;
  SPX_TRY(spx_stability_analyze(kern, ws, x, T, &so, &res));
  SPX_TRY(spx_pm_eig_expand(row->neig, row->eig, dim, cf));
  row->rhs_norm = res.rhs_norm;
  row->max_an = res.an.max_re;
  row->max_fd = res.fd.max_re;
  row->max_abs_im = fmax(res.an.max_abs_im, res.fd.max_abs_im);
  row->err_an = row->err_fd = 0.0;
  for (int i = 0; i < dim; i++) { /* written so that a NaN difference propagates */
    double ea = fabs(cf[i] - res.an.re[i]), ef = fabs(cf[i] - res.fd.re[i]);
    if (!(ea <= row->err_an)) row->err_an = ea;
    if (!(ef <= row->err_fd)) row->err_fd = ef;
  }
  row->morse_an = res.an.morse;
  row->verdict_an = res.an.verdict;
  row->log_energy_kernel = m->beta > 0.0 ? spx_kernel_log_energy(kern, x) : NAN;
cleanup:
  free(x);
  free(T);
  free(cf);
  spx_stability_ws_free(ws);
  spx_kernel_free(kern);
  spx_model_free(m);
  return status;
}

/* Closed-form columns of one row, and the spec's criterion for its class. */
static int row_closed_form(const spx_model *proto, const spx_stability_table_opts *opts,
                           spx_pm_eig *eig, spx_stability_row *row)
{
  int status = SPX_OK;
  spx_puremode pm = {proto->d, proto->spectrum, proto->beta, proto->norm, proto->usa_shift,
                     row->k, row->n_plus, row->n_minus};
  SPX_TRY(spx_puremode_spectrum(&pm, 2 * proto->d, eig, &row->neig));
  row->eig = eig;
  /* Verdict tolerance relative to the row's own rate scale [ours]: invariant under V -> cV
   * (spec §2.7) and meaningful for USA in rescaled time, where all rates carry e^{-shift}. */
  double scale = 0.0;
  for (int i = 0; i < row->neig; i++) scale = fmax(scale, fabs(eig[i].value));
  row->tol = opts->tol > 0.0 ? opts->tol
             : scale > 0.0   ? 1e-7 * scale
                             : spx_stability_default_tol(0.0);
  SPX_TRY(spx_puremode_verdict(&pm, row->tol, &row->max_cf, &row->morse, &row->verdict));
  row->eps = spx_puremode_energy_eps(&pm);
  row->log_energy = spx_puremode_log_energy(&pm);
  const int d = proto->d;
  const double *lam = proto->spectrum;
  if (row->cls == SPX_PM_HOMOGENEOUS && row->n_plus + row->n_minus >= 2) {
    row->criterion = spx_stability_homogeneous_stable(d, lam, row->k);
    row->criterion_src = "4.4.1";
  } else if (row->cls == SPX_PM_BALANCED && row->n_plus >= 2) {
    row->criterion = spx_stability_balanced_stable(d, lam, proto->beta, row->k);
    row->criterion_src = "4.4.2";
  } else if (row->cls == SPX_PM_SPLIT && row->n_plus >= 2 && row->n_minus >= 2 &&
             proto->beta > 0.0) {
    row->criterion = spx_stability_unbalanced_stable(d, lam, proto->beta, row->k, row->n_plus,
                                                     row->n_minus);
    row->criterion_src = "12.4";
  } else {
    row->criterion = spx_puremode_stable(&pm);
    row->criterion_src = "exact";
  }
cleanup:
  return status;
}

int spx_stability_table_build(const spx_model *proto, const spx_stability_table_opts *opts,
                              spx_stability_table **out)
{
  int status = SPX_OK;
  spx_stability_table *t = NULL;
  if (!proto || !opts || opts->n < 1 || opts->nsplits < 0 || (opts->nsplits && !opts->splits)) {
    spx_error("stability: the table needs a model and n >= 1 (got n = %d)", opts ? opts->n : 0);
    return SPX_EINVAL;
  }
  if (proto->nheads != 1 || !proto->symmetric || proto->mask != SPX_MASK_NONE || proto->d < 2) {
    spx_error("stability: pure-mode analysis needs one head with A = V = V^T, no mask and d >= 2 "
              "(spec sphere_dynamics.md §4)");
    return SPX_EINVAL;
  }
  for (int s = 0; s < opts->nsplits; s++)
    if (opts->splits[2 * s] < 1 || opts->splits[2 * s + 1] < 1) {
      spx_error("stability: split %d is (%d, %d): both counts must be >= 1", s,
                opts->splits[2 * s], opts->splits[2 * s + 1]);
      return SPX_EINVAL;
    }
  const int d = proto->d, per = 1 + (opts->n >= 2) + opts->nsplits;
  const long max_dim = opts->numeric_max_dim > 0 && opts->numeric_max_dim < SPX_STAB_MAX_DIM
                           ? opts->numeric_max_dim
                           : SPX_STAB_MAX_DIM;
  t = calloc(1, sizeof *t);
  if (!t) return SPX_ENOMEM;
  t->d = d;
  t->beta = proto->beta;
  t->norm = proto->norm;
  t->rows = calloc((size_t)d * per, sizeof *t->rows);
  t->eig_store = calloc((size_t)d * per * 2 * d, sizeof *t->eig_store);
  if (!t->rows || !t->eig_store) { status = SPX_ENOMEM; goto cleanup; }
  for (int k = 0; k < d; k++) {
    for (int c = 0; c < per; c++) {
      spx_stability_row *row = &t->rows[t->nrows];
      row->k = k;
      row->lambda_k = proto->spectrum[k];
      if (c == 0) {
        row->cls = SPX_PM_HOMOGENEOUS;
        row->n_plus = opts->n;
      } else if (c == 1 && opts->n >= 2) {
        row->n_plus = (opts->n + 1) / 2;
        row->n_minus = opts->n / 2;
        row->cls = row->n_plus == row->n_minus ? SPX_PM_BALANCED : SPX_PM_SPLIT;
      } else {
        int s = c - 1 - (opts->n >= 2);
        row->cls = SPX_PM_SPLIT;
        row->n_plus = opts->splits[2 * s];
        row->n_minus = opts->splits[2 * s + 1];
        if (row->n_plus == row->n_minus) row->cls = SPX_PM_BALANCED;
      }
      SPX_TRY(row_closed_form(proto, opts, t->eig_store + (size_t)t->nrows * 2 * d, row));
      row->rhs_norm = row->max_an = row->max_fd = row->max_abs_im = NAN;
      row->err_an = row->err_fd = row->log_energy_kernel = NAN;
      row->morse_an = -1;
      row->verdict_an = row->verdict;
      if (opts->numeric && (long)(row->n_plus + row->n_minus) * (d - 1) <= max_dim)
        SPX_TRY(row_numeric(proto, opts, row));
      t->nrows++;
    }
  }
  *out = t;
  t = NULL;
cleanup:
  spx_stability_table_free(t);
  return status;
}

void spx_stability_table_free(spx_stability_table *t)
{
  if (!t) return;
  free(t->rows);
  free(t->eig_store);
  free(t);
}

int spx_stability_table_write_tsv(const spx_stability_table *t, FILE *f)
{
  fprintf(f, "# pure-mode stability (spec sphere_dynamics.md §4.3-4.4, §12.3-12.4): d=%d beta=%.17g "
             "normalization=%s; mode is 1-based in the order of the model's spectrum (model.spectrum "
             "as given, else descending); *_jac / *_fd from the analytic / finite-difference "
             "tangent Jacobian (nan: not computed); eigenvalues value:multiplicity:kind\n",
          t->d, t->beta, t->norm == SPX_NORM_SA ? "sa" : "usa");
  fprintf(f, "#mode\tlambda\tclass\tn_plus\tn_minus\tmax_eig\tmorse\tverdict\tcriterion\t"
             "criterion_src\teps\tlog_energy\trhs_norm\tmax_eig_jac\tmax_eig_fd\tmax_abs_imag\t"
             "err_jac\terr_fd\tmorse_jac\tverdict_jac\tlog_energy_kernel\teigenvalues\n");
  for (int r = 0; r < t->nrows; r++) {
    const spx_stability_row *w = &t->rows[r];
    fprintf(f, "%d\t%.12g\t%s\t%d\t%d\t%.12g\t%d\t%s\t%s\t%s\t%.12g\t%.12g\t%.6g\t%.12g\t%.12g\t"
               "%.6g\t%.6g\t%.6g\t%d\t%s\t%.12g\t",
            w->k + 1, w->lambda_k, spx_pm_class_name(w->cls), w->n_plus, w->n_minus, w->max_cf,
            w->morse, spx_verdict_name(w->verdict), w->criterion ? "stable" : "not_stable",
            w->criterion_src, w->eps, w->log_energy, w->rhs_norm, w->max_an, w->max_fd,
            w->max_abs_im, w->err_an, w->err_fd, w->morse_an, spx_verdict_name(w->verdict_an),
            w->log_energy_kernel);
    for (int i = 0; i < w->neig; i++)
      fprintf(f, "%s%.12g:%d:%s", i ? "," : "", w->eig[i].value, w->eig[i].mult,
              spx_pm_kind_name(w->eig[i].kind));
    fprintf(f, "\n");
  }
  if (ferror(f)) {
    spx_error("stability: writing the table failed");
    return SPX_EIO;
  }
  return SPX_OK;
}
