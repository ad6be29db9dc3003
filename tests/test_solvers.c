/* test_solvers.c -- the integrator back ends of solvers/ (solver.h) on ODEs with known solutions.
 *
 * Problems (defined here, independent of sim/kernel.c):
 * - rigid rotation of each block about its own axis k_b at rate w_b: y' = w_b k_b x y, exact
 *   y(t) = e^{t W_b} y0 by Rodrigues' formula (cos, sin, 1 - cos);
 * - the single-cluster flow y' = V y - <y, V y> y (sphere_dynamics.md §2.7), V = R diag(1, 0.5,
 *   -0.3) R^T: exact y(t) = z / sqrt(1 - |y0|^2 + |z|^2) with z = e^{tV} y0 = R e^{tL} R^T y0.
 *   On the sphere this is sphere_dynamics' z/|z|; off it, it follows from y = c(t) z with
 *   c' = -c^3 <z, V z> and d|z|^2/dt = 2 <z, V z>, so 1/c^2 = 1 - |y0|^2 + |z|^2 [derived here];
 * - the Prothero-Robinson stiff test y_i' = -l_i (y_i - cos t) - sin t, exact
 *   y_i = cos t + (y_i(0) - 1) e^{-l_i t}, J = -diag(l).
 * Checks: accuracy against the exact solutions, exact landing on tout, the order of the fixed-step
 * schemes (error ratio 2 for euler, 16 for rk4 when dt is halved), the projection, the counters
 * (rhs_evals equals the number of rhs calls), the failure paths and their messages, reinit.
 */
#include "harness.h"
#include "solver.h"
#include "status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#define NB 4 /* blocks of the rotation problem */
#define NC 3 /* blocks of the cluster problem */
#define NS 3 /* components of the stiff problem */

static const char *const adaptive[] = {"adams", "bdf", "bdf_newton", "rk8pd"};
static const char *const fixed[] = {"euler", "rk4"};
static const char *const all[] = {"adams", "bdf", "bdf_newton", "rk8pd", "euler", "rk4"};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- stderr capture (to check the messages of the failure paths) ------------------------- */

static char cap_buf[8192];
static FILE *cap_file;
static int cap_saved = -1;

static void capture_begin(void)
{
  fflush(stderr);
  cap_file = tmpfile();
  cap_saved = dup(STDERR_FILENO);
  if (cap_file && cap_saved >= 0) dup2(fileno(cap_file), STDERR_FILENO);
}

static const char *capture_end(void)
{
  size_t n = 0;
  fflush(stderr);
  if (cap_saved >= 0) {
    dup2(cap_saved, STDERR_FILENO);
    close(cap_saved);
    cap_saved = -1;
  }
  if (cap_file) {
    rewind(cap_file);
    n = fread(cap_buf, 1, sizeof cap_buf - 1, cap_file);
    fclose(cap_file);
    cap_file = NULL;
  }
  cap_buf[n] = '\0';
  if (n) printf("  (stderr) %s", cap_buf);
  return cap_buf;
}

/* ---- small vector helpers ------------------------------------------------------------------ */

static void cross(const double *a, const double *b, double *c)
{
  c[0] = a[1] * b[2] - a[2] * b[1];
  c[1] = a[2] * b[0] - a[0] * b[2];
  c[2] = a[0] * b[1] - a[1] * b[0];
}

static double dot3(const double *a, const double *b)
{
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static void unit3(double *a)
{
  double r = sqrt(dot3(a, a));
  for (int i = 0; i < 3; i++) a[i] /= r;
}

/* out = e^{theta K} y for the unit axis k (Rodrigues). */
static void rodrigues(const double *k, double theta, const double *y, double *out)
{
  double kxy[3], c = cos(theta), s = sin(theta), ky = dot3(k, y);
  cross(k, y, kxy);
  for (int i = 0; i < 3; i++) out[i] = y[i] * c + kxy[i] * s + k[i] * ky * (1.0 - c);
}

static double max_abs_diff(long n, const double *a, const double *b)
{
  double m = 0.0;
  for (long i = 0; i < n; i++) {
    double e = fabs(a[i] - b[i]);
    if (!(e <= m)) m = e; /* NaN propagates */
  }
  return m;
}

static int all_finite(long n, const double *a)
{
  for (long i = 0; i < n; i++)
    if (!isfinite(a[i])) return 0;
  return 1;
}

/* Largest | |y_b| - rho_b | over the blocks of size 3. */
static double norm_defect(int nb, const double *y, const double *rho)
{
  double m = 0.0;
  for (int b = 0; b < nb; b++) {
    double e = fabs(sqrt(dot3(y + 3 * b, y + 3 * b)) - rho[b]);
    if (!(e <= m)) m = e;
  }
  return m;
}

/* ---- problem 1: rigid rotations -------------------------------------------------------------- */

typedef struct {
  double axis[NB][3], omega[NB];
  double t_bad;  /* for t > t_bad the rhs fails ... */
  int fail_mode; /* ... 0 never, 1 with a NaN in ydot, 2 by returning -1, 3 both */
  long rhs_calls, jv_calls;
  double t_max; /* largest t the rhs was called with */
} rot_problem;

static int rot_rhs(double t, const double *y, double *ydot, void *user)
{
  rot_problem *p = user;
  p->rhs_calls++;
  if (t > p->t_max) p->t_max = t;
  for (int b = 0; b < NB; b++) {
    cross(p->axis[b], y + 3 * b, ydot + 3 * b);
    for (int i = 0; i < 3; i++) ydot[3 * b + i] *= p->omega[b];
  }
  if (t > p->t_bad && (p->fail_mode & 1)) ydot[4] = NAN;
  if (t > p->t_bad && (p->fail_mode & 2)) return -1;
  return 0;
}

static int rot_jv(double t, const double *y, const double *v, double *Jv, void *user)
{
  rot_problem *p = user;
  p->jv_calls++;
  for (int b = 0; b < NB; b++) {
    cross(p->axis[b], v + 3 * b, Jv + 3 * b);
    for (int i = 0; i < 3; i++) Jv[3 * b + i] *= p->omega[b];
  }
  return 0;
}

static rot_problem rot_make(void)
{
  static const double ax[NB][3] = {{0.3, -0.8, 0.52}, {1.0, 0.2, -0.1}, {-0.25, 0.4, 0.9},
                                   {0.6, 0.6, -0.5}};
  static const double om[NB] = {1.3, -0.7, 2.1, 0.45};
  rot_problem p;
  memset(&p, 0, sizeof p);
  for (int b = 0; b < NB; b++) {
    memcpy(p.axis[b], ax[b], sizeof ax[b]);
    unit3(p.axis[b]);
    p.omega[b] = om[b];
  }
  p.t_bad = INFINITY;
  p.t_max = -INFINITY;
  return p;
}

/* Initial blocks: generic directions (not in the rotation planes); block 3 has norm 1.7. */
static void rot_y0(double *y0, double *rho)
{
  static const double d[NB][3] = {{0.9, 0.1, 0.42}, {-0.2, 0.95, 0.3}, {0.5, -0.5, 0.7},
                                  {0.1, 0.8, 0.59}};
  for (int b = 0; b < NB; b++) {
    memcpy(y0 + 3 * b, d[b], sizeof d[b]);
    unit3(y0 + 3 * b);
    rho[b] = b == 3 ? 1.7 : 1.0;
    for (int i = 0; i < 3; i++) y0[3 * b + i] *= rho[b];
  }
}

static void rot_exact(const rot_problem *p, double t, const double *y0, double *y)
{
  for (int b = 0; b < NB; b++) rodrigues(p->axis[b], p->omega[b] * t, y0 + 3 * b, y + 3 * b);
}

static spx_ode rot_ode(rot_problem *p, int sphere)
{
  spx_ode o = {3 * NB, NB, 3, sphere, rot_rhs, rot_jv, p};
  return o;
}

/* ---- problem 2: the single-cluster flow ---------------------------------------------------- */

typedef struct {
  double R[9], lam[3], V[9];
  long rhs_calls;
} clu_problem;

static int clu_rhs(double t, const double *y, double *ydot, void *user)
{
  clu_problem *p = user;
  p->rhs_calls++;
  for (int b = 0; b < NC; b++) {
    const double *x = y + 3 * b;
    double vx[3];
    for (int i = 0; i < 3; i++)
      vx[i] = p->V[3 * i] * x[0] + p->V[3 * i + 1] * x[1] + p->V[3 * i + 2] * x[2];
    double q = dot3(x, vx);
    for (int i = 0; i < 3; i++) ydot[3 * b + i] = vx[i] - q * x[i];
  }
  return 0;
}

static clu_problem clu_make(void)
{
  clu_problem p;
  memset(&p, 0, sizeof p);
  double k[3] = {0.4, -0.3, 0.87}, e[3];
  unit3(k);
  for (int j = 0; j < 3; j++) { /* R = e^{0.9 K}: its columns are the eigenvectors */
    double ej[3] = {0, 0, 0};
    ej[j] = 1.0;
    rodrigues(k, 0.9, ej, e);
    for (int i = 0; i < 3; i++) p.R[3 * i + j] = e[i];
  }
  p.lam[0] = 1.0;
  p.lam[1] = 0.5;
  p.lam[2] = -0.3;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      double v = 0.0;
      for (int m = 0; m < 3; m++) v += p.R[3 * i + m] * p.lam[m] * p.R[3 * j + m];
      p.V[3 * i + j] = v;
    }
  return p;
}

/* y(t) = z / sqrt(1 - |y0|^2 + |z|^2), z = R e^{t Lambda} R^T y0 (see the top comment). */
static void clu_exact(const clu_problem *p, double t, const double *y0, double *y)
{
  for (int b = 0; b < NC; b++) {
    const double *x = y0 + 3 * b;
    double c[3], z[3];
    for (int m = 0; m < 3; m++)
      c[m] = exp(t * p->lam[m]) * (p->R[m] * x[0] + p->R[3 + m] * x[1] + p->R[6 + m] * x[2]);
    for (int i = 0; i < 3; i++)
      z[i] = p->R[3 * i] * c[0] + p->R[3 * i + 1] * c[1] + p->R[3 * i + 2] * c[2];
    double s = 1.0 / sqrt(1.0 - dot3(x, x) + dot3(z, z));
    for (int i = 0; i < 3; i++) y[3 * b + i] = s * z[i];
  }
}

static void clu_y0(double *y0, double scale)
{
  static const double d[NC][3] = {{0.2, 0.7, -0.6}, {-0.8, 0.1, 0.3}, {0.35, -0.45, -0.8}};
  for (int b = 0; b < NC; b++) {
    memcpy(y0 + 3 * b, d[b], sizeof d[b]);
    unit3(y0 + 3 * b);
    for (int i = 0; i < 3; i++) y0[3 * b + i] *= scale;
  }
}

/* ---- problem 3: Prothero-Robinson (stiff) --------------------------------------------------- */

typedef struct {
  double lam[NS];
  long rhs_calls, jv_calls;
} pr_problem;

static int pr_rhs(double t, const double *y, double *ydot, void *user)
{
  pr_problem *p = user;
  p->rhs_calls++;
  for (int i = 0; i < NS; i++) ydot[i] = -p->lam[i] * (y[i] - cos(t)) - sin(t);
  return 0;
}

static int pr_jv(double t, const double *y, const double *v, double *Jv, void *user)
{
  pr_problem *p = user;
  p->jv_calls++;
  for (int i = 0; i < NS; i++) Jv[i] = -p->lam[i] * v[i];
  return 0;
}

/* ---- driver ------------------------------------------------------------------------------- */

static spx_solver_settings settings(double rtol, double dt)
{
  spx_solver_settings s = {rtol, rtol * 1e-3, dt, 1000000, 0, 0.0};
  return s;
}

/* Create the back end called name, advance through tout[0..nout-1] (checking that each lands
 * exactly), free it. Returns the first failing status; y, *tr and *st hold the end state. */
static int run(const char *name, const spx_ode *ode, const spx_solver_settings *set, double t0,
               const double *y0, const double *tout, int nout, double *y, double *tr,
               spx_solver_stats *st, int *landed)
{
  const spx_solver_type *T = spx_solver_find(name);
  void *state = NULL;
  int status = T ? T->create(ode, set, t0, y0, &state) : SPX_EINVAL;
  *landed = 1;
  *tr = t0;
  for (int k = 0; status == SPX_OK && k < nout; k++) {
    status = T->advance(state, tout[k], y, tr);
    if (*tr != tout[k]) *landed = 0;
  }
  if (state) {
    if (st) T->stats(state, st);
    T->free(state);
  }
  return status;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_registry(void)
{
  const spx_solver_type *const *list = spx_solver_list();
  int n = 0, hooks = 1, unique = 1, found = 1;
  for (; list[n]; n++) {
    const spx_solver_type *T = list[n];
    hooks &= T->name && T->doc && strlen(T->doc) > 20 && T->create && T->advance && T->reinit &&
             T->stats && T->free;
    found &= spx_solver_find(T->name) == T;
    for (int m = 0; m < n; m++) unique &= strcmp(list[m]->name, T->name) != 0;
  }
  spx_test(n == COUNT(all), "registry lists the 6 back ends", "%d", n);
  for (int i = 0; i < COUNT(all); i++) {
    char name[64];
    snprintf(name, sizeof name, "registry finds %s", all[i]);
    spx_test(spx_solver_find(all[i]) != NULL, name, "%s", "");
  }
  spx_test(hooks, "every back end has a name, a doc and all required hooks", "%s", "");
  spx_test(unique && found, "names are unique and find() returns the listed type", "%s", "");
  spx_test(spx_solver_find("rk45") == NULL && spx_solver_find(NULL) == NULL,
           "unknown or NULL names give NULL", "%s", "");
}

static void test_invalid_input(void)
{
  rot_problem p = rot_make();
  double y0[3 * NB], rho[NB], y[3 * NB], tr;
  rot_y0(y0, rho);
  for (int i = 0; i < COUNT(all); i++) {
    const spx_solver_type *T = spx_solver_find(all[i]);
    spx_solver_settings set = settings(1e-8, 1e-2);
    spx_ode ode = rot_ode(&p, 1);
    void *state = (void *)&p;
    char name[96];
    int st;

    ode.rhs = NULL;
    capture_begin();
    st = T->create(&ode, &set, 0.0, y0, &state);
    snprintf(name, sizeof name, "%s: no rhs -> SPX_EINVAL, message, NULL state", all[i]);
    spx_test(st == SPX_EINVAL && state == NULL && strstr(capture_end(), "error") != NULL, name,
             "status %d", st);

    ode = rot_ode(&p, 1);
    ode.N = 3 * NB - 1;
    capture_begin();
    st = T->create(&ode, &set, 0.0, y0, &state);
    snprintf(name, sizeof name, "%s: N != nblocks * bsize -> SPX_EINVAL", all[i]);
    spx_test(st == SPX_EINVAL && strstr(capture_end(), "nblocks") != NULL, name, "status %d", st);

    ode = rot_ode(&p, 1);
    double ybad[3 * NB];
    memcpy(ybad, y0, sizeof ybad);
    ybad[7] = NAN;
    capture_begin();
    st = T->create(&ode, &set, 0.0, ybad, &state);
    snprintf(name, sizeof name, "%s: NaN in y0 -> SPX_ENONFINITE", all[i]);
    spx_test(st == SPX_ENONFINITE && strstr(capture_end(), "non-finite") != NULL, name,
             "status %d", st);

    int is_fixed = strcmp(all[i], "euler") == 0 || strcmp(all[i], "rk4") == 0;
    if (is_fixed) set.dt = 0.0;
    else set.rtol = 0.0;
    capture_begin();
    st = T->create(&ode, &set, 0.0, y0, &state);
    snprintf(name, sizeof name, "%s: %s -> SPX_EINVAL", all[i], is_fixed ? "dt = 0" : "rtol = 0");
    spx_test(st == SPX_EINVAL && strstr(capture_end(), is_fixed ? "dt" : "rtol") != NULL, name,
             "status %d", st);

    /* A zero block cannot be kept on a sphere by the back ends that project or renormalize. */
    int projects = strcmp(all[i], "adams") != 0 && strcmp(all[i], "rk8pd") != 0;
    if (projects) {
      set = settings(1e-8, 1e-2);
      memcpy(ybad, y0, sizeof ybad);
      ybad[3] = ybad[4] = ybad[5] = 0.0;
      capture_begin();
      st = T->create(&ode, &set, 0.0, ybad, &state);
      snprintf(name, sizeof name, "%s: zero block with sphere = 1 -> SPX_EINVAL", all[i]);
      spx_test(st == SPX_EINVAL && strstr(capture_end(), "block 1") != NULL, name, "status %d",
               st);
    }

    /* advance: to the current time returns the state; backwards is refused and keeps it. */
    set = settings(1e-8, 1e-2);
    st = T->create(&ode, &set, 0.5, y0, &state);
    if (st == SPX_OK) {
      int st1 = T->advance(state, 0.5, y, &tr);
      double e1 = max_abs_diff(3 * NB, y, y0);
      int ok1 = st1 == SPX_OK && tr == 0.5 && e1 == 0.0;
      capture_begin();
      int st2 = T->advance(state, 0.25, y, &tr);
      const char *msg = capture_end();
      int ok2 = st2 == SPX_EINVAL && tr == 0.5 && max_abs_diff(3 * NB, y, y0) == 0.0 &&
                (strstr(msg, "backwards") || strstr(msg, "cannot advance"));
      snprintf(name, sizeof name, "%s: advance to t0 returns y0; backwards -> SPX_EINVAL", all[i]);
      spx_test(ok1 && ok2, name, "statuses %d %d", st1, st2);
      T->free(state);
    } else {
      snprintf(name, sizeof name, "%s: create at t0 = 0.5", all[i]);
      spx_test(0, name, "status %d", st);
    }
  }
}

/* Adaptive back ends on the rotations: every output time hit exactly, error ~ rtol. */
static void test_rotation_adaptive(void)
{
  static const double tout[] = {0.7, 1.9, 3.3};
  for (int i = 0; i < COUNT(adaptive); i++) {
    rot_problem p = rot_make();
    double y0[3 * NB], rho[NB], y[3 * NB], ye[3 * NB], tr;
    rot_y0(y0, rho);
    spx_solver_settings set = settings(1e-9, 0.0);
    spx_ode ode = rot_ode(&p, 1);
    spx_solver_stats st;
    int landed;
    char name[128];
    int status = run(adaptive[i], &ode, &set, 0.0, y0, tout, 3, y, &tr, &st, &landed);
    rot_exact(&p, tout[2], y0, ye);
    snprintf(name, sizeof name, "%s rotation: status OK and every tout hit exactly", adaptive[i]);
    spx_test(status == SPX_OK && landed, name, "status %d, t = %.17g", status, tr);
    snprintf(name, sizeof name, "%s rotation: |y - e^{tW} y0| <= 1e-7 (rtol 1e-9)", adaptive[i]);
    spx_test_le(name, max_abs_diff(3 * NB, y, ye), 1e-7);
    snprintf(name, sizeof name, "%s rotation: stats.rhs_evals == rhs calls", adaptive[i]);
    spx_test(st.rhs_evals == p.rhs_calls && st.steps > 0, name, "%ld vs %ld (steps %ld)",
             st.rhs_evals, p.rhs_calls, st.steps);
    int projects = strcmp(adaptive[i], "bdf") == 0 || strcmp(adaptive[i], "bdf_newton") == 0;
    if (projects) {
      snprintf(name, sizeof name, "%s rotation: projection keeps |y_b| = |y0_b| (1e-10)",
               adaptive[i]);
      spx_test_le(name, norm_defect(NB, y, rho), 1e-10);
    }
    snprintf(name, sizeof name, "%s rotation: proj_evals %s 0", adaptive[i], projects ? ">" : "==");
    spx_test(projects ? st.proj_evals > 0 : st.proj_evals == 0, name, "%ld", st.proj_evals);
    if (strcmp(adaptive[i], "bdf_newton") == 0) {
      snprintf(name, sizeof name, "%s rotation: analytic J v used (jv_evals == calls > 0)",
               adaptive[i]);
      spx_test(st.jv_evals > 0 && st.jv_evals == p.jv_calls && st.lin_iters > 0, name,
               "jv_evals %ld calls %ld lin_iters %ld", st.jv_evals, p.jv_calls, st.lin_iters);
    }
  }
}

/* Error at T of a fixed-step scheme with step dt (rotation or cluster problem). */
static double fixed_error(const char *name, int problem, double dt, double T, long *steps,
                          long *evals, double *ndefect, int *landed)
{
  double y[3 * NB], ye[3 * NB], y0[3 * NB], rho[NB], tr;
  spx_solver_settings set = settings(1e-8, dt);
  spx_solver_stats st;
  int status;
  long n;
  if (problem == 0) {
    rot_problem p = rot_make();
    spx_ode ode = rot_ode(&p, 1);
    rot_y0(y0, rho);
    status = run(name, &ode, &set, 0.0, y0, &T, 1, y, &tr, &st, landed);
    rot_exact(&p, T, y0, ye);
    n = 3 * NB;
    *ndefect = norm_defect(NB, y, rho);
  } else {
    clu_problem p = clu_make();
    spx_ode ode = {3 * NC, NC, 3, 1, clu_rhs, NULL, &p};
    clu_y0(y0, 1.0);
    status = run(name, &ode, &set, 0.0, y0, &T, 1, y, &tr, &st, landed);
    clu_exact(&p, T, y0, ye);
    n = 3 * NC;
    for (int b = 0; b < NC; b++) rho[b] = 1.0;
    *ndefect = norm_defect(NC, y, rho);
  }
  *steps = st.steps;
  *evals = st.rhs_evals;
  return status == SPX_OK ? max_abs_diff(n, y, ye) : NAN;
}

/* euler and rk4: halving dt divides the error by 2^order; T is not a multiple of dt. */
static void test_fixed_order(void)
{
  static const char *const prob[] = {"rotation", "cluster"};
  for (int problem = 0; problem < 2; problem++)
    for (int i = 0; i < COUNT(fixed); i++) {
      const int order = strcmp(fixed[i], "rk4") == 0 ? 4 : 1;
      const double dt = order == 4 ? 0.04 : 2e-3, T = 1.3713;
      long s1, s2, e1, e2;
      double d1, d2;
      int l1, l2;
      char name[128];
      double err1 = fixed_error(fixed[i], problem, dt, T, &s1, &e1, &d1, &l1);
      double err2 = fixed_error(fixed[i], problem, dt / 2, T, &s2, &e2, &d2, &l2);
      snprintf(name, sizeof name, "%s %s: error ratio for dt, dt/2 = 2^%d", fixed[i],
               prob[problem], order);
      spx_test_rel(name, err1 / err2, pow(2.0, order), 0.1);
      snprintf(name, sizeof name, "%s %s: lands on T, steps = ceil(T/dt), rhs_evals = %d steps",
               fixed[i], prob[problem], order);
      spx_test(l1 && l2 && s1 == (long)ceil(T / dt) && s2 == (long)ceil(T / (dt / 2)) &&
                   e1 == order * s1 && e2 == order * s2,
               name, "steps %ld %ld evals %ld %ld", s1, s2, e1, e2);
      snprintf(name, sizeof name, "%s %s: renormalization keeps |y_b| (1e-13)", fixed[i],
               prob[problem]);
      spx_test_le(name, fmax(d1, d2), 1e-13);
    }
}

/* Adaptive back ends on the cluster flow; the plain ODE off the sphere. */
static void test_cluster(void)
{
  const double T = 2.5;
  for (int i = 0; i < COUNT(adaptive); i++) {
    clu_problem p = clu_make();
    spx_ode ode = {3 * NC, NC, 3, 1, clu_rhs, NULL, &p};
    spx_solver_settings set = settings(1e-8, 0.0);
    spx_solver_stats st;
    double y0[3 * NC], y[3 * NC], ye[3 * NC], tr, one[NC] = {1, 1, 1};
    int landed;
    char name[128];
    clu_y0(y0, 1.0);
    int status = run(adaptive[i], &ode, &set, 0.0, y0, &T, 1, y, &tr, &st, &landed);
    clu_exact(&p, T, y0, ye);
    snprintf(name, sizeof name, "%s cluster: status OK, t = T exactly", adaptive[i]);
    spx_test(status == SPX_OK && landed, name, "status %d", status);
    snprintf(name, sizeof name, "%s cluster: |y - e^{tV}y0/|e^{tV}y0|| <= 100 rtol", adaptive[i]);
    spx_test_le(name, max_abs_diff(3 * NC, y, ye), 100 * set.rtol);
    if (strcmp(adaptive[i], "bdf") == 0) {
      spx_test_le("bdf cluster: projection keeps |y_b| = 1 (1e-10)", norm_defect(NC, y, one),
                  1e-10);
      spx_test(st.proj_evals > 0, "bdf cluster: proj_evals > 0", "%ld", st.proj_evals);
    }
  }

  /* Off the sphere (|y0| = 1.05) the plain ODE (sphere = 0) changes |y|: bdf without projection
   * follows the closed form z / sqrt(1 - |y0|^2 + |z|^2), whose norm moves by > 1e-4. */
  for (int i = 0; i < 2; i++) {
    const char *nm = i == 0 ? "bdf" : "adams";
    clu_problem p = clu_make();
    spx_ode ode = {3 * NC, NC, 3, 0, clu_rhs, NULL, &p};
    spx_solver_settings set = settings(1e-8, 0.0);
    double y0[3 * NC], y[3 * NC], ye[3 * NC], tr, rho0[NC], rhoe[NC];
    int landed;
    char name[128];
    clu_y0(y0, 1.05);
    spx_solver_stats st;
    int status = run(nm, &ode, &set, 0.0, y0, &T, 1, y, &tr, &st, &landed);
    clu_exact(&p, T, y0, ye);
    double drift = 0.0;
    for (int b = 0; b < NC; b++) {
      rho0[b] = 1.05;
      rhoe[b] = sqrt(dot3(ye + 3 * b, ye + 3 * b));
      drift = fmax(drift, fabs(rhoe[b] - 1.05));
    }
    snprintf(name, sizeof name, "%s off-sphere, sphere = 0: follows the closed form (100 rtol)",
             nm);
    spx_test(status == SPX_OK && max_abs_diff(3 * NC, y, ye) <= 100 * set.rtol, name,
             "status %d err %.3g", status, max_abs_diff(3 * NC, y, ye));
    snprintf(name, sizeof name, "%s off-sphere, sphere = 0: |y_b| drifts as the closed form says",
             nm);
    spx_test(drift > 1e-4 && norm_defect(NC, y, rhoe) <= 100 * set.rtol &&
                 norm_defect(NC, y, rho0) > 1e-4,
             name, "closed-form drift %.3g, |y| vs closed form %.3g", drift,
             norm_defect(NC, y, rhoe));
    snprintf(name, sizeof name, "%s off-sphere, sphere = 0: no projection (proj_evals == 0)", nm);
    spx_test(st.proj_evals == 0, name, "%ld", st.proj_evals);
  }
}

/* Stiff Prothero-Robinson: bdf_newton with analytic and difference-quotient J v. */
static void test_stiff(void)
{
  const double T = 10.0;
  for (int analytic = 1; analytic >= 0; analytic--) {
    pr_problem p = {{1000.0, 300.0, 2000.0}, 0, 0};
    spx_ode ode = {NS, NS, 1, 0, pr_rhs, analytic ? pr_jv : NULL, &p};
    spx_solver_settings set = settings(1e-6, 0.0);
    spx_solver_stats st;
    double y0[NS] = {2.0, -0.5, 1.3}, y[NS], ye[NS], tr;
    int landed;
    char name[128];
    int status = run("bdf_newton", &ode, &set, 0.0, y0, &T, 1, y, &tr, &st, &landed);
    for (int i = 0; i < NS; i++) ye[i] = cos(T) + (y0[i] - 1.0) * exp(-p.lam[i] * T);
    const char *how = analytic ? "analytic" : "DQ";
    snprintf(name, sizeof name, "bdf_newton stiff (%s J v): |y - exact| <= 100 rtol", how);
    spx_test(status == SPX_OK && landed && max_abs_diff(NS, y, ye) <= 100 * set.rtol, name,
             "status %d err %.3g", status, max_abs_diff(NS, y, ye));
    /* Any explicit RK4 needs h <= 2.785 / l_max, i.e. >= 7000 steps here; ask for 10x fewer. */
    snprintf(name, sizeof name, "bdf_newton stiff (%s J v): steps <= l_max T / 27.85", how);
    spx_test_le(name, (double)st.steps, 2000.0 * T / 27.85);
    snprintf(name, sizeof name, "bdf_newton stiff (%s J v): jv_evals > 0, rhs_evals == calls", how);
    spx_test(st.jv_evals > 0 && st.rhs_evals == p.rhs_calls &&
                 (analytic ? st.jv_evals == p.jv_calls : p.jv_calls == 0),
             name, "jv_evals %ld (calls %ld) rhs_evals %ld (calls %ld)", st.jv_evals, p.jv_calls,
             st.rhs_evals, p.rhs_calls);
  }
  /* Adams + fixed point must resolve the fast scale: on y' = -l y the iteration
   * y <- p + h beta_0 f(y) contracts only if h beta_0 l_max < 1, and the Adams-Moulton beta_0 of
   * orders 1..12 is >= 0.2743 (order 12), so h < 3.65 / l_max: >= l_max T / 3.65 steps. */
  pr_problem p = {{1000.0, 300.0, 2000.0}, 0, 0};
  spx_ode ode = {NS, NS, 1, 0, pr_rhs, NULL, &p};
  spx_solver_settings set = settings(1e-6, 0.0);
  spx_solver_stats st;
  double y0[NS] = {2.0, -0.5, 1.3}, y[NS], tr;
  int landed;
  int status = run("adams", &ode, &set, 0.0, y0, &T, 1, y, &tr, &st, &landed);
  spx_test(status == SPX_OK && st.steps >= (long)(2000.0 * T / 3.65),
           "adams stiff: needs >= l_max T / 3.65 steps (why bdf_newton exists)",
           "status %d steps %ld", status, st.steps);
}

/* Failure paths: NaN from the rhs, a fatal rhs return, the step limit. */
static void test_failures(void)
{
  const double tout = 1.0, t_bad = 0.4;
  for (int mode = 1; mode <= 3; mode++)
    for (int i = 0; i < COUNT(all); i++) {
      rot_problem p = rot_make();
      p.t_bad = t_bad;
      p.fail_mode = mode;
      spx_ode ode = rot_ode(&p, 1);
      int is_fixed = strcmp(all[i], "euler") == 0 || strcmp(all[i], "rk4") == 0;
      double dt = strcmp(all[i], "euler") == 0 ? 1e-3 : 1e-2;
      spx_solver_settings set = settings(1e-9, dt);
      double y0[3 * NB], rho[NB], y[3 * NB], ye[3 * NB], tr = -1.0;
      int landed;
      char name[160];
      rot_y0(y0, rho);
      capture_begin();
      int status = run(all[i], &ode, &set, 0.0, y0, &tout, 1, y, &tr, NULL, &landed);
      const char *msg = capture_end();
      rot_exact(&p, tr, y0, ye);
      /* Euler is first order: |error| <= C dt with C = O(w^2 t) < 10 here. */
      double tol = strcmp(all[i], "euler") == 0 ? 10 * dt : 1e-6;
      if (mode != 2) {
        snprintf(name, sizeof name, "%s: NaN in rhs after t = 0.4%s -> SPX_ENONFINITE + message",
                 all[i], mode == 3 ? " with return -1" : "");
        spx_test(status == SPX_ENONFINITE && strstr(msg, "non-finite") != NULL, name, "status %d",
                 status);
      } else {
        snprintf(name, sizeof name, "%s: rhs returns -1 after t = 0.4 -> SPX_ESOLVER + message",
                 all[i]);
        spx_test(status == SPX_ESOLVER && strstr(msg, "error") != NULL, name, "status %d", status);
      }
      snprintf(name, sizeof name, "%s (mode %d): last good state: finite, t <= t_bad%s, = exact",
               all[i], mode, is_fixed ? " + dt" : "");
      spx_test(tr < tout && tr <= t_bad + (is_fixed ? dt : 0.0) && tr > 0.0 &&
                   all_finite(3 * NB, y) && max_abs_diff(3 * NB, y, ye) <= tol,
               name, "t = %.10g, |y - exact| = %.3g", tr, max_abs_diff(3 * NB, y, ye));
      if (!is_fixed && strcmp(all[i], "rk8pd") != 0) {
        snprintf(name, sizeof name, "%s (mode %d): message names the flag and the cause", all[i],
                 mode);
        const char *cause = mode != 2 ? "non-finite value" : "fatal error, returning -1";
        spx_test(strstr(msg, "CV_") != NULL && strstr(msg, cause) != NULL,
                 name, "%s", "");
      }
    }

  /* The stop time: no rhs call beyond tout, so an rhs that fails for t > tout does no harm. */
  for (int i = 0; i < COUNT(all); i++) {
    rot_problem p = rot_make();
    p.t_bad = tout;
    p.fail_mode = 2;
    spx_ode ode = rot_ode(&p, 1);
    spx_solver_settings set = settings(1e-9, 0.03);
    double y0[3 * NB], rho[NB], y[3 * NB], tr;
    int landed;
    char name[128];
    rot_y0(y0, rho);
    int status = run(all[i], &ode, &set, 0.0, y0, &tout, 1, y, &tr, NULL, &landed);
    snprintf(name, sizeof name, "%s: no rhs call beyond tout (stop time)", all[i]);
    spx_test(status == SPX_OK && landed && p.t_max <= tout, name, "status %d, max t %.17g",
             status, p.t_max);
  }

  /* max_steps too small. */
  for (int i = 0; i < COUNT(all); i++) {
    rot_problem p = rot_make();
    spx_ode ode = rot_ode(&p, 1);
    spx_solver_settings set = settings(1e-9, 1e-2);
    set.max_steps = 5;
    const spx_solver_type *T = spx_solver_find(all[i]);
    double y0[3 * NB], rho[NB], y[3 * NB], ye[3 * NB], tr = -1.0, tr2 = -1.0;
    int is_fixed = strcmp(all[i], "euler") == 0 || strcmp(all[i], "rk4") == 0;
    void *state = NULL;
    char name[160];
    rot_y0(y0, rho);
    if (T->create(&ode, &set, 0.0, y0, &state) != SPX_OK) {
      spx_test(0, all[i], "create failed");
      continue;
    }
    capture_begin();
    int status = T->advance(state, 3.3, y, &tr);
    const char *msg = capture_end();
    int named = strstr(msg, "max_steps") != NULL;
    if (!is_fixed)
      named &= strstr(msg, strcmp(all[i], "rk8pd") == 0 ? "GSL_EMAXITER" : "CV_TOO_MUCH_WORK") !=
               NULL;
    rot_exact(&p, tr, y0, ye);
    snprintf(name, sizeof name, "%s: max_steps = 5 -> SPX_ESOLVER, message names the limit",
             all[i]);
    spx_test(status == SPX_ESOLVER && named, name, "status %d", status);
    snprintf(name, sizeof name, "%s: max_steps: last good state at t < tout is the exact one",
             all[i]);
    /* Euler is first order: |error| <= C dt with C = O(w^2 t) < 10 here. */
    double tol = strcmp(all[i], "euler") == 0 ? 10 * set.dt : 1e-6;
    spx_test(tr > 0.0 && tr < 3.3 && max_abs_diff(3 * NB, y, ye) <= tol &&
                 (!is_fixed || fabs(tr - 5 * set.dt) < 1e-15),
             name, "t = %.10g err %.3g", tr, max_abs_diff(3 * NB, y, ye));
    if (!is_fixed) { /* the limit is per advance call: a second call goes further */
      capture_begin();
      T->advance(state, 3.3, y, &tr2);
      capture_end();
      snprintf(name, sizeof name, "%s: max_steps is per advance: a second call progresses", all[i]);
      spx_test(tr2 > tr, name, "t %.10g -> %.10g", tr, tr2);
    }
    T->free(state);
  }
}

/* reinit: advance to t1, reinit at (t1, y), advance to t2 == a fresh solver from (t1, y), and
 * close to the direct run; counters add up; bdf keeps the norms given at reinit. */
static void test_reinit(void)
{
  const double t1 = 1.3, t2 = 2.9;
  for (int i = 0; i < COUNT(all); i++) {
    const spx_solver_type *T = spx_solver_find(all[i]);
    rot_problem p = rot_make();
    spx_ode ode = rot_ode(&p, 1);
    spx_solver_settings set = settings(1e-9, 1e-2);
    double y0[3 * NB], rho[NB], y1[3 * NB], yd[3 * NB], yr[3 * NB], yf[3 * NB], ye[3 * NB], tr;
    spx_solver_stats s_before, s_after, s_fresh;
    void *state = NULL, *fresh = NULL;
    char name[160];
    int ok = 1;
    rot_y0(y0, rho);
    const double touts[2] = {t1, t2};
    int landed;
    ok &= run(all[i], &ode, &set, 0.0, y0, touts, 2, yd, &tr, NULL, &landed) == SPX_OK;
    ok &= T->create(&ode, &set, 0.0, y0, &state) == SPX_OK;
    ok &= ok && T->advance(state, t1, y1, &tr) == SPX_OK;
    if (ok) T->stats(state, &s_before);
    ok &= ok && T->reinit(state, t1, y1) == SPX_OK;
    ok &= ok && T->advance(state, t2, yr, &tr) == SPX_OK && tr == t2;
    if (ok) T->stats(state, &s_after);
    ok &= ok && T->create(&ode, &set, t1, y1, &fresh) == SPX_OK;
    ok &= ok && T->advance(fresh, t2, yf, &tr) == SPX_OK;
    if (ok) T->stats(fresh, &s_fresh);
    rot_exact(&p, t2, y0, ye);
    snprintf(name, sizeof name, "%s reinit: runs succeed", all[i]);
    spx_test(ok, name, "%s", "");
    if (ok) {
      snprintf(name, sizeof name, "%s reinit: same as a fresh solver from (t1, y1) (1e-13)",
               all[i]);
      spx_test_le(name, max_abs_diff(3 * NB, yr, yf), 1e-13);
      int is_fixed = strcmp(all[i], "euler") == 0 || strcmp(all[i], "rk4") == 0;
      snprintf(name, sizeof name, "%s reinit: equals the direct run to %s", all[i],
               is_fixed ? "1e-12 (same grid)" : "2e-7 (rtol 1e-9)");
      spx_test_le(name, max_abs_diff(3 * NB, yr, yd), is_fixed ? 1e-12 : 2e-7);
      snprintf(name, sizeof name, "%s reinit: counters accumulate (steps, rhs_evals)", all[i]);
      spx_test(s_after.steps == s_before.steps + s_fresh.steps &&
                   s_after.rhs_evals == s_before.rhs_evals + s_fresh.rhs_evals,
               name, "steps %ld = %ld + %ld, rhs %ld = %ld + %ld", s_after.steps, s_before.steps,
               s_fresh.steps, s_after.rhs_evals, s_before.rhs_evals, s_fresh.rhs_evals);
      if (!is_fixed) {
        snprintf(name, sizeof name, "%s reinit: close to exact (2e-7)", all[i]);
        spx_test_le(name, max_abs_diff(3 * NB, yr, ye), 2e-7);
      }
    }
    /* Norms are taken at reinit: scale block 0 by 1.5 and it stays at 1.5 |y1_0|. */
    if (ok && (strcmp(all[i], "bdf") == 0 || strcmp(all[i], "rk4") == 0)) {
      double rho1[NB];
      for (int k = 0; k < 3; k++) y1[k] *= 1.5;
      for (int b = 0; b < NB; b++) rho1[b] = sqrt(dot3(y1 + 3 * b, y1 + 3 * b));
      int st1 = T->reinit(state, t1, y1), st2 = T->advance(state, t2 + 1.0, yr, &tr);
      snprintf(name, sizeof name, "%s reinit: norms taken at reinit are kept (1e-10)", all[i]);
      spx_test(st1 == SPX_OK && st2 == SPX_OK && norm_defect(NB, yr, rho1) <= 1e-10, name,
               "statuses %d %d defect %.3g", st1, st2, norm_defect(NB, yr, rho1));
    }
    if (state) T->free(state);
    if (fresh) T->free(fresh);
  }
}

/* solver.max_order and solver.h0 reach CVODE. */
static void test_settings(void)
{
  rot_problem p = rot_make();
  spx_ode ode = rot_ode(&p, 1);
  double y0[3 * NB], rho[NB], y[3 * NB], tr;
  const double T = 1.0;
  int landed;
  rot_y0(y0, rho);

  /* BDF has orders 1..5: 6 is refused when the solver is set up. */
  spx_solver_settings set = settings(1e-6, 0.0);
  set.max_order = 6;
  void *state = NULL;
  capture_begin();
  int st = spx_solver_find("bdf")->create(&ode, &set, 0.0, y0, &state);
  const char *msg = capture_end();
  spx_test(st == SPX_EINVAL && state == NULL && strstr(msg, "max_order") != NULL,
           "bdf: max_order = 6 -> SPX_EINVAL naming solver.max_order", "status %d", st);

  /* Order 1 needs h ~ sqrt(2 rtol / |y''|), about 1e-3 here, against the default's few dozen
   * steps: at least 5x more steps. */
  spx_solver_stats s1, s5;
  set.max_order = 1;
  int st1 = run("adams", &ode, &set, 0.0, y0, &T, 1, y, &tr, &s1, &landed);
  set.max_order = 0;
  int st5 = run("adams", &ode, &set, 0.0, y0, &T, 1, y, &tr, &s5, &landed);
  spx_test(st1 == SPX_OK && st5 == SPX_OK && s1.steps >= 5 * s5.steps,
           "adams: max_order = 1 takes >= 5x the steps of the default orders", "%ld vs %ld",
           s1.steps, s5.steps);

  /* h0 is CVODE's initial step, reported as "Initial step size" by CVodePrintAllStats. */
  const spx_solver_type *B = spx_solver_find("bdf");
  set.h0 = 1.234e-4;
  double h0_seen = NAN;
  if (B->create(&ode, &set, 0.0, y0, &state) == SPX_OK) {
    if (B->advance(state, T, y, &tr) == SPX_OK) {
      char buf[4096];
      FILE *f = tmpfile();
      if (f) {
        B->print_stats(state, f);
        rewind(f);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
        const char *h = strstr(buf, "Initial step size,");
        if (h) h0_seen = strtod(h + strlen("Initial step size,"), NULL);
      }
    }
    B->free(state);
  }
  spx_test_rel("bdf: solver.h0 is CVODE's initial step", h0_seen, 1.234e-4, 1e-12);
}

static void test_print_stats(void)
{
  for (int i = 0; i < COUNT(all); i++) {
    const spx_solver_type *T = spx_solver_find(all[i]);
    rot_problem p = rot_make();
    spx_ode ode = rot_ode(&p, 1);
    spx_solver_settings set = settings(1e-8, 1e-2);
    double y0[3 * NB], rho[NB], y[3 * NB], tr;
    void *state = NULL;
    char buf[4096] = "", name[96];
    rot_y0(y0, rho);
    if (T->create(&ode, &set, 0.0, y0, &state) == SPX_OK &&
        T->advance(state, 0.5, y, &tr) == SPX_OK && T->print_stats) {
      FILE *f = tmpfile();
      if (f) {
        T->print_stats(state, f);
        rewind(f);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
      }
    }
    snprintf(name, sizeof name, "%s: print_stats writes a CSV line with Steps", all[i]);
    spx_test(strstr(buf, "Steps,") != NULL, name, "%.80s", buf);
    if (state) T->free(state);
  }
}

int main(void)
{
  gsl_set_error_handler_off();
  test_registry();
  test_invalid_input();
  test_rotation_adaptive();
  test_fixed_order();
  test_cluster();
  test_stiff();
  test_failures();
  test_reinit();
  test_settings();
  test_print_stats();
  return spx_test_summary();
}
