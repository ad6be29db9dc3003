/* settle.c -- the early-stop criterion of settle.h (solver.stop_when_settled).
 *
 * On the integration-frame state y (rows x_i, or eigen-coordinates U^T x_i when the model
 * integrates in them, spec §4.1), with u_i = y_i / |y_i| and c_i^k = <u_i, e_k> in the mode basis
 * (columns of U, or the identity in eigen-coordinates), as the observables define them (spec §7):
 *   A_k = (1/n) sum_i (c_i^k)^2,  k* = argmax_k A_k (lowest k on ties),
 *   delta_pm = max_i (1 - |c_i^k*|),  n_+ = #{c_i^k* > 0},  n_- = n - n_+.
 * g = delta_pm / tol - 1 when the pure mode (k*, n_+, n_-) is linearly stable (every closed-form
 * eigenvalue of spec §4.3 negative, spx_puremode_stable; cached per (k*, n_+)), else g = 1.
 * Cost O(n d^2) per evaluation (CVODE evaluates g once per step): small against the O(n^2 d)
 * right-hand side. Nothing is allocated in g.
 */
#include "settle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stability.h"
#include "status.h"

struct spx_settle {
  const spx_model *m;
  double tol;
  double *Ak;      /* d: sums of squares per mode */
  double *c;       /* n: c_i^k* of the last evaluation */
  int cache_k, cache_np, cache_stable; /* stability of the last (k*, n_+) seen; k = -1: none */
};

int spx_settle_check(const spx_model *m, char *why, size_t len)
{
  const char *r = NULL;
  if (!m->symmetric) r = "needs the symmetric case A = V = V^T (model.spectrum, or A = V given)";
  else if (m->nheads != 1) r = "needs a single head (the closed forms of spec §4.3 are for one)";
  else if (m->mask != SPX_MASK_NONE) r = "needs model.mask = \"none\" (a masked flow has no "
                                         "pure-mode stability theory here)";
  if (!r) return SPX_OK;
  if (why) snprintf(why, len, "%s", r);
  else spx_error("early stop (solver.stop_when_settled) %s", r);
  return SPX_EINVAL;
}

int spx_settle_create(const spx_model *m, double tol, spx_settle **out)
{
  int status = SPX_OK;
  *out = NULL;
  SPX_TRY(spx_settle_check(m, NULL, 0));
  if (!(tol > 0.0 && tol < 1.0)) {
    spx_error("early stop: solver.stop_tol = %g must be in (0, 1)", tol);
    return SPX_EINVAL;
  }
  spx_settle *st = calloc(1, sizeof *st);
  if (!st) return SPX_ENOMEM;
  st->m = m;
  st->tol = tol;
  st->cache_k = -1;
  st->Ak = malloc(sizeof(double) * m->d);
  st->c = malloc(sizeof(double) * m->n);
  if (!st->Ak || !st->c) {
    spx_settle_free(st);
    return SPX_ENOMEM;
  }
  *out = st;
cleanup:
  return status;
}

void spx_settle_free(spx_settle *st)
{
  if (!st) return;
  free(st->Ak);
  free(st->c);
  free(st);
}

/* c = <u, e_k>: component k (eigen-coordinates) or <u, U[:, k]>. */
static double mode_coord(const spx_model *m, const double *u, int k)
{
  if (m->eigen_coords) return u[k];
  const int d = m->d;
  double s = 0.0;
  for (int a = 0; a < d; a++) s += m->U[a * d + k] * u[a];
  return s;
}

int spx_settle_g(double t, const double *y, double *g, void *user)
{
  spx_settle *st = user;
  const spx_model *m = st->m;
  const int n = m->n, d = m->d;
  for (int k = 0; k < d; k++) st->Ak[k] = 0.0;
  for (int i = 0; i < n; i++) {
    const double *yi = y + (long)i * d;
    double r = 0.0;
    for (int a = 0; a < d; a++) r += yi[a] * yi[a];
    r = 1.0 / sqrt(r);
    for (int k = 0; k < d; k++) {
      double c = r * mode_coord(m, yi, k);
      st->Ak[k] += c * c;
    }
  }
  int ks = 0;
  for (int k = 1; k < d; k++)
    if (st->Ak[k] > st->Ak[ks]) ks = k;
  double delta = 0.0;
  int np = 0;
  for (int i = 0; i < n; i++) {
    const double *yi = y + (long)i * d;
    double r = 0.0;
    for (int a = 0; a < d; a++) r += yi[a] * yi[a];
    double c = mode_coord(m, yi, ks) / sqrt(r);
    if (!isfinite(c)) return -1;
    np += c > 0.0;
    delta = fmax(delta, 1.0 - fabs(c));
  }
  if (ks != st->cache_k || np != st->cache_np) {
    spx_puremode pm = {.d = d, .lambda = m->spectrum, .beta = m->beta, .norm = m->norm,
                       .usa_shift = m->usa_shift, .k = ks, .n_plus = np, .n_minus = n - np};
    st->cache_k = ks;
    st->cache_np = np;
    st->cache_stable = spx_puremode_stable(&pm) == 1;
  }
  *g = st->cache_stable ? delta / st->tol - 1.0 : 1.0;
  return 0;
}

int spx_settle_attach(spx_sim *sim, const spx_model *m, double tol, spx_settle **out)
{
  int status = SPX_OK;
  spx_settle *st = NULL;
  *out = NULL;
  SPX_TRY(spx_settle_create(m, tol, &st));
  SPX_TRY(spx_sim_set_stop(sim, spx_settle_g, st));
  *out = st;
  st = NULL;
cleanup:
  spx_settle_free(st);
  return status;
}
