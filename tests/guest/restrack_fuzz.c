// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded, reproducible fuzzer for the five resource tracker system calls.
 *
 *   restrack_fuzz [-s SEED] [-n CALLS] [-w WORKERS]
 *
 * Arguments come from pools of boundary values (pids 0, -1, INT_MIN,
 * INT_MAX, init, kernel threads, reaped and zombie pids, live victims, the
 * caller itself, random numbers; pointers NULL, unmapped, read-only,
 * misaligned, kernel addresses, straddling a page end; quotas -2, LONG_MIN,
 * LONG_MAX, MiB counts whose bytes overflow) and from the PRNG.  Every
 * return value must be 0 or an errno the contract lists for that call, and
 * argument errors must be the ones the contract says.  Workers run as root
 * and as nobody, some inside a new pid namespace.  A worker killed by a
 * quota it set on itself is respawned to carry on from its next call.
 *
 * Besides the plain calls the mix has the routes by which other tasks
 * reach a tracked process, with their own invariants:
 *  - the pools hold a clone(CLONE_VM) child and a vfork child and their
 *    parents (idle, sharing an mm): fetch of both gives one heap figure;
 *  - they hold the global pid of a pid namespace's init: no call ever
 *    finds an init tracked, and register of one (pid 1 too) is EINVAL;
 *  - SCM_RIGHTS floods go to a victim receiver in the pools and to a
 *    guarded receiver (out of the pools, with a file quota of its own):
 *    it must live, never hold more than its quota, and see MSG_CTRUNC only
 *    when full;
 *  - a thread of the worker unshares its table (unshare(CLONE_FILES) or
 *    close_range(CLOSE_RANGE_UNSHARE)), or a CLONE_FILES child shares it,
 *    and opens a few files: a tracked worker's figure counts the copy and
 *    the child's descriptors, and is back where it was once they are gone.
 *
 * Prints the seed first and "fuzz: N calls, N violations" last; exits 1 on
 * any violation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/resource_tracker.h>

#include "restrack_helpers.h"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif

#define NR_VICTIMS	4	/* the last one receives SCM_RIGHTS floods */
#define SCM_VICTIM	(NR_VICTIMS - 1)
#define CHUNK		2000
#define GUARD_ROOM	24	/* guarded receiver's quota: usage + 24 */
#define PAIR_STACK	(64 * 1024)

/* vm[]: clone(CLONE_VM) parent and child, vfork parent and child. */
enum { VM_PARENT, VM_CHILD, VFORK_PARENT, VFORK_CHILD, NR_VM };

struct fuzz_shared {
	long calls;
	long violations;
	pid_t victims[NR_VICTIMS];
	pid_t zombie;
	pid_t reaped;
	pid_t vm[NR_VM];
	pid_t nsinit;		/* a pid namespace's init, global pid */
	long guard_ready;
	long stop;
	/* How often each route's invariant was checked. */
	long pair_checks, init_calls, scm_sent, guard_msgs, guard_truncs;
	long unshare_checks, clone_files_checks;
};

#define COUNT(_field) __atomic_add_fetch(&sh->_field, 1, __ATOMIC_RELAXED)

static struct fuzz_shared *sh;
static uint64_t rng;

/*
 * Main's, inherited by each worker: pidfds that tell whether a pool's
 * process is still the one spawned (alive, so its pid is its own), the
 * sending ends of the two receivers' sockets and what is sent.
 */
static int vm_pidfd[NR_VM] = { -1, -1, -1, -1 };
static int nsinit_pidfd = -1;
static int scm_tx[2] = { -1, -1 };	/* guarded and victim receivers */
static int scm_payload = -1;
static pid_t pair_holder[2], nsinit_holder, guard_pid;
/* The worker's: it is pid 1 of a pid namespace of its own. */
static bool own_pidns;

static uint64_t next(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static long pick(const long *pool, size_t n)
{
	return pool[next() % n];
}

static pid_t fuzz_pid(void)
{
	switch (next() % 17) {
	case 0: return 0;
	case 1: return -1;
	case 2: return INT_MIN;
	case 3: return INT_MAX;
	case 4: return 1;
	case 5: return 2 + next() % 20;		/* kernel threads */
	case 6: return sh->zombie;
	case 7: return sh->reaped;
	case 8: return next() % 4 ? sh->reaped : getpid();
	case 9: return next() % 4 ? sh->zombie : (pid_t)syscall(SYS_gettid);
	case 10: return 30000 + next() % 100000;	/* nobody */
	case 11: return (pid_t)next();
	case 12: return sh->vm[next() % NR_VM];
	case 13: return sh->nsinit;
	default: return sh->victims[next() % NR_VICTIMS];
	}
}

static char *page_rw, *page_ro, *page_gap;

static void *fuzz_ptr(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	switch (next() % 9) {
	case 0: return NULL;
	case 1: return page_gap;			/* unmapped */
	case 2: return page_ro;				/* read-only */
	case 3: return page_rw + 1;			/* misaligned */
	case 4: return page_rw + ps - 8;		/* straddles into the gap */
	case 5: return (void *)(uintptr_t)0xffff800000000000ULL;
	case 6: return (void *)(uintptr_t)0xffffffff81000000ULL;
	case 7: return (void *)(uintptr_t)next();
	default: return page_rw;
	}
}

static long fuzz_quota(void)
{
	static const long pool[] = {
		-1, -1, -2, 0, 1, 2, 16, 1024, LONG_MIN, LONG_MAX, INT_MAX,
		(1L << 44) - 1, 1L << 44, -4096,
	};

	if (next() % 4 == 0)
		return (long)next();
	return pick(pool, sizeof(pool) / sizeof(pool[0]));
}

static void violation(const char *what, long a, long b, long c, int err)
{
	__atomic_add_fetch(&sh->violations, 1, __ATOMIC_RELAXED);
	printf("fuzz: VIOLATION %s(%ld, %ld, %ld) -> errno %d (%s)\n",
	       what, a, b, c, err, strerror(err));
}

static bool one_of(int err, const int *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (err == set[i])
			return true;
	return false;
}

#define CHECK(_name, _ret, _a, _b, _c, ...) do { \
	static const int _ok[] = { __VA_ARGS__ }; \
	if ((_ret) != 0 && !one_of(errno, _ok, sizeof(_ok) / sizeof(_ok[0]))) \
		violation(_name, (long)(_a), (long)(_b), (long)(_c), errno); \
} while (0)

/* The contract's argument checks come first: pid < 1 is always EINVAL. */
#define CHECK_EINVAL(_name, _ret, _a, _b, _c, _bad) do { \
	if ((_bad) && !((_ret) == -1 && errno == EINVAL)) \
		violation(_name " (want EINVAL)", (long)(_a), (long)(_b), \
			  (long)(_c), (_ret) ? errno : 0); \
} while (0)

/* Is the process behind @pidfd alive, so that its pid is still its own? */
static bool alive(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return pidfd >= 0 && poll(&p, 1, 0) == 0;
}

/*
 * Is @pid the init of a pid namespace as the worker sees it, now?  Pid 1
 * always is (the global init, or the worker itself in a namespace of its
 * own); the spawned namespace's init is, by its global pid, outside it.
 */
static bool is_init(pid_t pid)
{
	if (pid == 1 || pid == sh->nsinit)
		COUNT(init_calls);
	if (pid == 1)
		return true;
	return !own_pidns && sh->nsinit > 0 && pid == sh->nsinit &&
	       alive(nsinit_pidfd);
}

/* No init is ever tracked: no call but register can succeed on one. */
#define CHECK_INIT(_name, _ret, _a, _b, _c, _pid) do { \
	if ((_ret) == 0 && is_init(_pid)) \
		violation(_name " (an init tracked)", (long)(_a), (long)(_b), \
			  (long)(_c), 0); \
} while (0)

static void plain_call(pid_t pid)
{
	struct per_proc_resource *st;
	long r, hq, fq;
	bool init;

	switch (next() % 5) {
	case 0:
		r = syscall(__NR_register, pid);
		CHECK("register", r, pid, 0, 0, EINVAL, ESRCH, EPERM, EEXIST, ENOMEM);
		CHECK_EINVAL("register", r, pid, 0, 0, pid < 1);
		/* Whether it was an init then: it is alive after the call. */
		init = is_init(pid);
		CHECK_EINVAL("register of an init", r, pid, 0, 0, init);
		break;
	case 1:
		st = fuzz_ptr();
		r = syscall(__NR_fetch, st, pid);
		CHECK("fetch", r, (long)st, pid, 0, EINVAL, ESRCH, EPERM, ENOENT, EFAULT);
		CHECK_EINVAL("fetch", r, (long)st, pid, 0, pid < 1);
		CHECK_INIT("fetch", r, (long)st, pid, 0, pid);
		break;
	case 2:
		r = syscall(__NR_deregister, pid);
		CHECK("deregister", r, pid, 0, 0, EINVAL, ESRCH, EPERM, ENOENT);
		CHECK_EINVAL("deregister", r, pid, 0, 0, pid < 1);
		CHECK_INIT("deregister", r, pid, 0, 0, pid);
		break;
	case 3:
		hq = fuzz_quota();
		fq = fuzz_quota();
		r = syscall(__NR_resource_cap, pid, hq, fq);
		CHECK("resource_cap", r, pid, hq, fq, EINVAL, ESRCH, EPERM, ENOENT);
		CHECK_EINVAL("resource_cap", r, pid, hq, fq,
			     pid < 1 || hq < -1 || fq < -1 || hq > (1L << 44) - 1);
		CHECK_INIT("resource_cap", r, pid, hq, fq, pid);
		break;
	default:
		r = syscall(__NR_resource_reset, pid);
		CHECK("resource_reset", r, pid, 0, 0, EINVAL, ESRCH, EPERM, ENOENT);
		CHECK_EINVAL("resource_reset", r, pid, 0, 0, pid < 1);
		CHECK_INIT("resource_reset", r, pid, 0, 0, pid);
		break;
	}
}

/*
 * register and fetch on both processes of a pair sharing an mm (idle
 * both): when both are tracked and alive throughout, one heap figure.
 */
static void vm_pair_call(void)
{
	struct per_proc_resource a, b;
	int pair = (int)(next() % 2) * 2;
	pid_t parent = sh->vm[pair], child = sh->vm[pair + 1];
	long ra, rb;

	if (parent <= 0 || child <= 0)
		return;
	if (next() % 2) {
		ra = rt_register(parent);
		CHECK("register", ra, parent, 0, 0, ESRCH, EPERM, EEXIST,
		      ENOMEM);
		rb = rt_register(child);
		CHECK("register", rb, child, 0, 0, ESRCH, EPERM, EEXIST,
		      ENOMEM);
	}
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ra = rt_fetch(&a, parent);
	CHECK("fetch", ra, (long)&a, parent, 0, ESRCH, EPERM, ENOENT);
	rb = rt_fetch(&b, child);
	CHECK("fetch", rb, (long)&b, child, 0, ESRCH, EPERM, ENOENT);
	if (ra || rb || !a.heapsize || !b.heapsize)
		return;
	COUNT(pair_checks);
	if (a.heapsize == b.heapsize)
		return;
	if (alive(vm_pidfd[pair]) && alive(vm_pidfd[pair + 1]))
		violation(pair ? "fetch of a vfork pair (two heap figures)" :
			  "fetch of a CLONE_VM pair (two heap figures)",
			  parent, (long)a.heapsize, (long)b.heapsize, 0);
}

/* SCM_RIGHTS: up to 253 descriptors at one of the receivers. */
static void scm_call(void)
{
	int fds[RT_SCM_MAX], to = (int)(next() % 2), n, i;
	long r;

	n = 1 + (int)(next() % (next() % 8 ? 16 : RT_SCM_MAX));
	for (i = 0; i < n; i++)
		fds[i] = scm_payload;
	r = send_fds(scm_tx[to], fds, n);
	if (!r)
		COUNT(scm_sent);
	/* A full queue, a dead victim, nobody's in-flight limit. */
	CHECK("sendmsg(SCM_RIGHTS)", r, to, n, 0, EAGAIN, EPIPE, ECONNREFUSED,
	      ECONNRESET, ENOTCONN, ETOOMANYREFS, ENOBUFS);
}

/* The worker's own figure, or -1 when it is not tracked. */
static long own_files(void)
{
	struct per_proc_resource st;

	if (rt_fetch(&st, getpid()))
		return -1;
	return (long)st.openfile_count;
}

/* Wait (at most 2 s) for our figure to be @want again; false if not. */
static bool files_settle(long want)
{
	long have = 0;
	int i;

	for (i = 0; i < 2100; i++) {
		have = own_files();
		if (have < 0 || have == want)
			return true;
		if (i < 100)
			sched_yield();
		else
			usleep(1000);
	}
	return false;
}

struct unshare_arg {
	long base;	/* the worker's figure before, -1: untracked */
	int how;
	int nopen;
	pid_t tid;
};

/*
 * Wait (at most 2 s) until thread @tid is wholly gone.  pthread_join()
 * returns when the thread has left its mm, before it leaves its table: a
 * register in between would charge the table of a thread on its way out.
 */
static void thread_gone(pid_t tid)
{
	int i;

	for (i = 0; i < 2100; i++) {
		if (syscall(SYS_tgkill, getpid(), tid, 0) && errno == ESRCH)
			return;
		if (i < 100)
			sched_yield();
		else
			usleep(1000);
	}
}

/* In a thread: a table of its own, a copy of the worker's, and k files. */
static void *unshare_thread(void *arg)
{
	struct unshare_arg *u = arg;
	int fds[8], n = 0, i;
	long r, have;

	u->tid = (pid_t)syscall(SYS_gettid);
	if (u->how)
		r = syscall(__NR_close_range, ~0U, ~0U, CLOSE_RANGE_UNSHARE);
	else
		r = unshare(CLONE_FILES);
	CHECK(u->how ? "close_range(CLOSE_RANGE_UNSHARE)" :
		       "unshare(CLONE_FILES)", r, u->base, 0, 0, ENOMEM);
	for (i = 0; i < u->nopen; i++) {
		fds[n] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fds[n] >= 0)
			n++;
	}
	/* Both tables count: the worker's and its copy with n more. */
	have = own_files();
	if (!r && u->base >= 0 && have >= 0)
		COUNT(unshare_checks);
	if (!r && u->base >= 0 && have >= 0 && have != 2 * u->base + n)
		violation("figure of a thread's unshared table", u->base, have,
			  n, 0);
	for (i = 0; i < n; i++)
		close(fds[i]);
	return NULL;
}

static void unshare_call(void)
{
	struct unshare_arg u;
	pthread_attr_t attr;
	pthread_t t;
	long r;

	if (next() % 2) {
		r = rt_register(getpid());
		CHECK("register", r, getpid(), 0, 0, EINVAL, EEXIST, ENOMEM);
	}
	u.base = own_files();
	u.how = (int)(next() % 2);
	u.nopen = (int)(next() % 8);
	u.tid = 0;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	if (pthread_create(&t, &attr, unshare_thread, &u) == 0) {
		pthread_join(t, NULL);
		/* The thread's table goes when the thread is wholly gone. */
		if (u.tid > 0)
			thread_gone(u.tid);
		if (u.base >= 0 && !files_settle(u.base))
			violation("figure after a thread's unshared table went",
				  u.base, own_files(), u.nopen, 0);
	}
	pthread_attr_destroy(&attr);
}

struct clone_files_arg {
	pid_t parent;
	long base;	/* the worker's figure before, -1: untracked */
	int nopen;
};

static char clone_stack[PAIR_STACK] __attribute__((aligned(64)));

/*
 * A child sharing the worker's table (and, to be cheap, its mm, the worker
 * waiting as in vfork()): its descriptors count for the tracked worker.
 */
static int clone_files_child(void *arg)
{
	struct clone_files_arg *c = arg;
	struct per_proc_resource st;
	int fds[8], n = 0, i;

	for (i = 0; i < c->nopen; i++) {
		fds[n] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fds[n] >= 0)
			n++;
	}
	/* Tracking is not inherited. */
	if (own_files() >= 0)
		violation("a CLONE_FILES child is tracked", c->parent, 0, 0, 0);
	if (c->base >= 0 && rt_fetch(&st, c->parent) == 0) {
		COUNT(clone_files_checks);
		if ((long)st.openfile_count != c->base + n)
			violation("figure with a CLONE_FILES child's files",
				  c->base, (long)st.openfile_count, n, 0);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

static void clone_files_call(void)
{
	struct clone_files_arg c = {
		.parent = getpid(),
		.base = own_files(),
		.nopen = (int)(next() % 8),
	};
	int status = 0;
	long have;
	pid_t p;

	p = clone(clone_files_child, clone_stack + sizeof(clone_stack),
		  CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &c);
	if (p < 0)
		return;
	while (waitpid(p, &status, 0) < 0 && errno == EINTR)
		;
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
	    !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
		violation("CLONE_FILES child status", p, status, 0, 0);
	have = own_files();
	if (c.base >= 0 && have >= 0 && have != c.base)
		violation("figure after a CLONE_FILES child closed its files",
			  c.base, have, c.nopen, 0);
}

/*
 * The routes cost more than a plain call (a pair check a few times as
 * much, a SCM_RIGHTS flood or a child sharing the table 100 times, a
 * thread with a table of its own 500 times): in a million calls they come
 * some 4000, 2000, 500 and 500 times.
 */
static void one_call(void)
{
	pid_t pid = fuzz_pid();
	unsigned int op = (unsigned int)(next() % 2048);

	if (op < 8)
		vm_pair_call();
	else if (op < 12)
		scm_call();
	else if (op == 12)
		unshare_call();
	else if (op == 13)
		clone_files_call();
	else
		plain_call(pid);
	__atomic_add_fetch(&sh->calls, 1, __ATOMIC_RELAXED);
}

static pid_t spawn_sleeper(void)
{
	pid_t p = fork();

	if (p == 0) {
		for (;;)
			pause();
	}
	return p;
}

static int pidfd_open(pid_t pid)
{
	return pid > 0 ? (int)syscall(__NR_pidfd_open, pid, 0U) : -1;
}

static void pidfd_kill(int *pidfd)
{
	if (*pidfd >= 0) {
		syscall(__NR_pidfd_send_signal, *pidfd, SIGKILL, NULL, 0U);
		close(*pidfd);
	}
	*pidfd = -1;
}

/* Wait (at most 5 s) until *_p is set; true when it is positive. */
#define WAIT_SET(_p) ({ \
	int __i; \
	for (__i = 0; __i < 6000 && !__atomic_load_n((_p), __ATOMIC_SEQ_CST); \
	     __i++) { \
		if (__i < 1000) \
			sched_yield(); \
		else \
			usleep(1000); \
	} \
	__atomic_load_n((_p), __ATOMIC_SEQ_CST) > 0; \
})

static bool wait_set_long(long *p)
{
	return WAIT_SET(p);
}

static bool wait_set(pid_t *p)
{
	return WAIT_SET(p);
}

/* A clone(CLONE_VM) or vfork child: idle in its parent's mm. */
static int pair_child(void *arg)
{
	long slot = (long)arg;

	syscall(SYS_prctl, PR_SET_PDEATHSIG, (long)SIGKILL, 0L, 0L, 0L);
	__atomic_store_n(&sh->vm[slot], (pid_t)syscall(SYS_getpid),
			 __ATOMIC_SEQ_CST);
	for (;;)
		syscall(SYS_ppoll, NULL, 0L, NULL, NULL, 0L);
	return 0;
}

/*
 * Pair 0: a parent and its clone(CLONE_VM) child; pair 1: a parent in
 * vfork() and its child.  The parent ends when the child does, the child
 * when the parent does.
 */
static void spawn_pair(int pair)
{
	int slot = pair * 2;
	char *stack;
	pid_t h, c;

	pidfd_kill(&vm_pidfd[slot + 1]);
	if (vm_pidfd[slot] >= 0)
		close(vm_pidfd[slot]);
	vm_pidfd[slot] = -1;
	sh->vm[slot] = 0;
	sh->vm[slot + 1] = 0;
	h = fork();
	if (h == 0) {
		stack = mmap(NULL, PAIR_STACK, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (stack == MAP_FAILED)
			_exit(1);
		c = clone(pair_child, stack + PAIR_STACK,
			  CLONE_VM | (pair ? CLONE_VFORK : 0) | SIGCHLD,
			  (void *)(long)(slot + 1));
		if (c > 0 && !pair)
			waitpid(c, NULL, 0);
		_exit(0);
	}
	pair_holder[pair] = h;
	if (h < 0 || !wait_set(&sh->vm[slot + 1]))
		return;
	sh->vm[slot] = h;
	vm_pidfd[slot] = pidfd_open(h);
	vm_pidfd[slot + 1] = pidfd_open(sh->vm[slot + 1]);
}

/* The init of a new pid namespace, idle; its parent waits for it. */
static void spawn_nsinit(void)
{
	pid_t h = fork(), init;

	if (h == 0) {
		if (unshare(CLONE_NEWPID))
			_exit(0);
		init = fork();
		if (init == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
			for (;;)
				pause();
		}
		if (init > 0) {
			__atomic_store_n(&sh->nsinit, init, __ATOMIC_SEQ_CST);
			waitpid(init, NULL, 0);
		}
		_exit(0);
	}
	nsinit_holder = h;
	if (h > 0 && wait_set(&sh->nsinit))
		nsinit_pidfd = pidfd_open(sh->nsinit);
}

/* A receiver on a new socket; *tx is the (non-blocking) sending end. */
static pid_t spawn_receiver(void (*fn)(int sock), int *tx)
{
	int sv[2];
	pid_t p;

	if (*tx >= 0)
		close(*tx);
	*tx = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		return -1;
	p = fork();
	if (p == 0) {
		close(sv[1]);
		fn(sv[0]);
		_exit(0);
	}
	close(sv[0]);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	*tx = sv[1];
	return p;
}

/* A victim: anybody may track it, cap it, kill it; it closes all it gets. */
static void victim_receiver(int sock)
{
	int fds[RT_SCM_MAX], n, flags, i;

	close_fds_except(sock, sock);
	while (recv_fds(sock, fds, RT_SCM_MAX, &n, &flags) > 0)
		for (i = 0; i < n; i++)
			close(fds[i]);
}

/*
 * Out of the pools, with a file quota of its own: whatever is sent, it
 * holds no more than its quota, a message is truncated only when it is
 * full, and it lives.
 */
static void guarded_receiver(int sock)
{
	struct timeval tv = { .tv_usec = 100 * 1000 };
	int fds[RT_SCM_MAX], held[RT_SCM_MAX], nheld = 0, n, flags, i;
	long quota, before, after;
	ssize_t r;

	close_fds_except(sock, sock);
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (rt_register(getpid()))
		_exit(2);
	quota = own_files();
	if (quota < 0 || rt_cap(getpid(), -1L, quota + GUARD_ROOM))
		_exit(3);
	quota += GUARD_ROOM;
	__atomic_store_n(&sh->guard_ready, 1L, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST)) {
		before = own_files();
		r = recv_fds(sock, fds, RT_SCM_MAX, &n, &flags);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			_exit(4);
		after = own_files();
		COUNT(guard_msgs);
		if (flags & MSG_CTRUNC)
			COUNT(guard_truncs);
		if (after > quota || after != before + n ||
		    (flags & MSG_CTRUNC && after != quota))
			violation(flags & MSG_CTRUNC ?
				  "guarded receiver (truncated; before, after, got)" :
				  "guarded receiver (before, after, got)",
				  before, after, n, 0);
		for (i = 0; i < n; i++) {
			if (nheld < RT_SCM_MAX)
				held[nheld++] = fds[i];
			else
				close(fds[i]);
		}
		if (after >= quota) {
			for (i = 0; i < nheld; i++)
				close(held[i]);
			nheld = 0;
		}
	}
	_exit(0);
}

/* Replace the pools' processes that a quota has killed. */
static void replace_dead(void)
{
	int status, v, pair;
	pid_t h;

	for (v = 0; v < NR_VICTIMS; v++) {
		if (waitpid(sh->victims[v], &status, WNOHANG) != sh->victims[v])
			continue;
		if (v == SCM_VICTIM)
			sh->victims[v] = spawn_receiver(victim_receiver,
							&scm_tx[1]);
		else
			sh->victims[v] = spawn_sleeper();
	}
	for (pair = 0; pair < 2; pair++) {
		h = pair_holder[pair];
		if (h > 0 && waitpid(h, &status, WNOHANG) != h)
			continue;
		spawn_pair(pair);
	}
}

/* Run calls [first, last) of stream @stream; the PRNG is reseeded per chunk. */
static void worker(uint64_t seed, int stream, long first, long last, int flavour)
{
	long i;

	if (flavour == 1 && (setgid(65534) || setuid(65534)))
		_exit(3);
	if (flavour == 2 && unshare(CLONE_NEWPID) == 0) {
		pid_t p = fork();	/* the child is pid 1 of the new namespace */

		own_pidns = p == 0;
		if (p > 0) {
			int status;

			waitpid(p, &status, 0);
			_exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
			      WEXITSTATUS(status));
		}
	}
	for (i = first; i < last; i++) {
		if ((i - first) % CHUNK == 0 || i == first)
			rng = seed ^ ((uint64_t)stream << 40) ^ (uint64_t)(i / CHUNK + 1) *
			      0x9e3779b97f4a7c15ULL;
		one_call();
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	long calls = 1000000, per, first, done;
	uint64_t seed = 0;
	int workers = 4, opt, i, status, restarts = 0;
	long ps = sysconf(_SC_PAGESIZE);

	while ((opt = getopt(argc, argv, "s:n:w:")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': calls = strtol(optarg, NULL, 0); break;
		case 'w': workers = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-s SEED] [-n CALLS] [-w WORKERS]\n", argv[0]);
			return 2;
		}
	}
	if (!seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("fuzz: seed %llu, %ld calls, %d workers\n",
	       (unsigned long long)seed, calls, workers);
	fflush(stdout);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	page_rw = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || page_rw == MAP_FAILED)
		return 2;
	page_ro = page_rw + 2 * ps;
	page_gap = page_rw + ps;
	munmap(page_gap, ps);
	mprotect(page_ro, ps, PROT_READ);

	memset(sh, 0, sizeof(*sh));
	scm_payload = open("/dev/null", O_RDONLY);
	/* Not where the pools' "kernel threads" (2 to 21) could name it. */
	for (i = 0; i < 30; i++) {
		guard_pid = spawn_receiver(guarded_receiver, &scm_tx[0]);
		if (guard_pid < 0 || guard_pid > 21)
			break;
		kill(guard_pid, SIGKILL);
		wait_child(guard_pid);
	}
	if (scm_payload < 0 || guard_pid < 0 ||
	    !wait_set_long(&sh->guard_ready))
		printf("fuzz: the guarded receiver did not start\n");
	for (i = 0; i < NR_VICTIMS - 1; i++)
		sh->victims[i] = spawn_sleeper();
	sh->victims[SCM_VICTIM] = spawn_receiver(victim_receiver, &scm_tx[1]);
	spawn_pair(0);
	spawn_pair(1);
	spawn_nsinit();
	printf("fuzz: CLONE_VM pair %d/%d, vfork pair %d/%d, pid namespace init %d, guarded receiver %d\n",
	       sh->vm[VM_PARENT], sh->vm[VM_CHILD], sh->vm[VFORK_PARENT],
	       sh->vm[VFORK_CHILD], sh->nsinit, guard_pid);
	sh->zombie = fork();
	if (sh->zombie == 0)
		_exit(0);
	sh->reaped = fork();
	if (sh->reaped == 0)
		_exit(0);
	waitpid(sh->reaped, &status, 0);

	per = calls / workers;
	for (i = 0; i < workers; i++) {
		first = 0;
		while (first < per) {
			long before = sh->calls;
			pid_t w = fork();

			if (w == 0)
				worker(seed, i, first, per, i % 3);
			waitpid(w, &status, 0);
			done = sh->calls - before;
			first += done;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				break;
			if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) &&
			    !(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGKILL)) {
				printf("fuzz: worker %d ended with status 0x%x\n", i, status);
				sh->violations++;
				break;
			}
			/* Killed by a quota it set on itself: carry on after that call. */
			restarts++;
			if (done == 0)
				first++;
			/* Victims may have been killed too: replace dead ones. */
			replace_dead();
		}
		replace_dead();
	}
	for (i = 0; i < NR_VICTIMS; i++)
		kill(sh->victims[i], SIGKILL);
	/* Their children go with them (PR_SET_PDEATHSIG), or now. */
	for (i = 0; i < 2; i++)
		if (pair_holder[i] > 0)
			kill(pair_holder[i], SIGKILL);
	for (i = 0; i < NR_VM; i++)
		pidfd_kill(&vm_pidfd[i]);
	pidfd_kill(&nsinit_pidfd);
	if (nsinit_holder > 0)
		kill(nsinit_holder, SIGKILL);
	__atomic_store_n(&sh->stop, 1L, __ATOMIC_SEQ_CST);
	if (guard_pid > 0) {
		status = wait_child(guard_pid);
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			printf("fuzz: the guarded receiver ended with status 0x%x\n",
			       status);
			sh->violations++;
		}
	}
	while (wait(&status) > 0)
		;
	printf("fuzz: %ld calls, %d worker restarts after self-inflicted quota kills\n",
	       sh->calls, restarts);
	printf("fuzz: routes: %ld CLONE_VM/vfork pair checks, %ld init checks, %ld unshared-table checks, %ld CLONE_FILES child checks\n",
	       sh->pair_checks, sh->init_calls, sh->unshare_checks,
	       sh->clone_files_checks);
	printf("fuzz: SCM_RIGHTS: %ld messages sent, %ld received by the guarded receiver, %ld of them truncated\n",
	       sh->scm_sent, sh->guard_msgs, sh->guard_truncs);
	printf("fuzz: %ld calls, %ld violations\n", sh->calls, sh->violations);
	return sh->violations ? 1 : 0;
}
