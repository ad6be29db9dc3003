/* test_nvec_ops.c -- CVODE's vector operations compiled by us (solvers/nvec_ops.c) give bitwise
 * the results of SUNDIALS' own serial operations (N_V*_Serial), which they replace for speed:
 * every operation, on random vectors with zeros, negative entries and a mask, and for
 * N_VLinearSum every case the library treats apart (a = +-1, b = +-1, a = b, a = -b, zeros).
 */
#include "harness.h"
#include "nvec_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>

enum { N = 1001 };

/* 1 when the two vectors hold the same bits. */
static int same(N_Vector a, N_Vector b)
{
  return memcmp(N_VGetArrayPointer(a), N_VGetArrayPointer(b), sizeof(double) * N) == 0;
}

static int same_d(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

int main(void)
{
  SUNContext ctx = NULL;
  if (SUNContext_Create(NULL, &ctx) != 0) return 1;
  /* lib: SUNDIALS' own operations; ours: spx_nvec_install; z1, z2: outputs of each */
  N_Vector lib = N_VNew_Serial(N, ctx), ours = N_VNew_Serial(N, ctx);
  spx_nvec_install(ours, 0);
  N_Vector x = N_VClone(ours), y = N_VClone(ours), w = N_VClone(ours), id = N_VClone(ours);
  N_Vector z1 = N_VClone(lib), z2 = N_VClone(ours);
  spx_test(x->ops->nvlinearsum != lib->ops->nvlinearsum && x->ops->nvwrmsnorm != lib->ops->nvwrmsnorm,
           "clones of an installed vector keep our operations", NULL);
  unsigned long s = 12345;
  double *xd = N_VGetArrayPointer(x), *yd = N_VGetArrayPointer(y), *wd = N_VGetArrayPointer(w);
  double *md = N_VGetArrayPointer(id);
  for (int i = 0; i < N; i++) {
    s = s * 6364136223846793005UL + 1442695040888963407UL;
    double u = (double)(s >> 11) * 0x1p-53;
    xd[i] = i % 97 == 0 ? 0.0 : (u - 0.3) * pow(10.0, (double)(i % 7) - 3.0);
    yd[i] = i % 89 == 0 ? 0.0 : sin(1.7 * i) * 3.1;
    wd[i] = 1.0 / (1e-8 + 1e-6 * fabs(xd[i]));
    md[i] = (i % 3) - 1.0; /* -1, 0, 1 */
  }
  /* N_VLinearSum: every case, in place too (z = x, z = y) */
  const double ab[][2] = {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}, {1, 2.5}, {2.5, 1}, {-1, 0.3},
                          {0.3, -1}, {2.5, 2.5}, {2.5, -2.5}, {0, 2}, {2, 0}, {0, 0}, {0.7, -1.9}};
  int ok = 1;
  for (size_t c = 0; c < sizeof ab / sizeof ab[0]; c++) {
    N_VLinearSum_Serial(ab[c][0], x, ab[c][1], y, z1);
    N_VLinearSum(ab[c][0], x, ab[c][1], y, z2);
    ok &= same(z1, z2);
    N_VScale_Serial(1.0, y, z1); /* z = y in place: the library's axpy branch */
    N_VScale_Serial(1.0, y, z2);
    N_VLinearSum_Serial(ab[c][0], x, ab[c][1], z1, z1);
    N_VLinearSum(ab[c][0], x, ab[c][1], z2, z2);
    ok &= same(z1, z2);
    N_VScale_Serial(1.0, x, z1); /* z = x in place */
    N_VScale_Serial(1.0, x, z2);
    N_VLinearSum_Serial(ab[c][0], z1, ab[c][1], y, z1);
    N_VLinearSum(ab[c][0], z2, ab[c][1], y, z2);
    ok &= same(z1, z2);
  }
  spx_test(ok, "N_VLinearSum = the library's bitwise (14 (a, b) cases, out of place and in place)",
           NULL);
  const double cs[] = {1.0, -1.0, 0.0, 2.5, -1e-3};
  ok = 1;
  for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++) {
    N_VScale_Serial(cs[c], x, z1);
    N_VScale(cs[c], x, z2);
    ok &= same(z1, z2);
    N_VConst_Serial(cs[c], z1);
    N_VConst(cs[c], z2);
    ok &= same(z1, z2);
    N_VAddConst_Serial(x, cs[c], z1);
    N_VAddConst(x, cs[c], z2);
    ok &= same(z1, z2);
    N_VCompare_Serial(fabs(cs[c]), x, z1);
    N_VCompare(fabs(cs[c]), x, z2);
    ok &= same(z1, z2);
  }
  spx_test(ok, "N_VScale, N_VConst, N_VAddConst, N_VCompare = the library's bitwise", NULL);
  N_VProd_Serial(x, y, z1);
  N_VProd(x, y, z2);
  ok = same(z1, z2);
  N_VDiv_Serial(y, w, z1);
  N_VDiv(y, w, z2);
  ok &= same(z1, z2);
  N_VAbs_Serial(x, z1);
  N_VAbs(x, z2);
  ok &= same(z1, z2);
  N_VInv_Serial(w, z1);
  N_VInv(w, z2);
  ok &= same(z1, z2);
  spx_test(ok, "N_VProd, N_VDiv, N_VAbs, N_VInv = the library's bitwise", NULL);
  double r1[6] = {N_VDotProd_Serial(x, y), N_VMaxNorm_Serial(x), N_VWrmsNorm_Serial(x, w),
                  N_VWrmsNormMask_Serial(x, w, id), N_VWL2Norm_Serial(x, w), N_VL1Norm_Serial(y)};
  double r2[6] = {N_VDotProd(x, y), N_VMaxNorm(x), N_VWrmsNorm(x, w), N_VWrmsNormMask(x, w, id),
                  N_VWL2Norm(x, w), N_VL1Norm(y)};
  ok = 1;
  for (int c = 0; c < 6; c++) ok &= same_d(r1[c], r2[c]);
  spx_test(ok, "N_VDotProd, N_VMaxNorm, N_VWrmsNorm, N_VWrmsNormMask, N_VWL2Norm, N_VL1Norm = the "
               "library's bitwise",
           "%.17g %.17g %.17g %.17g %.17g %.17g", r2[0], r2[1], r2[2], r2[3], r2[4], r2[5]);
  N_VDestroy(lib);
  N_VDestroy(ours);
  N_VDestroy(x);
  N_VDestroy(y);
  N_VDestroy(w);
  N_VDestroy(id);
  N_VDestroy(z1);
  N_VDestroy(z2);
  SUNContext_Free(&ctx);
  return spx_test_summary();
}
