/* jm.h -- Jacobi-Maupertuis geometry of a fixed-key free energy: the JM curvature in the flat
 * plane and on S^2, its finite-difference check, the energy window, and geodesic bundles against
 * the Jacobi equation (spec spectral_gap.md §1 eqs. 5-6, 8-9, §4, §7d.3, §8 items 9-12, 19).
 *
 * JM metric g_JM = h g_0 with h = 2(E - F) on {F < E}. Flat (eq. 5-6):
 *   K_JM = Lap F / h^2 + 2 |grad F|^2 / h^3 = -Lap(log h) / (2h).
 * On the round S^2 ([ours], §7d.3, by K_{e^{2 phi} g} = e^{-2 phi}(K_g - Lap_g phi)):
 *   K_JM = 1/h + Lap_S F / h^2 + 2 |grad_S F|^2 / h^3.
 */
#ifndef SPX_JM_H
#define SPX_JM_H

#include "freeenergy.h"

/* Flat JM curvature from h, Lap F and |grad F|^2 (eq. 5). */
double spx_jm_curvature_flat(double h, double lap, double grad2);

/* JM curvature on the unit S^2 with the conformal +1/h term (§7d.3). */
double spx_jm_curvature_s2(double h, double lap, double grad2);

/* The local quantities at a point and energy E. */
typedef struct {
  double F;      /* free energy */
  double grad2;  /* |grad F|^2 (Riemannian on S^2) */
  double lap;    /* Laplacian of F (Laplace-Beltrami on S^2) */
  double h;      /* 2 (E - F) */
  double K;      /* K_JM (NaN where h <= 0: outside the Hill region) */
} spx_jm_point;

/* At x in R^2 (fe of dimension 2). */
int spx_jm_eval_flat(spx_fe *fe, const double *x, double E, spx_jm_point *p);

/* At a unit x in R^3 (fe of dimension 3). */
int spx_jm_eval_s2(spx_fe *fe, const double *x, double E, spx_jm_point *p);

/* The energies at which K_JM < 0 at one point (its F, lap, grad2). */
typedef struct {
  int exists;          /* 1 if K_JM < 0 for some E */
  double h_lo, h_hi;   /* K < 0 exactly for h in (h_lo, h_hi) (flat: h_hi = inf) */
  double E_lo, E_hi;   /* the same as energies E = F + h/2 (flat: E_lo = E*) */
  double h_min, K_min; /* where K_JM(h) is smallest, and its value */
} spx_jm_window;

/* Flat (§1): exists iff Lap F < 0; h* = -2|grad F|^2 / Lap F, E* = F + h* / 2; K is smallest at
 * h = (3/2) h* ([ours]). */
void spx_jm_window_flat(const spx_jm_point *p, spx_jm_window *w);

/* S^2 (§7d.3): K < 0 iff h^2 + Lap F h + 2|grad F|^2 < 0, a BOUNDED window that needs Lap F < 0
 * and Lap F^2 > 8 |grad F|^2. */
void spx_jm_window_s2(const spx_jm_point *p, spx_jm_window *w);

/* Finite-difference curvature at one point with step delta, O(delta^2): flat, the 5-point
 * Laplacian of log h in K = -Lap(log h)/(2h); S^2, the conformal factor psi of g_JM in
 * stereographic coordinates centred at x, K = -e^{-2 psi} Lap psi. SPX_EINVAL if h <= 0 nearby. */
int spx_jm_fd_curvature_flat(spx_fe *fe, const double *x, double E, double delta, double *K);
int spx_jm_fd_curvature_s2(spx_fe *fe, const double *x, double E, double delta, double *K);

/* Closed form against finite differences on an N x N grid over [lo, hi]^2, reproducing the
 * reference script (§4 stage 1): np.gradient applied twice to log h (wide stencil inside,
 * one-sided at the edges), mask h > hmin, evaluated where the mask holds two cells away along
 * both axes (periodic), rel = |K_f - K_d| / (|K_d| + 1e-9). */
typedef struct {
  long good;              /* evaluated points */
  double median, p90;     /* of rel (numpy's linear-interpolation percentiles) */
  double max, mean;
} spx_jm_grid_stats;

/* Kmap (N x N, row = y index, may be NULL) receives K_f on the good points and NaN elsewhere. */
int spx_jm_grid_check_flat(spx_fe *fe, double E, double lo, double hi, int N, double hmin,
                           spx_jm_grid_stats *st, double *Kmap);

/* The S^2 formula against the stereographic finite-difference curvature (step delta) on an
 * ntheta x nphi latitude-longitude grid of points (cell centres, so no pole), where h > hmin:
 * rel = |K_fd - K| / (|K| + 1e-9). */
int spx_jm_grid_check_s2(spx_fe *fe, double E, int ntheta, int nphi, double delta, double hmin,
                         spx_jm_grid_stats *st);

/* The K < 0 run along the segment a + t (b - a), t = i/(n-1) (flat): the first run of samples
 * with K < 0, its grid end points and the zero crossings refined by bisection. */
typedef struct {
  int found;
  int i_first, i_last;           /* sample indices of the run */
  double t_first, t_last;        /* their parameters */
  double t_root_lo, t_root_hi;   /* K = 0 crossings (bisection to 1e-14 in t) */
} spx_jm_segment;

/* Find that run along a -> b with n samples (flat fe of dimension 2). */
int spx_jm_negative_segment_flat(spx_fe *fe, double E, const double *a, const double *b, int n,
                                 spx_jm_segment *seg);

/* A bundle: a reference JM geodesic and a neighbour, and the Jacobi equation along the
 * reference (§4 stage 2). Arrays of length n. */
typedef struct {
  int n;          /* samples s_k = k ds, k < n */
  int dim;        /* 2 (flat) or 3 (S^2) */
  double *s;      /* JM arc length */
  double *xref;   /* n x dim: the reference geodesic */
  double *K;      /* K_JM at the reference */
  double *h;      /* h at the reference */
  double *eta;    /* measured separation sqrt(h) <x_nb - x_ref, n_hat> */
  double *jac;    /* Jacobi solution of J'' + K J = 0, J(0) = eta_0, J'(0) (settings) */
  double *wkb;    /* eta_0 (|K_0|/|K|)^{1/4} exp(int sqrt|K|) (a plotting reference) */
  int stop;       /* 0 max steps, 1 K >= 0 at the reference, 2 h < hmin */
} spx_jm_bundle;

/* Bundle settings. */
typedef struct {
  double E;       /* energy */
  double offset;  /* initial separation of the neighbour along the normal (1e-3) */
  double ds;      /* RK4 step in JM arc length (0.004) */
  int max_steps;  /* 4000 */
  double hmin;    /* stop when h < hmin at the reference (0.2) */
  const char *method; /* integrator back end ("rk4": the spec's scheme) */
  /* J'(0): 0 the reference script's forward difference (eta_1 - eta_0)/ds, an O(ds) error;
   * 1 ([ours]) the first-order exact J'(0) = eta_0 <grad phi, x'_ref(0)> of a parallel start
   * (grad phi = -grad F / h: only the factor sqrt(h) of eta changes at s = 0). */
  int exact_slope;
} spx_jm_bundle_settings;

/* E = NaN (must be set), offset 1e-3, ds 0.004, max_steps 4000, hmin 0.2, method "rk4",
 * exact_slope 0 (the spec's scheme). */
void spx_jm_bundle_settings_default(spx_jm_bundle_settings *s);

/* Flat: start at x0 (2) with unit direction dir (2), JM unit speed |x'| = h^{-1/2}; the
 * neighbour starts at x0 + offset n_hat (n_hat = dir turned by +90 degrees), same direction. */
int spx_jm_bundle_flat(spx_fe *fe, const double *x0, const double *dir,
                       const spx_jm_bundle_settings *s, spx_jm_bundle **out);

/* S^2: x0 unit (3), dir a unit tangent at x0; the neighbour starts at cos(offset) x0 +
 * sin(offset) n_hat, n_hat = x0 x dir, with direction dir (its parallel transport). */
int spx_jm_bundle_s2(spx_fe *fe, const double *x0, const double *dir,
                     const spx_jm_bundle_settings *s, spx_jm_bundle **out);

/* Free a bundle; NULL is allowed. */
void spx_jm_bundle_free(spx_jm_bundle *b);

/* max_k |eta_k - J_k| / |eta_k| over the bundle. */
double spx_jm_bundle_max_rel_dev(const spx_jm_bundle *b);

#endif
