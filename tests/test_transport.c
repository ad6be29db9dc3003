/* test_transport.c -- tests of sim/transport.c against spec transport_routing.md.
 *
 * Every expected number is the spec's (exact rationals of the P1-2 / P1-7 tables, the decimals of
 * P1-5 / P1-6 / P2-6) or mathematics (closed forms, transpose identities, Cheeger's inequality,
 * Cauchy-Schwarz, Bendixson, the softmax reversibility identities of §2.2). Random inputs come
 * from a fixed GSL seed; no expected value was read off the code's output.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_lambert.h>

#include "config.h"
#include "harness.h"
#include "mat.h"
#include "solver.h"
#include "status.h"
#include "transport.h"
#include "transport_run.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static double maxdiff(long len, const double *a, const double *b)
{
  double m = 0.0;
  for (long i = 0; i < len; i++) m = fmax(m, fabs(a[i] - b[i]));
  return m;
}

static void transpose_sq(int n, const double *A, double *B) { spx_mat_transpose(n, n, A, B); }

static void gaussian(gsl_rng *rng, int len, double *x)
{
  for (int i = 0; i < len; i++) x[i] = gsl_ran_gaussian(rng, 1.0);
}

/* n unit vectors of R^d (rows of X), uniform on the sphere. */
static void unit_rows(gsl_rng *rng, int n, int d, double *X)
{
  gaussian(rng, n * d, X);
  for (int i = 0; i < n; i++) {
    double s = 0.0;
    for (int a = 0; a < d; a++) s += X[i * d + a] * X[i * d + a];
    for (int a = 0; a < d; a++) X[i * d + a] /= sqrt(s);
  }
}

/* Softmax attention of n random particles with logit form M = Q^T K, Q != K (random Gaussian). */
static void random_softmax(gsl_rng *rng, int n, int d, double beta, spx_mask mask, int window,
                           double *A, double *logZ)
{
  double *X = malloc(sizeof(double) * n * d), *Q = malloc(sizeof(double) * d * d),
         *K = malloc(sizeof(double) * d * d), *Qt = malloc(sizeof(double) * d * d),
         *M = malloc(sizeof(double) * d * d), *work = malloc(sizeof(double) * n * d);
  unit_rows(rng, n, d, X);
  gaussian(rng, d * d, Q);
  gaussian(rng, d * d, K);
  spx_mat_transpose(d, d, Q, Qt);
  spx_mat_mul(d, d, d, Qt, K, M);
  spx_attention_logits(n, d, X, M, beta, work, A);
  spx_attention_softmax(n, A, mask, window, A, logZ);
  free(X);
  free(Q);
  free(K);
  free(Qt);
  free(M);
  free(work);
}

/* Harmonic numbers H_m and H_m^(2). */
static double harmonic(int m, int p)
{
  double s = 0.0;
  for (int k = m; k >= 1; k--) s += 1.0 / pow(k, p);
  return s;
}

/* ---- P1-2: exact rational tables of the uniform causal landscape ---------------------------- */

static void test_exact_tables(void)
{
  static const double tab[][8] = {
      {1.0 / 3},
      {5.0 / 17, 1.0 / 2},
      {13.0 / 37, 7.0 / 17, 3.0 / 5},
      {77.0 / 197, 47.0 / 133, 27.0 / 53, 2.0 / 3},
      {29.0 / 69, 19.0 / 59, 37.0 / 83, 11.0 / 19, 5.0 / 7},
      {223.0 / 503, 153.0 / 433, 319.0 / 801, 107.0 / 208, 65.0 / 103, 3.0 / 4},
      {481.0 / 1041, 341.0 / 901, 743.0 / 2057, 533.0 / 1147, 365.0 / 643, 45.0 / 67, 7.0 / 9},
  };
  static const int argmin[] = {1, 1, 1, 2, 2, 2, 3};
  char name[128];
  double A[81], phi[8];
  for (int n = 2; n <= 8; n++) {
    spx_transport *w = NULL;
    spx_attention_uniform_causal(n, A);
    int st = spx_transport_alloc(n, &w);
    st = st ? st : spx_transport_landscape(w, A, NULL);
    spx_test(st == SPX_OK, "P1-2 landscape runs", "n = %d status %d", n, st);
    if (st) continue;
    double emax = 0.0, cmax = 0.0, pmin = 1e300;
    int tmin = 0;
    spx_cheeger_uniform_landscape(n, phi, NULL, NULL);
    for (int t = 1; t < n; t++) {
      emax = fmax(emax, fabs(w->phi[t - 1] - tab[n - 2][t - 1]));
      cmax = fmax(cmax, fabs(phi[t - 1] - tab[n - 2][t - 1]));
      cmax = fmax(cmax, fabs(spx_cheeger_uniform_causal(n, t) - tab[n - 2][t - 1]));
      if (tab[n - 2][t - 1] < pmin) {
        pmin = tab[n - 2][t - 1];
        tmin = t;
      }
    }
    snprintf(name, sizeof name, "P1-2 n=%d matrix landscape = exact table", n);
    spx_test_abs(name, emax, 0.0, 1e-14);
    snprintf(name, sizeof name, "P1-2 n=%d closed form = exact table", n);
    spx_test_abs(name, cmax, 0.0, 1e-14);
    snprintf(name, sizeof name, "P1-2 n=%d argmin", n);
    spx_test(w->t_min == argmin[n - 2] && tmin == argmin[n - 2], name, "got %d, table %d",
             w->t_min, argmin[n - 2]);
    snprintf(name, sizeof name, "P1-2 n=%d min", n);
    spx_test_abs(name, w->phi_min, pmin, 1e-14);
    spx_transport_free(w);
  }
  /* n = 9: 2509/7549 at t = 3 (the minimum) and 4/5 at t = 8. */
  spx_transport *w = NULL;
  spx_attention_uniform_causal(9, A);
  if (spx_transport_alloc(9, &w) == SPX_OK && spx_transport_landscape(w, A, NULL) == SPX_OK) {
    spx_test_abs("P1-2 n=9 phi(3) = 2509/7549", w->phi[2], 2509.0 / 7549, 1e-14);
    spx_test_abs("P1-2 n=9 phi(8) = 4/5", w->phi[7], 0.8, 1e-14);
    spx_test(w->t_min == 3, "P1-2 n=9 argmin t = 3", "got %d", w->t_min);
    spx_test_abs("P1-2 n=9 min = 2509/7549", w->phi_min, 2509.0 / 7549, 1e-14);
  } else {
    spx_test(0, "P1-2 n=9 landscape runs", NULL);
  }
  spx_transport_free(w);
}

/* ---- closed form = matrix landscape for larger n; phi(n-1) = (n-1)/(n+1); volume ------------ */

static void test_closed_form_vs_matrix(void)
{
  static const int ns[] = {2, 3, 10, 17, 64, 300, 1000};
  char name[128];
  for (size_t k = 0; k < sizeof ns / sizeof *ns; k++) {
    int n = ns[k];
    double *A = malloc(sizeof(double) * n * n), *phi = malloc(sizeof(double) * n);
    spx_transport *w = NULL;
    spx_attention_uniform_causal(n, A);
    int st = spx_transport_alloc(n, &w);
    st = st ? st : spx_transport_landscape(w, A, NULL);
    st = st ? st : spx_transport_operator(w, A);
    spx_cheeger_uniform_landscape(n, phi, NULL, NULL);
    double e = 0.0;
    for (int t = 1; t < n && !st; t++) e = fmax(e, fabs(w->phi[t - 1] - phi[t - 1]) / phi[t - 1]);
    snprintf(name, sizeof name, "P1-2 n=%d matrix landscape = closed form, every t (rel)", n);
    spx_test(!st && e <= 1e-12, name, "max rel err %.3g", e);
    snprintf(name, sizeof name, "P1-1 n=%d volume sum d_i = n", n);
    if (!st) spx_test_rel(name, w->volume, n, 1e-14);
    /* J(t) = +1 for every t of a causal A (§1.5). */
    double jerr = 0.0;
    for (int t = 1; t < n && !st; t++) jerr = fmax(jerr, fabs(w->flux[t - 1] - 1.0));
    snprintf(name, sizeof name, "J(t) = +1 for causal A, n=%d", n);
    spx_test(!st && jerr == 0.0, name, "max |J - 1| %.3g", jerr);
    spx_transport_free(w);
    free(A);
    free(phi);
  }
  double emax = 0.0;
  static double phi[2000];
  for (int n = 2; n <= 2000; n++) {
    spx_cheeger_uniform_landscape(n, phi, NULL, NULL);
    emax = fmax(emax, fabs(phi[n - 2] - (n - 1.0) / (n + 1.0)));
  }
  spx_test_abs("P1-2 phi(n-1) = (n-1)/(n+1) for n = 2..2000", emax, 0.0, 1e-14);
}

/* ---- P1-5: worst cut, asymptote and finite-n minima ---------------------------------------- */

static void test_worst_cut(void)
{
  double x = 0.0, ph = 0.0;
  int st = spx_cheeger_worst_cut(&x, &ph);
  spx_test(st == SPX_OK, "P1-5 Brent on x(2 - ln x) = 1 converges", "status %d", st);
  spx_test_abs("P1-5 x* = 0.317844432899", x, 0.317844432899, 1e-10);
  spx_test_abs("P1-5 phi* = 1 - 2x* = 0.364311134201", ph, 0.364311134201, 1e-10);
  spx_test_abs("P1-5 phi* = x* ln(1/x*)", ph, x * log(1.0 / x), 1e-14);
  /* x* = exp(2 + W_{-1}(-e^{-2})) (lower Lambert branch), an independent route. */
  spx_test_abs("P1-5 x* = exp(2 + W_-1(-e^-2))", x, exp(2.0 + gsl_sf_lambert_Wm1(-exp(-2.0))),
               1e-13);
  static const struct { int n, t; double phi; } fin[] = {
      {1000, 318, 0.363996}, {10000, 3179, 0.364316}, {100000, 31785, 0.364312}};
  double *phi = malloc(sizeof(double) * 100000);
  char name[128];
  for (int k = 0; k < 3; k++) {
    double pmin;
    int tmin;
    spx_cheeger_uniform_landscape(fin[k].n, phi, &pmin, &tmin);
    snprintf(name, sizeof name, "P1-5 n=%d argmin t = %d", fin[k].n, fin[k].t);
    spx_test(tmin == fin[k].t, name, "got %d", tmin);
    snprintf(name, sizeof name, "P1-5 n=%d min phi = %.6f (6 decimals)", fin[k].n, fin[k].phi);
    spx_test_abs(name, pmin, fin[k].phi, 5e-7);
    /* The single-t closed form agrees with the O(n) landscape at the argmin. */
    snprintf(name, sizeof name, "P1-5 n=%d single-t closed form at argmin", fin[k].n);
    spx_test_rel(name, spx_cheeger_uniform_causal(fin[k].n, tmin), pmin, 1e-12);
  }
  free(phi);
}

/* ---- P1-4: the 1/5 floor, and the infimum 5/17 at (n,t) = (3,1) ----------------------------- */

static void test_floor(void)
{
  static double phi[2000];
  double gmin = INFINITY;
  int gn = 0, gt = 0, below = 0;
  for (int n = 2; n <= 2000; n++) {
    double pmin;
    int tmin;
    spx_cheeger_uniform_landscape(n, phi, &pmin, &tmin);
    if (!(pmin > 0.2)) below++;
    if (pmin < gmin) {
      gmin = pmin;
      gn = n;
      gt = tmin;
    }
  }
  spx_test(below == 0, "P1-4 phi_unif(n,t) > 1/5 for every t and every n <= 2000",
           "%d values of n at or below the floor", below);
  spx_test_abs("P1-4 min over n <= 2000 is 5/17", gmin, 5.0 / 17, 1e-15);
  spx_test(gn == 3 && gt == 1, "P1-4 the minimum is at n = 3, t = 1", "got n = %d, t = %d", gn,
           gt);
}

/* ---- P1-7: window attention ------------------------------------------------------------------ */

static void test_window(void)
{
  static const struct { int n, w, p, q; } tab[] = {
      {8, 2, 1, 15},  {8, 3, 1, 7},   {8, 4, 1, 5},  {6, 3, 1, 5},  {10, 3, 1, 9}, {12, 4, 3, 23},
      {16, 2, 1, 31}, {16, 4, 3, 31}, {24, 6, 5, 47}, {32, 4, 1, 21}, {32, 8, 1, 9}};
  char name[160];
  for (size_t k = 0; k < sizeof tab / sizeof *tab; k++) {
    int n = tab[k].n, wd = tab[k].w, valid = 0;
    double expect = (double)tab[k].p / tab[k].q, f = 0.0;
    double *A = malloc(sizeof(double) * n * n);
    spx_transport *w = NULL;
    int st = spx_attention_window(n, wd, A);
    st = st ? st : spx_transport_alloc(n, &w);
    st = st ? st : spx_transport_landscape(w, A, NULL);
    st = st ? st : spx_cheeger_window_min(n, wd, &f, &valid);
    snprintf(name, sizeof name, "P1-7 (n,w) = (%d,%d): matrix landscape min = %d/%d", n, wd,
             tab[k].p, tab[k].q);
    if (!st) spx_test_abs(name, w->phi_min, expect, 1e-14);
    else spx_test(0, name, "status %d", st);
    snprintf(name, sizeof name, "P1-7 (n,w) = (%d,%d): formula ((w-1)/2)/(n-delta) = %d/%d, valid",
             n, wd, tab[k].p, tab[k].q);
    spx_test(!st && valid && fabs(f - expect) <= 1e-15, name, "got %.15g valid %d", f, valid);
    spx_transport_free(w);
    free(A);
  }
  /* (16, 8): outside the formula's range; the general causal formula gives 65/289. */
  {
    double f = 0.0, best = INFINITY, A[256];
    int valid = 1;
    spx_transport *w = NULL;
    spx_cheeger_window_min(16, 8, &f, &valid);
    spx_test(!valid, "P1-7 (16,8) lies outside the window formula's range", "valid %d", valid);
    for (int t = 1; t < 16; t++)
      best = fmin(best, spx_cheeger_causal(16, t, spx_cheeger_window_cross(16, 8, t)));
    spx_test_abs("P1-7 (16,8) general causal formula min = 65/289", best, 65.0 / 289, 1e-14);
    spx_attention_window(16, 8, A);
    if (spx_transport_alloc(16, &w) == SPX_OK && spx_transport_landscape(w, A, NULL) == SPX_OK)
      spx_test_abs("P1-7 (16,8) matrix landscape min = 65/289", w->phi_min, 65.0 / 289, 1e-14);
    else spx_test(0, "P1-7 (16,8) landscape runs", NULL);
    spx_test(w && w->phi_min > 0.2, "P1-7 (16,8) is above the 1/5 floor", NULL);
    spx_transport_free(w);
  }
  /* Across all 2 <= w <= n <= 40: C(t) = (w-1)/2 on [w-1, n-w+1]; the window C(t) equals the
   * matrix's cross mass for every t; "valid" holds exactly when the formula is the matrix
   * landscape's minimum; it holds for n >= 5(w-1)/2 and whenever the formula pierces 1/5;
   * w = 2 gives 1/(2n-1); "pierces the floor iff n - delta > 5(w-1)/2". */
  double cerr = 0.0, xerr = 0.0, w2err = 0.0;
  int nvalid = 0, valid_bad = 0, range_bad = 0, pierce_bad = 0;
  for (int n = 2; n <= 40; n++) {
    spx_transport *w = NULL;
    double *A = malloc(sizeof(double) * n * n);
    if (spx_transport_alloc(n, &w) != SPX_OK) break;
    for (int wd = 2; wd <= n; wd++) {
      spx_attention_window(n, wd, A);
      spx_transport_landscape(w, A, NULL);
      for (int t = 1; t < n; t++) {
        double C = spx_cheeger_window_cross(n, wd, t), Cm = 0.0;
        for (int i = t; i < n; i++)
          for (int j = 0; j < t; j++) Cm += A[i * n + j];
        xerr = fmax(xerr, fabs(C - Cm) / fmax(C, 1.0));
        if (t >= wd - 1 && t <= n - wd + 1) cerr = fmax(cerr, fabs(C - 0.5 * (wd - 1)));
      }
      double f = 0.0;
      int valid = 0;
      spx_cheeger_window_min(n, wd, &f, &valid);
      int equal = fabs(f - w->phi_min) <= 1e-14;
      nvalid += valid;
      if (valid != equal) valid_bad++;
      if (n >= 2.5 * (wd - 1) && !valid) range_bad++;
      if (f < 0.2 && !valid) range_bad++;
      if (valid) {
        double c = 0.5 * (wd - 1), u = n - c, delta = fabs(u - 2.0 * nearbyint(0.5 * u));
        if ((w->phi_min < 0.2 - 1e-14) != (n - delta > 2.5 * (wd - 1) + 1e-12)) pierce_bad++;
      }
      if (wd == 2) w2err = fmax(w2err, fabs(w->phi_min - 1.0 / (2.0 * n - 1.0)));
    }
    spx_transport_free(w);
    free(A);
  }
  spx_test_abs("P1-7 C(t) = (w-1)/2 exactly for w-1 <= t <= n-w+1 (all n <= 40)", cerr, 0.0,
               1e-14);
  spx_test_abs("P1-7 window C(t) closed sum = matrix cross mass (all n <= 40, t; rel)", xerr, 0.0,
               1e-14);
  spx_test(nvalid > 100 && valid_bad == 0,
           "P1-7 valid iff formula = matrix landscape min (all 2 <= w <= n <= 40)",
           "%d valid, %d mismatches", nvalid, valid_bad);
  spx_test(range_bad == 0, "P1-7 formula valid for n >= 5(w-1)/2 and whenever it pierces 1/5",
           "%d exceptions", range_bad);
  spx_test(pierce_bad == 0, "P1-7 pierces the floor iff n - delta > 5(w-1)/2 (valid range)",
           "%d mismatches", pierce_bad);
  spx_test_abs("P1-7 w = 2: phi_min = 1/(2n-1) for n = 2..40", w2err, 0.0, 1e-15);
}

/* ---- P1-6, P1-8: spectral gap, Cheeger, reference patterns ---------------------------------- */

static void test_spectral(void)
{
  double A[16 * 16], phi;
  spx_transport *w = NULL;
  /* n = 2 uniform causal: eig(S_T) = {7/15, 1}, lambda_2 = 8/15. */
  spx_attention_uniform_causal(2, A);
  if (spx_transport_alloc(2, &w) == SPX_OK && spx_transport_operator(w, A) == SPX_OK &&
      spx_transport_spectrum(w) == SPX_OK) {
    spx_test_abs("P1-6 n=2 lambda_2 = 8/15", w->lambda2, 8.0 / 15, 1e-15);
    spx_test_abs("P1-6 n=2 eig(S_T) = {1, 7/15}: lap[0] = 0", w->lap[0], 0.0, 1e-15);
    spx_test_abs("P1-6 n=2 Cheeger lower lambda_2/2 = 0.2667 (4/15)", 0.5 * w->lambda2, 4.0 / 15,
                 1e-15);
    spx_test_abs("P1-6 n=2 Cheeger upper sqrt(2 lambda_2) = 1.0328", sqrt(2.0 * w->lambda2),
                 1.0328, 5e-5);
  } else spx_test(0, "P1-6 n=2 runs", NULL);
  spx_transport_free(w);
  w = NULL;
  /* n = 3: eigvalsh(S_T) = {0.306653, 0.444684, 1} (§1.5, 6 decimals). */
  spx_attention_uniform_causal(3, A);
  if (spx_transport_alloc(3, &w) == SPX_OK && spx_transport_operator(w, A) == SPX_OK &&
      spx_transport_spectrum(w) == SPX_OK) {
    spx_test_abs("§1.5 n=3 eig(S_T) max = 1", 1.0 - w->lap[0], 1.0, 1e-15);
    spx_test_abs("§1.5 n=3 eig(S_T) middle = 0.444684", 1.0 - w->lap[1], 0.444684, 5e-7);
    spx_test_abs("§1.5 n=3 eig(S_T) min = 0.306653", 1.0 - w->lap[2], 0.306653, 5e-7);
  } else spx_test(0, "§1.5 n=3 runs", NULL);
  spx_transport_free(w);
  w = NULL;
  /* Cheeger inequality and the full minimum for uniform causal n = 2..9 (>= 5/17, §1.4). */
  int cheeger_ok = 1, floor_ok = 1;
  for (int n = 2; n <= 9; n++) {
    spx_attention_uniform_causal(n, A);
    if (spx_transport_alloc(n, &w) || spx_transport_operator(w, A) || spx_transport_spectrum(w) ||
        spx_transport_phi_exhaustive(n, A, &phi, NULL)) {
      cheeger_ok = 0;
      spx_transport_free(w);
      continue;
    }
    if (!(0.5 * w->lambda2 <= phi && phi <= sqrt(2.0 * w->lambda2))) cheeger_ok = 0;
    if (phi < 5.0 / 17 - 1e-15) floor_ok = 0;
    if (n == 3) spx_test_abs("§1.4 n=3 full Cheeger constant = 5/17", phi, 5.0 / 17, 1e-15);
    spx_transport_free(w);
    w = NULL;
  }
  spx_test(cheeger_ok, "P1-6 lambda_2/2 <= phi <= sqrt(2 lambda_2), uniform causal n = 2..9", NULL);
  spx_test(floor_ok, "§1.4 full Cheeger constant >= 5/17 for n <= 9 (all 2^n subsets)", NULL);

  /* P1-8: full uniform phi = ceil(n/2)/n, lambda_2 = 1, G = 0; sink phi = 1; identity phi = 0. */
  for (int n = 2; n <= 6; n++) {
    char name[128];
    double expect = (double)((n + 1) / 2) / n;
    spx_attention_uniform_full(n, A);
    if (spx_transport_alloc(n, &w) || spx_transport_operator(w, A) || spx_transport_spectrum(w) ||
        spx_transport_landscape(w, A, NULL) || spx_transport_phi_exhaustive(n, A, &phi, NULL)) {
      spx_test(0, "P1-8 full uniform runs", NULL);
      spx_transport_free(w);
      w = NULL;
      continue;
    }
    snprintf(name, sizeof name, "P1-8 full uniform n=%d: exhaustive phi = ceil(n/2)/n", n);
    spx_test_abs(name, phi, expect, 1e-15);
    snprintf(name, sizeof name, "P1-8 full uniform n=%d: prefix min = ceil(n/2)/n", n);
    spx_test_abs(name, w->phi_min, expect, 1e-15);
    snprintf(name, sizeof name, "P1-8 full uniform n=%d: lambda_2 = 1", n);
    spx_test_abs(name, w->lambda2, 1.0, 1e-14);
    snprintf(name, sizeof name, "P1-8 full uniform n=%d: G = 0", n);
    spx_test_abs(name, w->G, 0.0, 0.0);
    spx_transport_free(w);
    w = NULL;
  }
  for (int n = 2; n <= 12; n += 5) {
    char name[128];
    spx_attention_sink(n, A);
    if (spx_transport_alloc(n, &w) || spx_transport_landscape(w, A, NULL) ||
        spx_transport_phi_exhaustive(n, A, &phi, NULL)) {
      spx_test(0, "P1-8 sink runs", NULL);
      spx_transport_free(w);
      w = NULL;
      continue;
    }
    double e = 0.0;
    for (int t = 1; t < n; t++) e = fmax(e, fabs(w->phi[t - 1] - 1.0));
    snprintf(name, sizeof name, "P1-8 sink n=%d: phi(t) = 1 for every t", n);
    spx_test_abs(name, e, 0.0, 1e-15);
    snprintf(name, sizeof name, "P1-8 sink n=%d: full Cheeger constant = 1", n);
    spx_test_abs(name, phi, 1.0, 1e-15);
    spx_transport_free(w);
    w = NULL;
  }
  spx_attention_window(7, 1, A);
  if (spx_transport_alloc(7, &w) == SPX_OK && spx_transport_landscape(w, A, NULL) == SPX_OK &&
      spx_transport_phi_exhaustive(7, A, &phi, NULL) == SPX_OK) {
    spx_test_abs("P1-8 identity (w = 1): prefix phi = 0", w->phi_min, 0.0, 0.0);
    spx_test_abs("P1-8 identity (w = 1): full phi = 0", phi, 0.0, 0.0);
  } else spx_test(0, "P1-8 identity runs", NULL);
  spx_transport_free(w);
}

/* ---- P1-9: orientation blindness; P1-11 the Lipschitz converse ------------------------------ */

typedef struct {
  double *ST, *KT, *lap, *phi, *flux, *re, *im;
  double lambda2, G, normS, sweep, exh, nu;
} diag_copy;

static int run_all(spx_transport *w, const double *A, diag_copy *c)
{
  int n = w->n, st;
  if ((st = spx_transport_operator(w, A)) || (st = spx_transport_spectrum(w)) ||
      (st = spx_transport_sweep(w, A)) || (st = spx_transport_T_eigen(w, c->re, c->im)) ||
      (st = spx_transport_landscape(w, A, NULL)))
    return st;
  memcpy(c->ST, w->ST, sizeof(double) * n * n);
  memcpy(c->KT, w->KT, sizeof(double) * n * n);
  memcpy(c->lap, w->lap, sizeof(double) * n);
  memcpy(c->phi, w->phi, sizeof(double) * (n - 1));
  memcpy(c->flux, w->flux, sizeof(double) * (n - 1));
  c->lambda2 = w->lambda2;
  c->G = w->G;
  c->normS = w->norm_S;
  c->sweep = w->phi_sweep;
  c->nu = spx_transport_nu(n, w->T);
  c->exh = NAN;
  if (n <= 12) st = spx_transport_phi_exhaustive(n, A, &c->exh, NULL);
  return st;
}

static void diag_alloc(int n, diag_copy *c)
{
  c->ST = malloc(sizeof(double) * n * n);
  c->KT = malloc(sizeof(double) * n * n);
  c->lap = malloc(sizeof(double) * n);
  c->phi = malloc(sizeof(double) * n);
  c->flux = malloc(sizeof(double) * n);
  c->re = malloc(sizeof(double) * n);
  c->im = malloc(sizeof(double) * n);
}

static void diag_free(diag_copy *c)
{
  free(c->ST);
  free(c->KT);
  free(c->lap);
  free(c->phi);
  free(c->flux);
  free(c->re);
  free(c->im);
}

/* Spectra of T(A) and T(A^T) as multisets: each eigenvalue of one matched to the nearest
 * unused one of the other (robust to the order of nearly equal real parts). */
static double spectrum_distance(int n, const double *re1, const double *im1, const double *re2,
                                const double *im2)
{
  int *used = calloc(n, sizeof(int));
  double worst = 0.0;
  for (int i = 0; i < n; i++) {
    int best = -1;
    double bd = INFINITY;
    for (int j = 0; j < n; j++) {
      double dd = hypot(re1[i] - re2[j], im1[i] - im2[j]);
      if (!used[j] && dd < bd) {
        bd = dd;
        best = j;
      }
    }
    if (best >= 0) used[best] = 1;
    worst = fmax(worst, bd);
  }
  free(used);
  return worst;
}

/* causal: A is lower triangular, so T is too and its spectrum is its diagonal, identical for
 * T^T; a defective triangular T (windows: repeated diagonal) has ill-conditioned numerical
 * eigenvalues, so for it the exact spectrum (the diagonal) is compared instead. */
static void check_transpose(const char *label, int n, const double *A, int causal)
{
  char name[200];
  double *At = malloc(sizeof(double) * n * n), *E = malloc(sizeof(double) * n * n);
  diag_copy a, b;
  spx_transport *w = NULL;
  diag_alloc(n, &a);
  diag_alloc(n, &b);
  transpose_sq(n, A, At);
  int st = spx_transport_alloc(n, &w);
  st = st ? st : run_all(w, A, &a);
  st = st ? st : run_all(w, At, &b);
  snprintf(name, sizeof name, "P1-9 %s: diagnostics of A and A^T run", label);
  spx_test(st == SPX_OK, name, "status %d", st);
  if (st) goto done;
  double kerr = 0.0;
  for (long i = 0; i < (long)n * n; i++) kerr = fmax(kerr, fabs(a.KT[i] + b.KT[i]));
  double lerr = 0.0;
  for (int k = 0; k < n; k++) lerr = fmax(lerr, fabs(a.lap[k] - b.lap[k]));
#define SAME(what, x, y)                                                                           \
  do {                                                                                             \
    snprintf(name, sizeof name, "P1-9 %s: %s", label, what);                                      \
    spx_test_abs(name, x, y, 1e-12);                                                               \
  } while (0)
  SAME("S_T(A^T) = S_T(A)", maxdiff((long)n * n, a.ST, b.ST), 0.0);
  SAME("K_T(A^T) = -K_T(A)", kerr, 0.0);
  SAME("Laplacian spectra equal", lerr, 0.0);
  SAME("lambda_2 equal", a.lambda2, b.lambda2);
  SAME("G equal", a.G, b.G);
  SAME("||S_T|| equal", a.normS, b.normS);
  SAME("prefix landscapes phi(t) equal", maxdiff(n - 1, a.phi, b.phi), 0.0);
  SAME("Fiedler sweep phi equal", a.sweep, b.sweep);
  if (n <= 12) SAME("exhaustive phi equal", a.exh, b.exh);
  if (!causal) {
    SAME("complex spectra of T equal", spectrum_distance(n, a.re, a.im, b.re, b.im), 0.0);
  } else {
    double *da = malloc(sizeof(double) * n), *db = malloc(sizeof(double) * n),
           *zero = calloc(n, sizeof(double));
    spx_transport_operator(w, A);
    for (int i = 0; i < n; i++) da[i] = w->T[i * n + i];
    spx_transport_operator(w, At);
    for (int i = 0; i < n; i++) db[i] = w->T[i * n + i];
    SAME("spectra of T (triangular: the diagonals) equal",
         spectrum_distance(n, da, zero, db, zero), 0.0);
    free(da);
    free(db);
    free(zero);
  }
  double jerr = 0.0;
  for (int t = 0; t < n - 1; t++) jerr = fmax(jerr, fabs(a.flux[t] + b.flux[t]));
  SAME("J(t) flips sign", jerr, 0.0);
  SAME("nu(T) flips sign", a.nu, -b.nu);
#undef SAME
  if (causal) {
    snprintf(name, sizeof name, "P1-9 %s: nu(T(A)) = +1, nu(T(A^T)) = -1", label);
    spx_test(a.nu == 1.0 && b.nu == -1.0, name, "nu = %.17g, %.17g", a.nu, b.nu);
  }

  /* P1-11: f(M) = <M, E>, E_ij = sign(i - j), Lipschitz constant ||E||_F = sqrt(n(n-1)). */
  run_all(w, A, &a);
  double df = 0.0, ke = 0.0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      E[i * n + j] = (i > j) - (i < j);
      df += E[i * n + j] * (w->T[i * n + j] - w->T[j * n + i]);
      ke += E[i * n + j] * w->KT[i * n + j];
    }
  double LE = sqrt((double)n * (n - 1));
  double bound = 2.0 * LE * w->norm_K;
  snprintf(name, sizeof name, "P1-11 %s: |f(T) - f(T^T)| <= 2 ||E|| ||K_T||", label);
  spx_test_le(name, fabs(df), bound * (1.0 + 1e-14));
  snprintf(name, sizeof name, "P1-11 %s: f(T) - f(T^T) = 2 <K_T, E>", label);
  spx_test_abs(name, df, 2.0 * ke, 1e-12 * (1.0 + fabs(df)));
  snprintf(name, sizeof name, "P1-11 %s: 2 ||E|| ||K_T|| = 2 ||E|| G ||S_T||", label);
  spx_test_rel(name, bound, 2.0 * LE * w->G * w->norm_S, 1e-14);
  snprintf(name, sizeof name, "§1.3 %s: ||T||^2 = ||S_T||^2 + ||K_T||^2", label);
  spx_test_rel(name, w->norm_T * w->norm_T,
               w->norm_S * w->norm_S + w->norm_K * w->norm_K, 1e-14);
  snprintf(name, sizeof name, "§1.5 %s: ||K||^2/||T||^2 = G^2/(1+G^2)", label);
  spx_test_rel(name, w->norm_K * w->norm_K / (w->norm_T * w->norm_T),
               w->G * w->G / (1.0 + w->G * w->G), 1e-13);
done:
  spx_transport_free(w);
  diag_free(&a);
  diag_free(&b);
  free(At);
  free(E);
}

static void test_transpose(gsl_rng *rng)
{
  double *A = malloc(sizeof(double) * 40 * 40);
  spx_attention_uniform_causal(3, A);
  check_transpose("uniform causal n=3", 3, A, 1);
  spx_attention_uniform_causal(8, A);
  check_transpose("uniform causal n=8", 8, A, 1);
  spx_attention_window(12, 3, A);
  check_transpose("window (12,3)", 12, A, 1);
  spx_attention_window(32, 4, A);
  check_transpose("window (32,4)", 32, A, 1);
  random_softmax(rng, 9, 4, 2.0, SPX_MASK_NONE, 0, A, NULL);
  check_transpose("softmax Q != K n=9", 9, A, 0);
  random_softmax(rng, 40, 6, 1.5, SPX_MASK_NONE, 0, A, NULL);
  check_transpose("softmax Q != K n=40", 40, A, 0);
  random_softmax(rng, 11, 3, 3.0, SPX_MASK_CAUSAL, 0, A, NULL);
  check_transpose("causal softmax Q != K n=11", 11, A, 1);
  free(A);
}

/* ---- P1-10: G values ------------------------------------------------------------------------ */

static void test_G(gsl_rng *rng)
{
  double A[30 * 30];
  double err = 0.0;
  for (int n = 2; n <= 30; n++) {
    spx_attention_uniform_causal(n, A);
    double H = harmonic(n, 1), H2 = harmonic(n, 2);
    err = fmax(err, fabs(spx_routing_ratio(n, A) - sqrt((H - H2) / (H + H2))));
  }
  spx_test_abs("P1-10 raw uniform causal G = sqrt((H_n - H2_n)/(H_n + H2_n)), n = 2..30", err, 0.0,
               1e-14);
  spx_attention_uniform_full(7, A);
  spx_test_abs("P1-10 full uniform raw G = 0", spx_routing_ratio(7, A), 0.0, 0.0);
  /* Strictly lower triangular nonnegative: G = 1 exactly; any nonnegative M: G <= 1. */
  int n = 10;
  for (int i = 0; i < n * n; i++) A[i] = 0.0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++) A[i * n + j] = gsl_rng_uniform_pos(rng);
  spx_test_abs("P1-10 strictly lower triangular: G = 1", spx_routing_ratio(n, A), 1.0, 1e-15);
  double gmax = 0.0;
  for (int rep = 0; rep < 50; rep++) {
    for (int i = 0; i < n * n; i++) A[i] = gsl_rng_uniform(rng) * (gsl_rng_uniform(rng) < 0.5);
    gmax = fmax(gmax, spx_routing_ratio(n, A));
  }
  spx_test_le("P1-10 random nonnegative M: G <= 1 (50 draws)", gmax, 1.0);
  /* G of T for a nonnegative A also lies in [0, 1]; nu = +1 for causal A. */
  spx_transport *w = NULL;
  spx_attention_window(10, 4, A);
  if (spx_transport_alloc(10, &w) == SPX_OK && spx_transport_operator(w, A) == SPX_OK) {
    spx_test(w->G > 0.0 && w->G <= 1.0, "§1.5 G(T) in (0, 1] for window (10,4)", "G = %.6g",
             w->G);
    spx_test_abs("§1.5 G(T) = ratio(T)", w->G, spx_routing_ratio(10, w->T), 1e-14);
  } else spx_test(0, "§1.5 window G runs", NULL);
  spx_test_abs("§1.5 nu = +1 for causal A", spx_transport_nu(10, A), 1.0, 0.0);
  spx_transport_free(w);
}

/* ---- Cheeger bounds: exhaustive vs sweep vs lambda_2/2; sweep = prefix for causal ----------- */

static void test_cheeger(gsl_rng *rng)
{
  int ok_lower = 1, ok_sweep = 1, ok_prefix = 1, ok_upper = 1, runs = 0;
  double A[12 * 12];
  for (int rep = 0; rep < 12; rep++) {
    int n = 8 + rep % 5;
    spx_transport *w = NULL;
    double phi;
    random_softmax(rng, n, 3, 1.0 + 0.5 * rep, rep % 3 == 2 ? SPX_MASK_CAUSAL : SPX_MASK_NONE, 0,
                   A, NULL);
    if (spx_transport_alloc(n, &w) || spx_transport_operator(w, A) || spx_transport_spectrum(w) ||
        spx_transport_sweep(w, A) || spx_transport_landscape(w, A, NULL) ||
        spx_transport_phi_exhaustive(n, A, &phi, NULL)) {
      spx_transport_free(w);
      continue;
    }
    runs++;
    if (!(0.5 * w->lambda2 <= phi * (1 + 1e-14))) ok_lower = 0;
    if (!(phi <= w->phi_sweep * (1 + 1e-14))) ok_sweep = 0;
    if (!(phi <= w->phi_min * (1 + 1e-14))) ok_prefix = 0;
    if (!(phi <= sqrt(2.0 * w->lambda2))) ok_upper = 0;
    spx_transport_free(w);
  }
  spx_test(runs == 12, "Cheeger: 12 random softmax matrices (n = 8..12) analysed", "%d", runs);
  spx_test(ok_lower, "Cheeger: lambda_2/2 <= exhaustive phi", NULL);
  spx_test(ok_sweep, "Cheeger: exhaustive phi <= Fiedler sweep phi", NULL);
  spx_test(ok_prefix, "Cheeger: exhaustive phi <= prefix phi", NULL);
  spx_test(ok_upper, "Cheeger: exhaustive phi <= sqrt(2 lambda_2)", NULL);

  /* §1.4: for causal and banded attention the Fiedler vector is monotone in position, so the
   * sweep cuts are the prefix cuts and both minima agree. */
  static const struct { int n, w; } cases[] = {{16, 16}, {64, 64}, {16, 2}, {32, 4}};
  for (int k = 0; k < 4; k++) {
    int n = cases[k].n;
    double *B = malloc(sizeof(double) * n * n);
    spx_transport *w = NULL;
    char name[128];
    spx_attention_window(n, cases[k].w, B); /* w = n is uniform causal */
    int st = spx_transport_alloc(n, &w);
    st = st ? st : spx_transport_operator(w, B);
    st = st ? st : spx_transport_spectrum(w);
    st = st ? st : spx_transport_sweep(w, B);
    st = st ? st : spx_transport_landscape(w, B, NULL);
    int mono = 1;
    for (int i = 0; !st && i < n; i++) /* the order is the identity or its reverse */
      if (w->order[i] != i && w->order[i] != n - 1 - i) mono = 0;
    snprintf(name, sizeof name, "§1.4 (n,w) = (%d,%d): Fiedler order is monotone in position", n,
             cases[k].w);
    spx_test(!st && mono, name, NULL);
    snprintf(name, sizeof name, "§1.4 (n,w) = (%d,%d): sweep phi = prefix phi", n, cases[k].w);
    spx_test(!st && fabs(w->phi_sweep - w->phi_min) <= 1e-14, name, "%.15g vs %.15g",
             st ? NAN : w->phi_sweep, st ? NAN : w->phi_min);
    spx_transport_free(w);
    free(B);
  }
}

/* ---- KL divergence (§3), diagnose summary --------------------------------------------------- */

static void test_kl_and_summary(gsl_rng *rng)
{
  int n = 9;
  double A[100], kl[9], mean = -1.0;
  spx_attention_uniform_causal(n, A);
  int st = spx_transport_row_kl(n, A, SPX_MASK_CAUSAL, 0, kl, &mean);
  spx_test(st == SPX_OK && fabs(mean) <= 1e-15, "§3 KL: uniform causal rows give KL = 0",
           "mean %.3g", mean);
  spx_attention_window(n, 3, A);
  st = spx_transport_row_kl(n, A, SPX_MASK_WINDOW, 3, kl, &mean);
  spx_test(st == SPX_OK && fabs(mean) <= 1e-15, "§3 KL: uniform window rows give KL = 0",
           "mean %.3g", mean);
  spx_attention_sink(n, A);
  st = spx_transport_row_kl(n, A, SPX_MASK_CAUSAL, 0, kl, &mean);
  double err = 0.0, msum = 0.0;
  for (int i = 0; i < n; i++) {
    err = fmax(err, fabs(kl[i] - log(i + 1.0)));
    msum += log(i + 1.0);
  }
  spx_test(st == SPX_OK && err <= 1e-15, "§3 KL: sink row i gives ln i (causal keys)", "err %.3g",
           err);
  spx_test_abs("§3 KL: sink mean = ln(n!)/n", mean, msum / n, 1e-15);
  /* Unmasked: KL of a row = ln n - H(row); the sink row has H = 0. */
  st = spx_transport_row_kl(n, A, SPX_MASK_NONE, 0, kl, &mean);
  spx_test(st == SPX_OK && fabs(mean - log(n)) <= 1e-15, "§3 KL: sink with all keys gives ln n",
           NULL);
  /* The summary agrees with the individual diagnostics and the volume identity. */
  n = 10;
  random_softmax(rng, n, 3, 2.0, SPX_MASK_NONE, 0, A, NULL);
  spx_transport *w = NULL;
  spx_transport_summary s;
  st = spx_transport_alloc(n, &w);
  st = st ? st : spx_transport_diagnose(w, A, SPX_MASK_NONE, 0, &s);
  spx_test(st == SPX_OK, "diagnose runs on a softmax snapshot", "status %d", st);
  if (!st) {
    spx_test_rel("P1-1 softmax volume = n", s.volume, n, 1e-14);
    spx_test(s.cheeger_lower <= s.phi_sweep && s.phi_sweep <= s.cheeger_upper + 1e-15 &&
                 s.cheeger_lower <= s.phi_prefix,
             "diagnose: lambda_2/2 <= phi_sweep <= sqrt(2 lambda_2), lambda_2/2 <= phi_prefix",
             "%.6g %.6g %.6g %.6g", s.cheeger_lower, s.phi_sweep, s.cheeger_upper, s.phi_prefix);
    spx_test(s.mean_kl >= 0.0 && s.mean_kl <= log(n), "diagnose: 0 <= mean KL <= ln n", "%.6g",
             s.mean_kl);
    spx_test(fabs(s.nu) <= 1.0 && s.G >= 0.0 && s.G <= 1.0, "diagnose: |nu| <= 1, 0 <= G <= 1",
             "nu %.6g G %.6g", s.nu, s.G);
  }
  spx_transport_free(w);
}

/* ---- routing: P2-1, P2-2 --------------------------------------------------------------------- */

static void test_routing_split(gsl_rng *rng)
{
  int d = 5, n = 7;
  double M[25], R[25], F[25], S[25], RT[25], FT[25];
  spx_routing_norms nm;
  gaussian(rng, d * d, M);
  spx_routing_split(d, M, R, F, &nm);
  for (int i = 0; i < d * d; i++) S[i] = R[i] + F[i];
  spx_mat_transpose(d, d, R, RT);
  spx_mat_transpose(d, d, F, FT);
  double skew = 0.0;
  for (int i = 0; i < d * d; i++) skew = fmax(skew, fabs(RT[i] + R[i]));
  spx_test_abs("P2-1 M - (R + F) = 0", maxdiff(d * d, M, S), 0.0, 1e-14);
  spx_test_abs("P2-1 R^T + R = 0", skew, 0.0, 1e-14);
  spx_test_abs("P2-1 F^T - F = 0", maxdiff(d * d, F, FT), 0.0, 1e-14);
  spx_test_abs("P2-1 <R, F> = 0", nm.inner_RF, 0.0, 1e-14);
  spx_test_abs("P2-1 ||M||^2 = ||R||^2 + ||F||^2", nm.norm_M * nm.norm_M,
               nm.norm_R * nm.norm_R + nm.norm_F * nm.norm_F, 1e-14 * nm.norm_M * nm.norm_M);
  spx_test_rel("P2-1 ratio = ||R||/||F||", spx_routing_ratio(d, M), nm.norm_R / nm.norm_F, 1e-14);
  /* Aliasing: splitting in place gives the same parts. */
  double M2[25], F2[25];
  memcpy(M2, M, sizeof M);
  spx_routing_split(d, M2, M2, F2, NULL);
  spx_test(maxdiff(25, M2, R) == 0.0 && maxdiff(25, F2, F) == 0.0,
           "P2-1 split with R aliasing M is exact", NULL);

  /* P2-2 on a state: antisym(X M X^T) = X R X^T, diag(X R X^T) = 0, X F X^T symmetric. */
  double X[35], Xt[35], work[35], L[49], Lf[49], Lr[49], XR[35], XRX[49], XF[35], XFX[49],
      XFXt[49];
  unit_rows(rng, n, d, X);
  spx_mat_transpose(n, d, X, Xt);
  double beta = 1.3;
  spx_attention_logits(n, d, X, M, beta, work, L);
  spx_routing_split(n, L, Lr, Lf, NULL);
  spx_mat_mul(n, d, d, X, R, XR);
  spx_mat_mul(n, d, n, XR, Xt, XRX);
  spx_mat_mul(n, d, d, X, F, XF);
  spx_mat_mul(n, d, n, XF, Xt, XFX);
  for (int i = 0; i < n * n; i++) {
    XRX[i] *= beta;
    XFX[i] *= beta;
  }
  double dg = 0.0;
  for (int i = 0; i < n; i++) dg = fmax(dg, fabs(XRX[i * n + i]));
  spx_mat_transpose(n, n, XFX, XFXt);
  spx_test_abs("P2-2 antisym(beta X M X^T) = beta X R X^T", maxdiff(n * n, Lr, XRX), 0.0, 1e-14);
  spx_test_abs("P2-2 sym(beta X M X^T) = beta X F X^T", maxdiff(n * n, Lf, XFX), 0.0, 1e-14);
  spx_test_abs("P2-2 diag(X R X^T) = 0 (x^T R x = 0)", dg, 0.0, 1e-15);
  spx_test_abs("P2-2 X F X^T symmetric", maxdiff(n * n, XFX, XFXt), 0.0, 1e-15);
}

/* ---- S-D: P2-3, P2-4, P2-5 (matrix exponential part) ---------------------------------------- */

static void test_sd(gsl_rng *rng)
{
  /* P2-3: M = [[-a, w], [-w, -a]] = S - aI has eigenvalues -a +- i w: a = 0.3, w = 2. */
  double B[4] = {0.0, 4.0, 0.0, 0.0}; /* (B - B^T)/2 = [[0, 2], [-2, 0]] */
  double C[4] = {sqrt(0.3), 0.0, 0.0, sqrt(0.3)}, S[4], D[4], M[4], re[2], im[2];
  spx_sd_compose(2, B, 2, C, S, D, M);
  int st = spx_routing_eigen(2, M, re, im);
  spx_test(st == SPX_OK && fabs(M[0] + 0.3) < 1e-15 && M[1] == 2.0 && M[2] == -2.0,
           "P2-3 S - D = [[-0.3, 2], [-2, -0.3]]", "%g %g %g %g", M[0], M[1], M[2], M[3]);
  spx_test(st == SPX_OK && fabs(re[0] + 0.3) < 1e-14 && fabs(re[1] + 0.3) < 1e-14 &&
               fabs(im[0] + 2.0) < 1e-14 && fabs(im[1] - 2.0) < 1e-14,
           "P2-3 eigenvalues -0.3 -+ 2i", "%.15g%+.15gi, %.15g%+.15gi", re[0], im[0], re[1], im[1]);
  spx_sd_bounds bd;
  st = spx_sd_bendixson(2, S, D, &bd);
  spx_test(st == SPX_OK && fabs(bd.re_max + bd.d_min) < 1e-14 && fabs(bd.re_min + bd.d_max) < 1e-14,
           "P2-3 D = 0.3 I: Bendixson range [-0.3, -0.3] is attained", NULL);

  /* P2-4: random skew S and D = C C^T (C 5 x 3), three seeds. */
  int d = 5, k = 3, ok = 1, nonpos = 1;
  double Bd[25], Cd[15], Sd[25], Dd[25], dmin_max = 0.0;
  for (int seed = 0; seed < 3; seed++) {
    gaussian(rng, d * d, Bd);
    gaussian(rng, d * k, Cd);
    spx_sd_compose(d, Bd, k, Cd, Sd, Dd, NULL);
    if (spx_sd_bendixson(d, Sd, Dd, &bd) != SPX_OK) {
      ok = 0;
      continue;
    }
    double tol = 1e-12 * (1.0 + bd.d_max);
    if (!(bd.re_max <= -bd.d_min + tol && bd.re_min >= -bd.d_max - tol)) ok = 0;
    if (!(bd.re_max <= tol)) nonpos = 0;
    dmin_max = fmax(dmin_max, fabs(bd.d_min));
  }
  spx_test(ok, "P2-4 Re(lambda(S - D)) in [-lambda_max(D), -lambda_min(D)], 3 seeds", NULL);
  spx_test(nonpos, "P2-4 max Re(lambda) <= 0, 3 seeds", NULL);
  spx_test_abs("P2-4 lambda_min(C C^T) = 0 for C of rank 3 < 5", dmin_max, 0.0, 1e-12);

  /* P2-5 (matrix part): e^S of a skew S is orthogonal with det 1. */
  gsl_matrix *gs = gsl_matrix_alloc(d, d), *ge = gsl_matrix_alloc(d, d);
  gsl_permutation *perm = gsl_permutation_alloc(d);
  int sgn = 0;
  memcpy(gs->data, Sd, sizeof Sd);
  st = gsl_linalg_exponential_ss(gs, ge, GSL_PREC_DOUBLE);
  double defect = spx_mat_orthogonality_defect(d, ge->data);
  st = st ? st : gsl_linalg_LU_decomp(ge, perm, &sgn);
  double det = st ? NAN : gsl_linalg_LU_det(ge, sgn);
  spx_test_abs("P2-5 e^S orthogonal (S skew)", defect, 0.0, 1e-12);
  spx_test_abs("P2-5 det e^S = 1", det, 1.0, 1e-12);
  gsl_matrix_free(gs);
  gsl_matrix_free(ge);
  gsl_permutation_free(perm);
}

/* ---- P2-5: x' = (S - D) x integrated with CVODE (Adams back end of solvers/solver.h) -------- */

typedef struct {
  int d;
  const double *M;
} lin_ode;

static int lin_rhs(double t, const double *y, double *ydot, void *user)
{
  const lin_ode *o = user;
  for (int i = 0; i < o->d; i++) {
    double s = 0.0;
    for (int j = 0; j < o->d; j++) s += o->M[i * o->d + j] * y[j];
    ydot[i] = s;
  }
  return 0;
}

static double norm_vec(int d, const double *x)
{
  double s = 0.0;
  for (int i = 0; i < d; i++) s += x[i] * x[i];
  return sqrt(s);
}

static void test_sd_flow(gsl_rng *rng)
{
  const spx_solver_type *ty = spx_solver_find("adams");
  spx_test(ty != NULL, "P2-5 the CVODE Adams back end is registered", NULL);
  if (!ty) return;
  enum { d = 5, k = 3, nout = 40 };
  double B[d * d], C[d * k], S[d * d], D[d * d], M[d * d], x0[d], y[d], ex[d];
  gaussian(rng, d * d, B);
  gaussian(rng, d * k, C);
  gaussian(rng, d, x0);
  spx_sd_compose(d, B, k, C, S, D, M);
  for (int with_d = 1; with_d >= 0; with_d--) {
    const double *Mc = with_d ? M : S;
    lin_ode lo = {d, Mc};
    spx_ode ode = {.N = d, .nblocks = 1, .bsize = d, .sphere = 0, .rhs = lin_rhs, .jv = NULL,
                   .user = &lo};
    spx_solver_settings set = {.rtol = 1e-11, .atol = 1e-13, .dt = 0.0, .max_steps = 100000,
                               .max_order = 0, .h0 = 0.0};
    void *state = NULL;
    double tend = 0.125 * nout, tr = 0.0, n0 = norm_vec(d, x0), prev = n0, rise = 0.0,
           drift = 0.0;
    int st = ty->create(&ode, &set, 0.0, x0, &state);
    for (int o = 1; o <= nout && !st; o++) {
      st = ty->advance(state, 0.125 * o, y, &tr);
      double nx = norm_vec(d, y);
      rise = fmax(rise, (nx - prev) / n0); /* > 0 would be an expansion */
      drift = fmax(drift, fabs(nx - n0) / n0);
      prev = nx;
    }
    if (state) ty->free(state);
    /* Exact solution e^{t M} x0 (GSL matrix exponential) at the end time. */
    gsl_matrix *gm = gsl_matrix_alloc(d, d), *ge = gsl_matrix_alloc(d, d);
    for (int i = 0; i < d * d; i++) gm->data[i] = tend * Mc[i];
    int rc = gsl_linalg_exponential_ss(gm, ge, GSL_PREC_DOUBLE);
    for (int i = 0; i < d; i++) {
      ex[i] = 0.0;
      for (int j = 0; j < d; j++) ex[i] += ge->data[i * d + j] * x0[j];
    }
    gsl_matrix_free(gm);
    gsl_matrix_free(ge);
    double err = 0.0;
    for (int i = 0; i < d; i++) err = fmax(err, fabs(y[i] - ex[i]));
    if (with_d) {
      spx_test(st == SPX_OK, "P2-5 CVODE integrates x' = (S - D) x to t = 5", "status %d", st);
      spx_test_le("P2-5 D = CC^T: ||x(t)|| non-increasing at 40 outputs (rel, 1e-9 slack)", rise,
                  1e-9);
      spx_test_le("P2-5 (S - D): CVODE state = e^{t(S-D)} x0 at t = 5 (abs)", rc ? INFINITY : err,
                  1e-7 * n0);
    } else {
      spx_test(st == SPX_OK, "P2-5 CVODE integrates x' = S x to t = 5", "status %d", st);
      spx_test_le("P2-5 D = 0: ||x(t)|| = ||x(0)|| to solver tolerance (rel)", drift, 1e-8);
      spx_test_le("P2-5 D = 0: CVODE state = e^{tS} x0 at t = 5 (abs)", rc ? INFINITY : err,
                  1e-7 * n0);
    }
  }
}

/* ---- P2-6, P2-7: skew spectra and effective ranks ------------------------------------------- */

static void test_erank(gsl_rng *rng)
{
  double S[16] = {0, 3, 0, 0, -3, 0, 0, 0, 0, 0, 0, 1, 0, 0, -1, 0}, re[4], im[4], sv[8];
  spx_erank er;
  int st = spx_routing_eigen(4, S, re, im);
  /* Sorted by (Re, Im): -3i, -1i, +1i, +3i (all real parts 0 up to rounding). */
  double e = 0.0;
  static const double ims[4] = {-3.0, -1.0, 1.0, 3.0};
  for (int i = 0; i < 4 && !st; i++) e = fmax(e, fmax(fabs(re[i]), fabs(im[i] - ims[i])));
  spx_test(st == SPX_OK && e <= 1e-14, "P2-6 blockdiag skew: eigenvalues +-3i, +-1i", "err %.3g",
           e);
  st = spx_routing_erank(4, S, &er, sv);
  spx_test(st == SPX_OK && fabs(sv[0] - 3) < 1e-14 && fabs(sv[1] - 3) < 1e-14 &&
               fabs(sv[2] - 1) < 1e-14 && fabs(sv[3] - 1) < 1e-14,
           "P2-6 singular values (3, 3, 1, 1)", "%g %g %g %g", sv[0], sv[1], sv[2], sv[3]);
  /* erank = exp(H(3/8, 3/8, 1/8, 1/8)) = 8 / 3^(3/4) = 3.509531; PR = 400/164. */
  spx_test_abs("P2-6 erank = 3.509531", er.erank, 3.509531, 5e-7);
  spx_test_rel("P2-6 erank = 8 / 3^(3/4) (closed form of the entropy)", er.erank,
               8.0 / pow(3.0, 0.75), 1e-14);
  spx_test_rel("P2-6 PR = 400/164", er.pr, 400.0 / 164, 1e-14);
  spx_test(er.rank == 4, "P2-6 rank 4", "got %d", er.rank);
  double P[9] = {0, 1.7, 0, -1.7, 0, 0, 0, 0, 0};
  st = spx_routing_erank(3, P, &er, NULL);
  spx_test(st == SPX_OK && fabs(er.erank - 2.0) < 1e-14 && fabs(er.pr - 2.0) < 1e-14 &&
               er.rank == 2,
           "P2-6 one rotation plane: erank = PR = 2, rank 2", "%.15g %.15g %d", er.erank, er.pr,
           er.rank);
  double Dg[4] = {3, 0, 0, 1};
  st = spx_routing_erank(2, Dg, &er, NULL);
  spx_test_abs("P2-6 erank(diag(3,1)) = 1.754765", er.erank, 1.754765, 5e-7);

  /* P2-7: d = 8, W_Q, W_K of size d x d_h; W_QK = W_Q W_K^T. */
  int d = 8;
  double WQ[16], WK[16], WKt[16], W[64], R[64], F[64];
  gaussian(rng, d * 2, WQ);
  gaussian(rng, d * 2, WK);
  spx_mat_transpose(d, 2, WK, WKt);
  spx_mat_mul(d, 2, d, WQ, WKt, W);
  spx_routing_split(d, W, R, F, NULL);
  spx_erank ew, err, ef;
  st = spx_routing_erank(d, W, &ew, NULL);
  st = st ? st : spx_routing_erank(d, R, &err, NULL);
  st = st ? st : spx_routing_erank(d, F, &ef, NULL);
  spx_test(st == SPX_OK && ew.rank == 2 && err.rank == 4 && ef.rank == 4,
           "P2-7 d_h = 2: rank(W_QK) = 2, rank(R) = 4, rank(F) = 4", "%d %d %d", ew.rank, err.rank,
           ef.rank);
  /* d_h = 1: R = (u v^T - v u^T)/2 has two equal singular values (1/2)|u||v| sin(angle). */
  double u[8], v[8];
  gaussian(rng, d, u);
  gaussian(rng, d, v);
  spx_mat_mul(d, 1, d, u, v, W);
  spx_routing_split(d, W, R, F, NULL);
  double uu = 0, vv = 0, uv = 0;
  for (int i = 0; i < d; i++) {
    uu += u[i] * u[i];
    vv += v[i] * v[i];
    uv += u[i] * v[i];
  }
  /* (1/2)|u||v| sin(angle) = (1/2) sqrt(|u|^2 |v|^2 - (u.v)^2) */
  double sigma = 0.5 * sqrt(uu * vv - uv * uv);
  st = spx_routing_erank(d, R, &er, sv);
  spx_test(st == SPX_OK && er.rank == 2, "P2-7 d_h = 1: rank(R) = 2", "got %d", er.rank);
  spx_test_abs("P2-7 d_h = 1: erank(R) = 2", er.erank, 2.0, 1e-13);
  spx_test(fabs(sv[0] - sigma) <= 1e-13 * sigma && fabs(sv[1] - sigma) <= 1e-13 * sigma,
           "P2-7 d_h = 1: sigma_1 = sigma_2 = |u||v| sin / 2", "%.15g %.15g vs %.15g", sv[0],
           sv[1], sigma);

  /* The workspace version agrees with the allocating one on an n x n routing-logit matrix. */
  int n = 12;
  double X[12 * 8], Xt[12 * 8], XR[12 * 8], K[144];
  spx_erank e1, e2;
  spx_transport *w = NULL;
  gaussian(rng, d * 2, WQ);
  spx_mat_mul(d, 2, d, WQ, WKt, W);
  spx_routing_split(d, W, R, F, NULL);
  unit_rows(rng, n, d, X);
  spx_mat_transpose(n, d, X, Xt);
  spx_mat_mul(n, d, d, X, R, XR);
  spx_mat_mul(n, d, n, XR, Xt, K);
  st = spx_transport_alloc(n, &w);
  st = st ? st : spx_transport_erank(w, K, &e1);
  st = st ? st : spx_routing_erank(n, K, &e2, NULL);
  spx_test(st == SPX_OK && e1.erank == e2.erank && e1.rank == e2.rank,
           "§2.5 workspace erank = allocating erank on X R X^T", NULL);
  spx_test(st == SPX_OK && e1.rank <= 4 && e1.rank % 2 == 0,
           "§2.4 rank(X R X^T) even and <= rank(R) = 4", "rank %d", e1.rank);
  spx_transport_free(w);
}

/* ---- P2-8: reversibility identity ----------------------------------------------------------- */

static void test_reversibility(gsl_rng *rng)
{
  int n = 6, d = 3;
  double beta = 1.7, X[18], Xt[18], Ms[9], Ra[9], M[9], R[9], F[9], XR[18], kap[36], work[18],
         A[36], logZ[6];
  spx_reversibility rv;
  spx_transport *w = NULL;
  unit_rows(rng, n, d, X);
  spx_mat_transpose(n, d, X, Xt);
  spx_mat_goe(d, rng, Ms);
  int st = spx_transport_alloc(n, &w);
  /* Symmetric kernel: reversible. */
  spx_attention_logits(n, d, X, Ms, beta, work, A);
  st = st ? st : spx_attention_softmax(n, A, SPX_MASK_NONE, 0, A, logZ);
  st = st ? st : spx_transport_reversibility(w, A, logZ, &rv);
  spx_test(st == SPX_OK, "P2-8 symmetric kernel: reversibility runs", "status %d", st);
  if (!st) {
    spx_test_abs("P2-8 symmetric: detailed balance Z_i A_ij = Z_j A_ji", rv.db_residual, 0.0,
                 1e-14);
    spx_test_abs("P2-8 symmetric: pi = Z/sum Z is stationary", rv.stationarity, 0.0, 1e-15);
    spx_test_abs("P2-8 symmetric: Pi^1/2 A Pi^-1/2 symmetric", rv.sym_defect, 0.0, 1e-14);
    spx_test_abs("P2-8 symmetric: every 3-cycle affinity = 0", rv.max_affinity, 0.0, 1e-13);
  }
  /* Symmetric plus skew kernel: the identities with kappa = X R X^T. */
  gaussian(rng, d * d, Ra);
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++)
      M[i * d + j] = Ms[i * d + j] + 0.5 * (Ra[i * d + j] - Ra[j * d + i]);
  spx_routing_split(d, M, R, F, NULL);
  spx_mat_mul(n, d, d, X, R, XR);
  spx_mat_mul(n, d, n, XR, Xt, kap);
  spx_attention_logits(n, d, X, M, beta, work, A);
  st = st ? st : spx_attention_softmax(n, A, SPX_MASK_NONE, 0, A, logZ);
  st = st ? st : spx_transport_reversibility(w, A, logZ, &rv);
  spx_test(st == SPX_OK, "P2-8 skew kernel: reversibility runs", "status %d", st);
  if (!st) {
    spx_test(rv.db_residual > 1e-3, "P2-8 skew: detailed balance fails", "residual %.3g",
             rv.db_residual);
    spx_test(rv.max_affinity > 1e-3, "P2-8 skew: a 3-cycle has nonzero affinity", "%.3g",
             rv.max_affinity);
    double e3 = 0.0, e2 = 0.0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        if (i == j) continue;
        e2 = fmax(e2, fabs(log(A[i * n + j] / A[j * n + i]) -
                           (logZ[j] - logZ[i] + 2.0 * beta * kap[i * n + j])));
        for (int k = 0; k < n; k++) {
          if (k == i || k == j) continue;
          double lhs = spx_transport_cycle_affinity(n, A, i, j, k);
          double rhs = 2.0 * beta * (kap[i * n + j] + kap[j * n + k] + kap[k * n + i]);
          e3 = fmax(e3, fabs(lhs - rhs));
        }
      }
    spx_test_abs("P2-8 skew: log(A_ij/A_ji) = log(Z_j/Z_i) + 2 beta kappa_ij (all pairs)", e2,
                 0.0, 1e-13);
    spx_test_abs("P2-8 skew: 3-cycle log-ratio = 2 beta (k_ij + k_jk + k_ki) (all triples)", e3,
                 0.0, 1e-13);
  }
  spx_transport_free(w);
}

/* ---- error paths ---------------------------------------------------------------------------- */

static void test_errors(void)
{
  spx_transport *w = NULL;
  double A[9] = {1, 0, 0, 0, 0, 0, 0, 0, 1}, phi, f;
  int valid;
  spx_test(spx_transport_alloc(1, &w) == SPX_EINVAL && !w, "error: alloc n = 1 -> EINVAL", NULL);
  spx_transport_alloc(3, &w);
  spx_test(spx_transport_spectrum(w) == SPX_EINVAL, "error: spectrum before operator -> EINVAL",
           NULL);
  spx_test(spx_transport_operator(w, A) == SPX_EINVAL,
           "error: operator with an isolated node (d_2 = 0) -> EINVAL", NULL);
  A[4] = NAN;
  spx_test(spx_transport_operator(w, A) == SPX_ENONFINITE, "error: NaN entry -> ENONFINITE", NULL);
  spx_attention_uniform_causal(3, A);
  double B[9];
  spx_attention_uniform_full(3, B);
  spx_transport_operator(w, A);
  spx_transport_spectrum(w);
  spx_test(spx_transport_sweep(w, B) == SPX_EINVAL,
           "error: sweep of a matrix other than the operator's -> EINVAL", NULL);
  int bad[3] = {0, 0, 2};
  spx_test(spx_transport_landscape(w, A, bad) == SPX_EINVAL,
           "error: landscape order not a permutation -> EINVAL", NULL);
  spx_test(spx_transport_reversibility(w, A, NULL, &(spx_reversibility){0}) == SPX_EINVAL,
           "error: reversibility of a causal (zero) entry -> EINVAL", NULL);
  spx_test(spx_transport_row_kl(3, B, SPX_MASK_CAUSAL, 0, NULL, &f) == SPX_EINVAL,
           "error: KL with mass outside the mask -> EINVAL", NULL);
  spx_test(spx_transport_row_kl(3, B, SPX_MASK_WINDOW, 0, NULL, &f) == SPX_EINVAL,
           "error: KL with window 0 -> EINVAL", NULL);
  spx_test(spx_transport_phi_exhaustive(21, A, &phi, NULL) == SPX_EINVAL,
           "error: exhaustive n = 21 -> EINVAL", NULL);
  spx_test(spx_attention_window(3, 0, A) == SPX_EINVAL, "error: window w = 0 -> EINVAL", NULL);
  spx_test(spx_cheeger_window_min(5, 6, &f, &valid) == SPX_EINVAL,
           "error: window formula w > n -> EINVAL", NULL);
  double S[4] = {0, 1, 0.5, 0}, D[4] = {1, 0, 0, 1}, Dn[4] = {1, 0, 0, -1};
  spx_sd_bounds bd;
  spx_test(spx_sd_bendixson(2, S, D, &bd) == SPX_EINVAL, "error: S not skew -> EINVAL", NULL);
  S[2] = -1;
  spx_test(spx_sd_bendixson(2, S, Dn, &bd) == SPX_EINVAL, "error: D not PSD -> EINVAL", NULL);
  double L[4] = {0, INFINITY, 0, 0};
  spx_test(spx_attention_softmax(2, L, SPX_MASK_NONE, 0, B, NULL) == SPX_ENONFINITE,
           "error: infinite logit -> ENONFINITE", NULL);
  spx_test(spx_attention_softmax(2, L, SPX_MASK_CAUSAL, 0, B, NULL) == SPX_OK && B[1] == 0.0,
           "masked infinite logit is ignored (causal)", NULL);
  spx_transport_free(w);
}

/* ==== round 2: matrix files, masks, attention of a state, routing logits, snapshots, config ==== */

/* Write text to a fresh temporary file; its path into path (64 chars). */
static void temp_file(char *path, const char *text)
{
  snprintf(path, 64, "/tmp/spx_test_transport_XXXXXX");
  int fd = mkstemp(path);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

static void test_read_matrix(void)
{
  char p[64];
  int n = 0;
  double *A = NULL;
  /* comments, blank lines, tabs, spaces and commas; entries as written */
  temp_file(p, "# a 3 x 3 attention matrix\n1\t0\t0\n\n0.5, 0.5, 0\n 0.25 0.25 0.5 # row 3\n");
  int st = spx_transport_read_matrix(p, 100, &n, &A);
  spx_test(st == SPX_OK && n == 3 && A && A[0] == 1.0 && A[3] == 0.5 && A[8] == 0.5 && A[2] == 0.0,
           "read_matrix: a 3 x 3 file with comments, tabs, commas", "status %d n %d", st, n);
  free(A);
  A = NULL;
  unlink(p);
  static const char *const bad[][2] = {
      {"1 0 0\n0.5 0.5 0\n", "non-square (2 rows of 3)"},
      {"1 0\n0.5 0.5\n0.2 0.8\n", "non-square (3 rows of 2)"},
      {"1 0 0\n0.5 0.5\n0.2 0.3 0.5\n", "ragged rows"},
      {"1 0\nnan 1\n", "NaN entry"},
      {"1 0\ninf 1\n", "inf entry"},
      {"1 0\n-0.5 1.5\n", "negative entry"},
      {"1 0 0\n0 0 0\n0.5 0 0.5\n", "isolated token (row 2 and column 2 zero)"},
      {"1\n", "n = 1"},
      {"1 0 x\n0 1 0\n0 0 1\n", "a word"},
      {"# nothing\n\n", "no data rows"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    temp_file(p, bad[k][0]);
    A = NULL;
    st = spx_transport_read_matrix(p, 100, &n, &A);
    char name[160];
    snprintf(name, sizeof name, "read_matrix error: %s -> EINVAL", bad[k][1]);
    spx_test(st == SPX_EINVAL && A == NULL, name, "status %d", st);
    unlink(p);
  }
  temp_file(p, "0.5 0.5 0\n0 0.5 0.5\n0.5 0 0.5\n");
  st = spx_transport_read_matrix(p, 2, &n, &A);
  spx_test(st == SPX_EINVAL && A == NULL, "read_matrix error: n = 3 above max_n = 2 -> EINVAL",
           "status %d", st);
  unlink(p);
  st = spx_transport_read_matrix("/nonexistent/spx.tsv", 100, &n, &A);
  spx_test(st == SPX_EINVAL, "read_matrix error: missing file -> EINVAL", "status %d", st);
}

static void test_infer_mask(void)
{
  enum { n = 12 };
  double A[n * n];
  spx_mask m;
  int w;
  spx_attention_uniform_causal(n, A);
  spx_transport_infer_mask(n, A, &m, &w);
  spx_test(m == SPX_MASK_CAUSAL && w == n, "infer_mask: uniform causal -> causal", "%d %d", m, w);
  spx_attention_window(n, 4, A);
  spx_transport_infer_mask(n, A, &m, &w);
  spx_test(m == SPX_MASK_WINDOW && w == 4, "infer_mask: window 4 -> window(4)", "%d %d", m, w);
  spx_attention_window(n, 1, A);
  spx_transport_infer_mask(n, A, &m, &w);
  spx_test(m == SPX_MASK_WINDOW && w == 1, "infer_mask: identity -> window(1)", "%d %d", m, w);
  spx_attention_sink(n, A);
  spx_transport_infer_mask(n, A, &m, &w);
  spx_test(m == SPX_MASK_CAUSAL, "infer_mask: sink (row i reads token 1) -> causal", "%d", m);
  spx_attention_uniform_full(n, A);
  spx_transport_infer_mask(n, A, &m, &w);
  spx_test(m == SPX_MASK_NONE, "infer_mask: full -> none", "%d", m);
}

static void test_kl_mirror(void)
{
  enum { n = 9 };
  double A[n * n], At[n * n], kl[n], mean;
  spx_attention_uniform_causal(n, A);
  transpose_sq(n, A, At);
  /* Row i (0-based) of A^T holds A_ji = 1/(j+1) on its allowed keys j = i..n-1 (the mirrored
   * causal mask): p_j = (1/(j+1)) / (H_n - H_i), KL = ln(n - i) - H(p). */
  int st = spx_transport_row_kl_ex(n, At, SPX_MASK_CAUSAL, 0, 1, kl, &mean);
  double err = 0.0, msum = 0.0;
  for (int i = 0; i < n; i++) {
    double z = harmonic(n, 1) - harmonic(i, 1), h = 0.0;
    for (int j = i; j < n; j++) {
      double pj = 1.0 / (j + 1) / z;
      h -= pj * log(pj);
    }
    err = fmax(err, fabs(kl[i] - (log(n - i) - h)));
    msum += log(n - i) - h;
  }
  spx_test(st == SPX_OK && err <= 1e-14, "KL of A^T over the mirrored causal mask (closed form)",
           "err %.3g", err);
  spx_test_abs("KL of A^T: mean", mean, msum / n, 1e-14);
  /* mirrored window: A^T of a uniform window has uniform rows on j = i..i+w-1 where full */
  spx_attention_window(n, 3, A);
  transpose_sq(n, A, At);
  st = spx_transport_row_kl_ex(n, At, SPX_MASK_WINDOW, 3, 1, kl, &mean);
  spx_test(st == SPX_OK && isfinite(mean) && mean >= 0.0,
           "KL of a window's transpose runs over the mirrored window", "%.6g", mean);
  /* The sink's transpose has rows without mass: NaN, not an error. */
  spx_attention_sink(n, A);
  transpose_sq(n, A, At);
  st = spx_transport_row_kl_ex(n, At, SPX_MASK_CAUSAL, 0, 1, kl, &mean);
  spx_test(st == SPX_OK && isnan(mean) && isnan(kl[1]) && fabs(kl[0] - 0.0) <= 1e-15,
           "KL_ex: a row without mass gives NaN (sink^T); row 1 is uniform (KL 0)", "%g", kl[0]);
  st = spx_transport_row_kl_ex(n, A, SPX_MASK_CAUSAL, 0, 0, kl, &mean);
  spx_test(st == SPX_OK && fabs(kl[n - 1] - log(n)) <= 1e-14,
           "KL_ex without mirror = spx_transport_row_kl (sink row n: ln n)", NULL);
}

static void test_attention_of_state(gsl_rng *rng)
{
  enum { n = 10, d = 4 };
  spx_model *m = NULL;
  double x[n * d], y[n * d], U[n * d], work[n * d], A[n * n], B[n * n], L[n * n];
  int st = spx_model_create(n, d, 2, &m);
  spx_test(st == SPX_OK, "attention_of_state: model", NULL);
  if (st) return;
  m->beta = 1.7;
  gaussian(rng, d * d, m->heads[0].A);
  gaussian(rng, d * d, m->heads[1].A);
  unit_rows(rng, n, d, x);
  /* = the softmax of beta <x_i, A_h x_j> on unit rows */
  st = spx_attention_of_state(m, 1, x, SPX_MASK_CAUSAL, 0, U, work, A, NULL);
  spx_attention_logits(n, d, x, m->heads[1].A, m->beta, work, L);
  spx_attention_softmax(n, L, SPX_MASK_CAUSAL, 0, B, NULL);
  spx_test(st == SPX_OK && maxdiff(n * n, A, B) <= 1e-15,
           "attention_of_state = softmax of beta <x_i, A_h x_j> (head 2, causal)", "%.3g",
           maxdiff(n * n, A, B));
  /* norm-aware: scaling a particle does not change the attention */
  for (int i = 0; i < n * d; i++) y[i] = x[i] * (1.0 + (i / d) * 0.1);
  st = spx_attention_of_state(m, 1, y, SPX_MASK_CAUSAL, 0, U, work, B, NULL);
  spx_test(st == SPX_OK && maxdiff(n * n, A, B) <= 1e-14,
           "attention_of_state uses u_i = x_i/|x_i| (scaled rows give the same A)", "%.3g",
           maxdiff(n * n, A, B));
  /* identical particles: every allowed logit is equal, so causal attention is uniform causal */
  for (int i = 0; i < n; i++) memcpy(y + i * d, x, sizeof(double) * d);
  st = spx_attention_of_state(m, 0, y, SPX_MASK_CAUSAL, 0, U, work, A, NULL);
  spx_attention_uniform_causal(n, B);
  spx_test(st == SPX_OK && maxdiff(n * n, A, B) <= 1e-15,
           "identical particles: causal attention = uniform causal A_ij = 1/i", NULL);
  st = spx_attention_of_state(m, 2, y, SPX_MASK_NONE, 0, U, work, A, NULL);
  spx_test(st == SPX_EINVAL, "attention_of_state: head 3 of 2 -> EINVAL", NULL);
  y[0] = y[1] = y[2] = y[3] = 0.0;
  st = spx_attention_of_state(m, 0, y, SPX_MASK_NONE, 0, U, work, A, NULL);
  spx_test(st == SPX_ENONFINITE, "attention_of_state: a zero particle -> ENONFINITE", NULL);
  spx_model_free(m);
}

static void test_routing_logits_erank(gsl_rng *rng)
{
  spx_routing_ws *ws = NULL;
  for (int c = 0; c < 3; c++) {
    int n = c == 2 ? 3 : 30, d = c == 2 ? 6 : 5;
    double *X = malloc(sizeof(double) * n * d), *work = malloc(sizeof(double) * n * d),
           *K = malloc(sizeof(double) * n * n), M[36], R[36], F[36];
    spx_transport *w = NULL;
    spx_erank e1, e2;
    unit_rows(rng, n, d, X);
    gaussian(rng, d * d, M);
    spx_routing_split(d, M, R, F, NULL);
    if (c == 1) { /* one rotation plane: R = u v^T - v u^T */
      double u[6], v[6];
      gaussian(rng, d, u);
      gaussian(rng, d, v);
      for (int a = 0; a < d; a++)
        for (int b = 0; b < d; b++) R[a * d + b] = u[a] * v[b] - v[a] * u[b];
    }
    spx_attention_logits(n, d, X, R, 2.5, work, K);
    int st = spx_transport_alloc(n, &w);
    st = st ? st : spx_transport_erank(w, K, &e1);
    st = st ? st : spx_routing_ws_alloc(d, &ws);
    st = st ? st : spx_routing_logits_erank(ws, n, X, R, 2.5, &e2);
    char name[160];
    snprintf(name, sizeof name, "routing_logits_erank (d x d reduction) = erank of the n x n "
                                "logits (n = %d, d = %d%s)",
             n, d, c == 1 ? ", one plane" : "");
    spx_test(st == SPX_OK && fabs(e1.erank - e2.erank) <= 1e-10 * e1.erank &&
                 fabs(e1.pr - e2.pr) <= 1e-10 * e1.pr && e1.rank == e2.rank &&
                 fabs(e1.smax - e2.smax) <= 1e-12 * e1.smax,
             name, "erank %.15g vs %.15g, rank %d vs %d", e1.erank, e2.erank, e1.rank, e2.rank);
    if (c == 1)
      spx_test_abs("§2.4 one routing plane: erank of the routing logits = 2", e2.erank, 2.0,
                   1e-12);
    spx_routing_ws_free(ws);
    ws = NULL;
    spx_transport_free(w);
    free(X);
    free(work);
    free(K);
  }
}

static void test_snapshot(gsl_rng *rng)
{
  enum { n = 16, d = 3 };
  spx_model *m = NULL;
  spx_transport_run *tr = NULL;
  spx_transport_snapshot s;
  double x[n * d];
  int st = spx_model_create(n, d, 1, &m);
  if (st) return;
  m->beta = 1.3;
  m->mask = SPX_MASK_CAUSAL;
  m->window = 1;
  /* A = Q^T K with a one-plane skew part: R = (e1 e2^T - e2 e1^T) * 0.8, F = I */
  spx_mat_identity(d, m->heads[0].A);
  m->heads[0].A[1] = 0.8;
  m->heads[0].A[3] = -0.8;
  spx_mat_identity(d, m->heads[0].V);
  st = spx_model_finalize(m, 0);
  st = st ? st : spx_transport_run_create(m, 0, &tr);
  spx_test(st == SPX_OK, "snapshot: workspace for n = 16", "status %d", st);
  if (st) goto out;
  /* all particles at one point: the causal attention is uniform causal, the full one J/n */
  for (int i = 0; i < n; i++) {
    x[i * d] = 0.6;
    x[i * d + 1] = 0.0;
    x[i * d + 2] = 0.8;
  }
  st = spx_transport_run_snapshot(tr, 1.5, x, &s);
  double ex_min;
  int ex_t;
  spx_cheeger_uniform_landscape(n, NULL, &ex_min, &ex_t);
  double h1 = harmonic(n, 1);
  (void)h1;
  spx_test(st == SPX_OK && s.t == 1.5, "snapshot runs", "status %d", st);
  spx_test_abs("snapshot, one point, causal: phi = uniform causal closed-form minimum",
               s.att.phi_prefix, ex_min, 1e-14);
  spx_test(s.att.t_prefix == ex_t, "snapshot, causal: worst cut at the closed form's argmin",
           "%d vs %d", s.att.t_prefix, ex_t);
  spx_test(s.att.nu == 1.0, "snapshot, causal: nu = +1 (spec §1.5)", "%.17g", s.att.nu);
  spx_test_abs("snapshot, causal: mean KL = 0 (uniform rows)", s.att.mean_kl, 0.0, 1e-14);
  spx_test_abs("snapshot, full: phi = ceil(n/2)/n (P1-8)", s.full.phi_prefix, 0.5, 1e-14);
  spx_test_abs("snapshot, full: lambda_2 = 1 (P1-8)", s.full.lambda2, 1.0, 1e-12);
  spx_test_abs("snapshot, full: G = 0 (P1-8)", s.full.G, 0.0, 1e-15);
  spx_test_abs("snapshot, full: nu = 0", s.full.nu, 0.0, 1e-15);
  spx_test(s.routing.erank == 0.0, "snapshot, one point: routing logits vanish (erank 0)",
           "%.3g", s.routing.erank);
  const double *phi, *flux;
  spx_transport_run_landscape(tr, 0, &phi, &flux);
  double err = 0.0, jerr = 0.0;
  for (int t = 1; t < n; t++) {
    err = fmax(err, fabs(phi[t - 1] - spx_cheeger_uniform_causal(n, t)));
    jerr = fmax(jerr, fabs(flux[t - 1] - 1.0));
  }
  spx_test(err <= 1e-14 && jerr == 0.0,
           "snapshot landscape = uniform causal closed form for every t, J(t) = +1",
           "%.3g %.3g", err, jerr);
  /* distinct particles: the routing logits of one plane have erank 2 */
  unit_rows(rng, n, d, x);
  st = spx_transport_run_snapshot(tr, 2.0, x, &s);
  spx_test(st == SPX_OK && fabs(s.routing.erank - 2.0) <= 1e-12 && s.routing.rank == 2,
           "snapshot, distinct particles, one routing plane: erank 2, rank 2", "%.15g %d",
           s.routing.erank, s.routing.rank);
  spx_test(s.att.nu == 1.0 && fabs(s.full.nu) < 1.0 && s.att.G > s.full.G,
           "snapshot: causal nu = 1, full |nu| < 1, causal G > full G", "G %.4g vs %.4g",
           s.att.G, s.full.G);
  spx_routing_norms rn;
  spx_erank ke;
  spx_transport_run_kernel(tr, &rn, &ke);
  spx_test(fabs(rn.norm_R - 0.8 * sqrt(2.0)) <= 1e-15 && fabs(ke.erank - 2.0) <= 1e-14,
           "snapshot kernel: ||R||_F = 0.8 sqrt 2, erank(R) = 2", "%.17g %.17g", rn.norm_R,
           ke.erank);
out:
  spx_transport_run_free(tr);
  spx_model_free(m);
}

/* The config builds A from model.sd and from model.F / model.R (issue 8, spec §2.2-2.3). */
static spx_config *load_text(const char *text, const char *set, int *status)
{
  char p[64];
  spx_config *c = NULL;
  temp_file(p, text);
  const char *sets[1] = {set};
  *status = spx_config_load(p, sets, set ? 1 : 0, &c);
  unlink(p);
  return c;
}

static void test_config_forms(void)
{
  int st;
  /* S = (B - B^T)/2, D = C C^T with C 3 x 2: worked out by hand below */
  spx_config *c = load_text("model: { n = 4; d = 3; sd = {\n"
                            "  B = ( [0.0, 2.0, 1.0], [0.0, 0.0, -4.0], [3.0, 0.0, 0.0] );\n"
                            "  C = ( [1.0, 0.0], [2.0, 1.0], [0.0, 3.0] ); }; };\n",
                            NULL, &st);
  spx_test(st == SPX_OK, "config: model.sd with a 3 x 2 factor C loads", "status %d", st);
  if (c) {
    /* S = [[0, 1, -1], [-1, 0, -2], [1, 2, 0]], D = [[1, 2, 0], [2, 5, 3], [0, 3, 9]] */
    static const double ex[9] = {-1, -1, -1, -3, -5, -5, 1, -1, -9};
    const double *A = spx_config_params(c)->model->heads[0].A;
    spx_test(maxdiff(9, A, ex) <= 1e-15, "config: A = (B - B^T)/2 - C C^T (by hand)", "%.3g",
             maxdiff(9, A, ex));
    /* §2.3: every eigenvalue of the built A has Re <= 0 */
    double S[9], Dm[9], re[3], im[3];
    spx_routing_split(3, A, S, Dm, NULL);
    for (int i = 0; i < 9; i++) Dm[i] = -Dm[i];
    spx_sd_bounds b;
    int sb = spx_sd_bendixson(3, S, Dm, &b);
    spx_routing_eigen(3, A, re, im);
    spx_test(sb == SPX_OK && re[2] <= 0.0 && b.re_max <= 0.0,
             "config S-D form: Re(lambda) <= 0 (Bendixson, spec §2.3)", "max Re %.6g", re[2]);
    spx_test(!spx_config_params(c)->model->gradient_flow,
             "config S-D form: not a gradient flow (A not symmetric)", NULL);
    spx_config_free(c);
  }
  c = load_text("model: { n = 4; d = 2; F = ( [1.0, 0.5], [0.5, -2.0] ); "
                "R = ( [0.0, 0.3], [-0.3, 0.0] ); };\n",
                NULL, &st);
  if (c) {
    static const double ex[4] = {1.0, 0.8, 0.2, -2.0};
    spx_test(maxdiff(4, spx_config_params(c)->model->heads[0].A, ex) <= 1e-15,
             "config: A = F + R (symmetric F, skew R)", NULL);
    spx_config_free(c);
  } else {
    spx_test(0, "config: model.F / model.R load", "status %d", st);
  }
  /* parts taken (with a warning): F -> symmetric part, R -> skew part */
  c = load_text("model: { n = 4; d = 2; F = ( [1.0, 1.0], [0.0, 2.0] ); "
                "R = ( [5.0, 1.0], [0.0, 7.0] ); };\n",
                NULL, &st);
  if (c) {
    static const double ex[4] = {1.0, 1.0, 0.0, 2.0}; /* sym F = [[1,.5],[.5,2]], skew R = [[0,.5],[-.5,0]] */
    spx_test(maxdiff(4, spx_config_params(c)->model->heads[0].A, ex) <= 1e-15,
             "config: non-symmetric F / non-skew R contribute their sym / skew parts", NULL);
    spx_config_free(c);
  } else {
    spx_test(0, "config: non-symmetric F loads with a warning", "status %d", st);
  }
  c = load_text("model: { n = 4; d = 2; heads = ( { sd = { B = ( [0.0, 1.0], [0.0, 0.0] ); }; "
                "V = \"identity\"; }, { F = \"identity\"; } ); };\n",
                NULL, &st);
  if (c) {
    const spx_model *m = spx_config_params(c)->model;
    static const double e0[4] = {0.0, 0.5, -0.5, 0.0}, e1[4] = {1, 0, 0, 1};
    spx_test(m->nheads == 2 && maxdiff(4, m->heads[0].A, e0) <= 1e-15 &&
                 maxdiff(4, m->heads[1].A, e1) <= 1e-15,
             "config: sd and F inside model.heads entries", NULL);
    spx_config_free(c);
  } else {
    spx_test(0, "config: sd / F in heads load", "status %d", st);
  }
  static const char *const bad[][3] = {
      {"model: { n = 4; d = 2; A = \"identity\"; sd = { B = \"zero\"; }; };\n", NULL,
       "sd together with A"},
      {"model: { n = 4; d = 2; Q = \"identity\"; F = \"identity\"; };\n", NULL, "F together with Q"},
      {"model: { n = 4; d = 2; sd = { B = \"zero\"; X = 1; }; };\n", NULL, "unknown member of sd"},
      {"model: { n = 4; d = 2; sd = 3; };\n", NULL, "sd not a group"},
      {"model: { n = 4; d = 2; sd = { }; };\n", NULL, "empty sd"},
      {"model: { n = 4; d = 3; sd = { C = ( [1.0, 2.0], [1.0], [0.0, 1.0] ); }; };\n", NULL,
       "ragged C"},
      {"model: { n = 4; d = 2; R = ( [1.0, 0.0], [0.0, 2.0] ); };\n", NULL,
       "symmetric R (no routing part)"},
      {"model: { n = 4; d = 2; spectrum = [1.0, 2.0]; F = \"identity\"; };\n", NULL,
       "F with spectrum"},
      {"model: { n = 50; d = 2; };\ntransport: { every = 1; max_n = 40; };\n", NULL,
       "transport.every with n above transport.max_n"},
      {"model: { n = 5; d = 2; };\n", "transport.head=2", "transport.head above the heads"},
      {"model: { n = 5; d = 2; };\n", "transport.max_n=5000", "transport.max_n above the limit"},
      {"model: { n = 5; d = 2; };\n", "transport.kind=\"ring\"", "unknown transport.kind"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    c = load_text(bad[k][0], bad[k][1], &st);
    char name[160];
    snprintf(name, sizeof name, "config error: %s -> EINVAL", bad[k][2]);
    spx_test(st == SPX_EINVAL && c == NULL, name, "status %d", st);
    spx_config_free(c);
  }
}

int main(void)
{
  gsl_set_error_handler_off();
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 20260508);
  spx_set_quiet(1);
  test_exact_tables();
  test_closed_form_vs_matrix();
  test_worst_cut();
  test_floor();
  test_window();
  test_spectral();
  test_transpose(rng);
  test_G(rng);
  test_cheeger(rng);
  test_kl_and_summary(rng);
  test_routing_split(rng);
  test_sd(rng);
  test_sd_flow(rng);
  test_erank(rng);
  test_reversibility(rng);
  test_errors();
  test_read_matrix();
  test_infer_mask();
  test_kl_mirror();
  test_attention_of_state(rng);
  test_routing_logits_erank(rng);
  test_snapshot(rng);
  test_config_forms();
  gsl_rng_free(rng);
  return spx_test_summary();
}
