/* test_jm.c -- Jacobi-Maupertuis curvature, energy windows and geodesic bundles (sim/jm.c).
 *
 * Expected values: spec spectral_gap.md §3 S3, §4 and §8 items 9-12 and 19 for geometry B, and
 * mathematics: the window edges are the roots of K(h) (K = 0 there exactly), the minimum of
 * K(h) is where dK/dh = 0, finite differences converge as O(delta^2) (ratio 4 per halving),
 * Richardson extrapolation as O(delta^4), and a bundle's separation follows the Jacobi equation
 * up to O(offset) (ratio 2 per halving of the offset).
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>

#include "freeenergy.h"
#include "harness.h"
#include "jm.h"
#include "status.h"

static spx_fe *geometry_b(void)
{
  double C[16];
  for (int j = 0; j < 8; j++) {
    double a = (22.5 + 45.0 * j) * M_PI / 180.0;
    C[2 * j] = 1.8 * cos(a);
    C[2 * j + 1] = 1.8 * sin(a);
  }
  spx_fe *fe = NULL;
  spx_fe_create(SPX_FE_QUADRATIC, 8, 2, 2.5, C, &fe);
  return fe;
}

static void test_points_and_window(spx_fe *fe)
{
  spx_jm_point p;
  double o[2] = {0, 0}, x[2] = {0.45, 0.30};
  spx_jm_eval_flat(fe, o, 1.5, &p);
  spx_test_abs("geometry B, E = 1.5: h(0) = 1.423553 (8.10)", p.h, 1.423553, 1e-6);
  spx_test_abs("geometry B, E = 1.5: K_JM(0) = -3.010110 (8.10)", p.K, -3.010110, 1e-6);
  spx_test_abs("geometry B: K_JM(0) = Lap F / h^2 = -6.1 / h^2", p.K, -6.1 / (p.h * p.h), 1e-13);

  spx_jm_window w;
  spx_jm_eval_flat(fe, x, 1.0, &p);
  spx_jm_window_flat(&p, &w);
  spx_test(w.exists, "S3 point: Lap F < 0, an energy window exists", NULL);
  spx_test_abs("S3 point: h* = 0.93324071 (8.9)", w.h_lo, 0.93324071, 1e-7);
  spx_test_abs("S3 point: E* = 0.94493405 (8.9)", w.E_lo, 0.94493405, 1e-7);
  spx_jm_point q;
  spx_jm_eval_flat(fe, x, w.E_lo, &q);
  spx_test_abs("S3 point: K_JM(E*) = 0", q.K, 0.0, 1e-12);
  double Km, Kp;
  spx_jm_eval_flat(fe, x, w.E_lo - 1e-6, &q);
  Km = q.K;
  spx_jm_eval_flat(fe, x, w.E_lo + 1e-6, &q);
  Kp = q.K;
  spx_test(Km > 0 && Kp < 0, "S3 point: K focuses below E*, defocuses above", "K %.3g, %.3g", Km,
           Kp);
  spx_test_abs("S3 point: K_min = -0.246817 (8.9)", w.K_min, -0.246817, 1e-6);
  spx_test_abs("S3 point: K_min at h = 1.39986 = 1.5 h*", w.h_min, 1.39986, 1e-5);
  spx_test_abs("S3 point: K_min at E = 1.1782", p.F + 0.5 * w.h_min, 1.1782, 5e-5);
  /* the minimum is a minimum: K(h_min +- 1e-3) > K_min */
  double k1 = spx_jm_curvature_flat(w.h_min - 1e-3, p.lap, p.grad2);
  double k2 = spx_jm_curvature_flat(w.h_min + 1e-3, p.lap, p.grad2);
  spx_test(k1 > w.K_min && k2 > w.K_min, "S3 point: dK/dh = 0 at 1.5 h* is a minimum", NULL);

  /* K < 0 segment on the x-axis (§4 stage 2: linspace(-1.7, 1.7, 500)). */
  spx_jm_segment seg;
  double a[2] = {-1.7, 0}, b[2] = {1.7, 0};
  spx_jm_negative_segment_flat(fe, 1.5, a, b, 500, &seg);
  spx_test(seg.found, "x-axis: a K < 0 segment exists at E = 1.5", NULL);
  spx_test_abs("x-axis: x_L = -0.746092 (grid value, 8.10)", -1.7 + 3.4 * seg.t_first, -0.746092, 1e-6);
  spx_test_abs("x-axis: x_R = +0.746092 (grid value)", -1.7 + 3.4 * seg.t_last, 0.746092, 1e-6);
  /* The spec's 0.7461 is the grid value; the crossing lies between it and the next grid point. */
  double xr = -1.7 + 3.4 * seg.t_root_hi, Kr;
  spx_jm_point pr;
  double xrv[2] = {xr, 0};
  spx_jm_eval_flat(fe, xrv, 1.5, &pr);
  Kr = pr.K;
  spx_test(xr > 0.746092 && xr < 0.746092 + 3.4 / 499 && fabs(Kr) < 1e-12,
           "x-axis: K = 0 crossing between the grid values 0.746092 and 0.752906", "x %.9f K %.2g",
           xr, Kr);
  spx_test_abs("x-axis: the crossings are symmetric", seg.t_root_lo + seg.t_root_hi, 1.0, 1e-12);
}

static void test_fd_flat(spx_fe *fe)
{
  spx_jm_grid_stats s140, s280, s560;
  int st = spx_jm_grid_check_flat(fe, 1.5, -2.4, 2.4, 280, 0.15, &s280, NULL);
  spx_test(st == SPX_OK && s280.good == 78360, "grid 280^2: 78,360 evaluated points (§4)",
           "good %ld", s280.good);
  spx_test_rel("grid 280^2: median rel error 3.68e-4 (8.11, +-3%)", s280.median, 3.68e-4, 0.03);
  spx_test_rel("grid 280^2: P90 rel error 2.66e-3 (8.11, +-3%)", s280.p90, 2.66e-3, 0.03);
  spx_jm_grid_check_flat(fe, 1.5, -2.4, 2.4, 140, 0.15, &s140, NULL);
  spx_jm_grid_check_flat(fe, 1.5, -2.4, 2.4, 560, 0.15, &s560, NULL);
  spx_test_rel("grid 140^2: median 1.53e-3 (§4 table)", s140.median, 1.53e-3, 0.03);
  spx_test_rel("grid 560^2: median 9.05e-5 (§4 table)", s560.median, 9.05e-5, 0.03);
  spx_test_rel("grid 560^2: P90 5.68e-4 (§4 table)", s560.p90, 5.68e-4, 0.03);
  spx_test_abs("grid: median falls 4x per halving, 140 -> 280 (O(delta^2))", s140.median / s280.median,
               4.0, 0.5);
  spx_test_abs("grid: median falls 4x per halving, 280 -> 560", s280.median / s560.median, 4.0, 0.5);
  spx_test_abs("grid: P90 falls 4x per halving, 280 -> 560", s280.p90 / s560.p90, 4.0, 0.75);

  /* Pointwise compact stencil: O(delta^2), and Richardson O(delta^4) reaches the identity
   * K = -Lap(log h)/(2h) to < 1e-8 (8.11). */
  const double pts[3][2] = {{0.45, 0.30}, {0.0, 0.0}, {-0.9, 0.6}};
  double worst_ratio = 0, best_ratio = 1e9, worst_rich = 0;
  for (int i = 0; i < 3; i++) {
    spx_jm_point p;
    double K1, K2, K4;
    spx_jm_eval_flat(fe, pts[i], 1.5, &p);
    spx_jm_fd_curvature_flat(fe, pts[i], 1.5, 0.02, &K1);
    spx_jm_fd_curvature_flat(fe, pts[i], 1.5, 0.01, &K2);
    double r = (K1 - p.K) / (K2 - p.K);
    worst_ratio = fmax(worst_ratio, r);
    best_ratio = fmin(best_ratio, r);
    spx_jm_fd_curvature_flat(fe, pts[i], 1.5, 0.004, &K2);
    spx_jm_fd_curvature_flat(fe, pts[i], 1.5, 0.002, &K4);
    double rich = (4 * K4 - K2) / 3;
    worst_rich = fmax(worst_rich, fabs(rich - p.K) / fabs(p.K));
  }
  spx_test(best_ratio > 3.7 && worst_ratio < 4.3,
           "flat pointwise FD: error ratio 4 per halving of delta (O(delta^2))", "%.3f .. %.3f",
           best_ratio, worst_ratio);
  spx_test_le("flat: Richardson FD matches Lap F/h^2 + 2|grad F|^2/h^3 to < 1e-8", worst_rich, 1e-8);
}

static void test_s2(void)
{
  /* Five attention keys in R^3, beta = 2. */
  const double K[15] = {0.9, 0.2, -0.3, -0.4, 0.8, 0.1, 0.1, -0.7, 0.6, -0.5, -0.5, -0.6, 0.3, 0.1, 0.95};
  spx_fe *fe = NULL;
  spx_fe_create(SPX_FE_ATTENTION, 5, 3, 2.0, K, &fe);
  const double raw[4][3] = {{0.3, -0.2, 0.93}, {-0.7, 0.1, 0.2}, {0.1, 0.9, -0.4}, {0.5, 0.5, 0.5}};
  double worst = 0, rmin = 1e9, rmax = 0, flat_off = 1e9;
  for (int i = 0; i < 4; i++) {
    double x[3], n = 0;
    for (int c = 0; c < 3; c++) n += raw[i][c] * raw[i][c];
    for (int c = 0; c < 3; c++) x[c] = raw[i][c] / sqrt(n);
    spx_jm_point p0, p;
    spx_jm_eval_s2(fe, x, 0.0, &p0);
    double E = p0.F + 0.6; /* h = 1.2 */
    spx_jm_eval_s2(fe, x, E, &p);
    double K1, K2, K4;
    spx_jm_fd_curvature_s2(fe, x, E, 0.02, &K1);
    spx_jm_fd_curvature_s2(fe, x, E, 0.01, &K2);
    spx_jm_fd_curvature_s2(fe, x, E, 0.005, &K4);
    double rich = (4 * K4 - K2) / 3;
    worst = fmax(worst, fabs(rich - p.K) / fabs(p.K));
    double r = (K1 - p.K) / (K2 - p.K);
    rmin = fmin(rmin, r);
    rmax = fmax(rmax, r);
    double Kflat = spx_jm_curvature_flat(p.h, p.lap, p.grad2);
    flat_off = fmin(flat_off, fabs(Kflat - rich));
  }
  spx_test_le("S^2: conformal K_JM (with +1/h) vs stereographic FD, rel < 1e-6 (8.19)", worst, 1e-6);
  spx_test(rmin > 3.6 && rmax < 4.4, "S^2: stereographic FD error ratio 4 per halving (O(delta^2))",
           "%.3f .. %.3f", rmin, rmax);
  spx_test(flat_off > 0.5, "S^2: the flat formula misses the curvature by ~1/h (|diff| > 0.5)",
           "min |K_flat - K_fd| = %.3f (1/h = 0.833)", flat_off);

  /* The same over a 24 x 48 latitude-longitude grid of S^2 (E = 2 > max F: h > 0 everywhere). */
  spx_jm_grid_stats g1, g2;
  int st1 = spx_jm_grid_check_s2(fe, 2.0, 24, 48, 0.01, 0.1, &g1);
  int st2 = spx_jm_grid_check_s2(fe, 2.0, 24, 48, 0.005, 0.1, &g2);
  spx_test(st1 == SPX_OK && st2 == SPX_OK && g1.good == 24 * 48,
           "S^2 grid: every one of the 24 x 48 points in the Hill region", "%ld", g1.good);
  spx_test(g1.median / g2.median > 3.5 && g1.median / g2.median < 4.5 && g1.p90 / g2.p90 > 3.5 &&
               g1.p90 / g2.p90 < 4.5,
           "S^2 grid: median and P90 of the FD error fall 4x per halving (O(delta^2))",
           "delta 0.01: median %.3g P90 %.3g; 0.005: %.3g %.3g", g1.median, g1.p90, g2.median, g2.p90);

  /* Bounded window on S^2 (keys (+-a, 0, b), (0, +-c, b): e_3 is a maximum of F with
   * Lap F = 2b - beta (a^2 + c^2)/2). */
  spx_jm_point p;
  spx_jm_window w;
  spx_fe *fs = NULL;
  const double a = 1.0, c = 0.8, b = 0.2, beta = 3.0;
  double Ks[12] = {a, 0, b, -a, 0, b, 0, c, b, 0, -c, b};
  spx_fe_create(SPX_FE_ATTENTION, 4, 3, beta, Ks, &fs);
  double e3[3] = {0, 0, 1};
  spx_jm_eval_s2(fs, e3, 0.0, &p);
  spx_test_abs("S^2 symmetric keys: Lap_S F(e3) = 2b - beta(a^2 + c^2)/2", p.lap,
               2 * b - beta * (a * a + c * c) / 2, 1e-13);
  spx_jm_window_s2(&p, &w);
  spx_test(w.exists && w.h_lo == 0.0 && fabs(w.h_hi + p.lap) < 1e-15 && w.K_min == -INFINITY,
           "S^2 window at the critical point e3: h in (0, -Lap F), K -> -inf as h -> 0",
           "(%g, %g) K_min %g", w.h_lo, w.h_hi, w.K_min);
  double al = -0.25, xa[3] = {sin(al), 0, cos(al)};
  spx_jm_eval_s2(fs, xa, 0.0, &p);
  spx_jm_window_s2(&p, &w);
  spx_test(w.exists && p.grad2 > 0, "S^2 window exists off the critical point", "lap %.4f |g|^2 %.4f",
           p.lap, p.grad2);
  double Klo = spx_jm_curvature_s2(w.h_lo, p.lap, p.grad2),
         Khi = spx_jm_curvature_s2(w.h_hi, p.lap, p.grad2),
         Kmid = spx_jm_curvature_s2(0.5 * (w.h_lo + w.h_hi), p.lap, p.grad2),
         Kbig = spx_jm_curvature_s2(2 * w.h_hi, p.lap, p.grad2);
  spx_test(fabs(Klo) < 1e-10 && fabs(Khi) < 1e-10 && Kmid < 0 && Kbig > 0,
           "S^2 window: K = 0 at both edges, < 0 inside, > 0 at high energy (refocusing)",
           "K(h_lo) %.2g K(h_hi) %.2g K(mid) %.3f K(2 h_hi) %.3f", Klo, Khi, Kmid, Kbig);
  double Kl = spx_jm_curvature_s2(w.h_min * 0.999, p.lap, p.grad2),
         Kr = spx_jm_curvature_s2(w.h_min * 1.001, p.lap, p.grad2);
  spx_test(w.K_min <= Kmid && Kl > w.K_min && Kr > w.K_min && w.h_min > w.h_lo && w.h_min < w.h_hi,
           "S^2 window: K_min is the minimum, inside the window", "K_min %.6f at h %.6f", w.K_min,
           w.h_min);
  spx_fe_free(fs);
  spx_fe_free(fe);
}

/* max |eta - J|/|eta| of one bundle (flat when fs == NULL uses fe). */
static double bundle_dev(spx_fe *fe, int dim, const double *x0, const double *dir,
                         const spx_jm_bundle_settings *s, spx_jm_bundle **keep)
{
  spx_jm_bundle *b = NULL;
  int st = dim == 2 ? spx_jm_bundle_flat(fe, x0, dir, s, &b) : spx_jm_bundle_s2(fe, x0, dir, s, &b);
  if (st) return NAN;
  double d = spx_jm_bundle_max_rel_dev(b);
  if (keep) *keep = b;
  else spx_jm_bundle_free(b);
  return d;
}

static void test_bundles(spx_fe *fe)
{
  spx_jm_bundle_settings s;
  spx_jm_bundle *b = NULL;
  spx_jm_bundle_settings_default(&s);
  s.E = 1.5;
  /* §4 stage 2: x_L + 0.02 along +x, offset 1e-3, ds 0.004, forward-difference J'(0). */
  double x0[2] = {-0.726092, 0.0}, dir[2] = {1, 0};
  double d0 = bundle_dev(fe, 2, x0, dir, &s, &b);
  spx_test_le("flat bundle: max |eta - J| / |eta| < 1e-4 at offset 1e-3 (8.12)", d0, 1e-4);
  if (b) {
    double ymax = 0;
    for (int k = 0; k < b->n; k++) ymax = fmax(ymax, fabs(b->xref[2 * k + 1]));
    spx_test(ymax < 1e-14 && b->stop == 1,
             "flat bundle: the reference stays on y = 0 and stops where K >= 0",
             "max |y| %.3g stop %d after %d samples, x_end %.4f", ymax, b->stop, b->n,
             b->xref[2 * (b->n - 1)]);
    spx_test(b->eta[b->n - 1] / b->eta[0] > 2.0 && b->jac[b->n - 1] / b->jac[0] > 2.0,
             "flat bundle: the separation grows across the K < 0 segment (defocusing)",
             "eta_end/eta_0 = %.4f measured, %.4f Jacobi", b->eta[b->n - 1] / b->eta[0],
             b->jac[b->n - 1] / b->jac[0]);
    spx_jm_bundle_free(b);
  }
  /* The reference script's forward difference for J'(0) is an O(ds) error: halving ds halves
   * the deviation (at a small offset, where the offset's own part is negligible). */
  s.offset = 2.5e-4;
  double f1 = bundle_dev(fe, 2, x0, dir, &s, NULL);
  s.ds = 0.002;
  double f2 = bundle_dev(fe, 2, x0, dir, &s, NULL);
  spx_test(f1 / f2 > 1.8 && f1 / f2 < 2.2, "flat bundle: forward-difference J'(0) error is O(ds)",
           "ds 0.004: %.3g, ds 0.002: %.3g", f1, f2);
  /* With the exact J'(0) what remains is the offset's nonlinearity: O(offset) in general
   * (a start direction tilted by 0.3 rad), O(offset^2) on the symmetry axis (eta is odd in
   * the offset under y -> -y). */
  s.exact_slope = 1;
  s.ds = 0.004;
  double tdir[2] = {cos(0.3), sin(0.3)}, dv[3];
  const double offs[3] = {1e-3, 5e-4, 2.5e-4};
  for (int i = 0; i < 3; i++) {
    s.offset = offs[i];
    dv[i] = bundle_dev(fe, 2, x0, tdir, &s, NULL);
  }
  spx_test(dv[0] / dv[1] > 1.9 && dv[0] / dv[1] < 2.1 && dv[1] / dv[2] > 1.9 && dv[1] / dv[2] < 2.1,
           "flat bundle, tilted start: eta - J = O(offset) (ratio 2 per halving)", "%.4g %.4g %.4g",
           dv[0], dv[1], dv[2]);
  s.ds = 0.0005;
  for (int i = 0; i < 2; i++) {
    s.offset = offs[i];
    dv[i] = bundle_dev(fe, 2, x0, dir, &s, NULL);
  }
  spx_test(dv[0] / dv[1] > 3.5 && dv[0] / dv[1] < 4.5,
           "flat bundle on the symmetry axis: eta - J = O(offset^2) (ratio 4)", "%.4g %.4g", dv[0],
           dv[1]);

  /* S^2: keys with a maximum of F at e3, E with h(e3) = 0.6 (inside the bounded window). */
  const double a = 1.0, c = 0.8, b0 = 0.2, beta = 3.0;
  double Ks[12] = {a, 0, b0, -a, 0, b0, 0, c, b0, 0, -c, b0};
  spx_fe *fs = NULL;
  spx_fe_create(SPX_FE_ATTENTION, 4, 3, beta, Ks, &fs);
  spx_jm_point p;
  double e3[3] = {0, 0, 1};
  spx_jm_eval_s2(fs, e3, 0.0, &p);
  spx_jm_bundle_settings_default(&s);
  s.E = p.F + 0.3;
  s.exact_slope = 1;
  double al = -0.25, xs[3] = {sin(al), 0, cos(al)}, t1[3] = {cos(al), 0, -sin(al)};
  spx_jm_eval_s2(fs, xs, s.E, &p);
  spx_test(p.K < 0, "S^2 bundle: the start point has K_JM < 0", "K %.4f", p.K);
  /* ds = 0.001: K varies faster here than in geometry B, and the Jacobi scheme's linear K
   * between nodes is an O(ds^2) error (1.2e-5 at ds = 0.004, 16x less at 0.001). */
  s.ds = 0.001;
  b = NULL;
  double ds0 = bundle_dev(fs, 3, xs, t1, &s, &b);
  if (b) {
    double ymax = 0;
    for (int k = 0; k < b->n; k++) ymax = fmax(ymax, fabs(b->xref[3 * k + 1]));
    spx_test(ymax < 1e-14 && b->n > 100 && b->stop == 1,
             "S^2 bundle: the reference stays on the xz great circle until K >= 0",
             "max |y| %.3g, %d samples, stop %d", ymax, b->n, b->stop);
    spx_test(ds0 < 1e-4, "S^2 bundle: max |eta - J| / |eta| < 1e-4 at offset 1e-3 (as 8.12)",
             "%.3g; eta_end/eta_0 %.6f measured, %.6f Jacobi", ds0, b->eta[b->n - 1] / b->eta[0],
             b->jac[b->n - 1] / b->jac[0]);
    spx_jm_bundle_free(b);
  }
  double tilt[3] = {cos(0.3) * t1[0], sin(0.3), cos(0.3) * t1[2]};
  for (int i = 0; i < 3; i++) {
    s.offset = offs[i];
    dv[i] = bundle_dev(fs, 3, xs, tilt, &s, NULL);
  }
  spx_test(dv[0] / dv[1] > 1.9 && dv[0] / dv[1] < 2.1 && dv[1] / dv[2] > 1.9 && dv[1] / dv[2] < 2.1,
           "S^2 bundle, tilted start: eta - J = O(offset) (ratio 2 per halving)", "%.4g %.4g %.4g",
           dv[0], dv[1], dv[2]);
  spx_fe_free(fs);
}

static void test_errors(spx_fe *fe)
{
  spx_jm_point p;
  double x3[3] = {0, 0, 1}, x[2] = {2.4, 2.4}, K;
  spx_test(spx_jm_eval_s2(fe, x3, 1.5, &p) == SPX_EINVAL, "error: S^2 evaluation of a 2-D free energy",
           NULL);
  spx_test(spx_jm_fd_curvature_flat(fe, x, 0.0, 0.01, &K) == SPX_EINVAL,
           "error: finite differences outside the Hill region", NULL);
  spx_jm_bundle_settings s;
  spx_jm_bundle_settings_default(&s);
  spx_jm_bundle *b = NULL;
  double x0[2] = {0, 0}, dir[2] = {1, 0};
  spx_test(spx_jm_bundle_flat(fe, x0, dir, &s, &b) == SPX_EINVAL && !b,
           "error: bundle without an energy", NULL);
  s.E = 0.5;
  spx_test(spx_jm_bundle_flat(fe, x0, dir, &s, &b) == SPX_EINVAL, "error: bundle start with h <= 0",
           NULL);
  s.E = 1.5;
  s.method = "no_such_method";
  spx_test(spx_jm_bundle_flat(fe, x0, dir, &s, &b) == SPX_EINVAL, "error: unknown integrator", NULL);
  spx_jm_grid_stats st;
  spx_test(spx_jm_grid_check_flat(fe, 1.5, 1, -1, 100, 0.15, &st, NULL) == SPX_EINVAL,
           "error: empty grid interval", NULL);
}

int main(void)
{
  gsl_set_error_handler_off();
  spx_fe *fe = geometry_b();
  test_points_and_window(fe);
  test_fd_flat(fe);
  test_s2();
  test_bundles(fe);
  test_errors(fe);
  spx_fe_free(fe);
  return spx_test_summary();
}
