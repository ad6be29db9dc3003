/* sweep.c -- the `sweep` group of a config: axes, derived keys, replicas and seeds, metrics and
 * figures, validated with file:line messages; the expansion of a point into its --set overrides.
 *
 *   sweep: {
 *     axes = ( { param = "model.beta"; logspace = [0.1, 10.0]; count = 9; },      # a config key
 *              { name = "r"; linspace = [0.1, 0.9]; count = 9; label = "r"; } );  # a parameter
 *     derived = [ "model.spectrum=[1.0, ${r}, ${r/2}]" ];   # keys computed from the axes
 *     replicas = 8;                                         # runs per point
 *     seed = 1;                                             # default: init.seed
 *     metrics = ["f_plus", "clusters", "t_cluster"];        # summary.tsv keys
 *     figures = ( { kind = "heatmap"; x = "beta"; y = "r"; z = "split"; theory = ["beta_s"]; } );
 *   };
 *
 * Axis values: `values = [...]` (numbers, strings, booleans or arrays), `linspace = [lo, hi]` with
 * `count` (lo + (hi - lo) i / (count - 1)), `logspace = [lo, hi]` with `count`, both ends > 0
 * (lo (hi/lo)^(i/(count-1)): the ends are values, not exponents). Points are the cartesian
 * product, the last axis varying fastest: point = sum_a i_a stride_a. Run r of point p has the
 * seed seed + p * replicas + r (issue 6). A run's config is the file loaded with the user's
 * --set options, then "param=value" of every axis, then the derived keys, then init.seed.
 *
 * Templates ${...} in derived keys hold arithmetic on the axis names: + - * / ^, parentheses,
 * numbers, pi, and sqrt exp log log10 abs sin cos tan sinh cosh tanh atanh. [ours]
 */
#include "sweep_impl.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"
#include "sim.h"
#include "status.h"

const char *const spx_sweep_class_names[SPX_SWEEP_NCLASS] = {"homogeneous", "split", "clustered",
                                                             "unconverged", "consensus"};

/* Every quantity a run can record: the keys of summary.tsv (run.c) except the seed (always a
 * column) and peak_rss_kb (process-wide), plus t_cluster, mean_resultant, nematic and consensus.
 * The first three are always recorded. */
const spx_metric_def spx_sweep_metric_table[] = {
    {"status", SPX_MT_STR},          {"class", SPX_MT_STR},
    {"consensus", SPX_MT_INT},       {"n", SPX_MT_INT},
    {"d", SPX_MT_INT},               {"beta", SPX_MT_DBL},
    {"normalization", SPX_MT_STR},   {"heads", SPX_MT_INT},
    {"mask", SPX_MT_STR},            {"solver", SPX_MT_STR},
    {"rtol", SPX_MT_DBL},            {"atol", SPX_MT_DBL},
    {"t_final", SPX_MT_DBL},         {"t_reached", SPX_MT_DBL},
    {"time_unit", SPX_MT_STR},       {"stop_when_settled", SPX_MT_INT},
    {"stop_tol", SPX_MT_DBL},        {"settled", SPX_MT_INT},
    {"t_settled", SPX_MT_DBL},       {"steps", SPX_MT_INT},
    {"rhs_evals", SPX_MT_INT},       {"jv_evals", SPX_MT_INT},
    {"nonlin_fails", SPX_MT_INT},    {"err_test_fails", SPX_MT_INT},
    {"proj_evals", SPX_MT_INT},      {"wall_s", SPX_MT_DBL},
    {"pairs_per_s", SPX_MT_DBL},     {"norm_drift", SPX_MT_DBL},
    {"gradient_flow", SPX_MT_INT},   {"energy_monitor", SPX_MT_STR},
    {"energy_min_rel_increment", SPX_MT_DBL},
    {"log_energy", SPX_MT_DBL},      {"energy_eps", SPX_MT_DBL},
    {"mode", SPX_MT_INT},            {"mode_eigenvalue", SPX_MT_DBL},
    {"n_plus", SPX_MT_INT},          {"n_minus", SPX_MT_INT},
    {"f_plus", SPX_MT_DBL},          {"clusters", SPX_MT_INT},        {"cluster_masses", SPX_MT_STR},
    {"sign_memory", SPX_MT_DBL},     {"delta_pm", SPX_MT_DBL},
    {"min_inner", SPX_MT_DBL},       {"alignment", SPX_MT_DBL},
    {"T99", SPX_MT_DBL},             {"speed", SPX_MT_DBL},
    {"t_cluster", SPX_MT_DBL},       {"mean_resultant", SPX_MT_DBL},
    {"nematic", SPX_MT_DBL},
};
const int spx_sweep_nmetric_table =
    (int)(sizeof spx_sweep_metric_table / sizeof *spx_sweep_metric_table);
#define NFIXED 3 /* status, class, consensus */

static const char *const default_metrics[] = {"mode", "f_plus", "clusters", "min_inner",
                                              "t_cluster", "T99", "energy_eps"};

#define MAX_RUNS 10000000L     /* records are one file per run */
#define MAX_AXIS_LEN 1000000

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                                 */

void spx_sweep_fmt(char *buf, size_t len, double v)
{
  if (isnan(v)) { snprintf(buf, len, "nan"); return; }
  if (isinf(v)) { snprintf(buf, len, v > 0 ? "inf" : "-inf"); return; }
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, len, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) return;
  }
}

static char *dupstr(const char *s)
{
  char *d = strdup(s ? s : "");
  return d;
}

static int is_ident(const char *s)
{
  if (!s || !(isalpha((unsigned char)*s) || *s == '_')) return 0;
  for (s++; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
  return 1;
}

static int is_num_setting(const config_setting_t *e)
{
  int t = config_setting_type(e);
  return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_FLOAT;
}

static double num_of(const config_setting_t *e)
{
  return config_setting_type(e) == CONFIG_TYPE_FLOAT ? config_setting_get_float(e)
                                                      : (double)config_setting_get_int64(e);
}

/* Round to 15 significant digits, so that linspace steps print as written (0.54, not
 * 0.54000000000000004); the values are then exact in the TSV files. */
static double round15(double v)
{
  char b[64];
  snprintf(b, sizeof b, "%.15g", v);
  return strtod(b, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Expressions in derived templates [ours]                                                       */

typedef struct {
  const char *p;
  int naxes;
  const spx_axis *axes;
  const double *vals;
  char err[160];
} expr_ctx;

static double ex_sum(expr_ctx *c);

static void ex_space(expr_ctx *c)
{
  while (*c->p == ' ' || *c->p == '\t') c->p++;
}

static double ex_fail(expr_ctx *c, const char *msg)
{
  if (!c->err[0]) snprintf(c->err, sizeof c->err, *c->p ? "%s at \"%.20s\"" : "%s at the end", msg, c->p);
  return NAN;
}

static double ex_primary(expr_ctx *c)
{
  ex_space(c);
  if (*c->p == '(') {
    c->p++;
    double v = ex_sum(c);
    ex_space(c);
    if (*c->p != ')') return ex_fail(c, "expected ')'");
    c->p++;
    return v;
  }
  if (isdigit((unsigned char)*c->p) || *c->p == '.') {
    char *end;
    double v = strtod(c->p, &end);
    if (end == c->p) return ex_fail(c, "bad number");
    c->p = end;
    return v;
  }
  if (isalpha((unsigned char)*c->p) || *c->p == '_') {
    char id[64];
    int l = 0;
    while ((isalnum((unsigned char)*c->p) || *c->p == '_') && l < 63) id[l++] = *c->p++;
    id[l] = '\0';
    ex_space(c);
    if (*c->p == '(') {
      static const struct { const char *name; double (*f)(double); } fn[] = {
          {"sqrt", sqrt}, {"exp", exp},   {"log", log},   {"log10", log10}, {"abs", fabs},
          {"sin", sin},   {"cos", cos},   {"tan", tan},   {"sinh", sinh},   {"cosh", cosh},
          {"tanh", tanh}, {"atanh", atanh}};
      for (size_t i = 0; i < sizeof fn / sizeof *fn; i++)
        if (strcmp(id, fn[i].name) == 0) {
          c->p++;
          double v = ex_sum(c);
          ex_space(c);
          if (*c->p != ')') return ex_fail(c, "expected ')'");
          c->p++;
          return fn[i].f(v);
        }
      if (!c->err[0])
        snprintf(c->err, sizeof c->err, "unknown function \"%s\" (allowed: sqrt exp log log10 "
                 "abs sin cos tan sinh cosh tanh atanh)", id);
      return NAN;
    }
    if (strcmp(id, "pi") == 0) return M_PI;
    for (int a = 0; a < c->naxes; a++)
      if (strcmp(id, c->axes[a].name) == 0) {
        if (!c->axes[a].numeric) return ex_fail(c, "axis is not numeric");
        return c->vals[a];
      }
    if (!c->err[0])
      snprintf(c->err, sizeof c->err, "\"%s\" is not an axis name (nor pi)", id);
    return NAN;
  }
  return ex_fail(c, "expected a number, an axis name or '('");
}

static double ex_unary(expr_ctx *c)
{
  ex_space(c);
  if (*c->p == '-') { c->p++; return -ex_unary(c); }
  if (*c->p == '+') { c->p++; return ex_unary(c); }
  double v = ex_primary(c);
  ex_space(c);
  if (*c->p == '^') { c->p++; return pow(v, ex_unary(c)); }
  return v;
}

static double ex_prod(expr_ctx *c)
{
  double v = ex_unary(c);
  for (;;) {
    ex_space(c);
    if (*c->p == '*') { c->p++; v *= ex_unary(c); }
    else if (*c->p == '/') { c->p++; v /= ex_unary(c); }
    else return v;
  }
}

static double ex_sum(expr_ctx *c)
{
  double v = ex_prod(c);
  for (;;) {
    ex_space(c);
    if (*c->p == '+') { c->p++; v += ex_prod(c); }
    else if (*c->p == '-') { c->p++; v -= ex_prod(c); }
    else return v;
  }
}

/* Expand the ${...} of template tpl with the axis values vals; malloc'ed result or NULL with a
 * message in err. */
static char *expand_template(const spx_sweep *s, const char *tpl, const double *vals, char *err,
                             size_t errlen)
{
  size_t cap = strlen(tpl) + 64, len = 0;
  char *out = malloc(cap);
  if (!out) { snprintf(err, errlen, "out of memory"); return NULL; }
  for (const char *p = tpl; *p;) {
    char piece[64];
    const char *add = p;
    size_t addlen = 1;
    if (p[0] == '$' && p[1] == '{') {
      const char *e = strchr(p + 2, '}');
      if (!e) { snprintf(err, errlen, "\"${\" without a closing \"}\""); free(out); return NULL; }
      char expr[256];
      snprintf(expr, sizeof expr, "%.*s", (int)(e - p - 2), p + 2);
      expr_ctx c = {.p = expr, .naxes = s->naxes, .axes = s->axes, .vals = vals};
      double v = ex_sum(&c);
      ex_space(&c);
      if (!c.err[0] && *c.p) ex_fail(&c, "unexpected text");
      if (!c.err[0] && !isfinite(v)) snprintf(c.err, sizeof c.err, "the value is not finite");
      if (c.err[0]) {
        snprintf(err, errlen, "${%.80s}: %.160s", expr, c.err);
        free(out);
        return NULL;
      }
      spx_sweep_fmt(piece, sizeof piece, v);
      /* An integral result stays an integer only when it is the whole value ("model.n=${2*k}",
       * which float keys accept too); inside an array it must be a float like its neighbours,
       * libconfig refusing [1.0, 2] (spec c_stack.md §4, pitfall 1). */
      const char *eq = strchr(tpl, '=');
      int whole = eq && p == eq + 1 && e[1] == '\0';
      if (!whole && !strpbrk(piece, ".eEni")) strcat(piece, ".0");
      add = piece;
      addlen = strlen(piece);
      p = e + 1;
    } else {
      p++;
    }
    if (len + addlen + 1 > cap) {
      cap = 2 * (len + addlen + 1);
      char *nb = realloc(out, cap);
      if (!nb) { free(out); snprintf(err, errlen, "out of memory"); return NULL; }
      out = nb;
    }
    memcpy(out + len, add, addlen);
    len += addlen;
  }
  out[len] = '\0';
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Points and sets                                                                               */

int spx_sweep_index(const spx_sweep *s, long p, int a)
{
  return (int)((p / s->stride[a]) % s->axes[a].len);
}

void spx_sweep_free_sets(char **sets, int n)
{
  if (!sets) return;
  for (int i = 0; i < n; i++) free(sets[i]);
  free(sets);
}

int spx_sweep_build_sets(const spx_sweep *s, char *const *text, const double *num, long long seed,
                         char ***out, int *nout)
{
  int cap = s->nuser + s->naxes + s->nderived + 1, n = 0, status = SPX_OK;
  char **sets = calloc((size_t)cap, sizeof *sets);
  *out = NULL;
  *nout = 0;
  if (!sets) return SPX_ENOMEM;
  for (int i = 0; i < s->nuser; i++)
    if (!(sets[n++] = dupstr(s->user_sets[i]))) { status = SPX_ENOMEM; goto cleanup; }
  for (int a = 0; a < s->naxes; a++) {
    if (!s->axes[a].param) continue;
    size_t l = strlen(s->axes[a].param) + strlen(text[a]) + 2;
    if (!(sets[n] = malloc(l))) { status = SPX_ENOMEM; goto cleanup; }
    snprintf(sets[n++], l, "%s=%s", s->axes[a].param, text[a]);
  }
  for (int k = 0; k < s->nderived; k++) {
    char err[256];
    if (!(sets[n] = expand_template(s, s->derived[k], num, err, sizeof err))) {
      status = spx_config_bad(s->base, s->derived_where[k], "sweep.derived", "\"%s\": %s",
                              s->derived[k], err);
      goto cleanup;
    }
    n++;
  }
  if (seed >= 0) {
    if (!(sets[n] = malloc(48))) { status = SPX_ENOMEM; goto cleanup; }
    snprintf(sets[n++], 48, "init.seed=%lld", seed);
  }
  *out = sets;
  *nout = n;
  return SPX_OK;
cleanup:
  spx_sweep_free_sets(sets, n);
  return status;
}

int spx_sweep_point_sets(const spx_sweep *s, long point, int replica, char ***out, int *nout)
{
  char *text[64];
  double num[64];
  for (int a = 0; a < s->naxes; a++) {
    int i = spx_sweep_index(s, point, a);
    text[a] = s->axes[a].text[i];
    num[a] = s->axes[a].num[i];
  }
  long long seed = replica >= 0 ? (long long)spx_sweep_seed(s, point, replica) : -1;
  return spx_sweep_build_sets(s, text, num, seed, out, nout);
}

int spx_sweep_load_sets(const spx_sweep *s, char **sets, int nsets, spx_config **cfg)
{
  return spx_config_load(s->path, (const char *const *)sets, nsets, cfg);
}

long spx_sweep_npoints(const spx_sweep *s) { return s->npoints; }
int spx_sweep_replicas(const spx_sweep *s) { return s->replicas; }
int spx_sweep_naxes(const spx_sweep *s) { return s->naxes; }
const char *spx_sweep_axis_name(const spx_sweep *s, int a) { return s->axes[a].name; }
const spx_config *spx_sweep_base(const spx_sweep *s) { return s->base; }

double spx_sweep_axis_value(const spx_sweep *s, int a, long point, const char **text)
{
  int i = spx_sweep_index(s, point, a);
  if (text) *text = s->axes[a].show[i];
  return s->axes[a].num[i];
}

unsigned long spx_sweep_seed(const spx_sweep *s, long point, int replica)
{
  return s->seed0 + (unsigned long)point * (unsigned long)s->replicas + (unsigned long)replica;
}

int spx_sweep_run_sets(spx_sweep *s, long point, int replica, const char *const **sets,
                       int *nsets)
{
  spx_sweep_free_sets(s->setbuf, s->nsetbuf);
  s->setbuf = NULL;
  s->nsetbuf = 0;
  int st = spx_sweep_point_sets(s, point, replica, &s->setbuf, &s->nsetbuf);
  *sets = (const char *const *)s->setbuf;
  *nsets = s->nsetbuf;
  return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Parsing the sweep group                                                                       */

#define BAD(s, key, ...) spx_config_bad(sw->base, (s), (key), __VA_ARGS__)

/* Every member of group g (the idx-th `what` of `key`) is one of members[0..nm); else the error
 * names the member and lists those allowed. */
static int check_members(spx_sweep *sw, const config_setting_t *g, const char *const *members,
                         size_t nm, const char *key, const char *what, int idx)
{
  for (int i = 0; i < config_setting_length(g); i++) {
    const config_setting_t *e = config_setting_get_elem(g, i);
    int ok = 0;
    for (size_t j = 0; j < nm; j++) ok |= strcmp(config_setting_name(e), members[j]) == 0;
    if (ok) continue;
    char allowed[256] = "";
    for (size_t j = 0; j < nm; j++) {
      size_t l = strlen(allowed);
      snprintf(allowed + l, sizeof allowed - l, "%s%s", j ? ", " : "", members[j]);
    }
    return BAD(e, key, "%s %d: unknown member \"%s\"; allowed: %s", what, idx + 1,
               config_setting_name(e), allowed);
  }
  return SPX_OK;
}

/* Text of one `values` entry: libconfig syntax for --set, and the TSV form. */
static int value_texts(spx_sweep *sw, const config_setting_t *e, int ai, int k, spx_axis *ax)
{
  char buf[4096];
  int t = config_setting_type(e);
  ax->num[k] = NAN;
  if (is_num_setting(e)) {
    double v = num_of(e);
    if (!isfinite(v)) return BAD(e, "sweep.axes", "axis %d: value %d is not finite", ai + 1, k + 1);
    ax->num[k] = v;
    if (t == CONFIG_TYPE_FLOAT) {
      spx_sweep_fmt(buf, sizeof buf, v);
      /* keep it a float for libconfig: "2" would read as an integer */
      if (!strpbrk(buf, ".eEni")) strcat(buf, ".0");
    } else {
      snprintf(buf, sizeof buf, "%lld", (long long)config_setting_get_int64(e));
    }
    ax->text[k] = dupstr(buf);
    spx_sweep_fmt(buf, sizeof buf, v);
    ax->show[k] = dupstr(buf);
  } else if (t == CONFIG_TYPE_STRING) {
    const char *str = config_setting_get_string(e);
    size_t o = 0;
    buf[o++] = '"';
    for (const char *q = str; *q && o < sizeof buf - 3; q++) {
      if (*q == '"' || *q == '\\') buf[o++] = '\\';
      buf[o++] = *q;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    ax->text[k] = dupstr(buf);
    for (const char *q = str; *q; q++)
      if (*q == '\t' || *q == '\n')
        return BAD(e, "sweep.axes", "axis %d: value %d holds a tab or a newline", ai + 1, k + 1);
    ax->show[k] = dupstr(str);
  } else if (t == CONFIG_TYPE_BOOL) {
    ax->text[k] = dupstr(config_setting_get_bool(e) ? "true" : "false");
    ax->show[k] = dupstr(ax->text[k]);
  } else if (t == CONFIG_TYPE_ARRAY || (t == CONFIG_TYPE_LIST && config_setting_length(e) > 0)) {
    size_t o = 0, o2 = 0;
    char show[4096];
    buf[o++] = '[';
    show[o2++] = '[';
    int m = config_setting_length(e);
    for (int j = 0; j < m; j++) {
      const config_setting_t *x = config_setting_get_elem(e, j);
      if (!is_num_setting(x))
        return BAD(x, "sweep.axes", "axis %d: value %d: arrays must hold numbers", ai + 1, k + 1);
      char num[64];
      spx_sweep_fmt(num, sizeof num, num_of(x));
      if (config_setting_type(x) == CONFIG_TYPE_FLOAT && !strpbrk(num, ".eEni")) strcat(num, ".0");
      if (o + strlen(num) + 4 >= sizeof buf)
        return BAD(e, "sweep.axes", "axis %d: value %d is too long", ai + 1, k + 1);
      o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", j ? ", " : "", num);
      spx_sweep_fmt(num, sizeof num, num_of(x));
      o2 += (size_t)snprintf(show + o2, sizeof show - o2, "%s%s", j ? "," : "", num);
    }
    buf[o++] = ']';
    buf[o] = '\0';
    show[o2++] = ']';
    show[o2] = '\0';
    ax->text[k] = dupstr(buf);
    ax->show[k] = dupstr(show);
  } else {
    return BAD(e, "sweep.axes",
               "axis %d: value %d must be a number, a string, true/false or an array of numbers",
               ai + 1, k + 1);
  }
  if (!ax->text[k] || !ax->show[k]) return SPX_ENOMEM;
  return SPX_OK;
}

static int parse_axis(spx_sweep *sw, const config_setting_t *g, int ai, spx_axis *ax)
{
  static const char *const members[] = {"name", "param", "values", "linspace", "logspace",
                                        "count", "label"};
  ax->where = g;
  if (config_setting_type(g) != CONFIG_TYPE_GROUP)
    return BAD(g, "sweep.axes",
               "axis %d must be a group { param = \"model.beta\"; linspace = [0.5, 2.0]; "
               "count = 4; }",
               ai + 1);
  int status = check_members(sw, g, members, sizeof members / sizeof *members, "sweep.axes",
                             "axis", ai);
  if (status) return status;
  const config_setting_t *sp = config_setting_get_member(g, "param");
  const config_setting_t *sn = config_setting_get_member(g, "name");
  const config_setting_t *sl = config_setting_get_member(g, "label");
  if (sp && config_setting_type(sp) != CONFIG_TYPE_STRING)
    return BAD(sp, "sweep.axes", "axis %d: param must be a config key in quotes, e.g. "
                                 "\"model.beta\"", ai + 1);
  if (sn && config_setting_type(sn) != CONFIG_TYPE_STRING)
    return BAD(sn, "sweep.axes", "axis %d: name must be a string", ai + 1);
  if (sl && config_setting_type(sl) != CONFIG_TYPE_STRING)
    return BAD(sl, "sweep.axes", "axis %d: label must be a string", ai + 1);
  if (!sp && !sn)
    return BAD(g, "sweep.axes",
               "axis %d needs param = \"KEY\" (a config key) or name = \"NAME\" (a parameter "
               "used by sweep.derived)",
               ai + 1);
  if (sp) {
    const char *key = config_setting_get_string(sp);
    const char *dot = strrchr(key, '.');
    for (const char *q = key; *q; q++)
      if (!(isalnum((unsigned char)*q) || *q == '_' || *q == '.'))
        return BAD(sp, "sweep.axes", "axis %d: \"%s\" is not a dotted config key", ai + 1, key);
    if (!dot || strcmp(key, "init.seed") == 0 || strncmp(key, "sweep.", 6) == 0)
      return BAD(sp, "sweep.axes",
                 "axis %d: \"%s\" cannot be swept (init.seed is set per run to seed + point * "
                 "replicas + r; name and sweep.* belong to the sweep)",
                 ai + 1, key);
    if (!(ax->param = dupstr(key))) return SPX_ENOMEM;
    if (!(ax->name = dupstr(sn ? config_setting_get_string(sn) : dot + 1))) return SPX_ENOMEM;
  } else {
    if (!(ax->name = dupstr(config_setting_get_string(sn)))) return SPX_ENOMEM;
  }
  if (!is_ident(ax->name))
    return BAD(sn ? sn : sp, "sweep.axes",
               "axis %d: name \"%s\" must be an identifier (letters, digits, _)", ai + 1, ax->name);
  if (sl) ax->label = dupstr(config_setting_get_string(sl));
  else if (ax->param && strcmp(ax->param, "model.beta") == 0) ax->label = dupstr("{/Symbol b}");
  else {
    /* the name as a label: escape '_' (gnuplot enhanced text would make it a subscript) */
    size_t l = strlen(ax->name);
    ax->label = malloc(2 * l + 1);
    if (ax->label) {
      char *o = ax->label;
      for (const char *q = ax->name; *q; q++) {
        if (*q == '_') *o++ = '\\';
        *o++ = *q;
      }
      *o = '\0';
    }
  }
  if (!ax->label) return SPX_ENOMEM;

  const config_setting_t *sv = config_setting_get_member(g, "values");
  const config_setting_t *sli = config_setting_get_member(g, "linspace");
  const config_setting_t *slo = config_setting_get_member(g, "logspace");
  const config_setting_t *sc = config_setting_get_member(g, "count");
  if ((sv != NULL) + (sli != NULL) + (slo != NULL) != 1)
    return BAD(g, "sweep.axes",
               "axis %d (%s): give exactly one of values = [...], linspace = [lo, hi] or "
               "logspace = [lo, hi] (with count = N)",
               ai + 1, ax->name);
  if (sv) {
    int t = config_setting_type(sv);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
      return BAD(sv, "sweep.axes", "axis %d (%s): values must be an array [a, b, ...] or a list "
                                   "( ... )", ai + 1, ax->name);
    if (sc)
      return BAD(sc, "sweep.axes", "axis %d (%s): count goes with linspace or logspace, not "
                                   "with values", ai + 1, ax->name);
    ax->kind = SPX_AX_VALUES;
    ax->len = config_setting_length(sv);
    if (ax->len < 1)
      return BAD(sv, "sweep.axes", "axis %d (%s): values is empty; give at least one value",
                 ai + 1, ax->name);
    if (ax->len > MAX_AXIS_LEN)
      return BAD(sv, "sweep.axes", "axis %d (%s): more than %d values", ai + 1, ax->name,
                 MAX_AXIS_LEN);
  } else {
    const config_setting_t *r = sli ? sli : slo;
    const char *kw = sli ? "linspace" : "logspace";
    ax->kind = sli ? SPX_AX_LINSPACE : SPX_AX_LOGSPACE;
    int t = config_setting_type(r);
    if ((t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) || config_setting_length(r) != 2 ||
        !is_num_setting(config_setting_get_elem(r, 0)) ||
        !is_num_setting(config_setting_get_elem(r, 1)))
      return BAD(r, "sweep.axes", "axis %d (%s): %s must be [lo, hi], two numbers", ai + 1,
                 ax->name, kw);
    if (!sc)
      return BAD(r, "sweep.axes", "axis %d (%s): %s needs count = N (N >= 1 values)", ai + 1,
                 ax->name, kw);
    if (config_setting_type(sc) != CONFIG_TYPE_INT && config_setting_type(sc) != CONFIG_TYPE_INT64)
      return BAD(sc, "sweep.axes", "axis %d (%s): count must be an integer >= 1", ai + 1, ax->name);
    long long cnt = config_setting_get_int64(sc);
    if (cnt <= 0 || cnt > MAX_AXIS_LEN)
      return BAD(sc, "sweep.axes", "axis %d (%s): count = %lld; allowed: 1 <= count <= %d", ai + 1,
                 ax->name, cnt, MAX_AXIS_LEN);
    double lo = num_of(config_setting_get_elem(r, 0)), hi = num_of(config_setting_get_elem(r, 1));
    if (!isfinite(lo) || !isfinite(hi))
      return BAD(r, "sweep.axes", "axis %d (%s): the ends must be finite", ai + 1, ax->name);
    if (slo && !(lo > 0.0 && hi > 0.0))
      return BAD(r, "sweep.axes",
                 "axis %d (%s): logspace = [%g, %g] has a non-positive end; both ends must be "
                 "> 0 (the values are lo (hi/lo)^(i/(count-1)), the ends themselves, not "
                 "exponents)",
                 ai + 1, ax->name, lo, hi);
    ax->len = (int)cnt;
    ax->num = malloc(sizeof(double) * ax->len);
    if (!ax->num) return SPX_ENOMEM;
    for (int i = 0; i < ax->len; i++) {
      double f = ax->len > 1 ? (double)i / (ax->len - 1) : 0.0;
      double v = sli ? lo + (hi - lo) * f : lo * pow(hi / lo, f);
      ax->num[i] = i == ax->len - 1 && ax->len > 1 ? hi : round15(v);
    }
  }
  ax->text = calloc((size_t)ax->len, sizeof(char *));
  ax->show = calloc((size_t)ax->len, sizeof(char *));
  if (!ax->num) ax->num = malloc(sizeof(double) * ax->len);
  if (!ax->text || !ax->show || !ax->num) return SPX_ENOMEM;
  ax->numeric = 1;
  ax->integral = 1;
  for (int k = 0; k < ax->len; k++) {
    if (sv) {
      int st = value_texts(sw, config_setting_get_elem(sv, k), ai, k, ax);
      if (st) return st;
    } else {
      char buf[64];
      spx_sweep_fmt(buf, sizeof buf, ax->num[k]);
      /* integral linspace values stay integers (model.d = 3), which float keys accept too */
      ax->show[k] = dupstr(buf);
      ax->text[k] = dupstr(buf);
      if (!ax->text[k] || !ax->show[k]) return SPX_ENOMEM;
    }
    if (isnan(ax->num[k])) ax->numeric = 0;
    if (!(ax->num[k] == floor(ax->num[k]))) ax->integral = 0;
  }
  if (!ax->numeric) ax->integral = 0;
  return SPX_OK;
}

static int parse_string_list(spx_sweep *sw, const config_setting_t *s, const char *key,
                             int *n_out, char ***out, const config_setting_t ***where)
{
  int t = config_setting_type(s);
  *n_out = 0;
  if (t == CONFIG_TYPE_STRING) {
    *out = calloc(1, sizeof(char *));
    if (where) *where = calloc(1, sizeof **where);
    if (!*out || (where && !*where)) return SPX_ENOMEM;
    (*out)[0] = dupstr(config_setting_get_string(s));
    if (where) (*where)[0] = s;
    *n_out = 1;
    return (*out)[0] ? SPX_OK : SPX_ENOMEM;
  }
  if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
    return BAD(s, key, "must be an array of strings [\"...\", \"...\"]");
  int n = config_setting_length(s);
  *out = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
  if (where) *where = calloc((size_t)(n > 0 ? n : 1), sizeof **where);
  if (!*out || (where && !*where)) return SPX_ENOMEM;
  for (int i = 0; i < n; i++) {
    const config_setting_t *e = config_setting_get_elem(s, i);
    if (config_setting_type(e) != CONFIG_TYPE_STRING)
      return BAD(e, key, "entry %d must be a string in double quotes", i + 1);
    if (!((*out)[i] = dupstr(config_setting_get_string(e)))) return SPX_ENOMEM;
    if (where) (*where)[i] = e;
    *n_out = i + 1;
  }
  return SPX_OK;
}

static int find_metric(const char *name)
{
  for (int i = 0; i < spx_sweep_nmetric_table; i++)
    if (strcmp(spx_sweep_metric_table[i].name, name) == 0) return i;
  return -1;
}

static int parse_metrics(spx_sweep *sw)
{
  const config_setting_t *s = config_setting_get_member(sw->group, "metrics");
  char **names = NULL;
  int n = 0, status = SPX_OK;
  const config_setting_t **where = NULL;
  if (s) {
    SPX_TRY(parse_string_list(sw, s, "sweep.metrics", &n, &names, &where));
  } else {
    n = (int)(sizeof default_metrics / sizeof *default_metrics);
  }
  sw->metrics = calloc((size_t)(n + 1), sizeof(int));
  if (!sw->metrics) { status = SPX_ENOMEM; goto cleanup; }
  for (int i = 0; i < n; i++) {
    const char *nm = s ? names[i] : default_metrics[i];
    int id = find_metric(nm);
    if (id < 0) {
      char allowed[2048];
      size_t used = 0;
      for (int k = NFIXED; k < spx_sweep_nmetric_table && used < sizeof allowed - 40; k++)
        used += (size_t)snprintf(allowed + used, sizeof allowed - used, "%s%s", k > NFIXED ? ", " : "",
                                 spx_sweep_metric_table[k].name);
      const char *why = strcmp(nm, "seed") == 0 ? " (the seed is always a column)"
                        : strcmp(nm, "peak_rss_kb") == 0
                            ? " (the peak memory is process-wide, not a per-run quantity)"
                            : "";
      status = BAD(where[i], "sweep.metrics", "unknown metric \"%s\"%s; allowed: %s", nm, why,
                   allowed);
      goto cleanup;
    }
    if (id < NFIXED) continue; /* status, class, consensus are always recorded */
    int dup = 0;
    for (int j = 0; j < sw->nmetrics; j++) dup |= sw->metrics[j] == id;
    for (int a = 0; a < sw->naxes; a++)
      if (strcmp(sw->axes[a].name, nm) == 0) {
        status = BAD(where ? where[i] : s, "sweep.metrics",
                     "metric \"%s\" has the name of an axis; rename the axis (name = ...)", nm);
        goto cleanup;
      }
    if (!dup) sw->metrics[sw->nmetrics++] = id;
  }
cleanup:
  if (names)
    for (int i = 0; i < n; i++) free(names[i]);
  free(names);
  free(where);
  return status;
}

static int axis_by_name(const spx_sweep *sw, const char *name)
{
  for (int a = 0; a < sw->naxes; a++)
    if (strcmp(sw->axes[a].name, name) == 0) return a;
  return -1;
}

static int beta_axis(const spx_sweep *sw)
{
  for (int a = 0; a < sw->naxes; a++)
    if (sw->axes[a].param && strcmp(sw->axes[a].param, "model.beta") == 0) return a;
  return -1;
}

static int class_index(const char *name)
{
  for (int c = 0; c < SPX_SWEEP_NCLASS; c++)
    if (strcmp(name, spx_sweep_class_names[c]) == 0) return c;
  return -1;
}

/* The column of a recorded numeric metric, or -1. */
static int recorded_metric(const spx_sweep *sw, const char *name)
{
  for (int j = 0; j < sw->nmetrics; j++)
    if (strcmp(spx_sweep_metric_table[sw->metrics[j]].name, name) == 0)
      return spx_sweep_metric_table[sw->metrics[j]].type == SPX_MT_STR ? -2 : j;
  return -1;
}

static int fig_axis(spx_sweep *sw, const config_setting_t *g, const char *member, int fi,
                    int need_numeric, int *out)
{
  const config_setting_t *e = config_setting_get_member(g, member);
  if (!e || config_setting_type(e) != CONFIG_TYPE_STRING)
    return BAD(e ? e : g, "sweep.figures", "figure %d needs %s = \"AXIS\" (an axis name)", fi + 1,
               member);
  int a = axis_by_name(sw, config_setting_get_string(e));
  if (a < 0) {
    char names[1024];
    size_t used = 0;
    for (int k = 0; k < sw->naxes && used < sizeof names - 70; k++)
      used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", k ? ", " : "",
                               sw->axes[k].name);
    return BAD(e, "sweep.figures", "figure %d: %s = \"%s\" is not an axis; the axes are: %s",
               fi + 1, member, config_setting_get_string(e), names);
  }
  if (need_numeric && !sw->axes[a].numeric)
    return BAD(e, "sweep.figures", "figure %d: axis \"%s\" is not numeric", fi + 1,
               sw->axes[a].name);
  *out = a;
  return SPX_OK;
}

static int parse_figure(spx_sweep *sw, const config_setting_t *g, int fi, spx_figure *f)
{
  static const char *const members[] = {"kind", "x", "y", "z", "classes", "metric", "theory",
                                        "logx", "logy", "file", "title", "max"};
  static const char *const theories[] = {"criterion", "beta_s", "bistability", "kstar",
                                         "binomial", "equiangular"};
  int status = SPX_OK;
  f->where = g;
  f->ay = -1;
  f->metric = -1;
  f->zmetric = -1;
  if (config_setting_type(g) != CONFIG_TYPE_GROUP)
    return BAD(g, "sweep.figures",
               "figure %d must be a group { kind = \"heatmap\"; x = ...; y = ...; z = ...; }",
               fi + 1);
  status = check_members(sw, g, members, sizeof members / sizeof *members, "sweep.figures",
                         "figure", fi);
  if (status) return status;
  const config_setting_t *k = config_setting_get_member(g, "kind");
  const char *kind = k && config_setting_type(k) == CONFIG_TYPE_STRING
                         ? config_setting_get_string(k) : "";
  if (strcmp(kind, "heatmap") == 0) f->kind = SPX_FIG_HEATMAP;
  else if (strcmp(kind, "fractions") == 0) f->kind = SPX_FIG_FRACTIONS;
  else if (strcmp(kind, "metric") == 0) f->kind = SPX_FIG_METRIC;
  else if (strcmp(kind, "snapshots") == 0) f->kind = SPX_FIG_SNAPSHOTS;
  else
    return BAD(k ? k : g, "sweep.figures",
               "figure %d: kind must be \"heatmap\", \"fractions\", \"metric\" or \"snapshots\"",
               fi + 1);
  SPX_TRY(fig_axis(sw, g, "x", fi, f->kind != SPX_FIG_SNAPSHOTS, &f->ax));
  const config_setting_t *e;
  char zname[64] = "";
  if (f->kind == SPX_FIG_HEATMAP) {
    SPX_TRY(fig_axis(sw, g, "y", fi, 1, &f->ay));
    if (f->ay == f->ax)
      return BAD(g, "sweep.figures", "figure %d: x and y must be different axes", fi + 1);
    e = config_setting_get_member(g, "z");
    if (!e || config_setting_type(e) != CONFIG_TYPE_STRING)
      return BAD(e ? e : g, "sweep.figures",
                 "figure %d: a heatmap needs z = \"split\" (a class: homogeneous, split, "
                 "clustered, unconverged, consensus) or a recorded numeric metric",
                 fi + 1);
    const char *z = config_setting_get_string(e);
    if (class_index(z) < 0) {
      f->zmetric = recorded_metric(sw, z);
      if (f->zmetric < 0)
        return BAD(e, "sweep.figures",
                   "figure %d: z = \"%s\" is neither a class (homogeneous, split, clustered, "
                   "unconverged, consensus) nor a numeric metric of sweep.metrics",
                   fi + 1, z);
    }
    if (!(f->z = dupstr(z))) return SPX_ENOMEM;
    snprintf(zname, sizeof zname, "_%s", z);
  } else if (config_setting_get_member(g, "y")) {
    return BAD(config_setting_get_member(g, "y"), "sweep.figures",
               "figure %d: y belongs to heatmaps only", fi + 1);
  }
  if (f->kind == SPX_FIG_METRIC) {
    e = config_setting_get_member(g, "metric");
    if (!e || config_setting_type(e) != CONFIG_TYPE_STRING)
      return BAD(e ? e : g, "sweep.figures", "figure %d needs metric = \"NAME\" (a numeric metric "
                                             "of sweep.metrics)", fi + 1);
    f->metric = recorded_metric(sw, config_setting_get_string(e));
    if (f->metric < 0)
      return BAD(e, "sweep.figures", "figure %d: metric \"%s\" is not a numeric metric of "
                                     "sweep.metrics", fi + 1, config_setting_get_string(e));
    snprintf(zname, sizeof zname, "_%s", config_setting_get_string(e));
  }
  if (f->kind == SPX_FIG_FRACTIONS) {
    e = config_setting_get_member(g, "classes");
    if (e) {
      SPX_TRY(parse_string_list(sw, e, "sweep.figures", &f->nclasses, &f->classes, NULL));
      for (int c = 0; c < f->nclasses; c++)
        if (class_index(f->classes[c]) < 0)
          return BAD(e, "sweep.figures", "figure %d: \"%s\" is not a class; allowed: "
                                         "homogeneous, split, clustered, unconverged, consensus",
                     fi + 1, f->classes[c]);
      if (f->nclasses < 1)
        return BAD(e, "sweep.figures", "figure %d: classes is empty", fi + 1);
    } else {
      f->nclasses = 4;
      f->classes = calloc(4, sizeof(char *));
      if (!f->classes) return SPX_ENOMEM;
      for (int c = 0; c < 4; c++)
        if (!(f->classes[c] = dupstr(spx_sweep_class_names[c]))) return SPX_ENOMEM;
    }
  }
  if ((e = config_setting_get_member(g, "theory"))) {
    char **th = NULL;
    int nth = 0;
    status = parse_string_list(sw, e, "sweep.figures", &nth, &th, NULL);
    for (int i = 0; status == SPX_OK && i < nth; i++) {
      int bit = -1;
      for (int j = 0; j < (int)(sizeof theories / sizeof *theories); j++)
        if (strcmp(th[i], theories[j]) == 0) bit = j;
      if (bit < 0)
        status = BAD(e, "sweep.figures",
                     "figure %d: unknown theory \"%s\"; allowed: criterion, beta_s, bistability, "
                     "kstar, binomial, equiangular",
                     fi + 1, th[i]);
      else
        f->theory |= 1 << bit;
    }
    for (int i = 0; i < nth; i++) free(th[i]);
    free(th);
    if (status) return status;
  }
  int ba = beta_axis(sw);
  if ((f->theory & (SPX_TH_BETA_S | SPX_TH_BISTABILITY | SPX_TH_KSTAR | SPX_TH_EQUIANGULAR)) &&
      !(ba >= 0 && (ba == f->ax || ba == f->ay)))
    return BAD(e, "sweep.figures",
               "figure %d: theories beta_s, bistability, kstar and equiangular are curves over "
               "beta: they need an axis with param = \"model.beta\" as x%s",
               fi + 1, f->kind == SPX_FIG_HEATMAP ? " or y" : "");
  if ((f->theory & (SPX_TH_KSTAR | SPX_TH_EQUIANGULAR)) && ba != f->ax)
    return BAD(e, "sweep.figures", "figure %d: kstar and equiangular need the beta axis as x",
               fi + 1);
  if (f->kind == SPX_FIG_SNAPSHOTS && f->theory)
    return BAD(e, "sweep.figures", "figure %d: snapshots take no theory", fi + 1);
  f->logx = sw->axes[f->ax].kind == SPX_AX_LOGSPACE;
  f->logy = f->ay >= 0 && sw->axes[f->ay].kind == SPX_AX_LOGSPACE;
  if ((e = config_setting_get_member(g, "logx"))) {
    if (config_setting_type(e) != CONFIG_TYPE_BOOL)
      return BAD(e, "sweep.figures", "figure %d: logx must be true or false", fi + 1);
    f->logx = config_setting_get_bool(e);
  }
  if ((e = config_setting_get_member(g, "logy"))) {
    if (config_setting_type(e) != CONFIG_TYPE_BOOL || f->ay < 0)
      return BAD(e, "sweep.figures", "figure %d: logy (true or false) belongs to heatmaps",
                 fi + 1);
    f->logy = config_setting_get_bool(e);
  }
  for (int a = 0; a < 2; a++) {
    int ax = a ? f->ay : f->ax, lg = a ? f->logy : f->logx;
    if (ax < 0 || !lg) continue;
    for (int i = 0; i < sw->axes[ax].len; i++)
      if (!(sw->axes[ax].num[i] > 0))
        return BAD(g, "sweep.figures", "figure %d: a log scale needs positive values of axis %s",
                   fi + 1, sw->axes[ax].name);
  }
  f->maxpanels = 8;
  if ((e = config_setting_get_member(g, "max"))) {
    int t = config_setting_type(e);
    long long v = (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) ? config_setting_get_int64(e) : 0;
    if (f->kind != SPX_FIG_SNAPSHOTS || v < 1 || v > 24)
      return BAD(e, "sweep.figures", "figure %d: max (snapshots only) must be 1..24 panels", fi + 1);
    f->maxpanels = (int)v;
  }
  static const char *const kind_names[] = {"heatmap", "fractions", "metric", "snapshots"};
  char def[256];
  snprintf(def, sizeof def, "%s_%s%s%s%s", kind_names[f->kind], sw->axes[f->ax].name,
           f->ay >= 0 ? "_" : "", f->ay >= 0 ? sw->axes[f->ay].name : "", zname);
  e = config_setting_get_member(g, "file");
  const char *file = e && config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e)
                                                                        : def;
  if (e && (config_setting_type(e) != CONFIG_TYPE_STRING || !is_ident(file)))
    return BAD(e, "sweep.figures", "figure %d: file must be a plain name (letters, digits, _), "
                                   "without extension", fi + 1);
  e = config_setting_get_member(g, "title");
  if (e && config_setting_type(e) != CONFIG_TYPE_STRING)
    return BAD(e, "sweep.figures", "figure %d: title must be a string", fi + 1);
  f->file = dupstr(file);
  f->title = dupstr(e ? config_setting_get_string(e) : "");
  if (!f->file || !f->title) return SPX_ENOMEM;
  for (int j = 0; j < fi; j++)
    if (strcmp(sw->figs[j].file, f->file) == 0)
      return BAD(g, "sweep.figures", "figure %d: file \"%s\" is also the file of figure %d", fi + 1,
                 f->file, j + 1);
cleanup:
  return status;
}

static int parse_sweep(spx_sweep *sw)
{
  int status = SPX_OK;
  static const char *const members[] = {"axes", "derived", "replicas", "seed", "metrics",
                                        "figures"};
  const config_setting_t *g = spx_config_setting(sw->base, "sweep");
  sw->group = g;
  if (!g) {
    spx_error("%s: sweep: this config has no sweep group; add sweep = { axes = ( { param = "
              "\"model.beta\"; linspace = [0.5, 2.0]; count = 4; } ); replicas = 4; };",
              sw->path);
    return SPX_EINVAL;
  }
  for (int i = 0; i < config_setting_length(g); i++) {
    const config_setting_t *e = config_setting_get_elem(g, i);
    int ok = 0;
    for (size_t j = 0; j < sizeof members / sizeof *members; j++)
      ok |= strcmp(config_setting_name(e), members[j]) == 0;
    if (!ok)
      return BAD(e, config_setting_name(e),
                 "unknown key of group sweep; allowed: axes, derived, replicas, seed, metrics, "
                 "figures");
  }
  const config_setting_t *axes = config_setting_get_member(g, "axes");
  if (!axes)
    return BAD(g, "sweep.axes",
               "missing: sweep.axes = ( { param = \"model.beta\"; linspace = [0.5, 2.0]; "
               "count = 4; }, ... );");
  if (config_setting_type(axes) != CONFIG_TYPE_LIST)
    return BAD(axes, "sweep.axes",
               "must be a list of groups ( { param = ...; values = [...]; }, ... )");
  sw->naxes = config_setting_length(axes);
  if (sw->naxes < 1)
    return BAD(axes, "sweep.axes", "is empty; give at least one axis");
  if (sw->naxes > 64) return BAD(axes, "sweep.axes", "more than 64 axes");
  sw->axes = calloc((size_t)sw->naxes, sizeof *sw->axes);
  sw->stride = calloc((size_t)sw->naxes, sizeof *sw->stride);
  if (!sw->axes || !sw->stride) return SPX_ENOMEM;
  for (int a = 0; a < sw->naxes; a++) {
    SPX_TRY(parse_axis(sw, config_setting_get_elem(axes, a), a, &sw->axes[a]));
    for (int b = 0; b < a; b++) {
      if (strcmp(sw->axes[a].name, sw->axes[b].name) == 0)
        return BAD(sw->axes[a].where, "sweep.axes", "axes %d and %d have the same name \"%s\"",
                   b + 1, a + 1, sw->axes[a].name);
      if (sw->axes[a].param && sw->axes[b].param && strcmp(sw->axes[a].param, sw->axes[b].param) == 0)
        return BAD(sw->axes[a].where, "sweep.axes", "axes %d and %d both set %s", b + 1, a + 1,
                   sw->axes[a].param);
    }
    static const char *const reserved[] = {"point", "replica", "seed", "status", "class",
                                           "consensus", "runs", "failed"};
    for (size_t r = 0; r < sizeof reserved / sizeof *reserved; r++)
      if (strcmp(sw->axes[a].name, reserved[r]) == 0)
        return BAD(sw->axes[a].where, "sweep.axes",
                   "axis %d: \"%s\" is a column of sweep.tsv; name the axis otherwise (name = ...)",
                   a + 1, sw->axes[a].name);
  }
  sw->npoints = 1;
  for (int a = sw->naxes - 1; a >= 0; a--) {
    sw->stride[a] = sw->npoints;
    if ((double)sw->npoints * sw->axes[a].len > (double)MAX_RUNS)
      return BAD(axes, "sweep.axes", "more than %ld points", MAX_RUNS);
    sw->npoints *= sw->axes[a].len;
  }

  const config_setting_t *e = config_setting_get_member(g, "derived");
  if (e) {
    SPX_TRY(parse_string_list(sw, e, "sweep.derived", &sw->nderived, &sw->derived,
                              &sw->derived_where));
    for (int k = 0; k < sw->nderived; k++) {
      const char *eq = strchr(sw->derived[k], '=');
      if (!eq || eq == sw->derived[k])
        return BAD(sw->derived_where[k], "sweep.derived",
                   "\"%s\" must be KEY=VALUE, e.g. \"model.spectrum=[${a}, 1.0]\"", sw->derived[k]);
      char key[256];
      snprintf(key, sizeof key, "%.*s", (int)(eq - sw->derived[k]), sw->derived[k]);
      if (strcmp(key, "init.seed") == 0 || strncmp(key, "sweep.", 6) == 0 || !strchr(key, '.'))
        return BAD(sw->derived_where[k], "sweep.derived", "\"%s\" cannot be derived", key);
      for (int a = 0; a < sw->naxes; a++)
        if (sw->axes[a].param && strcmp(sw->axes[a].param, key) == 0)
          return BAD(sw->derived_where[k], "sweep.derived", "%s is already set by axis %d (%s)",
                     key, a + 1, sw->axes[a].name);
    }
  }
  for (int a = 0; a < sw->naxes; a++) {
    if (sw->axes[a].param) continue;
    int used = 0;
    char pat[80];
    snprintf(pat, sizeof pat, "%s", sw->axes[a].name);
    for (int k = 0; k < sw->nderived; k++) {
      /* used iff the name occurs as a whole word inside some ${...} */
      for (const char *p = strstr(sw->derived[k], "${"); p; p = strstr(p + 2, "${")) {
        const char *end = strchr(p, '}');
        size_t l = strlen(pat);
        for (const char *q = p + 2; end && q + l <= end; q++)
          if (strncmp(q, pat, l) == 0 && !(isalnum((unsigned char)q[l]) || q[l] == '_') &&
              (q == p + 2 || !(isalnum((unsigned char)q[-1]) || q[-1] == '_')))
            used = 1;
      }
    }
    if (!used)
      return BAD(sw->axes[a].where, "sweep.axes",
                 "axis %d (%s) has no param and no derived key uses ${%s}: it would change "
                 "nothing",
                 a + 1, sw->axes[a].name, sw->axes[a].name);
  }

  sw->replicas = 1;
  if ((e = config_setting_get_member(g, "replicas"))) {
    int t = config_setting_type(e);
    long long r = (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) ? config_setting_get_int64(e) : 0;
    if (r < 1 || r > 1000000)
      return BAD(e, "sweep.replicas", "must be an integer, 1 <= replicas <= 1000000");
    sw->replicas = (int)r;
  }
  if ((double)sw->npoints * sw->replicas > (double)MAX_RUNS)
    return BAD(e ? e : axes, "sweep.replicas", "%ld points x %d replicas is more than %ld runs",
               sw->npoints, sw->replicas, MAX_RUNS);
  sw->seed0 = spx_config_params(sw->base)->init.seed;
  const config_setting_t *es = config_setting_get_member(g, "seed");
  if (es) {
    int t = config_setting_type(es);
    long long v = (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) ? config_setting_get_int64(es) : -1;
    if (v < 0 || v > 4294967295LL)
      return BAD(es, "sweep.seed", "must be an integer in [0, 4294967295]");
    sw->seed0 = (unsigned long)v;
  }
  if ((double)sw->seed0 + (double)sw->npoints * sw->replicas - 1 > 4294967295.0)
    return BAD(es ? es : g, es ? "sweep.seed" : "init.seed",
               "the last seed %lu + %ld * %d - 1 is above 4294967295 (init.seed range)", sw->seed0,
               sw->npoints, sw->replicas);

  SPX_TRY(parse_metrics(sw));

  if ((e = config_setting_get_member(g, "figures"))) {
    if (config_setting_type(e) != CONFIG_TYPE_LIST)
      return BAD(e, "sweep.figures", "must be a list of groups ( { kind = \"heatmap\"; ... } )");
    sw->nfigs = config_setting_length(e);
    sw->figs = calloc((size_t)(sw->nfigs > 0 ? sw->nfigs : 1), sizeof *sw->figs);
    if (!sw->figs) return SPX_ENOMEM;
    for (int i = 0; i < sw->nfigs; i++)
      SPX_TRY(parse_figure(sw, config_setting_get_elem(e, i), i, &sw->figs[i]));
  }
  sw->snap = calloc((size_t)sw->npoints, 1);
  if (!sw->snap) return SPX_ENOMEM;
  for (int i = 0; i < sw->nfigs; i++) {
    const spx_figure *f = &sw->figs[i];
    if (f->kind != SPX_FIG_SNAPSHOTS) continue;
    /* panels: evenly spaced values of the x axis, the other axes at their first value */
    const spx_axis *ax = &sw->axes[f->ax];
    int np = ax->len < f->maxpanels ? ax->len : f->maxpanels;
    for (int k = 0; k < np; k++) {
      int idx = np > 1 ? (int)lround((double)k * (ax->len - 1) / (np - 1)) : 0;
      sw->snap[(long)idx * sw->stride[f->ax]] = 1;
    }
  }
cleanup:
  return status;
}

/* Every point must give a valid run config that the solver accepts (before anything is written). */
static int check_points(spx_sweep *sw)
{
  int status = SPX_OK;
  double *x0 = NULL;
  for (long p = 0; p < sw->npoints; p++) {
    char **sets = NULL;
    int nsets = 0;
    spx_config *cfg = NULL;
    status = spx_sweep_point_sets(sw, p, 0, &sets, &nsets);
    if (status == SPX_OK) {
      status = spx_sweep_load_sets(sw, sets, nsets, &cfg);
      if (status == SPX_EINVAL) {
        char desc[1024];
        size_t used = 0;
        for (int a = 0; a < sw->naxes && used < sizeof desc - 80; a++)
          used += (size_t)snprintf(desc + used, sizeof desc - used, "%s%s = %s", a ? ", " : "",
                                   sw->axes[a].name,
                                   sw->axes[a].show[spx_sweep_index(sw, p, a)]);
        const config_setting_t *axes = config_setting_get_member(sw->group, "axes");
        spx_config_bad(sw->base, axes, "sweep.axes",
                       "point %ld (%s) gives an invalid run config (see the message above): "
                       "check the axis params and sweep.derived",
                       p, desc);
      }
    }
    if (status == SPX_OK) {
      const spx_run_params *rp = spx_config_params(cfg);
      const spx_model *m = rp->model;
      spx_sim *probe = NULL;
      for (int i = 0; i < sw->nfigs && status == SPX_OK; i++)
        if ((sw->figs[i].theory & (SPX_TH_CRITERION | SPX_TH_BETA_S | SPX_TH_BISTABILITY)) &&
            !m->symmetric)
          status = spx_config_bad(sw->base, sw->figs[i].where, "sweep.figures",
                                  "figure %d: theories criterion, beta_s and bistability (spec "
                                  "§4.4) need the symmetric case A = V = V^T (model.spectrum); "
                                  "point %ld is not",
                                  i + 1, p);
      free(x0);
      x0 = malloc(sizeof(double) * m->n * m->d);
      if (!x0) status = SPX_ENOMEM;
      if (status == SPX_OK) status = spx_init_fill(&rp->init, m, x0);
      if (status == SPX_OK) status = spx_sim_create(m, rp->method, &rp->solver, 0.0, x0, &probe);
      spx_sim_free(probe);
      if (status != SPX_OK && status != SPX_ENOMEM) status = SPX_EINVAL;
    }
    spx_config_free(cfg);
    spx_sweep_free_sets(sets, nsets);
    if (status) break;
  }
  free(x0);
  return status;
}

int spx_sweep_load(const char *path, const char *const *sets, int nsets, spx_sweep **out)
{
  int status = SPX_OK;
  spx_sweep *sw = calloc(1, sizeof *sw);
  *out = NULL;
  if (!sw) return SPX_ENOMEM;
  sw->path = dupstr(path);
  sw->user_sets = calloc((size_t)(nsets > 0 ? nsets : 1), sizeof(char *));
  if (!sw->path || !sw->user_sets) { status = SPX_ENOMEM; goto cleanup; }
  for (int i = 0; i < nsets; i++) {
    if (!(sw->user_sets[i] = dupstr(sets[i]))) { status = SPX_ENOMEM; goto cleanup; }
    sw->nuser = i + 1;
  }
  SPX_TRY(spx_config_load(path, sets, nsets, &sw->base));
  SPX_TRY(parse_sweep(sw));
  SPX_TRY(check_points(sw));
  *out = sw;
  return SPX_OK;
cleanup:
  spx_sweep_free(sw);
  return status;
}

void spx_sweep_free(spx_sweep *sw)
{
  if (!sw) return;
  for (int a = 0; a < sw->naxes && sw->axes; a++) {
    spx_axis *ax = &sw->axes[a];
    for (int k = 0; k < ax->len; k++) {
      if (ax->text) free(ax->text[k]);
      if (ax->show) free(ax->show[k]);
    }
    free(ax->text);
    free(ax->show);
    free(ax->num);
    free(ax->name);
    free(ax->param);
    free(ax->label);
  }
  free(sw->axes);
  free(sw->stride);
  for (int k = 0; k < sw->nderived; k++) free(sw->derived[k]);
  free(sw->derived);
  free(sw->derived_where);
  free(sw->metrics);
  for (int i = 0; i < sw->nfigs && sw->figs; i++) {
    spx_figure *f = &sw->figs[i];
    for (int c = 0; c < f->nclasses && f->classes; c++) free(f->classes[c]);
    free(f->classes);
    free(f->z);
    free(f->file);
    free(f->title);
  }
  free(sw->figs);
  free(sw->snap);
  spx_sweep_free_sets(sw->setbuf, sw->nsetbuf);
  for (int i = 0; i < sw->nuser; i++) free(sw->user_sets[i]);
  free(sw->user_sets);
  spx_config_free(sw->base);
  free(sw->path);
  free(sw);
}
