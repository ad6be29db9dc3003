/* table.h -- reading whitespace tables of numbers (init files, key sets, attention matrices).
 *
 * One row per line; numbers separated by blanks, tabs or commas; '#' starts a comment; blank lines
 * are skipped. Every error names the file and line and says what was expected (exit status 2 at
 * the command line).
 */
#ifndef SPX_TABLE_H
#define SPX_TABLE_H

/* Read the table at path. rows / cols: the required shape, or -1 for "any" (then every row must
 * have the same number of columns as the first). what names the input in messages (e.g.
 * "init.file"); rows_key / cols_key (may be NULL) name the keys that fix the shape (e.g.
 * "model.n", "model.d"), for the messages. On success *out is a malloc'ed rows x cols row-major array (free it) and *nrows,
 * *ncols (may be NULL) the shape. Errors: SPX_EINVAL (message printed), SPX_ENOMEM. */
int spx_table_read(const char *path, const char *what, int rows, int cols, const char *rows_key,
                   const char *cols_key, double **out, int *nrows, int *ncols);

#endif
