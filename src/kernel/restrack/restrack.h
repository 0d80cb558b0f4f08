/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Resource tracker - definitions shared by core.c and syscalls.c
 */
#ifndef _KERNEL_RESTRACK_RESTRACK_H
#define _KERNEL_RESTRACK_RESTRACK_H

#include <linux/bits.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

struct mm_struct;
struct files_struct;
struct pid;
struct user_namespace;
struct task_struct;

/* restrack_register() flag: count the tables (restrack_pidfd_register()) */
#define RESTRACK_REGISTER_COUNTED	BIT(31)

enum {
	RESTRACK_KILLED,
	RESTRACK_UNPRIVILEGED,
	RESTRACK_INHERITS,
	RESTRACK_COUNTED,
};

/**
 * struct restrack_link - a file table charged to a tracked process
 * @e: the process's record
 * @files: the table
 * @files_node: in @files->restrack_links (RCU)
 * @e_node: in @e->links
 * @rcu: frees the link after a grace period
 */
struct restrack_link {
	struct restrack_entry *e;
	struct files_struct *files;
	struct hlist_node files_node;
	struct list_head e_node;
	struct rcu_head rcu;
};

/**
 * struct restrack_entry - tracking record of one process
 * @node: link in the list of tracked processes (RCU)
 * @pid: the process's thread group id; held for the record's life
 * @seq: registration number, increasing along @node: a reader's cursor
 * @mm: the address space charged with the heap, or NULL
 * @mm_node: link in @mm->restrack_entries (RCU)
 * @links: the file tables charged to this process (struct restrack_link)
 * @nr_tables: number of entries in @links
 * @heap_pages: heap quota in pages, ULONG_MAX for none
 * @file_quota: file quota, -1 for none
 * @heap_action: RESTRACK_ACTION_KILL or RESTRACK_ACTION_DENY
 * @files_action: RESTRACK_ACTION_KILL or RESTRACK_ACTION_DENY
 * @heap_peak: highest heap in pages of the mms it was charged to before
 *	the present one
 * @files_peak: highest count of the tables it was charged to before
 * @quota_ns: the user namespace whose CAP_SYS_RESOURCE may lift the quotas
 *	(referenced), NULL while nothing is limited
 * @flags: RESTRACK_KILLED once SIGKILL has been sent for a quota;
 *	RESTRACK_UNPRIVILEGED when the last to register or limit the process
 *	had no CAP_SYS_RESOURCE over it, so that a privilege-gaining exec
 *	ends the tracking; RESTRACK_INHERITS when its children are tracked
 *	as it is (RESTRACK_INHERIT); RESTRACK_COUNTED when its tables are
 *	counted with or without a file quota (restrack_pidfd_register())
 * @first_link: the link of the first table charged, so that a process
 *	with one table (a child made by fork) needs no other; used once
 * @rcu: frees the record after a grace period
 * @nmi_free: queues the record for freeing when detached in NMI context
 *
 * restrack_entry_alloc() sets every field but @rcu and @nmi_free (and of
 * @first_link, @e); a new field is set there.
 *
 * A record hangs off the process's signal_struct, so it is shared by all
 * threads, survives exec and is never inherited.  Every field but @flags
 * is written under restrack_lock; the quotas are read locklessly by the
 * hooks.
 */
struct restrack_entry {
	struct list_head node;
	struct pid *pid;
	u64 seq;
	struct mm_struct *mm;
	struct hlist_node mm_node;
	struct list_head links;
	unsigned int nr_tables;
	unsigned long heap_pages;
	long file_quota;
	unsigned int heap_action;
	unsigned int files_action;
	unsigned long heap_peak;
	unsigned long files_peak;
	struct user_namespace *quota_ns;
	unsigned long flags;
	struct restrack_link first_link;
	struct rcu_head rcu;
	struct llist_node nmi_free;
};

/**
 * struct restrack_quota - quotas to set, already validated
 * @mask: RESTRACK_QUOTA_HEAP, RESTRACK_QUOTA_FILES: those to set
 * @heap_pages: heap quota in pages, ULONG_MAX for none
 * @files: file quota, -1 for none
 * @heap_action: RESTRACK_ACTION_KILL or RESTRACK_ACTION_DENY
 * @files_action: RESTRACK_ACTION_KILL or RESTRACK_ACTION_DENY
 */
struct restrack_quota {
	u64 mask;
	unsigned long heap_pages;
	long files;
	unsigned int heap_action;
	unsigned int files_action;
};

struct restrack_info;

int restrack_may_manage(struct task_struct *task, bool limits);
int restrack_register(struct task_struct *task, unsigned int flags);
int restrack_deregister(struct task_struct *task);
int restrack_set_quota(struct task_struct *task,
		       const struct restrack_quota *quota);
bool restrack_usage(struct task_struct *task, unsigned long *heap,
		    unsigned long *files);
int restrack_info(struct task_struct *task, struct restrack_info *info);

#endif /* _KERNEL_RESTRACK_RESTRACK_H */
