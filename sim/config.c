/* config.c -- the config key table, loading, --set overrides, validation and model building.
 *
 * The table `keys` below is the single declaration of every key: its type, default, range and
 * help text. Loading is: libconfig parse (AUTOCONVERT, so `beta = 1` is a float) -> --set
 * overrides merged into the tree -> unknown-key check against the table -> defaults added to the
 * tree -> typed extraction with range checks -> model built. Every message names the file and line
 * (or the --set option) and the key, and says what is allowed (DEVELOPERS.md: bad input -> exit 2).
 *
 * Matrices (model.Q, K, A, V, basis, and the same inside model.heads) are an explicit list of d
 * rows, `( [1.0, 0.0], [0.0, 1.0] )`, a name ("identity", "zero", "random_orthogonal", "goe",
 * "wishart", "diag(1.0, 0.5)"), or a group { kind = "goe"; seed = 3; scale = 0.5; values = [...] }.
 * Named random matrices without a seed take model.seed plus a fixed offset per matrix; the resolved
 * config records the group form with the seed, so a run can be repeated exactly.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_rng.h>
#include <libconfig.h>

#include "mat.h"
#include "settle.h"
#include "status.h"
#include "transport.h" /* spx_sd_compose, SPX_TRANSPORT_N_LIMIT */

/* K_ANY: any structure; the module that owns the key validates it (spx_config_setting). */
typedef enum { K_INT, K_FLOAT, K_BOOL, K_STRING, K_MATRIX, K_VECTOR, K_HEADS, K_ANY } key_type;

typedef struct {
  const char *path;    /* dotted path */
  key_type type;
  const char *def;     /* default in libconfig syntax; NULL: optional, no default */
  double lo, hi;       /* inclusive range of numbers (and of the length of K_VECTOR: see help) */
  const char *choices; /* allowed strings, '|'-separated; NULL: any string */
  const char *help;
} key_def;

#define BIG 1e300
/* The key table: the public interface of configs (README "Config keys"). */
static const key_def keys[] = {
    {"name", K_STRING, NULL, 0, 0, NULL, "run name (output/NAME); default: the config file's stem"},
    {"model.n", K_INT, "64", 1, 100000000, NULL, "number of particles"},
    {"model.d", K_INT, "3", 2, 65536, NULL, "ambient dimension; particles on S^{d-1}"},
    {"model.beta", K_FLOAT, "1.0", 0, 1e12, NULL, "inverse temperature multiplying the logits"},
    {"model.normalization", K_STRING, "\"sa\"", 0, 0, "sa|usa",
     "sa: row softmax (Kuehn-Yoon Eq. 2.2); usa: exp(.)/n"},
    {"model.usa_time", K_STRING, "\"physical\"", 0, 0, "physical|rescaled",
     "USA clock: rescaled integrates in tau = exp(beta*||A||_2) t (spec §2.6)"},
    {"model.projection", K_STRING, "\"norm_aware\"", 0, 0, "norm_aware|plain",
     "norm_aware keeps |x_i| exactly (spec §2.6); plain is P_x y = y - <x,y> x"},
    {"model.mask", K_STRING, "\"none\"", 0, 0, "none|causal|window",
     "attention mask: causal j <= i; window i-w+1 <= j <= i"},
    {"model.window", K_INT, "1", 1, 100000000, NULL, "window width w for mask = \"window\""},
    {"model.spectrum", K_VECTOR, NULL, -BIG, BIG, NULL,
     "symmetric case: eigenvalues of V = A = U diag(spectrum) U^T (length d)"},
    {"model.basis", K_MATRIX, "\"identity\"", 0, 0, NULL,
     "symmetric case: orthogonal U (identity, random_orthogonal, or explicit)"},
    {"model.eigen_coords", K_BOOL, "false", 0, 0, NULL,
     "symmetric case: integrate y = U^T x (spec §4.1); outputs stay in the x frame"},
    {"model.Q", K_MATRIX, NULL, 0, 0, NULL, "query matrix (A = Q^T K); default identity"},
    {"model.K", K_MATRIX, NULL, 0, 0, NULL, "key matrix; default identity"},
    {"model.A", K_MATRIX, NULL, 0, 0, NULL, "logit form Q^T K given directly (excludes Q, K)"},
    {"model.V", K_MATRIX, NULL, 0, 0, NULL, "value matrix; default identity"},
    {"model.sd", K_ANY, NULL, 0, 0, NULL,
     "S-D logit form A = S - D [D]: { B = <matrix>; C = <matrix>; }, S = (B - B^T)/2, D = C C^T "
     "(C: d rows of k <= d numbers, or a d x d matrix); excludes Q, K, A, F, R"},
    {"model.F", K_MATRIX, NULL, 0, 0, NULL,
     "filtering part of A = F + R (its symmetric part is used; warning if F is not symmetric)"},
    {"model.R", K_MATRIX, NULL, 0, 0, NULL,
     "routing part of A = F + R (its skew part is used; warning if R is not skew)"},
    {"model.heads", K_HEADS, NULL, 0, 0, NULL,
     "multi-head: list of groups {Q; K; A; V} (or sd, F, R), drives summed (excludes model.Q/K/A/V)"},
    {"model.seed", K_INT, "1", 0, 4294967295.0, NULL, "seed of named random matrices"},
    {"init.kind", K_STRING, "\"uniform\"", 0, 0,
     "uniform|cap|hemisphere|circle|cluster|pure_mode|orthonormal|file", "initial condition"},
    {"init.seed", K_INT, "1", 0, 4294967295.0, NULL, "seed of the initial condition"},
    {"init.center", K_VECTOR, NULL, -BIG, BIG, NULL, "cap/hemisphere/cluster centre (length d; default e_1)"},
    {"init.angle", K_FLOAT, "0.7853981633974483", 1e-12, M_PI, NULL, "cap half-angle (radians)"},
    {"init.noise", K_FLOAT, "0.0", 0, BIG, NULL, "circle: Gaussian angle noise"},
    {"init.mode", K_INT, "1", 1, 65536, NULL, "pure_mode: eigen-direction k (1-based, config order)"},
    {"init.n_plus", K_INT, "-1", -1, 100000000, NULL, "pure_mode: particles at +u_k (-1: all)"},
    {"init.perturb", K_FLOAT, "0.0", 0, BIG, NULL, "Gaussian perturbation added to any kind"},
    {"init.file", K_STRING, NULL, 0, 0, NULL, "init.kind = \"file\": whitespace table, n rows x d"},
    {"solver.method", K_STRING, "\"adams\"", 0, 0, "adams|bdf|bdf_newton|rk8pd|euler|rk4",
     "integrator back end"},
    {"solver.rtol", K_FLOAT, "1e-8", 1e-15, 0.5, NULL, "relative tolerance (adaptive methods)"},
    {"solver.atol", K_FLOAT, "1e-10", 1e-300, 1.0, NULL, "absolute tolerance (adaptive methods)"},
    {"solver.t_final", K_FLOAT, "10.0", 1e-300, BIG, NULL, "final time"},
    {"solver.dt", K_FLOAT, "0.01", 1e-300, BIG, NULL, "step of euler / rk4"},
    {"solver.max_steps", K_INT, "500000", 1, 1e15, NULL, "maximum steps per output interval"},
    {"solver.max_order", K_INT, "0", 0, 12, NULL, "maximum order (0: method default)"},
    {"solver.h0", K_FLOAT, "0.0", 0, BIG, NULL, "initial step (0: automatic)"},
    {"solver.stop_when_settled", K_BOOL, "false", 0, 0, NULL,
     "stop early once within stop_tol of a linearly stable pure mode (CVODE back ends, symmetric "
     "A = V, one head, no mask; summary.tsv: settled, t_settled)"},
    {"solver.stop_tol", K_FLOAT, "1e-6", 1e-14, 1e-2, NULL,
     "early stop: distance to the pure mode, max_i(1 - |y_i^k*|)"},
    {"output.every", K_FLOAT, "0.0", 0, BIG, NULL, "time between output rows (0: t_final/200)"},
    {"output.trajectory_every", K_INT, "10", 0, 1e9, NULL,
     "write the state at every k-th output row (0: first and last only)"},
    {"output.trajectory_format", K_STRING, "\"auto\"", 0, 0, "auto|tsv|bin",
     "trajectory as TSV, or raw float64 + sidecar; auto: bin above 2e6 numbers"},
    {"output.plots", K_BOOL, "true", 0, 0, NULL, "draw figures with gnuplot"},
    {"output.plot_format", K_STRING, "\"png\"", 0, 0, "png|pdf|svg", "figure format"},
    {"output.norm_drift_warn", K_FLOAT, "1e-6", 0, BIG, NULL, "warn once when max||x_i|-1| exceeds this"},
    {"classify.pm_tol", K_FLOAT, "1e-3", 0, 1, NULL, "pure mode iff max_i(1-|y_i^k|) < pm_tol"},
    {"classify.cluster_threshold", K_FLOAT, "0.999", -1, 1, NULL, "clusters: <x_i,x_j> > threshold"},
    {"classify.speed_tol", K_FLOAT, "1e-6", 0, BIG, NULL, "stationary iff max_i |dx_i/dt| < speed_tol"},
    /* sweep: read and validated by sim/sweep.c (bin/sim sweep --help); no defaults added */
    {"sweep.axes", K_ANY, NULL, 0, 0, NULL,
     "bin/sim sweep: ( { param = \"model.beta\"; linspace = [lo, hi]; count = N; }, ... ) or "
     "values = [...], logspace = [lo, hi]; name = \"a\" for a parameter of sweep.derived"},
    {"sweep.derived", K_ANY, NULL, 0, 0, NULL,
     "keys computed from the axes, e.g. [\"model.spectrum=[${a}, 1.0]\"]"},
    {"sweep.replicas", K_INT, NULL, 1, 1000000, NULL,
     "runs per point (default 1); run r of point p has init.seed = seed + p * replicas + r"},
    {"sweep.seed", K_INT, NULL, 0, 4294967295.0, NULL, "first seed of the sweep (default init.seed)"},
    {"sweep.metrics", K_ANY, NULL, 0, 0, NULL, "summary.tsv keys recorded per run, e.g. [\"f_plus\"]"},
    {"sweep.figures", K_ANY, NULL, 0, 0, NULL,
     "( { kind = \"heatmap\" | \"fractions\" | \"metric\" | \"snapshots\"; x = ...; ... } )"},
    {"checkpoint.every_steps", K_INT, "10000", 0, 1e15, NULL,
     "restart point (checkpoint.bin) at the first output row after this many solver steps "
     "since the last one (0: off); validated by sim/checkpoint.c"},
    {"checkpoint.every_time", K_FLOAT, "0.0", 0, BIG, NULL,
     "restart point at the first output row this much time after the last one (0: off)"},
    {"checkpoint.on_signal", K_STRING, "\"exact\"", 0, 0, "exact|now",
     "SIGINT/SIGTERM: exact keeps the last restart point (resume is bitwise exact); now adds one "
     "at the row reached (no work lost; resume equal to solver tolerance)"},
    {"transport.every", K_INT, "0", 0, 1e9, NULL,
     "bin/sim run: transport diagnostics (transport.tsv) at every k-th output row (0: off)"},
    {"transport.max_n", K_INT, "1000", 2, SPX_TRANSPORT_N_LIMIT, NULL,
     "transport.every > 0 is refused above this model.n (n x n matrix, O(n^3) per snapshot)"},
    {"transport.head", K_INT, "1", 1, 1e6, NULL, "head whose attention matrix is diagnosed"},
    {"transport.kind", K_STRING, "\"softmax\"", 0, 0, "uniform_causal|window|sink|softmax",
     "bin/sim transport CONFIG: the matrix (softmax: attention of the initial state)"},
    {"transport.windows", K_VECTOR, NULL, 1, 1e8, NULL,
     "bin/sim transport, kind window: widths w to sweep, e.g. [2, 4, 8] (default: model.window)"},
};
#define NKEYS ((int)(sizeof keys / sizeof *keys))

/* 1 if some key of the table lives in group `name` (the groups come from the table). */
static int is_group(const char *name)
{
  size_t l = strlen(name);
  for (int i = 0; i < NKEYS; i++)
    if (strncmp(keys[i].path, name, l) == 0 && keys[i].path[l] == '.') return 1;
  return 0;
}

/* "model, init, ..." for messages. */
static void list_groups(char *buf, size_t len)
{
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < NKEYS; i++) {
    const char *dot = strchr(keys[i].path, '.');
    if (!dot) continue;
    int seen = 0;
    for (int j = 0; j < i; j++)
      seen |= strncmp(keys[j].path, keys[i].path, (size_t)(dot - keys[i].path + 1)) == 0;
    if (seen) continue;
    int w = snprintf(buf + used, len - used, "%s%.*s", used ? ", " : "",
                     (int)(dot - keys[i].path), keys[i].path);
    if (w < 0 || (size_t)w >= len - used) break;
    used += (size_t)w;
  }
}

struct spx_config {
  config_t cfg;
  char *path;
  char *name;
  char **set_text;       /* the --set strings (hooks of overridden settings point at them) */
  int nsets;
  spx_run_params p;
  double *center;
};

/* ------------------------------------------------------------------------------------------ */
/* Locations and messages                                                                       */

/* "FILE:LINE" of a setting, or "--set KEY=VALUE" when it came from the command line. */
static void where(const spx_config *c, const config_setting_t *s, char *buf, size_t len)
{
  const config_setting_t *t = s;
  while (t) {
    if (config_setting_get_hook(t)) {
      snprintf(buf, len, "--set %s", (const char *)config_setting_get_hook(t));
      return;
    }
    t = t->parent;
  }
  snprintf(buf, len, "%s:%d", c->path, s ? config_setting_source_line(s) : 0);
}

/* Every bad-input message goes through spx_config_bad (below, declared in config.h). */
#define bad spx_config_bad

static const key_def *find_key(const char *path)
{
  for (int i = 0; i < NKEYS; i++)
    if (strcmp(keys[i].path, path) == 0) return &keys[i];
  return NULL;
}

static const char *type_name(key_type t)
{
  switch (t) {
  case K_INT: return "an integer";
  case K_FLOAT: return "a number";
  case K_BOOL: return "true or false";
  case K_STRING: return "a string in double quotes";
  case K_MATRIX: return "a matrix: ( [row], ... ), a name, or { kind = ...; }";
  case K_VECTOR: return "an array of numbers [a, b, ...]";
  case K_HEADS: return "a list of groups ( { Q = ...; V = ...; }, ... )";
  case K_ANY: return "a value";
  }
  return "?";
}

/* Comma-separated list of the keys of a group, for "unknown key" messages. */
static void list_group_keys(const char *group, char *buf, size_t len)
{
  size_t gl = strlen(group), used = 0;
  buf[0] = '\0';
  for (int i = 0; i < NKEYS; i++)
    if (strncmp(keys[i].path, group, gl) == 0 && keys[i].path[gl] == '.') {
      int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", keys[i].path + gl + 1);
      if (w < 0 || (size_t)w >= len - used) break;
      used += (size_t)w;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Structure check: unknown keys and types                                                      */

static int is_number(const config_setting_t *s)
{
  int t = config_setting_type(s);
  return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_FLOAT;
}

static int check_matrix_group(const spx_config *c, const config_setting_t *s, const char *key)
{
  static const char *const allowed = "kind, seed, scale, values";
  for (int i = 0; i < config_setting_length(s); i++) {
    const config_setting_t *e = config_setting_get_elem(s, i);
    const char *nm = config_setting_name(e);
    if (strcmp(nm, "kind") && strcmp(nm, "seed") && strcmp(nm, "scale") && strcmp(nm, "values"))
      return bad(c, e, key, "unknown member \"%s\" of a matrix group; allowed: %s", nm, allowed);
  }
  return SPX_OK;
}

static int check_type(const spx_config *c, const config_setting_t *s, const key_def *k,
                      const char *key)
{
  int t = config_setting_type(s);
  int ok = 0;
  switch (k->type) {
  case K_ANY: ok = 1; break;
  case K_INT: ok = (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64); break;
  case K_FLOAT: ok = is_number(s); break;
  case K_BOOL: ok = (t == CONFIG_TYPE_BOOL); break;
  case K_STRING: ok = (t == CONFIG_TYPE_STRING); break;
  case K_VECTOR: ok = (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST); break;
  case K_MATRIX:
    ok = (t == CONFIG_TYPE_STRING || t == CONFIG_TYPE_LIST || t == CONFIG_TYPE_GROUP);
    if (ok && t == CONFIG_TYPE_GROUP) return check_matrix_group(c, s, key);
    break;
  case K_HEADS:
    ok = (t == CONFIG_TYPE_LIST);
    if (ok) {
      if (config_setting_length(s) < 1) return bad(c, s, key, "needs at least one head");
      for (int h = 0; h < config_setting_length(s); h++) {
        const config_setting_t *g = config_setting_get_elem(s, h);
        if (config_setting_type(g) != CONFIG_TYPE_GROUP)
          return bad(c, g, key, "head %d must be a group { Q = ...; K = ...; V = ...; }", h + 1);
        for (int i = 0; i < config_setting_length(g); i++) {
          const config_setting_t *e = config_setting_get_elem(g, i);
          const char *nm = config_setting_name(e);
          if (strcmp(nm, "Q") && strcmp(nm, "K") && strcmp(nm, "A") && strcmp(nm, "V") &&
              strcmp(nm, "sd") && strcmp(nm, "F") && strcmp(nm, "R"))
            return bad(c, e, key, "unknown member \"%s\" of head %d; allowed: Q, K, A, V, sd, F, R",
                       nm, h + 1);
          if (strcmp(nm, "sd") == 0) continue; /* a group { B; C; }: read_sd checks it */
          int et = config_setting_type(e);
          if (et != CONFIG_TYPE_STRING && et != CONFIG_TYPE_LIST && et != CONFIG_TYPE_GROUP)
            return bad(c, e, key, "head %d: %s must be %s", h + 1, nm, type_name(K_MATRIX));
          if (et == CONFIG_TYPE_GROUP) {
            int st = check_matrix_group(c, e, key);
            if (st) return st;
          }
        }
      }
    }
    break;
  }
  if (!ok) return bad(c, s, key, "must be %s", type_name(k->type));
  return SPX_OK;
}

/* libconfig has no inf or nan literal, so a non-finite number can only come from an overflowing
 * literal (1e999). It is refused wherever it is, also under keys other modules validate (sweep
 * axes), because config.resolved.cfg could not write it back (found by make fuzz, issue 9). */
static int check_finite(const spx_config *c, const config_setting_t *s, const char *path)
{
  for (int i = 0; i < config_setting_length(s); i++) {
    const config_setting_t *e = config_setting_get_elem(s, i);
    const char *nm = config_setting_name(e);
    char sub[256];
    if (nm) snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", nm);
    else snprintf(sub, sizeof sub, "%s", path);
    int t = config_setting_type(e);
    if (t == CONFIG_TYPE_FLOAT && !isfinite(config_setting_get_float(e)))
      return bad(c, e, sub, "must be finite (got %g: the literal overflows a double, whose "
                            "largest value is 1.8e308)", config_setting_get_float(e));
    if (t == CONFIG_TYPE_GROUP || t == CONFIG_TYPE_LIST || t == CONFIG_TYPE_ARRAY) {
      int st = check_finite(c, e, sub);
      if (st) return st;
    }
  }
  return SPX_OK;
}

static int check_structure(const spx_config *c)
{
  const config_setting_t *root = config_root_setting(&c->cfg);
  char allowed[2048];
  for (int i = 0; i < config_setting_length(root); i++) {
    const config_setting_t *s = config_setting_get_elem(root, i);
    const char *nm = config_setting_name(s);
    if (is_group(nm)) {
      if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return bad(c, s, nm, "must be a group: %s = { ... };", nm);
      for (int j = 0; j < config_setting_length(s); j++) {
        const config_setting_t *e = config_setting_get_elem(s, j);
        char path[256];
        snprintf(path, sizeof path, "%s.%s", nm, config_setting_name(e));
        const key_def *k = find_key(path);
        if (!k) {
          list_group_keys(nm, allowed, sizeof allowed);
          return bad(c, e, path, "unknown key; the keys of group %s are: %s", nm, allowed);
        }
        int st = check_type(c, e, k, path);
        if (st) return st;
      }
    } else if (strcmp(nm, "name") == 0) {
      int st = check_type(c, s, find_key("name"), "name");
      if (st) return st;
    } else {
      list_groups(allowed, sizeof allowed);
      return bad(c, s, nm, "unknown top-level key; allowed: name and the groups %s", allowed);
    }
  }
  return SPX_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* libconfig 1.5 reduces an integer literal without the L suffix modulo 2^32, silently (n =
 * 4294967312 reads as 16). Before parsing, the text is rewritten with an L after every integer
 * literal that needs more than 32 bits, so large values are read exactly (and then range-checked
 * with their key); a literal beyond 64 bits is refused with its line and key.                  */

/* The key of the assignment a literal at p belongs to: the last `name =` or `name :` before p
 * on its line (for messages). */
static void key_before(const char *start, const char *p, char *key, size_t len)
{
  const char *ls = p;
  while (ls > start && ls[-1] != '\n') ls--;
  const char *best = NULL, *be = NULL;
  for (const char *q = ls; q < p; q++)
    if (isalpha((unsigned char)*q) && (q == ls || !(isalnum((unsigned char)q[-1]) || q[-1] == '_'))) {
      const char *e = q;
      while (isalnum((unsigned char)*e) || *e == '_') e++;
      const char *f = e;
      while (*f == ' ' || *f == '\t') f++;
      if (*f == '=' || *f == ':') { best = q; be = e; }
      q = e - 1;
    }
  if (best) snprintf(key, len, "%.*s", (int)(be - best), best);
  else snprintf(key, len, "(value)");
}

/* Return a malloc'ed copy of text with L appended to integer literals above 32 bits, or NULL
 * (with *status set) on error. origin names the file (or the --set option when is_set). */
static char *widen_int_literals(const char *text, const char *origin, int is_set, int *status)
{
  size_t len = strlen(text);
  char *out = malloc(2 * len + 1), *o = out;
  int line = 1;
  *status = SPX_OK;
  if (!out) { *status = SPX_ENOMEM; return NULL; }
  for (const char *p = text; *p; p++) {
    if (*p == '\n') line++;
    if (*p == '"') { /* string: copy verbatim */
      *o++ = *p;
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1]) *o++ = *p++;
        if (*p == '\n') line++;
        *o++ = *p;
      }
      if (!*p) break;
      *o++ = *p;
      continue;
    }
    if (*p == '#' || (*p == '/' && p[1] == '/')) { /* comment to the end of the line */
      while (*p && *p != '\n') *o++ = *p++;
      if (!*p) break;
      line++;
      *o++ = *p;
      continue;
    }
    if (*p == '/' && p[1] == '*') {
      *o++ = *p++;
      *o++ = *p++;
      while (*p && !(*p == '*' && p[1] == '/')) {
        if (*p == '\n') line++;
        *o++ = *p++;
      }
      if (!*p) break;
      *o++ = *p++;
      *o++ = *p;
      continue;
    }
    if (isdigit((unsigned char)*p) &&
        (p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.'))) {
      const char *q = p;
      if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) q += 2;
      while (isxdigit((unsigned char)*q) && (p[1] == 'x' || p[1] == 'X' || isdigit((unsigned char)*q))) q++;
      int is_float = (*q == '.' || *q == 'e' || *q == 'E');
      int hex = (p[1] == 'x' || p[1] == 'X');
      memcpy(o, p, (size_t)(q - p));
      o += q - p;
      if (!is_float && *q != 'L') {
        double v = strtod(p, NULL);
        if (hex) { /* hex as well: n = 0x100000010 was read as 16 (found by issue 9's tests) */
          const char *h = p + 2;
          while (*h == '0') h++;
          unsigned long long u = strtoull(p, NULL, 16);
          v = (q - h > 16 || u > 0x7fffffffffffffffULL) ? 1e300 : (double)u;
          if (u <= 0x7fffffffULL && q - h <= 16) v = 0.0; /* fits in 32 bits: no L needed */
        }
        if (v > 9223372036854775807.0) {
          char key[128];
          key_before(text, p, key, sizeof key);
          if (is_set)
            spx_error("--set %s: the integer %.*s does not fit in 64 bits", origin, (int)(q - p), p);
          else
            spx_error("%s:%d: %s: the integer %.*s does not fit in 64 bits", origin, line, key,
                      (int)(q - p), p);
          *status = SPX_EINVAL;
          free(out);
          return NULL;
        }
        if (v > 2147483647.0) *o++ = 'L';
      }
      p = q - 1;
      continue;
    }
    *o++ = *p;
  }
  *o = '\0';
  return out;
}

/* Read the whole config file (configs are small), refusing binary files. */
static char *slurp(const char *path, int *status)
{
  FILE *f = fopen(path, "rb");
  *status = SPX_OK;
  if (!f) {
    spx_error("%s: cannot read the config (%s)", path, strerror(errno));
    *status = SPX_EINVAL;
    return NULL;
  }
  size_t cap = 1 << 16, len = 0, got;
  char *buf = malloc(cap);
  if (!buf) goto nomem;
  while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (len + 1 >= cap) {
      if (cap > (64u << 20)) {
        spx_error("%s: larger than 64 MiB; this is not a config file", path);
        *status = SPX_EINVAL;
        goto fail;
      }
      char *nb = realloc(buf, cap *= 2);
      if (!nb) goto nomem;
      buf = nb;
    }
  }
  buf[len] = '\0';
  if (memchr(buf, '\0', len)) {
    spx_error("%s: contains NUL bytes: not a config file (libconfig text expected)", path);
    *status = SPX_EINVAL;
    goto fail;
  }
  fclose(f);
  return buf;
nomem:
  *status = SPX_ENOMEM;
fail:
  free(buf);
  fclose(f);
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Tree editing: --set overrides and defaults                                                   */

/* Deep copy of the value of src into the new setting dst (same type). */
static int copy_value(config_setting_t *dst, const config_setting_t *src)
{
  switch (config_setting_type(src)) {
  case CONFIG_TYPE_INT: return config_setting_set_int(dst, config_setting_get_int(src)) ? 0 : -1;
  case CONFIG_TYPE_INT64:
    return config_setting_set_int64(dst, config_setting_get_int64(src)) ? 0 : -1;
  case CONFIG_TYPE_FLOAT:
    return config_setting_set_float(dst, config_setting_get_float(src)) ? 0 : -1;
  case CONFIG_TYPE_BOOL: return config_setting_set_bool(dst, config_setting_get_bool(src)) ? 0 : -1;
  case CONFIG_TYPE_STRING:
    return config_setting_set_string(dst, config_setting_get_string(src)) ? 0 : -1;
  case CONFIG_TYPE_ARRAY:
  case CONFIG_TYPE_LIST:
  case CONFIG_TYPE_GROUP:
    for (int i = 0; i < config_setting_length(src); i++) {
      const config_setting_t *e = config_setting_get_elem(src, i);
      config_setting_t *ne = config_setting_add(dst, config_setting_name(e), config_setting_type(e));
      if (!ne || copy_value(ne, e)) return -1;
    }
    return 0;
  }
  return -1;
}

/* Apply "a.b.c=value": parse the value as libconfig text and put it at path a.b.c, replacing
 * whatever was there. */
int spx_config_put(config_setting_t *root, const char *path, const char *value, void *hook,
                   const char *origin)
{
  int wst, status = SPX_OK;
  char key[256];
  if (snprintf(key, sizeof key, "%s", path) >= (int)sizeof key) {
    spx_error("%s: key too long", origin);
    return SPX_EINVAL;
  }
  char *wide = widen_int_literals(value, origin + (strncmp(origin, "--set ", 6) ? 0 : 6),
                                  1, &wst);
  if (!wide) return wst;
  config_t tmp;
  config_init(&tmp);
  config_set_options(&tmp, config_get_options(&tmp) | CONFIG_OPTION_AUTOCONVERT);
  size_t vlen = strlen(wide);
  char *snippet = malloc(vlen + 16);
  if (!snippet) {
    free(wide);
    config_destroy(&tmp);
    return SPX_ENOMEM;
  }
  snprintf(snippet, vlen + 16, "v = %s;", wide);
  free(wide);
  int ok = config_read_string(&tmp, snippet);
  free(snippet);
  if (!ok) {
    spx_error("%s: the value is not valid libconfig syntax (%s); strings need quotes, "
              "e.g. --set 'solver.method=\"bdf\"', arrays [1.0, 0.5]",
              origin, config_error_text(&tmp));
    config_destroy(&tmp);
    return SPX_EINVAL;
  }
  const config_setting_t *val = config_lookup(&tmp, "v");
  /* walk/create the groups of the path */
  config_setting_t *parent = root;
  char *save = NULL, *part = strtok_r(key, ".", &save), *next;
  while ((next = strtok_r(NULL, ".", &save)) != NULL) {
    config_setting_t *g = config_setting_get_member(parent, part);
    if (!g) g = config_setting_add(parent, part, CONFIG_TYPE_GROUP);
    if (!g || config_setting_type(g) != CONFIG_TYPE_GROUP) {
      spx_error("%s: \"%s\" is not a group in the config", origin, part);
      status = SPX_EINVAL;
      goto cleanup;
    }
    parent = g;
    part = next;
  }
  if (config_setting_get_member(parent, part)) config_setting_remove(parent, part);
  config_setting_t *dst = config_setting_add(parent, part, config_setting_type(val));
  if (!dst || copy_value(dst, val)) {
    spx_error("%s: could not store the value", origin);
    status = SPX_EINVAL;
    goto cleanup;
  }
  config_setting_set_hook(dst, hook);
cleanup:
  config_destroy(&tmp);
  return status;
}

int spx_config_read_file(config_t *cfg, const char *path, const char *what)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    spx_error("%s: cannot read the config (%s)", path, strerror(errno));
    return SPX_EINVAL;
  }
  if (S_ISDIR(st.st_mode)) {
    spx_error("%s: is a directory; expected %s (libconfig syntax, see configs/)", path, what);
    return SPX_EINVAL;
  }
  int rst;
  char *raw = slurp(path, &rst), *text = raw ? widen_int_literals(raw, path, 0, &rst) : NULL;
  free(raw);
  if (!text) return rst;
  /* @include paths are relative to the config's folder, as config_read_file would take them */
  char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
  if (slash) *slash = '\0';
  config_set_include_dir(cfg, slash ? dir : ".");
  int ok = config_read_string(cfg, text);
  free(text);
  free(dir);
  if (!ok) {
    spx_error("%s:%d: malformed config: %s (libconfig syntax: key = value; groups "
              "name = { ... }; strings in double quotes; arrays [1.0, 2.0] of one type)",
              config_error_file(cfg) ? config_error_file(cfg) : path, config_error_line(cfg),
              config_error_text(cfg));
    return SPX_EINVAL;
  }
  return SPX_OK;
}

static int apply_set(spx_config *c, const char *text, char *hook)
{
  const char *eq = strchr(text, '=');
  if (!eq || eq == text) {
    spx_error("--set %s: expected KEY=VALUE with a dotted key, e.g. --set model.beta=2", text);
    return SPX_EINVAL;
  }
  size_t klen = (size_t)(eq - text);
  char key[256];
  if (klen >= sizeof key) {
    spx_error("--set: key too long");
    return SPX_EINVAL;
  }
  memcpy(key, text, klen);
  key[klen] = '\0';
  for (size_t i = 0; i < klen; i++)
    if (!(isalnum((unsigned char)key[i]) || key[i] == '_' || key[i] == '.')) {
      spx_error("--set %s: \"%s\" is not a dotted key (letters, digits, _ and .)", text, key);
      return SPX_EINVAL;
    }
  if (!find_key(key)) {
    char allowed[2048];
    const char *dot = strchr(key, '.');
    if (dot) {
      char grp[64];
      snprintf(grp, sizeof grp, "%.*s", (int)(dot - key), key);
      list_group_keys(grp, allowed, sizeof allowed);
    }
    spx_error("--set %s: unknown key \"%s\"%s%s", text, key,
              dot && allowed[0] ? "; the keys of this group are: " : "; see bin/sim run --help",
              dot && allowed[0] ? allowed : "");
    return SPX_EINVAL;
  }
  char origin[600];
  snprintf(origin, sizeof origin, "--set %s", text);
  return spx_config_put(config_root_setting(&c->cfg), key, eq + 1, hook, origin);
}

/* Add the default of every key that is absent and has one. */
static int add_defaults(spx_config *c)
{
  for (int i = 0; i < NKEYS; i++) {
    if (!keys[i].def || config_lookup(&c->cfg, keys[i].path)) continue;
    char buf[512];
    snprintf(buf, sizeof buf, "%s=%s", keys[i].path, keys[i].def);
    int st = apply_set(c, buf, NULL);
    if (st) return st;
  }
  return SPX_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Typed getters with ranges                                                                     */

static int get_num(const spx_config *c, const char *path, double *v)
{
  const key_def *k = find_key(path);
  const config_setting_t *s = config_lookup(&c->cfg, path);
  *v = config_setting_type(s) == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
                                                    : (double)config_setting_get_int64(s);
  if (!isfinite(*v)) return bad(c, s, path, "must be finite (got %g)", *v);
  if (*v < k->lo || *v > k->hi)
    return bad(c, s, path, "%.17g is out of range; allowed: %g <= %s <= %g", *v, k->lo, path,
               k->hi);
  return SPX_OK;
}

static int get_int(const spx_config *c, const char *path, long long *v)
{
  const key_def *k = find_key(path);
  const config_setting_t *s = config_lookup(&c->cfg, path);
  *v = config_setting_get_int64(s);
  if ((double)*v < k->lo || (double)*v > k->hi)
    return bad(c, s, path, "%lld is out of range; allowed: %.0f <= %s <= %.0f", *v, k->lo, path,
               k->hi);
  return SPX_OK;
}

static int get_str(const spx_config *c, const char *path, const char **v)
{
  const key_def *k = find_key(path);
  const config_setting_t *s = config_lookup(&c->cfg, path);
  *v = config_setting_get_string(s);
  if (!k->choices) return SPX_OK;
  size_t len = strlen(*v);
  for (const char *p = k->choices; *p;) {
    const char *e = strchr(p, '|');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == len && strncmp(p, *v, l) == 0) return SPX_OK;
    p += l + (e ? 1 : 0);
  }
  return bad(c, s, path, "\"%s\" is not allowed; allowed: %s", *v, k->choices);
}

/* Read a numeric array/list of exactly len entries (len < 0: any length, returned in *got). */
static int get_vector(const spx_config *c, const config_setting_t *s, const char *path, int len,
                      double *out, int *got)
{
  int t = config_setting_type(s);
  if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
    return bad(c, s, path, "must be %s", type_name(K_VECTOR));
  int m = config_setting_length(s);
  if (len >= 0 && m != len)
    return bad(c, s, path, "has %d entries; it must have model.d = %d", m, len);
  for (int i = 0; i < m; i++) {
    const config_setting_t *e = config_setting_get_elem(s, i);
    if (!is_number(e)) return bad(c, e, path, "entry %d is not a number", i + 1);
    double v = config_setting_type(e) == CONFIG_TYPE_FLOAT ? config_setting_get_float(e)
                                                            : (double)config_setting_get_int64(e);
    if (!isfinite(v)) return bad(c, e, path, "entry %d is not finite (%g)", i + 1, v);
    if (out) out[i] = v;
  }
  if (got) *got = m;
  return SPX_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Matrices                                                                                       */

/* Replace the setting at parent[name] by the group form {kind, seed, scale[, values]} so that the
 * resolved config records the seed. */
static int record_matrix(config_setting_t *parent, const char *name, const char *kind,
                         unsigned long seed, double scale, const double *values, int nvalues)
{
  config_setting_t *old = config_setting_get_member(parent, name);
  void *hook = old ? config_setting_get_hook(old) : NULL;
  if (old) config_setting_remove(parent, name);
  config_setting_t *g = config_setting_add(parent, name, CONFIG_TYPE_GROUP);
  if (!g) return SPX_EINTERNAL;
  config_setting_set_hook(g, hook);
  config_setting_set_string(config_setting_add(g, "kind", CONFIG_TYPE_STRING), kind);
  config_setting_set_int64(config_setting_add(g, "seed", CONFIG_TYPE_INT64), (long long)seed);
  config_setting_set_float(config_setting_add(g, "scale", CONFIG_TYPE_FLOAT), scale);
  if (values) {
    config_setting_t *a = config_setting_add(g, "values", CONFIG_TYPE_ARRAY);
    for (int i = 0; i < nvalues; i++)
      config_setting_set_float(config_setting_add(a, NULL, CONFIG_TYPE_FLOAT), values[i]);
  }
  return SPX_OK;
}

/* Parse "diag(1.0, 0.5, ...)" into v (d entries). */
static int parse_diag(const spx_config *c, const config_setting_t *s, const char *path,
                      const char *str, int d, double *v)
{
  const char *p = str + 5;
  for (int i = 0; i < d; i++) {
    char *end;
    errno = 0;
    v[i] = strtod(p, &end);
    if (end == p || !isfinite(v[i]))
      return bad(c, s, path, "\"%s\": entry %d is not a finite number; write diag(a, b, ...)", str,
                 i + 1);
    p = end;
    while (*p == ' ') p++;
    if (i < d - 1) {
      if (*p != ',')
        return bad(c, s, path, "\"%s\" has fewer than model.d = %d entries", str, d);
      p++;
    }
  }
  if (*p != ')')
    return bad(c, s, path, "\"%s\" must have exactly model.d = %d entries and end with ')'", str,
               d);
  return SPX_OK;
}

/* Build the d x d matrix of the setting parent[name]; default_seed for named random kinds. */
static int read_matrix(spx_config *c, config_setting_t *parent, const char *name,
                       const char *path, int d, unsigned long default_seed, double *M)
{
  config_setting_t *s = config_setting_get_member(parent, name);
  int t = config_setting_type(s), status = SPX_OK;
  const char *kind = NULL;
  unsigned long seed = default_seed & 0xffffffffUL; /* derived seeds wrap, as GSL's would */
  double scale = 1.0, *diag = NULL;
  gsl_rng *rng = NULL;

  if (t == CONFIG_TYPE_LIST) { /* explicit rows */
    if (config_setting_length(s) != d)
      return bad(c, s, path, "has %d rows; it must be model.d = %d rows of %d numbers",
                 config_setting_length(s), d, d);
    for (int i = 0; i < d; i++) {
      const config_setting_t *row = config_setting_get_elem(s, i);
      int rt = config_setting_type(row);
      if (rt != CONFIG_TYPE_ARRAY && rt != CONFIG_TYPE_LIST)
        return bad(c, row, path, "row %d must be an array [a, b, ...] of %d numbers", i + 1, d);
      if (config_setting_length(row) != d)
        return bad(c, row, path, "row %d has %d entries; the matrix must be %d x %d (model.d)",
                   i + 1, config_setting_length(row), d, d);
      status = get_vector(c, row, path, d, M + (long)i * d, NULL);
      if (status) return status;
    }
    return SPX_OK;
  }
  if (t == CONFIG_TYPE_STRING) {
    kind = config_setting_get_string(s);
  } else { /* group */
    const config_setting_t *k = config_setting_get_member(s, "kind");
    if (!k || config_setting_type(k) != CONFIG_TYPE_STRING)
      return bad(c, s, path, "a matrix group needs kind = \"identity\" | \"zero\" | \"diag\" | "
                             "\"random_orthogonal\" | \"goe\" | \"wishart\"");
    kind = config_setting_get_string(k);
    const config_setting_t *e;
    if ((e = config_setting_get_member(s, "seed"))) {
      int et = config_setting_type(e);
      long long sv = config_setting_get_int64(e);
      if ((et != CONFIG_TYPE_INT && et != CONFIG_TYPE_INT64) || sv < 0 || sv > 4294967295LL)
        return bad(c, e, path, "seed must be an integer in [0, 4294967295]");
      seed = (unsigned long)sv;
    }
    if ((e = config_setting_get_member(s, "scale"))) {
      if (!is_number(e)) return bad(c, e, path, "scale must be a number");
      scale = config_setting_get_float(e);
      if (config_setting_type(e) != CONFIG_TYPE_FLOAT) scale = (double)config_setting_get_int64(e);
      if (!isfinite(scale)) return bad(c, e, path, "scale must be finite");
    }
  }
  diag = calloc((size_t)d, sizeof(double));
  rng = gsl_rng_alloc(gsl_rng_mt19937);
  if (!diag || !rng) { status = SPX_ENOMEM; goto cleanup; }
  gsl_rng_set(rng, seed);
  int have_values = 0;
  if (strcmp(kind, "identity") == 0) {
    spx_mat_identity(d, M);
  } else if (strcmp(kind, "zero") == 0) {
    memset(M, 0, sizeof(double) * d * d);
  } else if (strncmp(kind, "diag(", 5) == 0 || strcmp(kind, "diag") == 0) {
    if (kind[4] == '(') {
      SPX_TRY(parse_diag(c, s, path, kind, d, diag));
    } else {
      const config_setting_t *vals = config_setting_get_member(s, "values");
      if (!vals) {
        status = bad(c, s, path, "kind = \"diag\" needs values = [a, b, ...] (d entries)");
        goto cleanup;
      }
      SPX_TRY(get_vector(c, vals, path, d, diag, NULL));
    }
    memset(M, 0, sizeof(double) * d * d);
    for (int i = 0; i < d; i++) M[i * d + i] = diag[i];
    have_values = 1;
  } else if (strcmp(kind, "random_orthogonal") == 0) {
    SPX_TRY(spx_mat_random_orthogonal(d, rng, M));
  } else if (strcmp(kind, "goe") == 0) {
    spx_mat_goe(d, rng, M);
  } else if (strcmp(kind, "wishart") == 0) {
    SPX_TRY(spx_mat_wishart(d, rng, M));
  } else {
    status = bad(c, s, path,
                 "unknown matrix \"%s\"; allowed: identity, zero, diag(a, b, ...), "
                 "random_orthogonal, goe, wishart, an explicit list of rows, or a group "
                 "{ kind = ...; seed = ...; scale = ...; }",
                 kind);
    goto cleanup;
  }
  for (int i = 0; i < d * d; i++) M[i] *= scale;
  {
    char kname[32];
    snprintf(kname, sizeof kname, "%s", have_values ? "diag" : kind);
    SPX_TRY(record_matrix(parent, name, kname, seed, scale, have_values ? diag : NULL, d));
  }
cleanup:
  free(diag);
  if (rng) gsl_rng_free(rng);
  return status;
}

/* The factor C of D = C C^T (spec transport_routing.md §2.3): explicit rows of k numbers
 * (1 <= k <= d), or any d x d matrix of read_matrix (k = d). C holds d x d; *k its columns. */
static int read_factor(spx_config *c, config_setting_t *parent, const char *path, int d,
                       unsigned long seed, double *C, int *k)
{
  config_setting_t *s = config_setting_get_member(parent, "C");
  const config_setting_t *r0 = config_setting_type(s) == CONFIG_TYPE_LIST &&
                                       config_setting_length(s) > 0
                                   ? config_setting_get_elem(s, 0)
                                   : NULL;
  int t0 = r0 ? config_setting_type(r0) : CONFIG_TYPE_NONE;
  if (!r0 || (t0 != CONFIG_TYPE_ARRAY && t0 != CONFIG_TYPE_LIST) ||
      config_setting_length(r0) == d) {
    *k = d;
    return read_matrix(c, parent, "C", path, d, seed, C);
  }
  int kk = config_setting_length(r0);
  if (kk < 1 || kk > d)
    return bad(c, r0, path, "row 1 has %d entries; C is d x k with 1 <= k <= model.d = %d", kk, d);
  if (config_setting_length(s) != d)
    return bad(c, s, path, "has %d rows; C must have model.d = %d rows (of k = %d numbers)",
               config_setting_length(s), d, kk);
  for (int i = 0; i < d; i++) {
    const config_setting_t *row = config_setting_get_elem(s, i);
    int rt = config_setting_type(row);
    if (rt != CONFIG_TYPE_ARRAY && rt != CONFIG_TYPE_LIST)
      return bad(c, row, path, "row %d must be an array [a, b, ...] of %d numbers", i + 1, kk);
    if (config_setting_length(row) != kk)
      return bad(c, row, path, "row %d has %d entries; every row of C needs k = %d (as row 1)",
                 i + 1, config_setting_length(row), kk);
    int st = get_vector(c, row, path, kk, C + (long)i * kk, NULL);
    if (st) return st;
  }
  *k = kk;
  return SPX_OK;
}

/* A = S - D from sd = { B; C; }: S = (B - B^T)/2, D = C C^T (§2.3 [D]); a missing factor is 0. */
static int read_sd(spx_config *c, config_setting_t *sd, const char *prefix, int d,
                   unsigned long seed0, double *A)
{
  int status = SPX_OK, k = d;
  char path[160], key[160];
  snprintf(key, sizeof key, "%s.sd", prefix);
  double *B = calloc((size_t)d * d, sizeof(double)), *C = calloc((size_t)d * d, sizeof(double));
  double *S = malloc(sizeof(double) * d * d), *D = malloc(sizeof(double) * d * d);
  if (!B || !C || !S || !D) { status = SPX_ENOMEM; goto cleanup; }
  if (config_setting_type(sd) != CONFIG_TYPE_GROUP) {
    status = bad(c, sd, key, "sd must be a group sd = { B = <matrix>; C = <matrix>; } (A = "
                                "(B - B^T)/2 - C C^T)");
    goto cleanup;
  }
  for (int i = 0; i < config_setting_length(sd); i++) {
    const config_setting_t *e = config_setting_get_elem(sd, i);
    const char *nm = config_setting_name(e);
    if (strcmp(nm, "B") && strcmp(nm, "C")) {
      status = bad(c, e, key, "unknown member \"%s\" of sd; allowed: B (S = (B - B^T)/2) and "
                                 "C (D = C C^T)", nm);
      goto cleanup;
    }
  }
  if (config_setting_length(sd) == 0) {
    status = bad(c, sd, key, "sd needs B (S = (B - B^T)/2) and/or C (D = C C^T)");
    goto cleanup;
  }
  if (config_setting_get_member(sd, "B")) {
    snprintf(path, sizeof path, "%s.sd.B", prefix);
    SPX_TRY(read_matrix(c, sd, "B", path, d, seed0 + 6, B));
  }
  if (config_setting_get_member(sd, "C")) {
    snprintf(path, sizeof path, "%s.sd.C", prefix);
    SPX_TRY(read_factor(c, sd, path, d, seed0 + 7, C, &k));
  }
  spx_sd_compose(d, B, k, C, S, D, A);
cleanup:
  free(B);
  free(C);
  free(S);
  free(D);
  return status;
}

/* A = F + R from the filtering (symmetric) and routing (skew) parts (§2.2). Their symmetric and
 * skew parts are taken, with a warning when a given matrix was not already so: a named random
 * matrix can then serve as either part [ours]. A missing part is 0. */
static int read_fr(spx_config *c, config_setting_t *g, const char *prefix, int d,
                   unsigned long seed0, double *A)
{
  int status = SPX_OK;
  char path[160];
  double *M = malloc(sizeof(double) * d * d), *P = malloc(sizeof(double) * d * d);
  double *Q = malloc(sizeof(double) * d * d);
  if (!M || !P || !Q) { status = SPX_ENOMEM; goto cleanup; }
  memset(A, 0, sizeof(double) * d * d);
  for (int part = 0; part < 2; part++) {
    const char *nm = part ? "R" : "F";
    config_setting_t *s = config_setting_get_member(g, nm);
    if (!s) continue;
    char loc[512];
    where(c, s, loc, sizeof loc); /* before read_matrix replaces the setting (no line then) */
    snprintf(path, sizeof path, "%s.%s", prefix, nm);
    SPX_TRY(read_matrix(c, g, nm, path, d, seed0 + 8 + part, M));
    spx_routing_split(d, M, Q, P, NULL);  /* Q = skew part, P = symmetric part */
    const double *keep = part ? Q : P, *drop = part ? P : Q;
    double nk = 0.0, nd = 0.0;
    for (int i = 0; i < d * d; i++) {
      nk += keep[i] * keep[i];
      nd += drop[i] * drop[i];
      A[i] += keep[i];
    }
    if (nd > 0.0 && nk == 0.0) {
      spx_error("%s: %s: is %s: its %s part, the one %s uses, is zero", loc, path,
                part ? "symmetric" : "skew", part ? "skew" : "symmetric",
                part ? "routing" : "filtering");
      status = SPX_EINVAL;
      goto cleanup;
    }
    if (nd > 1e-24 * (nk + nd))
      spx_warn("%s: %s: not %s (||%s part||_F / ||%s||_F = %.3g): only its %s part is used",
               loc, path, part ? "skew" : "symmetric", part ? "symmetric" : "skew", nm,
               sqrt(nd / (nk + nd)), part ? "skew" : "symmetric");
  }
cleanup:
  free(M);
  free(P);
  free(Q);
  return status;
}

/* The logit form and values of one head from a group holding Q/K/A/V, or sd, or F/R (model or a
 * heads entry). */
static int read_head(spx_config *c, config_setting_t *g, const char *prefix, int d,
                     unsigned long seed0, spx_head *h)
{
  int status = SPX_OK;
  char path[128];
  double *Q = malloc(sizeof(double) * d * d), *K = malloc(sizeof(double) * d * d);
  if (!Q || !K) { status = SPX_ENOMEM; goto cleanup; }
  const config_setting_t *sA = config_setting_get_member(g, "A");
  config_setting_t *sSD = config_setting_get_member(g, "sd");
  int hasQ = config_setting_get_member(g, "Q") != NULL, hasK = config_setting_get_member(g, "K") != NULL;
  int hasF = config_setting_get_member(g, "F") != NULL, hasR = config_setting_get_member(g, "R") != NULL;
  if (sA && (hasQ || hasK)) {
    status = bad(c, sA, prefix, "give either A (the logit form) or Q and K, not both");
    goto cleanup;
  }
  if ((sA != NULL) + (hasQ || hasK) + (sSD != NULL) + (hasF || hasR) > 1) {
    status = bad(c, sSD ? sSD : g, prefix,
                 "give one form of the logits: A, or Q and K, or sd = { B; C; } (A = S - D), or F "
                 "and R (A = F + R)");
    goto cleanup;
  }
  if (sSD) {
    SPX_TRY(read_sd(c, sSD, prefix, d, seed0, h->A));
  } else if (hasF || hasR) {
    SPX_TRY(read_fr(c, g, prefix, d, seed0, h->A));
  } else if (sA) {
    snprintf(path, sizeof path, "%s.A", prefix);
    SPX_TRY(read_matrix(c, g, "A", path, d, seed0 + 3, h->A));
  } else {
    spx_mat_identity(d, Q);
    spx_mat_identity(d, K);
    if (hasQ) {
      snprintf(path, sizeof path, "%s.Q", prefix);
      SPX_TRY(read_matrix(c, g, "Q", path, d, seed0 + 1, Q));
    }
    if (hasK) {
      snprintf(path, sizeof path, "%s.K", prefix);
      SPX_TRY(read_matrix(c, g, "K", path, d, seed0 + 2, K));
    }
    /* A = Q^T K */
    for (int i = 0; i < d; i++)
      for (int j = 0; j < d; j++) {
        double s = 0.0;
        for (int k = 0; k < d; k++) s += Q[k * d + i] * K[k * d + j];
        h->A[i * d + j] = s;
      }
  }
  if (config_setting_get_member(g, "V")) {
    snprintf(path, sizeof path, "%s.V", prefix);
    SPX_TRY(read_matrix(c, g, "V", path, d, seed0 + 4, h->V));
  } else {
    spx_mat_identity(d, h->V);
  }
  if (!spx_all_finite((long)d * d, h->A) || !spx_all_finite((long)d * d, h->V)) {
    status = bad(c, g, prefix, "a matrix has a non-finite entry");
    goto cleanup;
  }
cleanup:
  free(Q);
  free(K);
  return status;
}

/* Build the model from the validated tree. */
static int build_model(spx_config *c, int n, int d)
{
  int status = SPX_OK;
  config_setting_t *mg = config_lookup(&c->cfg, "model");
  config_setting_t *heads = config_setting_get_member(mg, "heads");
  config_setting_t *spec = config_setting_get_member(mg, "spectrum");
  long long seed;
  double beta;
  const char *str;
  spx_model *m = NULL;
  SPX_TRY(get_int(c, "model.seed", &seed));

  if (spec || heads) {
    static const char *const single[] = {"Q", "K", "A", "V", "sd", "F", "R"};
    for (int i = 0; i < 7; i++) {
      config_setting_t *s = config_setting_get_member(mg, single[i]);
      if (s)
        return bad(c, s, single[i],
                   "model.%s cannot be combined with model.%s (the symmetric case takes "
                   "model.spectrum and model.basis; multi-head takes model.heads)",
                   single[i], spec ? "spectrum" : "heads");
    }
    if (spec && heads) return bad(c, heads, "model.heads", "cannot be combined with model.spectrum");
  }
  int H = heads ? config_setting_length(heads) : 1;
  SPX_TRY(spx_model_create(n, d, H, &m));
  SPX_TRY(get_num(c, "model.beta", &beta));
  m->beta = beta;
  SPX_TRY(get_str(c, "model.normalization", &str));
  m->norm = strcmp(str, "usa") == 0 ? SPX_NORM_USA : SPX_NORM_SA;
  SPX_TRY(get_str(c, "model.projection", &str));
  m->norm_aware = strcmp(str, "norm_aware") == 0;
  SPX_TRY(get_str(c, "model.mask", &str));
  m->mask = strcmp(str, "causal") == 0 ? SPX_MASK_CAUSAL
            : strcmp(str, "window") == 0 ? SPX_MASK_WINDOW
                                         : SPX_MASK_NONE;
  long long w;
  SPX_TRY(get_int(c, "model.window", &w));
  m->window = (int)w;
  int eig = config_setting_get_bool(config_lookup(&c->cfg, "model.eigen_coords"));

  if (spec) {
    SPX_TRY(get_vector(c, spec, "model.spectrum", d, m->spectrum, NULL));
    SPX_TRY(read_matrix(c, mg, "basis", "model.basis", d, (unsigned long)seed + 5, m->U));
    double defect = spx_mat_orthogonality_defect(d, m->U);
    if (defect > 1e-10) {
      status = bad(c, config_setting_get_member(mg, "basis"), "model.basis",
                   "is not orthogonal: max|U^T U - I| = %.3g > 1e-10", defect);
      goto cleanup;
    }
    m->basis_set = 1;
    /* V = A = U diag(spectrum) U^T, or diag(spectrum) in eigen-coordinates (spec §4.1). */
    for (int i = 0; i < d; i++)
      for (int j = 0; j < d; j++) {
        double s = 0.0;
        for (int k = 0; k < d; k++) s += m->U[i * d + k] * m->spectrum[k] * m->U[j * d + k];
        m->heads[0].V[i * d + j] = eig ? (i == j ? m->spectrum[i] : 0.0) : s;
      }
    memcpy(m->heads[0].A, m->heads[0].V, sizeof(double) * d * d);
    m->eigen_coords = eig;
  } else {
    if (eig) {
      status = bad(c, config_lookup(&c->cfg, "model.eigen_coords"), "model.eigen_coords",
                   "needs the symmetric case (model.spectrum and model.basis)");
      goto cleanup;
    }
    if (heads) {
      for (int h = 0; h < H; h++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "model.heads[%d]", h);
        SPX_TRY(read_head(c, config_setting_get_elem(heads, h), prefix, d,
                          (unsigned long)seed + 10 * (h + 1), &m->heads[h]));
      }
    } else {
      SPX_TRY(read_head(c, mg, "model", d, (unsigned long)seed, &m->heads[0]));
    }
  }
  if (m->mask == SPX_MASK_WINDOW && m->window > n) {
    status = bad(c, config_lookup(&c->cfg, "model.window"), "model.window",
                 "window %d is wider than model.n = %d", m->window, n);
    goto cleanup;
  }
  SPX_TRY(get_str(c, "model.usa_time", &str));
  status = spx_model_finalize(m, strcmp(str, "rescaled") == 0);
  if (status == SPX_EINVAL) {
    status = bad(c, config_lookup(&c->cfg, "model.beta"), "model.beta",
                 "with model.normalization = \"usa\" (see the message above)");
    goto cleanup;
  }
  if (status) goto cleanup;
  c->p.model = m;
  return SPX_OK;
cleanup:
  spx_model_free(m);
  return status;
}

/* ------------------------------------------------------------------------------------------ */

static int extract(spx_config *c)
{
  int status = SPX_OK;
  long long n, d, v;
  double x;
  const char *str;
  spx_run_params *p = &c->p;
  SPX_TRY(get_int(c, "model.n", &n));
  SPX_TRY(get_int(c, "model.d", &d));
  if ((double)n * (double)d > 2e8) {
    return bad(c, config_lookup(&c->cfg, "model.n"), "model.n",
               "n * d = %lld * %lld is above the limit 2e8 of this build (memory)", n, d);
  }
  SPX_TRY(build_model(c, (int)n, (int)d));

  /* init */
  SPX_TRY(get_str(c, "init.kind", &str));
  p->init.kind = (spx_init_kind)spx_init_kind_from_name(str);
  SPX_TRY(get_int(c, "init.seed", &v));
  p->init.seed = (unsigned long)v;
  SPX_TRY(get_num(c, "init.angle", &p->init.angle));
  if (strcmp(str, "hemisphere") == 0) p->init.angle = M_PI / 2;
  SPX_TRY(get_num(c, "init.noise", &p->init.noise));
  SPX_TRY(get_int(c, "init.mode", &v));
  if (v > d)
    return bad(c, config_lookup(&c->cfg, "init.mode"), "init.mode",
               "%lld is larger than model.d = %lld (modes are 1..d)", v, d);
  p->init.mode = (int)v;
  SPX_TRY(get_int(c, "init.n_plus", &v));
  if (v > n)
    return bad(c, config_lookup(&c->cfg, "init.n_plus"), "init.n_plus",
               "%lld is larger than model.n = %lld", v, n);
  p->init.n_plus = v < 0 ? (int)n : (int)v;
  SPX_TRY(get_num(c, "init.perturb", &p->init.perturb));
  config_setting_t *s = config_lookup(&c->cfg, "init.center");
  if (s) {
    c->center = malloc(sizeof(double) * d);
    if (!c->center) return SPX_ENOMEM;
    SPX_TRY(get_vector(c, s, "init.center", (int)d, c->center, NULL));
    double nn = 0.0;
    for (int a = 0; a < d; a++) nn += c->center[a] * c->center[a];
    if (!(nn > 0.0)) return bad(c, s, "init.center", "must be a nonzero vector");
    p->init.center = c->center;
  }
  s = config_lookup(&c->cfg, "init.file");
  p->init.file = s ? config_setting_get_string(s) : NULL;
  if (p->init.kind == SPX_INIT_FILE && !p->init.file)
    return bad(c, config_lookup(&c->cfg, "init.kind"), "init.file",
               "init.kind = \"file\" needs init.file = \"path/to/table\" (n rows of d numbers)");
  if (p->init.kind == SPX_INIT_ORTHONORMAL && n != d)
    return bad(c, config_lookup(&c->cfg, "init.kind"), "init.kind",
               "\"orthonormal\" needs model.n = model.d (got n = %lld, d = %lld)", n, d);

  /* solver */
  SPX_TRY(get_str(c, "solver.method", &p->method));
  SPX_TRY(get_num(c, "solver.rtol", &p->solver.rtol));
  SPX_TRY(get_num(c, "solver.atol", &p->solver.atol));
  SPX_TRY(get_num(c, "solver.t_final", &p->t_final));
  SPX_TRY(get_num(c, "solver.dt", &p->solver.dt));
  SPX_TRY(get_int(c, "solver.max_steps", &v));
  p->solver.max_steps = (long)v;
  SPX_TRY(get_int(c, "solver.max_order", &v));
  p->solver.max_order = (int)v;
  if (v > 5 && strncmp(p->method, "bdf", 3) == 0)
    return bad(c, config_lookup(&c->cfg, "solver.max_order"), "solver.max_order",
               "%lld is above 5, the highest order of BDF (method \"%s\"); allowed: 0..5 (Adams: "
               "0..12)", v, p->method);
  SPX_TRY(get_num(c, "solver.h0", &p->solver.h0));
  p->stop_when_settled = config_setting_get_bool(config_lookup(&c->cfg, "solver.stop_when_settled"));
  SPX_TRY(get_num(c, "solver.stop_tol", &p->stop_tol));
  if (p->stop_when_settled) {
    char why[200];
    const spx_solver_type *st = spx_solver_find(p->method);
    if (st && !spx_solver_can_stop(st))
      return bad(c, config_lookup(&c->cfg, "solver.stop_when_settled"), "solver.stop_when_settled",
                 "needs a CVODE back end (solver.method = adams, bdf or bdf_newton), not \"%s\"",
                 p->method);
    if (spx_settle_check(p->model, why, sizeof why) != SPX_OK)
      return bad(c, config_lookup(&c->cfg, "solver.stop_when_settled"), "solver.stop_when_settled",
                 "%s", why);
  }

  /* output */
  SPX_TRY(get_num(c, "output.every", &x));
  p->every = x > 0 ? x : p->t_final / 200.0;
  if (p->t_final / p->every > 1e7)
    return bad(c, config_lookup(&c->cfg, "output.every"), "output.every",
               "t_final / every = %g output rows is too many (limit 1e7)", p->t_final / p->every);
  SPX_TRY(get_int(c, "output.trajectory_every", &v));
  p->traj_every = (int)v;
  SPX_TRY(get_str(c, "output.trajectory_format", &p->traj_format));
  p->plots = config_setting_get_bool(config_lookup(&c->cfg, "output.plots"));
  SPX_TRY(get_str(c, "output.plot_format", &p->plot_format));
  SPX_TRY(get_num(c, "output.norm_drift_warn", &p->norm_drift_warn));

  /* classify */
  SPX_TRY(get_num(c, "classify.pm_tol", &p->classify.pm_tol));
  SPX_TRY(get_num(c, "classify.cluster_threshold", &p->classify.cluster_threshold));
  SPX_TRY(get_num(c, "classify.speed_tol", &p->classify.speed_tol));

  /* transport: range checks here; sim/transport_run.c and the transport command read the values.
   * The n guard comes before anything is written (the snapshots form n x n matrices). */
  long long every, maxn;
  SPX_TRY(get_int(c, "transport.every", &every));
  SPX_TRY(get_int(c, "transport.max_n", &maxn));
  SPX_TRY(get_int(c, "transport.head", &v));
  SPX_TRY(get_str(c, "transport.kind", &str));
  if (v > p->model->nheads)
    return bad(c, config_lookup(&c->cfg, "transport.head"), "transport.head",
               "%lld is above the number of heads %d (heads are 1..%d)", v, p->model->nheads,
               p->model->nheads);
  if (every > 0 && n < 2)
    return bad(c, config_lookup(&c->cfg, "transport.every"), "transport.every",
               "the transport diagnostics need model.n >= 2 (a cut has two sides)");
  if (every > 0 && n > maxn)
    return bad(c, config_lookup(&c->cfg, "transport.every"), "transport.every",
               "the transport diagnostics form the n x n attention matrix and eigen-solve it at "
               "every snapshot: model.n = %lld is above transport.max_n = %lld; raise "
               "transport.max_n (at most %d) or set transport.every = 0",
               n, maxn, SPX_TRANSPORT_N_LIMIT);
cleanup:
  return status;
}

/* The run name: key `name`, else the file's stem. */
static int set_name(spx_config *c)
{
  const config_setting_t *s = config_lookup(&c->cfg, "name");
  const char *nm = s ? config_setting_get_string(s) : NULL;
  if (nm) {
    if (!*nm || strchr(nm, '/') || strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
      return bad(c, s, "name", "\"%s\" must be a plain folder name (no '/')", nm);
    for (const char *q = nm; *q; q++) /* found by make fuzz: a newline broke the resolved config */
      if ((unsigned char)*q < 0x20 || *q == 0x7f)
        return bad(c, s, "name", "must be a plain folder name: no control characters (byte 0x%02x "
                                 "at position %d)", (unsigned char)*q, (int)(q - nm) + 1);
    c->name = strdup(nm);
  } else {
    const char *b = strrchr(c->path, '/');
    b = b ? b + 1 : c->path;
    c->name = strdup(b);
    if (c->name) {
      char *dot = strrchr(c->name, '.');
      if (dot && dot != c->name) *dot = '\0';
    }
  }
  return c->name ? SPX_OK : SPX_ENOMEM;
}

int spx_config_load(const char *path, const char *const *sets, int nsets, spx_config **out)
{
  int status = SPX_OK;
  spx_config *c = calloc(1, sizeof *c);
  if (!c) return SPX_ENOMEM;
  config_init(&c->cfg);
  config_set_options(&c->cfg, config_get_options(&c->cfg) | CONFIG_OPTION_AUTOCONVERT);
  c->path = strdup(path);
  c->set_text = calloc((size_t)(nsets > 0 ? nsets : 1), sizeof(char *));
  if (!c->path || !c->set_text) { status = SPX_ENOMEM; goto cleanup; }
  SPX_TRY(spx_config_read_file(&c->cfg, path, "a config file"));
  /* Check the file as written first, so that its errors carry its own line numbers. */
  SPX_TRY(check_structure(c));
  for (int i = 0; i < nsets; i++) {
    c->set_text[i] = strdup(sets[i]);
    if (!c->set_text[i]) { status = SPX_ENOMEM; goto cleanup; }
    c->nsets = i + 1;
    SPX_TRY(apply_set(c, sets[i], c->set_text[i]));
  }
  SPX_TRY(check_structure(c));
  SPX_TRY(check_finite(c, config_root_setting(&c->cfg), ""));
  SPX_TRY(add_defaults(c));
  SPX_TRY(set_name(c));
  SPX_TRY(extract(c));
  c->p.name = c->name;
  c->p.path = c->path;
  *out = c;
  return SPX_OK;
cleanup:
  spx_config_free(c);
  return status;
}

void spx_config_free(spx_config *c)
{
  if (!c) return;
  config_destroy(&c->cfg);
  spx_model_free(c->p.model);
  for (int i = 0; i < c->nsets; i++) free(c->set_text[i]);
  free(c->set_text);
  free(c->path);
  free(c->name);
  free(c->center);
  free(c);
}

const spx_run_params *spx_config_params(const spx_config *c) { return &c->p; }

const config_setting_t *spx_config_setting(const spx_config *c, const char *path)
{
  return config_lookup(&c->cfg, path);
}

int spx_config_bad(const spx_config *c, const config_setting_t *s, const char *key,
                   const char *fmt, ...)
{
  char loc[512], msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  where(c, s, loc, sizeof loc);
  spx_error("%s: %s: %s", loc, key, msg);
  return SPX_EINVAL;
}

/* ------------------------------------------------------------------------------------------ */
/* Writing                                                                                       */

static void print_float(FILE *f, double v)
{
  char buf[64];
  snprintf(buf, sizeof buf, "%.17g", v);
  /* libconfig needs a '.' or an exponent to read a float back as a float */
  if (!strpbrk(buf, ".eEni")) strcat(buf, ".0");
  fputs(buf, f);
}

static void print_string(FILE *f, const char *s)
{
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

void spx_config_print_value(FILE *f, const config_setting_t *s, int indent)
{
  switch (config_setting_type(s)) {
  case CONFIG_TYPE_INT: fprintf(f, "%d", config_setting_get_int(s)); break;
  case CONFIG_TYPE_INT64: fprintf(f, "%lldL", config_setting_get_int64(s)); break;
  case CONFIG_TYPE_FLOAT: print_float(f, config_setting_get_float(s)); break;
  case CONFIG_TYPE_BOOL: fputs(config_setting_get_bool(s) ? "true" : "false", f); break;
  case CONFIG_TYPE_STRING: print_string(f, config_setting_get_string(s)); break;
  case CONFIG_TYPE_ARRAY:
  case CONFIG_TYPE_LIST: {
    int arr = config_setting_type(s) == CONFIG_TYPE_ARRAY;
    fputc(arr ? '[' : '(', f);
    for (int i = 0; i < config_setting_length(s); i++) {
      if (i) fputs(", ", f);
      spx_config_print_value(f, config_setting_get_elem(s, i), indent + 2);
    }
    fputc(arr ? ']' : ')', f);
    break;
  }
  case CONFIG_TYPE_GROUP:
    fputs("{\n", f);
    for (int i = 0; i < config_setting_length(s); i++) {
      const config_setting_t *e = config_setting_get_elem(s, i);
      fprintf(f, "%*s%s = ", indent + 2, "", config_setting_name(e));
      spx_config_print_value(f, e, indent + 2);
      fputs(";\n", f);
    }
    fprintf(f, "%*s}", indent, "");
    break;
  }
}

/* Text inside the header comment: a newline or other control character (a file name, a --set
 * value spread over lines) would end the comment and break the file, so they print as '?'. */
static void print_comment_text(FILE *f, const char *s)
{
  for (; *s; s++) fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

int spx_config_write_resolved(const spx_config *c, FILE *f)
{
  const config_setting_t *root = config_root_setting(&c->cfg);
  fprintf(f, "# Resolved config of run \"");
  print_comment_text(f, c->name);
  fprintf(f, "\" (from ");
  print_comment_text(f, c->path);
  for (int i = 0; i < c->nsets; i++) {
    fprintf(f, ", --set ");
    print_comment_text(f, c->set_text[i]);
  }
  fprintf(f, "): every default and seed filled in.\n# Repeat the run with: bin/sim run "
             "config.resolved.cfg\n");
  fprintf(f, "name = ");
  print_string(f, c->name);
  fputs(";\n", f);
  for (int i = 0; i < config_setting_length(root); i++) {
    const config_setting_t *e = config_setting_get_elem(root, i);
    if (strcmp(config_setting_name(e), "name") == 0) continue;
    fprintf(f, "%s = ", config_setting_name(e));
    spx_config_print_value(f, e, 0);
    fputs(";\n", f);
  }
  return ferror(f) ? SPX_EIO : SPX_OK;
}

void spx_config_print_keys(FILE *f)
{
  fprintf(f, "Config keys (libconfig syntax; any key may be overridden with --set KEY=VALUE):\n");
  for (int i = 0; i < NKEYS; i++) {
    fprintf(f, "  %-26s %-8s default %-14s %s", keys[i].path,
            keys[i].type == K_INT      ? "int"
            : keys[i].type == K_FLOAT  ? "float"
            : keys[i].type == K_BOOL   ? "bool"
            : keys[i].type == K_STRING ? "string"
            : keys[i].type == K_MATRIX ? "matrix"
            : keys[i].type == K_VECTOR ? "vector"
            : keys[i].type == K_HEADS  ? "heads"
                                       : "group",
            keys[i].def ? keys[i].def : "(none)", keys[i].help);
    if (keys[i].choices) fprintf(f, " [%s]", keys[i].choices);
    fputc('\n', f);
  }
}
