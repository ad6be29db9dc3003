/* sweep_exec.c -- carrying out a sweep (sweep.h): the output folder and resumption, the runs in
 * parallel (OpenMP threads; MPI ranks in `make MPI=1` builds), one atomic record per finished
 * run, and the tables sweep.tsv and phase.tsv.
 *
 * Folder OUT (output/NAME by default):
 *   config.resolved.cfg   the sweep's config with every default filled in; a rerun whose resolved
 *                         config is the same, apart from comments and the keys that only change
 *                         figures (output.plots, plot_format, trajectory_*, norm_drift_warn,
 *                         sweep.figures), resumes; another one is refused unless --force
 *   runs/IDX.tsv          the sweep.tsv row of run IDX = point * replicas + replica, written with
 *                         tmp + fsync + rename (sim/output.h) as soon as the run ends; a run
 *                         stopped by a signal or a kill leaves no record and is redone
 *   states/pP.tsv         final state of replica 0 at point P (only the snapshot figures' points)
 *   sweep.tsv, phase.tsv  assembled from the records in index order once every run is recorded,
 *                         so they do not depend on threads, ranks or interruptions
 *
 * Reproducibility: every run is independent (its own config, solver and kernel; the kernel's
 * sums have a fixed order), so the records are the same whatever the thread or rank count, on
 * the same platform and build. Under MPI, rank 0 prepares the folder and lists the runs still to
 * do; rank r takes every size-th of them (cyclic: neighbouring runs cost alike, so the load
 * balances although run times vary widely with beta), writes its own records (the folder must
 * be on a file system every rank sees), and rank 0 writes the tables and figures.
 *
 * phase.tsv per point: frac_C, the fraction of runs of class C, with the binomial standard error
 * se_C = sqrt(frac_C (1 - frac_C) / runs); mean_M and sd_M (sample standard deviation) of every
 * numeric metric over the runs where it is finite; the theory of spec sphere_dynamics.md §4.4 at
 * the point's spectrum and beta (theory_split: some balanced split is stable, item 2;
 * theory_homogeneous: some homogeneous cluster is stable, item 1; beta_s, item 2; beta_bistability,
 * item 4) and k* of §6.4 (argmax_k k^2 I_k(beta), the circle).
 */
#include "sweep_impl.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <omp.h>

#ifdef SPX_HAVE_MPI
#include <mpi.h>
#endif

#include "output.h"
#include "run.h"
#include "stability.h"
#include "status.h"

#define NFIXED 3

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void path_join(char *buf, size_t len, const char *dir, const char *name)
{
  snprintf(buf, len, "%s/%s", dir, name);
}

static int exists(const char *dir, const char *name)
{
  char p[4200];
  struct stat st;
  path_join(p, sizeof p, dir, name);
  return stat(p, &st) == 0;
}

static int make_dir(const char *dir, const char *name)
{
  char p[4200];
  path_join(p, sizeof p, dir, name);
  if (mkdir(p, 0777) != 0 && errno != EEXIST) {
    spx_error("cannot create %s (%s)", p, strerror(errno));
    return SPX_EIO;
  }
  return SPX_OK;
}

/* Remove the files of sub-folder name (the sweep's own folders only), or only the stale
 * temporaries ".*.tmp" when tmp_only. */
static void clear_dir(const char *dir, const char *name, int tmp_only)
{
  char p[4200], f[8400];
  path_join(p, sizeof p, dir, name);
  DIR *dd = opendir(p);
  if (!dd) return;
  struct dirent *de;
  while ((de = readdir(dd))) {
    size_t l = strlen(de->d_name);
    int tmp = de->d_name[0] == '.' && l > 5 && strcmp(de->d_name + l - 4, ".tmp") == 0;
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    if (tmp_only && !tmp) continue;
    snprintf(f, sizeof f, "%s/%s", p, de->d_name);
    unlink(f);
  }
  closedir(dd);
}

/* The resolved config as text (malloc'ed). */
static int resolved_text(const spx_sweep *s, char **text)
{
  size_t len = 0;
  FILE *f = open_memstream(text, &len);
  if (!f) return SPX_ENOMEM;
  int st = spx_config_write_resolved(s->base, f);
  if (fclose(f) != 0 && st == SPX_OK) st = SPX_ENOMEM;
  return st;
}

/* The keys that change the figures only, not the runs: a sweep whose resolved config differs
 * from the recorded one in these alone resumes (and draws the new figures). */
static const char *const figure_keys[] = {"output.plots", "output.plot_format",
                                          "output.trajectory_every", "output.trajectory_format",
                                          "output.norm_drift_warn", "sweep.figures"};

/* Text of a scalar setting for messages ("(a list)" etc. otherwise). */
static void setting_text(const config_setting_t *e, char *buf, size_t len)
{
  if (!e) { snprintf(buf, len, "(absent)"); return; }
  switch (config_setting_type(e)) {
  case CONFIG_TYPE_INT:
  case CONFIG_TYPE_INT64: snprintf(buf, len, "%lld", (long long)config_setting_get_int64(e)); break;
  case CONFIG_TYPE_FLOAT: spx_sweep_fmt(buf, len, config_setting_get_float(e)); break;
  case CONFIG_TYPE_BOOL: snprintf(buf, len, "%s", config_setting_get_bool(e) ? "true" : "false"); break;
  case CONFIG_TYPE_STRING: snprintf(buf, len, "\"%s\"", config_setting_get_string(e)); break;
  case CONFIG_TYPE_GROUP: snprintf(buf, len, "(a group)"); break;
  default: snprintf(buf, len, "(a list of %d)", config_setting_length(e)); break;
  }
}

/* 1 if settings a and b differ (group members in any order), with the first differing path
 * (under prefix) in path and both values in va / vb. */
static int setting_diff(const config_setting_t *a, const config_setting_t *b, const char *prefix,
                        char *path, size_t plen, char *va, char *vb, size_t vlen)
{
  int ta = a ? config_setting_type(a) : -1, tb = b ? config_setting_type(b) : -1, differ = 0;
  if (ta == CONFIG_TYPE_INT64) ta = CONFIG_TYPE_INT;
  if (tb == CONFIG_TYPE_INT64) tb = CONFIG_TYPE_INT;
  if (ta != tb) {
    differ = 1;
  } else if (ta == CONFIG_TYPE_GROUP) {
    for (int pass = 0; pass < 2; pass++) {
      const config_setting_t *x = pass ? b : a, *y = pass ? a : b;
      for (int i = 0; i < config_setting_length(x); i++) {
        const config_setting_t *e = config_setting_get_elem(x, i);
        const config_setting_t *f = config_setting_get_member(y, config_setting_name(e));
        char sub[512];
        snprintf(sub, sizeof sub, "%s%s%s", prefix, *prefix ? "." : "", config_setting_name(e));
        if (setting_diff(pass ? f : e, pass ? e : f, sub, path, plen, va, vb, vlen)) return 1;
      }
    }
    return 0;
  } else if (ta == CONFIG_TYPE_LIST || ta == CONFIG_TYPE_ARRAY) {
    if (config_setting_length(a) != config_setting_length(b)) differ = 1;
    for (int i = 0; !differ && i < config_setting_length(a); i++) {
      char sub[512];
      snprintf(sub, sizeof sub, "%s[%d]", prefix, i);
      if (setting_diff(config_setting_get_elem(a, i), config_setting_get_elem(b, i), sub, path,
                       plen, va, vb, vlen))
        return 1;
    }
  } else if (ta == CONFIG_TYPE_INT) {
    differ = config_setting_get_int64(a) != config_setting_get_int64(b);
  } else if (ta == CONFIG_TYPE_FLOAT) {
    double x = config_setting_get_float(a), y = config_setting_get_float(b);
    differ = !(x == y || (isnan(x) && isnan(y)));
  } else if (ta == CONFIG_TYPE_BOOL) {
    differ = config_setting_get_bool(a) != config_setting_get_bool(b);
  } else if (ta == CONFIG_TYPE_STRING) {
    differ = strcmp(config_setting_get_string(a), config_setting_get_string(b)) != 0;
  }
  if (differ) {
    snprintf(path, plen, "%s", *prefix ? prefix : "(top level)");
    setting_text(a, va, vlen);
    setting_text(b, vb, vlen);
  }
  return differ;
}

/* Compare two resolved configs apart from comments and the figure-only keys: 0 same, 1 differ
 * (path and values filled), -1 one of them does not parse. */
static int compare_resolved(const char *a, const char *b, char *path, size_t plen, char *va,
                            char *vb, size_t vlen)
{
  config_t c[2];
  const char *text[2] = {a, b};
  int ok = 1, r = -1;
  for (int k = 0; k < 2; k++) {
    config_init(&c[k]);
    if (!config_read_string(&c[k], text[k])) { ok = 0; continue; }
    for (size_t i = 0; i < sizeof figure_keys / sizeof *figure_keys; i++) {
      config_setting_t *e = config_lookup(&c[k], figure_keys[i]);
      if (e) config_setting_remove(config_setting_parent(e), config_setting_name(e));
    }
  }
  if (ok)
    r = setting_diff(config_root_setting(&c[0]), config_root_setting(&c[1]), "", path, plen, va,
                     vb, vlen);
  config_destroy(&c[0]);
  config_destroy(&c[1]);
  return r;
}

static char *slurp(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, len = 0, got;
  char *buf = malloc(cap);
  while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (len + 1 >= cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) { free(buf); buf = NULL; }
      else buf = nb;
    }
  }
  fclose(f);
  if (buf) buf[len] = '\0';
  return buf;
}

/* Prepare the folder: a new sweep, the same sweep (resume), or another one (refused without
 * force). Writes config.resolved.cfg for a new sweep. */
static int prepare_folder(const spx_sweep *s, const char *dir, int force, int quiet, int *resumed)
{
  int status = SPX_OK;
  char *mine = NULL, *theirs = NULL, p[4200];
  *resumed = 0;
  SPX_TRY(resolved_text(s, &mine));
  path_join(p, sizeof p, dir, "config.resolved.cfg");
  int is_sweep = exists(dir, "config.resolved.cfg") && (exists(dir, "runs") || exists(dir, "sweep.tsv"));
  if (is_sweep && (theirs = slurp(p)) != NULL) {
    char key[512] = "", va[160] = "", vb[160] = "";
    int d = compare_resolved(theirs, mine, key, sizeof key, va, vb, sizeof va);
    if (d == 0) {
      *resumed = 1;
    } else if (!force) {
      if (d > 0)
        spx_error("output folder %s holds another sweep's results: its config differs from this "
                  "sweep's at %s (%s there, %s here); use --force to replace them or --out DIR "
                  "to write elsewhere", dir, key, va, vb);
      else
        spx_error("output folder %s holds another sweep's results (its config.resolved.cfg does "
                  "not parse); use --force to replace them or --out DIR to write elsewhere", dir);
      status = SPX_EINVAL;
      goto cleanup;
    } else if (!quiet) {
      spx_warn("--force: replacing the results of another sweep in %s", dir);
    }
  } else {
    SPX_TRY(spx_out_prepare_dir(dir, force));
  }
  if (*resumed && strcmp(mine, theirs) != 0) {
    /* same runs, other figures (or another path / --set spelling): record the current config */
    spx_out_file rc;
    SPX_TRY(spx_out_open(&rc, dir, "config.resolved.cfg"));
    fputs(mine, rc.f);
    SPX_TRY(spx_out_commit(&rc));
  }
  if (!*resumed) {
    clear_dir(dir, "runs", 0);
    clear_dir(dir, "states", 0);
    clear_dir(dir, "figdata", 0);
    static const char *const old[] = {"sweep.tsv", "phase.tsv"};
    for (int i = 0; i < 2; i++) {
      path_join(p, sizeof p, dir, old[i]);
      unlink(p);
    }
    spx_out_file rc;
    SPX_TRY(spx_out_open(&rc, dir, "config.resolved.cfg"));
    fputs(mine, rc.f);
    SPX_TRY(spx_out_commit(&rc));
  }
  SPX_TRY(make_dir(dir, "runs"));
  SPX_TRY(make_dir(dir, "states"));
  clear_dir(dir, "runs", 1);
  clear_dir(dir, "states", 1);
cleanup:
  free(mine);
  free(theirs);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Records                                                                                       */

static void record_name(char *buf, size_t len, long idx) { snprintf(buf, len, "%ld.tsv", idx); }

/* Split line at tabs in place; returns the number of fields (<= cap). */
static int split_tabs(char *line, char **f, int cap)
{
  int n = 0;
  for (char *p = line; n < cap;) {
    f[n++] = p;
    char *t = strchr(p, '\t');
    if (!t) break;
    *t = '\0';
    p = t + 1;
  }
  return n;
}

static int ncolumns(const spx_sweep *s) { return 3 + s->naxes + NFIXED + s->nmetrics; }

/* Parse the record line of run idx into r (line is kept). Returns 0 if it is a valid record. */
static int parse_row(const spx_sweep *s, const char *line, long idx, spx_run_row *r)
{
  int nc = ncolumns(s), ok = 1;
  char *copy = strdup(line);
  char **f = malloc(sizeof(char *) * (nc + 1));
  memset(r, 0, sizeof *r);
  r->val = calloc((size_t)(s->nmetrics + 1), sizeof(double));
  if (!copy || !f || !r->val) { ok = 0; goto done; }
  if (split_tabs(copy, f, nc + 1) != nc) { ok = 0; goto done; }
  long point = idx / s->replicas;
  int rep = (int)(idx % s->replicas);
  char want[64];
  snprintf(want, sizeof want, "%lu", spx_sweep_seed(s, point, rep));
  if (strtol(f[0], NULL, 10) != point || strtol(f[1], NULL, 10) != rep || strcmp(f[2], want) != 0) {
    ok = 0;
    goto done;
  }
  int c0 = 3 + s->naxes;
  r->done = strcmp(f[c0], "done") == 0;
  r->cls = -1;
  for (int c = 0; c < 4; c++)
    if (strcmp(f[c0 + 1], spx_sweep_class_names[c]) == 0) r->cls = c;
  r->consensus = strcmp(f[c0 + 2], "1") == 0;
  for (int j = 0; j < s->nmetrics; j++)
    r->val[j] = spx_sweep_metric_table[s->metrics[j]].type == SPX_MT_STR
                    ? NAN : strtod(f[c0 + NFIXED + j], NULL);
  r->line = strdup(line);
  if (!r->line) ok = 0;
done:
  free(copy);
  free(f);
  if (!ok) {
    free(r->val);
    free(r->line);
    memset(r, 0, sizeof *r);
  }
  return ok ? 0 : -1;
}

static void free_row(spx_run_row *r)
{
  free(r->line);
  free(r->val);
}

/* Read the record of run idx: 1 valid (into r if not NULL), 0 absent, -1 present but invalid. */
static int read_record(const spx_sweep *s, const char *dir, long idx, spx_run_row *r)
{
  char name[64], p[4300];
  record_name(name, sizeof name, idx);
  snprintf(p, sizeof p, "%s/runs/%s", dir, name);
  char *text = slurp(p);
  if (!text) return 0;
  char *nl = strchr(text, '\n');
  if (nl) *nl = '\0';
  spx_run_row tmp;
  int ok = parse_row(s, text, idx, &tmp) == 0;
  free(text);
  if (!ok) return -1;
  if (r) *r = tmp;
  else free_row(&tmp);
  return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* One run                                                                                       */

typedef struct {
  double threshold;
  double t_cluster;
} cluster_hook;

/* t_cluster: the first output time with min_{i!=j} <x_i, x_j> > classify.cluster_threshold. */
static int on_row(void *user, long row, const spx_obs_values *v, const double *x, spx_sim *sim)
{
  cluster_hook *h = user;
  if (isnan(h->t_cluster) && v->min_inner > h->threshold) h->t_cluster = v->t;
  return SPX_OK;
}

static void put_dbl(FILE *f, double v)
{
  char b[64];
  spx_sweep_fmt(b, sizeof b, v);
  fprintf(f, "\t%s", b);
}

/* Write metric `name` of a finished run (the same quantities as summary.tsv, run.c). */
static void put_metric(FILE *f, const char *name, const spx_run_params *p, const spx_run_result *r,
                       double t_cluster)
{
  const spx_model *m = p->model;
  const spx_solver_stats *st = &r->stats;
#define IS(k) (strcmp(name, k) == 0)
  if (IS("n")) fprintf(f, "\t%d", m->n);
  else if (IS("d")) fprintf(f, "\t%d", m->d);
  else if (IS("beta")) put_dbl(f, m->beta);
  else if (IS("normalization")) fprintf(f, "\t%s", m->norm == SPX_NORM_SA ? "sa" : "usa");
  else if (IS("heads")) fprintf(f, "\t%d", m->nheads);
  else if (IS("mask"))
    fprintf(f, "\t%s", m->mask == SPX_MASK_NONE ? "none" : m->mask == SPX_MASK_CAUSAL ? "causal" : "window");
  else if (IS("solver")) fprintf(f, "\t%s", p->method);
  else if (IS("rtol")) put_dbl(f, p->solver.rtol);
  else if (IS("atol")) put_dbl(f, p->solver.atol);
  else if (IS("t_final")) put_dbl(f, p->t_final);
  else if (IS("t_reached")) put_dbl(f, r->t_reached);
  else if (IS("time_unit")) fprintf(f, "\t%s", m->usa_shift > 0 ? "rescaled_tau" : "physical");
  else if (IS("stop_when_settled")) fprintf(f, "\t%d", p->stop_when_settled);
  else if (IS("stop_tol")) put_dbl(f, p->stop_tol);
  else if (IS("settled")) fprintf(f, "\t%d", r->settled);
  else if (IS("t_settled")) put_dbl(f, r->settled ? r->t_settled : NAN);
  else if (IS("cluster_masses")) {
    fputc('\t', f);
    for (int c = 0; c < r->cls.clusters && c < 16; c++) fprintf(f, c ? ",%d" : "%d", r->masses[c]);
    if (r->cls.clusters > 16) fputs(",...", f);
  } else if (IS("steps")) fprintf(f, "\t%ld", st->steps);
  else if (IS("rhs_evals")) fprintf(f, "\t%ld", st->rhs_evals);
  else if (IS("jv_evals")) fprintf(f, "\t%ld", st->jv_evals);
  else if (IS("nonlin_fails")) fprintf(f, "\t%ld", st->nonlin_fails);
  else if (IS("err_test_fails")) fprintf(f, "\t%ld", st->err_test_fails);
  else if (IS("proj_evals")) fprintf(f, "\t%ld", st->proj_evals);
  else if (IS("wall_s")) put_dbl(f, r->wall);
  else if (IS("pairs_per_s"))
    put_dbl(f, r->wall > 0 ? (double)st->rhs_evals * m->n * (double)m->n * m->nheads / r->wall : 0.0);
  else if (IS("norm_drift")) put_dbl(f, r->norm_drift);
  else if (IS("gradient_flow")) fprintf(f, "\t%d", m->gradient_flow);
  else if (IS("energy_monitor"))
    fprintf(f, "\t%s", m->gradient_flow ? "gradient_flow"
                       : m->mask != SPX_MASK_NONE ? "not_a_gradient_flow(mask)"
                       : m->symmetric ? "not_a_gradient_flow(heads)"
                                      : "not_a_gradient_flow(asymmetric)");
  else if (IS("energy_min_rel_increment")) put_dbl(f, r->energy_min_inc);
  else if (IS("log_energy")) put_dbl(f, r->log_energy);
  else if (IS("energy_eps")) put_dbl(f, r->eps);
  else if (IS("mode")) fprintf(f, "\t%d", r->cls.mode + 1);
  else if (IS("mode_eigenvalue")) put_dbl(f, m->spectrum[r->cls.mode]);
  else if (IS("n_plus")) fprintf(f, "\t%d", r->cls.n_plus);
  else if (IS("n_minus")) fprintf(f, "\t%d", r->cls.n_minus);
  else if (IS("f_plus")) put_dbl(f, r->f_plus);
  else if (IS("clusters")) fprintf(f, "\t%d", r->cls.clusters);
  else if (IS("sign_memory")) put_dbl(f, r->sign_memory);
  else if (IS("delta_pm")) put_dbl(f, r->delta_pm);
  else if (IS("min_inner")) put_dbl(f, r->min_inner);
  else if (IS("alignment")) put_dbl(f, r->alignment);
  else if (IS("T99")) put_dbl(f, r->t99);
  else if (IS("speed")) put_dbl(f, r->speed);
  else if (IS("t_cluster")) put_dbl(f, t_cluster);
  else if (IS("mean_resultant")) put_dbl(f, r->mean_resultant);
  else if (IS("nematic")) put_dbl(f, r->nematic);
  else fprintf(f, "\tnan");
#undef IS
}

/* Carry out run idx and record it. *cls receives its class (for the log). */
static int run_one(const spx_sweep *s, const char *dir, long idx, int *cls, double *wall)
{
  int status = SPX_OK;
  long point = idx / s->replicas;
  int rep = (int)(idx % s->replicas);
  char **sets = NULL, *line = NULL;
  int nsets = 0;
  size_t linelen = 0;
  spx_config *cfg = NULL;
  double *x0 = NULL, *xf = NULL;
  FILE *mf = NULL;
  double t0 = now();

  SPX_TRY(spx_sweep_point_sets(s, point, rep, &sets, &nsets));
  /* libconfig and the config module are not known to be thread-safe: load one at a time */
#pragma omp critical(spx_sweep_config)
  status = spx_sweep_load_sets(s, sets, nsets, &cfg);
  if (status) goto cleanup;
  const spx_run_params *p = spx_config_params(cfg);
  const spx_model *m = p->model;
  x0 = malloc(sizeof(double) * m->n * m->d);
  xf = malloc(sizeof(double) * m->n * m->d);
  if (!x0 || !xf) { status = SPX_ENOMEM; goto cleanup; }
  SPX_TRY(spx_init_fill(&p->init, m, x0));
  cluster_hook ch = {.threshold = p->classify.cluster_threshold, .t_cluster = NAN};
  spx_run_hooks hooks = {.on_row = on_row, .user = &ch};
  spx_run_result res;
  SPX_TRY(spx_run_integrate(p, x0, &hooks, &res, xf));
  if (res.code == SPX_EINTERRUPT) { status = SPX_EINTERRUPT; goto cleanup; }
  *cls = res.cls.cls;

  mf = open_memstream(&line, &linelen);
  if (!mf) { status = SPX_ENOMEM; goto cleanup; }
  fprintf(mf, "%ld\t%d\t%lu", point, rep, spx_sweep_seed(s, point, rep));
  for (int a = 0; a < s->naxes; a++)
    fprintf(mf, "\t%s", s->axes[a].show[spx_sweep_index(s, point, a)]);
  fprintf(mf, "\t%s\t%s\t%d", res.status, spx_class_name(res.cls.cls),
          res.min_inner > p->classify.cluster_threshold);
  for (int j = 0; j < s->nmetrics; j++)
    put_metric(mf, spx_sweep_metric_table[s->metrics[j]].name, p, &res, ch.t_cluster);
  if (fclose(mf) != 0) { mf = NULL; status = SPX_ENOMEM; goto cleanup; }
  mf = NULL;

  /* the snapshot first: a record implies its snapshot exists */
  if (rep == 0 && s->snap[point]) {
    char sd[4200], nm[64], hdr[256];
    snprintf(sd, sizeof sd, "%s/states", dir);
    snprintf(nm, sizeof nm, "p%ld.tsv", point);
    snprintf(hdr, sizeof hdr, "final state (t = %.10g) of point %ld, replica 0, seed %lu",
             res.t_reached, point, spx_sweep_seed(s, point, 0));
    SPX_TRY(spx_out_write_state(sd, nm, hdr, m->n, m->d, xf));
  }
  {
    char rd[4200], nm[64];
    snprintf(rd, sizeof rd, "%s/runs", dir);
    record_name(nm, sizeof nm, idx);
    spx_out_file of;
    SPX_TRY(spx_out_open(&of, rd, nm));
    fprintf(of.f, "%s\n", line);
    SPX_TRY(spx_out_commit(&of));
  }
  *wall = now() - t0;
cleanup:
  if (mf) fclose(mf);
  free(line);
  free(x0);
  free(xf);
#pragma omp critical(spx_sweep_config)
  spx_config_free(cfg);
  spx_sweep_free_sets(sets, nsets);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Progress                                                                                      */

typedef struct {
  const char *name;
  long total;      /* runs of this process in this session */
  long done;
  long all, before; /* runs of the sweep, recorded before this session */
  double t0, last;
  int tty, quiet, rank, size;
} progress;

static void fmt_time(char *b, size_t len, double s)
{
  if (!isfinite(s) || s < 0) snprintf(b, len, "--");
  else if (s < 60) snprintf(b, len, "%.0fs", s);
  else if (s < 3600) snprintf(b, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
  else snprintf(b, len, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

static void progress_step(progress *pg, const spx_sweep *s, long idx, int cls, double wall)
{
  pg->done++;
  if (pg->quiet) return;
  double el = now() - pg->t0, eta = pg->done > 0 ? el / pg->done * (pg->total - pg->done) : NAN;
  char e[32];
  fmt_time(e, sizeof e, eta);
  char who[32] = "";
  if (pg->size > 1) snprintf(who, sizeof who, "[rank %d] ", pg->rank);
  if (pg->tty) {
    if (now() - pg->last < 0.2 && pg->done < pg->total) return;
    pg->last = now();
    int w = 30, fill = pg->total > 0 ? (int)(w * pg->done / pg->total) : w;
    char bar[64];
    for (int i = 0; i < w; i++) bar[i] = i < fill ? '#' : '.';
    bar[w] = '\0';
    fprintf(stderr, "\r%ssweep %s [%s] %ld/%ld runs, ETA %s ", who, pg->name, bar, pg->done,
            pg->total, e);
    if (pg->done == pg->total) fputc('\n', stderr);
  } else {
    fprintf(stderr, "%ssweep %s: run %ld (point %ld, replica %ld) %s in %.2f s; %ld/%ld done, ETA %s\n",
            who, pg->name, idx, idx / s->replicas, idx % s->replicas,
            spx_class_name((spx_class)cls), wall, pg->done, pg->total, e);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* The tables                                                                                    */

static void axis_desc(FILE *f, const spx_sweep *s)
{
  static const char *const kinds[] = {"values", "linspace", "logspace"};
  for (int a = 0; a < s->naxes; a++) {
    const spx_axis *ax = &s->axes[a];
    fprintf(f, "%s%s: %s, %d values (%s .. %s)%s%s", a ? "; " : "", ax->name, kinds[ax->kind],
            ax->len, ax->show[0], ax->show[ax->len - 1], ax->param ? ", sets " : "",
            ax->param ? ax->param : "");
  }
  for (int k = 0; k < s->nderived; k++) fprintf(f, "%s%s", k ? "; " : "; derived: ", s->derived[k]);
}

static int write_sweep_tsv(const spx_sweep *s, const char *dir, const spx_run_row *rows, long nruns)
{
  spx_out_file of;
  int st = spx_out_open(&of, dir, "sweep.tsv");
  if (st) return st;
  FILE *f = of.f;
  const spx_run_params *p = spx_config_params(s->base);
  fprintf(f, "# sweep \"%s\": %ld points x %d replicas = %ld runs; run (point, replica) has seed "
             "%lu + point * %d + replica\n# axes (last fastest): ",
          p->name, s->npoints, s->replicas, nruns, s->seed0, s->replicas);
  axis_desc(f, s);
  fprintf(f, "\n# status: done | solver_failure | nonfinite; class: final classification (spec "
             "§7 item 6); consensus: 1 if min_{i!=j} <x_i, x_j> > classify.cluster_threshold at "
             "t_final; t_cluster: first output time with that (nan: never); other columns: "
             "summary.tsv keys\n# point\treplica\tseed");
  for (int a = 0; a < s->naxes; a++) fprintf(f, "\t%s", s->axes[a].name);
  fprintf(f, "\tstatus\tclass\tconsensus");
  for (int j = 0; j < s->nmetrics; j++) fprintf(f, "\t%s", spx_sweep_metric_table[s->metrics[j]].name);
  fputc('\n', f);
  for (long i = 0; i < nruns; i++) fprintf(f, "%s\n", rows[i].line);
  return spx_out_commit(&of);
}

/* Aggregate the runs of every point and evaluate the theory there. */
static int compute_phase(const spx_sweep *s, const spx_run_row *rows, spx_phase_row *ph)
{
  int R = s->replicas;
  for (long pt = 0; pt < s->npoints; pt++) {
    spx_phase_row *q = &ph[pt];
    const spx_run_row *r = rows + pt * R;
    q->point = pt;
    q->runs = R;
    int count[SPX_SWEEP_NCLASS] = {0}, failed = 0;
    for (int i = 0; i < R; i++) {
      if (r[i].cls >= 0) count[r[i].cls]++;
      count[4] += r[i].consensus;
      failed += !r[i].done;
    }
    for (int c = 0; c < SPX_SWEEP_NCLASS; c++) {
      q->frac[c] = (double)count[c] / R;
      q->se[c] = sqrt(q->frac[c] * (1.0 - q->frac[c]) / R);
    }
    q->failed = (double)failed / R;
    for (int j = 0; j < s->nmetrics; j++) {
      double sum = 0.0, ss = 0.0;
      int nf = 0;
      for (int i = 0; i < R; i++)
        if (isfinite(r[i].val[j])) { sum += r[i].val[j]; nf++; }
      double mean = nf > 0 ? sum / nf : NAN;
      for (int i = 0; i < R; i++)
        if (isfinite(r[i].val[j])) ss += (r[i].val[j] - mean) * (r[i].val[j] - mean);
      q->mean[j] = spx_sweep_metric_table[s->metrics[j]].type == SPX_MT_STR ? NAN : mean;
      q->sd[j] = spx_sweep_metric_table[s->metrics[j]].type == SPX_MT_STR || nf < 2
                     ? NAN : sqrt(ss / (nf - 1));
    }
    /* theory at the point's own config */
    char **sets = NULL;
    int nsets = 0;
    spx_config *cfg = NULL;
    q->th_split = q->th_homog = q->beta_s = q->beta_bistab = NAN;
    q->kstar = 0;
    int st = spx_sweep_point_sets(s, pt, -1, &sets, &nsets);
    if (st == SPX_OK) st = spx_sweep_load_sets(s, sets, nsets, &cfg);
    if (st == SPX_OK) {
      const spx_model *m = spx_config_params(cfg)->model;
      q->kstar = spx_sweep_kstar_circle(m->beta);
      if (m->symmetric) {
        int *hom = malloc(sizeof(int) * 2 * m->d);
        if (hom && spx_stability_stable_modes(m->d, m->spectrum, m->beta, hom, hom + m->d) == SPX_OK) {
          int sp = 0, hg = 0;
          for (int k = 0; k < m->d; k++) { hg |= hom[k]; sp |= hom[m->d + k]; }
          q->th_split = sp;
          q->th_homog = hg;
        }
        free(hom);
        q->beta_s = spx_stability_beta_s(m->d, m->spectrum);
        q->beta_bistab = spx_stability_bistability_beta(m->d, m->spectrum);
      }
    }
    spx_config_free(cfg);
    spx_sweep_free_sets(sets, nsets);
    if (st) return st;
  }
  return SPX_OK;
}

static int write_phase_tsv(const spx_sweep *s, const char *dir, const spx_phase_row *ph)
{
  spx_out_file of;
  int st = spx_out_open(&of, dir, "phase.tsv");
  if (st) return st;
  FILE *f = of.f;
  const spx_run_params *p = spx_config_params(s->base);
  fprintf(f, "# phase diagram of sweep \"%s\": one row per point over %d replicas; axes: ", p->name,
          s->replicas);
  axis_desc(f, s);
  fprintf(f, "\n# frac_C: fraction of runs of class C (consensus: min inner product > cluster "
             "threshold at t_final); se_C = sqrt(frac_C (1 - frac_C) / runs), the binomial "
             "standard error; failed: fraction of runs not \"done\"; mean_M, sd_M: mean and "
             "sample standard deviation of metric M over its finite values\n# theory (spec "
             "sphere_dynamics.md §4.4 at the point's spectrum and beta; nan: not the symmetric "
             "case): theory_split = 1 if a balanced split is stable (item 2), theory_homogeneous "
             "= 1 if a homogeneous cluster is (item 1), beta_s (item 2), beta_bistability (item "
             "4); kstar_circle = argmax_k k^2 I_k(beta) (§6.4)\n# point");
  for (int a = 0; a < s->naxes; a++) fprintf(f, "\t%s", s->axes[a].name);
  fprintf(f, "\truns\tfailed");
  for (int c = 0; c < SPX_SWEEP_NCLASS; c++)
    fprintf(f, "\tfrac_%s\tse_%s", spx_sweep_class_names[c], spx_sweep_class_names[c]);
  for (int j = 0; j < s->nmetrics; j++)
    if (spx_sweep_metric_table[s->metrics[j]].type != SPX_MT_STR)
      fprintf(f, "\tmean_%s\tsd_%s", spx_sweep_metric_table[s->metrics[j]].name,
              spx_sweep_metric_table[s->metrics[j]].name);
  fprintf(f, "\ttheory_split\ttheory_homogeneous\tbeta_s\tbeta_bistability\tkstar_circle\n");
  for (long pt = 0; pt < s->npoints; pt++) {
    const spx_phase_row *q = &ph[pt];
    fprintf(f, "%ld", pt);
    for (int a = 0; a < s->naxes; a++) fprintf(f, "\t%s", s->axes[a].show[spx_sweep_index(s, pt, a)]);
    fprintf(f, "\t%d", q->runs);
    put_dbl(f, q->failed);
    for (int c = 0; c < SPX_SWEEP_NCLASS; c++) {
      put_dbl(f, q->frac[c]);
      put_dbl(f, q->se[c]);
    }
    for (int j = 0; j < s->nmetrics; j++)
      if (spx_sweep_metric_table[s->metrics[j]].type != SPX_MT_STR) {
        put_dbl(f, q->mean[j]);
        put_dbl(f, q->sd[j]);
      }
    put_dbl(f, q->th_split);
    put_dbl(f, q->th_homog);
    put_dbl(f, q->beta_s);
    put_dbl(f, q->beta_bistab);
    fprintf(f, "\t%d\n", q->kstar);
  }
  return spx_out_commit(&of);
}

/* Read every record, write the tables and the figures. */
static int assemble(const spx_sweep *s, const char *dir, int plots)
{
  int status = SPX_OK;
  long nruns = s->npoints * s->replicas;
  spx_run_row *rows = calloc((size_t)nruns, sizeof *rows);
  spx_phase_row *ph = calloc((size_t)s->npoints, sizeof *ph);
  double *store = calloc((size_t)(2 * s->npoints * (s->nmetrics + 1)), sizeof(double));
  if (!rows || !ph || !store) { status = SPX_ENOMEM; goto cleanup; }
  for (long i = 0; i < nruns; i++)
    if (read_record(s, dir, i, &rows[i]) != 1) {
      spx_error("sweep: the record of run %ld (%s/runs/%ld.tsv) is missing or damaged", i, dir, i);
      status = SPX_EINTERNAL;
      goto cleanup;
    }
  for (long pt = 0; pt < s->npoints; pt++) {
    ph[pt].mean = store + 2 * pt * (s->nmetrics + 1);
    ph[pt].sd = ph[pt].mean + s->nmetrics + 1;
  }
  {
    long failed = 0;
    for (long i = 0; i < nruns; i++) failed += !rows[i].done;
    if (failed)
      spx_warn("sweep: %ld of %ld runs did not reach t_final (status column of sweep.tsv, "
               "column failed of phase.tsv); their outcome is counted as recorded", failed, nruns);
  }
  SPX_TRY(write_sweep_tsv(s, dir, rows, nruns));
  SPX_TRY(compute_phase(s, rows, ph));
  SPX_TRY(write_phase_tsv(s, dir, ph));
  if (plots && s->nfigs > 0) spx_sweep_figures(s, dir, rows, ph);
cleanup:
  if (rows)
    for (long i = 0; i < nruns; i++) free_row(&rows[i]);
  free(rows);
  free(ph);
  free(store);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* The sweep                                                                                     */

int spx_sweep_execute(spx_sweep *s, const spx_sweep_options *opt)
{
  int status = SPX_OK, rank = 0, size = 1, resumed = 0;
  long nruns = s->npoints * s->replicas, npending = 0, nmine = 0;
  long *pending = NULL, *mine = NULL;
  char dirbuf[4096];
  const spx_run_params *bp = spx_config_params(s->base);
  const char *dir = opt->outdir;
#ifdef SPX_HAVE_MPI
  int inited = 0;
  MPI_Initialized(&inited);
  if (inited) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
#endif
  if (!dir) {
    snprintf(dirbuf, sizeof dirbuf, "output/%s", bp->name);
    dir = dirbuf;
  }
  pending = malloc(sizeof(long) * (nruns > 0 ? nruns : 1));
  mine = malloc(sizeof(long) * (nruns > 0 ? nruns : 1));
  if (!pending || !mine) { status = SPX_ENOMEM; goto cleanup; }

  if (rank == 0) {
    status = prepare_folder(s, dir, opt->force, opt->quiet, &resumed);
    if (status == SPX_OK) {
      for (long i = 0; i < nruns; i++) {
        int r = resumed ? read_record(s, dir, i, NULL) : 0;
        if (r < 0) {
          spx_warn("sweep: the record of run %ld is damaged; it will be run again", i);
          char p[4300];
          snprintf(p, sizeof p, "%s/runs/%ld.tsv", dir, i);
          unlink(p);
        }
        if (r == 1 && i % s->replicas == 0 && s->snap[i / s->replicas]) {
          /* a record implies its snapshot (written first); redo the run if it was removed */
          char nm[64];
          snprintf(nm, sizeof nm, "states/p%ld.tsv", i / s->replicas);
          if (!exists(dir, nm)) r = 0;
        }
        if (r != 1) pending[npending++] = i;
      }
      int nt = opt->threads > 0 ? opt->threads : omp_get_max_threads();
      if (!opt->quiet) {
        if (resumed)
          spx_info("sweep %s: %ld points x %d replicas = %ld runs; resuming: %ld recorded, %ld to "
                   "do; %d rank(s) x %d thread(s); output in %s/",
                   bp->name, s->npoints, s->replicas, nruns, nruns - npending, npending, size, nt,
                   dir);
        else
          spx_info("sweep %s: %ld points x %d replicas = %ld runs; %d rank(s) x %d thread(s); "
                   "output in %s/",
                   bp->name, s->npoints, s->replicas, nruns, size, nt, dir);
      }
    }
  }
#ifdef SPX_HAVE_MPI
  if (size > 1) {
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Bcast(&npending, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    if (status == SPX_OK && npending > 0)
      MPI_Bcast(pending, (int)npending, MPI_LONG, 0, MPI_COMM_WORLD);
  }
#endif
  if (status) goto cleanup;
  for (long k = rank; k < npending; k += size) mine[nmine++] = pending[k];

  spx_run_install_signals();
  {
    int nt = opt->threads > 0 ? opt->threads : omp_get_max_threads();
    if (nt > nmine) nt = nmine > 0 ? (int)nmine : 1;
    /* the kernel's own parallel regions stay inactive inside the loop over runs */
    if (nt > 1 && omp_get_max_active_levels() > 1) omp_set_max_active_levels(1);
    progress pg = {.name = bp->name, .total = nmine, .t0 = now(), .tty = isatty(2),
                   .quiet = opt->quiet, .rank = rank, .size = size};
    int stop = 0, first = SPX_OK;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (long k = 0; k < nmine; k++) {
      int halt;
#pragma omp atomic read
      halt = stop;
      if (halt || spx_run_interrupted()) continue;
      int cls = SPX_CLASS_UNCONVERGED;
      double wall = 0.0;
      int st = run_one(s, dir, mine[k], &cls, &wall);
#pragma omp critical(spx_sweep_progress)
      {
        if (st != SPX_OK) {
          if (first == SPX_OK) first = st;
#pragma omp atomic write
          stop = 1;
        } else {
          progress_step(&pg, s, mine[k], cls, wall);
        }
      }
    }
    if (first == SPX_OK && spx_run_interrupted()) first = SPX_EINTERRUPT;
    if (pg.tty && !pg.quiet && pg.done < pg.total && pg.done > 0) fputc('\n', stderr);
    status = first;
  }
#ifdef SPX_HAVE_MPI
  if (size > 1) {
    int worst = status;
    MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (status == SPX_OK) status = worst;
  }
#endif
  if (status == SPX_EINTERRUPT) {
    if (rank == 0)
      spx_warn("sweep %s interrupted: the finished runs are recorded in %s/runs/; run the same "
               "command again to continue", bp->name, dir);
    goto cleanup;
  }
  if (status) goto cleanup;
  if (rank == 0) {
    status = assemble(s, dir, opt->plots && bp->plots);
    if (status == SPX_OK && !opt->quiet)
      spx_info("sweep %s: done, %ld runs; tables %s/sweep.tsv and %s/phase.tsv", bp->name, nruns,
               dir, dir);
  }
#ifdef SPX_HAVE_MPI
  if (size > 1) MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
cleanup:
  free(pending);
  free(mine);
  return status;
}
