// SPDX-License-Identifier: GPL-2.0
/*
 * Resource tracker - tracking records, quotas and their enforcement
 *
 * A tracked process has a struct restrack_entry hanging off its
 * signal_struct.  Its heap is charged to its mm and its descriptors to its
 * file tables: the hooks in the memory and file descriptor code find the
 * record through the mm or the table in O(1), whichever task is growing
 * it.  The global list exists only for /proc/tracker_status and is never
 * walked on a hot path.
 */

#define pr_fmt(fmt) "restrack: " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/export.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/hardirq.h>
#include <linux/irq_work.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/oom.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/ptrace.h>
#include <linux/rculist.h>
#include <linux/resource_tracker.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/security.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "restrack.h"

/*
 * Serialises changes to restrack_list, to every signal->restrack, to the
 * charging of mms and file tables, and to the quotas.  Taken before
 * task_lock() and file_lock, never inside them.
 */
static DEFINE_SPINLOCK(restrack_lock);
static LIST_HEAD(restrack_list);

/*
 * Serialises the descriptor checks of processes charged with several file
 * tables, each from its check to the addition of the descriptor: two
 * threads adding to two tables under two file_locks would otherwise both
 * find room for the last one.  Taken inside a file_lock and inside
 * restrack_lock; rare, as a process with tables of its threads' own is.
 */
static DEFINE_SPINLOCK(restrack_files_lock);

DEFINE_STATIC_KEY_FALSE(restrack_files_key);
static u64 restrack_seq;

/* signal->restrack_killed while restrack_kill_reason() writes the figures */
#define RESTRACK_KILL_PENDING	(~0U)

static struct restrack_entry *restrack_entry_locked(struct signal_struct *sig)
{
	return rcu_dereference_protected(sig->restrack,
					 lockdep_is_held(&restrack_lock));
}

/* Send SIGKILL to @task's process, with the OOM killer's kind of log line. */
static void restrack_kill(struct task_struct *task, const char *what,
			  unsigned long usage, const char *usage_unit,
			  unsigned long quota, const char *quota_unit)
{
	pr_warn_ratelimited("Killed process %d (%s): %s %lu%s over quota %lu%s\n",
			    task_tgid_nr(task), task->comm, what, usage,
			    usage_unit, quota, quota_unit);
	do_send_sig_info(SIGKILL, SEND_SIG_PRIV, task, PIDTYPE_TGID);
}

/*
 * Keep why @sig's process was killed, for restrack_pidfd_get(): in the
 * signal_struct, which lives until the process is reaped, so that its
 * parent can read it on the zombie.  The first reason stays.
 */
static void restrack_kill_reason(struct signal_struct *sig, unsigned int why,
				 unsigned long usage, unsigned long limit)
{
	if (cmpxchg(&sig->restrack_killed, 0, RESTRACK_KILL_PENDING))
		return;
	WRITE_ONCE(sig->restrack_kill_usage, usage);
	WRITE_ONCE(sig->restrack_kill_limit, limit);
	/* Pairs with smp_load_acquire() in restrack_info(). */
	smp_store_release(&sig->restrack_killed, why);
}

/*
 * Kill the process of @e for crossing a quota, once: every kill sets
 * RESTRACK_KILLED, so that each logs one line.  Call under RCU.
 */
static void restrack_kill_entry(struct restrack_entry *e, bool heap,
				unsigned long usage)
{
	unsigned long pages = READ_ONCE(e->heap_pages);
	struct task_struct *task;

	if (test_and_set_bit(RESTRACK_KILLED, &e->flags))
		return;
	task = pid_task(e->pid, PIDTYPE_TGID);
	if (!task)
		return;
	if (heap) {
		restrack_kill_reason(task->signal, RESTRACK_KILLED_HEAP, usage,
				     pages << PAGE_SHIFT);
		/* A quota set in MiB is logged in MiB, as it always was. */
		if (pages % (SZ_1M >> PAGE_SHIFT))
			restrack_kill(task, "heap", usage, " bytes",
				      pages << PAGE_SHIFT, " bytes");
		else
			restrack_kill(task, "heap", usage, " bytes",
				      pages >> (20 - PAGE_SHIFT), " MiB");
	} else {
		restrack_kill_reason(task->signal, RESTRACK_KILLED_FILES, usage,
				     READ_ONCE(e->file_quota));
		restrack_kill(task, "files", usage, "",
			      READ_ONCE(e->file_quota), "");
	}
}

/* SIGKILL, without a log line, to a process that shares a charged resource. */
static void restrack_kill_sharer(struct task_struct *p)
{
	if (!is_global_init(p) && !(p->flags & PF_KTHREAD))
		do_send_sig_info(SIGKILL, SEND_SIG_PRIV, p, PIDTYPE_TGID);
}

/* ------------------------------------------------------------------------
 * The heap: charged to the address space.
 *
 * A tracked process's record is linked into mm->restrack_entries of the mm
 * its threads use, and mm->restrack_heap_limit is the lowest heap quota
 * among the records there, in pages.  may_expand_vm() compares the growth
 * with it before anything is mapped, whoever grows the mm.
 */

static unsigned long restrack_mm_heap(struct mm_struct *mm)
{
	return mm ? READ_ONCE(mm->data_vm) << PAGE_SHIFT : 0;
}

/* Fold the high-water of @mm, which @e is charged to, into @e's. */
static void restrack_mm_fold_peak_locked(struct restrack_entry *e,
					 struct mm_struct *mm)
{
	unsigned long peak = max(READ_ONCE(mm->restrack_heap_peak),
				 READ_ONCE(mm->data_vm));

	e->heap_peak = max(e->heap_peak, peak);
}

static void restrack_mm_update_locked(struct mm_struct *mm)
{
	unsigned long limit = ULONG_MAX;
	struct restrack_entry *e;

	hlist_for_each_entry(e, &mm->restrack_entries, mm_node)
		limit = min(limit, e->heap_pages);
	WRITE_ONCE(mm->restrack_heap_limit, limit);
}

/* Charge @e's heap to @mm (NULL: to nothing). */
static void restrack_mm_attach_locked(struct restrack_entry *e,
				      struct mm_struct *mm)
{
	struct mm_struct *old = e->mm;

	if (old == mm)
		return;
	if (old) {
		restrack_mm_fold_peak_locked(e, old);
		hlist_del_init_rcu(&e->mm_node);
		WRITE_ONCE(e->mm, NULL);
		/* Only the lowest quota, when there is one, is the limit. */
		if (e->heap_pages != ULONG_MAX &&
		    e->heap_pages == old->restrack_heap_limit)
			restrack_mm_update_locked(old);
	}
	if (mm) {
		/* The high-water starts here for an mm nobody was charged. */
		if (hlist_empty(&mm->restrack_entries))
			WRITE_ONCE(mm->restrack_heap_peak, READ_ONCE(mm->data_vm));
		WRITE_ONCE(e->mm, mm);
		hlist_add_head_rcu(&e->mm_node, &mm->restrack_entries);
		/* The lowest quota there: the limit, or @e's. */
		if (e->heap_pages < mm->restrack_heap_limit)
			WRITE_ONCE(mm->restrack_heap_limit, e->heap_pages);
	}
}

/* Charge @e's heap to the mm of @task's process. */
static void restrack_mm_attach_task_locked(struct restrack_entry *e,
					   struct task_struct *task)
{
	struct task_struct *t = find_lock_task_mm(task);

	restrack_mm_attach_locked(e, t ? t->mm : NULL);
	if (t)
		task_unlock(t);
}

void __restrack_mm_release(struct mm_struct *mm)
{
	struct restrack_entry *e;
	struct hlist_node *tmp;

	spin_lock(&restrack_lock);
	hlist_for_each_entry_safe(e, tmp, &mm->restrack_entries, mm_node) {
		restrack_mm_fold_peak_locked(e, mm);
		hlist_del_init_rcu(&e->mm_node);
		WRITE_ONCE(e->mm, NULL);
	}
	WRITE_ONCE(mm->restrack_heap_limit, ULONG_MAX);
	spin_unlock(&restrack_lock);
}

/* Kill every user process that uses @mm, as the OOM killer does. */
static void restrack_kill_mm_users(struct mm_struct *mm)
{
	struct task_struct *p;

	rcu_read_lock();
	for_each_process(p) {
		if (process_shares_mm(p, mm))
			restrack_kill_sharer(p);
	}
	rcu_read_unlock();
}

/*
 * may_expand_vm() found that @npages more would take @mm over the lowest
 * quota charged to it.  The caller holds mmap_lock for writing, as every
 * one that changes data_vm does, so the figure is final: mremap()'s moment
 * of counting a moving mapping twice is under the same lock.  Rare (the
 * growth is refused), so the records are read under restrack_lock, where
 * an exec cannot be moving one of them to another mm.  The growth is
 * refused past any quota; past one with the kill action the process
 * charged and every process using @mm are killed too, whatever the
 * actions of the other records charged to @mm.
 */
bool __restrack_heap_over(struct mm_struct *mm, unsigned long npages)
{
	unsigned long want = mm->data_vm + npages;
	struct restrack_entry *e;
	bool over = false, kill = false;

	spin_lock(&restrack_lock);
	rcu_read_lock();
	hlist_for_each_entry(e, &mm->restrack_entries, mm_node) {
		if (want <= e->heap_pages)
			continue;
		over = true;
		if (e->heap_action == RESTRACK_ACTION_DENY)
			continue;
		kill = true;
		restrack_kill_entry(e, true, want << PAGE_SHIFT);
	}
	rcu_read_unlock();
	spin_unlock(&restrack_lock);
	if (kill)
		restrack_kill_mm_users(mm);
	return !over;
}

/* ------------------------------------------------------------------------
 * Open files: charged to the file tables.
 *
 * A link joins a tracked process's record and each file table its threads
 * use: the record's @links lists its tables, and files->restrack_links the
 * records charged with the table, so that whoever adds a descriptor to it
 * (a thread, a CLONE_FILES child) is checked against every quota it counts
 * for.  A process's figure is the sum over its tables, each counted once.
 */

/* The count of @files, a table with a limit (restrack_fd_admit()). */
static unsigned long restrack_fd_count(struct files_struct *files)
{
	unsigned long count;

	rcu_read_lock();
	count = READ_ONCE(files_fdtable(files)->open_count);
	rcu_read_unlock();
	return count;
}

/* The descriptors open in @files, whether it is counted or not. */
static unsigned long restrack_fd_weigh(struct files_struct *files)
{
	struct fdtable *fdt;
	unsigned long n;

	spin_lock(&files->file_lock);
	fdt = files_fdtable(files);
	n = bitmap_weight(fdt->open_fds, fdt->max_fds);
	spin_unlock(&files->file_lock);
	return n;
}

/*
 * Descriptors in the tables charged to @e, each taken by @count:
 * restrack_fd_count() when @e has a file quota (its tables are counted),
 * restrack_fd_weigh() for a reader, whatever @e has.
 */
static unsigned long
restrack_files_sum_locked(struct restrack_entry *e,
			  unsigned long (*count)(struct files_struct *files))
{
	struct restrack_link *l;
	unsigned long n = 0;

	list_for_each_entry(l, &e->links, e_node)
		n += count(l->files);
	return n;
}

/*
 * Descriptors charged to @e, one of whose tables @files is; under RCU,
 * without restrack_lock, which may not be taken under a file_lock: every
 * table a link names is unlinked a grace period before it is freed
 * (__restrack_files_free()).
 */
static unsigned long restrack_files_held(struct restrack_entry *e,
					 struct files_struct *files)
{
	struct restrack_link *l;
	unsigned long n = 0;

	/* The common case: @files is the only table charged to @e. */
	if (READ_ONCE(e->nr_tables) <= 1)
		return restrack_fd_count(files);
	list_for_each_entry_rcu(l, &e->links, e_node)
		n += restrack_fd_count(l->files);
	return n;
}

static struct restrack_link *restrack_link_find_locked(struct restrack_entry *e,
						       struct files_struct *files)
{
	struct restrack_link *l;

	hlist_for_each_entry(l, &files->restrack_links, files_node) {
		if (l->e == e)
			return l;
	}
	return NULL;
}

/*
 * What @e asks of the limit of a table charged to it: its file quota when
 * it has one table, 0 when it has a quota and several tables, UINT_MAX - 1
 * (counted, no limit) when it has no quota but is RESTRACK_COUNTED,
 * UINT_MAX (not counted) when neither.
 */
static unsigned int restrack_entry_files_limit(const struct restrack_entry *e)
{
	unsigned int limit = UINT_MAX;
	long quota = READ_ONCE(e->file_quota);

	if (test_bit(RESTRACK_COUNTED, &e->flags))
		limit = UINT_MAX - 1;
	if (quota < 0)
		return limit;
	if (READ_ONCE(e->nr_tables) > 1)
		return 0;
	return min_t(unsigned long, limit, quota);
}

/*
 * The limit of @files, from the records charged with it: the lowest that
 * one asks (restrack_entry_files_limit()), UINT_MAX when none is.  Under
 * restrack_lock, or under RCU with the table's file_lock.
 */
static unsigned int restrack_files_limit(struct files_struct *files)
{
	unsigned int limit = UINT_MAX;
	struct restrack_link *l;

	hlist_for_each_entry_rcu(l, &files->restrack_links, files_node,
				 lockdep_is_held(&restrack_lock)) {
		limit = min(limit, restrack_entry_files_limit(l->e));
		if (!limit)
			break;
	}
	return limit;
}

/*
 * What restrack_fd_admit() compares the count of @files with: @limit, or
 * the table's high-water when that is lower, so that the check which
 * admits a descriptor past the high-water (out of line) is the one place
 * that keeps it, and closing a descriptor only counts down.
 */
static void restrack_files_threshold(struct files_struct *files,
				     struct fdtable *fdt, unsigned int limit)
{
	if (limit != UINT_MAX)
		limit = min(limit, READ_ONCE(fdt->open_peak));
	WRITE_ONCE(files->restrack_file_limit, limit);
}

/*
 * Set @files->restrack_file_limit (see restrack_fd_admit()) from the
 * records charged with it, under the table's file_lock: __restrack_fd_admit()
 * moves it up to a new high-water under that lock, so a limit being lowered
 * here is never undone by a check that read the quotas before.  A kprobe
 * handler (NMI context, restrack_detach()) takes no lock: it only removes
 * records, which can only raise the limit.
 */
static void restrack_files_limit_locked(struct files_struct *files)
{
	unsigned int limit = restrack_files_limit(files);
	bool counted = READ_ONCE(files->restrack_file_limit) != UINT_MAX;
	bool nmi = in_nmi();
	struct fdtable *fdt;

	if (!counted && (limit == UINT_MAX || nmi))
		return;
	if (!nmi)
		spin_lock(&files->file_lock);
	rcu_read_lock();
	fdt = files_fdtable(files);
	if (!counted) {
		/*
		 * A table is counted only while it has a limit: take the count
		 * from the bitmap, under the lock its descriptors are added
		 * under.  restrack_files_key is on (restrack_set_quota()).
		 */
		WRITE_ONCE(fdt->open_count,
			   bitmap_weight(fdt->open_fds, fdt->max_fds));
		/* The high-water starts with the count. */
		WRITE_ONCE(fdt->open_peak, fdt->open_count);
	}
	restrack_files_threshold(files, fdt, limit);
	rcu_read_unlock();
	if (!nmi)
		spin_unlock(&files->file_lock);
}

/* The limits of every table charged to @e. */
static void restrack_entry_limits_locked(struct restrack_entry *e)
{
	struct restrack_link *l;

	list_for_each_entry(l, &e->links, e_node)
		restrack_files_limit_locked(l->files);
}

/* Charge @files to @e with the link @l. */
static void restrack_link_add_locked(struct restrack_link *l,
				     struct restrack_entry *e,
				     struct files_struct *files)
{
	l->e = e;
	l->files = files;
	list_add_tail_rcu(&l->e_node, &e->links);
	WRITE_ONCE(e->nr_tables, e->nr_tables + 1);
	hlist_add_head_rcu(&l->files_node, &files->restrack_links);
}

/*
 * Charge @files to @e, with the link *@spare when it is needed (then
 * *@spare is NULL).  Return: false when a link was needed and none spare.
 */
static bool restrack_files_link_locked(struct restrack_entry *e,
				       struct files_struct *files,
				       struct restrack_link **spare)
{
	struct restrack_link *l;

	if (restrack_link_find_locked(e, files))
		return true;
	/*
	 * The record's own link serves its first table, once: an unlinked
	 * link may still be walked under RCU, so it is never used again.
	 */
	l = &e->first_link;
	if (l->e) {
		l = *spare;
		if (!l)
			return false;
		*spare = NULL;
	}
	restrack_link_add_locked(l, e, files);
	restrack_entry_limits_locked(e);
	return true;
}

/*
 * Charge @files, the table dup_fd() has just made for a child not yet
 * running, to @c, the child's fresh record, with the record's own link.
 * dup_fd() counted the copy, @c is the only record charged with it, and
 * nothing can add to the table or read its limit before the child runs:
 * the limit is set from @c alone, without the file_lock and without
 * weighing the bitmap again (restrack_files_limit_locked()).
 */
static void restrack_files_link_new_locked(struct restrack_entry *c,
					   struct files_struct *files)
{
	unsigned int limit;

	restrack_link_add_locked(&c->first_link, c, files);
	limit = restrack_entry_files_limit(c);
	if (limit != UINT_MAX) {
		rcu_read_lock();
		restrack_files_threshold(files, files_fdtable(files), limit);
		rcu_read_unlock();
	}
}

/* The high-water of @files, when it is counted, else its count now. */
static unsigned long restrack_fd_peak(struct files_struct *files)
{
	unsigned long peak = 0, now = restrack_fd_weigh(files);
	struct fdtable *fdt;

	rcu_read_lock();
	fdt = files_fdtable(files);
	if (READ_ONCE(files->restrack_file_limit) != UINT_MAX)
		peak = READ_ONCE(fdt->open_peak);
	rcu_read_unlock();
	return max(peak, now);
}

static void restrack_files_unlink_locked(struct restrack_link *l)
{
	l->e->files_peak = max(l->e->files_peak, restrack_fd_peak(l->files));
	hlist_del_rcu(&l->files_node);
	list_del_rcu(&l->e_node);
	WRITE_ONCE(l->e->nr_tables, l->e->nr_tables - 1);
	restrack_files_limit_locked(l->files);
	restrack_entry_limits_locked(l->e);
	if (l != &l->e->first_link)
		kfree_rcu(l, rcu);
}

static struct restrack_link *restrack_link_alloc(void)
{
	return kzalloc(sizeof(struct restrack_link), GFP_KERNEL_ACCOUNT);
}

/*
 * Charge every table that a thread of @task's process uses to @e.  Return:
 * false when it needs more links than *@spare holds: the caller drops the
 * lock, allocates and calls again.
 */
static bool restrack_files_link_task_locked(struct restrack_entry *e,
					    struct task_struct *task,
					    struct restrack_link **spare)
{
	struct task_struct *t;
	bool done = true;

	rcu_read_lock();
	for_each_thread(task, t) {
		task_lock(t);
		if (t->files)
			done = restrack_files_link_locked(e, t->files, spare);
		task_unlock(t);
		if (!done)
			break;
	}
	rcu_read_unlock();
	return done;
}

/* Does a thread of @task's process use @files? */
static bool restrack_files_used_locked(struct task_struct *task,
				       struct files_struct *files)
{
	struct task_struct *t;
	bool used = false;

	rcu_read_lock();
	for_each_thread(task, t) {
		if (READ_ONCE(t->files) == files) {
			used = true;
			break;
		}
	}
	rcu_read_unlock();
	return used;
}

void __restrack_files_free(struct files_struct *files)
{
	struct restrack_link *l;
	struct hlist_node *tmp;

	spin_lock(&restrack_lock);
	hlist_for_each_entry_safe(l, tmp, &files->restrack_links, files_node)
		restrack_files_unlink_locked(l);
	spin_unlock(&restrack_lock);
	/*
	 * restrack_files_held() may still be counting this table for a
	 * process that uses several.  Rare (a thread's own table outliving
	 * its thread, a table left by unshare), and put_files_struct() may
	 * sleep.
	 */
	synchronize_rcu();
}

/*
 * Would one more descriptor take a process charged with @files over its
 * file quota?  Calls @over, if given, for each one it would.  Under RCU.
 */
static bool restrack_files_check(struct files_struct *files,
				 void (*over)(struct restrack_entry *e,
					      unsigned long n))
{
	struct restrack_link *l;
	struct restrack_entry *e;
	bool full = false;
	unsigned long n;
	long quota;

	hlist_for_each_entry_rcu(l, &files->restrack_links, files_node) {
		e = l->e;
		quota = READ_ONCE(e->file_quota);
		if (quota < 0)
			continue;
		n = restrack_files_held(e, files);
		if (n < quota)
			continue;
		full = true;
		/* Under the deny action the descriptor is only refused. */
		if (over && READ_ONCE(e->files_action) == RESTRACK_ACTION_KILL)
			over(e, n + 1);
	}
	return full;
}

/* Is @files charged to a process that is charged with other tables too? */
static bool restrack_files_several(struct files_struct *files)
{
	struct restrack_link *l;

	hlist_for_each_entry_rcu(l, &files->restrack_links, files_node) {
		if (READ_ONCE(l->e->nr_tables) > 1)
			return true;
	}
	return false;
}

/*
 * Wait for the descriptor checks on @e's tables but @files that did not
 * take restrack_files_lock: @e is charged with @files from now on, so
 * that later checks take it.  Under restrack_lock.
 */
static void restrack_files_settle_locked(struct restrack_entry *e,
					 struct files_struct *files)
{
	struct restrack_link *l;

	list_for_each_entry(l, &e->links, e_node) {
		if (l->files == files)
			continue;
		spin_lock(&l->files->file_lock);
		spin_unlock(&l->files->file_lock);
	}
}

/*
 * One more descriptor would take @e over its file quota, to @n: kill its
 * process, and the current one with it when it is another (a CLONE_FILES
 * child).  Under RCU.
 */
static void restrack_files_over(struct restrack_entry *e, unsigned long n)
{
	struct task_struct *owner = pid_task(e->pid, PIDTYPE_TGID);

	restrack_kill_entry(e, false, n);
	if (!owner || !same_thread_group(owner, current))
		restrack_kill_sharer(current);
}

/*
 * Under @files->file_lock: the table is at its limit, or at its high-water
 * (restrack_fd_admit()).  The checks of a process with several tables are
 * serialised from the check to the count, which is the addition as the
 * other tables see it.
 */
bool __restrack_fd_admit(struct files_struct *files, struct fdtable *fdt,
			 bool received)
{
	bool several, full;
	unsigned int n;

	rcu_read_lock();
	several = restrack_files_several(files);
	if (several)
		spin_lock(&restrack_files_lock);
	full = restrack_files_check(files, received ? NULL : restrack_files_over);
	if (!full) {
		n = fdt->open_count + 1;
		WRITE_ONCE(fdt->open_count, n);
		/* A new high-water, kept here: the inline check admits up to it. */
		if (n > fdt->open_peak)
			WRITE_ONCE(fdt->open_peak, n);
		restrack_files_threshold(files, fdt, restrack_files_limit(files));
	}
	if (several)
		spin_unlock(&restrack_files_lock);
	rcu_read_unlock();
	return !full;
}

/*
 * @tsk's table was made or replaced (restrack_files_installed()): charge
 * the new one, uncharge @old when no thread of the process uses it any
 * more.  A copy that would take the process over its quota is the
 * process's own doing, as a dup() is: it is killed, and the copy is never
 * counted.
 */
void __restrack_files_installed(struct task_struct *tsk,
				struct files_struct *old)
{
	struct restrack_link *l, *spare = restrack_link_alloc();
	struct files_struct *files = NULL;
	struct restrack_entry *e;
	unsigned long n = 0;
	bool over = false;

	spin_lock(&restrack_lock);
	e = restrack_entry_locked(tsk->signal);
	if (!e)
		goto out;
	/* @old is uncharged first when no thread uses it any more. */
	l = old ? restrack_link_find_locked(e, old) : NULL;
	if (l && !restrack_files_used_locked(tsk, old))
		restrack_files_unlink_locked(l);
	task_lock(tsk);
	if (tsk->files && !restrack_link_find_locked(e, tsk->files)) {
		files = tsk->files;
		/* Without memory for the link, the process may not go on. */
		over = !restrack_files_link_locked(e, files, &spare);
	}
	task_unlock(tsk);
	if (files && !over && e->file_quota >= 0) {
		/* Nothing but @tsk adds to @files yet. */
		restrack_files_settle_locked(e, files);
		spin_lock(&restrack_files_lock);
		n = restrack_files_sum_locked(e, restrack_fd_count);
		spin_unlock(&restrack_files_lock);
		/* Under the deny action the process goes on, over its quota. */
		over = n > e->file_quota &&
		       e->files_action == RESTRACK_ACTION_KILL;
		if (over)
			restrack_files_unlink_locked(restrack_link_find_locked(e, files));
	}
out:
	/* The record outlives the lock for as long as the RCU section. */
	rcu_read_lock();
	spin_unlock(&restrack_lock);
	if (over)
		restrack_kill_entry(e, false, n);
	rcu_read_unlock();
	kfree(spare);
}

/* ------------------------------------------------------------------------
 * Reading the figures.
 */

/**
 * restrack_info - read everything restrack_pidfd_get() reports
 * @task: any thread of the process, which may be a zombie
 * @info: filled; the usage is zero once the process is no longer tracked
 *
 * The reason of a quota's kill is kept in the signal_struct until the
 * process is reaped, so that its parent can read it on the zombie.
 *
 * Return: 0, or -ENOENT when the process is neither tracked nor killed by
 * a quota.
 */
int restrack_info(struct task_struct *task, struct restrack_info *info)
{
	struct signal_struct *sig = task->signal;
	unsigned long peak, files_peak = 0;
	struct restrack_entry *e;
	struct restrack_link *l;
	unsigned int why;

	memset(info, 0, sizeof(*info));
	info->heap_quota = RESTRACK_NO_QUOTA;
	info->files_quota = RESTRACK_NO_QUOTA;

	spin_lock(&restrack_lock);
	e = restrack_entry_locked(sig);
	if (e) {
		if (test_bit(RESTRACK_INHERITS, &e->flags))
			info->flags = RESTRACK_INHERIT;
		info->heap_bytes = restrack_mm_heap(e->mm);
		info->files = restrack_files_sum_locked(e, restrack_fd_weigh);
		if (e->heap_pages != ULONG_MAX)
			info->heap_quota = (u64)e->heap_pages << PAGE_SHIFT;
		if (e->file_quota >= 0)
			info->files_quota = e->file_quota;
		info->heap_action = e->heap_action;
		info->files_action = e->files_action;
		peak = e->heap_peak;
		if (e->mm)
			peak = max3(peak, READ_ONCE(e->mm->restrack_heap_peak),
				    READ_ONCE(e->mm->data_vm));
		info->heap_peak = (u64)peak << PAGE_SHIFT;
		list_for_each_entry(l, &e->links, e_node)
			files_peak += restrack_fd_peak(l->files);
		info->files_peak = max3((u64)e->files_peak, (u64)files_peak,
					info->files);
	}
	spin_unlock(&restrack_lock);

	/* Pairs with smp_store_release() in restrack_kill_reason(). */
	why = smp_load_acquire(&sig->restrack_killed);
	if (why == RESTRACK_KILLED_HEAP || why == RESTRACK_KILLED_FILES) {
		info->killed = why;
		info->kill_usage = READ_ONCE(sig->restrack_kill_usage);
		info->kill_limit = READ_ONCE(sig->restrack_kill_limit);
	}
	return e || info->killed ? 0 : -ENOENT;
}

/**
 * restrack_usage - read a process's heap bytes and open file count
 * @task: any thread of the process
 * @heap: set to the bytes of private writable memory of the mm charged
 * @files: set to the descriptors in the file tables charged
 *
 * Both are zero once the process has given up its mm and tables.  The
 * record is looked up under the lock the figures are read under, so that
 * a deregistration racing the read never passes for a process using
 * nothing.
 *
 * Return: true when the process is tracked (the figures are its own),
 * false when it is not (both are zero).
 */
bool restrack_usage(struct task_struct *task, unsigned long *heap,
		    unsigned long *files)
{
	struct restrack_entry *e;

	*heap = 0;
	*files = 0;
	spin_lock(&restrack_lock);
	e = restrack_entry_locked(task->signal);
	if (e) {
		/* A charged mm is unlinked under the lock before its end. */
		*heap = restrack_mm_heap(e->mm);
		*files = restrack_files_sum_locked(e, restrack_fd_weigh);
	}
	spin_unlock(&restrack_lock);
	return e;
}

/*
 * Kill @task at once when it is already over a quota it was just given.
 * The figures are read under the locks their growth takes (mmap_lock,
 * file_lock): a growth that passed its check before the new quota was
 * published is complete, and one that comes later sees the new quota.
 */
static void restrack_enforce_now(struct task_struct *task,
				 const struct restrack_quota *q)
{
	unsigned long heap = 0, files = 0;
	struct restrack_entry *e;
	struct mm_struct *mm;

	mm = get_task_mm(task);
	if (mm) {
		mmap_read_lock(mm);
		heap = restrack_mm_heap(mm);
		mmap_read_unlock(mm);
		mmput(mm);
	}

	spin_lock(&restrack_lock);
	e = restrack_entry_locked(task->signal);
	if (e)
		files = restrack_files_sum_locked(e, restrack_fd_weigh);
	rcu_read_lock();
	spin_unlock(&restrack_lock);
	/* Under the deny action a quota below the usage only stops growth. */
	if (e && (q->mask & RESTRACK_QUOTA_HEAP) &&
	    q->heap_action == RESTRACK_ACTION_KILL &&
	    q->heap_pages != ULONG_MAX && (heap >> PAGE_SHIFT) > q->heap_pages)
		restrack_kill_entry(e, true, heap);
	else if (e && (q->mask & RESTRACK_QUOTA_FILES) &&
		 q->files_action == RESTRACK_ACTION_KILL &&
		 q->files >= 0 && files > q->files)
		restrack_kill_entry(e, false, files);
	rcu_read_unlock();
}

static void restrack_free_rcu(struct rcu_head *head)
{
	struct restrack_entry *e = container_of(head, struct restrack_entry, rcu);
	struct restrack_link *l, *tmp;

	list_for_each_entry_safe(l, tmp, &e->links, e_node)
		if (l != &e->first_link)
			kfree(l);
	put_user_ns(e->quota_ns);
	put_pid(e->pid);
	kfree(e);
}

/*
 * Detach @sig's record and uncharge its mm and tables; the caller frees it
 * with restrack_free().
 */
static struct restrack_entry *restrack_detach_locked(struct signal_struct *sig)
{
	struct restrack_entry *e = restrack_entry_locked(sig);
	struct restrack_link *l;

	if (e) {
		RCU_INIT_POINTER(sig->restrack, NULL);
		list_del_rcu(&e->node);
		restrack_mm_attach_locked(e, NULL);
		/*
		 * Out of the tables' lists; freed with the record, since this
		 * may be NMI context (the cleanup_kprobe module).
		 */
		list_for_each_entry(l, &e->links, e_node) {
			hlist_del_rcu(&l->files_node);
			/*
			 * A table one thread holds, most often an exiting
			 * process's, closed next (exit_files()), keeps its
			 * limit: lower than the records now give, it sends
			 * the next descriptor out of line, which sets it
			 * again (__restrack_fd_admit()).
			 */
			if (atomic_read(&l->files->count) > 1)
				restrack_files_limit_locked(l->files);
		}
	}
	return e;
}

/*
 * A kprobe handler runs in NMI context on x86, where call_rcu() may not be
 * used: records detached there are freed from an irq_work instead.
 */
static LLIST_HEAD(restrack_nmi_freed);

static void restrack_nmi_free_work(struct irq_work *work)
{
	struct llist_node *list = llist_del_all(&restrack_nmi_freed);
	struct restrack_entry *e, *next;

	llist_for_each_entry_safe(e, next, list, nmi_free)
		call_rcu(&e->rcu, restrack_free_rcu);
}

static DEFINE_IRQ_WORK(restrack_nmi_work, restrack_nmi_free_work);

static void restrack_free(struct restrack_entry *e)
{
	if (in_nmi()) {
		llist_add(&e->nmi_free, &restrack_nmi_freed);
		irq_work_queue(&restrack_nmi_work);
	} else {
		call_rcu(&e->rcu, restrack_free_rcu);
	}
}

/*
 * Free @e, detached from a process one of whose threads is current, in
 * do_exit(): the process is not reaped before current exits, so its pid
 * has references other than @e's, and the last of them is put a grace
 * period after free_pid(), later than now: every reader that found @e
 * under RCU has finished with @e->pid by then.  The references go now and
 * the memory with kfree_rcu(), batched, cheaper than restrack_free()'s
 * callback.  @e->quota_ns is read only under restrack_lock.
 */
static void restrack_free_exiting(struct restrack_entry *e)
{
	struct restrack_link *l, *tmp;

	put_user_ns(e->quota_ns);
	put_pid(e->pid);
	list_for_each_entry_safe(l, tmp, &e->links, e_node)
		if (l != &e->first_link)
			kfree_rcu(l, rcu);
	kfree_rcu(e, rcu);
}

/* @exiting: current is a thread of @sig's process, in do_exit(). */
static void restrack_detach(struct signal_struct *sig, bool exiting)
{
	struct restrack_entry *e;

	/*
	 * A kprobe handler on x86 runs in NMI context, where only a trylock
	 * is safe.  When the lock is busy the record stays for a moment:
	 * do_exit() drops it when the thread group is dead.
	 */
	if (in_nmi()) {
		if (!spin_trylock(&restrack_lock))
			return;
	} else {
		spin_lock(&restrack_lock);
	}
	e = restrack_detach_locked(sig);
	spin_unlock(&restrack_lock);
	if (!e)
		return;
	if (exiting && !in_nmi())
		restrack_free_exiting(e);
	else
		restrack_free(e);
}

/**
 * restrack_exit - end the tracking of an exiting process
 * @tsk: a thread of the process
 *
 * Called by do_exit() once the last thread is exiting, and by the
 * cleanup_kprobe module from a kprobe at the entry of do_exit(), which on
 * x86 is NMI context; see restrack_detach() and restrack_free().
 */
void restrack_exit(struct task_struct *tsk)
{
	/* Pairs with the smp_mb() in restrack_register(). */
	if (rcu_access_pointer(tsk->signal->restrack))
		restrack_detach(tsk->signal, tsk == current);
}
EXPORT_SYMBOL_GPL(restrack_exit);

/**
 * restrack_may_manage - may current manage @task's tracking?
 * @task: the target thread
 * @limits: the change may end in a SIGKILL (register, resource_cap)
 *
 * As for prlimit(2): itself, a process with the caller's uid and gid in
 * all three slots, or CAP_SYS_RESOURCE in the target's user namespace; and
 * the LSMs' prlimit hook.  A quota is a deferred SIGKILL, so a change that
 * may set one also asks the LSMs' kill hook, as kill(2) would: a caller that
 * may not kill the target may not limit it.
 *
 * Return: 0 or -EPERM (or an LSM's error).
 */
int restrack_may_manage(struct task_struct *task, bool limits)
{
	const struct cred *cred = current_cred(), *tcred;
	bool id_match;
	int ret = 0;

	if (same_thread_group(current, task))
		return 0;

	rcu_read_lock();
	tcred = __task_cred(task);
	id_match = uid_eq(cred->uid, tcred->euid) &&
		   uid_eq(cred->uid, tcred->suid) &&
		   uid_eq(cred->uid, tcred->uid) &&
		   gid_eq(cred->gid, tcred->egid) &&
		   gid_eq(cred->gid, tcred->sgid) &&
		   gid_eq(cred->gid, tcred->gid);
	if (!id_match && !ns_capable(tcred->user_ns, CAP_SYS_RESOURCE))
		ret = -EPERM;
	if (!ret)
		ret = security_task_prlimit(cred, tcred, LSM_PRLIMIT_WRITE);
	if (!ret && limits)
		ret = security_task_kill(task, SEND_SIG_NOINFO, SIGKILL, NULL);
	rcu_read_unlock();
	return ret;
}

/*
 * Has the caller CAP_SYS_RESOURCE over @task?  A limit set with it stays
 * across a privilege-gaining exec; one set without it does not.
 */
static bool restrack_privileged(struct task_struct *task)
{
	struct user_namespace *ns;
	bool ret;

	rcu_read_lock();
	ns = get_user_ns(__task_cred(task)->user_ns);
	rcu_read_unlock();
	ret = ns_capable_noaudit(ns, CAP_SYS_RESOURCE);
	put_user_ns(ns);
	return ret;
}

/*
 * A record with no quota, mm or table, not yet published.  Set field by
 * field rather than zeroed whole: every child of an inheriting process
 * gets one, and kzalloc() cleared all of it (the RCU and llist heads, and
 * all but one field of the link, which are written before they are read)
 * at a quarter of the cost of a tracked vfork.
 */
static struct restrack_entry *restrack_entry_alloc(void)
{
	struct restrack_entry *e = kmalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);

	if (!e)
		return NULL;
	INIT_LIST_HEAD(&e->node);
	e->pid = NULL;
	e->seq = 0;
	e->mm = NULL;
	INIT_HLIST_NODE(&e->mm_node);
	INIT_LIST_HEAD(&e->links);
	e->nr_tables = 0;
	e->heap_pages = ULONG_MAX;
	e->file_quota = -1;
	e->heap_action = RESTRACK_ACTION_KILL;
	e->files_action = RESTRACK_ACTION_KILL;
	e->heap_peak = 0;
	e->files_peak = 0;
	e->quota_ns = NULL;
	e->flags = 0;
	e->first_link.e = NULL;	/* unused */
	return e;
}

/**
 * restrack_register - start tracking @task's process
 * @task: any thread of a live user process
 * @flags: RESTRACK_INHERIT, or 0; from restrack_pidfd_register() with
 *	RESTRACK_REGISTER_COUNTED: its tables are counted, and restrack_files_key
 *	is on, from now on
 *
 * Return: 0, -EEXIST, -ESRCH if the process died meanwhile, or -ENOMEM.
 */
int restrack_register(struct task_struct *task, unsigned int flags)
{
	struct signal_struct *sig = task->signal;
	struct restrack_link *spare = NULL;
	struct restrack_entry *e;
	bool done;
	int err = 0;

	if (rcu_access_pointer(sig->restrack))
		return -EEXIST;

	e = restrack_entry_alloc();
	if (!e)
		return -ENOMEM;
	e->pid = get_task_pid(task, PIDTYPE_TGID);
	if (!restrack_privileged(task))
		__set_bit(RESTRACK_UNPRIVILEGED, &e->flags);
	if (flags & RESTRACK_INHERIT)
		__set_bit(RESTRACK_INHERITS, &e->flags);
	if (flags & RESTRACK_REGISTER_COUNTED) {
		/* Before the tables are counted (restrack_files_limit_locked()). */
		static_branch_enable(&restrack_files_key);
		__set_bit(RESTRACK_COUNTED, &e->flags);
	}

	spin_lock(&restrack_lock);
	if (!atomic_read(&sig->live)) {
		err = -ESRCH;
	} else if (restrack_entry_locked(sig)) {
		err = -EEXIST;
	} else {
		e->seq = ++restrack_seq;
		rcu_assign_pointer(sig->restrack, e);
		list_add_tail_rcu(&e->node, &restrack_list);
		/* An exec moves the record to its new mm. */
		restrack_mm_attach_task_locked(e, task);
	}
	spin_unlock(&restrack_lock);
	if (err) {
		put_pid(e->pid);
		kfree(e);
		return err;
	}

	/*
	 * Charge the tables of the threads, under the lock after the record
	 * is published: a thread made meanwhile without CLONE_FILES is
	 * either seen here or charges its table in restrack_fork(), and a
	 * table switched meanwhile is charged by restrack_files_installed().
	 */
	for (;;) {
		spin_lock(&restrack_lock);
		done = restrack_entry_locked(sig) != e ||
		       restrack_files_link_task_locked(e, task, &spare);
		spin_unlock(&restrack_lock);
		kfree(spare);
		if (done)
			break;
		spare = restrack_link_alloc();
		if (!spare) {
			restrack_detach(sig, false);
			return -ENOMEM;
		}
	}

	/*
	 * do_exit() drops signal->live and then looks at signal->restrack;
	 * we published signal->restrack and now look at signal->live.  One
	 * of the two sees the other, so the record cannot outlive the
	 * process.
	 */
	smp_mb();
	if (!atomic_read(&sig->live)) {
		restrack_detach(sig, false);
		return -ESRCH;
	}
	return 0;
}

/*
 * An exec has put a new mm in place (exec_update_lock held for writing):
 * charge the heap to it, or end the tracking when the new program gains
 * privilege and the quotas were set without CAP_SYS_RESOURCE, as
 * PR_SET_PDEATHSIG is cleared.
 */
void __restrack_exec(bool secureexec)
{
	struct signal_struct *sig = current->signal;
	struct restrack_entry *e;

	spin_lock(&restrack_lock);
	e = restrack_entry_locked(sig);
	if (e && secureexec && test_bit(RESTRACK_UNPRIVILEGED, &e->flags)) {
		restrack_detach_locked(sig);
		spin_unlock(&restrack_lock);
		restrack_free(e);
		return;
	}
	if (e)
		restrack_mm_attach_locked(e, current->mm);
	spin_unlock(&restrack_lock);
}

/* ------------------------------------------------------------------------
 * Inheritance: a child of a process tracked with RESTRACK_INHERIT.
 */

/**
 * __restrack_fork_prepare - allocate the record of a child, if it inherits
 * @child: set to the record when current's process has RESTRACK_INHERIT
 *
 * Called by copy_process() while it may still fail, so that a child that
 * must be tracked is never made without its record.  Whether it inherits
 * is read again in __restrack_fork(), under the lock.
 *
 * Return: 0 or -ENOMEM.
 */
int __restrack_fork_prepare(struct restrack_entry **child)
{
	struct restrack_entry *e, *c;
	bool inherits;

	rcu_read_lock();
	e = rcu_dereference(current->signal->restrack);
	inherits = e && test_bit(RESTRACK_INHERITS, &e->flags);
	rcu_read_unlock();
	if (!inherits)
		return 0;

	/* A new process has one file table: the record's own link. */
	c = restrack_entry_alloc();
	if (!c)
		return -ENOMEM;
	*child = c;
	return 0;
}

/**
 * restrack_fork_cancel - the fork failed: free the child's unused record
 * @child: the record __restrack_fork_prepare() made, or NULL
 */
void restrack_fork_cancel(struct restrack_entry *child)
{
	kfree(child);
}

/*
 * @p, a new process not yet running, is attached: track it as current's
 * process is tracked, when that still has RESTRACK_INHERIT, with @c.  The
 * child counts its own usage: its record is charged with its mm and file
 * table, which are its parent's when it shares them (CLONE_VM, vfork,
 * CLONE_FILES), and the flags go with the quotas, so that a limit set
 * without CAP_SYS_RESOURCE still ends at a privilege-gaining exec.
 */
void __restrack_fork(struct task_struct *p, struct restrack_entry *c)
{
	const unsigned long inherited = BIT(RESTRACK_UNPRIVILEGED) |
					BIT(RESTRACK_INHERITS) |
					BIT(RESTRACK_COUNTED);
	struct signal_struct *sig = p->signal;
	struct restrack_link *spare = NULL;
	struct restrack_entry *e;
	bool tracked = false;

	/* @p is attached to its thread group and not yet running. */
	c->pid = get_pid(task_tgid(p));

	spin_lock(&restrack_lock);
	e = restrack_entry_locked(current->signal);
	if (e && test_bit(RESTRACK_INHERITS, &e->flags) &&
	    !restrack_entry_locked(sig)) {
		c->heap_pages = e->heap_pages;
		c->file_quota = e->file_quota;
		c->heap_action = e->heap_action;
		c->files_action = e->files_action;
		c->flags = READ_ONCE(e->flags) & inherited;
		c->quota_ns = e->quota_ns ? get_user_ns(e->quota_ns) : NULL;
		c->seq = ++restrack_seq;
		rcu_assign_pointer(sig->restrack, c);
		list_add_tail_rcu(&c->node, &restrack_list);
		/* Nobody else changes the mm and table of @p before it runs. */
		restrack_mm_attach_locked(c, p->mm);
		/* A fresh record has its own link for the table. */
		if (p->files && p->files != current->files)
			restrack_files_link_new_locked(c, p->files);
		else if (p->files)
			restrack_files_link_locked(c, p->files, &spare);
		tracked = true;
	}
	spin_unlock(&restrack_lock);
	if (!tracked) {
		put_pid(c->pid);
		kfree(c);
	}
}

/*
 * The caller's rights are checked without restrack_lock (ns_capable() may
 * sleep in an LSM); a snapshot of the record lets the change go ahead only
 * if nothing moved meanwhile.
 */
struct restrack_snap {
	struct restrack_entry *e;
	struct restrack_quota q;
	struct user_namespace *ns;	/* referenced; NULL when nothing is limited */
};

/* Snapshot @sig's record; false when the process is not tracked. */
static bool restrack_snapshot(struct signal_struct *sig, struct restrack_snap *s)
{
	struct restrack_entry *e;

	spin_lock(&restrack_lock);
	e = restrack_entry_locked(sig);
	if (e) {
		s->q.heap_pages = e->heap_pages;
		s->q.files = e->file_quota;
		s->q.heap_action = e->heap_action;
		s->q.files_action = e->files_action;
		s->ns = e->quota_ns ? get_user_ns(e->quota_ns) : NULL;
	}
	spin_unlock(&restrack_lock);
	s->e = e;
	return e;
}

static void restrack_snap_put(struct restrack_snap *s)
{
	if (s->e)
		put_user_ns(s->ns);
}

static bool restrack_unchanged_locked(struct signal_struct *sig,
				      const struct restrack_snap *s)
{
	struct restrack_entry *e = restrack_entry_locked(sig);

	return e == s->e && e->heap_pages == s->q.heap_pages &&
	       e->file_quota == s->q.files &&
	       e->heap_action == s->q.heap_action &&
	       e->files_action == s->q.files_action && e->quota_ns == s->ns;
}

/*
 * Lifting a limit needs CAP_SYS_RESOURCE in the user namespace of whoever
 * set it, not in the target's: a limited process that makes itself a user
 * namespace gains no power over its own limit.
 */
static bool restrack_may_lift(const struct restrack_snap *s)
{
	return ns_capable(s->ns ?: &init_user_ns, CAP_SYS_RESOURCE);
}

/*
 * Remember who may lift the limits being set: the outermost user namespace
 * among those of everybody who set one; the initial namespace when two
 * setters' namespaces are unrelated.
 */
static void restrack_set_quota_ns_locked(struct restrack_entry *e)
{
	struct user_namespace *ns = current_user_ns(), *old = e->quota_ns;

	if (e->heap_pages == ULONG_MAX && e->file_quota < 0)
		e->quota_ns = NULL;
	else if (!old || (ns != old && in_userns(ns, old)))
		e->quota_ns = get_user_ns(ns);
	else if (!in_userns(old, ns))
		e->quota_ns = get_user_ns(&init_user_ns);
	else
		return;
	put_user_ns(old);
}

/* Is @new higher than @old, -1 being the highest? */
static bool restrack_raises(long old, long new)
{
	return old >= 0 && (new < 0 || new > old);
}

/* Is @new higher than @old, in pages, ULONG_MAX being the highest? */
static bool restrack_raises_pages(unsigned long old, unsigned long new)
{
	return old != ULONG_MAX && new > old;
}

/*
 * Does @q lift a limit of @old: raise or remove a quota, or let a process
 * live past a quota that killed (the kill action turned to deny)?
 */
static bool restrack_lifts(const struct restrack_quota *old,
			   const struct restrack_quota *q)
{
	if (q->mask & RESTRACK_QUOTA_HEAP) {
		if (restrack_raises_pages(old->heap_pages, q->heap_pages))
			return true;
		if (old->heap_pages != ULONG_MAX &&
		    old->heap_action == RESTRACK_ACTION_KILL &&
		    q->heap_action != RESTRACK_ACTION_KILL)
			return true;
	}
	if (q->mask & RESTRACK_QUOTA_FILES) {
		if (restrack_raises(old->files, q->files))
			return true;
		if (old->files >= 0 &&
		    old->files_action == RESTRACK_ACTION_KILL &&
		    q->files_action != RESTRACK_ACTION_KILL)
			return true;
	}
	return false;
}

/* Do @q's quotas limit anything? */
static bool restrack_limits(const struct restrack_quota *q)
{
	return q->heap_pages != ULONG_MAX || q->files >= 0;
}

/**
 * restrack_deregister - end the tracking of @task's process
 * @task: any thread
 *
 * Return: 0, -ENOENT if not tracked, or -EPERM if the process has a quota
 * and the caller may not lift it.
 */
int restrack_deregister(struct task_struct *task)
{
	struct signal_struct *sig = task->signal;
	struct restrack_snap s;
	bool done;

	for (;;) {
		if (!restrack_snapshot(sig, &s))
			return -ENOENT;
		if (restrack_limits(&s.q) && !restrack_may_lift(&s)) {
			restrack_snap_put(&s);
			return -EPERM;
		}

		spin_lock(&restrack_lock);
		done = restrack_unchanged_locked(sig, &s);
		if (done)
			restrack_detach_locked(sig);
		spin_unlock(&restrack_lock);
		restrack_snap_put(&s);
		if (done) {
			restrack_free(s.e);
			return 0;
		}
		/* Changed while we checked the caller's rights: again. */
	}
}

/**
 * restrack_set_quota - set the quotas of @task's process
 * @task: any thread
 * @quota: the new quotas, already validated: those in @quota->mask are set
 *
 * Kills the process at once when it is already over a new quota with the
 * kill action.
 *
 * Return: 0, -ENOENT if not tracked, or -EPERM if a quota would be raised
 * or removed, or its kill action turned to deny, and the caller may not
 * lift it.
 */
int restrack_set_quota(struct task_struct *task,
		       const struct restrack_quota *quota)
{
	struct signal_struct *sig = task->signal;
	bool privileged = restrack_privileged(task);
	struct restrack_entry *e;
	struct restrack_snap s;

	/* Tables are counted from the first file quota on, before it holds. */
	if ((quota->mask & RESTRACK_QUOTA_FILES) && quota->files >= 0)
		static_branch_enable(&restrack_files_key);

	for (;;) {
		if (!restrack_snapshot(sig, &s))
			return -ENOENT;
		if (restrack_lifts(&s.q, quota) && !restrack_may_lift(&s)) {
			restrack_snap_put(&s);
			return -EPERM;
		}

		spin_lock(&restrack_lock);
		if (restrack_unchanged_locked(sig, &s))
			break;
		spin_unlock(&restrack_lock);
		restrack_snap_put(&s);
	}

	e = s.e;
	if (quota->mask & RESTRACK_QUOTA_HEAP) {
		WRITE_ONCE(e->heap_action, quota->heap_action);
		WRITE_ONCE(e->heap_pages, quota->heap_pages);
	}
	if (quota->mask & RESTRACK_QUOTA_FILES) {
		WRITE_ONCE(e->files_action, quota->files_action);
		WRITE_ONCE(e->file_quota, quota->files);
	}
	restrack_set_quota_ns_locked(e);
	restrack_entry_limits_locked(e);
	if (e->mm)
		restrack_mm_update_locked(e->mm);
	if (privileged)
		clear_bit(RESTRACK_UNPRIVILEGED, &e->flags);
	else
		set_bit(RESTRACK_UNPRIVILEGED, &e->flags);
	spin_unlock(&restrack_lock);
	restrack_snap_put(&s);

	restrack_enforce_now(task, quota);
	return 0;
}

/* A heap quota in MiB, as the listing shows it: rounded up, -1 for none. */
static long restrack_quota_mb(unsigned long pages)
{
	if (pages == ULONG_MAX)
		return -1;
	return DIV_ROUND_UP(pages, SZ_1M >> PAGE_SHIFT);
}

/* May the reader see @task in this proc mount (hidepid=, as /proc/PID)? */
static bool restrack_visible(struct proc_fs_info *fs_info,
			     struct task_struct *task)
{
	if (fs_info->hide_pid == HIDEPID_NOT_PTRACEABLE)
		return ptrace_may_access(task, PTRACE_MODE_READ_FSCREDS);
	if (fs_info->hide_pid < HIDEPID_NO_ACCESS)
		return true;
	if (in_group_p(fs_info->pid_gid))
		return true;
	return ptrace_may_access(task, PTRACE_MODE_READ_FSCREDS);
}

/**
 * restrack_status_batch - read the next tracked processes, for a listing
 * @fs_info: the proc mount being read: processes outside its pid namespace,
 *	and those its hidepid= option hides from the reader, are left out
 * @pos: cursor, 0 at the start; moved past the processes read
 * @st: filled with up to @max processes
 * @max: room in @st
 *
 * One RCU read section per batch, never over the whole list, so that a
 * listing of many processes does not hold up grace periods; the cursor is
 * the registration number, so a batch starts where the last one ended
 * whatever was registered or dropped meanwhile.
 *
 * Return: the number of processes in @st; 0 at the end only.
 */
int restrack_status_batch(struct proc_fs_info *fs_info, u64 *pos,
			  struct restrack_status *st, int max)
{
	struct task_struct *tasks[RESTRACK_STATUS_BATCH];
	struct restrack_entry *e;
	struct task_struct *task;
	int i, got, base, n = 0;

	max = min(max, RESTRACK_STATUS_BATCH);
	do {
		got = 0;
		rcu_read_lock();
		list_for_each_entry_rcu(e, &restrack_list, node) {
			if (e->seq < *pos)
				continue;
			if (n + got == max)
				break;
			*pos = e->seq + 1;
			task = pid_task(e->pid, PIDTYPE_TGID);
			st[n + got].pid = pid_nr_ns(e->pid, fs_info->pid_ns);
			if (!task || !st[n + got].pid)
				continue;
			tasks[got] = get_task_struct(task);
			st[n + got].heap_quota_mb =
				restrack_quota_mb(READ_ONCE(e->heap_pages));
			st[n + got].file_quota = READ_ONCE(e->file_quota);
			st[n + got].state = task_state_to_char(task);
			strscpy(st[n + got].comm, task->comm,
				sizeof(st[n + got].comm));
			got++;
		}
		rcu_read_unlock();

		/* Keep the visible ones, packed from st[base]. */
		for (i = 0, base = n; i < got; i++) {
			/* A row deregistered meanwhile is left out. */
			if (restrack_visible(fs_info, tasks[i]) &&
			    restrack_usage(tasks[i], &st[base + i].heap,
					   &st[base + i].files))
				st[n++] = st[base + i];
			put_task_struct(tasks[i]);
		}
	} while (got && !n);
	return n;
}
EXPORT_SYMBOL_GPL(restrack_status_batch);
