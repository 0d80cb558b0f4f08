// SPDX-License-Identifier: GPL-2.0
/*
 * Guest tests for the resource tracker (Documentation/restrack.rst).
 *
 * One TEST() per behaviour; argument checks in the order the system calls
 * perform them.  Built static; the initramfs holds only this binary, so
 * every exec re-executes /proc/self/exe in a helper mode (see main()).
 *
 * The tests run as root with all capabilities.  Unprivileged cases fork a
 * child that switches to uid/gid 65534; root's processes are the targets.
 * Tests that need /proc/tracker_status skip when it is absent.  On a kernel
 * without the system calls every test but all_calls_exist skips.
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
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include "kselftest_harness.h"
#include "restrack_helpers.h"

#define RW (PROT_READ | PROT_WRITE)

/* Generic dispatch used by the "every call" errno tests. */
enum rt_call { C_REGISTER, C_FETCH, C_DEREGISTER, C_CAP, C_RESET };

static long do_call(enum rt_call call, pid_t pid)
{
	struct per_proc_resource st;

	switch (call) {
	case C_REGISTER:
		return rt_register(pid);
	case C_FETCH:
		return rt_fetch(&st, pid);
	case C_DEREGISTER:
		return rt_deregister(pid);
	case C_CAP:
		return rt_cap(pid, 100, 100);
	case C_RESET:
		return rt_reset(pid);
	}
	errno = EINVAL;
	return -1;
}

/* ---------------------------------------------------------------------
 * Small fd helpers.
 */
static int send_fd(int sock, int fd)
{
	return send_fds(sock, &fd, 1);
}

static int recv_fd(int sock)
{
	int fd, n, flags;

	if (recv_fds(sock, &fd, 1, &n, &flags) != 1 || n != 1)
		return -1;
	return fd;
}

/* Autobound abstract AF_UNIX listener and a connected client. */
static int unix_listener(int *client)
{
	struct sockaddr_un addr;
	socklen_t len = sizeof(addr);
	int l, c;

	l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0)
		return -1;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (bind(l, (struct sockaddr *)&addr, sizeof(sa_family_t)) ||
	    listen(l, 8) ||
	    getsockname(l, (struct sockaddr *)&addr, &len)) {
		close(l);
		return -1;
	}
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&addr, len)) {
		close(l);
		if (c >= 0)
			close(c);
		return -1;
	}
	*client = c;
	return l;
}

static int drop_cap_sys_resource(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[2];
	const __u32 bit = 1U << CAP_SYS_RESOURCE;

	if (prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0))
		return -1;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[0].effective &= ~bit;
	data[0].permitted &= ~bit;
	data[0].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, data))
		return -1;
	memset(data, 0xff, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capget, &hdr, data))
		return -1;
	return (data[0].effective & bit) ? -1 : 0;
}

/* =====================================================================
 * Presence.
 */

/* The five numbers are wired up (anything but ENOSYS); pid 0 is EINVAL. */
TEST(all_calls_exist)
{
	struct per_proc_resource st;

	EXPECT_ERRNO(EINVAL, rt_register(0));
	EXPECT_ERRNO(EINVAL, rt_fetch(&st, 0));
	EXPECT_ERRNO(EINVAL, rt_deregister(0));
	EXPECT_ERRNO(EINVAL, rt_cap(0, -1, -1));
	EXPECT_ERRNO(EINVAL, rt_reset(0));
}

/* =====================================================================
 * Arming.  The kernel keeps a file table's descriptor count only once the
 * first process has been registered, and then counts every table afresh.
 * So this test comes before every other that registers: a child changes
 * its table (grows it past its first 64 slots, closes some) before the
 * tracker is armed, and the count must be right once it is, and stay right
 * as the child opens and closes more.
 */
struct arm_pipes {
	int ready[2];	/* child -> parent: val[] has a new count */
	int go[2];	/* parent -> child: carry on */
};

static int arm_child(struct shared *sh, void *arg)
{
	struct arm_pipes *p = arg;
	char c = 0;
	int i, fd[100];

	close(p->ready[0]);
	close(p->go[1]);
	for (i = 0; i < 100; i++)
		CHILD_CHECK(sh, (fd[i] = dup(p->go[0])) >= 0);
	for (i = 40; i < 60; i++)
		close(fd[i]);
	sh->val[0] = (long)count_open_fds();
	CHILD_CHECK(sh, write(p->ready[1], &c, 1) == 1);
	CHILD_CHECK(sh, read(p->go[0], &c, 1) == 1);

	for (i = 0; i < 8; i++)
		CHILD_CHECK(sh, (fd[i] = dup(p->go[0])) >= 0);
	for (i = 0; i < 3; i++)
		close(fd[i]);
	sh->val[1] = (long)count_open_fds();
	CHILD_CHECK(sh, write(p->ready[1], &c, 1) == 1);
	CHILD_CHECK(sh, read(p->go[0], &c, 1) == 1);
	return 0;
}

TEST(files_counted_from_before_the_first_registration)
{
	struct per_proc_resource st;
	struct arm_pipes p;
	struct shared *sh;
	char c = 0;
	int status;
	pid_t pid;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, pipe(p.ready));
	ASSERT_EQ(0, pipe(p.go));
	pid = spawn_child(arm_child, sh, &p);
	ASSERT_LT(0, pid);
	close(p.ready[1]);
	close(p.go[0]);

	ASSERT_EQ(1, read(p.ready[0], &c, 1));
	ASSERT_EQ(0, rt_register(pid));
	ASSERT_EQ(0, rt_fetch(&st, pid));
	EXPECT_EQ((unsigned long)sh->val[0], st.openfile_count);

	ASSERT_EQ(1, write(p.go[1], &c, 1));
	ASSERT_EQ(1, read(p.ready[0], &c, 1));
	ASSERT_EQ(0, rt_fetch(&st, pid));
	EXPECT_EQ((unsigned long)sh->val[1], st.openfile_count);
	EXPECT_EQ(sh->val[0] + 5, sh->val[1]);

	ASSERT_EQ(1, write(p.go[1], &c, 1));
	status = wait_child(pid);
	EXPECT_CHILD_OK(status, sh);
	close(p.ready[0]);
	close(p.go[1]);
	shared_free(sh);
}

/* =====================================================================
 * The kernel log line.  First of the killing tests, so that the
 * rate limit has not been used up by the others.
 */
static int kmsg_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;
	unsigned long q;

	prctl(PR_SET_NAME, "rt-kmsg", 0, 0, 0);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = st.heapsize / MiB + 1;
	sh->val[0] = (long)q;
	CHILD_CHECK(sh, rt_cap(getpid(), (long)q, -1) == 0);
	sh->stage = 1;
	map_anon(2 * MiB, RW);
	sh->stage = 2;
	return 0;
}

TEST(enforce_kill_is_logged)
{
	struct shared *sh;
	char want[128], want2[64], rec[8192], *p;
	bool found = false;
	unsigned long bytes = 0;
	ssize_t n;
	pid_t pid;
	int kfd, status;

	REQUIRE_RESTRACK();
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kfd < 0)
		SKIP(return, "/dev/kmsg: %s", strerror(errno));
	lseek(kfd, 0, SEEK_END);
	ASSERT_TRUE((sh = shared_new()) != NULL);
	pid = spawn_child(kmsg_child, sh, NULL);
	ASSERT_LT(0, pid);
	status = wait_child(pid);
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(1, sh->stage);

	snprintf(want, sizeof(want), "restrack: Killed process %d (rt-kmsg): heap ",
		 (int)pid);
	snprintf(want2, sizeof(want2), " bytes over quota %ld MiB", sh->val[0]);
	for (;;) {
		n = read(kfd, rec, sizeof(rec) - 1);
		if (n < 0 && (errno == EPIPE || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		p = strstr(rec, want);
		if (p && strstr(p, want2)) {
			found = true;
			bytes = strtoul(p + strlen(want), NULL, 10);
			break;
		}
	}
	close(kfd);
	EXPECT_TRUE(found) TH_LOG("no \"%s<N>%s\" in /dev/kmsg", want, want2);
	if (found)
		EXPECT_LT((unsigned long)sh->val[0] * MiB, bytes);
	shared_free(sh);
}

/* =====================================================================
 * register(pid): EINVAL (pid < 1), ESRCH, EINVAL (init/kthread), EPERM,
 * EEXIST.  (EPERM is in the permission section.)
 */
TEST(register_einval_pid_below_one)
{
	REQUIRE_RESTRACK();
	EXPECT_ERRNO(EINVAL, rt_register(0));
	EXPECT_ERRNO(EINVAL, rt_register(-1));
	EXPECT_ERRNO(EINVAL, rt_register(INT_MIN));
}

TEST(register_esrch_no_such_pid)
{
	REQUIRE_RESTRACK();
	EXPECT_ERRNO(ESRCH, rt_register(INT_MAX));
}

TEST(register_esrch_reaped)
{
	pid_t pid;

	REQUIRE_RESTRACK();
	pid = reaped_pid();
	ASSERT_LT(0, pid);
	EXPECT_ERRNO(ESRCH, rt_register(pid));
}

TEST(register_esrch_zombie)
{
	pid_t pid;

	REQUIRE_RESTRACK();
	pid = zombie_new();
	ASSERT_LT(0, pid);
	EXPECT_ERRNO(ESRCH, rt_register(pid));
	/* Still a zombie: nothing was registered. */
	EXPECT_ERRNO(ESRCH, do_call(C_FETCH, pid));
	wait_child(pid);
}

TEST(register_einval_init)
{
	REQUIRE_RESTRACK();
	EXPECT_ERRNO(EINVAL, rt_register(1));
	/* Changes nothing: init is still untracked. */
	EXPECT_ERRNO(ENOENT, do_call(C_FETCH, 1));
}

TEST(register_einval_kthread)
{
	REQUIRE_RESTRACK();
	REQUIRE_KTHREAD(2);
	EXPECT_ERRNO(EINVAL, rt_register(2));
	EXPECT_ERRNO(ENOENT, do_call(C_FETCH, 2));
}

TEST(register_self_and_other)
{
	struct per_proc_resource st;
	struct sleeper s;

	REQUIRE_RESTRACK();
	EXPECT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(st, getpid());
	EXPECT_EQ(getpid(), st.pid);

	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	EXPECT_SYSOK(rt_register(s.pid));
	ASSERT_FETCH(st, s.pid);
	EXPECT_EQ(s.pid, st.pid);
	EXPECT_LT(0UL, st.heapsize);
	EXPECT_LT(0UL, st.openfile_count);
	EXPECT_EQ(0, sleeper_stop(&s));
}

TEST(register_eexist)
{
	struct per_proc_resource a, b;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(a, getpid());
	EXPECT_ERRNO(EEXIST, rt_register(getpid()));
	ASSERT_FETCH(b, getpid());
	EXPECT_SAME_USAGE(a, b);
}

/* A second register() does not reset the quotas of a tracked process. */
static int eexist_quota_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;
	long q;

	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = (long)(st.heapsize / MiB) + 2;
	CHILD_CHECK(sh, rt_cap(getpid(), q, -1) == 0);
	STEP(sh, 0, rt_register(getpid()));
	sh->stage = 1;
	alloc_mib(q + 8);
	sh->stage = 2;
	return 0;
}

TEST(register_eexist_keeps_quota)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(eexist_quota_child, sh, NULL);
	EXPECT_STEP_ERRNO(sh, 0, EEXIST);
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(1, sh->stage);
	shared_free(sh);
}

/* =====================================================================
 * fetch(stats, pid): EINVAL, ESRCH, EPERM, ENOENT, EFAULT.
 */
TEST(fetch_einval_pid_below_one)
{
	struct per_proc_resource st;

	REQUIRE_RESTRACK();
	EXPECT_ERRNO(EINVAL, rt_fetch(&st, 0));
	EXPECT_ERRNO(EINVAL, rt_fetch(&st, -1));
	EXPECT_ERRNO(EINVAL, rt_fetch(&st, INT_MIN));
	/* The pid is checked before the pointer. */
	EXPECT_ERRNO(EINVAL, rt_fetch(NULL, 0));
	EXPECT_ERRNO(EINVAL, rt_fetch(NULL, -1));
}

TEST(fetch_esrch_no_such_pid)
{
	struct per_proc_resource st;

	REQUIRE_RESTRACK();
	EXPECT_ERRNO(ESRCH, rt_fetch(&st, INT_MAX));
	EXPECT_ERRNO(ESRCH, rt_fetch(NULL, INT_MAX));
}

TEST(fetch_esrch_reaped)
{
	struct per_proc_resource st;
	pid_t pid;

	REQUIRE_RESTRACK();
	pid = reaped_pid();
	ASSERT_LT(0, pid);
	EXPECT_ERRNO(ESRCH, rt_fetch(&st, pid));
	EXPECT_ERRNO(ESRCH, rt_fetch(NULL, pid));
}

TEST(fetch_esrch_zombie)
{
	struct per_proc_resource st;
	pid_t pid;

	REQUIRE_RESTRACK();
	pid = zombie_new();
	ASSERT_LT(0, pid);
	EXPECT_ERRNO(ESRCH, rt_fetch(&st, pid));
	EXPECT_ERRNO(ESRCH, rt_fetch(NULL, pid));
	wait_child(pid);
}

TEST(fetch_enoent_untracked)
{
	struct per_proc_resource st;
	struct sleeper s;

	REQUIRE_RESTRACK();
	EXPECT_ERRNO(ENOENT, rt_fetch(&st, getpid()));
	/* ENOENT comes before EFAULT. */
	EXPECT_ERRNO(ENOENT, rt_fetch(NULL, getpid()));
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	EXPECT_ERRNO(ENOENT, rt_fetch(&st, s.pid));
	EXPECT_EQ(0, sleeper_stop(&s));
}

TEST(fetch_enoent_init)
{
	struct per_proc_resource st;

	REQUIRE_RESTRACK();
	EXPECT_ERRNO(ENOENT, rt_fetch(&st, 1));
}

TEST(fetch_enoent_kthread)
{
	struct per_proc_resource st;

	REQUIRE_RESTRACK();
	REQUIRE_KTHREAD(2);
	EXPECT_ERRNO(ENOENT, rt_fetch(&st, 2));
}

TEST(fetch_efault_null)
{
	struct per_proc_resource st;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	EXPECT_ERRNO(EFAULT, rt_fetch(NULL, getpid()));
	/* Still tracked. */
	ASSERT_FETCH(st, getpid());
}

TEST(fetch_efault_unmapped)
{
	unsigned long pg = page_size();
	void *p;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	p = map_anon(pg, RW);
	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(0, munmap(p, pg));
	EXPECT_ERRNO(EFAULT, rt_fetch(p, getpid()));
}

TEST(fetch_efault_readonly)
{
	unsigned long pg = page_size(), i;
	unsigned char *p;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	p = map_anon(pg, PROT_READ);
	ASSERT_TRUE(p != NULL);
	EXPECT_ERRNO(EFAULT, rt_fetch((struct per_proc_resource *)p, getpid()));
	for (i = 0; i < sizeof(struct per_proc_resource); i++)
		EXPECT_EQ(0, p[i]);
	munmap(p, pg);
}

/* The structure starts on a writable page and ends on an unwritable one. */
TEST(fetch_efault_partially_writable)
{
	unsigned long pg = page_size();
	char *p;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	p = map_anon(2 * pg, RW);
	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(0, mprotect(p + pg, pg, PROT_NONE));
	EXPECT_ERRNO(EFAULT, rt_fetch((struct per_proc_resource *)(p + pg - 8),
				     getpid()));
	munmap(p, 2 * pg);
}

TEST(fetch_efault_kernel_address)
{
	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	EXPECT_ERRNO(EFAULT,
		     rt_fetch((struct per_proc_resource *)(uintptr_t)-4096L,
			      getpid()));
}

/* pid, heap (= VmData, page-granular) and files (= open descriptors). */
TEST(fetch_fills_stats)
{
	struct per_proc_resource a, b;
	unsigned long fds;
	long vmdata;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	memset(&a, 0xa5, sizeof(a));
	ASSERT_EQ(0L, rt_fetch(&a, getpid()));
	vmdata = vmdata_bytes();
	fds = count_open_fds();
	ASSERT_FETCH(b, getpid());
	EXPECT_SAME_USAGE(a, b);
	EXPECT_EQ(getpid(), a.pid);
	EXPECT_LT(0UL, a.heapsize);
	EXPECT_EQ(0UL, a.heapsize % page_size());
	ASSERT_LT(0L, vmdata);
	EXPECT_EQ((unsigned long)vmdata, a.heapsize);
	EXPECT_EQ(fds, a.openfile_count);
}

static void *register_churn(void *arg)
{
	volatile int *stop = arg;

	while (!__atomic_load_n(stop, __ATOMIC_RELAXED)) {
		rt_register(getpid());
		rt_deregister(getpid());
	}
	return NULL;
}

/*
 * A fetch racing a deregistration reads the process or fails with ENOENT:
 * it never succeeds with the figures of a process using nothing (seen in
 * the stress test: a heap of 0 from a fetch that looked the record up, then
 * read the figures after another thread had removed it).
 */
TEST(fetch_racing_deregister_reads_the_process_or_enoent)
{
	struct per_proc_resource st;
	long i, ok = 0, gone = 0, zero = 0;
	pthread_t t;
	int stop = 0;

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, pthread_create(&t, NULL, register_churn, &stop));
	for (i = 0; i < 20000; i++) {
		memset(&st, 0, sizeof(st));
		if (rt_fetch(&st, getpid())) {
			EXPECT_EQ(ENOENT, errno);
			gone++;
			continue;
		}
		ok++;
		EXPECT_EQ(getpid(), st.pid);
		if (!st.heapsize) {
			zero = i + 1;
			break;
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	EXPECT_EQ(0L, zero) TH_LOG("fetch %ld read a heap of 0", zero);
	TH_LOG("%ld fetches read the process, %ld found it untracked", ok,
	       gone);
	rt_deregister(getpid());
}

/* =====================================================================
 * deregister(pid): EINVAL, ESRCH, EPERM (manage), ENOENT, EPERM (limited).
 */
TEST(deregister_einval_pid_below_one)
{
	REQUIRE_RESTRACK();
	EXPECT_ERRNO(EINVAL, rt_deregister(0));
	EXPECT_ERRNO(EINVAL, rt_deregister(-1));
	EXPECT_ERRNO(EINVAL, rt_deregister(INT_MIN));
}

TEST(deregister_esrch_no_such_pid)
{
	REQUIRE_RESTRACK();
	EXPECT_ERRNO(ESRCH, rt_deregister(INT_MAX));
}

TEST(deregister_esrch_reaped)
{
	pid_t pid;

	REQUIRE_RESTRACK();
	pid = reaped_pid();
	ASSERT_LT(0, pid);
	EXPECT_ERRNO(ESRCH, rt_deregister(pid));
}

TEST(deregister_esrch_zombie)
{
	pid_t pid;

	REQUIRE_RESTRACK();
	pid = zombie_new();
	ASSERT_LT(0, pid);
	EXPECT_ERRNO(ESRCH, rt_deregister(pid));
	wait_child(pid);
}

/* "EINVAL, ESRCH as for register": EINVAL; an untracked ENOENT is accepted. */
TEST(deregister_init_fails)
{
	REQUIRE_RESTRACK();
	EXPECT_ERRNO2(EINVAL, ENOENT, rt_deregister(1));
}

TEST(deregister_kthread_fails)
{
	REQUIRE_RESTRACK();
	REQUIRE_KTHREAD(2);
	EXPECT_ERRNO2(EINVAL, ENOENT, rt_deregister(2));
}

TEST(deregister_enoent_untracked)
{
	struct sleeper s;

	REQUIRE_RESTRACK();
	EXPECT_ERRNO(ENOENT, rt_deregister(getpid()));
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	EXPECT_ERRNO(ENOENT, rt_deregister(s.pid));
	EXPECT_EQ(0, sleeper_stop(&s));
}

TEST(deregister_stops_tracking)
{
	struct per_proc_resource st;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	EXPECT_SYSOK(rt_deregister(getpid()));
	EXPECT_ERRNO(ENOENT, rt_fetch(&st, getpid()));
	EXPECT_ERRNO(ENOENT, rt_deregister(getpid()));
	EXPECT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(st, getpid());
	EXPECT_EQ(getpid(), st.pid);
}

/* The quotas go with deregister; a new registration starts unlimited. */
static int deregister_quota_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;
	long q, f, i;

	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = (long)(st.heapsize / MiB) + 2;
	f = (long)st.openfile_count + 2;
	CHILD_CHECK(sh, rt_cap(getpid(), q, f) == 0);
	STEP(sh, 0, rt_deregister(getpid()));
	sh->stage = 1;
	alloc_mib(q + 8);
	for (i = 0; i < 8; i++)
		CHILD_CHECK(sh, eventfd(0, 0) >= 0);
	sh->stage = 2;
	STEP(sh, 1, rt_register(getpid()));
	alloc_mib(8);
	for (i = 0; i < 8; i++)
		CHILD_CHECK(sh, eventfd(0, 0) >= 0);
	sh->stage = 3;
	return 0;
}

TEST(deregister_drops_quota)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(deregister_quota_child, sh, NULL);
	EXPECT_CHILD_OK(status, sh);
	EXPECT_STEP_OK(sh, 0);
	EXPECT_STEP_OK(sh, 1);
	EXPECT_EQ(3, sh->stage);
	shared_free(sh);
}

/* =====================================================================
 * resource_cap(pid, heap_mb, files): EINVAL (pid, quotas, overflow),
 * ESRCH, EPERM (manage), ENOENT, EPERM (raise).
 */
TEST(cap_einval_pid_below_one)
{
	REQUIRE_RESTRACK();
	EXPECT_ERRNO(EINVAL, rt_cap(0, -1, -1));
	EXPECT_ERRNO(EINVAL, rt_cap(-1, -1, -1));
	EXPECT_ERRNO(EINVAL, rt_cap(INT_MIN, 10, 10));
}

TEST(cap_einval_quota_below_minus_one)
{
	struct per_proc_resource a, b;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(a, getpid());
	EXPECT_ERRNO(EINVAL, rt_cap(getpid(), -2, -1));
	EXPECT_ERRNO(EINVAL, rt_cap(getpid(), -1, -2));
	EXPECT_ERRNO(EINVAL, rt_cap(getpid(), LONG_MIN, -1));
	EXPECT_ERRNO(EINVAL, rt_cap(getpid(), -1, LONG_MIN));
	EXPECT_ERRNO(EINVAL, rt_cap(getpid(), -2, -2));
	EXPECT_ERRNO(EINVAL, rt_cap(getpid(), 100, -2));
	EXPECT_ERRNO(EINVAL, rt_cap(getpid(), -2, 100));
	ASSERT_FETCH(b, getpid());
	EXPECT_SAME_USAGE(a, b);
	EXPECT_SYSOK(rt_cap(getpid(), -1, -1));
}

/* heap_quota_mb MiB must fit an unsigned long: at most 2^44 - 1 MiB. */
TEST(cap_einval_heap_bytes_overflow)
{
	const long max_mb = (long)(ULONG_MAX >> 20);

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	EXPECT_ERRNO(EINVAL, rt_cap(getpid(), LONG_MAX, -1));
	EXPECT_ERRNO(EINVAL, rt_cap(getpid(), max_mb + 1, -1));
	EXPECT_ERRNO(EINVAL, rt_cap(getpid(), LONG_MAX / 2, 10));
	EXPECT_SYSOK(rt_cap(getpid(), max_mb, -1));
	/* There is no such bound on the file count. */
	EXPECT_SYSOK(rt_cap(getpid(), max_mb, LONG_MAX));
}

/* The quotas are checked before the process is looked up. */
TEST(cap_einval_before_esrch)
{
	pid_t reaped, zombie;

	REQUIRE_RESTRACK();
	EXPECT_ERRNO(EINVAL, rt_cap(INT_MAX, -2, -1));
	EXPECT_ERRNO(EINVAL, rt_cap(INT_MAX, -1, LONG_MIN));
	EXPECT_ERRNO(EINVAL, rt_cap(INT_MAX, LONG_MAX, -1));
	reaped = reaped_pid();
	ASSERT_LT(0, reaped);
	EXPECT_ERRNO(EINVAL, rt_cap(reaped, -2, -1));
	zombie = zombie_new();
	ASSERT_LT(0, zombie);
	EXPECT_ERRNO(EINVAL, rt_cap(zombie, -1, -2));
	wait_child(zombie);
}

TEST(cap_einval_before_enoent)
{
	REQUIRE_RESTRACK();
	EXPECT_ERRNO(EINVAL, rt_cap(getpid(), -2, -1));
	EXPECT_ERRNO(EINVAL, rt_cap(getpid(), -1, LONG_MIN));
	EXPECT_ERRNO(EINVAL, rt_cap(getpid(), LONG_MAX, 5));
}

TEST(cap_esrch_no_such_pid)
{
	REQUIRE_RESTRACK();
	EXPECT_ERRNO(ESRCH, rt_cap(INT_MAX, 10, 10));
	EXPECT_ERRNO(ESRCH, rt_cap(INT_MAX, -1, -1));
}

TEST(cap_esrch_reaped)
{
	pid_t pid;

	REQUIRE_RESTRACK();
	pid = reaped_pid();
	ASSERT_LT(0, pid);
	EXPECT_ERRNO(ESRCH, rt_cap(pid, 10, 10));
}

TEST(cap_esrch_zombie)
{
	pid_t pid;

	REQUIRE_RESTRACK();
	pid = zombie_new();
	ASSERT_LT(0, pid);
	EXPECT_ERRNO(ESRCH, rt_cap(pid, 10, 10));
	wait_child(pid);
}

TEST(cap_enoent_untracked)
{
	struct sleeper s;

	REQUIRE_RESTRACK();
	EXPECT_ERRNO(ENOENT, rt_cap(getpid(), 100, 100));
	EXPECT_ERRNO(ENOENT, rt_cap(getpid(), -1, -1));
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	EXPECT_ERRNO(ENOENT, rt_cap(s.pid, 100, 100));
	/* Not tracked, so not limited either: a zero quota kills nobody. */
	EXPECT_ERRNO(ENOENT, rt_cap(s.pid, 0, 0));
	EXPECT_EQ(0, sleeper_stop(&s));
}

TEST(cap_init_fails)
{
	REQUIRE_RESTRACK();
	EXPECT_ERRNO2(EINVAL, ENOENT, rt_cap(1, 100, 100));
}

TEST(cap_kthread_fails)
{
	REQUIRE_RESTRACK();
	REQUIRE_KTHREAD(2);
	EXPECT_ERRNO2(EINVAL, ENOENT, rt_cap(2, 100, 100));
}

/*
 * A failed resource_cap() sets neither quota: each failing call below
 * would kill the child at once had its valid half been applied.
 */
static int cap_nothing_child(struct shared *sh, void *arg)
{
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	STEP(sh, 0, rt_cap(getpid(), 0, -2));
	STEP(sh, 1, rt_cap(getpid(), -2, 0));
	STEP(sh, 2, rt_cap(getpid(), 0, LONG_MIN));
	STEP(sh, 3, rt_cap(getpid(), LONG_MAX, 0));
	STEP(sh, 4, rt_cap(getpid(), LONG_MIN, 0));
	sh->stage = 1;
	return 0;
}

TEST(cap_einval_changes_nothing)
{
	struct shared *sh;
	int status, i;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(cap_nothing_child, sh, NULL);
	EXPECT_CHILD_OK(status, sh);
	for (i = 0; i <= 4; i++)
		EXPECT_STEP_ERRNO(sh, i, EINVAL);
	EXPECT_EQ(1, sh->stage);
	shared_free(sh);
}

/* -1 lifts a quota (root holds CAP_SYS_RESOURCE). */
static int cap_unlimit_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;
	long q, f, i;

	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = (long)(st.heapsize / MiB) + 2;
	f = (long)st.openfile_count + 2;
	STEP(sh, 0, rt_cap(getpid(), q, f));
	STEP(sh, 1, rt_cap(getpid(), -1, -1));
	alloc_mib(q + 8);
	for (i = 0; i < 8; i++)
		CHILD_CHECK(sh, eventfd(0, 0) >= 0);
	sh->stage = 1;
	return 0;
}

TEST(cap_minus_one_lifts_quota)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(cap_unlimit_child, sh, NULL);
	EXPECT_CHILD_OK(status, sh);
	EXPECT_STEP_OK(sh, 0);
	EXPECT_STEP_OK(sh, 1);
	EXPECT_EQ(1, sh->stage);
	shared_free(sh);
}

/* =====================================================================
 * resource_reset(pid): EINVAL, ESRCH, EPERM (manage), ENOENT,
 * EPERM (limited).
 */
TEST(reset_einval_pid_below_one)
{
	REQUIRE_RESTRACK();
	EXPECT_ERRNO(EINVAL, rt_reset(0));
	EXPECT_ERRNO(EINVAL, rt_reset(-1));
	EXPECT_ERRNO(EINVAL, rt_reset(INT_MIN));
}

TEST(reset_esrch_no_such_pid)
{
	REQUIRE_RESTRACK();
	EXPECT_ERRNO(ESRCH, rt_reset(INT_MAX));
}

TEST(reset_esrch_reaped)
{
	pid_t pid;

	REQUIRE_RESTRACK();
	pid = reaped_pid();
	ASSERT_LT(0, pid);
	EXPECT_ERRNO(ESRCH, rt_reset(pid));
}

TEST(reset_esrch_zombie)
{
	pid_t pid;

	REQUIRE_RESTRACK();
	pid = zombie_new();
	ASSERT_LT(0, pid);
	EXPECT_ERRNO(ESRCH, rt_reset(pid));
	wait_child(pid);
}

TEST(reset_init_fails)
{
	REQUIRE_RESTRACK();
	EXPECT_ERRNO2(EINVAL, ENOENT, rt_reset(1));
}

TEST(reset_kthread_fails)
{
	REQUIRE_RESTRACK();
	REQUIRE_KTHREAD(2);
	EXPECT_ERRNO2(EINVAL, ENOENT, rt_reset(2));
}

TEST(reset_enoent_untracked)
{
	struct sleeper s;

	REQUIRE_RESTRACK();
	EXPECT_ERRNO(ENOENT, rt_reset(getpid()));
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	EXPECT_ERRNO(ENOENT, rt_reset(s.pid));
	EXPECT_EQ(0, sleeper_stop(&s));
}

TEST(reset_without_quota_keeps_tracking)
{
	struct per_proc_resource a, b;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(a, getpid());
	EXPECT_SYSOK(rt_reset(getpid()));
	ASSERT_FETCH(b, getpid());
	EXPECT_SAME_USAGE(a, b);
	EXPECT_ERRNO(EEXIST, rt_register(getpid()));
}

static int reset_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;
	long q, f, i;

	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = (long)(st.heapsize / MiB) + 2;
	f = (long)st.openfile_count + 2;
	STEP(sh, 0, rt_cap(getpid(), q, f));
	STEP(sh, 1, rt_reset(getpid()));
	alloc_mib(q + 8);
	for (i = 0; i < 8; i++)
		CHILD_CHECK(sh, eventfd(0, 0) >= 0);
	/* Still tracked after the reset. */
	STEP(sh, 2, rt_fetch(&st, getpid()));
	sh->stage = 1;
	return 0;
}

TEST(reset_lifts_quotas)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(reset_child, sh, NULL);
	EXPECT_CHILD_OK(status, sh);
	EXPECT_STEP_OK(sh, 0);
	EXPECT_STEP_OK(sh, 1);
	EXPECT_STEP_OK(sh, 2);
	EXPECT_EQ(1, sh->stage);
	shared_free(sh);
}

/* =====================================================================
 * Identity: threads, pid namespaces, children, exit.
 */
struct thr_ctx {
	int cmd[2];
	int ack[2];
	size_t len;
	void *addr;
	pid_t tid;
};

static void *thr_main(void *p)
{
	struct thr_ctx *t = p;
	char c = 0;

	t->tid = rt_gettid();
	if (write(t->ack[1], "r", 1) != 1)
		return NULL;
	/* "m": map t->len bytes; "u": unmap them; EOF: exit. */
	while (read(t->cmd[0], &c, 1) == 1) {
		if (c == 'm') {
			t->addr = map_anon(t->len, RW);
		} else if (c == 'u') {
			munmap(t->addr, t->len);
			t->addr = NULL;
		}
		if (write(t->ack[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

static int thr_start(struct thr_ctx *t, pthread_t *th, size_t stack)
{
	pthread_attr_t attr;
	char c;
	int ret;

	if (pipe(t->cmd) || pipe(t->ack))
		return -1;
	pthread_attr_init(&attr);
	if (stack)
		pthread_attr_setstacksize(&attr, stack);
	ret = pthread_create(th, &attr, thr_main, t);
	pthread_attr_destroy(&attr);
	if (ret)
		return -1;
	return read_full(t->ack[0], &c, 1) == 1 ? 0 : -1;
}

static int thr_do(struct thr_ctx *t, char cmd)
{
	char c;

	if (write(t->cmd[1], &cmd, 1) != 1)
		return -1;
	return read_full(t->ack[0], &c, 1) == 1 && c == cmd ? 0 : -1;
}

static void thr_stop(struct thr_ctx *t, pthread_t th)
{
	close(t->cmd[1]);
	pthread_join(th, NULL);
	close(t->cmd[0]);
	close(t->ack[0]);
	close(t->ack[1]);
}

TEST(thread_id_names_its_process)
{
	struct per_proc_resource a, b;
	struct thr_ctx t = { .len = 0 };
	pthread_t th;

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, thr_start(&t, &th, 0));
	ASSERT_NE(getpid(), t.tid);
	EXPECT_SYSOK(rt_register(t.tid));
	ASSERT_FETCH(a, getpid());
	EXPECT_EQ(getpid(), a.pid);
	ASSERT_FETCH(b, t.tid);
	EXPECT_EQ(getpid(), b.pid);
	EXPECT_SAME_USAGE(a, b);
	/* Same process, so tracked already. */
	EXPECT_ERRNO(EEXIST, rt_register(getpid()));
	EXPECT_ERRNO(EEXIST, rt_register(t.tid));
	EXPECT_SYSOK(rt_cap(t.tid, -1, -1));
	EXPECT_SYSOK(rt_reset(t.tid));
	EXPECT_SYSOK(rt_deregister(t.tid));
	EXPECT_ERRNO(ENOENT, rt_fetch(&a, getpid()));
	EXPECT_ERRNO(ENOENT, rt_fetch(&a, t.tid));
	thr_stop(&t, th);
}

/*
 * pids are the caller's.  In a child pid namespace the tracked process is
 * the init's child, pid 2 there (a namespace's init cannot be registered:
 * a quota on it would kill the whole namespace).
 */
struct pidns_arg {
	int rel[2];
};

static void pidns_tracked(struct shared *sh, struct pidns_arg *pa)
{
	struct per_proc_resource st;
	char link[32], c;
	ssize_t n;

	/* /proc is the initial namespace's: /proc/self is our pid there. */
	n = readlink("/proc/self", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	sh->val[1] = getpid();
	STEP(sh, 0, rt_register(getpid()));
	memset(&st, 0, sizeof(st));
	STEP(sh, 1, rt_fetch(&st, 2));
	sh->val[2] = st.pid;
	/* No pid 3 (kthreadd or else) in this namespace. */
	STEP(sh, 2, rt_register(3));
	STEP(sh, 3, rt_fetch(&st, 3));
	__atomic_store_n(&sh->val[0], n > 0 ? atol(link) : -1L, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sh->stage, 1, __ATOMIC_SEQ_CST);
	while (read(pa->rel[0], &c, 1) < 0 && errno == EINTR)
		;
}

static int pidns_outer(struct shared *sh, void *arg)
{
	struct pidns_arg *pa = arg;
	pid_t init, g;

	/* Only the test may hold the write end, or the release never comes. */
	close(pa->rel[1]);
	if (unshare(CLONE_NEWPID)) {
		sh->fail_errno = errno;
		sh->skip = 1;
		return 0;
	}
	init = fork();
	if (init == 0) {
		sh->val[3] = getpid();
		STEP(sh, 4, rt_register(getpid()));
		g = fork();
		if (g == 0) {
			pidns_tracked(sh, pa);
			_exit(0);
		}
		_exit(g > 0 && wait_child(g) == 0 ? 0 : 3);
	}
	if (init < 0)
		return 1;
	return wait_child(init) == 0 ? 0 : 2;
}

TEST(pid_namespace_of_caller)
{
	struct per_proc_resource st;
	struct pidns_arg pa;
	struct shared *sh;
	int status, i;
	pid_t pid, g;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, pipe(pa.rel));
	pid = spawn_child(pidns_outer, sh, &pa);
	ASSERT_LT(0, pid);
	close(pa.rel[0]);
	for (i = 0; i < 5000; i++) {
		if (__atomic_load_n(&sh->stage, __ATOMIC_SEQ_CST) == 1 &&
		    __atomic_load_n(&sh->val[0], __ATOMIC_SEQ_CST))
			break;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pid = -1;
			break;
		}
		usleep(1000);
	}
	if (sh->skip) {
		close(pa.rel[1]);
		if (pid > 0)
			wait_child(pid);
		SKIP(return, "unshare(CLONE_NEWPID): %s", strerror(sh->fail_errno));
	}
	ASSERT_LT(0, pid) TH_LOG("namespace child exited early");
	ASSERT_EQ(1, sh->stage);
	g = (pid_t)sh->val[0];
	ASSERT_LT(0, g) TH_LOG("readlink /proc/self failed");
	EXPECT_EQ(1L, sh->val[3]);
	EXPECT_STEP_ERRNO(sh, 4, EINVAL);	/* the namespace's init */
	EXPECT_EQ(2L, sh->val[1]);
	EXPECT_STEP_OK(sh, 0);
	EXPECT_STEP_OK(sh, 1);
	EXPECT_EQ(2L, sh->val[2]);
	EXPECT_STEP_ERRNO(sh, 2, ESRCH);
	EXPECT_STEP_ERRNO(sh, 3, ESRCH);
	/* Seen from here, the same process has its outer pid. */
	ASSERT_FETCH(st, g);
	EXPECT_EQ(g, st.pid);
	close(pa.rel[1]);
	status = wait_child(pid);
	EXPECT_CHILD_OK(status, sh);
	shared_free(sh);
}

TEST(children_are_not_tracked)
{
	struct per_proc_resource st;
	struct sleeper s;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_SYSOK(rt_cap(getpid(), 1L << 20, 1L << 20));
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	EXPECT_ERRNO(ENOENT, rt_fetch(&st, s.pid));
	EXPECT_ERRNO(ENOENT, rt_cap(s.pid, 10, 10));
	EXPECT_SYSOK(rt_register(s.pid));
	ASSERT_FETCH(st, s.pid);
	EXPECT_EQ(s.pid, st.pid);
	EXPECT_EQ(0, sleeper_stop(&s));
	/* The parent is still tracked. */
	ASSERT_FETCH(st, getpid());
}

/* A limited process's child is not limited. */
static int limited_parent_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;
	long q, f, i;
	pid_t pid;

	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = (long)(st.heapsize / MiB) + 2;
	f = (long)st.openfile_count + 2;
	CHILD_CHECK(sh, rt_cap(getpid(), q, f) == 0);
	pid = fork();
	if (pid == 0) {
		alloc_mib(q + 8);
		for (i = 0; i < 8; i++)
			if (eventfd(0, 0) < 0)
				_exit(1);
		_exit(0);
	}
	CHILD_CHECK(sh, pid > 0);
	sh->val[0] = wait_child(pid);
	sh->stage = 1;
	return 0;
}

TEST(children_are_not_limited)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(limited_parent_child, sh, NULL);
	EXPECT_CHILD_OK(status, sh);
	EXPECT_EQ(1, sh->stage);
	EXPECT_EQ(0L, sh->val[0]) TH_LOG("grandchild status 0x%lx", sh->val[0]);
	shared_free(sh);
}

TEST(tracked_reaped_gives_esrch)
{
	struct per_proc_resource st;
	struct sleeper s;
	pid_t pid;

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	pid = s.pid;
	ASSERT_SYSOK(rt_register(pid));
	ASSERT_SYSOK(rt_cap(pid, 1L << 20, 1L << 20));
	EXPECT_EQ(0, sleeper_stop(&s));
	EXPECT_ERRNO(ESRCH, rt_fetch(&st, pid));
	EXPECT_ERRNO(ESRCH, rt_register(pid));
	EXPECT_ERRNO(ESRCH, rt_deregister(pid));
}

TEST(tracked_zombie_gives_esrch)
{
	struct per_proc_resource st;
	struct sleeper s;
	pid_t pid;

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	pid = s.pid;
	ASSERT_SYSOK(rt_register(pid));
	ASSERT_EQ(0, sleeper_exit_unreaped(&s));
	EXPECT_ERRNO(ESRCH, rt_fetch(&st, pid));
	EXPECT_ERRNO(ESRCH, rt_fetch(NULL, pid));
	EXPECT_ERRNO(ESRCH, rt_register(pid));
	EXPECT_ERRNO(ESRCH, rt_cap(pid, 10, 10));
	EXPECT_ERRNO(ESRCH, rt_reset(pid));
	EXPECT_ERRNO(ESRCH, rt_deregister(pid));
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_ERRNO(ESRCH, rt_fetch(&st, pid));
}

/* =====================================================================
 * heapsize: mm->data_vm, private writable non-stack memory.
 */
TEST(heap_counts_memory_mapped_before_registration)
{
	struct per_proc_resource st;
	void *p;
	long vmdata;

	REQUIRE_RESTRACK();
	p = map_anon(32 * MiB, RW);
	ASSERT_TRUE(p != NULL);
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(st, getpid());
	vmdata = vmdata_bytes();
	EXPECT_LE(32 * MiB, st.heapsize);
	EXPECT_EQ((unsigned long)vmdata, st.heapsize);
	munmap(p, 32 * MiB);
}

TEST(heap_brk_grow_and_shrink)
{
	const unsigned long pg = page_size();
	struct per_proc_resource a, b, c, d;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(a, getpid());
	ASSERT_TRUE(sbrk((intptr_t)(16 * pg)) != (void *)-1);
	ASSERT_FETCH(b, getpid());
	EXPECT_EQ((long)(16 * pg), HEAP_DELTA(a, b));
	ASSERT_TRUE(sbrk(-(intptr_t)(8 * pg)) != (void *)-1);
	ASSERT_FETCH(c, getpid());
	EXPECT_EQ(-(long)(8 * pg), HEAP_DELTA(b, c));
	ASSERT_TRUE(sbrk(-(intptr_t)(8 * pg)) != (void *)-1);
	ASSERT_FETCH(d, getpid());
	EXPECT_EQ(a.heapsize, d.heapsize);
}

TEST(heap_mmap_and_munmap)
{
	const unsigned long pg = page_size();
	struct per_proc_resource a, b, c, d;
	char *p;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(a, getpid());
	p = map_anon(16 * pg, RW);
	ASSERT_TRUE(p != NULL);
	ASSERT_FETCH(b, getpid());
	EXPECT_EQ((long)(16 * pg), HEAP_DELTA(a, b));
	/* A hole in the middle. */
	ASSERT_EQ(0, munmap(p + 4 * pg, 4 * pg));
	ASSERT_FETCH(c, getpid());
	EXPECT_EQ(-(long)(4 * pg), HEAP_DELTA(b, c));
	ASSERT_EQ(0, munmap(p, 16 * pg));
	ASSERT_FETCH(d, getpid());
	EXPECT_EQ(a.heapsize, d.heapsize);
}

TEST(heap_mremap_grow_and_shrink)
{
	const unsigned long pg = page_size();
	struct per_proc_resource a, b, c, d;
	void *p, *q;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	p = map_anon(4 * pg, RW);
	ASSERT_TRUE(p != NULL);
	ASSERT_FETCH(a, getpid());
	q = mremap(p, 4 * pg, 12 * pg, MREMAP_MAYMOVE);
	ASSERT_TRUE(q != MAP_FAILED);
	ASSERT_FETCH(b, getpid());
	EXPECT_EQ((long)(8 * pg), HEAP_DELTA(a, b));
	p = mremap(q, 12 * pg, 2 * pg, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_FETCH(c, getpid());
	EXPECT_EQ(-(long)(10 * pg), HEAP_DELTA(b, c));
	ASSERT_EQ(0, munmap(p, 2 * pg));
	ASSERT_FETCH(d, getpid());
	EXPECT_EQ(-(long)(4 * pg), HEAP_DELTA(a, d));
}

TEST(heap_malloc_large_block)
{
	struct per_proc_resource a, b, c;
	volatile char *p;

	REQUIRE_RESTRACK();
	/* A fixed threshold: 8 MiB is always served by mmap. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(a, getpid());
	p = malloc(8 * MiB);
	ASSERT_TRUE(p != NULL);
	p[0] = 1;
	p[8 * MiB - 1] = 1;
	ASSERT_FETCH(b, getpid());
	EXPECT_LE((long)(8 * MiB), HEAP_DELTA(a, b));
	free((void *)p);
	ASSERT_FETCH(c, getpid());
	EXPECT_LE((long)(8 * MiB), HEAP_DELTA(c, b));
}

TEST(heap_prot_none_then_mprotect)
{
	const unsigned long pg = page_size();
	struct per_proc_resource a, b, c, d, e;
	char *p;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(a, getpid());
	p = map_anon(8 * pg, PROT_NONE);
	ASSERT_TRUE(p != NULL);
	ASSERT_FETCH(b, getpid());
	EXPECT_EQ(0L, HEAP_DELTA(a, b));
	ASSERT_EQ(0, mprotect(p, 8 * pg, RW));
	ASSERT_FETCH(c, getpid());
	EXPECT_EQ((long)(8 * pg), HEAP_DELTA(b, c));
	ASSERT_EQ(0, mprotect(p, 4 * pg, PROT_READ));
	ASSERT_FETCH(d, getpid());
	EXPECT_EQ(-(long)(4 * pg), HEAP_DELTA(c, d));
	ASSERT_EQ(0, munmap(p, 8 * pg));
	ASSERT_FETCH(e, getpid());
	EXPECT_EQ(a.heapsize, e.heapsize);
}

/* Shared, read-only and stack (grows-down) mappings are not counted. */
TEST(heap_ignores_shared_readonly_and_stack)
{
	const unsigned long pg = page_size();
	struct per_proc_resource a, b;
	void *sh, *ro, *stk;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(a, getpid());
	sh = mmap(NULL, 8 * pg, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(sh != MAP_FAILED);
	ro = map_anon(8 * pg, PROT_READ);
	ASSERT_TRUE(ro != NULL);
	stk = mmap(NULL, 8 * pg, RW,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
	ASSERT_TRUE(stk != MAP_FAILED);
	ASSERT_FETCH(b, getpid());
	EXPECT_EQ(0L, HEAP_DELTA(a, b));
	munmap(sh, 8 * pg);
	munmap(ro, 8 * pg);
	munmap(stk, 8 * pg);
}

/* A private writable file mapping counts; a shared one does not. */
TEST(heap_private_file_mapping)
{
	const unsigned long pg = page_size();
	struct per_proc_resource a, b, c;
	void *priv, *shr;
	int fd;

	REQUIRE_RESTRACK();
	fd = memfd_create("restrack", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, (off_t)(8 * pg)));
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(a, getpid());
	priv = mmap(NULL, 8 * pg, RW, MAP_PRIVATE, fd, 0);
	ASSERT_TRUE(priv != MAP_FAILED);
	ASSERT_FETCH(b, getpid());
	EXPECT_EQ((long)(8 * pg), HEAP_DELTA(a, b));
	shr = mmap(NULL, 8 * pg, RW, MAP_SHARED, fd, 0);
	ASSERT_TRUE(shr != MAP_FAILED);
	ASSERT_FETCH(c, getpid());
	EXPECT_EQ(0L, HEAP_DELTA(b, c));
	munmap(priv, 8 * pg);
	munmap(shr, 8 * pg);
	close(fd);
}

TEST(heap_counts_thread_stacks)
{
	const size_t stack = 4 * MiB;
	struct per_proc_resource a, b;
	struct thr_ctx t = { .len = 0 };
	pthread_t th;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(a, getpid());
	ASSERT_EQ(0, thr_start(&t, &th, stack));
	ASSERT_FETCH(b, getpid());
	/* glibc keeps a guard page and the TLS block in the mapping. */
	EXPECT_LE((long)(stack - 4 * page_size()), HEAP_DELTA(a, b));
	thr_stop(&t, th);
}

/* A thread's mapping shows in the process's single figure. */
TEST(heap_threads_share_one_figure)
{
	const unsigned long pg = page_size();
	struct per_proc_resource a, b, bt, c;
	struct thr_ctx t = { .len = 0 };
	pthread_t th;

	REQUIRE_RESTRACK();
	t.len = 16 * pg;
	ASSERT_EQ(0, thr_start(&t, &th, 0));
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(a, getpid());
	ASSERT_EQ(0, thr_do(&t, 'm'));
	ASSERT_TRUE(t.addr != NULL);
	ASSERT_FETCH(b, getpid());
	ASSERT_FETCH(bt, t.tid);
	EXPECT_EQ((long)(16 * pg), HEAP_DELTA(a, b));
	EXPECT_SAME_USAGE(b, bt);
	ASSERT_EQ(0, thr_do(&t, 'u'));
	ASSERT_FETCH(c, getpid());
	EXPECT_EQ(a.heapsize, c.heapsize);
	thr_stop(&t, th);
}

/* =====================================================================
 * openfile_count: descriptors in the table, however they were made.
 */

/* Register self and take the "before" figure. */
#define FILES_BEGIN(_a) do { \
	REQUIRE_RESTRACK(); \
	ASSERT_SYSOK(rt_register(getpid())); \
	ASSERT_FETCH(_a, getpid()); \
	EXPECT_EQ(count_open_fds(), (_a).openfile_count); \
} while (0)

/* The "after" figure moved by _d and matches the table. */
#define FILES_CHECK(_a, _b, _d) do { \
	ASSERT_FETCH(_b, getpid()); \
	EXPECT_EQ((long)(_d), FILES_DELTA(_a, _b)); \
	EXPECT_EQ(count_open_fds(), (_b).openfile_count); \
} while (0)

TEST(files_counted_before_registration)
{
	struct per_proc_resource st;
	int i, fds[2];

	REQUIRE_RESTRACK();
	for (i = 0; i < 5; i++)
		ASSERT_LE(0, eventfd(0, 0));
	ASSERT_EQ(0, pipe(fds));
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_FETCH(st, getpid());
	EXPECT_LE(10UL, st.openfile_count);
	EXPECT_EQ(count_open_fds(), st.openfile_count);
}

TEST(files_open)
{
	struct per_proc_resource a, b, c;
	int fd;

	FILES_BEGIN(a);
	fd = open("/", O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	FILES_CHECK(a, b, 1);
	ASSERT_EQ(0, close(fd));
	FILES_CHECK(a, c, 0);
}

TEST(files_openat)
{
	struct per_proc_resource a, b;
	int fd;

	FILES_BEGIN(a);
	fd = openat(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	FILES_CHECK(a, b, 1);
}

struct rt_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};

TEST(files_openat2)
{
	struct rt_open_how how = { .flags = O_RDONLY | O_DIRECTORY };
	struct per_proc_resource a, b;
	long fd;

	FILES_BEGIN(a);
	fd = syscall(__NR_openat2, AT_FDCWD, "/", &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		SKIP(return, "openat2: ENOSYS");
	ASSERT_LE(0L, fd);
	FILES_CHECK(a, b, 1);
}

TEST(files_creat)
{
	struct per_proc_resource a, b;
	char path[64];
	int fd;

	tmp_path(path, sizeof(path), "creat");
	unlink(path);
	FILES_BEGIN(a);
	fd = creat(path, 0600);
	ASSERT_LE(0, fd) TH_LOG("creat(%s): %s", path, strerror(errno));
	FILES_CHECK(a, b, 1);
	unlink(path);
}

TEST(files_failed_open_not_counted)
{
	struct per_proc_resource a, b;

	FILES_BEGIN(a);
	EXPECT_ERRNO(ENOENT, open("/restrack-does-not-exist", O_RDONLY));
	EXPECT_ERRNO(EBADF, dup(-1));
	FILES_CHECK(a, b, 0);
}

TEST(files_dup)
{
	struct per_proc_resource a, b;

	FILES_BEGIN(a);
	ASSERT_LE(0, dup(0));
	FILES_CHECK(a, b, 1);
}

TEST(files_dup2_onto_closed_fd)
{
	struct per_proc_resource a, b;
	const int target = 900;

	if (fd_scan_limit() <= (unsigned long)target)
		SKIP(return, "RLIMIT_NOFILE too low");
	FILES_BEGIN(a);
	ASSERT_EQ(-1, fcntl(target, F_GETFD));
	ASSERT_EQ(target, dup2(0, target));
	FILES_CHECK(a, b, 1);
}

TEST(files_dup2_onto_open_fd)
{
	struct per_proc_resource a, b;
	int fd1, fd2;

	REQUIRE_RESTRACK();
	fd1 = eventfd(0, 0);
	fd2 = eventfd(0, 0);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	FILES_BEGIN(a);
	ASSERT_EQ(fd2, dup2(fd1, fd2));
	ASSERT_EQ(fd1, dup2(fd1, fd1));
	FILES_CHECK(a, b, 0);
}

TEST(files_dup3)
{
	struct per_proc_resource a, b, c;
	const int target = 901;

	if (fd_scan_limit() <= (unsigned long)target)
		SKIP(return, "RLIMIT_NOFILE too low");
	FILES_BEGIN(a);
	ASSERT_EQ(-1, fcntl(target, F_GETFD));
	ASSERT_EQ(target, dup3(0, target, O_CLOEXEC));
	FILES_CHECK(a, b, 1);
	ASSERT_EQ(target, dup3(1, target, 0));
	FILES_CHECK(a, c, 1);
}

TEST(files_fcntl_dupfd)
{
	struct per_proc_resource a, b;

	FILES_BEGIN(a);
	ASSERT_LE(10, fcntl(0, F_DUPFD, 10));
	FILES_CHECK(a, b, 1);
}

TEST(files_fcntl_dupfd_cloexec)
{
	struct per_proc_resource a, b;

	FILES_BEGIN(a);
	ASSERT_LE(10, fcntl(0, F_DUPFD_CLOEXEC, 10));
	FILES_CHECK(a, b, 1);
}

TEST(files_pipe)
{
	struct per_proc_resource a, b;
	int fds[2];

	FILES_BEGIN(a);
	ASSERT_EQ(0, pipe(fds));
	FILES_CHECK(a, b, 2);
}

TEST(files_pipe2)
{
	struct per_proc_resource a, b;
	int fds[2];

	FILES_BEGIN(a);
	ASSERT_EQ(0, pipe2(fds, O_CLOEXEC | O_NONBLOCK));
	FILES_CHECK(a, b, 2);
}

TEST(files_socket)
{
	struct per_proc_resource a, b;

	FILES_BEGIN(a);
	ASSERT_LE(0, socket(AF_UNIX, SOCK_STREAM, 0));
	FILES_CHECK(a, b, 1);
}

TEST(files_socketpair)
{
	struct per_proc_resource a, b;
	int sv[2];

	FILES_BEGIN(a);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	FILES_CHECK(a, b, 2);
}

TEST(files_accept)
{
	struct per_proc_resource a, b;
	int l, c;

	REQUIRE_RESTRACK();
	l = unix_listener(&c);
	ASSERT_LE(0, l);
	FILES_BEGIN(a);
	ASSERT_LE(0, accept(l, NULL, NULL));
	FILES_CHECK(a, b, 1);
}

TEST(files_accept4)
{
	struct per_proc_resource a, b;
	int l, c;

	REQUIRE_RESTRACK();
	l = unix_listener(&c);
	ASSERT_LE(0, l);
	FILES_BEGIN(a);
	ASSERT_LE(0, accept4(l, NULL, NULL, SOCK_CLOEXEC));
	FILES_CHECK(a, b, 1);
}

TEST(files_epoll_create1)
{
	struct per_proc_resource a, b;

	FILES_BEGIN(a);
	ASSERT_LE(0, epoll_create1(EPOLL_CLOEXEC));
	FILES_CHECK(a, b, 1);
}

TEST(files_eventfd)
{
	struct per_proc_resource a, b;

	FILES_BEGIN(a);
	ASSERT_LE(0, eventfd(0, EFD_CLOEXEC));
	FILES_CHECK(a, b, 1);
}

TEST(files_memfd_create)
{
	struct per_proc_resource a, b;

	FILES_BEGIN(a);
	ASSERT_LE(0, memfd_create("restrack", MFD_CLOEXEC));
	FILES_CHECK(a, b, 1);
}

TEST(files_pidfd_open)
{
	struct per_proc_resource a, b;
	long fd;

	FILES_BEGIN(a);
	fd = syscall(__NR_pidfd_open, getpid(), 0);
	if (fd < 0 && errno == ENOSYS)
		SKIP(return, "pidfd_open: ENOSYS");
	ASSERT_LE(0L, fd);
	FILES_CHECK(a, b, 1);
}

/* A descriptor in flight is not in the table; its receipt adds one. */
TEST(files_scm_rights)
{
	struct per_proc_resource a, b, c;
	int sv[2], efd;

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	efd = eventfd(0, 0);
	ASSERT_LE(0, efd);
	FILES_BEGIN(a);
	ASSERT_EQ(0, send_fd(sv[0], efd));
	FILES_CHECK(a, b, 0);
	ASSERT_LE(0, recv_fd(sv[1]));
	FILES_CHECK(a, c, 1);
}

TEST(files_close)
{
	struct per_proc_resource a, b;
	int fd;

	REQUIRE_RESTRACK();
	fd = eventfd(0, 0);
	ASSERT_LE(0, fd);
	FILES_BEGIN(a);
	ASSERT_EQ(0, close(fd));
	FILES_CHECK(a, b, -1);
	/* Closing a closed descriptor changes nothing. */
	EXPECT_ERRNO(EBADF, close(fd));
	FILES_CHECK(a, b, -1);
}

TEST(files_close_range)
{
	struct per_proc_resource a, b, c;
	int fd, i;

	REQUIRE_RESTRACK();
	if (fd_scan_limit() <= 712)
		SKIP(return, "RLIMIT_NOFILE too low");
	fd = eventfd(0, 0);
	ASSERT_LE(0, fd);
	for (i = 700; i < 703; i++)
		ASSERT_EQ(i, dup2(fd, i));
	ASSERT_EQ(0, close(fd));
	FILES_BEGIN(a);
	if (syscall(__NR_close_range, 700U, 710U, CLOSE_RANGE_CLOEXEC) == 0) {
		/* Marking close-on-exec closes nothing. */
		FILES_CHECK(a, b, 0);
	}
	errno = 0;
	if (syscall(__NR_close_range, 700U, 710U, 0U) && errno == ENOSYS)
		SKIP(return, "close_range: ENOSYS");
	FILES_CHECK(a, c, -3);
}

/* An open blocked on a FIFO has reserved its descriptor: it counts. */
struct fifo_ctx {
	const char *path;
	int started;
	int fd;
};

static void *fifo_opener(void *p)
{
	struct fifo_ctx *c = p;
	int fd;

	__atomic_store_n(&c->started, 1, __ATOMIC_SEQ_CST);
	fd = open(c->path, O_RDONLY);
	__atomic_store_n(&c->fd, fd, __ATOMIC_SEQ_CST);
	return NULL;
}

TEST(files_open_in_progress_counts)
{
	struct per_proc_resource a, b, c;
	struct fifo_ctx ctx;
	char path[64];
	pthread_t th;
	int i, w;

	REQUIRE_RESTRACK();
	tmp_path(path, sizeof(path), "fifo");
	unlink(path);
	ASSERT_EQ(0, mkfifo(path, 0600)) TH_LOG("mkfifo: %s", strerror(errno));
	ctx.path = path;
	ctx.started = 0;
	ctx.fd = -2;
	FILES_BEGIN(a);
	ASSERT_EQ(0, pthread_create(&th, NULL, fifo_opener, &ctx));
	while (!__atomic_load_n(&ctx.started, __ATOMIC_SEQ_CST))
		usleep(1000);
	/* Wait (at most ~3 s) for the reader to block in open(). */
	for (i = 0; i < 1500; i++) {
		ASSERT_FETCH(b, getpid());
		if (FILES_DELTA(a, b) == 1)
			break;
		usleep(2000);
	}
	/* No writer yet, so that open() cannot have returned. */
	EXPECT_EQ(-2, __atomic_load_n(&ctx.fd, __ATOMIC_SEQ_CST));
	EXPECT_EQ(1L, FILES_DELTA(a, b));
	w = open(path, O_WRONLY);
	ASSERT_LE(0, w);
	pthread_join(th, NULL);
	EXPECT_LE(0, ctx.fd);
	FILES_CHECK(a, c, 2);
	unlink(path);
}

/* CLONE_FILES: one table, one count, whoever opens or closes. */
struct clone_files_ctx {
	int cmd[2];
	int ack[2];
};

static int clone_files_fn(void *arg)
{
	struct clone_files_ctx *c = arg;
	char ch;
	int fd;

	if (read(c->cmd[0], &ch, 1) != 1)
		_exit(1);
	fd = eventfd(0, 0);
	if (write(c->ack[1], &fd, sizeof(fd)) != sizeof(fd))
		_exit(2);
	/* The parent closes cmd[1] in the shared table: EOF. */
	while (read(c->cmd[0], &ch, 1) > 0)
		;
	_exit(fd < 0 ? 3 : 0);
}

TEST(files_clone_files_shared_table)
{
	const size_t stack_size = 256 * 1024;
	struct per_proc_resource a, ac, b, bc, c, cc;
	struct clone_files_ctx ctx;
	int fd = -1, status;
	char *stack;
	pid_t pid;

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, pipe(ctx.cmd));
	ASSERT_EQ(0, pipe(ctx.ack));
	stack = map_anon(stack_size, RW);
	ASSERT_TRUE(stack != NULL);
	pid = clone(clone_files_fn, stack + stack_size, CLONE_FILES | SIGCHLD,
		    &ctx);
	ASSERT_LT(0, pid);
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_SYSOK(rt_register(pid));
	ASSERT_FETCH(a, getpid());
	ASSERT_FETCH(ac, pid);
	EXPECT_EQ(pid, ac.pid);
	EXPECT_EQ(a.openfile_count, ac.openfile_count);
	EXPECT_EQ(count_open_fds(), a.openfile_count);

	/* The other process opens: both counts move. */
	ASSERT_EQ(1, write(ctx.cmd[1], "o", 1));
	ASSERT_EQ((ssize_t)sizeof(fd), read_full(ctx.ack[0], &fd, sizeof(fd)));
	ASSERT_LE(0, fd);
	ASSERT_FETCH(b, getpid());
	ASSERT_FETCH(bc, pid);
	EXPECT_EQ(1L, FILES_DELTA(a, b));
	EXPECT_EQ(b.openfile_count, bc.openfile_count);

	/* This process closes the other's descriptor: both move back. */
	ASSERT_EQ(0, close(fd));
	ASSERT_FETCH(c, getpid());
	ASSERT_FETCH(cc, pid);
	EXPECT_EQ(a.openfile_count, c.openfile_count);
	EXPECT_EQ(a.openfile_count, cc.openfile_count);

	close(ctx.cmd[1]);
	status = wait_child(pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("clone child status 0x%x", (unsigned int)status);
}

/* =====================================================================
 * exec: tracking and quotas stay with the process, the heap figure is
 * the new image's, close-on-exec descriptors go.
 */
struct exec_ctx {
	int rep[2];	/* reports: child -> test */
	int rel[2];	/* release: test -> helper */
	long arg;
};

static int cloexec_child(struct shared *sh, void *arg)
{
	struct exec_ctx *x = arg;
	struct helper_report pre;
	int fds[2];
	long k;

	close(x->rep[0]);
	CHILD_CHECK(sh, eventfd(0, EFD_CLOEXEC) >= 0);
	CHILD_CHECK(sh, eventfd(0, EFD_CLOEXEC) >= 0);
	CHILD_CHECK(sh, pipe2(fds, O_CLOEXEC) == 0);
	CHILD_CHECK(sh, eventfd(0, 0) >= 0);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	k = (long)count_cloexec_fds();
	helper_fill(&pre);
	CHILD_CHECK(sh, write_full(x->rep[1], &pre, sizeof(pre)) == 0);
	CHILD_CHECK(sh, write_full(x->rep[1], &k, sizeof(k)) == 0);
	exec_helper("report", x->rep[1], -1);
	return 127;
}

TEST(files_close_on_exec)
{
	struct helper_report pre, post;
	struct exec_ctx x;
	struct shared *sh;
	int status;
	long k = 0;
	pid_t pid;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, pipe(x.rep));
	pid = spawn_child(cloexec_child, sh, &x);
	ASSERT_LT(0, pid);
	close(x.rep[1]);
	memset(&post, 0, sizeof(post));
	ASSERT_EQ((ssize_t)sizeof(pre), read_full(x.rep[0], &pre, sizeof(pre)))
		TH_LOG("no report before exec (line %d)", sh->fail_line);
	ASSERT_EQ((ssize_t)sizeof(k), read_full(x.rep[0], &k, sizeof(k)));
	ASSERT_EQ((ssize_t)sizeof(post), read_full(x.rep[0], &post, sizeof(post)))
		TH_LOG("no report after exec");
	status = wait_child(pid);
	EXPECT_CHILD_OK(status, sh);
	EXPECT_EQ(0L, pre.ret);
	EXPECT_EQ(0L, post.ret) TH_LOG("fetch after exec: errno %d", post.err);
	EXPECT_EQ(pid, post.pid);
	EXPECT_LE(4L, k);
	EXPECT_EQ(pre.st.openfile_count - (unsigned long)k,
		  post.st.openfile_count);
	close(x.rep[0]);
	shared_free(sh);
}

static int exec_track_child(struct shared *sh, void *arg)
{
	struct exec_ctx *x = arg;
	struct helper_report pre;

	close(x->rep[0]);
	close(x->rel[1]);
	CHILD_CHECK(sh, map_anon(64 * MiB, RW) != NULL);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_cap(getpid(), 1024, 100) == 0);
	helper_fill(&pre);
	CHILD_CHECK(sh, write_full(x->rep[1], &pre, sizeof(pre)) == 0);
	exec_helper("report", x->rep[1], x->rel[0]);
	return 127;
}

TEST(exec_keeps_tracking)
{
	static char buf[65536];
	struct helper_report pre, post;
	struct per_proc_resource st;
	struct status_line line;
	struct exec_ctx x;
	struct shared *sh;
	int status;
	pid_t pid;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, pipe(x.rep));
	ASSERT_EQ(0, pipe(x.rel));
	pid = spawn_child(exec_track_child, sh, &x);
	ASSERT_LT(0, pid);
	close(x.rep[1]);
	close(x.rel[0]);
	ASSERT_EQ((ssize_t)sizeof(pre), read_full(x.rep[0], &pre, sizeof(pre)))
		TH_LOG("no report before exec (line %d)", sh->fail_line);
	ASSERT_EQ((ssize_t)sizeof(post), read_full(x.rep[0], &post, sizeof(post)))
		TH_LOG("no report after exec");
	EXPECT_EQ(0L, pre.ret);
	EXPECT_LE(64 * MiB, pre.st.heapsize);
	/* Same pid, still tracked, new image's heap. */
	EXPECT_EQ(0L, post.ret) TH_LOG("fetch after exec: errno %d", post.err);
	EXPECT_EQ(pid, post.pid);
	EXPECT_EQ(pid, post.st.pid);
	EXPECT_GT(64 * MiB, post.st.heapsize);
	EXPECT_LT(0UL, post.st.heapsize);
	ASSERT_FETCH(st, pid);
	EXPECT_EQ(post.st.heapsize, st.heapsize);
	EXPECT_EQ(post.st.openfile_count, st.openfile_count);
	/* The quotas, where they can be read. */
	if (access(STATUS_PATH, R_OK) == 0) {
		ASSERT_LT(0, status_read(buf, sizeof(buf)));
		ASSERT_EQ(1, status_find(buf, pid, &line));
		EXPECT_EQ(1024L, line.heap_quota_mb);
		EXPECT_EQ(100L, line.file_quota);
	}
	close(x.rel[1]);
	status = wait_child(pid);
	EXPECT_CHILD_OK(status, sh);
	close(x.rep[0]);
	shared_free(sh);
}

static int exec_quota_child(struct shared *sh, void *arg)
{
	struct exec_ctx *x = arg;
	struct per_proc_resource st;
	long q;

	close(x->rep[0]);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	if (x->arg == 'h') {
		q = (long)(st.heapsize / MiB) + 4;
		CHILD_CHECK(sh, rt_cap(getpid(), q, -1) == 0);
		exec_helper("alloc", x->rep[1], q + 16);
	} else {
		q = (long)st.openfile_count + 4;
		CHILD_CHECK(sh, rt_cap(getpid(), -1, q) == 0);
		exec_helper("files", x->rep[1], q + 16);
	}
	return 127;
}

static void exec_quota_test(struct __test_metadata *_metadata, long kind)
{
	struct helper_report post;
	struct exec_ctx x;
	struct shared *sh;
	int status;
	pid_t pid;

	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, pipe(x.rep));
	x.arg = kind;
	pid = spawn_child(exec_quota_child, sh, &x);
	ASSERT_LT(0, pid);
	close(x.rep[1]);
	ASSERT_EQ((ssize_t)sizeof(post), read_full(x.rep[0], &post, sizeof(post)))
		TH_LOG("no report after exec (line %d)", sh->fail_line);
	EXPECT_EQ(0L, post.ret) TH_LOG("fetch after exec: errno %d", post.err);
	EXPECT_EQ(pid, post.pid);
	status = wait_child(pid);
	EXPECT_KILLED(status, sh);
	close(x.rep[0]);
	shared_free(sh);
}

TEST(exec_keeps_heap_quota)
{
	REQUIRE_RESTRACK();
	exec_quota_test(_metadata, 'h');
}

TEST(exec_keeps_file_quota)
{
	REQUIRE_RESTRACK();
	exec_quota_test(_metadata, 'f');
}

/* =====================================================================
 * Enforcement: strictly over a quota means SIGKILL for the whole process.
 */
TEST(quotas_start_unlimited)
{
	struct per_proc_resource st;
	int i;

	REQUIRE_RESTRACK();
	ASSERT_SYSOK(rt_register(getpid()));
	alloc_mib(64);
	for (i = 0; i < 32; i++)
		ASSERT_LE(0, eventfd(0, 0));
	ASSERT_FETCH(st, getpid());
	EXPECT_LE(64 * MiB, st.heapsize);
}

enum heap_op { HOP_MMAP, HOP_BRK, HOP_MREMAP, HOP_MPROTECT, HOP_MALLOC };

/*
 * Set the heap quota to q MiB, q*MiB - usage = room > 0, then grow by
 * room + one page with @op: one page over.
 */
static int heap_over_child(struct shared *sh, void *arg)
{
	const unsigned long pg = page_size();
	const long op = (long)arg;
	struct per_proc_resource st;
	unsigned long q, room;
	void *pre = NULL, *none = NULL;
	volatile char *m;

	if (op == HOP_MREMAP)
		CHILD_CHECK(sh, (pre = map_anon(pg, RW)) != NULL);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = st.heapsize / MiB + 1;
	room = q * MiB - st.heapsize;
	if (op == HOP_MPROTECT)
		CHILD_CHECK(sh, (none = map_anon(room + pg, PROT_NONE)) != NULL);
	CHILD_CHECK(sh, rt_cap(getpid(), (long)q, -1) == 0);
	sh->stage = 1;
	switch (op) {
	case HOP_MMAP:
		CHILD_CHECK(sh, map_anon(room + pg, RW) != NULL);
		break;
	case HOP_BRK:
		CHILD_CHECK(sh, sbrk((intptr_t)(room + pg)) != (void *)-1);
		break;
	case HOP_MREMAP:
		CHILD_CHECK(sh, mremap(pre, pg, room + 2 * pg,
				       MREMAP_MAYMOVE) != MAP_FAILED);
		break;
	case HOP_MPROTECT:
		CHILD_CHECK(sh, mprotect(none, room + pg, RW) == 0);
		break;
	case HOP_MALLOC:
		m = malloc(room + MiB);
		CHILD_CHECK(sh, m != NULL);
		m[0] = 1;
		break;
	}
	sh->stage = 2;
	return 0;
}

static void heap_over_test(struct __test_metadata *_metadata, long op)
{
	struct shared *sh;
	int status;

	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(heap_over_child, sh, (void *)op);
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(1, sh->stage);
	shared_free(sh);
}

TEST(enforce_heap_mmap)
{
	REQUIRE_RESTRACK();
	heap_over_test(_metadata, HOP_MMAP);
}

TEST(enforce_heap_brk)
{
	REQUIRE_RESTRACK();
	heap_over_test(_metadata, HOP_BRK);
}

TEST(enforce_heap_mremap)
{
	REQUIRE_RESTRACK();
	heap_over_test(_metadata, HOP_MREMAP);
}

TEST(enforce_heap_mprotect)
{
	REQUIRE_RESTRACK();
	heap_over_test(_metadata, HOP_MPROTECT);
}

TEST(enforce_heap_malloc)
{
	REQUIRE_RESTRACK();
	heap_over_test(_metadata, HOP_MALLOC);
}

/* Exactly at the quota is allowed; one more page is not. */
static int heap_at_quota_child(struct shared *sh, void *arg)
{
	const unsigned long pg = page_size();
	const long cap_after = (long)arg;
	struct per_proc_resource st;
	unsigned long q;

	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = st.heapsize / MiB + 1;
	sh->val[1] = (long)q;
	if (!cap_after)
		CHILD_CHECK(sh, rt_cap(getpid(), (long)q, -1) == 0);
	CHILD_CHECK(sh, map_anon(q * MiB - st.heapsize, RW) != NULL);
	if (cap_after)	/* A quota equal to the usage. */
		CHILD_CHECK(sh, rt_cap(getpid(), (long)q, -1) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	sh->val[0] = (long)st.heapsize;
	sh->stage = 1;
	map_anon(pg, RW);
	sh->stage = 2;
	return 0;
}

TEST(enforce_heap_exactly_at_quota)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(heap_at_quota_child, sh, (void *)0L);
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(1, sh->stage);
	EXPECT_EQ(sh->val[1] * (long)MiB, sh->val[0]);
	shared_free(sh);
}

TEST(enforce_heap_quota_equal_to_usage)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(heap_at_quota_child, sh, (void *)1L);
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(1, sh->stage);
	EXPECT_EQ(sh->val[1] * (long)MiB, sh->val[0]);
	shared_free(sh);
}

enum file_op {
	FOP_OPEN, FOP_DUP, FOP_PIPE, FOP_SOCKETPAIR, FOP_ACCEPT, FOP_EVENTFD,
};

/* A file quota equal to the usage, then @op adds a descriptor. */
static int files_over_child(struct shared *sh, void *arg)
{
	const long op = (long)arg;
	struct per_proc_resource st;
	int sv[2], l = -1, c = -1;
	long f;

	if (op == FOP_ACCEPT)
		CHILD_CHECK(sh, (l = unix_listener(&c)) >= 0);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	f = (long)st.openfile_count;
	/* Two-descriptor calls: the first fits, the second is over. */
	if (op == FOP_PIPE || op == FOP_SOCKETPAIR)
		f++;
	CHILD_CHECK(sh, rt_cap(getpid(), -1, f) == 0);
	sh->stage = 1;
	switch (op) {
	case FOP_OPEN:
		CHILD_CHECK(sh, open("/", O_RDONLY | O_DIRECTORY) >= 0);
		break;
	case FOP_DUP:
		CHILD_CHECK(sh, dup(0) >= 0);
		break;
	case FOP_PIPE:
		CHILD_CHECK(sh, pipe(sv) == 0);
		break;
	case FOP_SOCKETPAIR:
		CHILD_CHECK(sh, socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
		break;
	case FOP_ACCEPT:
		CHILD_CHECK(sh, accept(l, NULL, NULL) >= 0);
		break;
	case FOP_EVENTFD:
		CHILD_CHECK(sh, eventfd(0, 0) >= 0);
		break;
	}
	sh->stage = 2;
	return 0;
}

static void files_over_test(struct __test_metadata *_metadata, long op)
{
	struct shared *sh;
	int status;

	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(files_over_child, sh, (void *)op);
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(1, sh->stage);
	shared_free(sh);
}

TEST(enforce_files_open)
{
	REQUIRE_RESTRACK();
	files_over_test(_metadata, FOP_OPEN);
}

TEST(enforce_files_dup)
{
	REQUIRE_RESTRACK();
	files_over_test(_metadata, FOP_DUP);
}

TEST(enforce_files_pipe)
{
	REQUIRE_RESTRACK();
	files_over_test(_metadata, FOP_PIPE);
}

TEST(enforce_files_socketpair)
{
	REQUIRE_RESTRACK();
	files_over_test(_metadata, FOP_SOCKETPAIR);
}

TEST(enforce_files_accept)
{
	REQUIRE_RESTRACK();
	files_over_test(_metadata, FOP_ACCEPT);
}

/*
 * A descriptor another process sends is not one the receiver made: at the
 * quota, recvmsg() succeeds with MSG_CTRUNC and installs nothing, and the
 * receiver lives (tests/guest/restrack_escape.c floods it).
 */
static int scm_at_quota_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;
	int sv[2], fds[4], n = -1, flags = 0;
	long f;

	(void)arg;
	CHILD_CHECK(sh, socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHILD_CHECK(sh, send_fd(sv[0], 0) == 0);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	f = (long)st.openfile_count;
	CHILD_CHECK(sh, rt_cap(getpid(), -1, f) == 0);
	sh->val[4] = f;
	sh->stage = 1;
	sh->val[0] = (long)recv_fds(sv[1], fds, 4, &n, &flags);
	sh->val[1] = !!(flags & MSG_CTRUNC);
	sh->val[2] = n;
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	sh->val[3] = (long)st.openfile_count;
	sh->val[5] = (long)count_open_fds();
	sh->stage = 2;
	return 0;
}

TEST(enforce_files_scm_rights)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(scm_at_quota_child, sh, NULL);
	EXPECT_CHILD_OK(status, sh);
	EXPECT_EQ(2, sh->stage);
	EXPECT_EQ(1L, sh->val[0]) TH_LOG("recvmsg returned %ld", sh->val[0]);
	EXPECT_EQ(1L, sh->val[1]) TH_LOG("no MSG_CTRUNC");
	EXPECT_EQ(0L, sh->val[2]) TH_LOG("%ld descriptors installed", sh->val[2]);
	EXPECT_EQ(sh->val[4], sh->val[3]);
	EXPECT_EQ(sh->val[4], sh->val[5]);
	shared_free(sh);
}

TEST(enforce_files_eventfd)
{
	REQUIRE_RESTRACK();
	files_over_test(_metadata, FOP_EVENTFD);
}

/*
 * A thread made without CLONE_FILES has a file table of its own.  It uses
 * it before the process is registered (so the tracker may have found no
 * tracked user of it), then opens past the file quota: the process dies.
 */
static int own_table_thread(void *arg)
{
	struct shared *sh = arg;
	int i;

	if (syscall(SYS_dup, 0) < 0)
		sh->fail_line = __LINE__;
	__atomic_store_n(&sh->stage, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&sh->stage, __ATOMIC_SEQ_CST) != 2)
		syscall(SYS_sched_yield);
	for (i = 0; i < 64; i++)
		syscall(SYS_dup, 0);
	__atomic_store_n(&sh->stage, 3, __ATOMIC_SEQ_CST);
	for (;;)
		syscall(SYS_ppoll, NULL, 0, NULL, NULL, 0);
	return 0;
}

static int own_table_child(struct shared *sh, void *arg)
{
	const size_t stack_size = 256 * 1024;
	char *stack = map_anon(stack_size, RW);
	struct per_proc_resource st;

	(void)arg;
	CHILD_CHECK(sh, stack != NULL);
	CHILD_CHECK(sh, clone(own_table_thread, stack + stack_size,
			      CLONE_VM | CLONE_SIGHAND | CLONE_THREAD |
			      CLONE_SYSVSEM, sh) > 0);
	while (__atomic_load_n(&sh->stage, __ATOMIC_SEQ_CST) != 1)
		sched_yield();
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	/* The figure counts both tables: take it from fetch. */
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	CHILD_CHECK(sh, rt_cap(getpid(), -1, (long)st.openfile_count + 8) == 0);
	__atomic_store_n(&sh->stage, 2, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&sh->stage, __ATOMIC_SEQ_CST) != 3)
		sched_yield();
	return 0;
}

TEST(enforce_files_thread_with_own_table)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(own_table_child, sh, NULL);
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(2, sh->stage);
	shared_free(sh);
}

/* Quota = usage + 2: two more opens are fine, the third kills. */
static int files_at_quota_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;

	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	sh->val[1] = (long)st.openfile_count + 2;
	CHILD_CHECK(sh, rt_cap(getpid(), -1, sh->val[1]) == 0);
	CHILD_CHECK(sh, eventfd(0, 0) >= 0);
	CHILD_CHECK(sh, eventfd(0, 0) >= 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	sh->val[0] = (long)st.openfile_count;
	sh->stage = 1;
	eventfd(0, 0);
	sh->stage = 2;
	return 0;
}

TEST(enforce_files_exactly_at_quota)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(files_at_quota_child, sh, NULL);
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(1, sh->stage);
	EXPECT_EQ(sh->val[1], sh->val[0]);
	shared_free(sh);
}

/* A quota below the current usage kills the caller at once. */
static int below_usage_child(struct shared *sh, void *arg)
{
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	sh->stage = 1;
	if ((long)arg == 'h')
		rt_cap(getpid(), 0, -1);
	else
		rt_cap(getpid(), -1, 0);	/* 0,1,2 at least are open */
	sh->stage = 2;
	return 0;
}

TEST(enforce_heap_quota_below_usage_kills_self)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(below_usage_child, sh, (void *)(long)'h');
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(1, sh->stage);
	shared_free(sh);
}

TEST(enforce_file_quota_zero_with_open_fds_kills_self)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(below_usage_child, sh, (void *)(long)'f');
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(1, sh->stage);
	shared_free(sh);
}

/* The caller gets 0 and the other process dies. */
TEST(enforce_quota_below_usage_kills_other)
{
	struct per_proc_resource st;
	struct shared *sh;
	struct sleeper s1, s2;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, sleeper_start(&s1, SLEEPER_ROOT, NULL));
	ASSERT_EQ(0, sleeper_start(&s2, SLEEPER_ROOT, NULL));
	ASSERT_SYSOK(rt_register(s1.pid));
	ASSERT_SYSOK(rt_register(s2.pid));
	ASSERT_FETCH(st, s2.pid);
	ASSERT_LT(0UL, st.openfile_count);
	EXPECT_SYSOK(rt_cap(s1.pid, 0, -1));
	EXPECT_SYSOK(rt_cap(s2.pid, -1, (long)st.openfile_count - 1));
	status = sleeper_stop(&s1);
	EXPECT_KILLED(status, sh);
	status = sleeper_stop(&s2);
	EXPECT_KILLED(status, sh);
	shared_free(sh);
}

/* A quota equal to the usage of another process does not kill it. */
TEST(enforce_quota_equal_to_usage_spares_other)
{
	struct per_proc_resource st;
	struct sleeper s;

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	ASSERT_SYSOK(rt_register(s.pid));
	ASSERT_FETCH(st, s.pid);
	EXPECT_SYSOK(rt_cap(s.pid, (long)(st.heapsize / MiB) + 1,
			    (long)st.openfile_count));
	EXPECT_EQ(0, sleeper_stop(&s));
}

/* With no descriptor open, a quota of 0 is met; the next open kills. */
static int zero_files_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;

	close_fds_range(0, ~0U);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_cap(getpid(), -1, 0) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	sh->val[0] = (long)st.openfile_count;
	sh->stage = 1;
	eventfd(0, 0);
	sh->stage = 2;
	return 0;
}

TEST(enforce_file_quota_zero_without_fds)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	sh->val[0] = -1;
	status = run_child(zero_files_child, sh, NULL);
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(1, sh->stage);
	EXPECT_EQ(0L, sh->val[0]);
	shared_free(sh);
}

/* A thread crosses the heap quota: the whole process dies. */
struct mt_ctx {
	struct shared *sh;
	int go;
	int block;
	long mib;
};

static void *mt_blocker(void *p)
{
	struct mt_ctx *c = p;
	char ch;

	while (read(c->block, &ch, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void *mt_allocator(void *p)
{
	struct mt_ctx *c = p;
	char ch;

	if (read(c->go, &ch, 1) != 1)
		return NULL;
	alloc_mib(c->mib);
	c->sh->stage = 3;
	return NULL;
}

static int mt_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;
	struct mt_ctx ctx = { .sh = sh };
	int go[2], block[2];
	pthread_t t1, t2;
	long q;

	CHILD_CHECK(sh, pipe(go) == 0 && pipe(block) == 0);
	ctx.go = go[0];
	ctx.block = block[0];
	CHILD_CHECK(sh, pthread_create(&t1, NULL, mt_blocker, &ctx) == 0);
	CHILD_CHECK(sh, pthread_create(&t2, NULL, mt_allocator, &ctx) == 0);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = (long)(st.heapsize / MiB) + 2;
	ctx.mib = q + 8;
	CHILD_CHECK(sh, rt_cap(getpid(), q, -1) == 0);
	sh->stage = 1;
	CHILD_CHECK(sh, write(go[1], "g", 1) == 1);
	pthread_join(t2, NULL);
	sh->stage = 2;
	return 0;
}

TEST(enforce_multithreaded_process_dies_whole)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(mt_child, sh, NULL);
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(1, sh->stage);
	shared_free(sh);
}

/* =====================================================================
 * Permissions.  Unprivileged = uid/gid 65534, no capabilities.
 */

/* Every call from an unprivileged process on @arg (a root process). */
static int unpriv_on_target_child(struct shared *sh, void *arg)
{
	const pid_t target = (pid_t)(long)arg;
	struct per_proc_resource st;

	if (become_nobody()) {
		sh->skip = 1;
		sh->fail_errno = errno;
		return 0;
	}
	STEP(sh, 0, rt_register(target));
	STEP(sh, 1, rt_fetch(&st, target));
	STEP(sh, 2, rt_fetch(NULL, target));
	STEP(sh, 3, rt_cap(target, 1, 1));
	STEP(sh, 4, rt_cap(target, -1, -1));
	STEP(sh, 5, rt_reset(target));
	STEP(sh, 6, rt_deregister(target));
	return 0;
}

static void unpriv_on_root_test(struct __test_metadata *_metadata,
				bool tracked, bool limited)
{
	struct per_proc_resource a, b;
	struct shared *sh;
	int status, i;

	ASSERT_TRUE((sh = shared_new()) != NULL);
	if (tracked)
		ASSERT_SYSOK(rt_register(getpid()));
	if (limited)
		ASSERT_SYSOK(rt_cap(getpid(), 1L << 20, 1L << 20));
	if (tracked)
		ASSERT_FETCH(a, getpid());
	status = run_child(unpriv_on_target_child, sh, (void *)(long)getpid());
	if (sh->skip)
		SKIP(return, "cannot switch to uid 65534: %s",
		     strerror(sh->fail_errno));
	EXPECT_CHILD_OK(status, sh);
	/* EPERM before EEXIST, ENOENT and EFAULT. */
	for (i = 0; i <= 6; i++)
		EXPECT_STEP_ERRNO(sh, i, EPERM);
	if (tracked) {
		/* Nothing changed: still tracked, and root can still act. */
		ASSERT_FETCH(b, getpid());
		EXPECT_EQ(a.pid, b.pid);
		EXPECT_SYSOK(rt_deregister(getpid()));
	} else {
		EXPECT_ERRNO(ENOENT, rt_fetch(&a, getpid()));
	}
	shared_free(sh);
}

TEST(perm_unpriv_on_untracked_root_process)
{
	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	unpriv_on_root_test(_metadata, false, false);
}

TEST(perm_unpriv_on_tracked_root_process)
{
	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	unpriv_on_root_test(_metadata, true, false);
}

TEST(perm_unpriv_on_limited_root_process)
{
	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	unpriv_on_root_test(_metadata, true, true);
}

/* The init/kthread EINVAL of register comes before EPERM. */
static int unpriv_init_child(struct shared *sh, void *arg)
{
	if (become_nobody()) {
		sh->skip = 1;
		sh->fail_errno = errno;
		return 0;
	}
	STEP(sh, 0, rt_register(1));
	if (arg)
		STEP(sh, 1, rt_register(2));
	return 0;
}

TEST(perm_unpriv_register_init_and_kthread_einval)
{
	struct shared *sh;
	bool kthread;
	int status;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	kthread = is_kthread(2);
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(unpriv_init_child, sh, kthread ? (void *)1L : NULL);
	if (sh->skip)
		SKIP(return, "cannot switch to uid 65534");
	EXPECT_CHILD_OK(status, sh);
	EXPECT_STEP_ERRNO(sh, 0, EINVAL);
	if (kthread)
		EXPECT_STEP_ERRNO(sh, 1, EINVAL);
	shared_free(sh);
}

/* An unprivileged process may track and lower, but not lift, its quotas. */
static int unpriv_self_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;
	long q, f;

	if (become_nobody()) {
		sh->skip = 1;
		return 0;
	}
	STEP(sh, 0, rt_register(getpid()));
	STEP(sh, 1, rt_fetch(&st, getpid()));
	q = (long)(st.heapsize / MiB) + 8;
	f = (long)st.openfile_count + 8;
	STEP(sh, 2, rt_cap(getpid(), q, f));		/* from unlimited */
	STEP(sh, 3, rt_cap(getpid(), q, f));		/* same values */
	STEP(sh, 4, rt_cap(getpid(), q - 1, f - 1));	/* lower both */
	STEP(sh, 5, rt_cap(getpid(), q, f - 1));	/* raise heap */
	STEP(sh, 6, rt_cap(getpid(), q - 1, f));	/* raise files */
	STEP(sh, 7, rt_cap(getpid(), -1, f - 1));	/* lift heap */
	STEP(sh, 8, rt_cap(getpid(), q - 1, -1));	/* lift files */
	STEP(sh, 9, rt_cap(getpid(), -1, -1));
	STEP(sh, 10, rt_reset(getpid()));
	STEP(sh, 11, rt_deregister(getpid()));
	STEP(sh, 12, rt_fetch(&st, getpid()));
	STEP(sh, 13, rt_cap(getpid(), q - 2, f - 2));
	return 0;
}

TEST(perm_unpriv_self_may_lower_not_lift)
{
	struct shared *sh;
	int status, i;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(unpriv_self_child, sh, NULL);
	if (sh->skip)
		SKIP(return, "cannot switch to uid 65534");
	EXPECT_CHILD_OK(status, sh);
	for (i = 0; i <= 4; i++)
		EXPECT_STEP_OK(sh, i);
	for (i = 5; i <= 11; i++)
		EXPECT_STEP_ERRNO(sh, i, EPERM);
	EXPECT_STEP_OK(sh, 12);
	EXPECT_STEP_OK(sh, 13);
	shared_free(sh);
}

/* Without a quota, reset and deregister need no privilege. */
static int unpriv_unlimited_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;

	if (become_nobody()) {
		sh->skip = 1;
		return 0;
	}
	STEP(sh, 0, rt_register(getpid()));
	STEP(sh, 1, rt_cap(getpid(), -1, -1));
	STEP(sh, 2, rt_reset(getpid()));
	STEP(sh, 3, rt_deregister(getpid()));
	STEP(sh, 4, rt_fetch(&st, getpid()));
	/* Untracked: ENOENT, not EPERM. */
	STEP(sh, 5, rt_cap(getpid(), 10, 10));
	STEP(sh, 6, rt_reset(getpid()));
	STEP(sh, 7, rt_register(getpid()));
	return 0;
}

TEST(perm_unpriv_self_unlimited)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(unpriv_unlimited_child, sh, NULL);
	if (sh->skip)
		SKIP(return, "cannot switch to uid 65534");
	EXPECT_CHILD_OK(status, sh);
	EXPECT_STEP_OK(sh, 0);
	EXPECT_STEP_OK(sh, 1);
	EXPECT_STEP_OK(sh, 2);
	EXPECT_STEP_OK(sh, 3);
	EXPECT_STEP_ERRNO(sh, 4, ENOENT);
	EXPECT_STEP_ERRNO(sh, 5, ENOENT);
	EXPECT_STEP_ERRNO(sh, 6, ENOENT);
	EXPECT_STEP_OK(sh, 7);
	shared_free(sh);
}

/* A refused raise sets neither quota (a heap or file quota of 0 would kill). */
static int unpriv_partial_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;
	long q, f;

	if (become_nobody()) {
		sh->skip = 1;
		return 0;
	}
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = (long)(st.heapsize / MiB) + 8;
	f = (long)st.openfile_count + 8;
	CHILD_CHECK(sh, rt_cap(getpid(), q, f) == 0);
	STEP(sh, 0, rt_cap(getpid(), 0, f + 1));
	STEP(sh, 1, rt_cap(getpid(), q + 1, 0));
	STEP(sh, 2, rt_cap(getpid(), 0, -1));
	STEP(sh, 3, rt_cap(getpid(), -1, 0));
	sh->stage = 1;
	return 0;
}

TEST(perm_unpriv_refused_raise_changes_nothing)
{
	struct shared *sh;
	int status, i;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(unpriv_partial_child, sh, NULL);
	if (sh->skip)
		SKIP(return, "cannot switch to uid 65534");
	EXPECT_CHILD_OK(status, sh);
	for (i = 0; i <= 3; i++)
		EXPECT_STEP_ERRNO(sh, i, EPERM);
	EXPECT_EQ(1, sh->stage);
	shared_free(sh);
}

/* Refused reset/deregister leave the quota in force. */
static int unpriv_reset_child(struct shared *sh, void *arg)
{
	struct per_proc_resource st;
	long q;

	if (become_nobody()) {
		sh->skip = 1;
		return 0;
	}
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = (long)(st.heapsize / MiB) + 2;
	CHILD_CHECK(sh, rt_cap(getpid(), q, -1) == 0);
	STEP(sh, 0, rt_reset(getpid()));
	STEP(sh, 1, rt_deregister(getpid()));
	sh->stage = 1;
	alloc_mib(q + 8);
	sh->stage = 2;
	return 0;
}

TEST(perm_unpriv_refused_reset_keeps_quota)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(unpriv_reset_child, sh, NULL);
	if (sh->skip)
		SKIP(return, "cannot switch to uid 65534");
	EXPECT_STEP_ERRNO(sh, 0, EPERM);
	EXPECT_STEP_ERRNO(sh, 1, EPERM);
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(1, sh->stage);
	shared_free(sh);
}

/* Two processes of one uid manage each other (but cannot lift limits). */
struct two_pids {
	pid_t a;
	pid_t b;
};

static int same_uid_child(struct shared *sh, void *arg)
{
	const struct two_pids *t = arg;
	struct per_proc_resource st;
	long q, f;

	if (become_nobody()) {
		sh->skip = 1;
		return 0;
	}
	memset(&st, 0, sizeof(st));
	STEP(sh, 0, rt_register(t->a));
	STEP(sh, 1, rt_fetch(&st, t->a));
	sh->val[0] = st.pid;
	q = (long)(st.heapsize / MiB) + 8;
	f = (long)st.openfile_count + 8;
	STEP(sh, 2, rt_cap(t->a, q, f));
	STEP(sh, 3, rt_cap(t->a, q - 1, f - 1));
	STEP(sh, 4, rt_cap(t->a, q, f - 1));
	STEP(sh, 5, rt_reset(t->a));
	STEP(sh, 6, rt_deregister(t->a));
	/* Unlimited: the full cycle. */
	STEP(sh, 7, rt_register(t->b));
	STEP(sh, 8, rt_fetch(&st, t->b));
	STEP(sh, 9, rt_reset(t->b));
	STEP(sh, 10, rt_deregister(t->b));
	STEP(sh, 11, rt_fetch(&st, t->b));
	return 0;
}

TEST(perm_same_uid_manage_each_other)
{
	struct sleeper sa, sb;
	struct shared *sh;
	struct two_pids t;
	int status, i;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, sleeper_start(&sa, SLEEPER_NOBODY, NULL));
	ASSERT_EQ(0, sleeper_start(&sb, SLEEPER_NOBODY, NULL));
	t.a = sa.pid;
	t.b = sb.pid;
	status = run_child(same_uid_child, sh, &t);
	if (sh->skip)
		SKIP(return, "cannot switch to uid 65534");
	EXPECT_CHILD_OK(status, sh);
	for (i = 0; i <= 3; i++)
		EXPECT_STEP_OK(sh, i);
	EXPECT_EQ((long)sa.pid, sh->val[0]);
	for (i = 4; i <= 6; i++)
		EXPECT_STEP_ERRNO(sh, i, EPERM);
	for (i = 7; i <= 10; i++)
		EXPECT_STEP_OK(sh, i);
	EXPECT_STEP_ERRNO(sh, 11, ENOENT);
	/* The quota is real; root may lift it. */
	EXPECT_SYSOK(rt_deregister(sa.pid));
	EXPECT_EQ(0, sleeper_stop(&sa));
	EXPECT_EQ(0, sleeper_stop(&sb));
	shared_free(sh);
}

/* Same uid but another gid, or a saved uid of 0: not manageable. */
static int unpriv_mismatch_child(struct shared *sh, void *arg)
{
	const pid_t target = (pid_t)(long)arg;
	struct per_proc_resource st;

	if (become_nobody()) {
		sh->skip = 1;
		return 0;
	}
	STEP(sh, 0, rt_register(target));
	STEP(sh, 1, rt_fetch(&st, target));
	STEP(sh, 2, rt_cap(target, 1, 1));
	STEP(sh, 3, rt_reset(target));
	STEP(sh, 4, rt_deregister(target));
	return 0;
}

static void mismatch_test(struct __test_metadata *_metadata,
			  enum sleeper_kind kind)
{
	struct sleeper s;
	struct shared *sh;
	int status, i;

	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, sleeper_start(&s, kind, NULL));
	/* Tracked by root, so that ENOENT cannot hide the EPERM. */
	ASSERT_SYSOK(rt_register(s.pid));
	status = run_child(unpriv_mismatch_child, sh, (void *)(long)s.pid);
	if (sh->skip) {
		sleeper_stop(&s);
		SKIP(return, "cannot switch to uid 65534");
	}
	EXPECT_CHILD_OK(status, sh);
	for (i = 0; i <= 4; i++)
		EXPECT_STEP_ERRNO(sh, i, EPERM);
	EXPECT_EQ(0, sleeper_stop(&s));
	shared_free(sh);
}

TEST(perm_other_gid_eperm)
{
	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	mismatch_test(_metadata, SLEEPER_NOBODY_OTHER_GID);
}

TEST(perm_root_saved_uid_eperm)
{
	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	mismatch_test(_metadata, SLEEPER_NOBODY_ROOT_SUID);
}

/* Root without CAP_SYS_RESOURCE manages root processes but lifts nothing. */
static int nocap_child(struct shared *sh, void *arg)
{
	const pid_t other = (pid_t)(long)arg;
	struct per_proc_resource st;
	long q, f;

	if (drop_cap_sys_resource()) {
		sh->skip = 1;
		sh->fail_errno = errno;
		return 0;
	}
	STEP(sh, 0, rt_register(getpid()));
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = (long)(st.heapsize / MiB) + 8;
	f = (long)st.openfile_count + 8;
	STEP(sh, 1, rt_cap(getpid(), q, f));
	STEP(sh, 2, rt_cap(getpid(), q + 1, f));
	STEP(sh, 3, rt_cap(getpid(), q, -1));
	STEP(sh, 4, rt_reset(getpid()));
	STEP(sh, 5, rt_deregister(getpid()));
	STEP(sh, 6, rt_cap(getpid(), q - 1, f - 1));

	STEP(sh, 7, rt_register(other));
	STEP(sh, 8, rt_fetch(&st, other));
	q = (long)(st.heapsize / MiB) + 8;
	f = (long)st.openfile_count + 8;
	STEP(sh, 9, rt_cap(other, q, f));
	STEP(sh, 10, rt_cap(other, q, f + 1));
	STEP(sh, 11, rt_reset(other));
	STEP(sh, 12, rt_deregister(other));
	return 0;
}

TEST(perm_root_without_cap_sys_resource)
{
	struct shared *sh;
	struct sleeper s;
	int status, i;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	status = run_child(nocap_child, sh, (void *)(long)s.pid);
	if (sh->skip) {
		sleeper_stop(&s);
		SKIP(return, "cannot drop CAP_SYS_RESOURCE: %s",
		     strerror(sh->fail_errno));
	}
	EXPECT_CHILD_OK(status, sh);
	EXPECT_STEP_OK(sh, 0);
	EXPECT_STEP_OK(sh, 1);
	for (i = 2; i <= 5; i++)
		EXPECT_STEP_ERRNO(sh, i, EPERM);
	EXPECT_STEP_OK(sh, 6);
	EXPECT_STEP_OK(sh, 7);
	EXPECT_STEP_OK(sh, 8);
	EXPECT_STEP_OK(sh, 9);
	for (i = 10; i <= 12; i++)
		EXPECT_STEP_ERRNO(sh, i, EPERM);
	/* Root with the capability lifts it. */
	EXPECT_SYSOK(rt_reset(s.pid));
	EXPECT_SYSOK(rt_deregister(s.pid));
	EXPECT_EQ(0, sleeper_stop(&s));
	shared_free(sh);
}

/* Root (CAP_SYS_RESOURCE) manages another uid's process fully. */
TEST(perm_root_manages_other_uid)
{
	struct per_proc_resource st;
	struct sleeper s;
	long q, f;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_NOBODY, NULL));
	EXPECT_SYSOK(rt_register(s.pid));
	ASSERT_FETCH(st, s.pid);
	EXPECT_EQ(s.pid, st.pid);
	q = (long)(st.heapsize / MiB) + 8;
	f = (long)st.openfile_count + 8;
	EXPECT_SYSOK(rt_cap(s.pid, q, f));
	EXPECT_SYSOK(rt_cap(s.pid, q + 100, f + 100));
	EXPECT_SYSOK(rt_cap(s.pid, -1, f));
	EXPECT_SYSOK(rt_reset(s.pid));
	EXPECT_SYSOK(rt_cap(s.pid, q, f));
	EXPECT_SYSOK(rt_deregister(s.pid));
	EXPECT_ERRNO(ENOENT, rt_fetch(&st, s.pid));
	EXPECT_EQ(0, sleeper_stop(&s));
}

/* =====================================================================
 * /proc/tracker_status (tracker module).
 */
static char status_buf[1 << 17];

TEST(status_header_and_format)
{
	struct status_line line;
	char comm[64];
	size_t hlen = strlen(STATUS_HEADER);

	REQUIRE_RESTRACK();
	REQUIRE_STATUS();
	ASSERT_SYSOK(rt_register(getpid()));
	ASSERT_LT(0, status_read(status_buf, sizeof(status_buf)));
	EXPECT_EQ(0, strncmp(status_buf, STATUS_HEADER, hlen))
		TH_LOG("header: %.80s", status_buf);
	EXPECT_EQ('\n', status_buf[hlen]);
	/* Every line parses; ours is there, running, with our comm. */
	ASSERT_EQ(1, status_find(status_buf, getpid(), &line))
		TH_LOG("no line for %d (or a malformed line)", (int)getpid());
	EXPECT_EQ((int)'R', (int)line.state);
	ASSERT_TRUE(proc_comm(getpid(), comm, sizeof(comm)));
	EXPECT_STREQ(comm, line.comm);
	EXPECT_EQ(-1L, line.heap_quota_mb);
	EXPECT_EQ(-1L, line.file_quota);
}

TEST(status_fields_agree_with_fetch)
{
	struct per_proc_resource a, b;
	struct status_line line;
	struct sleeper s;
	char comm[64];

	REQUIRE_RESTRACK();
	REQUIRE_STATUS();
	/* A comm with spaces: COMM is the rest of the line. */
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, "rt status kid"));
	ASSERT_SYSOK(rt_register(s.pid));
	ASSERT_SYSOK(rt_cap(s.pid, 512, 77));
	ASSERT_FETCH(a, s.pid);
	ASSERT_LT(0, status_read(status_buf, sizeof(status_buf)));
	ASSERT_FETCH(b, s.pid);
	EXPECT_SAME_USAGE(a, b);
	ASSERT_EQ(1, status_find(status_buf, s.pid, &line));
	EXPECT_EQ((long)s.pid, line.pid);
	EXPECT_EQ(a.heapsize, line.heap);
	EXPECT_EQ(a.openfile_count, line.files);
	EXPECT_EQ(512L, line.heap_quota_mb);
	EXPECT_EQ(77L, line.file_quota);
	EXPECT_EQ((int)'S', (int)line.state);
	EXPECT_EQ((int)proc_state(s.pid), (int)line.state);
	EXPECT_STREQ("rt status kid", line.comm);
	ASSERT_TRUE(proc_comm(s.pid, comm, sizeof(comm)));
	EXPECT_STREQ(comm, line.comm);
	EXPECT_EQ(0, sleeper_stop(&s));
}

TEST(status_unlimited_is_minus_one)
{
	struct status_line line;
	struct sleeper s;

	REQUIRE_RESTRACK();
	REQUIRE_STATUS();
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	ASSERT_SYSOK(rt_register(s.pid));
	ASSERT_SYSOK(rt_cap(s.pid, 300, -1));
	ASSERT_LT(0, status_read(status_buf, sizeof(status_buf)));
	ASSERT_EQ(1, status_find(status_buf, s.pid, &line));
	EXPECT_EQ(300L, line.heap_quota_mb);
	EXPECT_EQ(-1L, line.file_quota);
	ASSERT_SYSOK(rt_reset(s.pid));
	ASSERT_LT(0, status_read(status_buf, sizeof(status_buf)));
	ASSERT_EQ(1, status_find(status_buf, s.pid, &line));
	EXPECT_EQ(-1L, line.heap_quota_mb);
	EXPECT_EQ(-1L, line.file_quota);
	EXPECT_EQ(0, sleeper_stop(&s));
}

/* Failed calls leave the quotas as they were. */
TEST(status_failed_calls_change_nothing)
{
	struct status_line line;
	struct sleeper s;

	REQUIRE_RESTRACK();
	REQUIRE_STATUS();
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	ASSERT_SYSOK(rt_register(s.pid));
	ASSERT_SYSOK(rt_cap(s.pid, 50, 40));
	EXPECT_ERRNO(EINVAL, rt_cap(s.pid, 10, -2));
	EXPECT_ERRNO(EINVAL, rt_cap(s.pid, -2, 10));
	EXPECT_ERRNO(EINVAL, rt_cap(s.pid, LONG_MAX, 10));
	EXPECT_ERRNO(EEXIST, rt_register(s.pid));
	ASSERT_LT(0, status_read(status_buf, sizeof(status_buf)));
	ASSERT_EQ(1, status_find(status_buf, s.pid, &line));
	EXPECT_EQ(50L, line.heap_quota_mb);
	EXPECT_EQ(40L, line.file_quota);
	EXPECT_EQ(0, sleeper_stop(&s));
}

TEST(status_gone_after_deregister)
{
	struct status_line line;
	struct sleeper s;

	REQUIRE_RESTRACK();
	REQUIRE_STATUS();
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	ASSERT_SYSOK(rt_register(s.pid));
	ASSERT_LT(0, status_read(status_buf, sizeof(status_buf)));
	EXPECT_EQ(1, status_find(status_buf, s.pid, &line));
	ASSERT_SYSOK(rt_deregister(s.pid));
	ASSERT_LT(0, status_read(status_buf, sizeof(status_buf)));
	EXPECT_EQ(0, status_find(status_buf, s.pid, &line));
	EXPECT_EQ(0, sleeper_stop(&s));
}

TEST(status_gone_after_exit)
{
	struct status_line line;
	struct sleeper s;
	pid_t pid;

	REQUIRE_RESTRACK();
	REQUIRE_STATUS();
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	pid = s.pid;
	ASSERT_SYSOK(rt_register(pid));
	ASSERT_SYSOK(rt_cap(pid, 500, 50));
	EXPECT_EQ(0, sleeper_stop(&s));
	ASSERT_LT(0, status_read(status_buf, sizeof(status_buf)));
	EXPECT_EQ(0, status_find(status_buf, pid, &line));
}

TEST(status_gone_for_zombie)
{
	struct status_line line;
	struct sleeper s;
	pid_t pid;

	REQUIRE_RESTRACK();
	REQUIRE_STATUS();
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	pid = s.pid;
	ASSERT_SYSOK(rt_register(pid));
	ASSERT_EQ(0, sleeper_exit_unreaped(&s));
	ASSERT_LT(0, status_read(status_buf, sizeof(status_buf)));
	EXPECT_EQ(0, status_find(status_buf, pid, &line));
	EXPECT_EQ(0, wait_child(pid));
}

/* =====================================================================
 * main: helper modes for exec, else the harness.
 */
static int helper_main(int argc, char **argv)
{
	struct helper_report r;
	const char *mode;
	long arg, i;
	int wfd;
	char c;

	if (argc < 5)
		return 2;
	mode = argv[2];
	wfd = atoi(argv[3]);
	arg = atol(argv[4]);
	helper_fill(&r);
	if (write_full(wfd, &r, sizeof(r)))
		return 3;
	if (!strcmp(mode, "report")) {
		if (arg >= 0)
			while (read((int)arg, &c, 1) < 0 && errno == EINTR)
				;
		return 0;
	}
	if (!strcmp(mode, "alloc")) {
		alloc_mib(arg);
		return 0;
	}
	if (!strcmp(mode, "files")) {
		for (i = 0; i < arg; i++)
			if (eventfd(0, 0) < 0)
				return 4;
		return 0;
	}
	return 2;
}

/*
 * Identity: a tracked process dies and a new process gets its pid number.
 * The new one must be untracked and unlimited.  pid_max is lowered so that
 * the pid counter wraps quickly.
 */
TEST(pid_reuse_names_an_untracked_process)
{
	char old_max[32], buf[32];
	struct per_proc_resource st;
	pid_t victim, p;
	int i, status, fd;
	bool found = false;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	ASSERT_GT(read_file("/proc/sys/kernel/pid_max", old_max, sizeof(old_max)), 0);

	/* After a wrap pids restart at 300: make the victim's number higher. */
	do {
		victim = fork();
		ASSERT_GE(victim, 0);
		if (victim == 0) {
			pause();
			_exit(0);
		}
		if (victim > 310)
			break;
		kill(victim, SIGKILL);
		waitpid(victim, &status, 0);
	} while (1);
	ASSERT_SYSOK(rt_register(victim));
	ASSERT_SYSOK(rt_cap(victim, 1, 3));
	ASSERT_EQ(0, kill(victim, SIGKILL));
	ASSERT_EQ(victim, waitpid(victim, &status, 0));

	/* Pids wrap at pid_max back to 300 and climb to the victim's number. */
	fd = open("/proc/sys/kernel/pid_max", O_WRONLY);
	ASSERT_GE(fd, 0);
	snprintf(buf, sizeof(buf), "%d", victim + 1);
	ASSERT_GT(write(fd, buf, strlen(buf)), 0);

	for (i = 0; i < 4 * victim && !found; i++) {
		p = fork();
		if (p < 0)
			break;
		if (p == 0) {
			if (getpid() == victim)
				pause();
			_exit(0);
		}
		if (p != victim) {
			waitpid(p, &status, 0);
			continue;
		}
		found = true;
		/* Same number, new process: not tracked, no quota. */
		EXPECT_ERRNO(ENOENT, rt_fetch(&st, p));
		EXPECT_ERRNO(ENOENT, rt_cap(p, 1, 1));
		EXPECT_SYSOK(rt_register(p));
		EXPECT_SYSOK(rt_fetch(&st, p));
		EXPECT_EQ(p, st.pid);
		kill(p, SIGKILL);
		waitpid(p, &status, 0);
		/* It was not killed by a stale quota before we did. */
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
	ASSERT_GT(write(fd, old_max, strlen(old_max)), 0);
	close(fd);
	ASSERT_TRUE(found) TH_LOG("pid %d was not reused in %d forks", victim, i);
}

/* Load and unload both modules again and again while tracked processes work. */
static int finit(const char *name)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/modules/%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ret;
}

/*
 * Work as a tracked process until *stop is set: map, open, fetch and fork
 * tracked children.  It runs for as long as the reloads do, whatever the
 * kernel's speed, and dies with the test if the harness kills it.
 */
static void busy_tracked_child(volatile int *stop)
{
	struct per_proc_resource st;
	int i, fd, status;
	pid_t p;
	void *m;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (rt_register(getpid()) || rt_cap(getpid(), 256, 256))
		_exit(10);
	for (i = 0; i == 0 || !*stop; i++) {
		m = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(11);
		fd = open("/proc/self/stat", O_RDONLY);
		if (fd < 0 || rt_fetch(&st, getpid()))
			_exit(12);
		close(fd);
		munmap(m, 64 * 1024);
		if (i % 20 == 0) {
			p = fork();
			if (p == 0) {
				rt_register(getpid());
				_exit(0);
			}
			waitpid(p, &status, 0);
		}
	}
	_exit(0);
}

TEST(modules_reload_while_tracked_processes_change)
{
	char buf[8192];
	volatile int *stop;
	pid_t kids[4];
	int round, i, status;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	if (access("/modules/cleanup_kprobe.ko", R_OK) || access(STATUS_PATH, R_OK))
		SKIP(return, "modules not loaded in this run");

	stop = mmap(NULL, sizeof(*stop), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, stop);
	*stop = 0;
	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		ASSERT_GE(kids[i], 0);
		if (kids[i] == 0)
			busy_tracked_child(stop);
	}
	for (round = 0; round < 10; round++) {
		ASSERT_EQ(0, syscall(SYS_delete_module, "tracker", O_NONBLOCK))
			TH_LOG("rmmod tracker: %s", strerror(errno));
		ASSERT_EQ(0, syscall(SYS_delete_module, "cleanup_kprobe", O_NONBLOCK))
			TH_LOG("rmmod cleanup_kprobe: %s", strerror(errno));
		EXPECT_NE(0, access(STATUS_PATH, F_OK));
		ASSERT_EQ(0, finit("cleanup_kprobe"))
			TH_LOG("insmod cleanup_kprobe: %s", strerror(errno));
		ASSERT_EQ(0, finit("tracker"))
			TH_LOG("insmod tracker: %s", strerror(errno));
		ASSERT_GT(read_file(STATUS_PATH, buf, sizeof(buf)), 0);
		EXPECT_EQ(0, strncmp(buf, STATUS_HEADER "\n", strlen(STATUS_HEADER) + 1));
	}
	*stop = 1;
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(kids[i], waitpid(kids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("child %d: status 0x%x", i, status);
	}
}

/*
 * Isolation: CAP_SYS_RESOURCE in a new user namespace gives no power over
 * processes outside it, nor over a limit set on oneself from outside.
 */
struct userns_arg {
	pid_t root_target;	/* root's, tracked and limited */
	pid_t nobody_target;	/* nobody's, limited by root */
};

static int userns_child(struct shared *sh, void *arg)
{
	struct userns_arg *ua = arg;
	pid_t self = getpid();

	CHILD_CHECK(sh, become_nobody() == 0);
	CHILD_CHECK(sh, rt_register(self) == 0);
	CHILD_CHECK(sh, rt_cap(self, 512, 512) == 0);
	if (unshare(CLONE_NEWUSER)) {
		sh->skip = 1;
		sh->fail_errno = errno;
		return 0;
	}
	/* Full capabilities now, but only inside the new namespace. */
	sh->val[0] = prctl(PR_CAPBSET_READ, CAP_SYS_RESOURCE, 0, 0, 0);
	STEP(sh, 0, rt_cap(ua->root_target, 1024, 1024));
	STEP(sh, 1, rt_reset(ua->root_target));
	STEP(sh, 2, rt_deregister(ua->root_target));
	STEP(sh, 3, rt_register(ua->root_target));
	STEP(sh, 4, rt_cap(ua->nobody_target, 1024, 1024));
	STEP(sh, 5, rt_reset(ua->nobody_target));
	STEP(sh, 6, rt_deregister(ua->nobody_target));
	/* Its own limit, set from the initial namespace, still binds it. */
	STEP(sh, 7, rt_reset(self));
	STEP(sh, 8, rt_cap(self, 1024, 512));
	STEP(sh, 9, rt_deregister(self));
	STEP(sh, 10, rt_cap(self, 256, 256));
	return 0;
}

TEST(userns_cap_gives_no_power_outside)
{
	struct sleeper root_s, nobody_s;
	struct per_proc_resource st;
	struct userns_arg ua;
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, sleeper_start(&root_s, SLEEPER_ROOT, NULL));
	ASSERT_EQ(0, sleeper_start(&nobody_s, SLEEPER_NOBODY, NULL));
	ua.root_target = root_s.pid;
	ua.nobody_target = nobody_s.pid;
	ASSERT_SYSOK(rt_register(root_s.pid));
	ASSERT_SYSOK(rt_cap(root_s.pid, 64, 64));
	ASSERT_SYSOK(rt_register(nobody_s.pid));
	ASSERT_SYSOK(rt_cap(nobody_s.pid, 64, 64));

	status = run_child(userns_child, sh, &ua);
	if (sh->skip) {
		sleeper_stop(&root_s);
		sleeper_stop(&nobody_s);
		SKIP(return, "unshare(CLONE_NEWUSER): %s", strerror(sh->fail_errno));
	}
	EXPECT_CHILD_OK(status, sh);
	EXPECT_EQ(1L, sh->val[0]);
	EXPECT_STEP_ERRNO(sh, 0, EPERM);
	EXPECT_STEP_ERRNO(sh, 1, EPERM);
	EXPECT_STEP_ERRNO(sh, 2, EPERM);
	EXPECT_STEP_ERRNO(sh, 3, EPERM);
	EXPECT_STEP_ERRNO(sh, 4, EPERM);
	EXPECT_STEP_ERRNO(sh, 5, EPERM);
	EXPECT_STEP_ERRNO(sh, 6, EPERM);
	EXPECT_STEP_ERRNO(sh, 7, EPERM);
	EXPECT_STEP_ERRNO(sh, 8, EPERM);
	EXPECT_STEP_ERRNO(sh, 9, EPERM);
	EXPECT_STEP_OK(sh, 10);
	/* Nothing changed outside. */
	ASSERT_FETCH(st, root_s.pid);
	ASSERT_FETCH(st, nobody_s.pid);
	EXPECT_SYSOK(rt_deregister(root_s.pid));
	EXPECT_SYSOK(rt_deregister(nobody_s.pid));
	EXPECT_EQ(0, sleeper_stop(&root_s));
	EXPECT_EQ(0, sleeper_stop(&nobody_s));
	shared_free(sh);
}

/*
 * Isolation: the /proc/tracker_status of a proc mounted in a new pid
 * namespace shows only that namespace's processes, with that namespace's
 * pids: pids are those of the proc mount's namespace (restrack_escape.c
 * reads the host's proc from inside too).  The tracked process is the
 * namespace init's child, pid 2 there: an init cannot be registered.
 */
static int pidns_status_tracked(struct shared *sh, void *arg)
{
	char buf[8192], path[96], *line;
	int rows = 0;

	snprintf(path, sizeof(path), "%s/tracker_status", (const char *)arg);
	CHILD_CHECK(sh, getpid() == 2);
	CHILD_CHECK(sh, rt_register(2) == 0);
	CHILD_CHECK(sh, rt_cap(2, 512, 77) == 0);
	CHILD_CHECK(sh, read_file(path, buf, sizeof(buf)) > 0);
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		struct status_line sl;

		if (!strncmp(line, "PID ", 4))
			continue;
		rows++;
		CHILD_CHECK(sh, status_parse_line(line, &sl));
		CHILD_CHECK(sh, sl.pid == 2 && sl.file_quota == 77);
	}
	sh->val[0] = rows;
	return 0;
}

/* The namespace's init: its own proc, in its own mount namespace. */
static int pidns_status_inner(struct shared *sh, void *arg)
{
	const char *mnt = arg;
	int status;

	CHILD_CHECK(sh, getpid() == 1);
	CHILD_CHECK(sh, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	mkdir(mnt, 0755);
	CHILD_CHECK(sh, mount("proc", mnt, "proc",
			      MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0);
	status = run_child(pidns_status_tracked, sh, arg);
	umount2(mnt, MNT_DETACH);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

static int pidns_status_outer(struct shared *sh, void *arg)
{
	int status;

	if (unshare(CLONE_NEWPID | CLONE_NEWNS)) {
		sh->skip = 1;
		sh->fail_errno = errno;
		return 0;
	}
	status = run_child(pidns_status_inner, sh, arg);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(status_in_child_pid_namespace)
{
	struct shared *sh;
	char mnt[64];
	int status;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	REQUIRE_STATUS();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	tmp_path(mnt, sizeof(mnt), "proc");
	/* Tracked outside: must not show inside. */
	ASSERT_SYSOK(rt_register(getpid()));
	status = run_child(pidns_status_outer, sh, mnt);
	rmdir(mnt);
	if (sh->skip)
		SKIP(return, "unshare(CLONE_NEWPID | CLONE_NEWNS): %s",
		     strerror(sh->fail_errno));
	EXPECT_CHILD_OK(status, sh);
	EXPECT_EQ(1L, sh->val[0]);
	EXPECT_SYSOK(rt_deregister(getpid()));
	shared_free(sh);
}

/* TEST_HARNESS_MAIN, plus the helper modes. */
RESTRACK_HARNESS_MAIN(helper_main)
