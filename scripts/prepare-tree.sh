#!/bin/bash
# Make a patched kernel tree: unpack Debian's linux-source tarball (or copy
# a kernel.org tree or tarball given by path), add the resource tracker's
# files from src/ and apply patches/<series>/series.  The tree is built
# aside and moved into place only when every patch applied.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	echo "usage: ${0##*/} SERIES DEST [KSRC]" >&2
	echo "  SERIES  kernel series: $SERIES_SUPPORTED" >&2
	echo "  DEST    where to put the patched tree" >&2
	echo "  KSRC    kernel tree or tarball (default: Debian's linux-source-SERIES)" >&2
	exit 2
}
if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
series=$1 dest=$2 ksrc=${3:-}
check_series "$series"
pdir=$RESTRACK_ROOT/patches/$series

if [ -z "$ksrc" ]; then
	ksrc=/usr/src/linux-source-$series.tar.xz
	[ -f "$ksrc" ] || need_pkgs "linux-source-$series"
fi
[ -e "$ksrc" ] || die "kernel source '$ksrc' does not exist"
ksrc=$(realpath "$ksrc")

# Everything the result depends on, to skip work when nothing changed.
stamp=$(
	stat -c '%n %s %Y' "$ksrc"
	cd "$RESTRACK_ROOT" && find src "patches/$series" -type f -print0 |
		sort -z | xargs -0 sha256sum
)
if [ -f "$dest/.restrack-stamp" ] && [ "$(cat "$dest/.restrack-stamp")" = "$stamp" ]; then
	exit 0
fi

# Only the content of files from src/ changed (the usual edit of the
# tracker): copy those into the tree, which keeps every other file's time,
# so that the incremental build recompiles just them.  Anything else (the
# kernel source, a patch, a file added or removed) unpacks afresh below.
if [ -f "$dest/.restrack-stamp" ]; then
	old_stamp=$(cat "$dest/.restrack-stamp")
	names() { sed 's/^[0-9a-f]\{64\}  //'; }
	if [ "$(grep -v '  src/' <<<"$old_stamp")" = "$(grep -v '  src/' <<<"$stamp")" ] &&
		[ "$(names <<<"$old_stamp")" = "$(names <<<"$stamp")" ]; then
		grep -vxF -f <(printf '%s\n' "$old_stamp") <<<"$stamp" | names |
			while read -r f; do
				cp "$RESTRACK_ROOT/$f" "$dest/${f#src/}.new"
				mv "$dest/${f#src/}.new" "$dest/${f#src/}"
				info "updated ${f#src/} in $dest"
			done
		printf '%s\n' "$stamp" >"$dest/.restrack-stamp.new"
		mv "$dest/.restrack-stamp.new" "$dest/.restrack-stamp"
		exit 0
	fi
fi

mkdir -p "$(dirname "$dest")"
tmp=$(mktemp -d "$(dirname "$dest")/.prepare.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
info "unpacking $ksrc"
if [ -d "$ksrc" ]; then
	if [ ! -f "$ksrc/Makefile" ] || [ ! -d "$ksrc/kernel" ]; then
		die "'$ksrc' is not a kernel tree"
	fi
	tar -C "$ksrc" --exclude=.git -cf - . | tar -C "$tmp" -xf -
else
	tar -C "$tmp" --strip-components=1 -xf "$ksrc"
fi

version=$(sed -n 's/^VERSION = //p' "$tmp/Makefile").$(sed -n 's/^PATCHLEVEL = //p' "$tmp/Makefile")
[ "$version" = "$series" ] ||
	die "'$ksrc' is Linux $version, not $series: give a $series tree or pick SERIES=$version"
[ ! -f "$tmp/.config" ] ||
	die "'$ksrc' has been configured in place: run 'make mrproper' in it first"

cp -r "$RESTRACK_ROOT/src/." "$tmp/"
(cd "$RESTRACK_ROOT/src" && find . -type f | sed 's|^\./||') >"$tmp/.restrack-files"
while read -r p; do
	case $p in '' | '#'*) continue ;; esac
	patch -d "$tmp" -p1 --batch --forward --quiet <"$pdir/$p" ||
		die "$p does not apply to $ksrc (Linux $version)"
	sed -n 's|^+++ b/||p' "$pdir/$p" >>"$tmp/.restrack-files"
done <"$pdir/series"
printf '%s\n' "$stamp" >"$tmp/.restrack-stamp"

# Rebuilding over an older tree: a file whose content did not change keeps
# its old time, one that changed (or went back to pristine) gets a new one,
# so that an incremental build recompiles exactly what it must.
if [ -f "$dest/.restrack-files" ]; then
	sort -u "$dest/.restrack-files" "$tmp/.restrack-files" | while read -r f; do
		[ -e "$tmp/$f" ] || continue
		if cmp -s "$dest/$f" "$tmp/$f"; then
			touch -r "$dest/$f" "$tmp/$f"
		else
			touch "$tmp/$f"
		fi
	done
fi

rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
info "patched Linux $version tree ready in $dest"
