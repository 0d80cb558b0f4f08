// SPDX-License-Identifier: GPL-2.0
/*
 * restrack run: run a command tracked and limited.
 *
 * The child registers itself, sets its quotas and execs the command:
 * tracking and quotas survive exec.  The parent waits; when the command
 * dies by SIGKILL it looks for the kernel's kill line for the child's pid
 * in /dev/kmsg (opened before the fork, positioned at its end) or, when
 * that cannot be opened, in the syslog buffer (klogctl), and says which
 * quota was crossed and by how much.
 *
 * The child reports its progress in a shared anonymous page, not a pipe:
 * a pipe would be one more open file when the file quota is set, and a
 * shared mapping is not private writable memory, so it is not heap either.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

enum stage {
	STAGE_FORKED,
	STAGE_REGISTERED,
	STAGE_CAPPING,		/* usage read; resource_cap next */
	STAGE_EXEC,		/* capped; exec next */
	STAGE_REGISTER_FAILED,
	STAGE_CAP_FAILED,
	STAGE_EXEC_FAILED,
};

struct run_shared {
	volatile int stage;
	volatile int err;
	volatile unsigned long heap;	/* usage just before resource_cap */
	volatile unsigned long files;
};

static volatile pid_t child_pid;
int die_signal;

/*
 * Pass a signal on to CMD, except one the terminal sent (^C, ^\): the
 * terminal sent it to CMD too, as it is in our process group (sudo does
 * the same).
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

static void child(struct run_shared *sh, long heap, long files, bool cap,
		  char **cmd)
{
	struct restrack_usage u;
	int ret;

	ret = restrack_register(getpid());
	if (ret) {
		sh->err = -ret;
		sh->stage = STAGE_REGISTER_FAILED;
		_exit(EXIT_RUN_FAIL);
	}
	sh->stage = STAGE_REGISTERED;
	if (cap) {
		if (restrack_fetch(getpid(), &u) == 0) {
			sh->heap = u.heap_bytes;
			sh->files = u.files;
		}
		sh->stage = STAGE_CAPPING;
		ret = restrack_cap(getpid(), heap, files);
		if (ret) {
			sh->err = -ret;
			sh->stage = STAGE_CAP_FAILED;
			_exit(EXIT_RUN_FAIL);
		}
	}
	sh->stage = STAGE_EXEC;
	execvp(cmd[0], cmd);
	sh->err = errno;
	sh->stage = STAGE_EXEC_FAILED;
	_exit(errno == ENOENT ? EXIT_RUN_NOENT : EXIT_RUN_NOEXEC);
}

/* Read the /dev/kmsg records written since @kfd was opened. */
static int kmsg_find(int kfd, pid_t pid, struct kill_info *k)
{
	char rec[8192];
	struct kill_info tmp;
	ssize_t n;
	int ret = -ENOENT;

	for (;;) {
		n = read(kfd, rec, sizeof(rec) - 1);
		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue;	/* EPIPE: records overwritten; go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (kill_line_parse(rec, &tmp) == 0 && tmp.pid == pid) {
			*k = tmp;
			ret = 0;
		}
	}
	return ret;
}

/* The syslog buffer, when /dev/kmsg cannot be opened. */
static int klog_find(pid_t pid, struct kill_info *k)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf;
	int n, ret;

	if (size <= 0)
		size = 1 << 20;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return -ENOMEM;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n < 0) {
		ret = -errno;
		free(buf);
		return ret;
	}
	buf[n] = '\0';
	ret = kill_find(buf, pid, k);
	free(buf);
	return ret;
}

static char *basename_of(char *path)
{
	char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static char *quota_list(char *buf, size_t size, long heap, long files)
{
	char h[32];

	if (heap >= 0 && files >= 0)
		snprintf(buf, size, "heap %s, files %ld",
			 restrack_format_size((unsigned long long)heap * RESTRACK_MIB,
					      h, sizeof(h)), files);
	else if (heap >= 0)
		snprintf(buf, size, "heap %s",
			 restrack_format_size((unsigned long long)heap * RESTRACK_MIB,
					      h, sizeof(h)));
	else if (files >= 0)
		snprintf(buf, size, "files %ld", files);
	else
		snprintf(buf, size, "none set");
	return buf;
}

static void report_signal(pid_t pid, const char *name, int status, int kfd,
			  const struct run_shared *sh, long heap, long files)
{
	int sig = WTERMSIG(status);
	char msg[512], q[64], a[32];
	struct kill_info k;
	enum over_quota over;
	int ret;
	bool before_exec = sh->stage != STAGE_EXEC;

	if (sig != SIGKILL) {
		if (sig != SIGINT && sig != SIGPIPE)
			note("pid %d (%s) was killed by signal %d (SIG%s: %s)%s",
			     (int)pid, name, sig, sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
			     strsignal(sig), WCOREDUMP(status) ? ", core dumped" : "");
		return;
	}
	if (kfd >= 0)
		ret = kmsg_find(kfd, pid, &k);
	else
		ret = klog_find(pid, &k);
	if (ret == 0 && !before_exec) {
		format_kill(msg, sizeof(msg), &k);
		report_kill(&k);
		note("pid %d (%s) was %s", (int)pid, k.comm[0] ? k.comm : name, msg);
		return;
	}
	over = sh->stage == STAGE_CAPPING ?
		over_quota(heap, files, sh->heap, sh->files, NULL, 0) : OVER_NONE;
	if (ret == 0 || over) {
		/* The kernel's figure if it logged one, else the child's own. */
		bool heap_kill = ret == 0 ? k.kind == KILL_HEAP : over == OVER_HEAP;
		unsigned long usage = ret == 0 ? k.usage : heap_kill ? sh->heap : sh->files;

		if (ret == 0)
			report_kill(&k);
		if (heap_kill)
			note("the heap quota of %ld MiB is below what the process used "
			     "before it could start %s (%lu bytes, %s): the kernel killed "
			     "it at once; give a larger --heap", heap, name, usage,
			     restrack_format_size(usage, a, sizeof(a)));
		else
			note("the file quota of %ld is below the %lu files the process had "
			     "open before it could start %s: the kernel killed it at once; "
			     "give a larger --files", files, usage, name);
		return;
	}
	if (heap < 0 && files < 0) {
		note("pid %d (%s) was killed by SIGKILL", (int)pid, name);
		return;
	}
	quota_list(q, sizeof(q), heap, files);
	if (ret == -ENOENT)
		note("pid %d (%s) was killed by SIGKILL; the kernel log has no restrack "
		     "line for it, so not by a quota (%s) unless the line was "
		     "rate-limited", (int)pid, name, q);
	else
		note("pid %d (%s) was killed by SIGKILL (probably a quota: %s; the "
		     "kernel log, which would say, is unreadable: %s)", (int)pid,
		     name, q, strerror(-ret));
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "heap", required_argument, NULL, 'H' },
		{ "files", required_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const int forwarded[] = {
		SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2,
	};
	struct heap_arg h = { .mib = RESTRACK_UNLIMITED };
	long heap, files = RESTRACK_UNLIMITED;
	bool cap = false, quiet = false;
	struct sigaction sa;
	sigset_t block, old_mask;
	struct run_shared *sh;
	int c, kfd, status = 0;
	char msg[512], **cmd;
	size_t i;
	pid_t pid;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:qjh", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (heap_arg_parse(optarg, &h, msg, sizeof(msg))) {
				usage_error("run", "%s", msg);
				return EXIT_RUN_FAIL;
			}
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
	heap = h.mib;
	cmd = argv + optind;
	if (!restrack_available()) {
		error_note(0, ENOSYS, "%s", restrack_strerror(-ENOSYS));
		return EXIT_RUN_FAIL;
	}
	if (!quiet && heap_arg_rounding(&h, msg, sizeof(msg)))
		note("%s", msg);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		error_note(0, errno, "cannot run %s: %s", cmd[0], strerror(errno));
		return EXIT_RUN_FAIL;
	}
	memset((void *)sh, 0, sizeof(*sh));
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);

	/*
	 * We wait for CMD: an ignored SIGCHLD (inherited through exec) would
	 * have the kernel reap it and waitpid() fail with ECHILD.  CMD gets
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
		if (kfd >= 0)
			close(kfd);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		child(sh, heap, files, cap, cmd);
	}
	child_pid = pid;

	/* Pass the signals on, but the terminal's, which CMD has already. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward_signal;
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			error_note(pid, errno, "waiting for %s (pid %d): %s", cmd[0],
				   (int)pid, strerror(errno));
			return EXIT_RUN_FAIL;
		}
	}
	child_pid = 0;

	switch (sh->stage) {
	case STAGE_REGISTER_FAILED:
		error_note(pid, sh->err, "cannot run %s: %s", cmd[0],
			   restrack_describe_error(RESTRACK_OP_REGISTER, pid, sh->err,
						   msg, sizeof(msg)));
		return EXIT_RUN_FAIL;
	case STAGE_CAP_FAILED:
		error_note(pid, sh->err, "cannot run %s: %s", cmd[0],
			   restrack_describe_error(RESTRACK_OP_CAP, pid, sh->err, msg,
						   sizeof(msg)));
		return EXIT_RUN_FAIL;
	case STAGE_EXEC_FAILED:
		error_note(pid, sh->err, "cannot run %s: %s", cmd[0], strerror(sh->err));
		return sh->err == ENOENT ? EXIT_RUN_NOENT : EXIT_RUN_NOEXEC;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		report_signal(pid, basename_of(cmd[0]), status, kfd,
			      (const struct run_shared *)sh, heap, files);
		die_signal = WTERMSIG(status);	/* main() dies of it */
		return 128 + WTERMSIG(status);
	}
	return EXIT_RUN_FAIL;
}
