/* test_windows.c -- GSL instances of the paper's geometries and the count-law experiments
 * (sim/windows.c).
 *
 * Expected values from mathematics (a centred regular simplex with unit edge has |c_a|^2 =
 * (m-1)/(2m) and <c_a, c_b> = -1/(2m); mixtures of centres lie in their convex hull; an exact
 * line is fitted exactly) and from the spec (spectral_gap.md §2.1 construction, §7b table for the
 * m = 7 fixture, §7a: the inter-cluster eigenvalues of Cov under uniform attention are 1/(2m)).
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "freeenergy.h"
#include "harness.h"
#include "status.h"
#include "windows.h"

static void test_ring(void)
{
  double C[16];
  spx_geom_ring(8, 1.8, 22.5, C);
  double worst = 0, sx = 0, sy = 0;
  for (int j = 0; j < 8; j++) {
    worst = fmax(worst, fabs(hypot(C[2 * j], C[2 * j + 1]) - 1.8));
    sx += C[2 * j];
    sy += C[2 * j + 1];
  }
  spx_test(worst < 1e-15 && fabs(sx) < 1e-14 && fabs(sy) < 1e-14 && fabs(C[0] - 1.8 * cos(M_PI / 8)) < 1e-15,
           "geometry B: 8 centres at radius 1.8, first at 22.5 degrees, centred", "radius err %.2g", worst);
}

static void test_simplex(void)
{
  int ok = 1;
  double worst = 0;
  for (int m = 2; m <= 9; m++) {
    double C[81];
    spx_geom_simplex(m, C);
    for (int a = 0; a < m; a++)
      for (int b = 0; b < m; b++) {
        double s = 0;
        for (int k = 0; k < m - 1; k++) s += C[a * (m - 1) + k] * C[b * (m - 1) + k];
        double want = a == b ? (m - 1.0) / (2.0 * m) : -1.0 / (2.0 * m);
        worst = fmax(worst, fabs(s - want));
      }
    for (int k = 0; k < m - 1; k++) {
      double s = 0;
      for (int a = 0; a < m; a++) s += C[a * (m - 1) + k];
      ok &= fabs(s) < 1e-14;
    }
  }
  spx_test(ok && worst < 1e-15, "regular simplex m = 2..9: Gram matrix (m-1)/(2m) I - 1/(2m) (1 - I) "
           "(unit edge), centred", "max err %.2g", worst);
}

static void test_geometry_c(void)
{
  const int m = 5, d = 48, nc = 12;
  double *cent = malloc(sizeof(double) * m * d), *K = malloc(sizeof(double) * m * nc * d),
         *Q = malloc(sizeof(double) * (3 * m + 45) * d);
  int st = spx_geom_c(m, d, nc, 0.010, 2.0, 3, cent, K);
  double edge = 0, spread = 0;
  for (int a = 0; a < m; a++)
    for (int b = a + 1; b < m; b++) {
      double s = 0;
      for (int q = 0; q < d; q++) s += (cent[a * d + q] - cent[b * d + q]) * (cent[a * d + q] - cent[b * d + q]);
      edge = fmax(edge, fabs(sqrt(s) - 2.0));
    }
  for (int a = 0; a < m; a++)
    for (int i = 0; i < nc; i++) {
      double s = 0;
      for (int q = 0; q < d; q++) s += pow(K[(a * nc + i) * d + q] - cent[a * d + q], 2);
      spread += s / (m * nc);
    }
  spx_test(st == SPX_OK && edge < 1e-13, "geometry C: centres a regular simplex with edge = scale (2)",
           "max edge err %.2g", edge);
  /* E|k - c|^2 = d sk^2 = 48e-4: the sample mean of 60 keys within 10 % */
  spx_test(fabs(spread / (d * 1e-4) - 1) < 0.1, "geometry C: keys c_a + 0.010 N(0, I): mean |k - c|^2 = d sk^2",
           "%.4g vs %.4g", spread, d * 1e-4);
  st = spx_geom_queries(m, d, cent, 45, 103, Q);
  /* queries 3(k-1)+r for k = 1 are single centres; every query is a convex combination: its
   * coordinates in the simplex basis, through least squares on the centres, have weights >= 0 */
  double single = INFINITY;
  for (int r = 0; r < 3; r++) {
    double best = INFINITY;
    for (int a = 0; a < m; a++) {
      double s = 0;
      for (int q = 0; q < d; q++) s += pow(Q[r * d + q] - cent[a * d + q], 2);
      best = fmin(best, s);
    }
    single = fmin(single, best);
  }
  /* the last k = m queries are the barycentre of all centres: 0 */
  double bary = 0;
  for (int r = 3 * (m - 1); r < 3 * m; r++)
    for (int q = 0; q < d; q++) bary = fmax(bary, fabs(Q[r * d + q]));
  /* a Dirichlet mixture is in the hull: |x|^2 <= max |c|^2 = (m-1)/(2m) scale^2 */
  double maxn = 0;
  for (int r = 3 * m; r < 3 * m + 45; r++) {
    double s = 0;
    for (int q = 0; q < d; q++) s += Q[r * d + q] * Q[r * d + q];
    maxn = fmax(maxn, s);
  }
  spx_test(st == SPX_OK && single < 1e-28 && bary < 1e-14 && maxn <= 4.0 * (m - 1) / (2.0 * m) + 1e-12,
           "queries: single centres (k = 1), the barycentre (k = m), mixtures inside the hull",
           "k = 1 dist^2 %.2g, barycentre %.2g, max |x|^2 %.4f <= %.4f", single, bary, maxn,
           4.0 * (m - 1) / (2.0 * m));
  free(cent);
  free(K);
  free(Q);
}

static void test_geometry_a(void)
{
  double K[960];
  int st = spx_geom_a(5, 24, 8, 1.1, 0.008, 4, K);
  double mean = 0, worst = 0;
  for (int q = 0; q < 24; q++) {
    double s = 0;
    for (int j = 0; j < 40; j++) s += K[j * 24 + q];
    mean = fmax(mean, fabs(s / 40));
  }
  /* cluster means (before centring) have norm 1.1: after centring, the differences of cluster
   * means are those of the centres, |c_a - c_b| <= 2.2 (+ noise) */
  for (int a = 0; a < 5; a++)
    for (int b = a + 1; b < 5; b++) {
      double s = 0;
      for (int q = 0; q < 24; q++) {
        double da = 0, db = 0;
        for (int i = 0; i < 8; i++) {
          da += K[(a * 8 + i) * 24 + q] / 8;
          db += K[(b * 8 + i) * 24 + q] / 8;
        }
        s += (da - db) * (da - db);
      }
      worst = fmax(worst, sqrt(s));
    }
  spx_test(st == SPX_OK && mean < 1e-15 && worst <= 2.2 + 0.05,
           "geometry A (GSL): keys centred, cluster means within 2 |c| = 2.2", "mean %.2g, max dist %.4f",
           mean, worst);
}

static void test_population(void)
{
  const int ms[3] = {3, 5, 9};
  spx_window_pop *p = NULL;
  int st = spx_window_population(ms, 3, 2, 48, 12, 0.010, 1.0, 45, 100, &p);
  spx_test(st == SPX_OK && p && p->nq == 2 * (9 + 45) + 2 * (15 + 45) + 2 * (27 + 45) && p->ninst == 6,
           "population: (3m + 45) queries per instance, 2 seeds x 3 m", "nq %d", p ? p->nq : -1);
  if (!p) return;
  /* beta -> 0: uniform attention, N_eff = m exactly */
  st = spx_window_spectra(p, 1e-9);
  double nerr = 0;
  for (int q = 0; q < p->nq; q++) nerr = fmax(nerr, fabs(p->neff[q] - p->inst_m[p->q_inst[q]]));
  spx_test(st == SPX_OK && nerr < 1e-6, "beta -> 0: N_eff = m for every query", "max err %.2g", nerr);
  /* the m - 1 inter-cluster eigenvalues of Cov are about 1/(2m) >= 0.055 and the bulk about
   * s_k^2 = 1e-4 (spec §7a): at beta = 0.1 the threshold 1e-3 separates them, so every query counts
   * m - 1 and the fit of count on N_eff (~ m at small beta) has slope 1 and intercept -1 */
  spx_window_spectra(p, 0.1);
  double sl, ic, r, mc;
  int *counts = malloc(sizeof(int) * p->nq);
  spx_window_fit(p, 1e-3, &sl, &ic, &r, &mc, counts);
  int cok = 1;
  for (int q = 0; q < p->nq; q++) cok &= counts[q] == p->inst_m[p->q_inst[q]] - 1;
  spx_test(cok && fabs(sl - 1) < 1e-3 && fabs(ic + 1) < 1e-2 && r > 0.999,
           "beta 0.1: every query counts m - 1; OLS slope 1, intercept -1", "slope %.5f intercept %.5f r %.5f",
           sl, ic, r);
  free(counts);
  spx_window_pop_free(p);
}

static void test_fit_exact(void)
{
  /* a hand-made population: 4 queries with N_eff 2, 3, 4, 6 and counts 1, 2, 3, 5 (exact line) */
  spx_window_pop p;
  memset(&p, 0, sizeof p);
  double lam[4 * 6] = {0}, neff[4] = {2, 3, 4, 6};
  for (int q = 0; q < 4; q++)
    for (int i = 0; i < (int)neff[q] - 1; i++) lam[q * 6 + i] = 0.5;
  p.d = 6;
  p.nq = 4;
  p.beta = 1.0;
  p.lam = lam;
  p.neff = neff;
  double sl, ic, r, mc;
  spx_window_fit(&p, 0.1, &sl, &ic, &r, &mc, NULL);
  spx_test(fabs(sl - 1) < 1e-14 && fabs(ic + 1) < 1e-14 && fabs(r - 1) < 1e-14 && fabs(mc - 2.75) < 1e-14,
           "OLS on an exact line: slope 1, intercept -1, r 1, mean 2.75", "%.3g %.3g %.3g %.3g", sl, ic, r, mc);
  spx_window_fit(&p, 0.9, &sl, &ic, &r, &mc, NULL);
  spx_test(isnan(r) && mc == 0.0, "constant counts: r is NaN (spec §7a)", "r %g", r);
}

static void test_symctl(void)
{
  double *K = malloc(sizeof(double) * 84 * 48), *C = malloc(sizeof(double) * 7 * 48);
  if (spx_fe_read_keys("tests/data/geometryC_m7_seed0_keys.tsv", 84, 48, K) ||
      spx_fe_read_keys("tests/data/geometryC_m7_seed0_centres.tsv", 7, 48, C)) {
    spx_test(0, "symmetric control: fixtures", NULL);
    free(K);
    free(C);
    return;
  }
  /* spec §7b table: beta 64 -> N_eff 2.000, 2.990, 3.994, 5.001, 6.008, 7.000 and tol counts
   * 23, 32, 36, 40, 42, 45; the gap count k - 1 */
  const double ne[6] = {2.000, 2.990, 3.994, 5.001, 6.008, 7.000};
  const int tc[6] = {23, 32, 36, 40, 42, 45};
  int ok = 1;
  char got[256] = "";
  for (int k = 2; k <= 7; k++) {
    spx_symctl s;
    spx_symctl_eval(7, 48, 12, K, C, 64.0, k, 1e-3, 20, &s);
    ok &= fabs(s.neff - ne[k - 2]) < 5e-4 && s.tol_count == tc[k - 2] && s.gap.count == k - 1;
    snprintf(got + strlen(got), sizeof got - strlen(got), " %.3f/%d/%d", s.neff, s.tol_count, s.gap.count);
  }
  spx_test(ok, "symmetric control, beta 64: N_eff, tol count and gap count as the spec's table (7b)",
           "%s", got);
  spx_symctl s;
  spx_test(spx_symctl_eval(7, 48, 12, K, C, 1.0, 8, 1e-3, 20, &s) == SPX_EINVAL, "error: k > m", NULL);
  free(K);
  free(C);
}

int main(void)
{
  gsl_set_error_handler_off();
  test_ring();
  test_simplex();
  test_geometry_c();
  test_geometry_a();
  test_population();
  test_fit_exact();
  test_symctl();
  return spx_test_summary();
}
