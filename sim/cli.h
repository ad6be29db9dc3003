/* cli.h -- option parsing shared by the commands of bin/sim. */
#ifndef SPX_CLI_H
#define SPX_CLI_H

/* Match argv[*i] against the options that take a value, opts[0..nopts-1], written "--opt VALUE"
 * or "--opt=VALUE". Returns the index of the option (and sets *val, advancing *i past a separate
 * value), -1 when argv[*i] is none of them, or -2 when the value is missing (message printed,
 * naming cmd). */
int spx_cli_option_value(int argc, char **argv, int *i, const char *const *opts, int nopts,
                         const char *cmd, const char **val);

/* An argument a that none of cmd's options matched: an unknown option (message listing `allowed`,
 * the options of cmd), else the positional input of the command (its `what`: "config", "input"),
 * stored in *input if none was given yet. Returns SPX_OK or SPX_EINVAL (message printed). */
int spx_cli_positional(const char *cmd, const char *a, const char *allowed, const char *what,
                       const char **input);

#endif
