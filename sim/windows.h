/* windows.h -- the paper's key geometries built with GSL, and the count-law experiments on them
 * (spec spectral_gap.md §2.1-§2.3, §7a E1/E2, §7b).
 *
 * The paper draws its keys with NumPy's PCG64; GSL cannot reproduce those draws, so a generated
 * instance is a DIFFERENT random instance of the same construction (spec §2.1 "RNG caveat"): the
 * checks on it use the spec's seed-robust forms. The exact NumPy instances are the fixtures in
 * configs/data/ (tests/data/).
 *
 * Count law (§7a): per query x, p = softmax(beta <k_j, x>), Cov_p(k) (eigenvalues clipped at 0,
 * descending), N_eff = 1 / sum_a P_a^2 over the cluster masses, Delta_logit = population std of
 * the raw logits; dim E_- = #{beta lambda_i > max(gamma, tol)}; an ordinary least-squares line
 * dim E_- = a N_eff + b over the population, Pearson's r.
 */
#ifndef SPX_WINDOWS_H
#define SPX_WINDOWS_H

#include "gap.h"

/* Geometry B: count centres (count x 2) at radius, angles phase + 360 j / count degrees. */
void spx_geom_ring(int count, double radius, double phase_deg, double *C);

/* Geometry A with GSL (§2.1): m centres ~ N(0, I_d) rescaled to norm rc, nc keys c_a + sk N(0, I)
 * per cluster (cluster by cluster), centred; K is (m nc) x d. */
int spx_geom_a(int m, int d, int nc, double rc, double sk, unsigned long seed, double *K);

/* Regular simplex (§2.3): m vertices in R^{m-1}, centred, unit edge (C is m x (m-1)). */
void spx_geom_simplex(int m, double *C);

/* Geometry C with GSL (§2.3): centres scale C B^T (B the first m-1 columns of a Haar rotation of
 * R^d; m x d) and keys centre + sk N(0, I), nc per cluster, not centred ((m nc) x d). */
int spx_geom_c(int m, int d, int nc, double sk, double scale, unsigned long seed, double *centres,
               double *keys);

/* Queries of §2.3 ((3 m + nr) x d): for k = 1..m, three means of k distinct random centres; then
 * nr Dirichlet mixtures w^T centres, w ~ Dir(c 1_m), c = 10^{U(-1, 1)}. */
int spx_geom_queries(int m, int d, const double *centres, int nr, unsigned long seed, double *Q);

/* A population of geometry C instances (every m of ms, seeds 0 .. seeds-1) and their queries. */
typedef struct {
  int d, nc, nq;          /* dimension, keys per cluster, total queries */
  int ninst;              /* instances */
  int *inst_m;            /* ninst cluster counts */
  double **keys;          /* ninst key tables ((m nc) x d) */
  int *q_inst;            /* nq: the instance of each query */
  double *Q;              /* nq x d queries */
  /* filled by spx_window_spectra for one beta: */
  double beta;
  double *lam;            /* nq x d: eigenvalues of Cov_p (clipped >= 0, descending) */
  double *neff;           /* nq */
  double *dlogit;         /* nq: population std of the raw logits */
} spx_window_pop;

/* Build the population (instance seed s uses keys seed s and query seed s + qoffset). */
int spx_window_population(const int *ms, int nm, int seeds, int d, int nc, double sk, double scale,
                          int nr, int qoffset, spx_window_pop **out);
/* Free a population; NULL is allowed. */
void spx_window_pop_free(spx_window_pop *p);

/* Eigenvalues of Cov_p, N_eff and Delta_logit of every query at beta. */
int spx_window_spectra(spx_window_pop *p, double beta);

/* The count law at threshold thr (counts #{beta lambda > thr}): OLS slope and intercept of count
 * on N_eff, Pearson r (NaN if either is constant), mean count; counts (nq, may be NULL). */
void spx_window_fit(const spx_window_pop *p, double thr, double *slope, double *intercept,
                    double *r, double *mean_count, int *counts);

/* Symmetric-query control (§7b) at the barycentre x_k of the first k centres: N_eff, the
 * absolute-tol count #{beta lambda > tol}, beta lambda_max, and the gap finder on H = -beta Cov_p
 * (relative floor, top eigenvalues) -> g. keys (m nc x d) cluster by cluster. */
typedef struct {
  double neff;
  int tol_count;
  double beta_lmax;
  spx_gap gap;
} spx_symctl;

int spx_symctl_eval(int m, int d, int nc, const double *keys, const double *centres, double beta,
                    int k, double tol, int top, spx_symctl *out);

#endif
