/* sim.c -- in-memory integration of a model (sim.h): the kernel as the ODE of a solver back end.
 *
 * The state handed to the back end is the model's integration frame. Each particle is a block of
 * d values whose norm the flow preserves (spec sphere_dynamics.md §2.6), so the ODE is declared
 * with sphere = 1 and the back ends may project (CVODE BDF) or renormalize (fixed-step schemes).
 *
 * Early stop (spx_sim_set_stop): the back end's root finding on the caller's g (CVODE only).
 *
 * MPI row blocks (issue 4; spec c_stack.md §1.8, §5), MPI builds after spx_sim_set_mpi_rows(1)
 * with more than one rank: rank r owns the particles [lo, hi) with lo = r b + min(r, m),
 * b = n / P, m = n mod P, and integrates only those with a CVODE back end on NVECTOR_PARALLEL
 * (norms and dot products reduced over the ranks). Each right-hand side all-gathers the local
 * blocks into the full state (O(n d) communication) and computes this rank's rows
 * (spx_kernel_rhs_rows, O(n^2 d / P); J v likewise with spx_kernel_jv_rows): the rows are
 * bitwise those of the serial kernel and CVODE's sums run in the serial order (solvers/cvode.c),
 * so a run over ranks takes the serial run's steps and gives its numbers bit for bit (same build).
 * The callbacks' statuses are reduced (MPI_MAX) so that every rank's CVODE takes the same
 * decisions. After each advance the full state is gathered again: spx_sim_state is the whole
 * state on every rank (observables and files see the same numbers everywhere).
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#ifdef SPX_HAVE_MPI
#include <mpi.h>
#endif

#include "status.h"

struct spx_sim {
  const spx_model *m;
  spx_kernel *k;
  spx_ode ode;
  spx_solver solver;
  double t;
  double *y;   /* state in the integration frame (the whole state, also when split) */
  spx_stop_fn stop;  /* early stop (spx_sim_set_stop), NULL: none */
  void *stop_user;
  int stopped;       /* 1 once the stop fired */
  /* MPI row blocks (dist = 1): this rank integrates rows [lo, hi) */
  int dist, rank, nranks, lo, hi;
  int *counts, *displs; /* per rank: doubles of its block and their offset (all-gather) */
  double *yloc;         /* the solver's part of the state */
  double *yfull;        /* the gathered state of the right-hand side / stop function */
  double *vfull;        /* the gathered direction of J v */
#ifdef SPX_HAVE_MPI
  MPI_Comm comm;
#endif
};

/* spx_sim_set_mpi_rows: split the systems of later spx_sim_create calls over the ranks. */
static int mpi_rows_on = 0;

int spx_sim_set_mpi_rows(int on)
{
#ifdef SPX_HAVE_MPI
  mpi_rows_on = on != 0;
  return SPX_OK;
#else
  mpi_rows_on = 0;
  if (on) {
    spx_error("one system over MPI ranks needs an MPI build (make MPI=1)");
    return SPX_EINVAL;
  }
  return SPX_OK;
#endif
}

/* ODE callbacks: a non-finite value is fatal (< 0) so that the back end stops at once. */
static int sim_rhs(double t, const double *y, double *ydot, void *user)
{
  spx_sim *s = user;
  int st = spx_kernel_rhs(s->k, y, ydot);
  return st == SPX_OK ? 0 : -st; /* -SPX_ENONFINITE tells the back end why it failed */
}

static int sim_jv(double t, const double *y, const double *v, double *Jv, void *user)
{
  spx_sim *s = user;
  int st = spx_kernel_jv(s->k, y, v, Jv);
  return st == SPX_OK ? 0 : -st;
}

#ifdef SPX_HAVE_MPI
/* The whole state from the ranks' blocks. */
static void gather(spx_sim *s, const double *yl, double *yall)
{
  MPI_Allgatherv(yl, s->counts[s->rank], MPI_DOUBLE, yall, s->counts, s->displs, MPI_DOUBLE,
                 s->comm);
}

/* Right-hand side of this rank's rows; the status is the worst over the ranks. */
static int sim_rhs_dist(double t, const double *yl, double *fl, void *user)
{
  spx_sim *s = user;
  gather(s, yl, s->yfull);
  int st = spx_kernel_rhs_rows(s->k, s->yfull, s->lo, s->hi, fl);
  int code = st == SPX_OK ? 0 : st == SPX_ENONFINITE ? 1 : 2;
  MPI_Allreduce(MPI_IN_PLACE, &code, 1, MPI_INT, MPI_MAX, s->comm);
  return code == 0 ? 0 : code == 1 ? -SPX_ENONFINITE : -SPX_EINTERNAL;
}

/* J v of this rank's rows: state and direction gathered (bdf_newton over ranks). */
static int sim_jv_dist(double t, const double *yl, const double *vl, double *Jvl, void *user)
{
  spx_sim *s = user;
  gather(s, yl, s->yfull);
  gather(s, vl, s->vfull);
  int st = spx_kernel_jv_rows(s->k, s->yfull, s->vfull, s->lo, s->hi, Jvl);
  int code = st == SPX_OK ? 0 : st == SPX_ENONFINITE ? 1 : 2;
  MPI_Allreduce(MPI_IN_PLACE, &code, 1, MPI_INT, MPI_MAX, s->comm);
  return code == 0 ? 0 : code == 1 ? -SPX_ENONFINITE : -SPX_EINTERNAL;
}

/* Stop function on the gathered state (every rank computes the same g). */
static int sim_stop_dist(double t, const double *yl, double *g, void *user)
{
  spx_sim *s = user;
  gather(s, yl, s->yfull);
  return s->stop(t, s->yfull, g, s->stop_user);
}
#endif

void spx_model_x_to_y(const spx_model *m, const double *x, double *y)
{
  const int d = m->d;
  for (long i = 0; i < m->n; i++)
    for (int k = 0; k < d; k++) {
      double s = 0.0;
      for (int a = 0; a < d; a++) s += m->U[a * d + k] * x[i * d + a];
      y[i * d + k] = s;
    }
}

void spx_model_y_to_x(const spx_model *m, const double *y, double *x)
{
  const int d = m->d;
  for (long i = 0; i < m->n; i++)
    for (int a = 0; a < d; a++) {
      double s = 0.0;
      for (int k = 0; k < d; k++) s += m->U[a * d + k] * y[i * d + k];
      x[i * d + a] = s;
    }
}

#ifdef SPX_HAVE_MPI
/* Split the state over MPI_COMM_WORLD (dist = 1 when there are several ranks). */
static int dist_setup(spx_sim *s)
{
  const spx_model *m = s->m;
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) return SPX_OK;
  MPI_Comm_size(MPI_COMM_WORLD, &s->nranks);
  if (s->nranks < 2) return SPX_OK;
  MPI_Comm_rank(MPI_COMM_WORLD, &s->rank);
  if (m->n < s->nranks) {
    spx_error("model.n = %d particles cannot be split over %d MPI ranks (need n >= ranks)", m->n,
              s->nranks);
    return SPX_EINVAL;
  }
  s->comm = MPI_COMM_WORLD;
  s->dist = 1;
  s->counts = malloc(sizeof(int) * s->nranks);
  s->displs = malloc(sizeof(int) * s->nranks);
  s->yfull = malloc(sizeof(double) * m->n * m->d);
  s->vfull = malloc(sizeof(double) * m->n * m->d);
  if (!s->counts || !s->displs || !s->yfull || !s->vfull) return SPX_ENOMEM;
  const int b = m->n / s->nranks, rem = m->n % s->nranks;
  if ((double)m->n * m->d > 2147483647.0) {
    spx_error("MPI row blocks: n d = %ld is above the 32-bit counts of MPI_Allgatherv",
              (long)m->n * m->d);
    return SPX_EINVAL;
  }
  for (int r = 0; r < s->nranks; r++) {
    int lo = r * b + (r < rem ? r : rem), cnt = b + (r < rem);
    s->counts[r] = cnt * m->d;
    s->displs[r] = lo * m->d;
    if (r == s->rank) {
      s->lo = lo;
      s->hi = lo + cnt;
    }
  }
  return SPX_OK;
}
#endif

int spx_sim_create(const spx_model *m, const char *method, const spx_solver_settings *settings,
                   double t0, const double *x0, spx_sim **out)
{
  int status = SPX_OK;
  const spx_solver_type *type = spx_solver_find(method);
  if (!type) {
    spx_error("unknown solver method \"%s\"", method);
    return SPX_EINVAL;
  }
  spx_sim *s = calloc(1, sizeof *s);
  if (!s) return SPX_ENOMEM;
  s->m = m;
  s->t = t0;
  s->nranks = 1;
  s->y = malloc(sizeof(double) * m->n * m->d);
  if (!s->y) { status = SPX_ENOMEM; goto cleanup; }
  if (m->eigen_coords) spx_model_x_to_y(m, x0, s->y);
  else memcpy(s->y, x0, sizeof(double) * m->n * m->d);
  SPX_TRY(spx_kernel_create(m, &s->k));
#ifdef SPX_HAVE_MPI
  if (mpi_rows_on) SPX_TRY(dist_setup(s));
  if (s->dist) {
    const long nl = (long)(s->hi - s->lo);
    s->yloc = malloc(sizeof(double) * nl * m->d);
    if (!s->yloc) { status = SPX_ENOMEM; goto cleanup; }
    memcpy(s->yloc, s->y + (long)s->lo * m->d, sizeof(double) * nl * m->d);
    s->ode = (spx_ode){.N = nl * m->d, .nblocks = (int)nl, .bsize = m->d, .sphere = 1,
                       .rhs = sim_rhs_dist, .jv = sim_jv_dist, .user = s};
    s->solver.type = type;
    SPX_TRY(spx_solver_create_parallel(type, &s->ode, (long)m->n * m->d, &s->comm, settings, t0,
                                       s->yloc, &s->solver.state));
    *out = s;
    return SPX_OK;
  }
#endif
  s->ode = (spx_ode){.N = (long)m->n * m->d, .nblocks = m->n, .bsize = m->d, .sphere = 1,
                     .rhs = sim_rhs, .jv = sim_jv, .user = s};
  s->solver.type = type;
  SPX_TRY(type->create(&s->ode, settings, t0, s->y, &s->solver.state));
  *out = s;
  return SPX_OK;
cleanup:
  spx_sim_free(s);
  return status;
}

void spx_sim_free(spx_sim *s)
{
  if (!s) return;
  if (s->solver.type && s->solver.state) s->solver.type->free(s->solver.state);
  spx_kernel_free(s->k);
  free(s->y);
  free(s->yloc);
  free(s->yfull);
  free(s->vfull);
  free(s->counts);
  free(s->displs);
  free(s);
}

int spx_sim_advance(spx_sim *s, double t)
{
  if (t <= s->t || s->stopped) return SPX_OK;
  if (s->stop) { /* already settled: the root function would never cross */
    double g = 1.0;
    if (s->stop(s->t, s->y, &g, s->stop_user) < 0) return SPX_EINTERNAL;
    if (g <= 0.0) {
      s->stopped = 1;
      return SPX_OK;
    }
  }
  double reached = s->t;
  int status = s->solver.type->advance(s->solver.state, t, s->dist ? s->yloc : s->y, &reached);
#ifdef SPX_HAVE_MPI
  if (s->dist) gather(s, s->yloc, s->y);
#endif
  s->t = reached;
  if (status == SPX_OK && reached < t && s->stop) s->stopped = 1;
  if (status == SPX_ENONFINITE) {
    int particle;
    const char *what;
    spx_kernel_last_nonfinite(s->k, &particle, &what);
    if (particle >= 0)
      spx_error("non-finite value in the %s at particle %d (0-based), t = %.9g; the last finite "
                "state is kept", what, particle, reached);
  }
  return status;
}

double spx_sim_time(const spx_sim *s) { return s->t; }
const double *spx_sim_state(const spx_sim *s) { return s->y; }

void spx_sim_state_x(const spx_sim *s, double *x)
{
  if (s->m->eigen_coords) spx_model_y_to_x(s->m, s->y, x);
  else memcpy(x, s->y, sizeof(double) * s->m->n * s->m->d);
}

int spx_sim_set_stop(spx_sim *s, spx_stop_fn g, void *user)
{
  s->stop = g;
  s->stop_user = user;
  s->stopped = 0;
#ifdef SPX_HAVE_MPI
  if (s->dist && g) return spx_solver_set_stop(&s->solver, sim_stop_dist, s);
#endif
  int status = spx_solver_set_stop(&s->solver, g, user);
  if (status != SPX_OK) s->stop = NULL;
  return status;
}

int spx_sim_stopped(const spx_sim *s) { return s->stopped; }

int spx_sim_set_state_x(spx_sim *s, const double *x)
{
  s->stopped = 0;
  if (s->m->eigen_coords) spx_model_x_to_y(s->m, x, s->y);
  else memcpy(s->y, x, sizeof(double) * s->m->n * s->m->d);
  if (s->dist) {
    memcpy(s->yloc, s->y + (long)s->lo * s->m->d, sizeof(double) * (s->hi - s->lo) * s->m->d);
    return s->solver.type->reinit(s->solver.state, s->t, s->yloc);
  }
  return s->solver.type->reinit(s->solver.state, s->t, s->y);
}

spx_kernel *spx_sim_kernel(spx_sim *s) { return s->k; }

void spx_sim_stats(const spx_sim *s, spx_solver_stats *st)
{
  memset(st, 0, sizeof *st);
  s->solver.type->stats(s->solver.state, st);
  spx_kernel_stats ks = spx_kernel_get_stats(s->k);
  /* The kernel's own counters are exact whatever the back end reports. */
  st->jv_evals = ks.jv_evals;
}

const spx_solver_type *spx_sim_solver_type(const spx_sim *s) { return s->solver.type; }

void spx_sim_print_stats(const spx_sim *s, FILE *f)
{
  if (s->solver.type->print_stats) s->solver.type->print_stats(s->solver.state, f);
}

int spx_sim_ranks(const spx_sim *s) { return s->dist ? s->nranks : 1; }
