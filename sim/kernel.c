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
 * Speed (issue 4; spec §2.5 "the n x n matrix W can be fused away"). Four row paths, chosen at
 * create time (spx_kernel_set_path can force one, for tests and benchmarks):
 *  - sym (automatic for d = 2, 3, 4 when every A_h is symmetric and there is no mask): one
 *    exponential per unordered pair, by tiles ("the symmetric path" below);
 *  - small (automatic for d = 2, 3, 4 otherwise): the fused pair loop, the d accumulators in
 *    registers;
 *  - blas (automatic for d >= 5): blocks of SPX_KB_ROWS rows x SPX_KB_COLS partners with two dgemm
 *    calls per block (logits S = beta Q U^T, then F += E Y^T, spec c_stack.md §5 "blocked BLAS-3
 *    RHS"); OpenBLAS's OpenMP flavour (the Makefile links it) runs each dgemm serially inside
 *    the OpenMP row-block loop (c_stack.md §2). The
 *    issue asks for it from d = 16; measured, it beats the generic loop from d = 5 at every n
 *    (the dgemm reuses each loaded u_j for several rows), so it starts there;
 *  - generic (any d): the small loop's operations with a runtime d, in three passes over the
 *    partners; it serves the loose-bound fallback rows, J v and the reference of the tests.
 * The pair loops are written over W = 8 explicit lanes: lane l of a row sums the partners
 * j = lo + l (mod W), and the lanes are added in a fixed tree at the end. The last, partial group
 * of W partners runs through the same vector loop with the lanes past the end adding exact zeros
 * (u and y are allocated W entries longer, so those lanes read finite numbers). The compiler turns the
 * lane loop into SIMD instructions, but the order of every sum is the one written here, so the
 * result does not depend on the vector width, on alignment or on the thread count. The small and
 * generic paths do the same operations in the same order: they agree bitwise (tested).
 *
 * The exponential is our own (kexp below), branch-free so that it vectorizes inside the lanes
 * [ours]: Cody-Waite reduction x = k ln2 + r, |r| <= ln2/2 (ln2 split in a 32-bit head, so that
 * k ln2_hi is exact, and a tail), e^r = 1 + r + r^2 P(r) with P the degree-9 interpolant of
 * (e^r - 1 - r)/r^2 at the Chebyshev nodes of [-ln2/2, ln2/2] (coefficients computed by us in
 * 50-digit arithmetic; approximation error 1.6e-17 relative, 0.14 ulp), and the scaling by 2^k done
 * as (e^r 2^(k+600)) 2^-600 so that subnormal results are rounded once. Inputs below -746 are
 * clamped to -746 (result 0). Accuracy: <= 4 ulp relative over [-708.39, 1] and <= 4 units of the
 * subnormal spacing over [-746, -708.39] (measured: <= 1 ulp; tests/test_kernel.c). The kernel only
 * feeds it L_ij - m_i <= 0 (plus rounding), bounded below by about -2 beta |q_i| max|u_j|; when
 * that bound allows, the loops use its narrow form (kexp_k), bitwise the same there. NaN
 * propagates. With FMA hardware (__FMA__: the kernel is built -march=native, see the Makefile) the
 * polynomial and the pair sums use fma(); without it, separate multiply and add: a build's results
 * are reproducible, results of different builds may differ in the last bits.
 *
 * Layout: the partner loop reads u, y, r, du, V du as structure-of-arrays (d rows of n) so that
 * the lanes load contiguous memory. Rows are computed independently (OpenMP over i) and each sum
 * has a fixed order: results do not depend on the number of threads.
 */
#include "kernel.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "status.h"


#define W 8               /* lanes of the pair loops */
#define SPX_KB_ROWS 32    /* rows per block of the BLAS path */
#define SPX_KB_COLS 1024  /* partners per block of the BLAS path (a multiple of W) */
#define SPX_KB_MIN_D 5    /* the automatic choice takes the BLAS path from this d on (measured
                           * faster than the generic loop for every n at d >= 5, slower at d <= 4) */
#define SPX_KS_ROWS 16    /* rows per chunk of a tile of the symmetric path (a multiple of W;
                           * measured: 16 and 32 beat 8 by 6-12 %, 16 wastes less on the diagonal) */
#define SPX_KS_MIN_B 128  /* smallest tile side of the symmetric path (a multiple of W) */
#define SPX_KS_MAX_NB 16  /* at most this many tiles per side: the partial sums take
                           * nb n (d + 1) doubles, and nb (nb + 1) / 2 tiles keep threads busy */

#if defined(__FMA__)
#define KFMA(a, b, c) fma((a), (b), (c))
#else
#define KFMA(a, b, c) ((a) * (b) + (c))
#endif

struct spx_kernel {
  const spx_model *m;
  int n, d, H;
  spx_kernel_path path; /* the row path used by the RHS */
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
  double *zrow;   /* H x n: z_i = sum_j exp(L_ij - zsh_i) of the last RHS (log Z_i after energy) */
  double *zsh;    /* H x n: its shift, so that Z_i = sum_j exp(L_ij) = e^zsh z */
  double *F;      /* n x d: the summed drive F_i */
  int *bad;       /* n: row flags for non-finite values */
  double *fbuf;   /* n x d: scratch RHS for spx_kernel_dissipation */
  int nslots;     /* per-thread scratch slots (the most threads a call uses) */
  long slot_len;  /* doubles per slot */
  double *slots;  /* nslots x slot_len: lane accumulators, and the blocks of the BLAS path */
  int par;        /* 1: enough work per call to run the rows in parallel */
  /* the symmetric path (SPX_KERNEL_SYM) */
  int sb, snb;    /* tile side (a multiple of W) and tiles per side, snb = ceil(n / sb) */
  int *tiles;     /* snb (snb + 1) / 2 pairs (bi, bj), bi <= bj: off-diagonal first */
  double *part;   /* snb x n x (d + 1): P[K][i] = (z, s) of row i over the partners of block K */
  double *sshift; /* H: the shift of every row, c_h = beta max_i |q_i| max_j |u_j| */
  int bad_particle;
  const char *bad_quantity;
  spx_kernel_stats stats;
};

/* ---- the exponential ------------------------------------------------------------------------ */

/* e^x, see the top of the file. Inline and branch-free: it vectorizes inside the lane loops.
 * WIDE = 1: any x (clamp at -746, subnormal results through the 2^-600 scaling). WIDE = 0 (the
 * "narrow" exponential): only for x >= -708.74 (k >= -1022, so that 2^k is a normal double), two
 * multiplications and the clamp fewer, 12-15 % faster pair loops (measured, bench_kernel).
 * Both round the same exact value e^r 2^k once, so they agree bitwise where both apply (tested):
 * which one a loop uses never changes a result. */
static inline __attribute__((always_inline)) double kexp_k(const int WIDE, double x)
{
  const double shifter = 0x1.8p52; /* adding it rounds to an integer kept in the low bits */
  if (WIDE) x = x < -746.0 ? -746.0 : x; /* NaN fails the test and propagates */
  double kd = KFMA(x, 0x1.71547652b82fep0, shifter);
  uint64_t kb;
  memcpy(&kb, &kd, sizeof kb);
  kd -= shifter;                                   /* k = round(x / ln 2) */
  double r = KFMA(kd, -0x1.62e42feep-1, x);        /* ln2_hi: 32 bits, k ln2_hi exact */
  r = KFMA(kd, -0x1.a39ef35793c76p-33, r);         /* ln2_lo */
  double p = 2.5100375832561234e-08;
  p = KFMA(p, r, 2.7620075879983367e-07);
  p = KFMA(p, r, 2.7557268480310024e-06);
  p = KFMA(p, r, 2.4801521322368692e-05);
  p = KFMA(p, r, 1.9841269863040545e-04);
  p = KFMA(p, r, 1.3888888917196719e-03);
  p = KFMA(p, r, 8.333333333330065e-03);
  p = KFMA(p, r, 4.1666666666624164e-02);
  p = KFMA(p, r, 1.6666666666666669e-01);
  p = KFMA(p, r, 5.000000000000001e-01);
  double er = 1.0 + KFMA(r * r, p, r);
  /* bits of kd are 0x4338000000000000 + k: the low 12 bits of k + 1623 are the biased exponent
   * of 2^(k + 600), valid for -1622 <= k <= 423 (x in [-746, 293]); k + 1023 that of 2^k. */
  uint64_t sb = (kb + (WIDE ? 1623u : 1023u)) << 52;
  double scale;
  memcpy(&scale, &sb, sizeof scale);
  return WIDE ? er * scale * 0x1p-600 : er * scale;
}
static inline double kexp(double x) { return kexp_k(1, x); }

/* A pair loop whose logits are shifted by at most this (x = L - shift >= -2 bound) may use the
 * narrow exponential: -2 * 352 > -708.74 with room for the rounding of L. */
#define SPX_NARROW_BOUND 352.0

double spx_kernel_exp(double x) { return kexp(x); }
double spx_kernel_exp_narrow(double x) { return kexp_k(0, x); }

void spx_kernel_exp_array(long len, const double *x, double *y)
{
#pragma omp simd
  for (long i = 0; i < len; i++) y[i] = kexp(x[i]);
}

/* Sum of the W lanes in a fixed tree. */
static inline double lanes_sum(const double *a)
{
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/* ---- life cycle ----------------------------------------------------------------------------- */

/* Slot layout: scaled query (d) and the logits of one row (n + W) of the row loops, row sums (d);
 * for the BLAS path also a block of logits (ROWS x COLS), the block sums of one head and the
 * summed drive (ROWS x d each), the lane sums of z (ROWS x W) and the row shifts (ROWS). */
#define SLOT_ROW(n, d) ((long)(n) + W + 2L * (d))
static int sym_side(int n);
static long slot_doubles(int n, int d, spx_kernel_path path)
{
  long len = SLOT_ROW(n, d);
  if (path == SPX_KERNEL_BLAS)
    len += (long)SPX_KB_ROWS * SPX_KB_COLS + 2L * SPX_KB_ROWS * d + (long)SPX_KB_ROWS * (W + 1);
  if (path == SPX_KERNEL_SYM) /* the exponentials of a chunk of rows, the column sums */
    len += (SPX_KS_ROWS + d + 1L) * (sym_side(n) + W);
  return len;
}

/* Tile side of the symmetric path: at least SPX_KS_MIN_B, at most SPX_KS_MAX_NB tiles per side. */
static int sym_side(int n)
{
  int b = (n + SPX_KS_MAX_NB - 1) / SPX_KS_MAX_NB;
  b = (b + W - 1) / W * W;
  return b < SPX_KS_MIN_B ? SPX_KS_MIN_B : b;
}

/* The symmetric path applies: d <= 4, no mask, every A_h exactly symmetric (then the logit
 * L_ij = beta <A u_i, u_j> = L_ji, so one exponential serves both rows). */
static int sym_applies(const spx_model *m)
{
  if (m->d > 4 || m->mask != SPX_MASK_NONE) return 0;
  for (int h = 0; h < m->nheads; h++)
    for (int a = 0; a < m->d; a++)
      for (int b = 0; b < a; b++)
        if (m->heads[h].A[a * m->d + b] != m->heads[h].A[b * m->d + a]) return 0;
  return 1;
}

static int alloc_slots(spx_kernel *k)
{
  free(k->slots);
  free(k->tiles);
  free(k->part);
  k->slots = NULL;
  k->tiles = NULL;
  k->part = NULL;
  k->slot_len = slot_doubles(k->n, k->d, k->path);
  k->slots = malloc(sizeof(double) * k->slot_len * k->nslots);
  if (!k->slots) return SPX_ENOMEM;
  if (k->path != SPX_KERNEL_SYM) return SPX_OK;
  k->sb = sym_side(k->n);
  const int nb = k->snb = (k->n + k->sb - 1) / k->sb;
  k->tiles = malloc(sizeof(int) * nb * (nb + 1));
  k->part = malloc(sizeof(double) * nb * k->n * (k->d + 1));
  if (!k->tiles || !k->part) return SPX_ENOMEM;
  /* off-diagonal tiles first: the diagonal ones cost half, and end the dynamic schedule */
  int t = 0;
  for (int bi = 0; bi < nb; bi++)
    for (int bj = bi + 1; bj < nb; bj++, t += 2) {
      k->tiles[t] = bi;
      k->tiles[t + 1] = bj;
    }
  for (int bi = 0; bi < nb; bi++, t += 2) k->tiles[t] = k->tiles[t + 1] = bi;
  return SPX_OK;
}

int spx_kernel_create(const spx_model *m, spx_kernel **out)
{
  spx_kernel *k = calloc(1, sizeof *k);
  if (!k) return SPX_ENOMEM;
  long n = m->n, d = m->d, H = m->nheads;
  k->m = m;
  k->n = m->n;
  k->d = m->d;
  k->H = m->nheads;
  k->path = SPX_KERNEL_AUTO;
  k->u = malloc(sizeof(double) * n * d);
  k->us = calloc((size_t)(n * d + W), sizeof(double)); /* + W: the lanes of the tail */
  k->unorm = malloc(sizeof(double) * n);
  k->q = malloc(sizeof(double) * H * n * d);
  k->qn = malloc(sizeof(double) * H * n);
  k->ys = calloc((size_t)(H * n * d + W), sizeof(double));
  k->rs = malloc(sizeof(double) * H * n * d);
  k->dus = malloc(sizeof(double) * n * d);
  k->du = malloc(sizeof(double) * n * d);
  k->vdus = malloc(sizeof(double) * H * n * d);
  k->zrow = malloc(sizeof(double) * H * n);
  k->zsh = malloc(sizeof(double) * H * n);
  k->F = malloc(sizeof(double) * n * d);
  k->bad = malloc(sizeof(int) * n);
  k->fbuf = malloc(sizeof(double) * n * d);
  k->sshift = malloc(sizeof(double) * H);
  /* A call uses at most this many threads: enough for the processors and for OMP_NUM_THREADS. */
  k->nslots = omp_get_max_threads() > omp_get_num_procs() ? omp_get_max_threads()
                                                          : omp_get_num_procs();
  /* Below ~2e5 pair-operations per call, waking a thread team costs more than it saves (and
   * spin-waiting threads slow small runs badly on a loaded machine). */
  k->par = (double)n * n * d * H >= 2e5;
  k->bad_particle = -1;
  k->bad_quantity = "";
  if (!k->u || !k->us || !k->unorm || !k->q || !k->qn || !k->ys || !k->rs || !k->dus || !k->du ||
      !k->vdus || !k->zrow || !k->zsh || !k->F || !k->bad || !k->fbuf || !k->sshift ||
      spx_kernel_set_path(k, SPX_KERNEL_AUTO) != SPX_OK) {
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
  free(k->zrow);
  free(k->zsh);
  free(k->F);
  free(k->bad);
  free(k->fbuf);
  free(k->sshift);
  free(k->tiles);
  free(k->part);
  free(k->slots);
  free(k);
}

int spx_kernel_set_path(spx_kernel *k, spx_kernel_path path)
{
  if (path == SPX_KERNEL_AUTO)
    path = k->d >= SPX_KB_MIN_D ? SPX_KERNEL_BLAS
           : sym_applies(k->m)  ? SPX_KERNEL_SYM
           : k->d <= 4          ? SPX_KERNEL_SMALL
                                : SPX_KERNEL_GENERIC;
  if (path == SPX_KERNEL_SMALL && k->d > 4) path = SPX_KERNEL_GENERIC;
  if (path == SPX_KERNEL_SYM && !sym_applies(k->m)) return SPX_EINVAL;
  if (path != SPX_KERNEL_SMALL && path != SPX_KERNEL_GENERIC && path != SPX_KERNEL_BLAS &&
      path != SPX_KERNEL_SYM)
    return SPX_EINVAL;
  k->path = path;
  return alloc_slots(k);
}

spx_kernel_path spx_kernel_get_path(const spx_kernel *k) { return k->path; }

const char *spx_kernel_path_name(spx_kernel_path path)
{
  switch (path) {
  case SPX_KERNEL_SMALL: return "small_d";
  case SPX_KERNEL_GENERIC: return "generic";
  case SPX_KERNEL_BLAS: return "blas3";
  case SPX_KERNEL_SYM: return "sym_small";
  default: return "auto";
  }
}

spx_kernel_stats spx_kernel_get_stats(const spx_kernel *k) { return k->stats; }
void spx_kernel_reset_stats(spx_kernel *k) { memset(&k->stats, 0, sizeof k->stats); }

void spx_kernel_last_nonfinite(const spx_kernel *k, int *particle, const char **quantity)
{
  *particle = k->bad_particle;
  *quantity = k->bad_quantity;
}

/* Threads of a parallel region: never more than the scratch slots. */
static int team_size(const spx_kernel *k)
{
  int t = omp_get_max_threads();
  return t < k->nslots ? t : k->nslots;
}

static double *slot(const spx_kernel *k)
{
  return k->slots + (long)omp_get_thread_num() * k->slot_len;
}

/* Record the lowest flagged row in [i0, i1) (deterministic whatever the thread count). */
static int report_bad(spx_kernel *k, int i0, int i1, const char *quantity)
{
  for (int i = i0; i < i1; i++)
    if (k->bad[i]) {
      k->bad_particle = i;
      k->bad_quantity = quantity;
      return SPX_ENONFINITE;
    }
  return SPX_OK;
}

/* Normalize the rows (when norm-aware, or always when `unit`) and precompute q = A^T u, |q|,
 * y = V u (and r = A u when need_r). Returns SPX_ENONFINITE when x has a non-finite or zero row. */
/* Row i of prepare: |x_i|, u_i (AoS and SoA), q_i = A_h^T u_i, |q_i|, y_i = V_h u_i (SoA) and,
 * when need_r, r_i = A_h u_i (SoA). Returns the row's contribution to max_j |u_j|. */
static inline __attribute__((always_inline)) double
prepare_row_k(const int D, spx_kernel *k, const double *x, int i, int need_r, int normalize)
{
  const spx_model *m = k->m;
  const long n = k->n;
  const int d = D ? D : k->d, H = k->H; /* D: d as a compile-time constant (2, 3, 4), or 0 */
  const double *xi = x + (long)i * d;
  double *ui = k->u + (long)i * d;
  double s = 0.0;
  for (int a = 0; a < d; a++) s += xi[a] * xi[a];
  double nrm = sqrt(s);
  k->bad[i] = !(isfinite(nrm) && nrm > 0.0);
  k->unorm[i] = nrm;
  double sc = (normalize && nrm > 0.0) ? 1.0 / nrm : 1.0;
  for (int a = 0; a < d; a++) {
    ui[a] = xi[a] * sc;
    k->us[a * n + i] = ui[a];
  }
  for (int h = 0; h < H; h++) {
    const double *A = m->heads[h].A, *V = m->heads[h].V;
    double *qi = k->q + ((long)h * n + i) * d, qq = 0.0;
    double *ys = k->ys + (long)h * d * n + i, *rs = k->rs + (long)h * d * n + i;
    for (int b = 0; b < d; b++) {
      double sq = 0.0, sy = 0.0;
      for (int a = 0; a < d; a++) {
        sq += A[a * d + b] * ui[a]; /* (A^T u)_b */
        sy += V[b * d + a] * ui[a]; /* (V u)_b */
      }
      qi[b] = sq;
      qq += sq * sq;
      ys[b * n] = sy;
    }
    if (need_r)
      for (int b = 0; b < d; b++) {
        double sr = 0.0;
        for (int a = 0; a < d; a++) sr += A[b * d + a] * ui[a]; /* (A u)_b */
        rs[b * n] = sr;
      }
    k->qn[(long)h * n + i] = sqrt(qq);
  }
  return normalize ? 1.0 : nrm;
}

/* prepare_row with the loops over d unrolled for d = 2, 3, 4 (same operations, same order). */
static double prepare_row(spx_kernel *k, const double *x, int i, int need_r, int normalize)
{
  switch (k->d) {
  case 2: return prepare_row_k(2, k, x, i, need_r, normalize);
  case 3: return prepare_row_k(3, k, x, i, need_r, normalize);
  case 4: return prepare_row_k(4, k, x, i, need_r, normalize);
  default: return prepare_row_k(0, k, x, i, need_r, normalize);
  }
}

/* Normalize the rows (when norm-aware, or always when `unit`) and precompute q = A^T u, |q|,
 * y = V u (and r = A u when need_r). Returns SPX_ENONFINITE when x has a non-finite or zero row. */
static int prepare(spx_kernel *k, const double *x, int need_r, int unit)
{
  const int n = k->n, normalize = k->m->norm_aware || unit;
  double umax = 0.0;
  /* O(n d^2 H), in parallel with the rows (k->par): serial, it was 6 % of an n = 1024 run on
   * 2 threads (perf). */
  if (k->par) {
#pragma omp parallel for schedule(static) reduction(max : umax) num_threads(team_size(k))
    for (int i = 0; i < n; i++) umax = fmax(umax, prepare_row(k, x, i, need_r, normalize));
  } else {
    for (int i = 0; i < n; i++) umax = fmax(umax, prepare_row(k, x, i, need_r, normalize));
  }
  k->umax = umax;
  return report_bad(k, 0, n, "state (zero or non-finite row)");
}

/* ---- pair loops of one row ------------------------------------------------------------------ */

/* One row of one head over partners [lo, hi): z = sum_j e_j and s[a] = sum_j e_j ys[a][j] with
 * e_j = exp(L_j - shift), L_j = sum_a qb[a] us[a][j] (qb = beta q_i). The logit is formed as
 * qb_0 u_0 then fma over a = 1..d-1, in both paths. D is a compile-time constant 2, 3 or 4 after
 * inlining (small path): the loops unroll and the accumulators live in registers. STORE (a
 * constant too) also writes e_j to Eo[j - lo], whole groups of W (the tail lanes as zeros), for
 * the symmetric path. */
static inline __attribute__((always_inline)) double
row_small(const int D, const int STORE, const int NARROW, long n, const double *qb,
          const double *us, const double *ys, int lo, int hi, double shift, double *s, double *Eo)
{
  double z[W] = {0}, acc[4][W] = {{0}};
  int j = lo;
  for (; j + W <= hi; j += W) {
#pragma omp simd
    for (int l = 0; l < W; l++) {
      double L = qb[0] * us[j + l];
      for (int a = 1; a < D; a++) L = KFMA(qb[a], us[a * n + j + l], L);
      double e = kexp_k(!NARROW, L - shift);
      if (STORE) Eo[j - lo + l] = e;
      z[l] += e;
      for (int a = 0; a < D; a++) acc[a][l] = KFMA(e, ys[a * n + j + l], acc[a][l]);
    }
  }
  if (j < hi) { /* the tail: lanes l < hi - j; the others add exact zeros (padded arrays) */
    const int rem = hi - j;
#pragma omp simd
    for (int l = 0; l < W; l++) {
      double L = qb[0] * us[j + l];
      for (int a = 1; a < D; a++) L = KFMA(qb[a], us[a * n + j + l], L);
      double e = kexp_k(!NARROW, L - shift);
      e = l < rem ? e : 0.0;
      if (STORE) Eo[j - lo + l] = e;
      z[l] += e;
      for (int a = 0; a < D; a++) acc[a][l] = KFMA(e, ys[a * n + j + l], acc[a][l]);
    }
  }
  for (int a = 0; a < D; a++) s[a] = lanes_sum(acc[a]);
  return lanes_sum(z);
}

/* The small loop for d = 2, 3, 4, with the narrow exponential when `narrow`. */
#define ROW_D(D)                                                                                  \
  static double row_d##D(long n, const double *qb, const double *us, const double *ys, int lo,   \
                         int hi, double shift, double *s, int narrow)                             \
  {                                                                                               \
    return narrow ? row_small(D, 0, 1, n, qb, us, ys, lo, hi, shift, s, NULL)                     \
                  : row_small(D, 0, 0, n, qb, us, ys, lo, hi, shift, s, NULL);                    \
  }
ROW_D(2)
ROW_D(3)
ROW_D(4)
#undef ROW_D

/* Any d: the same operations as row_small in the same order (so the two agree bitwise), in three
 * passes over the partners so that the loops over the dimension do not carry a dependence through
 * memory: logits into Lr (scratch of hi - lo + W doubles), then the exponentials in place with the
 * lane sums of z, then the weighted sums, one dimension at a time with its W lanes in registers. */
static double row_generic(int d, long n, const double *restrict qb, const double *restrict us,
                          const double *restrict ys, int lo, int hi, double shift,
                          double *restrict s, double *restrict Lr, int narrow)
{
  const int len = hi - lo, nb = (len + W - 1) / W * W; /* whole groups of W; tail lanes padded */
  const double *u0 = us + lo, *y0 = ys + lo;
  double z[W] = {0};
#pragma omp simd
  for (int c = 0; c < nb; c++) Lr[c] = qb[0] * u0[c];
  for (int a = 1; a < d; a++) {
    const double qa = qb[a], *ua = u0 + a * n;
#pragma omp simd
    for (int c = 0; c < nb; c++) Lr[c] = KFMA(qa, ua[c], Lr[c]);
  }
  for (int c = 0; c < nb; c += W) {
    const int rem = len - c; /* lanes l >= rem are past the partners: exact zeros */
    if (narrow) {
#pragma omp simd
      for (int l = 0; l < W; l++) {
        double e = l < rem ? kexp_k(0, Lr[c + l] - shift) : 0.0;
        Lr[c + l] = e;
        z[l] += e;
      }
    } else {
#pragma omp simd
      for (int l = 0; l < W; l++) {
        double e = l < rem ? kexp(Lr[c + l] - shift) : 0.0;
        Lr[c + l] = e;
        z[l] += e;
      }
    }
  }
  for (int a = 0; a < d; a++) {
    const double *ya = y0 + a * n;
    double acc[W] = {0};
    for (int c = 0; c < nb; c += W) {
#pragma omp simd
      for (int l = 0; l < W; l++) acc[l] = KFMA(Lr[c + l], ya[c + l], acc[l]);
    }
    s[a] = lanes_sum(acc);
  }
  return lanes_sum(z);
}

/* Row i of head h with the given shift, through the small or the generic loop. scratch holds
 * d + n + W doubles (scaled query, logits of the row). */
static double row_sums(const spx_kernel *k, int h, int i, int lo, int hi, double shift, double *s,
                       double *scratch)
{
  const long n = k->n;
  const int d = k->d;
  const double beta = k->m->beta;
  const double *qi = k->q + ((long)h * n + i) * d, *ys = k->ys + (long)h * d * n;
  double *qb = scratch, *Lr = scratch + d;
  for (int a = 0; a < d; a++) qb[a] = beta * qi[a];
  /* every logit of the row is within the bound beta |q_i| max|u| of 0, whatever the shift */
  const int narrow = beta * k->qn[(long)h * n + i] * k->umax <= SPX_NARROW_BOUND;
  if (k->path == SPX_KERNEL_SMALL || k->path == SPX_KERNEL_SYM) {
    if (d == 3) return row_d3(n, qb, k->us, ys, lo, hi, shift, s, narrow);
    if (d == 2) return row_d2(n, qb, k->us, ys, lo, hi, shift, s, narrow);
    if (d == 4) return row_d4(n, qb, k->us, ys, lo, hi, shift, s, narrow);
  }
  return row_generic(d, n, qb, k->us, ys, lo, hi, shift, s, Lr, narrow);
}

/* Exact row maximum of the logits, formed as in the pair loops (the fallback when the bound
 * shift underflows): every L_j - max is then <= 0 exactly. */
static double row_max(const spx_kernel *k, int h, int i, int lo, int hi)
{
  const long n = k->n;
  const int d = k->d;
  const double beta = k->m->beta;
  const double *qi = k->q + ((long)h * n + i) * d;
  double mx = -INFINITY;
  for (int j = lo; j < hi; j++) {
    double l = (beta * qi[0]) * k->us[j];
    for (int a = 1; a < d; a++) l = KFMA(beta * qi[a], k->us[a * n + j], l);
    mx = fmax(mx, l);
  }
  return mx;
}

/* Shift of row i: bound of its logits, sum z and sums s; returns the shift used and sets *z. */
static double row_normalized(const spx_kernel *k, int h, int i, int lo, int hi, double *s,
                             double *z, double *scratch)
{
  double shift = k->m->beta * k->qn[(long)h * k->n + i] * k->umax;
  *z = row_sums(k, h, i, lo, hi, shift, s, scratch);
  if (!(*z > 1e-250)) { /* the bound was too loose: redo with the exact maximum */
    shift = row_max(k, h, i, lo, hi);
    *z = row_sums(k, h, i, lo, hi, shift, s, scratch);
  }
  return shift;
}

/* Coefficient of the sums of one head: 1/z (SA) or e^{shift - usa_shift} / n (USA). */
static double head_coef(const spx_model *m, double shift, double z)
{
  return m->norm == SPX_NORM_SA ? 1.0 / z : exp(shift - m->usa_shift) / m->n;
}

/* f_i = P_{u_i} F_i; flags row i when non-finite. */
static void row_project(spx_kernel *k, int i, const double *Fi, double *fi)
{
  const int d = k->d;
  const double *ui = k->u + (long)i * d;
  double p = 0.0;
  for (int a = 0; a < d; a++) p += ui[a] * Fi[a];
  int ok = 1;
  for (int a = 0; a < d; a++) {
    fi[a] = Fi[a] - p * ui[a];
    ok &= isfinite(fi[a]);
  }
  k->bad[i] = !ok;
}

/* Drive F_i of row i summed over heads; also stores log z_i per head. */
static void row_drive(spx_kernel *k, int i, double *Fi, double *s, double *scratch)
{
  const spx_model *m = k->m;
  const int d = k->d;
  int lo, hi;
  spx_model_partners(m, i, &lo, &hi);
  for (int a = 0; a < d; a++) Fi[a] = 0.0;
  for (int h = 0; h < k->H; h++) {
    double z, shift = row_normalized(k, h, i, lo, hi, s, &z, scratch);
    k->zrow[(long)h * k->n + i] = z;
    k->zsh[(long)h * k->n + i] = shift;
    double c = head_coef(m, shift, z);
    for (int a = 0; a < d; a++) Fi[a] += c * s[a];
  }
}

/* ---- the BLAS-3 path ------------------------------------------------------------------------ */

/* Rows [r0, r0 + nr) (nr <= SPX_KB_ROWS), all heads, by blocks of partners: S = beta Q_blk U^T
 * (dgemm), E = exp(S - shift_i) in place with the lane sums of z, then Sy += E Y^T (dgemm).
 * Masked partners get E = 0. Rows whose z underflows are redone by row_normalized. Row i of the
 * result goes to f + i d for the rows i in [wlo, whi) only; f = NULL: only the normalizers (zrow,
 * zsh; for the energy). Blocks always start at multiples of SPX_KB_ROWS, so that a row meets the
 * same dgemm calls whatever range of rows is asked for (MPI row blocks are bitwise serial). */
static void blas_rows(spx_kernel *k, int r0, int nr, double *f, int wlo, int whi, double *sl)
{
  const spx_model *m = k->m;
  const long n = k->n;
  const int d = k->d;
  double *S = sl + SLOT_ROW(n, d);                        /* nr x SPX_KB_COLS logits / weights */
  double *Sy = S + (long)SPX_KB_ROWS * SPX_KB_COLS;    /* nr x d sums of one head */
  double *Fb = Sy + (long)SPX_KB_ROWS * d;             /* nr x d summed drive */
  double *zl = Fb + (long)SPX_KB_ROWS * d;             /* nr x W lane sums of z */
  double *sh = zl + (long)SPX_KB_ROWS * W;             /* nr shifts */
  int lo_[SPX_KB_ROWS], hi_[SPX_KB_ROWS];              /* partner ranges */
  int blo = (int)n, bhi = 0;
  for (int r = 0; r < nr; r++) {
    int lo, hi;
    spx_model_partners(m, r0 + r, &lo, &hi);
    lo_[r] = lo;
    hi_[r] = hi;
    blo = lo < blo ? lo : blo;
    bhi = hi > bhi ? hi : bhi;
  }
  memset(Fb, 0, sizeof(double) * nr * d);
  for (int h = 0; h < k->H; h++) {
    const double *q = k->q + ((long)h * n + r0) * d, *ys = k->ys + (long)h * d * n;
    memset(Sy, 0, sizeof(double) * nr * d);
    memset(zl, 0, sizeof(double) * nr * W);
    for (int r = 0; r < nr; r++) sh[r] = m->beta * k->qn[(long)h * n + r0 + r] * k->umax;
    for (int j0 = blo; j0 < bhi; j0 += SPX_KB_COLS) {
      const int nc = bhi - j0 < SPX_KB_COLS ? bhi - j0 : SPX_KB_COLS;
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, nc, d, m->beta, q, d,
                  k->u + (long)j0 * d, d, 0.0, S, nc);
      for (int r = 0; r < nr; r++) {
        double *Sr = S + (long)r * nc, *z = zl + (long)r * W;
        const double shift = sh[r];
        const int clo = lo_[r] - j0, chi = hi_[r] - j0;
        if (clo <= 0 && chi >= nc) {
          int c = 0;
          if (shift <= SPX_NARROW_BOUND) { /* the shift is this row's bound */
            for (; c + W <= nc; c += W) {
#pragma omp simd
              for (int l = 0; l < W; l++) {
                double e = kexp_k(0, Sr[c + l] - shift);
                Sr[c + l] = e;
                z[l] += e;
              }
            }
          }
          for (; c + W <= nc; c += W) {
#pragma omp simd
            for (int l = 0; l < W; l++) {
              double e = kexp(Sr[c + l] - shift);
              Sr[c + l] = e;
              z[l] += e;
            }
          }
          for (int l = 0; c < nc; c++, l++) {
            double e = kexp(Sr[c] - shift);
            Sr[c] = e;
            z[l] += e;
          }
        } else {
          for (int c = 0; c < nc; c++) {
            double e = (c >= clo && c < chi) ? kexp(Sr[c] - shift) : 0.0;
            Sr[c] = e;
            z[c % W] += e;
          }
        }
      }
      if (f)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, d, nc, 1.0, S, nc, ys + j0, n,
                    1.0, Sy, d);
    }
    for (int r = 0; r < nr; r++) {
      const int i = r0 + r;
      double z = lanes_sum(zl + (long)r * W), shift = sh[r], *s = Sy + (long)r * d;
      if (!(z > 1e-250)) /* loose bound: redo this row with the exact maximum */
        shift = row_normalized(k, h, i, lo_[r], hi_[r], s, &z, sl);
      k->zrow[(long)h * n + i] = z;
      k->zsh[(long)h * n + i] = shift;
      double c = head_coef(m, shift, z);
      for (int a = 0; a < d; a++) Fb[(long)r * d + a] += c * s[a];
    }
  }
  for (int r = 0; r < nr && f; r++) {
    const int i = r0 + r;
    if (i < wlo || i >= whi) continue;
    memcpy(k->F + (long)i * d, Fb + (long)r * d, sizeof(double) * d);
    row_project(k, i, Fb + (long)r * d, f + (long)i * d);
  }
}

/* ---- the symmetric path --------------------------------------------------------------------- */

/* When A_h is symmetric the logits are symmetric, L_ij = L_ji, and with one shift c_h for every
 * row (c_h = beta max_i |q_i| max_j |u_j| bounds every logit) so are the weights
 * G_ij = exp(L_ij - c_h): each exponential serves row i (G_ij y_j) and row j (G_ij y_i), half the
 * exponentials of the row paths [ours]. The rows are cut in snb blocks of sb; tile (I, J), I <= J,
 * computes G on I x J by chunks of SPX_KS_ROWS rows: first each row of the chunk through the small
 * pair loop (row side, the lanes in registers; the G values stored), then the columns of the chunk
 * (column side: for each group of W columns the sums over the chunk's rows, in row order). Row
 * side of (I, J) -> P[J][i], column side -> P[I][j]; a diagonal tile covers each pair once (the
 * chunk's own square on the row side only) and stores row side + column side in P[I][i]. Every
 * P[K][i] comes from one tile in a fixed order, and row i sums P[0..snb)[i] in order: the result
 * does not depend on the threads, nor on the row range asked for (rhs_rows computes the tiles
 * that touch its blocks), so MPI row blocks stay bitwise serial. It differs from the row paths
 * only by rounding. A row whose z underflows under the common shift (beta |A| above ~350) is
 * redone on the row path with its exact maximum. */
static inline __attribute__((always_inline)) void
sym_tile(const int D, const int NARROW, spx_kernel *k, int h, int bi, int bj, double *sl)
{
  const long n = k->n;
  const int B = k->sb, ld = B + W, diag = bi == bj;
  const int ilo = bi * B, ihi = ilo + B < n ? ilo + B : (int)n;
  const int jlo = bj * B, jhi = jlo + B < n ? jlo + B : (int)n;
  const double beta = k->m->beta, shift = k->sshift[h];
  const double *us = k->us, *ys = k->ys + (long)h * D * n, *q = k->q + (long)h * n * D;
  double *E = sl + SLOT_ROW(n, D);           /* SPX_KS_ROWS x ld: G of the chunk's rows */
  double *col = E + (long)SPX_KS_ROWS * ld;  /* (D + 1) x ld: column sums z, s_a */
  double *prow = k->part + (long)bj * n * (D + 1), *pcol = k->part + (long)bi * n * (D + 1);
  memset(col, 0, sizeof(double) * (D + 1) * ld);
  for (int r0 = ilo; r0 < ihi; r0 += SPX_KS_ROWS) {
    const int r1 = r0 + SPX_KS_ROWS < ihi ? r0 + SPX_KS_ROWS : ihi;
    const int c0 = diag ? r0 : jlo;  /* row side from here (a multiple of W) */
    const int cc0 = diag ? r1 : jlo; /* column side from here (c0 + a multiple of W, or jhi) */
    for (int i = r0; i < r1; i++) {
      double qb[4], sv[4];
      for (int a = 0; a < D; a++) qb[a] = beta * q[(long)i * D + a];
      double *p = prow + (long)i * (D + 1);
      p[0] = row_small(D, 1, NARROW, n, qb, us, ys, c0, jhi, shift, sv, E + (long)(i - r0) * ld);
      for (int a = 0; a < D; a++) p[1 + a] = sv[a];
    }
    for (int c = cc0; c < jhi; c += W) {
      /* the column sums of this group, one component at a time (whole vectors: with the
       * components interleaved GCC moved single lanes, and the path ran 12 % slower) */
      double az[W], as[4][W];
#pragma omp simd
      for (int l = 0; l < W; l++) az[l] = col[c - jlo + l];
      for (int a = 0; a < D; a++)
#pragma omp simd
        for (int l = 0; l < W; l++) as[a][l] = col[(a + 1L) * ld + c - jlo + l];
      for (int i = r0; i < r1; i++) {
        const double *e = E + (long)(i - r0) * ld + (c - c0);
        double yi[4];
        for (int a = 0; a < D; a++) yi[a] = ys[a * n + i];
#pragma omp simd
        for (int l = 0; l < W; l++) {
          az[l] += e[l];
          for (int a = 0; a < D; a++) as[a][l] = KFMA(e[l], yi[a], as[a][l]);
        }
      }
#pragma omp simd
      for (int l = 0; l < W; l++) col[c - jlo + l] = az[l];
      for (int a = 0; a < D; a++)
#pragma omp simd
        for (int l = 0; l < W; l++) col[(a + 1L) * ld + c - jlo + l] = as[a][l];
    }
  }
  for (int j = jlo; j < jhi; j++) {
    double *p = pcol + (long)j * (D + 1);
    for (int a = 0; a <= D; a++) p[a] = (diag ? p[a] : 0.0) + col[(long)a * ld + j - jlo];
  }
}

/* Tiles for d = 2, 3, 4; the narrow exponential when the common shift allows it. */
#define SYM_TILE_D(D)                                                                             \
  static void sym_tile_d##D(spx_kernel *k, int h, int bi, int bj, double *sl)                     \
  {                                                                                               \
    if (k->sshift[h] <= SPX_NARROW_BOUND) sym_tile(D, 1, k, h, bi, bj, sl);                       \
    else sym_tile(D, 0, k, h, bi, bj, sl);                                                        \
  }
SYM_TILE_D(2)
SYM_TILE_D(3)
SYM_TILE_D(4)
#undef SYM_TILE_D

/* Row i after the tiles of head h: z_i, s_i from the partial sums in block order, its term of
 * F_i and, after the last head, f_i = P F_i at fr + i d (fr = NULL: only z_i and its shift). */
static void sym_row(spx_kernel *k, int h, int i, double *fr, double *scratch)
{
  const long n = k->n;
  const int d = k->d;
  double z = 0.0, s[4] = {0.0, 0.0, 0.0, 0.0}, shift = k->sshift[h], *Fi = k->F + i * d;
  for (int K = 0; K < k->snb; K++) {
    const double *p = k->part + ((long)K * n + i) * (d + 1);
    z += p[0];
    for (int a = 0; a < d; a++) s[a] += p[1 + a];
  }
  if (!(z > 1e-250)) /* the common shift was too loose for this row */
    shift = row_normalized(k, h, i, 0, (int)n, s, &z, scratch);
  k->zrow[h * n + i] = z;
  k->zsh[h * n + i] = shift;
  double c = head_coef(k->m, shift, z);
  for (int a = 0; a < d; a++) Fi[a] = (h == 0 ? 0.0 : Fi[a]) + c * s[a];
  if (h == k->H - 1 && fr) row_project(k, i, Fi, fr + i * d);
}

/* Tile t of head h, unless it touches none of the blocks [b0, b1] of the rows asked for. */
static void sym_tile_at(spx_kernel *k, int h, int t, int b0, int b1, double *sl)
{
  const int bi = k->tiles[2 * t], bj = k->tiles[2 * t + 1];
  if ((bi < b0 || bi > b1) && (bj < b0 || bj > b1)) return;
  if (k->d == 3) sym_tile_d3(k, h, bi, bj, sl);
  else if (k->d == 2) sym_tile_d2(k, h, bi, bj, sl);
  else sym_tile_d4(k, h, bi, bj, sl);
}

/* Rows [i0, i1) (i0 < i1) of the RHS on the symmetric path; row i at fr + i d. fr = NULL: only
 * the normalizers zrow, zsh (the energy). */
static void sym_rhs(spx_kernel *k, int i0, int i1, double *fr)
{
  const long n = k->n;
  const int H = k->H, B = k->sb, b0 = i0 / B, b1 = (i1 - 1) / B;
  const int ntiles = k->snb * (k->snb + 1) / 2;
  for (int h = 0; h < H; h++) {
    double qmax = 0.0;
    for (long i = 0; i < n; i++) qmax = fmax(qmax, k->qn[h * n + i]);
    k->sshift[h] = k->m->beta * qmax * k->umax;
  }
  if (!k->par) { /* small systems: no OpenMP construct at all (ensembles run one system per
                  * thread, and even a serialized parallel region allocates a team) */
    for (int h = 0; h < H; h++) {
      for (int t = 0; t < ntiles; t++) sym_tile_at(k, h, t, b0, b1, k->slots);
      for (int i = i0; i < i1; i++) sym_row(k, h, i, fr, k->slots);
    }
    return;
  }
#pragma omp parallel num_threads(team_size(k))
  {
    double *sl = slot(k);
    for (int h = 0; h < H; h++) {
#pragma omp for schedule(dynamic, 1)
      for (int t = 0; t < ntiles; t++) sym_tile_at(k, h, t, b0, b1, sl);
#pragma omp for schedule(static)
      for (int i = i0; i < i1; i++) sym_row(k, h, i, fr, sl);
    }
  }
}

/* ---- right-hand side, J·v, energy ------------------------------------------------------------ */

int spx_kernel_rhs_rows(spx_kernel *k, const double *x, int i0, int i1, double *f)
{
  const int d = k->d;
  if (i0 < 0 || i1 > k->n || i0 > i1) return SPX_EINVAL;
  k->stats.rhs_evals++;
  int status = prepare(k, x, 0, 0);
  if (status != SPX_OK) return status;
  double *fr = f - (long)i0 * d; /* row i of the result at fr + i d */
  if (k->path == SPX_KERNEL_SYM) {
    if (i0 < i1) sym_rhs(k, i0, i1, fr);
  } else if (k->path == SPX_KERNEL_BLAS) {
    const int b0 = i0 / SPX_KB_ROWS, b1 = (i1 + SPX_KB_ROWS - 1) / SPX_KB_ROWS;
#pragma omp parallel for schedule(dynamic, 1) if (k->par) num_threads(team_size(k))
    for (int b = b0; b < b1; b++) {
      const int r0 = b * SPX_KB_ROWS;
      blas_rows(k, r0, k->n - r0 < SPX_KB_ROWS ? k->n - r0 : SPX_KB_ROWS, fr, i0, i1, slot(k));
    }
  } else if (k->par) {
#pragma omp parallel num_threads(team_size(k))
    {
      double *sl = slot(k), *s = sl + SLOT_ROW(k->n, d) - d; /* the row sums */
#pragma omp for schedule(dynamic, 16)
      for (int i = i0; i < i1; i++) {
        double *Fi = k->F + (long)i * d;
        row_drive(k, i, Fi, s, sl);
        row_project(k, i, Fi, fr + (long)i * d);
      }
    }
  } else { /* small systems: no thread team at all (ensembles run one system per thread) */
    double *sl = k->slots, *s = sl + SLOT_ROW(k->n, d) - d;
    for (int i = i0; i < i1; i++) {
      double *Fi = k->F + (long)i * d;
      row_drive(k, i, Fi, s, sl);
      row_project(k, i, Fi, fr + (long)i * d);
    }
  }
  return report_bad(k, i0, i1, "right-hand side");
}

int spx_kernel_rhs(spx_kernel *k, const double *x, double *f)
{
  return spx_kernel_rhs_rows(k, x, 0, k->n, f);
}

int spx_kernel_jv(spx_kernel *k, const double *x, const double *v, double *Jv)
{
  return spx_kernel_jv_rows(k, x, v, 0, k->n, Jv);
}

int spx_kernel_jv_rows(spx_kernel *k, const double *x, const double *v, int i0, int i1,
                       double *Jv)
{
  const spx_model *m = k->m;
  const int n = k->n, d = k->d, H = k->H;
  const double beta = m->beta;
  if (i0 < 0 || i1 > n || i0 > i1) return SPX_EINVAL;
  Jv -= (long)i0 * d; /* row i of the result at Jv + i d */
  k->stats.jv_evals++;
  int status = prepare(k, x, 1, 0);
  if (status != SPX_OK) return status;

  /* du_j and V_h du_j. */
#pragma omp parallel for schedule(static) if (k->par) num_threads(team_size(k))
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

#pragma omp parallel if (k->par) num_threads(team_size(k))
  {
    double s[d], b[d], c[d], F[d], dF[d], *sl = slot(k);
#pragma omp for schedule(dynamic, 16)
    for (int i = i0; i < i1; i++) {
      int lo, hi;
      spx_model_partners(m, i, &lo, &hi);
      const double *ui = k->u + (long)i * d, *dui = k->du + (long)i * d;
      for (int a = 0; a < d; a++) F[a] = dF[a] = 0.0;
      for (int h = 0; h < H; h++) {
        const double *qi = k->q + ((long)h * n + i) * d;
        const double *ys = k->ys + (long)h * d * n, *rs = k->rs + (long)h * d * n;
        const double *vdus = k->vdus + (long)h * d * n;
        double z, shift = row_normalized(k, h, i, lo, hi, s, &z, sl), asum = 0.0;
        for (int a = 0; a < d; a++) b[a] = c[a] = 0.0;
        for (int j = lo; j < hi; j++) {
          double l = (beta * qi[0]) * k->us[j], dl = 0.0;
          for (int a = 1; a < d; a++) l = KFMA(beta * qi[a], k->us[(long)a * n + j], l);
          for (int a = 0; a < d; a++)
            dl += dui[a] * rs[(long)a * n + j] + qi[a] * k->dus[(long)a * n + j];
          double e = kexp(l - shift);
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
  return report_bad(k, i0, i1, "Jacobian-vector product");
}

double spx_kernel_log_energy(spx_kernel *k, const double *x)
{
  const spx_model *m = k->m;
  const int n = k->n, d = k->d, H = k->H;
  if (!(m->beta > 0.0)) return NAN;
  if (prepare(k, x, 0, 1) != SPX_OK) return NAN; /* always on renormalized rows (spec §3) */
  if (k->path == SPX_KERNEL_SYM) { /* the row sums Z_i of the symmetric tiles: half the exps */
    sym_rhs(k, 0, n, NULL);
    for (long r = 0; r < (long)H * n; r++) k->zrow[r] = k->zsh[r] + log(k->zrow[r]);
  } else if (k->path == SPX_KERNEL_BLAS) {
    const int nblk = (n + SPX_KB_ROWS - 1) / SPX_KB_ROWS;
#pragma omp parallel for schedule(dynamic, 1) if (k->par) num_threads(team_size(k))
    for (int b = 0; b < nblk; b++) {
      const int r0 = b * SPX_KB_ROWS;
      blas_rows(k, r0, n - r0 < SPX_KB_ROWS ? n - r0 : SPX_KB_ROWS, NULL, 0, n, slot(k));
    }
    for (long r = 0; r < (long)H * n; r++) k->zrow[r] = k->zsh[r] + log(k->zrow[r]);
  } else
#pragma omp parallel if (k->par) num_threads(team_size(k))
  {
    double s[d], *sl = slot(k);
#pragma omp for schedule(dynamic, 16)
    for (int i = 0; i < n; i++) {
      int lo, hi;
      spx_model_partners(m, i, &lo, &hi);
      for (int h = 0; h < H; h++) {
        double z, shift = row_normalized(k, h, i, lo, hi, s, &z, sl);
        k->zrow[(long)h * n + i] = shift + log(z); /* log Z_i */
      }
    }
  }
  /* log sum over heads and rows, in a fixed order */
  double mx = -INFINITY;
  for (long r = 0; r < (long)H * n; r++) mx = fmax(mx, k->zrow[r]);
  double acc = 0.0;
  for (long r = 0; r < (long)H * n; r++) acc += exp(k->zrow[r] - mx);
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
    /* SA: metric weight Z_i = e^zsh z (one head); USA: n (spec §3). In the rescaled USA clock
     * tau = e^{shift} t the RHS is e^{-shift} dx/dt, so dE/dtau = e^{shift} n |f|^2. */
    double w = (m->norm == SPX_NORM_SA) ? exp(k->zsh[i] + log(k->zrow[i]))
                                        : (double)n * exp(m->usa_shift);
    acc += w * f2;
  }
  return acc;
}
