/* status.h -- return codes and diagnostics shared by every module.
 *
 * Every exported function returns an int status (0 = SPX_OK). Only main() exits; the exit code
 * of the program is derived from the status with spx_status_exit_code(). Messages go to stderr
 * through spx_error()/spx_warn(), with a consistent "sim: " prefix, so that a user can grep them.
 */
#ifndef SPX_STATUS_H
#define SPX_STATUS_H

#include <stdarg.h>

/* Status codes. The process exit codes are fixed by the public interface (README):
 * 0 done, 2 invalid input, 3 integration failure, 1 internal error, 130/143 interrupted. */
typedef enum {
  SPX_OK = 0,
  SPX_EINVAL,      /* invalid input: config, command line, data file          -> exit 2 */
  SPX_ENOMEM,      /* allocation failed                                       -> exit 1 */
  SPX_ESOLVER,     /* the integrator failed (CVODE flag, step limit)          -> exit 3 */
  SPX_ENONFINITE,  /* NaN or inf in the state or the right-hand side          -> exit 3 */
  SPX_EIO,         /* could not read or write a file                          -> exit 1 */
  SPX_EINTERNAL,   /* a bug or an unexpected library failure                  -> exit 1 */
  SPX_EINTERRUPT,  /* SIGINT / SIGTERM received; outputs so far were written  -> 130/143 */
  SPX_EFAIL        /* a check failed (validate: a claim did not hold)         -> exit 1 */
} spx_status;

/* Human-readable name of a status ("invalid input", ...). */
const char *spx_status_name(int status);

/* Process exit code for a status (see the table above). */
int spx_status_exit_code(int status);

/* Print "sim: error: <message>" to stderr. Returns nothing; callers return their status. */
void spx_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "sim: warning: <message>" to stderr. */
void spx_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print a warning only the first time this key (a static string) is seen in the process. */
void spx_warn_once(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Suppress informational output (spx_info); errors and warnings are always printed. */
void spx_set_quiet(int quiet);

/* Print an informational line to stdout unless quiet. */
void spx_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Jump to the function's single cleanup label when a call fails (STYLE.md: one cleanup path). */
#define SPX_TRY(call)            \
  do {                           \
    status = (call);             \
    if (status != SPX_OK) goto cleanup; \
  } while (0)

#endif
