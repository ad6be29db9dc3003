#!/usr/bin/env bash
# tests/run.sh -- run the whole test suite: every unit test program (build/.../tests/test_*) and
# every command-line scenario (tests/cli_*.sh), then print the total "N passed, N failed".
# Called by `make test` with BUILD and BIN set. Each program prints PASS/FAIL lines and its own
# "N passed, M failed" line; a program that crashes counts as one failure.
set -u
BUILD=${BUILD:-build/serial}
BIN=${BIN:-bin/sim}
export BIN
total_pass=0; total_fail=0
log=$(mktemp); trap 'rm -f "$log"' EXIT
start=$(date +%s)

run_one() {  # run_one NAME COMMAND...
  local name=$1; shift
  local t0=$(date +%s)
  "$@" >"$log" 2>&1; local rc=$?
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}')
  else p=0; f=0; fi
  if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; echo "FAIL $name: exited with status $rc and no failed check" >>"$log"; fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  printf '%-28s %4d passed, %3d failed  (%ds)\n' "$name" "$p" "$f" $(( $(date +%s) - t0 ))
  if [ "$f" != 0 ]; then grep -E '^FAIL' "$log" | sed 's/^/    /'; tail -n 5 "$log" | sed 's/^/    | /'; fi
}

for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  run_one "$(basename "$t")" "$t"
done
for s in tests/cli_*.sh; do
  [ -f "$s" ] || continue
  run_one "$(basename "$s" .sh)" bash "$s"
done
echo "test suite finished in $(( $(date +%s) - start )) s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
