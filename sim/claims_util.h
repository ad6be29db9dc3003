/* claims_util.h -- small building blocks shared by the validation claims (claims_*.c): models of
 * the spec's scenarios, seeded initial states, a run to time T, and the final classification.
 * Not used by the engine itself.
 */
#ifndef SPX_CLAIMS_UTIL_H
#define SPX_CLAIMS_UTIL_H

#include "model.h"
#include "observables.h"
#include "solver.h"

/* Symmetric model V = A = diag(spectrum) (identity basis), H = 1, finalized. */
int spx_cu_model_diag(int n, int d, double beta, spx_normalization norm, const double *spectrum,
                      spx_model **out);

/* Model with given A and V (d x d), H = 1, finalized. */
int spx_cu_model_av(int n, int d, double beta, spx_normalization norm, const double *A,
                    const double *V, spx_model **out);

/* n i.i.d. uniform points on S^{d-1} (init kind "uniform" with this seed). */
int spx_cu_uniform(const spx_model *m, unsigned long seed, double *x);

/* Integrate from x (x frame) to time T with the given method and tolerances; x is overwritten
 * with the final state. With times/nt and a callback, cb(t, x, data) is called at nt+1 equally
 * spaced times 0, T/nt, ..., T (t = 0 included); nt = 0: no callback. */
typedef int (*spx_cu_callback)(double t, const double *x, void *data);
int spx_cu_integrate(const spx_model *m, const char *method, double rtol, double atol, double T,
                     double *x, int nt, spx_cu_callback cb, void *data);

/* Classification of state x with the default thresholds (spec §10) and, if x0 != NULL, sign
 * memory against x0. v_out (optional) receives f_plus, sign_memory, min_inner. */
int spx_cu_classify(const spx_model *m, const double *x0, const double *x, spx_classification *c,
                    double *f_plus, double *sign_memory, double *min_inner);

#endif
