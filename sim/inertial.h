/* inertial.h -- second-order (inertial) flows of independent queries in the field of a fixed key
 * set, their linear growth rates, and the spreads along the Hessian's eigen-directions
 * (spec spectral_gap.md §1 eq. 7, §2.6, §5, §7d.2, §8 items 13-15).
 *
 *   R^d:      x' = v,  v' = -gamma v - grad F(x)          (attention: -grad F = kbar_p(x))
 *   S^{d-1}:  x' = v,  v' = -|v|^2 x + P_x(-gamma v - grad F(x))   ([ours], §7d.2)
 *
 * Linearised at a critical point in the eigenbasis of the (Riemannian) Hessian, each mode obeys
 * a'' + gamma a' + mu a = 0: for mu < 0 it grows at z_+ = (-gamma + sqrt(gamma^2 + 4|mu|))/2.
 * The queries do not interact and the keys do not move (the paper's model, spec §0).
 */
#ifndef SPX_INERTIAL_H
#define SPX_INERTIAL_H

#include <gsl/gsl_rng.h>

#include "freeenergy.h"

/* Growth rate of a'' + gamma a' + mu a = 0: the largest real part of its roots. For mu < 0 this
 * is z_+(gamma, mu) of eq. 7; gamma = 0 gives sqrt(|mu|). */
double spx_inertial_rate(double gamma, double mu);

/* The other root's real part, z_- (mu < 0: (-gamma - sqrt(gamma^2 + 4|mu|))/2). */
double spx_inertial_rate_minus(double gamma, double mu);

/* a(T) for a(0) = 1, a'(0) = 0 (zero initial velocity), every regime (over-, under-, critically
 * damped); for mu < 0: (-z_- e^{z_+ T} + z_+ e^{z_- T}) / (z_+ - z_-) (spec §8 item 13). */
double spx_inertial_amplification(double gamma, double mu, double T);

/* Settings of an inertial run. */
typedef struct {
  double gamma;       /* damping (>= 0) */
  double T;           /* final time */
  double dt;          /* step of the integrator and sampling interval (0.01) */
  const char *method; /* integrator back end ("rk4": the spec's classical RK4) */
  int sphere;         /* 0: R^d; 1: S^{d-1} (positions unit, velocities tangent) */
  /* Linearised flow (R^d only): the force is -H (x - xstar) with H of spx_inertial_run's
   * argument instead of -grad F. NULL: the nonlinear flow. */
  const double *H;
} spx_inertial_settings;

/* gamma 0.5, T 14, dt 0.01, method "rk4", sphere 0, H NULL. */
void spx_inertial_settings_default(spx_inertial_settings *s);

/* Spreads sampled every dt: S[j * nmodes + k] = std_i <x_i(t_j) - xbar, e_k> (ddof 0). */
typedef struct {
  int nsamples, nmodes;
  double *t;  /* nsamples times j dt */
  double *S;  /* nsamples x nmodes */
  int N, d;
  double *X;  /* N x d positions at the last sample */
  double *V;  /* N x d velocities at the last sample */
} spx_inertial_result;

/* Free a result; NULL is allowed. */
void spx_inertial_result_free(spx_inertial_result *r);

/* Initial cloud X0 (N x d) about xstar: xstar + amp N(0, I) (R^d), or the normalisation of
 * xstar + amp P_xstar N(0, I) on the sphere (|xstar| = 1). */
int spx_inertial_cloud(int N, int d, const double *xstar, double amp, int sphere, gsl_rng *rng,
                       double *X0);

/* Integrate N queries from X0 (N x d) with V0 (N x d, NULL: zero), recording the spreads along
 * the first nmodes columns e_k of E (d x ldE, row-major, ldE >= nmodes; e.g. the eigenvector
 * matrix of the Hessian with ldE = d). xstar (d) is the linearisation
 * point (used only with s->H). The right-hand side runs over queries with OpenMP; each query's
 * sums have a fixed order, so the result does not depend on the thread count. */
int spx_inertial_run(spx_fe *fe, int N, const double *X0, const double *V0, const double *xstar,
                     int nmodes, const double *E, int ldE, const spx_inertial_settings *s,
                     spx_inertial_result **out);

/* Least-squares slope of ln S_k(t) over the samples with lo < S_k < hi (spec §2.6: 3e-3, 5e-2).
 * NaN ("flat") when fewer than min_samples samples are in the window; *used gets their number
 * (may be NULL). */
double spx_inertial_fit_rate(const spx_inertial_result *r, int k, double lo, double hi,
                             int min_samples, int *used);

/* Growth S_k(t_last) / S_k(0) of mode k. */
double spx_inertial_growth(const spx_inertial_result *r, int k);

/* Number of modes with S_k(t_last) / S_k(0) > factor (spec §8 item 13: factor 2). */
int spx_inertial_count_growing(const spx_inertial_result *r, double factor);

#endif
