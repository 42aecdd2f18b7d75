#!/usr/bin/env bash
# demo.sh — feed the 50 labelled dev calls in ../shared/calls/dev into a
# running `scripts/callscribe serve`, so the review UI has proposals and
# triage items to work on.
#   scripts/demo.sh [FOLDER [HOW_MANY]]     e.g. scripts/demo.sh ../shared/calls/dev 10
#
# Each call gets metadata with an NHS *test* number (the 999 range is
# reserved for testing and never issued to a patient), because a record
# entry needs an NHS number: without one a confirm is refused.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dev=${1:-$here/../shared/calls/dev}
limit=${2:-0}
meta=$(mktemp -d)
trap 'rm -rf "$meta"' EXIT

# nhs_test_number N: 999 followed by six digits of N and the modulus-11 check
# digit; returns 1 when N gives no valid check digit (then the next N is used).
nhs_test_number() {
  local body sum=0 i check
  body=$(printf '999%06d' "$1")
  for i in 0 1 2 3 4 5 6 7 8; do sum=$(( sum + ${body:$i:1} * (10 - i) )); done
  check=$(( 11 - sum % 11 )); [ $check -eq 11 ] && check=0
  [ $check -eq 10 ] && return 1
  echo "$body$check"
}

n=0
files=()
for wav in "$dev"/call-*.wav; do
  id=$(basename "$wav" .wav)
  until nhs=$(nhs_test_number $n); do n=$((n + 1)); done
  n=$((n + 1))
  cat > "$meta/$id.json" <<JSON
{"id": "$id", "started_at": "$(date -u -d "-$n hours" +%Y-%m-%dT%H:%M:%SZ)", "line": "spa-main",
 "handler_id": "demo", "nhs_number": "$nhs", "recording_consent": true}
JSON
  files+=("$wav")
  [ "$limit" -gt 0 ] && [ "${#files[@]}" -ge "$limit" ] && break
done
# Ingesting needs no whisper.cpp: a plain host build does it.
(cd "$here" && go build -o "$meta/callscribe" ./cmd/callscribe)
for wav in "${files[@]}"; do
  id=$(basename "$wav" .wav)
  "$meta/callscribe" ingest -meta "$meta/$id.json" "$wav" 2>/dev/null
done
echo "demo: ${#files[@]} calls queued; watch them in the review UI, or with 'scripts/callscribe status call-0003' after 'scripts/callscribe login'" >&2
