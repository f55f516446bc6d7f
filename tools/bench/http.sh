#!/usr/bin/env bash
# Durable-write throughput of the real binary, side by side with /health in
# the same run: wrk (Debian's package) at CONNECTIONS keep-alive connections
# against `thermaliq serve` (release build) on SQLite, or on PostgreSQL when
# DATABASE_URL is set. Prints wrk's summaries; nothing here asserts a figure.
#
#   tools/bench/http.sh                 # SQLite under a temp data dir
#   DATABASE_URL=postgres://... tools/bench/http.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
PORT=${PORT:-18080}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet --bin thermaliq
data=$(mktemp -d)
export TOKEN="bench-admin-token-0123456789abcdef0123456789"
THERMALIQ_BIND=127.0.0.1:$PORT THERMALIQ_DATA_DIR="$data" THERMALIQ_BOOTSTRAP_TOKEN=$TOKEN \
  THERMALIQ_LOG=warn MAX_CONCURRENT_CALCULATIONS=256 \
  target/release/thermaliq serve >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$PORT"
cat >"$data/one.json" <<'JSON'
{"facility_id": "FAC-TEST-001",
 "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
 "energy_input": {"fuel": 1000.0, "electricity": 50.0},
 "energy_output": {"steam": 750.0, "electricity": 200.0}}
JSON
python3 - "$data/one.json" "$data/batch.json" <<'PY'
import json, sys
one = json.load(open(sys.argv[1]))
json.dump({"calculations": [one] * 1000}, open(sys.argv[2], "w"))
PY
echo "== GET /health ($CONNECTIONS connections, $DURATION)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$base/health"
echo "== POST /v1/thermaliq/calculate, durable ($CONNECTIONS connections, $DURATION)"
BODY_FILE="$data/one.json" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
  -s tools/bench/post.lua "$base/v1/thermaliq/calculate"
echo "== POST /v1/thermaliq/calculate/batch of 1000 (4 connections, $DURATION); calculations/s = requests/s x 1000"
BODY_FILE="$data/batch.json" wrk -t2 -c4 -d"$DURATION" --latency \
  -s tools/bench/post.lua "$base/v1/thermaliq/calculate/batch"
echo "== stored calculations"
curl -fs -H "Authorization: Bearer $TOKEN" "$base/metrics" | grep '^thermaliq_calculation_requests_total' || true
