#!/usr/bin/env bash
# tests/cli_validate.sh -- `bin/sim validate`: the quick catalogue passes (exit 0) and writes its
# report (report.md with the table and the figures it names, report.tsv with one row per claim);
# --list prints ID, family, statement and source; --only runs one claim; an unknown ID, an
# unknown option and a missing value are refused with exit 2 before anything is written.
# This runs `validate --quick` inside `make test` (issue 5; about 15 s on 2 cores).
# Run from the repo root: BIN=bin/sim bash tests/cli_validate.sh
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
lib_setup

# Data rows of a report.tsv.
rows() { grep -c -v -E '^(#|[[:space:]]*$)' "$1"; }

# ==== 1. --list and --help =========================================================================
sim validate --help
check_eq "--help: exit 0" "$RC" 0
check "--help: documents --only" has "--only" "$T/stdout"
sim validate --list
check_eq "--list: exit 0" "$RC" 0
L=$T/list
cp "$T/stdout" "$L"
check "--list: header ID family quick statement source" has_re '^ID +family +quick +statement +\[source\]' "$L"
nall=$(($(wc -l <"$L") - 1))
nquick=$(awk 'NR > 1 && $3 == "yes"' "$L" | wc -l)
check_ge "--list: at least 30 claims" "$nall" 30
check_ge "--list: quick claims" "$nquick" 20
# the claims of issue 5: spec §10 items 1-10, 13-15, 17, 18, §8 S5, S6, Kuehn-Yoon's statements
# (§12), the mixed equilibria (§13) and the local criteria by simulation
for id in SD-10.1 SD-10.2 SD-10.3 SD-10.4 SD-10.5 SD-10.6 SD-10.7 SD-10.8 SD-10.9 SD-10.10 \
  SD-10.13 SD-10.14 SD-10.15 SD-10.17 SD-10.18 SD-S5 SD-S6 KY-T5.2 KY-SIGMA KY-T6.1 KY-N2 SD-13 \
  KY-LOCAL; do
  check "--list: claim $id" has_re "^$id +[a-z-]+ +(yes|no) +.+ +\\[.+\\]$" "$L"
done
check_eq "--list: every line has a source in brackets" "$(awk 'NR > 1' "$L" | grep -c -v -E '\[.+\]$')" 0
check_eq "--list: IDs are unique" "$(awk 'NR > 1 { print $1 }' "$L" | sort | uniq -d | wc -l)" 0
sim validate --list --only KY-N2
check_eq "--list --only: one line" "$(($(wc -l <"$T/stdout") - 1))" 1

# ==== 2. --quick: every quick claim passes, report.md and report.tsv ===============================
V=$T/v
sim validate --quick --out "$V"
check_eq "--quick: exit 0 (every quick claim passed)" "$RC" 0
if [ "$RC" != 0 ]; then grep -E '^FAIL' "$T/stdout" | sed 's/^/    | /'; fi
check "--quick: last line N passed, 0 failed" has_re "^$nquick passed, 0 failed$" "$T/stdout"
check "--quick: writes report.md" test -s "$V/report.md"
check "--quick: writes report.tsv" test -s "$V/report.tsv"
check "--quick: no temporary files left" test -z "$(find "$V" -name '.*.tmp')"
check_eq "report.tsv: one row per quick claim" "$(rows "$V/report.tsv")" "$nquick"
check_eq "report.tsv: 8 tab-separated columns" "$(awk -F'\t' '!/^#/ && NF { print NF }' "$V/report.tsv" | sort -u)" 8
check_eq "report.tsv: every verdict PASS" "$(awk -F'\t' '!/^#/ && NF { print $3 }' "$V/report.tsv" | sort -u)" PASS
check_eq "report.tsv: the quick IDs of --list" \
  "$(awk -F'\t' '!/^#/ && NF { print $1 }' "$V/report.tsv" | sort | tr '\n' ' ')" \
  "$(awk 'NR > 1 && $3 == "yes" { print $1 }' "$L" | sort | tr '\n' ' ')"
check_eq "report.tsv: expected and measured filled in" \
  "$(awk -F'\t' '!/^#/ && NF && ($4 == "" || $5 == "")' "$V/report.tsv" | wc -l)" 0
check "report.md: the table header" has "| ID | family | statement | source | expected | measured | verdict |" "$V/report.md"
check_eq "report.md: one table row per claim" "$(grep -c -E '^\| [A-Z0-9]+-[^|]+ \| ' "$V/report.md")" "$nquick"
# validate.c escapes '|' in expected / measured but not in the statement, and the statements of
# SD-10.1 and SD-10.2 contain '|' (reported to the lead): checked on the other families' rows
check_eq "report.md: 7 cells in the rows of the pure-mode, Kuehn-Yoon and equilibria claims" \
  "$(grep -E '^\| [A-Z0-9]+-[^|]+ \| (pure-modes|kuehn-yoon|equilibria) \|' "$V/report.md" |
     awk -F'|' '{ print NF - 2 }' | sort -u)" 7
check "report.md: the totals line" has "**$nquick passed, 0 failed**" "$V/report.md"
# figures of the claims with a natural one (issue 5): the files named in report.md exist
figs=$(grep -o -E '!\[[^]]*\]\([^)]+\)' "$V/report.md" | sed -E 's/.*\((.*)\)/\1/')
check_ge "report.md: figures" "$(echo "$figs" | grep -c png)" 3
for f in $figs; do check "figure $f exists" test -s "$V/$f"; done
for id in KY-LOCAL KY-T6.1 SD-13; do check "report.md: figure of $id" has "![${id}](" "$V/report.md"; done

# ==== 3. --only ====================================================================================
sim validate --only SD-10.5 --out "$T/one"
check_eq "--only SD-10.5: exit 0" "$RC" 0
check_eq "--only: report.tsv has that claim only" \
  "$(awk -F'\t' '!/^#/ && NF { print $1 ":" $3 }' "$T/one/report.tsv")" "SD-10.5:PASS"
sim validate --only SD-S6,KY-SIGMA --out "$T/two"
check_eq "--only two IDs: 2 rows" "$(rows "$T/two/report.tsv")" 2
# a claim outside --quick runs when asked by --only (SD-S6 is quick; the slow ones are in make
# validate, which runs the whole catalogue)
check_ge "--list: claims outside --quick exist (make validate runs them)" "$((nall - nquick))" 1

# ==== 4. refusals ==================================================================================
sim validate --only NOPE-1 --out "$T/bad"
check_eq "unknown ID: exit 2" "$RC" 2
check "unknown ID: message" has 'no claim with ID "NOPE-1"'
check "unknown ID: nothing written" test ! -e "$T/bad"
sim validate --only SD-10.5,NOPE-2 --out "$T/bad"
check_eq "one unknown ID among known ones: exit 2" "$RC" 2
check "one unknown ID: nothing written" test ! -e "$T/bad"
sim validate --bogus
check_eq "unknown option: exit 2" "$RC" 2
check "unknown option: message" has 'unknown or incomplete option "--bogus"'
sim validate --only
check_eq "--only without a value: exit 2" "$RC" 2

# A failing claim must give a non-zero exit (validate.c: exit 1 when a claim fails). Testing it
# would need a claim that cannot pass in the catalogue, which the catalogue must not contain.
skip "a failing claim exits 1" "no failing claim in the catalogue to provoke it with"

summary
