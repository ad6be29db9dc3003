/* run.h -- one experiment from a config: model -> solver -> observables -> files and figures.
 *
 * Writes into the output folder (and nowhere else):
 *   config.resolved.cfg   the config with every default and seed filled in
 *   observables.tsv       one row per output time ('#' header naming the columns)
 *   state_initial.tsv, state_final.tsv   n x d states
 *   trajectory.tsv | trajectory.bin + trajectory.txt   states every output.trajectory_every rows
 *   summary.tsv           key<TAB>value lines (README lists the keys)
 *   solver_stats.csv      the back end's own statistics
 *   *.png                 figures (gnuplot scripts in plots/)
 */
#ifndef SPX_RUN_H
#define SPX_RUN_H

#include "config.h"

typedef struct {
  const char *outdir;   /* output folder */
  int force;            /* overwrite another run's results */
  int progress;         /* progress line on stderr */
} spx_run_options;

/* Carry out the run. Returns SPX_OK, SPX_EINVAL (bad input found late, e.g. an init file),
 * SPX_ESOLVER / SPX_ENONFINITE (integration failure: outputs up to the failure and the last good
 * state are written), SPX_EINTERRUPT (SIGINT/SIGTERM: outputs so far written), SPX_EIO. */
int spx_run(const spx_config *cfg, const spx_run_options *opt);

/* Install SIGINT/SIGTERM handlers that ask running loops to stop at the next output time. */
void spx_run_install_signals(void);

/* The signal received (0 if none). */
int spx_run_interrupted(void);

#endif
