/* kernel.c -- the all-pairs interaction (kernel.h): RHS, analytic J·v, log energy.
 *
 * With u_i = x_i/|x_i| (norm-aware, spec sphere_dynamics.md §2.6) or u_i = x_i (plain), per head h:
 *   q_i = A^T u_i, so that the logit is L_ij = beta <u_i, A u_j> = beta <q_i, u_j>;
 *   y_j = V u_j (values);  e_ij = exp(L_ij - m_i);  z_i = sum_j e_ij;
 *   F_i = sum_h (sum_j e_ij y_j) / z_i   (SA)   or   e^{m_i - shift} sum_j e_ij y_j / n   (USA);
 *   f_i = F_i - (<x_i, F_i> / c_i) x_i,  c_i = |x_i|^2 (norm-aware) or 1 (plain), i.e. P_{u_i} F_i.
 * The shift m_i = beta |q_i| max_j |u_j| bounds every logit of row i (Cauchy-Schwarz), so one pass
 * suffices and nothing overflows; when it is so loose that z_i underflows, the row is redone with
 * the exact maximum (second pass).
 *
 * J·v (spec §2.5, extended to the norm-aware projection [D]): with du_j = P_{u_j} v_j / |x_j|
 * (norm-aware) or v_j (plain), dL_ij = beta (<du_i, r_j> + <q_i, du_j>) where r_j = A u_j, and
 *   SA:  dF_i = sum_j dw_ij y_j + w_ij V du_j,  dw_ij = w_ij (dL_ij - sum_k w_ik dL_ik)
 *        = (b_i - a_i F_i + c_i) / z_i with a_i = sum e dL, b_i = sum e dL y, c_i = sum e V du;
 *   USA: dF_i = (b_i + c_i) e^{m_i - shift} / n;
 *   df_i = dF_i - (<du_i, F_i> + <u_i, dF_i>) u_i - <u_i, F_i> du_i.
 * One pass over the partners per row computes all of it: the cost of one RHS.
 *
 * Layout: the partner loop reads u, y, r, du, V du as structure-of-arrays (d rows of n) so that
 * the compiler vectorizes over j. Rows are computed independently (OpenMP over i) and each sum
 * has a fixed order: results do not depend on the number of threads.
 */
#include "kernel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

struct spx_kernel {
  const spx_model *m;
  int n, d, H;
  double *u;      /* n x d normalized rows (AoS) */
  double *us;     /* d x n normalized rows (SoA) */
  double *unorm;  /* n: |x_i| */
  double umax;    /* max_j |u_j| (1 when norm-aware) */
  double *q;      /* H x n x d: q_i = A_h^T u_i (AoS) */
  double *qn;     /* H x n: |q_i| */
  double *ys;     /* H x d x n: V_h u_j (SoA) */
  double *rs;     /* H x d x n: A_h u_j (SoA), for J·v */
  double *dus;    /* d x n: du_j (SoA), for J·v */
  double *du;     /* n x d: du_i (AoS) */
  double *vdus;   /* H x d x n: V_h du_j (SoA), for J·v */
  double *logz;   /* H x n: log of the row normalizer sum_j exp(L_ij) (unshifted) */
  double *F;      /* n x d: the summed drive F_i */
  int *bad;       /* n: row flags for non-finite values */
  double *fbuf;   /* n x d: scratch RHS for spx_kernel_dissipation */
  int par;        /* 1: enough work per call to run the rows in parallel */
  int bad_particle;
  const char *bad_quantity;
  spx_kernel_stats stats;
};

int spx_kernel_create(const spx_model *m, spx_kernel **out)
{
  spx_kernel *k = calloc(1, sizeof *k);
  if (!k) return SPX_ENOMEM;
  long n = m->n, d = m->d, H = m->nheads;
  k->m = m;
  k->n = m->n;
  k->d = m->d;
  k->H = m->nheads;
  k->u = malloc(sizeof(double) * n * d);
  k->us = malloc(sizeof(double) * n * d);
  k->unorm = malloc(sizeof(double) * n);
  k->q = malloc(sizeof(double) * H * n * d);
  k->qn = malloc(sizeof(double) * H * n);
  k->ys = malloc(sizeof(double) * H * n * d);
  k->rs = malloc(sizeof(double) * H * n * d);
  k->dus = malloc(sizeof(double) * n * d);
  k->du = malloc(sizeof(double) * n * d);
  k->vdus = malloc(sizeof(double) * H * n * d);
  k->logz = malloc(sizeof(double) * H * n);
  k->F = malloc(sizeof(double) * n * d);
  k->bad = malloc(sizeof(int) * n);
  k->fbuf = malloc(sizeof(double) * n * d);
  /* Below ~2e5 pair-operations per call, waking a thread team costs more than it saves (and
   * spin-waiting threads slow small runs badly on a loaded machine). */
  k->par = (double)n * n * d * H >= 2e5;
  k->bad_particle = -1;
  k->bad_quantity = "";
  if (!k->u || !k->us || !k->unorm || !k->q || !k->qn || !k->ys || !k->rs || !k->dus || !k->du ||
      !k->vdus || !k->logz || !k->F || !k->bad || !k->fbuf) {
    spx_kernel_free(k);
    return SPX_ENOMEM;
  }
  *out = k;
  return SPX_OK;
}

void spx_kernel_free(spx_kernel *k)
{
  if (!k) return;
  free(k->u);
  free(k->us);
  free(k->unorm);
  free(k->q);
  free(k->qn);
  free(k->ys);
  free(k->rs);
  free(k->dus);
  free(k->du);
  free(k->vdus);
  free(k->logz);
  free(k->F);
  free(k->bad);
  free(k->fbuf);
  free(k);
}

spx_kernel_stats spx_kernel_get_stats(const spx_kernel *k) { return k->stats; }
void spx_kernel_reset_stats(spx_kernel *k) { memset(&k->stats, 0, sizeof k->stats); }

void spx_kernel_last_nonfinite(const spx_kernel *k, int *particle, const char **quantity)
{
  *particle = k->bad_particle;
  *quantity = k->bad_quantity;
}

/* Record the lowest flagged row (deterministic whatever the thread count). */
static int report_bad(spx_kernel *k, const char *quantity)
{
  for (int i = 0; i < k->n; i++)
    if (k->bad[i]) {
      k->bad_particle = i;
      k->bad_quantity = quantity;
      return SPX_ENONFINITE;
    }
  return SPX_OK;
}

/* Normalize the rows (when norm-aware, or always when `unit`) and precompute q = A^T u, |q|,
 * y = V u (and r = A u when need_r). Returns SPX_ENONFINITE when x has a non-finite or zero row. */
static int prepare(spx_kernel *k, const double *x, int need_r, int unit)
{
  const spx_model *m = k->m;
  const int n = k->n, d = k->d, H = k->H;
  const int normalize = m->norm_aware || unit;
  double umax = 0.0;
#pragma omp parallel for schedule(static) reduction(max : umax) if (k->par)
  for (int i = 0; i < n; i++) {
    const double *xi = x + (long)i * d;
    double s = 0.0;
    for (int a = 0; a < d; a++) s += xi[a] * xi[a];
    double nrm = sqrt(s);
    k->bad[i] = !(isfinite(nrm) && nrm > 0.0);
    k->unorm[i] = nrm;
    double sc = (normalize && nrm > 0.0) ? 1.0 / nrm : 1.0;
    for (int a = 0; a < d; a++) {
      double ua = xi[a] * sc;
      k->u[(long)i * d + a] = ua;
      k->us[(long)a * n + i] = ua;
    }
    double un = normalize ? 1.0 : nrm;
    if (un > umax) umax = un;
    for (int h = 0; h < H; h++) {
      const double *A = m->heads[h].A, *V = m->heads[h].V;
      const double *ui = k->u + (long)i * d;
      double *qi = k->q + ((long)h * n + i) * d, qq = 0.0;
      for (int b = 0; b < d; b++) {
        double sq = 0.0, sy = 0.0, sr = 0.0;
        for (int a = 0; a < d; a++) {
          sq += A[a * d + b] * ui[a];   /* (A^T u)_b */
          sy += V[b * d + a] * ui[a];   /* (V u)_b */
          sr += A[b * d + a] * ui[a];   /* (A u)_b */
        }
        qi[b] = sq;
        qq += sq * sq;
        k->ys[((long)h * d + b) * n + i] = sy;
        if (need_r) k->rs[((long)h * d + b) * n + i] = sr;
      }
      k->qn[(long)h * n + i] = sqrt(qq);
    }
  }
  k->umax = umax;
  return report_bad(k, "state (zero or non-finite row)");
}

/* One row of one head: z = sum_j e_j, s[a] = sum_j e_j y_j[a] with e_j = exp(L_ij - shift).
 * The specialised small-d loops let the compiler keep the d accumulators in registers. */
static double row_sums(const spx_kernel *k, int h, int i, int lo, int hi, double shift, double *s)
{
  const int n = k->n, d = k->d;
  const double beta = k->m->beta;
  const double *qi = k->q + ((long)h * k->n + i) * d;
  const double *ys = k->ys + (long)h * d * n;
  const double *us = k->us;
  double z = 0.0;
  if (d == 3) {
    const double q0 = beta * qi[0], q1 = beta * qi[1], q2 = beta * qi[2];
    const double *u0 = us, *u1 = us + n, *u2 = us + 2 * n;
    const double *y0 = ys, *y1 = ys + n, *y2 = ys + 2 * n;
    double s0 = 0, s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : z, s0, s1, s2)
    for (int j = lo; j < hi; j++) {
      double e = exp(q0 * u0[j] + q1 * u1[j] + q2 * u2[j] - shift);
      z += e;
      s0 += e * y0[j];
      s1 += e * y1[j];
      s2 += e * y2[j];
    }
    s[0] = s0; s[1] = s1; s[2] = s2;
  } else if (d == 2) {
    const double q0 = beta * qi[0], q1 = beta * qi[1];
    const double *u0 = us, *u1 = us + n, *y0 = ys, *y1 = ys + n;
    double s0 = 0, s1 = 0;
#pragma omp simd reduction(+ : z, s0, s1)
    for (int j = lo; j < hi; j++) {
      double e = exp(q0 * u0[j] + q1 * u1[j] - shift);
      z += e;
      s0 += e * y0[j];
      s1 += e * y1[j];
    }
    s[0] = s0; s[1] = s1;
  } else {
    for (int a = 0; a < d; a++) s[a] = 0.0;
    for (int j = lo; j < hi; j++) {
      double l = 0.0;
      for (int a = 0; a < d; a++) l += qi[a] * us[(long)a * n + j];
      double e = exp(beta * l - shift);
      z += e;
      for (int a = 0; a < d; a++) s[a] += e * ys[(long)a * n + j];
    }
  }
  return z;
}

/* Exact row maximum of the logits (the fallback when the bound shift underflows). */
static double row_max(const spx_kernel *k, int h, int i, int lo, int hi)
{
  const int n = k->n, d = k->d;
  const double *qi = k->q + ((long)h * n + i) * d;
  double mx = -INFINITY;
  for (int j = lo; j < hi; j++) {
    double l = 0.0;
    for (int a = 0; a < d; a++) l += qi[a] * k->us[(long)a * n + j];
    mx = fmax(mx, k->m->beta * l);
  }
  return mx;
}

/* Shift of row i: bound of its logits, sum z and sums s; returns the shift used and sets *z. */
static double row_normalized(const spx_kernel *k, int h, int i, int lo, int hi, double *s,
                             double *z)
{
  double shift = k->m->beta * k->qn[(long)h * k->n + i] * k->umax;
  *z = row_sums(k, h, i, lo, hi, shift, s);
  if (!(*z > 1e-250)) { /* the bound was too loose: redo with the exact maximum */
    shift = row_max(k, h, i, lo, hi);
    *z = row_sums(k, h, i, lo, hi, shift, s);
  }
  return shift;
}

/* Drive F_i of row i summed over heads; also stores log z_i per head. s is d scratch. */
static void row_drive(spx_kernel *k, int i, double *Fi, double *s)
{
  const spx_model *m = k->m;
  const int d = k->d;
  int lo, hi;
  spx_model_partners(m, i, &lo, &hi);
  for (int a = 0; a < d; a++) Fi[a] = 0.0;
  for (int h = 0; h < k->H; h++) {
    double z, shift = row_normalized(k, h, i, lo, hi, s, &z);
    k->logz[(long)h * k->n + i] = shift + log(z);
    double c = (m->norm == SPX_NORM_SA) ? 1.0 / z : exp(shift - m->usa_shift) / m->n;
    for (int a = 0; a < d; a++) Fi[a] += c * s[a];
  }
}

int spx_kernel_rhs(spx_kernel *k, const double *x, double *f)
{
  const int n = k->n, d = k->d;
  k->stats.rhs_evals++;
  int status = prepare(k, x, 0, 0);
  if (status != SPX_OK) return status;
#pragma omp parallel if (k->par)
  {
    double s[d > 0 ? d : 1];
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++) {
      double *Fi = k->F + (long)i * d;
      const double *ui = k->u + (long)i * d;
      row_drive(k, i, Fi, s);
      double p = 0.0;
      for (int a = 0; a < d; a++) p += ui[a] * Fi[a];
      int ok = 1;
      for (int a = 0; a < d; a++) {
        f[(long)i * d + a] = Fi[a] - p * ui[a];
        ok &= isfinite(f[(long)i * d + a]);
      }
      k->bad[i] = !ok;
    }
  }
  return report_bad(k, "right-hand side");
}

int spx_kernel_jv(spx_kernel *k, const double *x, const double *v, double *Jv)
{
  const spx_model *m = k->m;
  const int n = k->n, d = k->d, H = k->H;
  const double beta = m->beta;
  k->stats.jv_evals++;
  int status = prepare(k, x, 1, 0);
  if (status != SPX_OK) return status;

  /* du_j and V_h du_j. */
#pragma omp parallel for schedule(static) if (k->par)
  for (int j = 0; j < n; j++) {
    const double *uj = k->u + (long)j * d, *vj = v + (long)j * d;
    double *duj = k->du + (long)j * d;
    if (m->norm_aware) {
      double p = 0.0;
      for (int a = 0; a < d; a++) p += uj[a] * vj[a];
      for (int a = 0; a < d; a++) duj[a] = (vj[a] - p * uj[a]) / k->unorm[j];
    } else {
      for (int a = 0; a < d; a++) duj[a] = vj[a];
    }
    for (int a = 0; a < d; a++) k->dus[(long)a * n + j] = duj[a];
    for (int h = 0; h < H; h++) {
      const double *V = m->heads[h].V;
      for (int b = 0; b < d; b++) {
        double sv = 0.0;
        for (int a = 0; a < d; a++) sv += V[b * d + a] * duj[a];
        k->vdus[((long)h * d + b) * n + j] = sv;
      }
    }
  }

#pragma omp parallel if (k->par)
  {
    double s[d], b[d], c[d], F[d], dF[d];
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++) {
      int lo, hi;
      spx_model_partners(m, i, &lo, &hi);
      const double *ui = k->u + (long)i * d, *dui = k->du + (long)i * d;
      for (int a = 0; a < d; a++) F[a] = dF[a] = 0.0;
      for (int h = 0; h < H; h++) {
        const double *qi = k->q + ((long)h * n + i) * d;
        const double *ys = k->ys + (long)h * d * n, *rs = k->rs + (long)h * d * n;
        const double *vdus = k->vdus + (long)h * d * n;
        double z, shift = row_normalized(k, h, i, lo, hi, s, &z), asum = 0.0;
        for (int a = 0; a < d; a++) b[a] = c[a] = 0.0;
        for (int j = lo; j < hi; j++) {
          double l = 0.0, dl = 0.0;
          for (int a = 0; a < d; a++) {
            l += qi[a] * k->us[(long)a * n + j];
            dl += dui[a] * rs[(long)a * n + j] + qi[a] * k->dus[(long)a * n + j];
          }
          double e = exp(beta * l - shift);
          dl *= beta;
          asum += e * dl;
          for (int a = 0; a < d; a++) {
            b[a] += e * dl * ys[(long)a * n + j];
            c[a] += e * vdus[(long)a * n + j];
          }
        }
        if (m->norm == SPX_NORM_SA) {
          for (int a = 0; a < d; a++) {
            double Fa = s[a] / z;
            F[a] += Fa;
            dF[a] += (b[a] - asum * Fa + c[a]) / z;
          }
        } else {
          double cu = exp(shift - m->usa_shift) / m->n;
          for (int a = 0; a < d; a++) {
            F[a] += cu * s[a];
            dF[a] += cu * (b[a] + c[a]);
          }
        }
      }
      double uF = 0.0, duF = 0.0, udF = 0.0;
      for (int a = 0; a < d; a++) {
        uF += ui[a] * F[a];
        duF += dui[a] * F[a];
        udF += ui[a] * dF[a];
      }
      int ok = 1;
      for (int a = 0; a < d; a++) {
        double r = dF[a] - (duF + udF) * ui[a] - uF * dui[a];
        Jv[(long)i * d + a] = r;
        ok &= isfinite(r);
      }
      k->bad[i] = !ok;
    }
  }
  return report_bad(k, "Jacobian-vector product");
}

double spx_kernel_log_energy(spx_kernel *k, const double *x)
{
  const spx_model *m = k->m;
  const int n = k->n, d = k->d, H = k->H;
  if (!(m->beta > 0.0)) return NAN;
  if (prepare(k, x, 0, 1) != SPX_OK) return NAN; /* always on renormalized rows (spec §3) */
#pragma omp parallel if (k->par)
  {
    double s[d];
#pragma omp for schedule(static)
    for (int i = 0; i < n; i++) {
      int lo, hi;
      spx_model_partners(m, i, &lo, &hi);
      for (int h = 0; h < H; h++) {
        double z, shift = row_normalized(k, h, i, lo, hi, s, &z);
        k->logz[(long)h * n + i] = shift + log(z);
      }
    }
  }
  /* log sum over heads and rows, in a fixed order */
  double mx = -INFINITY;
  for (long r = 0; r < (long)H * n; r++) mx = fmax(mx, k->logz[r]);
  double acc = 0.0;
  for (long r = 0; r < (long)H * n; r++) acc += exp(k->logz[r] - mx);
  return mx + log(acc) - log(2.0 * m->beta);
}

double spx_kernel_dissipation(spx_kernel *k, const double *x)
{
  const spx_model *m = k->m;
  const int n = k->n, d = k->d;
  double *f = k->fbuf;
  if (spx_kernel_rhs(k, x, f) != SPX_OK) return NAN;
  double acc = 0.0;
  for (int i = 0; i < n; i++) {
    double f2 = 0.0;
    for (int a = 0; a < d; a++) f2 += f[(long)i * d + a] * f[(long)i * d + a];
    /* SA: metric weight Z_i (one head: logz holds log Z_i); USA: n (spec §3). In the rescaled
     * USA clock tau = e^{shift} t the RHS is e^{-shift} dx/dt, so dE/dtau = e^{shift} n |f|^2. */
    double w = (m->norm == SPX_NORM_SA) ? exp(k->logz[i]) : (double)n * exp(m->usa_shift);
    acc += w * f2;
  }
  return acc;
}
