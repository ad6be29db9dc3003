/* model.h -- the self-attention particle flow on S^{d-1}: parameters and state layout.
 *
 *   dx_i/dt = P_{x_i}( sum_h sum_j w^h_ij V_h x_j ),   w^h_ij = exp(beta <x_i, A_h x_j>) / N^h_i
 *
 * with A_h = Q_h^T K_h the logit form of head h, N_i = sum_j exp(...) (SA, the default: Kuehn-Yoon
 * Eq. 2.2, spec sphere_dynamics.md §2.1, §12) or N_i = n (USA, §2.2). The state is n unit vectors
 * in R^d stored row-major (row i = x_i), the CVODE vector of length n d.
 *
 * The norm-aware projection of spec §2.6 (the default) feeds u_i = x_i/|x_i| into logits and
 * values and projects with P_u, so that |x_i| is an exact first integral of the ODE.
 *
 * Masks restrict particle i to a contiguous range of partners j (causal: j <= i; window of width w:
 * i-w+1 <= j <= i, self included; spec transport_routing.md). With a mask the flow is not a
 * gradient flow (spec sphere_dynamics.md §3) and the energy monitor says so.
 */
#ifndef SPX_MODEL_H
#define SPX_MODEL_H

typedef enum { SPX_NORM_SA = 0, SPX_NORM_USA = 1 } spx_normalization;
typedef enum { SPX_MASK_NONE = 0, SPX_MASK_CAUSAL = 1, SPX_MASK_WINDOW = 2 } spx_mask;

/* One attention head: logits beta <x_i, A x_j>, values V x_j. Both d x d row-major. */
typedef struct {
  double *A; /* logit form Q^T K */
  double *V; /* value matrix */
} spx_head;

typedef struct {
  int n;                       /* number of particles (>= 1) */
  int d;                       /* ambient dimension (>= 2); particles live on S^{d-1} */
  double beta;                 /* inverse temperature (>= 0) multiplying the logits */
  spx_normalization norm;      /* SA (row softmax) or USA (exp / n) */
  int nheads;                  /* H >= 1; the drives of the heads are summed */
  spx_head *heads;             /* nheads heads */
  spx_mask mask;               /* attention mask */
  int window;                  /* window width w for SPX_MASK_WINDOW (>= 1) */
  int norm_aware;              /* 1: norm-aware projection (spec §2.6, default); 0: plain P_x */
  /* USA time rescaling (spec §2.6): weights exp(L - usa_shift)/n, i.e. the flow in the time
   * tau = e^{usa_shift} t. 0 for physical time. Set when beta ||A|| would overflow exp(). */
  double usa_shift;
  /* Mode basis: eigenvalues (descending) and orthonormal eigenvectors (columns of U) of V,
   * or of its symmetric part when V is not symmetric ([D]); used by the observables. For the
   * symmetric Kuehn-Yoon case these are the configured spectrum and basis. */
  double *spectrum;            /* d eigenvalues, descending */
  double *U;                   /* d x d, columns u_k */
  int basis_set;               /* 1 if spectrum/U were given (else finalize computes them) */
  int symmetric;               /* 1 if every head has A = V = V^T (Kuehn-Yoon case) */
  int gradient_flow;           /* 1 if E_beta is a Lyapunov function (symmetric, unmasked, H = 1
                                  or USA); the energy monitor asserts monotonicity only then */
  int eigen_coords;            /* 1: the state is y = U^T x (integrate in eigen-coordinates, §4.1) */
} spx_model;

/* Allocate a model with zeroed parameters and H heads of d x d zero matrices. */
int spx_model_create(int n, int d, int nheads, spx_model **out);

/* Free everything the model owns; NULL is allowed. */
void spx_model_free(spx_model *m);

/* Derive symmetric / gradient_flow / the mode basis (when U is not already set) / usa_shift from
 * the parameters. Call after the matrices are filled. usa_rescaled = 1 integrates USA in the
 * rescaled time (spec §2.6). Returns SPX_EINVAL with a message when the parameters cannot be
 * integrated (USA overflow in physical time). */
int spx_model_finalize(spx_model *m, int usa_rescaled);

/* Partner range of particle i under the mask: j in [*lo, *hi). */
static inline void spx_model_partners(const spx_model *m, int i, int *lo, int *hi)
{
  switch (m->mask) {
  case SPX_MASK_CAUSAL: *lo = 0; *hi = i + 1; break;
  case SPX_MASK_WINDOW: *lo = i - m->window + 1 > 0 ? i - m->window + 1 : 0; *hi = i + 1; break;
  default: *lo = 0; *hi = m->n; break;
  }
}

#endif
