#!/usr/bin/env bash
# gpu-bench.sh — measure callscribe on a GPU host that has no Go, no
# internet and no Debian packages of its own (the lent H100 machine: CUDA
# 13 driver, Vulkan ICD, 64 MiB carried per command, 15 minutes in all).
#
#   scripts/gpu-bench.sh pack [MODEL]   here: build the bundle in .gpu/ (ignored by git)
#   scripts/gpu-bench.sh selftest       here: run the bundle on this CPU, as the GPU host would
#   scripts/gpu-bench.sh run            there: join the parts, bench --gpu --sweep, report
#
# The bundle is callscribe built in a Debian sid root that has ggml's Vulkan
# backend (libggml0-backend-vulkan; CALLSCRIBE_SIDROOT=~/.cache/callscribe/
# sidroot-vulkan by default, so the test root is left alone), with the
# root's dynamic loader and every library it loads, the backends folder,
# the quantised model (default base-q8_0, made by `models quantize`) and 10
# dev calls. Debian's CUDA backend needs the CUDA 12 runtime and cuBLAS
# (hundreds of MB), which cannot travel; Vulkan needs only the loader here
# and the NVIDIA driver there. It is run through the bundled loader
# (lib/ld-linux-x86-64.so.2 --library-path lib), so the host's C library
# and distribution do not matter; the engine finds ggml's backends beside
# libggml (transcribe/whisper).
#
# The bundle is split into parts of at most 50 MiB (.gpu/part1, part2...):
# carry one part per call ("carry": [".gpu/part1"]), each call starting
# with `scripts/gpu-bench.sh stage`, which keeps it in /tmp/callscribe-gpu
# on the warm machine; the last call then runs `scripts/gpu-bench.sh run`.
# `run` writes the bench's JSON and nvidia-smi's memory samples to $OUT
# (or .gpu/out here) and prints realtime x, workers per GPU, GPU memory
# per worker and whisper.cpp's encode/decode split.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
cmd=${1:-}
stage=${CALLSCRIBE_GPU_STAGE:-/tmp/callscribe-gpu}
part_mib=50

pack() {
  local model=${1:-base-q8_0}
  export CALLSCRIBE_SIDROOT=${CALLSCRIBE_SIDROOT:-$HOME/.cache/callscribe/sidroot-vulkan}
  export CALLSCRIBE_SID_EXTRA=${CALLSCRIBE_SID_EXTRA-libggml0-backend-vulkan}
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo /.gpu/ >>.git/info/exclude
  scripts/build.sh >&2
  local root lib b
  root=$(realpath "$CALLSCRIBE_SIDROOT")
  lib=$root/usr/lib/$(uname -m)-linux-gnu
  b=$(mktemp -d)/bundle
  mkdir -p "$b/lib/ggml" "$b/models" "$b/calls"
  cp bin/callscribe "$b/"
  strip "$b/callscribe" 2>/dev/null || true
  # build.sh's rpath names the root's folders, searched before
  # --library-path: removed, so that the bundle's own copies are used here
  # as there (selftest then proves the bundle complete).
  CALLSCRIBE_EXTRA_BINDS=$(dirname "$b") scripts/insid.sh patchelf --remove-rpath "$b/callscribe"
  cp -L "$lib"/ld-linux*.so.* "$b/lib/"
  cp -rL "$lib/ggml/backends0" "$b/lib/ggml/"
  # Every library the binary and the backends load, resolved in the root.
  local objs=("$b/callscribe" "$b"/lib/ggml/backends0/*.so)
  for o in "${objs[@]}"; do
    CALLSCRIBE_EXTRA_BINDS=$(dirname "$b") scripts/insid.sh ldd "$o" | awk '/=> \//{print $3}'
  done | sort -u | while read -r so; do cp -L "$root$so" "$b/lib/" 2>/dev/null || cp -L "$so" "$b/lib/"; done
  [ -e "$lib/libvulkan.so.1" ] && cp -L "$lib/libvulkan.so.1" "$b/lib/"
  ls "$b/lib/ggml/backends0" | grep -q vulkan || echo "gpu-bench: warning: no Vulkan backend in the root ($CALLSCRIBE_SID_EXTRA); the GPU will not be used" >&2
  local path
  path=$(bin/callscribe models verify "$model" 2>/dev/null | sed -n 's/^ok *\([^:]*\):.*/\1/p')
  [ -n "$path" ] || { bin/callscribe models quantize "${model%-q*}" "${model##*-}" >&2; path=$(bin/callscribe models verify "$model" | sed -n 's/^ok *\([^:]*\):.*/\1/p'); }
  cp "$path" "$b/models/"
  ls ../shared/calls/dev/call-00*.wav | head -n 10 | while read -r w; do cp "$w" "${w%.wav}.txt" "$b/calls/"; done
  rm -rf .gpu && mkdir -p .gpu
  tar -C "$(dirname "$b")" -cJf - bundle | split -b "${part_mib}m" -d -a 1 - .gpu/bundle.tar.xz.
  local n=1
  for p in .gpu/bundle.tar.xz.*; do mkdir -p ".gpu/part$n" && mv "$p" ".gpu/part$n/" && n=$((n + 1)); done
  rm -rf "$(dirname "$b")"
  du -sh .gpu/part* >&2
  echo "gpu-bench: carry each of $(ls -d .gpu/part* | tr '\n' ' ')in its own call, starting with 'scripts/gpu-bench.sh stage'" >&2
}

# stage keeps the parts this call carried, on the warm machine.
stage_parts() {
  mkdir -p "$stage"
  cp .gpu/part*/bundle.tar.xz.* "$stage/"
  ls -la "$stage" >&2
}

# unpack joins the parts into $stage/bundle.
unpack() {
  [ -d "$stage/bundle" ] && return
  cat "$stage"/bundle.tar.xz.* | tar -C "$stage" -xJf -
}

run() {
  local gpu=${1:---gpu}
  [ -d .gpu ] && stage_parts
  unpack
  local b=$stage/bundle out=${OUT:-$here/.gpu/out}
  mkdir -p "$out"
  local cs=("$b/lib/ld-linux-x86-64.so.2" --library-path "$b/lib" "$b/callscribe")
  "${cs[@]}" version >&2 || true
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >&2
    nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv,noheader -lms 500 >"$out/gpu-memory.csv" &
    local smi=$!
  fi
  local model
  model=$(ls "$b"/models/*.bin | head -n1)
  # The bundle carries one (quantised) form, which the sweep runs as it is;
  # GPU memory per worker is the rise in memory.used per added worker, read
  # from the samples.
  "${cs[@]}" bench $gpu -sweep -model "$model" -files "$b/calls" -limit "${CALLSCRIBE_GPU_LIMIT:-0}" -confirm-prompt "" \
    -data "$out/data" -json >"$out/bench.json"
  [ -n "${smi:-}" ] && kill "$smi" 2>/dev/null || true
  python3 - "$out/bench.json" <<'EOF' || cat "$out/bench.json"
import json, sys
r = json.load(open(sys.argv[1]))
print("devices:", ", ".join(d.get("name", "?") + " (" + d.get("type", "?") + ")" for d in r.get("devices") or []))
print("workers threads realtime_x p50_s encode_ms_per_window decode_ms_per_step peak_rss_mib wer")
for x in r["runs"]:
    s = x.get("stage_mean_ms", {})
    wer = x.get("wer")
    print(x["config"]["workers"], x["config"]["threads"], round(x["realtime_factor"], 2), round(x["latency_p50_ns"] / 1e9, 2),
          round(s.get("whisper encode per 30s window", 0), 1), round(s.get("whisper decode per step", 0), 1), x["peak_rss_bytes"] >> 20,
          "-" if wer is None else round(wer * 100, 1), "<- best" if x.get("best") else "")
EOF
}

case "$cmd" in
pack) shift; pack "$@" ;;
stage) stage_parts ;;
run) run --gpu ;;
selftest)
  # As on the GPU host, without the GPU: the bundle alone must run (two
  # calls are enough to show that).
  rm -rf "$stage"
  CALLSCRIBE_GPU_LIMIT=${CALLSCRIBE_GPU_LIMIT:-2} run ""
  ;;
*)
  sed -n '2,8p' "$0" >&2
  exit 2
  ;;
esac
