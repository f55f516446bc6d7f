# shellcheck shell=bash
# Shared helpers for the runbook scripts. Sourced, not run.
# URL:   --url (a URL or an environment name), else THERMALIQ_URL, else http://127.0.0.1:8080
# Token: --token, else THERMALIQ_TOKEN, else TOKEN, else ./data/admin.token
# An environment name ("production", "staging", "local", as in the runbook's
# `./scripts/smoke_test.sh production`) is looked up in
#   1. THERMALIQ_URL_<NAME> (e.g. THERMALIQ_URL_PRODUCTION), when set;
#   2. the environments file: THERMALIQ_ENVIRONMENTS, else scripts/environments
#      (NAME=URL lines; blank lines and # comments are ignored).

THERMALIQ_URL="${THERMALIQ_URL:-http://127.0.0.1:8080}"
THERMALIQ_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# environment_url NAME: the URL of NAME in the environments file (status 1 if absent,
# 2 if the file is unreadable or the entry is not a URL).
environment_url() {
  local name="$1" file="${THERMALIQ_ENVIRONMENTS:-$THERMALIQ_LIB_DIR/environments}"
  if [ ! -r "$file" ]; then
    echo "environments file $file is not readable (THERMALIQ_ENVIRONMENTS)" >&2; return 2
  fi
  local line key value n=0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line="${line%$'\r'}"
    case "$line" in ''|'#'*) continue ;; esac
    key="${line%%=*}"; value="${line#*=}"
    key="$(printf '%s' "$key" | tr -d '[:space:]')"
    value="$(printf '%s' "$value" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')"
    [ "$key" = "$name" ] || continue
    case "$value" in
      http://*|https://*) printf '%s' "${value%/}"; return 0 ;;
      *) echo "$file:$n: '$name' is not a URL: '$value'" >&2; return 2 ;;
    esac
  done < "$file"
  return 1
}

# environment_names: the names the environments file defines, space-separated.
environment_names() {
  local file="${THERMALIQ_ENVIRONMENTS:-$THERMALIQ_LIB_DIR/environments}"
  [ -r "$file" ] || return 0
  sed -n 's/^[[:space:]]*\([A-Za-z0-9_.-]\{1,\}\)[[:space:]]*=.*/\1/p' "$file" | tr '\n' ' '
}

resolve_url() {
  local target="$1"
  case "$target" in
    http://*|https://*) printf '%s' "${target%/}" ;;
    "") printf '%s' "${THERMALIQ_URL%/}" ;;
    *)
      local var
      var="THERMALIQ_URL_$(printf '%s' "$target" | tr '[:lower:].-' '[:upper:]__')"
      if [ -n "${!var:-}" ]; then printf '%s' "${!var%/}"; return 0; fi
      local url status
      url="$(environment_url "$target")"; status=$?
      case "$status" in
        0) printf '%s' "$url" ;;
        1) echo "unknown environment '$target': not in ${THERMALIQ_ENVIRONMENTS:-$THERMALIQ_LIB_DIR/environments} (known: $(environment_names)); set $var or pass a URL" >&2
           return 2 ;;
        *) return 2 ;;
      esac ;;
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
