/* fuzz_config.c -- libFuzzer harness of the config loader and validator (`make fuzz`).
 *
 * Each input is written to a temporary file and given to spx_config_load (libconfig parse,
 * 64-bit literal widening, structure and type checks, defaults, typed extraction with ranges,
 * model building) and then to the checkpoint.* validator, as `bin/sim run` does before it writes
 * anything. A config accepted by both must also print a resolved config that loads again with the
 * same n, d, beta and solver: a violation traps (a finding, like a crash). Built with AddressSanitizer
 * and UndefinedBehaviorSanitizer (Makefile), so memory errors, leaks and UB are findings too.
 *
 * Inputs with model.d > 48 or more than 8 heads are skipped: the loader builds d x d matrices
 * (O(d^3) eigen-decompositions, d^2 memory per head), so large sizes only measure time and memory
 * (both legal up to the documented limits) and would be reported as timeouts or out-of-memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <libconfig.h>

#include "checkpoint.h"
#include "config.h"
#include "status.h"

static char in_path[64], out_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void remove_files(void)
{
  unlink(in_path);
  unlink(out_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  gsl_set_error_handler_off();
  spx_set_quiet(1);
  snprintf(in_path, sizeof in_path, "/tmp/spx_fuzz_in_%d.cfg", (int)getpid());
  snprintf(out_path, sizeof out_path, "/tmp/spx_fuzz_out_%d.cfg", (int)getpid());
  atexit(remove_files);
  return 0;
}

static int write_file(const char *path, const void *data, size_t size)
{
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(data, 1, size, f);
  return (fclose(f) == 0 && w == size) ? 0 : -1;
}

/* 1 if the input asks for sizes the harness does not explore (see the top comment). */
static int too_big(const uint8_t *data, size_t size)
{
  char *text = malloc(size + 1);
  if (!text) return 1;
  memcpy(text, data, size);
  text[size] = '\0';
  config_t c;
  config_init(&c);
  int big = 0;
  if (strlen(text) == size && config_read_string(&c, text)) {
    const config_setting_t *s = config_lookup(&c, "model.d");
    if (s && (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64))
      big = config_setting_get_int64(s) > 48;
    s = config_lookup(&c, "model.heads");
    if (s && config_setting_length(s) > 8) big = 1;
  }
  config_destroy(&c);
  free(text);
  return big;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  spx_config *cfg = NULL, *again = NULL;
  if (size > 65536 || too_big(data, size)) return 0;
  if (write_file(in_path, data, size) != 0) return 0;
  if (spx_config_load(in_path, NULL, 0, &cfg) == SPX_OK) {
    spx_ckpt_settings cs;
    /* bin/sim run accepts the config only if the checkpoint.* keys are valid too */
    FILE *f = spx_ckpt_settings_get(cfg, &cs) == SPX_OK ? fopen(out_path, "w") : NULL;
    if (f) {
      int w = spx_config_write_resolved(cfg, f);
      fclose(f);
      if (w == SPX_OK) {
        /* The resolved config must load again, to the same run. */
        if (spx_config_load(out_path, NULL, 0, &again) != SPX_OK) __builtin_trap();
        const spx_run_params *a = spx_config_params(cfg), *b = spx_config_params(again);
        if (a->model->n != b->model->n || a->model->d != b->model->d ||
            !(a->model->beta == b->model->beta) || strcmp(a->method, b->method) != 0)
          __builtin_trap();
        spx_config_free(again);
      }
    }
    spx_config_free(cfg);
  }
  return 0;
}
