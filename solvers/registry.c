/* registry.c -- the one list of integrator back ends (solver.h), looked up by solver.method.
 *
 * SPX_SOLVER_BACKENDS is the only place a back end is named: it declares each back end's
 * spx_solver_<name> (defined in cvode.c, gsl_rk8pd.c, fixed.c) and builds the table. The order is
 * the order of --help: the recommended default (bdf, c_stack.md §0) first.
 */
#include "solver.h"

#include <stddef.h>
#include <string.h>

#define SPX_SOLVER_BACKENDS(X) X(bdf) X(adams) X(bdf_newton) X(rk8pd) X(rk4) X(euler)

#define SPX_SOLVER_DECLARE(name) extern const spx_solver_type spx_solver_##name;
SPX_SOLVER_BACKENDS(SPX_SOLVER_DECLARE)
#undef SPX_SOLVER_DECLARE

#define SPX_SOLVER_ENTRY(name) &spx_solver_##name,
static const spx_solver_type *const backends[] = {SPX_SOLVER_BACKENDS(SPX_SOLVER_ENTRY) NULL};
#undef SPX_SOLVER_ENTRY

const spx_solver_type *spx_solver_find(const char *name)
{
  if (!name) return NULL;
  for (const spx_solver_type *const *b = backends; *b; b++)
    if (strcmp((*b)->name, name) == 0) return *b;
  return NULL;
}

const spx_solver_type *const *spx_solver_list(void) { return backends; }
