#!/usr/bin/env bash
# tests/cli_bad_input.sh -- bad input to `bin/sim`: every case must exit with status 2 (invalid
# input, sim/main.c), say on stderr what is wrong (the file:line or the --set option, the key,
# and/or what is allowed), and write nothing: the --out folder must not exist afterwards, or must
# be exactly as it was. A few valid-but-unusual inputs (empty config, no semicolons) must run.
# Run from the repo root: BIN=bin/sim bash tests/cli_bad_input.sh
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
lib_setup

# cfg NAME: write stdin to $T/NAME.cfg (line numbers below refer to these here-documents).
cfg() { cat >"$T/$1.cfg"; }

# bad ID CONFIG NEEDLE... [-- EXTRA-RUN-ARGS...]
#   bin/sim run CONFIG --out $T/out.ID EXTRA...; exit 2, each NEEDLE on stderr (a fixed string,
#   or an extended regex when written re:REGEX), no --out folder afterwards.
bad() {
  local id=$1 conf=$2 nd failed=$LIB_FAIL
  shift 2
  local needles=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do needles+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  local out="$T/out.$id"
  sim run "$conf" --out "$out" "$@"
  check_eq "$id: exit status" "$RC" 2
  for nd in "${needles[@]}"; do
    if [[ $nd == re:* ]]; then
      check "$id: stderr matches /${nd#re:}/" has_re "${nd#re:}"
    else
      check "$id: stderr names '$nd'" has "$nd"
    fi
  done
  check "$id: --out folder not created" test ! -e "$out"
  [ "$LIB_FAIL" -ne "$failed" ] && show_stderr
}

# ---- unknown keys -----------------------------------------------------------------------------
cfg unknown_key <<'EOF'
model: {
  n = 16;
  bogus = 3;
};
EOF
# The message must list the allowed keys of the group (a few from sim/config.c's key table).
bad unknown-key-in-group "$T/unknown_key.cfg" "unknown_key.cfg:3:" "model.bogus" \
  "re:keys of group model.*normalization.*spectrum.*heads"

cfg unknown_top <<'EOF'
model: { n = 16; };
solvr: { t_final = 1.0; };
EOF
bad unknown-top-level-key "$T/unknown_top.cfg" "unknown_top.cfg:2:" "solvr" \
  "re:allowed:.*model.*init.*solver.*output.*classify"

cfg matrix_member <<'EOF'
model: {
  d = 3;
  V = { kind = "goe"; sed = 3; };
};
EOF
bad unknown-matrix-group-member "$T/matrix_member.cfg" "matrix_member.cfg:3:" "model.V" \
  "\"sed\"" "re:allowed:.*seed"

cfg matrix_name <<'EOF'
model: {
  d = 3;
  V = "gaussian";
};
EOF
bad unknown-matrix-name "$T/matrix_name.cfg" "matrix_name.cfg:3:" "model.V" "gaussian" \
  "re:allowed:.*identity"

# ---- wrong types --------------------------------------------------------------------------------
cfg n_string <<'EOF'
model: {
  n = "sixteen";
};
EOF
bad n-is-a-string "$T/n_string.cfg" "n_string.cfg:2:" "model.n" "integer"

cfg n_float <<'EOF'
model: {
  n = 16.0;
};
EOF
bad n-is-a-float "$T/n_float.cfg" "n_float.cfg:2:" "model.n" "integer"

cfg beta_bool <<'EOF'
model: {
  beta = true;
};
EOF
bad beta-is-a-bool "$T/beta_bool.cfg" "beta_bool.cfg:2:" "model.beta" "number"

cfg group_scalar <<'EOF'
model = 3;
EOF
bad group-is-a-number "$T/group_scalar.cfg" "group_scalar.cfg:1:" "model" "group"

# ---- out of range -------------------------------------------------------------------------------
cfg n0 <<'EOF'
model: {
  n = 0;
};
EOF
bad n-zero "$T/n0.cfg" "n0.cfg:2:" "model.n" "allowed"

cfg tiny <<'EOF'
model: { n = 16; d = 3; };
solver: { t_final = 0.5; };
output: { plots = false; };
EOF
bad n-negative "$T/tiny.cfg" "--set model.n=-5" "model.n" "allowed" -- --set model.n=-5

cfg d1 <<'EOF'
model: {
  n = 16;
  d = 1;
};
EOF
bad d-one "$T/d1.cfg" "d1.cfg:3:" "model.d" "allowed"

cfg beta_neg <<'EOF'
model: {
  beta = -1.0;
};
EOF
bad beta-negative "$T/beta_neg.cfg" "beta_neg.cfg:2:" "model.beta" "allowed"

bad rtol-zero "$T/tiny.cfg" "--set solver.rtol=0" "solver.rtol" "allowed" -- --set solver.rtol=0

cfg atol_neg <<'EOF'
solver: {
  atol = -1.0;
};
EOF
bad atol-negative "$T/atol_neg.cfg" "atol_neg.cfg:2:" "solver.atol" "allowed"

cfg tfinal0 <<'EOF'
solver: {
  t_final = 0.0;
};
EOF
bad t_final-zero "$T/tfinal0.cfg" "tfinal0.cfg:2:" "solver.t_final" "allowed"

cfg beta_inf <<'EOF'
model: {
  beta = 1e400;
};
EOF
# 1e400 overflows a double (strtod gives inf): the value must be refused as not finite.
bad beta-overflows-double "$T/beta_inf.cfg" "beta_inf.cfg:2:" "model.beta" "finite"

cfg every <<'EOF'
solver: { t_final = 1.0; };
output: { every = 1e-9; };
EOF
bad output-every-too-many-rows "$T/every.cfg" "every.cfg:2:" "output.every"

# ---- huge numbers --------------------------------------------------------------------------------
cfg n_huge <<'EOF'
model: {
  n = 99999999999;
};
EOF
# The message must show the value as written, not a truncated one.
bad n-huge "$T/n_huge.cfg" "n_huge.cfg:2:" "model.n" "99999999999"

cfg n_wrap <<'EOF'
model: {
  n = 4294967312;
};
solver: { t_final = 0.1; };
output: { plots = false; };
EOF
# 4294967312 = 2^32 + 16 > 1e8 (the limit of model.n): it must be refused, not read as 16.
sim run "$T/n_wrap.cfg" --out "$T/out.n_wrap" --quiet
check_eq "n-wraps-to-16: n = 4294967312 refused (exit status)" "$RC" 2
[ "$RC" = 0 ] && echo "    | ran with n = $(tsv n "$T/out.n_wrap/summary.tsv")"
sim run "$T/tiny.cfg" --out "$T/out.n_wrap_set" --quiet --set model.n=4294967312
check_eq "n-wraps-to-16-via-set: --set model.n=4294967312 refused (exit status)" "$RC" 2

cfg nd_big <<'EOF'
model: {
  n = 100000000;
  d = 1000;
};
EOF
bad n-times-d-too-large "$T/nd_big.cfg" "nd_big.cfg:2:" "model.n" "n * d"

# ---- matrices and vectors ------------------------------------------------------------------------
cfg v_rows <<'EOF'
model: {
  d = 3;
  V = ( [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0] );
};
EOF
bad matrix-two-rows-for-d3 "$T/v_rows.cfg" "v_rows.cfg:3:" "model.V" "rows"

cfg v_row <<'EOF'
model: {
  d = 3;
  V = ( [1.0, 0.0, 0.0],
        [0.0, 1.0],
        [0.0, 0.0, 1.0] );
};
EOF
bad matrix-short-row "$T/v_row.cfg" "v_row.cfg:4:" "model.V" "row 2"

cfg diag_short <<'EOF'
model: {
  d = 3;
  V = "diag(1.0, 2.0)";
};
EOF
bad diag-too-few-entries "$T/diag_short.cfg" "diag_short.cfg:3:" "model.V" "model.d"

cfg spectrum <<'EOF'
model: {
  d = 3;
  spectrum = [1.0, 2.0];
};
EOF
bad spectrum-wrong-length "$T/spectrum.cfg" "spectrum.cfg:3:" "model.spectrum" "model.d"

cfg basis <<'EOF'
model: {
  d = 2;
  spectrum = [1.0, -1.0];
  basis = ( [1.0, 0.0],
            [0.5, 1.0] );
};
EOF
bad basis-not-orthogonal "$T/basis.cfg" "basis.cfg:4:" "model.basis" "orthogonal"

cfg v_nan <<'EOF'
model: {
  d = 2;
  V = ( [1.0, nan],
        [0.0, 1.0] );
};
EOF
# libconfig has no nan literal: a malformed config, with the line of the `nan`.
bad nan-in-matrix "$T/v_nan.cfg" "v_nan.cfg:3:" "malformed"

cfg v_inf <<'EOF'
model: {
  d = 2;
  V = ( [1.0, 1e999],
        [0.0, 1.0] );
};
EOF
bad inf-in-matrix "$T/v_inf.cfg" "v_inf.cfg:3:" "model.V" "finite"

cfg center0 <<'EOF'
model: { d = 3; };
init: { kind = "cap";
  center = [0.0, 0.0, 0.0]; };
EOF
bad init-center-zero "$T/center0.cfg" "center0.cfg:3:" "init.center" "nonzero"

cfg q_spectrum <<'EOF'
model: {
  d = 2;
  spectrum = [1.0, -1.0];
  Q = "identity";
};
EOF
bad Q-with-spectrum "$T/q_spectrum.cfg" "q_spectrum.cfg:4:" "model.Q" "model.spectrum"

cfg a_q <<'EOF'
model: {
  d = 2;
  A = "identity";
  Q = "identity";
};
EOF
bad A-with-Q "$T/a_q.cfg" "a_q.cfg:3:" "re:\\bA\\b.*\\bQ\\b"

cfg heads0 <<'EOF'
model: {
  heads = ( );
};
EOF
bad heads-empty "$T/heads0.cfg" "heads0.cfg:2:" "model.heads"

cfg eig <<'EOF'
model: {
  eigen_coords = true;
};
EOF
bad eigen-coords-without-spectrum "$T/eig.cfg" "eig.cfg:2:" "model.eigen_coords" "model.spectrum"

# ---- malformed configs (libconfig's own errors, with its line number) ----------------------------
cfg no_open_brace <<'EOF'
model:
  n = 16;
};
EOF
bad missing-opening-brace "$T/no_open_brace.cfg" "no_open_brace.cfg:2:" "malformed"

cfg no_close_brace <<'EOF'
model: {
  n = 16;
EOF
# The error is found at the end of the file: libconfig reports a line at or past the last one.
bad missing-closing-brace "$T/no_close_brace.cfg" "re:no_close_brace.cfg:[23]: malformed"

cfg no_equals <<'EOF'
model: {
  n = 16;
  d 3;
};
EOF
bad missing-equals-sign "$T/no_equals.cfg" "no_equals.cfg:3:" "malformed"

cfg no_comma <<'EOF'
model: {
  d = 3;
  spectrum = [1.0, 2.0 3.0];
};
EOF
bad missing-comma-in-array "$T/no_comma.cfg" "no_comma.cfg:3:" "malformed"

cfg mixed <<'EOF'
model: {
  d = 3;
  spectrum = [1.0, 2, -1.0];
};
EOF
bad mixed-int-float-array "$T/mixed.cfg" "mixed.cfg:3:" "malformed"

cfg dup <<'EOF'
model: {
  n = 16;
  n = 17;
};
EOF
bad duplicate-key "$T/dup.cfg" "dup.cfg:3:" "malformed"

cfg badname <<'EOF'
name = "a/b";
EOF
bad name-with-slash "$T/badname.cfg" "badname.cfg:1:" "name"

# ---- choices ----------------------------------------------------------------------------------
cfg method <<'EOF'
solver: {
  method = "leapfrog";
};
EOF
bad unknown-solver-method "$T/method.cfg" "method.cfg:2:" "solver.method" "leapfrog" \
  "re:allowed:.*adams.*bdf"

cfg kind <<'EOF'
init: {
  kind = "gaussian";
};
EOF
bad unknown-init-kind "$T/kind.cfg" "kind.cfg:2:" "init.kind" "gaussian" \
  "re:allowed:.*uniform.*file"

cfg ortho <<'EOF'
model: { n = 5; d = 3; };
init: {
  kind = "orthonormal";
};
EOF
bad orthonormal-n-ne-d "$T/ortho.cfg" "ortho.cfg:3:" "init.kind" "orthonormal" "model.d"

cfg imode <<'EOF'
model: { d = 3; };
init: { kind = "pure_mode"; mode = 4; };
EOF
bad init-mode-above-d "$T/imode.cfg" "imode.cfg:2:" "init.mode" "model.d"

cfg window <<'EOF'
model: { n = 8; mask = "window";
  window = 9; };
EOF
bad window-wider-than-n "$T/window.cfg" "window.cfg:2:" "model.window" "model.n"

# Key table: 0 <= solver.max_order <= 12, but BDF's maximum order is 5: refused, and (as for every
# bad input) before the output folder is made.
bad bdf-max-order-12 "$T/tiny.cfg" "solver.max_order" \
  -- --set 'solver.method="bdf"' --set solver.max_order=12

# ---- USA overflow --------------------------------------------------------------------------------
cfg usa <<'EOF'
model: {
  n = 8;
  beta = 1000.0;
  normalization = "usa";
  A = "identity";
};
solver: { t_final = 0.1; };
output: { plots = false; };
EOF
# exp(beta * ||A||_2) = e^1000 overflows a double (spec sphere_dynamics.md §2.6).
bad usa-overflow "$T/usa.cfg" "model.usa_time" "rescaled"
sim run "$T/usa.cfg" --out "$T/out.usa_rescaled" --quiet --set 'model.usa_time="rescaled"'
check_eq "usa-overflow with usa_time = rescaled: exit status" "$RC" 0
check_eq "usa-overflow with usa_time = rescaled: summary time_unit" \
  "$(tsv time_unit "$T/out.usa_rescaled/summary.tsv")" rescaled_tau

# ---- init files ----------------------------------------------------------------------------------
cfg init_nofile <<'EOF'
init: {
  kind = "file";
};
EOF
bad init-file-missing-key "$T/init_nofile.cfg" "init_nofile.cfg:2:" "init.file"

cfg init_unreadable <<EOF
model: { n = 4; d = 3; };
init: { kind = "file"; file = "$T/does_not_exist.tsv"; };
EOF
bad init-file-unreadable "$T/init_unreadable.cfg" "init.file" "does_not_exist.tsv"

cfg init_dir <<EOF
model: { n = 4; d = 3; };
init: { kind = "file"; file = "$T"; };
EOF
bad init-file-is-a-directory "$T/init_dir.cfg" "init.file" "directory"

printf '0.3 0.1 0.9\n-0.2 0.7 0.4\n0.5 -0.5 0.1 0.8\n0.1 0.2 -0.9\n' >"$T/wide.tsv"
cfg init_wide <<EOF
model: { n = 4; d = 3; };
init: { kind = "file"; file = "$T/wide.tsv"; };
EOF
bad init-file-extra-column "$T/init_wide.cfg" "wide.tsv:3:" "model.d"

printf '0.3 0.1 0.9\n-0.2 0.7\n0.5 -0.5 0.1\n0.1 0.2 -0.9\n' >"$T/narrow.tsv"
cfg init_narrow <<EOF
model: { n = 4; d = 3; };
init: { kind = "file"; file = "$T/narrow.tsv"; };
EOF
bad init-file-missing-column "$T/init_narrow.cfg" "narrow.tsv:2:" "model.d"

printf '# a header line\n0.3 0.1 0.9\n-0.2 0.7 0.4\n' >"$T/short.tsv"
cfg init_short <<EOF
model: { n = 4; d = 3; };
init: { kind = "file"; file = "$T/short.tsv"; };
EOF
bad init-file-too-few-rows "$T/init_short.cfg" "short.tsv" "model.n"

printf '0.3 0.1 0.9\n-0.2 nan 0.4\n0.5 -0.5 0.1\n0.1 0.2 -0.9\n' >"$T/nan.tsv"
cfg init_nan <<EOF
model: { n = 4; d = 3; };
init: { kind = "file"; file = "$T/nan.tsv"; };
EOF
bad init-file-nan "$T/init_nan.cfg" "nan.tsv:2:" "finite"

# ---- the config file itself ----------------------------------------------------------------------
mkdir "$T/cfgdir"
bad config-is-a-directory "$T/cfgdir" "cfgdir" "directory"
bad config-does-not-exist "$T/nowhere.cfg" "nowhere.cfg"

# ---- --set ---------------------------------------------------------------------------------------
bad set-bad-value "$T/tiny.cfg" "--set model.beta=abc" "libconfig" -- --set model.beta=abc
bad set-empty-value "$T/tiny.cfg" "--set model.beta=" -- --set model.beta=
bad set-string-not-allowed "$T/tiny.cfg" "--set solver.method=" "solver.method" "allowed" \
  -- --set 'solver.method="leapfrog"'
bad set-unquoted-string "$T/tiny.cfg" "--set solver.method=bdf" "quotes" \
  -- --set solver.method=bdf
bad set-unknown-key "$T/tiny.cfg" "model.bogus" "re:keys of this group.*beta" \
  -- --set model.bogus=1
bad set-unknown-top-level-key "$T/tiny.cfg" "bogus" -- --set bogus=1
bad set-without-equals "$T/tiny.cfg" "model.beta" "KEY=VALUE" -- --set model.beta

# ---- the command line ----------------------------------------------------------------------------
bad unknown-option "$T/tiny.cfg" "--bogus" "re:allowed:.*--set.*--out" -- --bogus
bad two-configs "$T/tiny.cfg" "more than one config" -- "$T/unknown_top.cfg"

sim bogus
check_eq "unknown-command: exit status" "$RC" 2
check "unknown-command: stderr names it" has "bogus"
check "unknown-command: stderr lists the commands" has_re "run.*validate.*version"

sim
check_eq "no-command: exit status" "$RC" 2
check "no-command: usage on stderr" has "usage"

sim run
check_eq "run-without-config: exit status" "$RC" 2
check "run-without-config: stderr says so" has "no config"

sim run "$T/tiny.cfg" --out
check_eq "out-without-value: exit status" "$RC" 2
check "out-without-value: stderr names --out" has "--out"

sim run "$T/tiny.cfg" --out=
check_eq "out-empty: exit status" "$RC" 2
check "out-empty: stderr names --out" has "--out"

sim version extra
check_eq "version-with-argument: exit status" "$RC" 2

# ---- output folders that must stay as they were --------------------------------------------------
# A finished run's folder, then a second run there without --force: refused, folder unchanged.
sim run "$T/tiny.cfg" --out "$T/done" --quiet
check_eq "existing-results: first run exit status" "$RC" 0
before=$(snapshot "$T/done")
sim run "$T/tiny.cfg" --out "$T/done" --quiet --set model.beta=2
check_eq "existing-results: second run without --force: exit status" "$RC" 2
check "existing-results: stderr mentions --force" has "--force"
check_eq "existing-results: folder unchanged (summary.tsv and all)" "$(snapshot "$T/done")" \
  "$before"

# Bad input with an existing folder holding an unrelated file: the folder must stay as it was.
mkdir "$T/keep" && echo "not a run" >"$T/keep/notes.txt"
before=$(snapshot "$T/keep")
sim run "$T/n0.cfg" --out "$T/keep"
check_eq "bad-input-existing-folder: exit status" "$RC" 2
check_eq "bad-input-existing-folder: folder unchanged" "$(snapshot "$T/keep")" "$before"

# --out naming a regular file.
echo "a file" >"$T/plainfile"
sim run "$T/tiny.cfg" --out "$T/plainfile"
check_eq "out-is-a-file: exit status" "$RC" 2
check "out-is-a-file: stderr says it is not a folder" has "not a folder"
check_eq "out-is-a-file: file unchanged" "$(cat "$T/plainfile")" "a file"

# ---- valid inputs that look odd ------------------------------------------------------------------
# An empty file is a valid config: every key takes its default (bin/sim run --help: n 64, d 3,
# t_final 10).
: >"$T/empty.cfg"
sim run "$T/empty.cfg" --out "$T/out.empty" --quiet --set output.plots=false
check_eq "empty-config: exit status" "$RC" 0
check_eq "empty-config: default model.n" "$(tsv n "$T/out.empty/summary.tsv")" 64
check_eq "empty-config: default model.d" "$(tsv d "$T/out.empty/summary.tsv")" 3
check_eq "empty-config: default solver.t_final" "$(tsv t_final "$T/out.empty/summary.tsv")" 10

# libconfig's ';' terminators are optional: a config without them is valid, read as written.
cfg no_semicolons <<'EOF'
model: {
  n = 12
  d = 4
}
solver: { t_final = 0.5 }
output: { plots = false }
EOF
sim run "$T/no_semicolons.cfg" --out "$T/out.nosemi" --quiet
check_eq "no-semicolons: exit status" "$RC" 0
check_eq "no-semicolons: model.n read" "$(tsv n "$T/out.nosemi/summary.tsv")" 12
check_eq "no-semicolons: model.d read" "$(tsv d "$T/out.nosemi/summary.tsv")" 4

summary
