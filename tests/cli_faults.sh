#!/usr/bin/env bash
# tests/cli_faults.sh -- faults of input, numbers and disk (issue 9), beyond tests/cli_bad_input.sh:
#   1. bad input the catalogue of cli_bad_input.sh lacks (binary garbage, empty and comment-only
#      files, n * d overflow, negative and huge sizes, NaN / inf literals, wrong nesting, the
#      checkpoint keys, /dev/zero, deep nesting): exit 2, the file:line and key on stderr, nothing
#      written; an empty file is a valid config (all defaults);
#   2. every input of tests/fuzz/regressions/ (found by `make fuzz`): exit 2, no crash;
#   3. numerical faults: a non-finite right-hand side (exit 3, time, particle and quantity named,
#      the last finite state written) with every back end; CVODE and GSL failures (flag name,
#      statistics, how to raise solver.max_steps); the norm-drift warning, once, with settings;
#   4. a full disk: a file size limit (ulimit -f) and, where mount works, a small tmpfs: a clear
#      error naming the file, exit 1, no temporary file left and no partial file under a final
#      name;
#   5. valgrind memcheck of a small run with checkpoints: no invalid access, no leak (on
#      $SPX_VALGRIND_BIN when set: `make test` builds one whose kernel valgrind can decode).
# Run from the repo root: BIN=bin/sim bash tests/cli_faults.sh
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
lib_setup

# bad ID FILE NEEDLE... [-- EXTRA-ARGS...]: exit 2, every NEEDLE (fixed string, or re:REGEX) on
# stderr, and no --out folder made.
bad() {
  local id=$1 conf=$2 nd failed=$LIB_FAIL
  shift 2
  local needles=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do needles+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  sim run "$conf" --out "$T/out.$id" "$@"
  check_eq "$id: exit status 2" "$RC" 2
  for nd in "${needles[@]}"; do
    if [[ $nd == re:* ]]; then check "$id: stderr matches /${nd#re:}/" has_re "${nd#re:}"
    else check "$id: stderr names '$nd'" has "$nd"; fi
  done
  check "$id: --out folder not created" test ! -e "$T/out.$id"
  [ "$LIB_FAIL" -ne "$failed" ] && show_stderr
}
cfg() { cat >"$T/$1.cfg"; }
FAST=(--set solver.t_final=0.1 --set output.plots=false --quiet)

# ==== 1. bad input ===============================================================================
printf '\177ELF\002\001\001\000\000\000\000\000\003\000>\000' >"$T/elf.cfg"
bad binary-garbage-with-nul "$T/elf.cfg" "elf.cfg" "NUL bytes"
printf '\303\050\240\241\342\050\241\360\220\050\274\n\200\201\202 = 3;\n' >"$T/high.cfg"
bad binary-garbage-high-bytes "$T/high.cfg" "high.cfg:1:" "malformed"
bad dev-zero /dev/zero "/dev/zero" "not a config file"
head -c 200000 /dev/zero | tr '\0' 'a' >"$T/longline.cfg"
bad one-200k-character-line "$T/longline.cfg" "longline.cfg:1:" "malformed"
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "g%d = { ", i; print "" }' >"$T/deep.cfg"
bad nesting-20000-deep "$T/deep.cfg" "deep.cfg:1:" "malformed"

cfg nd32 <<'EOF'
model: { n = 65536; d = 65536; };
EOF
# 65536 * 65536 = 2^32 wraps to 0 in 32-bit arithmetic: the product must be taken in 64 bits.
bad n-times-d-wraps-32-bits "$T/nd32.cfg" "nd32.cfg:1:" "model.n" "n * d"
cfg ndmax <<'EOF'
model: { n = 100000000; d = 3; };
EOF
bad n-times-d-at-max-n "$T/ndmax.cfg" "ndmax.cfg:1:" "n * d"
cfg dneg <<'EOF'
model: {
  d = -3;
};
EOF
bad negative-d "$T/dneg.cfg" "dneg.cfg:2:" "model.d" "allowed"
cfg nneg <<'EOF'
model: { n = -1; };
EOF
bad negative-n "$T/nneg.cfg" "nneg.cfg:1:" "model.n" "allowed"
cfg n65 <<'EOF'
model: { n = 18446744073709551616; };
EOF
bad n-beyond-64-bits "$T/n65.cfg" "n65.cfg:1:" "n" "64 bits"
cfg nhex <<'EOF'
model: { n = 0x100000010; };
EOF
# 0x100000010 = 2^32 + 16: libconfig alone reads a hex literal modulo 2^32 (here 16).
bad n-hex-wraps-32-bits "$T/nhex.cfg" "nhex.cfg:1:" "model.n" "4294967312"
cfg nfloat <<'EOF'
model: { n = 1e400; };
EOF
bad n-float-overflow "$T/nfloat.cfg" "nfloat.cfg:1:" "model.n" "integer"
cfg betahuge <<'EOF'
model: { beta = 1e13; };
EOF
bad beta-above-range "$T/betahuge.cfg" "betahuge.cfg:1:" "model.beta" "allowed"
cfg nanlit <<'EOF'
model: {
  beta = nan;
};
EOF
bad nan-literal "$T/nanlit.cfg" "nanlit.cfg:2:" "malformed"
cfg inflit <<'EOF'
solver: {
  t_final = inf;
};
EOF
bad inf-literal "$T/inflit.cfg" "inflit.cfg:2:" "malformed"
cfg neginf <<'EOF'
solver: {
  rtol = -1e999;
};
EOF
bad minus-inf-by-overflow "$T/neginf.cfg" "neginf.cfg:2:" "solver.rtol" "finite"
cfg nest_group <<'EOF'
model: {
  n = 8;
  solver = { t_final = 1.0; };
};
EOF
bad group-nested-in-group "$T/nest_group.cfg" "nest_group.cfg:3:" "model.solver" "unknown key"
cfg nest_list <<'EOF'
model = ( { n = 8; } );
EOF
bad group-given-as-list "$T/nest_list.cfg" "nest_list.cfg:1:" "model" "group"
cfg nest_top <<'EOF'
n = 8;
EOF
bad member-at-top-level "$T/nest_top.cfg" "nest_top.cfg:1:" "unknown top-level key"
cfg nest_dotted <<'EOF'
model.n = 8;
EOF
bad dotted-key-in-file "$T/nest_dotted.cfg" "nest_dotted.cfg:1:" "malformed"
cfg nest_vec <<'EOF'
model: { d = 2;
  spectrum = ( [1.0], [2.0] ); };
EOF
bad vector-of-arrays "$T/nest_vec.cfg" "nest_vec.cfg:2:" "model.spectrum" "not a number"
cfg nest_str <<'EOF'
init: {
  center = "north";
};
EOF
bad string-for-vector "$T/nest_str.cfg" "nest_str.cfg:2:" "init.center" "array"
cfg ck_group <<'EOF'
checkpoint = 5;
EOF
bad checkpoint-not-a-group "$T/ck_group.cfg" "ck_group.cfg:1:" "checkpoint" "group"
cfg ck_steps <<'EOF'
checkpoint: {
  every_steps = -1;
};
EOF
bad checkpoint-every-steps-negative "$T/ck_steps.cfg" "ck_steps.cfg:2:" \
  "checkpoint.every_steps" "allowed"
cfg ck_steps_f <<'EOF'
checkpoint: { every_steps = 1.5; };
EOF
bad checkpoint-every-steps-float "$T/ck_steps_f.cfg" "ck_steps_f.cfg:1:" \
  "checkpoint.every_steps" "integer"
cfg ck_time <<'EOF'
checkpoint: {
  every_time = 1e999;
};
EOF
bad checkpoint-every-time-inf "$T/ck_time.cfg" "ck_time.cfg:2:" "checkpoint.every_time" "finite"
cfg ck_sig <<'EOF'
checkpoint: {
  on_signal = "later";
};
EOF
bad checkpoint-on-signal-unknown "$T/ck_sig.cfg" "ck_sig.cfg:2:" "checkpoint.on_signal" \
  "exact|now"
cfg ck_key <<'EOF'
checkpoint: { every = 3; };
EOF
bad checkpoint-unknown-key "$T/ck_key.cfg" "ck_key.cfg:1:" "checkpoint.every" "every_steps"
cfg name_nl <<'EOF'
name = "two
lines";
EOF
bad name-with-newline "$T/name_nl.cfg" "name_nl.cfg:1:" "name" "control characters"
mkdir "$T/adir"
bad directory-as-config "$T/adir" "adir" "directory"

# Valid but unusual: an empty file and a comment-only file are all defaults (n = 64, d = 3).
: >"$T/empty.cfg"
sim run "$T/empty.cfg" --out "$T/empty" "${FAST[@]}"
check_eq "empty config: runs (exit status 0)" "$RC" 0
check_eq "empty config: default n = 64" "$(tsv n "$T/empty/summary.tsv")" 64
check_eq "empty config: default d = 3" "$(tsv d "$T/empty/summary.tsv")" 3
printf '# only a comment\n// and another\n/* and a block */\n' >"$T/comments.cfg"
sim run "$T/comments.cfg" --out "$T/comments" "${FAST[@]}"
check_eq "comment-only config: runs (exit status 0)" "$RC" 0
# 0xFFFFFFFF = 4294967295 is the largest seed, not -1 (libconfig alone reads it as -1).
sim run "$T/empty.cfg" --out "$T/hexseed" "${FAST[@]}" --set model.seed=0xFFFFFFFF \
  --set 'model.V="goe"'
check_eq "model.seed = 0xFFFFFFFF: runs (exit status 0)" "$RC" 0
check "model.seed = 0xFFFFFFFF: the resolved config records 4294967295" \
  has "seed = 4294967295" "$T/hexseed/config.resolved.cfg"
# A --set value over two lines (fuzz finding, see tests/fuzz/regressions/newline-in-name.cfg):
# the resolved config must still be readable.
sim run "$T/empty.cfg" --out "$T/setnl" "${FAST[@]}" --set 'model.beta=
2.0'
check_eq "--set value with a newline: exit status 0" "$RC" 0
sim run "$T/setnl/config.resolved.cfg" --out "$T/setnl2" "${FAST[@]}"
check_eq "--set value with a newline: the resolved config runs again" "$RC" 0
check "--set value with a newline: same final state" \
  cmp -s "$T/setnl/state_final.tsv" "$T/setnl2/state_final.tsv"

# ==== 2. fuzz regressions ========================================================================
nreg=0
for f in tests/fuzz/regressions/*; do
  [ -f "$f" ] || continue
  nreg=$((nreg + 1))
  sim run "$f" --out "$T/reg" "${FAST[@]}"
  check_eq "fuzz regression $(basename "$f"): exit status 2 (no crash)" "$RC" 2
  check "fuzz regression $(basename "$f"): an error message" has "sim: error:"
  check "fuzz regression $(basename "$f"): nothing written" test ! -e "$T/reg"
done
check_ge "fuzz regressions: at least one input in tests/fuzz/regressions" "$nreg" 1

# ==== 3. numerical faults ========================================================================
cfg nonfinite <<'EOF'
model: { n = 6; d = 3; V = "diag(1e308, -1e308, 1e308)"; };
solver: { t_final = 1.0; };
output: { plots = false; };
EOF
# V x_j has entries of size 1e308: the drive sum_j w_ij V x_j and its projection overflow (inf,
# then inf - inf = NaN) at the first evaluation, t = 0, particle 0.
for m in adams bdf bdf_newton rk8pd euler rk4; do
  sim run "$T/nonfinite.cfg" --out "$T/nf.$m" --quiet --set "solver.method=\"$m\""
  check_eq "non-finite RHS, $m: exit status 3" "$RC" 3
  check "non-finite RHS, $m: names the quantity and the particle" \
    has "non-finite value in the right-hand side at particle 0"
  check "non-finite RHS, $m: names the time" has_re "particle 0 \(0-based\), t = 0\b"
  check_eq "non-finite RHS, $m: summary status nonfinite" "$(tsv status "$T/nf.$m/summary.tsv")" \
    nonfinite
  check "non-finite RHS, $m: the last finite state (the initial one) is written" \
    cmp -s <(grep -v '^#' "$T/nf.$m/state_initial.tsv") <(grep -v '^#' "$T/nf.$m/state_final.tsv")
done

cfg tiny <<'EOF'
model: { n = 16; d = 3; };
solver: { t_final = 0.5; };
output: { plots = false; };
EOF
for m in adams bdf_newton; do
  sim run "$T/tiny.cfg" --out "$T/ms.$m" --quiet --set "solver.method=\"$m\"" \
    --set solver.max_steps=2 --set solver.rtol=1e-12
  check_eq "max_steps = 2, $m: exit status 3" "$RC" 3
  check "max_steps = 2, $m: the CVODE flag name" has "CV_TOO_MUCH_WORK"
  check "max_steps = 2, $m: says how to raise it" has "raise solver.max_steps"
  check "max_steps = 2, $m: the solver statistics" has_re "statistics at the failure.*[0-9]+ steps"
  check "max_steps = 2, $m: solver_stats.csv written" test -s "$T/ms.$m/solver_stats.csv"
  check_eq "max_steps = 2, $m: steps in summary.tsv = 2 (one interval)" \
    "$(tsv steps "$T/ms.$m/summary.tsv")" 2
done
sim run "$T/tiny.cfg" --out "$T/ms.rk8pd" --quiet --set 'solver.method="rk8pd"' \
  --set solver.max_steps=2 --set solver.rtol=1e-12
check_eq "max_steps = 2, rk8pd: exit status 3" "$RC" 3
check "max_steps = 2, rk8pd: the GSL error name" has "GSL_EMAXITER"
check "max_steps = 2, rk8pd: says how to raise it" has "raise solver.max_steps"

# Norm drift: Adams does not project, so with the plain projection and rtol = 1e-4 the norms
# drift far above 1e-9: one warning, naming the settings and what avoids it.
sim run "$T/tiny.cfg" --out "$T/drift" --quiet --set 'model.projection="plain"' \
  --set solver.rtol=1e-4 --set solver.atol=1e-6 --set output.norm_drift_warn=1e-9 \
  --set solver.t_final=5.0
check_eq "norm drift: exit status 0 (a warning only)" "$RC" 0
check_eq "norm drift: warned exactly once" "$(grep -c 'norm drift' "$T/stderr")" 1
check "norm drift: names the bound's key" has "output.norm_drift_warn = 1e-09"
check "norm drift: names the current settings" has "solver.method = \"adams\", solver.rtol = 0.0001"
check "norm drift: says what avoids it" has_re 'solver.method = "bdf".*tighten solver.rtol'
sim run "$T/tiny.cfg" --out "$T/nodrift" --quiet --set solver.t_final=5.0
check_eq "norm drift: none with the defaults (norm_aware projection)" \
  "$(grep -c 'norm drift' "$T/stderr")" 0

# ==== 4. a full disk =============================================================================
cfg big <<'EOF'
model: { n = 64; d = 3; };
solver: { t_final = 5.0; };
output: { plots = false; every = 0.01; trajectory_every = 1; };
EOF
# no_partial DIR LABEL: no temporary file left, and every file under a final name is complete.
no_partial() {
  check "$2: no temporary file left" test -z "$(find "$1" -name '.*.tmp')"
  if [ -f "$1/summary.tsv" ]; then
    check "$2: summary.tsv complete (ends with the seed line)" has_re '^seed' "$1/summary.tsv"
  fi
  if [ -f "$1/trajectory.tsv" ]; then
    check "$2: trajectory.tsv complete (last frame has n rows)" \
      test "$(awk '/^# t =/ { k = 0; next } NF { k++ } END { print k }' "$1/trajectory.tsv")" = 64
  fi
}
# 40 kB: the trajectory (~ 500 kB) cannot be written, the small files can. SIGXFSZ is ignored
# by bin/sim, so the write fails with EFBIG instead of killing the process.
(ulimit -f 40 && "$BIN" run "$T/big.cfg" --out "$T/fsize" --quiet >"$T/stdout" 2>"$T/stderr")
RC=$?
check_eq "file size limit: exit status 1 (I/O error), not a signal" "$RC" 1
check "file size limit: the error names the file and the cause" \
  has_re "trajectory.tsv.*File too large"
check "file size limit: trajectory.tsv not left under its final name" \
  test ! -e "$T/fsize/trajectory.tsv"
check_eq "file size limit: summary.tsv says the run stopped" "$(tsv status "$T/fsize/summary.tsv")" \
  stopped
no_partial "$T/fsize" "file size limit"

mkdir "$T/mnt"
if mount -t tmpfs -o size=96k tmpfs "$T/mnt" 2>/dev/null; then
  sim run "$T/big.cfg" --out "$T/mnt/run" --quiet
  check_eq "full tmpfs (96 kB): exit status 1" "$RC" 1
  check "full tmpfs (96 kB): the error says no space" has "No space left on device"
  no_partial "$T/mnt/run" "full tmpfs (96 kB)"
  umount "$T/mnt"
else
  skip "full tmpfs" "mount -t tmpfs is not permitted here (the ulimit -f case above still runs)"
fi

# ==== 5. valgrind memcheck =======================================================================
if [ -n "${SPX_SANITIZED:-}" ]; then
  skip "valgrind memcheck" "this binary is built with sanitizers (make asan)"
elif ! command -v valgrind >/dev/null 2>&1; then
  skip "valgrind memcheck" "valgrind is not installed (make deps installs it)"
else
  # Checkpoints every 20 steps exercise the checkpoint writer as well as the run.
  timeout 300 valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    "${SPX_VALGRIND_BIN:-$BIN}" run "$T/tiny.cfg" --out "$T/vg" --quiet --set checkpoint.every_steps=20 \
    >"$T/stdout" 2>"$T/stderr"
  RC=$?
  check_eq "valgrind memcheck of a small run: exit status 0 (no error, no leak)" "$RC" 0
  check "valgrind memcheck: ERROR SUMMARY: 0 errors" has "ERROR SUMMARY: 0 errors"
  check "valgrind memcheck: no block definitely lost" \
    has_re "(definitely lost: 0 bytes|All heap blocks were freed)"
  [ "$RC" -ne 0 ] && grep -E "Invalid|lost|uninitialised" "$T/stderr" | head -n 10 | sed 's/^/    | /'
  # The resume path (checkpoint read, outputs reopened, integration from the restart point) on a
  # run that fails deterministically: max_steps = 2 stops it in its first interval, its
  # checkpoint stays, and the resume meets the same failure (exit 3) with valgrind watching.
  sim run "$T/tiny.cfg" --out "$T/vgr" --quiet --set solver.max_steps=2 --set solver.rtol=1e-12
  check_eq "resume under valgrind: the run to resume fails (exit status 3)" "$RC" 3
  timeout 300 valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    "${SPX_VALGRIND_BIN:-$BIN}" run --resume "$T/vgr" --quiet >"$T/stdout" 2>"$T/stderr"
  RC=$?
  check_eq "resume under valgrind: the same failure again (exit status 3, no valgrind error)" "$RC" 3
  check "resume under valgrind: ERROR SUMMARY: 0 errors" has "ERROR SUMMARY: 0 errors"
  check "resume under valgrind: no block definitely lost" \
    has_re "(definitely lost: 0 bytes|All heap blocks were freed)"
  check "resume under valgrind: CV_TOO_MUCH_WORK again" has "CV_TOO_MUCH_WORK"
fi

summary
