/* fixed.c -- the fixed-step back ends of solver.h: "euler" (explicit Euler, order 1) and "rk4"
 * (classical Runge-Kutta, order 4), the schemes of the published codes.
 *
 *   euler: y+ = y + h f(t, y)
 *   rk4:   k1 = f(t, y), k2 = f(t + h/2, y + h/2 k1), k3 = f(t + h/2, y + h/2 k2),
 *          k4 = f(t + h, y + h k3),  y+ = y + h/6 (k1 + 2 k2 + 2 k3 + k4)
 *
 * When ode->sphere, every block is rescaled to its norm at create/reinit after every step (the
 * published codes renormalize to 1; keeping the initial norm is our choice [ours], identical for
 * unit blocks). Renormalization is a projection, so it keeps each scheme's order.
 *
 * The step is solver.dt; an advance over [t, tout] takes n = ceil((tout - t)/dt) steps with times
 * t + k dt (no accumulated round-off), the last one shortened to land on tout exactly (a relative
 * slack of 1e-9 avoids a spurious tiny last step). solver.max_steps (> 0) bounds the number of
 * steps of one advance call (one output interval), as CVODE's mxstep does; <= 0 means no limit. rtol, atol, max_order and h0 do not apply.
 * Any nonzero return of the caller's rhs is fatal; so is a non-finite ydot or a non-finite new
 * state (SPX_ENONFINITE). The state before the failed step is kept.
 */
#include "solver.h"
#include "status.h"
#include "mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  int order;               /* 1 euler, 4 rk4 */
  spx_ode ode;
  double dt;
  long max_steps;
  double t;                /* time of y */
  double *y, *ynew, *tmp;  /* state, next state, stage argument (N each) */
  double *k[4];            /* stage slopes (k[1..3] only for rk4) */
  double *norm0;           /* nblocks norms to keep */
  long steps, rhs_evals;
  double last_step;
} fx_state;

static void fx_free(void *state)
{
  fx_state *s = state;
  if (!s) return;
  free(s->y);
  free(s->ynew);
  free(s->tmp);
  for (int i = 0; i < 4; i++) free(s->k[i]);
  free(s->norm0);
  free(s);
}

/* Store the block norms of y; with sphere, a zero block cannot be renormalized. */
static int fx_set_norms(fx_state *s, const double *y)
{
  const int m = s->ode.bsize;
  if (!spx_all_finite(s->ode.N, y)) {
    spx_error("solver %s: the initial state has a non-finite entry", s->name);
    return SPX_ENONFINITE;
  }
  for (int b = 0; b < s->ode.nblocks; b++) {
    double r2 = 0.0;
    for (int i = 0; i < m; i++) r2 += y[(long)b * m + i] * y[(long)b * m + i];
    s->norm0[b] = sqrt(r2);
    if (s->ode.sphere && !(r2 > 0.0)) {
      spx_error("solver %s: block %d of the initial state is zero and cannot be kept on a sphere",
                s->name, b);
      return SPX_EINVAL;
    }
  }
  return SPX_OK;
}

static int fx_create(int order, const char *name, const spx_ode *ode,
                     const spx_solver_settings *set, double t0, const double *y0, void **state)
{
  int status = SPX_OK;
  fx_state *s = NULL;
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
  if (!(set->dt > 0.0) || !isfinite(set->dt) || !isfinite(t0)) {
    spx_error("solver %s: need a finite solver.dt > 0 (got %g) and a finite t0", name, set->dt);
    return SPX_EINVAL;
  }
  s = calloc(1, sizeof *s);
  if (!s) return SPX_ENOMEM;
  s->name = name;
  s->order = order;
  s->ode = *ode;
  s->dt = set->dt;
  s->max_steps = set->max_steps;
  s->t = t0;
  const size_t bytes = (size_t)ode->N * sizeof(double);
  s->y = malloc(bytes);
  s->ynew = malloc(bytes);
  s->tmp = malloc(bytes);
  s->norm0 = malloc((size_t)ode->nblocks * sizeof(double));
  if (!s->y || !s->ynew || !s->tmp || !s->norm0) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  for (int i = 0; i < (order == 4 ? 4 : 1); i++) {
    s->k[i] = malloc(bytes);
    if (!s->k[i]) {
      status = SPX_ENOMEM;
      goto cleanup;
    }
  }
  SPX_TRY(fx_set_norms(s, y0));
  memcpy(s->y, y0, bytes);
  *state = s;
  s = NULL;
cleanup:
  fx_free(s);
  return status;
}

static int fx_create_euler(const spx_ode *ode, const spx_solver_settings *set, double t0,
                           const double *y0, void **state)
{
  return fx_create(1, "euler", ode, set, t0, y0, state);
}

static int fx_create_rk4(const spx_ode *ode, const spx_solver_settings *set, double t0,
                         const double *y0, void **state)
{
  return fx_create(4, "rk4", ode, set, t0, y0, state);
}

/* One rhs call with the failure convention of this file. */
static int fx_eval(fx_state *s, double t, const double *y, double *f)
{
  s->rhs_evals++;
  int ret = s->ode.rhs(t, y, f, s->ode.user);
  if ((ret <= 0 && !spx_all_finite(s->ode.N, f)) || ret == -SPX_ENONFINITE) {
    spx_error("solver %s: the right-hand side gave a non-finite value at t = %.17g", s->name, t);
    return SPX_ENONFINITE;
  }
  if (ret != 0) {
    spx_error("solver %s: the right-hand side failed (returned %d) at t = %.17g", s->name, ret, t);
    return SPX_ESOLVER;
  }
  return SPX_OK;
}

/* ynew = y + h * slope over the state (the increments of both schemes). */
static void fx_axpy(long n, const double *y, double h, const double *f, double *out)
{
  for (long i = 0; i < n; i++) out[i] = y[i] + h * f[i];
}

/* One step from (t, y) to ynew; y is not modified. */
static int fx_step(fx_state *s, double t, double h)
{
  int status = SPX_OK;
  const long n = s->ode.N;
  if (s->order == 1) {
    SPX_TRY(fx_eval(s, t, s->y, s->k[0]));
    fx_axpy(n, s->y, h, s->k[0], s->ynew);
  } else {
    SPX_TRY(fx_eval(s, t, s->y, s->k[0]));
    fx_axpy(n, s->y, 0.5 * h, s->k[0], s->tmp);
    SPX_TRY(fx_eval(s, t + 0.5 * h, s->tmp, s->k[1]));
    fx_axpy(n, s->y, 0.5 * h, s->k[1], s->tmp);
    SPX_TRY(fx_eval(s, t + 0.5 * h, s->tmp, s->k[2]));
    fx_axpy(n, s->y, h, s->k[2], s->tmp);
    SPX_TRY(fx_eval(s, t + h, s->tmp, s->k[3]));
    for (long i = 0; i < n; i++)
      s->ynew[i] =
          s->y[i] + h / 6.0 * (s->k[0][i] + 2.0 * s->k[1][i] + 2.0 * s->k[2][i] + s->k[3][i]);
  }
  if (s->ode.sphere) {
    const int m = s->ode.bsize;
    for (int b = 0; b < s->ode.nblocks; b++) {
      double *yb = s->ynew + (long)b * m, r2 = 0.0;
      for (int i = 0; i < m; i++) r2 += yb[i] * yb[i];
      if (!(r2 > 0.0)) continue; /* zero or NaN: left to the finiteness test below */
      const double f = s->norm0[b] / sqrt(r2);
      for (int i = 0; i < m; i++) yb[i] *= f;
    }
  }
  if (!spx_all_finite(n, s->ynew)) {
    spx_error("solver %s: the state became non-finite in the step from t = %.17g (h = %g)",
              s->name, t, h);
    status = SPX_ENONFINITE;
  }
cleanup:
  return status;
}

static int fx_advance(void *state, double tout, double *y, double *treached)
{
  fx_state *s = state;
  int status = SPX_OK;
  const double t0 = s->t;

  if (!(tout >= t0) || !isfinite(tout)) {
    spx_error("solver %s: cannot advance from t = %.17g to tout = %.17g", s->name, t0, tout);
    status = SPX_EINVAL;
    goto cleanup;
  }
  if (tout == t0) goto cleanup;
  double nd = ceil((tout - t0) / s->dt - 1e-9);
  const long nsteps = nd < 1.0 ? 1 : (long)nd;
  for (long k = 0; k < nsteps; k++) {
    const double tk = k == 0 ? t0 : t0 + (double)k * s->dt;
    const double h = k == nsteps - 1 ? tout - tk : s->dt;
    if (s->max_steps > 0 && k >= s->max_steps) {
      spx_error("solver %s: solver.max_steps = %ld steps reached at t = %.17g (target %.17g); "
                "raise solver.max_steps or solver.dt",
                s->name, s->max_steps, s->t, tout);
      status = SPX_ESOLVER;
      goto cleanup;
    }
    SPX_TRY(fx_step(s, tk, h));
    double *swap = s->y;
    s->y = s->ynew;
    s->ynew = swap;
    s->t = k == nsteps - 1 ? tout : t0 + (double)(k + 1) * s->dt;
    s->steps++;
    s->last_step = h;
  }
cleanup:
  memcpy(y, s->y, (size_t)s->ode.N * sizeof *y);
  *treached = s->t;
  return status;
}

static int fx_reinit(void *state, double t, const double *y)
{
  fx_state *s = state;
  int status = SPX_OK;
  if (!y || !isfinite(t)) {
    spx_error("solver %s: reinit needs a state and a finite time", s->name);
    return SPX_EINVAL;
  }
  SPX_TRY(fx_set_norms(s, y));
  memcpy(s->y, y, (size_t)s->ode.N * sizeof *y);
  s->t = t;
cleanup:
  return status;
}

static void fx_stats(void *state, spx_solver_stats *out)
{
  fx_state *s = state;
  memset(out, 0, sizeof *out);
  out->steps = s->steps;
  out->rhs_evals = s->rhs_evals;
  out->last_step = s->last_step;
}

static void fx_print_stats(void *state, FILE *f)
{
  fx_state *s = state;
  fprintf(f, "Steps,%ld,RHS fn evals,%ld,Last step size,%.17g\n", s->steps, s->rhs_evals,
          s->last_step);
}

const spx_solver_type spx_solver_euler = {
    "euler",
    "Explicit Euler with the fixed step solver.dt (order 1), each particle renormalized after "
    "every step; the last step is shortened to land on each output time. For comparison with "
    "the published codes; not accurate.",
    fx_create_euler, fx_advance, fx_reinit, fx_stats, fx_print_stats, fx_free};

const spx_solver_type spx_solver_rk4 = {
    "rk4",
    "Classical 4th-order Runge-Kutta with the fixed step solver.dt, each particle renormalized "
    "after every step; the last step is shortened to land on each output time.",
    fx_create_rk4, fx_advance, fx_reinit, fx_stats, fx_print_stats, fx_free};
