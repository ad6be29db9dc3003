/* flowhess.c -- free energy F = -E_beta of the symmetric interacting flow, its Riemannian Hessian
 * on the product of spheres, the flow's metric, and dim E_- against the Morse index (flowhess.h;
 * [ours]: spec spectral_gap.md §7d.4 proposes the object, sphere_dynamics.md §3 gives E_beta, the
 * SA metric Z_i and the USA metric n).
 *
 * Euclidean derivatives of E = (1/(2 beta)) sum_h sum_ij w_ij, w_ij = e^{beta s_ij},
 * s_ij = <u_i, A u_j>, A = A^T (per head; the heads are summed), q_j = A u_j:
 *   d_i E           = sum_j w_ij q_j,
 *   D_ik (k != i)   = w_ik (A + beta q_k q_i^T),
 *   D_ii            = beta sum_j w_ij q_j q_j^T + w_ii (A + beta q_i q_i^T)
 * (the j = i term of d_i E depends on u_i twice). On the product of unit spheres the Riemannian
 * Hessian is the projected Euclidean one minus the radial part of the gradient on the diagonal
 * (Absil-Mahony-Sepulchre, Prop. 5.5.4 for the sphere, applied per factor):
 *   Hess E [xi]_i = P_i sum_k D_ik xi_k - <u_i, d_i E> xi_i,
 * so in a per-particle orthonormal tangent basis t_{i,a}:
 *   H_{(i,a),(k,b)} = t_{i,a}^T D_ik t_{k,b} - delta_ik delta_ab <u_i, d_i E>,   Hess F = -Hess E.
 *
 * The check by finite differences uses the retraction R(x, xi) = normalize(x + xi) per row, which
 * is of second order on the sphere, so the Hessian of E o R_x at 0 is the Riemannian Hessian at any
 * x, critical or not.
 *
 * Linearization: SA dx_i/dt = d_i^R E / Z_i, USA dx_i/dt = e^{-usa_shift} d_i^R E / n
 * (sphere_dynamics.md §3; d^R the Riemannian gradient). At an equilibrium d^R E = 0, so the
 * derivative of the weights does not enter and J = G^{-1} Hess E = G^{-1}(-Hess F). With
 * S = G^{-1/2}(-Hess F) G^{-1/2} = Y K Y^T: right eigenvectors v_k = G^{-1/2} y_k, left
 * w_k = G^{1/2} y_k, w_k^T v_l = delta_kl.
 */
#include "flowhess.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "mat.h"
#include "stability.h"
#include "status.h"

/* Above this exponent the values are reported in units of e^{log_scale}. */
#define FH_MAX_EXPONENT 600.0

struct spx_flowhess {
  const spx_model *m;
  int n, d, dim;
  spx_kernel *kern;
  spx_stability_ws *sws;
  spx_gap_ws *gws;
  double *u;      /* n x d normalized rows */
  double *q;      /* n x d: A_h u_j of the current head */
  double *w;      /* n x n: weights e^{beta s_ij - log_scale} of the current head */
  double *Tq;     /* n x n x (d-1): t_{i,a}^T q_j */
  double *AT;     /* n x d x (d-1): A_h T_k */
  double *egrad;  /* n x d: Euclidean gradient of E */
  double *T;      /* dim x d: the tangent basis of the last analysis */
  double *H, *Hfd, *evals, *evecs, *S, *kappa, *right, *left, *g, *Jmet, *f, *xp;
};

void spx_flowhess_free(spx_flowhess *w)
{
  if (!w) return;
  spx_kernel_free(w->kern);
  spx_stability_ws_free(w->sws);
  spx_gap_ws_free(w->gws);
  free(w->u);
  free(w->q);
  free(w->w);
  free(w->Tq);
  free(w->AT);
  free(w->egrad);
  free(w->T);
  free(w->H);
  free(w->Hfd);
  free(w->evals);
  free(w->evecs);
  free(w->S);
  free(w->kappa);
  free(w->right);
  free(w->left);
  free(w->g);
  free(w->Jmet);
  free(w->f);
  free(w->xp);
  free(w);
}

int spx_flowhess_create(const spx_model *m, spx_flowhess **out)
{
  int status = SPX_OK;
  spx_flowhess *w = NULL;
  *out = NULL;
  if (!m->gradient_flow) {
    spx_error("free energy of the flow: F = -E_beta exists only for the symmetric flow A = V = V^T "
              "without a mask, with one head under SA (sphere_dynamics.md §3); this model is %s",
              !m->symmetric ? "not symmetric" : m->mask != SPX_MASK_NONE ? "masked"
                                                                         : "multi-head SA");
    return SPX_EINVAL;
  }
  const long n = m->n, d = m->d, dim = n * (d - 1);
  if (dim > 2000) {
    spx_error("free energy of the flow: the tangent dimension n (d-1) = %ld exceeds 2000 (dense "
              "Hessian)", dim);
    return SPX_EINVAL;
  }
  w = calloc(1, sizeof *w);
  if (!w) return SPX_ENOMEM;
  w->m = m;
  w->n = (int)n;
  w->d = (int)d;
  w->dim = (int)dim;
  SPX_TRY(spx_kernel_create(m, &w->kern));
  SPX_TRY(spx_stability_ws_create((int)n, (int)d, &w->sws));
  SPX_TRY(spx_gap_ws_create((int)dim, &w->gws));
  w->u = malloc(sizeof(double) * n * d);
  w->q = malloc(sizeof(double) * n * d);
  w->w = malloc(sizeof(double) * n * n);
  w->Tq = malloc(sizeof(double) * n * n * (d - 1));
  w->AT = malloc(sizeof(double) * n * d * (d - 1));
  w->egrad = malloc(sizeof(double) * n * d);
  w->T = malloc(sizeof(double) * dim * d);
  w->H = malloc(sizeof(double) * dim * dim);
  w->Hfd = malloc(sizeof(double) * dim * dim);
  w->evals = malloc(sizeof(double) * dim);
  w->evecs = malloc(sizeof(double) * dim * dim);
  w->S = malloc(sizeof(double) * dim * dim);
  w->kappa = malloc(sizeof(double) * dim);
  w->right = malloc(sizeof(double) * dim * dim);
  w->left = malloc(sizeof(double) * dim * dim);
  w->g = malloc(sizeof(double) * n);
  w->Jmet = malloc(sizeof(double) * dim * dim);
  w->f = malloc(sizeof(double) * n * d);
  w->xp = malloc(sizeof(double) * n * d);
  if (!w->u || !w->q || !w->w || !w->Tq || !w->AT || !w->egrad || !w->T || !w->H || !w->Hfd ||
      !w->evals || !w->evecs || !w->S || !w->kappa || !w->right || !w->left || !w->g ||
      !w->Jmet || !w->f || !w->xp) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  *out = w;
  w = NULL;
cleanup:
  spx_flowhess_free(w);
  return status;
}

int spx_flowhess_dim(const spx_flowhess *w) { return w->dim; }
const double *spx_flowhess_basis(const spx_flowhess *w) { return w->T; }

/* Normalize the rows of x into w->u. */
static int normalize_rows(spx_flowhess *w, const double *x)
{
  const int n = w->n, d = w->d;
  for (int i = 0; i < n; i++) {
    double s = 0.0;
    for (int a = 0; a < d; a++) s += x[(long)i * d + a] * x[(long)i * d + a];
    if (!(s > 0.0) || !isfinite(s)) {
      spx_error("free energy of the flow: particle %d is zero or not finite", i + 1);
      return SPX_EINVAL;
    }
    s = 1.0 / sqrt(s);
    for (int a = 0; a < d; a++) w->u[(long)i * d + a] = x[(long)i * d + a] * s;
  }
  return SPX_OK;
}

/* q = A_h u for head h; returns max_ij beta s_ij. */
static double head_q(spx_flowhess *w, int h)
{
  const int n = w->n, d = w->d;
  const double *A = w->m->heads[h].A;
  double smax = -INFINITY;
  for (int j = 0; j < n; j++)
    for (int a = 0; a < d; a++) {
      double s = 0.0;
      for (int b = 0; b < d; b++) s += A[a * d + b] * w->u[(long)j * d + b];
      w->q[(long)j * d + a] = s;
    }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0.0;
      for (int a = 0; a < d; a++) s += w->u[(long)i * d + a] * w->q[(long)j * d + a];
      smax = fmax(smax, w->m->beta * s);
    }
  return smax;
}

/* The common exponent shift: 0, or the largest beta s_ij over the heads when it exceeds
 * FH_MAX_EXPONENT. Leaves q of the last head in w->q. */
static double scale_of(spx_flowhess *w)
{
  double smax = -INFINITY;
  for (int h = 0; h < w->m->nheads; h++) smax = fmax(smax, head_q(w, h));
  return smax > FH_MAX_EXPONENT ? smax : 0.0;
}

/* Weights of head h (q must be that head's): w_ij = e^{beta s_ij - c}. */
static void head_weights(spx_flowhess *w, double c)
{
  const int n = w->n, d = w->d;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0.0;
      for (int a = 0; a < d; a++) s += w->u[(long)i * d + a] * w->q[(long)j * d + a];
      w->w[(long)i * n + j] = exp(w->m->beta * s - c);
    }
}

/* Euclidean gradient of E (units e^c) into w->egrad and sum of all weights into *wsum. */
static void euclid_gradient(spx_flowhess *w, double c, double *wsum)
{
  const int n = w->n, d = w->d;
  double tot = 0.0;
  memset(w->egrad, 0, sizeof(double) * n * d);
  for (int h = 0; h < w->m->nheads; h++) {
    head_q(w, h);
    head_weights(w, c);
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        double wij = w->w[(long)i * n + j];
        tot += wij;
        for (int a = 0; a < d; a++) w->egrad[(long)i * d + a] += wij * w->q[(long)j * d + a];
      }
  }
  *wsum = tot;
}

int spx_flowhess_gradient(spx_flowhess *w, const double *x, double *logE, double *rgrad,
                          double *log_scale)
{
  int status = SPX_OK;
  const int n = w->n, d = w->d;
  SPX_TRY(normalize_rows(w, x));
  double c = scale_of(w), tot;
  euclid_gradient(w, c, &tot);
  if (logE) *logE = w->m->beta > 0.0 ? c + log(tot) - log(2.0 * w->m->beta) : NAN;
  if (log_scale) *log_scale = c;
  if (rgrad)
    for (int i = 0; i < n; i++) {
      const double *u = w->u + (long)i * d, *ge = w->egrad + (long)i * d;
      double r = 0.0;
      for (int a = 0; a < d; a++) r += u[a] * ge[a];
      for (int a = 0; a < d; a++) rgrad[(long)i * d + a] = -(ge[a] - r * u[a]);
    }
cleanup:
  return status;
}

int spx_flowhess_hessian(spx_flowhess *w, const double *x, const double *T, double *H,
                         double *log_scale)
{
  int status = SPX_OK;
  const int n = w->n, d = w->d, m = d - 1, dim = w->dim;
  const double beta = w->m->beta;
  SPX_TRY(normalize_rows(w, x));
  double c = scale_of(w), tot;
  euclid_gradient(w, c, &tot); /* radial parts <u_i, d_i E> need the summed gradient */
  memset(H, 0, sizeof(double) * dim * dim);
  for (int h = 0; h < w->m->nheads; h++) {
    const double *A = w->m->heads[h].A;
    head_q(w, h);
    head_weights(w, c);
    /* Tq[i][j][a] = t_{i,a} . q_j and AT[k] = A T_k (d x m) */
    for (int i = 0; i < n; i++)
      for (int a = 0; a < m; a++) {
        const double *t = T + ((long)i * m + a) * d;
        for (int j = 0; j < n; j++) {
          double s = 0.0;
          for (int e = 0; e < d; e++) s += t[e] * w->q[(long)j * d + e];
          w->Tq[((long)i * n + j) * m + a] = s;
        }
        for (int e = 0; e < d; e++) {
          double s = 0.0;
          for (int f = 0; f < d; f++) s += A[e * d + f] * t[f];
          w->AT[((long)i * d + e) * m + a] = s;
        }
      }
    for (int i = 0; i < n; i++)
      for (int k = 0; k < n; k++) {
        const double wik = w->w[(long)i * n + k];
        const double *Tqik = w->Tq + ((long)i * n + k) * m; /* t_{i,.} . q_k */
        const double *Tqki = w->Tq + ((long)k * n + i) * m; /* t_{k,.} . q_i */
        for (int a = 0; a < m; a++) {
          const double *ta = T + ((long)i * m + a) * d;
          for (int b = 0; b < m; b++) {
            double tat = 0.0; /* t_{i,a}^T A t_{k,b} */
            for (int e = 0; e < d; e++) tat += ta[e] * w->AT[((long)k * d + e) * m + b];
            double v = wik * (tat + beta * Tqik[a] * Tqki[b]);
            if (i == k) {
              double s = 0.0;
              for (int j = 0; j < n; j++)
                s += w->w[(long)i * n + j] * w->Tq[((long)i * n + j) * m + a] *
                     w->Tq[((long)i * n + j) * m + b];
              v += beta * s;
            }
            /* Hess F = -Hess E */
            H[((long)i * m + a) * dim + (long)k * m + b] -= v;
          }
        }
      }
  }
  /* the radial part of the summed gradient on the diagonal */
  for (int i = 0; i < n; i++) {
    double r = 0.0;
    for (int e = 0; e < d; e++) r += w->u[(long)i * d + e] * w->egrad[(long)i * d + e];
    for (int a = 0; a < m; a++) H[((long)i * m + a) * dim + (long)i * m + a] += r;
  }
  /* symmetrize against rounding */
  for (int a = 0; a < dim; a++)
    for (int b = a + 1; b < dim; b++) {
      double v = 0.5 * (H[(long)a * dim + b] + H[(long)b * dim + a]);
      H[(long)a * dim + b] = H[(long)b * dim + a] = v;
    }
  if (!spx_all_finite((long)dim * dim, H)) {
    spx_error("free energy of the flow: non-finite Hessian");
    status = SPX_ENONFINITE;
    goto cleanup;
  }
  if (log_scale) *log_scale = c;
cleanup:
  return status;
}

int spx_flowhess_metric(spx_flowhess *w, const double *x, double log_scale, double *g)
{
  int status = SPX_OK;
  const int n = w->n;
  const spx_model *m = w->m;
  if (m->norm == SPX_NORM_USA) {
    for (int i = 0; i < n; i++) g[i] = n * exp(m->usa_shift - log_scale);
    return SPX_OK;
  }
  SPX_TRY(normalize_rows(w, x));
  head_q(w, 0);
  head_weights(w, log_scale);
  for (int i = 0; i < n; i++) {
    double s = 0.0;
    for (int j = 0; j < n; j++) s += w->w[(long)i * n + j];
    g[i] = s;
  }
cleanup:
  return status;
}

void spx_flowhess_opts_default(spx_flowhess_opts *o)
{
  spx_gap_settings_default(&o->gap);
  o->tol = 0.0;
  o->fd_h = 0.0;
}

/* The rows of particle ia get ha t_a, of ib hb t_b; E is summed in units e^c. */
static double energy_moved(spx_flowhess *w, const double *x, int ia, const double *ta, double ha,
                           int ib, const double *tb, double hb, double c)
{
  const int n = w->n, d = w->d;
  memcpy(w->xp, x, sizeof(double) * n * d);
  for (int e = 0; e < d; e++) {
    w->xp[(long)ia * d + e] += ha * ta[e];
    w->xp[(long)ib * d + e] += hb * tb[e];
  }
  if (normalize_rows(w, w->xp)) return NAN;
  double tot = 0.0;
  for (int h = 0; h < w->m->nheads; h++) {
    head_q(w, h);
    head_weights(w, c);
    for (long k = 0; k < (long)n * n; k++) tot += w->w[k];
  }
  /* E = tot / (2 beta); the factor 1/(2 beta) is applied by the caller (beta = 0: limit form). */
  return tot;
}

/* Central-difference Hessian of F = -E on the retraction; returns max |H - Hfd| / max |H|. */
static double fd_check(spx_flowhess *w, const double *x, const double *T, double c, double h)
{
  const int d = w->d, m = d - 1, dim = w->dim;
  const double beta = w->m->beta;
  /* At beta = 0, E is not defined (1/(2 beta)); the check is skipped (NaN). */
  double hmax = 0.0, emax = 0.0;
  for (int a = 0; a < dim; a++) {
    const double *ta = T + (long)a * d;
    int ia = a / m;
    for (int b = a; b < dim; b++) {
      const double *tb = T + (long)b * d;
      int ib = b / m;
      double v;
      if (beta > 0.0) {
        double epp = energy_moved(w, x, ia, ta, h, ib, tb, h, c),
               epm = energy_moved(w, x, ia, ta, h, ib, tb, -h, c),
               emp = energy_moved(w, x, ia, ta, -h, ib, tb, h, c),
               emm = energy_moved(w, x, ia, ta, -h, ib, tb, -h, c);
        v = -(epp - epm - emp + emm) / (4.0 * h * h) / (2.0 * beta);
      } else {
        v = NAN;
      }
      w->Hfd[(long)a * dim + b] = w->Hfd[(long)b * dim + a] = v;
      hmax = fmax(hmax, fabs(w->H[(long)a * dim + b]));
    }
  }
  for (long k = 0; k < (long)dim * dim; k++) emax = fmax(emax, fabs(w->H[k] - w->Hfd[k]));
  return hmax > 0.0 ? emax / hmax : emax;
}

int spx_flowhess_analyze(spx_flowhess *w, const double *x, const double *T,
                         const spx_flowhess_opts *opts, spx_flowhess_result *r)
{
  int status = SPX_OK;
  const int n = w->n, d = w->d, m = d - 1, dim = w->dim;
  memset(r, 0, sizeof *r);
  r->dim = dim;
  if (T) memcpy(w->T, T, sizeof(double) * dim * d);
  else SPX_TRY(spx_stability_basis_householder(n, d, x, w->T));
  /* flow residual and energy */
  SPX_TRY(spx_kernel_rhs(w->kern, x, w->f));
  double rn = 0.0;
  for (long k = 0; k < (long)n * d; k++) rn += w->f[k] * w->f[k];
  r->rhs_norm = sqrt(rn);
  SPX_TRY(spx_flowhess_gradient(w, x, &r->log_energy, w->xp, NULL));
  double gn = 0.0;
  for (long k = 0; k < (long)n * d; k++) gn += w->xp[k] * w->xp[k];
  /* Hessian, its spectrum and gaps */
  SPX_TRY(spx_flowhess_hessian(w, x, w->T, w->H, &r->log_scale));
  SPX_TRY(spx_gap_eigen(w->gws, w->H, w->evals, w->evecs));
  double hmax = fmax(fabs(w->evals[0]), fabs(w->evals[dim - 1]));
  r->grad_norm = hmax > 0.0 ? sqrt(gn) / hmax : sqrt(gn);
  spx_gap_settings gs = opts->gap;
  gs.to_null = 1;
  SPX_TRY(spx_gap_find(dim, w->evals, &gs, &r->gap));
  gs.to_null = 0;
  SPX_TRY(spx_gap_find(dim, w->evals, &gs, &r->dominant));
  /* metric and the symmetric form S = G^{-1/2} (-H) G^{-1/2} */
  SPX_TRY(spx_flowhess_metric(w, x, r->log_scale, w->g));
  for (int a = 0; a < dim; a++)
    for (int b = 0; b < dim; b++)
      w->S[(long)a * dim + b] = -w->H[(long)a * dim + b] / sqrt(w->g[a / m] * w->g[b / m]);
  SPX_TRY(spx_gap_eigen(w->gws, w->S, w->kappa, w->evecs));
  /* ascending -> descending, with the vectors */
  for (int k = 0; k < dim; k++) {
    int src = dim - 1 - k;
    for (int a = 0; a < dim; a++) {
      double y = w->evecs[(long)a * dim + src], s = sqrt(w->g[a / m]);
      w->right[(long)a * dim + k] = y / s;
      w->left[(long)a * dim + k] = y * s;
    }
  }
  for (int k = 0; k < dim / 2; k++) {
    double t = w->kappa[k];
    w->kappa[k] = w->kappa[dim - 1 - k];
    w->kappa[dim - 1 - k] = t;
  }
  /* Morse index of the kernel's Jacobian */
  spx_stability_opts so = {.fd_h = 0.0, .fd = 0, .tol = opts->tol};
  spx_stability_result sr;
  SPX_TRY(spx_stability_analyze(w->kern, w->sws, x, w->T, &so, &sr));
  r->morse = sr.an.morse;
  r->morse_zero = sr.an.nzero;
  r->tol = sr.an.tol;
  double kt = opts->tol > 0.0 ? opts->tol : sr.an.tol;
  for (int k = 0; k < dim; k++) r->n_kappa_pos += w->kappa[k] > kt;
  /* J_kernel against G^{-1}(-H) */
  double jmax = 0.0, jerr = 0.0;
  for (int a = 0; a < dim; a++)
    for (int b = 0; b < dim; b++) {
      double jm = -w->H[(long)a * dim + b] / w->g[a / m];
      w->Jmet[(long)a * dim + b] = jm;
      jmax = fmax(jmax, fabs(sr.J[(long)a * dim + b]));
      jerr = fmax(jerr, fabs(sr.J[(long)a * dim + b] - jm));
    }
  r->jac_err = jmax > 0.0 ? jerr / jmax : jerr;
  r->fd_err = NAN;
  if (opts->fd_h > 0.0) r->fd_err = fd_check(w, x, w->T, r->log_scale, opts->fd_h);
  r->hess = w->H;
  r->evals = w->evals;
  r->g = w->g;
  r->kappa = w->kappa;
  r->right = w->right;
  r->left = w->left;
cleanup:
  return status;
}
