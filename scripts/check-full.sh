#!/bin/bash
# make check-full: what CI's make check leaves out for time, in one run.
#
#  1. make check with the KCSAN kernel (escape suite and stress) and a
#     second debug kernel: DEBUG_KERNELS="6.1/x86_64 6.12/x86_64", so 6.1
#     x86_64 is the debug flavour (KASAN, lockdep, UBSAN) as well as 6.12
#     x86_64, and runs the fuzzer too;
#  2. make repro: the 6.1 virt packages built twice, compared byte for byte;
#  3. Secure Boot with restrack's own kernel: the generic 6.12 x86_64
#     packages (FLAVOUR=generic LOCALMODCONFIG=1, image signed with the test
#     key or SB_KEY=/SB_CERT=), then make e2e-sb with them;
#  4. make e2e-trixie: Debian 13 with those same generic packages (after
#     "sb", which builds them; alone, it builds them when missing).
#
# Each step's log is in build/check-full/; ends with "N passed, N failed"
# (make check's own tests, plus one for each other step).  CHECK_FULL_STEPS
# ("check repro sb trixie" by default) narrows the run.
#
# Two lanes run at once (CHECK_FULL_LANES=2, the default): the test kernels
# (check, then repro) and the generic packages (sb, then trixie).  Kernel
# builds still go one at a time (the build lock); what overlaps is one
# lane's QEMU guests with the other's build or guests, so the whole run
# takes about the longer lane instead of the sum.  CHECK_FULL_LANES=1 runs
# the steps one after the other, in the order given.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

steps=${CHECK_FULL_STEPS:-check repro sb trixie}
lanes=${CHECK_FULL_LANES:-2}
for s in $steps; do
	case $s in
	check | repro | sb | trixie) ;;
	*) die "CHECK_FULL_STEPS: unknown step '$s' (steps: check repro sb trixie)" ;;
	esac
done
case $lanes in
1 | 2) ;;
*) die "CHECK_FULL_LANES=$lanes: give 1 (one step after another) or 2 (two lanes at once)" ;;
esac
logs=$RESTRACK_ROOT/build/check-full
rm -rf "$logs"
mkdir -p "$logs"
passed=0 failed=0

step() { # name log command...: one step, its verdict and its time
	local name=$1 log=$2 t0=$SECONDS
	shift 2
	if "$@" >"$log" 2>&1; then
		passed=$((passed + 1))
		echo "PASS: $name ($((SECONDS - t0)) s)"
	else
		failed=$((failed + 1))
		tail -n 20 "$log"
		echo "FAIL: $name ($((SECONDS - t0)) s, see ${log#"$RESTRACK_ROOT"/})"
	fi
}

run_lane() { # name step...: the steps in order; the lane's counts in $logs/lane-NAME
	local lane=$1 s
	shift
	passed=0 failed=0
	for s in "$@"; do
		case $s in
		check)
			t0=$SECONDS rc=0
			CHECK_KCSAN=1 DEBUG_KERNELS="6.1/x86_64 6.12/x86_64" "$RESTRACK_ROOT/scripts/check.sh" 2>&1 |
				tee "$logs/check.log" || rc=$?
			last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/check.log" | tail -n 1 || true)
			if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
				passed=$((passed + BASH_REMATCH[1]))
				failed=$((failed + BASH_REMATCH[2]))
				[ "$rc" -eq 0 ] || [ "${BASH_REMATCH[2]}" -gt 0 ] || failed=$((failed + 1))
			else
				echo "FAIL: make check (KCSAN, second debug kernel) ended without its closing line (exit $rc)"
				failed=$((failed + 1))
			fi
			echo "check: $((SECONDS - t0)) s"
			;;
		repro)
			step "make repro (6.1 x86_64 virt, two builds from scratch)" "$logs/repro.log" \
				make -C "$RESTRACK_ROOT" repro
			;;
		sb)
			debs=$RESTRACK_ROOT/build/debs/6.12-x86_64-generic
			step "make debs KVER=6.12 FLAVOUR=generic LOCALMODCONFIG=1 (signed image)" "$logs/debs-generic.log" \
				env KVER=6.12 ARCH=x86_64 FLAVOUR=generic LOCALMODCONFIG=1 \
				"$RESTRACK_ROOT/scripts/build-debs.sh"
			image=$(find "$debs" -maxdepth 1 -name 'linux-image-6.12*-restrack_*.deb' ! -name '*-dbg_*' 2>/dev/null | head -n 1 || true)
			headers=$(find "$debs" -maxdepth 1 -name 'linux-headers-6.12*-restrack_*.deb' 2>/dev/null | head -n 1 || true)
			if [ -n "$image" ] && [ -n "$headers" ]; then
				step "make e2e-sb with the restrack kernel (${image##*/})" "$logs/e2e-sb.log" \
					env SB_KERNEL_DEB="$image" SB_HEADERS_DEB="$headers" \
					"$RESTRACK_ROOT/scripts/e2e-sb.sh"
				grep -E '^(PASS|FAIL) |^e2e-sb: ' "$logs/e2e-sb.log" | sed 's/^/  e2e-sb: /' || true
			else
				echo "FAIL: make e2e-sb: no generic 6.12 packages in ${debs#"$RESTRACK_ROOT"/}"
				failed=$((failed + 1))
			fi
			;;
		trixie)
			step "make e2e-trixie (Debian 13, the generic 6.12 kernel through its initrd)" "$logs/e2e-trixie.log" \
				"$RESTRACK_ROOT/scripts/e2e-trixie.sh"
			grep -E '^e2e-trixie.sh: ' "$logs/e2e-trixie.log" | sed 's/^/  /' || true
			;;
		esac
	done
	echo "$passed $failed" >"$logs/lane-$lane"
}

# Each lane in a subshell of its own: a lane that stops short (set -e)
# leaves no counts, and that is a failure, not the end of the run.
expect=()
if [ "$lanes" = 2 ]; then
	kernels=() packages=()
	for s in $steps; do
		case $s in
		check | repro) kernels+=("$s") ;;
		*) packages+=("$s") ;;
		esac
	done
	[ "${#kernels[@]}" -eq 0 ] || { expect+=(kernels); (run_lane kernels "${kernels[@]}") & }
	[ "${#packages[@]}" -eq 0 ] || { expect+=(packages); (run_lane packages "${packages[@]}") & }
	wait || true
else
	expect=(all)
	# shellcheck disable=SC2086 # steps: a list of words
	(run_lane all $steps) || true
fi
passed=0 failed=0
for lane in "${expect[@]}"; do
	if [ -f "$logs/lane-$lane" ]; then
		read -r p f <"$logs/lane-$lane"
		passed=$((passed + p)) failed=$((failed + f))
	else
		echo "FAIL: the $lane lane stopped before its end (see $logs)"
		failed=$((failed + 1))
	fi
done
echo "total time $SECONDS s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
