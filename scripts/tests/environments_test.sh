#!/usr/bin/env bash
# Tests of the environment names in scripts/lib.sh (resolve_url) and of
# `smoke_test.sh NAME` resolving one. Run by .ci/ops-checks:
#   bash scripts/tests/environments_test.sh
# No server is needed: a name that resolves is shown by the URL curl fails to reach.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
scripts="$(dirname "$here")"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

passed=0; failed=0
expect() { # expect NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok   $1"
  else failed=$((failed + 1)); echo "FAIL $1: expected '$2', got '$3'"; fi
}
resolve() { # resolve TARGET [VAR=VALUE...]: resolve_url in a clean shell; prints URL or "exit N"
  local target="$1"; shift
  env -u THERMALIQ_URL -u THERMALIQ_ENVIRONMENTS -u THERMALIQ_URL_PRODUCTION "$@" \
    bash -c '. "$1/lib.sh"; url="$(resolve_url "$2" 2>/dev/null)"; s=$?; [ $s -eq 0 ] && printf "%s" "$url" || printf "exit %s" $s' \
    _ "$scripts" "$target"
}

# The committed file: the runbook's names.
expect "production from scripts/environments" "https://api.greenlang.io" "$(resolve production)"
expect "local from scripts/environments" "http://127.0.0.1:8080" "$(resolve local)"
expect "staging is defined" "https" "$(resolve staging | cut -d: -f1)"

# URLs and the default keep working as before.
expect "a URL is used as given, without its trailing slash" "http://10.1.2.3:9000" "$(resolve http://10.1.2.3:9000/)"
expect "no target: THERMALIQ_URL" "http://example.invalid:1" "$(resolve "" THERMALIQ_URL=http://example.invalid:1)"
expect "no target and no THERMALIQ_URL: the local default" "http://127.0.0.1:8080" "$(resolve "")"

# Another file, comments, blanks, spaces, CRLF line ends, a missing last newline.
printf '# test environments\n\n  prod-eu = https://eu.example.invalid/ \r\nqa=http://qa.example.invalid:8080\nbad=not-a-url\nlast=http://last.example.invalid' > "$tmp/envs"
expect "THERMALIQ_ENVIRONMENTS names another file" "https://eu.example.invalid" \
  "$(resolve prod-eu THERMALIQ_ENVIRONMENTS="$tmp/envs")"
expect "a second entry" "http://qa.example.invalid:8080" "$(resolve qa THERMALIQ_ENVIRONMENTS="$tmp/envs")"
expect "the last line without a newline" "http://last.example.invalid" "$(resolve last THERMALIQ_ENVIRONMENTS="$tmp/envs")"
expect "the other file replaces scripts/environments" "exit 2" "$(resolve production THERMALIQ_ENVIRONMENTS="$tmp/envs")"
expect "an entry that is not a URL is refused" "exit 2" "$(resolve bad THERMALIQ_ENVIRONMENTS="$tmp/envs")"
expect "a missing file is refused" "exit 2" "$(resolve production THERMALIQ_ENVIRONMENTS="$tmp/none")"
expect "an unknown name is refused" "exit 2" "$(resolve nowhere)"
expect "THERMALIQ_URL_<NAME> wins over the file" "http://override.example.invalid" \
  "$(resolve production THERMALIQ_URL_PRODUCTION=http://override.example.invalid/)"

msg="$(env -u THERMALIQ_URL_NOWHERE bash -c '. "$1/lib.sh"; resolve_url nowhere' _ "$scripts" 2>&1 >/dev/null)"
case "$msg" in *"known: production staging local"*) expect "the error lists the known names" ok ok ;;
  *) expect "the error lists the known names" "known: production staging local" "$msg" ;; esac

# smoke_test.sh resolves the name: it tries the file's URL (nothing listens there).
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
printf 'nothing=http://127.0.0.1:%s\n' "$port" > "$tmp/closed"
out="$(THERMALIQ_ENVIRONMENTS="$tmp/closed" bash "$scripts/smoke_test.sh" nothing --token t 2>&1)"; code=$?
expect "smoke_test.sh NAME fails (1) against the named URL when nothing answers" 1 "$code"
case "$out" in *"against http://127.0.0.1:$port"*) expect "smoke_test.sh reports the resolved URL" ok ok ;;
  *) expect "smoke_test.sh reports the resolved URL" "against http://127.0.0.1:$port" "$out" ;; esac
out="$(THERMALIQ_ENVIRONMENTS="$tmp/closed" bash "$scripts/smoke_test.sh" nowhere --token t 2>&1)"; code=$?
expect "smoke_test.sh with an unknown name exits 2" 2 "$code"

echo "environments: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
