/* solver.h -- one interface for every integrator back end.
 *
 * A back end integrates a generic ODE y' = f(t, y) of size N = nblocks * bsize whose blocks are
 * points that should stay on a sphere (|y_b| constant): the solver may use that to project (CVODE
 * BDF) or renormalize (the fixed-step schemes of the published codes). It knows nothing of the
 * model: the problem is given by callbacks (the data flows config -> model -> solver).
 *
 * Back ends are listed once in solvers/registry.c and chosen by name from the config
 * (solver.method). Each exports a const spx_solver_type with create/advance/stats/free hooks, as
 * GSL's gsl_odeiv2_step_type and REBOUND's integrators do.
 */
#ifndef SPX_SOLVER_H
#define SPX_SOLVER_H

#include <stdio.h>

/* Callback return convention (SUNDIALS): 0 success, > 0 recoverable (retry with a smaller step),
 * < 0 fatal. */
typedef int (*spx_rhs_fn)(double t, const double *y, double *ydot, void *user);
typedef int (*spx_jv_fn)(double t, const double *y, const double *v, double *Jv, void *user);

typedef struct {
  long N;               /* state length */
  int nblocks, bsize;   /* the state is nblocks points of R^bsize (particles) */
  int sphere;           /* 1: each block keeps its norm (project / renormalize); 0: plain ODE */
  spx_rhs_fn rhs;       /* required */
  spx_jv_fn jv;         /* optional analytic J v (Newton-Krylov back ends); NULL: difference quotient */
  void *user;           /* passed to the callbacks */
} spx_ode;

/* Settings common to the back ends (config group "solver"). */
typedef struct {
  double rtol, atol;    /* tolerances of the adaptive back ends */
  double dt;            /* step of the fixed-step back ends */
  long max_steps;       /* maximum internal steps per advance call (CVODE mxstep) */
  int max_order;        /* 0: the method's default */
  double h0;            /* initial step, 0: automatic */
} spx_solver_settings;

/* Counters every back end reports (0 where a counter does not apply). */
typedef struct {
  long steps, rhs_evals, jv_evals, lin_iters, nonlin_iters, nonlin_fails, err_test_fails,
      proj_evals;
  double last_step;
} spx_solver_stats;

typedef struct spx_solver_type {
  const char *name;     /* config value of solver.method */
  const char *doc;      /* one paragraph for --help */
  /* Create a solver for ode, starting at (t0, y0). *state receives the back end's state. */
  int (*create)(const spx_ode *ode, const spx_solver_settings *s, double t0, const double *y0,
                void **state);
  /* Advance to tout exactly (stop time), writing the state there into y. On failure returns
   * SPX_ESOLVER (or SPX_ENONFINITE) after printing the library's flag name, and leaves in y and
   * *treached the last good state and its time. */
  int (*advance)(void *state, double tout, double *y, double *treached);
  /* Reset the integrator at (t, y) (after a restart or an external change of the state). */
  int (*reinit)(void *state, double t, const double *y);
  void (*stats)(void *state, spx_solver_stats *out);
  /* Optional: print all library statistics (CSV) to f. May be NULL. */
  void (*print_stats)(void *state, FILE *f);
  void (*free)(void *state);
} spx_solver_type;

/* The back end called name, or NULL. */
const spx_solver_type *spx_solver_find(const char *name);

/* NULL-terminated list of all back ends (for --help and error messages). */
const spx_solver_type *const *spx_solver_list(void);

/* A solver instance: the type and its state. */
typedef struct {
  const spx_solver_type *type;
  void *state;
} spx_solver;

/* Early-stop function: *g = g(t, y) (one value). Return 0, or < 0 for a fatal error. */
typedef int (*spx_stop_fn)(double t, const double *y, double *g, void *user);

/* Early stop (e.g. solver.stop_when_settled): g is evaluated after every internal step; where it
 * changes sign from > 0 to <= 0 the back end locates the crossing (CVODE root finding,
 * CVodeRootInit, c_stack.md §1.5) and advance returns SPX_OK with *treached < tout and y the state
 * there. Only the CVODE back ends (adams, bdf, bdf_newton) can stop: SPX_EINVAL (with a message)
 * for the others. g = NULL removes the stop. */
int spx_solver_set_stop(spx_solver *solver, spx_stop_fn g, void *user);

/* 1 if the back end can stop early (spx_solver_set_stop), else 0. */
int spx_solver_can_stop(const spx_solver_type *type);

/* Create a CVODE back end (adams, bdf, bdf_newton) for a state split over MPI ranks
 * (NVECTOR_PARALLEL): ode describes this rank's part (N, nblocks), global_N is the whole length and
 * comm points to the MPI_Comm. The callbacks must return the same status on every rank. MPI
 * builds only (make MPI=1); SPX_EINVAL with a message otherwise. Free with type->free. */
int spx_solver_create_parallel(const spx_solver_type *type, const spx_ode *ode, long global_N,
                               void *comm, const spx_solver_settings *s, double t0,
                               const double *y0, void **state);

#endif
