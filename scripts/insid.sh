#!/usr/bin/env bash
# insid.sh CMD [ARGS...] — run a command inside the Debian sid root (made by
# scripts/sidroot.sh), with whisper.cpp from Debian's packages. The build
# (scripts/build.sh) and the whisper-enabled tests (scripts/test.sh) run here;
# the built callscribe itself runs on the host (scripts/callscribe).
#
# The repository, ../shared, the host Go toolchain, the module cache, the
# build cache, the model cache and the host's CA bundle are bind-mounted at
# their host paths, so `scripts/insid.sh go test -tags whisper ./...` behaves
# as on the host. CALLSCRIBE_EXTRA_BINDS adds paths (files or folders,
# space-separated). The mounts live in a private mount namespace (unshare) and
# vanish when the command ends. The working directory is kept.
#
# On a host that already has whisper.cpp (Debian sid, Alpine whisper.cpp-dev,
# Homebrew whisper-cpp: pkg-config finds "whisper"), no root is needed: the
# command runs natively.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
if pkg-config --exists whisper 2>/dev/null && [ -z "${CALLSCRIBE_FORCE_SID:-}" ]; then
  # Debian's packages (sid, natively) lack a linkable libggml-cpu: give the
  # linker the same empty archive as in the root (see sidroot.sh).
  libdir=$(pkg-config --variable=libdir ggml 2>/dev/null || pkg-config --variable=libdir whisper)
  if ! ls "$libdir"/libggml-cpu.so "$libdir"/libggml-cpu.a "$libdir"/libggml-cpu.dylib >/dev/null 2>&1; then
    stub=$HOME/.cache/callscribe/lib
    mkdir -p "$stub" && printf '!<arch>\n' > "$stub/libggml-cpu.a"
    export LIBRARY_PATH="$stub${LIBRARY_PATH:+:$LIBRARY_PATH}"
  fi
  export CGO_ENABLED=1
  exec "$@"
fi

root=${CALLSCRIBE_SIDROOT:-$HOME/.cache/callscribe/sidroot}
"$here/scripts/sidroot.sh"

goroot=$(go env GOROOT)
gomodcache=$(go env GOMODCACHE)
gocache=$(go env GOCACHE)
modelcache=${CALLSCRIBE_MODEL_CACHE:-$HOME/.cache/callscribe/models}
mkdir -p "$gomodcache" "$gocache" "$modelcache"

# Paths to bind at the same place inside the root; ../shared only if present.
binds=("$here" "$goroot" "$gomodcache" "$gocache" "$modelcache" /proc /dev /sys)
shared=$(cd "$here/.." && pwd)/shared
[ -d "$shared" ] && binds+=("$shared")
# The host's word lists (wbritish: the fuzzy drug-name test reads one).
[ -d /usr/share/dict ] && binds+=(/usr/share/dict)
for b in ${CALLSCRIBE_EXTRA_BINDS:-}; do
  [ -e "$b" ] || { echo "insid: CALLSCRIBE_EXTRA_BINDS names $b, which does not exist" >&2; exit 1; }
  binds+=("$(realpath "$b")")
done
# The host's CA bundle: a TLS-intercepting proxy's CA is in it, not in the
# root's own bundle, and Go reaches the module proxy through SSL_CERT_FILE.
cabundle=""
for f in "${SSL_CERT_FILE:-}" /etc/ssl/certs/ca-certificates.crt; do
  [ -n "$f" ] && [ -f "$f" ] && { cabundle=$(realpath "$f"); binds+=("$cabundle"); break; }
done

# LIBRARY_PATH: the empty libggml-cpu.a (see sidroot.sh) for the bindings' -lggml-cpu.
envs=(PATH="$goroot/bin:/usr/local/bin:/usr/bin:/bin" HOME="$HOME" USER="${USER:-$(id -un)}" LOGNAME="${LOGNAME:-$(id -un)}"
  GOCACHE="$gocache" GOMODCACHE="$gomodcache"
  GOFLAGS="${GOFLAGS:-}" GOPROXY="$(go env GOPROXY)" GOTOOLCHAIN=local CGO_ENABLED=1
  LIBRARY_PATH=/usr/local/lib/callscribe TMPDIR=/tmp CI="${CI:-}" CALLSCRIBE_MODEL_CACHE="$modelcache")
[ -n "$cabundle" ] && envs+=(SSL_CERT_FILE="$cabundle")
while IFS='=' read -r k v; do envs+=("$k=$v"); done < <(env | grep -E '^(CALLSCRIBE_|GO(TEST|DEBUG|MAXPROCS)|WHISPER_)' | grep -v '^CALLSCRIBE_MODEL_CACHE=' || true)

# The namespace's script takes everything as arguments, never spliced into its
# text, so no path or argument needs quoting: $1 the root, $2 how many binds,
# then the binds, then the command line to run in the root.
setup='set -e
root=$1; n=$2; shift 2
# A private /tmp the tests may write to, mounted first so that a checkout
# or cache under /tmp, bound below, stays visible on top of it.
mkdir -p "$root/tmp" && mount -t tmpfs -o size=8g tmpfs "$root/tmp"
while [ "$n" -gt 0 ]; do
  if [ -d "$1" ]; then mkdir -p "$root$1"; else mkdir -p "$(dirname "$root$1")"; [ -e "$root$1" ] || : > "$root$1"; fi
  mount --rbind "$1" "$root$1"
  n=$((n - 1)); shift
done
# DNS and /etc/hosts from the host (minbase has none, so "localhost" would
# not resolve).
cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
cp -L /etc/hosts "$root/etc/hosts" 2>/dev/null || printf "127.0.0.1 localhost\n::1 localhost\n" > "$root/etc/hosts"
exec chroot "$root" "$@"'
exec unshare --mount --propagation private -- /bin/sh -c "$setup" insid "$root" "${#binds[@]}" "${binds[@]}" \
  /usr/bin/env -i "${envs[@]}" /bin/sh -c 'cd "$0" && exec "$@"' "$(pwd)" "$@"
