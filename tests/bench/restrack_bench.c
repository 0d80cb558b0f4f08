// SPDX-License-Identifier: GPL-2.0
/*
 * Hot-path benchmark of the resource tracker, run as a guest program.
 *
 *   restrack_bench [-n ITER] [-r REPS] [-c CONDITIONS] [-w WORKLOADS]
 *
 * Times tight loops in the shape of will-it-scale's open1/dup1/brk1/mmap1
 * (one system call pattern per workload) under several tracking
 * conditions, with clock_gettime(CLOCK_MONOTONIC) around each loop.  Under
 * QEMU -icount shift=0 the guest clock advances one nanosecond per guest
 * instruction, so "ns" are instruction counts and repeat almost exactly.
 *
 * Workloads (-w, comma separated, each NAME or NAME:ITER to give it its own
 * iteration count; default all, in this order):
 *   open_close        open+close of a file on tmpfs
 *   dup_close         dup+close
 *   pipe_close        pipe+close x2
 *   socket_close      socket(AF_UNIX, SOCK_STREAM)+close
 *   scm_rights_pass   send a descriptor to ourselves over an AF_UNIX stream
 *                     socketpair with SCM_RIGHTS, receive it, close the
 *                     received one: the receive path of the file quota
 *   mmap_4k           4 KiB private anonymous mmap+munmap
 *   mmap_1m_touch     1 MiB private anonymous mmap, write to every page, munmap
 *   brk               brk up one page and back
 *   malloc_1m         glibc malloc(1 MiB), write a byte, free; the mmap
 *                     threshold is pinned at glibc's default 128 KiB, so
 *                     each block is an mmap and munmap (left dynamic, glibc
 *                     would serve it from the brk heap after the first free
 *                     and make no system call at all)
 *   fork_exit_wait    fork, child _exit(0), waitpid
 *   vfork_exit        vfork, child _exit(0), waitpid (the child shares
 *                     our mm until it exits)
 *   getpgid_x2        two getpgid() of the untracked helper process: the
 *                     control for register_deregister (two pid lookups)
 *   thread_create_exit  pthread_create of a thread that returns at once,
 *                     pthread_join.  The first thread makes glibc
 *                     multi-threaded for good (cancellable system calls,
 *                     malloc and fork take their slower paths), so it runs
 *                     after every workload those would change
 *   register_deregister  register+deregister of an untracked helper process
 *                     (on a kernel without the tracker: two ENOSYS calls)
 *
 * Conditions (-c, comma separated; always run in this order, since the
 * tracker's static key, once on, stays on):
 *   untracked         nothing was ever registered by this program
 *   untracked_armed   another process is tracked (hooks live), we are not
 *   tracked           this process tracked, no quota
 *   rlimit            untracked, RLIMIT_DATA 1024 MiB and RLIMIT_NOFILE
 *                     1024 (the quotas of "quota" as rlimits, never hit):
 *                     the peer an unpatched kernel offers
 *   memcg             untracked, in a memory cgroup of its own (cgroup2,
 *                     mounted if need be) with memory.max 1024 MiB: the
 *                     other peer (it has no limit on descriptors)
 *   quota             tracked, quotas 1024 MiB and 1024 files (never hit)
 *   deny              "quota" set with the pidfd calls, both quotas with
 *                     RESTRACK_ACTION_DENY instead of the kill
 *   inherit           registered with RESTRACK_INHERIT and the quotas of
 *                     "quota" (kill), so that every child is tracked from
 *                     its birth; runs the fork-type workloads only
 *                     (fork_exit_wait, vfork_exit)
 *   idleN             tracked, while N other processes exist, untracked:
 *                     the control for othersN (what N processes cost the
 *                     kernel whether tracked or not)
 *   othersN           tracked, while N other processes are tracked too
 *                     (N sleeping processes, registered; e.g. others10000)
 * Default: untracked,untracked_armed,tracked,quota,others1,others100,
 * others1000,others10000,idle10000.  On a kernel without the system calls (ENOSYS)
 * only "untracked", "rlimit" and "memcg" run; the others are reported as
 * skipped.  A condition that needs what the kernel lacks (deny and inherit:
 * the pidfd calls; memcg: the memory cgroup) is reported as
 * BENCH-UNAVAILABLE, not measured, and the program does not fail for it.
 *
 * Each (condition, workload) pair runs ITER iterations (default 100000)
 * REPS times (default 5), each rep preceded by ITER/100 (at least 10)
 * untimed warm-up iterations and 20 ms of idle time (RCU callbacks and
 * kworkers left over from before run then, not inside the loop).  Reps are
 * the inner loop, so that a condition's state is the same for all of them.
 * Every condition has a group of sleeping processes (N for othersN and
 * idleN, else one, which untracked_armed registers), children of a
 * spawner, not ours, and all asleep before any loop starts.
 *
 * Output, one line each, all starting with "BENCH":
 *   BENCH-INFO tracker=yes|no machine=M release=R iters=N reps=N pagesize=N
 *   BENCH-COND cond=C others=N idle=N armed=0|1 setup_ns=N memfree_kb=N
 *   BENCH cond=C workload=W rep=K iters=N ns=N ctxt=N
 *     (ctxt: context switches in the whole system during the loop)
 *   BENCH-SKIP cond=C [workload=W] reason=R   (that figure is missing)
 *   BENCH-INVALID cond=C reason=R   (the condition's figures are void)
 *   BENCH-UNAVAILABLE cond=C reason=R (this kernel lacks what C needs)
 *   BENCH-SUMMARY ... (human-readable median ns/op table)
 *   BENCH-DONE status=ok|failed
 * Exits 0 when every requested figure was measured or legitimately skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/resource_tracker.h>

/*
 * The pidfd calls, for the uapi headers of kernels that predate them (the
 * program then finds ENOSYS and reports deny and inherit unavailable).
 */
#ifndef __NR_restrack_pidfd_register
#define __NR_restrack_pidfd_register	553
#define __NR_restrack_pidfd_set_quota	554
#endif
#ifndef RESTRACK_INHERIT
#define RESTRACK_INHERIT	0x1U
#define RESTRACK_QUOTA_HEAP	0x1ULL
#define RESTRACK_QUOTA_FILES	0x2ULL
#define RESTRACK_ACTION_KILL	0
#define RESTRACK_ACTION_DENY	1
struct restrack_quota_args {
	uint64_t mask, heap_bytes, files;
	uint32_t heap_action, files_action;
};
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open		434
#endif

#define TMPFILE		"/tmp/restrack_bench.tmp"
#define QUOTA_HEAP_MB	1024L
#define QUOTA_FILES	1024L
#define MAX_REPS	101
#define MAX_OTHERS	30000
/* Idle time before a condition's loops and before each timed loop. */
#define SETTLE_COND_MS	200
#define SETTLE_REP_MS	20

static long iters = 100000;
static int reps = 5;
static long pagesize;
static bool have_tracker;
static bool failed;
/* Set once this program registered anything: the static key is on. */
static bool armed;
/* The pidfd calls (553-555) answer: not ENOSYS. */
static bool have_pidfd_calls;

/* The untracked helper that register_deregister registers. */
static pid_t target_pid = -1;
/* Scratch state of the workloads. */
static int dup_fd = -1;
/* scm_rights_pass: [0] sends dup_fd, [1] receives it. */
static int scm_sv[2] = { -1, -1 };

static long rt_register(pid_t pid)
{
	return syscall(__NR_register, pid);
}

static long rt_deregister(pid_t pid)
{
	return syscall(__NR_deregister, pid);
}

static long rt_cap(pid_t pid, long heap_mb, long files)
{
	return syscall(__NR_resource_cap, pid, heap_mb, files);
}

static long rt_reset(pid_t pid)
{
	return syscall(__NR_resource_reset, pid);
}

static long rt_fetch(struct per_proc_resource *r, pid_t pid)
{
	return syscall(__NR_fetch, r, pid);
}

static long rt_pidfd_register(int pidfd, unsigned int flags)
{
	return syscall(__NR_restrack_pidfd_register, (long)pidfd, flags);
}

static long rt_pidfd_set_quota(int pidfd, const struct restrack_quota_args *q,
			       unsigned int flags)
{
	return syscall(__NR_restrack_pidfd_set_quota, (long)pidfd, q, sizeof(*q),
		       flags);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what)
{
	printf("BENCH-ERROR %s: %s\n", what, strerror(errno));
	failed = true;
}

/* ---------------------------------------------------------------------
 * Workloads.  Each loop returns 0, or -1 with errno set on the first
 * failing call.
 */

static int loop_open_close(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open(TMPFILE, O_RDWR);

		if (fd < 0 || close(fd))
			return -1;
	}
	return 0;
}

static int loop_dup_close(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = dup(dup_fd);

		if (fd < 0 || close(fd))
			return -1;
	}
	return 0;
}

static int loop_pipe_close(long n)
{
	for (long i = 0; i < n; i++) {
		int p[2];

		if (pipe(p) || close(p[0]) || close(p[1]))
			return -1;
	}
	return 0;
}

static int loop_socket_close(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		if (fd < 0 || close(fd))
			return -1;
	}
	return 0;
}

/*
 * Send dup_fd to ourselves and close what arrives: the receiving end's
 * receive_fd(), where a file quota refuses descriptors with EMFILE.  The
 * descriptor passed is a tmpfs file, not a socket, so that the unix
 * sockets' garbage collector has nothing to count.
 */
static int loop_scm_rights_pass(long n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;

	for (long i = 0; i < n; i++) {
		char byte = 0;
		struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
		};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		int fd;

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &dup_fd, sizeof(int));
		if (sendmsg(scm_sv[0], &msg, 0) != 1)
			return -1;
		msg.msg_controllen = sizeof(cbuf.buf);
		if (recvmsg(scm_sv[1], &msg, 0) != 1)
			return -1;
		cm = CMSG_FIRSTHDR(&msg);
		if ((msg.msg_flags & MSG_CTRUNC) || !cm || cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int))) {
			errno = EPROTO;
			return -1;
		}
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		if (close(fd))
			return -1;
	}
	return 0;
}

static int loop_mmap_4k(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || munmap(p, 4096))
			return -1;
	}
	return 0;
}

static int loop_mmap_1m_touch(long n)
{
	const size_t len = 1 << 20;

	for (long i = 0; i < n; i++) {
		volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -1;
		for (size_t off = 0; off < len; off += pagesize)
			p[off] = 1;
		if (munmap((void *)p, len))
			return -1;
	}
	return 0;
}

/*
 * Raw brk, from wherever the break is now and back to it, so that glibc's
 * malloc, which owns the heap, finds it as it left it.
 */
static int loop_brk(long n)
{
	uintptr_t base = (uintptr_t)syscall(SYS_brk, 0), up = base + pagesize;

	for (long i = 0; i < n; i++) {
		if ((uintptr_t)syscall(SYS_brk, up) != up ||
		    (uintptr_t)syscall(SYS_brk, base) != base) {
			errno = ENOMEM;
			return -1;
		}
	}
	return 0;
}

static int loop_malloc_1m(long n)
{
	for (long i = 0; i < n; i++) {
		volatile char *p = malloc(1 << 20);

		if (!p)
			return -1;
		p[0] = 1;
		free((void *)p);
	}
	return 0;
}

static int loop_fork_exit_wait(long n)
{
	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			return -1;
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid)
			return -1;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			errno = ECHILD;
			return -1;
		}
	}
	return 0;
}

/*
 * One vfork, out of line: the loop's counter would live across vfork(),
 * which returns twice (-Wclobbered).
 */
static __attribute__((noinline)) int vfork_exit_once(void)
{
	int status;
	pid_t pid = vfork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		errno = ECHILD;
		return -1;
	}
	return 0;
}

static int loop_vfork_exit(long n)
{
	for (long i = 0; i < n; i++) {
		if (vfork_exit_once())
			return -1;
	}
	return 0;
}

static void *thread_return(void *arg)
{
	return arg;
}

static int loop_thread_create_exit(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_t t;
		int err = pthread_create(&t, NULL, thread_return, NULL);

		if (!err)
			err = pthread_join(t, NULL);
		if (err) {
			errno = err;
			return -1;
		}
	}
	return 0;
}

static int loop_register_deregister(long n)
{
	for (long i = 0; i < n; i++) {
		long a = rt_register(target_pid);

		if (a && errno != ENOSYS)
			return -1;
		a = rt_deregister(target_pid);
		if (a && errno != ENOSYS)
			return -1;
	}
	return 0;
}

/*
 * The control for register_deregister: the same two lookups of the helper's
 * pid in the kernel, and nothing of the tracker.  What it gains with many
 * processes is the kernel's pid lookup, not the tracker's.
 */
static int loop_getpgid_x2(long n)
{
	for (long i = 0; i < n; i++) {
		if (getpgid(target_pid) < 0 || getpgid(target_pid) < 0)
			return -1;
	}
	return 0;
}

struct workload {
	const char *name;
	int (*loop)(long n);
};

static const struct workload workloads[] = {
	{ "open_close", loop_open_close },
	{ "dup_close", loop_dup_close },
	{ "pipe_close", loop_pipe_close },
	{ "socket_close", loop_socket_close },
	{ "scm_rights_pass", loop_scm_rights_pass },
	{ "mmap_4k", loop_mmap_4k },
	{ "mmap_1m_touch", loop_mmap_1m_touch },
	{ "brk", loop_brk },
	{ "malloc_1m", loop_malloc_1m },
	{ "fork_exit_wait", loop_fork_exit_wait },
	{ "vfork_exit", loop_vfork_exit },
	{ "getpgid_x2", loop_getpgid_x2 },
	/*
	 * After every workload whose user-space path the first thread would
	 * change (glibc stays multi-threaded once a thread was made), so that
	 * they measure alike in every boot.
	 */
	{ "thread_create_exit", loop_thread_create_exit },
	/* Last: in "untracked" its first call turns the static key on. */
	{ "register_deregister", loop_register_deregister },
};
#define NR_WORKLOADS (int)(sizeof(workloads) / sizeof(workloads[0]))

/* ---------------------------------------------------------------------
 * Helper processes.
 */

static long read_sysctl(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static void write_sysctl(const char *path, long val)
{
	char buf[32];
	int fd = open(path, O_WRONLY);
	int len = snprintf(buf, sizeof(buf), "%ld\n", val);

	if (fd < 0 || write(fd, buf, len) != len)
		printf("BENCH-NOTE cannot set %s to %ld: %s\n", path, val, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * Room for @n more processes.  A small kernel (CONFIG_BASE_SMALL) starts
 * with pid_max 4096 and may go up to 32768, the default of other kernels;
 * main() sets that in every condition, so that they all allocate pids
 * alike.
 */
#define PID_MAX_WANTED	32768

static void ensure_room(long n)
{
	static const char *const knobs[] = {
		"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max",
	};

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		long cur = read_sysctl(knobs[i]), want = n + 1000;

		if (i == 0 && want < PID_MAX_WANTED)
			want = PID_MAX_WANTED;

		if (cur >= 0 && cur < want) {
			write_sysctl(knobs[i], want);
			printf("BENCH-NOTE %s raised from %ld to %ld\n", knobs[i],
			       cur, read_sysctl(knobs[i]));
		}
	}
}

/* The state letter of a process, as in /proc/PID/stat; 0 if unknown. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

static long mem_free_kb(void)
{
	char buf[4096], *p;
	int fd = open("/proc/meminfo", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "MemFree:");
	return p ? strtol(p + 8, NULL, 10) : -1;
}

/* Context switches so far, the whole system's (the "ctxt" of /proc/stat). */
static long long ctxt_switches(void)
{
	static char buf[16384];
	char *p;
	int fd = open("/proc/stat", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nctxt ");
	return p ? strtoll(p + 6, NULL, 10) : -1;
}

/*
 * Wait until @pid sleeps, so that it takes no CPU time from the loops; not
 * for ever if it never does (or is a zombie, or gone).
 */
static void wait_asleep(pid_t pid)
{
	char st;

	for (int i = 0; i < 100000; i++) {
		st = proc_state(pid);
		if (st != 'R' && st != 'D')
			return;
		sched_yield();
	}
	printf("BENCH-NOTE process %d does not go to sleep\n", pid);
}

/* Let deferred work (RCU callbacks, kworkers) finish while we are idle. */
static void settle(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * A group of sleeping processes: N children of a spawner process, which is
 * our child.  They are not our children so that wait() and fork() in the
 * workloads see the same few children of ours whatever N is, and they
 * share no memory with us (the spawner is a fresh exec of this program):
 * a forked copy of our memory would change what mmap, brk and fork cost
 * us.  The group ends when we close cmd_fd (or die): the spawner kills
 * and reaps them.
 */
struct group {
	pid_t spawner;
	pid_t *pids;
	long n;
	int cmd_fd;
};

#define SPAWNER_ARG	"--restrack-bench-spawner"

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * The spawner, a fresh image of this program (so that no memory of the
 * benchmark's is shared with the group): fork N sleepers, wait until they
 * all sleep, send their pids, then wait for the benchmark to close the
 * command pipe (or die) and kill and reap them.
 *   restrack_bench --restrack-bench-spawner N READY_FD CMD_FD PARENT
 */
static int spawner_main(char **argv)
{
	long want = atol(argv[2]), n = 0;
	int ready_fd = atoi(argv[3]), cmd_fd = atoi(argv[4]);
	pid_t self = getpid(), *pids;
	char c;

	if (getppid() != atoi(argv[5]))
		return 1;
	pids = mmap(NULL, want * sizeof(pid_t), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pids == MAP_FAILED)
		want = 0;
	for (; n < want; n++) {
		pid_t pid = fork();

		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != self)
				_exit(0);
			for (;;)
				pause();
		}
		if (pid < 0)
			break;
		pids[n] = pid;
	}
	for (long i = 0; i < n; i++)
		wait_asleep(pids[i]);
	if (write_full(ready_fd, &n, sizeof(n)) ||
	    write_full(ready_fd, pids, n * sizeof(pid_t)))
		return 1;
	close(ready_fd);
	/* Until the benchmark closes the pipe or dies. */
	while (read(cmd_fd, &c, 1) > 0)
		;
	for (long i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}

static int group_start(struct group *g, long n)
{
	int ready[2], cmd[2];
	long got = -1;

	memset(g, 0, sizeof(*g));
	g->n = n;
	g->cmd_fd = -1;
	g->pids = mmap(NULL, n * sizeof(pid_t), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->pids == MAP_FAILED) {
		g->pids = NULL;
		return -1;
	}
	if (pipe2(ready, O_CLOEXEC))
		return -1;
	if (pipe2(cmd, O_CLOEXEC)) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	g->spawner = fork();
	if (g->spawner == 0) {
		char a_n[32], a_ready[16], a_cmd[16], a_parent[16];
		char *argv[] = { "restrack_bench", SPAWNER_ARG, a_n, a_ready,
				 a_cmd, a_parent, NULL };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(a_n, sizeof(a_n), "%ld", n);
		snprintf(a_ready, sizeof(a_ready), "%d", ready[1]);
		snprintf(a_cmd, sizeof(a_cmd), "%d", cmd[0]);
		snprintf(a_parent, sizeof(a_parent), "%d", getppid());
		fcntl(ready[1], F_SETFD, 0);
		fcntl(cmd[0], F_SETFD, 0);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(ready[1]);
	close(cmd[0]);
	g->cmd_fd = cmd[1];
	if (g->spawner < 0 || read_full(ready[0], &got, sizeof(got)) || got != n ||
	    read_full(ready[0], g->pids, n * sizeof(pid_t))) {
		printf("BENCH-NOTE spawned %ld of %ld sleeping processes\n", got, n);
		close(ready[0]);
		errno = EAGAIN;
		return -1;
	}
	close(ready[0]);
	wait_asleep(g->spawner);
	return 0;
}

static void group_stop(struct group *g)
{
	if (g->cmd_fd >= 0)
		close(g->cmd_fd);
	if (g->spawner > 0)
		waitpid(g->spawner, NULL, 0);
	if (g->pids)
		munmap(g->pids, g->n * sizeof(pid_t));
	memset(g, 0, sizeof(*g));
	g->cmd_fd = -1;
}

/* ---------------------------------------------------------------------
 * Conditions.
 */

/*
 * In the order they run.  The peers (rlimit, memcg) are untracked and run
 * before anything is registered, as "untracked" does.
 */
enum cond_kind {
	UNTRACKED, RLIMIT, MEMCG, UNTRACKED_ARMED, TRACKED, QUOTA, DENY,
	INHERIT, IDLE, OTHERS
};

static const struct {
	const char *name;
	enum cond_kind kind;
} cond_names[] = {
	{ "untracked", UNTRACKED }, { "baseline", UNTRACKED },
	{ "rlimit", RLIMIT }, { "memcg", MEMCG },
	{ "untracked_armed", UNTRACKED_ARMED }, { "tracked", TRACKED },
	{ "quota", QUOTA }, { "deny", DENY }, { "inherit", INHERIT },
};

struct condition {
	char name[32];
	enum cond_kind kind;
	long others;
};

static struct condition conds[64];
static int nr_conds;

static int cmp_cond(const void *a, const void *b)
{
	const struct condition *x = a, *y = b;

	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return (x->others > y->others) - (x->others < y->others);
}

static int parse_condition(const char *s, struct condition *c)
{
	char *end;

	memset(c, 0, sizeof(*c));
	if (strlen(s) >= sizeof(c->name))
		return -1;
	strcpy(c->name, s);
	for (size_t i = 0; i < sizeof(cond_names) / sizeof(cond_names[0]); i++) {
		if (!strcmp(s, cond_names[i].name)) {
			c->kind = cond_names[i].kind;
			goto named;
		}
	}
	if (!strncmp(s, "others", 6) || !strncmp(s, "idle", 4)) {
		const char *num = s + (s[0] == 'o' ? 6 : 4);

		c->kind = s[0] == 'o' ? OTHERS : IDLE;
		c->others = strtol(num, &end, 10);
		if (end == num || *end || c->others < 1 || c->others > MAX_OTHERS)
			return -1;
	} else {
		return -1;
	}
named:
	if (c->kind == UNTRACKED)
		strcpy(c->name, "untracked");
	return 0;
}

/*
 * Prepared state of a condition, undone by cond_leave().  Every condition
 * has a group of sleeping processes, of one when it does not ask for N, so
 * that the conditions without N differ only in what is registered.
 */
static struct group others = { .cmd_fd = -1 };
static struct group target = { .cmd_fd = -1 };

/* The untracked conditions, which run on the baseline kernel too. */
static bool needs_tracker(const struct condition *c)
{
	return c->kind != UNTRACKED && c->kind != RLIMIT && c->kind != MEMCG;
}

/*
 * rlimit: the quotas of "quota" as the limits an unpatched kernel has.
 * RLIMIT_DATA limits the measure the heap quota limits (private writable
 * memory, mm->data_vm); RLIMIT_NOFILE bounds the descriptor numbers, the
 * file quota their count: here (descriptors 0 to a few) the same.
 */
static struct rlimit saved_data, saved_nofile;
static bool rlimits_saved;

static int rlimits_set(void)
{
	struct rlimit data = { QUOTA_HEAP_MB << 20, QUOTA_HEAP_MB << 20 };
	struct rlimit nofile = { QUOTA_FILES, QUOTA_FILES };

	if (getrlimit(RLIMIT_DATA, &saved_data) ||
	    getrlimit(RLIMIT_NOFILE, &saved_nofile)) {
		fail("getrlimit(RLIMIT_DATA, RLIMIT_NOFILE)");
		return -1;
	}
	rlimits_saved = true;
	if (setrlimit(RLIMIT_DATA, &data) || setrlimit(RLIMIT_NOFILE, &nofile)) {
		fail("setrlimit(RLIMIT_DATA, RLIMIT_NOFILE)");
		return -1;
	}
	return 0;
}

static bool rlimits_are_set(void)
{
	struct rlimit data, nofile;

	return !getrlimit(RLIMIT_DATA, &data) && !getrlimit(RLIMIT_NOFILE, &nofile) &&
	       data.rlim_cur == (rlim_t)QUOTA_HEAP_MB << 20 &&
	       nofile.rlim_cur == (rlim_t)QUOTA_FILES;
}

static void rlimits_restore(void)
{
	if (rlimits_saved && (setrlimit(RLIMIT_DATA, &saved_data) ||
			      setrlimit(RLIMIT_NOFILE, &saved_nofile)))
		fail("setrlimit(restore)");
	rlimits_saved = false;
}

/*
 * memcg: a memory cgroup of our own under the cgroup2 root, memory.max the
 * heap quota.  The root is /sys/fs/cgroup, mounted there if it is not yet
 * (else on a directory in /tmp).
 */
#define MEMCG_NAME	"restrack_bench"
static char cg_root[64];

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t len = (ssize_t)strlen(val), n = -1;

	if (fd >= 0) {
		n = write(fd, val, len);
		close(fd);
	}
	return n == len ? 0 : -1;
}

static int cg_write(const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", cg_root, file);
	return write_str(path, val);
}

/*
 * Find or mount the cgroup2 root with the memory controller; NULL, or why
 * the kernel cannot have a memory cgroup.
 */
static const char *memcg_unavailable(void)
{
	static const char *const roots[] = { "/sys/fs/cgroup", "/tmp/restrack_bench_cgroup" };
	char path[128], buf[256] = "";
	ssize_t n;
	int fd;

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(cg_root, sizeof(cg_root), "%s", roots[i]);
		snprintf(path, sizeof(path), "%s/cgroup.controllers", cg_root);
		if (!access(path, F_OK))
			break;
		if (i)
			mkdir(cg_root, 0755);
		if (!mount("cgroup2", cg_root, "cgroup2", 0, NULL))
			break;
		if (errno == ENODEV)
			return "no_cgroup2_(CONFIG_CGROUPS)";
	}
	snprintf(path, sizeof(path), "%s/cgroup.controllers", cg_root);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return "no_cgroup2_mount";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (!strstr(buf, "memory"))
		return "no_memory_controller_(CONFIG_MEMCG)";
	return NULL;
}

static int memcg_enter(void)
{
	char path[128], max[32];

	snprintf(path, sizeof(path), "%s/" MEMCG_NAME, cg_root);
	snprintf(max, sizeof(max), "%ld", QUOTA_HEAP_MB << 20);
	if (cg_write("cgroup.subtree_control", "+memory")) {
		fail("cgroup.subtree_control: +memory");
		return -1;
	}
	if (mkdir(path, 0755) && errno != EEXIST) {
		fail("mkdir cgroup " MEMCG_NAME);
		return -1;
	}
	if (cg_write(MEMCG_NAME "/memory.max", max)) {
		fail(MEMCG_NAME "/memory.max");
		return -1;
	}
	if (cg_write(MEMCG_NAME "/cgroup.procs", "0")) {
		fail(MEMCG_NAME "/cgroup.procs");
		return -1;
	}
	return 0;
}

/* Are we in our memory cgroup? */
static bool memcg_in(void)
{
	char buf[256] = "";
	int fd = open("/proc/self/cgroup", O_RDONLY);
	ssize_t n = -1;

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, "0::/" MEMCG_NAME "\n") != NULL;
}

static void memcg_leave(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/" MEMCG_NAME, cg_root);
	if (cg_write("cgroup.procs", "0"))
		fail("cgroup.procs (back to the root)");
	else if (rmdir(path))
		fail("rmdir cgroup " MEMCG_NAME);
}

/*
 * deny and inherit: this process registered through a pidfd, with flags,
 * and the quotas of "quota" with an action.  The pidfd is closed again, so
 * that the file table is the one of "quota".
 */
static int register_self_pidfd(unsigned int flags, uint32_t action)
{
	struct restrack_quota_args q = {
		.mask = RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES,
		.heap_bytes = (uint64_t)QUOTA_HEAP_MB << 20,
		.files = QUOTA_FILES,
		.heap_action = action,
		.files_action = action,
	};
	int pidfd = (int)syscall(__NR_pidfd_open, (long)getpid(), 0L);
	int ret = -1;

	if (pidfd < 0) {
		fail("pidfd_open(self)");
		return -1;
	}
	if (rt_pidfd_register(pidfd, flags)) {
		fail("restrack_pidfd_register(self)");
	} else {
		armed = true;
		if (rt_pidfd_set_quota(pidfd, &q, 0))
			fail("restrack_pidfd_set_quota(self)");
		else
			ret = 0;
	}
	close(pidfd);
	return ret;
}

/* Why this kernel cannot run condition @c, or NULL. */
static const char *cond_unavailable(const struct condition *c)
{
	if ((c->kind == DENY || c->kind == INHERIT) && !have_pidfd_calls)
		return "no_pidfd_calls_(ENOSYS)";
	if (c->kind == MEMCG)
		return memcg_unavailable();
	return NULL;
}

/* The workloads of the inherit condition: those that make processes. */
static bool fork_type(const char *workload)
{
	return !strcmp(workload, "fork_exit_wait") || !strcmp(workload, "vfork_exit");
}

static int register_self(void)
{
	if (rt_register(getpid())) {
		fail("register(self)");
		return -1;
	}
	armed = true;
	return 0;
}

static long group_size(const struct condition *c)
{
	return c->kind == OTHERS || c->kind == IDLE ? c->others : 1;
}

static int cond_enter(const struct condition *c)
{
	pid_t self = getpid();

	ensure_room(group_size(c));
	if (group_start(&others, group_size(c))) {
		fail("fork(sleepers)");
		return -1;
	}
	switch (c->kind) {
	case UNTRACKED:
		return 0;
	case RLIMIT:
		return rlimits_set();
	case MEMCG:
		return memcg_enter();
	case UNTRACKED_ARMED:
		if (rt_register(others.pids[0])) {
			fail("register(sleeper)");
			return -1;
		}
		armed = true;
		return 0;
	case TRACKED:
		return register_self();
	case QUOTA:
		if (register_self())
			return -1;
		if (rt_cap(self, QUOTA_HEAP_MB, QUOTA_FILES)) {
			fail("resource_cap(self)");
			return -1;
		}
		return 0;
	case DENY:
		return register_self_pidfd(0, RESTRACK_ACTION_DENY);
	case INHERIT:
		return register_self_pidfd(RESTRACK_INHERIT, RESTRACK_ACTION_KILL);
	case IDLE:
		return register_self();
	case OTHERS:
		for (long i = 0; i < c->others; i++) {
			if (rt_register(others.pids[i])) {
				fail("register(sleeper)");
				return -1;
			}
		}
		armed = true;
		return register_self();
	}
	return -1;
}

/* Is everything still as the condition says? */
static int cond_check(const struct condition *c)
{
	struct per_proc_resource r;
	bool self = rt_fetch(&r, getpid()) == 0;
	bool want_self = needs_tracker(c) && c->kind != UNTRACKED_ARMED;
	bool want_others = c->kind == OTHERS || c->kind == UNTRACKED_ARMED;

	if (c->kind == RLIMIT && !rlimits_are_set()) {
		errno = EINVAL;
		fail("the rlimits are not as the condition says");
		return -1;
	}
	if (c->kind == MEMCG && !memcg_in()) {
		errno = ENOENT;
		fail("this process is not in its memory cgroup");
		return -1;
	}
	if (!have_tracker)
		return 0;
	if (self != want_self) {
		errno = self ? EEXIST : ENOENT;
		fail("this process's tracking is not as the condition says");
		return -1;
	}
	for (long i = 0; i < others.n; i++) {
		bool tracked = rt_fetch(&r, others.pids[i]) == 0;

		if (tracked != (want_others && (c->kind == OTHERS || i == 0))) {
			errno = tracked ? EEXIST : ENOENT;
			fail("a sleeping process's tracking is not as the condition says");
			return -1;
		}
	}
	return 0;
}

static void cond_leave(const struct condition *c)
{
	pid_t self = getpid();

	switch (c->kind) {
	case UNTRACKED:
	case UNTRACKED_ARMED:
		break;
	case RLIMIT:
		rlimits_restore();
		break;
	case MEMCG:
		memcg_leave();
		break;
	case QUOTA:
	case DENY:
	case INHERIT:
		if (rt_reset(self))
			fail("resource_reset(self)");
		/* fall through */
	case TRACKED:
	case IDLE:
	case OTHERS:
		if (rt_deregister(self) && errno != ENOENT)
			fail("deregister(self)");
		break;
	}
	group_stop(&others);
}

/* ---------------------------------------------------------------------
 * Measurement.
 */

static uint64_t results[64][NR_WORKLOADS][MAX_REPS];
static bool selected[NR_WORKLOADS];
/* Iterations of each workload; 0 for the -n default. */
static long wl_iters[NR_WORKLOADS];

static long iters_of(int w)
{
	return wl_iters[w] ? wl_iters[w] : iters;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * One sleeping process at pid PID_ANCHOR, in every boot of either kernel.
 * The kernel finds a pid in a radix tree whose height follows the highest
 * pid in use (16 slots a node on these CONFIG_BASE_SMALL kernels), so
 * without it the 10,000 processes of others10000 or idle10000 would make
 * every pid lookup two levels deeper than in others1, tracked or not: the
 * getpgid_x2 control measured 1.123.  With the anchor the tree is as high in
 * every condition, and the scaling figures compare what they mean to: the
 * number of tracked processes.  The others take the pids after it.
 */
#define PID_ANCHOR	20000

#ifndef __NR_clone3
#define __NR_clone3	435
#endif

struct bench_clone_args {	/* struct clone_args up to set_tid_size */
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size;
};

static void anchor_start(void)
{
	pid_t tid = PID_ANCHOR;
	struct bench_clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&tid,
		.set_tid_size = 1,
	};
	long pid = syscall(__NR_clone3, &args, sizeof(args));

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		for (;;)
			pause();
	}
	if (pid != PID_ANCHOR)
		printf("BENCH-NOTE no process at pid %d (clone3: %s): pid lookups get deeper with N\n",
		       PID_ANCHOR, pid < 0 ? strerror(errno) : "another pid");
}

static int setup_workloads(void)
{
	int fd = open(TMPFILE, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0) {
		fail("create " TMPFILE);
		return -1;
	}
	dup_fd = fd;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, scm_sv)) {
		fail("socketpair");
		return -1;
	}
	if (group_start(&target, 1)) {
		fail("fork(target)");
		return -1;
	}
	target_pid = target.pids[0];
	return 0;
}

static void run_condition(int ci)
{
	const struct condition *c = &conds[ci];
	uint64_t t0 = now_ns();

	const char *why;

	if (!have_tracker && needs_tracker(c)) {
		printf("BENCH-SKIP cond=%s reason=ENOSYS\n", c->name);
		return;
	}
	why = cond_unavailable(c);
	if (why) {
		printf("BENCH-UNAVAILABLE cond=%s reason=%s\n", c->name, why);
		return;
	}
	if (!needs_tracker(c) && armed)
		printf("BENCH-NOTE cond=%s runs after a registration: the hooks are live\n",
		       c->name);
	if (cond_enter(c) || cond_check(c)) {
		printf("BENCH-SKIP cond=%s reason=setup-failed\n", c->name);
		cond_leave(c);
		return;
	}
	printf("BENCH-COND cond=%s others=%ld idle=%ld armed=%d setup_ns=%llu memfree_kb=%ld\n",
	       c->name, c->kind == OTHERS ? c->others : 0L,
	       c->kind == IDLE ? c->others : 0L, (int)armed,
	       (unsigned long long)(now_ns() - t0), mem_free_kb());
	settle(SETTLE_COND_MS);

	for (int w = 0; w < NR_WORKLOADS; w++) {
		long n = iters_of(w), warm = n / 100 < 10 ? 10 : n / 100;

		if (!selected[w] || (c->kind == INHERIT && !fork_type(workloads[w].name)))
			continue;
		for (int r = 0; r < reps; r++) {
			uint64_t start, end;
			long long cs;

			if (workloads[w].loop(warm)) {
				printf("BENCH-SKIP cond=%s workload=%s reason=%s\n",
				       c->name, workloads[w].name, strerror(errno));
				failed = true;
				break;
			}
			settle(SETTLE_REP_MS);
			cs = ctxt_switches();
			start = now_ns();
			if (workloads[w].loop(n)) {
				printf("BENCH-SKIP cond=%s workload=%s reason=%s\n",
				       c->name, workloads[w].name, strerror(errno));
				failed = true;
				break;
			}
			end = now_ns();
			cs = ctxt_switches() - cs;
			/* register_deregister from "untracked" arms the key. */
			if (!strcmp(workloads[w].name, "register_deregister") &&
			    have_tracker)
				armed = true;
			results[ci][w][r] = end - start;
			printf("BENCH cond=%s workload=%s rep=%d iters=%ld ns=%llu ctxt=%lld\n",
			       c->name, workloads[w].name, r + 1, n,
			       (unsigned long long)(end - start), cs);
		}
	}
	if (cond_check(c))
		printf("BENCH-INVALID cond=%s reason=state-changed-during-run\n", c->name);
	cond_leave(c);
	settle(SETTLE_COND_MS);
}

static void summary(void)
{
	printf("BENCH-SUMMARY median ns per operation (min-max), %d reps\n", reps);
	printf("BENCH-SUMMARY %-20s", "workload");
	for (int ci = 0; ci < nr_conds; ci++)
		printf(" %22s", conds[ci].name);
	printf("\n");
	for (int w = 0; w < NR_WORKLOADS; w++) {
		if (!selected[w])
			continue;
		printf("BENCH-SUMMARY %-20s", workloads[w].name);
		for (int ci = 0; ci < nr_conds; ci++) {
			uint64_t v[MAX_REPS];
			char cell[64];

			memcpy(v, results[ci][w], sizeof(uint64_t) * reps);
			qsort(v, reps, sizeof(v[0]), cmp_u64);
			if (!v[0]) {
				printf(" %22s", "-");
				continue;
			}
			snprintf(cell, sizeof(cell), "%.1f (%.1f-%.1f)",
				 (double)v[reps / 2] / iters_of(w),
				 (double)v[0] / iters_of(w),
				 (double)v[reps - 1] / iters_of(w));
			printf(" %22s", cell);
		}
		printf("\n");
	}
}

static void usage(void)
{
	printf("usage: restrack_bench [-n ITER] [-r REPS] [-c COND,...] [-w WORKLOAD[:ITER],...]\n");
	printf("conditions: untracked rlimit memcg untracked_armed tracked quota deny inherit idleN othersN\n");
	printf("workloads:");
	for (int w = 0; w < NR_WORKLOADS; w++)
		printf(" %s", workloads[w].name);
	printf("\n");
	exit(2);
}

static void parse_list(char *arg, void (*fn)(const char *))
{
	char *save = NULL;

	for (char *tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		fn(tok);
}

static void add_condition(const char *s)
{
	if (nr_conds >= (int)(sizeof(conds) / sizeof(conds[0])) ||
	    parse_condition(s, &conds[nr_conds])) {
		printf("restrack_bench: bad condition '%s'\n", s);
		usage();
	}
	for (int i = 0; i < nr_conds; i++)
		if (!strcmp(conds[i].name, conds[nr_conds].name))
			return;
	nr_conds++;
}

static void add_workload(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t len = colon ? (size_t)(colon - s) : strlen(s);

	for (int w = 0; w < NR_WORKLOADS; w++) {
		if (strlen(workloads[w].name) == len &&
		    !strncmp(workloads[w].name, s, len)) {
			selected[w] = true;
			if (colon) {
				char *end;

				wl_iters[w] = strtol(colon + 1, &end, 10);
				if (end == colon + 1 || *end || wl_iters[w] < 1)
					break;
			}
			return;
		}
	}
	printf("restrack_bench: bad workload '%s'\n", s);
	usage();
}

int main(int argc, char **argv)
{
	char defconds[] = "untracked,untracked_armed,tracked,quota,others1,others100,"
			  "others1000,others10000,idle10000";
	bool any_workload = false;
	struct utsname u;
	struct rlimit rl;
	int opt;

	if (argc == 6 && !strcmp(argv[1], SPAWNER_ARG))
		return spawner_main(argv);
	/*
	 * Without address-space randomisation, so that every boot, of either
	 * kernel, lays out the same addresses: a randomised 1 MiB mapping
	 * crosses a page-table boundary in some boots and not in others, and
	 * malloc_1m measured 27.4k or 32.7k instructions per call depending
	 * on the boot alone.
	 */
	if (!(personality(0xffffffff) & ADDR_NO_RANDOMIZE)) {
		personality(personality(0xffffffff) | ADDR_NO_RANDOMIZE);
		execv("/proc/self/exe", argv);
		perror("restrack_bench: re-exec without address randomisation");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "n:r:c:w:h")) != -1) {
		switch (opt) {
		case 'n':
			iters = strtol(optarg, NULL, 10);
			if (iters < 1)
				usage();
			break;
		case 'r':
			reps = atoi(optarg);
			if (reps < 1 || reps > MAX_REPS)
				usage();
			break;
		case 'c':
			parse_list(optarg, add_condition);
			break;
		case 'w':
			parse_list(optarg, add_workload);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (!nr_conds)
		parse_list(defconds, add_condition);
	for (int w = 0; w < NR_WORKLOADS; w++)
		any_workload |= selected[w];
	if (!any_workload)
		for (int w = 0; w < NR_WORKLOADS; w++)
			selected[w] = true;
	qsort(conds, nr_conds, sizeof(conds[0]), cmp_cond);

	pagesize = sysconf(_SC_PAGESIZE);
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	/* Room for the sleepers: root is not held by RLIMIT_NPROC, but be sure. */
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	setrlimit(RLIMIT_NPROC, &rl);
	ensure_room(0);
	anchor_start();

	/* fetch(NULL-ish, 0) is EINVAL with the tracker, ENOSYS without. */
	errno = 0;
	have_tracker = !(rt_fetch(NULL, 0) && errno == ENOSYS);
	/* And the pidfd calls: EBADF for the bad pidfd, ENOSYS without them. */
	errno = 0;
	have_pidfd_calls = !(rt_pidfd_register(-1, 0) && errno == ENOSYS);
	uname(&u);
	printf("BENCH-INFO tracker=%s pidfd_calls=%s machine=%s release=%s iters=%ld reps=%d pagesize=%ld\n",
	       have_tracker ? "yes" : "no", have_pidfd_calls ? "yes" : "no",
	       u.machine, u.release, iters, reps, pagesize);

	if (setup_workloads()) {
		printf("BENCH-DONE status=failed\n");
		return 1;
	}
	for (int ci = 0; ci < nr_conds; ci++)
		run_condition(ci);
	summary();
	group_stop(&target);
	close(scm_sv[0]);
	close(scm_sv[1]);
	close(dup_fd);
	unlink(TMPFILE);
	printf("BENCH-DONE status=%s\n", failed ? "failed" : "ok");
	return failed ? 1 : 0;
}
