#!/bin/bash
# make bench: hot-path overhead and scaling of the resource tracker against
# the unpatched kernel, deterministic under QEMU icount.
#
# For each kernel (SERIES/ARCH): build the patched bench kernel (the test
# kernel's config with SLUB, -O2 and no lock debugging, FLAVOUR=bench) and
# the baseline (same source and configuration, CONFIG_RESOURCE_TRACKER off),
# compile tests/bench/restrack_bench.c for the architecture, boot the
# baseline once for each condition that needs no tracker ("untracked" and
# the peers "rlimit" and "memcg", those asked for) and the patched kernel
# once for each condition (so that every condition starts from the same
# fresh boot, as the baseline does), all with vm-run.sh -i (-icount
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
#                    that is built already (a bench kernel, else a test or
#                    debug kernel against its own "untracked" figures as
#                    the stand-in baseline), no kernel build; results in
#                    build/bench/smoke/; exits non-zero if anything fails to
#                    parse (also BENCH_SMOKE=1)
#   --no-build       use the kernels as they are (also BENCH_BUILD_KERNELS=0)
#   BENCH_KERNELS    "6.1/x86_64 6.12/x86_64 6.1/arm64" (the default)
#   BENCH_ITERS      iterations per loop (100000)
#   BENCH_REPS       reps per figure (3)
#   BENCH_WORKLOADS  comma list, NAME or NAME:ITERATIONS (all, as listed
#                    in tests/bench/README.md; the four heavy ones, 256
#                    page faults or a whole process or thread per
#                    iteration, at mmap_1m_touch:1000,fork_exit_wait:5000,
#                    vfork_exit:5000,thread_create_exit:5000; at 100000
#                    they would make a run hours longer)
#   BENCH_CONDITIONS comma list (untracked,rlimit,memcg,untracked_armed,
#                    tracked,quota,deny,inherit,others1,others100,
#                    others1000,others10000,idle10000); the baseline kernel
#                    runs those of untracked,rlimit,memcg (untracked always)
#   BENCH_SCALING_WORKLOADS  the workloads of the conditions with many other
#                    processes (othersN and idleN, N > 1): comma list, or
#                    "all" (open_close,dup_close,mmap_4k,brk,getpgid_x2,
#                    register_deregister: one of each hook, the pid lookup
#                    control and the tracker's own calls; smoke: all)
#   BENCH_JOBS       guests run at once, one vCPU each (nproc); kernels are
#                    all built first, one at a time
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

all_workloads=open_close,dup_close,pipe_close,socket_close,scm_rights_pass,mmap_4k,mmap_1m_touch:1000,brk,malloc_1m,fork_exit_wait:5000,vfork_exit:5000,getpgid_x2,thread_create_exit:5000,register_deregister
kernels=${BENCH_KERNELS:-6.1/x86_64 6.12/x86_64 6.1/arm64}
standin=${BENCH_STANDIN_BASELINE:-0}
if [ "$smoke" = 1 ]; then
	iters=${BENCH_ITERS:-200}
	reps=${BENCH_REPS:-1}
	workloads=${BENCH_WORKLOADS:-open_close,dup_close,pipe_close,socket_close,scm_rights_pass,mmap_4k,mmap_1m_touch:10,brk,malloc_1m,fork_exit_wait:10,vfork_exit:10,getpgid_x2,thread_create_exit:10,register_deregister}
	scaling_workloads=${BENCH_SCALING_WORKLOADS:-all}
	conditions=${BENCH_CONDITIONS:-untracked,rlimit,memcg,untracked_armed,tracked,quota,deny,inherit,others1,others10,idle10}
	per_cond=${BENCH_BOOT_PER_CONDITION:-0}
	timeout=${BENCH_TIMEOUT:-600}
	out=${BENCH_OUT:-$RESTRACK_ROOT/build/bench/smoke}
	build_kernels=0
else
	iters=${BENCH_ITERS:-100000}
	reps=${BENCH_REPS:-3}
	workloads=${BENCH_WORKLOADS:-$all_workloads}
	scaling_workloads=${BENCH_SCALING_WORKLOADS:-open_close,dup_close,mmap_4k,brk,getpgid_x2,register_deregister}
	conditions=${BENCH_CONDITIONS:-untracked,rlimit,memcg,untracked_armed,tracked,quota,deny,inherit,others1,others100,others1000,others10000,idle10000}
	per_cond=${BENCH_BOOT_PER_CONDITION:-1}
	timeout=${BENCH_TIMEOUT:-43200}
	out=${BENCH_OUT:-$RESTRACK_ROOT/out/bench}
fi
wait_s=${BENCH_WAIT:-0}
jobs=${BENCH_JOBS:-$(nproc)}
[ "$scaling_workloads" != all ] || scaling_workloads=$workloads

for v in "$iters" "$reps" "$timeout" "$wait_s" "$jobs"; do
	case $v in '' | *[!0-9]*) die "BENCH_ITERS, BENCH_REPS, BENCH_TIMEOUT, BENCH_WAIT and BENCH_JOBS are numbers" ;; esac
done
[ "$jobs" -ge 1 ] || die "BENCH_JOBS must be at least 1"
for v in "$workloads" "$conditions" "$scaling_workloads"; do
	case $v in *[!a-z0-9_:,]*) die "bad BENCH_WORKLOADS, BENCH_SCALING_WORKLOADS or BENCH_CONDITIONS '$v'" ;; esac
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

# The patched kernel is the bench flavour.  In a smoke run, benchmark the
# first kernel that is built already, a bench kernel or else a test or debug
# kernel (make check builds those).
patched=bench
if [ "$smoke" = 1 ]; then
	pick=''
	for f in bench test debug; do
		for k in $kernels; do
			if have_image "${k%/*}" "${k#*/}" "$f"; then
				pick=$k patched=$f
				break 2
			fi
		done
	done
	[ -n "$pick" ] || die "--smoke: none of the kernels '$kernels' is built (scripts/build-test-kernel.sh SERIES ARCH)"
	kernels=$pick
fi

# The conditions of the baseline kernel: those that need no tracker, the
# references of the ratios ("untracked", always) and of the peer targets.
base_conds=untracked
for c in rlimit memcg; do
	case ,$conditions, in *,"$c",*) base_conds=$base_conds,$c ;; esac
done

record mode "$([ "$smoke" = 1 ] && echo smoke || echo full)"
record settings "iters=$iters" "reps=$reps" "workloads=$workloads" "conditions=$conditions" \
	"baseline_conditions=$base_conds" \
	"scaling_workloads=$scaling_workloads" "patched_flavour=$patched"

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

run_guest() { # series arch role flavour prog conditions workloads
	local series=$1 arch=$2 role=$3 flavour=$4 prog=$5 conds=$6 wls=$7 log rc=0 start image sum
	image=$(obj_dir "$series" "$arch" "$flavour")/$(boot_image "$arch")
	# A checksum, to tell whether the kernel was rebuilt between boots.
	sum=$(cksum <"$image" | cut -d' ' -f1)
	log=$stage/logs/$series-$arch-$role-${conds//,/-}.log
	[ "${#log}" -lt 200 ] || log=$stage/logs/$series-$arch-$role-all.log
	info "$series $arch $role: $conds"
	start=$SECONDS
	FLAVOUR=$flavour VM_TIMEOUT=$timeout "$RESTRACK_ROOT/scripts/vm-run.sh" -i -l "$log" \
		-a -n -a "$iters" -a -r -a "$reps" -a -c -a "$conds" -a -w -a "$wls" \
		"$series" "$arch" "$prog" >/dev/null 2>&1 || rc=$?
	info "$series $arch $role: $conds: $((SECONDS - start)) s (vm-run status $rc)"
	record run "$series" "$arch" "$role" "$conds" "logs/${log##*/}" "$rc" \
		"$((SECONDS - start))" "$image" "$sum"
}

# The workloads of a condition: many other processes make a boot long, so
# those conditions run the scaling workloads only.
cond_workloads() { # condition
	case $1 in
	others1 | idle1) echo "$workloads" ;;
	others* | idle*) echo "$scaling_workloads" ;;
	*) echo "$workloads" ;;
	esac
}

# Phase 1, one at a time: the kernels and the guest program.  Phase 2: the
# guests, BENCH_JOBS at once.
failed=0
runs=()
for k in $kernels; do
	series=${k%/*} arch=${k#*/}
	check_series "$series"
	check_arch "$arch"
	if ! kernel_ready "$series" "$arch" "$patched"; then
		record note "$series" "$arch" "no patched kernel: not benchmarked"
		info "$series $arch: no patched kernel"
		failed=1
		continue
	fi
	obj=$(obj_dir "$series" "$arch" "$patched")
	# In this run's own directory: another run may be going on.
	prog=$stage/bin/$series-$arch/restrack_bench
	mkdir -p "$(dirname "$prog")"
	"$(guest_cc "$arch")" -static -O2 -Wall -Wextra -Werror -pthread \
		-I"$obj/usr/include" -o "$prog" "$RESTRACK_ROOT/tests/bench/restrack_bench.c"

	baseline=0
	if [ "$standin" = 1 ] || [ "$patched" != bench ]; then
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
	if [ "$baseline" = 1 ] && [ "$per_cond" = 1 ]; then
		for c in ${base_conds//,/ }; do
			runs+=("$series $arch baseline baseline $prog $c $workloads")
		done
	elif [ "$baseline" = 1 ]; then
		runs+=("$series $arch baseline baseline $prog $base_conds $workloads")
	fi
	if [ "$per_cond" = 1 ]; then
		for c in ${conditions//,/ }; do
			runs+=("$series $arch patched $patched $prog $c $(cond_workloads "$c")")
		done
	else
		runs+=("$series $arch patched $patched $prog $conditions $workloads")
	fi
done
for r in "${runs[@]}"; do
	while [ "$(jobs -pr | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	# shellcheck disable=SC2086 # the run's fields, none with a space
	run_guest $r &
done
wait

# Build-pipeline figures: 'make debs FLAVOUR=virt' in a copy of the project
# (its own build/, so cold: the tarball unpacked, everything compiled and
# packaged), then again after a one-line change to a tracker source file in
# that copy (the incremental path: prepare-tree copies the file, kbuild
# recompiles it and relinks, bindeb-pkg packs).
if [ "$smoke" = 1 ]; then
	record build not-measured "reason=smoke_run"
elif [ "${BENCH_BUILD_PIPELINE:-1}" = 0 ]; then
	record build not-measured "reason=BENCH_BUILD_PIPELINE=0"
else
	first=${kernels%% *}
	series=${first%/*} arch=${first#*/}
	touched=src/kernel/restrack/core.c
	copy=$work/pipeline
	log=$stage/logs/debs.log
	rm -rf "$copy"
	copy_project "$copy"
	info "build pipeline: make debs FLAVOUR=virt KVER=$series ARCH=$arch, cold, in $copy"
	start=$SECONDS
	if make -C "$copy" debs FLAVOUR=virt KVER="$series" ARCH="$arch" >"$log" 2>&1; then
		cold=$((SECONDS - start))
		echo "/* bench.sh: a one-line change, $(date -u +%s) */" >>"$copy/$touched"
		# Same version, other bytes: publish-repo.sh would refuse to
		# republish it, so the copy's repository starts anew.
		rm -rf "$copy/out/repo"
		start=$SECONDS
		if make -C "$copy" debs FLAVOUR=virt KVER="$series" ARCH="$arch" >>"$log" 2>&1; then
			record build measured "kernel=$series/$arch" "cold_s=$cold" \
				"rebuild_s=$((SECONDS - start))" "touched=$touched" \
				"cold_kind=fresh_copy_of_the_project"
		else
			record build not-measured "reason=the_rebuild_failed_(logs/debs.log)"
		fi
	else
		record build not-measured "reason=make_debs_failed_(logs/debs.log)"
	fi
	rm -rf "$copy"
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
