# Makefile -- self-attention particle flows on the sphere (see README.md).
#
#   make run     install what is missing, build, run configs/default.cfg, write its figures
#   make test    install what is missing, build, run the whole test suite
#   make         build bin/sim          make deps   install the Debian packages that are missing
#   make validate / bench / phase / fuzz / asan / lint / clean   (see README.md)
#
# ---- user settings -------------------------------------------------------------------------
CC       ?= gcc
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
MPI      ?= 0
# The all-pairs kernel (sim/kernel.c) is the hot loop: built for this machine's vector units and
# FMA. For a binary that must run on other CPUs: make KERNEL_CFLAGS='-O3 -march=x86-64-v3'.
KERNEL_CFLAGS ?= -O3 -march=native
# ---------------------------------------------------------------------------------------------

ifeq ($(MPI),1)
  CC := mpicc
  BUILD := build/mpi
  DEFS += -DSPX_HAVE_MPI=1
  MPILIBS := -lsundials_nvecparallel
else
  BUILD := build/serial
endif

WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter
DEFS    += -D_GNU_SOURCE -DSPX_PLOTS_DIR='"$(CURDIR)/plots"' \
           -DSPX_VERSION='"$(shell git describe --always --dirty 2>/dev/null || echo unknown)"'
# OpenBLAS in its OpenMP flavour (libopenblas-openmp-dev, c_stack.md §2): it runs on our OpenMP
# threads and serially inside our parallel loops. The default pthread flavour starts threads of
# its own when loaded, which spin (sched_yield) beside ours: measured, an n = 1024 run took
# 0.22 s instead of 0.13 s in half of the tries. Linked by path, whatever `libopenblas.so` the
# system's alternatives choose.
OPENBLAS_DIR := /usr/lib/$(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/openblas-openmp
OPENBLAS_INC := $(subst /lib/,/include/,$(OPENBLAS_DIR))
ALLCFLAGS = -std=c11 $(CFLAGS) $(WARN) -fopenmp $(DEFS) -Isim -Isolvers -I$(OPENBLAS_INC)
LDLIBS  := -lsundials_cvode -lsundials_nvecserial $(MPILIBS) -lgsl \
           -L$(OPENBLAS_DIR) -Wl,-rpath,$(OPENBLAS_DIR) -lopenblas -lconfig -lm -fopenmp

# Sources: every .c in sim/ and solvers/ (one module per file); sim/main.c is the command line.
LIB_SRC  := $(filter-out sim/main.c,$(sort $(wildcard sim/*.c solvers/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libspx.a
BIN      := bin/sim
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

# Debian packages the build, the runs and the tests need (DEVELOPERS: Debian 12).
PKGS := libsundials-dev libgsl-dev libopenblas-openmp-dev gnuplot-nox libconfig-dev pkg-config \
        openmpi-bin libopenmpi-dev valgrind

.PHONY: all deps run test validate bench phase clean lint asan fuzz fuzz-deps analyze
all: deps $(BIN)

# Install missing packages once (a stamp remembers success; `make deps` always re-checks).
DEPS_STAMP := build/.deps-ok
$(DEPS_STAMP):
	@$(MAKE) --no-print-directory deps
deps:
	@missing=""; for p in $(PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing missing Debian packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "make deps: not root. Run as root:  apt-get update && apt-get install -y$$missing"; exit 1; fi; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) \
	    || { echo "make deps: apt-get failed; install by hand:$$missing"; exit 1; }; \
	fi; mkdir -p build; touch $(DEPS_STAMP)

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/sim/kernel.o: ALLCFLAGS += $(KERNEL_CFLAGS)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# bin/sim is the serial or the MPI binary, whichever was built last: a stamp per flavour makes a
# switch of flavour relink it.
FLAVOUR := bin/.flavour-$(if $(filter 1,$(MPI)),mpi,serial)
$(FLAVOUR):
	@mkdir -p bin; rm -f bin/.flavour-*; touch $@

$(BIN): $(BUILD)/sim/main.o $(LIB) $(FLAVOUR)
	@mkdir -p bin
	$(CC) $(ALLCFLAGS) -o $@ $(BUILD)/sim/main.o $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c tests/harness.h $(LIB) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -Itests -o $@ $< $(LIB) $(LDLIBS)

run: all
	$(BIN) run configs/default.cfg --out output/default --force

# bin/sim for valgrind (tests/cli_faults.sh): valgrind 3.19 cannot decode the AVX-512 that
# KERNEL_CFLAGS=-march=native may put in the kernel, so this copy links a kernel built without it.
VG_BIN := $(BUILD)/sim-valgrind
$(BUILD)/sim/kernel_portable.o: sim/kernel.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -O3 -MMD -MP -c $< -o $@
$(VG_BIN): $(BUILD)/sim/main.o $(BUILD)/sim/kernel_portable.o $(LIB)
	$(CC) $(ALLCFLAGS) -o $@ $(BUILD)/sim/main.o $(BUILD)/sim/kernel_portable.o $(LIB) $(LDLIBS)

test: all $(TEST_BIN) $(VG_BIN)
	@BUILD=$(BUILD) BIN=$(BIN) SPX_VALGRIND_BIN=$(VG_BIN) bash tests/run.sh

validate: all
	$(BIN) validate

# make bench: the kernel next to the roofline probe, end to end against SciPy, the phase-diagram
# workload against batch_euler.py, memory at n = 100 000, MPI (tests/bench/bench.sh; results in
# output/bench/). A few minutes; not part of make test.
BENCH_BIN := $(BUILD)/bench/bench_kernel $(BUILD)/bench/bench_ensemble
$(BUILD)/bench/%: tests/bench/%.c $(LIB) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -o $@ $< $(LIB) $(LDLIBS)
bench: all $(BENCH_BIN)
	@BUILD=$(BUILD) BIN=$(BIN) bash tests/bench/bench.sh

# make analyze: every spectral-gap analysis of configs/ (gap_*, inertial_*, geodesic_*), each in
# output/NAME/ with its tables and figures (README "Analysis"; about 3 minutes on 2 cores).
ANALYZE_GAP      := $(sort $(wildcard configs/gap_*.cfg))
ANALYZE_INERTIAL := $(sort $(wildcard configs/inertial_*.cfg))
ANALYZE_GEODESIC := $(sort $(wildcard configs/geodesic_*.cfg))
analyze: all
	@for c in $(ANALYZE_GAP); do echo "== analyze gap $$c"; $(BIN) analyze gap $$c --force || exit $$?; done
	@for c in $(ANALYZE_INERTIAL); do echo "== analyze inertial $$c"; $(BIN) analyze inertial $$c --force || exit $$?; done
	@for c in $(ANALYZE_GEODESIC); do echo "== analyze geodesic $$c"; $(BIN) analyze geodesic $$c --force || exit $$?; done

# make phase: the five phase diagrams of configs/phase_*.cfg, each in output/phase_*/ with its
# figures (README "Sweeps"). Recorded runs are kept: a rerun only redraws, an edited config starts
# over (--force). MPI: make MPI=1 phase PHASE_RUN='mpirun --oversubscribe -np 2'.
PHASE_CFGS := $(sort $(wildcard configs/phase_*.cfg))
PHASE_RUN  ?=
phase: all
	@for c in $(PHASE_CFGS); do echo "== $$c"; $(PHASE_RUN) $(BIN) sweep $$c --force || exit $$?; done

# The binary of this flavour under build/, without touching bin/sim (tests/cli_sweep.sh builds
# build/mpi/bin/sim this way to compare MPI and serial sweeps).
$(BUILD)/bin/sim: $(BUILD)/sim/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -o $@ $(BUILD)/sim/main.o $(LIB) $(LDLIBS)

clean:
	rm -rf build bin

# ---- reliability: sanitizers and fuzzing (README "Reliability") ------------------------------
# make asan: the whole suite (unit tests and CLI scenarios) built with AddressSanitizer and
# UndefinedBehaviorSanitizer into build/asan (binary build/asan/sim-asan); any report fails it.
ASAN_BUILD := build/asan
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
asan:
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp:print_suppressions=0 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 SPX_SANITIZED=1 \
	 $(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) BIN=$(ASAN_BUILD)/sim-asan \
	   CFLAGS='$(ASAN_FLAGS)' test

# make fuzz: libFuzzer (clang) on the config loader and validator (tests/fuzz/fuzz_config.c),
# seeded with configs/ (tests/fuzz/seeds.sh), for FUZZ_TIME seconds; a crash, hang, leak or
# sanitizer report stops it with the input saved as build/fuzz/crash-* (add it to
# tests/fuzz/regressions/). The fuzzer runtime is clang's compiler-rt, installed here if missing.
FUZZ_BUILD := build/fuzz
FUZZ_TIME  ?= 60
FUZZ_CC    ?= clang
FUZZ_FLAGS := -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=all -fopenmp -Wno-pass-failed $(DEFS) -Isim -Isolvers \
              -I$(OPENBLAS_INC)
FUZZ_OBJ   := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
fuzz-deps:
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1 || \
	   ! ls "$$($(FUZZ_CC) -print-resource-dir 2>/dev/null)"/lib/linux/libclang_rt.fuzzer-x86_64.a \
	     >/dev/null 2>&1; then \
	  echo "make fuzz: installing clang and its fuzzer runtime (libclang-rt-14-dev)"; \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "make fuzz: not root. Run as root:  apt-get install -y clang libclang-rt-14-dev"; exit 1; fi; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	     --no-install-recommends clang libclang-rt-14-dev) || exit 1; \
	fi
$(FUZZ_BUILD)/%.o: %.c | $(DEPS_STAMP) fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(FUZZ_BUILD)/libspx.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(FUZZ_BUILD)/fuzz_config: tests/fuzz/fuzz_config.c $(FUZZ_BUILD)/libspx.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libspx.a $(LDLIBS)
fuzz: $(FUZZ_BUILD)/fuzz_config
	@bash tests/fuzz/seeds.sh $(FUZZ_BUILD)/corpus
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp:print_suppressions=0 \
	$(FUZZ_BUILD)/fuzz_config -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	  -close_fd_mask=2 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ $(FUZZ_BUILD)/corpus

-include $(LIB_OBJ:.o=.d) $(BUILD)/sim/main.d $(BUILD)/sim/kernel_portable.d \
  $(wildcard $(FUZZ_BUILD)/*/*.d)
