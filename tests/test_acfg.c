/* test_acfg.c -- the analysis configs of `bin/sim analyze` (sim/acfg.c): the key table's checks,
 * defaults, --set overrides, lists of groups and the resolved config.
 *
 * Every check follows from the key table's declaration (types, ranges, choices, lengths, required
 * keys, the commands a group serves); the messages with file:line are checked by
 * tests/cli_analyze.sh.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acfg.h"
#include "harness.h"
#include "status.h"

static char dir[64];

/* Write text to DIR/name and return the path (static buffer per call site is enough here). */
static const char *put(const char *name, const char *text)
{
  static char path[8][128];
  static int next;
  char *p = path[next++ % 8];
  snprintf(p, 128, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
  return p;
}

static int load(const char *text, int cmd, const char *set)
{
  spx_acfg *c = NULL;
  const char *sets[1] = {set};
  int st = spx_acfg_load(put("t.cfg", text), cmd, sets, set ? 1 : 0, &c);
  spx_acfg_free(c);
  return st;
}

static void test_valid(void)
{
  spx_acfg *c = NULL;
  const char *path = put("gap_ok.cfg", "keys = { file = \"k.tsv\"; n = 40; d = 24; };\n"
                                       "count = { nodes = 600; };\nperturb = { eps = [0.1, 0.5]; };\n");
  int st = spx_acfg_load(path, SPX_AN_GAP, NULL, 0, &c);
  spx_test(st == SPX_OK && c, "a valid gap config loads", "status %d", st);
  if (!c) return;
  double v[8];
  spx_test(strcmp(spx_acfg_name(c), "gap_ok") == 0, "the name defaults to the file stem", "%s",
           spx_acfg_name(c));
  spx_test(spx_acfg_has(c, "count") && !spx_acfg_has(c, "energy"), "groups present switch parts on",
           NULL);
  spx_test(spx_acfg_int(c, "count.nodes") == 600 && spx_acfg_int(c, "count.theta_points") == 240,
           "given values and the table's defaults (count.theta_points = 240)", "%ld %ld",
           spx_acfg_int(c, "count.nodes"), spx_acfg_int(c, "count.theta_points"));
  spx_test(spx_acfg_num(c, "keys.beta") == 1.0 && strcmp(spx_acfg_str(c, "keys.potential"), "attention") == 0 &&
               !spx_acfg_bool(c, "keys.center"),
           "defaults of keys.beta, keys.potential, keys.center", NULL);
  int n = spx_acfg_vec(c, "perturb.eps", v, 8);
  int nd = spx_acfg_vec(c, "count.theta_decades", v + 2, 6);
  spx_test(n == 2 && v[1] == 0.5 && nd == 2 && v[2] == -2.3 && v[3] == 0.05,
           "vectors: given and default (count.theta_decades = [-2.3, 0.05])", "%d %d", n, nd);
  /* defaults of an absent group are still readable (the getters fall back to the table) */
  spx_test(spx_acfg_num(c, "ring.radius") == 1.8 && spx_acfg_int(c, "ring.count") == 8,
           "defaults of an absent group (ring) are readable", NULL);
  /* the resolved config is a loadable config with the same values */
  const char *rp = put("resolved.cfg", "");
  FILE *f = fopen(rp, "w");
  st = f ? spx_acfg_write_resolved(c, f) : SPX_EIO;
  if (f) fclose(f);
  spx_acfg *c2 = NULL;
  int st2 = spx_acfg_load(rp, SPX_AN_GAP, NULL, 0, &c2);
  spx_test(st == SPX_OK && st2 == SPX_OK && c2 && spx_acfg_int(c2, "count.nodes") == 600 &&
               spx_acfg_setting(c2, "count.theta_points") != NULL && spx_acfg_vec(c2, "perturb.eps", v, 8) == 2,
           "the resolved config reloads with every default written out", "status %d %d", st, st2);
  spx_acfg_free(c2);
  spx_acfg_free(c);
}

static void test_errors(void)
{
  const char *keys = "keys = { file = \"k.tsv\"; n = 40; d = 24; };\n";
  char buf[512];
  spx_test(load("foo = 1;\n", SPX_AN_GAP, NULL) == SPX_EINVAL, "error: unknown top-level key", NULL);
  spx_test(load("geodesic = { };\n", SPX_AN_GAP, NULL) == SPX_EINVAL,
           "error: a group of another subcommand (geodesic under gap)", NULL);
  snprintf(buf, sizeof buf, "%scount = { nodez = 3; };\n", keys);
  spx_test(load(buf, SPX_AN_GAP, NULL) == SPX_EINVAL, "error: unknown member of a group", NULL);
  snprintf(buf, sizeof buf, "%scount = { nodes = \"many\"; };\n", keys);
  spx_test(load(buf, SPX_AN_GAP, NULL) == SPX_EINVAL, "error: wrong type (string for an integer)", NULL);
  snprintf(buf, sizeof buf, "%scount = { nodes = 0; };\n", keys);
  spx_test(load(buf, SPX_AN_GAP, NULL) == SPX_EINVAL, "error: out of range (count.nodes = 0 < 1)", NULL);
  spx_test(load("keys = { file = \"k\"; n = 4; d = 2; potential = \"cubic\"; };\n", SPX_AN_GAP, NULL) ==
               SPX_EINVAL,
           "error: a string outside its choices", NULL);
  spx_test(load("energy = { point = [1.0]; };\n", SPX_AN_GAP, NULL) == SPX_EINVAL,
           "error: a vector of the wrong length", NULL);
  spx_test(load("energy = { point = [1.0, \"a\"]; };\n", SPX_AN_GAP, NULL) == SPX_EINVAL,
           "error: a vector with a non-number", NULL);
  spx_test(load("keys = { n = 40; d = 24; };\n", SPX_AN_GAP, NULL) == SPX_EINVAL,
           "error: a required key is missing (keys.file)", NULL);
  spx_test(load("keys = { file = \"k\"; n = 40; d = 24; \n", SPX_AN_GAP, NULL) == SPX_EINVAL,
           "error: malformed libconfig", NULL);
  spx_test(load("flow = { config = \"a.cfg\"; equilibria = ( { mode = 2; } ); };\n", SPX_AN_GAP, NULL) ==
               SPX_EINVAL,
           "error: a list element without its required kind", NULL);
  spx_test(load("flow = { config = \"a.cfg\"; equilibria = ( { kind = \"pure_mode\"; color = 2; } ); };\n",
                SPX_AN_GAP, NULL) == SPX_EINVAL,
           "error: an unknown member of a list element", NULL);
  spx_test(load(keys, SPX_AN_GAP, "count.nodes=0") == SPX_EINVAL, "error: --set out of range", NULL);
  spx_test(load(keys, SPX_AN_GAP, "count.nodez=5") == SPX_EINVAL, "error: --set unknown key", NULL);
  spx_test(load(keys, SPX_AN_GAP, "count.nodes") == SPX_EINVAL, "error: --set without a value", NULL);
  spx_test(load(keys, SPX_AN_GAP, "count.nodes=[1") == SPX_EINVAL, "error: --set malformed value", NULL);
  spx_test(load(keys, SPX_AN_GAP, "flow.equilibria.mode=2") == SPX_EINVAL,
           "error: --set of one member of a list (set the whole list)", NULL);
  spx_test(load(keys, SPX_AN_GAP, "name=\"a/b\"") == SPX_EINVAL, "error: a name with a slash", NULL);
  spx_acfg *c = NULL;
  spx_test(spx_acfg_load(dir, SPX_AN_GAP, NULL, 0, &c) == SPX_EINVAL && !c, "error: a directory", NULL);
  spx_test(spx_acfg_load("/nonexistent/x.cfg", SPX_AN_GAP, NULL, 0, &c) == SPX_EINVAL,
           "error: a missing file", NULL);
}

static void test_sets_and_lists(void)
{
  spx_acfg *c = NULL;
  const char *sets[3] = {"count.nodes=128", "perturb.eps=[0.2, 0.4, 0.6]", "name=\"other\""};
  const char *path = put("s.cfg", "keys = { file = \"k\"; n = 4; d = 2; };\ncount = { nodes = 600; };\n");
  int st = spx_acfg_load(path, SPX_AN_GAP, sets, 3, &c);
  double v[4];
  spx_test(st == SPX_OK && spx_acfg_int(c, "count.nodes") == 128 && spx_acfg_vec(c, "perturb.eps", v, 4) == 3 &&
               v[2] == 0.6 && spx_acfg_has(c, "perturb") && strcmp(spx_acfg_name(c), "other") == 0,
           "--set replaces a value, adds a group, sets the name", "status %d", st);
  spx_acfg_free(c);
  c = NULL;
  path = put("l.cfg", "flow = { config = \"a.cfg\"; equilibria = ( { kind = \"pure_mode\"; },\n"
                      "  { kind = \"mixed\"; m = 2; } ); };\n");
  st = spx_acfg_load(path, SPX_AN_INERTIAL, NULL, 0, &c);
  const config_setting_t *l = c ? spx_acfg_setting(c, "flow.equilibria") : NULL;
  spx_test(st == SPX_OK && l && config_setting_length(l) == 2 &&
               spx_acfg_snum(config_setting_get_elem(l, 0), "mode") == 1 &&
               spx_acfg_snum(config_setting_get_elem(l, 0), "n_plus") == -1 &&
               spx_acfg_snum(config_setting_get_elem(l, 1), "m") == 2 &&
               spx_acfg_snum(config_setting_get_elem(l, 1), "k") == 1,
           "a list of groups: each element gets the members' defaults", "status %d", st);
  spx_acfg_free(c);
  /* the same flow group is valid for gap and inertial, not for geodesic */
  spx_test(spx_acfg_load(path, SPX_AN_GEODESIC, NULL, 0, &c) == SPX_EINVAL, "error: flow under geodesic",
           NULL);
}

int main(void)
{
  snprintf(dir, sizeof dir, "/tmp/spx_test_acfg.XXXXXX");
  if (!mkdtemp(dir)) {
    spx_test(0, "mkdtemp", NULL);
    return spx_test_summary();
  }
  test_valid();
  test_errors();
  test_sets_and_lists();
  /* clean up the scratch folder */
  const char *names[] = {"t.cfg", "gap_ok.cfg", "resolved.cfg", "s.cfg", "l.cfg"};
  for (int i = 0; i < 5; i++) {
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, names[i]);
    unlink(p);
  }
  rmdir(dir);
  return spx_test_summary();
}
