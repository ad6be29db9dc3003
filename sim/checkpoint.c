/* checkpoint.c -- restart points and the checkpoint file (checkpoint.h).
 *
 * File format, version 1 [ours] (native byte order, checked by a byte-order mark):
 *   offset 0   magic "SPXCKPT" + NUL (8 bytes)
 *          8   u32 format version (SPX_CKPT_VERSION)
 *         12   u32 byte-order mark 0x01020304
 *         16   u64 total size of the file in bytes, trailer included
 *         24   u32 number of fields, u32 reserved (0)
 *         32   fields, each: u16 name length, name (no NUL), u8 type (1 int64, 2 float64,
 *              3 text), u64 element count, count elements (8 bytes each; 1 byte for text)
 *   size - 4   u32 CRC-32 (IEEE) of every byte before it.
 * The reader checks, in this order: magic, version, byte order, size (truncated or trailing
 * bytes), checksum, then every field it needs by name, type and count; unknown fields are
 * skipped, so fields can be added within a version. The fields are listed in ckpt_encode.
 *
 * Hashes: CRC-32 with the reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF
 * (check value CRC-32("123456789") = 0xCBF43926); FNV-1a 64 (offset basis 0xcbf29ce484222325,
 * prime 0x100000001b3) for the config and the output prefixes, which is sequential and so can be
 * continued as an output file grows.
 */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"

#ifndef SPX_VERSION
#define SPX_VERSION "unknown"
#endif

#define MAGIC "SPXCKPT"       /* + the NUL: 8 bytes */
#define HEADER_BYTES 32
#define BOM 0x01020304u
enum { T_INT = 1, T_FLOAT = 2, T_TEXT = 3 };

/* ------------------------------------------------------------------------------------------ */
/* Hashes                                                                                       */

uint32_t spx_crc32(uint32_t crc, const void *p, size_t n)
{
  uint32_t table[256]; /* built per call (2048 shifts): no shared state, so thread-safe */
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  const unsigned char *b = p;
  crc = ~crc;
  for (size_t i = 0; i < n; i++) crc = table[(crc ^ b[i]) & 0xffu] ^ (crc >> 8);
  return ~crc;
}

uint64_t spx_fnv1a64(uint64_t h, const void *p, size_t n)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

int spx_ckpt_hash_fd(int fd, uint64_t from, uint64_t to, uint64_t *h)
{
  unsigned char buf[16384];
  while (from < to) {
    size_t want = to - from < sizeof buf ? (size_t)(to - from) : sizeof buf;
    ssize_t got = pread(fd, buf, want, (off_t)from);
    if (got <= 0) return SPX_EIO; /* a short file: the caller reports it */
    *h = spx_fnv1a64(*h, buf, (size_t)got);
    from += (uint64_t)got;
  }
  return SPX_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Create / free                                                                                */

void spx_ckpt_free(spx_ckpt *c)
{
  if (!c) return;
  free(c->x);
  free(c->y);
  free(c->y0);
  free(c->t99);
  free(c);
}

int spx_ckpt_create(int n, int d, spx_ckpt **out)
{
  *out = NULL;
  if (n < 1 || d < 1 || (double)n * d > 2e8) return SPX_EINVAL;
  spx_ckpt *c = calloc(1, sizeof *c);
  if (!c) return SPX_ENOMEM;
  size_t nd = (size_t)n * (size_t)d;
  c->n = n;
  c->d = d;
  c->x = calloc(nd, sizeof(double));
  c->y = calloc(nd, sizeof(double));
  c->y0 = calloc(nd, sizeof(double));
  c->t99 = malloc((size_t)d * sizeof(double));
  if (!c->x || !c->y || !c->y0 || !c->t99) {
    spx_ckpt_free(c);
    return SPX_ENOMEM;
  }
  for (int k = 0; k < d; k++) c->t99[k] = NAN;
  c->energy_min_inc = INFINITY;
  snprintf(c->build, sizeof c->build, "%s", SPX_VERSION);
  snprintf(c->reason, sizeof c->reason, "start");
  *out = c;
  return SPX_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Encoding                                                                                     */

typedef struct {
  unsigned char *b;
  size_t len, cap;
  int err;
  uint32_t nfields;
} wbuf;

static void put(wbuf *w, const void *p, size_t n)
{
  if (w->err) return;
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + n) cap *= 2;
    unsigned char *nb = realloc(w->b, cap);
    if (!nb) { w->err = 1; return; }
    w->b = nb;
    w->cap = cap;
  }
  memcpy(w->b + w->len, p, n);
  w->len += n;
}

static void field_head(wbuf *w, const char *name, unsigned char type, uint64_t count)
{
  uint16_t nl = (uint16_t)strlen(name);
  put(w, &nl, sizeof nl);
  put(w, name, nl);
  put(w, &type, 1);
  put(w, &count, sizeof count);
  w->nfields++;
}

static void put_int(wbuf *w, const char *name, int64_t v)
{
  field_head(w, name, T_INT, 1);
  put(w, &v, sizeof v);
}

static void put_float(wbuf *w, const char *name, double v)
{
  field_head(w, name, T_FLOAT, 1);
  put(w, &v, sizeof v);
}

static void put_floats(wbuf *w, const char *name, const double *v, uint64_t count)
{
  field_head(w, name, T_FLOAT, count);
  put(w, v, (size_t)count * sizeof(double));
}

static void put_text(wbuf *w, const char *name, const char *s)
{
  field_head(w, name, T_TEXT, strlen(s));
  put(w, s, strlen(s));
}

int spx_ckpt_encode(const spx_ckpt *c, unsigned char **buf, size_t *len)
{
  wbuf w = {0};
  const uint64_t nd = (uint64_t)c->n * (uint64_t)c->d;
  uint32_t u32;
  uint64_t u64 = 0;
  *buf = NULL;
  *len = 0;
  put(&w, MAGIC, 8);
  u32 = SPX_CKPT_VERSION;
  put(&w, &u32, 4);
  u32 = BOM;
  put(&w, &u32, 4);
  put(&w, &u64, 8); /* total size, patched below */
  u32 = 0;
  put(&w, &u32, 4); /* field count, patched below */
  put(&w, &u32, 4);
  /* identity of the run */
  put_text(&w, "build", c->build);
  put_int(&w, "config_hash", (int64_t)c->config_hash);
  put_text(&w, "solver", c->solver);
  put_float(&w, "rtol", c->settings.rtol);
  put_float(&w, "atol", c->settings.atol);
  put_float(&w, "dt", c->settings.dt);
  put_float(&w, "h0", c->settings.h0);
  put_int(&w, "max_steps", c->settings.max_steps);
  put_int(&w, "max_order", c->settings.max_order);
  put_int(&w, "n", c->n);
  put_int(&w, "d", c->d);
  put_int(&w, "init_seed", (int64_t)c->init_seed);
  put_float(&w, "t_final", c->t_final);
  put_float(&w, "every", c->every);
  /* the restart point */
  put_text(&w, "reason", c->reason);
  put_int(&w, "row", c->row);
  put_float(&w, "t", c->t);
  put_floats(&w, "x", c->x, nd);
  put_floats(&w, "y", c->y, nd);
  put_floats(&w, "y0", c->y0, nd);
  put_floats(&w, "t99", c->t99, (uint64_t)c->d);
  put_float(&w, "energy_min_inc", c->energy_min_inc);
  put_int(&w, "steps", c->stats.steps);
  put_int(&w, "rhs_evals", c->stats.rhs_evals);
  put_int(&w, "jv_evals", c->stats.jv_evals);
  put_int(&w, "lin_iters", c->stats.lin_iters);
  put_int(&w, "nonlin_iters", c->stats.nonlin_iters);
  put_int(&w, "nonlin_fails", c->stats.nonlin_fails);
  put_int(&w, "err_test_fails", c->stats.err_test_fails);
  put_int(&w, "proj_evals", c->stats.proj_evals);
  put_float(&w, "last_step", c->stats.last_step);
  put_float(&w, "wall", c->wall);
  /* the outputs at the row */
  put_int(&w, "obs_bytes", (int64_t)c->obs_bytes);
  put_int(&w, "obs_hash", (int64_t)c->obs_hash);
  put_int(&w, "traj_bytes", (int64_t)c->traj_bytes);
  put_int(&w, "traj_hash", (int64_t)c->traj_hash);
  put_int(&w, "traj_frames", c->traj_frames);
  u32 = 0;
  put(&w, &u32, 4); /* CRC placeholder */
  if (w.err) {
    free(w.b);
    return SPX_ENOMEM;
  }
  u64 = w.len;
  memcpy(w.b + 16, &u64, 8);
  memcpy(w.b + 24, &w.nfields, 4);
  u32 = spx_crc32(0, w.b, w.len - 4);
  memcpy(w.b + w.len - 4, &u32, 4);
  *buf = w.b;
  *len = w.len;
  return SPX_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Decoding                                                                                     */

typedef struct {
  const char *name;
  size_t nlen;
  int type;
  uint64_t count;
  const unsigned char *data;
} field;

typedef struct {
  field *f;
  uint32_t n;
  const char *origin;
} ftable;

static const field *find(const ftable *t, const char *name, int type, uint64_t count)
{
  for (uint32_t i = 0; i < t->n; i++)
    if (t->f[i].nlen == strlen(name) && memcmp(t->f[i].name, name, t->f[i].nlen) == 0) {
      if (t->f[i].type != type || (count != UINT64_MAX && t->f[i].count != count)) {
        spx_error("%s: checkpoint field \"%s\" has type %d and %llu elements; expected type %d "
                  "and %llu", t->origin, name, t->f[i].type, (unsigned long long)t->f[i].count,
                  type, (unsigned long long)count);
        return NULL;
      }
      return &t->f[i];
    }
  spx_error("%s: checkpoint field \"%s\" is missing", t->origin, name);
  return NULL;
}

static int get_int(const ftable *t, const char *name, int64_t *v)
{
  const field *f = find(t, name, T_INT, 1);
  if (!f) return SPX_EINVAL;
  memcpy(v, f->data, 8);
  return SPX_OK;
}

static int get_floats(const ftable *t, const char *name, double *v, uint64_t count)
{
  const field *f = find(t, name, T_FLOAT, count);
  if (!f) return SPX_EINVAL;
  memcpy(v, f->data, (size_t)count * 8);
  return SPX_OK;
}

static int get_text(const ftable *t, const char *name, char *buf, size_t size)
{
  const field *f = find(t, name, T_TEXT, UINT64_MAX);
  if (!f) return SPX_EINVAL;
  if (f->count >= size) {
    spx_error("%s: checkpoint field \"%s\" is too long (%llu bytes)", t->origin, name,
              (unsigned long long)f->count);
    return SPX_EINVAL;
  }
  memcpy(buf, f->data, (size_t)f->count);
  buf[f->count] = '\0';
  return SPX_OK;
}

#define GET_LONG(name, dst)                  \
  do {                                       \
    int64_t v_;                              \
    SPX_TRY(get_int(&t, name, &v_));         \
    (dst) = (long)v_;                        \
  } while (0)

int spx_ckpt_decode(const unsigned char *buf, size_t len, const char *origin, spx_ckpt **out)
{
  int status = SPX_OK;
  spx_ckpt *c = NULL;
  ftable t = {NULL, 0, origin};
  uint32_t version, bom, nfields, crc_stored, crc;
  uint64_t size;
  int64_t n, d, v;
  *out = NULL;
  if (len < 8 || memcmp(buf, MAGIC, 8) != 0) {
    spx_error("%s: not a checkpoint file of bin/sim (the magic number \"SPXCKPT\" is missing)",
              origin);
    return SPX_EINVAL;
  }
  if (len < HEADER_BYTES + 4) {
    spx_error("%s: truncated checkpoint (%zu bytes, shorter than its header)", origin, len);
    return SPX_EINVAL;
  }
  memcpy(&version, buf + 8, 4);
  memcpy(&bom, buf + 12, 4);
  memcpy(&size, buf + 16, 8);
  memcpy(&nfields, buf + 24, 4);
  if (version != SPX_CKPT_VERSION) {
    spx_error("%s: checkpoint format version %u; this build of bin/sim reads version %u only "
              "(written by another version of the program): cannot resume", origin, version,
              SPX_CKPT_VERSION);
    return SPX_EINVAL;
  }
  if (bom != BOM) {
    spx_error("%s: checkpoint written on a machine of another byte order: cannot resume", origin);
    return SPX_EINVAL;
  }
  if (size != len) {
    if (len < size)
      spx_error("%s: truncated checkpoint: %zu of its %llu bytes", origin, len,
                (unsigned long long)size);
    else
      spx_error("%s: checkpoint has %zu bytes but its header says %llu: trailing bytes or a "
                "damaged header", origin, len, (unsigned long long)size);
    return SPX_EINVAL;
  }
  memcpy(&crc_stored, buf + len - 4, 4);
  crc = spx_crc32(0, buf, len - 4);
  if (crc != crc_stored) {
    spx_error("%s: checkpoint checksum mismatch (CRC-32 stored %08x, computed %08x): the file "
              "is corrupted", origin, crc_stored, crc);
    return SPX_EINVAL;
  }
  /* Field table: every field must lie inside the data part. */
  if (nfields > (len - HEADER_BYTES) / 11) {
    spx_error("%s: checkpoint header announces %u fields, more than the file can hold", origin,
              nfields);
    return SPX_EINVAL;
  }
  t.f = calloc(nfields ? nfields : 1, sizeof *t.f);
  if (!t.f) return SPX_ENOMEM;
  {
    const unsigned char *p = buf + HEADER_BYTES, *end = buf + len - 4;
    for (uint32_t i = 0; i < nfields; i++) {
      uint16_t nl;
      uint64_t count;
      if ((size_t)(end - p) < 2) goto malformed;
      memcpy(&nl, p, 2);
      p += 2;
      if ((size_t)(end - p) < (size_t)nl + 9) goto malformed;
      t.f[i].name = (const char *)p;
      t.f[i].nlen = nl;
      p += nl;
      t.f[i].type = *p++;
      memcpy(&count, p, 8);
      p += 8;
      uint64_t esize = t.f[i].type == T_TEXT ? 1 : 8;
      if (t.f[i].type < T_INT || t.f[i].type > T_TEXT || count > (uint64_t)(end - p) / esize)
        goto malformed;
      t.f[i].count = count;
      t.f[i].data = p;
      p += count * esize;
      t.n = i + 1;
    }
    if (p != end) goto malformed;
  }
  SPX_TRY(get_int(&t, "n", &n));
  SPX_TRY(get_int(&t, "d", &d));
  if (n < 1 || d < 1 || n > 100000000 || d > 65536 || (double)n * d > 2e8) {
    spx_error("%s: checkpoint has n = %lld, d = %lld, outside the sizes of a run", origin,
              (long long)n, (long long)d);
    status = SPX_EINVAL;
    goto cleanup;
  }
  SPX_TRY(spx_ckpt_create((int)n, (int)d, &c));
  const uint64_t nd = (uint64_t)n * (uint64_t)d;
  SPX_TRY(get_text(&t, "build", c->build, sizeof c->build));
  SPX_TRY(get_int(&t, "config_hash", &v));
  c->config_hash = (uint64_t)v;
  SPX_TRY(get_text(&t, "solver", c->solver, sizeof c->solver));
  SPX_TRY(get_floats(&t, "rtol", &c->settings.rtol, 1));
  SPX_TRY(get_floats(&t, "atol", &c->settings.atol, 1));
  SPX_TRY(get_floats(&t, "dt", &c->settings.dt, 1));
  SPX_TRY(get_floats(&t, "h0", &c->settings.h0, 1));
  GET_LONG("max_steps", c->settings.max_steps);
  GET_LONG("max_order", c->settings.max_order);
  SPX_TRY(get_int(&t, "init_seed", &v));
  c->init_seed = (unsigned long)v;
  SPX_TRY(get_floats(&t, "t_final", &c->t_final, 1));
  SPX_TRY(get_floats(&t, "every", &c->every, 1));
  SPX_TRY(get_text(&t, "reason", c->reason, sizeof c->reason));
  GET_LONG("row", c->row);
  SPX_TRY(get_floats(&t, "t", &c->t, 1));
  SPX_TRY(get_floats(&t, "x", c->x, nd));
  SPX_TRY(get_floats(&t, "y", c->y, nd));
  SPX_TRY(get_floats(&t, "y0", c->y0, nd));
  SPX_TRY(get_floats(&t, "t99", c->t99, (uint64_t)d));
  SPX_TRY(get_floats(&t, "energy_min_inc", &c->energy_min_inc, 1));
  GET_LONG("steps", c->stats.steps);
  GET_LONG("rhs_evals", c->stats.rhs_evals);
  GET_LONG("jv_evals", c->stats.jv_evals);
  GET_LONG("lin_iters", c->stats.lin_iters);
  GET_LONG("nonlin_iters", c->stats.nonlin_iters);
  GET_LONG("nonlin_fails", c->stats.nonlin_fails);
  GET_LONG("err_test_fails", c->stats.err_test_fails);
  GET_LONG("proj_evals", c->stats.proj_evals);
  SPX_TRY(get_floats(&t, "last_step", &c->stats.last_step, 1));
  SPX_TRY(get_floats(&t, "wall", &c->wall, 1));
  SPX_TRY(get_int(&t, "obs_bytes", &v));
  c->obs_bytes = (uint64_t)v;
  SPX_TRY(get_int(&t, "obs_hash", &v));
  c->obs_hash = (uint64_t)v;
  SPX_TRY(get_int(&t, "traj_bytes", &v));
  c->traj_bytes = (uint64_t)v;
  SPX_TRY(get_int(&t, "traj_hash", &v));
  c->traj_hash = (uint64_t)v;
  GET_LONG("traj_frames", c->traj_frames);
  if (c->row < 0 || !isfinite(c->t) || !(c->every > 0) || c->traj_frames < 0) {
    spx_error("%s: checkpoint has an impossible row %ld, time %g or output interval %g", origin,
              c->row, c->t, c->every);
    status = SPX_EINVAL;
    goto cleanup;
  }
  *out = c;
  c = NULL;
  goto cleanup;
malformed:
  spx_error("%s: checkpoint field %u is malformed (name, type or size runs past the end)", origin,
            t.n + 1);
  status = SPX_EINVAL;
cleanup:
  spx_ckpt_free(c);
  free(t.f);
  return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Files                                                                                        */

int spx_ckpt_save(const spx_ckpt *c, const char *dir)
{
  unsigned char *buf = NULL;
  size_t len = 0;
  spx_out_file of;
  int status = spx_ckpt_encode(c, &buf, &len);
  if (status) return status;
  status = spx_out_open(&of, dir, SPX_CKPT_FILE);
  if (status == SPX_OK) {
    /* a short write sets the stream's error flag: spx_out_commit reports it (e.g. ENOSPC) and
     * removes the temporary file, leaving the previous checkpoint in place */
    size_t wrote = fwrite(buf, 1, len, of.f);
    status = spx_out_commit(&of);
    if (status == SPX_OK && wrote != len) status = SPX_EIO;
  }
  free(buf);
  return status;
}

int spx_ckpt_load(const char *path, spx_ckpt **out)
{
  int status = SPX_OK;
  unsigned char *buf = NULL;
  struct stat st;
  FILE *f = NULL;
  *out = NULL;
  if (stat(path, &st) != 0) {
    spx_error("%s: cannot read the checkpoint (%s)", path, strerror(errno));
    return SPX_EINVAL;
  }
  if (!S_ISREG(st.st_mode)) {
    spx_error("%s: not a regular file; expected a checkpoint file", path);
    return SPX_EINVAL;
  }
  if (st.st_size > (off_t)4 * 8 * 200000000 + (1 << 20)) {
    spx_error("%s: %lld bytes is larger than any checkpoint of this program", path,
              (long long)st.st_size);
    return SPX_EINVAL;
  }
  f = fopen(path, "rb");
  buf = malloc((size_t)st.st_size + 1);
  if (!f || !buf) {
    if (!f) spx_error("%s: cannot read the checkpoint (%s)", path, strerror(errno));
    status = f ? SPX_ENOMEM : SPX_EINVAL;
    goto cleanup;
  }
  size_t got = fread(buf, 1, (size_t)st.st_size, f);
  if (ferror(f)) {
    spx_error("%s: read error (%s)", path, strerror(errno));
    status = SPX_EIO;
    goto cleanup;
  }
  status = spx_ckpt_decode(buf, got, path, out);
cleanup:
  if (f) fclose(f);
  free(buf);
  return status;
}

int spx_ckpt_match(const spx_ckpt *c, const char *origin, uint64_t config_hash,
                   const spx_run_params *p)
{
  const spx_model *m = p->model;
  const char *what = NULL;
  char detail[256] = "";
  if (c->n != m->n || c->d != m->d) {
    what = "sizes";
    snprintf(detail, sizeof detail, "n = %d, d = %d in the checkpoint, n = %d, d = %d in the "
             "config", c->n, c->d, m->n, m->d);
  } else if (strcmp(c->solver, p->method) != 0) {
    what = "solver.method";
    snprintf(detail, sizeof detail, "\"%s\" in the checkpoint, \"%s\" in the config", c->solver,
             p->method);
  } else if (c->settings.rtol != p->solver.rtol || c->settings.atol != p->solver.atol ||
             c->settings.dt != p->solver.dt || c->settings.h0 != p->solver.h0 ||
             c->settings.max_steps != p->solver.max_steps ||
             c->settings.max_order != p->solver.max_order) {
    what = "solver settings";
    snprintf(detail, sizeof detail, "rtol %g atol %g dt %g max_steps %ld in the checkpoint, rtol "
             "%g atol %g dt %g max_steps %ld in the config", c->settings.rtol, c->settings.atol,
             c->settings.dt, c->settings.max_steps, p->solver.rtol, p->solver.atol, p->solver.dt,
             p->solver.max_steps);
  } else if (c->t_final != p->t_final || c->every != p->every) {
    what = "output grid";
    snprintf(detail, sizeof detail, "t_final %.17g every %.17g in the checkpoint, %.17g and "
             "%.17g in the config", c->t_final, c->every, p->t_final, p->every);
  } else if (c->init_seed != p->init.seed) {
    what = "init.seed";
    snprintf(detail, sizeof detail, "%lu in the checkpoint, %lu in the config", c->init_seed,
             p->init.seed);
  } else if (c->config_hash != config_hash) {
    what = "config";
    snprintf(detail, sizeof detail, "config.resolved.cfg has FNV-1a 64 hash %016llx, the "
             "checkpoint was written for %016llx: the config was changed",
             (unsigned long long)config_hash, (unsigned long long)c->config_hash);
  }
  if (!what) return SPX_OK;
  spx_error("%s: checkpoint of a different run (%s: %s); resume needs the run folder's own "
            "config.resolved.cfg, unchanged", origin, what, detail);
  return SPX_EINVAL;
}

int spx_ckpt_settings_get(const spx_config *cfg, spx_ckpt_settings *out)
{
  const config_setting_t *s;
  memset(out, 0, sizeof *out);
  if ((s = spx_config_setting(cfg, "checkpoint.every_steps"))) {
    long long v = config_setting_get_int64(s);
    if (v < 0 || v > 1000000000000000LL)
      return spx_config_bad(cfg, s, "checkpoint.every_steps",
                            "%lld is out of range; allowed: 0 (off) <= checkpoint.every_steps <= "
                            "1e15", v);
    out->every_steps = (long)v;
  }
  if ((s = spx_config_setting(cfg, "checkpoint.every_time"))) {
    double v = config_setting_type(s) == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
                                                           : (double)config_setting_get_int64(s);
    if (!isfinite(v) || v < 0)
      return spx_config_bad(cfg, s, "checkpoint.every_time",
                            "%g is out of range; allowed: a finite time >= 0 (0: off)", v);
    out->every_time = v;
  }
  if ((s = spx_config_setting(cfg, "checkpoint.on_signal"))) {
    const char *v = config_setting_get_string(s);
    if (!v || (strcmp(v, "exact") && strcmp(v, "now")))
      return spx_config_bad(cfg, s, "checkpoint.on_signal", "\"%s\" is not allowed; allowed: "
                            "exact|now", v ? v : "");
    out->on_signal_now = strcmp(v, "now") == 0;
  }
  return SPX_OK;
}

/* Size of the file at path, or -1. */
static long long file_size(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
}

/* 1 if the first `bytes` bytes of path hash to `hash`. */
static int prefix_matches(const char *path, uint64_t bytes, uint64_t hash)
{
  if (file_size(path) < (long long)bytes) return 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  uint64_t h = SPX_FNV64_INIT;
  int ok = spx_ckpt_hash_fd(fd, 0, bytes, &h) == SPX_OK && h == hash;
  close(fd);
  return ok;
}

int spx_ckpt_reopen_output(const char *dir, const char *name, uint64_t bytes, uint64_t hash,
                           spx_out_file *of)
{
  memset(of, 0, sizeof *of);
  if (snprintf(of->final, sizeof of->final, "%s/%s", dir, name) >= (int)sizeof of->final ||
      snprintf(of->tmp, sizeof of->tmp, "%s/.%s.tmp", dir, name) >= (int)sizeof of->tmp) {
    spx_error("output path too long: %s/%s", dir, name);
    return SPX_EIO;
  }
  if (prefix_matches(of->tmp, bytes, hash)) { /* a killed run: continue its temporary file */
    if (truncate(of->tmp, (off_t)bytes) != 0 || !(of->f = fopen(of->tmp, "r+b")) ||
        fseeko(of->f, 0, SEEK_END) != 0) {
      spx_error("cannot reopen %s (%s)", of->tmp, strerror(errno));
      if (of->f) fclose(of->f);
      of->f = NULL;
      return SPX_EIO;
    }
    return SPX_OK;
  }
  if (!prefix_matches(of->final, bytes, hash)) {
    spx_error("%s: its first %llu bytes (the rows up to the checkpoint) are missing or changed, "
              "in %s and in %s: cannot resume this run", of->final, (unsigned long long)bytes,
              of->final, of->tmp);
    return SPX_EINVAL;
  }
  /* A stopped run: copy the prefix of the finished file into a new temporary file. */
  FILE *in = fopen(of->final, "rb");
  of->f = fopen(of->tmp, "w+b");
  if (!in || !of->f) {
    spx_error("cannot copy %s to %s (%s)", of->final, of->tmp, strerror(errno));
    if (in) fclose(in);
    spx_out_abort(of);
    return SPX_EIO;
  }
  char buf[16384];
  uint64_t left = bytes;
  while (left > 0) {
    size_t want = left < sizeof buf ? (size_t)left : sizeof buf;
    size_t got = fread(buf, 1, want, in);
    if (got == 0 || fwrite(buf, 1, got, of->f) != got) break;
    left -= got;
  }
  fclose(in);
  if (left > 0 || fflush(of->f) != 0) {
    spx_error("cannot copy %s to %s (%s)", of->final, of->tmp, strerror(errno));
    spx_out_abort(of);
    return SPX_EIO;
  }
  return SPX_OK;
}
