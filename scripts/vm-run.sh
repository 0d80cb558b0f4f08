#!/bin/bash
# Boot a built test kernel in QEMU with PROG as the only program of its
# initramfs, run as root by tests/guest/init.c; print PROG's output and the
# kernel log, and exit with PROG's exit status (128+N when killed by signal
# N).  Exit 124 when the guest did not finish in time, 125 when the kernel
# logged a BUG, WARNING, Oops, lockdep, KASAN, kmemleak or RCU stall report.
# FLAVOUR=debug boots the debug kernel (and scans kmemleak after PROG).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	echo "usage: ${0##*/} [-m] [-l LOG] [-f FILE]... SERIES ARCH PROG" >&2
	echo "  -m       load the cleanup_kprobe and tracker modules first" >&2
	echo "  -l LOG   keep the whole console output in LOG" >&2
	echo "  -f FILE  also put FILE (a static program) in the guest's /bin" >&2
	echo "  -a ARG   pass ARG (no spaces) to PROG; repeat for more" >&2
	echo "  -i       deterministic time: the guest clock counts instructions" >&2
	echo "           (-icount shift=0,align=off,sleep=off), one vCPU" >&2
	echo "  -P PLUGIN  load a QEMU TCG plugin, PATH[,ARG=VALUE...] (e.g." >&2
	echo "           tests/bench/tbcount.c, built as a shared object)" >&2
	exit 2
}
modules=0 log='' extra=() args='' icount=0 plugin=()
while getopts ml:f:a:iP: opt; do
	case $opt in
	m) modules=1 ;;
	i) icount=1 ;;
	P) [ -f "${OPTARG%%,*}" ] || die "-P: no plugin '${OPTARG%%,*}' (build it with gcc -shared -fPIC)"
		plugin=(-plugin "$OPTARG") ;;
	l) log=$OPTARG ;;
	f) [ -f "$OPTARG" ] || die "-f: '$OPTARG' does not exist"
		extra+=("$OPTARG") ;;
	a) case $OPTARG in *[[:space:]]*) die "-a: '$OPTARG' has spaces" ;; esac
		args+=" restrack.arg=$OPTARG" ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 3 ] || usage
series=$1 arch=$2 prog=$3
check_series "$series"
check_arch "$arch"
[ -f "$prog" ] || die "PROG '$prog' does not exist"
if command -v file >/dev/null && ! file -b "$prog" | grep -q "statically linked"; then
	info "warning: '$prog' does not look statically linked; the initramfs has no libraries"
fi

flavour=${FLAVOUR:-test}
obj=$(obj_dir "$series" "$arch" "$flavour")
image=$obj/$(boot_image "$arch")
[ -f "$image" ] || die "no $series $arch $flavour kernel: run 'FLAVOUR=$flavour scripts/build-test-kernel.sh $series $arch'"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/modules" "$work/root/bin"
"$(guest_cc "$arch")" -static -O2 -Wall -Wextra -Werror \
	-o "$work/root/init" "$RESTRACK_ROOT/tests/guest/init.c"
cp "$prog" "$work/root/prog"
chmod 755 "$work/root/prog"
for f in "${extra[@]}"; do
	cp "$f" "$work/root/bin/"
	chmod 755 "$work/root/bin/${f##*/}"
done
if [ "$modules" = 1 ]; then
	cp "$obj"/modules/*.ko "$work/root/modules/"
fi
(cd "$work/root" && find . | cpio -o -H newc --quiet) >"$work/initramfs.cpio"

append="panic=-1 loglevel=1 restrack.modules=$modules$args"
case $arch in
x86_64)
	need_pkgs qemu-system-x86
	cpu=max
	# A KASAN kernel on a CPU with 5-level paging may report a false
	# wild-memory-access in do_raw_spin_lock() from an interrupt early in
	# boot (upstream: "kasan: Fix false-positive wild-memory-access on x86
	# under 5-level paging", June 2026; seen once in CI on 6.12).  The
	# tests need no 5-level paging: such a kernel gets a CPU without it.
	if grep -qx 'CONFIG_KASAN=y' "$obj/.config"; then
		cpu=max,la57=off
	fi
	qemu=(qemu-system-x86_64 -M pc -cpu "$cpu" -append "console=ttyS0 $append") ;;
arm64)
	need_pkgs qemu-system-arm
	qemu=(qemu-system-aarch64 -M virt -cpu cortex-a57 -append "console=ttyAMA0 $append") ;;
esac
qemu+=("${plugin[@]}" -m 2G -nographic -no-reboot -kernel "$image" -initrd "$work/initramfs.cpio")
if [ "$icount" = 1 ]; then
	qemu+=(-smp 1 -icount 'shift=0,align=off,sleep=off')
else
	qemu+=(-smp 2)
fi

out=${log:-$work/console.log}
rc=0
timeout "${VM_TIMEOUT:-900}" "${qemu[@]}" </dev/null 2>&1 | tr -d '\r' | tee "$out" || rc=$?
status=$(sed -n 's/^@@RESTRACK-EXIT \([0-9]*\)$/\1/p' "$out" | tail -n 1)
if [ -z "$status" ]; then
	info "the guest did not finish (qemu/timeout status $rc)"
	exit 124
fi
if grep -qE 'BUG:|WARNING:|Oops|Kernel panic|UBSAN:|INFO: rcu|rcu_sched detected stall|INFO: task .* blocked|unreferenced object|general protection fault|Unable to handle kernel' "$out"; then
	info "the kernel reported a problem: see the log above"
	exit 125
fi
exit "$status"
