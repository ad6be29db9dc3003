/* run.h -- one experiment from a config: model -> solver -> observables -> files and figures.
 *
 * Writes into the output folder (and nowhere else):
 *   config.resolved.cfg   the config with every default and seed filled in
 *   observables.tsv       one row per output time ('#' header naming the columns)
 *   state_initial.tsv, state_final.tsv   n x d states
 *   trajectory.tsv | trajectory.bin + trajectory.txt   states every output.trajectory_every rows
 *   summary.tsv           key<TAB>value lines (README lists the keys)
 *   solver_stats.csv      the back end's own statistics
 *   checkpoint.bin        the last restart point while the run is unfinished (sim/checkpoint.h;
 *                         removed when the run is done): bin/sim run --resume DIR continues it
 *   *.png                 figures (gnuplot scripts in plots/)
 */
#ifndef SPX_RUN_H
#define SPX_RUN_H

#include "checkpoint.h"
#include "config.h"
#include "sim.h"

typedef struct {
  const char *outdir;   /* output folder */
  int force;            /* overwrite another run's results */
  int progress;         /* progress line on stderr */
} spx_run_options;

/* What a run measured (the numbers of summary.tsv). */
typedef struct {
  const char *status;          /* "done", "solver_failure", "nonfinite", "interrupted", "stopped" */
  int code;                    /* SPX_OK or the failure's status */
  double t_reached, wall;      /* time reached; wall seconds of the integration */
  spx_solver_stats stats;      /* back-end counters */
  const char *kernel_path;     /* the kernel's row path (spx_kernel_path_name) */
  spx_classification cls;      /* final classification */
  double f_plus, sign_memory, min_inner, delta_pm, alignment, log_energy, eps, speed,
      norm_drift, mean_resultant, nematic;   /* final observables (eps = 2 beta E / n^2) */
  double energy_min_inc;       /* min relative energy increment between output rows */
  double t99;                  /* first output time with alignment of the final mode >= 0.99 */
  int masses[16];              /* sizes of the largest clusters, descending (min(clusters, 16)) */
  long rows;                   /* output rows computed */
  int settled;                 /* 1: solver.stop_when_settled stopped the run at t_settled */
  double t_settled;            /* (= t_reached then; sim/settle.h) */
} spx_run_result;

/* Called after every output row with the observables (integration frame) and the state x (x
 * frame). Return SPX_OK to go on; any other status stops the run with that status ("stopped"
 * when it is SPX_EINTERRUPT is not requested by a signal). */
typedef int (*spx_run_row_fn)(void *user, long row, const spx_obs_values *v, const double *x,
                              spx_sim *sim);

/* Restart points (sim/checkpoint.h), optional: at row 0 (or the row resumed from), at the first
 * row after every.every_steps solver steps or every.every_time time units since the last one
 * (the solver is re-initialised there from the x-frame state, so that a run resumed from any of
 * them continues bit for bit), and with every.on_signal_now at the row a signal stopped the run.
 * save completes the checkpoint (e.g. output positions) and stores it; a failure stops the run. */
typedef struct {
  spx_ckpt_settings every;
  int (*save)(void *user, spx_ckpt *ck);  /* user = hooks->user */
} spx_run_ckpt;

typedef struct {
  spx_run_row_fn on_row;       /* may be NULL */
  void (*on_end)(void *user, spx_sim *sim); /* before the solver is freed (e.g. its statistics) */
  void *user;
  int progress;                /* progress line on stderr when it is a terminal */
  const spx_run_ckpt *ckpt;    /* restart points; NULL: none (the solver is never restarted) */
} spx_run_hooks;

/* The core of a run, without files: integrate p from x0 (x frame) over the output grid
 * t_k = k * every (and t_final), computing the observables at every row; x0 is left unchanged and
 * xfinal (n d values, may be NULL) receives the last state reached. Integration failures are
 * reported in res->code (with the message printed) and are not returned as the status: the
 * status is SPX_OK unless the run could not be set up. */
int spx_run_integrate(const spx_run_params *p, const double *x0, const spx_run_hooks *hooks,
                      spx_run_result *res, double *xfinal);

/* spx_run_integrate continued from the restart point start (NULL: from x0 at t = 0; with a
 * start, x0 is not used): the rows after start->row are computed, and the counters and the
 * observables' running quantities (energy increments, T99, sign-memory reference) carry on from
 * it, so that the result equals the uninterrupted run's exactly. */
int spx_run_integrate_from(const spx_run_params *p, const double *x0, const spx_ckpt *start,
                           const spx_run_hooks *hooks, spx_run_result *res, double *xfinal);

/* Carry out the run. Returns SPX_OK, SPX_EINVAL (bad input found late, e.g. an init file),
 * SPX_ESOLVER / SPX_ENONFINITE (integration failure: outputs up to the failure and the last good
 * state are written), SPX_EINTERRUPT (SIGINT/SIGTERM: outputs so far written), SPX_EIO. */
int spx_run(const spx_config *cfg, const spx_run_options *opt);

/* Continue the run in dir from its checkpoint.bin with its own config.resolved.cfg (both
 * validated: SPX_EINVAL with a message when they do not belong together or are damaged); the
 * outputs are continued in place. SPX_OK at once when the run is already complete. */
int spx_run_resume(const char *dir, const spx_run_options *opt);

/* Install SIGINT/SIGTERM handlers that ask running loops to stop at the next output time, and
 * ignore SIGXFSZ, so that exceeding a file size limit is a reported write error, not a kill. */
void spx_run_install_signals(void);

/* The signal received (0 if none). */
int spx_run_interrupted(void);

#endif
