#!/bin/bash
# Build the small test kernel of one series and architecture, with the
# resource tracker, its uapi headers and both helper modules:
#   build/obj/SERIES-ARCH/{BOOT_IMAGE,usr/include,modules/*.ko}
# The configuration is tinyconfig merged with config-fragments/restrack.config,
# test-base.config and test-ARCH.config; RESTRACK=n leaves the tracker out
# (the baseline kernel of the benchmarks).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || { echo "usage: ${0##*/} SERIES ARCH" >&2; exit 2; }
series=$1 arch=$2
check_series "$series"
check_arch "$arch"
restrack=${RESTRACK:-y}

build=$RESTRACK_ROOT/build
tree=$build/src/$series
obj=$build/obj/$series-$arch
[ "$restrack" = y ] || obj=$build/obj/$series-$arch-base
"$RESTRACK_ROOT/scripts/prepare-tree.sh" "$series" "$tree" "${KSRC:-}"

mkdir -p "$obj"

kmake() {
	make -s -C "$tree" O="$obj" ARCH="$(karch "$arch")" \
		CROSS_COMPILE="$(cross_compile "$arch")" "$@"
}

frags=("$RESTRACK_ROOT/config-fragments/test-base.config"
	"$RESTRACK_ROOT/config-fragments/test-$arch.config"
	"$RESTRACK_ROOT/config-fragments/restrack.config")
if [ ! -f "$obj/.config" ] || [ -n "$(find "${frags[@]}" -newer "$obj/.config")" ]; then
	info "configuring $series $arch"
	kmake tinyconfig >/dev/null
	KCONFIG_CONFIG=$obj/.config "$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" \
		"$obj/.config" "${frags[@]}" >"$obj/merge.log"
	if [ "$restrack" != y ]; then
		"$tree/scripts/config" --file "$obj/.config" -d RESOURCE_TRACKER
	fi
	kmake olddefconfig
	# Fail, naming the option, when a fragment asked for what kconfig refused.
	unset_opts=$(cat "${frags[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=' |
		if [ "$restrack" = y ]; then cat; else grep -v '^CONFIG_RESOURCE_TRACKER='; fi |
		while read -r line; do
			grep -qxF "$line" "$obj/.config" || echo "$line"
		done)
	if [ -n "$unset_opts" ]; then
		rm -f "$obj/.config"
		die "options not set as asked (check their dependencies): $(echo "$unset_opts" | tr '\n' ' ')"
	fi
fi

info "building $series $arch kernel in $obj"
start=$SECONDS
kmake -j"$(nproc)" "$(basename "$(boot_image "$arch")")" modules headers
info "built $series $arch in $((SECONDS - start)) s"

if [ "$restrack" = y ]; then
	rm -rf "$obj/ext" "$obj/modules"
	mkdir -p "$obj/modules"
	for m in "$RESTRACK_ROOT"/dkms-modules/*/; do
		name=$(basename "$m")
		mkdir -p "$obj/ext/$name"
		cp "$m"/*.c "$m/Kbuild" "$obj/ext/$name/"
		kmake M="$obj/ext/$name" modules
		cp "$obj/ext/$name/$name.ko" "$obj/modules/"
	done
fi
