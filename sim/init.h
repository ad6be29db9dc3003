/* init.h -- initial conditions on S^{d-1} (config group "init").
 *
 * Every kind draws from one GSL mt19937 stream seeded with init.seed and only uses
 * gsl_ran_gaussian / gsl_rng_uniform, so the same seed gives the same numbers on every machine.
 */
#ifndef SPX_INIT_H
#define SPX_INIT_H

#include "model.h"

typedef enum {
  SPX_INIT_UNIFORM = 0, /* i.i.d. uniform on the sphere (normalized Gaussians) */
  SPX_INIT_CAP,         /* uniform in the cap <x, center> >= cos(angle) (angle = pi/2: hemisphere) */
  SPX_INIT_CIRCLE,      /* n equispaced points on the circle in the (e_1, e_2) plane + noise */
  SPX_INIT_CLUSTER,     /* all particles at center (a coincident cluster) */
  SPX_INIT_PURE_MODE,   /* x_i = +u_k for i < n_plus, -u_k otherwise (model basis) */
  SPX_INIT_ORTHONORMAL, /* x_i = e_i (requires n = d) */
  SPX_INIT_FILE         /* whitespace table, n rows of d numbers (normalized on reading) */
} spx_init_kind;

typedef struct {
  spx_init_kind kind;
  unsigned long seed;
  double *center;     /* d values (normalized on use); NULL: e_1 */
  double angle;       /* cap half-angle in radians, (0, pi] */
  double noise;       /* Gaussian angle noise (circle) */
  int mode;           /* pure mode k, 1-based */
  int n_plus;         /* particles at +u_k */
  double perturb;     /* amplitude of a Gaussian perturbation added to any kind (then normalized) */
  const char *file;   /* SPX_INIT_FILE */
} spx_init_spec;

/* Names of the kinds, as in the config ("uniform", "cap", "hemisphere" = cap with angle pi/2,
 * "circle", "cluster", "pure_mode", "orthonormal", "file"). Returns -1 for an unknown name. */
int spx_init_kind_from_name(const char *name);
const char *spx_init_kind_name(spx_init_kind k);

/* Fill x (n d values, x frame) for model m. Errors (unreadable file, wrong shape, n != d for
 * orthonormal) are SPX_EINVAL with a message naming the file and line. */
int spx_init_fill(const spx_init_spec *spec, const spx_model *m, double *x);

/* Read an n x d whitespace table (comments with '#'); SPX_EINVAL with file:line on a bad row. */
int spx_init_read_table(const char *path, int n, int d, double *x);

#endif
