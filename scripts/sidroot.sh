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
# The root remembers them: later commands without CALLSCRIBE_SID_EXTRA keep
# the backend; CALLSCRIBE_SID_EXTRA= (set, empty) rebuilds without it.
#
# Besides the root, it keeps a "host view" (sidroot/usr/local/lib/callscribe/
# host): whisper-cli patched to run on the host with the root's libraries, the
# ggml backends beside it (ggml looks for them next to the executable), and
# links to the host's GPU driver libraries, which must match the host's kernel
# driver and so never come from the root. scripts/build.sh links callscribe
# the same way, so both run natively: the caller's files, folder and identity.
set -euo pipefail

root=${CALLSCRIBE_SIDROOT:-$HOME/.cache/callscribe/sidroot}
mirror=${CALLSCRIBE_SID_MIRROR:-}
if [ -z "${CALLSCRIBE_SID_EXTRA+set}" ] && [ -f "$root/.callscribe-extra" ]; then
  CALLSCRIBE_SID_EXTRA=$(cat "$root/.callscribe-extra")
fi
extra=${CALLSCRIBE_SID_EXTRA:-}
# patchelf: makes the host view's whisper-cli (see above).
# ffmpeg: decodes every recording format but PCM/G.711 WAV (transcribe/ffmpeg.go);
# sox: the tests make their recordings with it (and ffmpeg).
packages="libwhisper-dev libggml-dev whisper.cpp-tools gcc g++ libc6-dev pkg-config ca-certificates patchelf ffmpeg sox $extra"
components=main
case "$extra" in *cuda*) components=main,contrib,non-free ;; esac
host=$root/usr/local/lib/callscribe/host
lib=$root/usr/lib/$(uname -m)-linux-gnu

# host_view (re)makes the host view; cheap, so it runs on every call.
host_view() {
  mkdir -p "$host"
  if [ ! -x "$host/whisper-cli" ]; then
    cp "$root/usr/bin/whisper-cli" "$host/whisper-cli.tmp"
    interp=$(ls "$lib"/ld-linux*.so.* | head -n1)
    # --force-rpath: DT_RPATH, which also covers libwhisper's own libraries
    # and the backends ggml dlopens (DT_RUNPATH would stop at direct needs).
    chroot "$root" patchelf --set-interpreter "$interp" --force-rpath \
      --set-rpath "$host:$lib" "${host#"$root"}/whisper-cli.tmp"
    mv "$host/whisper-cli.tmp" "$host/whisper-cli"
  fi
  for so in "$lib"/ggml/backends*/libggml-*.so; do
    [ -e "$so" ] && ln -sfn "$so" "$host/$(basename "$so")"
  done
  # GPU driver libraries from the host (ldconfig's cache), first on the rpath;
  # links left dangling by a driver removed or upgraded go first.
  find "$host" -xtype l -delete
  { ldconfig -p 2>/dev/null || true; } | { grep -oE '/[^ ]*/lib(cuda|nvidia-[a-z-]+|nvcuvid)\.so\.[0-9]+$' || true; } | while read -r so; do
    ln -sfn "$so" "$host/$(basename "$so")"
  done
}

# The mirror apt already uses on this host (deb822 or one-line sources).
if [ -z "$mirror" ]; then
  mirror=$(grep -rhoE '(URIs:|deb) +https?://[^ ]*/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
    | grep -oE 'https?://[^ ]*' | grep -v security | head -n1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi

stamp_want=$(printf '%s\n' "$packages" "$components" | tr ' ' '\n' | sed '/^$/d' | sort | sha256sum | cut -c1-16)
if [ -f "$root/.callscribe-stamp" ] && [ "$(cat "$root/.callscribe-stamp")" = "$stamp_want" ]; then
  host_view
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "sidroot: the sid root at $root needs (re)building or new packages, which needs root (debootstrap, chroot): run 'sudo scripts/sidroot.sh' once, with CALLSCRIBE_SIDROOT=$root; later commands need no root" >&2
  exit 1
fi

# A root made with the same components and extra packages, from a shorter
# package list (ffmpeg and sox were added after roots existed), gets the
# new packages installed into it instead of being bootstrapped again (a
# minute and 1.2 GB). apt-get install leaves packages already there as they
# are. Check-Valid-Until=false: a root's sid Release file may have expired
# since it was made, and apt refuses an expired one.
if [ -f "$root/.callscribe-stamp" ] && [ "$components" = main ] && [ "$(cat "$root/.callscribe-extra" 2>/dev/null)" = "$extra" ]; then
  echo "sidroot: installing the package list into the existing root $root" >&2
  cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --mount --propagation private -- /bin/sh -c 'set -e
    mount --rbind /dev "$1/dev"; mount -t proc proc "$1/proc"
    exec chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive /bin/sh -c "
      apt-get -o Acquire::Check-Valid-Until=false update -qq &&
      apt-get -o Acquire::Check-Valid-Until=false install -y -qq --no-install-recommends $2 >/dev/null"' \
    sidroot "$root" "$packages" >&2
  echo "$stamp_want" > "$root/.callscribe-stamp"
  host_view
  echo "sidroot: ready at $root" >&2
  exit 0
fi

command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }

echo "sidroot: bootstrapping Debian sid into $root from $mirror (about a minute, 1.2 GB)" >&2
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
printf '%s\n' "$extra" > "$root.tmp/.callscribe-extra"
rm -rf "$root"
mv "$root.tmp" "$root"
host_view
echo "sidroot: ready at $root" >&2
