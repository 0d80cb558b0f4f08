/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Resource tracker - per-process heap and open-file quotas
 *
 * The heap quota is charged to the address space and the file quota to the
 * file tables: whoever grows a tracked process's mm or one of its file
 * tables (a thread, a CLONE_VM or vfork child, a CLONE_FILES child) is held
 * to the quota.  The hooks below are called from the memory and file
 * descriptor code; each is one load and a compare of a field of the mm or
 * of the file table before it calls out of line.
 */
#ifndef _LINUX_RESOURCE_TRACKER_H
#define _LINUX_RESOURCE_TRACKER_H

#include <uapi/linux/resource_tracker.h>

#include <linux/compiler.h>
#include <linux/fdtable.h>
#include <linux/mm_types.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/types.h>

struct pid_namespace;

/**
 * struct restrack_status - one tracked process, as a reader sees it
 * @task: the process's thread group leader, referenced: put_task_struct()
 * @pid: process id in the reader's pid namespace
 * @heap: bytes of private writable memory of its address space
 * @files: open file descriptors in the file tables charged to it
 * @heap_quota_mb: heap quota in MiB, -1 for none
 * @file_quota: file quota, -1 for none
 * @state: process state letter, as in /proc/PID/stat
 * @comm: command name, raw: escape it before printing
 */
struct restrack_status {
	struct task_struct *task;
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
int __restrack_files_grew(struct files_struct *files, int ret);
int __restrack_files_received(struct files_struct *files, int fd,
			       bool installed);
void __restrack_files_free(struct files_struct *files);
void __restrack_files_installed(struct task_struct *tsk,
				struct files_struct *old);
void __restrack_mm_release(struct mm_struct *mm);
void __restrack_exec(bool secureexec);

/**
 * restrack_mm_init - a new address space is not charged to anyone
 * @mm: the new mm, a copy of its parent's or zeroed
 */
static inline void restrack_mm_init(struct mm_struct *mm)
{
	mm->restrack_heap_limit = ULONG_MAX;
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
 * restrack_files_new - a file table has just been made
 * @files: the new table, not yet in use
 */
static inline void restrack_files_new(struct files_struct *files)
{
	RCU_INIT_POINTER(files->restrack_owner, NULL);
	INIT_LIST_HEAD(&files->restrack_node);
}

/**
 * restrack_files_free - @files is being freed
 * @files: the table, which nobody uses any more
 */
static inline void restrack_files_free(struct files_struct *files)
{
	if (unlikely(rcu_access_pointer(files->restrack_owner)))
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
 * restrack_fork - a task has been made and attached to its thread group
 * @p: the new task, not yet running
 * @clone_flags: how it was made
 */
static inline void restrack_fork(struct task_struct *p,
				 unsigned long clone_flags)
{
	if ((clone_flags & (CLONE_THREAD | CLONE_FILES)) == CLONE_THREAD)
		restrack_files_installed(p, NULL);
}

/**
 * restrack_files_grew - the current file table may have gained a descriptor
 * @files: current's file table
 * @ret: what the caller returns
 *
 * Kills the process charged with @files, and the current one, when the
 * process is over its file quota: for descriptors a process makes itself.
 * Called after the file table lock has been dropped, as the caller's last
 * word: it returns @ret, so that the caller's result need not be kept
 * across the call.  The test is one load of @files->restrack_owner, which
 * is set on every table charged to a tracked process.
 */
static __always_inline int restrack_files_grew(struct files_struct *files,
					       int ret)
{
	if (unlikely(rcu_access_pointer(files->restrack_owner)))
		return __restrack_files_grew(files, ret);
	return ret;
}

/**
 * restrack_files_received - a descriptor was installed by another's action
 * @files: current's file table
 * @fd: the new descriptor, or an error
 * @installed: a file is installed at @fd already (replace_fd()); else @fd
 *	is only allocated
 *
 * For descriptors that another process makes current receive (SCM_RIGHTS,
 * seccomp's addfd): past the quota the descriptor is refused, as
 * RLIMIT_NOFILE refuses it, and the receiver lives.
 *
 * Return: @fd, or -EMFILE after releasing @fd.
 */
static __always_inline int restrack_files_received(struct files_struct *files,
						   int fd, bool installed)
{
	if (unlikely(rcu_access_pointer(files->restrack_owner)) && fd >= 0)
		return __restrack_files_received(files, fd, installed);
	return fd;
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
int restrack_status_batch(struct pid_namespace *ns, u64 *pos,
			  struct restrack_status *st, int max);

#else /* !CONFIG_RESOURCE_TRACKER */

static inline void restrack_mm_init(struct mm_struct *mm) { }
static inline void restrack_mm_release(struct mm_struct *mm) { }
static inline bool restrack_heap_may_grow(struct mm_struct *mm,
					  unsigned long npages)
{
	return true;
}

static inline void restrack_files_new(struct files_struct *files) { }
static inline void restrack_files_free(struct files_struct *files) { }
static inline void restrack_files_installed(struct task_struct *tsk,
					    struct files_struct *old) { }
static inline void restrack_fork(struct task_struct *p,
				 unsigned long clone_flags) { }
static inline int restrack_files_grew(struct files_struct *files, int ret)
{
	return ret;
}

static inline int restrack_files_received(struct files_struct *files, int fd,
					  bool installed)
{
	return fd;
}

static inline void restrack_exec(bool secureexec) { }
static inline void restrack_exit(struct task_struct *tsk) { }

#endif /* CONFIG_RESOURCE_TRACKER */

#endif /* _LINUX_RESOURCE_TRACKER_H */
