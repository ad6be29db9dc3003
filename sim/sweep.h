/* sweep.h -- parameter sweeps and phase diagrams (`bin/sim sweep CONFIG`, issue 6).
 *
 * A sweep is a config with a `sweep` group: axes over config keys (values / linspace / logspace),
 * their cartesian product (the last axis varies fastest), derived keys computed from the axis
 * values ("model.spectrum=[${a}, 1.0]"), `replicas` runs per point with the seeds
 * seed + point * replicas + r, and the metrics (summary.tsv keys) recorded per run. Each run is
 * one spx_run_integrate (sim/run.h) of the config loaded with the axis values as --set overrides.
 *
 * Runs go in parallel over OpenMP threads and, in MPI builds, over ranks (cyclic over the runs
 * still to do); every finished run is recorded atomically in OUT/runs/, so a killed sweep
 * continues where it stopped, and the final sweep.tsv / phase.tsv do not depend on the number of
 * threads or ranks or on interruptions. Figures (plots/sweep_*.gp) overlay the theory of spec
 * sphere_dynamics.md §4.4 and §6.4 (see sweep_plot.c).
 */
#ifndef SPX_SWEEP_H
#define SPX_SWEEP_H

#include <stddef.h>

#include "config.h"

typedef struct spx_sweep spx_sweep;

/* Options of a sweep execution (command line). */
typedef struct {
  const char *outdir;  /* output folder (NULL: output/NAME) */
  int force;           /* replace another sweep's (or run's) results in the folder */
  int threads;         /* OpenMP threads over runs (<= 0: omp_get_max_threads()) */
  int quiet;           /* no progress and no log lines */
  int plots;           /* draw the figures (and the theory) of sweep.figures */
} spx_sweep_options;

/* Load the config at path with the overrides sets (as spx_config_load) and validate its sweep
 * group: axes, derived keys, replicas, seeds, metrics, figures, and the run config of every point
 * (file:line messages; SPX_EINVAL on bad input). Nothing is written. */
int spx_sweep_load(const char *path, const char *const *sets, int nsets, spx_sweep **out);
void spx_sweep_free(spx_sweep *s);

/* Number of points (product of the axis lengths), replicas per point, axes. */
long spx_sweep_npoints(const spx_sweep *s);
int spx_sweep_replicas(const spx_sweep *s);
int spx_sweep_naxes(const spx_sweep *s);

/* Name of axis a (its column in sweep.tsv). */
const char *spx_sweep_axis_name(const spx_sweep *s, int a);

/* Value of axis a at a point: its numeric value (NaN for a string / array value) and its text. */
double spx_sweep_axis_value(const spx_sweep *s, int a, long point, const char **text);

/* Seed of run (point, replica): seed + point * replicas + replica. */
unsigned long spx_sweep_seed(const spx_sweep *s, long point, int replica);

/* The --set overrides of run (point, replica) after the user's: axis keys, derived keys and
 * init.seed, "key=value" strings owned by the sweep until the next call. */
int spx_sweep_run_sets(spx_sweep *s, long point, int replica, const char *const **sets,
                       int *nsets);

/* The base config (the file with the user's --set overrides). */
const spx_config *spx_sweep_base(const spx_sweep *s);

/* Carry out the sweep: resume or start the runs, write sweep.tsv, phase.tsv,
 * config.resolved.cfg and the figures. Returns SPX_OK, SPX_EINVAL (the folder holds other
 * results), SPX_EINTERRUPT (signal: finished runs kept; rerun to continue), SPX_EIO, ... */
int spx_sweep_execute(spx_sweep *s, const spx_sweep_options *opt);

/* The number format of the sweep tables: the shortest "%.15g".."%.17g" text that reads back as
 * exactly v ("nan", "inf", "-inf" otherwise). */
void spx_sweep_fmt(char *buf, size_t len, double v);

/* `bin/sim sweep` (argv[0] = "sweep"): returns the process exit code. */
int spx_sweep_main(int argc, char **argv);

/* ---- theory used by the figures (spec sphere_dynamics.md §6.4) ----------------------------- */

/* Growth rate of Fourier mode k of the uniform state on the circle (SA), k^2 I_k(beta) /
 * (beta I_0(beta)); NaN for beta <= 0 or k < 1. */
double spx_sweep_sigma_circle(int k, double beta);

/* k* = argmax_k k^2 I_k(beta), the number of metastable clusters on the circle (0 for beta <= 0). */
int spx_sweep_kstar_circle(double beta);

/* Equiangular SA correlation gamma_beta(t) of n particles from gamma(0) = rho0 (spec §6.2), by
 * GSL rk8pd to 1e-12; NaN on failure. */
double spx_sweep_equiangular(int n, double beta, double rho0, double t);

#endif
