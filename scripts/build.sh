#!/usr/bin/env bash
# build.sh — build bin/callscribe with whisper.cpp.
#
# The Go modules are fetched on the host first: the host trusts the module
# proxy's certificate, and a fresh root has only Debian's CA bundle (insid.sh
# also lends it the host's, but an offline build from the cache is the plain
# way). The build runs inside the Debian sid root (scripts/sidroot.sh) unless
# the host already has whisper.cpp. A root-built binary is linked to run on the
# host: its ELF interpreter and DT_RPATH name the root's loader and libraries,
# so it sees the caller's files, folder and environment like any program.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=$(git describe --always --dirty 2>/dev/null || echo dev)
go mod download || { echo "build: could not fetch the Go modules (go mod download above); check the network or GOPROXY" >&2; exit 1; }

ldflags="-X main.version=$rev"
if ! { pkg-config --exists whisper 2>/dev/null && [ -z "${CALLSCRIBE_FORCE_SID:-}" ]; }; then
  scripts/sidroot.sh
  root=$(realpath "${CALLSCRIBE_SIDROOT:-$HOME/.cache/callscribe/sidroot}")
  lib=$root/usr/lib/$(uname -m)-linux-gnu
  interp=$(ls "$lib"/ld-linux*.so.* | head -n1)
  # host/ first: the host's GPU driver libraries (sidroot.sh's host view).
  ldflags+=" -extldflags \"-Wl,--dynamic-linker=$interp -Wl,--disable-new-dtags -Wl,-rpath,$root/usr/local/lib/callscribe/host:$lib\""
fi
GOPROXY=off scripts/insid.sh go build -tags whisper -ldflags "$ldflags" -o bin/callscribe ./cmd/callscribe
