/* mat.c -- dense helpers of mat.h, on GSL (linear algebra and random numbers). */
#include "mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>

#include "status.h"

void spx_mat_mul(int n, int k, int m, const double *A, const double *B, double *C)
{
  for (int i = 0; i < n; i++)
    for (int j = 0; j < m; j++) {
      double s = 0.0;
      for (int l = 0; l < k; l++) s += A[(long)i * k + l] * B[(long)l * m + j];
      C[(long)i * m + j] = s;
    }
}

void spx_mat_transpose(int n, int m, const double *A, double *B)
{
  for (int i = 0; i < n; i++)
    for (int j = 0; j < m; j++) B[(long)j * n + i] = A[(long)i * m + j];
}

void spx_mat_identity(int d, double *M)
{
  memset(M, 0, sizeof(double) * d * d);
  for (int i = 0; i < d; i++) M[i * d + i] = 1.0;
}

double spx_mat_asymmetry(int d, const double *M)
{
  double a = 0.0;
  for (int i = 0; i < d; i++)
    for (int j = i + 1; j < d; j++) a = fmax(a, fabs(M[i * d + j] - M[j * d + i]));
  return a;
}

double spx_mat_orthogonality_defect(int d, const double *U)
{
  double a = 0.0;
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) {
      double s = 0.0;
      for (int k = 0; k < d; k++) s += U[k * d + i] * U[k * d + j];
      a = fmax(a, fabs(s - (i == j ? 1.0 : 0.0)));
    }
  return a;
}

int spx_mat_norm2(int d, const double *M, double *norm)
{
  int status = SPX_OK;
  gsl_matrix *A = gsl_matrix_alloc(d, d), *Vm = gsl_matrix_alloc(d, d);
  gsl_vector *S = gsl_vector_alloc(d), *work = gsl_vector_alloc(d);
  if (!A || !Vm || !S || !work) { status = SPX_ENOMEM; goto cleanup; }
  memcpy(A->data, M, sizeof(double) * d * d);
  if (d == 1) { *norm = fabs(M[0]); goto cleanup; }
  if (gsl_linalg_SV_decomp(A, Vm, S, work) != 0) { status = SPX_EINTERNAL; goto cleanup; }
  *norm = gsl_vector_get(S, 0);
cleanup:
  if (A) gsl_matrix_free(A);
  if (Vm) gsl_matrix_free(Vm);
  if (S) gsl_vector_free(S);
  if (work) gsl_vector_free(work);
  return status;
}

int spx_mat_sym_eigen(int d, const double *M, double *evals, double *evecs)
{
  int status = SPX_OK;
  gsl_matrix *A = gsl_matrix_alloc(d, d), *E = gsl_matrix_alloc(d, d);
  gsl_vector *ev = gsl_vector_alloc(d);
  gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(d);
  if (!A || !E || !ev || !w) { status = SPX_ENOMEM; goto cleanup; }
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) gsl_matrix_set(A, i, j, 0.5 * (M[i * d + j] + M[j * d + i]));
  if (gsl_eigen_symmv(A, ev, E, w) != 0) { status = SPX_EINTERNAL; goto cleanup; }
  gsl_eigen_symmv_sort(ev, E, GSL_EIGEN_SORT_VAL_DESC);
  for (int i = 0; i < d; i++) {
    evals[i] = gsl_vector_get(ev, i);
    /* Fix the sign of each eigenvector (largest-modulus entry positive) so that the basis,
     * and the sign-based observables built on it, do not depend on LAPACK-level details. */
    int kmax = 0;
    for (int k = 1; k < d; k++)
      if (fabs(gsl_matrix_get(E, k, i)) > fabs(gsl_matrix_get(E, kmax, i)) + 1e-12) kmax = k;
    double s = gsl_matrix_get(E, kmax, i) < 0 ? -1.0 : 1.0;
    for (int k = 0; k < d; k++) evecs[k * d + i] = s * gsl_matrix_get(E, k, i);
  }
cleanup:
  if (A) gsl_matrix_free(A);
  if (E) gsl_matrix_free(E);
  if (ev) gsl_vector_free(ev);
  if (w) gsl_eigen_symmv_free(w);
  return status;
}

int spx_mat_random_orthogonal(int d, gsl_rng *rng, double *U)
{
  int status = SPX_OK;
  gsl_matrix *A = gsl_matrix_alloc(d, d), *Q = gsl_matrix_alloc(d, d), *R = gsl_matrix_alloc(d, d);
  gsl_vector *tau = gsl_vector_alloc(d);
  if (!A || !Q || !R || !tau) { status = SPX_ENOMEM; goto cleanup; }
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) gsl_matrix_set(A, i, j, gsl_ran_gaussian(rng, 1.0));
  if (gsl_linalg_QR_decomp(A, tau) != 0 || gsl_linalg_QR_unpack(A, tau, Q, R) != 0) {
    status = SPX_EINTERNAL;
    goto cleanup;
  }
  for (int j = 0; j < d; j++) {
    double s = gsl_matrix_get(R, j, j) < 0 ? -1.0 : 1.0;
    for (int i = 0; i < d; i++) U[i * d + j] = s * gsl_matrix_get(Q, i, j);
  }
cleanup:
  if (A) gsl_matrix_free(A);
  if (Q) gsl_matrix_free(Q);
  if (R) gsl_matrix_free(R);
  if (tau) gsl_vector_free(tau);
  return status;
}

void spx_mat_goe(int d, gsl_rng *rng, double *M)
{
  double c = 1.0 / sqrt(2.0 * d);
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) M[i * d + j] = gsl_ran_gaussian(rng, 1.0);
  for (int i = 0; i < d; i++)
    for (int j = i; j < d; j++) {
      double s = c * (M[i * d + j] + M[j * d + i]);
      M[i * d + j] = M[j * d + i] = s;
    }
}

int spx_mat_wishart(int d, gsl_rng *rng, double *M)
{
  double *G = malloc(sizeof(double) * d * d);
  if (!G) return SPX_ENOMEM;
  for (int i = 0; i < d * d; i++) G[i] = gsl_ran_gaussian(rng, 1.0);
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) {
      double s = 0.0;
      for (int k = 0; k < d; k++) s += G[i * d + k] * G[j * d + k];
      M[i * d + j] = s / d;
    }
  free(G);
  return SPX_OK;
}

int spx_all_finite(long len, const double *x)
{
  for (long i = 0; i < len; i++)
    if (!isfinite(x[i])) return 0;
  return 1;
}
