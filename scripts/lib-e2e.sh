# shellcheck shell=bash
# Helpers shared by the scripts that boot a Debian system in QEMU (e2e.sh,
# e2e-trixie.sh, qemu-modules.sh).  Source it after lib.sh; do not run it.
#
# The pattern: mmdebstrap a root with a one-shot systemd unit
# (restrack-e2e.service) that runs /usr/local/sbin/restrack-e2e at every
# boot; /etc/restrack-e2e-stage says what that boot is for; the script
# prints "E2E: ..." lines on the serial console, ends with "E2E: done" and
# powers the machine off.  The host makes a disk image of the root (no loop
# device, no mount), boots it and reads those lines.

# The QEMU machine of the Debian 13 sequence (e2e-trixie.sh), whose modules
# config-fragments/qemu-modules.list lists (qemu-modules.sh): q35, one vCPU,
# the root on a virtio disk, a virtio NIC (user networking, no way out),
# the console on the serial port.  Give the disk image.  The image is
# thrown away after the test: its flushes need not reach the host's disk
# (cache=unsafe), which spares the guests' dpkg and DKMS minutes.
e2e_q35() { # image
	echo -M q35 -cpu max -m 2G -smp 1 \
		-drive "file=$1,format=raw,if=virtio,cache=unsafe" \
		-nic user,model=virtio-net-pci,restrict=on
}

# The shell functions every guest script starts with: say (an E2E line on
# the console), check_modules (restrack-dkms's modules loaded),
# check_quota (restrack run --heap 8M on a growing process: SIGKILL, 137),
# apt_fail (the end of /tmp/apt.log as failures), remove_dkms and
# check_removed (apt-get remove restrack-dkms, and the boot after it).
e2e_guest_prologue() {
	cat <<-'EOF'
		#!/bin/sh
		# restrack end-to-end test, run at every boot by restrack-e2e.service.
		# /etc/restrack-e2e-stage says what this boot is for; results go to the
		# serial console as "E2E: ..." lines, then the machine powers off.
		say() { echo "E2E: $*" >/dev/ttyS0; }
		sayall() { sed "s/^/E2E: $1/" >/dev/ttyS0; }
		stage=$(cat /etc/restrack-e2e-stage)
		say "stage $stage, kernel $(uname -r)"

		check_modules() {
			for m in cleanup_kprobe tracker; do
				if grep -q "^$m " /proc/modules; then say "module $m loaded"; else say "FAIL module $m not loaded"; fi
			done
			if head -n 1 /proc/tracker_status | grep -q '^PID'; then
				say "/proc/tracker_status present"
			else
				say "FAIL no /proc/tracker_status"
			fi
		}

		check_quota() {
			restrack run --heap 8M -- sh -c 'x=$(head -c 33554432 /dev/zero | tr "\0" a); echo ${#x}' >/tmp/run.out 2>&1
			rc=$?
			sayall "run: " </tmp/run.out
			say "restrack run --heap 8M: exit $rc"
			if [ "$rc" = 137 ]; then say "heap quota kill ok"; else say "FAIL heap quota did not kill"; fi
		}

		apt_fail() { tail -n 30 /tmp/apt.log | sayall "FAIL apt: "; }

		# apt-get remove restrack-dkms: no module file of it may be left in
		# any kernel's tree; the next boot is stage "removed".
		remove_dkms() {
			if apt-get remove -y -q restrack-dkms >/tmp/apt.log 2>&1; then
				say "apt-get remove restrack-dkms done"
				find /lib/modules/ /usr/lib/modules/ -name 'tracker.ko*' -o -name 'cleanup_kprobe.ko*' 2>/dev/null |
					sort -u | sayall "FAIL left behind: "
				echo removed >/etc/restrack-e2e-stage
			else
				apt_fail
			fi
		}

		# The boot after remove_dkms: no restrack module loaded, quotas
		# still enforced (they are the kernel's).
		check_removed() {
			if grep -qE '^(cleanup_kprobe|tracker) ' /proc/modules; then say "FAIL modules loaded after removal"; else say "no restrack module loaded"; fi
			check_quota
		}
	EOF
}

# Write the guest script (the prologue, then the stage cases read from
# standard input, then "done" and a power-off) and its unit into DIR.
e2e_guest_files() { # dir
	{
		e2e_guest_prologue
		cat
		printf '%s\n' 'say "done"' 'systemctl poweroff'
	} >"$1/restrack-e2e"
	cat >"$1/restrack-e2e.service" <<-'EOF'
		[Unit]
		Description=restrack end-to-end test
		After=multi-user.target systemd-modules-load.service

		[Service]
		Type=oneshot
		ExecStart=/usr/local/sbin/restrack-e2e
		StandardOutput=journal+console

		[Install]
		WantedBy=multi-user.target
	EOF
}

# mmdebstrap options that install DIR's guest script and unit, set the first
# stage, the host name, the fstab (root on /dev/vda1) and GRUB on the serial
# console; after them, the caller's own.
e2e_mmdebstrap_hooks() { # dir first-stage
	# The hooks are shell code that mmdebstrap runs with the root as $1.
	# shellcheck disable=SC2016
	printf '%s\n' \
		"--customize-hook=copy-in $1/restrack-e2e /usr/local/sbin" \
		"--customize-hook=copy-in $1/restrack-e2e.service /etc/systemd/system" \
		'--customize-hook=chmod 755 "$1/usr/local/sbin/restrack-e2e"' \
		'--customize-hook=ln -s /etc/systemd/system/restrack-e2e.service "$1/etc/systemd/system/multi-user.target.wants/"' \
		"--customize-hook=echo $2 >\"\$1/etc/restrack-e2e-stage\"" \
		'--customize-hook=echo "restrack-e2e" >"$1/etc/hostname"' \
		'--customize-hook=echo "/dev/vda1 / ext4 errors=remount-ro 0 1" >"$1/etc/fstab"' \
		'--customize-hook=printf "GRUB_TIMEOUT=1\nGRUB_CMDLINE_LINUX=\"console=ttyS0\"\nGRUB_TERMINAL=serial\n" >>"$1/etc/default/grub"'
}

# A raw disk image of a root directory: MBR, one bootable ext4 partition
# from sector 2048 (mke2fs -d: no loop device, no mount).
e2e_disk_image() { # root image size-GiB
	local sectors=$(($3 * 1024 * 1024 * 2))
	rm -f "$2"
	truncate -s "$3G" "$2"
	echo 'start=2048, type=83, bootable' | sfdisk -q "$2"
	mke2fs -q -t ext4 -E offset=$((2048 * 512)) -d "$1" "$2" $(((sectors - 2048) / 2))
}

# Run a guest to its end (power-off, or a panic with panic=-1), at most
# E2E_TIMEOUT seconds (1800); its console, without CRs, in LOG.
e2e_qemu() { # log qemu-option...
	local log=$1
	shift
	timeout "${E2E_TIMEOUT:-1800}" qemu-system-x86_64 -nographic -no-reboot "$@" </dev/null 2>&1 |
		tr -d '\r' >"$log" || true
}

# Boot a guest whose test unit runs, and check that it finished, failed no
# check and ran kernel RELEASE.  Its console is in DIR/boot-LABEL.log, its
# E2E lines (the console may put a login prompt in front of one) in
# DIR/boot-LABEL.e2e, and on standard error.
e2e_boot() { # dir label release qemu-option...
	local dir=$1 label=$2 want=$3 start=$SECONDS
	shift 3
	local log=$dir/boot-$label.log
	info "boot: $label"
	e2e_qemu "$log" "$@"
	grep -ao 'E2E: .*' "$log" >"$dir/boot-$label.e2e" || true
	sed "s/^/[$label] /" "$dir/boot-$label.e2e" >&2
	grep -q '^E2E: done$' "$dir/boot-$label.e2e" || die "$label: the system did not finish booting (see $log)"
	! grep -q '^E2E: FAIL' "$dir/boot-$label.e2e" || die "$label: a check failed (see $log)"
	grep -q "^E2E: stage .*, kernel $want\$" "$dir/boot-$label.e2e" || die "$label: $want did not boot (see $log)"
	info "boot: $label passed in $((SECONDS - start)) s"
}

# Trixie's lintian (lintian-release.sh) on what a sequence publishes, in the
# background while its root is made: e2e_lintian_start LOG KEYRING_DEB DEB...
# starts it, e2e_lintian_wait LOG dies on an error before the first boot.
e2e_lintian_start() { # log, keyring .deb, .debs
	local log=$1
	shift
	"$RESTRACK_ROOT/scripts/lintian-release.sh" trixie "$@" >"$log" 2>&1 &
	e2e_lintian_pid=$!
	trap 'kill "$e2e_lintian_pid" 2>/dev/null || true' EXIT
}
e2e_lintian_wait() { # log
	if ! wait "$e2e_lintian_pid"; then
		grep '^E: ' "$1" >&2 || true
		die "trixie's lintian failed: $(tail -n 1 "$1") (see $1)"
	fi
	info "$(tail -n 1 "$1")"
}
