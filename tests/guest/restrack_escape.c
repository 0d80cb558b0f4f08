// SPDX-License-Identifier: GPL-2.0
/*
 * Escape tests for the resource tracker (Documentation/restrack.rst): an
 * attacker tries to make a tracked process hold memory or descriptors by a
 * route other than the process's own calls, or to turn the tracker against
 * a process it should not reach.
 *
 *  heap, charged to the mm:  a clone(CLONE_VM) child, a vfork child and a
 *	thread grow a tracked process's mm; MAP_POPULATE, MAP_LOCKED,
 *	mlockall()+brk, mremap, brk and mprotect growth past the quota must
 *	fail before anything is allocated, SIGKILL arriving in the same call;
 *	a mremap() move that briefly counts a mapping twice must not kill; a
 *	quota below a usage that another process made kills at once.
 *  files, charged to the tables:  threads that unshare their table, a
 *	CLONE_VM|CLONE_FILES child, descriptors pushed in with SCM_RIGHTS,
 *	the per-table limit kept across quota changes and table changes.
 *  the tracker against a process:  a pid namespace's init, rows forged
 *	through the comm in /proc/tracker_status, the pid namespace and
 *	hidepid of the proc mount read, a limit carried into a setuid-root
 *	image, and a Landlock signal scope.
 *
 * A test fails when the tracked process holds more than its quota (plus one
 * page of heap) and lives, when a call it makes runs on past the crossing,
 * or when a process outside the rules is killed: the victim's own untracked
 * fork child, a "bystander", must outlive every attack.
 *
 * Built static; the initramfs holds only this binary, so every exec
 * re-executes /proc/self/exe in a helper mode (see main()), but for the
 * setuid tests, which exec a setuid-root copy of it in /tmp.  Runs as root
 * (pid 1's child); tests that need /proc/tracker_status skip without it, and
 * on a kernel without the system calls every test skips.
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
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/types.h>

#include "kselftest_harness.h"
#include "restrack_helpers.h"

#define RW (PROT_READ | PROT_WRITE)

#define ATTACK_BYTES	(64 * MiB)	/* what an attacker maps */
#define LOCKED_BYTES	(256 * MiB)	/* ... when the kernel would fill it */
#define POPULATE_BYTES	(512 * MiB)
#define MEM_DROP_MAX_KB	(64L * 1024)	/* MemAvailable may move this much */
#define CLONE_STACK	(256 * 1024)
#define HEAP_ROOM_MB	8		/* victims' heap quota: usage + 8 MiB */

#define SUID_PATH	"/tmp/rt-suid"
#define NS_PROC		"/tmp/rt-proc"
#define HP_PROC		"/tmp/rt-proc2"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif
#define RT_LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#define RT_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)

/* struct landlock_ruleset_attr of ABI 6 (older headers lack .scoped). */
struct rt_landlock_ruleset_attr {
	__u64 handled_access_fs;
	__u64 handled_access_net;
	__u64 scoped;
};

/* ---------------------------------------------------------------------
 * Shared page slots, clocks and waits.
 */
enum {
	V_GO,		/* test -> victim: attack now */
	V_QUOTA,	/* the victim's quota: heap MiB, or files */
	V_BYSTANDER,	/* the victim's untracked fork child */
	V_CHILD,	/* the clone child sharing the victim's mm or table */
	V_CSTAGE,	/* that child's or thread's progress: 2 in its call, 3 past */
	V_SELF_MAX,	/* the victim's own largest fetch figure */
	V_COUNT,	/* counters */
	V_COUNT2,
	V_ERR,		/* an unexpected errno in a thread or clone child */
	V_RELEASE,	/* test -> everybody: finish */
	V_A,		/* per-test values */
	V_B,
	V_C,
	V_D,
	V_E,
	V_F,
};

/* sh->stage of a victim: 1 ready, 2 inside the attacking call, 3 past it. */

#define LOAD(_p) __atomic_load_n((_p), __ATOMIC_SEQ_CST)
#define STORE(_p, _v) __atomic_store_n((_p), (_v), __ATOMIC_SEQ_CST)
#define INC(_p) __atomic_add_fetch((_p), 1, __ATOMIC_SEQ_CST)

/* Record a value as step _i of the shared page. */
#define REC(_sh, _i, _v) do { \
	(_sh)->step[_i].ret = (long)(_v); \
	(_sh)->step[_i].done = 1; \
} while (0)

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* A raw sleep: usable by a clone(CLONE_VM) child, which has no TLS of its own. */
static void raw_sleep_ms(long ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	syscall(SYS_nanosleep, &ts, NULL);
}

/* Poll _cond every millisecond for at most _ms; its final value. */
#define WAIT_UNTIL(_cond, _ms) ({ \
	long __w; \
	for (__w = 0; __w < (long)(_ms) && !(_cond); __w++) \
		raw_sleep_ms(1); \
	(_cond); \
})

/*
 * Wait at most @ms for child @pid: its wait status, or -1 when it had not
 * ended (it is then killed and reaped) or is not our child.
 */
static int wait_timeout(pid_t pid, long ms)
{
	long t0 = now_ms();
	int status;
	pid_t r;

	if (pid <= 0)
		return -1;
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() - t0 > ms)
			break;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	wait_child(pid);
	return -1;
}

/*
 * Wait at most @ms until sh->stage >= @want.  False when time ran out or
 * @pid ended first (*status is then its wait status, else -1).
 */
static bool wait_stage(struct shared *sh, int want, pid_t pid, int *status,
		       long ms)
{
	long t0 = now_ms();

	*status = -1;
	while (LOAD(&sh->stage) < want) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return false;
		if (now_ms() - t0 > ms)
			return false;
		usleep(1000);
	}
	return true;
}

/* MemAvailable of /proc/meminfo in kB, or -1. */
static long mem_available_kb(void)
{
	static char buf[4096];
	char *p;

	if (read_file("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, "MemAvailable:");
	if (!p)
		return -1;
	return strtol(p + strlen("MemAvailable:"), NULL, 10);
}

/* The victim's own largest heap or file figure, in V_SELF_MAX. */
static void self_max(struct shared *sh, bool files)
{
	struct per_proc_resource st;
	long v;

	memset(&st, 0, sizeof(st));
	if (rt_fetch(&st, getpid()))
		return;
	v = (long)(files ? st.openfile_count : st.heapsize);
	if (v > LOAD(&sh->val[V_SELF_MAX]))
		STORE(&sh->val[V_SELF_MAX], v);
}

/* ---------------------------------------------------------------------
 * The victim and its watch.
 *
 * The test (a child subreaper) forks the victim; the victim first forks an
 * untracked bystander that only waits, then runs @fn: set up, register and
 * cap itself, sh->stage = 1, wait for V_GO, attack (stage 2, 3 past the
 * call).  The test fetches the victim's figures and MemAvailable until it
 * has reaped it, then lets the bystander go: it must exit 0.
 */
struct watch {
	bool meminfo;		/* in: sample MemAvailable */
	bool cap_at_go;		/* in: set heap quota V_QUOTA at the go */
	int status;		/* the victim's wait status; -1: alive after 6 s */
	int bystander;		/* the bystander's wait status */
	unsigned long max_heap;	/* largest figures fetched by the test */
	unsigned long max_files;
	long avail_before;	/* MemAvailable (kB) at the go */
	long avail_min;		/* its lowest until the victim was reaped */
	long cap_ret;		/* rt_cap() at the go: 0 or -errno */
	long ms;		/* from the go to the victim's end */
};

static void watch_sample(pid_t pid, struct watch *w)
{
	struct per_proc_resource st;
	long avail;

	memset(&st, 0, sizeof(st));
	if (rt_fetch(&st, pid) == 0) {
		if (st.heapsize > w->max_heap)
			w->max_heap = st.heapsize;
		if (st.openfile_count > w->max_files)
			w->max_files = st.openfile_count;
	}
	if (w->meminfo) {
		avail = mem_available_kb();
		if (avail >= 0 && (w->avail_min < 0 || avail < w->avail_min))
			w->avail_min = avail;
	}
}

static void watch_victim(struct __test_metadata *_metadata, struct shared *sh,
			 child_fn fn, void *arg, struct watch *w)
{
	int rel[2], status;
	pid_t pid, b;
	long t0;
	char c;

	w->status = -1;
	w->bystander = -1;
	w->max_heap = 0;
	w->max_files = 0;
	w->avail_before = -1;
	w->avail_min = -1;
	w->cap_ret = -2;
	w->ms = -1;
	/* Orphans of the victim (bystander, clone child) become ours. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	ASSERT_EQ(0, pipe(rel));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		b = fork();
		if (b == 0) {
			close(rel[1]);
			while (read(rel[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		close(rel[0]);
		close(rel[1]);
		STORE(&sh->val[V_BYSTANDER], (long)b);
		_exit(fn(sh, arg));
	}
	close(rel[0]);

	if (wait_stage(sh, 1, pid, &status, 5000)) {
		if (w->meminfo)
			w->avail_before = w->avail_min = mem_available_kb();
		t0 = now_ms();
		if (w->cap_at_go)
			w->cap_ret = rt_cap(pid, LOAD(&sh->val[V_QUOTA]), -1) ?
				     -errno : 0;
		STORE(&sh->val[V_GO], 1L);
		for (;;) {
			watch_sample(pid, w);
			if (waitpid(pid, &status, WNOHANG) == pid) {
				w->status = status;
				break;
			}
			if (now_ms() - t0 > 6000)
				break;
			usleep(200);
		}
		w->ms = now_ms() - t0;
		watch_sample(pid, w);
	} else if (status != -1) {
		w->status = status;	/* ended before it was ready */
	}
	if (w->status == -1) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			w->status = status;
		} else {
			kill(pid, SIGKILL);
			wait_child(pid);
		}
	}
	close(rel[1]);
	b = (pid_t)LOAD(&sh->val[V_BYSTANDER]);
	w->bystander = wait_timeout(b, 3000);
}

#define EXPECT_BYSTANDER_LIVES(_w) \
	EXPECT_EQ(0, (_w).bystander) \
		TH_LOG("the victim's untracked fork child: status 0x%x", \
		       (unsigned int)(_w).bystander)

#define EXPECT_SIGKILL(_status, _who) \
	EXPECT_TRUE(WIFSIGNALED(_status) && WTERMSIG(_status) == SIGKILL) \
		TH_LOG("%s: status 0x%x", _who, (unsigned int)(_status))

/* =====================================================================
 * Heap, charged to the mm whoever grows it.
 */
enum heap_attack {
	HA_CLONE_VM,		/* a clone(CLONE_VM) child maps */
	HA_VFORK,		/* a clone(CLONE_VM | CLONE_VFORK) child maps */
	HA_THREAD,		/* a thread maps */
	HA_POPULATE,		/* mmap(MAP_POPULATE) */
	HA_LOCKED,		/* mmap(MAP_LOCKED) */
	HA_MLOCKALL_BRK,	/* mlockall(MCL_CURRENT | MCL_FUTURE), brk */
	HA_MREMAP,		/* mremap() growth */
	HA_BRK,			/* brk() growth */
	HA_MPROTECT,		/* PROT_READ private mapping made writable */
};

/* A child sharing the victim's mm: map ATTACK_BYTES.  Raw calls only. */
static int mm_grower(void *arg)
{
	struct shared *sh = arg;
	long r;

	STORE(&sh->val[V_CHILD], syscall(SYS_getpid));
	STORE(&sh->val[V_CSTAGE], 2L);
	r = syscall(SYS_mmap, NULL, ATTACK_BYTES, RW,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1L, 0L);
	STORE(&sh->val[V_A], r);
	STORE(&sh->val[V_CSTAGE], 3L);
	return 0;
}

static void *heap_thread(void *arg)
{
	struct shared *sh = arg;
	void *p;

	if (!WAIT_UNTIL(LOAD(&sh->val[V_CSTAGE]) >= 1, 10000))
		return NULL;
	STORE(&sh->val[V_CSTAGE], 2L);
	p = mmap(NULL, ATTACK_BYTES, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	STORE(&sh->val[V_A], (long)p);
	STORE(&sh->val[V_CSTAGE], 3L);
	return NULL;
}

/* Fetch our own heap until the attacker is past its call (at most 5 s). */
static void watch_self_until_cstage3(struct shared *sh)
{
	long t0 = now_ms();

	while (LOAD(&sh->val[V_CSTAGE]) < 3 && now_ms() - t0 < 5000) {
		self_max(sh, false);
		sched_yield();
	}
}

static int heap_victim(struct shared *sh, void *arg)
{
	const long atk = (long)arg;
	struct per_proc_resource st;
	char *pre = NULL, *stack = NULL;
	void *r = NULL;
	pthread_t th;
	long q;

	switch (atk) {
	case HA_MREMAP:
		CHILD_CHECK(sh, (pre = map_anon(4 * MiB, RW)) != NULL);
		break;
	case HA_MPROTECT:
		/* Read-only: not heap until it is made writable. */
		CHILD_CHECK(sh, (pre = map_anon(ATTACK_BYTES, PROT_READ)) != NULL);
		break;
	case HA_CLONE_VM:
	case HA_VFORK:
		CHILD_CHECK(sh, (stack = map_anon(CLONE_STACK, RW)) != NULL);
		break;
	case HA_THREAD:
		CHILD_CHECK(sh, pthread_create(&th, NULL, heap_thread, sh) == 0);
		break;
	}
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = (long)(st.heapsize / MiB) + HEAP_ROOM_MB;
	CHILD_CHECK(sh, rt_cap(getpid(), q, -1) == 0);
	STORE(&sh->val[V_QUOTA], q);
	if (atk == HA_MLOCKALL_BRK)
		CHILD_CHECK(sh, mlockall(MCL_CURRENT | MCL_FUTURE) == 0);
	self_max(sh, false);
	STORE(&sh->stage, 1);
	CHILD_CHECK(sh, WAIT_UNTIL(LOAD(&sh->val[V_GO]) >= 1, 5000));
	STORE(&sh->stage, 2);
	switch (atk) {
	case HA_CLONE_VM:
		CHILD_CHECK(sh, clone(mm_grower, stack + CLONE_STACK,
				      CLONE_VM | SIGCHLD, sh) > 0);
		watch_self_until_cstage3(sh);
		break;
	case HA_VFORK:
		/* Returns when the child has exited (or never: killed). */
		CHILD_CHECK(sh, clone(mm_grower, stack + CLONE_STACK,
				      CLONE_VM | CLONE_VFORK | SIGCHLD, sh) > 0);
		break;
	case HA_THREAD:
		STORE(&sh->val[V_CSTAGE], 1L);
		watch_self_until_cstage3(sh);
		break;
	case HA_POPULATE:
		r = mmap(NULL, POPULATE_BYTES, RW,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		break;
	case HA_LOCKED:
		r = mmap(NULL, LOCKED_BYTES, RW,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
		break;
	case HA_MLOCKALL_BRK:
		r = sbrk((intptr_t)LOCKED_BYTES);
		break;
	case HA_MREMAP:
		r = mremap(pre, 4 * MiB, ATTACK_BYTES, MREMAP_MAYMOVE);
		break;
	case HA_BRK:
		r = sbrk((intptr_t)ATTACK_BYTES);
		break;
	case HA_MPROTECT:
		r = (void *)(long)mprotect(pre, ATTACK_BYTES, RW);
		break;
	}
	/* Never reached when the kernel does its job. */
	sh->val[V_B] = (long)r;
	sh->fail_errno = errno;
	STORE(&sh->stage, 3);
	self_max(sh, false);
	return 0;
}

static void heap_attack_test(struct __test_metadata *_metadata, long atk,
			     bool meminfo)
{
	struct watch w = { .meminfo = meminfo };
	unsigned long limit, self;
	struct shared *sh;
	int cs;

	ASSERT_TRUE((sh = shared_new()) != NULL);
	watch_victim(_metadata, sh, heap_victim, (void *)atk, &w);
	ASSERT_LT(0L, sh->val[V_QUOTA])
		TH_LOG("victim not set up: line %d, errno %d", sh->fail_line,
		       sh->fail_errno);
	limit = (unsigned long)sh->val[V_QUOTA] * MiB + page_size();
	self = (unsigned long)sh->val[V_SELF_MAX];
	EXPECT_KILLED(w.status, sh);
	EXPECT_EQ(2, sh->stage)
		TH_LOG("stage %d: %s", sh->stage, sh->stage == 3 ?
		       "the victim ran on after the attacking call" :
		       "the victim never attacked");
	EXPECT_LE(w.max_heap, limit)
		TH_LOG("heap %lu bytes seen, quota + page %lu", w.max_heap, limit);
	EXPECT_LE(self, limit)
		TH_LOG("heap %lu bytes seen by the victim, quota + page %lu",
		       self, limit);
	if (atk == HA_CLONE_VM || atk == HA_VFORK) {
		/* The child that grew the mm dies too, inside its call. */
		EXPECT_LT(0L, sh->val[V_CHILD]);
		cs = wait_timeout((pid_t)sh->val[V_CHILD], 3000);
		EXPECT_SIGKILL(cs, "the child sharing the mm");
		EXPECT_EQ(2L, sh->val[V_CSTAGE]);
	}
	if (atk == HA_THREAD)
		EXPECT_EQ(2L, sh->val[V_CSTAGE]);
	if (meminfo) {
		ASSERT_LE(0L, w.avail_before);
		EXPECT_GT(MEM_DROP_MAX_KB, w.avail_before - w.avail_min)
			TH_LOG("MemAvailable fell by %ld kB (from %ld kB)",
			       w.avail_before - w.avail_min, w.avail_before);
	}
	EXPECT_BYSTANDER_LIVES(w);
	shared_free(sh);
}

/*
 * First of all tests, so that in a fresh boot it sets the first file quota:
 * until then no table is counted (restrack_files_key is off), and the
 * quota must still count the descriptors opened before it.  The child
 * opens 20 (23 with stdio), registers and takes a 24-file quota: one more
 * open succeeds, the next kills it.  Were the table's count not taken from
 * its bitmap when the quota came, it would still say 3 (its count when
 * fork() copied the table) and let 21 through.
 */
#define EARLY_OPENED 20
#define EARLY_QUOTA 24

static int early_fds_victim(struct shared *sh, void *arg)
{
	struct per_proc_resource r;
	int i;

	(void)arg;
	close_fds_range(3, ~0U);
	for (i = 0; i < EARLY_OPENED; i++)
		CHILD_CHECK(sh, open("/", O_RDONLY | O_DIRECTORY) >= 0);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_cap(getpid(), -1, EARLY_QUOTA) == 0);
	CHILD_CHECK(sh, rt_fetch(&r, getpid()) == 0);
	STORE(&sh->val[V_SELF_MAX], (long)r.openfile_count);
	STORE(&sh->stage, 1);
	for (i = 0; i < 2 * EARLY_QUOTA; i++) {
		if (open("/", O_RDONLY | O_DIRECTORY) < 0)
			break;
		INC(&sh->val[V_COUNT]);
	}
	STORE(&sh->stage, 2);
	return 0;
}

TEST(files_quota_counts_descriptors_opened_before_the_first_quota)
{
	struct shared *sh;
	int status;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(early_fds_victim, sh, NULL);
	EXPECT_KILLED(status, sh);
	EXPECT_EQ(1, sh->stage);
	EXPECT_EQ(3L + EARLY_OPENED, sh->val[V_SELF_MAX]);
	EXPECT_EQ(EARLY_QUOTA - 3L - EARLY_OPENED, sh->val[V_COUNT])
		TH_LOG("%ld opened under the quota", sh->val[V_COUNT]);
	shared_free(sh);
}

/*
 * A clone(CLONE_VM) child (no CLONE_THREAD: an untracked process of its
 * own) maps 64 MiB into the tracked parent's mm, 8 MiB of room: the call
 * fails, the parent and the child die by SIGKILL, the parent's figure never
 * passes the quota, its plain fork child lives.
 */
TEST(heap_clone_vm_child_grows_parents_mm)
{
	REQUIRE_RESTRACK();
	heap_attack_test(_metadata, HA_CLONE_VM, false);
}

/* The same from a vfork child, while the parent waits in vfork. */
TEST(heap_vfork_child_grows_parents_mm)
{
	REQUIRE_RESTRACK();
	heap_attack_test(_metadata, HA_VFORK, false);
}

/* A thread maps 64 MiB: the whole process dies inside the thread's call. */
TEST(heap_thread_grows_process_mm)
{
	REQUIRE_RESTRACK();
	heap_attack_test(_metadata, HA_THREAD, false);
}

/*
 * mmap(512 MiB, MAP_POPULATE) under an 8 MiB room: killed before the
 * kernel fills it; MemAvailable falls by less than 64 MiB meanwhile.
 */
TEST(heap_map_populate_is_never_allocated)
{
	REQUIRE_RESTRACK();
	heap_attack_test(_metadata, HA_POPULATE, true);
}

/* mmap(256 MiB, MAP_LOCKED): the same. */
TEST(heap_map_locked_is_never_allocated)
{
	REQUIRE_RESTRACK();
	heap_attack_test(_metadata, HA_LOCKED, true);
}

/* mlockall(MCL_CURRENT | MCL_FUTURE), then brk() by 256 MiB: the same. */
TEST(heap_mlockall_brk_is_never_allocated)
{
	REQUIRE_RESTRACK();
	heap_attack_test(_metadata, HA_MLOCKALL_BRK, true);
}

/* mremap() of a 4 MiB mapping to 64 MiB: killed in the call. */
TEST(heap_mremap_growth_killed_in_the_call)
{
	REQUIRE_RESTRACK();
	heap_attack_test(_metadata, HA_MREMAP, false);
}

/* brk() growth by 64 MiB: killed in the call. */
TEST(heap_brk_growth_killed_in_the_call)
{
	REQUIRE_RESTRACK();
	heap_attack_test(_metadata, HA_BRK, false);
}

/*
 * A 64 MiB private anonymous mapping made PROT_READ is not heap; making it
 * writable is growth: killed in the mprotect() call.
 */
TEST(heap_mprotect_to_writable_killed_in_the_call)
{
	REQUIRE_RESTRACK();
	heap_attack_test(_metadata, HA_MPROTECT, false);
}

/*
 * No spurious kill: one thread moves a mapping of S bytes back and forth
 * between two reserved places (mremap MREMAP_MAYMOVE | MREMAP_FIXED, which
 * maps the new place before it unmaps the old), while another maps and
 * unmaps one page, for 1.5 s.  usage + S + one page is under the quota,
 * usage + 2 S is over it: the process must live.
 */
struct flip {
	struct shared *sh;
	char *r1, *r2, *page;
	size_t size;
};

static void *flip_mover(void *arg)
{
	struct flip *f = arg;
	char *from, *to, *t;

	/* f is filled in after this thread starts: read it after the go. */
	if (!WAIT_UNTIL(LOAD(&f->sh->val[V_CSTAGE]) >= 1, 10000))
		return NULL;
	from = f->r1;
	to = f->r2;
	while (LOAD(&f->sh->val[V_CSTAGE]) == 1) {
		t = mremap(from, f->size, f->size,
			   MREMAP_MAYMOVE | MREMAP_FIXED, to);
		if (t == MAP_FAILED) {
			STORE(&f->sh->val[V_ERR], (long)errno);
			break;
		}
		INC(&f->sh->val[V_COUNT]);
		to = from;
		from = t;
	}
	return NULL;
}

static void *flip_toggler(void *arg)
{
	const unsigned long pg = page_size();
	struct flip *f = arg;
	char *p;

	if (!WAIT_UNTIL(LOAD(&f->sh->val[V_CSTAGE]) >= 1, 10000))
		return NULL;
	while (LOAD(&f->sh->val[V_CSTAGE]) == 1) {
		/* Its own fixed page: no kernel-chosen address lands in a hole. */
		p = mmap(f->page, pg, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0);
		if (p == MAP_FAILED) {
			STORE(&f->sh->val[V_E], (long)errno);
			break;
		}
		p[0] = 1;
		munmap(p, pg);
		INC(&f->sh->val[V_COUNT2]);
	}
	return NULL;
}

static int flip_victim(struct shared *sh, void *arg)
{
	const unsigned long pg = page_size();
	struct per_proc_resource st;
	struct flip f = { .sh = sh };
	pthread_t mover, toggler;
	unsigned long u0, q;
	char *res;
	long t0;

	(void)arg;
	CHILD_CHECK(sh, pthread_create(&mover, NULL, flip_mover, &f) == 0);
	CHILD_CHECK(sh, pthread_create(&toggler, NULL, flip_toggler, &f) == 0);
	f.page = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHILD_CHECK(sh, f.page != MAP_FAILED);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	u0 = st.heapsize;
	q = u0 / MiB + 4;
	/* usage + S + one page stays three pages under the quota. */
	f.size = q * MiB - u0 - 4 * pg;
	res = mmap(NULL, 2 * f.size + pg, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHILD_CHECK(sh, res != MAP_FAILED);
	f.r1 = res;
	f.r2 = res + f.size + pg;
	CHILD_CHECK(sh, mmap(f.r1, f.size, RW,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == f.r1);
	f.r1[0] = 1;
	CHILD_CHECK(sh, rt_cap(getpid(), (long)q, -1) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	CHILD_CHECK(sh, st.heapsize + pg < q * MiB);
	CHILD_CHECK(sh, st.heapsize + f.size > q * MiB);
	STORE(&sh->val[V_QUOTA], (long)q);
	sh->val[V_F] = (long)f.size;
	STORE(&sh->stage, 1);
	CHILD_CHECK(sh, WAIT_UNTIL(LOAD(&sh->val[V_GO]) >= 1, 5000));
	STORE(&sh->stage, 2);
	STORE(&sh->val[V_CSTAGE], 1L);
	t0 = now_ms();
	while (now_ms() - t0 < 1500 && !LOAD(&sh->val[V_ERR]) &&
	       !LOAD(&sh->val[V_E]))
		usleep(10000);
	STORE(&sh->val[V_CSTAGE], 2L);
	pthread_join(mover, NULL);
	pthread_join(toggler, NULL);
	STORE(&sh->stage, 3);
	return 0;
}

TEST(heap_mremap_move_with_concurrent_mmap_no_spurious_kill)
{
	struct watch w = { .meminfo = false };
	struct shared *sh;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	watch_victim(_metadata, sh, flip_victim, NULL, &w);
	EXPECT_CHILD_OK(w.status, sh);
	EXPECT_EQ(3, sh->stage);
	EXPECT_EQ(0L, sh->val[V_ERR])
		TH_LOG("mremap move: errno %ld (%s)", sh->val[V_ERR],
		       strerror((int)sh->val[V_ERR]));
	EXPECT_EQ(0L, sh->val[V_E])
		TH_LOG("one-page mmap: errno %ld (%s)", sh->val[V_E],
		       strerror((int)sh->val[V_E]));
	EXPECT_LT(0L, sh->val[V_COUNT]);
	EXPECT_LT(0L, sh->val[V_COUNT2]);
	TH_LOG("%ld moves of %ld bytes and %ld page maps under a %ld MiB quota",
	       sh->val[V_COUNT], sh->val[V_F], sh->val[V_COUNT2],
	       sh->val[V_QUOTA]);
	EXPECT_BYSTANDER_LIVES(w);
	shared_free(sh);
}

/*
 * A clone(CLONE_VM) child maps 32 MiB into an unlimited tracked process;
 * then the test sets a heap quota of the usage before that + 8 MiB: the
 * process dies at once, whoever made the usage.
 */
static int mm_sharer_maps(void *arg)
{
	struct shared *sh = arg;

	STORE(&sh->val[V_CHILD], syscall(SYS_getpid));
	STORE(&sh->val[V_A], syscall(SYS_mmap, NULL, 32 * MiB, RW,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1L, 0L));
	STORE(&sh->val[V_CSTAGE], 3L);
	WAIT_UNTIL(LOAD(&sh->val[V_RELEASE]) >= 1, 9000);
	return 0;
}

static int below_usage_victim(struct shared *sh, void *arg)
{
	struct per_proc_resource st;
	char *stack;

	(void)arg;
	CHILD_CHECK(sh, (stack = map_anon(CLONE_STACK, RW)) != NULL);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	STORE(&sh->val[V_QUOTA], (long)(st.heapsize / MiB) + HEAP_ROOM_MB);
	CHILD_CHECK(sh, clone(mm_sharer_maps, stack + CLONE_STACK,
			      CLONE_VM | SIGCHLD, sh) > 0);
	CHILD_CHECK(sh, WAIT_UNTIL(LOAD(&sh->val[V_CSTAGE]) >= 3, 5000));
	STORE(&sh->stage, 1);
	WAIT_UNTIL(LOAD(&sh->val[V_RELEASE]) >= 1, 9000);
	STORE(&sh->stage, 3);
	return 0;
}

TEST(heap_quota_below_usage_made_by_clone_vm_child_kills_at_once)
{
	struct watch w = { .cap_at_go = true };
	struct shared *sh;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	watch_victim(_metadata, sh, below_usage_victim, NULL, &w);
	EXPECT_NE(-1L, sh->val[V_A]) TH_LOG("the child's 32 MiB mmap failed");
	EXPECT_EQ(0L, w.cap_ret) TH_LOG("resource_cap: errno %ld", -w.cap_ret);
	EXPECT_KILLED(w.status, sh);
	EXPECT_EQ(1, sh->stage);
	EXPECT_GT(3000L, w.ms) TH_LOG("died %ld ms after the quota", w.ms);
	EXPECT_BYSTANDER_LIVES(w);
	/* Whether the child sharing the mm dies too is not said: let it go. */
	STORE(&sh->val[V_RELEASE], 1L);
	wait_timeout((pid_t)sh->val[V_CHILD], 3000);
	shared_free(sh);
}

/* =====================================================================
 * Files, charged to the tables a process's threads use.
 */

/*
 * Four threads each unshare(CLONE_FILES), then open 13 files each, under a
 * 16-file quota.  Every table counts (each once), the copies the unshares
 * make included: the process dies, and its figure never passes 16.
 */
static void *unshare_opener(void *arg)
{
	struct shared *sh = arg;
	int i;

	if (!WAIT_UNTIL(LOAD(&sh->val[V_CSTAGE]) >= 1, 10000))
		return NULL;
	if (syscall(SYS_unshare, CLONE_FILES))
		STORE(&sh->val[V_ERR], (long)errno);
	INC(&sh->val[V_COUNT]);
	WAIT_UNTIL(LOAD(&sh->val[V_COUNT]) >= 4, 5000);
	for (i = 0; i < 13; i++) {
		if (open("/", O_RDONLY | O_DIRECTORY) < 0) {
			STORE(&sh->val[V_ERR], (long)errno);
			break;
		}
		INC(&sh->val[V_COUNT2]);
	}
	for (;;)
		syscall(SYS_ppoll, NULL, 0, NULL, NULL, 0);
	return NULL;
}

static int files_threads_victim(struct shared *sh, void *arg)
{
	pthread_t th[4];
	long t0;
	int i;

	(void)arg;
	close_fds_range(3, ~0U);
	for (i = 0; i < 4; i++)
		CHILD_CHECK(sh, pthread_create(&th[i], NULL, unshare_opener, sh) == 0);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_cap(getpid(), -1, 16) == 0);
	STORE(&sh->val[V_QUOTA], 16L);
	self_max(sh, true);
	STORE(&sh->stage, 1);
	CHILD_CHECK(sh, WAIT_UNTIL(LOAD(&sh->val[V_GO]) >= 1, 5000));
	STORE(&sh->stage, 2);
	STORE(&sh->val[V_CSTAGE], 1L);
	t0 = now_ms();
	while (LOAD(&sh->val[V_COUNT2]) < 4 * 13 && now_ms() - t0 < 5000) {
		self_max(sh, true);
		sched_yield();
	}
	STORE(&sh->stage, 3);
	self_max(sh, true);
	return 0;
}

TEST(files_threads_with_unshared_tables_all_count)
{
	struct watch w = { .meminfo = false };
	struct shared *sh;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	watch_victim(_metadata, sh, files_threads_victim, NULL, &w);
	EXPECT_KILLED(w.status, sh);
	EXPECT_EQ(2, sh->stage);
	EXPECT_GE(16UL, w.max_files) TH_LOG("%lu files seen", w.max_files);
	EXPECT_GE(16L, sh->val[V_SELF_MAX])
		TH_LOG("%ld files seen by the victim", sh->val[V_SELF_MAX]);
	/* A thread may see a call refused while the SIGKILL is on its way. */
	TH_LOG("%ld unshares, %ld opens before the kill (errno %ld)",
	       sh->val[V_COUNT], sh->val[V_COUNT2], sh->val[V_ERR]);
	EXPECT_BYSTANDER_LIVES(w);
	shared_free(sh);
}

/*
 * Two threads, each with a table of its own, receive RACE_FDS descriptors
 * each at the same moment when the process has room for RACE_FDS: between
 * them they get exactly that many, the rest is dropped (MSG_CTRUNC), and
 * the figure never passes the quota.  The checks run under two file_locks;
 * without serialisation both would find room for the last one.
 */
#define RACE_ROUNDS	1000
#define RACE_MS		8000L
/*
 * A loaded host slows the guest: past RACE_MS the rounds go on until
 * RACE_MIN_ROUNDS, for at most RACE_MAX_MS, so that the verdict always
 * rests on enough rounds.
 */
#define RACE_MIN_ROUNDS	200
#define RACE_MAX_MS	24000L
#define RACE_FDS	64

struct table_race {
	long go, done, checked, closed, stop;
	long one, none, both, over, rounds, err;
	int sv[2][2];
};

struct table_racer {
	struct table_race *r;
	int idx;
};

static void *table_racer(void *arg)
{
	struct table_racer *t = arg;
	struct table_race *r = t->r;
	int fds[RACE_FDS], n = 0, flags, i;
	long round;

	if (syscall(SYS_unshare, CLONE_FILES)) {
		STORE(&r->err, (long)errno);
		return NULL;
	}
	INC(&r->done);
	for (round = 1; ; round++) {
		while (LOAD(&r->go) < round) {
			if (LOAD(&r->stop))
				return NULL;
			sched_yield();
		}
		if (recv_fds(r->sv[t->idx][0], fds, RACE_FDS, &n, &flags) != 1)
			STORE(&r->err, (long)errno);
		INC(&r->done);
		while (LOAD(&r->checked) < round)
			sched_yield();
		for (i = 0; i < n; i++)
			close(fds[i]);
		INC(&r->closed);
	}
	return NULL;
}

static void table_race_child(struct table_race *r)
{
	struct table_racer t[2] = { { r, 0 }, { r, 1 } };
	struct per_proc_resource st;
	pthread_t th[2];
	long round, t0, base, quota;
	int i, nullfd, before, fds[RACE_FDS];

	close_fds_range(3, ~0U);
	for (i = 0; i < 2; i++)
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, r->sv[i]))
			_exit(2);
	nullfd = open("/dev/null", O_RDONLY);
	if (nullfd < 0 || rt_register(getpid()))
		_exit(3);
	for (i = 0; i < RACE_FDS; i++)
		fds[i] = nullfd;
	for (i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, table_racer, &t[i]))
			_exit(4);
	if (!WAIT_UNTIL(LOAD(&r->done) >= 2, 5000))
		_exit(5);
	memset(&st, 0, sizeof(st));
	if (rt_fetch(&st, getpid()))
		_exit(6);
	base = (long)st.openfile_count;
	quota = base + RACE_FDS;
	if (rt_cap(getpid(), -1, quota))
		_exit(7);
	t0 = now_ms();
	for (round = 1; round <= RACE_ROUNDS; round++) {
		long ms = now_ms() - t0;

		if (ms >= RACE_MAX_MS || (ms >= RACE_MS && round > RACE_MIN_ROUNDS))
			break;
		for (i = 0; i < 2; i++)
			if (send_fds(r->sv[i][1], fds, RACE_FDS))
				_exit(8);
		before = LOAD(&r->done);
		STORE(&r->go, round);
		/* Asleep, so that the two racers have a CPU each. */
		while (LOAD(&r->done) < before + 2)
			usleep(100);
		memset(&st, 0, sizeof(st));
		if (rt_fetch(&st, getpid()))
			_exit(9);
		if ((long)st.openfile_count > quota)
			INC(&r->over);
		if ((long)st.openfile_count == quota)
			INC(&r->one);
		else if ((long)st.openfile_count == base)
			INC(&r->none);
		else
			INC(&r->both);
		STORE(&r->rounds, round);
		STORE(&r->checked, round);
		while (LOAD(&r->closed) < 2 * round)
			usleep(100);
	}
	STORE(&r->stop, 1);
	_exit(0);
}

TEST(files_two_tables_receive_race_never_passes_quota)
{
	struct table_race *r;
	int status;
	pid_t pid;

	REQUIRE_RESTRACK();
	r = mmap(NULL, sizeof(*r), RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	memset(r, 0, sizeof(*r));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		table_race_child(r);
	status = wait_timeout(pid, RACE_MAX_MS + 10000);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status %#x", status);
	ASSERT_EQ(0, WEXITSTATUS(status));
	TH_LOG("%ld rounds: %ld at the quota, %ld at the start, %ld else, %ld over it (errno %ld)",
	       r->rounds, r->one, r->none, r->both, r->over, r->err);
	EXPECT_LT(100, r->rounds);
	EXPECT_EQ(0, r->over);
	EXPECT_EQ(0, r->both);
	EXPECT_EQ(r->rounds, r->one);
	munmap(r, sizeof(*r));
}

/*
 * The descriptor check compares a table's count with a limit the tracker
 * keeps on the table: the quota while the process has one table, 0 while
 * it has several.  Attack the bookkeeping: raise the quota, give a thread a
 * table of its own and let it exit, and the process must still get exactly
 * its quota, no descriptor more or less, and die on the next one.
 */
struct limit_walk {
	long step, base, quota, opened, refused, err;
};

static void *limit_unsharer(void *arg)
{
	struct limit_walk *lw = arg;

	if (syscall(SYS_unshare, CLONE_FILES)) {
		STORE(&lw->err, (long)errno);
		return NULL;
	}
	/* Its copy of the descriptors counts; give them back but stdio. */
	close_fds_range(3, ~0U);
	return NULL;
}

/* Open until the process holds @want; true when none was refused. */
static bool limit_open_to(struct limit_walk *lw, long want)
{
	struct per_proc_resource st;

	for (;;) {
		memset(&st, 0, sizeof(st));
		if (rt_fetch(&st, getpid()))
			return false;
		if ((long)st.openfile_count >= want)
			return (long)st.openfile_count == want;
		if (open("/", O_RDONLY | O_DIRECTORY) < 0) {
			STORE(&lw->refused, (long)errno);
			return false;
		}
		INC(&lw->opened);
	}
}

static void limit_walk_child(struct limit_walk *lw)
{
	struct per_proc_resource st;
	pthread_t th;
	long base, t0;

	close_fds_range(3, ~0U);
	if (rt_register(getpid()))
		_exit(2);
	memset(&st, 0, sizeof(st));
	if (rt_fetch(&st, getpid()))
		_exit(3);
	base = (long)st.openfile_count;
	STORE(&lw->base, base);
	/* 1: one table, quota base + 4, filled to it. */
	STORE(&lw->quota, base + 4);
	if (rt_cap(getpid(), -1, base + 4) || !limit_open_to(lw, base + 4))
		_exit(4);
	STORE(&lw->step, 1L);
	/* 2: raised to base + 8 (root may): four more fit. */
	STORE(&lw->quota, base + 8);
	if (rt_cap(getpid(), -1, base + 8) || !limit_open_to(lw, base + 8))
		_exit(5);
	STORE(&lw->step, 2L);
	/* 3: room for a thread's copy; the thread unshares, closes, exits. */
	STORE(&lw->quota, 3 * (base + 8));
	if (rt_cap(getpid(), -1, 3 * (base + 8)))
		_exit(6);
	if (pthread_create(&th, NULL, limit_unsharer, lw) || pthread_join(th, NULL))
		_exit(7);
	if (LOAD(&lw->err))
		_exit(8);
	/* Its table is uncharged when freed, a moment after the join. */
	t0 = now_ms();
	do {
		memset(&st, 0, sizeof(st));
		if (rt_fetch(&st, getpid()))
			_exit(9);
	} while ((long)st.openfile_count != base + 8 && now_ms() - t0 < 5000);
	if ((long)st.openfile_count != base + 8)
		_exit(10);
	STORE(&lw->step, 3L);
	/* 4: one table again: exactly the quota fits. */
	if (!limit_open_to(lw, 3 * (base + 8)))
		_exit(11);
	STORE(&lw->step, 4L);
	/* 5: the next one kills. */
	open("/", O_RDONLY | O_DIRECTORY);
	STORE(&lw->step, 5L);
	_exit(0);
}

TEST(files_limit_follows_quota_and_tables)
{
	struct limit_walk *lw;
	int status;
	pid_t pid;

	REQUIRE_RESTRACK();
	lw = mmap(NULL, sizeof(*lw), RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, lw);
	memset(lw, 0, sizeof(*lw));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		limit_walk_child(lw);
	status = wait_timeout(pid, 15000);
	TH_LOG("step %ld, base %ld, quota %ld, %ld opened, refused errno %ld, thread errno %ld",
	       lw->step, lw->base, lw->quota, lw->opened, lw->refused, lw->err);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("status %#x", status);
	EXPECT_EQ(4, lw->step);
	EXPECT_EQ(0, lw->refused);
	munmap(lw, sizeof(*lw));
}

/*
 * A table shared through clone(CLONE_VM | CLONE_FILES) with an untracked
 * child counts for the tracked parent: the child opens 40 files past the
 * parent's 32-file quota; both die, the figure never passes 32.
 */
static int files_grower(void *arg)
{
	struct shared *sh = arg;
	int i;

	STORE(&sh->val[V_CHILD], syscall(SYS_getpid));
	STORE(&sh->val[V_CSTAGE], 2L);
	for (i = 0; i < 40; i++) {
		if (syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY) < 0) {
			STORE(&sh->val[V_ERR], 1L);
			break;
		}
		INC(&sh->val[V_COUNT]);
	}
	STORE(&sh->val[V_CSTAGE], 3L);
	return 0;
}

static int files_clone_victim(struct shared *sh, void *arg)
{
	char *stack;
	long t0;

	(void)arg;
	CHILD_CHECK(sh, (stack = map_anon(CLONE_STACK, RW)) != NULL);
	close_fds_range(3, ~0U);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_cap(getpid(), -1, 32) == 0);
	STORE(&sh->val[V_QUOTA], 32L);
	self_max(sh, true);
	STORE(&sh->stage, 1);
	CHILD_CHECK(sh, WAIT_UNTIL(LOAD(&sh->val[V_GO]) >= 1, 5000));
	STORE(&sh->stage, 2);
	CHILD_CHECK(sh, clone(files_grower, stack + CLONE_STACK,
			      CLONE_VM | CLONE_FILES | SIGCHLD, sh) > 0);
	t0 = now_ms();
	while (LOAD(&sh->val[V_CSTAGE]) < 3 && now_ms() - t0 < 5000) {
		self_max(sh, true);
		sched_yield();
	}
	STORE(&sh->stage, 3);
	self_max(sh, true);
	return 0;
}

TEST(files_clone_files_child_counts_for_tracked_parent)
{
	struct watch w = { .meminfo = false };
	struct shared *sh;
	int cs;

	REQUIRE_RESTRACK();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	watch_victim(_metadata, sh, files_clone_victim, NULL, &w);
	EXPECT_KILLED(w.status, sh);
	EXPECT_EQ(2, sh->stage);
	EXPECT_LT(0L, sh->val[V_CHILD]);
	cs = wait_timeout((pid_t)sh->val[V_CHILD], 3000);
	EXPECT_SIGKILL(cs, "the CLONE_FILES child");
	EXPECT_EQ(2L, sh->val[V_CSTAGE]);
	EXPECT_GE(32UL, w.max_files) TH_LOG("%lu files seen", w.max_files);
	EXPECT_GE(32L, sh->val[V_SELF_MAX])
		TH_LOG("%ld files seen by the parent", sh->val[V_SELF_MAX]);
	TH_LOG("the child opened %ld before the kill", sh->val[V_COUNT]);
	EXPECT_BYSTANDER_LIVES(w);
	shared_free(sh);
}

/*
 * SCM_RIGHTS: another process pushes 40 descriptors, then 20 more, at a
 * process with a 16-file quota.  recvmsg() succeeds with MSG_CTRUNC and
 * installs as many as fit, then none; the receiver lives, at 16.  It can
 * close and open again; a descriptor it makes itself past the quota (open,
 * dup, pipe) still kills it.
 */
#define SCM_QUOTA 16

enum scm_op { SCM_REOPEN, SCM_OPEN, SCM_DUP, SCM_PIPE };

/* Steps of the receiver's record. */
enum {
	R_BASE, R_RET1, R_TRUNC1, R_N1, R_COUNT1, R_TABLE1,
	R_RET2, R_TRUNC2, R_N2, R_COUNT2, R_REOPENED,
};

struct scm_arg {
	int sock;
	int peer;
	long op;
};

static int scm_receiver(struct shared *sh, void *arg)
{
	const struct scm_arg *a = arg;
	struct per_proc_resource st;
	int fds[RT_SCM_MAX], n1 = 0, n = 0, flags = 0, sv[2], i;
	ssize_t r;

	close(a->peer);
	close_fds_except(a->sock, a->sock);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	REC(sh, R_BASE, st.openfile_count);
	CHILD_CHECK(sh, st.openfile_count + 4 <= SCM_QUOTA);
	CHILD_CHECK(sh, rt_cap(getpid(), -1, SCM_QUOTA) == 0);
	STORE(&sh->stage, 1);

	r = recv_fds(a->sock, fds, RT_SCM_MAX, &n1, &flags);
	REC(sh, R_RET1, r < 0 ? -errno : r);
	REC(sh, R_TRUNC1, !!(flags & MSG_CTRUNC));
	REC(sh, R_N1, n1);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	REC(sh, R_COUNT1, st.openfile_count);
	REC(sh, R_TABLE1, count_open_fds());
	STORE(&sh->stage, 2);

	r = recv_fds(a->sock, fds + n1, RT_SCM_MAX - n1, &n, &flags);
	REC(sh, R_RET2, r < 0 ? -errno : r);
	REC(sh, R_TRUNC2, !!(flags & MSG_CTRUNC));
	REC(sh, R_N2, n);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	REC(sh, R_COUNT2, st.openfile_count);
	STORE(&sh->stage, 3);

	if (a->op == SCM_REOPEN) {
		CHILD_CHECK(sh, n1 >= 3);
		for (i = 0; i < 3; i++)
			CHILD_CHECK(sh, close(fds[i]) == 0);
		for (i = 0; i < 3; i++)
			CHILD_CHECK(sh, open("/", O_RDONLY | O_DIRECTORY) >= 0);
		CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
		REC(sh, R_REOPENED, st.openfile_count);
		STORE(&sh->stage, 4);
		return 0;
	}
	/* At the quota: one of its own is one too many. */
	STORE(&sh->stage, 4);
	switch (a->op) {
	case SCM_OPEN:
		open("/", O_RDONLY | O_DIRECTORY);
		break;
	case SCM_DUP:
		sv[0] = dup(a->sock);
		break;
	case SCM_PIPE:
		sv[0] = pipe(sv);
		break;
	}
	STORE(&sh->stage, 5);
	return 0;
}

static void scm_test(struct __test_metadata *_metadata, long op)
{
	int sv[2], fds[40], status, efd, i;
	struct scm_arg a;
	struct shared *sh;
	long room;
	pid_t pid;

	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	for (i = 0; i < 40; i++)
		fds[i] = efd;
	a.sock = sv[1];
	a.peer = sv[0];
	a.op = op;
	pid = spawn_child(scm_receiver, sh, &a);
	ASSERT_LT(0, pid);
	close(sv[1]);
	/* One message of 40 (12 or so fit), one of 20 (none fits). */
	EXPECT_EQ(0, send_fds(sv[0], fds, 40)) TH_LOG("send: %s", strerror(errno));
	EXPECT_EQ(0, send_fds(sv[0], fds, 20)) TH_LOG("send: %s", strerror(errno));
	status = wait_timeout(pid, 5000);
	close(sv[0]);
	close(efd);

	room = SCM_QUOTA - sh->step[R_BASE].ret;
	EXPECT_LE(4L, room);
	EXPECT_LE(3, sh->stage) TH_LOG("the receiver stopped at stage %d",
				       sh->stage);
	EXPECT_EQ(1L, sh->step[R_RET1].ret) TH_LOG("recvmsg: %ld",
						   sh->step[R_RET1].ret);
	EXPECT_EQ(1L, sh->step[R_TRUNC1].ret) TH_LOG("no MSG_CTRUNC");
	EXPECT_EQ(room, sh->step[R_N1].ret) TH_LOG("installed %ld of 40",
						   sh->step[R_N1].ret);
	EXPECT_EQ((long)SCM_QUOTA, sh->step[R_COUNT1].ret);
	EXPECT_EQ((long)SCM_QUOTA, sh->step[R_TABLE1].ret);
	EXPECT_EQ(1L, sh->step[R_RET2].ret) TH_LOG("recvmsg: %ld",
						   sh->step[R_RET2].ret);
	EXPECT_EQ(1L, sh->step[R_TRUNC2].ret) TH_LOG("no MSG_CTRUNC at the quota");
	EXPECT_EQ(0L, sh->step[R_N2].ret) TH_LOG("installed %ld at the quota",
						 sh->step[R_N2].ret);
	EXPECT_EQ((long)SCM_QUOTA, sh->step[R_COUNT2].ret);
	if (op == SCM_REOPEN) {
		EXPECT_CHILD_OK(status, sh);
		EXPECT_EQ(4, sh->stage);
		EXPECT_EQ((long)SCM_QUOTA, sh->step[R_REOPENED].ret);
	} else {
		EXPECT_KILLED(status, sh);
		EXPECT_EQ(4, sh->stage);
	}
	shared_free(sh);
}

TEST(files_scm_rights_flood_truncated_receiver_lives)
{
	REQUIRE_RESTRACK();
	scm_test(_metadata, SCM_REOPEN);
}

TEST(files_scm_rights_full_then_own_open_kills)
{
	REQUIRE_RESTRACK();
	scm_test(_metadata, SCM_OPEN);
}

TEST(files_scm_rights_full_then_own_dup_kills)
{
	REQUIRE_RESTRACK();
	scm_test(_metadata, SCM_DUP);
}

TEST(files_scm_rights_full_then_own_pipe_kills)
{
	REQUIRE_RESTRACK();
	scm_test(_metadata, SCM_PIPE);
}

/* =====================================================================
 * Turning the tracker against a process.
 */

/*
 * No pid namespace's init can be registered (a quota on it would kill the
 * whole namespace): not by itself, not by a process inside, not by root
 * outside; resource_cap(1, 0, 0) inside finds it untracked, and it lives.
 */
static int pidns_init_main(struct shared *sh)
{
	struct per_proc_resource st;
	pid_t g;

	sh->val[V_A] = getpid();
	STEP(sh, 0, rt_register(getpid()));
	STEP(sh, 1, rt_register(1));
	STEP(sh, 2, rt_fetch(&st, 1));
	g = fork();
	if (g == 0) {
		STEP(sh, 3, rt_register(1));
		STEP(sh, 4, rt_cap(1, 0, 0));
		/* An ordinary process of the namespace can be. */
		STEP(sh, 5, rt_register(getpid()));
		_exit(0);
	}
	if (g < 0 || wait_child(g) != 0)
		return 3;
	STEP(sh, 6, rt_cap(1, 0, 0));
	STORE(&sh->stage, 1);
	WAIT_UNTIL(LOAD(&sh->val[V_RELEASE]) >= 1, 9000);
	STORE(&sh->stage, 2);
	return 0;
}

static int pidns_init_outer(struct shared *sh, void *arg)
{
	pid_t init;

	(void)arg;
	if (unshare(CLONE_NEWPID)) {
		sh->skip = 1;
		sh->fail_errno = errno;
		return 0;
	}
	init = fork();
	if (init == 0)
		_exit(pidns_init_main(sh));
	if (init < 0)
		return 1;
	STORE(&sh->val[V_CHILD], (long)init);
	return wait_timeout(init, 10000) == 0 ? 0 : 2;
}

TEST(pidns_init_cannot_be_registered)
{
	struct per_proc_resource st;
	struct shared *sh;
	int status;
	pid_t pid, init;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	EXPECT_ERRNO(EINVAL, rt_register(1));
	ASSERT_TRUE((sh = shared_new()) != NULL);
	pid = spawn_child(pidns_init_outer, sh, NULL);
	ASSERT_LT(0, pid);
	if (!wait_stage(sh, 1, pid, &status, 5000)) {
		if (status == -1)
			status = wait_timeout(pid, 0);
		if (sh->skip)
			SKIP(return, "unshare(CLONE_NEWPID): %s",
			     strerror(sh->fail_errno));
		ASSERT_TRUE(false) TH_LOG("the namespace did not get ready: "
					  "status 0x%x, line %d",
					  (unsigned int)status, sh->fail_line);
	}
	init = (pid_t)LOAD(&sh->val[V_CHILD]);
	ASSERT_LT(1, init);
	/* Seen from outside, by its outer pid. */
	EXPECT_ERRNO(EINVAL, rt_register(init));
	EXPECT_ERRNO(ENOENT, rt_fetch(&st, init));
	EXPECT_ERRNO(ENOENT, rt_cap(init, 0, 0));
	STORE(&sh->val[V_RELEASE], 1L);
	status = wait_timeout(pid, 8000);
	EXPECT_CHILD_OK(status, sh);
	EXPECT_EQ(2, sh->stage) TH_LOG("the namespace's init died");
	EXPECT_EQ(1L, sh->val[V_A]);
	EXPECT_STEP_ERRNO(sh, 0, EINVAL);	/* itself */
	EXPECT_STEP_ERRNO(sh, 1, EINVAL);
	EXPECT_STEP_ERRNO(sh, 2, ENOENT);
	EXPECT_STEP_ERRNO(sh, 3, EINVAL);	/* its child */
	EXPECT_STEP_ERRNO(sh, 4, ENOENT);
	EXPECT_STEP_OK(sh, 5);
	EXPECT_STEP_ERRNO(sh, 6, ENOENT);
	shared_free(sh);
}

/* ---------------------------------------------------------------------
 * /proc/tracker_status helpers: rows that parse, rows that do not.
 */
struct rows {
	int rows;
	int bad;
};

/* Count the rows after a correct header; a wrong header counts as bad. */
static void status_count(const char *buf, struct rows *r)
{
	const char *line, *next;
	struct status_line sl;

	r->rows = 0;
	r->bad = 0;
	if (strncmp(buf, STATUS_HEADER "\n", strlen(STATUS_HEADER) + 1)) {
		r->bad = 1;
		return;
	}
	for (line = buf + strlen(STATUS_HEADER) + 1; *line; line = next + 1) {
		if (status_parse_line(line, &sl))
			r->rows++;
		else
			r->bad++;
		next = strchr(line, '\n');
		if (!next)
			break;
	}
}

/* The row of @pid among the lines that parse. */
static bool status_row(const char *buf, long pid, struct status_line *out)
{
	const char *line = strchr(buf, '\n');

	while (line && *++line) {
		if (status_parse_line(line, out) && out->pid == pid)
			return true;
		line = strchr(line, '\n');
	}
	return false;
}

/* Does any line after the header, whole or not, start with @pid? */
static bool status_pid_field(const char *buf, long pid)
{
	const char *line = strchr(buf, '\n');
	char *e;

	while (line && *++line) {
		if (strtol(line, &e, 10) == pid && e != line &&
		    (*e == ' ' || *e == '\n' || !*e))
			return true;
		line = strchr(line, '\n');
	}
	return false;
}

/* The Name: of /proc/PID/status, escaped as the kernel escapes it there. */
static bool proc_status_name(pid_t pid, char *out, size_t size)
{
	char path[64], buf[4096], *p, *e;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return false;
	if (strncmp(buf, "Name:\t", 6))
		return false;
	p = buf + 6;
	e = strchr(p, '\n');
	if (!e || (size_t)(e - p) >= size)
		return false;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return true;
}

static char status_buf[1 << 17];

/*
 * A tracked process names itself "\n777 0 0 0 0 S" to forge a row for pid
 * 777: no row may have pid 777, every line must parse, and the comm is
 * escaped as in /proc/PID/status (newline as \n, backslash as \\).
 */
TEST(status_comm_cannot_forge_rows)
{
	static const char forge[] = "\n777 0 0 0 0 S";
	static const char slash[] = "x\\n1 0 0 0 0 S";
	struct status_line line;
	struct sleeper s1, s2;
	char name[64];
	struct rows r;

	REQUIRE_RESTRACK();
	REQUIRE_STATUS();
	ASSERT_EQ(0, sleeper_start(&s1, SLEEPER_ROOT, forge));
	ASSERT_EQ(0, sleeper_start(&s2, SLEEPER_ROOT, slash));
	if (s1.pid == 777 || s2.pid == 777) {
		sleeper_stop(&s1);
		sleeper_stop(&s2);
		SKIP(return, "a sleeper got pid 777 itself");
	}
	ASSERT_SYSOK(rt_register(s1.pid));
	ASSERT_SYSOK(rt_register(s2.pid));
	ASSERT_LT(0, status_read(status_buf, sizeof(status_buf)));
	status_count(status_buf, &r);
	EXPECT_EQ(0, r.bad) TH_LOG("lines that are not rows:\n%s", status_buf);
	EXPECT_FALSE(status_pid_field(status_buf, 777))
		TH_LOG("a row for pid 777:\n%s", status_buf);

	ASSERT_TRUE(status_row(status_buf, s1.pid, &line));
	EXPECT_STREQ("\\n777 0 0 0 0 S", line.comm);
	ASSERT_TRUE(proc_status_name(s1.pid, name, sizeof(name)));
	EXPECT_STREQ(name, line.comm);

	ASSERT_TRUE(status_row(status_buf, s2.pid, &line));
	EXPECT_STREQ("x\\\\n1 0 0 0 0 S", line.comm);
	ASSERT_TRUE(proc_status_name(s2.pid, name, sizeof(name)));
	EXPECT_STREQ(name, line.comm);

	EXPECT_EQ(0, sleeper_stop(&s1));
	EXPECT_EQ(0, sleeper_stop(&s2));
}

/*
 * Pids are those of the pid namespace of the proc mount read, whoever
 * reads it.  A child namespace's init mounts its own proc on /tmp/rt-proc
 * (in a private mount namespace) and its child, pid 2 there, registers
 * itself: that proc shows exactly one row, pid 2, to the init and to the
 * test reading it through /proc/<init>/root; the test, tracked outside,
 * does not appear.  The host's /proc read from inside shows host pids.
 */
static char ns_buf[1 << 16];

/* Steps of the namespace init's record. */
enum {
	N_ROWS, N_BAD, N_QUOTA2, N_HOST_BAD, N_HOST_QUOTA, N_HOST_TEST,
	N_HOST_PID2,
};

static int ns_status_tracked(struct shared *sh)
{
	char link[32];
	ssize_t n;

	prctl(PR_SET_NAME, "rt-ns-tracked", 0, 0, 0);
	/* The host's /proc: /proc/self is our host pid. */
	n = readlink("/proc/self", link, sizeof(link) - 1);
	CHILD_CHECK(sh, n > 0);
	link[n] = '\0';
	STORE(&sh->val[V_B], atol(link));
	sh->val[V_C] = getpid();
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_cap(getpid(), 512, 77) == 0);
	STORE(&sh->val[V_CSTAGE], 1L);
	WAIT_UNTIL(LOAD(&sh->val[V_RELEASE]) >= 1, 9000);
	return 0;
}

static int ns_status_init(struct shared *sh)
{
	struct status_line sl;
	struct rows r;
	int ret = 0;
	pid_t g;

	CHILD_CHECK(sh, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	mkdir(NS_PROC, 0755);
	CHILD_CHECK(sh, mount("proc", NS_PROC, "proc",
			      MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0);
	g = fork();
	if (g == 0)
		_exit(ns_status_tracked(sh));
	CHILD_CHECK(sh, g > 0);
	CHILD_CHECK(sh, WAIT_UNTIL(LOAD(&sh->val[V_CSTAGE]) >= 1, 5000));

	CHILD_CHECK(sh, read_file(NS_PROC "/tracker_status", ns_buf,
				  sizeof(ns_buf)) > 0);
	status_count(ns_buf, &r);
	REC(sh, N_ROWS, r.rows);
	REC(sh, N_BAD, r.bad);
	REC(sh, N_QUOTA2, status_row(ns_buf, 2, &sl) ? sl.file_quota : -2);

	CHILD_CHECK(sh, read_file(STATUS_PATH, ns_buf, sizeof(ns_buf)) > 0);
	status_count(ns_buf, &r);
	REC(sh, N_HOST_BAD, r.bad);
	REC(sh, N_HOST_QUOTA, status_row(ns_buf, LOAD(&sh->val[V_B]), &sl) ?
	    sl.file_quota : -2);
	REC(sh, N_HOST_TEST, status_row(ns_buf, sh->val[V_D], &sl));
	REC(sh, N_HOST_PID2, status_row(ns_buf, 2, &sl) && sl.file_quota == 77);
	STORE(&sh->stage, 1);

	WAIT_UNTIL(LOAD(&sh->val[V_RELEASE]) >= 1, 9000);
	if (wait_child(g) != 0)
		ret = 4;
	umount2(NS_PROC, MNT_DETACH);
	return ret;
}

static int ns_status_outer(struct shared *sh, void *arg)
{
	pid_t init;

	(void)arg;
	if (unshare(CLONE_NEWPID | CLONE_NEWNS)) {
		sh->skip = 1;
		sh->fail_errno = errno;
		return 0;
	}
	init = fork();
	if (init == 0)
		_exit(ns_status_init(sh));
	if (init < 0)
		return 1;
	STORE(&sh->val[V_CHILD], (long)init);
	return wait_timeout(init, 10000) == 0 ? 0 : 2;
}

TEST(status_pids_are_the_proc_mounts_namespace)
{
	struct status_line sl;
	struct shared *sh;
	char path[128];
	struct rows r;
	pid_t pid, init;
	int status;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	REQUIRE_STATUS();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	sh->val[V_D] = getpid();
	ASSERT_SYSOK(rt_register(getpid()));	/* tracked outside */
	pid = spawn_child(ns_status_outer, sh, NULL);
	ASSERT_LT(0, pid);
	if (!wait_stage(sh, 1, pid, &status, 8000)) {
		if (status == -1)
			status = wait_timeout(pid, 0);
		if (sh->skip)
			SKIP(return, "unshare(CLONE_NEWPID | CLONE_NEWNS): %s",
			     strerror(sh->fail_errno));
		ASSERT_TRUE(false) TH_LOG("the namespace did not get ready: "
					  "status 0x%x, line %d, errno %d",
					  (unsigned int)status, sh->fail_line,
					  sh->fail_errno);
	}
	init = (pid_t)LOAD(&sh->val[V_CHILD]);

	/* The namespace's proc, read from here: its pids, not ours. */
	snprintf(path, sizeof(path), "/proc/%d/root" NS_PROC "/tracker_status",
		 (int)init);
	EXPECT_LT(0, read_file(path, status_buf, sizeof(status_buf)))
		TH_LOG("%s: %s", path, strerror(errno));
	status_count(status_buf, &r);
	EXPECT_EQ(1, r.rows) TH_LOG("%s:\n%s", path, status_buf);
	EXPECT_EQ(0, r.bad);
	EXPECT_TRUE(status_row(status_buf, 2, &sl) && sl.file_quota == 77);
	EXPECT_FALSE(status_row(status_buf, getpid(), &sl));
	/* Our proc: the same process by its host pid. */
	ASSERT_LT(0, status_read(status_buf, sizeof(status_buf)));
	EXPECT_TRUE(status_row(status_buf, LOAD(&sh->val[V_B]), &sl) &&
		    sl.file_quota == 77) TH_LOG("no row for host pid %ld",
						LOAD(&sh->val[V_B]));

	STORE(&sh->val[V_RELEASE], 1L);
	status = wait_timeout(pid, 10000);
	EXPECT_CHILD_OK(status, sh);
	EXPECT_EQ(2L, sh->val[V_C]);
	EXPECT_EQ(1L, sh->step[N_ROWS].ret) TH_LOG("rows in the namespace's proc");
	EXPECT_EQ(0L, sh->step[N_BAD].ret);
	EXPECT_EQ(77L, sh->step[N_QUOTA2].ret) TH_LOG("pid 2 in the namespace's proc");
	EXPECT_EQ(0L, sh->step[N_HOST_BAD].ret);
	EXPECT_EQ(77L, sh->step[N_HOST_QUOTA].ret)
		TH_LOG("the host's proc read inside: no row for host pid %ld",
		       sh->val[V_B]);
	EXPECT_EQ(1L, sh->step[N_HOST_TEST].ret)
		TH_LOG("the host's proc read inside: no row for the test");
	EXPECT_EQ(0L, sh->step[N_HOST_PID2].ret)
		TH_LOG("the host's proc read inside shows the namespace's pid");
	rmdir(NS_PROC);
	EXPECT_SYSOK(rt_deregister(getpid()));
	shared_free(sh);
}

/*
 * hidepid=2 (invisible): through a proc mounted so, a nobody process sees
 * its own tracked process but no row of root's.
 */
enum { H_BAD, H_OWN, H_ROOT_SLEEPER, H_ROOT_TEST };

static int hidepid_reader(struct shared *sh)
{
	struct status_line sl;
	struct rows r;

	CHILD_CHECK(sh, become_nobody() == 0);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, read_file(HP_PROC "/tracker_status", ns_buf,
				  sizeof(ns_buf)) > 0);
	status_count(ns_buf, &r);
	REC(sh, H_BAD, r.bad);
	REC(sh, H_OWN, status_row(ns_buf, getpid(), &sl));
	REC(sh, H_ROOT_SLEEPER, status_row(ns_buf, sh->val[V_B], &sl));
	REC(sh, H_ROOT_TEST, status_row(ns_buf, sh->val[V_D], &sl));
	return 0;
}

static int hidepid_outer(struct shared *sh, void *arg)
{
	int status, ret;
	pid_t n;

	(void)arg;
	if (unshare(CLONE_NEWNS)) {
		sh->skip = 1;
		sh->fail_errno = errno;
		return 0;
	}
	CHILD_CHECK(sh, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	mkdir(HP_PROC, 0755);
	CHILD_CHECK(sh, mount("proc", HP_PROC, "proc",
			      MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") == 0);
	n = fork();
	if (n == 0)
		_exit(hidepid_reader(sh));
	CHILD_CHECK(sh, n > 0);
	status = wait_timeout(n, 5000);
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 100;
	umount2(HP_PROC, MNT_DETACH);
	return ret;
}

TEST(status_hidepid_hides_other_users_rows)
{
	struct shared *sh;
	struct sleeper s;
	int status;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	REQUIRE_STATUS();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_ROOT, NULL));
	ASSERT_SYSOK(rt_register(s.pid));
	ASSERT_SYSOK(rt_register(getpid()));
	sh->val[V_B] = s.pid;
	sh->val[V_D] = getpid();
	status = run_child(hidepid_outer, sh, NULL);
	EXPECT_EQ(0, sleeper_stop(&s));
	rmdir(HP_PROC);
	if (sh->skip)
		SKIP(return, "unshare(CLONE_NEWNS): %s", strerror(sh->fail_errno));
	EXPECT_CHILD_OK(status, sh);
	EXPECT_EQ(0L, sh->step[H_BAD].ret);
	EXPECT_EQ(1L, sh->step[H_OWN].ret) TH_LOG("its own row is missing");
	EXPECT_EQ(0L, sh->step[H_ROOT_SLEEPER].ret)
		TH_LOG("root's tracked process is visible");
	EXPECT_EQ(0L, sh->step[H_ROOT_TEST].ret)
		TH_LOG("root's tracked test is visible");
	EXPECT_SYSOK(rt_deregister(getpid()));
	shared_free(sh);
}

/*
 * Privilege-gaining exec.  A nobody process execs a setuid-root copy of
 * this program, whose helper reports its fetch of itself, waits, then maps
 * the old heap quota + 16 MiB.  A limit the process set itself (no
 * CAP_SYS_RESOURCE) ends at the exec: ENOENT, and the helper lives.  A
 * limit root set stays: the fetch works and the helper dies by SIGKILL.
 */
struct suid_report {
	struct helper_report h;
	int ruid;
	int euid;
};

struct suid_ctx {
	int rep[2];	/* helper -> test: the report, then 'A' if alive */
	int rel[2];	/* test -> helper: map now */
};

static int make_suid_copy(void)
{
	static char buf[1 << 16];
	int in, out, ret = -1;
	ssize_t n = -1;

	unlink(SUID_PATH);
	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = open(SUID_PATH, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (out >= 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write_full(out, buf, (size_t)n))
				break;
		/* chown() clears the set-user-ID bit: mode last. */
		if (n == 0 && !fchown(out, 0, 0) && !fchmod(out, 04755))
			ret = 0;
		close(out);
	}
	close(in);
	return ret;
}

/* In a child: exec the setuid copy in its helper mode; only returns by _exit. */
static void exec_suid_helper(int wfd, int rfd, long mib)
{
	char w[32], r[32], m[32];
	char *argv[] = { "restrack_escape", HELPER_ARG, "suid", w, r, m, NULL };

	snprintf(w, sizeof(w), "%d", wfd);
	snprintf(r, sizeof(r), "%d", rfd);
	snprintf(m, sizeof(m), "%ld", mib);
	execv(SUID_PATH, argv);
	_exit(127);
}

static int suid_self_limited_child(struct shared *sh, void *arg)
{
	struct suid_ctx *x = arg;
	struct per_proc_resource st;
	long q;

	close(x->rep[0]);
	close(x->rel[1]);
	CHILD_CHECK(sh, become_nobody() == 0);
	CHILD_CHECK(sh, rt_register(getpid()) == 0);
	CHILD_CHECK(sh, rt_fetch(&st, getpid()) == 0);
	q = (long)(st.heapsize / MiB) + HEAP_ROOM_MB;
	CHILD_CHECK(sh, rt_cap(getpid(), q, (long)st.openfile_count + 8) == 0);
	STORE(&sh->val[V_QUOTA], q);
	exec_suid_helper(x->rep[1], x->rel[0], q + 16);
	return 127;
}

static int suid_root_limited_child(struct shared *sh, void *arg)
{
	struct suid_ctx *x = arg;

	close(x->rep[0]);
	close(x->rel[1]);
	CHILD_CHECK(sh, become_nobody() == 0);
	STORE(&sh->stage, 1);
	CHILD_CHECK(sh, WAIT_UNTIL(LOAD(&sh->val[V_GO]) >= 1, 5000));
	exec_suid_helper(x->rep[1], x->rel[0], LOAD(&sh->val[V_QUOTA]) + 16);
	return 127;
}

static void suid_test(struct __test_metadata *_metadata, bool root_limits)
{
	struct per_proc_resource st;
	struct suid_report r;
	struct suid_ctx x;
	struct shared *sh;
	int status = -1;
	ssize_t n;
	pid_t pid;
	char c = 0;
	long q;

	ASSERT_EQ(0, make_suid_copy()) TH_LOG("copy to %s: %s", SUID_PATH,
					      strerror(errno));
	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, pipe(x.rep));
	ASSERT_EQ(0, pipe(x.rel));
	pid = spawn_child(root_limits ? suid_root_limited_child :
			  suid_self_limited_child, sh, &x);
	ASSERT_LT(0, pid);
	close(x.rep[1]);
	close(x.rel[0]);
	if (root_limits) {
		/* Root, with CAP_SYS_RESOURCE, limits the nobody process. */
		ASSERT_TRUE(wait_stage(sh, 1, pid, &status, 5000))
			TH_LOG("child: status 0x%x, line %d", (unsigned int)status,
			       sh->fail_line);
		ASSERT_SYSOK(rt_register(pid));
		ASSERT_FETCH(st, pid);
		q = (long)(st.heapsize / MiB) + HEAP_ROOM_MB;
		ASSERT_SYSOK(rt_cap(pid, q, -1));
		STORE(&sh->val[V_QUOTA], q);
		STORE(&sh->val[V_GO], 1L);
	}
	memset(&r, 0, sizeof(r));
	n = read_full(x.rep[0], &r, sizeof(r));
	if (n != (ssize_t)sizeof(r)) {
		close(x.rel[1]);
		status = wait_timeout(pid, 3000);
		unlink(SUID_PATH);
		ASSERT_EQ((ssize_t)sizeof(r), n)
			TH_LOG("no report from the setuid image: status 0x%x, "
			       "line %d, errno %d", (unsigned int)status,
			       sh->fail_line, sh->fail_errno);
	}
	if (r.euid != 0) {
		close(x.rel[1]);
		wait_timeout(pid, 3000);
		unlink(SUID_PATH);
		SKIP(return, "%s ran with euid %d: no setuid exec here",
		     SUID_PATH, r.euid);
	}
	EXPECT_EQ(NOBODY_UID, r.ruid);
	EXPECT_EQ(pid, r.h.pid);
	if (root_limits) {
		EXPECT_EQ(0L, r.h.ret) TH_LOG("fetch in the setuid image: errno %d",
					      r.h.err);
		ASSERT_FETCH(st, pid);
		EXPECT_EQ(pid, st.pid);
	} else {
		EXPECT_EQ(-1L, r.h.ret) TH_LOG("still tracked in the setuid image");
		EXPECT_EQ(ENOENT, r.h.err);
		EXPECT_ERRNO(ENOENT, rt_fetch(&st, pid));
	}
	/* Now the helper maps the old quota + 16 MiB. */
	close(x.rel[1]);
	n = read(x.rep[0], &c, 1);
	status = wait_timeout(pid, 8000);
	if (root_limits) {
		EXPECT_KILLED(status, sh);
		EXPECT_EQ(0L, (long)n) TH_LOG("the helper lived past its quota");
	} else {
		EXPECT_CHILD_OK(status, sh);
		EXPECT_EQ(1L, (long)n) TH_LOG("the helper died mapping");
	}
	close(x.rep[0]);
	unlink(SUID_PATH);
	shared_free(sh);
}

TEST(suid_exec_ends_a_limit_set_without_cap_sys_resource)
{
	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	suid_test(_metadata, false);
}

TEST(suid_exec_keeps_a_limit_set_by_root)
{
	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	suid_test(_metadata, true);
}

/*
 * Landlock signal scoping (ABI 6): a nobody process in a domain scoped for
 * signals can neither kill a nobody process outside it nor register it or
 * set its quota (EPERM); on itself both still work.
 */
static int landlock_child(struct shared *sh, void *arg)
{
	const pid_t target = (pid_t)(long)arg;
	struct rt_landlock_ruleset_attr attr = {
		.scoped = RT_LANDLOCK_SCOPE_SIGNAL,
	};
	struct per_proc_resource st;
	long fd;

	memset(&st, 0, sizeof(st));
	CHILD_CHECK(sh, become_nobody() == 0);
	CHILD_CHECK(sh, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
	fd = syscall(__NR_landlock_create_ruleset, &attr, sizeof(attr), 0U);
	CHILD_CHECK(sh, fd >= 0);
	CHILD_CHECK(sh, syscall(__NR_landlock_restrict_self, (int)fd, 0U) == 0);
	close((int)fd);
	STEP(sh, 0, kill(target, SIGKILL));
	STEP(sh, 1, rt_register(target));
	STORE(&sh->stage, 1);
	CHILD_CHECK(sh, WAIT_UNTIL(LOAD(&sh->val[V_GO]) >= 1, 5000));
	/* Now tracked (by root): a quota of 0 would kill it. */
	STEP(sh, 2, rt_cap(target, 0, 0));
	STEP(sh, 3, rt_register(getpid()));
	STEP(sh, 4, rt_fetch(&st, getpid()));
	STEP(sh, 5, rt_cap(getpid(), (long)(st.heapsize / MiB) + 64,
			   (long)st.openfile_count + 64));
	return 0;
}

TEST(landlock_signal_scope_blocks_register_and_cap)
{
	struct per_proc_resource st;
	struct shared *sh;
	struct sleeper s;
	int status;
	long abi;
	pid_t pid;

	REQUIRE_RESTRACK();
	REQUIRE_ROOT();
	abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
		      RT_LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 6)
		SKIP(return, "no Landlock signal scoping (ABI %ld, errno %d: %s)",
		     abi, errno, strerror(errno));
	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, sleeper_start(&s, SLEEPER_NOBODY, NULL));
	pid = spawn_child(landlock_child, sh, (void *)(long)s.pid);
	ASSERT_LT(0, pid);
	if (wait_stage(sh, 1, pid, &status, 5000)) {
		rt_register(s.pid);
		STORE(&sh->val[V_GO], 1L);
		status = wait_timeout(pid, 5000);
	} else if (status == -1) {
		status = wait_timeout(pid, 0);
	}
	EXPECT_CHILD_OK(status, sh);
	EXPECT_STEP_ERRNO(sh, 0, EPERM);	/* kill(SIGKILL) */
	EXPECT_STEP_ERRNO(sh, 1, EPERM);	/* register */
	EXPECT_STEP_ERRNO(sh, 2, EPERM);	/* resource_cap */
	EXPECT_STEP_OK(sh, 3);
	EXPECT_STEP_OK(sh, 4);
	EXPECT_STEP_OK(sh, 5);
	/* The sibling: tracked by root only, and alive. */
	ASSERT_FETCH(st, s.pid);
	EXPECT_EQ(0, sleeper_stop(&s));
	shared_free(sh);
}

/* =====================================================================
 * A child of a process tracked with RESTRACK_INHERIT trying to get out:
 * setsid and a double fork, registering again, dropping or raising its
 * own limit without privilege (also from a user namespace of its own),
 * and a setuid exec.
 */
#define INHERIT_ROOM	(32 * MiB)

static int esc_pidfd(pid_t pid)
{
	return (int)syscall(__NR_pidfd_open, (long)pid, 0L);
}

static long esc_get(pid_t pid, struct restrack_info *info)
{
	int fd = esc_pidfd(pid);
	long ret;

	if (fd < 0)
		return -1;
	memset(info, 0, sizeof(*info));
	ret = rt_pidfd_get(fd, info, sizeof(*info), 0);
	close(fd);
	return ret;
}

static long esc_set(pid_t pid, __u64 mask, __u64 heap, __u64 files,
		    __u32 heap_action, __u32 files_action)
{
	struct restrack_quota_args a;
	int fd = esc_pidfd(pid);
	long ret;

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.mask = mask;
	a.heap_bytes = heap;
	a.files = files;
	a.heap_action = heap_action;
	a.files_action = files_action;
	ret = rt_pidfd_set_quota(fd, &a, sizeof(a), 0);
	close(fd);
	return ret;
}

/* In a child: become nobody, limit itself with RESTRACK_INHERIT. */
static int inherit_limit_self(struct shared *sh)
{
	struct restrack_info info;
	int fd;

	CHILD_CHECK(sh, become_nobody() == 0);
	fd = esc_pidfd(getpid());
	CHILD_CHECK(sh, fd >= 0);
	CHILD_CHECK(sh, rt_pidfd_register(fd, RESTRACK_INHERIT) == 0);
	close(fd);
	CHILD_CHECK(sh, esc_get(getpid(), &info) == 0);
	CHILD_CHECK(sh, esc_set(getpid(), RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES,
				info.heap_bytes + INHERIT_ROOM, info.files + 20,
				RESTRACK_ACTION_KILL, RESTRACK_ACTION_KILL) == 0);
	return 0;
}

/*
 * setsid() and a double fork: the grandchild, reparented to init, is still
 * tracked with the quota, and killed when it crosses it.  It reports 'T'
 * when it finds itself tracked, 'A' if it lives past the crossing.
 */
static int inherit_setsid_child(struct shared *sh, void *arg)
{
	int *p = arg;
	pid_t mid;

	close(p[0]);
	if (inherit_limit_self(sh))
		return 1;
	mid = fork();
	CHILD_CHECK(sh, mid >= 0);
	if (mid == 0) {
		struct restrack_info info;
		char c;

		if (setsid() < 0)
			_exit(2);
		if (fork() != 0)
			_exit(0);
		/* The grandchild, in a session of its own, orphaned. */
		usleep(50000);
		c = (esc_get(getpid(), &info) == 0 &&
		     info.flags == RESTRACK_INHERIT &&
		     info.heap_quota != RESTRACK_NO_QUOTA) ? 'T' : 'U';
		if (write(p[1], &c, 1) != 1)
			_exit(3);
		alloc_mib(128);
		c = 'A';
		if (write(p[1], &c, 1) != 1)
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	CHILD_CHECK(sh, wait_child(mid) == 0);
	return 0;
}

TEST(inherit_setsid_double_fork_stays_tracked)
{
	struct shared *sh;
	char buf[4] = { 0 };
	int p[2], status;
	ssize_t n;
	pid_t pid;

	REQUIRE_RESTRACK();
	REQUIRE_PIDFD_CALLS();
	REQUIRE_ROOT();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	ASSERT_EQ(0, pipe(p));
	pid = spawn_child(inherit_setsid_child, sh, p);
	ASSERT_LT(0, pid);
	close(p[1]);
	status = wait_child(pid);
	EXPECT_CHILD_OK(status, sh);
	n = read_full(p[0], buf, 2);
	EXPECT_EQ(1L, (long)n) TH_LOG("grandchild wrote \"%.2s\": want \"T\", "
				      "then killed", buf);
	EXPECT_EQ('T', buf[0]);
	close(p[0]);
	shared_free(sh);
}

/* Registering again, deregistering, resetting or raising: all refused. */
static int inherit_no_way_out_child(struct shared *sh, void *arg)
{
	struct restrack_info before, after;
	pid_t c;
	int fd;

	if (inherit_limit_self(sh))
		return 1;
	c = fork();
	CHILD_CHECK(sh, c >= 0);
	if (c == 0) {
		pid_t me = getpid();

		if (esc_get(me, &before) || before.flags != RESTRACK_INHERIT)
			_exit(10);
		fd = esc_pidfd(me);
		errno = 0;
		if (rt_pidfd_register(fd, 0) != -1 || errno != EEXIST)
			_exit(11);
		errno = 0;
		if (rt_register(me) != -1 || errno != EEXIST)
			_exit(12);
		errno = 0;
		if (rt_deregister(me) != -1 || errno != EPERM)
			_exit(13);
		errno = 0;
		if (rt_reset(me) != -1 || errno != EPERM)
			_exit(14);
		errno = 0;
		if (rt_cap(me, -1, -1) != -1 || errno != EPERM)
			_exit(15);
		errno = 0;
		if (esc_set(me, RESTRACK_QUOTA_HEAP, RESTRACK_NO_QUOTA, 0, 0, 0) != -1 ||
		    errno != EPERM)
			_exit(16);
		errno = 0;
		if (esc_set(me, RESTRACK_QUOTA_HEAP, before.heap_quota,
			    0, RESTRACK_ACTION_DENY, 0) != -1 || errno != EPERM)
			_exit(17);
		errno = 0;
		if (esc_set(me, RESTRACK_QUOTA_FILES, 0, before.files_quota + 1,
			    0, 0) != -1 || errno != EPERM)
			_exit(18);
		/* A user namespace of its own gives no power over the limit. */
		if (unshare(CLONE_NEWUSER) == 0) {
			errno = 0;
			if (rt_deregister(me) != -1 || errno != EPERM)
				_exit(19);
			errno = 0;
			if (esc_set(me, RESTRACK_QUOTA_HEAP, RESTRACK_NO_QUOTA, 0,
				    0, 0) != -1 || errno != EPERM)
				_exit(20);
		}
		if (esc_get(me, &after) || after.heap_quota != before.heap_quota ||
		    after.files_quota != before.files_quota ||
		    after.heap_action != RESTRACK_ACTION_KILL)
			_exit(21);
		/* And the limit still holds. */
		alloc_mib(128);
		_exit(0);
	}
	STORE(&sh->val[V_A], wait_child(c));
	return 0;
}

TEST(inherit_child_cannot_drop_or_raise_its_limit)
{
	struct shared *sh;
	int status, cst;

	REQUIRE_RESTRACK();
	REQUIRE_PIDFD_CALLS();
	REQUIRE_ROOT();
	ASSERT_TRUE((sh = shared_new()) != NULL);
	status = run_child(inherit_no_way_out_child, sh, NULL);
	EXPECT_CHILD_OK(status, sh);
	cst = (int)LOAD(&sh->val[V_A]);
	EXPECT_TRUE(WIFSIGNALED(cst) && WTERMSIG(cst) == SIGKILL)
		TH_LOG("inheriting child: status 0x%x (exit %d)", (unsigned int)cst,
		       WIFEXITED(cst) ? WEXITSTATUS(cst) : -1);
	shared_free(sh);
}

/*
 * A setuid exec by a child that inherited: a limit root set stays (the
 * setuid image is killed crossing it); one the process set itself, without
 * CAP_SYS_RESOURCE, ends there, as for the process itself.
 */
static int inherit_suid_child(struct shared *sh, void *arg)
{
	struct suid_ctx *x = arg;
	pid_t c;

	close(x->rep[0]);
	close(x->rel[1]);
	if (LOAD(&sh->val[V_B])) {
		if (inherit_limit_self(sh))
			return 1;
	} else {
		CHILD_CHECK(sh, become_nobody() == 0);
		STORE(&sh->stage, 1);
		CHILD_CHECK(sh, WAIT_UNTIL(LOAD(&sh->val[V_GO]) >= 1, 5000));
	}
	c = fork();
	CHILD_CHECK(sh, c >= 0);
	if (c == 0)
		exec_suid_helper(x->rep[1], x->rel[0], 128);
	close(x->rep[1]);
	close(x->rel[0]);
	STORE(&sh->val[V_C], c);
	STORE(&sh->val[V_D], wait_child(c));
	return 0;
}

static void inherit_suid_test(struct __test_metadata *_metadata, bool self_limited)
{
	struct restrack_info info;
	struct suid_report r;
	struct suid_ctx x;
	struct shared *sh;
	int status = -1, fd, cst;
	ssize_t n;
	pid_t pid;
	char c = 0;

	ASSERT_EQ(0, make_suid_copy()) TH_LOG("copy to %s: %s", SUID_PATH,
					      strerror(errno));
	ASSERT_TRUE((sh = shared_new()) != NULL);
	STORE(&sh->val[V_B], self_limited ? 1L : 0L);
	ASSERT_EQ(0, pipe(x.rep));
	ASSERT_EQ(0, pipe(x.rel));
	pid = spawn_child(inherit_suid_child, sh, &x);
	ASSERT_LT(0, pid);
	close(x.rep[1]);
	close(x.rel[0]);
	if (!self_limited) {
		ASSERT_TRUE(wait_stage(sh, 1, pid, &status, 5000));
		fd = esc_pidfd(pid);
		ASSERT_LE(0, fd);
		ASSERT_SYSOK(rt_pidfd_register(fd, RESTRACK_INHERIT));
		close(fd);
		ASSERT_SYSOK(esc_get(pid, &info));
		ASSERT_SYSOK(esc_set(pid, RESTRACK_QUOTA_HEAP,
				     info.heap_bytes + INHERIT_ROOM, 0,
				     RESTRACK_ACTION_KILL, 0));
		STORE(&sh->val[V_GO], 1L);
	}
	memset(&r, 0, sizeof(r));
	n = read_full(x.rep[0], &r, sizeof(r));
	if (n != (ssize_t)sizeof(r) || r.euid != 0) {
		close(x.rel[1]);
		wait_timeout(pid, 5000);
		unlink(SUID_PATH);
		ASSERT_EQ((ssize_t)sizeof(r), n) TH_LOG("no report: line %d",
							sh->fail_line);
		SKIP(return, "no setuid exec here (euid %d)", r.euid);
	}
	EXPECT_EQ(NOBODY_UID, r.ruid);
	if (self_limited) {
		EXPECT_EQ(-1L, r.h.ret) TH_LOG("still tracked in the setuid image");
	} else {
		EXPECT_EQ(0L, r.h.ret) TH_LOG("untracked in the setuid image: "
					      "errno %d", r.h.err);
	}
	close(x.rel[1]);
	n = read(x.rep[0], &c, 1);
	status = wait_timeout(pid, 8000);
	EXPECT_CHILD_OK(status, sh);
	cst = (int)LOAD(&sh->val[V_D]);
	if (self_limited) {
		EXPECT_TRUE(WIFEXITED(cst)) TH_LOG("status 0x%x", (unsigned int)cst);
		EXPECT_EQ(1L, (long)n);
	} else {
		EXPECT_TRUE(WIFSIGNALED(cst) && WTERMSIG(cst) == SIGKILL)
			TH_LOG("setuid image: status 0x%x", (unsigned int)cst);
		EXPECT_EQ(0L, (long)n);
	}
	close(x.rep[0]);
	unlink(SUID_PATH);
	shared_free(sh);
}

TEST(inherit_suid_exec_keeps_a_limit_set_by_root)
{
	REQUIRE_RESTRACK();
	REQUIRE_PIDFD_CALLS();
	REQUIRE_ROOT();
	inherit_suid_test(_metadata, false);
}

TEST(inherit_suid_exec_ends_a_limit_set_without_cap_sys_resource)
{
	REQUIRE_RESTRACK();
	REQUIRE_PIDFD_CALLS();
	REQUIRE_ROOT();
	inherit_suid_test(_metadata, true);
}

/* =====================================================================
 * main: the setuid helper mode, else the harness.
 */
static int helper_main(int argc, char **argv)
{
	struct suid_report r;
	int wfd, rfd;
	char c = 0;
	long mib;

	if (argc < 6 || strcmp(argv[2], "suid"))
		return 2;
	wfd = atoi(argv[3]);
	rfd = atoi(argv[4]);
	mib = atol(argv[5]);
	memset(&r, 0, sizeof(r));
	helper_fill(&r.h);
	r.ruid = (int)getuid();
	r.euid = (int)geteuid();
	if (write_full(wfd, &r, sizeof(r)))
		return 3;
	while (read(rfd, &c, 1) < 0 && errno == EINTR)
		;
	alloc_mib(mib);
	c = 'A';
	if (write_full(wfd, &c, 1))
		return 4;
	return 0;
}

/* TEST_HARNESS_MAIN, plus the helper mode. */
RESTRACK_HARNESS_MAIN(helper_main)
