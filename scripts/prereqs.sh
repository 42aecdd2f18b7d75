#!/usr/bin/env bash
# prereqs.sh — install what the tests need that Debian 12 lacks, or, when not
# root, fail naming it. scripts/test.sh runs it first, so a bare host either
# gets everything or stops at once; no test skips for want of a package.
#   debootstrap: the sid root (scripts/sidroot.sh)
#   pkg-config, git, ca-certificates: the build
#   wbritish: the word list the fuzzy drug-name test checks against
#   chromium: the headless browser for the review UI test (web/browser_test.go)
#   openjdk-17-jdk-headless, maven: the HAPI FHIR server the record tests
#     post to (scripts/hapi.sh)
#   ffmpeg: decodes every recording format but PCM/G.711 WAV, and probes
#     headers (callscribe ingest); the format tests make files with it
#   sox: the tests make their recordings with it
#   openssl: the review UI's TLS test makes its certificate with it
#   python3-venv: the faster-whisper peer's venv (scripts/fasterwhisper.sh)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
missing=""
for p in debootstrap ca-certificates git pkg-config wbritish chromium openjdk-17-jdk-headless maven ffmpeg sox openssl python3-venv; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
command -v go >/dev/null || { echo "prereqs: no Go toolchain on PATH (go.mod needs Go $(sed -n 's/^go //p' "$(dirname "$0")/../go.mod"))" >&2; exit 1; }
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "prereqs: missing Debian packages:$missing; install them (sudo apt-get install$missing) or run as root" >&2
  exit 1
fi
echo "prereqs: installing$missing" >&2
apt-get update -qq
apt-get install -y -qq $missing >/dev/null
