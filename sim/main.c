/* main.c -- the command line: `bin/sim COMMAND [options]`.
 *
 * Commands are listed once in the table `commands`; each has its own --help. Exit status:
 * 0 done, 2 invalid input, 3 integration failure, 1 internal error (or a failed validation),
 * 130 / 143 interrupted by SIGINT / SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_version.h>
#include <libconfig.h>

#ifdef SPX_HAVE_MPI
#include <mpi.h>
#endif

#include "cli.h"
#include "config.h"
#include "mpi_run.h"
#include "run.h"
#include "solver.h"
#include "status.h"
#include "validate.h"
#include "analyze.h"
#include "cmd_transport.h"
#include "cmd_stability.h"
#include "sweep.h"

typedef struct {
  const char *name;
  int (*main)(int argc, char **argv);
  const char *usage;
  const char *summary;
} command;

static int cmd_run(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const command commands[] = {
    {"run", cmd_run, "run CONFIG [--set KEY=VALUE]... [--out DIR] [--force] [--quiet] | run --resume DIR",
     "integrate one experiment and write its outputs and figures"},
    {"validate", spx_validate_main, "validate [--quick] [--only ID] [--list] [--out DIR]",
     "check the catalogue of claims (PASS/FAIL with the numbers)"},
    {"transport", spx_transport_main,
     "transport FILE|CONFIG [--out DIR] [--force] [--set KEY=VALUE]... [--kind K] [--n N] [--w W]",
     "transport diagnostics of an attention matrix and of its transpose"},
    {"sweep", spx_sweep_main,
     "sweep CONFIG [--set KEY=VALUE]... [--out DIR] [--force] [--threads N] [--quiet] [--no-plots] "
     "[--list]",
     "parameter sweep over threads / MPI ranks, resumable; phase diagrams with the theory"},
    {"stability", spx_stability_main,
     "stability CONFIG [--set KEY=VALUE]... [--out DIR] [--force] [--splits LIST]",
     "pure-mode equilibria of the symmetric flow: eigenvalues, Morse index, verdict"},
    {"analyze", spx_analyze_main,
     "analyze gap|inertial|geodesic CONFIG [--set KEY=VALUE]... [--out DIR] [--force] [--quiet]",
     "spectral-gap analysis: dim E_-, inertial unstable modes, Jacobi-Maupertuis geodesics"},
    {"version", cmd_version, "version", "print the version and the libraries"},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof *commands))

static void usage(FILE *f)
{
  fprintf(f, "usage: bin/sim COMMAND [options]   (bin/sim COMMAND --help for details)\n\n"
             "Self-attention particle flows on the unit sphere (SUNDIALS CVODE + GSL).\n\n"
             "commands:\n");
  for (int i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nexit status: 0 done, 2 invalid input, 3 integration failure, 1 internal error "
             "or failed claim,\n130/143 interrupted (SIGINT/SIGTERM)\n");
}

static int wants_help(int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
  return 0;
}

static int cmd_version(int argc, char **argv)
{
  if (argc > 1 && !wants_help(argc, argv)) {
    spx_error("version: unexpected argument \"%s\"", argv[1]);
    return 2;
  }
  printf("sim %s (SUNDIALS %s, GSL %s, libconfig %d.%d)\n", SPX_VERSION, "6.4", GSL_VERSION,
         LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR);
  return 0;
}

static void run_help(void)
{
  printf("usage: bin/sim run CONFIG [--set KEY=VALUE]... [--out DIR] [--force] [--quiet]\n"
         "       bin/sim run --resume DIR [--quiet]\n\n"
         "Integrate the experiment described by CONFIG (libconfig syntax; see configs/ and\n"
         "README.md) and write its outputs to output/NAME/ (NAME: the config's `name`, else\n"
         "its file stem) or DIR.\n\n"
         "  --set KEY=VALUE  override a key; VALUE in libconfig syntax, e.g. --set model.beta=2,\n"
         "                   --set 'model.spectrum=[1.0, 0.5, -0.3]', --set 'solver.method=\"bdf\"'\n"
         "  --out DIR        output folder (default output/NAME)\n"
         "  --force          overwrite the results of an earlier run in that folder\n"
         "  --quiet          no informational output\n"
         "  --resume DIR     continue the interrupted run in DIR from its checkpoint.bin, with its\n"
         "                   own config.resolved.cfg (no CONFIG, --set, --out or --force); the\n"
         "                   result equals the uninterrupted run's (checkpoint.* keys below)\n\n");
  printf("solver.method back ends:\n");
  for (const spx_solver_type *const *t = spx_solver_list(); *t; t++)
    printf("  %-11s %s\n", (*t)->name, (*t)->doc);
  printf("\n");
  spx_config_print_keys(stdout);
}

static int cmd_run(int argc, char **argv)
{
  const char *cfgpath = NULL, *out = NULL, *resume = NULL;
  const char **sets = calloc((size_t)argc, sizeof *sets);
  int nsets = 0, force = 0, quiet = 0, status = SPX_OK, rc;
  spx_config *cfg = NULL;
  char outbuf[4096];
  if (!sets) return 1;
  if (wants_help(argc, argv)) {
    run_help();
    free(sets);
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *val = NULL;
    static const char *const opts[] = {"--set", "--out", "--resume"};
    int which = spx_cli_option_value(argc, argv, &i, opts, 3, "run", &val);
    if (which == -2 || (which >= 0 && !*val)) {
      if (which >= 0) spx_error("run: %s needs a value", opts[which]);
      status = SPX_EINVAL;
      goto cleanup;
    }
    if (which == 0) {
      sets[nsets++] = val;
    } else if (which == 1) {
      out = val;
    } else if (which == 2) {
      resume = val;
    } else if (strcmp(a, "--force") == 0) {
      force = 1;
    } else if (strcmp(a, "--quiet") == 0) {
      quiet = 1;
    } else {
      SPX_TRY(spx_cli_positional(
          "run", a, "--set KEY=VALUE, --out DIR, --force, --quiet, --resume DIR, --help", "config",
          &cfgpath));
    }
  }
  if (resume && spx_mpi_multi_rank()) {
    spx_error("run --resume: resume with one process (not under mpirun with several ranks)");
    status = SPX_EINVAL;
    goto cleanup;
  }
  if (resume) {
    if (cfgpath || nsets || out || force) {
      spx_error("run --resume %s: takes no %s; the run continues with %s/config.resolved.cfg as "
                "it started", resume, cfgpath ? "CONFIG" : nsets ? "--set" : out ? "--out" : "--force",
                resume);
      status = SPX_EINVAL;
      goto cleanup;
    }
    spx_set_quiet(quiet);
    spx_run_install_signals();
    spx_run_options ropt = {.outdir = resume, .force = 0, .progress = !quiet};
    out = resume;
    status = spx_run_resume(resume, &ropt);
    goto cleanup;
  }
  if (!cfgpath) {
    spx_error("run: no config given; usage: bin/sim run CONFIG [--set KEY=VALUE]... [--out DIR]");
    status = SPX_EINVAL;
    goto cleanup;
  }
  if (out && !*out) {
    spx_error("run: --out needs a folder name");
    status = SPX_EINVAL;
    goto cleanup;
  }
  /* mpirun with several ranks: one system split over them; the other ranks are quiet and draw
   * no figures (sim/mpi_run.h). */
  if (spx_mpi_multi_rank() && spx_mpi_rank() != 0) {
    sets[nsets++] = "output.plots=false";
    quiet = 1;
  }
  spx_set_quiet(quiet);
  SPX_TRY(spx_config_load(cfgpath, sets, nsets, &cfg));
  if (!out) {
    snprintf(outbuf, sizeof outbuf, "output/%s", spx_config_params(cfg)->name);
    out = outbuf;
  }
  spx_run_install_signals();
  spx_run_options opt = {.outdir = out, .force = force, .progress = !quiet};
  status = spx_run_mpi(cfg, &opt);
cleanup:
  rc = spx_status_exit_code(status);
  if (status == SPX_EINTERRUPT && spx_run_interrupted() == SIGTERM) rc = 143;
  if (status == SPX_ESOLVER || status == SPX_ENONFINITE)
    spx_error("integration failed (%s); outputs up to the failure and the last good state "
              "are in %s/", spx_status_name(status), out ? out : "the output folder");
  spx_config_free(cfg);
  free(sets);
  return rc;
}

static int dispatch(int argc, char **argv);

/* MPI builds (make MPI=1) initialise MPI around the whole command; the commands that use it
 * (sweep: runs spread over ranks; run: one system's rows spread over ranks) take the world
 * communicator, the others run on every rank alike. */
int main(int argc, char **argv)
{
#ifdef SPX_HAVE_MPI
  MPI_Init(&argc, &argv);
#endif
  int rc = dispatch(argc, argv);
#ifdef SPX_HAVE_MPI
  MPI_Finalize();
#endif
  return rc;
}

static int dispatch(int argc, char **argv)
{
  gsl_set_error_handler_off();
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) return cmd_version(1, argv);
  for (int i = 0; i < NCOMMANDS; i++)
    if (strcmp(argv[1], commands[i].name) == 0) return commands[i].main(argc - 1, argv + 1);
  char list[512] = "";
  for (int i = 0; i < NCOMMANDS; i++) {
    strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
    strncat(list, commands[i].name, sizeof list - strlen(list) - 1);
  }
  spx_error("unknown command \"%s\"; commands: %s (bin/sim --help)", argv[1], list);
  return 2;
}
