#!/usr/bin/env bash
# insid.sh CMD [ARGS...] — run a command inside the Debian sid root (made by
# scripts/sidroot.sh), with whisper.cpp from Debian's packages.
#
# The repository, ../shared, the host Go toolchain, the module cache, the
# build cache and the model cache are bind-mounted at their host paths, so
# `scripts/insid.sh go test -tags whisper ./...` and the built binary behave
# as on the host. The mounts live in a private mount namespace (unshare) and
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
datadir=$HOME/.local/share/callscribe   # serve's default data folder
confdir=$HOME/.config/callscribe        # the review UI's accounts
mkdir -p "$gomodcache" "$gocache" "$modelcache" "$datadir" "$confdir"

# Paths to bind at the same place inside the root; ../shared only if present.
binds=("$here" "$goroot" "$gomodcache" "$gocache" "$modelcache" "$datadir" "$confdir" /proc /dev /sys)
shared=$(cd "$here/.." && pwd)/shared
[ -d "$shared" ] && binds+=("$shared")
[ -n "${CALLSCRIBE_EXTRA_BINDS:-}" ] && for b in $CALLSCRIBE_EXTRA_BINDS; do binds+=("$b"); done

mounts=""
for b in "${binds[@]}"; do
  mounts+="mkdir -p '$root$b' && mount --rbind '$b' '$root$b' && "
done
# DNS for the module proxy and the host's /etc/hosts (minbase has none, so
# "localhost" would not resolve), and a private /tmp the tests may write to.
mounts+="cp -L /etc/resolv.conf '$root/etc/resolv.conf' 2>/dev/null; cp -L /etc/hosts '$root/etc/hosts' 2>/dev/null || printf '127.0.0.1 localhost\\n::1 localhost\\n' > '$root/etc/hosts'; mkdir -p '$root/tmp' && mount -t tmpfs -o size=8g tmpfs '$root/tmp' && "

# LIBRARY_PATH: the empty libggml-cpu.a (see sidroot.sh) for the bindings' -lggml-cpu.
envs=(PATH="$goroot/bin:/usr/local/bin:/usr/bin:/bin" HOME="$HOME" GOCACHE="$gocache" GOMODCACHE="$gomodcache"
  GOFLAGS="${GOFLAGS:-}" GOPROXY="$(go env GOPROXY)" GOTOOLCHAIN=local CGO_ENABLED=1
  LIBRARY_PATH=/usr/local/lib/callscribe TMPDIR=/tmp CI="${CI:-}" CALLSCRIBE_MODEL_CACHE="$modelcache")
while IFS='=' read -r k v; do envs+=("$k=$v"); done < <(env | grep -E '^(CALLSCRIBE_|GO(TEST|DEBUG|MAXPROCS)|WHISPER_)' | grep -v '^CALLSCRIBE_MODEL_CACHE=' || true)

cwd=$(pwd)
exec unshare --mount --propagation private -- /bin/sh -c \
  "$mounts exec chroot '$root' /usr/bin/env -i $(printf "'%s' " "${envs[@]}") /bin/sh -c 'cd \"\$0\" && exec \"\$@\"' '$cwd' $(printf "'%s' " "$@")"
