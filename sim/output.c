/* output.c -- run folders, atomic files and gnuplot (output.h). */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "status.h"

static int mkdir_p(const char *dir)
{
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) return -1;
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
      *p = '/';
    }
  if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
  struct stat st;
  return (stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) ? 0 : -1;
}

int spx_out_prepare_dir(const char *dir, int force)
{
  static const char *const results[] = {"summary.tsv", "observables.tsv", "sweep.tsv",
                                        "report.tsv"};
  struct stat st;
  if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
    spx_error("output folder %s exists and is not a folder", dir);
    return SPX_EINVAL;
  }
  if (!force)
    for (size_t i = 0; i < sizeof results / sizeof *results; i++) {
      char p[4200];
      snprintf(p, sizeof p, "%s/%s", dir, results[i]);
      if (stat(p, &st) == 0) {
        spx_error("output folder %s holds another run's results (%s); use --force to overwrite "
                  "them or --out DIR to write elsewhere", dir, results[i]);
        return SPX_EINVAL;
      }
    }
  if (mkdir_p(dir) != 0) {
    spx_error("cannot create the output folder %s (%s)", dir, strerror(errno));
    return SPX_EIO;
  }
  return SPX_OK;
}

int spx_out_open(spx_out_file *of, const char *dir, const char *name)
{
  if (snprintf(of->final, sizeof of->final, "%s/%s", dir, name) >= (int)sizeof of->final ||
      snprintf(of->tmp, sizeof of->tmp, "%s/.%s.tmp", dir, name) >= (int)sizeof of->tmp) {
    spx_error("output path too long: %s/%s", dir, name);
    return SPX_EIO;
  }
  of->f = fopen(of->tmp, "w");
  if (!of->f) {
    spx_error("cannot write %s (%s)", of->tmp, strerror(errno));
    return SPX_EIO;
  }
  return SPX_OK;
}

int spx_out_commit(spx_out_file *of)
{
  if (!of->f) return SPX_EIO;
  int err = 0;
  if (fflush(of->f) != 0 || ferror(of->f)) err = errno ? errno : EIO;
  if (!err && fsync(fileno(of->f)) != 0) err = errno;
  if (fclose(of->f) != 0 && !err) err = errno ? errno : EIO;
  of->f = NULL;
  if (!err && rename(of->tmp, of->final) != 0) err = errno;
  if (err) {
    spx_error("could not write %s (%s); the previous file, if any, is unchanged", of->final,
              strerror(err));
    unlink(of->tmp);
    return SPX_EIO;
  }
  return SPX_OK;
}

void spx_out_abort(spx_out_file *of)
{
  if (of->f) fclose(of->f);
  of->f = NULL;
  unlink(of->tmp);
}

int spx_out_write_state(const char *dir, const char *name, const char *header, int n, int d,
                        const double *x)
{
  spx_out_file of;
  int status = spx_out_open(&of, dir, name);
  if (status) return status;
  fprintf(of.f, "# %s\n# %d particles, one per row: x_1 ... x_%d\n", header, n, d);
  for (long i = 0; i < n; i++) {
    for (int a = 0; a < d; a++) fprintf(of.f, a ? "\t%.17g" : "%.17g", x[i * d + a]);
    fputc('\n', of.f);
  }
  return spx_out_commit(&of);
}

int spx_out_gnuplot(const char *dir, const char *script, const char *assignments)
{
  const char *pd = getenv("SPX_PLOTS_DIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", pd && *pd ? pd : SPX_PLOTS_DIR, script);
  if (access(path, R_OK) != 0) {
    spx_warn("figures skipped: gnuplot script %s not found (set SPX_PLOTS_DIR)", path);
    return SPX_EIO;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return SPX_EIO;
  if (pid == 0) {
    if (chdir(dir) != 0) _exit(126);
    int fd = open("gnuplot.log", O_WRONLY | O_CREAT | O_APPEND, 0666);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execlp("gnuplot", "gnuplot", "-e", assignments, path, (char *)NULL);
    _exit(127);
  }
  int st;
  if (waitpid(pid, &st, 0) < 0) return SPX_EIO;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
      spx_warn("figures skipped: gnuplot is not installed (apt-get install gnuplot-nox)");
    else
      spx_warn("gnuplot failed on %s; see %s/gnuplot.log", script, dir);
    return SPX_EIO;
  }
  return SPX_OK;
}

long spx_out_peak_rss_kb(void)
{
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmHWM:", 6) == 0) {
      kb = strtol(line + 6, NULL, 10);
      break;
    }
  fclose(f);
  return kb;
}
