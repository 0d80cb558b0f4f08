/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * librestrack - the resource tracker's system calls for C programs
 *
 * One typed function per system call, each returning 0 or a negative
 * errno (the C library's errno is left as the system call set it), plus
 * messages for the errors and the size parsing and formatting that the
 * restrack(1) tool uses.  See register(2), fetch(2), deregister(2),
 * resource_cap(2) and resource_reset(2) for the calls themselves.
 *
 * On a kernel without the resource tracker every call returns -ENOSYS,
 * and restrack_strerror(-ENOSYS) says so plainly.
 *
 * The pidfd calls (restrack_pidfd_register(2), restrack_pidfd_set_quota(2),
 * restrack_pidfd_get(2), since 0.2.0) follow the C library's convention
 * instead: 0 on success, -1 with errno set on error.  On a kernel without
 * them they fall back to the five original calls where those can give the
 * same result (librestrack(3)).
 *
 * Build with: cc prog.c $(pkg-config --cflags --libs restrack)
 */
#ifndef RESTRACK_H
#define RESTRACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if defined(__has_include)
#if __has_include(<linux/resource_tracker.h>)
#include <linux/resource_tracker.h>
#endif
#endif

/*
 * The pidfd calls' API, from <linux/resource_tracker.h> when it has it
 * (restrack 1.2.0 and later); the same layout otherwise.
 */
#ifndef RESTRACK_QUOTA_ARGS_SIZE_VER0
#define RESTRACK_INHERIT	0x1U
#define RESTRACK_QUOTA_HEAP	0x1ULL
#define RESTRACK_QUOTA_FILES	0x2ULL
#define RESTRACK_NO_QUOTA	(~0ULL)
#define RESTRACK_ACTION_KILL	0
#define RESTRACK_ACTION_DENY	1
#define RESTRACK_KILLED_HEAP	1
#define RESTRACK_KILLED_FILES	2

struct restrack_quota_args {
	uint64_t mask;
	uint64_t heap_bytes;
	uint64_t files;
	uint32_t heap_action;
	uint32_t files_action;
};
#define RESTRACK_QUOTA_ARGS_SIZE_VER0	24
#define RESTRACK_QUOTA_ARGS_SIZE_VER1	32

struct restrack_info {
	uint64_t flags;
	uint64_t heap_bytes;
	uint64_t files;
	uint64_t heap_quota;
	uint64_t files_quota;
	uint32_t heap_action;
	uint32_t files_action;
	uint64_t heap_peak;
	uint64_t files_peak;
	uint64_t killed;
	uint64_t kill_usage;
	uint64_t kill_limit;
};
#define RESTRACK_INFO_SIZE_VER0		48
#define RESTRACK_INFO_SIZE_VER1		88
#endif /* !RESTRACK_QUOTA_ARGS_SIZE_VER0 */

#ifdef __cplusplus
extern "C" {
#endif

#define RESTRACK_VERSION "0.2.0"

/* Quota value meaning "no limit" (heap and files). */
#define RESTRACK_UNLIMITED (-1L)

/* The kernel counts the heap quota in whole MiB. */
#define RESTRACK_MIB (1024ULL * 1024ULL)

/* Usage of one tracked process, as fetch(2) returns it. */
struct restrack_usage {
	pid_t pid;			/* in the caller's pid namespace */
	unsigned long heap_bytes;	/* private writable memory (mm->data_vm) */
	unsigned long files;		/* open file descriptors */
};

/* The five system calls, for restrack_describe_error(). */
enum restrack_op {
	RESTRACK_OP_REGISTER,
	RESTRACK_OP_FETCH,
	RESTRACK_OP_DEREGISTER,
	RESTRACK_OP_CAP,
	RESTRACK_OP_RESET,
};

/* register(2): start tracking @pid.  0 or -EINVAL, -ESRCH, -EPERM, -EEXIST, -ENOMEM. */
int restrack_register(pid_t pid);

/* fetch(2): read @pid's usage into @usage.  0 or -EINVAL, -ESRCH, -EPERM, -ENOENT, -EFAULT. */
int restrack_fetch(pid_t pid, struct restrack_usage *usage);

/* deregister(2): stop tracking @pid.  0 or -EINVAL, -ESRCH, -EPERM, -ENOENT. */
int restrack_deregister(pid_t pid);

/*
 * resource_cap(2): set both quotas of @pid: heap in MiB, files as a count,
 * RESTRACK_UNLIMITED for no limit.  0 or -EINVAL, -ESRCH, -EPERM, -ENOENT.
 * A process already over a new quota is killed at once (and 0 returned).
 */
int restrack_cap(pid_t pid, long heap_quota_mib, long file_quota);

/* resource_reset(2): both quotas back to unlimited.  0 or -EINVAL, -ESRCH, -EPERM, -ENOENT. */
int restrack_reset(pid_t pid);

/*
 * restrack_pidfd_register(2): start tracking the process @pidfd refers to,
 * with RESTRACK_INHERIT in @flags its future children too.  0, or -1 and
 * errno: EINVAL, EBADF, ESRCH, EPERM, EEXIST, ENOMEM, ENOSYS.
 * Kernel without the call: @flags 0 falls back to register(2) on the pid
 * that @pidfd names; RESTRACK_INHERIT cannot be served (ENOSYS).
 */
int restrack_pidfd_register(int pidfd, unsigned int flags);

/*
 * restrack_pidfd_set_quota(2): set the quotas that @args->mask names, of
 * @size bytes of struct restrack_quota_args.  0, or -1 and errno: EINVAL,
 * E2BIG, EFAULT, EBADF, ESRCH, EPERM, ENOENT, ENOSYS.
 * Kernel without the call: both quotas with the kill action fall back to
 * resource_cap(2) (the heap quota rounded up to whole MiB); one quota
 * alone, or the deny action, cannot be served (ENOSYS).
 */
int restrack_pidfd_set_quota(int pidfd, const struct restrack_quota_args *args,
			     size_t size, unsigned int flags);

/* restrack_pidfd_get()'s result when only the usage is known (fetch(2)). */
#define RESTRACK_GET_USAGE_ONLY	1

/*
 * restrack_pidfd_get(2): read the tracking of the process into @info, of
 * @size bytes of struct restrack_info.  0, or -1 and errno: EINVAL, E2BIG,
 * EBADF, ESRCH, EPERM, ENOENT, EFAULT, ENOSYS.
 * Kernel without the call: fetch(2) on the pid that @pidfd names fills
 * heap_bytes and files, every other field is 0, and the result is
 * RESTRACK_GET_USAGE_ONLY: quotas, peaks and the kill reason are unknown.
 */
int restrack_pidfd_get(int pidfd, struct restrack_info *info, size_t size,
		       unsigned int flags);

/*
 * The process ID that @pidfd names in the caller's PID namespace, read
 * from /proc/self/fdinfo: the pid, or -1 and errno: EBADF (not a pidfd),
 * ESRCH (reaped, or outside the caller's PID namespace), or the error
 * opening /proc.
 */
pid_t restrack_pidfd_pid(int pidfd);

/*
 * 1 when the running kernel has the pidfd calls (restrack 1.2.0), 0 when
 * not: then only the fallbacks above are there.
 */
int restrack_pidfd_available(void);

/* 1 when the running kernel has the resource tracker, 0 when not (ENOSYS). */
int restrack_available(void);

/*
 * A message for a (negative or positive) errno from one of the calls
 * above.  For ENOSYS: "this kernel has no resource tracker (boot a
 * restrack kernel)"; otherwise strerror()'s text.
 */
const char *restrack_strerror(int err);

/* "register", "fetch", "deregister", "resource_cap", "resource_reset". */
const char *restrack_op_name(enum restrack_op op);

/*
 * A one-line message naming @pid and the cause of error @err (negative
 * or positive) returned by @op, as the kernel documents it, e.g.
 * "cannot register pid 42: it is tracked already".  Written to @buf
 * (NUL-terminated, truncated to @size); returns @buf.
 */
char *restrack_describe_error(enum restrack_op op, pid_t pid, int err,
			      char *buf, size_t size);

/*
 * Parse a size in bytes: a decimal number, optionally with a fraction,
 * then an optional unit: B; K, M, G, T, KiB, MiB, GiB, TiB (powers of
 * 1024); KB, MB, GB, TB (powers of 1000).  Units are case-insensitive
 * and may follow a space.  A fraction of a byte is rounded up.
 * 0, or -EINVAL (not a size) or -ERANGE (too large).
 */
int restrack_parse_size(const char *s, unsigned long long *bytes);

/*
 * Convert @bytes to whole MiB for resource_cap(2), rounding up.  0 when
 * exact, 1 when rounded up, -ERANGE when the MiB count does not fit the
 * kernel's limit (its bytes must fit in an unsigned long).
 */
int restrack_bytes_to_mib(unsigned long long bytes, long *mib);

/* Room for any restrack_format_size() result. */
#define RESTRACK_SIZE_BUFSZ 16

/*
 * Format @bytes for people with IEC units: "0 B", "1000 B", "1 KiB",
 * "1.5 KiB", "132 KiB", "4 MiB", "1.2 GiB".  One decimal below 100 of a
 * unit, rounded to nearest; none when exact.  Returns @buf.
 */
char *restrack_format_size(unsigned long long bytes, char *buf, size_t size);

/* The library's version, RESTRACK_VERSION when headers and library match. */
const char *restrack_version(void);

#ifdef __cplusplus
}
#endif

#endif /* RESTRACK_H */
