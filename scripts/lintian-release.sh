#!/bin/bash
# Check Debian packages with the lintian of a Debian release.
#
#   scripts/lintian-release.sh RELEASE DEB...
#
# RELEASE is bookworm (Debian 12, lintian 2.116) or trixie (Debian 13,
# lintian 2.122): the host's own lintian is the release it runs, and each
# release's lintian knows its own policy (trixie's rejects files under
# /lib, an alias of /usr/lib, as aliased-location).  The script runs that
# release's lintian in a root of it, made with mmdebstrap --variant=apt
# --include=lintian and kept in ~/.cache/restrack/lintian-roots/RELEASE
# (RESTRACK_CACHE, else XDG_CACHE_HOME, names another place).  It prints
# lintian's output (--tag-display-limit 0), then one line
#
#   lintian RELEASE (VERSION): N errors, M warnings
#
# and exits non-zero when there is an error (E:).  A package given twice
# with the same bytes (restrack's own packages of both kernel series) is
# checked once.
#
# The root is made again when it is a week old, or when the release's
# lintian is no longer the one in it: its package index for this
# machine's architecture (its checksum in the release's InRelease) changed
# and names another lintian version.  The
# check needs deb.debian.org; without it the root is used as it is, and the
# script says so.  A new root is made in a temporary directory next to the
# old one and renamed into place, so lintian-roots/RELEASE is always
# a whole root; runs on one release take turns (flock).  Lintian runs as
# nobody inside the root (chroot, nothing mounted); the packages are copied
# into the root's /tmp and removed afterwards.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mirror=http://deb.debian.org/debian
max_age=$((7 * 24 * 3600))
stamp_name=etc/restrack-lintian-root
arch=$(dpkg --print-architecture)

usage() {
	echo "usage: ${0##*/} bookworm|trixie DEB..." >&2
	exit 2
}
[ $# -ge 1 ] || usage
release=$1
shift
case $release in
bookworm | trixie) ;;
-h | --help) usage ;;
*) die "unknown release '$release' (bookworm or trixie)" ;;
esac
[ $# -ge 1 ] || usage
for deb in "$@"; do
	[ -e "$deb" ] || die "no such file: $deb"
	[ -f "$deb" ] || die "not a file: $deb"
	dpkg-deb --field "$deb" Package >/dev/null 2>&1 || die "not a Debian package: $deb"
done
[ "$(id -u)" -eq 0 ] || die "making and entering the $release root needs root (mmdebstrap, chroot)"
need_pkgs mmdebstrap xz-utils

# Outside the checkout, as ccache's cache is, so that a clean clone (CI)
# finds the roots of an earlier run.
roots=${RESTRACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/restrack}/lintian-roots
root=$roots/$release
mkdir -p "$roots"
exec 9>"$roots/$release.lock"
if ! flock -n 9; then
	info "waiting for another run on the $release root"
	flock 9
fi

scratch='' in=''
cleanup() {
	# --one-file-system: never into anything left mounted in a root.
	[ -z "$scratch" ] || rm -rf --one-file-system "$scratch"
	[ -z "$in" ] || rm -rf --one-file-system "$in"
}
trap cleanup EXIT
# What an interrupted run left behind.
rm -rf --one-file-system "$roots/.$release".* "$root"/tmp/restrack-lintian.* ||
	die "could not remove an old temporary root in $roots (is something still mounted in it?)"

stamp_get() { # key: a value of the root's stamp
	sed -n "s/^$1=//p" "$root/$stamp_name" 2>/dev/null || true
}

# The checksum of the release's package index (the one apt reads: Debian
# lists Architecture: all packages in each architecture's, and its
# binary-all is not kept in step); fails when the mirror cannot be
# reached.  $1: a scratch directory.
index_sum() {
	/usr/lib/apt/apt-helper download-file "$mirror/dists/$release/InRelease" "$1/InRelease" \
		>/dev/null 2>&1 || return 1
	awk -v file="main/binary-$arch/Packages.xz" '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 }
		s && $3 == file { print $1; exit }' "$1/InRelease"
}

# The version of lintian in the release's index (its checksum is not
# checked: the mirror's InRelease and index may be a moment apart, and this
# only decides whether to make the root again, with apt's checks).
index_lintian() { # scratch
	/usr/lib/apt/apt-helper download-file "$mirror/dists/$release/main/binary-$arch/Packages.xz" \
		"$1/Packages.xz" >/dev/null 2>&1 || return 0
	xz -dc "$1/Packages.xz" | awk '/^Package: / { p = $2 } p == "lintian" && /^Version: / { print $2; exit }'
}

# Why the root must be made (again), or nothing when it is fine.
stale() {
	local made sum version
	made=$(stamp_get made)
	[ -n "$made" ] || { echo "there is none"; return; }
	[ $(($(date +%s) - made)) -lt "$max_age" ] || { echo "it is a week old"; return; }
	if ! sum=$(index_sum "$scratch") || [ -z "$sum" ]; then
		info "could not read $release's InRelease from $mirror: using the root of $(date -u -d "@$made" '+%F %R') UTC, lintian $(stamp_get lintian)"
		return
	fi
	[ "$sum" != "$(stamp_get index)" ] || return 0
	version=$(index_lintian "$scratch")
	if [ -z "$version" ]; then
		info "could not read $release's package index: using the root as it is"
	elif [ "$version" != "$(stamp_get lintian)" ]; then
		echo "$release has lintian $version now, the root $(stamp_get lintian)"
	else
		# Same lintian, other packages: remember this index.
		sed "s/^index=.*/index=$sum/" "$root/$stamp_name" >"$root/$stamp_name.new"
		mv "$root/$stamp_name.new" "$root/$stamp_name"
	fi
}

make_root() {
	local new=$roots/.$release.new.$$ old=$roots/.$release.old.$$ start=$SECONDS sum version
	sum=$(index_sum "$scratch" || true)
	info "making the $release root with lintian in $root (mmdebstrap, a few minutes)"
	mmdebstrap --variant=apt --include=lintian "$release" "$new" "deb $mirror $release main" \
		>"$scratch/mmdebstrap.log" 2>&1 || {
		tail -n 30 "$scratch/mmdebstrap.log" >&2
		rm -rf --one-file-system "$new"
		die "mmdebstrap of $release failed"
	}
	version=$(chroot "$new" dpkg-query -W lintian | cut -f2)
	printf 'release=%s\nmade=%s\nlintian=%s\nindex=%s\n' \
		"$release" "$(date +%s)" "$version" "$sum" >"$new/$stamp_name"
	if [ -d "$root" ]; then mv "$root" "$old"; fi
	mv "$new" "$root"
	rm -rf --one-file-system "$old"
	info "$release root made in $((SECONDS - start)) s: lintian $version"
}

scratch=$(mktemp -d "$roots/.$release.scratch.XXXXXX")
why=$(stale)
if [ -n "$why" ]; then
	info "the $release root is made again: $why"
	make_root
fi
version=$(stamp_get lintian)

# The packages, each in a directory of its own (restrack's packages of the
# two series have the same file names); the same bytes only once.
in=$(mktemp -d "$root/tmp/restrack-lintian.XXXXXX")
declare -A seen=()
debs=()
n=0
for deb in "$@"; do
	sum=$(sha256sum "$deb" | cut -d' ' -f1)
	[ -z "${seen[$sum]:-}" ] || continue
	seen[$sum]=1
	n=$((n + 1))
	mkdir "$in/$n"
	cp "$deb" "$in/$n/"
	debs+=("${in#"$root"}/$n/${deb##*/}")
done
chmod -R a+rX "$in"
info "lintian $version ($release) on ${#debs[@]} packages"
rc=0
chroot --userspec=65534:65534 "$root" env -i HOME=/tmp TMPDIR=/tmp LC_ALL=C.UTF-8 \
	PATH=/usr/bin:/bin lintian --tag-display-limit 0 "${debs[@]}" >"$scratch/lintian.log" 2>&1 || rc=$?
cat "$scratch/lintian.log"
errors=$(grep -c '^E: ' "$scratch/lintian.log" || true)
warnings=$(grep -c '^W: ' "$scratch/lintian.log" || true)
[ "$rc" -eq 0 ] || [ "$errors" -gt 0 ] || die "lintian of $release failed (exit $rc)"
echo "lintian $release ($version): $errors errors, $warnings warnings"
[ "$errors" -eq 0 ]
