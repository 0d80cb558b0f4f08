// SPDX-License-Identifier: GPL-2.0
/*
 * Resource tracker - /proc/tracker_status
 *
 * A live table of the tracked processes, one row each:
 *
 *   PID HEAP_BYTES FILES HEAP_QUOTA_MB FILE_QUOTA STATE COMM
 *
 * PID is the process's number in the pid namespace of the proc mount being
 * read; processes outside it are left out, and so are those that the
 * mount's hidepid= option hides from the reader, as /proc/PID is.  COMM is
 * escaped as /proc/PID/status escapes it, so no command name can forge a
 * row.  The rows are read in batches (restrack_status_batch()), one RCU
 * read section each, and a reader that needs a larger buffer re-reads one
 * row, never the whole table.
 */

#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/resource_tracker.h>
#include <linux/seq_file.h>
#include <linux/string_helpers.h>

#define TRACKER_HEADER "PID HEAP_BYTES FILES HEAP_QUOTA_MB FILE_QUOTA STATE COMM\n"

/**
 * struct tracker_iter - a reader's place in the table
 * @fs_info: the proc mount being read: its pid namespace and hidepid
 * @cursor: where the next batch starts (restrack_status_batch())
 * @base: seq_file position of @st[0]; position 0 is the header
 * @n: rows in @st
 * @st: the current batch
 */
struct tracker_iter {
	struct proc_fs_info *fs_info;
	u64 cursor;
	loff_t base;
	int n;
	struct restrack_status st[RESTRACK_STATUS_BATCH];
};

/* Read the next batch of rows; false at the end of the table. */
static bool tracker_next_batch(struct tracker_iter *it)
{
	it->base += it->n;
	it->n = restrack_status_batch(it->fs_info, &it->cursor, it->st,
				      RESTRACK_STATUS_BATCH);
	return it->n;
}

static void *tracker_start(struct seq_file *m, loff_t *pos)
{
	struct tracker_iter *it = m->private;

	if (!*pos)
		return SEQ_START_TOKEN;
	if (*pos < it->base) {
		/* Read again from the start (lseek back). */
		it->n = 0;
		it->cursor = 0;
		it->base = 1;
	}
	while (*pos >= it->base + it->n) {
		if (!tracker_next_batch(it))
			return NULL;
	}
	return &it->st[*pos - it->base];
}

static void *tracker_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return tracker_start(m, pos);
}

static void tracker_stop(struct seq_file *m, void *v)
{
}

static int tracker_show(struct seq_file *m, void *v)
{
	const struct restrack_status *st = v;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, TRACKER_HEADER);
		return 0;
	}
	seq_printf(m, "%d %lu %lu %ld %ld %c ", st->pid, st->heap, st->files,
		   st->heap_quota_mb, st->file_quota, st->state);
	seq_escape_str(m, st->comm, ESCAPE_SPACE | ESCAPE_SPECIAL, "\n\\");
	seq_putc(m, '\n');
	return 0;
}

static const struct seq_operations tracker_seq_ops = {
	.start = tracker_start,
	.next = tracker_next,
	.stop = tracker_stop,
	.show = tracker_show,
};

static int tracker_open(struct inode *inode, struct file *file)
{
	struct tracker_iter *it;

	it = __seq_open_private(file, &tracker_seq_ops, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->fs_info = proc_sb_info(inode->i_sb);
	it->base = 1;
	return 0;
}

static const struct proc_ops tracker_proc_ops = {
	.proc_open = tracker_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = seq_release_private,
};

static int __init tracker_init(void)
{
	if (!proc_create("tracker_status", 0444, NULL, &tracker_proc_ops))
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
