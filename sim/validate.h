/* validate.h -- the catalogue of claims checked by `bin/sim validate`.
 *
 * A claim is a statement from a paper or the spec with an expected value or law and a tolerance.
 * Its run() computes the measured value from simulation or analysis and says PASS/FAIL. Claims
 * are grouped by family in claims_<family>.c files, each exporting a table terminated by an
 * entry with id == NULL; validate.c lists the tables once. Expected values come from the spec or
 * from a formula, never from a previous run of the program (DEVELOPERS.md).
 */
#ifndef SPX_VALIDATE_H
#define SPX_VALIDATE_H

typedef struct {
  int pass;               /* 1 PASS, 0 FAIL */
  char expected[256];     /* the expected value or law with its tolerance, as text */
  char measured[512];     /* the measured numbers, as text */
  char figure[256];       /* optional: a figure file (relative to the report folder) */
} spx_claim_result;

typedef struct {
  const char *id;         /* e.g. "SD-10.1" (spec sphere_dynamics §10 item 1) */
  const char *family;     /* e.g. "energy", "pure-modes", "transport", "spectral-gap" */
  const char *statement;  /* one line */
  const char *source;     /* paper and spec section */
  int quick;              /* 1: part of `validate --quick` (fast enough for make test) */
  /* Run the claim. outdir is the report folder (write figures/data under it, e.g.
   * outdir/ID/...). Returns SPX_OK when the check could be carried out (r->pass says the
   * verdict), another status when it could not (counted as FAIL with the message). */
  int (*run)(const char *outdir, spx_claim_result *r);
} spx_claim;

/* Helpers for claim implementations: format r->expected / r->measured. */
void spx_claim_set(spx_claim_result *r, int pass, const char *expected_fmt, ...);
void spx_claim_measured(spx_claim_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* `bin/sim validate [--quick] [--only ID] [--list] [--out DIR]`: returns the exit status. */
int spx_validate_main(int argc, char **argv);

#endif
