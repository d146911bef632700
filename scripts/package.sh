#!/usr/bin/env bash
# Makes the release tarballs, with what scripts/install.sh installs:
#
#   faissx-VERSION-linux-x86_64.tar.gz         bin/ lib/ include/ share/ under one directory;
#                                             unpack it anywhere and use it as a prefix (the
#                                             pkg-config and CMake files find it relative to
#                                             themselves), or into /usr/local:
#                                             tar -xzf ... -C /usr/local --strip-components=1
#   faissx-VERSION-linux-x86_64-debug.tar.gz   the split debug info (bin/.debug, lib/.debug),
#                                             unpacked over the same directory
#   SHA256SUMS
#
# Usage: scripts/package.sh [--no-build] [OUTDIR]   (default target/dist; builds first unless
# --no-build, as install.sh does)
# The systemd unit names /usr/local/bin/faissx-server; unpacked elsewhere, edit its ExecStart.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
install_args=()
if [[ ${1:-} == --no-build ]]; then
    install_args=(--no-build)
    shift
fi
outdir="${1:-$root/target/dist}"
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
arch="$(uname -m)"
[[ $arch == x86_64 ]] || echo "package.sh: building on $arch; the name says what it is" >&2
name="faissx-$version-linux-$arch"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
DESTDIR="$stage/root" PREFIX=/usr/local RELOCATABLE=1 bash "$root/scripts/install.sh" "${install_args[@]}" >/dev/null
mv "$stage/root/usr/local" "$stage/$name"

mkdir -p "$stage/debug/$name/bin" "$stage/debug/$name/lib"
mv "$stage/$name/bin/.debug" "$stage/debug/$name/bin/"
mv "$stage/$name/lib/.debug" "$stage/debug/$name/lib/"

# Same bytes from the same build: fixed order, owner and times.
pack() {
    local dir="$1" dirname="$2" tarball="$3"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' \
        -C "$dir" -cf - "$dirname" | gzip -n -9 >"$outdir/$tarball"
}
pack "$stage" "$name" "$name.tar.gz"
pack "$stage/debug" "$name" "$name-debug.tar.gz"
(cd "$outdir" && sha256sum "$name.tar.gz" "$name-debug.tar.gz" >SHA256SUMS)
echo "$outdir/$name.tar.gz ($(du -h "$outdir/$name.tar.gz" | cut -f1))"
echo "$outdir/$name-debug.tar.gz ($(du -h "$outdir/$name-debug.tar.gz" | cut -f1))"
