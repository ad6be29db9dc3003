/* mat.h -- small dense matrices (row-major double, d x d or n x d) and the named random
 * matrices of the config (identity, diag, random_orthogonal, goe, wishart).
 *
 * These are the O(d^3) helpers of model set-up and analysis; the O(n^2 d) interaction lives in
 * kernel.c. Everything here is deterministic for a given GSL rng state.
 */
#ifndef SPX_MAT_H
#define SPX_MAT_H

#include <gsl/gsl_rng.h>

/* C = A B with A (n x k), B (k x m), C (n x m); C must not alias A or B. */
void spx_mat_mul(int n, int k, int m, const double *A, const double *B, double *C);

/* B = A^T with A (n x m), B (m x n). */
void spx_mat_transpose(int n, int m, const double *A, double *B);

/* M = I (d x d). */
void spx_mat_identity(int d, double *M);

/* max |M_ij - M_ji|. */
double spx_mat_asymmetry(int d, const double *M);

/* max |U^T U - I|_ij: 0 for an orthogonal matrix. */
double spx_mat_orthogonality_defect(int d, const double *U);

/* Largest singular value ||M||_2 (GSL SVD). Returns SPX_OK or SPX_ENOMEM. */
int spx_mat_norm2(int d, const double *M, double *norm);

/* Eigen-decomposition of the symmetric part (M + M^T)/2: eigenvalues in descending order in
 * evals[d], orthonormal eigenvectors as the COLUMNS of evecs (d x d, row-major). */
int spx_mat_sym_eigen(int d, const double *M, double *evals, double *evecs);

/* Haar-distributed orthogonal matrix: QR of a Gaussian matrix with the signs of R's diagonal
 * moved into Q (Mezzadri 2007), so the law is exactly Haar. */
int spx_mat_random_orthogonal(int d, gsl_rng *rng, double *U);

/* GOE matrix (G + G^T) / sqrt(2 d) with G_ij ~ N(0,1): spectrum fills [-2, 2] as d grows. */
void spx_mat_goe(int d, gsl_rng *rng, double *M);

/* Wishart matrix G G^T / d with G (d x d) Gaussian: positive semidefinite, mean I. */
int spx_mat_wishart(int d, gsl_rng *rng, double *M);

/* 1 if every entry is finite. */
int spx_all_finite(long len, const double *x);

#endif
