#!/bin/bash
# make e2e-sb: prove the Secure Boot chain in QEMU (x86_64, issue 14).
#
# A Debian 13 (trixie) amd64 root on a GPT disk with an EFI system
# partition, booted by OVMF's Secure Boot firmware with Microsoft's keys
# (Debian's ovmf: OVMF_CODE_4M.secboot.fd, OVMF_VARS_4M.ms.fd; q35 with
# SMM) through Debian's signed shim and GRUB, into a kernel signed with a
# test key that shim trusts because the key is enrolled as a MOK.
#
#  - The key: SB_KEY= and SB_CERT= (PEM), or a test key generated once in
#    ~/.cache/restrack/sb-key/ (outside the checkout; RESTRACK_CACHE names
#    another place than ~/.cache/restrack).  It is enrolled offline into a
#    copy of the firmware's variables as a MOK (python3-virt-firmware's
#    virt-fw-vars --add-mok, run in a trixie tools root).
#  - The kernel: SB_KERNEL_DEB= a linux-image .deb (the restrack kernel
#    from make debs) and SB_HEADERS_DEB= its headers, published with
#    restrack's own packages (SB_RESTRACK_DEBS=, by default restrack-dkms,
#    restrack-tools and librestrack0 found next to SB_KERNEL_DEB or in its
#    pkg/) in a signed apt repository (publish-repo.sh --throwaway-key)
#    that the root names in restrack.sources with Signed-By, as a user's
#    does, and installed from it with apt-get: first the kernel and its
#    headers, then restrack-dkms and restrack-tools.  Without
#    SB_KERNEL_DEB, trixie's stock linux-image-amd64 (which Debian signed)
#    and linux-headers-amd64, and no restrack package.  The kernel is
#    signed again with the test key (sbsign) unless make debs already
#    signed it with that key alone.  Its initramfs comes from
#    initramfs-tools.
#  - DKMS (trixie's 3.2.2) builds restrack-dkms's modules against the
#    headers when the package is installed, in the root on the host, and
#    signs them with its own MOK, /var/lib/dkms/mok.key and mok.pub, which
#    it generates there (openssl).  That mok.pub is then enrolled offline
#    as a second MOK, beside the test key: one boot, where a user does
#    mokutil --import and a second boot through MokManager (README).  The
#    kernel was built on Debian 12 with gcc-12, which its headers name in
#    .kernelvariables (CC = gcc-12) and depend on: DKMS and the test module
#    build with it, and the root has no plain gcc.  (Headers without
#    .kernelvariables that call plain gcc get update-alternatives making
#    /usr/bin/gcc the kernel's gcc-N; see root_kernel_cc.)
#  - The ESP has the files of grub-install --uefi-secure-boot
#    --force-extra-removable: EFI/debian/shimx64.efi, grubx64.efi (the
#    signed GRUB), mmx64.efi (MokManager), fbx64.efi, BOOTX64.CSV, and the
#    removable path EFI/BOOT/BOOTX64.EFI (shim), grubx64.efi, mmx64.efi;
#    grub.cfg (in both) loads the kernel from the ext4 root.  No loop
#    device, no mount: sfdisk, mke2fs -d and mtools work on the image file.
#    The first boot runs grub-install itself on that ESP and checks that it
#    installs the same files.
#
# Boots, each with one vCPU and a fresh copy of the variables:
#  1. sb: the signed kernel, both MOKs enrolled: must reach userspace, where a
#     systemd unit reports on the serial console, as "E2E-SB: ..." lines:
#     `mokutil --sb-state` says SecureBoot enabled, the lockdown is
#     integrity (Debian's kernels lock down under Secure Boot), the kernel
#     is not tainted by an unsigned module (taint bit 13, E), both MOKs are
#     enrolled and the test key is in the kernel's keyring, grub-install
#     --uefi-secure-boot installs what the host put on the ESP; restrack's
#     modules (cleanup_kprobe, tracker) were loaded at boot
#     (modules-load.d), their signer is DKMS's MOK, /proc/tracker_status
#     is there and `restrack run --heap 8M` on a growing process exits 137;
#     then a small out-of-tree module built against the kernel's headers:
#     unsigned and signed with a foreign key (scripts/sign-file of the
#     headers) it is refused (Debian's kernels enforce module signatures
#     under Secure Boot: EKEYREJECTED), signed with the MOK it loads (shim
#     sets MokListTrustedRT, and CONFIG_INTEGRITY_MACHINE_KEYRING puts the
#     MOKs in the .machine keyring, which the module check trusts; the guest
#     says which keyring holds it).
#  2. unsigned: the same kernel with its signature removed: GRUB must
#     refuse it (shim's verifier: "bad shim signature"), userspace never
#     comes.
#  3. no-mok: the signed kernel, the firmware's variables without the MOKs:
#     refused too; the MOK is what lets the kernel in.
#  4. no-dkms-mok (with restrack-dkms): the test key enrolled, DKMS's not:
#     the kernel boots and refuses restrack's modules; DKMS's MOK is what
#     lets them in.
# Big things are cached in ~/.cache/restrack/e2e-sb/ (the trixie guest
# root and the tools root, made again after a week or when their package
# list changes); everything of a run is in build/e2e-sb/ (logs, disk,
# results in build/e2e-sb/result, written last).  Needs root (mmdebstrap,
# chroot) and deb.debian.org on the first run.  --roots: make the cached
# roots and stop.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-e2e.sh"

roots_only=0
case ${1:-} in
--roots) roots_only=1 ;;
'') ;;
*) die "usage: ${0##*/} [--roots]   (SB_KEY= SB_CERT= SB_KERNEL_DEB= SB_HEADERS_DEB= SB_RESTRACK_DEBS= in the environment)" ;;
esac
[ -z "${SB_HEADERS_DEB:-}${SB_RESTRACK_DEBS:-}" ] || [ -n "${SB_KERNEL_DEB:-}" ] ||
	die "SB_HEADERS_DEB= and SB_RESTRACK_DEBS= go with SB_KERNEL_DEB= (the restrack kernel's linux-image package)"
for deb in ${SB_KERNEL_DEB:+"$SB_KERNEL_DEB"} ${SB_HEADERS_DEB:+"$SB_HEADERS_DEB"}; do
	[ -f "$deb" ] || die "no such package: $deb"
done
[ "$(uname -m)" = x86_64 ] || die "the Secure Boot test boots an amd64 image: run it on x86_64"
[ "$(id -u)" -eq 0 ] || die "the Secure Boot test needs root (mmdebstrap, chroot): run it with sudo"
need_pkgs mmdebstrap qemu-system-x86 e2fsprogs fdisk dosfstools mtools sbsigntool openssl util-linux

mirror=http://deb.debian.org/debian
max_age=$((7 * 24 * 3600))
cache=${RESTRACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/restrack}
sbcache=$cache/e2e-sb
work=$RESTRACK_ROOT/build/e2e-sb
boot_timeout=${SB_BOOT_TIMEOUT:-1500}
# What the guest needs: shim, GRUB, mokutil, a kernel with its headers
# and what builds a module against them; DKMS with openssl (it makes its
# MOK with it) and gcc-12, the compiler of a kernel built on Debian 12
# (its headers depend on it): in the cached root, so that apt installs
# restrack's packages from the repository alone, with no network.
guest_pkgs=systemd-sysv,udev,kmod,procps,keyutils,initramfs-tools,linux-image-amd64,linux-headers-amd64,shim-signed,grub-efi-amd64-signed,mokutil,make,dkms,openssl,gcc-12
# The guest root's name says its packages: a run of another package list
# (an older checkout) keeps its own root.
guest_root=guest-$(printf '%s' "$guest_pkgs" | sha256sum | cut -c1-8)
# What the host takes from trixie: virt-fw-vars (not in bookworm) and
# trixie's OVMF, so firmware, shim and GRUB are of one release.
tools_pkgs=python3-virt-firmware,ovmf
mkdir -p "$sbcache"

# --- the cached roots ---------------------------------------------------------------
# cached_root NAME PACKAGES: $sbcache/NAME, a trixie root with PACKAGES,
# made again after a week or when PACKAGES change; made next to it and
# renamed into place, so it is always whole.  Runs take turns (flock).
cached_root() {
	local name=$1 pkgs=$2 dir=$sbcache/$1 new made log start
	exec 9>"$sbcache/$name.lock"
	flock 9
	made=$(sed -n 's/^made=//p' "$dir/etc/restrack-e2e-sb-root" 2>/dev/null || true)
	if [ -n "$made" ] && [ $(($(date +%s) - made)) -lt "$max_age" ] &&
		[ "$(sed -n 's/^packages=//p' "$dir/etc/restrack-e2e-sb-root")" = "$pkgs" ]; then
		exec 9>&-
		return
	fi
	new=$sbcache/.$name.new.$$ log=$sbcache/$name.mmdebstrap.log start=$SECONDS
	rm -rf --one-file-system "$sbcache/.$name".*
	info "making the trixie $name root in $dir (mmdebstrap, a few minutes)"
	mmdebstrap --variant=minbase --architectures=amd64 --include="$pkgs" \
		trixie "$new" "deb $mirror trixie main" >"$log" 2>&1 || {
		tail -n 30 "$log" >&2
		rm -rf --one-file-system "$new"
		die "mmdebstrap of the trixie $name root failed (see $log; it needs deb.debian.org)"
	}
	printf 'made=%s\npackages=%s\n' "$(date +%s)" "$pkgs" >"$new/etc/restrack-e2e-sb-root"
	rm -rf --one-file-system "$dir"
	mv "$new" "$dir"
	info "trixie $name root made in $((SECONDS - start)) s"
	exec 9>&-
}
cached_root "$guest_root" "$guest_pkgs"
cached_root tools "$tools_pkgs"
[ "$roots_only" = 0 ] || { info "roots ready in $sbcache"; exit 0; }

# --- the test key --------------------------------------------------------------------
# SB_KEY and SB_CERT (PEM), or the test key of ~/.cache/restrack/sb-key
# (sb_signing_key, lib.sh: shared with make debs, which signs with it).
sb_signing_key
key=$sb_key cert=$sb_cert
key_cn=$(openssl x509 -in "$cert" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
info "signing key: $cert ($key_cn)"

# --- the run's root ------------------------------------------------------------------
qemu_pid=''
cleanup() {
	if [ -n "$qemu_pid" ]; then kill "$qemu_pid" 2>/dev/null || true; fi
	rm -rf --one-file-system "$work/foreign"
}
trap cleanup EXIT
rm -rf --one-file-system "$work" || die "could not remove $work (is something still mounted in it?)"
mkdir -p "$work"
root=$work/root
info "copying the trixie root"
cp -a "$sbcache/$guest_root" "$root"

# in_root COMMAND...: run COMMAND in the root, with /proc, /sys and /dev,
# and the signing key and certificate in /mnt/sb-key (the test key, or
# in_key= and in_cert= for the call), mounted in a mount
# namespace of its own: nothing stays mounted, nothing of the key stays
# in the root.
in_root() {
	# shellcheck disable=SC2016 # the inner shell expands them
	unshare --mount --propagation private /bin/sh -ec '
		r=$1 key=$2 cert=$3
		shift 3
		mount -t proc proc "$r/proc"
		mount -t sysfs sysfs "$r/sys"
		mount --rbind /dev "$r/dev"
		mkdir -p "$r/mnt/sb-key"
		mount -t tmpfs -o mode=700 tmpfs "$r/mnt/sb-key"
		cp "$key" "$r/mnt/sb-key/key.pem"
		cp "$cert" "$r/mnt/sb-key/cert.pem"
		exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' \
		sh "$root" "${in_key:-$key}" "${in_cert:-$cert}" "$@"
}

# in_root_apt APT-GET-ARGUMENT...: apt-get in the root with restrack.sources
# as its only source list: the repository is all it reads, no network.
in_root_apt() {
	in_root apt-get -q -y -o Dir::Etc::SourceList=/etc/apt/sources.list.d/restrack.sources \
		-o Dir::Etc::SourceParts=/var/lib/restrack-e2e-sb/no-sources "$@"
}

# The kernel's compiler must be a command in the root: DKMS and the test
# module build with the headers' Makefile, which calls it.  restrack's
# headers name it in .kernelvariables (CC = gcc-12), as Debian's do, and
# depend on its package: that is what a user's system has, and all this
# uses.  Headers without it call the first word of CONFIG_CC_VERSION_TEXT;
# when that is plain gcc (a kernel built on Debian 12; trixie's gcc package
# would be gcc-14), gcc is made gcc-N, N from CONFIG_GCC_VERSION, which the
# root has (gcc-12 in guest_pkgs), with update-alternatives, in /usr/bin:
# apt runs dpkg, and so DKMS, with DPkg::Path, which has no /usr/local/bin.
# Sets kcc.
root_kernel_cc() {
	local config=$root/boot/config-$rel vars=$root/usr/src/linux-headers-$rel/.kernelvariables major
	# shellcheck disable=SC2016 # make's $(CROSS_COMPILE); the root's shell expands $1
	if [ -f "$vars" ]; then
		kcc=$(sed -n 's/^CC *= *\(\$(CROSS_COMPILE)\)\{0,1\}\([^ ]*\) *$/\2/p' "$vars" | tail -n 1)
		if [ -n "$kcc" ] && in_root sh -c 'command -v "$1"' sh "$kcc" >/dev/null; then
			info "$rel's headers build modules with $kcc (.kernelvariables), which the root has: no plain gcc needed"
			return
		fi
	fi
	kcc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\{0,1\}\([^" ]*\) .*/\1/p' "$config")
	[ -n "$kcc" ] || die "no CONFIG_CC_VERSION_TEXT in /boot/config-$rel: which compiler built $rel?"
	# shellcheck disable=SC2016 # the root's shell expands it
	if in_root sh -c 'command -v "$1"' sh "$kcc" >/dev/null; then return; fi
	major=$(sed -n 's/^CONFIG_GCC_VERSION=\([0-9]*\)[0-9]\{4\}$/\1/p' "$config")
	{ [ "$kcc" = gcc ] && [ -n "$major" ]; } ||
		die "$rel was built with $kcc, which the root does not have: add its package to guest_pkgs"
	[ -x "$root/usr/bin/gcc-$major" ] ||
		die "$rel was built with gcc $major and its headers call gcc: the root has no gcc-$major (add it to guest_pkgs)"
	in_root update-alternatives --install /usr/bin/gcc gcc "/usr/bin/gcc-$major" "$major" >/dev/null ||
		die "update-alternatives could not make gcc gcc-$major in the root"
	info "$rel was built with gcc-$major and its headers call gcc: gcc is gcc-$major in the root (update-alternatives; for DKMS and the test module)"
}

# restrack_debs: the packages that go into the repository with the kernel:
# SB_RESTRACK_DEBS=, else restrack-dkms, restrack-tools and librestrack0
# (the newest of each) next to SB_KERNEL_DEB or in its pkg/ (make debs).
restrack_debs() {
	local dir name list
	if [ -n "${SB_RESTRACK_DEBS:-}" ]; then
		read -ra list <<<"$SB_RESTRACK_DEBS"
		printf '%s\n' "${list[@]}"
		return
	fi
	dir=$(dirname "$SB_KERNEL_DEB")
	for name in restrack-dkms restrack-tools librestrack0; do
		find "$dir" -maxdepth 2 \( -path "$dir/${name}_*.deb" -o -path "$dir/pkg/${name}_*.deb" \) | sort -V | tail -n 1
	done
}

kcc=''
if [ -n "${SB_KERNEL_DEB:-}" ]; then
	pkg=$(dpkg-deb --field "$SB_KERNEL_DEB" Package 2>/dev/null) ||
		die "SB_KERNEL_DEB=$SB_KERNEL_DEB is not a Debian package"
	case $pkg in
	linux-image-*) rel=${pkg#linux-image-} ;;
	*) die "SB_KERNEL_DEB=$SB_KERNEL_DEB is $pkg, not a linux-image package" ;;
	esac
	kernel_pkgs=("$pkg")
	[ -z "${SB_HEADERS_DEB:-}" ] || kernel_pkgs+=("$(dpkg-deb --field "$SB_HEADERS_DEB" Package)")
	mapfile -t own_debs < <(restrack_debs)
	own_pkgs=()
	for deb in "${own_debs[@]}"; do
		[ -f "$deb" ] || die "no such package: $deb (SB_RESTRACK_DEBS=)"
		own_pkgs+=("$(dpkg-deb --field "$deb" Package)")
	done
	# restrack's signed repository, as a user's apt sees it: the keyring
	# package installed, restrack.sources with Signed-By.
	info "publishing ${kernel_pkgs[*]} ${own_pkgs[*]} in a signed repository ($work/repo)"
	"$RESTRACK_ROOT/scripts/publish-repo.sh" --throwaway-key "$work/repo" "$SB_KERNEL_DEB" \
		${SB_HEADERS_DEB:+"$SB_HEADERS_DEB"} "${own_debs[@]}" 2>"$work/publish.log" ||
		{ tail -n 30 "$work/publish.log" >&2; die "publish-repo.sh could not make the repository (see $work/publish.log)"; }
	keyring_deb=$(cd "$work/repo" && find pool -name 'restrack-archive-keyring_*_all.deb')
	[ -n "$keyring_deb" ] || die "the repository has no restrack-archive-keyring (see $work/publish.log)"
	mkdir -p "$root/srv/restrack-repo" "$root/var/lib/restrack-e2e-sb/no-sources"
	cp -a "$work/repo/dists" "$work/repo/pool" "$root/srv/restrack-repo/"
	printf 'Types: deb\nURIs: file:/srv/restrack-repo\nSuites: restrack\nComponents: main\nSigned-By: %s\n' \
		/usr/share/keyrings/restrack-archive-keyring.gpg >"$root/etc/apt/sources.list.d/restrack.sources"
	if ! in_root dpkg -i "/srv/restrack-repo/$keyring_deb" >"$work/apt.log" 2>&1 ||
		! in_root_apt update >>"$work/apt.log" 2>&1; then
		tail -n 30 "$work/apt.log" >&2
		die "apt-get update from restrack's signed repository failed (see $work/apt.log)"
	fi
	# The kernel first, then restrack's packages, as a user installs them;
	# DKMS builds the modules for $rel when restrack-dkms is configured.
	info "apt-get install ${kernel_pkgs[*]} in the root"
	in_root_apt install "${kernel_pkgs[@]}" >>"$work/apt.log" 2>&1 ||
		{ tail -n 30 "$work/apt.log" >&2; die "apt-get install ${kernel_pkgs[*]} failed (see $work/apt.log)"; }
	[ -f "$root/boot/config-$rel" ] || die "$pkg installed no /boot/config-$rel"
	root_kernel_cc
	if [ ${#own_pkgs[@]} -gt 0 ]; then
		info "apt-get install ${own_pkgs[*]} in the root (DKMS builds restrack's modules for $rel)"
		in_root_apt install "${own_pkgs[@]}" >"$work/apt-restrack.log" 2>&1 ||
			{ tail -n 40 "$work/apt-restrack.log" >&2; die "apt-get install ${own_pkgs[*]} failed (see $work/apt-restrack.log)"; }
	fi
	rm -rf "$root/var/lib/restrack-e2e-sb"
else
	rel=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
	[ -n "$rel" ] || die "the trixie root has no kernel in /boot (remove $sbcache/$guest_root to make it again)"
	root_kernel_cc
fi
vmlinuz=$root/boot/vmlinuz-$rel
[ -f "$vmlinuz" ] || die "no /boot/vmlinuz-$rel in the root"
[ -f "$root/boot/initrd.img-$rel" ] || die "no /boot/initrd.img-$rel in the root (initramfs-tools did not run?)"
[ -d "$root/usr/src/linux-headers-$rel" ] ||
	die "no headers for $rel in the root: give SB_HEADERS_DEB= (the linux-headers package of SB_KERNEL_DEB)"

# --- restrack-dkms: built and signed by DKMS, its MOK -----------------------------------
# DKMS made /var/lib/dkms/mok.key and mok.pub (DER) when it first signed;
# mok.pub is enrolled as a second MOK below.  The private key stays in the
# root, as on a user's machine.
dkms_cn=''
if [ -d "$root/var/lib/dkms/restrack" ]; then
	in_root dkms status >"$work/dkms-status.txt" 2>&1 || true
	grep -q "^restrack/[^,]*, $rel, x86_64: installed" "$work/dkms-status.txt" ||
		{ cat "$work/dkms-status.txt" >&2; die "DKMS did not install restrack's modules for $rel (see $work/apt-restrack.log and $work/dkms-status.txt)"; }
	{ [ -s "$root/var/lib/dkms/mok.pub" ] && [ -s "$root/var/lib/dkms/mok.key" ]; } ||
		die "DKMS made no MOK (/var/lib/dkms/mok.key, mok.pub) in the root (see $work/apt-restrack.log)"
	openssl x509 -inform DER -in "$root/var/lib/dkms/mok.pub" -out "$work/dkms-mok.pem" ||
		die "/var/lib/dkms/mok.pub in the root is not a DER certificate"
	dkms_cn=$(openssl x509 -in "$work/dkms-mok.pem" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
	for m in cleanup_kprobe tracker; do
		signer=$(in_root modinfo -k "$rel" -F signer "$m" 2>/dev/null) || signer=''
		[ "$signer" = "$dkms_cn" ] || die "DKMS's $m for $rel is signed by '${signer:-nobody}', not by its MOK '$dkms_cn'"
	done
	info "DKMS built restrack's modules for $rel with $kcc (gcc $(in_root "$kcc" -dumpfullversion)) and signed them with its MOK ($dkms_cn)"
fi

# --- the kernel: its signatures removed, signed with the test key -------------------------
info "kernel $rel: was signed by: $(sbverify --list "$vmlinuz" 2>/dev/null | sed -n 's/^ *- subject: //p' | paste -sd';')"
cp "$vmlinuz" "$work/vmlinuz.unsigned"
presigned=no
if [ "$(sbverify --list "$vmlinuz" 2>/dev/null | grep -c '^signature [0-9]')" = 1 ] &&
	sbverify --cert "$cert" "$vmlinuz" >/dev/null 2>&1; then
	presigned=yes # make debs signed it with this key: kept as it is
fi
n=0
while sbverify --list "$work/vmlinuz.unsigned" 2>/dev/null | grep -q '^signature [0-9]'; do
	sbattach --remove "$work/vmlinuz.unsigned" >/dev/null 2>&1 || die "sbattach --remove failed on vmlinuz-$rel"
	n=$((n + 1))
	[ "$n" -lt 8 ] || die "vmlinuz-$rel still has a signature after $n removals"
done
if [ "$presigned" = yes ]; then
	cp "$work/vmlinuz.unsigned" "$vmlinuz.unsigned"
	info "kernel $rel: already signed with $key_cn alone (make debs): kept as the package installed it; its copy without the signature for the negative control"
else
	sbsign --key "$key" --cert "$cert" --output "$work/vmlinuz.signed" "$work/vmlinuz.unsigned" >/dev/null 2>&1 ||
		die "sbsign failed (is $key the key of $cert?)"
	sbverify --cert "$cert" "$work/vmlinuz.signed" >/dev/null 2>&1 || die "sbverify does not accept the kernel just signed"
	cp "$work/vmlinuz.signed" "$vmlinuz"
	cp "$work/vmlinuz.unsigned" "$vmlinuz.unsigned"
	info "kernel $rel: $n signature(s) removed, signed with the test key"
fi

# --- the test module: unsigned, foreign key, test key -----------------------------
mkdir -p "$root/tmp/sbmod" "$root/usr/local/lib/restrack-sb" "$work/foreign"
cat >"$root/tmp/sbmod/restrack_sbtest.c" <<'MOD'
// SPDX-License-Identifier: GPL-2.0
/* A module that only loads: the Secure Boot test signs it three ways. */
#include <linux/init.h>
#include <linux/module.h>

static int __init restrack_sbtest_init(void)
{
	pr_info("restrack_sbtest: loaded\n");
	return 0;
}

static void __exit restrack_sbtest_exit(void)
{
}

module_init(restrack_sbtest_init);
module_exit(restrack_sbtest_exit);
MODULE_DESCRIPTION("restrack Secure Boot test module");
MODULE_LICENSE("GPL");
MOD
echo 'obj-m := restrack_sbtest.o' >"$root/tmp/sbmod/Kbuild"
# Built with the kernel's own compiler (root_kernel_cc), as DKMS builds.
in_root make -C "/usr/src/linux-headers-$rel" M=/tmp/sbmod CC="$kcc" modules >"$work/module-build.log" 2>&1 ||
	{ tail -n 30 "$work/module-build.log" >&2; die "the test module did not build (see $work/module-build.log)"; }
# A foreign key: made for this run, thrown away at its end.
openssl req -new -x509 -newkey rsa:2048 -sha256 -nodes -days 1 -subj "/CN=restrack foreign test key" \
	-keyout "$work/foreign/key.pem" -out "$work/foreign/cert.pem" >/dev/null 2>&1 ||
	die "openssl could not make the foreign key"
mods=/usr/local/lib/restrack-sb
for how in unsigned foreign mok; do
	cp "$root/tmp/sbmod/restrack_sbtest.ko" "$root$mods/$how.ko"
done
sign_file=/usr/src/linux-headers-$rel/scripts/sign-file
[ -x "$root$sign_file" ] || die "the headers of $rel have no scripts/sign-file"
in_root "$sign_file" sha256 /mnt/sb-key/key.pem /mnt/sb-key/cert.pem "$mods/mok.ko" ||
	die "sign-file with the test key failed"
in_key=$work/foreign/key.pem in_cert=$work/foreign/cert.pem \
	in_root "$sign_file" sha256 /mnt/sb-key/key.pem /mnt/sb-key/cert.pem "$mods/foreign.ko" ||
	die "sign-file with the foreign key failed"
rm -rf "$work/foreign" "$root/tmp/sbmod"
for how in unsigned foreign mok; do
	printf '%s: %s\n' "$how" "$(tail -c 28 "$root$mods/$how.ko" | tr -dc '[:print:]')"
done >"$work/modules.txt"
if [ "$(grep -c 'Module signature appended' "$work/modules.txt")" != 2 ] ||
	grep -q '^unsigned: .*Module signature appended' "$work/modules.txt"; then
	die "the test modules are not signed as meant: $(cat "$work/modules.txt")"
fi
info "test module built for $rel: unsigned, signed with a foreign key, signed with the test key"

# restrack's fetch system call (549) on pid 1: a static program (the root
# has no python3) that says the errno; ENOSYS where the kernel lacks it.
gcc -static -O2 -o "$root$mods/syscall-probe" -x c - <<'PROBE' || die "gcc could not build the syscall probe (static libc: libc6-dev)"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	long r = syscall(549, 1L, 0L, 0L);

	printf("fetch(1): %ld errno %d (%s)\n", r, r < 0 ? errno : 0, r < 0 ? strerror(errno) : "none");
	return 0;
}
PROBE

# --- the checks in the guest ---------------------------------------------------------
# The prologue of lib-e2e.sh (check_modules, check_quota), its lines
# said as "E2E-SB: ..." here.
echo sb >"$root/etc/restrack-e2e-stage"
{
	e2e_guest_prologue
	cat <<'GUEST'
# restrack Secure Boot test, run at boot by restrack-e2e-sb.service: facts
# on the serial console as "E2E-SB: ..." lines (the host judges them),
# then the machine powers off.
say() { echo "E2E-SB: $*" >/dev/ttyS0; }
sayall() { sed "s/^/E2E-SB: $1/" >/dev/ttyS0; }
mods=/usr/local/lib/restrack-sb
say "stage userspace, kernel $(uname -r)"
say "sb-state: $(mokutil --sb-state 2>&1 | paste -sd' ')"
say "lockdown: $(cat /sys/kernel/security/lockdown 2>&1)"
say "tainted: $(cat /proc/sys/kernel/tainted)"
if grep -q restrack /proc/version; then say "proc-version: restrack"; else say "proc-version: not restrack"; fi
say "syscall: $($mods/syscall-probe 2>&1)"
say "tracker-status: $([ -e /proc/tracker_status ] && echo present || echo absent)"
# mokutil needs efivarfs, the ESP vfat: a kernel trimmed by localmodconfig
# to a machine without EFI lacks them.
modprobe -a efivarfs vfat nls_cp437 nls_ascii >/dev/null 2>&1
for fs in efivarfs vfat; do
	if grep -qw "$fs" /proc/filesystems; then say "filesystem $fs: yes"; else say "filesystem $fs: no"; fi
done
# The MOKs: the test key (the kernel's), and DKMS's when restrack-dkms is
# installed; /etc/restrack-e2e-sb-cn has their CNs, one a line.
mokutil --list-enrolled 2>/dev/null | sed -n 's/^ *Subject: .*CN *= *//p' >/tmp/mok-cns
while read -r cn; do
	enrolled=no
	while read -r v; do
		case $v in "$cn" | "$cn,"* | "$cn/"*) enrolled=yes ;; esac
	done </tmp/mok-cns
	say "mok-enrolled: $cn: $enrolled"
	dmesg | grep -F "Loaded X.509 cert '$cn: " | sed 's/^\[[^]]*\] //' | sayall "keyring: "
done </etc/restrack-e2e-sb-cn
cn=$(head -n 1 /etc/restrack-e2e-sb-cn)
# Which of the kernel's keyrings holds it (.machine: shim's MokListTrustedRT
# and CONFIG_INTEGRITY_MACHINE_KEYRING; .platform otherwise).
awk '$8 == "keyring" && $9 ~ /^\./ { print $1, $9 }' /proc/keys | while read -r id name; do
	if keyctl list "0x$id" 2>/dev/null | grep -qF "$cn"; then say "mok-keyring: ${name%:}"; fi
done
# restrack-dkms: its modules, loaded at boot (modules-load.d), their
# signer, what the kernel said of them, and a quota.
if [ -s /etc/restrack-e2e-sb-dkms-cn ]; then
	check_modules
	for m in cleanup_kprobe tracker; do say "signer $m: $(modinfo -F signer "$m" 2>&1)"; done
	dmesg | grep -E 'cleanup_kprobe|tracker|Key was rejected|unavailable key' | sed 's/^\[[^]]*\] //' | sayall "kmsg dkms: "
	journalctl -b -q --no-pager -u systemd-modules-load 2>/dev/null | grep -E 'cleanup_kprobe|tracker' | sayall "modules-load: "
	check_quota
fi
# grub-install --uefi-secure-boot on the ESP the host laid out: it must
# put the same shim and GRUB where the host put them; the boots after
# this one start from what it installed.
esp_files() { (cd /boot/efi && find EFI -type f | sort | xargs sha256sum); }
mkdir -p /boot/efi
if mount -t vfat /dev/vda1 /boot/efi; then
	esp_files >/tmp/esp-before
	if grub-install --target=x86_64-efi --uefi-secure-boot --efi-directory=/boot/efi \
		--bootloader-id=debian --no-nvram --force-extra-removable >/tmp/grub-install.log 2>&1; then
		say "grub-install: exit 0"
	else
		say "grub-install: exit $?"
		sed 's/^/E2E-SB: grub-install: /' /tmp/grub-install.log >/dev/ttyS0
	fi
	esp_files >/tmp/esp-after
	while read -r sum file; do
		was=$(awk -v f="$file" '$2 == f { print $1 }' /tmp/esp-before)
		if [ -z "$was" ]; then say "esp: $file: new"
		elif [ "$was" = "$sum" ]; then say "esp: $file: same"
		else say "esp: $file: changed"; fi
	done </tmp/esp-after
	umount /boot/efi
else
	say "esp: cannot mount /dev/vda1"
fi
for how in unsigned foreign mok; do
	dmesg -C
	out=$(insmod "$mods/$how.ko" 2>&1)
	rc=$?
	say "insmod $how: exit $rc: $out"
	dmesg | grep -iE 'restrack_sbtest|lockdown|module|key' | sed 's/^\[[^]]*\] //; s/^/E2E-SB: kmsg: /' >/dev/ttyS0
	if grep -q '^restrack_sbtest ' /proc/modules; then say "module $how: loaded"; else say "module $how: not loaded"; fi
done
say "tainted after: $(cat /proc/sys/kernel/tainted)"
say "done"
systemctl poweroff
GUEST
} >"$root/usr/local/sbin/restrack-e2e-sb"
chmod 755 "$root/usr/local/sbin/restrack-e2e-sb"
cat >"$root/etc/systemd/system/restrack-e2e-sb.service" <<'UNIT'
[Unit]
Description=restrack Secure Boot test
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/restrack-e2e-sb
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/restrack-e2e-sb.service "$root/etc/systemd/system/multi-user.target.wants/"
printf '%s\n' "$key_cn" ${dkms_cn:+"$dkms_cn"} >"$root/etc/restrack-e2e-sb-cn"
[ -z "$dkms_cn" ] || printf '%s\n' "$dkms_cn" >"$root/etc/restrack-e2e-sb-dkms-cn"
echo restrack-e2e-sb >"$root/etc/hostname"
uuid=$(cat /proc/sys/kernel/random/uuid)
echo "UUID=$uuid / ext4 errors=remount-ro 0 0" >"$root/etc/fstab"

# --- the disk: GPT, ESP (FAT, mtools), root (ext4, mke2fs -d) ------------------------------
# The ESP has what grub-install --uefi-secure-boot --removable puts there;
# grub.cfg is written for each boot.
esp_start=2048 esp_sectors=$((128 * 2048)) root_start=$((2048 + 128 * 2048))
img=$work/disk.img
truncate -s 4G "$img"
sfdisk -q "$img" <<PART || die "sfdisk could not partition $img"
label: gpt
start=$esp_start, size=$esp_sectors, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=ESP
start=$root_start, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
PART
root_sectors=$(sfdisk -l -o Start,Sectors "$img" | awk -v s="$root_start" '$1 == s { print $2 }')
[ -n "$root_sectors" ] || die "sfdisk made no root partition at sector $root_start"
shim=$root/usr/lib/shim/shimx64.efi.signed
grub=$root/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed
mm=$root/usr/lib/shim/mmx64.efi.signed
fb=$root/usr/lib/shim/fbx64.efi.signed
for f in "$shim" "$grub" "$mm" "$fb"; do [ -f "$f" ] || die "the root has no ${f#"$root"} (shim-signed, grub-efi-amd64-signed)"; done
esp=$work/esp.img
mkfs.vfat -C -n ESP "$esp" $((esp_sectors / 2)) >/dev/null || die "mkfs.vfat failed"
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/debian
mcopy -i "$esp" "$shim" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$grub" ::/EFI/BOOT/grubx64.efi
mcopy -i "$esp" "$mm" ::/EFI/BOOT/mmx64.efi
mcopy -i "$esp" "$shim" ::/EFI/debian/shimx64.efi
mcopy -i "$esp" "$grub" ::/EFI/debian/grubx64.efi
mcopy -i "$esp" "$mm" ::/EFI/debian/mmx64.efi
mcopy -i "$esp" "$fb" ::/EFI/debian/fbx64.efi
[ ! -f "$root/usr/lib/shim/BOOTX64.CSV" ] || mcopy -i "$esp" "$root/usr/lib/shim/BOOTX64.CSV" ::/EFI/debian/BOOTX64.CSV
dd if="$esp" of="$img" bs=512 seek="$esp_start" conv=notrunc status=none
rm -f "$esp"
info "making the root file system ($(du -sh "$root" | cut -f1))"
mke2fs -q -t ext4 -U "$uuid" -L root -E offset=$((root_start * 512)) -d "$root" "$img" $((root_sectors / 2))k ||
	die "mke2fs could not make the root file system"
rm -rf --one-file-system "$root"

# write_grub_cfg KERNEL LABEL: the grub.cfg of the next boot, in both
# EFI/debian (GRUB's prefix) and EFI/BOOT (where it was started from).
write_grub_cfg() {
	cat >"$work/grub.cfg" <<CFG
set timeout=0
echo "E2E-SB: grub: $2: linux /boot/$1"
search --no-floppy --fs-uuid --set=root $uuid
linux /boot/$1 root=UUID=$uuid ro console=ttyS0,115200
initrd /boot/initrd.img-$rel
echo "E2E-SB: grub: booting"
boot
echo "E2E-SB: grub: kernel refused"
sleep 2
halt
CFG
	mcopy -o -i "$img@@$((esp_start * 512))" "$work/grub.cfg" ::/EFI/debian/grub.cfg
	mcopy -o -i "$img@@$((esp_start * 512))" "$work/grub.cfg" ::/EFI/BOOT/grub.cfg
}

# --- the firmware: OVMF with Microsoft's keys, and the test key as a MOK ------------------
tools=$sbcache/tools
code=$tools/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
ms_vars=$tools/usr/share/OVMF/OVMF_VARS_4M.ms.fd
{ [ -f "$code" ] && [ -f "$ms_vars" ]; } || die "trixie's ovmf has no OVMF_CODE_4M.secboot.fd or OVMF_VARS_4M.ms.fd (remove $tools to make it again)"
cp "$ms_vars" "$work/vars-ms.fd"
# mok_vars NAME CERT...: vars-NAME.fd, Microsoft's keys and each CERT (PEM)
# in MokList, owned by shim's GUID, as MokManager enrols a key after
# mokutil --import (virt-fw-vars, in the tools root; a directory of this
# run's own there).
mok_vars() {
	local name=$1 dir=/tmp/e2e-sb.$$ c n=0 args=()
	shift
	mkdir -p "$tools$dir"
	cp "$ms_vars" "$tools$dir/in.fd"
	for c in "$@"; do
		n=$((n + 1))
		cp "$c" "$tools$dir/mok$n.pem"
		args+=(--add-mok 605dab50-e046-4300-abb6-3dd810dd8b23 "$dir/mok$n.pem")
	done
	chroot "$tools" virt-fw-vars --input "$dir/in.fd" --output "$dir/out.fd" "${args[@]}" >"$work/virt-fw-vars-$name.log" 2>&1 ||
		{ cat "$work/virt-fw-vars-$name.log" >&2; rm -rf "${tools:?}$dir"; die "virt-fw-vars could not enrol the MOKs of vars-$name.fd"; }
	chroot "$tools" virt-fw-vars --input "$dir/out.fd" --print --verbose >"$work/vars-$name.txt" 2>&1 || true
	cp "$tools$dir/out.fd" "$work/vars-$name.fd"
	rm -rf "${tools:?}$dir"
	grep -q MokList "$work/vars-$name.txt" || die "vars-$name.fd has no MokList after virt-fw-vars (see $work/vars-$name.txt)"
}
if [ -n "$dkms_cn" ]; then
	mok_vars mok "$cert" "$work/dkms-mok.pem"
	mok_vars kernel-mok "$cert"
	info "firmware: trixie's OVMF Secure Boot code, Microsoft's keys, MOKs: the test key and DKMS's (vars-mok.fd), the test key alone (vars-kernel-mok.fd)"
else
	mok_vars mok "$cert"
	info "firmware: trixie's OVMF Secure Boot code, Microsoft's keys, the test key enrolled as a MOK"
fi

# boot_vm LABEL VARS STOP: boot the disk once (one vCPU, TCG or KVM) with
# a copy of VARS; stop when the console matches the regex STOP, when the
# machine powers off, or after SB_BOOT_TIMEOUT seconds.  The console, with
# its escapes and carriage returns taken out, is in boot-LABEL.log, its
# E2E-SB lines in boot-LABEL.e2e.
boot_vm() {
	local label=$1 raw=$work/boot-$1.raw log=$work/boot-$1.log start=$SECONDS accel=tcg
	cp "$2" "$work/vars-$label.fd"
	[ ! -w /dev/kvm ] || accel=kvm
	info "boot $label ($accel)"
	: >"$raw"
	qemu-system-x86_64 -machine q35,smm=on,accel=$accel -global ICH9-LPC.disable_s3=1 \
		-global driver=cfi.pflash01,property=secure,value=on \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$code" \
		-drive if=pflash,format=raw,unit=1,file="$work/vars-$label.fd" \
		-cpu max -smp 1 -m 2G -nographic -no-reboot -nic none \
		-drive file="$img",format=raw,if=virtio </dev/null >"$raw" 2>&1 &
	qemu_pid=$!
	while kill -0 "$qemu_pid" 2>/dev/null; do
		if grep -aqE "$3" "$raw"; then sleep 3; break; fi
		if [ $((SECONDS - start)) -ge "$boot_timeout" ]; then
			info "boot $label: no end after $boot_timeout s, stopped"
			break
		fi
		sleep 2
	done
	kill "$qemu_pid" 2>/dev/null || true
	wait "$qemu_pid" 2>/dev/null || true
	qemu_pid=''
	sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r//g' "$raw" >"$log"
	grep -ao 'E2E-SB: .*' "$log" >"$work/boot-$label.e2e" || true
	sed "s/^/[$label] /" "$work/boot-$label.e2e" >&2
	info "boot $label: $((SECONDS - start)) s"
}

# --- the boots and their verdicts ----------------------------------------------------
passed=0 failed=0
: >"$work/result.new"
verdict() { # ok|fail NAME [WHY]
	if [ "$1" = ok ]; then
		passed=$((passed + 1))
		printf 'PASS %s\n' "$2" | tee -a "$work/result.new"
	else
		failed=$((failed + 1))
		printf 'FAIL %s: %s\n' "$2" "$3" | tee -a "$work/result.new"
	fi
}
check() { # NAME WHY-IF-NOT REGEX FILE: pass when a line of FILE matches REGEX
	if grep -qE "$3" "$4"; then verdict ok "$1"; else verdict fail "$1" "$2"; fi
}
check_lines() { # NAME FILE LINE...: pass when FILE has every LINE, as it is
	local line missing=()
	for line in "${@:3}"; do grep -qxF -- "$line" "$2" || missing+=("$line"); done
	if [ ${#missing[@]} -eq 0 ]; then verdict ok "$1"; else verdict fail "$1" "no line '$(printf '%s; ' "${missing[@]}")'"; fi
}
check_no_e_taint() { # NAME WHAT: the taint of the line "E2E-SB: WHAT: N" has no E (bit 13, 8192)
	local t
	t=$(sed -n "s/^E2E-SB: $2: \([0-9]*\)\$/\1/p" "$e")
	if [ -n "$t" ] && [ $((t & 8192)) -eq 0 ]; then verdict ok "$1 (taint $t)"; else verdict fail "$1" "taint ${t:-unknown}"; fi
}
# What shim, GRUB and the firmware say when they refuse an image; the
# boot stops there, or at GRUB's own line after a failed linux command.
refused='bad shim signature|Verification failed|Security Violation|Access Denied'
stop="$refused|E2E-SB: grub: kernel refused|E2E-SB: stage|reboot: Power down"
rel_re=$(printf '%s' "$rel" | sed 's/[][\.*^$+?(){}|/]/\\&/g')

# 1. The kernel signed with the test key, the MOK enrolled.
write_grub_cfg "vmlinuz-$rel" signed
boot_vm sb "$work/vars-mok.fd" 'reboot: Power down'
e=$work/boot-sb.e2e
check "sb: shim and GRUB boot the kernel signed with the MOK" "it did not reach userspace (see $work/boot-sb.log)" \
	"^E2E-SB: stage userspace, kernel $rel_re\$" "$e"
case $rel in
*-restrack*)
	check "sb: the running kernel is restrack's (/proc/version)" "$(grep '^E2E-SB: proc-version' "$e" || echo 'no answer')" \
		'^E2E-SB: proc-version: restrack$' "$e"
	if grep '^E2E-SB: syscall: fetch(1): ' "$e" | grep -qv '(Function not implemented)$'; then
		verdict ok "sb: restrack's fetch system call (549) is there (not ENOSYS): $(sed -n 's/^E2E-SB: syscall: //p' "$e")"
	else
		verdict fail "sb: restrack's fetch system call (549) is there (not ENOSYS)" "$(grep '^E2E-SB: syscall' "$e" || echo 'no answer')"
	fi
	;;
*) info "kernel $rel is not restrack's: its checks (/proc/version, system call 549) skipped" ;;
esac
check "sb: mokutil --sb-state: SecureBoot enabled" "$(grep -E '^E2E-SB: (sb-state|filesystem efivarfs)' "$e" | paste -sd' ' || echo 'no answer')" \
	'^E2E-SB: sb-state: SecureBoot enabled' "$e"
check "sb: lockdown is integrity" "$(grep '^E2E-SB: lockdown' "$e" || echo 'no answer')" \
	'^E2E-SB: lockdown: .*\[integrity\]' "$e"
# At boot, restrack's DKMS modules taint it as out-of-tree (O, 4096) only.
check_no_e_taint "sb: the kernel is not tainted by an unsigned module at boot" tainted
check_lines "sb: the test key is enrolled as a MOK (mokutil --list-enrolled)" "$e" "E2E-SB: mok-enrolled: $key_cn: yes"
if [ -n "$dkms_cn" ]; then
	check_lines "sb: DKMS's MOK is enrolled (mokutil --list-enrolled)" "$e" "E2E-SB: mok-enrolled: $dkms_cn: yes"
	check_lines "sb: restrack-dkms's modules are loaded (/proc/modules)" "$e" \
		"E2E-SB: module cleanup_kprobe loaded" "E2E-SB: module tracker loaded"
	check_lines "sb: their signer is DKMS's MOK (modinfo -F signer: $dkms_cn)" "$e" \
		"E2E-SB: signer cleanup_kprobe: $dkms_cn" "E2E-SB: signer tracker: $dkms_cn"
	check_lines "sb: /proc/tracker_status is there" "$e" "E2E-SB: /proc/tracker_status present"
	check_lines "sb: restrack run --heap 8M on a growing process exits 137 (SIGKILL)" "$e" \
		"E2E-SB: restrack run --heap 8M: exit 137"
fi
for c in "$key_cn" ${dkms_cn:+"$dkms_cn"}; do
	if grep '^E2E-SB: keyring: ' "$e" | grep -qF "'$c: "; then
		verdict ok "sb: the kernel loaded the MOK '$c' into a keyring"
	else
		verdict fail "sb: the kernel loaded the MOK '$c' into a keyring" "no kernel line names it"
	fi
done
check "sb: grub-install --uefi-secure-boot runs on the ESP" "$(grep '^E2E-SB: grub-install' "$e" | paste -sd' ' || echo 'not run')" \
	'^E2E-SB: grub-install: exit 0$' "$e"
# Nothing new or changed on the ESP but GRUB's stub grub.cfg in
# EFI/debian (it sets the prefix to /boot/grub; each boot of this test
# writes its own grub.cfg over it).
n=$(grep -cE '^E2E-SB: esp: EFI/(BOOT/BOOTX64\.EFI|BOOT/grubx64\.efi|debian/shimx64\.efi|debian/grubx64\.efi): same$' "$e" || true)
if [ "$n" = 4 ] && ! grep '^E2E-SB: esp: ' "$e" | grep -v ': same$' | grep -qv '^E2E-SB: esp: EFI/debian/grub\.cfg: changed$'; then
	verdict ok "sb: grub-install --uefi-secure-boot installs what the test put on the ESP"
else
	verdict fail "sb: grub-install --uefi-secure-boot installs what the test put on the ESP" \
		"$(grep -E '^E2E-SB: (esp:|filesystem vfat)' "$e" | grep -v ': same$' | paste -sd' ' || echo 'no listing')"
fi
# Under lockdown an unsigned module, or one whose key the kernel does not
# have, is refused: EKEYREJECTED when module.sig_enforce is on, else
# lockdown's EPERM.
for how in unsigned foreign; do
	check "sb: $([ $how = unsigned ] && echo 'an unsigned module' || echo 'a module signed with a foreign key') is refused" \
		"$(grep "^E2E-SB: insmod $how:" "$e" || echo 'not tried')" \
		"^E2E-SB: insmod $how: exit [1-9][0-9]*: .*(Key was rejected by service|Operation not permitted|Required key not available)" "$e"
done
check "sb: a module signed with the MOK loads" "$(grep '^E2E-SB: insmod mok:' "$e" || echo 'not tried')" \
	'^E2E-SB: module mok: loaded$' "$e"
if grep -q '^E2E-SB: module \(unsigned\|foreign\): loaded$' "$e"; then
	verdict fail "sb: no refused module is loaded" "$(grep '^E2E-SB: module' "$e")"
fi
# The MOK-signed module taints the kernel as out-of-tree (O, 4096), never
# as unsigned (E, 8192).
check_no_e_taint "sb: the MOK-signed module does not taint the kernel as unsigned" "tainted after"

# 2. The same kernel without its signature: refused before userspace.
write_grub_cfg "vmlinuz-$rel.unsigned" unsigned
boot_vm unsigned "$work/vars-mok.fd" "$stop"
if grep -q '^E2E-SB: stage' "$work/boot-unsigned.e2e"; then
	verdict fail "unsigned: the kernel without a signature is refused" "it booted to userspace"
else
	check "unsigned: the kernel without a signature is refused" "no refusal on the console (see $work/boot-unsigned.log)" \
		"$refused" "$work/boot-unsigned.log"
fi

# 3. The signed kernel, no MOK in the variables: refused too.
write_grub_cfg "vmlinuz-$rel" no-mok
boot_vm no-mok "$work/vars-ms.fd" "$stop"
if grep -q '^E2E-SB: stage' "$work/boot-no-mok.e2e"; then
	verdict fail "no-mok: the test-signed kernel is refused without the MOK" "it booted to userspace"
else
	check "no-mok: the test-signed kernel is refused without the MOK" "no refusal on the console (see $work/boot-no-mok.log)" \
		"$refused" "$work/boot-no-mok.log"
fi

# 4. The test key enrolled, DKMS's not: the kernel boots and refuses
# restrack's modules (their key is in no keyring of the kernel's).
if [ -n "$dkms_cn" ]; then
	write_grub_cfg "vmlinuz-$rel" no-dkms-mok
	boot_vm no-dkms-mok "$work/vars-kernel-mok.fd" 'reboot: Power down'
	e4=$work/boot-no-dkms-mok.e2e
	if ! grep -qx "E2E-SB: stage userspace, kernel $rel" "$e4"; then
		verdict fail "no-dkms-mok: without DKMS's MOK restrack's modules are refused" "the kernel did not reach userspace (see $work/boot-no-dkms-mok.log)"
	else
		check_lines "no-dkms-mok: without DKMS's MOK restrack's modules are refused" "$e4" \
			"E2E-SB: FAIL module cleanup_kprobe not loaded" "E2E-SB: FAIL module tracker not loaded"
		check "no-dkms-mok: the kernel says why (a module with an unavailable key)" "$(grep -E '^E2E-SB: (modules-load|kmsg dkms):' "$e4" | paste -sd' ' || echo 'nothing said')" \
			'^E2E-SB: (modules-load|kmsg dkms): .*(unavailable key is rejected|Key was rejected by service|Required key not available)' "$e4"
		# The quotas are the kernel's own, not the modules'.
		check_lines "no-dkms-mok: without the modules restrack run --heap 8M still exits 137" "$e4" \
			"E2E-SB: restrack run --heap 8M: exit 137"
	fi
fi

# What the refusals said, and what the kernel said of the modules.
{
	grep -ahoE "$refused" "$work/boot-unsigned.log" | sort -u | sed 's/^/unsigned kernel: /'
	grep -ahoE "$refused" "$work/boot-no-mok.log" | sort -u | sed 's/^/no MOK: /'
	grep -E '^E2E-SB: (insmod|kmsg|keyring|mok-keyring|lockdown|tainted|signer|module)' "$e" | sed 's/^E2E-SB: /sb guest: /'
	[ -z "$dkms_cn" ] || grep -E '^E2E-SB: (FAIL module|modules-load|kmsg dkms)' "$work/boot-no-dkms-mok.e2e" | sed 's/^E2E-SB: /no DKMS MOK guest: /'
} >"$work/evidence.txt"
sed 's/^/  /' "$work/evidence.txt" >&2
echo "kernel $rel, $passed passed, $failed failed, $SECONDS s" >>"$work/result.new"
mv "$work/result.new" "$work/result"
echo "e2e-sb: $passed passed, $failed failed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
[ "$failed" -eq 0 ]
