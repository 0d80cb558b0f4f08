// SPDX-License-Identifier: GPL-2.0
/*
 * Race and pid-reuse stress for the resource tracker.
 *
 *   restrack_stress [-t SECONDS] [-j JOBS]
 *
 * Keeps JOBS processes running for SECONDS, each replaced as soon as it
 * ends, cycling through the kinds below.  Jobs register themselves and set
 * quotas.
 *
 *  honest, honest-threads, churn: map, open, fork and exit within their
 *	quotas (some multithreaded; churn's short-lived tracked children reuse
 *	pids).  They must never be killed.
 *  greedy-heap, greedy-files, greedy-threads: cross a quota (from every
 *	thread at once) and must die by SIGKILL promptly.
 *  mm-sharers: two clone(CLONE_VM) children, vfork children and the job
 *	grow and shrink the tracked job's mm (mmap, mremap, mprotect, brk)
 *	within the room the job publishes.  Never killed.
 *  mm-probe: trials in which a clone(CLONE_VM) or vfork child of a tracked
 *	process grows the mm past its quota (by mmap, brk, mprotect or mremap):
 *	the process and the child must both die by SIGKILL.
 *  files-unshare: threads that unshare(CLONE_FILES) open and close within
 *	the room published.  Never killed.
 *  files-probe: trials that must end in SIGKILL: two threads with tables of
 *	their own each add a descriptor at once, one below the quota; a
 *	thread's unshare() copy races another table's open, together one over
 *	the quota; threads with unshared tables open until killed; a
 *	CLONE_FILES child (also CLONE_VM in some) opens past the parent's quota
 *	and dies with it.
 *  clone-files: CLONE_FILES children (one also CLONE_VM) open and close in
 *	the tracked job's table within the room published.  Never killed.
 *  scm-receiver: two untracked senders flood a tracked receiver (one table,
 *	or two when a thread unshares its own) with SCM_RIGHTS messages of up
 *	to 253 descriptors.  It must live, never hold more than its quota, and
 *	with one table a truncated message must leave it at its quota.
 *  pidns: a pid namespace's init and a nested one get EINVAL from register
 *	(from outside, from themselves and from their namespace) and ENOENT
 *	from the other calls, and are never killed, while a tracked process of
 *	the namespace crosses its quota.
 *
 * Meanwhile two manager threads register, fetch, cap, reset and deregister
 * the honest jobs: with quotas never below the room that an mm-sharers,
 * files-unshare or clone-files job published, only raising a receiver's
 * file quota, and registering (EINVAL) and capping (ENOENT) a pidns job's
 * inits.  A watcher thread fetches every process whose quota was never set
 * below its usage (greedy jobs, probe trials, receivers): a figure over the
 * quota while the process is alive and not being killed (no SIGKILL
 * pending, not exiting, and still so a second later) is a violation; one on
 * a dying process is printed and counted apart.  Another thread unloads
 * and reloads both modules when they are in /modules.  pid_max is lowered
 * so that pids are reused thousands of times.
 *
 * Afterwards /proc/tracker_status (when present) must list no process that
 * is gone.  Prints "stress: N jobs, N pid reuses, N module reloads,
 * N manager calls, N violations"; exits 1 on any violation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/resource_tracker.h>

#ifndef __NR_close_range
#define __NR_close_range 436
#endif

#define MAX_JOBS	16
#define PID_MAX		360
#define STATUS_PATH	"/proc/tracker_status"

#define MiB		(1024L * 1024L)
#define RW		(PROT_READ | PROT_WRITE)
#define CLONE_STACK	(64 * 1024)
#define SCM_MAX_FDS	253		/* SCM_MAX_FD: the most one message carries */
#define SCM_QUOTA_MAX	200		/* managers raise a receiver's quota to this */

#define LOAD(_p)	__atomic_load_n((_p), __ATOMIC_SEQ_CST)
#define STORE(_p, _v)	__atomic_store_n((_p), (_v), __ATOMIC_SEQ_CST)
#define ADD(_p, _v)	__atomic_add_fetch((_p), (_v), __ATOMIC_SEQ_CST)
#define INC(_p)		ADD((_p), 1)
#define DEC(_p)		ADD((_p), -1)

enum kind {
	HONEST, HONEST_THREADS, CHURN, GREEDY_HEAP, GREEDY_FILES, GREEDY_THREADS,
	MM_SHARERS, MM_PROBE, FILES_UNSHARE, FILES_PROBE, CLONE_FILES_JOB,
	SCM_RECEIVER, PIDNS,
	NR_KINDS
};
#define IS_GREEDY(k) ((k) >= GREEDY_HEAP && (k) <= GREEDY_THREADS)
#define IS_HONEST(k) (!IS_GREEDY(k))
/* Managers cap these within the room they publish. */
#define IS_TIGHT(k) ((k) == MM_SHARERS || (k) == FILES_UNSHARE || \
		     (k) == CLONE_FILES_JOB)

static const char *const kind_name[] = {
	"honest", "honest-threads", "churn", "greedy-heap", "greedy-files",
	"greedy-threads", "mm-sharers", "mm-probe", "files-unshare",
	"files-probe", "clone-files", "scm-receiver", "pidns",
};

struct job {
	pid_t pid;
	enum kind kind;
	struct timespec start;
};

/*
 * One per job, shared by the parent's threads, the job and its children.
 * A manager or the watcher raises @busy before it reads a pid here and
 * drops it after its call: whoever reaps one of these processes clears
 * the pid and waits for @busy to be 0 first, so that no call names a pid
 * that another process may have been given meanwhile.
 */
struct slot {
	int pid;		/* the job; 0 from its end until it is reaped */
	int kind;
	int busy;
	int init_pid;		/* pidns: its namespace's init, 0 when none */
	int nested_pid;		/* pidns: the init of a nested namespace */
	int ns_stage;		/* pidns: 1 once both inits are up */
	int aux_pid;		/* probes: the trial process */
	int aux_child;		/* probes: the trial's clone child */
	int aux_go;		/* probes: the trial's child may start */
	long need_heap_mb;	/* tight kinds: the least quotas it lives */
	long need_files;	/*   with; 0: unknown, caps leave it -1 */
	long judge_heap_mb;	/* the job's quotas, set when its usage was */
	long judge_files;	/*   below them and never lowered; -1: none */
	long aux_heap_mb;	/* the same for the trial process */
	long aux_files;
	long floor_files;	/* scm-receiver: a file quota surely in force */
	char what[96];		/* the trial in progress */
};

struct shm {
	long violations;	/* found inside the jobs */
	long trials, trial_children, sharer_runs, scm_msgs, scm_fds,
	     scm_truncated, ns_einval, over_dying;
	struct slot slot[MAX_JOBS];
};

static struct job jobs[MAX_JOBS];
static struct shm *shm;
static int my_slot;		/* in a job: its slot */
#define ME (&shm->slot[my_slot])
static volatile bool stop;
static long violations, reloads, manager_calls, watcher_fetches;
/* How often each pid was handed out; shared with the jobs. */
static unsigned short *seen;
static pthread_mutex_t raise_lock = PTHREAD_MUTEX_INITIALIZER;
static long page;

static void __attribute__((format(printf, 1, 2))) bad(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	__atomic_add_fetch(&violations, 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("stress: VIOLATION %s\n", buf);
}

/*
 * Output from a job or its children, without stdio: the parent's threads
 * may have held the stdout lock when it forked.
 */
static void __attribute__((format(printf, 1, 2))) job_print(const char *fmt, ...)
{
	char buf[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)
		return;
}

/* In a job or its children: a violation found there. */
static void __attribute__((format(printf, 1, 2))) job_bad(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	INC(&shm->violations);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	job_print("stress: VIOLATION %s\n", buf);
}

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

/* A raw sleep, fit for a clone(CLONE_VM) child. */
static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	syscall(SYS_nanosleep, &ts, NULL);
}

static void close_from(unsigned int first)
{
	int fd;

	if (syscall(__NR_close_range, first, ~0U, 0U) == 0)
		return;
	for (fd = (int)first; fd < 1024; fd++)
		close(fd);
}

static void *map_anon(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void describe(int status, char *buf, size_t size)
{
	if (status == -1)
		snprintf(buf, size, "still running");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exited with %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "status 0x%x", (unsigned int)status);
}

static bool killed(int status)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/*
 * Wait at most @ms for child @pid to end, without reaping it: true when it
 * has.  Otherwise it is sent SIGKILL (it is our unreaped child, so its pid
 * is still its own) and waited for.
 */
static bool wait_end(pid_t pid, long ms)
{
	struct timespec t0;
	siginfo_t si;
	bool in_time = true;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
		    errno != EINTR)
			return false;
		if (si.si_pid == pid)
			return in_time;
		if (in_time && since(&t0) * 1000 > ms) {
			kill(pid, SIGKILL);
			in_time = false;
		}
		sleep_ms(1);
	}
}

/* Reap child @pid (ended or not): its wait status, or -1. */
static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, __WALL) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return status;
}

/* Wait at most @ms for child @pid, then kill it: its wait status. */
static int reap_timeout(pid_t pid, long ms, bool *in_time)
{
	*in_time = wait_end(pid, ms);
	return reap(pid);
}

/* Our own figures; register again if a manager deregistered us. */
static int fetch_self(struct per_proc_resource *st)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (syscall(__NR_fetch, st, getpid()) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
		syscall(__NR_register, getpid());
	}
	return -1;
}

static int cap_self(long heap_mb, long files)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (syscall(__NR_resource_cap, getpid(), heap_mb, files) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
		syscall(__NR_register, getpid());
	}
	return -1;
}

/*
 * Make descriptors the process's own way, by method @m: one, or two (a
 * pipe) when @max allows.  dup3() goes to @high when it is >= 0, else that
 * method opens.  Raw calls, fit for a clone(CLONE_VM) child.  Returns how
 * many were made, 0 on failure.
 */
static int make_fds(unsigned int m, int *fds, int max, int high)
{
	int p[2];
	long r;

	switch (m % (max >= 2 ? 7 : 6)) {
	case 0:
		r = syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	case 1:
		r = syscall(SYS_dup, 1);
		break;
	case 2:
		r = syscall(SYS_fcntl, 1, F_DUPFD_CLOEXEC, 3);
		break;
	case 3:
		r = syscall(SYS_eventfd2, 0, EFD_CLOEXEC);
		break;
	case 4:
		r = syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		break;
	case 5:
		if (high >= 0)
			r = syscall(SYS_dup3, 1, high, O_CLOEXEC);
		else
			r = syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_CLOEXEC);
		break;
	default:
		if (syscall(SYS_pipe2, p, O_CLOEXEC))
			return 0;
		fds[0] = p[0];
		fds[1] = p[1];
		return 2;
	}
	if (r < 0)
		return 0;
	fds[0] = (int)r;
	return 1;
}

/* Make exactly @n descriptors into @fds by assorted methods: 0 or -1. */
static int make_n(unsigned int m, int *fds, int n)
{
	int got = 0, k;

	while (got < n) {
		k = make_fds(m + (unsigned int)got, fds + got, n - got, -1);
		if (!k)
			return -1;
		got += k;
	}
	return 0;
}

static void close_n(const int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		syscall(SYS_close, fds[i]);
}

/* --- the original jobs -------------------------------------------------- */

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

/* A greedy job's own quota, set below its usage: the watcher judges by it. */
static void greedy_cap(long heap_mb, long files)
{
	if (syscall(__NR_resource_cap, getpid(), heap_mb, files) == 0) {
		STORE(&ME->judge_heap_mb, heap_mb);
		STORE(&ME->judge_files, files);
	}
}

/* --- mm-sharers: CLONE_VM and vfork children in a tracked mm ------------- */

#define MM_ACTORS	3		/* at once: two clone children, and the */
#define MM_ACTOR_PEAK	(2 * MiB)	/* job or its vfork child; each's most */

struct mm_actor {
	int rounds;
	int brk;	/* may move the break: the vfork child, alone doing so */
	int failed;	/* the round that failed, + 1 */
};

/* Grow and shrink the mm by a MiB or two; raw calls only. */
static int mm_actor_fn(void *arg)
{
	struct mm_actor *a = arg;
	long p, q, cur, top;
	int i, how;

	for (i = 0; i < a->rounds; i++) {
		how = i % (a->brk ? 4 : 3);
		p = 0;
		if (how < 3) {
			p = syscall(SYS_mmap, NULL, MiB, how == 2 ? PROT_READ : RW,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1L, 0L);
			if (p == -1)
				goto fail;
		}
		switch (how) {
		case 0:
			*(volatile char *)p = 1;
			syscall(SYS_munmap, p, MiB);
			break;
		case 1:		/* grown in place or moved: 2 MiB at the end */
			q = syscall(SYS_mremap, p, MiB, 2 * MiB, MREMAP_MAYMOVE);
			if (q == -1) {
				syscall(SYS_munmap, p, MiB);
				goto fail;
			}
			*(volatile char *)(q + MiB) = 1;
			syscall(SYS_munmap, q, 2 * MiB);
			break;
		case 2:		/* read-only is not heap until made writable */
			if (syscall(SYS_mprotect, p, MiB, RW)) {
				syscall(SYS_munmap, p, MiB);
				goto fail;
			}
			*(volatile char *)p = 1;
			syscall(SYS_munmap, p, MiB);
			break;
		default:	/* the brk heap, past malloc's last page */
			cur = syscall(SYS_brk, 0L);
			top = syscall(SYS_brk, cur + MiB);
			if (top != cur + MiB)
				goto fail;
			*(volatile char *)((cur + 2 * page) & ~(page - 1)) = 1;
			syscall(SYS_brk, cur);
			break;
		}
	}
	return 0;
fail:
	a->failed = i + 1;
	return 1;
}

static int mm_sharers(void)
{
	static struct mm_actor a[MM_ACTORS], own;
	struct per_proc_resource st;
	int i, r, status, ret = 0;
	char *stack[MM_ACTORS];
	pid_t c[2], v;
	long need;

	for (i = 0; i < MM_ACTORS; i++) {
		stack[i] = map_anon(CLONE_STACK, RW);
		if (!stack[i])
			return 30;
	}
	if (fetch_self(&st))
		return 31;
	need = (long)((st.heapsize + MM_ACTORS * MM_ACTOR_PEAK + MiB - 1) / MiB) + 1;
	if (cap_self(need, (long)st.openfile_count + 2))
		return 32;
	STORE(&ME->need_files, (long)st.openfile_count + 2);
	STORE(&ME->need_heap_mb, need);
	for (i = 0; i < 2; i++) {
		a[i].rounds = 24;
		c[i] = clone(mm_actor_fn, stack[i] + CLONE_STACK, CLONE_VM | SIGCHLD,
			     &a[i]);
		if (c[i] < 0)
			return 33;
	}
	for (r = 0; r < 3; r++) {
		a[2].rounds = 8;
		a[2].brk = 1;
		v = clone(mm_actor_fn, stack[2] + CLONE_STACK,
			  CLONE_VM | CLONE_VFORK | SIGCHLD, &a[2]);
		if (v < 0 || reap(v) != 0)
			ret = 34;
		own.rounds = 6;
		if (mm_actor_fn(&own))
			ret = 35;
		INC(&shm->sharer_runs);
	}
	for (i = 0; i < 2; i++) {
		status = reap(c[i]);
		if (status != 0)
			ret = 36;
	}
	if (ret)
		job_bad("mm-sharers %d: an actor failed (round %d/%d/%d/%d) under a %ld MiB quota",
			getpid(), a[0].failed, a[1].failed, a[2].failed,
			own.failed, need);
	return ret;
}

/* --- probes: trials that must end in SIGKILL ------------------------------ */

/*
 * Fork a trial process running @fn(@arg): it, and the clone child it names
 * in aux_child, must die by SIGKILL within 10 s.  The watcher judges it
 * meanwhile by the quotas it publishes.
 */
static void run_trial(const char *what, int (*fn)(long), long arg)
{
	struct slot *s = ME;
	char st1[64], st2[64];
	int status, cs;
	bool in_time, c_in_time = true;
	pid_t t, c;

	STORE(&s->aux_heap_mb, -1L);
	STORE(&s->aux_files, -1L);
	STORE(&s->aux_child, 0);
	STORE(&s->aux_go, 0);
	snprintf(s->what, sizeof(s->what), "%s", what);
	t = fork();
	if (t == 0)
		_exit(fn(arg));
	if (t < 0)
		return;
	STORE(&s->aux_pid, t);
	in_time = wait_end(t, 10000);
	STORE(&s->aux_pid, 0);
	while (LOAD(&s->busy))
		sched_yield();
	status = reap(t);
	INC(&shm->trials);
	c = LOAD(&s->aux_child);
	/* An orphan by now, ours: we are a subreaper. */
	cs = c > 0 ? reap_timeout(c, 5000, &c_in_time) : -1;
	describe(status, st1, sizeof(st1));
	if (c > 0)
		describe(cs, st2, sizeof(st2));
	else
		snprintf(st2, sizeof(st2), "none");
	if (!killed(status) || !in_time)
		job_bad("%s: trial process %d %s%s (its child %d: %s), want SIGKILL",
			what, t, st1, in_time ? "" : " after 10 s", c, st2);
	else if (c > 0 && (!killed(cs) || !c_in_time))
		job_bad("%s: trial process %d's child %d %s, want SIGKILL with it",
			what, t, c, st2);
	else if (c > 0)
		INC(&shm->trial_children);
}

enum grow { GROW_MMAP, GROW_BRK, GROW_MPROTECT, GROW_MREMAP, NR_GROW };

static const char *const grow_name[] = { "mmap", "brk", "mprotect", "mremap" };

struct grower {
	int how;
	long pre;	/* mprotect: 64 MiB read-only; mremap: 1 MiB */
};

/* A child sharing the trial's mm: grow it by 64 MiB.  Raw calls only. */
static int mm_grower(void *arg)
{
	struct grower *g = arg;
	long cur;
	int i;

	STORE(&ME->aux_child, (int)syscall(SYS_getpid));
	switch (g->how) {
	case GROW_MMAP:
		for (i = 0; i < 64; i++)
			if (syscall(SYS_mmap, NULL, MiB, RW, MAP_PRIVATE | MAP_ANONYMOUS,
				    -1L, 0L) == -1)
				break;
		break;
	case GROW_BRK:
		cur = syscall(SYS_brk, 0L);
		syscall(SYS_brk, cur + 64 * MiB);
		break;
	case GROW_MPROTECT:
		syscall(SYS_mprotect, g->pre, 64 * MiB, RW);
		break;
	default:
		syscall(SYS_mremap, g->pre, MiB, 64 * MiB, MREMAP_MAYMOVE);
		break;
	}
	return 0;	/* alive past the crossing */
}

/* @arg: how the child grows, + NR_GROW for a vfork child. */
static int mm_trial(long arg)
{
	struct grower g = { .how = (int)(arg % NR_GROW) };
	bool vfork = arg >= NR_GROW;
	struct per_proc_resource st;
	struct timespec t0;
	char *stack;
	long q, p;
	pid_t c;

	stack = map_anon(CLONE_STACK, RW);
	if (g.how == GROW_MPROTECT)
		g.pre = (long)map_anon(64 * MiB, PROT_READ);
	else if (g.how == GROW_MREMAP)
		g.pre = (long)map_anon(MiB, RW);
	if (!stack || ((g.how == GROW_MPROTECT || g.how == GROW_MREMAP) && !g.pre))
		return 40;
	if (syscall(__NR_register, getpid()) || syscall(__NR_fetch, &st, getpid()))
		return 41;
	q = (long)((st.heapsize + MiB - 1) / MiB) + 4;
	if (syscall(__NR_resource_cap, getpid(), q, -1L))
		return 42;
	STORE(&ME->aux_heap_mb, q);
	c = clone(mm_grower, stack + CLONE_STACK,
		  CLONE_VM | (vfork ? CLONE_VFORK : 0) | SIGCHLD, &g);
	if (c < 0)
		return 43;
	if (vfork)
		return 3;	/* the child ended, and we live */
	/* Grow a little ourselves meanwhile: whichever call crosses kills. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (waitpid(c, NULL, WNOHANG | __WALL) == 0 && since(&t0) < 5) {
		p = syscall(SYS_mmap, NULL, 64 * 1024, RW,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1L, 0L);
		if (p != -1)
			syscall(SYS_munmap, p, 64 * 1024);
	}
	return 3;
}

static int mm_probe(void)
{
	struct timespec t0;
	char what[96];
	long k, arg;

	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < 16 && since(&t0) < 1.5; k++) {
		arg = (k + getpid()) % (2 * NR_GROW);
		snprintf(what, sizeof(what), "mm-probe: a %s child grows the mm by %s",
			 arg >= NR_GROW ? "vfork" : "clone(CLONE_VM)",
			 grow_name[arg % NR_GROW]);
		run_trial(what, mm_trial, arg);
	}
	return 0;
}

enum files_trial {
	FT_RACE_OPEN, FT_RACE_UNSHARE, FT_THREADS, FT_CLONE_FILES,
	FT_CLONE_VM_FILES, NR_FT
};

static const char *const ft_name[] = {
	"two tables each add one at once, one below the quota",
	"an unshare() copy and another table's open at once, one over together",
	"threads with unshared tables open until killed",
	"a CLONE_FILES child opens past the quota",
	"a CLONE_VM|CLONE_FILES child opens past the quota",
};

/* The trial process's threads (a fork per trial: each has its own). */
static struct {
	int mode;
	int ready, go, done;
	long ret[2];
	int err[2];
} race;

static bool wait_count(int *p, int want, long ms)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (LOAD(p) < want) {
		if (since(&t0) * 1000 > ms)
			return false;
		sched_yield();
	}
	return true;
}

static void *race_thread(void *arg)
{
	const long me = (long)arg;
	int fds[2];
	unsigned int i;
	long r = 0;

	/* FT_RACE_UNSHARE: thread 0 shares the process's table until the go. */
	if (race.mode != FT_RACE_UNSHARE || me == 1)
		r = syscall(SYS_unshare, CLONE_FILES);
	if (r)
		race.err[me] = errno;
	INC(&race.ready);
	if (!wait_count(&race.go, 1, 10000))
		return NULL;
	switch (race.mode) {
	case FT_THREADS:
		for (i = 0; i < 200; i++)
			make_fds(i + (unsigned int)me, fds, 2, -1);
		break;
	case FT_RACE_UNSHARE:
		if (me == 0) {
			race.ret[me] = syscall(SYS_unshare, CLONE_FILES);
			break;
		}
		/* fall through */
	default:
		race.ret[me] = syscall(SYS_openat, AT_FDCWD, "/",
				       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	}
	race.err[me] = errno;
	INC(&race.done);
	for (;;)
		sleep_ms(1000);
	return NULL;
}

/* Descriptors open in the calling thread's table. */
static long table_count(void)
{
	long n = 0;
	int fd;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			n++;
	return n;
}

static int files_thread_trial(long mode)
{
	int nthreads = mode == FT_THREADS ? 3 : 2, fds[64], n = 0, i;
	struct per_proc_resource st;
	pthread_t th[3];
	long q, m, c;

	race.mode = (int)mode;
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, race_thread, (void *)(long)i))
			return 50;
	if (!wait_count(&race.ready, nthreads, 5000))
		return 51;
	if (syscall(__NR_register, getpid()) || syscall(__NR_fetch, &st, getpid()))
		return 52;
	c = (long)st.openfile_count;
	switch (mode) {
	case FT_RACE_OPEN:
		q = c + 1 + getpid() % 4;
		break;
	case FT_RACE_UNSHARE:
		/* Thread 0's copy adds our m; with the other open, one over. */
		m = table_count();
		q = c + m;
		break;
	default:
		q = c + 6;
		break;
	}
	if (syscall(__NR_resource_cap, getpid(), -1L, q))
		return 53;
	STORE(&ME->aux_files, q);
	if (mode == FT_RACE_OPEN) {
		while (c + n < q - 1 && n < 64) {
			fds[n] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fds[n++] < 0)
				return 54;
		}
		if (syscall(__NR_fetch, &st, getpid()) || (long)st.openfile_count != q - 1)
			return 55;
	}
	STORE(&race.go, 1);
	if (mode == FT_THREADS) {
		for (i = 0; i < 200; i++)
			make_fds((unsigned int)i, fds, 2, -1);
		sleep_ms(5000);
		return 3;
	}
	if (!wait_count(&race.done, 2, 3000))
		return 56;
	/* Both calls went through, and we live. */
	memset(&st, 0, sizeof(st));
	syscall(__NR_fetch, &st, getpid());
	job_print("stress: files-probe %d (%s): both calls succeeded (%ld, %ld; errno %d, %d), %lu descriptors, quota %ld\n",
		  getpid(), ft_name[mode], race.ret[0], race.ret[1], race.err[0],
		  race.err[1], st.openfile_count, q);
	sleep_ms(300);
	return 3;
}

/* A CLONE_FILES child of the trial process: open past the quota. */
static int files_opener(void *arg)
{
	int fds[2], i;

	(void)arg;
	STORE(&ME->aux_child, (int)syscall(SYS_getpid));
	while (!LOAD(&ME->aux_go))
		sleep_ms(1);
	for (i = 0; i < 64; i++)
		make_fds((unsigned int)i, fds, 2, 600 + i);
	return 0;
}

static int files_clone_trial(long mode)
{
	struct per_proc_resource st;
	bool late = getpid() % 2;
	char *stack;
	long q;
	pid_t c;

	stack = map_anon(CLONE_STACK, RW);
	if (!stack)
		return 60;
	c = -1;
	/* Sometimes register while the child already shares the table. */
	if (late)
		c = clone(files_opener, stack + CLONE_STACK,
			  CLONE_FILES | (mode == FT_CLONE_VM_FILES ? CLONE_VM : 0) |
			  SIGCHLD, NULL);
	if (syscall(__NR_register, getpid()) || syscall(__NR_fetch, &st, getpid()))
		return 61;
	q = (long)st.openfile_count + 5;
	if (syscall(__NR_resource_cap, getpid(), -1L, q))
		return 62;
	STORE(&ME->aux_files, q);
	if (!late)
		c = clone(files_opener, stack + CLONE_STACK,
			  CLONE_FILES | (mode == FT_CLONE_VM_FILES ? CLONE_VM : 0) |
			  SIGCHLD, NULL);
	if (c < 0)
		return 63;
	/* Passive: an open of our own past the quota would spare the child. */
	STORE(&ME->aux_go, 1);
	if (!wait_end(c, 5000))
		return 64;
	return 3;
}

static int files_trial(long mode)
{
	close_from(3);
	if (mode == FT_CLONE_FILES || mode == FT_CLONE_VM_FILES)
		return files_clone_trial(mode);
	return files_thread_trial(mode);
}

static int files_probe(void)
{
	struct timespec t0;
	char what[96];
	long k, mode;

	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < 24 && since(&t0) < 1.5; k++) {
		/* The races most often: they need luck. */
		mode = (k + getpid()) % (NR_FT + 2);
		if (mode >= NR_FT)
			mode -= NR_FT;
		snprintf(what, sizeof(what), "files-probe: %s", ft_name[mode]);
		run_trial(what, files_trial, mode);
	}
	return 0;
}

/* --- files-unshare: threads with tables of their own --------------------- */

#define FU_THREADS	3
#define FU_PER		3	/* descriptors each thread holds at most */

static struct {
	int ready, go, failed;
} fu;

static void fu_rounds(unsigned int seed)
{
	int fds[FU_PER], r;

	for (r = 0; r < 30; r++) {
		if (make_n(seed + (unsigned int)r, fds, FU_PER)) {
			STORE(&fu.failed, 1);
			return;
		}
		close_n(fds, FU_PER);
	}
}

static void *fu_thread(void *arg)
{
	if (syscall(SYS_unshare, CLONE_FILES))
		STORE(&fu.failed, 2);
	INC(&fu.ready);
	if (wait_count(&fu.go, 1, 10000))
		fu_rounds((unsigned int)(long)arg);
	return NULL;
}

static int files_unshare(void)
{
	struct per_proc_resource st;
	pthread_t th[FU_THREADS];
	long i, need;

	for (i = 0; i < FU_THREADS; i++)
		if (pthread_create(&th[i], NULL, fu_thread, (void *)i))
			return 70;
	if (!wait_count(&fu.ready, FU_THREADS, 5000) || fetch_self(&st))
		return 71;
	/* Every table counts: ours and the three copies. */
	need = (long)st.openfile_count + (FU_THREADS + 1) * FU_PER + 2;
	if (cap_self(-1, need))
		return 72;
	STORE(&ME->need_files, need);
	STORE(&fu.go, 1);
	fu_rounds(7);
	for (i = 0; i < FU_THREADS; i++)
		pthread_join(th[i], NULL);
	if (fu.failed)
		job_bad("files-unshare %d: a descriptor refused (%d) under a quota of %ld it stays within",
			getpid(), fu.failed, need);
	return fu.failed ? 73 : 0;
}

/* --- clone-files: CLONE_FILES children in a tracked table ---------------- */

#define CF_CHILDREN	3
#define CF_PER		3

/* Raw calls only: one child also shares the mm. */
static int cf_child(void *arg)
{
	unsigned int m = (unsigned int)(long)arg;
	int fds[CF_PER], r;

	for (r = 0; r < 20; r++) {
		if (make_n(m + (unsigned int)r, fds, CF_PER))
			return 1;
		close_n(fds, CF_PER);
	}
	return 0;
}

static int clone_files(void)
{
	struct per_proc_resource st;
	char *stack[CF_CHILDREN];
	int i, ret = 0, status;
	pid_t c[CF_CHILDREN];
	long need;

	for (i = 0; i < CF_CHILDREN; i++) {
		stack[i] = map_anon(CLONE_STACK, RW);
		if (!stack[i])
			return 80;
	}
	if (fetch_self(&st))
		return 81;
	need = (long)st.openfile_count + CF_CHILDREN * CF_PER + 2;
	if (cap_self(-1, need))
		return 82;
	STORE(&ME->need_files, need);
	for (i = 0; i < CF_CHILDREN; i++) {
		c[i] = clone(cf_child, stack[i] + CLONE_STACK,
			     CLONE_FILES | (i == 2 ? CLONE_VM : 0) | SIGCHLD,
			     (void *)(long)i);
		if (c[i] < 0)
			return 83;
	}
	for (i = 0; i < CF_CHILDREN; i++) {
		status = reap(c[i]);
		if (status) {
			job_bad("clone-files %d: child %d (%s) ended with 0x%x under a quota of %ld it stays within",
				getpid(), c[i], i == 2 ? "CLONE_VM|CLONE_FILES" : "CLONE_FILES",
				(unsigned int)status, need);
			ret = 84;
		}
	}
	return ret;
}

/* --- scm-receiver: descriptors pushed in with SCM_RIGHTS ----------------- */

static int send_fds(int sock, const int *fds, int n)
{
	char data = 'x';
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(SCM_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int)),
	};
	struct cmsghdr *cmsg;

	memset(&u, 0, sizeof(u));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
	memcpy(CMSG_DATA(cmsg), fds, (size_t)n * sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static ssize_t recv_fds(int sock, int *fds, int *nfds, int *flags)
{
	char data;
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(SCM_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t ret;
	int n;

	*nfds = 0;
	ret = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (ret < 0)
		return ret;
	*flags = msg.msg_flags;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		if (n > SCM_MAX_FDS - *nfds)
			n = SCM_MAX_FDS - *nfds;
		memcpy(fds + *nfds, CMSG_DATA(cmsg), (size_t)n * sizeof(int));
		*nfds += n;
	}
	return ret;
}

/* Untracked: flood @sock until the receiver closes it (or 5 s). */
static int scm_sender(int sock, unsigned int seed)
{
	struct timeval tv = { 0, 100000 };
	int fds[SCM_MAX_FDS], efd, p[2], i;
	struct timespec t0;

	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0 || pipe2(p, O_CLOEXEC))
		return 1;
	for (i = 0; i < SCM_MAX_FDS; i++)
		fds[i] = i % 3 ? efd : p[i % 2];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (since(&t0) < 5) {
		if (send_fds(sock, fds, 1 + (int)(rand_r(&seed) % SCM_MAX_FDS)) == 0)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ETOOMANYREFS && errno != ENOBUFS)
			break;
	}
	return 0;
}

struct rx {
	int sock[2];
	int nsock;
	bool floor_check;	/* one table: a truncated message means full */
	bool own;		/* make descriptors of our own below the floor */
	int ready, go;
};

static void rx_loop(struct rx *x, double secs)
{
	static __thread int held[SCM_QUOTA_MAX + SCM_MAX_FDS];
	int fds[SCM_MAX_FDS], n, flags, i, k, nheld = 0, fd;
	unsigned int seed = (unsigned int)syscall(SYS_gettid);
	struct per_proc_resource st;
	struct pollfd pf[2];
	struct timespec t0;
	long floor, judge;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < x->nsock; i++) {
		pf[i].fd = x->sock[i];
		pf[i].events = POLLIN;
	}
	while (since(&t0) < secs) {
		if (poll(pf, (nfds_t)x->nsock, 50) <= 0)
			continue;
		for (i = 0; i < x->nsock; i++) {
			if (!(pf[i].revents & POLLIN))
				continue;
			floor = LOAD(&ME->floor_files);
			flags = 0;
			if (recv_fds(pf[i].fd, fds, &n, &flags) < 0) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				job_bad("scm-receiver %d: recvmsg: %s", getpid(),
					strerror(errno));
				return;
			}
			INC(&shm->scm_msgs);
			ADD(&shm->scm_fds, (long)n);
			if (flags & MSG_CTRUNC)
				INC(&shm->scm_truncated);
			for (k = 0; k < n; k++) {
				if (nheld < (int)(sizeof(held) / sizeof(held[0])))
					held[nheld++] = fds[k];
				else
					close(fds[k]);
			}
			if (syscall(__NR_fetch, &st, getpid()))
				continue;
			judge = LOAD(&ME->judge_files);
			if ((long)st.openfile_count > judge)
				job_bad("scm-receiver %d holds %lu descriptors after a message of %d, over its quota of %ld, and lives",
					getpid(), st.openfile_count, n, judge);
			if (x->floor_check && (flags & MSG_CTRUNC) &&
			    (long)st.openfile_count < floor)
				job_bad("scm-receiver %d: a message truncated at %lu descriptors, below its quota of %ld",
					getpid(), st.openfile_count, floor);
			/* Close some, now and then all. */
			k = rand_r(&seed) % 4 ? (int)(rand_r(&seed) % (unsigned int)(nheld + 1)) :
			    nheld;
			while (k-- > 0)
				close(held[--nheld]);
			/* One of our own, with room for it. */
			if (x->own && !syscall(__NR_fetch, &st, getpid()) &&
			    (long)st.openfile_count + 1 <= LOAD(&ME->floor_files)) {
				fd = dup(pf[i].fd);
				if (fd < 0)
					job_bad("scm-receiver %d: dup() at %lu descriptors under a quota of %ld: %s",
						getpid(), st.openfile_count,
						LOAD(&ME->floor_files), strerror(errno));
				else
					close(fd);
			}
		}
	}
	while (nheld > 0)
		close(held[--nheld]);
}

static void *rx_thread(void *arg)
{
	struct rx *x = arg;

	/* A table of our own: copies of the sockets, of which we keep one. */
	if (syscall(SYS_unshare, CLONE_FILES))
		job_bad("scm-receiver %d: unshare(CLONE_FILES): %s", getpid(),
			strerror(errno));
	close(x->sock[0]);
	x->sock[0] = x->sock[1];
	x->nsock = 1;
	INC(&x->ready);
	if (wait_count(&x->go, 1, 10000))
		rx_loop(x, 1.5);
	close(x->sock[0]);
	return NULL;
}

static int scm_receiver(void)
{
	struct rx main_rx = { .nsock = 2 }, thr_rx;
	bool two = getpid() % 2;
	struct per_proc_resource st;
	int sv[2][2], i, status;
	pthread_t th;
	pid_t snd[2];
	bool in_time;
	long q;

	for (i = 0; i < 2; i++) {
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv[i]))
			return 90;
	}
	for (i = 0; i < 2; i++) {
		snd[i] = fork();
		if (snd[i] == 0) {
			close(sv[0][0]);
			close(sv[1][0]);
			close(sv[1 - i][1]);
			_exit(scm_sender(sv[i][1], (unsigned int)getpid()));
		}
		if (snd[i] < 0)
			return 91;
	}
	close(sv[0][1]);
	close(sv[1][1]);
	main_rx.sock[0] = sv[0][0];
	main_rx.sock[1] = sv[1][0];
	if (two) {
		thr_rx = main_rx;
		if (pthread_create(&th, NULL, rx_thread, &thr_rx))
			return 92;
		if (!wait_count(&thr_rx.ready, 1, 5000))
			return 93;
		close(main_rx.sock[1]);
		main_rx.nsock = 1;
	}
	/* With two tables another thread may take the room at any time. */
	main_rx.floor_check = main_rx.own = !two;
	if (fetch_self(&st))
		return 94;
	q = (long)st.openfile_count + 4 + getpid() % 24;
	if (cap_self(-1, q))
		return 95;
	STORE(&ME->floor_files, q);
	STORE(&ME->judge_files, q);
	if (two)
		STORE(&thr_rx.go, 1);
	rx_loop(&main_rx, 1.5);
	for (i = 0; i < main_rx.nsock; i++)
		close(main_rx.sock[i]);
	if (two)
		pthread_join(th, NULL);
	for (i = 0; i < 2; i++) {
		status = reap_timeout(snd[i], 8000, &in_time);
		if (status)
			job_bad("scm-receiver %d: sender %d ended with 0x%x", getpid(),
				snd[i], (unsigned int)status);
	}
	return 0;
}

/* --- pidns: the inits of pid namespaces ------------------------------------ */

/* @pid is an init: register EINVAL, the others ENOENT, and it lives. */
static void ns_expect(pid_t pid, const char *who)
{
	static const struct {
		int nr;
		const char *name;
	} calls[] = {
		{ __NR_resource_cap, "resource_cap(0, 0)" },
		{ __NR_fetch, "fetch" },
		{ __NR_resource_reset, "resource_reset" },
		{ __NR_deregister, "deregister" },
	};
	struct per_proc_resource st;
	unsigned int i;
	long r;

	errno = 0;
	r = syscall(__NR_register, pid);
	if (r == 0 || errno != EINVAL) {
		job_bad("register(%d) of %s: %ld, errno %d (%s), want EINVAL",
			pid, who, r, errno, strerror(errno));
		if (r == 0)
			syscall(__NR_deregister, pid);
	} else {
		INC(&shm->ns_einval);
	}
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		errno = 0;
		if (calls[i].nr == __NR_fetch)
			r = syscall(__NR_fetch, &st, pid);
		else if (calls[i].nr == __NR_resource_cap)
			r = syscall(__NR_resource_cap, pid, 0L, 0L);
		else
			r = syscall(calls[i].nr, pid);
		if (r == 0 || errno != ENOENT)
			job_bad("%s(%d) of %s: %ld, errno %d (%s), want ENOENT",
				calls[i].name, pid, who, r, errno, strerror(errno));
	}
}

/* pid 1 of a new namespace. */
static int ns_init(int relfd)
{
	char link[32], st1[64];
	pid_t g, n2 = -1;
	ssize_t k;
	int i, status;
	char c;

	ns_expect(1, "a namespace's init, by itself");
	ns_expect(getpid(), "a namespace's init, by itself (getpid)");
	/* A tracked process of the namespace crosses its quota; we live. */
	g = fork();
	if (g == 0) {
		ns_expect(1, "its namespace's init, from a process there");
		if (syscall(__NR_register, getpid()) ||
		    syscall(__NR_resource_cap, getpid(), -1L, 8L))
			_exit(2);
		for (i = 0; i < 32; i++)
			open("/", O_RDONLY | O_DIRECTORY);
		_exit(3);
	}
	status = g > 0 ? reap(g) : -1;
	if (!killed(status)) {
		describe(status, st1, sizeof(st1));
		job_bad("pidns: a tracked process crossing its file quota in the namespace %s",
			st1);
	}
	/* The init of a namespace nested in ours. */
	if (unshare(CLONE_NEWPID) == 0) {
		n2 = fork();
		if (n2 == 0) {
			ns_expect(1, "a nested namespace's init, by itself");
			/* The proc mount is the initial namespace's. */
			k = readlink("/proc/self", link, sizeof(link) - 1);
			link[k > 0 ? k : 0] = '\0';
			STORE(&ME->nested_pid, k > 0 ? atoi(link) : -1);
			while (read(relfd, &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		for (i = 0; n2 > 0 && i < 3000 && !LOAD(&ME->nested_pid); i++)
			sleep_ms(1);
		if (n2 > 0)
			ns_expect(n2, "a nested namespace's init, from its parent namespace");
	}
	STORE(&ME->ns_stage, 1);
	while (read(relfd, &c, 1) < 0 && errno == EINTR)
		;
	if (n2 > 0) {
		status = reap(n2);
		if (status) {
			describe(status, st1, sizeof(st1));
			job_bad("pidns: a nested namespace's init %s, want exit 0", st1);
		}
	}
	return 0;
}

static int pidns(void)
{
	struct timespec t0;
	int rel[2], status;
	pid_t init, nested;
	bool in_time;
	char st1[64];

	/* Without pid namespaces (no CONFIG_PID_NS) there is nothing to do. */
	if (unshare(CLONE_NEWPID))
		return errno == EINVAL ? 0 : 100;
	if (pipe(rel))
		return 101;
	init = fork();
	if (init == 0) {
		close(rel[1]);
		_exit(ns_init(rel[0]));
	}
	close(rel[0]);
	if (init < 0)
		return 102;
	STORE(&ME->init_pid, init);
	wait_count(&ME->ns_stage, 1, 5000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (since(&t0) < 0.6) {
		ns_expect(init, "a namespace's init, from outside");
		nested = LOAD(&ME->nested_pid);
		if (nested > 0)
			ns_expect(nested, "a nested namespace's init, from outside");
		sleep_ms(5);
	}
	/* The managers too name them: no more before they may be reaped. */
	STORE(&ME->init_pid, 0);
	STORE(&ME->nested_pid, 0);
	while (LOAD(&ME->busy))
		sched_yield();
	close(rel[1]);
	status = reap_timeout(init, 10000, &in_time);
	if (status || !in_time) {
		describe(status, st1, sizeof(st1));
		job_bad("pidns: the namespace's init %d %s, want exit 0", init, st1);
	}
	return 0;
}

/* --- the jobs ------------------------------------------------------------ */

static void job_main(enum kind kind)
{
	pid_t self = getpid();
	int i;

	/* Whatever the parent's threads had open at the fork. */
	close_from(3);
	/* A manager thread may have registered us first. */
	if (syscall(__NR_register, self) && errno != EEXIST)
		_exit(10);
	switch (kind) {
	case CHURN:
		churn();
		_exit(0);
	case HONEST:
	case HONEST_THREADS:
		/* A manager may deregister us in between: register again. */
		for (i = 0; syscall(__NR_resource_cap, self, 128L, 512L); i++) {
			if (errno != ENOENT || i == 100)
				_exit(11);
			syscall(__NR_register, self);
		}
		if (kind == HONEST)
			honest_work();
		else
			run_threads(honest_thread, 4);
		_exit(0);
	case GREEDY_HEAP:
		greedy_cap(8L, -1L);
		for (i = 0; i < 64; i++)
			mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		_exit(20);
	case GREEDY_FILES:
		greedy_cap(-1L, 32L);
		for (i = 0; i < 64; i++)
			open("/proc/self/stat", O_RDONLY);
		_exit(21);
	case GREEDY_THREADS:
		greedy_cap(16L, 64L);
		run_threads(greedy_thread, 8);
		_exit(22);
	case MM_SHARERS:
		_exit(mm_sharers());
	case MM_PROBE:
		_exit(mm_probe());
	case FILES_UNSHARE:
		_exit(files_unshare());
	case FILES_PROBE:
		_exit(files_probe());
	case CLONE_FILES_JOB:
		_exit(clone_files());
	case SCM_RECEIVER:
		_exit(scm_receiver());
	default:
		_exit(pidns());
	}
}

static void start_job(int i, enum kind kind)
{
	struct slot *s = &shm->slot[i];
	struct job *j = &jobs[i];
	pid_t p;

	/* The slot's pid is 0 and nobody is busy with it. */
	s->init_pid = s->nested_pid = s->ns_stage = 0;
	s->aux_pid = s->aux_child = s->aux_go = 0;
	s->need_heap_mb = s->need_files = 0;
	s->judge_heap_mb = s->judge_files = -1;
	s->aux_heap_mb = s->aux_files = -1;
	s->floor_files = 0;
	s->what[0] = '\0';
	STORE(&s->kind, (int)kind);
	fflush(stdout);
	p = fork();
	if (p == 0) {
		my_slot = i;
		job_main(kind);
	}
	j->pid = p;
	j->kind = kind;
	clock_gettime(CLOCK_MONOTONIC, &j->start);
	if (p > 0 && p <= PID_MAX)
		__atomic_add_fetch(&seen[p], 1, __ATOMIC_RELAXED);
	if (p > 0)
		STORE(&s->pid, p);
}

/* Job @i has ended: reap it once no manager or watcher call names it. */
static int reap_job(int i)
{
	struct slot *s = &shm->slot[i];

	STORE(&s->pid, 0);
	while (LOAD(&s->busy))
		sched_yield();
	return reap(jobs[i].pid);
}

static void check_end(const struct job *j, int status)
{
	char st[64];

	describe(status, st, sizeof(st));
	if (IS_HONEST(j->kind)) {
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			bad("%s job %d %s", kind_name[j->kind], j->pid, st);
	} else {
		if (!killed(status))
			bad("%s job %d was not killed: %s", kind_name[j->kind], j->pid, st);
		else if (since(&j->start) > 20.0)
			bad("%s job %d took %ld s to die", kind_name[j->kind], j->pid,
			    (long)since(&j->start));
	}
}

/* --- manager threads in the parent -------------------------------------- */

static bool allowed(int err)
{
	return err == ESRCH || err == ENOENT || err == EEXIST || err == EPERM;
}

/* A tight quota: the published room, a little more, or none. */
static long tight(long need, unsigned int *seed)
{
	if (need <= 0 || rand_r(seed) % 4 == 0)
		return -1;
	return need + rand_r(seed) % 6;
}

/* Raise a receiver's file quota, never lower it: 0, or -1 and errno. */
static long raise_receiver(struct slot *s, pid_t pid, unsigned int *seed)
{
	long q, r = 0;

	pthread_mutex_lock(&raise_lock);
	q = LOAD(&s->judge_files);
	if (q > 0) {
		q += rand_r(seed) % 4;
		if (q > SCM_QUOTA_MAX)
			q = LOAD(&s->judge_files);
		/* The judge is never below the quota in force. */
		STORE(&s->judge_files, q);
		r = syscall(__NR_resource_cap, pid, -1L, q);
		if (r == 0 && q > LOAD(&s->floor_files))
			STORE(&s->floor_files, q);
	}
	pthread_mutex_unlock(&raise_lock);
	return r;
}

/* A pidns job's inits: register EINVAL, resource_cap(0, 0) ENOENT. */
static void poke_init(struct slot *s, unsigned int *seed)
{
	pid_t init = LOAD(&s->init_pid), nested = LOAD(&s->nested_pid), t;
	long r;

	t = nested > 0 && rand_r(seed) % 2 ? nested : init;
	if (t <= 0)
		return;
	errno = 0;
	if (rand_r(seed) % 2) {
		r = syscall(__NR_register, t);
		if (r == 0) {
			bad("manager: register of namespace init %d succeeded", t);
			syscall(__NR_deregister, t);
		} else if (errno == EINVAL) {
			INC(&shm->ns_einval);
		} else if (errno != ESRCH) {
			bad("manager: register of namespace init %d: errno %d (%s), want EINVAL",
			    t, errno, strerror(errno));
		}
	} else {
		r = syscall(__NR_resource_cap, t, 0L, 0L);
		if (r == 0 || (errno != ENOENT && errno != ESRCH))
			bad("manager: resource_cap(%d, 0, 0) of a namespace init: %ld, errno %d (%s), want ENOENT",
			    t, r, errno, strerror(errno));
	}
}

static void *manager(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg;
	struct per_proc_resource st;
	struct slot *s;
	int kind, op, err;
	pid_t pid;
	long r;

	while (!stop) {
		s = &shm->slot[rand_r(&seed) % MAX_JOBS];
		INC(&s->busy);
		pid = LOAD(&s->pid);
		kind = LOAD(&s->kind);
		if (pid <= 0 || IS_GREEDY(kind)) {
			DEC(&s->busy);
			sched_yield();
			continue;
		}
		op = rand_r(&seed) % 5;
		errno = 0;
		if (kind == SCM_RECEIVER) {
			r = op < 2 ? raise_receiver(s, pid, &seed) :
			    syscall(__NR_fetch, &st, pid);
		} else if (kind == PIDNS && op < 2) {
			poke_init(s, &seed);
			r = 0;
		} else {
			switch (op) {
			case 0:
				r = syscall(__NR_fetch, &st, pid);
				break;
			case 1:
				r = syscall(__NR_register, pid);
				break;
			case 2:
				if (IS_TIGHT(kind))
					r = syscall(__NR_resource_cap, pid,
						    tight(LOAD(&s->need_heap_mb), &seed),
						    tight(LOAD(&s->need_files), &seed));
				else
					r = syscall(__NR_resource_cap, pid, 256L, 1024L);
				break;
			case 3:
				r = syscall(__NR_resource_reset, pid);
				break;
			default:
				r = syscall(__NR_deregister, pid);
				break;
			}
		}
		err = errno;
		DEC(&s->busy);
		__atomic_add_fetch(&manager_calls, 1, __ATOMIC_RELAXED);
		sched_yield();
		if (r && !allowed(err))
			bad("manager call on %d (%s): errno %d (%s)", pid,
			    kind_name[kind], err, strerror(err));
	}
	return NULL;
}

/* --- the watcher ---------------------------------------------------------- */

/* Is @pid gone, exiting, or with a SIGKILL on its way? */
static bool dying(pid_t pid)
{
	char path[64], buf[4096], *p;
	unsigned long long mask;
	unsigned long flags;
	ssize_t n;
	char state;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strstr(buf, "\nState:");
	if (p && sscanf(p + 7, " %c", &state) == 1 && (state == 'Z' || state == 'X'))
		return true;
	p = strstr(buf, "\nSigPnd:");
	if (p && sscanf(p + 8, "%llx", &mask) == 1 && (mask & (1ULL << (SIGKILL - 1))))
		return true;
	p = strstr(buf, "\nShdPnd:");
	if (p && sscanf(p + 8, "%llx", &mask) == 1 && (mask & (1ULL << (SIGKILL - 1))))
		return true;
	/* PF_EXITING in the flags of /proc/PID/stat (field 9). */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p && sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) == 2 &&
	    (flags & 0x4))
		return true;
	return false;
}

static bool over(const struct per_proc_resource *st, long heap_mb, long files)
{
	return (heap_mb >= 0 && st->heapsize > (unsigned long)heap_mb * MiB) ||
	       (files >= 0 && st->openfile_count > (unsigned long)files);
}

/*
 * Judge @pid by quotas it was given when under them and that were never
 * lowered: over them it must be dying, now or within a second.
 */
static void judge(struct slot *s, pid_t pid, long heap_mb, long files,
		  const char *who)
{
	struct per_proc_resource st, st2;
	int i;

	if (pid <= 0 || (heap_mb < 0 && files < 0))
		return;
	if (syscall(__NR_fetch, &st, pid))
		return;
	__atomic_add_fetch(&watcher_fetches, 1, __ATOMIC_RELAXED);
	if (!over(&st, heap_mb, files))
		return;
	for (i = 0; i < 1000; i++) {
		if (dying(pid)) {
			INC(&shm->over_dying);
			printf("stress: %s %d (%s%s%s): %lu heap bytes, %lu files over its quota (%ld MiB, %ld files) while being killed\n",
			       who, pid, kind_name[LOAD(&s->kind)], s->what[0] ? ", " : "",
			       s->what, st.heapsize, st.openfile_count, heap_mb, files);
			return;
		}
		sleep_ms(1);
	}
	memset(&st2, 0, sizeof(st2));
	syscall(__NR_fetch, &st2, pid);
	bad("%s %d (%s%s%s) had %lu heap bytes, %lu files, over its quota (%ld MiB, %ld files), and is alive and not being killed 1 s later (%lu bytes, %lu files now)",
	    who, pid, kind_name[LOAD(&s->kind)], s->what[0] ? ", " : "", s->what,
	    st.heapsize, st.openfile_count, heap_mb, files, st2.heapsize,
	    st2.openfile_count);
}

static void *watcher(void *arg)
{
	struct slot *s;
	int i;

	(void)arg;
	while (!stop) {
		for (i = 0; i < MAX_JOBS; i++) {
			s = &shm->slot[i];
			INC(&s->busy);
			judge(s, LOAD(&s->pid), LOAD(&s->judge_heap_mb),
			      LOAD(&s->judge_files), "job");
			if (LOAD(&s->pid) > 0)
				judge(s, LOAD(&s->aux_pid), LOAD(&s->aux_heap_mb),
				      LOAD(&s->aux_files), "trial");
			DEC(&s->busy);
		}
		usleep(200);
	}
	return NULL;
}

/* --- module reloads, /proc/tracker_status ------------------------------- */

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
			bad("module reload %ld failed: errno %d", reloads, errno);
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
		bad("empty %s", STATUS_PATH);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d", &pid) != 1)
			bad("bad status line: %s", line);
		else if (kill(pid, 0) && errno == ESRCH)
			bad("status lists pid %d that is gone", pid);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	int seconds = 20, njobs = 8, opt, i, status;
	long started = 0, reuses = 0, per_kind[NR_KINDS] = { 0 };
	pthread_t mgr[2], rel, wat;
	bool have_modules;
	char old_max[32] = "";
	struct timespec t0;
	siginfo_t si;
	FILE *f;

	while ((opt = getopt(argc, argv, "t:j:")) != -1) {
		if (opt == 't')
			seconds = atoi(optarg);
		else if (opt == 'j')
			njobs = atoi(optarg) > MAX_JOBS ? MAX_JOBS : atoi(optarg);
		else
			return 2;
	}
	if (njobs < 1)
		njobs = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	page = sysconf(_SC_PAGESIZE);
	seen = mmap(NULL, (PID_MAX + 1) * sizeof(*seen), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (seen == MAP_FAILED || shm == MAP_FAILED)
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
		start_job(i, (enum kind)(i % NR_KINDS));
		started++;
	}
	for (i = 0; i < 2; i++)
		pthread_create(&mgr[i], NULL, manager, (void *)(long)(i + 1));
	pthread_create(&wat, NULL, watcher, NULL);
	if (have_modules)
		pthread_create(&rel, NULL, reloader, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (since(&t0) < seconds) {
		/* Look without reaping: the pid stays the job's meanwhile. */
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT)) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < njobs && jobs[i].pid != si.si_pid; i++)
			;
		if (i == njobs) {
			reap(si.si_pid);
			continue;
		}
		status = reap_job(i);
		check_end(&jobs[i], status);
		per_kind[jobs[i].kind]++;
		start_job(i, (enum kind)(started % NR_KINDS));
		started++;
	}
	stop = true;
	for (i = 0; i < njobs; i++) {
		if (jobs[i].pid <= 0)
			continue;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)jobs[i].pid, &si, WEXITED | WNOWAIT) == 0) {
			status = reap_job(i);
			check_end(&jobs[i], status);
			per_kind[jobs[i].kind]++;
		}
	}
	for (i = 0; i < 2; i++)
		pthread_join(mgr[i], NULL);
	pthread_join(wat, NULL);
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
	for (i = 0; i < NR_KINDS; i++)
		printf("stress: %s jobs: %ld\n", kind_name[i], per_kind[i]);
	printf("stress: %ld probe trials (%ld children sharing the mm or table killed with them), %ld mm-sharer rounds, %ld SCM messages (%ld descriptors, %ld truncated), %ld namespace-init EINVALs, %ld watcher fetches, %ld over-quota figures on dying processes\n",
	       LOAD(&shm->trials), LOAD(&shm->trial_children),
	       LOAD(&shm->sharer_runs), LOAD(&shm->scm_msgs), LOAD(&shm->scm_fds),
	       LOAD(&shm->scm_truncated), LOAD(&shm->ns_einval), watcher_fetches,
	       LOAD(&shm->over_dying));
	violations += LOAD(&shm->violations);
	printf("stress: %ld jobs, %ld pid reuses, %ld module reloads, %ld manager calls, %ld violations\n",
	       started, reuses, reloads, manager_calls, violations);
	return violations ? 1 : 0;
}
