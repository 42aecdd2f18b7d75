#!/usr/bin/env bash
# fasterwhisper.sh — make the Python environment for `callscribe bench
# --compare`'s second peer engine, faster-whisper (CTranslate2), beside
# whisper-cli: operators asking "would faster-whisper be quicker on this
# host?" get the answer from the same recordings, threads and decoding
# settings. Nothing else in callscribe uses Python; serve never does.
#
# Makes (once; a second run only checks the pins) a venv at
# $CALLSCRIBE_FW_VENV (default ~/.cache/callscribe/fw-venv) with pinned
# faster-whisper and ctranslate2 from PyPI, and prints the venv's python,
# which is what bench's -faster-whisper flag takes (bench finds this default
# venv by itself).
#   scripts/fasterwhisper.sh
#   scripts/callscribe bench -model tiny.en -compare -limit 4
set -euo pipefail
venv=${CALLSCRIBE_FW_VENV:-$HOME/.cache/callscribe/fw-venv}
# Pinned so that figures from different days compare like for like.
pins=(faster-whisper==1.2.1 ctranslate2==4.8.5)
stamp="$venv/.callscribe-pins"

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "${pins[*]}" ] &&
  "$venv/bin/python" -c 'import faster_whisper, ctranslate2' 2>/dev/null; then
  echo "fasterwhisper: $venv has ${pins[*]}" >&2
  echo "$venv/bin/python"
  exit 0
fi

command -v python3 >/dev/null || {
  echo "fasterwhisper: python3 not found (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
}
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  echo "fasterwhisper: python3's venv module (with ensurepip) is missing; Debian/Ubuntu: apt-get install python3-venv" >&2
  exit 1
fi
mkdir -p "$(dirname "$venv")"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" >&2
"$venv/bin/python" -c 'import faster_whisper, ctranslate2' # fail here, not in the bench
echo "${pins[*]}" >"$stamp"
echo "fasterwhisper: made $venv with ${pins[*]}" >&2
echo "$venv/bin/python"
