/* test_gap.c -- the gap finder, the count plateau, the Riesz projector and perturbation stability
 * (sim/gap.c).
 *
 * Expected values: the spec's fixture numbers for geometry A (spectral_gap.md §2.1, §2.4, §8
 * items 2-8) and geometry C (§7b, §8 item 18), and mathematics: Weyl's inequality (count kept for
 * ||dH|| < Delta/2), the closed-form rotation angle (1/2) atan(2 eps/Delta) of a 2-mode coupling,
 * rank N - 1 of a covariance of N points, and exact projector identities.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "freeenergy.h"
#include "gap.h"
#include "harness.h"
#include "mat.h"
#include "status.h"

#ifndef SPX_TEST_DATA
#define SPX_TEST_DATA "tests/data"
#endif

enum { D = 24, NK = 40 };

/* H = Hess F at 0 for geometry A (fixture), its ascending spectrum and eigenvectors. */
static int geometry_a(const char *file, spx_gap_ws *w, double *H, double *ev, double *V)
{
  double *K = malloc(sizeof(double) * NK * D), x[D] = {0};
  spx_fe *fe = NULL;
  int st = spx_fe_read_keys(file, NK, D, K);
  if (st == SPX_OK) st = spx_fe_create(SPX_FE_ATTENTION, NK, D, 1.0, K, &fe);
  if (st == SPX_OK) st = spx_fe_eval(fe, x, NULL, NULL, H);
  if (st == SPX_OK) st = spx_gap_eigen(w, H, ev, V);
  spx_fe_free(fe);
  free(K);
  return st;
}

/* ||A||_2 of a d x d matrix via mat.h. */
static double norm2(int d, const double *A)
{
  double n = NAN;
  spx_mat_norm2(d, A, &n);
  return n;
}

static void test_finder_geometry_a(spx_gap_ws *w)
{
  double H[D * D], ev[D], V[D * D];
  spx_gap_settings s;
  spx_gap g;
  spx_gap_settings_default(&s);
  struct {
    const char *file;
    int seed;
    double delta, theta, jump, relgap;
  } fx[2] = {{SPX_TEST_DATA "/geometryA_seed7_keys.tsv", 7, 0.1059475784, 0.0531121511, 766.7, 0.2905},
             {SPX_TEST_DATA "/geometryA_seed1_keys.tsv", 1, 0.1030992321, 0.0517050484, 664.3, 0.2844}};
  for (int f = 0; f < 2; f++) {
    char name[128];
    int st = geometry_a(fx[f].file, w, H, ev, V);
    snprintf(name, sizeof name, "geometry A seed %d: fixture Hessian", fx[f].seed);
    spx_test(st == SPX_OK, name, "status %d", st);
    if (st) continue;
    spx_gap_find(D, ev, &s, &g);
    snprintf(name, sizeof name, "geometry A seed %d: gap found, dim E_- = 4, well posed", fx[f].seed);
    spx_test(g.count == 4 && g.index == 3 && g.well_posed, name, "count %d index %d verdict %s",
             g.count, g.index, spx_gap_verdict(&g));
    snprintf(name, sizeof name, "geometry A seed %d: Delta = %.10f (fixture 8.2)", fx[f].seed,
             fx[f].delta);
    spx_test_abs(name, g.delta, fx[f].delta, 1e-9);
    snprintf(name, sizeof name, "geometry A seed %d: theta_0 = %.10f", fx[f].seed, fx[f].theta);
    spx_test_abs(name, g.theta, fx[f].theta, 1e-9);
    snprintf(name, sizeof name, "geometry A seed %d: lambda_4/lambda_5 = %.1f (> 400 robust)",
             fx[f].seed, fx[f].jump);
    spx_test_abs(name, g.jump, fx[f].jump, 0.05);
    snprintf(name, sizeof name, "geometry A seed %d: relgap = %.4f (in [0.15, 0.5] robust)",
             fx[f].seed, fx[f].relgap);
    spx_test_abs(name, g.relgap, fx[f].relgap, 5e-5);
    /* The paper's absolute floor gives the same answer here (full rank, |lambda| >> 1e-9). */
    spx_gap_settings sp = s;
    spx_gap gp;
    sp.floor_rel = 0.0;
    spx_gap_find(D, ev, &sp, &gp);
    snprintf(name, sizeof name, "geometry A seed %d: absolute-floor rule agrees (full rank)",
             fx[f].seed);
    spx_test(gp.count == 4 && gp.delta == g.delta, name, "count %d", gp.count);
  }
}

static void test_plateau_and_riesz(spx_gap_ws *w)
{
  double H[D * D], ev[D], V[D * D], P[D * D], Q[D * D], E[D * D];
  spx_gap_settings s;
  spx_gap g;
  spx_gap_settings_default(&s);
  if (geometry_a(SPX_TEST_DATA "/geometryA_seed7_keys.tsv", w, H, ev, V)) return;
  spx_gap_find(D, ev, &s, &g);

  /* Spec §8 item 5 / §3 S1: count 4 on the whole gap, 3 just above |lambda_4|, >= 5 below |lambda_5|. */
  int cmin, cmax;
  double a = fabs(g.lambda_hi), b = fabs(g.lambda_lo);
  spx_gap_count_curve(D, ev, a * (1 + 1e-9), b * (1 - 1e-9), 400, NULL, NULL, &cmin, &cmax);
  spx_test(cmin == 4 && cmax == 4, "plateau: count = 4 for every theta in (|lambda_5|, |lambda_4|)",
           "min %d max %d", cmin, cmax);
  spx_gap_count_curve(D, ev, 3 * a, 0.7 * b, 240, NULL, NULL, &cmin, &cmax);
  spx_test(cmin == 4 && cmax == 4, "plateau: section6 test region (3|l_hi|, 0.7|l_lo|): min = max = 4",
           "min %d max %d", cmin, cmax);
  int above = spx_gap_count(D, ev, b * 1.001), below = spx_gap_count(D, ev, a * 0.999);
  spx_test(above == 3 && below >= 5, "plateau: 3 above |lambda_4|, >= 5 below |lambda_5|",
           "%d and %d", above, below);

  /* Spec §2.4 convergence table (eigenvalue form of the trapezoidal rule). */
  double c, r, tr, im;
  spx_riesz_gap_contour(D, ev, &g, 0.45, &c, &r);
  spx_test_abs("Riesz contour: right crossing lambda_lo + 0.45 Delta", c + r,
               g.lambda_lo + 0.45 * g.delta, 1e-15);
  const int Ms[4] = {8, 16, 32, 64};
  const double tv[4] = {1.8966, 3.8016, 3.99789, 3.99999976}, tt[4] = {5e-5, 5e-5, 5e-6, 5e-9};
  for (int i = 0; i < 4; i++) {
    char name[64];
    snprintf(name, sizeof name, "Riesz trace M = %d: %.8g (spec 2.4)", Ms[i], tv[i]);
    spx_riesz_trace(D, ev, c, r, Ms[i], &tr, &im);
    spx_test_abs(name, tr, tv[i], tt[i]);
  }
  spx_riesz_trace(D, ev, c, r, 128, &tr, &im);
  spx_test(fabs(tr - 4) < 1e-10 && fabs(im) < 1e-12, "Riesz trace M = 128: |tr P - 4| < 1e-10, |Im| < 1e-12",
           "tr %.15g im %.3g", tr, im);
  spx_riesz_trace(D, ev, c, r, 720, &tr, &im);
  spx_test_abs("Riesz trace M = 720 (section6): tr P = 4", tr, 4.0, 1e-10);

  /* The projector matrix against the eigenvector projector V_{1:4} V_{1:4}^T (spec §2.4, 8.3). */
  spx_gap_eigen_projector(D, V, 4, E);
  double trm;
  spx_riesz_projector(D, H, c, r, 64, P, &trm, &im);
  for (int i = 0; i < D * D; i++) Q[i] = P[i] - E[i];
  double e64 = norm2(D, Q);
  spx_test(e64 > 0.5e-8 && e64 < 2.5e-8, "Riesz projector M = 64: ||P - VV^T||_2 ~ 1.2e-8 (spec 2.4)",
           "%.3g", e64);
  spx_riesz_trace(D, ev, c, r, 64, &tr, NULL);
  spx_test_abs("Riesz projector M = 64: matrix trace = eigenvalue trace", trm, tr, 1e-12);
  spx_riesz_projector(D, H, c, r, 128, P, &trm, &im);
  for (int i = 0; i < D * D; i++) Q[i] = P[i] - E[i];
  spx_test_le("Riesz projector M = 128: ||P - V_{1:4} V_{1:4}^T||_2 < 1e-12", norm2(D, Q), 1e-12);
  spx_mat_mul(D, D, D, P, P, Q);
  for (int i = 0; i < D * D; i++) Q[i] -= P[i];
  spx_test_le("Riesz projector M = 128: ||P^2 - P||_2 < 1e-12", norm2(D, Q), 1e-12);
  spx_test_le("Riesz projector M = 128: max |Im P| < 1e-12", im, 1e-12);
  spx_test_abs("Riesz projector M = 128: tr P = 4", trm, 4.0, 1e-10);

  /* Spec §8 item 4: a circle of radius theta_0 about 0 counts the 20 bulk modes. */
  spx_riesz_trace(D, ev, 0.0, g.theta, 600, &tr, &im);
  spx_test_abs("bulk contour |z| = theta_0, M = 600: tr P = 20 = d - (m-1)", tr, 20.0, 1e-9);
}

static void test_perturbations(spx_gap_ws *w, gsl_rng *rng)
{
  double H[D * D], ev[D], V[D * D], A[D * D];
  spx_gap_settings s;
  spx_gap g;
  spx_gap_trial t;
  spx_gap_settings_default(&s);
  if (geometry_a(SPX_TEST_DATA "/geometryA_seed7_keys.tsv", w, H, ev, V)) return;
  spx_gap_find(D, ev, &s, &g);

  /* GOE draw has the requested norm exactly. */
  spx_gap_perturb_goe(w, rng, 0.37 * g.delta, A);
  spx_test_rel("GOE perturbation: ||A||_2 = eps", norm2(D, A), 0.37 * g.delta, 1e-12);

  /* Weyl (Prop. 2, 8.6 deterministic part): 100 % kept below Delta/2; DK bound always holds. */
  const double lv[4] = {0.1, 0.3, 0.45, 0.499};
  int all_kept = 1, dk = 0, tot = 0;
  for (int i = 0; i < 4; i++) {
    spx_gap_perturb_stats st;
    spx_gap_perturb_study(w, H, V, &g, lv[i], 60, rng, &st);
    all_kept &= st.preserved == st.trials;
    dk += st.dk_violations;
    tot += st.trials;
  }
  spx_test(all_kept, "Weyl: count kept in 100 % of 240 GOE trials with ||A|| < Delta/2", NULL);

  /* Random part (spec 8.7, 160 GOE trials per level, robust ranges). */
  const double lev[4] = {0.55, 0.60, 0.70, 0.85}, flo[4] = {0.65, 0.30, 0.0, 0.0},
               fhi[4] = {0.92, 0.62, 0.15, 0.02};
  double max_ratio = 0;
  int paper = 0;
  for (int i = 0; i < 4; i++) {
    spx_gap_perturb_stats st;
    spx_gap_perturb_study(w, H, V, &g, lev[i], 160, rng, &st);
    char name[96];
    snprintf(name, sizeof name, "GOE eps/Delta = %.2f: fraction preserved in [%.2f, %.2f] (8.7)",
             lev[i], flo[i], fhi[i]);
    spx_test(st.frac_preserved >= flo[i] && st.frac_preserved <= fhi[i], name, "%.4f",
             st.frac_preserved);
    dk += st.dk_violations;
    tot += st.trials;
    max_ratio = fmax(max_ratio, st.max_ratio);
    paper += st.paper_violations;
  }
  spx_test(dk == 0, "Davis-Kahan: sin Theta <= ||dH||/(Delta - ||dH||) in every trial (8.8)",
           "%d violations in %d trials", dk, tot);
  spx_test(paper == 0 && max_ratio < 1.0,
           "Davis-Kahan: the paper's ||dH||/Delta held in every random trial (8.8)",
           "%d violations, max ratio %.3f", paper, max_ratio);

  /* Adversarial shift (8.6): kept at 0.45 Delta, changed at 0.55 Delta. */
  spx_gap_perturb_shift(D, V, g.count, 0.45 * g.delta, A);
  spx_gap_perturb_eval(w, H, V, &g, A, &t);
  spx_test(t.preserved && fabs(t.norm - 0.45 * g.delta) < 1e-14,
           "adversarial shift eps = 0.45 Delta: count kept", "count %d", t.count);
  spx_gap_perturb_shift(D, V, g.count, 0.55 * g.delta, A);
  spx_gap_perturb_eval(w, H, V, &g, A, &t);
  /* lambda_1..4 + eps > -theta_0 only for lambda_4; all 20 bulk modes move below -theta_0. */
  spx_test(!t.preserved && t.count == 23, "adversarial shift eps = 0.55 Delta: count 3 + 20 = 23",
           "count %d", t.count);

  /* 2-mode coupling eps (u v^T + v u^T): E_- rotates by (1/2) atan(2 eps/Delta) exactly. */
  const double rv[3] = {0.1, 0.5, 0.9};
  for (int i = 0; i < 3; i++) {
    double eps = rv[i] * g.delta, want = sin(0.5 * atan(2 * eps / g.delta));
    spx_gap_perturb_rotate(D, V, g.count, eps, A);
    spx_gap_perturb_eval(w, H, V, &g, A, &t);
    char name[112];
    snprintf(name, sizeof name, "2-mode coupling eps = %.1f Delta: sin Theta = sin(atan(2 eps/Delta)/2)",
             rv[i]);
    spx_test_abs(name, t.sin_theta, want, 1e-10);
    if (i == 1) {
      spx_test_abs("2-mode coupling eps = Delta/2: sin Theta = 0.3827 (spec 1)", t.sin_theta,
                   0.3827, 5e-5);
      spx_test(t.preserved && t.sin_theta <= t.paper_bound,
               "2-mode coupling eps = Delta/2: count kept, below the bound 0.5", "%.4f <= %.4f",
               t.sin_theta, t.paper_bound);
    }
  }
}

/* §7c pitfall and §7b control, on the geometry C fixture (m = 7 clusters x 12 keys, d = 48). */
static void test_geometry_c(void)
{
  double *K = malloc(sizeof(double) * 84 * 48), *C = malloc(sizeof(double) * 7 * 48);
  double *H = malloc(sizeof(double) * 48 * 48), ev[48], x[48];
  spx_gap_ws *w = NULL;
  spx_gap_ws_create(48, &w);
  if (spx_fe_read_keys(SPX_TEST_DATA "/geometryC_m7_seed0_keys.tsv", 84, 48, K) ||
      spx_fe_read_keys(SPX_TEST_DATA "/geometryC_m7_seed0_centres.tsv", 7, 48, C)) {
    spx_test(0, "geometry C: fixtures", NULL);
    goto done;
  }
  int labels[84];
  for (int j = 0; j < 84; j++) labels[j] = j / 12;
  spx_gap_settings s;
  spx_gap_settings_default(&s);
  s.top = 20; /* §7b: the largest jump among the top 20 eigenvalues */

  /* Tolerance counts #{beta lambda(Cov) > 1e-3} of §7b's table at the barycentres x_k. */
  const double betas[5] = {1, 4, 16, 64, 256};
  const int tol_counts[5][6] = {{6, 6, 6, 6, 6, 6},
                                {8, 7, 7, 7, 7, 7},
                                {23, 26, 27, 29, 29, 30},
                                {23, 32, 36, 40, 42, 45},
                                {23, 33, 39, 45, 48, 48}};
  for (int bi = 0; bi < 5; bi++) {
    int tol_ok = 1, gap_ok = 1, neff_ok = 1;
    char got[256] = "", gotg[256] = "", gotn[256] = "";
    double jmin = INFINITY, jmax = 0, rmin = INFINITY;
    spx_fe *fe = NULL;
    spx_fe_create(SPX_FE_ATTENTION, 84, 48, betas[bi], K, &fe);
    for (int k = 2; k <= 7; k++) {
      for (int c = 0; c < 48; c++) {
        x[c] = 0;
        for (int a = 0; a < k; a++) x[c] += C[a * 48 + c] / k;
      }
      spx_fe_eval(fe, x, NULL, NULL, H);
      spx_gap_eigen(w, H, ev, NULL); /* ascending */
      int tc = spx_gap_count(48, ev, 1e-3);
      tol_ok &= tc == tol_counts[bi][k - 2];
      snprintf(got + strlen(got), sizeof got - strlen(got), "%d ", tc);
      spx_gap g;
      spx_gap_find(48, ev, &s, &g);
      int want = betas[bi] >= 64 ? k - 1 : (betas[bi] <= 4 ? 6 : g.count);
      gap_ok &= g.count == want;
      jmin = fmin(jmin, g.jump);
      jmax = fmax(jmax, g.jump);
      rmin = fmin(rmin, g.relgap);
      snprintf(gotg + strlen(gotg), sizeof gotg - strlen(gotg), "%d ", g.count);
      double ne = spx_fe_cluster_neff(fe, 7, labels);
      if (betas[bi] >= 64) neff_ok &= fabs(ne - k) <= 0.13;
      snprintf(gotn + strlen(gotn), sizeof gotn - strlen(gotn), "%.3f ", ne);
    }
    spx_fe_free(fe);
    char name[128];
    snprintf(name, sizeof name, "symmetric queries beta = %g: tolerance counts of spec 7b", betas[bi]);
    spx_test(tol_ok, name, "k=2..7: %s", got);
    if (betas[bi] >= 64) {
      snprintf(name, sizeof name, "symmetric queries beta = %g: gap count = k - 1 (8.18)", betas[bi]);
      spx_test(gap_ok && rmin >= 0.73 - 5e-3 && jmin > 100, name, "%s jumps %.0f..%.0f relgap >= %.3f",
               gotg, jmin, jmax, rmin);
      snprintf(name, sizeof name, "symmetric queries beta = %g: |N_eff - k| <= 0.13", betas[bi]);
      spx_test(neff_ok, name, "%s", gotn);
    } else if (betas[bi] <= 4) {
      snprintf(name, sizeof name, "symmetric queries beta = %g: gap count = m - 1 = 6", betas[bi]);
      spx_test(gap_ok, name, "%s", gotg);
    }
  }

  /* §7c pitfall: 3 clusters (36 keys) in d = 48, rank N - 1 = 35. The absolute floor finds the
   * jump bulk -> exact zeros (count 35), the relative floor the m - 1 = 2 cluster modes. */
  {
    spx_fe *fe = NULL;
    spx_fe_create(SPX_FE_ATTENTION, 36, 48, 1.0, K, &fe);
    for (int c = 0; c < 48; c++) x[c] = (C[c] + C[48 + c] + C[96 + c]) / 3;
    spx_fe_eval(fe, x, NULL, NULL, H);
    spx_gap_eigen(w, H, ev, NULL);
    spx_gap ga, gr;
    spx_gap_settings sa, sr;
    spx_gap_settings_default(&sa);
    spx_gap_settings_default(&sr);
    sa.floor_rel = 0.0;
    spx_gap_find(48, ev, &sa, &ga);
    spx_gap_find(48, ev, &sr, &gr);
    spx_test(ga.count == 35, "pitfall 7c: absolute floor counts N - 1 = 35 (bulk -> zeros)",
             "count %d", ga.count);
    spx_test(gr.count == 2 && gr.well_posed, "pitfall 7c: relative floor counts m - 1 = 2",
             "count %d relgap %.3f", gr.count, gr.relgap);
    spx_fe_free(fe);
  }
done:
  spx_gap_ws_free(w);
  free(K);
  free(C);
  free(H);
}

/* "No gap: the count is ill-posed" (7b) and the boundary cases of the finder. */
static void test_no_gap(void)
{
  double ev[24];
  spx_gap_settings s;
  spx_gap g;
  spx_gap_settings_default(&s);
  /* Evenly spaced spectrum -1 .. -0.5: largest jump 1/(1 - 0.5/23) ~ 1.02, relgap 0.5/23 < 0.05. */
  for (int i = 0; i < 24; i++) ev[i] = -1.0 + 0.5 * i / 23.0;
  spx_gap_find(24, ev, &s, &g);
  spx_test(!g.well_posed && strcmp(spx_gap_verdict(&g), "no gap: count ill-posed") == 0,
           "evenly spaced spectrum: no gap, count ill-posed", "relgap %.4f (= 0.5/23)", g.relgap);
  spx_test_abs("evenly spaced spectrum: relgap = (0.5/23)/1", g.relgap, 0.5 / 23.0, 1e-14);
  /* Positive semidefinite: dim E_- = 0 for every theta > 0 (well posed). */
  for (int i = 0; i < 24; i++) ev[i] = 0.1 * i;
  spx_gap_find(24, ev, &s, &g);
  spx_test(g.well_posed && g.count == 0, "H >= 0: dim E_- = 0, well posed", "count %d", g.count);
  /* Rank one: the gap is to the null space. */
  for (int i = 0; i < 24; i++) ev[i] = i == 0 ? -2.0 : 1e-17 * i;
  spx_gap_find(24, ev, &s, &g);
  spx_test(g.well_posed && g.count == 1 && g.theta == 1.0, "rank one: count 1, theta_0 = |lambda_1|/2",
           "count %d theta %.3g", g.count, g.theta);
  /* Saddle (indefinite): two negatives separated by a factor 10, then positive. */
  double e4[4] = {-3.0, -0.3, 0.2, 1.0};
  spx_gap_find(4, e4, &s, &g);
  spx_test(g.count == 1 && g.well_posed && fabs(g.delta - 2.7) < 1e-15,
           "indefinite: largest jump among the negatives (-3 | -0.3)", "count %d delta %.3g", g.count,
           g.delta);
  /* to_null ([ours]): the jump -0.3 -> floor 3e-8 (1e7) beats -3 -> -0.3 (10): all negatives,
   * the gap (-0.3, 0) with Delta 0.3, theta_0 0.15, relgap 0.1. */
  s.to_null = 1;
  spx_gap_find(4, e4, &s, &g);
  spx_test(g.count == 2 && g.index == 1 && g.lambda_hi == 0.0 && fabs(g.delta - 0.3) < 1e-15 &&
               fabs(g.theta - 0.15) < 1e-15 && fabs(g.relgap - 0.1) < 1e-15 && g.well_posed,
           "to_null: gap from the least negative eigenvalue to 0, count = all negatives",
           "count %d delta %.3g theta %.3g relgap %.3g", g.count, g.delta, g.theta, g.relgap);
  /* ... but an internal jump larger than the null one still wins: -1 and -1e-7 (jump 1e7 vs
   * 1e-7/1e-8 = 10) */
  double e5[4] = {-1.0, -1e-7, 0.5, 2.0};
  spx_gap_find(4, e5, &s, &g);
  spx_test(g.count == 1 && g.index == 0, "to_null: a larger internal jump is still chosen",
           "count %d", g.count);
  /* rank one with to_null: the same gap as the spec's boundary rule */
  for (int i = 0; i < 24; i++) ev[i] = i == 0 ? -2.0 : 1e-17 * i;
  spx_gap_find(24, ev, &s, &g);
  spx_test(g.well_posed && g.count == 1 && g.theta == 1.0, "to_null, rank one: count 1, theta_0 1",
           "count %d theta %.3g", g.count, g.theta);
}

static void test_errors(void)
{
  spx_gap_ws *w0 = NULL;
  spx_gap_settings s;
  spx_gap g;
  double ev[3] = {-1, -3, 0}, P[9], H[9] = {1, 0, 0, 0, NAN, 0, 0, 0, 1}, e3[3];
  spx_gap_settings_default(&s);
  spx_test(spx_gap_ws_create(0, &w0) == SPX_EINVAL && !w0, "error: workspace of size 0", NULL);
  spx_test(spx_gap_find(3, ev, &s, &g) == SPX_EINVAL, "error: unsorted eigenvalues", NULL);
  spx_gap_ws *w3 = NULL;
  spx_gap_ws_create(3, &w3);
  spx_test(spx_gap_eigen(w3, H, e3, NULL) == SPX_ENONFINITE, "error: NaN in the matrix", NULL);
  double I3[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  spx_test(spx_riesz_projector(3, I3, 0, 1, 0, P, NULL, NULL) == SPX_EINVAL,
           "error: Riesz projector with M = 0", NULL);
  spx_gap none;
  double e0[3] = {0.1, 0.2, 0.3};
  spx_gap_find(3, e0, &s, &none);
  spx_gap_perturb_stats st;
  spx_test(spx_gap_perturb_study(w3, I3, I3, &none, 0.5, 3, NULL, &st) == SPX_EINVAL,
           "error: perturbation study without a gap", NULL);
  spx_gap_ws_free(w3);
}

int main(void)
{
  gsl_set_error_handler_off();
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 7);
  spx_gap_ws *w = NULL;
  spx_gap_ws_create(D, &w);
  test_finder_geometry_a(w);
  test_plateau_and_riesz(w);
  test_perturbations(w, rng);
  test_geometry_c();
  test_no_gap();
  test_errors();
  spx_gap_ws_free(w);
  gsl_rng_free(rng);
  return spx_test_summary();
}
