#!/usr/bin/env bash
# Validate stored calculations (runbook scenario 9, post-resolution): for the
# N most recent completed calculations, check that
#   - /verify says the stored row is intact and reproducible by today's engine, and
#   - the stored efficiency equals output / input x 100 of its own energy balance
#     within 0.1 % (relative), the runbook's tolerance.
#
#   scripts/validate_accuracy.sh [--sample-size N] [--url URL] [--token TOKEN] [--facility ID]
#
# Exit 0 when every sampled calculation passes; 1 otherwise (each failure printed).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

size=100; url_arg=""; token_arg=""; facility=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sample-size) size="$2"; shift 2 ;;
    --url) url_arg="$2"; shift 2 ;;
    --token) token_arg="$2"; shift 2 ;;
    --facility) facility="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$size" in ''|*[!0-9]*|0) echo "--sample-size must be a whole number from 1 to 1000" >&2; exit 2 ;; esac
[ "$size" -le 1000 ] || { echo "--sample-size must be at most 1000" >&2; exit 2; }
base="$(resolve_url "$url_arg")" || exit 2
token="$(resolve_token "$token_arg")" || exit 2
auth=(-H "Authorization: Bearer $token")

query="status=completed&limit=$size"
[ -n "$facility" ] && query="$query&facility_id=$facility"
list="$(curl -s --max-time 60 "${auth[@]}" "$base/v1/thermaliq/calculations?$query")"
ids="$(printf '%s' "$list" | grep -o '"calculation_id":"CALC-[0-9A-Za-z]*"' | sed 's/.*"\(CALC-[^"]*\)"/\1/')"
if [ -z "$ids" ]; then
  echo "no completed calculations to validate at $base"; exit 0
fi

checked=0; failures=0
for id in $ids; do
  checked=$((checked + 1))
  calc="$(curl -s --max-time 30 "${auth[@]}" "$base/v1/thermaliq/calculations/$id")"
  eff="$(printf '%s' "$calc" | json_number efficiency)"
  input="$(printf '%s' "$calc" | json_number total_input_kwh)"
  output="$(printf '%s' "$calc" | json_number total_output_kwh)"
  verdict="$(curl -s --max-time 30 "${auth[@]}" "$base/v1/thermaliq/calculations/$id/verify" | json_string verdict)"
  problem=""
  [ "$verdict" = "intact" ] || problem="verify says '$verdict'"
  if [ -z "$problem" ] && ! awk -v e="$eff" -v i="$input" -v o="$output" \
      'BEGIN { if (i <= 0) exit 1; x = o / i * 100; d = (e - x) / x; if (d < 0) d = -d; exit !(d <= 0.001) }'; then
    problem="efficiency $eff % is not output/input = $output/$input within 0.1 %"
  fi
  if [ -n "$problem" ]; then
    echo "FAIL $id: $problem"; failures=$((failures + 1))
  fi
done
if [ "$failures" -eq 0 ]; then
  echo "all $checked sampled calculation(s) are intact, reproducible and accurate within 0.1 %"; exit 0
fi
echo "$failures of $checked sampled calculation(s) FAILED"; exit 1
