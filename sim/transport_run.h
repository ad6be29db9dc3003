/* transport_run.h -- transport and routing diagnostics of the attention matrices a flow produces,
 * snapshot by snapshot (config group `transport`; spec transport_routing.md §1.3-1.5, §2.5, §4).
 *
 * At a state x the attention matrix of head h is the row softmax of beta <u_i, A_h u_j> under the
 * model's mask (spx_attention_of_state). Each snapshot diagnoses it (phi over prefix cuts in
 * particle order, the Fiedler sweep, lambda_2, G, nu, mean KL) and, for comparison, the unmasked
 * ("full") attention of the same state, plus the effective rank of the routing logits
 * beta U R U^T with R the skew part of A_h (§2.5 item 2). Everything is allocated by
 * spx_transport_run_create; a snapshot allocates nothing.
 *
 * Files (bin/sim run with transport.every = k > 0, written atomically at the end of the run):
 *   transport.tsv             one row per snapshot (every k-th output row and the last one)
 *   transport_landscape.tsv   the prefix landscapes phi(t), J(t) of every snapshot (gnuplot index)
 *   transport.png, transport_landscape.png   figures (plots/transport_run*.gp)
 */
#ifndef SPX_TRANSPORT_RUN_H
#define SPX_TRANSPORT_RUN_H

#include "config.h"
#include "model.h"
#include "transport.h"

typedef struct spx_transport_run spx_transport_run;

/* The numbers of one snapshot. */
typedef struct {
  double t;                    /* time of the state */
  spx_transport_summary att;   /* attention under the model's mask */
  spx_transport_summary full;  /* the unmasked attention of the same state (= att without mask) */
  spx_erank routing;           /* effective rank of the routing logits beta U R U^T [D] */
} spx_transport_snapshot;

/* Workspace for model m (which must outlive it) and head h (0-based); n >= 2. */
int spx_transport_run_create(const spx_model *m, int head, spx_transport_run **out);

/* Diagnose the state x (n x d, x frame) at time t. */
int spx_transport_run_snapshot(spx_transport_run *tr, double t, const double *x,
                               spx_transport_snapshot *s);

/* Prefix landscapes phi(t), J(t) (index t-1, n-1 values) of the last snapshot: full = 0 the
 * masked attention, 1 the unmasked one. */
void spx_transport_run_landscape(const spx_transport_run *tr, int full, const double **phi,
                                 const double **flux);

/* Norms and effective rank of the kernel's routing part R = skew(A_h) (constant along a run). */
void spx_transport_run_kernel(const spx_transport_run *tr, spx_routing_norms *norms,
                              spx_erank *erank);

/* From a validated config: *out = NULL when transport.every = 0 (off). */
int spx_transport_run_from_config(const spx_config *cfg, spx_transport_run **out);

/* Open transport.tsv and transport_landscape.tsv in dir (atomic files) and write the headers. */
int spx_transport_run_open(spx_transport_run *tr, const char *dir, const char *name);

/* Row hook: diagnose x if row is a multiple of transport.every or last is set, and write it. */
int spx_transport_run_row(spx_transport_run *tr, long row, int last, double t, const double *x);

/* Commit the files and, if plots, draw the figures (format fmt: png, pdf, svg). */
int spx_transport_run_finish(spx_transport_run *tr, int plots, const char *fmt);

/* Free everything; files still open are abandoned (their temporaries removed). NULL allowed. */
void spx_transport_run_free(spx_transport_run *tr);

#endif
