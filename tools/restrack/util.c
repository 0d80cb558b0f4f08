// SPDX-License-Identifier: GPL-2.0
/*
 * restrack(1): parsing of the command line, /proc/tracker_status and the
 * kernel's kill log line; reading /proc.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tool.h"

/* ---------------------------------------------------------------------
 * Command line values.
 */

/* Plain decimal digits, no sign, no space; 0 or -EINVAL / -ERANGE. */
static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (max - (unsigned long)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	*out = v;
	return 0;
}

int parse_pid(const char *s, pid_t *pid)
{
	unsigned long v;
	int ret = parse_ulong(s, INT_MAX, &v);

	if (ret)
		return ret;
	if (v < 1)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

static bool is_unlimited(const char *s)
{
	return !strcasecmp(s, "unlimited") || !strcasecmp(s, "none") ||
	       !strcmp(s, "-1");
}

int parse_heap_quota(const char *s, long *mib, unsigned long long *bytes,
		     int *rounded)
{
	unsigned long long b;
	int ret;

	*rounded = 0;
	if (is_unlimited(s)) {
		*mib = RESTRACK_UNLIMITED;
		*bytes = 0;
		return 0;
	}
	if (*s == '-' || *s == '+')
		return -EINVAL;
	ret = restrack_parse_size(s, &b);
	if (ret)
		return ret;
	ret = restrack_bytes_to_mib(b, mib);
	if (ret < 0)
		return ret;
	*bytes = b;
	*rounded = ret;
	return 0;
}

/* Digits and at most a fraction: a size without a unit, which is bytes. */
static bool bare_number(const char *s)
{
	for (; *s; s++)
		if (!(*s >= '0' && *s <= '9') && !strchr(". \t", *s))
			return false;
	return true;
}

/*
 * A --heap value for cap and run: 0, or -EINVAL / -ERANGE with the reason
 * in @why.  A bare number is bytes; one under 1 MiB (but 0) is refused,
 * since the kernel would make it 1 MiB and 512 most likely meant 512M.
 */
int heap_arg_parse(const char *s, struct heap_arg *h, char *why, size_t size)
{
	char num[32];
	size_t n;
	int ret, rounded;

	memset(h, 0, sizeof(*h));
	ret = parse_heap_quota(s, &h->mib, &h->bytes, &rounded);
	if (ret == -ERANGE) {
		snprintf(why, size, "--heap '%s' is too large", s);
		return ret;
	}
	if (ret) {
		snprintf(why, size, "--heap '%s' is not a size (like 512K, 64M, 1.5GiB, "
			 "or unlimited)", s);
		return ret;
	}
	h->rounded = rounded;
	if (h->mib >= 0 && h->bytes && h->bytes < RESTRACK_MIB && bare_number(s)) {
		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		snprintf(num, sizeof(num), "%.*s", (int)(n < 20 ? n : 20), s);
		snprintf(why, size, "--heap '%s' is %llu bytes, which the kernel would "
			 "round up to 1 MiB: did you mean %sM? (write %sB for bytes)",
			 num, h->bytes, num, num);
		return -EINVAL;
	}
	return 0;
}

/* The note for a --heap value that was rounded up; NULL when it was not. */
const char *heap_arg_rounding(const struct heap_arg *h, char *buf, size_t size)
{
	char a[32];

	if (!h->rounded)
		return NULL;
	snprintf(buf, size, "heap quota %s (%llu bytes) rounded up to %ld MiB: the "
		 "kernel counts whole MiB", restrack_format_size(h->bytes, a, sizeof(a)),
		 h->bytes, h->mib);
	return buf;
}

/*
 * Which of the quotas @heap_quota bytes and @files (RESTRACK_UNLIMITED:
 * none) the usage @heap bytes and @nfiles is over; the heap first.  With
 * @what, says by how much: "4.2 MiB (4403200 bytes), over the heap quota
 * of 4 MiB".
 */
enum over_quota over_quota(long long heap_quota, long files, unsigned long heap,
			   unsigned long nfiles, char *what, size_t size)
{
	char a[32], b[32];

	if (heap_quota >= 0 && heap > (unsigned long long)heap_quota) {
		if (what)
			snprintf(what, size, "%s (%lu bytes), over the heap quota of "
				 "%s", restrack_format_size(heap, a, sizeof(a)), heap,
				 heap_quota % RESTRACK_MIB ?
				 restrack_format_size((unsigned long long)heap_quota,
						      b, sizeof(b)) :
				 (snprintf(b, sizeof(b), "%llu MiB",
					   heap_quota / RESTRACK_MIB), b));
		return OVER_HEAP;
	}
	if (files >= 0 && nfiles > (unsigned long)files) {
		if (what)
			snprintf(what, size, "%lu open file%s, over the file quota of %ld",
				 nfiles, nfiles == 1 ? "" : "s", files);
		return OVER_FILES;
	}
	if (what && size)
		what[0] = '\0';
	return OVER_NONE;
}

int parse_file_quota(const char *s, long *quota)
{
	unsigned long v;
	int ret;

	if (is_unlimited(s)) {
		*quota = RESTRACK_UNLIMITED;
		return 0;
	}
	ret = parse_ulong(s, LONG_MAX, &v);
	if (ret)
		return ret;
	*quota = (long)v;
	return 0;
}

int parse_delay(const char *s, double *seconds)
{
	char *end;
	double d;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	d = strtod(s, &end);
	if (errno || *end || !(d >= 0.05 && d <= 86400.0))
		return -EINVAL;
	*seconds = d;
	return 0;
}

/* ---------------------------------------------------------------------
 * /proc/tracker_status: a header, then
 *   PID HEAP_BYTES FILES HEAP_QUOTA_MB FILE_QUOTA STATE COMM
 * with single spaces; COMM is the rest of the line.
 */
static const char *num_field(const char *p, bool sign, long long *out)
{
	const char *start = p;
	unsigned long long v = 0;
	bool neg = false;

	if (sign && *p == '-') {
		neg = true;
		p++;
	}
	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return NULL;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (*p != ' ' || p == start)
		return NULL;
	if (neg)
		*out = -(long long)v;
	else
		*out = (long long)v;
	return p + 1;
}

int status_parse_line(const char *line, struct rt_proc *p)
{
	long long v[5];
	const char *s = line;
	size_t n;
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < 5; i++) {
		s = num_field(s, i >= 3, &v[i]);
		if (!s)
			return -EINVAL;
	}
	if (v[0] < 1 || v[0] > INT_MAX || v[3] < -1 || v[4] < -1 ||
	    v[3] > (long long)(LLONG_MAX / RESTRACK_MIB) || v[4] > LONG_MAX)
		return -EINVAL;
	if (!*s || *s == ' ' || *s == '\n' || s[1] != ' ')
		return -EINVAL;
	p->pid = (pid_t)v[0];
	p->heap = (unsigned long)v[1];
	p->files = (unsigned long)v[2];
	p->heap_quota = v[3] < 0 ? RESTRACK_UNLIMITED :
			(long long)((unsigned long long)v[3] * RESTRACK_MIB);
	p->file_quota = (long)v[4];
	p->quotas_known = true;
	p->state = s[0];
	s += 2;
	n = strcspn(s, "\n");
	if (n >= sizeof(p->comm))
		n = sizeof(p->comm) - 1;
	memcpy(p->comm, s, n);
	p->comm[n] = '\0';
	p->uid = -1;
	return 0;
}

/* Parse a whole file; lines that do not parse are skipped. */
int status_parse(const char *buf, struct rt_proc **list, size_t *n)
{
	struct rt_proc *v = NULL, *nv, p;
	size_t count = 0, cap = 0;
	const char *line = buf, *next;

	*list = NULL;
	*n = 0;
	if (strncmp(buf, "PID ", 4))
		return -EINVAL;
	for (line = strchr(buf, '\n'); line && *++line; line = next) {
		next = strchr(line, '\n');
		if (status_parse_line(line, &p) == 0) {
			if (count == cap) {
				cap = cap ? 2 * cap : 16;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
			}
			v[count++] = p;
		}
		if (!next)
			break;
	}
	*list = v;
	*n = count;
	return 0;
}

static int add_pid(pid_t **pids, size_t *n, pid_t pid)
{
	pid_t *np;
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*pids)[i] == pid)
			return 0;
	np = realloc(*pids, (*n + 1) * sizeof(**pids));
	if (!np)
		return -ENOMEM;
	*pids = np;
	(*pids)[(*n)++] = pid;
	return 0;
}

/*
 * Only the PID column of /proc/tracker_status, each pid once: which
 * processes to ask the kernel about.  A command name is the rest of its
 * line, and a tracker module that does not escape it lets "\n1 0 0 1 1 S x"
 * (prctl(PR_SET_NAME)) forge a row: nothing else of a row is believed.
 */
int status_parse_pids(const char *buf, pid_t **pids, size_t *n)
{
	const char *line, *p;
	unsigned long v;
	int ret;

	*pids = NULL;
	*n = 0;
	if (strncmp(buf, "PID ", 4))
		return -EINVAL;
	for (line = strchr(buf, '\n'); line && *++line; line = strchr(line, '\n')) {
		for (v = 0, p = line; *p >= '0' && *p <= '9' && v <= INT_MAX; p++)
			v = v * 10 + (unsigned long)(*p - '0');
		if (p == line || *p != ' ' || v < 1 || v > INT_MAX)
			continue;
		ret = add_pid(pids, n, (pid_t)v);
		if (ret) {
			free(*pids);
			*pids = NULL;
			*n = 0;
			return ret;
		}
	}
	return 0;
}

/* Read a whole file into a malloc'ed NUL-terminated buffer. */
static int read_all(const char *path, char **out)
{
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap), *nb;
	ssize_t r;
	int fd, err;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(buf);
		return err;
	}
	for (;;) {
		if (cap - len < 4096) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				close(fd);
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			close(fd);
			free(buf);
			return err;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int status_read(struct rt_proc **list, size_t *n)
{
	char *buf = NULL;
	int ret = read_all(STATUS_PATH, &buf);

	if (ret)
		return ret;
	ret = status_parse(buf, list, n);
	free(buf);
	return ret;
}

/* The status line of @pid: 0, -ENOENT (no such line) or the read error. */
int status_lookup(pid_t pid, struct rt_proc *p)
{
	struct rt_proc *list;
	size_t n, i;
	int ret = status_read(&list, &n);

	if (ret)
		return ret == -ENOENT ? -ENODEV : ret;
	ret = -ENOENT;
	for (i = 0; i < n; i++) {
		if (list[i].pid == pid) {
			*p = list[i];
			ret = 0;
			break;
		}
	}
	free(list);
	return ret;
}

/* Every pid in /proc. */
static int proc_pids(pid_t **pids, size_t *n)
{
	struct dirent *d;
	pid_t *v = NULL, *nv;
	size_t count = 0;
	pid_t pid;
	DIR *dir;

	*pids = NULL;
	*n = 0;
	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (parse_pid(d->d_name, &pid))
			continue;
		nv = realloc(v, (count + 1) * sizeof(*v));
		if (!nv) {
			closedir(dir);
			free(v);
			return -ENOMEM;
		}
		v = nv;
		v[count++] = pid;
	}
	closedir(dir);
	*pids = v;
	*n = count;
	return 0;
}

static int add_proc(struct rt_proc **list, size_t *n, const struct rt_proc *p)
{
	struct rt_proc *nl = realloc(*list, (*n + 1) * sizeof(**list));

	if (!nl)
		return -ENOMEM;
	*list = nl;
	(*list)[(*n)++] = *p;
	return 0;
}

/*
 * Without the pidfd calls and the tracker module: ask fetch(2) about
 * every process in /proc.  Quotas unknown.
 */
int scan_tracked(struct rt_proc **list, size_t *n)
{
	struct restrack_usage u;
	struct rt_proc p;
	pid_t *pids;
	size_t np, i;
	int ret;

	*list = NULL;
	*n = 0;
	ret = proc_pids(&pids, &np);
	for (i = 0; !ret && i < np; i++) {
		ret = restrack_fetch(pids[i], &u);
		if (ret) {
			ret = ret == -ENOSYS ? ret : 0;
			continue;
		}
		memset(&p, 0, sizeof(p));
		p.pid = pids[i];
		p.heap = u.heap_bytes;
		p.files = u.files;
		p.heap_quota = RESTRACK_UNLIMITED;
		p.file_quota = RESTRACK_UNLIMITED;
		proc_fill(&p, true);
		ret = add_proc(list, n, &p);
	}
	free(pids);
	if (ret) {
		free(*list);
		*list = NULL;
		*n = 0;
	}
	return ret;
}

/* restrack_pidfd_get(2)'s answer in @p (usage, quotas, actions, peaks). */
void info_to_proc(const struct restrack_info *info, struct rt_proc *p)
{
	p->heap = (unsigned long)info->heap_bytes;
	p->files = (unsigned long)info->files;
	p->heap_quota = info->heap_quota == RESTRACK_NO_QUOTA ? RESTRACK_UNLIMITED :
			info->heap_quota > (unsigned long long)LLONG_MAX ? LLONG_MAX :
			(long long)info->heap_quota;
	p->file_quota = info->files_quota == RESTRACK_NO_QUOTA ? RESTRACK_UNLIMITED :
			info->files_quota > (unsigned long long)LONG_MAX ? LONG_MAX :
			(long)info->files_quota;
	p->quotas_known = true;
	p->from_kernel = true;
	p->inherit = info->flags & RESTRACK_INHERIT;
	p->heap_action = info->heap_action;
	p->files_action = info->files_action;
	p->heap_peak = info->heap_peak;
	p->files_peak = info->files_peak;
}

/* A pidfd for @pid (close-on-exec), or -errno. */
int pidfd_of(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}

/*
 * What the kernel says of the process @pidfd (@pid in our namespace), and
 * its name, state and uid from /proc: 0, or -ESRCH (gone), -ENOENT (not
 * tracked), -EPERM, -ENOSYS (a kernel without restrack_pidfd_get(2)).
 */
int kernel_read(int pidfd, pid_t pid, struct rt_proc *p)
{
	struct restrack_info info;

	int ret;

	memset(&info, 0, sizeof(info));
	ret = restrack_pidfd_get(pidfd, &info, sizeof(info), 0);
	if (ret < 0)
		return -errno;
	/* RESTRACK_GET_USAGE_ONLY: librestrack fell back to fetch(2). */
	if (ret > 0)
		return -ENOSYS;
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	info_to_proc(&info, p);
	proc_fill(p, true);
	/* /proc/PID is the process of @pidfd only while that one is not reaped. */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) && errno == ESRCH)
		return -ESRCH;
	return 0;
}

/* As kernel_read(), from a pid; -ENOSYS too on a kernel without pidfd_open(2). */
int kernel_proc(pid_t pid, struct rt_proc *p)
{
	int fd = pidfd_of(pid), ret;

	if (fd < 0)
		return fd;
	ret = kernel_read(fd, pid, p);
	close(fd);
	return ret;
}

/*
 * The tracked processes: the pids of /proc/tracker_status (the tracker
 * module), or every pid in /proc without it, each asked of the kernel with
 * restrack_pidfd_get(2); a process that is gone, not tracked, or that the
 * caller may not read is left out.  On a kernel without the pidfd calls,
 * the rows of /proc/tracker_status, or fetch(2) on every process (@source
 * says which).
 */
int list_tracked(struct rt_proc **list, size_t *n, enum rt_source *source)
{
	struct rt_proc p;
	pid_t *pids = NULL;
	size_t np = 0, i;
	char *buf;
	int ret = read_all(STATUS_PATH, &buf);
	bool have_status = ret == 0;

	*list = NULL;
	*n = 0;
	if (have_status) {
		ret = status_parse_pids(buf, &pids, &np);
		free(buf);
	} else if (ret == -ENOENT) {
		ret = proc_pids(&pids, &np);
	}
	if (ret)
		return ret;
	*source = SOURCE_KERNEL;
	for (i = 0; !ret && i < np; i++) {
		ret = kernel_proc(pids[i], &p);
		if (ret == -ENOSYS)
			break;
		ret = ret ? 0 : add_proc(list, n, &p);
	}
	free(pids);
	if (ret) {
		free(*list);
		*list = NULL;
		*n = 0;
	}
	if (ret != -ENOSYS)
		return ret;
	if (!have_status) {
		*source = SOURCE_SCAN;
		return scan_tracked(list, n);
	}
	*source = SOURCE_STATUS;
	ret = status_read(list, n);
	for (i = 0; !ret && i < *n; i++)
		(*list)[i].uid = proc_uid((*list)[i].pid);
	return ret;
}

/* ---------------------------------------------------------------------
 * /proc/PID.
 */
bool proc_comm(pid_t pid, char *buf, size_t size)
{
	char path[64], tmp[COMM_SIZE];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	r = read(fd, tmp, sizeof(tmp) - 1);
	close(fd);
	if (r <= 0)
		return false;
	if (tmp[r - 1] == '\n')
		r--;
	tmp[r] = '\0';
	snprintf(buf, size, "%s", tmp);
	return true;
}

char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return 0;
	buf[r] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return 0;
	return p[2];
}

long proc_uid(pid_t pid)
{
	char path[64], buf[4096], *p;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	p = strstr(buf, "\nUid:");
	if (!p)
		return -1;
	return strtol(p + 5, NULL, 10);
}

void proc_fill(struct rt_proc *p, bool comm_too)
{
	if (comm_too && !proc_comm(p->pid, p->comm, sizeof(p->comm)))
		p->comm[0] = '\0';
	p->state = proc_state(p->pid);
	p->uid = proc_uid(p->pid);
}

/*
 * The name of @uid, through NSS (getpwuid(3): files, LDAP, systemd's
 * dynamic users...), remembered; the number when there is none or the
 * lookup fails.  A static restrack cannot load NSS modules without the
 * shared C library of its build (the minimal test guest has none), so it
 * reads /etc/passwd with fgetpwent(3), the C library's own parser.
 */
struct user {
	long uid;
	char name[33];		/* "": no name */
};

static bool lookup_user(long uid, char *name, size_t size)
{
	struct passwd *pw;
#ifdef RESTRACK_STATIC
	FILE *f = fopen("/etc/passwd", "re");

	pw = NULL;
	while (f && (pw = fgetpwent(f)))
		if ((long)pw->pw_uid == uid)
			break;
	if (pw && pw->pw_name[0] && strlen(pw->pw_name) < size)
		snprintf(name, size, "%s", pw->pw_name);
	else
		pw = NULL;
	if (f)
		fclose(f);
#else
	errno = 0;
	pw = getpwuid((uid_t)uid);
	if (pw && (!pw->pw_name[0] || strlen(pw->pw_name) >= size))
		pw = NULL;
	if (pw)
		snprintf(name, size, "%s", pw->pw_name);
#endif
	return pw != NULL;
}

/* The uid of user @name, as user_name() looks names up: 0 or -ENOENT. */
int user_uid(const char *name, long *uid)
{
	struct passwd *pw;
#ifdef RESTRACK_STATIC
	FILE *f = fopen("/etc/passwd", "re");

	pw = NULL;
	while (f && (pw = fgetpwent(f)))
		if (!strcmp(pw->pw_name, name))
			break;
	if (pw)
		*uid = (long)pw->pw_uid;
	if (f)
		fclose(f);
#else
	pw = getpwnam(name);
	if (pw)
		*uid = (long)pw->pw_uid;
#endif
	return pw ? 0 : -ENOENT;
}

const char *user_name(long uid, char *buf, size_t size)
{
	static struct user *users;
	static size_t nusers;
	struct user *nu;
	size_t i;

	if (uid < 0) {
		snprintf(buf, size, "?");
		return buf;
	}
	for (i = 0; i < nusers && users[i].uid != uid; i++)
		;
	if (i == nusers) {
		nu = realloc(users, (nusers + 1) * sizeof(*users));
		if (!nu) {
			snprintf(buf, size, "%ld", uid);
			return buf;
		}
		users = nu;
		users[i].uid = uid;
		if (!lookup_user(uid, users[i].name, sizeof(users[i].name)))
			users[i].name[0] = '\0';
		nusers++;
	}
	if (users[i].name[0])
		snprintf(buf, size, "%s", users[i].name);
	else
		snprintf(buf, size, "%ld", uid);
	return buf;
}

const char *state_name(char state)
{
	switch (state) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "disk sleep";
	case 'T':
		return "stopped";
	case 't':
		return "tracing stop";
	case 'Z':
		return "zombie";
	case 'X':
		return "dead";
	case 'I':
		return "idle";
	case 'P':
		return "parked";
	}
	return "unknown";
}

int exit_code_for(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return EXIT_OK;
	case ESRCH:
	case ENOENT:
		return EXIT_NOTFOUND;
	case EPERM:
	case EACCES:
		return EXIT_PERM;
	case ENOSYS:
		return EXIT_NOSYS;
	}
	return EXIT_FAIL;
}

/* ---------------------------------------------------------------------
 * run and cap: the quota options (issue 12, run's side).
 */

/*
 * --heap for cap and run, in one place: 0 with the quota in @h (whole MiB,
 * as cap and run set it with either kind of call) and in @msg the note to
 * print when it was rounded up ("" when not), or -EINVAL / -ERANGE with
 * the reason in @msg.
 */
int heap_quota_arg(const char *s, struct heap_arg *h, char *msg, size_t size)
{
	int ret = heap_arg_parse(s, h, msg, size);

	if (ret)
		return ret;
	if (!heap_arg_rounding(h, msg, size))
		msg[0] = '\0';
	return 0;
}

/* run --deny[=heap|files] (NULL: no value, both): add to @deny.  0 or -EINVAL. */
int run_deny_parse(const char *s, unsigned int *deny)
{
	if (!s)
		*deny |= RUN_DENY_HEAP | RUN_DENY_FILES;
	else if (!strcmp(s, "heap"))
		*deny |= RUN_DENY_HEAP;
	else if (!strcmp(s, "files"))
		*deny |= RUN_DENY_FILES;
	else
		return -EINVAL;
	return 0;
}

/*
 * run --deny: each quota it names is given (--heap, --files); with
 * neither given, it has nothing to act on.  false with the reason in @why.
 */
bool run_deny_fits(unsigned int deny, bool heap, bool files, char *why, size_t size)
{
	if ((deny & RUN_DENY_HEAP) && (deny & RUN_DENY_FILES)) {
		if (heap || files)
			return true;
		snprintf(why, size, "--deny needs --heap, --files or both");
		return false;
	}
	if ((deny & RUN_DENY_HEAP) && !heap) {
		snprintf(why, size, "--deny=heap needs --heap");
		return false;
	}
	if ((deny & RUN_DENY_FILES) && !files) {
		snprintf(why, size, "--deny=files needs --files");
		return false;
	}
	return true;
}
