/* claims_gap.c -- validation claims of the spectral-gap analysis: spec spectral_gap.md §8 items
 * 1-6, 8-11, 13, 14, 16-19 (IDs SG-8.k; "f" suffix: the fixture values), and the sphere claims of
 * the interacting flow (SG-7d.4-*, [ours]).
 *
 * Robust claims run on several instances: the NumPy fixtures of geometry A (seeds 7 and 1,
 * configs/data/) and GSL instances of the same construction (windows.c; a different random
 * instance per seed, spec §2.1 RNG caveat). Fixture claims check the instance-specific values of
 * the spec to its stated precision. Tolerances are the spec's; where the spec contradicts its own
 * table (the P90 ratio of item 11) the claim says which number it checks and why.
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claims_util.h"
#include "flowhess.h"
#include "freeenergy.h"
#include "gap.h"
#include "iflow.h"
#include "inertial.h"
#include "jm.h"
#include "mat.h"
#include "stability.h"
#include "status.h"
#include "validate.h"
#include "windows.h"

/* ---- shared set-up ----------------------------------------------------------------------------- */

/* configs/data/NAME from the current directory, else from the source tree (SPX_PLOTS_DIR/..). */
static void data_path(const char *name, char *buf, size_t len)
{
  snprintf(buf, len, "configs/data/%s", name);
  if (access(buf, R_OK) == 0) return;
  snprintf(buf, len, "%s/../configs/data/%s", SPX_PLOTS_DIR, name);
}

/* A geometry A instance at x* = 0, beta = 1: H (24 x 24), ascending spectrum, eigenvectors, gap.
 * src < 0: the fixture of seed -src (7 or 1); src >= 0: the GSL instance of that seed. */
typedef struct {
  double H[576], ev[24], V[576];
  spx_gap g;
  char name[32];
} inst_a;

static int geometry_a(int src, spx_gap_ws *w, inst_a *a)
{
  int status = SPX_OK;
  double K[960], x0[24] = {0};
  spx_fe *fe = NULL;
  if (src < 0) {
    char path[4096], file[64];
    snprintf(file, sizeof file, "geometryA_seed%d_keys.tsv", -src);
    data_path(file, path, sizeof path);
    SPX_TRY(spx_fe_read_keys(path, 40, 24, K));
    snprintf(a->name, sizeof a->name, "fixture %d", -src);
  } else {
    SPX_TRY(spx_geom_a(5, 24, 8, 1.1, 0.008, (unsigned long)src, K));
    snprintf(a->name, sizeof a->name, "GSL %d", src);
  }
  SPX_TRY(spx_fe_create(SPX_FE_ATTENTION, 40, 24, 1.0, K, &fe));
  SPX_TRY(spx_fe_eval(fe, x0, NULL, NULL, a->H));
  SPX_TRY(spx_gap_eigen(w, a->H, a->ev, a->V));
  spx_gap_settings s;
  spx_gap_settings_default(&s);
  SPX_TRY(spx_gap_find(24, a->ev, &s, &a->g));
cleanup:
  spx_fe_free(fe);
  return status;
}

/* The instances of the robust claims: both fixtures and GSL seeds 0..ngsl-1. */
#define NGSL 6
static int robust_src(int i) { return i == 0 ? -7 : i == 1 ? -1 : i - 2; }

static spx_fe *geometry_b(void)
{
  double C[16];
  spx_fe *fe = NULL;
  spx_geom_ring(8, 1.8, 22.5, C);
  if (spx_fe_create(SPX_FE_QUADRATIC, 8, 2, 2.5, C, &fe)) return NULL;
  return fe;
}

/* ---- SG-8.1 Hessian identity --------------------------------------------------------------------- */

static int claim_hessian(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK;
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  spx_fe *fe = NULL;
  spx_gap_ws *w = NULL;
  double worst = 0.0, lmax = -INFINITY;
  int rank = -1;
  if (!rng) return SPX_ENOMEM;
  gsl_rng_set(rng, 81);
  /* attention (9 keys, d = 5, beta 1.7) and quadratic (7 centres, d = 4, beta 2.2) */
  const int nk[2] = {9, 7}, dd[2] = {5, 4};
  const double beta[2] = {1.7, 2.2};
  for (int kind = 0; kind < 2; kind++) {
    const int n = nk[kind], d = dd[kind];
    double K[64], x[8], H[64], Hp[64];
    for (int i = 0; i < n * d; i++) K[i] = gsl_ran_flat(rng, -1.0, 1.0);
    for (int i = 0; i < d; i++) x[i] = gsl_ran_flat(rng, -0.8, 0.8);
    SPX_TRY(spx_fe_create(kind ? SPX_FE_QUADRATIC : SPX_FE_ATTENTION, n, d, beta[kind], K, &fe));
    SPX_TRY(spx_fe_eval(fe, x, NULL, NULL, H));
    const double h = 1e-4;
    double hmax = 0.0, emax = 0.0;
    for (int a = 0; a < d; a++)
      for (int b = 0; b < d; b++) {
        double y[8], f[4];
        for (int q = 0; q < 4; q++) {
          memcpy(y, x, sizeof(double) * d);
          y[a] += (q < 2 ? h : -h);
          y[b] += (q % 2 == 0 ? h : -h);
          SPX_TRY(spx_fe_eval(fe, y, &f[q], NULL, NULL));
        }
        Hp[a * d + b] = (f[0] - f[1] - f[2] + f[3]) / (4.0 * h * h);
        hmax = fmax(hmax, fabs(H[a * d + b]));
        emax = fmax(emax, fabs(H[a * d + b] - Hp[a * d + b]));
      }
    worst = fmax(worst, emax / hmax);
    spx_fe_free(fe);
    fe = NULL;
  }
  /* attention with N = 3 keys in d = 5: H = -beta Cov_p <= 0, rank <= min(d, N - 1) = 2 */
  {
    const int n = 3, d = 5;
    double K[15], x[5], H[25], ev[5];
    for (int i = 0; i < n * d; i++) K[i] = gsl_ran_flat(rng, -1.0, 1.0);
    for (int i = 0; i < d; i++) x[i] = gsl_ran_flat(rng, -0.8, 0.8);
    SPX_TRY(spx_fe_create(SPX_FE_ATTENTION, n, d, 1.3, K, &fe));
    SPX_TRY(spx_fe_eval(fe, x, NULL, NULL, H));
    SPX_TRY(spx_gap_ws_create(d, &w));
    SPX_TRY(spx_gap_eigen(w, H, ev, NULL));
    lmax = ev[d - 1];
    rank = 0;
    for (int i = 0; i < d; i++) rank += fabs(ev[i]) > 1e-12 * fabs(ev[0]);
  }
  spx_claim_set(r, worst < 1e-6 && lmax <= 1e-12 && rank <= 2,
                "central differences (h = 1e-4) = E_p Hess U - beta Cov_p grad U to rel < 1e-6; "
                "attention: lambda_max <= 1e-12, rank <= min(d, N-1) = 2");
  spx_claim_measured(r, "max rel err %.3g (attention d 5, quadratic d 4); N = 3 keys in d = 5: "
                        "lambda_max %.3g, rank %d", worst, lmax, rank);
cleanup:
  spx_fe_free(fe);
  spx_gap_ws_free(w);
  gsl_rng_free(rng);
  return status;
}

/* ---- SG-8.2 geometry A spectrum ------------------------------------------------------------------ */

static int claim_spectrum(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK, fix_ok = 1, all_open = 1, outside = 0;
  spx_gap_ws *w = NULL;
  inst_a *a = malloc(sizeof *a);
  double jmin = INFINITY, jmax = 0.0, rgmin = INFINITY, rgmax = -INFINITY;
  char out_txt[256] = "";
  if (!a) return SPX_ENOMEM;
  SPX_TRY(spx_gap_ws_create(24, &w));
  /* the spec's brackets on its own (NumPy) instances: the fixtures, seeds 7 and 1 */
  for (int f = 0; f < 2; f++) {
    SPX_TRY(geometry_a(f ? -1 : -7, w, a));
    int nin = 0, nbulk = 0;
    for (int k = 0; k < 24; k++) {
      nin += a->ev[k] >= -0.45 && a->ev[k] <= -0.06;
      nbulk += a->ev[k] >= -2.5e-4 && a->ev[k] <= 0.0;
    }
    double jump = a->ev[3] / a->ev[4], rg = (a->ev[4] - a->ev[3]) / fabs(a->ev[0]);
    fix_ok &= nin == 4 && nbulk == 20 && jump > 400 && rg >= 0.15 && rg <= 0.5;
  }
  /* 20 GSL instances: the gap is always open with count 4 (the spec's survey statement); the
   * brackets themselves are reported, not required (they describe the NumPy survey's range) */
  for (int sd = 0; sd < 20; sd++) {
    SPX_TRY(geometry_a(sd, w, a));
    double jump = a->ev[3] / a->ev[4], rg = a->g.relgap;
    all_open &= a->g.count == 4 && a->g.well_posed && a->g.index == 3;
    int nin = 0, nbulk = 0;
    for (int k = 0; k < 24; k++) {
      nin += a->ev[k] >= -0.45 && a->ev[k] <= -0.06;
      nbulk += a->ev[k] >= -2.5e-4 && a->ev[k] <= 0.0;
    }
    if (!(nin == 4 && nbulk == 20 && jump > 400 && rg >= 0.15 && rg <= 0.5)) {
      size_t u = strlen(out_txt);
      snprintf(out_txt + u, sizeof out_txt - u, "%s%d", outside++ ? "," : "", sd);
    }
    jmin = fmin(jmin, jump);
    jmax = fmax(jmax, jump);
    rgmin = fmin(rgmin, rg);
    rgmax = fmax(rgmax, rg);
  }
  spx_claim_set(r, fix_ok && all_open,
                "fixtures 7, 1: 4 eigenvalues in [-0.45, -0.06], 20 in [-2.5e-4, 0], lambda_4/lambda_5 "
                "> 400, relgap in [0.15, 0.5]; every instance (20 GSL seeds): the gap is open with "
                "dim E_- = 4");
  spx_claim_measured(r, "fixtures: %s; GSL 0-19: gap open with count 4 %s; jump %.0f..%.0f, relgap "
                        "%.3f..%.3f; outside the spec's brackets: %d of 20 (seeds %s), so the "
                        "brackets describe the spec's NumPy survey, not every instance",
                     fix_ok ? "in the brackets" : "OUTSIDE the brackets", all_open ? "always" : "NOT always",
                     jmin, jmax, rgmin, rgmax, outside, outside ? out_txt : "none");
cleanup:
  spx_gap_ws_free(w);
  free(a);
  return status;
}

static int claim_spectrum_fixture(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK;
  spx_gap_ws *w = NULL;
  inst_a *a = malloc(sizeof *a);
  double d7, d1, t7, mu7[4];
  if (!a) return SPX_ENOMEM;
  SPX_TRY(spx_gap_ws_create(24, &w));
  SPX_TRY(geometry_a(-7, w, a));
  d7 = a->g.delta;
  t7 = a->g.theta;
  memcpy(mu7, a->ev, sizeof mu7);
  SPX_TRY(geometry_a(-1, w, a));
  d1 = a->g.delta;
  const double e7[4] = {-0.364765097, -0.248409901, -0.204411703, -0.106085940};
  double emu = 0.0;
  for (int k = 0; k < 4; k++) emu = fmax(emu, fabs(mu7[k] - e7[k]));
  spx_claim_set(r, fabs(d7 - 0.1059475784) < 1e-9 && fabs(d1 - 0.1030992321) < 1e-9 &&
                       fabs(t7 - 0.0531121511) < 1e-9 && emu < 1e-9,
                "Delta = 0.1059475784 (seed 7), 0.1030992321 (seed 1), theta_0 = 0.0531121511, mu "
                "(seed 7) as in spec 2.1, all to 1e-9");
  spx_claim_measured(r, "Delta %.10f (7), %.10f (1); theta_0 %.10f; max |mu - spec| %.2g", d7, d1,
                     t7, emu);
cleanup:
  spx_gap_ws_free(w);
  free(a);
  return status;
}

/* ---- SG-8.3 / 8.4 Riesz projector ------------------------------------------------------------------ */

static int claim_riesz(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK;
  spx_gap_ws *w = NULL;
  inst_a *a = malloc(sizeof *a);
  double *P = malloc(sizeof(double) * 576), *Pv = malloc(sizeof(double) * 576),
         *Q = malloc(sizeof(double) * 576);
  if (!a || !P || !Pv || !Q) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  SPX_TRY(spx_gap_ws_create(24, &w));
  SPX_TRY(geometry_a(-7, w, a));
  double c, rad, t32, i32, tmax = 0.0, imax = 0.0, perr = 0.0, ierr = 0.0;
  spx_riesz_gap_contour(24, a->ev, &a->g, 0.45, &c, &rad);
  spx_riesz_trace(24, a->ev, c, rad, 32, &t32, &i32);
  spx_gap_eigen_projector(24, a->V, 4, Pv);
  const int Ms[3] = {128, 256, 720};
  for (int i = 0; i < 3; i++) {
    double tr, im, mtr, imx, e1, e2;
    spx_riesz_trace(24, a->ev, c, rad, Ms[i], &tr, &im);
    tmax = fmax(tmax, fabs(tr - 4.0));
    imax = fmax(imax, fabs(im));
    if (Ms[i] > 256) continue;
    SPX_TRY(spx_riesz_projector(24, a->H, c, rad, Ms[i], P, &mtr, &imx));
    for (int q = 0; q < 576; q++) Q[q] = P[q] - Pv[q];
    SPX_TRY(spx_mat_norm2(24, Q, &e1));
    spx_mat_mul(24, 24, 24, P, P, Q);
    for (int q = 0; q < 576; q++) Q[q] -= P[q];
    SPX_TRY(spx_mat_norm2(24, Q, &e2));
    perr = fmax(perr, e1);
    ierr = fmax(ierr, e2);
    tmax = fmax(tmax, fabs(mtr - 4.0));
  }
  spx_claim_set(r, fabs(t32 - 3.9979) <= 0.001 && tmax < 1e-10 && imax < 1e-12 && perr < 1e-12 &&
                       ierr < 1e-12,
                "fixture 7, contour of 2.4: M = 32 gives 3.9979 +- 0.001; M >= 128: |tr P - 4| < 1e-10, "
                "|Im| < 1e-12, ||P - V V^T||_2 < 1e-12, ||P^2 - P||_2 < 1e-12");
  spx_claim_measured(r, "M = 32: %.6f; M in {128, 256, 720}: max |tr - 4| %.2g, |Im| %.2g; "
                        "projector M in {128, 256}: %.2g, idempotency %.2g",
                     t32, tmax, imax, perr, ierr);
cleanup:
  spx_gap_ws_free(w);
  free(a);
  free(P);
  free(Pv);
  free(Q);
  return status;
}

static int claim_bulk(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK;
  spx_gap_ws *w = NULL;
  inst_a *a = malloc(sizeof *a);
  double worst = 0.0;
  if (!a) return SPX_ENOMEM;
  SPX_TRY(spx_gap_ws_create(24, &w));
  for (int i = 0; i < 2 + NGSL; i++) {
    SPX_TRY(geometry_a(robust_src(i), w, a));
    const int Ms[2] = {600, 720};
    for (int m = 0; m < 2; m++) {
      double tr, im;
      spx_riesz_trace(24, a->ev, 0.0, a->g.theta, Ms[m], &tr, &im);
      worst = fmax(worst, fabs(tr - 20.0));
    }
  }
  spx_claim_set(r, worst < 1e-9, "circle |z| = theta_0: tr P = 20 = d - (m-1) to 1e-9 for M >= 600");
  spx_claim_measured(r, "max |tr P - 20| = %.2g over M in {600, 720} and %d instances", worst, 2 + NGSL);
cleanup:
  spx_gap_ws_free(w);
  free(a);
  return status;
}

/* ---- SG-8.5 plateau ---------------------------------------------------------------------------- */

static int claim_plateau(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK, ok = 1;
  spx_gap_ws *w = NULL;
  inst_a *a = malloc(sizeof *a);
  int above_max = -1, below_min = 1000;
  if (!a) return SPX_ENOMEM;
  SPX_TRY(spx_gap_ws_create(24, &w));
  for (int i = 0; i < 2 + NGSL; i++) {
    SPX_TRY(geometry_a(robust_src(i), w, a));
    int cmin, cmax;
    double l4 = fabs(a->ev[3]), l5 = fabs(a->ev[4]);
    spx_gap_count_curve(24, a->ev, l5 * (1 + 1e-9), l4 * (1 - 1e-9), 500, NULL, NULL, &cmin, &cmax);
    int above = spx_gap_count(24, a->ev, l4 * 1.001), below = spx_gap_count(24, a->ev, l5 * 0.999);
    ok &= cmin == 4 && cmax == 4 && above == 3 && below >= 5;
    above_max = above > above_max ? above : above_max;
    below_min = below < below_min ? below : below_min;
  }
  spx_claim_set(r, ok, "#{lambda < -theta} = 4 on (|lambda_5|, |lambda_4|), 3 just above, >= 5 "
                       "just below, on every instance");
  spx_claim_measured(r, "%s over %d instances (500 thresholds each); above: %d, below: >= %d",
                     ok ? "plateau 4" : "plateau broken", 2 + NGSL, above_max, below_min);
cleanup:
  spx_gap_ws_free(w);
  free(a);
  return status;
}

/* ---- SG-8.6 / 8.8 perturbations ----------------------------------------------------------------- */

static int claim_weyl(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK, ok = 1, trials = 0;
  spx_gap_ws *w = NULL;
  inst_a *a = malloc(sizeof *a);
  double *A = malloc(sizeof(double) * 576);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  int shift_ok = 1;
  if (!a || !A || !rng) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  gsl_rng_set(rng, 86);
  SPX_TRY(spx_gap_ws_create(24, &w));
  const double lev[5] = {0.1, 0.2, 0.3, 0.4, 0.49};
  for (int i = 0; i < 2 + NGSL; i++) {
    SPX_TRY(geometry_a(robust_src(i), w, a));
    for (int l = 0; l < 5; l++) {
      spx_gap_perturb_stats st;
      SPX_TRY(spx_gap_perturb_study(w, a->H, a->V, &a->g, lev[l], 30, rng, &st));
      ok &= st.preserved == st.trials;
      trials += st.trials;
    }
    spx_gap_trial t45, t55;
    spx_gap_perturb_shift(24, a->V, 4, 0.45 * a->g.delta, A);
    SPX_TRY(spx_gap_perturb_eval(w, a->H, a->V, &a->g, A, &t45));
    spx_gap_perturb_shift(24, a->V, 4, 0.55 * a->g.delta, A);
    SPX_TRY(spx_gap_perturb_eval(w, a->H, a->V, &a->g, A, &t55));
    shift_ok &= t45.preserved && !t55.preserved;
  }
  spx_claim_set(r, ok && shift_ok, "100 %% of GOE-type trials keep dim E_- for ||dH|| < Delta/2; the "
                                   "adversarial shift keeps it at 0.45 Delta and changes it at 0.55 Delta");
  spx_claim_measured(r, "%d trials at ||dH||/Delta in {0.1 .. 0.49} over %d instances: %s; shift: %s",
                     trials, 2 + NGSL, ok ? "all preserved" : "SOME CHANGED",
                     shift_ok ? "kept at 0.45, changed at 0.55" : "NOT as predicted");
cleanup:
  spx_gap_ws_free(w);
  free(a);
  free(A);
  if (rng) gsl_rng_free(rng);
  return status;
}

static int claim_davis_kahan(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK, dk = 0, paper = 0, trials = 0;
  spx_gap_ws *w = NULL;
  inst_a *a = malloc(sizeof *a);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  double ratio = 0.0;
  if (!a || !rng) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  gsl_rng_set(rng, 88);
  SPX_TRY(spx_gap_ws_create(24, &w));
  const double lev[8] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.85};
  for (int i = 0; i < 2 + NGSL; i++) {
    SPX_TRY(geometry_a(robust_src(i), w, a));
    for (int l = 0; l < 8; l++) {
      spx_gap_perturb_stats st;
      SPX_TRY(spx_gap_perturb_study(w, a->H, a->V, &a->g, lev[l], 25, rng, &st));
      dk += st.dk_violations;
      paper += st.paper_violations;
      ratio = fmax(ratio, st.max_ratio);
      trials += st.trials;
    }
  }
  spx_claim_set(r, dk == 0 && paper == 0,
                "||sin Theta||_2 <= ||dH||/(Delta - ||dH||) in every trial; the paper's ||dH||/Delta "
                "held in every random trial too (max ratio about 0.73)");
  spx_claim_measured(r, "%d trials (||dH||/Delta 0.1 .. 0.85, %d instances): %d Davis-Kahan and %d "
                        "paper-bound violations; max sin Theta / (||dH||/Delta) = %.3f",
                     trials, 2 + NGSL, dk, paper, ratio);
cleanup:
  spx_gap_ws_free(w);
  free(a);
  if (rng) gsl_rng_free(rng);
  return status;
}

/* ---- SG-8.9 / 8.10 energy window and the origin of geometry B ---------------------------------- */

static int claim_energy_window(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK;
  spx_fe *fe = geometry_b();
  if (!fe) return SPX_EINTERNAL;
  double x[2] = {0.45, 0.30};
  spx_jm_point p, q1, q2;
  spx_jm_window w;
  SPX_TRY(spx_jm_eval_flat(fe, x, 0.0, &p));
  spx_jm_window_flat(&p, &w);
  SPX_TRY(spx_jm_eval_flat(fe, x, w.E_lo * (1 - 1e-9), &q1));
  SPX_TRY(spx_jm_eval_flat(fe, x, w.E_lo * (1 + 1e-9), &q2));
  int ok = fabs(p.F - 0.47831369) <= 1e-7 && fabs(p.grad2 - 0.67706462) <= 1e-7 &&
           fabs(p.lap + 1.45099676) <= 1e-7 && fabs(w.h_lo - 0.93324071) <= 1e-7 &&
           fabs(w.E_lo - 0.94493405) <= 1e-7 && q1.K > 0 && q2.K < 0 &&
           fabs(w.K_min + 0.246817) <= 1e-6 && fabs(w.h_min - 1.5 * w.h_lo) < 1e-15;
  spx_claim_set(r, ok, "x = (0.45, 0.30), beta 2.5: F0 0.47831369, |grad F|^2 0.67706462, Lap F "
                       "-1.45099676, h* 0.93324071, E* 0.94493405 (1e-7); K changes sign at E*; "
                       "K_min -0.246817 at h = 1.5 h*");
  spx_claim_measured(r, "F0 %.8f |grad F|^2 %.8f Lap F %.8f h* %.8f E* %.8f; K(E* -+) %.2g, %.2g; "
                        "K_min %.6f at h %.6f",
                     p.F, p.grad2, p.lap, w.h_lo, w.E_lo, q1.K, q2.K, w.K_min, w.h_min);
cleanup:
  spx_fe_free(fe);
  return status;
}

static int claim_origin_b(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK;
  spx_fe *fe = geometry_b();
  if (!fe) return SPX_EINTERNAL;
  double o[2] = {0, 0}, F, H[4], a[2] = {-1.7, 0}, b[2] = {1.7, 0};
  spx_jm_point p;
  spx_jm_segment s;
  SPX_TRY(spx_fe_eval(fe, o, &F, NULL, H));
  SPX_TRY(spx_jm_eval_flat(fe, o, 1.5, &p));
  SPX_TRY(spx_jm_negative_segment_flat(fe, 1.5, a, b, 500, &s));
  double xg = -1.7 + 3.4 * s.t_last, xr = -1.7 + 3.4 * s.t_root_hi;
  double herr = fmax(fmax(fabs(H[0] + 3.05), fabs(H[3] + 3.05)), fmax(fabs(H[1]), fabs(H[2])));
  int ok = fabs(F - 0.78822338) <= 1e-8 && herr < 1e-10 && fabs(p.h - 1.423553) <= 1e-6 &&
           fabs(p.K + 3.010110) <= 1e-6 && s.found && fabs(xg - 0.746092) <= 1e-6 &&
           fabs(xr - 0.751867) <= 1e-6;
  spx_claim_set(r, ok, "F(0) 0.78822338, Hess F(0) = -3.05 I; E = 1.5: h(0) 1.423553, K(0) "
                       "-3.010110 (1e-6); K < 0 on |x| < 0.746092 on the script's 500-point grid "
                       "(its 0.7461); [ours] the true crossing is 0.751867");
  spx_claim_measured(r, "F(0) %.8f, |Hess + 3.05 I| %.2g, h(0) %.6f, K(0) %.6f, grid end %.6f, "
                        "root %.6f",
                     F, herr, p.h, p.K, xg, xr);
cleanup:
  spx_fe_free(fe);
  return status;
}

/* ---- SG-8.11 curvature against finite differences ----------------------------------------------- */

static int claim_curvature(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK;
  spx_fe *fe = geometry_b();
  if (!fe) return SPX_EINTERNAL;
  spx_jm_grid_stats s1, s2, s4;
  SPX_TRY(spx_jm_grid_check_flat(fe, 1.5, -2.4, 2.4, 140, 0.15, &s1, NULL));
  SPX_TRY(spx_jm_grid_check_flat(fe, 1.5, -2.4, 2.4, 280, 0.15, &s2, NULL));
  SPX_TRY(spx_jm_grid_check_flat(fe, 1.5, -2.4, 2.4, 560, 0.15, &s4, NULL));
  /* the identity K = -Lap(log h)/(2h) with a Richardson-extrapolated Laplacian, O(delta^4) */
  double rich = 0.0;
  const double pts[4][2] = {{0.45, 0.30}, {0.0, 0.0}, {-0.9, 0.4}, {1.2, -0.7}};
  for (int i = 0; i < 4; i++) {
    spx_jm_point p;
    double K1, K2;
    SPX_TRY(spx_jm_eval_flat(fe, pts[i], 1.5, &p));
    SPX_TRY(spx_jm_fd_curvature_flat(fe, pts[i], 1.5, 0.004, &K1));
    SPX_TRY(spx_jm_fd_curvature_flat(fe, pts[i], 1.5, 0.002, &K2));
    rich = fmax(rich, fabs((4 * K2 - K1) / 3 - p.K) / fabs(p.K));
  }
  double m12 = s1.median / s2.median, m24 = s2.median / s4.median, p24 = s2.p90 / s4.p90;
  int ok = s2.good == 78360 && fabs(s2.median / 3.68e-4 - 1) <= 0.03 &&
           fabs(s2.p90 / 2.66e-3 - 1) <= 0.03 && fabs(m12 - 4) <= 0.5 && fabs(m24 - 4) <= 0.5 &&
           fabs(p24 / (2.66e-3 / 5.68e-4) - 1) <= 0.03 && rich < 1e-8;
  spx_claim_set(r, ok, "280^2: median 3.68e-4, P90 2.66e-3 (3%%); median falls 4 +- 0.5x per "
                       "halving; P90 280->560 as the spec's table, 4.68 (3%%; '4 +- 0.5' fails for "
                       "P90 in that table); Richardson identity < 1e-8");
  spx_claim_measured(r, "%ld points; median %.4g, P90 %.4g; median ratios %.3f (140->280), %.3f "
                        "(280->560); P90 ratio %.3f; identity rel err %.2g",
                     s2.good, s2.median, s2.p90, m12, m24, p24, rich);
cleanup:
  spx_fe_free(fe);
  return status;
}

/* ---- SG-8.13 / 8.14 unstable-mode count and rates --------------------------------------------- */

/* The inertial cloud of §8.13 on fixture `seed` (N = 300, gamma 0.5, T = 14, cloud seed 3);
 * H non-NULL: the linearised flow. */
static int cloud_run(int seed, int linear, inst_a *a, spx_inertial_result **res)
{
  int status = SPX_OK;
  char path[4096], file[64];
  double K[960], x0[24] = {0}, *X0 = malloc(sizeof(double) * 300 * 24);
  spx_fe *fe = NULL;
  spx_gap_ws *w = NULL;
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  if (!X0 || !rng) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  snprintf(file, sizeof file, "geometryA_seed%d_keys.tsv", seed);
  data_path(file, path, sizeof path);
  SPX_TRY(spx_fe_read_keys(path, 40, 24, K));
  SPX_TRY(spx_fe_create(SPX_FE_ATTENTION, 40, 24, 1.0, K, &fe));
  SPX_TRY(spx_gap_ws_create(24, &w));
  SPX_TRY(geometry_a(-seed, w, a));
  gsl_rng_set(rng, 3);
  SPX_TRY(spx_inertial_cloud(300, 24, x0, 1e-3, 0, rng, X0));
  spx_inertial_settings s;
  spx_inertial_settings_default(&s);
  s.gamma = 0.5;
  s.T = 14.0;
  if (linear) s.H = a->H;
  SPX_TRY(spx_inertial_run(fe, 300, X0, NULL, x0, 24, a->V, 24, &s, res));
cleanup:
  free(X0);
  spx_fe_free(fe);
  spx_gap_ws_free(w);
  if (rng) gsl_rng_free(rng);
  return status;
}

static int claim_mode_count(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK, ok = 1;
  inst_a *a = malloc(sizeof *a);
  spx_inertial_result *res = NULL;
  char txt[400] = "";
  if (!a) return SPX_ENOMEM;
  const int seeds[2] = {7, 1};
  for (int i = 0; i < 2; i++) {
    SPX_TRY(cloud_run(seeds[i], 0, a, &res));
    int grow = spx_inertial_count_growing(res, 2.0);
    double e13 = 0.0, e4, intra = 0.0;
    for (int k = 0; k < 3; k++)
      e13 = fmax(e13, fabs(spx_inertial_growth(res, k) /
                               spx_inertial_amplification(0.5, a->ev[k], 14.0) - 1.0));
    e4 = fabs(spx_inertial_growth(res, 3) / spx_inertial_amplification(0.5, a->ev[3], 14.0) - 1.0);
    for (int k = 4; k < 24; k++) intra = fmax(intra, spx_inertial_growth(res, k));
    ok &= grow == 4 && e13 <= 0.06 && e4 <= 0.37 && intra <= 1.005;
    size_t u = strlen(txt);
    snprintf(txt + u, sizeof txt - u, "%sfixture %d: %d grow > x2, modes 1-3 %.2g, mode 4 %.2g, "
             "intra <= %.5f", i ? "; " : "", seeds[i], grow, e13, e4, intra);
    spx_inertial_result_free(res);
    res = NULL;
  }
  spx_claim_set(r, ok, "N = 300, gamma 0.5, T 14: exactly 4 directions with S_k(T)/S_k(0) > 2; "
                       "S_k(T)/S_k(0) = A_k(T) within 6%% (modes 1-3), 37%% (mode 4); intra <= 1.005");
  spx_claim_measured(r, "%s", txt);
cleanup:
  spx_inertial_result_free(res);
  free(a);
  return status;
}

static int claim_rates(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK;
  inst_a *a = malloc(sizeof *a);
  spx_inertial_result *res = NULL;
  if (!a) return SPX_ENOMEM;
  double rel[4], lin = 0.0;
  SPX_TRY(cloud_run(7, 0, a, &res));
  for (int k = 0; k < 4; k++) {
    int u;
    double rate = spx_inertial_fit_rate(res, k, 3e-3, 5e-2, 9, &u);
    rel[k] = fabs(rate / spx_inertial_rate(0.5, a->ev[k]) - 1.0);
  }
  spx_inertial_result_free(res);
  res = NULL;
  SPX_TRY(cloud_run(7, 1, a, &res));
  for (int k = 0; k < 4; k++) {
    int u;
    double rate = spx_inertial_fit_rate(res, k, 3e-3, 5e-2, 9, &u);
    lin = fmax(lin, fabs(rate / spx_inertial_rate(0.5, a->ev[k]) - 1.0));
  }
  spx_claim_set(r, rel[0] <= 0.002 && rel[1] <= 0.015 && rel[2] <= 0.015 && rel[3] <= 0.18 &&
                       lin < 1e-3,
                "fitted rates (window 3e-3 < S < 5e-2) = z_+(gamma, mu_k): mode 1 within 0.2%%, "
                "2-3 within 1.5%%, 4 within 18%%; the linearised flow within 1e-3 (modes 1-4)");
  spx_claim_measured(r, "fixture 7, N 300: rel err %.2g, %.2g, %.2g, %.2g; linearised max %.2g",
                     rel[0], rel[1], rel[2], rel[3], lin);
cleanup:
  spx_inertial_result_free(res);
  free(a);
  return status;
}

/* ---- SG-8.16 / 8.17 count-law windows --------------------------------------------------------- */

static int claim_confinement(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK;
  const int ms[7] = {3, 4, 5, 6, 7, 8, 9};
  spx_window_pop *p = NULL;
  SPX_TRY(spx_window_population(ms, 7, 4, 48, 12, 0.010, 1.0, 45, 100, &p));
  SPX_TRY(spx_window_spectra(p, 1.0));
  const double gam[6] = {0.0, 0.02, 0.04, 0.06, 0.10, 0.20};
  double sl[6], ic[6], rr, mc;
  for (int i = 0; i < 6; i++) spx_window_fit(p, fmax(gam[i], 1e-3), &sl[i], &ic[i], &rr, &mc, NULL);
  /* below gamma_c = beta/(2 m_max): the law holds; the first gamma above it: broken */
  const double gc = 1.0 / (2.0 * 9);
  int ok = 1, first_above = 1;
  for (int i = 0; i < 6; i++) {
    if (gam[i] < gc) ok &= sl[i] >= 0.98;
    else if (first_above) {
      ok &= sl[i] < 0.9;
      first_above = 0;
    }
  }
  spx_claim_set(r, ok, "beta = 1, geometry C (GSL), m = 3..9: the law dim E_- = N_eff - 1 holds "
                       "(slope >= 0.98) for gamma < gamma_c = beta/(2 m_max) = 0.0556 and breaks "
                       "(slope < 0.9) at the first gamma above it");
  spx_claim_measured(r, "slopes %.3f %.3f %.3f (gamma 0, 0.02, 0.04) | %.3f %.3f %.3f (0.06, 0.10, "
                        "0.20)", sl[0], sl[1], sl[2], sl[3], sl[4], sl[5]);
cleanup:
  spx_window_pop_free(p);
  return status;
}

static int claim_temperature(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK, ok = 1;
  const int ms[7] = {3, 4, 5, 6, 7, 8, 9};
  spx_window_pop *p1 = NULL, *p2 = NULL;
  const double betas[7] = {0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4};
  double s1[7], i1[7], bd[7], rr, mc, dmax = 0.0, smax_hi = -INFINITY;
  SPX_TRY(spx_window_population(ms, 7, 4, 48, 12, 0.010, 1.0, 45, 100, &p1));
  SPX_TRY(spx_window_population(ms, 7, 4, 48, 12, 0.010, 2.0, 45, 100, &p2));
  double dl = 0.0;
  int ndl = 0;
  for (int b = 0; b < 7; b++) {
    SPX_TRY(spx_window_spectra(p1, betas[b]));
    spx_window_fit(p1, 1e-3, &s1[b], &i1[b], &rr, &mc, NULL);
    if (b == 0) {
      for (int q = 0; q < p1->nq; q++)
        if (p1->q_inst[q] % 4 == 0) {
          dl += p1->dlogit[q];
          ndl++;
        }
      dl /= ndl;
    }
    bd[b] = betas[b] * dl;
    if (bd[b] <= 0.125) ok &= s1[b] >= 0.98 && i1[b] >= -1.0 && i1[b] <= -0.79;
    if (bd[b] >= 0.25) {
      ok &= s1[b] < 0.9;
      smax_hi = fmax(smax_hi, s1[b]);
    }
  }
  /* the collapse: scale 2 has Delta_logit ~4x; equal beta Delta_logit <= 0.12 -> equal slopes */
  for (int b = 0; b < 2; b++) {
    double s2, i2;
    SPX_TRY(spx_window_spectra(p2, betas[b]));
    spx_window_fit(p2, 1e-3, &s2, &i2, &rr, &mc, NULL);
    double dl2 = 0.0;
    int n2 = 0;
    for (int q = 0; q < p2->nq; q++)
      if (p2->q_inst[q] % 4 == 0) {
        dl2 += p2->dlogit[q];
        n2++;
      }
    dl2 /= n2;
    /* the scale-1 partner has 4x beta (betas[b + 2]) and the same beta Delta_logit to ~1 % */
    if (betas[b] * dl2 <= 0.12) dmax = fmax(dmax, fabs(s2 - s1[b + 2]));
  }
  ok &= dmax <= 0.002;
  spx_claim_set(r, ok, "slope >= 0.98 and intercept in [-1, -0.79] while beta Delta_logit <= 0.125; "
                       "slope < 0.9 once >= 0.25 (scale 1); equal beta Delta_logit <= 0.12 at scales "
                       "1 and 2: slopes equal to 0.002");
  spx_claim_measured(r, "Delta_logit %.4f; slopes %.3f %.3f %.3f %.3f (beta Delta <= 0.125), max "
                        "%.3f beyond 0.25; collapse |s1 - s2| <= %.4f",
                     dl, s1[0], s1[1], s1[2], s1[3], smax_hi, dmax);
cleanup:
  spx_window_pop_free(p1);
  spx_window_pop_free(p2);
  return status;
}

/* ---- SG-8.18 symmetric-query control ------------------------------------------------------------- */

static int claim_symmetric(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK, ok = 1, tmin = 1000, tmax = -1;
  double *K = malloc(sizeof(double) * 84 * 48), *C = malloc(sizeof(double) * 7 * 48), nerr = 0.0;
  char path[4096];
  if (!K || !C) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  data_path("geometryC_m7_seed0_keys.tsv", path, sizeof path);
  SPX_TRY(spx_fe_read_keys(path, 84, 48, K));
  data_path("geometryC_m7_seed0_centres.tsv", path, sizeof path);
  SPX_TRY(spx_fe_read_keys(path, 7, 48, C));
  const double betas[5] = {1, 4, 16, 64, 256};
  for (int b = 0; b < 5; b++)
    for (int k = 2; k <= 7; k++) {
      spx_symctl s;
      SPX_TRY(spx_symctl_eval(7, 48, 12, K, C, betas[b], k, 1e-3, 20, &s));
      if (b == 0) ok &= s.tol_count == 6;
      if (betas[b] >= 16) {
        ok &= s.tol_count >= 23 && s.tol_count <= 48;
        tmin = s.tol_count < tmin ? s.tol_count : tmin;
        tmax = s.tol_count > tmax ? s.tol_count : tmax;
      }
      if (betas[b] >= 64) {
        ok &= s.gap.count == k - 1;
        nerr = fmax(nerr, fabs(s.neff - k));
      }
    }
  ok &= nerr <= 0.13;
  spx_claim_set(r, ok, "fixture m = 7: tol count 6 for every k at beta 1, 23..48 at beta >= 16; "
                       "gap count (relative floor, top 20) = k - 1 at beta 64, 256; N_eff -> k "
                       "within 0.13");
  spx_claim_measured(r, "%s; tol counts %d..%d at beta >= 16; max |N_eff - k| %.3f at beta >= 64",
                     ok ? "as stated" : "NOT as stated", tmin, tmax, nerr);
cleanup:
  free(K);
  free(C);
  return status;
}

/* ---- SG-8.19 sphere versions with fixed keys -------------------------------------------------- */

static int claim_sphere_curvature(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK;
  const double K[15] = {0.9, 0.2, -0.3, -0.4, 0.8, 0.1, 0.1, -0.7, 0.6, -0.5, -0.5, -0.6, 0.3, 0.1, 0.95};
  spx_fe *fe = NULL;
  SPX_TRY(spx_fe_create(SPX_FE_ATTENTION, 5, 3, 2.0, K, &fe));
  const double raw[5][3] = {{0.3, -0.2, 0.93}, {-0.7, 0.1, 0.2}, {0.1, 0.9, -0.4}, {0.5, 0.5, 0.5},
                            {-0.2, -0.6, -0.7}};
  double worst = 0.0, flat_off = INFINITY;
  for (int i = 0; i < 5; i++) {
    double x[3], n = 0.0, K1, K2;
    for (int c = 0; c < 3; c++) n += raw[i][c] * raw[i][c];
    for (int c = 0; c < 3; c++) x[c] = raw[i][c] / sqrt(n);
    spx_jm_point p0, p;
    SPX_TRY(spx_jm_eval_s2(fe, x, 0.0, &p0));
    SPX_TRY(spx_jm_eval_s2(fe, x, p0.F + 0.6, &p));
    SPX_TRY(spx_jm_fd_curvature_s2(fe, x, p0.F + 0.6, 0.01, &K1));
    SPX_TRY(spx_jm_fd_curvature_s2(fe, x, p0.F + 0.6, 0.005, &K2));
    double rich = (4 * K2 - K1) / 3;
    worst = fmax(worst, fabs(rich - p.K) / fabs(p.K));
    flat_off = fmin(flat_off, fabs(spx_jm_curvature_flat(p.h, p.lap, p.grad2) - rich));
  }
  spx_claim_set(r, worst <= 1e-6 && flat_off > 0.5,
                "S^2: K = 1/h + Lap F/h^2 + 2|grad F|^2/h^3 = the stereographic finite-difference "
                "curvature to ~1e-6 (Richardson); the flat formula misses the 1/h term (1/h = 0.83)");
  spx_claim_measured(r, "5 points, h = 1.2: max rel err %.2g; min |K_flat - K_fd| %.3f", worst,
                     flat_off);
cleanup:
  spx_fe_free(fe);
  return status;
}

/* Keys +-a_i e_i + b e_d in R^d: e_d is critical on S^{d-1}. Counts by the Riemannian Hessian and
 * by #{beta eig(P Cov_p P) > <x, kbar>}. */
static int sphere_counts(int d, const double *a, double b, double beta, int *n_hess, int *n_cov)
{
  int status = SPX_OK;
  const int n = 2 * (d - 1);
  double *K = calloc((size_t)n * d, sizeof(double)), *Ht = malloc(sizeof(double) * d * d),
         *B = malloc(sizeof(double) * d * d), *C = calloc((size_t)d * d, sizeof(double)),
         *ev = malloc(sizeof(double) * d), *x = calloc((size_t)d, sizeof(double)),
         *kb = calloc((size_t)d, sizeof(double));
  spx_fe *fe = NULL;
  spx_gap_ws *w1 = NULL, *w2 = NULL;
  if (!K || !Ht || !B || !C || !ev || !x || !kb) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  for (int i = 0; i < d - 1; i++) {
    K[(2 * i) * d + i] = a[i];
    K[(2 * i + 1) * d + i] = -a[i];
    K[(2 * i) * d + d - 1] = K[(2 * i + 1) * d + d - 1] = b;
  }
  x[d - 1] = 1.0;
  SPX_TRY(spx_fe_create(SPX_FE_ATTENTION, n, d, beta, K, &fe));
  SPX_TRY(spx_fe_sphere_tangent_hessian(fe, x, Ht, B));
  SPX_TRY(spx_gap_ws_create(d - 1, &w1));
  SPX_TRY(spx_gap_eigen(w1, Ht, ev, NULL));
  *n_hess = 0;
  for (int i = 0; i < d - 1; i++) *n_hess += ev[i] < 0;
  /* Cov_p with the weights of x, projected: P Cov P (x is e_d, so P drops row and column d) */
  SPX_TRY(spx_fe_eval(fe, x, NULL, NULL, NULL));
  const double *p = spx_fe_weights(fe);
  for (int j = 0; j < n; j++)
    for (int c = 0; c < d; c++) kb[c] += p[j] * K[j * d + c];
  for (int j = 0; j < n; j++)
    for (int u = 0; u < d; u++)
      for (int v = 0; v < d; v++) C[u * d + v] += p[j] * (K[j * d + u] - kb[u]) * (K[j * d + v] - kb[v]);
  for (int u = 0; u < d; u++) C[u * d + d - 1] = C[(d - 1) * d + u] = 0.0;
  SPX_TRY(spx_gap_ws_create(d, &w2));
  SPX_TRY(spx_gap_eigen(w2, C, ev, NULL));
  *n_cov = 0;
  for (int i = 0; i < d; i++) *n_cov += beta * ev[i] > kb[d - 1]; /* <x, kbar> = kbar_d */
cleanup:
  spx_fe_free(fe);
  spx_gap_ws_free(w1);
  spx_gap_ws_free(w2);
  free(K);
  free(Ht);
  free(B);
  free(C);
  free(ev);
  free(x);
  free(kb);
  return status;
}

static int claim_sphere_count(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK, ok = 1;
  char txt[400] = "";
  const double a4[3] = {1.3, 1.2, 0.45}, a3[2] = {1.0, 0.8};
  const double betas[4] = {0.3, 0.8, 1.5, 3.0};
  for (int g = 0; g < 2; g++)
    for (int b = 0; b < 4; b++) {
      int nh = -1, nc = -2;
      SPX_TRY(sphere_counts(g ? 3 : 4, g ? a3 : a4, g ? 0.2 : 0.35, betas[b], &nh, &nc));
      ok &= nh == nc;
      size_t u = strlen(txt);
      snprintf(txt + u, sizeof txt - u, "%s%d/%d", u ? " " : "", nh, nc);
    }
  /* and the inertial queries on S^3 at beta 1.5: growing directions = that count (2) */
  {
    const int d = 4, N = 100;
    double K[24] = {0}, xs[4] = {0, 0, 0, 1}, E[12] = {0}, *X0 = malloc(sizeof(double) * N * d);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    spx_fe *fe = NULL;
    spx_inertial_result *res = NULL;
    int grow = -1;
    if (X0 && rng) {
      for (int i = 0; i < 3; i++) {
        K[(2 * i) * d + i] = a4[i];
        K[(2 * i + 1) * d + i] = -a4[i];
        K[(2 * i) * d + 3] = K[(2 * i + 1) * d + 3] = 0.35;
        E[i * 3 + i] = 1.0;
      }
      gsl_rng_set(rng, 11);
      spx_inertial_settings s;
      spx_inertial_settings_default(&s);
      s.sphere = 1;
      s.T = 10.0;
      if (!spx_fe_create(SPX_FE_ATTENTION, 6, d, 1.5, K, &fe) &&
          !spx_inertial_cloud(N, d, xs, 1e-3, 1, rng, X0) &&
          !spx_inertial_run(fe, N, X0, NULL, xs, 3, E, 3, &s, &res))
        grow = spx_inertial_count_growing(res, 2.0);
    }
    spx_inertial_result_free(res);
    spx_fe_free(fe);
    free(X0);
    if (rng) gsl_rng_free(rng);
    ok &= grow == 2;
    size_t u = strlen(txt);
    snprintf(txt + u, sizeof txt - u, "; S^3 inertial queries, beta 1.5: %d grow", grow);
  }
  spx_claim_set(r, ok, "at a critical point of S^{d-1}: #{negative eigenvalues of the Riemannian "
                       "Hessian} = #{beta eig(P Cov_p P) > <x, kbar_p>}; the inertial queries grow "
                       "along exactly those");
  spx_claim_measured(r, "Hessian/Cov counts on S^3 and S^2 at beta 0.3, 0.8, 1.5, 3: %s", txt);
cleanup:
  return status;
}

/* ---- SG-7d.4 the interacting flow --------------------------------------------------------------- */

/* The flow of configs/sphere_flow_d3.cfg: n = 6, d = 3, V = diag(1, 0.4, -0.6), beta 1. */
static int flow_model(spx_normalization norm, spx_model **m)
{
  const double lam[3] = {1.0, 0.4, -0.6};
  return spx_cu_model_diag(6, 3, 1.0, norm, lam, m);
}

static int claim_flow_hessian(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK, counts_ok = 1;
  spx_model *m = NULL;
  spx_flowhess *w = NULL;
  double fd = 0.0, jac = 0.0, x[18], T[36];
  SPX_TRY(flow_model(SPX_NORM_SA, &m));
  SPX_TRY(spx_flowhess_create(m, &w));
  /* a non-equilibrium state: the Hessian against finite differences */
  SPX_TRY(spx_cu_uniform(m, 5, x));
  spx_flowhess_opts o;
  spx_flowhess_opts_default(&o);
  o.fd_h = 1e-4;
  spx_flowhess_result res;
  SPX_TRY(spx_flowhess_analyze(w, x, NULL, &o, &res));
  fd = res.fd_err;
  const struct { int k, np, morse; } eq[6] = {{0, 6, 0}, {1, 6, 1}, {1, 3, 2}, {2, 3, 2}, {2, 6, 12},
                                               {2, 4, 2}};
  char txt[256] = "";
  for (int e = 0; e < 6; e++) {
    SPX_TRY(spx_stability_pm_state(m, eq[e].k, eq[e].np, 6 - eq[e].np, x));
    SPX_TRY(spx_stability_basis_pm(6, 3, m->U, eq[e].k, T));
    SPX_TRY(spx_flowhess_analyze(w, x, T, &o, &res));
    fd = fmax(fd, res.fd_err);
    jac = fmax(jac, res.jac_err);
    counts_ok &= res.gap.count == eq[e].morse && res.morse == eq[e].morse && res.gap.well_posed;
    size_t u = strlen(txt);
    snprintf(txt + u, sizeof txt - u, "%s%d=%d", u ? "," : "", res.gap.count, res.morse);
  }
  spx_claim_set(r, fd < 1e-6 && jac < 1e-10 && counts_ok,
                "[ours] Riemannian Hess F (F = -E_beta) on (S^2)^6 = central differences on the "
                "retraction (< 1e-6); at equilibria the kernel's Jacobian = G^{-1}(-Hess F) "
                "(< 1e-10, G = diag(Z_i)); dim E_- = Morse = 0,1,2,2,12,2 (sphere_dynamics §4.3)");
  spx_claim_measured(r, "FD rel err %.2g (random state and 6 pure modes); Jacobian rel err %.2g; "
                        "dim E_-=Morse: %s", fd, jac, txt);
cleanup:
  spx_flowhess_free(w);
  spx_model_free(m);
  return status;
}

static int claim_flow_inertial(const char *outdir, spx_claim_result *r)
{
  int status = SPX_OK, ok = 1, neq = 0;
  spx_model *m = NULL;
  spx_flowhess *w = NULL;
  spx_iflow_exp *ex = NULL;
  double gerr = 0.0, rerr = 0.0, x[18], T[36];
  char txt[400] = "";
  const struct { int k, np; } eq[5] = {{1, 6}, {1, 3}, {2, 3}, {2, 6}, {0, 6}};
  for (int norm = 0; norm < 2; norm++) {
    SPX_TRY(flow_model(norm ? SPX_NORM_USA : SPX_NORM_SA, &m));
    SPX_TRY(spx_flowhess_create(m, &w));
    for (int e = 0; e < 5; e++) {
      SPX_TRY(spx_stability_pm_state(m, eq[e].k, eq[e].np, 6 - eq[e].np, x));
      SPX_TRY(spx_stability_basis_pm(6, 3, m->U, eq[e].k, T));
      spx_flowhess_opts o;
      spx_flowhess_opts_default(&o);
      spx_flowhess_result res;
      SPX_TRY(spx_flowhess_analyze(w, x, T, &o, &res));
      spx_iflow_settings s;
      spx_iflow_settings_default(&s);
      s.T = 0.0;
      spx_iflow_exp_opts eo;
      spx_iflow_exp_opts_default(&eo);
      SPX_TRY(spx_iflow_experiment(m, x, T, res.kappa, res.right, res.left, &s, &eo, &ex));
      int eqc = ex->n_growing == res.gap.count && res.gap.count == res.morse;
      ok &= eqc;
      neq += eqc && res.morse > 0;
      gerr = fmax(gerr, ex->max_growth_err);
      rerr = fmax(rerr, ex->max_rate_err);
      if (!norm) {
        size_t u = strlen(txt);
        snprintf(txt + u, sizeof txt - u, "%s%d/%d/%d", u ? " " : "", ex->n_growing, res.gap.count,
                 res.morse);
      }
      spx_iflow_exp_free(ex);
      ex = NULL;
    }
    spx_flowhess_free(w);
    w = NULL;
    spx_model_free(m);
    m = NULL;
  }
  ok &= neq >= 3 && gerr <= 1e-3 && rerr <= 0.01;
  spx_claim_set(r, ok, "[ours] the inertial interacting flow near >= 3 unstable equilibria (SA and "
                       "USA): #{|a_k(T)/a_k(0)| > 2} = dim E_- of Hess F = Morse index; growth = "
                       "A(gamma, -kappa, T) to 1e-3, rates = z_+ to 1 %%");
  spx_claim_measured(r, "SA growing/dimE-/Morse at u2 6:0, u2 3:3, u3 3:3, u3 6:0, u1 6:0: %s (USA "
                        "alike); %d unstable equilibria agree; growth err %.2g, rate err %.2g",
                     txt, neq, gerr, rerr);
cleanup:
  spx_iflow_exp_free(ex);
  spx_flowhess_free(w);
  spx_model_free(m);
  return status;
}

const spx_claim spx_claims_gap[] = {
    {"SG-8.1", "spectral-gap", "Hessian identity: Hess F = E_p Hess U - beta Cov_p grad U (finite differences)",
     "spectral_gap §1 eq. 2, §8.1", 1, claim_hessian},
    {"SG-8.2", "spectral-gap", "geometry A spectrum: 4 inter-cluster eigenvalues, 20 bulk; the gap always open (robust)",
     "spectral_gap §2.1, §8.2", 1, claim_spectrum},
    {"SG-8.2f", "spectral-gap", "geometry A fixture values: Delta, theta_0, mu (seeds 7, 1)",
     "spectral_gap §2.1, §8.2", 1, claim_spectrum_fixture},
    {"SG-8.3", "spectral-gap", "Riesz trace and projector converge geometrically to dim E_- = 4",
     "spectral_gap §1 eq. 4, §2.4, §8.3", 1, claim_riesz},
    {"SG-8.4", "spectral-gap", "bulk contour |z| = theta_0 counts the 20 bulk modes",
     "spectral_gap §2.4, §6, §8.4", 1, claim_bulk},
    {"SG-8.5", "spectral-gap", "the count is constant (4) over the whole gap (robust)",
     "spectral_gap §1 Def. 1, Prop. 1, §8.5", 1, claim_plateau},
    {"SG-8.6", "spectral-gap", "Weyl: dim E_- preserved for ||dH|| < Delta/2; adversarial shift at Delta/2",
     "spectral_gap §1 Prop. 2, §2.5, §8.6", 1, claim_weyl},
    {"SG-8.8", "spectral-gap", "Davis-Kahan: sin Theta <= ||dH||/(Delta - ||dH||); paper's ||dH||/Delta",
     "spectral_gap §1 Prop. 2, §8.8", 1, claim_davis_kahan},
    {"SG-8.9", "spectral-gap", "energy window at x = (0.45, 0.30) of geometry B: E*, K_min",
     "spectral_gap §1 eqs. 5-6, §3 S3, §8.9", 1, claim_energy_window},
    {"SG-8.10", "spectral-gap", "origin of geometry B: F(0), Hess F(0) = -3.05 I, K_JM(0), the K < 0 segment",
     "spectral_gap §2.2, §4, §8.10", 1, claim_origin_b},
    {"SG-8.11", "spectral-gap", "K_JM closed form vs np.gradient finite differences, O(delta^2)",
     "spectral_gap §4 stage 1, §8.11", 1, claim_curvature},
    {"SG-8.13", "spectral-gap", "inertial cloud: exactly 4 growing directions; growth = A_k(T)",
     "spectral_gap §2.6, §3 S4, §8.13", 1, claim_mode_count},
    {"SG-8.14", "spectral-gap", "fitted growth rates = z_+(gamma, mu_k); linearised flow to 1e-3",
     "spectral_gap §1 eq. 7, §8.14", 1, claim_rates},
    {"SG-8.16", "spectral-gap", "confinement sweep: the count law breaks at gamma_c = beta/(2 m_max)",
     "spectral_gap §7a E1, §8.16", 1, claim_confinement},
    {"SG-8.17", "spectral-gap", "temperature window and the beta Delta_logit collapse (robust)",
     "spectral_gap §7a E2, §8.17", 0, claim_temperature},
    {"SG-8.18", "spectral-gap", "symmetric-query control: tol count ill-posed, gap count = k - 1",
     "spectral_gap §7b, §8.18", 1, claim_symmetric},
    {"SG-8.19a", "spectral-gap", "S^2: conformal JM curvature with +1/h = finite differences",
     "spectral_gap §7d.3, §8.19", 1, claim_sphere_curvature},
    {"SG-8.19b", "spectral-gap", "S^{d-1}: unstable tangent modes = #{beta eig(P Cov P) > <x, kbar>}",
     "spectral_gap §7d.1-2, §8.19", 1, claim_sphere_count},
    {"SG-7d.4-hess", "spectral-gap", "interacting flow: Hess F (F = -E_beta), J = G^{-1}(-Hess F), dim E_- = Morse",
     "spectral_gap §7d.4 [ours]; sphere_dynamics §3, §4.3", 1, claim_flow_hessian},
    {"SG-7d.4-inertial", "spectral-gap", "inertial interacting flow: growing modes = dim E_- = Morse (>= 3 equilibria)",
     "issue 7; spectral_gap §1 eq. 7, §7d.2 [ours]", 1, claim_flow_inertial},
    {NULL, NULL, NULL, NULL, 0, NULL},
};
