/* freeenergy.h -- the soft-min free energy of a FIXED key set and its derivatives
 * (spec spectral_gap.md §0.3, §1 eq. 2, §2.2, §7d.1).
 *
 *   F(x) = -(1/beta) log sum_j exp(-beta U_j(x)),   p_j = softmax_j(-beta U_j(x)),
 *   grad F = E_p[grad U_j],   Hess F = E_p[Hess U_j] - beta Cov_p(grad U_j),
 *
 * for attention potentials U_j = -<x, k_j> (grad U_j = -k_j, Hess U_j = 0: Hess F = -beta Cov_p(k))
 * and quadratic potentials U_j = |x - c_j|^2 / 2 (grad U_j = x - c_j, Hess U_j = I). The keys never
 * move: this is the paper's model of independent queries, not the interacting sphere flow.
 * On S^{d-1} ([ours], spec §7d.1): Riemannian gradient P_x grad F, Riemannian Hessian
 * P_x Hess F P_x - <x, grad F> P_x with P_x = I - x x^T.
 */
#ifndef SPX_FREEENERGY_H
#define SPX_FREEENERGY_H

typedef enum {
  SPX_FE_ATTENTION = 0, /* U_j = -<x, k_j> */
  SPX_FE_QUADRATIC = 1  /* U_j = |x - c_j|^2 / 2 */
} spx_fe_kind;

/* A key set with its scratch (weights, mean key); one per thread for spx_fe_eval. */
typedef struct spx_fe spx_fe;

/* Copy nkeys rows of d numbers (keys k_j or centres c_j, row-major) into a new free energy.
 * SPX_EINVAL for nkeys < 1, d < 1, beta not finite and > 0, or a non-finite key. */
int spx_fe_create(spx_fe_kind kind, int nkeys, int d, double beta, const double *keys,
                  spx_fe **out);

/* Free everything fe owns; NULL is allowed. */
void spx_fe_free(spx_fe *fe);

/* Dimension d, number of keys, beta, kind, and the keys (nkeys x d) of fe. */
int spx_fe_dim(const spx_fe *fe);
int spx_fe_nkeys(const spx_fe *fe);
double spx_fe_beta(const spx_fe *fe);
spx_fe_kind spx_fe_get_kind(const spx_fe *fe);
const double *spx_fe_keys(const spx_fe *fe);

/* F, grad F (d) and Hess F (d x d, row-major) at x in R^d by eq. 2; any output may be NULL.
 * Log-sum-exp with max shift. The weights p stay available through spx_fe_weights. */
int spx_fe_eval(spx_fe *fe, const double *x, double *F, double *grad, double *hess);

/* The weights p_j of the last spx_fe_eval / spx_fe_sphere_eval (nkeys values). */
const double *spx_fe_weights(const spx_fe *fe);

/* Force -grad F(x) = E_p[-grad U_j] (attention: the mean key kbar_p). Reentrant: fe is only
 * read and scratch (nkeys doubles) is the caller's, so threads may share one fe. */
int spx_fe_force(const spx_fe *fe, const double *x, double *force, double *scratch);

/* On S^{d-1} (|x| = 1 within 1e-8): F, the Riemannian gradient P_x grad F (d) and the
 * Riemannian Hessian P_x Hess F P_x - <x, grad F> P_x (d x d; x is in its kernel). Outputs may
 * be NULL. SPX_EINVAL if x is not a unit vector. */
int spx_fe_sphere_eval(spx_fe *fe, const double *x, double *F, double *rgrad, double *rhess);

/* An orthonormal basis of the tangent space x-perp (|x| = 1): B is d x (d-1), row-major, its
 * columns the basis vectors (a Householder reflection that maps e_d to x; deterministic). */
int spx_sphere_tangent_basis(int d, const double *x, double *B);

/* The Riemannian Hessian in the tangent basis B of spx_sphere_tangent_basis:
 * Ht = B^T Hess B ((d-1) x (d-1)); B (d x (d-1)) is filled too. */
int spx_fe_sphere_tangent_hessian(spx_fe *fe, const double *x, double *Ht, double *B);

/* Effective number of clusters N_eff = 1 / sum_a P_a^2 with P_a = sum_{j in a} p_j, for the
 * weights of the last evaluation and labels[j] in [0, nclusters) (spec §2.3). */
double spx_fe_cluster_neff(const spx_fe *fe, int nclusters, const int *labels);

/* Read an n x d whitespace table of keys (no normalization; '#' comments) from path into K.
 * SPX_EINVAL with file:line when a row is malformed or the shape differs. */
int spx_fe_read_keys(const char *path, int n, int d, double *K);

#endif
