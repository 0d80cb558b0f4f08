// SPDX-License-Identifier: GPL-2.0
/*
 * restrack(1): human and JSON output of show and status, and the message
 * for a process killed over a quota.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* ---------------------------------------------------------------------
 * JSON, written by hand.
 */

/* Length of a valid UTF-8 sequence at @s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	uint32_t c;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
void json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	if (!str) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*s) {
		switch (*s) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				fprintf(f, "\\u%04x", *s);
				break;
			}
			n = utf8_len(s);
			if (!n) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		s++;
	}
	fputc('"', f);
}

/* A heap quota in whole MiB, rounded up (cap sets whole MiB). */
static unsigned long long quota_mib(long long bytes)
{
	return ((unsigned long long)bytes + RESTRACK_MIB - 1) / RESTRACK_MIB;
}

/* What crossing a quota does: "kill", "deny". */
static const char *action_name(unsigned int action)
{
	return action == RESTRACK_ACTION_DENY ? "deny" : "kill";
}

static void json_object(FILE *f, const struct rt_proc *p)
{
	char state[2] = { p->state, 0 };

	fprintf(f, "{\"pid\":%d,\"comm\":", (int)p->pid);
	json_string(f, p->comm[0] ? p->comm : NULL);
	fputs(",\"state\":", f);
	json_string(f, p->state ? state : NULL);
	if (p->uid >= 0)
		fprintf(f, ",\"uid\":%ld", p->uid);
	else
		fputs(",\"uid\":null", f);
	fprintf(f, ",\"heap_bytes\":%lu,\"files\":%lu", p->heap, p->files);
	if (!p->quotas_known)
		fputs(",\"heap_quota_mib\":null,\"heap_quota_bytes\":null,"
		      "\"file_quota\":null", f);
	else if (p->heap_quota < 0)
		fprintf(f, ",\"heap_quota_mib\":-1,\"heap_quota_bytes\":-1,"
			"\"file_quota\":%ld", p->file_quota);
	else
		fprintf(f, ",\"heap_quota_mib\":%llu,\"heap_quota_bytes\":%lld,"
			"\"file_quota\":%ld", quota_mib(p->heap_quota), p->heap_quota,
			p->file_quota);
	if (p->from_kernel)
		fprintf(f, ",\"inherit\":%s,\"heap_action\":\"%s\",\"files_action\":"
			"\"%s\",\"heap_peak\":%llu,\"files_peak\":%llu}",
			p->inherit ? "true" : "false", action_name(p->heap_action),
			action_name(p->files_action), p->heap_peak, p->files_peak);
	else
		fputs(",\"inherit\":null,\"heap_action\":null,\"files_action\":null,"
		      "\"heap_peak\":null,\"files_peak\":null}", f);
}

/*
 * The one object every --json command prints (restrack(1), JSON):
 *   {"command":..., "source":..., "quotas_known":..., "processes":[...],
 *    "kill":..., "notes":[...], "errors":[...], "exit":N}
 */
static void json_kill(FILE *f, const struct report *r)
{
	const struct kill_info *k = &r->kill;

	if (!r->killed) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"pid\":%d,\"comm\":", (int)k->pid);
	json_string(f, k->comm[0] ? k->comm : NULL);
	if (k->kind == KILL_HEAP)
		fprintf(f, ",\"quota\":\"heap\",\"usage\":%lu,\"limit\":%llu}", k->usage,
			k->quota > 0 ? (unsigned long long)k->quota * RESTRACK_MIB : 0);
	else
		fprintf(f, ",\"quota\":\"files\",\"usage\":%lu,\"limit\":%ld}", k->usage,
			k->quota > 0 ? k->quota : 0);
}

void print_report_json(FILE *f, const struct report *r, int exit_code)
{
	const char *name;
	size_t i;

	fputs("{\"command\":", f);
	json_string(f, r->command);
	if (r->listed)
		fprintf(f, ",\"source\":\"%s\",\"quotas_known\":%s",
			r->source == SOURCE_KERNEL ? "kernel" :
			r->source == SOURCE_STATUS ? "tracker_status" : "fetch",
			r->source != SOURCE_SCAN ? "true" : "false");
	else
		fputs(",\"source\":null,\"quotas_known\":null", f);
	fputs(",\"processes\":[", f);
	for (i = 0; i < r->nprocs; i++) {
		if (i)
			fputc(',', f);
		json_object(f, &r->procs[i]);
	}
	fputs("],\"kill\":", f);
	json_kill(f, r);
	fputs(",\"notes\":[", f);
	for (i = 0; i < r->nnotes; i++) {
		if (i)
			fputc(',', f);
		json_string(f, r->notes[i]);
	}
	fputs("],\"errors\":[", f);
	for (i = 0; i < r->nerrors; i++) {
		const struct report_error *e = &r->errors[i];

		fputs(i ? ",{\"pid\":" : "{\"pid\":", f);
		if (e->pid > 0)
			fprintf(f, "%d", (int)e->pid);
		else
			fputs("null", f);
		name = e->err ? strerrorname_np(e->err) : NULL;
		fputs(",\"errno\":", f);
		json_string(f, name);
		fputs(",\"message\":", f);
		json_string(f, e->message);
		fputc('}', f);
	}
	fprintf(f, "],\"exit\":%d}\n", exit_code);
}

static void *grow(void *v, size_t n, size_t size)
{
	void *nv = realloc(v, (n + 1) * size);

	if (!nv) {
		fputs("restrack: out of memory\n", stderr);
		exit(EXIT_FAIL);
	}
	return nv;
}

static char *dup_or_die(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		fputs("restrack: out of memory\n", stderr);
		exit(EXIT_FAIL);
	}
	return d;
}

void report_add_proc(struct report *r, const struct rt_proc *p)
{
	r->procs = grow(r->procs, r->nprocs, sizeof(*r->procs));
	r->procs[r->nprocs++] = *p;
}

void report_add_note(struct report *r, const char *msg)
{
	r->notes = grow(r->notes, r->nnotes, sizeof(*r->notes));
	r->notes[r->nnotes++] = dup_or_die(msg);
}

void report_add_error(struct report *r, pid_t pid, int err, const char *msg)
{
	r->errors = grow(r->errors, r->nerrors, sizeof(*r->errors));
	r->errors[r->nerrors].pid = pid;
	r->errors[r->nerrors].err = err < 0 ? -err : err;
	r->errors[r->nerrors].message = dup_or_die(msg);
	r->nerrors++;
}

void report_free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	for (i = 0; i < r->nerrors; i++)
		free(r->errors[i].message);
	free(r->notes);
	free(r->errors);
	free(r->procs);
	memset(r, 0, sizeof(*r));
}

/* ---------------------------------------------------------------------
 * For people.
 */

/*
 * A command name to print on a terminal: control characters (a newline
 * that would start a row of its own, an escape sequence) become '?', as
 * ps(1) shows them; "?" for none.
 */
const char *comm_text(const char *comm, char *buf, size_t size)
{
	size_t i;

	snprintf(buf, size, "%s", comm[0] ? comm : "?");
	for (i = 0; buf[i]; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return buf;
}

char *format_heap_quota(long long bytes, bool known, char *buf, size_t size)
{
	if (!known)
		snprintf(buf, size, "?");
	else if (bytes < 0)
		snprintf(buf, size, "unlimited");
	else
		restrack_format_size((unsigned long long)bytes, buf, size);
	return buf;
}

char *format_file_quota(long quota, bool known, char *buf, size_t size)
{
	if (!known)
		snprintf(buf, size, "?");
	else if (quota < 0)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "%ld", quota);
	return buf;
}

/* usage as a percentage of limit: "3%", "-" when not limited. */
char *format_percent(unsigned long usage, unsigned long long limit,
		     bool limited, char *buf, size_t size)
{
	if (!limited)
		snprintf(buf, size, "-");
	else if (!limit)
		snprintf(buf, size, usage ? "over" : "0%%");
	else
		snprintf(buf, size, "%llu%%", (unsigned long long)
			 ((long double)usage * 100.0L / (long double)limit));
	return buf;
}

void print_show(FILE *f, const struct rt_proc *p)
{
	char a[32], b[32], user[40], c[COMM_SIZE];
	bool hl = p->quotas_known && p->heap_quota >= 0;
	bool fl = p->quotas_known && p->file_quota >= 0;

	fprintf(f, "pid:         %d\n", (int)p->pid);
	fprintf(f, "command:     %s\n", comm_text(p->comm, c, sizeof(c)));
	if (p->uid >= 0)
		fprintf(f, "user:        %s\n", user_name(p->uid, user, sizeof(user)));
	if (p->state)
		fprintf(f, "state:       %c (%s)\n", p->state, state_name(p->state));
	fprintf(f, "heap:        %s (%lu bytes)\n",
		restrack_format_size(p->heap, a, sizeof(a)), p->heap);
	if (!p->quotas_known)
		fprintf(f, "heap quota:  unknown (no restrack_pidfd_get(2), no %s)\n",
			STATUS_PATH);
	else if (hl)
		fprintf(f, "heap quota:  %s (%s used)\n",
			format_heap_quota(p->heap_quota, true, a, sizeof(a)),
			format_percent(p->heap, (unsigned long long)p->heap_quota,
				       true, b, sizeof(b)));
	else
		fprintf(f, "heap quota:  unlimited\n");
	fprintf(f, "files:       %lu\n", p->files);
	if (!p->quotas_known)
		fprintf(f, "file quota:  unknown\n");
	else if (fl)
		fprintf(f, "file quota:  %ld (%s used)\n", p->file_quota,
			format_percent(p->files, (unsigned long long)p->file_quota,
				       true, b, sizeof(b)));
	else
		fprintf(f, "file quota:  unlimited\n");
	if (!p->from_kernel)
		return;
	fprintf(f, "over quota:  heap: %s, files: %s\n",
		action_name(p->heap_action), action_name(p->files_action));
	fprintf(f, "peaks:       heap %s (%llu bytes), files %llu\n",
		restrack_format_size(p->heap_peak, a, sizeof(a)), p->heap_peak,
		p->files_peak);
	fprintf(f, "children:    %s\n", p->inherit ?
		"tracked too, each with its own quotas (inherit)" : "not tracked");
}

void print_status(FILE *f, const struct rt_proc *list, size_t n)
{
	char heap[32], hq[32], fq[32], user[40], c[COMM_SIZE];
	size_t i;

	if (!n) {
		fprintf(f, "no tracked processes\n");
		return;
	}
	fprintf(f, "%7s %-8s %s %10s %10s %6s %10s  %s\n", "PID", "USER", "S",
		"HEAP", "HEAP QUOTA", "FILES", "FILE QUOTA", "COMMAND");
	for (i = 0; i < n; i++) {
		const struct rt_proc *p = &list[i];

		fprintf(f, "%7d %-8.8s %c %10s %10s %6lu %10s  %s\n", (int)p->pid,
			user_name(p->uid, user, sizeof(user)),
			p->state ? p->state : '?',
			restrack_format_size(p->heap, heap, sizeof(heap)),
			format_heap_quota(p->heap_quota, p->quotas_known, hq, sizeof(hq)),
			p->files,
			format_file_quota(p->file_quota, p->quotas_known, fq, sizeof(fq)),
			comm_text(p->comm, c, sizeof(c)));
	}
}
