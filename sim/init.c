/* init.c -- initial conditions (init.h). */
#include "init.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "status.h"
#include "table.h"

static const char *const kind_names[] = {"uniform", "cap", "circle", "cluster", "pure_mode",
                                         "orthonormal", "file"};

int spx_init_kind_from_name(const char *name)
{
  if (strcmp(name, "hemisphere") == 0) return SPX_INIT_CAP;
  for (int k = 0; k < (int)(sizeof kind_names / sizeof *kind_names); k++)
    if (strcmp(name, kind_names[k]) == 0) return k;
  return -1;
}

const char *spx_init_kind_name(spx_init_kind k) { return kind_names[k]; }

static void normalize(int d, double *v)
{
  double s = 0.0;
  for (int a = 0; a < d; a++) s += v[a] * v[a];
  s = sqrt(s);
  for (int a = 0; a < d; a++) v[a] /= s;
}

/* Uniform on S^{d-1}: a normalized standard Gaussian vector. */
static void draw_sphere(gsl_rng *r, int d, double *v)
{
  double s;
  do {
    s = 0.0;
    for (int a = 0; a < d; a++) {
      v[a] = gsl_ran_gaussian(r, 1.0);
      s += v[a] * v[a];
    }
  } while (s < 1e-300);
  normalize(d, v);
}

/* Uniform in the cap <x, c> >= cos(angle). d = 2: a uniform angle in [-angle, angle]. d >= 3:
 * t = <x, c> has density ∝ (1 - t^2)^{(d-3)/2} on [cos(angle), 1], non-increasing in t, sampled by
 * rejection against its value at cos(angle); then a uniform direction orthogonal to c. */
static void draw_cap(gsl_rng *r, int d, const double *c, double angle, double *v)
{
  if (d == 2) {
    double th = angle * (2.0 * gsl_rng_uniform(r) - 1.0);
    v[0] = cos(th) * c[0] - sin(th) * c[1];
    v[1] = cos(th) * c[1] + sin(th) * c[0];
    return;
  }
  double cmin = cos(angle), t, e = 0.5 * (d - 3);
  double dmax = pow(fmax(1.0 - cmin * cmin, 0.0), e);
  do {
    t = cmin + (1.0 - cmin) * gsl_rng_uniform(r);
  } while (gsl_rng_uniform(r) * dmax > pow(fmax(1.0 - t * t, 0.0), e));
  double s;
  do {
    double p = 0.0;
    for (int a = 0; a < d; a++) {
      v[a] = gsl_ran_gaussian(r, 1.0);
      p += v[a] * c[a];
    }
    s = 0.0;
    for (int a = 0; a < d; a++) {
      v[a] -= p * c[a];
      s += v[a] * v[a];
    }
  } while (s < 1e-24);
  s = sqrt(s);
  double w = sqrt(fmax(0.0, 1.0 - t * t));
  for (int a = 0; a < d; a++) v[a] = t * c[a] + w * v[a] / s;
}

int spx_init_read_table(const char *path, int n, int d, double *x)
{
  double *t = NULL;
  int status = spx_table_read(path, "init.file", n, d, "model.n", "model.d", &t, NULL, NULL);
  if (status) return status;
  for (int i = 0; i < n; i++) {
    double s = 0.0;
    for (int a = 0; a < d; a++) s += t[(long)i * d + a] * t[(long)i * d + a];
    if (!(s > 0.0)) {
      spx_error("init.file %s: data row %d is zero and cannot be put on the sphere", path, i + 1);
      free(t);
      return SPX_EINVAL;
    }
    for (int a = 0; a < d; a++) x[(long)i * d + a] = t[(long)i * d + a] / sqrt(s);
  }
  free(t);
  return SPX_OK;
}

int spx_init_fill(const spx_init_spec *spec, const spx_model *m, double *x)
{
  const int n = m->n, d = m->d;
  int status = SPX_OK;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  double *c = malloc(sizeof(double) * d);
  if (!r || !c) { status = SPX_ENOMEM; goto cleanup; }
  gsl_rng_set(r, spec->seed);
  for (int a = 0; a < d; a++) c[a] = spec->center ? spec->center[a] : (a == 0);
  normalize(d, c);

  switch (spec->kind) {
  case SPX_INIT_UNIFORM:
    for (int i = 0; i < n; i++) draw_sphere(r, d, x + (long)i * d);
    break;
  case SPX_INIT_CAP:
    for (int i = 0; i < n; i++) draw_cap(r, d, c, spec->angle, x + (long)i * d);
    break;
  case SPX_INIT_CIRCLE:
    for (int i = 0; i < n; i++) {
      double th = 2.0 * M_PI * i / n + gsl_ran_gaussian(r, 1.0) * spec->noise;
      double *xi = x + (long)i * d;
      memset(xi, 0, sizeof(double) * d);
      xi[0] = cos(th);
      xi[1] = sin(th);
    }
    break;
  case SPX_INIT_CLUSTER:
    for (int i = 0; i < n; i++) memcpy(x + (long)i * d, c, sizeof(double) * d);
    break;
  case SPX_INIT_PURE_MODE:
    for (int i = 0; i < n; i++)
      for (int a = 0; a < d; a++)
        x[(long)i * d + a] = (i < spec->n_plus ? 1.0 : -1.0) * m->U[a * d + (spec->mode - 1)];
    break;
  case SPX_INIT_ORTHONORMAL:
    if (n != d) {
      spx_error("init.kind = \"orthonormal\" needs model.n = model.d (got n = %d, d = %d)", n, d);
      status = SPX_EINVAL;
      goto cleanup;
    }
    for (int i = 0; i < n; i++)
      for (int a = 0; a < d; a++) x[(long)i * d + a] = (i == a);
    break;
  case SPX_INIT_FILE:
    SPX_TRY(spx_init_read_table(spec->file, n, d, x));
    break;
  }
  if (spec->perturb > 0.0)
    for (int i = 0; i < n; i++) {
      double *xi = x + (long)i * d;
      for (int a = 0; a < d; a++) xi[a] += spec->perturb * gsl_ran_gaussian(r, 1.0);
      normalize(d, xi);
    }
cleanup:
  if (r) gsl_rng_free(r);
  free(c);
  return status;
}
