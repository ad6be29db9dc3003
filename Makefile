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
ALLCFLAGS = -std=c11 $(CFLAGS) $(WARN) -fopenmp $(DEFS) -Isim -Isolvers
LDLIBS  := -lsundials_cvode -lsundials_nvecserial $(MPILIBS) -lgsl -lopenblas -lconfig -lm -fopenmp

# Sources: every .c in sim/ and solvers/ (one module per file); sim/main.c is the command line.
LIB_SRC  := $(filter-out sim/main.c,$(sort $(wildcard sim/*.c solvers/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libspx.a
BIN      := bin/sim
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

# Debian packages the build, the runs and the tests need (DEVELOPERS: Debian 12).
PKGS := libsundials-dev libgsl-dev libopenblas-dev gnuplot-nox libconfig-dev pkg-config \
        openmpi-bin libopenmpi-dev valgrind

.PHONY: all deps run test validate bench phase clean lint
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

test: all $(TEST_BIN)
	@BUILD=$(BUILD) BIN=$(BIN) bash tests/run.sh

validate: all
	$(BIN) validate

clean:
	rm -rf build bin

-include $(LIB_OBJ:.o=.d) $(BUILD)/sim/main.d
