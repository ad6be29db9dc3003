/* flowhess.h -- the free energy F = -E_beta of the symmetric interacting flow on the product of
 * spheres (S^{d-1})^n, its Riemannian gradient and Hessian on the n(d-1)-dimensional tangent space
 * at any state, the metric that makes the flow its gradient, and dim E_- against the Morse index
 * of the linearization ([ours]: spec spectral_gap.md §7d.4 names the object, sphere_dynamics.md §3
 * gives the energy and the two metrics).
 *
 *   E_beta(X) = (1/(2 beta)) sum_h sum_{i,j} exp(beta <x_i, A_h x_j>),  A_h = V_h = V_h^T,
 *   F = -E_beta,   dx_i/dt = -grad_{x_i} F / g_i   (SA: g_i = Z_i = sum_j e^{beta s_ij}; USA: g_i = n).
 *
 * The flow is gradient ASCENT of E, so at an equilibrium its linearization is
 * J = G^{-1} (-Hess F) (G = diag(g_i) on the tangent coordinates of particle i): J is similar to the
 * symmetric G^{-1/2}(-Hess F)G^{-1/2}, so by Sylvester's law of inertia the number of unstable
 * directions of the flow (Morse index, eigenvalues of J > 0) equals dim E_-, the number of NEGATIVE
 * eigenvalues of Hess F (= positive eigenvalues of Hess E).
 *
 * Scale: E_beta grows like e^{beta max s_ij}; values are returned in units of e^{log_scale}
 * (log_scale = 0 unless beta max_ij <x_i, A x_j> > 600). Counts and the rates of J do not depend
 * on it. Rows of the state are normalized before use (a run's state is unit only to its drift).
 */
#ifndef SPX_FLOWHESS_H
#define SPX_FLOWHESS_H

#include "gap.h"
#include "model.h"

typedef struct spx_flowhess spx_flowhess;

/* Workspace for model m (must outlive it): SPX_EINVAL unless m is a gradient flow of E_beta
 * (every head A = V = V^T, no mask, one head for SA) and n (d-1) <= 2000. */
int spx_flowhess_create(const spx_model *m, spx_flowhess **out);
/* Free the workspace; NULL is allowed. */
void spx_flowhess_free(spx_flowhess *w);

/* Tangent dimension n (d-1). */
int spx_flowhess_dim(const spx_flowhess *w);

/* log E_beta (NaN for beta = 0) and the Riemannian gradient of F (n d values, tangent at each
 * normalized row; may be NULL), in units of e^{*log_scale} (may be NULL). */
int spx_flowhess_gradient(spx_flowhess *w, const double *x, double *logE, double *rgrad,
                          double *log_scale);

/* Riemannian Hessian of F at x in the tangent basis T (n (d-1) vectors of length d, vector j of
 * particle i at T + (i (d-1) + j) d, orthonormal per particle: spx_stability_basis_pm /
 * spx_stability_basis_householder): H (dim x dim, symmetric), true value e^{*log_scale} H. */
int spx_flowhess_hessian(spx_flowhess *w, const double *x, const double *T, double *H,
                         double *log_scale);

/* Metric weights g_i (n values) with dx_i/dt = -grad_{x_i} F / g_i, in units of e^{log_scale}
 * (pass the Hessian's log_scale so that J = G^{-1}(-H) is scale free). */
int spx_flowhess_metric(spx_flowhess *w, const double *x, double log_scale, double *g);

/* Options of spx_flowhess_analyze. */
typedef struct {
  spx_gap_settings gap;  /* the gap finder's settings (to_null is forced to 1 for .gap) */
  double tol;            /* Morse / kappa tolerance (<= 0: spx_stability_default_tol) */
  double fd_h;           /* > 0: also check H against central differences of E on the retraction
                            x -> normalize(x + h t_a + h t_b) (cost dim^2 energies); 0: skip */
} spx_flowhess_opts;

/* tol 0, fd_h 0, the default gap settings. */
void spx_flowhess_opts_default(spx_flowhess_opts *o);

/* Everything spx_flowhess_analyze finds at a state. Arrays belong to the workspace and stay valid
 * until the next call. */
typedef struct {
  int dim;               /* n (d-1) */
  double rhs_norm;       /* |f(x)|_2 of the flow (kernel): ~0 at an equilibrium */
  double grad_norm;      /* |grad F|_2 / max|Hess F| (relative; ~0 at an equilibrium) */
  double log_energy;     /* log E_beta */
  double log_scale;      /* true Hess F = e^{log_scale} hess */
  const double *hess;    /* Hess F in the tangent basis (dim x dim) */
  const double *evals;   /* its eigenvalues, ascending */
  spx_gap gap;           /* gap finder with the gap to the null space allowed (to_null): its
                            count is dim E_-, the number of negative eigenvalues */
  spx_gap dominant;      /* the paper's finder (largest jump inside the negative spectrum) */
  const double *g;       /* metric weights g_i (n) */
  const double *kappa;   /* eigenvalues of J = G^{-1}(-Hess F), descending (flow rates) */
  const double *right;   /* dim x dim, columns v_k: J v_k = kappa_k v_k (tangent coordinates) */
  const double *left;    /* dim x dim, columns w_k: w_k^T J = kappa_k w_k^T, w_k^T v_l = delta_kl */
  int n_kappa_pos;       /* #{kappa_k > tol} */
  int morse;             /* Morse index of the kernel's analytic tangent Jacobian */
  int morse_zero;        /* its eigenvalues within tol */
  double jac_err;        /* max_ab |J_kernel - G^{-1}(-Hess F)| / max|J_kernel| (meaningful only
                            at an equilibrium) */
  double fd_err;         /* max |H - H_fd| / max|H| (NaN without opts->fd_h) */
  double tol;            /* tolerance used */
} spx_flowhess_result;

/* Hessian, spectrum, gap, rates and eigenvectors of the linearization, and the Morse index of the
 * kernel's tangent Jacobian at x in the basis T (NULL: Householder basis of x). */
int spx_flowhess_analyze(spx_flowhess *w, const double *x, const double *T,
                         const spx_flowhess_opts *opts, spx_flowhess_result *r);

/* The tangent basis used by the last spx_flowhess_analyze (n (d-1) vectors of length d). */
const double *spx_flowhess_basis(const spx_flowhess *w);

#endif
