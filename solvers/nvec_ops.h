/* nvec_ops.h -- CVODE's vector operations compiled with the project's flags (solvers/cvode.c).
 *
 * Debian 12's libsundials 6.4.1 is built without optimization (its N_VWSqrSumLocal_Serial keeps
 * every value on the stack: `objdump -d libsundials_nvecserial.so`); measured on this machine at
 * N = 3072: N_VLinearSum 6.1 us, N_VWrmsNorm 20.3 us per call, about 15 % of a whole n = 1024
 * Adams run (perf). spx_nvec_install replaces the operations CVODE and its solvers call with
 * ours: the same arithmetic, element by element and in the same order as SUNDIALS' serial
 * vector (so results are bitwise those of the library's own operations), compiled -O2.
 * On NVECTOR_PARALLEL vectors (MPI builds) the sums also run in the serial order over the
 * ranks (see nvec_ops.c), so that a run over ranks takes the serial run's steps.
 */
#ifndef SPX_NVEC_OPS_H
#define SPX_NVEC_OPS_H

#include <sundials/sundials_nvector.h>

/* Install the operations on v (a serial vector, or with parallel = 1 an NVECTOR_PARALLEL one);
 * clones of v copy them. Fused and vector-array operations stay off (SUNDIALS then loops over
 * the single operations installed here). */
void spx_nvec_install(N_Vector v, int parallel);

#endif
