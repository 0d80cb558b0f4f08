// SPDX-License-Identifier: GPL-2.0
/*
 * Resource tracker - system calls
 *
 * Argument checking, process lookup and copying to user space only; the
 * logic lives in core.c.  Every call checks all its arguments before it
 * acts and changes nothing when it fails.
 */

#include <linux/errno.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/resource_tracker.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <linux/syscalls.h>
#include <linux/uaccess.h>

#include "restrack.h"

/* The live process that @pid names in the caller's pid namespace. */
static struct task_struct *restrack_find_task(pid_t pid)
{
	struct task_struct *task;

	if (pid < 1)
		return ERR_PTR(-EINVAL);
	task = find_get_task_by_vpid(pid);
	if (!task)
		return ERR_PTR(-ESRCH);
	if (!atomic_read(&task->signal->live)) {
		put_task_struct(task);
		return ERR_PTR(-ESRCH);
	}
	return task;
}

/*
 * The process that @pidfd names: -EBADF when it is not a pidfd, -ESRCH when
 * the process has been reaped, or, with @live, has exited.
 */
static struct task_struct *restrack_pidfd_task(int pidfd, bool live)
{
	struct task_struct *task;
	unsigned int f_flags;

	task = pidfd_get_task(pidfd, &f_flags);
	if (IS_ERR(task))
		return task;
	if (live && !atomic_read(&task->signal->live)) {
		put_task_struct(task);
		return ERR_PTR(-ESRCH);
	}
	return task;
}

/*
 * Check that the caller may manage @task, then apply @op, with the target's
 * exec_update_lock held: the check and the change see the credentials of
 * one program, and an exec that gains privilege comes before or after both
 * (see restrack_exec()).
 */
static int restrack_manage_task(struct task_struct *task, bool limits,
				int (*op)(struct task_struct *task,
					  const void *arg),
				const void *arg)
{
	int err;

	err = down_read_killable(&task->signal->exec_update_lock);
	if (err)
		return err;
	err = restrack_may_manage(task, limits);
	if (!err)
		err = op(task, arg);
	up_read(&task->signal->exec_update_lock);
	return err;
}

/* Find @pid, then restrack_manage_task(). */
static long restrack_manage(pid_t pid, bool limits,
			    int (*op)(struct task_struct *task,
				      const void *arg),
			    const void *arg)
{
	struct task_struct *task;
	int err;

	task = restrack_find_task(pid);
	if (IS_ERR(task))
		return PTR_ERR(task);
	err = restrack_manage_task(task, limits, op, arg);
	put_task_struct(task);
	return err;
}

/*
 * Processes that a quota's SIGKILL must never reach: the init of any pid
 * namespace (kill(1, SIGKILL) from inside is ignored; a quota would not
 * be), and kernel threads.
 */
static bool restrack_unkillable(struct task_struct *task)
{
	return is_global_init(task) || is_child_reaper(task_tgid(task)) ||
	       (task->signal->flags & SIGNAL_UNKILLABLE) ||
	       (task->flags & PF_KTHREAD);
}

static int restrack_register_op(struct task_struct *task, const void *flags)
{
	return restrack_register(task, flags ? *(const unsigned int *)flags : 0);
}

SYSCALL_DEFINE1(register, pid_t, pid)
{
	struct task_struct *task;
	int err;

	task = restrack_find_task(pid);
	if (IS_ERR(task))
		return PTR_ERR(task);
	if (restrack_unkillable(task))
		err = -EINVAL;
	else
		err = restrack_manage_task(task, true, restrack_register_op, NULL);
	put_task_struct(task);
	return err;
}

SYSCALL_DEFINE2(fetch, struct per_proc_resource __user *, stats, pid_t, pid)
{
	struct per_proc_resource res;
	struct task_struct *task;
	int err = 0;

	task = restrack_find_task(pid);
	if (IS_ERR(task))
		return PTR_ERR(task);
	memset(&res, 0, sizeof(res));
	if (!ptrace_may_access(task, PTRACE_MODE_READ_REALCREDS))
		err = -EPERM;
	else if (!restrack_usage(task, &res.heapsize, &res.openfile_count))
		err = -ENOENT;
	else
		res.pid = task_tgid_vnr(task);
	put_task_struct(task);

	if (!err && copy_to_user(stats, &res, sizeof(res)))
		err = -EFAULT;
	return err;
}

static int restrack_deregister_op(struct task_struct *task, const void *unused)
{
	return restrack_deregister(task);
}

SYSCALL_DEFINE1(deregister, pid_t, pid)
{
	return restrack_manage(pid, false, restrack_deregister_op, NULL);
}

static int restrack_set_quota_op(struct task_struct *task, const void *quota)
{
	return restrack_set_quota(task, quota);
}

SYSCALL_DEFINE3(resource_cap, pid_t, pid, long, heap_quota_mb,
		long, file_quota)
{
	struct restrack_quota quota = {
		.mask = RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES,
		.heap_pages = ULONG_MAX,
		.files = file_quota,
	};
	unsigned long bytes;

	if (pid < 1 || heap_quota_mb < -1 || file_quota < -1)
		return -EINVAL;
	if (heap_quota_mb > 0 &&
	    check_shl_overflow((unsigned long)heap_quota_mb, 20, &bytes))
		return -EINVAL;
	if (heap_quota_mb >= 0)
		quota.heap_pages = (unsigned long)heap_quota_mb << (20 - PAGE_SHIFT);
	return restrack_manage(pid, true, restrack_set_quota_op, &quota);
}

SYSCALL_DEFINE1(resource_reset, pid_t, pid)
{
	const struct restrack_quota none = {
		.mask = RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES,
		.heap_pages = ULONG_MAX,
		.files = -1,
	};

	return restrack_manage(pid, false, restrack_set_quota_op, &none);
}

/*
 * The pidfd calls.  The target is a pidfd, so that no pid is reused under
 * the caller; every call takes flags, unknown ones -EINVAL, and the two
 * that pass a struct take its size, as openat2() and clone3() do.
 */

SYSCALL_DEFINE2(restrack_pidfd_register, int, pidfd, unsigned int, flags)
{
	unsigned int rflags = flags | RESTRACK_REGISTER_COUNTED;
	struct task_struct *task;
	int err;

	if (flags & ~RESTRACK_INHERIT)
		return -EINVAL;
	task = restrack_pidfd_task(pidfd, true);
	if (IS_ERR(task))
		return PTR_ERR(task);
	if (restrack_unkillable(task))
		err = -EINVAL;
	else
		err = restrack_manage_task(task, true, restrack_register_op,
					   &rflags);
	put_task_struct(task);
	return err;
}

/* Check @args and turn them into @q; nothing is changed yet. */
static int restrack_quota_from_args(const struct restrack_quota_args *args,
				    struct restrack_quota *q)
{
	if (args->mask & ~(RESTRACK_QUOTA_HEAP | RESTRACK_QUOTA_FILES))
		return -EINVAL;
	if (args->heap_action > RESTRACK_ACTION_DENY ||
	    args->files_action > RESTRACK_ACTION_DENY)
		return -EINVAL;
	if (args->files != RESTRACK_NO_QUOTA && args->files > INT_MAX)
		return -EINVAL;
	/* A heap quota must round up to a page multiple that fits. */
	if (args->heap_bytes != RESTRACK_NO_QUOTA &&
	    args->heap_bytes > (U64_MAX & PAGE_MASK))
		return -EINVAL;

	q->mask = args->mask;
	if (args->heap_bytes == RESTRACK_NO_QUOTA)
		q->heap_pages = ULONG_MAX;
	else
		q->heap_pages = DIV_ROUND_UP(args->heap_bytes, PAGE_SIZE);
	q->files = args->files == RESTRACK_NO_QUOTA ? -1 : (long)args->files;
	q->heap_action = args->heap_action;
	q->files_action = args->files_action;
	return 0;
}

SYSCALL_DEFINE4(restrack_pidfd_set_quota, int, pidfd,
		const struct restrack_quota_args __user *, uargs,
		size_t, usize, unsigned int, flags)
{
	struct restrack_quota_args args;
	struct restrack_quota q;
	struct task_struct *task;
	int err;

	BUILD_BUG_ON(sizeof(args) != RESTRACK_QUOTA_ARGS_SIZE_VER1);

	if (flags)
		return -EINVAL;
	if (usize < RESTRACK_QUOTA_ARGS_SIZE_VER0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	err = copy_struct_from_user(&args, sizeof(args), uargs, usize);
	if (err)
		return err;
	err = restrack_quota_from_args(&args, &q);
	if (err)
		return err;

	task = restrack_pidfd_task(pidfd, true);
	if (IS_ERR(task))
		return PTR_ERR(task);
	err = restrack_manage_task(task, true, restrack_set_quota_op, &q);
	put_task_struct(task);
	return err;
}

/*
 * Copy @ksize bytes of @src to a struct of @usize bytes: what fits, and a
 * zero tail when the caller's struct is larger (sched_getattr()'s rule).
 */
static int restrack_copy_struct_to_user(void __user *dst, size_t usize,
					const void *src, size_t ksize)
{
	if (copy_to_user(dst, src, min(ksize, usize)))
		return -EFAULT;
	if (usize > ksize && clear_user(dst + ksize, usize - ksize))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE4(restrack_pidfd_get, int, pidfd,
		struct restrack_info __user *, uinfo, size_t, usize,
		unsigned int, flags)
{
	struct restrack_info info;
	struct task_struct *task;
	int err;

	BUILD_BUG_ON(sizeof(info) != RESTRACK_INFO_SIZE_VER1);

	if (flags)
		return -EINVAL;
	if (usize < RESTRACK_INFO_SIZE_VER0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;

	/* A zombie too: its parent reads why it was killed. */
	task = restrack_pidfd_task(pidfd, false);
	if (IS_ERR(task))
		return PTR_ERR(task);
	if (!ptrace_may_access(task, PTRACE_MODE_READ_REALCREDS))
		err = -EPERM;
	else
		err = restrack_info(task, &info);
	put_task_struct(task);
	if (err)
		return err;
	return restrack_copy_struct_to_user(uinfo, usize, &info, sizeof(info));
}
