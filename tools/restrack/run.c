// SPDX-License-Identifier: GPL-2.0
/*
 * restrack run: run a command tracked and limited.
 *
 * The child waits, before it execs CMD, until the parent has registered it
 * through a pidfd (with RESTRACK_INHERIT unless --no-inherit: the processes
 * CMD starts are tracked from their first instruction) and set its quotas;
 * tracking and quotas survive exec.  The parent then waits for CMD with
 * WNOWAIT, reads why it died from restrack_pidfd_get(2) on the zombie (no
 * kernel log: nothing that dmesg_restrict closes, no PID to match across PID
 * namespaces), and only then reaps it.
 *
 * The child waits on a futex in a shared anonymous page, not on a pipe: a
 * pipe would be one more open file when the file quota is set, and a shared
 * mapping is not private writable memory, so it is not heap either.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434	/* the same on x86_64 and arm64 */
#endif
/* waitid()'s P_PIDFD (Linux 5.4), whatever the C library's headers say. */
#define RUN_P_PIDFD ((idtype_t)3)

enum go { GO_WAIT, GO_EXEC, GO_ABORT };

enum stage {
	STAGE_WAITING,		/* before exec: restrack's own image */
	STAGE_EXEC,		/* exec next */
	STAGE_EXEC_FAILED,
};

struct run_shared {
	int go;			/* futex word: enum go */
	volatile int stage;
	volatile int err;
};

static volatile pid_t child_pid;
int die_signal;

/*
 * Pass a signal on to CMD, except one the terminal sent (^C, ^\): the
 * terminal sent it to CMD too, as it is in our process group (sudo does
 * the same).  CMD is not reaped before the handlers are gone, so its pid
 * is still its own.
 */
static void forward_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (si && si->si_code == SI_KERNEL)
		return;
	if (child_pid > 0)
		kill(child_pid, sig);
}

/*
 * Die of @sig, as CMD did, so that a shell sees CMD's death (bash stops a
 * loop on a SIGINT death, not on exit status 130); no core file of our
 * own.  Returns only when @sig does not kill us.
 */
void die_of(int sig)
{
	struct rlimit no_core = { 0, 0 };
	struct sigaction sa;
	sigset_t set;

	setrlimit(RLIMIT_CORE, &no_core);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	fflush(stdout);
	fflush(stderr);
	raise(sig);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void futex_wait(int *word, int val)
{
	syscall(SYS_futex, word, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void release_child(struct run_shared *sh, enum go go)
{
	__atomic_store_n(&sh->go, go, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &sh->go, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void child(struct run_shared *sh, pid_t parent, char **cmd)
{
	int go;

	/* Should restrack die before it lets us go, do not run CMD untracked. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(EXIT_RUN_FAIL);
	while ((go = __atomic_load_n(&sh->go, __ATOMIC_SEQ_CST)) == GO_WAIT)
		futex_wait(&sh->go, GO_WAIT);
	if (go != GO_EXEC)
		_exit(EXIT_RUN_FAIL);
	prctl(PR_SET_PDEATHSIG, 0);
	sh->stage = STAGE_EXEC;
	execvp(cmd[0], cmd);
	sh->err = errno;
	sh->stage = STAGE_EXEC_FAILED;
	_exit(errno == ENOENT ? EXIT_RUN_NOENT : EXIT_RUN_NOEXEC);
}

static char *basename_of(char *path)
{
	char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* "64 MiB (67108864 bytes)" */
static char *bytes_text(unsigned long long n, char *buf, size_t size)
{
	char a[RESTRACK_SIZE_BUFSZ];

	snprintf(buf, size, "%s (%llu bytes)", restrack_format_size(n, a, sizeof(a)), n);
	return buf;
}

/* The kernel's reason, for the text and the JSON report. */
static void report_reason(pid_t pid, const char *name, const struct restrack_info *ri,
			  bool before_exec)
{
	struct kill_info k;
	char lim[64], use[64];
	bool heap = ri->killed == RESTRACK_KILLED_HEAP;

	memset(&k, 0, sizeof(k));
	k.pid = pid;
	snprintf(k.comm, sizeof(k.comm), "%s", name);
	k.kind = heap ? KILL_HEAP : KILL_FILES;
	k.usage = (unsigned long)ri->kill_usage;
	/* kill_info keeps the heap quota in MiB: whole, or rounded up. */
	k.quota = heap ? (long)((ri->kill_limit + RESTRACK_MIB - 1) / RESTRACK_MIB) :
			 (long)ri->kill_limit;
	report_kill(&k);

	if (heap) {
		bytes_text(ri->kill_limit, lim, sizeof(lim));
		bytes_text(ri->kill_usage, use, sizeof(use));
	} else {
		snprintf(lim, sizeof(lim), "%llu", (unsigned long long)ri->kill_limit);
		snprintf(use, sizeof(use), "%llu open file%s",
			 (unsigned long long)ri->kill_usage, ri->kill_usage == 1 ? "" : "s");
	}
	if (before_exec)
		note("pid %d (%s) killed before it could start: %s quota %s is below "
		     "what restrack itself used (usage %s); give a larger --%s",
		     (int)pid, name, heap ? "heap" : "file", lim, use,
		     heap ? "heap" : "files");
	else
		note("pid %d (%s) killed: %s quota %s exceeded (usage %s)", (int)pid,
		     name, heap ? "heap" : "file", lim, use);
}

/* CMD was killed by a signal: say which, and why when the kernel knows. */
static void report_signal(pid_t pid, const char *name, int sig, bool core,
			  int get_ret, int get_err, const struct restrack_info *ri,
			  bool before_exec)
{
	if (sig != SIGKILL) {
		if (sig != SIGINT && sig != SIGPIPE)
			note("pid %d (%s) was killed by signal %d (SIG%s: %s)%s",
			     (int)pid, name, sig, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
			     strsignal(sig), core ? ", core dumped" : "");
		return;
	}
	if (get_ret == 0 && (ri->killed == RESTRACK_KILLED_HEAP ||
			     ri->killed == RESTRACK_KILLED_FILES)) {
		report_reason(pid, name, ri, before_exec);
		return;
	}
	if (get_ret == 0 || (get_ret < 0 && get_err == ENOENT))
		note("pid %d (%s) was killed by SIGKILL, not by a quota", (int)pid, name);
	else if (get_ret == RESTRACK_GET_USAGE_ONLY || get_err == ENOSYS)
		note("pid %d (%s) was killed by SIGKILL; this kernel cannot say "
		     "whether by a quota (it lacks restrack_pidfd_get(2))", (int)pid, name);
	else
		note("pid %d (%s) was killed by SIGKILL; why is unknown: "
		     "restrack_pidfd_get: %s", (int)pid, name, strerror(get_err));
}

/* Why the pidfd calls failed, before CMD started; the exit status. */
static int setup_failed(const char *cmd, pid_t pid, enum restrack_op op, int err,
			bool inherit, bool deny)
{
	char msg[512];

	if (err == ENOSYS && restrack_available()) {
		if (op == RESTRACK_OP_REGISTER && inherit)
			error_note(0, err, "cannot run %s: this kernel lacks "
				   "restrack_pidfd_register(2), which limits the processes "
				   "%s starts too; give --no-inherit to limit %s alone",
				   cmd, cmd, cmd);
		else if (deny)
			error_note(0, err, "cannot run %s: --deny needs "
				   "restrack_pidfd_set_quota(2), which this kernel lacks",
				   cmd);
		else
			error_note(0, err, "cannot run %s: this kernel lacks the pidfd "
				   "calls", cmd);
		return EXIT_RUN_FAIL;
	}
	error_note(pid, err, "cannot run %s: %s", cmd,
		   restrack_describe_error(op, pid, err, msg, sizeof(msg)));
	return EXIT_RUN_FAIL;
}

/* Wait for CMD to end, as waitid() with @flags; EINTR is a forwarded signal. */
static int wait_cmd(int pidfd, siginfo_t *si, int flags)
{
	int ret;

	do {
		memset(si, 0, sizeof(*si));
		ret = waitid(RUN_P_PIDFD, (id_t)pidfd, si, flags);
	} while (ret < 0 && errno == EINTR);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "heap", required_argument, NULL, 'H' },
		{ "files", required_argument, NULL, 'F' },
		{ "deny", optional_argument, NULL, 'd' },
		{ "no-inherit", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const int forwarded[] = {
		SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2,
	};
	struct restrack_quota_args q = {
		.mask = RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES,
		.heap_bytes = RESTRACK_NO_QUOTA,
		.files = RESTRACK_NO_QUOTA,
	};
	const char *heap_str = NULL;
	struct heap_arg h = { .mib = RESTRACK_UNLIMITED };
	long files = RESTRACK_UNLIMITED;
	bool cap = false, quiet = false, inherit = true, pidfd_calls;
	unsigned int deny = 0;
	struct restrack_info ri;
	struct sigaction sa, old;
	sigset_t block, old_mask;
	struct run_shared *sh;
	int c, pidfd, ret, get_ret, get_err;
	char msg[512], **cmd, *name;
	siginfo_t si;
	size_t i;
	pid_t pid, self = getpid();

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:qjh", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			heap_str = optarg;
			cap = true;
			break;
		case 'F':
			if (parse_file_quota(optarg, &files)) {
				usage_error("run", "--files '%s' is not a count (a number "
					    "from 0, or unlimited)", optarg);
				return EXIT_RUN_FAIL;
			}
			cap = true;
			break;
		case 'd':
			if (run_deny_parse(optarg, &deny)) {
				usage_error("run", "--deny='%s': give heap, files, or no "
					    "value for both", optarg);
				return EXIT_RUN_FAIL;
			}
			break;
		case 'n':
			inherit = false;
			break;
		case 'q':
			quiet = true;
			break;
		case 'j':
			json_output = true;
			break;
		case 'h':
			return cmd_help("run");
		case ':':
			usage_error("run", "option '%s' needs a value", argv[optind - 1]);
			return EXIT_RUN_FAIL;
		default:
			usage_error("run", "unknown option '%s'", argv[optind - 1]);
			return EXIT_RUN_FAIL;
		}
	}
	if (optind >= argc) {
		usage_error("run", "give a command to run");
		return EXIT_RUN_FAIL;
	}
	cmd = argv + optind;
	name = basename_of(cmd[0]);
	if (heap_str && heap_quota_arg(heap_str, &h, msg, sizeof(msg)) < 0) {
		usage_error("run", "%s", msg);
		return EXIT_RUN_FAIL;
	}
	if (deny && !run_deny_fits(deny, h.mib >= 0, files >= 0, msg, sizeof(msg))) {
		usage_error("run", "%s", msg);
		return EXIT_RUN_FAIL;
	}
	if (!restrack_available()) {
		error_note(0, ENOSYS, "%s", restrack_strerror(-ENOSYS));
		return EXIT_RUN_FAIL;
	}
	if (heap_str && !quiet && msg[0])
		note("%s", msg);
	pidfd_calls = restrack_pidfd_available();
	/* Whole MiB, as cap sets it and resource_cap(2) would. */
	if (h.mib >= 0)
		q.heap_bytes = (unsigned long long)h.mib * RESTRACK_MIB;
	if (files >= 0)
		q.files = (unsigned long long)files;
	q.heap_action = deny & RUN_DENY_HEAP ? RESTRACK_ACTION_DENY : RESTRACK_ACTION_KILL;
	q.files_action = deny & RUN_DENY_FILES ? RESTRACK_ACTION_DENY : RESTRACK_ACTION_KILL;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		error_note(0, errno, "cannot run %s: %s", cmd[0], strerror(errno));
		return EXIT_RUN_FAIL;
	}
	memset(sh, 0, sizeof(*sh));

	/*
	 * We wait for CMD: an ignored SIGCHLD (inherited through exec) would
	 * have the kernel reap it and waitid() fail with ECHILD.  CMD gets
	 * the default disposition too, as it would from a shell.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);

	/* Signals to pass on wait until the handlers are in place. */
	sigemptyset(&block);
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&block, forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		error_note(0, errno, "cannot run %s: fork: %s", cmd[0], strerror(errno));
		return EXIT_RUN_FAIL;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		child(sh, self, cmd);
	}
	child_pid = pid;

	/*
	 * Pass the signals on, but the terminal's, which CMD has already.  A
	 * signal ignored when we started (a background job's SIGINT) stays
	 * ignored, for CMD too.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward_signal;
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
		if (sigaction(forwarded[i], NULL, &old) || old.sa_handler != SIG_IGN)
			sigaction(forwarded[i], &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);

	/* Our own unreaped child: its pid cannot be reused. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		error_note(0, errno, "cannot run %s: pidfd_open: %s", cmd[0],
			   strerror(errno));
		ret = EXIT_RUN_FAIL;
		goto abort;
	}
	if (restrack_pidfd_register(pidfd, inherit ? RESTRACK_INHERIT : 0)) {
		ret = setup_failed(cmd[0], pid, RESTRACK_OP_REGISTER, errno, inherit,
				   deny);
		goto abort;
	}
	if (cap && restrack_pidfd_set_quota(pidfd, &q, sizeof(q), 0)) {
		ret = setup_failed(cmd[0], pid, RESTRACK_OP_CAP, errno, inherit, deny);
		goto abort;
	}
	release_child(sh, GO_EXEC);

	/* Wait, leave the zombie, read why it died, then reap it. */
	if (wait_cmd(pidfd, &si, WEXITED | WNOWAIT) < 0) {
		error_note(pid, errno, "waiting for %s (pid %d): %s", cmd[0], (int)pid,
			   strerror(errno));
		return EXIT_RUN_FAIL;
	}
	/* Without the pidfd calls (--no-inherit) no call knows the reason. */
	memset(&ri, 0, sizeof(ri));
	get_ret = pidfd_calls ? restrack_pidfd_get(pidfd, &ri, sizeof(ri), 0) : -1;
	get_err = pidfd_calls ? errno : ENOSYS;
	if (wait_cmd(pidfd, &si, WEXITED) < 0) {
		error_note(pid, errno, "waiting for %s (pid %d): %s", cmd[0], (int)pid,
			   strerror(errno));
		return EXIT_RUN_FAIL;
	}
	child_pid = 0;
	close(pidfd);

	if (sh->stage == STAGE_EXEC_FAILED) {
		error_note(pid, sh->err, "cannot run %s: %s", cmd[0], strerror(sh->err));
		return sh->err == ENOENT ? EXIT_RUN_NOENT : EXIT_RUN_NOEXEC;
	}
	if (si.si_code == CLD_EXITED)
		return si.si_status;
	if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) {
		report_signal(pid, name, si.si_status, si.si_code == CLD_DUMPED, get_ret,
			      get_err, &ri, sh->stage != STAGE_EXEC);
		die_signal = si.si_status;	/* main() dies of it */
		return 128 + si.si_status;
	}
	return EXIT_RUN_FAIL;

abort:
	/* CMD never ran: let the child go without it, and reap it. */
	release_child(sh, GO_ABORT);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	child_pid = 0;
	if (pidfd >= 0)
		close(pidfd);
	return ret;
}
