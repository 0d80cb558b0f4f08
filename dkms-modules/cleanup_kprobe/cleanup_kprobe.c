// SPDX-License-Identifier: GPL-2.0
/*
 * cleanup_kprobe - end resource tracking as soon as a process starts to exit
 *
 * A kprobe on do_exit(): when the last live thread of a tracked process
 * enters do_exit(), its tracking record is dropped at once.  The kernel
 * drops it itself a little later, when the thread group is dead, so this
 * module only makes the cleanup earlier; loading or unloading it at any
 * time is safe.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/resource_tracker.h>
#include <linux/sched/signal.h>

static int cleanup_pre_handler(struct kprobe *p, struct pt_regs *regs)
{
	if (atomic_read(&current->signal->live) == 1)
		restrack_exit(current);
	return 0;
}

static struct kprobe cleanup_kprobe = {
	.symbol_name = "do_exit",
	.pre_handler = cleanup_pre_handler,
};

static int __init cleanup_kprobe_init(void)
{
	int err = register_kprobe(&cleanup_kprobe);

	if (err) {
		pr_err("cannot probe do_exit: %d\n", err);
		return err;
	}
	pr_info("probing do_exit at %pS\n", cleanup_kprobe.addr);
	return 0;
}

static void __exit cleanup_kprobe_exit(void)
{
	unregister_kprobe(&cleanup_kprobe);
}

module_init(cleanup_kprobe_init);
module_exit(cleanup_kprobe_exit);

MODULE_DESCRIPTION("Resource tracker: drop tracking of exiting processes");
MODULE_LICENSE("GPL");
