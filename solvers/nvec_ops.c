/* nvec_ops.c -- CVODE's vector operations, compiled with our flags (nvec_ops.h).
 *
 * Element by element each operation is SUNDIALS' serial one (documented semantics of
 * N_VLinearSum etc. in the SUNDIALS 6.4 manual, §9.1), including the cases where N_VLinearSum
 * does not form a x + b y: a == b (not +-1) gives a (x + y), a == -b gives a (x - y). Sums run
 * left to right over the global index, as the library's serial vector does; without
 * -ffp-contract (the project builds -std=c11, where GCC does not contract) no fma is formed.
 * Results are therefore bitwise those of the library's own serial operations; only the speed
 * differs (the library is built -O0, nvec_ops.h).
 *
 * MPI (parallel = 1): NVECTOR_PARALLEL would sum each rank's part, then add the parts
 * (MPI_Allreduce): another order than one process, so CVODE's norms, and through its step and
 * iteration decisions the whole run, would differ from the serial run in the last bits
 * (measured: 1e-8 relative for BDF at rtol 1e-8, where a step is accepted on one side and not on
 * the other). Here rank r receives the running sum of the ranks before it, adds its terms in
 * order, passes it on, and the last rank broadcasts it [ours]: P - 1 messages of one double in
 * sequence per reduction, negligible against the right-hand side's O(n d) all-gather. Maxima and
 * minima are exact in any order and keep SUNDIALS' own parallel operations there.
 */
#include "nvec_ops.h"

#include <math.h>

#ifdef SPX_HAVE_MPI
#include <mpi.h>
#include <nvector/nvector_parallel.h>
#endif

/* Local part: data and length of this process's piece (the whole vector when serial). */
static double *dat(N_Vector v) { return v->ops->nvgetarraypointer(v); }
static sunindextype len(N_Vector v)
{
  return v->ops->nvgetlocallength ? v->ops->nvgetlocallength(v) : v->ops->nvgetlength(v);
}

/* ---- element-wise operations ----------------------------------------------------------------- */

static void nv_linearsum(sunrealtype a, N_Vector x, sunrealtype b, N_Vector y, N_Vector z)
{
  const double *xd = dat(x), *yd = dat(y);
  double *zd = dat(z);
  const sunindextype N = len(x);
  if (a == b && a != 1.0 && a != -1.0) {
    for (sunindextype i = 0; i < N; i++) zd[i] = a * (xd[i] + yd[i]);
  } else if (a == -b && a != 1.0 && a != -1.0) {
    for (sunindextype i = 0; i < N; i++) zd[i] = a * (xd[i] - yd[i]);
  } else {
    /* a or b = +-1 (and 0): multiplying by them is exact, so this is the library's x + y,
     * x - y, a x + y, a x - y as well */
    for (sunindextype i = 0; i < N; i++) zd[i] = a * xd[i] + b * yd[i];
  }
}

static void nv_const(sunrealtype c, N_Vector z)
{
  double *zd = dat(z);
  const sunindextype N = len(z);
  for (sunindextype i = 0; i < N; i++) zd[i] = c;
}

static void nv_prod(N_Vector x, N_Vector y, N_Vector z)
{
  const double *xd = dat(x), *yd = dat(y);
  double *zd = dat(z);
  const sunindextype N = len(x);
  for (sunindextype i = 0; i < N; i++) zd[i] = xd[i] * yd[i];
}

static void nv_div(N_Vector x, N_Vector y, N_Vector z)
{
  const double *xd = dat(x), *yd = dat(y);
  double *zd = dat(z);
  const sunindextype N = len(x);
  for (sunindextype i = 0; i < N; i++) zd[i] = xd[i] / yd[i];
}

static void nv_scale(sunrealtype c, N_Vector x, N_Vector z)
{
  const double *xd = dat(x);
  double *zd = dat(z);
  const sunindextype N = len(x);
  for (sunindextype i = 0; i < N; i++) zd[i] = c * xd[i]; /* c = 1, -1: exact, as the library */
}

static void nv_abs(N_Vector x, N_Vector z)
{
  const double *xd = dat(x);
  double *zd = dat(z);
  const sunindextype N = len(x);
  for (sunindextype i = 0; i < N; i++) zd[i] = fabs(xd[i]);
}

static void nv_inv(N_Vector x, N_Vector z)
{
  const double *xd = dat(x);
  double *zd = dat(z);
  const sunindextype N = len(x);
  for (sunindextype i = 0; i < N; i++) zd[i] = 1.0 / xd[i];
}

static void nv_addconst(N_Vector x, sunrealtype b, N_Vector z)
{
  const double *xd = dat(x);
  double *zd = dat(z);
  const sunindextype N = len(x);
  for (sunindextype i = 0; i < N; i++) zd[i] = xd[i] + b;
}

static void nv_compare(sunrealtype c, N_Vector x, N_Vector z)
{
  const double *xd = dat(x);
  double *zd = dat(z);
  const sunindextype N = len(x);
  for (sunindextype i = 0; i < N; i++) zd[i] = fabs(xd[i]) >= c ? 1.0 : 0.0;
}

/* ---- sums in the serial order ------------------------------------------------------------------ */

enum { NV_WSQR, NV_WSQR_MASK, NV_DOT, NV_ABS };

/* sum + the local terms of x (with w, mask id) in index order. */
static double local_sum(double sum, N_Vector x, N_Vector w, N_Vector id, int kind)
{
  const sunindextype N = len(x);
  const double *xd = dat(x), *wd = w ? dat(w) : NULL, *md = id ? dat(id) : NULL;
  switch (kind) {
  case NV_WSQR:
    for (sunindextype i = 0; i < N; i++) {
      double p = xd[i] * wd[i];
      sum += p * p;
    }
    break;
  case NV_WSQR_MASK:
    for (sunindextype i = 0; i < N; i++)
      if (md[i] > 0.0) {
        double p = xd[i] * wd[i];
        sum += p * p;
      }
    break;
  case NV_DOT:
    for (sunindextype i = 0; i < N; i++) sum += xd[i] * wd[i];
    break;
  default:
    for (sunindextype i = 0; i < N; i++) sum += fabs(xd[i]);
    break;
  }
  return sum;
}

static double serial_sum(N_Vector x, N_Vector w, N_Vector id, int kind)
{
  return local_sum(0.0, x, w, id, kind);
}

static sunrealtype rsqrt0(double v) { return v <= 0.0 ? 0.0 : sqrt(v); } /* SUNRsqrt */

static sunrealtype s_wrmsnorm(N_Vector x, N_Vector w)
{
  return rsqrt0(serial_sum(x, w, NULL, NV_WSQR) / len(x));
}
static sunrealtype s_wrmsnormmask(N_Vector x, N_Vector w, N_Vector id)
{
  return rsqrt0(serial_sum(x, w, id, NV_WSQR_MASK) / len(x));
}
static sunrealtype s_wl2norm(N_Vector x, N_Vector w) { return rsqrt0(serial_sum(x, w, NULL, NV_WSQR)); }
static sunrealtype s_dotprod(N_Vector x, N_Vector y) { return serial_sum(x, y, NULL, NV_DOT); }
static sunrealtype s_l1norm(N_Vector x) { return serial_sum(x, NULL, NULL, NV_ABS); }

static sunrealtype s_maxnorm(N_Vector x)
{
  const double *xd = dat(x);
  const sunindextype N = len(x);
  double mx = 0.0;
  for (sunindextype i = 0; i < N; i++)
    if (fabs(xd[i]) > mx) mx = fabs(xd[i]);
  return mx;
}

#ifdef SPX_HAVE_MPI
static double chain_sum(N_Vector x, N_Vector w, N_Vector id, int kind)
{
  MPI_Comm comm = NV_COMM_P(x);
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  double sum = 0.0;
  if (rank > 0) MPI_Recv(&sum, 1, MPI_DOUBLE, rank - 1, 7401, comm, MPI_STATUS_IGNORE);
  sum = local_sum(sum, x, w, id, kind);
  if (rank < size - 1) MPI_Send(&sum, 1, MPI_DOUBLE, rank + 1, 7401, comm);
  MPI_Bcast(&sum, 1, MPI_DOUBLE, size - 1, comm);
  return sum;
}

static sunrealtype p_wrmsnorm(N_Vector x, N_Vector w)
{
  return rsqrt0(chain_sum(x, w, NULL, NV_WSQR) / NV_GLOBLENGTH_P(x));
}
static sunrealtype p_wrmsnormmask(N_Vector x, N_Vector w, N_Vector id)
{
  return rsqrt0(chain_sum(x, w, id, NV_WSQR_MASK) / NV_GLOBLENGTH_P(x));
}
static sunrealtype p_wl2norm(N_Vector x, N_Vector w) { return rsqrt0(chain_sum(x, w, NULL, NV_WSQR)); }
static sunrealtype p_dotprod(N_Vector x, N_Vector y) { return chain_sum(x, y, NULL, NV_DOT); }
static sunrealtype p_l1norm(N_Vector x) { return chain_sum(x, NULL, NULL, NV_ABS); }
#endif

/* ---- installation ------------------------------------------------------------------------------ */

void spx_nvec_install(N_Vector v, int parallel)
{
  N_Vector_Ops o = v->ops;
  o->nvlinearsum = nv_linearsum;
  o->nvconst = nv_const;
  o->nvprod = nv_prod;
  o->nvdiv = nv_div;
  o->nvscale = nv_scale;
  o->nvabs = nv_abs;
  o->nvinv = nv_inv;
  o->nvaddconst = nv_addconst;
  o->nvcompare = nv_compare;
  if (!parallel) {
    o->nvwrmsnorm = s_wrmsnorm;
    o->nvwrmsnormmask = s_wrmsnormmask;
    o->nvwl2norm = s_wl2norm;
    o->nvdotprod = s_dotprod;
    o->nvl1norm = s_l1norm;
    o->nvmaxnorm = s_maxnorm;
  }
#ifdef SPX_HAVE_MPI
  if (parallel) {
    o->nvwrmsnorm = p_wrmsnorm;
    o->nvwrmsnormmask = p_wrmsnormmask;
    o->nvwl2norm = p_wl2norm;
    o->nvdotprod = p_dotprod;
    o->nvl1norm = p_l1norm;
  }
#endif
  /* fused and multi-vector operations would use the library's code (and, over MPI, another
   * summation order): keep them off, SUNDIALS then loops over the operations above */
  o->nvlinearcombination = NULL;
  o->nvscaleaddmulti = NULL;
  o->nvdotprodmulti = NULL;
  o->nvlinearsumvectorarray = NULL;
  o->nvscalevectorarray = NULL;
  o->nvconstvectorarray = NULL;
  o->nvwrmsnormvectorarray = NULL;
  o->nvwrmsnormmaskvectorarray = NULL;
  o->nvscaleaddmultivectorarray = NULL;
  o->nvlinearcombinationvectorarray = NULL;
}
