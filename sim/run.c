/* run.c -- the run driver (run.h): config -> model -> solver -> observables -> outputs -> plots.
 *
 * The state is integrated output interval by output interval (the back ends stop exactly at each
 * output time). Observables are computed in the integration frame: in eigen-coordinates the mode
 * basis is the identity there and every other observable is rotation invariant, so they equal the
 * x-frame values; states written to files are always in the x frame.
 */
#include "run.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mat.h"
#include "output.h"
#include "sim.h"
#include "status.h"

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

static void write_obs_header(FILE *f, const spx_run_params *p, int nm)
{
  const spx_model *m = p->model;
  fprintf(f, "# observables of run \"%s\": n=%d d=%d beta=%.17g normalization=%s; modes in the "
             "config's order (1-based); spec sphere_dynamics.md §7\n",
          p->name, m->n, m->d, m->beta, m->norm == SPX_NORM_SA ? "sa" : "usa");
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

static int traj_open(traj_writer *tw, const char *dir, const spx_run_params *p, long nrows)
{
  const spx_model *m = p->model;
  long frames = p->traj_every > 0 ? nrows / p->traj_every + 2 : 2;
  tw->bin = strcmp(p->traj_format, "bin") == 0 ||
            (strcmp(p->traj_format, "auto") == 0 && (double)frames * m->n * m->d > 2e6);
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

int spx_run_integrate(const spx_run_params *p, const double *x0, const spx_run_hooks *hooks,
                      spx_run_result *res, double *xfinal)
{
  const spx_model *m = p->model;
  const int n = m->n, d = m->d;
  int status = SPX_OK;
  double *x = NULL, *f = NULL, *Uid = NULL, *t99 = NULL;
  spx_sim *sim = NULL;
  spx_obs *obs = NULL;
  spx_model view;
  const spx_obs_values *v = NULL;
  memset(res, 0, sizeof *res);
  res->status = "done";
  res->energy_min_inc = INFINITY;

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
  SPX_TRY(spx_sim_create(m, p->method, &p->solver, 0.0, x0, &sim));
  SPX_TRY(spx_obs_create(&view, &p->classify, &obs));
  spx_obs_set_reference(obs, spx_sim_state(sim));

  double wall0 = now(), last_progress = 0.0;
  int interactive = hooks && hooks->progress && isatty(2);
  for (long row = 0; row <= nrows; row++) {
    double t = row == nrows ? p->t_final : row * p->every;
    int adv = spx_sim_advance(sim, t);
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
                    "norm drift max||x_i|-1| = %.3g at t = %g exceeds output.norm_drift_warn = %g; "
                    "use model.projection = \"norm_aware\" or solver.method = \"bdf\" (projection), "
                    "or tighten solver.rtol",
                    v->norm_drift, v->t, p->norm_drift_warn);
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
    if (res->code != SPX_OK) break;
    if (interactive && (now() - last_progress > 0.5 || row == nrows)) {
      double el = now() - wall0, frac = t / p->t_final;
      fprintf(stderr, "\r  t = %-10.4g / %g  (%3.0f%%)  ETA %6.1f s ", t, p->t_final, 100 * frac,
              frac > 0 ? el * (1 - frac) / frac : 0.0);
      last_progress = now();
    }
  }
  if (interactive) fputc('\n', stderr);
  res->wall = now() - wall0;
  res->t_reached = spx_sim_time(sim);
  spx_sim_stats(sim, &res->stats);
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
  spx_obs_free(obs);
  spx_sim_free(sim);
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
  fprintf(f, "status\t%s\nsteps\t%ld\nrhs_evals\t%ld\njv_evals\t%ld\nnonlin_fails\t%ld\n"
             "err_test_fails\t%ld\nproj_evals\t%ld\n",
          s->status, s->stats.steps, s->stats.rhs_evals, s->stats.jv_evals, s->stats.nonlin_fails,
          s->stats.err_test_fails, s->stats.proj_evals);
  fprintf(f, "wall_s\t%.6g\npairs_per_s\t%.6g\npeak_rss_kb\t%ld\n", s->wall,
          s->wall > 0 ? pairs / s->wall : 0.0, spx_out_peak_rss_kb());
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
  snprintf(a, sizeof a, "d=%d; n=%d; nm=%d; fmt='%s'; name='%s'; beta=%g; norm='%s'; "
                        "gradient=%d",
           m->d, m->n, mode_columns(m->d), ext, p->name, m->beta,
           m->norm == SPX_NORM_SA ? "SA" : "USA", m->gradient_flow);
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
} file_writer;

static int write_row(void *user, long row, const spx_obs_values *v, const double *x, spx_sim *sim)
{
  file_writer *w = user;
  const spx_model *m = w->p->model;
  write_obs_row(w->obsf->f, v, mode_columns(m->d));
  if (row == 0 || row == w->nrows || (w->p->traj_every > 0 && row % w->p->traj_every == 0))
    traj_frame(w->tw, v->t, m->n, m->d, x);
  return SPX_OK;
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

int spx_run(const spx_config *cfg, const spx_run_options *opt)
{
  const spx_run_params *p = spx_config_params(cfg);
  const spx_model *m = p->model;
  const int n = m->n, d = m->d;
  const char *dir = opt->outdir;
  int status = SPX_OK, obs_open = 0, traj_is_open = 0;
  double *x0 = NULL, *x = NULL;
  spx_out_file obsf;
  traj_writer tw;
  spx_run_result res;
  memset(&tw, 0, sizeof tw);
  long nrows = (long)ceil(p->t_final / p->every - 1e-9);

  x0 = malloc(sizeof(double) * n * d);
  x = malloc(sizeof(double) * n * d);
  if (!x0 || !x) { status = SPX_ENOMEM; goto cleanup; }
  SPX_TRY(spx_init_fill(&p->init, m, x0));
  /* The solver must accept its settings before the output folder is created. */
  {
    spx_sim *probe = NULL;
    SPX_TRY(spx_sim_create(m, p->method, &p->solver, 0.0, x0, &probe));
    spx_sim_free(probe);
  }
  SPX_TRY(spx_out_prepare_dir(dir, opt->force));
  {
    spx_out_file rc;
    SPX_TRY(spx_out_open(&rc, dir, "config.resolved.cfg"));
    if (spx_config_write_resolved(cfg, rc.f) != SPX_OK) {
      spx_out_abort(&rc);
      status = SPX_EIO;
      goto cleanup;
    }
    SPX_TRY(spx_out_commit(&rc));
  }
  SPX_TRY(spx_out_write_state(dir, "state_initial.tsv", "initial state (t = 0)", n, d, x0));
  SPX_TRY(spx_out_open(&obsf, dir, "observables.tsv"));
  obs_open = 1;
  write_obs_header(obsf.f, p, mode_columns(d));
  SPX_TRY(traj_open(&tw, dir, p, nrows));
  traj_is_open = 1;

  file_writer fw = {.p = p, .obsf = &obsf, .tw = &tw, .nrows = nrows, .dir = dir};
  spx_run_hooks hooks = {.on_row = write_row, .on_end = write_solver_stats, .user = &fw,
                         .progress = opt->progress};
  SPX_TRY(spx_run_integrate(p, x0, &hooks, &res, x));
  status = res.code;

  /* Outputs: every file is committed even after a failure, so the last good state is kept. */
  {
    int w = spx_out_commit(&obsf);
    obs_open = 0;
    int w2 = traj_close(&tw, dir, n, d);
    traj_is_open = 0;
    int w3 = spx_out_write_state(dir, "state_final.tsv",
                                 status == SPX_OK ? "final state" : "last good state", n, d, x);
    int w4 = write_summary(dir, p, &res);
    if (status == SPX_OK && (w || w2 || w3 || w4)) status = SPX_EIO;
  }
  if (p->plots && status != SPX_EIO) draw_figures(dir, p);
  spx_info("%s: %s at t = %g, class %s (mode %d, n_plus %d, n_minus %d), %ld steps, %ld RHS, "
           "%.3g s; outputs in %s/",
           p->name, res.status, res.t_reached, spx_class_name(res.cls.cls), res.cls.mode + 1,
           res.cls.n_plus, res.cls.n_minus, res.stats.steps, res.stats.rhs_evals, res.wall, dir);
cleanup:
  if (obs_open) spx_out_abort(&obsf);
  if (traj_is_open) spx_out_abort(&tw.of);
  free(x0);
  free(x);
  return status;
}
