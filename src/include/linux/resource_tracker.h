/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Resource tracker - per-process heap and open-file quotas
 *
 * The hooks below are called from the memory and file descriptor code.
 * Each tests inline whether the current process may be tracked before it
 * calls out of line, so untracked processes pay a load or a few; the memory
 * hooks are also static branches that stay off until the first process is
 * registered.
 */
#ifndef _LINUX_RESOURCE_TRACKER_H
#define _LINUX_RESOURCE_TRACKER_H

#include <uapi/linux/resource_tracker.h>

#include <linux/fdtable.h>
#include <linux/jump_label.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/types.h>

struct mm_struct;
struct seq_file;

/**
 * struct restrack_status - one tracked process, as a reader sees it
 * @pid: process id in the reader's pid namespace
 * @heap: bytes of private writable memory
 * @files: open file descriptors
 * @heap_quota_mb: heap quota in MiB, -1 for none
 * @file_quota: file quota, -1 for none
 * @state: process state letter, as in /proc/PID/stat
 * @comm: command name
 */
struct restrack_status {
	pid_t pid;
	unsigned long heap;
	unsigned long files;
	long heap_quota_mb;
	long file_quota;
	char state;
	char comm[TASK_COMM_LEN];
};

#ifdef CONFIG_RESOURCE_TRACKER

DECLARE_STATIC_KEY_FALSE(restrack_active);

void __restrack_heap_grew(struct mm_struct *mm);
int __restrack_files_grew(struct files_struct *files, int ret);
void __restrack_resume(void);

/* Whether the current process is tracked, for a hook's quick test. */
static __always_inline bool restrack_current_tracked(void)
{
	/*
	 * A plain read, which the compiler folds into a compare: the pointer
	 * is only tested, never followed, and the slow path reads it again
	 * under RCU.
	 */
	return unlikely(data_race(!!current->signal->restrack));
}

/**
 * restrack_heap_grew - private writable memory of @mm has grown
 * @mm: the address space whose data_vm went up
 *
 * When @mm is current's and over its heap quota, has the quota checked
 * again on the way back to user mode (restrack_handle_notify_resume()).
 */
static __always_inline void restrack_heap_grew(struct mm_struct *mm)
{
	if (static_branch_unlikely(&restrack_active) && mm == current->mm &&
	    restrack_current_tracked())
		__restrack_heap_grew(mm);
}

/**
 * restrack_files_new - a file table has just been made
 * @files: the new table, not yet in use
 *
 * Whoever uses a new table may be tracked (a thread of a tracked process
 * made without CLONE_FILES, or an exec), so it is flagged for checking until
 * __restrack_files_grew() finds that no tracked process uses it.
 */
static inline void restrack_files_new(struct files_struct *files)
{
	files->restrack_check = true;
}

/**
 * restrack_files_grew - the current file table may have gained a descriptor
 * @files: current's file table
 * @ret: what the caller returns
 *
 * Kills the current process when it is over its file quota.  Called after
 * the file table lock has been dropped, as the caller's last word: it
 * returns @ret, so that the caller's result need not be kept across the
 * call.  The test is one load of a flag of @files, which is set on every
 * table a tracked process may use: cheaper than a static branch's two jumps
 * once it is on, or than following current->signal, on the shortest system
 * calls (dup, close).
 */
static __always_inline int restrack_files_grew(struct files_struct *files,
					       int ret)
{
	/*
	 * A plain read, which the compiler folds into a compare: a stale
	 * flag is set again under file_lock before a tracked process can use
	 * the table (restrack_mark_files()).
	 */
	if (unlikely(data_race(files->restrack_check)))
		return __restrack_files_grew(files, ret);
	return ret;
}

/**
 * restrack_handle_notify_resume - check the heap quota before user mode
 *
 * Kills the current process when restrack_heap_grew() found it over its
 * heap quota and it still is.  Called from resume_user_mode_work().
 */
static __always_inline void restrack_handle_notify_resume(void)
{
	if (static_branch_unlikely(&restrack_active) &&
	    restrack_current_tracked())
		__restrack_resume();
}

void restrack_exit(struct task_struct *tsk);
int restrack_for_each(int (*fn)(const struct restrack_status *st, void *arg),
		      void *arg);

#else /* !CONFIG_RESOURCE_TRACKER */

static inline void restrack_heap_grew(struct mm_struct *mm) { }
static inline void restrack_files_new(struct files_struct *files) { }
static inline int restrack_files_grew(struct files_struct *files, int ret)
{
	return ret;
}

static inline void restrack_handle_notify_resume(void) { }
static inline void restrack_exit(struct task_struct *tsk) { }

#endif /* CONFIG_RESOURCE_TRACKER */

#endif /* _LINUX_RESOURCE_TRACKER_H */
