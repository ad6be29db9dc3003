/* cvode_compat.h -- the few SUNDIALS names that differ between Debian's 6.4.1 and 7.x.
 *
 * We code against 6.4 (c_stack.md §1.2) with the forward-compatible sun* type names; this header
 * hides the two differences the back ends meet: the communicator argument of SUNContext_Create
 * (void * NULL in 6.x, SUNComm SUN_COMM_NULL in 7.x) and the error-handler hook
 * (CVodeSetErrHandlerFn in 6.x, removed in 7.0 in favour of SUNContext_PushErrHandler).
 * Only solvers/cvode.c includes it. The 7.x branch follows the 7.x API but is untested here.
 */
#ifndef SPX_CVODE_COMPAT_H
#define SPX_CVODE_COMPAT_H

#include <sundials/sundials_config.h>
#include <sundials/sundials_context.h>
#include <sundials/sundials_types.h>

/* The "no communicator" argument of SUNContext_Create (serial runs), and the argument for a
 * pointer pc to an MPI_Comm (MPI builds: 6.x takes the pointer, 7.x the communicator). */
#if SUNDIALS_VERSION_MAJOR >= 7
#define SPX_SUN_COMM_NULL SUN_COMM_NULL
#define SPX_SUN_COMM(pc) (*(MPI_Comm *)(pc))
#else
#define SPX_SUN_COMM_NULL NULL
#define SPX_SUN_COMM(pc) ((void *)(pc))
#endif

/* 1 when CVodeSetErrHandlerFn exists (SUNDIALS < 7); else errors go through the context's
 * handler stack (SUNContext_PushErrHandler). */
#if SUNDIALS_VERSION_MAJOR >= 7
#define SPX_CVODE_HAS_ERRHANDLERFN 0
#else
#define SPX_CVODE_HAS_ERRHANDLERFN 1
#endif

#endif
