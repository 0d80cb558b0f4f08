#!/bin/bash
# make e2e: install the packages the way a user does and boot through GRUB.
#
#  1. mmdebstrap a Debian 12 root (amd64) that installs, with apt from
#     out/repo, the 6.1 virt kernel image and headers, restrack-dkms and
#     restrack-tools; DKMS builds the modules from the kernel's hooks.
#  2. Make a disk image (MBR, one ext4 partition), install GRUB on it, run
#     update-grub inside it, and boot it in QEMU through GRUB with systemd as
#     init.  A one-shot unit checks: both modules loaded, /proc/tracker_status
#     there, and `restrack run --heap` killed by SIGKILL; then powers off.
#  3. Install the 6.12 packages in the image: DKMS builds for 6.12,
#     update-grub lists it, and the image boots 6.12 and passes the checks.
#  4. apt remove restrack-dkms: the modules are gone from every kernel and
#     the system still boots.
#
# Needs out/repo with both series built: make debs FLAVOUR=virt KVER=6.1 and
# KVER=6.12 (the script builds what is missing).  Root, loop devices.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

root=$RESTRACK_ROOT
repo=$root/out/repo
work=$root/build/e2e
need_pkgs mmdebstrap grub-pc-bin grub2-common qemu-system-x86 e2fsprogs fdisk dosfstools

[ "$(uname -m)" = x86_64 ] || die "the end-to-end test boots an amd64 image: run it on x86_64"
for k in 6.1 6.12; do
	if ! ls "$repo"/linux-image-"$k".*-restrack_*.deb >/dev/null 2>&1; then
		KVER=$k FLAVOUR=virt ARCH=x86_64 "$root/scripts/build-debs.sh"
	fi
done
newest() { find "$repo" -name "linux-image-$1.*-restrack_*.deb" -printf '%f\n' | sed 's/_.*//' | sort -V | tail -n 1; }
image1=$(newest 6.1)
headers1=${image1/linux-image/linux-headers}
image2=$(newest 6.12)
headers2=${image2/linux-image/linux-headers}

rm -rf "$work"
mkdir -p "$work"
mnt=$work/mnt
loop=''
cleanup() {
	set +e
	for d in dev/pts dev proc sys srv/restrack-repo ''; do
		mountpoint -q "$mnt/$d" && umount -l "$mnt/$d"
	done
	[ -n "$loop" ] && losetup -d "$loop"
}
trap cleanup EXIT

# --- 1. the root file system ------------------------------------------------------
info "mmdebstrap: Debian 12 with $image1, $headers1, restrack-dkms, restrack-tools"
cat >"$work/restrack-e2e" <<'EOF'
#!/bin/sh
# Runs once per boot from restrack-e2e.service; results on the serial console.
say() { echo "E2E: $*" >/dev/ttyS0; }
say "kernel $(uname -r)"
if [ -e /run/restrack-e2e-expect-modules ] || [ -d /var/lib/dkms/restrack ]; then
	for m in cleanup_kprobe tracker; do
		if grep -q "^$m " /proc/modules; then say "module $m loaded"; else say "FAIL module $m not loaded"; fi
	done
	if [ -r /proc/tracker_status ]; then say "tracker_status present"; else say "FAIL no /proc/tracker_status"; fi
else
	if grep -qE '^(cleanup_kprobe|tracker) ' /proc/modules; then say "FAIL modules loaded after removal"; else say "no modules, as expected"; fi
	find /lib/modules -name 'tracker.ko*' -o -name 'cleanup_kprobe.ko*' | grep -q . &&
		say "FAIL module files left in /lib/modules"
fi
restrack run --heap 8M -- sh -c 'x=$(head -c 33554432 /dev/zero | tr "\0" a); echo ${#x}' >/tmp/run.out 2>&1
rc=$?
say "restrack run exit $rc: $(tail -n 1 /tmp/run.out)"
[ "$rc" = 137 ] && say "heap quota kill ok" || say "FAIL heap quota did not kill"
say "done"
systemctl poweroff
EOF
cat >"$work/restrack-e2e.service" <<'EOF'
[Unit]
Description=restrack end-to-end checks
After=multi-user.target systemd-modules-load.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/restrack-e2e
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
EOF
# The hooks are shell code that mmdebstrap runs with the root as $1.
# shellcheck disable=SC2016
mmdebstrap --variant=minbase --architectures=amd64 \
	--include=systemd-sysv,udev,kmod,initramfs-tools,grub-pc,dkms,apt,procps \
	--setup-hook='mkdir -p "$1/srv/restrack-repo"' \
	--setup-hook="sync-in $repo /srv/restrack-repo" \
	--customize-hook="copy-in $work/restrack-e2e /usr/local/sbin" \
	--customize-hook="copy-in $work/restrack-e2e.service /etc/systemd/system" \
	--customize-hook='chmod 755 "$1/usr/local/sbin/restrack-e2e"' \
	--customize-hook='ln -s /etc/systemd/system/restrack-e2e.service "$1/etc/systemd/system/multi-user.target.wants/"' \
	--customize-hook='echo "restrack-e2e" >"$1/etc/hostname"' \
	--customize-hook='echo "/dev/vda1 / ext4 errors=remount-ro 0 1" >"$1/etc/fstab"' \
	--customize-hook='printf "GRUB_TIMEOUT=1\nGRUB_CMDLINE_LINUX=\"console=ttyS0\"\nGRUB_TERMINAL=serial\n" >>"$1/etc/default/grub"' \
	--customize-hook="chroot \"\$1\" apt-get install -y -q $image1 $headers1 restrack-dkms restrack-tools" \
	--customize-hook='chroot "$1" dkms status >"$1/root/dkms-status-1"' \
	--customize-hook="copy-out /root/dkms-status-1 $work" \
	bookworm "$work/root.tar" \
	"deb http://deb.debian.org/debian bookworm main" \
	"deb [trusted=yes] file:/srv/restrack-repo ./" >"$work/mmdebstrap.log" 2>&1 ||
	{ tail -30 "$work/mmdebstrap.log"; die "mmdebstrap failed: see $work/mmdebstrap.log"; }
cat "$work/dkms-status-1"
grep -q "restrack/.*${image1#linux-image-}.*installed" "$work/dkms-status-1" ||
	die "DKMS did not install the modules for ${image1#linux-image-}"

# --- 2. the disk image and GRUB ---------------------------------------------------------
img=$work/disk.img
truncate -s 4G "$img"
echo 'start=2048, type=83, bootable' | sfdisk -q "$img"
mke2fs -q -t ext4 -E offset=$((2048 * 512)) -d "$work/root.tar" "$img" $((4 * 1024 * 1024 - 1024))
loop=$(losetup -P -f --show "$img")
mkdir -p "$mnt"
mount "${loop}p1" "$mnt"
for d in dev dev/pts proc sys; do mount --bind "/$d" "$mnt/$d"; done
grub-install --target=i386-pc --boot-directory="$mnt/boot" "$loop" >"$work/grub-install.log" 2>&1
chroot "$mnt" update-grub >"$work/update-grub-1.log" 2>&1

boot() { # label
	local log=$work/boot-$1.log
	for d in sys proc dev/pts dev; do umount "$mnt/$d"; done
	umount "$mnt"
	info "booting the image through GRUB ($1)"
	timeout 900 qemu-system-x86_64 -M pc -cpu max -m 2G -smp 2 -nographic -no-reboot \
		-drive file="$img",format=raw,if=virtio </dev/null 2>&1 | tr -d '\r' >"$log" || true
	grep '^E2E:' "$log" | sed "s/^/[$1] /" >&2
	mount "${loop}p1" "$mnt"
	for d in dev dev/pts proc sys; do mount --bind "/$d" "$mnt/$d"; done
	grep -q '^E2E: done' "$log" || die "$1: the system did not finish booting (see $log)"
	! grep -q '^E2E: FAIL' "$log" || die "$1: a check failed (see $log)"
}
boot 6.1
grep -q "^E2E: kernel ${image1#linux-image-}" "$work/boot-6.1.log" || die "6.1 did not boot"

# --- 3. upgrade to 6.12 ---------------------------------------------------------------
mount --bind "$repo" "$mnt/srv/restrack-repo"
chroot "$mnt" apt-get install -y -q "$image2" "$headers2" >"$work/apt-6.12.log" 2>&1
umount "$mnt/srv/restrack-repo"
chroot "$mnt" dkms status | tee "$work/dkms-status-2" >&2
grep -q "restrack/.*${image2#linux-image-}.*installed" "$work/dkms-status-2" ||
	die "DKMS did not build the modules for ${image2#linux-image-}"
grep -q "${image2#linux-image-}" "$mnt/boot/grub/grub.cfg" || die "update-grub did not list 6.12"
boot 6.12
grep -q "^E2E: kernel ${image2#linux-image-}" "$work/boot-6.12.log" || die "6.12 is not the default"

# --- 4. removal ----------------------------------------------------------------------
chroot "$mnt" apt-get remove -y -q restrack-dkms >"$work/apt-remove.log" 2>&1
if find "$mnt/lib/modules" -name 'tracker.ko*' -o -name 'cleanup_kprobe.ko*' | grep -q .; then
	die "restrack-dkms removal left modules behind"
fi
boot removed
info "end-to-end: all steps passed"
