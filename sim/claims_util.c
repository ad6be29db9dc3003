/* claims_util.c -- building blocks of the validation claims (claims_util.h). */
#include "claims_util.h"

#include <stdlib.h>
#include <string.h>

#include "init.h"
#include "kernel.h"
#include "sim.h"
#include "status.h"

int spx_cu_model_av(int n, int d, double beta, spx_normalization norm, const double *A,
                    const double *V, spx_model **out)
{
  spx_model *m = NULL;
  int status = spx_model_create(n, d, 1, &m);
  if (status) return status;
  m->beta = beta;
  m->norm = norm;
  memcpy(m->heads[0].A, A, sizeof(double) * d * d);
  memcpy(m->heads[0].V, V, sizeof(double) * d * d);
  status = spx_model_finalize(m, 0);
  if (status) {
    spx_model_free(m);
    return status;
  }
  *out = m;
  return SPX_OK;
}

int spx_cu_model_diag(int n, int d, double beta, spx_normalization norm, const double *spectrum,
                      spx_model **out)
{
  double *D = calloc((size_t)d * d, sizeof(double));
  if (!D) return SPX_ENOMEM;
  for (int k = 0; k < d; k++) D[k * d + k] = spectrum[k];
  spx_model *m = NULL;
  int status = spx_model_create(n, d, 1, &m);
  if (status == SPX_OK) {
    m->beta = beta;
    m->norm = norm;
    memcpy(m->heads[0].A, D, sizeof(double) * d * d);
    memcpy(m->heads[0].V, D, sizeof(double) * d * d);
    /* the basis in the config's order: u_k = e_k, lambda_k = spectrum[k] */
    memcpy(m->spectrum, spectrum, sizeof(double) * d);
    for (int k = 0; k < d; k++) m->U[k * d + k] = 1.0;
    m->basis_set = 1;
    status = spx_model_finalize(m, 0);
  }
  free(D);
  if (status) {
    spx_model_free(m);
    return status;
  }
  *out = m;
  return SPX_OK;
}

int spx_cu_uniform(const spx_model *m, unsigned long seed, double *x)
{
  spx_init_spec s = {.kind = SPX_INIT_UNIFORM, .seed = seed, .angle = 1.0};
  return spx_init_fill(&s, m, x);
}

int spx_cu_integrate(const spx_model *m, const char *method, double rtol, double atol, double T,
                     double *x, int nt, spx_cu_callback cb, void *data)
{
  spx_solver_settings st = {.rtol = rtol, .atol = atol, .dt = 0.01, .max_steps = 1000000};
  spx_sim *s = NULL;
  int status = spx_sim_create(m, method, &st, 0.0, x, &s);
  if (status) return status;
  if (nt > 0 && cb) {
    SPX_TRY(cb(0.0, x, data));
    for (int k = 1; k <= nt; k++) {
      SPX_TRY(spx_sim_advance(s, T * k / nt));
      spx_sim_state_x(s, x);
      SPX_TRY(cb(T * k / nt, x, data));
    }
  } else {
    SPX_TRY(spx_sim_advance(s, T));
    spx_sim_state_x(s, x);
  }
cleanup:
  spx_sim_free(s);
  return status;
}

int spx_cu_classify(const spx_model *m, const double *x0, const double *x, spx_classification *c,
                    double *f_plus, double *sign_memory, double *min_inner)
{
  spx_obs *o = NULL;
  spx_kernel *k = NULL;
  double *f = malloc(sizeof(double) * m->n * m->d);
  const spx_obs_values *v;
  int status = SPX_OK;
  if (!f) return SPX_ENOMEM;
  SPX_TRY(spx_obs_create(m, NULL, &o));
  SPX_TRY(spx_kernel_create(m, &k));
  SPX_TRY(spx_kernel_rhs(k, x, f));
  if (x0) spx_obs_set_reference(o, x0);
  SPX_TRY(spx_obs_compute(o, NULL, 0.0, x, f, &v));
  *c = spx_obs_classify(o, v);
  if (f_plus) *f_plus = v->f_plus;
  if (sign_memory) *sign_memory = v->sign_memory;
  if (min_inner) *min_inner = v->min_inner;
cleanup:
  spx_obs_free(o);
  spx_kernel_free(k);
  free(f);
  return status;
}
