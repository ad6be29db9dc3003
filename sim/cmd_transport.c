/* cmd_transport.c -- `bin/sim transport FILE|CONFIG`: the transport diagnostics of one attention
 * matrix A and of its transpose A^T side by side, or a sweep of window widths.
 *
 * The matrix comes from a TSV file (n rows of n numbers, read by spx_transport_read_matrix), from a
 * config (transport.kind: uniform_causal, window, sink -- the builders of spec
 * transport_routing.md §1.4 -- or softmax: the attention of the config's initial state with its
 * logit form, beta and mask), or from --kind/--n/--w alone. For A and A^T it computes (spec §1.3-
 * 1.5, §3) the degrees, lambda_2, G, phi over the prefix cuts (landscape phi(t), J(t)), the Fiedler
 * sweep, the Cheeger bounds, nu, the mean KL to uniform over the allowed keys (the mask of A^T is
 * the mirrored one), the Laplacian spectrum and the complex spectrum of T; then the orientation-
 * blindness identities of §1.5 (S_T equal, K_T opposite, equal spectra and landscapes, nu and J
 * flip) and, for the builders, the closed forms of §1.4. For softmax attention it adds the routing
 * split of the logit form (§2.2) and the effective ranks (§2.4, §2.5).
 *
 * Files in the output folder: transport.tsv (quantity, A, A^T), transport_landscape.tsv,
 * transport_spectrum.tsv, transport_landscape.png; for a sweep window_sweep.tsv and
 * transport_window_sweep.png. G, phi, nu, J, the KL mask of A^T and erank are the project's own
 * definitions ([D] in the spec; [ours] where the spec has none).
 */
#include "cmd_transport.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "init.h"
#include "mat.h"
#include "output.h"
#include "cli.h"
#include "status.h"
#include "transport.h"

/* Complex spectrum of T by the nonsymmetric eigensolver only up to this n (O(n^3), ~5 s at 1000);
 * triangular T (masked A) always: its spectrum is its diagonal. */
#define T_EIGEN_MAX 1024
#define MAX_WIDTHS 10000

typedef enum { KIND_FILE, KIND_UNIFORM, KIND_WINDOW, KIND_SINK, KIND_SOFTMAX } kind_t;
static const char *const kind_names[] = {"file", "uniform_causal", "window", "sink", "softmax"};

/* The diagnostics of one orientation. */
typedef struct {
  spx_transport_summary s;
  double *phi, *flux, *lap, *re, *im; /* n-1, n-1, n, n, n */
  double norm_S, norm_K;
  int have_eig;
} side_t;

typedef struct {
  kind_t kind;
  int n, nw, *widths;     /* widths: window sweep (nw > 1) or the one width */
  spx_mask mask;          /* the mask of A (inferred for a file) */
  int window;
  double *A, *At;
  char label[256], source[4200];
  /* softmax only: routing of the logit form and of the logits (§2.2, §2.4, §2.5) */
  int have_routing;
  spx_routing_norms rnorms;
  spx_erank rk_kernel, rk_logits;
  int head;
  double max_row_defect;  /* max_i |r_i - 1| */
} problem_t;

static void print_help(void)
{
  printf(
      "usage: bin/sim transport FILE|CONFIG [--out DIR] [--force] [--quiet] [--set KEY=VALUE]...\n"
      "                         [--kind uniform_causal|window|sink|softmax] [--n N] [--w W]\n"
      "       bin/sim transport --kind uniform_causal|window|sink --n N [--w W] [--out DIR]\n\n"
      "Transport diagnostics of one attention matrix A and of its transpose A^T, side by side\n"
      "(spec transport_routing.md): lambda_2, G, the conductance phi over prefix cuts (the\n"
      "bipartite-Cheeger landscape phi(t) and the flux J(t)), the Fiedler sweep, the Cheeger\n"
      "bounds, nu, the mean KL to uniform, the spectra, the orientation-blindness identities and the\n"
      "closed forms. G, phi, nu, J and erank are the project's own definitions ([D] in the spec).\n\n"
      "  FILE        n rows of n numbers (blanks, tabs or commas; '#' comments): entries finite and\n"
      "              >= 0, 2 <= n <= %d. Its mask (for the KL) is inferred from its zero pattern.\n"
      "  CONFIG      a config file ending in .cfg: transport.kind builds the matrix (softmax: the\n"
      "              attention of the initial state with the config's Q, K / A, beta, mask and\n"
      "              transport.head; uniform_causal, window, sink: model.n, model.window, and\n"
      "              transport.windows = [w1, w2, ...] for a sweep of window widths)\n"
      "  --kind K    override transport.kind (without FILE|CONFIG: uniform_causal, window, sink)\n"
      "  --n N       number of tokens (with a config: sets model.n)\n"
      "  --w W       window width(s): W, a list W1,W2,..., or a range A:B or A:B:STEP; several\n"
      "              widths make a sweep (window_sweep.tsv and a figure of phi_min against w/n)\n"
      "  --set K=V   override a config key (bin/sim run --help lists them)\n"
      "  --out DIR   output folder (default output/transport/LABEL)\n"
      "  --force     overwrite an earlier transport result in DIR\n"
      "  --quiet     no informational lines (the table is still printed)\n\n"
      "Writes DIR/transport.tsv (quantity, A, A_T), transport_landscape.tsv (t, t/n, phi and J of\n"
      "A and A^T, the closed form, the uniform causal reference), transport_spectrum.tsv and\n"
      "transport_landscape.png. Exit status 2 for bad input (nothing is written).\n",
      SPX_TRANSPORT_N_LIMIT);
}

/* ---- argument helpers ------------------------------------------------------------------------ */

static int ends_with(const char *s, const char *suffix)
{
  size_t ls = strlen(s), lx = strlen(suffix);
  return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* A whole decimal integer in [lo, hi]. */
static int parse_int(const char *s, long lo, long hi, long *v)
{
  char *end;
  errno = 0;
  long x = strtol(s, &end, 10);
  if (end == s || *end || errno || x < lo || x > hi) return 0;
  *v = x;
  return 1;
}

/* "W", "W1,W2,...", "A:B" or "A:B:S" into widths (malloc'ed). */
static int parse_widths(const char *arg, int **out, int *count)
{
  int cap = 16, k = 0;
  int *w = malloc(sizeof(int) * cap);
  char *copy = strdup(arg), *save = NULL;
  int status = SPX_OK;
  if (!w || !copy) { status = SPX_ENOMEM; goto cleanup; }
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    long a, b, st = 1;
    char *c1 = strchr(tok, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c1) *c1 = '\0';
    if (c2) *c2 = '\0';
    if (!parse_int(tok, 1, SPX_TRANSPORT_N_LIMIT, &a) ||
        (c1 && !parse_int(c1 + 1, 1, SPX_TRANSPORT_N_LIMIT, &b)) ||
        (c2 && !parse_int(c2 + 1, 1, SPX_TRANSPORT_N_LIMIT, &st)) || (c1 && b < a)) {
      spx_error("transport: --w %s: expected widths W, W1,W2,..., A:B or A:B:STEP with integers "
                "1 <= W <= %d (and A <= B)",
                arg, SPX_TRANSPORT_N_LIMIT);
      status = SPX_EINVAL;
      goto cleanup;
    }
    if (!c1) b = a;
    for (long x = a; x <= b; x += st) {
      if (k >= MAX_WIDTHS) {
        spx_error("transport: --w %s: more than %d widths", arg, MAX_WIDTHS);
        status = SPX_EINVAL;
        goto cleanup;
      }
      if (k == cap) {
        int *nw = realloc(w, sizeof(int) * (cap *= 2));
        if (!nw) { status = SPX_ENOMEM; goto cleanup; }
        w = nw;
      }
      w[k++] = (int)x;
    }
  }
  if (k == 0) {
    spx_error("transport: --w needs at least one width");
    status = SPX_EINVAL;
    goto cleanup;
  }
  *out = w;
  *count = k;
  w = NULL;
cleanup:
  free(w);
  free(copy);
  return status;
}

/* transport.windows = [w1, ...] of a config (integers 1..n), file:line messages. */
static int config_widths(const spx_config *cfg, int n, int **out, int *count)
{
  const config_setting_t *s = spx_config_setting(cfg, "transport.windows");
  int m = config_setting_length(s);
  if (m < 1 || m > MAX_WIDTHS)
    return spx_config_bad(cfg, s, "transport.windows", "needs 1 to %d widths, got %d", MAX_WIDTHS,
                          m);
  int *w = malloc(sizeof(int) * m);
  if (!w) return SPX_ENOMEM;
  for (int i = 0; i < m; i++) {
    const config_setting_t *e = config_setting_get_elem(s, i);
    double v = config_setting_type(e) == CONFIG_TYPE_FLOAT ? config_setting_get_float(e)
                                                           : (double)config_setting_get_int64(e);
    if (v != floor(v) || v < 1 || v > n) {
      free(w);
      return spx_config_bad(cfg, e, "transport.windows",
                            "entry %d = %g: widths are integers 1 <= w <= model.n = %d", i + 1, v,
                            n);
    }
    w[i] = (int)v;
  }
  *out = w;
  *count = m;
  return SPX_OK;
}

/* ---- building the matrix --------------------------------------------------------------------- */

static int build_kind(problem_t *pb, int w)
{
  const int n = pb->n;
  switch (pb->kind) {
  case KIND_UNIFORM:
    spx_attention_uniform_causal(n, pb->A);
    pb->mask = SPX_MASK_CAUSAL;
    pb->window = n;
    return SPX_OK;
  case KIND_SINK:
    spx_attention_sink(n, pb->A);
    pb->mask = SPX_MASK_CAUSAL;
    pb->window = n;
    return SPX_OK;
  case KIND_WINDOW:
    pb->mask = SPX_MASK_WINDOW;
    pb->window = w;
    return spx_attention_window(n, w, pb->A);
  default: return SPX_EINTERNAL;
  }
}

/* The softmax attention of the config's initial state, and its routing numbers. */
static int build_softmax(problem_t *pb, const spx_config *cfg)
{
  int status = SPX_OK;
  const spx_run_params *p = spx_config_params(cfg);
  const spx_model *m = p->model;
  const int n = m->n, d = m->d;
  double *x0 = malloc(sizeof(double) * n * d), *U = malloc(sizeof(double) * n * d),
         *work = malloc(sizeof(double) * n * d), *R = malloc(sizeof(double) * d * d),
         *F = malloc(sizeof(double) * d * d);
  spx_routing_ws *ws = NULL;
  if (!x0 || !U || !work || !R || !F) { status = SPX_ENOMEM; goto cleanup; }
  pb->head = (int)config_setting_get_int64(spx_config_setting(cfg, "transport.head")) - 1;
  SPX_TRY(spx_init_fill(&p->init, m, x0));
  SPX_TRY(spx_attention_of_state(m, pb->head, x0, m->mask, m->window, U, work, pb->A, NULL));
  pb->mask = m->mask;
  pb->window = m->mask == SPX_MASK_WINDOW ? m->window : n;
  spx_routing_split(d, m->heads[pb->head].A, R, F, &pb->rnorms);
  SPX_TRY(spx_routing_erank(d, R, &pb->rk_kernel, NULL));
  SPX_TRY(spx_routing_ws_alloc(d, &ws));
  SPX_TRY(spx_routing_logits_erank(ws, n, U, R, m->beta, &pb->rk_logits));
  pb->have_routing = 1;
cleanup:
  spx_routing_ws_free(ws);
  free(x0);
  free(U);
  free(work);
  free(R);
  free(F);
  return status;
}

/* ---- diagnostics ----------------------------------------------------------------------------- */

static int side_alloc(int n, side_t *s)
{
  memset(s, 0, sizeof *s);
  s->phi = malloc(sizeof(double) * n);
  s->flux = malloc(sizeof(double) * n);
  s->lap = malloc(sizeof(double) * n);
  s->re = malloc(sizeof(double) * n);
  s->im = malloc(sizeof(double) * n);
  return s->phi && s->flux && s->lap && s->re && s->im ? SPX_OK : SPX_ENOMEM;
}

static void side_free(side_t *s)
{
  free(s->phi);
  free(s->flux);
  free(s->lap);
  free(s->re);
  free(s->im);
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Diagnose M (= A, or A^T with mirror = 1) into s. The KL uses the mask of A, mirrored for A^T. */
static int diagnose_side(spx_transport *w, const double *M, const problem_t *pb, int mirror,
                         side_t *s)
{
  int status = SPX_OK;
  const int n = pb->n;
  /* mask "none" here: the KL with the right (possibly mirrored) mask comes next */
  SPX_TRY(spx_transport_diagnose(w, M, SPX_MASK_NONE, 0, &s->s));
  SPX_TRY(spx_transport_row_kl_ex(n, M, pb->mask, pb->window, mirror, NULL, &s->s.mean_kl));
  memcpy(s->phi, w->phi, sizeof(double) * (n - 1));
  memcpy(s->flux, w->flux, sizeof(double) * (n - 1));
  memcpy(s->lap, w->lap, sizeof(double) * n);
  s->norm_S = w->norm_S;
  s->norm_K = w->norm_K;
  s->have_eig = 1;
  if (pb->mask != SPX_MASK_NONE) {
    /* A masked A is lower (A^T upper) triangular, and so is T: its spectrum is its diagonal, exactly
     * (the eigensolver would blur the repeated values of a defective T). */
    for (int i = 0; i < n; i++) {
      s->re[i] = w->T[(long)i * n + i];
      s->im[i] = 0.0;
    }
    qsort(s->re, (size_t)n, sizeof(double), cmp_double);
  } else if (n <= T_EIGEN_MAX) {
    SPX_TRY(spx_transport_T_eigen(w, s->re, s->im));
  } else {
    s->have_eig = 0;
  }
cleanup:
  return status;
}

/* Largest distance from an eigenvalue of one list to the nearest one of the other, both ways. */
static double spectrum_distance(int n, const side_t *a, const side_t *b)
{
  double worst = 0.0;
  for (int pass = 0; pass < 2; pass++) {
    const side_t *x = pass ? b : a, *y = pass ? a : b;
    for (int i = 0; i < n; i++) {
      double best = INFINITY;
      for (int j = 0; j < n; j++)
        best = fmin(best, hypot(x->re[i] - y->re[j], x->im[i] - y->im[j]));
      worst = fmax(worst, best);
    }
  }
  return worst;
}

/* ---- output ---------------------------------------------------------------------------------- */

static const char *mask_text(spx_mask mask, int window, char *buf, size_t len)
{
  if (mask == SPX_MASK_CAUSAL) snprintf(buf, len, "causal");
  else if (mask == SPX_MASK_WINDOW) snprintf(buf, len, "window(w=%d)", window);
  else snprintf(buf, len, "none");
  return buf;
}

/* One row of the printed table and of transport.tsv. */
static void row2(FILE *tsv, const char *key, const char *label, double a, double b)
{
  printf("  %-44s %16.10g %16.10g\n", label, a, b);
  if (tsv) fprintf(tsv, "%s\t%.17g\t%.17g\n", key, a, b);
}

/* The output folder: refuse to mix with another result unless --force (before writing). */
static int prepare_out(const char *dir, int force, const char *mine)
{
  struct stat st;
  char p[4200];
  snprintf(p, sizeof p, "%s/%s", dir, mine);
  if (!force && stat(p, &st) == 0) {
    spx_error("transport: %s already exists; use --force to overwrite it or --out DIR to write "
              "elsewhere",
              p);
    return SPX_EINVAL;
  }
  return spx_out_prepare_dir(dir, force);
}

static int run_single(problem_t *pb, const char *dir, int force)
{
  int status = SPX_OK;
  const int n = pb->n;
  spx_transport *w = NULL;
  side_t a, t;
  double *ST = NULL, *KT = NULL, *closed = NULL, *unif = NULL;
  spx_out_file tsv, land, spec;
  int tsv_open = 0, land_open = 0, spec_open = 0;
  char mk[64];
  memset(&a, 0, sizeof a);
  memset(&t, 0, sizeof t);
  SPX_TRY(side_alloc(n, &a));
  SPX_TRY(side_alloc(n, &t));
  ST = malloc(sizeof(double) * n * n);
  KT = malloc(sizeof(double) * n * n);
  closed = malloc(sizeof(double) * n);
  unif = malloc(sizeof(double) * n);
  if (!ST || !KT || !closed || !unif) { status = SPX_ENOMEM; goto cleanup; }
  SPX_TRY(spx_transport_alloc(n, &w));

  /* A, then A^T with the comparisons of §1.5 against the kept S_T(A), K_T(A). */
  SPX_TRY(diagnose_side(w, pb->A, pb, 0, &a));
  memcpy(ST, w->ST, sizeof(double) * n * n);
  memcpy(KT, w->KT, sizeof(double) * n * n);
  spx_mat_transpose(n, n, pb->A, pb->At);
  SPX_TRY(diagnose_side(w, pb->At, pb, 1, &t));
  double dS = 0.0, dK = 0.0, dphi = 0.0, dJ = 0.0, dlap = 0.0;
  for (long k = 0; k < (long)n * n; k++) {
    dS = fmax(dS, fabs(w->ST[k] - ST[k]));
    dK = fmax(dK, fabs(w->KT[k] + KT[k]));
  }
  for (int k = 0; k < n - 1; k++) {
    dphi = fmax(dphi, fabs(a.phi[k] - t.phi[k]));
    dJ = fmax(dJ, fabs(a.flux[k] + t.flux[k]));
  }
  for (int k = 0; k < n; k++) dlap = fmax(dlap, fabs(a.lap[k] - t.lap[k]));
  double dspec = a.have_eig && t.have_eig ? spectrum_distance(n, &a, &t) : NAN;

  /* Closed forms of §1.4 for the builders; the uniform causal landscape as a reference. */
  double cmin = NAN, cerr = NAN, xstar = NAN, phistar = NAN, wmin = NAN;
  int ctmin = 0, wvalid = 0;
  SPX_TRY(spx_cheeger_uniform_landscape(n, unif, NULL, NULL));
  for (int k = 1; k < n; k++) {
    closed[k - 1] = pb->kind == KIND_UNIFORM ? unif[k - 1]
                    : pb->kind == KIND_WINDOW
                        ? spx_cheeger_causal(n, k, spx_cheeger_window_cross(n, pb->window, k))
                    : pb->kind == KIND_SINK ? 1.0
                                            : NAN;
  }
  if (pb->kind == KIND_UNIFORM || pb->kind == KIND_WINDOW || pb->kind == KIND_SINK) {
    cmin = INFINITY;
    cerr = 0.0;
    for (int k = 1; k < n; k++) {
      if (closed[k - 1] < cmin) {
        cmin = closed[k - 1];
        ctmin = k;
      }
      cerr = fmax(cerr, fabs(closed[k - 1] - a.phi[k - 1]));
    }
  }
  if (pb->kind == KIND_UNIFORM) SPX_TRY(spx_cheeger_worst_cut(&xstar, &phistar));
  if (pb->kind == KIND_WINDOW) SPX_TRY(spx_cheeger_window_min(n, pb->window, &wmin, &wvalid));

  /* ---- files and the printed table ---- */
  SPX_TRY(prepare_out(dir, force, "transport.tsv"));
  SPX_TRY(spx_out_open(&tsv, dir, "transport.tsv"));
  tsv_open = 1;
  mask_text(pb->mask, pb->window, mk, sizeof mk);
  fprintf(tsv.f, "# bin/sim transport %s: kind %s, n = %d, mask of A %s (A^T: mirrored); spec "
                 "transport_routing.md §1.3-1.5, §2.2-2.5. [D] = the project's own definitions "
                 "(G, phi, nu, J, erank)\n# quantity\tA\tA_T\n",
          pb->source, kind_names[pb->kind], n, mk);
  printf("transport diagnostics of %s: kind %s, n = %d, mask %s\n", pb->source,
         kind_names[pb->kind], n, mk);
  printf("([D]: the project's own definitions, spec transport_routing.md §0, §5)\n\n");
  printf("  %-44s %16s %16s\n", "quantity", "A", "A^T");
  row2(tsv.f, "n", "n", n, n);
  row2(tsv.f, "volume", "volume sum_i d_i, d = (r + c)/2", a.s.volume, t.s.volume);
  row2(tsv.f, "lambda_2", "lambda_2 of L = I - S_T", a.s.lambda2, t.s.lambda2);
  row2(tsv.f, "G", "G = ||K_T||_F / ||S_T||_F [D]", a.s.G, t.s.G);
  row2(tsv.f, "norm_S_T", "||S_T||_F", a.norm_S, t.norm_S);
  row2(tsv.f, "norm_K_T", "||K_T||_F", a.norm_K, t.norm_K);
  row2(tsv.f, "phi", "phi: min over prefix cuts [D]", a.s.phi_prefix, t.s.phi_prefix);
  row2(tsv.f, "worst_cut_t", "  worst cut t", a.s.t_prefix, t.s.t_prefix);
  row2(tsv.f, "worst_cut_x", "  worst cut t/n", (double)a.s.t_prefix / n,
       (double)t.s.t_prefix / n);
  row2(tsv.f, "pierces_floor", "  phi < 1/5 (pierces the floor)", a.s.phi_prefix < 0.2,
       t.s.phi_prefix < 0.2);
  row2(tsv.f, "phi_sweep", "phi: Fiedler sweep (upper bound)", a.s.phi_sweep, t.s.phi_sweep);
  row2(tsv.f, "cheeger_lower", "Cheeger lower bound lambda_2/2", a.s.cheeger_lower,
       t.s.cheeger_lower);
  row2(tsv.f, "cheeger_upper", "Cheeger upper bound sqrt(2 lambda_2)", a.s.cheeger_upper,
       t.s.cheeger_upper);
  row2(tsv.f, "nu", "nu: net backward flow [D]", a.s.nu, t.s.nu);
  row2(tsv.f, "mean_kl", "mean KL(a_i || uniform on allowed keys)", a.s.mean_kl, t.s.mean_kl);
  printf("\n  orientation blindness (spec §1.5; each 0 up to rounding):\n");
  row2(tsv.f, "max_diff_S_T", "max |S_T(A) - S_T(A^T)|", dS, dS);
  row2(tsv.f, "max_sum_K_T", "max |K_T(A) + K_T(A^T)|", dK, dK);
  row2(tsv.f, "max_diff_laplacian", "max |lap. spectrum(A) - (A^T)|", dlap, dlap);
  row2(tsv.f, "max_diff_spectrum_T", "spectrum of T: max distance A vs A^T", dspec, dspec);
  row2(tsv.f, "max_diff_phi", "max_t |phi_A(t) - phi_A^T(t)|", dphi, dphi);
  row2(tsv.f, "max_sum_J", "max_t |J_A(t) + J_A^T(t)| (J flips)", dJ, dJ);
  row2(tsv.f, "sum_nu", "nu(A) + nu(A^T) (nu flips)", a.s.nu + t.s.nu, a.s.nu + t.s.nu);
  if (!a.have_eig) printf("  (complex spectrum of T skipped: n > %d)\n", T_EIGEN_MAX);
  if (!isnan(cmin)) {
    printf("\n  closed form of the %s landscape (spec §1.4; the same for A^T):\n",
           kind_names[pb->kind]);
    row2(tsv.f, "closed_phi_min", "closed form: min_t phi(t)", cmin, cmin);
    row2(tsv.f, "closed_t_min", "  at t", ctmin, ctmin);
    row2(tsv.f, "closed_max_err", "max_t |landscape - closed form|", cerr, cerr);
  }
  if (pb->kind == KIND_UNIFORM) {
    row2(tsv.f, "xstar", "worst cut limit x*: x(2 - ln x) = 1", xstar, xstar);
    row2(tsv.f, "phistar", "phi* = 1 - 2x*", phistar, phistar);
  }
  if (pb->kind == KIND_WINDOW) {
    row2(tsv.f, "window_formula", "((w-1)/2)/(n - delta)", wmin, wmin);
    row2(tsv.f, "window_formula_valid", "  formula is the minimum (in range)", wvalid, wvalid);
  }
  if (pb->have_routing) {
    printf("\n  routing/filtering of the logit form A_h = F + R of head %d (spec §2.2, §2.4):\n",
           pb->head + 1);
    row2(tsv.f, "routing_norm_R", "||R||_F, R = (A_h - A_h^T)/2", pb->rnorms.norm_R,
         pb->rnorms.norm_R);
    row2(tsv.f, "routing_norm_F", "||F||_F, F = (A_h + A_h^T)/2", pb->rnorms.norm_F,
         pb->rnorms.norm_F);
    row2(tsv.f, "routing_erank_kernel", "erank(R) [D]", pb->rk_kernel.erank, pb->rk_kernel.erank);
    row2(tsv.f, "routing_rank_kernel", "rank(R)", pb->rk_kernel.rank, pb->rk_kernel.rank);
    row2(tsv.f, "routing_erank_logits", "erank(beta U R U^T) [D]", pb->rk_logits.erank,
         pb->rk_logits.erank);
  }
  if (pb->max_row_defect > 1e-9)
    printf("\n  note: A is not row-stochastic (max |r_i - 1| = %.3g): the closed forms and volume "
           "= n assume it\n", pb->max_row_defect);

  SPX_TRY(spx_out_open(&land, dir, "transport_landscape.tsv"));
  land_open = 1;
  fprintf(land.f, "# prefix landscapes of %s (n = %d): cuts S_t = {1..t}; phi(t), J(t) [D] of A "
                  "and A^T; phi_closed = closed form of kind %s (NaN: none); phi_unif = uniform "
                  "causal closed form (spec §1.4), for reference\n"
                  "# t\tx\tphi_A\tJ_A\tphi_AT\tJ_AT\tphi_closed\tphi_unif\n",
          pb->source, n, kind_names[pb->kind]);
  for (int k = 1; k < n; k++)
    fprintf(land.f, "%d\t%.8g\t%.15g\t%.15g\t%.15g\t%.15g\t%.15g\t%.15g\n", k, (double)k / n,
            a.phi[k - 1], a.flux[k - 1], t.phi[k - 1], t.flux[k - 1], closed[k - 1],
            unif[k - 1]);
  SPX_TRY(spx_out_open(&spec, dir, "transport_spectrum.tsv"));
  spec_open = 1;
  fprintf(spec.f, "# spectra of %s (n = %d): normalized Laplacian L = I - S_T (ascending) and the "
                  "complex eigenvalues of T = D^{-1/2} A D^{-1/2} sorted by (Re, Im), for A and A^T "
                  "(NaN: not computed, n > %d)\n"
                  "# k\tlap_A\tlap_AT\tre_T_A\tim_T_A\tre_T_AT\tim_T_AT\n",
          pb->source, n, T_EIGEN_MAX);
  for (int k = 0; k < n; k++)
    fprintf(spec.f, "%d\t%.15g\t%.15g\t%.15g\t%.15g\t%.15g\t%.15g\n", k + 1, a.lap[k], t.lap[k],
            a.have_eig ? a.re[k] : NAN, a.have_eig ? a.im[k] : NAN, t.have_eig ? t.re[k] : NAN,
            t.have_eig ? t.im[k] : NAN);
  tsv_open = land_open = spec_open = 0;
  int w1 = spx_out_commit(&tsv), w2 = spx_out_commit(&land), w3 = spx_out_commit(&spec);
  if (w1 || w2 || w3) { status = SPX_EIO; goto cleanup; }
  {
    char args[1024];
    snprintf(args, sizeof args, "fmt='png'; name='%s'; n=%d; kind='%s'; mask='%s'; closed=%d",
             pb->label, n, kind_names[pb->kind], mk, !isnan(cmin));
    if (spx_out_gnuplot(dir, "transport_landscape.gp", args) == SPX_OK)
      spx_info("figure: %s/transport_landscape.png", dir);
  }
  spx_info("files: %s/transport.tsv, transport_landscape.tsv, transport_spectrum.tsv", dir);
cleanup:
  if (tsv_open) spx_out_abort(&tsv);
  if (land_open) spx_out_abort(&land);
  if (spec_open) spx_out_abort(&spec);
  side_free(&a);
  side_free(&t);
  free(ST);
  free(KT);
  free(closed);
  free(unif);
  spx_transport_free(w);
  return status;
}

/* Window sweep: the landscape minimum of every width against the formula of §1.4. */
static int run_sweep(problem_t *pb, const char *dir, int force)
{
  int status = SPX_OK;
  const int n = pb->n;
  spx_transport *w = NULL;
  spx_out_file tsv;
  int open = 0;
  typedef struct {
    spx_transport_summary s;
    double formula;
    int valid;
  } wrow;
  wrow *rows = calloc((size_t)pb->nw, sizeof *rows);
  if (!rows) return SPX_ENOMEM;
  SPX_TRY(spx_transport_alloc(n, &w));
  for (int k = 0; k < pb->nw; k++) {
    SPX_TRY(build_kind(pb, pb->widths[k]));
    SPX_TRY(spx_transport_diagnose(w, pb->A, pb->mask, pb->window, &rows[k].s));
    SPX_TRY(spx_cheeger_window_min(n, pb->widths[k], &rows[k].formula, &rows[k].valid));
  }
  SPX_TRY(prepare_out(dir, force, "window_sweep.tsv"));
  SPX_TRY(spx_out_open(&tsv, dir, "window_sweep.tsv"));
  open = 1;
  fprintf(tsv.f, "# window sweep of %s, n = %d: sliding causal window of width w (spec "
                 "transport_routing.md §1.4); phi = min over prefix cuts [D] of the matrix, "
                 "formula = ((w-1)/2)/(n - delta) (valid = 1 when it is the landscape minimum), "
                 "asymptote (w-1)/(2n); floor 1/5\n"
                 "# w\tw_over_n\tphi\tworst_cut\tformula\tvalid\tasymptote\tpierces\tlambda_2\tG\t"
                 "nu\tcheeger_lower\n",
          pb->source, n);
  printf("window sweep, n = %d (spec §1.4: phi_win,min = ((w-1)/2)/(n - delta) = O(w/n); "
         "floor 1/5)\n\n",
         n);
  printf("  %6s %8s %14s %8s %14s %5s %7s %12s %12s\n", "w", "w/n", "phi (matrix)", "t*/n",
         "formula", "valid", "pierces", "lambda_2", "G");
  for (int k = 0; k < pb->nw; k++) {
    const wrow *r = &rows[k];
    int wd = pb->widths[k];
    fprintf(tsv.f, "%d\t%.8g\t%.15g\t%.8g\t%.15g\t%d\t%.15g\t%d\t%.15g\t%.15g\t%.15g\t%.15g\n", wd,
            (double)wd / n, r->s.phi_prefix, (double)r->s.t_prefix / n, r->formula, r->valid,
            (wd - 1) / (2.0 * n), r->s.phi_prefix < 0.2, r->s.lambda2, r->s.G, r->s.nu,
            r->s.cheeger_lower);
    printf("  %6d %8.4f %14.10f %8.4f %14.10f %5d %7s %12.6g %12.6g\n", wd, (double)wd / n,
           r->s.phi_prefix, (double)r->s.t_prefix / n, r->formula, r->valid,
           r->s.phi_prefix < 0.2 ? "yes" : "no", r->s.lambda2, r->s.G);
  }
  open = 0;
  SPX_TRY(spx_out_commit(&tsv));
  {
    char args[1024];
    snprintf(args, sizeof args, "fmt='png'; name='%s'; n=%d", pb->label, n);
    if (spx_out_gnuplot(dir, "transport_window_sweep.gp", args) == SPX_OK)
      spx_info("figure: %s/transport_window_sweep.png", dir);
  }
  spx_info("file: %s/window_sweep.tsv", dir);
cleanup:
  if (open) spx_out_abort(&tsv);
  spx_transport_free(w);
  free(rows);
  return status;
}

/* ---- the command ----------------------------------------------------------------------------- */

static int kind_from_name(const char *s)
{
  for (int k = KIND_UNIFORM; k <= KIND_SOFTMAX; k++)
    if (strcmp(s, kind_names[k]) == 0) return k;
  return -1;
}

int spx_transport_main(int argc, char **argv)
{
  const char *src = NULL, *out = NULL, *kind_opt = NULL, *w_opt = NULL;
  long n_opt = -1;
  int force = 0, quiet = 0, nsets = 0, status = SPX_OK;
  const char **sets = calloc((size_t)argc + 2, sizeof *sets);
  char nbuf[64], outbuf[4200];
  spx_config *cfg = NULL;
  problem_t pb;
  memset(&pb, 0, sizeof pb);
  if (!sets) return 1;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      print_help();
      free(sets);
      return 0;
    }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = NULL;
    static const char *const with_value[] = {"--out", "--set", "--kind", "--n", "--w"};
    int which = spx_cli_option_value(argc, argv, &i, with_value, 5, "transport", &val);
    if (which == -2) {
      status = SPX_EINVAL;
      goto cleanup;
    }
    if (which == 0) out = val;
    else if (which == 1) sets[nsets++] = val;
    else if (which == 2) kind_opt = val;
    else if (which == 3) {
      if (!parse_int(val, 2, SPX_TRANSPORT_N_LIMIT, &n_opt)) {
        spx_error("transport: --n %s: expected an integer 2 <= n <= %d", val,
                  SPX_TRANSPORT_N_LIMIT);
        status = SPX_EINVAL;
        goto cleanup;
      }
    } else if (which == 4) w_opt = val;
    else if (strcmp(a, "--force") == 0) force = 1;
    else if (strcmp(a, "--quiet") == 0) quiet = 1;
    else
      SPX_TRY(spx_cli_positional("transport", a,
                                 "--out DIR, --force, --quiet, --set KEY=VALUE, --kind K, --n N, "
                                 "--w W, --help",
                                 "input", &src));
  }
  spx_set_quiet(quiet);
  if (out && !*out) {
    spx_error("transport: --out needs a folder name");
    status = SPX_EINVAL;
    goto cleanup;
  }
  if (kind_opt && kind_from_name(kind_opt) < 0) {
    spx_error("transport: --kind %s: allowed: uniform_causal, window, sink, softmax", kind_opt);
    status = SPX_EINVAL;
    goto cleanup;
  }
  int is_cfg = src && ends_with(src, ".cfg");
  if (src && !is_cfg && (kind_opt || n_opt > 0 || w_opt || nsets)) {
    spx_error("transport: %s is read as a TSV matrix (only a name ending in .cfg is a config): "
              "--kind, --n, --w and --set need a CONFIG or no input at all",
              src);
    status = SPX_EINVAL;
    goto cleanup;
  }
  if (!src && !kind_opt) {
    spx_error("transport: no input; usage: bin/sim transport FILE|CONFIG [options], or bin/sim "
              "transport --kind uniform_causal|window|sink --n N [--w W] (see --help)");
    status = SPX_EINVAL;
    goto cleanup;
  }

  if (src && !is_cfg) { /* ---- a TSV matrix ---- */
    pb.kind = KIND_FILE;
    SPX_TRY(spx_transport_read_matrix(src, SPX_TRANSPORT_N_LIMIT, &pb.n, &pb.A));
    spx_transport_infer_mask(pb.n, pb.A, &pb.mask, &pb.window);
    const char *b = strrchr(src, '/');
    snprintf(pb.label, sizeof pb.label, "%s", b ? b + 1 : src);
    char *dot = strrchr(pb.label, '.');
    if (dot && dot != pb.label) *dot = '\0';
    snprintf(pb.source, sizeof pb.source, "%s", src);
  } else if (src) { /* ---- a config ---- */
    if (n_opt > 0) {
      snprintf(nbuf, sizeof nbuf, "model.n=%ld", n_opt);
      sets[nsets++] = nbuf;
    }
    SPX_TRY(spx_config_load(src, sets, nsets, &cfg));
    const spx_run_params *p = spx_config_params(cfg);
    pb.kind = kind_from_name(kind_opt ? kind_opt
                                      : config_setting_get_string(
                                            spx_config_setting(cfg, "transport.kind")));
    pb.n = p->model->n;
    snprintf(pb.label, sizeof pb.label, "%s", p->name);
    snprintf(pb.source, sizeof pb.source, "%s", src);
    if (pb.n < 2 || pb.n > SPX_TRANSPORT_N_LIMIT) {
      status = spx_config_bad(cfg, spx_config_setting(cfg, "model.n"), "model.n",
                              "%d: bin/sim transport needs 2 <= n <= %d (dense n x n matrices)",
                              pb.n, SPX_TRANSPORT_N_LIMIT);
      goto cleanup;
    }
    if (w_opt && pb.kind != KIND_WINDOW) {
      spx_error("transport: --w sets the width of --kind window (here kind %s; for softmax "
                "attention under a window mask use --set model.window=W)",
                kind_names[pb.kind]);
      status = SPX_EINVAL;
      goto cleanup;
    }
    if (pb.kind == KIND_WINDOW) {
      if (w_opt) {
        SPX_TRY(parse_widths(w_opt, &pb.widths, &pb.nw));
      } else if (spx_config_setting(cfg, "transport.windows")) {
        SPX_TRY(config_widths(cfg, pb.n, &pb.widths, &pb.nw));
      } else {
        pb.widths = malloc(sizeof(int));
        if (!pb.widths) { status = SPX_ENOMEM; goto cleanup; }
        pb.widths[0] = p->model->window;
        pb.nw = 1;
      }
    }
  } else { /* ---- --kind alone ---- */
    pb.kind = kind_from_name(kind_opt);
    if (pb.kind == KIND_SOFTMAX) {
      spx_error("transport: --kind softmax needs a CONFIG (its model and initial state)");
      status = SPX_EINVAL;
      goto cleanup;
    }
    if (n_opt < 0) {
      spx_error("transport: --kind %s without a config needs --n N (2 <= N <= %d)", kind_opt,
                SPX_TRANSPORT_N_LIMIT);
      status = SPX_EINVAL;
      goto cleanup;
    }
    pb.n = (int)n_opt;
    if (pb.kind == KIND_WINDOW) {
      if (!w_opt) {
        spx_error("transport: --kind window needs --w W (width, 1 <= W <= n)");
        status = SPX_EINVAL;
        goto cleanup;
      }
      SPX_TRY(parse_widths(w_opt, &pb.widths, &pb.nw));
    } else if (w_opt) {
      spx_error("transport: --w is the width of --kind window (here --kind %s)", kind_opt);
      status = SPX_EINVAL;
      goto cleanup;
    }
    snprintf(pb.label, sizeof pb.label, "%s_n%d", kind_opt, pb.n);
    if (pb.kind == KIND_WINDOW) {
      size_t l = strlen(pb.label);
      if (pb.nw == 1) snprintf(pb.label + l, sizeof pb.label - l, "_w%d", pb.widths[0]);
      else snprintf(pb.label + l, sizeof pb.label - l, "_sweep");
    }
    snprintf(pb.source, sizeof pb.source, "%s(n=%d%s)", kind_opt, pb.n,
             pb.kind == KIND_WINDOW && pb.nw == 1 ? ", w" : "");
    if (pb.kind == KIND_WINDOW && pb.nw == 1) {
      size_t l = strlen(pb.source) - 1;
      snprintf(pb.source + l, sizeof pb.source - l, "=%d)", pb.widths[0]);
    }
  }
  for (int k = 0; k < pb.nw; k++)
    if (pb.widths[k] > pb.n) {
      spx_error("transport: window width %d is above n = %d (widths are 1..n)", pb.widths[k],
                pb.n);
      status = SPX_EINVAL;
      goto cleanup;
    }

  if (!pb.A) {
    pb.A = malloc(sizeof(double) * pb.n * pb.n);
    if (!pb.A) { status = SPX_ENOMEM; goto cleanup; }
  }
  pb.At = malloc(sizeof(double) * pb.n * pb.n);
  if (!pb.At) { status = SPX_ENOMEM; goto cleanup; }
  if (!out) {
    snprintf(outbuf, sizeof outbuf, "output/transport/%s", pb.label);
    out = outbuf;
  }
  if (pb.kind == KIND_WINDOW && pb.nw > 1) {
    status = run_sweep(&pb, out, force);
    goto cleanup;
  }
  if (pb.kind == KIND_SOFTMAX) SPX_TRY(build_softmax(&pb, cfg));
  else if (pb.kind != KIND_FILE) SPX_TRY(build_kind(&pb, pb.nw ? pb.widths[0] : 0));
  for (int i = 0; i < pb.n; i++) {
    double r = 0.0;
    for (int j = 0; j < pb.n; j++) r += pb.A[(long)i * pb.n + j];
    pb.max_row_defect = fmax(pb.max_row_defect, fabs(r - 1.0));
  }
  status = run_single(&pb, out, force);
cleanup:
  spx_config_free(cfg);
  free(pb.A);
  free(pb.At);
  free(pb.widths);
  free(sets);
  return spx_status_exit_code(status);
}
