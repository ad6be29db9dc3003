/* iflow.h -- the inertial interacting attention flow on the sphere and its unstable modes near an
 * equilibrium of the symmetric flow (issue 7; spec spectral_gap.md §1 eq. 7, §7d.2, carried over to
 * the interacting flow [ours]).
 *
 *   x_i' = v_i,   v_i' = f_i(x) - gamma v_i - |v_i|^2 x_i,
 *
 * with f_i(x) = P_{x_i}(attention drive) the right-hand side of the first-order flow (kernel.h):
 * each particle's acceleration is the attention drive's tangent part, minus damping, minus the
 * centripetal term that keeps it on the sphere (d/dt <x, v> = 0 and d/dt |x|^2 = 0 when |x| = 1
 * and <x, v> = 0). Integrated as a first-order system of 2 n d unknowns by a back end of
 * solvers/solver.h.
 *
 * Linearised at an equilibrium x* in the eigenbasis of the first-order linearization J (flowhess.h:
 * J = G^{-1}(-Hess F), real eigenvalues kappa_k), every mode obeys a'' + gamma a' - kappa a = 0:
 * it grows iff kappa_k > 0, at the rate z_+(gamma, mu = -kappa_k) (spx_inertial_rate), so the
 * number of growing modes is the Morse index of J = dim E_- of Hess F.
 */
#ifndef SPX_IFLOW_H
#define SPX_IFLOW_H

#include "model.h"

/* Settings of an inertial run. */
typedef struct {
  double gamma;       /* damping (>= 0) */
  double T;           /* final time (> 0) */
  double dt;          /* sampling interval and step of the fixed-step back ends (0.01) */
  const char *method; /* back end ("rk4": one step per sample; adaptive ones use rtol/atol) */
  double rtol, atol;  /* tolerances of the adaptive back ends (1e-12, 1e-16) */
} spx_iflow_settings;

/* gamma 0.5, T 10, dt 0.01, method "rk4", rtol 1e-12, atol 1e-16. */
void spx_iflow_settings_default(spx_iflow_settings *s);

/* Samples of a run: mode coefficients a_k(t_j) = <c_k, x(t_j) - x*> for the nmodes ambient
 * covectors c_k (n d values each), and the final state. */
typedef struct {
  int nsamples, nmodes, n, d;
  double *t;              /* nsamples times */
  double *a;              /* nsamples x nmodes coefficients */
  double *x, *v;          /* final positions and velocities (n d each) */
  double max_norm_drift;  /* max over samples and particles of ||x_i| - 1| */
  double max_radial;      /* max |<x_i, v_i>| over samples */
} spx_iflow_result;

/* Free a run's samples; NULL is allowed. */
void spx_iflow_result_free(spx_iflow_result *r);

/* Integrate from (x0, v0) (n d each; v0 NULL: zero), recording the coefficients on the covectors C
 * (nmodes x n d, row k = c_k) about xstar (n d). x0 rows must be unit and v0 tangent (1e-8). */
int spx_iflow_run(const spx_model *m, const double *x0, const double *v0, const double *xstar,
                  int nmodes, const double *C, const spx_iflow_settings *s,
                  spx_iflow_result **out);

/* Ambient vectors of tangent coordinates: out_k = sum_a M[a][k] t_a (placed in the rows of
 * particle a / (d-1)) for the first nmodes columns of M (dim x dim, dim = n (d-1)); out is
 * nmodes x n d. T is the tangent basis (flowhess.h layout). */
void spx_iflow_ambient(int n, int d, const double *T, const double *M, int nmodes, double *out);

/* Growth of mode k: |a_k(t_last)| / |a_k(0)|. */
double spx_iflow_growth(const spx_iflow_result *r, int k);

/* Least-squares slope of ln |a_k(t)| over the samples with t in [t_lo, t_hi]. */
double spx_iflow_fit_rate(const spx_iflow_result *r, int k, double t_lo, double t_hi);

/* One equilibrium experiment: perturb x* along every eigen-direction of J, run, and compare each
 * mode's growth with the linear prediction. */
typedef struct {
  double amp;            /* |xi_0| of the initial tangent perturbation (1e-10) */
  unsigned long seed;    /* mixture weights r_k in [0.5, 1] with random signs */
  double factor;         /* a mode grows if |a_k(T)/a_k(0)| > factor (2, spec §8 item 13) */
  double growth;         /* T <= 0 in the settings: T = ln(growth)/z_max (1e4), so the fastest
                            mode ends at amp * growth (small: the run stays linear) */
  double T_max;          /* cap of the automatic T (200) */
} spx_iflow_exp_opts;

/* amp 1e-10, seed 1, factor 2, growth 1e4, T_max 200. */
void spx_iflow_exp_opts_default(spx_iflow_exp_opts *o);

/* Per-mode results (arrays of dim values, owned; free with spx_iflow_exp_free). */
typedef struct {
  int dim;
  double T;              /* the final time used */
  double *kappa;         /* rates of J (descending), copied */
  double *zplus;         /* growth rate z_+(gamma, -kappa) (the largest real part of the roots) */
  double *growth;        /* measured |a_k(T)/a_k(0)| */
  double *predicted;     /* |A(gamma, -kappa, T)|: a(0) = 1, a'(0) = 0 (spx_inertial_amplification) */
  double *rate;          /* fitted slope of ln |a_k| over [T/2, T] */
  int n_growing;         /* #{growth > factor} */
  int n_predicted;       /* #{kappa > 0}: the linear prediction of the count */
  double max_growth_err; /* max over growing modes of |growth/predicted - 1| */
  double max_rate_err;   /* max over modes with kappa > 0 of |rate/z_+ - 1| */
  double max_stable_growth; /* max growth over the modes with kappa <= 0 */
  double max_norm_drift, max_radial;
  spx_iflow_result *run; /* the run itself (samples of every mode) */
} spx_iflow_exp;

/* Free an experiment (and its run); NULL is allowed. */
void spx_iflow_exp_free(spx_iflow_exp *e);

/* Run the experiment at x* with tangent basis T and the eigen-decomposition of J (kappa
 * descending, right and left eigenvectors as columns of dim x dim, e.g. from
 * spx_flowhess_analyze), damping and integrator from s (s->T <= 0: automatic). */
int spx_iflow_experiment(const spx_model *m, const double *xstar, const double *T,
                         const double *kappa, const double *right, const double *left,
                         const spx_iflow_settings *s, const spx_iflow_exp_opts *o,
                         spx_iflow_exp **out);

#endif
