#!/usr/bin/env bash
# tests/cli_stability.sh -- scenario tests of `bin/sim stability CONFIG`: the table of pure modes
# against the closed forms of spec sphere_dynamics.md §4.3 / §12.3 (computed here in awk,
# independently of the C code), the criteria of §4.4 / §12.4, the energies of §4.4 item 6, the
# USA = SA x cosh(beta lambda) scaling of balanced splits (§4.3), basis and frame independence,
# the outputs, and every refusal (exit 2, nothing written). Run from the repo root:
#   BIN=bin/sim bash tests/cli_stability.sh
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
lib_setup

cfg() { cat >"$T/$1.cfg"; }
# Data rows of a stability.tsv.
rows() { grep -c -v -E '^(#|[[:space:]]*$)' "$1"; }
# Column of the data rows, one value per line.
col() { awk -F'\t' -v c="$2" '!/^#/ && NF { print $c }' "$1"; }

# Closed-form checks of every row of a stability.tsv: prints the largest relative error of
# max_eig against Kuehn-Yoon's Theorem 5.2 rates (spec §12.3; SA normalizers D_+- = n_+- E + n_-+ e,
# USA N = n), of eps against §4.4 item 6, and the number of rows whose verdict disagrees with the
# §4.4 / §12.4 criteria (homogeneous: item 1; n_+, n_- >= 2: the sigma(c, r) criterion).
# Usage: closed_form_check TSV BETA NORM L1 L2 L3
closed_form_check() {
  awk -F'\t' -v beta="$2" -v norm="$3" -v l1="$4" -v l2="$5" -v l3="$6" '
    function th(x) { return (exp(2 * x) - 1) / (exp(2 * x) + 1) }
    function abs(x) { return x < 0 ? -x : x }
    BEGIN { lam[1] = l1; lam[2] = l2; lam[3] = l3; d = 3; err = 0; eerr = 0; bad = 0 }
    !/^#/ && NF {
      k = $1; np = $4; nm = $5; n = np + nm; lp = lam[k]
      E = exp(beta * lp); e = exp(-beta * lp)
      if (norm == "usa") { Dp = n; Dm = n } else { Dp = np * E + nm * e; Dm = nm * E + np * e }
      mx = -1e300
      if (nm == 0) {
        for (l = 1; l <= d; l++) if (l != k) {
          r = (lam[l] - lp) * np * E / Dp; if (r > mx) mx = r }
        if (n >= 2) { r = -lp * np * E / Dp; if (r > mx) mx = r }
      } else {
        ap = E / Dp; bp = e / Dp; am = E / Dm; bm = e / Dm
        gp = lp * (np * ap - nm * bp); gm = lp * (nm * am - np * bm)
        if (np >= 2 && -gp > mx) mx = -gp
        if (nm >= 2 && -gm > mx) mx = -gm
        for (l = 1; l <= d; l++) if (l != k) {
          m11 = lam[l] * np * ap - gp; m12 = lam[l] * nm * bp
          m21 = lam[l] * np * bm; m22 = lam[l] * nm * am - gm
          h = (m11 + m22) / 2; det = m11 * m22 - m12 * m21; q = h * h - det
          r = h + sqrt(q > 0 ? q : 0); if (r > mx) mx = r }
      }
      rel = abs($6 - mx) / (abs(mx) > 1 ? abs(mx) : 1); if (rel > err) err = rel
      p = np / n; qq = nm / n
      eps = (p * p + qq * qq) * E + 2 * p * qq * e
      rel = abs($11 - eps) / eps; if (rel > eerr) eerr = rel
      # criteria: homogeneous (item 1), splits with both clusters >= 2 (sigma criterion, §12.4)
      crit = -1
      if (nm == 0 && n >= 2) {
        crit = lp > 0; for (l = 1; l <= d; l++) if (l != k && !(lam[l] < lp)) crit = 0
      } else if (np >= 2 && nm >= 2) {
        rr = np / nm; c = exp(2 * beta * lp); sig = (c - rr) * (c * rr - 1) / (rr * (c * c - 1))
        edge = abs(log(rr)) / (2 * beta); crit = 0
        if (lp > 0 && lp > edge) { crit = 1; for (l = 1; l <= d; l++) if (l != k && !(lam[l] < lp * sig)) crit = 0 }
        if (lp < 0 && lp < -edge) { crit = 1; for (l = 1; l <= d; l++) if (l != k && !(lp < lam[l] && lam[l] < lp * sig)) crit = 0 }
      }
      if (crit >= 0 && crit != ($8 == "stable")) bad++
      if (crit >= 0 && crit != ($9 == "stable")) bad++
      if ((mx < 0) != ($8 == "stable")) bad++
    }
    END { printf "%.3e %.3e %d\n", err, eerr, bad }' "$1"
}

# ==== 1. help ======================================================================================
sim stability --help
check_eq "--help: exit 0" "$RC" 0
check "--help: usage line" has "usage: bin/sim stability CONFIG" "$T/stdout"
check "--help: documents --splits" has "--splits LIST" "$T/stdout"
sim --help
check "bin/sim --help lists the stability command" has_re "^  stability +pure-mode" "$T/stdout"

# ==== 2. the indefinite config of issue 5 (beta = 2), n = 6, splits 4/2 and 5/1 =====================
O=$T/ind
sim stability configs/ky_indefinite.cfg --set model.n=6 --splits 4/2,5/1 --out "$O"
check_eq "ky_indefinite: exit 0" "$RC" 0
S=$O/stability.tsv
for f in stability.tsv stability.md config.resolved.cfg; do check "ky_indefinite: writes $f" test -s "$O/$f"; done
check "ky_indefinite: no temporary files left" test -z "$(find "$O" -name '.*.tmp')"
check_eq "table: 3 modes x (homogeneous, balanced, 4/2, 5/1) = 12 rows" "$(rows "$S")" 12
check_eq "table: 22 columns in every row" "$(awk -F'\t' '!/^#/ && NF { print NF }' "$S" | sort -u)" 22
check_eq "table: classes per mode" "$(col "$S" 3 | head -4 | tr '\n' ' ')" "homogeneous balanced split split "
check_le "every built pure mode is an equilibrium (|RHS| < 1e-12)" \
  "$(col "$S" 13 | sort -g | tail -1)" 1e-12
check_le "closed form = analytic Jacobian eigenvalues (max err)" "$(col "$S" 17 | sort -g | tail -1)" 1e-9
check_le "closed form = finite-difference Jacobian eigenvalues (S5: 1e-6)" \
  "$(col "$S" 18 | sort -g | tail -1)" 1e-6
check_eq "Jacobian verdicts = closed-form verdicts" "$(awk -F'\t' '!/^#/ && NF && $8 != $20' "$S" | wc -l)" 0
check_eq "Jacobian Morse index = closed form" "$(awk -F'\t' '!/^#/ && NF && $7 != $19' "$S" | wc -l)" 0
read -r err eerr bad <<<"$(closed_form_check "$S" 2 sa 1.0 0.5 -1.5)"
check_le "max_eig = Kuehn-Yoon Thm 5.2 rates (awk, §12.3), rel err" "$err" 1e-11
# the TSV prints 12 significant digits: relative agreement to 1e-11
check_le "eps = (p^2+q^2) e^{b l} + 2pq e^{-b l} (§4.4 item 6), rel err" "$eerr" 1e-11
check_eq "verdicts and criteria = §4.4 item 1 / §12.4 sigma criterion" "$bad" 0
# §4.4 item 4: beta = 2 > the bistability threshold artanh(2/3)/1.5 = 0.5365: homogeneous at u_1
# and the balanced split on u_3 stable; beta > beta_s = artanh(0.5) = 0.5493: balanced on u_1; the
# 4/2 splits by §12.4 (r = 2 < e^{2 beta |lambda|}, lambda_l below lambda_k sigma); the 5/1 splits
# (no criterion in the spec: a lone particle has no internal rate) by the Theorem 5.2 rates above.
stable=$(awk -F'\t' '!/^#/ && NF && $8 == "stable" { printf "%s:%s/%s ", $1, $4, $5 }' "$S")
check_eq "stable classes (§4.4 items 1, 2, 4 and §12.4)" "$stable" "1:6/0 1:3/3 1:4/2 1:5/1 3:3/3 3:4/2 3:5/1 "
# homogeneous on u_3 (lambda = -1.5): internal -lambda_3 > 0 (x10) and drifts 2.5, 2.0 > 0: every
# one of the n(d-1) = 12 directions unstable
check_eq "Morse index of the homogeneous state on u_3 = n(d-1) = 12" \
  "$(awk -F'\t' '!/^#/ && $1 == 3 && $3 == "homogeneous" { print $7 }' "$S")" 12
check_abs "beta_s printed = artanh(0.5)" "$(grep -o -E 'beta_s = artanh[^=]*= [0-9.]+' "$S" | awk '{print $NF}')" \
  "$(awk 'BEGIN { printf "%.10f", 0.5 * log(3) }')" 1e-9
check_abs "bistability threshold printed = artanh(2/3)/1.5" \
  "$(grep -o -E 'bistability threshold [^=]*= [0-9.]+' "$S" | awk '{print $NF}')" \
  "$(awk 'BEGIN { printf "%.10f", 0.5 * log(5) / 1.5 }')" 1e-9
check "imbalance bound e^{2 beta |lambda_3|} = e^6 = 403.429" has "u_3: 403.429" "$S"
check "stdout: the table" has_re "^ +3 +-1.5 balanced " "$T/stdout"
check "stdout: eigenvalue lists" has "internal+" "$T/stdout"
check "stability.md: a Markdown table" has "| mode | lambda | class |" "$O/stability.md"
check "stability.md: the checks" has "classes built numerically" "$O/stability.md"
# the run config of the folder reproduces the table
sim stability "$O/config.resolved.cfg" --splits 4/2,5/1 --out "$T/ind2" --quiet
check_eq "resolved config: exit 0, quiet" "$RC:$(wc -c <"$T/stdout")" "0:0"
check_eq "resolved config: same table" "$(grep -v '^#' "$T/ind2/stability.tsv")" "$(grep -v '^#' "$S")"

# ==== 3. USA: balanced splits scale by cosh(beta lambda_k) (§4.3) ===================================
ID=$T/id/stability.tsv
sim stability configs/ky_indefinite.cfg --set model.n=6 --out "$T/id" --quiet
check_eq "identity basis, no splits: exit 0, 6 rows" "$RC:$(rows "$ID")" "0:6"
sim stability configs/ky_indefinite.cfg --set model.n=6 --set 'model.normalization="usa"' --out "$T/usa"
check_eq "USA: exit 0" "$RC" 0
read -r err eerr bad <<<"$(closed_form_check "$T/usa/stability.tsv" 2 usa 1.0 0.5 -1.5)"
check_le "USA: max_eig = Thm 5.2 structure with N = n, rel err" "$err" 1e-11
check_eq "USA: same verdicts as SA (gradient flows of one energy, §3)" \
  "$(col "$T/usa/stability.tsv" 8 | tr '\n' ' ')" "$(col "$ID" 8 | tr '\n' ' ')"
ratio=$(paste <(awk -F'\t' '!/^#/ && $3 == "balanced" { print $2, $6 }' "$ID") \
              <(awk -F'\t' '!/^#/ && $3 == "balanced" { print $6 }' "$T/usa/stability.tsv") |
  awk '{ c = (exp(2 * $1) + exp(-2 * $1)) / 2; r = $3 / ($2 * c) - 1; if (r < 0) r = -r; if (r > m) m = r }
       END { printf "%.3e", m }')
check_le "USA balanced max eig = SA x cosh(beta lambda_k)" "$ratio" 1e-11
check_le "USA: FD Jacobian = closed form" "$(col "$T/usa/stability.tsv" 18 | sort -g | tail -1)" 1e-6

# ==== 4. basis and frame independence ==============================================================
sim stability configs/ky_indefinite.cfg --set model.n=6 --set 'model.basis="random_orthogonal"' \
  --out "$T/rot" --quiet
check_eq "random basis: exit 0" "$RC" 0
sim stability configs/ky_indefinite.cfg --set model.n=6 --set 'model.basis="random_orthogonal"' \
  --set model.eigen_coords=true --out "$T/eig" --quiet
check_eq "eigen-coordinates: exit 0" "$RC" 0
for tag in rot eig; do
  check_le "$tag: built states are equilibria" "$(col "$T/$tag/stability.tsv" 13 | sort -g | tail -1)" 1e-12
  check_le "$tag: FD Jacobian = closed form" "$(col "$T/$tag/stability.tsv" 18 | sort -g | tail -1)" 1e-6
  check_eq "$tag: closed-form columns = identity basis" \
    "$(grep -v '^#' "$T/$tag/stability.tsv" | cut -f1-12)" "$(grep -v '^#' "$ID" | cut -f1-12)"
done

# ==== 5. a symmetric V = A given as matrices; default output folder; --max-dim =====================
mkdir -p "$T/wd"
cfg sym <<'EOF'
name = "symcase";
model: { n = 4; d = 2; beta = 1.0; V = ( [0.5, 0.2], [0.2, -0.7] ); A = ( [0.5, 0.2], [0.2, -0.7] ); };
EOF
(cd "$T/wd" && timeout 60 "$OLDPWD/$BIN" stability "$T/sym.cfg" --quiet >/dev/null 2>"$T/stderr")
check "V = A symmetric matrices: default folder output/NAME-stability" test -s "$T/wd/output/symcase-stability/stability.tsv"
check_eq "V = A symmetric: 2 modes x 2 classes" "$(rows "$T/wd/output/symcase-stability/stability.tsv")" 4
sim stability configs/ky_indefinite.cfg --max-dim 0 --out "$T/cf"
check_eq "--max-dim 0: exit 0" "$RC" 0
check_eq "--max-dim 0: no numerical columns (nan)" "$(col "$T/cf/stability.tsv" 14 | sort -u)" nan
check "--max-dim 0: warns that the closed form only is given" has "closed form only"
sim stability configs/ky_negative_definite.cfg --out "$T/nd" --quiet
check_eq "ky_negative_definite (n = 64): exit 0" "$RC" 0
check_eq "negative definite: only the splits on u_3 are stable (§4.4 item 2)" \
  "$(awk -F'\t' '!/^#/ && NF && $8 == "stable" { printf "%s:%s ", $1, $3 }' "$T/nd/stability.tsv")" "3:balanced "

# ==== 6. refusals: exit 2 with a message, nothing written ==========================================
refuse() { # refuse NAME PATTERN ARGS...
  local name=$1 pat=$2
  shift 2
  rm -rf "$T/refused"
  sim stability "$@" --out "$T/refused"
  check_eq "$name: exit 2" "$RC" 2
  check "$name: message" has "$pat"
  check "$name: nothing written" test ! -e "$T/refused"
}
cfg asym <<'EOF'
model: { n = 4; d = 3; V = "goe"; };
EOF
cfg heads <<'EOF'
model: { n = 4; d = 2; heads = ( { V = "identity"; }, { V = "identity"; } ); };
EOF
refuse "asymmetric A, V" "needs the symmetric case" "$T/asym.cfg"
refuse "multi-head" "several heads" "$T/heads.cfg"
refuse "causal mask" "attention mask" configs/ky_dominant.cfg --set 'model.mask="causal"'
refuse "--splits 4-2" '"4-2" is not N_PLUS/N_MINUS' configs/ky_dominant.cfg --splits 4-2
refuse "--splits 0/3" "both counts must be in [1, 100000]" configs/ky_dominant.cfg --splits 0/3
refuse "--splits trailing comma" "trailing comma" configs/ky_dominant.cfg --splits 4/2,
refuse "--splits 4/2x" '"4/2x" is not' configs/ky_dominant.cfg --splits 4/2x
refuse "--splits empty item" "item 2 is empty" configs/ky_dominant.cfg --splits 4/2,,3/1
refuse "--max-dim 5000" "--max-dim 5000" configs/ky_dominant.cfg --max-dim 5000
refuse "unknown option" 'unknown option "--bogus"' configs/ky_dominant.cfg --bogus
refuse "two configs" "more than one config" configs/ky_dominant.cfg configs/ky_indefinite.cfg
refuse "missing config" "cannot read the config" "$T/nope.cfg"
refuse "bad --set" "model.beta" configs/ky_dominant.cfg --set model.beta=-1
sim stability configs/ky_dominant.cfg --splits
check_eq "--splits without a value: exit 2" "$RC" 2
check "--splits without a value: message" has "--splits needs a value"
sim stability
check_eq "no config: exit 2" "$RC" 2
check "no config: usage in the message" has "no config given"
# an earlier table is kept unless --force
before=$(md5sum <"$S")
sim stability configs/ky_indefinite.cfg --set model.n=6 --out "$O"
check_eq "earlier table without --force: exit 2" "$RC" 2
check "earlier table: message names --force" has "use --force"
check_eq "earlier table: unchanged" "$(md5sum <"$S")" "$before"
sim stability configs/ky_indefinite.cfg --set model.n=6 --out "$O" --force --quiet
check_eq "--force: exit 0" "$RC" 0
check_eq "--force: rewritten without the splits (6 rows)" "$(rows "$S")" 6
# a run folder is not overwritten either (spx_out_prepare_dir)
sim run configs/ky_dominant.cfg --set model.n=4 --set solver.t_final=0.1 --set output.plots=false --out "$T/runf" --quiet
sim stability configs/ky_dominant.cfg --out "$T/runf"
check_eq "a run's folder without --force: exit 2" "$RC" 2
check "a run's folder: message" has "holds another run's results"
check "a run's folder: no table written" test ! -e "$T/runf/stability.tsv"

# ==== 7. the configs of issue 5 run, and end as their comments say (fixed seeds) ===================
runcfg() { # runcfg CONFIG EXTRA... : run without figures into $T/run_<stem>
  local c=$1
  shift
  sim run "configs/$c.cfg" --out "$T/run_$c" --force --quiet --set output.plots=false "$@"
  check_eq "run configs/$c.cfg: exit 0" "$RC" 0
}
outcome() { echo "$(tsv class "$1/summary.tsv"):$(tsv mode "$1/summary.tsv")"; }
# spec §10 item 8: beta = 0.5 < beta_s = artanh(0.8): homogeneous on u_1, eps = e^{0.5}
runcfg ky_dominant
check_eq "ky_dominant: homogeneous on u_1 (§10 item 8)" "$(outcome "$T/run_ky_dominant")" homogeneous:1
check_rel "ky_dominant: eps = e^{beta lambda_1} (§4.4 item 6)" "$(tsv energy_eps "$T/run_ky_dominant/summary.tsv")" \
  "$(awk 'BEGIN { printf "%.17g", exp(0.5) }')" 1e-9
# the dynamics-side measures of summary.tsv recomputed here from the output files (identity basis:
# y_i^k = x_i[k]): T99 = first output time with align_1 >= 0.99 (observables.tsv column 14),
# f_+ and sign memory on the selected mode from state_initial.tsv / state_final.tsv (spec §7)
D=$T/run_ky_dominant
check_eq "T99 = first t with A_1 >= 0.99 in observables.tsv" "$(tsv T99 "$D/summary.tsv")" \
  "$(awk -F'\t' '!/^#/ && NF && $14 >= 0.99 { print $1; exit }' "$D/observables.tsv")"
memory=$(paste <(grep -v '^#' "$D/state_initial.tsv") <(grep -v '^#' "$D/state_final.tsv") |
  awk -F'\t' '{ n++; if (($1 > 0) == ($4 > 0)) s++; if ($4 > 0) p++ } END { printf "%.17g %.17g", s / n, p / n }')
check_abs "sign_memory = fraction keeping sgn <x_i, u_1>" "$(tsv sign_memory "$D/summary.tsv")" "${memory% *}" 1e-15
check_abs "f_plus = fraction with <x_i, u_1> > 0" "$(tsv f_plus "$D/summary.tsv")" "${memory#* }" 1e-15
# spec §10 item 7: split on u_3 with f_+ in [0.35, 0.65] and the split energy
runcfg ky_negative_definite
R=$T/run_ky_negative_definite/summary.tsv
check_eq "ky_negative_definite: split on u_3 (§10 item 7)" "$(outcome "$T/run_ky_negative_definite")" split:3
check_ge "ky_negative_definite: f_+ >= 0.35" "$(tsv f_plus "$R")" 0.35
check_le "ky_negative_definite: f_+ <= 0.65" "$(tsv f_plus "$R")" 0.65
check_rel "ky_negative_definite: eps = (p^2+q^2)e^{-2b} + 2pq e^{2b} (§4.4 item 6)" "$(tsv energy_eps "$R")" \
  "$(awk -v p="$(tsv f_plus "$R")" 'BEGIN { q = 1 - p; b = 0.2
     printf "%.17g", (p * p + q * q) * exp(-2 * b) + 2 * p * q * exp(2 * b) }')" 1e-9
check_ge "ky_negative_definite: beta T99 >= 1.2 (§10 item 13)" "$(awk -v t="$(tsv T99 "$R")" 'BEGIN { print 0.2 * t }')" 1.2
check_le "ky_negative_definite: beta T99 <= 2.0 (§10 item 13)" "$(awk -v t="$(tsv T99 "$R")" 'BEGIN { print 0.2 * t }')" 2.0
# §4.4 item 4 / §5: at beta = 2 the split on u_3 (stable, the largest modulus) from uniform data
runcfg ky_indefinite
check_eq "ky_indefinite: split on u_3" "$(outcome "$T/run_ky_indefinite")" split:3
# bistability (§4.4 item 4): data within 0.3 rad of +u_1 stay with the (stable) homogeneous state
runcfg ky_indefinite --set 'init.kind="cap"' --set init.angle=0.3 --set solver.t_final=60
check_eq "ky_indefinite, data near +u_1: homogeneous on u_1 (bistability, §4.4 item 4)" \
  "$(outcome "$T/run_ky_indefinite")" homogeneous:1
# below the bistability threshold only the homogeneous state at u_1 is stable (§4.4 items 1, 2)
runcfg ky_indefinite --set model.beta=0.3
check_eq "ky_indefinite, beta = 0.3 < 0.5365: homogeneous on u_1" "$(outcome "$T/run_ky_indefinite")" homogeneous:1
# §10 item 6: a = 0.5 < tanh(1): a split on the larger axis u_2 (seed 2)
runcfg bkkrw_threshold
check_eq "bkkrw_threshold: split on u_2 (§10 item 6)" "$(outcome "$T/run_bkkrw_threshold")" split:2
runcfg bkkrw_threshold --set 'model.spectrum=[0.9, 1.0]' --set solver.t_final=100
check_eq "bkkrw_threshold, a = 0.9 in [0.80, 1.17]: homogeneous on u_2 (§10 item 6)" \
  "$(outcome "$T/run_bkkrw_threshold")" homogeneous:2
# spec §8 S15, shortened to t = 300 (spec §6.4, S12: about k*(20) = 6 clusters form by t ~ 10/sigma*
# = 14, then merge one pair at a time): the energy never decreases (gradient flow, §3), a few
# clusters remain, and the state sits on a plateau (speed orders of magnitude below the ~0.1 of
# the formation phase)
runcfg metastable_circle --set solver.t_final=300
M=$T/run_metastable_circle/summary.tsv
check_ge "metastable_circle: at least 2 clusters at t = 300" "$(tsv clusters "$M")" 2
check_le "metastable_circle: at most k* + 2 = 8 clusters at t = 300" "$(tsv clusters "$M")" 8
check_le "metastable_circle: plateau speed < 1e-4" "$(tsv speed "$M")" 1e-4
check_ge "metastable_circle: energy nondecreasing (min rel increment >= -1e-9, §3)" \
  "$(tsv energy_min_rel_increment "$M")" -1e-9
for c in ky_dominant ky_negative_definite ky_indefinite bkkrw_threshold metastable_circle; do
  sim stability "configs/$c.cfg" --out "$T/stab_$c" --quiet --max-dim 200
  check_eq "stability configs/$c.cfg: exit 0" "$RC" 0
done
check_eq "bkkrw_threshold: stable classes = homogeneous and balanced split on u_2 (a < tanh 1)" \
  "$(awk -F'\t' '!/^#/ && NF && $8 == "stable" { printf "%s:%s ", $1, $3 }' "$T/stab_bkkrw_threshold/stability.tsv")" \
  "2:homogeneous 2:balanced "
check_eq "metastable_circle (V = I): every class neutral or unstable (degenerate spectrum, §4.4 item 5)" \
  "$(awk -F'\t' '!/^#/ && NF && $8 == "stable"' "$T/stab_metastable_circle/stability.tsv" | wc -l)" 0

summary
