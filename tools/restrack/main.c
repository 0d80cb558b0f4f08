// SPDX-License-Identifier: GPL-2.0
/*
 * restrack(1): track and limit the heap bytes and open files of processes
 * on a kernel with the resource tracker.  See Documentation/man/restrack.1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

const char *prog_name = "restrack";
bool json_output;
static struct report report;
static bool no_report;		/* help and version print no report */

static void vnote(pid_t pid, int err, bool error, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void vnote(pid_t pid, int err, bool error, const char *fmt, va_list ap)
{
	char msg[1024];

	if (!json_output) {
		fprintf(stderr, "%s: ", prog_name);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (error)
		report_add_error(&report, pid, err, msg);
	else
		report_add_note(&report, msg);
}

/* A note: on standard error, or in the --json report's notes. */
void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(0, 0, false, fmt, ap);
	va_end(ap);
}

/* An error about @pid (0: none) and errno @err (0: none): as note(), or in errors. */
void error_note(pid_t pid, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(pid, err, true, fmt, ap);
	va_end(ap);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_output) {
		report_add_error(&report, 0, 0, msg);
		return EXIT_USAGE;
	}
	fprintf(stderr, "%s: %s%s%s\nTry '%s%s%s --help' for more information.\n",
		prog_name, cmd ? cmd : "", cmd ? ": " : "", msg,
		prog_name, cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

/* run: a quota killed CMD. */
void report_kill(const struct kill_info *k)
{
	report.killed = true;
	report.kill = *k;
}

/* The end of every command: with --json, the report (run's on stderr). */
static int finish(int code)
{
	if (json_output && !no_report && report.command) {
		fflush(stdout);
		print_report_json(strcmp(report.command, "run") ? stdout : stderr,
				  &report, code);
	}
	report_free(&report);
	return code;
}

static const char main_help[] =
"Usage: restrack [--json] COMMAND [ARGS]\n"
"\n"
"Track and limit the heap bytes and open files of processes, on a kernel\n"
"with the resource tracker.  A process over a quota is killed (SIGKILL).\n"
"\n"
"Commands:\n"
"  register PID              start tracking PID\n"
"  deregister PID            stop tracking PID; its quotas go too\n"
"  show PID...               heap, open files and quotas (alias: fetch)\n"
"  cap PID [--heap SIZE] [--files N] [--force]\n"
"                            set PID's quotas; SIZE like 512K, 64M, 1.5GiB;\n"
"                            'unlimited' lifts a quota\n"
"  reset PID                 lift both of PID's quotas\n"
"  status [PID...]           list every tracked process, or those given\n"
"  top [-p PID] [-u USER]    live view of the tracked processes\n"
"  run [--heap SIZE] [--files N] [--deny] [--no-inherit] [--] CMD [ARG...]\n"
"                            run CMD tracked and limited; exit with its status\n"
"\n"
"Options:\n"
"  -j, --json      one JSON object on standard output, errors included\n"
"                  (run: on standard error); see restrack(1), JSON\n"
"  -h, --help      this help; 'restrack COMMAND --help' for one command\n"
"  -V, --version   print the version\n"
"\n"
"Sizes: K, M, G, T and KiB, MiB, GiB, TiB are powers of 1024; KB, MB, GB, TB\n"
"powers of 1000; a number alone is bytes.  The kernel counts the heap quota\n"
"in MiB: --heap rounds up, and refuses a number alone under 1 MiB (512 is\n"
"512 bytes: write 512M, or 512B when bytes are meant).\n"
"\n"
"Exit status: 0 ok; 1 failure; 2 usage error; 3 no such process, or not\n"
"tracked; 4 permission denied; 5 this kernel has no resource tracker.\n"
"run exits with CMD's status, or dies of the signal that killed CMD (128+N\n"
"in a shell); 125 when restrack failed, 126 when CMD could not be run, 127\n"
"when it was not found.\n"
"\n"
"See restrack(1).\n";

struct cmd_help {
	const char *name;
	const char *text;
};

static const struct cmd_help helps[] = {
	{ "register",
	  "Usage: restrack register PID\n\n"
	  "Start tracking PID's heap bytes and open files.  Usage from before\n"
	  "counts; the quotas start unlimited.  Tracking survives exec and ends\n"
	  "when the process exits; children are not tracked.\n" },
	{ "deregister",
	  "Usage: restrack deregister PID\n\n"
	  "Stop tracking PID; its quotas go too (which needs CAP_SYS_RESOURCE\n"
	  "when it has one).\n" },
	{ "show",
	  "Usage: restrack [--json] show PID...\n\n"
	  "Show each PID's heap bytes and open files, quotas, what crossing each\n"
	  "does (kill or deny), peaks, and whether its children are tracked, as\n"
	  "restrack_pidfd_get(2) reads them.\n\n"
	  "  -j, --json   the JSON report: \"processes\" has one object per PID\n"
	  "               (pid, comm, state, uid, heap_bytes, files, heap_quota_mib,\n"
	  "               heap_quota_bytes, file_quota, inherit, heap_action,\n"
	  "               files_action, heap_peak, files_peak; -1 unlimited,\n"
	  "               null unknown)\n" },
	{ "cap",
	  "Usage: restrack cap PID [--heap SIZE] [--files N] [--force]\n\n"
	  "Set PID's quotas.  Only those given change; each keeps its action.\n"
	  "The kernel kills a process already over a new quota at once: a quota\n"
	  "below PID's usage is refused without --force (with the deny action\n"
	  "the process lives, and its growth fails).  Raising a quota needs\n"
	  "CAP_SYS_RESOURCE.\n\n"
	  "  --heap SIZE   heap quota: bytes with an optional unit (K, M, G, T,\n"
	  "                KiB..TiB: powers of 1024; KB..TB: powers of 1000),\n"
	  "                rounded up to whole MiB; 'unlimited' for none\n"
	  "  --files N     open file quota; 'unlimited' for none\n"
	  "  -f, --force   set a quota below PID's usage, which kills it\n" },
	{ "reset",
	  "Usage: restrack reset PID\n\n"
	  "Lift both of PID's quotas (needs CAP_SYS_RESOURCE when one is set).\n" },
	{ "status",
	  "Usage: restrack [--json] status [PID...]\n\n"
	  "List every tracked process that you may read (or each PID given) with\n"
	  "its usage and quotas, as restrack_pidfd_get(2) reads them.  The pids\n"
	  "come from /proc/tracker_status (the tracker module), or from /proc.\n\n"
	  "  -j, --json   the JSON report, \"processes\" as for show\n" },
	{ "top",
	  "Usage: restrack top [-d SECS] [-n COUNT] [-s KEY] [-r] [-b] [-p PID]\n"
	  "                    [-u USER]\n\n"
	  "A live view of the tracked processes, refreshed every SECS.  A process\n"
	  "at 90% or more of a quota is shown in bold red.\n\n"
	  "  -d, --delay SECS       refresh interval (default 2, at least 0.05)\n"
	  "  -n, --iterations COUNT stop after COUNT refreshes\n"
	  "  -s, --sort KEY         pid, user, heap, heap%, files, files%, command\n"
	  "                         (default heap)\n"
	  "  -r, --reverse          reverse the order\n"
	  "  -b, --batch            plain text frames, no terminal control\n"
	  "  -p, --pid PID[,PID...] only these processes (may be repeated)\n"
	  "  -u, --user USER        only the processes of USER (name or uid)\n\n"
	  "Keys: p u h H f F c sort by pid, user, heap, heap%, files, files%,\n"
	  "command; < > move the sort column; r reverse; space refresh; q quit.\n" },
	{ "run",
	  "Usage: restrack run [--heap SIZE] [--files N] [--deny[=heap|files]]\n"
	  "                    [--no-inherit] [-q] [--] CMD [ARG...]\n\n"
	  "Run CMD tracked, with the quotas given, and exit with its status.  CMD\n"
	  "and every process it starts are tracked from their first instruction,\n"
	  "each with the quotas to itself (make -j8: every job).  When a quota\n"
	  "kills CMD, say which one and the usage that crossed it (the kernel\n"
	  "keeps the reason), and exit with 137 (128 + SIGKILL).\n\n"
	  "  --heap SIZE         heap quota, as for cap\n"
	  "  --files N           open file quota\n"
	  "  --deny[=heap|files] past the quota (both, or the one named) the\n"
	  "                      growth fails (ENOMEM, EMFILE); nothing is killed\n"
	  "  --no-inherit        track and limit CMD alone, not what it starts\n"
	  "  -q, --quiet         no notes (rounding); the kill report stays\n"
	  "  -j, --json          the JSON report, on standard error\n\n"
	  "A kernel without the pidfd calls needs --no-inherit and has no --deny.\n\n"
	  "SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 sent to restrack\n"
	  "are passed on to CMD.  When a signal kills CMD, restrack dies of the\n"
	  "same signal (so a shell loop stops on Ctrl-C).\n\n"
	  "Exit status: CMD's; death by signal N (128+N) when N killed CMD; 125\n"
	  "when restrack failed; 126 when CMD could not be run; 127 when it was\n"
	  "not found.\n" },
};

static const char *cmd_help_text(const char *cmd)
{
	size_t i;

	if (!strcmp(cmd, "fetch"))
		cmd = "show";
	for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (!strcmp(helps[i].name, cmd))
			return helps[i].text;
	return NULL;
}

int cmd_help(const char *cmd)
{
	no_report = true;
	fputs(cmd_help_text(cmd), stdout);
	return EXIT_OK;
}

static int fail(enum restrack_op op, pid_t pid, int err)
{
	char msg[512];

	error_note(pid, err, "%s", restrack_describe_error(op, pid, err, msg, sizeof(msg)));
	return exit_code_for(err);
}

static int nosys(void)
{
	error_note(0, ENOSYS, "%s", restrack_strerror(-ENOSYS));
	return EXIT_NOSYS;
}

/*
 * "-1" where a PID goes is a bad PID, not an unknown option.  @valued
 * names the options that take the next argument as their value.
 */
static void reject_negative_pids(const char *cmd, int argc, char **argv,
				 const char *const *valued)
{
	const char *const *v;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return;
		for (v = valued; v && *v; v++)
			if (!strcmp(argv[i], *v))
				break;
		if (v && *v) {
			i++;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9')
			exit(finish(usage_error(cmd, "'%s' is not a PID (a number from 1)",
						argv[i])));
	}
}

/*
 * Options common to the simple commands: --json and --help.  Leaves the
 * operands in argv[optind..]: exactly @npos of them, at least one (-1) or
 * any number (-2).
 */
static int simple_opts(const char *cmd, int argc, char **argv, int npos)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, n;

	reject_negative_pids(cmd, argc, argv, NULL);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json_output = true;
			break;
		case 'h':
			exit(cmd_help(cmd));
		default:
			exit(finish(usage_error(cmd, "unknown option '%s'",
						argv[optind - 1])));
		}
	}
	n = argc - optind;
	if (npos == -1 && n < 1)
		exit(finish(usage_error(cmd, "give a PID")));
	if (npos >= 0 && n != npos) {
		if (npos == 0)
			exit(finish(usage_error(cmd, "unexpected argument '%s'",
						argv[optind])));
		exit(finish(usage_error(cmd, n < npos ? "give a PID" : "give one PID only")));
	}
	return optind;
}

static int pid_arg(const char *cmd, const char *s, pid_t *pid)
{
	if (parse_pid(s, pid))
		return usage_error(cmd, "'%s' is not a PID (a number from 1)", s);
	return 0;
}

static int cmd_simple(enum restrack_op op, const char *cmd, int argc, char **argv)
{
	pid_t pid;
	int ret = pid_arg(cmd, argv[simple_opts(cmd, argc, argv, 1)], &pid);

	if (ret)
		return ret;
	switch (op) {
	case RESTRACK_OP_REGISTER:
		ret = restrack_register(pid);
		break;
	case RESTRACK_OP_DEREGISTER:
		ret = restrack_deregister(pid);
		break;
	case RESTRACK_OP_RESET:
		ret = restrack_reset(pid);
		break;
	default:
		ret = -EINVAL;
	}
	return ret ? fail(op, pid, ret) : EXIT_OK;
}

/*
 * One process as show and status with PIDs see it: 0 or the error (as
 * fetch's).  From restrack_pidfd_get(2); on a kernel without it, fetch(2)
 * and the process's row of /proc/tracker_status.  @source: the least
 * trustworthy one used so far (SOURCE_KERNEL < SOURCE_STATUS < SOURCE_SCAN).
 */
static int fetch_proc(pid_t pid, struct rt_proc *p, enum rt_source *source)
{
	struct restrack_usage u;
	struct rt_proc sp;
	int ret = kernel_proc(pid, p);

	if (ret != -ENOSYS)
		return ret;
	ret = restrack_fetch(pid, &u);
	if (ret)
		return ret;
	memset(p, 0, sizeof(*p));
	p->pid = u.pid > 0 ? u.pid : pid;
	p->heap = u.heap_bytes;
	p->files = u.files;
	p->heap_quota = RESTRACK_UNLIMITED;
	p->file_quota = RESTRACK_UNLIMITED;
	proc_fill(p, true);
	ret = status_lookup(p->pid, &sp);
	if (ret == -ENODEV)
		*source = SOURCE_SCAN;
	else if (*source < SOURCE_STATUS)
		*source = SOURCE_STATUS;
	if (ret == 0) {
		p->heap_quota = sp.heap_quota;
		p->file_quota = sp.file_quota;
		p->quotas_known = true;
	}
	return 0;
}

/*
 * The processes named in argv[first..]: into @list; returns the exit
 * status of the first failure, or 0.
 */
static int fetch_procs(int argc, char **argv, int first, struct rt_proc **list,
		       size_t *n, enum rt_source *source)
{
	struct rt_proc p, *nl;
	int i, ret, code = EXIT_OK, c;
	pid_t pid;

	*list = NULL;
	*n = 0;
	*source = SOURCE_KERNEL;
	for (i = first; i < argc; i++) {
		c = pid_arg(report.command, argv[i], &pid);
		if (!c) {
			ret = fetch_proc(pid, &p, source);
			if (ret)
				c = fail(RESTRACK_OP_FETCH, pid, ret);
		}
		if (c) {
			if (!code)
				code = c;
			continue;
		}
		nl = realloc(*list, (*n + 1) * sizeof(**list));
		if (!nl) {
			note("out of memory");
			exit(EXIT_FAIL);
		}
		*list = nl;
		(*list)[(*n)++] = p;
	}
	return code;
}

/* The one-line note for a kernel without restrack_pidfd_get(2). */
static void note_source(enum rt_source source, bool listed)
{
	if (source == SOURCE_STATUS)
		note("this kernel has no restrack_pidfd_get(2): quotas read from %s",
		     STATUS_PATH);
	else if (source == SOURCE_SCAN)
		note("this kernel has no restrack_pidfd_get(2) and %s is missing (the "
		     "tracker module is not loaded): %s; their quotas are unknown",
		     STATUS_PATH, listed ? "listed the processes that fetch(2) reports "
		     "tracked" : "read the processes with fetch(2)");
}

static int cmd_show(int argc, char **argv)
{
	int first = simple_opts("show", argc, argv, -1), code;
	enum rt_source source;
	struct rt_proc *list;
	size_t n, i;

	if (!restrack_available())
		return nosys();
	code = fetch_procs(argc, argv, first, &list, &n, &source);
	note_source(source, false);
	report.listed = true;
	report.source = source;
	for (i = 0; i < n; i++) {
		if (json_output) {
			report_add_proc(&report, &list[i]);
			continue;
		}
		if (i)
			fputc('\n', stdout);
		print_show(stdout, &list[i]);
	}
	free(list);
	return code;
}

static int cmd_status(int argc, char **argv)
{
	int first = simple_opts("status", argc, argv, -2), ret, code = EXIT_OK;
	enum rt_source source;
	struct rt_proc *list;
	size_t n, i;

	if (!restrack_available())
		return nosys();
	if (first < argc) {
		code = fetch_procs(argc, argv, first, &list, &n, &source);
	} else {
		ret = list_tracked(&list, &n, &source);
		if (ret) {
			error_note(0, ret, "cannot list the tracked processes: %s",
				   restrack_strerror(ret));
			return exit_code_for(ret);
		}
	}
	note_source(source, first == argc);
	report.listed = true;
	report.source = source;
	if (json_output) {
		for (i = 0; i < n; i++)
			report_add_proc(&report, &list[i]);
	} else if (n || first == argc) {
		print_status(stdout, list, n);
	}
	free(list);
	return code;
}

/*
 * cap's check before a quota goes below the usage: 0 to go on, or the
 * exit status.  @heap_quota bytes and @files (RESTRACK_UNLIMITED: not
 * set or none) against @p's usage; with the kill action (@heap_kill,
 * @files_kill) the kernel would kill the process at once.
 */
static int cap_check(const struct rt_proc *p, long long heap_quota, long files,
		     bool heap_kill, bool files_kill, bool force, bool after)
{
	char what[160];
	int i;

	for (i = 0; i < 2; i++) {
		if (!over_quota(i ? RESTRACK_UNLIMITED : heap_quota,
				i ? files : RESTRACK_UNLIMITED, p->heap, p->files,
				what, sizeof(what)))
			continue;
		if (!(i ? files_kill : heap_kill)) {
			if (after)
				note("pid %d has %s: with the deny action, its growth "
				     "fails until it is under", (int)p->pid, what);
			continue;
		}
		if (after) {
			note("pid %d had %s: the kernel killed it", (int)p->pid, what);
			return 0;
		}
		if (!force) {
			error_note(p->pid, 0, "refusing to cap pid %d: it has %s, so the "
				   "kernel would kill it at once; give --force to do "
				   "that", (int)p->pid, what);
			return EXIT_FAIL;
		}
	}
	return 0;
}

static long long mib_bytes(long mib)
{
	return mib < 0 ? RESTRACK_UNLIMITED : (long long)((unsigned long long)mib * RESTRACK_MIB);
}

/*
 * cap through restrack_pidfd_set_quota(2): only the quotas given change,
 * each keeping its action.  The exit status, or -ENOSYS on a kernel
 * without the pidfd calls.
 */
static int cap_pidfd(int pidfd, pid_t pid, long heap_mib, long files,
		     bool have_heap, bool have_files, bool force)
{
	struct restrack_quota_args args;
	long long heap = have_heap ? mib_bytes(heap_mib) : RESTRACK_UNLIMITED;
	struct rt_proc p;
	int ret;

	ret = kernel_read(pidfd, pid, &p);
	if (ret == -ENOSYS)
		return ret;
	if (ret)
		return fail(RESTRACK_OP_CAP, pid, ret);
	ret = cap_check(&p, heap, have_files ? files : RESTRACK_UNLIMITED,
			p.heap_action == RESTRACK_ACTION_KILL,
			p.files_action == RESTRACK_ACTION_KILL, force, false);
	if (ret)
		return ret;
	memset(&args, 0, sizeof(args));
	args.mask = (have_heap ? RESTRACK_QUOTA_HEAP : 0) |
		    (have_files ? RESTRACK_QUOTA_FILES : 0);
	args.heap_bytes = heap < 0 ? RESTRACK_NO_QUOTA : (unsigned long long)heap;
	args.files = !have_files || files < 0 ? RESTRACK_NO_QUOTA :
		     (unsigned long long)files;
	args.heap_action = p.heap_action;
	args.files_action = p.files_action;
	if (restrack_pidfd_set_quota(pidfd, &args, sizeof(args), 0))
		return errno == ENOSYS ? -ENOSYS : fail(RESTRACK_OP_CAP, pid, -errno);
	cap_check(&p, heap, have_files ? files : RESTRACK_UNLIMITED,
		  p.heap_action == RESTRACK_ACTION_KILL,
		  p.files_action == RESTRACK_ACTION_KILL, force, true);
	return EXIT_OK;
}

/*
 * cap on a kernel without the pidfd calls: resource_cap(2) sets both
 * quotas, so the one not given is read from /proc/tracker_status.
 */
static int cap_fetch(pid_t pid, long heap, long files, bool have_heap,
		     bool have_files, bool force)
{
	struct restrack_usage u;
	struct rt_proc sp;
	bool have_usage;
	int ret;

	if (!have_heap || !have_files) {
		ret = status_lookup(pid, &sp);
		if (ret == -ENODEV) {
			error_note(pid, 0, "cannot cap pid %d: its current %s quota is "
				   "unknown without %s (the tracker module): give --%s "
				   "too (--%s unlimited for none)", (int)pid,
				   have_heap ? "file" : "heap", STATUS_PATH,
				   have_heap ? "files" : "heap", have_heap ? "files" : "heap");
			return EXIT_USAGE;
		}
		if (ret == 0) {
			if (!have_heap)
				heap = sp.heap_quota < 0 ? RESTRACK_UNLIMITED :
				       (long)(sp.heap_quota / (long long)RESTRACK_MIB);
			if (!have_files)
				files = sp.file_quota;
		} else {
			/* Not listed: let the kernel say why (ESRCH, ENOENT, ...). */
			ret = restrack_fetch(pid, &u);
			if (ret)
				return fail(RESTRACK_OP_CAP, pid, ret);
			error_note(pid, 0, "cannot cap pid %d: it is not in %s, so its "
				   "current quotas are unknown: give both --heap and --files",
				   (int)pid, STATUS_PATH);
			return EXIT_FAIL;
		}
	}

	/* The kernel kills a process already over a new quota: ask first. */
	have_usage = restrack_fetch(pid, &u) == 0;
	memset(&sp, 0, sizeof(sp));
	sp.pid = pid;
	sp.heap = have_usage ? u.heap_bytes : 0;
	sp.files = have_usage ? u.files : 0;
	ret = have_usage ? cap_check(&sp, mib_bytes(heap), files, true, true, force,
				     false) : 0;
	if (ret)
		return ret;
	ret = restrack_cap(pid, heap, files);
	if (ret)
		return fail(RESTRACK_OP_CAP, pid, ret);
	if (have_usage)
		cap_check(&sp, mib_bytes(heap), files, true, true, force, true);
	return EXIT_OK;
}

static int cmd_cap(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "heap", required_argument, NULL, 'H' },
		{ "files", required_argument, NULL, 'F' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const valued[] = { "--heap", "--files", NULL };
	struct heap_arg h = { .mib = RESTRACK_UNLIMITED };
	long files = RESTRACK_UNLIMITED;
	bool have_heap = false, have_files = false, force = false;
	char why[256] = "";
	int c, ret, pidfd;
	pid_t pid;

	reject_negative_pids("cap", argc, argv, valued);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fjh", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			/* @why keeps the rounding note. */
			if (heap_quota_arg(optarg, &h, why, sizeof(why)))
				return usage_error("cap", "%s", why);
			have_heap = true;
			break;
		case 'F':
			ret = parse_file_quota(optarg, &files);
			if (ret)
				return usage_error("cap", "--files '%s' is not a count "
						   "(a number from 0, or unlimited)", optarg);
			have_files = true;
			break;
		case 'f':
			force = true;
			break;
		case 'j':
			json_output = true;
			break;
		case 'h':
			return cmd_help("cap");
		case ':':
			return usage_error("cap", "option '%s' needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("cap", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error("cap", argc == optind ? "give a PID" : "give one PID only");
	ret = pid_arg("cap", argv[optind], &pid);
	if (ret)
		return ret;
	if (!have_heap && !have_files)
		return usage_error("cap", "give --heap SIZE, --files N or both");
	if (!restrack_available())
		return nosys();
	if (why[0])
		note("%s", why);
	pidfd = pidfd_of(pid);
	if (pidfd == -ENOSYS)
		return cap_fetch(pid, have_heap ? h.mib : 0, have_files ? files : 0,
				 have_heap, have_files, force);
	if (pidfd < 0)
		return fail(RESTRACK_OP_CAP, pid, pidfd);
	ret = cap_pidfd(pidfd, pid, have_heap ? h.mib : 0, have_files ? files : 0,
			have_heap, have_files, force);
	close(pidfd);
	if (ret == -ENOSYS)
		return cap_fetch(pid, have_heap ? h.mib : 0, have_files ? files : 0,
				 have_heap, have_files, force);
	return ret;
}

static int cmd_version(void)
{
	no_report = true;
	printf("restrack %s (librestrack %s)\n", RESTRACK_VERSION, restrack_version());
	return EXIT_OK;
}

/*
 * --json among a command's options, so that errors met before getopt()
 * reaches it are in the report too.  run's options end at CMD.
 */
static bool json_among(const char *cmd, int argc, char **argv)
{
	bool run = !strcmp(cmd, "run");
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			return true;
		if (run && argv[i][0] != '-')
			return false;
		if (run && (!strcmp(argv[i], "--heap") || !strcmp(argv[i], "--files")))
			i++;
	}
	return false;
}

static int dispatch(const char *cmd, int argc, char **argv)
{
	if (!strcmp(cmd, "help")) {
		no_report = true;
		if (argc < 2) {
			fputs(main_help, stdout);
			return EXIT_OK;
		}
		if (!cmd_help_text(argv[1]))
			return usage_error(NULL, "no command '%s'", argv[1]);
		return cmd_help(argv[1]);
	}
	if (!strcmp(cmd, "version"))
		return cmd_version();
	if (!strcmp(cmd, "register"))
		return cmd_simple(RESTRACK_OP_REGISTER, cmd, argc, argv);
	if (!strcmp(cmd, "deregister"))
		return cmd_simple(RESTRACK_OP_DEREGISTER, cmd, argc, argv);
	if (!strcmp(cmd, "reset"))
		return cmd_simple(RESTRACK_OP_RESET, cmd, argc, argv);
	if (!strcmp(cmd, "show") || !strcmp(cmd, "fetch"))
		return cmd_show(argc, argv);
	if (!strcmp(cmd, "cap"))
		return cmd_cap(argc, argv);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc, argv);
	if (!strcmp(cmd, "top")) {
		if (json_output)
			return usage_error("top", "top has no JSON output: use "
					   "'restrack --json status'");
		return cmd_top(argc, argv);
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc, argv);
	return usage_error(NULL, "no command '%s'", cmd);
}

static const char *const commands[] = {
	"register", "deregister", "reset", "show", "fetch", "cap", "status", "top",
	"run", NULL,
};

int main(int argc, char **argv)
{
	const char *const *c;
	const char *cmd;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json_output = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(main_help, stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			return cmd_version();
		} else {
			report.command = "restrack";
			return finish(usage_error(NULL, "unknown option '%s'", argv[i]));
		}
	}
	if (i >= argc) {
		report.command = "restrack";
		return finish(usage_error(NULL, "give a command"));
	}
	cmd = argv[i];
	argc -= i;
	argv += i;
	report.command = "restrack";
	for (c = commands; *c; c++)
		if (!strcmp(*c, cmd))
			report.command = !strcmp(cmd, "fetch") ? "show" : *c;
	/* Errors in the command's options are JSON too when --json is among them. */
	if (strcmp(cmd, "top") && json_among(cmd, argc, argv))
		json_output = true;
	i = finish(dispatch(cmd, argc, argv));
	if (die_signal)
		die_of(die_signal);
	return i;
}
