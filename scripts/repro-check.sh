#!/bin/bash
# make repro: are the packages reproducible?  Build the packages of one
# kernel (KVER=6.1 FLAVOUR=virt ARCH=x86_64 by default) twice, each from
# scratch (a new object directory, a new package tree) in the same place and
# from the same inputs, and compare every .deb of the two builds byte for
# byte.  The first build is kept in build/repro/first/, the second is left
# in build/debs/ as any build.  Prints what differs, file by file, and exits
# 1 when anything does.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${KVER:-$(host_series)}
arch=$(canon_arch "${ARCH:-x86_64}")
flavour=${FLAVOUR:-virt}
check_series "$kver"
check_arch "$arch"
root=$RESTRACK_ROOT
work=$root/build/debs/$kver-$arch-$flavour
repro=$root/build/repro

debs() { # dir: the packages of a build, relative to it
	(cd "$1" && find . -maxdepth 2 -name '*.deb' ! -path './meta/*' | sed 's|^\./||' | sort)
}

rm -rf "$repro" "$work"
mkdir -p "$repro"
# One timestamp for both builds, even if a commit lands in between.
SOURCE_DATE_EPOCH=$(project_epoch)
export SOURCE_DATE_EPOCH
for n in first second; do
	info "$n build of the $kver $arch $flavour packages, from scratch"
	start=$SECONDS
	KVER=$kver ARCH=$arch FLAVOUR=$flavour "$root/scripts/build-debs.sh" >"$repro/$n-build.log" 2>&1 || {
		tail -20 "$repro/$n-build.log"
		die "the $n build failed: see $repro/$n-build.log"
	}
	info "$n build took $((SECONDS - start)) s"
	[ "$n" = second ] || mv "$work" "$repro/first"
done
# A package's files with their checksums, to say what differs.
contents() { # deb
	local d
	d=$(mktemp -d "$repro/x.XXXXXX")
	dpkg-deb -R "$1" "$d"
	(cd "$d" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
	rm -rf "$d"
}

[ "$(debs "$repro/first")" = "$(debs "$work")" ] ||
	die "the two builds made different packages: $(debs "$repro/first" | tr '\n' ' ') against $(debs "$work" | tr '\n' ' ')"
same=0 differ=0
while read -r deb; do
	if cmp -s "$repro/first/$deb" "$work/$deb"; then
		same=$((same + 1))
		echo "identical: $deb ($(stat -c %s "$work/$deb") bytes)"
	else
		differ=$((differ + 1))
		echo "DIFFERS: $deb"
		diff <(contents "$repro/first/$deb") <(contents "$work/$deb") |
			sed -n 's/^> [0-9a-f]*  /  file differs: /p' | head -20 || true
	fi
done < <(debs "$work")
echo "repro: $same packages byte-identical, $differ differ"
[ "$differ" -eq 0 ]
