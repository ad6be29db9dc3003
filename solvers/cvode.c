/* cvode.c -- the three SUNDIALS CVODE back ends of solver.h: "adams", "bdf", "bdf_newton".
 *
 * - adams:      CV_ADAMS + SUNNonlinSol_FixedPoint. No projection: CVODE 6.4 projects only with
 *               BDF (c_stack.md §1.4), so the block norms drift at the O(rtol) level.
 * - bdf:        CV_BDF + SUNNonlinSol_FixedPoint + CVodeSetProjFn (c_stack.md §1.3-1.4).
 * - bdf_newton: CV_BDF + SUNNonlinSol_Newton + matrix-free SUNLinSol_SPGMR, with the caller's
 *               analytic J v (CVodeSetJacTimes) when ode->jv is given, else CVODE's difference
 *               quotient; same projection. For stiff flows (USA at large beta, c_stack.md §1.3).
 *
 * Projection (c_stack.md §1.4, exact per block): with r = |y_b| and rho_b the block's norm at
 * create/reinit, corr_b = (rho_b / r) y_b - y_b, and the error estimate is projected onto the
 * tangent space, e_b -= (e_b . y_b / r^2) y_b. CVODE applies corr itself; ycur is not touched
 * (as in SUNDIALS' cvParticle_dns example). Keeping the norm at create time rather than 1 is our
 * choice [ours]: it makes the back end indifferent to the radius of the caller's spheres.
 *
 * Each advance sets the stop time to tout and calls CVode(CV_NORMAL), so it lands on tout
 * exactly (c_stack.md §1.5). solver.max_steps is CVODE's mxstep, i.e. a limit PER ADVANCE call;
 * max_steps <= 0 means no limit [ours]. Callbacks: the caller's rhs returns 0 / > 0 recoverable /
 * < 0 fatal (solver.h). A non-finite ydot (or J v) with a 0 return is made fatal too, and
 * advance then returns SPX_ENONFINITE (as it does when the caller returns -SPX_ENONFINITE, or
 * any negative value with a non-finite output), otherwise SPX_ESOLVER. Fatal failures are
 * sticky within an advance (see cv_classify).
 *
 * CVODE's own error printing is replaced by a handler that keeps the message; advance then prints
 * one spx_error line with the flag name, the time reached and that message. CVODE warnings are
 * forwarded through spx_warn ("t + h = t" once per instance).
 *
 * Vectors: CVODE's vector operations are ours (nvec_ops.c), the library's arithmetic compiled
 * with optimization (Debian's libsundials is built -O0).
 *
 * MPI (spx_solver_create_parallel, MPI builds): the same back ends on NVECTOR_PARALLEL, each rank
 * holding a block of particles; CVODE's norms and dot products reduce over the ranks, in the
 * serial order (nvec_ops.c), so that a run over ranks takes the serial run's steps. The
 * caller's callbacks must return the same status on every rank (sim.c reduces them).
 *
 * Early stop (spx_solver_set_stop): a CVODE root function on the caller's g with direction -1;
 * CV_ROOT_RETURN ends the advance at the root, which is reported as the time reached.
 *
 * Statistics are accumulated over the life of the instance: CVodeReInit resets CVODE's counters,
 * so reinit first adds them to a running base. rhs_evals = CVodeGetNumRhsEvals +
 * CVodeGetNumLinRhsEvals (the latter counts the f calls of the difference-quotient J v) [ours].
 * print_stats (CVodePrintAllStats, CSV) shows CVODE's counters since the last (re)init only.
 */
#include "solver.h"
#include "status.h"
#include "mat.h"
#include "cvode_compat.h"
#include "nvec_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cvode/cvode.h>
#include <cvode/cvode_ls.h>
#include <cvode/cvode_proj.h>
#include <nvector/nvector_serial.h>
#ifdef SPX_HAVE_MPI
#include <mpi.h>
#include <nvector/nvector_parallel.h>
#endif
#include <sunlinsol/sunlinsol_spgmr.h>
#include <sunnonlinsol/sunnonlinsol_fixedpoint.h>
#include <sunnonlinsol/sunnonlinsol_newton.h>

enum cv_kind { CV_KIND_ADAMS, CV_KIND_BDF, CV_KIND_BDF_NEWTON };

typedef struct {
  const char *name;        /* back end name, for messages */
  enum cv_kind kind;
  spx_ode ode;             /* copy of the caller's problem */
  long max_steps;          /* solver.max_steps (messages) */
  int project;             /* 1: CVodeSetProjFn is active */
  SUNContext ctx;
  void *cv;                /* CVODE memory */
  N_Vector y;              /* owned work vector: initial condition at create/reinit */
  N_Vector yout;           /* wrapper (no data of its own) around the caller's output array */
  SUNNonlinearSolver nls;
  SUNLinearSolver ls;      /* NULL unless bdf_newton */
  double *norm0;           /* nblocks norms to keep (projection) */
  double *ylast;           /* last state returned (or initial state) ... */
  double tlast;            /* ... and its time */
  int fatal;               /* a callback failed fatally in this advance: every later call fails */
  int nonfinite;           /* ... and the failure was a non-finite value */
  int fatal_ret;           /* the caller's return code (0 when only the value was non-finite) */
  double fatal_t;          /* and the time of that call */
  char msg[512];           /* last CVODE error message, printed by us */
  spx_solver_stats base;   /* counters accumulated before the last reinit */
  spx_stop_fn stop;        /* early stop (spx_solver_set_stop), NULL: none */
  void *stop_user;
} cv_state;

/* ---- callbacks ---------------------------------------------------------------------------- */

/* Classify a callback's result (ret, output out of length N) at time t. A non-finite output is
 * fatal by the project's convention; catching it here keeps NaN out of CVODE's history. A fatal
 * failure is made sticky: CVODE 6.4.1's fixed-point solver treats a negative return from the rhs
 * as a convergence failure and retries with ever smaller steps (observed: 1e6 steps of h ~ 1e-17,
 * then a garbage BDF state), so once one call failed every later call of this advance fails too,
 * and CVODE stops after its repeated-failure limit. */
static int cv_classify(cv_state *s, int ret, double t, const double *out)
{
  if (ret > 0) return ret; /* recoverable: CVODE retries with a smaller step */
  int bad = ret < 0 || !spx_all_finite(s->ode.N, out);
  if (!bad) return 0;
  if (!s->fatal) {
    s->fatal = 1;
    s->fatal_ret = ret;
    s->fatal_t = t;
    /* Non-finite: the caller said so (-SPX_ENONFINITE) or its output shows it. */
    s->nonfinite = ret == 0 || ret == -SPX_ENONFINITE || !spx_all_finite(s->ode.N, out);
  }
  return -1;
}

static int cv_rhs(sunrealtype t, N_Vector y, N_Vector ydot, void *ud)
{
  cv_state *s = ud;
  if (s->fatal) return -1;
  double *f = N_VGetArrayPointer(ydot);
  return cv_classify(s, s->ode.rhs(t, N_VGetArrayPointer(y), f, s->ode.user), t, f);
}

static int cv_jtimes(N_Vector v, N_Vector Jv, sunrealtype t, N_Vector y, N_Vector fy, void *ud,
                     N_Vector tmp)
{
  cv_state *s = ud;
  if (s->fatal) return -1;
  double *jv = N_VGetArrayPointer(Jv);
  return cv_classify(s, s->ode.jv(t, N_VGetArrayPointer(y), N_VGetArrayPointer(v), jv, s->ode.user),
                     t, jv);
}

/* Root function of the early stop: g(t, y) (spx_solver_set_stop). */
static int cv_root(sunrealtype t, N_Vector y, sunrealtype *gout, void *ud)
{
  cv_state *s = ud;
  double g = 1.0;
  int r = s->stop(t, N_VGetArrayPointer(y), &g, s->stop_user);
  gout[0] = g;
  return r < 0 ? -1 : 0;
}

/* Projection onto the product of spheres |y_b| = norm0[b] (c_stack.md §1.4). */
static int cv_proj(sunrealtype t, N_Vector ycur, N_Vector corr, sunrealtype eps_proj, N_Vector err,
                   void *ud)
{
  cv_state *s = ud;
  const double *y = N_VGetArrayPointer(ycur);
  double *c = N_VGetArrayPointer(corr);
  double *e = err ? N_VGetArrayPointer(err) : NULL;
  const int m = s->ode.bsize;
  for (int b = 0; b < s->ode.nblocks; b++) {
    const double *yb = y + (long)b * m;
    double *cb = c + (long)b * m;
    double r2 = 0.0;
    for (int k = 0; k < m; k++) r2 += yb[k] * yb[k];
    if (!isfinite(r2)) {
      if (!s->fatal) s->fatal_t = t;
      s->fatal = s->nonfinite = 1;
      return -1;
    }
    if (r2 == 0.0) return -1; /* a block at the origin has no projection */
    const double r = sqrt(r2), f = s->norm0[b] / r - 1.0;
    for (int k = 0; k < m; k++) cb[k] = f * yb[k];
    if (e) {
      double *eb = e + (long)b * m, ey = 0.0;
      for (int k = 0; k < m; k++) ey += eb[k] * yb[k];
      ey /= r2;
      for (int k = 0; k < m; k++) eb[k] -= ey * yb[k];
    }
  }
  return 0;
}

/* Keep CVODE's error message for our own report; forward warnings. */
#if SPX_CVODE_HAS_ERRHANDLERFN
static void cv_errh(int code, const char *module, const char *function, char *msg, void *ud)
{
  cv_state *s = ud;
  if (code == CV_WARNING) {
    spx_warn("solver %s: CVODE %s: %s", s->name, function, msg);
    return;
  }
  snprintf(s->msg, sizeof s->msg, "%s: %s", function, msg);
}
#else
static void cv_errh(int line, const char *func, const char *file, const char *msg,
                    SUNErrCode code, void *ud, SUNContext ctx)
{
  cv_state *s = ud;
  snprintf(s->msg, sizeof s->msg, "%s: %s", func, msg);
}
#endif

/* ---- helpers ------------------------------------------------------------------------------ */

/* Report a failed CVODE set-up call; ls selects the CVLS flag names. */
static int cv_check(cv_state *s, int flag, const char *call, int ls)
{
  if (flag >= 0) return SPX_OK;
  char *fname = ls ? CVodeGetLinReturnFlagName(flag) : CVodeGetReturnFlagName(flag);
  spx_error("solver %s: %s failed with %s%s%s", s->name, call, fname ? fname : "unknown flag",
            s->msg[0] ? ": " : "", s->msg);
  free(fname);
  if ((!ls && flag == CV_ILL_INPUT) || (ls && flag == CVLS_ILL_INPUT)) return SPX_EINVAL;
  if ((!ls && flag == CV_MEM_FAIL) || (ls && flag == CVLS_MEM_FAIL)) return SPX_ENOMEM;
  return SPX_ESOLVER;
}

/* Validate the problem and store the block norms of y (norm0) for the projection. */
static int cv_set_norms(cv_state *s, const double *y)
{
  const int m = s->ode.bsize;
  if (!spx_all_finite(s->ode.N, y)) {
    spx_error("solver %s: the initial state has a non-finite entry", s->name);
    return SPX_ENONFINITE;
  }
  for (int b = 0; b < s->ode.nblocks; b++) {
    double r2 = 0.0;
    for (int k = 0; k < m; k++) r2 += y[(long)b * m + k] * y[(long)b * m + k];
    s->norm0[b] = sqrt(r2);
    if (s->project && !(r2 > 0.0)) {
      spx_error("solver %s: block %d of the initial state is zero and cannot be kept on a sphere",
                s->name, b);
      return SPX_EINVAL;
    }
  }
  return SPX_OK;
}

static void cv_free(void *state)
{
  cv_state *s = state;
  if (!s) return;
  if (s->cv) CVodeFree(&s->cv);
  if (s->nls) SUNNonlinSolFree(s->nls);
  if (s->ls) SUNLinSolFree(s->ls);
  if (s->yout) N_VDestroy(s->yout);
  if (s->y) N_VDestroy(s->y);
  if (s->ctx) SUNContext_Free(&s->ctx);
  free(s->norm0);
  free(s->ylast);
  free(s);
}

/* ---- hooks -------------------------------------------------------------------------------- */

/* comm: NULL for the serial vectors, else a pointer to the MPI_Comm over which the state is split
 * (ode describes this rank's part, global_N the whole length; NVECTOR_PARALLEL, c_stack.md
 * §1.8). */
static int cv_create_comm(enum cv_kind kind, const char *name, const spx_ode *ode,
                          const spx_solver_settings *set, double t0, const double *y0,
                          void *comm, long global_N, void **state)
{
  int status = SPX_OK;
  cv_state *s = NULL;
  *state = NULL;
  if (!ode || !ode->rhs || !set || !y0) {
    spx_error("solver %s: ode, ode->rhs, settings and y0 are required", name);
    return SPX_EINVAL;
  }
  if (ode->N <= 0 || ode->nblocks <= 0 || ode->bsize <= 0 ||
      ode->N != (long)ode->nblocks * ode->bsize) {
    spx_error("solver %s: state length N = %ld must equal nblocks * bsize = %d * %d > 0", name,
              ode->N, ode->nblocks, ode->bsize);
    return SPX_EINVAL;
  }
  if (!(set->rtol > 0.0) || !(set->atol >= 0.0) || !isfinite(t0)) {
    spx_error("solver %s: need solver.rtol > 0 and solver.atol >= 0 (got %g, %g) and a finite t0",
              name, set->rtol, set->atol);
    return SPX_EINVAL;
  }
  s = calloc(1, sizeof *s);
  if (!s) return SPX_ENOMEM;
  s->name = name;
  s->kind = kind;
  s->ode = *ode;
  s->max_steps = set->max_steps;
  s->project = kind != CV_KIND_ADAMS && ode->sphere;
  s->norm0 = malloc((size_t)ode->nblocks * sizeof *s->norm0);
  s->ylast = malloc((size_t)ode->N * sizeof *s->ylast);
  if (!s->norm0 || !s->ylast) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  SPX_TRY(cv_set_norms(s, y0));
  memcpy(s->ylast, y0, (size_t)ode->N * sizeof *y0);
  s->tlast = t0;

  if (SUNContext_Create(comm ? SPX_SUN_COMM(comm) : SPX_SUN_COMM_NULL, &s->ctx) != 0) {
    spx_error("solver %s: SUNContext_Create failed", name);
    status = SPX_ENOMEM;
    goto cleanup;
  }
#if !SPX_CVODE_HAS_ERRHANDLERFN
  SUNContext_ClearErrHandlers(s->ctx);
  SUNContext_PushErrHandler(s->ctx, cv_errh, s);
#endif
  if (comm) {
#ifdef SPX_HAVE_MPI
    MPI_Comm c = *(MPI_Comm *)comm;
    s->y = N_VNew_Parallel(c, (sunindextype)ode->N, (sunindextype)global_N, s->ctx);
    s->yout = N_VMake_Parallel(c, (sunindextype)ode->N, (sunindextype)global_N, s->ylast, s->ctx);
#endif
  } else {
    s->y = N_VNew_Serial((sunindextype)ode->N, s->ctx);
    s->yout = N_VMake_Serial((sunindextype)ode->N, s->ylast, s->ctx);
  }
  if (!s->y || !s->yout) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  /* our compiled vector operations (Debian's library is -O0), serial-order sums over ranks;
   * CVODE's and the solvers' vectors are clones of y and keep them */
  spx_nvec_install(s->y, comm != NULL);
  spx_nvec_install(s->yout, comm != NULL);
  memcpy(N_VGetArrayPointer(s->y), y0, (size_t)ode->N * sizeof *y0);

  s->cv = CVodeCreate(kind == CV_KIND_ADAMS ? CV_ADAMS : CV_BDF, s->ctx);
  if (!s->cv) {
    spx_error("solver %s: CVodeCreate failed", name);
    status = SPX_ENOMEM;
    goto cleanup;
  }
#if SPX_CVODE_HAS_ERRHANDLERFN
  SPX_TRY(cv_check(s, CVodeSetErrHandlerFn(s->cv, cv_errh, s), "CVodeSetErrHandlerFn", 0));
#endif
  SPX_TRY(cv_check(s, CVodeInit(s->cv, cv_rhs, t0, s->y), "CVodeInit", 0));
  SPX_TRY(cv_check(s, CVodeSetUserData(s->cv, s), "CVodeSetUserData", 0));
  /* "t + h = t" warns once, not mxhnil = 10 times (STYLE: a repeating warning prints once). */
  SPX_TRY(cv_check(s, CVodeSetMaxHnilWarns(s->cv, 1), "CVodeSetMaxHnilWarns", 0));
  SPX_TRY(cv_check(s, CVodeSStolerances(s->cv, set->rtol, set->atol), "CVodeSStolerances", 0));
  /* CVODE: mxstep 0 means its default 500, < 0 no limit; we map max_steps <= 0 to no limit. */
  SPX_TRY(cv_check(s, CVodeSetMaxNumSteps(s->cv, set->max_steps > 0 ? set->max_steps : -1),
                   "CVodeSetMaxNumSteps", 0));
  if (set->max_order > 0)
    SPX_TRY(cv_check(s, CVodeSetMaxOrd(s->cv, set->max_order), "CVodeSetMaxOrd (solver.max_order)",
                     0));
  if (set->h0 > 0.0)
    SPX_TRY(cv_check(s, CVodeSetInitStep(s->cv, set->h0), "CVodeSetInitStep (solver.h0)", 0));

  if (kind == CV_KIND_BDF_NEWTON) {
    s->nls = SUNNonlinSol_Newton(s->y, s->ctx);
    s->ls = SUNLinSol_SPGMR(s->y, SUN_PREC_NONE, 0 /* default Krylov dimension 5 */, s->ctx);
    if (!s->nls || !s->ls) {
      status = SPX_ENOMEM;
      goto cleanup;
    }
    SPX_TRY(cv_check(s, CVodeSetNonlinearSolver(s->cv, s->nls), "CVodeSetNonlinearSolver", 0));
    SPX_TRY(cv_check(s, CVodeSetLinearSolver(s->cv, s->ls, NULL), "CVodeSetLinearSolver", 1));
    if (ode->jv)
      SPX_TRY(cv_check(s, CVodeSetJacTimes(s->cv, NULL, cv_jtimes), "CVodeSetJacTimes", 1));
  } else {
    /* Anderson depth 0: plain fixed point, the cheapest choice measured in c_stack.md §1.3. */
    s->nls = SUNNonlinSol_FixedPoint(s->y, 0, s->ctx);
    if (!s->nls) {
      status = SPX_ENOMEM;
      goto cleanup;
    }
    SPX_TRY(cv_check(s, CVodeSetNonlinearSolver(s->cv, s->nls), "CVodeSetNonlinearSolver", 0));
  }
  if (s->project) SPX_TRY(cv_check(s, CVodeSetProjFn(s->cv, cv_proj), "CVodeSetProjFn", 0));

  *state = s;
  s = NULL;
cleanup:
  cv_free(s);
  return status;
}

static int cv_create(enum cv_kind kind, const char *name, const spx_ode *ode,
                     const spx_solver_settings *set, double t0, const double *y0, void **state)
{
  return cv_create_comm(kind, name, ode, set, t0, y0, NULL, ode ? ode->N : 0, state);
}

static int cv_create_adams(const spx_ode *ode, const spx_solver_settings *set, double t0,
                           const double *y0, void **state)
{
  return cv_create(CV_KIND_ADAMS, "adams", ode, set, t0, y0, state);
}

static int cv_create_bdf(const spx_ode *ode, const spx_solver_settings *set, double t0,
                         const double *y0, void **state)
{
  return cv_create(CV_KIND_BDF, "bdf", ode, set, t0, y0, state);
}

static int cv_create_bdf_newton(const spx_ode *ode, const spx_solver_settings *set, double t0,
                                const double *y0, void **state)
{
  return cv_create(CV_KIND_BDF_NEWTON, "bdf_newton", ode, set, t0, y0, state);
}

static int cv_advance(void *state, double tout, double *y, double *treached)
{
  cv_state *s = state;
  const size_t bytes = (size_t)s->ode.N * sizeof *y;
  sunrealtype tret = s->tlast, tcur = s->tlast;
  int flag, status = SPX_OK;

  if (!(tout >= s->tlast)) { /* also catches NaN */
    spx_error("solver %s: cannot advance backwards, from t = %.17g to tout = %.17g", s->name,
              s->tlast, tout);
    status = SPX_EINVAL;
    goto cleanup;
  }
  if (tout == s->tlast) goto cleanup; /* nothing to do: return the current state */

  s->fatal = s->nonfinite = s->fatal_ret = 0;
  s->msg[0] = '\0';
  N_VSetArrayPointer(y, s->yout);
  flag = CVodeSetStopTime(s->cv, tout);
  if (flag < 0) {
    status = cv_check(s, flag, "CVodeSetStopTime", 0);
    goto cleanup;
  }
  flag = CVode(s->cv, tout, s->yout, &tret, CV_NORMAL);
  if (flag >= 0 && spx_all_finite(s->ode.N, y)) {
    memcpy(s->ylast, y, bytes);
    /* tret == tout: the stop time is hit exactly; CV_ROOT_RETURN: the early stop fired at tret */
    s->tlast = flag == CV_ROOT_RETURN ? tret : tout;
    goto cleanup;
  }
  if (flag >= 0) s->fatal = s->nonfinite = 1; /* cannot happen with finite callbacks; be safe */

  /* Failure: the last good state is the solution at CVODE's current time. */
  if (CVodeGetCurrentTime(s->cv, &tcur) == CV_SUCCESS && tcur > s->tlast &&
      CVodeGetDky(s->cv, tcur, 0, s->yout) == CV_SUCCESS && spx_all_finite(s->ode.N, y)) {
    memcpy(s->ylast, y, bytes);
    s->tlast = tcur;
  }
  {
    char *fname = CVodeGetReturnFlagName(flag < 0 ? flag : CV_UNRECOGNIZED_ERR);
    char why[160] = "", hint[160] = "";
    if (s->fatal && s->nonfinite)
      snprintf(why, sizeof why, " (the right-hand side, J v or projection gave a non-finite value "
               "at t = %.17g)", s->fatal_t);
    else if (s->fatal)
      snprintf(why, sizeof why, " (the right-hand side or J v reported a fatal error, returning %d "
               "at t = %.17g)", s->fatal_ret, s->fatal_t);
    if (flag == CV_TOO_MUCH_WORK)
      snprintf(hint, sizeof hint,
               "; %ld internal steps were not enough for this output interval: raise "
               "solver.max_steps (or loosen solver.rtol)",
               s->max_steps);
    spx_error("solver %s: CVode failed with %s at t = %.17g (target %.17g)%s%s%s%s", s->name,
              fname ? fname : "unknown flag", s->tlast, tout, why, s->msg[0] ? ": " : "", s->msg,
              hint);
    free(fname);
  }
  status = s->fatal && s->nonfinite ? SPX_ENONFINITE : SPX_ESOLVER;

cleanup:
  memcpy(y, s->ylast, bytes); /* redundant on success; O(N) against the O(n^2 d) RHS */
  *treached = s->tlast;
  return status;
}

static void cv_stats(void *state, spx_solver_stats *out)
{
  cv_state *s = state;
  long v;
  sunrealtype h;
  *out = s->base;
  if (CVodeGetNumSteps(s->cv, &v) == CV_SUCCESS) out->steps += v;
  if (CVodeGetNumRhsEvals(s->cv, &v) == CV_SUCCESS) out->rhs_evals += v;
  if (CVodeGetNumErrTestFails(s->cv, &v) == CV_SUCCESS) out->err_test_fails += v;
  if (CVodeGetNumNonlinSolvIters(s->cv, &v) == CV_SUCCESS) out->nonlin_iters += v;
  if (CVodeGetNumNonlinSolvConvFails(s->cv, &v) == CV_SUCCESS) out->nonlin_fails += v;
  if (s->ls) {
    if (CVodeGetNumLinRhsEvals(s->cv, &v) == CVLS_SUCCESS) out->rhs_evals += v;
    if (CVodeGetNumJtimesEvals(s->cv, &v) == CVLS_SUCCESS) out->jv_evals += v;
    if (CVodeGetNumLinIters(s->cv, &v) == CVLS_SUCCESS) out->lin_iters += v;
  }
  if (s->project && CVodeGetNumProjEvals(s->cv, &v) == CV_SUCCESS) out->proj_evals += v;
  if (CVodeGetLastStep(s->cv, &h) == CV_SUCCESS && h != 0.0) out->last_step = h;
}

static int cv_reinit(void *state, double t, const double *y)
{
  cv_state *s = state;
  int status = SPX_OK;
  spx_solver_stats total;
  if (!y || !isfinite(t)) {
    spx_error("solver %s: reinit needs a state and a finite time", s->name);
    return SPX_EINVAL;
  }
  SPX_TRY(cv_set_norms(s, y));
  cv_stats(s, &total);
  s->msg[0] = '\0';
  memcpy(N_VGetArrayPointer(s->y), y, (size_t)s->ode.N * sizeof *y);
  SPX_TRY(cv_check(s, CVodeReInit(s->cv, t, s->y), "CVodeReInit", 0));
  s->base = total; /* CVodeReInit reset CVODE's counters */
  memcpy(s->ylast, y, (size_t)s->ode.N * sizeof *y);
  s->tlast = t;
cleanup:
  return status;
}

static void cv_print_stats(void *state, FILE *f)
{
  cv_state *s = state;
  CVodePrintAllStats(s->cv, f, SUN_OUTPUTFORMAT_CSV);
}

const spx_solver_type spx_solver_adams = {
    "adams",
    "CVODE Adams-Moulton (orders 1-12) with a fixed-point nonlinear solver: the non-stiff "
    "default. Adaptive (solver.rtol, solver.atol, solver.max_order <= 12, solver.h0); no "
    "projection (CVODE 6.4 projects only with BDF), so |x_i| drifts at the O(rtol) level.",
    cv_create_adams, cv_advance, cv_reinit, cv_stats, cv_print_stats, cv_free};

const spx_solver_type spx_solver_bdf = {
    "bdf",
    "CVODE BDF (orders 1-5) with a fixed-point nonlinear solver and projection of every particle "
    "back to its initial norm after each step (error estimate projected onto the tangent space). "
    "Adaptive (solver.rtol, solver.atol, solver.max_order <= 5, solver.h0).",
    cv_create_bdf, cv_advance, cv_reinit, cv_stats, cv_print_stats, cv_free};

const spx_solver_type spx_solver_bdf_newton = {
    "bdf_newton",
    "CVODE BDF with Newton iterations solved by matrix-free GMRES (SPGMR, no preconditioner), "
    "using the model's analytic J v when available (else difference quotients), plus the same "
    "projection as bdf. For stiff flows (USA at large beta).",
    cv_create_bdf_newton, cv_advance, cv_reinit, cv_stats, cv_print_stats, cv_free};

/* ---- early stop (solver.h) ---------------------------------------------------------------- */

int spx_solver_can_stop(const spx_solver_type *type)
{
  return type == &spx_solver_adams || type == &spx_solver_bdf || type == &spx_solver_bdf_newton;
}

int spx_solver_set_stop(spx_solver *solver, spx_stop_fn g, void *user)
{
  if (!spx_solver_can_stop(solver->type)) {
    spx_error("solver %s cannot stop early (solver.stop_when_settled needs a CVODE back end: "
              "adams, bdf or bdf_newton)", solver->type->name);
    return SPX_EINVAL;
  }
  cv_state *s = solver->state;
  int status = SPX_OK;
  s->stop = g;
  s->stop_user = user;
  if (!g) return cv_check(s, CVodeRootInit(s->cv, 0, NULL), "CVodeRootInit", 0);
  /* Only crossings from g > 0 to g <= 0 stop; a g that starts at 0 is not a root. */
  int dir = -1;
  SPX_TRY(cv_check(s, CVodeRootInit(s->cv, 1, cv_root), "CVodeRootInit", 0));
  SPX_TRY(cv_check(s, CVodeSetRootDirection(s->cv, &dir), "CVodeSetRootDirection", 0));
  SPX_TRY(cv_check(s, CVodeSetNoInactiveRootWarn(s->cv), "CVodeSetNoInactiveRootWarn", 0));
cleanup:
  return status;
}

int spx_solver_create_parallel(const spx_solver_type *type, const spx_ode *ode, long global_N,
                               void *comm, const spx_solver_settings *set, double t0,
                               const double *y0, void **state)
{
  *state = NULL;
#ifdef SPX_HAVE_MPI
  if (comm && spx_solver_can_stop(type)) {
    enum cv_kind kind = type == &spx_solver_adams ? CV_KIND_ADAMS
                        : type == &spx_solver_bdf ? CV_KIND_BDF
                                                  : CV_KIND_BDF_NEWTON;
    return cv_create_comm(kind, type->name, ode, set, t0, y0, comm, global_N, state);
  }
#endif
  spx_error("solver %s: a state split over MPI ranks needs an MPI build (make MPI=1) and a CVODE "
            "back end (adams, bdf or bdf_newton)", type ? type->name : "?");
  return SPX_EINVAL;
}
