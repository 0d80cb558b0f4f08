#!/bin/bash
# Run test steps in lanes that go at once, and add up their verdicts: what
# .ci/run and make check-full are made of.
#
#   run-lanes.sh LOGDIR LANE [LANE]
#
# Each LANE is a list of steps run one after the other; two lanes run at
# once.  Kernel builds still take turns (the build lock), so what overlaps
# is one lane's QEMU guests with the other's build or guests.  The steps:
#
#   check    make check: the four test kernels, one of them the debug flavour
#   extra    what make check leaves out: the KCSAN kernel (escape suite and
#            stress) and the second debug kernel (6.1 x86_64, with the
#            million-call fuzz and every suite both ways): make check with
#            SERIES=6.1 ARCHES=x86_64 DEBUG_KERNELS=6.1/x86_64 CHECK_KCSAN=1
#            FUZZ_CALLS=1000000 DEBUG_FULL=1
#   e2e      make e2e: Debian 12, the 6.1 then 6.12 virt packages, removal
#   trixie   make e2e-trixie: Debian 13, the generic 6.12 kernel through its
#            initrd (builds its packages when they are missing)
#   stock    make e2e-trixie with E2E_STOCK=guest: the stock kernel of a
#            higher version installed by apt on the running system, not
#            with the root
#   repro    make repro: the 6.1 virt packages built twice, byte for byte
#   sb       the generic 6.12 packages (signed image), then make e2e-sb
#
# A lane with e2e and then trixie builds their packages first: make e2e's
# (a step of its own), then e2e-trixie's in the background while make e2e's
# guests run (a step counted when trixie starts), so that no guest waits
# for a kernel build the lock could have run earlier.  When that lane's
# builds go first, the other lane's wait for all three of them
# (kbuild_first_hold), rather than slip into the gaps between them.
#
# make check's own tests count one by one, every other step counts one.
# Each step's log is in LOGDIR; prints a line per step and ends with
# "N passed, N failed".  A lane that stops short counts as a failure.
#
# RUN_LANES_FIRST (2; 1, or 0 for neither): the lane whose kernel builds go
# ahead of the other's when both wait for the build lock
# (RESTRACK_BUILD_FIRST): the lane that would end last, CI's e2e lane,
# whose later steps cannot start before its kernels are built.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case $# in
2 | 3) ;;
*) die "usage: ${0##*/} LOGDIR LANE [LANE] (a LANE: steps such as \"e2e trixie\")" ;;
esac
logs=$1
shift
for lane in "$@"; do
	[ -n "$lane" ] || die "an empty lane: give each lane at least one step"
	for s in $lane; do
		case $s in
		check | extra | e2e | trixie | stock | repro | sb) ;;
		*) die "unknown step '$s' (steps: check extra e2e trixie stock repro sb)" ;;
		esac
	done
done
# Steps that share a directory must share a lane: check and extra
# (build/check), e2e and repro (build/debs/6.1-x86_64-virt, which repro
# builds from scratch), trixie and stock (build/e2e-trixie), sb and stock
# (build/debs/6.12-x86_64-generic, which stock builds when it is missing).
lane_of() { # step: the number of the lane that has it, or nothing
	local i=0 lane
	for lane in "${lanes[@]}"; do
		i=$((i + 1))
		case " $lane " in *" $1 "*) echo "$i" ;; esac
	done | head -n 1
}
lanes=("$@")
first=${RUN_LANES_FIRST-2}
case $first in
0 | 1 | 2) ;;
*) die "RUN_LANES_FIRST: '$first' is not a lane (1 or 2, or 0 for neither)" ;;
esac
for pair in "check extra" "e2e repro" "trixie stock" "sb stock"; do
	read -r a b <<<"$pair"
	la=$(lane_of "$a") lb=$(lane_of "$b")
	[ -z "$la" ] || [ -z "$lb" ] || [ "$la" = "$lb" ] ||
		die "steps $a and $b share a directory: put them in the same lane"
done
rm -rf "$logs"
mkdir -p "$logs"

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

check_step() { # name log env...: make check, its tests counted one by one
	local name=$1 log=$2 t0=$SECONDS rc=0 last
	shift 2
	env "$@" "$RESTRACK_ROOT/scripts/check.sh" 2>&1 | tee "$log" || rc=$?
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		[ "$rc" -eq 0 ] || [ "${BASH_REMATCH[2]}" -gt 0 ] || failed=$((failed + 1))
	else
		echo "FAIL: $name ended without its closing line (exit $rc)"
		failed=$((failed + 1))
	fi
	echo "$name: $((SECONDS - t0)) s"
}

run_lane() { # n step...: the steps in order; the lane's counts in $logs/lane-N
	local lane=$1 s f0 hold trixie_build='' trixie_t0=0
	shift
	passed=0 failed=0
	if [ "$lane" = "$first" ]; then
		export RESTRACK_BUILD_FIRST=1
	else
		export RESTRACK_BUILD_FIRST=0
	fi
	for s in "$@"; do
		case $s in
		check)
			check_step "make check" "$logs/check.log"
			;;
		extra)
			check_step "make check (KCSAN, the second debug kernel, the million-call fuzz)" "$logs/extra.log" \
				SERIES=6.1 ARCHES=x86_64 DEBUG_KERNELS=6.1/x86_64 CHECK_KCSAN=1 FUZZ_CALLS=1000000 \
				DEBUG_FULL=1
			;;
		e2e)
			# With make e2e-trixie later in the lane, both build first
			# (see the top of this file).
			if [[ " $* " == *" e2e "*"trixie "* ]]; then
				f0=$failed hold=
				if [ "$lane" = "$first" ]; then
					kbuild_first_hold
					hold=$kbuild_hold
				fi
				step "make e2e's packages (make debs FLAVOUR=virt, KVER=6.1 and 6.12)" "$logs/debs-virt.log" \
					"$RESTRACK_ROOT/scripts/e2e.sh" --build
				{
					rc=0
					"$RESTRACK_ROOT/scripts/e2e-trixie.sh" --build >"$logs/debs-generic.log" 2>&1 || rc=$?
					[ -z "$hold" ] || kbuild_first_release "$hold"
					exit "$rc"
				} &
				trixie_build=$! trixie_t0=$SECONDS
				if [ "$failed" != "$f0" ]; then
					echo "FAIL: make e2e: its packages did not build"
					failed=$((failed + 1))
					continue
				fi
			fi
			step "make e2e (Debian 12: 6.1 virt, upgrade to 6.12, removal)" "$logs/e2e.log" \
				"$RESTRACK_ROOT/scripts/e2e.sh"
			grep -E '^e2e.sh: ' "$logs/e2e.log" | sed 's/^/  /' || true
			;;
		trixie)
			if [ -n "$trixie_build" ]; then
				if wait "$trixie_build"; then
					passed=$((passed + 1))
					echo "PASS: make e2e-trixie's packages (make debs KVER=6.12 FLAVOUR=generic LOCALMODCONFIG=1), beside make e2e ($((SECONDS - trixie_t0)) s)"
				else
					tail -n 20 "$logs/debs-generic.log"
					echo "FAIL: make e2e-trixie's packages (see ${logs#"$RESTRACK_ROOT"/}/debs-generic.log)"
					echo "FAIL: make e2e-trixie: its packages did not build"
					failed=$((failed + 2))
					continue
				fi
			fi
			step "make e2e-trixie (Debian 13, the generic 6.12 kernel through its initrd)" "$logs/e2e-trixie.log" \
				"$RESTRACK_ROOT/scripts/e2e-trixie.sh"
			grep -E '^e2e-trixie.sh: ' "$logs/e2e-trixie.log" | sed 's/^/  /' || true
			;;
		stock)
			step "make e2e-trixie E2E_STOCK=guest (the stock kernel installed by apt in the guest)" \
				"$logs/e2e-trixie-stock.log" env E2E_STOCK=guest "$RESTRACK_ROOT/scripts/e2e-trixie.sh"
			grep -E '^e2e-trixie.sh: ' "$logs/e2e-trixie-stock.log" | sed 's/^/  /' || true
			;;
		repro)
			# What it builds is named here: make exports FLAVOUR (test),
			# which repro-check.sh would take for the packages' flavour.
			step "make repro (6.1 x86_64 virt, two builds from scratch)" "$logs/repro.log" \
				env KVER=6.1 ARCH=x86_64 FLAVOUR=virt "$RESTRACK_ROOT/scripts/repro-check.sh"
			;;
		sb)
			local debs=$RESTRACK_ROOT/build/debs/6.12-x86_64-generic image headers
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
		esac
	done
	echo "$passed $failed" >"$logs/lane-$lane"
}

# Each lane in a subshell of its own: a lane that stops short (set -e)
# leaves no counts, and that is a failure, not the end of the run.
n=0
for lane in "${lanes[@]}"; do
	n=$((n + 1))
	# shellcheck disable=SC2086 # a lane: a list of words
	(run_lane "$n" $lane) &
done
wait || true
passed=0 failed=0
for i in $(seq "$n"); do
	if [ -f "$logs/lane-$i" ]; then
		read -r p f <"$logs/lane-$i"
		passed=$((passed + p)) failed=$((failed + f))
	else
		echo "FAIL: lane $i (${lanes[i - 1]}) stopped before its end (see $logs)"
		failed=$((failed + 1))
	fi
done
echo "total time $SECONDS s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
