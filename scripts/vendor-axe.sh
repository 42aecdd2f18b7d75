#!/usr/bin/env bash
# vendor-axe.sh — copy axe-core's axe.min.js into web/testdata/axe for the
# browser test's accessibility checks (web/axe_test.go). Vendored rather
# than fetched at test time so a clean checkout tests offline and CI cannot
# skip the checks for want of a download.
#
# Pinned: the npm tarball's sha256 is checked; web/testdata/axe/VERSION
# records the version and the copied files' sha256s. Licence: MPL-2.0
# (LICENSE copied beside it; the file is used unmodified).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.14.1
SHA256=e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
DEST=web/testdata/axe

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "axe-core@$VERSION" >/dev/null)
tgz="$work/axe-core-$VERSION.tgz"
echo "$SHA256  $tgz" | sha256sum -c --quiet - || { echo "vendor-axe: tarball checksum mismatch" >&2; exit 1; }
tar -xzf "$tgz" -C "$work"
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$work/package/axe.min.js" "$work/package/LICENSE" "$DEST/"
{
  echo "axe-core $VERSION (npm; MPL-2.0)"
  echo "npm tarball sha256 $SHA256"
  echo "vendored by scripts/vendor-axe.sh; files (sha256, path under $DEST):"
  (cd "$DEST" && sha256sum axe.min.js LICENSE)
} >"$DEST/VERSION"
echo "vendored axe-core $VERSION into $DEST" >&2
