/* checkpoint.h -- restart points of a run and the checkpoint file DIR/checkpoint.bin.
 *
 * A restart point is an output row at which the integrator is (re)started from the x-frame state:
 * row 0, then the rows chosen by the checkpoint.* keys (run.c re-initialises the solver there),
 * so a run resumed from any of them continues exactly as the uninterrupted run did. The file is
 * binary and self-describing: a header (magic, format version, byte-order mark, size), named
 * typed fields with their element counts, and a CRC-32 of everything before it. It holds the
 * state, the time, the solver and its settings, the init seed, the counters, the observables'
 * running quantities and the positions of the outputs at that row (see checkpoint.c).
 */
#ifndef SPX_CHECKPOINT_H
#define SPX_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "output.h"
#include "solver.h"

#define SPX_CKPT_FILE "checkpoint.bin"  /* in the run folder */
#define SPX_CKPT_VERSION 1u             /* format version this build writes and reads */
#define SPX_FNV64_INIT 0xcbf29ce484222325ULL /* FNV-1a 64 offset basis */

/* The schedule of restart points (config group "checkpoint"). */
typedef struct {
  long every_steps;    /* checkpoint.every_steps: after >= this many solver steps (0: off) */
  double every_time;   /* checkpoint.every_time: after >= this much time (0: off) */
  int on_signal_now;   /* checkpoint.on_signal = "now": also at the row a signal stopped */
} spx_ckpt_settings;

/* One restart point and what identifies its run. Arrays are owned by the struct. */
typedef struct {
  int n, d;
  char build[64];              /* SPX_VERSION of the writer */
  uint64_t config_hash;        /* FNV-1a 64 of the run's config.resolved.cfg */
  char solver[32];             /* solver.method */
  spx_solver_settings settings;
  unsigned long init_seed;     /* init.seed (the initial state is also stored: y0) */
  double t_final, every;       /* solver.t_final, the output interval */
  char reason[16];             /* "start", "scheduled" or "signal" */
  long row;                    /* last output row computed (its values are in the outputs) */
  double t;                    /* time of that row */
  double *x;                   /* [n d] state at t, x frame: the solver restarts from it */
  double *y;                   /* [n d] integration-frame state the row's observables came from */
  double *y0;                  /* [n d] initial state, integration frame (sign-memory reference) */
  double *t99;                 /* [d] first output time with alignment_k >= 0.99 (NaN: not yet) */
  double energy_min_inc;       /* running min of energy_rel_inc (inf: none yet) */
  spx_solver_stats stats;      /* back-end counters up to the row */
  double wall;                 /* wall seconds of the integration up to the row */
  uint64_t obs_bytes, obs_hash;    /* observables.tsv: length at the row, FNV-1a 64 of it */
  uint64_t traj_bytes, traj_hash;  /* trajectory.tsv|bin: same */
  long traj_frames;                /* trajectory frames written */
} spx_ckpt;

/* Allocate a checkpoint for n particles in R^d (arrays zeroed, t99 NaN). */
int spx_ckpt_create(int n, int d, spx_ckpt **out);
void spx_ckpt_free(spx_ckpt *c);

/* Serialize c into a malloc'ed buffer (*buf, *len). */
int spx_ckpt_encode(const spx_ckpt *c, unsigned char **buf, size_t *len);

/* Parse and validate a serialized checkpoint; origin names it in messages. SPX_EINVAL with a
 * message for a wrong magic, another format version, a truncated file or a checksum mismatch. */
int spx_ckpt_decode(const unsigned char *buf, size_t len, const char *origin, spx_ckpt **out);

/* Write c to DIR/checkpoint.bin atomically (temporary file, fsync, rename). */
int spx_ckpt_save(const spx_ckpt *c, const char *dir);

/* Read and validate the checkpoint file at path (spx_ckpt_decode). */
int spx_ckpt_load(const char *path, spx_ckpt **out);

/* Compare a checkpoint with the run it should continue (config hash, n, d, solver, settings,
 * output grid, seed); SPX_EINVAL naming the first difference. origin names the file. */
int spx_ckpt_match(const spx_ckpt *c, const char *origin, uint64_t config_hash,
                   const spx_run_params *p);

/* The checkpoint.* keys of a loaded config, range-checked (SPX_EINVAL with file:line and key). */
int spx_ckpt_settings_get(const spx_config *cfg, spx_ckpt_settings *out);

/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) of p[0..n), continuing from crc (0 to
 * start). */
uint32_t spx_crc32(uint32_t crc, const void *p, size_t n);

/* FNV-1a 64 of p[0..n), continuing from h (SPX_FNV64_INIT to start). */
uint64_t spx_fnv1a64(uint64_t h, const void *p, size_t n);

/* Continue the FNV-1a 64 hash *h over bytes [from, to) of the open file fd. */
int spx_ckpt_hash_fd(int fd, uint64_t from, uint64_t to, uint64_t *h);

/* Reopen the output DIR/NAME of an interrupted run for appending after its first `bytes` bytes,
 * which must hash to `hash`: from DIR/.NAME.tmp (a killed run) or DIR/NAME (a stopped one); the
 * file being written is of->tmp, committed by spx_out_commit as usual. SPX_EINVAL when neither
 * holds that prefix. */
int spx_ckpt_reopen_output(const char *dir, const char *name, uint64_t bytes, uint64_t hash,
                           spx_out_file *of);

#endif
