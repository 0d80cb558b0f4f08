// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for restrack(1) and librestrack: size parsing and
 * formatting, command line values, /proc/tracker_status and kill line
 * parsing, error messages, and the human and JSON output.  No kernel
 * support needed.
 *
 * Prints "ok - NAME" or "FAIL - NAME" per test, the failed checks, and
 * ends with "N passed, N failed"; exits 1 when a test failed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "restrack.h"
#include "tool.h"

/* tool.h's main.c symbols that util.c and output.c do not need. */
const char *prog_name = "restrack";

static int passed, failed, test_failed;
static const char *current;

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		test_failed = 1; \
		printf("  %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		printf(__VA_ARGS__); \
		printf("\n"); \
	} \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *__g = (got), *__w = (want); \
	CHECK(__g && !strcmp(__g, __w), "got \"%s\", want \"%s\"", \
	      __g ? __g : "(null)", __w); \
} while (0)

#define CHECK_INT(got, want) do { \
	long long __g = (long long)(got), __w = (long long)(want); \
	CHECK(__g == __w, "got %lld, want %lld", __g, __w); \
} while (0)

static void run(const char *name, void (*fn)(void))
{
	current = name;
	test_failed = 0;
	fn();
	if (test_failed) {
		failed++;
		printf("FAIL - %s\n", name);
	} else {
		passed++;
		printf("ok - %s\n", name);
	}
}

/* Run a print function into a string (malloc'ed). */
#define CAPTURE(buf, call) do { \
	size_t __len; \
	FILE *f = open_memstream(&(buf), &__len); \
	call; \
	fclose(f); \
} while (0)

/* ---------------------------------------------------------------------
 * librestrack: sizes.
 */
static void parse_size_accepts_units(void)
{
	static const struct {
		const char *in;
		unsigned long long want;
	} ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "10B", 10 }, { "10 b", 10 },
		{ "1K", 1024 }, { "1k", 1024 }, { "1KiB", 1024 }, { "1 KiB", 1024 },
		{ "1kib", 1024 }, { "1KB", 1000 }, { "1kB", 1000 },
		{ "1M", 1048576 }, { "1MiB", 1048576 }, { "1MB", 1000000 },
		{ "64M", 67108864 }, { "1G", 1073741824 }, { "1GiB", 1073741824 },
		{ "1GB", 1000000000 }, { "2T", 2ULL << 40 }, { "1TB", 1000000000000ULL },
		{ "1.5M", 1572864 }, { "1.5MiB", 1572864 }, { "0.5K", 512 },
		{ "0.3K", 308 },	/* 307.2 rounds up */
		{ "1.5", 2 },		/* half a byte rounds up */
		{ "2.25G", 2415919104ULL }, { " 12M ", 12582912 },
		{ "0.0000000000000000001K", 1 },	/* beyond 18 digits */
		{ "18446744073709551615", ULLONG_MAX },
		{ "16777215T", 16777215ULL << 40 },
	};
	unsigned long long b;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		b = 12345;
		CHECK_INT(restrack_parse_size(ok[i].in, &b), 0);
		CHECK(b == ok[i].want, "\"%s\": got %llu, want %llu", ok[i].in, b,
		      ok[i].want);
	}
}

static void parse_size_rejects_garbage(void)
{
	static const char *const bad[] = {
		"", " ", "M", "-1", "+1", "1X", "1.5.5", "1.", ".5", "1MiBs",
		"1 M B", "0x10", "1e6", "1,5M", "ten", "1 2",
	};
	unsigned long long b = 7;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(restrack_parse_size(bad[i], &b) == -EINVAL, "\"%s\" accepted",
		      bad[i]);
	CHECK_INT(b, 7);
	CHECK_INT(restrack_parse_size(NULL, &b), -EINVAL);
	CHECK_INT(restrack_parse_size("18446744073709551616", &b), -ERANGE);
	CHECK_INT(restrack_parse_size("16777216T", &b), -ERANGE);
	CHECK_INT(restrack_parse_size("16777215.999999999999999999T", &b), -ERANGE);
	CHECK_INT(restrack_parse_size("99999999999999999999", &b), -ERANGE);
}

static void bytes_to_mib_rounds_up(void)
{
	long mib = -5;

	CHECK_INT(restrack_bytes_to_mib(0, &mib), 0);
	CHECK_INT(mib, 0);
	CHECK_INT(restrack_bytes_to_mib(1, &mib), 1);
	CHECK_INT(mib, 1);
	CHECK_INT(restrack_bytes_to_mib(1048576, &mib), 0);
	CHECK_INT(mib, 1);
	CHECK_INT(restrack_bytes_to_mib(1048577, &mib), 1);
	CHECK_INT(mib, 2);
	CHECK_INT(restrack_bytes_to_mib(1572864, &mib), 1);
	CHECK_INT(mib, 2);
	CHECK_INT(restrack_bytes_to_mib(64ULL << 20, &mib), 0);
	CHECK_INT(mib, 64);
	/* The kernel's limit: the quota's bytes fit in an unsigned long. */
	CHECK_INT(restrack_bytes_to_mib((unsigned long long)(ULONG_MAX >> 20) << 20, &mib), 0);
	CHECK_INT(mib, (long)(ULONG_MAX >> 20));
	CHECK_INT(restrack_bytes_to_mib(ULLONG_MAX, &mib), -ERANGE);
}

static void format_size_is_human(void)
{
	static const struct {
		unsigned long long in;
		const char *want;
	} v[] = {
		{ 0, "0 B" }, { 1, "1 B" }, { 1023, "1023 B" }, { 1024, "1 KiB" },
		{ 1536, "1.5 KiB" }, { 1100, "1.1 KiB" }, { 135168, "132 KiB" },
		{ 102400, "100 KiB" }, { 102911, "100 KiB" },
		{ 102912, "101 KiB" },	/* 100.5 rounds half up */
		{ 4194304, "4 MiB" }, { 1048575, "1.0 MiB" }, { 5246976, "5.0 MiB" },
		{ 1572864, "1.5 MiB" }, { 99 * 1048576ULL + 1048576 / 2, "99.5 MiB" },
		{ 1073741824, "1 GiB" }, { 1342177280, "1.3 GiB" },	/* 1.25 */
		{ 1ULL << 40, "1 TiB" }, { ULLONG_MAX, "16.0 EiB" },
	};
	char buf[RESTRACK_SIZE_BUFSZ];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CHECK_STR(restrack_format_size(v[i].in, buf, sizeof(buf)), v[i].want);
	CHECK_STR(restrack_format_size(1536, buf, 4), "1.5");	/* truncated */
}

static void format_then_parse_round_trips(void)
{
	static const unsigned long long v[] = { 0, 1, 1024, 1572864, 4194304,
						1ULL << 30, 3ULL << 40 };
	char buf[RESTRACK_SIZE_BUFSZ];
	unsigned long long b;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		restrack_format_size(v[i], buf, sizeof(buf));
		CHECK_INT(restrack_parse_size(buf, &b), 0);
		CHECK(b == v[i], "\"%s\": %llu != %llu", buf, b, v[i]);
	}
}

/* ---------------------------------------------------------------------
 * librestrack: messages.
 */
static void nosys_message_is_plain(void)
{
	char buf[256];
	enum restrack_op op;

	CHECK_STR(restrack_strerror(-ENOSYS),
		  "this kernel has no resource tracker (boot a restrack kernel)");
	CHECK_STR(restrack_strerror(ENOSYS), restrack_strerror(-ENOSYS));
	for (op = RESTRACK_OP_REGISTER; op <= RESTRACK_OP_RESET; op++)
		CHECK_STR(restrack_describe_error(op, 42, -ENOSYS, buf, sizeof(buf)),
			  "this kernel has no resource tracker (boot a restrack kernel)");
	CHECK_STR(restrack_strerror(-ESRCH), strerror(ESRCH));
}

static void describe_error_names_pid_and_cause(void)
{
	char buf[512];

	CHECK_STR(restrack_describe_error(RESTRACK_OP_REGISTER, 42, -EEXIST, buf, sizeof(buf)),
		  "cannot register pid 42: it is tracked already");
	CHECK_STR(restrack_describe_error(RESTRACK_OP_REGISTER, 1, -EINVAL, buf, sizeof(buf)),
		  "cannot register pid 1: it is init or a kernel thread, which cannot be tracked");
	CHECK_STR(restrack_describe_error(RESTRACK_OP_FETCH, 0, -EINVAL, buf, sizeof(buf)),
		  "cannot read the usage of pid 0: a pid must be 1 or more");
	CHECK_STR(restrack_describe_error(RESTRACK_OP_FETCH, 7, -ENOENT, buf, sizeof(buf)),
		  "cannot read the usage of pid 7: it is not tracked (register it first)");
	CHECK_STR(restrack_describe_error(RESTRACK_OP_FETCH, 7, ESRCH, buf, sizeof(buf)),
		  "cannot read the usage of pid 7: no such process (or it has exited)");
	CHECK_STR(restrack_describe_error(RESTRACK_OP_FETCH, 7, -EPERM, buf, sizeof(buf)),
		  "cannot read the usage of pid 7: permission denied: you may not read it "
		  "(ptrace read check)");
	CHECK_STR(restrack_describe_error(RESTRACK_OP_CAP, 9, -EPERM, buf, sizeof(buf)),
		  "cannot set the quotas of pid 9: permission denied: it is not yours, or "
		  "the new quotas raise a limit, which needs CAP_SYS_RESOURCE");
	CHECK_STR(restrack_describe_error(RESTRACK_OP_CAP, 9, -EINVAL, buf, sizeof(buf)),
		  "cannot set the quotas of pid 9: a quota is below -1 (unlimited) or too large");
	CHECK_STR(restrack_describe_error(RESTRACK_OP_RESET, 9, -EPERM, buf, sizeof(buf)),
		  "cannot reset the quotas of pid 9: permission denied: it is not yours, or "
		  "it has a quota and lifting a quota needs CAP_SYS_RESOURCE");
	CHECK_STR(restrack_describe_error(RESTRACK_OP_DEREGISTER, 9, -ENOENT, buf, sizeof(buf)),
		  "cannot deregister pid 9: it is not tracked (register it first)");
	CHECK_STR(restrack_describe_error(RESTRACK_OP_REGISTER, 9, -EPERM, buf, sizeof(buf)),
		  "cannot register pid 9: permission denied: it is not yours (its real, "
		  "effective and saved user and group ids must all be your real ids) and "
		  "you lack CAP_SYS_RESOURCE");
	CHECK_STR(restrack_describe_error(RESTRACK_OP_REGISTER, 9, -EEXIST, buf, 12),
		  "cannot regi");
	CHECK_STR(restrack_op_name(RESTRACK_OP_CAP), "resource_cap");
	CHECK_STR(restrack_op_name(RESTRACK_OP_RESET), "resource_reset");
	CHECK_STR(restrack_version(), RESTRACK_VERSION);
}

static void exit_codes_are_distinct(void)
{
	CHECK_INT(exit_code_for(0), 0);
	CHECK_INT(exit_code_for(-ESRCH), 3);
	CHECK_INT(exit_code_for(-ENOENT), 3);
	CHECK_INT(exit_code_for(-EPERM), 4);
	CHECK_INT(exit_code_for(EPERM), 4);
	CHECK_INT(exit_code_for(-ENOSYS), 5);
	CHECK_INT(exit_code_for(-EEXIST), 1);
	CHECK_INT(exit_code_for(-EINVAL), 1);
	CHECK_INT(EXIT_USAGE, 2);
}

/* ---------------------------------------------------------------------
 * Command line values.
 */
static void parse_pid_is_strict(void)
{
	pid_t pid = 0;

	CHECK_INT(parse_pid("1", &pid), 0);
	CHECK_INT(pid, 1);
	CHECK_INT(parse_pid("2147483647", &pid), 0);
	CHECK_INT(pid, INT_MAX);
	CHECK_INT(parse_pid("2147483648", &pid), -ERANGE);
	CHECK_INT(parse_pid("0", &pid), -EINVAL);
	CHECK_INT(parse_pid("-1", &pid), -EINVAL);
	CHECK_INT(parse_pid("+1", &pid), -EINVAL);
	CHECK_INT(parse_pid(" 1", &pid), -EINVAL);
	CHECK_INT(parse_pid("12a", &pid), -EINVAL);
	CHECK_INT(parse_pid("", &pid), -EINVAL);
	CHECK_INT(pid, INT_MAX);
}

static void heap_quota_rounds_to_mib(void)
{
	unsigned long long bytes;
	long mib;
	int rounded;

	CHECK_INT(parse_heap_quota("4M", &mib, &bytes, &rounded), 0);
	CHECK_INT(mib, 4);
	CHECK_INT(rounded, 0);
	CHECK_INT(parse_heap_quota("1500000", &mib, &bytes, &rounded), 0);
	CHECK_INT(mib, 2);
	CHECK_INT(rounded, 1);
	CHECK_INT(bytes, 1500000);
	CHECK_INT(parse_heap_quota("100K", &mib, &bytes, &rounded), 0);
	CHECK_INT(mib, 1);
	CHECK_INT(rounded, 1);
	CHECK_INT(parse_heap_quota("0", &mib, &bytes, &rounded), 0);
	CHECK_INT(mib, 0);
	CHECK_INT(parse_heap_quota("unlimited", &mib, &bytes, &rounded), 0);
	CHECK_INT(mib, -1);
	CHECK_INT(parse_heap_quota("-1", &mib, &bytes, &rounded), 0);
	CHECK_INT(mib, -1);
	CHECK_INT(parse_heap_quota("-5M", &mib, &bytes, &rounded), -EINVAL);
	CHECK_INT(parse_heap_quota("5Q", &mib, &bytes, &rounded), -EINVAL);
	CHECK_INT(parse_heap_quota("18446744073709551615", &mib, &bytes, &rounded), -ERANGE);
}

/* cap and run share one --heap parser; a bare number under 1 MiB is refused. */
static void heap_arg_refuses_bare_bytes_under_a_mib(void)
{
	struct heap_arg h;
	char why[256], note[256];

	CHECK_INT(heap_arg_parse("512", &h, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "--heap '512' is 512 bytes, which the kernel would round up to "
		  "1 MiB: did you mean 512M? (write 512B for bytes)");
	CHECK_INT(heap_arg_parse("1048575", &h, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "did you mean 1048575M?"), "%s", why);
	/* A unit says what is meant. */
	CHECK_INT(heap_arg_parse("512B", &h, why, sizeof(why)), 0);
	CHECK_INT(h.mib, 1);
	CHECK_INT(h.rounded, 1);
	CHECK_INT(heap_arg_parse("100K", &h, why, sizeof(why)), 0);
	CHECK_INT(h.mib, 1);
	CHECK_INT(heap_arg_parse("0", &h, why, sizeof(why)), 0);
	CHECK_INT(h.mib, 0);
	CHECK_INT(h.rounded, 0);
	CHECK_INT(heap_arg_parse("1048576", &h, why, sizeof(why)), 0);
	CHECK_INT(h.mib, 1);
	CHECK_INT(h.rounded, 0);
	CHECK(!heap_arg_rounding(&h, note, sizeof(note)), "rounded");
	CHECK_INT(heap_arg_parse("40000000", &h, why, sizeof(why)), 0);
	CHECK_INT(h.mib, 39);
	CHECK_STR(heap_arg_rounding(&h, note, sizeof(note)),
		  "heap quota 38.1 MiB (40000000 bytes) rounded up to 39 MiB: the kernel "
		  "counts whole MiB");
	CHECK_INT(heap_arg_parse("unlimited", &h, why, sizeof(why)), 0);
	CHECK_INT(h.mib, -1);
	CHECK_INT(heap_arg_parse("5Q", &h, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "--heap '5Q' is not a size (like 512K, 64M, 1.5GiB, or unlimited)");
	CHECK_INT(heap_arg_parse("18446744073709551615", &h, why, sizeof(why)), -ERANGE);
	CHECK_STR(why, "--heap '18446744073709551615' is too large");
}

static void over_quota_says_which(void)
{
	char what[160];

	CHECK_INT(over_quota(-1, -1, 1UL << 40, 1000, what, sizeof(what)), OVER_NONE);
	CHECK_STR(what, "");
	CHECK_INT(over_quota(1 << 20, 10, 1048576, 10, what, sizeof(what)), OVER_NONE);
	CHECK_INT(over_quota(0, 10, 135168, 3, what, sizeof(what)), OVER_HEAP);
	CHECK_STR(what, "132 KiB (135168 bytes), over the heap quota of 0 MiB");
	/* A quota of bytes (restrack_pidfd_set_quota(2) counts pages). */
	CHECK_INT(over_quota(8192, 10, 135168, 3, what, sizeof(what)), OVER_HEAP);
	CHECK_STR(what, "132 KiB (135168 bytes), over the heap quota of 8 KiB");
	CHECK_INT(over_quota(135168, -1, 135168, 3, what, sizeof(what)), OVER_NONE);
	CHECK_INT(over_quota(135167, -1, 135168, 3, what, sizeof(what)), OVER_HEAP);
	CHECK_INT(over_quota(4 << 20, 2, 135168, 3, what, sizeof(what)), OVER_FILES);
	CHECK_STR(what, "3 open files, over the file quota of 2");
	CHECK_INT(over_quota(0, 0, 1, 1, NULL, 0), OVER_HEAP);
}

/*
 * getpwuid(3) as this program sees it: one user only NSS knows (not in
 * /etc/passwd), one uid whose lookup fails, the C library's for the rest.
 */
#define NSS_ONLY_UID 4242424
#define NSS_FAIL_UID 4242425

struct passwd *getpwuid(uid_t uid)
{
	static char name[] = "nss-only", none[] = "";
	static struct passwd pw;
	struct passwd *(*real)(uid_t);

	if (uid == NSS_ONLY_UID) {
		pw = (struct passwd){ .pw_name = name, .pw_passwd = none, .pw_uid = uid,
				      .pw_gid = uid, .pw_gecos = none, .pw_dir = none,
				      .pw_shell = none };
		return &pw;
	}
	if (uid == NSS_FAIL_UID) {
		errno = EIO;
		return NULL;
	}
	*(void **)&real = dlsym(RTLD_NEXT, "getpwuid");
	return real ? real(uid) : NULL;
}

/* User names come from NSS (getpwuid), not from parsing /etc/passwd. */
static void user_names_come_from_nss(void)
{
	struct passwd *pw;
	char buf[40], want[40];

	CHECK_STR(user_name(NSS_ONLY_UID, buf, sizeof(buf)), "nss-only");
	CHECK_STR(user_name(NSS_FAIL_UID, buf, sizeof(buf)), "4242425");
	CHECK_STR(user_name(-1, buf, sizeof(buf)), "?");
	pw = getpwuid(0);
	snprintf(want, sizeof(want), "%s", pw ? pw->pw_name : "0");
	CHECK_STR(user_name(0, buf, sizeof(buf)), want);
	/* Asked again: the same answer (remembered). */
	CHECK_STR(user_name(NSS_ONLY_UID, buf, sizeof(buf)), "nss-only");
}

static void file_quota_and_delay(void)
{
	long q;
	double d;

	CHECK_INT(parse_file_quota("10", &q), 0);
	CHECK_INT(q, 10);
	CHECK_INT(parse_file_quota("0", &q), 0);
	CHECK_INT(q, 0);
	CHECK_INT(parse_file_quota("unlimited", &q), 0);
	CHECK_INT(q, -1);
	CHECK_INT(parse_file_quota("-1", &q), 0);
	CHECK_INT(q, -1);
	CHECK_INT(parse_file_quota("-2", &q), -EINVAL);
	CHECK_INT(parse_file_quota("10k", &q), -EINVAL);
	CHECK_INT(parse_file_quota("9223372036854775808", &q), -ERANGE);
	CHECK_INT(parse_delay("0.5", &d), 0);
	CHECK(d == 0.5, "%f", d);
	CHECK_INT(parse_delay("2", &d), 0);
	CHECK_INT(parse_delay("0", &d), -EINVAL);
	CHECK_INT(parse_delay("-1", &d), -EINVAL);
	CHECK_INT(parse_delay("1s", &d), -EINVAL);
	CHECK_INT(parse_delay("nan", &d), -EINVAL);
}

/* ---------------------------------------------------------------------
 * /proc/tracker_status.
 */
static void status_line_parses(void)
{
	struct rt_proc p;

	CHECK_INT(status_parse_line("312 135168 3 -1 -1 S sleeper", &p), 0);
	CHECK_INT(p.pid, 312);
	CHECK_INT(p.heap, 135168);
	CHECK_INT(p.files, 3);
	CHECK_INT(p.heap_quota, -1);
	CHECK_INT(p.file_quota, -1);
	CHECK(!p.from_kernel, "from the kernel");
	CHECK_INT(p.state, 'S');
	CHECK_STR(p.comm, "sleeper");
	CHECK(p.quotas_known, "quotas not known");
	CHECK_INT(p.uid, -1);
	CHECK_INT(status_parse_line("7 1 2 4 10 R my  (prog)\n", &p), 0);
	CHECK_STR(p.comm, "my  (prog)");
	CHECK_INT(p.heap_quota, 4 << 20);
	CHECK_INT(p.file_quota, 10);
	CHECK_INT(status_parse_line("312  135168 3 -1 -1 S x", &p), -EINVAL);
	CHECK_INT(status_parse_line("312 135168 3 -1 -1 S", &p), -EINVAL);
	CHECK_INT(status_parse_line("312 135168 3 -1 S x", &p), -EINVAL);
	CHECK_INT(status_parse_line("312 -5 3 -1 -1 S x", &p), -EINVAL);
	CHECK_INT(status_parse_line("312 5 3 -2 -1 S x", &p), -EINVAL);
	CHECK_INT(status_parse_line("0 5 3 -1 -1 S x", &p), -EINVAL);
	CHECK_INT(status_parse_line("PID HEAP_BYTES FILES HEAP_QUOTA_MB FILE_QUOTA STATE COMM", &p),
		  -EINVAL);
	CHECK_INT(status_parse_line("", &p), -EINVAL);
}

static void status_file_parses(void)
{
	const char *buf = STATUS_HEADER "\n"
		"312 135168 3 -1 -1 S sleeper\n"
		"garbage line\n"
		"400 5246976 11 4 10 R hog\n";
	struct rt_proc *list;
	size_t n;

	CHECK_INT(status_parse(buf, &list, &n), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(list[0].pid, 312);
		CHECK_INT(list[1].pid, 400);
		CHECK_INT(list[1].heap_quota, 4 << 20);
		CHECK_STR(list[1].comm, "hog");
	}
	free(list);
	CHECK_INT(status_parse(STATUS_HEADER "\n", &list, &n), 0);
	CHECK_INT(n, 0);
	free(list);
	CHECK_INT(status_parse(STATUS_HEADER, &list, &n), 0);
	CHECK_INT(n, 0);
	free(list);
	CHECK_INT(status_parse("nonsense\n1 2 3 4 5 S x\n", &list, &n), -EINVAL);
}

/*
 * Only the PID column is read; a command name set with PR_SET_NAME to
 * "\n1 0 0 1 1 S x" makes a row of its own on a tracker module that does
 * not escape it: its pid is listed (the kernel is asked, and says it is
 * not tracked), nothing else of it.  Each pid once.
 */
static void status_pids_are_the_pid_column_only(void)
{
	const char *buf = STATUS_HEADER "\n"
		"312 135168 3 -1 -1 S \n"
		"1 0 0 1 1 S x\n"
		"garbage line\n"
		"312 0 0 0 0 R forged again\n"
		"400\n"
		"0 1 1 1 1 S zero\n"
		"-5 1 1 1 1 S neg\n"
		"2147483648 1 1 1 1 S big\n"
		"99999999999999999999999 1 S huge\n"
		" 77 1 1 1 1 S space\n"
		"2147483647 x\n"
		"500 5246976 11 4 10 R hog";
	pid_t *pids;
	size_t n;

	CHECK_INT(status_parse_pids(buf, &pids, &n), 0);
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_INT(pids[0], 312);
		CHECK_INT(pids[1], 1);
		CHECK_INT(pids[2], 2147483647);
		CHECK_INT(pids[3], 500);
	}
	free(pids);
	CHECK_INT(status_parse_pids(STATUS_HEADER "\n", &pids, &n), 0);
	CHECK_INT(n, 0);
	free(pids);
	CHECK_INT(status_parse_pids("1 2 3 4 5 S x\n", &pids, &n), -EINVAL);
	CHECK_INT(n, 0);
}

/*
 * On a kernel without the resource tracker (this host, unless it runs a
 * restrack kernel) the pidfd path says ENOSYS, which is what makes the
 * tool fall back, and the fallback says ENOSYS too.
 */
static void kernel_read_says_enosys_without_the_calls(void)
{
	struct rt_proc p, *list = NULL;
	enum rt_source source = SOURCE_KERNEL;
	size_t n = 0;

	if (restrack_available()) {
		printf("  (a restrack kernel: nothing to check)\n");
		return;
	}
	CHECK_INT(kernel_proc(getpid(), &p), -ENOSYS);
	CHECK_INT(list_tracked(&list, &n, &source), -ENOSYS);
	CHECK_INT(source, access(STATUS_PATH, F_OK) ? SOURCE_SCAN : SOURCE_STATUS);
	CHECK_INT(n, 0);
	free(list);
}

/* restrack_pidfd_get(2)'s answer, as show, status and top use it. */
static void info_fills_proc(void)
{
	struct restrack_info info = {
		.flags = RESTRACK_INHERIT, .heap_bytes = 135168, .files = 3,
		.heap_quota = 8192, .files_quota = RESTRACK_NO_QUOTA,
		.heap_action = RESTRACK_ACTION_DENY, .files_action = RESTRACK_ACTION_KILL,
		.heap_peak = 200704, .files_peak = 9,
	};
	struct rt_proc p;

	memset(&p, 0, sizeof(p));
	info_to_proc(&info, &p);
	CHECK_INT(p.heap, 135168);
	CHECK_INT(p.files, 3);
	CHECK_INT(p.heap_quota, 8192);
	CHECK_INT(p.file_quota, -1);
	CHECK(p.quotas_known && p.from_kernel && p.inherit, "flags");
	CHECK_INT(p.heap_action, RESTRACK_ACTION_DENY);
	CHECK_INT(p.files_action, RESTRACK_ACTION_KILL);
	CHECK_INT(p.heap_peak, 200704);
	CHECK_INT(p.files_peak, 9);
	info.flags = 0;
	info.heap_quota = RESTRACK_NO_QUOTA;
	info.files_quota = 0;
	info_to_proc(&info, &p);
	CHECK_INT(p.heap_quota, -1);
	CHECK_INT(p.file_quota, 0);
	CHECK(!p.inherit, "inherit");
}

/* ---------------------------------------------------------------------
 * Output.
 */
static struct rt_proc sample(void)
{
	struct rt_proc p;

	memset(&p, 0, sizeof(p));
	p.pid = 312;
	p.heap = 135168;
	p.files = 3;
	p.heap_quota = 4 << 20;
	p.file_quota = 10;
	p.quotas_known = true;
	p.state = 'S';
	strcpy(p.comm, "sleeper");
	p.uid = 0;
	return p;
}

static void json_strings_are_escaped(void)
{
	char *out = NULL;

	CAPTURE(out, json_string(f, "a\"b\\c\n\t\x01\x7f"));
	CHECK_STR(out, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\"");
	free(out);
	CAPTURE(out, json_string(f, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	CHECK_STR(out, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	free(out);
	/* Not UTF-8: a lone continuation byte, a cut sequence, an overlong one. */
	CAPTURE(out, json_string(f, "a\x80 b\xc3 c\xc0\xaf d\xed\xa0\x80"));
	CHECK_STR(out, "\"a\\ufffd b\\ufffd c\\ufffd\\ufffd d\\ufffd\\ufffd\\ufffd\"");
	free(out);
	CAPTURE(out, json_string(f, NULL));
	CHECK_STR(out, "null");
	free(out);
}

/* Every --json command prints this one object (restrack(1), JSON). */
static void json_report_show(void)
{
	struct report r = { .command = "show", .listed = true, .source = SOURCE_STATUS };
	struct rt_proc p = sample();
	char *out = NULL;

	report_add_proc(&r, &p);
	CAPTURE(out, print_report_json(f, &r, 0));
	CHECK_STR(out, "{\"command\":\"show\",\"source\":\"tracker_status\","
		  "\"quotas_known\":true,\"processes\":["
		  "{\"pid\":312,\"comm\":\"sleeper\",\"state\":\"S\",\"uid\":0,"
		  "\"heap_bytes\":135168,\"files\":3,\"heap_quota_mib\":4,"
		  "\"heap_quota_bytes\":4194304,\"file_quota\":10,\"inherit\":null,"
		  "\"heap_action\":null,\"files_action\":null,\"heap_peak\":null,"
		  "\"files_peak\":null}],"
		  "\"kill\":null,\"notes\":[],\"errors\":[],\"exit\":0}\n");
	free(out);
	report_free(&r);

	r.command = "show";
	r.listed = true;
	r.source = SOURCE_STATUS;
	p.heap_quota = -1;
	p.file_quota = -1;
	report_add_proc(&r, &p);
	p.quotas_known = false;
	p.state = 0;
	p.uid = -1;
	p.pid = 400;
	strcpy(p.comm, "a \"q\"");
	report_add_proc(&r, &p);
	report_add_error(&r, 77, -ESRCH, "cannot read the usage of pid 77: no such process");
	CAPTURE(out, print_report_json(f, &r, 3));
	CHECK_STR(out, "{\"command\":\"show\",\"source\":\"tracker_status\","
		  "\"quotas_known\":true,\"processes\":["
		  "{\"pid\":312,\"comm\":\"sleeper\",\"state\":\"S\",\"uid\":0,"
		  "\"heap_bytes\":135168,\"files\":3,\"heap_quota_mib\":-1,"
		  "\"heap_quota_bytes\":-1,\"file_quota\":-1,\"inherit\":null,"
		  "\"heap_action\":null,\"files_action\":null,\"heap_peak\":null,"
		  "\"files_peak\":null},"
		  "{\"pid\":400,\"comm\":\"a \\\"q\\\"\",\"state\":null,\"uid\":null,"
		  "\"heap_bytes\":135168,\"files\":3,\"heap_quota_mib\":null,"
		  "\"heap_quota_bytes\":null,\"file_quota\":null,\"inherit\":null,"
		  "\"heap_action\":null,\"files_action\":null,\"heap_peak\":null,"
		  "\"files_peak\":null}],\"kill\":null,"
		  "\"notes\":[],\"errors\":[{\"pid\":77,\"errno\":\"ESRCH\",\"message\":"
		  "\"cannot read the usage of pid 77: no such process\"}],\"exit\":3}\n");
	free(out);
	report_free(&r);

	/* From restrack_pidfd_get(2): actions, peaks, inherit; a quota of bytes. */
	r.command = "status";
	r.listed = true;
	r.source = SOURCE_KERNEL;
	p = sample();
	p.from_kernel = true;
	p.inherit = true;
	p.heap_quota = 4096;
	p.heap_action = RESTRACK_ACTION_DENY;
	p.heap_peak = 200704;
	p.files_peak = 7;
	report_add_proc(&r, &p);
	CAPTURE(out, print_report_json(f, &r, 0));
	CHECK_STR(out, "{\"command\":\"status\",\"source\":\"kernel\","
		  "\"quotas_known\":true,\"processes\":["
		  "{\"pid\":312,\"comm\":\"sleeper\",\"state\":\"S\",\"uid\":0,"
		  "\"heap_bytes\":135168,\"files\":3,\"heap_quota_mib\":1,"
		  "\"heap_quota_bytes\":4096,\"file_quota\":10,\"inherit\":true,"
		  "\"heap_action\":\"deny\",\"files_action\":\"kill\",\"heap_peak\":200704,"
		  "\"files_peak\":7}],"
		  "\"kill\":null,\"notes\":[],\"errors\":[],\"exit\":0}\n");
	free(out);
	report_free(&r);
}

static void json_report_status_errors_and_kill(void)
{
	struct report r = { .command = "status", .listed = true, .source = SOURCE_SCAN };
	struct kill_info k = { .pid = 29, .comm = "hog", .kind = KILL_HEAP,
			       .usage = 8560640, .quota = 8 };
	char *out = NULL;

	report_add_note(&r, "/proc/tracker_status is missing");
	CAPTURE(out, print_report_json(f, &r, 0));
	CHECK_STR(out, "{\"command\":\"status\",\"source\":\"fetch\",\"quotas_known\":false,"
		  "\"processes\":[],\"kill\":null,\"notes\":[\"/proc/tracker_status is "
		  "missing\"],\"errors\":[],\"exit\":0}\n");
	free(out);
	report_free(&r);

	/* A usage error: no pid, no errno; no list read. */
	r.command = "register";
	report_add_error(&r, 0, 0, "'-1' is not a PID (a number from 1)");
	CAPTURE(out, print_report_json(f, &r, 2));
	CHECK_STR(out, "{\"command\":\"register\",\"source\":null,\"quotas_known\":null,"
		  "\"processes\":[],\"kill\":null,\"notes\":[],\"errors\":[{\"pid\":null,"
		  "\"errno\":null,\"message\":\"'-1' is not a PID (a number from 1)\"}],"
		  "\"exit\":2}\n");
	free(out);
	report_free(&r);

	r.command = "run";
	r.killed = true;
	r.kill = k;
	CAPTURE(out, print_report_json(f, &r, 137));
	CHECK_STR(out, "{\"command\":\"run\",\"source\":null,\"quotas_known\":null,"
		  "\"processes\":[],\"kill\":{\"pid\":29,\"comm\":\"hog\",\"quota\":\"heap\","
		  "\"usage\":8560640,\"limit\":8388608},\"notes\":[],\"errors\":[],"
		  "\"exit\":137}\n");
	free(out);
	k.kind = KILL_FILES;
	k.usage = 11;
	k.quota = 10;
	r.kill = k;
	CAPTURE(out, print_report_json(f, &r, 137));
	CHECK(strstr(out, "\"kill\":{\"pid\":29,\"comm\":\"hog\",\"quota\":\"files\","
		     "\"usage\":11,\"limit\":10}"), "%s", out);
	free(out);
	report_free(&r);
}

static void show_human(void)
{
	struct rt_proc p = sample();
	char *out = NULL;

	p.uid = -1;
	CAPTURE(out, print_show(f, &p));
	CHECK_STR(out,
		  "pid:         312\n"
		  "command:     sleeper\n"
		  "state:       S (sleeping)\n"
		  "heap:        132 KiB (135168 bytes)\n"
		  "heap quota:  4 MiB (3% used)\n"
		  "files:       3\n"
		  "file quota:  10 (30% used)\n");
	free(out);
	p.heap_quota = -1;
	p.quotas_known = false;
	CAPTURE(out, print_show(f, &p));
	CHECK(strstr(out, "heap quota:  unknown (no restrack_pidfd_get(2), no "
		     "/proc/tracker_status)\n") && strstr(out, "file quota:  unknown\n"),
	      "%s", out);
	free(out);
	p.quotas_known = true;
	p.file_quota = -1;
	CAPTURE(out, print_show(f, &p));
	CHECK(strstr(out, "heap quota:  unlimited\n") && strstr(out, "file quota:  unlimited\n"),
	      "%s", out);
	free(out);
	/* From restrack_pidfd_get(2). */
	p = sample();
	p.uid = -1;
	p.from_kernel = true;
	p.heap_quota = 8192;
	p.files_action = RESTRACK_ACTION_DENY;
	p.heap_peak = 200704;
	p.files_peak = 9;
	CAPTURE(out, print_show(f, &p));
	CHECK_STR(out,
		  "pid:         312\n"
		  "command:     sleeper\n"
		  "state:       S (sleeping)\n"
		  "heap:        132 KiB (135168 bytes)\n"
		  "heap quota:  8 KiB (1650% used)\n"
		  "files:       3\n"
		  "file quota:  10 (30% used)\n"
		  "over quota:  heap: kill, files: deny\n"
		  "peaks:       heap 196 KiB (200704 bytes), files 9\n"
		  "children:    not tracked\n");
	free(out);
	p.inherit = true;
	CAPTURE(out, print_show(f, &p));
	CHECK(strstr(out, "children:    tracked too, each with its own quotas (inherit)\n"),
	      "%s", out);
	free(out);
}

static void status_human(void)
{
	struct rt_proc v[2] = { sample(), sample() };
	char *out = NULL;

	v[0].uid = -1;
	v[1].uid = -1;
	v[1].pid = 4000000;
	v[1].heap = 5246976;
	v[1].heap_quota = -1;
	v[1].file_quota = -1;
	v[1].state = 'R';
	strcpy(v[1].comm, "with space");
	CAPTURE(out, print_status(f, v, 2));
	CHECK_STR(out,
		  "    PID USER     S       HEAP HEAP QUOTA  FILES FILE QUOTA  COMMAND\n"
		  "    312 ?        S    132 KiB      4 MiB      3         10  sleeper\n"
		  "4000000 ?        R    5.0 MiB  unlimited      3  unlimited  with space\n");
	free(out);
	v[0].quotas_known = false;
	CAPTURE(out, print_status(f, v, 1));
	CHECK(strstr(out, "    312 ?        S    132 KiB          ?      3          ?  sleeper\n"),
	      "%s", out);
	free(out);
	/* A command name cannot start a row of its own, nor send escapes. */
	strcpy(v[0].comm, "\n1 0 0 1 1 S \033[2J");
	v[0].quotas_known = true;
	CAPTURE(out, print_status(f, v, 1));
	CHECK(strstr(out, " sleeper") == NULL && strstr(out, "  ?1 0 0 1 1 S ?[2J\n") &&
	      !strchr(out, '\033'), "%s", out);
	free(out);
	CAPTURE(out, print_show(f, v));
	CHECK(strstr(out, "command:     ?1 0 0 1 1 S ?[2J\n"), "%s", out);
	free(out);
	CAPTURE(out, print_status(f, v, 0));
	CHECK_STR(out, "no tracked processes\n");
	free(out);
}

static void quota_and_percent_text(void)
{
	char buf[32];

	CHECK_STR(format_heap_quota(4 << 20, true, buf, sizeof(buf)), "4 MiB");
	CHECK_STR(format_heap_quota(1 << 30, true, buf, sizeof(buf)), "1 GiB");
	CHECK_STR(format_heap_quota(8192, true, buf, sizeof(buf)), "8 KiB");
	CHECK_STR(format_heap_quota(-1, true, buf, sizeof(buf)), "unlimited");
	CHECK_STR(format_heap_quota(4 << 20, false, buf, sizeof(buf)), "?");
	CHECK_STR(format_file_quota(0, true, buf, sizeof(buf)), "0");
	CHECK_STR(format_file_quota(-1, true, buf, sizeof(buf)), "unlimited");
	CHECK_STR(format_percent(3, 10, true, buf, sizeof(buf)), "30%");
	CHECK_STR(format_percent(11, 10, true, buf, sizeof(buf)), "110%");
	CHECK_STR(format_percent(3, 10, false, buf, sizeof(buf)), "-");
	CHECK_STR(format_percent(0, 0, true, buf, sizeof(buf)), "0%");
	CHECK_STR(format_percent(1, 0, true, buf, sizeof(buf)), "over");
}

/* ---------------------------------------------------------------------
 * run's options and the library's pidfd calls (issue 12, run's side).
 */
static void heap_quota_arg_notes_rounding(void)
{
	struct heap_arg h;
	char msg[256];

	CHECK_INT(heap_quota_arg("7.5M", &h, msg, sizeof(msg)), 0);
	CHECK(h.bytes == 7864320ULL && h.mib == 8, "%llu %ld", h.bytes, h.mib);
	CHECK_STR(msg, "heap quota 7.5 MiB (7864320 bytes) rounded up to 8 MiB: the "
		  "kernel counts whole MiB");
	CHECK_INT(heap_quota_arg("8M", &h, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "");
	CHECK_INT(heap_quota_arg("unlimited", &h, msg, sizeof(msg)), 0);
	CHECK(h.mib == RESTRACK_UNLIMITED, "%ld", h.mib);
	CHECK_STR(msg, "");
	/* Errors as heap_arg_parse() words them. */
	CHECK_INT(heap_quota_arg("5Q", &h, msg, sizeof(msg)), -EINVAL);
	CHECK_STR(msg, "--heap '5Q' is not a size (like 512K, 64M, 1.5GiB, or unlimited)");
	CHECK_INT(heap_quota_arg("512", &h, msg, sizeof(msg)), -EINVAL);
	CHECK(strstr(msg, "did you mean 512M?") != NULL, "%s", msg);
	CHECK_INT(heap_quota_arg("18446744073709551615", &h, msg, sizeof(msg)), -ERANGE);
}

static void run_deny_parses_and_needs_its_quota(void)
{
	unsigned int d = 0;
	char why[128];

	CHECK_INT(run_deny_parse(NULL, &d), 0);
	CHECK_INT((int)d, (int)(RUN_DENY_HEAP | RUN_DENY_FILES));
	d = 0;
	CHECK_INT(run_deny_parse("heap", &d), 0);
	CHECK_INT((int)d, (int)RUN_DENY_HEAP);
	CHECK_INT(run_deny_parse("files", &d), 0);
	CHECK_INT((int)d, (int)(RUN_DENY_HEAP | RUN_DENY_FILES));
	d = 0;
	CHECK_INT(run_deny_parse("memory", &d), -EINVAL);
	CHECK_INT(run_deny_parse("", &d), -EINVAL);
	CHECK_INT(run_deny_parse("Heap", &d), -EINVAL);
	CHECK_INT((int)d, 0);

	CHECK(run_deny_fits(RUN_DENY_HEAP | RUN_DENY_FILES, true, false, why, sizeof(why)),
	      "both, heap given");
	CHECK(!run_deny_fits(RUN_DENY_HEAP | RUN_DENY_FILES, false, false, why, sizeof(why)),
	      "both, none given");
	CHECK_STR(why, "--deny needs --heap, --files or both");
	CHECK(!run_deny_fits(RUN_DENY_FILES, true, false, why, sizeof(why)), "files");
	CHECK_STR(why, "--deny=files needs --files");
	CHECK(!run_deny_fits(RUN_DENY_HEAP, false, true, why, sizeof(why)), "heap");
	CHECK_STR(why, "--deny=heap needs --heap");
	CHECK(run_deny_fits(RUN_DENY_FILES, false, true, why, sizeof(why)), "files given");
}

static int pidfd_of_self(void)
{
	return (int)syscall(SYS_pidfd_open, getpid(), 0);
}

static void pidfd_pid_reads_fdinfo(void)
{
	int fd = pidfd_of_self(), nul = open("/dev/null", O_RDONLY);

	CHECK(fd >= 0, "pidfd_open: %s", strerror(errno));
	CHECK_INT(restrack_pidfd_pid(fd), getpid());
	errno = 0;
	CHECK_INT(restrack_pidfd_pid(nul), -1);
	CHECK_INT(errno, EBADF);
	errno = 0;
	CHECK_INT(restrack_pidfd_pid(-1), -1);
	CHECK_INT(errno, EBADF);
	errno = 0;
	CHECK_INT(restrack_pidfd_pid(999999), -1);
	CHECK_INT(errno, EBADF);
	close(fd);
	close(nul);
}

/* A kernel without the pidfd calls: the fallback checks its arguments first. */
static void pidfd_fallback_checks_like_the_kernel(void)
{
	struct restrack_quota_args q = {
		.mask = RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES,
		.heap_bytes = 8 << 20,
		.files = 10,
	};
	unsigned char big[sizeof(q) + 8];
	struct restrack_info ri;
	int fd = pidfd_of_self();

	if (restrack_pidfd_available()) {
		printf("  (skipped: this kernel has the pidfd calls)\n");
		close(fd);
		return;
	}
#define CHECK_ERRNO(call, err) do { \
	errno = 0; \
	CHECK_INT((call), -1); \
	CHECK_INT(errno, (err)); \
} while (0)
	CHECK_ERRNO(restrack_pidfd_register(fd, 0x2), EINVAL);
	/*
	 * Inheritance cannot be had from register(2): ENOSYS before the pid
	 * is looked up (a bad pidfd would be EBADF after).
	 */
	CHECK_ERRNO(restrack_pidfd_register(-1, RESTRACK_INHERIT), ENOSYS);
	CHECK_ERRNO(restrack_pidfd_set_quota(fd, &q, sizeof(q), 1), EINVAL);
	CHECK_ERRNO(restrack_pidfd_set_quota(fd, &q, RESTRACK_QUOTA_ARGS_SIZE_VER0 - 1, 0),
		    EINVAL);
	CHECK_ERRNO(restrack_pidfd_set_quota(fd, &q, 65536 * 4, 0), E2BIG);
	CHECK_ERRNO(restrack_pidfd_set_quota(fd, NULL, sizeof(q), 0), EFAULT);
	memset(big, 0, sizeof(big));
	memcpy(big, &q, sizeof(q));
	big[sizeof(q) + 3] = 1;
	CHECK_ERRNO(restrack_pidfd_set_quota(fd, (void *)big, sizeof(big), 0), E2BIG);
	q.mask = 4;
	CHECK_ERRNO(restrack_pidfd_set_quota(fd, &q, sizeof(q), 0), EINVAL);
	q.mask = RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES;
	q.files_action = 2;
	CHECK_ERRNO(restrack_pidfd_set_quota(fd, &q, sizeof(q), 0), EINVAL);
	q.files_action = 0;
	q.files = (unsigned long long)INT_MAX + 1;
	CHECK_ERRNO(restrack_pidfd_set_quota(fd, &q, sizeof(q), 0), EINVAL);
	q.files = 10;
	/* What resource_cap(2) cannot do: one quota alone, the deny action. */
	q.mask = RESTRACK_QUOTA_HEAP;
	CHECK_ERRNO(restrack_pidfd_set_quota(-1, &q, sizeof(q), 0), ENOSYS);
	q.mask = RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES;
	q.heap_action = RESTRACK_ACTION_DENY;
	CHECK_ERRNO(restrack_pidfd_set_quota(-1, &q, sizeof(q), 0), ENOSYS);
	q.heap_action = RESTRACK_ACTION_KILL;
	CHECK_ERRNO(restrack_pidfd_set_quota(-1, &q, sizeof(q), 0), EBADF);
	CHECK_ERRNO(restrack_pidfd_get(fd, &ri, sizeof(ri), 1), EINVAL);
	CHECK_ERRNO(restrack_pidfd_get(fd, &ri, RESTRACK_INFO_SIZE_VER0 - 1, 0), EINVAL);
	CHECK_ERRNO(restrack_pidfd_get(fd, NULL, sizeof(ri), 0), EFAULT);
	CHECK_ERRNO(restrack_pidfd_get(-1, &ri, sizeof(ri), 0), EBADF);
	if (!restrack_available()) {
		/* No tracker at all: the fallbacks end in ENOSYS too. */
		q.heap_action = RESTRACK_ACTION_KILL;
		CHECK_ERRNO(restrack_pidfd_register(fd, 0), ENOSYS);
		CHECK_ERRNO(restrack_pidfd_set_quota(fd, &q, sizeof(q), 0), ENOSYS);
		CHECK_ERRNO(restrack_pidfd_get(fd, &ri, sizeof(ri), 0), ENOSYS);
	}
#undef CHECK_ERRNO
	close(fd);
}

int main(void)
{
	run("parse_size_accepts_units", parse_size_accepts_units);
	run("parse_size_rejects_garbage", parse_size_rejects_garbage);
	run("bytes_to_mib_rounds_up", bytes_to_mib_rounds_up);
	run("format_size_is_human", format_size_is_human);
	run("format_then_parse_round_trips", format_then_parse_round_trips);
	run("nosys_message_is_plain", nosys_message_is_plain);
	run("describe_error_names_pid_and_cause", describe_error_names_pid_and_cause);
	run("exit_codes_are_distinct", exit_codes_are_distinct);
	run("parse_pid_is_strict", parse_pid_is_strict);
	run("heap_quota_rounds_to_mib", heap_quota_rounds_to_mib);
	run("heap_arg_refuses_bare_bytes_under_a_mib", heap_arg_refuses_bare_bytes_under_a_mib);
	run("over_quota_says_which", over_quota_says_which);
	run("file_quota_and_delay", file_quota_and_delay);
	run("user_names_come_from_nss", user_names_come_from_nss);
	run("status_line_parses", status_line_parses);
	run("status_file_parses", status_file_parses);
	run("status_pids_are_the_pid_column_only", status_pids_are_the_pid_column_only);
	run("info_fills_proc", info_fills_proc);
	run("kernel_read_says_enosys_without_the_calls",
	    kernel_read_says_enosys_without_the_calls);
	run("json_strings_are_escaped", json_strings_are_escaped);
	run("json_report_show", json_report_show);
	run("json_report_status_errors_and_kill", json_report_status_errors_and_kill);
	run("show_human", show_human);
	run("status_human", status_human);
	run("quota_and_percent_text", quota_and_percent_text);
	run("heap_quota_arg_notes_rounding", heap_quota_arg_notes_rounding);
	run("run_deny_parses_and_needs_its_quota", run_deny_parses_and_needs_its_quota);
	run("pidfd_pid_reads_fdinfo", pidfd_pid_reads_fdinfo);
	run("pidfd_fallback_checks_like_the_kernel", pidfd_fallback_checks_like_the_kernel);
	(void)current;
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
