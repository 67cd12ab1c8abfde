#!/usr/bin/env bash
# Fails (exit 1) if a test listed in expected-pass.txt did not pass in the last run.
# Usage: check-expected.sh [results.txt]   (results: "PASS|FAIL|SKIP <ShortName>" lines)
set -euo pipefail
CONF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RESULTS=${1:-$CONF_DIR/reports/results.txt}
EXPECTED=$CONF_DIR/expected-pass.txt

# ShortNames, one per line; blank lines and # comments ignored.
mapfile -t want < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$EXPECTED" | grep -v '^$' || true)
if ((${#want[@]} == 0)); then
  echo "expected-pass: the list is empty, nothing to enforce"
  exit 0
fi
[[ -f $RESULTS ]] || { echo "expected-pass: no results at $RESULTS (did the suite run?)"; exit 1; }

missing=()
for t in "${want[@]}"; do
  grep -qx "PASS $t" "$RESULTS" || missing+=("$t ($(grep -E " $t\$" "$RESULTS" | cut -d' ' -f1 || true))")
done
if ((${#missing[@]})); then
  echo "expected-pass: ${#missing[@]} of ${#want[@]} expected tests did not pass:"
  printf '  - %s\n' "${missing[@]}" | sed 's/ ()$/ (not run)/'
  exit 1
fi
echo "expected-pass: all ${#want[@]} expected tests passed"
