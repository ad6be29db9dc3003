/* analyze.h -- `bin/sim analyze gap|inertial|geodesic CONFIG [--out DIR] [--force] [--set ...]`:
 * the analysis stage of the spectral-gap paper (spec spectral_gap.md) and its sphere versions.
 *
 * The command (analyze.c) loads the analysis config (acfg.h) and every input it names (key tables,
 * the flow's run config, equilibrium states) BEFORE it writes anything, so bad input exits with
 * status 2 and an untouched output folder; then one of the three analyses writes its TSV tables,
 * summary.tsv, config.resolved.cfg and figures into the folder:
 *   gap       analyze_gap.c       count vs theta, Riesz trace, perturbations, energy window,
 *                                 spreads (the four-panel verification), count-law windows,
 *                                 symmetric control, Hessian of the interacting flow at equilibria;
 *   inertial  analyze_inertial.c  spreads and rates, damping sweep, inertial interacting flow near
 *                                 equilibria (growing modes = dim E_- = Morse index);
 *   geodesic  analyze_geodesic.c  K_JM closed form vs finite differences, geodesic bundle vs the
 *                                 Jacobi equation (flat geometry B, or S^2).
 */
#ifndef SPX_ANALYZE_H
#define SPX_ANALYZE_H

#include <stdio.h>

#include "acfg.h"
#include "output.h"
#include "config.h"
#include "freeenergy.h"
#include "gap.h"

/* The command's entry point (main.c's command table); returns the exit status. */
int spx_analyze_main(int argc, char **argv);

/* ---- shared by the analyze_*.c files ------------------------------------------------------ */

/* One equilibrium of the interacting flow named in flow.equilibria. */
typedef struct {
  char label[128];
  double *x;        /* n d state (rows normalized) */
  double *T;        /* n (d-1) x d tangent basis (pure modes: the columns u_l of U) */
} spx_an_state;

/* Everything the analysis reads, loaded before the output folder is touched. */
typedef struct {
  const spx_acfg *cfg;
  int cmd;                 /* SPX_AN_* */
  const char *out;         /* output folder */
  int plots;               /* draw figures */
  const char *fmt;         /* png | pdf | svg */
  /* keys group */
  spx_fe *fe;              /* fixed keys (NULL without the group) */
  double *point;           /* x* (d) */
  int sphere;              /* keys.sphere */
  /* flow group */
  spx_config *flow_cfg;    /* the run config of the flow (NULL without the group) */
  int nstates;
  spx_an_state *states;
  /* symmetric group */
  double *sym_keys, *sym_centres;
  /* summary.tsv lines */
  char *summary;
  size_t summary_len, summary_cap;
} spx_an;

/* Append "key<TAB>value" to summary.tsv. */
void spx_an_sum(spx_an *a, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Open DIR/name for atomic writing with a '#' comment line and the column header. */
int spx_an_open(spx_an *a, const char *name, const char *comment, const char *columns,
                spx_out_file *of);

/* Run plots/script in the output folder with the common variables (name, fmt) and extra ones
 * ("x=1; y='a'"); a missing gnuplot is a warning, not an error. */
void spx_an_plot(spx_an *a, const char *script, const char *extra);

/* The Hessian H = Hess F at keys.point (R^d: d x d; sphere: the (d-1) x (d-1) tangent Hessian with
 * its basis B (d x (d-1)), B NULL in R^d). *dim receives the size. Allocates H (and B). */
int spx_an_key_hessian(spx_an *a, double **H, double **B, int *dim);

/* The spectrum of the key Hessian and its gap (gap finder with the count group's settings);
 * writes spectrum.tsv and the gap's summary keys. */
typedef struct {
  int dim;                 /* d (R^d) or d - 1 (tangent space of the sphere) */
  double *H, *B, *ev, *V;  /* Hessian, sphere basis (NULL in R^d), ascending spectrum, vectors */
  spx_gap g;               /* the gap */
  spx_gap_ws *ws;          /* eigen workspace of size dim */
} spx_an_keyspec;

int spx_an_keyspec_build(spx_an *a, spx_an_keyspec *k);
void spx_an_keyspec_free(spx_an_keyspec *k);

/* The inertial cloud of independent queries about keys.point (spreads group): spreads.tsv,
 * rates.tsv and the summary keys (analyze_inertial.c). */
int spx_an_spreads(spx_an *a, const spx_an_keyspec *k);

/* The three analyses. */
int spx_an_gap(spx_an *a);
int spx_an_inertial(spx_an *a);
int spx_an_geodesic(spx_an *a);

/* The flow part shared by gap and inertial (analyze_flow.c): Hessian table and, with inertial,
 * the inertial experiment at every equilibrium. */
int spx_an_flow(spx_an *a, int inertial);

#endif
