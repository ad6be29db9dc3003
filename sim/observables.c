/* observables.c -- order parameters of a state and classification of the final state
 * (spec sphere_dynamics.md §7 items 1-9, thresholds of §10).
 *
 * Every quantity is computed on the renormalized rows u_i = x_i/|x_i| (x frame), in the mode basis
 * of the model: y_i^k = <u_i, u_k> with u_k the k-th column of model->U (Y = U^T u per row, §7
 * preamble). With A_k, M_k, Pi_k, f_+, sign memory, delta_pm as in §7 items 2-6:
 *   A_k  = (1/n) sum_i (y_i^k)^2,  M_k = (1/n) sum_i y_i^k,  Pi_k = A_k - M_k^2,
 *   k*   = argmax_k A_k (ties: the lowest k),  f_+ = #{y_i^k* > 0}/n,
 *   delta_pm = max_i (1 - |y_i^k*|),
 * the global order parameters of §7 item 7 (|mean u_i|, lambda_max of C = (1/n) sum u_i u_i^T,
 * min_{i != j} <u_i,u_j>), the union-find cluster count of §7 item 8 at <u_i,u_j> > threshold with
 * the cluster masses, the norm drift of item 9 and the speed of item 10 (max_i |f_i|, sum |f_i|^2).
 *
 * Energy (§3 monitoring recipe, §7 item 1): log E_beta from spx_kernel_log_energy, only when every
 * head has a symmetric A (otherwise there is no energy, §3 "Asymmetric A or V"). The relative
 * increment (E - E_prev)/|E_prev| is expm1(log E - log E_prev), exact for E > 0 and free of the
 * cancellation of a difference of two large numbers.
 *
 * Sign memory (§7 item 5): spx_obs_set_reference stores sgn y_i^k(0) for EVERY k, because k* is
 * the mode selected at time t, not known at t = 0.
 *
 * Classification [D] (the project's derived choice; spec §7 item 6 and §10 give the thresholds
 * only):
 *   - pure mode iff delta_pm < pm_tol (1e-3): homogeneous when all particles are on one side of
 *     u_k* (n_- = 0 or n_+ = 0, counted on y^k*), else split with (n_+, n_-);
 *   - otherwise clustered iff every union-find component is tight (a clique: every pair inside has
 *     <u_i,u_j> > threshold, so a chain of close particles spread over a long arc is not a
 *     cluster) and the state is stationary (speed < speed_tol; a NaN speed, i.e. no RHS given, is
 *     not stationary);
 *   - otherwise unconverged.
 * n_+, n_- and the tightness are not fields of spx_obs_values: spx_obs_classify takes them from
 * the workspace, so v must be the values of the last spx_obs_compute on o (the pointer it returns).
 *
 * Cost: O(n d^2) for Y, O(n d^2 + d^3) for C, O(n^2 d) for min_inner and the clusters (a second
 * pass over the pairs of the same component checks tightness), plus the kernel's O(n^2 d H)
 * energy. From SPX_OBS_PAR_PAIRS pairs on, the pair passes run over OpenMP threads: each thread
 * unites the close pairs of its rows in a forest of its own, and the forests are merged in thread
 * order. The result does not depend on the threads: the minimum is exact, the components of the
 * threshold graph are what they are whatever the order of the unions, and every union keeps the
 * smaller root, so a component's label is its smallest index. Sums have fixed orders: the
 * results are bitwise reproducible. The workspace is allocated once in spx_obs_create.
 */
#include "observables.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
#include <omp.h>

#include "mat.h"
#include "status.h"

/* Below this max |A - A^T| a head counts as symmetric for the energy (brief; round-off margin). */
#define SPX_OBS_SYM_TOL 1e-12
/* Pairs from which the pair passes use threads (below, a thread team costs more than it saves). */
#define SPX_OBS_PAR_PAIRS 4e6

struct spx_obs {
  const spx_model *m;
  spx_classify_settings cs;
  spx_obs_values v;        /* returned to the caller; arrays point into this workspace */
  double *u;               /* [n d] renormalized rows */
  double *y;               /* [n d] mode coordinates y_i^k = <u_i, u_k> */
  signed char *ref_sign;   /* [n d] sgn y_i^k at the reference state */
  int have_ref;
  int *label;              /* [n] union-find parents / roots */
  int nforest;             /* threads of the pair passes (1: serial) */
  int *forest;             /* [nforest n] the threads' own union-find forests */
  int n_plus, n_minus;     /* counts of y_i^k* > 0 and < 0 at the last compute */
  int tight;               /* 1 if every cluster of the last compute is a clique */
  double log_e_prev;       /* log E at the previous compute (NaN before the first) */
  gsl_matrix *C;           /* d x d nematic tensor (destroyed by the eigen-solver) */
  gsl_vector *eval;        /* d eigenvalues of C */
  gsl_eigen_symm_workspace *ew;
};

const char *spx_class_name(spx_class c)
{
  switch (c) {
  case SPX_CLASS_HOMOGENEOUS: return "homogeneous";
  case SPX_CLASS_SPLIT: return "split";
  case SPX_CLASS_CLUSTERED: return "clustered";
  case SPX_CLASS_UNCONVERGED: return "unconverged";
  default: return "unknown";
  }
}

void spx_obs_free(spx_obs *o)
{
  if (!o) return;
  free(o->u);
  free(o->y);
  free(o->ref_sign);
  free(o->label);
  free(o->forest);
  free(o->v.alignment);
  free(o->v.magnetization);
  free(o->v.polarization);
  free(o->v.cluster_mass);
  if (o->C) gsl_matrix_free(o->C);
  if (o->eval) gsl_vector_free(o->eval);
  if (o->ew) gsl_eigen_symm_free(o->ew);
  free(o);
}

int spx_obs_create(const spx_model *m, const spx_classify_settings *cs, spx_obs **out)
{
  int status = SPX_OK;
  spx_obs *o = NULL;
  size_t nd;
  if (!out) return SPX_EINVAL;
  *out = NULL;
  if (!m || m->n < 1 || m->d < 1 || !m->U) {
    spx_error("observables: the model needs n >= 1, d >= 1 and a mode basis U");
    return SPX_EINVAL;
  }
  if (cs && !(cs->pm_tol > 0 && cs->speed_tol > 0 && cs->cluster_threshold > -1 &&
              cs->cluster_threshold < 1)) {
    spx_error("observables: classify settings need pm_tol > 0, speed_tol > 0 and "
              "-1 < cluster_threshold < 1 (got %g, %g, %g)",
              cs->pm_tol, cs->speed_tol, cs->cluster_threshold);
    return SPX_EINVAL;
  }
  nd = (size_t)m->n * (size_t)m->d;
  o = calloc(1, sizeof *o);
  if (!o) { status = SPX_ENOMEM; goto cleanup; }
  o->m = m;
  if (cs) {
    o->cs = *cs;
  } else { /* spec §10 defaults */
    o->cs.pm_tol = 1e-3;
    o->cs.cluster_threshold = 0.999;
    o->cs.speed_tol = 1e-6;
  }
  o->u = malloc(nd * sizeof *o->u);
  o->y = malloc(nd * sizeof *o->y);
  o->ref_sign = malloc(nd * sizeof *o->ref_sign);
  o->label = malloc((size_t)m->n * sizeof *o->label);
  o->nforest = (double)m->n * m->n / 2 >= SPX_OBS_PAR_PAIRS ? omp_get_max_threads() : 1;
  if (o->nforest > 1) o->forest = malloc((size_t)o->nforest * m->n * sizeof *o->forest);
  o->v.alignment = malloc((size_t)m->d * sizeof(double));
  o->v.magnetization = malloc((size_t)m->d * sizeof(double));
  o->v.polarization = malloc((size_t)m->d * sizeof(double));
  o->v.cluster_mass = malloc((size_t)m->n * sizeof(int));
  o->C = gsl_matrix_alloc((size_t)m->d, (size_t)m->d);
  o->eval = gsl_vector_alloc((size_t)m->d);
  o->ew = gsl_eigen_symm_alloc((size_t)m->d);
  if (!o->u || !o->y || !o->ref_sign || !o->label || (o->nforest > 1 && !o->forest) ||
      !o->v.alignment || !o->v.magnetization ||
      !o->v.polarization || !o->v.cluster_mass || !o->C || !o->eval || !o->ew) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  o->log_e_prev = NAN;
  *out = o;
  o = NULL;
cleanup:
  if (status == SPX_ENOMEM) spx_error("observables: out of memory (n = %d, d = %d)", m->n, m->d);
  spx_obs_free(o);
  return status;
}

void spx_obs_set_reference(spx_obs *o, const double *x0)
{
  int n = o->m->n, d = o->m->d;
  const double *U = o->m->U;
  /* The sign of <x_i, u_k> does not depend on |x_i| > 0, so no renormalization is needed. */
  for (int i = 0; i < n; i++) {
    const double *xi = x0 + (size_t)i * d;
    for (int k = 0; k < d; k++) {
      double s = 0;
      for (int l = 0; l < d; l++) s += xi[l] * U[l * d + k];
      o->ref_sign[(size_t)i * d + k] = (signed char)((s > 0) - (s < 0));
    }
  }
  o->have_ref = 1;
}

/* Union-find root with path halving (deterministic). */
static int uf_find(int *parent, int i)
{
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

/* Merge the components of i and j; the smaller root index becomes the root (deterministic). */
static void uf_union(int *parent, int i, int j)
{
  int a = uf_find(parent, i), b = uf_find(parent, j);
  if (a == b) return;
  if (a < b) parent[b] = a;
  else parent[a] = b;
}

static double dot(int d, const double *a, const double *b)
{
  double s = 0;
  for (int l = 0; l < d; l++) s += a[l] * b[l];
  return s;
}

/* cos of the angle between rows i and j; unit != 0 means the rows are already normalized. */
static double pair_cos(int d, const double *x, int i, int j, int unit)
{
  const double *a = x + (size_t)i * d, *b = x + (size_t)j * d;
  double ab = dot(d, a, b);
  if (unit) return ab;
  return ab / sqrt(dot(d, a, a) * dot(d, b, b));
}

static int cmp_int_desc(const void *pa, const void *pb)
{
  int a = *(const int *)pa, b = *(const int *)pb;
  return (a < b) - (a > b);
}

/* Turn the union-find forest in label[] into the count of components and the masses (descending)
 * when mass != NULL. Afterwards label[i] is the root of i. */
static int finish_clusters(int n, int *label, int *mass)
{
  int count = 0;
  for (int i = 0; i < n; i++) label[i] = uf_find(label, i);
  if (mass) {
    for (int i = 0; i < n; i++) mass[i] = 0;
    for (int i = 0; i < n; i++) mass[label[i]]++;
    for (int i = 0; i < n; i++)
      if (mass[i] > 0) mass[count++] = mass[i]; /* count <= i: compaction in place */
    for (int i = count; i < n; i++) mass[i] = 0;
    qsort(mass, (size_t)count, sizeof *mass, cmp_int_desc);
  } else {
    for (int i = 0; i < n; i++) count += label[i] == i;
  }
  return count;
}

int spx_obs_count_clusters(int n, int d, const double *x, double threshold, int *label, int *mass)
{
  for (int i = 0; i < n; i++) label[i] = i;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (pair_cos(d, x, i, j, 0) > threshold) uf_union(label, i, j);
  return finish_clusters(n, label, mass);
}

/* Pairs (i, j > i) of the rows [i0, i1) of the unit rows u: min inner product, close pairs
 * united in the forest lab. */
static double pairs_rows(const spx_obs *o, int i0, int i1, int *lab, double mn)
{
  const int n = o->m->n, d = o->m->d;
  const double thr = o->cs.cluster_threshold;
  for (int i = i0; i < i1; i++)
    for (int j = i + 1; j < n; j++) {
      double c = pair_cos(d, o->u, i, j, 1);
      if (c < mn) mn = c;
      if (c > thr) uf_union(lab, i, j);
    }
  return mn;
}

/* 0 if row i has a partner j > i in its component that is not close (label = roots). */
static int row_tight(const spx_obs *o, int i, const int *label)
{
  const int n = o->m->n, d = o->m->d;
  for (int j = i + 1; j < n; j++)
    if (label[i] == label[j] && !(pair_cos(d, o->u, i, j, 1) > o->cs.cluster_threshold)) return 0;
  return 1;
}

/* One pass over the pairs i < j of the unit rows u: min inner product and union-find edges;
 * then a pass over the pairs inside each component to check that it is a clique. */
static void pairs_pass(spx_obs *o, double *min_inner, int *clusters, int *tight)
{
  const int n = o->m->n, nf = o->nforest;
  int *label = o->label, ok = 1;
  double mn = 1.0;
  for (int i = 0; i < n; i++) label[i] = i;
  if (nf <= 1) {
    mn = pairs_rows(o, 0, n, label, mn);
    *clusters = finish_clusters(n, label, o->v.cluster_mass);
    for (int i = 0; i < n && ok; i++) ok = row_tight(o, i, label);
  } else {
    for (long r = 0; r < (long)nf * n; r++) o->forest[r] = (int)(r % n);
#pragma omp parallel for schedule(dynamic, 16) reduction(min : mn) num_threads(nf)
    for (int i = 0; i < n; i++)
      mn = pairs_rows(o, i, i + 1, o->forest + (long)omp_get_thread_num() * n, mn);
    for (int t = 0; t < nf; t++) /* merge the forests (the components do not depend on it) */
      for (int i = 0; i < n; i++) uf_union(label, i, uf_find(o->forest + (long)t * n, i));
    *clusters = finish_clusters(n, label, o->v.cluster_mass);
#pragma omp parallel for schedule(dynamic, 16) reduction(&& : ok) num_threads(nf)
    for (int i = 0; i < n; i++)
      if (ok) ok = row_tight(o, i, label);
  }
  *tight = ok;
  *min_inner = n > 1 ? mn : 1.0;
}

/* 1 if every head's logit form A is symmetric (the energy exists, spec §3). */
static int heads_symmetric(const spx_model *m)
{
  if (!m->heads || m->nheads < 1) return 0;
  for (int h = 0; h < m->nheads; h++)
    if (!m->heads[h].A || spx_mat_asymmetry(m->d, m->heads[h].A) >= SPX_OBS_SYM_TOL) return 0;
  return 1;
}

int spx_obs_compute(spx_obs *o, spx_kernel *kern, double t, const double *x, const double *f,
                    const spx_obs_values **out)
{
  int status = SPX_OK;
  const spx_model *m;
  int n, d, ks = 0, np = 0, nm = 0;
  spx_obs_values *v;
  double drift = 0, best, dpm = 0, sm = 0, r2 = 0;
  if (!o || !x || !out) return SPX_EINVAL;
  m = o->m;
  n = m->n;
  d = m->d;
  v = &o->v;
  *out = NULL;

  /* Renormalized rows and the norm drift (§7 item 9). */
  for (int i = 0; i < n; i++) {
    const double *xi = x + (size_t)i * d;
    double *ui = o->u + (size_t)i * d;
    double r = sqrt(dot(d, xi, xi));
    if (!(r > 0) || !isfinite(r)) {
      spx_error("observables: particle %d has norm %g at t = %g (cannot renormalize)", i, r, t);
      status = SPX_ENONFINITE;
      goto cleanup;
    }
    for (int l = 0; l < d; l++) ui[l] = xi[l] / r;
    if (fabs(r - 1.0) > drift) drift = fabs(r - 1.0);
  }
  v->t = t;
  v->norm_drift = drift;

  /* Mode coordinates Y = u U (row i: y_i^k = sum_l u_i[l] U[l][k]) and the per-mode moments. */
  for (int k = 0; k < d; k++) v->alignment[k] = v->magnetization[k] = 0;
  for (int i = 0; i < n; i++) {
    const double *ui = o->u + (size_t)i * d;
    double *yi = o->y + (size_t)i * d;
    for (int k = 0; k < d; k++) {
      double s = 0;
      for (int l = 0; l < d; l++) s += ui[l] * m->U[l * d + k];
      yi[k] = s;
      v->alignment[k] += s * s;
      v->magnetization[k] += s;
    }
  }
  for (int k = 0; k < d; k++) {
    v->alignment[k] /= n;
    v->magnetization[k] /= n;
    v->polarization[k] = v->alignment[k] - v->magnetization[k] * v->magnetization[k];
  }
  /* k* = argmax A_k, ties to the lowest k (strict >). */
  best = v->alignment[0];
  for (int k = 1; k < d; k++)
    if (v->alignment[k] > best) { best = v->alignment[k]; ks = k; }
  v->kstar = ks;

  /* f_+, delta_pm, sign memory on y^k* (§7 items 5, 6). */
  for (int i = 0; i < n; i++) {
    double yk = o->y[(size_t)i * d + ks];
    int s = (yk > 0) - (yk < 0);
    np += s > 0;
    nm += s < 0;
    if (1.0 - fabs(yk) > dpm) dpm = 1.0 - fabs(yk);
    if (o->have_ref && s == o->ref_sign[(size_t)i * d + ks]) sm += 1;
  }
  o->n_plus = np;
  o->n_minus = nm;
  v->f_plus = (double)np / n;
  v->delta_pm = dpm;
  v->sign_memory = o->have_ref ? sm / n : NAN;

  /* Mean resultant |mean u_i| and the nematic tensor C = (1/n) sum u_i u_i^T (§7 item 7). */
  for (int a = 0; a < d; a++) {
    double s = 0;
    for (int i = 0; i < n; i++) s += o->u[(size_t)i * d + a];
    s /= n;
    r2 += s * s;
    for (int b = a; b < d; b++) {
      double c = 0;
      for (int i = 0; i < n; i++) c += o->u[(size_t)i * d + a] * o->u[(size_t)i * d + b];
      c /= n;
      gsl_matrix_set(o->C, (size_t)a, (size_t)b, c);
      gsl_matrix_set(o->C, (size_t)b, (size_t)a, c);
    }
  }
  v->mean_resultant = sqrt(r2);
  if (gsl_eigen_symm(o->C, o->eval, o->ew) != GSL_SUCCESS) {
    spx_error("observables: eigenvalues of the nematic tensor failed at t = %g", t);
    status = SPX_EINTERNAL;
    goto cleanup;
  }
  v->nematic = gsl_vector_max(o->eval);

  /* O(n^2 d): min inner product, clusters and their tightness (§7 items 7, 8). */
  pairs_pass(o, &v->min_inner, &v->clusters, &o->tight);

  /* Speed (§7 item 10) from the RHS when given. */
  if (f) {
    double mx = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
      const double *fi = f + (size_t)i * d;
      double q = dot(d, fi, fi);
      s2 += q;
      if (!(sqrt(q) <= mx)) mx = sqrt(q); /* propagates NaN */
    }
    v->speed = mx;
    v->speed2 = s2;
  } else {
    v->speed = v->speed2 = NAN;
  }

  /* Energy and its relative increment (§3 monitoring recipe; see the header comment). */
  v->log_energy = (kern && heads_symmetric(m)) ? spx_kernel_log_energy(kern, x) : NAN;
  v->energy_rel_inc = (isfinite(v->log_energy) && isfinite(o->log_e_prev))
                          ? expm1(v->log_energy - o->log_e_prev)
                          : NAN;
  o->log_e_prev = v->log_energy;
  *out = v;
cleanup:
  return status;
}

spx_classification spx_obs_classify(const spx_obs *o, const spx_obs_values *v)
{
  spx_classification c;
  c.mode = v->kstar;
  c.clusters = v->clusters;
  c.n_plus = o->n_plus;
  c.n_minus = o->n_minus;
  if (v->delta_pm < o->cs.pm_tol)
    c.cls = (c.n_plus == 0 || c.n_minus == 0) ? SPX_CLASS_HOMOGENEOUS : SPX_CLASS_SPLIT;
  else if (o->tight && v->speed < o->cs.speed_tol) /* NaN speed: not stationary */
    c.cls = SPX_CLASS_CLUSTERED;
  else
    c.cls = SPX_CLASS_UNCONVERGED;
  return c;
}
