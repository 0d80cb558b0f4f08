#!/bin/bash
# make e2e-trixie: the modular path on Debian 13, the way a user takes it.
#
# The kernel is the generic flavour of 6.12: Debian's config trimmed by
# localmodconfig to the modules of the QEMU machine
# (config-fragments/qemu-modules.list), ext4 and virtio_blk among them as
# modules, every module signed with the build's own key
# (make debs FLAVOUR=generic LOCALMODCONFIG=1 KVER=6.12; built when missing).
#
#  0. Publish the build's packages in a signed repository (publish-repo.sh)
#     and check them with trixie's lintian (lintian-release.sh).
#  1. mmdebstrap a Debian 13 root (amd64) whose apt sees restrack's signed
#     repository (restrack-archive-keyring, restrack.sources with
#     Signed-By) holding that kernel, and apt-get install
#     linux-image-restrack, linux-headers-restrack and restrack-tools:
#     initramfs-tools makes the initrd.  Then a stock Debian 13 kernel of a
#     higher version: linux-image-amd64 from trixie-backports (a later
#     series), since trixie's own 6.12 kernel can be the very version
#     restrack's is built from (6.12.118+deb13 sorts below
#     6.12.118-restrack).  It is installed in the root here, at the host's
#     speed (E2E_STOCK=chroot, the default): every update-grub of the guest
#     then sees it.  E2E_STOCK=guest (make check-full) only downloads it,
#     and step 4 installs it by apt on the running system, its hooks making
#     its initrd and running update-grub: the same grub.cfg, 10 more
#     minutes without KVM.
#  2. Make a disk image of it.  Negative control: the kernel booted without
#     its initrd cannot mount its root ("VFS: Unable to mount root fs").
#  3. Boot it with its initrd (QEMU -kernel, -initrd): virtio_blk and ext4
#     are loaded as modules, the initrd holds them (lsinitramfs), their
#     signer is the build's key (modinfo, against the build's
#     certs/signing_key.x509), the kernel is not tainted by an unsigned
#     module, quotas are enforced; then grub-install, and update-grub writes
#     grub.cfg.
#  4. Through GRUB: the same checks; apt-get install restrack-dkms in a
#     transaction of its own, on the running restrack kernel: dkms 3.2.2
#     builds both modules, they load.  grub.cfg lists the stock kernel and
#     GRUB's default, which booted this system, is restrack
#     (/etc/default/grub.d/restrack.cfg).  With E2E_STOCK=guest the stock
#     kernel is installed now (its hooks make its initrd, with MODULES=dep
#     to spare minutes, and run update-grub), and the default must stay
#     restrack.
#  5. The reboot must be restrack again, with the DKMS modules loaded at
#     boot; then apt-get remove restrack-dkms: no module file left.
#  6. A last boot: restrack still, no module loaded, quotas still enforced.
# Each guest has one vCPU (lib-e2e.sh: e2e_q35).  Logs in build/e2e-trixie/.
# Root (mmdebstrap); the network (Debian's mirror) while the root is made.
# --build: build the packages when they are missing and stop (run-lanes.sh
# builds them beside make e2e's guests).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-e2e.sh"

build_only=0
case $#/${1:-} in
0/) ;;
1/--build) build_only=1 ;;
*) die "usage: ${0##*/} [--build] (see the comment at its top)" ;;
esac
root=$RESTRACK_ROOT
work=$root/build/e2e-trixie
built=$root/build/debs/6.12-x86_64-generic
need_pkgs mmdebstrap qemu-system-x86 e2fsprogs fdisk openssl
[ "$(uname -m)" = x86_64 ] || die "the end-to-end test boots an amd64 image: run it on x86_64"
[ "$(id -u)" -eq 0 ] || die "the end-to-end test needs root (mmdebstrap installs kernels in a chroot)"

# Where the stock kernel is installed: the mmdebstrap hook that does it or
# says so.  Its hooks see no grub.cfg in the root (grub-install runs in the
# guest): its postinst makes its initrd and leaves GRUB alone.
stock_in=${E2E_STOCK:-chroot}
# shellcheck disable=SC2016 # the hooks are shell code run with the root as $1
case $stock_in in
chroot)
	stock_how='installed with the root'
	stock_hook='chroot "$1" sh -c "apt-get install -y -q /srv/stock/*.deb" >"$1/root/apt-stock-install.log" 2>&1 || { tail -40 "$1/root/apt-stock-install.log"; exit 1; }' ;;
guest)
	stock_how='for apt in the guest'
	stock_hook='touch "$1/etc/restrack-e2e-stock-in-guest"' ;;
*) die "E2E_STOCK=$stock_in: give chroot (the stock kernel installed with the root) or guest (by apt in the running system)" ;;
esac

total=$SECONDS
if ! compgen -G "$built/linux-image-6.12.*-restrack_*.deb" >/dev/null ||
	! compgen -G "$built/pkg/restrack-dkms_*.deb" >/dev/null; then
	FLAVOUR=generic LOCALMODCONFIG=1 KVER=6.12 ARCH=x86_64 "$root/scripts/build-debs.sh"
fi
[ "$build_only" = 0 ] || exit 0
rel=$(find "$built" -maxdepth 1 -name 'linux-image-6.12.*-restrack_*.deb' -printf '%f\n' |
	sed 's/^linux-image-//; s/_.*//' | sort -V | tail -n 1)
# The build's module signing key: its subject's CN and its serial number,
# as modinfo prints them (signer, sig_key).
cert=$built/obj/certs/signing_key.x509
[ -f "$cert" ] || die "no $cert: the $rel build signs no module (rebuild: rm -rf $built; make e2e-trixie)"
signer=$(openssl x509 -inform DER -in "$cert" -noout -subject -nameopt multiline |
	sed -n 's/^ *commonName *= *//p')
serial=$(openssl x509 -inform DER -in "$cert" -noout -serial | sed 's/^serial=//; s/^0*//')
info "kernel $rel, modules signed by '$signer' (serial $serial)"

rm -rf "$work"
mkdir -p "$work"
mapfile -t debs < <(find "$built" "$built/pkg" -maxdepth 1 -name '*.deb' ! -name 'linux-libc-dev_*' | sort)
"$root/scripts/publish-repo.sh" --throwaway-key "$work/repo" "${debs[@]}" 2>"$work/publish.log" ||
	{ cat "$work/publish.log"; die "could not make the repository"; }
keyring_deb=$(cd "$work/repo" && find pool -name 'restrack-archive-keyring_*_all.deb')
[ -n "$keyring_deb" ] || die "the repository has no restrack-archive-keyring (see $work/publish.log)"
printf 'Types: deb\nURIs: file:/srv/restrack-repo\nSuites: restrack\nComponents: main\nSigned-By: %s\n' \
	/usr/share/keyrings/restrack-archive-keyring.gpg >"$work/restrack.sources"

# --- the checks, run in the guest at every boot ---------------------------------------
e2e_guest_files "$work" <<'EOF'
# The root was mounted by modules the initrd loaded: virtio_blk and ext4
# are modules, loaded, in the initrd, signed by the build's key.
check_initrd() {
	for m in virtio_blk ext4; do
		if grep -q "^$m " /proc/modules; then say "$m loaded as a module"; else say "FAIL $m is not a loaded module"; fi
		if lsinitramfs "/boot/initrd.img-$(uname -r)" | grep -q "/$m\.ko"; then
			say "$m in the initrd"
		else
			say "FAIL $m not in /boot/initrd.img-$(uname -r)"
		fi
		say "signer $m: $(modinfo -F signer "$m") key $(modinfo -F sig_key "$m" | tr -d ':')"
	done
}
# Taint bit 13 (E): a module unsigned, or signed by a key the kernel does
# not trust, was loaded.  Before restrack-dkms (DKMS signs with its own
# MOK, which this kernel does not trust without shim) none may be.
check_untainted() {
	if [ $(($(cat /proc/sys/kernel/tainted) & 8192)) -ne 0 ]; then
		say "FAIL tainted: an unsigned or untrusted module was loaded"
		dmesg | grep -i 'verification failed' | sayall "FAIL dmesg: "
	else
		say "no module failed signature verification"
	fi
}
grub_state() {
	grep -o "vmlinuz-[^ ]*" /boot/grub/grub.cfg | sort -u | sayall "grub.cfg: "
	grep -o 'set default="[^"]*"' /boot/grub/grub.cfg | sayall "grub: "
}

case $stage in
initrd)
	check_initrd
	check_untainted
	check_quota
	if grub-install /dev/vda >/tmp/grub.log 2>&1 && update-grub >>/tmp/grub.log 2>&1; then
		say "grub-install and update-grub done"
		grub_state
		echo dkms >/etc/restrack-e2e-stage
	else
		sayall "FAIL grub: " </tmp/grub.log
	fi ;;
dkms)
	check_initrd
	check_untainted
	# restrack-dkms on its own, on the running restrack kernel.
	t0=$(cut -d. -f1 /proc/uptime)
	if apt-get update -q >/tmp/apt.log 2>&1 && apt-get install -y -q restrack-dkms >>/tmp/apt.log 2>&1; then
		say "restrack-dkms installed (DKMS build included) in $(($(cut -d. -f1 /proc/uptime) - t0)) s"
		grep -i 'autoinstall\|building\|Setting up restrack' /tmp/apt.log | sayall "apt: "
		dkms status 2>&1 | sayall "dkms: "
		modprobe tracker && modprobe cleanup_kprobe
		check_modules
		say "signer tracker: $(modinfo -F signer tracker)"
		# The headers' .kernelvariables: gcc-12 builds them, though
		# Debian 13's gcc is another version, or not installed.
		say "compilers: $(cd /usr/bin && ls gcc gcc-[0-9]* 2>/dev/null | tr '\n' ' ')"
	else
		apt_fail
		tail -n 20 /var/lib/dkms/restrack/*/build/make.log 2>/dev/null | sayall "FAIL make.log: "
	fi
	check_quota
	# Debian's stock kernel of a higher version, its dependencies with it,
	# installed with the root (E2E_STOCK=chroot) or now.  Now, its initrd
	# holds the modules this machine needs (MODULES=dep) instead of
	# Debian's "most": the same hooks run (initramfs-tools, update-grub),
	# minutes sooner without KVM.
	t0=$(cut -d. -f1 /proc/uptime)
	if [ ! -e /etc/restrack-e2e-stock-in-guest ]; then
		say "stock kernel installed with the root: $(cd /boot && ls vmlinuz-* | tr '\n' ' ')"
		grub_state
		echo stock >/etc/restrack-e2e-stage
	elif echo MODULES=dep >/etc/initramfs-tools/conf.d/restrack-e2e &&
		apt-get install -y -q /srv/stock/*.deb >/tmp/apt.log 2>&1; then
		say "stock kernel installed in $(($(cut -d. -f1 /proc/uptime) - t0)) s"
		grep '^Setting up linux-image' /tmp/apt.log | sayall "apt: "
		grub_state
		echo stock >/etc/restrack-e2e-stage
	else
		apt_fail
	fi ;;
stock)
	ls /boot/vmlinuz-* | sayall "installed: "
	check_initrd
	check_modules
	check_quota
	remove_dkms ;;
removed)
	check_removed ;;
esac
EOF

# --- trixie's lintian on what is published --------------------------------------------
# In the background while the root is made; its verdict is waited for
# before the first boot.
lint=$work/lintian-trixie.log
e2e_lintian_start "$lint" "$work/repo/$keyring_deb" "${debs[@]}"

# --- 1. the root file system ------------------------------------------------------
info "mmdebstrap: Debian 13 with the $rel kernel and restrack-tools"
start=$SECONDS
mapfile -t hooks < <(e2e_mmdebstrap_hooks "$work" initrd)
# The hooks are shell code that mmdebstrap runs with the root as $1.
# shellcheck disable=SC2016
mmdebstrap --variant=minbase --architectures=amd64 \
	--include=systemd-sysv,udev,kmod,initramfs-tools,grub-pc,dkms,apt,procps,linux-base \
	--setup-hook='mkdir -p "$1/srv/restrack-repo" "$1/srv/stock"' \
	--setup-hook="sync-in $work/repo /srv/restrack-repo" \
	"${hooks[@]}" \
	--customize-hook="chroot \"\$1\" dpkg -i /srv/restrack-repo/$keyring_deb >\"\$1/root/keyring.log\" 2>&1 || { cat \"\$1/root/keyring.log\"; exit 1; }" \
	--customize-hook="copy-in $work/restrack.sources /etc/apt/sources.list.d" \
	--customize-hook='chroot "$1" apt-get update -q >"$1/root/apt-update.log" 2>&1 || { cat "$1/root/apt-update.log"; exit 1; }' \
	--customize-hook='chroot "$1" apt-get install -y -q linux-image-restrack linux-headers-restrack restrack-tools >"$1/root/apt-1.log" 2>&1 || { tail -40 "$1/root/apt-1.log"; exit 1; }' \
	--customize-hook='chroot "$1" apt-get install -y -q --no-install-recommends --download-only -t trixie-backports linux-image-amd64 >"$1/root/apt-stock.log" 2>&1 || { tail -40 "$1/root/apt-stock.log"; exit 1; }' \
	--customize-hook='mv "$1"/var/cache/apt/archives/*.deb "$1/srv/stock/"' \
	--customize-hook="$stock_hook" \
	--customize-hook='rm -f "$1/etc/apt/sources.list" "$1/etc/resolv.conf"' \
	trixie "$work/root" "deb http://deb.debian.org/debian trixie main" \
	"deb http://deb.debian.org/debian-security trixie-security main" \
	"deb http://deb.debian.org/debian trixie-backports main" \
	>"$work/mmdebstrap.log" 2>&1 ||
	{ tail -40 "$work/mmdebstrap.log"; die "mmdebstrap failed: see $work/mmdebstrap.log"; }
info "root file system made in $((SECONDS - start)) s"
cp -r "$work/root/root" "$work/root-home"
[ -f "$work/root/boot/initrd.img-$rel" ] ||
	die "initramfs-tools made no /boot/initrd.img-$rel (see $work/root-home/apt-1.log)"
stock=$(find "$work/root/srv/stock" -name 'linux-image-[0-9]*.deb' -printf '%f\n' |
	sed 's/^linux-image-//; s/_.*//' | sort -V | tail -n 1)
[ -n "$stock" ] || die "no stock kernel downloaded (see $work/root-home/apt-stock.log)"
[ "$(printf '%s\n' "$stock" "$rel" | sort -V | tail -n 1)" = "$stock" ] ||
	die "the stock kernel $stock does not sort above $rel: it proves nothing about GRUB's default"
info "stock kernel $stock (sorts above $rel): $stock_how"
[ "$stock_in" = guest ] || [ -f "$work/root/boot/vmlinuz-$stock" ] ||
	die "the stock kernel $stock is not installed in the root (see $work/root-home/apt-stock-install.log)"
cp "$work/root/boot/vmlinuz-$rel" "$work/root/boot/initrd.img-$rel" "$work/"

e2e_lintian_wait "$lint"

# --- 2. the disk image, and the kernel without its initrd ---------------------------
img=$work/disk.img
e2e_disk_image "$work/root" "$img" 4
rm -rf "$work/root"
read -ra machine < <(e2e_q35 "$img")

info "boot: $rel without its initrd (must not mount the root)"
start=$SECONDS
E2E_TIMEOUT=600 e2e_qemu "$work/boot-no-initrd.log" "${machine[@]}" -kernel "$work/vmlinuz-$rel" \
	-append "root=/dev/vda1 ro console=ttyS0 panic=-1"
grep -a 'VFS: Unable to mount root fs' "$work/boot-no-initrd.log" >&2 ||
	die "without its initrd, $rel did not fail to mount its root (see $work/boot-no-initrd.log)"
info "boot: no-initrd panicked as it must, in $((SECONDS - start)) s"

# --- 3. with its initrd, then GRUB -----------------------------------------------------
e2e_boot "$work" initrd "$rel" "${machine[@]}" -kernel "$work/vmlinuz-$rel" \
	-initrd "$work/initrd.img-$rel" -append "root=/dev/vda1 ro console=ttyS0"
grep -q "^E2E: grub.cfg: vmlinuz-$rel\$" "$work/boot-initrd.e2e" || die "update-grub did not list $rel"
for m in virtio_blk ext4; do
	grep -q "^E2E: signer $m: $signer key 0*$serial\$" "$work/boot-initrd.e2e" ||
		die "$m is not signed by the build's key '$signer' (serial $serial; see $work/boot-initrd.e2e)"
done

# --- 4, 5. through GRUB: restrack-dkms, the stock kernel, the reboot ---------------------
# DKMS builds (and with E2E_STOCK=guest the stock kernel is installed)
# without KVM: 1,233 s of the 1,800 s a boot may take, with the machine's
# two cores busy and the stock initrd made with Debian's full module set;
# this boot gets an hour.
E2E_TIMEOUT=${E2E_TIMEOUT:-3600} e2e_boot "$work" dkms "$rel" "${machine[@]}"
grep -q "^E2E: dkms: restrack/.*, $rel, x86_64: installed" "$work/boot-dkms.e2e" ||
	die "DKMS did not build the modules for $rel when restrack-dkms was installed (see $work/boot-dkms.log)"
grep -q "^E2E: grub.cfg: vmlinuz-$stock\$" "$work/boot-dkms.e2e" || die "update-grub did not list the stock kernel $stock"
grep -q "^E2E: grub: set default=\".*>gnulinux-$rel-advanced-" "$work/boot-dkms.e2e" ||
	die "GRUB's default is not $rel (see $work/boot-dkms.log)"
e2e_boot "$work" stock "$rel" "${machine[@]}"

# --- 6. removal ----------------------------------------------------------------------
e2e_boot "$work" removed "$rel" "${machine[@]}"
info "end-to-end on Debian 13: all steps passed in $((SECONDS - total)) s"
