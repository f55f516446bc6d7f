#!/usr/bin/env bash
# Smoke test of a running ThermalIQ: liveness, readiness, metrics, and one
# authenticated calculation read back by id.
#
#   scripts/smoke_test.sh [URL|ENVIRONMENT] [--token TOKEN]
#
# ENVIRONMENT is a name from scripts/environments (NAME=URL lines; another file
# with THERMALIQ_ENVIRONMENTS), e.g. the runbook's `./scripts/smoke_test.sh production`.
# Exit 0 when every check passes; 1 otherwise (each failure is printed); 2 when the
# URL or the token cannot be found.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

target=""; token_arg=""
while [ $# -gt 0 ]; do
  case "$1" in
    --token) token_arg="$2"; shift 2 ;;
    --url) target="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) target="$1"; shift ;;
  esac
done
base="$(resolve_url "$target")" || exit 2
token="$(resolve_token "$token_arg")" || exit 2

failures=0
check() { # name expected-status actual-status
  if [ "$2" = "$3" ]; then echo "ok   $1 ($3)"; else echo "FAIL $1: expected $2, got $3"; failures=$((failures + 1)); fi
}
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }

check "GET /health" 200 "$(status "$base/health")"
check "GET /v1/thermaliq/health" 200 "$(status "$base/v1/thermaliq/health")"
check "GET /ready" 200 "$(status "$base/ready")"
metrics="$(curl -s --max-time 10 "$base/metrics")"
if printf '%s' "$metrics" | grep -q '^thermaliq_calculation_requests_total'; then
  echo "ok   GET /metrics has thermaliq_calculation_requests_total"
else
  echo "FAIL GET /metrics lacks thermaliq_calculation_requests_total"; failures=$((failures + 1))
fi

body='{"facility_id":"FAC-SMOKE","time_period":{"start":"2025-11-01T00:00:00Z","end":"2025-11-01T01:00:00Z"},"energy_input":{"fuel":1000.0,"electricity":50.0},"energy_output":{"steam":750.0,"electricity":200.0}}'
response="$(curl -s --max-time 30 -w '\n%{http_code}' -X POST "$base/v1/thermaliq/calculate" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body")"
code="${response##*$'\n'}"; json="${response%$'\n'*}"
check "POST /v1/thermaliq/calculate" 201 "$code"
id="$(printf '%s' "$json" | json_string calculation_id)"
if [ -n "$id" ]; then
  check "GET /v1/thermaliq/calculations/$id" 200 \
    "$(status -H "Authorization: Bearer $token" "$base/v1/thermaliq/calculations/$id")"
  verdict="$(curl -s --max-time 10 -H "Authorization: Bearer $token" "$base/v1/thermaliq/calculations/$id/verify" | json_string verdict)"
  check "GET /v1/thermaliq/calculations/$id/verify verdict" intact "$verdict"
fi

if [ "$failures" -eq 0 ]; then echo "smoke test passed against $base"; exit 0; fi
echo "smoke test FAILED: $failures check(s) against $base"; exit 1
