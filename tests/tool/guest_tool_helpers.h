/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for guest_tool_test.c: running /bin/restrack and capturing its
 * output, sleeping target processes, the five system calls and a little
 * JSON and screen reading.  Include after kselftest_harness.h.
 */
#ifndef GUEST_TOOL_HELPERS_H
#define GUEST_TOOL_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/resource_tracker.h>

#define TOOL "/bin/restrack"
#define STATUS_PATH "/proc/tracker_status"
#define NOBODY 65534
#define MiB (1024UL * 1024UL)
#define OUT_SIZE 65536

#ifndef __NR_close_range
#define __NR_close_range 436
#endif

/* ---------------------------------------------------------------------
 * The system calls, raw: the reference the tool is checked against.
 */
#include "../restrack_syscalls.h"

static inline bool restrack_present(void)
{
	errno = 0;
	return !(syscall(__NR_fetch, NULL, 0L) == -1 && errno == ENOSYS);
}

static inline bool have_status(void)
{
	return access(STATUS_PATH, R_OK) == 0;
}

/* restrack_pidfd_get(2) on @pid, raw: 0 or -1 and errno. */
static inline int rt_get(pid_t pid, struct restrack_info *info)
{
	int fd = (int)syscall(__NR_pidfd_open, pid, 0), ret, err;

	if (fd < 0)
		return -1;
	memset(info, 0, sizeof(*info));
	ret = (int)rt_pidfd_get(fd, info, sizeof(*info), 0);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

#define REQUIRE_RESTRACK() do { \
	if (!restrack_present()) \
		SKIP(return, "no restrack system calls (ENOSYS)"); \
	if (access(TOOL, X_OK)) \
		SKIP(return, TOOL " missing: vm-run.sh -f path/to/static/restrack"); \
} while (0)

/* ---------------------------------------------------------------------
 * Running the tool.
 */
struct result {
	int status;		/* exit code, or 128 + signal */
	int wstatus;		/* as waitpid() returned it */
	char out[OUT_SIZE];	/* stdout */
	char err[OUT_SIZE];	/* stderr */
};

static inline void close_from(int fd)
{
	if (syscall(__NR_close_range, fd, ~0U, 0U))
		for (; fd < 1024; fd++)
			close(fd);
}

static inline int become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -1;
	/* setuid clears "dumpable"; same-uid ptrace read checks need it. */
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

/* Exit code or 128 + signal; the raw status in *@raw when not NULL. */
static inline int wait_status_raw(pid_t pid, int *raw)
{
	int st = 0;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (raw)
		*raw = st;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

static inline int wait_status(pid_t pid)
{
	return wait_status_raw(pid, NULL);
}

/* Called in run_as()'s child just before the exec, when set. */
static void (*run_as_hook)(void);

/*
 * Run argv (argv[0] is the program) as @uid (-1: as we are), stdin from
 * /dev/null; capture stdout and stderr.  Returns the exit code too.
 */
static inline int run_as(struct result *r, long uid, char *const argv[])
{
	int o[2], e[2], n, i;
	struct pollfd pfd[2];
	size_t len[2] = { 0, 0 };
	char *buf[2] = { r->out, r->err };
	pid_t pid;
	ssize_t got;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe(o) || pipe(e))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		dup2(nul, 0);
		dup2(o[1], 1);
		dup2(e[1], 2);
		close_from(3);
		if (uid >= 0 && become((uid_t)uid))
			_exit(99);
		if (run_as_hook)
			run_as_hook();
		execv(argv[0], argv);
		_exit(98);
	}
	close(o[1]);
	close(e[1]);
	pfd[0].fd = o[0];
	pfd[1].fd = e[0];
	for (n = 2; n > 0;) {
		pfd[0].events = pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			got = read(pfd[i].fd, buf[i] + len[i], OUT_SIZE - 1 - len[i]);
			if (got <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				n--;
			} else {
				len[i] += (size_t)got;
			}
		}
	}
	r->out[len[0]] = '\0';
	r->err[len[1]] = '\0';
	r->status = wait_status_raw(pid, &r->wstatus);
	return r->status;
}

#define TOOL_RUN(_r, ...) run_as((_r), -1, (char *const[]){ TOOL, __VA_ARGS__, NULL })
#define TOOL_AS(_r, _uid, ...) run_as((_r), (_uid), (char *const[]){ TOOL, __VA_ARGS__, NULL })

/* Log a result when a check on it fails. */
#define TH_LOG_RESULT(_r) \
	TH_LOG("exit %d\n--- stdout ---\n%s--- stderr ---\n%s", (_r)->status, \
	       (_r)->out, (_r)->err)

/* ---------------------------------------------------------------------
 * Sleepers: children blocked in read() until released, so their usage
 * does not move while the tool and the test look.
 */
struct sleeper {
	pid_t pid;
	int release;
};

static inline char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

static inline int sleeper_start(struct sleeper *s, const char *comm, long uid)
{
	int rel[2], rdy[2], i;
	char c = 0;

	s->pid = -1;
	s->release = -1;
	if (pipe(rel) || pipe(rdy))
		return -1;
	fflush(stdout);
	fflush(stderr);
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		/* Keep no other sleeper's release pipe open. */
		for (i = 3; i < 1024; i++)
			if (i != rel[0] && i != rdy[1])
				close(i);
		if (uid >= 0 && become((uid_t)uid))
			_exit(3);
		prctl(PR_SET_NAME, comm, 0, 0, 0);
		if (write(rdy[1], "R", 1) != 1)
			_exit(4);
		close(rdy[1]);
		while (read(rel[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(rel[0]);
	close(rdy[1]);
	s->release = rel[1];
	if (read(rdy[0], &c, 1) != 1 || c != 'R') {
		close(rdy[0]);
		return -1;
	}
	close(rdy[0]);
	for (i = 0; i < 3000 && proc_state(s->pid) != 'S'; i++)
		usleep(1000);
	return 0;
}

/* Release it; its exit code or 128 + signal. */
static inline int sleeper_stop(struct sleeper *s)
{
	int st;

	if (s->pid <= 0)
		return -1;
	close(s->release);
	st = wait_status(s->pid);
	s->pid = -1;
	return st;
}

static inline pid_t reaped_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		wait_status(pid);
	return pid;
}

/* ---------------------------------------------------------------------
 * Reading output.
 */
static inline char *fmt(char *buf, size_t size, const char *f, ...)
	__attribute__((format(printf, 3, 4)));

static inline char *fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, size, f, ap);
	va_end(ap);
	return buf;
}

/*
 * The JSON object {"pid":PID,...} in @json (pid < 1: the first object),
 * copied to @obj.  A flat object: no nested braces.
 */
static inline bool json_object_of(const char *json, int pid, char *obj, size_t size)
{
	char key[48];
	const char *p, *end;

	snprintf(key, sizeof(key), "{\"pid\":%d,", pid);
	p = pid > 0 ? strstr(json, key) : strstr(json, "{\"pid\":");
	if (!p)
		return false;
	end = strchr(p, '}');
	if (!end || (size_t)(end - p + 2) > size)
		return false;
	memcpy(obj, p, (size_t)(end - p + 1));
	obj[end - p + 1] = '\0';
	return true;
}

/* "key":NUMBER in a flat object; false when absent or null. */
static inline bool json_num(const char *obj, const char *key, long long *out)
{
	char k[64], *e;
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(obj, k);
	if (!p)
		return false;
	p += strlen(k);
	if (!strncmp(p, "null", 4))
		return false;
	*out = strtoll(p, &e, 10);
	return e != p;
}

static inline bool json_is_null(const char *obj, const char *key)
{
	char k[64];

	snprintf(k, sizeof(k), "\"%s\":null", key);
	return strstr(obj, k) != NULL;
}

static inline bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Drop ANSI escape sequences (ESC [ params letter, ESC x). */
static inline void strip_ansi(char *s)
{
	char *w = s, *r = s;

	while (*r) {
		if (*r == '\033') {
			r++;
			if (*r == '[') {
				r++;
				while (*r && !(*r >= '@' && *r <= '~'))
					r++;
			}
			if (*r)
				r++;
			continue;
		}
		if (*r != '\r')
			*w++ = *r;
		r++;
	}
	*w = '\0';
}

/* The line of @text that contains @needle, copied to @line. */
static inline bool line_with(const char *text, const char *needle, char *line, size_t size)
{
	const char *p = strstr(text, needle), *b, *e;

	if (!p)
		return false;
	for (b = p; b > text && b[-1] != '\n'; b--)
		;
	e = strchr(p, '\n');
	if (!e)
		e = p + strlen(p);
	if ((size_t)(e - b) >= size)
		return false;
	memcpy(line, b, (size_t)(e - b));
	line[e - b] = '\0';
	return true;
}

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------------
 * Running restrack run on its own, to signal it.
 */
/* restrack run in its own process group, its stdout a pipe; -1 on failure. */
static inline pid_t run_started(int *out, char *const argv[])
{
	int o[2];
	pid_t pid;

	if (pipe(o))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		dup2(o[1], 1);
		close_from(3);
		execv(argv[0], argv);
		_exit(98);
	}
	setpgid(pid, pid);
	close(o[1]);
	*out = o[0];
	return pid;
}

/* Its status within @ms, or -1 (then its whole group is killed). */
static inline int wait_within(pid_t pid, int ms, int *raw)
{
	long long end = now_ms() + ms;
	pid_t got;

	while (now_ms() < end) {
		got = waitpid(pid, raw, WNOHANG);
		if (got == pid)
			return 0;
		usleep(10000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, raw, 0);
	return -1;
}

#endif /* GUEST_TOOL_HELPERS_H */
