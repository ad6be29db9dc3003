#!/usr/bin/env bash
# tests/cli_run.sh -- scenario tests of `bin/sim run` on small configs: the output files and their
# contents (checked against identities of the spec, sphere_dynamics.md §3 and §7), the resolved
# config re-run, run-to-run and thread-count reproducibility (STYLE.md "Reproducibility"), --set,
# the help texts, the default config's figures and physics (spec §10 item 7), and exit status 3
# for an integration failure. Run from the repo root: BIN=bin/sim bash tests/cli_run.sh
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
lib_setup

cfg() { cat >"$T/$1.cfg"; }

# Data rows (not '#', not blank) of a TSV file.
rows() { grep -c -v -E '^(#|[[:space:]]*$)' "$1"; }
# max_i ||x_i| - 1| over the rows of a state file.
norm_defect() {
  awk '!/^#/ && NF { s = 0; for (a = 1; a <= NF; a++) s += $a * $a; e = sqrt(s) - 1;
       if (e < 0) e = -e; if (e > m) m = e } END { printf "%.6e\n", m + 0 }' "$1"
}
# Columns per data row of a state file: prints the distinct counts.
columns() { awk '!/^#/ && NF { print NF }' "$1" | sort -u | tr '\n' ' ' | sed 's/ $//'; }
# eps = 2 beta E_beta / n^2 = (1/n^2) sum_{i,j} exp(beta <x_i, x_j>) for V = I, from a state file
# (spec sphere_dynamics.md §3 and §10 item 7; computed here independently of the binary).
eps_from_state() {
  awk -v beta="$2" 'BEGIN { n = 0 }
    !/^#/ && NF { for (a = 1; a <= NF; a++) x[n, a] = $a; d = NF; n++ }
    END { s = 0
          for (i = 0; i < n; i++) for (j = 0; j < n; j++) {
            g = 0; for (a = 1; a <= d; a++) g += x[i, a] * x[j, a]; s += exp(beta * g) }
          printf "%.17g\n", s / (n * n) }' "$1"
}
# Two resolved configs equal apart from their comment lines (called through check).
# shellcheck disable=SC2317
same_body() { [ -s "$1" ] && [ -s "$2" ] && diff <(grep -v '^#' "$1") <(grep -v '^#' "$2"); }

# ==== 1. a tiny default-like run ==================================================================
cfg tiny <<'EOF'
model: { n = 16; d = 3; };
solver: { t_final = 2.0; };
output: { plots = false; every = 0.25; };
EOF
O=$T/tiny
sim run "$T/tiny.cfg" --out "$O" --quiet
check_eq "tiny run: exit status" "$RC" 0
for f in summary.tsv observables.tsv config.resolved.cfg state_initial.tsv state_final.tsv; do
  check "tiny run: writes $f" test -s "$O/$f"
done
check "tiny run: no temporary files left" test -z "$(find "$O" -name '.*.tmp')"

S=$O/summary.tsv
for k in n d beta normalization solver t_final steps rhs_evals wall_s pairs_per_s norm_drift \
  energy_min_rel_increment class mode n_plus n_minus f_plus clusters sign_memory; do
  check "summary.tsv: key $k" has_re "^$k"$'\t'"[^[:space:]]+$" "$S"
done
check_eq "summary: n" "$(tsv n "$S")" 16
check_eq "summary: d" "$(tsv d "$S")" 3
check_eq "summary: beta (default 1)" "$(tsv beta "$S")" 1
check_eq "summary: normalization (default sa)" "$(tsv normalization "$S")" sa
check_eq "summary: solver (default adams)" "$(tsv solver "$S")" adams
check_eq "summary: t_final" "$(tsv t_final "$S")" 2
check_eq "summary: t_reached = t_final" "$(tsv t_reached "$S")" 2
check_eq "summary: status" "$(tsv status "$S")" "done"
check_ge "summary: steps >= 1" "$(tsv steps "$S")" 1
check_ge "summary: rhs_evals >= steps (one RHS per step at least)" "$(tsv rhs_evals "$S")" \
  "$(tsv steps "$S")"
np=$(tsv n_plus "$S")
nm=$(tsv n_minus "$S")
# spec §7 item 5: f_+ = #{y_i > 0}/n; every particle has a sign (y_i = 0 has probability 0).
check_eq "summary: n_plus + n_minus = n" "$((np + nm))" 16
check_abs "summary: f_plus = n_plus / n" "$(tsv f_plus "$S")" \
  "$(awk -v p="$np" 'BEGIN { printf "%.17g", p / 16 }')" 1e-15
sm=$(tsv sign_memory "$S")
check_abs "summary: sign_memory is a multiple of 1/n" \
  "$(awk -v s="$sm" 'BEGIN { x = s * 16; printf "%.12g", x - int(x + 0.5) }')" 0 1e-12
check_ge "summary: sign_memory >= 0" "$sm" 0
check_le "summary: sign_memory <= 1" "$sm" 1
check_ge "summary: clusters >= 1" "$(tsv clusters "$S")" 1
check_le "summary: clusters <= n" "$(tsv clusters "$S")" 16
# norm-aware projection keeps |x_i| = 1 (spec §2.6) up to the tolerances (rtol 1e-8).
check_le "summary: norm_drift <= 1e-6" "$(tsv norm_drift "$S")" 1e-6
# V = A = I is the symmetric case: E_beta is nondecreasing along the flow, up to tau = 1e-9
# (spec §3, "Assert E(t_{k+1}) >= E(t_k) - tau |E|").
check_ge "summary: energy_min_rel_increment >= -1e-9 (energy ascent)" \
  "$(tsv energy_min_rel_increment "$S")" -1e-9
le=$(tsv log_energy "$S")
eps=$(tsv energy_eps "$S")
check_rel "summary: energy_eps = 2 beta exp(log_energy) / n^2" "$eps" \
  "$(awk -v l="$le" 'BEGIN { printf "%.17g", 2 * exp(l) / 256 }')" 1e-12
check_rel "summary: energy_eps = mean_ij exp(beta <x_i,x_j>) of state_final.tsv" "$eps" \
  "$(eps_from_state "$O/state_final.tsv" 1)" 1e-8

OB=$O/observables.tsv
check "observables.tsv: first line is a '#' header" has_re '^#' <(head -n 1 "$OB")
check "observables.tsv: a '# t ...' column header" has_re '^# t'$'\t' "$OB"
# t_final / every + 1 = 2 / 0.25 + 1 output times.
check_eq "observables.tsv: one row per output time (9)" "$(rows "$OB")" 9
ncol=$(grep -m 1 -E '^# t'$'\t' "$OB" | sed 's/^# //' | awk -F'\t' '{ print NF }')
check_eq "observables.tsv: every row has as many columns as the header" \
  "$(awk -F'\t' '!/^#/ && NF { print NF }' "$OB" | sort -u)" "$ncol"
check_eq "observables.tsv: times are 0, 0.25, ..., 2" \
  "$(awk -F'\t' '!/^#/ && NF { e = $1 - 0.25 * k++; if (e < -1e-12 || e > 1e-12) bad = 1 }
       END { print bad ? "no" : "yes" }' "$OB")" yes
check_eq "observables.tsv: last row log_energy = summary log_energy" \
  "$(awk -F'\t' '!/^#/ && NF { v = $2 } END { print v }' "$OB")" "$le"
check_eq "observables.tsv: last row mode = summary mode" \
  "$(awk -F'\t' '!/^#/ && NF { v = $4 } END { print v }' "$OB")" "$(tsv mode "$S")"

check_eq "state_final.tsv: n = 16 rows" "$(rows "$O/state_final.tsv")" 16
check_eq "state_final.tsv: d = 3 columns" "$(columns "$O/state_final.tsv")" 3
check_le "state_final.tsv: max ||x_i| - 1| <= 1e-8" "$(norm_defect "$O/state_final.tsv")" 1e-8
check_le "state_initial.tsv: max ||x_i| - 1| <= 1e-14" "$(norm_defect "$O/state_initial.tsv")" 1e-14

# ==== 2. the resolved config repeats the run ======================================================
R=$T/rerun
sim run "$O/config.resolved.cfg" --out "$R" --quiet
check_eq "resolved config re-run: exit status" "$RC" 0
check "resolved config re-run: same summary.tsv values (except timing)" \
  same_summary "$S" "$R/summary.tsv"
check "resolved config re-run: identical state_final.tsv" \
  cmp -s "$O/state_final.tsv" "$R/state_final.tsv"
check "resolved config re-run: resolves to the same config" \
  same_body "$O/config.resolved.cfg" "$R/config.resolved.cfg"

# ==== 3. reproducibility: same config and seed twice; another seed differs ========================
A=$T/again
sim run "$T/tiny.cfg" --out "$A" --quiet
check_eq "same config twice: exit status" "$RC" 0
check "same config twice: same summary.tsv values (except timing)" \
  same_summary "$S" "$A/summary.tsv"
check "same config twice: identical state_final.tsv" \
  cmp -s "$O/state_final.tsv" "$A/state_final.tsv"
check "same config twice: identical observables.tsv" cmp -s "$OB" "$A/observables.tsv"
sim run "$T/tiny.cfg" --out "$T/seed2" --quiet --set init.seed=2
check_eq "init.seed = 2: exit status" "$RC" 0
check "init.seed = 2: a different initial state (the seed is used)" \
  differ "$O/state_initial.tsv" "$T/seed2/state_initial.tsv"

# ==== 4. thread count: 1 and 2 OpenMP threads give the same numbers ===============================
# Passive waiting keeps the 2-thread run fast on a busy machine; it does not change the arithmetic.
OMP_NUM_THREADS=1 sim run "$T/tiny.cfg" --out "$T/omp1" --quiet --set model.n=37
check_eq "OMP_NUM_THREADS=1: exit status" "$RC" 0
OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive sim run "$T/tiny.cfg" --out "$T/omp2" --quiet \
  --set model.n=37
check_eq "OMP_NUM_THREADS=2: exit status" "$RC" 0
check "OMP_NUM_THREADS=1 vs 2: identical state_final.tsv" \
  cmp -s "$T/omp1/state_final.tsv" "$T/omp2/state_final.tsv"
check "OMP_NUM_THREADS=1 vs 2: same summary.tsv values (except timing)" \
  same_summary "$T/omp1/summary.tsv" "$T/omp2/summary.tsv"

# ==== 5. --set ====================================================================================
B=$T/beta2
sim run "$T/tiny.cfg" --out "$B" --quiet --set model.beta=2
check_eq "--set model.beta=2: exit status" "$RC" 0
check_eq "--set model.beta=2: summary beta" "$(tsv beta "$B/summary.tsv")" 2
check "--set model.beta=2: recorded in config.resolved.cfg" has "--set model.beta=2" \
  "$B/config.resolved.cfg"
check "--set model.beta=2: config.resolved.cfg has beta = 2.0" has_re '^  beta = 2(\.0)?;' \
  "$B/config.resolved.cfg"
# The energy of the final state with beta = 2 (not 1): the override reaches the model.
check_rel "--set model.beta=2: energy_eps = mean_ij exp(2 <x_i,x_j>)" \
  "$(tsv energy_eps "$B/summary.tsv")" "$(eps_from_state "$B/state_final.tsv" 2)" 1e-8

# ==== 6. help and version =========================================================================
sim --help
check_eq "--help: exit status" "$RC" 0
check "--help: usage on stdout" has "usage" "$T/stdout"
for c in run validate version; do
  check "--help: lists the command $c" has_re "^ +$c " "$T/stdout"
done
sim run --help
check_eq "run --help: exit status" "$RC" 0
cp "$T/stdout" "$T/run_help.txt"
# Every key of a resolved config (all keys with a default) is listed by run --help.
keys=$(awk '/^[a-z_]+ = \{/ { g = $1; next } /^\}/ { g = ""; next }
            g != "" && /^  [A-Za-z_]+ = / { print g "." $1 }' "$O/config.resolved.cfg")
check_ge "run --help: resolved config has keys to look for" "$(echo "$keys" | wc -l)" 30
missing=""
# listed(KEY): a line of the key list starts with KEY as a whole word.
listed() { grep -q -E "^ +${1//./\\.}( |$)" "$T/run_help.txt"; }
for k in $keys; do listed "$k" || missing="$missing $k"; done
check_eq "run --help: lists every key of config.resolved.cfg" "$missing" ""
for k in model.spectrum model.Q model.heads init.file init.center; do
  check "run --help: lists optional key $k" listed "$k"
done
sim validate --help
check_eq "validate --help: exit status" "$RC" 0
check "validate --help: usage on stdout" has "usage" "$T/stdout"
sim version
check_eq "version: exit status" "$RC" 0
check "version: prints 'sim VERSION'" has_re '^sim [^ ]+' "$T/stdout"

# ==== 7. the default config: figures, and the physics it documents ================================
# The scenario of spec §10 item 7 is pinned with --set, so that the checks below still hold if
# configs/default.cfg is changed; the plots stay as the default config has them (on).
D=$T/default
sim run configs/default.cfg --out "$D" --quiet --set model.n=64 --set model.d=3 \
  --set model.beta=1.0 --set 'model.spectrum=[-1.0, -0.5, -2.0]' --set solver.t_final=40.0 \
  --set output.every=0.0
check_eq "default config: exit status" "$RC" 0
if command -v gnuplot >/dev/null 2>&1; then
  for f in sphere.png observables.png; do
    check "default config: writes $f (a PNG)" cmp -s -n 4 <(printf '\211PNG') "$D/$f"
  done
else
  skip "default config: sphere.png and observables.png" "gnuplot is not installed"
fi
# output.every = 0 means t_final / 200: 201 output times.
check_eq "default config: observables.tsv has 201 rows" "$(rows "$D/observables.tsv")" 201
# Spec sphere_dynamics.md §10 item 7: V = diag(-1, -0.5, -2), n = 64, beta = 1 ends split on the
# most negative axis u_3, all |y_i^3| > 1 - 1e-3, both signs, f_+ in [0.35, 0.65], and
# eps = (p^2 + q^2) e^{-2 beta} + 2 p q e^{2 beta} to 1e-6 relative.
DS=$D/summary.tsv
check_eq "default config: class split" "$(tsv class "$DS")" split
check_eq "default config: mode 3 (eigenvalue -2)" "$(tsv mode "$DS")" 3
check_le "default config: delta_pm < 1e-3" "$(tsv delta_pm "$DS")" 1e-3
dp=$(tsv n_plus "$DS")
dm=$(tsv n_minus "$DS")
check_eq "default config: n_plus + n_minus = 64" "$((dp + dm))" 64
check_ge "default config: both signs present (n_plus >= 1)" "$dp" 1
check_ge "default config: both signs present (n_minus >= 1)" "$dm" 1
check_ge "default config: f_plus >= 0.35" "$(tsv f_plus "$DS")" 0.35
check_le "default config: f_plus <= 0.65" "$(tsv f_plus "$DS")" 0.65
check_rel "default config: eps = (p^2+q^2) e^{-2 beta} + 2pq e^{2 beta}" "$(tsv energy_eps "$DS")" \
  "$(awk -v a="$dp" -v b="$dm" 'BEGIN { p = a / 64; q = b / 64
     printf "%.17g", (p * p + q * q) * exp(-2) + 2 * p * q * exp(2) }')" 1e-6
check_ge "default config: energy_min_rel_increment >= -1e-9" \
  "$(tsv energy_min_rel_increment "$DS")" -1e-9

# ==== 8. integration failure: exit status 3, outputs still written ================================
F=$T/fail
sim run "$T/tiny.cfg" --out "$F" --quiet --set solver.max_steps=1 --set solver.rtol=1e-12
check_eq "max_steps = 1: exit status 3" "$RC" 3
check "max_steps = 1: stderr names CV_TOO_MUCH_WORK" has "CV_TOO_MUCH_WORK"
check "max_steps = 1: summary.tsv written" test -s "$F/summary.tsv"
check "max_steps = 1: state_final.tsv written" test -s "$F/state_final.tsv"
check_eq "max_steps = 1: summary status" "$(tsv status "$F/summary.tsv")" solver_failure
tr=$(tsv t_reached "$F/summary.tsv")
check_ge "max_steps = 1: t_reached > 0" "$tr" 1e-300
check_le "max_steps = 1: t_reached < every (failed in the first interval)" "$tr" 0.25
tmsg=$(grep -o -E 'at t = [-+0-9.eE]+' "$T/stderr" | head -n 1 | sed 's/at t = //')
check_rel "max_steps = 1: stderr names the time reached" "$tmsg" "$tr" 1e-9
check_eq "max_steps = 1: state_final.tsv has n = 16 rows" "$(rows "$F/state_final.tsv")" 16
check_le "max_steps = 1: the last good state is on the sphere" \
  "$(norm_defect "$F/state_final.tsv")" 1e-8
check_ge "max_steps = 1: observables.tsv has the rows so far" "$(rows "$F/observables.tsv")" 1

# ==== 9. seeds at the top of their documented range (0 <= seed <= 4294967295) =====================
sim run "$T/tiny.cfg" --out "$T/seedmax" --quiet --set model.seed=4294967295
check_eq "model.seed = 4294967295 (the documented maximum): exit status" "$RC" 0
[ "$RC" -ne 0 ] && show_stderr
# Named random matrices take model.seed plus an offset; the resolved config must still re-run.
sim run "$T/tiny.cfg" --out "$T/seedmaxL" --quiet --set model.seed=4294967295L \
  --set 'model.V="goe"'
check_eq "model.seed = 4294967295L, V = goe: exit status" "$RC" 0
sim run "$T/seedmaxL/config.resolved.cfg" --out "$T/seedmaxL2" --quiet
check_eq "model.seed = 4294967295L, V = goe: resolved config re-runs" "$RC" 0
[ "$RC" -ne 0 ] && show_stderr

summary
