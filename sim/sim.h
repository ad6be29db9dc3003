/* sim.h -- integrate a model from a state, in memory: model + kernel + solver back end.
 *
 * This is the programmatic core used by `bin/sim run` (run.c), the sweeps and the validation
 * claims: no files, no config. The state is in the model's integration frame (the x frame, or
 * eigen-coordinates y = U^T x when model->eigen_coords; see spx_sim_state_x).
 */
#ifndef SPX_SIM_H
#define SPX_SIM_H

#include "kernel.h"
#include "model.h"
#include "solver.h"

typedef struct spx_sim spx_sim;

/* Create a simulation of model m (not copied: it must outlive the sim) with the back end called
 * method (solvers/registry.c), starting at (t0, x0) with x0 in the x frame (n d values). */
int spx_sim_create(const spx_model *m, const char *method, const spx_solver_settings *settings,
                   double t0, const double *x0, spx_sim **out);
void spx_sim_free(spx_sim *s);

/* Integrate to time t (>= current time). On failure the state is the last good one and the
 * message (flag name, time, particle) has been printed. */
int spx_sim_advance(spx_sim *s, double t);

/* Early stop: g(t, y) on the integration-frame state is watched after every step of the back end
 * (CVODE back ends only, spx_solver_set_stop; SPX_EINVAL otherwise); when it crosses from > 0 to
 * <= 0, or is <= 0 when spx_sim_advance is called, the sim stops there: spx_sim_advance returns
 * SPX_OK with spx_sim_time < the target and spx_sim_stopped = 1, and later advances do nothing
 * until the state is replaced (spx_sim_set_state_x). g = NULL removes the stop. */
int spx_sim_set_stop(spx_sim *s, spx_stop_fn g, void *user);

/* 1 once the early stop fired. */
int spx_sim_stopped(const spx_sim *s);

/* Current time and state (integration frame, n d values). */
double spx_sim_time(const spx_sim *s);
const double *spx_sim_state(const spx_sim *s);

/* Current state in the x frame, written to x (n d values). */
void spx_sim_state_x(const spx_sim *s, double *x);

/* Replace the state (x frame) at the current time and re-initialise the integrator. */
int spx_sim_set_state_x(spx_sim *s, const double *x);

/* The kernel (for RHS, energy) and the counters. */
spx_kernel *spx_sim_kernel(spx_sim *s);
void spx_sim_stats(const spx_sim *s, spx_solver_stats *st);
const spx_solver_type *spx_sim_solver_type(const spx_sim *s);
void spx_sim_print_stats(const spx_sim *s, FILE *f);

/* MPI builds: split the system of every later spx_sim_create over the ranks of MPI_COMM_WORLD
 * by row blocks (CVODE back ends on NVECTOR_PARALLEL; `bin/sim run` under mpirun). Every rank
 * must then make the same calls. Serial builds: SPX_EINVAL for on = 1. */
int spx_sim_set_mpi_rows(int on);

/* Number of ranks the system is split over (1: not split). */
int spx_sim_ranks(const spx_sim *s);

/* x -> y = U^T x per row (to eigen-coordinates) and back, for model->eigen_coords. */
void spx_model_x_to_y(const spx_model *m, const double *x, double *y);
void spx_model_y_to_x(const spx_model *m, const double *y, double *x);

#endif
