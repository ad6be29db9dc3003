/* transport.h -- attention matrices read as transport operators, and the routing/filtering split
 * of a logit form (spec transport_routing.md).
 *
 * All matrices are square, row-major double. For an attention matrix A (n x n) rows are queries
 * and columns keys (A_ij = weight of particle/token j in the update of i).
 *
 *   - Operator diagnostics of A (§1.3-1.5): T = D^{-1/2} A D^{-1/2} with D = diag((r + c)/2),
 *     S_T, K_T, the normalized Laplacian spectrum of W = (A + A^T)/2, lambda_2,
 *     G = ||K_T||_F / ||S_T||_F, the conductance phi (prefix landscape, Fiedler sweep, exhaustive
 *     minimum), the signed direction indices nu and J(t), the per-row KL divergence to uniform.
 *     They run on a workspace (spx_transport) allocated once per n: nothing is allocated after
 *     spx_transport_alloc, so they can run on every snapshot of a simulation.
 *   - Routing/filtering of any square M (§2.2, §2.4): R = (M - M^T)/2, F = (M + M^T)/2, the logit
 *     split on a state, effective rank and participation ratio, reversibility checks (§2.2).
 *   - The S-D parameterization M = S - D and its Bendixson bound (§2.3).
 *   - Closed forms (§1.4): uniform causal landscape, worst cut x(2 - ln x) = 1, window minimum;
 *     builders of canonical attention matrices (uniform causal, window, sink, full, softmax).
 *
 * The operator T with the (r + c)/2 degrees, G, phi over prefix cuts, nu, J, the S-D form and the
 * effective-rank formula are the project's own definitions: the spec marks them [DERIVED]
 * because the papers' texts were not available (spec §0, §5). Documentation must say so.
 */
#ifndef SPX_TRANSPORT_H
#define SPX_TRANSPORT_H

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "model.h" /* spx_mask */

/* Largest n accepted by spx_transport_phi_exhaustive (2^(n-1) subsets). */
#define SPX_TRANSPORT_EXHAUSTIVE_MAX 20

/* Largest n of the dense diagnostics of a whole matrix (bin/sim transport, transport.max_n): the
 * workspace holds about 10 n^2 doubles (1.3 GB at 4096) and the eigensolve is O(n^3). */
#define SPX_TRANSPORT_N_LIMIT 4096

/* Workspace and results of the operator diagnostics for one matrix size n (>= 2). Fields marked
 * "out" are filled by the function named; the others are private scratch. */
typedef struct {
  int n;                 /* matrix size */
  /* out of spx_transport_operator (degrees also of spx_transport_landscape) */
  double *r, *c;         /* row sums A 1 and column sums A^T 1 (n) */
  double *deg;           /* d = (r + c)/2, the degrees of W = (A + A^T)/2 (n) [D] */
  double *T;             /* T = D^{-1/2} A D^{-1/2} (n x n) [D] */
  double *ST, *KT;       /* S_T = (T + T^T)/2 = I - L and K_T = (T - T^T)/2 (n x n) */
  double norm_T, norm_S, norm_K; /* Frobenius norms of T, S_T, K_T */
  double G;              /* asymmetry coefficient ||K_T||_F / ||S_T||_F [D], in [0, 1] if A >= 0 */
  double volume;         /* sum_i d_i (= n for row-stochastic A) */
  /* out of spx_transport_spectrum */
  double *lap;           /* eigenvalues of the normalized Laplacian L = I - S_T, ascending (n) */
  double lambda2;        /* lap[1], the spectral gap */
  double *fiedler;       /* D^{-1/2} v_2 (v_2: eigenvector of lap[1]), largest |entry| > 0 (n) */
  /* out of spx_transport_landscape */
  double *phi;           /* phi(t) = phi(S_t), S_t = first t in the order, at index t-1 (n-1) */
  double *flux;          /* J(t) = (A(S^c,S) - A(S,S^c)) / (A(S^c,S) + A(S,S^c)), index t-1 [D] */
  double phi_min;        /* min_t phi(t) */
  int t_min;             /* its first argmin t (1..n-1) */
  /* out of spx_transport_sweep */
  int *order;            /* particles sorted by the Fiedler vector (n) */
  double *sweep;         /* phi along that order, index t-1 (n-1) */
  double phi_sweep;      /* min of sweep: an upper bound on phi(A) */
  /* private */
  double *in, *out, *s1, *s2;
  int *itmp, *itmp2;
  gsl_matrix *m1, *m2;
  gsl_vector *v1, *v2;
  gsl_vector_complex *cv;
  gsl_eigen_symmv_workspace *sym;
  gsl_eigen_nonsymm_workspace *nsym;
  const double *op_of;   /* the A of the last spx_transport_operator call */
  int have_op, have_spec;
} spx_transport;

/* Summary of spx_transport_diagnose: the per-snapshot numbers of a run. */
typedef struct {
  double lambda2;        /* spectral gap of L = I - S_T */
  double G;              /* ||K_T||_F / ||S_T||_F [D] */
  double phi_prefix;     /* min over prefix cuts in index order (token order) [D] */
  int t_prefix;          /* its argmin t */
  double phi_sweep;      /* min over the Fiedler sweep (upper bound on phi) */
  double cheeger_lower;  /* lambda2 / 2 <= phi */
  double cheeger_upper;  /* phi <= sqrt(2 lambda2) */
  double nu;             /* global net backward flow of A [D] */
  double mean_kl;        /* mean_i KL(a_i || uniform over allowed keys) */
  double volume;         /* sum_i d_i */
} spx_transport_summary;

/* Effective rank of a matrix from its singular values sigma_k (spec §2.4) [D]. */
typedef struct {
  double erank;          /* exp(-sum p_k ln p_k), p_k = sigma_k / sum sigma (Roy-Vetterli) */
  double pr;             /* participation ratio (sum sigma^2)^2 / sum sigma^4 */
  int rank;              /* #{sigma_k > sigma_max * n * DBL_EPSILON} (numerical rank) */
  double smax;           /* largest singular value */
} spx_erank;

/* Norms of the routing/filtering split of M (spec §2.2). */
typedef struct {
  double norm_M, norm_R, norm_F; /* Frobenius norms */
  double inner_RF;               /* <R, F>_F, zero up to rounding */
  double ratio;                  /* ||R||_F / ||F||_F (the G of M itself) */
} spx_routing_norms;

/* Reversibility of a positive attention matrix (spec §2.2) [D normalization]. */
typedef struct {
  double db_residual;    /* max_ij |Z_i A_ij - Z_j A_ji| / max_i Z_i (NaN without log Z) */
  double stationarity;   /* max_j |sum_i pi_i A_ij - pi_j| with pi = Z / sum Z (NaN without) */
  double sym_defect;     /* max_ij |B_ij - B_ji|, B = Pi^{1/2} A Pi^{-1/2} (NaN without) */
  double max_affinity;   /* max over i<j<k of |log(A_ij A_jk A_ki / (A_ik A_kj A_ji))| */
} spx_reversibility;

/* Eigenvalue bounds of the S-D form M = S - D (spec §2.3). */
typedef struct {
  double re_max, re_min; /* extreme real parts of the eigenvalues of S - D */
  double im_max;         /* largest |Im lambda| */
  double d_min, d_max;   /* extreme eigenvalues of D: Bendixson gives Re in [-d_max, -d_min] */
} spx_sd_bounds;

/* ---- workspace ------------------------------------------------------------------------------ */

/* Allocate the workspace for n x n matrices (n >= 2). */
int spx_transport_alloc(int n, spx_transport **out);

/* Free the workspace; NULL is allowed. */
void spx_transport_free(spx_transport *w);

/* ---- operator diagnostics (§1.3-1.5) -------------------------------------------------------- */

/* Degrees, T, S_T, K_T, their norms and G of A. SPX_EINVAL if some d_i <= 0. */
int spx_transport_operator(spx_transport *w, const double *A);

/* Normalized Laplacian spectrum, lambda_2 and the Fiedler vector (after spx_transport_operator). */
int spx_transport_spectrum(spx_transport *w);

/* Complex spectrum of T, sorted by (Re, Im) (after spx_transport_operator). For a causal A, T is
 * triangular and often defective (repeated diagonal): its exact spectrum is diag(T). */
int spx_transport_T_eigen(spx_transport *w, double *re, double *im);

/* Prefix landscape phi(t), J(t), t = 1..n-1, in O(n^2); order[s] = particle at position s, or
 * NULL for index order. */
int spx_transport_landscape(spx_transport *w, const double *A, const int *order);

/* Fiedler sweep: the landscape along the Fiedler order (after spx_transport_spectrum of this A). */
int spx_transport_sweep(spx_transport *w, const double *A);

/* Everything above plus nu and the mean KL (keys allowed by mask/window; NaN when a row has no
 * mass) for one snapshot. */
int spx_transport_diagnose(spx_transport *w, const double *A, spx_mask mask, int window,
                           spx_transport_summary *out);

/* Effective rank of an n x n matrix (e.g. the routing logits) without allocating. */
int spx_transport_erank(spx_transport *w, const double *M, spx_erank *out);

/* Reversibility of a strictly positive A; logZ (row log-partition functions) may be NULL. */
int spx_transport_reversibility(spx_transport *w, const double *A, const double *logZ,
                                spx_reversibility *out);

/* Conductance min over all 2^(n-1) - 1 bipartitions (n <= SPX_TRANSPORT_EXHAUSTIVE_MAX); the
 * minimizing set as a bit mask in *set (may be NULL). Tests only. */
int spx_transport_phi_exhaustive(int n, const double *A, double *phi, unsigned long *set);

/* Global net backward flow nu(M) = (sum_{i>j} M_ij - sum_{i<j} M_ij) / sum_{i!=j} M_ij [D]. */
double spx_transport_nu(int n, const double *M);

/* Per-row KL(a_i / r_i || uniform over allowed keys) into kl (may be NULL) and its mean. */
int spx_transport_row_kl(int n, const double *A, spx_mask mask, int window, double *kl,
                         double *mean);

/* KL as spx_transport_row_kl, but a row without mass gives NaN (and a NaN mean) instead of an
 * error; mirror = 1 takes the keys of the transposed mask (row i: keys i..n-1, or i..i+w-1 for
 * a window), the support pattern of A^T [ours]. */
int spx_transport_row_kl_ex(int n, const double *A, spx_mask mask, int window, int mirror,
                            double *kl, double *mean);

/* The smallest mask containing the support of A [ours]: causal if A_ij = 0 for every j > i,
 * window w (< n) if moreover A_ij = 0 for j <= i - w, else none. */
void spx_transport_infer_mask(int n, const double *A, spx_mask *mask, int *window);

/* Read an n x n attention matrix (n rows of n numbers, sim/table.h syntax) from path: entries
 * finite and >= 0, square, 2 <= n <= max_n, no isolated token (row and column both zero). Errors
 * name the file and line (SPX_EINVAL). *A is malloc'ed (free it). */
int spx_transport_read_matrix(const char *path, int max_n, int *n, double **A);

/* log(A_ij A_jk A_ki / (A_ik A_kj A_ji)), the affinity of the 3-cycle i -> j -> k -> i. */
double spx_transport_cycle_affinity(int n, const double *A, int i, int j, int k);

/* ---- routing / filtering (§2.2, §2.4) ------------------------------------------------------ */

/* R = (M - M^T)/2, F = (M + M^T)/2; R or F may alias M; norms may be NULL. */
void spx_routing_split(int d, const double *M, double *R, double *F, spx_routing_norms *norms);

/* ||M - M^T||_F / ||M + M^T||_F: the G of M itself (applied to T it is the G above). */
double spx_routing_ratio(int d, const double *M);

/* Effective rank of M (allocates: set-up time); singular values (descending) into sv, or NULL. */
int spx_routing_erank(int d, const double *M, spx_erank *out, double *sv);

/* Complex eigenvalues of M sorted by (Re, Im) ascending (allocates: set-up time). */
int spx_routing_eigen(int d, const double *M, double *re, double *im);

/* Workspace of spx_routing_logits_erank for dimension d (allocated once; set-up time). */
typedef struct spx_routing_ws spx_routing_ws;
int spx_routing_ws_alloc(int d, spx_routing_ws **out);
void spx_routing_ws_free(spx_routing_ws *ws);

/* Effective rank of the n x n routing logits beta U R U^T (§2.5 item 2; U: n x d rows, R: d x d)
 * in O(n d^2 + d^3): with U^T U = V Lambda V^T, its nonzero singular values are those of the d x d
 * matrix Lambda^{1/2} V^T (beta R) V Lambda^{1/2}. The numerical rank uses the n x n tolerance. */
int spx_routing_logits_erank(spx_routing_ws *ws, int n, const double *U, const double *R,
                             double beta, spx_erank *out);

/* ---- S-D parameterization (§2.3) ------------------------------------------------------------ */

/* S = (B - B^T)/2, D = C C^T (C is d x k), M = S - D (M may be NULL); no aliasing. */
void spx_sd_compose(int d, const double *B, int k, const double *C, double *S, double *D,
                    double *M);

/* Eigenvalues of S - D against the Bendixson range; SPX_EINVAL unless S skew, D symmetric PSD. */
int spx_sd_bendixson(int d, const double *S, const double *D, spx_sd_bounds *out);

/* ---- attention builders --------------------------------------------------------------------- */

/* Uniform causal attention A_ij = 1/i for j <= i (1-based). */
void spx_attention_uniform_causal(int n, double *A);

/* Sliding window: A_ij = 1/min(i,w) for max(1, i-w+1) <= j <= i (1-based); w >= 1. */
int spx_attention_window(int n, int w, double *A);

/* Attention sink: every query on token 1 (A_i1 = 1). */
void spx_attention_sink(int n, double *A);

/* Full uniform (bidirectional) attention A = J/n. */
void spx_attention_uniform_full(int n, double *A);

/* Logits L = beta X M X^T (X: n x d rows x_i, M: d x d logit form Q^T K); work holds n d. */
void spx_attention_logits(int n, int d, const double *X, const double *M, double beta,
                          double *work, double *L);

/* Row softmax of L over the keys the mask allows (0 elsewhere); A may alias L; log Z_i of the
 * unshifted logits into logZ (may be NULL). */
int spx_attention_softmax(int n, const double *L, spx_mask mask, int window, double *A,
                          double *logZ);

/* Attention of head h (0-based) of model m at state x (n x d, x frame): the row softmax of
 * beta <u_i, A_h u_j>, u_i = x_i/|x_i| (the norm-aware rows of the kernel), over the keys the mask
 * allows. USA models get the same row-normalized matrix (their weights exp(.)/n are rescaled per
 * row) [ours]. U, work: n d; A: n x n; logZ: n or NULL. */
int spx_attention_of_state(const spx_model *m, int h, const double *x, spx_mask mask, int window,
                           double *U, double *work, double *A, double *logZ);

/* ---- closed forms (§1.4) -------------------------------------------------------------------- */

/* phi(t) = C / min(2t + C, 2(n-t) - C) of any causal row-stochastic A with cross mass C(t). */
double spx_cheeger_causal(int n, int t, double C);

/* Uniform causal phi(n,t) = t(H_n - H_t)/min(t(2 + H_n - H_t), 2n - t(2 + H_n - H_t)), 0<t<n. */
double spx_cheeger_uniform_causal(int n, int t);

/* The whole uniform causal landscape in O(n): phi[t-1], its min and first argmin (may be NULL). */
int spx_cheeger_uniform_landscape(int n, double *phi, double *phi_min, int *t_min);

/* Cross mass C(t) = sum_{i>t, j<=t} A_ij of the width-w window (1-based t). */
double spx_cheeger_window_cross(int n, int w, int t);

/* phi_win,min = ((w-1)/2)/(n - delta); *valid = 1 iff it is the landscape minimum: an optimal t
 * lies in [w-1, n-w+1] and no truncated-ramp cut is lower (always so when it pierces 1/5). */
int spx_cheeger_window_min(int n, int w, double *phi_min, int *valid);

/* Worst cut of the uniform causal limit: x* with x(2 - ln x) = 1 (GSL Brent), phi* = 1 - 2x*. */
int spx_cheeger_worst_cut(double *xstar, double *phistar);

#endif
