// SPDX-License-Identifier: GPL-2.0
/*
 * Race and pid-reuse stress for the resource tracker.
 *
 *   restrack_stress [-t SECONDS] [-j JOBS]
 *
 * Keeps JOBS processes running for SECONDS, each replaced as soon as it
 * ends.  Jobs register themselves and set quotas; "honest" jobs (some
 * multithreaded) map, open, fork and exit within their quotas and must
 * never be killed; "greedy" jobs (some multithreaded, allocating and
 * opening from every thread at once) cross a quota and must die by SIGKILL
 * promptly.  Meanwhile two threads register, fetch, cap (never below an
 * honest job's needs), reset and deregister the managed honest jobs, and a
 * third unloads and reloads both modules when they are in /modules.
 * pid_max is lowered so that pids are reused thousands of times.
 *
 * The routes by which another task grows a tracked process:
 *   honest-clone-vm  a clone(CLONE_VM) child and a vfork child map 4 MiB
 *		    into the job's mm: the job's figure is its mm's, exactly;
 *   scm-receiver     an untracked sender floods the job, which has a file
 *		    quota, with descriptors over SCM_RIGHTS (half the jobs
 *		    receive in two threads with a table each): the job lives,
 *		    sees MSG_CTRUNC, never holds more than its quota;
 *   pidns-init       the init of a new pid namespace cannot be registered,
 *		    from inside (EINVAL) or from outside by its global pid;
 *   greedy-clone-vm, greedy-vfork  a clone(CLONE_VM) or vfork child maps
 *		    past the job's heap quota: the job dies, its figure never
 *		    passes the quota;
 *   greedy-unshare   threads that unshare their table (unshare() or
 *		    close_range(CLOSE_RANGE_UNSHARE)), a thread on the shared
 *		    table and a CLONE_FILES child open past the job's file
 *		    quota: the job dies, its figure never passes the quota.
 * Jobs and their children count what they see wrong in a shared counter.
 *
 * Afterwards /proc/tracker_status (when present) must list no process that
 * is gone.  Prints "stress: N jobs, N pid reuses, N module reloads,
 * N manager calls, N violations"; exits 1 on any violation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/resource_tracker.h>

#include "restrack_helpers.h"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

#define MAX_JOBS	16
#define PID_MAX		360
#define RW		(PROT_READ | PROT_WRITE)
#define CLONE_STACK	(256 * 1024)
#define VM_CHUNK	(256 * 1024)	/* an honest clone child maps 16 */
#define GREEDY_ROOM_MB	8		/* greedy: heap usage + 8 MiB */
#define UNSHARE_QUOTA	32		/* greedy-unshare's file quota */
#define SCM_ROOM	16		/* scm-receiver's quota: usage + 16 */
#define SCM_MSGS	120
#define SCM_TIMEOUT_S	5
#define SCM_HELD	(2 * RT_SCM_MAX)	/* most ever held */

enum kind {
	HONEST, HONEST_THREADS, CHURN, HONEST_CLONE_VM, PIDNS_INIT,
	SCM_RECEIVER,
	GREEDY_HEAP, GREEDY_FILES, GREEDY_THREADS, GREEDY_CLONE_VM,
	GREEDY_VFORK, GREEDY_UNSHARE,
	NR_KINDS
};

/* Honest jobs end with status 0; the managers work on the first ones. */
#define IS_HONEST(k) ((k) <= SCM_RECEIVER)
#define IS_MANAGED(k) ((k) <= PIDNS_INIT)

static const char *const kind_name[] = {
	"honest", "honest-threads", "churn", "honest-clone-vm", "pidns-init",
	"scm-receiver",
	"greedy-heap", "greedy-files", "greedy-threads", "greedy-clone-vm",
	"greedy-vfork", "greedy-unshare",
};

struct job {
	pid_t pid;
	enum kind kind;
	struct timespec start;
};

static struct job jobs[MAX_JOBS];
static volatile bool stop;
static long violations, reloads, manager_calls;
/* How often each pid was handed out; shared with the jobs. */
static unsigned short *seen;
/* Violations that jobs and their children see; shared with them. */
static long *job_violations;

static void bad(const char *fmt, long a, long b)
{
	__atomic_add_fetch(&violations, 1, __ATOMIC_RELAXED);
	printf("stress: VIOLATION ");
	printf(fmt, a, b);
	printf("\n");
}

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

/*
 * A violation seen inside a job or a child of one (a clone(CLONE_VM) child
 * included: no stdio, no allocation, raw pid).
 */
static void job_bad(const char *fmt, long a, long b)
{
	char buf[256];
	size_t n;
	int r;

	__atomic_add_fetch(job_violations, 1, __ATOMIC_RELAXED);
	r = snprintf(buf, sizeof(buf), "stress: VIOLATION in %ld: ",
		     (long)syscall(SYS_getpid));
	n = r < 0 ? 0 : (size_t)r;
	if (n < sizeof(buf)) {
		r = snprintf(buf + n, sizeof(buf) - n, fmt, a, b);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDOUT_FILENO, buf, n) < 0)
		return;
}

/* --- jobs (child processes) -------------------------------------------- */

static void honest_work(void)
{
	int i, fd, status;
	pid_t p;
	void *m;

	for (i = 0; i < 40; i++) {
		m = mmap(NULL, 256 * 1024, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m != MAP_FAILED) {
			memset(m, 1, 4096);
			munmap(m, 256 * 1024);
		}
		fd = open("/proc/self/stat", O_RDONLY);
		if (fd >= 0)
			close(fd);
		if (i % 10 == 0) {
			p = fork();
			if (p == 0)
				_exit(0);
			if (p > 0)
				waitpid(p, &status, 0);
		}
	}
}

static void *honest_thread(void *arg)
{
	(void)arg;
	honest_work();
	return NULL;
}

static void *greedy_thread(void *arg)
{
	long n = (long)arg;
	int i;

	for (i = 0; i < 100000; i++) {
		if (n % 2) {
			void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m != MAP_FAILED)
				memset(m, 1, 4096);
		} else if (open("/proc/self/stat", O_RDONLY) < 0) {
			break;
		}
	}
	return NULL;
}

static void run_threads(void *(*fn)(void *), int n)
{
	pthread_t t[8];
	long i;

	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, fn, (void *)i);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* Short-lived tracked children, so that tracked pids are reused. */
static void churn(void)
{
	int i, status;
	pid_t p;

	for (i = 0; i < 100; i++) {
		p = fork();
		/*
		 * The pid may be an honest job's old one, which a manager
		 * thread registers or deregisters now and then: EEXIST on
		 * register and ENOENT on cap are its doing, not a fault.
		 */
		if (p == 0) {
			if (syscall(__NR_register, getpid()) && errno != EEXIST)
				_exit(1);
			if (syscall(__NR_resource_cap, getpid(), 64L, 64L) &&
			    errno != ENOENT)
				_exit(2);
			_exit(0);
		}
		if (p < 0)
			continue;
		if (p <= PID_MAX)
			__atomic_add_fetch(&seen[p], 1, __ATOMIC_RELAXED);
		if (waitpid(p, &status, 0) != p || status != 0)
			_exit(12);
	}
}

/*
 * A heap quota @mb MiB above the job's usage: a job inherits the stress
 * process's mappings (its threads' stacks), so a fixed quota could be
 * below usage and kill at once, before any growth.
 */
static long heap_room(long mb)
{
	struct per_proc_resource st;

	if (rt_fetch(&st, getpid()))
		return mb;
	return (long)(st.heapsize / MiB) + mb;
}

/* --- the mm, grown by a clone(CLONE_VM) or vfork child ------------------- */

struct vm_job {
	pid_t parent;		/* the tracked job */
	bool have_base;
	unsigned long base;	/* its heap figure before the child */
	unsigned long limit;	/* greedy: the quota, plus a page */
	long quota_mb;
	long done;		/* set by the child when it is through */
};

/* Honest: map 4 MiB in the job's mm, see the job's figure grow by that. */
static int vm_honest_child(void *arg)
{
	struct vm_job *v = arg;
	struct per_proc_resource st;
	long m[16], i;

	for (i = 0; i < 16; i++) {
		m[i] = syscall(SYS_mmap, NULL, (long)VM_CHUNK, (long)RW,
			       (long)(MAP_PRIVATE | MAP_ANONYMOUS), -1L, 0L);
		if (m[i] == -1)
			job_bad("honest clone child: mmap %ld: errno %ld", i,
				errno);
		else
			*(char *)m[i] = 1;
	}
	if (rt_fetch(&st, v->parent)) {
		if (errno != ENOENT)	/* a manager may deregister */
			job_bad("honest clone child: fetch(%ld): errno %ld",
				v->parent, errno);
	} else if (v->have_base && st.heapsize != v->base + 16 * VM_CHUNK) {
		job_bad("clone child's 4 MiB not charged: %ld bytes, want %ld",
			(long)st.heapsize, (long)(v->base + 16 * VM_CHUNK));
	}
	for (i = 0; i < 16; i++)
		if (m[i] != -1)
			syscall(SYS_munmap, m[i], (long)VM_CHUNK);
	__atomic_store_n(&v->done, 1L, __ATOMIC_SEQ_CST);
	return 0;
}

static void honest_vm(char *stack, bool vfork)
{
	struct vm_job v = { .parent = getpid() };
	struct per_proc_resource st;
	int status = -1;
	pid_t c;

	memset(&st, 0, sizeof(st));
	v.have_base = rt_fetch(&st, v.parent) == 0;
	v.base = st.heapsize;
	c = clone(vm_honest_child, stack + CLONE_STACK,
		  CLONE_VM | (vfork ? CLONE_VFORK : 0) | SIGCHLD, &v);
	if (c < 0) {
		job_bad("honest clone-vm: clone: errno %ld%ld", errno, 0);
		return;
	}
	while (waitpid(c, &status, 0) < 0 && errno == EINTR)
		;
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		job_bad("honest clone child %ld ended with status 0x%lx", c,
			status);
	if (v.have_base && rt_fetch(&st, v.parent) == 0 &&
	    st.heapsize != v.base)
		job_bad("heap %ld bytes after the clone child, was %ld",
			(long)st.heapsize, (long)v.base);
}

/* Greedy: map 64 MiB in the job's mm, 8 MiB of room: dies in the call. */
static int vm_greedy_child(void *arg)
{
	struct vm_job *v = arg;
	struct per_proc_resource st;
	long i;

	for (i = 0; i < 64; i++) {
		syscall(SYS_mmap, NULL, (long)MiB, (long)RW,
			(long)(MAP_PRIVATE | MAP_ANONYMOUS), -1L, 0L);
		if (rt_fetch(&st, v->parent) == 0 && st.heapsize > v->limit)
			job_bad("clone child took the heap to %ld bytes, quota %ld MiB",
				(long)st.heapsize, v->quota_mb);
	}
	__atomic_store_n(&v->done, 1L, __ATOMIC_SEQ_CST);
	return 0;
}

static void greedy_vm(bool vfork)
{
	struct vm_job v = { .parent = getpid() };
	struct per_proc_resource st;
	struct timespec t0;
	char *stack;
	pid_t c;

	stack = map_anon(CLONE_STACK, RW);
	if (!stack)
		_exit(30);
	v.quota_mb = heap_room(GREEDY_ROOM_MB);
	v.limit = (unsigned long)v.quota_mb * MiB + page_size();
	if (rt_cap(v.parent, v.quota_mb, -1L))
		_exit(31);
	c = clone(vm_greedy_child, stack + CLONE_STACK,
		  CLONE_VM | (vfork ? CLONE_VFORK : 0) | SIGCHLD, &v);
	if (c < 0)
		_exit(32);
	/* A vfork parent gets here only when the child is gone. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!__atomic_load_n(&v.done, __ATOMIC_SEQ_CST) && since(&t0) < 10) {
		if (rt_fetch(&st, v.parent) == 0 && st.heapsize > v.limit)
			job_bad("heap %ld bytes, quota %ld MiB",
				(long)st.heapsize, v.quota_mb);
		sched_yield();
	}
	waitpid(c, NULL, 0);
	_exit(vfork ? 24 : 23);
}

/* --- file tables: unshared by threads, shared with a child -------------- */

static long openers_done;

static void open_many(void)
{
	int i;

	for (i = 0; i < 200; i++)
		if (open("/", O_RDONLY | O_DIRECTORY) < 0)
			break;
}

static void *unshare_opener(void *arg)
{
	long n = (long)arg;

	if (n % 4 == 1)
		syscall(__NR_close_range, ~0U, ~0U, CLOSE_RANGE_UNSHARE);
	else if (n % 4 != 3)	/* the fourth stays on the shared table */
		unshare(CLONE_FILES);
	open_many();
	__atomic_add_fetch(&openers_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void greedy_unshare(void)
{
	struct per_proc_resource st;
	struct timespec t0;
	pthread_t t[4];
	long i;
	pid_t c;

	close_fds_range(3, ~0U);
	if (rt_cap(getpid(), -1L, (long)UNSHARE_QUOTA))
		_exit(35);
	/* An untracked child on the job's table: it counts for the job. */
	c = (pid_t)syscall(SYS_clone, (long)(CLONE_FILES | SIGCHLD), 0L, 0L,
			   0L, 0L);
	if (c == 0) {
		open_many();
		_exit(0);
	}
	for (i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, unshare_opener, (void *)i))
			_exit(36);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(&openers_done, __ATOMIC_SEQ_CST) < 4 &&
	       since(&t0) < 10) {
		if (rt_fetch(&st, getpid()) == 0 &&
		    st.openfile_count > UNSHARE_QUOTA)
			job_bad("%ld files, quota %ld", (long)st.openfile_count,
				(long)UNSHARE_QUOTA);
		sched_yield();
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	if (c > 0)
		waitpid(c, NULL, 0);
	_exit(25);
}

/* --- descriptors pushed in with SCM_RIGHTS ------------------------------ */

/* How many descriptors message @i carries: both ends compute it. */
static int scm_count(unsigned int seed, int i)
{
	unsigned int h = seed ^ ((unsigned int)i * 2654435761U);

	h ^= h >> 15;
	h *= 0x2c1b3c6dU;
	h ^= h >> 12;
	return 1 + (int)((h >> 1) % (h & 1 ? RT_SCM_MAX : 24));
}

/* Untracked: message i of SCM_MSGS to socket i % nsock; exits 0 or 1. */
static void scm_sender(const int *sock, int nsock, unsigned int seed)
{
	int fds[RT_SCM_MAX], fd, i;

	fd = open("/dev/null", O_RDONLY);
	if (fd < 0)
		_exit(1);
	for (i = 0; i < RT_SCM_MAX; i++)
		fds[i] = fd;
	for (i = 0; i < SCM_MSGS; i++)
		if (send_fds(sock[i % nsock], fds, scm_count(seed, i)))
			_exit(errno == EPIPE ? 0 : 1);
	_exit(0);
}

struct scm_rx {
	int sock;
	int first;		/* messages first, first + step, ... */
	int step;
	unsigned int seed;
	long quota;
	bool exact;		/* one table: the figure is ours alone */
	long truncs;
	long ready;
	long *go;
};

static void *scm_rx_thread(void *arg)
{
	struct scm_rx *r = arg;
	struct per_proc_resource st;
	int fds[RT_SCM_MAX], held[SCM_HELD];
	int nheld = 0, n, flags, k, i, j;
	long before = 0, want;
	pid_t self = getpid();
	ssize_t ret;

	if (!r->exact && r->first) {
		/* This thread receives into a table of its own. */
		if (unshare(CLONE_FILES))
			job_bad("scm receiver: unshare: errno %ld%ld", errno,
				0);
		__atomic_store_n(&r->ready, 1L, __ATOMIC_SEQ_CST);
		while (!__atomic_load_n(r->go, __ATOMIC_SEQ_CST))
			sched_yield();
	}
	for (i = r->first; i < SCM_MSGS; i += r->step) {
		k = scm_count(r->seed, i);
		if (r->exact) {
			if (rt_fetch(&st, self)) {
				job_bad("scm receiver: fetch: errno %ld%ld",
					errno, 0);
				break;
			}
			before = (long)st.openfile_count;
		}
		ret = recv_fds(r->sock, fds, RT_SCM_MAX, &n, &flags);
		if (ret != 1) {
			job_bad("scm receiver: recvmsg %ld: errno %ld",
				(long)ret, errno);
			break;
		}
		if (n > k || !!(flags & MSG_CTRUNC) != (n < k))
			job_bad(flags & MSG_CTRUNC ?
				"scm receiver: %ld of %ld installed, MSG_CTRUNC" :
				"scm receiver: %ld of %ld installed, no MSG_CTRUNC",
				n, k);
		if (flags & MSG_CTRUNC)
			r->truncs++;
		if (rt_fetch(&st, self)) {
			job_bad("scm receiver: fetch: errno %ld%ld", errno, 0);
			break;
		}
		if ((long)st.openfile_count > r->quota)
			job_bad("scm receiver holds %ld files, quota %ld",
				(long)st.openfile_count, r->quota);
		want = r->quota - before < k ? r->quota - before : k;
		if (r->exact && (n != want ||
				 (long)st.openfile_count != before + n))
			job_bad("scm receiver got %ld descriptors, room for %ld",
				n, want);
		/* Keep them, to fill up, until at the quota or now and then. */
		for (j = 0; j < n; j++) {
			if (nheld < SCM_HELD)
				held[nheld++] = fds[j];
			else
				close(fds[j]);
		}
		if ((long)st.openfile_count >= r->quota || k % 5 == 0) {
			for (j = 0; j < nheld; j++)
				close(held[j]);
			nheld = 0;
		}
	}
	for (j = 0; j < nheld; j++)
		close(held[j]);
	return NULL;
}

/* Honest, not managed: the quota is its own, and it must live. */
static void scm_receiver(void)
{
	struct timeval tv = { .tv_sec = SCM_TIMEOUT_S };
	struct scm_rx rx[2];
	struct per_proc_resource st;
	unsigned int seed = (unsigned int)getpid() * 2654435761U;
	int sv[2][2], rsock[2], ssock[2], nsock, i, status;
	long go = 0;
	pthread_t t;
	pid_t sender;

	/* Every other job receives in two threads with a table each. */
	nsock = getpid() % 2 ? 1 : 2;
	for (i = 0; i < nsock; i++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv[i]))
			_exit(40);
		rsock[i] = sv[i][0];
		ssock[i] = sv[i][1];
		setsockopt(rsock[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	sender = fork();
	if (sender == 0) {
		for (i = 0; i < nsock; i++)
			close(rsock[i]);
		scm_sender(ssock, nsock, seed);
	}
	if (sender < 0)
		_exit(41);
	for (i = 0; i < nsock; i++)
		close(ssock[i]);
	for (i = 0; i < nsock; i++) {
		memset(&rx[i], 0, sizeof(rx[i]));
		rx[i].sock = rsock[i];
		rx[i].first = i;
		rx[i].step = nsock;
		rx[i].seed = seed;
		rx[i].exact = nsock == 1;
		rx[i].go = &go;
	}
	if (nsock == 2) {
		if (pthread_create(&t, NULL, scm_rx_thread, &rx[1]))
			_exit(42);
		while (!__atomic_load_n(&rx[1].ready, __ATOMIC_SEQ_CST))
			sched_yield();
	}
	/* Both tables are made: the quota leaves SCM_ROOM on top of them. */
	if (rt_fetch(&st, getpid()))
		_exit(43);
	rx[0].quota = (long)st.openfile_count + SCM_ROOM;
	rx[1].quota = rx[0].quota;
	if (rt_cap(getpid(), -1L, rx[0].quota))
		_exit(44);
	__atomic_store_n(&go, 1L, __ATOMIC_SEQ_CST);
	scm_rx_thread(&rx[0]);
	if (nsock == 2)
		pthread_join(t, NULL);
	if (rx[0].truncs + (nsock == 2 ? rx[1].truncs : 0) == 0)
		job_bad("scm receiver never saw MSG_CTRUNC (quota %ld)%ld",
			rx[0].quota, 0);
	for (i = 0; i < nsock; i++)
		close(rsock[i]);
	while (waitpid(sender, &status, 0) < 0 && errno == EINTR)
		;
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		job_bad("scm sender ended with status 0x%lx%ld", status, 0);
	_exit(0);
}

/* --- the init of a pid namespace ---------------------------------------- */

static void want_errno(const char *what, long ret, int err)
{
	if (ret != -1 || errno != err)
		job_bad(what, ret, ret == -1 ? errno : 0);
}

static int pidns_init(int release)
{
	struct per_proc_resource st;
	int status;
	pid_t g;
	char c;

	if (getpid() != 1)
		return 50;
	want_errno("init registered itself: %ld, errno %ld",
		   rt_register(getpid()), EINVAL);
	want_errno("init registered its tid: %ld, errno %ld",
		   rt_register(rt_gettid()), EINVAL);
	want_errno("init's fetch of itself: %ld, errno %ld",
		   rt_fetch(&st, 1), ENOENT);
	g = fork();
	if (g == 0) {
		/* An ordinary process of the namespace can be registered. */
		if (rt_register(getpid()))
			job_bad("pid %ld of the namespace: register: errno %ld",
				getpid(), errno);
		want_errno("the namespace's init registered by pid 2: %ld, errno %ld",
			   rt_register(1), EINVAL);
		want_errno("cap of the namespace's init: %ld, errno %ld",
			   rt_cap(1, 0L, 0L), ENOENT);
		_exit(0);
	}
	if (g < 0 || waitpid(g, &status, 0) != g || status != 0)
		return 51;
	while (read(release, &c, 1) < 0 && errno == EINTR)
		;
	return 0;
}

static void pidns_job(void)
{
	struct per_proc_resource st;
	int rel[2], status;
	pid_t init;

	if (unshare(CLONE_NEWPID)) {
		if (errno == EINVAL)	/* no CONFIG_PID_NS */
			_exit(0);
		_exit(45);
	}
	if (pipe(rel))
		_exit(46);
	init = fork();
	if (init == 0) {
		close(rel[1]);
		_exit(pidns_init(rel[0]));
	}
	close(rel[0]);
	if (init < 0)
		_exit(47);
	/* From outside, by its pid here, while it waits for the pipe. */
	want_errno("register of a namespace's init from outside: %ld, errno %ld",
		   rt_register(init), EINVAL);
	want_errno("fetch of a namespace's init from outside: %ld, errno %ld",
		   rt_fetch(&st, init), ENOENT);
	want_errno("cap of a namespace's init from outside: %ld, errno %ld",
		   rt_cap(init, 0L, 0L), ENOENT);
	want_errno("deregister of a namespace's init: %ld, errno %ld",
		   rt_deregister(init), ENOENT);
	close(rel[1]);
	if (waitpid(init, &status, 0) != init)
		_exit(48);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		job_bad("namespace init ended with status 0x%lx%ld", status, 0);
	_exit(0);
}

static void job_main(enum kind kind)
{
	pid_t self = getpid();
	char *stack;
	int i;

	/* A manager thread may have registered us first. */
	if (syscall(__NR_register, self) && errno != EEXIST)
		_exit(10);
	switch (kind) {
	case CHURN:
		churn();
		_exit(0);
	case HONEST:
	case HONEST_THREADS:
	case HONEST_CLONE_VM:
		/* The clone children's stack, mapped before the quota. */
		stack = kind == HONEST_CLONE_VM ? map_anon(CLONE_STACK, RW) :
						  NULL;
		if (kind == HONEST_CLONE_VM && !stack)
			_exit(12);
		/* A manager may deregister us in between: register again. */
		for (i = 0; syscall(__NR_resource_cap, self, 128L, 512L); i++) {
			if (errno != ENOENT || i == 100)
				_exit(11);
			syscall(__NR_register, self);
		}
		if (kind == HONEST)
			honest_work();
		else if (kind == HONEST_THREADS)
			run_threads(honest_thread, 4);
		else
			for (i = 0; i < 4; i++)
				honest_vm(stack, i % 2);
		_exit(0);
	case PIDNS_INIT:
		pidns_job();
		_exit(0);
	case SCM_RECEIVER:
		scm_receiver();
		_exit(0);
	case GREEDY_CLONE_VM:
	case GREEDY_VFORK:
		greedy_vm(kind == GREEDY_VFORK);
		_exit(0);
	case GREEDY_UNSHARE:
		greedy_unshare();
		_exit(0);
	case GREEDY_HEAP:
		syscall(__NR_resource_cap, self, heap_room(GREEDY_ROOM_MB),
			-1L);
		for (i = 0; i < 64; i++)
			mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		_exit(20);
	case GREEDY_FILES:
		syscall(__NR_resource_cap, self, -1L, 32L);
		for (i = 0; i < 64; i++)
			open("/proc/self/stat", O_RDONLY);
		_exit(21);
	default:
		syscall(__NR_resource_cap, self, heap_room(16), 64L);
		run_threads(greedy_thread, 8);
		_exit(22);
	}
}

/*
 * The managers read a slot while it changes: its pid is 0 while its kind
 * does (see job_snapshot()).
 */
static void start_job(struct job *j, enum kind kind)
{
	pid_t p;

	__atomic_store_n(&j->pid, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&j->kind, kind, __ATOMIC_RELEASE);
	p = fork();
	if (p == 0)
		job_main(kind);
	__atomic_store_n(&j->pid, p, __ATOMIC_RELEASE);
	clock_gettime(CLOCK_MONOTONIC, &j->start);
	if (p > 0 && p <= PID_MAX)
		__atomic_add_fetch(&seen[p], 1, __ATOMIC_RELAXED);
}

static void check_end(const struct job *j, int status)
{
	bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;

	if (IS_HONEST(j->kind)) {
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			bad("honest job %ld ended with status 0x%lx", j->pid, status);
	} else {
		if (!killed)
			bad("greedy job %ld was not killed: status 0x%lx", j->pid, status);
		else if (since(&j->start) > 20.0)
			bad("greedy job %ld took %ld s to die", j->pid,
			    (long)since(&j->start));
	}
}

/* --- manager threads in the parent -------------------------------------- */

static bool allowed(int err)
{
	return err == ESRCH || err == ENOENT || err == EEXIST || err == EPERM;
}

/* A pid and the kind of job it was started as, read together. */
static bool job_snapshot(const struct job *slot, struct job *j)
{
	j->pid = __atomic_load_n(&slot->pid, __ATOMIC_ACQUIRE);
	j->kind = __atomic_load_n(&slot->kind, __ATOMIC_ACQUIRE);
	return j->pid > 0 &&
	       __atomic_load_n(&slot->pid, __ATOMIC_ACQUIRE) == j->pid;
}

static void *manager(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg;
	struct per_proc_resource st;
	struct job j;
	long r;

	while (!stop) {
		if (!job_snapshot(&jobs[rand_r(&seed) % MAX_JOBS], &j) ||
		    !IS_MANAGED(j.kind))
			continue;
		switch (rand_r(&seed) % 5) {
		case 0: r = syscall(__NR_fetch, &st, j.pid); break;
		case 1: r = syscall(__NR_register, j.pid); break;
		case 2: r = syscall(__NR_resource_cap, j.pid, 256L, 1024L); break;
		case 3: r = syscall(__NR_resource_reset, j.pid); break;
		default: r = syscall(__NR_deregister, j.pid); break;
		}
		__atomic_add_fetch(&manager_calls, 1, __ATOMIC_RELAXED);
		sched_yield();
		if (r && !allowed(errno))
			bad("manager call on %ld: errno %ld", j.pid, errno);
	}
	return NULL;
}

static int modctl(const char *name, bool load)
{
	char path[64];
	int fd, ret;

	if (!load)
		return syscall(SYS_delete_module, name, O_NONBLOCK);
	snprintf(path, sizeof(path), "/modules/%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ret;
}

static void *reloader(void *arg)
{
	struct timespec pause = { 0, 200 * 1000 * 1000 };

	(void)arg;
	while (!stop) {
		nanosleep(&pause, NULL);
		if (modctl("tracker", false) || modctl("cleanup_kprobe", false) ||
		    modctl("cleanup_kprobe", true) || modctl("tracker", true)) {
			bad("module reload %ld failed: errno %ld", reloads, errno);
			break;
		}
		__atomic_add_fetch(&reloads, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Every process /proc/tracker_status lists must still exist. */
static void check_status_file(void)
{
	char line[256];
	FILE *f = fopen(STATUS_PATH, "r");
	int pid;

	if (!f)
		return;
	if (!fgets(line, sizeof(line), f))
		bad("empty %s%ld%ld", 0, 0);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d", &pid) != 1)
			bad("bad status line %ld%ld", 0, 0);
		else if (kill(pid, 0) && errno == ESRCH)
			bad("status lists pid %ld that is gone%ld", pid, 0);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	int seconds = 20, njobs = 8, opt, i, status;
	long started = 0, reuses = 0, per_kind[NR_KINDS] = { 0 };
	pthread_t mgr[2], rel;
	bool have_modules;
	char old_max[32] = "";
	struct timespec t0;
	FILE *f;

	while ((opt = getopt(argc, argv, "t:j:")) != -1) {
		if (opt == 't')
			seconds = atoi(optarg);
		else if (opt == 'j')
			njobs = atoi(optarg) > MAX_JOBS ? MAX_JOBS : atoi(optarg);
		else
			return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	seen = mmap(NULL, (PID_MAX + 1) * sizeof(*seen), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	job_violations = mmap(NULL, sizeof(*job_violations), RW,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (seen == MAP_FAILED || job_violations == MAP_FAILED)
		return 2;
	f = fopen("/proc/sys/kernel/pid_max", "r+");
	if (f) {
		if (!fgets(old_max, sizeof(old_max), f))
			old_max[0] = '\0';
		rewind(f);
		fprintf(f, "%d\n", PID_MAX);
		fclose(f);
	}
	have_modules = access("/modules/tracker.ko", R_OK) == 0 &&
		       access(STATUS_PATH, R_OK) == 0;
	printf("stress: %d s, %d jobs, modules %s\n", seconds, njobs,
	       have_modules ? "reloading" : "absent");

	for (i = 0; i < njobs; i++) {
		start_job(&jobs[i], i % NR_KINDS);
		started++;
	}
	for (i = 0; i < 2; i++)
		pthread_create(&mgr[i], NULL, manager, (void *)(long)(i + 1));
	if (have_modules)
		pthread_create(&rel, NULL, reloader, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (since(&t0) < seconds) {
		pid_t p = waitpid(-1, &status, 0);

		if (p < 0)
			break;
		for (i = 0; i < njobs; i++) {
			if (jobs[i].pid != p)
				continue;
			check_end(&jobs[i], status);
			per_kind[jobs[i].kind]++;
			start_job(&jobs[i], (enum kind)(started % NR_KINDS));
			started++;
			break;
		}
	}
	stop = true;
	for (i = 0; i < njobs; i++) {
		if (jobs[i].pid > 0 && waitpid(jobs[i].pid, &status, 0) == jobs[i].pid) {
			check_end(&jobs[i], status);
			per_kind[jobs[i].kind]++;
		}
	}
	for (i = 0; i < 2; i++)
		pthread_join(mgr[i], NULL);
	if (have_modules)
		pthread_join(rel, NULL);
	check_status_file();

	if (old_max[0]) {
		f = fopen("/proc/sys/kernel/pid_max", "w");
		if (f) {
			fputs(old_max, f);
			fclose(f);
		}
	}
	for (i = 0; i <= PID_MAX; i++)
		if (seen[i] > 1)
			reuses += seen[i] - 1;
	violations += __atomic_load_n(job_violations, __ATOMIC_SEQ_CST);
	for (i = 0; i < NR_KINDS; i++)
		printf("stress: %s jobs: %ld\n", kind_name[i], per_kind[i]);
	printf("stress: %ld jobs, %ld pid reuses, %ld module reloads, %ld manager calls, %ld violations\n",
	       started, reuses, reloads, manager_calls, violations);
	return violations ? 1 : 0;
}
