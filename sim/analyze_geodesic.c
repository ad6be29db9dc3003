/* analyze_geodesic.c -- `bin/sim analyze geodesic`: Jacobi-Maupertuis geometry (spec
 * spectral_gap.md §1 eqs. 5-6, 8-9, §4 (geodesic_test), §7d.3, §8 items 10-12, 19).
 *
 * flat (geometry B, the ring group):
 *   grid_check.tsv     the closed form K_JM against the np.gradient finite-difference curvature on
 *                      an N x N grid (median, P90, ...), and on N/2 and 2N: O(delta^2) (§4 stage 1);
 *   curvature_map.tsv  K_JM on the grid (h > hmin), for the figure;
 *   geodesic.tsv       the reference geodesic from x_L + start_offset along +x, the separation eta
 *                      of a neighbour, the Jacobi solution J and the WKB reference (§4 stage 2);
 *   summary.tsv        x_L, x_R (grid values and refined roots), amplification, max |eta - J|/|eta|.
 * s2 (attention keys of the keys group on S^2, [ours] §7d.3):
 *   grid_check.tsv     the conformal formula (with +1/h) against the stereographic finite-difference
 *                      curvature on a latitude-longitude grid, at delta and delta/2;
 *   curvature_map.tsv  K_JM over longitude and latitude (degrees);
 *   geodesic.tsv       a bundle on S^2 from geodesic.start along geodesic.direction;
 *   summary.tsv        the bounded window of energies at the start (K < 0 for h in (h_lo, h_hi)).
 * Figure: geodesic_diagnostic (curvature map with the geodesic; |eta| and |J| against s).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "jm.h"
#include "output.h"
#include "status.h"
#include "windows.h"

static int cmp_double(const void *x, const void *y)
{
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

static void bundle_settings(const spx_acfg *c, double E, spx_jm_bundle_settings *s)
{
  spx_jm_bundle_settings_default(s);
  s->E = E;
  s->offset = spx_acfg_num(c, "geodesic.offset");
  s->ds = spx_acfg_num(c, "geodesic.ds");
  s->max_steps = (int)spx_acfg_int(c, "geodesic.max_steps");
  s->hmin = spx_acfg_num(c, "geodesic.stop_hmin");
  s->method = spx_acfg_str(c, "geodesic.method");
  s->exact_slope = spx_acfg_bool(c, "geodesic.exact_slope");
}

/* Azimuthal equidistant coordinates of a unit x about the centre c with tangent frame (e1, e2):
 * the arc from c times the unit direction of x in the tangent plane (geodesics through c are
 * straight lines through 0; the whole sphere is the disc of radius pi). */
static void azimuthal(const double *x, const double *c, const double *e1, const double *e2,
                      double *X, double *Y)
{
  double xc = 0, x1 = 0, x2 = 0;
  for (int q = 0; q < 3; q++) {
    xc += x[q] * c[q];
    x1 += x[q] * e1[q];
    x2 += x[q] * e2[q];
  }
  double r = atan2(sqrt(x1 * x1 + x2 * x2), xc), t = atan2(x2, x1);
  *X = r * cos(t);
  *Y = r * sin(t);
}

/* geodesic.tsv and the bundle's summary keys; on S^2 also the azimuthal coordinates about the
 * start (frame c, e1, e2). */
static int write_bundle(spx_an *a, const spx_jm_bundle *b, const double *frame)
{
  int status = SPX_OK;
  spx_out_file of;
  const int dim = b->dim;
  SPX_TRY(spx_an_open(a, "geodesic.tsv",
                      "reference JM geodesic (arc length s), separation eta = sqrt(h) <x_nb - x_ref, "
                      "n>, Jacobi J'' + K J = 0, WKB reference (spec 4 stage 2)",
                      dim == 2 ? "s\tx\ty\tK\th\teta\tJ\twkb"
                               : "s\tx\ty\tz\tK\th\teta\tJ\twkb\tarc_along\tarc_across",
                      &of));
  for (int k = 0; k < b->n; k++) {
    const double *x = b->xref + (long)k * dim;
    fprintf(of.f, "%.6g", b->s[k]);
    for (int q = 0; q < dim; q++) fprintf(of.f, "\t%.10g", x[q]);
    fprintf(of.f, "\t%.10g\t%.10g\t%.10g\t%.10g\t%.10g", b->K[k], b->h[k], b->eta[k], b->jac[k],
            b->wkb[k]);
    if (dim == 3) {
      double X, Y;
      azimuthal(x, frame, frame + 3, frame + 6, &X, &Y);
      fprintf(of.f, "\t%.8g\t%.8g", X, Y);
    }
    fputc('\n', of.f);
  }
  SPX_TRY(spx_out_commit(&of));
  const int e = b->n - 1;
  spx_an_sum(a, "bundle_samples", "%d", b->n);
  spx_an_sum(a, "bundle_s_end", "%.6g", b->s[e]);
  spx_an_sum(a, "bundle_stop", "%s", b->stop == 1 ? "K >= 0 at the reference"
                                     : b->stop == 2 ? "h < geodesic.stop_hmin"
                                                    : "geodesic.max_steps");
  spx_an_sum(a, "bundle_amplification_measured", "%.10g", b->eta[e] / b->eta[0]);
  spx_an_sum(a, "bundle_amplification_jacobi", "%.10g", b->jac[e] / b->jac[0]);
  spx_an_sum(a, "bundle_max_rel_dev", "%.6g", spx_jm_bundle_max_rel_dev(b));
  spx_info("  bundle: %d steps to s = %.4g, eta_end/eta_0 = %.6f (Jacobi %.6f), max |eta-J|/|eta| "
           "= %.3g", b->n - 1, b->s[e], b->eta[e] / b->eta[0], b->jac[e] / b->jac[0],
           spx_jm_bundle_max_rel_dev(b));
cleanup:
  return status;
}

static void grid_row(FILE *f, int N, double delta, const spx_jm_grid_stats *st)
{
  fprintf(f, "%d\t%.10g\t%ld\t%.6g\t%.6g\t%.6g\t%.6g\n", N, delta, st->good, st->median, st->p90,
          st->max, st->mean);
}

static int geodesic_flat(spx_an *a)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  spx_fe *fe = NULL;
  spx_jm_bundle *b = NULL;
  double *Kmap = NULL, *absK = NULL;
  spx_out_file of;
  const int nc = (int)spx_acfg_int(c, "ring.count"), N = (int)spx_acfg_int(c, "geodesic.grid");
  const double E = spx_acfg_num(c, "geodesic.E"), hmin = spx_acfg_num(c, "geodesic.hmin");
  double range[2], seg[2], *C = malloc(sizeof(double) * 2 * nc);
  if (!C) return SPX_ENOMEM;
  spx_acfg_vec(c, "geodesic.range", range, 2);
  spx_acfg_vec(c, "geodesic.segment", seg, 2);
  spx_geom_ring(nc, spx_acfg_num(c, "ring.radius"), spx_acfg_num(c, "ring.phase"), C);
  SPX_TRY(spx_fe_create(SPX_FE_QUADRATIC, nc, 2, spx_acfg_num(c, "ring.beta"), C, &fe));
  /* stage 1: closed form against finite differences */
  SPX_TRY(spx_an_open(a, "grid_check.tsv",
                      "K_JM closed form (eq. 5) against -Lap(log h)/(2h) by np.gradient twice on "
                      "an N x N grid, mask h > hmin (spec 4 stage 1)",
                      "N\tdelta\tgood\tmedian_rel\tp90_rel\tmax_rel\tmean_rel", &of));
  spx_jm_grid_stats st, sh, sd;
  status = spx_jm_grid_check_flat(fe, E, range[0], range[1], N, hmin, &st, NULL);
  if (!status && spx_acfg_bool(c, "geodesic.refine") && N / 2 >= 5)
    status = spx_jm_grid_check_flat(fe, E, range[0], range[1], N / 2, hmin, &sh, NULL);
  if (!status && spx_acfg_bool(c, "geodesic.refine"))
    status = spx_jm_grid_check_flat(fe, E, range[0], range[1], 2 * N, hmin, &sd, NULL);
  if (status) {
    spx_out_abort(&of);
    goto cleanup;
  }
  const double dl = (range[1] - range[0]) / (N - 1);
  if (spx_acfg_bool(c, "geodesic.refine") && N / 2 >= 5)
    grid_row(of.f, N / 2, (range[1] - range[0]) / (N / 2 - 1), &sh);
  grid_row(of.f, N, dl, &st);
  if (spx_acfg_bool(c, "geodesic.refine")) grid_row(of.f, 2 * N, (range[1] - range[0]) / (2 * N - 1), &sd);
  SPX_TRY(spx_out_commit(&of));
  spx_an_sum(a, "grid_N", "%d", N);
  spx_an_sum(a, "grid_good_points", "%ld", st.good);
  spx_an_sum(a, "grid_median_rel", "%.6g", st.median);
  spx_an_sum(a, "grid_p90_rel", "%.6g", st.p90);
  if (spx_acfg_bool(c, "geodesic.refine")) {
    if (N / 2 >= 5) spx_an_sum(a, "grid_median_ratio_coarse", "%.4f", sh.median / st.median);
    spx_an_sum(a, "grid_median_ratio_fine", "%.4f", st.median / sd.median);
    spx_an_sum(a, "grid_p90_ratio_fine", "%.4f", st.p90 / sd.p90);
  }
  spx_info("  grid %d^2: median %.3g, P90 %.3g (%ld points)", N, st.median, st.p90, st.good);
  /* the map (closed form where h > hmin) and its colour range (98th percentile of |K|) */
  Kmap = malloc(sizeof(double) * N * N);
  absK = malloc(sizeof(double) * N * N);
  if (!Kmap || !absK) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  long na = 0;
  double kneg = 0.0;
  SPX_TRY(spx_an_open(a, "curvature_map.tsv", "K_JM closed form on the grid (NaN where h <= hmin); "
                      "rows of constant y separated by blank lines", "x\ty\tK", &of));
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) {
      double x[2] = {range[0] + j * dl, range[0] + i * dl};
      spx_jm_point p;
      status = spx_jm_eval_flat(fe, x, E, &p);
      if (status) {
        spx_out_abort(&of);
        goto cleanup;
      }
      double K = p.h > hmin ? p.K : NAN;
      if (isfinite(K)) {
        absK[na++] = fabs(K);
        kneg = fmin(kneg, K);
      }
      fprintf(of.f, "%.6g\t%.6g\t%.6g\n", x[0], x[1], K);
    }
    fputc('\n', of.f);
  }
  SPX_TRY(spx_out_commit(&of));
  qsort(absK, na, sizeof(double), cmp_double);
  /* colour range: the depth of the K < 0 region when there is one, else the 98th percentile */
  double crange = kneg < 0 ? -kneg : na ? absK[(long)(0.98 * (na - 1))] : 1.0;
  /* stage 2: the K < 0 segment on the x-axis and the bundle */
  spx_jm_segment sg;
  double pa[2] = {seg[0], 0.0}, pb[2] = {seg[1], 0.0};
  SPX_TRY(spx_jm_negative_segment_flat(fe, E, pa, pb, (int)spx_acfg_int(c, "geodesic.segment_points"),
                                       &sg));
  if (!sg.found) {
    spx_an_sum(a, "segment", "none: K >= 0 on the whole x-axis interval (no defocusing)");
    spx_warn("geodesic: K_JM >= 0 on the x-axis segment; no bundle");
    goto figure;
  }
  const double xL = seg[0] + sg.t_first * (seg[1] - seg[0]), xR = seg[0] + sg.t_last * (seg[1] - seg[0]);
  spx_an_sum(a, "segment_x_L_grid", "%.8g", xL);
  spx_an_sum(a, "segment_x_R_grid", "%.8g", xR);
  spx_an_sum(a, "segment_x_L_root", "%.10g", seg[0] + sg.t_root_lo * (seg[1] - seg[0]));
  spx_an_sum(a, "segment_x_R_root", "%.10g", seg[0] + sg.t_root_hi * (seg[1] - seg[0]));
  spx_jm_bundle_settings bs;
  bundle_settings(c, E, &bs);
  double x0[2] = {xL + spx_acfg_num(c, "geodesic.start_offset"), 0.0}, dir[2] = {1.0, 0.0};
  spx_an_sum(a, "bundle_start", "%.8g %.8g", x0[0], x0[1]);
  SPX_TRY(spx_jm_bundle_flat(fe, x0, dir, &bs, &b));
  SPX_TRY(write_bundle(a, b, NULL));
figure: {
  char extra[512];
  snprintf(extra, sizeof extra, "s2=0; crange=%.6g; E=%.6g; has_bundle=%d; nc=%d; rad=%.6g; ph=%.6g",
           crange, E, b != NULL, nc, spx_acfg_num(c, "ring.radius"), spx_acfg_num(c, "ring.phase"));
  spx_an_plot(a, "analyze_geodesic.gp", extra);
}
cleanup:
  spx_jm_bundle_free(b);
  spx_fe_free(fe);
  free(C);
  free(Kmap);
  free(absK);
  return status;
}

static int geodesic_s2(spx_an *a)
{
  int status = SPX_OK;
  const spx_acfg *c = a->cfg;
  spx_jm_bundle *b = NULL;
  double *absK = NULL;
  spx_out_file of;
  double x0[3], dir[3], g2[2];
  spx_acfg_vec(c, "geodesic.start", x0, 3);
  spx_acfg_vec(c, "geodesic.direction", dir, 3);
  spx_acfg_vec(c, "geodesic.s2_grid", g2, 2);
  const int nth = (int)g2[0], nph = (int)g2[1];
  const double delta = spx_acfg_num(c, "geodesic.delta"), hmin = spx_acfg_num(c, "geodesic.hmin");
  double nx = sqrt(x0[0] * x0[0] + x0[1] * x0[1] + x0[2] * x0[2]);
  if (!(nx > 0)) return spx_acfg_bad(c, NULL, "geodesic.start", "must be nonzero");
  for (int q = 0; q < 3; q++) x0[q] /= nx;
  double xd = x0[0] * dir[0] + x0[1] * dir[1] + x0[2] * dir[2], nd = 0.0;
  for (int q = 0; q < 3; q++) {
    dir[q] -= xd * x0[q];
    nd += dir[q] * dir[q];
  }
  if (!(nd > 1e-24))
    return spx_acfg_bad(c, NULL, "geodesic.direction", "is parallel to geodesic.start (no tangent part)");
  for (int q = 0; q < 3; q++) dir[q] /= sqrt(nd);
  spx_jm_point p0, p;
  SPX_TRY(spx_jm_eval_s2(a->fe, x0, 0.0, &p0));
  double E = spx_acfg_setting(c, "geodesic.h_start") ? p0.F + 0.5 * spx_acfg_num(c, "geodesic.h_start")
                                                     : spx_acfg_num(c, "geodesic.E");
  SPX_TRY(spx_jm_eval_s2(a->fe, x0, E, &p));
  spx_jm_window w;
  spx_jm_window_s2(&p, &w);
  spx_an_sum(a, "energy_E", "%.12g", E);
  spx_an_sum(a, "start_h", "%.10g", p.h);
  spx_an_sum(a, "start_K", "%.10g", p.K);
  if (w.exists) spx_an_sum(a, "start_window", "h in (%.10g, %.10g)", w.h_lo, w.h_hi);
  else spx_an_sum(a, "start_window", "none (K_JM >= 0 at every energy here)");
  if (!(p.h > 0))
    return spx_acfg_bad(c, NULL, spx_acfg_setting(c, "geodesic.h_start") ? "geodesic.h_start" : "geodesic.E",
                        "the start is outside the Hill region (h = %g <= 0)", p.h);
  /* stage 1 on S^2 */
  spx_jm_grid_stats st, sh;
  SPX_TRY(spx_jm_grid_check_s2(a->fe, E, nth, nph, delta, hmin, &st));
  SPX_TRY(spx_an_open(a, "grid_check.tsv",
                      "S^2: conformal K_JM = 1/h + Lap F/h^2 + 2|grad F|^2/h^3 against the "
                      "stereographic finite-difference curvature (spec 7d.3), lat-long grid",
                      "points\tdelta\tgood\tmedian_rel\tp90_rel\tmax_rel\tmean_rel", &of));
  grid_row(of.f, nth * nph, delta, &st);
  if (spx_acfg_bool(c, "geodesic.refine")) {
    status = spx_jm_grid_check_s2(a->fe, E, nth, nph, 0.5 * delta, hmin, &sh);
    if (status) {
      spx_out_abort(&of);
      goto cleanup;
    }
    grid_row(of.f, nth * nph, 0.5 * delta, &sh);
    spx_an_sum(a, "grid_median_ratio_half_delta", "%.4f", st.median / sh.median);
  }
  SPX_TRY(spx_out_commit(&of));
  spx_an_sum(a, "grid_good_points", "%ld", st.good);
  spx_an_sum(a, "grid_median_rel", "%.6g", st.median);
  spx_an_sum(a, "grid_p90_rel", "%.6g", st.p90);
  spx_an_sum(a, "grid_max_rel", "%.6g", st.max);
  /* the map in azimuthal equidistant coordinates about the start, with e1 = the start direction:
   * the reference geodesic runs along the positive X axis */
  double frame[9];
  memcpy(frame, x0, sizeof x0);
  memcpy(frame + 3, dir, sizeof dir);
  frame[6] = x0[1] * dir[2] - x0[2] * dir[1];
  frame[7] = x0[2] * dir[0] - x0[0] * dir[2];
  frame[8] = x0[0] * dir[1] - x0[1] * dir[0];
  const int NG = 201;
  absK = malloc(sizeof(double) * NG * NG);
  if (!absK) {
    status = SPX_ENOMEM;
    goto cleanup;
  }
  long na = 0;
  double kneg = 0.0;
  SPX_TRY(spx_an_open(a, "curvature_map.tsv", "S^2: K_JM in azimuthal equidistant coordinates about "
                      "geodesic.start (X along geodesic.direction; arc lengths in radians; NaN where "
                      "h <= hmin or outside the disc of radius pi); blank line after each row",
                      "arc_along\tarc_across\tK", &of));
  for (int i = 0; i < NG; i++) {
    double Y = -M_PI + 2.0 * M_PI * i / (NG - 1);
    for (int j = 0; j < NG; j++) {
      double X = -M_PI + 2.0 * M_PI * j / (NG - 1), r = sqrt(X * X + Y * Y), K = NAN;
      if (r < M_PI) {
        double x[3], cr = cos(r), sr = r > 0 ? sin(r) / r : 1.0;
        for (int q = 0; q < 3; q++) x[q] = cr * frame[q] + sr * (X * frame[3 + q] + Y * frame[6 + q]);
        spx_jm_point q;
        status = spx_jm_eval_s2(a->fe, x, E, &q);
        if (status) {
          spx_out_abort(&of);
          goto cleanup;
        }
        if (q.h > hmin) {
          K = q.K;
          absK[na++] = fabs(K);
          kneg = fmin(kneg, K);
        }
      }
      fprintf(of.f, "%.6g\t%.6g\t%.6g\n", X, Y, K);
    }
    fputc('\n', of.f);
  }
  SPX_TRY(spx_out_commit(&of));
  qsort(absK, na, sizeof(double), cmp_double);
  double crange = kneg < 0 ? -kneg : na ? absK[(long)(0.98 * (na - 1))] : 1.0;
  spx_jm_bundle_settings bs;
  bundle_settings(c, E, &bs);
  if (!(p.K < 0))
    spx_warn("geodesic on S^2: K_JM = %.4g >= 0 at the start: the bundle stops at once", p.K);
  status = spx_jm_bundle_s2(a->fe, x0, dir, &bs, &b);
  if (status == SPX_EINVAL && !(p.K < 0)) {
    spx_an_sum(a, "bundle", "none: K_JM >= 0 at the start");
    status = SPX_OK;
  } else if (status) {
    goto cleanup;
  } else {
    SPX_TRY(write_bundle(a, b, frame));
  }
  {
    char extra[256];
    snprintf(extra, sizeof extra, "s2=1; crange=%.6g; E=%.6g; has_bundle=%d", crange, E, b != NULL);
    spx_an_plot(a, "analyze_geodesic.gp", extra);
  }
cleanup:
  spx_jm_bundle_free(b);
  free(absK);
  return status;
}

int spx_an_geodesic(spx_an *a)
{
  const char *g = spx_acfg_str(a->cfg, "geodesic.geometry");
  spx_an_sum(a, "geometry", "%s", g);
  return strcmp(g, "s2") == 0 ? geodesic_s2(a) : geodesic_flat(a);
}
