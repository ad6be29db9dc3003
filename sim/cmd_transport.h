/* cmd_transport.h -- `bin/sim transport`: diagnostics of one attention matrix and of its
 * transpose, side by side (spec transport_routing.md §1.3-1.5, §2.2-2.5), or a sweep of window
 * widths. Implemented in cmd_transport.c; listed in the commands table of main.c.
 */
#ifndef SPX_CMD_TRANSPORT_H
#define SPX_CMD_TRANSPORT_H

/* `bin/sim transport FILE|CONFIG [options]` (argv[0] = "transport"): returns the exit status. */
int spx_transport_main(int argc, char **argv);

#endif
