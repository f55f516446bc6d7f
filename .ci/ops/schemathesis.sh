#!/usr/bin/env bash
# Property-based API test (schemathesis) against the served OpenAPI document:
# starts the thermaliq binary on a temporary SQLite data dir with a bootstrap
# admin token and runs `schemathesis run` over every documented operation,
# checking that no input gets a 5xx (bad input is a 4xx naming the field) and
# that every response conforms to its documented schema.
#
#   bash .ci/ops/schemathesis.sh [path/to/thermaliq]    # default target/debug/thermaliq
#
# Bounded to about 2 minutes: few examples per operation, `timeout 120`.
# Excluded: `DELETE /admin/tokens/{name}` (destructive: a generated name can be
# the bootstrap token's own, revoking the credentials of the rest of the run).
# Needs schemathesis (pinned in .ci/run's "test peers" step) and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$(realpath "${1:-target/debug/thermaliq}")"
command -v schemathesis >/dev/null || { echo "schemathesis is not installed (pip install schemathesis)"; exit 1; }
work="$(mktemp -d -t thermaliq-st-XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
token="st-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
base="http://127.0.0.1:$port"
env -i PATH="$PATH" HOME="$work" THERMALIQ_BIND="127.0.0.1:$port" THERMALIQ_DATA_DIR="$work" \
  THERMALIQ_BOOTSTRAP_TOKEN="$token" "$bin" serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$base/health" >/dev/null || { cat "$work/server.log"; echo "thermaliq did not start"; exit 1; }

status=0
# Run from the temp dir: schemathesis keeps its example database in ./.schemathesis.
(cd "$work" && timeout 120 schemathesis run "$base/v1/thermaliq/openapi.json" \
  --url "$base" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-20}" \
  --seed "${SCHEMATHESIS_SEED:-1}" \
  --request-timeout 10 \
  --exclude-method DELETE \
  --no-color) || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (last 40 lines)"; tail -n 40 "$work/server.log"
fi
exit "$status"
