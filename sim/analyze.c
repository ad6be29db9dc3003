/* analyze.c -- the `bin/sim analyze` command: options, loading of every input before anything is
 * written (bad input: exit 2, folder untouched), the output folder, summary.tsv, gnuplot, and the
 * dispatch to analyze_gap.c / analyze_inertial.c / analyze_geodesic.c (analyze.h).
 */
#include "analyze.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flowhess.h"
#include "gap.h"
#include "output.h"
#include "stability.h"
#include "status.h"
#include "table.h"

void spx_an_sum(spx_an *a, const char *key, const char *fmt, ...)
{
  char val[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(val, sizeof val, fmt, ap);
  va_end(ap);
  size_t need = strlen(key) + strlen(val) + 3;
  if (a->summary_len + need >= a->summary_cap) {
    size_t cap = a->summary_cap ? 2 * a->summary_cap : 4096;
    while (cap < a->summary_len + need + 1) cap *= 2;
    char *nb = realloc(a->summary, cap);
    if (!nb) return;
    a->summary = nb;
    a->summary_cap = cap;
  }
  a->summary_len += (size_t)sprintf(a->summary + a->summary_len, "%s\t%s\n", key, val);
}

int spx_an_open(spx_an *a, const char *name, const char *comment, const char *columns,
                spx_out_file *of)
{
  int status = spx_out_open(of, a->out, name);
  if (status) return status;
  fprintf(of->f, "# %s\n# %s\n", comment, columns);
  return SPX_OK;
}

void spx_an_plot(spx_an *a, const char *script, const char *extra)
{
  if (!a->plots) return;
  char assign[4096], name[512];
  /* the name goes into a single-quoted gnuplot string shown as enhanced text: drop quotes and
   * escape the enhanced-text operators */
  size_t o = 0;
  for (const char *p = spx_acfg_name(a->cfg); *p && o + 3 < sizeof name; p++) {
    if (*p == '\'' || *p == '"' || *p == '\\') continue;
    if (strchr("_^{}@&~", *p)) name[o++] = '\\';
    name[o++] = *p;
  }
  name[o] = '\0';
  snprintf(assign, sizeof assign, "name='%s'; fmt='%s'%s%s", name, a->fmt, extra && *extra ? "; " : "",
           extra ? extra : "");
  spx_out_gnuplot(a->out, script, assign);
}

int spx_an_key_hessian(spx_an *a, double **Hp, double **Bp, int *dim)
{
  int status = SPX_OK;
  const int d = spx_fe_dim(a->fe);
  double *H = NULL, *B = NULL;
  *Hp = NULL;
  if (Bp) *Bp = NULL;
  if (!a->sphere) {
    H = malloc(sizeof(double) * d * d);
    if (!H) return SPX_ENOMEM;
    SPX_TRY(spx_fe_eval(a->fe, a->point, NULL, NULL, H));
    *dim = d;
  } else {
    H = malloc(sizeof(double) * d * d);
    B = malloc(sizeof(double) * d * d);
    if (!H || !B) {
      status = SPX_ENOMEM;
      goto cleanup;
    }
    SPX_TRY(spx_fe_sphere_tangent_hessian(a->fe, a->point, H, B));
    *dim = d - 1;
  }
  *Hp = H;
  H = NULL;
  if (Bp) {
    *Bp = B;
    B = NULL;
  }
cleanup:
  free(H);
  free(B);
  return status;
}

/* The key Hessian's spectrum and gap (analyze.h). */
void spx_an_keyspec_free(spx_an_keyspec *k)
{
  free(k->H);
  free(k->B);
  free(k->ev);
  free(k->V);
  spx_gap_ws_free(k->ws);
}

int spx_an_keyspec_build(spx_an *a, spx_an_keyspec *k)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  SPX_TRY(spx_an_key_hessian(a, &k->H, &k->B, &k->dim));
  const int n = k->dim;
  k->ev = malloc(sizeof(double) * n);
  k->V = malloc(sizeof(double) * n * n);
  if (!k->ev || !k->V) return SPX_ENOMEM;
  SPX_TRY(spx_gap_ws_create(n, &k->ws));
  SPX_TRY(spx_gap_eigen(k->ws, k->H, k->ev, k->V));
  spx_gap_settings s;
  spx_gap_settings_default(&s);
  if (spx_acfg_has(c, "count")) {
    s.floor_rel = spx_acfg_num(c, "count.floor_rel");
    s.top = (int)spx_acfg_int(c, "count.top");
    s.relgap_min = spx_acfg_num(c, "count.relgap_min");
  }
  /* On the sphere the term <x, kbar_p> P adds positive eigenvalues: dim E_- counts every negative
   * one (spec §8 item 19), so the gap to the null space is a candidate too ([ours]). */
  s.to_null = a->sphere && s.floor_rel > 0.0;
  SPX_TRY(spx_gap_find(n, k->ev, &s, &k->g));
  spx_out_file of;
  SPX_TRY(spx_an_open(a, "spectrum.tsv",
                      a->sphere ? "eigenvalues of the Riemannian Hessian of F on the tangent space "
                                  "(spec 7d.1), ascending"
                                : "eigenvalues of H = Hess F at keys.point (spec eq. 2), ascending",
                      "index\tlambda", &of));
  for (int i = 0; i < n; i++) fprintf(of.f, "%d\t%.17g\n", i + 1, k->ev[i]);
  SPX_TRY(spx_out_commit(&of));
  const spx_gap *g = &k->g;
  spx_an_sum(a, "hessian_dim", "%d", n);
  spx_an_sum(a, "lambda_min", "%.12g", k->ev[0]);
  spx_an_sum(a, "lambda_max", "%.12g", k->ev[n - 1]);
  spx_an_sum(a, "gap_verdict", "%s", spx_gap_verdict(g));
  spx_an_sum(a, "dim_E_minus", "%d", g->count);
  spx_an_sum(a, "gap_lambda_lo", "%.12g", g->lambda_lo);
  spx_an_sum(a, "gap_lambda_hi", "%.12g", g->lambda_hi);
  spx_an_sum(a, "gap_delta", "%.12g", g->delta);
  spx_an_sum(a, "gap_theta0", "%.12g", g->theta);
  spx_an_sum(a, "gap_jump", "%.6g", g->jump);
  spx_an_sum(a, "gap_relgap", "%.6g", g->relgap);
  spx_info("  H: dim %d, dim E_- = %d (%s), Delta = %.6g, theta_0 = %.6g, relgap %.4f", n, g->count,
           spx_gap_verdict(g), g->delta, g->theta, g->relgap);
cleanup:
  return status;
}

/* ---- loading --------------------------------------------------------------------------------- */

static int load_keys(spx_an *a)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  const long n = spx_acfg_int(c, "keys.n"), d = spx_acfg_int(c, "keys.d");
  double *K = NULL;
  SPX_TRY(spx_table_read(spx_acfg_str(c, "keys.file"), "keys.file", (int)n, (int)d, "keys.n",
                         "keys.d", &K, NULL, NULL));
  if (spx_acfg_bool(c, "keys.center"))
    for (int q = 0; q < d; q++) {
      double m = 0.0;
      for (long j = 0; j < n; j++) m += K[j * d + q] / n;
      for (long j = 0; j < n; j++) K[j * d + q] -= m;
    }
  spx_fe_kind kind = strcmp(spx_acfg_str(c, "keys.potential"), "quadratic") == 0 ? SPX_FE_QUADRATIC
                                                                                 : SPX_FE_ATTENTION;
  SPX_TRY(spx_fe_create(kind, (int)n, (int)d, spx_acfg_num(c, "keys.beta"), K, &a->fe));
  a->sphere = spx_acfg_bool(c, "keys.sphere");
  a->point = calloc((size_t)d, sizeof(double));
  if (!a->point) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  int len = spx_acfg_vec(c, "keys.point", a->point, (int)d);
  if (len >= 0 && len != d) {
    status = spx_acfg_bad(c, NULL, "keys.point", "has %d elements; keys.d = %ld", len, d);
    goto cleanup;
  }
  if (a->sphere) {
    if (d < 2) {
      status = spx_acfg_bad(c, NULL, "keys.sphere", "the sphere S^{d-1} needs keys.d >= 2");
      goto cleanup;
    }
    if (len < 0) a->point[d - 1] = 1.0;
    double s = 0.0;
    for (int q = 0; q < d; q++) s += a->point[q] * a->point[q];
    if (!(s > 0.0)) {
      status = spx_acfg_bad(c, NULL, "keys.point", "must be nonzero on the sphere");
      goto cleanup;
    }
    for (int q = 0; q < d; q++) a->point[q] /= sqrt(s);
  }
cleanup:
  free(K);
  return status;
}

static void free_states(spx_an *a)
{
  for (int i = 0; i < a->nstates; i++) {
    free(a->states[i].x);
    free(a->states[i].T);
  }
  free(a->states);
  a->states = NULL;
  a->nstates = 0;
}

static int load_flow(spx_an *a)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  const config_setting_t *sets = spx_acfg_setting(c, "flow.set");
  int nsets = sets ? config_setting_length(sets) : 0;
  const char **sv = calloc((size_t)(nsets > 0 ? nsets : 1), sizeof *sv);
  if (!sv) return SPX_ENOMEM;
  for (int i = 0; i < nsets; i++) sv[i] = config_setting_get_string_elem(sets, i);
  status = spx_config_load(spx_acfg_str(c, "flow.config"), sv, nsets, &a->flow_cfg);
  free(sv);
  if (status) {
    spx_acfg_bad(c, NULL, "flow.config", "the flow's run config could not be loaded (above)");
    return status;
  }
  const spx_model *m = spx_config_params(a->flow_cfg)->model;
  if (!m->gradient_flow)
    return spx_acfg_bad(c, NULL, "flow.config",
                        "the model must be the symmetric flow A = V = V^T without a mask and with "
                        "one head under SA (sphere_dynamics.md §3): F = -E_beta does not exist "
                        "otherwise");
  if ((long)m->n * (m->d - 1) > 2000)
    return spx_acfg_bad(c, NULL, "flow.config", "n (d-1) = %ld exceeds 2000 (dense Hessian)",
                        (long)m->n * (m->d - 1));
  const config_setting_t *list = spx_acfg_setting(c, "flow.equilibria");
  const int n = m->n, d = m->d, ne = config_setting_length(list);
  a->states = calloc((size_t)ne, sizeof *a->states);
  if (!a->states) return SPX_ENOMEM;
  a->nstates = ne;
  for (int e = 0; e < ne; e++) {
    const config_setting_t *g = config_setting_get_elem(list, e);
    spx_an_state *s = &a->states[e];
    const char *kind = spx_acfg_sstr(g, "kind"), *lab = spx_acfg_sstr(g, "label");
    s->x = malloc(sizeof(double) * n * d);
    s->T = malloc(sizeof(double) * n * (d - 1) * d);
    if (!s->x || !s->T) return SPX_ENOMEM;
    if (strcmp(kind, "pure_mode") == 0) {
      int k = (int)spx_acfg_snum(g, "mode"), np = (int)spx_acfg_snum(g, "n_plus");
      if (k > d)
        return spx_acfg_bad(c, config_setting_get_member(g, "mode"), "flow.equilibria.mode",
                            "%d exceeds model.d = %d", k, d);
      if (np < 0) np = n;
      if (np > n)
        return spx_acfg_bad(c, config_setting_get_member(g, "n_plus"), "flow.equilibria.n_plus",
                            "%d exceeds model.n = %d", np, n);
      SPX_TRY(spx_stability_pm_state(m, k - 1, np, n - np, s->x));
      SPX_TRY(spx_stability_basis_pm(n, d, m->U, k - 1, s->T));
      snprintf(s->label, sizeof s->label, "u%d_%d:%d", k, np, n - np);
    } else if (strcmp(kind, "file") == 0) {
      const char *f = spx_acfg_sstr(g, "file");
      double *t = NULL;
      if (!f) return spx_acfg_bad(c, g, "flow.equilibria.file", "kind \"file\" needs file = \"...\"");
      SPX_TRY(spx_table_read(f, "flow.equilibria.file", n, d, "model.n", "model.d", &t, NULL, NULL));
      for (int i = 0; i < n; i++) {
        double r = 0.0;
        for (int q = 0; q < d; q++) r += t[(long)i * d + q] * t[(long)i * d + q];
        if (!(r > 0.0)) {
          free(t);
          return spx_acfg_bad(c, g, "flow.equilibria.file", "%s: row %d is zero", f, i + 1);
        }
        for (int q = 0; q < d; q++) s->x[(long)i * d + q] = t[(long)i * d + q] / sqrt(r);
      }
      free(t);
      SPX_TRY(spx_stability_basis_householder(n, d, s->x, s->T));
      const char *b = strrchr(f, '/');
      snprintf(s->label, sizeof s->label, "file_%s", b ? b + 1 : f);
    } else { /* mixed */
      const config_setting_t *ms = config_setting_get_member(g, "modes");
      double md[2];
      for (int q = 0; q < 2; q++) {
        const config_setting_t *el = config_setting_get_elem(ms, q);
        md[q] = config_setting_type(el) == CONFIG_TYPE_FLOAT ? config_setting_get_float(el)
                                                             : (double)config_setting_get_int64(el);
      }
      int ia = (int)md[0] - 1, ib = (int)md[1] - 1, mm = (int)spx_acfg_snum(g, "m"),
          kk = (int)spx_acfg_snum(g, "k"), root = (int)spx_acfg_snum(g, "root");
      if (ia >= d || ib >= d || ia == ib)
        return spx_acfg_bad(c, ms, "flow.equilibria.modes", "needs two different modes in 1..%d", d);
      if (mm + 2 * kk != n)
        return spx_acfg_bad(c, g, "flow.equilibria.m", "m + 2 k = %d must equal model.n = %d",
                            mm + 2 * kk, n);
      double roots[64];
      int nr = 0;
      SPX_TRY(spx_stability_mixed_roots(m->spectrum[ia], m->spectrum[ib], m->beta, mm, kk, 64,
                                        roots, &nr));
      if (root > nr)
        return spx_acfg_bad(c, config_setting_get_member(g, "root"), "flow.equilibria.root",
                            "only %d roots q in (-1, 1) exist for these modes, m and k", nr);
      SPX_TRY(spx_stability_mixed_state(d, m->U, ia, ib, mm, kk, roots[root - 1], s->x));
      SPX_TRY(spx_stability_basis_householder(n, d, s->x, s->T));
      snprintf(s->label, sizeof s->label, "mixed_u%d_u%d_q%.4f", ia + 1, ib + 1, roots[root - 1]);
    }
    if (lab) {
      snprintf(s->label, sizeof s->label, "%s", lab);
      for (char *p = s->label; *p; p++)
        if (*p == '\t' || *p == ' ' || *p == '\'' || *p == '"') *p = '_';
    }
  }
cleanup:
  return status;
}

static int load_symmetric(spx_an *a)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  const int m = (int)spx_acfg_int(c, "symmetric.m"), d = (int)spx_acfg_int(c, "symmetric.d"),
            nc = (int)spx_acfg_int(c, "symmetric.per_cluster");
  SPX_TRY(spx_table_read(spx_acfg_str(c, "symmetric.keys"), "symmetric.keys", m * nc, d,
                         "symmetric.m x symmetric.per_cluster", "symmetric.d", &a->sym_keys, NULL,
                         NULL));
  SPX_TRY(spx_table_read(spx_acfg_str(c, "symmetric.centres"), "symmetric.centres", m, d,
                         "symmetric.m", "symmetric.d", &a->sym_centres, NULL, NULL));
cleanup:
  return status;
}

/* Everything the subcommand needs, with the cross-key checks. */
static int load_inputs(spx_an *a)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  int any = 0;
  static const char *const parts_gap[] = {"count", "perturb", "energy", "spreads", "confinement",
                                          "temperature", "symmetric", "flow", NULL};
  static const char *const parts_in[] = {"spreads", "sweep", "flow", NULL};
  static const char *const parts_geo[] = {"geodesic", NULL};
  const char *const *parts = a->cmd == SPX_AN_GAP ? parts_gap : a->cmd == SPX_AN_INERTIAL ? parts_in
                                                                                        : parts_geo;
  for (int i = 0; parts[i]; i++) any |= spx_acfg_has(c, parts[i]);
  if (!any) {
    char list[256] = "";
    for (int i = 0; parts[i]; i++) {
      strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
      strncat(list, parts[i], sizeof list - strlen(list) - 1);
    }
    spx_error("%s: nothing to analyze: give at least one of the groups %s", spx_acfg_path(c), list);
    return SPX_EINVAL;
  }
  int need_keys = spx_acfg_has(c, "count") || spx_acfg_has(c, "perturb") ||
                  spx_acfg_has(c, "spreads") || spx_acfg_has(c, "sweep") ||
                  (spx_acfg_has(c, "geodesic") && strcmp(spx_acfg_str(c, "geodesic.geometry"), "s2") == 0);
  if (need_keys && !spx_acfg_has(c, "keys"))
    return spx_acfg_bad(c, NULL, spx_acfg_has(c, "geodesic") ? "geodesic.geometry" : "keys",
                        "this analysis needs the fixed key set: add keys = { file = ...; n = ...; "
                        "d = ...; }");
  if (spx_acfg_has(c, "keys")) SPX_TRY(load_keys(a));
  if (spx_acfg_has(c, "sweep") && !spx_acfg_has(c, "spreads"))
    return spx_acfg_bad(c, NULL, "sweep", "the damping sweep uses the settings of the spreads group: "
                        "add spreads = { ... };");
  if (a->fe && a->sphere && (spx_acfg_has(c, "spreads") || spx_acfg_has(c, "sweep")) &&
      spx_fe_get_kind(a->fe) != SPX_FE_ATTENTION)
    return spx_acfg_bad(c, NULL, "keys.potential", "the sphere flow is for attention keys");
  if (spx_acfg_has(c, "spreads") && a->fe) {
    int dim = a->sphere ? spx_fe_dim(a->fe) - 1 : spx_fe_dim(a->fe);
    if (spx_acfg_int(c, "spreads.modes") > dim)
      return spx_acfg_bad(c, NULL, "spreads.modes", "%ld exceeds the %d eigen-directions",
                          spx_acfg_int(c, "spreads.modes"), dim);
    if (spx_acfg_has(c, "sweep") && spx_acfg_int(c, "sweep.mode") > dim)
      return spx_acfg_bad(c, NULL, "sweep.mode", "%ld exceeds the %d eigen-directions",
                          spx_acfg_int(c, "sweep.mode"), dim);
  }
  if (spx_acfg_has(c, "geodesic")) {
    int s2 = strcmp(spx_acfg_str(c, "geodesic.geometry"), "s2") == 0;
    if (s2) {
      if (spx_fe_dim(a->fe) != 3 || spx_fe_get_kind(a->fe) != SPX_FE_ATTENTION || a->sphere)
        return spx_acfg_bad(c, NULL, "keys.d", "geometry \"s2\" needs attention keys in R^3 "
                            "(keys.d = 3, keys.potential = \"attention\", keys.sphere = false)");
      SPX_TRY(spx_acfg_require(c, "geodesic.start"));
      SPX_TRY(spx_acfg_require(c, "geodesic.direction"));
    }
    double r[2];
    spx_acfg_vec(c, "geodesic.range", r, 2);
    if (!(r[1] > r[0])) return spx_acfg_bad(c, NULL, "geodesic.range", "needs lo < hi");
    spx_acfg_vec(c, "geodesic.segment", r, 2);
    if (!(r[1] > r[0])) return spx_acfg_bad(c, NULL, "geodesic.segment", "needs lo < hi");
  }
  if (spx_acfg_has(c, "count")) {
    double r[2];
    if (spx_acfg_vec(c, "count.theta_range", r, 2) == 2 && !(r[1] > r[0]))
      return spx_acfg_bad(c, NULL, "count.theta_range", "needs lo < hi");
    spx_acfg_vec(c, "count.theta_decades", r, 2);
    if (!(r[1] > r[0])) return spx_acfg_bad(c, NULL, "count.theta_decades", "needs a < b");
  }
  if (spx_acfg_has(c, "spreads")) {
    double r[2];
    spx_acfg_vec(c, "spreads.window", r, 2);
    if (!(r[1] > r[0] && r[0] > 0)) return spx_acfg_bad(c, NULL, "spreads.window", "needs 0 < lo < hi");
    if (spx_acfg_num(c, "spreads.dt") > spx_acfg_num(c, "spreads.T"))
      return spx_acfg_bad(c, NULL, "spreads.dt", "exceeds spreads.T");
  }
  if (spx_acfg_has(c, "energy")) {
    double r[2];
    spx_acfg_vec(c, "energy.span", r, 2);
    if (!(r[1] > r[0] && r[0] > 0)) return spx_acfg_bad(c, NULL, "energy.span", "needs 0 < lo < hi");
  }
  if (spx_acfg_has(c, "symmetric")) SPX_TRY(load_symmetric(a));
  if (spx_acfg_has(c, "flow")) SPX_TRY(load_flow(a));
cleanup:
  return status;
}

/* ---- the command ---------------------------------------------------------------------------- */

static void help(FILE *f, int cmd)
{
  fprintf(f,
          "usage: bin/sim analyze gap|inertial|geodesic CONFIG [--set KEY=VALUE]... [--out DIR]\n"
          "                       [--force] [--quiet]\n\n"
          "The analysis stage of the spectral-gap paper (spec spectral_gap.md) and its versions on\n"
          "the sphere, from an analysis config (libconfig; see configs/gap_*.cfg, inertial_*.cfg,\n"
          "geodesic_*.cfg). Writes TSV tables, summary.tsv, config.resolved.cfg and figures into\n"
          "output/NAME (NAME: the config's `name`, else its file stem) or DIR.\n\n"
          "  gap       dim E_- as a well-posed count: gap finder, count over theta, Riesz trace and\n"
          "            projector, perturbations (Weyl, Davis-Kahan), K_JM energy window, spreads\n"
          "            (the four-panel verification), count-law windows, symmetric control, and the\n"
          "            Hessian of F = -E_beta of the interacting flow at equilibria\n"
          "  inertial  inertial flows: spreads and fitted rates against z_+, damping sweep, and the\n"
          "            inertial interacting flow near equilibria (growing modes vs dim E_- and the\n"
          "            Morse index)\n"
          "  geodesic  Jacobi-Maupertuis curvature against finite differences and a geodesic bundle\n"
          "            against the Jacobi equation (flat geometry B, or S^2)\n\n"
          "  --set KEY=VALUE  override a key (libconfig value), e.g. --set perturb.trials=40\n"
          "  --out DIR        output folder (default output/NAME)\n"
          "  --force          overwrite the results of an earlier analysis in that folder\n"
          "  --quiet          no informational output\n\n"
          "exit status: 0 done, 2 invalid input (nothing written), 3 integration failure, 1 other\n\n");
  spx_acfg_print_keys(f, cmd ? cmd : SPX_AN_GAP | SPX_AN_INERTIAL | SPX_AN_GEODESIC);
}

int spx_analyze_main(int argc, char **argv)
{
  int status = SPX_OK, cmd = 0, force = 0, quiet = 0, nsets = 0;
  const char *cfgpath = NULL, *out = NULL;
  const char **sets = calloc((size_t)argc + 1, sizeof *sets);
  spx_acfg *cfg = NULL;
  spx_an a;
  char outbuf[4096];
  memset(&a, 0, sizeof a);
  if (!sets) return 1;
  if (argc >= 2) {
    if (strcmp(argv[1], "gap") == 0) cmd = SPX_AN_GAP;
    else if (strcmp(argv[1], "inertial") == 0) cmd = SPX_AN_INERTIAL;
    else if (strcmp(argv[1], "geodesic") == 0) cmd = SPX_AN_GEODESIC;
  }
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      help(stdout, cmd);
      free(sets);
      return 0;
    }
  if (!cmd) {
    spx_error("analyze: %s%s%s; usage: bin/sim analyze gap|inertial|geodesic CONFIG "
              "[--set KEY=VALUE]... [--out DIR] [--force]",
              argc < 2 ? "no analysis given" : "unknown analysis \"", argc < 2 ? "" : argv[1],
              argc < 2 ? "" : "\" (allowed: gap, inertial, geodesic)");
    free(sets);
    return 2;
  }
  for (int i = 2; i < argc; i++) {
    const char *s = argv[i];
    if (strcmp(s, "--set") == 0 || strcmp(s, "--out") == 0) {
      if (i + 1 >= argc) {
        spx_error("analyze: %s needs a value (%s)", s, s[2] == 's' ? "--set KEY=VALUE" : "--out DIR");
        status = SPX_EINVAL;
        goto cleanup;
      }
      if (s[2] == 's') sets[nsets++] = argv[++i];
      else out = argv[++i];
    } else if (strncmp(s, "--set=", 6) == 0) {
      sets[nsets++] = s + 6;
    } else if (strncmp(s, "--out=", 6) == 0) {
      out = s + 6;
    } else if (strcmp(s, "--force") == 0) {
      force = 1;
    } else if (strcmp(s, "--quiet") == 0) {
      quiet = 1;
    } else {
      SPX_TRY(spx_cli_positional("analyze", s,
                                 "--set KEY=VALUE, --out DIR, --force, --quiet, --help", "config",
                                 &cfgpath));
    }
  }
  if (!cfgpath) {
    spx_error("analyze %s: no config given; usage: bin/sim analyze %s CONFIG [--out DIR]", argv[1],
              argv[1]);
    status = SPX_EINVAL;
    goto cleanup;
  }
  if (out && !*out) {
    spx_error("analyze: --out needs a folder name");
    status = SPX_EINVAL;
    goto cleanup;
  }
  spx_set_quiet(quiet);
  SPX_TRY(spx_acfg_load(cfgpath, cmd, sets, nsets, &cfg));
  a.cfg = cfg;
  a.cmd = cmd;
  a.plots = spx_acfg_bool(cfg, "plots");
  a.fmt = spx_acfg_str(cfg, "plot_format");
  SPX_TRY(load_inputs(&a));
  if (!out) {
    snprintf(outbuf, sizeof outbuf, "output/%s", spx_acfg_name(cfg));
    out = outbuf;
  }
  a.out = out;
  SPX_TRY(spx_out_prepare_dir(out, force));
  {
    spx_out_file of;
    SPX_TRY(spx_out_open(&of, out, "config.resolved.cfg"));
    if (spx_acfg_write_resolved(cfg, of.f)) {
      spx_out_abort(&of);
      status = SPX_EIO;
      goto cleanup;
    }
    SPX_TRY(spx_out_commit(&of));
  }
  spx_an_sum(&a, "analysis", "%s", argv[1]);
  spx_an_sum(&a, "config", "%s", cfgpath);
  spx_an_sum(&a, "version", "%s", SPX_VERSION);
  spx_info("analyze %s: %s -> %s/", argv[1], cfgpath, out);
  int ast = cmd == SPX_AN_GAP ? spx_an_gap(&a) : cmd == SPX_AN_INERTIAL ? spx_an_inertial(&a)
                                                                       : spx_an_geodesic(&a);
  spx_an_sum(&a, "status", "%s", ast == SPX_OK ? "done" : spx_status_name(ast));
  {
    spx_out_file of;
    int ws = spx_out_open(&of, out, "summary.tsv");
    if (!ws) {
      fprintf(of.f, "# bin/sim analyze %s %s: key<TAB>value (README: analysis)\n", argv[1], cfgpath);
      if (a.summary) fputs(a.summary, of.f);
      ws = spx_out_commit(&of);
    }
    status = ast ? ast : ws;
  }
  if (!status) spx_info("analyze %s: done; summary in %s/summary.tsv", argv[1], out);
cleanup:
  spx_fe_free(a.fe);
  free(a.point);
  free_states(&a);
  spx_config_free(a.flow_cfg);
  free(a.sym_keys);
  free(a.sym_centres);
  free(a.summary);
  spx_acfg_free(cfg);
  free(sets);
  return spx_status_exit_code(status);
}
