#!/bin/bash
# make debs: the restrack kernel as Debian packages, and everything else.
#
#  - linux-image, linux-headers and linux-libc-dev from the kernel's own
#    `make bindeb-pkg`, on a tree patched by prepare-tree.sh, with a config
#    merged by merge_config.sh from a base and config-fragments/;
#  - restrack-dkms, restrack-tools, librestrack0 and librestrack-dev from
#    debian/ with dpkg-buildpackage;
#  - metapackages linux-image-restrack and linux-headers-restrack that depend
#    on the newest image and headers built, so upgrading is `apt upgrade`;
#  - out/repo: all of them as an apt repository (Packages, Release) for
#    `deb [trusted=yes] file:/path/to/out/repo ./`.
#
# Variables: KVER=6.1|6.12, ARCH=x86_64|arm64 (default: this machine),
# FLAVOUR=generic|virt, KSRC=tree or tarball, LOCALMODCONFIG=1, DEBUG=1.
# FLAVOUR=generic starts from /boot/config-$(uname -r) when it exists, else
# from Debian's own config (linux-config-KVER); FLAVOUR=virt from tinyconfig
# and config-fragments/virt*.config, a kernel that builds in minutes.
# Inputs fixed, outputs fixed: timestamps come from the last commit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${KVER:-6.1}
arch=${ARCH:-$(uname -m | sed 's/aarch64/arm64/')}
flavour=${FLAVOUR:-generic}
check_series "$kver"
check_arch "$arch"
case $flavour in generic | virt) ;; *) die "FLAVOUR must be generic or virt, not '$flavour'" ;; esac
debarch=$(case $arch in x86_64) echo amd64 ;; arm64) echo arm64 ;; esac)

pkgs=(build-essential bc bison flex libssl-dev libelf-dev cpio kmod rsync xz-utils
	dpkg-dev debhelper dh-dkms apt-utils lintian "linux-source-$kver")
[ -n "$(cross_compile "$arch")" ] && pkgs+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
[ "$flavour" = generic ] && pkgs+=("linux-config-$kver")
[ "${DEBUG:-0}" = 1 ] && pkgs+=(dwarves)
need_pkgs "${pkgs[@]}"

root=$RESTRACK_ROOT
tree=$root/build/src/$kver
work=$root/build/debs/$kver-$arch-$flavour
obj=$work/obj
out=$root/out
"$root/scripts/prepare-tree.sh" "$kver" "$tree" "${KSRC:-}"
mkdir -p "$obj"

# Reproducible: every timestamp and name comes from the inputs.
epoch=$(git -C "$root" log -1 --format=%ct 2>/dev/null || stat -c %Y "$root/debian/changelog")
export SOURCE_DATE_EPOCH=$epoch
export KBUILD_BUILD_TIMESTAMP="@$epoch"
export KBUILD_BUILD_USER=restrack KBUILD_BUILD_HOST=restrack
export KDEB_CHANGELOG_DIST=${KDEB_CHANGELOG_DIST:-bookworm}
export KDEB_COMPRESS=xz
localversion=-restrack
kernelversion=$(make -s -C "$tree" kernelversion)
KDEB_PKGVERSION="$kernelversion-restrack.$(date -u -d "@$epoch" +%Y%m%d%H%M)"
export KDEB_PKGVERSION

kmake() {
	make -s -C "$tree" O="$obj" ARCH="$(karch "$arch")" \
		CROSS_COMPILE="$(cross_compile "$arch")" LOCALVERSION="$localversion" "$@"
}

# --- configuration -----------------------------------------------------------
frags=("$root/config-fragments/restrack.config" "$root/config-fragments/deb.config")
case $flavour in
generic)
	debcfg=$(case $arch in x86_64) echo amd64_none_amd64 ;; arm64) echo arm64_none_arm64 ;; esac)
	if [ -f "/boot/config-$(uname -r)" ] && [ "$(uname -m | sed 's/aarch64/arm64/')" = "$arch" ]; then
		base=/boot/config-$(uname -r)
		cp "$base" "$obj/.config.base"
	else
		base=/usr/src/linux-config-$kver/config.$debcfg.xz
		[ -f "$base" ] || die "no Debian config $base (is linux-config-$kver installed?)"
		xz -dc "$base" >"$obj/.config.base"
	fi
	info "generic flavour from $base"
	cp "$obj/.config.base" "$obj/.config"
	if [ "${LOCALMODCONFIG:-0}" = 1 ]; then
		kmake olddefconfig
		kmake localmodconfig </dev/null
	fi
	;;
virt)
	kmake tinyconfig >/dev/null
	frags=("$root/config-fragments/virt.config" "$root/config-fragments/virt-$arch.config" "${frags[@]}")
	;;
esac
if [ "${DEBUG:-0}" = 1 ]; then
	sed -i '/^CONFIG_DEBUG_INFO_NONE=/d' "$obj/.config"
	mapfile -t frags < <(printf '%s\n' "${frags[@]}" | grep -v '/deb.config$')
	printf 'CONFIG_SYSTEM_TRUSTED_KEYS=""\nCONFIG_SYSTEM_REVOCATION_KEYS=""\n' >"$work/deb-debug.config"
	frags+=("$work/deb-debug.config")
fi
KCONFIG_CONFIG=$obj/.config "$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" \
	"$obj/.config" "${frags[@]}" >"$work/merge.log"
kmake olddefconfig
unset_opts=$(cat "${frags[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=' | while read -r line; do
	grep -qxF "$line" "$obj/.config" || echo "$line"
done)
[ -z "$unset_opts" ] ||
	die "options not set as asked (check their dependencies in $obj/.config): $(echo "$unset_opts" | tr '\n' ' ')"

# --- kernel packages ------------------------------------------------------------
info "building Linux $kernelversion$localversion ($flavour, $arch) packages; this is the long part"
start=$SECONDS
rm -f "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes
kmake -j"$(nproc)" bindeb-pkg >"$work/bindeb-pkg.log" 2>&1 || {
	tail -40 "$work/bindeb-pkg.log"
	die "make bindeb-pkg failed: see $work/bindeb-pkg.log"
}
info "kernel packages built in $((SECONDS - start)) s"

# The generated module signing key never leaves the build tree.
for deb in "$work"/linux-headers-*.deb; do
	if dpkg-deb -c "$deb" | grep -q 'signing_key\.pem'; then
		die "$deb contains the module signing key"
	fi
done

# --- restrack's own packages ------------------------------------------------------
pkgsrc=$work/pkg/restrack
rm -rf "$work/pkg"
mkdir -p "$pkgsrc"
(cd "$root" && git ls-files -z -co --exclude-standard) |
	rsync -a --from0 --files-from=- "$root/" "$pkgsrc/"
cross_opt=()
[ "$(dpkg --print-architecture)" = "$debarch" ] || cross_opt=(-a"$debarch")
(cd "$pkgsrc" && dpkg-buildpackage -us -uc -b "${cross_opt[@]}" >"$work/pkg/build.log" 2>&1) || {
	tail -40 "$work/pkg/build.log"
	die "dpkg-buildpackage of debian/ failed: see $work/pkg/build.log"
}

# --- metapackages -----------------------------------------------------------------
release=$(cat "$obj/include/config/kernel.release")
meta() { # name, depends, description
	local d=$work/meta/$1
	mkdir -p "$d/DEBIAN"
	cat >"$d/DEBIAN/control" <<-EOF
		Package: $1
		Version: $KDEB_PKGVERSION
		Architecture: $debarch
		Maintainer: restrack developers <restrack@example.org>
		Depends: $2
		Section: kernel
		Priority: optional
		Description: $3
		 Depends on the newest restrack kernel built ($release), so that
		 apt upgrade moves to the next one.
	EOF
	dpkg-deb --root-owner-group -Zxz --build "$d" "$work/${1}_${KDEB_PKGVERSION}_$debarch.deb" >/dev/null
}
rm -rf "$work/meta"
meta linux-image-restrack "linux-image-$release" "restrack kernel image (latest)"
meta linux-headers-restrack "linux-headers-$release" "restrack kernel headers (latest)"

# --- the apt repository -----------------------------------------------------------
mkdir -p "$out"
tmprepo=$(mktemp -d "$out/.repo.XXXXXX")
trap 'rm -rf "$tmprepo"' EXIT
[ -d "$out/repo" ] && cp -a "$out/repo/." "$tmprepo/"
cp "$work"/*.deb "$work"/pkg/*.deb "$tmprepo/"
(cd "$tmprepo" && rm -f Packages Packages.gz Release &&
	apt-ftparchive packages . >Packages && gzip -9nk Packages &&
	apt-ftparchive -o APT::FTPArchive::Release::Origin=restrack \
		-o APT::FTPArchive::Release::Label=restrack release . >Release)
rm -rf "$out/repo"
mv "$tmprepo" "$out/repo"
trap - EXIT

info "packages in $out/repo:"
find "$out/repo" -name '*.deb' -printf '  %10s  %f\n' | sort -k2 >&2
info "use: echo 'deb [trusted=yes] file:$out/repo ./' > /etc/apt/sources.list.d/restrack.list"
