/* SPDX-License-Identifier: GPL-2.0 */
/*
 * restrack(1): what the tool's source files share.  Not installed.
 */
#ifndef RESTRACK_TOOL_H
#define RESTRACK_TOOL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "restrack.h"

/* Exit codes, as restrack(1) documents them. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* any other failure */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NOTFOUND = 3,	/* no such process, or not tracked */
	EXIT_PERM = 4,		/* permission denied */
	EXIT_NOSYS = 5,		/* the kernel has no resource tracker */
	EXIT_RUN_FAIL = 125,	/* run: restrack failed before CMD started */
	EXIT_RUN_NOEXEC = 126,	/* run: CMD found but not executable */
	EXIT_RUN_NOENT = 127,	/* run: CMD not found */
};

#define STATUS_PATH "/proc/tracker_status"
#define STATUS_HEADER "PID HEAP_BYTES FILES HEAP_QUOTA_MB FILE_QUOTA STATE COMM"
#define COMM_SIZE 64

/*
 * One tracked process: from restrack_pidfd_get(2) (from_kernel), or on a
 * kernel without it from fetch(2) and /proc/tracker_status; and /proc.
 */
struct rt_proc {
	pid_t pid;
	unsigned long heap;		/* bytes */
	unsigned long files;
	long long heap_quota;		/* bytes, RESTRACK_UNLIMITED: none */
	long file_quota;		/* RESTRACK_UNLIMITED: none */
	bool quotas_known;		/* false: fetch(2) alone */
	bool from_kernel;		/* the fields below are known */
	bool inherit;			/* registered with RESTRACK_INHERIT */
	unsigned int heap_action;	/* RESTRACK_ACTION_KILL or _DENY */
	unsigned int files_action;
	unsigned long long heap_peak;	/* bytes */
	unsigned long long files_peak;
	char state;			/* letter of /proc/PID/stat, 0: unknown */
	char comm[COMM_SIZE];		/* "" unknown */
	long uid;			/* real uid, -1: unknown */
};

/* Where a list of tracked processes and their quotas came from. */
enum rt_source {
	SOURCE_KERNEL,		/* restrack_pidfd_get(2) */
	SOURCE_STATUS,		/* no pidfd calls: /proc/tracker_status */
	SOURCE_SCAN,		/* neither: fetch(2) on every process in /proc */
};

/* Why a quota killed run's CMD (restrack_pidfd_get(2)), for the report. */
enum kill_kind { KILL_HEAP, KILL_FILES };

struct kill_info {
	pid_t pid;
	char comm[COMM_SIZE];
	enum kill_kind kind;
	unsigned long usage;	/* heap bytes or files */
	long quota;		/* MiB or files */
};

/* A --heap value (cap, run). */
struct heap_arg {
	long mib;			/* RESTRACK_UNLIMITED: none */
	unsigned long long bytes;	/* as given, 0 for unlimited */
	bool rounded;			/* not whole MiB: rounded up */
};

enum over_quota { OVER_NONE, OVER_HEAP, OVER_FILES };

/* What a --json run prints: one object (restrack(1), JSON). */
struct report_error {
	pid_t pid;		/* 0: none */
	int err;		/* errno, 0: none */
	char *message;
};

struct report {
	const char *command;
	bool listed;		/* source and quotas_known apply */
	enum rt_source source;
	struct rt_proc *procs;
	size_t nprocs;
	bool killed;		/* run: a quota killed CMD */
	struct kill_info kill;
	char **notes;
	size_t nnotes;
	struct report_error *errors;
	size_t nerrors;
};

/* util.c: parsing */
int parse_pid(const char *s, pid_t *pid);
int parse_heap_quota(const char *s, long *mib, unsigned long long *bytes,
		     int *rounded);
int heap_arg_parse(const char *s, struct heap_arg *h, char *why, size_t size);
const char *heap_arg_rounding(const struct heap_arg *h, char *buf, size_t size);
enum over_quota over_quota(long long heap_quota, long files, unsigned long heap,
			   unsigned long nfiles, char *what, size_t size);
int parse_file_quota(const char *s, long *quota);
int parse_delay(const char *s, double *seconds);
int status_parse_line(const char *line, struct rt_proc *p);
int status_parse(const char *buf, struct rt_proc **list, size_t *n);
int status_parse_pids(const char *buf, pid_t **pids, size_t *n);

/* util.c: the system */
int status_read(struct rt_proc **list, size_t *n);
int status_lookup(pid_t pid, struct rt_proc *p);
int scan_tracked(struct rt_proc **list, size_t *n);
int list_tracked(struct rt_proc **list, size_t *n, enum rt_source *source);
int pidfd_of(pid_t pid);
int kernel_read(int pidfd, pid_t pid, struct rt_proc *p);
int kernel_proc(pid_t pid, struct rt_proc *p);
void info_to_proc(const struct restrack_info *info, struct rt_proc *p);
void proc_fill(struct rt_proc *p, bool comm_too);
bool proc_comm(pid_t pid, char *buf, size_t size);
char proc_state(pid_t pid);
long proc_uid(pid_t pid);
const char *user_name(long uid, char *buf, size_t size);
int user_uid(const char *name, long *uid);
int exit_code_for(int err);
const char *state_name(char state);

/* output.c */
void json_string(FILE *f, const char *s);
char *format_heap_quota(long long bytes, bool known, char *buf, size_t size);
char *format_file_quota(long quota, bool known, char *buf, size_t size);
char *format_percent(unsigned long usage, unsigned long long limit,
		     bool limited, char *buf, size_t size);
const char *comm_text(const char *comm, char *buf, size_t size);
void print_show(FILE *f, const struct rt_proc *p);
void print_status(FILE *f, const struct rt_proc *list, size_t n);
void report_add_proc(struct report *r, const struct rt_proc *p);
void report_add_note(struct report *r, const char *msg);
void report_add_error(struct report *r, pid_t pid, int err, const char *msg);
void print_report_json(FILE *f, const struct report *r, int exit_code);
void report_free(struct report *r);

/* run.c, top.c */
extern int die_signal;
void die_of(int sig);
int cmd_run(int argc, char **argv);
int cmd_top(int argc, char **argv);

/* main.c */
extern const char *prog_name;
extern bool json_output;
int cmd_help(const char *cmd);
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void error_note(pid_t pid, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void report_kill(const struct kill_info *k);
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* util.c, end: the quota options of run and cap */
#define RUN_DENY_HEAP	0x1U	/* run --deny=heap */
#define RUN_DENY_FILES	0x2U	/* run --deny=files */
int heap_quota_arg(const char *s, struct heap_arg *h, char *msg, size_t size);
int run_deny_parse(const char *s, unsigned int *deny);
bool run_deny_fits(unsigned int deny, bool heap, bool files, char *why, size_t size);

#endif /* RESTRACK_TOOL_H */
