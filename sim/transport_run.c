/* transport_run.c -- transport diagnostics along a run (transport_run.h).
 *
 * Per snapshot (spec transport_routing.md):
 *   §4      A(t) = row softmax of beta <u_i, A_h u_j> over the keys the mask allows; the
 *           diagnostics of spx_transport_diagnose: lambda_2 of L = I - S_T, G = ||K_T||/||S_T|| [D],
 *           phi = min over the prefix cuts S_t = {1..t} in particle order [D] (the particles' index
 *           is the token order of a causal or window mask), the Fiedler sweep (upper bound on
 *           phi for unordered particles), nu [D], mean KL to uniform over the allowed keys (§3);
 *   §2.5    item 2: effective rank [D] of the antisymmetric routing logits beta U R U^T, R the skew
 *           part of A_h (§2.2), from its d x d reduction (spx_routing_logits_erank);
 *   §1.4    the uniform causal closed form phi_unif(n, t) beside every landscape, for reference.
 * The "full" columns diagnose the same state's attention without the mask: the causal-vs-full
 * comparison of the issue at equal state [ours]. [D] = the spec's derived definitions (the
 * project's own, not the papers' text).
 */
#include "transport_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "status.h"

struct spx_transport_run {
  const spx_model *m;
  int head, every, n, d;
  spx_transport *w;
  spx_routing_ws *rws;
  double *U, *work, *A, *Af;                 /* n d, n d, n x n, n x n */
  double *phi, *flux, *phi_f, *flux_f, *unif; /* landscapes of the last snapshot (n - 1) */
  double *R, *F;                             /* skew / symmetric parts of A_h (d x d) */
  spx_routing_norms knorms;
  spx_erank kerank;
  double phi_unif, G_unif;                   /* uniform causal reference of size n (§1.4) */
  spx_out_file tsv, land;
  int tsv_open, land_open;
  long snaps;
  char dir[4096], name[256];
};

static const char *mask_name(const spx_model *m, char *buf, size_t len)
{
  if (m->mask == SPX_MASK_CAUSAL) snprintf(buf, len, "causal");
  else if (m->mask == SPX_MASK_WINDOW) snprintf(buf, len, "window(w=%d)", m->window);
  else snprintf(buf, len, "none");
  return buf;
}

int spx_transport_run_create(const spx_model *m, int head, spx_transport_run **out)
{
  int status = SPX_OK;
  const int n = m->n, d = m->d;
  spx_transport_run *tr = NULL;
  *out = NULL;
  if (head < 0 || head >= m->nheads) {
    spx_error("transport: head %d of a model with %d heads", head + 1, m->nheads);
    return SPX_EINVAL;
  }
  tr = calloc(1, sizeof *tr);
  if (!tr) return SPX_ENOMEM;
  tr->m = m;
  tr->head = head;
  tr->every = 1;
  tr->n = n;
  tr->d = d;
  SPX_TRY(spx_transport_alloc(n, &tr->w));
  SPX_TRY(spx_routing_ws_alloc(d, &tr->rws));
  size_t nn = (size_t)n * n;
  tr->U = malloc(sizeof(double) * n * d);
  tr->work = malloc(sizeof(double) * n * d);
  tr->A = malloc(sizeof(double) * nn);
  tr->Af = m->mask != SPX_MASK_NONE ? malloc(sizeof(double) * nn) : NULL;
  tr->phi = malloc(sizeof(double) * n);
  tr->flux = malloc(sizeof(double) * n);
  tr->phi_f = malloc(sizeof(double) * n);
  tr->flux_f = malloc(sizeof(double) * n);
  tr->unif = malloc(sizeof(double) * n);
  tr->R = malloc(sizeof(double) * d * d);
  tr->F = malloc(sizeof(double) * d * d);
  if (!tr->U || !tr->work || !tr->A || (m->mask != SPX_MASK_NONE && !tr->Af) || !tr->phi ||
      !tr->flux || !tr->phi_f || !tr->flux_f || !tr->unif || !tr->R || !tr->F) {
    spx_error("transport: out of memory for the n x n attention matrices (n = %d)", n);
    status = SPX_ENOMEM;
    goto cleanup;
  }
  SPX_TRY(spx_cheeger_uniform_landscape(n, tr->unif, &tr->phi_unif, NULL));
  /* G of uniform causal attention (no closed form for T's G in the spec): O(n^2), once. */
  spx_attention_uniform_causal(n, tr->A);
  SPX_TRY(spx_transport_operator(tr->w, tr->A));
  tr->G_unif = tr->w->G;
  spx_routing_split(d, m->heads[head].A, tr->R, tr->F, &tr->knorms);
  SPX_TRY(spx_routing_erank(d, tr->R, &tr->kerank, NULL));
  *out = tr;
  tr = NULL;
cleanup:
  spx_transport_run_free(tr);
  return status;
}

void spx_transport_run_free(spx_transport_run *tr)
{
  if (!tr) return;
  if (tr->tsv_open) spx_out_abort(&tr->tsv);
  if (tr->land_open) spx_out_abort(&tr->land);
  spx_transport_free(tr->w);
  spx_routing_ws_free(tr->rws);
  free(tr->U);
  free(tr->work);
  free(tr->A);
  free(tr->Af);
  free(tr->phi);
  free(tr->flux);
  free(tr->phi_f);
  free(tr->flux_f);
  free(tr->unif);
  free(tr->R);
  free(tr->F);
  free(tr);
}

int spx_transport_run_snapshot(spx_transport_run *tr, double t, const double *x,
                               spx_transport_snapshot *s)
{
  int status = SPX_OK;
  const spx_model *m = tr->m;
  const int n = tr->n;
  s->t = t;
  SPX_TRY(spx_attention_of_state(m, tr->head, x, m->mask, m->window, tr->U, tr->work, tr->A,
                                 NULL));
  SPX_TRY(spx_transport_diagnose(tr->w, tr->A, m->mask, m->window, &s->att));
  memcpy(tr->phi, tr->w->phi, sizeof(double) * (n - 1));
  memcpy(tr->flux, tr->w->flux, sizeof(double) * (n - 1));
  if (m->mask != SPX_MASK_NONE) {
    SPX_TRY(spx_attention_of_state(m, tr->head, x, SPX_MASK_NONE, 0, tr->U, tr->work, tr->Af,
                                   NULL));
    SPX_TRY(spx_transport_diagnose(tr->w, tr->Af, SPX_MASK_NONE, 0, &s->full));
    memcpy(tr->phi_f, tr->w->phi, sizeof(double) * (n - 1));
    memcpy(tr->flux_f, tr->w->flux, sizeof(double) * (n - 1));
  } else {
    s->full = s->att;
    memcpy(tr->phi_f, tr->phi, sizeof(double) * (n - 1));
    memcpy(tr->flux_f, tr->flux, sizeof(double) * (n - 1));
  }
  SPX_TRY(spx_routing_logits_erank(tr->rws, n, tr->U, tr->R, m->beta, &s->routing));
cleanup:
  return status;
}

void spx_transport_run_landscape(const spx_transport_run *tr, int full, const double **phi,
                                 const double **flux)
{
  *phi = full ? tr->phi_f : tr->phi;
  if (flux) *flux = full ? tr->flux_f : tr->flux;
}

void spx_transport_run_kernel(const spx_transport_run *tr, spx_routing_norms *norms,
                              spx_erank *erank)
{
  if (norms) *norms = tr->knorms;
  if (erank) *erank = tr->kerank;
}

/* ---- the files of a run ------------------------------------------------------------------- */

int spx_transport_run_from_config(const spx_config *cfg, spx_transport_run **out)
{
  const spx_run_params *p = spx_config_params(cfg);
  /* Values range-checked by config.c (extract), which also refused n > transport.max_n. */
  long long every = config_setting_get_int64(spx_config_setting(cfg, "transport.every"));
  long long head = config_setting_get_int64(spx_config_setting(cfg, "transport.head"));
  *out = NULL;
  if (every <= 0) return SPX_OK;
  int status = spx_transport_run_create(p->model, (int)head - 1, out);
  if (status == SPX_OK) (*out)->every = (int)every;
  return status;
}

int spx_transport_run_open(spx_transport_run *tr, const char *dir, const char *name)
{
  int status = SPX_OK;
  const spx_model *m = tr->m;
  char mk[64];
  snprintf(tr->dir, sizeof tr->dir, "%s", dir);
  snprintf(tr->name, sizeof tr->name, "%s", name);
  SPX_TRY(spx_out_open(&tr->tsv, dir, "transport.tsv"));
  tr->tsv_open = 1;
  SPX_TRY(spx_out_open(&tr->land, dir, "transport_landscape.tsv"));
  tr->land_open = 1;
  mask_name(m, mk, sizeof mk);
  FILE *f = tr->tsv.f;
  fprintf(f, "# transport diagnostics of run \"%s\": n=%d d=%d beta=%.17g head=%d of %d "
             "mask=%s every=%d output rows; spec transport_routing.md §1.3-1.5, §2.5, §3\n",
          name, m->n, m->d, m->beta, tr->head + 1, m->nheads, mk, tr->every);
  fprintf(f, "# A(t) = row softmax of beta <u_i, A_h u_j> under the mask (columns 2-10, 17-18) "
             "and without it (\"full\", columns 11-16). Derived [D], the project's own "
             "definitions: phi (min over prefix cuts in particle order), G, nu, routing erank\n");
  fprintf(f, "# kernel routing part R = (A_h - A_h^T)/2: ||R||_F = %.6g, ||F||_F = %.6g, "
             "erank(R) = %.6g, rank(R) = %d\n",
          tr->knorms.norm_R, tr->knorms.norm_F, tr->kerank.erank, tr->kerank.rank);
  fprintf(f, "# t\tphi\tworst_cut\tlambda_2\tG\tnu\tmean_kl\trouting_erank\tphi_sweep\t"
             "cheeger_lower\tphi_full\tphi_sweep_full\tlambda_2_full\tG_full\tnu_full\t"
             "mean_kl_full\trouting_pr\trouting_rank\n");
  fprintf(tr->land.f,
          "# prefix landscapes of run \"%s\" (n=%d, mask=%s): one block per snapshot (gnuplot "
          "index), cuts S_t = {1..t} in particle order; phi(t), J(t) [D] of the masked and the "
          "full attention; phi_unif = uniform causal closed form (spec §1.4)\n",
          name, m->n, mk);
  fprintf(tr->land.f, "# t_cut\tx\tphi\tJ\tphi_full\tJ_full\tphi_unif\n");
cleanup:
  return status;
}

int spx_transport_run_row(spx_transport_run *tr, long row, int last, double t, const double *x)
{
  int status = SPX_OK;
  const int n = tr->n;
  if (!(row % tr->every == 0 || last)) return SPX_OK;
  spx_transport_snapshot s;
  SPX_TRY(spx_transport_run_snapshot(tr, t, x, &s));
  fprintf(tr->tsv.f,
          "%.10g\t%.12g\t%.6g\t%.12g\t%.12g\t%.12g\t%.12g\t%.10g\t%.12g\t%.12g\t%.12g\t%.12g\t"
          "%.12g\t%.12g\t%.12g\t%.12g\t%.10g\t%d\n",
          t, s.att.phi_prefix, (double)s.att.t_prefix / n, s.att.lambda2, s.att.G, s.att.nu,
          s.att.mean_kl, s.routing.erank, s.att.phi_sweep, s.att.cheeger_lower,
          s.full.phi_prefix, s.full.phi_sweep, s.full.lambda2, s.full.G, s.full.nu,
          s.full.mean_kl, s.routing.pr, s.routing.rank);
  FILE *f = tr->land.f;
  fprintf(f, "%s# t = %.10g\n", tr->snaps ? "\n\n" : "", t);
  for (int c = 1; c < n; c++)
    fprintf(f, "%d\t%.8g\t%.12g\t%.12g\t%.12g\t%.12g\t%.12g\n", c, (double)c / n, tr->phi[c - 1],
            tr->flux[c - 1], tr->phi_f[c - 1], tr->flux_f[c - 1], tr->unif[c - 1]);
  tr->snaps++;
cleanup:
  return status;
}

int spx_transport_run_finish(spx_transport_run *tr, int plots, const char *fmt)
{
  int w1 = SPX_OK, w2 = SPX_OK;
  if (tr->tsv_open) {
    w1 = spx_out_commit(&tr->tsv);
    tr->tsv_open = 0;
  }
  if (tr->land_open) {
    w2 = spx_out_commit(&tr->land);
    tr->land_open = 0;
  }
  if (w1 || w2) return SPX_EIO;
  if (plots && tr->snaps > 0) {
    char a[1024], mk[64];
    snprintf(a, sizeof a, "fmt='%s'; name='%s'; n=%d; mask='%s'; masked=%d; nsnap=%ld; "
                          "head=%d; d=%d; phiu=%.10g; Gu=%.10g",
             fmt, tr->name, tr->n, mask_name(tr->m, mk, sizeof mk),
             tr->m->mask != SPX_MASK_NONE, tr->snaps, tr->head + 1, tr->d, tr->phi_unif,
             tr->G_unif);
    if (spx_out_gnuplot(tr->dir, "transport_run.gp", a) == SPX_OK &&
        spx_out_gnuplot(tr->dir, "transport_run_landscape.gp", a) == SPX_OK)
      spx_info("transport figures: %s/transport.%s, %s/transport_landscape.%s", tr->dir, fmt,
               tr->dir, fmt);
  }
  return SPX_OK;
}
