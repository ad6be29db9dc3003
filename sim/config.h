/* config.h -- experiments as libconfig files: the key table, loading with --set overrides,
 * validation with file:line messages, and the resolved config (every default and seed filled in).
 *
 * Every key is declared once in the table of config.c (path, type, default, range, help); the
 * parser, the validator, `bin/sim run --help` and config.resolved.cfg all come from it.
 * Groups: model, init, solver, output, classify (+ a top-level `name`).
 */
#ifndef SPX_CONFIG_H
#define SPX_CONFIG_H

#include <stdio.h>

#include <libconfig.h>

#include "init.h"
#include "model.h"
#include "observables.h"
#include "solver.h"

typedef struct spx_config spx_config;

/* Typed view of a validated config (owned by the spx_config). */
typedef struct {
  const char *name;            /* run name: key `name`, default the config file's stem */
  const char *path;            /* the config file */
  spx_model *model;            /* built, finalized */
  spx_init_spec init;          /* initial condition */
  const char *method;          /* solver.method */
  spx_solver_settings solver;  /* tolerances, steps */
  int stop_when_settled;       /* solver.stop_when_settled: early stop (sim/settle.h) */
  double stop_tol;             /* solver.stop_tol */
  double t_final;              /* solver.t_final (in tau units when model.usa_time = "rescaled") */
  double every;                /* output.every: time between output rows */
  int traj_every;              /* output.trajectory_every: write the state every k-th output row (0: off) */
  const char *traj_format;     /* "auto" | "tsv" | "bin" */
  int plots;                   /* output.plots */
  const char *plot_format;     /* "png" | "pdf" | "svg" */
  spx_classify_settings classify;
  double norm_drift_warn;      /* output.norm_drift_warn: warn once above this drift */
} spx_run_params;

/* Load path, apply the overrides sets[0..nsets-1] ("key=value", value in libconfig syntax), validate
 * and build the model. Messages name the file, line and key; returns SPX_EINVAL on bad input. */
int spx_config_load(const char *path, const char *const *sets, int nsets, spx_config **out);
void spx_config_free(spx_config *c);

/* The typed parameters. */
const spx_run_params *spx_config_params(const spx_config *c);

/* Write the resolved config (libconfig syntax, %.17g floats) to f. */
int spx_config_write_resolved(const spx_config *c, FILE *f);

/* Raw setting at a dotted path (NULL if absent), for the module that owns a group of keys declared
 * with type K_ANY in the key table (e.g. sweep axes): it validates the structure itself. */
const config_setting_t *spx_config_setting(const spx_config *c, const char *path);

/* Report bad input at setting s ("FILE:LINE: key: message", or the --set option) and return
 * SPX_EINVAL. */
int spx_config_bad(const spx_config *c, const config_setting_t *s, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Parse the libconfig file at path into cfg (AUTOCONVERT set by the caller): integer literals
 * above 32 bits are read exactly (libconfig 1.5 would wrap them), binary files and folders are
 * refused; errors name file and line (what: e.g. "a config file"). Shared by every loader. */
int spx_config_read_file(config_t *cfg, const char *path, const char *what);

/* Put the libconfig value text at the dotted path under root (groups created on the way, an
 * existing setting replaced), with hook attached (the --set text, for error locations); origin
 * names the source in messages (e.g. "--set model.beta=2"). */
int spx_config_put(config_setting_t *root, const char *path, const char *value, void *hook,
                   const char *origin);

/* Print the value of a setting in libconfig syntax that reads back exactly (%.17g floats with a
 * '.', L on 64-bit integers, escaped strings); groups indented by indent. */
void spx_config_print_value(FILE *f, const config_setting_t *s, int indent);

/* Print the documented key table (for `bin/sim run --help`). */
void spx_config_print_keys(FILE *f);

#endif
