#!/usr/bin/env bash
# tests/cli_transport.sh -- scenario tests of the transport diagnostics (issue 8; spec
# transport_routing.md): `bin/sim transport` on TSV matrices, on the configs of configs/ and on
# --kind builders, checked against the spec's exact values (P1-2, P1-5, P1-7, P1-8, P1-9); its bad
# input (exit 2, nothing written); and `bin/sim run` with the transport option (transport.tsv,
# landscapes, figures, the n guard, the energy monitor of masked flows).
# Run from the repo root: BIN=bin/sim bash tests/cli_transport.sh
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
lib_setup

# Column 2 (A) or 3 (A^T) of key in a transport.tsv.
qa() { awk -F'\t' -v k="$1" '$1 == k { print $2; exit }' "$2"; }
qt() { awk -F'\t' -v k="$1" '$1 == k { print $3; exit }' "$2"; }
frac() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.17g", a / b }'; }
# Data rows of a TSV file.
rows() { grep -c -v -E '^(#|[[:space:]]*$)' "$1"; }
# Column c of data row r (1-based) of a TSV file.
cell() { awk -F'\t' -v r="$2" -v c="$3" '!/^#/ && NF { if (++k == r) { print $c; exit } }' "$1"; }

# ==== 1. a TSV matrix: uniform causal n = 4 (spec P1-2: phi = 13/37 at t = 1) ===================
cat >"$T/uc4.tsv" <<'EOF'
# uniform causal attention, n = 4 (rows: queries)
1	0	0	0
0.5	0.5	0	0
0.33333333333333333	0.33333333333333333	0.33333333333333333	0
0.25, 0.25, 0.25, 0.25
EOF
O=$T/uc4
sim transport "$T/uc4.tsv" --out "$O"
check_eq "tsv: exit status 0" "$RC" 0
for f in transport.tsv transport_landscape.tsv transport_spectrum.tsv transport_landscape.png; do
  check "tsv: writes $f" test -s "$O/$f"
done
check "tsv: the table is printed, with the orientation-blindness block" \
  has "orientation blindness" "$T/stdout"
Q=$O/transport.tsv
check_abs "tsv P1-2: phi(A) = 13/37" "$(qa phi "$Q")" "$(frac 13 37)" 1e-15
check_abs "tsv P1-9: phi(A^T) = 13/37" "$(qt phi "$Q")" "$(frac 13 37)" 1e-15
check_eq "tsv: worst cut t = 1" "$(qa worst_cut_t "$Q")" 1
check_eq "tsv P1-9: nu(A) = +1" "$(qa nu "$Q")" 1
check_eq "tsv P1-9: nu(A^T) = -1" "$(qt nu "$Q")" -1
check_abs "tsv P1-1: volume = n" "$(qa volume "$Q")" 4 1e-15
check_abs "tsv: lambda_2(A) = lambda_2(A^T)" "$(qa lambda_2 "$Q")" "$(qt lambda_2 "$Q")" 1e-14
check_abs "tsv: G(A) = G(A^T)" "$(qa G "$Q")" "$(qt G "$Q")" 1e-15
check_abs "tsv §3: KL of uniform causal rows = 0 (mask inferred: causal)" "$(qa mean_kl "$Q")" 0 \
  1e-15
check_le "tsv P1-9: max |S_T(A) - S_T(A^T)|" "$(qa max_diff_S_T "$Q")" 1e-15
check_le "tsv P1-9: max |K_T(A) + K_T(A^T)|" "$(qa max_sum_K_T "$Q")" 1e-15
check_le "tsv P1-9: spectra of T equal" "$(qa max_diff_spectrum_T "$Q")" 1e-15
check_le "tsv P1-9: landscapes equal" "$(qa max_diff_phi "$Q")" 1e-15
check_le "tsv P1-9: J flips" "$(qa max_sum_J "$Q")" 1e-15
# the landscape file: phi(t) = the P1-2 row 13/37, 7/17, 3/5
L=$O/transport_landscape.tsv
check_eq "tsv: landscape has n - 1 = 3 rows" "$(rows "$L")" 3
check_abs "tsv landscape: phi(2) = 7/17" "$(cell "$L" 2 3)" "$(frac 7 17)" 1e-15
check_abs "tsv landscape: phi(3) = 3/5 = (n-1)/(n+1)" "$(cell "$L" 3 3)" 0.6 1e-15
check_abs "tsv landscape: J_A(1) = +1" "$(cell "$L" 1 4)" 1 0
check_abs "tsv landscape: J_AT(1) = -1" "$(cell "$L" 1 6)" -1 0

# n = 2 (spec P1-6): lambda_2 = 8/15, phi = 1/3
printf '1 0\n0.5 0.5\n' >"$T/two.tsv"
sim transport "$T/two.tsv" --out "$T/two" --quiet
check_eq "n = 2: exit status" "$RC" 0
check_abs "n = 2 P1-6: lambda_2 = 8/15" "$(qa lambda_2 "$T/two/transport.tsv")" "$(frac 8 15)" \
  1e-15
check_abs "n = 2 P1-6: phi = 1/3" "$(qa phi "$T/two/transport.tsv")" "$(frac 1 3)" 1e-15

# ==== 2. builders: --kind alone ==================================================================
sim transport --kind window --n 16 --w 2 --out "$T/w16" --quiet
check_eq "--kind window --n 16 --w 2: exit status" "$RC" 0
check_abs "window (16, 2) P1-7: phi = 1/31" "$(qa phi "$T/w16/transport.tsv")" "$(frac 1 31)" \
  1e-15
check_abs "window (16, 2) P1-7: formula ((w-1)/2)/(n - delta) = 1/31" \
  "$(qa window_formula "$T/w16/transport.tsv")" "$(frac 1 31)" 1e-15
check_eq "window (16, 2): the formula is valid here" \
  "$(qa window_formula_valid "$T/w16/transport.tsv")" 1
check_eq "window (16, 2): pierces the floor" "$(qa pierces_floor "$T/w16/transport.tsv")" 1
sim transport --kind window --n 16 --w 8 --out "$T/w168" --quiet
check_abs "window (16, 8) P1-7: phi = 65/289 (outside the formula's range)" \
  "$(qa phi "$T/w168/transport.tsv")" "$(frac 65 289)" 1e-15
check_eq "window (16, 8): formula flagged invalid" \
  "$(qa window_formula_valid "$T/w168/transport.tsv")" 0
sim transport --kind sink --n 6 --out "$T/sink" --quiet
check_eq "--kind sink: exit status" "$RC" 0
check_abs "sink P1-8: phi = 1" "$(qa phi "$T/sink/transport.tsv")" 1 1e-15
check_eq "sink: KL of the transpose is NaN (rows without mass)" \
  "$(qt mean_kl "$T/sink/transport.tsv")" nan
sim transport --kind uniform_causal --n 9 --quiet
check_eq "--kind without --out: exit status" "$RC" 0
check "--kind without --out: writes output/transport/uniform_causal_n9" \
  test -s output/transport/uniform_causal_n9/transport.tsv
check_abs "uniform causal n = 9 P1-2: phi = 2509/7549" \
  "$(qa phi output/transport/uniform_causal_n9/transport.tsv)" "$(frac 2509 7549)" 1e-15
rm -rf output/transport/uniform_causal_n9
rmdir output/transport 2>/dev/null

# ==== 3. the configs of configs/ =================================================================
sim transport configs/transport_uniform_causal.cfg --out "$T/ucfg" --quiet
check_eq "configs/transport_uniform_causal.cfg: exit status" "$RC" 0
Q=$T/ucfg/transport.tsv
check_eq "uniform causal n = 1000 P1-5: worst cut t = 318" "$(qa worst_cut_t "$Q")" 318
check_abs "uniform causal n = 1000 P1-5: min phi = 0.363996" "$(qa phi "$Q")" 0.363996 5e-7
check_le "uniform causal n = 1000: landscape = closed form" "$(qa closed_max_err "$Q")" 1e-13
check_abs "P1-5: x* = 0.317844432899" "$(qa xstar "$Q")" 0.317844432899 1e-12
check_abs "P1-5: phi* = 0.364311134201" "$(qa phistar "$Q")" 0.364311134201 1e-12
check_eq "uniform causal: above the 1/5 floor" "$(qa pierces_floor "$Q")" 0

sim transport configs/transport_window_sweep.cfg --out "$T/sweep" --quiet
check_eq "configs/transport_window_sweep.cfg: exit status" "$RC" 0
W=$T/sweep/window_sweep.tsv
check "window sweep: writes window_sweep.tsv and its figure" \
  test -s "$W" -a -s "$T/sweep/transport_window_sweep.png"
check_eq "window sweep: one row per width (17)" "$(rows "$W")" 17
check_abs "window sweep n = 200, w = 2 P1-7: phi = 1/(2n-1)" "$(cell "$W" 1 3)" "$(frac 1 399)" \
  1e-15
# w = 80: n - delta = 200 > 5(w-1)/2 = 197.5: pierces; w = 81: phi = 40/200 = 1/5 exactly, does
# not (spec §1.4: below the floor iff n - delta > 5(w-1)/2)
check_eq "window sweep: w = 80 pierces the floor" "$(cell "$W" 12 8)" 1
check_abs "window sweep: w = 81 sits on the floor, phi = 1/5" "$(cell "$W" 13 3)" 0.2 1e-15
check_eq "window sweep: w = 81 does not pierce" "$(cell "$W" 13 8)" 0
check_abs "window sweep: matrix = formula where valid (w = 48)" "$(cell "$W" 10 3)" \
  "$(cell "$W" 10 5)" 1e-15
sim transport configs/transport_window_sweep.cfg --out "$T/sweep_w" --quiet --w 4,8
check_eq "window sweep --w 4,8: two rows" "$(rows "$T/sweep_w/window_sweep.tsv")" 2

sim transport configs/transport_transpose.cfg --out "$T/tp" --quiet
check_eq "configs/transport_transpose.cfg: exit status" "$RC" 0
Q=$T/tp/transport.tsv
check_abs "transpose experiment P1-9: lambda_2 equal" "$(qa lambda_2 "$Q")" "$(qt lambda_2 "$Q")" \
  1e-14
check_abs "transpose experiment P1-9: phi equal" "$(qa phi "$Q")" "$(qt phi "$Q")" 1e-14
check_abs "transpose experiment P1-9: phi_sweep equal" "$(qa phi_sweep "$Q")" \
  "$(qt phi_sweep "$Q")" 1e-14
check_le "transpose experiment: spectra of T equal (eigensolver, clustered values)" \
  "$(qa max_diff_spectrum_T "$Q")" 1e-7
check_abs "transpose experiment P1-9: nu flips" "$(qa sum_nu "$Q")" 0 1e-14
check_ge "transpose experiment: nu(A) != 0 (Q != K)" \
  "$(awk -v x="$(qa nu "$Q")" 'BEGIN { print (x < 0 ? -x : x) }')" 1e-6
check_ge "transpose experiment P2-1: routing part present (||R|| > 0)" \
  "$(qa routing_norm_R "$Q")" 0.1
check_le "transpose experiment: erank of the logits <= rank(R)" \
  "$(qa routing_erank_logits "$Q")" "$(qa routing_rank_kernel "$Q")"
sim transport configs/transport_transpose.cfg --out "$T/tpc" --quiet --set 'model.mask="causal"'
check_eq "transpose experiment, causal mask: nu(A) = 1" "$(qa nu "$T/tpc/transport.tsv")" 1
check_eq "transpose experiment, causal mask: nu(A^T) = -1" "$(qt nu "$T/tpc/transport.tsv")" -1

# ==== 4. bad input: exit 2, nothing written =======================================================
bad() { # bad ID EXPECTED-TEXT ARGS...
  local id=$1 text=$2
  shift 2
  sim transport "$@" --out "$T/bad_$id"
  check_eq "$id: exit status 2" "$RC" 2
  check "$id: message names '$text'" has "$text"
  check "$id: --out folder not created" test ! -e "$T/bad_$id"
}
printf '1 0 0\n0.5 0.5 0\n' >"$T/nonsquare.tsv"
bad non-square "must be square" "$T/nonsquare.tsv"
check "non-square: file:line in the message" has "nonsquare.tsv:2:"
printf '1 0 0\n0.5 0.5\n0.2 0.3 0.5\n' >"$T/ragged.tsv"
bad ragged "ragged.tsv:2: 2 columns, expected 3" "$T/ragged.tsv"
printf '1 0\nNaN 1\n' >"$T/nan.tsv"
bad nan "nan.tsv:2: column 1 is not a finite number" "$T/nan.tsv"
printf '# weights\n1 0\n-0.25 1.25\n' >"$T/neg.tsv"
bad negative "neg.tsv:3: column 1 is -0.25: attention weights must be >= 0" "$T/neg.tsv"
printf '1 0 0\n0 0 0\n0.5 0 0.5\n' >"$T/iso.tsv"
bad isolated "iso.tsv:2: row 2 and column 2 are both zero" "$T/iso.tsv"
printf '1\n' >"$T/one.tsv"
bad n-one "n = 1; allowed 2 <= n" "$T/one.tsv"
bad missing-file "cannot open" "$T/nothere.tsv"
bad tsv-with-kind "--kind, --n, --w and --set need a CONFIG" "$T/uc4.tsv" --kind sink
bad softmax-no-config "--kind softmax needs a CONFIG" --kind softmax --n 8
bad kind-no-n "needs --n N" --kind sink
bad window-no-w "--kind window needs --w" --kind window --n 8
bad w-not-window "--w is the width of --kind window" --kind sink --n 8 --w 2
bad w-above-n "window width 9 is above n = 8" --kind window --n 8 --w 9
bad w-syntax "expected widths" --kind window --n 8 --w 2,x
bad n-range "expected an integer 2 <= n <= 4096" --kind sink --n 5000
bad unknown-kind "allowed: uniform_causal, window, sink, softmax" --kind ring --n 8
bad unknown-option "unknown option" --kind sink --n 8 --frobnicate
bad no-input "no input" --quiet
bad config-key "transport.kind" configs/transport_transpose.cfg --set 'transport.kind="x"'
bad config-windows "transport.windows" configs/transport_window_sweep.cfg \
  --set 'transport.windows=[2.5]'
# an earlier result is kept unless --force
before=$(snapshot "$T/uc4")
sim transport "$T/uc4.tsv" --out "$T/uc4"
check_eq "existing result: exit status 2 without --force" "$RC" 2
check "existing result: message says --force" has "--force"
check_eq "existing result: folder unchanged" "$(snapshot "$T/uc4")" "$before"
sim transport "$T/uc4.tsv" --out "$T/uc4" --force --quiet
check_eq "existing result: --force overwrites (exit 0)" "$RC" 0
sim transport --help
check_eq "transport --help: exit status 0" "$RC" 0
check "transport --help: documents --kind" has "--kind K" "$T/stdout"

# ==== 5. along a run: transport.every ============================================================
cat >"$T/causal.cfg" <<'EOF'
model: { n = 24; d = 3; beta = 1.0; mask = "causal"; };
solver: { t_final = 2.0; };
output: { every = 0.5; plots = true; };
transport: { every = 2; };
EOF
O=$T/run
sim run "$T/causal.cfg" --out "$O" --quiet
check_eq "run with transport.every = 2: exit status" "$RC" 0
TR=$O/transport.tsv
check "run: writes transport.tsv" test -s "$TR"
check "run: writes transport_landscape.tsv" test -s "$O/transport_landscape.tsv"
check "run: draws transport.png" test -s "$O/transport.png"
check "run: draws transport_landscape.png" test -s "$O/transport_landscape.png"
# output rows 0..4 (t = 0, 0.5, ..., 2): snapshots at rows 0, 2, 4
check_eq "run: snapshots at every 2nd output row (3)" "$(rows "$TR")" 3
check_eq "run: snapshot times 0, 1, 2" "$(awk -F'\t' '!/^#/ && NF { printf "%s ", $1 }' "$TR")" \
  "0 1 2 "
check "run: transport.tsv header names phi, lambda_2, G, nu, mean_kl, routing_erank" \
  has_re $'^# t\tphi\tworst_cut\tlambda_2\tG\tnu\tmean_kl\trouting_erank' "$TR"
check_eq "run, causal mask: nu = +1 in every snapshot (spec §1.5)" \
  "$(awk -F'\t' '!/^#/ && NF { printf "%s ", $6 }' "$TR")" "1 1 1 "
check_eq "run: 0 <= G <= 1 and phi >= lambda_2/2 in every snapshot" \
  "$(awk -F'\t' '!/^#/ && NF { if ($5 < 0 || $5 > 1 || $2 < $10 - 1e-12) bad = 1 }
       END { print bad ? "no" : "yes" }' "$TR")" yes
check_eq "run, Q = K = I: no routing (erank 0)" \
  "$(awk -F'\t' '!/^#/ && NF { printf "%s ", $8 }' "$TR")" "0 0 0 "
check_eq "run: landscape file has one block per snapshot" \
  "$(grep -c '^# t = ' "$O/transport_landscape.tsv")" 3
check_eq "run: a landscape block has n - 1 = 23 cuts" \
  "$(awk '/^# t = /{k++} k == 1 && !/^#/ && NF { c++ } END { print c }' \
     "$O/transport_landscape.tsv")" 23
check_eq "run, mask: summary energy_monitor" "$(tsv energy_monitor "$O/summary.tsv")" \
  "not_a_gradient_flow(mask)"
check "run, mask: observables.tsv header says the energy is informative only" \
  has "# energy monitor: not_a_gradient_flow(mask)" "$O/observables.tsv"
# a stationary state: all particles at one point -> uniform causal attention at every snapshot
sim run "$T/causal.cfg" --out "$T/point" --quiet --set 'init.kind="cluster"' \
  --set output.plots=false
check_eq "run from one point: exit status" "$RC" 0
# min_t of the spec's closed form t(H_n - H_t)/min(t(2 + H_n - H_t), 2n - t(2 + H_n - H_t))
ucmin=$(awk -v n=24 'BEGIN { m = 9; for (t = 1; t < n; t++) { h = 0; for (k = t + 1; k <= n; k++)
  h += 1 / k; c = t * h; a = 2 * t + c; b = 2 * (n - t) - c; v = c / (a < b ? a : b);
  if (v < m) m = v } printf "%.17g", m }')
check_abs "run from one point: phi = uniform causal closed-form minimum (spec §1.4)" \
  "$(cell "$T/point/transport.tsv" 3 2)" "$ucmin" 1e-12
check_abs "run from one point: full attention J/n has phi = ceil(n/2)/n = 1/2 (P1-8)" \
  "$(cell "$T/point/transport.tsv" 3 11)" 0.5 1e-12
check_abs "run from one point: full attention G = 0 (P1-8)" "$(cell "$T/point/transport.tsv" 3 14)" \
  0 1e-12
sim run "$T/causal.cfg" --out "$T/run0" --quiet --set transport.every=0 --set output.plots=false
check_eq "transport.every = 0: exit status" "$RC" 0
check "transport.every = 0: no transport.tsv" test ! -e "$T/run0/transport.tsv"
# the n guard: before anything is written
sim run "$T/causal.cfg" --out "$T/big" --set model.n=1500
check_eq "n above transport.max_n: exit status 2" "$RC" 2
check "n above transport.max_n: message names transport.max_n" has "transport.max_n = 1000"
check "n above transport.max_n: --out folder not created" test ! -e "$T/big"
sim run "$T/causal.cfg" --out "$T/big2" --set transport.max_n=5000
check_eq "transport.max_n above 4096: exit status 2" "$RC" 2
check "transport.max_n above 4096: range in the message" has "transport.max_n <= 4096"
# S-D flow: one routing plane gives routing logits of effective rank 2 (spec §2.4)
sim run configs/transport_sd_flow.cfg --out "$T/sd" --quiet --set solver.t_final=2 \
  --set output.every=0.5 --set transport.every=1 --set output.plots=false
check_eq "configs/transport_sd_flow.cfg (short): exit status" "$RC" 0
check_eq "S-D flow: routing erank = 2 at every snapshot" \
  "$(awk -F'\t' '!/^#/ && NF { if ($8 < 2 - 1e-9 || $8 > 2 + 1e-9) bad = 1; k++ }
       END { print bad ? "no" : k }' "$T/sd/transport.tsv")" 5
check_eq "S-D flow: summary energy_monitor" "$(tsv energy_monitor "$T/sd/summary.tsv")" \
  "not_a_gradient_flow(asymmetric)"
check "S-D flow: the kernel routing line in transport.tsv" has "erank(R) = 2" "$T/sd/transport.tsv"
# the causal flow config (short)
sim run configs/transport_causal_flow.cfg --out "$T/cf" --quiet --set solver.t_final=1 \
  --set output.plots=false
check_eq "configs/transport_causal_flow.cfg (short): exit status" "$RC" 0
check_eq "causal flow: snapshots every 4th of 5 rows + the last (t = 0, 1)" \
  "$(rows "$T/cf/transport.tsv")" 2

summary
