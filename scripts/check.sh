#!/bin/bash
# make check: everything that proves the resource tracker works.
#
#  host:   shellcheck on every script; checkpatch --strict on every patch,
#          on the combined res_usage.patch and on every kernel C file; the
#          combined patch reverse-applies exactly to the patched tree; the
#          installed uapi headers agree on the syscall numbers; the signed
#          apt repository (tests/repo/test-publish-repo.sh).
#  guest:  for each series and architecture, build the test kernel and both
#          modules, boot it in QEMU twice (without, then with the modules)
#          and run the kselftest-harness suites tests/guest/restrack_test.c
#          and tests/guest/restrack_escape.c (the attacks on the quotas),
#          tests/guest/restrack_pidfd.c (the pidfd calls: inheritance, the
#          deny action, peaks, the kill's reason).
#          On DEBUG_KERNELS (6.12/x86_64) the test kernel is the debug
#          flavour (KASAN, lockdep, PROVE_RCU, DEBUG_VM, UBSAN, kmemleak) and
#          also runs the fuzzer; every kernel runs the stress test; any
#          report fails the run.
#  tool:   the restrack tool's host unit tests, its man pages through
#          man --warnings, and its guest tests (every subcommand) on each
#          kernel, with and without the modules.
#
# Prints one line per test and per kernel, then "N passed, N failed".
# SERIES="6.1 6.12", ARCHES="x86_64 arm64" narrow the run; DEBUG_KERNELS
# ("6.12/x86_64"; "" for none, make check-full adds 6.1/x86_64) names the
# kernels built as the debug flavour; FUZZ_CALLS and STRESS_SECONDS size the debug runs;
# DEBUG_FULL=1 (make check-full) runs every suite on them both ways, as on
# the others (make check: the contract suites with the modules only);
# CHECK_KCSAN=1 (make check-full) adds the KCSAN kernel.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series_list=${SERIES:-$SERIES_SUPPORTED}
arch_list=${ARCHES:-$ARCHES_SUPPORTED}
debug_kernels=${DEBUG_KERNELS-6.12/x86_64}
for k in $debug_kernels; do
	case $k in
	*/*) (check_series "${k%%/*}" && check_arch "${k#*/}") >/dev/null 2>&1 ||
		die "DEBUG_KERNELS: '$k': the series must be one of $SERIES_SUPPORTED, the arch one of $ARCHES_SUPPORTED" ;;
	*) die "DEBUG_KERNELS: '$k' is not SERIES/ARCH (for example 6.12/x86_64)" ;;
	esac
done
fuzz_calls=${FUZZ_CALLS:-400000}
debug_full=${DEBUG_FULL:-0}
stress_seconds=${STRESS_SECONDS:-30}
results=$RESTRACK_ROOT/build/check
rm -rf "$results"
mkdir -p "$results"

"$RESTRACK_ROOT/scripts/install-deps.sh"

# The flavour of a series' test kernel on an arch: a debug kernel is the
# same small config plus KASAN, lockdep and kmemleak, so one build serves
# both jobs.
kernel_flavour() { # series arch
	case " $debug_kernels " in
	*" $1/$2 "*) echo debug ;;
	*) echo test ;;
	esac
}
# The series with a debug kernel go first: its build and its guests are the
# slowest, and its suites then run while the other kernels build, rather
# than after the last build.
first=() rest=()
for series in $series_list; do
	case " $debug_kernels " in
	*" $series/"*) first+=("$series") ;;
	*) rest+=("$series") ;;
	esac
done
suite_series="${first[*]} ${rest[*]}"
# The kernels, in the order their suites run.
kernels=()
for series in $suite_series; do
	check_series "$series"
	for arch in $arch_list; do
		check_arch "$arch"
		kernels+=("$series $arch $(kernel_flavour "$series" "$arch")")
	done
done
[ "${CHECK_KCSAN:-0}" != 1 ] || kernels+=("6.12 x86_64 kcsan")

# They build ahead of their suites, one after the other, in a job of their
# own from the start: kernel N+1 builds while kernel N's guests run (and
# while the host checks run), so the build lock is never left idle for this
# script's guests.  Each build leaves its exit status and time in
# build-SERIES-ARCH-FLAVOUR.log.rc.
build_ahead() {
	local k series arch flavour log rc start
	for k in "${kernels[@]}"; do
		read -r series arch flavour <<<"$k"
		log=$results/build-$series-$arch-$flavour.log rc=0 start=$SECONDS
		FLAVOUR=$flavour "$RESTRACK_ROOT/scripts/build-test-kernel.sh" "$series" "$arch" \
			>"$log" 2>&1 || rc=$?
		echo "$rc $((SECONDS - start))" >"$log.rc.new"
		mv "$log.rc.new" "$log.rc"
	done
}
build_ahead &
builder=$!
# A run that ends early stops the builds it no longer needs.
trap 'kill_tree "$builder"' EXIT

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
skip() { skipped=$((skipped + 1)); echo "SKIP: $*"; }

# --- host checks ---------------------------------------------------------
tools=$RESTRACK_ROOT/tools/restrack
if make -s -C "$tools" check >"$results/tool-unit.log" 2>&1; then
	line=$(tail -n 1 "$results/tool-unit.log")
	pass "restrack tool: host unit tests: $line"
else
	cat "$results/tool-unit.log"
	fail "restrack tool: host unit tests"
fi
for page in "$RESTRACK_ROOT"/Documentation/man/*.[0-9]; do
	if out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) && [ -z "$out" ]; then
		pass "man --warnings -l ${page#"$RESTRACK_ROOT"/}"
	else
		echo "$out"
		fail "man --warnings -l ${page#"$RESTRACK_ROOT"/}"
	fi
done

mapfile -t scripts < <(cd "$RESTRACK_ROOT" && ls scripts/*.sh tests/repo/*.sh .ci/run)
if (cd "$RESTRACK_ROOT" && shellcheck -x -P SCRIPTDIR "${scripts[@]}") >"$results/shellcheck.log" 2>&1; then
	pass "shellcheck: ${scripts[*]}"
else
	cat "$results/shellcheck.log"
	fail "shellcheck"
fi

# The signed apt repository: signatures checked, tampering refused, no
# version republished with other bytes (about a minute).
if "$RESTRACK_ROOT/tests/repo/test-publish-repo.sh" >"$results/repo-test.log" 2>&1; then
	pass "signed repository: $(tail -n 1 "$results/repo-test.log")"
else
	cat "$results/repo-test.log"
	fail "signed repository (tests/repo/test-publish-repo.sh)"
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

# The numbers of the eight calls as a header defines them, sorted by name.
syscall_numbers() { # arch, header, include dir
	echo "#include <$2>" | "$(guest_cc "$1")" -E -dM -I"$3" - |
		sed -n 's/^#define __NR_\(register\|fetch\|deregister\|resource_cap\|resource_reset\|restrack_pidfd_[a-z_]*\)[[:space:]]*\([0-9]*\)$/\1=\2/p' |
		sort | tr '\n' ' '
}

# Wait for a test kernel's build (build_ahead), then build the guest
# programs; on success sets $obj.
build_kernel() { # series arch flavour
	local series=$1 arch=$2 flavour=$3 tree prog rc secs
	local log=$results/build-$series-$arch-$flavour.log
	obj=$(obj_dir "$series" "$arch" "$flavour")
	while [ ! -f "$log.rc" ] && kill -0 "$builder" 2>/dev/null; do
		sleep 2
	done
	rc="none: the build job ended before it" secs=
	[ ! -f "$log.rc" ] || read -r rc secs <"$log.rc"
	if [ "$rc" != 0 ]; then
		tail -40 "$log"
		fail "$series/$arch/$flavour: kernel build (exit $rc)"
		return 1
	fi
	pass "$series/$arch/$flavour: kernel and modules built ($secs s)"
	tree=$RESTRACK_ROOT/build/src/$series
	if ! make -s -C "$RESTRACK_ROOT/tools/restrack" guest ARCH="$arch" \
		KSELFTEST="$tree/tools/testing/selftests" UAPI="$obj/usr/include" >"$log.tool" 2>&1; then
		cat "$log.tool"
		fail "$series/$arch/$flavour: the restrack tool's guest build"
		return 1
	fi
	cp "$RESTRACK_ROOT/tools/restrack/build/$arch-static/restrack" \
		"$RESTRACK_ROOT/tools/restrack/build/$arch-static/guest_tool_test" \
		"$RESTRACK_ROOT/tools/restrack/build/$arch-static/guest_run_test" "$obj/"
	for prog in restrack_test restrack_escape restrack_pidfd restrack_fuzz restrack_stress; do
		if ! "$(guest_cc "$arch")" -static -O2 -Wall -Wextra -Werror -pthread \
			-I"$obj/usr/include" -I"$tree/tools/testing/selftests" \
			-o "$obj/$prog" "$RESTRACK_ROOT/tests/guest/$prog.c" 2>"$log.cc"; then
			cat "$log.cc"
			fail "$series/$arch/$flavour: $prog does not compile"
			return 1
		fi
	done
	pass "$series/$arch/$flavour: guest programs compiled against the installed uapi headers"
}

# The kernel's first report in LOG with its call trace, so that a failure
# seen only in CI's output can be diagnosed; then every report's first line.
report_problem() { # log
	local re='BUG:|WARNING:|Oops|UBSAN:|stall|blocked|unreferenced object|Unable to handle'

	awk -v re="$re" '$0 ~ re && !n { n = NR } n && NR < n + 50 { print }' "$1"
	grep -nE "$re" "$1" | head -20
}

# Boot a kernel with PROG; count its TAP lines, or its closing line.
run_guest() { # series arch flavour mode(plain|modules) prog [args]
	local series=$1 arch=$2 flavour=$3 mode=$4 prog=$5 log name rc=0 ntap=0 opts=() line arg
	shift 5
	log=$results/$series-$arch-$flavour-$mode-$prog.log
	name="$series/$arch/$flavour/$mode"
	[ "$prog" = guest_tool_test ] && name+="/tool"
	[ "$prog" = guest_run_test ] && name+="/run"
	[ "$prog" = restrack_escape ] && name+="/escape"
	[ "$prog" = restrack_pidfd ] && name+="/pidfd"
	[ "$mode" = modules ] && opts=(-m)
	for arg in "$@"; do
		opts+=(-a "$arg")
	done
	case $prog in guest_tool_test | guest_run_test) opts+=(-f "$obj/restrack") ;; esac
	FLAVOUR=$flavour "$RESTRACK_ROOT/scripts/vm-run.sh" "${opts[@]}" -l "$log" \
		"$series" "$arch" "$obj/$prog" >/dev/null 2>&1 || rc=$?
	case $prog in
	restrack_test | restrack_escape | restrack_pidfd | guest_tool_test | guest_run_test)
		while read -r line; do
			ntap=$((ntap + 1))
			case $line in
			"ok "*"# SKIP"*) skip "$name: ${line#ok }" ;;
			"ok "*) pass "$name: ${line#ok }" ;;
			*) fail "$name: ${line#not ok }" ;;
			esac
		done < <(grep -E '^(not )?ok [0-9]+ ' "$log" || true)
		if [ "$ntap" -eq 0 ]; then
			fail "$name: the suite ran no test (exit $rc, see $log)"
		fi ;;
	*)
		line=$(grep -E "^(fuzz|stress): .*violations$" "$log" | tail -n 1 || true)
		# The first line may follow the firmware's escape codes on the console.
		grep -aoE "(fuzz|stress): (seed|[0-9]+ (jobs|calls)).*" "$log" | sed "s|^|$name: |" || true
		if [ "$rc" -eq 0 ] && [ -n "$line" ]; then
			pass "$name: $line"
		elif [ "$rc" -lt 124 ]; then
			grep -E "VIOLATION" "$log" | head -20 || true
			fail "$name: ${line:-$prog printed no result} (exit $rc, see $log)"
		fi ;;
	esac
	case $rc in
	124) fail "$name: $prog: the guest did not finish in time (see $log)" ;;
	125) report_problem "$log"
		fail "$name: $prog: the kernel logged a problem (see $log)" ;;
	esac
	return 0
}

# A suite on the kernel at hand without and with the modules.  A debug
# kernel runs it with the modules only, and not the tool's suites, unless
# DEBUG_FULL=1 (make check-full): its boots are slow, and CI's budget
# keeps the contract and escape suites on every kernel; the fuzzer still
# runs it without them, so its own exit hook is exercised too.
every_run() { # does the kernel at hand run every suite, both ways?
	[ "$flavour" != debug ] || [ "$debug_full" = 1 ]
}
suite() { # prog
	if every_run; then
		run_guest "$series" "$arch" "$flavour" plain "$1"
	fi
	run_guest "$series" "$arch" "$flavour" modules "$1"
}

summary=()
kernel_done() { # label, counters at start, start time
	summary+=("$1: $((passed - $2)) passed, $((failed - $3)) failed, $((skipped - $4)) skipped ($((SECONDS - $5)) s)")
}

want="deregister=550 fetch=549 register=548 resource_cap=551 resource_reset=552 restrack_pidfd_get=555 restrack_pidfd_register=553 restrack_pidfd_set_quota=554 "
for series in $suite_series; do
	for arch in $arch_list; do
		flavour=$(kernel_flavour "$series" "$arch")
		p0=$passed f0=$failed s0=$skipped t0=$SECONDS
		if build_kernel "$series" "$arch" "$flavour"; then
			asm=$(syscall_numbers "$arch" asm/unistd.h "$obj/usr/include")
			uapi=$(syscall_numbers "$arch" linux/resource_tracker.h "$obj/usr/include")
			if [ "$asm" = "$want" ] && [ "$uapi" = "$want" ]; then
				pass "$series/$arch: installed asm/unistd.h and linux/resource_tracker.h agree: $want"
			else
				fail "$series/$arch: syscall numbers: asm/unistd.h '$asm', resource_tracker.h '$uapi', want '$want'"
			fi
			suite restrack_test
			suite restrack_escape
			suite restrack_pidfd
			if every_run; then
				suite guest_tool_test
				suite guest_run_test
			fi
			# Stress everywhere (the fast plain kernels reuse pids the most),
			# the fuzzer on the debug kernels (FUZZ_CALLS).
			run_guest "$series" "$arch" "$flavour" modules restrack_stress -t "$stress_seconds"
			if [ "$flavour" = debug ]; then
				run_guest "$series" "$arch" debug plain restrack_fuzz -n "$fuzz_calls"
			fi
		fi
		kernel_done "$series/$arch/$flavour" "$p0" "$f0" "$s0" "$t0"
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
		# GIT_CEILING_DIRECTORIES: treat the tree as a plain directory, not a
		# part of this repository.
		if (cd "$tree" && patch -R -p1 --dry-run --quiet <"$combined" >/dev/null &&
			GIT_CEILING_DIRECTORIES=$(dirname "$tree") git apply -R --check "$combined"); then
			pass "$series: res_usage.patch is exactly the patched tree (patch -R and git apply -R)"
		else
			fail "$series: res_usage.patch does not match the patched tree"
		fi
	fi
done

# make check-full (CHECK_KCSAN=1): the data-race detector's kernel (6.12
# x86_64, KCSAN) runs the escape suite and the stress test; any KCSAN
# report fails the run.
if [ "${CHECK_KCSAN:-0}" = 1 ]; then
	p0=$passed f0=$failed s0=$skipped t0=$SECONDS
	if build_kernel 6.12 x86_64 kcsan; then
		run_guest 6.12 x86_64 kcsan plain restrack_escape
		run_guest 6.12 x86_64 kcsan modules restrack_escape
		run_guest 6.12 x86_64 kcsan modules restrack_stress -t "$stress_seconds"
	fi
	kernel_done "6.12/x86_64/kcsan" "$p0" "$f0" "$s0" "$t0"
fi

# tbcount, the profiler of tests/bench/README.md, builds warning-free.
if gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$results/tbcount.so" \
	"$RESTRACK_ROOT/tests/bench/tbcount.c" >"$results/tbcount.log" 2>&1 &&
	python3 -c "import ast, sys; ast.parse(open(sys.argv[1]).read())" "$RESTRACK_ROOT/tests/bench/tbcount-report.py" >>"$results/tbcount.log" 2>&1; then
	pass "tbcount: the QEMU plugin and its report build"
else
	cat "$results/tbcount.log"
	fail "tbcount: the QEMU plugin or its report does not build"
fi

# A seconds-long run of the benchmark pipeline, so that make bench never rots.
if BENCH_KERNELS="$(for s in $series_list; do for a in $arch_list; do echo "$s/$a"; done; done)" \
	"$RESTRACK_ROOT/scripts/bench.sh" --smoke >"$results/bench-smoke.log" 2>&1; then
	figures=$(cat "$RESTRACK_ROOT"/build/bench/smoke/logs/*.log | grep -ac '^BENCH ' || true)
	if [ "$figures" -gt 0 ]; then
		pass "bench --smoke: $figures figures measured and reported"
	else
		fail "bench --smoke: no figure measured (see $results/bench-smoke.log)"
	fi
else
	tail -20 "$results/bench-smoke.log"
	fail "bench --smoke (see $results/bench-smoke.log)"
fi

echo
printf '%s\n' "${summary[@]}"
echo "total time $SECONDS s"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
