#!/usr/bin/env bash
# Validate stored calculations (runbook scenario 9, post-resolution): for the
# N most recent completed calculations, recompute each one independently of the
# server that stored it:
#   - the formula: efficiency = sum(output flows) / sum(input flows) x 100, summed
#     here from the stored energy_flows (not read from the row's own balance);
#   - the offline engine: the stored flows as a request to a local
#     `thermaliq calculate -` (THERMALIQ_BIN, else `thermaliq` on PATH, else
#     target/{release,debug}/thermaliq), whose efficiency must match;
#   - and the server's /verify (stored hashes intact, reproducible by its engine).
# Tolerance 0.1 % (relative), the runbook's. Needs curl and python3.
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
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
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

bin="${THERMALIQ_BIN:-}"
if [ -z "$bin" ]; then
  bin="$(command -v thermaliq || true)"
  for candidate in "$here/../target/release/thermaliq" "$here/../target/debug/thermaliq"; do
    [ -z "$bin" ] && [ -x "$candidate" ] && bin="$candidate"
  done
fi
[ -n "$bin" ] || { echo "no thermaliq binary for the offline recomputation (set THERMALIQ_BIN)" >&2; exit 2; }

# recompute.py CALCULATION_JSON OFFLINE_RESULT_JSON: prints a problem, or nothing.
recompute() {
  python3 - "$1" "$2" <<'PY'
import json, sys
calc, offline = json.loads(sys.argv[1]), json.loads(sys.argv[2] or "null")
tol = 0.001
def close(a, b):
    return a is not None and b is not None and abs(a - b) <= tol * abs(b)
flows = calc.get("energy_flows") or {}
total_in = sum(flows.get("inputs", {}).values())
total_out = sum(flows.get("outputs", {}).values())
stored = calc.get("efficiency")
if total_in <= 0:
    print(f"stored inputs sum to {total_in} kWh"); sys.exit()
formula = total_out / total_in * 100
if not close(stored, formula):
    print(f"efficiency {stored} % is not sum(outputs)/sum(inputs) = {total_out}/{total_in} = {formula:.6f} %"); sys.exit()
engine = (offline or {}).get("efficiency")
if not close(stored, engine):
    print(f"efficiency {stored} % but the offline engine gives {engine} % for the stored flows"); sys.exit()
PY
}
# request.py CALCULATION_JSON: the stored flows as an inline calculation request.
as_request() {
  python3 - "$1" <<'PY'
import json, sys
c = json.loads(sys.argv[1])
f = c.get("energy_flows") or {}
print(json.dumps({"facility_id": c["facility_id"], "time_period": c["time_period"],
                  "energy_input": f.get("inputs", {}), "energy_output": f.get("outputs", {})}))
PY
}

checked=0; failures=0
for id in $ids; do
  checked=$((checked + 1))
  calc="$(curl -s --max-time 30 "${auth[@]}" "$base/v1/thermaliq/calculations/$id")"
  verdict="$(curl -s --max-time 30 "${auth[@]}" "$base/v1/thermaliq/calculations/$id/verify" | json_string verdict)"
  problem=""
  [ "$verdict" = "intact" ] || problem="verify says '$verdict'"
  if [ -z "$problem" ]; then
    # Lenient: the offline run reports the efficiency whatever the local settings.
    offline="$(as_request "$calc" | CALCULATION_MODE=lenient "$bin" calculate - 2>/dev/null)"
    problem="$(recompute "$calc" "$offline")"
  fi
  if [ -n "$problem" ]; then
    echo "FAIL $id: $problem"; failures=$((failures + 1))
  fi
done
if [ "$failures" -eq 0 ]; then
  echo "all $checked sampled calculation(s) are intact and recomputed independently within 0.1 % (formula and offline engine)"; exit 0
fi
echo "$failures of $checked sampled calculation(s) FAILED"; exit 1
