/* gsl_rk8pd.c -- the "rk8pd" back end of solver.h: GSL's explicit embedded Runge-Kutta
 * Prince-Dormand (8,9) method under the gsl_odeiv2 driver, the independent cross-check of CVODE
 * (c_stack.md §0 and §2, "odeiv2 cross-check").
 *
 * Error control: gsl_odeiv2_driver_alloc_y_new(epsabs = solver.atol, epsrel = solver.rtol), i.e.
 * the local error of each component is kept below atol + rtol |y_i| (GSL's standard control with
 * a_y = 1, a_dydt = 0). gsl_odeiv2_driver_apply integrates to tout exactly (its last step is
 * shortened). No projection: the block norms drift at the O(rtol) level, which is what makes this
 * an independent check of the projected BDF runs.
 *
 * Settings: solver.h0 is the first trial step (default 1e-6 when 0 [ours]; the controller grows
 * it by up to 5x per step); solver.max_steps is GSL's nmax, a limit PER ADVANCE call, <= 0 meaning
 * no limit; solver.max_order does not apply. Any nonzero return of the caller's rhs, or a
 * non-finite ydot, is fatal (GSL_EBADFUNC): the driver then stops with the state of the last
 * accepted step, which GSL's evolve object keeps in e->y0 at time t.
 */
#include "solver.h"
#include "status.h"
#include "mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

#define RK_DEFAULT_H0 1e-6

typedef struct {
  spx_ode ode;             /* copy of the caller's problem */
  gsl_odeiv2_system sys;   /* must outlive the driver, which points to it */
  gsl_odeiv2_driver *d;
  double hstart;           /* first trial step, also after reinit */
  double t;                /* time of y */
  double *y;               /* current state (N) */
  long max_steps;
  long rhs_evals;
  long steps0, fails0;     /* evolve counters accumulated before the last driver reset */
  int nonfinite;           /* the last rhs failure was a non-finite value */
} rk_state;

static int rk_rhs(double t, const double y[], double dydt[], void *params)
{
  rk_state *s = params;
  s->rhs_evals++;
  int ret = s->ode.rhs(t, y, dydt, s->ode.user);
  if (ret == 0 && spx_all_finite(s->ode.N, dydt)) return GSL_SUCCESS;
  /* Non-finite: the caller said so (-SPX_ENONFINITE) or its output shows it. */
  s->nonfinite = ret == -SPX_ENONFINITE || (ret <= 0 && !spx_all_finite(s->ode.N, dydt));
  return GSL_EBADFUNC;
}

static void rk_free(void *state)
{
  rk_state *s = state;
  if (!s) return;
  if (s->d) gsl_odeiv2_driver_free(s->d);
  free(s->y);
  free(s);
}

static int rk_create(const spx_ode *ode, const spx_solver_settings *set, double t0,
                     const double *y0, void **state)
{
  int status = SPX_OK;
  rk_state *s = NULL;
  *state = NULL;
  if (!ode || !ode->rhs || !set || !y0) {
    spx_error("solver rk8pd: ode, ode->rhs, settings and y0 are required");
    return SPX_EINVAL;
  }
  if (ode->N <= 0 || ode->nblocks <= 0 || ode->bsize <= 0 ||
      ode->N != (long)ode->nblocks * ode->bsize) {
    spx_error("solver rk8pd: state length N = %ld must equal nblocks * bsize = %d * %d > 0",
              ode->N, ode->nblocks, ode->bsize);
    return SPX_EINVAL;
  }
  if (!(set->rtol > 0.0) || !(set->atol >= 0.0) || !(set->h0 >= 0.0) || !isfinite(t0)) {
    spx_error("solver rk8pd: need solver.rtol > 0, solver.atol >= 0, solver.h0 >= 0 (got %g, %g, "
              "%g) and a finite t0",
              set->rtol, set->atol, set->h0);
    return SPX_EINVAL;
  }
  if (!spx_all_finite(ode->N, y0)) {
    spx_error("solver rk8pd: the initial state has a non-finite entry");
    return SPX_ENONFINITE;
  }
  s = calloc(1, sizeof *s);
  if (!s) return SPX_ENOMEM;
  s->ode = *ode;
  s->max_steps = set->max_steps;
  s->hstart = set->h0 > 0.0 ? set->h0 : RK_DEFAULT_H0;
  s->t = t0;
  s->y = malloc((size_t)ode->N * sizeof *s->y);
  if (!s->y) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  memcpy(s->y, y0, (size_t)ode->N * sizeof *y0);
  s->sys.function = rk_rhs;
  s->sys.jacobian = NULL; /* rk8pd is explicit */
  s->sys.dimension = (size_t)ode->N;
  s->sys.params = s;
  s->d = gsl_odeiv2_driver_alloc_y_new(&s->sys, gsl_odeiv2_step_rk8pd, s->hstart, set->atol,
                                       set->rtol);
  if (!s->d) {
    spx_error("solver rk8pd: gsl_odeiv2_driver_alloc_y_new failed");
    status = SPX_ENOMEM;
    goto cleanup;
  }
  if (set->max_steps > 0) {
    int gs = gsl_odeiv2_driver_set_nmax(s->d, (unsigned long)set->max_steps);
    if (gs != GSL_SUCCESS) {
      spx_error("solver rk8pd: gsl_odeiv2_driver_set_nmax failed: %s", gsl_strerror(gs));
      status = SPX_EINTERNAL;
      goto cleanup;
    }
  }
  *state = s;
  s = NULL;
cleanup:
  rk_free(s);
  return status;
}

/* Name of the GSL codes the driver returns, for messages. */
static const char *rk_code_name(int code)
{
  switch (code) {
  case GSL_EMAXITER: return "GSL_EMAXITER";
  case GSL_EBADFUNC: return "GSL_EBADFUNC";
  case GSL_ENOPROG: return "GSL_ENOPROG";
  case GSL_FAILURE: return "GSL_FAILURE";
  case GSL_EINVAL: return "GSL_EINVAL";
  case GSL_EFAULT: return "GSL_EFAULT";
  default: return "GSL error";
  }
}

/* Restart the driver (after a failure or a reinit), keeping the counters. */
static int rk_reset(rk_state *s)
{
  s->steps0 += (long)s->d->e->count;
  s->fails0 += (long)s->d->e->failed_steps;
  int gs = gsl_odeiv2_driver_reset_hstart(s->d, s->hstart);
  if (gs != GSL_SUCCESS) {
    spx_error("solver rk8pd: gsl_odeiv2_driver_reset_hstart failed: %s", gsl_strerror(gs));
    return SPX_EINTERNAL;
  }
  return SPX_OK;
}

static int rk_advance(void *state, double tout, double *y, double *treached)
{
  rk_state *s = state;
  const size_t bytes = (size_t)s->ode.N * sizeof *y;
  int status = SPX_OK, gs;
  double t = s->t;

  if (!(tout >= s->t)) {
    spx_error("solver rk8pd: cannot advance backwards, from t = %.17g to tout = %.17g", s->t, tout);
    status = SPX_EINVAL;
    goto cleanup;
  }
  if (tout == s->t) goto cleanup;
  s->nonfinite = 0;
  gs = gsl_odeiv2_driver_apply(s->d, &t, tout, s->y);
  if (gs == GSL_SUCCESS) {
    s->t = tout; /* the driver's last step lands on tout exactly */
    goto cleanup;
  }
  /* GSL_EBADFUNC returns mid-step, y partly updated: the last accepted state is e->y0 at t. Other
   * codes return after a rejected or counted step, with (t, y) the last accepted state. */
  if (gs == GSL_EBADFUNC) memcpy(s->y, s->d->e->y0, bytes);
  s->t = t;
  if (!spx_all_finite(s->ode.N, s->y)) s->nonfinite = 1; /* should not happen: never accepted */
  spx_error("solver rk8pd: gsl_odeiv2_driver_apply failed with %s (%s) at t = %.17g (target "
            "%.17g)%s",
            rk_code_name(gs), gsl_strerror(gs), s->t, tout,
            gs == GSL_EMAXITER ? "; raise solver.max_steps (a limit per output interval)"
            : s->nonfinite    ? ": the right-hand side returned a non-finite value"
            : gs == GSL_EBADFUNC ? ": the right-hand side reported an error"
                                 : "");
  status = s->nonfinite ? SPX_ENONFINITE : SPX_ESOLVER;
  if (gs == GSL_EBADFUNC) { /* GSL requires a reset after GSL_EBADFUNC */
    int rs = rk_reset(s);
    if (rs != SPX_OK) status = rs;
  }
cleanup:
  memcpy(y, s->y, bytes);
  *treached = s->t;
  return status;
}

static int rk_reinit(void *state, double t, const double *y)
{
  rk_state *s = state;
  if (!y || !isfinite(t) || !spx_all_finite(s->ode.N, y)) {
    spx_error("solver rk8pd: reinit needs a finite time and a finite state");
    return SPX_EINVAL;
  }
  memcpy(s->y, y, (size_t)s->ode.N * sizeof *y);
  s->t = t;
  return rk_reset(s);
}

static void rk_stats(void *state, spx_solver_stats *out)
{
  rk_state *s = state;
  memset(out, 0, sizeof *out);
  out->steps = s->steps0 + (long)s->d->e->count;
  out->err_test_fails = s->fails0 + (long)s->d->e->failed_steps;
  out->rhs_evals = s->rhs_evals;
  out->last_step = s->d->e->last_step;
}

static void rk_print_stats(void *state, FILE *f)
{
  spx_solver_stats st;
  rk_stats(state, &st);
  fprintf(f, "Steps,%ld,RHS fn evals,%ld,Error test fails,%ld,Last step size,%.17g\n", st.steps,
          st.rhs_evals, st.err_test_fails, st.last_step);
}

const spx_solver_type spx_solver_rk8pd = {
    "rk8pd",
    "GSL explicit Runge-Kutta Prince-Dormand (8,9) with adaptive steps (gsl_odeiv2 driver; local "
    "error <= solver.atol + solver.rtol |y_i|). No projection. The independent cross-check of "
    "the CVODE back ends; best for small n and tight tolerances.",
    rk_create, rk_advance, rk_reinit, rk_stats, rk_print_stats, rk_free};
