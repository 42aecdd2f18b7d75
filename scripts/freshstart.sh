#!/usr/bin/env bash
# freshstart.sh — the README's quick start on a fresh machine, timed.
#
# A fresh copy of the checkout (tracked and untracked files, nothing ignored:
# what a clone holds, plus uncommitted work) with ../shared beside it, an
# empty HOME and empty Go module and build caches, and no sid root or model:
# everything the quick start needs is fetched and built as a new operator's
# first run would. Then, exactly as the README says:
#   scripts/callscribe serve                     (until /healthz answers)
#   scripts/callscribe ingest ../shared/calls/dev/call-0003.wav   (until transcribed)
#   scripts/callscribe login -user clinician     (initial password from serve)
#   scripts/callscribe status call-0003
# A developer's warm caches hide first-run failures (the sid root once lacked
# the CA that the module proxy needs); this is the check that they do not.
# CI runs it (.ci/run). Uses serve's default ports: 4222, 8080, 9464.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$here/.." && pwd)/shared
limit=${FRESHSTART_LIMIT_S:-1800}

for port in 4222 8080 9464; do
  if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "freshstart: port $port is in use; stop what listens there (a running serve?) and rerun" >&2
    exit 1
  fi
done

work=$(mktemp -d /var/tmp/callscribe-fresh.XXXXXX)
log=$work/serve.log
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  [ -n "${KEEP_FRESH:-}" ] && { echo "freshstart: kept $work" >&2; return; }
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/home" "$work/main"
(cd "$here" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -C "$work/main" -xf -
git -C "$work/main" init -q && git -C "$work/main" add -A && git -C "$work/main" -c user.name=fresh -c user.email=fresh@localhost commit -qm fresh
[ -d "$shared" ] && ln -s "$shared" "$work/shared"

# An empty HOME; the Go caches, the sid root and the model cache all live
# under it by default, so unsetting their variables empties them too.
unset GOMODCACHE GOCACHE GOPATH CALLSCRIBE_SIDROOT CALLSCRIBE_MODEL_CACHE CALLSCRIBE_MODEL XDG_CACHE_HOME XDG_CONFIG_HOME
export HOME=$work/home
cd "$work/main"

t0=$(date +%s)
elapsed() { echo $(($(date +%s) - t0)); }
scripts/callscribe serve >"$log" 2>&1 &
serve_pid=$!
until scripts/callscribe health >/dev/null 2>&1; do
  if ! kill -0 "$serve_pid" 2>/dev/null; then
    echo "freshstart: serve exited before it was healthy; its last lines:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  if [ "$(elapsed)" -gt "$limit" ]; then
    echo "freshstart: serve not healthy after ${limit}s; its last lines:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  sleep 2
done
healthy=$(elapsed)
echo "freshstart: serve healthy ${healthy}s after a cold start" >&2

scripts/callscribe ingest -wait 15m ../shared/calls/dev/call-0003.wav >"$work/result.txt"
first=$(elapsed)
grep -q '^label: ' "$work/result.txt" || { echo "freshstart: ingest -wait printed no decision:" >&2; cat "$work/result.txt" >&2; exit 1; }
# People's commands go through the web UI as a signed-in person: the
# clinician account serve created on first start, with its initial password.
pw=$(awk -F'\t' '$1 == "clinician" {print $3}' "$HOME/.config/callscribe/accounts.json.initial-passwords")
CALLSCRIBE_PASSWORD=$pw scripts/callscribe login -user clinician >&2
# status reads a transcript: the server audits the read before it answers.
scripts/callscribe status call-0003 >"$work/status.txt" 2>&1
head -n 3 "$work/status.txt" >&2
if ! grep -q '^label: ' "$work/status.txt" || ! grep -q '^transcript (' "$work/status.txt"; then
  echo "freshstart: status did not show the clinician the call and its transcript:" >&2
  grep -v '^  \[' "$work/status.txt" >&2
  exit 1
fi
echo "freshstart: first call transcribed ${first}s after a cold start (healthy at ${healthy}s)" >&2
echo "freshstart: sid root $(du -sh "$HOME/.cache/callscribe/sidroot" | cut -f1), model cache $(du -sh "$HOME/.cache/callscribe/models" | cut -f1), Go caches $(du -sh "$HOME/go" "$HOME/.cache/go-build" 2>/dev/null | cut -f1 | tr '\n' ' ')" >&2
