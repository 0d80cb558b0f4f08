// SPDX-License-Identifier: GPL-2.0
/*
 * Resource tracker - tracking records, quotas and their enforcement
 *
 * A tracked process has a struct restrack_entry hanging off its
 * signal_struct.  The hooks in the memory and file descriptor code find it
 * through current->signal in O(1); the global list exists only for
 * /proc/tracker_status and is never walked on a hot path.
 */

#define pr_fmt(fmt) "restrack: " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/export.h>
#include <linux/fdtable.h>
#include <linux/hardirq.h>
#include <linux/irq_work.h>
#include <linux/mm.h>
#include <linux/oom.h>
#include <linux/pid_namespace.h>
#include <linux/rculist.h>
#include <linux/resource_tracker.h>
#include <linux/resume_user_mode.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "restrack.h"

DEFINE_STATIC_KEY_FALSE(restrack_active);

/* Serialises changes to restrack_list and to every signal->restrack. */
static DEFINE_SPINLOCK(restrack_lock);
static LIST_HEAD(restrack_list);

static struct restrack_entry *restrack_entry_locked(struct signal_struct *sig)
{
	return rcu_dereference_protected(sig->restrack,
					 lockdep_is_held(&restrack_lock));
}

static unsigned long restrack_heap_bytes(struct mm_struct *mm)
{
	return READ_ONCE(mm->data_vm) << PAGE_SHIFT;
}

static unsigned long restrack_fd_count(struct files_struct *files)
{
	unsigned long count;

	rcu_read_lock();
	count = READ_ONCE(files_fdtable(files)->open_count);
	rcu_read_unlock();
	return count;
}

/**
 * restrack_usage - read a process's heap bytes and open file count
 * @task: any thread of the process
 * @heap: set to the heap bytes
 * @files: set to the open file descriptors
 *
 * Both are zero once every thread has given up its mm.
 */
void restrack_usage(struct task_struct *task, unsigned long *heap,
		    unsigned long *files)
{
	struct task_struct *t;

	*heap = 0;
	*files = 0;
	t = find_lock_task_mm(task);
	if (!t)
		return;
	*heap = restrack_heap_bytes(t->mm);
	if (t->files)
		*files = restrack_fd_count(t->files);
	task_unlock(t);
}

/* Send SIGKILL to @task's process, with the OOM killer's kind of log line. */
static void restrack_kill(struct task_struct *task, const char *what,
			  unsigned long usage, const char *usage_unit,
			  long quota, const char *quota_unit)
{
	pr_warn_ratelimited("Killed process %d (%s): %s %lu%s over quota %ld%s\n",
			    task_tgid_nr(task), task->comm, what, usage,
			    usage_unit, quota, quota_unit);
	do_send_sig_info(SIGKILL, SEND_SIG_PRIV, task, PIDTYPE_TGID);
}

static void restrack_kill_heap(struct task_struct *task, unsigned long heap,
			       long quota_mb)
{
	restrack_kill(task, "heap", heap, " bytes", quota_mb, " MiB");
}

static void restrack_kill_files(struct task_struct *task, unsigned long files,
				long quota)
{
	restrack_kill(task, "files", files, "", quota, "");
}

/*
 * The heap may stand over its quota for a moment inside one system call:
 * mremap() accounts the new place of a moving mapping before it unmaps the
 * old one.  So the heap hook only marks the process, and the verdict is
 * given on the way back to user mode, on the final figure; the process never
 * runs another instruction of its own when it is over.  This is how memcg
 * enforces memory.high, too.
 */
void __restrack_heap_grew(struct mm_struct *mm)
{
	struct restrack_entry *e;

	/* restrack_heap_grew() calls in only when @mm is current's. */
	rcu_read_lock();
	e = rcu_dereference(current->signal->restrack);
	if (e && restrack_heap_bytes(mm) > READ_ONCE(e->heap_limit)) {
		set_bit(RESTRACK_HEAP_CHECK, &e->flags);
		set_notify_resume(current);
	}
	rcu_read_unlock();
}

void __restrack_resume(void)
{
	struct restrack_entry *e;
	unsigned long heap = 0;
	long quota_mb = 0;
	bool kill = false;

	rcu_read_lock();
	e = rcu_dereference(current->signal->restrack);
	if (e && current->mm &&
	    test_and_clear_bit(RESTRACK_HEAP_CHECK, &e->flags)) {
		heap = restrack_heap_bytes(current->mm);
		if (heap > READ_ONCE(e->heap_limit) &&
		    !test_and_set_bit(RESTRACK_KILLED, &e->flags)) {
			quota_mb = READ_ONCE(e->heap_quota_mb);
			kill = true;
		}
	}
	rcu_read_unlock();

	if (kill)
		restrack_kill_heap(current, heap, quota_mb);
}

/* Slow path of __restrack_files_grew(): @files is over @quota. */
static noinline void restrack_files_over(struct restrack_entry *e,
					 unsigned long files, long quota)
{
	if (!test_and_set_bit(RESTRACK_KILLED, &e->flags))
		restrack_kill_files(current, files, quota);
}

/*
 * Every file table a tracked process may use has files->restrack_check set,
 * so that restrack_files_grew() calls in: a new table from the start
 * (restrack_files_new()), and every table of a process when it is
 * registered (restrack_mark_files()).  An untracked process clears the flag
 * here when no other process uses its table.  Both sides hold file_lock,
 * and a registration publishes signal->restrack before it marks, so either
 * the mark comes after the clear or the clear sees the process tracked.
 */
static void restrack_mark_files(struct task_struct *task)
{
	struct files_struct *files;
	struct task_struct *t;

	rcu_read_lock();
	for_each_thread(task, t) {
		task_lock(t);
		files = t->files;
		if (files) {
			spin_lock(&files->file_lock);
			WRITE_ONCE(files->restrack_check, true);
			spin_unlock(&files->file_lock);
		}
		task_unlock(t);
	}
	rcu_read_unlock();
}

static noinline void restrack_unmark_files(struct files_struct *files)
{
	struct task_struct *t;
	int users = 0;

	spin_lock(&files->file_lock);
	if (!rcu_access_pointer(current->signal->restrack)) {
		/* Each user holds a reference: are they all our threads? */
		rcu_read_lock();
		for_each_thread(current, t) {
			if (READ_ONCE(t->files) == files)
				users++;
		}
		rcu_read_unlock();
		if (users == atomic_read(&files->count))
			WRITE_ONCE(files->restrack_check, false);
	}
	spin_unlock(&files->file_lock);
}

int __restrack_files_grew(struct files_struct *files, int ret)
{
	struct restrack_entry *e;
	unsigned long n;
	long quota;

	rcu_read_lock();
	e = rcu_dereference(current->signal->restrack);
	if (e) {
		quota = READ_ONCE(e->file_quota);
		if (quota >= 0) {
			n = restrack_fd_count(files);
			if (unlikely(n > quota))
				restrack_files_over(e, n, quota);
		}
	}
	rcu_read_unlock();
	if (!e)
		restrack_unmark_files(files);
	return ret;
}

/* Kill @task at once when it is already over a quota it was just given. */
static void restrack_enforce_now(struct task_struct *task,
				 const struct restrack_quota *q)
{
	unsigned long heap, files;

	restrack_usage(task, &heap, &files);
	if (q->heap_mb >= 0 && heap > ((unsigned long)q->heap_mb << 20))
		restrack_kill_heap(task, heap, q->heap_mb);
	else if (q->files >= 0 && files > q->files)
		restrack_kill_files(task, files, q->files);
}

static void restrack_free_rcu(struct rcu_head *head)
{
	struct restrack_entry *e = container_of(head, struct restrack_entry, rcu);

	put_user_ns(e->quota_ns);
	put_pid(e->pid);
	kfree(e);
}

/* Detach @sig's record; the caller frees it with restrack_free(). */
static struct restrack_entry *restrack_detach_locked(struct signal_struct *sig)
{
	struct restrack_entry *e = restrack_entry_locked(sig);

	if (e) {
		RCU_INIT_POINTER(sig->restrack, NULL);
		list_del_rcu(&e->node);
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

static void restrack_detach(struct signal_struct *sig)
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
	if (e)
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
		restrack_detach(tsk->signal);
}
EXPORT_SYMBOL_GPL(restrack_exit);

/**
 * restrack_may_manage - may current manage @task's tracking?
 * @task: the target thread
 *
 * As for prlimit(2): itself, a process with the caller's uid and gid in
 * all three slots, or CAP_SYS_RESOURCE in the target's user namespace.
 *
 * Return: 0 or -EPERM.
 */
int restrack_may_manage(struct task_struct *task)
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
	rcu_read_unlock();
	return ret;
}

/**
 * restrack_register - start tracking @task's process
 * @task: any thread of a live user process
 *
 * Return: 0, -EEXIST, -ESRCH if the process died meanwhile, or -ENOMEM.
 */
int restrack_register(struct task_struct *task)
{
	struct signal_struct *sig = task->signal;
	struct restrack_entry *e;
	int err = 0;

	if (rcu_access_pointer(sig->restrack))
		return -EEXIST;

	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	e->pid = get_task_pid(task, PIDTYPE_TGID);
	e->heap_limit = ULONG_MAX;
	e->heap_quota_mb = -1;
	e->file_quota = -1;

	/* Hooks must be live before any quota can be set. */
	if (!static_key_enabled(&restrack_active))
		static_branch_enable(&restrack_active);

	spin_lock(&restrack_lock);
	if (!atomic_read(&sig->live)) {
		err = -ESRCH;
	} else if (restrack_entry_locked(sig)) {
		err = -EEXIST;
	} else {
		rcu_assign_pointer(sig->restrack, e);
		list_add_tail_rcu(&e->node, &restrack_list);
	}
	spin_unlock(&restrack_lock);
	if (err) {
		put_pid(e->pid);
		kfree(e);
		return err;
	}

	/*
	 * do_exit() drops signal->live and then looks at signal->restrack;
	 * we published signal->restrack and now look at signal->live.  One
	 * of the two sees the other, so the record cannot outlive the
	 * process.
	 */
	smp_mb();
	if (!atomic_read(&sig->live)) {
		restrack_detach(sig);
		return -ESRCH;
	}
	restrack_mark_files(task);
	return 0;
}

/**
 * restrack_is_tracked - is @task's process tracked?
 * @task: any thread
 */
bool restrack_is_tracked(struct task_struct *task)
{
	return rcu_access_pointer(task->signal->restrack);
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
		s->q.heap_mb = e->heap_quota_mb;
		s->q.files = e->file_quota;
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

	return e == s->e && e->heap_quota_mb == s->q.heap_mb &&
	       e->file_quota == s->q.files && e->quota_ns == s->ns;
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
static void restrack_set_quota_ns_locked(struct restrack_entry *e,
					 const struct restrack_quota *q)
{
	struct user_namespace *ns = current_user_ns(), *old = e->quota_ns;

	if (q->heap_mb < 0 && q->files < 0)
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
		if ((s.q.heap_mb >= 0 || s.q.files >= 0) && !restrack_may_lift(&s)) {
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
 * restrack_set_quota - set both quotas of @task's process
 * @task: any thread
 * @quota: the new quotas, already validated
 *
 * Kills the process at once when it is already over a new quota.
 *
 * Return: 0, -ENOENT if not tracked, or -EPERM if a quota would be raised
 * and the caller may not lift it.
 */
int restrack_set_quota(struct task_struct *task,
		       const struct restrack_quota *quota)
{
	struct signal_struct *sig = task->signal;
	struct restrack_entry *e;
	struct restrack_snap s;

	for (;;) {
		if (!restrack_snapshot(sig, &s))
			return -ENOENT;
		if ((restrack_raises(s.q.heap_mb, quota->heap_mb) ||
		     restrack_raises(s.q.files, quota->files)) &&
		    !restrack_may_lift(&s)) {
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
	restrack_set_quota_ns_locked(e, quota);
	WRITE_ONCE(e->heap_quota_mb, quota->heap_mb);
	WRITE_ONCE(e->heap_limit, quota->heap_mb < 0 ? ULONG_MAX :
		   (unsigned long)quota->heap_mb << 20);
	WRITE_ONCE(e->file_quota, quota->files);
	spin_unlock(&restrack_lock);
	restrack_snap_put(&s);

	restrack_enforce_now(task, quota);
	return 0;
}

/**
 * restrack_for_each - call @fn for each tracked process visible to current
 * @fn: called under rcu_read_lock(); must not sleep; non-zero stops
 * @arg: passed to @fn
 *
 * Return: the first non-zero value @fn returned, or 0.
 */
int restrack_for_each(int (*fn)(const struct restrack_status *st, void *arg),
		      void *arg)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct restrack_status st;
	struct restrack_entry *e;
	struct task_struct *task;
	int ret = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(e, &restrack_list, node) {
		task = pid_task(e->pid, PIDTYPE_TGID);
		st.pid = pid_nr_ns(e->pid, ns);
		if (!task || !st.pid)
			continue;
		restrack_usage(task, &st.heap, &st.files);
		st.heap_quota_mb = READ_ONCE(e->heap_quota_mb);
		st.file_quota = READ_ONCE(e->file_quota);
		st.state = task_state_to_char(task);
		strscpy(st.comm, task->comm, sizeof(st.comm));
		ret = fn(&st, arg);
		if (ret)
			break;
	}
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(restrack_for_each);
