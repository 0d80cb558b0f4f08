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
 * Check that the caller may manage @task, then apply @op, with the target's
 * exec_update_lock held: the check and the change see the credentials of
 * one program, and an exec that gains privilege comes before or after both
 * (see restrack_exec()).
 */
static int restrack_manage_task(struct task_struct *task, bool limits,
				int (*op)(struct task_struct *task,
					  const struct restrack_quota *quota),
				const struct restrack_quota *quota)
{
	int err;

	err = down_read_killable(&task->signal->exec_update_lock);
	if (err)
		return err;
	err = restrack_may_manage(task, limits);
	if (!err)
		err = op(task, quota);
	up_read(&task->signal->exec_update_lock);
	return err;
}

/* Find @pid, then restrack_manage_task(). */
static long restrack_manage(pid_t pid, bool limits,
			    int (*op)(struct task_struct *task,
				      const struct restrack_quota *quota),
			    const struct restrack_quota *quota)
{
	struct task_struct *task;
	int err;

	task = restrack_find_task(pid);
	if (IS_ERR(task))
		return PTR_ERR(task);
	err = restrack_manage_task(task, limits, op, quota);
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

static int restrack_register_op(struct task_struct *task,
				const struct restrack_quota *unused)
{
	return restrack_register(task);
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
	if (!ptrace_may_access(task, PTRACE_MODE_READ_REALCREDS)) {
		err = -EPERM;
	} else if (!restrack_is_tracked(task)) {
		err = -ENOENT;
	} else {
		res.pid = task_tgid_vnr(task);
		restrack_usage(task, &res.heapsize, &res.openfile_count);
	}
	put_task_struct(task);

	if (!err && copy_to_user(stats, &res, sizeof(res)))
		err = -EFAULT;
	return err;
}

static int restrack_deregister_op(struct task_struct *task,
				  const struct restrack_quota *unused)
{
	return restrack_deregister(task);
}

SYSCALL_DEFINE1(deregister, pid_t, pid)
{
	return restrack_manage(pid, false, restrack_deregister_op, NULL);
}

SYSCALL_DEFINE3(resource_cap, pid_t, pid, long, heap_quota_mb,
		long, file_quota)
{
	const struct restrack_quota quota = {
		.heap_mb = heap_quota_mb,
		.files = file_quota,
	};
	unsigned long bytes;

	if (pid < 1 || heap_quota_mb < -1 || file_quota < -1)
		return -EINVAL;
	if (heap_quota_mb > 0 &&
	    check_shl_overflow((unsigned long)heap_quota_mb, 20, &bytes))
		return -EINVAL;
	return restrack_manage(pid, true, restrack_set_quota, &quota);
}

SYSCALL_DEFINE1(resource_reset, pid_t, pid)
{
	const struct restrack_quota none = { .heap_mb = -1, .files = -1 };

	return restrack_manage(pid, false, restrack_set_quota, &none);
}
