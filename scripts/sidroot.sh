#!/usr/bin/env bash
# sidroot.sh — make (or reuse) a Debian sid root that holds whisper.cpp.
#
# whisper.cpp is not packaged for Debian 12, and the project must not build it
# from source; Debian unstable packages it (libwhisper-dev, whisper.cpp-tools).
# This script bootstraps a minimal sid root with those packages, once, and
# reuses it until its package list changes. scripts/insid.sh runs commands in it.
#
# Cache: $CALLSCRIBE_SIDROOT (default ~/.cache/callscribe/sidroot), outside the
# work tree. Needs root and debootstrap (installed with apt if missing).
# Extra packages (a GPU backend such as libggml0-backend-vulkan, say) go in
# CALLSCRIBE_SID_EXTRA, space-separated; they change the stamp and so rebuild.
set -euo pipefail

root=${CALLSCRIBE_SIDROOT:-$HOME/.cache/callscribe/sidroot}
mirror=${CALLSCRIBE_SID_MIRROR:-}
packages="libwhisper-dev libggml-dev whisper.cpp-tools gcc g++ libc6-dev pkg-config ca-certificates ${CALLSCRIBE_SID_EXTRA:-}"
components=main
case "${CALLSCRIBE_SID_EXTRA:-}" in *cuda*) components=main,contrib,non-free ;; esac

# The mirror apt already uses on this host (deb822 or one-line sources).
if [ -z "$mirror" ]; then
  mirror=$(grep -rhoE '(URIs:|deb) +https?://[^ ]*/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
    | grep -oE 'https?://[^ ]*' | grep -v security | head -n1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi

stamp_want=$(printf '%s\n' "$packages" "$components" | tr ' ' '\n' | sed '/^$/d' | sort | sha256sum | cut -c1-16)
if [ -f "$root/.callscribe-stamp" ] && [ "$(cat "$root/.callscribe-stamp")" = "$stamp_want" ]; then
  echo "sidroot: reusing $root" >&2
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "sidroot: building the sid root needs root (debootstrap, chroot)" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }

echo "sidroot: bootstrapping Debian sid into $root from $mirror (about a minute, ~650 MB)" >&2
rm -rf "$root.tmp"
mkdir -p "$(dirname "$root")"
debootstrap --variant=minbase --components="$components" \
  --include="$(echo $packages | tr ' ' ',')" sid "$root.tmp" "$mirror" >&2

# The official Go bindings link -lggml-cpu. Debian ships the CPU backend only
# as a run-time loadable module, not as a linkable library, so an empty static
# archive satisfies the linker; the real CPU backend is found at run time by
# ggml_backend_load_all() (see transcribe/whisper).
mkdir -p "$root.tmp/usr/local/lib/callscribe"
printf '!<arch>\n' > "$root.tmp/usr/local/lib/callscribe/libggml-cpu.a"   # an empty ar archive

echo "$stamp_want" > "$root.tmp/.callscribe-stamp"
rm -rf "$root"
mv "$root.tmp" "$root"
echo "sidroot: ready at $root" >&2
