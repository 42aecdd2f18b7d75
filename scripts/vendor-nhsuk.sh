#!/usr/bin/env bash
# vendor-nhsuk.sh — copy the NHS.UK frontend's built assets into
# web/static/nhsuk, so the callscribe binary serves the design system itself
# (the UI's Content-Security-Policy allows nothing but 'self').
#
# Pinned: the npm tarball's sha256 is checked before anything is copied, and
# web/static/nhsuk/VERSION records the version and each copied file's sha256.
# Run it again only to upgrade: change VERSION and SHA256 together.
#
# Changed on the way in, and why:
# - url(/assets/...) in the CSS becomes /static/nhsuk/assets/..., where the
#   binary serves them.
# - The @font-face rules are dropped: they load Frutiger from assets.nhs.uk,
#   which the CSP blocks (and a clinical tool should not call a third party
#   on every page); the design system's own fallback font is Arial.
# - sourceMappingURL comments are dropped, as the maps are not vendored.
# Licence: MIT (package.json "license" and README "Licence"); the package
# ships no LICENSE file, so LICENCE here quotes its README.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=10.6.1
SHA256=1af037bcb75237c4208809d3ac9a06522ccf61b2268221268ead3985bceb060b
DEST=web/static/nhsuk

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "nhsuk-frontend@$VERSION" >/dev/null)
tgz="$work/nhsuk-frontend-$VERSION.tgz"
echo "$SHA256  $tgz" | sha256sum -c --quiet - || { echo "vendor-nhsuk: tarball checksum mismatch" >&2; exit 1; }
tar -xzf "$tgz" -C "$work"
src="$work/package/dist/nhsuk"
grep -q '"license": "MIT"' "$work/package/package.json" || { echo "vendor-nhsuk: licence is no longer MIT; review before vendoring" >&2; exit 1; }

rm -rf "$DEST"
mkdir -p "$DEST/assets/images"
sed -e 's#url(/assets/#url(/static/nhsuk/assets/#g' \
    -e 's#@font-face{[^}]*}##g' \
    -e 's#/\*\# sourceMappingURL=[^*]*\*/##' \
    "$src/nhsuk-frontend.min.css" >"$DEST/nhsuk-frontend.min.css"
sed -e 's#//\# sourceMappingURL=.*$##' "$src/nhsuk-frontend.min.js" >"$DEST/nhsuk-frontend.min.js"
cp "$src"/assets/images/*.svg "$src/assets/images/favicon.ico" "$DEST/assets/images/"
{
  echo "nhsuk-frontend $VERSION (npm; MIT licence)"
  echo
  sed -n '/^## Licence/,$p' "$work/package/README.md"
  echo "Source: https://github.com/nhsuk/nhsuk-frontend (npm package nhsuk-frontend@$VERSION)"
} >"$DEST/LICENCE"
{
  echo "nhsuk-frontend $VERSION"
  echo "npm tarball sha256 $SHA256"
  echo "vendored by scripts/vendor-nhsuk.sh; files (sha256, path under $DEST):"
  (cd "$DEST" && find . -type f ! -name VERSION | sort | xargs sha256sum)
} >"$DEST/VERSION"
echo "vendored nhsuk-frontend $VERSION into $DEST" >&2
