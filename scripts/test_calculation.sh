#!/usr/bin/env bash
# Submit the runbook's test calculation and check the answer.
#
#   scripts/test_calculation.sh [--url URL] [--token TOKEN] [--facility ID]
#                               [--count N] [--verify-accuracy] [--inline|--with-history]
#                               [--start T --end T]
#
#   --facility ID       the facility to test. With it (the runbook's
#                       `--facility FAC-001`), the facility's own data path is
#                       exercised: the request carries only facility_id and
#                       time_period, so the efficiency comes from its stored
#                       meter readings. Without it: FAC-TEST-001 and the runbook's
#                       inline case.
#   --inline            the runbook's inline case, also with --facility
#   --with-history      from stored readings, also without --facility
#   --start T, --end T  the period (RFC 3339; default 2025-11-01T00:00:00Z to
#                       01:00, the hour docs/examples seeds)
#   --count N           submit N calculations (default 1); all must succeed
#   --verify-accuracy   inline: check each efficiency against the runbook's expected
#                       (750 + 200) / (1000 + 50) = 90.476 % within 0.1 % (relative);
#                       from readings: check it is sum(outputs)/sum(inputs) of the
#                       flows the server aggregated (python3)
#
# Exit 0 when every calculation succeeded (and was accurate); 1 otherwise.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

url_arg=""; token_arg=""; facility="FAC-TEST-001"; count=1; verify=0; history=""
start="2025-11-01T00:00:00Z"; end="2025-11-01T01:00:00Z"
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url_arg="$2"; shift 2 ;;
    --token) token_arg="$2"; shift 2 ;;
    --facility) facility="$2"; [ -n "$history" ] || history=1; shift 2 ;;
    --inline) history=0; shift ;;
    --start) start="$2"; shift 2 ;;
    --end) end="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --verify-accuracy) verify=1; shift ;;
    --with-history) history=1; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$count" in ''|*[!0-9]*|0) echo "--count must be a whole number >= 1" >&2; exit 2 ;; esac
[ -n "$history" ] || history=0
base="$(resolve_url "$url_arg")" || exit 2
token="$(resolve_token "$token_arg")" || exit 2

expected="90.47619047619048"   # (750 + 200) / (1000 + 50) * 100
period="\"time_period\":{\"start\":\"$start\",\"end\":\"$end\"}"
if [ "$history" -eq 1 ]; then
  body="{\"facility_id\":\"$facility\",$period}"
else
  body="{\"facility_id\":\"$facility\",$period,\"energy_input\":{\"fuel\":1000.0,\"electricity\":50.0},\"energy_output\":{\"steam\":750.0,\"electricity\":200.0}}"
fi

failures=0
for n in $(seq 1 "$count"); do
  response="$(curl -s --max-time 60 -w '\n%{http_code}' -X POST "$base/v1/thermaliq/calculate" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body")"
  code="${response##*$'\n'}"; json="${response%$'\n'*}"
  if [ "$code" != "201" ]; then
    echo "[$n/$count] FAIL HTTP $code: $json"; failures=$((failures + 1)); continue
  fi
  id="$(printf '%s' "$json" | json_string calculation_id)"
  efficiency="$(printf '%s' "$json" | json_number efficiency)"
  source="inline case"; [ "$history" -eq 1 ] && source="stored readings $start to $end"
  line="[$n/$count] $id facility=$facility ($source) efficiency=$efficiency %"
  if [ "$verify" -eq 1 ] && [ "$history" -eq 0 ]; then
    if awk -v e="$efficiency" -v x="$expected" 'BEGIN { d = (e - x) / x; if (d < 0) d = -d; exit !(d <= 0.001) }'; then
      echo "$line accurate (expected $expected within 0.1 %)"
    else
      echo "$line INACCURATE (expected $expected within 0.1 %)"; failures=$((failures + 1))
    fi
  elif [ "$verify" -eq 1 ]; then
    # From readings there is no published answer: check the efficiency
    # against the aggregated flows the response carries, summed here.
    if printf '%s' "$json" | python3 -c '
import json, sys
c = json.load(sys.stdin); f = c["energy_flows"]
i, o = sum(f["inputs"].values()), sum(f["outputs"].values())
sys.exit(0 if i > 0 and abs(c["efficiency"] - o / i * 100) <= 0.001 * abs(o / i * 100) else 1)'; then
      echo "$line consistent with its aggregated flows"
    else
      echo "$line INCONSISTENT with its aggregated flows"; failures=$((failures + 1))
    fi
  else
    echo "$line"
  fi
done
if [ "$failures" -eq 0 ]; then echo "all $count calculation(s) passed"; exit 0; fi
echo "$failures of $count calculation(s) FAILED"; exit 1
