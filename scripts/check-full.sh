#!/bin/bash
# make check-full: what CI (.ci/run) leaves out for time, in one run.
#
#  extra  make check with the KCSAN kernel (escape suite and stress; any
#         data-race report fails) and the second debug kernel, 6.1 x86_64
#         (KASAN, lockdep, UBSAN, kmemleak; suites, stress and the fuzzer);
#  repro  make repro: the 6.1 virt packages built twice, compared byte for
#         byte;
#  sb     Secure Boot with restrack's own kernel: the generic 6.12 x86_64
#         packages (FLAVOUR=generic LOCALMODCONFIG=1, image signed with the
#         test key or SB_KEY=/SB_CERT=), then make e2e-sb with them;
#  stock  make e2e-trixie with E2E_STOCK=guest, with those packages: the
#         stock kernel of a higher version installed by apt on the running
#         restrack system (its hooks make its initrd and run update-grub;
#         10 minutes without KVM), where CI's make e2e-trixie installs it
#         with the root.
#
# Two lanes at once (scripts/run-lanes.sh): "extra repro" and "sb stock";
# kernel builds still take turns.  CHECK_FULL_STEPS ("extra repro sb stock"
# by default) narrows the run; CHECK_FULL_LANES=1 runs the steps one after
# the other.
# Each step's log is in build/check-full/; ends with "N passed, N failed"
# (make check's own tests, plus one for each other step).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

steps=${CHECK_FULL_STEPS:-extra repro sb stock}
lanes=${CHECK_FULL_LANES:-2}
kernels='' packages=''
for s in $steps; do
	case $s in
	extra | repro) kernels+=" $s" ;;
	sb | stock) packages+=" $s" ;;
	*) die "CHECK_FULL_STEPS: unknown step '$s' (steps: extra repro sb stock)" ;;
	esac
done
case $lanes in
1) set -- "$steps" ;;
2) set -- ${kernels:+"$kernels"} ${packages:+"$packages"} ;;
*) die "CHECK_FULL_LANES=$lanes: give 1 (one step after another) or 2 (two lanes at once)" ;;
esac
[ $# -gt 0 ] || die "CHECK_FULL_STEPS is empty: give one or more of extra repro sb stock"
exec "$RESTRACK_ROOT/scripts/run-lanes.sh" "$RESTRACK_ROOT/build/check-full" "$@"
