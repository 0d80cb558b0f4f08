/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Resource tracker - user space API
 *
 * Per-process tracking of heap bytes and open file descriptors, with
 * quotas enforced by SIGKILL or by refusing the growth.  See
 * Documentation/restrack.rst.
 */

#ifndef _UAPI_LINUX_RESOURCE_TRACKER_H
#define _UAPI_LINUX_RESOURCE_TRACKER_H

#include <linux/types.h>

/**
 * struct per_proc_resource - usage of one tracked process
 *
 * Filled by sys_fetch().  The layout is the one of the original
 * resource tracker project and will not change.
 */
struct per_proc_resource {
	/**
	 * @pid: the process (thread group) id, as the caller's pid
	 * namespace sees it.
	 */
	__kernel_pid_t pid;
	/**
	 * @heapsize: bytes of private writable memory: the brk heap plus
	 * private writable mappings, the measure RLIMIT_DATA limits.
	 */
	unsigned long heapsize;
	/**
	 * @openfile_count: number of open file descriptors in the
	 * process's file descriptor table.
	 */
	unsigned long openfile_count;
};

/* Quota value meaning "no limit", for sys_resource_cap(). */
#define RESTRACK_UNLIMITED	(-1L)

/* restrack_pidfd_register() flags, and restrack_info.flags */
/* The process's children (not its threads) are tracked as it is. */
#define RESTRACK_INHERIT	0x1U

/* restrack_quota_args.mask: which quotas restrack_pidfd_set_quota() sets */
#define RESTRACK_QUOTA_HEAP	0x1ULL
#define RESTRACK_QUOTA_FILES	0x2ULL

/* A quota value meaning "no limit", for the pidfd calls. */
#define RESTRACK_NO_QUOTA	(~0ULL)

/* What crossing a quota does */
#define RESTRACK_ACTION_KILL	0	/* SIGKILL to the process (default) */
#define RESTRACK_ACTION_DENY	1	/* the growth fails, the process lives */

/* restrack_info.killed: the quota whose crossing killed the process */
#define RESTRACK_KILLED_HEAP	1
#define RESTRACK_KILLED_FILES	2

/**
 * struct restrack_quota_args - quotas for restrack_pidfd_set_quota()
 *
 * Passed with its size; a smaller (older) struct is read with the missing
 * fields as zero, a larger one must have a zero tail.
 */
struct restrack_quota_args {
	/**
	 * @mask: the quotas to set, RESTRACK_QUOTA_HEAP and
	 * RESTRACK_QUOTA_FILES; the other keeps its value and action.
	 */
	__u64 mask;
	/**
	 * @heap_bytes: heap quota in bytes, rounded up to a page (at most the
	 * largest multiple of the page size), or RESTRACK_NO_QUOTA.
	 */
	__u64 heap_bytes;
	/**
	 * @files: file quota, a number of open descriptors up to INT_MAX, or
	 * RESTRACK_NO_QUOTA.
	 */
	__u64 files;
	/**
	 * @heap_action: RESTRACK_ACTION_KILL or RESTRACK_ACTION_DENY (the
	 * growth fails with ENOMEM, as RLIMIT_DATA makes it fail).
	 */
	__u32 heap_action;
	/**
	 * @files_action: RESTRACK_ACTION_KILL or RESTRACK_ACTION_DENY (the
	 * descriptor is refused with EMFILE, as RLIMIT_NOFILE refuses it).
	 */
	__u32 files_action;
};

/* Sizes: VER0 leaves out the actions (kill); VER1 has them. */
#define RESTRACK_QUOTA_ARGS_SIZE_VER0	24
#define RESTRACK_QUOTA_ARGS_SIZE_VER1	32

/**
 * struct restrack_info - what restrack_pidfd_get() reports
 *
 * Written with the caller's size: a smaller (older) struct gets the fields
 * that fit, a larger one a zero tail.
 */
struct restrack_info {
	/** @flags: RESTRACK_INHERIT if the process was registered with it. */
	__u64 flags;
	/**
	 * @heap_bytes: bytes of private writable memory of the address space
	 * charged (the RLIMIT_DATA measure).
	 */
	__u64 heap_bytes;
	/** @files: open descriptors in the file tables charged. */
	__u64 files;
	/** @heap_quota: heap quota in bytes, or RESTRACK_NO_QUOTA. */
	__u64 heap_quota;
	/** @files_quota: file quota, or RESTRACK_NO_QUOTA. */
	__u64 files_quota;
	/** @heap_action: RESTRACK_ACTION_KILL or RESTRACK_ACTION_DENY. */
	__u32 heap_action;
	/** @files_action: RESTRACK_ACTION_KILL or RESTRACK_ACTION_DENY. */
	__u32 files_action;
	/** @heap_peak: highest @heap_bytes since registration. */
	__u64 heap_peak;
	/**
	 * @files_peak: highest @files since registration (with several
	 * tables charged, the sum of each one's highest).
	 */
	__u64 files_peak;
	/**
	 * @killed: 0, or RESTRACK_KILLED_HEAP or RESTRACK_KILLED_FILES when a
	 * quota's SIGKILL was sent to the process; kept until it is reaped.
	 */
	__u64 killed;
	/**
	 * @kill_usage: the figure the refused growth would have reached
	 * (bytes or descriptors), when @killed is set.
	 */
	__u64 kill_usage;
	/** @kill_limit: the quota crossed (bytes or descriptors). */
	__u64 kill_limit;
};

/* Sizes: VER0 ends with the actions; VER1 adds peaks and kill reason. */
#define RESTRACK_INFO_SIZE_VER0		48
#define RESTRACK_INFO_SIZE_VER1		88

/*
 * System call numbers.  The same block on x86_64 and arm64, well above
 * the numbers mainline has allocated (x86_64 keeps 512-547 for x32).
 */
#define RESTRACK_NR_FIRST	548

#if (defined(__x86_64__) && !defined(__ILP32__)) || defined(__aarch64__)
#ifndef __NR_register
#define __NR_register		548
#define __NR_fetch		549
#define __NR_deregister		550
#define __NR_resource_cap	551
#define __NR_resource_reset	552
#endif
#ifndef __NR_restrack_pidfd_register
#define __NR_restrack_pidfd_register	553
#define __NR_restrack_pidfd_set_quota	554
#define __NR_restrack_pidfd_get		555
#endif
#ifndef __KERNEL__
/* The names the original project's programs use with syscall(2). */
#ifndef SYS_register
#define SYS_register		__NR_register
#define SYS_fetch		__NR_fetch
#define SYS_deregister		__NR_deregister
#define SYS_resource_cap	__NR_resource_cap
#define SYS_resource_reset	__NR_resource_reset
#endif
#ifndef SYS_restrack_pidfd_register
#define SYS_restrack_pidfd_register	__NR_restrack_pidfd_register
#define SYS_restrack_pidfd_set_quota	__NR_restrack_pidfd_set_quota
#define SYS_restrack_pidfd_get		__NR_restrack_pidfd_get
#endif
#endif /* !__KERNEL__ */
#endif

#endif /* _UAPI_LINUX_RESOURCE_TRACKER_H */
