#!/bin/bash
# make e2e: install the packages the way a user does and boot through GRUB.
#
#  1. mmdebstrap a Debian 12 root (amd64) whose apt sees a repository with
#     the 6.1 virt kernel only, and apt-get install the metapackages
#     linux-image-restrack-virt and linux-headers-restrack-virt, restrack-dkms
#     and restrack-tools: DKMS builds the modules from the kernel's hooks
#     (dkms status must say so).  Then install Debian's stock
#     linux-headers-amd64: the install must succeed and DKMS must pass that
#     kernel over.
#  2. Make a disk image of it (MBR, one ext4 partition, mke2fs -d).  Boot it
#     once straight into the 6.1 kernel to run grub-install and update-grub
#     inside it; from then on it boots through GRUB, with systemd as init.
#     In each boot a one-shot unit checks: both modules loaded,
#     /proc/tracker_status there, `restrack run --heap` killed by SIGKILL.
#  3. Still in that boot, apt sees the repository with 6.12 as well, and
#     `apt upgrade`: the metapackages bring in 6.12, DKMS builds for it, the
#     kernel's hook runs update-grub.  Then a kernel of a higher version
#     than both (99.0.0-stock, as a Debian point release sorts above a
#     restrack kernel) appears in /boot: GRUB's default must stay the
#     newest restrack kernel (/etc/default/grub.d/restrack.cfg of the image
#     metapackage).  The next boot must be 6.12 and pass the same checks.
#  4. Then apt remove restrack-dkms: the module files must be gone from
#     every kernel, and the system must boot again, with no module loaded,
#     and still enforce the heap quota.
# The image has no network: apt works from the repositories on its disk,
# signed repositories made by scripts/publish-repo.sh from what make debs
# built (build/debs/<series>-x86_64-virt/), with the key RESTRACK_SIGN_KEY
# names or make debs's throwaway key.  The root installs
# restrack-archive-keyring from the first and names both in a deb822
# restrack.sources with Signed-By: apt checks every signature.
# Results come back on the serial console as "E2E: ..." lines.
#
# Needs both series built: make debs FLAVOUR=virt KVER=6.1 and KVER=6.12
# (the script builds what is missing).  Root (mmdebstrap); no loop device or
# mount on the host.  Logs in build/e2e/.  --repos: make the two
# repositories in build/e2e/ and stop.  --build: build what is missing and
# stop (run-lanes.sh builds ahead of the guests).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-e2e.sh"

repos_only=0 build_only=0
case ${1:-} in
--repos) repos_only=1 ;;
--build) build_only=1 ;;
'') ;;
*) die "usage: ${0##*/} [--repos | --build]" ;;
esac
root=$RESTRACK_ROOT
work=$root/build/e2e
need_pkgs mmdebstrap qemu-system-x86 e2fsprogs fdisk

[ "$(uname -m)" = x86_64 ] || die "the end-to-end test boots an amd64 image: run it on x86_64"
[ "$(id -u)" -eq 0 ] || die "the end-to-end test needs root (mmdebstrap installs kernels in a chroot)"
built() { # series: the directory of make debs's packages of its virt kernel
	echo "$root/build/debs/$1-x86_64-virt"
}
for k in 6.1 6.12; do
	if ! compgen -G "$(built "$k")/linux-image-$k.*-restrack-virt_*.deb" >/dev/null ||
		! compgen -G "$(built "$k")/pkg/restrack-dkms_*.deb" >/dev/null; then
		KVER=$k FLAVOUR=virt ARCH=x86_64 "$root/scripts/build-debs.sh"
	fi
done
[ "$build_only" = 0 ] || exit 0
release() { # series: the release string of the virt kernel built
	find "$(built "$1")" -maxdepth 1 -name "linux-image-$1.*-restrack-virt_*.deb" -printf '%f\n' |
		sed 's/^linux-image-//; s/_.*//' | sort -V | tail -n 1
}
rel1=$(release 6.1)
rel2=$(release 6.12)

rm -rf "$work"
mkdir -p "$work"

# The repository as it was when only 6.1 was built, and with 6.12 as well:
# signed, each with the same key (RESTRACK_SIGN_KEY, or make debs's
# throwaway key), each with restrack-archive-keyring.
"$root/scripts/publish-repo.sh" --throwaway-key "$work/repo-6.1" \
	"$(built 6.1)"/*.deb "$(built 6.1)"/pkg/*.deb 2>"$work/publish.log" ||
	{ cat "$work/publish.log"; die "could not make the 6.1 repository"; }
"$root/scripts/publish-repo.sh" --throwaway-key "$work/repo-all" \
	"$(built 6.1)"/*.deb "$(built 6.1)"/pkg/*.deb "$(built 6.12)"/*.deb "$(built 6.12)"/pkg/*.deb \
	2>>"$work/publish.log" || { cat "$work/publish.log"; die "could not make the 6.1 and 6.12 repository"; }
keyring_deb=$(cd "$work/repo-6.1" && find pool -name 'restrack-archive-keyring_*_all.deb')
[ -n "$keyring_deb" ] || die "the repository has no restrack-archive-keyring (see $work/publish.log)"
restrack_sources() { # the path of a repository in the image
	printf 'Types: deb\nURIs: file:%s\nSuites: restrack\nComponents: main\nSigned-By: %s\n' \
		"$1" /usr/share/keyrings/restrack-archive-keyring.gpg
}
restrack_sources /srv/restrack-repo >"$work/restrack.sources"
if [ "$repos_only" = 1 ]; then
	info "repositories made: $work/repo-6.1 ($rel1) and $work/repo-all ($rel1, $rel2), key $(
		sed -n 's/^SignWith: //p' "$work/repo-all/conf/distributions")"
	exit 0
fi

# --- the checks, run in the image at every boot ------------------------------------
# (lib-e2e.sh: the prologue with say, check_modules, check_quota,
# apt_fail, remove_dkms and check_removed, then these stages, then "done"
# and a power-off.)
e2e_guest_files "$work" <<'EOF'
case $stage in
grub)
	# The first boot, straight into the kernel: put GRUB on the disk.
	if grub-install /dev/vda >/tmp/grub.log 2>&1 && update-grub >>/tmp/grub.log 2>&1; then
		say "grub-install and update-grub done"
		grep -o "vmlinuz-[^ ]*" /boot/grub/grub.cfg | sort -u | sed 's/^/E2E: grub.cfg: /' >/dev/ttyS0
		echo 6.1 >/etc/restrack-e2e-stage
	else
		sed 's/^/E2E: FAIL grub: /' /tmp/grub.log >/dev/ttyS0
	fi ;;
6.1)
	check_modules
	check_quota
	# The 6.12 kernel is published: apt upgrade (the same key signs it).
	sed -i 's|^URIs: .*|URIs: file:/srv/restrack-repo-all|' /etc/apt/sources.list.d/restrack.sources
	if apt-get update -q >/tmp/apt.log 2>&1 && apt upgrade -y -q >>/tmp/apt.log 2>&1; then
		grep '^Setting up' /tmp/apt.log | sed 's/^/E2E: apt: /' >/dev/ttyS0
		dkms status | sed 's/^/E2E: dkms: /' >/dev/ttyS0
		# A kernel of a higher version than any restrack one, as a
		# Debian point release is (this 6.1 kernel under the name
		# 99.0.0-stock): GRUB must still boot the newest restrack one.
		cp "/boot/vmlinuz-$(uname -r)" /boot/vmlinuz-99.0.0-stock
		update-grub >/tmp/grub.log 2>&1 || sed 's/^/E2E: FAIL grub: /' /tmp/grub.log >/dev/ttyS0
		grep -o "vmlinuz-[^ ]*" /boot/grub/grub.cfg | sort -u | sed 's/^/E2E: grub.cfg: /' >/dev/ttyS0
		grep -o 'set default="gnulinux[^"]*"' /boot/grub/grub.cfg | sed 's/^/E2E: grub: /' >/dev/ttyS0
		echo 6.12 >/etc/restrack-e2e-stage
	else
		apt_fail
	fi ;;
6.12)
	check_modules
	check_quota
	remove_dkms ;;
removed)
	check_removed ;;
esac
EOF

# --- trixie's lintian on what is published ------------------------------------------
# make debs checks with the host's (bookworm's) lintian; Debian 13's is
# stricter (aliased-location for files under /lib).  In the background
# while the root is made; an error stops the test before the first boot.
lint=$work/lintian-trixie.log
e2e_lintian_start "$lint" "$work/repo-6.1/$keyring_deb" \
	"$(built 6.1)"/*.deb "$(built 6.1)"/pkg/*.deb "$(built 6.12)"/*.deb "$(built 6.12)"/pkg/*.deb

# --- 1. the root file system ------------------------------------------------------
info "mmdebstrap: Debian 12 with the $rel1 kernel, restrack-dkms and restrack-tools"
start=$SECONDS
mapfile -t hooks < <(e2e_mmdebstrap_hooks "$work" grub)
# The hooks are shell code that mmdebstrap runs with the root as $1.
# shellcheck disable=SC2016
mmdebstrap --variant=minbase --architectures=amd64 \
	--include=systemd-sysv,udev,kmod,initramfs-tools,grub-pc,dkms,apt,procps \
	--setup-hook='mkdir -p "$1/srv/restrack-repo" "$1/srv/restrack-repo-all"' \
	--setup-hook="sync-in $work/repo-6.1 /srv/restrack-repo" \
	--setup-hook="sync-in $work/repo-all /srv/restrack-repo-all" \
	"${hooks[@]}" \
	--customize-hook="chroot \"\$1\" dpkg -i /srv/restrack-repo/$keyring_deb >\"\$1/root/keyring.log\" 2>&1 || { cat \"\$1/root/keyring.log\"; exit 1; }" \
	--customize-hook="copy-in $work/restrack.sources /etc/apt/sources.list.d" \
	--customize-hook='chroot "$1" apt-get update -q >"$1/root/apt-update.log" 2>&1 || { cat "$1/root/apt-update.log"; exit 1; }' \
	--customize-hook='chroot "$1" apt-get install -y -q linux-image-restrack-virt linux-headers-restrack-virt restrack-dkms restrack-tools >"$1/root/apt-1.log" 2>&1 || { tail -40 "$1/root/apt-1.log"; tail -n 30 "$1"/var/lib/dkms/restrack/*/build/make.log; exit 1; }' \
	--customize-hook='chroot "$1" dkms status >"$1/root/dkms-status-1"' \
	--customize-hook='chroot "$1" apt-get install -y -q linux-headers-amd64 >"$1/root/apt-stock.log" 2>&1 || { tail -40 "$1/root/apt-stock.log"; exit 1; }' \
	--customize-hook='chroot "$1" dkms status >"$1/root/dkms-status-stock"' \
	--customize-hook='rm -f "$1/etc/apt/sources.list" "$1/etc/resolv.conf"' \
	bookworm "$work/root" "deb http://deb.debian.org/debian bookworm main" \
	>"$work/mmdebstrap.log" 2>&1 ||
	{ tail -40 "$work/mmdebstrap.log"; die "mmdebstrap failed: see $work/mmdebstrap.log"; }
info "root file system made in $((SECONDS - start)) s"
cp -r "$work/root/root" "$work/root-home"
cat "$work/root-home/dkms-status-1" >&2
grep -q "^restrack/.*, $rel1, x86_64: installed" "$work/root-home/dkms-status-1" ||
	die "DKMS did not install the modules for $rel1 (see $work/root-home/apt-1.log)"
stock=$(sed -n 's/^Setting up linux-headers-\([0-9.]*-[0-9]*-amd64\) .*/\1/p' "$work/root-home/apt-stock.log")
[ -n "$stock" ] || die "linux-headers-amd64 did not install a stock kernel's headers (see $work/root-home/apt-stock.log)"
if grep -q ", $stock," "$work/root-home/dkms-status-stock"; then
	die "DKMS did not pass over the stock kernel $stock: $(cat "$work/root-home/dkms-status-stock")"
fi
info "stock kernel $stock: headers installed, DKMS passed it over"

e2e_lintian_wait "$lint"

# --- 2. the disk image ---------------------------------------------------------------
img=$work/disk.img
e2e_disk_image "$work/root" "$img" 4
cp "$work/root/boot/vmlinuz-$rel1" "$work/root/boot/initrd.img-$rel1" "$work/"
rm -rf "$work/root"

# Boot the image (lib-e2e.sh: e2e_boot checks the E2E lines; logs in
# boot-LABEL.log and .e2e).  E2E_SMP: its vCPUs (2).
boot() { # label, release that must boot, [qemu options]
	local label=$1 want=$2
	shift 2
	e2e_boot "$work" "$label" "$want" -M pc -cpu max -m 2G -smp "${E2E_SMP:-2}" \
		-drive file="$img",format=raw,if=virtio,cache=unsafe "$@"
}
# Straight into the kernel, once, to install GRUB from inside.
boot grub-install "$rel1" -kernel "$work/vmlinuz-$rel1" -initrd "$work/initrd.img-$rel1" \
	-append "root=/dev/vda1 ro console=ttyS0"
grep -q "^E2E: grub.cfg: vmlinuz-$rel1\$" "$work/boot-grub-install.e2e" || die "update-grub did not list $rel1"

# --- 2, 3. through GRUB: 6.1, then the upgrade to 6.12 -------------------------------------
boot 6.1 "$rel1"
grep -q "^E2E: apt: Setting up linux-image-$rel2 " "$work/boot-6.1.e2e" ||
	die "apt upgrade did not bring in linux-image-$rel2 (see $work/boot-6.1.log)"
grep -q "^E2E: dkms: restrack/.*, $rel2, x86_64: installed" "$work/boot-6.1.e2e" ||
	die "DKMS did not build the modules for $rel2 (see $work/boot-6.1.log)"
grep -q "^E2E: grub.cfg: vmlinuz-$rel2\$" "$work/boot-6.1.e2e" || die "update-grub did not list $rel2"
grep -q "^E2E: grub.cfg: vmlinuz-99.0.0-stock\$" "$work/boot-6.1.e2e" || die "update-grub did not list the higher kernel"
grep -q "^E2E: grub: set default=\".*>gnulinux-$rel2-advanced-" "$work/boot-6.1.e2e" ||
	die "GRUB's default is not $rel2 (see $work/boot-6.1.log)"
# The higher kernel is listed first; GRUB must boot the restrack one.
boot 6.12 "$rel2"

# --- 4. removal ----------------------------------------------------------------------
boot removed "$rel2"
info "end-to-end: all steps passed in $SECONDS s"
