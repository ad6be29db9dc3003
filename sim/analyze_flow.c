/* analyze_flow.c -- the sphere version of the analysis: the interacting symmetric flow's free
 * energy F = -E_beta at equilibria (flowhess.h) and, for `analyze inertial`, the inertial
 * interacting flow near them (iflow.h). [ours]: spec spectral_gap.md §7d.4 names the object; the
 * paper has no Hessian for the interacting flow.
 *
 * Per state of flow.equilibria:
 *   flow_equilibria.tsv  |f(x)|, dim E_- of Hess F (gap to the null space; its relgap and verdict),
 *                        the paper's dominant gap count, the Morse index of the kernel's tangent
 *                        Jacobian, #{kappa > 0} of J = G^{-1}(-Hess F), |J_kernel - G^{-1}(-H)|,
 *                        the finite-difference check, the Riesz trace around the negative part;
 *   flow_spectrum.tsv    eigenvalues of Hess F and rates kappa of J (one block per state);
 *   flow_count.tsv       #{lambda < -theta} over theta (one block per state: the plateau);
 * and with the inertial flow:
 *   flow_inertial.tsv    growing modes against dim E_- and the Morse index, growth and rate errors;
 *   flow_modes.tsv       per mode: kappa, z_+, growth, predicted A(T), fitted rate (blocks);
 *   flow_growth.tsv      |a_k(t)/a_k(0)| of every mode (blocks), for the figure.
 * Blocks are separated by two blank lines (gnuplot `index`).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "flowhess.h"
#include "iflow.h"
#include "inertial.h"
#include "output.h"
#include "status.h"

int spx_an_flow(spx_an *a, int inertial)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  const spx_model *m = spx_config_params(a->flow_cfg)->model;
  const int n = m->n, d = m->d, dim = n * (d - 1), nt = (int)spx_acfg_int(c, "flow.theta_points"),
            M = (int)spx_acfg_int(c, "flow.nodes");
  spx_flowhess *w = NULL;
  spx_iflow_exp *ex = NULL;
  spx_out_file fe, fs, fc, fi, fm, fg;
  int open_e = 0, open_s = 0, open_c = 0, open_i = 0, open_m = 0, open_g = 0;
  double *th = malloc(sizeof(double) * nt);
  int *cnt = malloc(sizeof(int) * nt);
  if (!th || !cnt) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  SPX_TRY(spx_flowhess_create(m, &w));
  spx_info("  flow: %s, n = %d, d = %d, beta = %g, %s; %d states", spx_acfg_str(c, "flow.config"),
           n, d, m->beta, m->norm == SPX_NORM_SA ? "SA" : "USA", a->nstates);
  SPX_TRY(spx_an_open(a, "flow_equilibria.tsv",
                      "Hess F (F = -E_beta) of the interacting flow on the n(d-1)-dim tangent space "
                      "[ours]: dim E_- = number of negative eigenvalues (gap finder with the gap to "
                      "the null space) against the Morse index of the kernel's Jacobian",
                      "label\trhs_norm\tdim\tdim_E_minus\tgap_relgap\tgap_verdict\tdominant_count"
                      "\tmorse\tkappa_pos\tjac_err\tfd_err\tlambda_min\tlambda_max\tlog_scale"
                      "\triesz_trace",
                      &fe));
  open_e = 1;
  SPX_TRY(spx_an_open(a, "flow_spectrum.tsv", "eigenvalues of Hess F (ascending) and rates kappa "
                      "of J = G^{-1}(-Hess F) (descending); one block per state",
                      "index\tlambda\tkappa", &fs));
  open_s = 1;
  SPX_TRY(spx_an_open(a, "flow_count.tsv", "#{lambda < -theta} of Hess F; one block per state",
                      "theta\tcount", &fc));
  open_c = 1;
  if (inertial) {
    SPX_TRY(spx_an_open(a, "flow_inertial.tsv",
                        "inertial interacting flow x'' = f(x) - gamma x' - |x'|^2 x near each "
                        "state: modes with |a_k(T)/a_k(0)| > factor against dim E_- and Morse",
                        "label\tT\tdim_E_minus\tmorse\tkappa_pos\tgrowing\tall_equal"
                        "\tmax_growth_err\tmax_rate_err\tmax_stable_growth\tnorm_drift\tradial",
                        &fi));
    open_i = 1;
    SPX_TRY(spx_an_open(a, "flow_modes.tsv", "per mode of J: kappa, z_+(gamma, -kappa), measured "
                        "growth, linear prediction A(gamma, -kappa, T), fitted rate over [T/2, T]; "
                        "one block per state",
                        "mode\tkappa\tz_plus\tgrowth\tpredicted\trate", &fm));
    open_m = 1;
    SPX_TRY(spx_an_open(a, "flow_growth.tsv", "|a_k(t)/a_k(0)| of every mode (every 10th sample); "
                        "one block per state", "t\tratio_1 ... ratio_dim", &fg));
    open_g = 1;
  }
  int all_equal = 1, all_dim_morse = 1, n_eq = 0;
  char counts_txt[1024] = "", labels[2048] = "", npos[512] = "", ngrow[512] = "", ndim[512] = "",
       nmorse[512] = "";
  for (int e = 0; e < a->nstates; e++) {
    const spx_an_state *s = &a->states[e];
    spx_flowhess_opts o;
    spx_flowhess_opts_default(&o);
    o.fd_h = spx_acfg_num(c, "flow.fd_h");
    spx_flowhess_result r;
    SPX_TRY(spx_flowhess_analyze(w, s->x, s->T, &o, &r));
    int is_eq = r.rhs_norm <= 1e-8 * fmax(1.0, fabs(r.evals[0]));
    if (!is_eq)
      spx_warn("flow state %s is not an equilibrium (|f| = %.3g): its Hessian is valid, the Morse "
               "index and the inertial count are not meaningful there", s->label, r.rhs_norm);
    double tr = NAN;
    if (r.gap.count > 0 && r.gap.delta > 0) {
      double cen, rad, im;
      spx_riesz_gap_contour(dim, r.evals, &r.gap, 0.45, &cen, &rad);
      spx_riesz_trace(dim, r.evals, cen, rad, M, &tr, &im);
    } else if (r.gap.count == 0) {
      tr = 0.0;
    }
    fprintf(fe.f, "%s\t%.3g\t%d\t%d\t%.6g\t%s\t%d\t%d\t%d\t%.3g\t%.3g\t%.10g\t%.10g\t%.6g\t%.12g\n",
            s->label, r.rhs_norm, r.dim, r.gap.count, r.gap.relgap,
            r.gap.well_posed ? "gap" : "no_gap_ill_posed", r.dominant.count, r.morse, r.n_kappa_pos,
            r.jac_err, r.fd_err, r.evals[0], r.evals[dim - 1], r.log_scale, tr);
    if (e) fputs("\n\n", fs.f);
    fprintf(fs.f, "# %s\n", s->label);
    for (int i = 0; i < dim; i++) fprintf(fs.f, "%d\t%.12g\t%.12g\n", i + 1, r.evals[i], r.kappa[i]);
    double mx = fmax(fabs(r.evals[0]), fabs(r.evals[dim - 1]));
    if (!(mx > 0)) mx = 1.0;
    spx_gap_count_curve(dim, r.evals, 1e-6 * mx, 2.0 * mx, nt, th, cnt, NULL, NULL);
    if (e) fputs("\n\n", fc.f);
    fprintf(fc.f, "# %s\n", s->label);
    for (int j = 0; j < nt; j++) fprintf(fc.f, "%.10g\t%d\n", th[j], cnt[j]);
    if (is_eq) {
      n_eq++;
      all_dim_morse &= r.gap.count == r.morse;
    }
    /* word lists for the figure (labels have no blanks, see analyze.c) */
    snprintf(labels + strlen(labels), sizeof labels - strlen(labels), "%s%s", e ? " " : "", s->label);
    snprintf(npos + strlen(npos), sizeof npos - strlen(npos), "%s%d", e ? " " : "", r.n_kappa_pos);
    snprintf(ndim + strlen(ndim), sizeof ndim - strlen(ndim), "%s%d", e ? " " : "", r.gap.count);
    snprintf(nmorse + strlen(nmorse), sizeof nmorse - strlen(nmorse), "%s%d", e ? " " : "", r.morse);
    spx_info("  %-24s |f| %.2g  dim E_- %d (%s)  Morse %d  kappa>0 %d", s->label, r.rhs_norm,
             r.gap.count, spx_gap_verdict(&r.gap), r.morse, r.n_kappa_pos);
    if (!inertial) continue;
    spx_iflow_settings is;
    spx_iflow_settings_default(&is);
    is.gamma = spx_acfg_num(c, "flow.gamma");
    is.T = spx_acfg_num(c, "flow.T");
    is.dt = spx_acfg_num(c, "flow.dt");
    is.method = spx_acfg_str(c, "flow.method");
    spx_iflow_exp_opts eo;
    spx_iflow_exp_opts_default(&eo);
    eo.amp = spx_acfg_num(c, "flow.amp");
    eo.seed = (unsigned long)spx_acfg_int(c, "flow.seed");
    eo.factor = spx_acfg_num(c, "flow.factor");
    eo.growth = spx_acfg_num(c, "flow.growth");
    eo.T_max = spx_acfg_num(c, "flow.T_max");
    SPX_TRY(spx_iflow_experiment(m, s->x, s->T, r.kappa, r.right, r.left, &is, &eo, &ex));
    int eq = ex->n_growing == r.gap.count && r.gap.count == r.morse;
    snprintf(ngrow + strlen(ngrow), sizeof ngrow - strlen(ngrow), "%s%d", e ? " " : "", ex->n_growing);
    if (is_eq) all_equal &= eq;
    size_t used = strlen(counts_txt);
    snprintf(counts_txt + used, sizeof counts_txt - used, "%s%s:%d/%d/%d", used ? " " : "", s->label,
             ex->n_growing, r.gap.count, r.morse);
    fprintf(fi.f, "%s\t%.6g\t%d\t%d\t%d\t%d\t%d\t%.3g\t%.3g\t%.4g\t%.3g\t%.3g\n", s->label, ex->T,
            r.gap.count, r.morse, r.n_kappa_pos, ex->n_growing, eq, ex->max_growth_err,
            ex->max_rate_err, ex->max_stable_growth, ex->max_norm_drift, ex->max_radial);
    if (e) fputs("\n\n", fm.f);
    fprintf(fm.f, "# %s\n", s->label);
    for (int k = 0; k < dim; k++)
      fprintf(fm.f, "%d\t%.12g\t%.10g\t%.8g\t%.8g\t%.10g\n", k + 1, ex->kappa[k], ex->zplus[k],
              ex->growth[k], ex->predicted[k], ex->rate[k]);
    if (e) fputs("\n\n", fg.f);
    fprintf(fg.f, "# %s (growing %d, dim E_- %d, Morse %d)\n", s->label, ex->n_growing, r.gap.count,
            r.morse);
    const spx_iflow_result *run = ex->run;
    for (int j = 0; j < run->nsamples; j += 10) {
      fprintf(fg.f, "%.6g", run->t[j]);
      for (int k = 0; k < dim; k++)
        fprintf(fg.f, "\t%.6g", fabs(run->a[(long)j * dim + k] / run->a[k]));
      fputc('\n', fg.f);
    }
    spx_info("  %-24s inertial: %d modes grow (T = %.3g); growth error %.2g, rate error %.2g",
             s->label, ex->n_growing, ex->T, ex->max_growth_err, ex->max_rate_err);
    spx_iflow_exp_free(ex);
    ex = NULL;
  }
  SPX_TRY(spx_out_commit(&fe));
  open_e = 0;
  SPX_TRY(spx_out_commit(&fs));
  open_s = 0;
  SPX_TRY(spx_out_commit(&fc));
  open_c = 0;
  spx_an_sum(a, "flow_states", "%d", a->nstates);
  spx_an_sum(a, "flow_equilibria", "%d", n_eq);
  spx_an_sum(a, "flow_dim_E_minus_equals_morse", "%s", all_dim_morse ? "yes" : "no");
  if (inertial) {
    SPX_TRY(spx_out_commit(&fi));
    open_i = 0;
    SPX_TRY(spx_out_commit(&fm));
    open_m = 0;
    SPX_TRY(spx_out_commit(&fg));
    open_g = 0;
    spx_an_sum(a, "flow_gamma", "%.6g", spx_acfg_num(c, "flow.gamma"));
    spx_an_sum(a, "flow_growing_dimE_morse", "%s", counts_txt);
    spx_an_sum(a, "flow_inertial_counts_equal", "%s", all_equal ? "yes" : "no");
  }
  {
    char extra[8192];
    snprintf(extra, sizeof extra,
             "ns=%d; inertial=%d; dim=%d; labels='%s'; npos='%s'; ndim='%s'; nmorse='%s'; "
             "ngrow='%s'; factor=%.6g",
             a->nstates, inertial, dim, labels, npos, ndim, nmorse, ngrow,
             spx_acfg_num(c, "flow.factor"));
    spx_an_plot(a, inertial ? "analyze_flow_inertial.gp" : "analyze_flow_gap.gp", extra);
  }
cleanup:
  if (open_e) spx_out_abort(&fe);
  if (open_s) spx_out_abort(&fs);
  if (open_c) spx_out_abort(&fc);
  if (open_i) spx_out_abort(&fi);
  if (open_m) spx_out_abort(&fm);
  if (open_g) spx_out_abort(&fg);
  spx_iflow_exp_free(ex);
  spx_flowhess_free(w);
  free(th);
  free(cnt);
  return status;
}
