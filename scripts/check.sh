#!/bin/bash
# make check: everything that proves the resource tracker works.
#
#  host:   shellcheck on every script; checkpatch --strict on every patch,
#          on the combined res_usage.patch and on every kernel C file; the
#          combined patch reverse-applies exactly to the patched tree.
#  guest:  for each series and architecture, build the test kernel and both
#          modules, boot it in QEMU twice (without, then with the modules)
#          and run the kselftest-harness suite tests/guest/restrack_test.c.
#
# Prints one line per test and per kernel, then "N passed, N failed".
# SERIES="6.1 6.12" and ARCHES="x86_64 arm64" narrow the run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series_list=${SERIES:-$SERIES_SUPPORTED}
arch_list=${ARCHES:-$ARCHES_SUPPORTED}
results=$RESTRACK_ROOT/build/check
rm -rf "$results"
mkdir -p "$results"

"$RESTRACK_ROOT/scripts/install-deps.sh"

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
skip() { skipped=$((skipped + 1)); echo "SKIP: $*"; }

# --- host checks ---------------------------------------------------------
mapfile -t scripts < <(cd "$RESTRACK_ROOT" && ls scripts/*.sh .ci/run)
if (cd "$RESTRACK_ROOT" && shellcheck -x -P SCRIPTDIR "${scripts[@]}") >"$results/shellcheck.log" 2>&1; then
	pass "shellcheck: ${scripts[*]}"
else
	cat "$results/shellcheck.log"
	fail "shellcheck"
fi

checkpatch() { # tree, what, checkpatch args...
	local tree=$1 what=$2 log
	shift 2
	log=$results/checkpatch.log
	if (cd "$tree" && ./scripts/checkpatch.pl --strict --quiet --show-types "$@") >"$log" 2>&1; then
		pass "checkpatch --strict: $what"
	else
		cat "$log"
		fail "checkpatch --strict: $what"
	fi
}

# --- one kernel ----------------------------------------------------------
run_suite() { # series arch mode(plain|modules) test-binary
	local series=$1 arch=$2 mode=$3 bin=$4 log name rc=0 ntap opts=()
	log=$results/$series-$arch-$mode.log
	name="$series/$arch/$mode"
	[ "$mode" = modules ] && opts=(-m)
	"$RESTRACK_ROOT/scripts/vm-run.sh" "${opts[@]}" -l "$log" "$series" "$arch" "$bin" >/dev/null 2>&1 || rc=$?
	ntap=0
	while read -r line; do
		ntap=$((ntap + 1))
		case $line in
		"ok "*"# SKIP"*) skip "$name: ${line#ok }" ;;
		"ok "*) pass "$name: ${line#ok }" ;;
		*) fail "$name: ${line#not ok }" ;;
		esac
	done < <(grep -E '^(not )?ok [0-9]+ ' "$log" || true)
	case $rc in
	0) ;;
	124) fail "$name: the guest did not finish in time (see $log)" ;;
	125) grep -nE 'BUG:|WARNING:|Oops|lockdep|KASAN|stall|Unable to handle' "$log" | head -20
		fail "$name: the kernel logged a problem (see $log)" ;;
	*) [ "$ntap" -gt 0 ] || fail "$name: the suite exited with $rc and ran no test (see $log)" ;;
	esac
	if [ "$ntap" -eq 0 ] && [ "$rc" -eq 0 ]; then
		fail "$name: no test ran"
	fi
}

# The numbers of the five calls as a header defines them, sorted by name.
syscall_numbers() { # arch, header, include dir
	echo "#include <$2>" | "$(guest_cc "$1")" -E -dM -I"$3" - |
		sed -n 's/^#define __NR_\(register\|fetch\|deregister\|resource_cap\|resource_reset\) \([0-9]*\)$/\1=\2/p' |
		sort | tr '\n' ' '
}

summary=()
for series in $series_list; do
	check_series "$series"
	for arch in $arch_list; do
		check_arch "$arch"
		obj=$RESTRACK_ROOT/build/obj/$series-$arch
		p0=$passed f0=$failed s0=$skipped
		start=$SECONDS
		if ! "$RESTRACK_ROOT/scripts/build-test-kernel.sh" "$series" "$arch" >"$results/build-$series-$arch.log" 2>&1; then
			tail -40 "$results/build-$series-$arch.log"
			fail "$series/$arch: kernel build"
			continue
		fi
		pass "$series/$arch: kernel and modules built ($((SECONDS - start)) s)"

		tree=$RESTRACK_ROOT/build/src/$series
		bin=$obj/restrack_test
		if "$(guest_cc "$arch")" -static -O2 -Wall -Wextra -Werror -pthread \
			-I"$obj/usr/include" -I"$tree/tools/testing/selftests" \
			-o "$bin" "$RESTRACK_ROOT/tests/guest/restrack_test.c" 2>"$results/cc-$series-$arch.log"; then
			pass "$series/$arch: guest suite compiled against the installed uapi headers"
		else
			cat "$results/cc-$series-$arch.log"
			fail "$series/$arch: guest suite compile"
			continue
		fi
		want="deregister=550 fetch=549 register=548 resource_cap=551 resource_reset=552 "
		asm=$(syscall_numbers "$arch" asm/unistd.h "$obj/usr/include")
		uapi=$(syscall_numbers "$arch" linux/resource_tracker.h "$obj/usr/include")
		if [ "$asm" = "$want" ] && [ "$uapi" = "$want" ]; then
			pass "$series/$arch: installed asm/unistd.h and linux/resource_tracker.h agree: $want"
		else
			fail "$series/$arch: syscall numbers: asm/unistd.h '$asm', resource_tracker.h '$uapi', want '$want'"
		fi

		boot=$SECONDS
		run_suite "$series" "$arch" plain "$bin"
		run_suite "$series" "$arch" modules "$bin"
		summary+=("$series/$arch: $((passed - p0)) passed, $((failed - f0)) failed, $((skipped - s0)) skipped (build $((boot - start)) s, two boots and suites $((SECONDS - boot)) s)")
	done

	# Style and patch checks, with this series' own checkpatch.
	tree=$RESTRACK_ROOT/build/src/$series
	if [ -d "$tree" ]; then
		for p in "$RESTRACK_ROOT/patches/$series"/*.patch; do
			checkpatch "$tree" "patches/$series/${p##*/}" "$p"
		done
		"$RESTRACK_ROOT/scripts/make-patches.sh" "$series" 2>/dev/null
		combined=$RESTRACK_ROOT/out/patches/$series/res_usage.patch
		checkpatch "$tree" "out/patches/$series/res_usage.patch" "$combined"
		mapfile -t csrc < <(cd "$RESTRACK_ROOT" && find src dkms-modules -name '*.[ch]' | sort)
		checkpatch "$tree" "kernel C files (${#csrc[@]})" --no-tree -f \
			"${csrc[@]/#/$RESTRACK_ROOT/}"
		# GIT_CEILING_DIRECTORIES: treat the tree as a plain directory, not a part of this repository.
		if (cd "$tree" && patch -R -p1 --dry-run --quiet <"$combined" >/dev/null &&
			GIT_CEILING_DIRECTORIES=$(dirname "$tree") git apply -R --check "$combined"); then
			pass "$series: res_usage.patch is exactly the patched tree (patch -R and git apply -R)"
		else
			fail "$series: res_usage.patch does not match the patched tree"
		fi
	fi
done

echo
printf '%s\n' "${summary[@]}"
echo "total time $SECONDS s"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
