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
 * Prints the seed first and "fuzz: N calls, N violations" last; exits 1 on
 * any violation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#define NR_VICTIMS	4
#define CHUNK		2000

struct shared {
	long calls;
	long violations;
	pid_t victims[NR_VICTIMS];
	pid_t zombie;
	pid_t reaped;
};

static struct shared *sh;
static uint64_t rng;

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
	switch (next() % 14) {
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

static void one_call(void)
{
	struct per_proc_resource *st;
	long r, hq, fq;
	pid_t pid = fuzz_pid();

	switch (next() % 5) {
	case 0:
		r = syscall(__NR_register, pid);
		CHECK("register", r, pid, 0, 0, EINVAL, ESRCH, EPERM, EEXIST, ENOMEM);
		CHECK_EINVAL("register", r, pid, 0, 0, pid < 1);
		break;
	case 1:
		st = fuzz_ptr();
		r = syscall(__NR_fetch, st, pid);
		CHECK("fetch", r, (long)st, pid, 0, EINVAL, ESRCH, EPERM, ENOENT, EFAULT);
		CHECK_EINVAL("fetch", r, (long)st, pid, 0, pid < 1);
		break;
	case 2:
		r = syscall(__NR_deregister, pid);
		CHECK("deregister", r, pid, 0, 0, EINVAL, ESRCH, EPERM, ENOENT);
		CHECK_EINVAL("deregister", r, pid, 0, 0, pid < 1);
		break;
	case 3:
		hq = fuzz_quota();
		fq = fuzz_quota();
		r = syscall(__NR_resource_cap, pid, hq, fq);
		CHECK("resource_cap", r, pid, hq, fq, EINVAL, ESRCH, EPERM, ENOENT);
		CHECK_EINVAL("resource_cap", r, pid, hq, fq,
			     pid < 1 || hq < -1 || fq < -1 || hq > (1L << 44) - 1);
		break;
	default:
		r = syscall(__NR_resource_reset, pid);
		CHECK("resource_reset", r, pid, 0, 0, EINVAL, ESRCH, EPERM, ENOENT);
		CHECK_EINVAL("resource_reset", r, pid, 0, 0, pid < 1);
		break;
	}
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

/* Run calls [first, last) of stream @stream; the PRNG is reseeded per chunk. */
static void worker(uint64_t seed, int stream, long first, long last, int flavour)
{
	long i;

	if (flavour == 1 && (setgid(65534) || setuid(65534)))
		_exit(3);
	if (flavour == 2 && unshare(CLONE_NEWPID) == 0) {
		pid_t p = fork();	/* the child is pid 1 of the new namespace */

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

	for (i = 0; i < NR_VICTIMS; i++)
		sh->victims[i] = spawn_sleeper();
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
			for (int v = 0; v < NR_VICTIMS; v++) {
				if (waitpid(sh->victims[v], &status, WNOHANG) == sh->victims[v])
					sh->victims[v] = spawn_sleeper();
			}
		}
	}
	for (i = 0; i < NR_VICTIMS; i++)
		kill(sh->victims[i], SIGKILL);
	while (wait(&status) > 0)
		;
	printf("fuzz: %ld calls, %d worker restarts after self-inflicted quota kills\n",
	       sh->calls, restarts);
	printf("fuzz: %ld calls, %ld violations\n", sh->calls, sh->violations);
	return sh->violations ? 1 : 0;
}
