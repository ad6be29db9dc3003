/* test_observables.c -- order parameters and classification (sim/observables.c) on constructed
 * states whose observables are known in closed form (spec sphere_dynamics.md §7, §10, §4.4 item 6):
 *  - pure modes on the columns of a Haar-random basis U: homogeneous (A_k = 1, M_k = +-1,
 *    Pi_k = 0), splits (M_k = 2 f_+ - 1, Pi_k = 4 f_+ (1 - f_+)) and their energies
 *    eps = 2 beta E / n^2 = e^{beta lambda_k}, (p^2 + q^2) e^{beta lambda_k} + 2 p q e^{-beta lambda_k};
 *  - equispaced points on S^1 (mean resultant 0, min inner product cos(2 pi floor(n/2) / n),
 *    nematic 1/2), an orthonormal frame (nematic 1/d, tie rule k* = 0), +-e_1 (nematic 1);
 *  - three tight clusters off the eigen-directions (clustered), a chain of close particles that is
 *    one union-find component but not a clique (unconverged), a random state (unconverged, and
 *    the identities sum_k A_k = 1, |mean u|^2 = sum_k M_k^2, A_k <= lambda_max(C));
 *  - sign memory after flipping a known number of particles, norm drift of a row scaled by 1.01,
 *    speed from an RHS with known row norms, and the error paths.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "harness.h"
#include "kernel.h"
#include "mat.h"
#include "model.h"
#include "observables.h"
#include "status.h"

static const spx_classify_settings CS = {1e-3, 0.999, 1e-6}; /* spec §10 */

/* Symmetric Kuehn-Yoon model A = V = U diag(lam) U^T (one head, SA), basis given: U (NULL for
 * the identity) and lam descending. */
static spx_model *make_model(int n, int d, const double *U, const double *lam, double beta)
{
  spx_model *m = NULL;
  if (spx_model_create(n, d, 1, &m) != SPX_OK) return NULL;
  m->beta = beta;
  if (U) memcpy(m->U, U, sizeof(double) * d * d);
  else spx_mat_identity(d, m->U);
  for (int k = 0; k < d; k++) m->spectrum[k] = lam[k];
  for (int a = 0; a < d; a++)
    for (int b = 0; b < d; b++) {
      double s = 0;
      for (int k = 0; k < d; k++) s += m->U[a * d + k] * lam[k] * m->U[b * d + k];
      m->heads[0].A[a * d + b] = m->heads[0].V[a * d + b] = s;
    }
  m->basis_set = 1;
  if (spx_model_finalize(m, 0) != SPX_OK) {
    spx_model_free(m);
    return NULL;
  }
  return m;
}

/* x_i = s_i sigma_i u_k with the column u_k of U. */
static void pure_state(int n, int d, const double *U, int k, const int *sigma, const double *s,
                       double *x)
{
  for (int i = 0; i < n; i++)
    for (int a = 0; a < d; a++) x[i * d + a] = (s ? s[i] : 1.0) * sigma[i] * U[a * d + k];
}

static void normalize_rows(int n, int d, double *x)
{
  for (int i = 0; i < n; i++) {
    double r = 0;
    for (int a = 0; a < d; a++) r += x[i * d + a] * x[i * d + a];
    r = sqrt(r);
    for (int a = 0; a < d; a++) x[i * d + a] /= r;
  }
}

static double max_abs_except(int d, const double *v, int skip)
{
  double mx = 0;
  for (int k = 0; k < d; k++)
    if (k != skip && fabs(v[k]) > mx) mx = fabs(v[k]);
  return mx;
}

/* Pure modes on a Haar basis, their classification and their energies (§4.4 item 6). */
static void test_pure_modes(gsl_rng *rng)
{
  enum { N = 7, D = 4 };
  const double lam[D] = {1.0, 0.6, -0.3, -0.8}, beta = 1.5;
  double U[D * D], x[N * D], s[N];
  int sigma[N];
  spx_model *m = NULL;
  spx_kernel *kern = NULL;
  spx_obs *o = NULL;
  const spx_obs_values *v = NULL;
  spx_classification c;

  spx_test(spx_mat_random_orthogonal(D, rng, U) == SPX_OK, "random orthogonal U", NULL);
  m = make_model(N, D, U, lam, beta);
  spx_test(m != NULL, "model", NULL);
  if (!m) return;
  spx_test(spx_kernel_create(m, &kern) == SPX_OK, "kernel create", NULL);
  spx_test(spx_obs_create(m, &CS, &o) == SPX_OK, "obs create", NULL);
  if (!kern || !o) goto cleanup;

  /* Homogeneous at -u_2, rows scaled by s_i = 1 + 0.003 (i - 3): norm drift 0.009. */
  for (int i = 0; i < N; i++) { sigma[i] = -1; s[i] = 1.0 + 0.003 * (i - 3); }
  pure_state(N, D, U, 2, sigma, s, x);
  spx_test(spx_obs_compute(o, kern, 0.25, x, NULL, &v) == SPX_OK, "homog compute", NULL);
  spx_test(v->kstar == 2, "homog kstar", "got %d expected 2", v->kstar);
  spx_test_abs("homog A_k", v->alignment[2], 1.0, 1e-14);
  spx_test_abs("homog M_k", v->magnetization[2], -1.0, 1e-14);
  spx_test_abs("homog Pi_k", v->polarization[2], 0.0, 1e-14);
  spx_test_abs("homog A_l (l != k)", max_abs_except(D, v->alignment, 2), 0.0, 1e-14);
  spx_test_abs("homog delta_pm", v->delta_pm, 0.0, 1e-14);
  spx_test_abs("homog f_plus", v->f_plus, 0.0, 0.0);
  spx_test(isnan(v->sign_memory), "homog sign memory NaN before reference", "%g", v->sign_memory);
  spx_test_abs("homog mean resultant", v->mean_resultant, 1.0, 1e-14);
  spx_test_abs("homog nematic", v->nematic, 1.0, 1e-14);
  spx_test_abs("homog min inner", v->min_inner, 1.0, 1e-14);
  spx_test(v->clusters == 1 && v->cluster_mass[0] == N, "homog one cluster of mass n",
           "clusters %d mass %d", v->clusters, v->cluster_mass[0]);
  spx_test_abs("homog norm drift", v->norm_drift, 0.009, 1e-14);
  spx_test(isnan(v->speed) && isnan(v->speed2), "homog speed NaN without f", NULL);
  spx_test_abs("homog t", v->t, 0.25, 0);
  /* eps = 2 beta E / n^2 = e^{beta lambda_k} (§4.4 item 6) */
  spx_test_abs("homog log E = beta lambda_k + log(n^2 / 2 beta)", v->log_energy,
               beta * lam[2] + log(N * N / (2 * beta)), 1e-12);
  spx_test(isnan(v->energy_rel_inc), "energy increment NaN at the first call", "%g",
           v->energy_rel_inc);
  c = spx_obs_classify(o, v);
  spx_test(c.cls == SPX_CLASS_HOMOGENEOUS && c.mode == 2 && c.n_plus == 0 && c.n_minus == N &&
               c.clusters == 1,
           "homog classified homogeneous on mode 2", "%s mode %d n+ %d n- %d",
           spx_class_name(c.cls), c.mode, c.n_plus, c.n_minus);

  /* Split 5/2 on u_1: M = 2p - 1, Pi = 4p(1-p), energy with p = 5/7 (§4.4 item 6). */
  for (int i = 0; i < N; i++) sigma[i] = (i % 3 == 1) ? -1 : 1; /* i = 1, 4 negative */
  pure_state(N, D, U, 1, sigma, NULL, x);
  spx_obs_set_reference(o, x);
  spx_test(spx_obs_compute(o, kern, 0.5, x, NULL, &v) == SPX_OK, "split compute", NULL);
  double p = 5.0 / 7.0, q = 1.0 - p;
  spx_test(v->kstar == 1, "split kstar", "got %d expected 1", v->kstar);
  spx_test_abs("split A_k", v->alignment[1], 1.0, 1e-14);
  spx_test_abs("split f_plus", v->f_plus, p, 1e-15);
  spx_test_abs("split M_k = 2 f_+ - 1", v->magnetization[1], 2 * p - 1, 1e-14);
  spx_test_abs("split Pi_k = 4 f_+ (1 - f_+)", v->polarization[1], 4 * p * q, 1e-14);
  spx_test_abs("split delta_pm", v->delta_pm, 0.0, 1e-14);
  spx_test_abs("split mean resultant = |M_k|", v->mean_resultant, 2 * p - 1, 1e-14);
  spx_test_abs("split nematic", v->nematic, 1.0, 1e-14);
  spx_test_abs("split min inner", v->min_inner, -1.0, 1e-14);
  spx_test(v->clusters == 2 && v->cluster_mass[0] == 5 && v->cluster_mass[1] == 2,
           "split clusters 5, 2", "clusters %d masses %d %d", v->clusters, v->cluster_mass[0],
           v->cluster_mass[1]);
  spx_test_abs("split sign memory of the reference itself", v->sign_memory, 1.0, 0);
  double eps2 = (p * p + q * q) * exp(beta * lam[1]) + 2 * p * q * exp(-beta * lam[1]);
  double log_e2 = log(N * N / (2 * beta)) + log(eps2);
  spx_test_abs("split log E (closed form)", v->log_energy, log_e2, 1e-12);
  /* (E2 - E1)/E1 from the closed forms of both states */
  spx_test_rel("energy increment (E2 - E1)/E1", v->energy_rel_inc,
               eps2 / exp(beta * lam[2]) - 1.0, 1e-12);
  c = spx_obs_classify(o, v);
  spx_test(c.cls == SPX_CLASS_SPLIT && c.mode == 1 && c.n_plus == 5 && c.n_minus == 2,
           "split classified split 5/2 on mode 1", "%s mode %d n+ %d n- %d",
           spx_class_name(c.cls), c.mode, c.n_plus, c.n_minus);

  /* Flip 3 particles (0, 2 and 4): sign memory (7 - 3)/7; k* is unchanged by flips. */
  for (int a = 0; a < D; a++) { x[0 * D + a] *= -1; x[2 * D + a] *= -1; x[4 * D + a] *= -1; }
  spx_test(spx_obs_compute(o, kern, 0.75, x, NULL, &v) == SPX_OK, "flipped compute", NULL);
  spx_test_abs("sign memory after 3 flips", v->sign_memory, 4.0 / 7.0, 1e-15);
  spx_test_abs("flipped f_plus (4 of 7)", v->f_plus, 4.0 / 7.0, 1e-15);

  /* No kernel: no energy, and the next increment is NaN. */
  spx_test(spx_obs_compute(o, NULL, 1.0, x, NULL, &v) == SPX_OK, "no-kernel compute", NULL);
  spx_test(isnan(v->log_energy) && isnan(v->energy_rel_inc), "no kernel: energy NaN", NULL);
  spx_test(spx_obs_compute(o, kern, 1.25, x, NULL, &v) == SPX_OK, "kernel again", NULL);
  spx_test(isfinite(v->log_energy) && isnan(v->energy_rel_inc),
           "increment NaN after a NaN energy", "%g %g", v->log_energy, v->energy_rel_inc);

cleanup:
  spx_obs_free(o);
  spx_kernel_free(kern);
  spx_model_free(m);
}

/* Balanced split (Pi = 1, eps = cosh(beta lambda)) and +-e_1 (nematic 1, mean resultant 0). */
static void test_balanced(void)
{
  enum { N = 6, D = 3 };
  const double lam[D] = {0.7, -0.2, -1.1}, beta = 0.8;
  double x[N * D];
  int sigma[N] = {1, -1, -1, 1, 1, -1};
  spx_model *m = make_model(N, D, NULL, lam, beta);
  spx_kernel *kern = NULL;
  spx_obs *o = NULL;
  const spx_obs_values *v = NULL;
  spx_classification c;
  if (!m || spx_kernel_create(m, &kern) != SPX_OK || spx_obs_create(m, &CS, &o) != SPX_OK) {
    spx_test(0, "balanced setup", NULL);
    goto cleanup;
  }
  pure_state(N, D, m->U, 2, sigma, NULL, x); /* +-e_3: the split on u_min */
  spx_test(spx_obs_compute(o, kern, 0, x, NULL, &v) == SPX_OK, "balanced compute", NULL);
  spx_test_abs("balanced Pi_k = 1", v->polarization[2], 1.0, 1e-15);
  spx_test_abs("balanced M_k = 0", v->magnetization[2], 0.0, 1e-15);
  spx_test_abs("+-e nematic = 1", v->nematic, 1.0, 1e-14);
  spx_test_abs("+-e mean resultant = 0", v->mean_resultant, 0.0, 1e-15);
  spx_test_abs("balanced log E = log(n^2 cosh(beta lambda) / 2 beta)", v->log_energy,
               log(N * N * cosh(beta * lam[2]) / (2 * beta)), 1e-12);
  c = spx_obs_classify(o, v);
  spx_test(c.cls == SPX_CLASS_SPLIT && c.mode == 2 && c.n_plus == 3 && c.n_minus == 3,
           "balanced classified split 3/3", "%s mode %d n+ %d n- %d", spx_class_name(c.cls),
           c.mode, c.n_plus, c.n_minus);
cleanup:
  spx_obs_free(o);
  spx_kernel_free(kern);
  spx_model_free(m);
}

/* n equispaced points on S^1: mean resultant 0, min inner cos(2 pi floor(n/2)/n), C = I/2. */
static void test_equispaced(int n)
{
  const double lam[2] = {1.0, 0.5};
  double *x = malloc(sizeof(double) * 2 * n), *f = calloc(2 * (size_t)n, sizeof(double));
  spx_model *m = make_model(n, 2, NULL, lam, 1.0);
  spx_obs *o = NULL;
  const spx_obs_values *v = NULL;
  char name[96];
  if (!x || !f || !m || spx_obs_create(m, &CS, &o) != SPX_OK) {
    spx_test(0, "equispaced setup", NULL);
    goto cleanup;
  }
  for (int i = 0; i < n; i++) {
    double th = 0.3 + 2 * M_PI * i / n;
    x[2 * i] = cos(th);
    x[2 * i + 1] = sin(th);
  }
  spx_test(spx_obs_compute(o, NULL, 0, x, f, &v) == SPX_OK, "equispaced compute", NULL);
  snprintf(name, sizeof name, "S^1 n=%d mean resultant 0", n);
  spx_test_abs(name, v->mean_resultant, 0.0, 1e-14);
  snprintf(name, sizeof name, "S^1 n=%d min inner cos(2 pi floor(n/2)/n)", n);
  spx_test_abs(name, v->min_inner, cos(2 * M_PI * (n / 2) / n), 1e-14);
  snprintf(name, sizeof name, "S^1 n=%d nematic 1/2", n);
  spx_test_abs(name, v->nematic, 0.5, 1e-14);
  snprintf(name, sizeof name, "S^1 n=%d A_1 = A_2 = 1/2", n);
  spx_test(fabs(v->alignment[0] - 0.5) < 1e-14 && fabs(v->alignment[1] - 0.5) < 1e-14, name,
           "%.17g %.17g", v->alignment[0], v->alignment[1]);
  snprintf(name, sizeof name, "S^1 n=%d clusters n (singletons)", n);
  spx_test(v->clusters == n && v->cluster_mass[0] == 1 && v->cluster_mass[n - 1] == 1, name,
           "%d", v->clusters);
  snprintf(name, sizeof name, "S^1 n=%d speed 0 from f = 0", n);
  spx_test(v->speed == 0 && v->speed2 == 0, name, "%g %g", v->speed, v->speed2);
  /* The equispaced state is stationary for V = A = I by symmetry: n singleton clusters. */
  spx_classification c = spx_obs_classify(o, v);
  snprintf(name, sizeof name, "S^1 n=%d classified clustered (n clusters)", n);
  spx_test(c.cls == SPX_CLASS_CLUSTERED && c.clusters == n, name, "%s %d",
           spx_class_name(c.cls), c.clusters);
cleanup:
  spx_obs_free(o);
  spx_model_free(m);
  free(x);
  free(f);
}

/* Orthonormal frame n = d: C = I/d, every A_k = 1/d exactly (tie: k* = 0). */
static void test_frame(void)
{
  enum { D = 5 };
  const double lam[D] = {2, 1, 0, -1, -2};
  double x[D * D], f[D * D] = {0};
  spx_model *m = make_model(D, D, NULL, lam, 1.0);
  spx_obs *o = NULL;
  const spx_obs_values *v = NULL;
  spx_classification c;
  if (!m || spx_obs_create(m, NULL, &o) != SPX_OK) { /* NULL: the §10 defaults */
    spx_test(0, "frame setup", NULL);
    goto cleanup;
  }
  spx_mat_identity(D, x);
  spx_test(spx_obs_compute(o, NULL, 0, x, NULL, &v) == SPX_OK, "frame compute", NULL);
  spx_test_abs("frame nematic 1/d", v->nematic, 1.0 / D, 1e-15);
  spx_test(v->kstar == 0, "frame tie -> k* = 0", "got %d", v->kstar);
  spx_test_abs("frame delta_pm = 1", v->delta_pm, 1.0, 0);
  spx_test_abs("frame f_plus = 1/d", v->f_plus, 1.0 / D, 1e-16);
  spx_test_abs("frame min inner 0", v->min_inner, 0.0, 0);
  spx_test_abs("frame mean resultant 1/sqrt(d)", v->mean_resultant, 1 / sqrt(D), 1e-15);
  c = spx_obs_classify(o, v);
  spx_test(c.cls == SPX_CLASS_UNCONVERGED, "frame without f: unconverged (speed NaN)", "%s",
           spx_class_name(c.cls));
  spx_test(spx_obs_compute(o, NULL, 0, x, f, &v) == SPX_OK, "frame compute with f", NULL);
  c = spx_obs_classify(o, v);
  spx_test(c.cls == SPX_CLASS_CLUSTERED && c.clusters == D, "frame with f = 0: clustered, d",
           "%s %d", spx_class_name(c.cls), c.clusters);
cleanup:
  spx_obs_free(o);
  spx_model_free(m);
}

/* Three tight clusters (sizes 5, 9, 2; perturbation uniform in [-1e-5, 1e-5]^4, so each row is
 * within 2e-5 rad of its centre and every inner product within 4e-5 of the centres') off the
 * eigen-directions. */
static void test_three_clusters(gsl_rng *rng)
{
  enum { N = 16, D = 4 };
  const double lam[D] = {1.2, 0.4, 0.1, -0.6};
  double cen[3][D] = {{1, 2, 3, 4}, {-2, 1, 0.5, 3}, {3, -1, 2, -1}};
  const int size[3] = {5, 9, 2};
  double x[N * D], f[N * D] = {0}, gmin = 2;
  int label[N], mass[N];
  spx_model *m = make_model(N, D, NULL, lam, 1.0);
  spx_obs *o = NULL;
  const spx_obs_values *v = NULL;
  spx_classification c;
  if (!m || spx_obs_create(m, &CS, &o) != SPX_OK) {
    spx_test(0, "clusters setup", NULL);
    goto cleanup;
  }
  normalize_rows(3, D, &cen[0][0]);
  for (int a = 0; a < 3; a++)
    for (int b = a + 1; b < 3; b++) {
      double g = 0;
      for (int l = 0; l < D; l++) g += cen[a][l] * cen[b][l];
      if (g < gmin) gmin = g;
    }
  for (int i = 0, cl = 0, left = size[0]; i < N; i++) {
    while (left == 0) left = size[++cl];
    for (int l = 0; l < D; l++) x[i * D + l] = cen[cl][l] + gsl_ran_flat(rng, -1e-5, 1e-5);
    left--;
  }
  spx_test(spx_obs_compute(o, NULL, 0, x, f, &v) == SPX_OK, "clusters compute", NULL);
  spx_test(v->clusters == 3 && v->cluster_mass[0] == 9 && v->cluster_mass[1] == 5 &&
               v->cluster_mass[2] == 2,
           "three clusters, masses 9 5 2", "clusters %d masses %d %d %d", v->clusters,
           v->cluster_mass[0], v->cluster_mass[1], v->cluster_mass[2]);
  spx_test_abs("three clusters min inner ~ min <c_a, c_b>", v->min_inner, gmin, 1e-4);
  spx_test(v->delta_pm >= CS.pm_tol, "three clusters not a pure mode", "%g", v->delta_pm);
  c = spx_obs_classify(o, v);
  spx_test(c.cls == SPX_CLASS_CLUSTERED && c.clusters == 3, "three clusters classified clustered",
           "%s %d", spx_class_name(c.cls), c.clusters);
  /* The exported helper on the same (unnormalized) rows. */
  spx_test(spx_obs_count_clusters(N, D, x, 0.999, label, mass) == 3 && mass[0] == 9 &&
               mass[1] == 5 && mass[2] == 2,
           "count_clusters 3 (9 5 2)", NULL);
  spx_test(spx_obs_count_clusters(N, D, x, 0.999, label, NULL) == 3, "count_clusters mass NULL",
           NULL);
  /* Threshold below min <c_a,c_b>: everything is one component. */
  spx_test(spx_obs_count_clusters(N, D, x, gmin - 1e-3, label, mass) == 1 && mass[0] == N,
           "count_clusters below the cluster separation: 1", NULL);
  /* Non-zero speed: not stationary, so unconverged. */
  f[3 * D + 1] = 1e-5;
  spx_test(spx_obs_compute(o, NULL, 0, x, f, &v) == SPX_OK, "clusters compute moving", NULL);
  c = spx_obs_classify(o, v);
  spx_test(c.cls == SPX_CLASS_UNCONVERGED, "moving clusters unconverged", "%s speed %g",
           spx_class_name(c.cls), v->speed);
cleanup:
  spx_obs_free(o);
  spx_model_free(m);
}

/* A chain on a great circle with steps 0.04 rad: cos 0.04 > 0.999 links neighbours, cos 0.08 <
 * 0.999, so one component that is not a clique: not clustered. */
static void test_chain(void)
{
  enum { N = 5, D = 3 };
  const double lam[D] = {1, 0.5, 0.2};
  const double a[D] = {1 / sqrt(3.0), 1 / sqrt(3.0), 1 / sqrt(3.0)};
  const double b[D] = {1 / sqrt(2.0), -1 / sqrt(2.0), 0};
  double x[N * D], f[N * D] = {0};
  spx_model *m = make_model(N, D, NULL, lam, 1.0);
  spx_obs *o = NULL;
  const spx_obs_values *v = NULL;
  spx_classification c;
  if (!m || spx_obs_create(m, &CS, &o) != SPX_OK) {
    spx_test(0, "chain setup", NULL);
    goto cleanup;
  }
  for (int i = 0; i < N; i++)
    for (int l = 0; l < D; l++) x[i * D + l] = cos(0.04 * i) * a[l] + sin(0.04 * i) * b[l];
  spx_test(spx_obs_compute(o, NULL, 0, x, f, &v) == SPX_OK, "chain compute", NULL);
  spx_test(v->clusters == 1, "chain is one component", "%d", v->clusters);
  spx_test_abs("chain min inner cos(0.16)", v->min_inner, cos(0.16), 1e-14);
  c = spx_obs_classify(o, v);
  spx_test(c.cls == SPX_CLASS_UNCONVERGED, "chain (not a clique) unconverged", "%s",
           spx_class_name(c.cls));
cleanup:
  spx_obs_free(o);
  spx_model_free(m);
}

/* Random state: identities, speed from known row norms, sign memory, norm drift. */
static void test_random(gsl_rng *rng)
{
  enum { N = 50, D = 3 };
  const double lam[D] = {0.9, 0.3, -0.4};
  double U[D * D], x[N * D], x2[N * D], f[N * D], A0[D], M0[D], sumA = 0, sumM2 = 0, maxA = 0;
  double bmin = 2;
  spx_model *m = NULL;
  spx_obs *o = NULL;
  const spx_obs_values *v = NULL;
  spx_classification c;
  int ks0, kmax = 0;

  if (spx_mat_random_orthogonal(D, rng, U) != SPX_OK || !(m = make_model(N, D, U, lam, 1.0)) ||
      spx_obs_create(m, &CS, &o) != SPX_OK) {
    spx_test(0, "random setup", NULL);
    goto cleanup;
  }
  for (int i = 0; i < N * D; i++) x[i] = gsl_ran_gaussian(rng, 1.0);
  normalize_rows(N, D, x);
  for (int i = 0; i < N; i++) { /* f_i = 0.1 (i+1) g/|g| */
    double r = 0;
    for (int l = 0; l < D; l++) { f[i * D + l] = gsl_ran_gaussian(rng, 1.0); r += f[i * D + l] * f[i * D + l]; }
    for (int l = 0; l < D; l++) f[i * D + l] *= 0.1 * (i + 1) / sqrt(r);
  }
  spx_test(spx_obs_compute(o, NULL, 0, x, f, &v) == SPX_OK, "random compute", NULL);
  for (int k = 0; k < D; k++) {
    sumA += v->alignment[k];
    sumM2 += v->magnetization[k] * v->magnetization[k];
    if (v->alignment[k] > maxA) { maxA = v->alignment[k]; kmax = k; }
    A0[k] = v->alignment[k];
    M0[k] = v->magnetization[k];
    spx_test(v->polarization[k] >= -1e-15 &&
                 fabs(v->polarization[k] - (v->alignment[k] - v->magnetization[k] * v->magnetization[k])) <= 1e-15,
             "random Pi_k = A_k - M_k^2 >= 0", "%g", v->polarization[k]);
  }
  ks0 = v->kstar;
  spx_test_abs("random sum_k A_k = 1", sumA, 1.0, 1e-14);
  spx_test_abs("random |mean u|^2 = sum_k M_k^2", v->mean_resultant * v->mean_resultant, sumM2,
               1e-14);
  spx_test(v->kstar == kmax, "random kstar = argmax A_k", "%d %d", v->kstar, kmax);
  spx_test(v->nematic >= maxA - 1e-14 && v->nematic <= 1 + 1e-14,
           "random max A_k <= lambda_max(C) <= 1", "%g %g", maxA, v->nematic);
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++) {
      double g = 0;
      for (int l = 0; l < D; l++) g += x[i * D + l] * x[j * D + l];
      if (g < bmin) bmin = g;
    }
  spx_test_abs("random min inner = min Gram", v->min_inner, bmin, 1e-14);
  spx_test_rel("random speed = 0.1 n", v->speed, 0.1 * N, 1e-14);
  spx_test_rel("random speed2 = 0.01 n(n+1)(2n+1)/6", v->speed2,
               0.01 * N * (N + 1) * (2 * N + 1) / 6.0, 1e-13);
  spx_test_abs("random norm drift of unit rows", v->norm_drift, 0.0, 1e-15);
  c = spx_obs_classify(o, v);
  spx_test(c.cls == SPX_CLASS_UNCONVERGED, "random state unconverged", "%s",
           spx_class_name(c.cls));

  /* Sign memory: reference = this state, then negate rows 4, 17, 33 (A_k, k* unchanged). */
  spx_obs_set_reference(o, x);
  memcpy(x2, x, sizeof x);
  for (int l = 0; l < D; l++) { x2[4 * D + l] *= -1; x2[17 * D + l] *= -1; x2[33 * D + l] *= -1; }
  spx_test(spx_obs_compute(o, NULL, 1, x2, NULL, &v) == SPX_OK, "random flipped compute", NULL);
  spx_test(v->kstar == ks0, "flips keep k*", "%d %d", v->kstar, ks0);
  spx_test_abs("sign memory 47/50 after 3 flips", v->sign_memory, 47.0 / 50.0, 1e-15);

  /* Norm drift: row 7 scaled by 1.01; the observables of u are unchanged. */
  memcpy(x2, x, sizeof x);
  for (int l = 0; l < D; l++) x2[7 * D + l] *= 1.01;
  spx_test(spx_obs_compute(o, NULL, 2, x2, NULL, &v) == SPX_OK, "scaled-row compute", NULL);
  spx_test_abs("norm drift of a row scaled by 1.01", v->norm_drift, 0.01, 1e-14);
  double dA = 0, dM = 0;
  for (int k = 0; k < D; k++) {
    dA = fmax(dA, fabs(v->alignment[k] - A0[k]));
    dM = fmax(dM, fabs(v->magnetization[k] - M0[k]));
  }
  spx_test_abs("scaled row: alignment unchanged", dA, 0.0, 1e-15);
  spx_test_abs("scaled row: magnetization unchanged", dM, 0.0, 1e-15);
  spx_test_abs("scaled row: sign memory 1", v->sign_memory, 1.0, 0);
cleanup:
  spx_obs_free(o);
  spx_model_free(m);
}

/* Asymmetric A: no energy even with a kernel (spec §3). */
static void test_asymmetric_energy(gsl_rng *rng)
{
  enum { N = 4, D = 3 };
  const double lam[D] = {1, 0.5, -0.5};
  double x[N * D];
  spx_model *m = make_model(N, D, NULL, lam, 1.0);
  spx_kernel *kern = NULL;
  spx_obs *o = NULL;
  const spx_obs_values *v = NULL;
  if (!m) { spx_test(0, "asym setup", NULL); return; }
  m->heads[0].A[0 * D + 1] += 0.3; /* A no longer symmetric */
  if (spx_model_finalize(m, 0) != SPX_OK || spx_kernel_create(m, &kern) != SPX_OK ||
      spx_obs_create(m, &CS, &o) != SPX_OK) {
    spx_test(0, "asym setup", NULL);
    goto cleanup;
  }
  for (int i = 0; i < N * D; i++) x[i] = gsl_ran_gaussian(rng, 1.0);
  spx_test(spx_obs_compute(o, kern, 0, x, NULL, &v) == SPX_OK, "asym compute", NULL);
  spx_test(isnan(v->log_energy) && isnan(v->energy_rel_inc), "asymmetric A: energy NaN", "%g",
           v->log_energy);
cleanup:
  spx_obs_free(o);
  spx_kernel_free(kern);
  spx_model_free(m);
}

/* Error paths. */
static void test_errors(void)
{
  enum { N = 3, D = 2 };
  const double lam[D] = {1, -1};
  spx_classify_settings bad = CS;
  double x[N * D] = {1, 0, 0, 1, 0.6, 0.8};
  spx_model *m = make_model(N, D, NULL, lam, 1.0);
  spx_obs *o = NULL;
  const spx_obs_values *v = NULL;
  if (!m) { spx_test(0, "errors setup", NULL); return; }
  spx_test(spx_obs_create(NULL, &CS, &o) == SPX_EINVAL && o == NULL, "create NULL model EINVAL",
           NULL);
  bad.pm_tol = 0;
  spx_test(spx_obs_create(m, &bad, &o) == SPX_EINVAL && o == NULL, "create pm_tol 0 EINVAL", NULL);
  bad = CS;
  bad.cluster_threshold = 1.0;
  spx_test(spx_obs_create(m, &bad, &o) == SPX_EINVAL, "create threshold 1 EINVAL", NULL);
  bad = CS;
  bad.speed_tol = -1;
  spx_test(spx_obs_create(m, &bad, &o) == SPX_EINVAL, "create speed_tol < 0 EINVAL", NULL);
  if (spx_obs_create(m, &CS, &o) != SPX_OK) { spx_test(0, "errors create", NULL); goto cleanup; }
  x[3] = NAN;
  spx_test(spx_obs_compute(o, NULL, 0, x, NULL, &v) == SPX_ENONFINITE && v == NULL,
           "NaN row ENONFINITE", NULL);
  x[2] = x[3] = 0;
  spx_test(spx_obs_compute(o, NULL, 0, x, NULL, &v) == SPX_ENONFINITE, "zero row ENONFINITE", NULL);
  spx_test(spx_obs_compute(o, NULL, 0, NULL, NULL, &v) == SPX_EINVAL, "NULL state EINVAL", NULL);
  /* n = 1: min inner is 1 by convention (header). */
  spx_test(!strcmp(spx_class_name(SPX_CLASS_HOMOGENEOUS), "homogeneous") &&
               !strcmp(spx_class_name(SPX_CLASS_SPLIT), "split") &&
               !strcmp(spx_class_name(SPX_CLASS_CLUSTERED), "clustered") &&
               !strcmp(spx_class_name(SPX_CLASS_UNCONVERGED), "unconverged"),
           "class names", NULL);
cleanup:
  spx_obs_free(o);
  spx_model_free(m);
}

/* n = 1: min inner 1, one cluster, homogeneous when on an eigen-direction. */
static void test_single(void)
{
  const double lam[2] = {1, 0.2};
  double x[2] = {0, -3};
  spx_model *m = make_model(1, 2, NULL, lam, 1.0);
  spx_obs *o = NULL;
  const spx_obs_values *v = NULL;
  if (!m || spx_obs_create(m, &CS, &o) != SPX_OK) {
    spx_test(0, "single setup", NULL);
    goto cleanup;
  }
  spx_test(spx_obs_compute(o, NULL, 0, x, NULL, &v) == SPX_OK, "n=1 compute", NULL);
  spx_test(v->min_inner == 1 && v->clusters == 1 && v->cluster_mass[0] == 1 && v->kstar == 1 &&
               v->norm_drift == 2,
           "n=1: min inner 1, one cluster, k* = 1, drift 2", "%g %d %d %g", v->min_inner,
           v->clusters, v->kstar, v->norm_drift);
  spx_test(spx_obs_classify(o, v).cls == SPX_CLASS_HOMOGENEOUS, "n=1 homogeneous", NULL);
cleanup:
  spx_obs_free(o);
  spx_model_free(m);
}

/* The pair passes over threads (from 4e6 pairs on): n = 3000 in six tight clusters at +-e_1,
 * +-e_2, +-e_3 (masses 1000 800 600 400 150 50, min inner product -1); then the same with the
 * last 10 rows of the first cluster moved onto a chain 0.04 rad apart on the great circle from e_1
 * towards (e_2 + e_3)/sqrt 2 (cos 0.04 > 0.999 > cos 0.08: neighbours only are linked, so the
 * component keeps its 1000 rows and is not a clique). Counts, masses and the minimum come from the
 * construction; 1 and 2 threads give the same values bitwise. */
static void test_large_pairs(gsl_rng *rng)
{
  enum { N = 3000, D = 3, K = 6 };
  const int size[K] = {1000, 800, 600, 400, 150, 50};
  const double lam[D] = {1.0, 0.5, -0.5};
  const double cen[K][D] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
  const double gmin = -1.0;
  double *x = malloc(sizeof(double) * N * D), *f = calloc((size_t)N * D, sizeof(double));
  const int nthreads0 = omp_get_max_threads();
  spx_model *m = make_model(N, D, NULL, lam, 1.0);
  for (int chain = 0; chain < 2 && x && f && m; chain++) {
    for (int i = 0, cl = 0, left = size[0]; i < N; i++) {
      while (left == 0) left = size[++cl];
      for (int l = 0; l < D; l++) x[i * D + l] = cen[cl][l] + gsl_ran_flat(rng, -1e-5, 1e-5);
      left--;
    }
    if (chain) /* the last 10 rows of the first cluster leave it along a great circle */
      for (int i = 0; i < 10; i++) {
        const double t = 0.04 * (i + 1);
        x[(999 - i) * D + 0] = cos(t);
        x[(999 - i) * D + 1] = x[(999 - i) * D + 2] = sin(t) / sqrt(2.0);
      }
    int clusters[2] = {-1, -1}, masses_same = 1, ok = 1;
    double mn[2] = {NAN, NAN};
    spx_class cls[2] = {SPX_CLASS_UNCONVERGED, SPX_CLASS_UNCONVERGED};
    int first_mass[2][K];
    for (int tt = 0; tt < 2; tt++) {
      spx_obs *o = NULL;
      const spx_obs_values *v = NULL;
      omp_set_num_threads(tt + 1);
      if (spx_obs_create(m, &CS, &o) != SPX_OK || spx_obs_compute(o, NULL, 0, x, f, &v) != SPX_OK) {
        ok = 0;
      } else {
        clusters[tt] = v->clusters;
        mn[tt] = v->min_inner;
        for (int a = 0; a < K; a++) first_mass[tt][a] = v->cluster_mass[a];
        cls[tt] = spx_obs_classify(o, v).cls;
      }
      spx_obs_free(o);
    }
    omp_set_num_threads(nthreads0);
    for (int a = 0; a < K; a++) masses_same &= first_mass[0][a] == first_mass[1][a];
    if (!chain) {
      int want_mass = 1;
      for (int a = 0; a < K; a++) want_mass &= first_mass[1][a] == size[a];
      spx_test(ok && clusters[1] == K && want_mass && fabs(mn[1] - gmin) < 1e-4 &&
                   cls[1] == SPX_CLASS_CLUSTERED,
               "n=3000, 2 threads: six tight clusters, masses 1000 800 600 400 150 50, min inner = "
               "-1 (1e-4), classified clustered",
               "clusters %d masses %d %d .. min %.6f want %.6f class %s", clusters[1],
               first_mass[1][0], first_mass[1][1], mn[1], gmin, spx_class_name(cls[1]));
    } else {
      spx_test(ok && clusters[1] == K && first_mass[1][0] == 1000 && cls[1] == SPX_CLASS_UNCONVERGED,
               "n=3000, 2 threads: a chain 0.04 rad apart stays in its cluster's component, which is "
               "then not a clique: not clustered",
               "clusters %d mass0 %d class %s", clusters[1], first_mass[1][0],
               spx_class_name(cls[1]));
    }
    spx_test(ok && clusters[0] == clusters[1] && masses_same &&
                 memcmp(&mn[0], &mn[1], sizeof(double)) == 0 && cls[0] == cls[1],
             chain ? "n=3000 with a chain: 1 and 2 threads give the same clusters, masses, minimum "
                     "(bitwise) and class"
                   : "n=3000: 1 and 2 threads give the same clusters, masses, minimum (bitwise) and "
                     "class",
             "clusters %d/%d min %.17g/%.17g", clusters[0], clusters[1], mn[0], mn[1]);
  }
  spx_model_free(m);
  free(x);
  free(f);
}

int main(void)
{
  gsl_rng *rng;
  gsl_set_error_handler_off();
  rng = gsl_rng_alloc(gsl_rng_mt19937);
  if (!rng) return 1;
  gsl_rng_set(rng, 20260427);
  test_pure_modes(rng);
  test_balanced();
  test_equispaced(7);
  test_equispaced(8);
  test_frame();
  test_three_clusters(rng);
  test_chain();
  test_random(rng);
  test_asymmetric_energy(rng);
  test_errors();
  test_single();
  test_large_pairs(rng);
  gsl_rng_free(rng);
  return spx_test_summary();
}
