#!/usr/bin/env bash
# Installs faissx into a prefix, as a distribution package would lay it out:
#
#   bin/faissx-server                       stripped; debug info in bin/.debug/
#   lib/libfaissx.so.VERSION                SONAME libfaissx.so.0; links .so.0 and .so
#   lib/libfaiss_c.so.VERSION               SONAME libfaiss_c.so.0 (FAISS's C API names)
#   lib/.debug/*.debug                      split debug info (gdb finds it via .gnu_debuglink)
#   lib/pkgconfig/faissx.pc, faiss_c.pc     pkg-config --cflags --libs faissx
#   lib/cmake/faissx/                       find_package(faissx): faissx::faissx, faissx::faiss_c
#   include/faissx_c.h, include/faiss/c_api/*.h
#   lib/systemd/system/faissx-server.service, lib/sysusers.d/faissx.conf
#   share/man/man1/faissx-server.1, share/faissx/faissx-server.env.example, share/doc/faissx/
#
# Usage: scripts/install.sh [--no-build]
# Environment: PREFIX (/usr/local), DESTDIR (staging root, prepended to every path; the files
# still name PREFIX), LIBDIR ($PREFIX/lib), BINDIR ($PREFIX/bin), INCLUDEDIR ($PREFIX/include),
# DATADIR ($PREFIX/share), MANDIR ($DATADIR/man), SYSTEMDUNITDIR ($PREFIX/lib/systemd/system),
# SYSUSERSDIR ($PREFIX/lib/sysusers.d), CARGO_TARGET_DIR (where cargo builds; target/),
# RELOCATABLE=1 (pkg-config files that find the tree relative to themselves, for a tarball;
# by default they name PREFIX, as distributions' do).
# Builds first (`cargo build --release`, nothing to do when up to date) unless --no-build.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build=1
for arg in "$@"; do
    case "$arg" in
    --no-build) build=0 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "install.sh: unknown argument $arg (try --help)" >&2
        exit 2
        ;;
    esac
done

PREFIX="${PREFIX:-/usr/local}"
PREFIX="${PREFIX%/}"
DESTDIR="${DESTDIR:-}"
LIBDIR="${LIBDIR:-$PREFIX/lib}"
BINDIR="${BINDIR:-$PREFIX/bin}"
INCLUDEDIR="${INCLUDEDIR:-$PREFIX/include}"
DATADIR="${DATADIR:-$PREFIX/share}"
MANDIR="${MANDIR:-$DATADIR/man}"
SYSTEMDUNITDIR="${SYSTEMDUNITDIR:-$PREFIX/lib/systemd/system}"
SYSUSERSDIR="${SYSUSERSDIR:-$PREFIX/lib/sysusers.d}"
for dir in "$PREFIX" "$LIBDIR" "$BINDIR" "$INCLUDEDIR" "$DATADIR"; do
    [[ $dir == /* ]] || { echo "install.sh: $dir is not an absolute path" >&2; exit 2; }
done

version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)"
[[ -n $version ]] || { echo "install.sh: no version in Cargo.toml" >&2; exit 1; }
major="${version%%.*}"
minor="${version#*.}"
minor="${minor%%.*}"
# The ABI number of the SONAMEs (build.rs and bindings/faiss_c/build.rs set them).
soversion=0

if ((build)); then
    (cd "$root" && cargo build --release -p faissx -p faiss_c)
fi
built="${CARGO_TARGET_DIR:-$root/target}/release"
for f in libfaissx.so libfaiss_c.so faissx-server; do
    [[ -f $built/$f ]] || { echo "install.sh: $built/$f missing (run without --no-build)" >&2; exit 1; }
done
for pair in libfaissx.so:libfaissx.so.$soversion libfaiss_c.so:libfaiss_c.so.$soversion; do
    soname="$(readelf -d "$built/${pair%%:*}" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
    [[ $soname == "${pair#*:}" ]] ||
        { echo "install.sh: ${pair%%:*} has SONAME '$soname', expected ${pair#*:}" >&2; exit 1; }
done

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# strip_into SRC DEST_DIR NAME: NAME in DEST_DIR without symbols or debug info, which go to
# DEST_DIR/.debug/NAME.debug, tied to it by a .gnu_debuglink (name and CRC).
strip_into() {
    local src="$1" dir="$2" name="$3"
    install -d "$DESTDIR$dir/.debug"
    objcopy --only-keep-debug --compress-debug-sections "$src" "$stage/$name.debug"
    objcopy --strip-unneeded --add-gnu-debuglink="$stage/$name.debug" "$src" "$stage/$name"
    install -m 0755 "$stage/$name" "$DESTDIR$dir/$name"
    install -m 0644 "$stage/$name.debug" "$DESTDIR$dir/.debug/$name.debug"
}

# fill TEMPLATE DEST: the template with its @FIELD@s replaced.
fill() {
    sed -e "s|@VERSION@|$version|g" -e "s|@VERSION_MAJOR@|$major|g" \
        -e "s|@VERSION_MINOR@|$minor|g" -e "s|@SOVERSION@|$soversion|g" \
        -e "s|@BINDIR@|$BINDIR|g" -e "s|@PC_PREFIX@|$pc_prefix|g" \
        -e "s|@PC_LIBDIR@|$pc_libdir|g" -e "s|@PC_INCLUDEDIR@|$pc_includedir|g" \
        -e "s|@INCLUDEDIR_FROM_CMAKEDIR@|$include_from_cmakedir|g" "$1" >"$stage/filled"
    install -m 0644 "$stage/filled" "$2"
}

# The CMake package always finds the tree relative to itself (CMake normalizes the paths);
# pkg-config files do so only when asked, since pkg-config prints the paths as written.
include_from_cmakedir="$(realpath -m --relative-to="$LIBDIR/cmake/faissx" "$INCLUDEDIR")"
if [[ ${RELOCATABLE:-0} == 1 ]]; then
    pc_prefix="\${pcfiledir}/$(realpath -m --relative-to="$LIBDIR/pkgconfig" "$PREFIX")"
    pc_libdir="\${pcfiledir}/.."
    pc_includedir="\${pcfiledir}/$(realpath -m --relative-to="$LIBDIR/pkgconfig" "$INCLUDEDIR")"
else
    pc_prefix="$PREFIX"
    pc_libdir="\${prefix}/$(realpath -m --relative-to="$PREFIX" "$LIBDIR")"
    pc_includedir="\${prefix}/$(realpath -m --relative-to="$PREFIX" "$INCLUDEDIR")"
    [[ $LIBDIR == "$PREFIX"/* ]] || pc_libdir="$LIBDIR"
    [[ $INCLUDEDIR == "$PREFIX"/* ]] || pc_includedir="$INCLUDEDIR"
fi

install -d "$DESTDIR$BINDIR" "$DESTDIR$LIBDIR/pkgconfig" "$DESTDIR$LIBDIR/cmake/faissx" \
    "$DESTDIR$INCLUDEDIR" "$DESTDIR$DATADIR/faissx" "$DESTDIR$DATADIR/doc/faissx" \
    "$DESTDIR$MANDIR/man1" "$DESTDIR$SYSTEMDUNITDIR" "$DESTDIR$SYSUSERSDIR"

# Libraries: the file carries the full version; the SONAME link is what programs load, the
# plain .so link is what -lfaissx finds when linking.
for lib in libfaissx libfaiss_c; do
    strip_into "$built/$lib.so" "$LIBDIR" "$lib.so.$version"
    ln -sfn "$lib.so.$version" "$DESTDIR$LIBDIR/$lib.so.$soversion"
    ln -sfn "$lib.so.$soversion" "$DESTDIR$LIBDIR/$lib.so"
done
strip_into "$built/faissx-server" "$BINDIR" faissx-server

install -m 0644 "$root/include/faissx_c.h" "$DESTDIR$INCLUDEDIR/faissx_c.h"
(cd "$root/bindings/faiss_c/include" && find faiss -name '*.h') | while read -r header; do
    install -D -m 0644 "$root/bindings/faiss_c/include/$header" "$DESTDIR$INCLUDEDIR/$header"
done

fill "$root/packaging/faissx.pc.in" "$DESTDIR$LIBDIR/pkgconfig/faissx.pc"
fill "$root/packaging/faiss_c.pc.in" "$DESTDIR$LIBDIR/pkgconfig/faiss_c.pc"
fill "$root/packaging/faissxConfig.cmake.in" "$DESTDIR$LIBDIR/cmake/faissx/faissxConfig.cmake"
fill "$root/packaging/faissxConfigVersion.cmake.in" \
    "$DESTDIR$LIBDIR/cmake/faissx/faissxConfigVersion.cmake"
fill "$root/packaging/faissx-server.service.in" "$DESTDIR$SYSTEMDUNITDIR/faissx-server.service"
install -m 0644 "$root/packaging/faissx.sysusers" "$DESTDIR$SYSUSERSDIR/faissx.conf"
install -m 0644 "$root/packaging/faissx-server.env" \
    "$DESTDIR$DATADIR/faissx/faissx-server.env.example"
install -m 0644 "$root/README.md" "$DESTDIR$DATADIR/doc/faissx/README.md"

# The manual page is the server's own --help, which is written to read as one.
{
    printf '.TH FAISSX-SERVER 1 "" "faissx %s" "User Commands"\n' "$version"
    printf '.SH NAME\nfaissx-server \\- serves FAISS indexes to faissx clients over ZeroMQ\n'
    printf '.SH DESCRIPTION\n.nf\n'
    "$built/faissx-server" --help | sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
    printf '.fi\n'
} >"$stage/faissx-server.1"
install -m 0644 "$stage/faissx-server.1" "$DESTDIR$MANDIR/man1/faissx-server.1"

echo "installed faissx $version into ${DESTDIR}$PREFIX"
if [[ -z $DESTDIR ]]; then
    case "$LIBDIR" in
    /lib | /usr/lib | /usr/local/lib | /usr/lib/x86_64-linux-gnu | /usr/local/lib/x86_64-linux-gnu)
        # A directory the loader searches: its cache must learn the new SONAMEs.
        if [[ $(id -u) == 0 ]]; then ldconfig; fi
        ;;
    *) echo "  programs find the libraries with LD_LIBRARY_PATH=$LIBDIR (or an rpath)" ;;
    esac
    echo "  pkg-config: PKG_CONFIG_PATH=$LIBDIR/pkgconfig pkg-config --cflags --libs faissx"
    echo "  CMake:      cmake -DCMAKE_PREFIX_PATH=$PREFIX ...   (find_package(faissx))"
fi
