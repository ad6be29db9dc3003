/* table.c -- whitespace tables of numbers (table.h). */
#include "table.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "status.h"

int spx_table_read(const char *path, const char *what, int rows, int cols, const char *rows_key,
                   const char *cols_key, double **out, int *nrows, int *ncols)
{
  char rk[96] = "", ck[96] = "";
  if (rows_key) snprintf(rk, sizeof rk, " (%s)", rows_key);
  if (cols_key) snprintf(ck, sizeof ck, " (%s)", cols_key);
  int status = SPX_OK;
  struct stat st;
  FILE *f = NULL;
  char *line = NULL;
  size_t cap = 0, vcap = 0;
  double *v = NULL;
  long lineno = 0, row = 0;
  int width = cols;
  *out = NULL;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    spx_error("%s \"%s\": is a directory, expected a whitespace table of numbers", what, path);
    return SPX_EINVAL;
  }
  f = fopen(path, "r");
  if (!f) {
    spx_error("%s \"%s\": cannot open (%s)", what, path, strerror(errno));
    return SPX_EINVAL;
  }
  while (getline(&line, &cap, f) >= 0) {
    lineno++;
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0') continue;
    if (rows >= 0 && row >= rows) {
      spx_error("%s %s:%ld: more than the expected %d rows%s", what, path, lineno, rows, rk);
      status = SPX_EINVAL;
      goto cleanup;
    }
    int col = 0;
    for (;;) {
      while (*p == ' ' || *p == '\t' || *p == ',') p++;
      if (*p == '\n' || *p == '\r' || *p == '\0' || *p == '#') break;
      char *end;
      double x = strtod(p, &end);
      if (end == p || !isfinite(x)) {
        spx_error("%s %s:%ld: column %d is not a finite number", what, path, lineno, col + 1);
        status = SPX_EINVAL;
        goto cleanup;
      }
      if (width >= 0 && col >= width) {
        spx_error("%s %s:%ld: more than the expected %d columns%s", what, path, lineno, width,
                  cols >= 0 ? ck : "");
        status = SPX_EINVAL;
        goto cleanup;
      }
      size_t need = (size_t)(row + 1) * (size_t)(width >= 0 ? width : col + 1);
      if (need > vcap || (width < 0 && (size_t)col + 1 > vcap)) {
        size_t nc = vcap ? 2 * vcap : 1024;
        while (nc < need) nc *= 2;
        double *nv = realloc(v, nc * sizeof *v);
        if (!nv) { status = SPX_ENOMEM; goto cleanup; }
        v = nv;
        vcap = nc;
      }
      v[(size_t)row * (size_t)(width >= 0 ? width : 0) + (size_t)col] = x;
      col++;
      p = end;
    }
    if (width < 0) width = col; /* the first row fixes the width */
    if (col != width) {
      spx_error("%s %s:%ld: %d columns, expected %d%s", what, path, lineno, col, width,
                cols >= 0 ? ck : " (as in the first row)");
      status = SPX_EINVAL;
      goto cleanup;
    }
    row++;
  }
  if (ferror(f)) {
    spx_error("%s \"%s\": read error", what, path);
    status = SPX_EINVAL;
  } else if (row == 0) {
    spx_error("%s \"%s\": no data rows", what, path);
    status = SPX_EINVAL;
  } else if (rows >= 0 && row != rows) {
    spx_error("%s \"%s\": %ld data rows, expected %d%s", what, path, row, rows, rk);
    status = SPX_EINVAL;
  }
cleanup:
  free(line);
  fclose(f);
  if (status) {
    free(v);
    return status;
  }
  *out = v;
  if (nrows) *nrows = (int)row;
  if (ncols) *ncols = width;
  return SPX_OK;
}
