#!/usr/bin/env bash
# tests/fuzz/seeds.sh CORPUS -- fill the fuzz corpus folder with the seed inputs: every config in
# configs/ (and its subfolders), the config snippets of the command-line tests (the here-documents
# of tests/cli_*.sh) and the regression inputs in tests/fuzz/regressions/. Idempotent.
set -eu
corpus=${1:?usage: tests/fuzz/seeds.sh CORPUS_DIR}
mkdir -p "$corpus"
cd "$(dirname "$0")/../.."
find configs -name '*.cfg' -type f | while read -r f; do
  cp "$f" "$corpus/seed_$(echo "$f" | tr '/' '_')"
done
# Here-documents `cfg NAME <<'EOF' ... EOF` of the CLI tests: small, often invalid, configs.
for s in tests/cli_*.sh; do
  awk -v out="$corpus/seed_$(basename "$s" .sh)_" '
    /<<.?EOF.?$/ { n++; f = out n ".cfg"; inside = 1; next }
    /^EOF$/ { inside = 0; close(f); next }
    inside { print > f }' "$s"
done
for f in tests/fuzz/regressions/*; do
  [ -f "$f" ] && cp "$f" "$corpus/regression_$(basename "$f")"
done
echo "seeds.sh: $(ls "$corpus" | wc -l) inputs in $corpus"
