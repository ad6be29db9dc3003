# shellcheck shell=bash
# tests/lib.sh -- shell helpers of the command-line scenario tests (tests/cli_*.sh).
#
# Source it from a script run as `bash tests/cli_X.sh` at the repo root (tests/run.sh exports
# BIN=bin/sim). Like tests/harness.h, every check prints one line, "PASS name" or
# "FAIL name: details", and `summary` prints "N passed, M failed" (the line tests/run.sh reads)
# and exits non-zero when a check failed. `lib_setup` makes the scratch folder $T (mktemp -d),
# removed on exit.
#
#   check NAME CMD...             PASS iff CMD succeeds
#   check_eq NAME GOT EXPECTED    string equality
#   check_abs / check_rel NAME GOT EXPECTED TOL   |got-exp| <= tol, |got-exp| <= tol |exp|
#   check_le / check_ge NAME GOT BOUND             numeric bounds (a non-number fails)
#   skip NAME REASON              a visible SKIP line (counted neither way)
#   sim ARGS...                   run $BIN ARGS; sets RC, stdout in $T/stdout, stderr in $T/stderr
#   has TEXT [FILE] / has_re REGEX [FILE]   fixed string / extended regex in FILE ($T/stderr)
#   differ A B                    files A and B exist and differ
#   tsv KEY FILE                  the value of KEY in a two-column summary.tsv
#   same_summary A B              two summary.tsv equal except the timing keys
#   snapshot DIR                  a listing + checksums of DIR (to assert it did not change)

LIB_PASS=0
LIB_FAIL=0
LIB_SKIP=0
# Keys of summary.tsv that measure the machine, not the computation.
LIB_TIMING_KEYS='wall_s|pairs_per_s|peak_rss_kb'

lib_pass() { LIB_PASS=$((LIB_PASS + 1)); echo "PASS $1"; }
lib_fail() { LIB_FAIL=$((LIB_FAIL + 1)); echo "FAIL $1${2:+: $2}"; }

check() {
  local name=$1
  shift
  if "$@" >/dev/null 2>&1; then lib_pass "$name"; else lib_fail "$name" "false: $*"; fi
}

check_eq() {
  if [ "$2" = "$3" ]; then lib_pass "$1"; else lib_fail "$1" "got '$2' expected '$3'"; fi
}

# A finite decimal number (rejects nan, inf, empty): awk would read those as 0.
is_num() { [[ $1 =~ ^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]]; }

# lib_num NAME AWK-CONDITION DETAILS a b c: the condition sees a, b, c as numbers.
lib_num() {
  local name=$1 cond=$2 details=$3 a=$4 b=$5 c=${6:-0}
  if ! is_num "$a" || ! is_num "$b" || ! is_num "$c"; then
    lib_fail "$name" "not a number: $details"
    return
  fi
  if awk -v a="$a" -v b="$b" -v c="$c" "BEGIN { exit !($cond) }"; then
    lib_pass "$name"
  else
    lib_fail "$name" "$details"
  fi
}

check_abs() {
  lib_num "$1" 'a - b <= c && b - a <= c' "got $2 expected $3 tol $4" "$2" "$3" "$4"
}
check_rel() {
  lib_num "$1" '(a - b <= c * (b < 0 ? -b : b)) && (b - a <= c * (b < 0 ? -b : b))' \
    "got $2 expected $3 rel tol $4" "$2" "$3" "$4"
}
check_le() { lib_num "$1" 'a <= b' "got $2 bound $3" "$2" "$3"; }
check_ge() { lib_num "$1" 'a >= b' "got $2 bound $3" "$2" "$3"; }

skip() { LIB_SKIP=$((LIB_SKIP + 1)); echo "SKIP $1: $2"; }

summary() {
  [ "$LIB_SKIP" -gt 0 ] && echo "($LIB_SKIP skipped)"
  echo "$LIB_PASS passed, $LIB_FAIL failed"
  [ "$LIB_FAIL" -eq 0 ] && exit 0
  exit 1
}

lib_setup() {
  BIN=${BIN:-bin/sim}
  # One thread unless a test asks for more: these runs are tiny, and OpenMP threads that
  # spin-wait on a busy 2-core machine can make a 0.05 s run take many seconds.
  export OMP_NUM_THREADS=1
  T=$(mktemp -d "${TMPDIR:-/tmp}/spx_cli.XXXXXX") || { echo "FAIL mktemp -d"; exit 1; }
  trap 'rm -rf "$T"' EXIT
  if [ ! -x "$BIN" ]; then
    lib_fail "binary $BIN exists (run make first)"
    summary
  fi
}

# Run the binary with a time limit (a hang is a failure, not a stuck suite).
sim() {
  timeout 120 "$BIN" "$@" >"$T/stdout" 2>"$T/stderr"
  # shellcheck disable=SC2034  # read by the scripts that source this file
  RC=$?
}

differ() { [ -s "$1" ] && [ -s "$2" ] && ! cmp -s "$1" "$2"; }
has() { grep -q -F -e "$1" "${2:-$T/stderr}"; }
has_re() { grep -q -E -e "$1" "${2:-$T/stderr}"; }

tsv() { awk -F'\t' -v k="$1" '$1 == k { print $2; exit }' "$2"; }

# summary.tsv without the timing keys.
lib_summary_values() { grep -v -E "^($LIB_TIMING_KEYS)"$'\t' "$1"; }
same_summary() {
  [ -s "$1" ] && [ -s "$2" ] && diff <(lib_summary_values "$1") <(lib_summary_values "$2") >/dev/null
}

snapshot() {
  (cd "$1" 2>/dev/null && find . -print | LC_ALL=C sort && find . -type f -exec md5sum {} + |
    LC_ALL=C sort) || echo "missing $1"
}

# Print the captured stderr, indented (after a failed check, to show what the binary said).
show_stderr() { sed 's/^/    | /' "$T/stderr"; }
