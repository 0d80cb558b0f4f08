/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for restrack_test.c and restrack_escape.c: system call wrappers,
 * child processes, shared result pages, descriptor passing, /proc parsing
 * and the exec helper protocol.
 *
 * Include after kselftest_harness.h: the ASSERT_ and EXPECT_ wrappers
 * below need the harness macros.
 */
#ifndef RESTRACK_HELPERS_H
#define RESTRACK_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <linux/resource_tracker.h>

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PF_KTHREAD
#define PF_KTHREAD 0x00200000
#endif

#define MiB (1024UL * 1024UL)
#define NOBODY_UID 65534
#define NOBODY_GID 65534
#define STATUS_PATH "/proc/tracker_status"
#define STATUS_HEADER "PID HEAP_BYTES FILES HEAP_QUOTA_MB FILE_QUOTA STATE COMM"
#define HELPER_ARG "--restrack-helper"

/* ---------------------------------------------------------------------
 * The five system calls.
 */
#include "../restrack_syscalls.h"

/* True unless the kernel lacks the calls (ENOSYS).  No side effect. */
static inline bool restrack_present(void)
{
	long ret;

	errno = 0;
	ret = syscall(__NR_fetch, NULL, 0L);
	return !(ret == -1 && errno == ENOSYS);
}

static inline pid_t rt_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static inline unsigned long page_size(void)
{
	return (unsigned long)sysconf(_SC_PAGESIZE);
}

/* ---------------------------------------------------------------------
 * Harness glue.  errno is saved before any harness output can clobber it.
 */
#define REQUIRE_RESTRACK() do { \
	if (!restrack_present()) \
		SKIP(return, "restrack system calls not present (ENOSYS)"); \
} while (0)

#define REQUIRE_ROOT() do { \
	if (geteuid() != 0) \
		SKIP(return, "needs root"); \
} while (0)

#define REQUIRE_STATUS() do { \
	if (access(STATUS_PATH, R_OK)) \
		SKIP(return, STATUS_PATH " not present (tracker module not loaded)"); \
} while (0)

#define REQUIRE_KTHREAD(_pid) do { \
	if (!is_kthread(_pid)) \
		SKIP(return, "pid %d is not a kernel thread here", (int)(_pid)); \
} while (0)

#define __CHECK_ERRNO(_kind, _err, _call) do { \
	long __rt_ret; \
	int __rt_errno; \
	errno = 0; \
	__rt_ret = (long)(_call); \
	__rt_errno = errno; \
	_kind##_EQ(-1L, __rt_ret) TH_LOG("%s", #_call); \
	_kind##_EQ((int)(_err), __rt_errno) \
		TH_LOG("%s: got errno %d (%s)", #_call, __rt_errno, \
		       strerror(__rt_errno)); \
} while (0)

#define __CHECK_OK(_kind, _call) do { \
	long __rt_ret; \
	int __rt_errno; \
	errno = 0; \
	__rt_ret = (long)(_call); \
	__rt_errno = errno; \
	_kind##_EQ(0L, __rt_ret) \
		TH_LOG("%s: errno %d (%s)", #_call, __rt_errno, \
		       strerror(__rt_errno)); \
} while (0)

/* The call fails with -1 and errno _err. */
#define EXPECT_ERRNO(_err, _call) __CHECK_ERRNO(EXPECT, _err, _call)
#define ASSERT_ERRNO(_err, _call) __CHECK_ERRNO(ASSERT, _err, _call)
/* The call returns 0. */
#define EXPECT_SYSOK(_call) __CHECK_OK(EXPECT, _call)
#define ASSERT_SYSOK(_call) __CHECK_OK(ASSERT, _call)

/* The call fails with one of two errnos. */
#define EXPECT_ERRNO2(_err1, _err2, _call) do { \
	long __rt_ret; \
	int __rt_errno; \
	errno = 0; \
	__rt_ret = (long)(_call); \
	__rt_errno = errno; \
	EXPECT_EQ(-1L, __rt_ret) TH_LOG("%s", #_call); \
	EXPECT_TRUE(__rt_errno == (_err1) || __rt_errno == (_err2)) \
		TH_LOG("%s: got errno %d (%s), want %s or %s", #_call, \
		       __rt_errno, strerror(__rt_errno), #_err1, #_err2); \
} while (0)

/* fetch() that must succeed; _st is a struct per_proc_resource. */
#define ASSERT_FETCH(_st, _pid) do { \
	long __rt_ret; \
	int __rt_errno; \
	memset(&(_st), 0, sizeof(_st)); \
	errno = 0; \
	__rt_ret = rt_fetch(&(_st), (_pid)); \
	__rt_errno = errno; \
	ASSERT_EQ(0L, __rt_ret) \
		TH_LOG("fetch(%d): errno %d (%s)", (int)(_pid), __rt_errno, \
		       strerror(__rt_errno)); \
} while (0)

/* Signed change of a field between two fetches. */
#define HEAP_DELTA(_a, _b) ((long)((_b).heapsize - (_a).heapsize))
#define FILES_DELTA(_a, _b) ((long)((_b).openfile_count - (_a).openfile_count))

#define EXPECT_SAME_USAGE(_a, _b) do { \
	EXPECT_EQ((_a).pid, (_b).pid); \
	EXPECT_EQ((_a).heapsize, (_b).heapsize); \
	EXPECT_EQ((_a).openfile_count, (_b).openfile_count); \
} while (0)

/* ---------------------------------------------------------------------
 * Shared result page for child processes.  A child records each step;
 * the parent checks them after waitpid().
 */
#define NSTEPS 32

struct step {
	long ret;
	int err;
	int done;
};

struct shared {
	int stage;
	int skip;
	int fail_line;
	int fail_errno;
	long val[16];
	struct step step[NSTEPS];
};

static inline struct shared *shared_new(void)
{
	void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, sizeof(struct shared));
	return p;
}

static inline void shared_free(struct shared *sh)
{
	if (sh)
		munmap(sh, sizeof(*sh));
}

/* In a child: run _call, record its result as step _i, yield the result. */
#define STEP(_sh, _i, _call) ({ \
	long __r; \
	errno = 0; \
	__r = (long)(_call); \
	(_sh)->step[_i].err = (__r == -1) ? errno : 0; \
	(_sh)->step[_i].ret = __r; \
	(_sh)->step[_i].done = 1; \
	__r; \
})

/* In a child function returning int: give up, noting where and why. */
#define CHILD_CHECK(_sh, _cond) do { \
	if (!(_cond)) { \
		(_sh)->fail_errno = errno; \
		(_sh)->fail_line = __LINE__; \
		return 1; \
	} \
} while (0)

/* In the parent: step _i returned 0. */
#define EXPECT_STEP_OK(_sh, _i) do { \
	EXPECT_EQ(1, (_sh)->step[_i].done) TH_LOG("step %d not reached", _i); \
	EXPECT_EQ(0L, (_sh)->step[_i].ret) \
		TH_LOG("step %d: errno %d (%s)", _i, (_sh)->step[_i].err, \
		       strerror((_sh)->step[_i].err)); \
} while (0)

/* In the parent: step _i failed with _err. */
#define EXPECT_STEP_ERRNO(_sh, _i, _err) do { \
	EXPECT_EQ(1, (_sh)->step[_i].done) TH_LOG("step %d not reached", _i); \
	EXPECT_EQ(-1L, (_sh)->step[_i].ret) TH_LOG("step %d", _i); \
	EXPECT_EQ((int)(_err), (_sh)->step[_i].err) \
		TH_LOG("step %d: errno %d (%s), want %s", _i, \
		       (_sh)->step[_i].err, strerror((_sh)->step[_i].err), \
		       #_err); \
} while (0)

/* In the parent: the child exited with 0. */
#define EXPECT_CHILD_OK(_status, _sh) do { \
	EXPECT_TRUE(WIFEXITED(_status) && WEXITSTATUS(_status) == 0) \
		TH_LOG("child status 0x%x; failed at line %d, errno %d (%s)", \
		       (unsigned int)(_status), (_sh)->fail_line, \
		       (_sh)->fail_errno, strerror((_sh)->fail_errno)); \
} while (0)

/* In the parent: the child died by SIGKILL. */
#define EXPECT_KILLED(_status, _sh) do { \
	EXPECT_TRUE(WIFSIGNALED(_status) && WTERMSIG(_status) == SIGKILL) \
		TH_LOG("child status 0x%x (exited %d / signal %d); " \
		       "line %d, errno %d", (unsigned int)(_status), \
		       WIFEXITED(_status) ? WEXITSTATUS(_status) : -1, \
		       WIFSIGNALED(_status) ? WTERMSIG(_status) : -1, \
		       (_sh)->fail_line, (_sh)->fail_errno); \
} while (0)

typedef int (*child_fn)(struct shared *sh, void *arg);

static inline pid_t spawn_child(child_fn fn, struct shared *sh, void *arg)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		_exit(fn(sh, arg));
	return pid;
}

/* waitpid() for one child; the wait status, or -1. */
static inline int wait_child(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return status;
}

/* Run fn in a child process and return its wait status (-1: no fork). */
static inline int run_child(child_fn fn, struct shared *sh, void *arg)
{
	pid_t pid = spawn_child(fn, sh, arg);

	if (pid < 0)
		return -1;
	return wait_child(pid);
}

/* ---------------------------------------------------------------------
 * Processes that do not exist or are dead.
 */

/* A pid that existed a moment ago and has been reaped. */
static inline pid_t reaped_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		wait_child(pid);
	return pid;
}

/* Wait until child pid has exited, leaving it a zombie. */
static inline int wait_zombie(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* A child that has exited and is not reaped yet (reap it with wait_child). */
static inline pid_t zombie_new(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid < 0 || wait_zombie(pid))
		return -1;
	return pid;
}

/* ---------------------------------------------------------------------
 * /proc and file helpers.  Raw read(2) into caller buffers: no stdio, so
 * no malloc that would move the heap figure.
 */
static inline ssize_t read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

static inline ssize_t read_full(int fd, void *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size) {
		n = read(fd, (char *)buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

static inline int write_full(int fd, const void *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size) {
		n = write(fd, (const char *)buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
	return 0;
}

/* Field @idx (1 = state) after the "(comm)" of /proc/PID/stat. */
static inline bool proc_stat_field(pid_t pid, int idx, char *out, size_t outsz)
{
	char path[64], buf[1024], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return false;
	p = strrchr(buf, ')');
	if (!p)
		return false;
	p++;
	for (i = 0; i < idx; i++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return false;
		if (i == idx - 1)
			break;
		while (*p && *p != ' ')
			p++;
	}
	for (i = 0; p[i] && p[i] != ' ' && p[i] != '\n' && (size_t)i + 1 < outsz; i++)
		out[i] = p[i];
	out[i] = '\0';
	return i > 0;
}

static inline bool is_kthread(pid_t pid)
{
	char field[32];

	/* Field 7 after the comm is "flags". */
	if (!proc_stat_field(pid, 7, field, sizeof(field)))
		return false;
	return (strtoul(field, NULL, 10) & PF_KTHREAD) != 0;
}

static inline char proc_state(pid_t pid)
{
	char field[8];

	if (!proc_stat_field(pid, 1, field, sizeof(field)))
		return '?';
	return field[0];
}

static inline bool proc_comm(pid_t pid, char *out, size_t outsz)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	n = read_file(path, out, outsz);
	if (n <= 0)
		return false;
	if (out[n - 1] == '\n')
		out[n - 1] = '\0';
	return true;
}

/* VmData of /proc/self/status in bytes (mm->data_vm), or -1. */
static inline long vmdata_bytes(void)
{
	static char buf[8192];
	char *p;

	if (read_file("/proc/self/status", buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, "\nVmData:");
	if (!p)
		return -1;
	return strtol(p + strlen("\nVmData:"), NULL, 10) * 1024L;
}

static inline unsigned long fd_scan_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur > 65536)
		return 65536;
	return (unsigned long)rl.rlim_cur;
}

/* Open descriptors in this process's table. */
static inline unsigned long count_open_fds(void)
{
	unsigned long fd, lim = fd_scan_limit(), n = 0;

	for (fd = 0; fd < lim; fd++)
		if (fcntl((int)fd, F_GETFD) != -1)
			n++;
	return n;
}

/* Open descriptors with FD_CLOEXEC set. */
static inline unsigned long count_cloexec_fds(void)
{
	unsigned long fd, lim = fd_scan_limit(), n = 0;
	int flags;

	for (fd = 0; fd < lim; fd++) {
		flags = fcntl((int)fd, F_GETFD);
		if (flags != -1 && (flags & FD_CLOEXEC))
			n++;
	}
	return n;
}

/* Close [first, last]; close_range(2) with a loop as fallback. */
static inline void close_fds_range(unsigned int first, unsigned int last)
{
	unsigned long fd, lim;

	if (first > last)
		return;
	if (syscall(__NR_close_range, first, last, 0U) == 0)
		return;
	lim = fd_scan_limit();
	for (fd = first; fd <= last && fd < lim; fd++)
		close((int)fd);
}

/* Close every descriptor from 3 up except a and b. */
static inline void close_fds_except(int a, int b)
{
	unsigned int lo = (unsigned int)(a < b ? a : b);
	unsigned int hi = (unsigned int)(a < b ? b : a);

	if (lo < 3 || hi < 3)
		return;
	close_fds_range(3, lo - 1);
	close_fds_range(lo + 1, hi - 1);
	close_fds_range(hi + 1, ~0U);
}

/* mkdir /tmp if needed and make a per-process path under it. */
static inline void tmp_path(char *buf, size_t size, const char *tag)
{
	mkdir("/tmp", 01777);
	snprintf(buf, size, "/tmp/restrack-%s-%d", tag, (int)getpid());
}

/* Private anonymous mapping, NULL on failure. */
static inline void *map_anon(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Map @mib MiB one MiB at a time (killed on the way if over a quota). */
static inline void alloc_mib(long mib)
{
	long i;

	for (i = 0; i < mib; i++)
		if (!map_anon(MiB, PROT_READ | PROT_WRITE))
			return;
}

/* ---------------------------------------------------------------------
 * Descriptor passing (SCM_RIGHTS), several descriptors a message.
 */
#define RT_SCM_MAX 253	/* SCM_MAX_FD: the most one message may carry */

/* Send one byte with @n descriptors (repeats allowed); 0 or -1. */
static inline int send_fds(int sock, const int *fds, int n)
{
	char data = 'x';
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(RT_SCM_MAX * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
	};
	struct cmsghdr *cmsg;

	if (n < 1 || n > RT_SCM_MAX)
		return -1;
	memset(&u, 0, sizeof(u));
	msg.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
	memcpy(CMSG_DATA(cmsg), fds, (size_t)n * sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/*
 * Receive one message with room for @max descriptors: recvmsg()'s return
 * value; *nfds is the number of descriptors installed (stored in @fds),
 * *flags the message's msg_flags (MSG_CTRUNC: some were dropped).
 */
static inline ssize_t recv_fds(int sock, int *fds, int max, int *nfds,
			       int *flags)
{
	char data;
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(RT_SCM_MAX * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
	};
	struct cmsghdr *cmsg;
	ssize_t ret;
	int n;

	*nfds = 0;
	*flags = 0;
	if (max < 1 || max > RT_SCM_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&u, 0, sizeof(u));
	msg.msg_controllen = CMSG_SPACE((size_t)max * sizeof(int));
	ret = recvmsg(sock, &msg, 0);
	if (ret < 0)
		return ret;
	*flags = msg.msg_flags;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		if (n > max - *nfds)
			n = max - *nfds;
		memcpy(fds + *nfds, CMSG_DATA(cmsg), (size_t)n * sizeof(int));
		*nfds += n;
	}
	return ret;
}

/* ---------------------------------------------------------------------
 * Credentials.
 */
static inline int drop_ids(uid_t ruid, uid_t euid, uid_t suid, gid_t gid)
{
	if (setgroups(0, NULL))
		return -1;
	if (setresgid(gid, gid, gid))
		return -1;
	if (setresuid(ruid, euid, suid))
		return -1;
	/* setuid clears "dumpable"; same-uid ptrace read checks need it. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -1;
	return 0;
}

static inline int become_nobody(void)
{
	return drop_ids(NOBODY_UID, NOBODY_UID, NOBODY_UID, NOBODY_GID);
}

/* ---------------------------------------------------------------------
 * Sleepers: children that block in read() on a pipe until released.
 * sleeper_start() returns once the child sleeps there, so its usage does
 * not move while the test looks.
 */
enum sleeper_kind {
	SLEEPER_ROOT,
	SLEEPER_NOBODY,
	SLEEPER_NOBODY_OTHER_GID,	/* uid 65534, gid 65533 */
	SLEEPER_NOBODY_ROOT_SUID,	/* uid 65534, saved uid 0 */
};

struct sleeper {
	pid_t pid;
	int release_fd;
};

static inline int sleeper_start(struct sleeper *s, enum sleeper_kind kind,
				const char *comm)
{
	int rel[2], rdy[2], ret = 0, i;
	char c = 0;

	s->pid = -1;
	s->release_fd = -1;
	if (pipe(rel))
		return -1;
	if (pipe(rdy)) {
		close(rel[0]);
		close(rel[1]);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	s->pid = fork();
	if (s->pid == 0) {
		close(rel[1]);
		close(rdy[0]);
		close_fds_except(rel[0], rdy[1]);
		switch (kind) {
		case SLEEPER_ROOT:
			break;
		case SLEEPER_NOBODY:
			ret = become_nobody();
			break;
		case SLEEPER_NOBODY_OTHER_GID:
			ret = drop_ids(NOBODY_UID, NOBODY_UID, NOBODY_UID,
				       NOBODY_GID - 1);
			break;
		case SLEEPER_NOBODY_ROOT_SUID:
			ret = drop_ids(NOBODY_UID, NOBODY_UID, 0, NOBODY_GID);
			break;
		}
		if (comm)
			prctl(PR_SET_NAME, comm, 0, 0, 0);
		c = ret ? 'E' : 'R';
		if (write(rdy[1], &c, 1) != 1)
			_exit(3);
		close(rdy[1]);
		while (read(rel[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(rel[0]);
	close(rdy[1]);
	if (s->pid < 0) {
		close(rel[1]);
		close(rdy[0]);
		return -1;
	}
	s->release_fd = rel[1];
	if (read_full(rdy[0], &c, 1) != 1 || c != 'R')
		ret = -1;
	close(rdy[0]);
	/* Wait (at most ~3 s) until it sleeps in read(): idle from then on. */
	for (i = 0; !ret && i < 3000 && proc_state(s->pid) != 'S'; i++)
		usleep(1000);
	if (ret) {
		close(s->release_fd);
		s->release_fd = -1;
		wait_child(s->pid);
		s->pid = -1;
	}
	return ret;
}

/* Let the sleeper exit; its wait status (or -1). */
static inline int sleeper_stop(struct sleeper *s)
{
	int status;

	if (s->pid <= 0)
		return -1;
	if (s->release_fd >= 0)
		close(s->release_fd);
	s->release_fd = -1;
	status = wait_child(s->pid);
	s->pid = -1;
	return status;
}

/* Release the sleeper but leave it a zombie. */
static inline int sleeper_exit_unreaped(struct sleeper *s)
{
	if (s->release_fd >= 0)
		close(s->release_fd);
	s->release_fd = -1;
	return wait_zombie(s->pid);
}

/* ---------------------------------------------------------------------
 * Exec helper protocol: the child execs /proc/self/exe with
 *   argv = { "restrack_test", HELPER_ARG, mode, wfd, arg }
 * The helper writes one struct helper_report (its fetch of itself) to wfd.
 */
struct helper_report {
	long ret;
	int err;
	int pid;
	struct per_proc_resource st;
};

static inline void helper_fill(struct helper_report *r)
{
	memset(r, 0, sizeof(*r));
	errno = 0;
	r->ret = rt_fetch(&r->st, getpid());
	r->err = r->ret ? errno : 0;
	r->pid = (int)getpid();
}

/* In a child: exec the helper mode; only returns by _exit(127). */
static inline void exec_helper(const char *mode, int wfd, long arg)
{
	char fdbuf[32], argbuf[32];
	char *argv[] = { "restrack_test", HELPER_ARG, (char *)mode, fdbuf,
			 argbuf, NULL };

	snprintf(fdbuf, sizeof(fdbuf), "%d", wfd);
	snprintf(argbuf, sizeof(argbuf), "%ld", arg);
	execv("/proc/self/exe", argv);
	_exit(127);
}

/* ---------------------------------------------------------------------
 * /proc/tracker_status.
 */
struct status_line {
	long pid;
	unsigned long heap;
	unsigned long files;
	long heap_quota_mb;
	long file_quota;
	char state;
	char comm[64];
};

/* The whole file into buf (NUL-terminated); length or -1. */
static inline ssize_t status_read(char *buf, size_t size)
{
	return read_file(STATUS_PATH, buf, size);
}

/*
 * Parse one line (up to '\n' or NUL) strictly: six fields separated by
 * exactly one space, then COMM (the rest of the line).
 */
static inline bool status_parse_line(const char *line, struct status_line *out)
{
	const char *p = line, *end;
	char *e;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->pid = strtol(p, &e, 10);
	if (e == p || *e != ' ')
		return false;
	p = e + 1;
	if (*p == '-')
		return false;
	out->heap = strtoul(p, &e, 10);
	if (e == p || *e != ' ')
		return false;
	p = e + 1;
	if (*p == '-')
		return false;
	out->files = strtoul(p, &e, 10);
	if (e == p || *e != ' ')
		return false;
	p = e + 1;
	out->heap_quota_mb = strtol(p, &e, 10);
	if (e == p || *e != ' ')
		return false;
	p = e + 1;
	out->file_quota = strtol(p, &e, 10);
	if (e == p || *e != ' ')
		return false;
	p = e + 1;
	if (!*p || *p == ' ' || *p == '\n' || p[1] != ' ')
		return false;
	out->state = *p;
	p += 2;
	end = strchr(p, '\n');
	n = end ? (size_t)(end - p) : strlen(p);
	if (n == 0 || n >= sizeof(out->comm))
		return false;
	memcpy(out->comm, p, n);
	out->comm[n] = '\0';
	return true;
}

/* Find the line of @pid after the header: 1 found, 0 absent, -1 bad line. */
static inline int status_find(const char *buf, pid_t pid, struct status_line *out)
{
	const char *line = strchr(buf, '\n');
	struct status_line tmp;

	if (!line)
		return 0;
	for (line++; *line; ) {
		const char *next = strchr(line, '\n');

		if (!status_parse_line(line, &tmp))
			return -1;
		if (tmp.pid == pid) {
			*out = tmp;
			return 1;
		}
		if (!next)
			break;
		line = next + 1;
	}
	return 0;
}

/* The pidfd calls exist: restrack_pidfd_get() checks its size first. */
static inline bool pidfd_calls_present(void)
{
	errno = 0;
	return !(rt_pidfd_get(-1, NULL, 0, 0) == -1 && errno == ENOSYS);
}

#define REQUIRE_PIDFD_CALLS() do { \
	if (!pidfd_calls_present()) \
		SKIP(return, "restrack pidfd calls not present (ENOSYS)"); \
} while (0)

#ifdef _CONSTRUCTOR_ORDER_BACKWARD
/* 6.1 harness: what TEST_HARNESS_MAIN adds besides main(). */
static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}
#endif

/* TEST_HARNESS_MAIN, plus the helper mode: argv[1] == HELPER_ARG runs @helper. */
#define RESTRACK_HARNESS_MAIN(helper) \
int main(int argc, char **argv) \
{ \
	if (argc >= 2 && !strcmp(argv[1], HELPER_ARG)) \
		return helper(argc, argv); \
	return test_harness_run(argc, argv); \
}

#endif /* RESTRACK_HELPERS_H */
