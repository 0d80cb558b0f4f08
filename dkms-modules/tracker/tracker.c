// SPDX-License-Identifier: GPL-2.0
/*
 * tracker - /proc/tracker_status, a table of every tracked process
 *
 * A header line, then one line per tracked process visible in the
 * reader's pid namespace:
 *
 *   PID HEAP_BYTES FILES HEAP_QUOTA_MB FILE_QUOTA STATE COMM
 *
 * Fields are separated by one space; COMM is last and may contain spaces.
 * See Documentation/restrack.rst.
 */

#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/resource_tracker.h>
#include <linux/seq_file.h>

#define TRACKER_HEADER "PID HEAP_BYTES FILES HEAP_QUOTA_MB FILE_QUOTA STATE COMM\n"

static int tracker_row(const struct restrack_status *st, void *arg)
{
	struct seq_file *m = arg;

	seq_printf(m, "%d %lu %lu %ld %ld %c %s\n", st->pid, st->heap,
		   st->files, st->heap_quota_mb, st->file_quota, st->state,
		   st->comm);
	return 0;
}

static int tracker_show(struct seq_file *m, void *v)
{
	seq_puts(m, TRACKER_HEADER);
	return restrack_for_each(tracker_row, m);
}

static int __init tracker_init(void)
{
	if (!proc_create_single("tracker_status", 0444, NULL, tracker_show))
		return -ENOMEM;
	return 0;
}

static void __exit tracker_exit(void)
{
	remove_proc_entry("tracker_status", NULL);
}

module_init(tracker_init);
module_exit(tracker_exit);

MODULE_DESCRIPTION("Resource tracker: /proc/tracker_status");
MODULE_LICENSE("GPL");
