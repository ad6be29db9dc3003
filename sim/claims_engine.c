/* claims_engine.c -- validation claims of the engine (spec sphere_dynamics.md §10). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "model.h"
#include "sim.h"
#include "status.h"
#include "validate.h"

const spx_claim spx_claims_engine[] = {
    {NULL, NULL, NULL, NULL, 0, NULL},
};
