/* validate.c -- `bin/sim validate`: runs the catalogue of claims and writes the report.
 *
 * The catalogue is the union of the claim tables listed once in `tables` below (one per family
 * file claims_<family>.c). Output: report.tsv (id, family, verdict, expected, measured, source,
 * statement) and report.md (a table plus the figures), both written atomically into the report
 * folder (default output/validate). The exit status is 0 when every selected claim passed, 1 when
 * one failed, 2 for bad options.
 */
#include "validate.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"
#include "status.h"

extern const spx_claim spx_claims_engine[];
extern const spx_claim spx_claims_transport[];
extern const spx_claim spx_claims_ky[];
extern const spx_claim spx_claims_gap[];

/* Every claim table, listed once. */
static const spx_claim *const tables[] = {spx_claims_engine, spx_claims_transport, spx_claims_ky, spx_claims_gap};
#define NTABLES ((int)(sizeof tables / sizeof *tables))

void spx_claim_set(spx_claim_result *r, int pass, const char *expected_fmt, ...)
{
  va_list ap;
  r->pass = pass;
  va_start(ap, expected_fmt);
  vsnprintf(r->expected, sizeof r->expected, expected_fmt, ap);
  va_end(ap);
}

void spx_claim_measured(spx_claim_result *r, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->measured, sizeof r->measured, fmt, ap);
  va_end(ap);
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Replace tabs and newlines so that a text fits one TSV cell; '|' for the Markdown table. */
static void clean(char *s)
{
  for (; *s; s++)
    if (*s == '\t' || *s == '\n') *s = ' ';
}

/* One Markdown table cell: '|' escaped (as in |x|), tabs and newlines as spaces. */
static void md_cell(FILE *f, const char *s)
{
  fputs(" ", f);
  for (; *s; s++) {
    if (*s == '|') fputs("\\|", f);
    else fputc((*s == '\t' || *s == '\n') ? ' ' : *s, f);
  }
  fputs(" |", f);
}

static void print_help(void)
{
  printf("usage: bin/sim validate [--quick] [--only ID[,ID...]] [--list] [--out DIR]\n\n"
         "Check the catalogue of claims (papers and spec) by simulation and analysis, each with\n"
         "its expected value or law, tolerance, measured value and PASS/FAIL. Writes\n"
         "DIR/report.md and DIR/report.tsv (default DIR = output/validate) and exits 1 if any\n"
         "claim fails.\n\n"
         "  --quick   only the fast claims (part of make test; under 3 minutes on 2 cores)\n"
         "  --only    run only these claim IDs (comma-separated)\n"
         "  --list    print the catalogue: ID, family, quick, statement, source\n"
         "  --out     report folder\n");
}

static int selected(const char *only, const char *id)
{
  if (!only) return 1;
  size_t l = strlen(id);
  for (const char *p = only; *p;) {
    const char *e = strchr(p, ',');
    size_t pl = e ? (size_t)(e - p) : strlen(p);
    if (pl == l && strncmp(p, id, l) == 0) return 1;
    p += pl + (e ? 1 : 0);
  }
  return 0;
}

int spx_validate_main(int argc, char **argv)
{
  int quick = 0, list = 0, status = SPX_OK;
  const char *only = NULL, *out = "output/validate";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      print_help();
      return 0;
    } else if (strcmp(a, "--quick") == 0) {
      quick = 1;
    } else if (strcmp(a, "--list") == 0) {
      list = 1;
    } else if ((strcmp(a, "--only") == 0 || strcmp(a, "--out") == 0) && i + 1 < argc) {
      if (a[3] == 'n') only = argv[++i];
      else out = argv[++i];
    } else if (strncmp(a, "--only=", 7) == 0) {
      only = a + 7;
    } else if (strncmp(a, "--out=", 6) == 0) {
      out = a + 6;
    } else {
      spx_error("validate: unknown or incomplete option \"%s\"; allowed: --quick, --only ID, "
                "--list, --out DIR, --help", a);
      return 2;
    }
  }
  /* Every ID given to --only must exist. */
  if (only) {
    char *copy = strdup(only), *save = NULL;
    if (!copy) return 1;
    for (char *id = strtok_r(copy, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
      int found = 0;
      for (int t = 0; t < NTABLES; t++)
        for (const spx_claim *c = tables[t]; c->id; c++) found |= strcmp(c->id, id) == 0;
      if (!found) {
        spx_error("validate: no claim with ID \"%s\" (bin/sim validate --list shows them)", id);
        free(copy);
        return 2;
      }
    }
    free(copy);
  }
  if (list) {
    printf("%-14s %-14s %-5s %s  [%s]\n", "ID", "family", "quick", "statement", "source");
    for (int t = 0; t < NTABLES; t++)
      for (const spx_claim *c = tables[t]; c->id; c++)
        if (selected(only, c->id))
          printf("%-14s %-14s %-5s %s  [%s]\n", c->id, c->family, c->quick ? "yes" : "no",
                 c->statement, c->source);
    return 0;
  }

  status = spx_out_prepare_dir(out, 1);
  if (status) return spx_status_exit_code(status);
  spx_out_file tsv, md;
  if (spx_out_open(&tsv, out, "report.tsv") || spx_out_open(&md, out, "report.md")) return 1;
  fprintf(tsv.f, "# bin/sim validate%s%s%s: one row per claim\n", quick ? " --quick" : "",
          only ? " --only " : "", only ? only : "");
  fprintf(tsv.f, "# id\tfamily\tverdict\texpected\tmeasured\tseconds\tsource\tstatement\n");
  fprintf(md.f, "# Validation report\n\n`bin/sim validate%s%s%s`, sim %s. Each claim: the "
                "expected value or law with its tolerance (from the spec or a formula), the "
                "measured value, and the verdict.\n\n",
          quick ? " --quick" : "", only ? " --only " : "", only ? only : "", SPX_VERSION);
  fprintf(md.f, "| ID | family | statement | source | expected | measured | verdict |\n"
                "|---|---|---|---|---|---|---|\n");

  int npass = 0, nfail = 0;
  char figs[8192] = "";
  double t0 = now();
  for (int t = 0; t < NTABLES; t++)
    for (const spx_claim *c = tables[t]; c->id; c++) {
      if (!selected(only, c->id) || (quick && !c->quick && !only)) continue;
      spx_claim_result r;
      memset(&r, 0, sizeof r);
      double c0 = now();
      int st = c->run(out, &r);
      double secs = now() - c0;
      if (st != SPX_OK) {
        r.pass = 0;
        if (!r.measured[0])
          spx_claim_measured(&r, "could not be carried out: %s", spx_status_name(st));
      }
      clean(r.expected);
      clean(r.measured);
      printf("%s %-14s %s | expected %s | measured %s (%.1f s)\n", r.pass ? "PASS" : "FAIL", c->id,
             c->statement, r.expected, r.measured, secs);
      fflush(stdout);
      fprintf(tsv.f, "%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\n", c->id, c->family,
              r.pass ? "PASS" : "FAIL", r.expected, r.measured, secs, c->source, c->statement);
      fputs("|", md.f);
      const char *cells[] = {c->id, c->family, c->statement, c->source, r.expected, r.measured};
      for (size_t q = 0; q < sizeof cells / sizeof *cells; q++) md_cell(md.f, cells[q]);
      fprintf(md.f, " **%s** |\n", r.pass ? "PASS" : "FAIL");
      if (r.figure[0]) {
        size_t used = strlen(figs);
        snprintf(figs + used, sizeof figs - used, "\n### %s\n\n![%s](%s)\n", c->id, c->id,
                 r.figure);
      }
      if (r.pass) npass++;
      else nfail++;
    }
  fprintf(md.f, "\n**%d passed, %d failed** in %.1f s.\n", npass, nfail, now() - t0);
  if (figs[0]) fprintf(md.f, "\n## Figures\n%s", figs);
  int w1 = spx_out_commit(&tsv), w2 = spx_out_commit(&md);
  printf("report: %s/report.md, %s/report.tsv\n", out, out);
  printf("%d passed, %d failed\n", npass, nfail);
  if (w1 || w2) return 1;
  return nfail ? 1 : 0;
}
