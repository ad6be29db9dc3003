/* run.c -- the run driver (run.h): config -> model -> solver -> observables -> outputs -> plots.
 *
 * The state is integrated output interval by output interval (the back ends stop exactly at each
 * output time). Observables are computed in the integration frame: in eigen-coordinates the mode
 * basis is the identity there and every other observable is rotation invariant, so they equal the
 * x-frame values; states written to files are always in the x frame.
 *
 * Restart points and resume [ours] (sim/checkpoint.h): CVODE's history (Nordsieck array, step,
 * order) cannot be saved, so a checkpoint is taken only at an output row where the solver is
 * re-initialised from the x-frame state, in the uninterrupted run as in a resumed one: row 0, and
 * the first row after checkpoint.every_steps solver steps or checkpoint.every_time time units
 * since the last one. A resume recreates the solver from that state at that time, recomputes the
 * row's observables from the stored integration-frame state (which restores the previous energy
 * of energy_rel_inc), and carries the counters, T99 table, minimum energy increment and
 * sign-memory reference over, so that every later row, the final state and summary.tsv equal the
 * uninterrupted run's bit for bit (same build and thread count). The outputs are continued after
 * the byte counts the checkpoint recorded (their FNV-1a 64 hashes are checked); they are fsync'ed
 * before each checkpoint is renamed into place, so a SIGKILL at any moment leaves a checkpoint
 * whose outputs are on disk. On SIGINT/SIGTERM the current output interval is finished, the
 * outputs so far are written, and (checkpoint.on_signal = "now") a restart point is added at that
 * row, from which a resume agrees with the uninterrupted run only to the solver tolerance; with
 * "exact" (default) the last restart point stays, and a resume recomputes the rows after it.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mat.h"
#include "output.h"
#include "settle.h"
#include "sim.h"
#include "status.h"
#include "transport_run.h"

#ifndef SPX_VERSION
#define SPX_VERSION "unknown"
#endif

static volatile sig_atomic_t got_signal = 0;

static void on_signal(int sig) { got_signal = sig; }

void spx_run_install_signals(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  /* A file size limit (ulimit -f) makes write() fail with EFBIG, reported with the file name. */
  signal(SIGXFSZ, SIG_IGN);
}

int spx_run_interrupted(void) { return got_signal; }

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Number of per-mode columns in observables.tsv: the first min(d, 8) modes. */
static int mode_columns(int d) { return d < 8 ? d : 8; }

/* The energy monitor's verdict, as in summary.tsv: E_beta is a Lyapunov function only for the
 * gradient flows (spec sphere_dynamics.md §3); with a mask or asymmetric forms it is not. */
static const char *energy_monitor(const spx_model *m)
{
  return m->gradient_flow             ? "gradient_flow"
         : m->mask != SPX_MASK_NONE ? "not_a_gradient_flow(mask)"
         : m->symmetric             ? "not_a_gradient_flow(heads)"
                                    : "not_a_gradient_flow(asymmetric)";
}

static void write_obs_header(FILE *f, const spx_run_params *p, int nm)
{
  const spx_model *m = p->model;
  fprintf(f, "# observables of run \"%s\": n=%d d=%d beta=%.17g normalization=%s; modes in the "
             "config's order (1-based); spec sphere_dynamics.md §7\n",
          p->name, m->n, m->d, m->beta, m->norm == SPX_NORM_SA ? "sa" : "usa");
  fprintf(f, "# energy monitor: %s: %s\n", energy_monitor(m),
          m->gradient_flow ? "E_beta is a Lyapunov function, log_energy must not decrease"
                           : "no gradient structure, log_energy and energy_rel_inc are "
                             "informative only (no monotonicity is asserted)");
  fprintf(f, "# t\tlog_energy\tenergy_rel_inc\tmode\tf_plus\tsign_memory\tdelta_pm\t"
             "mean_resultant\tnematic\tmin_inner\tclusters\tnorm_drift\tspeed");
  for (int k = 0; k < nm; k++) fprintf(f, "\talign_%d", k + 1);
  for (int k = 0; k < nm; k++) fprintf(f, "\tmagnet_%d", k + 1);
  for (int k = 0; k < nm; k++) fprintf(f, "\tpolar_%d", k + 1);
  fputc('\n', f);
}

static void write_obs_row(FILE *f, const spx_obs_values *v, int nm)
{
  fprintf(f, "%.10g\t%.17g\t%.6e\t%d\t%.6g\t%.6g\t%.6e\t%.10g\t%.10g\t%.12g\t%d\t%.3e\t%.6e",
          v->t, v->log_energy, v->energy_rel_inc, v->kstar + 1, v->f_plus, v->sign_memory,
          v->delta_pm, v->mean_resultant, v->nematic, v->min_inner, v->clusters, v->norm_drift,
          v->speed);
  for (int k = 0; k < nm; k++) fprintf(f, "\t%.10g", v->alignment[k]);
  for (int k = 0; k < nm; k++) fprintf(f, "\t%.10g", v->magnetization[k]);
  for (int k = 0; k < nm; k++) fprintf(f, "\t%.10g", v->polarization[k]);
  fputc('\n', f);
}

/* Trajectory writer: TSV frames (gnuplot `index`) or raw float64 [t, x...] per frame. */
typedef struct {
  spx_out_file of;
  int bin;
  long frames;
} traj_writer;

/* Binary trajectory: asked for, or "auto" with more than 2e6 numbers. */
static int traj_is_bin(const spx_run_params *p, long nrows)
{
  const spx_model *m = p->model;
  long frames = p->traj_every > 0 ? nrows / p->traj_every + 2 : 2;
  return strcmp(p->traj_format, "bin") == 0 ||
         (strcmp(p->traj_format, "auto") == 0 && (double)frames * m->n * m->d > 2e6);
}

static int traj_open(traj_writer *tw, const char *dir, const spx_run_params *p, long nrows)
{
  tw->bin = traj_is_bin(p, nrows);
  tw->frames = 0;
  int st = spx_out_open(&tw->of, dir, tw->bin ? "trajectory.bin" : "trajectory.tsv");
  if (st == SPX_OK && !tw->bin)
    fprintf(tw->of.f, "# trajectory of run \"%s\": frames separated by two blank lines (gnuplot "
                      "index); each frame a '# t = ...' line then n rows x_1..x_d\n",
            p->name);
  return st;
}

static void traj_frame(traj_writer *tw, double t, int n, int d, const double *x)
{
  if (tw->bin) {
    fwrite(&t, sizeof t, 1, tw->of.f);
    fwrite(x, sizeof(double), (size_t)n * d, tw->of.f);
  } else {
    fprintf(tw->of.f, "%s# t = %.17g\n", tw->frames ? "\n\n" : "", t);
    for (long i = 0; i < n; i++) {
      for (int a = 0; a < d; a++) fprintf(tw->of.f, a ? "\t%.10g" : "%.10g", x[i * d + a]);
      fputc('\n', tw->of.f);
    }
  }
  tw->frames++;
}

static int traj_close(traj_writer *tw, const char *dir, int n, int d)
{
  int st = spx_out_commit(&tw->of);
  if (st || !tw->bin) return st;
  spx_out_file side;
  st = spx_out_open(&side, dir, "trajectory.txt");
  if (st) return st;
  fprintf(side.f,
          "trajectory.bin: raw little-endian float64, %ld frames; each frame is t followed by "
          "n*d = %d*%d state values (row-major, particle by particle)\n"
          "frames %ld\nn %d\nd %d\nrecord_doubles %ld\n"
          "gnuplot: plot 'trajectory.bin' binary record=%ld format='%%float64' ...\n"
          "numpy: np.fromfile('trajectory.bin').reshape(%ld, -1)\n",
          tw->frames, n, d, tw->frames, n, d, 1L + (long)n * d, 1L + (long)n * d, tw->frames);
  return spx_out_commit(&side);
}

/* ------------------------------------------------------------------------------------------ */
/* The core: integrate over the output grid with observables at every row                        */

/* Counters of the run: the back end's since the start (or the resume) plus those carried over. */
static void total_stats(const spx_sim *sim, const spx_solver_stats *base, spx_solver_stats *tot)
{
  spx_sim_stats(sim, tot);
  tot->steps += base->steps;
  tot->rhs_evals += base->rhs_evals;
  tot->jv_evals += base->jv_evals;
  tot->lin_iters += base->lin_iters;
  tot->nonlin_iters += base->nonlin_iters;
  tot->nonlin_fails += base->nonlin_fails;
  tot->err_test_fails += base->err_test_fails;
  tot->proj_evals += base->proj_evals;
  if (tot->last_step == 0.0) tot->last_step = base->last_step;
}

int spx_run_integrate(const spx_run_params *p, const double *x0, const spx_run_hooks *hooks,
                      spx_run_result *res, double *xfinal)
{
  return spx_run_integrate_from(p, x0, NULL, hooks, res, xfinal);
}

int spx_run_integrate_from(const spx_run_params *p, const double *x0, const spx_ckpt *start,
                           const spx_run_hooks *hooks, spx_run_result *res, double *xfinal)
{
  const spx_model *m = p->model;
  const int n = m->n, d = m->d;
  int status = SPX_OK;
  double *x = NULL, *f = NULL, *Uid = NULL, *t99 = NULL;
  spx_sim *sim = NULL;
  spx_obs *obs = NULL;
  spx_ckpt *ck = NULL;
  spx_settle *settle = NULL; /* solver.stop_when_settled */
  spx_model view;
  const spx_obs_values *v = NULL;
  const spx_run_ckpt *plan = hooks ? hooks->ckpt : NULL;
  spx_solver_stats base, tot;
  long row0 = 0, ck_row = -1, ck_steps = 0; /* the last restart point: row, total steps, time */
  double ck_t = 0.0, wall_base = 0.0; /* wall seconds before a resume */
  memset(res, 0, sizeof *res);
  memset(&base, 0, sizeof base);
  memset(&tot, 0, sizeof tot);
  res->status = "done";
  res->energy_min_inc = INFINITY;
  if (start && (start->n != n || start->d != d)) {
    spx_error("restart point of n = %d, d = %d for a model of n = %d, d = %d", start->n, start->d,
              n, d);
    return SPX_EINVAL;
  }

  long nrows = (long)ceil(p->t_final / p->every - 1e-9);
  x = malloc(sizeof(double) * n * d);
  f = malloc(sizeof(double) * n * d);
  t99 = malloc(sizeof(double) * d);
  if (!x || !f || !t99) { status = SPX_ENOMEM; goto cleanup; }
  for (int k = 0; k < d; k++) t99[k] = NAN;

  /* Observables see the integration frame: in eigen-coordinates the basis there is I. */
  view = *m;
  if (m->eigen_coords) {
    Uid = malloc(sizeof(double) * d * d);
    if (!Uid) { status = SPX_ENOMEM; goto cleanup; }
    spx_mat_identity(d, Uid);
    view.U = Uid;
  }
  if (plan) {
    SPX_TRY(spx_ckpt_create(n, d, &ck));
    snprintf(ck->solver, sizeof ck->solver, "%s", p->method);
    ck->settings = p->solver;
    ck->init_seed = p->init.seed;
    ck->t_final = p->t_final;
    ck->every = p->every;
  }
  /* A resumed run restarts the solver from the checkpoint's x-frame state, as the uninterrupted
   * run did at that row (or, at row 0, from the same x0). */
  SPX_TRY(spx_sim_create(m, p->method, &p->solver, start ? start->t : 0.0, start ? start->x : x0,
                         &sim));
  if (p->stop_when_settled) SPX_TRY(spx_settle_attach(sim, m, p->stop_tol, &settle));
  SPX_TRY(spx_obs_create(&view, &p->classify, &obs));
  spx_obs_set_reference(obs, start ? start->y0 : spx_sim_state(sim));
  if (ck) memcpy(ck->y0, start ? start->y0 : spx_sim_state(sim), sizeof(double) * n * d);
  if (start) {
    /* The running quantities as they were after the checkpoint's row: recomputing that row's
     * observables from the same integration-frame state sets the previous energy of
     * energy_rel_inc bit for bit. */
    int rs = spx_kernel_rhs(spx_sim_kernel(sim), start->y, f);
    SPX_TRY(spx_obs_compute(obs, spx_sim_kernel(sim), start->t, start->y, rs == SPX_OK ? f : NULL,
                            &v));
    memcpy(t99, start->t99, sizeof(double) * d);
    memcpy(x, start->x, sizeof(double) * n * d);
    res->energy_min_inc = start->energy_min_inc;
    res->rows = start->row + 1;
    base = start->stats;
    row0 = start->row + 1;
    ck_row = start->row;
    ck_steps = start->stats.steps;
    ck_t = start->t;
    wall_base = start->wall;
  }

  double wall0 = now(), last_progress = 0.0;
  int interactive = hooks && hooks->progress && isatty(2);
  for (long row = row0; row <= nrows; row++) {
    double t = row == nrows ? p->t_final : row * p->every;
    int adv = spx_sim_advance(sim, t);
    const int settled_now = adv == SPX_OK && spx_sim_stopped(sim); /* early stop: last row */
    if (adv != SPX_OK) {
      res->code = adv;
      res->status = adv == SPX_ENONFINITE ? "nonfinite" : "solver_failure";
    }
    const double *state = spx_sim_state(sim);
    int rs = spx_kernel_rhs(spx_sim_kernel(sim), state, f);
    SPX_TRY(spx_obs_compute(obs, spx_sim_kernel(sim), spx_sim_time(sim), state,
                            rs == SPX_OK ? f : NULL, &v));
    res->rows = row + 1;
    for (int k = 0; k < d; k++)
      if (isnan(t99[k]) && v->alignment[k] >= 0.99) t99[k] = v->t;
    if (row > 0 && isfinite(v->energy_rel_inc))
      res->energy_min_inc = fmin(res->energy_min_inc, v->energy_rel_inc);
    if (v->norm_drift > p->norm_drift_warn)
      spx_warn_once("norm_drift",
                    "norm drift max||x_i|-1| = %.3g at t = %g exceeds output.norm_drift_warn = %g "
                    "(solver.method = \"%s\", solver.rtol = %g, model.projection = \"%s\"); to "
                    "avoid it use model.projection = \"norm_aware\" or solver.method = \"bdf\" "
                    "(projection), or tighten solver.rtol (warned once)",
                    v->norm_drift, v->t, p->norm_drift_warn, p->method, p->solver.rtol,
                    m->norm_aware ? "norm_aware" : "plain");
    spx_sim_state_x(sim, x);
    if (hooks && hooks->on_row) {
      int hs = hooks->on_row(hooks->user, row, v, x, sim);
      if (hs != SPX_OK && res->code == SPX_OK) {
        res->code = hs;
        res->status = hs == SPX_EINTERRUPT ? "interrupted" : "stopped";
      }
    }
    if (res->code == SPX_OK && got_signal) {
      res->code = SPX_EINTERRUPT;
      res->status = "interrupted";
      spx_warn("signal %d received at t = %g: writing the outputs so far", (int)got_signal, v->t);
    }
    /* Restart points: row 0, the scheduled rows (never the last: the run ends there), and with
     * on_signal = "now" the row a signal stopped the run at. */
    if (ck && (res->code == SPX_OK ||
               (res->code == SPX_EINTERRUPT && plan->every.on_signal_now && row != ck_row))) {
      int due = res->code != SPX_OK || row == 0;
      total_stats(sim, &base, &tot);
      if (!due && row < nrows && !settled_now) /* a settled run ends at this row */
        due = (plan->every.every_steps > 0 && tot.steps - ck_steps >= plan->every.every_steps) ||
              (plan->every.every_time > 0 && t - ck_t >= plan->every.every_time * (1 - 1e-12));
      if (due) {
        snprintf(ck->reason, sizeof ck->reason, "%s",
                 res->code != SPX_OK ? "signal" : row == 0 ? "start" : "scheduled");
        ck->row = row;
        ck->t = spx_sim_time(sim);
        memcpy(ck->x, row == 0 ? x0 : x, sizeof(double) * n * d);
        memcpy(ck->y, state, sizeof(double) * n * d);
        memcpy(ck->t99, t99, sizeof(double) * d);
        ck->energy_min_inc = res->energy_min_inc;
        ck->stats = tot;
        ck->wall = wall_base + now() - wall0;
        int cs = plan->save(hooks->user, ck);
        if (cs == SPX_OK && res->code == SPX_OK && row > 0) {
          /* Restart the solver here, from the state the checkpoint holds. */
          cs = spx_sim_set_state_x(sim, x);
          if (cs != SPX_OK) spx_error("could not restart the solver at the checkpoint t = %g", t);
        }
        if (cs != SPX_OK && res->code == SPX_OK) {
          res->code = cs;
          res->status = "stopped";
        }
        ck_row = row;
        ck_steps = tot.steps;
        ck_t = t;
      }
    }
    if (settled_now && res->code == SPX_OK) {
      res->settled = 1;
      res->t_settled = spx_sim_time(sim);
      break;
    }
    if (res->code != SPX_OK) break;
    if (interactive && (now() - last_progress > 0.5 || row == nrows)) {
      double el = now() - wall0, frac = t / p->t_final;
      fprintf(stderr, "\r  t = %-10.4g / %g  (%3.0f%%)  ETA %6.1f s ", t, p->t_final, 100 * frac,
              frac > 0 ? el * (1 - frac) / frac : 0.0);
      last_progress = now();
    }
  }
  if (interactive) fputc('\n', stderr);
  res->wall = wall_base + now() - wall0; /* a resumed run adds the time up to its checkpoint */
  res->t_reached = spx_sim_time(sim);
  total_stats(sim, &base, &res->stats);
  res->kernel_path = spx_kernel_path_name(spx_kernel_get_path(spx_sim_kernel(sim)));
  res->cls = spx_obs_classify(obs, v);
  res->t99 = t99[res->cls.mode];
  res->f_plus = v->f_plus;
  res->sign_memory = v->sign_memory;
  res->min_inner = v->min_inner;
  res->delta_pm = v->delta_pm;
  res->alignment = v->alignment[res->cls.mode];
  res->log_energy = v->log_energy;
  res->eps = m->beta > 0 ? exp(v->log_energy + log(2.0 * m->beta) - 2.0 * log((double)n)) : NAN;
  res->speed = v->speed;
  res->norm_drift = v->norm_drift;
  res->mean_resultant = v->mean_resultant;
  res->nematic = v->nematic;
  for (int c = 0; c < v->clusters && c < 16; c++) res->masses[c] = v->cluster_mass[c];
  if (!isfinite(res->energy_min_inc)) res->energy_min_inc = NAN;
  if (xfinal) memcpy(xfinal, x, sizeof(double) * n * d);
  if (hooks && hooks->on_end) hooks->on_end(hooks->user, sim);
cleanup:
  spx_ckpt_free(ck);
  spx_obs_free(obs);
  spx_sim_free(sim);
  spx_settle_free(settle);
  free(x);
  free(f);
  free(t99);
  free(Uid);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* The files of a run                                                                            */

static int write_summary(const char *dir, const spx_run_params *p, const spx_run_result *s)
{
  const spx_model *m = p->model;
  spx_out_file of;
  int status = spx_out_open(&of, dir, "summary.tsv");
  if (status) return status;
  FILE *f = of.f;
  double pairs = (double)s->stats.rhs_evals * m->n * (double)m->n * m->nheads;
  fprintf(f, "n\t%d\nd\t%d\nbeta\t%.17g\nnormalization\t%s\nheads\t%d\nmask\t%s\n", m->n, m->d,
          m->beta, m->norm == SPX_NORM_SA ? "sa" : "usa", m->nheads,
          m->mask == SPX_MASK_NONE ? "none" : m->mask == SPX_MASK_CAUSAL ? "causal" : "window");
  fprintf(f, "solver\t%s\nrtol\t%.3g\natol\t%.3g\nt_final\t%.17g\nt_reached\t%.17g\n",
          p->method, p->solver.rtol, p->solver.atol, p->t_final, s->t_reached);
  fprintf(f, "time_unit\t%s\n", m->usa_shift > 0 ? "rescaled_tau" : "physical");
  fprintf(f, "stop_when_settled\t%d\nstop_tol\t%.3g\nsettled\t%d\nt_settled\t%.17g\n",
          p->stop_when_settled, p->stop_tol, s->settled, s->settled ? s->t_settled : NAN);
  fprintf(f, "status\t%s\nsteps\t%ld\nrhs_evals\t%ld\njv_evals\t%ld\nnonlin_fails\t%ld\n"
             "err_test_fails\t%ld\nproj_evals\t%ld\n",
          s->status, s->stats.steps, s->stats.rhs_evals, s->stats.jv_evals, s->stats.nonlin_fails,
          s->stats.err_test_fails, s->stats.proj_evals);
  fprintf(f, "wall_s\t%.6g\npairs_per_s\t%.6g\npeak_rss_kb\t%ld\nkernel_path\t%s\n", s->wall,
          s->wall > 0 ? pairs / s->wall : 0.0, spx_out_peak_rss_kb(),
          s->kernel_path ? s->kernel_path : "none");
  fprintf(f, "norm_drift\t%.6e\ngradient_flow\t%d\nenergy_monitor\t%s\n"
             "energy_min_rel_increment\t%.6e\n",
          s->norm_drift, m->gradient_flow,
          m->gradient_flow ? "gradient_flow"
          : m->mask != SPX_MASK_NONE ? "not_a_gradient_flow(mask)"
          : m->symmetric ? "not_a_gradient_flow(heads)" : "not_a_gradient_flow(asymmetric)",
          s->energy_min_inc);
  fprintf(f, "log_energy\t%.17g\nenergy_eps\t%.17g\n", s->log_energy, s->eps);
  fprintf(f, "class\t%s\nmode\t%d\nmode_eigenvalue\t%.17g\nn_plus\t%d\nn_minus\t%d\nf_plus\t%.17g\n",
          spx_class_name(s->cls.cls), s->cls.mode + 1, m->spectrum[s->cls.mode], s->cls.n_plus,
          s->cls.n_minus, s->f_plus);
  fprintf(f, "clusters\t%d\ncluster_masses\t", s->cls.clusters);
  for (int c = 0; c < s->cls.clusters && c < 16; c++) fprintf(f, c ? ",%d" : "%d", s->masses[c]);
  fprintf(f, "%s\nsign_memory\t%.17g\ndelta_pm\t%.6e\nmin_inner\t%.17g\n",
          s->cls.clusters > 16 ? ",..." : "", s->sign_memory, s->delta_pm, s->min_inner);
  fprintf(f, "alignment\t%.17g\nT99\t%.10g\nspeed\t%.6e\nseed\t%lu\n", s->alignment, s->t99,
          s->speed, p->init.seed);
  return spx_out_commit(&of);
}

static void draw_figures(const char *dir, const spx_run_params *p)
{
  const spx_model *m = p->model;
  char a[1024];
  const char *ext = p->plot_format;
  char mon[96], *o = mon; /* the monitor's name with '_' escaped for gnuplot's enhanced text */
  for (const char *c = energy_monitor(m); *c && o < mon + sizeof mon - 3; c++) {
    if (*c == '_') *o++ = '\\';
    *o++ = *c;
  }
  *o = '\0';
  /* the run name likewise: enhanced-text specials escaped, a quote doubled (single-quoted string) */
  char nm[512], *q = nm;
  for (const char *c = p->name; *c && q < nm + sizeof nm - 3; c++) {
    if (strchr("_^@&~{}", *c)) *q++ = '\\';
    else if (*c == '\'') *q++ = '\'';
    *q++ = *c;
  }
  *q = '\0';
  snprintf(a, sizeof a, "d=%d; n=%d; nm=%d; fmt='%s'; name='%s'; beta=%g; norm='%s'; "
                        "gradient=%d; monitor='%s'",
           m->d, m->n, mode_columns(m->d), ext, nm, m->beta,
           m->norm == SPX_NORM_SA ? "SA" : "USA", m->gradient_flow, mon);
  if (spx_out_gnuplot(dir, "run_sphere.gp", a) == SPX_OK &&
      spx_out_gnuplot(dir, "run_observables.gp", a) == SPX_OK)
    spx_info("figures: %s/sphere.%s, %s/observables.%s", dir, ext, dir, ext);
}

/* Row hook of a run with files: observables.tsv and trajectory frames. */
typedef struct {
  const spx_run_params *p;
  spx_out_file *obsf;
  traj_writer *tw;
  long nrows;
  const char *dir;
  spx_transport_run *tr;   /* transport.tsv snapshots (NULL: transport.every = 0) */
  uint64_t config_hash;            /* FNV-1a 64 of config.resolved.cfg, for the checkpoints */
  uint64_t obs_bytes, obs_hash;    /* observables.tsv synced so far, and its FNV-1a 64 */
  uint64_t traj_bytes, traj_hash;  /* the trajectory file: same */
  long ck_row;                     /* last checkpoint saved: row (-1: none) and time */
  double ck_t;
} file_writer;

static int write_row(void *user, long row, const spx_obs_values *v, const double *x, spx_sim *sim)
{
  file_writer *w = user;
  const spx_model *m = w->p->model;
  write_obs_row(w->obsf->f, v, mode_columns(m->d));
  if (row == 0 || row == w->nrows || (w->p->traj_every > 0 && row % w->p->traj_every == 0))
    traj_frame(w->tw, v->t, m->n, m->d, x);
  /* A failed write (full disk, file size limit) stops the run at once rather than at the end. */
  if (ferror(w->obsf->f) || ferror(w->tw->of.f)) {
    int e = errno;
    spx_error("writing %s failed (%s): stopping the run at t = %g",
              ferror(w->obsf->f) ? w->obsf->tmp : w->tw->of.tmp, strerror(e ? e : EIO), v->t);
    return SPX_EIO;
  }
  if (w->tr) return spx_transport_run_row(w->tr, row, row == w->nrows, v->t, x);
  return SPX_OK;
}

/* Flush and fsync an output being written and extend its running FNV-1a 64 over the new bytes. */
static int sync_output(spx_out_file *of, uint64_t *bytes, uint64_t *hash)
{
  int e = 0;
  off_t end = -1;
  if (fflush(of->f) != 0 || ferror(of->f)) e = errno ? errno : EIO;
  if (!e && fsync(fileno(of->f)) != 0) e = errno;
  if (!e && (end = ftello(of->f)) < 0) e = errno;
  if (!e) { /* the stream is write-only: read the new bytes back through a descriptor of our own */
    int fd = open(of->tmp, O_RDONLY);
    if (fd < 0) e = errno;
    else if (spx_ckpt_hash_fd(fd, *bytes, (uint64_t)end, hash) != SPX_OK) e = EIO;
    if (fd >= 0) close(fd);
  }
  if (e) {
    spx_error("could not write %s (%s)", of->tmp, strerror(e));
    return SPX_EIO;
  }
  *bytes = (uint64_t)end;
  return SPX_OK;
}

/* Checkpoint hook: the outputs up to the row are made durable first, then the checkpoint that
 * records their length and hash replaces the previous one (atomic rename). */
static int save_checkpoint(void *user, spx_ckpt *ck)
{
  file_writer *w = user;
  int status = SPX_OK;
  SPX_TRY(sync_output(w->obsf, &w->obs_bytes, &w->obs_hash));
  SPX_TRY(sync_output(&w->tw->of, &w->traj_bytes, &w->traj_hash));
  ck->config_hash = w->config_hash;
  ck->obs_bytes = w->obs_bytes;
  ck->obs_hash = w->obs_hash;
  ck->traj_bytes = w->traj_bytes;
  ck->traj_hash = w->traj_hash;
  ck->traj_frames = w->tw->frames;
  SPX_TRY(spx_ckpt_save(ck, w->dir));
  w->ck_row = ck->row;
  w->ck_t = ck->t;
cleanup:
  return status;
}

static void write_solver_stats(void *user, spx_sim *sim)
{
  file_writer *w = user;
  spx_out_file ss;
  if (spx_out_open(&ss, w->dir, "solver_stats.csv") == SPX_OK) {
    spx_sim_print_stats(sim, ss.f);
    spx_out_commit(&ss);
  }
}

/* A run with files, fresh (start = NULL) or resumed from the checkpoint start of the run in
 * opt->outdir (config_hash: of its config.resolved.cfg). */
static int run_files(const spx_config *cfg, const spx_run_options *opt, const spx_ckpt *start,
                     uint64_t config_hash)
{
  const spx_run_params *p = spx_config_params(cfg);
  const spx_model *m = p->model;
  const int n = m->n, d = m->d;
  const char *dir = opt->outdir;
  int status = SPX_OK, obs_open = 0, traj_is_open = 0;
  double *x0 = NULL, *x = NULL;
  char *text = NULL;
  spx_out_file obsf;
  traj_writer tw;
  spx_run_result res;
  spx_transport_run *tr = NULL;
  spx_run_ckpt plan;
  file_writer fw;
  memset(&tw, 0, sizeof tw);
  memset(&fw, 0, sizeof fw);
  memset(&plan, 0, sizeof plan);
  long nrows = (long)ceil(p->t_final / p->every - 1e-9);

  SPX_TRY(spx_ckpt_settings_get(cfg, &plan.every));
  x0 = malloc(sizeof(double) * n * d);
  x = malloc(sizeof(double) * n * d);
  if (!x0 || !x) { status = SPX_ENOMEM; goto cleanup; }
  fw.obs_hash = fw.traj_hash = SPX_FNV64_INIT;
  fw.ck_row = -1;
  if (start) {
    SPX_TRY(spx_transport_run_from_config(cfg, &tr));
    if (tr) {
      spx_error("%s: the run has transport.every > 0, whose transport.tsv cannot be continued "
                "from a checkpoint yet; rerun it", dir);
      status = SPX_EINVAL;
      goto cleanup;
    }
    /* The outputs continue after the rows the checkpoint recorded. */
    fw.config_hash = config_hash;
    SPX_TRY(spx_ckpt_reopen_output(dir, "observables.tsv", start->obs_bytes, start->obs_hash,
                                   &obsf));
    obs_open = 1;
    tw.bin = traj_is_bin(p, nrows);
    tw.frames = start->traj_frames;
    SPX_TRY(spx_ckpt_reopen_output(dir, tw.bin ? "trajectory.bin" : "trajectory.tsv",
                                   start->traj_bytes, start->traj_hash, &tw.of));
    traj_is_open = 1;
    fw.obs_bytes = start->obs_bytes;
    fw.obs_hash = start->obs_hash;
    fw.traj_bytes = start->traj_bytes;
    fw.traj_hash = start->traj_hash;
    fw.ck_row = start->row;
    fw.ck_t = start->t;
  } else {
    SPX_TRY(spx_init_fill(&p->init, m, x0));
    /* The solver must accept its settings before the output folder is created. */
    {
      spx_sim *probe = NULL;
      SPX_TRY(spx_sim_create(m, p->method, &p->solver, 0.0, x0, &probe));
      spx_sim_free(probe);
    }
    SPX_TRY(spx_transport_run_from_config(cfg, &tr)); /* its n x n workspace, before any file */
    SPX_TRY(spx_out_prepare_dir(dir, opt->force));
    {
      /* The resolved config, and its hash for the checkpoints (a resume checks it). */
      size_t tlen = 0;
      FILE *ms = open_memstream(&text, &tlen);
      if (!ms) { status = SPX_ENOMEM; goto cleanup; }
      int ws = spx_config_write_resolved(cfg, ms);
      if (fclose(ms) != 0 || ws != SPX_OK) { status = SPX_EIO; goto cleanup; }
      fw.config_hash = spx_fnv1a64(SPX_FNV64_INIT, text, tlen);
      spx_out_file rc;
      SPX_TRY(spx_out_open(&rc, dir, "config.resolved.cfg"));
      size_t wrote = fwrite(text, 1, tlen, rc.f);
      SPX_TRY(spx_out_commit(&rc));
      if (wrote != tlen) { status = SPX_EIO; goto cleanup; }
    }
    SPX_TRY(spx_out_write_state(dir, "state_initial.tsv", "initial state (t = 0)", n, d, x0));
    SPX_TRY(spx_out_open(&obsf, dir, "observables.tsv"));
    obs_open = 1;
    write_obs_header(obsf.f, p, mode_columns(d));
    SPX_TRY(traj_open(&tw, dir, p, nrows));
    traj_is_open = 1;
    if (tr) SPX_TRY(spx_transport_run_open(tr, dir, p->name));
  }

  fw.p = p;
  fw.obsf = &obsf;
  fw.tw = &tw;
  fw.nrows = nrows;
  fw.dir = dir;
  fw.tr = tr;
  plan.save = save_checkpoint;
  spx_run_hooks hooks = {.on_row = write_row, .on_end = write_solver_stats, .user = &fw,
                         .progress = opt->progress, .ckpt = &plan};
  SPX_TRY(spx_run_integrate_from(p, x0, start, &hooks, &res, x));
  status = res.code;
  if (status == SPX_ESOLVER || status == SPX_ENONFINITE)
    spx_error("solver statistics at the failure (t = %.9g): %ld steps, %ld RHS evaluations, %ld "
              "error test failures, %ld nonlinear convergence failures, last step %.3g; all "
              "counters in %s/solver_stats.csv", res.t_reached, res.stats.steps,
              res.stats.rhs_evals, res.stats.err_test_fails, res.stats.nonlin_fails,
              res.stats.last_step, dir);

  /* Outputs: every file is committed even after a failure, so the last good state is kept. */
  {
    int w = spx_out_commit(&obsf);
    obs_open = 0;
    int w2 = traj_close(&tw, dir, n, d);
    traj_is_open = 0;
    int w3 = spx_out_write_state(dir, "state_final.tsv",
                                 status == SPX_OK ? "final state" : "last good state", n, d, x);
    int w4 = write_summary(dir, p, &res);
    int w5 = tr ? spx_transport_run_finish(tr, p->plots, p->plot_format) : SPX_OK;
    if (status == SPX_OK && (w || w2 || w3 || w4 || w5)) status = SPX_EIO;
  }
  if (p->plots && status != SPX_EIO) draw_figures(dir, p);
  spx_info("%s: %s at t = %g, class %s (mode %d, n_plus %d, n_minus %d), %ld steps, %ld RHS, "
           "%.3g s; outputs in %s/",
           p->name, res.status, res.t_reached, spx_class_name(res.cls.cls), res.cls.mode + 1,
           res.cls.n_plus, res.cls.n_minus, res.stats.steps, res.stats.rhs_evals, res.wall, dir);
  if (status == SPX_OK) {
    /* A finished run needs no restart point. */
    char ckpath[4200];
    snprintf(ckpath, sizeof ckpath, "%s/%s", dir, SPX_CKPT_FILE);
    if (unlink(ckpath) != 0 && errno != ENOENT)
      spx_warn("could not remove %s (%s)", ckpath, strerror(errno));
  } else if (status == SPX_EINTERRUPT && fw.ck_row >= 0) {
    spx_warn("continue this run with: bin/sim run --resume %s (from its checkpoint at t = %g, "
             "output row %ld)", dir, fw.ck_t, fw.ck_row);
  }
cleanup:
  if (obs_open) spx_out_abort(&obsf);
  if (traj_is_open) spx_out_abort(&tw.of);
  spx_transport_run_free(tr);
  free(text);
  free(x0);
  free(x);
  return status;
}

int spx_run(const spx_config *cfg, const spx_run_options *opt)
{
  return run_files(cfg, opt, NULL, 0);
}

/* 1 if the summary.tsv at path says "status<TAB>done". */
static int summary_done(const char *path)
{
  FILE *f = fopen(path, "r");
  char line[256];
  int done = 0;
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (strcmp(line, "status\tdone\n") == 0) done = 1;
  fclose(f);
  return done;
}

/* FNV-1a 64 of the whole file at path. */
static int hash_file(const char *path, uint64_t *h)
{
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    spx_error("%s: cannot read it (%s): the run folder is incomplete", path, strerror(errno));
    if (fd >= 0) close(fd);
    return SPX_EINVAL;
  }
  *h = SPX_FNV64_INIT;
  int st2 = spx_ckpt_hash_fd(fd, 0, (uint64_t)st.st_size, h);
  close(fd);
  if (st2) spx_error("%s: read error", path);
  return st2 ? SPX_EIO : SPX_OK;
}

int spx_run_resume(const char *dir, const spx_run_options *opt)
{
  int status = SPX_OK;
  char ckpath[4200], cfgpath[4200], sumpath[4200];
  spx_ckpt *ck = NULL;
  spx_config *cfg = NULL;
  struct stat st;
  uint64_t h = 0;
  snprintf(ckpath, sizeof ckpath, "%s/%s", dir, SPX_CKPT_FILE);
  snprintf(cfgpath, sizeof cfgpath, "%s/config.resolved.cfg", dir);
  snprintf(sumpath, sizeof sumpath, "%s/summary.tsv", dir);
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    spx_error("--resume %s: not a run folder (%s)", dir,
              errno && stat(dir, &st) != 0 ? strerror(errno) : "not a folder");
    return SPX_EINVAL;
  }
  if (stat(ckpath, &st) != 0) {
    if (summary_done(sumpath)) {
      spx_info("%s: the run is complete (summary.tsv: status done); nothing to resume", dir);
      return SPX_OK;
    }
    spx_error("--resume %s: no %s in this folder, so nothing to resume (a run keeps its last "
              "restart point there until it is done)", dir, SPX_CKPT_FILE);
    return SPX_EINVAL;
  }
  SPX_TRY(spx_ckpt_load(ckpath, &ck));
  SPX_TRY(hash_file(cfgpath, &h));
  SPX_TRY(spx_config_load(cfgpath, NULL, 0, &cfg));
  SPX_TRY(spx_ckpt_match(ck, ckpath, h, spx_config_params(cfg)));
  if (strcmp(ck->build, SPX_VERSION) != 0)
    spx_warn("%s was written by build %s, this is build %s: the run continues, but bitwise "
             "equality with an uninterrupted run holds only within one build", ckpath, ck->build,
             SPX_VERSION);
  spx_info("%s: resuming from the checkpoint at t = %g (output row %ld, %s)", dir, ck->t, ck->row,
           ck->reason);
  spx_run_options o = *opt;
  o.outdir = dir;
  o.force = 0;
  status = run_files(cfg, &o, ck, h);
cleanup:
  spx_ckpt_free(ck);
  spx_config_free(cfg);
  return status;
}
