#!/bin/bash
# Write config-fragments/qemu-modules.list: the modules the QEMU machine of
# the Debian 13 end-to-end test (e2e_q35 in lib-e2e.sh: q35, virtio disk and
# NIC, serial console) has loaded once it has booted, as Debian's own
# kernel and initramfs load them.  build-debs.sh's LOCALMODCONFIG=1 trims
# Debian's config to these modules (localmodconfig).
#
#  1. mmdebstrap a Debian 13 root with the stock kernel (linux-image-amd64),
#     systemd and udev; initramfs-tools makes its initrd;
#  2. boot it in that machine (the kernel and initrd given to QEMU), let
#     systemd and udev load what they load, and print lsmod's names on the
#     console;
#  3. write them, sorted, under a header saying where they come from.
#
#   scripts/qemu-modules.sh [OUTPUT]     (default config-fragments/qemu-modules.list)
#
# Root (mmdebstrap); the network (Debian's mirror).  About 5 minutes; work
# files in build/qemu-modules/.  The output is replaced only when the boot
# gave a list.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-e2e.sh"

root=$RESTRACK_ROOT
out=${1:-$root/config-fragments/qemu-modules.list}
work=$root/build/qemu-modules
[ "$(uname -m)" = x86_64 ] || die "this boots an amd64 image: run it on x86_64"
[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap installs a kernel in a chroot)"
need_pkgs mmdebstrap qemu-system-x86 e2fsprogs fdisk

rm -rf "$work"
mkdir -p "$work"
e2e_guest_files "$work" <<'EOF'
# Give udev time to settle: every device's module loaded.
udevadm settle --timeout=60
say "lsmod:"
awk '{ print $1 }' /proc/modules | sort | sayall "module "
EOF

info "mmdebstrap: Debian 13 with its stock kernel"
start=$SECONDS
mapfile -t hooks < <(e2e_mmdebstrap_hooks "$work" modules)
mmdebstrap --variant=minbase --architectures=amd64 \
	--include=systemd-sysv,udev,kmod,initramfs-tools,linux-image-amd64,procps \
	"${hooks[@]}" \
	trixie "$work/root" "deb http://deb.debian.org/debian trixie main" \
	>"$work/mmdebstrap.log" 2>&1 ||
	{ tail -40 "$work/mmdebstrap.log"; die "mmdebstrap failed: see $work/mmdebstrap.log"; }
info "root file system made in $((SECONDS - start)) s"
kernel=$(find "$work/root/boot" -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
if [ -z "$kernel" ] || [ ! -f "$work/root/boot/initrd.img-$kernel" ]; then
	die "the root has no stock kernel and initrd (see $work/mmdebstrap.log)"
fi
# shellcheck disable=SC2016 # dpkg-query's format
pkgver=$(chroot "$work/root" dpkg-query -W -f='${Version}' "linux-image-$kernel")
cp "$work/root/boot/vmlinuz-$kernel" "$work/root/boot/initrd.img-$kernel" "$work/"
e2e_disk_image "$work/root" "$work/disk.img" 2
rm -rf "$work/root"

read -ra machine < <(e2e_q35 "$work/disk.img")
e2e_boot "$work" modules "$kernel" "${machine[@]}" \
	-kernel "$work/vmlinuz-$kernel" -initrd "$work/initrd.img-$kernel" \
	-append "root=/dev/vda1 ro console=ttyS0"
# The machine boots by BIOS here; under UEFI (make e2e-sb: OVMF, shim) it
# also needs the EFI variables (mokutil) and the ESP (grub-install).
efi_mods=(efivarfs fat vfat nls_cp437 nls_ascii)
mapfile -t mods < <(sed -n 's/^E2E: module //p' "$work/boot-modules.e2e" | sort -u)
[ ${#mods[@]} -gt 0 ] || die "the guest listed no module (see $work/boot-modules.log)"
mapfile -t mods < <(printf '%s\n' "${mods[@]}" "${efi_mods[@]}" | sort -u)
for m in virtio_blk ext4; do
	printf '%s\n' "${mods[@]}" | grep -qx "$m" ||
		die "$m is not in the guest's list: its root was not mounted by the initrd's modules (see $work/boot-modules.log)"
done

{
	echo "# The modules Debian 13's stock kernel $kernel ($pkgver) has loaded"
	echo "# after booting through its initramfs in the QEMU machine of"
	echo "# scripts/e2e-trixie.sh (e2e_q35 in scripts/lib-e2e.sh: q35, root on a"
	echo "# virtio disk, virtio NIC, serial console).  Made by"
	echo "# scripts/qemu-modules.sh; build-debs.sh's LOCALMODCONFIG=1 keeps these"
	echo "# modules of Debian's config (localmodconfig) and drops the others."
	echo "# Added to what the BIOS boot loads, for the same machine under UEFI"
	echo "# (make e2e-sb): ${efi_mods[*]}."
	echo "# One module name per line, as lsmod prints it."
	printf '%s\n' "${mods[@]}"
} >"$out.new"
mv "$out.new" "$out"
info "$out: ${#mods[@]} modules"
