/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Resource tracker - per-process heap and open-file quotas
 *
 * The heap quota is charged to the address space and the file quota to the
 * file tables: whoever grows a tracked process's mm or one of its file
 * tables (a thread, a CLONE_VM or vfork child, a CLONE_FILES child) is held
 * to the quota.  The hooks below are called from the memory and file
 * descriptor code; each is one load and a compare of a field of the mm or
 * of the file table before it calls out of line, and the descriptor hooks
 * are a jump over them until the first file quota is set.
 */
#ifndef _LINUX_RESOURCE_TRACKER_H
#define _LINUX_RESOURCE_TRACKER_H

#include <uapi/linux/resource_tracker.h>

#include <linux/compiler.h>
#include <linux/fdtable.h>
#include <linux/jump_label.h>
#include <linux/mm_types.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/types.h>

struct proc_fs_info;
struct restrack_entry;

/* Most processes restrack_status_batch() reads at a time. */
#define RESTRACK_STATUS_BATCH	32

/**
 * struct restrack_status - one tracked process, as a reader sees it
 * @pid: process id in the reader's pid namespace
 * @heap: bytes of private writable memory of its address space
 * @files: open file descriptors in the file tables charged to it
 * @heap_quota_mb: heap quota in MiB, -1 for none
 * @file_quota: file quota, -1 for none
 * @state: process state letter, as in /proc/PID/stat
 * @comm: command name, raw: escape it before printing
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

bool __restrack_heap_over(struct mm_struct *mm, unsigned long npages);
bool __restrack_fd_admit(struct files_struct *files, struct fdtable *fdt,
			 bool received);
void __restrack_files_free(struct files_struct *files);
void __restrack_files_installed(struct task_struct *tsk,
				struct files_struct *old);
void __restrack_mm_release(struct mm_struct *mm);
void __restrack_exec(bool secureexec);
int __restrack_fork_prepare(struct restrack_entry **child);
void __restrack_fork(struct task_struct *p, struct restrack_entry *child);
void restrack_fork_cancel(struct restrack_entry *child);

/**
 * restrack_mm_init - a new address space is not charged to anyone
 * @mm: the new mm, a copy of its parent's or zeroed
 */
static inline void restrack_mm_init(struct mm_struct *mm)
{
	mm->restrack_heap_limit = ULONG_MAX;
	mm->restrack_heap_peak = 0;
	INIT_HLIST_HEAD(&mm->restrack_entries);
}

/**
 * restrack_mm_release - @mm is being torn down: no process is charged to it
 * @mm: the mm whose last user is gone
 */
static inline void restrack_mm_release(struct mm_struct *mm)
{
	if (unlikely(!hlist_empty(&mm->restrack_entries)))
		__restrack_mm_release(mm);
}

/**
 * restrack_heap_may_grow - may @mm's private writable memory grow?
 * @mm: the address space, its mmap_lock held for writing
 * @npages: pages the growth adds
 *
 * Called where RLIMIT_DATA is checked (may_expand_vm()), before anything is
 * allocated.  When the growth would take @mm over the heap quota of a
 * process charged with it, that process and every process using @mm are
 * sent SIGKILL, and the growth is refused.
 *
 * Return: true when the growth stays within every quota.
 */
static __always_inline bool restrack_heap_may_grow(struct mm_struct *mm,
						   unsigned long npages)
{
	if (likely(mm->data_vm + npages <= READ_ONCE(mm->restrack_heap_limit)))
		return true;
	return __restrack_heap_over(mm, npages);
}

/**
 * restrack_heap_shrink - @mm's private writable memory is about to shrink
 * @mm: the address space, its mmap_lock held for writing
 * @npages: the change of mm->data_vm, negative when it shrinks
 *
 * Called from vm_stat_account() before data_vm changes: the high-water of
 * an mm charged to a tracked process is kept where it goes down.
 */
static __always_inline void restrack_heap_shrink(struct mm_struct *mm,
						 long npages)
{
	if (unlikely(npages < 0) &&
	    unlikely(!hlist_empty(&mm->restrack_entries)) &&
	    mm->data_vm > mm->restrack_heap_peak)
		WRITE_ONCE(mm->restrack_heap_peak, mm->data_vm);
}

/**
 * restrack_files_new - a file table has just been made
 * @files: the new table, not yet in use
 */
static inline void restrack_files_new(struct files_struct *files)
{
	INIT_HLIST_HEAD(&files->restrack_links);
	files->restrack_file_limit = UINT_MAX;
}

/**
 * restrack_files_free - @files is being freed
 * @files: the table, which nobody uses any more
 */
static inline void restrack_files_free(struct files_struct *files)
{
	if (unlikely(!hlist_empty(&files->restrack_links)))
		__restrack_files_free(files);
}

/**
 * restrack_files_installed - @tsk uses a file table of its own now
 * @tsk: current, or a new thread not yet running
 * @old: the table it used before, still referenced by the caller, or NULL
 *
 * Called where a thread's file table is replaced (unshare(CLONE_FILES),
 * close_range(CLOSE_RANGE_UNSHARE), exec) or made (a thread made without
 * CLONE_FILES).  The new table is charged to a tracked process as the old
 * one was: the copy's descriptors count, and may take it over its quota.
 */
static inline void restrack_files_installed(struct task_struct *tsk,
					    struct files_struct *old)
{
	if (unlikely(rcu_access_pointer(tsk->signal->restrack)))
		__restrack_files_installed(tsk, old);
}

/**
 * restrack_fork_prepare - allocate the record of a child that inherits
 * @clone_flags: how the child is being made
 * @child: set to the record to give it, or left NULL
 *
 * Called by copy_process() where it may still fail: when current's
 * process is tracked, a child that is not a thread may inherit its
 * tracking (RESTRACK_INHERIT), and its record is allocated here, so that
 * the fork fails with -ENOMEM rather than the child running untracked.
 * An untracked process pays one load and a branch.
 *
 * Return: 0 or -ENOMEM.
 */
static inline int restrack_fork_prepare(unsigned long clone_flags,
					struct restrack_entry **child)
{
	if (unlikely(rcu_access_pointer(current->signal->restrack)) &&
	    !(clone_flags & CLONE_THREAD))
		return __restrack_fork_prepare(child);
	return 0;
}

/**
 * restrack_fork - a task has been made and attached to its thread group
 * @p: the new task, not yet running
 * @clone_flags: how it was made
 * @child: the record restrack_fork_prepare() allocated, or NULL
 *
 * A child of a process tracked with RESTRACK_INHERIT is tracked from here,
 * before it first runs, with its parent's quotas, actions and flags,
 * charged its own mm and file table (or its parent's, when it shares
 * them).
 */
static inline void restrack_fork(struct task_struct *p,
				 unsigned long clone_flags,
				 struct restrack_entry *child)
{
	/*
	 * A thread with a table of its own, which is rare: the tracker looks
	 * under its lock, so that a registration made meanwhile either sees
	 * the thread or is seen here.
	 */
	if (unlikely((clone_flags & (CLONE_THREAD | CLONE_FILES)) == CLONE_THREAD))
		__restrack_files_installed(p, NULL);
	else if (unlikely(child))
		__restrack_fork(p, child);
}

/*
 * On from the first file quota set or the first restrack_pidfd_register():
 * until then no table is counted, and the descriptor hooks below are one
 * jump over their code.  It stays on, so their code is laid out in line
 * (static_branch_likely()): once on, a hook is the no-op and its code,
 * with no jump there and back.
 */
DECLARE_STATIC_KEY_FALSE(restrack_files_key);

/**
 * restrack_fd_admit - may one more descriptor be added to @files?
 * @files: the file table, its file_lock held
 * @fdt: its fdtable
 * @received: another process's action adds it (SCM_RIGHTS, seccomp's addfd)
 *
 * Called before a descriptor is added, so that no process ever holds more
 * than its quota; the caller adds it under the same file_lock.  Nothing
 * before the first file quota is set (restrack_files_key).  Then the test
 * is a compare of the table's count with @files->restrack_file_limit: the
 * file quota of the process the table is charged to when it is that
 * process's only table, 0 when the process has several (each check then
 * sums them, out of line), UINT_MAX - 1 when no quota applies but the
 * table is counted for a process registered by restrack_pidfd_register(),
 * UINT_MAX when it is not counted; on a counted table, the count's
 * high-water when that is lower, so that the check out of line, which
 * admits the descriptor past it, keeps the high-water and a close only
 * counts down.  The count is exact on a table with a limit (the tracker
 * takes it from the bitmap when it gives the table one); on others it is
 * not read.  Past a quota the
 * descriptor is refused: with the kill action, one a process makes itself
 * (open, dup*, fcntl(F_DUPFD), pipe, socket, accept...) also sends SIGKILL
 * to the process charged, and to the current one when it is another (a
 * CLONE_FILES child); a received one, and any under the deny action, is
 * refused as RLIMIT_NOFILE refuses it, and the process lives.
 *
 * Return: true when the descriptor may be added; it is counted already.
 */
static __always_inline bool restrack_fd_admit(struct files_struct *files,
					      struct fdtable *fdt,
					      bool received)
{
	unsigned int n;

	if (!static_branch_likely(&restrack_files_key))
		return true;
	n = fdt->open_count;
	if (unlikely(n >= READ_ONCE(files->restrack_file_limit)))
		return __restrack_fd_admit(files, fdt, received);
	WRITE_ONCE(fdt->open_count, n + 1);
	return true;
}

/**
 * restrack_fd_closed - an open descriptor of @fdt has been closed
 * @fdt: the fdtable, its table's file_lock held
 *
 * Only counts down: the high-water is kept where a descriptor is admitted
 * past it (restrack_fd_admit()).
 */
static __always_inline void restrack_fd_closed(struct fdtable *fdt)
{
	if (static_branch_likely(&restrack_files_key))
		WRITE_ONCE(fdt->open_count, fdt->open_count - 1);
}

/**
 * restrack_exec - current has a new address space for a new program
 * @secureexec: the new program runs with more privilege (setuid, setgid,
 *	file capabilities)
 *
 * Called by exec with signal->exec_update_lock held for writing, after the
 * new mm is in place.  The heap quota moves to the new mm; a quota set
 * without CAP_SYS_RESOURCE ends with a privilege-gaining exec.
 */
static inline void restrack_exec(bool secureexec)
{
	if (unlikely(rcu_access_pointer(current->signal->restrack)))
		__restrack_exec(secureexec);
}

void restrack_exit(struct task_struct *tsk);
int restrack_status_batch(struct proc_fs_info *fs_info, u64 *pos,
			  struct restrack_status *st, int max);

#else /* !CONFIG_RESOURCE_TRACKER */

static inline void restrack_mm_init(struct mm_struct *mm) { }
static inline void restrack_mm_release(struct mm_struct *mm) { }
static inline void restrack_heap_shrink(struct mm_struct *mm, long npages) { }
static inline bool restrack_heap_may_grow(struct mm_struct *mm,
					  unsigned long npages)
{
	return true;
}

static inline void restrack_files_new(struct files_struct *files) { }
static inline void restrack_files_free(struct files_struct *files) { }
static inline void restrack_files_installed(struct task_struct *tsk,
					    struct files_struct *old) { }
static inline int restrack_fork_prepare(unsigned long clone_flags,
					struct restrack_entry **child)
{
	return 0;
}

static inline void restrack_fork(struct task_struct *p,
				 unsigned long clone_flags,
				 struct restrack_entry *child) { }
static inline void restrack_fork_cancel(struct restrack_entry *child) { }
static inline bool restrack_fd_admit(struct files_struct *files,
				     struct fdtable *fdt, bool received)
{
	return true;
}

static inline void restrack_fd_closed(struct fdtable *fdt) { }

static inline void restrack_exec(bool secureexec) { }
static inline void restrack_exit(struct task_struct *tsk) { }

#endif /* CONFIG_RESOURCE_TRACKER */

#endif /* _LINUX_RESOURCE_TRACKER_H */
