#!/bin/sh
# make deb: the Debian package, built from a copy of this tree.
#
#   sh tools/make-deb.sh [OUTDIR]     (default build/deb)
#
# dpkg-buildpackage writes its results next to the source directory and
# runs the package's clean first; building in OUTDIR/src/vpnsip-VERSION
# keeps both away from this tree.  The strongSwan headers (build/strongswan)
# are copied along, so the package is built against the same ones as the
# tree (and needs no network).  Results: OUTDIR/*.deb, .buildinfo, .changes.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-build/deb}
case "$out" in /*) ;; *) out=$top/$out ;; esac

version=$(sed -n 's/^#define VPNSIP_VERSION "\(.*\)"$/\1/p' "$top/include/vpnsip/version.h")
changelog=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
[ "$version" = "$changelog" ] ||
	{ echo "make-deb: include/vpnsip/version.h says $version, debian/changelog $changelog" >&2; exit 1; }
[ -f "$top/build/strongswan/stamp" ] || sh "$top/tools/strongswan-headers.sh" "$top/build/strongswan"

src=$out/src/vpnsip-$version
rm -rf "$out"
mkdir -p "$src/build"
tar -C "$top" --exclude=./build --exclude=./.git --exclude=__pycache__ -cf - . | tar -C "$src" -xf -
cp -a "$top/build/strongswan" "$src/build/strongswan"
rm -f "$src/build/strongswan/library-ids.h"

echo "make-deb: dpkg-buildpackage in $src (log: $out/build.log)"
if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "make-deb: FAILED (full log: $out/build.log)" >&2
	exit 1
fi
mv "$out"/src/*.deb "$out"/src/*.buildinfo "$out"/src/*.changes "$out"/
for f in "$out"/src/*.ddeb; do [ -f "$f" ] && mv "$f" "$out"/; done
rm -rf "$out/src"
ls "$out"/*.deb
