# Shared helpers for the runbook scripts. Sourced, not run.
# URL:   --url, else THERMALIQ_URL, else http://127.0.0.1:8080
# Token: --token, else THERMALIQ_TOKEN, else TOKEN, else ./data/admin.token
# Environment names the runbook uses ("production", "staging") map to
# THERMALIQ_URL_PRODUCTION / THERMALIQ_URL_STAGING when set.

THERMALIQ_URL="${THERMALIQ_URL:-http://127.0.0.1:8080}"

resolve_url() {
  local target="$1"
  case "$target" in
    http://*|https://*) printf '%s' "${target%/}" ;;
    "") printf '%s' "${THERMALIQ_URL%/}" ;;
    *)
      local var="THERMALIQ_URL_$(printf '%s' "$target" | tr '[:lower:]-' '[:upper:]_')"
      if [ -n "${!var:-}" ]; then printf '%s' "${!var%/}"; else
        echo "unknown environment '$target': set $var or pass a URL" >&2; return 2
      fi ;;
  esac
}

resolve_token() {
  local given="$1"
  if [ -n "$given" ]; then printf '%s' "$given"; return; fi
  if [ -n "${THERMALIQ_TOKEN:-}" ]; then printf '%s' "$THERMALIQ_TOKEN"; return; fi
  if [ -n "${TOKEN:-}" ]; then printf '%s' "$TOKEN"; return; fi
  local file="${THERMALIQ_DATA_DIR:-./data}/admin.token"
  if [ -r "$file" ]; then tr -d '\n' < "$file"; return; fi
  echo "no token: pass --token, set THERMALIQ_TOKEN, or run from the directory holding data/admin.token" >&2
  return 2
}

# json_number FIELD < JSON: the first numeric value of "FIELD" in a compact JSON document.
json_number() {
  sed -n "s/.*\"$1\":\(-\{0,1\}[0-9][0-9.eE+-]*\).*/\1/p" | head -n 1
}

# json_string FIELD < JSON: the first string value of "FIELD".
json_string() {
  sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n 1
}
