/* output.h -- the run folder and its files: atomic writes (temporary file, fsync, rename), so that
 * a crash or a full disk never leaves a half-written result under its final name, and the
 * gnuplot driver for the figures.
 */
#ifndef SPX_OUTPUT_H
#define SPX_OUTPUT_H

#include <stdio.h>

/* Create dir (and its parents). Refuse (SPX_EINVAL) when it holds another run's results
 * (summary.tsv, observables.tsv, sweep.tsv or report.tsv) unless force. */
int spx_out_prepare_dir(const char *dir, int force);

/* A file being written atomically: data goes to DIR/.NAME.tmp until spx_out_commit renames it. */
typedef struct {
  FILE *f;
  char tmp[4096];
  char final[4096];
} spx_out_file;

/* Open DIR/NAME for atomic writing. */
int spx_out_open(spx_out_file *of, const char *dir, const char *name);

/* Flush, fsync and rename to the final name. Reports write errors (e.g. ENOSPC) with the file
 * name; on error the temporary file is removed and the final name is untouched. */
int spx_out_commit(spx_out_file *of);

/* Abandon the file: close and remove the temporary. */
void spx_out_abort(spx_out_file *of);

/* Write an n x d state (x frame) as TSV with a header line. */
int spx_out_write_state(const char *dir, const char *name, const char *header, int n, int d,
                        const double *x);

/* Run gnuplot on plots/SCRIPT (SPX_PLOTS_DIR, or the environment variable SPX_PLOTS_DIR) in dir,
 * with the given "-e" assignments (e.g. "d=3; fmt='png'"). Returns SPX_OK, or SPX_EIO with a
 * warning when gnuplot is missing or the script failed (figures are not essential to a run). */
int spx_out_gnuplot(const char *dir, const char *script, const char *assignments);

/* Peak resident set size of this process in kB (from /proc/self/status, VmHWM). */
long spx_out_peak_rss_kb(void);

#endif
