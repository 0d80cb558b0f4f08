// SPDX-License-Identifier: GPL-2.0
/*
 * restrack top: a live, sortable view of the tracked processes, drawn with
 * plain ANSI escape sequences and termios (no curses).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

enum sort_key {
	SORT_PID,
	SORT_USER,
	SORT_HEAP,
	SORT_HEAP_PCT,
	SORT_FILES,
	SORT_FILES_PCT,
	SORT_COMMAND,
	NR_SORTS,
};

/* In column order, for < and >. */
static const struct {
	const char *name;	/* for --sort and the screen */
	char key;
	bool descending;	/* the natural order */
} sorts[NR_SORTS] = {
	[SORT_PID] = { "pid", 'p', false },
	[SORT_USER] = { "user", 'u', false },
	[SORT_HEAP] = { "heap", 'h', true },
	[SORT_HEAP_PCT] = { "heap%", 'H', true },
	[SORT_FILES] = { "files", 'f', true },
	[SORT_FILES_PCT] = { "files%", 'F', true },
	[SORT_COMMAND] = { "command", 'c', false },
};

struct row {
	struct rt_proc p;
	char user[40];
	double heap_pct;	/* -1: no quota, -2: unknown */
	double files_pct;
};

static struct {
	int sort;
	bool reverse;
} order;

/* Signal state. */
static volatile sig_atomic_t quit_flag, resize_flag, redraw_flag;
static struct termios saved_tio;
static bool tio_saved;
static bool screen_on;

/*
 * The alternate screen (xterm's ?1049: smcup/rmcup in terminfo), the
 * cursor hidden, cleared; on the way out, by q, ^C, SIGTERM, SIGHUP or ^Z,
 * the cursor and the screen from before come back.
 */
static const char enter_seq[] = "\033[?1049h\033[?25l\033[H\033[2J";
static const char leave_seq[] = "\033[?25h\033[?1049l";

/* At this share of a quota or more, a row is highlighted. */
#define NEAR_PCT 90.0
static const char near_seq[] = "\033[1;31m";	/* bold red */

/* -p and -u: the processes shown (none given: all). */
static struct {
	pid_t *pids;
	size_t npids;
	long *uids;
	size_t nuids;
} filter;

static void write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void term_raw(void)
{
	struct termios tio;

	if (tio_saved) {
		tio = saved_tio;
		tio.c_lflag &= (tcflag_t)~(ICANON | ECHO);
		tio.c_cc[VMIN] = 1;
		tio.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &tio);
	}
	if (screen_on)
		write_all(STDOUT_FILENO, enter_seq, sizeof(enter_seq) - 1);
}

/* Async-signal-safe: used by the SIGTSTP handler too. */
static void term_restore(void)
{
	if (screen_on)
		write_all(STDOUT_FILENO, leave_seq, sizeof(leave_seq) - 1);
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static void on_quit(int sig)
{
	(void)sig;
	quit_flag = 1;
}

static void on_winch(int sig)
{
	(void)sig;
	resize_flag = 1;
}

static void on_tstp(int sig)
{
	int saved = errno;

	(void)sig;
	term_restore();
	kill(getpid(), SIGSTOP);
	/* Continued. */
	term_raw();
	redraw_flag = 1;
	errno = saved;
}

static double pct(unsigned long usage, long long quota, bool known)
{
	if (!known)
		return -2;
	if (quota < 0)
		return -1;
	if (!quota)
		return usage ? 1e9 : 0;
	return (double)usage * 100.0 / (double)quota;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = 0;

	switch (order.sort) {
	case SORT_PID:
		break;
	case SORT_USER:
		c = strcmp(x->user, y->user);
		break;
	case SORT_HEAP:
		c = (x->p.heap > y->p.heap) - (x->p.heap < y->p.heap);
		break;
	case SORT_HEAP_PCT:
		c = (x->heap_pct > y->heap_pct) - (x->heap_pct < y->heap_pct);
		break;
	case SORT_FILES:
		c = (x->p.files > y->p.files) - (x->p.files < y->p.files);
		break;
	case SORT_FILES_PCT:
		c = (x->files_pct > y->files_pct) - (x->files_pct < y->files_pct);
		break;
	case SORT_COMMAND:
		c = strcmp(x->p.comm, y->p.comm);
		break;
	}
	if (sorts[order.sort].descending)
		c = -c;
	if (!c)
		c = (x->p.pid > y->p.pid) - (x->p.pid < y->p.pid);
	return order.reverse ? -c : c;
}

static const char *pct_text(double v, char *buf, size_t size)
{
	if (v == -2)
		snprintf(buf, size, "?");
	else if (v < 0)
		snprintf(buf, size, "-");
	else if (v >= 1e6)
		snprintf(buf, size, "over");
	else
		snprintf(buf, size, "%.0f%%", v);
	return buf;
}

/* Output line by line, cut to the screen's width. */
struct screen {
	FILE *f;
	bool tty;
	int rows, cols;
	int line;
};

enum line_kind { LINE_PLAIN, LINE_INVERSE, LINE_NEAR };

static void put_line(struct screen *s, enum line_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put_line(struct screen *s, enum line_kind kind, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (s->tty && s->line >= s->rows)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	if (s->tty && s->cols > 0 && n > s->cols)
		n = s->cols;
	if (s->tty && kind == LINE_INVERSE)
		fprintf(s->f, "\033[7m%.*s%*s\033[m\033[K\n", n, buf,
			s->cols > n ? s->cols - n : 0, "");
	else if (s->tty && kind == LINE_NEAR)
		fprintf(s->f, "%s%.*s\033[m\033[K\n", near_seq, n, buf);
	else if (s->tty)
		fprintf(s->f, "%.*s\033[K\n", n, buf);
	else
		fprintf(s->f, "%.*s\n", n, buf);
	s->line++;
}

static bool shown(const struct rt_proc *p)
{
	size_t i;
	bool ok;

	if (filter.npids) {
		for (ok = false, i = 0; i < filter.npids && !ok; i++)
			ok = filter.pids[i] == p->pid;
		if (!ok)
			return false;
	}
	if (filter.nuids) {
		for (ok = false, i = 0; i < filter.nuids && !ok; i++)
			ok = filter.uids[i] == p->uid;
		if (!ok)
			return false;
	}
	return true;
}

/* Keep the processes -p and -u ask for; returns how many. */
static size_t apply_filter(struct rt_proc *list, size_t n)
{
	size_t i, kept = 0;

	for (i = 0; i < n; i++)
		if (shown(&list[i]))
			list[kept++] = list[i];
	return kept;
}

static void *add_item(void *v, size_t *n, size_t size)
{
	void *nv = realloc(v, (*n + 1) * size);

	if (!nv) {
		note("out of memory");
		exit(EXIT_FAIL);
	}
	(*n)++;
	return nv;
}

/* -p PID[,PID...]: 0 or -EINVAL. */
static int add_pids(const char *arg)
{
	char buf[256], *tok, *save;
	pid_t pid;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf) || !*arg)
		return -EINVAL;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (parse_pid(tok, &pid))
			return -EINVAL;
		filter.pids = add_item(filter.pids, &filter.npids, sizeof(*filter.pids));
		filter.pids[filter.npids - 1] = pid;
	}
	return 0;
}

/* -u USER[,USER...]: a name (NSS) or a uid; 0 or -EINVAL. */
static int add_users(const char *arg)
{
	char buf[256], *tok, *save;
	unsigned long v;
	long uid;
	char *end;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf) || !*arg)
		return -EINVAL;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		errno = 0;
		v = strtoul(tok, &end, 10);
		if (*tok >= '0' && *tok <= '9' && !*end && !errno && v <= 0xffffffffUL) {
			uid = (long)v;
		} else {
			if (user_uid(tok, &uid))
				return -EINVAL;
		}
		filter.uids = add_item(filter.uids, &filter.nuids, sizeof(*filter.uids));
		filter.uids[filter.nuids - 1] = uid;
	}
	return 0;
}

static void draw(struct screen *s, const char *err_text)
{
	enum rt_source source = SOURCE_STATUS;
	unsigned long long heap_total = 0, files_total = 0;
	struct rt_proc *list = NULL;
	struct row *rows = NULL;
	char a[32], b[32], c[32], d[32], e[32], tbuf[16], cm[COMM_SIZE];
	size_t n = 0, i;
	time_t now = time(NULL);
	struct tm tm;
	int ret;

	ret = list_tracked(&list, &n, &source);
	if (!ret)
		n = apply_filter(list, n);
	if (!ret && n) {
		rows = calloc(n, sizeof(*rows));
		if (!rows) {
			ret = -ENOMEM;
			n = 0;
		}
	}
	for (i = 0; i < n && rows; i++) {
		rows[i].p = list[i];
		user_name(list[i].uid, rows[i].user, sizeof(rows[i].user));
		rows[i].heap_pct = pct(list[i].heap, list[i].heap_quota,
				       list[i].quotas_known);
		rows[i].files_pct = pct(list[i].files, list[i].file_quota,
					list[i].quotas_known);
		heap_total += list[i].heap;
		files_total += list[i].files;
	}
	if (rows)
		qsort(rows, n, sizeof(*rows), cmp_rows);

	localtime_r(&now, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	if (s->tty)
		fputs("\033[H", s->f);
	s->line = 0;
	put_line(s, LINE_PLAIN, "restrack top - %s - %zu tracked, heap %s, %llu files%s",
		 tbuf, n, restrack_format_size(heap_total, a, sizeof(a)), files_total,
		 source == SOURCE_SCAN ? " - no pidfd calls, no tracker module: quotas unknown" :
		 source == SOURCE_STATUS ? " - no pidfd calls: quotas from tracker_status" : "");
	put_line(s, LINE_PLAIN, "Sort: %s, %s.  Keys: p u h H f F c sort, < > column, "
		 "r reverse, q quit", sorts[order.sort].name,
		 sorts[order.sort].descending != order.reverse ? "descending" : "ascending");
	if (ret)
		put_line(s, LINE_PLAIN, "cannot list the tracked processes: %s",
			 restrack_strerror(ret));
	else if (err_text)
		put_line(s, LINE_PLAIN, "%s", err_text);
	else
		put_line(s, LINE_PLAIN, "%s", "");
	put_line(s, LINE_INVERSE, "%7s %-8s %s %10s %10s %5s %6s %10s %5s  %s", "PID", "USER",
		 "S", "HEAP", "HEAP QUOTA", "HEAP%", "FILES", "FILE QUOTA", "FILE%",
		 "COMMAND");
	for (i = 0; i < n && rows; i++) {
		const struct rt_proc *p = &rows[i].p;

		if (s->tty && s->line >= s->rows - 1 && i + 1 < n) {
			put_line(s, LINE_PLAIN, "(%zu more)", n - i);
			break;
		}
		put_line(s, rows[i].heap_pct >= NEAR_PCT || rows[i].files_pct >= NEAR_PCT ?
			 LINE_NEAR : LINE_PLAIN,
			 "%7d %-8.8s %c %10s %10s %5s %6lu %10s %5s  %s",
			 (int)p->pid, rows[i].user, p->state ? p->state : '?',
			 restrack_format_size(p->heap, a, sizeof(a)),
			 format_heap_quota(p->heap_quota, p->quotas_known, b, sizeof(b)),
			 pct_text(rows[i].heap_pct, c, sizeof(c)), p->files,
			 format_file_quota(p->file_quota, p->quotas_known, d, sizeof(d)),
			 pct_text(rows[i].files_pct, e, sizeof(e)),
			 comm_text(p->comm, cm, sizeof(cm)));
	}
	if (!ret && !n)
		put_line(s, LINE_PLAIN, "%s", "(no tracked processes)");
	if (s->tty)
		fputs("\033[J", s->f);
	else
		fputc('\n', s->f);
	fflush(s->f);
	free(rows);
	free(list);
}

static void screen_size(struct screen *s)
{
	struct winsize ws;

	s->rows = 24;
	s->cols = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		s->rows = ws.ws_row;
		s->cols = ws.ws_col;
	}
}

static int find_sort(const char *name)
{
	int i;

	for (i = 0; i < NR_SORTS; i++)
		if (!strcmp(sorts[i].name, name))
			return i;
	if (!strcmp(name, "comm"))
		return SORT_COMMAND;
	return -1;
}

/* One key press; returns false to quit. */
static bool handle_key(char k)
{
	int i;

	switch (k) {
	case 'q':
	case 'Q':
		return false;
	case 'r':
	case 'R':
		order.reverse = !order.reverse;
		return true;
	case '<':
		order.sort = (order.sort + NR_SORTS - 1) % NR_SORTS;
		return true;
	case '>':
		order.sort = (order.sort + 1) % NR_SORTS;
		return true;
	}
	for (i = 0; i < NR_SORTS; i++) {
		if (sorts[i].key == k) {
			order.sort = i;
			order.reverse = false;
		}
	}
	return true;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "sort", required_argument, NULL, 's' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "batch", no_argument, NULL, 'b' },
		{ "pid", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct screen scr = { .f = stdout };
	double delay = 2.0;
	long iterations = -1, frames = 0;
	bool batch = false, input, running = true;
	struct sigaction sa;
	long long deadline, left;
	struct pollfd pfd;
	char keys[64];
	ssize_t nk;
	int c, i;

	order.sort = SORT_HEAP;
	order.reverse = false;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:n:s:rbp:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_delay(optarg, &delay))
				return usage_error("top", "-d '%s' is not a delay in seconds "
						   "(0.05 to 86400)", optarg);
			break;
		case 'n':
			if (parse_file_quota(optarg, &iterations) || iterations < 1)
				return usage_error("top", "-n '%s' is not a count from 1",
						   optarg);
			break;
		case 's':
			order.sort = find_sort(optarg);
			if (order.sort < 0)
				return usage_error("top", "-s '%s': sort by pid, user, heap, "
						   "heap%%, files, files%% or command", optarg);
			break;
		case 'r':
			order.reverse = true;
			break;
		case 'b':
			batch = true;
			break;
		case 'p':
			if (add_pids(optarg))
				return usage_error("top", "-p '%s' is not a PID or a list of "
						   "them (1234,5678)", optarg);
			break;
		case 'u':
			if (add_users(optarg))
				return usage_error("top", "-u '%s': no such user", optarg);
			break;
		case 'h':
			return cmd_help("top");
		case ':':
			return usage_error("top", "option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("top", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("top", "unexpected argument '%s'", argv[optind]);
	if (!restrack_available()) {
		note("%s", restrack_strerror(-ENOSYS));
		return EXIT_NOSYS;
	}

	scr.tty = !batch && isatty(STDOUT_FILENO);
	input = scr.tty && isatty(STDIN_FILENO);
	if (scr.tty) {
		screen_size(&scr);
		if (input && tcgetattr(STDIN_FILENO, &saved_tio) == 0)
			tio_saved = true;
		screen_on = true;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_quit;	/* no SA_RESTART: poll() returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (scr.tty) {
		sa.sa_handler = on_winch;
		sigaction(SIGWINCH, &sa, NULL);
		sa.sa_handler = on_tstp;
		sigaction(SIGTSTP, &sa, NULL);
		term_raw();
	}

	while (running && !quit_flag) {
		if (resize_flag) {
			resize_flag = 0;
			screen_size(&scr);
		}
		redraw_flag = 0;
		draw(&scr, NULL);
		frames++;
		if (iterations > 0 && frames >= iterations)
			break;
		deadline = now_ms() + (long long)(delay * 1000.0);
		while (running && !quit_flag && !resize_flag && !redraw_flag) {
			left = deadline - now_ms();
			if (left <= 0)
				break;
			if (!input) {
				poll(NULL, 0, (int)left);
				continue;
			}
			pfd.fd = STDIN_FILENO;
			pfd.events = POLLIN;
			pfd.revents = 0;
			if (poll(&pfd, 1, (int)left) <= 0)
				continue;
			if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) {
				input = false;
				continue;
			}
			nk = read(STDIN_FILENO, keys, sizeof(keys));
			if (nk <= 0) {
				if (nk == 0)
					input = false;
				continue;
			}
			/* An escape sequence (arrow keys and such) is ignored. */
			if (keys[0] == '\033')
				continue;
			for (i = 0; i < nk && running; i++)
				running = handle_key(keys[i]);
			redraw_flag = 1;
		}
	}
	if (scr.tty)
		term_restore();
	return EXIT_OK;
}
