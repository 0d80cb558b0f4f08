// SPDX-License-Identifier: GPL-2.0
/*
 * tbcount: a QEMU TCG plugin that counts the guest kernel's instructions
 * per translation block, to tell where a benchmark's instructions go.
 *
 *   gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o tbcount.so tbcount.c
 *   scripts/vm-run.sh -i -P tbcount.so,out=FILE ... SERIES ARCH PROG
 *   tests/bench/tbcount-report.py System.map A.txt B.txt ITERATIONS
 *
 * Each line of FILE is "vaddr instructions executions" for one block of
 * kernel code (an address with the top bit set).  A block left early (an
 * exception, an interrupt) counts whole, so the figures are an upper bound
 * per block; the difference of two runs of the same kernel is exact to a
 * few instructions per iteration.
 *
 * Debian's QEMU 7.2 has the plugin loader but ships neither the contrib
 * plugins nor qemu-plugin.h: the few calls used are declared here, as in
 * that header (plugin API version 1).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb_t cb,
				    void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One per translation; never moved, since the blocks add to its count. */
struct block {
	uint64_t vaddr;
	uint64_t insns;
	uint64_t count;
};

#define MAX_BLOCKS (4u << 20)

static struct block *blocks;
static size_t nblocks, dropped;
static const char *out = "tbcount.txt";

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	struct block *b;

	(void)id;
	if (!(vaddr >> 63))
		return;
	if (nblocks == MAX_BLOCKS) {
		dropped++;
		return;
	}
	b = &blocks[nblocks++];
	b->vaddr = vaddr;
	b->insns = qemu_plugin_tb_n_insns(tb);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->count, 1);
}

static void done(qemu_plugin_id_t id, void *userdata)
{
	FILE *f = fopen(out, "w");
	size_t i;

	(void)id;
	(void)userdata;
	if (!f) {
		perror(out);
		return;
	}
	for (i = 0; i < nblocks; i++)
		if (blocks[i].count)
			fprintf(f, "%llx %llu %llu\n",
				(unsigned long long)blocks[i].vaddr,
				(unsigned long long)blocks[i].insns,
				(unsigned long long)blocks[i].count);
	if (dropped)
		fprintf(stderr, "tbcount: %zu translations not counted (more than %u)\n",
			dropped, MAX_BLOCKS);
	fclose(f);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc,
			char **argv)
{
	int i;

	(void)info;
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "out=", 4)) {
			fprintf(stderr, "tbcount: unknown argument '%s' (out=FILE)\n",
				argv[i]);
			return -1;
		}
		out = argv[i] + 4;
	}
	blocks = calloc(MAX_BLOCKS, sizeof(*blocks));
	if (!blocks)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	qemu_plugin_register_atexit_cb(id, done, NULL);
	return 0;
}
