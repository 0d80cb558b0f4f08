/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Resource tracker - user space API
 *
 * Per-process tracking of heap bytes and open file descriptors, with
 * quotas enforced by SIGKILL.  See Documentation/restrack.rst.
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
#ifndef __KERNEL__
/* The names the original project's programs use with syscall(2). */
#ifndef SYS_register
#define SYS_register		__NR_register
#define SYS_fetch		__NR_fetch
#define SYS_deregister		__NR_deregister
#define SYS_resource_cap	__NR_resource_cap
#define SYS_resource_reset	__NR_resource_reset
#endif
#endif /* !__KERNEL__ */
#endif

#endif /* _UAPI_LINUX_RESOURCE_TRACKER_H */
