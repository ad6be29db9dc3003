/* test_stability.c -- tests of sim/stability.c (pure-mode linearization, criteria, tangent
 * Jacobians, mixed equilibria, the table).
 *
 * Expected numbers come from the spec (sphere_dynamics.md §4.3, §4.4, §10 items 5-8, §12.3-12.4,
 * §13) or from mathematics written out here independently of the code under test: the §4.3
 * formulas in the N_+- notation, tanh/cosh closed forms, identities (trace/det, SA and USA
 * sharing the Morse index, basis independence), and finite differences.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "harness.h"
#include "kernel.h"
#include "mat.h"
#include "model.h"
#include "stability.h"
#include "status.h"

static gsl_rng *rng;

/* max that propagates NaN (fmax drops it, which would hide a NaN error as a pass). */
static double maxerr(double e, double v) { return (isnan(e) || isnan(v)) ? NAN : (v > e ? v : e); }

/* Model with V = A = R diag(lambda) R^T (R random orthogonal when rotate, else I). */
static spx_model *make_model(int n, int d, const double *lambda, int rotate, double beta,
                             spx_normalization norm, int usa_rescaled)
{
  spx_model *m = NULL;
  double R[64], D[64], T1[64];
  if (spx_model_create(n, d, 1, &m) != SPX_OK) return NULL;
  if (rotate) spx_mat_random_orthogonal(d, rng, R);
  else spx_mat_identity(d, R);
  memset(D, 0, sizeof D);
  for (int a = 0; a < d; a++) D[a * d + a] = lambda[a];
  spx_mat_mul(d, d, d, R, D, T1);
  double Rt[64];
  spx_mat_transpose(d, d, R, Rt);
  spx_mat_mul(d, d, d, T1, Rt, m->heads[0].V);
  for (int a = 0; a < d; a++) /* exactly symmetric */
    for (int b = 0; b < a; b++) m->heads[0].V[a * d + b] = m->heads[0].V[b * d + a];
  memcpy(m->heads[0].A, m->heads[0].V, sizeof(double) * d * d);
  m->beta = beta;
  m->norm = norm;
  if (spx_model_finalize(m, usa_rescaled) != SPX_OK) {
    spx_model_free(m);
    return NULL;
  }
  return m;
}

/* Index of the model's mode whose eigenvalue is closest to target. */
static int find_mode(const spx_model *m, double target)
{
  int k = 0;
  for (int l = 1; l < m->d; l++)
    if (fabs(m->spectrum[l] - target) < fabs(m->spectrum[k] - target)) k = l;
  return k;
}

static double unif(double a, double b) { return a + (b - a) * gsl_rng_uniform(rng); }

/* ---- §10 item 5: closed form, analytic and FD Jacobians ------------------------------------- */

typedef struct {
  const char *name;
  double lambda[3]; /* diag(V) as printed; u_j = e_j */
  double beta;
  int j;            /* 1-based axis of the spec ("on u_3") */
  int n_plus, n_minus;
  double sa, usa;   /* printed max eigenvalues (usa NaN when not printed) */
} item5_case;

static void test_item5(void)
{
  const item5_case cases[] = {
      {"homogeneous n=5 on u1", {1, .6, -.3}, 1.5, 1, 5, 0, -0.4000, -1.7927},
      {"split 3/2 on u1", {1, .6, -.3}, 1.5, 1, 3, 2, -0.2903, -0.5728},
      {"balanced 3/3 on u3", {-1, -.5, -2}, 1.0, 3, 3, 3, -0.9640, -3.6269},
      {"balanced 3/3 on u1", {-1, -.5, -2}, 1.0, 1, 3, 3, 0.7616, 1.1752},
      {"balanced 3/3 on u1 (0.9)", {1, .9, .1}, 0.5, 1, 3, 3, 0.4379, NAN},
  };
  char name[160];
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const item5_case *ic = &cases[c];
    for (int nm = 0; nm < 2; nm++) {
      double expect = nm == 0 ? ic->sa : ic->usa;
      if (isnan(expect)) continue;
      spx_normalization norm = nm == 0 ? SPX_NORM_SA : SPX_NORM_USA;
      const char *tag = nm == 0 ? "SA" : "USA";
      /* closed form on the printed diagonal spectrum */
      spx_puremode pm = {3, ic->lambda, ic->beta, norm, 0.0, ic->j - 1, ic->n_plus, ic->n_minus};
      double mx;
      int morse;
      spx_verdict v;
      int st = spx_puremode_verdict(&pm, 0.0, &mx, &morse, &v);
      snprintf(name, sizeof name, "item5 %s %s closed-form max eig", ic->name, tag);
      spx_test_abs(name, st == SPX_OK ? mx : NAN, expect, 1e-4);

      /* numerical: V in a random basis, state from the model's U */
      int n = ic->n_plus + ic->n_minus;
      spx_model *m = make_model(n, 3, ic->lambda, 1, ic->beta, norm, 0);
      spx_kernel *kern = NULL;
      spx_stability_ws *ws = NULL;
      double x[3 * 8], T[2 * 8 * 3], cf[16];
      if (!m || spx_kernel_create(m, &kern) != SPX_OK || spx_stability_ws_create(n, 3, &ws) != SPX_OK) {
        spx_test(0, "item5 set-up", "model/kernel/workspace");
        spx_kernel_free(kern);
        spx_model_free(m);
        continue;
      }
      int k = find_mode(m, ic->lambda[ic->j - 1]);
      spx_puremode pmm = {3, m->spectrum, m->beta, norm, m->usa_shift, k, ic->n_plus, ic->n_minus};
      spx_pm_eig eig[6];
      int neig = 0, dim = n * 2;
      spx_stability_result res;
      spx_stability_opts so = {1e-6, 1, 0.0};
      st = spx_stability_pm_state(m, k, ic->n_plus, ic->n_minus, x);
      if (st == SPX_OK) st = spx_stability_basis_pm(n, 3, m->U, k, T);
      if (st == SPX_OK) st = spx_stability_analyze(kern, ws, x, T, &so, &res);
      if (st == SPX_OK) st = spx_puremode_spectrum(&pmm, 6, eig, &neig);
      if (st == SPX_OK) st = spx_pm_eig_expand(neig, eig, dim, cf);
      snprintf(name, sizeof name, "item5 %s %s analysis runs", ic->name, tag);
      spx_test(st == SPX_OK, name, "status %d", st);
      if (st == SPX_OK) {
        double e_an = 0.0, e_fd = 0.0;
        for (int i = 0; i < dim; i++) {
          e_an = maxerr(e_an, fabs(cf[i] - res.an.re[i]));
          e_fd = maxerr(e_fd, fabs(cf[i] - res.fd.re[i]));
        }
        snprintf(name, sizeof name, "item5 %s %s RHS norm < 1e-12 (equilibrium)", ic->name, tag);
        spx_test_le(name, res.rhs_norm, 1e-12);
        snprintf(name, sizeof name, "item5 %s %s closed form = analytic Jacobian (all %d)",
                 ic->name, tag, dim);
        spx_test_le(name, e_an, 1e-6);
        snprintf(name, sizeof name, "item5 %s %s closed form = FD Jacobian h=1e-6 (all %d)",
                 ic->name, tag, dim);
        spx_test_le(name, e_fd, 1e-6);
        snprintf(name, sizeof name, "item5 %s %s analytic = FD entrywise", ic->name, tag);
        spx_test_le(name, res.jac_diff, 1e-6);
        snprintf(name, sizeof name, "item5 %s %s FD max eig vs printed", ic->name, tag);
        spx_test_abs(name, res.fd.max_re, expect, 1e-4);
        snprintf(name, sizeof name, "item5 %s %s spectrum real (max |Im|)", ic->name, tag);
        spx_test_le(name, maxerr(res.an.max_abs_im, res.fd.max_abs_im), 1e-6);
        snprintf(name, sizeof name, "item5 %s %s Morse index analytic = closed form", ic->name, tag);
        spx_test(res.an.morse == morse && res.fd.morse == morse, name, "an %d fd %d cf %d",
                 res.an.morse, res.fd.morse, morse);
        /* spec printed sign: bold positive entries are the unstable ones */
        snprintf(name, sizeof name, "item5 %s %s verdict", ic->name, tag);
        spx_test(res.an.verdict == (expect > 0 ? SPX_VERDICT_UNSTABLE : SPX_VERDICT_STABLE), name,
                 "%s", spx_verdict_name(res.an.verdict));
      }
      spx_stability_ws_free(ws);
      spx_kernel_free(kern);
      spx_model_free(m);
    }
  }
}

/* ---- §4.3 closed forms vs the spec's own notation -------------------------------------------- */

static void test_closed_forms(void)
{
  double e_hom = 0, e_bal = 0, e_G = 0, e_int = 0, e_trdet = 0;
  int bad_mult = 0, bad_kind = 0;
  for (int trial = 0; trial < 300; trial++) {
    int d = 2 + (int)gsl_rng_uniform_int(rng, 4), k = (int)gsl_rng_uniform_int(rng, d);
    double lam[6];
    for (int l = 0; l < d; l++) lam[l] = unif(-2, 2);
    double beta = unif(0, 3);
    spx_normalization norm = (trial & 1) ? SPX_NORM_USA : SPX_NORM_SA;
    const double p = lam[k], E = exp(beta * p), e = exp(-beta * p);
    spx_pm_eig eig[12];
    int neig, tot;

    /* homogeneous: internal -p (SA) or -p e^{beta p} (USA); drift (l - p) (x e^{beta p} USA) */
    int n = 1 + (int)gsl_rng_uniform_int(rng, 7);
    double sc = norm == SPX_NORM_SA ? 1.0 : E;
    spx_puremode pm = {d, lam, beta, norm, 0.0, k, n, 0};
    spx_puremode_spectrum(&pm, 12, eig, &neig);
    tot = 0;
    for (int i = 0; i < neig; i++) {
      tot += eig[i].mult;
      double want = eig[i].kind == SPX_PM_INTERNAL_PLUS ? -p * sc : (lam[eig[i].l] - p) * sc;
      if (eig[i].kind == SPX_PM_INTERNAL_PLUS && eig[i].mult != (d - 1) * (n - 1)) bad_mult++;
      e_hom = maxerr(e_hom, fabs(eig[i].value - want) / maxerr(1.0, fabs(want)));
    }
    if (tot != n * (d - 1)) bad_mult++;

    /* balanced: internal -p tanh, counter (l - p) tanh, co-motion l - p tanh (x cosh USA) */
    int h = 1 + (int)gsl_rng_uniform_int(rng, 5);
    double th = tanh(beta * p), cb = norm == SPX_NORM_SA ? 1.0 : cosh(beta * p);
    spx_puremode pb = {d, lam, beta, norm, 0.0, k, h, h};
    spx_puremode_spectrum(&pb, 12, eig, &neig);
    tot = 0;
    for (int i = 0; i < neig; i++) {
      tot += eig[i].mult;
      double want;
      int l = eig[i].l;
      if (eig[i].kind == SPX_PM_INTERNAL_PLUS || eig[i].kind == SPX_PM_INTERNAL_MINUS) {
        want = -p * th * cb;
        if (eig[i].mult != (d - 1) * (h - 1)) bad_mult++;
      } else if (eig[i].kind == SPX_PM_COUNTER) {
        want = (lam[l] - p) * th * cb;
      } else if (eig[i].kind == SPX_PM_COMOTION) {
        want = (lam[l] - p * th) * cb;
      } else { /* lambda_l = 0 never happens for continuous draws */
        want = NAN;
        bad_kind++;
      }
      e_bal = maxerr(e_bal, fabs(eig[i].value - want) / maxerr(1.0, fabs(want)));
    }
    if (tot != 2 * h * (d - 1)) bad_mult++;

    /* unbalanced: §4.3 with N_+ = n_+ E + n_- e, N_- = n_- E + n_+ e (SA) or n (USA) */
    int np = 1 + (int)gsl_rng_uniform_int(rng, 6), nm = 1 + (int)gsl_rng_uniform_int(rng, 6);
    double Np = norm == SPX_NORM_SA ? np * E + nm * e : np + nm;
    double Nm = norm == SPX_NORM_SA ? nm * E + np * e : np + nm;
    spx_puremode pu = {d, lam, beta, norm, 0.0, k, np, nm};
    double mup, mum;
    spx_puremode_internal(&pu, &mup, &mum);
    e_int = maxerr(e_int, fabs(mup - (-p * (np * E - nm * e) / Np)));
    e_int = maxerr(e_int, fabs(mum - (-p * (nm * E - np * e) / Nm)));
    spx_puremode_spectrum(&pu, 12, eig, &neig);
    for (int l = 0; l < d; l++) {
      if (l == k) continue;
      double G[4], ll = lam[l];
      spx_puremode_block(&pu, l, G);
      double W[4] = {((ll - p) * np * E + p * nm * e) / Np, ll * nm * e / Np, ll * np * e / Nm,
                     ((ll - p) * nm * E + p * np * e) / Nm};
      for (int a = 0; a < 4; a++) e_G = maxerr(e_G, fabs(G[a] - W[a]) / maxerr(1.0, fabs(W[a])));
      /* the two listed block eigenvalues have trace and determinant of G */
      double s = 0, pr = 1;
      int cnt = 0;
      for (int i = 0; i < neig; i++)
        if (eig[i].l == l) {
          s += eig[i].value;
          pr *= eig[i].value;
          cnt++;
        }
      double tr = W[0] + W[3], det = W[0] * W[3] - W[1] * W[2];
      e_trdet = maxerr(e_trdet, fabs(s - tr) / maxerr(1.0, fabs(tr)));
      e_trdet = maxerr(e_trdet, fabs(pr - det) / maxerr(1.0, fabs(det)));
      if (cnt != 2) bad_mult++;
    }
  }
  spx_test_le("4.3 homogeneous: internal -l_k (x e^{b l_k} USA), drift l_l - l_k (300 random)", e_hom, 1e-12);
  spx_test_le("4.3 balanced: -l tanh, (l_l-l_k) tanh, l_l - l_k tanh (x cosh USA)", e_bal, 1e-12);
  spx_test_le("4.3 unbalanced: internal rates in the N+- notation", e_int, 1e-12);
  spx_test_le("4.3 unbalanced: G^(l) entries in the N+- notation", e_G, 1e-12);
  spx_test_le("4.3 unbalanced: block eigenvalues have trace and det of G^(l)", e_trdet, 1e-10);
  spx_test(bad_mult == 0, "4.3 multiplicities sum to n(d-1), internal (d-1)(n+-1)", "%d bad", bad_mult);
  spx_test(bad_kind == 0, "4.3 balanced: co-motion / counter-rotation labels", "%d bad", bad_kind);

  /* error paths */
  double lam[3] = {1, .5, -1};
  spx_puremode bad = {3, lam, 1.0, SPX_NORM_SA, 0.0, 3, 2, 2};
  spx_pm_eig eig[6];
  int neig;
  spx_test(spx_puremode_spectrum(&bad, 6, eig, &neig) == SPX_EINVAL, "error: k out of range", "%s", "ok");
  bad.k = 0;
  bad.n_plus = bad.n_minus = 0;
  spx_test(spx_puremode_spectrum(&bad, 6, eig, &neig) == SPX_EINVAL, "error: no particles", "%s", "ok");
  bad.n_plus = 2;
  bad.beta = -1;
  spx_test(spx_puremode_spectrum(&bad, 6, eig, &neig) == SPX_EINVAL, "error: beta < 0", "%s", "ok");
  bad.beta = 1;
  bad.n_minus = 2; /* a split on d = 3 has 2 + 2 (d-1) = 6 entries */
  spx_test(spx_puremode_spectrum(&bad, 5, eig, &neig) == SPX_EINVAL, "error: eigenvalue capacity", "%s", "ok");
  double G[4];
  spx_test(spx_puremode_block(&bad, 0, G) == SPX_EINVAL, "error: block l = k", "%s", "ok");
  /* mirror symmetry x -> -x: (0, n) has the spectrum of (n, 0) */
  spx_puremode a = {3, lam, 1.0, SPX_NORM_SA, 0.0, 0, 0, 4}, b = a;
  b.n_plus = 4;
  b.n_minus = 0;
  double va[8], vb[8];
  int na, nb;
  spx_pm_eig ea[6], eb[6];
  spx_puremode_spectrum(&a, 6, ea, &na);
  spx_puremode_spectrum(&b, 6, eb, &nb);
  spx_pm_eig_expand(na, ea, 8, va);
  spx_pm_eig_expand(nb, eb, 8, vb);
  double dm = 0;
  for (int i = 0; i < 8; i++) dm = maxerr(dm, fabs(va[i] - vb[i]));
  spx_test_le("mirror: (0, n) and (n, 0) have the same spectrum", dm, 0.0);
}

/* ---- §4.4 / §12.4 criteria vs eigenvalue signs ------------------------------------------------ */

/* 1 stable, 0 not, -1 ambiguous (an eigenvalue within 1e-9 of 0). */
static int sign_pattern(const spx_puremode *pm)
{
  spx_pm_eig eig[12];
  int neig;
  if (spx_puremode_spectrum(pm, 12, eig, &neig) != SPX_OK) return -2;
  int stable = 1;
  for (int i = 0; i < neig; i++) {
    if (fabs(eig[i].value) < 1e-9) return -1;
    if (eig[i].value > 0) stable = 0;
  }
  return stable;
}

static void test_criteria(void)
{
  int cases = 0, amb = 0, mis_ky = 0, mis_exact = 0, mis_bal = 0, mis_hom = 0, mis_usa = 0;
  int nstable = 0, nbal = 0, nhom = 0;
  for (int trial = 0; trial < 20000; trial++) {
    int d = 2 + (int)gsl_rng_uniform_int(rng, 4), k = (int)gsl_rng_uniform_int(rng, d);
    double lam[6];
    for (int l = 0; l < d; l++) lam[l] = unif(-2, 2);
    double beta = unif(0.01, 3);
    int np = 2 + (int)gsl_rng_uniform_int(rng, 11), nm = 2 + (int)gsl_rng_uniform_int(rng, 11);
    spx_puremode pm = {d, lam, beta, SPX_NORM_SA, 0.0, k, np, nm};
    int s = sign_pattern(&pm);
    if (s < 0) { amb++; continue; }
    cases++;
    nstable += s;
    if (spx_stability_unbalanced_stable(d, lam, beta, k, np, nm) != s) mis_ky++;
    if (spx_puremode_stable(&pm) != s) mis_exact++;
    /* USA has the same Morse index (spec §3: G^{-1} Hess E with two metrics) */
    spx_puremode pu = pm;
    pu.norm = SPX_NORM_USA;
    int mu_sa, mu_usa;
    spx_puremode_verdict(&pm, 1e-12, NULL, &mu_sa, NULL);
    spx_puremode_verdict(&pu, 1e-12, NULL, &mu_usa, NULL);
    if (mu_sa != mu_usa) mis_usa++;
    /* balanced (n_+ = n_- >= 2): §4.4 item 2 */
    pm.n_minus = pm.n_plus;
    s = sign_pattern(&pm);
    if (s >= 0) {
      nbal += s;
      if (spx_stability_balanced_stable(d, lam, beta, k) != s) mis_bal++;
    }
    /* homogeneous (n >= 2): §4.4 item 1 */
    pm.n_minus = 0;
    s = sign_pattern(&pm);
    if (s >= 0) {
      nhom += s;
      if (spx_stability_homogeneous_stable(d, lam, k) != s) mis_hom++;
    }
  }
  printf("# criteria: %d cases (%d ambiguous skipped), %d stable splits, %d stable balanced, "
         "%d stable homogeneous\n", cases, amb, nstable, nbal, nhom);
  spx_test(cases > 19000 && nstable > 100 && nbal > 100 && nhom > 100,
           "criteria: random sample covers stable and unstable cases", "%d cases", cases);
  spx_test(mis_ky == 0, "12.4 sigma(c,r) criterion = eigenvalue signs (n+- >= 2)", "%d mismatches", mis_ky);
  spx_test(mis_exact == 0, "exact criterion = eigenvalue signs (n+- >= 2)", "%d mismatches", mis_exact);
  spx_test(mis_bal == 0, "4.4 item 2 balanced criterion = eigenvalue signs", "%d mismatches", mis_bal);
  spx_test(mis_hom == 0, "4.4 item 1 homogeneous criterion = eigenvalue signs", "%d mismatches", mis_hom);
  spx_test(mis_usa == 0, "SA and USA share the Morse index (spec §3)", "%d mismatches", mis_usa);

  /* the exact criterion also for n+- in {0, 1} (no internal rate there), and beta = 0 */
  int mis_small = 0, nsmall = 0;
  for (int trial = 0; trial < 5000; trial++) {
    int d = 2 + (int)gsl_rng_uniform_int(rng, 4), k = (int)gsl_rng_uniform_int(rng, d);
    double lam[6];
    for (int l = 0; l < d; l++) lam[l] = unif(-2, 2);
    double beta = (trial % 10 == 0) ? 0.0 : unif(0.01, 3);
    int np = (int)gsl_rng_uniform_int(rng, 4), nm = (int)gsl_rng_uniform_int(rng, 4);
    if (np + nm == 0) np = 1;
    spx_puremode pm = {d, lam, beta, (trial & 1) ? SPX_NORM_USA : SPX_NORM_SA, 0.0, k, np, nm};
    int s = sign_pattern(&pm);
    if (s < 0) continue;
    nsmall++;
    if (spx_puremode_stable(&pm) != s) mis_small++;
  }
  spx_test(mis_small == 0 && nsmall > 4000, "exact criterion = eigenvalue signs (n+- <= 3, beta = 0 too)",
           "%d mismatches in %d", mis_small, nsmall);

  /* sigma(c, 1) = tanh(beta lambda): §12.4 reduces to §4.4 item 2 for r = 1 */
  double e_sig = 0;
  for (int i = 0; i < 50; i++) {
    double bl = unif(-3, 3);
    e_sig = maxerr(e_sig, fabs(spx_stability_sigma(exp(2 * bl), 1.0) - tanh(bl)));
  }
  spx_test_le("sigma(e^{2 b l}, 1) = tanh(b l)", e_sig, 1e-14);
  spx_test_abs("sigma finite when c overflows (-> 1)", spx_stability_sigma(INFINITY, 2.0), 1.0, 1e-15);
  spx_test_abs("sigma at c = 1e200 (c^2 overflows; -> 1)", spx_stability_sigma(1e200, 2.0), 1.0, 1e-15);

  /* stable_modes flags = the per-class criteria; V negative definite -> only split on u_min */
  double lneg[3] = {-1, -.5, -2};
  int hom[3], bal[3];
  spx_stability_stable_modes(3, lneg, 0.2, hom, bal);
  spx_test(!hom[0] && !hom[1] && !hom[2] && !bal[0] && !bal[1] && bal[2],
           "4.4 item 2: V < 0 -> the only stable pure mode is the split on u_min",
           "hom %d%d%d bal %d%d%d", hom[0], hom[1], hom[2], bal[0], bal[1], bal[2]);
  /* strict modulus dominance: every split on a negative mode unstable, homogeneous u1 stable */
  double ldom[3] = {1, -.9, .5};
  int ok = 1;
  for (int t = 0; t < 20; t++) {
    double b = unif(0.05, 20);
    spx_stability_stable_modes(3, ldom, b, hom, bal);
    ok &= hom[0] && !bal[1];
  }
  spx_test(ok, "4.4 item 4: modulus dominance kills the split on the negative mode (any beta)", "%s", "ok");
}

/* ---- thresholds: beta_s, the BKKRW edges, bistability, imbalance ------------------------------- */

/* Balanced split (2 + 2) on the top mode of diag(a, 1), beta = 1: 1 if stable. */
static int bkkrw_split_stable(double a)
{
  double lam[2] = {a, 1.0};
  int top = a > 1.0 ? 0 : 1;
  spx_puremode pm = {2, lam, 1.0, SPX_NORM_SA, 0.0, top, 2, 2};
  return sign_pattern(&pm) == 1;
}

static double bisect_edge(double lo, double hi)
{
  int slo = bkkrw_split_stable(lo);
  for (int i = 0; i < 60; i++) {
    double mid = 0.5 * (lo + hi);
    if (bkkrw_split_stable(mid) == slo) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

static void test_thresholds(void)
{
  double l8[3] = {1, 0.8, -0.5};
  double bs = spx_stability_beta_s(3, l8);
  spx_test_abs("beta_s = artanh(0.8) for diag(1, .8, -.5) (spec §10 item 8: 1.0986)", bs, 1.0986, 1e-4);
  spx_puremode pm = {3, l8, bs * 0.999, SPX_NORM_SA, 0.0, 0, 3, 3};
  double below, above;
  spx_puremode_verdict(&pm, 0, &below, NULL, NULL);
  pm.beta = bs * 1.001;
  spx_puremode_verdict(&pm, 0, &above, NULL, NULL);
  spx_test(below > 0 && above < 0, "beta_s: split on u1 unstable just below, stable just above",
           "max eig %.3g / %.3g", below, above);
  /* scale invariance (spec §2.7): (V, beta) -> (c V, beta / c), so beta_s(c V) = beta_s(V) / c */
  double l8c[3] = {2.5, 2.0, -1.25};
  spx_test_rel("beta_s(2.5 V) = beta_s(V) / 2.5 (scale invariance)", spx_stability_beta_s(3, l8c),
               bs / 2.5, 1e-14);
  spx_test_abs("beta_s = 0 when lambda_2 <= 0", spx_stability_beta_s(3, (double[]){1, -0.3, -0.2}), 0.0, 0.0);
  spx_test(isinf(spx_stability_beta_s(3, (double[]){1, 1, 0.2})) &&
               isinf(spx_stability_beta_s(3, (double[]){-1, -2, -3})),
           "beta_s = inf for a repeated or non-positive top eigenvalue", "%s", "ok");

  /* BKKRW geometry (d = 2, V = diag(a, 1), beta = 1): edges tanh(1) and a tanh(a) = 1 */
  spx_test_abs("split edge a < 1: tanh(1) = 0.76159", bisect_edge(0.5, 0.99), 0.76159, 1e-5);
  spx_test_abs("split edge a > 1: a tanh(a) = 1 -> 1.19968", bisect_edge(1.01, 1.6), 1.19968, 1e-5);
  int ok = 1;
  for (double a = 0.3; a < 2.0; a += 0.1) {
    if (fabs(a - 1.0) < 1e-9) continue;
    double lam[2] = {a, 1.0};
    int low = a > 1.0 ? 1 : 0; /* the axis of the smaller eigenvalue */
    for (int np = 1; np <= 3; np++)
      for (int nm = 0; nm <= 3; nm++) {
        spx_puremode p2 = {2, lam, 1.0, SPX_NORM_SA, 0.0, low, np, nm};
        ok &= sign_pattern(&p2) == 0;
      }
  }
  spx_test(ok, "BKKRW: no pure mode on the smaller-eigenvalue axis is stable", "%s", "ok");

  /* bistability: |lambda_min| > lambda_1 > 0 */
  double lb[3] = {1, 0.5, -2};
  double bb = spx_stability_bistability_beta(3, lb);
  spx_test_abs("bistability beta = artanh(1/2)/2", bb, 0.5 * 0.5 * log(3.0), 1e-14);
  spx_puremode hom = {3, lb, bb * 1.01, SPX_NORM_SA, 0.0, 0, 4, 0};
  spx_puremode spl = {3, lb, bb * 1.01, SPX_NORM_SA, 0.0, 2, 3, 3};
  int s_hom_above = sign_pattern(&hom), s_spl_above = sign_pattern(&spl);
  spl.beta = hom.beta = bb * 0.99;
  int s_hom_below = sign_pattern(&hom), s_spl_below = sign_pattern(&spl);
  spx_test(s_hom_above == 1 && s_spl_above == 1 && s_hom_below == 1 && s_spl_below == 0,
           "bistability: both stable above the threshold, split unstable below", "%d %d %d %d",
           s_hom_above, s_spl_above, s_hom_below, s_spl_below);
  spx_test(isinf(spx_stability_bistability_beta(3, (double[]){1, 0.5, -0.8})),
           "no bistability under modulus dominance", "%s", "ok");

  /* imbalance bound e^{2 beta |lambda_k|}: at r = bound an internal rate vanishes */
  double ln[3] = {-1, -.5, -2};
  int np = 7, nm = 2;
  double beta = log((double)np / nm) / (2 * 2.0); /* bound = 3.5 on lambda = -2 */
  spx_test_abs("imbalance bound e^{2 beta |l|}", spx_stability_imbalance_bound(beta, -2.0), 3.5, 1e-13);
  spx_puremode pi = {3, ln, beta, SPX_NORM_SA, 0.0, 2, np, nm};
  double mup, mum;
  spx_puremode_internal(&pi, &mup, &mum);
  spx_test_le("internal rate vanishes at the imbalance bound", fmin(fabs(mup), fabs(mum)), 1e-13);
  pi.beta = beta * 1.01;
  spx_puremode_internal(&pi, &mup, &mum);
  int in_ok = mup < 0 && mum < 0;
  pi.beta = beta * 0.99;
  spx_puremode_internal(&pi, &mup, &mum);
  spx_test(in_ok && maxerr(mup, mum) > 0, "internal rates both < 0 only inside the imbalance bound", "%s", "ok");
}

/* ---- energies (§4.4 item 6) vs the kernel ---------------------------------------------------- */

static void test_energies(void)
{
  double lam[3] = {-1, -.5, -2};
  double e_eps = 0, e_log = 0;
  int ran = 0;
  for (int np = 0; np <= 5; np++)
    for (int nm = 0; nm <= 5; nm++) {
      if (np + nm == 0) continue;
      for (int k = 0; k < 3; k++) {
        double beta = 0.7;
        spx_puremode pm = {3, lam, beta, SPX_NORM_SA, 0.0, k, np, nm};
        double n = np + nm, p = np / n, q = nm / n, bl = beta * lam[k];
        double want = (np == 0 || nm == 0) ? exp(bl)
                      : (np == nm ? cosh(bl) : (p * p + q * q) * exp(bl) + 2 * p * q * exp(-bl));
        e_eps = maxerr(e_eps, fabs(spx_puremode_energy_eps(&pm) - want) / want);
        /* vs the kernel's log-domain energy on the built state (V in a random basis) */
        spx_model *m = make_model(np + nm, 3, lam, 1, beta, SPX_NORM_SA, 0);
        spx_kernel *kern = NULL;
        if (!m || spx_kernel_create(m, &kern) != SPX_OK) { spx_model_free(m); continue; }
        double x[30];
        int km = find_mode(m, lam[k]);
        spx_puremode pmm = {3, m->spectrum, beta, SPX_NORM_SA, 0.0, km, np, nm};
        spx_stability_pm_state(m, km, np, nm, x);
        double lk = spx_kernel_log_energy(kern, x), lc = spx_puremode_log_energy(&pmm);
        e_log = maxerr(e_log, fabs(lk - lc) / fabs(lc));
        ran++;
        spx_kernel_free(kern);
        spx_model_free(m);
      }
    }
  spx_test_le("4.4 item 6: eps = e^{bl}, cosh(bl), (p^2+q^2)e^{bl}+2pq e^{-bl}", e_eps, 1e-14);
  spx_test(ran == 105, "energy states built", "%d of 105", ran);
  spx_test_le("log E_beta closed form = spx_kernel_log_energy (rel)", e_log, 1e-12);
  /* no overflow in the log domain */
  double big[2] = {1, -1};
  spx_puremode pb = {2, big, 2000.0, SPX_NORM_SA, 0.0, 0, 3, 2};
  double lb = spx_puremode_log_energy(&pb);
  spx_test_abs("log energy at beta lambda = 2000 (no overflow)", lb, 2000.0 + log(13.0) - log(4000.0), 1e-9);
}

/* ---- tangent bases and basis independence ----------------------------------------------------- */

static void test_bases(void)
{
  enum { N = 6, D = 4 };
  double x[N * D], T[N * (D - 1) * D];
  for (int i = 0; i < N * D; i++) x[i] = gsl_rng_uniform(rng) - 0.5;
  x[3] = 0.0; /* a zero component, and an exact axis below */
  for (int a = 0; a < D; a++) x[D + a] = a == 2 ? -3.0 : 0.0;
  spx_stability_basis_householder(N, D, x, T);
  double e_orth = 0, e_perp = 0;
  for (int i = 0; i < N; i++) {
    double nrm = 0;
    for (int a = 0; a < D; a++) nrm += x[i * D + a] * x[i * D + a];
    nrm = sqrt(nrm);
    for (int j = 0; j < D - 1; j++) {
      const double *tj = T + (i * (D - 1) + j) * D;
      double px = 0;
      for (int a = 0; a < D; a++) px += tj[a] * x[i * D + a] / nrm;
      e_perp = maxerr(e_perp, fabs(px));
      for (int l = 0; l < D - 1; l++) {
        const double *tl = T + (i * (D - 1) + l) * D;
        double s = 0;
        for (int a = 0; a < D; a++) s += tj[a] * tl[a];
        e_orth = maxerr(e_orth, fabs(s - (j == l)));
      }
    }
  }
  spx_test_le("Householder basis orthonormal", e_orth, 1e-15);
  spx_test_le("Householder basis orthogonal to x_i", e_perp, 1e-15);
  double z[2 * D] = {0};
  z[0] = 1;
  spx_test(spx_stability_basis_householder(2, D, z, T) == SPX_EINVAL,
           "error: zero row has no tangent space", "%s", "ok");

  /* the spectrum does not depend on the basis: U-basis vs Householder at a split */
  double lam[3] = {1, .6, -.3};
  spx_model *m = make_model(5, 3, lam, 1, 1.5, SPX_NORM_SA, 0);
  spx_kernel *kern = NULL;
  spx_stability_ws *ws = NULL;
  double xs[15], TU[30], re1[10];
  if (!m || spx_kernel_create(m, &kern) || spx_stability_ws_create(5, 3, &ws)) {
    spx_test(0, "basis set-up", "%s", "ok");
  } else {
    spx_stability_opts so = {0, 0, 0};
    spx_stability_result r;
    spx_stability_pm_state(m, 0, 3, 2, xs);
    spx_stability_basis_pm(5, 3, m->U, 0, TU);
    spx_stability_analyze(kern, ws, xs, TU, &so, &r);
    memcpy(re1, r.an.re, sizeof re1);
    spx_stability_analyze(kern, ws, xs, NULL, &so, &r);
    double e = 0;
    for (int i = 0; i < 10; i++) e = maxerr(e, fabs(re1[i] - r.an.re[i]));
    spx_test_le("tangent spectrum independent of the basis (U vs Householder)", e, 1e-12);
    double Jb[100];
    spx_test(spx_stability_jacobian(kern, ws, xs, TU, -1.0, Jb) == SPX_EINVAL,
             "error: negative FD step", "%s", "ok");
    spx_test(spx_stability_pm_state(m, 0, 3, 3, xs) == SPX_EINVAL, "error: n_plus + n_minus != n", "%s", "ok");
  }
  spx_stability_ws_free(ws);
  spx_kernel_free(kern);
  spx_model_free(m);
  spx_stability_ws *w1 = NULL;
  spx_test(spx_stability_ws_create(4, 1, &w1) == SPX_EINVAL && !w1, "error: d = 1 workspace", "%s", "ok");
  spx_test(spx_stability_ws_create(1001, 3, &w1) == SPX_EINVAL, "error: dim > 2000 workspace", "%s", "ok");
}

/* ---- degenerate spectra (§4.4 item 5) --------------------------------------------------------- */

static void test_degenerate(void)
{
  double mI[3] = {-1, -1, -1}, pI[3] = {1, 1, 1};
  spx_puremode pm = {3, mI, 1.0, SPX_NORM_SA, 0.0, 1, 3, 3};
  spx_pm_eig eig[6];
  int neig, morse;
  double mx;
  spx_verdict v;
  spx_puremode_spectrum(&pm, 6, eig, &neig);
  spx_puremode_verdict(&pm, 0, &mx, &morse, &v);
  double e_int = 0, e_merge = 0, e_rot = 0;
  for (int i = 0; i < neig; i++) {
    if (eig[i].kind == SPX_PM_INTERNAL_PLUS || eig[i].kind == SPX_PM_INTERNAL_MINUS)
      e_int = maxerr(e_int, fabs(eig[i].value + tanh(1.0)));
    /* §4.3 co-motion lambda_l - lambda_k tanh(beta lambda_k) with lambda = -1: -1 - tanh(beta).
     * (§4.4 item 5 prints -1 + tanh(beta), a sign slip: both are < 0, the verdict is the same.) */
    else if (eig[i].kind == SPX_PM_COMOTION) e_merge = maxerr(e_merge, fabs(eig[i].value - (-1 - tanh(1.0))));
    else e_rot = maxerr(e_rot, fabs(eig[i].value));
  }
  spx_test_le("V = -I split: internal -tanh(beta)", e_int, 1e-15);
  spx_test_le("V = -I split: merge (co-motion) -1 - tanh(beta)", e_merge, 1e-15);
  spx_test_le("V = -I split: counter-rotation 0", e_rot, 1e-15);
  spx_test(v == SPX_VERDICT_NEUTRAL && morse == 0, "V = -I split: neutral (closed form)", "%s",
           spx_verdict_name(v));
  /* numerically, on a random axis */
  spx_model *m = make_model(6, 3, mI, 1, 1.0, SPX_NORM_SA, 0);
  spx_kernel *kern = NULL;
  spx_stability_ws *ws = NULL;
  if (m && !spx_kernel_create(m, &kern) && !spx_stability_ws_create(6, 3, &ws)) {
    double x[18], axis[3];
    for (int a = 0; a < 3; a++) axis[a] = gsl_rng_uniform(rng) - 0.5;
    double nr = sqrt(axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]);
    for (int i = 0; i < 6; i++)
      for (int a = 0; a < 3; a++) x[i * 3 + a] = (i < 3 ? 1 : -1) * axis[a] / nr;
    spx_stability_opts so = {1e-6, 1, 0};
    spx_stability_result r;
    int st = spx_stability_analyze(kern, ws, x, NULL, &so, &r);
    spx_test(st == SPX_OK && r.an.verdict == SPX_VERDICT_NEUTRAL && r.fd.verdict == SPX_VERDICT_NEUTRAL &&
                 r.an.nzero == 2,
             "V = -I split on a random axis: neutral, 2 zero eigenvalues (analytic and FD)",
             "an %s (%d zero) fd %s", spx_verdict_name(r.an.verdict), r.an.nzero,
             spx_verdict_name(r.fd.verdict));
    /* sorted: 0 (x2, rotation), -tanh 1 (x8, internal), -1 - tanh 1 (x2, merge) */
    double e = 0;
    for (int i = 0; i < 12; i++) {
      double want = i < 2 ? 0.0 : (i < 10 ? -tanh(1.0) : -1.0 - tanh(1.0));
      e = maxerr(e, maxerr(fabs(r.an.re[i] - want), fabs(r.fd.re[i] - want)));
    }
    spx_test_le("V = -I split on a random axis: spectrum {0 x2, -tanh 1 x8, -1-tanh 1 x2}", e, 1e-6);
  } else {
    spx_test(0, "degenerate set-up", "%s", "ok");
  }
  spx_stability_ws_free(ws);
  spx_kernel_free(kern);
  spx_model_free(m);
  spx_puremode ph = {3, pI, 2.0, SPX_NORM_USA, 0.0, 0, 4, 0};
  spx_puremode_verdict(&ph, 0, &mx, &morse, &v);
  spx_test(v == SPX_VERDICT_NEUTRAL, "V = I homogeneous: neutral (rotations)", "%s", spx_verdict_name(v));
}

/* ---- §13 mixed equilibria ---------------------------------------------------------------------- */

/* Eigenvalues of the n x n matrix c W - diag(<x_i, F_i>), the exact linearization along an
 * eigenvector w of V (eigenvalue c) orthogonal to the plane of the state (derived in the test:
 * the logits do not move at first order and V dx_j = c dx_j). */
static int w_block_eigs(const spx_model *m, const double *x, double c, double *ev)
{
  const int n = m->n, d = m->d;
  const double *V = m->heads[0].V;
  double W[64], Vx[24], g[8];
  for (int j = 0; j < n; j++)
    for (int a = 0; a < d; a++) {
      double s = 0;
      for (int b = 0; b < d; b++) s += V[a * d + b] * x[j * d + b];
      Vx[j * d + a] = s;
    }
  for (int i = 0; i < n; i++) {
    double z = 0, F[3] = {0, 0, 0};
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int a = 0; a < d; a++) s += x[i * d + a] * Vx[j * d + a];
      W[i * n + j] = exp(m->beta * s);
      z += W[i * n + j];
    }
    double N = m->norm == SPX_NORM_SA ? z : n;
    for (int j = 0; j < n; j++) {
      W[i * n + j] /= N;
      for (int a = 0; a < d; a++) F[a] += W[i * n + j] * Vx[j * d + a];
    }
    g[i] = 0;
    for (int a = 0; a < d; a++) g[i] += x[i * d + a] * F[a];
  }
  gsl_matrix *M = gsl_matrix_alloc(n, n);
  gsl_vector_complex *e = gsl_vector_complex_alloc(n);
  gsl_eigen_nonsymm_workspace *w = gsl_eigen_nonsymm_alloc(n);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) gsl_matrix_set(M, i, j, c * W[i * n + j] - (i == j ? g[i] : 0));
  int st = gsl_eigen_nonsymm(M, e, w);
  for (int i = 0; i < n; i++) ev[i] = GSL_REAL(gsl_vector_complex_get(e, i));
  gsl_eigen_nonsymm_free(w);
  gsl_vector_complex_free(e);
  gsl_matrix_free(M);
  return st;
}

static void test_mixed(void)
{
  const double a = -0.4, b = -4, beta = 0.03, c3 = -1.3;
  const int mm = 1, kk = 1;
  double roots[8];
  int nr = 0;
  int st = spx_stability_mixed_roots(a, b, beta, mm, kk, 8, roots, &nr);
  /* the spec gives this root; it does not say it is the only one, so pick the closest */
  double q = NAN;
  for (int i = 0; i < nr && i < 8; i++)
    if (isnan(q) || fabs(roots[i] + 0.2341172382) < fabs(q + 0.2341172382)) q = roots[i];
  spx_test(st == SPX_OK && nr >= 1, "13: roots found in (-1, 1) for (-0.4, -4, 0.03, 1, 1)", "%d roots", nr);
  spx_test_abs("13: q = -0.2341172382", q, -0.2341172382, 1e-9);
  spx_test_le("13: |existence function| at the root", fabs(spx_stability_mixed_fn(a, b, beta, mm, kk, q)), 1e-13);

  /* state in d = 3 with V in a random basis; third eigenvalue c3 orthogonal to the plane */
  double lam[3] = {a, b, c3};
  int morse[2] = {-1, -1};
  for (int nm = 0; nm < 2; nm++) {
    spx_normalization norm = nm ? SPX_NORM_USA : SPX_NORM_SA;
    const char *tag = nm ? "USA" : "SA";
    char name[160];
    spx_model *m = make_model(3, 3, lam, 1, beta, norm, 0);
    spx_kernel *kern = NULL;
    spx_stability_ws *ws = NULL;
    if (!m || spx_kernel_create(m, &kern) || spx_stability_ws_create(3, 3, &ws)) {
      spx_test(0, "mixed set-up", "%s", "ok");
      spx_stability_ws_free(ws);
      spx_kernel_free(kern);
      spx_model_free(m);
      continue;
    }
    int ia = find_mode(m, a), ib = find_mode(m, b), ic = find_mode(m, c3);
    double x[9], xw[9], f[9];
    spx_stability_mixed_state(3, m->U, ia, ib, mm, kk, q, x);
    spx_stability_opts so = {1e-6, 1, 0};
    spx_stability_result r;
    st = spx_stability_analyze(kern, ws, x, NULL, &so, &r);
    snprintf(name, sizeof name, "13 %s: state is an equilibrium (RHS norm)", tag);
    spx_test_le(name, st == SPX_OK ? r.rhs_norm : INFINITY, 1e-12);
    snprintf(name, sizeof name, "13 %s: analytic = FD tangent Jacobian", tag);
    spx_test_le(name, r.jac_diff, 1e-6);
    double e = 0;
    for (int i = 0; i < r.dim; i++) e = maxerr(e, fabs(r.an.re[i] - r.fd.re[i]));
    snprintf(name, sizeof name, "13 %s: analytic and FD spectra agree", tag);
    spx_test_le(name, e, 1e-6);
    snprintf(name, sizeof name, "13 %s: spectrum real", tag);
    spx_test_le(name, r.an.max_abs_im, 1e-8);
    /* the block along the third eigenvector, computed independently, is in the spectrum */
    double ev[3], worst = 0;
    w_block_eigs(m, x, m->spectrum[ic], ev);
    for (int i = 0; i < 3; i++) {
      double best = INFINITY;
      for (int j = 0; j < r.dim; j++) best = fmin(best, fabs(ev[i] - r.an.re[j]));
      worst = maxerr(worst, best);
    }
    snprintf(name, sizeof name, "13 %s: out-of-plane block c W - diag(<x,F>) in the spectrum", tag);
    spx_test_le(name, worst, 1e-10);
    morse[nm] = r.an.morse;
    printf("# 13 %s: eigenvalues", tag);
    for (int i = 0; i < r.dim; i++) printf(" %.10g", r.an.re[i]);
    printf("  -> %s (Morse %d)\n", spx_verdict_name(r.an.verdict), r.an.morse);
    /* the check can fail: a wrong q is not an equilibrium */
    spx_stability_mixed_state(3, m->U, ia, ib, mm, kk, q + 1e-3, xw);
    spx_kernel_rhs(kern, xw, f);
    double fn = 0;
    for (int i = 0; i < 9; i++) fn += f[i] * f[i];
    snprintf(name, sizeof name, "13 %s: q + 1e-3 is not an equilibrium", tag);
    spx_test(sqrt(fn) > 1e-6, name, "RHS norm %.3g", sqrt(fn));
    spx_stability_ws_free(ws);
    spx_kernel_free(kern);
    spx_model_free(m);
  }
  spx_test(morse[0] >= 0 && morse[0] == morse[1], "13: SA and USA share the Morse index (spec §3)",
           "SA %d USA %d", morse[0], morse[1]);

  /* m = 0: the balanced pairs on v, q = 0, are among the roots */
  st = spx_stability_mixed_roots(a, b, beta, 0, 2, 8, roots, &nr);
  int has0 = 0;
  for (int i = 0; i < nr && i < 8; i++) has0 |= fabs(roots[i]) < 1e-12;
  spx_test(st == SPX_OK && has0, "13: m = 0 has the root q = 0 (pure mode on v)", "%d roots", nr);
  spx_test(spx_stability_mixed_roots(a, b, beta, 1, 0, 8, roots, &nr) == SPX_EINVAL, "error: k = 0", "%s", "ok");
  double U[9], x[9];
  spx_mat_identity(3, U);
  spx_test(spx_stability_mixed_state(3, U, 0, 1, 1, 1, 1.0, x) == SPX_EINVAL, "error: |q| = 1", "%s", "ok");
  spx_test(spx_stability_mixed_state(3, U, 1, 1, 1, 1, 0.5, x) == SPX_EINVAL, "error: ia = ib", "%s", "ok");
}

/* ---- the table ---------------------------------------------------------------------------------- */

static void test_table(void)
{
  double lam[3] = {1, .6, -.3};
  const int splits[4] = {4, 2, 5, 1};
  for (int t = 0; t < 3; t++) {
    spx_normalization norm = t == 0 ? SPX_NORM_SA : SPX_NORM_USA;
    int rescaled = t == 2;
    const char *tag = t == 0 ? "SA" : (t == 1 ? "USA" : "USA rescaled time");
    char name[160];
    spx_model *proto = make_model(1, 3, lam, 1, 1.5, norm, rescaled);
    spx_stability_table *tab = NULL;
    spx_stability_table_opts opts = {6, 2, splits, 1, 1e-6, 0, 0};
    int st = proto ? spx_stability_table_build(proto, &opts, &tab) : SPX_EINTERNAL;
    snprintf(name, sizeof name, "table %s: built with 3 x 4 rows", tag);
    spx_test(st == SPX_OK && tab && tab->nrows == 12, name, "status %d", st);
    if (st != SPX_OK || !tab) {
      spx_model_free(proto);
      continue;
    }
    double rhs = 0, ean = 0, efd = 0, im = 0, elog = 0;
    int mis_crit = 0, mis_verd = 0, mis_morse = 0;
    char stable[64] = "";
    for (int r = 0; r < tab->nrows; r++) {
      const spx_stability_row *w = &tab->rows[r];
      rhs = maxerr(rhs, w->rhs_norm);
      ean = maxerr(ean, w->err_an);
      efd = maxerr(efd, w->err_fd);
      im = maxerr(im, w->max_abs_im);
      elog = maxerr(elog, fabs(w->log_energy_kernel - w->log_energy) / fabs(w->log_energy));
      mis_crit += w->criterion != (w->verdict == SPX_VERDICT_STABLE);
      mis_verd += w->verdict_an != w->verdict;
      mis_morse += w->morse_an != w->morse;
      if (w->verdict == SPX_VERDICT_STABLE) {
        char buf[48];
        snprintf(buf, sizeof buf, "%c%d:%d/%d ", w->cls == SPX_PM_HOMOGENEOUS ? 'h' : 's', w->k + 1,
                 w->n_plus, w->n_minus);
        strncat(stable, buf, sizeof stable - strlen(stable) - 1);
      }
    }
    snprintf(name, sizeof name, "table %s: every state is an equilibrium", tag);
    spx_test_le(name, rhs, 1e-12);
    snprintf(name, sizeof name, "table %s: closed form = analytic Jacobian", tag);
    spx_test_le(name, ean, 1e-6);
    snprintf(name, sizeof name, "table %s: closed form = FD Jacobian", tag);
    spx_test_le(name, efd, 1e-6);
    snprintf(name, sizeof name, "table %s: spectra real", tag);
    spx_test_le(name, im, 1e-6);
    snprintf(name, sizeof name, "table %s: closed-form log E = kernel log E", tag);
    spx_test_le(name, elog, 1e-12);
    snprintf(name, sizeof name, "table %s: spec criterion = closed-form verdict", tag);
    spx_test(mis_crit == 0, name, "%d mismatches", mis_crit);
    snprintf(name, sizeof name, "table %s: numerical verdict and Morse index = closed form", tag);
    spx_test(mis_verd == 0 && mis_morse == 0, name, "%d / %d mismatches", mis_verd, mis_morse);
    /* §4.4 / §12.4 on diag(1, .6, -.3), beta = 1.5, c = e^3: on u1 the homogeneous state
     * (item 1), the balanced split (beta > beta_s = artanh .6), the 4/2 split
     * (sigma(c, 2) = 0.880 > 0.6) and the 5/1 split (sigma(c, 5) = 0.745 > 0.6, and its lone
     * particle has no internal rate) are stable; nothing on u2 (lambda_1 = 1 > 0.6 sigma) or
     * on the negative u3 (lambda_1 > 0 > lambda_3 sigma). */
    snprintf(name, sizeof name, "table %s: stable rows are the four u1 states", tag);
    spx_test(strcmp(stable, "h1:6/0 s1:3/3 s1:4/2 s1:5/1 ") == 0, name, "%s", stable);
    FILE *f = tmpfile();
    int lines = 0, ch;
    st = f ? spx_stability_table_write_tsv(tab, f) : SPX_EIO;
    if (f) {
      rewind(f);
      while ((ch = fgetc(f)) != EOF) lines += ch == '\n';
      fclose(f);
    }
    snprintf(name, sizeof name, "table %s: TSV has 2 header lines + 12 rows", tag);
    spx_test(st == SPX_OK && lines == 14, name, "%d lines", lines);
    if (t == 0) spx_stability_table_write_tsv(tab, stdout);
    spx_stability_table_free(tab);
    spx_model_free(proto);
  }
  /* errors: asymmetric model, bad split */
  spx_model *m = NULL;
  spx_model_create(2, 2, 1, &m);
  double A[4] = {1, 0.3, -0.2, 0.5};
  memcpy(m->heads[0].A, A, sizeof A);
  memcpy(m->heads[0].V, A, sizeof A);
  m->beta = 1;
  spx_model_finalize(m, 0);
  spx_stability_table *tab = NULL;
  spx_stability_table_opts opts = {4, 0, NULL, 0, 0, 0, 0};
  spx_test(spx_stability_table_build(m, &opts, &tab) == SPX_EINVAL && !tab,
           "error: table of an asymmetric model", "%s", "ok");
  spx_model_free(m);
  spx_model *p = make_model(1, 3, lam, 0, 1.0, SPX_NORM_SA, 0);
  const int badsplit[2] = {0, 3};
  spx_stability_table_opts o2 = {4, 1, badsplit, 0, 0, 0, 0};
  spx_test(p && spx_stability_table_build(p, &o2, &tab) == SPX_EINVAL, "error: split with n_plus = 0", "%s", "ok");
  spx_model_free(p);
}

/* The table of a proto integrating in eigen-coordinates (V = diag(lambda), basis U random) equals
 * the x-frame table (V = U diag(lambda) U^T), and numeric_max_dim leaves the larger classes to the
 * closed form. */
static void test_table_frames(void)
{
  const double lam[3] = {0.7, -1.1, 0.2};
  const int splits[2] = {20, 10};
  double U[9];
  spx_mat_random_orthogonal(3, rng, U);
  spx_model *px = NULL, *py = NULL;
  int st = spx_model_create(1, 3, 1, &px);
  if (st == SPX_OK) st = spx_model_create(1, 3, 1, &py);
  for (int f = 0; f < 2 && st == SPX_OK; f++) {
    spx_model *m = f ? py : px;
    m->beta = 1.3;
    memcpy(m->U, U, sizeof U);
    memcpy(m->spectrum, lam, sizeof lam);
    m->basis_set = 1;
    m->eigen_coords = f;
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) {
        double s = 0.0;
        for (int k = 0; k < 3; k++) s += U[i * 3 + k] * lam[k] * U[j * 3 + k];
        m->heads[0].V[i * 3 + j] = m->heads[0].A[i * 3 + j] = f ? (i == j) * lam[i] : s;
      }
    st = spx_model_finalize(m, 0);
  }
  spx_stability_table *tx = NULL, *ty = NULL;
  spx_stability_table_opts opts = {.n = 6, .nsplits = 1, .splits = splits, .numeric = 1,
                                   .fd_h = 1e-6, .numeric_max_dim = 20};
  if (st == SPX_OK) st = spx_stability_table_build(px, &opts, &tx);
  if (st == SPX_OK) st = spx_stability_table_build(py, &opts, &ty);
  spx_test(st == SPX_OK && tx && ty && tx->nrows == 9 && ty->nrows == 9,
           "table frames: x-frame and eigen-coordinate protos give 9 rows each", "status %d", st);
  if (st == SPX_OK && tx && ty) {
    double rhs = 0.0, diff = 0.0;
    int numeric = 0, closed_only = 0, bad_limit = 0;
    for (int r = 0; r < 9; r++) {
      const spx_stability_row *a = &tx->rows[r], *b = &ty->rows[r];
      int n = a->n_plus + a->n_minus;
      if (n * 2 <= 20) {
        numeric++;
        rhs = maxerr(rhs, b->rhs_norm);
        diff = maxerr(diff, fabs(a->max_an - b->max_an));
        diff = maxerr(diff, b->err_an);
        bad_limit += a->morse_an < 0;
      } else {
        closed_only++;
        bad_limit += !isnan(a->max_an) || !isnan(b->rhs_norm) || a->morse_an != -1;
        diff = maxerr(diff, fabs(a->max_cf - b->max_cf));
      }
    }
    /* without the x-frame rebuild, the eigen-coordinate proto's states x = +-U e_k are not
     * equilibria of V = diag(lambda) (|RHS| ~ 1) */
    spx_test_le("table frames: eigen-coordinate proto: pure modes are equilibria", rhs, 1e-12);
    spx_test_le("table frames: same spectra in both frames", diff, 1e-9);
    spx_test(numeric == 6 && closed_only == 3 && bad_limit == 0,
             "table frames: numeric_max_dim = 20 computes n(d-1) <= 20 only (30/... closed form)",
             "%d numeric, %d closed form only, %d wrong", numeric, closed_only, bad_limit);
  }
  spx_stability_table_free(tx);
  spx_stability_table_free(ty);
  spx_model_free(px);
  spx_model_free(py);
}

/* USA in rescaled time at beta = 400 (weights e^{beta lambda - shift} down to e^{-400}): the
 * balanced splits keep their Morse index (SA and USA share it, spec §3) and the closed form equals
 * the Jacobian relative to the row's own scale (the product G1 G2 ~ e^{-800} underflows, and the
 * Jacobian entries ~1e-175 need the eigen solver's scaling). */
static void test_table_tiny_rates(void)
{
  const double lam[3] = {-1.0, -0.5, -2.0};
  spx_model *ps = make_model(1, 3, lam, 0, 400.0, SPX_NORM_SA, 0);
  spx_model *pu = make_model(1, 3, lam, 0, 400.0, SPX_NORM_USA, 1);
  spx_stability_table *ts = NULL, *tu = NULL;
  spx_stability_table_opts opts = {.n = 8, .numeric = 1, .fd_h = 1e-6};
  int st = ps && pu ? spx_stability_table_build(ps, &opts, &ts) : SPX_EINTERNAL;
  if (st == SPX_OK) st = spx_stability_table_build(pu, &opts, &tu);
  spx_test(st == SPX_OK && ts && tu && ts->nrows == 6 && tu->nrows == 6,
           "tiny rates: SA and rescaled-USA tables at beta = 400", "status %d", st);
  if (st == SPX_OK && ts && tu) {
    double rel = 0.0;
    int morse_sa_usa = 0, morse_jac = 0;
    for (int r = 0; r < 6; r++) {
      const spx_stability_row *a = &ts->rows[r], *b = &tu->rows[r];
      if (b->cls != SPX_PM_BALANCED) continue;
      rel = maxerr(rel, fabs(b->max_cf - b->max_an) / fabs(b->max_cf));
      morse_sa_usa += a->morse != b->morse;
      morse_jac += b->morse != b->morse_an;
    }
    spx_test_le("tiny rates: USA balanced max eig, closed form = Jacobian (relative)", rel, 1e-9);
    spx_test(morse_sa_usa == 0 && morse_jac == 0,
             "tiny rates: balanced splits, USA Morse index = SA = Jacobian's",
             "%d SA/USA and %d closed-form/Jacobian mismatches", morse_sa_usa, morse_jac);
  }
  spx_stability_table_free(ts);
  spx_stability_table_free(tu);
  spx_model_free(ps);
  spx_model_free(pu);
}

int main(void)
{
  gsl_set_error_handler_off();
  rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 20260505);
  test_item5();
  test_closed_forms();
  test_criteria();
  test_thresholds();
  test_energies();
  test_bases();
  test_degenerate();
  test_mixed();
  test_table();
  test_table_frames();
  test_table_tiny_rates();
  gsl_rng_free(rng);
  return spx_test_summary();
}
