// SPDX-License-Identifier: GPL-2.0
/*
 * Guest tests for restrack(1): every subcommand against a booted restrack
 * kernel.  Run as /prog by the test initramfs with a static restrack in
 * /bin (scripts/vm-run.sh -f build/ARCH-static/restrack ...), with or
 * without the modules (-m); tests that need /proc/tracker_status, or its
 * absence, skip otherwise.
 *
 * The tool's answers are checked against the raw system calls.  For
 * "restrack run" the command is this program again in a helper mode
 * (argv[1] == "--helper"), which allocates heap or opens files on demand.
 */
#define _GNU_SOURCE

/* kselftest_harness.h is not -Wextra clean (unused "variant" parameters). */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <pty.h>
#include <sched.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "kselftest_harness.h"
#include "guest_tool_helpers.h"

#define HELPER "--helper"

static char self_path[PATH_MAX];

/* ---------------------------------------------------------------------
 * Basics: help, version, usage errors.
 */
TEST(help_and_version)
{
	static struct result r;

	REQUIRE_RESTRACK();
	EXPECT_EQ(0, TOOL_RUN(&r, "--help")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "Usage: restrack")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "Exit status:")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "cap", "--help")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "Usage: restrack cap PID")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "help", "run")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "Usage: restrack run")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "--version")) TH_LOG_RESULT(&r);
	EXPECT_TRUE(starts_with(r.out, "restrack ")) TH_LOG_RESULT(&r);
}

TEST(usage_errors_exit_2)
{
	static struct result r;

	REQUIRE_RESTRACK();
	EXPECT_EQ(2, run_as(&r, -1, (char *const[]){ TOOL, NULL })) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "frobnicate")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "no command 'frobnicate'")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "show")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "show", "12x")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "'12x' is not a PID")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "register", "0")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "register: '0' is not a PID (a number from 1)"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "register", "abc")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "register: 'abc' is not a PID")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "register", "99999999999")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "register: '99999999999' is not a PID")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "deregister", "-1")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "deregister: '-1' is not a PID")) TH_LOG_RESULT(&r);
	EXPECT_EQ(NULL, strstr(r.err, "unknown option")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "status", "1", "-1")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "status: '-1' is not a PID")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "show", "--", "-1")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "show: '-1' is not a PID")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "cap", "abc", "--files", "5")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "cap: 'abc' is not a PID")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "cap", "1")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "give --heap SIZE, --files N or both")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "cap", "1", "--heap", "5Q")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "is not a size")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "cap", "1", "--files", "-2")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "top", "-s", "nonsense")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "status", "extra")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "show", "--bogus", "1")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "Try 'restrack show --help'")) TH_LOG_RESULT(&r);
	/* run's own failures are 125, like env(1) and timeout(1). */
	EXPECT_EQ(125, TOOL_RUN(&r, "run")) TH_LOG_RESULT(&r);
	EXPECT_EQ(125, TOOL_RUN(&r, "run", "--heap", "x", "--", "/prog")) TH_LOG_RESULT(&r);
}

/* ---------------------------------------------------------------------
 * register, show, deregister.
 */
TEST(register_show_deregister)
{
	static struct result r;
	struct per_proc_resource st;
	struct sleeper s;
	char obj[1024], want[128];
	long long v;

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, sleeper_start(&s, "rt-show", -1));
	EXPECT_EQ(0, TOOL_RUN(&r, "register", fmt(want, sizeof(want), "%d", s.pid)))
		TH_LOG_RESULT(&r);
	EXPECT_STREQ("", r.out);
	ASSERT_EQ(0, rt_fetch(&st, s.pid));

	/* show --json is what fetch says. */
	EXPECT_EQ(0, TOOL_RUN(&r, "show", "--json", want)) TH_LOG_RESULT(&r);
	ASSERT_TRUE(json_object_of(r.out, s.pid, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	ASSERT_TRUE(json_num(obj, "heap_bytes", &v)) TH_LOG("%s", obj);
	EXPECT_EQ((long long)st.heapsize, v);
	ASSERT_TRUE(json_num(obj, "files", &v)) TH_LOG("%s", obj);
	EXPECT_EQ((long long)st.openfile_count, v);
	EXPECT_NE(NULL, strstr(obj, "\"comm\":\"rt-show\"")) TH_LOG("%s", obj);
	EXPECT_NE(NULL, strstr(obj, "\"state\":\"S\"")) TH_LOG("%s", obj);
	/* Quotas, actions and peaks from the kernel, with or without the module. */
	ASSERT_TRUE(json_num(obj, "heap_quota_mib", &v)) TH_LOG("%s", obj);
	EXPECT_EQ(-1, v);
	ASSERT_TRUE(json_num(obj, "file_quota", &v)) TH_LOG("%s", obj);
	EXPECT_EQ(-1, v);
	EXPECT_NE(NULL, strstr(obj, "\"inherit\":false,\"heap_action\":\"kill\","
			       "\"files_action\":\"kill\",\"heap_peak\":")) TH_LOG("%s", obj);
	ASSERT_TRUE(json_num(obj, "heap_peak", &v)) TH_LOG("%s", obj);
	EXPECT_LE((long long)st.heapsize, v);
	ASSERT_TRUE(json_num(obj, "files_peak", &v)) TH_LOG("%s", obj);
	EXPECT_LE((long long)st.openfile_count, v);
	/* The global --json and the fetch alias give the same. */
	EXPECT_EQ(0, TOOL_RUN(&r, "--json", "fetch", want)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, obj)) TH_LOG_RESULT(&r);

	/* Human output: the same figures. */
	EXPECT_EQ(0, TOOL_RUN(&r, "show", want)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, fmt(obj, sizeof(obj), "pid:         %d\n", s.pid)))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "command:     rt-show\n")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, fmt(obj, sizeof(obj), "(%lu bytes)\n", st.heapsize)))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, fmt(obj, sizeof(obj), "files:       %lu\n",
					  st.openfile_count))) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "heap quota:  unlimited\n")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "over quota:  heap: kill, files: kill\n"))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "children:    not tracked\n")) TH_LOG_RESULT(&r);

	/* Registered twice: EEXIST, exit 1, naming the pid. */
	EXPECT_EQ(1, TOOL_RUN(&r, "register", want)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, fmt(obj, sizeof(obj),
					  "cannot register pid %d: it is tracked already", s.pid)))
		TH_LOG_RESULT(&r);

	EXPECT_EQ(0, TOOL_RUN(&r, "deregister", want)) TH_LOG_RESULT(&r);
	errno = 0;
	EXPECT_EQ(-1, rt_fetch(&st, s.pid));
	EXPECT_EQ(ENOENT, errno);
	/* Not tracked: exit 3. */
	EXPECT_EQ(3, TOOL_RUN(&r, "show", want)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, fmt(obj, sizeof(obj),
					  "pid %d: it is not tracked", s.pid))) TH_LOG_RESULT(&r);
	EXPECT_EQ(3, TOOL_RUN(&r, "deregister", want)) TH_LOG_RESULT(&r);
	EXPECT_EQ(3, TOOL_RUN(&r, "reset", want)) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, sleeper_stop(&s));
}

TEST(no_such_process_exits_3)
{
	static struct result r;
	char pid[32], want[128];
	pid_t dead;

	REQUIRE_RESTRACK();
	dead = reaped_pid();
	ASSERT_LT(0, dead);
	fmt(pid, sizeof(pid), "%d", dead);
	fmt(want, sizeof(want), "pid %d: no such process", dead);
	EXPECT_EQ(3, TOOL_RUN(&r, "register", pid)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, want)) TH_LOG_RESULT(&r);
	EXPECT_EQ(3, TOOL_RUN(&r, "show", pid)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, want)) TH_LOG_RESULT(&r);
	EXPECT_EQ(3, TOOL_RUN(&r, "cap", pid, "--heap", "1G", "--files", "10")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, want)) TH_LOG_RESULT(&r);
	EXPECT_EQ(3, TOOL_RUN(&r, "deregister", pid)) TH_LOG_RESULT(&r);
	EXPECT_EQ(3, TOOL_RUN(&r, "reset", pid)) TH_LOG_RESULT(&r);
}

TEST(init_cannot_be_registered)
{
	static struct result r;

	REQUIRE_RESTRACK();
	EXPECT_EQ(1, TOOL_RUN(&r, "register", "1")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "cannot register pid 1: it is init or a kernel thread"))
		TH_LOG_RESULT(&r);
}

/* ---------------------------------------------------------------------
 * cap and reset.
 */
TEST(cap_and_reset)
{
	static struct result r;
	struct sleeper s;
	char pid[32], obj[1024];
	long long v;

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, sleeper_start(&s, "rt-cap", -1));
	fmt(pid, sizeof(pid), "%d", s.pid);
	ASSERT_EQ(0, rt_register(s.pid));

	EXPECT_EQ(0, TOOL_RUN(&r, "cap", pid, "--heap", "64M", "--files", "100"))
		TH_LOG_RESULT(&r);
	EXPECT_STREQ("", r.err);
	/* A quota may be lowered without privilege, so 64 MiB/100 was set: */
	EXPECT_EQ(0, TOOL_RUN(&r, "show", "--json", pid)) TH_LOG_RESULT(&r);
	ASSERT_TRUE(json_object_of(r.out, s.pid, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_TRUE(json_num(obj, "heap_quota_mib", &v) && v == 64) TH_LOG("%s", obj);
	EXPECT_TRUE(json_num(obj, "heap_quota_bytes", &v) && v == 64LL << 20)
		TH_LOG("%s", obj);
	EXPECT_TRUE(json_num(obj, "file_quota", &v) && v == 100) TH_LOG("%s", obj);
	EXPECT_EQ(0, TOOL_RUN(&r, "show", pid)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "heap quota:  64 MiB (")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "file quota:  100 (")) TH_LOG_RESULT(&r);

	/* One quota alone keeps the other; 40000000 bytes round up to 39 MiB. */
	EXPECT_EQ(0, TOOL_RUN(&r, "cap", pid, "--heap", "40000000")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "heap quota 38.1 MiB (40000000 bytes) rounded up "
			       "to 39 MiB: the kernel counts whole MiB\n")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "--json", "show", pid)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\"heap_quota_mib\":39,")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\"file_quota\":100,")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "cap", pid, "--files", "50")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "--json", "show", pid)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\"heap_quota_mib\":39,")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\"file_quota\":50,")) TH_LOG_RESULT(&r);

	/*
	 * A quota of bytes with the deny action, set with the pidfd call: cap
	 * shows it as it is, and changes only the quota it is given, whose
	 * action stays.  The process is over the new file quota, but with the
	 * deny action it lives: no --force needed.
	 */
	{
		struct restrack_quota_args qa = {
			.mask = RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES,
			.heap_bytes = 64 * MiB + 4096, .files = 100,
			.heap_action = RESTRACK_ACTION_DENY,
			.files_action = RESTRACK_ACTION_DENY,
		};
		struct restrack_info info;
		int fd = (int)syscall(__NR_pidfd_open, s.pid, 0);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, rt_pidfd_set_quota(fd, &qa, sizeof(qa), 0)) TH_LOG("%s", strerror(errno));
		close(fd);
		EXPECT_EQ(0, TOOL_RUN(&r, "--json", "show", pid)) TH_LOG_RESULT(&r);
		EXPECT_NE(NULL, strstr(r.out, fmt(obj, sizeof(obj), "\"heap_quota_mib\":65,"
						  "\"heap_quota_bytes\":%lu,", 64 * MiB + 4096)))
			TH_LOG_RESULT(&r);
		EXPECT_NE(NULL, strstr(r.out, "\"heap_action\":\"deny\",\"files_action\":\"deny\""))
			TH_LOG_RESULT(&r);
		EXPECT_EQ(0, TOOL_RUN(&r, "cap", pid, "--files", "1")) TH_LOG_RESULT(&r);
		EXPECT_NE(NULL, strstr(r.err, "open files, over the file quota of 1: with the "
				       "deny action, its growth fails until it is under\n"))
			TH_LOG_RESULT(&r);
		ASSERT_EQ(0, rt_get(s.pid, &info));
		EXPECT_EQ(64 * MiB + 4096, info.heap_quota);
		EXPECT_EQ(1ULL, info.files_quota);
		EXPECT_EQ((__u32)RESTRACK_ACTION_DENY, info.heap_action);
		EXPECT_EQ((__u32)RESTRACK_ACTION_DENY, info.files_action);
		EXPECT_EQ('S', proc_state(s.pid));
	}
	/* Root may raise and reset. */
	EXPECT_EQ(0, TOOL_RUN(&r, "cap", pid, "--heap", "unlimited", "--files", "1000"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "reset", pid)) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "--json", "show", pid)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\"heap_quota_mib\":-1,")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\"file_quota\":-1,")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, sleeper_stop(&s));
}

/* A quota below the usage would kill at once: refused without --force. */
TEST(cap_below_usage_needs_force)
{
	static struct result r;
	struct per_proc_resource st;
	struct sleeper s;
	char pid[32], want[160];

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, sleeper_start(&s, "rt-capkill", -1));
	fmt(pid, sizeof(pid), "%d", s.pid);
	ASSERT_EQ(0, rt_register(s.pid));
	ASSERT_EQ(0, rt_fetch(&st, s.pid));

	EXPECT_EQ(1, TOOL_RUN(&r, "cap", pid, "--heap", "0", "--files", "unlimited"))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, fmt(want, sizeof(want), "refusing to cap pid %d: "
					  "it has ", s.pid))) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, fmt(want, sizeof(want), "(%lu bytes), over the heap "
					  "quota of 0 MiB, so the kernel would kill it at "
					  "once; give --force to do that\n", st.heapsize)))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(1, TOOL_RUN(&r, "cap", pid, "--heap", "unlimited", "--files", "1"))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, fmt(want, sizeof(want), "it has %lu open files, over "
					  "the file quota of 1, so", st.openfile_count)))
		TH_LOG_RESULT(&r);
	/* Refused means not set: it lives, unlimited. */
	EXPECT_EQ(0, rt_fetch(&st, s.pid));
	EXPECT_EQ('S', proc_state(s.pid));

	/* A bare number under 1 MiB is bytes: refused, with a hint. */
	EXPECT_EQ(2, TOOL_RUN(&r, "cap", pid, "--heap", "512")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "--heap '512' is 512 bytes, which the kernel would "
			       "round up to 1 MiB: did you mean 512M?")) TH_LOG_RESULT(&r);
	EXPECT_EQ(125, TOOL_RUN(&r, "run", "--heap", "512", "--", self_path, HELPER,
				"exit", "0")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "did you mean 512M?")) TH_LOG_RESULT(&r);

	EXPECT_EQ(0, TOOL_RUN(&r, "cap", pid, "--heap", "0", "--files", "unlimited",
			      "--force")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, fmt(want, sizeof(want), "pid %d had ", s.pid)))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "over the heap quota of 0 MiB: the kernel killed it\n"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(128 + SIGKILL, sleeper_stop(&s));
}

/* ---------------------------------------------------------------------
 * Permissions, as nobody (no CAP_SYS_RESOURCE).
 */
TEST(permission_errors_exit_4)
{
	static struct result r;
	struct sleeper root, mine;
	char rpid[32], mpid[32], want[160];

	REQUIRE_RESTRACK();
	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, sleeper_start(&root, "rt-root", -1));
	ASSERT_EQ(0, sleeper_start(&mine, "rt-nobody", NOBODY));
	fmt(rpid, sizeof(rpid), "%d", root.pid);
	fmt(mpid, sizeof(mpid), "%d", mine.pid);
	ASSERT_EQ(0, rt_register(root.pid));

	/* Someone else's process. */
	EXPECT_EQ(4, TOOL_AS(&r, NOBODY, "show", rpid)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, fmt(want, sizeof(want), "cannot read the usage of "
					  "pid %d: permission denied", root.pid)))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(4, TOOL_AS(&r, NOBODY, "cap", rpid, "--heap", "1G", "--files", "10"))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, fmt(want, sizeof(want), "cannot set the quotas of pid "
					  "%d: permission denied", root.pid)))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(4, TOOL_AS(&r, NOBODY, "deregister", rpid)) TH_LOG_RESULT(&r);
	EXPECT_EQ(4, TOOL_AS(&r, NOBODY, "reset", rpid)) TH_LOG_RESULT(&r);
	ASSERT_EQ(0, rt_deregister(root.pid));
	EXPECT_EQ(4, TOOL_AS(&r, NOBODY, "register", rpid)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, fmt(want, sizeof(want), "cannot register pid %d: "
					  "permission denied", root.pid)))
		TH_LOG_RESULT(&r);

	/* Its own process: may register, lower, not raise or lift. */
	EXPECT_EQ(0, TOOL_AS(&r, NOBODY, "register", mpid)) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_AS(&r, NOBODY, "show", mpid)) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_AS(&r, NOBODY, "cap", mpid, "--heap", "64M", "--files", "100"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_AS(&r, NOBODY, "cap", mpid, "--heap", "32M", "--files", "50"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(4, TOOL_AS(&r, NOBODY, "cap", mpid, "--heap", "128M", "--files", "50"))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "raise a limit, which needs CAP_SYS_RESOURCE"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(4, TOOL_AS(&r, NOBODY, "reset", mpid)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "lifting a quota needs CAP_SYS_RESOURCE"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(4, TOOL_AS(&r, NOBODY, "deregister", mpid)) TH_LOG_RESULT(&r);
	/* Root may. */
	EXPECT_EQ(0, TOOL_RUN(&r, "reset", mpid)) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_AS(&r, NOBODY, "deregister", mpid)) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, sleeper_stop(&root));
	EXPECT_EQ(0, sleeper_stop(&mine));
}

/* ---------------------------------------------------------------------
 * --json: one object from every command, errors included; several pids.
 */
TEST(json_report_from_every_command)
{
	static struct result r;
	struct sleeper s[2];
	char a[32], b[32], obj[1024], want[160];
	pid_t dead;
	int i;

	REQUIRE_RESTRACK();
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, sleeper_start(&s[i], i ? "rt-json-b" : "rt-json-a", -1));
	fmt(a, sizeof(a), "%d", s[0].pid);
	fmt(b, sizeof(b), "%d", s[1].pid);

	/* A negative pid is a bad pid, not an unknown option. */
	EXPECT_EQ(2, TOOL_RUN(&r, "register", "-1")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "register: '-1' is not a PID (a number from 1)"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "cap", "-5", "--heap", "-1")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "'-5' is not a PID")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "--json", "register", "-1")) TH_LOG_RESULT(&r);
	EXPECT_STREQ("{\"command\":\"register\",\"source\":null,\"quotas_known\":null,"
		     "\"processes\":[],\"kill\":null,\"notes\":[],\"errors\":[{\"pid\":null,"
		     "\"errno\":null,\"message\":\"'-1' is not a PID (a number from 1)\"}],"
		     "\"exit\":2}\n", r.out);
	EXPECT_STREQ("", r.err);

	/* Success: an empty report. */
	EXPECT_EQ(0, TOOL_RUN(&r, "register", "--json", a)) TH_LOG_RESULT(&r);
	EXPECT_STREQ("{\"command\":\"register\",\"source\":null,\"quotas_known\":null,"
		     "\"processes\":[],\"kill\":null,\"notes\":[],\"errors\":[],\"exit\":0}\n",
		     r.out);
	ASSERT_EQ(0, rt_register(s[1].pid));

	/* The kernel's errors, with the pid and errno's name. */
	EXPECT_EQ(1, TOOL_RUN(&r, "--json", "register", a)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, fmt(want, sizeof(want), "\"errors\":[{\"pid\":%d,"
					  "\"errno\":\"EEXIST\",\"message\":\"cannot register pid %d: ",
					  s[0].pid, s[0].pid))) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\"exit\":1}\n")) TH_LOG_RESULT(&r);
	EXPECT_STREQ("", r.err);
	dead = reaped_pid();
	EXPECT_EQ(3, TOOL_RUN(&r, "--json", "deregister", fmt(want, sizeof(want), "%d", dead)))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\"errno\":\"ESRCH\"")) TH_LOG_RESULT(&r);

	/* show and status take several pids; a bad one is an error, the rest shown. */
	EXPECT_EQ(3, TOOL_RUN(&r, "--json", "show", a, fmt(want, sizeof(want), "%d", dead), b))
		TH_LOG_RESULT(&r);
	EXPECT_TRUE(json_object_of(r.out, s[0].pid, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_TRUE(json_object_of(r.out, s[1].pid, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_TRUE(starts_with(r.out, "{\"command\":\"show\",")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\"errno\":\"ESRCH\"")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\"exit\":3}\n")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "show", a, b)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "command:     rt-json-a\n")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\n\npid:         ")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "command:     rt-json-b\n")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "status", b, a)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "rt-json-a")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "rt-json-b")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "status", "--json", a)) TH_LOG_RESULT(&r);
	EXPECT_TRUE(json_object_of(r.out, s[0].pid, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_FALSE(json_object_of(r.out, s[1].pid, obj, sizeof(obj))) TH_LOG_RESULT(&r);

	/* Notes go in the report: cap's rounding. */
	EXPECT_EQ(0, TOOL_RUN(&r, "--json", "cap", a, "--heap", "40000000", "--files", "500"))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\"notes\":[\"heap quota 38.1 MiB (40000000 bytes) "
			       "rounded up to 39 MiB: the kernel counts whole MiB\"]"))
		TH_LOG_RESULT(&r);
	EXPECT_STREQ("", r.err);

	/* run: the report on standard error (standard output is CMD's). */
	EXPECT_EQ(3, TOOL_RUN(&r, "--json", "run", "--", self_path, HELPER, "exit", "3"))
		TH_LOG_RESULT(&r);
	EXPECT_STREQ("", r.out);
	EXPECT_STREQ("{\"command\":\"run\",\"source\":null,\"quotas_known\":null,"
		     "\"processes\":[],\"kill\":null,\"notes\":[],\"errors\":[],\"exit\":3}\n",
		     r.err);
	EXPECT_EQ(128 + SIGKILL, TOOL_RUN(&r, "run", "--json", "--heap", "8M", "--", self_path,
					  HELPER, "heap", "64")) TH_LOG_RESULT(&r);
	EXPECT_TRUE(starts_with(r.err, "{\"command\":\"run\",")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "\"comm\":\"prog\",\"quota\":\"heap\",\"usage\":"))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, ",\"limit\":8388608},\"notes\":[\"pid ")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "\"exit\":137}\n")) TH_LOG_RESULT(&r);
	EXPECT_EQ(127, TOOL_RUN(&r, "--json", "run", "/no/such/program")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "\"errno\":\"ENOENT\",\"message\":\"cannot run "
			       "/no/such/program: No such file or directory\"}],\"exit\":127}"))
		TH_LOG_RESULT(&r);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, sleeper_stop(&s[i]));
}

/* ---------------------------------------------------------------------
 * status.
 */
TEST(status_agrees_with_fetch)
{
	static struct result r;
	struct per_proc_resource st;
	struct sleeper s[2];
	char obj[1024], pid[32], line[512];
	long long v;
	int i;

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, sleeper_start(&s[0], "rt-status-a", -1));
	ASSERT_EQ(0, sleeper_start(&s[1], "rt-status-b", -1));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, rt_register(s[i].pid));
	ASSERT_EQ(0, rt_cap(s[1].pid, 48, 20));

	EXPECT_EQ(0, TOOL_RUN(&r, "status", "--json")) TH_LOG_RESULT(&r);
	/* From the kernel, with or without the tracker module. */
	EXPECT_TRUE(starts_with(r.out, "{\"command\":\"status\",\"source\":\"kernel\","
				"\"quotas_known\":true,\"processes\":[")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\"notes\":[],")) TH_LOG_RESULT(&r);
	EXPECT_STREQ("", r.err);
	EXPECT_NE(NULL, strstr(r.out, "\"errors\":[],\"exit\":0}\n")) TH_LOG_RESULT(&r);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, rt_fetch(&st, s[i].pid));
		ASSERT_TRUE(json_object_of(r.out, s[i].pid, obj, sizeof(obj)))
			TH_LOG_RESULT(&r);
		EXPECT_TRUE(json_num(obj, "heap_bytes", &v) && v == (long long)st.heapsize)
			TH_LOG("%s vs fetch %lu", obj, st.heapsize);
		EXPECT_TRUE(json_num(obj, "files", &v) && v == (long long)st.openfile_count)
			TH_LOG("%s vs fetch %lu", obj, st.openfile_count);
		EXPECT_NE(NULL, strstr(obj, i ? "\"comm\":\"rt-status-b\"" : "\"comm\":\"rt-status-a\""))
			TH_LOG("%s", obj);
		EXPECT_TRUE(json_num(obj, "heap_quota_mib", &v) && v == (i ? 48 : -1))
			TH_LOG("%s", obj);
		EXPECT_TRUE(json_num(obj, "file_quota", &v) && v == (i ? 20 : -1))
			TH_LOG("%s", obj);
	}

	/* The table: one line per process, with the same heap and files. */
	EXPECT_EQ(0, TOOL_RUN(&r, "status")) TH_LOG_RESULT(&r);
	EXPECT_TRUE(starts_with(r.out, "    PID USER     S       HEAP HEAP QUOTA  FILES "
				"FILE QUOTA  COMMAND\n")) TH_LOG_RESULT(&r);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, rt_fetch(&st, s[i].pid));
		fmt(pid, sizeof(pid), "%7d ", s[i].pid);
		ASSERT_TRUE(line_with(r.out, pid, line, sizeof(line))) TH_LOG_RESULT(&r);
		EXPECT_NE(NULL, strstr(line, i ? "rt-status-b" : "rt-status-a")) TH_LOG("%s", line);
		EXPECT_NE(NULL, strstr(line, fmt(obj, sizeof(obj), " %6lu ", st.openfile_count)))
			TH_LOG("%s", line);
		if (i)
			EXPECT_NE(NULL, strstr(line, "     48 MiB ")) TH_LOG("%s", line);
	}
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, sleeper_stop(&s[i]));
	/* Gone: not listed. */
	EXPECT_EQ(0, TOOL_RUN(&r, "--json", "status")) TH_LOG_RESULT(&r);
	EXPECT_FALSE(json_object_of(r.out, s[0].pid, obj, sizeof(obj))) TH_LOG_RESULT(&r);
}

/*
 * /proc/tracker_status only says which pids to ask the kernel about.  A
 * command name with a newline is a row of its own on a tracker module
 * that does not escape it; here a file bind-mounted over the status file
 * (in a mount namespace of the tool's own) has such rows: wrong quotas and
 * name for a tracked process, rows for init, a reaped pid and an untracked
 * process.  The tool must show the kernel's figures and nothing else.
 */
#define FORGED_PATH "/forged_tracker_status"

static void forged_status_hook(void)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount(FORGED_PATH, STATUS_PATH, NULL, MS_BIND, NULL))
		_exit(97);
}

TEST(forged_status_rows_do_not_fool_the_tool)
{
	static struct result r;
	struct per_proc_resource st;
	struct restrack_info info;
	struct sleeper a, b, name, untracked;
	char pa[32], obj[1024], line[512], want[128], rows[1024];
	long long v;
	pid_t dead;
	FILE *f;

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, sleeper_start(&a, "rt-forged-a", -1));
	ASSERT_EQ(0, rt_register(a.pid));
	ASSERT_EQ(0, rt_cap(a.pid, 48, 20));
	fmt(pa, sizeof(pa), "%d", a.pid);

	/* A name that is a row for init: no row of its own in the tool's output. */
	ASSERT_EQ(0, sleeper_start(&name, "\n1 0 0 1 1 S x", -1));
	ASSERT_EQ(0, rt_register(name.pid));
	EXPECT_EQ(0, TOOL_RUN(&r, "--json", "status")) TH_LOG_RESULT(&r);
	EXPECT_FALSE(json_object_of(r.out, 1, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_TRUE(json_object_of(r.out, name.pid, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(obj, "\"comm\":\"\\n1 0 0 1 1 S x\"")) TH_LOG("%s", obj);
	EXPECT_EQ(0, TOOL_RUN(&r, "status")) TH_LOG_RESULT(&r);
	EXPECT_EQ(NULL, strstr(r.out, "\n1 0 0 1 1 S x")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "  ?1 0 0 1 1 S x\n")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "top", "-b", "-n", "1")) TH_LOG_RESULT(&r);
	EXPECT_EQ(NULL, strstr(r.out, "\n1 0 0 1 1 S x")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, sleeper_stop(&name));

	if (!have_status()) {
		EXPECT_EQ(0, sleeper_stop(&a));
		SKIP(return, "no %s to mount a forged one over (vm-run.sh -m)", STATUS_PATH);
	}
	ASSERT_EQ(0, sleeper_start(&untracked, "rt-untracked", -1));
	ASSERT_EQ(0, sleeper_start(&b, "rt-forged-b", -1));
	ASSERT_EQ(0, rt_register(b.pid));
	dead = reaped_pid();
	fmt(rows, sizeof(rows), "PID HEAP_BYTES FILES HEAP_QUOTA_MB FILE_QUOTA STATE COMM\n"
	    "%d 1 1 1 1 S forged-a\n1 0 0 1 1 S init\n%d 0 0 1 1 S gone\n"
	    "%d 0 0 1 1 S untracked\n%d 2 2 2 2 R twice\n", a.pid, (int)dead,
	    untracked.pid, a.pid);
	f = fopen(FORGED_PATH, "w");
	ASSERT_NE(NULL, f);
	fputs(rows, f);
	fclose(f);

	run_as_hook = forged_status_hook;
	/* The hook works: the tool reads the forged file. */
	EXPECT_EQ(0, run_as(&r, -1, (char *const[]){ "/bin/restrack", "status", "--json",
						     NULL })) TH_LOG_RESULT(&r);
	ASSERT_EQ(0, rt_fetch(&st, a.pid));
	ASSERT_TRUE(json_object_of(r.out, a.pid, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(obj, "\"comm\":\"rt-forged-a\"")) TH_LOG("%s", obj);
	EXPECT_TRUE(json_num(obj, "heap_quota_mib", &v) && v == 48) TH_LOG("%s", obj);
	EXPECT_TRUE(json_num(obj, "file_quota", &v) && v == 20) TH_LOG("%s", obj);
	EXPECT_TRUE(json_num(obj, "heap_bytes", &v) && v == (long long)st.heapsize)
		TH_LOG("%s", obj);
	EXPECT_TRUE(json_num(obj, "files", &v) && v == (long long)st.openfile_count)
		TH_LOG("%s", obj);
	/* Once, though it has two rows. */
	EXPECT_EQ(NULL, strstr(strstr(r.out, fmt(want, sizeof(want), "{\"pid\":%d,", a.pid)) + 1,
			       want)) TH_LOG_RESULT(&r);
	EXPECT_FALSE(json_object_of(r.out, 1, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_FALSE(json_object_of(r.out, dead, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_FALSE(json_object_of(r.out, untracked.pid, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_EQ(NULL, strstr(r.out, "\"forged-a\"")) TH_LOG_RESULT(&r);
	/* The forged file was read: a tracked process it leaves out is not listed. */
	EXPECT_FALSE(json_object_of(r.out, b.pid, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "\"errors\":[],\"exit\":0}")) TH_LOG_RESULT(&r);

	EXPECT_EQ(0, TOOL_RUN(&r, "show", pa)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "heap quota:  48 MiB (")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "file quota:  20 (")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "top", "-b", "-n", "1", "-s", "pid")) TH_LOG_RESULT(&r);
	ASSERT_TRUE(line_with(r.out, fmt(want, sizeof(want), "%7d ", a.pid), line,
			      sizeof(line))) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(line, "     48 MiB ")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "rt-forged-a")) TH_LOG("%s", line);
	EXPECT_EQ(NULL, strstr(r.out, "untracked")) TH_LOG_RESULT(&r);
	EXPECT_EQ(NULL, strstr(r.out, "      1 ")) TH_LOG_RESULT(&r);
	/* cap keeps the heap quota the kernel has, not the row's 1 MiB. */
	EXPECT_EQ(0, TOOL_RUN(&r, "cap", pa, "--files", "30")) TH_LOG_RESULT(&r);
	run_as_hook = NULL;
	ASSERT_EQ(0, rt_get(a.pid, &info));
	EXPECT_EQ(48 * MiB, info.heap_quota);
	EXPECT_EQ(30ULL, info.files_quota);
	unlink(FORGED_PATH);
	EXPECT_EQ(0, sleeper_stop(&b));
	EXPECT_EQ(0, sleeper_stop(&untracked));
	EXPECT_EQ(0, sleeper_stop(&a));
}

/*
 * A kernel without the pidfd calls (a seccomp filter makes 553-555
 * ENOSYS): the tool falls back to fetch(2) and /proc/tracker_status, and
 * says so in one line.
 */
static void no_pidfd_calls_hook(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __NR_restrack_pidfd_register, 0, 2),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, __NR_restrack_pidfd_get, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		_exit(96);
}

TEST(without_pidfd_calls_the_tool_falls_back)
{
	static struct result r;
	struct per_proc_resource st;
	struct sleeper a;
	char pa[32], obj[1024];
	long long v;

	REQUIRE_RESTRACK();
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
		SKIP(return, "no seccomp (CONFIG_SECCOMP_FILTER) to hide the pidfd calls");
	ASSERT_EQ(0, sleeper_start(&a, "rt-nopidfd", -1));
	ASSERT_EQ(0, rt_register(a.pid));
	ASSERT_EQ(0, rt_cap(a.pid, 48, 20));
	ASSERT_EQ(0, rt_fetch(&st, a.pid));
	fmt(pa, sizeof(pa), "%d", a.pid);

	run_as_hook = no_pidfd_calls_hook;
	EXPECT_EQ(0, TOOL_RUN(&r, "--json", "status")) TH_LOG_RESULT(&r);
	ASSERT_TRUE(json_object_of(r.out, a.pid, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_TRUE(json_num(obj, "heap_bytes", &v) && v == (long long)st.heapsize)
		TH_LOG("%s", obj);
	EXPECT_TRUE(json_is_null(obj, "heap_peak")) TH_LOG("%s", obj);
	if (have_status()) {
		EXPECT_TRUE(starts_with(r.out, "{\"command\":\"status\",\"source\":"
					"\"tracker_status\",\"quotas_known\":true,"))
			TH_LOG_RESULT(&r);
		EXPECT_TRUE(json_num(obj, "heap_quota_mib", &v) && v == 48) TH_LOG("%s", obj);
		EXPECT_NE(NULL, strstr(r.out, "\"notes\":[\"this kernel has no "
				       "restrack_pidfd_get(2): quotas read from "
				       "/proc/tracker_status\"]")) TH_LOG_RESULT(&r);
	} else {
		EXPECT_TRUE(starts_with(r.out, "{\"command\":\"status\",\"source\":\"fetch\","
					"\"quotas_known\":false,")) TH_LOG_RESULT(&r);
		EXPECT_TRUE(json_is_null(obj, "heap_quota_mib")) TH_LOG("%s", obj);
		EXPECT_NE(NULL, strstr(r.out, "the tracker module is not loaded"))
			TH_LOG_RESULT(&r);
	}
	/* One line on standard error, the rest as usual. */
	EXPECT_EQ(0, TOOL_RUN(&r, "show", pa)) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "command:     rt-nopidfd\n")) TH_LOG_RESULT(&r);
	EXPECT_TRUE(starts_with(r.err, "restrack: this kernel has no restrack_pidfd_get(2)"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(NULL, strchr(r.err, '\n') ? strchr(r.err, '\n') + 1 != r.err + strlen(r.err) ?
		  r.err : NULL : r.err) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "top", "-b", "-n", "1")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, " - no pidfd calls")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "rt-nopidfd")) TH_LOG_RESULT(&r);
	/* cap: resource_cap(2), both quotas (the other from the module's row). */
	EXPECT_EQ(0, TOOL_RUN(&r, "cap", pa, "--heap", "40M", "--files", "15"))
		TH_LOG_RESULT(&r);
	if (have_status()) {
		EXPECT_EQ(0, TOOL_RUN(&r, "cap", pa, "--files", "10")) TH_LOG_RESULT(&r);
	} else {
		EXPECT_EQ(2, TOOL_RUN(&r, "cap", pa, "--files", "10")) TH_LOG_RESULT(&r);
		EXPECT_NE(NULL, strstr(r.err, "give --heap too")) TH_LOG_RESULT(&r);
	}
	run_as_hook = NULL;
	{
		struct restrack_info info;

		ASSERT_EQ(0, rt_get(a.pid, &info));
		EXPECT_EQ(40 * MiB, info.heap_quota);
		EXPECT_EQ(have_status() ? 10ULL : 15ULL, info.files_quota);
	}
	EXPECT_EQ(0, sleeper_stop(&a));
}

/* ---------------------------------------------------------------------
 * run.
 */
TEST(run_exits_with_cmd_status)
{
	static struct result r;

	REQUIRE_RESTRACK();
	EXPECT_EQ(7, TOOL_RUN(&r, "run", "--", self_path, HELPER, "exit", "7"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "run", self_path, HELPER, "exit", "0")) TH_LOG_RESULT(&r);
	EXPECT_STREQ("", r.err);
	EXPECT_EQ(127, TOOL_RUN(&r, "run", "--", "/no/such/program")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "cannot run /no/such/program: No such file or directory"))
		TH_LOG_RESULT(&r);
	EXPECT_EQ(126, TOOL_RUN(&r, "run", "--", "/proc")) TH_LOG_RESULT(&r);
	/* Another signal: 128 + N, and said. */
	EXPECT_EQ(128 + SIGTERM, TOOL_RUN(&r, "run", "--", self_path, HELPER, "signal", "15"))
		TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.err, "was killed by signal 15 (SIGTERM")) TH_LOG_RESULT(&r);
}

/* CMD is tracked with the quotas (it reads its own usage and quotas). */
TEST(run_tracks_and_limits_cmd)
{
	static struct result r;
	char obj[1024];
	long long v;

	REQUIRE_RESTRACK();
	EXPECT_EQ(0, TOOL_RUN(&r, "run", "--heap", "256M", "--files", "64", "--", self_path,
			      HELPER, "report", "0")) TH_LOG_RESULT(&r);
	ASSERT_TRUE(json_object_of(r.out, 0, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_TRUE(json_num(obj, "fetch", &v) && v == 0) TH_LOG("%s", obj);
	EXPECT_TRUE(json_num(obj, "files", &v) && v == 3) TH_LOG("%s", obj);
	if (have_status()) {
		EXPECT_TRUE(json_num(obj, "heap_quota_mib", &v) && v == 256) TH_LOG("%s", obj);
		EXPECT_TRUE(json_num(obj, "file_quota", &v) && v == 64) TH_LOG("%s", obj);
	}
	/* No quota at all: tracked, unlimited. */
	EXPECT_EQ(0, TOOL_RUN(&r, "run", "--", self_path, HELPER, "report", "0"))
		TH_LOG_RESULT(&r);
	ASSERT_TRUE(json_object_of(r.out, 0, obj, sizeof(obj))) TH_LOG_RESULT(&r);
	EXPECT_TRUE(json_num(obj, "fetch", &v) && v == 0) TH_LOG("%s", obj);
	if (have_status())
		EXPECT_TRUE(json_num(obj, "heap_quota_mib", &v) && v == -1) TH_LOG("%s", obj);
}

/*
 * The quota kills and their reasons, the kill before CMD starts, and death by
 * CMD's signal: guest_run_test.c.
 */

/*
 * SIGCHLD ignored, and SIGINT, SIGTERM, SIGHUP passed on: guest_run_test.c.
 */
TEST(run_as_unprivileged_user)
{
	static struct result r;

	REQUIRE_RESTRACK();
	if (geteuid())
		SKIP(return, "needs root");
	/* Tracking and limiting oneself needs no privilege. */
	EXPECT_EQ(0, TOOL_AS(&r, NOBODY, "run", "--heap", "64M", "--", self_path, HELPER,
			     "exit", "0")) TH_LOG_RESULT(&r);
	EXPECT_EQ(3, TOOL_AS(&r, NOBODY, "run", "--", self_path, HELPER, "exit", "3"))
		TH_LOG_RESULT(&r);
}

/* ---------------------------------------------------------------------
 * top, under a pseudo-terminal.
 */
struct pty_run {
	pid_t pid;
	int master;
	char screen[OUT_SIZE];
	size_t len;
};

static int pty_start(struct pty_run *t, char *const argv[])
{
	struct winsize ws = { .ws_row = 24, .ws_col = 120 };

	memset(t, 0, sizeof(*t));
	fflush(stdout);
	fflush(stderr);
	t->pid = forkpty(&t->master, NULL, NULL, &ws);
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		close_from(3);
		execv(argv[0], argv);
		_exit(98);
	}
	return 0;
}

/* Read until @needle shows up (NULL: until EOF) or @ms pass. */
static bool pty_read_until(struct pty_run *t, const char *needle, int ms)
{
	long long end = now_ms() + ms;
	struct pollfd pfd = { .fd = t->master, .events = POLLIN };
	ssize_t n;

	while (now_ms() < end) {
		if (needle && strstr(t->screen, needle))
			return true;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (t->len >= sizeof(t->screen) - 1)
			memmove(t->screen, t->screen + sizeof(t->screen) / 2,
				t->len -= sizeof(t->screen) / 2);
		n = read(t->master, t->screen + t->len, sizeof(t->screen) - 1 - t->len);
		if (n <= 0)
			return !needle;	/* EIO: the other side is closed */
		t->len += (size_t)n;
		t->screen[t->len] = '\0';
	}
	return needle && strstr(t->screen, needle);
}

/*
 * Forget what is on screen and read the next whole frame, from its title
 * on, until it shows @last.  A frame can be caught half-drawn otherwise.
 */
static bool pty_next_frame(struct pty_run *t, const char *last, int ms)
{
	char *f;

	t->len = 0;
	t->screen[0] = '\0';
	if (!pty_read_until(t, "restrack top - ", ms))
		return false;
	f = strstr(t->screen, "restrack top - ");
	t->len -= (size_t)(f - t->screen);
	memmove(t->screen, f, t->len + 1);
	return pty_read_until(t, last, ms);
}

TEST(top_renders_under_a_pty)
{
	static struct pty_run t;
	static char plain[OUT_SIZE];
	struct per_proc_resource st;
	struct sleeper s;
	char pid[32], line[512], want[64];

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, sleeper_start(&s, "rt-topview", -1));
	ASSERT_EQ(0, rt_register(s.pid));
	ASSERT_EQ(0, rt_cap(s.pid, 100, 50));
	ASSERT_EQ(0, rt_fetch(&st, s.pid));

	ASSERT_EQ(0, pty_start(&t, (char *const[]){ TOOL, "top", "-d", "0.2", "-n", "3", NULL }));
	EXPECT_TRUE(pty_read_until(&t, NULL, 10000));
	EXPECT_EQ(0, wait_status(t.pid));
	close(t.master);
	/* Drawn with escape sequences: home, clear to end of line and screen. */
	EXPECT_NE(NULL, strstr(t.screen, "\033[H")) TH_LOG("%s", t.screen);
	EXPECT_NE(NULL, strstr(t.screen, "\033[K")) TH_LOG("%s", t.screen);
	EXPECT_NE(NULL, strstr(t.screen, "\033[7m")) TH_LOG("%s", t.screen);
	memcpy(plain, t.screen, sizeof(plain));
	strip_ansi(plain);
	EXPECT_NE(NULL, strstr(plain, "restrack top - ")) TH_LOG("%s", plain);
	EXPECT_NE(NULL, strstr(plain, "Sort: heap, descending.")) TH_LOG("%s", plain);
	EXPECT_NE(NULL, strstr(plain, "    PID USER     S       HEAP HEAP QUOTA HEAP%  FILES "
			       "FILE QUOTA FILE%  COMMAND")) TH_LOG("%s", plain);
	fmt(pid, sizeof(pid), "%7d ", s.pid);
	ASSERT_TRUE(line_with(plain, pid, line, sizeof(line))) TH_LOG("%s", plain);
	EXPECT_NE(NULL, strstr(line, " S ")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "rt-topview")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, fmt(want, sizeof(want), " %6lu ", st.openfile_count)))
		TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "    100 MiB ")) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "     50 ")) TH_LOG("%s", line);
	/* Three frames. */
	EXPECT_NE(NULL, strstr(strstr(strstr(plain, "restrack top - ") + 1,
				      "restrack top - ") + 1, "restrack top - "))
		TH_LOG("%s", plain);
	EXPECT_EQ(0, sleeper_stop(&s));
}

TEST(top_keys_sort_and_quit)
{
	static struct pty_run t;
	static char plain[OUT_SIZE];
	struct sleeper s[2];
	char *a, *b, pa[32], pb[32];
	int i;

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, sleeper_start(&s[0], "rt-top-a", -1));
	ASSERT_EQ(0, sleeper_start(&s[1], "rt-top-b", -1));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, rt_register(s[i].pid));

	ASSERT_EQ(0, pty_start(&t, (char *const[]){ TOOL, "top", "-d", "0.3", NULL }));
	ASSERT_TRUE(pty_read_until(&t, "rt-top-b", 5000)) TH_LOG("%s", t.screen);
	/* Sort by command, then reverse it. */
	ASSERT_EQ(1, write(t.master, "c", 1));
	ASSERT_TRUE(pty_read_until(&t, "Sort: command, ascending.", 5000)) TH_LOG("%s", t.screen);
	ASSERT_TRUE(pty_next_frame(&t, "rt-top-b", 5000)) TH_LOG("%s", t.screen);
	memcpy(plain, t.screen, sizeof(plain));
	strip_ansi(plain);
	fmt(pa, sizeof(pa), "%7d ", s[0].pid);
	fmt(pb, sizeof(pb), "%7d ", s[1].pid);
	a = strstr(plain, pa);
	b = strstr(plain, pb);
	ASSERT_TRUE(a && b) TH_LOG("%s", plain);
	EXPECT_LT(a, b) TH_LOG("%s", plain);

	ASSERT_EQ(1, write(t.master, "r", 1));
	ASSERT_TRUE(pty_read_until(&t, "Sort: command, descending.", 5000)) TH_LOG("%s", t.screen);
	ASSERT_TRUE(pty_next_frame(&t, "rt-top-a", 5000)) TH_LOG("%s", t.screen);
	memcpy(plain, t.screen, sizeof(plain));
	strip_ansi(plain);
	a = strstr(plain, pa);
	b = strstr(plain, pb);
	ASSERT_TRUE(a && b) TH_LOG("%s", plain);
	EXPECT_GT(a, b) TH_LOG("%s", plain);

	/* f: files; q quits at once, restoring the cursor. */
	ASSERT_EQ(1, write(t.master, "f", 1));
	ASSERT_TRUE(pty_read_until(&t, "Sort: files, descending.", 5000)) TH_LOG("%s", t.screen);
	ASSERT_EQ(1, write(t.master, "q", 1));
	EXPECT_TRUE(pty_read_until(&t, NULL, 5000));
	EXPECT_NE(NULL, strstr(t.screen, "\033[?25h")) TH_LOG("%s", t.screen);
	EXPECT_EQ(0, wait_status(t.pid));
	close(t.master);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, sleeper_stop(&s[i]));
}

/* -p and -u choose the rows; a process near a quota is highlighted. */
TEST(top_filters_and_highlights_near_quota)
{
	static struct pty_run t;
	static struct result r;
	struct per_proc_resource st;
	struct sleeper s[3], other;
	char pids[64], line[512], want[64], p[3][32], op[32];
	int i;

	REQUIRE_RESTRACK();
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, sleeper_start(&s[i], i == 0 ? "rt-near" : i == 1 ? "rt-far" :
					   "rt-hidden", -1));
		ASSERT_EQ(0, rt_register(s[i].pid));
		fmt(p[i], sizeof(p[i]), "%7d ", s[i].pid);
	}
	ASSERT_EQ(0, sleeper_start(&other, "rt-nobodys", NOBODY));
	ASSERT_EQ(0, rt_register(other.pid));
	fmt(op, sizeof(op), "%7d ", other.pid);
	/* rt-near: its file quota is what it has open (100%). */
	ASSERT_EQ(0, rt_fetch(&st, s[0].pid));
	ASSERT_EQ(0, rt_cap(s[0].pid, -1, (long)st.openfile_count));
	ASSERT_EQ(0, rt_cap(s[1].pid, 1024, 1000));

	fmt(pids, sizeof(pids), "%d,%d", s[0].pid, s[1].pid);
	ASSERT_EQ(0, pty_start(&t, (char *const[]){ TOOL, "top", "-d", "0.2", "-n", "2",
						    "-p", pids, "-s", "pid", NULL }));
	EXPECT_TRUE(pty_read_until(&t, NULL, 10000));
	EXPECT_EQ(0, wait_status(t.pid));
	close(t.master);
	EXPECT_NE(NULL, strstr(t.screen, "rt-far")) TH_LOG("%s", t.screen);
	EXPECT_EQ(NULL, strstr(t.screen, "rt-hidden")) TH_LOG("%s", t.screen);
	EXPECT_EQ(NULL, strstr(t.screen, "rt-nobodys")) TH_LOG("%s", t.screen);
	/* Bold red from the start of its row; not the other's. */
	EXPECT_NE(NULL, strstr(t.screen, fmt(want, sizeof(want), "\033[1;31m%s", p[0])))
		TH_LOG("%s", t.screen);
	EXPECT_TRUE(line_with(t.screen, "rt-near", line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, "100%")) TH_LOG("%s", line);
	EXPECT_EQ(NULL, strstr(t.screen, fmt(want, sizeof(want), "\033[1;31m%s", p[1])))
		TH_LOG("%s", t.screen);
	EXPECT_NE(NULL, strstr(t.screen, p[1])) TH_LOG("%s", t.screen);

	/* -u by uid (the guest has no user names); batch mode. */
	EXPECT_EQ(0, TOOL_RUN(&r, "top", "-b", "-n", "1", "-u", "65534")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, op)) TH_LOG_RESULT(&r);
	EXPECT_EQ(NULL, strstr(r.out, "rt-near")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, TOOL_RUN(&r, "top", "-b", "-n", "1", "-u", "0", "-p",
			      fmt(pids, sizeof(pids), "%d", s[2].pid))) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, p[2])) TH_LOG_RESULT(&r);
	EXPECT_EQ(NULL, strstr(r.out, "rt-far")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "top", "-p", "x")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "top", "-u", "no-such-user-here")) TH_LOG_RESULT(&r);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, sleeper_stop(&s[i]));
	EXPECT_EQ(0, sleeper_stop(&other));
}

/* The alternate screen, left again on q, SIGINT and SIGTERM. */
TEST(top_uses_the_alternate_screen)
{
	static struct pty_run t;
	static const int sigs[] = { 0, SIGINT, SIGTERM };
	const char *enter, *leave;
	int i;

	REQUIRE_RESTRACK();
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, pty_start(&t, (char *const[]){ TOOL, "top", "-d", "0.2", NULL }));
		ASSERT_TRUE(pty_read_until(&t, "PID USER", 5000)) TH_LOG("%s", t.screen);
		if (sigs[i]) {
			ASSERT_EQ(0, kill(t.pid, sigs[i]));
		} else {
			ASSERT_EQ(1, write(t.master, "q", 1));
		}
		EXPECT_TRUE(pty_read_until(&t, NULL, 5000));
		EXPECT_EQ(0, wait_status(t.pid));
		close(t.master);
		enter = strstr(t.screen, "\033[?1049h");
		leave = strstr(t.screen, "\033[?1049l");
		EXPECT_TRUE(enter && leave && enter < leave) TH_LOG("signal %d: %s", sigs[i],
								    t.screen);
		/* Nothing is drawn after it. */
		EXPECT_TRUE(leave && !strstr(leave, "restrack top")) TH_LOG("%s", t.screen);
		EXPECT_NE(NULL, strstr(t.screen, "\033[?25h")) TH_LOG("%s", t.screen);
	}
}

TEST(top_batch_is_plain_text)
{
	static struct result r;
	struct sleeper s;
	char pid[32], line[512];

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, sleeper_start(&s, "rt-topbatch", -1));
	ASSERT_EQ(0, rt_register(s.pid));
	/* stdout is a pipe here: batch mode whether -b is given or not. */
	EXPECT_EQ(0, TOOL_RUN(&r, "top", "-n", "2", "-d", "0.1", "-s", "pid")) TH_LOG_RESULT(&r);
	EXPECT_EQ(NULL, strchr(r.out, '\033')) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "Sort: pid, ascending.")) TH_LOG_RESULT(&r);
	fmt(pid, sizeof(pid), "%7d ", s.pid);
	ASSERT_TRUE(line_with(r.out, pid, line, sizeof(line))) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(line, "rt-topbatch")) TH_LOG("%s", line);
	EXPECT_EQ(0, TOOL_RUN(&r, "top", "-b", "-n", "1")) TH_LOG_RESULT(&r);
	EXPECT_NE(NULL, strstr(r.out, "rt-topbatch")) TH_LOG_RESULT(&r);
	EXPECT_EQ(2, TOOL_RUN(&r, "--json", "top")) TH_LOG_RESULT(&r);
	EXPECT_EQ(0, sleeper_stop(&s));
}

/*
 * Ctrl-C at a terminal: the terminal signals restrack and CMD (one
 * process group); CMD dies of it, and so must restrack, for the shell.
 */
TEST(run_dies_of_ctrl_c_at_a_terminal)
{
	static struct pty_run t;
	int st = 0;

	REQUIRE_RESTRACK();
	ASSERT_EQ(0, pty_start(&t, (char *const[]){ TOOL, "run", "--", self_path, HELPER,
						    "pause", NULL }));
	ASSERT_TRUE(pty_read_until(&t, "R", 5000)) TH_LOG("%s", t.screen);
	ASSERT_EQ(1, write(t.master, "\003", 1));
	EXPECT_EQ(0, wait_within(t.pid, 5000, &st)) TH_LOG("%s", t.screen);
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT) TH_LOG("status %#x", st);
	close(t.master);
}

/* ---------------------------------------------------------------------
 * Helper modes: what "restrack run" runs.
 */
static int helper_main(int argc, char **argv)
{
	struct per_proc_resource st;
	long i, n = argc > 3 ? atol(argv[3]) : 0;
	const char *mode = argc > 2 ? argv[2] : "";
	char buf[256];
	long ret;
	int len;

	if (!strcmp(mode, "exit"))
		return (int)n;
	if (!strcmp(mode, "signal")) {
		raise((int)n);
		return 99;
	}
	if (!strcmp(mode, "pause")) {
		if (write(1, "R", 1) != 1)
			return 3;
		for (;;)
			pause();
	}
	if (!strcmp(mode, "heap")) {
		for (i = 0; i < n; i++)
			if (mmap(NULL, MiB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
				return 2;
		return write(1, "done\n", 5) == 5 ? 0 : 3;
	}
	if (!strcmp(mode, "files")) {
		for (i = 0; i < n; i++)
			if (eventfd(0, 0) < 0)
				return 2;
		return write(1, "done\n", 5) == 5 ? 0 : 3;
	}
	if (!strcmp(mode, "report")) {
		/* Raw write: no stdio buffer, so no heap change before the fetch. */
		errno = 0;
		ret = rt_fetch(&st, getpid());
		len = snprintf(buf, sizeof(buf), "{\"pid\":%d,\"fetch\":%ld,\"errno\":%d,"
			       "\"files\":%lu,\"heap\":%lu", (int)getpid(), ret, errno,
			       st.openfile_count, st.heapsize);
		if (have_status()) {
			static char status[65536];
			char key[32], *p;
			int fd = open(STATUS_PATH, O_RDONLY), k;
			long hq = 0, fq = 0;
			ssize_t got = fd >= 0 ? read(fd, status, sizeof(status) - 1) : -1;

			if (fd >= 0)
				close(fd);
			status[got > 0 ? got : 0] = '\0';
			snprintf(key, sizeof(key), "\n%d ", (int)getpid());
			p = strstr(status, key);
			if (p && sscanf(p + 1, "%*d %*u %*u %ld %ld%n", &hq, &fq, &k) == 2)
				len += snprintf(buf + len, sizeof(buf) - (size_t)len,
						",\"heap_quota_mib\":%ld,\"file_quota\":%ld",
						hq, fq);
		}
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "}\n");
		return write(1, buf, (size_t)len) == len ? 0 : 3;
	}
	return 97;
}

#ifdef _CONSTRUCTOR_ORDER_BACKWARD
/* The 6.1 harness: what TEST_HARNESS_MAIN adds besides main(). */
static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}
#endif

int main(int argc, char **argv)
{
	ssize_t n;

	if (argc >= 2 && !strcmp(argv[1], HELPER))
		return helper_main(argc, argv);
	n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	if (n <= 0)
		snprintf(self_path, sizeof(self_path), "/prog");
	else
		self_path[n] = '\0';
	return test_harness_run(argc, argv);
}
