/* analyze_inertial.c -- `bin/sim analyze inertial`: inertial flows and their unstable modes
 * (spec spectral_gap.md §1 eq. 7, §2.6, §5 (inertial_test), §7d.2, §8 items 13-15), and the inertial
 * interacting flow near equilibria (analyze_flow.c).
 *
 *   spreads  N independent queries x'' + gamma x' = -grad F(x) about keys.point (R^d, or S^{d-1}
 *            with keys.sphere), X0 = x* + amp N(0, I), V0 = 0: spreads S_k(t) along the Hessian's
 *            eigen-directions (spreads.tsv), fitted rates in the small-amplitude window against
 *            z_+(gamma, mu_k), growth S_k(T)/S_k(0) against the linear zero-velocity prediction
 *            A_k(T), and the count of directions that grow against dim E_- (rates.tsv);
 *   sweep    the rate of one mode for several dampings against z_+(gamma, mu) and, at gamma = 0,
 *            sqrt(|mu|) (sweep.tsv);
 *   flow     growing modes of the inertial interacting flow = dim E_- = Morse index.
 * Figure: inertial_diagnostic (spreads with e^{z_+ t}; z_+(gamma) with the measured rates).
 */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "inertial.h"
#include "output.h"
#include "status.h"

/* Ambient mode directions (d x dim, columns): V in R^d, B V on the sphere. */
static double *mode_matrix(const spx_an_keyspec *k, int d)
{
  const int dim = k->dim;
  double *E = malloc(sizeof(double) * d * dim);
  if (!E) return NULL;
  if (!k->B) {
    memcpy(E, k->V, sizeof(double) * d * dim);
    return E;
  }
  for (int r = 0; r < d; r++)
    for (int c = 0; c < dim; c++) {
      double s = 0.0;
      for (int q = 0; q < dim; q++) s += k->B[r * dim + q] * k->V[q * dim + c];
      E[r * dim + c] = s;
    }
  return E;
}

/* The cloud of spreads.* run with damping gamma on the modes E (columns first..first+nm-1). */
static int run_cloud(spx_an *a, const double *E, int ldE, int first, int nm, double gamma,
                     spx_inertial_result **res)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  const int d = spx_fe_dim(a->fe), N = (int)spx_acfg_int(c, "spreads.N");
  double *X0 = malloc(sizeof(double) * N * d);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  if (!X0 || !rng) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  gsl_rng_set(rng, (unsigned long)spx_acfg_int(c, "spreads.seed"));
  SPX_TRY(spx_inertial_cloud(N, d, a->point, spx_acfg_num(c, "spreads.amp"), a->sphere, rng, X0));
  spx_inertial_settings s;
  spx_inertial_settings_default(&s);
  s.gamma = gamma;
  s.T = spx_acfg_num(c, "spreads.T");
  s.dt = spx_acfg_num(c, "spreads.dt");
  s.method = spx_acfg_str(c, "spreads.method");
  s.sphere = a->sphere;
  SPX_TRY(spx_inertial_run(a->fe, N, X0, NULL, a->point, nm, E + first, ldE, &s, res));
cleanup:
  free(X0);
  if (rng) gsl_rng_free(rng);
  return status;
}

int spx_an_spreads(spx_an *a, const spx_an_keyspec *k)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  const int d = spx_fe_dim(a->fe), dim = k->dim, ms = (int)spx_acfg_int(c, "spreads.min_samples");
  const double gamma = spx_acfg_num(c, "spreads.gamma"), factor = spx_acfg_num(c, "spreads.factor"),
               anchor = spx_acfg_num(c, "spreads.anchor");
  double win[2], *E = mode_matrix(k, d);
  spx_inertial_result *r = NULL;
  spx_out_file of;
  if (!E) return SPX_ENOMEM;
  spx_acfg_vec(c, "spreads.window", win, 2);
  spx_info("  spreads: N = %ld, gamma = %g, T = %g ...", spx_acfg_int(c, "spreads.N"), gamma,
           spx_acfg_num(c, "spreads.T"));
  SPX_TRY(run_cloud(a, E, dim, 0, dim, gamma, &r));
  SPX_TRY(spx_an_open(a, "spreads.tsv",
                      "S_k(t) = std_i <x_i - xbar, e_k> along the Hessian's eigen-directions, "
                      "ascending eigenvalues (spec 2.6)",
                      "t\tS_1 ... S_dim", &of));
  for (int j = 0; j < r->nsamples; j++) {
    fprintf(of.f, "%.6g", r->t[j]);
    for (int q = 0; q < dim; q++) fprintf(of.f, "\t%.10g", r->S[(long)j * dim + q]);
    fputc('\n', of.f);
  }
  SPX_TRY(spx_out_commit(&of));
  int ja = (int)floor(anchor / spx_acfg_num(c, "spreads.dt") + 0.5);
  if (ja >= r->nsamples) ja = r->nsamples - 1;
  SPX_TRY(spx_an_open(a, "rates.tsv",
                      "fitted rate of ln S_k in the window (spec 2.6) against z_+(gamma, mu_k) "
                      "(eq. 7); growth S_k(T)/S_k(0) against A_k(T) (spec 8.13)",
                      "mode\tmu\tz_plus\trate\trel_err\tsamples\tgrowth\tpredicted_growth\tgrows"
                      "\tS_anchor",
                      &of));
  int growing = 0;
  double worst = 0.0;
  for (int q = 0; q < dim; q++) {
    int used;
    double rate = spx_inertial_fit_rate(r, q, win[0], win[1], ms, &used),
           zp = spx_inertial_rate(gamma, k->ev[q]), gr = spx_inertial_growth(r, q),
           pr = spx_inertial_amplification(gamma, k->ev[q], r->t[r->nsamples - 1]);
    int grows = gr > factor;
    growing += grows;
    if (q < k->g.count && isfinite(rate)) worst = fmax(worst, fabs(rate / zp - 1.0));
    fprintf(of.f, "%d\t%.12g\t%.10g\t%.10g\t%.4g\t%d\t%.8g\t%.8g\t%d\t%.10g\n", q + 1, k->ev[q], zp,
            rate, fabs(rate / zp - 1.0), used, gr, pr, grows, r->S[(long)ja * dim + q]);
  }
  SPX_TRY(spx_out_commit(&of));
  spx_an_sum(a, "spreads_gamma", "%.6g", gamma);
  spx_an_sum(a, "spreads_growing", "%d", growing);
  spx_an_sum(a, "spreads_dim_E_minus", "%d", k->g.count);
  spx_an_sum(a, "spreads_count_matches", "%s", growing == k->g.count ? "yes" : "no");
  spx_an_sum(a, "spreads_max_rate_rel_err", "%.6g", worst);
  spx_info("  spreads: %d directions grow > x%g; dim E_- = %d; worst rate error (fitted modes) %.3g",
           growing, factor, k->g.count, worst);
cleanup:
  spx_inertial_result_free(r);
  free(E);
  return status;
}

static int part_sweep(spx_an *a, const spx_an_keyspec *k, double *mu_out)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  const int d = spx_fe_dim(a->fe), mode = (int)spx_acfg_int(c, "sweep.mode") - 1,
            ms = (int)spx_acfg_int(c, "spreads.min_samples");
  double gam[256], win[2], *E = mode_matrix(k, d);
  spx_out_file of;
  if (!E) return SPX_ENOMEM;
  const int ng = spx_acfg_vec(c, "sweep.gamma", gam, 256);
  spx_acfg_vec(c, "spreads.window", win, 2);
  const double mu = k->ev[mode];
  *mu_out = mu;
  SPX_TRY(spx_an_open(a, "sweep.tsv",
                      "damping sweep of one mode: fitted rate against z_+(gamma, mu) (spec 5 G2b); "
                      "sqrt(|mu|) is the gamma = 0 limit",
                      "gamma\tmu\tz_plus\trate\trel_err\tsamples\tsqrt_abs_mu", &of));
  double worst = 0.0;
  for (int i = 0; i < ng; i++) {
    spx_inertial_result *r = NULL;
    spx_info("  sweep: gamma = %g", gam[i]);
    status = run_cloud(a, E, k->dim, mode, 1, gam[i], &r);
    if (status) {
      spx_out_abort(&of);
      goto cleanup;
    }
    int used;
    double rate = spx_inertial_fit_rate(r, 0, win[0], win[1], ms, &used),
           zp = spx_inertial_rate(gam[i], mu);
    worst = fmax(worst, isfinite(rate) ? fabs(rate / zp - 1.0) : INFINITY);
    fprintf(of.f, "%.6g\t%.12g\t%.10g\t%.10g\t%.4g\t%d\t%.10g\n", gam[i], mu, zp, rate,
            fabs(rate / zp - 1.0), used, sqrt(fabs(mu)));
    spx_inertial_result_free(r);
  }
  SPX_TRY(spx_out_commit(&of));
  spx_an_sum(a, "sweep_mode", "%d", mode + 1);
  spx_an_sum(a, "sweep_mu", "%.12g", mu);
  spx_an_sum(a, "sweep_max_rel_err", "%.6g", worst);
cleanup:
  free(E);
  return status;
}

int spx_an_inertial(spx_an *a)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  spx_an_keyspec k;
  double mu = NAN;
  memset(&k, 0, sizeof k);
  if (a->fe) SPX_TRY(spx_an_keyspec_build(a, &k));
  if (a->fe && spx_acfg_has(c, "spreads")) SPX_TRY(spx_an_spreads(a, &k));
  if (a->fe && spx_acfg_has(c, "sweep")) SPX_TRY(part_sweep(a, &k, &mu));
  if (spx_acfg_has(c, "flow")) SPX_TRY(spx_an_flow(a, 1));
  if (a->fe && spx_acfg_has(c, "spreads")) {
    char extra[512];
    snprintf(extra, sizeof extra, "count=%d; nm=%ld; anchor=%.6g; has_sweep=%d; mu=%.12g; sphere=%d",
             k.g.count, spx_acfg_int(c, "spreads.modes"), spx_acfg_num(c, "spreads.anchor"),
             spx_acfg_has(c, "sweep"), isnan(mu) ? 0.0 : mu, a->sphere);
    spx_an_plot(a, "analyze_inertial.gp", extra);
  }
cleanup:
  spx_an_keyspec_free(&k);
  return status;
}
