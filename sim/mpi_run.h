/* mpi_run.h -- `bin/sim run` with one system split over MPI ranks (issue 4; make MPI=1, mpirun).
 *
 * Every rank loads the same config and runs the same steps (sim.c splits the system by row
 * blocks, CVODE on NVECTOR_PARALLEL); rank 0 writes the outputs, the other ranks write theirs into
 * a scratch folder under $TMPDIR (or /tmp) that is removed at the end. In serial builds, or with a
 * single rank, this is spx_run.
 */
#ifndef SPX_MPI_RUN_H
#define SPX_MPI_RUN_H

#include "config.h"
#include "run.h"

/* 1 when this process is one of several MPI ranks (MPI builds under mpirun), else 0. */
int spx_mpi_multi_rank(void);

/* This process's rank (0 in serial builds). */
int spx_mpi_rank(void);

/* Run cfg with opt (see above). Returns the run's status on this rank. */
int spx_run_mpi(const spx_config *cfg, const spx_run_options *opt);

#endif
