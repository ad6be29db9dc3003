/* harness.h -- the tiny test harness of every tests/test_<module>.c (GSL's gsl_test style).
 *
 * Each check prints one line, "PASS name" or "FAIL name: details", and the program ends with
 * spx_test_summary(), which prints "N passed, M failed" and returns the exit status. Expected
 * values come from the spec or from mathematics, never from a previous run (DEVELOPERS.md).
 */
#ifndef SPX_TEST_HARNESS_H
#define SPX_TEST_HARNESS_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static int spx_test_passed = 0, spx_test_failed = 0;

/* Record a check: ok is the verdict, name says what was checked, fmt/... the numbers. */
static void spx_test(int ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), unused));
static void spx_test(int ok, const char *name, const char *fmt, ...)
{
  va_list ap;
  printf("%s %s", ok ? "PASS" : "FAIL", name);
  if (fmt && *fmt) {
    printf(": ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
  }
  printf("\n");
  fflush(stdout);
  if (ok) spx_test_passed++;
  else spx_test_failed++;
}

/* |got - expected| <= tol (absolute). NaN fails. */
static __attribute__((unused)) void spx_test_abs(const char *name, double got, double expected,
                                                 double tol)
{
  double err = fabs(got - expected);
  spx_test(err <= tol, name, "got %.12g expected %.12g |err| %.3g tol %.3g", got, expected, err,
           tol);
}

/* |got - expected| <= rel |expected| (relative). NaN fails. */
static __attribute__((unused)) void spx_test_rel(const char *name, double got, double expected,
                                                 double rel)
{
  double err = fabs(got - expected) / fabs(expected);
  spx_test(err <= rel, name, "got %.12g expected %.12g rel err %.3g tol %.3g", got, expected, err,
           rel);
}

/* got <= bound. */
static __attribute__((unused)) void spx_test_le(const char *name, double got, double bound)
{
  spx_test(got <= bound, name, "got %.6g bound %.6g", got, bound);
}

/* Print the closing line and return the process exit status. */
static __attribute__((unused)) int spx_test_summary(void)
{
  printf("%d passed, %d failed\n", spx_test_passed, spx_test_failed);
  return spx_test_failed ? 1 : 0;
}

#endif
