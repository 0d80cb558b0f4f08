// SPDX-License-Identifier: GPL-2.0
/*
 * Guest tests for "restrack run" on the pidfd calls: inheritance, the deny
 * action, the kill's reason read from the kernel (unprivileged, with
 * dmesg_restrict, in a PID namespace), the fallback for a kernel without
 * the pidfd calls (made with ptrace), SIGCHLD ignored, and signals.
 * Run as /prog by the test initramfs with a static restrack in /bin
 * (scripts/vm-run.sh -f build/ARCH-static/restrack ...).
 *
 * The command run is this program again in a helper mode (argv[1] ==
 * "--helper"): it allocates heap, opens files, starts children, or reads
 * its own record with restrack_pidfd_get(2).
 */
#define _GNU_SOURCE

/* kselftest_harness.h is not -Wextra clean (unused "variant" parameters). */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <sched.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "guest_tool_helpers.h"

#define HELPER "--helper"
#define EXIT_ENOMEM 42		/* helper: heap refused, alive */
#define EXIT_EMFILE 43		/* helper: descriptor refused, alive */

static char self_path[PATH_MAX];

static bool pidfd_calls(void)
{
	/* size 0 is EINVAL where the call exists. */
	return !(rt_pidfd_get(-1, NULL, 0, 0) == -1 && errno == ENOSYS);
}

#define REQUIRE_PIDFD() do { \
	REQUIRE_RESTRACK(); \
	if (!pidfd_calls()) \
		SKIP(return, "no restrack pidfd calls (ENOSYS)"); \
} while (0)

/* "child 2: signal 9" lines of the spawn helper: how many say @what. */
static int count_lines(const char *out, const char *what)
{
	const char *p = out;
	int n = 0;

	while ((p = strstr(p, what))) {
		n++;
		p += strlen(what);
	}
	return n;
}

/* The number after @key in @s, or -1. */
static long long num_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* ---------------------------------------------------------------------
 * Inheritance.
 */

/* make -j3 shaped: a parent starts three hogs at once and waits. */
TEST(run_limits_every_child_by_default)
{
	static struct result r;

	REQUIRE_PIDFD();
	EXPECT_EQ(0, TOOL_RUN(&r, "run", "--heap", "16M", "--", self_path, HELPER,
			      "spawn", "3", "heap", "64")) TH_LOG_RESULT(&r);
	/* Each child was killed by its own quota; the parent lived. */
	EXPECT_EQ(3, count_lines(r.out, ": signal 9\n")) TH_LOG_RESULT(&r);
	EXPECT_EQ(NULL, strstr(r.out, "done")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "spawned 3\n")) TH_LOG_RESULT(&r);
	/* A child's own record: inherited flags, quota and action. */
	EXPECT_EQ(0, TOOL_RUN(&r, "run", "--heap", "16M", "--files", "20", "--", self_path,
			      HELPER, "spawn", "1", "report")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "get=0 flags=1 heap_quota=16777216 files_quota=20 "
			       "heap_action=0 files_action=0")) TH_LOG_RESULT(&r);
	/* Grandchildren too: the children's children inherit in turn. */
	EXPECT_EQ(0, TOOL_RUN(&r, "run", "--heap", "16M", "--", self_path, HELPER,
			      "spawn", "1", "spawn", "2", "heap", "64")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, count_lines(r.out, ": signal 9\n")) TH_LOG_RESULT(&r);
	EXPECT_EQ(1, count_lines(r.out, ": exit 0\n")) TH_LOG_RESULT(&r);
}

TEST(run_no_inherit_limits_cmd_alone)
{
	static struct result r;

	REQUIRE_PIDFD();
	EXPECT_EQ(0, TOOL_RUN(&r, "run", "--no-inherit", "--heap", "16M", "--", self_path,
			      HELPER, "spawn", "3", "heap", "64")) TH_LOG_RESULT(&r);
	EXPECT_EQ(3, count_lines(r.out, "done\n")) TH_LOG_RESULT(&r);
	EXPECT_EQ(3, count_lines(r.out, ": exit 0\n")) TH_LOG_RESULT(&r);
	/* The child is not tracked; CMD is, without RESTRACK_INHERIT. */
	EXPECT_EQ(0, TOOL_RUN(&r, "run", "--no-inherit", "--heap", "16M", "--", self_path,
			      HELPER, "spawn", "1", "report")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "get=-1 errno=2\n")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "run", "--no-inherit", "--heap", "16M", "--", self_path,
			      HELPER, "report")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "get=0 flags=0 heap_quota=16777216 ")) TH_LOG_RESULT(&r);
	/* Whole MiB, as cap sets it, and said. */
	EXPECT_EQ(0, TOOL_RUN(&r, "run", "--no-inherit", "--heap", "7.5M", "--", self_path,
			      HELPER, "report")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "get=0 flags=0 heap_quota=8388608 ")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "rounded up to 8 MiB")) TH_LOG_RESULT(&r);
	/* But CMD itself is limited. */
	EXPECT_EQ(128 + SIGKILL, TOOL_RUN(&r, "run", "--no-inherit", "--heap", "16M", "--",
					  self_path, HELPER, "heap", "64")) TH_LOG_RESULT(&r);
}

/* ---------------------------------------------------------------------
 * --deny.
 */
TEST(run_deny_refuses_growth_and_cmd_lives)
{
	static struct result r;
	long long at;

	REQUIRE_PIDFD();
	EXPECT_EQ(EXIT_ENOMEM, TOOL_RUN(&r, "run", "--deny", "--heap", "16M", "--", self_path,
					HELPER, "heap", "64")) TH_LOG_RESULT(&r);
	at = num_after(r.out, "enomem after ");
	EXPECT_LT(10, at) TH_LOG_RESULT(&r);
	EXPECT_GE(16, at) TH_LOG_RESULT(&r);
	EXPECT_STREQ("", r.err);
	EXPECT_EQ(EXIT_ENOMEM, TOOL_RUN(&r, "run", "--deny=heap", "--heap", "16M", "--",
					self_path, HELPER, "heap", "64")) TH_LOG_RESULT(&r);
	/* stdin, stdout, stderr: 7 more make 10. */
	EXPECT_EQ(EXIT_EMFILE, TOOL_RUN(&r, "run", "--deny", "--files", "10", "--", self_path,
					HELPER, "files", "50")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "emfile after 7\n")) TH_LOG_RESULT(&r);
	/* --deny=heap leaves the file quota's kill action. */
	EXPECT_EQ(128 + SIGKILL, TOOL_RUN(&r, "run", "--deny=heap", "--heap", "64M", "--files",
					  "10", "--", self_path, HELPER, "files", "50"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(EXIT_EMFILE, TOOL_RUN(&r, "run", "--deny=files", "--heap", "64M", "--files",
					"10", "--", self_path, HELPER, "files", "50"))
		TH_LOG_RESULT(&r);
	/* The children inherit the action. */
	EXPECT_EQ(0, TOOL_RUN(&r, "run", "--deny", "--heap", "16M", "--", self_path, HELPER,
			      "spawn", "2", "heap", "64")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, count_lines(r.out, ": exit 42\n")) TH_LOG_RESULT(&r);
	/* As an unprivileged user (deny on a new quota lifts nothing). */
	if (!geteuid()) {
		EXPECT_EQ(EXIT_ENOMEM, TOOL_AS(&r, NOBODY, "run", "--deny", "--heap", "16M",
					       "--", self_path, HELPER, "heap", "64"))
			TH_LOG_RESULT(&r);
	}
}

TEST(run_deny_usage_errors)
{
	static struct result r;

	REQUIRE_RESTRACK();
	EXPECT_EQ(125, TOOL_RUN(&r, "run", "--deny=memory", "--heap", "8M", "--", "/prog"))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "--deny='memory': give heap, files, or no value"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(125, TOOL_RUN(&r, "run", "--deny=files", "--heap", "8M", "--", "/prog"))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "--deny=files needs --files")) TH_LOG_RESULT(&r);
	EXPECT_EQ(125, TOOL_RUN(&r, "run", "--deny", "--", "/prog")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "--deny needs --heap, --files or both")) TH_LOG_RESULT(&r);
	/* Nothing ran. */
	EXPECT_STREQ("", r.out);
}

/* ---------------------------------------------------------------------
 * The kill's reason, from the kernel.
 */
static void check_heap_reason(struct __test_metadata *_metadata, const struct result *r,
			      unsigned long quota)
{
	char want[128];
	long long usage;

	EXPECT_EQ(128 + SIGKILL, r->status) TH_LOG_RESULT(r);
	fmt(want, sizeof(want), "(prog) killed: heap quota %lu MiB (%lu bytes) exceeded "
	    "(usage ", quota / MiB, quota);
	ASSERT_NE(NULL, strstr(r->err, want)) TH_LOG_RESULT(r);
	usage = num_after(strstr(r->err, want) + strlen(want), "(");
	/* The mapping that crossed it: one MiB at most past the quota. */
	EXPECT_LT((long long)quota, usage) TH_LOG_RESULT(r);
	EXPECT_GE((long long)(quota + MiB), usage) TH_LOG_RESULT(r);
	EXPECT_EQ(NULL, strstr(r->out, "done")) TH_LOG_RESULT(r);
}

TEST(run_reports_the_kernels_kill_reason)
{
	static struct result r;
	char obj[512];
	long long v;

	REQUIRE_PIDFD();
	TOOL_RUN(&r, "run", "--heap", "8M", "--", self_path, HELPER, "heap", "64");
	check_heap_reason(_metadata, &r, 8 * MiB);
	EXPECT_TRUE(starts_with(r.err, "restrack: pid ")) TH_LOG_RESULT(&r);
	EXPECT_EQ(128 + SIGKILL, TOOL_RUN(&r, "run", "--files", "10", "--", self_path,
					  HELPER, "files", "50")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "(prog) killed: file quota 10 exceeded (usage 11 open "
			       "files)\n")) TH_LOG_RESULT(&r);
	/* A SIGKILL that is no quota's is not called one. */
	EXPECT_EQ(128 + SIGKILL, TOOL_RUN(&r, "run", "--heap", "8M", "--", self_path, HELPER,
					  "signal", "9")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "(prog) was killed by SIGKILL, not by a quota\n"))
		TH_LOG_RESULT(&r);
	/* A quota below restrack's own usage kills before CMD starts. */
	EXPECT_EQ(128 + SIGKILL, TOOL_RUN(&r, "run", "--files", "1", "--", self_path, HELPER,
					  "exit", "0")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "(prog) killed before it could start: file quota 1 is "
			       "below what restrack itself used (usage ")) TH_LOG_RESULT(&r);
	EXPECT_EQ(128 + SIGKILL, TOOL_RUN(&r, "run", "--heap", "0", "--", self_path, HELPER,
					  "exit", "0")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "(prog) killed before it could start: heap quota 0 B "
			       "(0 bytes) is below what restrack itself used (usage "))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "); give a larger --heap\n")) TH_LOG_RESULT(&r);
	/* The JSON report carries the kernel's figures. */
	EXPECT_EQ(128 + SIGKILL, TOOL_RUN(&r, "run", "--json", "--heap", "8M", "--", self_path,
					  HELPER, "heap", "64")) TH_LOG_RESULT(&r);
	ASSERT_NE(NULL, strstr(r.err, "\"kill\":{")) TH_LOG_RESULT(&r);
	snprintf(obj, sizeof(obj), "%s", strstr(r.err, "\"kill\":{"));
	EXPECT_NE(NULL, strstr(obj, "\"quota\":\"heap\"")) TH_LOG("%s", obj);
	EXPECT_TRUE(json_num(obj, "limit", &v) && v == (long long)(8 * MiB)) TH_LOG("%s", obj);
	EXPECT_TRUE(json_num(obj, "usage", &v) && v > (long long)(8 * MiB)) TH_LOG("%s", obj);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

TEST(run_kill_reason_unprivileged_with_dmesg_restrict)
{
	static struct result r;
	char old[8] = "0";
	int fd;

	REQUIRE_PIDFD();
	if (geteuid())
		SKIP(return, "needs root");
	fd = open("/proc/sys/kernel/dmesg_restrict", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, old, sizeof(old) - 1));
	close(fd);
	ASSERT_EQ(0, write_file("/proc/sys/kernel/dmesg_restrict", "1"));
	TOOL_AS(&r, NOBODY, "run", "--heap", "8M", "--", self_path, HELPER, "heap", "64");
	write_file("/proc/sys/kernel/dmesg_restrict", old);
	check_heap_reason(_metadata, &r, 8 * MiB);
}

/*
 * run_as() hook: restrack becomes the init of a new PID namespace (the
 * PID namespace's first process), CMD its pid 2; this process waits and
 * passes its status on.
 */
static void into_pid_namespace(void)
{
	int st = 0;
	pid_t pid;

	if (unshare(CLONE_NEWPID))
		_exit(97);
	pid = fork();
	if (pid < 0)
		_exit(97);
	if (pid == 0)
		return;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			_exit(97);
	if (WIFSIGNALED(st)) {
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
	}
	_exit(WEXITSTATUS(st));
}

TEST(run_kill_reason_in_a_pid_namespace)
{
	static struct result r;

	REQUIRE_PIDFD();
	run_as_hook = into_pid_namespace;
	TOOL_RUN(&r, "run", "--heap", "8M", "--", self_path, HELPER, "heap", "64");
	run_as_hook = NULL;
	check_heap_reason(_metadata, &r, 8 * MiB);
	/* The pid restrack names is the namespace's. */
	EXPECT_TRUE(starts_with(r.err, "restrack: pid 2 (prog) killed: ")) TH_LOG_RESULT(&r);
	run_as_hook = into_pid_namespace;
	TOOL_RUN(&r, "run", "--heap", "16M", "--", self_path, HELPER, "spawn", "2", "heap",
		 "64");
	run_as_hook = NULL;
	EXPECT_EQ(0, r.status) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, count_lines(r.out, ": signal 9\n")) TH_LOG_RESULT(&r);
}

/* ---------------------------------------------------------------------
 * A kernel without the pidfd calls: restrack runs under ptrace, which
 * skips calls 553-555 (the kernel then returns ENOSYS), as strace
 * --inject=553..555:error=ENOSYS would.  The test kernels have no seccomp.
 */
#include <sys/ptrace.h>
#include <sys/user.h>

#if defined(__x86_64__)
/* Syscall entry: no call, which the kernel answers with -ENOSYS. */
static void skip_call(pid_t pid)
{
	struct user_regs_struct regs;

	if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) == 0) {
		regs.orig_rax = (unsigned long long)-1;
		ptrace(PTRACE_SETREGS, pid, NULL, &regs);
	}
}
#elif defined(__aarch64__)
#include <elf.h>
#include <sys/uio.h>

/* Syscall entry: no call (NO_SYSCALL), and -ENOSYS in x0 as its result. */
static void skip_call(pid_t pid)
{
	struct user_regs_struct regs;
	struct iovec iov = { &regs, sizeof(regs) };
	int nr = -1;
	struct iovec sc = { &nr, sizeof(nr) };

	if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov))
		return;
	regs.regs[0] = (unsigned long long)-ENOSYS;
	ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRSTATUS, &iov);
	ptrace(PTRACE_SETREGSET, pid, (void *)NT_ARM_SYSTEM_CALL, &sc);
}
#endif

/* At a syscall stop: the entry of a pidfd call becomes no call. */
static void skip_pidfd_call(pid_t pid)
{
	struct __ptrace_syscall_info info;

	memset(&info, 0, sizeof(info));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(info), &info) <= 0 ||
	    info.op != PTRACE_SYSCALL_INFO_ENTRY ||
	    info.entry.nr < __NR_restrack_pidfd_register ||
	    info.entry.nr > __NR_restrack_pidfd_get)
		return;
	skip_call(pid);
}

/* run_as() hook: this process traces restrack, which its child becomes. */
static void pidfd_calls_enosys(void)
{
	int st = 0, sig;
	pid_t pid = fork();

	if (pid < 0)
		_exit(96);
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) || raise(SIGSTOP))
			_exit(96);
		return;
	}
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st) ||
	    ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACESYSGOOD |
				PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)))
		_exit(96);
	sig = 0;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig))
			_exit(96);
		sig = 0;
		if (waitpid(pid, &st, 0) != pid)
			_exit(96);
		if (WIFEXITED(st))
			_exit(WEXITSTATUS(st));
		if (WIFSIGNALED(st)) {
			signal(WTERMSIG(st), SIG_DFL);
			raise(WTERMSIG(st));
			_exit(96);
		}
		if (WSTOPSIG(st) == (SIGTRAP | 0x80))
			skip_pidfd_call(pid);
		else if (st >> 16 != PTRACE_EVENT_EXEC && WSTOPSIG(st) != SIGSTOP)
			sig = WSTOPSIG(st);
	}
}

TEST(run_without_the_pidfd_calls)
{
	static struct result r;

	REQUIRE_PIDFD();
	run_as_hook = pidfd_calls_enosys;
	/* Inheritance cannot be had: a clear error, nothing run. */
	EXPECT_EQ(125, TOOL_RUN(&r, "run", "--heap", "8M", "--", self_path, HELPER, "exit",
				"0")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "lacks restrack_pidfd_register(2), which limits the "
			       "processes")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "give --no-inherit to limit")) TH_LOG_RESULT(&r);
	EXPECT_EQ(125, TOOL_RUN(&r, "run", "--no-inherit", "--deny", "--heap", "8M", "--",
				self_path, HELPER, "exit", "0")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "--deny needs restrack_pidfd_set_quota(2)"))
		TH_LOG_RESULT(&r);
	/* --no-inherit: register(2) and resource_cap(2) (whole MiB) instead. */
	EXPECT_EQ(128 + SIGKILL, TOOL_RUN(&r, "run", "--no-inherit", "--heap", "7.5M", "--",
					  self_path, HELPER, "heap", "64")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "rounded up to 8 MiB")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "this kernel cannot say whether by a quota"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "run", "--no-inherit", "--heap", "16M", "--", self_path,
			      HELPER, "heap", "4")) TH_LOG_RESULT(&r);
	run_as_hook = NULL;
}

/* ---------------------------------------------------------------------
 * Signals.
 */
static void ignore_sigchld(void)
{
	signal(SIGCHLD, SIG_IGN);
}

TEST(run_with_sigchld_ignored)
{
	static struct result r;

	REQUIRE_PIDFD();
	run_as_hook = ignore_sigchld;
	TOOL_RUN(&r, "run", "--", self_path, HELPER, "exit", "7");
	EXPECT_EQ(7, r.status) TH_LOG_RESULT(&r);
	EXPECT_STREQ("", r.err);
	/* The zombie stays for restrack_pidfd_get: the reason is there too. */
	TOOL_RUN(&r, "run", "--heap", "8M", "--", self_path, HELPER, "heap", "64");
	run_as_hook = NULL;
	check_heap_reason(_metadata, &r, 8 * MiB);
}

/* SIGINT, SIGTERM, SIGHUP to restrack reach CMD; restrack dies of them. */
TEST(run_forwards_signals_and_dies_of_them)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	char c = 0, line[64];
	ssize_t n;
	pid_t pid;
	int i, out, st = 0;

	REQUIRE_PIDFD();
	for (i = 0; i < 3; i++) {
		pid = run_started(&out, (char *const[]){ TOOL, "run", "--", self_path, HELPER,
							 "pause", NULL });
		ASSERT_LT(0, pid);
		ASSERT_EQ(1, read(out, &c, 1));
		EXPECT_EQ('R', c);
		ASSERT_EQ(0, kill(pid, sigs[i]));
		/* CMD says which signal reached it, then dies of it. */
		n = read(out, line, sizeof(line) - 1);
		line[n > 0 ? n : 0] = '\0';
		EXPECT_EQ(sigs[i], num_after(line, "got ")) TH_LOG("signal %d: '%s'", sigs[i], line);
		close(out);
		EXPECT_EQ(0, wait_within(pid, 5000, &st)) TH_LOG("signal %d not passed on", sigs[i]);
		EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == sigs[i])
			TH_LOG("signal %d: status %#x", sigs[i], st);
		EXPECT_FALSE(WCOREDUMP(st));
	}
}

/* CMD dies of a signal: so does restrack, a shell loop's ^C stops the loop. */
TEST(run_dies_of_cmds_signal)
{
	static struct result r;
	static const int sigs[] = { SIGINT, SIGTERM, SIGKILL };
	char n[8];
	int i;

	REQUIRE_PIDFD();
	for (i = 0; i < 3; i++) {
		TOOL_RUN(&r, "run", "--", self_path, HELPER, "signal",
			 fmt(n, sizeof(n), "%d", sigs[i]));
		EXPECT_TRUE(WIFSIGNALED(r.wstatus) && WTERMSIG(r.wstatus) == sigs[i])
			TH_LOG_RESULT(&r);
	}
	/* A quota kill too, after the report. */
	TOOL_RUN(&r, "run", "--files", "10", "--", self_path, HELPER, "files", "50");
	EXPECT_TRUE(WIFSIGNALED(r.wstatus) && WTERMSIG(r.wstatus) == SIGKILL) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "killed: file quota 10 exceeded")) TH_LOG_RESULT(&r);
}

/* ---------------------------------------------------------------------
 * Helper modes: what "restrack run" runs.
 */
static volatile sig_atomic_t got_signal;

static void note_signal(int sig)
{
	got_signal = sig;
}

static int say(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* Unbuffered: a kill must not lose what was said before it. */
static int say(const char *f, ...)
{
	char buf[256];
	va_list ap;
	int len;

	va_start(ap, f);
	len = vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	return write(1, buf, (size_t)len) == len ? 0 : -1;
}

static int helper_main(int argc, char **argv)
{
	long i, n = argc > 3 ? atol(argv[3]) : 0;
	const char *mode = argc > 2 ? argv[2] : "";
	struct restrack_info ri;
	int st, fd;
	pid_t pid;

	if (!strcmp(mode, "exit"))
		return (int)n;
	if (!strcmp(mode, "signal")) {
		raise((int)n);
		return 99;
	}
	if (!strcmp(mode, "pause")) {
		sigset_t block, old;

		/* Blocked until sigsuspend(): a signal right after "R" is not lost. */
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGHUP);
		sigprocmask(SIG_BLOCK, &block, &old);
		signal(SIGINT, note_signal);
		signal(SIGTERM, note_signal);
		signal(SIGHUP, note_signal);
		if (write(1, "R", 1) != 1)
			return 3;
		while (!got_signal)
			sigsuspend(&old);
		sigprocmask(SIG_SETMASK, &old, NULL);
		say("got %d\n", (int)got_signal);
		signal((int)got_signal, SIG_DFL);
		raise((int)got_signal);
		return 99;
	}
	if (!strcmp(mode, "heap")) {
		for (i = 0; i < n; i++) {
			if (mmap(NULL, MiB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
				 0) == MAP_FAILED) {
				if (errno != ENOMEM)
					return 2;
				say("enomem after %ld\n", i);
				return EXIT_ENOMEM;
			}
		}
		return say("done\n") ? 3 : 0;
	}
	if (!strcmp(mode, "files")) {
		for (i = 0; i < n; i++) {
			if (open("/dev/null", O_RDONLY) < 0) {
				if (errno != EMFILE)
					return 2;
				say("emfile after %ld\n", i);
				return EXIT_EMFILE;
			}
		}
		return say("done\n") ? 3 : 0;
	}
	if (!strcmp(mode, "report")) {
		fd = (int)syscall(__NR_pidfd_open, getpid(), 0);
		memset(&ri, 0, sizeof(ri));
		if (fd < 0 || rt_pidfd_get(fd, &ri, sizeof(ri), 0))
			return say("get=-1 errno=%d\n", errno) ? 3 : 0;
		return say("get=0 flags=%llu heap_quota=%llu files_quota=%llu heap_action=%u "
			   "files_action=%u\n", (unsigned long long)ri.flags,
			   (unsigned long long)ri.heap_quota,
			   (unsigned long long)ri.files_quota, ri.heap_action,
			   ri.files_action) ? 3 : 0;
	}
	if (!strcmp(mode, "spawn")) {
		/* spawn N MODE ARGS...: N children at once, then wait for all. */
		for (i = 0; i < n; i++) {
			pid = fork();
			if (pid < 0)
				return 2;
			if (pid == 0) {
				argv[3] = argv[2] = (char *)HELPER;
				execv(self_path, argv + 2);
				_exit(98);
			}
		}
		say("spawned %ld\n", n);
		while ((pid = wait(&st)) > 0) {
			if (WIFSIGNALED(st))
				say("child %d: signal %d\n", (int)pid, WTERMSIG(st));
			else
				say("child %d: exit %d\n", (int)pid, WEXITSTATUS(st));
		}
		return 0;
	}
	return 100;
}

int main(int argc, char **argv)
{
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);

	if (n <= 0)
		return 1;
	self_path[n] = '\0';
	if (argc >= 2 && !strcmp(argv[1], HELPER))
		return helper_main(argc, argv);
	return test_harness_run(argc, argv);
}
