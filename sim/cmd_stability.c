/* cmd_stability.c -- `bin/sim stability CONFIG`: every pure-mode class of the config's symmetric
 * flow, its exact linearization and its verdict (cmd_stability.h).
 *
 * The config gives the spectrum and basis of V = A (model.spectrum / model.basis, or a symmetric
 * V = A whose eigen-decomposition the model computes), beta, the normalization and n. For every
 * mode u_k the table lists the homogeneous cluster (n at +u_k), the balanced split (n/2 : n/2, or
 * (n+1)/2 : (n-1)/2 for odd n) and the unbalanced splits asked with --splits, with
 *   - the closed-form spectrum of spec sphere_dynamics.md §4.3 (= Kuehn-Yoon Theorem 5.2, §12.3):
 *     internal, drift / co-motion / counter-rotation rates with multiplicities, Morse index and
 *     verdict (stability.h);
 *   - the numerical check: the state is built, |RHS| must be ~0 (an equilibrium, §4.2), and the
 *     analytic and central-difference tangent Jacobians (n(d-1) dimensions) give the same
 *     eigenvalues;
 *   - the criterion of §4.4 / §12.4 for its class and the energy eps = 2 beta E_beta / n^2 of
 *     §4.4 item 6.
 * Above the table: beta_s (§4.4 item 2), the bistability threshold (§4.4 item 4), the imbalance
 * bound e^{2 beta |lambda_k|} (§4.4 item 3) and the regime of the spectrum ([KY] G1 / G2, §5).
 *
 * Outputs (atomically, in output/NAME-stability/ or --out): stability.tsv (the table, criteria in
 * '#' lines), stability.md (the same for people) and config.resolved.cfg. Every bad input is
 * refused with exit status 2 before anything is written.
 */
#include "cmd_stability.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "output.h"
#include "stability.h"
#include "cli.h"
#include "status.h"

/* Default largest tangent dimension n(d-1) of the numerical columns: a dense nonsymmetric
 * eigenproblem of that size takes about a second. */
#define DEFAULT_MAX_DIM 1000
/* Most unbalanced splits one command accepts. */
#define MAX_SPLITS 64
/* An equilibrium: |RHS| below this (issue 5: "RHS norm < 1e-12"). */
#define EQ_TOL 1e-12

int spx_stability_parse_splits(const char *text, int cap, int *pairs, int *count)
{
  int k = 0;
  const char *p = text;
  *count = 0;
  if (!text || !*text) {
    spx_error("--splits: empty list; expected pairs N_PLUS/N_MINUS separated by commas, e.g. "
              "--splits 4/2,5/1");
    return SPX_EINVAL;
  }
  while (*p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char item[64];
    if (len == 0 || len >= sizeof item) {
      spx_error("--splits %s: item %d is %s; expected N_PLUS/N_MINUS, e.g. 4/2", text, k + 1,
                len ? "too long" : "empty");
      return SPX_EINVAL;
    }
    memcpy(item, p, len);
    item[len] = '\0';
    char *slash = strchr(item, '/'), *e1, *e2;
    long a = 0, b = 0;
    int ok = slash != NULL;
    if (ok) {
      *slash = '\0';
      errno = 0;
      a = strtol(item, &e1, 10);
      b = strtol(slash + 1, &e2, 10);
      ok = errno == 0 && e1 != item && *e1 == '\0' && e2 != slash + 1 && *e2 == '\0';
      *slash = '/';
    }
    if (!ok) {
      spx_error("--splits %s: \"%s\" is not N_PLUS/N_MINUS with two integers, e.g. 4/2", text,
                item);
      return SPX_EINVAL;
    }
    if (a < 1 || b < 1 || a > 100000 || b > 100000) {
      spx_error("--splits %s: \"%s\": both counts must be in [1, 100000] (a split has particles "
                "at +u_k and at -u_k; the homogeneous class is always listed)", text, item);
      return SPX_EINVAL;
    }
    if (k >= cap) {
      spx_error("--splits %s: more than %d splits", text, cap);
      return SPX_EINVAL;
    }
    pairs[2 * k] = (int)a;
    pairs[2 * k + 1] = (int)b;
    k++;
    p += len;
    if (*p == ',') {
      p++;
      if (!*p) {
        spx_error("--splits %s: trailing comma", text);
        return SPX_EINVAL;
      }
    }
  }
  *count = k;
  return SPX_OK;
}

static void print_help(void)
{
  printf("usage: bin/sim stability CONFIG [--set KEY=VALUE]... [--out DIR] [--force]\n"
         "                         [--splits LIST] [--max-dim N] [--quiet]\n\n"
         "Local stability of the pure-mode equilibria x_i = +-u_k of the symmetric flow A = V = V^T\n"
         "of CONFIG (its spectrum, basis, beta, normalization and n; spec sphere_dynamics.md\n"
         "§4.2-§4.4, §12.3-§12.4). For every mode u_k: the homogeneous cluster, the balanced split\n"
         "and the unbalanced splits of --splits, with the closed-form eigenvalues of the\n"
         "n(d-1)-dimensional tangent linearization (internal, drift, co-motion, counter-rotation;\n"
         "Kuehn-Yoon Theorem 5.2), the same from the analytic and the finite-difference tangent\n"
         "Jacobians of the built state (whose |RHS| shows it is an equilibrium), the Morse index\n"
         "(unstable directions), the verdict stable / neutral / unstable, the spec's criterion for\n"
         "the class, and the energy eps = 2 beta E_beta / n^2. Also beta_s, the bistability\n"
         "threshold and the imbalance bound. Writes stability.tsv, stability.md and\n"
         "config.resolved.cfg into output/NAME-stability/ (or DIR).\n\n"
         "  --set KEY=VALUE  override a config key (as for bin/sim run)\n"
         "  --out DIR        output folder (default output/NAME-stability)\n"
         "  --force          overwrite an earlier table in that folder\n"
         "  --splits LIST    extra splits N_PLUS/N_MINUS on every mode, e.g. --splits 4/2,5/1\n"
         "  --max-dim N      numerical columns only for classes with n(d-1) <= N (default %d,\n"
         "                   at most 2000); larger classes get the closed form only\n"
         "  --quiet          do not print the table\n\n"
         "The config must be the symmetric case: model.spectrum (+ model.basis), or model.V =\n"
         "model.A symmetric, one head, no mask. Exit status: 0 done, 2 invalid input, 1 I/O.\n",
         DEFAULT_MAX_DIM);
}

/* Why the model is not the symmetric single-head unmasked flow, or NULL when it is. */
static const char *not_symmetric(const spx_model *m)
{
  if (m->nheads != 1) return "it has several heads (model.heads)";
  if (m->mask != SPX_MASK_NONE) return "it has an attention mask (model.mask)";
  if (!m->symmetric) return "A = Q^T K = V = V^T does not hold (asymmetric A, V, or A != V)";
  return NULL;
}

/* Index of the largest / smallest eigenvalue. */
static int argmax(int d, const double *v)
{
  int k = 0;
  for (int i = 1; i < d; i++)
    if (v[i] > v[k]) k = i;
  return k;
}

static int argmin(int d, const double *v)
{
  int k = 0;
  for (int i = 1; i < d; i++)
    if (v[i] < v[k]) k = i;
  return k;
}

/* The regime of the spectrum in the words of [KY] (spec §4.4 item 4, §5). */
static const char *regime(int d, const double *lam)
{
  int top = argmax(d, lam), bot = argmin(d, lam);
  int dominant = lam[top] > 0.0;
  for (int l = 0; l < d; l++)
    if (l != top && !(lam[top] > fabs(lam[l]))) dominant = 0;
  if (dominant) return "positive dominant: lambda_1 > |lambda_j| for all j (KY G1: homogeneous at u_1)";
  if (lam[top] < 0.0) return "negative definite (KY G2: sign split on the most negative axis)";
  if (lam[bot] < 0.0 && lam[top] > 0.0 && -lam[bot] > lam[top])
    return "indefinite, |lambda_min| > lambda_1 > 0: no modulus dominance (bistability at large beta)";
  return "other (semidefinite, or tied moduli): see the table";
}

/* Print and write the criteria block; prefix is "# " for the TSV, "- " for Markdown, "" for
 * the terminal. */
static void write_criteria(FILE *f, const char *prefix, const spx_model *m,
                           const spx_stability_table *t)
{
  const int d = m->d;
  const double *lam = m->spectrum, beta = m->beta;
  int top = argmax(d, lam), bot = argmin(d, lam);
  double bs = spx_stability_beta_s(d, lam), bb = spx_stability_bistability_beta(d, lam);
  fprintf(f, "%sspectrum: %s\n", prefix, regime(d, lam));
  if (isinf(bs))
    fprintf(f, "%sbeta_s (spec §4.4 item 2) = inf: the top eigenvalue lambda_%d = %g is not positive "
               "and simple, so no balanced split on it is ever stable\n", prefix, top + 1, lam[top]);
  else
    fprintf(f, "%sbeta_s = artanh(lambda_2/lambda_1)/lambda_1 = %.10g (spec §4.4 item 2): the "
               "balanced split on u_%d is stable iff beta > beta_s; beta = %g is %s\n",
            prefix, bs, top + 1, beta, beta > bs ? "above" : "not above");
  if (isinf(bb))
    fprintf(f, "%sbistability threshold (spec §4.4 item 4) = inf: needs |lambda_min| > lambda_1 > 0, "
               "both simple\n", prefix);
  else
    fprintf(f, "%sbistability threshold artanh(lambda_1/|lambda_min|)/|lambda_min| = %.10g (spec "
               "§4.4 item 4): the homogeneous state at u_%d and the split on u_%d are both stable "
               "above it; beta = %g is %s\n",
            prefix, bb, top + 1, bot + 1, beta, beta > bb ? "above" : "not above");
  fprintf(f, "%simbalance bound max(n+,n-)/min(n+,n-) < e^{2 beta |lambda_k|} (spec §4.4 item 3):",
          prefix);
  for (int k = 0; k < d; k++)
    fprintf(f, " u_%d: %.6g;", k + 1, spx_stability_imbalance_bound(beta, lam[k]));
  fprintf(f, "\n%sstable by the criteria (§4.4 items 1-2, §12.4):", prefix);
  int any = 0;
  for (int r = 0; r < t->nrows; r++)
    if (t->rows[r].criterion) {
      const spx_stability_row *w = &t->rows[r];
      fprintf(f, "%s %s %d/%d on u_%d", any ? "," : "", spx_pm_class_name(w->cls), w->n_plus,
              w->n_minus, w->k + 1);
      any = 1;
    }
  fprintf(f, "%s\n", any ? "" : " none of the listed classes");
}

/* "value (xmult, kind u_l)" items of a row, separated by sep. */
static void write_eigs(FILE *f, const spx_stability_row *w, const char *sep)
{
  for (int i = 0; i < w->neig; i++) {
    const spx_pm_eig *e = &w->eig[i];
    fprintf(f, "%s%.6g (", i ? sep : "", e->value);
    if (e->mult > 1) fprintf(f, "x%d ", e->mult);
    fprintf(f, "%s", spx_pm_kind_name(e->kind));
    if (e->l >= 0) fprintf(f, " u_%d", e->l + 1);
    fprintf(f, ")");
  }
}

/* Checks of the numerical columns: largest |RHS|, disagreement with the closed form, verdicts. */
typedef struct {
  int numeric_rows;
  double max_rhs, max_err_an, max_err_fd;
  int verdict_mismatch, criterion_mismatch;
} table_checks;

static table_checks check_table(const spx_stability_table *t)
{
  table_checks c = {0, 0.0, 0.0, 0.0, 0, 0};
  for (int r = 0; r < t->nrows; r++) {
    const spx_stability_row *w = &t->rows[r];
    /* the criterion says "stable" exactly when the closed-form verdict is stable */
    if (w->criterion != (w->verdict == SPX_VERDICT_STABLE)) c.criterion_mismatch++;
    if (w->morse_an < 0) continue;
    c.numeric_rows++;
    c.max_rhs = fmax(c.max_rhs, w->rhs_norm);
    c.max_err_an = fmax(c.max_err_an, w->err_an);
    c.max_err_fd = fmax(c.max_err_fd, w->err_fd);
    if (w->verdict_an != w->verdict || w->morse_an != w->morse) c.verdict_mismatch++;
  }
  return c;
}

static void print_table(FILE *f, const spx_stability_table *t)
{
  fprintf(f, "%4s %10s %-11s %5s %5s %12s %12s %12s %9s %5s %-8s %-20s %11s\n", "mode", "lambda",
          "class", "n+", "n-", "max eig", "max eig jac", "max eig fd", "|RHS|", "Morse",
          "verdict", "criterion", "eps");
  for (int r = 0; r < t->nrows; r++) {
    const spx_stability_row *w = &t->rows[r];
    char crit[48];
    snprintf(crit, sizeof crit, "%s (%s)", w->criterion ? "stable" : "not stable",
             w->criterion_src);
    fprintf(f, "%4d %10.6g %-11s %5d %5d %12.6g %12.6g %12.6g %9.2g %5d %-8s %-20s %11.6g\n",
            w->k + 1, w->lambda_k, spx_pm_class_name(w->cls), w->n_plus, w->n_minus, w->max_cf,
            w->max_an, w->max_fd, w->rhs_norm, w->morse, spx_verdict_name(w->verdict), crit,
            w->eps);
    fprintf(f, "       eigenvalues: ");
    write_eigs(f, w, "; ");
    fprintf(f, "\n");
  }
}

static void write_md(FILE *f, const char *name, const spx_model *m, const spx_stability_table *t,
                     const table_checks *c, int max_dim)
{
  fprintf(f, "# Pure-mode stability: %s\n\n", name);
  fprintf(f, "`bin/sim stability`, sim %s. Symmetric flow A = V = U diag(lambda) U^T, d = %d, n = %d, "
             "beta = %g, %s (spec sphere_dynamics.md §4.2-§4.4, §12.3-§12.4). Spectrum:",
          SPX_VERSION, m->d, m->n, m->beta, m->norm == SPX_NORM_SA ? "SA" : "USA");
  for (int k = 0; k < m->d; k++)
    fprintf(f, " lambda_%d = %g%s", k + 1, m->spectrum[k], k + 1 < m->d ? "," : ".");
  fprintf(f, "\n\n## Criteria\n\n");
  write_criteria(f, "- ", m, t);
  fprintf(f, "\n## Table\n\nmax eig: closed form (§4.3); jac / fd: largest real part of the analytic "
             "/ central-difference (h = 1e-6) tangent Jacobian of the built state; Morse: unstable "
             "directions; eps = 2 beta E_beta / n^2 (§4.4 item 6).\n\n");
  fprintf(f, "| mode | lambda | class | n+ | n- | max eig | max eig jac | max eig fd | RHS norm | "
             "Morse | verdict | criterion | eps | eigenvalues (closed form) |\n"
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (int r = 0; r < t->nrows; r++) {
    const spx_stability_row *w = &t->rows[r];
    fprintf(f, "| %d | %.6g | %s | %d | %d | %.6g | %.6g | %.6g | %.2g | %d | %s | %s (%s) | %.6g | ",
            w->k + 1, w->lambda_k, spx_pm_class_name(w->cls), w->n_plus, w->n_minus, w->max_cf,
            w->max_an, w->max_fd, w->rhs_norm, w->morse, spx_verdict_name(w->verdict),
            w->criterion ? "stable" : "not stable", w->criterion_src, w->eps);
    write_eigs(f, w, "; ");
    fprintf(f, " |\n");
  }
  fprintf(f, "\n## Checks\n\n");
  if (c->numeric_rows)
    fprintf(f, "- %d classes built numerically: max |RHS| = %.2g (equilibrium: < %g); max |closed "
               "form - Jacobian eigenvalues| = %.2g (analytic), %.2g (finite differences); Morse "
               "index or verdict different from the closed form: %d.\n",
            c->numeric_rows, c->max_rhs, EQ_TOL, c->max_err_an, c->max_err_fd, c->verdict_mismatch);
  if (c->numeric_rows < t->nrows)
    fprintf(f, "- %d classes with n(d-1) > %d: closed form only (--max-dim).\n",
            t->nrows - c->numeric_rows, max_dim);
  fprintf(f, "- criterion different from the closed-form verdict: %d (neutral rows, e.g. degenerate "
             "spectra, count here).\n", c->criterion_mismatch);
}

int spx_stability_main(int argc, char **argv)
{
  const char *cfgpath = NULL, *out = NULL, *splits_text = NULL;
  const char **sets = calloc((size_t)argc + 1, sizeof *sets);
  int nsets = 0, force = 0, quiet = 0, status = SPX_OK, nsplits = 0, max_dim = DEFAULT_MAX_DIM;
  int splits[2 * MAX_SPLITS];
  spx_config *cfg = NULL;
  spx_stability_table *tab = NULL;
  char outbuf[4096];
  if (!sets) return 1;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      print_help();
      free(sets);
      return 0;
    }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = NULL;
    static const char *const opts[] = {"--set", "--out", "--splits", "--max-dim"};
    int which = spx_cli_option_value(argc, argv, &i, opts, 4, "stability", &val);
    if (which == -2) {
      status = SPX_EINVAL;
      goto cleanup;
    }
    if (which == 0) {
      sets[nsets++] = val;
    } else if (which == 1) {
      out = val;
    } else if (which == 2) {
      splits_text = val;
    } else if (which == 3) {
      char *e;
      errno = 0;
      long v = strtol(val, &e, 10);
      if (errno || e == val || *e || v < 0 || v > 2000) {
        spx_error("stability: --max-dim %s: expected an integer in [0, 2000] (0: closed form only)",
                  val);
        status = SPX_EINVAL;
        goto cleanup;
      }
      max_dim = (int)v;
    } else if (strcmp(a, "--force") == 0) {
      force = 1;
    } else if (strcmp(a, "--quiet") == 0) {
      quiet = 1;
    } else {
      SPX_TRY(spx_cli_positional("stability", a,
                                 "--set KEY=VALUE, --out DIR, --force, --splits LIST, "
                                 "--max-dim N, --quiet, --help",
                                 "config", &cfgpath));
    }
  }
  if (!cfgpath) {
    spx_error("stability: no config given; usage: bin/sim stability CONFIG [--set KEY=VALUE]... "
              "[--out DIR] [--force] [--splits LIST]");
    status = SPX_EINVAL;
    goto cleanup;
  }
  if (out && !*out) {
    spx_error("stability: --out needs a folder name");
    status = SPX_EINVAL;
    goto cleanup;
  }
  if (splits_text) SPX_TRY(spx_stability_parse_splits(splits_text, MAX_SPLITS, splits, &nsplits));
  SPX_TRY(spx_config_load(cfgpath, sets, nsets, &cfg));
  const spx_run_params *p = spx_config_params(cfg);
  const spx_model *m = p->model;
  const char *why = not_symmetric(m);
  if (why) {
    spx_error("stability: %s: the pure-mode analysis needs the symmetric case of Kuehn-Yoon, one "
              "head with A = Q^T K = V = V^T and no mask (spec sphere_dynamics.md §2.3, §4), but %s; "
              "give model.spectrum (and model.basis), or model.V and model.A equal and symmetric",
              cfgpath, why);
    status = SPX_EINVAL;
    goto cleanup;
  }
  if (!out) {
    snprintf(outbuf, sizeof outbuf, "output/%s-stability", p->name);
    out = outbuf;
  }
  {
    char prev[4200];
    struct stat st;
    snprintf(prev, sizeof prev, "%s/stability.tsv", out);
    if (!force && stat(prev, &st) == 0) {
      spx_error("stability: %s holds an earlier table (stability.tsv); use --force to overwrite it "
                "or --out DIR to write elsewhere", out);
      status = SPX_EINVAL;
      goto cleanup;
    }
  }

  spx_stability_table_opts to = {.n = m->n, .nsplits = nsplits, .splits = splits,
                                 .numeric = max_dim > 0, .fd_h = 1e-6, .tol = 0.0,
                                 .numeric_max_dim = max_dim};
  SPX_TRY(spx_stability_table_build(m, &to, &tab));
  table_checks chk = check_table(tab);
  /* a folder holding a run's results is refused without --force (before anything is printed) */
  SPX_TRY(spx_out_prepare_dir(out, force));

  if (!quiet) {
    printf("pure-mode stability of %s: d = %d, n = %d, beta = %g, %s; spectrum", p->name, m->d,
           m->n, m->beta, m->norm == SPX_NORM_SA ? "SA" : "USA");
    for (int k = 0; k < m->d; k++) printf("%s %g", k ? "," : "", m->spectrum[k]);
    printf("\n");
    write_criteria(stdout, "", m, tab);
    printf("\n");
    print_table(stdout, tab);
    printf("\n");
    if (chk.numeric_rows)
      printf("checks: %d classes built: max |RHS| = %.2g (equilibria: < %g); closed form vs "
             "Jacobian eigenvalues: max error %.2g (analytic), %.2g (finite differences); "
             "verdict mismatches %d\n",
             chk.numeric_rows, chk.max_rhs, EQ_TOL, chk.max_err_an, chk.max_err_fd,
             chk.verdict_mismatch);
  }
  if (chk.numeric_rows < tab->nrows)
    spx_warn("stability: %d of %d classes have n(d-1) > %d: closed form only for them "
             "(--max-dim N, N <= 2000)", tab->nrows - chk.numeric_rows, tab->nrows, max_dim);
  if (chk.numeric_rows && !(chk.max_rhs < EQ_TOL))
    spx_warn("stability: a built pure mode has |RHS| = %.3g >= %g: not an equilibrium to round-off",
             chk.max_rhs, EQ_TOL);
  if (chk.verdict_mismatch)
    spx_warn("stability: %d classes where the Jacobian's Morse index or verdict differs from the "
             "closed form", chk.verdict_mismatch);

  {
    spx_out_file tsv, md, rc;
    SPX_TRY(spx_out_open(&tsv, out, "stability.tsv"));
    fprintf(tsv.f, "# bin/sim stability %s (sim %s): n = %d\n", cfgpath, SPX_VERSION, m->n);
    write_criteria(tsv.f, "# ", m, tab);
    status = spx_stability_table_write_tsv(tab, tsv.f);
    if (status) {
      spx_out_abort(&tsv);
      goto cleanup;
    }
    SPX_TRY(spx_out_commit(&tsv));
    SPX_TRY(spx_out_open(&md, out, "stability.md"));
    write_md(md.f, p->name, m, tab, &chk, max_dim);
    SPX_TRY(spx_out_commit(&md));
    SPX_TRY(spx_out_open(&rc, out, "config.resolved.cfg"));
    status = spx_config_write_resolved(cfg, rc.f);
    if (status) {
      spx_out_abort(&rc);
      goto cleanup;
    }
    SPX_TRY(spx_out_commit(&rc));
  }
  if (!quiet) printf("wrote %s/stability.tsv, %s/stability.md\n", out, out);
cleanup:
  spx_stability_table_free(tab);
  spx_config_free(cfg);
  free(sets);
  return spx_status_exit_code(status);
}
