#!/usr/bin/env bash
# build.sh — build bin/callscribe with whisper.cpp.
#
# Inside the Debian sid root (scripts/sidroot.sh) unless the host already has
# whisper.cpp; the resulting binary links Debian's libwhisper and so runs in
# the same place: use scripts/callscribe to run it.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=$(git describe --always --dirty 2>/dev/null || echo dev)
scripts/insid.sh go build -tags whisper -ldflags "-X main.version=$rev" -o bin/callscribe ./cmd/callscribe
