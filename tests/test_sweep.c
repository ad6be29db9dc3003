/* test_sweep.c -- unit tests of the sweep module (sim/sweep.h): axis expansion (values,
 * linspace, logspace, cartesian order), seeds, derived keys and their expressions, the run config
 * of a point, rejection of bad sweep groups, and the closed forms drawn on the figures (spec
 * sphere_dynamics.md §6.2 equiangular ODE values of §10 item 3; §6.4 k* and sigma* tables).
 * Expected values come from the issue text (seed formula), the spec, or arithmetic.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "config.h"
#include "harness.h"
#include "status.h"
#include "sweep.h"

static char dir[64];

/* Write text to DIR/name and return the path (static buffer per call site). */
static const char *write_cfg(const char *name, const char *text, char *path, size_t len)
{
  snprintf(path, len, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) return NULL;
  fputs(text, f);
  fclose(f);
  return path;
}

/* The value of "key=value" for key among the sets (NULL if absent). */
static const char *set_value(const char *const *sets, int n, const char *key)
{
  size_t l = strlen(key);
  for (int i = 0; i < n; i++)
    if (strncmp(sets[i], key, l) == 0 && sets[i][l] == '=') return sets[i] + l + 1;
  return NULL;
}

static void test_expansion(void)
{
  char path[256];
  const char *cfg =
      "model: { n = 6; d = 2; beta = 1.0; spectrum = [0.7, 1.0]; };\n"
      "init: { seed = 5; };\n"
      "solver: { t_final = 1.0; };\n"
      "sweep: {\n"
      "  axes = ( { param = \"model.beta\"; logspace = [0.1, 10.0]; count = 5; },\n"
      "           { name = \"a\"; linspace = [0.5, 1.46]; count = 25; },\n"
      "           { param = \"solver.method\"; values = [\"adams\", \"bdf\"]; } );\n"
      "  derived = [\"model.spectrum=[${a}, 1.0]\", \"solver.t_final=${2^3 - sqrt(4) + "
      "tanh(0) + a*0}\"];\n"
      "  replicas = 3;\n"
      "};\n";
  spx_sweep *s = NULL;
  int st = spx_sweep_load(write_cfg("expand.cfg", cfg, path, sizeof path), NULL, 0, &s);
  spx_test(st == SPX_OK, "expansion: a valid sweep loads", "status %d", st);
  if (st) return;
  spx_test(spx_sweep_naxes(s) == 3, "expansion: 3 axes", "%d", spx_sweep_naxes(s));
  spx_test(spx_sweep_npoints(s) == 5 * 25 * 2, "expansion: points = 5 x 25 x 2 (cartesian)",
           "%ld", spx_sweep_npoints(s));
  spx_test(strcmp(spx_sweep_axis_name(s, 0), "beta") == 0 && strcmp(spx_sweep_axis_name(s, 1), "a") == 0 &&
               strcmp(spx_sweep_axis_name(s, 2), "method") == 0,
           "expansion: axis names (param's last component, or name)", "%s %s %s",
           spx_sweep_axis_name(s, 0), spx_sweep_axis_name(s, 1), spx_sweep_axis_name(s, 2));
  /* last axis fastest: point = i_beta * 50 + i_a * 2 + i_method */
  int bad = 0;
  double maxrel = 0.0;
  for (long p = 0; p < spx_sweep_npoints(s); p++) {
    long ib = p / 50, ia = (p / 2) % 25, im = p % 2;
    const char *t;
    double b = spx_sweep_axis_value(s, 0, p, NULL);
    double a = spx_sweep_axis_value(s, 1, p, NULL);
    double m = spx_sweep_axis_value(s, 2, p, &t);
    double bexp = 0.1 * pow(100.0, ib / 4.0); /* logspace: lo (hi/lo)^(i/(count-1)) */
    maxrel = fmax(maxrel, fabs(b - bexp) / bexp);
    /* linspace step 0.96/24 = 0.04, values rounded to 15 digits: exactly the decimal 0.5+0.04 i */
    char want[32];
    snprintf(want, sizeof want, "%.2f", 0.5 + 0.04 * ia);
    if (a != strtod(want, NULL)) bad++;
    if (!isnan(m) || strcmp(t, im ? "bdf" : "adams") != 0) bad++;
  }
  spx_test(bad == 0, "expansion: linspace values are the decimals 0.50, 0.54, ..., 1.46; string "
                     "values in order", "%d mismatches", bad);
  spx_test_le("expansion: logspace values 0.1 * 100^(i/4) (rel err)", maxrel, 1e-14);
  spx_test(spx_sweep_axis_value(s, 0, 0, NULL) == 0.1 && spx_sweep_axis_value(s, 0, 249, NULL) == 10.0,
           "expansion: logspace ends are exactly the given ends", "%.17g %.17g",
           spx_sweep_axis_value(s, 0, 0, NULL), spx_sweep_axis_value(s, 0, 249, NULL));

  /* seeds: init.seed (5) + point * replicas + r (issue 6) */
  int seedbad = 0;
  for (long p = 0; p < spx_sweep_npoints(s); p += 37)
    for (int r = 0; r < 3; r++)
      if (spx_sweep_seed(s, p, r) != (unsigned long)(5 + p * 3 + r)) seedbad++;
  spx_test(seedbad == 0, "seeds: seed = init.seed + point * replicas + replica", "%d wrong",
           seedbad);

  /* the sets of one run and the config they give */
  long p = 3 * 50 + 7 * 2 + 1; /* beta = 0.1 * 100^(3/4), a = 0.78, bdf */
  const char *const *sets;
  int n;
  st = spx_sweep_run_sets(s, p, 2, &sets, &n);
  spx_test(st == SPX_OK && n == 5, "run sets: 2 axis keys + 2 derived + init.seed", "%d sets", n);
  if (st == SPX_OK) {
    const char *v = set_value(sets, n, "model.spectrum");
    spx_test(v && strcmp(v, "[0.78, 1.0]") == 0, "run sets: derived spectrum [${a}, 1.0] at a = 0.78",
             "%s", v ? v : "(none)");
    v = set_value(sets, n, "solver.t_final");
    spx_test(v && strcmp(v, "6") == 0, "run sets: expression 2^3 - sqrt(4) + tanh(0) + a*0 = 6",
             "%s", v ? v : "(none)");
    v = set_value(sets, n, "init.seed");
    char want[32];
    snprintf(want, sizeof want, "%ld", 5 + p * 3 + 2);
    spx_test(v && strcmp(v, want) == 0, "run sets: init.seed of (point, 2)", "%s vs %s",
             v ? v : "(none)", want);
    v = set_value(sets, n, "solver.method");
    spx_test(v && strcmp(v, "\"bdf\"") == 0, "run sets: string axis value quoted", "%s",
             v ? v : "(none)");
    spx_config *c = NULL;
    st = spx_config_load(path, sets, n, &c);
    spx_test(st == SPX_OK, "run config: loads", "status %d", st);
    if (st == SPX_OK) {
      const spx_run_params *rp = spx_config_params(c);
      spx_test(rp->model->spectrum[0] == 0.78 && rp->model->spectrum[1] == 1.0,
               "run config: V = diag(0.78, 1)", "%g %g", rp->model->spectrum[0],
               rp->model->spectrum[1]);
      spx_test_rel("run config: beta = 0.1 * 100^(3/4)", rp->model->beta, 0.1 * pow(100.0, 0.75),
                   1e-14);
      spx_test(rp->init.seed == (unsigned long)(5 + p * 3 + 2) && strcmp(rp->method, "bdf") == 0 &&
                   rp->t_final == 6.0,
               "run config: seed, method, t_final", "%lu %s %g", rp->init.seed, rp->method,
               rp->t_final);
    }
    spx_config_free(c);
  }
  spx_sweep_free(s);

  /* sweep.seed overrides init.seed; replicas default 1 */
  const char *cfg2 = "model: { n = 4; d = 3; };\ninit: { seed = 99; };\n"
                     "sweep: { axes = ( { param = \"model.d\"; values = [2, 3, 4]; } ); seed = 7; };\n";
  st = spx_sweep_load(write_cfg("seed.cfg", cfg2, path, sizeof path), NULL, 0, &s);
  spx_test(st == SPX_OK && spx_sweep_replicas(s) == 1 && spx_sweep_seed(s, 2, 0) == 9,
           "seeds: sweep.seed = 7, replicas 1: point 2 has seed 9", "status %d seed %lu", st,
           st ? 0UL : spx_sweep_seed(s, 2, 0));
  spx_sweep_free(s);

  /* an integral template value inside an array is written as a float (libconfig refuses
   * mixed arrays), and as an integer when it is the whole value (integer keys) */
  const char *cfg3 = "model: { n = 4; d = 2; spectrum = [1.0, 0.5]; };\n"
                     "sweep: { axes = ( { name = \"m\"; values = [2, 3]; } );\n"
                     "  derived = [\"model.spectrum=[1.0, -${m}]\", \"model.n=${2*m}\"]; };\n";
  char path3[256];
  st = spx_sweep_load(write_cfg("intarr.cfg", cfg3, path3, sizeof path3), NULL, 0, &s);
  spx_test(st == SPX_OK, "derived: integral values in an array load", "status %d", st);
  if (st == SPX_OK) {
    const char *const *sets3;
    int n3;
    spx_sweep_run_sets(s, 1, 0, &sets3, &n3);
    const char *v1 = set_value(sets3, n3, "model.spectrum"), *v2 = set_value(sets3, n3, "model.n");
    spx_test(v1 && v2 && strcmp(v1, "[1.0, -3.0]") == 0 && strcmp(v2, "6") == 0,
             "derived: [1.0, -${m}] -> [1.0, -3.0], n = ${2*m} -> 6 at m = 3", "%s, %s",
             v1 ? v1 : "-", v2 ? v2 : "-");
  }
  spx_sweep_free(s);

  /* --set overrides reach the sweep group and every run */
  const char *user[] = {"sweep.replicas=4", "model.n=5"};
  st = spx_sweep_load(path, user, 2, &s);
  if (st == SPX_OK) {
    const char *const *sets2;
    int n2;
    spx_sweep_run_sets(s, 1, 3, &sets2, &n2);
    spx_config *c = NULL;
    int ok = spx_config_load(path, sets2, n2, &c) == SPX_OK && spx_config_params(c)->model->n == 5 &&
             spx_config_params(c)->model->d == 3 && spx_config_params(c)->init.seed == 7 + 4 + 3;
    spx_config_free(c);
    spx_test(ok && spx_sweep_replicas(s) == 4, "--set: replicas and model.n overridden; point 1 "
                                               "replica 3 has d = 3, seed 14", "%d", ok);
  } else {
    spx_test(0, "--set: sweep loads with overrides", "status %d", st);
  }
  spx_sweep_free(s);
}

/* Each bad sweep group is refused with SPX_EINVAL (messages are checked by tests/cli_sweep.sh). */
static void test_bad(void)
{
  static const struct {
    const char *name, *sweep;
  } cases[] = {
      {"empty axis", "axes = ( { param = \"model.beta\"; values = []; } );"},
      {"no axes", "replicas = 2;"},
      {"empty axes list", "axes = ();"},
      {"unknown key", "axes = ( { param = \"model.bta\"; values = [1.0, 2.0]; } );"},
      {"count 0", "axes = ( { param = \"model.beta\"; linspace = [0.5, 1.0]; count = 0; } );"},
      {"count negative", "axes = ( { param = \"model.beta\"; linspace = [0.5, 1.0]; count = -3; } );"},
      {"linspace without count", "axes = ( { param = \"model.beta\"; linspace = [0.5, 1.0]; } );"},
      {"logspace zero end", "axes = ( { param = \"model.beta\"; logspace = [0.0, 1.0]; count = 3; } );"},
      {"logspace negative end", "axes = ( { param = \"model.beta\"; logspace = [1.0, -2.0]; count = 3; } );"},
      {"two kinds", "axes = ( { param = \"model.beta\"; values = [1.0]; linspace = [0.5, 1.0]; count = 2; } );"},
      {"unknown axis member", "axes = ( { param = \"model.beta\"; values = [1.0]; step = 2; } );"},
      {"out-of-range value", "axes = ( { param = \"model.beta\"; values = [1.0, -1.0]; } );"},
      {"init.seed axis", "axes = ( { param = \"init.seed\"; values = [1, 2]; } );"},
      {"unused named axis", "axes = ( { name = \"a\"; values = [1.0, 2.0]; } );"},
      {"bad template syntax", "axes = ( { name = \"a\"; values = [1.0]; } ); derived = [\"model.beta=${2*(a}\"];"},
      {"bad template", "axes = ( { name = \"a\"; values = [1.0]; } ); derived = [\"model.beta=${a*b}\"];"},
      {"unknown metric", "axes = ( { param = \"model.beta\"; values = [1.0]; } ); metrics = [\"f_minus\"];"},
      {"replicas 0", "axes = ( { param = \"model.beta\"; values = [1.0]; } ); replicas = 0;"},
      {"unknown sweep key", "axes = ( { param = \"model.beta\"; values = [1.0]; } ); replica = 2;"},
      {"figure axis", "axes = ( { param = \"model.beta\"; values = [1.0]; } ); figures = ( { kind = \"fractions\"; x = \"d\"; } );"},
      {"seed overflow", "axes = ( { param = \"model.beta\"; values = [1.0, 2.0]; } ); seed = 4294967295;"},
  };
  char path[256], text[1024];
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    snprintf(text, sizeof text, "model: { n = 4; d = 2; };\nsweep: {\n  %s\n};\n", cases[i].sweep);
    spx_sweep *s = NULL;
    fprintf(stderr, "[expected error: %s]\n", cases[i].name);
    int st = spx_sweep_load(write_cfg("bad.cfg", text, path, sizeof path), NULL, 0, &s);
    char nm[128];
    snprintf(nm, sizeof nm, "bad sweep refused: %s", cases[i].name);
    spx_test(st == SPX_EINVAL && s == NULL, nm, "status %d", st);
    spx_sweep_free(s);
  }
  /* a config without a sweep group */
  spx_sweep *s = NULL;
  int st = spx_sweep_load(write_cfg("nosweep.cfg", "model: { n = 4; };\n", path, sizeof path), NULL, 0, &s);
  spx_test(st == SPX_EINVAL, "bad sweep refused: no sweep group", "status %d", st);
  spx_sweep_free(s);
}

static void test_theory(void)
{
  /* spec §6.4: k* = argmax_k k^2 I_k(beta) at beta = 10, 30, 50, 100, 300 -> 4, 8, 10, 14, 24;
   * sigma*_SA = 0.697, 0.726, 0.731, 0.733, 0.734 (three decimals) */
  static const double beta[] = {10, 30, 50, 100, 300};
  static const int kstar[] = {4, 8, 10, 14, 24};
  static const double sig[] = {0.697, 0.726, 0.731, 0.733, 0.734};
  for (int i = 0; i < 5; i++) {
    char nm[96];
    int k = spx_sweep_kstar_circle(beta[i]);
    snprintf(nm, sizeof nm, "k*(beta = %g) = %d (spec §6.4)", beta[i], kstar[i]);
    spx_test(k == kstar[i], nm, "got %d", k);
    snprintf(nm, sizeof nm, "sigma*(beta = %g) = %.3f (spec §6.4)", beta[i], sig[i]);
    spx_test_abs(nm, spx_sweep_sigma_circle(k, beta[i]), sig[i], 5e-4);
  }
  /* sigma* -> 2/e as beta -> infinity (spec §6.4) */
  int k = spx_sweep_kstar_circle(2e4);
  spx_test_abs("sigma*(beta = 2e4) near 2/e", spx_sweep_sigma_circle(k, 2e4), 2.0 / M_E, 2e-3);
  spx_test(spx_sweep_kstar_circle(0.0) == 0 && isnan(spx_sweep_sigma_circle(0, 1.0)),
           "k*(0) = 0, sigma_0 undefined", NULL);

  /* spec §10 item 3: SA equiangular rho(1), rho(4) for n = 8 from rho(0) = 0, to 1e-4 */
  static const double eb[] = {0.5, 2.0, 5.0};
  static const double r1[] = {0.40970, 0.23070, 0.013830}, r4[] = {0.996807, 0.990088, 0.071744};
  for (int i = 0; i < 3; i++) {
    char nm[96];
    snprintf(nm, sizeof nm, "equiangular SA n = 8, beta = %g: rho(1) (spec §10 item 3)", eb[i]);
    spx_test_abs(nm, spx_sweep_equiangular(8, eb[i], 0.0, 1.0), r1[i], 1e-4);
    snprintf(nm, sizeof nm, "equiangular SA n = 8, beta = %g: rho(4) (spec §10 item 3)", eb[i]);
    spx_test_abs(nm, spx_sweep_equiangular(8, eb[i], 0.0, 4.0), r4[i], 1e-4);
  }
}

/* Round trip of the number format of the tables. */
static void test_format(void)
{
  int bad = 0;
  unsigned long x = 88172645463325252UL;
  for (int i = 0; i < 20000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    double v;
    memcpy(&v, &x, sizeof v);
    if (!isfinite(v)) continue;
    char b[64];
    spx_sweep_fmt(b, sizeof b, v);
    if (strtod(b, NULL) != v) bad++;
  }
  spx_test(bad == 0, "format: every finite double reads back exactly", "%d failures", bad);
  char b[64];
  spx_sweep_fmt(b, sizeof b, 0.5 + 0.04);
  spx_test(strcmp(b, "0.54") == 0 || strtod(b, NULL) == 0.5 + 0.04, "format: shortest text", "%s", b);
  spx_sweep_fmt(b, sizeof b, 0.1);
  spx_test(strcmp(b, "0.1") == 0, "format: 0.1 prints as 0.1", "%s", b);
}

int main(void)
{
  gsl_set_error_handler_off();
  snprintf(dir, sizeof dir, "/tmp/spx_test_sweep.XXXXXX");
  if (!mkdtemp(dir)) {
    printf("FAIL mkdtemp\n0 passed, 1 failed\n");
    return 1;
  }
  test_expansion();
  test_bad();
  test_theory();
  test_format();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return spx_test_summary();
}
