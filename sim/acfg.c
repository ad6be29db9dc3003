/* acfg.c -- analysis configs (acfg.h): the key table of `bin/sim analyze`, loading, --set, checks
 * with file:line messages, defaults and the resolved config.
 *
 * The table `akeys` declares every key once. A group entry (type A_GROUP or A_LIST) says which
 * subcommands use it; its members follow as "group.member" (members of the groups of a list:
 * "group.list.member"). The parser, the checks, `bin/sim analyze --help` and
 * config.resolved.cfg all come from it. A group present in the file switches its part of the
 * analysis on; the getters fall back to the table's default for absent keys.
 */
#include "acfg.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "status.h"

typedef enum { A_INT, A_FLOAT, A_BOOL, A_STRING, A_VECTOR, A_STRINGS, A_GROUP, A_LIST } akey_type;

typedef struct {
  const char *path;
  akey_type type;
  const char *def;     /* default (libconfig text); NULL: none */
  double lo, hi;       /* numbers: range; vectors: range of the elements */
  int minlen, maxlen;  /* vectors: length range (0 0: any length >= 1) */
  int required;        /* 1: must be given when its group is present */
  const char *choices; /* strings: '|'-separated */
  int cmds;            /* groups: the subcommands (SPX_AN_* bits) that use them */
  const char *help;
} akey;

#define G SPX_AN_GAP
#define I SPX_AN_INERTIAL
#define E SPX_AN_GEODESIC
#define BIG 1e300

static const akey akeys[] = {
    {"name", A_STRING, NULL, 0, 0, 0, 0, 0, NULL, G | I | E, "output folder name (default: the file's stem)"},
    {"plots", A_BOOL, "true", 0, 0, 0, 0, 0, NULL, G | I | E, "draw the figures with gnuplot"},
    {"plot_format", A_STRING, "\"png\"", 0, 0, 0, 0, 0, "png|pdf|svg", G | I | E, "figure format"},

    {"keys", A_GROUP, NULL, 0, 0, 0, 0, 0, NULL, G | I | E, "a FIXED key set (the paper's model, spec §0): H = Hess F at keys.point; geodesic s2: the keys on S^2"},
    {"keys.file", A_STRING, NULL, 0, 0, 0, 0, 1, NULL, 0, "whitespace table of keys (n rows x d)"},
    {"keys.n", A_INT, NULL, 1, 1e6, 0, 0, 1, NULL, 0, "number of keys (rows of keys.file)"},
    {"keys.d", A_INT, NULL, 1, 4096, 0, 0, 1, NULL, 0, "dimension (columns of keys.file)"},
    {"keys.potential", A_STRING, "\"attention\"", 0, 0, 0, 0, 0, "attention|quadratic", 0, "U_j = -<x,k_j> or |x-c_j|^2/2 (spec §1)"},
    {"keys.beta", A_FLOAT, "1.0", 1e-12, 1e12, 0, 0, 0, NULL, 0, "inverse temperature of F = -LSE(-beta U)/beta"},
    {"keys.center", A_BOOL, "false", 0, 0, 0, 0, 0, NULL, 0, "subtract the mean key (geometry A is stored centred)"},
    {"keys.point", A_VECTOR, NULL, -BIG, BIG, 1, 4096, 0, NULL, 0, "the point x* (length d; default 0 in R^d, e_d on the sphere)"},
    {"keys.sphere", A_BOOL, "false", 0, 0, 0, 0, 0, NULL, 0, "on S^{d-1}: Riemannian Hessian at the unit keys.point (spec §7d.1)"},

    {"count", A_GROUP, NULL, 0, 0, 0, 0, 0, NULL, G, "dim E_-: gap finder, count over theta, Riesz trace and projector (spec §2.4, §3 S1)"},
    {"count.nodes", A_INT, "720", 1, 1e6, 0, 0, 0, NULL, 0, "contour nodes M of the Riesz trace"},
    {"count.theta_points", A_INT, "240", 2, 1e6, 0, 0, 0, NULL, 0, "log-spaced thresholds of the count curve"},
    {"count.theta_range", A_VECTOR, NULL, 1e-300, BIG, 2, 2, 0, NULL, 0, "[lo, hi] of the thresholds (default: theta_decades)"},
    {"count.theta_decades", A_VECTOR, "[-2.3, 0.05]", -50, 50, 2, 2, 0, NULL, 0, "[a, b]: thresholds from 10^a Delta to 10^b Delta (§3)"},
    {"count.plateau", A_VECTOR, "[3.0, 0.7]", 1e-300, BIG, 2, 2, 0, NULL, 0, "plateau test region (f1 |lambda_hi|, f2 |lambda_lo|) (§3)"},
    {"count.convergence", A_VECTOR, "[8.0, 16.0, 32.0, 64.0, 128.0, 256.0]", 1, 1e6, 1, 64, 0, NULL, 0, "node counts of the convergence table (trace and projector)"},
    {"count.bulk", A_BOOL, "true", 0, 0, 0, 0, 0, NULL, 0, "also the bulk contour |z| = theta_0 (counts d - dim E_-)"},
    {"count.margin", A_FLOAT, "0.45", 1e-6, 0.999, 0, 0, 0, NULL, 0, "the contour crosses the gap at lambda_lo + margin Delta (§2.4)"},
    {"count.floor_rel", A_FLOAT, "1e-8", 0, 1, 0, 0, 0, NULL, 0, "relative null floor of the gap finder (0: the companion script's absolute floor, §7c)"},
    {"count.top", A_INT, "0", 0, 1e6, 0, 0, 0, NULL, 0, "search only the top eigenvalues (0: all)"},
    {"count.relgap_min", A_FLOAT, "0.05", 0, 1, 0, 0, 0, NULL, 0, "a gap is genuine iff Delta/max|lambda| > relgap_min (§7c)"},

    {"perturb", A_GROUP, NULL, 0, 0, 0, 0, 0, NULL, G, "stability of the count under perturbations (Weyl, Davis-Kahan; §3 S2, §2.5)"},
    {"perturb.eps", A_VECTOR, "[0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.85, 1.0]", 1e-12, 1e6, 1, 256, 0, NULL, 0, "levels ||dH||/Delta"},
    {"perturb.trials", A_INT, "160", 1, 1e7, 0, 0, 0, NULL, 0, "GOE-type trials per level"},
    {"perturb.seed", A_INT, "7", 0, 4294967295.0, 0, 0, 0, NULL, 0, "seed of the perturbations (GSL mt19937)"},

    {"ring", A_GROUP, NULL, 0, 0, 0, 0, 0, NULL, G | E, "geometry B: quadratic wells on a ring (§2.2); used by energy and geodesic (flat)"},
    {"ring.count", A_INT, "8", 1, 1e5, 0, 0, 0, NULL, 0, "number of centres"},
    {"ring.radius", A_FLOAT, "1.8", 0, BIG, 0, 0, 0, NULL, 0, "radius of the ring"},
    {"ring.phase", A_FLOAT, "22.5", -360, 360, 0, 0, 0, NULL, 0, "angle of the first centre (degrees); the others every 360/count"},
    {"ring.beta", A_FLOAT, "2.5", 1e-12, 1e12, 0, 0, 0, NULL, 0, "inverse temperature"},

    {"energy", A_GROUP, NULL, 0, 0, 0, 0, 0, NULL, G, "energy window of K_JM at one point of geometry B (§1 eqs. 5-6, §3 S3)"},
    {"energy.point", A_VECTOR, "[0.45, 0.30]", -BIG, BIG, 2, 2, 0, NULL, 0, "the point x"},
    {"energy.points", A_INT, "240", 2, 1e7, 0, 0, 0, NULL, 0, "energies in the grid"},
    {"energy.span", A_VECTOR, "[0.05, 3.0]", 0, BIG, 2, 2, 0, NULL, 0, "E from F(x) + span[0] to F(x) + span[1]"},

    {"spreads", A_GROUP, NULL, 0, 0, 0, 0, 0, NULL, G | I, "inertial flow of N independent queries about keys.point: spreads S_k(t) and rates (§2.6)"},
    {"spreads.gamma", A_FLOAT, "0.5", 0, 1e6, 0, 0, 0, NULL, 0, "damping"},
    {"spreads.N", A_INT, "500", 2, 1e7, 0, 0, 0, NULL, 0, "queries"},
    {"spreads.seed", A_INT, "3", 0, 4294967295.0, 0, 0, 0, NULL, 0, "seed of the initial cloud (GSL mt19937)"},
    {"spreads.T", A_FLOAT, "14.0", 1e-9, 1e6, 0, 0, 0, NULL, 0, "final time"},
    {"spreads.dt", A_FLOAT, "0.01", 1e-9, 1e3, 0, 0, 0, NULL, 0, "step and sampling interval"},
    {"spreads.amp", A_FLOAT, "1e-3", 1e-300, 1e3, 0, 0, 0, NULL, 0, "cloud X0 = x* + amp N(0, I)"},
    {"spreads.modes", A_INT, "7", 1, 4096, 0, 0, 0, NULL, 0, "eigen-directions plotted (all are measured)"},
    {"spreads.window", A_VECTOR, "[3e-3, 5e-2]", 0, BIG, 2, 2, 0, NULL, 0, "fit window of S_k (§2.6)"},
    {"spreads.min_samples", A_INT, "8", 2, 1e9, 0, 0, 0, NULL, 0, "fewer samples in the window: rate NaN (flat)"},
    {"spreads.anchor", A_FLOAT, "4.0", 0, BIG, 0, 0, 0, NULL, 0, "the dashed lines S_k(t0) e^{z+ (t - t0)} start at t0"},
    {"spreads.factor", A_FLOAT, "2.0", 1.0, BIG, 0, 0, 0, NULL, 0, "a direction grows if S_k(T)/S_k(0) > factor (§8 item 13)"},
    {"spreads.method", A_STRING, "\"rk4\"", 0, 0, 0, 0, 0, "adams|bdf|bdf_newton|rk8pd|euler|rk4", 0, "integrator"},

    {"sweep", A_GROUP, NULL, 0, 0, 0, 0, 0, NULL, I, "damping sweep of one mode's rate against z_+(gamma, mu) (§5 G2b)"},
    {"sweep.gamma", A_VECTOR, "[0.0, 0.25, 0.5, 1.0, 2.0, 4.0]", 0, 1e6, 1, 256, 0, NULL, 0, "damping values"},
    {"sweep.mode", A_INT, "1", 1, 4096, 0, 0, 0, NULL, 0, "mode (1: the most negative eigenvalue)"},

    {"simplex", A_GROUP, NULL, 0, 0, 0, 0, 0, NULL, G, "geometry C generated with GSL (§2.3): clusters on a regular simplex, queries"},
    {"simplex.m", A_VECTOR, "[3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]", 2, 1000, 1, 64, 0, NULL, 0, "cluster counts"},
    {"simplex.seeds", A_INT, "4", 1, 10000, 0, 0, 0, NULL, 0, "instances 0 .. seeds-1 per m"},
    {"simplex.d", A_INT, "48", 2, 4096, 0, 0, 0, NULL, 0, "dimension"},
    {"simplex.per_cluster", A_INT, "12", 1, 100000, 0, 0, 0, NULL, 0, "keys per cluster"},
    {"simplex.sk", A_FLOAT, "0.010", 0, BIG, 0, 0, 0, NULL, 0, "spread of the keys about their centre"},
    {"simplex.random_queries", A_INT, "45", 0, 1e6, 0, 0, 0, NULL, 0, "Dirichlet mixtures per instance (plus 3 per k)"},
    {"simplex.query_seed_offset", A_INT, "100", 0, 1e9, 0, 0, 0, NULL, 0, "queries use seed + offset"},

    {"confinement", A_GROUP, NULL, 0, 0, 0, 0, 0, NULL, G, "E1: dim E_- = #{beta lambda(Cov_p) > max(gamma, tol)} against N_eff (§7a)"},
    {"confinement.beta", A_FLOAT, "1.0", 1e-12, 1e12, 0, 0, 0, NULL, 0, "inverse temperature"},
    {"confinement.gamma", A_VECTOR, "[0.0, 0.02, 0.04, 0.06, 0.10, 0.20]", 0, BIG, 1, 256, 0, NULL, 0, "confinement strengths"},
    {"confinement.tol", A_FLOAT, "1e-3", 0, BIG, 0, 0, 0, NULL, 0, "absolute count tolerance"},

    {"temperature", A_GROUP, NULL, 0, 0, 0, 0, 0, NULL, G, "E2: the count law over beta and key scale; beta Delta_logit collapse (§7a)"},
    {"temperature.beta", A_VECTOR, "[0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4]", 1e-12, 1e12, 1, 256, 0, NULL, 0, "inverse temperatures"},
    {"temperature.scales", A_VECTOR, "[1.0, 2.0]", 1e-12, 1e12, 1, 16, 0, NULL, 0, "multipliers of the centres"},
    {"temperature.tol", A_FLOAT, "1e-3", 0, BIG, 0, 0, 0, NULL, 0, "absolute count tolerance"},

    {"symmetric", A_GROUP, NULL, 0, 0, 0, 0, 0, NULL, G, "symmetric-query control at cluster barycentres (§7b)"},
    {"symmetric.keys", A_STRING, NULL, 0, 0, 0, 0, 1, NULL, 0, "keys table (m per_cluster rows x d), cluster by cluster"},
    {"symmetric.centres", A_STRING, NULL, 0, 0, 0, 0, 1, NULL, 0, "centres table (m rows x d)"},
    {"symmetric.m", A_INT, "7", 2, 10000, 0, 0, 0, NULL, 0, "clusters"},
    {"symmetric.d", A_INT, "48", 1, 4096, 0, 0, 0, NULL, 0, "dimension"},
    {"symmetric.per_cluster", A_INT, "12", 1, 100000, 0, 0, 0, NULL, 0, "keys per cluster"},
    {"symmetric.beta", A_VECTOR, "[1.0, 4.0, 16.0, 64.0, 256.0]", 1e-12, 1e12, 1, 256, 0, NULL, 0, "inverse temperatures"},
    {"symmetric.tol", A_FLOAT, "1e-3", 0, BIG, 0, 0, 0, NULL, 0, "absolute count tolerance"},
    {"symmetric.top", A_INT, "20", 0, 1e6, 0, 0, 0, NULL, 0, "the gap search looks at the top eigenvalues only (§7b)"},

    {"flow", A_GROUP, NULL, 0, 0, 0, 0, 0, NULL, G | I, "the INTERACTING symmetric flow on the sphere: Hess F at equilibria, inertial modes ([ours])"},
    {"flow.config", A_STRING, NULL, 0, 0, 0, 0, 1, NULL, 0, "run config of the model (bin/sim run syntax; needs A = V = V^T)"},
    {"flow.set", A_STRINGS, NULL, 0, 0, 0, 0, 0, NULL, 0, "overrides of flow.config, e.g. [\"model.beta=2\"]"},
    {"flow.equilibria", A_LIST, NULL, 0, 0, 0, 0, 1, NULL, 0, "list of states ( { kind = ...; }, ... )"},
    {"flow.equilibria.kind", A_STRING, NULL, 0, 0, 0, 0, 1, "pure_mode|file|mixed", 0, "pure mode +-u_k, a state file (e.g. a run's state_final.tsv), or a §13 mixed equilibrium"},
    {"flow.equilibria.label", A_STRING, NULL, 0, 0, 0, 0, 0, NULL, 0, "name in the tables (default: built from the kind)"},
    {"flow.equilibria.mode", A_INT, "1", 1, 65536, 0, 0, 0, NULL, 0, "pure_mode: k (1-based, the model's spectrum order)"},
    {"flow.equilibria.n_plus", A_INT, "-1", -1, 1e8, 0, 0, 0, NULL, 0, "pure_mode: particles at +u_k (-1: all)"},
    {"flow.equilibria.file", A_STRING, NULL, 0, 0, 0, 0, 0, NULL, 0, "file: n x d table"},
    {"flow.equilibria.modes", A_VECTOR, "[1.0, 2.0]", 1, 65536, 2, 2, 0, NULL, 0, "mixed: the modes [a, b] of u and v"},
    {"flow.equilibria.m", A_INT, "1", 0, 1e8, 0, 0, 0, NULL, 0, "mixed: copies of u"},
    {"flow.equilibria.k", A_INT, "1", 1, 1e8, 0, 0, 0, NULL, 0, "mixed: copies of each of q u +- sqrt(1-q^2) v"},
    {"flow.equilibria.root", A_INT, "1", 1, 1000, 0, 0, 0, NULL, 0, "mixed: which root q (ascending)"},
    {"flow.gamma", A_FLOAT, "0.5", 0, 1e6, 0, 0, 0, NULL, 0, "damping of the inertial flow"},
    {"flow.amp", A_FLOAT, "1e-10", 1e-300, 1e-2, 0, 0, 0, NULL, 0, "size of the initial tangent perturbation"},
    {"flow.growth", A_FLOAT, "1e4", 1.0001, 1e12, 0, 0, 0, NULL, 0, "automatic T: the fastest mode grows by this factor"},
    {"flow.factor", A_FLOAT, "2.0", 1.0001, BIG, 0, 0, 0, NULL, 0, "a mode grows if |a_k(T)/a_k(0)| > factor"},
    {"flow.seed", A_INT, "1", 0, 4294967295.0, 0, 0, 0, NULL, 0, "seed of the mixture of modes"},
    {"flow.T", A_FLOAT, "0.0", 0, 1e6, 0, 0, 0, NULL, 0, "final time (0: automatic)"},
    {"flow.T_max", A_FLOAT, "200.0", 1e-9, 1e6, 0, 0, 0, NULL, 0, "cap of the automatic T"},
    {"flow.dt", A_FLOAT, "0.01", 1e-9, 1e3, 0, 0, 0, NULL, 0, "step / sampling interval"},
    {"flow.method", A_STRING, "\"rk4\"", 0, 0, 0, 0, 0, "adams|bdf|bdf_newton|rk8pd|euler|rk4", 0, "integrator"},
    {"flow.nodes", A_INT, "256", 1, 1e6, 0, 0, 0, NULL, 0, "Riesz trace nodes on the Hessian"},
    {"flow.theta_points", A_INT, "200", 2, 1e6, 0, 0, 0, NULL, 0, "thresholds of the count curve"},
    {"flow.fd_h", A_FLOAT, "1e-4", 0, 1, 0, 0, 0, NULL, 0, "finite-difference check step of the Hessian (0: skip)"},

    {"geodesic", A_GROUP, NULL, 0, 0, 0, 0, 0, NULL, E, "Jacobi-Maupertuis curvature and a geodesic bundle (§4; S^2: §7d.3)"},
    {"geodesic.geometry", A_STRING, "\"flat\"", 0, 0, 0, 0, 0, "flat|s2", 0, "flat: geometry B (ring); s2: the attention keys of `keys` on S^2"},
    {"geodesic.E", A_FLOAT, "1.5", -BIG, BIG, 0, 0, 0, NULL, 0, "energy (h = 2(E - F))"},
    {"geodesic.h_start", A_FLOAT, NULL, 1e-12, BIG, 0, 0, 0, NULL, 0, "s2: give h at the start instead of E (E = F(start) + h_start/2)"},
    {"geodesic.grid", A_INT, "280", 5, 20000, 0, 0, 0, NULL, 0, "flat: grid points per axis of the FD check"},
    {"geodesic.range", A_VECTOR, "[-2.4, 2.4]", -BIG, BIG, 2, 2, 0, NULL, 0, "flat: grid interval on both axes"},
    {"geodesic.hmin", A_FLOAT, "0.15", 0, BIG, 0, 0, 0, NULL, 0, "mask h > hmin of the FD check"},
    {"geodesic.refine", A_BOOL, "true", 0, 0, 0, 0, 0, NULL, 0, "also the grids N/2 and 2N (S^2: delta x2, /2): O(delta^2)"},
    {"geodesic.segment", A_VECTOR, "[-1.7, 1.7]", -BIG, BIG, 2, 2, 0, NULL, 0, "flat: the x-axis interval searched for K < 0"},
    {"geodesic.segment_points", A_INT, "500", 2, 1e7, 0, 0, 0, NULL, 0, "flat: samples of that search"},
    {"geodesic.start_offset", A_FLOAT, "0.02", -BIG, BIG, 0, 0, 0, NULL, 0, "flat: the reference starts at x_L + start_offset"},
    {"geodesic.start", A_VECTOR, NULL, -BIG, BIG, 3, 3, 0, NULL, 0, "s2: start point (normalized)"},
    {"geodesic.direction", A_VECTOR, NULL, -BIG, BIG, 3, 3, 0, NULL, 0, "s2: start direction (projected on the tangent plane, normalized)"},
    {"geodesic.s2_grid", A_VECTOR, "[24.0, 48.0]", 1, 10000, 2, 2, 0, NULL, 0, "s2: latitude x longitude points of the FD check"},
    {"geodesic.delta", A_FLOAT, "0.01", 1e-8, 1, 0, 0, 0, NULL, 0, "s2: stereographic FD step"},
    {"geodesic.offset", A_FLOAT, "1e-3", 1e-12, 1, 0, 0, 0, NULL, 0, "initial separation of the neighbour"},
    {"geodesic.ds", A_FLOAT, "0.004", 1e-9, 1, 0, 0, 0, NULL, 0, "RK4 step in JM arc length"},
    {"geodesic.max_steps", A_INT, "4000", 1, 1e8, 0, 0, 0, NULL, 0, "step limit"},
    {"geodesic.stop_hmin", A_FLOAT, "0.2", 0, BIG, 0, 0, 0, NULL, 0, "stop when h < stop_hmin"},
    {"geodesic.exact_slope", A_BOOL, "false", 0, 0, 0, 0, 0, NULL, 0, "J'(0) exact ([ours]) instead of the script's forward difference"},
    {"geodesic.method", A_STRING, "\"rk4\"", 0, 0, 0, 0, 0, "adams|bdf|bdf_newton|rk8pd|euler|rk4", 0, "integrator"},
};
#undef G
#undef I
#undef E
#define NAKEYS ((int)(sizeof akeys / sizeof *akeys))

struct spx_acfg {
  config_t cfg;
  char *path, *name;
  char **sets;
  int nsets, cmd;
};

static const akey *find_akey(const char *path)
{
  for (int i = 0; i < NAKEYS; i++)
    if (strcmp(akeys[i].path, path) == 0) return &akeys[i];
  return NULL;
}

static const char *cmd_name(int cmd)
{
  return cmd == SPX_AN_GAP ? "gap" : cmd == SPX_AN_INERTIAL ? "inertial" : "geodesic";
}

static const char *type_text(akey_type t)
{
  switch (t) {
  case A_INT: return "an integer";
  case A_FLOAT: return "a number";
  case A_BOOL: return "true or false";
  case A_STRING: return "a string in double quotes";
  case A_VECTOR: return "an array of numbers [a, b, ...]";
  case A_STRINGS: return "an array of strings [\"a\", ...]";
  case A_GROUP: return "a group { ... }";
  case A_LIST: return "a list of groups ( { ... }, ... )";
  }
  return "?";
}

/* "FILE:LINE" or "--set ..." of a setting (the hook of a --set value or of one of its parents). */
static void where(const spx_acfg *c, const config_setting_t *s, char *buf, size_t len)
{
  for (const config_setting_t *t = s; t; t = t->parent)
    if (config_setting_get_hook(t)) {
      snprintf(buf, len, "--set %s", (const char *)config_setting_get_hook(t));
      return;
    }
  snprintf(buf, len, "%s:%d", c->path, s ? config_setting_source_line(s) : 0);
}

int spx_acfg_bad(const spx_acfg *c, const config_setting_t *s, const char *path, const char *fmt,
                 ...)
{
  char loc[512], msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!s) s = spx_acfg_setting(c, path);
  if (!s) {
    /* the closest present parent gives the line */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    char *dot;
    while (!s && (dot = strrchr(buf, '.')) != NULL) {
      *dot = '\0';
      s = config_lookup(&c->cfg, buf);
    }
  }
  where(c, s, loc, sizeof loc);
  spx_error("%s: %s: %s", loc, path, msg);
  return SPX_EINVAL;
}

static int is_number(const config_setting_t *s)
{
  int t = config_setting_type(s);
  return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_FLOAT;
}

/* Members of a group entry, for messages. */
static void list_members(const char *group, char *buf, size_t len)
{
  size_t gl = strlen(group), used = 0;
  buf[0] = '\0';
  for (int i = 0; i < NAKEYS; i++)
    if (strncmp(akeys[i].path, group, gl) == 0 && akeys[i].path[gl] == '.' &&
        !strchr(akeys[i].path + gl + 1, '.')) {
      int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", akeys[i].path + gl + 1);
      if (w < 0 || (size_t)w >= len - used) break;
      used += (size_t)w;
    }
}

static void list_groups(int cmd, char *buf, size_t len)
{
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < NAKEYS; i++)
    if (akeys[i].type == A_GROUP && (akeys[i].cmds & cmd)) {
      int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", akeys[i].path);
      if (w < 0 || (size_t)w >= len - used) break;
      used += (size_t)w;
    }
}

static int check_value(const spx_acfg *c, const config_setting_t *s, const akey *k,
                       const char *path);

/* The members of group setting g against the entries "prefix.member". */
static int check_members(const spx_acfg *c, const config_setting_t *g, const char *prefix)
{
  char allowed[2048], path[256];
  for (int j = 0; j < config_setting_length(g); j++) {
    const config_setting_t *e = config_setting_get_elem(g, j);
    snprintf(path, sizeof path, "%s.%s", prefix, config_setting_name(e));
    const akey *k = find_akey(path);
    if (!k) {
      list_members(prefix, allowed, sizeof allowed);
      return spx_acfg_bad(c, e, path, "unknown key; the keys of %s are: %s", prefix, allowed);
    }
    int st = check_value(c, e, k, path);
    if (st) return st;
  }
  return SPX_OK;
}

static int check_value(const spx_acfg *c, const config_setting_t *s, const akey *k,
                       const char *path)
{
  int t = config_setting_type(s), ok = 0;
  switch (k->type) {
  case A_INT: ok = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64; break;
  case A_FLOAT: ok = is_number(s); break;
  case A_BOOL: ok = t == CONFIG_TYPE_BOOL; break;
  case A_STRING: ok = t == CONFIG_TYPE_STRING; break;
  case A_VECTOR:
  case A_STRINGS: ok = t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST; break;
  case A_GROUP: ok = t == CONFIG_TYPE_GROUP; break;
  case A_LIST: ok = t == CONFIG_TYPE_LIST; break;
  }
  if (!ok) return spx_acfg_bad(c, s, path, "must be %s", type_text(k->type));
  if (k->type == A_INT || k->type == A_FLOAT) {
    double v = t == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
                                      : (double)config_setting_get_int64(s);
    if (!isfinite(v) || v < k->lo || v > k->hi)
      return spx_acfg_bad(c, s, path, "%.17g is out of range; allowed [%g, %g]", v, k->lo, k->hi);
  }
  if (k->type == A_STRING && k->choices) {
    const char *v = config_setting_get_string(s);
    size_t l = strlen(v);
    int found = 0;
    for (const char *p = k->choices; *p;) {
      const char *e = strchr(p, '|');
      size_t pl = e ? (size_t)(e - p) : strlen(p);
      found |= pl == l && strncmp(p, v, l) == 0;
      p += pl + (e ? 1 : 0);
    }
    if (!found) return spx_acfg_bad(c, s, path, "\"%s\" is not allowed; allowed: %s", v, k->choices);
  }
  if (k->type == A_VECTOR || k->type == A_STRINGS) {
    int n = config_setting_length(s);
    if (n < 1) return spx_acfg_bad(c, s, path, "needs at least one element");
    if (k->minlen > 0 && (n < k->minlen || n > k->maxlen)) {
      if (k->minlen == k->maxlen)
        return spx_acfg_bad(c, s, path, "needs exactly %d elements (got %d)", k->minlen, n);
      return spx_acfg_bad(c, s, path, "needs %d to %d elements (got %d)", k->minlen, k->maxlen, n);
    }
    for (int i = 0; i < n; i++) {
      const config_setting_t *e = config_setting_get_elem(s, i);
      if (k->type == A_STRINGS) {
        if (config_setting_type(e) != CONFIG_TYPE_STRING)
          return spx_acfg_bad(c, e, path, "element %d must be a string in double quotes", i + 1);
        continue;
      }
      if (!is_number(e))
        return spx_acfg_bad(c, e, path, "element %d must be a number", i + 1);
      double v = config_setting_get_float(e);
      if (config_setting_type(e) != CONFIG_TYPE_FLOAT) v = (double)config_setting_get_int64(e);
      if (!isfinite(v) || v < k->lo || v > k->hi)
        return spx_acfg_bad(c, e, path, "element %d = %.17g is out of range; allowed [%g, %g]",
                            i + 1, v, k->lo, k->hi);
    }
  }
  if (k->type == A_GROUP) return check_members(c, s, path);
  if (k->type == A_LIST) {
    if (config_setting_length(s) < 1) return spx_acfg_bad(c, s, path, "needs at least one element");
    for (int i = 0; i < config_setting_length(s); i++) {
      const config_setting_t *e = config_setting_get_elem(s, i);
      if (config_setting_type(e) != CONFIG_TYPE_GROUP)
        return spx_acfg_bad(c, e, path, "element %d must be a group { kind = ...; }", i + 1);
      int st = check_members(c, e, path);
      if (st) return st;
    }
  }
  return SPX_OK;
}

static int check_structure(const spx_acfg *c)
{
  const config_setting_t *root = config_root_setting(&c->cfg);
  char allowed[2048];
  for (int i = 0; i < config_setting_length(root); i++) {
    const config_setting_t *s = config_setting_get_elem(root, i);
    const char *nm = config_setting_name(s);
    const akey *k = find_akey(nm);
    if (!k) {
      list_groups(c->cmd, allowed, sizeof allowed);
      return spx_acfg_bad(c, s, nm, "unknown top-level key; allowed: name, plots, plot_format and "
                          "the groups of analyze %s: %s", cmd_name(c->cmd), allowed);
    }
    if (k->type == A_GROUP && !(k->cmds & c->cmd)) {
      list_groups(c->cmd, allowed, sizeof allowed);
      return spx_acfg_bad(c, s, nm, "this group is not used by `analyze %s` (its groups: %s)",
                          cmd_name(c->cmd), allowed);
    }
    int st = check_value(c, s, k, nm);
    if (st) return st;
  }
  return SPX_OK;
}

static int apply_set(spx_acfg *c, const char *text, char *hook)
{
  char origin[600], key[256];
  snprintf(origin, sizeof origin, "--set %s", text);
  const char *eq = strchr(text, '=');
  if (!eq || eq == text || (size_t)(eq - text) >= sizeof key) {
    spx_error("%s: expected KEY=VALUE with a dotted key, e.g. --set count.nodes=128", origin);
    return SPX_EINVAL;
  }
  snprintf(key, sizeof key, "%.*s", (int)(eq - text), text);
  const akey *k = find_akey(key);
  /* members of a list's groups are set with the whole list */
  if (k) {
    char parent[256];
    snprintf(parent, sizeof parent, "%s", key);
    char *dot = strrchr(parent, '.');
    if (dot) {
      *dot = '\0';
      const akey *p = find_akey(parent);
      if (p && p->type == A_LIST) k = NULL;
    }
  }
  if (!k) {
    char allowed[2048];
    const char *dot = strchr(key, '.');
    if (dot) {
      char grp[64];
      snprintf(grp, sizeof grp, "%.*s", (int)(dot - key), key);
      list_members(grp, allowed, sizeof allowed);
    } else {
      list_groups(c->cmd, allowed, sizeof allowed);
    }
    spx_error("%s: unknown key \"%s\"%s%s (a list such as flow.equilibria is set whole)", origin,
              key, allowed[0] ? "; allowed: " : "", allowed);
    return SPX_EINVAL;
  }
  return spx_config_put(config_root_setting(&c->cfg), key, eq + 1, hook, origin);
}

/* Defaults of the members of the present groups (and of every element of their lists). */
static int fill_defaults(spx_acfg *c)
{
  for (int i = 0; i < NAKEYS; i++) {
    const akey *k = &akeys[i];
    if (!k->def) continue;
    char parent[256];
    snprintf(parent, sizeof parent, "%s", k->path);
    char *dot = strrchr(parent, '.');
    if (!dot) {
      if (!config_lookup(&c->cfg, k->path)) {
        int st = spx_config_put(config_root_setting(&c->cfg), k->path, k->def, NULL, k->path);
        if (st) return st;
      }
      continue;
    }
    *dot = '\0';
    const akey *pk = find_akey(parent);
    if (pk && pk->type == A_LIST) {
      config_setting_t *l = config_lookup(&c->cfg, parent);
      if (!l) continue;
      for (int e = 0; e < config_setting_length(l); e++) {
        config_setting_t *g = config_setting_get_elem(l, e);
        if (config_setting_get_member(g, dot + 1)) continue;
        int st = spx_config_put(g, dot + 1, k->def, NULL, k->path);
        if (st) return st;
      }
      continue;
    }
    config_setting_t *g = config_lookup(&c->cfg, parent);
    if (!g || config_setting_get_member(g, dot + 1)) continue;
    int st = spx_config_put(g, dot + 1, k->def, NULL, k->path);
    if (st) return st;
  }
  return SPX_OK;
}

/* Required members of the present groups and lists. */
static int check_required(const spx_acfg *c)
{
  for (int i = 0; i < NAKEYS; i++) {
    const akey *k = &akeys[i];
    if (!k->required) continue;
    char parent[256];
    snprintf(parent, sizeof parent, "%s", k->path);
    char *dot = strrchr(parent, '.');
    if (!dot) continue;
    *dot = '\0';
    const akey *pk = find_akey(parent);
    const config_setting_t *g = config_lookup(&c->cfg, parent);
    if (!g) continue;
    if (pk && pk->type == A_LIST) {
      for (int e = 0; e < config_setting_length(g); e++) {
        const config_setting_t *el = config_setting_get_elem(g, e);
        if (!config_setting_get_member(el, dot + 1))
          return spx_acfg_bad(c, el, k->path, "missing in element %d (%s)", e + 1, k->help);
      }
      continue;
    }
    if (!config_setting_get_member(g, dot + 1))
      return spx_acfg_bad(c, g, k->path, "missing (%s)", k->help);
  }
  return SPX_OK;
}

int spx_acfg_load(const char *path, int cmd, const char *const *sets, int nsets, spx_acfg **out)
{
  int status = SPX_OK;
  spx_acfg *c = calloc(1, sizeof *c);
  *out = NULL;
  if (!c) return SPX_ENOMEM;
  config_init(&c->cfg);
  config_set_options(&c->cfg, config_get_options(&c->cfg) | CONFIG_OPTION_AUTOCONVERT);
  c->cmd = cmd;
  c->path = strdup(path);
  c->sets = calloc((size_t)(nsets > 0 ? nsets : 1), sizeof(char *));
  if (!c->path || !c->sets) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  SPX_TRY(spx_config_read_file(&c->cfg, path, "an analysis config"));
  SPX_TRY(check_structure(c));
  for (int i = 0; i < nsets; i++) {
    c->sets[i] = strdup(sets[i]);
    if (!c->sets[i]) {
      status = SPX_ENOMEM;
      goto cleanup;
    }
    c->nsets = i + 1;
    SPX_TRY(apply_set(c, sets[i], c->sets[i]));
  }
  SPX_TRY(check_structure(c));
  SPX_TRY(check_required(c));
  SPX_TRY(fill_defaults(c));
  {
    const config_setting_t *s = config_lookup(&c->cfg, "name");
    const char *nm = s ? config_setting_get_string(s) : NULL;
    if (nm && (!*nm || strchr(nm, '/') || !strcmp(nm, ".") || !strcmp(nm, ".."))) {
      status = spx_acfg_bad(c, s, "name", "\"%s\" must be a plain folder name (no '/')", nm);
      goto cleanup;
    }
    if (nm) {
      c->name = strdup(nm);
    } else {
      const char *b = strrchr(path, '/');
      c->name = strdup(b ? b + 1 : path);
      char *dot = c->name ? strrchr(c->name, '.') : NULL;
      if (dot && dot != c->name) *dot = '\0';
    }
    if (!c->name) {
      status = SPX_ENOMEM;
      goto cleanup;
    }
  }
  *out = c;
  c = NULL;
cleanup:
  spx_acfg_free(c);
  return status;
}

void spx_acfg_free(spx_acfg *c)
{
  if (!c) return;
  config_destroy(&c->cfg);
  for (int i = 0; i < c->nsets; i++) free(c->sets[i]);
  free(c->sets);
  free(c->path);
  free(c->name);
  free(c);
}

const char *spx_acfg_name(const spx_acfg *c) { return c->name; }
const char *spx_acfg_path(const spx_acfg *c) { return c->path; }

int spx_acfg_has(const spx_acfg *c, const char *group)
{
  return config_lookup(&c->cfg, group) != NULL;
}

const config_setting_t *spx_acfg_setting(const spx_acfg *c, const char *path)
{
  return config_lookup(&c->cfg, path);
}

/* The setting at path, or the table default parsed into a scratch config (absent groups). */
static double num_of(const config_setting_t *s)
{
  return config_setting_type(s) == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
                                                     : (double)config_setting_get_int64(s);
}

/* Parse the default text of a key into a value (numbers and booleans). */
static double default_num(const char *path)
{
  const akey *k = find_akey(path);
  if (!k || !k->def) return NAN;
  if (strcmp(k->def, "true") == 0) return 1.0;
  if (strcmp(k->def, "false") == 0) return 0.0;
  return strtod(k->def, NULL);
}

double spx_acfg_num(const spx_acfg *c, const char *path)
{
  const config_setting_t *s = config_lookup(&c->cfg, path);
  return s && is_number(s) ? num_of(s) : default_num(path);
}

long spx_acfg_int(const spx_acfg *c, const char *path)
{
  const config_setting_t *s = config_lookup(&c->cfg, path);
  if (s && is_number(s)) return (long)config_setting_get_int64(s);
  double v = default_num(path);
  return isfinite(v) ? (long)v : 0;
}

int spx_acfg_bool(const spx_acfg *c, const char *path)
{
  const config_setting_t *s = config_lookup(&c->cfg, path);
  if (s && config_setting_type(s) == CONFIG_TYPE_BOOL) return config_setting_get_bool(s);
  return default_num(path) == 1.0;
}

const char *spx_acfg_str(const spx_acfg *c, const char *path)
{
  const config_setting_t *s = config_lookup(&c->cfg, path);
  if (s && config_setting_type(s) == CONFIG_TYPE_STRING) return config_setting_get_string(s);
  const akey *k = find_akey(path);
  if (!k || !k->def || k->def[0] != '"') return NULL;
  /* string defaults are stored quoted: return the text without the quotes (static storage) */
  static char buf[8][128];
  static int next;
  char *b = buf[next++ % 8];
  snprintf(b, sizeof buf[0], "%.*s", (int)strlen(k->def) - 2, k->def + 1);
  return b;
}

int spx_acfg_vec(const spx_acfg *c, const char *path, double *v, int cap)
{
  const config_setting_t *s = config_lookup(&c->cfg, path);
  if (s) {
    int n = config_setting_length(s);
    for (int i = 0; i < n && i < cap; i++) v[i] = num_of(config_setting_get_elem(s, i));
    return n;
  }
  const akey *k = find_akey(path);
  if (!k || !k->def) return -1;
  int n = 0;
  const char *p = k->def;
  while (*p && *p != ']') {
    while (*p == '[' || *p == ',' || *p == ' ') p++;
    if (*p == ']' || !*p) break;
    char *e;
    double x = strtod(p, &e);
    if (e == p) break;
    if (n < cap) v[n] = x;
    n++;
    p = e;
  }
  return n;
}

double spx_acfg_snum(const config_setting_t *s, const char *member)
{
  const config_setting_t *e = config_setting_get_member(s, member);
  return e && is_number(e) ? num_of(e) : NAN;
}

const char *spx_acfg_sstr(const config_setting_t *s, const char *member)
{
  const config_setting_t *e = config_setting_get_member(s, member);
  return e && config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
}

int spx_acfg_require(const spx_acfg *c, const char *path)
{
  if (config_lookup(&c->cfg, path)) return SPX_OK;
  const akey *k = find_akey(path);
  return spx_acfg_bad(c, NULL, path, "missing (%s)", k ? k->help : "required here");
}

/* ---- writing ---------------------------------------------------------------------------------- */


int spx_acfg_write_resolved(const spx_acfg *c, FILE *f)
{
  const config_setting_t *root = config_root_setting(&c->cfg);
  fprintf(f, "# Resolved analysis config \"%s\" (from %s", c->name, c->path);
  for (int i = 0; i < c->nsets; i++) fprintf(f, ", --set %s", c->sets[i]);
  fprintf(f, "): every default filled in.\n# Repeat with: bin/sim analyze %s "
             "config.resolved.cfg\n",
          cmd_name(c->cmd));
  for (int i = 0; i < config_setting_length(root); i++) {
    const config_setting_t *e = config_setting_get_elem(root, i);
    fprintf(f, "%s = ", config_setting_name(e));
    spx_config_print_value(f, e, 0);
    fputs(";\n", f);
  }
  return ferror(f) ? SPX_EIO : SPX_OK;
}

void spx_acfg_print_keys(FILE *f, int cmd)
{
  static const char *const tn[] = {"int", "float", "bool", "string", "vector", "strings", "group", "list"};
  int on = 1;
  fprintf(f, "Keys (libconfig syntax; a group present switches its part on; --set KEY=VALUE):\n");
  for (int i = 0; i < NAKEYS; i++) {
    const akey *k = &akeys[i];
    int top = !strchr(k->path, '.');
    if (top && (k->type == A_GROUP || k->type == A_LIST)) on = (k->cmds & cmd) != 0;
    else if (top) on = 1;
    if (!on) continue;
    if (k->type == A_GROUP && top) {
      fprintf(f, "\n  %s = { ... }   %s\n", k->path, k->help);
      continue;
    }
    fprintf(f, "  %-30s %-7s %s%-12s %s", k->path, tn[k->type], k->required ? "required " : "default ",
            k->required ? "" : (k->def ? k->def : "(none)"), k->help);
    if (k->choices) fprintf(f, " [%s]", k->choices);
    fputc('\n', f);
  }
}
