#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the console logs of restrack_bench runs into the benchmark report.

    bench-report.py MANIFEST OUTDIR

MANIFEST is written by scripts/bench.sh, one record a line, fields
separated by tabs:

    mode     full|smoke
    settings KEY=VALUE ...           (iters, reps, workloads, conditions)
    run      SERIES ARCH ROLE CONDITIONS LOG STATUS WALL_S IMAGE [CKSUM]
             ROLE: baseline or patched; CONDITIONS: what the guest was
             asked to run (one boot); STATUS: vm-run.sh's exit status;
             CKSUM: the image's, to notice a kernel rebuilt between boots
    standin  SERIES ARCH             (no baseline kernel: the patched
                                      kernel's "untracked" figures stand in,
                                      for testing the pipeline only)
    note     SERIES ARCH TEXT
    build    STATUS KEY=VALUE ...    (build-pipeline figures or why not)

LOG paths are relative to the manifest's directory.  Writes into OUTDIR:
SERIES-ARCH.md for each kernel, report.md (all of them), results.json and
scaling.png.  Exits 1 when a log does not parse, a guest failed or an
expected figure is missing; with BENCH_STRICT=1 in the environment, also
when a target is missed; 0 otherwise.  Python 3 standard library only.
"""

import datetime
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

# Conditions in the order of the guest program, and what they promise.
CONDITION_ORDER = ["untracked", "rlimit", "memcg", "untracked_armed", "tracked",
                   "quota", "deny", "inherit"]
TARGET_UNTRACKED = 1.01
TARGET_TRACKED = 1.05
TARGET_SCALING = 1.02
# The peers (issue 12): the limited restrack condition ("quota": a limit
# against a limit) on the patched kernel over the same workload limited by
# the alternatives on the baseline kernel, the kernel their users run.
TARGET_VS_RLIMIT = 1.02
TARGET_VS_MEMCG = 1.00
# fork with RESTRACK_INHERIT (every child tracked) over the baseline's fork.
TARGET_INHERIT_FORK = 1.03
FORK_WORKLOADS = ("fork_exit_wait", "vfork_exit")
# deny no dearer than kill: deny / quota <= 1.00, plus what two boots of
# the same kernel may differ by under icount (deterministic, but not to the
# instruction: boot-to-boot differences of a few tenths of a percent).
TARGET_DENY = 1.005
PEER_CONDITIONS = ("rlimit", "memcg")
NO_TARGET_WORKLOADS = {"register_deregister"}
# Controls: no target, since what they measure with many processes is the
# kernel's own pid lookup, the part of register_deregister that is not the
# tracker's.
CONTROL_WORKLOADS = {"getpgid_x2"}
CONDITION_TEXT = {
    "baseline": "baseline kernel (CONFIG_RESOURCE_TRACKER off)",
    "untracked": "patched, nothing ever registered (hooks off)",
    "untracked_armed": "patched, another process tracked (hooks live), "
                       "this one not",
    "tracked": "patched, this process tracked, no quota",
    "quota": "patched, tracked with quotas 1024 MiB / 1024 files",
    "rlimit": "untracked, RLIMIT_DATA 1024 MiB and RLIMIT_NOFILE 1024 (the "
              "quotas of `quota` as rlimits); on the baseline kernel the "
              "reference of the rlimit target, on the patched kernel for "
              "information (ratio to the baseline's rlimit)",
    "memcg": "untracked, in a memory cgroup (cgroup2) with memory.max 1024 MiB; "
             "on the baseline kernel the reference of the memcg target, on "
             "the patched kernel for information (ratio to the baseline's memcg)",
    "deny": "patched, the quotas of `quota` set with restrack_pidfd_set_quota() "
            "and RESTRACK_ACTION_DENY (the growth fails) instead of the kill",
    "inherit": "patched, registered with RESTRACK_INHERIT and the quotas of "
               "`quota` (kill): every child tracked from birth; fork-type "
               "workloads only",
}

BENCH_RE = re.compile(
    r"^BENCH cond=(\S+) workload=(\S+) rep=(\d+) iters=(\d+) ns=(\d+)"
    r"(?: ctxt=(-?\d+))?\s*$")
KV_RE = re.compile(r"(\w+)=(\S+)")
START_RE = re.compile(r"(BENCH(-[A-Z]+)?|@@RESTRACK-EXIT) ")


def cond_sort_key(cond):
    if cond in CONDITION_ORDER:
        return (CONDITION_ORDER.index(cond), 0)
    m = re.match(r"^(idle|others)(\d+)$", cond)
    if m:
        return (len(CONDITION_ORDER) + (m.group(1) == "others"),
                int(m.group(2)))
    return (99, 0)


def cond_text(cond):
    if cond in CONDITION_TEXT:
        return CONDITION_TEXT[cond]
    m = re.match(r"^(idle|others)(\d+)$", cond)
    if m:
        n = m.group(2)
        who = "%s other process%s" % (n, "" if n == "1" else "es")
        if m.group(1) == "others":
            return "patched, tracked while %s %s tracked" % (
                who, "is" if n == "1" else "are")
        return ("control for others%s: patched, tracked while %s exist%s, "
                "untracked" % (n, who, "s" if n == "1" else ""))
    return cond


def target_of(cond, workload):
    """The issue's target for the ratio to the baseline kernel, or None."""
    if workload in NO_TARGET_WORKLOADS or workload in CONTROL_WORKLOADS:
        return None
    if cond in ("untracked", "untracked_armed"):
        return TARGET_UNTRACKED
    if cond in ("tracked", "quota", "deny") or cond.startswith("others"):
        return TARGET_TRACKED
    if cond == "inherit" and workload in FORK_WORKLOADS:
        return TARGET_INHERIT_FORK
    return None


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2.0


def verdict(ratio, low, high, target):
    """met/missed by the median; 'noise' when the spread straddles it."""
    if target is None or ratio is None:
        return None
    v = "met" if ratio <= target else "missed"
    if low <= target < high:
        v += " (within noise)"
    return v


class LogError(Exception):
    pass


def parse_log(path):
    """The figures of one guest run: {cond: {workload: [(iters, ns)...]}}."""
    out = {"info": {}, "figures": {}, "skips": [], "invalid": [], "errors": [],
           "notes": [], "conds": {}, "done": None, "exit": None,
           "unavailable": {}}
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise LogError("cannot read %s: %s" % (path, e))
    for line in lines:
        # The firmware's escape sequences may precede the first line.
        m = START_RE.search(line)
        if not m:
            continue
        line = line[m.start():].strip()
        if line.startswith("@@RESTRACK-EXIT "):
            out["exit"] = int(line.split()[1])
            continue
        m = BENCH_RE.match(line)
        if m:
            cond, wl, rep, iters, ns = m.group(1, 2, 3, 4, 5)
            out["figures"].setdefault(cond, {}).setdefault(wl, []).append(
                {"rep": int(rep), "iters": int(iters), "ns": int(ns),
                 "ctxt": int(m.group(6)) if m.group(6) else None})
            continue
        word, _, rest = line.partition(" ")
        kv = dict(KV_RE.findall(rest))
        if word == "BENCH-INFO":
            out["info"] = kv
        elif word == "BENCH-COND":
            out["conds"][kv.get("cond")] = kv
        elif word == "BENCH-SKIP":
            out["skips"].append(kv)
        elif word == "BENCH-UNAVAILABLE":
            out["unavailable"][kv.get("cond")] = kv.get("reason", "?")
        elif word == "BENCH-INVALID":
            out["invalid"].append(kv.get("cond"))
        elif word == "BENCH-ERROR":
            out["errors"].append(rest)
        elif word == "BENCH-NOTE":
            out["notes"].append(rest)
        elif word == "BENCH-DONE":
            out["done"] = kv.get("status")
        elif word == "BENCH":
            raise LogError("%s: unparsable line: %s" % (path, line))
    if not out["info"]:
        raise LogError("%s: no BENCH-INFO line: the program did not start" % path)
    for cond in out["invalid"]:
        out["figures"].pop(cond, None)
    for s in out["skips"]:
        if "workload" in s:
            out["figures"].get(s.get("cond"), {}).pop(s["workload"], None)
    return out


def stats(reps):
    """Per-operation figures of the reps of one (condition, workload).

    q1/q3 are the quartiles for 4 reps or more (for 5: the 2nd and 4th
    smallest), min and max below that; iqr_pct is (q3 - q1) / median.
    """
    per_op = [r["ns"] / r["iters"] for r in reps]
    med = median(per_op)
    v = sorted(per_op)
    q = len(v) // 4
    q1, q3 = (v[q], v[-q - 1]) if len(v) >= 4 else (v[0], v[-1])
    return {
        "iters": reps[0]["iters"],
        "reps": len(reps),
        "reps_ns": [r["ns"] for r in reps],
        "ctxt": [r["ctxt"] for r in reps],
        "ns_per_op": {
            "median": med, "min": v[0], "max": v[-1], "q1": q1, "q3": q3,
            "range_pct": (v[-1] - v[0]) / med * 100 if med else 0.0,
            "iqr_pct": (q3 - q1) / med * 100 if med else 0.0,
        },
    }


def read_manifest(path):
    m = {"mode": "full", "settings": {}, "kernels": [], "build": None}
    kernels = {}

    def kernel(series, arch):
        key = (series, arch)
        if key not in kernels:
            kernels[key] = {"series": series, "arch": arch, "runs": [],
                            "standin": False, "notes": []}
            m["kernels"].append(kernels[key])
        return kernels[key]

    base = os.path.dirname(os.path.abspath(path))
    with open(path) as f:
        for raw in f:
            rec = raw.rstrip("\n").split("\t")
            if not rec or not rec[0]:
                continue
            kind = rec[0]
            if kind == "mode":
                m["mode"] = rec[1]
            elif kind == "settings":
                for kv in rec[1:]:
                    k, _, v = kv.partition("=")
                    m["settings"][k] = v
            elif kind == "run":
                series, arch, role, conds, log, status, wall, image = rec[1:9]
                kernel(series, arch)["runs"].append({
                    "role": role, "conditions": conds,
                    "cksum": rec[9] if len(rec) > 9 else None,
                    "log": log, "path": os.path.join(base, log), "status": int(status), "wall_s": float(wall),
                    "image": image})
            elif kind == "standin":
                kernel(rec[1], rec[2])["standin"] = True
            elif kind == "note":
                kernel(rec[1], rec[2])["notes"].append(rec[3])
            elif kind == "build":
                b = {"status": rec[1]}
                for kv in rec[2:]:
                    k, _, v = kv.partition("=")
                    b[k] = v
                m["build"] = b
    return m


VM_STATUS = {124: "the guest did not finish in time",
             125: "the kernel logged a BUG/WARNING/Oops"}


def analyse_kernel(k, problems):
    """Figures, ratios and verdicts of one kernel; appends to problems."""
    res = {"series": k["series"], "arch": k["arch"], "notes": list(k["notes"]),
           "runs": [], "baseline": None, "figures": {}, "scaling": {},
           "setup": {}, "release": None, "unavailable": {},
           "baseline_unavailable": {}, "peers": {}}
    name = "%s/%s" % (k["series"], k["arch"])
    parsed = {}     # role: the figures of all its runs together
    for run in k["runs"]:
        role = run["role"]
        info = dict(run)
        del info["path"]
        res["runs"].append(info)
        what = "%s %s (%s)" % (name, role, run["conditions"])
        try:
            p = parse_log(run["path"])
        except LogError as e:
            problems.append("%s: %s" % (what, e))
            info["parsed"] = False
            continue
        info["parsed"] = True
        info["tracker"] = p["info"].get("tracker")
        info["release"] = p["info"].get("release")
        info["done"] = p["done"]
        info["errors"] = p["errors"]
        info["notes"] = p["notes"]
        info["skips"] = p["skips"]
        if role not in parsed:
            parsed[role] = {"info": p["info"], "figures": {}, "conds": {}}
        res["unavailable" if role == "patched" else "baseline_unavailable"].update(
            p["unavailable"])
        parsed[role]["figures"].update(p["figures"])
        parsed[role]["conds"].update(p["conds"])
        if p["info"].get("tracker") != parsed[role]["info"].get("tracker"):
            problems.append("%s: the runs disagree on the system calls" % what)
        if run["status"] != 0:
            problems.append("%s: vm-run.sh exit status %d%s" % (
                what, run["status"],
                " (%s)" % VM_STATUS[run["status"]] if run["status"] in VM_STATUS else ""))
        if p["done"] != "ok":
            problems.append("%s: the benchmark did not end well (BENCH-DONE %s)"
                            % (what, p["done"] or "missing"))
        for e in p["errors"]:
            problems.append("%s: %s" % (what, e))
        for s in p["skips"]:
            if s.get("reason") != "ENOSYS" or role != "baseline":
                problems.append("%s: skipped %s%s: %s" % (
                    what, s.get("cond"),
                    "/" + s["workload"] if "workload" in s else "", s.get("reason")))
        for c in p["invalid"]:
            problems.append("%s: condition %s void (its state changed)" % (what, c))
    for role in ("baseline", "patched"):
        sums = {r["cksum"] for r in k["runs"] if r["role"] == role and r["cksum"]}
        if len(sums) > 1:
            problems.append("%s %s: the kernel image changed between the boots "
                            "(rebuilt meanwhile?): the figures mix two kernels" % (name, role))
    if "baseline" in parsed and parsed["baseline"]["info"].get("tracker") != "no":
        problems.append("%s: the baseline kernel has the system calls "
                        "(tracker=yes): it is not a baseline" % name)
    if "patched" in parsed and parsed["patched"]["info"].get("tracker") != "yes":
        problems.append("%s: the patched kernel lacks the system calls" % name)

    patched = parsed.get("patched")
    if patched:
        res["release"] = patched["info"].get("release")
        res["setup"] = patched["conds"]
    # The reference figures: the baseline kernel's "untracked" condition, or
    # in stand-in mode the patched kernel's.
    # The baseline's peer conditions (rlimit, memcg) are the references of
    # the same conditions on the patched kernel and of the peer targets.
    base_src = None
    if "baseline" in parsed:
        base_src = parsed["baseline"]["figures"]
        res["baseline"] = "baseline"
    elif k["standin"] and patched:
        base_src = patched["figures"]
        res["baseline"] = "standin"
        res["baseline_unavailable"] = res["unavailable"]
    base_by_cond = {c: {wl: stats(r) for wl, r in (base_src or {}).get(c, {}).items()}
                    for c in ("untracked",) + PEER_CONDITIONS}
    base = base_by_cond["untracked"]
    res["baseline_figures"] = base
    res["baseline_peer_figures"] = {c: base_by_cond[c] for c in PEER_CONDITIONS
                                    if base_by_cond[c]}

    if not patched:
        return res
    for cond, wls in patched["figures"].items():
        for wl, reps in wls.items():
            s = stats(reps)
            tgt = target_of(cond, wl)
            s["target"] = tgt
            b = (base_by_cond[cond] if cond in PEER_CONDITIONS else base).get(wl)
            if b:
                bn = b["ns_per_op"]
                pn = s["ns_per_op"]
                r = pn["median"] / bn["median"]
                lo = pn["q1"] / bn["q3"]
                hi = pn["q3"] / bn["q1"]
                s["ratio_to_baseline"] = {"median": r, "low": lo, "high": hi}
                s["verdict"] = verdict(r, lo, hi, tgt)
            else:
                s["ratio_to_baseline"] = None
                s["verdict"] = None
            res["figures"].setdefault(cond, {})[wl] = s

    # The peer targets: quota over the baseline's rlimit and memcg, deny
    # over quota.
    figs = res["figures"]

    def peer(num, ref, target, why_missing):
        if not num or not ref:
            return {"target": target, "ratio": None, "verdict": None,
                    "unavailable": why_missing}
        n, r = num["ns_per_op"], ref["ns_per_op"]
        ratio = n["median"] / r["median"]
        return {"target": target, "ratio": ratio, "unavailable": None,
                "verdict": verdict(ratio, n["q1"] / r["q3"], n["q3"] / r["q1"], target)}

    def why(cond, unav):
        return unav.get(cond) and "not available on this kernel (%s)" % unav[cond].replace("_", " ")

    for wl in figs.get("quota", {}):
        if wl in NO_TARGET_WORKLOADS or wl in CONTROL_WORKLOADS:
            continue
        q = figs["quota"][wl]
        res["peers"][wl] = {
            "quota_over_rlimit": peer(q, base_by_cond["rlimit"].get(wl), TARGET_VS_RLIMIT,
                                      why("rlimit", res["baseline_unavailable"])),
            "quota_over_memcg": peer(q, base_by_cond["memcg"].get(wl), TARGET_VS_MEMCG,
                                     why("memcg", res["baseline_unavailable"])),
            "deny_over_quota": peer(figs.get("deny", {}).get(wl), q, TARGET_DENY,
                                    why("deny", res["unavailable"])),
        }

    # Scaling: cost with N others tracked against the cost with 1.
    others = sorted((c for c in figs if re.match(r"^others\d+$", c)),
                    key=cond_sort_key)
    workloads = []
    for c in figs.values():
        for wl in c:
            if wl not in workloads:
                workloads.append(wl)
    for wl in workloads:
        row = {}
        one = figs.get("others1", {}).get(wl)
        for c in others:
            f = figs[c].get(wl)
            if one and f and c != "others1":
                row[c] = f["ns_per_op"]["median"] / one["ns_per_op"]["median"]
        top = others[-1] if others else None
        if one and top and top != "others1" and wl in figs[top]:
            f = figs[top][wl]["ns_per_op"]
            o = one["ns_per_op"]
            r = f["median"] / o["median"]
            row["max_others"] = int(top[6:])
            row["ratio"] = r
            if wl in CONTROL_WORKLOADS:
                row["target"] = None
                row["verdict"] = None
            else:
                row["target"] = TARGET_SCALING
                row["verdict"] = verdict(r, f["q1"] / o["q3"], f["q3"] / o["q1"],
                                         TARGET_SCALING)
            idle = figs.get("idle" + top[6:], {}).get(wl)
            tracked = figs.get("tracked", {}).get(wl)
            if idle:
                i = idle["ns_per_op"]
                row["others_over_idle"] = f["median"] / i["median"]
                # Informational: the target applied to the tracker's share.
                row["others_over_idle_verdict"] = verdict(
                    row["others_over_idle"], f["q1"] / i["q3"], f["q3"] / i["q1"],
                    TARGET_SCALING)
                if tracked:
                    row["idle_over_tracked"] = (idle["ns_per_op"]["median"] /
                                                tracked["ns_per_op"]["median"])
        res["scaling"][wl] = row
    res["workloads"] = workloads
    return res


def check_complete(res, settings, problems):
    """Every requested figure is there."""
    name = "%s/%s" % (res["series"], res["arch"])
    want_w = [w.split(":")[0] for w in settings.get("workloads", "").split(",") if w]
    scaling_w = [w.split(":")[0] for w in
                 settings.get("scaling_workloads", settings.get("workloads", "")).split(",")
                 if w]
    want_c = [c for c in settings.get("conditions", "").split(",") if c]
    if any(r["parsed"] and r["role"] == "patched" for r in res["runs"]):
        for c in want_c:
            if c in res["unavailable"]:
                continue    # the kernel lacks what it needs: reported as such
            many = re.match(r"^(others|idle)(\d+)$", c)
            wls = scaling_w if many and int(many.group(2)) > 1 else want_w
            if c == "inherit":
                wls = [w for w in wls if w in FORK_WORKLOADS]
            for w in wls:
                if w not in res["figures"].get(c, {}):
                    problems.append("%s: no figure for %s/%s" % (name, c, w))
    if res["baseline"] == "baseline":
        for w in want_w:
            if w not in res["baseline_figures"]:
                problems.append("%s: no baseline figure for %s" % (name, w))
        for c in settings.get("baseline_conditions", "untracked").split(","):
            if c not in PEER_CONDITIONS or c in res["baseline_unavailable"]:
                continue
            for w in want_w:
                if w not in res["baseline_peer_figures"].get(c, {}):
                    problems.append("%s: no baseline figure for %s/%s" % (name, c, w))


# ---------------------------------------------------------------------------
# Markdown


def fmt_ns(x):
    if x >= 100:
        return "{:,.0f}".format(x)
    return "{:.1f}".format(x)


def fmt_ratio(x):
    return "—" if x is None else "{:.3f}".format(x)


def mark(v):
    if v is None:
        return ""
    sym = "✓" if v.startswith("met") else "✗"
    return " " + sym + ("~" if "noise" in v else "")


def kernel_markdown(res, settings, mode, problems):
    out = []
    name = "%s %s" % (res["series"], res["arch"])
    out.append("## %s%s" % (name, " (release %s)" % res["release"] if res["release"] else ""))
    out.append("")
    for role in ("baseline", "patched"):
        rs = [r for r in res["runs"] if r["role"] == role]
        if rs:
            img = rs[0]["image"]
            out.append("- %s kernel: `%s`: %d boot%s, %.0f s wall in all, vm-run status %s" % (
                role, os.path.relpath(img, ROOT) if img.startswith(ROOT) else img,
                len(rs), "" if len(rs) == 1 else "s", sum(r["wall_s"] for r in rs),
                ", ".join(sorted({str(r["status"]) for r in rs}))))
    if res["baseline"] == "standin":
        out.append("")
        out.append("> **NOT A BASELINE COMPARISON.** No baseline kernel was "
                   "available: the *patched* kernel's `untracked` figures stand "
                   "in for the baseline, so every ratio below is relative to the "
                   "patched kernel itself and says nothing about the targets.")
    elif res["baseline"] is None:
        out.append("")
        out.append("> No baseline figures: ratios and verdicts are missing.")
    for n in res["notes"]:
        out.append("- note: %s" % n)
    unav = dict(res["baseline_unavailable"])
    unav.update(res["unavailable"])
    for c, r in sorted(unav.items(), key=lambda kv: cond_sort_key(kv[0])):
        out.append("- `%s`: not available on this kernel (%s): not measured, its "
                   "targets neither met nor missed" % (c, r.replace("_", " ")))
    out.append("")
    figs = res["figures"]
    conds = sorted(figs, key=cond_sort_key)
    wls = res.get("workloads", [])
    if not figs:
        out.append("No figures from the patched kernel.")
        out.append("")
        return "\n".join(out)

    out.append("### ns per operation")
    out.append("")
    out.append("Median of the reps, in guest instructions (QEMU `-icount shift=0`: "
               "1 ns = 1 instruction); in brackets the spread, (q3 − q1) / median, "
               "q1 and q3 the quartiles of the reps (with 5 reps the 2nd and 4th; "
               "with fewer than 4, min and max). Every rep is in results.json.")
    out.append("")
    peer_base = [c for c in PEER_CONDITIONS
                 if res["baseline"] == "baseline" and c in res.get("baseline_peer_figures", {})]
    head = ["workload", "iters"] + (
        ["baseline (STAND-IN)" if res["baseline"] == "standin" else "baseline"]
        if res["baseline"] else []) + ["baseline %s" % c for c in peer_base] + conds
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for wl in wls:
        any_f = next((figs[c][wl] for c in conds if wl in figs[c]), None)
        row = [wl, "{:,}".format(any_f["iters"]) if any_f else ""]
        if res["baseline"]:
            b = res["baseline_figures"].get(wl)
            row.append("%s (%.1f%%)" % (fmt_ns(b["ns_per_op"]["median"]), b["ns_per_op"]["iqr_pct"]) if b else "—")
        for c in peer_base:
            b = res["baseline_peer_figures"][c].get(wl)
            row.append("%s (%.1f%%)" % (fmt_ns(b["ns_per_op"]["median"]), b["ns_per_op"]["iqr_pct"]) if b else "—")
        for c in conds:
            f = figs[c].get(wl)
            row.append("%s (%.1f%%)" % (fmt_ns(f["ns_per_op"]["median"]), f["ns_per_op"]["iqr_pct"]) if f else "—")
        out.append("| " + " | ".join(row) + " |")
    out.append("")

    if res["baseline"]:
        out.append("### Ratio to the baseline kernel")
        out.append("")
        out.append("Median over median. Targets: untracked ≤ %.2f, tracked ≤ %.2f. "
                   "✓ met, ✗ missed; `~`: the spread straddles the target "
                   "(q1/q3 over q3/q1 of the baseline), so the verdict is within noise. "
                   "`register_deregister` has no target (the baseline kernel "
                   "answers ENOSYS). Conditions `idleN` are controls, without target. "
                   "`deny` has the tracked target; `inherit` (fork-type workloads "
                   "only) ≤ %.2f of the baseline's fork. `rlimit` and `memcg` on the "
                   "patched kernel are divided by the same condition on the baseline "
                   "kernel, for information (no target)."
                   % (TARGET_UNTRACKED, TARGET_TRACKED, TARGET_INHERIT_FORK))
        out.append("")

        def col(c):
            if c == "inherit":
                return "inherit (fork ≤%.2f)" % TARGET_INHERIT_FORK
            if c in PEER_CONDITIONS:
                return "%s (/ baseline %s)" % (c, c)
            t = target_of(c, "x")
            return c + (" (≤%.2f)" % t if t else "")
        head = ["workload"] + [col(c) for c in conds]
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for wl in wls:
            row = [wl]
            for c in conds:
                f = figs[c].get(wl)
                if not f or not f["ratio_to_baseline"]:
                    row.append("—")
                else:
                    row.append(fmt_ratio(f["ratio_to_baseline"]["median"]) + mark(f["verdict"]))
            out.append("| " + " | ".join(row) + " |")
        out.append("")

    others = [c for c in conds if re.match(r"^others\d+$", c)]
    if "others1" in others and len(others) > 1:
        top = others[-1]
        idle = "idle" + top[6:]
        out.append("### Scaling with the number of tracked processes")
        out.append("")
        out.append("Cost with N other processes tracked over the cost with 1. "
                   "Target: at %s, ≤ %.2f." % (top[6:], TARGET_SCALING))
        if idle in figs:
            out.append("The control `%s` has the same number of processes, untracked: "
                       "`%s / tracked` is what that many processes cost the kernel "
                       "by themselves (tracked or not), `%s / %s` the tracker's own share "
                       "(marked against the same %.2f, for information; the verdicts "
                       "counted are those of the issue's definition, `%s / others1`)."
                       % (idle, idle, top, idle, TARGET_SCALING, top))
        out.append("")
        head = ["workload"] + ["%s / others1" % c for c in others[1:]]
        if idle in figs:
            head += ["%s / tracked" % idle, "%s / %s" % (top, idle)]
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for wl in wls:
            s = res["scaling"].get(wl, {})
            row = [wl]
            for c in others[1:]:
                cell = fmt_ratio(s.get(c))
                if c == top and s.get("verdict"):
                    cell += mark(s["verdict"])
                row.append(cell)
            if idle in figs:
                row += [fmt_ratio(s.get("idle_over_tracked")),
                        fmt_ratio(s.get("others_over_idle")) +
                        mark(s.get("others_over_idle_verdict"))]
            out.append("| " + " | ".join(row) + " |")
        out.append("")

    if res["peers"] and res["baseline"]:
        out.append("### Against the alternatives: rlimit and memcg, deny against kill")
        out.append("")
        out.append("The restrack condition compared with the peers is `quota` (tracked "
                   "with quotas on the patched kernel): a limit against a limit, the "
                   "peers being the same workloads limited by RLIMIT_DATA/RLIMIT_NOFILE "
                   "or a memory cgroup's memory.max on the baseline kernel, the "
                   "kernel a user of the alternatives runs. Targets: `quota / rlimit` "
                   "≤ %.2f, `quota / memcg` ≤ %.2f, `deny / quota` ≤ %.3f (deny no "
                   "dearer than kill; icount is deterministic, the 0.5%% is what two "
                   "boots may differ by). A peer the kernel lacks is \"n/a\": neither "
                   "met nor missed." % (TARGET_VS_RLIMIT, TARGET_VS_MEMCG, TARGET_DENY))
        out.append("")
        out.append("| workload | quota / rlimit (≤%.2f) | quota / memcg (≤%.2f) | deny / quota (≤%.3f) |"
                   % (TARGET_VS_RLIMIT, TARGET_VS_MEMCG, TARGET_DENY))
        out.append("|---|---|---|---|")
        for wl in wls:
            p = res["peers"].get(wl)
            if not p:
                continue
            row = [wl]
            for key in ("quota_over_rlimit", "quota_over_memcg", "deny_over_quota"):
                e = p[key]
                row.append(fmt_ratio(e["ratio"]) + mark(e["verdict"]) if e["ratio"] is not None
                           else ("n/a" if e["unavailable"] else "—"))
            out.append("| " + " | ".join(row) + " |")
        out.append("")

    setup = res.get("setup") or {}
    if setup:
        def kb(v):
            return "{:,} kB".format(int(v)) if v and int(v) > 0 else "—"
        out.append("Setup of each condition (fork and register the other processes), "
                   "guest ns, and the guest's free memory once set up: " + ", ".join(
                       "%s %s ns / %s" % (c, "{:,}".format(int(v.get("setup_ns", 0))),
                                          kb(v.get("memfree_kb")))
                       for c, v in sorted(setup.items(), key=lambda kv: cond_sort_key(kv[0]))
                       if "setup_ns" in v) + ".")
        out.append("")

    # Verdict summary: (what, verdict, ratio) of every target judged.
    judged = [("%s/%s" % (c, wl), f.get("verdict"),
               f["ratio_to_baseline"]["median"] if f.get("ratio_to_baseline") else None)
              for c in conds for wl, f in figs[c].items()]
    judged += [("%s/%s" % (key, wl), e["verdict"], e["ratio"])
               for wl, p in res["peers"].items() for key, e in p.items()]
    judged += [("scaling/%s" % wl, s.get("verdict"), s.get("ratio"))
               for wl, s in res["scaling"].items()]
    judged = [j for j in judged if j[1] is not None]
    misses = ["%s %.3f" % (what, r) for what, v, r in judged if not v.startswith("met")]
    missed = len(misses)
    met = len(judged) - missed
    res["targets_met"] = met
    res["targets_missed"] = missed
    res["missed"] = misses
    if res["baseline"] == "standin":
        out.append("**Targets: not judged (stand-in baseline).**")
    elif met + missed:
        out.append("**Targets: %d met, %d missed.**%s" % (
            met, missed, (" Missed: " + "; ".join(misses) + ".") if misses else ""))
    out.append("")
    kp = [p for p in problems if p.startswith("%s/%s" % (res["series"], res["arch"]))]
    if kp:
        out.append("Problems:")
        out.append("")
        for p in kp:
            out.append("- " + p)
        out.append("")
    return "\n".join(out)


def build_markdown(build):
    out = ["## Build pipeline", ""]
    if not build or build.get("status") != "measured":
        reason = (build or {}).get("reason", "not requested")
        out.append("**Not measured**: %s." % reason.replace("_", " "))
        out.append("")
        out.append("Wanted: cold `make debs FLAVOUR=virt` for one kernel, and the "
                   "rebuild after touching one tracker source file (goal: under 60 s).")
    else:
        cold = float(build.get("cold_s", "nan"))
        re_s = float(build.get("rebuild_s", "nan"))
        out.append("| step | seconds | goal |")
        out.append("|---|---|---|")
        out.append("| `make debs FLAVOUR=virt` %s (%s) | %.0f | — |" % (
            build.get("kernel", ""), build.get("cold_kind", "first build"), cold))
        out.append("| rebuild after `touch %s` | %.0f | < 60 s%s |" % (
            build.get("touched", ""), re_s, " ✓" if re_s < 60 else " ✗"))
    out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Plot: cost against the number of tracked processes


def plot_series(results):
    """Per kernel: the lines of the plot.

    x: the number of other processes tracked (0 = the "tracked" condition),
    evenly spaced; y: ns/op over the baseline kernel's (or, without one,
    over the "tracked" condition's).  idle: the idleN controls, at the x
    of othersN.
    """
    panels = []
    for res in results:
        figs = res["figures"]
        xs = [("tracked", "0")] + [(c, c[6:]) for c in sorted(
            (c for c in figs if re.match(r"^others\d+$", c)), key=cond_sort_key)]
        if len(xs) < 2:
            continue
        ref_kind = res["baseline"]

        def value(c, wl):
            f = figs.get(c, {}).get(wl)
            if not f:
                return None
            if ref_kind:
                r = f["ratio_to_baseline"]
                return r["median"] if r else None
            ref = figs.get("tracked", {}).get(wl)
            return f["ns_per_op"]["median"] / ref["ns_per_op"]["median"] if ref else None

        lines, idle = {}, {}
        for wl in res.get("workloads", []):
            pts = [(i, value(c, wl)) for i, (c, _) in enumerate(xs)]
            pts = [(i, v) for i, v in pts if v is not None]
            if pts:
                lines[wl] = pts
            ipts = [(i, value("idle" + lab, wl)) for i, (_, lab) in enumerate(xs) if i]
            ipts = [(i, v) for i, v in ipts if v is not None]
            if ipts:
                idle[wl] = ipts
        title = "%s %s" % (res["series"], res["arch"])
        if ref_kind == "standin":
            title += " (STAND-IN baseline: patched kernel)"
        elif not ref_kind:
            title += " (no baseline: relative to tracked)"
        ys = [v for pts in list(lines.values()) + list(idle.values()) for _, v in pts]
        panels.append({"title": title, "xlabels": [lab for _, lab in xs],
                       "lines": lines, "idle": idle,
                       "log": bool(ys) and max(ys) / max(min(ys), 1e-9) > 4,
                       "ylabel": "ns/op relative to the baseline kernel" if ref_kind
                       else "ns/op relative to the tracked condition"})
    return panels


def gq(s):
    """A gnuplot single-quoted string."""
    return "'" + str(s).replace("'", "''") + "'"


def plot_gnuplot(panels, path):
    gp = shutil.which("gnuplot")
    if not gp or not panels:
        return False
    r = subprocess.run([gp, "-e", "set terminal"], capture_output=True, text=True)
    terms = r.stdout + r.stderr
    size = (1000, 440 * len(panels))
    if re.search(r"^\s*pngcairo\s", terms, re.M):
        term = "pngcairo size %d,%d font ',9' noenhanced" % size
    elif re.search(r"^\s*png\s", terms, re.M):
        term = "png size %d,%d noenhanced" % size
    else:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        script = ["set terminal " + term, "set output " + gq(path),
                  "set multiplot layout %d,1" % len(panels)]
        for pi, p in enumerate(panels):
            script.append("set title " + gq(p["title"] + ": cost against the number "
                                            "of other tracked processes"))
            script.append("set xlabel 'other processes tracked (besides the benchmark)'")
            script.append("set ylabel " + gq(p["ylabel"] + (" (log scale)" if p["log"] else "")))
            script.append("set xtics (%s)" % ", ".join(
                "%s %d" % (gq(lab), i) for i, lab in enumerate(p["xlabels"])))
            script.append("set xrange [-0.2:%f]" % (len(p["xlabels"]) - 0.8))
            script.append("set logscale y" if p["log"] else "unset logscale y")
            script.append("set key outside right top")
            script.append("set grid ytics")
            plots = []
            for k, (wl, pts) in enumerate(p["lines"].items()):
                color = "#%02x%02x%02x" % PALETTE[k % len(PALETTE)]
                fn = os.path.join(tmp, "p%d-%s.dat" % (pi, wl))
                with open(fn, "w") as f:
                    f.writelines("%d %f\n" % xy for xy in pts)
                plots.append("%s using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '%s' title %s"
                             % (gq(fn), color, gq(wl)))
                if wl in p["idle"]:
                    fn = os.path.join(tmp, "i%d-%s.dat" % (pi, wl))
                    with open(fn, "w") as f:
                        f.writelines("%d %f\n" % xy for xy in p["idle"][wl])
                    plots.append("%s using 1:2 with points pt 6 ps 1.6 lc rgb '%s' notitle"
                                 % (gq(fn), color))
            if any(p["idle"].values()):
                plots.append("NaN with points pt 6 ps 1.6 lc 'black' "
                             "title 'idleN control (N untracked)'")
            plots.append("1.05 with lines dt 2 lc 'red' title 'tracked target 1.05'")
            plots.append("1.0 with lines dt 3 lc 'black' title '1.0'")
            script.append("plot " + ", ".join(plots))
        script.append("unset multiplot")
        sf = os.path.join(tmp, "plot.gp")
        with open(sf, "w") as f:
            f.write("\n".join(script) + "\n")
        r = subprocess.run([gp, sf], capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write("bench-report: gnuplot failed: %s\n" % r.stderr.strip())
            return False
        return True


# A 5x7 font, column-major, bit 0 at the top; lower case only.
FONT = {
    "0": "3e5149453e", "1": "00427f4000", "2": "4261514946", "3": "2141454b31",
    "4": "1814127f10", "5": "2745454539", "6": "3c4a494930", "7": "0171090503",
    "8": "3649494936", "9": "064949291e", "a": "2054545478", "b": "7f48444438",
    "c": "3844444420", "d": "384444487f", "e": "3854545418", "f": "087e090102",
    "g": "0c5252523e", "h": "7f08040478", "i": "00447d4000", "j": "2040443d00",
    "k": "7f10284400", "l": "00417f4000", "m": "7c04180478", "n": "7c08040478",
    "o": "3844444438", "p": "7c14141408", "q": "081414187c", "r": "7c08040408",
    "s": "4854545420", "t": "043f444020", "u": "3c4040207c", "v": "1c2040201c",
    "w": "3c4030403c", "x": "4428102844", "y": "0c5050503c", "z": "4464544c44",
    ".": "0060600000", "-": "0808080808", "_": "4040404040", "/": "2010080402",
    "(": "001c224100", ")": "0041221c00", "=": "1414141414", ":": "0036360000",
    ",": "0050300000", "%": "2313086462", "+": "08083e0808", "<": "0814224100",
    ">": "0041221408", " ": "0000000000", "'": "0000070000",
}
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
           (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
           (188, 189, 34), (23, 190, 207)]


class Canvas:
    def __init__(self, w, h):
        self.w, self.h = w, h
        self.px = bytearray(b"\xff" * (w * h * 3))

    def set(self, x, y, c):
        x, y = int(x), int(y)
        if 0 <= x < self.w and 0 <= y < self.h:
            i = (y * self.w + x) * 3
            self.px[i:i + 3] = bytes(c)

    def line(self, x0, y0, x1, y1, c, width=1, dash=0):
        x0, y0, x1, y1 = int(round(x0)), int(round(y0)), int(round(x1)), int(round(y1))
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err, n = dx + dy, 0
        while True:
            if not dash or (n // dash) % 2 == 0:
                for k in range(width):
                    for j in range(width):
                        self.set(x0 + k - width // 2, y0 + j - width // 2, c)
            n += 1
            if x0 == x1 and y0 == y1:
                break
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def rect(self, x0, y0, x1, y1, c):
        for y in range(int(y0), int(y1) + 1):
            for x in range(int(x0), int(x1) + 1):
                self.set(x, y, c)

    def text(self, x, y, s, c=(0, 0, 0), scale=1, vertical=False):
        for ch in s.lower():
            cols = FONT.get(ch, FONT[" "]).replace(" ", "")
            for ci in range(5):
                bits = int(cols[ci * 2:ci * 2 + 2], 16)
                for r in range(7):
                    if bits >> r & 1:
                        for a in range(scale):
                            for b in range(scale):
                                if vertical:
                                    self.set(x + r * scale + a, y - ci * scale - b, c)
                                else:
                                    self.set(x + ci * scale + a, y + r * scale + b, c)
            if vertical:
                y -= 6 * scale
            else:
                x += 6 * scale

    def png(self):
        raw = b"".join(b"\x00" + bytes(self.px[y * self.w * 3:(y + 1) * self.w * 3])
                       for y in range(self.h))

        def chunk(t, d):
            return (struct.pack(">I", len(d)) + t + d +
                    struct.pack(">I", zlib.crc32(t + d) & 0xffffffff))
        return (b"\x89PNG\r\n\x1a\n" +
                chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def nice_ticks(lo, hi, n=6):
    import math
    span = hi - lo
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    t = math.ceil(lo / step) * step
    out = []
    while t <= hi + 1e-12:
        out.append(t)
        t += step
    return out


def plot_python(panels, path):
    import math
    if not panels:
        panels = [{"title": "no scaling figures", "xlabels": ["0", "1"], "lines": {},
                   "idle": {}, "log": False, "ylabel": ""}]
    pw, ph = 1000, 440
    cv = Canvas(pw, ph * len(panels))
    for pi, p in enumerate(panels):
        oy = pi * ph
        left, right, top, bottom = 80, pw - 250, oy + 40, oy + ph - 50
        ys = [y for pts in list(p["lines"].values()) + list(p["idle"].values())
              for _, y in pts] + [1.0, 1.05]
        tf = (lambda v: math.log10(max(v, 1e-9))) if p["log"] else (lambda v: v)
        lo, hi = tf(min(ys)), tf(max(ys))
        pad = (hi - lo) * 0.08 or 0.01
        lo, hi = lo - pad, hi + pad
        nx = len(p["xlabels"])

        def X(i):
            return left + (right - left) * (i + 0.3) / (nx - 0.4)

        def Y(v):
            return bottom - (bottom - top) * (tf(v) - lo) / (hi - lo)
        cv.text(left, oy + 12, p["title"] + ": cost against the number of other tracked processes")
        if p["log"]:
            ticks = [m * 10 ** e for e in range(math.floor(lo), math.ceil(hi) + 1)
                     for m in (1, 2, 5) if lo <= math.log10(m * 10 ** e) <= hi]
        else:
            ticks = nice_ticks(lo, hi)
        for t in ticks:
            cv.line(left, Y(t), right, Y(t), (225, 225, 225))
            cv.text(left - 50, Y(t) - 3, ("%.3g" if p["log"] else "%.3f") % t)
        cv.line(left, top, left, bottom, (0, 0, 0))
        cv.line(left, bottom, right, bottom, (0, 0, 0))
        for i, lab in enumerate(p["xlabels"]):
            cv.line(X(i), bottom, X(i), bottom + 4, (0, 0, 0))
            cv.text(int(X(i)) - 3 * len(lab), bottom + 8, lab)
        cv.text((left + right) // 2 - 140, bottom + 24, "other processes tracked (besides the benchmark)")
        cv.text(left - 70, (top + bottom) // 2 + 120,
                p["ylabel"] + (" (log scale)" if p["log"] else ""), vertical=True)
        cv.line(left, Y(1.05), right, Y(1.05), (214, 39, 40), dash=6)
        cv.line(left, Y(1.0), right, Y(1.0), (0, 0, 0), dash=3)
        for k, (wl, pts) in enumerate(p["lines"].items()):
            c = PALETTE[k % len(PALETTE)]
            for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
                cv.line(X(x0), Y(y0), X(x1), Y(y1), c, width=2)
            for x, y in pts:
                cv.rect(X(x) - 2, Y(y) - 2, X(x) + 2, Y(y) + 2, c)
            for x, y in p["idle"].get(wl, []):
                for a, b, d, e in ((-4, -4, 4, -4), (4, -4, 4, 4), (4, 4, -4, 4), (-4, 4, -4, -4)):
                    cv.line(X(x) + a, Y(y) + b, X(x) + d, Y(y) + e, c)
            ly = top + 10 + k * 16
            cv.rect(right + 15, ly, right + 35, ly + 3, c)
            cv.text(right + 42, ly - 2, wl)
        ly = top + 10 + len(p["lines"]) * 16
        cv.line(right + 15, ly + 1, right + 35, ly + 1, (214, 39, 40), dash=6)
        cv.text(right + 42, ly - 2, "tracked target 1.05")
        if any(p["idle"].values()):
            ly += 16
            for a, b, d, e in ((-4, -4, 4, -4), (4, -4, 4, 4), (4, 4, -4, 4), (-4, 4, -4, -4)):
                cv.line(right + 25 + a, ly + 1 + b, right + 25 + d, ly + 1 + e, (0, 0, 0))
            cv.text(right + 42, ly - 2, "idlen control (n untracked)")
    with open(path, "wb") as f:
        f.write(cv.png())
    return True


# ---------------------------------------------------------------------------


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    manifest, outdir = argv[1], argv[2]
    m = read_manifest(manifest)
    problems = []
    results = []
    for k in m["kernels"]:
        res = analyse_kernel(k, problems)
        check_complete(res, m["settings"], problems)
        results.append(res)
    if not results:
        problems.append("no kernel was benchmarked")

    os.makedirs(outdir, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sections = []
    for res in results:
        md = kernel_markdown(res, m["settings"], m["mode"], problems)
        with open(os.path.join(outdir, "%s-%s.md" % (res["series"], res["arch"])), "w") as f:
            f.write("# restrack benchmark: %s %s\n\n%s\n" % (res["series"], res["arch"], md))
        sections.append(md)

    panels = plot_series(results)
    png = os.path.join(outdir, "scaling.png")
    backend = "gnuplot" if plot_gnuplot(panels, png) else None
    if not backend:
        plot_python(panels, png)
        backend = "python"

    s = m["settings"]
    head = ["# restrack benchmark report", ""]
    if m["mode"] == "smoke":
        head += ["> **SMOKE RUN**: a few iterations, to check that the pipeline works. "
                 "The figures mean nothing.", ""]
    if any(r["baseline"] == "standin" for r in results):
        head += ["> **Stand-in baseline** for: %s — the patched kernel's own `untracked` "
                 "figures replace the baseline kernel's; those ratios are not the "
                 "real comparison." % ", ".join("%s/%s" % (r["series"], r["arch"])
                                                for r in results if r["baseline"] == "standin"), ""]
    head += [
        "Generated %s by `scripts/bench.sh`. Each figure: the median of %s reps of a "
        "tight loop (%s iterations unless the table says otherwise), timed in the guest "
        "with `CLOCK_MONOTONIC` under QEMU `-icount shift=0,align=off,sleep=off` (one "
        "vCPU): 1 ns is one guest instruction, so the figures are instruction counts and "
        "repeat closely; host load does not change them." % (now, s.get("reps", "?"), s.get("iters", "?")),
        "",
        "Kernels: the test kernels of `scripts/build-test-kernel.sh` (tinyconfig plus "
        "`config-fragments/`); the baseline is the same source and configuration with "
        "`CONFIG_RESOURCE_TRACKER` off (`FLAVOUR=baseline`). The baseline runs "
        "`untracked` and the peers `rlimit` and `memcg` (the alternatives a user of "
        "an unpatched kernel has); the peer targets divide the patched kernel's "
        "`quota` by them.",
        "",
        "Conditions:",
        "",
        "- `baseline`: %s" % CONDITION_TEXT["baseline"],
    ]
    allconds = sorted({c for r in results for c in r["figures"]}, key=cond_sort_key)
    for c in allconds:
        head.append("- `%s`: %s" % (c, cond_text(c)))
    head += ["",
             "Workloads: one system call pattern per loop, in the shape of will-it-scale's "
             "open1/dup1/brk1/mmap1: `open_close` (a tmpfs file), `dup_close`, "
             "`pipe_close` (pipe + 2 closes), `socket_close` (AF_UNIX), `scm_rights_pass` "
             "(a descriptor sent to the process itself over an AF_UNIX socketpair with "
             "SCM_RIGHTS, received and closed: the receive path of the file quota), "
             "`mmap_4k` and "
             "`mmap_1m_touch` (private anonymous, the latter writing every page), `brk` "
             "(one page up and down), `malloc_1m` (glibc, mmap threshold pinned at 128 KiB "
             "so each call maps and unmaps), `fork_exit_wait` (the children are untracked "
             "by design), `vfork_exit` (vfork, the child exits at once, waitpid), "
             "`getpgid_x2` (two getpgid() of an untracked sleeping process: the "
             "kernel's pid lookup, the control for `register_deregister`, with no scaling "
             "target), `thread_create_exit` (pthread_create of a thread that returns at "
             "once, pthread_join), "
             "`register_deregister` (of that same sleeping process). The conditions with many "
             "other processes run the scaling workloads only (`BENCH_SCALING_WORKLOADS`).",
             "", "Plot: `scaling.png` (%s)." % backend, ""]
    summary = ["## Summary", "", "| kernel | baseline | targets met | missed |", "|---|---|---|---|"]
    for r in results:
        summary.append("| %s %s | %s | %s | %s |" % (
            r["series"], r["arch"], r["baseline"] or "none",
            r.get("targets_met", "—") if r["baseline"] == "baseline" else "—",
            (", ".join(r.get("missed", [])) or "none") if r["baseline"] == "baseline" else "not judged"))
    summary.append("")
    if problems:
        summary += ["Problems:", ""] + ["- " + p for p in problems] + [""]
    report = "\n".join(head + summary + sections + [build_markdown(m["build"])])
    with open(os.path.join(outdir, "report.md"), "w") as f:
        f.write(report)

    doc = {
        "schema": 1,
        "generated": now,
        "mode": m["mode"],
        "units": "guest ns per operation under QEMU -icount shift=0 (= guest instructions)",
        "targets": {"untracked": TARGET_UNTRACKED, "tracked": TARGET_TRACKED,
                    "scaling": TARGET_SCALING,
                    "quota_over_rlimit": TARGET_VS_RLIMIT,
                    "quota_over_memcg": TARGET_VS_MEMCG,
                    "deny_over_quota": TARGET_DENY,
                    "inherit_fork": TARGET_INHERIT_FORK,
                    "peers_definition": "patched quota / baseline rlimit or memcg; "
                                        "patched deny / patched quota",
                    "scaling_definition": "othersMAX / others1, same kernel"},
        "settings": m["settings"],
        "kernels": results,
        "build_pipeline": m["build"] or {"status": "not measured"},
        "plot_backend": backend,
        "problems": problems,
    }
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    for p in problems:
        sys.stderr.write("bench-report: %s\n" % p)
    missed = sum(r.get("targets_missed", 0) for r in results if r["baseline"] == "baseline")
    if missed:
        sys.stderr.write("bench-report: %d targets missed\n" % missed)
    if problems or (missed and os.environ.get("BENCH_STRICT") == "1"):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
