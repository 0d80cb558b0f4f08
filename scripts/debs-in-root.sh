#!/bin/bash
# make debs-trixie: make debs on a Debian 13 host, here: inside a trixie root.
#
#   scripts/debs-in-root.sh [--root] [RELEASE]   (default trixie; bookworm works too)
#
# A root of RELEASE made with mmdebstrap (--variant=buildd, with git, ccache
# and the kernel's build tools) and kept in ~/.cache/restrack/build-roots/
# (RESTRACK_CACHE, else XDG_CACHE_HOME, names another place; made again when
# a week old), gets a fresh copy of the project in /src/restrack and runs
# its `make debs` there, as that release's root user would: what is missing
# is installed with that release's apt (linux-source-KVER, linux-config-KVER
# for the generic flavour), its compiler builds, its lintian checks.  KVER,
# ARCH, FLAVOUR (default virt: a kernel in minutes; generic is hours),
# KSRC (a path inside the root), LOCALMODCONFIG and LINTIAN are passed on;
# KVER left unset takes the root's default (6.12 on Debian 13).  The
# timestamps are the checkout's (SOURCE_DATE_EPOCH), ccache's cache is the
# host's (bound in), and this script holds the machine-wide kernel build
# lock while the root builds.  The packages end up in
# build/debs-RELEASE/<series>-<arch>-<flavour>/ (restrack's own in pkg/).
# --root: make (or refresh) the root and stop.  Root; the network (Debian's
# mirror).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

root_only=0
if [ "${1:-}" = --root ]; then root_only=1; shift; fi
release=${1:-trixie}
case $release in trixie | bookworm) ;; *) die "usage: ${0##*/} [--root] [trixie|bookworm]" ;; esac
[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap, chroot and bind mounts)"
need_pkgs mmdebstrap rsync util-linux

cache=${RESTRACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/restrack}/build-roots
broot=$cache/$release
mkdir -p "$cache"
flavour=${FLAVOUR:-virt}

# --- the root -----------------------------------------------------------------------
exec 7>"$cache/$release.lock"
flock 7
if [ -f "$broot/etc/restrack-build-root" ] &&
	[ $(($(date +%s) - $(stat -c %Y "$broot/etc/restrack-build-root"))) -lt $((7 * 24 * 3600)) ]; then
	info "build root: $broot (made $(date -u -r "$broot/etc/restrack-build-root" '+%F %R') UTC)"
else
	info "mmdebstrap: a $release build root in $broot"
	start=$SECONDS
	rm -rf "$broot.new"
	# shellcheck disable=SC2016 # a hook: shell code run with the root as $1
	mmdebstrap --variant=buildd \
		--include=git,ca-certificates,ccache,bc,bison,flex,libssl-dev,libelf-dev,cpio,kmod,rsync,xz-utils,debhelper,dh-dkms,lintian,reprepro,gnupg,gpgv \
		--customize-hook='touch "$1/etc/restrack-build-root"' \
		"$release" "$broot.new" "deb http://deb.debian.org/debian $release main" \
		>"$cache/$release.log" 2>&1 ||
		{ tail -40 "$cache/$release.log"; rm -rf "$broot.new"; die "mmdebstrap failed: see $cache/$release.log"; }
	rm -rf "$broot"
	mv "$broot.new" "$broot"
	info "build root made in $((SECONDS - start)) s"
fi

[ "$root_only" = 0 ] || exit 0

# --- the build ------------------------------------------------------------------------
kbuild_lock
rm -rf "$broot/src/restrack"
copy_project "$broot/src/restrack"
cp /etc/resolv.conf "$broot/etc/resolv.conf"
mkdir -p "${CCACHE_DIR:-$HOME/.cache/ccache}" "$broot/root/.cache/ccache"
env=(SOURCE_DATE_EPOCH="$(project_epoch)" FLAVOUR="$flavour" RESTRACK_BUILD_LOCK=/tmp/restrack-kbuild.lock
	HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
for v in KVER ARCH KSRC LOCALMODCONFIG LOCALMODCONFIG_LIST LINTIAN DEBUG RESTRACK_CCACHE; do
	[ -z "${!v:-}" ] || env+=("$v=${!v}")
done
info "make debs in the $release root (${env[*]:1:1}${KVER:+ KVER=$KVER})"
start=$SECONDS
log=$RESTRACK_ROOT/build/debs-$release.log
mkdir -p "$RESTRACK_ROOT/build"
# A mount namespace of its own: the bind mounts go with it.
# shellcheck disable=SC2016 # the inner shell's arguments
unshare --mount --propagation private sh -c '
	set -e
	r=$1 cc=$2
	shift 2
	mount -t proc proc "$r/proc"
	mount --rbind /sys "$r/sys"
	mount --rbind /dev "$r/dev"
	mount -t tmpfs tmpfs "$r/tmp"
	mount --bind "$cc" "$r/root/.cache/ccache"
	exec chroot "$r" env -i "$@" make -C /src/restrack debs
' sh "$broot" "${CCACHE_DIR:-$HOME/.cache/ccache}" "${env[@]}" >"$log" 2>&1 ||
	{ tail -40 "$log"; die "make debs failed in the $release root: see $log"; }
info "make debs in the $release root: $((SECONDS - start)) s"
grep 'build-debs.sh: \|lintian' "$log" | tail -n 12 >&2 || true

# --- the packages ---------------------------------------------------------------------
out=$RESTRACK_ROOT/build/debs-$release
for d in "$broot"/src/restrack/build/debs/*/; do
	name=$(basename "$d")
	rm -rf "$out/$name.new"
	mkdir -p "$out/$name.new/pkg"
	cp "$d"/*.deb "$out/$name.new/"
	cp "$d"/pkg/*.deb "$out/$name.new/pkg/"
	cp "$d"/lintian.log "$out/$name.new/" 2>/dev/null || true
	rm -rf "${out:?}/$name"
	mv "$out/$name.new" "$out/$name"
	info "$out/$name: $(find "$out/$name" -name '*.deb' | wc -l) packages"
done
