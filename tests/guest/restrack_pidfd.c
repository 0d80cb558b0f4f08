// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the resource tracker's pidfd calls (Documentation/restrack.rst,
 * "The pidfd calls"): restrack_pidfd_register(), restrack_pidfd_set_quota()
 * and restrack_pidfd_get().
 *
 *  arguments:    every flag, mask bit and action; unknown ones EINVAL; the
 *	struct sizes older, exact, newer with a zero tail, newer with a
 *	garbage tail (E2BIG) and too small (EINVAL); a pidfd of a reaped or
 *	exited process (ESRCH), an fd that is no pidfd (EBADF); nothing
 *	changes when a call fails.
 *  actions:      kill (a quota below the usage kills at once) and deny
 *	(ENOMEM, EMFILE, the process lives and never holds more).
 *  inheritance:  across fork, clone, vfork and exec, the "sh -c" shape
 *	(each of three children crossing the quota is killed, the parent
 *	lives), not across threads, not without the flag.
 *  the kill's reason:  read by the parent on the zombie after
 *	waitid(WNOWAIT), as an unprivileged user with dmesg_restrict=1, and
 *	inside a new pid namespace.
 *  peaks:        heap and files high-water since registration.
 *
 * Built static; every exec re-executes /proc/self/exe in a helper mode
 * (see main()).  Runs as root; on a kernel without the calls every test
 * skips.
 */
#define _GNU_SOURCE

/*
 * kselftest_harness.h is not -Wextra clean (unused "variant" parameter in
 * every TEST() wrapper, in both the 6.1 and the 6.12 versions).
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/types.h>

#include "kselftest_harness.h"
#include "restrack_helpers.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define QA_SIZE		sizeof(struct restrack_quota_args)
#define INFO_SIZE	sizeof(struct restrack_info)
#define NCHILDREN	3

_Static_assert(__NR_restrack_pidfd_register == 553, "number");
_Static_assert(__NR_restrack_pidfd_set_quota == 554, "number");
_Static_assert(__NR_restrack_pidfd_get == 555, "number");
_Static_assert(RESTRACK_QUOTA_ARGS_SIZE_VER1 == sizeof(struct restrack_quota_args),
	       "size");
_Static_assert(RESTRACK_INFO_SIZE_VER1 == sizeof(struct restrack_info), "size");

static int pidfd_of(pid_t pid)
{
	return (int)syscall(__NR_pidfd_open, (long)pid, 0L);
}

static struct restrack_quota_args qargs(__u64 mask, __u64 heap, __u64 files,
					__u32 heap_action, __u32 files_action)
{
	struct restrack_quota_args a;

	memset(&a, 0, sizeof(a));
	a.mask = mask;
	a.heap_bytes = heap;
	a.files = files;
	a.heap_action = heap_action;
	a.files_action = files_action;
	return a;
}

static long set_quota(int pidfd, __u64 mask, __u64 heap, __u64 files,
		      __u32 heap_action, __u32 files_action)
{
	struct restrack_quota_args a = qargs(mask, heap, files, heap_action,
					     files_action);

	return rt_pidfd_set_quota(pidfd, &a, sizeof(a), 0);
}

/* Register the calling process with @flags: its pidfd, or -1. */
static int register_self(unsigned int flags)
{
	int fd = pidfd_of(getpid());

	if (fd >= 0 && rt_pidfd_register(fd, flags)) {
		close(fd);
		return -1;
	}
	return fd;
}

static long get_info(int pidfd, struct restrack_info *info)
{
	memset(info, 0, sizeof(*info));
	return rt_pidfd_get(pidfd, info, sizeof(*info), 0);
}

/* Is the process's heap over @quota bytes?  For a self check. */
static __u64 self_heap(void)
{
	struct restrack_info info;
	int fd = pidfd_of(getpid());

	if (fd < 0 || get_info(fd, &info))
		info.heap_bytes = 0;
	if (fd >= 0)
		close(fd);
	return info.heap_bytes;
}

/* ---------------------------------------------------------------------
 * Waiters: children that block until released, then exit 0.
 */
struct waiter {
	pid_t pid;
	int pidfd;
	int release;	/* write end: close to release */
};

/* @nobody: the waiter drops to uid 65534 first. */
static int waiter_start(struct waiter *w, bool nobody)
{
	int go[2], ready[2];
	char c = 0;

	if (pipe(go) || pipe(ready))
		return -1;
	fflush(stdout);
	w->pid = fork();
	if (w->pid < 0)
		return -1;
	if (w->pid == 0) {
		close(go[1]);
		close(ready[0]);
		if (nobody && become_nobody())
			_exit(90);
		if (write(ready[1], &c, 1) != 1)
			_exit(91);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	w->release = go[1];
	if (read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		return -1;
	}
	close(ready[0]);
	w->pidfd = pidfd_of(w->pid);
	return w->pidfd < 0 ? -1 : 0;
}

/* Release the waiter and reap it; its wait status. */
static int waiter_stop(struct waiter *w)
{
	close(w->release);
	close(w->pidfd);
	return wait_child(w->pid);
}

/* Start a waiter and register it without flags. */
static void start_registered(struct __test_metadata *_metadata,
			     struct waiter *w)
{
	ASSERT_EQ(0, waiter_start(w, false));
	ASSERT_SYSOK(rt_pidfd_register(w->pidfd, 0));
}

/* Wait for the child behind @pidfd to exit, leaving it a zombie. */
static int wait_pidfd_nowait(int pidfd, siginfo_t *si)
{
	memset(si, 0, sizeof(*si));
	while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, si, WEXITED | WNOWAIT) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* Open @n descriptors of /dev/null; how many opened. */
static long open_n(long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (open("/dev/null", O_RDONLY) < 0)
			break;
	return i;
}

/* A child process's result: exit 0, or the line that failed. */
#define CHILD_ASSERT(_cond) do { \
	if (!(_cond)) { \
		fprintf(stderr, "child %d: line %d: %s (errno %d: %s)\n", \
			(int)getpid(), __LINE__, #_cond, errno, \
			strerror(errno)); \
		_exit(100); \
	} \
} while (0)

/*
 * Register the calling process with @flags and the quotas in @mask, @action
 * each, @heap_room and @files_room above its usage then (*@before): its
 * pidfd, or -1.
 */
static int quota_self(unsigned int flags, __u64 mask, __u64 heap_room,
		      __u64 files_room, __u32 action,
		      struct restrack_info *before)
{
	int fd = register_self(flags);

	if (fd < 0)
		return -1;
	if (get_info(fd, before) == 0 &&
	    set_quota(fd, mask, before->heap_bytes + heap_room,
		      before->files + files_room, action, action) == 0)
		return fd;
	close(fd);
	return -1;
}

/* Run @fn in a child process, which exits 0 when it returns: its status. */
static int in_child(void (*fn)(void))
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fn();
		_exit(0);
	}
	return wait_child(pid);
}

/* _status is evaluated once. */
#define EXPECT_EXIT0(_status) do { \
	int __st = (_status); \
	EXPECT_TRUE(WIFEXITED(__st) && WEXITSTATUS(__st) == 0) \
		TH_LOG("child status 0x%x", (unsigned int)__st); \
} while (0)

#define EXPECT_SIGKILLED(_status) do { \
	int __st = (_status); \
	EXPECT_TRUE(WIFSIGNALED(__st) && WTERMSIG(__st) == SIGKILL) \
		TH_LOG("child status 0x%x, want SIGKILL", (unsigned int)__st); \
} while (0)

/* ---------------------------------------------------------------------
 * First of all tests, so that in a fresh boot it makes the first
 * registration through restrack_pidfd_register(), which starts the
 * counting of descriptors (restrack_files_key): the table of the process
 * registered must be counted from its bitmap, with the descriptors opened
 * before, so that its peak is exact.
 */
TEST(first_pidfd_register_counts_descriptors_opened_before)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct restrack_info a, b;
		int fd, first;
		long i;

		close_fds_range(3, ~0U);
		first = 3;
		CHILD_ASSERT(open_n(20) == 20);
		fd = pidfd_of(getpid());
		CHILD_ASSERT(fd == 23);
		CHILD_ASSERT(rt_pidfd_register(fd, 0) == 0);
		CHILD_ASSERT(get_info(fd, &a) == 0);
		CHILD_ASSERT(a.files == 24 && a.files_peak == 24);
		CHILD_ASSERT(open_n(10) == 10);
		for (i = first; i < first + 15; i++)
			CHILD_ASSERT(close((int)i) == 0);
		CHILD_ASSERT(get_info(fd, &b) == 0);
		CHILD_ASSERT(b.files == 24 + 10 - 15);
		CHILD_ASSERT(b.files_peak == 24 + 10);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
}

/* ---------------------------------------------------------------------
 * restrack_pidfd_register()
 */
TEST(register_unknown_flags_einval)
{
	struct restrack_info info;
	struct waiter w;
	int bit;

	REQUIRE_PIDFD_CALLS();
	ASSERT_EQ(0, waiter_start(&w, false));
	for (bit = 1; bit < 32; bit++)
		EXPECT_ERRNO(EINVAL, rt_pidfd_register(w.pidfd, 1U << bit));
	/* Checked before the pidfd. */
	EXPECT_ERRNO(EINVAL, rt_pidfd_register(-1, 2));
	EXPECT_ERRNO(ENOENT, get_info(w.pidfd, &info));
	EXPECT_SYSOK(rt_pidfd_register(w.pidfd, RESTRACK_INHERIT));
	EXPECT_SYSOK(get_info(w.pidfd, &info));
	EXPECT_EQ((__u64)RESTRACK_INHERIT, info.flags);
	EXPECT_EXIT0(waiter_stop(&w));
}

TEST(register_without_inherit_reports_no_flag)
{
	struct restrack_info info;
	struct waiter w;

	REQUIRE_PIDFD_CALLS();
	ASSERT_EQ(0, waiter_start(&w, false));
	EXPECT_SYSOK(rt_pidfd_register(w.pidfd, 0));
	EXPECT_SYSOK(get_info(w.pidfd, &info));
	EXPECT_EQ(0ULL, info.flags);
	EXPECT_EQ(RESTRACK_NO_QUOTA, info.heap_quota);
	EXPECT_EQ(RESTRACK_NO_QUOTA, info.files_quota);
	EXPECT_EQ(0U, info.heap_action);
	EXPECT_EQ(0U, info.files_action);
	EXPECT_EQ(0ULL, info.killed);
	EXPECT_LT(0ULL, info.heap_bytes);
	EXPECT_LE(3ULL, info.files);
	EXPECT_EXIT0(waiter_stop(&w));
}

TEST(register_not_a_pidfd_ebadf)
{
	int fd;

	REQUIRE_PIDFD_CALLS();
	EXPECT_ERRNO(EBADF, rt_pidfd_register(-1, 0));
	fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_ERRNO(EBADF, rt_pidfd_register(fd, 0));
	close(fd);
	/* A closed descriptor. */
	EXPECT_ERRNO(EBADF, rt_pidfd_register(fd, 0));
}

TEST(register_exited_esrch)
{
	pid_t pid;
	int fd;

	REQUIRE_PIDFD_CALLS();
	/* A zombie: exited, not reaped. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	fd = pidfd_of(pid);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, wait_zombie(pid));
	EXPECT_ERRNO(ESRCH, rt_pidfd_register(fd, 0));
	EXPECT_ERRNO(ESRCH, set_quota(fd, RESTRACK_QUOTA_HEAP, MiB, 0, 0, 0));
	/* Reaped. */
	wait_child(pid);
	EXPECT_ERRNO(ESRCH, rt_pidfd_register(fd, 0));
	EXPECT_ERRNO(ESRCH, set_quota(fd, RESTRACK_QUOTA_HEAP, MiB, 0, 0, 0));
	EXPECT_ERRNO(ESRCH, rt_pidfd_get(fd, NULL, INFO_SIZE, 0));
	close(fd);
}

TEST(register_init_and_kthread_einval)
{
	int fd;

	REQUIRE_PIDFD_CALLS();
	REQUIRE_ROOT();
	fd = pidfd_of(1);
	ASSERT_LE(0, fd);
	EXPECT_ERRNO(EINVAL, rt_pidfd_register(fd, RESTRACK_INHERIT));
	close(fd);
	if (is_kthread(2)) {
		fd = pidfd_of(2);
		if (fd >= 0) {
			EXPECT_ERRNO(EINVAL, rt_pidfd_register(fd, 0));
			close(fd);
		}
	}
}

TEST(register_twice_eexist)
{
	struct waiter w;

	REQUIRE_PIDFD_CALLS();
	ASSERT_EQ(0, waiter_start(&w, false));
	EXPECT_SYSOK(rt_pidfd_register(w.pidfd, 0));
	EXPECT_ERRNO(EEXIST, rt_pidfd_register(w.pidfd, RESTRACK_INHERIT));
	EXPECT_ERRNO(EEXIST, rt_register(w.pid));
	EXPECT_SYSOK(rt_deregister(w.pid));
	/* The old register, then the new one. */
	EXPECT_SYSOK(rt_register(w.pid));
	EXPECT_ERRNO(EEXIST, rt_pidfd_register(w.pidfd, 0));
	EXPECT_EXIT0(waiter_stop(&w));
}

TEST(register_other_user_eperm)
{
	struct waiter w;
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	REQUIRE_ROOT();
	ASSERT_EQ(0, waiter_start(&w, false));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct restrack_info info;

		CHILD_ASSERT(become_nobody() == 0);
		errno = 0;
		CHILD_ASSERT(rt_pidfd_register(w.pidfd, 0) == -1 && errno == EPERM);
		errno = 0;
		CHILD_ASSERT(rt_pidfd_register(w.pidfd, RESTRACK_INHERIT) == -1 &&
			     errno == EPERM);
		errno = 0;
		CHILD_ASSERT(get_info(w.pidfd, &info) == -1 && errno == EPERM);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
	/* Root registers it, the nobody process may still not read or set it. */
	EXPECT_SYSOK(rt_pidfd_register(w.pidfd, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct restrack_info info;

		CHILD_ASSERT(become_nobody() == 0);
		errno = 0;
		CHILD_ASSERT(get_info(w.pidfd, &info) == -1 && errno == EPERM);
		errno = 0;
		CHILD_ASSERT(set_quota(w.pidfd, RESTRACK_QUOTA_FILES, 0,
				       100, 0, 0) == -1 && errno == EPERM);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
	EXPECT_EXIT0(waiter_stop(&w));
}

/* ---------------------------------------------------------------------
 * restrack_pidfd_set_quota(): arguments.
 */
FIXTURE(tracked) {
	struct waiter w;
	struct restrack_info before;
};

FIXTURE_SETUP(tracked)
{
	REQUIRE_PIDFD_CALLS();
	start_registered(_metadata, &self->w);
	ASSERT_SYSOK(set_quota(self->w.pidfd,
			       RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES,
			       512 * MiB, 500, RESTRACK_ACTION_KILL,
			       RESTRACK_ACTION_DENY));
	ASSERT_SYSOK(get_info(self->w.pidfd, &self->before));
}

FIXTURE_TEARDOWN(tracked)
{
	if (self->w.pid > 0)
		waiter_stop(&self->w);
}

/* The quotas are still those of the setup. */
#define EXPECT_UNCHANGED() do { \
	struct restrack_info __now; \
	EXPECT_SYSOK(get_info(self->w.pidfd, &__now)); \
	EXPECT_EQ(512 * MiB, __now.heap_quota); \
	EXPECT_EQ(500ULL, __now.files_quota); \
	EXPECT_EQ((__u32)RESTRACK_ACTION_KILL, __now.heap_action); \
	EXPECT_EQ((__u32)RESTRACK_ACTION_DENY, __now.files_action); \
} while (0)

TEST_F(tracked, set_quota_flags_einval)
{
	struct restrack_quota_args a = qargs(RESTRACK_QUOTA_HEAP, MiB, 0, 0, 0);
	int bit;

	for (bit = 0; bit < 32; bit++)
		EXPECT_ERRNO(EINVAL, rt_pidfd_set_quota(self->w.pidfd, &a,
							sizeof(a), 1U << bit));
	EXPECT_UNCHANGED();
}

TEST_F(tracked, set_quota_unknown_mask_action_einval)
{
	struct restrack_quota_args a;
	int bit;

	for (bit = 2; bit < 64; bit++) {
		a = qargs(RESTRACK_QUOTA_HEAP | (1ULL << bit), MiB, 0, 0, 0);
		EXPECT_ERRNO(EINVAL, rt_pidfd_set_quota(self->w.pidfd, &a,
							sizeof(a), 0));
	}
	a = qargs(RESTRACK_QUOTA_HEAP, MiB, 0, 2, 0);
	EXPECT_ERRNO(EINVAL, rt_pidfd_set_quota(self->w.pidfd, &a, sizeof(a), 0));
	a = qargs(RESTRACK_QUOTA_FILES, 0, 10, 0, 0x80000000U);
	EXPECT_ERRNO(EINVAL, rt_pidfd_set_quota(self->w.pidfd, &a, sizeof(a), 0));
	/* An action is checked even for the quota the mask leaves alone. */
	a = qargs(RESTRACK_QUOTA_HEAP, MiB, 0, 0, 3);
	EXPECT_ERRNO(EINVAL, rt_pidfd_set_quota(self->w.pidfd, &a, sizeof(a), 0));
	/* A file quota is a count up to INT_MAX. */
	a = qargs(RESTRACK_QUOTA_FILES, 0, (__u64)INT_MAX + 1, 0, 0);
	EXPECT_ERRNO(EINVAL, rt_pidfd_set_quota(self->w.pidfd, &a, sizeof(a), 0));
	EXPECT_UNCHANGED();
}

TEST_F(tracked, set_quota_sizes)
{
	struct {
		struct restrack_quota_args a;
		__u64 tail[2];
	} big;
	struct restrack_info now;
	char *page;

	memset(&big, 0, sizeof(big));
	big.a = qargs(RESTRACK_QUOTA_FILES, 0, 400, 0, RESTRACK_ACTION_DENY);
	/* Too small: EINVAL, whatever the pidfd. */
	EXPECT_ERRNO(EINVAL, rt_pidfd_set_quota(self->w.pidfd, &big, 0, 0));
	EXPECT_ERRNO(EINVAL, rt_pidfd_set_quota(self->w.pidfd, &big,
						RESTRACK_QUOTA_ARGS_SIZE_VER0 - 1, 0));
	EXPECT_ERRNO(EINVAL, rt_pidfd_set_quota(-1, &big, 8, 0));
	/* Newer with a garbage tail: E2BIG, nothing set. */
	big.tail[1] = 1;
	EXPECT_ERRNO(E2BIG, rt_pidfd_set_quota(self->w.pidfd, &big, sizeof(big), 0));
	EXPECT_UNCHANGED();
	/* Larger than a page: E2BIG. */
	EXPECT_ERRNO(E2BIG, rt_pidfd_set_quota(self->w.pidfd, &big,
					       page_size() + 8, 0));
	/* A bad pointer: EFAULT, nothing set. */
	EXPECT_ERRNO(EFAULT, rt_pidfd_set_quota(self->w.pidfd, (void *)8,
						QA_SIZE, 0));
	EXPECT_UNCHANGED();

	/* Newer with a zero tail: taken. */
	big.tail[1] = 0;
	EXPECT_SYSOK(rt_pidfd_set_quota(self->w.pidfd, &big, sizeof(big), 0));
	EXPECT_SYSOK(get_info(self->w.pidfd, &now));
	EXPECT_EQ(400ULL, now.files_quota);
	EXPECT_EQ((__u32)RESTRACK_ACTION_DENY, now.files_action);
	EXPECT_EQ(512 * MiB, now.heap_quota);

	/* Exact size. */
	big.a = qargs(RESTRACK_QUOTA_FILES, 0, 300, 0, RESTRACK_ACTION_DENY);
	EXPECT_SYSOK(rt_pidfd_set_quota(self->w.pidfd, &big.a, QA_SIZE, 0));
	EXPECT_SYSOK(get_info(self->w.pidfd, &now));
	EXPECT_EQ(300ULL, now.files_quota);

	/*
	 * Older (VER0, without the actions): the actions read as zero, the
	 * kill action; the fields past the size are not read.
	 */
	big.a = qargs(RESTRACK_QUOTA_HEAP, 256 * MiB, 0, RESTRACK_ACTION_DENY,
		      77);
	EXPECT_SYSOK(rt_pidfd_set_quota(self->w.pidfd, &big.a,
					RESTRACK_QUOTA_ARGS_SIZE_VER0, 0));
	EXPECT_SYSOK(get_info(self->w.pidfd, &now));
	EXPECT_EQ(256 * MiB, now.heap_quota);
	EXPECT_EQ((__u32)RESTRACK_ACTION_KILL, now.heap_action);
	EXPECT_EQ(300ULL, now.files_quota);

	/* A struct that ends at the end of a mapping, with a zero tail. */
	page = mmap(NULL, 2 * page_size(), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, munmap(page + page_size(), page_size()));
	memset(page, 0, page_size());
	big.a = qargs(RESTRACK_QUOTA_FILES, 0, 200, 0, 0);
	memcpy(page, &big.a, QA_SIZE);
	EXPECT_SYSOK(rt_pidfd_set_quota(self->w.pidfd, page, page_size(), 0));
	EXPECT_SYSOK(get_info(self->w.pidfd, &now));
	EXPECT_EQ(200ULL, now.files_quota);
	munmap(page, page_size());
}

TEST_F(tracked, set_quota_mask_selects_and_no_quota_removes)
{
	struct restrack_info now;

	/* A mask of 0 sets nothing. */
	EXPECT_SYSOK(set_quota(self->w.pidfd, 0, 1, 1, 0, 0));
	EXPECT_UNCHANGED();
	/* Heap only: the file quota and its action stay. */
	EXPECT_SYSOK(set_quota(self->w.pidfd, RESTRACK_QUOTA_HEAP, 300 * MiB,
			       1, RESTRACK_ACTION_DENY, 0));
	EXPECT_SYSOK(get_info(self->w.pidfd, &now));
	EXPECT_EQ(300 * MiB, now.heap_quota);
	EXPECT_EQ((__u32)RESTRACK_ACTION_DENY, now.heap_action);
	EXPECT_EQ(500ULL, now.files_quota);
	EXPECT_EQ((__u32)RESTRACK_ACTION_DENY, now.files_action);
	/* Files only. */
	EXPECT_SYSOK(set_quota(self->w.pidfd, RESTRACK_QUOTA_FILES, 1, 100,
			       0, RESTRACK_ACTION_KILL));
	EXPECT_SYSOK(get_info(self->w.pidfd, &now));
	EXPECT_EQ(300 * MiB, now.heap_quota);
	EXPECT_EQ(100ULL, now.files_quota);
	EXPECT_EQ((__u32)RESTRACK_ACTION_KILL, now.files_action);
	/* RESTRACK_NO_QUOTA removes one (root may lift it). */
	EXPECT_SYSOK(set_quota(self->w.pidfd, RESTRACK_QUOTA_HEAP,
			       RESTRACK_NO_QUOTA, 0, 0, 0));
	EXPECT_SYSOK(get_info(self->w.pidfd, &now));
	EXPECT_EQ(RESTRACK_NO_QUOTA, now.heap_quota);
	EXPECT_EQ(100ULL, now.files_quota);
	EXPECT_SYSOK(set_quota(self->w.pidfd, RESTRACK_QUOTA_FILES, 0,
			       RESTRACK_NO_QUOTA, 0, 0));
	EXPECT_SYSOK(get_info(self->w.pidfd, &now));
	EXPECT_EQ(RESTRACK_NO_QUOTA, now.files_quota);
	/* Now deregister needs no privilege: nothing is limited. */
	EXPECT_SYSOK(rt_deregister(self->w.pid));
}

TEST_F(tracked, set_quota_heap_bytes_rounded_up_to_a_page)
{
	struct restrack_info now;

	EXPECT_SYSOK(set_quota(self->w.pidfd, RESTRACK_QUOTA_HEAP, 100 * MiB + 1,
			       0, 0, 0));
	EXPECT_SYSOK(get_info(self->w.pidfd, &now));
	EXPECT_EQ(100 * MiB + page_size(), now.heap_quota);
	/*
	 * The largest page multiple is taken as it is; a value that would
	 * round past it (but RESTRACK_NO_QUOTA) is EINVAL, never a wrap to a
	 * tiny quota that kills.
	 */
	EXPECT_SYSOK(set_quota(self->w.pidfd, RESTRACK_QUOTA_HEAP,
			       RESTRACK_NO_QUOTA - page_size() + 1, 0, 0, 0));
	EXPECT_SYSOK(get_info(self->w.pidfd, &now));
	EXPECT_EQ(RESTRACK_NO_QUOTA - page_size() + 1, now.heap_quota);
	EXPECT_ERRNO(EINVAL, set_quota(self->w.pidfd, RESTRACK_QUOTA_HEAP,
				       RESTRACK_NO_QUOTA - 1, 0, 0, 0));
	EXPECT_ERRNO(EINVAL, set_quota(self->w.pidfd, RESTRACK_QUOTA_HEAP,
				       RESTRACK_NO_QUOTA - page_size() + 2, 0, 0, 0));
	EXPECT_SYSOK(get_info(self->w.pidfd, &now));
	EXPECT_EQ(RESTRACK_NO_QUOTA - page_size() + 1, now.heap_quota);
}

TEST_F(tracked, old_resource_cap_and_reset_seen_through_get)
{
	struct restrack_info now;

	EXPECT_SYSOK(rt_cap(self->w.pid, 200, 50));
	EXPECT_SYSOK(get_info(self->w.pidfd, &now));
	EXPECT_EQ(200 * MiB, now.heap_quota);
	EXPECT_EQ(50ULL, now.files_quota);
	EXPECT_EQ((__u32)RESTRACK_ACTION_KILL, now.heap_action);
	EXPECT_EQ((__u32)RESTRACK_ACTION_KILL, now.files_action);
	EXPECT_SYSOK(rt_reset(self->w.pid));
	EXPECT_SYSOK(get_info(self->w.pidfd, &now));
	EXPECT_EQ(RESTRACK_NO_QUOTA, now.heap_quota);
	EXPECT_EQ(RESTRACK_NO_QUOTA, now.files_quota);
}

TEST(set_quota_untracked_enoent_and_ebadf)
{
	struct waiter w;
	int fd;

	REQUIRE_PIDFD_CALLS();
	ASSERT_EQ(0, waiter_start(&w, false));
	EXPECT_ERRNO(ENOENT, set_quota(w.pidfd, RESTRACK_QUOTA_HEAP, MiB, 0, 0, 0));
	EXPECT_ERRNO(EBADF, set_quota(-1, RESTRACK_QUOTA_HEAP, MiB, 0, 0, 0));
	fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_ERRNO(EBADF, set_quota(fd, RESTRACK_QUOTA_HEAP, MiB, 0, 0, 0));
	close(fd);
	EXPECT_EXIT0(waiter_stop(&w));
}

/* An unprivileged process limits itself; lifting a limit needs privilege. */
TEST(set_quota_lifting_needs_cap_sys_resource)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	REQUIRE_ROOT();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct restrack_info info;
		int fd;

		CHILD_ASSERT(become_nobody() == 0);
		fd = register_self(RESTRACK_INHERIT);
		CHILD_ASSERT(fd >= 0);
		CHILD_ASSERT(set_quota(fd, RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES,
				       512 * MiB, 100, RESTRACK_ACTION_DENY,
				       RESTRACK_ACTION_KILL) == 0);
		/* Raise, remove, kill to deny: EPERM, nothing changes. */
		errno = 0;
		CHILD_ASSERT(set_quota(fd, RESTRACK_QUOTA_HEAP, 600 * MiB, 0,
				       RESTRACK_ACTION_DENY, 0) == -1 && errno == EPERM);
		errno = 0;
		CHILD_ASSERT(set_quota(fd, RESTRACK_QUOTA_FILES, 0,
				       RESTRACK_NO_QUOTA, 0, 0) == -1 && errno == EPERM);
		errno = 0;
		CHILD_ASSERT(set_quota(fd, RESTRACK_QUOTA_FILES, 0, 100, 0,
				       RESTRACK_ACTION_DENY) == -1 && errno == EPERM);
		errno = 0;
		CHILD_ASSERT(rt_reset(getpid()) == -1 && errno == EPERM);
		errno = 0;
		CHILD_ASSERT(rt_deregister(getpid()) == -1 && errno == EPERM);
		CHILD_ASSERT(get_info(fd, &info) == 0);
		CHILD_ASSERT(info.heap_quota == 512 * MiB && info.files_quota == 100);
		CHILD_ASSERT(info.heap_action == RESTRACK_ACTION_DENY);
		CHILD_ASSERT(info.files_action == RESTRACK_ACTION_KILL);
		/* Lower, and deny to kill: allowed. */
		CHILD_ASSERT(set_quota(fd, RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES,
				       400 * MiB, 90, RESTRACK_ACTION_KILL,
				       RESTRACK_ACTION_KILL) == 0);
		CHILD_ASSERT(get_info(fd, &info) == 0);
		CHILD_ASSERT(info.heap_quota == 400 * MiB && info.files_quota == 90);
		CHILD_ASSERT(info.heap_action == RESTRACK_ACTION_KILL);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
}

/* ---------------------------------------------------------------------
 * Actions.
 */
TEST(kill_quota_below_usage_kills_at_once)
{
	struct restrack_info info;
	struct waiter w;
	siginfo_t si;

	REQUIRE_PIDFD_CALLS();
	start_registered(_metadata, &w);
	EXPECT_SYSOK(set_quota(w.pidfd, RESTRACK_QUOTA_HEAP, page_size(), 0,
			       RESTRACK_ACTION_KILL, 0));
	ASSERT_EQ(0, wait_pidfd_nowait(w.pidfd, &si));
	EXPECT_EQ(CLD_KILLED, si.si_code);
	EXPECT_EQ(SIGKILL, si.si_status);
	EXPECT_SYSOK(get_info(w.pidfd, &info));
	EXPECT_EQ((__u64)RESTRACK_KILLED_HEAP, info.killed);
	EXPECT_EQ((__u64)page_size(), info.kill_limit);
	EXPECT_LT(info.kill_limit, info.kill_usage);
	EXPECT_SIGKILLED(waiter_stop(&w));
}

TEST(kill_file_quota_below_usage_kills_at_once)
{
	struct restrack_info info;
	struct waiter w;
	siginfo_t si;

	REQUIRE_PIDFD_CALLS();
	start_registered(_metadata, &w);
	EXPECT_SYSOK(set_quota(w.pidfd, RESTRACK_QUOTA_FILES, 0, 1, 0,
			       RESTRACK_ACTION_KILL));
	ASSERT_EQ(0, wait_pidfd_nowait(w.pidfd, &si));
	EXPECT_EQ(CLD_KILLED, si.si_code);
	EXPECT_SYSOK(get_info(w.pidfd, &info));
	EXPECT_EQ((__u64)RESTRACK_KILLED_FILES, info.killed);
	EXPECT_EQ(1ULL, info.kill_limit);
	EXPECT_LT(1ULL, info.kill_usage);
	EXPECT_SIGKILLED(waiter_stop(&w));
}

TEST(deny_quota_below_usage_only_stops_growth)
{
	struct restrack_info info;
	struct waiter w;

	REQUIRE_PIDFD_CALLS();
	start_registered(_metadata, &w);
	EXPECT_SYSOK(set_quota(w.pidfd, RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES,
			       page_size(), 1, RESTRACK_ACTION_DENY,
			       RESTRACK_ACTION_DENY));
	usleep(100000);
	EXPECT_SYSOK(get_info(w.pidfd, &info));
	EXPECT_EQ(0ULL, info.killed);
	/* Alive: it exits 0 when released. */
	EXPECT_EXIT0(waiter_stop(&w));
}

TEST(deny_heap_fails_with_enomem_and_the_process_lives)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct restrack_info info;
		__u64 quota;
		void *p, *brk0;
		long n = 0;
		int fd;

		fd = register_self(0);
		CHILD_ASSERT(fd >= 0);
		quota = self_heap() + 16 * MiB;
		CHILD_ASSERT(set_quota(fd, RESTRACK_QUOTA_HEAP, quota, 0,
				       RESTRACK_ACTION_DENY, 0) == 0);
		for (;;) {
			errno = 0;
			p = mmap(NULL, MiB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				break;
			CHILD_ASSERT(++n < 64);
			CHILD_ASSERT(self_heap() <= quota);
		}
		CHILD_ASSERT(errno == ENOMEM);
		CHILD_ASSERT(n >= 8);
		/* brk, and mprotect that makes an area data, fail the same way. */
		brk0 = sbrk(0);
		errno = 0;
		CHILD_ASSERT(sbrk(32 * MiB) == (void *)-1 && errno == ENOMEM);
		CHILD_ASSERT(sbrk(0) == brk0);
		p = mmap(NULL, 32 * MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
		CHILD_ASSERT(p != MAP_FAILED);
		errno = 0;
		CHILD_ASSERT(mprotect(p, 32 * MiB, PROT_READ | PROT_WRITE) == -1 &&
			     errno == ENOMEM);
		CHILD_ASSERT(get_info(fd, &info) == 0);
		CHILD_ASSERT(info.heap_bytes <= quota);
		CHILD_ASSERT(info.heap_peak <= quota);
		CHILD_ASSERT(info.killed == 0);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
}

TEST(deny_files_fails_with_emfile_and_the_process_lives)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct restrack_info info;
		int fd, p[2];
		__u64 quota;
		long n;

		fd = quota_self(0, RESTRACK_QUOTA_FILES, 0, 10,
				RESTRACK_ACTION_DENY, &info);
		CHILD_ASSERT(fd >= 0);
		quota = info.files + 10;
		errno = 0;
		n = open_n(100);
		CHILD_ASSERT(n == 10);
		CHILD_ASSERT(errno == EMFILE);
		errno = 0;
		CHILD_ASSERT(dup(0) == -1 && errno == EMFILE);
		errno = 0;
		CHILD_ASSERT(pipe(p) == -1 && errno == EMFILE);
		errno = 0;
		CHILD_ASSERT(fcntl(0, F_DUPFD, 0) == -1 && errno == EMFILE);
		CHILD_ASSERT(get_info(fd, &info) == 0);
		CHILD_ASSERT(info.files == quota);
		CHILD_ASSERT(info.files_peak == quota);
		CHILD_ASSERT(info.killed == 0);
		/* Room again after a close. */
		CHILD_ASSERT(close(fd) == 0);
		CHILD_ASSERT(dup(0) >= 0);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
}

/*
 * The inline descriptor check compares the count with the lower of the
 * quota and the table's high-water, so that the high-water is kept where
 * a descriptor passes it.  A quota lowered below the high-water (the deny
 * action: the process lives over it) must still hold after closes bring
 * the count under it: no descriptor past the new quota, and the high-water
 * is still the old one; a quota raised past it lets the count, and the
 * high-water, go up to the new quota exactly.
 */
TEST(deny_quota_lowered_below_the_peak_holds)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct restrack_info info;
		__u64 peak, low, high;
		int fd, i, opened[30];

		close_fds_range(3, ~0U);
		fd = register_self(0);
		CHILD_ASSERT(fd >= 0);
		CHILD_ASSERT(set_quota(fd, RESTRACK_QUOTA_FILES, 0, 100, 0,
				       RESTRACK_ACTION_DENY) == 0);
		for (i = 0; i < 30; i++) {
			opened[i] = open("/dev/null", O_RDONLY);
			CHILD_ASSERT(opened[i] >= 0);
		}
		CHILD_ASSERT(get_info(fd, &info) == 0);
		peak = info.files;
		CHILD_ASSERT(info.files_peak == peak);
		low = peak - 10;
		CHILD_ASSERT(set_quota(fd, RESTRACK_QUOTA_FILES, 0, low, 0,
				       RESTRACK_ACTION_DENY) == 0);
		/* Over the new quota: nothing more, the process lives. */
		errno = 0;
		CHILD_ASSERT(dup(0) == -1 && errno == EMFILE);
		/* 15 closed: 5 under it, then EMFILE at it, not at the peak. */
		for (i = 0; i < 15; i++)
			CHILD_ASSERT(close(opened[i]) == 0);
		CHILD_ASSERT(open_n(100) == 5);
		CHILD_ASSERT(errno == EMFILE);
		CHILD_ASSERT(get_info(fd, &info) == 0);
		CHILD_ASSERT(info.files == low);
		CHILD_ASSERT(info.files_peak == peak);
		CHILD_ASSERT(info.killed == 0);
		/* Raised past the peak: up to the new quota, a new peak. */
		high = peak + 7;
		CHILD_ASSERT(set_quota(fd, RESTRACK_QUOTA_FILES, 0, high, 0,
				       RESTRACK_ACTION_DENY) == 0);
		errno = 0;
		CHILD_ASSERT(open_n(100) == (long)(high - low));
		CHILD_ASSERT(errno == EMFILE);
		CHILD_ASSERT(get_info(fd, &info) == 0);
		CHILD_ASSERT(info.files == high && info.files_peak == high);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
}


/*
 * Two records on one mm: the process's own with the deny action and a
 * CLONE_VM child's with the kill action and a lower quota.  Growth past
 * the kill quota kills, whatever the deny record says.
 */
static int clone_vm_child(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

TEST(kill_record_on_a_shared_mm_still_kills)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *stack = map_anon(256 * 1024, PROT_READ | PROT_WRITE);
		int fd, cfd;
		__u64 base;
		pid_t c;

		CHILD_ASSERT(stack);
		c = clone(clone_vm_child, stack + 256 * 1024, CLONE_VM | SIGCHLD,
			  NULL);
		CHILD_ASSERT(c > 0);
		fd = pidfd_of(getpid());
		cfd = pidfd_of(c);
		CHILD_ASSERT(fd >= 0 && cfd >= 0);
		CHILD_ASSERT(rt_pidfd_register(fd, 0) == 0);
		CHILD_ASSERT(rt_pidfd_register(cfd, 0) == 0);
		base = self_heap();
		CHILD_ASSERT(set_quota(fd, RESTRACK_QUOTA_HEAP, base + 64 * MiB,
				       0, RESTRACK_ACTION_DENY, 0) == 0);
		CHILD_ASSERT(set_quota(cfd, RESTRACK_QUOTA_HEAP, base + 16 * MiB,
				       0, RESTRACK_ACTION_KILL, 0) == 0);
		alloc_mib(32);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_SIGKILLED(status);
}

/* ---------------------------------------------------------------------
 * restrack_pidfd_get(): arguments.
 */
TEST_F(tracked, get_flags_and_sizes)
{
	unsigned char buf[INFO_SIZE + 16];
	struct restrack_info *info = (void *)buf;
	size_t i;
	int bit;

	for (bit = 0; bit < 32; bit++)
		EXPECT_ERRNO(EINVAL, rt_pidfd_get(self->w.pidfd, buf, INFO_SIZE,
						  1U << bit));
	EXPECT_ERRNO(EINVAL, rt_pidfd_get(self->w.pidfd, buf, 0, 0));
	EXPECT_ERRNO(EINVAL, rt_pidfd_get(self->w.pidfd, buf,
					  RESTRACK_INFO_SIZE_VER0 - 1, 0));
	EXPECT_ERRNO(E2BIG, rt_pidfd_get(self->w.pidfd, buf, page_size() + 1, 0));
	EXPECT_ERRNO(EFAULT, rt_pidfd_get(self->w.pidfd, NULL, INFO_SIZE, 0));

	/* Older (VER0): what fits, nothing past it. */
	memset(buf, 0xa5, sizeof(buf));
	EXPECT_SYSOK(rt_pidfd_get(self->w.pidfd, buf, RESTRACK_INFO_SIZE_VER0, 0));
	EXPECT_EQ(512 * MiB, info->heap_quota);
	EXPECT_EQ(500ULL, info->files_quota);
	EXPECT_EQ((__u32)RESTRACK_ACTION_DENY, info->files_action);
	for (i = RESTRACK_INFO_SIZE_VER0; i < sizeof(buf); i++)
		EXPECT_EQ(0xa5, buf[i]) TH_LOG("byte %zu written", i);

	/* Exact. */
	memset(buf, 0xa5, sizeof(buf));
	EXPECT_SYSOK(rt_pidfd_get(self->w.pidfd, buf, INFO_SIZE, 0));
	EXPECT_EQ(0ULL, info->killed);
	EXPECT_LE(info->heap_bytes, info->heap_peak);
	EXPECT_EQ(0xa5, buf[INFO_SIZE]);

	/* Newer: a zero tail. */
	memset(buf, 0xa5, sizeof(buf));
	EXPECT_SYSOK(rt_pidfd_get(self->w.pidfd, buf, sizeof(buf), 0));
	for (i = INFO_SIZE; i < sizeof(buf); i++)
		EXPECT_EQ(0, buf[i]) TH_LOG("byte %zu not cleared", i);
	EXPECT_EQ(512 * MiB, info->heap_quota);
}

TEST(get_untracked_enoent_and_ebadf)
{
	struct restrack_info info;
	struct waiter w;
	pid_t pid;
	int fd;

	REQUIRE_PIDFD_CALLS();
	ASSERT_EQ(0, waiter_start(&w, false));
	EXPECT_ERRNO(ENOENT, get_info(w.pidfd, &info));
	EXPECT_EXIT0(waiter_stop(&w));
	EXPECT_ERRNO(EBADF, get_info(-1, &info));
	fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_ERRNO(EBADF, get_info(fd, &info));
	close(fd);

	/* A zombie that was tracked and exited by itself: no reason, ENOENT. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		usleep(100000);
		_exit(0);
	}
	fd = pidfd_of(pid);
	ASSERT_LE(0, fd);
	ASSERT_SYSOK(rt_pidfd_register(fd, 0));
	ASSERT_EQ(0, wait_zombie(pid));
	EXPECT_ERRNO(ENOENT, get_info(fd, &info));
	wait_child(pid);
	EXPECT_ERRNO(ESRCH, get_info(fd, &info));
	close(fd);
}

/* ---------------------------------------------------------------------
 * Inheritance.
 */

/* In a child: register self with @flags and the quotas; 0 or -1. */
static int limit_self(unsigned int flags, __u64 mask, __u64 heap_room,
		      __u64 files_room, __u32 action)
{
	struct restrack_info info;
	int fd = quota_self(flags, mask, heap_room, files_room, action, &info);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Fork NCHILDREN that each cross the quota by @how; how many were killed. */
static int fork_crossers(bool files)
{
	int i, status, killed = 0;
	pid_t pid[NCHILDREN];

	for (i = 0; i < NCHILDREN; i++) {
		fflush(stdout);
		pid[i] = fork();
		if (pid[i] < 0)
			return -1;
		if (pid[i] == 0) {
			if (files)
				open_n(200);
			else
				alloc_mib(128);
			_exit(0);
		}
	}
	for (i = 0; i < NCHILDREN; i++) {
		status = wait_child(pid[i]);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			killed++;
	}
	return killed;
}

TEST(inherit_fork_three_children_each_killed_parent_lives)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(limit_self(RESTRACK_INHERIT, RESTRACK_QUOTA_HEAP,
					32 * MiB, 0, RESTRACK_ACTION_KILL) == 0);
		CHILD_ASSERT(fork_crossers(false) == NCHILDREN);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(limit_self(RESTRACK_INHERIT, RESTRACK_QUOTA_FILES,
					0, 20, RESTRACK_ACTION_KILL) == 0);
		CHILD_ASSERT(fork_crossers(true) == NCHILDREN);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
}

TEST(no_inheritance_without_the_flag)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(limit_self(0, RESTRACK_QUOTA_HEAP, 32 * MiB, 0,
					RESTRACK_ACTION_KILL) == 0);
		CHILD_ASSERT(fork_crossers(false) == 0);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);

	/* Nor with the old register. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_ASSERT(rt_register(getpid()) == 0);
		CHILD_ASSERT(rt_cap(getpid(), (long)(self_heap() / MiB) + 32, -1) == 0);
		CHILD_ASSERT(fork_crossers(false) == 0);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
}

/* The child's record: same quotas, actions and flags, its own usage. */
TEST(inherit_child_has_the_same_quotas_and_its_own_usage)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct restrack_info pi, ci;
		int go[2], fd, cfd;
		char c = 0;
		pid_t k;

		CHILD_ASSERT(limit_self(RESTRACK_INHERIT,
					RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES,
					64 * MiB, 50, RESTRACK_ACTION_DENY) == 0);
		CHILD_ASSERT(pipe(go) == 0);
		fd = pidfd_of(getpid());
		k = fork();
		CHILD_ASSERT(k >= 0);
		if (k == 0) {
			alloc_mib(8);
			open_n(5);
			c = 1;
			if (write(go[1], &c, 1) != 1)
				_exit(2);
			pause();
			_exit(0);
		}
		CHILD_ASSERT(read(go[0], &c, 1) == 1);
		/* Before the parent opens one more descriptor. */
		CHILD_ASSERT(fd >= 0 && get_info(fd, &pi) == 0);
		cfd = pidfd_of(k);
		CHILD_ASSERT(cfd >= 0);
		CHILD_ASSERT(get_info(cfd, &ci) == 0);
		CHILD_ASSERT(ci.flags == RESTRACK_INHERIT);
		CHILD_ASSERT(ci.heap_quota == pi.heap_quota);
		CHILD_ASSERT(ci.files_quota == pi.files_quota);
		CHILD_ASSERT(ci.heap_action == RESTRACK_ACTION_DENY);
		CHILD_ASSERT(ci.files_action == RESTRACK_ACTION_DENY);
		/* Its own: 8 MiB and 5 descriptors more than its parent. */
		CHILD_ASSERT(ci.heap_bytes >= pi.heap_bytes + 8 * MiB);
		CHILD_ASSERT(ci.files >= pi.files + 5);
		kill(k, SIGKILL);
		wait_child(k);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
}

/*
 * A child made while its parent is at its file quota holds as many in its
 * copy of the table: its first descriptor more is refused, before it has
 * closed one, after fork and after vfork.
 */
static int at_quota_child(int fd)
{
	errno = 0;
	if (dup(0) != -1 || errno != EMFILE)
		return 3;
	if (close(fd))
		return 4;
	if (dup(0) < 0)
		return 5;
	if (dup(0) != -1 || errno != EMFILE)
		return 6;
	return 0;
}

static void at_quota_parent(void)
{
	struct restrack_info info;
	int fd, status;
	__u64 quota;
	pid_t k;

	fd = quota_self(RESTRACK_INHERIT, RESTRACK_QUOTA_FILES, 0, 4,
			RESTRACK_ACTION_DENY, &info);
	CHILD_ASSERT(fd >= 0);
	quota = info.files + 4;
	errno = 0;
	CHILD_ASSERT(open_n(100) == 4 && errno == EMFILE);

	fflush(stdout);
	k = fork();
	CHILD_ASSERT(k >= 0);
	if (k == 0)
		_exit(at_quota_child(fd));
	status = wait_child(k);
	CHILD_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	k = vfork();
	CHILD_ASSERT(k >= 0);
	if (k == 0)
		_exit(at_quota_child(fd));
	status = wait_child(k);
	CHILD_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* The children's closes were in their own copies. */
	errno = 0;
	CHILD_ASSERT(dup(0) == -1 && errno == EMFILE);
	CHILD_ASSERT(get_info(fd, &info) == 0);
	CHILD_ASSERT(info.files == quota && info.killed == 0);
}

TEST(inherit_child_made_at_the_file_quota_is_refused_at_once)
{
	REQUIRE_PIDFD_CALLS();
	EXPECT_EXIT0(in_child(at_quota_parent));
}

/* clone() without CLONE_VM and with it, and a thread. */
static int clone_alloc_child(void *arg)
{
	alloc_mib((long)(intptr_t)arg);
	return 0;
}

/* A CLONE_VM|CLONE_VFORK child: exit 0 when tracked with *arg's quota. */
static int clone_vm_check_child(void *arg)
{
	const struct restrack_info *parent = arg;
	struct restrack_info info;
	int fd = pidfd_of(getpid());

	if (fd < 0 || get_info(fd, &info))
		return 1;
	if (info.flags != RESTRACK_INHERIT ||
	    info.heap_quota != parent->heap_quota)
		return 2;
	/* Charged to the shared mm: the parent's figure. */
	if (info.heap_bytes != parent->heap_bytes)
		return 3;
	return 0;
}

TEST(inherit_clone_and_clone_vm)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *stack = map_anon(256 * 1024, PROT_READ | PROT_WRITE);
		struct restrack_info ci;
		int cfd;
		pid_t c;

		CHILD_ASSERT(stack);
		CHILD_ASSERT(limit_self(RESTRACK_INHERIT, RESTRACK_QUOTA_HEAP,
					32 * MiB, 0, RESTRACK_ACTION_KILL) == 0);
		/* A clone with its own mm: killed alone. */
		c = (pid_t)syscall(SYS_clone, SIGCHLD, 0L, NULL, NULL, 0L);
		CHILD_ASSERT(c >= 0);
		if (c == 0) {
			alloc_mib(128);
			_exit(0);
		}
		status = wait_child(c);
		CHILD_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		/* A CLONE_VM child is tracked too, on the shared mm. */
		cfd = pidfd_of(getpid());
		CHILD_ASSERT(cfd >= 0 && get_info(cfd, &ci) == 0);
		c = clone(clone_vm_check_child, stack + 256 * 1024,
			  CLONE_VM | CLONE_VFORK | SIGCHLD, &ci);
		CHILD_ASSERT(c > 0);
		status = wait_child(c);
		CHILD_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);

	/* A CLONE_VM child crossing the quota kills the mm's users. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *stack = map_anon(256 * 1024, PROT_READ | PROT_WRITE);
		pid_t c;

		CHILD_ASSERT(stack);
		CHILD_ASSERT(limit_self(RESTRACK_INHERIT, RESTRACK_QUOTA_HEAP,
					32 * MiB, 0, RESTRACK_ACTION_KILL) == 0);
		c = clone(clone_alloc_child, stack + 256 * 1024,
			  CLONE_VM | SIGCHLD, (void *)(intptr_t)128);
		CHILD_ASSERT(c > 0);
		wait_child(c);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_SIGKILLED(status);
}

static void *thread_alloc(void *arg)
{
	alloc_mib((long)(intptr_t)arg);
	return NULL;
}

/* A thread is the process itself: no record of its own, the quota holds. */
TEST(inherit_not_across_threads)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pthread_t t;

		CHILD_ASSERT(limit_self(RESTRACK_INHERIT, RESTRACK_QUOTA_HEAP,
					32 * MiB, 0, RESTRACK_ACTION_KILL) == 0);
		/* A thread within the quota: the process is the same one. */
		CHILD_ASSERT(pthread_create(&t, NULL, thread_alloc,
					    (void *)(intptr_t)1) == 0);
		CHILD_ASSERT(pthread_join(t, NULL) == 0);
		errno = 0;
		CHILD_ASSERT(rt_pidfd_register(pidfd_of(getpid()), 0) == -1 &&
			     errno == EEXIST);
		/* One crossing it kills the whole process. */
		CHILD_ASSERT(pthread_create(&t, NULL, thread_alloc,
					    (void *)(intptr_t)128) == 0);
		pthread_join(t, NULL);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_SIGKILLED(status);
}

/*
 * vfork and exec: the helper mode "alloc" maps arg MiB.  The vfork child
 * shares its parent's mm until its exec, then its own mm is charged.
 */
TEST(inherit_vfork_exec_child_killed_parent_lives)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t c;
		int i, killed = 0;

		CHILD_ASSERT(limit_self(RESTRACK_INHERIT, RESTRACK_QUOTA_HEAP,
					32 * MiB, 0, RESTRACK_ACTION_KILL) == 0);
		for (i = 0; i < NCHILDREN; i++) {
			c = vfork();
			if (c == 0)
				exec_helper("alloc", -1, 128);
			CHILD_ASSERT(c > 0);
			status = wait_child(c);
			if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
				killed++;
		}
		CHILD_ASSERT(killed == NCHILDREN);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
}

/*
 * "sh -c 'a; b; c'": the test registers a process with RESTRACK_INHERIT,
 * which execs a "shell" (the helper mode "spawn"), which forks and execs
 * three commands (the helper mode "alloc" or "files") that each cross the
 * quota.  Each is killed, the shell lives and exits with the number killed.
 */
static void shell_test(struct __test_metadata *_metadata, bool files)
{
	struct restrack_info info;
	int go[2], status, fd;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		exec_helper(files ? "spawn-files" : "spawn-alloc", -1, 0);
	}
	close(go[0]);
	fd = pidfd_of(pid);
	ASSERT_LE(0, fd);
	ASSERT_SYSOK(rt_pidfd_register(fd, RESTRACK_INHERIT));
	ASSERT_SYSOK(get_info(fd, &info));
	if (files)
		ASSERT_SYSOK(set_quota(fd, RESTRACK_QUOTA_FILES, 0, 40, 0,
				       RESTRACK_ACTION_KILL));
	else
		ASSERT_SYSOK(set_quota(fd, RESTRACK_QUOTA_HEAP, 64 * MiB, 0,
				       RESTRACK_ACTION_KILL, 0));
	close(go[1]);
	status = wait_child(pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == NCHILDREN)
		TH_LOG("shell status 0x%x: want exit %d (children killed)",
		       (unsigned int)status, NCHILDREN);
	close(fd);
}

TEST(inherit_exec_shell_children_each_killed_heap)
{
	REQUIRE_PIDFD_CALLS();
	shell_test(_metadata, false);
}

TEST(inherit_exec_shell_children_each_killed_files)
{
	REQUIRE_PIDFD_CALLS();
	shell_test(_metadata, true);
}

/* ---------------------------------------------------------------------
 * The kill's reason, read by the parent on the zombie.
 */
static int write_sysctl(const char *path, const char *val, char *old, size_t oldsz)
{
	int fd;
	ssize_t n;

	fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	n = read(fd, old, oldsz - 1);
	old[n > 0 ? n : 0] = 0;
	if (pwrite(fd, val, strlen(val), 0) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* In a child: fork one that limits itself and crosses; read its reason. */
static int reason_of_crosser(bool files)
{
	struct restrack_info info;
	siginfo_t si;
	pid_t c;
	int fd;

	fflush(stdout);
	c = fork();
	if (c < 0)
		return 10;
	if (c == 0) {
		if (limit_self(0, files ? RESTRACK_QUOTA_FILES : RESTRACK_QUOTA_HEAP,
			       16 * MiB, 10, RESTRACK_ACTION_KILL))
			_exit(1);
		if (files)
			open_n(100);
		else
			alloc_mib(64);
		_exit(0);
	}
	fd = pidfd_of(c);
	if (fd < 0)
		return 11;
	if (wait_pidfd_nowait(fd, &si) || si.si_code != CLD_KILLED ||
	    si.si_status != SIGKILL)
		return 12;
	if (get_info(fd, &info))
		return 13;
	if (info.killed != (files ? RESTRACK_KILLED_FILES : RESTRACK_KILLED_HEAP))
		return 14;
	if (info.kill_usage <= info.kill_limit)
		return 15;
	if (files && info.kill_usage != info.kill_limit + 1)
		return 16;
	/* No longer tracked: usage 0, no quota. */
	if (info.heap_bytes || info.files || info.flags ||
	    info.heap_quota != RESTRACK_NO_QUOTA)
		return 17;
	wait_child(c);
	errno = 0;
	if (get_info(fd, &info) != -1 || errno != ESRCH)
		return 18;
	close(fd);
	return 0;
}

TEST(kill_reason_read_on_the_zombie_unprivileged_dmesg_restrict)
{
	char old[16];
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	REQUIRE_ROOT();
	ASSERT_EQ(0, write_sysctl("/proc/sys/kernel/dmesg_restrict", "1", old,
				  sizeof(old)));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[64];
		int r;

		CHILD_ASSERT(become_nobody() == 0);
		/* The kernel log is out of reach. */
		errno = 0;
		CHILD_ASSERT(klogctl(3, buf, sizeof(buf)) == -1 && errno == EPERM);
		r = reason_of_crosser(false);
		if (r)
			_exit(r);
		_exit(reason_of_crosser(true));
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
	write_sysctl("/proc/sys/kernel/dmesg_restrict", old, old, sizeof(old));
}

TEST(kill_reason_read_inside_a_pid_namespace)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	REQUIRE_ROOT();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t init;

		CHILD_ASSERT(unshare(CLONE_NEWPID) == 0);
		init = fork();
		CHILD_ASSERT(init >= 0);
		if (init == 0) {
			int r;

			CHILD_ASSERT(getpid() == 1);
			r = reason_of_crosser(false);
			if (r)
				_exit(r);
			_exit(reason_of_crosser(true));
		}
		status = wait_child(init);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 99);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
}

/* A pid namespace's init made by a process with RESTRACK_INHERIT inherits. */
TEST(inherit_reaches_a_new_pid_namespace_init)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	REQUIRE_ROOT();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pid_t init;

		CHILD_ASSERT(limit_self(RESTRACK_INHERIT, RESTRACK_QUOTA_HEAP,
					32 * MiB, 0, RESTRACK_ACTION_KILL) == 0);
		CHILD_ASSERT(unshare(CLONE_NEWPID) == 0);
		init = fork();
		CHILD_ASSERT(init >= 0);
		if (init == 0) {
			alloc_mib(128);
			_exit(0);
		}
		status = wait_child(init);
		CHILD_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
}

/* ---------------------------------------------------------------------
 * Peaks.
 */
TEST(peaks_heap_and_files_since_registration)
{
	int status;
	pid_t pid;

	REQUIRE_PIDFD_CALLS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct restrack_info a, b;
		int fd, fds[30];
		void *p;
		long i;

		fd = register_self(0);
		CHILD_ASSERT(fd >= 0);
		CHILD_ASSERT(get_info(fd, &a) == 0);
		CHILD_ASSERT(a.heap_peak >= a.heap_bytes);
		CHILD_ASSERT(a.files_peak >= a.files);

		p = mmap(NULL, 8 * MiB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHILD_ASSERT(p != MAP_FAILED);
		memset(p, 1, 8 * MiB);
		CHILD_ASSERT(munmap(p, 8 * MiB) == 0);

		for (i = 0; i < 30; i++) {
			fds[i] = dup(0);
			CHILD_ASSERT(fds[i] >= 0);
		}
		for (i = 0; i < 30; i++)
			CHILD_ASSERT(close(fds[i]) == 0);

		CHILD_ASSERT(get_info(fd, &b) == 0);
		CHILD_ASSERT(b.heap_peak >= a.heap_bytes + 8 * MiB);
		CHILD_ASSERT(b.heap_bytes < b.heap_peak);
		CHILD_ASSERT(b.files == a.files);
		CHILD_ASSERT(b.files_peak >= 30 + 3);
		CHILD_ASSERT(b.files_peak >= a.files + 30);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EXIT0(status);
}

/* =====================================================================
 * main: the helper modes, else the harness.
 *   argv = { name, HELPER_ARG, mode, wfd, arg }
 */
static int helper_main(int argc, char **argv)
{
	int i, status, killed = 0;
	const char *mode;
	pid_t c;

	if (argc < 5)
		return 2;
	mode = argv[2];
	if (!strcmp(mode, "alloc")) {
		alloc_mib(atol(argv[4]));
		return 0;
	}
	if (!strcmp(mode, "files")) {
		open_n(atol(argv[4]));
		return 0;
	}
	if (strcmp(mode, "spawn-alloc") && strcmp(mode, "spawn-files"))
		return 2;
	/* A "shell": three commands one after another, each its own exec. */
	for (i = 0; i < NCHILDREN; i++) {
		fflush(stdout);
		c = fork();
		if (c < 0)
			return 20;
		if (c == 0) {
			if (!strcmp(mode, "spawn-alloc"))
				exec_helper("alloc", -1, 256);
			exec_helper("files", -1, 200);
		}
		status = wait_child(c);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			killed++;
	}
	return killed;
}

/* TEST_HARNESS_MAIN, plus the helper mode. */
RESTRACK_HARNESS_MAIN(helper_main)
