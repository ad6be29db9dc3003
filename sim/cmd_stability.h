/* cmd_stability.h -- `bin/sim stability CONFIG`: the pure-mode stability table of a config's
 * symmetric flow (spec sphere_dynamics.md §4.2-§4.4, §12.3-§12.4), printed and written as
 * stability.tsv and stability.md.
 */
#ifndef SPX_CMD_STABILITY_H
#define SPX_CMD_STABILITY_H

/* Parse "4/2,5/1" into cap pairs (n_plus, n_minus), each count >= 1; *count receives the number of
 * pairs. SPX_EINVAL with a message naming the bad item (option --splits). */
int spx_stability_parse_splits(const char *text, int cap, int *pairs, int *count);

/* `bin/sim stability CONFIG [--set KEY=VALUE]... [--out DIR] [--force] [--splits LIST]
 * [--max-dim N] [--quiet]`: returns the process exit status (0, 2 bad input, 1 I/O). */
int spx_stability_main(int argc, char **argv);

#endif
