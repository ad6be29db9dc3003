/* gap.h -- dim E_- as a well-posed count: the spectral gap of a symmetric Hessian H, the count
 * over thresholds, the Riesz projector by contour quadrature, and the stability of the count and
 * of the subspace under perturbations (spec spectral_gap.md §1 Def. 1, Props. 1-2, §2.4, §2.5,
 * §7b, §7c, §8 items 2-8).
 *
 * Conventions: eigenvalues in ASCENDING order lambda_1 <= ... <= lambda_n (the spec's order),
 * eigenvectors as the COLUMNS of an n x n row-major matrix. E_-(theta) = span{v : lambda < -theta}.
 * "No gap: the count is ill-posed" is a result (spx_gap.well_posed = 0), not an error.
 */
#ifndef SPX_GAP_H
#define SPX_GAP_H

#include <gsl/gsl_rng.h>

/* Eigen-solver workspace for n x n symmetric matrices, allocated once (perturbation trials). */
typedef struct spx_gap_ws spx_gap_ws;

/* Allocate the workspace for n x n matrices (SPX_EINVAL for n < 1). */
int spx_gap_ws_create(int n, spx_gap_ws **out);
/* Free the workspace; NULL is allowed. */
void spx_gap_ws_free(spx_gap_ws *w);

/* Eigenvalues of the symmetric part of H, ascending, and (if evecs != NULL) orthonormal
 * eigenvectors as columns, each with its largest-modulus entry positive. */
int spx_gap_eigen(spx_gap_ws *w, const double *H, double *evals, double *evecs);

/* Settings of the gap finder (spec §7c and its pitfall). */
typedef struct {
  /* Null floor. > 0 ([ours], the default 1e-8): eigenvalues with lambda > -floor_rel max|lambda|
   * (exact zeros of a rank-deficient H, and non-negative ones) are left out of the search.
   * <= 0: the companion script's absolute floor mag = max(|lambda|, 1e-9 max(|lambda_1|, 1)) over
   * the whole spectrum -- reproduces the pitfall (the jump "bulk -> exact zeros"). */
  double floor_rel;
  int top;            /* search only the `top` lowest retained eigenvalues (0: all); §7b uses 20 */
  double relgap_min;  /* a gap is genuine iff Delta / max|lambda| > relgap_min (0.05, §7c) */
  /* 1 ([ours], needs floor_rel > 0): the jump from the least negative retained eigenvalue to the
   * null floor, |lambda_R| / (floor_rel max|lambda|), is a candidate too, so that a spectrum whose
   * clearest gap is "negative part -> zero and positive part" gives the count of ALL negative
   * eigenvalues (the Morse count of an equilibrium's Hessian). 0: the spec's rule (default). */
  int to_null;
} spx_gap_settings;

/* floor_rel 1e-8, top 0, relgap_min 0.05, to_null 0. */
void spx_gap_settings_default(spx_gap_settings *s);

/* The result of the gap finder. */
typedef struct {
  int well_posed;     /* 1: a genuine gap (or no negative eigenvalue); 0: no gap, count ill-posed */
  int count;          /* #{lambda < -theta}: dim E_- (reported also when ill-posed, as such) */
  int index;          /* 0-based position of lambda_lo in the ascending spectrum (-1: none) */
  double lambda_lo;   /* the eigenvalue below the gap (lambda_{m-1} in the spec) */
  double lambda_hi;   /* the eigenvalue above the gap (lambda_m) */
  double delta;       /* Delta = lambda_hi - lambda_lo */
  double theta;       /* midpoint threshold theta_0 = -(lambda_lo + lambda_hi)/2 */
  double jump;        /* multiplicative jump |lambda_lo| / |lambda_hi| (floored) */
  double relgap;      /* Delta / max|lambda| */
} spx_gap;

/* Largest multiplicative jump of an ascending spectrum (spec §7c), relative gap and midpoint
 * threshold. With one retained eigenvalue the gap is to the null space above it ([ours]); with
 * none, dim E_- = 0 for every theta > 0 (well posed, count 0). */
int spx_gap_find(int n, const double *evals, const spx_gap_settings *s, spx_gap *g);

/* "gap" or "no gap: count ill-posed" (spec §7b). */
const char *spx_gap_verdict(const spx_gap *g);

/* #{lambda_i < -theta} (Definition 1). */
int spx_gap_count(int n, const double *evals, double theta);

/* Count over nsamples log-spaced thresholds in [theta_a, theta_b] (both > 0): thetas and counts
 * (either may be NULL), and the minimum and maximum count: the plateau test (spec §3 S1, §8.5). */
void spx_gap_count_curve(int n, const double *evals, double theta_a, double theta_b, int nsamples,
                         double *thetas, int *counts, int *cmin, int *cmax);

/* The contour of spec §2.4 around {lambda_1 .. lambda_lo}: centre (lambda_1 + lambda_lo)/2,
 * radius (lambda_lo - lambda_1)/2 + margin Delta (margin 0.45: crosses the gap inside it). */
void spx_riesz_gap_contour(int n, const double *evals, const spx_gap *g, double margin,
                           double *centre, double *radius);

/* tr P by the M-node trapezoidal rule on the circle |z - c| = r from the eigenvalues:
 * (1/2 pi i) sum_k sum_i dz_k / (z_k - lambda_i), z_k = c + r e^{2 pi i k/M} (spec §2.4). */
void spx_riesz_trace(int n, const double *evals, double c, double r, int M, double *re,
                     double *im);

/* The projector P = (1/2 pi i) oint (zI - H)^{-1} dz by the same rule with a complex LU inverse
 * per node (GSL): real part into P (n x n); its trace and max |Im P_ij| (may be NULL). */
int spx_riesz_projector(int n, const double *H, double c, double r, int M, double *P,
                        double *trace, double *imag_max);

/* Eigenvector projector P = V_{1:k} V_{1:k}^T on the first k columns of evecs (ascending). */
void spx_gap_eigen_projector(int n, const double *evecs, int k, double *P);

/* ||sin Theta||_2 between the spans of the first k columns of V and of W (both n x n
 * orthonormal): the largest singular value of W_perp^T V_{1:k}. */
int spx_gap_sin_theta(spx_gap_ws *w, const double *V, const double *W, int k, double *sin_theta);

/* A = (G + G^T)/2, G_ij ~ N(0,1), rescaled to ||A||_2 = eps exactly (spec §2.5). */
int spx_gap_perturb_goe(spx_gap_ws *w, gsl_rng *rng, double eps, double *A);

/* Adversarial for the count: A = eps (V_- V_-^T - V_+ V_+^T) with V_- the first count columns of
 * evecs (E_- moves up by eps) and V_+ the rest (moves down): the count changes at eps > Delta/2. */
void spx_gap_perturb_shift(int n, const double *evecs, int count, double eps, double *A);

/* Adversarial for the subspace: A = eps (u v^T + v u^T), u, v the eigenvectors of lambda_lo and
 * lambda_hi: rotates E_- by (1/2) atan(2 eps / Delta) (spec §1, Prop. 2). */
void spx_gap_perturb_rotate(int n, const double *evecs, int count, double eps, double *A);

/* One perturbed matrix H + A against the unperturbed gap g (theta_0 of H, spec §2.5). */
typedef struct {
  double norm;        /* ||A||_2 */
  int count;          /* #{lambda(H + A) < -theta_0} */
  int preserved;      /* count == g->count */
  double sin_theta;   /* ||sin Theta(E_-, E_-')||_2, E_-' = the g->count lowest eigenvectors */
  double dk_bound;    /* ||A|| / (Delta - ||A||) (Davis-Kahan + Weyl; inf if ||A|| >= Delta) */
  double paper_bound; /* ||A|| / Delta (the paper's claim) */
  double yws_bound;   /* 2 ||A|| / Delta (Yu-Wang-Samworth) */
} spx_gap_trial;

/* Evaluate H + A (evecs: eigenvectors of H, ascending). */
int spx_gap_perturb_eval(spx_gap_ws *w, const double *H, const double *evecs, const spx_gap *g,
                         const double *A, spx_gap_trial *t);

/* Statistics of ntrials GOE-type perturbations at ||A|| = eps_over_delta * Delta. */
typedef struct {
  int trials, preserved;
  double frac_preserved;
  double max_sin_theta;
  double max_ratio;       /* max sin Theta / (||A|| / Delta) */
  int dk_violations;      /* trials with sin Theta > the Davis-Kahan bound */
  int paper_violations;   /* trials with sin Theta > ||A|| / Delta */
} spx_gap_perturb_stats;

/* Run ntrials GOE-type trials with the generator rng and collect their statistics into st. */
int spx_gap_perturb_study(spx_gap_ws *w, const double *H, const double *evecs, const spx_gap *g,
                          double eps_over_delta, int ntrials, gsl_rng *rng,
                          spx_gap_perturb_stats *st);

#endif
