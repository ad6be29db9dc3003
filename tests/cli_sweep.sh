#!/usr/bin/env bash
# tests/cli_sweep.sh -- scenario tests of `bin/sim sweep` (issue 6): a small phase diagram whose
# class fractions match the theory far from the edges (spec sphere_dynamics.md §4.4, §10 items 6
# and 7), serial vs 2-thread vs 2-rank identical sweep.tsv, resumption after SIGKILL at a random
# point (the kill is done here) and after SIGTERM, refusal of another sweep's folder, the figures,
# --list (axis expansion and seeds), and bad sweep configs rejected with exit 2, file:line and
# nothing written. Run from the repo root: BIN=bin/sim bash tests/cli_sweep.sh
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
lib_setup
# Threads sleep rather than spin while waiting: on a busy 2-core machine spinning OpenMP threads
# can stretch a sub-second sweep to a minute.
export OMP_WAIT_POLICY=PASSIVE

cfg() { cat >"$T/$1.cfg"; }
# Data rows of a TSV file (not '#', not blank).
rows() { grep -c -v -E '^(#|[[:space:]]*$)' "$1"; }
# Column number of NAME in the '# a<TAB>b...' header line of a TSV file.
col() { awk -F'\t' -v k="$1" '/^# /{ sub(/^# /, ""); for (i = 1; i <= NF; i++) if ($i == k) c = i } END { print c + 0 }' "$2"; }
# Values of column NAME (data rows), one per line.
column() { local c; c=$(col "$1" "$2"); awk -F'\t' -v c="$c" '!/^#/ && NF { print $c }' "$2"; }

# ==== 1. a small phase diagram against the theory =================================================
# V = diag(a, 1), d = 2, beta = 1: for a in [0.80, 1.17] no split is stable (spec §4.4 item 2,
# edges tanh(1) = 0.7616 and 1.1997) and every run ends homogeneous on the axis of the larger
# eigenvalue (§10 item 6): mode 2 for a < 1, mode 1 for a > 1.
cfg split <<'EOF'
name = "split";
model: { n = 24; d = 2; beta = 1.0; spectrum = [0.9, 1.0]; };
solver: { t_final = 250.0; };
output: { trajectory_every = 0; };
sweep: {
  axes = ( { name = "a"; values = [0.85, 0.92, 1.08, 1.15]; } );
  derived = ["model.spectrum=[${a}, 1.0]"];
  replicas = 5;
  seed = 11;
  metrics = ["mode", "f_plus", "n_plus", "n_minus", "T99", "t_cluster"];
  figures = ( { kind = "fractions"; x = "a"; classes = ["split", "homogeneous"]; theory = ["criterion"]; },
              { kind = "snapshots"; x = "a"; max = 2; } );
};
EOF
O=$T/split
sim sweep "$T/split.cfg" --out "$O" --threads 1
check_eq "split sweep: exit status" "$RC" 0
[ "$RC" = 0 ] || show_stderr
check_eq "split sweep: sweep.tsv has 4 points x 5 replicas rows" "$(rows "$O/sweep.tsv")" 20
check_eq "split sweep: phase.tsv has 4 rows" "$(rows "$O/phase.tsv")" 4
check_eq "split sweep: no split in [0.80, 1.17] (spec §4.4 item 2)" \
  "$(column frac_split "$O/phase.tsv" | sort -u | tr '\n' ' ')" "0 "
check_eq "split sweep: all homogeneous there (spec §10 item 6)" \
  "$(column frac_homogeneous "$O/phase.tsv" | sort -u | tr '\n' ' ')" "1 "
check_eq "split sweep: binomial s.e. 0 at fraction 1" \
  "$(column se_homogeneous "$O/phase.tsv" | sort -u | tr '\n' ' ')" "0 "
check_eq "split sweep: mode 2 (eigenvalue 1) for a < 1, mode 1 for a > 1" \
  "$(awk -F'\t' -v ca="$(col a "$O/sweep.tsv")" -v cm="$(col mode "$O/sweep.tsv")" \
     '!/^#/ && NF { if (($ca < 1 && $cm != 2) || ($ca > 1 && $cm != 1)) bad++ } END { print bad + 0 }' "$O/sweep.tsv")" 0
check_eq "split sweep: theory_split = 0 and theory_homogeneous = 1 at every point (§4.4)" \
  "$(paste <(column theory_split "$O/phase.tsv") <(column theory_homogeneous "$O/phase.tsv") | sort -u | tr '\t\n' ', ')" "0,1 "
check_eq "split sweep: seeds 11 + point * 5 + replica" \
  "$(awk -F'\t' '!/^#/ && NF && $3 != 11 + $1 * 5 + $2 { bad++ } END { print bad + 0 }' "$O/sweep.tsv")" 0
check "split sweep: records runs/0..19.tsv" test "$(ls "$O/runs" | wc -l)" -eq 20
check "split sweep: config.resolved.cfg written" test -s "$O/config.resolved.cfg"
check "split sweep: one log line per run (stderr not a terminal)" \
  test "$(grep -c '^sweep split: run ' "$T/stderr")" -eq 20
if command -v gnuplot >/dev/null 2>&1; then
  for f in fractions_a snapshots_a; do
    check "split sweep: figure $f.png is a PNG" \
      bash -c "head -c 8 '$O/$f.png' | od -An -c | grep -q 'P   N   G'"
  done
else
  skip "split sweep figures" "gnuplot not installed"
fi
# The §4.4 criterion on the fine grid of a wider a range finds the edges tanh(1) = 0.761594 and
# a tanh(a) = 1, a = 1.19968 (spec §4.4, "predicted edges for the BKKRW geometry").
cfg edges <<'EOF'
model: { n = 4; d = 2; beta = 1.0; spectrum = [0.9, 1.0]; };
solver: { t_final = 0.1; };
output: { trajectory_every = 0; };
sweep: {
  axes = ( { name = "a"; values = [0.5, 1.5]; } );
  derived = ["model.spectrum=[${a}, 1.0]"];
  figures = ( { kind = "fractions"; x = "a"; theory = ["criterion"]; } );
};
EOF
if command -v gnuplot >/dev/null 2>&1; then
  sim sweep "$T/edges.cfg" --out "$T/edges"
  check "criterion: edges 0.761594 and 1.19968 printed" has_re 'edges along a: 0\.761594, 1\.19968$' "$T/stdout"
  check_abs "criterion: first edge = tanh(1) to 1e-12" \
    "$(awk '/^# edges/{e = 1; next} e && NF { print; exit }' "$T/edges/figdata/fractions_a_criterion.tsv")" \
    0.7615941559557649 1e-12
  check_abs "criterion: second edge solves a tanh(a) = 1 (a = 1.19967864)" \
    "$(awk '/^# edges/{e = 1; next} e && NF { n++; if (n == 2) { print; exit } }' "$T/edges/figdata/fractions_a_criterion.tsv")" \
    1.1996786402577 1e-9
else
  skip "criterion edges" "gnuplot not installed (the theory is computed with the figures)"
fi
# Heat-map theory curves: V = diag(1, 0.2, -m) with m > 1 is bistable above
# artanh(1/m)/m (spec §4.4 item 4); beta_s = artanh(0.2) whatever m (item 2).
cfg bistab <<'EOF'
model: { n = 4; d = 3; beta = 1.0; spectrum = [1.0, 0.2, -1.5]; };
solver: { t_final = 0.1; };
output: { trajectory_every = 0; };
sweep: {
  axes = ( { param = "model.beta"; values = [0.5, 2.0]; }, { name = "m"; linspace = [1.25, 2.0]; count = 2; } );
  derived = ["model.spectrum=[1.0, 0.2, -${m}]"];
  figures = ( { kind = "heatmap"; x = "beta"; y = "m"; z = "split"; theory = ["bistability", "beta_s"]; } );
};
EOF
if command -v gnuplot >/dev/null 2>&1; then
  sim sweep "$T/bistab.cfg" --out "$T/bistab" --quiet
  check_eq "bistability: exit status" "$RC" 0
  check_eq "bistability curve: beta = artanh(1/m)/m at every m (to 1e-12)" \
    "$(awk '!/^#/ && NF { d = $1 - 0.5 * log((1 + 1 / $2) / (1 - 1 / $2)) / $2; if (d > 1e-12 || d < -1e-12) bad++; n++ }
           END { print (n > 100 ? "" : "too few ") bad + 0 }' "$T/bistab/figdata/heatmap_beta_m_split_bistability.tsv")" 0
  check_eq "beta_s curve: artanh(0.2) at every m" \
    "$(awk '!/^#/ && NF { d = $1 - 0.5 * log(1.2 / 0.8); if (d > 1e-12 || d < -1e-12) bad++; n++ }
           END { print (n > 100 ? "" : "too few ") bad + 0 }' "$T/bistab/figdata/heatmap_beta_m_split_beta_s.tsv")" 0
  check "bistability: heat map drawn" test -s "$T/bistab/heatmap_beta_m_split.png"
else
  skip "heat-map theory curves" "gnuplot not installed"
fi

# ==== 2. negative definite: every run splits on the most negative axis (spec §10 item 7) ==========
cfg neg <<'EOF'
model: { n = 16; d = 3; beta = 1.0; spectrum = [-1.0, -0.5, -2.0]; };
solver: { t_final = 60.0; };
output: { plots = false; trajectory_every = 0; };
sweep: {
  axes = ( { param = "model.beta"; values = [0.5, 2.0]; } );
  derived = ["solver.t_final=${60/beta}"];
  replicas = 4;
  metrics = ["mode", "n_plus", "n_minus", "f_plus"];
};
EOF
sim sweep "$T/neg.cfg" --out "$T/neg" --quiet --threads 2
check_eq "negative definite: exit status" "$RC" 0
check_eq "negative definite: every run a split (spec §4.4 item 2)" \
  "$(column class "$T/neg/sweep.tsv" | sort -u | tr '\n' ' ')" "split "
check_eq "negative definite: on u_3, the most negative axis" \
  "$(column mode "$T/neg/sweep.tsv" | sort -u | tr '\n' ' ')" "3 "
check_eq "negative definite: both signs present in every run" \
  "$(paste <(column n_plus "$T/neg/sweep.tsv") <(column n_minus "$T/neg/sweep.tsv") | awk '$1 < 1 || $2 < 1' | wc -l)" 0
check_eq "negative definite: frac_split = 1 at both beta" \
  "$(column frac_split "$T/neg/phase.tsv" | tr '\n' ' ')" "1 1 "
sim sweep "$T/neg.cfg" --list
check "negative definite: t_final derived as 60/beta = 120 at beta = 0.5" \
  has_re $'^0\t0\\.5\t.*solver\\.t_final=120$' "$T/stdout"
check "negative definite: t_final derived as 60/beta = 30 at beta = 2" \
  has_re $'^1\t2\t.*solver\\.t_final=30$' "$T/stdout"

# ==== 3. serial vs 2 threads vs 2 ranks: identical sweep.tsv ======================================
# n = 330 on the circle puts the kernel over its OpenMP threshold (n^2 d >= 2e5): with
# OMP_NUM_THREADS=2 and --threads 1 the kernel itself runs on 2 threads.
cfg repro <<'EOF'
name = "repro";
model: { n = 24; d = 2; beta = 4.0; };
init: { kind = "circle"; noise = 1e-3; };
solver: { t_final = 6.0; };
output: { plots = false; trajectory_every = 0; };
sweep: {
  axes = ( { param = "model.n"; values = [24, 330]; }, { param = "model.beta"; values = [4.0, 12.0]; } );
  replicas = 2;
  metrics = ["steps", "rhs_evals", "clusters", "min_inner", "f_plus", "energy_eps", "t_cluster", "speed"];
};
EOF
OMP_NUM_THREADS=1 timeout 120 "$BIN" sweep "$T/repro.cfg" --out "$T/r1" --threads 1 --quiet
check_eq "repro: serial sweep exit status" "$?" 0
OMP_NUM_THREADS=1 timeout 120 "$BIN" sweep "$T/repro.cfg" --out "$T/r2" --threads 2 --quiet
check "repro: 2-thread sweep.tsv identical to serial" cmp "$T/r1/sweep.tsv" "$T/r2/sweep.tsv"
check "repro: 2-thread phase.tsv identical to serial" cmp "$T/r1/phase.tsv" "$T/r2/phase.tsv"
OMP_NUM_THREADS=2 timeout 120 "$BIN" sweep "$T/repro.cfg" --out "$T/r3" --threads 1 --quiet
check "repro: kernel on 2 threads: sweep.tsv identical" cmp "$T/r1/sweep.tsv" "$T/r3/sweep.tsv"
if [ -n "${SPX_SANITIZED:-}" ]; then
  skip "repro: 2 MPI ranks" "sanitizer build (the MPI binary has other flags)"
elif ! command -v mpicc >/dev/null 2>&1 || ! command -v mpirun >/dev/null 2>&1; then
  skip "repro: 2 MPI ranks" "mpicc or mpirun not installed (apt-get install openmpi-bin libopenmpi-dev)"
else
  # the MPI flavour of the same sources and flags, built under build/mpi without touching bin/sim
  if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s -j2 MPI=1 build/mpi/bin/sim \
    >"$T/mpi_build.log" 2>&1; then
    OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
      timeout 180 mpirun --oversubscribe -np 2 build/mpi/bin/sim sweep "$T/repro.cfg" --out "$T/r4" \
      >"$T/mpi.out" 2>&1
    check_eq "repro: mpirun -np 2 exit status" "$?" 0
    check "repro: 2-rank sweep.tsv identical to serial" cmp "$T/r1/sweep.tsv" "$T/r4/sweep.tsv"
    check "repro: 2-rank phase.tsv identical to serial" cmp "$T/r1/phase.tsv" "$T/r4/phase.tsv"
    check "repro: both ranks ran runs" bash -c "grep -q '^\[rank 0\]' '$T/mpi.out' && grep -q '^\[rank 1\]' '$T/mpi.out'"
  else
    lib_fail "repro: build the MPI binary (make MPI=1 build/mpi/bin/sim)" "$(tail -n 3 "$T/mpi_build.log")"
  fi
fi

# ==== 4. resume after SIGKILL at a random point ===================================================
# The split sweep of part 1 (20 runs) is the uninterrupted reference.
R=$T/resume
N=20
K=$((2 + RANDOM % 11)) # kill once K runs are recorded: 2..12 of 20
OMP_NUM_THREADS=1 "$BIN" sweep "$T/split.cfg" --out "$R" --threads 1 --no-plots --quiet 2>/dev/null &
pid=$!
for _ in $(seq 1 600); do
  n=$(ls "$R/runs" 2>/dev/null | grep -c '\.tsv$')
  [ "$n" -ge "$K" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.01
done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
done_before=$(ls "$R/runs" | grep -c '\.tsv$')
check "resume: killed mid-sweep (K = $K; $done_before of $N recorded)" \
  test "$done_before" -ge "$K" -a "$done_before" -lt "$N"
check "resume: no sweep.tsv after the kill" test ! -e "$R/sweep.tsv"
(cd "$R/runs" && md5sum ./*.tsv) >"$T/before.md5"
OMP_NUM_THREADS=1 timeout 120 "$BIN" sweep "$T/split.cfg" --out "$R" --threads 1 --no-plots >"$T/stdout" 2>"$T/stderr"
check_eq "resume: rerun exit status" "$?" 0
check "resume: says how many runs were recorded" has "resuming: $done_before recorded, $((N - done_before)) to do" "$T/stdout"
check_eq "resume: only the missing runs are run" "$(grep -c '^sweep split: run ' "$T/stderr")" "$((N - done_before))"
check "resume: the records of the first session are unchanged" bash -c "cd '$R/runs' && md5sum -c --quiet '$T/before.md5'"
check "resume: sweep.tsv identical to the uninterrupted sweep" cmp "$O/sweep.tsv" "$R/sweep.tsv"
check "resume: phase.tsv identical to the uninterrupted sweep" cmp "$O/phase.tsv" "$R/phase.tsv"
check "resume: no temporary files left" test -z "$(find "$R" -name '.*.tmp')"
OMP_NUM_THREADS=1 timeout 60 "$BIN" sweep "$T/split.cfg" --out "$R" --no-plots --quiet
check "resume: a finished sweep reruns to the same files" cmp "$O/sweep.tsv" "$R/sweep.tsv"

# SIGTERM: exit 143, the finished runs kept, the same command completes the sweep
R2=$T/term
OMP_NUM_THREADS=1 "$BIN" sweep "$T/split.cfg" --out "$R2" --threads 1 --no-plots --quiet 2>"$T/term.err" &
pid=$!
for _ in $(seq 1 600); do
  [ "$(ls "$R2/runs" 2>/dev/null | grep -c '\.tsv$')" -ge 3 ] && break
  sleep 0.01
done
kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM: exit status 143" "$?" 143
check "SIGTERM: says how to continue" has "run the same command again to continue" "$T/term.err"
OMP_NUM_THREADS=1 timeout 120 "$BIN" sweep "$T/split.cfg" --out "$R2" --threads 2 --no-plots --quiet
check "SIGTERM: rerun completes to the same sweep.tsv" cmp "$O/sweep.tsv" "$R2/sweep.tsv"

# ==== 5. folders of other results ================================================================
sim sweep "$T/split.cfg" --out "$R" --no-plots --set 'output.plot_format="svg"' --set model.beta=1.0
check_eq "figure-only change (plot_format) and a --set of the same value: resumes" "$RC" 0
check "figure-only change: nothing to run" has "resuming: 20 recorded, 0 to do" "$T/stdout"
sim sweep "$T/split.cfg" --out "$R" --quiet --set model.beta=1.5
check_eq "changed run key: refused with exit 2" "$RC" 2
check "changed run key: names the key and both values" has "at model.beta (1 there, 1.5 here)"
sim sweep "$T/neg.cfg" --out "$O" --quiet
check_eq "other sweep's folder: refused with exit 2" "$RC" 2
check "other sweep's folder: says so" has "holds another sweep's results"
check "other sweep's folder: sweep.tsv unchanged" cmp "$O/sweep.tsv" "$R/sweep.tsv"
sim sweep "$T/neg.cfg" --out "$O" --quiet --force
check_eq "other sweep's folder: --force replaces" "$RC" 0
check_eq "other sweep's folder: --force leaves the new sweep's records only" "$(ls "$O/runs" | wc -l)" 8
cfg one <<'EOF'
model: { n = 8; d = 3; };
solver: { t_final = 0.5; };
output: { plots = false; };
EOF
sim run "$T/one.cfg" --out "$T/onerun" --quiet
sim sweep "$T/neg.cfg" --out "$T/onerun" --quiet
check_eq "a run's folder: refused with exit 2" "$RC" 2

# ==== 6. --list: points, axis values and seeds ====================================================
sim sweep "$T/split.cfg" --list
check_eq "--list: exit status" "$RC" 0
check_eq "--list: one line per point" "$(rows "$T/stdout")" 4
check "--list: point 2 is a = 1.08, seeds 21..25, derived spectrum" \
  has_re $'^2\t1\\.08\t21\\.\\.25\tmodel\\.spectrum=\\[1\\.08, 1\\.0\\]$' "$T/stdout"
check "--list: writes nothing" test ! -e "output/split"

# ==== 7. bad sweep configs: exit 2, file:line, nothing written ====================================
bad() { # bad NAME SWEEP-BODY EXPECTED-TEXT: the sweep group is on lines 3.. of the file
  printf 'model: { n = 4; d = 2; };\nsolver: { t_final = 1.0; };\nsweep: {\n%s\n};\n' "$2" >"$T/bad.cfg"
  local line
  line=$(grep -n -F -e "$4" "$T/bad.cfg" | head -n 1 | cut -d: -f1)
  sim sweep "$T/bad.cfg" --out "$T/badout"
  check_eq "bad config ($1): exit 2" "$RC" 2
  check "bad config ($1): names file:line $line" has "$T/bad.cfg:$line:"
  check "bad config ($1): says what: $3" has "$3"
  check "bad config ($1): nothing written" test ! -e "$T/badout"
}
bad "empty axis" '  axes = ( { param = "model.beta"; values = []; } );' "values is empty" "values"
bad "unknown key" '  axes = ( { param = "model.bta"; values = [1.0]; } );' 'unknown key "model.bta"' "bta"
bad "count 0" '  axes = ( { param = "model.beta";
           linspace = [0.5, 2.0]; count = 0; } );' "count = 0; allowed: 1 <= count" "count = 0"
bad "count negative" '  axes = ( { param = "model.beta"; linspace = [0.5, 2.0]; count = -2; } );' \
  "count = -2" "count"
bad "logspace non-positive end" '  axes = ( { param = "model.beta"; logspace = [0.0, 2.0]; count = 3; } );' \
  "non-positive end" "logspace"
bad "unknown sweep key" '  axes = ( { param = "model.beta"; values = [1.0]; } );
  replica = 3;' "unknown key" "replica ="
bad "unknown metric" '  axes = ( { param = "model.beta"; values = [1.0]; } );
  metrics = ["f_plus", "fplus"];' 'unknown metric "fplus"' "metrics"
bad "bad derived template" '  axes = ( { name = "a"; values = [1.0]; } );
  derived = ["model.beta=${a +* 2}"];' 'sweep.derived' "derived"

summary
