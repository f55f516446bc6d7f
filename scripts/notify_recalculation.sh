#!/usr/bin/env bash
# Tell the owners of recalculated results what changed (runbook scenario 9,
# sub-procedure D). Reads the CSV the runbook writes with psql --csv
# (calculation_id,facility_id,created_at — header optional), finds each
# original's recalculation through the API, and prints one notice per
# facility with old and new efficiency. With NOTIFY_WEBHOOK_URL set, each
# notice is also POSTed there as JSON {"facility_id", "text"} (Slack-style
# incoming webhooks accept this shape).
#
#   scripts/notify_recalculation.sh FILE.csv [--url URL] [--token TOKEN]
#
# Exit 0 when every listed calculation was found (recalculated or not yet);
# 1 when some id is unknown or a webhook refused a notice.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

file=""; url_arg=""; token_arg=""
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url_arg="$2"; shift 2 ;;
    --token) token_arg="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) file="$1"; shift ;;
  esac
done
[ -n "$file" ] && [ -r "$file" ] || { echo "usage: $0 FILE.csv (readable CSV of calculation_id,facility_id,created_at)" >&2; exit 2; }
base="$(resolve_url "$url_arg")" || exit 2
token="$(resolve_token "$token_arg")" || exit 2
auth=(-H "Authorization: Bearer $token")

failures=0
declare -A notice
while IFS=, read -r calc_id facility_id _rest; do
  calc_id="$(printf '%s' "$calc_id" | tr -d '"\r ')"
  facility_id="$(printf '%s' "$facility_id" | tr -d '"\r ')"
  case "$calc_id" in CALC-*) ;; *) continue ;; esac   # header or blank line
  original="$(curl -s --max-time 30 "${auth[@]}" "$base/v1/thermaliq/calculations/$calc_id")"
  old_eff="$(printf '%s' "$original" | json_number efficiency)"
  if ! printf '%s' "$original" | grep -q '"calculation_id"'; then
    echo "FAIL $calc_id: not found"; failures=$((failures + 1)); continue
  fi
  page="$(curl -s --max-time 60 "${auth[@]}" "$base/v1/thermaliq/calculations?facility_id=$facility_id&limit=1000")"
  # The newest calculation naming this one as its original (summaries are newest first, one per line after splitting).
  newer="$(printf '%s' "$page" | sed 's/},{/}\n{/g' | grep "\"recalculated_from\":\"$calc_id\"" | head -n 1)"
  if [ -n "$newer" ]; then
    new_id="$(printf '%s' "$newer" | json_string calculation_id)"
    new_eff="$(printf '%s' "$newer" | json_number efficiency)"
    line="- $calc_id: ${old_eff:-n/a} % -> ${new_eff:-n/a} % (now $new_id)"
  else
    line="- $calc_id: ${old_eff:-n/a} % (recalculation pending)"
  fi
  notice[$facility_id]+="$line"$'\n'
done < "$file"

for facility_id in "${!notice[@]}"; do
  text="Recalculated thermal-efficiency results for $facility_id after an engine fix:"$'\n'"${notice[$facility_id]}"
  printf '%s\n' "$text"
  if [ -n "${NOTIFY_WEBHOOK_URL:-}" ]; then
    payload="$(printf '%s' "$text" | sed 's/\\/\\\\/g; s/"/\\"/g' | awk 'BEGIN{ORS="\\n"} {print}')"
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -X POST "$NOTIFY_WEBHOOK_URL" \
      -H 'Content-Type: application/json' -d "{\"facility_id\":\"$facility_id\",\"text\":\"$payload\"}")"
    case "$code" in 2??) ;; *) echo "FAIL webhook answered $code for $facility_id"; failures=$((failures + 1)) ;; esac
  fi
done
[ "$failures" -eq 0 ] && exit 0 || exit 1
