/* stability.h -- local stability of equilibria of the symmetric flow A = V = V^T (spec
 * sphere_dynamics.md §4.2-§4.4, §12.3-§12.4, §13; Kuehn-Yoon Theorem 5.2 as restated there).
 *
 * Three layers:
 *  1. closed forms at a pure mode x_i = sigma_i u_k (n_plus at +u_k, n_minus at -u_k): internal,
 *     drift, counter-rotation and co-motion rates, the 2x2 blocks G^(l), the whole spectrum of
 *     the n(d-1)-dimensional tangent linearization with multiplicities, the stability criteria,
 *     beta_s, the bistability threshold, the imbalance bound and the pure-mode energies;
 *  2. numerics on any state: orthonormal tangent bases, the tangent Jacobian (analytic from
 *     spx_kernel_jv, or central finite differences of spx_kernel_rhs), its eigenvalues (GSL),
 *     Morse index and verdict; the three-group mixed equilibria of §13;
 *  3. the table of every pure-mode class for a model (closed form and numerical side by side).
 *
 * Modes are 0-based indices into the spectrum (and the columns of U); the spec's u_1 is k = 0.
 */
#ifndef SPX_STABILITY_H
#define SPX_STABILITY_H

#include <stdio.h>

#include "kernel.h"
#include "model.h"

/* ---- verdicts ------------------------------------------------------------------------------ */

/* Stability verdict from a spectrum: every real part < -tol (stable), none > tol but some
 * within tol (neutral: degenerate spectra, rotations), at least one > tol (unstable). */
typedef enum { SPX_VERDICT_STABLE = 0, SPX_VERDICT_NEUTRAL = 1, SPX_VERDICT_UNSTABLE = 2 } spx_verdict;

/* "stable", "neutral" or "unstable". */
const char *spx_verdict_name(spx_verdict v);

/* Default verdict tolerance for eigenvalues of scale s = max|Re|: 1e-7 max(1, s). */
double spx_stability_default_tol(double scale);

/* Verdict of len real parts re (each counted mult[i] times, mult NULL = once); writes the Morse
 * index (count > tol) and the number within tol when the pointers are not NULL. */
spx_verdict spx_stability_classify(int len, const double *re, const int *mult, double tol,
                                   int *morse, int *nzero);

/* ---- 1. closed forms at pure modes (spec §4.3, §12.3) -------------------------------------- */

/* A pure-mode equilibrium x_i = +u_k (n_plus particles) and -u_k (n_minus particles). */
typedef struct {
  int d;                  /* dimension (>= 2) */
  const double *lambda;   /* spectrum of V, d values (any order; lambda[k] belongs to u_k) */
  double beta;            /* inverse temperature (>= 0) */
  spx_normalization norm; /* SA or USA */
  double usa_shift;       /* USA time rescaling of the model (0: physical time); rates x e^-shift */
  int k;                  /* the mode hosting the particles, 0 <= k < d */
  int n_plus, n_minus;    /* particles at +u_k and -u_k; n_plus + n_minus >= 1 */
} spx_puremode;

/* Kind of a closed-form eigenvalue (spec §4.3). */
typedef enum {
  SPX_PM_INTERNAL_PLUS,  /* relative motion inside the + cluster, mult (d-1)(n_plus-1) */
  SPX_PM_INTERNAL_MINUS, /* relative motion inside the - cluster, mult (d-1)(n_minus-1) */
  SPX_PM_DRIFT,          /* homogeneous cluster moving toward u_l (one cluster only) */
  SPX_PM_COMOTION,       /* G^(l) eigenvector with both clusters moving toward the same u_l */
  SPX_PM_COUNTER,        /* G^(l) eigenvector of opposite signs: counter-rotation of the pair */
  SPX_PM_BLOCK           /* G^(l) eigenvalue when lambda_l = 0 (the clusters decouple) */
} spx_pm_kind;

/* One distinct closed-form eigenvalue with its multiplicity. */
typedef struct {
  double value;     /* the rate (real) */
  int mult;         /* multiplicity (>= 1) */
  spx_pm_kind kind; /* which motion */
  int l;            /* transverse mode of the motion, or -1 for internal rates */
} spx_pm_eig;

/* Name of a kind ("internal+", "internal-", "drift", "co-motion", "counter-rotation", "block"). */
const char *spx_pm_kind_name(spx_pm_kind kind);

/* Checks the fields of pm; SPX_EINVAL with a message when they are out of range. */
int spx_puremode_check(const spx_puremode *pm);

/* Internal rates mu_plus, mu_minus (spec §4.3; defined even where the multiplicity is 0). */
int spx_puremode_internal(const spx_puremode *pm, double *mu_plus, double *mu_minus);

/* The 2x2 block G^(l) (row-major) of the two cluster motions toward u_l, l != k (spec §4.3). */
int spx_puremode_block(const spx_puremode *pm, int l, double G[4]);

/* The distinct eigenvalues with multiplicities (sum = n(d-1)); cap >= 2d entries. */
int spx_puremode_spectrum(const spx_puremode *pm, int cap, spx_pm_eig *eig, int *neig);

/* Expand a list of distinct eigenvalues into dim = sum of multiplicities values, descending. */
int spx_pm_eig_expand(int neig, const spx_pm_eig *eig, int dim, double *values);

/* Largest closed-form eigenvalue, Morse index and verdict of pm (tol <= 0: default tol). */
int spx_puremode_verdict(const spx_puremode *pm, double tol, double *max_eig, int *morse,
                         spx_verdict *verdict);

/* ---- 1b. criteria (spec §4.4, §12.4) -------------------------------------------------------- */

/* Exact criterion [ours, from the same algebra as §12.4]: 1 if every closed-form eigenvalue of
 * pm is < 0, for any n_plus, n_minus (internal rates only where a cluster has >= 2 particles). */
int spx_puremode_stable(const spx_puremode *pm);

/* §4.4 item 1: homogeneous cluster (n >= 2) at +-u_k stable <=> lambda_k > 0 and > every other. */
int spx_stability_homogeneous_stable(int d, const double *lambda, int k);

/* §4.4 item 2 / §12.4: balanced split on u_k (n_+ = n_- >= 2) stable <=> beta lambda_k != 0 and
 * for all l != k: (lambda_l - lambda_k) sgn(lambda_k) < 0 and lambda_l < lambda_k tanh(beta lambda_k). */
int spx_stability_balanced_stable(int d, const double *lambda, double beta, int k);

/* sigma(c, r) = (c - r)(c r - 1) / (r (c^2 - 1)) of §12.4 (overflow-safe; NaN for c = 1). */
double spx_stability_sigma(double c, double r);

/* §12.4 (Kuehn-Yoon): split (n_plus, n_minus >= 2) on u_k stable, with r = n_+/n_-,
 * c = e^{2 beta lambda_k}: lambda_k > |log r|/(2 beta) and lambda_l < lambda_k sigma(c, r) for
 * lambda_k > 0; lambda_k < -|log r|/(2 beta) and lambda_k < lambda_l < lambda_k sigma for < 0. */
int spx_stability_unbalanced_stable(int d, const double *lambda, double beta, int k, int n_plus,
                                    int n_minus);

/* §4.4 item 3: largest imbalance max(n+,n-)/min(n+,n-) a stable split on lambda_k can have,
 * e^{2 beta |lambda_k|} (the internal rates change sign there). */
double spx_stability_imbalance_bound(double beta, double lambda_k);

/* §4.4 item 2: beta_s = artanh(lambda_2/lambda_1)/lambda_1, above which the balanced split on
 * u_1 is stable; 0 when lambda_2 <= 0 < lambda_1, +inf when lambda_1 <= 0 or lambda_2 = lambda_1. */
double spx_stability_beta_s(int d, const double *lambda);

/* §4.4 item 4: artanh(lambda_1/|lambda_min|)/|lambda_min|, above which the homogeneous state at
 * u_1 and the split on u_min are both stable; +inf when |lambda_min| > lambda_1 > 0 fails or
 * either eigenvalue is not simple. */
double spx_stability_bistability_beta(int d, const double *lambda);

/* Flags per mode k: homogeneous[k] (§4.4 item 1), balanced[k] (item 2) stable. */
int spx_stability_stable_modes(int d, const double *lambda, double beta, int *homogeneous,
                               int *balanced);

/* §4.4 item 6: epsilon = 2 beta E_beta / n^2 at the pure mode pm ((p^2+q^2) e^{b l} + 2pq e^{-b l}). */
double spx_puremode_energy_eps(const spx_puremode *pm);

/* log E_beta at pm (log domain, no overflow); needs beta > 0 (NaN otherwise). */
double spx_puremode_log_energy(const spx_puremode *pm);

/* ---- 2. numerics on a state ----------------------------------------------------------------- */

/* Workspace of the tangent Jacobian and its eigenvalues for n particles in R^d. */
typedef struct spx_stability_ws spx_stability_ws;

/* Allocate the workspace for (n, d), dim = n(d-1) <= 2000 (dense eigenvalues). */
int spx_stability_ws_create(int n, int d, spx_stability_ws **out);
void spx_stability_ws_free(spx_stability_ws *ws);

/* Pure-mode state of model m (n_plus + n_minus = m->n) in the x frame: x_i = +-u_k, u_k the
 * k-th column of m->U. */
int spx_stability_pm_state(const spx_model *m, int k, int n_plus, int n_minus, double *x);

/* Tangent basis T (n (d-1) vectors of length d; vector j of particle i at T + (i(d-1)+j) d) at a
 * pure mode on u_k: the columns u_l, l != k, of U (d x d, columns orthonormal). */
int spx_stability_basis_pm(int n, int d, const double *U, int k, double *T);

/* Tangent basis of any state: the Householder reflection taking x_i/|x_i| to a coordinate axis;
 * its other d-1 columns are orthonormal and orthogonal to x_i. SPX_EINVAL for a zero row. */
int spx_stability_basis_householder(int n, int d, const double *x, double *T);

/* Tangent Jacobian J (dim x dim, row-major), J_ab = <t_a, Df(x) t_b>: h = 0 uses the analytic
 * spx_kernel_jv, h > 0 the central difference (f(x + h t_b) - f(x - h t_b)) / 2h. */
int spx_stability_jacobian(spx_kernel *kern, spx_stability_ws *ws, const double *x,
                           const double *T, double h, double *J);

/* Eigenvalues of a tangent Jacobian, sorted by real part (descending), with their summary. */
typedef struct {
  int dim;            /* n (d-1) */
  double *re, *im;    /* dim real and imaginary parts (arrays owned by the workspace) */
  double max_re;      /* largest real part */
  double max_abs_im;  /* max |imaginary part| (0 in exact arithmetic for these equilibria) */
  double tol;         /* tolerance used for the verdict */
  int morse;          /* number of real parts > tol (unstable directions) */
  int nzero;          /* number of |real part| <= tol */
  spx_verdict verdict;
} spx_stability_spectrum;

/* Eigenvalues of J (dim x dim; not modified) with GSL's nonsymmetric solver, written to re/im
 * (dim each, caller-owned); tol <= 0 means spx_stability_default_tol(max |Re|). */
int spx_stability_eigen(spx_stability_ws *ws, const double *J, double tol, double *re,
                        double *im, spx_stability_spectrum *out);

/* Options of spx_stability_analyze. */
typedef struct {
  double fd_h;  /* central-difference step (<= 0: 1e-6, spec §10 item 5) */
  int fd;       /* 1: also the finite-difference Jacobian and its spectrum */
  double tol;   /* verdict tolerance (<= 0: default, relative to the spectrum's scale) */
} spx_stability_opts;

/* Everything spx_stability_analyze finds at a state (arrays live in the workspace). */
typedef struct {
  int dim;                    /* n (d-1) */
  double rhs_norm;            /* |f(x)|_2 over all n d components: ~0 at an equilibrium */
  const double *J, *J_fd;     /* analytic and finite-difference tangent Jacobians (J_fd NULL
                                 without opts->fd) */
  double jac_diff;            /* max_ab |J - J_fd| (0 without fd) */
  spx_stability_spectrum an;  /* spectrum of J */
  spx_stability_spectrum fd;  /* spectrum of J_fd (dim 0 without fd) */
} spx_stability_result;

/* RHS norm, tangent Jacobians and spectra at state x (x frame of the kernel's model). T may be
 * NULL (Householder basis from x). Results stay valid until the next call with ws. */
int spx_stability_analyze(spx_kernel *kern, spx_stability_ws *ws, const double *x,
                          const double *T, const spx_stability_opts *opts,
                          spx_stability_result *res);

/* ---- 2b. three-group mixed equilibria (spec §13) --------------------------------------------- */

/* Existence function of §13: q[(a-b) e^{beta(b+(a-b)q^2)} + (a+b) e^{beta(-b+(a+b)q^2)}]
 * + a (m/k) e^{beta a q}; its zeros in (-1, 1) are the equilibria. */
double spx_stability_mixed_fn(double a, double b, double beta, int m, int k, double q);

/* All roots q in (-1, 1) (sign changes on a grid of 4000 cells, then Brent to 1e-14), ascending;
 * at most cap are written, *nroots is the number found. */
int spx_stability_mixed_roots(double a, double b, double beta, int m, int k, int cap,
                              double *roots, int *nroots);

/* The state: m copies of u, k copies each of q u +- sqrt(1-q^2) v, where u, v are the columns
 * ia, ib of U (d x d); x has (m + 2k) d values. */
int spx_stability_mixed_state(int d, const double *U, int ia, int ib, int m, int k, double q,
                              double *x);

/* ---- 3. the table of pure-mode classes --------------------------------------------------------- */

typedef enum { SPX_PM_HOMOGENEOUS = 0, SPX_PM_BALANCED = 1, SPX_PM_SPLIT = 2 } spx_pm_class;

/* "homogeneous", "balanced" or "split". */
const char *spx_pm_class_name(spx_pm_class c);

/* What the table lists. */
typedef struct {
  int n;              /* particles of the homogeneous and balanced classes (>= 1; odd n gives a
                         (n+1)/2 : (n-1)/2 split in place of the balanced one) */
  int nsplits;        /* extra unbalanced splits, listed on every mode */
  const int *splits;  /* 2 nsplits values: (n_plus, n_minus) pairs, each >= 1 */
  int numeric;        /* 1: also build each state and compute its tangent Jacobian spectra */
  double fd_h;        /* central-difference step (<= 0: 1e-6) */
  double tol;         /* verdict tolerance (<= 0: 1e-7 x the largest closed-form rate of each row) */
  int numeric_max_dim; /* numerical columns only for rows with n(d-1) <= this (<= 0: 2000, the
                          dense limit); larger rows keep NaN there */
} spx_stability_table_opts;

/* One row: one pure-mode class on one mode. */
typedef struct {
  int k;                   /* mode (0-based) */
  double lambda_k;         /* its eigenvalue */
  spx_pm_class cls;        /* homogeneous / balanced / split */
  int n_plus, n_minus;     /* particles at +u_k, -u_k */
  int neig;                /* distinct closed-form eigenvalues */
  const spx_pm_eig *eig;   /* ... (owned by the table) */
  double max_cf;           /* largest closed-form eigenvalue */
  int morse;               /* closed-form Morse index */
  spx_verdict verdict;     /* closed-form verdict */
  double tol;              /* verdict tolerance of the row: opts.tol, else 1e-7 max|closed-form
                              eigenvalue| (relative to the row's rates [ours]) */
  int criterion;           /* 1 stable / 0 not, by the spec's criterion for this class */
  const char *criterion_src; /* "4.4.1", "4.4.2", "12.4" or "exact" (spx_puremode_stable) */
  double eps;              /* 2 beta E / n^2 (§4.4 item 6) */
  double log_energy;       /* log E_beta, closed form */
  /* numerical columns (NaN / -1 unless opts.numeric) */
  double rhs_norm;         /* |RHS| at the built state */
  double max_an, max_fd;   /* largest real part: analytic and FD tangent Jacobians */
  double max_abs_im;       /* max |Im| over both numerical spectra */
  double err_an, err_fd;   /* max |sorted closed form - sorted numerical real parts| */
  int morse_an;            /* Morse index of the analytic Jacobian */
  spx_verdict verdict_an;  /* its verdict */
  double log_energy_kernel; /* spx_kernel_log_energy at the state */
} spx_stability_row;

typedef struct {
  int d;                    /* dimension */
  double beta;              /* inverse temperature */
  spx_normalization norm;   /* SA or USA */
  int nrows;                /* rows */
  spx_stability_row *rows;  /* rows, mode by mode */
  spx_pm_eig *eig_store;    /* storage of the rows' eigenvalue lists */
} spx_stability_table;

/* Build the table for the spectrum, basis, beta and normalization of proto, which must be the
 * single-head symmetric flow A = V = V^T (its n is ignored; opts->n is used). */
int spx_stability_table_build(const spx_model *proto, const spx_stability_table_opts *opts,
                              spx_stability_table **out);
void spx_stability_table_free(spx_stability_table *t);

/* Write the table as TSV ('#' header naming the columns; eigenvalues as value:mult:kind lists). */
int spx_stability_table_write_tsv(const spx_stability_table *t, FILE *f);

#endif
