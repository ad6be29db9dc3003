#!/usr/bin/env bash
# tests/cli_resume.sh -- checkpoints, interruptions and `bin/sim run --resume DIR` (issue 9).
#
# A reference run R is compared with runs stopped by SIGINT, SIGTERM and SIGKILL at whatever
# row the signal happens to arrive (the assertions hold for any moment) and then resumed, once
# or twice: every output (observables.tsv, trajectory.tsv, state_final.tsv, solver_stats.csv)
# must be byte-identical to R's and summary.tsv equal except the timing keys. SIGKILL must leave
# the previous checkpoint and the finished outputs intact. A damaged or foreign checkpoint, a
# changed config or output prefix must be refused with exit status 2, a message naming what is
# wrong, and the folder left as it was. Determinism: the same config gives identical outputs
# with 1 and 2 OpenMP threads, twice each (n = 280: above the kernel's OpenMP threshold).
# Run from the repo root: BIN=bin/sim bash tests/cli_resume.sh
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
lib_setup

# n = 280, d = 3: n^2 d = 2.35e5 >= 2e5, so the kernel runs its OpenMP loops (sim/kernel.c).
cat >"$T/run.cfg" <<'EOF'
model: { n = 280; d = 3; beta = 1.0; spectrum = [-1.0, -0.5, -2.0]; };
init: { seed = 3; };
solver: { t_final = 30.0; rtol = 1e-10; atol = 1e-12; };
output: { plots = false; every = 0.05; trajectory_every = 4; };
checkpoint: { every_steps = 200; };
EOF
ROWS=601 # t_final / every + 1

# start NAME ARGS...: bin/sim run in the background (its own SIGINT handler: sigaction), PID set.
start() {
  local name=$1
  shift
  "$BIN" "$@" >"$T/$name.out" 2>"$T/$name.err" &
  PID=$!
}
# wait_rows FILE N: until FILE has >= N lines (0: exists), or the process PID ended; 60 s limit.
wait_rows() {
  local i=0
  while [ $i -lt 3000 ]; do
    if [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; then return 0; fi
    kill -0 "$PID" 2>/dev/null || return 1
    sleep 0.02
    i=$((i + 1))
  done
  return 1
}
# stop SIGNAL FILE N: wait until FILE has N data rows (N + the 2 '#' header lines of
# observables.tsv), send SIGNAL, collect the exit status in RC.
stop() {
  if ! wait_rows "$2" $(($3 + 2)); then
    echo "    (the run ended before $2 had $3 lines)"
  fi
  kill -s "$1" "$PID" 2>/dev/null
  { wait "$PID"; } 2>/dev/null # no "Killed" line from bash
  RC=$?
}
rows() { grep -c -v '^#' "$1" 2>/dev/null || echo 0; }
# same_run LABEL DIR: every output of DIR equals the reference's.
same_run() {
  local f
  for f in observables.tsv trajectory.tsv state_final.tsv solver_stats.csv state_initial.tsv \
    config.resolved.cfg; do
    check "$1: $f identical to the uninterrupted run's" cmp -s "$R/$f" "$2/$f"
  done
  check "$1: summary.tsv equal except timing" same_summary "$R/summary.tsv" "$2/summary.tsv"
  check "$1: no checkpoint.bin once done" test ! -e "$2/checkpoint.bin"
  check "$1: no temporary files left" test -z "$(find "$2" -name '.*.tmp')"
}

# ==== 1. the reference run ========================================================================
R=$T/ref
sim run "$T/run.cfg" --out "$R" --quiet
check_eq "reference: exit status" "$RC" 0
check_eq "reference: status done" "$(tsv status "$R/summary.tsv")" done
check_eq "reference: $ROWS output rows" "$(rows "$R/observables.tsv")" $ROWS
check "reference: checkpoint.bin removed when done" test ! -e "$R/checkpoint.bin"
check "reference: config.resolved.cfg records the checkpoint group" \
  has_re '^checkpoint = \{' "$R/config.resolved.cfg"

# ==== 2. SIGINT, then --resume ====================================================================
I=$T/int
start int run "$T/run.cfg" --out "$I" --quiet
stop INT "$I/.observables.tsv.tmp" 120
check_eq "SIGINT: exit status 130" "$RC" 130
check_eq "SIGINT: summary status interrupted" "$(tsv status "$I/summary.tsv")" interrupted
check "SIGINT: stderr says how to continue" has "bin/sim run --resume $I" "$T/int.err"
check "SIGINT: checkpoint.bin kept" test -s "$I/checkpoint.bin"
n_int=$(rows "$I/observables.tsv")
check_ge "SIGINT: the rows so far written (>= 120)" "$n_int" 120
check_le "SIGINT: stopped before the end" "$n_int" $((ROWS - 1))
# The rows written are the reference's rows.
check "SIGINT: observables.tsv so far = the reference's first rows" \
  cmp -s "$I/observables.tsv" <(head -n "$(wc -l <"$I/observables.tsv")" "$R/observables.tsv")
cp -a "$I" "$T/int0" # kept for the refusal tests below
sim run --resume "$I"
check_eq "SIGINT resumed: exit status" "$RC" 0
check "SIGINT resumed: says where it resumes" has "resuming from the checkpoint" "$T/stdout"
same_run "SIGINT resumed" "$I"

# ==== 3. SIGTERM, then a resume interrupted again, then resumed ===================================
S=$T/term
start term run "$T/run.cfg" --out "$S" --quiet
stop TERM "$S/.observables.tsv.tmp" 100
check_eq "SIGTERM: exit status 143" "$RC" 143
start term2 run --resume "$S" --quiet
stop INT "$S/.observables.tsv.tmp" 380
check_eq "SIGTERM, resume, SIGINT: exit status 130" "$RC" 130
sim run --resume "$S" --quiet
check_eq "SIGTERM, resume, SIGINT, resume: exit status" "$RC" 0
same_run "SIGTERM + SIGINT resumed twice" "$S"

# ==== 4. SIGKILL (no handler runs): the last checkpoint and the finished outputs stay intact ======
K=$T/kill
start kill run "$T/run.cfg" --out "$K" --quiet
stop KILL "$K/.observables.tsv.tmp" 180
check_eq "SIGKILL: exit status 137" "$RC" 137
check "SIGKILL: config.resolved.cfg intact" cmp -s "$R/config.resolved.cfg" "$K/config.resolved.cfg"
check "SIGKILL: state_initial.tsv intact" cmp -s "$R/state_initial.tsv" "$K/state_initial.tsv"
check "SIGKILL: no half-written observables.tsv under its final name" test ! -e "$K/observables.tsv"
check "SIGKILL: no summary.tsv (the run did not finish)" test ! -e "$K/summary.tsv"
check "SIGKILL: checkpoint.bin present" test -s "$K/checkpoint.bin"
start kill2 run --resume "$K" --quiet
stop KILL "$K/.observables.tsv.tmp" 450
check_eq "SIGKILL, resume, SIGKILL: exit status 137" "$RC" 137
sim run --resume "$K" --quiet
check_eq "SIGKILL twice, resumed: exit status" "$RC" 0
[ "$RC" -ne 0 ] && show_stderr
same_run "SIGKILL twice resumed" "$K"

# ==== 5. checkpoint.on_signal = "now": no work lost, equal to the solver tolerance =================
N=$T/now
start now run "$T/run.cfg" --out "$N" --quiet --set 'checkpoint.on_signal="now"'
stop INT "$N/.observables.tsv.tmp" 150
check_eq "on_signal now: exit status 130" "$RC" 130
n_now=$(rows "$N/observables.tsv")
cp "$N/checkpoint.bin" "$T/now_checkpoint.bin"
sim run --resume "$N"
check_eq "on_signal now: resumed, exit status" "$RC" 0
check "on_signal now: resumed from the signal row (no row recomputed)" \
  has "output row $((n_now - 1)), signal" "$T/stdout"
sim run --resume "$N"
check "on_signal now: a second --resume says the run is complete" has "complete" "$T/stdout"
check_eq "on_signal now: $ROWS rows" "$(rows "$N/observables.tsv")" $ROWS
check_eq "on_signal now: same class" "$(tsv class "$N/summary.tsv")" "$(tsv class "$R/summary.tsv")"
check_eq "on_signal now: same n_plus" "$(tsv n_plus "$N/summary.tsv")" \
  "$(tsv n_plus "$R/summary.tsv")"
# rtol = 1e-10: a restart changes the result at the 1e-10 level; 1e-8 relative leaves margin.
check_rel "on_signal now: log_energy = the uninterrupted run's to 1e-8" \
  "$(tsv log_energy "$N/summary.tsv")" "$(tsv log_energy "$R/summary.tsv")" 1e-8

# ==== 6. refusals: exit 2, a message, the folder unchanged ========================================
# refuse ID NEEDLE SETUP-COMMAND...: copy the interrupted folder, damage it, resume.
refuse() {
  local id=$1 needle=$2 d=$T/bad.$1
  shift 2
  rm -rf "$d"
  cp -a "$T/int0" "$d"
  (cd "$d" && "$@")
  local before
  before=$(snapshot "$d")
  sim run --resume "$d"
  check_eq "refuse $id: exit status 2" "$RC" 2
  check "refuse $id: stderr says '$needle'" has "$needle"
  check_eq "refuse $id: folder unchanged" "$(snapshot "$d")" "$before"
  [ "$RC" -ne 2 ] && show_stderr
}
flip() { # flip FILE OFFSET [MASK]: xor the byte at OFFSET with MASK (default 1)
  local b
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  # shellcheck disable=SC2059  # the format is the octal escape of the new byte
  printf "$(printf '\\%03o' $((b ^ ${3:-1})))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
size=$(stat -c %s "$T/int0/checkpoint.bin")
refuse flipped-byte "checksum mismatch" flip checkpoint.bin $((size / 2))
refuse flipped-last-byte "checksum mismatch" flip checkpoint.bin $((size - 1))
refuse truncated "truncated checkpoint" truncate -s $((size / 2)) checkpoint.bin
refuse truncated-header "truncated checkpoint" truncate -s 20 checkpoint.bin
refuse empty-checkpoint "not a checkpoint file" truncate -s 0 checkpoint.bin
refuse other-version "format version 2" flip checkpoint.bin 8 3 # version 1 -> 2
refuse bad-magic "not a checkpoint file" flip checkpoint.bin 0
refuse trailing-bytes "trailing bytes" sh -c 'printf x >> checkpoint.bin'
refuse checkpoint-dir "not a regular file" sh -c 'rm checkpoint.bin && mkdir checkpoint.bin'
refuse config-changed "the config was changed" \
  sed -i 's/^  beta = 1.0;/  beta = 1.5;/' config.resolved.cfg
refuse config-missing "config.resolved.cfg" rm config.resolved.cfg
refuse other-runs-checkpoint "checkpoint of a different run" cp "$T/now_checkpoint.bin" checkpoint.bin
refuse observables-changed "missing or changed" sed -i '5s/^0/9/' observables.tsv
refuse observables-missing "missing or changed" rm observables.tsv
refuse no-checkpoint "no checkpoint.bin" rm checkpoint.bin

mkdir "$T/emptydir"
sim run --resume "$T/emptydir"
check_eq "resume an empty folder: exit status 2" "$RC" 2
sim run --resume "$T/nowhere"
check_eq "resume a missing folder: exit status 2" "$RC" 2
check "resume a missing folder: stderr names it" has "nowhere"
sim run --resume "$T/run.cfg"
check_eq "resume a file: exit status 2" "$RC" 2
sim run "$T/run.cfg" --resume "$T/int0"
check_eq "resume with a CONFIG too: exit status 2" "$RC" 2
check "resume with a CONFIG too: stderr says CONFIG" has "CONFIG"
sim run --resume "$T/int0" --set model.beta=2
check_eq "resume with --set: exit status 2" "$RC" 2
sim run --resume
check_eq "--resume without a folder: exit status 2" "$RC" 2
sim run --resume "$R"
check_eq "resume a finished run: exit status 0" "$RC" 0
check "resume a finished run: says it is complete" has "complete" "$T/stdout"

# ==== 7. determinism: 1 and 2 threads, twice each; a resume with another thread count ============
for run in 1a 1b 2a 2b; do
  th=${run%?}
  OMP_NUM_THREADS=$th OMP_WAIT_POLICY=passive sim run "$T/run.cfg" --out "$T/det$run" --quiet
  check_eq "determinism $th thread(s), run ${run#?}: exit status" "$RC" 0
  for f in observables.tsv trajectory.tsv state_final.tsv solver_stats.csv; do
    check "determinism $th thread(s), run ${run#?}: $f identical to the reference" \
      cmp -s "$R/$f" "$T/det$run/$f"
  done
  check "determinism $th thread(s), run ${run#?}: summary.tsv equal except timing" \
    same_summary "$R/summary.tsv" "$T/det$run/summary.tsv"
done
cp -a "$T/int0" "$T/int2"
OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive sim run --resume "$T/int2" --quiet
check_eq "resume with 2 threads of a 1-thread run: exit status" "$RC" 0
same_run "resume with 2 threads of a 1-thread run" "$T/int2"

summary
