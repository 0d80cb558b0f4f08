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
 * honest job's needs), reset and deregister the honest jobs, and a third
 * unloads and reloads both modules when they are in /modules.  pid_max is
 * lowered so that pids are reused thousands of times.
 *
 * Afterwards /proc/tracker_status (when present) must list no process that
 * is gone.  Prints "stress: N jobs, N pid reuses, N module reloads,
 * N violations"; exits 1 on any violation.
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

#define MAX_JOBS	16
#define PID_MAX		360
#define STATUS_PATH	"/proc/tracker_status"

enum kind {
	HONEST, HONEST_THREADS, CHURN, GREEDY_HEAP, GREEDY_FILES, GREEDY_THREADS,
	NR_KINDS
};
#define IS_HONEST(k) ((k) <= CHURN)

static const char *const kind_name[] = {
	"honest", "honest-threads", "churn", "greedy-heap", "greedy-files",
	"greedy-threads",
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

static void job_main(enum kind kind)
{
	pid_t self = getpid();
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
		syscall(__NR_resource_cap, self, 8L, -1L);
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
		syscall(__NR_resource_cap, self, 16L, 64L);
		run_threads(greedy_thread, 8);
		_exit(22);
	}
}

static void start_job(struct job *j, enum kind kind)
{
	pid_t p = fork();

	if (p == 0)
		job_main(kind);
	j->pid = p;
	j->kind = kind;
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

static void *manager(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg;
	struct per_proc_resource st;
	struct job j;
	long r;

	while (!stop) {
		j = jobs[rand_r(&seed) % MAX_JOBS];
		if (j.pid <= 0 || !IS_HONEST(j.kind))
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
	if (seen == MAP_FAILED)
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
	for (i = 0; i < NR_KINDS; i++)
		printf("stress: %s jobs: %ld\n", kind_name[i], per_kind[i]);
	printf("stress: %ld jobs, %ld pid reuses, %ld module reloads, %ld manager calls, %ld violations\n",
	       started, reuses, reloads, manager_calls, violations);
	return violations ? 1 : 0;
}
