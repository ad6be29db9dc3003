#!/usr/bin/env bash
# tests/cli_analyze.sh -- `bin/sim analyze gap|inertial|geodesic`: the commands run on the configs
# of configs/ (made small with --set), write their tables, summary and figures, reproduce the
# spec's numbers, and refuse bad input with exit status 2, a file:line message and an untouched
# output folder. Expected numbers: spec spectral_gap.md §2.1, §2.4, §3, §4, §8 (and, for the
# interacting flow, the Morse indices of sphere_dynamics.md §4.3).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
lib_setup
have_gnuplot() { command -v gnuplot >/dev/null 2>&1; }

# ---- help and usage --------------------------------------------------------------------------
sim analyze --help
check_eq "analyze --help exits 0" "$RC" 0
check "analyze --help lists the keys of every group" has 'flow.equilibria' "$T/stdout"
sim analyze
check_eq "analyze without arguments: exit 2" "$RC" 2
sim analyze bogus configs/gap_test.cfg
check_eq "unknown analysis: exit 2" "$RC" 2
check "unknown analysis: the message lists gap, inertial, geodesic" has 'allowed: gap, inertial, geodesic'
sim analyze gap
check_eq "analyze gap without a config: exit 2" "$RC" 2
sim analyze gap configs/gap_test.cfg --frobnicate
check_eq "unknown option: exit 2" "$RC" 2

# ---- gap: geometry A seed 1 (gap_test) ---------------------------------------------------------
sim analyze gap configs/gap_test.cfg --out "$T/gap" --set perturb.trials=20 --quiet
check_eq "analyze gap configs/gap_test.cfg: exit 0" "$RC" 0
for f in summary.tsv spectrum.tsv count_theta.tsv riesz.tsv perturb.tsv energy_window.tsv config.resolved.cfg; do
  check "gap: $f written" test -s "$T/gap/$f"
done
S="$T/gap/summary.tsv"
check_eq "gap: dim E_- = 4 (spec 2.1)" "$(tsv dim_E_minus "$S")" 4
check_eq "gap: verdict 'gap'" "$(tsv gap_verdict "$S")" gap
check_abs "gap: Delta = 0.1030992321 (fixture seed 1, spec 8.2)" "$(tsv gap_delta "$S")" 0.1030992321 1e-9
check_abs "gap: theta_0 = 0.0517050484 (spec 2.1)" "$(tsv gap_theta0 "$S")" 0.0517050484 1e-9
check_abs "gap: Riesz trace (600 nodes) = 4 (spec 8.3)" "$(tsv riesz_trace "$S")" 4 1e-10
check_abs "gap: bulk contour trace = 20 (spec 8.4)" "$(tsv bulk_trace "$S")" 20 1e-9
check_eq "gap: plateau min = max = 4 (spec 8.5)" "$(tsv plateau_count_min "$S")/$(tsv plateau_count_max "$S")" 4/4
check_eq "gap: Weyl, all preserved below Delta/2 (spec 8.6)" "$(tsv weyl_all_preserved_below_half "$S")" yes
check_abs "gap: E* = 0.94493405 (spec 8.9)" "$(tsv energy_E_star "$S")" 0.94493405 1e-7
check_abs "gap: K_min = -0.246817 (spec 8.9)" "$(tsv energy_K_min "$S")" -0.246817 1e-6
m128=$(awk '$1 == 128 { print $2 }' "$T/gap/riesz.tsv")
check_abs "gap: riesz.tsv, M = 128 trace = 4 (spec 8.3)" "$m128" 4 1e-10
if have_gnuplot; then check "gap: gap_verification.png written" test -s "$T/gap/gap_verification.png"
else skip "gap: figure" "gnuplot not installed"; fi
check "gap: the resolved config names the --set value" grep -q 'trials = 20;' "$T/gap/config.resolved.cfg"

# again into the same folder: refused without --force, folder untouched; accepted with it
before=$(snapshot "$T/gap")
sim analyze gap configs/gap_test.cfg --out "$T/gap" --set perturb.trials=20 --quiet
check_eq "existing results without --force: exit 2" "$RC" 2
check_eq "existing results: the folder is untouched" "$(snapshot "$T/gap")" "$before"
sim analyze gap "$T/gap/config.resolved.cfg" --out "$T/gap" --force --quiet
check_eq "the resolved config reruns (--force): exit 0" "$RC" 0
check_eq "the rerun gives the same Delta" "$(tsv gap_delta "$T/gap/summary.tsv")" "$(tsv gap_delta "$S")"

# ---- gap: windows and the symmetric control (small populations) -------------------------------
sim analyze gap configs/gap_confinement.cfg --out "$T/conf" --set simplex.seeds=1 --quiet
check_eq "analyze gap configs/gap_confinement.cfg (1 seed): exit 0" "$RC" 0
slope0=$(awk '!/^#/ && $1 == 0 { print $2 }' "$T/conf/confinement.tsv")
slope6=$(awk '!/^#/ && $1 == 0.06 { print $2 }' "$T/conf/confinement.tsv")
check_ge "confinement: slope >= 0.98 at gamma 0 (below beta/(2 m_max), spec 8.16)" "$slope0" 0.98
check_le "confinement: slope < 0.9 at gamma 0.06 (above beta/(2 m_max) = 0.0556)" "$slope6" 0.9
sim analyze gap configs/gap_symmetric.cfg --out "$T/sym" --quiet
check_eq "analyze gap configs/gap_symmetric.cfg: exit 0" "$RC" 0
g64=$(awk '!/^#/ && $1 == 64 { printf "%s", $5 }' "$T/sym/symmetric.tsv")
check_eq "symmetric: gap count = k - 1 at beta 64 (spec 8.18)" "$g64" 123456

# ---- gap: the interacting flow (sphere version) -----------------------------------------------
sim analyze gap configs/gap_sphere_flow.cfg --out "$T/sgap" --quiet
check_eq "analyze gap configs/gap_sphere_flow.cfg: exit 0" "$RC" 0
check_eq "flow: dim E_- = Morse index at every equilibrium" "$(tsv flow_dim_E_minus_equals_morse "$T/sgap/summary.tsv")" yes
counts=$(awk -F'\t' '!/^#/ { printf "%s%s", (NR > 3 ? "," : ""), $4 }' "$T/sgap/flow_equilibria.tsv")
check_eq "flow: dim E_- of the 7 states = 0,1,2,2,12,2,0 (sphere_dynamics 4.3)" "$counts" "0,1,2,2,12,2,0"
if have_gnuplot; then check "flow: flow_gap.png written" test -s "$T/sgap/flow_gap.png"; fi

# ---- inertial -------------------------------------------------------------------------------------
sim analyze inertial configs/inertial_sphere_flow.cfg --out "$T/sin" --quiet
check_eq "analyze inertial configs/inertial_sphere_flow.cfg: exit 0" "$RC" 0
check_eq "inertial flow: growing = dim E_- = Morse at every state" "$(tsv flow_inertial_counts_equal "$T/sin/summary.tsv")" yes
check_eq "inertial flow: growing/dim E_-/Morse per state" "$(tsv flow_growing_dimE_morse "$T/sin/summary.tsv")" \
  "u2_6:0:1/1/1 u2_3:3:2/2/2 u3_3:3:2/2/2 u3_6:0:12/12/12 u1_6:0:0/0/0 run_final:0/0/0"
if have_gnuplot; then check "inertial flow: flow_inertial.png written" test -s "$T/sin/flow_inertial.png"; fi
sim analyze inertial configs/inertial_test.cfg --out "$T/in" --set spreads.N=40 --set spreads.T=6 \
  --set 'sweep.gamma=[0.5, 2.0]' --quiet
check_eq "analyze inertial configs/inertial_test.cfg (small cloud): exit 0" "$RC" 0
for f in spreads.tsv rates.tsv sweep.tsv summary.tsv; do check "inertial: $f written" test -s "$T/in/$f"; done
check_eq "inertial: the sweep has 2 rows" "$(grep -vc '^#' "$T/in/sweep.tsv")" 2
zp=$(awk '!/^#/ && $1 == 1 { print $3 }' "$T/in/rates.tsv")
check_abs "inertial: z_+(0.5, mu_1 = -0.362524006) = 0.4019386522 (eq. 7)" "$zp" 0.4019386522 1e-9
if have_gnuplot; then check "inertial: inertial_diagnostic.png written" test -s "$T/in/inertial_diagnostic.png"; fi

# ---- geodesic ------------------------------------------------------------------------------------
sim analyze geodesic configs/geodesic_test.cfg --out "$T/geo" --set geodesic.refine=false --quiet
check_eq "analyze geodesic configs/geodesic_test.cfg: exit 0" "$RC" 0
G="$T/geo/summary.tsv"
check_rel "geodesic: median rel error 3.68e-4 on 280^2 (spec 8.11)" "$(tsv grid_median_rel "$G")" 3.68e-4 0.03
check_abs "geodesic: K < 0 segment ends at the grid value 0.746092 (spec 8.10)" "$(tsv segment_x_R_grid "$G")" 0.746092 1e-6
check_le "geodesic: max |eta - J|/|eta| < 1e-4 (spec 8.12)" "$(tsv bundle_max_rel_dev "$G")" 1e-4
if have_gnuplot; then check "geodesic: geodesic_diagnostic.png written" test -s "$T/geo/geodesic_diagnostic.png"; fi
sim analyze geodesic configs/geodesic_s2.cfg --out "$T/gs2" --set geodesic.refine=false --quiet
check_eq "analyze geodesic configs/geodesic_s2.cfg: exit 0" "$RC" 0
check_le "geodesic S^2: max |eta - J|/|eta| < 1e-4" "$(tsv bundle_max_rel_dev "$T/gs2/summary.tsv")" 1e-4

# ---- bad input: exit 2, file:line, nothing written ---------------------------------------------
cat >"$T/bad.cfg" <<'EOF'
# a bad analysis config
keys = { file = "configs/data/geometryA_seed1_keys.tsv"; n = 40; d = 24; };
count = { nodes = 0; };
EOF
sim analyze gap "$T/bad.cfg" --out "$T/bad_out"
check_eq "bad value: exit 2" "$RC" 2
check "bad value: message names file:line and key" has "bad.cfg:3: count.nodes: 0 is out of range"
check "bad value: no output folder" test ! -e "$T/bad_out"
# 4294967312 = 2^32 + 16: libconfig 1.5 alone would read 16 (a valid count) and run.
printf 'keys = { file = "configs/data/geometryA_seed1_keys.tsv"; n = 40; d = 24; };\ncount = { nodes = 4294967312; };\n' >"$T/wide.cfg"
sim analyze gap "$T/wide.cfg" --out "$T/wide_out"
check_eq "integer above 32 bits read exactly: exit 2" "$RC" 2
check "integer above 32 bits: out of range with its value" has "wide.cfg:2: count.nodes: 4294967312 is out of range"
check "integer above 32 bits: no output folder" test ! -e "$T/wide_out"
printf 'keys = { file = "configs/data/geometryA_seed1_keys.tsv"; n = 40; d = 25; };\ncount = { };\n' >"$T/shape.cfg"
sim analyze gap "$T/shape.cfg" --out "$T/shape_out"
check_eq "keys file of the wrong shape: exit 2" "$RC" 2
check "keys file of the wrong shape: message names the file and line" has_re 'geometryA_seed1_keys.tsv:[0-9]+: 24 columns, expected 25'
check "keys file of the wrong shape: no output folder" test ! -e "$T/shape_out"
sim analyze gap configs/gap_test.cfg --out "$T/set_out" --set count.nodez=3
check_eq "--set of an unknown key: exit 2" "$RC" 2
check "--set of an unknown key: the message lists the group's keys" has 'allowed: nodes, theta_points'
check "--set of an unknown key: no output folder" test ! -e "$T/set_out"
printf 'geodesic = { geometry = "flat"; };\n' >"$T/wrong_cmd.cfg"
sim analyze gap "$T/wrong_cmd.cfg" --out "$T/wc_out"
check_eq "a group of another analysis: exit 2" "$RC" 2
check "a group of another analysis: says which analysis uses it" has 'wrong_cmd.cfg:1: geodesic: this group is not used by `analyze gap`'
printf 'flow = { config = "configs/sphere_flow_d3.cfg";\n  equilibria = ( { kind = "pure_mode"; mode = 4; } ); };\n' >"$T/mode.cfg"
sim analyze gap "$T/mode.cfg" --out "$T/mode_out"
check_eq "pure mode beyond d: exit 2" "$RC" 2
check "pure mode beyond d: file:line and key" has 'mode.cfg:2: flow.equilibria.mode: 4 exceeds model.d = 3'
printf 'flow = { config = "configs/sphere_flow_d3.cfg"; set = ["model.mask=\\"causal\\""];\n  equilibria = ( { kind = "pure_mode"; } ); };\n' >"$T/asym.cfg"
sim analyze gap "$T/asym.cfg" --out "$T/asym_out"
check_eq "a flow that is not a gradient flow: exit 2" "$RC" 2
check "a flow that is not a gradient flow: says why" has 'flow.config: the model must be the symmetric flow'
check "a flow that is not a gradient flow: no output folder" test ! -e "$T/asym_out"
printf 'flow = { config = "configs/sphere_flow_d3.cfg";\n  equilibria = ( { kind = "file"; file = "configs/data/geometryA_seed1_keys.tsv"; } ); };\n' >"$T/state.cfg"
sim analyze inertial "$T/state.cfg" --out "$T/state_out"
check_eq "a state file of the wrong shape: exit 2" "$RC" 2
check "a state file of the wrong shape: names file:line" has_re 'geometryA_seed1_keys.tsv:[0-9]+: more than the expected 3 columns \(model.d\)'
printf 'name = "x";\n' >"$T/empty.cfg"
sim analyze inertial "$T/empty.cfg" --out "$T/empty_out"
check_eq "nothing to analyze: exit 2" "$RC" 2
check "nothing to analyze: lists the groups" has 'nothing to analyze: give at least one of the groups spreads, sweep, flow'
sim analyze geodesic /nonexistent.cfg
check_eq "a missing config: exit 2" "$RC" 2
summary
