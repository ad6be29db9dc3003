/* mpi_run.c -- one system over MPI ranks for `bin/sim run` (mpi_run.h; spec c_stack.md §1.8, §5).
 *
 * The integration itself is split in sim.c (spx_sim_set_mpi_rows). Here the ranks are kept in
 * step around it: rank 0 checks the output folder first and broadcasts the verdict (so a refused
 * folder stops every rank, not only rank 0, before any collective call); the other ranks are
 * quiet, draw no figures (the config is loaded with output.plots = false there, see main.c) and
 * write into a private scratch folder, removed afterwards. The ranks must then make the same
 * collective calls: an I/O failure on rank 0 alone in the middle of a run (disk full) would leave
 * the others waiting; mpirun's own timeout or a kill ends such a run [limit, documented].
 */
#include "mpi_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SPX_HAVE_MPI
#include <ftw.h>
#include <mpi.h>
#include <unistd.h>
#endif

#include "output.h"
#include "sim.h"
#include "status.h"

int spx_mpi_multi_rank(void)
{
#ifdef SPX_HAVE_MPI
  int inited = 0, size = 1;
  MPI_Initialized(&inited);
  if (inited) MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size > 1;
#else
  return 0;
#endif
}

int spx_mpi_rank(void)
{
  int rank = 0;
#ifdef SPX_HAVE_MPI
  int inited = 0;
  MPI_Initialized(&inited);
  if (inited) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
#endif
  return rank;
}

#ifdef SPX_HAVE_MPI
static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
  return remove(path);
}
#endif

int spx_run_mpi(const spx_config *cfg, const spx_run_options *opt)
{
  if (!spx_mpi_multi_rank()) return spx_run(cfg, opt);
#ifdef SPX_HAVE_MPI
  int status = SPX_OK, rank = spx_mpi_rank();
  char scratch[4096] = "";
  if (rank == 0) status = spx_out_prepare_dir(opt->outdir, opt->force);
  MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (status != SPX_OK) return status;
  spx_run_options o = *opt;
  if (rank != 0) {
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/spx_rank%d_XXXXXX", tmp && *tmp ? tmp : "/tmp", rank);
    if (!mkdtemp(scratch)) {
      spx_error("rank %d: cannot create a scratch folder %s", rank, scratch);
      scratch[0] = '\0';
      status = SPX_EIO;
    }
    o.outdir = scratch;
    o.force = 1;
    o.progress = 0;
  }
  MPI_Allreduce(MPI_IN_PLACE, &status, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (status == SPX_OK) {
    SPX_TRY(spx_sim_set_mpi_rows(1));
    status = spx_run(cfg, &o);
    spx_sim_set_mpi_rows(0);
  }
cleanup:
  if (scratch[0]) nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  return status;
#else
  return spx_run(cfg, opt);
#endif
}
