#!/bin/bash
# make bench: hot-path overhead and scaling of the resource tracker against
# the unpatched kernel, deterministic under QEMU icount.
#
# For each kernel (SERIES/ARCH): build the baseline kernel (same source and
# configuration, CONFIG_RESOURCE_TRACKER off) and the patched test kernel,
# compile tests/bench/restrack_bench.c for the architecture, boot the
# baseline with the "untracked" condition and the patched kernel once for
# each condition (so that every condition starts from the same fresh boot,
# as the baseline does), all with vm-run.sh -i (-icount
# shift=0,align=off,sleep=off: the guest clock counts instructions), and
# write into out/bench/:
#
#   SERIES-ARCH.md   the tables of one kernel
#   report.md        all tables, the targets met or missed, build figures
#   results.json     every figure, with its reps, ratios and verdicts
#   scaling.png      cost against the number of tracked processes
#   logs/            the guest console logs
#
# Options and environment:
#   --smoke          seconds-long check of the whole pipeline: a few
#                    iterations, one rep, the first kernel of BENCH_KERNELS
#                    that is built already, no kernel build; results in
#                    build/bench/smoke/; exits non-zero if anything fails to
#                    parse (also BENCH_SMOKE=1)
#   --no-build       use the kernels as they are (also BENCH_BUILD_KERNELS=0)
#   BENCH_KERNELS    "6.1/x86_64 6.12/x86_64 6.1/arm64" (the default)
#   BENCH_ITERS      iterations per loop (100000)
#   BENCH_REPS       reps per figure (5)
#   BENCH_WORKLOADS  comma list, NAME or NAME:ITERATIONS (all; the two
#                    heavy ones, 256 page faults or a whole process per
#                    iteration, at mmap_1m_touch:5000,fork_exit_wait:20000;
#                    with all at 100000 a run takes about 8 times longer)
#   BENCH_CONDITIONS comma list (untracked,untracked_armed,tracked,quota,
#                    others1,others100,others1000,others10000,idle10000)
#   BENCH_BOOT_PER_CONDITION  1: a fresh boot for each condition (the
#                    default); 0: all conditions in one boot (smoke default)
#   BENCH_TIMEOUT    seconds per guest run (43200)
#   BENCH_WAIT       seconds to wait for a kernel image that is missing,
#                    e.g. being rebuilt (0)
#   BENCH_STANDIN_BASELINE=1  for testing the pipeline without a baseline
#                    kernel: do not build one; the patched kernel's own
#                    "untracked" figures stand in (the report says so loudly)
#   BENCH_STRICT=1   exit 1 when a target is missed, too
#   BENCH_BUILD_PIPELINE=0  skip the build-pipeline figures even when
#                    'make debs' exists
#   BENCH_OUT        output directory (out/bench, or build/bench/smoke)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

smoke=${BENCH_SMOKE:-0}
build_kernels=${BENCH_BUILD_KERNELS:-1}
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=1 ;;
	--no-build) build_kernels=0 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done

all_workloads=open_close,dup_close,pipe_close,socket_close,mmap_4k,mmap_1m_touch:5000,brk,malloc_1m,fork_exit_wait:20000,register_deregister
kernels=${BENCH_KERNELS:-6.1/x86_64 6.12/x86_64 6.1/arm64}
standin=${BENCH_STANDIN_BASELINE:-0}
if [ "$smoke" = 1 ]; then
	iters=${BENCH_ITERS:-200}
	reps=${BENCH_REPS:-1}
	workloads=${BENCH_WORKLOADS:-open_close,dup_close,pipe_close,socket_close,mmap_4k,mmap_1m_touch:10,brk,malloc_1m,fork_exit_wait:10,register_deregister}
	conditions=${BENCH_CONDITIONS:-untracked,untracked_armed,tracked,quota,others1,others10,idle10}
	per_cond=${BENCH_BOOT_PER_CONDITION:-0}
	timeout=${BENCH_TIMEOUT:-600}
	out=${BENCH_OUT:-$RESTRACK_ROOT/build/bench/smoke}
	build_kernels=0
else
	iters=${BENCH_ITERS:-100000}
	reps=${BENCH_REPS:-5}
	workloads=${BENCH_WORKLOADS:-$all_workloads}
	conditions=${BENCH_CONDITIONS:-untracked,untracked_armed,tracked,quota,others1,others100,others1000,others10000,idle10000}
	per_cond=${BENCH_BOOT_PER_CONDITION:-1}
	timeout=${BENCH_TIMEOUT:-43200}
	out=${BENCH_OUT:-$RESTRACK_ROOT/out/bench}
fi
wait_s=${BENCH_WAIT:-0}

for v in "$iters" "$reps" "$timeout" "$wait_s"; do
	case $v in '' | *[!0-9]*) die "BENCH_ITERS, BENCH_REPS, BENCH_TIMEOUT and BENCH_WAIT are numbers" ;; esac
done
for v in "$workloads" "$conditions"; do
	case $v in *[!a-z0-9_:,]*) die "bad BENCH_WORKLOADS or BENCH_CONDITIONS '$v'" ;; esac
done

work=$RESTRACK_ROOT/build/bench
mkdir -p "$work" "$(dirname "$out")"
stage=$(mktemp -d "$(dirname "$out")/.bench.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/logs"
manifest=$stage/manifest.tsv

record() { # fields...
	local IFS=$'\t'
	echo "$*" >>"$manifest"
}

# Wait up to BENCH_WAIT seconds for a kernel image (another build may be
# replacing it); true when it is there.
have_image() { # series arch flavour
	local image waited=0
	image=$(obj_dir "$1" "$2" "$3")/$(boot_image "$2")
	while [ ! -f "$image" ]; do
		[ "$waited" -lt "$wait_s" ] || return 1
		sleep 10
		waited=$((waited + 10))
	done
}

# In a smoke run, benchmark the first kernel that is built already.
if [ "$smoke" = 1 ]; then
	pick=''
	for k in $kernels; do
		if have_image "${k%/*}" "${k#*/}" test; then
			pick=$k
			break
		fi
	done
	[ -n "$pick" ] || die "--smoke: none of the kernels '$kernels' is built (scripts/build-test-kernel.sh SERIES ARCH)"
	kernels=$pick
fi

record mode "$([ "$smoke" = 1 ] && echo smoke || echo full)"
record settings "iters=$iters" "reps=$reps" "workloads=$workloads" "conditions=$conditions"

# Build (or just check) a kernel; true when its image is there.
kernel_ready() { # series arch flavour
	local log
	if [ "$build_kernels" = 1 ]; then
		log=$work/build-$1-$2-$3.log
		info "building the $1 $2 $3 kernel (log: $log)"
		if ! FLAVOUR=$3 "$RESTRACK_ROOT/scripts/build-test-kernel.sh" "$1" "$2" >"$log" 2>&1; then
			tail -20 "$log" >&2
			return 1
		fi
	fi
	have_image "$1" "$2" "$3"
}

run_guest() { # series arch role flavour prog conditions
	local series=$1 arch=$2 role=$3 flavour=$4 prog=$5 conds=$6 log rc=0 start image sum
	image=$(obj_dir "$series" "$arch" "$flavour")/$(boot_image "$arch")
	# A checksum, to tell whether the kernel was rebuilt between boots.
	sum=$(cksum <"$image" | cut -d' ' -f1)
	log=$stage/logs/$series-$arch-$role-${conds//,/-}.log
	[ "${#log}" -lt 200 ] || log=$stage/logs/$series-$arch-$role-all.log
	info "$series $arch $role: $conds"
	start=$SECONDS
	FLAVOUR=$flavour VM_TIMEOUT=$timeout "$RESTRACK_ROOT/scripts/vm-run.sh" -i -l "$log" \
		-a -n -a "$iters" -a -r -a "$reps" -a -c -a "$conds" -a -w -a "$workloads" \
		"$series" "$arch" "$prog" >/dev/null 2>&1 || rc=$?
	info "$series $arch $role: $conds: $((SECONDS - start)) s (vm-run status $rc)"
	record run "$series" "$arch" "$role" "$conds" "logs/${log##*/}" "$rc" \
		"$((SECONDS - start))" "$image" "$sum"
}

failed=0
for k in $kernels; do
	series=${k%/*} arch=${k#*/}
	check_series "$series"
	check_arch "$arch"
	if ! kernel_ready "$series" "$arch" test; then
		record note "$series" "$arch" "no patched kernel: not benchmarked"
		info "$series $arch: no patched kernel"
		failed=1
		continue
	fi
	obj=$(obj_dir "$series" "$arch" test)
	# In this run's own directory: another run may be going on.
	prog=$stage/bin/$series-$arch/restrack_bench
	mkdir -p "$(dirname "$prog")"
	"$(guest_cc "$arch")" -static -O2 -Wall -Wextra -Werror -pthread \
		-I"$obj/usr/include" -o "$prog" "$RESTRACK_ROOT/tests/bench/restrack_bench.c"

	baseline=0
	if [ "$standin" = 1 ]; then
		record standin "$series" "$arch"
	elif [ "$smoke" = 1 ]; then
		if have_image "$series" "$arch" baseline; then
			baseline=1
		else
			record standin "$series" "$arch"
		fi
	elif kernel_ready "$series" "$arch" baseline; then
		baseline=1
	else
		record note "$series" "$arch" "the baseline kernel did not build: no ratios"
		failed=1
	fi
	if [ "$baseline" = 1 ]; then
		run_guest "$series" "$arch" baseline baseline "$prog" untracked
	fi
	if [ "$per_cond" = 1 ]; then
		for c in ${conditions//,/ }; do
			run_guest "$series" "$arch" patched test "$prog" "$c"
		done
	else
		run_guest "$series" "$arch" patched test "$prog" "$conditions"
	fi
done

# Build-pipeline figures: 'make debs FLAVOUR=virt', cold and after touching
# one tracker source file.
if [ "$smoke" = 1 ]; then
	record build not-measured "reason=smoke_run"
elif ! grep -q '^debs:' "$RESTRACK_ROOT/Makefile"; then
	record build not-measured "reason=the_Makefile_has_no_'debs'_target_yet"
elif [ "${BENCH_BUILD_PIPELINE:-1}" = 0 ]; then
	record build not-measured "reason=BENCH_BUILD_PIPELINE=0"
else
	first=${kernels%% *}
	series=${first%/*} arch=${first#*/}
	touched=src/kernel/restrack/core.c
	log=$stage/logs/debs.log
	info "build pipeline: make debs FLAVOUR=virt KVER=$series ARCH=$arch"
	start=$SECONDS
	if make -C "$RESTRACK_ROOT" debs FLAVOUR=virt KVER="$series" ARCH="$arch" >"$log" 2>&1; then
		cold=$((SECONDS - start))
		touch "$RESTRACK_ROOT/$touched"
		start=$SECONDS
		if make -C "$RESTRACK_ROOT" debs FLAVOUR=virt KVER="$series" ARCH="$arch" >>"$log" 2>&1; then
			record build measured "kernel=$series/$arch" "cold_s=$cold" \
				"rebuild_s=$((SECONDS - start))" "touched=$touched" \
				"cold_kind=first_build_of_this_run"
		else
			record build not-measured "reason=the_rebuild_failed_(logs/debs.log)"
		fi
	else
		record build not-measured "reason=make_debs_failed_(logs/debs.log)"
	fi
fi

rc=0
BENCH_STRICT=${BENCH_STRICT:-0} python3 "$RESTRACK_ROOT/scripts/bench-report.py" \
	"$manifest" "$stage" || rc=$?
rm -rf "$manifest" "${stage:?}/bin"

# Replace the previous results as a whole, never leaving half of them.
old=$(dirname "$out")/.bench-old.$$
[ ! -e "$out" ] || mv "$out" "$old"
mv "$stage" "$out"
trap - EXIT
rm -rf "$old"
info "report: $out/report.md"
[ "$failed" = 0 ] || rc=1
exit "$rc"
