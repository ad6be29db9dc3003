/* sim.c -- in-memory integration of a model (sim.h): the kernel as the ODE of a solver back end.
 *
 * The state handed to the back end is the model's integration frame. Each particle is a block of
 * d values whose norm the flow preserves (spec sphere_dynamics.md §2.6), so the ODE is declared
 * with sphere = 1 and the back ends may project (CVODE BDF) or renormalize (fixed-step schemes).
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include "status.h"

struct spx_sim {
  const spx_model *m;
  spx_kernel *k;
  spx_ode ode;
  spx_solver solver;
  double t;
  double *y;   /* state in the integration frame */
};

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
  s->y = malloc(sizeof(double) * m->n * m->d);
  if (!s->y) { status = SPX_ENOMEM; goto cleanup; }
  if (m->eigen_coords) spx_model_x_to_y(m, x0, s->y);
  else memcpy(s->y, x0, sizeof(double) * m->n * m->d);
  SPX_TRY(spx_kernel_create(m, &s->k));
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
  free(s);
}

int spx_sim_advance(spx_sim *s, double t)
{
  if (t <= s->t) return SPX_OK;
  double reached = s->t;
  int status = s->solver.type->advance(s->solver.state, t, s->y, &reached);
  s->t = reached;
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

int spx_sim_set_state_x(spx_sim *s, const double *x)
{
  if (s->m->eigen_coords) spx_model_x_to_y(s->m, x, s->y);
  else memcpy(s->y, x, sizeof(double) * s->m->n * s->m->d);
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
