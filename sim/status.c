/* status.c -- status names, exit codes and the message printers of status.h. */
#include "status.h"

#include <stdio.h>
#include <string.h>

static int quiet_flag = 0;

const char *spx_status_name(int status)
{
  switch (status) {
  case SPX_OK: return "success";
  case SPX_EINVAL: return "invalid input";
  case SPX_ENOMEM: return "out of memory";
  case SPX_ESOLVER: return "integration failure";
  case SPX_ENONFINITE: return "non-finite value";
  case SPX_EIO: return "input/output error";
  case SPX_EINTERNAL: return "internal error";
  case SPX_EINTERRUPT: return "interrupted";
  case SPX_EFAIL: return "check failed";
  default: return "unknown status";
  }
}

int spx_status_exit_code(int status)
{
  switch (status) {
  case SPX_OK: return 0;
  case SPX_EINVAL: return 2;
  case SPX_ESOLVER:
  case SPX_ENONFINITE: return 3;
  case SPX_EINTERRUPT: return 130;
  default: return 1;
  }
}

static void vprint(const char *kind, const char *fmt, va_list ap)
{
  fprintf(stderr, "sim: %s: ", kind);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

void spx_error(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vprint("error", fmt, ap);
  va_end(ap);
}

void spx_warn(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vprint("warning", fmt, ap);
  va_end(ap);
}

#define SPX_MAX_ONCE 64
void spx_warn_once(const char *key, const char *fmt, ...)
{
  static const char *seen[SPX_MAX_ONCE];
  static int nseen = 0;
  int already = 0;
  /* Runs of a sweep call this from several OpenMP threads. */
#pragma omp critical(spx_warn_once)
  {
    for (int i = 0; i < nseen && !already; i++) already = strcmp(seen[i], key) == 0;
    if (!already && nseen < SPX_MAX_ONCE) seen[nseen++] = key;
  }
  if (already) return;
  va_list ap;
  va_start(ap, fmt);
  vprint("warning", fmt, ap);
  va_end(ap);
}

void spx_set_quiet(int quiet) { quiet_flag = quiet; }

void spx_info(const char *fmt, ...)
{
  if (quiet_flag) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stdout, fmt, ap);
  va_end(ap);
  fputc('\n', stdout);
  fflush(stdout);
}
