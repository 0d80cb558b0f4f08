// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the test initramfs.
 *
 * Mounts /proc, /sys, /dev, /dev/pts and a tmpfs on /tmp; when the kernel command
 * line has restrack.modules=1, loads /modules/cleanup_kprobe.ko and
 * /modules/tracker.ko; runs /prog with an argument for each restrack.arg=X
 * on the command line; unloads the modules again; prints
 *
 *   @@RESTRACK-EXIT <status>
 *
 * where status is /prog's exit code, 128+signal when it was killed, or
 * 200+ when the guest itself failed; then prints the kernel log between
 * @@DMESG-BEGIN and @@DMESG-END and reboots, which ends QEMU (-no-reboot).
 * The kernel runs with a low console loglevel so that its messages do not
 * break into the test output; the log dump shows them all afterwards.
 *
 * On a kernel with kmemleak, what was allocated before /prog is forgotten
 * ("clear"), and after /prog a scan's report is printed between
 * @@KMEMLEAK-BEGIN and @@KMEMLEAK-END.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/klog.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const modules[] = { "cleanup_kprobe", "tracker" };
#define NR_MODULES (sizeof(modules) / sizeof(modules[0]))

static void dump_kernel_log(void)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf));

	printf("@@DMESG-BEGIN\n");
	if (n > 0)
		fwrite(buf, 1, n, stdout);
	printf("@@DMESG-END\n");
}

#define KMEMLEAK "/sys/kernel/debug/kmemleak"

static void kmemleak_cmd(const char *cmd)
{
	int fd = open(KMEMLEAK, O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, cmd, strlen(cmd)) < 0)
		printf("init: kmemleak %s: %s\n", cmd, strerror(errno));
	close(fd);
}

static void kmemleak_report(void)
{
	static char buf[1 << 16];
	ssize_t n;
	int fd;

	if (access(KMEMLEAK, R_OK))
		return;
	/* Objects younger than 5 s are never reported: let them age. */
	sleep(6);
	kmemleak_cmd("scan");
	kmemleak_cmd("scan");
	printf("@@KMEMLEAK-BEGIN\n");
	fd = open(KMEMLEAK, O_RDONLY);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	if (fd >= 0)
		close(fd);
	printf("@@KMEMLEAK-END\n");
}

static void finish(int status)
{
	kmemleak_report();
	printf("@@RESTRACK-EXIT %d\n", status);
	dump_kernel_log();
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static void mount_or_die(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) && errno != EBUSY) {
		printf("init: mount %s on %s: %s\n", type, dst, strerror(errno));
		finish(201);
	}
}

static char cmdline[4096];

static void read_cmdline(void)
{
	ssize_t n;
	int fd = open("/proc/cmdline", O_RDONLY);

	if (fd < 0)
		return;
	n = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	cmdline[n > 0 ? n : 0] = '\0';
}

static int cmdline_has(const char *word)
{
	return strstr(cmdline, word) != NULL;
}

/* argv for /prog: "/prog", then each restrack.arg=X in order. */
static char **prog_argv(void)
{
	static char *argv[64];
	char *tok, *save = NULL;
	int argc = 0;

	argv[argc++] = "/prog";
	for (tok = strtok_r(cmdline, " \n", &save); tok && argc < 63;
	     tok = strtok_r(NULL, " \n", &save))
		if (!strncmp(tok, "restrack.arg=", 13))
			argv[argc++] = tok + 13;
	argv[argc] = NULL;
	return argv;
}

static int load_modules(void)
{
	char path[64];
	size_t i;

	for (i = 0; i < NR_MODULES; i++) {
		int fd;

		snprintf(path, sizeof(path), "/modules/%s.ko", modules[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0)) {
			printf("init: loading %s: %s\n", path, strerror(errno));
			return -1;
		}
		close(fd);
		printf("init: loaded %s\n", modules[i]);
	}
	return 0;
}

static int unload_modules(void)
{
	size_t i;
	int ret = 0;

	for (i = NR_MODULES; i-- > 0;) {
		if (syscall(SYS_delete_module, modules[i], O_NONBLOCK)) {
			printf("init: unloading %s: %s\n", modules[i],
			       strerror(errno));
			ret = -1;
		} else {
			printf("init: unloaded %s\n", modules[i]);
		}
	}
	return ret;
}

int main(void)
{
	int with_modules, status;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	mount_or_die("proc", "/proc", "proc");
	mount_or_die("sysfs", "/sys", "sysfs");
	mount_or_die("devtmpfs", "/dev", "devtmpfs");
	mount_or_die("devpts", "/dev/pts", "devpts");
	if (!access("/sys/kernel/debug", F_OK))
		mount_or_die("debugfs", "/sys/kernel/debug", "debugfs");
	kmemleak_cmd("clear");
	mount_or_die("tmpfs", "/tmp", "tmpfs");
	setenv("PATH", "/bin", 1);

	read_cmdline();
	with_modules = cmdline_has("restrack.modules=1");
	if (with_modules && load_modules())
		finish(202);

	pid = fork();
	if (pid < 0)
		finish(203);
	if (pid == 0) {
		char **argv = prog_argv();

		execv(argv[0], argv);
		printf("init: exec /prog: %s\n", strerror(errno));
		_exit(127);
	}
	/* Reap orphans too; stop when /prog itself is done. */
	for (;;) {
		pid_t got = wait(&status);

		if (got == pid)
			break;
		if (got < 0 && errno != EINTR)
			finish(204);
	}

	if (with_modules && unload_modules())
		finish(205);
	if (WIFSIGNALED(status))
		finish(128 + WTERMSIG(status));
	finish(WEXITSTATUS(status));
	return 0;
}
