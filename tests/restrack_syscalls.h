/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The resource tracker system calls, raw, for the test programs: the
 * reference that the kernel contract and the restrack tool are checked
 * against.  Needs <linux/resource_tracker.h>, <sys/types.h>, <unistd.h>.
 */
#ifndef RESTRACK_SYSCALLS_H
#define RESTRACK_SYSCALLS_H

static inline long rt_register(pid_t pid)
{
	return syscall(__NR_register, (long)pid);
}

static inline long rt_fetch(struct per_proc_resource *stats, pid_t pid)
{
	return syscall(__NR_fetch, stats, (long)pid);
}

static inline long rt_deregister(pid_t pid)
{
	return syscall(__NR_deregister, (long)pid);
}

static inline long rt_cap(pid_t pid, long heap_quota_mb, long file_quota)
{
	return syscall(__NR_resource_cap, (long)pid, heap_quota_mb, file_quota);
}

static inline long rt_reset(pid_t pid)
{
	return syscall(__NR_resource_reset, (long)pid);
}

/* The pidfd calls (553-555); numbers for uapi headers that predate them. */
#ifndef __NR_restrack_pidfd_register
#define __NR_restrack_pidfd_register	553
#define __NR_restrack_pidfd_set_quota	554
#define __NR_restrack_pidfd_get		555
#endif

static inline long rt_pidfd_register(int pidfd, unsigned int flags)
{
	return syscall(__NR_restrack_pidfd_register, (long)pidfd, flags);
}

static inline long rt_pidfd_set_quota(int pidfd, const void *args, size_t size,
				      unsigned int flags)
{
	return syscall(__NR_restrack_pidfd_set_quota, (long)pidfd, args, size,
		       flags);
}

static inline long rt_pidfd_get(int pidfd, void *info, size_t size,
				unsigned int flags)
{
	return syscall(__NR_restrack_pidfd_get, (long)pidfd, info, size, flags);
}

#endif /* RESTRACK_SYSCALLS_H */
