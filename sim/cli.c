/* cli.c -- option parsing shared by the commands (cli.h). */
#include "cli.h"

#include <string.h>

#include "status.h"

int spx_cli_option_value(int argc, char **argv, int *i, const char *const *opts, int nopts,
                         const char *cmd, const char **val)
{
  const char *a = argv[*i];
  for (int o = 0; o < nopts; o++) {
    size_t l = strlen(opts[o]);
    if (strcmp(a, opts[o]) == 0) {
      if (*i + 1 >= argc) {
        spx_error("%s: %s needs a value (bin/sim %s --help)", cmd, a, cmd);
        return -2;
      }
      *val = argv[++*i];
      return o;
    }
    if (strncmp(a, opts[o], l) == 0 && a[l] == '=') {
      *val = a + l + 1;
      return o;
    }
  }
  return -1;
}

int spx_cli_positional(const char *cmd, const char *a, const char *allowed, const char *what,
                       const char **input)
{
  if (a[0] == '-' && a[1]) {
    spx_error("%s: unknown option \"%s\"; allowed: %s", cmd, a, allowed);
    return SPX_EINVAL;
  }
  if (*input) {
    spx_error("%s: more than one %s given (\"%s\" and \"%s\")", cmd, what, *input, a);
    return SPX_EINVAL;
  }
  *input = a;
  return SPX_OK;
}
