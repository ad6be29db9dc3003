/* sweep_impl.h -- internals shared by the sweep files (sweep.c: the spec, sweep_exec.c: the runs
 * and the tables, sweep_plot.c: theory and figures). Not a public interface: use sweep.h.
 */
#ifndef SPX_SWEEP_IMPL_H
#define SPX_SWEEP_IMPL_H

#include <stdio.h>

#include <libconfig.h>

#include "config.h"
#include "sweep.h"

typedef enum { SPX_AX_VALUES, SPX_AX_LINSPACE, SPX_AX_LOGSPACE } spx_axis_kind;

/* One axis of the cartesian product. */
typedef struct {
  char *name;                    /* column name (identifier) */
  char *param;                   /* config key it sets, or NULL (a parameter of sweep.derived) */
  char *label;                   /* axis label of the figures (gnuplot enhanced text) */
  spx_axis_kind kind;
  int len;                       /* number of values (>= 1) */
  double *num;                   /* numeric values (NaN for strings and arrays) */
  char **text;                   /* values in libconfig syntax (the --set value) */
  char **show;                   /* values as written in the TSV files */
  int numeric;                   /* 1 if every value is a number */
  int integral;                  /* 1 if every value is an integer (no fine theory grid) */
  const config_setting_t *where; /* the axis group (messages) */
} spx_axis;

/* Per-run quantities, by summary.tsv key (see the table in sweep.c). */
typedef enum { SPX_MT_STR, SPX_MT_INT, SPX_MT_DBL } spx_metric_type;

typedef struct {
  const char *name;
  spx_metric_type type;
} spx_metric_def;

typedef enum { SPX_FIG_HEATMAP, SPX_FIG_FRACTIONS, SPX_FIG_METRIC, SPX_FIG_SNAPSHOTS } spx_fig_kind;

/* Theory overlays (bit flags). */
enum {
  SPX_TH_CRITERION = 1,   /* §4.4 items 1-2 on a fine grid: regions and edges */
  SPX_TH_BETA_S = 2,      /* §4.4 item 2: beta_s = artanh(lambda_2/lambda_1)/lambda_1 */
  SPX_TH_BISTABILITY = 4, /* §4.4 item 4: artanh(lambda_1/|lambda_min|)/|lambda_min| */
  SPX_TH_KSTAR = 8,       /* §6.4: k* = argmax k^2 I_k(beta), and sqrt(2 beta) */
  SPX_TH_BINOMIAL = 16,   /* [D] f_plus of uniform data with sign memory: 1/2 +- 1/(2 sqrt n) */
  SPX_TH_EQUIANGULAR = 32 /* §6.2: beta where gamma_beta(T) = cluster threshold (d -> infinity) */
};

/* One figure of sweep.figures. */
typedef struct {
  spx_fig_kind kind;
  int ax, ay;          /* axis indices (ay: heatmap only; -1 otherwise) */
  char *z;             /* heatmap: class name, "consensus", or a recorded numeric metric */
  int zmetric;         /* column of z among the metrics (-1: a class fraction) */
  int metric;          /* metric figure: index into the recorded metrics */
  int nclasses;        /* fractions figure: classes drawn */
  char **classes;
  int theory;          /* SPX_TH_* flags */
  int logx, logy;
  int maxpanels;       /* snapshots */
  char *file;          /* output base name (no extension) */
  char *title;         /* title (after the config name) */
  const config_setting_t *where;
} spx_figure;

/* The classes of spx_obs_classify plus "consensus" (min inner product > cluster threshold). */
#define SPX_SWEEP_NCLASS 5
extern const char *const spx_sweep_class_names[SPX_SWEEP_NCLASS];

struct spx_sweep {
  spx_config *base;     /* the file with the user's overrides */
  char *path;
  char **user_sets;
  int nuser;
  int naxes;
  spx_axis *axes;
  long *stride;         /* point = sum_a index_a stride_a (last axis fastest) */
  long npoints;
  int replicas;
  unsigned long seed0;
  int nderived;
  char **derived;       /* "key=template" */
  const config_setting_t **derived_where;
  int nmetrics;         /* recorded metrics after the fixed columns status, class, consensus */
  int *metrics;         /* indices into the metric table */
  int nfigs;
  spx_figure *figs;
  unsigned char *snap;  /* [npoints] 1: keep the final state of replica 0 (snapshot figures) */
  char **setbuf;        /* spx_sweep_run_sets storage */
  int nsetbuf;
  const config_setting_t *group; /* the sweep group */
};

/* The metric table and its size. */
extern const spx_metric_def spx_sweep_metric_table[];
extern const int spx_sweep_nmetric_table;

/* Index of point p along axis a. */
int spx_sweep_index(const spx_sweep *s, long p, int a);

/* Build the --set list of a run from one value per axis: text[a] (libconfig syntax) and num[a]
 * (for derived templates); seed < 0: no init.seed. *out is malloc'ed, each string too; free with
 * spx_sweep_free_sets. On a bad template the message names the derived entry. */
int spx_sweep_build_sets(const spx_sweep *s, char *const *text, const double *num, long long seed,
                         char ***out, int *nout);
void spx_sweep_free_sets(char **sets, int n);

/* Sets of run (point, replica) (replica < 0: no init.seed). */
int spx_sweep_point_sets(const spx_sweep *s, long point, int replica, char ***out, int *nout);

/* Load the run config of the given sets. */
int spx_sweep_load_sets(const spx_sweep *s, char **sets, int nsets, spx_config **cfg);

/* Per-point aggregates of phase.tsv (what the figures draw). */
typedef struct {
  long point;
  int runs;
  double frac[SPX_SWEEP_NCLASS], se[SPX_SWEEP_NCLASS];
  double failed;        /* fraction of runs whose status is not "done" */
  double *mean, *sd;    /* [nmetrics] (NaN for string metrics) */
  double th_split, th_homog, beta_s, beta_bistab; /* NaN when the model is not symmetric */
  int kstar;
} spx_phase_row;

/* One run as read back from its record. */
typedef struct {
  char *line;           /* the sweep.tsv row (no newline) */
  int cls;              /* index into spx_sweep_class_names (0..3), -1 unknown */
  int consensus;
  int done;             /* status "done" */
  double *val;          /* [nmetrics] numeric values (NaN for strings) */
} spx_run_row;

/* Draw the figures of sweep.figures in dir from the runs and the points. */
int spx_sweep_figures(const spx_sweep *s, const char *dir, const spx_run_row *rows,
                      const spx_phase_row *ph);

#endif
