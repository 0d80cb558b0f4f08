// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * librestrack - the resource tracker's system calls for C programs.
 * See restrack.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<linux/resource_tracker.h>)
#include <linux/resource_tracker.h>
#define HAVE_UAPI_HEADER 1
#endif
#endif

#include "restrack.h"

#define API __attribute__((visibility("default")))

/*
 * The numbers are the same on x86_64 and arm64 and exist for 64-bit tasks
 * only (Documentation/restrack.rst).  Without the uapi header, use them
 * directly; elsewhere every call is ENOSYS.
 */
#ifndef HAVE_UAPI_HEADER
#if (defined(__x86_64__) && !defined(__ILP32__)) || defined(__aarch64__)
#define __NR_register		548
#define __NR_fetch		549
#define __NR_deregister		550
#define __NR_resource_cap	551
#define __NR_resource_reset	552
#endif
/* The kernel's struct per_proc_resource, whose layout will not change. */
struct per_proc_resource {
	int pid;
	unsigned long heapsize;
	unsigned long openfile_count;
};
#endif

/* The pidfd calls (1.2.0): a uapi header older than them lacks the numbers. */
#if !defined(__NR_restrack_pidfd_register) && \
	((defined(__x86_64__) && !defined(__ILP32__)) || defined(__aarch64__))
#define __NR_restrack_pidfd_register	553
#define __NR_restrack_pidfd_set_quota	554
#define __NR_restrack_pidfd_get		555
#endif

#ifdef __NR_register
static int rt_syscall(long nr, long a, long b, long c)
{
	long ret = syscall(nr, a, b, c);

	if (ret == -1)
		return errno > 0 ? -errno : -EIO;
	return 0;
}
#define RT_CALL(nr, a, b, c) rt_syscall((nr), (long)(a), (long)(b), (long)(c))
#else
static int rt_nosys(void)
{
	errno = ENOSYS;
	return -ENOSYS;
}
#define RT_CALL(nr, a, b, c) ((void)(a), (void)(b), (void)(c), rt_nosys())
#endif

API int restrack_register(pid_t pid)
{
	return RT_CALL(__NR_register, pid, 0, 0);
}

API int restrack_fetch(pid_t pid, struct restrack_usage *usage)
{
	struct per_proc_resource st;
	int ret;

	memset(&st, 0, sizeof(st));
	ret = RT_CALL(__NR_fetch, usage ? (long)&st : 0L, pid, 0);
	if (!ret && usage) {
		usage->pid = st.pid;
		usage->heap_bytes = st.heapsize;
		usage->files = st.openfile_count;
	}
	return ret;
}

API int restrack_deregister(pid_t pid)
{
	return RT_CALL(__NR_deregister, pid, 0, 0);
}

API int restrack_cap(pid_t pid, long heap_quota_mib, long file_quota)
{
	return RT_CALL(__NR_resource_cap, pid, heap_quota_mib, file_quota);
}

API int restrack_reset(pid_t pid)
{
	return RT_CALL(__NR_resource_reset, pid, 0, 0);
}

/* ---------------------------------------------------------------------
 * The pidfd calls: -1 and errno, as the C library's wrappers.
 */
#ifdef __NR_restrack_pidfd_register
#define PIDFD_CALL(nr, a, b, c, d) \
	syscall((nr), (long)(a), (long)(b), (long)(c), (long)(d))
#else
static long pidfd_nosys(void)
{
	errno = ENOSYS;
	return -1;
}
#define PIDFD_CALL(nr, a, b, c, d) \
	((void)(a), (void)(b), (void)(c), (void)(d), pidfd_nosys())
#endif

static int fail(int err)
{
	errno = err;
	return -1;
}

API pid_t restrack_pidfd_pid(int pidfd)
{
	char path[64], line[256];
	FILE *f;
	int found = 0, saved;
	long pid = 0;

	if (pidfd < 0)
		return fail(EBADF);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	if (!f)
		return fail(errno == ENOENT ? EBADF : errno);
	while (fgets(line, sizeof(line), f)) {
		char *end;

		if (strncmp(line, "Pid:", 4))
			continue;
		errno = 0;
		pid = strtol(line + 4, &end, 10);
		found = !errno && end != line + 4 && (*end == '\n' || !*end);
		break;
	}
	saved = errno;
	fclose(f);
	if (!found)
		return fail(saved == ERANGE ? ERANGE : EBADF);
	/* -1: reaped; 0: in a PID namespace the caller cannot see. */
	if (pid <= 0 || pid > INT_MAX)
		return fail(ESRCH);
	return (pid_t)pid;
}

/*
 * After an original call on @pid: the pidfd still names @pid, so the
 * process held that pid throughout (a pid is freed only when its process
 * is reaped) and the call reached it, not a process that reused the pid.
 */
static int same_process(int pidfd, pid_t pid)
{
	int saved = errno;
	pid_t now = restrack_pidfd_pid(pidfd);

	errno = saved;
	return now == pid;
}

/* The original calls' negative errno, or an exited process, as -1/errno. */
static int fallback_result(int ret, int pidfd, pid_t pid)
{
	if (!same_process(pidfd, pid))
		return fail(ESRCH);
	if (ret < 0)
		return fail(-ret);
	return 0;
}

API int restrack_pidfd_register(int pidfd, unsigned int flags)
{
	pid_t pid;
	int ret;

	if (PIDFD_CALL(__NR_restrack_pidfd_register, pidfd, flags, 0, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	/* register(2) has no inheritance. */
	if (flags & ~RESTRACK_INHERIT)
		return fail(EINVAL);
	if (flags)
		return fail(ENOSYS);
	pid = restrack_pidfd_pid(pidfd);
	if (pid < 0)
		return -1;
	ret = restrack_register(pid);
	if (!same_process(pidfd, pid)) {
		/* Reaped meanwhile: the pid may name another process now. */
		if (!ret)
			restrack_deregister(pid);
		return fail(ESRCH);
	}
	return ret < 0 ? fail(-ret) : 0;
}

/* The kernel's checks of a user-space struct and its size (E2BIG past a page). */
static int copy_args(void *dst, size_t dsize, const void *src, size_t size,
		     size_t min)
{
	const unsigned char *tail = (const unsigned char *)src + dsize;
	size_t i;

	if (size < min)
		return EINVAL;
	if (size > (size_t)sysconf(_SC_PAGESIZE))
		return E2BIG;
	if (!src)
		return EFAULT;
	memset(dst, 0, dsize);
	memcpy(dst, src, size < dsize ? size : dsize);
	for (i = 0; size > dsize && i < size - dsize; i++)
		if (tail[i])
			return E2BIG;
	return 0;
}

API int restrack_pidfd_set_quota(int pidfd, const struct restrack_quota_args *args,
				 size_t size, unsigned int flags)
{
	const unsigned long long both = RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES;
	struct restrack_quota_args q;
	long heap_mib = RESTRACK_UNLIMITED, files = RESTRACK_UNLIMITED;
	pid_t pid;
	int err;

	if (PIDFD_CALL(__NR_restrack_pidfd_set_quota, pidfd, args, size, flags) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	/* resource_cap(2) instead, with the new call's checks first. */
	if (flags)
		return fail(EINVAL);
	err = copy_args(&q, sizeof(q), args, size, RESTRACK_QUOTA_ARGS_SIZE_VER0);
	if (err)
		return fail(err);
	if ((q.mask & ~both) ||
	    q.heap_action > RESTRACK_ACTION_DENY || q.files_action > RESTRACK_ACTION_DENY ||
	    (q.files != RESTRACK_NO_QUOTA && q.files > INT_MAX))
		return fail(EINVAL);
	if (q.heap_bytes != RESTRACK_NO_QUOTA &&
	    restrack_bytes_to_mib(q.heap_bytes, &heap_mib) < 0)
		return fail(EINVAL);
	if (q.files != RESTRACK_NO_QUOTA)
		files = (long)q.files;
	/* resource_cap(2) sets both quotas and only kills. */
	if (q.mask != both || q.heap_action != RESTRACK_ACTION_KILL ||
	    q.files_action != RESTRACK_ACTION_KILL)
		return fail(ENOSYS);
	pid = restrack_pidfd_pid(pidfd);
	if (pid < 0)
		return -1;
	return fallback_result(restrack_cap(pid, heap_mib, files), pidfd, pid);
}

API int restrack_pidfd_get(int pidfd, struct restrack_info *info, size_t size,
			   unsigned int flags)
{
	struct restrack_usage u;
	struct restrack_info ri;
	pid_t pid;
	int ret;

	if (PIDFD_CALL(__NR_restrack_pidfd_get, pidfd, info, size, flags) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	if (flags || size < RESTRACK_INFO_SIZE_VER0)
		return fail(EINVAL);
	if (size > (size_t)sysconf(_SC_PAGESIZE))
		return fail(E2BIG);
	if (!info)
		return fail(EFAULT);
	pid = restrack_pidfd_pid(pidfd);
	if (pid < 0)
		return -1;
	ret = fallback_result(restrack_fetch(pid, &u), pidfd, pid);
	if (ret)
		return ret;
	memset(&ri, 0, sizeof(ri));
	ri.heap_bytes = u.heap_bytes;
	ri.files = u.files;
	memset(info, 0, size);
	memcpy(info, &ri, size < sizeof(ri) ? size : sizeof(ri));
	return RESTRACK_GET_USAGE_ONLY;
}

API int restrack_pidfd_available(void)
{
	/* size 0 is EINVAL where the call exists; it reads nothing. */
	return !(PIDFD_CALL(__NR_restrack_pidfd_get, -1, NULL, 0, 0) == -1 &&
		 errno == ENOSYS);
}

API int restrack_available(void)
{
	/* fetch(NULL, 0) is EINVAL where the call exists; it changes nothing. */
	return restrack_fetch(0, NULL) != -ENOSYS;
}

static const char nosys_msg[] =
	"this kernel has no resource tracker (boot a restrack kernel)";

API const char *restrack_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err == ENOSYS)
		return nosys_msg;
	return strerror(err);
}

API const char *restrack_op_name(enum restrack_op op)
{
	switch (op) {
	case RESTRACK_OP_REGISTER:
		return "register";
	case RESTRACK_OP_FETCH:
		return "fetch";
	case RESTRACK_OP_DEREGISTER:
		return "deregister";
	case RESTRACK_OP_CAP:
		return "resource_cap";
	case RESTRACK_OP_RESET:
		return "resource_reset";
	}
	return "?";
}

static const char *op_verb(enum restrack_op op)
{
	switch (op) {
	case RESTRACK_OP_REGISTER:
		return "register";
	case RESTRACK_OP_FETCH:
		return "read the usage of";
	case RESTRACK_OP_DEREGISTER:
		return "deregister";
	case RESTRACK_OP_CAP:
		return "set the quotas of";
	case RESTRACK_OP_RESET:
		return "reset the quotas of";
	}
	return "?";
}

/* The cause of @err from @op on a valid @pid, as restrack.rst lists them. */
static const char *op_cause(enum restrack_op op, pid_t pid, int err)
{
	switch (err) {
	case EINVAL:
		if (pid < 1)
			return "a pid must be 1 or more";
		if (op == RESTRACK_OP_REGISTER)
			return "it is init or a kernel thread, which cannot be tracked";
		if (op == RESTRACK_OP_CAP)
			return "a quota is below -1 (unlimited) or too large";
		return "invalid argument";
	case ESRCH:
		return "no such process (or it has exited)";
	case EPERM:
	case EACCES:
		switch (op) {
		case RESTRACK_OP_REGISTER:
			return "permission denied: it is not yours (its real, effective "
			       "and saved user and group ids must all be your real ids) "
			       "and you lack CAP_SYS_RESOURCE";
		case RESTRACK_OP_FETCH:
			return "permission denied: you may not read it (ptrace read check)";
		case RESTRACK_OP_DEREGISTER:
			return "permission denied: it is not yours, or it has a quota and "
			       "lifting a quota needs CAP_SYS_RESOURCE";
		case RESTRACK_OP_CAP:
			return "permission denied: it is not yours, or the new quotas raise "
			       "a limit, which needs CAP_SYS_RESOURCE";
		case RESTRACK_OP_RESET:
			return "permission denied: it is not yours, or it has a quota and "
			       "lifting a quota needs CAP_SYS_RESOURCE";
		}
		break;
	case EEXIST:
		return "it is tracked already";
	case ENOENT:
		return "it is not tracked (register it first)";
	case ENOMEM:
		return "out of memory";
	case EFAULT:
		return "bad address for the result";
	}
	return strerror(err);
}

API char *restrack_describe_error(enum restrack_op op, pid_t pid, int err,
				  char *buf, size_t size)
{
	if (!buf || !size)
		return buf;
	if (err < 0)
		err = -err;
	if (err == ENOSYS)
		snprintf(buf, size, "%s", nosys_msg);
	else
		snprintf(buf, size, "cannot %s pid %d: %s", op_verb(op), (int)pid,
			 op_cause(op, pid, err));
	return buf;
}

/* ---------------------------------------------------------------------
 * Sizes.
 */
static const struct {
	const char *name;
	unsigned long long mult;
} units[] = {
	{ "", 1 }, { "b", 1 },
	{ "k", 1ULL << 10 }, { "kib", 1ULL << 10 }, { "kb", 1000ULL },
	{ "m", 1ULL << 20 }, { "mib", 1ULL << 20 }, { "mb", 1000000ULL },
	{ "g", 1ULL << 30 }, { "gib", 1ULL << 30 }, { "gb", 1000000000ULL },
	{ "t", 1ULL << 40 }, { "tib", 1ULL << 40 }, { "tb", 1000000000000ULL },
};

/* Digits of a fraction that count; the product with a unit must fit. */
#ifdef __SIZEOF_INT128__
typedef unsigned __int128 wide_t;
#define MAX_FRAC_DIGITS 18
#else
typedef unsigned long long wide_t;	/* 10^6 * 10^12 < 2^64 */
#define MAX_FRAC_DIGITS 6
#endif

API int restrack_parse_size(const char *s, unsigned long long *bytes)
{
	unsigned long long whole = 0, frac = 0, den = 1, mult = 0, total;
	wide_t num;
	const char *p = s, *unit;
	size_t i, ulen;
	int digits = 0, fdigits = 0, more = 0;

	if (!s || !bytes)
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (whole > (ULLONG_MAX - (unsigned long long)(*p - '0')) / 10)
			return -ERANGE;
		whole = whole * 10 + (unsigned long long)(*p - '0');
	}
	if (!digits)
		return -EINVAL;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, fdigits++) {
			if (fdigits >= MAX_FRAC_DIGITS) {
				/* Beyond the 18th digit: only rounding up matters. */
				more |= *p != '0';
				continue;
			}
			frac = frac * 10 + (unsigned long long)(*p - '0');
			den *= 10;
		}
		if (!fdigits)
			return -EINVAL;
	}
	while (*p == ' ')
		p++;
	unit = p;
	ulen = strlen(unit);
	while (ulen && (unit[ulen - 1] == ' ' || unit[ulen - 1] == '\t' ||
			unit[ulen - 1] == '\n'))
		ulen--;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strlen(units[i].name) == ulen &&
		    !strncasecmp(unit, units[i].name, ulen)) {
			mult = units[i].mult;
			break;
		}
	}
	if (!mult)
		return -EINVAL;
	if (whole > ULLONG_MAX / mult)
		return -ERANGE;
	total = whole * mult;
	if (frac || more) {
		/* Round a fraction of a byte up. */
		num = (wide_t)frac * mult;
		num = num / den + (num % den != 0 || more);
		if (num > ULLONG_MAX - total)
			return -ERANGE;
		total += (unsigned long long)num;
	}
	*bytes = total;
	return 0;
}

API int restrack_bytes_to_mib(unsigned long long bytes, long *mib)
{
	unsigned long long m = bytes / RESTRACK_MIB;
	int rounded = (bytes % RESTRACK_MIB) != 0;

	m += (unsigned long long)rounded;
	/* resource_cap(2): the quota's bytes must fit in an unsigned long. */
	if (m > (unsigned long long)(ULONG_MAX >> 20) || m > (unsigned long long)LONG_MAX)
		return -ERANGE;
	if (mib)
		*mib = (long)m;
	return rounded;
}

API char *restrack_format_size(unsigned long long bytes, char *buf, size_t size)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned long long unit = 1, whole, rem, tenths;
	unsigned int u = 0;

	if (!buf || !size)
		return buf;
	while (u + 1 < sizeof(names) / sizeof(names[0]) && bytes / 1024 >= unit) {
		unit *= 1024;
		u++;
	}
	whole = bytes / unit;
	rem = bytes % unit;
	if (!rem) {
		snprintf(buf, size, "%llu %s", whole, names[u]);
		return buf;
	}
	/* rem * 10 < unit * 10 <= 10 * 2^60: no overflow. */
	tenths = whole * 10 + (rem * 10 + unit / 2) / unit;
	if (tenths >= 10240 && u + 1 < sizeof(names) / sizeof(names[0])) {
		/* 1023.96 KiB and the like round up to the next unit. */
		snprintf(buf, size, "1.0 %s", names[u + 1]);
	} else if (tenths < 1000) {
		snprintf(buf, size, "%llu.%llu %s", tenths / 10, tenths % 10, names[u]);
	} else {
		whole += (rem * 2 >= unit);
		if (whole >= 1024 && u + 1 < sizeof(names) / sizeof(names[0]))
			snprintf(buf, size, "1.0 %s", names[u + 1]);
		else
			snprintf(buf, size, "%llu %s", whole, names[u]);
	}
	return buf;
}

API const char *restrack_version(void)
{
	return RESTRACK_VERSION;
}
