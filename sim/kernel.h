/* kernel.h -- the all-pairs interaction: right-hand side, analytic Jacobian-vector product and
 * the log-domain energy (spec sphere_dynamics.md §2.5, §2.6, §3).
 *
 * Cost O(n^2 d H) per call. The n x n attention matrix is never formed: each row i computes its
 * logits, the exponentials and the weighted sum of values in one pass (fused), or, for large d,
 * per block of rows with BLAS-3 (kernel chooses). All scratch is in a workspace allocated once per
 * run (spx_kernel_create); nothing is allocated in the right-hand side. Rows are independent and
 * every sum has a fixed order, so the result does not depend on the number of OpenMP threads.
 * Memory: O((n d + d^2) H) plus a block per thread (and, on the symmetric path, at most 16 n (d + 1)
 * partial sums), never n x n.
 */
#ifndef SPX_KERNEL_H
#define SPX_KERNEL_H

#include "model.h"

typedef struct spx_kernel spx_kernel;

/* Row paths of the RHS and the energy (kernel.c). AUTO: SYM for d <= 4 when every head's logit
 * form A is symmetric and there is no mask, else SMALL for d <= 4, BLAS for d >= 5 (the fastest
 * there, measured). SMALL and GENERIC give bitwise the same numbers; BLAS and SYM agree with them
 * to rounding. */
typedef enum {
  SPX_KERNEL_AUTO = 0,
  SPX_KERNEL_SMALL = 1,   /* fused pair loop specialised for d = 2, 3, 4 (else GENERIC) */
  SPX_KERNEL_GENERIC = 2, /* fused pair loop, any d */
  SPX_KERNEL_BLAS = 3,    /* blocks of rows x partners with two dgemm calls (OpenBLAS) */
  SPX_KERNEL_SYM = 4      /* d <= 4, symmetric A_h, no mask: each exp(L_ij) serves rows i and j */
} spx_kernel_path;

/* Counters of a kernel, for summary.tsv. */
typedef struct {
  long rhs_evals;  /* calls of spx_kernel_rhs */
  long jv_evals;   /* calls of spx_kernel_jv */
} spx_kernel_stats;

/* Allocate the workspace for model m (which must outlive the kernel). */
int spx_kernel_create(const spx_model *m, spx_kernel **out);
void spx_kernel_free(spx_kernel *k);

/* f = dx/dt at state x (length n d). Returns 0, or SPX_ENONFINITE if a non-finite value was
 * produced (the caller reports where: see spx_kernel_last_nonfinite). */
int spx_kernel_rhs(spx_kernel *k, const double *x, double *f);

/* Rows [i0, i1) of the RHS at the full state x, written to f[0 .. (i1 - i0) d) (MPI row blocks).
 * Same numbers as the rows of spx_kernel_rhs; SPX_EINVAL for a bad range. */
int spx_kernel_rhs_rows(spx_kernel *k, const double *x, int i0, int i1, double *f);

/* Force a row path (tests, benchmarks); SPX_EINVAL for an unknown path or for SYM on a model it
 * does not apply to (d > 4, a mask, an asymmetric A_h), SPX_ENOMEM. */
int spx_kernel_set_path(spx_kernel *k, spx_kernel_path path);

/* The path in use (never AUTO) and a name for it ("small_d", "generic", "blas3", "sym_small"). */
spx_kernel_path spx_kernel_get_path(const spx_kernel *k);
const char *spx_kernel_path_name(spx_kernel_path path);

/* The kernel's exponential: <= 4 ulp relative on [-708.39, 1], subnormal results on
 * [-746, -708.39] to 4 units of 2^-1074, 0 below -746 (kernel.c states the method). */
double spx_kernel_exp(double x);

/* The narrow exponential of the pair loops whose logits are bounded (kernel.c): for x in
 * [-708.74, 709.78); equals spx_kernel_exp bitwise on [-708.74, 293] (where both apply). */
double spx_kernel_exp_narrow(double x);

/* y[i] = spx_kernel_exp(x[i]) through the vectorized loop the kernel uses. */
void spx_kernel_exp_array(long len, const double *x, double *y);

/* Jv = J(x) v, the exact derivative of spx_kernel_rhs at x in direction v (spec §2.5, extended
 * to the norm-aware projection). Same cost as one RHS. */
int spx_kernel_jv(spx_kernel *k, const double *x, const double *v, double *Jv);

/* Rows [i0, i1) of J(x) v, written to Jv[0 .. (i1 - i0) d) (MPI row blocks); v is the whole
 * direction. Same numbers as those rows of spx_kernel_jv; SPX_EINVAL for a bad range. */
int spx_kernel_jv_rows(spx_kernel *k, const double *x, const double *v, int i0, int i1,
                       double *Jv);

/* log E_beta(x) with E_beta = (1/(2 beta)) sum_h sum_{i,j allowed} exp(beta <u_i, A_h u_j>) on the
 * renormalized rows u (spec §3 monitoring recipe; log domain so that it never overflows).
 * NaN for beta = 0, where E_beta is not defined. Only meaningful when every A_h is symmetric. */
double spx_kernel_log_energy(spx_kernel *k, const double *x);

/* Dissipation sum_i Z_i |f_i|^2 (SA) or n sum_i |f_i|^2 (USA) at x, with f = RHS(x): the
 * predicted dE/dt of the gradient flow (spec §3), in the model's clock (USA rescaled time:
 * dE/dtau). Uses the RHS internally (kernel scratch, no allocation). */
double spx_kernel_dissipation(spx_kernel *k, const double *x);

/* Particle and quantity of the last non-finite value found (for error messages). */
void spx_kernel_last_nonfinite(const spx_kernel *k, int *particle, const char **quantity);

spx_kernel_stats spx_kernel_get_stats(const spx_kernel *k);
void spx_kernel_reset_stats(spx_kernel *k);

#endif
