/* jm.c -- Jacobi-Maupertuis curvature, energy windows, finite-difference checks and geodesic
 * bundles (spec spectral_gap.md §1 eqs. 5-6, 8-9, §4, §7d.3).
 *
 * Curvature. For the conformal metric e^{2 phi} g_0 with phi = (1/2) log h, h = 2(E - F):
 *   flat:  K = -e^{-2 phi} Lap phi = -Lap(log h)/(2h) = Lap F/h^2 + 2|grad F|^2/h^3   (eq. 5-6)
 *          (Lap log h = Lap h/h - |grad h|^2/h^2 with grad h = -2 grad F, Lap h = -2 Lap F);
 *   S^2:   K = e^{-2 phi}(1 - Lap_S phi) = 1/h + Lap_S F/h^2 + 2|grad_S F|^2/h^3   ([ours], §7d.3).
 * Windows: flat K < 0 iff h > h* = -2|grad F|^2/Lap F (Lap F < 0); dK/dh = 0 at h = 3/2 h*
 * ([ours]). S^2: K < 0 iff h^2 + Lap F h + 2|grad F|^2 < 0 (bounded); dK/dh = 0 iff
 * h^2 + 2 Lap F h + 6 |grad F|^2 = 0, the smaller root is the minimum ([ours]).
 *
 * Finite differences. Flat: 5-point Laplacian of log h. S^2: stereographic projection from -x,
 * X(u) = ((1 - |u|^2) x + 2 u_1 e_1 + 2 u_2 e_2)/(1 + |u|^2), in which the round metric is
 * 4/(1+|u|^2)^2 |du|^2, so g_JM = e^{2 psi}|du|^2 with psi = (1/2) log(4 h(X)/(1+|u|^2)^2) and
 * K = -e^{-2 psi} Lap psi at u = 0 (the spec checked this way, §7d.3). The grid check of §4 stage 1
 * copies np.gradient applied twice (wide stencil (f_{i+2} - 2 f_i + f_{i-2})/(4 delta^2) inside).
 *
 * Geodesics (§4 stage 2). With grad phi = -grad F/h, unit JM speed |x'| = h^{-1/2}:
 *   flat: x'' = -2 (grad phi . x') x' + |x'|^2 grad phi;
 *   S^2:  the same with Riemannian gradients plus the sphere's -|x'|^2 x (ambient form in R^3).
 * The bundle (reference + neighbour) is one ODE integrated with the "rk4" back end at ds.
 * Jacobi equation J'' + K(s) J = 0 (eq. 9) along the reference, again with rk4 at ds, K linear
 * between the reference samples (so the half-step K is the average of its end points, as in the
 * reference script). eta = sqrt(h) <x_nb - x_ref, n_hat> is the JM-normal separation.
 */
#include "jm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "solver.h"
#include "status.h"

double spx_jm_curvature_flat(double h, double lap, double grad2)
{
  return lap / (h * h) + 2.0 * grad2 / (h * h * h);
}

double spx_jm_curvature_s2(double h, double lap, double grad2)
{
  return 1.0 / h + lap / (h * h) + 2.0 * grad2 / (h * h * h);
}

static int check_dim(const spx_fe *fe, int d, const char *what)
{
  if (spx_fe_dim(fe) != d) {
    spx_error("JM %s: needs a free energy in dimension %d (got %d)", what, d, spx_fe_dim(fe));
    return SPX_EINVAL;
  }
  return SPX_OK;
}

int spx_jm_eval_flat(spx_fe *fe, const double *x, double E, spx_jm_point *p)
{
  int status = SPX_OK;
  double g[2], H[4];
  SPX_TRY(check_dim(fe, 2, "flat curvature"));
  SPX_TRY(spx_fe_eval(fe, x, &p->F, g, H));
  p->grad2 = g[0] * g[0] + g[1] * g[1];
  p->lap = H[0] + H[3];
  p->h = 2.0 * (E - p->F);
  p->K = p->h > 0.0 ? spx_jm_curvature_flat(p->h, p->lap, p->grad2) : NAN;
cleanup:
  return status;
}

int spx_jm_eval_s2(spx_fe *fe, const double *x, double E, spx_jm_point *p)
{
  int status = SPX_OK;
  double g[3], H[9];
  SPX_TRY(check_dim(fe, 3, "S^2 curvature"));
  SPX_TRY(spx_fe_sphere_eval(fe, x, &p->F, g, H));
  p->grad2 = g[0] * g[0] + g[1] * g[1] + g[2] * g[2];
  p->lap = H[0] + H[4] + H[8]; /* x is in the kernel: the trace is over the tangent plane */
  p->h = 2.0 * (E - p->F);
  p->K = p->h > 0.0 ? spx_jm_curvature_s2(p->h, p->lap, p->grad2) : NAN;
cleanup:
  return status;
}

void spx_jm_window_flat(const spx_jm_point *p, spx_jm_window *w)
{
  w->exists = p->lap < 0.0;
  w->h_lo = w->h_hi = w->E_lo = w->E_hi = w->h_min = w->K_min = NAN;
  if (!w->exists) return;
  w->h_lo = -2.0 * p->grad2 / p->lap;
  w->h_hi = INFINITY;
  w->E_lo = p->F + 0.5 * w->h_lo;
  w->E_hi = INFINITY;
  w->h_min = 1.5 * w->h_lo;
  w->K_min = w->h_min > 0.0 ? spx_jm_curvature_flat(w->h_min, p->lap, p->grad2) : -INFINITY;
}

void spx_jm_window_s2(const spx_jm_point *p, spx_jm_window *w)
{
  double disc = p->lap * p->lap - 8.0 * p->grad2;
  w->exists = p->lap < 0.0 && disc > 0.0;
  w->h_lo = w->h_hi = w->E_lo = w->E_hi = w->h_min = w->K_min = NAN;
  if (!w->exists) return;
  w->h_lo = 0.5 * (-p->lap - sqrt(disc));
  w->h_hi = 0.5 * (-p->lap + sqrt(disc));
  w->E_lo = p->F + 0.5 * w->h_lo;
  w->E_hi = p->F + 0.5 * w->h_hi;
  /* dK/dh = -(h^2 + 2 lap h + 6 grad2)/h^4: K falls up to the smaller root h_1, rises to the
   * larger, then falls to 0+. So h_1 = -lap - sqrt(lap^2 - 6 grad2) (inside the window, as
   * lap^2 - 6 grad2 > lap^2 - 8 grad2 > 0) is the minimum; at a critical point of F (grad2 = 0)
   * h_1 = 0 and K -> -inf as h -> 0+. */
  w->h_min = -p->lap - sqrt(p->lap * p->lap - 6.0 * p->grad2);
  w->K_min = w->h_min > 0.0 ? spx_jm_curvature_s2(w->h_min, p->lap, p->grad2) : -INFINITY;
}

static int log_h(spx_fe *fe, const double *x, double E, double *out)
{
  double F;
  int status = spx_fe_eval(fe, x, &F, NULL, NULL);
  if (status) return status;
  double h = 2.0 * (E - F);
  if (!(h > 0.0)) {
    spx_error("JM finite differences: h = %g <= 0 at a stencil point (outside the Hill region)", h);
    return SPX_EINVAL;
  }
  *out = log(h);
  return SPX_OK;
}

int spx_jm_fd_curvature_flat(spx_fe *fe, const double *x, double E, double delta, double *K)
{
  int status = SPX_OK;
  double l0, lx[4], y[2];
  const double off[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
  SPX_TRY(check_dim(fe, 2, "finite-difference curvature"));
  SPX_TRY(log_h(fe, x, E, &l0));
  for (int q = 0; q < 4; q++) {
    y[0] = x[0] + delta * off[q][0];
    y[1] = x[1] + delta * off[q][1];
    SPX_TRY(log_h(fe, y, E, &lx[q]));
  }
  *K = -((lx[0] + lx[1] + lx[2] + lx[3] - 4.0 * l0) / (delta * delta)) / (2.0 * exp(l0));
cleanup:
  return status;
}

/* The tangent pair (e1, e2) at a unit x in R^3, completing x to a right-handed frame. */
static void tangent_frame(const double *x, double *e1, double *e2)
{
  /* Take the coordinate axis least aligned with x, orthogonalise. */
  int k = 0;
  for (int c = 1; c < 3; c++)
    if (fabs(x[c]) < fabs(x[k])) k = c;
  double a[3] = {0, 0, 0}, s = 0.0;
  a[k] = 1.0;
  double xa = x[k];
  for (int c = 0; c < 3; c++) {
    e1[c] = a[c] - xa * x[c];
    s += e1[c] * e1[c];
  }
  for (int c = 0; c < 3; c++) e1[c] /= sqrt(s);
  e2[0] = x[1] * e1[2] - x[2] * e1[1];
  e2[1] = x[2] * e1[0] - x[0] * e1[2];
  e2[2] = x[0] * e1[1] - x[1] * e1[0];
}

/* psi(u) of the stereographic chart centred at x (see the top comment). */
static int psi_s2(spx_fe *fe, const double *x, const double *e1, const double *e2, double u1,
                  double u2, double E, double *psi)
{
  double r2 = u1 * u1 + u2 * u2, X[3], lh;
  for (int c = 0; c < 3; c++) X[c] = ((1.0 - r2) * x[c] + 2.0 * u1 * e1[c] + 2.0 * u2 * e2[c]) / (1.0 + r2);
  /* renormalise against rounding so that the sphere evaluation accepts the point */
  double n = sqrt(X[0] * X[0] + X[1] * X[1] + X[2] * X[2]);
  for (int c = 0; c < 3; c++) X[c] /= n;
  int status = log_h(fe, X, E, &lh);
  if (status) return status;
  *psi = 0.5 * (log(4.0) + lh) - log(1.0 + r2);
  return SPX_OK;
}

int spx_jm_fd_curvature_s2(spx_fe *fe, const double *x, double E, double delta, double *K)
{
  int status = SPX_OK;
  double e1[3], e2[3], p0, p[4];
  const double off[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
  SPX_TRY(check_dim(fe, 3, "finite-difference curvature on S^2"));
  double nx = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
  if (!(fabs(nx - 1.0) <= 1e-8)) {
    spx_error("JM finite differences on S^2: x must be a unit vector (|x|^2 = %.17g)", nx);
    return SPX_EINVAL;
  }
  tangent_frame(x, e1, e2);
  SPX_TRY(psi_s2(fe, x, e1, e2, 0.0, 0.0, E, &p0));
  for (int q = 0; q < 4; q++)
    SPX_TRY(psi_s2(fe, x, e1, e2, delta * off[q][0], delta * off[q][1], E, &p[q]));
  double lap = (p[0] + p[1] + p[2] + p[3] - 4.0 * p0) / (delta * delta);
  *K = -exp(-2.0 * p0) * lap;
cleanup:
  return status;
}

/* np.gradient along one axis of an n-point line with stride st (NaN propagates). */
static void np_gradient(int n, const double *f, long st, double delta, double *g)
{
  g[0] = (f[st] - f[0]) / delta;
  g[(long)(n - 1) * st] = (f[(long)(n - 1) * st] - f[(long)(n - 2) * st]) / delta;
  for (int i = 1; i < n - 1; i++) g[i * st] = (f[(i + 1) * st] - f[(i - 1) * st]) / (2.0 * delta);
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* numpy.percentile with linear interpolation on a sorted array. */
static double percentile(const double *s, long n, double q)
{
  double pos = q * (double)(n - 1);
  long i = (long)floor(pos);
  if (i >= n - 1) return s[n - 1];
  double f = pos - (double)i;
  return s[i] + f * (s[i + 1] - s[i]);
}

int spx_jm_grid_check_flat(spx_fe *fe, double E, double lo, double hi, int N, double hmin,
                           spx_jm_grid_stats *st, double *Kmap)
{
  int status = SPX_OK;
  const long NN = (long)N * N;
  double *L = NULL, *g1 = NULL, *lap = NULL, *hh = NULL, *Kd = NULL, *rel = NULL;
  unsigned char *mask = NULL;
  memset(st, 0, sizeof *st);
  SPX_TRY(check_dim(fe, 2, "grid check"));
  if (N < 5 || !(hi > lo)) {
    spx_error("JM grid check: need N >= 5 and hi > lo (got N = %d, [%g, %g])", N, lo, hi);
    return SPX_EINVAL;
  }
  L = malloc(sizeof(double) * NN);
  g1 = malloc(sizeof(double) * NN);
  lap = calloc(NN, sizeof(double));
  hh = malloc(sizeof(double) * NN);
  Kd = malloc(sizeof(double) * NN);
  rel = malloc(sizeof(double) * NN);
  mask = malloc(NN);
  if (!L || !g1 || !lap || !hh || !Kd || !rel || !mask) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  const double delta = (hi - lo) / (N - 1);
  /* Row i is y = lo + i delta, column j is x = lo + j delta (np.meshgrid, indexing "xy"). */
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      spx_jm_point p;
      double x[2] = {lo + j * delta, lo + i * delta};
      SPX_TRY(spx_jm_eval_flat(fe, x, E, &p));
      long k = (long)i * N + j;
      mask[k] = p.h > hmin;
      L[k] = mask[k] ? log(p.h) : NAN;
      Kd[k] = p.K;
      hh[k] = p.h;
    }
  /* Lap = d/dx(d/dx L) + d/dy(d/dy L), each with np.gradient. */
  for (int i = 0; i < N; i++) np_gradient(N, L + (long)i * N, 1, delta, g1 + (long)i * N);
  for (int i = 0; i < N; i++) {
    double *row = rel + (long)i * N; /* scratch */
    np_gradient(N, g1 + (long)i * N, 1, delta, row);
    for (int j = 0; j < N; j++) lap[(long)i * N + j] = row[j];
  }
  for (int j = 0; j < N; j++) np_gradient(N, L + j, N, delta, g1 + j);
  for (int j = 0; j < N; j++) {
    np_gradient(N, g1 + j, N, delta, rel + j);
  }
  for (long k = 0; k < NN; k++) lap[k] += rel[k];
  long ng = 0;
  double sum = 0.0, mx = 0.0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      long k = (long)i * N + j;
      int good = mask[k] && mask[(long)((i + 2) % N) * N + j] && mask[(long)((i - 2 + N) % N) * N + j] &&
                 mask[(long)i * N + (j + 2) % N] && mask[(long)i * N + (j - 2 + N) % N];
      double Kf = -lap[k] / (2.0 * hh[k]);
      if (Kmap) Kmap[k] = good ? Kf : NAN;
      if (!good) continue;
      double r = fabs(Kf - Kd[k]) / (fabs(Kd[k]) + 1e-9);
      if (!isfinite(r)) {
        spx_error("JM grid check: non-finite error at grid point (%d, %d)", i, j);
        status = SPX_ENONFINITE;
        goto cleanup;
      }
      g1[ng++] = r;
      sum += r;
      mx = fmax(mx, r);
    }
  if (ng == 0) {
    spx_error("JM grid check: no grid point with h > %g", hmin);
    status = SPX_EINVAL;
    goto cleanup;
  }
  qsort(g1, ng, sizeof(double), cmp_double);
  st->good = ng;
  st->median = percentile(g1, ng, 0.5);
  st->p90 = percentile(g1, ng, 0.9);
  st->max = mx;
  st->mean = sum / ng;
cleanup:
  free(L);
  free(g1);
  free(lap);
  free(hh);
  free(Kd);
  free(rel);
  free(mask);
  return status;
}

int spx_jm_grid_check_s2(spx_fe *fe, double E, int ntheta, int nphi, double delta, double hmin,
                         spx_jm_grid_stats *st)
{
  int status = SPX_OK;
  double *rel = NULL;
  memset(st, 0, sizeof *st);
  SPX_TRY(check_dim(fe, 3, "S^2 grid check"));
  if (ntheta < 1 || nphi < 1 || !(delta > 0.0)) {
    spx_error("JM S^2 grid check: need ntheta, nphi >= 1 and delta > 0");
    return SPX_EINVAL;
  }
  rel = malloc(sizeof(double) * ntheta * nphi);
  if (!rel) return SPX_ENOMEM;
  long ng = 0;
  double sum = 0.0, mx = 0.0;
  for (int i = 0; i < ntheta; i++)
    for (int j = 0; j < nphi; j++) {
      double th = M_PI * (i + 0.5) / ntheta, ph = 2.0 * M_PI * (j + 0.5) / nphi;
      double x[3] = {sin(th) * cos(ph), sin(th) * sin(ph), cos(th)}, Kfd;
      spx_jm_point p;
      SPX_TRY(spx_jm_eval_s2(fe, x, E, &p));
      /* the stencil reaches about 2 delta away: keep a margin above hmin */
      if (!(p.h > hmin)) continue;
      SPX_TRY(spx_jm_fd_curvature_s2(fe, x, E, delta, &Kfd));
      double r = fabs(Kfd - p.K) / (fabs(p.K) + 1e-9);
      rel[ng++] = r;
      sum += r;
      mx = fmax(mx, r);
    }
  if (ng == 0) {
    spx_error("JM S^2 grid check: no grid point with h > %g", hmin);
    status = SPX_EINVAL;
    goto cleanup;
  }
  qsort(rel, ng, sizeof(double), cmp_double);
  st->good = ng;
  st->median = percentile(rel, ng, 0.5);
  st->p90 = percentile(rel, ng, 0.9);
  st->max = mx;
  st->mean = sum / ng;
cleanup:
  free(rel);
  return status;
}

static int K_on_line(spx_fe *fe, double E, const double *a, const double *b, double t, double *K)
{
  spx_jm_point p;
  double x[2] = {a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])};
  int status = spx_jm_eval_flat(fe, x, E, &p);
  *K = p.K;
  return status;
}

/* Bisection for K = 0 between t0 (K(t0) with sign s0) and t1. */
static int bisect(spx_fe *fe, double E, const double *a, const double *b, double t0, double t1,
                  double *root)
{
  int status = SPX_OK;
  double K0, Km;
  SPX_TRY(K_on_line(fe, E, a, b, t0, &K0));
  for (int it = 0; it < 200 && fabs(t1 - t0) > 1e-14; it++) {
    double tm = 0.5 * (t0 + t1);
    SPX_TRY(K_on_line(fe, E, a, b, tm, &Km));
    if ((Km < 0) == (K0 < 0)) {
      t0 = tm;
      K0 = Km;
    } else {
      t1 = tm;
    }
  }
  *root = 0.5 * (t0 + t1);
cleanup:
  return status;
}

int spx_jm_negative_segment_flat(spx_fe *fe, double E, const double *a, const double *b, int n,
                                 spx_jm_segment *seg)
{
  int status = SPX_OK;
  memset(seg, 0, sizeof *seg);
  seg->i_first = seg->i_last = -1;
  seg->t_first = seg->t_last = seg->t_root_lo = seg->t_root_hi = NAN;
  SPX_TRY(check_dim(fe, 2, "negative segment"));
  if (n < 2) {
    spx_error("JM negative segment: need n >= 2 samples (got %d)", n);
    return SPX_EINVAL;
  }
  for (int i = 0; i < n; i++) {
    double K, t = (double)i / (n - 1);
    SPX_TRY(K_on_line(fe, E, a, b, t, &K));
    if (K < 0) {
      if (seg->i_first < 0) seg->i_first = i;
      seg->i_last = i;
    } else if (seg->i_first >= 0) {
      break;
    }
  }
  if (seg->i_first < 0) return SPX_OK;
  seg->found = 1;
  seg->t_first = (double)seg->i_first / (n - 1);
  seg->t_last = (double)seg->i_last / (n - 1);
  seg->t_root_lo = 0.0;
  seg->t_root_hi = 1.0;
  if (seg->i_first > 0)
    SPX_TRY(bisect(fe, E, a, b, (double)(seg->i_first - 1) / (n - 1), seg->t_first, &seg->t_root_lo));
  if (seg->i_last < n - 1)
    SPX_TRY(bisect(fe, E, a, b, seg->t_last, (double)(seg->i_last + 1) / (n - 1), &seg->t_root_hi));
cleanup:
  return status;
}

/* ---- geodesic bundles ---------------------------------------------------------------------- */

typedef struct {
  spx_fe *fe;
  double E;
  int dim;      /* 2 flat, 3 sphere */
} geo_ctx;

/* One curve: state (x, v) of length 2 dim; writes (v, a). Returns -1 outside the Hill region. */
static int geo_accel(geo_ctx *c, const double *y, double *f)
{
  const int m = c->dim;
  const double *x = y, *v = y + m;
  double F, g[3];
  int st;
  if (m == 2) {
    st = spx_fe_eval(c->fe, x, &F, g, NULL);
  } else {
    /* The sphere evaluation needs |x| = 1 to 1e-8; RK4 stages drift by O(ds^5): renormalize the
     * evaluation point only (the state itself is not touched). */
    double xn[3], r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    for (int k = 0; k < 3; k++) xn[k] = x[k] / r;
    st = spx_fe_sphere_eval(c->fe, xn, &F, g, NULL);
  }
  if (st) return -1;
  double h = 2.0 * (c->E - F);
  if (!(h > 0.0)) return -1;
  double gp[3], gv = 0.0, vv = 0.0;
  for (int k = 0; k < m; k++) {
    gp[k] = -g[k] / h; /* grad phi */
    gv += gp[k] * v[k];
    vv += v[k] * v[k];
  }
  for (int k = 0; k < m; k++) {
    f[k] = v[k];
    f[m + k] = -2.0 * gv * v[k] + vv * gp[k] - (m == 3 ? vv * x[k] : 0.0);
  }
  return 0;
}

static int geo_rhs(double t, const double *y, double *f, void *user)
{
  geo_ctx *c = user;
  (void)t;
  for (int q = 0; q < 2; q++)
    if (geo_accel(c, y + q * 2 * c->dim, f + q * 2 * c->dim)) return -1;
  return 0;
}

typedef struct {
  const double *K; /* samples at s_k = k ds */
  int n;
  double ds;
} jac_ctx;

static int jac_rhs(double t, const double *y, double *f, void *user)
{
  jac_ctx *c = user;
  double u = t / c->ds;
  int i = (int)floor(u);
  if (i < 0) i = 0;
  if (i > c->n - 2) i = c->n - 2;
  double w = u - i, K = c->n > 1 ? (1.0 - w) * c->K[i] + w * c->K[i + 1] : c->K[0];
  f[0] = y[1];
  f[1] = -K * y[0];
  return 0;
}

void spx_jm_bundle_settings_default(spx_jm_bundle_settings *s)
{
  s->E = NAN;
  s->offset = 1e-3;
  s->ds = 0.004;
  s->max_steps = 4000;
  s->hmin = 0.2;
  s->method = "rk4";
  s->exact_slope = 0;
}

void spx_jm_bundle_free(spx_jm_bundle *b)
{
  if (!b) return;
  free(b->s);
  free(b->xref);
  free(b->K);
  free(b->h);
  free(b->eta);
  free(b->jac);
  free(b->wkb);
  free(b);
}

static int bundle_alloc(int cap, int dim, spx_jm_bundle **out)
{
  spx_jm_bundle *b = calloc(1, sizeof *b);
  if (!b) return SPX_ENOMEM;
  b->dim = dim;
  b->s = malloc(sizeof(double) * cap);
  b->xref = malloc(sizeof(double) * cap * dim);
  b->K = malloc(sizeof(double) * cap);
  b->h = malloc(sizeof(double) * cap);
  b->eta = malloc(sizeof(double) * cap);
  b->jac = malloc(sizeof(double) * cap);
  b->wkb = malloc(sizeof(double) * cap);
  if (!b->s || !b->xref || !b->K || !b->h || !b->eta || !b->jac || !b->wkb) {
    spx_jm_bundle_free(b);
    return SPX_ENOMEM;
  }
  *out = b;
  return SPX_OK;
}

/* Point quantities (h, K) of the current geometry. */
static int bundle_point(geo_ctx *c, const double *x, spx_jm_point *p)
{
  if (c->dim == 2) return spx_jm_eval_flat(c->fe, x, c->E, p);
  double xn[3], r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
  for (int k = 0; k < 3; k++) xn[k] = x[k] / r;
  return spx_jm_eval_s2(c->fe, xn, c->E, p);
}

/* eta = sqrt(h_ref) <x_nb - x_ref, n_hat>, n_hat = unit reference velocity turned by +90 degrees
 * in the tangent plane (flat: (-v_y, v_x); S^2: x_ref x v_ref). */
static double bundle_eta(int dim, const double *y, double h)
{
  const double *xr = y, *vr = y + dim, *xn = y + 2 * dim;
  double n[3], vn = 0.0, dot = 0.0;
  if (dim == 2) {
    n[0] = -vr[1];
    n[1] = vr[0];
  } else {
    n[0] = xr[1] * vr[2] - xr[2] * vr[1];
    n[1] = xr[2] * vr[0] - xr[0] * vr[2];
    n[2] = xr[0] * vr[1] - xr[1] * vr[0];
  }
  for (int k = 0; k < dim; k++) vn += n[k] * n[k];
  vn = sqrt(vn);
  for (int k = 0; k < dim; k++) dot += (xn[k] - xr[k]) * n[k] / vn;
  return sqrt(h) * dot;
}

static int bundle_run(spx_fe *fe, int dim, const double *y0, const spx_jm_bundle_settings *s,
                      spx_jm_bundle **out)
{
  int status = SPX_OK;
  spx_jm_bundle *b = NULL;
  void *solver = NULL, *jsolver = NULL;
  const spx_solver_type *T = spx_solver_find(s->method);
  geo_ctx c = {fe, s->E, dim};
  double y[12], t;
  *out = NULL;
  if (!T) {
    spx_error("JM bundle: unknown integrator \"%s\"", s->method ? s->method : "(null)");
    return SPX_EINVAL;
  }
  if (!(s->ds > 0.0) || s->max_steps < 1 || !isfinite(s->E)) {
    spx_error("JM bundle: need ds > 0, max_steps >= 1 and a finite energy E");
    return SPX_EINVAL;
  }
  SPX_TRY(bundle_alloc(s->max_steps + 1, dim, &b));
  spx_ode ode = {.N = 4L * dim, .nblocks = 2, .bsize = 2 * dim, .sphere = 0, .rhs = geo_rhs,
                 .jv = NULL, .user = &c};
  /* max_steps 0: no limit (each advance is one step of ds); tolerances are not used by rk4 */
  spx_solver_settings set = {.rtol = 1e-10, .atol = 1e-12, .dt = s->ds, .max_steps = 0};
  memcpy(y, y0, sizeof(double) * 4 * dim);
  SPX_TRY(T->create(&ode, &set, 0.0, y, &solver));
  spx_jm_point p;
  SPX_TRY(bundle_point(&c, y, &p));
  double slope0; /* <grad phi, x'_ref(0)> for the exact initial slope */
  {
    double F, g[3], gv = 0.0;
    SPX_TRY(dim == 2 ? spx_fe_eval(fe, y, &F, g, NULL) : spx_fe_sphere_eval(fe, y, &F, g, NULL));
    for (int k = 0; k < dim; k++) gv += g[k] * y[dim + k];
    slope0 = -gv / p.h;
  }
  b->stop = 0;
  for (int k = 0;; k++) {
    b->s[k] = k * s->ds;
    memcpy(b->xref + (long)k * dim, y, sizeof(double) * dim);
    b->K[k] = p.K;
    b->h[k] = p.h;
    b->eta[k] = bundle_eta(dim, y, p.h);
    b->n = k + 1;
    if (k == s->max_steps) break;
    SPX_TRY(T->advance(solver, (k + 1) * s->ds, y, &t));
    SPX_TRY(bundle_point(&c, y, &p));
    if (p.K >= 0.0) {
      b->stop = 1;
      break;
    }
    if (p.h < s->hmin) {
      b->stop = 2;
      break;
    }
  }
  if (b->n < 2) {
    spx_error("JM bundle: the reference left the K < 0 region at the first step");
    status = SPX_EINVAL;
    goto cleanup;
  }
  /* Jacobi equation along the reference. */
  jac_ctx jc = {b->K, b->n, s->ds};
  spx_ode jode = {.N = 2, .nblocks = 1, .bsize = 2, .sphere = 0, .rhs = jac_rhs, .jv = NULL,
                  .user = &jc};
  double J[2] = {b->eta[0], s->exact_slope ? b->eta[0] * slope0 : (b->eta[1] - b->eta[0]) / s->ds};
  SPX_TRY(T->create(&jode, &set, 0.0, J, &jsolver));
  b->jac[0] = J[0];
  for (int k = 1; k < b->n; k++) {
    SPX_TRY(T->advance(jsolver, k * s->ds, J, &t));
    b->jac[k] = J[0];
  }
  /* WKB reference (trapezoidal integral of sqrt|K|). */
  double I = 0.0;
  b->wkb[0] = b->eta[0];
  for (int k = 1; k < b->n; k++) {
    I += 0.5 * s->ds * (sqrt(fabs(b->K[k - 1])) + sqrt(fabs(b->K[k])));
    b->wkb[k] = b->eta[0] * pow(fabs(b->K[0]) / fabs(b->K[k]), 0.25) * exp(I);
  }
  *out = b;
  b = NULL;
cleanup:
  if (solver) T->free(solver);
  if (jsolver) T->free(jsolver);
  spx_jm_bundle_free(b);
  return status;
}

int spx_jm_bundle_flat(spx_fe *fe, const double *x0, const double *dir,
                       const spx_jm_bundle_settings *s, spx_jm_bundle **out)
{
  int status = SPX_OK;
  spx_jm_point p;
  double y[8], nd = sqrt(dir[0] * dir[0] + dir[1] * dir[1]);
  *out = NULL;
  SPX_TRY(check_dim(fe, 2, "flat bundle"));
  if (!(nd > 0.0)) {
    spx_error("JM bundle: the direction must be nonzero");
    return SPX_EINVAL;
  }
  double t[2] = {dir[0] / nd, dir[1] / nd}, n[2] = {-t[1], t[0]};
  const double *xs[2] = {x0, NULL};
  double xnb[2] = {x0[0] + s->offset * n[0], x0[1] + s->offset * n[1]};
  xs[1] = xnb;
  for (int q = 0; q < 2; q++) {
    SPX_TRY(spx_jm_eval_flat(fe, xs[q], s->E, &p));
    if (!(p.h > 0.0)) {
      spx_error("JM bundle: start point outside the Hill region (h = %g)", p.h);
      return SPX_EINVAL;
    }
    double speed = 1.0 / sqrt(p.h);
    y[4 * q] = xs[q][0];
    y[4 * q + 1] = xs[q][1];
    y[4 * q + 2] = speed * t[0];
    y[4 * q + 3] = speed * t[1];
  }
  SPX_TRY(bundle_run(fe, 2, y, s, out));
cleanup:
  return status;
}

int spx_jm_bundle_s2(spx_fe *fe, const double *x0, const double *dir,
                     const spx_jm_bundle_settings *s, spx_jm_bundle **out)
{
  int status = SPX_OK;
  spx_jm_point p;
  double y[12];
  *out = NULL;
  SPX_TRY(check_dim(fe, 3, "S^2 bundle"));
  double xx = 0, xd = 0, dd = 0;
  for (int k = 0; k < 3; k++) {
    xx += x0[k] * x0[k];
    xd += x0[k] * dir[k];
    dd += dir[k] * dir[k];
  }
  if (fabs(xx - 1.0) > 1e-8 || fabs(xd) > 1e-8 || fabs(dd - 1.0) > 1e-8) {
    spx_error("JM bundle on S^2: x0 must be a unit vector and dir a unit tangent at x0");
    return SPX_EINVAL;
  }
  double n[3] = {x0[1] * dir[2] - x0[2] * dir[1], x0[2] * dir[0] - x0[0] * dir[2],
                 x0[0] * dir[1] - x0[1] * dir[0]};
  double xnb[3];
  for (int k = 0; k < 3; k++) xnb[k] = cos(s->offset) * x0[k] + sin(s->offset) * n[k];
  const double *xs[2] = {x0, xnb};
  for (int q = 0; q < 2; q++) {
    SPX_TRY(spx_jm_eval_s2(fe, xs[q], s->E, &p));
    if (!(p.h > 0.0)) {
      spx_error("JM bundle: start point outside the Hill region (h = %g)", p.h);
      return SPX_EINVAL;
    }
    double speed = 1.0 / sqrt(p.h);
    for (int k = 0; k < 3; k++) {
      y[6 * q + k] = xs[q][k];
      y[6 * q + 3 + k] = speed * dir[k];
    }
  }
  SPX_TRY(bundle_run(fe, 3, y, s, out));
cleanup:
  return status;
}

double spx_jm_bundle_max_rel_dev(const spx_jm_bundle *b)
{
  double m = 0.0;
  for (int k = 0; k < b->n; k++) m = fmax(m, fabs(b->eta[k] - b->jac[k]) / fabs(b->eta[k]));
  return m;
}
