#!/bin/bash
# Write out/patches/SERIES/res_usage.patch: the whole resource tracker as one
# patch (the glue of patches/SERIES/series, then the new files of src/) that
# applies to a SERIES tree with 'git apply' or 'patch -p1'.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || { echo "usage: ${0##*/} SERIES..." >&2; exit 2; }
for series in "$@"; do
	check_series "$series"
	outdir=$RESTRACK_ROOT/out/patches/$series
	mkdir -p "$outdir"
	tmp=$(mktemp "$outdir/.res_usage.XXXXXX")
	body=$(mktemp)
	trap 'rm -f "$tmp" "$body"' EXIT
	{
		while read -r p; do
			case $p in '' | '#'*) continue ;; esac
			sed -n '/^diff --git /,$p' "$RESTRACK_ROOT/patches/$series/$p"
		done <"$RESTRACK_ROOT/patches/$series/series"
		(cd "$RESTRACK_ROOT/src" && find . -type f | sed 's|^\./||' | LC_ALL=C sort |
			while read -r f; do
				git diff --no-index --no-color --full-index -- /dev/null "$f" || [ $? -eq 1 ]
			done)
	} >"$body"
	{
		cat <<-HEADER
			From: restrack developers <restrack@example.org>
			Subject: [PATCH] restrack: per-process heap and open-file quotas for Linux $series

			The resource tracker in one patch: five system calls (register, fetch,
			deregister, resource_cap, resource_reset) that track a process's heap
			bytes and open file descriptors and kill it with SIGKILL when it goes
			over a quota.  Apply with 'git apply' or 'patch -p1' at the top of a
			Linux $series tree, then enable CONFIG_RESOURCE_TRACKER.

			Signed-off-by: restrack developers <restrack@example.org>
			---
		HEADER
		(cd / && git apply --stat --summary "$body")
		echo
		cat "$body"
	} >"$tmp"
	mv "$tmp" "$outdir/res_usage.patch"
	rm -f "$body"
	trap - EXIT
	info "wrote $outdir/res_usage.patch"
done
