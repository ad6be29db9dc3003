/* settle.h -- early stop of a run once its state has settled (solver.stop_when_settled, issue 4).
 *
 * "Settled" [ours]: the state is within stop_tol of a pure mode, delta_pm = max_i (1 - |y_i^k*|)
 * <= stop_tol (spec sphere_dynamics.md §7 items 2-6, the observables' k*, n_+, n_-), and that
 * pure mode (k*, n_+, n_-) is linearly stable by the closed forms of spec §4.3-§4.4
 * (spx_puremode_stable). Near a stable equilibrium of the gradient flow the state converges to it,
 * so the classification (homogeneous / split with n_+, n_-) no longer changes; the stop saves the
 * time the run would spend converging further. Needs the symmetric case with one head and no
 * mask (A = V = V^T), where those closed forms hold.
 */
#ifndef SPX_SETTLE_H
#define SPX_SETTLE_H

#include "model.h"
#include "sim.h"

typedef struct spx_settle spx_settle;

/* Check that m admits the criterion (else SPX_EINVAL, with a message that says why); why may be
 * NULL (then the message is printed), or receives the reason (len bytes) without printing. */
int spx_settle_check(const spx_model *m, char *why, size_t len);

/* Workspace for model m (must outlive it) and tolerance tol in (0, 1). */
int spx_settle_create(const spx_model *m, double tol, spx_settle **out);
void spx_settle_free(spx_settle *st);

/* The stop function (spx_stop_fn) on the integration-frame state y: delta_pm / tol - 1 at a
 * linearly stable pure mode, else 1. user is the spx_settle. */
int spx_settle_g(double t, const double *y, double *g, void *user);

/* Create a settle workspace for the sim's model and attach it as the sim's early stop; the caller
 * frees *out after the sim. */
int spx_settle_attach(spx_sim *sim, const spx_model *m, double tol, spx_settle **out);

#endif
