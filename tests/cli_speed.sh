#!/usr/bin/env bash
# tests/cli_speed.sh -- command-line scenarios of issue 4 (speed and scale):
#   1. solver.stop_when_settled: the keys of summary.tsv, where the run stops (the last output row
#      is the stop time), the class equal to the full run's, bitwise the same with 1 and 2 threads;
#   2. its bad inputs: exit status 2 with file:line, key and what is allowed, nothing written;
#   3. one system over 2 MPI ranks (make MPI=1, mpirun --oversubscribe -np 2): the serial final
#      state to 1e-12 relative, and in fact bit for bit, for the small-d and the BLAS-3 kernel
#      paths, adams, bdf and bdf_newton (J v over ranks), and with an early stop;
#      a refused output folder and an n smaller than the ranks stop every rank (exit 2, no hang).
set -u
. tests/lib.sh
lib_setup

cat >"$T/settle.cfg" <<'CFG'
name = "settle";
model: { n = 60; d = 2; beta = 1.0; spectrum = [1.4, 1.0]; };
init: { kind = "uniform"; seed = 3; };
solver: { method = "adams"; rtol = 1e-8; atol = 1e-10; t_final = 120.0; stop_when_settled = true; };
output: { every = 1.0; plots = false; trajectory_every = 0; };
CFG

# max |a - b| / max |b| over two state tables (comment lines skipped); "nan" when they differ in shape
maxrel() {
  awk 'FNR == 1 { f++ } /^#/ { next }
       f == 1 { for (i = 1; i <= NF; i++) a[FNR, i] = $i; na++ ; next }
       { nb++; for (i = 1; i <= NF; i++) { d = a[FNR, i] - $i; if (d < 0) d = -d; if (d > m) m = d;
                                           v = $i < 0 ? -$i : $i; if (v > s) s = v } }
       END { if (na != nb || s == 0) print "nan"; else printf "%.3e\n", m / s }' "$1" "$2"
}

# ==== 1. early stop ============================================================================
sim run "$T/settle.cfg" --out "$T/s1" --quiet
check_eq "stop_when_settled: exit status" "$RC" 0
S=$T/s1/summary.tsv
check_eq "summary.tsv: stop_when_settled = 1" "$(tsv stop_when_settled "$S")" 1
check_eq "summary.tsv: stop_tol = 1e-06 (default)" "$(tsv stop_tol "$S")" 1e-06
check_eq "summary.tsv: settled = 1" "$(tsv settled "$S")" 1
check_eq "summary.tsv: t_reached = t_settled" "$(tsv t_reached "$S")" "$(tsv t_settled "$S")"
check_le "the run stopped before t_final = 120" "$(tsv t_settled "$S")" 119
check_le "delta_pm at the stop <= stop_tol (1e-6, the root of g)" "$(tsv delta_pm "$S")" 1.0000001e-06
last=$(grep -v '^#' "$T/s1/observables.tsv" | tail -n 1 | cut -f1)
check_rel "observables.tsv: the last row is at the stop time" "$last" "$(tsv t_settled "$S")" 1e-9
sim run "$T/settle.cfg" --out "$T/s0" --quiet --set solver.stop_when_settled=false
check_eq "without the stop: exit status" "$RC" 0
check_eq "without the stop: settled = 0" "$(tsv settled "$T/s0/summary.tsv")" 0
check_eq "without the stop: t_settled = nan" "$(tsv t_settled "$T/s0/summary.tsv")" nan
check_eq "without the stop: t_reached = 120" "$(tsv t_reached "$T/s0/summary.tsv")" 120
for k in class mode n_plus n_minus; do
  check_eq "stopped run: $k equals the full run's" "$(tsv $k "$S")" "$(tsv $k "$T/s0/summary.tsv")"
done
check_le "the stop saved right-hand sides" "$(tsv rhs_evals "$S")" "$(tsv rhs_evals "$T/s0/summary.tsv")"
OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive sim run "$T/settle.cfg" --out "$T/s2" --quiet \
  --set model.n=300
OMP_NUM_THREADS=1 sim run "$T/settle.cfg" --out "$T/s3" --quiet --set model.n=300
check "stop, n = 300: summary.tsv identical with 1 and 2 threads (except timing)" \
  same_summary "$T/s2/summary.tsv" "$T/s3/summary.tsv"
check "stop, n = 300: state_final.tsv identical with 1 and 2 threads" \
  cmp "$T/s2/state_final.tsv" "$T/s3/state_final.tsv"

# ==== 2. bad inputs =============================================================================
bad() { # bad NAME EXPECTED-TEXT --set ...
  local name=$1 text=$2
  shift 2
  sim run "$T/settle.cfg" --out "$T/bad" --quiet "$@"
  check_eq "$name: exit status 2" "$RC" 2
  check "$name: message says '$text'" has "$text"
  check "$name: nothing written" test ! -e "$T/bad"
}
bad "stop with rk4" 'solver.stop_when_settled: needs a CVODE back end (solver.method = adams, bdf or bdf_newton), not "rk4"' \
  --set 'solver.method="rk4"'
check "stop with rk4: the message names the file and line" has "settle.cfg:4:"
bad "stop with a causal mask" 'solver.stop_when_settled: needs model.mask = "none"' \
  --set 'model.mask="causal"'
sed -e 's/spectrum = \[1.4, 1.0\];/heads = ({ A = "diag(1.4, 1.0)"; V = "diag(1.4, 1.0)"; }, { A = "identity"; V = "identity"; });/' \
  "$T/settle.cfg" >"$T/heads.cfg"
sim run "$T/heads.cfg" --out "$T/bad" --quiet
check_eq "stop with two heads: exit status 2" "$RC" 2
check "stop with two heads: message says 'needs a single head'" \
  has "solver.stop_when_settled: needs a single head"
bad "stop_tol 0.5" 'allowed: 1e-14 <= solver.stop_tol <= 0.01' --set solver.stop_tol=0.5
bad "stop_when_settled = 3" 'solver.stop_when_settled' --set solver.stop_when_settled=3

# ==== 3. one system over 2 MPI ranks ============================================================
if [ -n "${SPX_SANITIZED:-}" ]; then
  skip "MPI row blocks" "sanitizer build (the MPI binary has other flags)"
elif ! command -v mpicc >/dev/null 2>&1 || ! command -v mpirun >/dev/null 2>&1; then
  skip "MPI row blocks" "mpicc or mpirun not installed (apt-get install openmpi-bin libopenmpi-dev)"
elif ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s -j2 MPI=1 \
       build/mpi/bin/sim >"$T/mpi_build.log" 2>&1; then
  lib_fail "MPI: build the MPI binary (make MPI=1 build/mpi/bin/sim)" "$(tail -n 3 "$T/mpi_build.log")"
else
  mpi() { # mpi OUT ARGS...: 2 ranks, one OpenMP thread each
    OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
      timeout 120 mpirun --oversubscribe -np 2 build/mpi/bin/sim run "$@" >"$T/stdout" 2>"$T/stderr"
    RC=$?
  }
  cat >"$T/mpi.cfg" <<'CFG'
name = "mpi";
model: { n = 301; d = 3; beta = 1.0; };
init: { kind = "uniform"; seed = 5; };
solver: { method = "adams"; rtol = 1e-10; atol = 1e-12; t_final = 3.0; };
output: { every = 1.0; plots = false; trajectory_every = 0; };
CFG
  for tag in d3 d16 bdf newton; do
    case $tag in # small-d path; BLAS-3 path (d = 16, random A, V); BDF with projection; J v
      d3) set -- --set model.d=3 ;;
      d16) set -- --set model.d=16 --set 'model.V="goe"' --set 'model.A="goe"' ;;
      bdf) set -- --set 'solver.method="bdf"' --set model.n=150 ;;
      newton) set -- --set 'solver.method="bdf_newton"' --set model.n=150 --set solver.rtol=1e-8 ;;
    esac
    sim run "$T/mpi.cfg" --out "$T/ser_$tag" --quiet "$@"
    check_eq "MPI $tag: serial run exit status" "$RC" 0
    mpi "$T/mpi.cfg" --out "$T/mpi_$tag" --quiet "$@"
    check_eq "MPI $tag: mpirun -np 2 exit status" "$RC" 0
    check_le "MPI $tag: final state = serial to 1e-12 relative" \
      "$(maxrel "$T/mpi_$tag/state_final.tsv" "$T/ser_$tag/state_final.tsv")" 1e-12
    # stronger: the kernel rows are bitwise the serial ones and CVODE's sums run in the serial
    # order (solvers/cvode.c), so the run is the serial run bit for bit
    check "MPI $tag: state_final.tsv bitwise the serial one" \
      cmp "$T/mpi_$tag/state_final.tsv" "$T/ser_$tag/state_final.tsv"
    check "MPI $tag: summary.tsv = serial (except timing)" \
      same_summary "$T/mpi_$tag/summary.tsv" "$T/ser_$tag/summary.tsv"
  done
  check "MPI: no scratch folder of rank 1 left" bash -c "! ls -d \${TMPDIR:-/tmp}/spx_rank1_* 2>/dev/null"
  # early stop over ranks: the stop function sees the gathered state
  sim run "$T/settle.cfg" --out "$T/ser_stop" --quiet --set model.n=200
  mpi "$T/settle.cfg" --out "$T/mpi_stop" --quiet --set model.n=200
  check_eq "MPI stop: exit status" "$RC" 0
  check_eq "MPI stop: settled = 1" "$(tsv settled "$T/mpi_stop/summary.tsv")" 1
  check_eq "MPI stop: t_settled = serial (bitwise)" "$(tsv t_settled "$T/mpi_stop/summary.tsv")" \
    "$(tsv t_settled "$T/ser_stop/summary.tsv")"
  check "MPI stop: summary.tsv = serial (except timing)" \
    same_summary "$T/mpi_stop/summary.tsv" "$T/ser_stop/summary.tsv"
  # every rank stops on a refused folder, and on n < ranks
  mpi "$T/mpi.cfg" --out "$T/mpi_d3" --quiet
  check_eq "MPI: a folder with another run's results: exit status 2 (no hang)" "$RC" 2
  check "MPI: ... with the message" has "holds another run's results"
  mpi "$T/mpi.cfg" --out "$T/mpi_n1" --quiet --set model.n=1
  check_eq "MPI: n = 1 over 2 ranks: exit status 2" "$RC" 2
  check "MPI: ... the message says why" has "cannot be split over 2 MPI ranks"
fi
summary
