/* observables.h -- order parameters of a state and classification of the final state
 * (spec sphere_dynamics.md §7; thresholds of §10).
 *
 * All quantities are computed on the renormalized rows u_i = x_i/|x_i| in the x frame, with the
 * mode basis of the model (columns u_k of model->U, eigenvalues descending): y_i^k = <u_i, u_k>.
 * O(n d^2) per call except the energy, the minimum inner product and the clusters (O(n^2 d)).
 * A workspace is allocated once (spx_obs_create); spx_obs_compute allocates nothing.
 */
#ifndef SPX_OBSERVABLES_H
#define SPX_OBSERVABLES_H

#include "kernel.h"
#include "model.h"

typedef enum {
  SPX_CLASS_HOMOGENEOUS = 0, /* one cluster on an eigen-direction (all at +u_k or all at -u_k) */
  SPX_CLASS_SPLIT,           /* on +u_k and -u_k, both non-empty */
  SPX_CLASS_CLUSTERED,       /* m tight clusters, stationary, not a pure mode */
  SPX_CLASS_UNCONVERGED      /* none of the above */
} spx_class;

/* Thresholds of the classification (config group "classify"). */
typedef struct {
  double pm_tol;            /* pure mode iff delta_pm = max_i (1 - |y_i^k*|) < pm_tol (1e-3) */
  double cluster_threshold; /* i ~ j iff <u_i, u_j> > threshold (0.999), union-find */
  double speed_tol;         /* "stationary" iff max_i |dx_i/dt| < speed_tol (1e-6) */
} spx_classify_settings;

/* Observables at one time. Arrays are owned by the spx_obs workspace. */
typedef struct {
  double t;
  double log_energy;        /* log E_beta on renormalized rows (NaN when no A_h is symmetric) */
  double energy_rel_inc;    /* (E(t) - E(t_prev)) / |E(t_prev)|; NaN at the first call */
  int kstar;                /* selected mode, 0-based: argmax_k alignment[k] */
  double *alignment;        /* [d] A_k = (1/n) sum_i (y_i^k)^2 */
  double *magnetization;    /* [d] M_k = (1/n) sum_i y_i^k */
  double *polarization;     /* [d] Pi_k = A_k - M_k^2 */
  double f_plus;            /* fraction with y_i^k* > 0 */
  double sign_memory;       /* fraction with sgn y_i^k*(t) = sgn y_i^k*(0) (initial state set by
                               spx_obs_set_reference) */
  double delta_pm;          /* max_i (1 - |y_i^k*|): distance to the nearest pure mode */
  double mean_resultant;    /* |mean_i u_i| */
  double nematic;           /* largest eigenvalue of C = (1/n) sum u_i u_i^T */
  double min_inner;         /* min_{i != j} <u_i, u_j> (1 when n = 1) */
  int clusters;             /* connected components of <u_i,u_j> > threshold */
  int *cluster_mass;        /* [n] sizes of the clusters, descending; first `clusters` valid */
  double norm_drift;        /* max_i | |x_i| - 1 | */
  double speed;             /* max_i |f_i| (f = the RHS at this state) */
  double speed2;            /* sum_i |f_i|^2 */
} spx_obs_values;

typedef struct spx_obs spx_obs;

int spx_obs_create(const spx_model *m, const spx_classify_settings *cs, spx_obs **out);
void spx_obs_free(spx_obs *o);

/* Remember the signs of the initial state for sign_memory (x in the x frame). */
void spx_obs_set_reference(spx_obs *o, const double *x0);

/* Compute every observable at (t, x); f is the RHS at x (for the speed) or NULL (speed = NaN).
 * kern is used for the energy (may be NULL: no energy). x is in the x frame. */
int spx_obs_compute(spx_obs *o, spx_kernel *kern, double t, const double *x, const double *f,
                    const spx_obs_values **out);

/* Classification of a state from its observables (spec §7 item 6, §10 thresholds). */
typedef struct {
  spx_class cls;
  int mode;        /* k* (0-based) */
  int n_plus, n_minus;
  int clusters;
} spx_classification;

spx_classification spx_obs_classify(const spx_obs *o, const spx_obs_values *v);

/* "homogeneous", "split", "clustered", "unconverged". */
const char *spx_class_name(spx_class c);

/* Union-find clusters of the rows of x at <u_i,u_j> > threshold: returns the count and fills
 * mass[] (descending) when mass != NULL. label[] (n ints) is scratch. O(n^2 d). */
int spx_obs_count_clusters(int n, int d, const double *x, double threshold, int *label, int *mass);

#endif
