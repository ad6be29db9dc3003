/* test_checkpoint.c -- restart points and the checkpoint file (sim/checkpoint.h, run.h).
 *
 * 1. The hashes against their published check values: CRC-32("123456789") = 0xCBF43926 (the
 *    IEEE 802.3 CRC catalogue), FNV-1a 64 of "", "a", "foobar" (the FNV reference vectors).
 * 2. The file format: encode/decode is the identity bit for bit (NaN and inf included); every
 *    truncation, every byte with its lowest or its highest bit flipped, another format version
 *    (with a valid checksum), a wrong magic and a trailing byte are refused.
 * 3. spx_ckpt_match refuses a checkpoint of another run (sizes, solver, settings, grid, seed,
 *    config hash); spx_ckpt_settings_get refuses out-of-range checkpoint.* keys.
 * 4. Exact resume, for every back end, in eigen-coordinates, with USA normalization and with an
 *    early stop (solver.stop_when_settled, the same stop time required): the uninterrupted run with
 *    restart points saves its checkpoints (serialized); resuming from each of them gives the same
 *    final state (memcmp), the same counters and summary numbers (==) and the same observables in
 *    every later row (==) as the uninterrupted run. The schedule of checkpoint.every_time is the
 *    arithmetic one; with a restart point at every checkpoint the run agrees with a run without
 *    them to the solver tolerance.
 * 5. A stop requested by a row hook (as a signal does) adds a restart point at that row only with
 *    on_signal = "now".
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "config.h"
#include "harness.h"
#include "init.h"
#include "run.h"
#include "status.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static char cfg_path[64];

static void write_cfg(void)
{
  snprintf(cfg_path, sizeof cfg_path, "/tmp/spx_test_ckpt_XXXXXX");
  int fd = mkstemp(cfg_path);
  FILE *f = fdopen(fd, "w");
  fprintf(f, "model: { n = 24; d = 3; beta = 1.3; spectrum = [-1.0, -0.4, -2.0]; };\n"
             "init: { seed = 5; };\n"
             "solver: { t_final = 6.0; rtol = 1e-8; atol = 1e-10; dt = 0.02; };\n"
             "output: { every = 0.1; plots = false; };\n");
  fclose(f);
}

static spx_config *load(const char *const *sets, int nsets)
{
  spx_config *c = NULL;
  if (spx_config_load(cfg_path, sets, nsets, &c) != SPX_OK) return NULL;
  return c;
}

static int same_double(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

/* Captured checkpoints (serialized) and rows of a run. */
#define MAXCK 64
#define MAXROWS 1000
typedef struct {
  unsigned char *buf[MAXCK];
  size_t len[MAXCK];
  long row[MAXCK];
  int nck;
  double log_energy[MAXROWS], inc[MAXROWS], fplus[MAXROWS];
  int stop_at;  /* row hook returns SPX_EINTERRUPT there (-1: never) */
} capture;

static int cap_save(void *user, spx_ckpt *ck)
{
  capture *c = user;
  if (c->nck >= MAXCK) return SPX_EINTERNAL;
  ck->obs_bytes = 1000 + (uint64_t)ck->row; /* no files here: any values are carried as given */
  if (spx_ckpt_encode(ck, &c->buf[c->nck], &c->len[c->nck]) != SPX_OK) return SPX_ENOMEM;
  c->row[c->nck++] = ck->row;
  return SPX_OK;
}

static int cap_row(void *user, long row, const spx_obs_values *v, const double *x, spx_sim *sim)
{
  capture *c = user;
  if (row < MAXROWS) {
    c->log_energy[row] = v->log_energy;
    c->inc[row] = v->energy_rel_inc;
    c->fplus[row] = v->f_plus;
  }
  return row == c->stop_at ? SPX_EINTERRUPT : SPX_OK;
}

static void cap_free(capture *c)
{
  for (int i = 0; i < c->nck; i++) free(c->buf[i]);
  c->nck = 0;
}

/* The summary numbers of two results agree exactly. */
static int same_result(const spx_run_result *a, const spx_run_result *b, char *why, size_t len)
{
#define CMP_L(f) if (a->f != b->f) { snprintf(why, len, #f " %ld vs %ld", (long)a->f, (long)b->f); return 0; }
#define CMP_D(f) if (!same_double(a->f, b->f)) { snprintf(why, len, #f " %.17g vs %.17g", a->f, b->f); return 0; }
  CMP_L(stats.steps) CMP_L(stats.rhs_evals) CMP_L(stats.jv_evals) CMP_L(stats.lin_iters)
  CMP_L(stats.nonlin_iters) CMP_L(stats.nonlin_fails) CMP_L(stats.err_test_fails)
  CMP_L(stats.proj_evals) CMP_L(rows) CMP_L(cls.cls) CMP_L(cls.mode) CMP_L(cls.n_plus)
  CMP_L(cls.n_minus) CMP_L(cls.clusters) CMP_L(code) CMP_L(settled) CMP_D(t_settled)
  CMP_D(t_reached) CMP_D(f_plus) CMP_D(sign_memory) CMP_D(min_inner) CMP_D(delta_pm)
  CMP_D(alignment) CMP_D(log_energy) CMP_D(eps) CMP_D(speed) CMP_D(norm_drift)
  CMP_D(mean_resultant) CMP_D(nematic) CMP_D(energy_min_inc) CMP_D(t99)
#undef CMP_L
#undef CMP_D
  if (strcmp(a->status, b->status) != 0) {
    snprintf(why, len, "status %s vs %s", a->status, b->status);
    return 0;
  }
  return 1;
}

/* ---- 1. hashes ---------------------------------------------------------------------------- */

static void test_hashes(void)
{
  const char *s = "123456789";
  spx_test(spx_crc32(0, s, 9) == 0xCBF43926u, "CRC-32(\"123456789\") = 0xCBF43926", "got %08x",
           spx_crc32(0, s, 9));
  spx_test(spx_crc32(spx_crc32(0, s, 4), s + 4, 5) == 0xCBF43926u,
           "CRC-32 continued over two pieces = CRC-32 of the whole", NULL);
  spx_test(spx_crc32(0, "", 0) == 0u, "CRC-32 of no bytes = 0", NULL);
  spx_test(spx_fnv1a64(SPX_FNV64_INIT, "", 0) == 0xcbf29ce484222325ULL,
           "FNV-1a 64(\"\") = 0xcbf29ce484222325", NULL);
  spx_test(spx_fnv1a64(SPX_FNV64_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL,
           "FNV-1a 64(\"a\") = 0xaf63dc4c8601ec8c", "got %016llx",
           (unsigned long long)spx_fnv1a64(SPX_FNV64_INIT, "a", 1));
  spx_test(spx_fnv1a64(SPX_FNV64_INIT, "foobar", 6) == 0x85944171f73967e8ULL,
           "FNV-1a 64(\"foobar\") = 0x85944171f73967e8", "got %016llx",
           (unsigned long long)spx_fnv1a64(SPX_FNV64_INIT, "foobar", 6));
  spx_test(spx_fnv1a64(spx_fnv1a64(SPX_FNV64_INIT, "foo", 3), "bar", 3) == 0x85944171f73967e8ULL,
           "FNV-1a 64 continued over two pieces = FNV-1a 64 of the whole", NULL);
  /* spx_ckpt_hash_fd over a file range equals the hash of those bytes */
  char path[] = "/tmp/spx_test_hash_XXXXXX";
  int fd = mkstemp(path);
  int ok = fd >= 0 && write(fd, "xxfoobaryy", 10) == 10;
  uint64_t h = SPX_FNV64_INIT;
  ok = ok && spx_ckpt_hash_fd(fd, 2, 8, &h) == SPX_OK;
  spx_test(ok && h == 0x85944171f73967e8ULL, "spx_ckpt_hash_fd over bytes [2, 8) = FNV(\"foobar\")",
           NULL);
  uint64_t h2 = SPX_FNV64_INIT;
  spx_test(fd >= 0 && spx_ckpt_hash_fd(fd, 2, 20, &h2) != SPX_OK,
           "spx_ckpt_hash_fd past the end of the file fails", NULL);
  if (fd >= 0) close(fd);
  unlink(path);
}

/* ---- 2. the file format ------------------------------------------------------------------- */

static spx_ckpt *sample(void)
{
  spx_ckpt *c = NULL;
  if (spx_ckpt_create(3, 2, &c) != SPX_OK) return NULL;
  snprintf(c->solver, sizeof c->solver, "bdf_newton");
  c->settings.rtol = 1e-9;
  c->settings.atol = 3e-12;
  c->settings.dt = 0.0125;
  c->settings.h0 = 0.0;
  c->settings.max_steps = 123456;
  c->settings.max_order = 4;
  c->init_seed = 4294967295UL;
  c->config_hash = 0xfedcba9876543210ULL;
  c->t_final = 40.0;
  c->every = 0.2;
  snprintf(c->reason, sizeof c->reason, "scheduled");
  c->row = 17;
  c->t = 3.4000000000000004;
  for (int i = 0; i < 6; i++) {
    c->x[i] = sin(1.0 + i) / 3.0;
    c->y[i] = cos(2.0 + i) * 1e-300;
    c->y0[i] = -exp(0.1 * i);
  }
  c->t99[0] = NAN;
  c->t99[1] = 2.2;
  c->energy_min_inc = INFINITY;
  c->stats = (spx_solver_stats){.steps = 91, .rhs_evals = 1234, .jv_evals = 77, .lin_iters = 5,
                                .nonlin_iters = 300, .nonlin_fails = 2, .err_test_fails = 9,
                                .proj_evals = 91, .last_step = 0.0625};
  c->wall = 1234.5678;
  c->obs_bytes = 98765;
  c->obs_hash = 0x0123456789abcdefULL;
  c->traj_bytes = 5555;
  c->traj_hash = 42;
  c->traj_frames = 3;
  return c;
}

static int same_ckpt(const spx_ckpt *a, const spx_ckpt *b)
{
  size_t nd = (size_t)a->n * a->d;
  return a->n == b->n && a->d == b->d && !strcmp(a->build, b->build) &&
         a->config_hash == b->config_hash && !strcmp(a->solver, b->solver) &&
         !memcmp(&a->settings, &b->settings, sizeof a->settings) && a->init_seed == b->init_seed &&
         a->t_final == b->t_final && a->every == b->every && !strcmp(a->reason, b->reason) &&
         a->row == b->row && a->t == b->t && !memcmp(a->x, b->x, nd * 8) &&
         !memcmp(a->y, b->y, nd * 8) && !memcmp(a->y0, b->y0, nd * 8) &&
         !memcmp(a->t99, b->t99, (size_t)a->d * 8) && same_double(a->energy_min_inc, b->energy_min_inc) &&
         !memcmp(&a->stats, &b->stats, sizeof a->stats) && a->wall == b->wall &&
         a->obs_bytes == b->obs_bytes &&
         a->obs_hash == b->obs_hash && a->traj_bytes == b->traj_bytes &&
         a->traj_hash == b->traj_hash && a->traj_frames == b->traj_frames;
}

static void test_format(void)
{
  spx_ckpt *c = sample(), *r = NULL;
  unsigned char *buf = NULL;
  size_t len = 0;
  if (!c || spx_ckpt_encode(c, &buf, &len) != SPX_OK) {
    spx_test(0, "encode a sample checkpoint", NULL);
    spx_ckpt_free(c);
    return;
  }
  int st = spx_ckpt_decode(buf, len, "sample", &r);
  spx_test(st == SPX_OK && r && same_ckpt(c, r), "decode(encode(c)) = c, bit for bit",
           "%zu bytes", len);
  spx_ckpt_free(r);
  r = NULL;

  /* Silence the expected messages of the refusals below. */
  fflush(stderr);
  FILE *saved = stderr;
  stderr = fopen("/dev/null", "w");
  long refused = 0, total = 0;
  for (size_t cut = 0; cut < len; cut++, total++)
    if (spx_ckpt_decode(buf, cut, "t", &r) == SPX_EINVAL && !r) refused++;
    else spx_ckpt_free(r), r = NULL;
  long trunc_ok = refused == total;
  long flips = 0, flips_refused = 0;
  for (size_t i = 0; i < len; i++)
    for (int bit = 0; bit < 8; bit += 7) { /* the lowest and the highest bit of every byte */
      buf[i] ^= (unsigned char)(1u << bit);
      flips++;
      if (spx_ckpt_decode(buf, len, "t", &r) == SPX_EINVAL && !r) flips_refused++;
      else spx_ckpt_free(r), r = NULL;
      buf[i] ^= (unsigned char)(1u << bit);
    }
  /* Another version, with a valid checksum: refused for the version alone. */
  unsigned char *v2 = malloc(len + 1);
  memcpy(v2, buf, len);
  uint32_t ver = SPX_CKPT_VERSION + 1, crc;
  memcpy(v2 + 8, &ver, 4);
  crc = spx_crc32(0, v2, len - 4);
  memcpy(v2 + len - 4, &crc, 4);
  int st_version = spx_ckpt_decode(v2, len, "t", &r);
  spx_ckpt_free(r);
  r = NULL;
  memcpy(v2, buf, len);
  v2[len] = 0;
  int st_trailing = spx_ckpt_decode(v2, len + 1, "t", &r);
  spx_ckpt_free(r);
  r = NULL;
  memcpy(v2, "SPXCKPU", 8);
  int st_magic = spx_ckpt_decode(v2, len, "t", &r);
  spx_ckpt_free(r);
  r = NULL;
  fclose(stderr);
  stderr = saved;

  spx_test(trunc_ok, "every truncation (0 .. size-1 bytes) is refused", "%ld of %ld", refused,
           total);
  spx_test(flips_refused == flips, "every flipped bit (lowest, highest of each byte) is refused",
           "%ld of %ld", flips_refused, flips);
  spx_test(st_version == SPX_EINVAL, "format version + 1 (valid checksum) is refused", NULL);
  spx_test(st_trailing == SPX_EINVAL, "one trailing byte is refused", NULL);
  spx_test(st_magic == SPX_EINVAL, "a wrong magic number is refused", NULL);

  /* save + load through a file (atomic write) */
  char dir[] = "/tmp/spx_test_ckdir_XXXXXX";
  char path[128];
  if (mkdtemp(dir)) {
    snprintf(path, sizeof path, "%s/%s", dir, SPX_CKPT_FILE);
    st = spx_ckpt_save(c, dir);
    int st2 = spx_ckpt_load(path, &r);
    spx_test(st == SPX_OK && st2 == SPX_OK && r && same_ckpt(c, r),
             "spx_ckpt_save + spx_ckpt_load = identity", NULL);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, SPX_CKPT_FILE);
    spx_test(access(tmp, F_OK) != 0, "no temporary file is left after the save", NULL);
    spx_ckpt_free(r);
    r = NULL;
    unlink(path);
    rmdir(dir);
  }
  free(v2);
  free(buf);
  spx_ckpt_free(c);
}

/* ---- 3. matching a run, settings ---------------------------------------------------------- */

static void test_match(void)
{
  spx_config *cfg = load(NULL, 0);
  if (!cfg) {
    spx_test(0, "load the test config", NULL);
    return;
  }
  const spx_run_params *p = spx_config_params(cfg);
  spx_ckpt *c = NULL;
  spx_ckpt_create(p->model->n, p->model->d, &c);
  snprintf(c->solver, sizeof c->solver, "%s", p->method);
  c->settings = p->solver;
  c->init_seed = p->init.seed;
  c->t_final = p->t_final;
  c->every = p->every;
  c->config_hash = 99;
  FILE *saved = stderr;
  fflush(stderr);
  stderr = fopen("/dev/null", "w");
  int ok = spx_ckpt_match(c, "c", 99, p) == SPX_OK;
  int bad_hash = spx_ckpt_match(c, "c", 98, p) == SPX_EINVAL;
  c->settings.rtol *= 1.0000001;
  int bad_rtol = spx_ckpt_match(c, "c", 99, p) == SPX_EINVAL;
  c->settings = p->solver;
  snprintf(c->solver, sizeof c->solver, "rk4");
  int bad_solver = spx_ckpt_match(c, "c", 99, p) == SPX_EINVAL;
  snprintf(c->solver, sizeof c->solver, "%s", p->method);
  c->every = p->every * 2;
  int bad_grid = spx_ckpt_match(c, "c", 99, p) == SPX_EINVAL;
  c->every = p->every;
  c->init_seed++;
  int bad_seed = spx_ckpt_match(c, "c", 99, p) == SPX_EINVAL;
  spx_ckpt_free(c);
  spx_ckpt_create(p->model->n + 1, p->model->d, &c);
  int bad_n = spx_ckpt_match(c, "c", 99, p) == SPX_EINVAL;
  spx_ckpt_free(c);

  spx_ckpt_settings cs;
  int def = spx_ckpt_settings_get(cfg, &cs) == SPX_OK && cs.every_steps == 10000 &&
            cs.every_time == 0.0 && cs.on_signal_now == 0;
  const char *neg[] = {"checkpoint.every_steps=-1"}, *negt[] = {"checkpoint.every_time=-0.5"},
             *sig[] = {"checkpoint.on_signal=\"later\""}, *now[] = {"checkpoint.on_signal=\"now\""};
  spx_config *c1 = load(neg, 1), *c2 = load(negt, 1), *c3 = load(sig, 1), *c4 = load(now, 1);
  int r1 = c1 ? spx_ckpt_settings_get(c1, &cs) : SPX_EINVAL;
  int r2 = c2 ? spx_ckpt_settings_get(c2, &cs) : SPX_EINVAL;
  int r3 = c3 ? spx_ckpt_settings_get(c3, &cs) : SPX_EINVAL;
  int r4 = c4 ? spx_ckpt_settings_get(c4, &cs) : SPX_EINVAL;
  int now_set = r4 == SPX_OK && cs.on_signal_now == 1;
  fclose(stderr);
  stderr = saved;
  spx_test(ok, "match: the checkpoint of this run is accepted", NULL);
  spx_test(bad_hash, "match: another config hash is refused", NULL);
  spx_test(bad_rtol, "match: rtol changed by 1e-7 relative is refused", NULL);
  spx_test(bad_solver, "match: another solver is refused", NULL);
  spx_test(bad_grid, "match: another output interval is refused", NULL);
  spx_test(bad_seed, "match: another init.seed is refused", NULL);
  spx_test(bad_n, "match: another n is refused", NULL);
  spx_test(def, "settings: defaults every_steps 10000, every_time 0, on_signal exact", NULL);
  spx_test(r1 == SPX_EINVAL, "settings: checkpoint.every_steps = -1 refused", NULL);
  spx_test(r2 == SPX_EINVAL, "settings: checkpoint.every_time = -0.5 refused", NULL);
  spx_test(r3 == SPX_EINVAL, "settings: checkpoint.on_signal = \"later\" refused", NULL);
  spx_test(now_set, "settings: checkpoint.on_signal = \"now\" read", NULL);
  spx_config_free(c1);
  spx_config_free(c2);
  spx_config_free(c3);
  spx_config_free(c4);
  spx_config_free(cfg);
}

/* ---- 4. exact resume ---------------------------------------------------------------------- */

static void test_resume(const char *label, const char *const *sets, int nsets, long every_steps,
                        double every_time)
{
  spx_config *cfg = load(sets, nsets);
  if (!cfg) {
    spx_test(0, label, "config not loaded");
    return;
  }
  const spx_run_params *p = spx_config_params(cfg);
  const int n = p->model->n, d = p->model->d;
  size_t nd = (size_t)n * d;
  double *x0 = malloc(nd * 8), *xa = malloc(nd * 8), *xb = malloc(nd * 8), *xc = malloc(nd * 8);
  spx_init_fill(&p->init, p->model, x0);
  capture ca, cb, cn;
  memset(&ca, 0, sizeof ca);
  memset(&cb, 0, sizeof cb);
  memset(&cn, 0, sizeof cn);
  ca.stop_at = cb.stop_at = cn.stop_at = -1;
  spx_run_ckpt plan = {.every = {.every_steps = every_steps, .every_time = every_time},
                       .save = cap_save};
  spx_run_hooks ha = {.on_row = cap_row, .user = &ca, .ckpt = &plan};
  spx_run_hooks hn = {.on_row = cap_row, .user = &cn};
  spx_run_result ra, rb, rn;
  int st = spx_run_integrate(p, x0, &ha, &ra, xa);
  int stn = spx_run_integrate(p, x0, &hn, &rn, xc);
  char name[256], why[256];
  long nrows = ra.rows;
  snprintf(name, sizeof name, "%s: uninterrupted run with restart points done", label);
  spx_test(st == SPX_OK && ra.code == SPX_OK && stn == SPX_OK && rn.code == SPX_OK, name,
           "%d restart points, %ld rows, %ld steps%s", ca.nck, nrows, ra.stats.steps,
           ra.settled ? ", settled early" : "");
  snprintf(name, sizeof name, "%s: restart points at row 0 and >= 3 later rows", label);
  spx_test(ca.nck >= 4 && ca.row[0] == 0, name, "%d", ca.nck);
  /* With restarts the run differs from one without only within the solver tolerance. */
  double tol = strcmp(p->method, "euler") == 0 ? 1e-9 : 1e-6;
  snprintf(name, sizeof name, "%s: log_energy with restarts = without, to %g", label, tol);
  spx_test_abs(name, ra.log_energy, rn.log_energy, tol);

  int all_same = 1, all_rows = 1, resumed = 0;
  for (int k = 0; k < ca.nck; k++) {
    spx_ckpt *ck = NULL;
    if (spx_ckpt_decode(ca.buf[k], ca.len[k], "capture", &ck) != SPX_OK) {
      all_same = 0;
      continue;
    }
    memset(&cb, 0, sizeof cb);
    cb.stop_at = -1;
    spx_run_hooks hb = {.on_row = cap_row, .user = &cb, .ckpt = &plan};
    memset(xb, 0, nd * 8);
    st = spx_run_integrate_from(p, NULL, ck, &hb, &rb, xb);
    resumed++;
    if (st != SPX_OK || memcmp(xa, xb, nd * 8) != 0 || !same_result(&ra, &rb, why, sizeof why)) {
      if (all_same)
        printf("    resume from row %ld: %s\n", ck->row,
               st != SPX_OK ? "failed" : memcmp(xa, xb, nd * 8) ? "final state differs" : why);
      all_same = 0;
    }
    for (long r = ck->row + 1; r < nrows && r < MAXROWS; r++)
      if (!same_double(ca.log_energy[r], cb.log_energy[r]) || !same_double(ca.inc[r], cb.inc[r]) ||
          !same_double(ca.fplus[r], cb.fplus[r]))
        all_rows = 0;
    /* the later restart points are the same rows */
    for (int j = 0; j < cb.nck; j++)
      if (k + 1 + j >= ca.nck || cb.row[j] != ca.row[k + 1 + j]) all_rows = 0;
    cap_free(&cb);
    spx_ckpt_free(ck);
  }
  snprintf(name, sizeof name, "%s: resume from each restart point = uninterrupted (final state "
           "memcmp, counters and summary numbers ==)", label);
  spx_test(all_same && resumed == ca.nck, name, "%d resumes", resumed);
  snprintf(name, sizeof name, "%s: resumed rows (log_energy, energy_rel_inc, f_plus) and later "
           "restart points == uninterrupted", label);
  spx_test(all_rows, name, NULL);
  if (every_time > 0) {
    /* Rows are t = k * every; a restart point falls on the first row with t - t_last >= T. */
    int sched = 1;
    long expect = 0;
    for (int k = 1; k < ca.nck; k++) {
      double tl = expect * p->every;
      long r = expect + 1;
      while (r * p->every - tl < every_time * (1 - 1e-12)) r++;
      if (ca.row[k] != r) sched = 0;
      expect = r;
    }
    snprintf(name, sizeof name, "%s: every_time = %g, every = %g: restart points at the first row "
             "T after the last", label, every_time, p->every);
    spx_test(sched, name, "rows %ld %ld %ld ...", ca.row[0], ca.nck > 1 ? ca.row[1] : -1,
             ca.nck > 2 ? ca.row[2] : -1);
  }
  cap_free(&ca);
  free(x0);
  free(xa);
  free(xb);
  free(xc);
  spx_config_free(cfg);
}

/* ---- 5. stop requests --------------------------------------------------------------------- */

static void test_signal(void)
{
  const char *now[] = {"checkpoint.every_steps=0"};
  spx_config *cfg = load(now, 1);
  if (!cfg) return;
  const spx_run_params *p = spx_config_params(cfg);
  size_t nd = (size_t)p->model->n * p->model->d;
  double *x0 = malloc(nd * 8), *x = malloc(nd * 8);
  spx_init_fill(&p->init, p->model, x0);
  for (int mode = 0; mode < 2; mode++) {
    capture c;
    memset(&c, 0, sizeof c);
    c.stop_at = 13;
    spx_run_ckpt plan = {.every = {.on_signal_now = mode}, .save = cap_save};
    spx_run_hooks h = {.on_row = cap_row, .user = &c, .ckpt = &plan};
    spx_run_result r;
    int st = spx_run_integrate(p, x0, &h, &r, x);
    int ok = st == SPX_OK && r.code == SPX_EINTERRUPT && !strcmp(r.status, "interrupted") &&
             r.rows == 14;
    if (mode == 0) ok = ok && c.nck == 1 && c.row[0] == 0;
    else ok = ok && c.nck == 2 && c.row[0] == 0 && c.row[1] == 13;
    spx_test(ok, mode ? "stop at row 13, on_signal = now: restart points at rows 0 and 13"
                      : "stop at row 13, on_signal = exact: only the restart point at row 0",
             "%d points, rows %ld", c.nck, r.rows);
    cap_free(&c);
  }
  free(x0);
  free(x);
  spx_config_free(cfg);
}

int main(void)
{
  write_cfg();
  test_hashes();
  test_format();
  test_match();
  const char *adams[] = {"solver.method=\"adams\""};
  const char *bdf[] = {"solver.method=\"bdf\""};
  const char *newton[] = {"solver.method=\"bdf_newton\""};
  const char *rk8[] = {"solver.method=\"rk8pd\""};
  const char *euler[] = {"solver.method=\"euler\""};
  const char *rk4[] = {"solver.method=\"rk4\""};
  const char *eig[] = {"solver.method=\"adams\"", "model.eigen_coords=true",
                       "model.basis=\"random_orthogonal\""};
  const char *usa[] = {"solver.method=\"bdf\"", "model.normalization=\"usa\"",
                       "model.spectrum=[0.5, -1.0, 1.5]"};
  test_resume("adams", adams, 1, 40, 0);
  test_resume("bdf", bdf, 1, 40, 0);
  test_resume("bdf_newton", newton, 1, 40, 0);
  test_resume("rk8pd", rk8, 1, 8, 0);
  test_resume("euler", euler, 1, 60, 0);
  test_resume("rk4", rk4, 1, 60, 0);
  test_resume("adams eigen_coords", eig, 3, 40, 0);
  test_resume("bdf usa", usa, 3, 40, 0);
  test_resume("adams every_time", adams, 1, 0, 0.35);
  /* An early stop (solver.stop_when_settled) watched across the restarts: the resumed run must
   * stop at the same time. A small stop_tol keeps the stop beyond several restart points. */
  const char *settle[] = {"solver.method=\"bdf\"", "solver.stop_when_settled=true",
                          "solver.stop_tol=1e-9", "solver.t_final=60.0", "output.every=0.5"};
  test_resume("bdf stop_when_settled", settle, 5, 40, 0);
  test_signal();
  unlink(cfg_path);
  return spx_test_summary();
}
