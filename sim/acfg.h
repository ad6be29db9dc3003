/* acfg.h -- the config files of `bin/sim analyze`: a libconfig file whose groups switch on the parts
 * of an analysis (count, perturb, spreads, flow, ...), every key declared once in the table of
 * acfg.c (path, type, default, range, help, the commands that use its group). Loading checks the
 * file against the table (unknown keys, types, ranges, choices, lengths), applies --set
 * overrides, and fills in the defaults of the groups that are present; every message names the
 * file and line (or the --set option) and the key, and says what is allowed (exit status 2).
 *
 * Paths inside the file (keys.file, flow.config, ...) are relative to the current directory, as
 * init.file of run configs is.
 */
#ifndef SPX_ACFG_H
#define SPX_ACFG_H

#include <stdio.h>

#include <libconfig.h>

/* The subcommands, as bits (a group may serve several). */
enum { SPX_AN_GAP = 1, SPX_AN_INERTIAL = 2, SPX_AN_GEODESIC = 4 };

typedef struct spx_acfg spx_acfg;

/* Load path for subcommand cmd (one SPX_AN_* bit) with overrides sets ("key=value"). */
int spx_acfg_load(const char *path, int cmd, const char *const *sets, int nsets, spx_acfg **out);
/* Free a config; NULL is allowed. */
void spx_acfg_free(spx_acfg *c);

/* The run name (key `name`, else the file's stem) and the config path. */
const char *spx_acfg_name(const spx_acfg *c);
const char *spx_acfg_path(const spx_acfg *c);

/* 1 if the group (top-level name) is present. */
int spx_acfg_has(const spx_acfg *c, const char *group);

/* The setting at a dotted path, NULL if absent (keys with a default are always present once
 * their group is). */
const config_setting_t *spx_acfg_setting(const spx_acfg *c, const char *path);

/* Typed values of declared keys (present or defaulted); NaN / 0 / NULL when absent. Strings of
 * present groups point into the config (valid until spx_acfg_free); the default of a key whose
 * group is absent comes from a small rotating static pool: copy it if it must be kept. */
double spx_acfg_num(const spx_acfg *c, const char *path);
long spx_acfg_int(const spx_acfg *c, const char *path);
int spx_acfg_bool(const spx_acfg *c, const char *path);
const char *spx_acfg_str(const spx_acfg *c, const char *path);

/* Elements of a numeric array at path (or of a setting s with path NULL): copies at most cap
 * values into v and returns the length (-1 if absent). */
int spx_acfg_vec(const spx_acfg *c, const char *path, double *v, int cap);

/* Members of a group setting s (e.g. an element of a list of groups). */
double spx_acfg_snum(const config_setting_t *s, const char *member);
const char *spx_acfg_sstr(const config_setting_t *s, const char *member);

/* Report bad input at path (or at setting s when s != NULL) and return SPX_EINVAL:
 * "FILE:LINE: key: message" (or "--set KEY=VALUE: key: message"). */
int spx_acfg_bad(const spx_acfg *c, const config_setting_t *s, const char *path, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));

/* A required key of a present group: SPX_EINVAL with the group's line when it is missing. */
int spx_acfg_require(const spx_acfg *c, const char *path);

/* Write the resolved config (defaults filled in, %.17g floats) to f. */
int spx_acfg_write_resolved(const spx_acfg *c, FILE *f);

/* Print the documented key table of the groups used by cmd (for --help). */
void spx_acfg_print_keys(FILE *f, int cmd);

#endif
