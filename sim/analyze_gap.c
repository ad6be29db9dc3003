/* analyze_gap.c -- `bin/sim analyze gap`: dim E_- as a well-posed count (spec spectral_gap.md §1,
 * §2.4-§2.6, §3 (section6), §6 (gap_test), §7a-§7c), and the sphere version on the interacting
 * flow (analyze_flow.c).
 *
 * Parts (each switched on by its config group; tables in the output folder):
 *   keys + count  spectrum.tsv, count_theta.tsv (the plateau), riesz.tsv (trace and projector
 *                 against the eigenvector projector, by node count), bulk contour (§2.4, §3 S1);
 *   perturb       perturb.tsv: GOE-type trials at ||dH||/Delta (Weyl count, Davis-Kahan sin Theta
 *                 against ||dH||/(Delta - ||dH||) and the paper's ||dH||/Delta), the adversarial
 *                 shift (count changes at Delta/2) and 2-mode rotation (§1 Prop. 2, §2.5, §3 S2);
 *   energy        energy_window.tsv: K_JM(E) at one point of geometry B, h*, E*, K_min (§1 eqs.
 *                 5-6, §3 S3);
 *   spreads       spreads.tsv, rates.tsv: the inertial cloud's S_k(t), fitted rates against z_+,
 *                 growth against the zero-velocity prediction A_k(T) (§2.6, §3 S4, §8.13-14);
 *   confinement   confinement.tsv, confinement_points.tsv, confinement_break.tsv (§7a E1);
 *   temperature   temperature.tsv (§7a E2);
 *   symmetric     symmetric.tsv (§7b);
 *   flow          flow_*.tsv (analyze_flow.c).
 * Figures: gap_verification (2 x 2: count, perturbations, K_JM, spreads), windows, symmetric.
 * "No gap: the count is ill-posed" is reported as a result (summary key gap_verdict).
 */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "gap.h"
#include "inertial.h"
#include "jm.h"
#include "mat.h"
#include "output.h"
#include "status.h"
#include "windows.h"

/* ---- count and Riesz (S1 / P1) --------------------------------------------------------------- */

static int part_count(spx_an *a, spx_an_keyspec *k)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  const int n = k->dim, nt = (int)spx_acfg_int(c, "count.theta_points");
  const spx_gap *g = &k->g;
  double *th = malloc(sizeof(double) * nt), *P = malloc(sizeof(double) * n * n),
         *Pv = malloc(sizeof(double) * n * n), *Q = malloc(sizeof(double) * n * n);
  int *cnt = malloc(sizeof(int) * nt);
  spx_out_file of;
  if (!th || !P || !Pv || !Q || !cnt) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  double tr[2], lo, hi;
  if (spx_acfg_vec(c, "count.theta_range", tr, 2) == 2) {
    lo = tr[0];
    hi = tr[1];
  } else if (g->well_posed && g->count > 0 && g->delta > 0) {
    spx_acfg_vec(c, "count.theta_decades", tr, 2);
    lo = g->delta * pow(10.0, tr[0]);
    hi = g->delta * pow(10.0, tr[1]);
  } else {
    /* no (genuine) gap to centre on: the whole negative range */
    double mx = fmax(fabs(k->ev[0]), 1e-300);
    lo = 1e-4 * mx;
    hi = 2.0 * mx;
  }
  int cmin, cmax;
  spx_gap_count_curve(n, k->ev, lo, hi, nt, th, cnt, &cmin, &cmax);
  SPX_TRY(spx_an_open(a, "count_theta.tsv", "dim E_-(theta) = #{lambda < -theta} (Definition 1)",
                      "theta\tcount", &of));
  for (int j = 0; j < nt; j++) fprintf(of.f, "%.10g\t%d\n", th[j], cnt[j]);
  SPX_TRY(spx_out_commit(&of));
  spx_an_sum(a, "theta_range", "%.6g %.6g", lo, hi);
  if (g->count > 0 && g->delta > 0) {
    double f[2];
    spx_acfg_vec(c, "count.plateau", f, 2);
    /* a gap to the null space (lambda_hi = 0) has no lower end: start 6 decades below |lambda_lo| */
    double plo = fmax(f[0] * fabs(g->lambda_hi), 1e-6 * fabs(g->lambda_lo)), phi = f[1] * fabs(g->lambda_lo);
    if (plo < phi) {
      spx_gap_count_curve(n, k->ev, plo, phi, 400, NULL, NULL, &cmin, &cmax);
      spx_an_sum(a, "plateau_region", "%.6g %.6g", plo, phi);
      spx_an_sum(a, "plateau_count_min", "%d", cmin);
      spx_an_sum(a, "plateau_count_max", "%d", cmax);
    } else {
      spx_an_sum(a, "plateau_region", "empty (f1 |lambda_hi| >= f2 |lambda_lo|)");
    }
  }
  if (g->count < 1 || !(g->delta > 0)) {
    spx_an_sum(a, "riesz", "skipped: no negative eigenvalue beyond the floor, dim E_- = 0");
    goto cleanup;
  }
  double cen, rad;
  const double margin = spx_acfg_num(c, "count.margin");
  spx_riesz_gap_contour(n, k->ev, g, margin, &cen, &rad);
  double re, im;
  const int M = (int)spx_acfg_int(c, "count.nodes");
  spx_riesz_trace(n, k->ev, cen, rad, M, &re, &im);
  spx_an_sum(a, "riesz_contour", "centre %.10g radius %.10g", cen, rad);
  spx_an_sum(a, "riesz_nodes", "%d", M);
  spx_an_sum(a, "riesz_trace", "%.15g", re);
  spx_an_sum(a, "riesz_trace_imag", "%.3g", im);
  spx_info("  Riesz trace (M = %d): %.12f (dim E_- = %d)", M, re, g->count);
  /* convergence: trace from eigenvalues, projector from complex LU, against V V^T */
  double conv[64];
  int nc = spx_acfg_vec(c, "count.convergence", conv, 64);
  spx_gap_eigen_projector(n, k->V, g->count, Pv);
  SPX_TRY(spx_an_open(a, "riesz.tsv",
                      "Riesz projector by the M-node trapezoidal rule on the contour of spec 2.4",
                      "M\ttrace_re\ttrace_im\tmatrix_trace\tproj_err_2\tidempotency_2\timag_max", &of));
  for (int i = 0; i < nc && i < 64; i++) {
    int Mi = (int)conv[i];
    double tre, tim, mtr, imx, e1, e2;
    spx_riesz_trace(n, k->ev, cen, rad, Mi, &tre, &tim);
    status = spx_riesz_projector(n, k->H, cen, rad, Mi, P, &mtr, &imx);
    if (status) {
      spx_out_abort(&of);
      goto cleanup;
    }
    for (int q = 0; q < n * n; q++) Q[q] = P[q] - Pv[q];
    SPX_TRY(spx_mat_norm2(n, Q, &e1));
    spx_mat_mul(n, n, n, P, P, Q);
    for (int q = 0; q < n * n; q++) Q[q] -= P[q];
    SPX_TRY(spx_mat_norm2(n, Q, &e2));
    fprintf(of.f, "%d\t%.17g\t%.3g\t%.17g\t%.3g\t%.3g\t%.3g\n", Mi, tre, tim, mtr, e1, e2, imx);
  }
  SPX_TRY(spx_out_commit(&of));
  if (spx_acfg_bool(c, "count.bulk")) {
    double bre, bim;
    spx_riesz_trace(n, k->ev, 0.0, g->theta, M, &bre, &bim);
    int inside = 0;
    for (int i = 0; i < n; i++) inside += fabs(k->ev[i]) < g->theta;
    spx_an_sum(a, "bulk_trace", "%.15g", bre);
    spx_an_sum(a, "bulk_expected", "%d", inside); /* #{|lambda| < theta_0}: d - dim E_- for H <= 0 */
  }
cleanup:
  free(th);
  free(P);
  free(Pv);
  free(Q);
  free(cnt);
  return status;
}

/* ---- perturbations (S2 / P2) ------------------------------------------------------------------ */

static int part_perturb(spx_an *a, spx_an_keyspec *k)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  const int n = k->dim;
  const spx_gap *g = &k->g;
  double eps[256], *A = malloc(sizeof(double) * n * n);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  spx_out_file of;
  if (!A || !rng) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  if (g->count < 1 || !(g->delta > 0) || g->count >= n) {
    spx_an_sum(a, "perturb", "skipped: needs 1 <= dim E_- < dim and Delta > 0");
    goto cleanup;
  }
  gsl_rng_set(rng, (unsigned long)spx_acfg_int(c, "perturb.seed"));
  const int ne = spx_acfg_vec(c, "perturb.eps", eps, 256), nt = (int)spx_acfg_int(c, "perturb.trials");
  SPX_TRY(spx_an_open(a, "perturb.tsv",
                      "count and subspace under ||dH|| = eps Delta: GOE-type trials (spec 2.5), "
                      "adversarial shift eps(V-V-^T - V+V+^T) and rotation eps(uv^T + vu^T)",
                      "eps_over_delta\ttrials\tfrac_preserved\tmax_sin_theta\tmax_sin_over_paper_bound"
                      "\tdk_violations\tpaper_violations\tshift_preserved\trotate_sin_theta"
                      "\trotate_paper_bound",
                      &of));
  int weyl_ok = 1;
  for (int i = 0; i < ne; i++) {
    spx_gap_perturb_stats st;
    spx_gap_trial ts, tr;
    status = spx_gap_perturb_study(k->ws, k->H, k->V, g, eps[i], nt, rng, &st);
    if (!status) {
      spx_gap_perturb_shift(n, k->V, g->count, eps[i] * g->delta, A);
      status = spx_gap_perturb_eval(k->ws, k->H, k->V, g, A, &ts);
    }
    if (!status) {
      spx_gap_perturb_rotate(n, k->V, g->count, eps[i] * g->delta, A);
      status = spx_gap_perturb_eval(k->ws, k->H, k->V, g, A, &tr);
    }
    if (status) {
      spx_out_abort(&of);
      goto cleanup;
    }
    if (eps[i] < 0.5 && st.preserved != st.trials) weyl_ok = 0;
    fprintf(of.f, "%.6g\t%d\t%.6g\t%.6g\t%.6g\t%d\t%d\t%d\t%.10g\t%.10g\n", eps[i], st.trials,
            st.frac_preserved, st.max_sin_theta, st.max_ratio, st.dk_violations,
            st.paper_violations, ts.preserved, tr.sin_theta, tr.paper_bound);
  }
  SPX_TRY(spx_out_commit(&of));
  spx_an_sum(a, "weyl_all_preserved_below_half", "%s", weyl_ok ? "yes" : "no");
cleanup:
  free(A);
  if (rng) gsl_rng_free(rng);
  return status;
}

/* ---- energy window (S3 / P3) ------------------------------------------------------------------- */

/* Geometry B from the ring group (defaults when absent). */
static int cmp_double(const void *x, const void *y)
{
  double u = *(const double *)x, v = *(const double *)y;
  return (u > v) - (u < v);
}

static int ring_fe(spx_an *a, spx_fe **fe)
{
  const spx_acfg *c = a->cfg;
  const int nc = (int)spx_acfg_int(c, "ring.count");
  double *C = malloc(sizeof(double) * 2 * nc);
  if (!C) return SPX_ENOMEM;
  spx_geom_ring(nc, spx_acfg_num(c, "ring.radius"), spx_acfg_num(c, "ring.phase"), C);
  int st = spx_fe_create(SPX_FE_QUADRATIC, nc, 2, spx_acfg_num(c, "ring.beta"), C, fe);
  free(C);
  return st;
}

static int part_energy(spx_an *a, double *fig)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  spx_fe *fe = NULL;
  spx_out_file of;
  double x[2], span[2], *Ks = NULL;
  spx_acfg_vec(c, "energy.point", x, 2);
  spx_acfg_vec(c, "energy.span", span, 2);
  const int np = (int)spx_acfg_int(c, "energy.points");
  SPX_TRY(ring_fe(a, &fe));
  spx_jm_point p;
  spx_jm_window w;
  SPX_TRY(spx_jm_eval_flat(fe, x, 0.0, &p));
  spx_jm_window_flat(&p, &w);
  Ks = malloc(sizeof(double) * np);
  if (!Ks) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  SPX_TRY(spx_an_open(a, "energy_window.tsv",
                      "K_JM = Lap F/h^2 + 2|grad F|^2/h^3 at energy.point against E (spec eqs. 5-6)",
                      "E\th\tK", &of));
  for (int j = 0; j < np; j++) {
    double E = p.F + span[0] + (span[1] - span[0]) * j / (np - 1), h = 2.0 * (E - p.F);
    Ks[j] = spx_jm_curvature_flat(h, p.lap, p.grad2);
    fprintf(of.f, "%.12g\t%.12g\t%.12g\n", E, h, Ks[j]);
  }
  SPX_TRY(spx_out_commit(&of));
  /* the figure's y-limits as in the script (spec §3 S3): [min(1.1 K_min, -2), P88(K)] */
  qsort(Ks, np, sizeof(double), cmp_double);
  fig[0] = w.exists ? w.E_lo : NAN;
  fig[1] = fmin(w.exists ? 1.1 * w.K_min : Ks[0], -2.0);
  fig[2] = Ks[(int)floor(0.88 * (np - 1))];
  spx_an_sum(a, "energy_point", "%.6g %.6g", x[0], x[1]);
  spx_an_sum(a, "energy_F0", "%.10g", p.F);
  spx_an_sum(a, "energy_grad2", "%.10g", p.grad2);
  spx_an_sum(a, "energy_lapF", "%.10g", p.lap);
  spx_an_sum(a, "energy_window_exists", "%s", w.exists ? "yes" : "no (Lap F >= 0: K_JM > 0 at every E)");
  if (w.exists) {
    spx_an_sum(a, "energy_h_star", "%.10g", w.h_lo);
    spx_an_sum(a, "energy_E_star", "%.10g", w.E_lo);
    spx_an_sum(a, "energy_K_min", "%.10g", w.K_min);
    spx_an_sum(a, "energy_h_at_K_min", "%.10g", w.h_min);
    spx_an_sum(a, "energy_E_at_K_min", "%.10g", p.F + 0.5 * w.h_min);
    spx_info("  energy window: E* = %.8f (h* = %.8f), K_min = %.6f", w.E_lo, w.h_lo, w.K_min);
  }
cleanup:
  spx_fe_free(fe);
  free(Ks);
  return status;
}

/* ---- spreads (S4) -------------------------------------------------------------------------------- */

static int part_spreads(spx_an *a, spx_an_keyspec *k)
{
  return spx_an_spreads(a, k);
}

/* ---- count-law windows (E1, E2) and the symmetric control (§7a, §7b) ---------------------------- */

static int population(spx_an *a, double scale, spx_window_pop **p)
{
  const spx_acfg *c = a->cfg;
  double mv[64];
  int ms[64];
  int nm = spx_acfg_vec(c, "simplex.m", mv, 64);
  const int d = (int)spx_acfg_int(c, "simplex.d");
  for (int i = 0; i < nm && i < 64; i++) {
    ms[i] = (int)mv[i];
    if (ms[i] - 1 > d)
      return spx_acfg_bad(c, NULL, "simplex.m", "m = %d needs simplex.d >= m - 1 = %d", ms[i], ms[i] - 1);
  }
  return spx_window_population(ms, nm < 64 ? nm : 64, (int)spx_acfg_int(c, "simplex.seeds"), d,
                               (int)spx_acfg_int(c, "simplex.per_cluster"),
                               spx_acfg_num(c, "simplex.sk"), scale,
                               (int)spx_acfg_int(c, "simplex.random_queries"),
                               (int)spx_acfg_int(c, "simplex.query_seed_offset"), p);
}

static int part_confinement(spx_an *a)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  spx_window_pop *p = NULL;
  double gam[256];
  int *counts = NULL;
  spx_out_file of, op, ob;
  const int ng = spx_acfg_vec(c, "confinement.gamma", gam, 256);
  const double beta = spx_acfg_num(c, "confinement.beta"), tol = spx_acfg_num(c, "confinement.tol");
  SPX_TRY(population(a, 1.0, &p));
  SPX_TRY(spx_window_spectra(p, beta));
  counts = malloc(sizeof(int) * p->nq * ng);
  if (!counts) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  SPX_TRY(spx_an_open(a, "confinement.tsv",
                      "E1: dim E_- = #{beta lambda(Cov_p) > max(gamma, tol)}, OLS on N_eff (spec 7a)",
                      "gamma\tslope\tintercept\tr\tmean_count\tqueries", &of));
  int mmax = 0;
  for (int i = 0; i < p->ninst; i++) mmax = p->inst_m[i] > mmax ? p->inst_m[i] : mmax;
  double first_break = NAN;
  for (int i = 0; i < ng; i++) {
    double sl, ic, r, mc;
    spx_window_fit(p, fmax(gam[i], tol), &sl, &ic, &r, &mc, counts + (long)i * p->nq);
    fprintf(of.f, "%.6g\t%.6f\t%.6f\t%.6f\t%.6f\t%d\n", gam[i], sl, ic, r, mc, p->nq);
    if (isnan(first_break) && !(sl >= 0.9)) first_break = gam[i];
  }
  SPX_TRY(spx_out_commit(&of));
  SPX_TRY(spx_an_open(a, "confinement_points.tsv", "E1 points: one row per query", "neff\tm\tcounts "
                      "(one column per confinement.gamma)", &op));
  for (int q = 0; q < p->nq; q++) {
    fprintf(op.f, "%.6f\t%d", p->neff[q], p->inst_m[p->q_inst[q]]);
    for (int i = 0; i < ng; i++) fprintf(op.f, "\t%d", counts[(long)i * p->nq + q]);
    fputc('\n', op.f);
  }
  SPX_TRY(spx_out_commit(&op));
  /* per m: where each query's count breaks, beta lambda_{m-1}(Cov_p), against beta/(2m) ([ours]:
   * a unit-edge simplex under uniform attention has m-1 inter-cluster eigenvalues 1/(2m)) */
  SPX_TRY(spx_an_open(a, "confinement_break.tsv",
                      "E1: the break gamma of each query, beta lambda_{m-1}(Cov_p), per m; "
                      "[ours] prediction beta/(2m) for uniform attention",
                      "m\tmean_break\tmin_break\tmax_break\tbeta_over_2m", &ob));
  for (int mm = 2; mm <= mmax; mm++) {
    double s = 0, lo = INFINITY, hi = -INFINITY;
    int cnt = 0;
    for (int q = 0; q < p->nq; q++) {
      if (p->inst_m[p->q_inst[q]] != mm) continue;
      double v = beta * p->lam[(long)q * p->d + mm - 2];
      s += v;
      lo = fmin(lo, v);
      hi = fmax(hi, v);
      cnt++;
    }
    if (cnt) fprintf(ob.f, "%d\t%.6g\t%.6g\t%.6g\t%.6g\n", mm, s / cnt, lo, hi, beta / (2.0 * mm));
  }
  SPX_TRY(spx_out_commit(&ob));
  spx_an_sum(a, "confinement_gamma_c_pred", "%.6g", beta / (2.0 * mmax));
  spx_an_sum(a, "confinement_first_gamma_slope_below_0.9", "%.6g", first_break);
cleanup:
  free(counts);
  spx_window_pop_free(p);
  return status;
}

static int part_temperature(spx_an *a)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  spx_window_pop *p = NULL;
  double betas[256], scales[16];
  spx_out_file of;
  const int nb = spx_acfg_vec(c, "temperature.beta", betas, 256),
            ns = spx_acfg_vec(c, "temperature.scales", scales, 16);
  const double tol = spx_acfg_num(c, "temperature.tol");
  const int seeds = (int)spx_acfg_int(c, "simplex.seeds");
  SPX_TRY(spx_an_open(a, "temperature.tsv",
                      "E2: count law over beta and key scale (spec 7a); Delta_logit = mean std of "
                      "the raw logits over the seed-0 instances; relgap fraction: gap finder with a "
                      "relative floor (7c)",
                      "scale\tbeta\tdelta_logit\tbeta_delta_logit\tslope\tintercept\tr\tneff_spread"
                      "\tfrac_relgap",
                      &of));
  for (int si = 0; si < ns; si++) {
    SPX_TRY(population(a, scales[si], &p));
    for (int bi = 0; bi < nb; bi++) {
      SPX_TRY(spx_window_spectra(p, betas[bi]));
      double sl, ic, r, mc, dl = 0.0, spread = 0.0;
      int ndl = 0, ngap = 0;
      spx_window_fit(p, tol, &sl, &ic, &r, &mc, NULL);
      for (int q = 0; q < p->nq; q++)
        if (p->q_inst[q] % seeds == 0) {
          dl += p->dlogit[q];
          ndl++;
        }
      dl /= ndl;
      for (int i = 0; i < p->ninst; i++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int q = 0; q < p->nq; q++)
          if (p->q_inst[q] == i) {
            lo = fmin(lo, p->neff[q]);
            hi = fmax(hi, p->neff[q]);
          }
        spread += (hi - lo) / p->ninst;
      }
      double ev[4096];
      for (int q = 0; q < p->nq && p->d <= 4096; q++) {
        for (int i = 0; i < p->d; i++) ev[i] = -betas[bi] * p->lam[(long)q * p->d + i];
        spx_gap_settings gs;
        spx_gap_settings_default(&gs);
        spx_gap g;
        if (spx_gap_find(p->d, ev, &gs, &g) == SPX_OK && g.well_posed && g.count > 0) ngap++;
      }
      fprintf(of.f, "%.6g\t%.6g\t%.6g\t%.6g\t%.6f\t%.6f\t%.6f\t%.6f\t%.4f\n", scales[si],
              betas[bi], dl, betas[bi] * dl, sl, ic, r, spread, (double)ngap / p->nq);
    }
    spx_window_pop_free(p);
    p = NULL;
  }
  SPX_TRY(spx_out_commit(&of));
cleanup:
  spx_window_pop_free(p);
  return status;
}

static int part_symmetric(spx_an *a)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  double betas[256];
  spx_out_file of;
  const int nb = spx_acfg_vec(c, "symmetric.beta", betas, 256), m = (int)spx_acfg_int(c, "symmetric.m");
  SPX_TRY(spx_an_open(a, "symmetric.tsv",
                      "symmetric-query control at barycentres x_k (spec 7b): absolute-tol count "
                      "and the multiplicative-gap count (relative floor, top eigenvalues)",
                      "beta\tk\tneff\ttol_count\tgap_count\tgap_relgap\tgap_jump\tbeta_lambda_max", &of));
  for (int b = 0; b < nb; b++)
    for (int k = 2; k <= m; k++) {
      spx_symctl s;
      status = spx_symctl_eval(m, (int)spx_acfg_int(c, "symmetric.d"),
                               (int)spx_acfg_int(c, "symmetric.per_cluster"), a->sym_keys,
                               a->sym_centres, betas[b], k, spx_acfg_num(c, "symmetric.tol"),
                               (int)spx_acfg_int(c, "symmetric.top"), &s);
      if (status) {
        spx_out_abort(&of);
        return status;
      }
      fprintf(of.f, "%.6g\t%d\t%.6f\t%d\t%d\t%.6f\t%.6g\t%.6g\n", betas[b], k, s.neff, s.tol_count,
              s.gap.count, s.gap.relgap, s.gap.jump, s.beta_lmax);
    }
  SPX_TRY(spx_out_commit(&of));
cleanup:
  return status;
}

int spx_an_gap(spx_an *a)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  spx_an_keyspec k;
  double efig[3] = {NAN, -2.0, 1.0};
  memset(&k, 0, sizeof k);
  int has_keys = a->fe != NULL;
  if (has_keys) SPX_TRY(spx_an_keyspec_build(a, &k));
  if (has_keys && spx_acfg_has(c, "count")) SPX_TRY(part_count(a, &k));
  if (has_keys && spx_acfg_has(c, "perturb")) SPX_TRY(part_perturb(a, &k));
  if (spx_acfg_has(c, "energy")) SPX_TRY(part_energy(a, efig));
  if (has_keys && spx_acfg_has(c, "spreads")) SPX_TRY(part_spreads(a, &k));
  if (spx_acfg_has(c, "confinement")) SPX_TRY(part_confinement(a));
  if (spx_acfg_has(c, "temperature")) SPX_TRY(part_temperature(a));
  if (spx_acfg_has(c, "symmetric")) SPX_TRY(part_symmetric(a));
  if (spx_acfg_has(c, "flow")) SPX_TRY(spx_an_flow(a, 0));
  /* figures */
  if (has_keys || spx_acfg_has(c, "energy")) {
    char extra[2048];
    snprintf(extra, sizeof extra,
             "has_count=%d; has_perturb=%d; has_energy=%d; has_spreads=%d; count=%d; lam_lo=%.10g; "
             "lam_hi=%.10g; sphere=%d; Estar=%.10g; Kylo=%.6g; Kyhi=%.6g; nm=%ld; anchor=%.6g; "
             "well_posed=%d",
             has_keys && spx_acfg_has(c, "count") && k.g.count > 0,
             has_keys && spx_acfg_has(c, "perturb") && k.g.count > 0 && k.g.count < k.dim,
             spx_acfg_has(c, "energy"), has_keys && spx_acfg_has(c, "spreads"), k.g.count,
             has_keys ? k.g.lambda_lo : 0.0, has_keys ? k.g.lambda_hi : 0.0, a->sphere,
             isnan(efig[0]) ? -1e300 : efig[0], efig[1], efig[2], spx_acfg_int(c, "spreads.modes"),
             spx_acfg_num(c, "spreads.anchor"), has_keys ? k.g.well_posed : 1);
    if (spx_acfg_has(c, "count") || spx_acfg_has(c, "perturb") || spx_acfg_has(c, "energy") ||
        spx_acfg_has(c, "spreads"))
      spx_an_plot(a, "analyze_gap.gp", extra);
  }
  if (spx_acfg_has(c, "confinement") || spx_acfg_has(c, "temperature")) {
    char extra[256];
    snprintf(extra, sizeof extra, "has_conf=%d; has_temp=%d; ngam=%d",
             spx_acfg_has(c, "confinement"), spx_acfg_has(c, "temperature"),
             spx_acfg_vec(c, "confinement.gamma", (double[256]){0}, 256));
    spx_an_plot(a, "analyze_windows.gp", extra);
  }
  if (spx_acfg_has(c, "symmetric")) spx_an_plot(a, "analyze_symmetric.gp", "");
cleanup:
  spx_an_keyspec_free(&k);
  return status;
}
