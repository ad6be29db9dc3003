/* test_freeenergy.c -- the free energy of a fixed key set (sim/freeenergy.c).
 *
 * Expected values: closed forms (geometry B at the origin, symmetric key sets on the sphere),
 * the spec's fixture numbers (spectral_gap.md §2.1, §3 S3, §8 items 1, 2, 9, 10, 19) and finite
 * differences (Hessian identity, Riemannian gradient and Hessian along geodesics).
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "freeenergy.h"
#include "harness.h"
#include "mat.h"
#include "status.h"

#ifndef SPX_TEST_DATA
#define SPX_TEST_DATA "tests/data"
#endif

/* Geometry B (spec §2.2): 8 centres at radius 1.8, angles 22.5 + 45 j degrees. */
static void geometry_b(double *C)
{
  for (int j = 0; j < 8; j++) {
    double a = (22.5 + 45.0 * j) * M_PI / 180.0;
    C[2 * j] = 1.8 * cos(a);
    C[2 * j + 1] = 1.8 * sin(a);
  }
}

static double Fval(spx_fe *fe, const double *x)
{
  double F = NAN;
  spx_fe_eval(fe, x, &F, NULL, NULL);
  return F;
}

/* Max relative error of the identity Hessian against central differences of F (step h). */
static double hessian_fd_error(spx_fe *fe, const double *x0, double h, double *grad_err)
{
  int d = spx_fe_dim(fe);
  double *H = malloc(sizeof(double) * d * d), *g = malloc(sizeof(double) * d);
  double x[64], F0, num = 0.0, den = 0.0, gnum = 0.0, gden = 0.0;
  spx_fe_eval(fe, x0, &F0, g, H);
  for (int a = 0; a < d; a++) {
    memcpy(x, x0, sizeof(double) * d);
    x[a] = x0[a] + h;
    double fp = Fval(fe, x);
    x[a] = x0[a] - h;
    double fm = Fval(fe, x);
    double gfd = (fp - fm) / (2 * h);
    gnum = fmax(gnum, fabs(gfd - g[a]));
    gden = fmax(gden, fabs(g[a]));
    for (int b = 0; b < d; b++) {
      double hfd;
      if (a == b) {
        hfd = (fp - 2 * F0 + fm) / (h * h);
      } else {
        double v[4], s[4][2] = {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}};
        for (int q = 0; q < 4; q++) {
          memcpy(x, x0, sizeof(double) * d);
          x[a] += s[q][0] * h;
          x[b] += s[q][1] * h;
          v[q] = Fval(fe, x);
        }
        hfd = (v[0] - v[1] - v[2] + v[3]) / (4 * h * h);
      }
      num = fmax(num, fabs(hfd - H[a * d + b]));
      den = fmax(den, fabs(H[a * d + b]));
    }
  }
  *grad_err = gnum / gden;
  free(H);
  free(g);
  return num / den;
}

static void test_geometry_b(void)
{
  double C[16], x[2] = {0, 0}, F, g[2], H[4];
  spx_fe *fe = NULL;
  geometry_b(C);
  int st = spx_fe_create(SPX_FE_QUADRATIC, 8, 2, 2.5, C, &fe);
  spx_test(st == SPX_OK, "geometry B: create", "status %d", st);
  if (st) return;
  spx_fe_eval(fe, x, &F, g, H);
  /* p uniform at 0, Cov = (1.8^2/2) I = 1.62 I: F = 1.62 - log(8)/2.5, H = I - 2.5*1.62 I. */
  spx_test_abs("geometry B: F(0) = 1.62 - log 8 / 2.5", F, 1.62 - log(8.0) / 2.5, 1e-14);
  spx_test_abs("geometry B: F(0) = 0.78822338 (spec 8.10)", F, 0.78822338, 5e-9);
  spx_test_abs("geometry B: grad F(0) = 0", fmax(fabs(g[0]), fabs(g[1])), 0.0, 1e-14);
  spx_test_abs("geometry B: Hess F(0)_xx = -3.05", H[0], -3.05, 1e-13);
  spx_test_abs("geometry B: Hess F(0)_yy = -3.05", H[3], -3.05, 1e-13);
  spx_test_abs("geometry B: Hess F(0)_xy = 0", H[1], 0.0, 1e-13);

  /* The S3/P3 point (spec §3 S3, §8 item 9). */
  x[0] = 0.45;
  x[1] = 0.30;
  spx_fe_eval(fe, x, &F, g, H);
  spx_test_abs("geometry B S3: F0 = 0.47831369", F, 0.47831369, 1e-7);
  spx_test_abs("geometry B S3: dF/dx = -0.68493818", g[0], -0.68493818, 1e-7);
  spx_test_abs("geometry B S3: dF/dy = -0.45598718", g[1], -0.45598718, 1e-7);
  spx_test_abs("geometry B S3: |grad F|^2 = 0.67706462", g[0] * g[0] + g[1] * g[1], 0.67706462,
               1e-7);
  spx_test_abs("geometry B S3: Laplacian F = -1.45099676", H[0] + H[3], -1.45099676, 1e-7);
  double tr = H[0] + H[3], det = H[0] * H[3] - H[1] * H[2];
  double disc = sqrt(0.25 * tr * tr - det);
  spx_test_abs("geometry B S3: Hessian eigenvalue -1.5214", 0.5 * tr - disc, -1.5214, 5e-5);
  spx_test_abs("geometry B S3: Hessian eigenvalue +0.0704", 0.5 * tr + disc, 0.0704, 5e-5);
  double ge;
  double he = hessian_fd_error(fe, x, 1e-4, &ge);
  spx_test_le("geometry B S3: Hessian vs central differences (rel < 1e-6)", he, 1e-6);
  spx_test_le("geometry B S3: gradient vs central differences (rel < 1e-7)", ge, 1e-7);
  spx_fe_free(fe);
}

/* Spec §8 item 1: random potentials, both kinds, FD Hessian to 1e-6; attention H <= 0, rank. */
static void test_identity_random(gsl_rng *r)
{
  for (int kind = 0; kind < 2; kind++) {
    int d = 5, n = 7;
    double K[35], x[5];
    for (int i = 0; i < n * d; i++) K[i] = gsl_ran_gaussian(r, 0.8);
    for (int c = 0; c < d; c++) x[c] = gsl_ran_gaussian(r, 0.5);
    spx_fe *fe = NULL;
    spx_fe_create(kind, n, d, 1.7, K, &fe);
    double ge, he = hessian_fd_error(fe, x, 1e-4, &ge);
    char name[128];
    snprintf(name, sizeof name, "%s: Hessian identity vs central differences h=1e-4 (rel < 1e-6)",
             kind ? "quadratic" : "attention");
    spx_test_le(name, he, 1e-6);
    snprintf(name, sizeof name, "%s: gradient E_p[grad U] vs central differences (rel < 1e-7)",
             kind ? "quadratic" : "attention");
    spx_test_le(name, ge, 1e-7);
    /* The force is -grad F. */
    double g[5], f[5], scr[7];
    spx_fe_eval(fe, x, NULL, g, NULL);
    spx_fe_force(fe, x, f, scr);
    double e = 0;
    for (int c = 0; c < d; c++) e = fmax(e, fabs(f[c] + g[c]));
    snprintf(name, sizeof name, "%s: force = -grad F", kind ? "quadratic" : "attention");
    spx_test_abs(name, e, 0.0, 1e-15);
    spx_fe_free(fe);
  }

  /* Attention with N - 1 < d: H = -beta Cov <= 0 has rank N - 1 (the mean gauge, spec §1). */
  int d = 6, n = 4;
  double K[24], x[6], H[36], ev[6], V[36];
  for (int i = 0; i < n * d; i++) K[i] = gsl_ran_gaussian(r, 1.0);
  for (int c = 0; c < d; c++) x[c] = gsl_ran_gaussian(r, 0.7);
  spx_fe *fe = NULL;
  spx_fe_create(SPX_FE_ATTENTION, n, d, 1.3, K, &fe);
  spx_fe_eval(fe, x, NULL, NULL, H);
  spx_mat_sym_eigen(d, H, ev, V);
  spx_test_le("attention: lambda_max(H) <= 1e-12", ev[0], 1e-12);
  int rank = 0;
  for (int i = 0; i < d; i++) rank += fabs(ev[i]) > 1e-10 * fabs(ev[d - 1]);
  spx_test(rank == n - 1, "attention: rank H = min(d, N-1) = 3 for N = 4 keys in d = 6",
           "rank %d", rank);
  spx_fe_free(fe);
}

/* Log-sum-exp with max shift: huge exponents stay finite and F -> min_j U_j (within log N/beta). */
static void test_lse(void)
{
  double C[16], x[2] = {30.0, -20.0}, F, g[2];
  geometry_b(C);
  spx_fe *fe = NULL;
  spx_fe_create(SPX_FE_QUADRATIC, 8, 2, 1e4, C, &fe);
  int st = spx_fe_eval(fe, x, &F, g, NULL);
  double umin = INFINITY;
  for (int j = 0; j < 8; j++) {
    double u = 0.5 * (pow(x[0] - C[2 * j], 2) + pow(x[1] - C[2 * j + 1], 2));
    umin = fmin(umin, u);
  }
  /* -log(8)/beta <= F - min U <= 0 */
  spx_test(st == SPX_OK && isfinite(F) && F <= umin + 1e-9 && F >= umin - log(8.0) / 1e4 - 1e-9,
           "log-sum-exp: beta = 1e4, |x| = 36: F in [min U - log(8)/beta, min U]",
           "F %.12g min U %.12g", F, umin);
  spx_fe_free(fe);
}

/* Geometry A fixture (spec §2.1 [extra], §8 item 2): spectrum of H = -beta Cov_unif(k) at 0. */
static void test_geometry_a(void)
{
  double *K = malloc(sizeof(double) * 40 * 24), H[576], ev[24], V[576], x[24] = {0}, g[24], F;
  int st = spx_fe_read_keys(SPX_TEST_DATA "/geometryA_seed7_keys.tsv", 40, 24, K);
  spx_test(st == SPX_OK, "geometry A seed 7: read fixture 40 x 24", "status %d", st);
  if (st) {
    free(K);
    return;
  }
  spx_fe *fe = NULL;
  spx_fe_create(SPX_FE_ATTENTION, 40, 24, 1.0, K, &fe);
  spx_fe_eval(fe, x, &F, g, H);
  double gmax = 0, tr = 0;
  for (int c = 0; c < 24; c++) gmax = fmax(gmax, fabs(g[c]));
  for (int c = 0; c < 24; c++) tr += H[c * 24 + c];
  spx_test_abs("geometry A: F(0) = -log(40) (all logits 0)", F, -log(40.0), 1e-14);
  spx_test_le("geometry A: x* = 0 is an exact equilibrium (keys centred), |grad F|", gmax, 1e-15);
  spx_test_abs("geometry A seed 7: tr H = -0.92475252", tr, -0.92475252, 5e-9);
  spx_mat_sym_eigen(24, H, ev, V); /* descending: ascending lambda_i = ev[23 - i] */
  const double mu[4] = {-0.364765097, -0.248409901, -0.204411703, -0.106085940};
  for (int k = 0; k < 4; k++) {
    char name[96];
    snprintf(name, sizeof name, "geometry A seed 7: mu_%d = %.9f", k + 1, mu[k]);
    spx_test_abs(name, ev[23 - k], mu[k], 1e-9);
  }
  spx_test_abs("geometry A seed 7: lambda_5 = -1.38362e-4", ev[19], -1.38362e-4, 1e-9);
  spx_test_abs("geometry A seed 7: lambda_24 = -2.916e-6", ev[0], -2.916e-6, 1e-9);
  int inter = 0, bulk = 0;
  for (int i = 0; i < 24; i++) {
    inter += ev[i] >= -0.45 && ev[i] <= -0.06;
    bulk += ev[i] >= -2.5e-4 && ev[i] <= 0.0;
  }
  spx_test(inter == 4 && bulk == 20,
           "geometry A (robust 8.2): 4 eigenvalues in [-0.45,-0.06], 20 in [-2.5e-4, 0]",
           "%d and %d", inter, bulk);
  int labels[40];
  for (int j = 0; j < 40; j++) labels[j] = j / 8;
  spx_test_abs("geometry A: N_eff = 5 at uniform weights", spx_fe_cluster_neff(fe, 5, labels), 5.0,
               1e-13);
  spx_fe_free(fe);
  free(K);
}

/* Geometry C fixture (spec §2.3): the centres are a unit-edge regular simplex, |c_a| known. */
static void test_geometry_c_fixture(void)
{
  double *C = malloc(sizeof(double) * 7 * 48), *K = malloc(sizeof(double) * 84 * 48);
  int st = spx_fe_read_keys(SPX_TEST_DATA "/geometryC_m7_seed0_centres.tsv", 7, 48, C);
  int st2 = spx_fe_read_keys(SPX_TEST_DATA "/geometryC_m7_seed0_keys.tsv", 84, 48, K);
  spx_test(st == SPX_OK && st2 == SPX_OK, "geometry C m=7: read fixtures 7 x 48 and 84 x 48",
           "status %d %d", st, st2);
  if (st == SPX_OK && st2 == SPX_OK) {
    double edge_err = 0, norm_err = 0, key_dev = 0;
    for (int a = 0; a < 7; a++) {
      double s = 0;
      for (int c = 0; c < 48; c++) s += C[a * 48 + c] * C[a * 48 + c];
      norm_err = fmax(norm_err, fabs(sqrt(s) - sqrt(6.0 / 14.0)));
      for (int b = a + 1; b < 7; b++) {
        double e = 0;
        for (int c = 0; c < 48; c++) e += pow(C[a * 48 + c] - C[b * 48 + c], 2);
        edge_err = fmax(edge_err, fabs(sqrt(e) - 1.0));
      }
      /* keys = centre + 0.010 N(0, I_48): |k - c| ~ 0.010 sqrt(48) = 0.069 */
      for (int i = 0; i < 12; i++) {
        double e = 0;
        for (int c = 0; c < 48; c++) e += pow(K[(a * 12 + i) * 48 + c] - C[a * 48 + c], 2);
        key_dev = fmax(key_dev, sqrt(e));
      }
    }
    spx_test_le("geometry C: unit-edge simplex, max | |c_a - c_b| - 1 |", edge_err, 1e-12);
    spx_test_le("geometry C: |c_a| = sqrt((m-1)/(2m)), max error", norm_err, 1e-12);
    spx_test_le("geometry C: keys within 0.010 sqrt(48) x 1.6 of their centre", key_dev,
                0.010 * sqrt(48.0) * 1.6);
  }
  free(C);
  free(K);
}

/* Riemannian gradient and Hessian on S^{d-1} against differences along geodesics
 * gamma(t) = cos(t) x + sin(t) v (|v| = 1, v perp x): (f o gamma)'(0) = <grad_S f, v>,
 * (f o gamma)''(0) = v^T Hess_S f v (polarization for the off-diagonal entries). */
static void test_sphere_fd(gsl_rng *r)
{
  for (int kind = 0; kind < 2; kind++) {
    const int d = 4, n = 6, m = d - 1;
    double K[24], x[4], B[12], Ht[9], rg[4], RH[16], F0;
    for (int i = 0; i < n * d; i++) K[i] = gsl_ran_gaussian(r, 0.9);
    double s = 0;
    for (int c = 0; c < d; c++) {
      x[c] = gsl_ran_gaussian(r, 1.0);
      s += x[c] * x[c];
    }
    for (int c = 0; c < d; c++) x[c] /= sqrt(s);
    spx_fe *fe = NULL;
    spx_fe_create(kind, n, d, 2.1, K, &fe);
    spx_fe_sphere_eval(fe, x, &F0, rg, RH);
    spx_fe_sphere_tangent_hessian(fe, x, Ht, B);
    const double h = 1e-4;
    double gerr = 0, gmax = 0, herr = 0, hmax = 0;
    for (int a = 0; a < m; a++)
      for (int b = a; b < m; b++) {
        double v[4], y[4], vs = 0, fp, fm;
        for (int c = 0; c < d; c++) {
          v[c] = B[c * m + a] + B[c * m + b];
          vs += v[c] * v[c];
        }
        for (int c = 0; c < d; c++) v[c] /= sqrt(vs);
        for (int c = 0; c < d; c++) y[c] = cos(h) * x[c] + sin(h) * v[c];
        fp = Fval(fe, y);
        for (int c = 0; c < d; c++) y[c] = cos(h) * x[c] - sin(h) * v[c];
        fm = Fval(fe, y);
        double second = (fp - 2 * F0 + fm) / (h * h);
        /* v = (b_a + b_b)/|.|: v^T Ht v = (Ht_aa + Ht_bb + 2 Ht_ab)/2 (a != b) or Ht_aa. */
        double pred = a == b ? Ht[a * m + a]
                             : 0.5 * (Ht[a * m + a] + Ht[b * m + b] + 2 * Ht[a * m + b]);
        herr = fmax(herr, fabs(second - pred));
        hmax = fmax(hmax, fabs(pred));
        if (a == b) {
          double gp = 0;
          for (int c = 0; c < d; c++) gp += rg[c] * v[c];
          gerr = fmax(gerr, fabs((fp - fm) / (2 * h) - gp));
          gmax = fmax(gmax, fabs(gp));
        }
      }
    char name[128];
    const char *kn = kind ? "quadratic" : "attention";
    snprintf(name, sizeof name, "S^3 %s: Riemannian gradient vs geodesic differences (rel < 1e-7)",
             kn);
    spx_test_le(name, gerr / gmax, 1e-7);
    snprintf(name, sizeof name, "S^3 %s: Riemannian Hessian vs geodesic differences (rel < 1e-6)",
             kn);
    spx_test_le(name, herr / hmax, 1e-6);
    /* x is in the kernel of the Riemannian Hessian and orthogonal to the gradient. */
    double kx = 0, gx = 0;
    for (int a = 0; a < d; a++) {
      double t = 0;
      for (int c = 0; c < d; c++) t += RH[a * d + c] * x[c];
      kx = fmax(kx, fabs(t));
      gx += rg[a] * x[a];
    }
    snprintf(name, sizeof name, "S^3 %s: Hess_S x = 0 and <grad_S, x> = 0", kn);
    spx_test(kx < 1e-14 && fabs(gx) < 1e-15, name, "|Hx| %.3g <g,x> %.3g", kx, gx);
    spx_fe_free(fe);
  }
}

/* Closed form on S^{d-1} (spec §7d.1, §8 item 19): keys +-a_i e_i + b e_d (i < d). At x = e_d all
 * logits equal b, kbar = b e_d, Cov = diag(a_i^2/(d-1)): Hess_S = diag(b - beta a_i^2/(d-1)). */
static void test_sphere_closed_form(void)
{
  const int d = 4, n = 6, m = 3;
  const double a[3] = {1.3, 0.95, 0.45}, b = 0.35, beta = 1.5;
  double K[24] = {0}, x[4] = {0, 0, 0, 1}, rg[4], Ht[9], B[12], ev[3], V[9];
  for (int i = 0; i < m; i++) {
    K[(2 * i) * d + i] = a[i];
    K[(2 * i + 1) * d + i] = -a[i];
    K[(2 * i) * d + 3] = K[(2 * i + 1) * d + 3] = b;
  }
  spx_fe *fe = NULL;
  spx_fe_create(SPX_FE_ATTENTION, n, d, beta, K, &fe);
  spx_fe_sphere_eval(fe, x, NULL, rg, NULL);
  double gn = 0;
  for (int c = 0; c < d; c++) gn = fmax(gn, fabs(rg[c]));
  spx_test_abs("S^3 symmetric keys: e_d is a critical point", gn, 0.0, 1e-15);
  spx_fe_sphere_tangent_hessian(fe, x, Ht, B);
  spx_mat_sym_eigen(m, Ht, ev, V);
  double expect[3];
  int neg = 0, pred = 0;
  for (int i = 0; i < m; i++) expect[i] = b - beta * a[i] * a[i] / (d - 1);
  /* descending order of the expected values: a ascending in magnitude -> i = 2, 1, 0 */
  spx_test_abs("S^3 symmetric keys: tangent eigenvalue b - beta a_3^2/3", ev[0], expect[2], 1e-14);
  spx_test_abs("S^3 symmetric keys: tangent eigenvalue b - beta a_2^2/3", ev[1], expect[1], 1e-14);
  spx_test_abs("S^3 symmetric keys: tangent eigenvalue b - beta a_1^2/3", ev[2], expect[0], 1e-14);
  /* Count identity: #negative = #{beta eig(P Cov P) > <x, kbar>} (here <x,kbar> = b). */
  for (int i = 0; i < m; i++) {
    neg += ev[i] < 0;
    pred += beta * a[i] * a[i] / (d - 1) > b;
  }
  spx_test(neg == pred && neg == 2, "S^3 symmetric keys: dim E_- = #{beta eig(PCovP) > <x,kbar>} = 2",
           "negative %d predicted %d", neg, pred);
  spx_fe_free(fe);
}

static void test_errors(void)
{
  double K[4] = {1, 0, 0, 1}, Kn[4] = {1, NAN, 0, 1}, x[2] = {0.6, 0.6};
  spx_fe *fe = NULL;
  spx_set_quiet(1);
  spx_test(spx_fe_create(SPX_FE_ATTENTION, 2, 2, 0.0, K, &fe) == SPX_EINVAL && !fe,
           "error: beta = 0 rejected", NULL);
  spx_test(spx_fe_create(SPX_FE_ATTENTION, 2, 2, NAN, K, &fe) == SPX_EINVAL,
           "error: beta = NaN rejected", NULL);
  spx_test(spx_fe_create(SPX_FE_ATTENTION, 0, 2, 1.0, K, &fe) == SPX_EINVAL,
           "error: no keys rejected", NULL);
  spx_test(spx_fe_create(SPX_FE_QUADRATIC, 2, 2, 1.0, Kn, &fe) == SPX_EINVAL,
           "error: non-finite key rejected", NULL);
  spx_test(spx_fe_create((spx_fe_kind)7, 2, 2, 1.0, K, &fe) == SPX_EINVAL,
           "error: unknown kind rejected", NULL);
  spx_fe_create(SPX_FE_ATTENTION, 2, 2, 1.0, K, &fe);
  double F;
  spx_test(spx_fe_sphere_eval(fe, x, &F, NULL, NULL) == SPX_EINVAL,
           "error: sphere evaluation off the sphere rejected", NULL);
  double xn[2] = {NAN, 0};
  spx_test(spx_fe_eval(fe, xn, &F, NULL, NULL) == SPX_ENONFINITE,
           "error: non-finite query point reported", NULL);
  spx_fe_free(fe);
  double *big = malloc(sizeof(double) * 40 * 25);
  spx_test(spx_fe_read_keys(SPX_TEST_DATA "/geometryA_seed7_keys.tsv", 40, 25, big) == SPX_EINVAL,
           "error: keys file with the wrong number of columns", NULL);
  spx_test(spx_fe_read_keys(SPX_TEST_DATA "/geometryA_seed7_keys.tsv", 39, 24, big) == SPX_EINVAL,
           "error: keys file with too many rows", NULL);
  spx_test(spx_fe_read_keys(SPX_TEST_DATA "/no_such_file.tsv", 40, 24, big) == SPX_EINVAL,
           "error: missing keys file", NULL);
  free(big);
  spx_set_quiet(0);
}

int main(void)
{
  gsl_set_error_handler_off();
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 20260517);
  test_geometry_b();
  test_identity_random(r);
  test_lse();
  test_geometry_a();
  test_geometry_c_fixture();
  test_sphere_fd(r);
  test_sphere_closed_form();
  test_errors();
  gsl_rng_free(r);
  return spx_test_summary();
}
