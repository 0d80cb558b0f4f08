#!/bin/bash
# Build the small test kernel of one series and architecture, with the
# resource tracker, its uapi headers and both helper modules:
#   build/obj/SERIES-ARCH[-FLAVOUR]/{BOOT_IMAGE,usr/include,modules/*.ko}
# The configuration is tinyconfig merged with config-fragments/test-base.config,
# test-ARCH.config, restrack.config and test-SERIES.config where there is
# one.  FLAVOUR=debug adds the kernel's kernel/configs/debug.config and
# test-debug.config (KASAN, lockdep, kmemleak); FLAVOUR=kcsan adds
# test-kcsan.config (the data-race detector, which excludes KASAN);
# FLAVOUR=bench adds bench.config (SLUB, -O2, no lock debugging: the
# benchmarks' kernel) and FLAVOUR=baseline is the bench kernel without the
# tracker (the benchmarks' reference, from the same patched source and
# config).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || { echo "usage: ${0##*/} SERIES ARCH" >&2; exit 2; }
series=$1 arch=$(canon_arch "$2")
check_series "$series"
check_arch "$arch"
flavour=${FLAVOUR:-test}

build=$RESTRACK_ROOT/build
tree=$build/src/$series
obj=$(obj_dir "$series" "$arch" "$flavour")
kbuild_lock
"$RESTRACK_ROOT/scripts/prepare-tree.sh" "$series" "$tree" "${KSRC:-}"

mkdir -p "$obj"

kmake() {
	make -s -C "$tree" O="$obj" ARCH="$(karch "$arch")" \
		CROSS_COMPILE="$(cross_compile "$arch")" CC="$(kernel_cc "$arch")" "$@"
}

frags=("$RESTRACK_ROOT/config-fragments/test-base.config"
	"$RESTRACK_ROOT/config-fragments/test-$arch.config"
	"$RESTRACK_ROOT/config-fragments/restrack.config")
# A series' own fragment, where it has one (6.12: Landlock).
if [ -f "$RESTRACK_ROOT/config-fragments/test-$series.config" ]; then
	frags+=("$RESTRACK_ROOT/config-fragments/test-$series.config")
fi
upstream=()
case $flavour in
debug)
	upstream=("$tree/kernel/configs/debug.config")
	frags+=("$RESTRACK_ROOT/config-fragments/test-debug.config") ;;
kcsan)
	frags+=("$RESTRACK_ROOT/config-fragments/test-kcsan.config") ;;
bench | baseline)
	frags+=("$RESTRACK_ROOT/config-fragments/bench.config") ;;
esac
if [ ! -f "$obj/.config" ] || [ -n "$(find "${frags[@]}" -newer "$obj/.config")" ]; then
	info "configuring $series $arch ($flavour)"
	kmake tinyconfig >/dev/null
	# The kernel's own fragment first, so that ours have the last word.
	KCONFIG_CONFIG=$obj/.config "$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" \
		"$obj/.config" "${upstream[@]}" "${frags[@]}" >"$obj/merge.log"
	if [ "$flavour" = baseline ]; then
		"$tree/scripts/config" --file "$obj/.config" -d RESOURCE_TRACKER
	fi
	kmake olddefconfig
	# Fail, naming the option, when one of our fragments asked for what
	# kconfig refused ("# CONFIG_X is not set" lines included).
	unset_opts=$(fragments_unmet "$obj/.config" "${frags[@]}")
	if [ "$flavour" = baseline ]; then
		unset_opts=$(grep -v 'CONFIG_RESOURCE_TRACKER[ =]' <<<"$unset_opts" || true)
	fi
	if [ -n "$unset_opts" ]; then
		rm -f "$obj/.config"
		die "options not set as asked (check their dependencies): $(echo "$unset_opts" | tr '\n' ' ')"
	fi
fi

info "building $series $arch ($flavour) kernel in $obj"
start=$SECONDS
kmake -j"$(nproc)" "$(basename "$(boot_image "$arch")")" modules headers
info "built $series $arch ($flavour) in $((SECONDS - start)) s"

if [ "$flavour" != baseline ]; then
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
