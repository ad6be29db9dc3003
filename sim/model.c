/* model.c -- allocation and derived properties of the flow (model.h).
 *
 * spx_model_finalize decides, from the matrices alone:
 *  - symmetric: every head has A = V = V^T (the Kuehn-Yoon case, spec sphere_dynamics.md §2.3);
 *  - gradient_flow: E_beta is a Lyapunov function. SA is the gradient ascent of E_beta for the
 *    metric sum_i Z_i <a_i, b_i> (spec §3), which needs a single head; USA is (1/n) grad E for
 *    any number of symmetric heads A_h = V_h (their energies add). No mask (spec §3, causal).
 *  - the mode basis: eigenvectors of the summed values sum_h V_h (symmetric part when V is not
 *    symmetric) [D], unless the config gave a spectrum and basis;
 *  - usa_shift: USA weights exp(L)/n overflow when beta ||A||_2 approaches the exp() range
 *    (spec §2.6); with model.usa_time = "rescaled" the flow is integrated in tau = e^{shift} t,
 *    shift = beta max_h ||A_h||_2; in physical time a bound above 600 is refused.
 */
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mat.h"
#include "status.h"

/* Largest logit bound beta ||A|| below which exp(L)/n is safe in double precision for any n
 * up to 1e9: e^600 * 1e9 = 4e269. */
#define SPX_USA_MAX_EXPONENT 600.0

int spx_model_create(int n, int d, int nheads, spx_model **out)
{
  int status = SPX_OK;
  spx_model *m = calloc(1, sizeof *m);
  if (!m) return SPX_ENOMEM;
  m->n = n;
  m->d = d;
  m->nheads = nheads;
  m->norm = SPX_NORM_SA;
  m->norm_aware = 1;
  m->window = 1;
  m->heads = calloc((size_t)nheads, sizeof *m->heads);
  m->spectrum = calloc((size_t)d, sizeof(double));
  m->U = calloc((size_t)d * d, sizeof(double));
  if (!m->heads || !m->spectrum || !m->U) { status = SPX_ENOMEM; goto cleanup; }
  for (int h = 0; h < nheads; h++) {
    m->heads[h].A = calloc((size_t)d * d, sizeof(double));
    m->heads[h].V = calloc((size_t)d * d, sizeof(double));
    if (!m->heads[h].A || !m->heads[h].V) { status = SPX_ENOMEM; goto cleanup; }
  }
  *out = m;
  return SPX_OK;
cleanup:
  spx_model_free(m);
  return status;
}

void spx_model_free(spx_model *m)
{
  if (!m) return;
  if (m->heads)
    for (int h = 0; h < m->nheads; h++) {
      free(m->heads[h].A);
      free(m->heads[h].V);
    }
  free(m->heads);
  free(m->spectrum);
  free(m->U);
  free(m);
}

/* Largest |entry|, the scale for the symmetry tolerances. */
static double max_abs(int d, const double *M)
{
  double a = 0.0;
  for (int i = 0; i < d * d; i++) a = fmax(a, fabs(M[i]));
  return a;
}

int spx_model_finalize(spx_model *m, int usa_rescaled)
{
  int status = SPX_OK, d = m->d;
  double *Vsum = calloc((size_t)d * d, sizeof(double));
  if (!Vsum) return SPX_ENOMEM;

  m->symmetric = 1;
  for (int h = 0; h < m->nheads; h++) {
    const double *A = m->heads[h].A, *V = m->heads[h].V;
    double scale = fmax(max_abs(d, V), 1e-300), diff = 0.0;
    for (int i = 0; i < d * d; i++) diff = fmax(diff, fabs(A[i] - V[i]));
    if (diff > 1e-13 * scale || spx_mat_asymmetry(d, V) > 1e-13 * scale) m->symmetric = 0;
    for (int i = 0; i < d * d; i++) Vsum[i] += V[i];
  }
  m->gradient_flow = m->symmetric && m->mask == SPX_MASK_NONE &&
                     (m->nheads == 1 || m->norm == SPX_NORM_USA);

  if (!m->basis_set) SPX_TRY(spx_mat_sym_eigen(d, Vsum, m->spectrum, m->U));

  m->usa_shift = 0.0;
  if (m->norm == SPX_NORM_USA) {
    double amax = 0.0;
    for (int h = 0; h < m->nheads; h++) {
      double a;
      SPX_TRY(spx_mat_norm2(d, m->heads[h].A, &a));
      amax = fmax(amax, a);
    }
    double bound = m->beta * amax;
    if (usa_rescaled) {
      m->usa_shift = bound; /* rescaled time tau = e^{bound} t, whatever the size of bound */
    } else if (bound > SPX_USA_MAX_EXPONENT) {
      spx_error("model: USA with beta*||A||_2 = %g > %g overflows exp() in double precision; "
                "set model.usa_time = \"rescaled\" to integrate in tau = exp(beta*||A||_2) t "
                "(spec sphere_dynamics.md §2.6), or use model.normalization = \"sa\"",
                bound, SPX_USA_MAX_EXPONENT);
      status = SPX_EINVAL;
      goto cleanup;
    }
  }
cleanup:
  free(Vsum);
  return status;
}
