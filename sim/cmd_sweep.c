/* cmd_sweep.c -- the command line of `bin/sim sweep CONFIG` (sweep.h; issue 6).
 *
 * Options: --set KEY=VALUE (as `run`), --out DIR, --force, --threads N, --quiet, --no-plots,
 * --list (print the points and their seeds, run nothing). Exit status as `run`: 0 done,
 * 2 invalid input (before anything is written), 1 internal error or I/O, 130/143 interrupted
 * (the finished runs are kept: the same command continues).
 * In MPI builds rank 0 validates first (so that a bad config prints its messages once).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SPX_HAVE_MPI
#include <mpi.h>
#endif

#include "cli.h"
#include "run.h"
#include "status.h"
#include "sweep_impl.h"

static void sweep_help(void)
{
  printf(
      "usage: bin/sim sweep CONFIG [--set KEY=VALUE]... [--out DIR] [--force] [--threads N]\n"
      "                     [--quiet] [--no-plots] [--list]\n\n"
      "Run every point of the sweep group of CONFIG (axes x replicas), in parallel over threads\n"
      "(OMP_NUM_THREADS or --threads) and, with `make MPI=1` and mpirun, over ranks. Outputs in\n"
      "output/NAME/ or DIR: sweep.tsv (one row per run), phase.tsv (one row per point), the\n"
      "figures, config.resolved.cfg, runs/ (one record per finished run). Rerunning the same\n"
      "command after an interruption (even SIGKILL) continues; a folder holding another sweep\n"
      "is refused unless --force.\n\n"
      "  --set KEY=VALUE  override a key of the base config (as bin/sim run)\n"
      "  --out DIR        output folder (default output/NAME)\n"
      "  --force          replace the results of another sweep (or run) in that folder\n"
      "  --threads N      runs in parallel on N threads (default OMP_NUM_THREADS / all cores)\n"
      "  --quiet          no progress bar or log lines\n"
      "  --no-plots       tables only, no figures\n"
      "  --list           print the points (axis values, seeds) and exit\n\n"
      "The sweep group (see README.md, configs/phase_*.cfg):\n"
      "  sweep: {\n"
      "    axes = ( { param = \"model.beta\"; logspace = [0.1, 10.0]; count = 9; },\n"
      "             { name = \"a\"; linspace = [0.5, 1.5]; count = 11; label = \"a\"; },\n"
      "             { param = \"model.d\"; values = [2, 3, 8]; } );   # cartesian product\n"
      "    derived = [\"model.spectrum=[${a}, 1.0]\"];   # keys computed from the axes\n"
      "    replicas = 8;        # runs per point; seeds seed + point * replicas + r\n"
      "    seed = 1;            # default: init.seed\n"
      "    metrics = [\"f_plus\", \"clusters\", \"t_cluster\"];   # summary.tsv keys\n"
      "    figures = ( { kind = \"heatmap\"; x = \"beta\"; y = \"a\"; z = \"split\";\n"
      "                  theory = [\"beta_s\", \"criterion\"]; },\n"
      "                { kind = \"fractions\"; x = \"a\"; classes = [\"split\", \"homogeneous\"]; },\n"
      "                { kind = \"metric\"; x = \"beta\"; metric = \"clusters\"; theory = [\"kstar\"]; },\n"
      "                { kind = \"snapshots\"; x = \"a\"; max = 8; } );\n"
      "  };\n\n"
      "metrics (always recorded: status, class, consensus):\n ");
  for (int i = 3; i < spx_sweep_nmetric_table; i++)
    printf(" %s", spx_sweep_metric_table[i].name);
  printf("\ntheories: criterion (spec §4.4 items 1-2 on a fine grid), beta_s, bistability,\n"
         "kstar (§6.4), binomial (f_plus of uniform data), equiangular (§6.2, d -> infinity)\n");
}

int spx_sweep_main(int argc, char **argv)
{
  const char *cfgpath = NULL;
  const char **sets = calloc((size_t)argc + 1, sizeof *sets);
  int nsets = 0, status = SPX_OK, rank = 0, list = 0;
  spx_sweep *sw = NULL;
  spx_sweep_options opt = {.plots = 1};
  if (!sets) return 1;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      sweep_help();
      free(sets);
      return 0;
    }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--set") == 0 || strcmp(a, "--out") == 0 || strcmp(a, "--threads") == 0) {
      if (i + 1 >= argc) {
        spx_error("sweep: %s needs a value", a);
        status = SPX_EINVAL;
        goto cleanup;
      }
      const char *v = argv[++i];
      if (a[2] == 's') sets[nsets++] = v;
      else if (a[2] == 'o') opt.outdir = v;
      else {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || end == v || n < 1 || n > 4096) {
          spx_error("sweep: --threads %s: expected an integer 1..4096", v);
          status = SPX_EINVAL;
          goto cleanup;
        }
        opt.threads = (int)n;
      }
    } else if (strncmp(a, "--set=", 6) == 0) {
      sets[nsets++] = a + 6;
    } else if (strncmp(a, "--out=", 6) == 0) {
      opt.outdir = a + 6;
    } else if (strcmp(a, "--force") == 0) {
      opt.force = 1;
    } else if (strcmp(a, "--quiet") == 0) {
      opt.quiet = 1;
    } else if (strcmp(a, "--no-plots") == 0) {
      opt.plots = 0;
    } else if (strcmp(a, "--list") == 0) {
      list = 1;
    } else {
      SPX_TRY(spx_cli_positional("sweep", a,
                                 "--set KEY=VALUE, --out DIR, --force, --threads N, --quiet, "
                                 "--no-plots, --list, --help",
                                 "config", &cfgpath));
    }
  }
  if (!cfgpath) {
    spx_error("sweep: no config given; usage: bin/sim sweep CONFIG [--set KEY=VALUE]... "
              "[--out DIR] [--threads N]");
    status = SPX_EINVAL;
    goto cleanup;
  }
  if (opt.outdir && !*opt.outdir) {
    spx_error("sweep: --out needs a folder name");
    status = SPX_EINVAL;
    goto cleanup;
  }
  spx_set_quiet(opt.quiet);
#ifdef SPX_HAVE_MPI
  int inited = 0, size = 1;
  MPI_Initialized(&inited);
  if (inited) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  if (rank == 0) status = spx_sweep_load(cfgpath, sets, nsets, &sw);
  if (size > 1) {
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status == SPX_OK && rank > 0) status = spx_sweep_load(cfgpath, sets, nsets, &sw);
    if (rank > 0) spx_set_quiet(1);
  }
  if (status) goto cleanup;
#else
  SPX_TRY(spx_sweep_load(cfgpath, sets, nsets, &sw));
#endif
  if (list) {
    if (rank == 0) {
      long np = spx_sweep_npoints(sw);
      int R = spx_sweep_replicas(sw);
      printf("# point");
      for (int a = 0; a < spx_sweep_naxes(sw); a++) printf("\t%s", spx_sweep_axis_name(sw, a));
      printf("\tseeds\tsets\n");
      for (long p = 0; p < np; p++) {
        printf("%ld", p);
        for (int a = 0; a < spx_sweep_naxes(sw); a++) {
          const char *t;
          spx_sweep_axis_value(sw, a, p, &t);
          printf("\t%s", t);
        }
        printf("\t%lu..%lu\t", spx_sweep_seed(sw, p, 0), spx_sweep_seed(sw, p, R - 1));
        const char *const *rs;
        int nrs;
        SPX_TRY(spx_sweep_run_sets(sw, p, 0, &rs, &nrs));
        for (int k = nsets; k < nrs; k++)
          if (strncmp(rs[k], "init.seed=", 10) != 0) printf("%s%s", k > nsets ? " " : "", rs[k]);
        printf("\n");
      }
    }
    goto cleanup;
  }
  status = spx_sweep_execute(sw, &opt);
cleanup:;
  int rc = spx_status_exit_code(status);
  if (status == SPX_EINTERRUPT && spx_run_interrupted() == SIGTERM) rc = 143;
  spx_sweep_free(sw);
  free(sets);
  return rc;
}
