/* sweep_plot.c -- the figures of a sweep (sweep.figures) and the theory drawn on them.
 *
 * Each figure gets its data in OUT/figdata/FILE*.tsv and is drawn by plots/sweep_KIND.gp into
 * OUT/FILE.png (pdf/svg with output.plot_format). A figure shows one slice of the sweep: the
 * axes it names vary, every other axis stays at its first value.
 *
 * Theory overlays (the spec's formulas, evaluated on the configs of the slice, so that derived
 * parameters such as V = diag(a, 1) need no special code):
 *   criterion    spec sphere_dynamics.md §4.4 items 1-2 (spx_stability_stable_modes) on a fine
 *                grid of the x axis: intervals where some balanced split / homogeneous cluster is
 *                stable, and their edges by bisection (for V = diag(a, 1), beta = 1: a = tanh 1 =
 *                0.76159 and a tanh a = 1, a = 1.19968); on a heat map the edge points along x
 *                for a fine grid of y
 *   beta_s       §4.4 item 2: artanh(lambda_2/lambda_1)/lambda_1 (spx_stability_beta_s)
 *   bistability  §4.4 item 4: artanh(lambda_1/|lambda_min|)/|lambda_min|
 *   kstar        §6.4: k* = argmax_k k^2 I_k(beta) (GSL gsl_sf_bessel_In_scaled), with sqrt(2 beta)
 *   binomial     [D] uniform initial data with sign memory 1: f_plus ~ Binomial(n, 1/2)/n, drawn
 *                as 1/2 +- 1/(2 sqrt n)
 *   equiangular  §6.2 [D for the use]: the beta where the SA equiangular correlation gamma_beta(T)
 *                from gamma(0) = 0 reaches classify.cluster_threshold: GLPR's phase-transition
 *                curve at t = T, the d -> infinity limit of "clustered by T"
 */
#include "sweep_impl.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_sf_bessel.h>

#include "output.h"
#include "stability.h"
#include "status.h"

#define FINE 400        /* points of a 1-D theory grid */
#define FINE2 80        /* grid of a heat map's theory (per axis) */
#define BISECT 48       /* bisection steps of an edge */

/* ------------------------------------------------------------------------------------------ */
/* Closed forms of §6.2 and §6.4                                                                  */

double spx_sweep_sigma_circle(int k, double beta)
{
  gsl_sf_result rk, r0;
  if (!(beta > 0.0) || k < 1) return NAN;
  int e = gsl_sf_bessel_In_scaled_e(k, beta, &rk);
  if (e == GSL_EUNDRFLW) return 0.0;
  if (e != GSL_SUCCESS || gsl_sf_bessel_I0_scaled_e(beta, &r0) != GSL_SUCCESS) return NAN;
  /* the e^{-beta} scalings cancel */
  return (double)k * k * rk.val / (beta * r0.val);
}

int spx_sweep_kstar_circle(double beta)
{
  if (!(beta > 0.0)) return 0;
  int best = 1, kmax = 10 + (int)(4.0 * sqrt(beta));
  double bv = -1.0;
  for (int k = 1; k <= kmax; k++) {
    double v = spx_sweep_sigma_circle(k, beta);
    if (isfinite(v) && v > bv) {
      bv = v;
      best = k;
    }
  }
  return best;
}

typedef struct {
  double n, beta;
} equi_par;

/* SA equiangular ODE of §6.2 divided through by e^beta (no overflow at large beta):
 * rho' = 2 e^{beta(rho-1)} (1-rho)((n-1) rho + 1) / (1 + (n-1) e^{beta(rho-1)}). */
static int equi_rhs(double t, const double y[], double f[], void *params)
{
  const equi_par *p = params;
  double e = exp(p->beta * (y[0] - 1.0));
  f[0] = 2.0 * e * (1.0 - y[0]) * ((p->n - 1.0) * y[0] + 1.0) / (1.0 + (p->n - 1.0) * e);
  return GSL_SUCCESS;
}

double spx_sweep_equiangular(int n, double beta, double rho0, double t)
{
  equi_par par = {.n = n, .beta = beta};
  gsl_odeiv2_system sys = {equi_rhs, NULL, 1, &par};
  if (n < 1 || !(t >= 0.0) || !isfinite(beta)) return NAN;
  gsl_odeiv2_driver *drv =
      gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, 1e-6, 1e-13, 1e-13);
  if (!drv) return NAN;
  double y[1] = {rho0}, t0 = 0.0;
  int st = t > 0.0 ? gsl_odeiv2_driver_apply(drv, &t0, t, y) : GSL_SUCCESS;
  gsl_odeiv2_driver_free(drv);
  return st == GSL_SUCCESS ? y[0] : NAN;
}

/* ------------------------------------------------------------------------------------------ */
/* Configs of a slice                                                                            */

/* Load the config with axis ax at value vx and ay at vy (ay < 0: unused), every other axis at its
 * first value. quiet: a failure prints nothing (stderr to /dev/null while loading; figures are
 * drawn by one thread). */
static spx_config *load_at(const spx_sweep *s, int ax, double vx, int ay, double vy, int quiet)
{
  char *text[64], bx[64], by[64];
  double num[64];
  for (int a = 0; a < s->naxes; a++) {
    text[a] = s->axes[a].text[0];
    num[a] = s->axes[a].num[0];
  }
  spx_sweep_fmt(bx, sizeof bx, vx);
  text[ax] = bx;
  num[ax] = vx;
  if (ay >= 0) {
    spx_sweep_fmt(by, sizeof by, vy);
    text[ay] = by;
    num[ay] = vy;
  }
  char **sets = NULL;
  int nsets = 0, saved = -1;
  spx_config *cfg = NULL;
  if (quiet) {
    fflush(stderr);
    saved = dup(2);
    int nul = open("/dev/null", O_WRONLY);
    if (nul >= 0) {
      dup2(nul, 2);
      close(nul);
    }
  }
  if (spx_sweep_build_sets(s, text, num, -1, &sets, &nsets) == SPX_OK &&
      spx_sweep_load_sets(s, sets, nsets, &cfg) != SPX_OK)
    cfg = NULL;
  if (saved >= 0) {
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
  }
  spx_sweep_free_sets(sets, nsets);
  return cfg;
}

/* Can axis a take values between its grid values? (an integral axis may set an integer key) */
static int continuous(const spx_sweep *s, int a)
{
  const spx_axis *x = &s->axes[a];
  if (!x->numeric) return 0;
  if (!x->integral) return 1;
  spx_config *c = load_at(s, a, x->num[0] + 0.5, -1, 0.0, 1);
  spx_config_free(c);
  return c != NULL;
}

static void axis_range(const spx_axis *x, double *lo, double *hi)
{
  *lo = INFINITY;
  *hi = -INFINITY;
  for (int i = 0; i < x->len; i++) {
    if (x->num[i] < *lo) *lo = x->num[i];
    if (x->num[i] > *hi) *hi = x->num[i];
  }
}

/* A fine grid over the range of axis a (m points; log spacing when lg), or its integers / grid
 * values when it is not continuous. Returns the count (<= cap). */
static int fine_grid(const spx_sweep *s, int a, int lg, int m, double *out, int cap)
{
  const spx_axis *x = &s->axes[a];
  double lo, hi;
  axis_range(x, &lo, &hi);
  if (!continuous(s, a)) {
    int n = 0;
    if (x->integral && hi - lo < cap) {
      for (double v = lo; v <= hi && n < cap; v += 1.0) out[n++] = v;
    } else {
      for (int i = 0; i < x->len && n < cap; i++) out[n++] = x->num[i];
    }
    return n;
  }
  if (m > cap) m = cap;
  if (hi == lo) { out[0] = lo; return 1; }
  for (int i = 0; i < m; i++) {
    double f = (double)i / (m - 1);
    out[i] = lg ? lo * pow(hi / lo, f) : lo + (hi - lo) * f;
  }
  return m;
}

/* §4.4 verdicts at a config: bit 1 some balanced split stable, bit 2 some homogeneous cluster
 * stable; -1 if not the symmetric case or the config failed. */
static int criterion_at(const spx_config *c)
{
  if (!c) return -1;
  const spx_model *m = spx_config_params(c)->model;
  if (!m->symmetric) return -1;
  int *f = malloc(sizeof(int) * 2 * m->d), v = 0;
  if (!f) return -1;
  if (spx_stability_stable_modes(m->d, m->spectrum, m->beta, f, f + m->d) != SPX_OK) v = -1;
  for (int k = 0; v >= 0 && k < m->d; k++) v |= (f[m->d + k] ? 1 : 0) | (f[k] ? 2 : 0);
  free(f);
  return v;
}

static int criterion_xy(const spx_sweep *s, int ax, double vx, int ay, double vy)
{
  spx_config *c = load_at(s, ax, vx, ay, vy, 1);
  int v = criterion_at(c);
  spx_config_free(c);
  return v;
}

/* Edge between a and b (criterion va at a, vb at b, different) by bisection along axis ax. */
static double bisect_edge(const spx_sweep *s, int ax, double a, int va, double b, int ay, double vy)
{
  for (int it = 0; it < BISECT; it++) {
    double m = 0.5 * (a + b);
    if (m == a || m == b) break;
    int vm = criterion_xy(s, ax, m, ay, vy);
    if (vm == va) a = m;
    else b = m;
  }
  return 0.5 * (a + b);
}

/* beta-like thresholds of a config: which = SPX_TH_BETA_S / SPX_TH_BISTABILITY /
 * SPX_TH_EQUIANGULAR (this one needs the beta range [blo, bhi] to bisect in). NaN if none. */
static double threshold_at(const spx_config *c, int which, double blo, double bhi)
{
  if (!c) return NAN;
  const spx_run_params *p = spx_config_params(c);
  const spx_model *m = p->model;
  if (which == SPX_TH_BETA_S) return spx_stability_beta_s(m->d, m->spectrum);
  if (which == SPX_TH_BISTABILITY) return spx_stability_bistability_beta(m->d, m->spectrum);
  /* equiangular: gamma_beta(T) decreases with beta (the weights of far partners shrink) */
  double thr = p->classify.cluster_threshold, T = p->t_final;
  double glo = spx_sweep_equiangular(m->n, blo, 0.0, T) - thr;
  double ghi = spx_sweep_equiangular(m->n, bhi, 0.0, T) - thr;
  if (!(glo > 0.0) || !(ghi < 0.0)) return NAN;
  for (int it = 0; it < 60; it++) {
    double mid = 0.5 * (blo + bhi);
    double g = spx_sweep_equiangular(m->n, mid, 0.0, T) - thr;
    if (!isfinite(g)) return NAN;
    if (g > 0.0) blo = mid;
    else bhi = mid;
  }
  return 0.5 * (blo + bhi);
}

/* ------------------------------------------------------------------------------------------ */
/* gnuplot assignments                                                                           */

/* Append a gnuplot single-quoted string ('' for a quote; backslashes are literal there). */
static void gp_quote(FILE *f, const char *s)
{
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'') fputc('\'', f);
    fputc(*s, f);
  }
  fputc('\'', f);
}

/* Same with '_' escaped for enhanced text (names of configs and metrics). */
static void gp_quote_name(FILE *f, const char *s)
{
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'') fputc('\'', f);
    if (*s == '_' || *s == '^' || *s == '{' || *s == '}' || *s == '@' || *s == '&' || *s == '~')
      fputc('\\', f);
    fputc(*s, f);
  }
  fputc('\'', f);
}

static void gp_num(FILE *f, const char *name, double v)
{
  char b[64];
  spx_sweep_fmt(b, sizeof b, v);
  if (!isfinite(v)) snprintf(b, sizeof b, "NaN");
  fprintf(f, "%s=%s; ", name, b);
}

static void gp_array(FILE *f, const char *name, int n, const double *v)
{
  fprintf(f, "n%s=%d; ", name, n);
  if (n <= 0) return;
  fprintf(f, "array %s[%d] = [", name, n);
  for (int i = 0; i < n; i++) {
    char b[64];
    spx_sweep_fmt(b, sizeof b, v[i]);
    fprintf(f, "%s%s", i ? ", " : "", b);
  }
  fprintf(f, "]; ");
}

/* Common assignments: format, output name, title, axis labels, log scales. */
static void gp_common(FILE *f, const spx_sweep *s, const spx_figure *fg, const char *deftitle)
{
  const spx_run_params *p = spx_config_params(s->base);
  fprintf(f, "fmt='%s'; out='%s'; title=", p->plot_format, fg->file);
  /* "NAME: title" with the config name escaped and the title as written (enhanced text) */
  fputc('\'', f);
  for (const char *q = p->name; *q; q++) {
    if (*q == '\'') fputc('\'', f);
    if (*q == '_' || *q == '^' || *q == '{' || *q == '}' || *q == '@' || *q == '&') fputc('\\', f);
    fputc(*q, f);
  }
  fputs(": ", f);
  for (const char *q = fg->title[0] ? fg->title : deftitle; *q; q++) {
    if (*q == '\'') fputc('\'', f);
    fputc(*q, f);
  }
  fputs("'; xl=", f);
  gp_quote(f, s->axes[fg->ax].label);
  fputs("; ", f);
  if (fg->ay >= 0) {
    fputs("yl=", f);
    gp_quote(f, s->axes[fg->ay].label);
    fputs("; ", f);
  }
  fprintf(f, "logx=%d; logy=%d; ", fg->logx, fg->logy);
}

/* Points of the slice of figure fg along x (and y): the other axes at index 0. */
static int in_slice(const spx_sweep *s, const spx_figure *fg, long p)
{
  for (int a = 0; a < s->naxes; a++)
    if (a != fg->ax && a != fg->ay && spx_sweep_index(s, p, a) != 0) return 0;
  return 1;
}

static FILE *open_data(const char *dir, const char *file, const char *suffix, char *rel, size_t len)
{
  char p[4400];
  snprintf(rel, len, "figdata/%s%s.tsv", file, suffix);
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  FILE *f = fopen(p, "w");
  if (!f) spx_warn("figures: cannot write %s", p);
  return f;
}

/* 1-D criterion: intervals where splits / homogeneous clusters are stable, and the edges. */
static void theory_criterion_1d(FILE *as, const spx_sweep *s, const spx_figure *fg, const char *dir,
                                const char *name)
{
  double *x = malloc(sizeof(double) * 2 * FINE);
  int *v = malloc(sizeof(int) * 2 * FINE);
  double sl[64], sh[64], hl[64], hh[64], ex[128];
  int ns = 0, nh = 0, ne = 0;
  if (!x || !v) goto done;
  int n = fine_grid(s, fg->ax, fg->logx, FINE, x, 2 * FINE);
  for (int i = 0; i < n; i++) v[i] = criterion_xy(s, fg->ax, x[i], -1, 0.0);
  /* intervals: start at the first point of a run, end at the bisected edge */
  double start_s = NAN, start_h = NAN;
  for (int i = 0; i < n; i++) {
    int vi = v[i] < 0 ? 0 : v[i];
    if (i > 0 && v[i] != v[i - 1] && v[i] >= 0 && v[i - 1] >= 0 && ne < 128) {
      double e = continuous(s, fg->ax) ? bisect_edge(s, fg->ax, x[i - 1], v[i - 1], x[i], -1, 0.0)
                                       : 0.5 * (x[i - 1] + x[i]);
      ex[ne++] = e;
      int prev = v[i - 1];
      if ((prev & 1) && !(vi & 1) && ns < 64) { sl[ns] = start_s; sh[ns++] = e; }
      if ((prev & 2) && !(vi & 2) && nh < 64) { hl[nh] = start_h; hh[nh++] = e; }
      if (!(prev & 1) && (vi & 1)) start_s = e;
      if (!(prev & 2) && (vi & 2)) start_h = e;
    } else if (i == 0) {
      if (vi & 1) start_s = x[0];
      if (vi & 2) start_h = x[0];
    }
  }
  if (n > 0 && v[n - 1] > 0) {
    if ((v[n - 1] & 1) && ns < 64) { sl[ns] = start_s; sh[ns++] = x[n - 1]; }
    if ((v[n - 1] & 2) && nh < 64) { hl[nh] = start_h; hh[nh++] = x[n - 1]; }
  }
  {
    char rel[512];
    FILE *f = open_data(dir, fg->file, "_criterion", rel, sizeof rel);
    if (f) {
      fprintf(f, "# spec §4.4 on a fine grid of %s (other axes at their first value): "
                 "split_stable (item 2, some mode), homogeneous_stable (item 1)\n# %s\tsplit_stable"
                 "\thomogeneous_stable\n", s->axes[fg->ax].name, s->axes[fg->ax].name);
      for (int i = 0; i < n; i++) {
        char b[64];
        spx_sweep_fmt(b, sizeof b, x[i]);
        fprintf(f, "%s\t%d\t%d\n", b, v[i] < 0 ? -1 : v[i] & 1, v[i] < 0 ? -1 : (v[i] >> 1) & 1);
      }
      fprintf(f, "\n\n# edges (bisection to 2^-%d of the grid step)\n", BISECT);
      for (int i = 0; i < ne; i++) {
        char b[64];
        spx_sweep_fmt(b, sizeof b, ex[i]);
        fprintf(f, "%s\n", b);
      }
      fclose(f);
    }
  }
  if (ne > 0) {
    char msg[1024];
    size_t used = 0;
    for (int i = 0; i < ne && used < sizeof msg - 40; i++)
      used += (size_t)snprintf(msg + used, sizeof msg - used, "%s%.6g", i ? ", " : "", ex[i]);
    spx_info("%s: spec §4.4 edges along %s: %s", name, s->axes[fg->ax].name, msg);
  }
done:
  gp_array(as, "sl", ns, sl);
  gp_array(as, "sh", ns, sh);
  gp_array(as, "hl", nh, hl);
  gp_array(as, "hh", nh, hh);
  gp_array(as, "ex", ne, ex);
  free(x);
  free(v);
}

/* 1-D beta thresholds at the slice's fixed parameters (x is the beta axis). */
static void theory_thresholds_1d(FILE *as, const spx_sweep *s, const spx_figure *fg)
{
  double lo, hi;
  axis_range(&s->axes[fg->ax], &lo, &hi);
  spx_config *c = load_at(s, fg->ax, s->axes[fg->ax].num[0], -1, 0.0, 1);
  if (fg->theory & SPX_TH_BETA_S) gp_num(as, "bs", threshold_at(c, SPX_TH_BETA_S, lo, hi));
  if (fg->theory & SPX_TH_BISTABILITY) gp_num(as, "bb", threshold_at(c, SPX_TH_BISTABILITY, lo, hi));
  if (fg->theory & SPX_TH_EQUIANGULAR) {
    double be = threshold_at(c, SPX_TH_EQUIANGULAR, lo > 0 ? lo : 1e-9, hi);
    gp_num(as, "be", be);
    if (c) gp_num(as, "bethr", spx_config_params(c)->classify.cluster_threshold);
  }
  if (fg->theory & SPX_TH_BINOMIAL) gp_num(as, "nbin", c ? spx_config_params(c)->model->n : NAN);
  spx_config_free(c);
}

/* ------------------------------------------------------------------------------------------ */
/* The figures                                                                                   */

/* z label of a class fraction (gnuplot enhanced text). */
static const char *class_title(const char *c)
{
  if (strcmp(c, "consensus") == 0) return "fraction clustered (min_{i≠j} ⟨x_i, x_j⟩ > threshold)";
  if (strcmp(c, "split") == 0) return "fraction split";
  if (strcmp(c, "homogeneous") == 0) return "fraction homogeneous";
  if (strcmp(c, "clustered") == 0) return "fraction clustered (class)";
  return "fraction unconverged";
}

static void heatmap(const spx_sweep *s, const spx_figure *fg, const char *dir, const spx_run_row *rows,
                    const spx_phase_row *ph, FILE *as, char *deftitle, size_t dtlen)
{
  const spx_axis *X = &s->axes[fg->ax], *Y = &s->axes[fg->ay];
  int zc = -1;
  for (int c = 0; c < SPX_SWEEP_NCLASS; c++)
    if (strcmp(fg->z, spx_sweep_class_names[c]) == 0) zc = c;
  char rel[512];
  FILE *f = open_data(dir, fg->file, "", rel, sizeof rel);
  if (!f) return;
  /* cell edges: midpoints between neighbouring values (geometric on a log scale) */
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  fprintf(f, "# heat map cells: %s %s [cell edges] %s\n# x\ty\txlo\txhi\tylo\tyhi\tz\n", X->name,
          Y->name, fg->z);
  for (long p = 0; p < s->npoints; p++) {
    if (!in_slice(s, fg, p)) continue;
    int ix = spx_sweep_index(s, p, fg->ax), iy = spx_sweep_index(s, p, fg->ay);
    double e[4];
    for (int k = 0; k < 2; k++) {
      const spx_axis *A = k ? Y : X;
      int i = k ? iy : ix, lg = k ? fg->logy : fg->logx;
      double v = A->num[i];
      double vl = i > 0 ? A->num[i - 1] : (A->len > 1 ? 2 * v - A->num[1] : v - 0.5);
      double vr = i < A->len - 1 ? A->num[i + 1] : (A->len > 1 ? 2 * v - A->num[A->len - 2] : v + 0.5);
      if (lg) {
        vl = i > 0 ? A->num[i - 1] : (A->len > 1 ? v * v / A->num[1] : v / 1.5);
        vr = i < A->len - 1 ? A->num[i + 1] : (A->len > 1 ? v * v / A->num[A->len - 2] : v * 1.5);
        e[2 * k] = sqrt(v * vl);
        e[2 * k + 1] = sqrt(v * vr);
      } else {
        e[2 * k] = 0.5 * (v + vl);
        e[2 * k + 1] = 0.5 * (v + vr);
      }
      if (e[2 * k] > e[2 * k + 1]) { double t = e[2 * k]; e[2 * k] = e[2 * k + 1]; e[2 * k + 1] = t; }
    }
    double z = zc >= 0 ? ph[p].frac[zc] : ph[p].mean[fg->zmetric];
    char b[7][64];
    double vals[7] = {X->num[ix], Y->num[iy], e[0], e[1], e[2], e[3], z};
    for (int k = 0; k < 7; k++) spx_sweep_fmt(b[k], sizeof b[k], vals[k]);
    fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b[0], b[1], b[2], b[3], b[4], b[5], b[6]);
    xlo = fmin(xlo, e[0]);
    xhi = fmax(xhi, e[1]);
    ylo = fmin(ylo, e[2]);
    yhi = fmax(yhi, e[3]);
  }
  fclose(f);
  fprintf(as, "data='%s'; ", rel);
  gp_num(as, "xmin", xlo);
  gp_num(as, "xmax", xhi);
  gp_num(as, "ymin", ylo);
  gp_num(as, "ymax", yhi);
  fprintf(as, "frac=%d; zl=", zc >= 0);
  if (zc >= 0) {
    gp_quote(as, class_title(fg->z));
    snprintf(deftitle, dtlen, "fraction of runs %s over %d replicas", fg->z, s->replicas);
  } else {
    char zl[128];
    snprintf(zl, sizeof zl, "mean %s", fg->z);
    gp_quote_name(as, zl);
    snprintf(deftitle, dtlen, "mean %s over %d replicas", fg->z, s->replicas);
    for (char *q = deftitle; *q; q++)
      if (*q == '_') *q = ' ';
  }
  fputs("; ", as);
  /* tics at the values of a short `values` axis (e.g. d = 2, 3, 4, 8, 16, 32) */
  if (X->kind == SPX_AX_VALUES && X->len <= 16) gp_array(as, "xt", X->len, X->num);
  if (Y->kind == SPX_AX_VALUES && Y->len <= 16) gp_array(as, "yt", Y->len, Y->num);

  /* theory curves over a fine grid of the other axis (or edge points of the criterion) */
  int ba = -1;
  for (int a = 0; a < s->naxes; a++)
    if (s->axes[a].param && strcmp(s->axes[a].param, "model.beta") == 0) ba = a;
  int other = ba == fg->ax ? fg->ay : fg->ax;
  static const int curves[] = {SPX_TH_BETA_S, SPX_TH_BISTABILITY, SPX_TH_EQUIANGULAR};
  static const char *const cname[] = {"beta_s", "bistability", "equiangular"};
  double *g = malloc(sizeof(double) * 4 * FINE);
  if (!g) return;
  for (int k = 0; k < 3; k++) {
    if (!(fg->theory & curves[k])) continue;
    char suffix[64];
    snprintf(suffix, sizeof suffix, "_%s", cname[k]);
    FILE *tf = open_data(dir, fg->file, suffix, rel, sizeof rel);
    if (!tf) continue;
    double blo, bhi;
    axis_range(&s->axes[ba], &blo, &bhi);
    int n = fine_grid(s, other, other == fg->ax ? fg->logx : fg->logy, FINE, g, 4 * FINE);
    fprintf(tf, "# %s (spec sphere_dynamics.md §%s) along %s\n# %s\t%s\n", cname[k],
            k == 2 ? "6.2" : "4.4", s->axes[other].name, s->axes[fg->ax].name, s->axes[fg->ay].name);
    for (int i = 0; i < n; i++) {
      spx_config *c = load_at(s, other, g[i], -1, 0.0, 1);
      double b = threshold_at(c, curves[k], blo > 0 ? blo : 1e-9, bhi);
      spx_config_free(c);
      if (!isfinite(b)) {
        fputc('\n', tf); /* a gap in the curve */
        continue;
      }
      char b1[64], b2[64];
      spx_sweep_fmt(b1, sizeof b1, ba == fg->ax ? b : g[i]);
      spx_sweep_fmt(b2, sizeof b2, ba == fg->ax ? g[i] : b);
      fprintf(tf, "%s\t%s\n", b1, b2);
    }
    fclose(tf);
    fprintf(as, "th_%s='%s'; ", cname[k], rel);
  }
  if (fg->theory & SPX_TH_CRITERION) {
    FILE *tf = open_data(dir, fg->file, "_criterion", rel, sizeof rel);
    if (tf) {
      double *gy = g + 2 * FINE;
      int nx = fine_grid(s, fg->ax, fg->logx, FINE2, g, 2 * FINE);
      int ny = fine_grid(s, fg->ay, fg->logy, FINE2, gy, 2 * FINE);
      int cont = continuous(s, fg->ax);
      fprintf(tf, "# spec §4.4 edges along %s (where the verdicts of items 1-2 change) for a fine "
                  "grid of %s\n# %s\t%s\n", s->axes[fg->ax].name, s->axes[fg->ay].name,
              s->axes[fg->ax].name, s->axes[fg->ay].name);
      for (int j = 0; j < ny; j++) {
        int prev = criterion_xy(s, fg->ax, g[0], fg->ay, gy[j]);
        for (int i = 1; i < nx; i++) {
          int v = criterion_xy(s, fg->ax, g[i], fg->ay, gy[j]);
          if (v != prev && v >= 0 && prev >= 0) {
            double e = cont ? bisect_edge(s, fg->ax, g[i - 1], prev, g[i], fg->ay, gy[j])
                            : 0.5 * (g[i - 1] + g[i]);
            char b1[64], b2[64];
            spx_sweep_fmt(b1, sizeof b1, e);
            spx_sweep_fmt(b2, sizeof b2, gy[j]);
            fprintf(tf, "%s\t%s\n", b1, b2);
          }
          prev = v;
        }
      }
      fclose(tf);
      fprintf(as, "th_criterion='%s'; ", rel);
    }
  }
  free(g);
  (void)rows;
}

static void fractions(const spx_sweep *s, const spx_figure *fg, const char *dir,
                      const spx_phase_row *ph, FILE *as, char *deftitle, size_t dtlen)
{
  char rel[512];
  FILE *f = open_data(dir, fg->file, "", rel, sizeof rel);
  if (!f) return;
  fprintf(f, "# class fractions along %s with binomial standard errors\n# %s", s->axes[fg->ax].name,
          s->axes[fg->ax].name);
  for (int c = 0; c < fg->nclasses; c++) fprintf(f, "\tfrac_%s\tse_%s", fg->classes[c], fg->classes[c]);
  fputc('\n', f);
  for (long p = 0; p < s->npoints; p++) {
    if (!in_slice(s, fg, p)) continue;
    char b[64];
    spx_sweep_fmt(b, sizeof b, s->axes[fg->ax].num[spx_sweep_index(s, p, fg->ax)]);
    fputs(b, f);
    for (int c = 0; c < fg->nclasses; c++) {
      int ci = 0;
      for (int k = 0; k < SPX_SWEEP_NCLASS; k++)
        if (strcmp(fg->classes[c], spx_sweep_class_names[k]) == 0) ci = k;
      char b1[64], b2[64];
      spx_sweep_fmt(b1, sizeof b1, ph[p].frac[ci]);
      spx_sweep_fmt(b2, sizeof b2, ph[p].se[ci]);
      fprintf(f, "\t%s\t%s", b1, b2);
    }
    fputc('\n', f);
  }
  fclose(f);
  fprintf(as, "data='%s'; ncls=%d; array cls[%d] = [", rel, fg->nclasses, fg->nclasses);
  for (int c = 0; c < fg->nclasses; c++) {
    if (c) fputs(", ", as);
    gp_quote(as, fg->classes[c]);
  }
  fputs("]; ", as);
  snprintf(deftitle, dtlen, "class fractions over %d replicas (error bars: binomial s.e.)",
           s->replicas);
}

static void metric(const spx_sweep *s, const spx_figure *fg, const char *dir, const spx_run_row *rows,
                   const spx_phase_row *ph, FILE *as, char *deftitle, size_t dtlen)
{
  const char *mname = spx_sweep_metric_table[s->metrics[fg->metric]].name;
  char rel[512], rel2[512];
  FILE *f = open_data(dir, fg->file, "_runs", rel2, sizeof rel2);
  if (!f) return;
  int R = s->replicas;
  fprintf(f, "# %s of every run along %s; x_jitter spreads the replicas by up to 2%% of a step "
             "for visibility\n# x_jitter\t%s\t%s\treplica\n", mname, s->axes[fg->ax].name,
          s->axes[fg->ax].name, mname);
  const spx_axis *X = &s->axes[fg->ax];
  double lo, hi;
  axis_range(X, &lo, &hi);
  for (long p = 0; p < s->npoints; p++) {
    if (!in_slice(s, fg, p)) continue;
    double x = X->num[spx_sweep_index(s, p, fg->ax)];
    for (int r = 0; r < R; r++) {
      double v = rows[p * R + r].val[fg->metric];
      if (!isfinite(v)) continue;
      double off = R > 1 ? ((double)r / (R - 1) - 0.5) * 0.04 : 0.0;
      double step = X->len > 1 ? (fg->logx ? pow(hi / lo, 1.0 / (X->len - 1)) : (hi - lo) / (X->len - 1))
                               : (fg->logx ? 1.1 : 0.1);
      double xj = fg->logx ? x * pow(step, off) : x + off * step;
      char b1[64], b2[64], b3[64];
      spx_sweep_fmt(b1, sizeof b1, xj);
      spx_sweep_fmt(b2, sizeof b2, x);
      spx_sweep_fmt(b3, sizeof b3, v);
      fprintf(f, "%s\t%s\t%s\t%d\n", b1, b2, b3, r);
    }
  }
  fclose(f);
  f = open_data(dir, fg->file, "", rel, sizeof rel);
  if (!f) return;
  fprintf(f, "# mean and sample standard deviation of %s along %s\n# %s\tmean\tsd\n", mname,
          X->name, X->name);
  for (long p = 0; p < s->npoints; p++) {
    if (!in_slice(s, fg, p)) continue;
    char b1[64], b2[64], b3[64];
    spx_sweep_fmt(b1, sizeof b1, X->num[spx_sweep_index(s, p, fg->ax)]);
    spx_sweep_fmt(b2, sizeof b2, ph[p].mean[fg->metric]);
    spx_sweep_fmt(b3, sizeof b3, isfinite(ph[p].sd[fg->metric]) ? ph[p].sd[fg->metric] : 0.0);
    fprintf(f, "%s\t%s\t%s\n", b1, b2, b3);
  }
  fclose(f);
  fprintf(as, "data='%s'; runs='%s'; ml=", rel, rel2);
  gp_quote_name(as, mname);
  fputs("; ", as);
  if (fg->theory & SPX_TH_KSTAR) {
    double *g = malloc(sizeof(double) * FINE);
    FILE *tf = g ? open_data(dir, fg->file, "_kstar", rel, sizeof rel) : NULL;
    if (tf) {
      int n = fine_grid(s, fg->ax, fg->logx, FINE, g, FINE);
      fprintf(tf, "# spec §6.4: k* = argmax_k k^2 I_k(beta) and sigma* = k*^2 I_k*(beta) / (beta "
                  "I_0(beta)) (SA, circle)\n# beta\tkstar\tsigma_star\n");
      for (int i = 0; i < n; i++) {
        int k = spx_sweep_kstar_circle(g[i]);
        char b1[64], b2[64];
        spx_sweep_fmt(b1, sizeof b1, g[i]);
        spx_sweep_fmt(b2, sizeof b2, spx_sweep_sigma_circle(k, g[i]));
        fprintf(tf, "%s\t%d\t%s\n", b1, k, b2);
      }
      fclose(tf);
      fprintf(as, "th_kstar='%s'; ", rel);
    }
    free(g);
  }
  snprintf(deftitle, dtlen, "%s over %d replicas (points: runs; bars: mean +- sd)", mname, R);
  for (char *q = deftitle; *q; q++)
    if (*q == '_') *q = ' ';
}

static void snapshots(const spx_sweep *s, const spx_figure *fg, const spx_run_row *rows, FILE *as,
                      char *deftitle, size_t dtlen)
{
  const spx_axis *X = &s->axes[fg->ax];
  int np = X->len < fg->maxpanels ? X->len : fg->maxpanels, d = 0;
  spx_config *c = load_at(s, fg->ax, X->num[0], -1, 0.0, 1);
  if (X->numeric && c) d = spx_config_params(c)->model->d;
  spx_config_free(c);
  if (!d) {
    char **sets = NULL;
    int nsets = 0;
    if (spx_sweep_point_sets(s, 0, -1, &sets, &nsets) == SPX_OK &&
        spx_sweep_load_sets(s, sets, nsets, &c) == SPX_OK)
      d = spx_config_params(c)->model->d;
    spx_config_free(c);
    spx_sweep_free_sets(sets, nsets);
  }
  fprintf(as, "d=%d; npan=%d; array files[%d] = [", d, np, np);
  for (int k = 0; k < np; k++) {
    int idx = np > 1 ? (int)lround((double)k * (X->len - 1) / (np - 1)) : 0;
    fprintf(as, "%s'states/p%ld.tsv'", k ? ", " : "", (long)idx * s->stride[fg->ax]);
  }
  fprintf(as, "]; array tits[%d] = [", np);
  for (int k = 0; k < np; k++) {
    int idx = np > 1 ? (int)lround((double)k * (X->len - 1) / (np - 1)) : 0;
    long p = (long)idx * s->stride[fg->ax];
    int cl = rows[p * s->replicas].cls;
    char t[512];
    char v[64];
    if (X->numeric) snprintf(v, sizeof v, "%.4g", X->num[idx]);
    else snprintf(v, sizeof v, "%s", X->show[idx]);
    int jc = -1; /* with the clusters metric recorded, the panel says how many */
    for (int j = 0; j < s->nmetrics; j++)
      if (strcmp(spx_sweep_metric_table[s->metrics[j]].name, "clusters") == 0) jc = j;
    double ncl = jc >= 0 ? rows[p * s->replicas].val[jc] : NAN;
    if (isfinite(ncl))
      snprintf(t, sizeof t, "%s = %s: %d cluster%s", X->name, v, (int)ncl, ncl == 1 ? "" : "s");
    else
      snprintf(t, sizeof t, "%s = %s: %s", X->name, v, cl >= 0 ? spx_sweep_class_names[cl] : "?");
    if (k) fputs(", ", as);
    gp_quote_name(as, t);
  }
  fputs("]; ", as);
  snprintf(deftitle, dtlen, "final states (replica 0) across %s", X->name);
  for (char *q = deftitle; *q; q++)
    if (*q == '_') *q = ' ';
}

int spx_sweep_figures(const spx_sweep *s, const char *dir, const spx_run_row *rows,
                      const spx_phase_row *ph)
{
  static const char *const scripts[] = {"sweep_heatmap.gp", "sweep_fractions.gp",
                                        "sweep_metric.gp", "sweep_snapshots.gp"};
  const spx_run_params *bp = spx_config_params(s->base);
  char fd[4200];
  snprintf(fd, sizeof fd, "%s/figdata", dir);
  if (mkdir(fd, 0777) != 0 && access(fd, W_OK) != 0) {
    spx_warn("figures skipped: cannot create %s", fd);
    return SPX_EIO;
  }
  int drawn = 0;
  for (int i = 0; i < s->nfigs; i++) {
    const spx_figure *fg = &s->figs[i];
    char *assign = NULL, deftitle[256] = "";
    size_t alen = 0;
    FILE *as = open_memstream(&assign, &alen);
    if (!as) return SPX_ENOMEM;
    /* the figure-specific part first: it fills the default title */
    char *spec = NULL;
    size_t slen = 0;
    FILE *sp = open_memstream(&spec, &slen);
    if (!sp) { fclose(as); free(assign); return SPX_ENOMEM; }
    switch (fg->kind) {
    case SPX_FIG_HEATMAP: heatmap(s, fg, dir, rows, ph, sp, deftitle, sizeof deftitle); break;
    case SPX_FIG_FRACTIONS: fractions(s, fg, dir, ph, sp, deftitle, sizeof deftitle); break;
    case SPX_FIG_METRIC: metric(s, fg, dir, rows, ph, sp, deftitle, sizeof deftitle); break;
    case SPX_FIG_SNAPSHOTS: snapshots(s, fg, rows, sp, deftitle, sizeof deftitle); break;
    }
    if (fg->kind == SPX_FIG_FRACTIONS || fg->kind == SPX_FIG_METRIC) {
      if (fg->theory & SPX_TH_CRITERION) theory_criterion_1d(sp, s, fg, dir, bp->name);
      theory_thresholds_1d(sp, s, fg);
    }
    fclose(sp);
    gp_common(as, s, fg, deftitle);
    fputs(spec ? spec : "", as);
    free(spec);
    fclose(as);
    if (spx_out_gnuplot(dir, scripts[fg->kind], assign) == SPX_OK) {
      drawn++;
      spx_info("figure: %s/%s.%s", dir, fg->file, bp->plot_format);
    }
    free(assign);
  }
  return drawn == s->nfigs ? SPX_OK : SPX_EIO;
}
