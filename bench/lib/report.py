#!/usr/bin/env python3
"""bench/results.json and bench/results.md from bench/run's records.

    report.py RECORDS.tsv RESULTS.json RESULTS.md

RECORDS.tsv has one `SECTION CASE TOOL KIND VALUE` line per figure (see
bench/lib/common.sh). KINDs ending in `run` are timeit lines (`wall_ns
maxrss_kib status`); everything else is a fact. The JSON keeps every raw
number; the Markdown has one table per item of bench/run, with medians and
ratios, the command lines, and what the numbers mean. Standard library only.
"""

import json
import os
import re
import statistics
import sys

PATH_SUBST = []  # (prefix, replacement) for command lines in the report


def load(path):
    data = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if not line:
            continue
        parts = line.split("\t", 4)
        if len(parts) < 5:
            parts += [""] * (5 - len(parts))
        section, case, tool, kind, value = parts
        node = data.setdefault(section, {}).setdefault(case, {}).setdefault(tool, {})
        if kind.endswith("run"):
            f = [int(x) for x in value.split()]
            run = {"wall_ns": f[0], "maxrss_kib": f[1], "status": f[2]}
            if len(f) >= 5:
                run["user_us"], run["sys_us"] = f[3], f[4]
            node.setdefault(kind + "s", []).append(run)
        elif kind == "part":
            node.setdefault(kind, []).append(value)
        else:
            node[kind] = value
    return data


def summarize(data):
    """Adds median/min/max to every list of runs, in place."""
    for section in data.values():
        for case in section.values():
            for tool in case.values():
                for key in [k for k in tool if k.endswith("runs")]:
                    runs = tool[key]
                    walls = [r["wall_ns"] / 1e6 for r in runs]
                    rss = [r["maxrss_kib"] for r in runs]
                    prefix = key[:-4]  # "" for runs, "enter_" for enter_runs
                    tool[prefix + "summary"] = {
                        "n": len(runs),
                        "wall_ms_median": statistics.median(walls),
                        "wall_ms_min": min(walls),
                        "wall_ms_max": max(walls),
                        "maxrss_kib_median": statistics.median(rss),
                        "user_ms_median": statistics.median(r.get("user_us", 0) / 1e3 for r in runs),
                        "sys_ms_median": statistics.median(r.get("sys_us", 0) / 1e3 for r in runs),
                        "all_exit_0": all(r["status"] == 0 for r in runs),
                    }
    return data


def get(data, *keys, default=None):
    node = data
    for k in keys:
        if not isinstance(node, dict) or k not in node:
            return default
        node = node[k]
    return node


def num(x, default=None):
    try:
        return float(x)
    except (TypeError, ValueError):
        return default


def fmt_ms(ms):
    if ms is None:
        return "-"
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    return f"{ms:.2f}"


def fmt_bytes(b):
    if b is None:
        return "-"
    b = float(b)
    if b >= 1 << 30:
        return f"{b / (1 << 30):.2f} GiB"
    if b >= 1 << 20:
        return f"{b / (1 << 20):.1f} MiB"
    if b >= 1 << 10:
        return f"{b / (1 << 10):.1f} KiB"
    return f"{b:.0f} B"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    r = a / b
    return f"{r:.2f}x" if r < 10 else f"{r:.0f}x"


def clean_cmd(cmd):
    for prefix, repl in PATH_SUBST:
        cmd = cmd.replace(prefix, repl)
    return cmd


# ---------------------------------------------------------------- VM logs

JOURNAL = re.compile(r"^(\d{9,})\s+(\S+)\s+(\S+)\s*(.*)$")
STATUS = re.compile(r"^\s*\+\s*(\d+)s\s+(\S+)\s+(\S+)\s*(.*)$")


def journal_events(log_path):
    """The first complete journal in a serial log. A log may hold raw
    journal lines (`<unix-time> <stage> <event> <detail>`, e.g. `cat
    journal`), `rootlift status` lines (`+ Ns stage event detail`), or both
    (a scenario grepping one raw line before printing the status): each
    form is read on its own and the one with the most events, starting at
    enter.begin, is used."""
    try:
        lines = open(log_path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        return []
    best = []
    for pattern in (JOURNAL, STATUS):
        events = []
        for line in lines:
            m = pattern.match(line)
            if not m:
                continue
            t, stage, event, detail = int(m.group(1)), m.group(2), m.group(3), m.group(4)
            if not events and event != "enter.begin":
                continue
            if event == "enter.begin" and any(e["event"] == "return.done" for e in events):
                break  # the same journal printed a second time
            events.append({"t": t, "stage": stage, "event": event, "detail": detail})
        if len(events) > len(best):
            best = events
    return best


BENCH = re.compile(r"^BENCH (\S+) ([0-9.]+)$")


def guest_failure(log_path):
    """Why a scenario failed, from its log: the RESULT line and the first
    error line a tool printed, or None when it passed."""
    text = open(log_path, encoding="utf-8", errors="replace").read()
    if re.search(r"^RESULT: PASS$", text, re.M):
        return None
    result = re.search(r"^RESULT: (.*)$", text, re.M)
    error = re.search(r"^(\S+: error: .*|vm: FAIL .*)$", text, re.M)
    parts = [m.group(1).strip() for m in (result, error) if m]
    return "; ".join(parts) or "no RESULT line (the guest panicked or timed out)"


def bench_lines(log_path):
    """`BENCH name value` lines of bench/vm/bench_lift.sh: name -> values."""
    out = {}
    for line in open(log_path, encoding="utf-8", errors="replace").read().splitlines():
        m = BENCH.match(line.strip())
        if m:
            out.setdefault(m.group(1), []).append(float(m.group(2)))
    return out


def phases(events):
    """Seconds between journal events (whole seconds: the journal's unit)."""
    def first(ev, after=None, pred=None):
        for i, e in enumerate(events):
            if after is not None and i <= after:
                continue
            if e["event"] == ev and (pred is None or pred(e)):
                return i
        return None

    out = {}
    b, d = first("enter.begin"), first("enter.done")
    if b is not None and d is not None:
        out["enter"] = events[d]["t"] - events[b]["t"]
    rb = None
    for i, e in enumerate(events):
        if e["event"] == "release.begin" and "kill=true" in e["detail"]:
            rb = i
    rd = first("release.done", after=rb) if rb is not None else None
    if rb is not None and rd is not None:
        out["release --kill"] = events[rd]["t"] - events[rb]["t"]
    # Job steps: from one job.step to the next job.step or job.result.
    steps = [i for i, e in enumerate(events) if e["event"] in ("job.step", "job.result")]
    for a, z in zip(steps, steps[1:]):
        m = re.search(r"step=(\S+)", events[a]["detail"])
        if m and m.group(1) != "check":
            out["job: " + m.group(1)] = events[z]["t"] - events[a]["t"]
    b, d = first("return.begin"), first("return.done")
    if b is not None and d is not None:
        out["return"] = events[d]["t"] - events[b]["t"]
    b = first("enter.begin")
    d = first("job.done")
    if d is None:
        d = first("return.done")
    if b is not None and d is not None:
        out["enter.begin to the end"] = events[d]["t"] - events[b]["t"]
    return out


# ---------------------------------------------------------------- report

def main():
    records, out_json, out_md = sys.argv[1:4]
    data = summarize(load(records))
    meta = {k: v for k, v in get(data, "meta", "-", "-", default={}).items()}
    work = os.path.dirname(os.path.abspath(records))
    PATH_SUBST.append((work + "/rootlift", "rootlift"))
    PATH_SUBST.append((work + "/bin/", ""))
    PATH_SUBST.append((work, "$W"))
    rb = meta.get("rootlift_bin", "")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    PATH_SUBST.append((os.path.join(repo, rb), "rootlift"))

    # VM journals and the bench scenario's BENCH lines
    for name, node in get(data, "vm", default={}).items():
        log = get(node, "rig", "serial_log")
        if log and log != "missing" and os.path.exists(log):
            if name == "bench_lift":
                node["bench"] = bench_lines(log)
            else:
                ev = journal_events(log)
                node["journal"] = {"events": ev, "phases_s": phases(ev)}
                took = re.search(r"^vm: demo: the shrink took (\d+) s$",
                                 open(log, encoding="utf-8", errors="replace").read(), re.M)
                if took:
                    node.setdefault("scenario", {})["shrink_s"] = took.group(1)
            why = guest_failure(log)
            if why:
                node["rig"]["guest_failure"] = why
            node["rig"]["serial_log"] = f"target/vm/run/{name}/serial.log"

    md = []
    w = md.append
    w("# rootlift benchmark results")
    w("")
    w("Generated by `make bench` (`bench/run`); do not edit by hand. Raw numbers: "
      "`bench/results.json`. Every figure below was measured in this one run, on this machine, "
      "next to what it is compared with.")
    w("")
    w("| | |")
    w("| --- | --- |")
    for key, label in [("date", "date"), ("cpus", "CPUs"), ("cpu_model", "CPU"),
                       ("kernel", "kernel"), ("os", "OS"), ("virt", "virtualization"),
                       ("mem_total_kib", "RAM"), ("loadavg_start", "load average at start"),
                       ("loadavg_end", "load average at end"), ("rootlift_version", "rootlift"),
                       ("git", "commit"), ("rootlift_bin", "binary"),
                       ("rootlift_sha256", "binary sha256 (first 16)"), ("rootlift_built", "binary built"),
                       ("bench_wall_s", "bench wall time")]:
        v = meta.get(key)
        if v is None:
            continue
        if key == "mem_total_kib":
            v = fmt_bytes(int(v) * 1024)
        if key == "bench_wall_s":
            v = f"{v} s"
        w(f"| {label} | {v} |")
    w("")
    w("Times are wall-clock medians measured by `bench/lib/timeit.c` (fork, exec, wait4: "
      "CLOCK_MONOTONIC around the whole process, so process start-up and the dynamic loader are "
      "included); peak RSS is wait4's `ru_maxrss`, the figure `/usr/bin/time -v` prints as "
      "\"Maximum resident set size\". `$W` in command lines is the run's temporary "
      "directory. The machine is shared (2 CPUs, other jobs running: see the "
      "load average), so single runs are noisy; medians and min–max are given.")
    w("")

    summary_rows = []

    # ---------------------------------------------------------- 1 size
    size = get(data, "size", default={})
    rl = num(get(size, "rootlift", "rootlift", "bytes"))
    w("## 1. Binary size")
    w("")
    w("| binary | package version | bytes | size | vs rootlift | `file` says |")
    w("| --- | --- | ---: | ---: | ---: | --- |")
    for case in ("rootlift", "busybox-static", "e2fsck-static"):
        node = get(size, case, case, default={})
        b = num(node.get("bytes"))
        desc = node.get("file", "")
        short = ", ".join(p.strip() for p in desc.split(",")
                          if any(k in p for k in ("statically", "dynamically", "stripped", "interpreter")))
        path = node.get("path", case).replace(repo + "/", "")
        w(f"| {path} | {node.get('version', '')} | {b:.0f} | {fmt_bytes(b)} | "
          f"{ratio(b, rl)} | {short} |")
    dyn = get(size, "e2fsck-dynamic", "e2fsck + closure", default={})
    if dyn:
        b = num(dyn.get("bytes"))
        w(f"| /usr/sbin/e2fsck + its shared-library closure ({dyn.get('files')} files) | | {b:.0f} | "
          f"{fmt_bytes(b)} | {ratio(b, rl)} | dynamically linked (what a kit brings) |")
    w("")
    bb = num(get(size, "busybox-static", "busybox-static", "bytes"))
    es = num(get(size, "e2fsck-static", "e2fsck-static", "bytes"))
    w(f"Commands: `stat -c %s` and `file -b` on each binary; the closure is "
      f"`{clean_cmd(dyn.get('cmd', ''))}`.")
    w("")
    w("**What this means.** " + (
        f"rootlift is {fmt_bytes(rl)}, {'under' if rl <= 512 * 1024 else 'OVER'} the 512 KiB goal; "
        f"that is {rl / bb * 100:.0f}% of busybox-static and {rl / es * 100:.0f}% of e2fsck-static. "
        f"In that size it carries the lift itself (mounts, pivot, journal, init stub), its own "
        f"device-mapper client, superblock readers (probe, ext4), the holder scan and the ELF "
        f"closure resolver. What a lift copies beyond rootlift is the job's own "
        f"programs (the e2fsck closure alone is {fmt_bytes(num(dyn.get('bytes')))}), not rootlift."
        if rl and bb and es else "a size is missing."))
    w("")
    summary_rows.append(("1 size", "rootlift binary", fmt_bytes(rl),
                         f"busybox-static {fmt_bytes(bb)} ({ratio(bb, rl)}), e2fsck-static {fmt_bytes(es)} ({ratio(es, rl)})"))

    # ---------------------------------------------------------- 2 footprint
    fp = get(data, "footprint", default={})
    grow = get(data, "growth", default={})
    manual_du = num(get(fp, "manual", "du", "du_sxb"))
    manual_alloc = num(get(fp, "manual", "du", "du_sx_alloc"))
    manual_cp = get(fp, "manual", "cp", default={})
    manual_used = num(manual_cp.get("tmpfs_used"))
    base = manual_used or manual_du
    w("## 2. tmpfs footprint of a lift")
    w("")
    w("Each kit is brought into a fresh tmpfs (`rootlift bring`, configuration copied with "
      "`cp -a --parents`); *tmpfs used* is statfs(2)'s used blocks (what `df` shows), *apparent* "
      "is `du -sb`. The last column is what a real `rootlift enter` left in its tmpfs (item 6): "
      "`--bring` of the same programs (`enter` has no option for configuration files such as "
      "/etc/lvm, so those are missing there), and for the last kit `enter --ssh`, rootlift's own "
      "sshd kit, in place of the bench's approximation.")
    w("")
    w("| what is in the tmpfs | files | tmpfs used | apparent (du -sb) | share of the manual copy | real `enter` tmpfs (item 6) |")
    w("| --- | ---: | ---: | ---: | ---: | ---: |")
    real_kit = {"enter": "none", "shrink": "shrink", "shrink+sshd": "shrink+ssh"}
    labels = {"enter": "`enter` alone (rootlift)",
              "shrink": "shrink kit: e2fsck, resize2fs, lvm + closure + /etc/lvm",
              "shrink+sshd": "shrink kit + the bench's sshd kit (sshd, PAM and NSS modules + closure, /etc/ssh, PAM and account files)"}
    kit_used = {}
    for kit in ("enter", "shrink", "shrink+sshd"):
        node = get(fp, kit, "rootlift", default={})
        used = num(node.get("tmpfs_used"))
        kit_used[kit] = used
        real = get(grow, real_kit[kit], "rootlift", "tmpfs_used")
        share = f"{used / base * 100:.2f}%" if used and base else "-"
        w(f"| {labels[kit]} | {node.get('files', '-')} | {fmt_bytes(used)} | {fmt_bytes(num(node.get('du_sb')))} | "
          f"{share} | {fmt_bytes(num(real))} |")
    if manual_cp.get("skipped"):
        w(f"| manual `cp -ax` of the directories below (not copied: {manual_cp['skipped']}) | | - | "
          f"{fmt_bytes(manual_du)} | 100% | |")
    else:
        cp_ms = get(manual_cp, "summary", "wall_ms_median")
        w(f"| manual `cp -ax /bin /sbin /lib /lib64 /usr/{{bin,sbin,lib,lib64}} /etc`, really copied "
          f"({cp_ms / 1000:.1f} s) | {manual_cp.get('files', '-')} | {fmt_bytes(manual_used)} | "
          f"{fmt_bytes(manual_du)} | 100% | |")
    howto = num(get(fp, "howto", "du", "du_sxb"))
    w(f"| the howto's full list (adds /mnt, /run, /var/{{lib,spool,...}}), du only | | | {fmt_bytes(howto)} | "
      f"{howto / manual_du * 100:.0f}% (of the du) | |" if howto and manual_du else "")
    w("")
    parts = get(fp, "usr_lib_top", "du", "part", default=[])
    if parts:
        w("This machine is a development container, not a server: the manual copy is dominated by "
          + ", ".join(f"{p.split(' ', 1)[1]} ({fmt_bytes(num(p.split(' ', 1)[0]))})" for p in parts[:4])
          + ". The how-to's server needed 1.6 GB. Here the baseline is this Debian 12 host; "
            "item 5b measures the same copy set on the Debian acceptance guest.")
        w("")
    w("Commands: `" + clean_cmd(get(fp, "manual", "du", "cmd", default="")) + "`; "
      "`rootlift bring $W/fp PROGRAM...`; `stat -f -c '%b %f %S'`; `du -sb`.")
    w("")
    prog = get(fp, "shrink+sshd", "rootlift", "programs", default="")
    w(f"sshd kit programs: `{prog.replace('/usr/lib/x86_64-linux-gnu/security/', '…/security/')}`; "
      f"files: `{get(fp, 'shrink+sshd', 'rootlift', 'configs', default='')}`. This approximation "
      "(modules named by /etc/pam.d/sshd and its includes) predates `enter --ssh`; rootlift's "
      "own kit (modules named anywhere in /etc/pam.d, root's shell, all of /etc/pam.d and more "
      "account files) is the last column.")
    w("")
    if base and kit_used.get("shrink+sshd"):
        real_ssh = num(get(grow, "shrink+ssh", "rootlift", "tmpfs_used"))
        w(f"**What this means.** A shrink lift with SSH needs {fmt_bytes(kit_used['shrink+sshd'])} of RAM "
          + (f"(rootlift's own `enter --ssh` with the shrink programs: {fmt_bytes(real_ssh)}) " if real_ssh else "")
          + f"in the tmpfs, {base / kit_used['shrink+sshd']:.0f} times less than the manual copy "
          f"({fmt_bytes(base)} here); `enter` alone needs {fmt_bytes(kit_used['enter'])}. "
          "Nearly all of a kit is the job's shared libraries (libc, libcrypto, libsystemd, lvm's "
          "dependencies), not rootlift.")
        w("")
    summary_rows.append(("2 tmpfs", "shrink + sshd kit", fmt_bytes(kit_used.get("shrink+sshd")),
                         f"manual cp -ax {fmt_bytes(base)} ({ratio(base, kit_used.get('shrink+sshd'))}); enter alone {fmt_bytes(kit_used.get('enter'))}"))

    # ---------------------------------------------------------- 3 holders
    hd = get(data, "holders", default={})
    ns = sorted((c for c in hd if c.startswith("N=")), key=lambda c: int(c[2:]))
    w("## 3. Holder scan")
    w("")
    m_files = get(hd, ns[0], "load", "files_per_holder") if ns else "?"
    w(f"Synthetic load in a fresh PID namespace (`unshare --pid --fork --mount-proc`): N processes "
      f"(`bench/lib/holdfarm.c`), each with {m_files} files of a tmpfs open and one file of it "
      f"mmapped (fd closed); every 10th holds the mapping only. Each tool scans that tmpfs; "
      f"*found* is how many of the N holder PIDs its PID list names (`rootlift holders --json`, "
      f"`fuser -m`, `lsof -t`), *extra* how many other PIDs.")
    w("")
    w("| N | tool | median wall | min–max | vs rootlift | CPU user + sys | median peak RSS | found | extra |")
    w("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for c in ns:
        n = c[2:]
        r_ms = get(hd, c, "rootlift", "summary", "wall_ms_median")
        for tool in ("rootlift", "fuser", "lsof"):
            s = get(hd, c, tool, "summary", default={})
            found = get(hd, c, tool, "found", default="-")
            extra = get(hd, c, tool, "extra", default="-")
            holders = get(hd, c, "load", "holders", default=n)
            w(f"| {n} | {tool} | {fmt_ms(s.get('wall_ms_median'))} ms | "
              f"{fmt_ms(s.get('wall_ms_min'))}–{fmt_ms(s.get('wall_ms_max'))} ms | "
              f"{ratio(s.get('wall_ms_median'), r_ms)} | "
              f"{fmt_ms(s.get('user_ms_median'))} + {fmt_ms(s.get('sys_ms_median'))} ms | "
              f"{fmt_bytes((s.get('maxrss_kib_median') or 0) * 1024)} | "
              f"{found}/{holders} | {extra} |")
    w("")
    if ns:
        runs = get(hd, ns[0], "rootlift", "summary", "n")
        gt = []
        for t in ("rootlift", "fuser", "lsof"):
            v = get(hd, ns[-1], t, "gnu_time", default="").split()
            if len(v) == 2:
                gt.append(f"{t} {v[0]} and {fmt_bytes(num(v[1], 0) * 1024)}")
        if gt:
            w(f"Cross-check with `/usr/bin/time -v` (one run each at N={ns[-1][2:]}, elapsed and "
              f"maximum resident set size): " + "; ".join(gt) + ".")
            w("")
        w(f"{runs} timed runs per cell after one warm-up, the three tools round-robin (run i of "
          f"each before run i + 1 of any). Commands: "
          + "; ".join(f"`{clean_cmd(get(hd, ns[0], t, 'cmd', default=''))}`" for t in ("rootlift", "fuser", "lsof"))
          + f" (output to /dev/null). Versions: {get(hd, '-', 'fuser', 'version', default='?')}; "
            f"{get(hd, '-', 'lsof', 'version', default='?')}.")
        w("")
        big = ns[-1]
        rr = get(hd, big, "rootlift", "summary", default={})
        fu = get(hd, big, "fuser", "summary", default={})
        ls = get(hd, big, "lsof", "summary", default={})
        allfound = all(get(hd, c, t, "found") == get(hd, c, "load", "holders")
                       for c in ns for t in ("rootlift", "fuser", "lsof"))
        text = (f"**What this means.** At N={big[2:]} rootlift takes {fmt_ms(rr.get('wall_ms_median'))} ms "
                f"against fuser's {fmt_ms(fu.get('wall_ms_median'))} ms and lsof's "
                f"{fmt_ms(ls.get('wall_ms_median'))} ms, with a peak RSS of "
                f"{fmt_bytes(rr.get('maxrss_kib_median', 0) * 1024)} (fuser "
                f"{fmt_bytes(fu.get('maxrss_kib_median', 0) * 1024)}, lsof "
                f"{fmt_bytes(ls.get('maxrss_kib_median', 0) * 1024)}). ")
        if allfound:
            text += ("All three found every holder, including the mapping-only ones; rootlift "
                     "additionally says how each one holds (fd number, map, cwd, exe...), which "
                     "`release` needs. ")
        else:
            text += "Not every tool found every holder: see the *found* column. "
        shares = []
        for t, node in (("rootlift", rr), ("fuser", fu), ("lsof", ls)):
            cpu = (node.get("user_ms_median") or 0) + (node.get("sys_ms_median") or 0)
            if cpu:
                shares.append(f"{t} {node.get('sys_ms_median', 0) / cpu * 100:.0f}%")
        r0 = get(hd, ns[0], "rootlift", "summary", "maxrss_kib_median")
        f0 = get(hd, ns[0], "fuser", "summary", "maxrss_kib_median")
        if r0 and rr.get("maxrss_kib_median") and len(ns) > 1:
            per = (rr["maxrss_kib_median"] - r0) * 1024 / (int(big[2:]) - int(ns[0][2:]))
            text += (f"rootlift's peak RSS is {fmt_bytes(r0 * 1024)} at N={ns[0][2:]} and "
                     f"{fmt_bytes(rr['maxrss_kib_median'] * 1024)} at N={big[2:]} (about {per:.0f} bytes per "
                     f"holder: `--json` is written as the scan goes, and the text table keeps each holder as "
                     f"a few ids into one table of distinct strings until it knows its column widths); "
                     f"fuser's is {fmt_bytes((f0 or 0) * 1024)} at N={ns[0][2:]}. ")
        if shares:
            text += ("Share of each scanner's CPU time spent in the kernel (reading /proc/PID/fd, "
                     "fdinfo and maps): " + ", ".join(shares) + ".")
        w(text)
        w("")
        summary_rows.append((f"3 holders N={big[2:]}", "rootlift holders", f"{fmt_ms(rr.get('wall_ms_median'))} ms, {fmt_bytes(rr.get('maxrss_kib_median', 0) * 1024)}",
                             f"fuser -vm {fmt_ms(fu.get('wall_ms_median'))} ms ({ratio(fu.get('wall_ms_median'), rr.get('wall_ms_median'))}), "
                             f"lsof {fmt_ms(ls.get('wall_ms_median'))} ms ({ratio(ls.get('wall_ms_median'), rr.get('wall_ms_median'))})"))

    # ---------------------------------------------------------- 4 probe / ext4
    st = get(data, "startup", default={})
    pr = get(data, "probe", default={})
    e4 = get(data, "ext4", default={})
    pa = get(data, "parts", default={})
    w("## 4. probe / ext4 / parts vs blkid -p / dumpe2fs -h / sfdisk --json")
    w("")
    w("Process start-up alone (nothing else done):")
    w("")
    w("| program | median wall | min–max | median peak RSS |")
    w("| --- | ---: | ---: | ---: |")
    for tool, label in [("noop", "static no-op, no libc (`bench/lib/noop.c`)"),
                        ("rootlift", "`rootlift --version` (static musl)"),
                        ("true", "`/bin/true` (dynamic glibc)")]:
        s = get(st, "start-up", tool, "summary", default={})
        w(f"| {label} | {fmt_ms(s.get('wall_ms_median'))} ms | {fmt_ms(s.get('wall_ms_min'))}–"
          f"{fmt_ms(s.get('wall_ms_max'))} ms | {fmt_bytes((s.get('maxrss_kib_median') or 0) * 1024)} |")
    w("")
    floor = get(st, "start-up", "noop", "summary", "maxrss_kib_median")
    if floor:
        w(f"The no-op's {fmt_bytes(floor * 1024)} is the floor of every peak-RSS figure here: the "
          f"kernel starts a forked child's high-water mark at the parent's anonymous pages "
          f"(timeit's), as it does for `/usr/bin/time`'s"
          + (", and `rootlift --version` stays within it" if (get(st, "start-up", "rootlift", "summary", "maxrss_kib_median") or 0) <= floor else "")
          + ".")
        w("")
    labels = {"blkid": "probe", "dumpe2fs": "ext4", "sfdisk": "parts"}
    for title, sec, other in (("`rootlift probe` vs `blkid -p`", pr, "blkid"),
                              ("`rootlift ext4` vs `dumpe2fs -h`", e4, "dumpe2fs"),
                              ("`rootlift parts --json` vs `sfdisk --json`", pa, "sfdisk")):
        if not sec:
            continue
        w(f"{title}:")
        w("")
        w(f"| image | rootlift median (min) | {other} median (min) | {other} / rootlift | rootlift RSS | {other} RSS | same answer |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        ratios = []
        for case in sorted(c for c in sec if c != "-"):
            a = get(sec, case, "rootlift", "summary", default={})
            b = get(sec, case, other, "summary", default={})
            aa = get(sec, case, "rootlift", "answer", default="")
            ba = get(sec, case, other, "answer", default="")
            same = "yes" if aa and aa == ba else f"no: `{aa}` vs `{ba}`"
            ok = a.get("all_exit_0") and b.get("all_exit_0")
            if a.get("wall_ms_median") and b.get("wall_ms_median"):
                ratios.append(b["wall_ms_median"] / a["wall_ms_median"])
            w(f"| {case}{'' if ok else ' (a run failed!)'} | {fmt_ms(a.get('wall_ms_median'))} ms "
              f"({fmt_ms(a.get('wall_ms_min'))}) | {fmt_ms(b.get('wall_ms_median'))} ms ({fmt_ms(b.get('wall_ms_min'))}) | "
              f"{ratio(b.get('wall_ms_median'), a.get('wall_ms_median'))} | "
              f"{fmt_bytes((a.get('maxrss_kib_median') or 0) * 1024)} | "
              f"{fmt_bytes((b.get('maxrss_kib_median') or 0) * 1024)} | {same} |")
        w("")
        if ratios:
            summary_rows.append(("4 " + labels[other],
                                 "rootlift " + labels[other],
                                 f"median over images {fmt_ms(statistics.median([get(sec, c, 'rootlift', 'summary', 'wall_ms_median') for c in sec if c != '-']))} ms",
                                 f"{other} {statistics.median(ratios):.1f}x slower (median ratio)"))
    case0 = next((c for c in sorted(pr) if c != "-"), None)
    if case0:
        runs = get(pr, case0, "rootlift", "summary", "n")
        w(f"{runs} timed runs per cell after 5 warm-ups, the two tools round-robin, on image files "
          f"(no loop device). Commands: "
          f"`{clean_cmd(get(pr, case0, 'rootlift', 'cmd', default=''))}`, "
          f"`{clean_cmd(get(pr, case0, 'blkid', 'cmd', default=''))}`, `rootlift ext4 IMG`, `dumpe2fs -h IMG`. "
          f"*Same answer*: type and UUID (probe), block count, free blocks and UUID (ext4) agree; "
          f"for parts, the whole JSON document (`jq -S -c`, its sha256 and partition count) is the same. "
          f"Versions: {get(pr, '-', 'blkid', 'version', default='?')}; {get(e4, '-', 'dumpe2fs', 'version', default='?')}; "
          f"{get(pa, '-', 'sfdisk', 'version', default='?')}.")
        w("")
    noop = get(st, "start-up", "noop", "summary", "wall_ms_median")
    rv = get(st, "start-up", "rootlift", "summary", "wall_ms_median")
    tr = get(st, "start-up", "true", "summary", "wall_ms_median")
    med = lambda sec, tool: statistics.median(
        [get(sec, c, tool, "summary", "wall_ms_median") for c in sec if c != "-"] or [0])
    if noop and rv and tr and pr and e4:
        rp, bp = med(pr, "rootlift"), med(pr, "blkid")
        re4, de = med(e4, "rootlift"), med(e4, "dumpe2fs")
        w(f"**What this means.** Process start-up is most of these commands: a static no-op "
          f"costs {fmt_ms(noop)} ms, `rootlift --version` {fmt_ms(rv)} ms, a dynamically linked "
          f"`/bin/true` {fmt_ms(tr)} ms (the dynamic loader and libc). Over the images, the median "
          f"`rootlift probe` takes {fmt_ms(rp)} ms and `blkid -p` {fmt_ms(bp)} ms; `rootlift ext4` "
          f"{fmt_ms(re4)} ms and `dumpe2fs -h` {fmt_ms(de)} ms. blkid and dumpe2fs pay the dynamic "
          f"start-up and their libraries (libblkid, libext2fs...) on every call; rootlift is one "
          f"static binary that reads a few KiB of the image. The difference is around a millisecond "
          f"per call: it matters in a rescue shell loop or an initramfs, not for a single look.")
        w("")

    # ---------------------------------------------------------- 5 VM
    vm = get(data, "vm", default={})
    mode = get(vm, "-", "rig", "mode", default="skip")
    w("## 5. Lift latency in the VM (busybox guest)")
    w("")
    if mode == "skip":
        w("Not measured in this run (`BENCH_VM=skip`).")
        w("")
    else:
        w("From the journals in the guests' serial logs (`target/vm/run/{demo,lift}/serial.log`). "
          "The journal's timestamps are whole seconds, so each phase below is ±1 s: a 0 means "
          "\"under a second\". qemu runs in software emulation (TCG) here, several times slower "
          "than hardware. *demo*: `rootlift shrink 128M --live --yes` of a 256 MiB ext4 root LV "
          "(enter, release --kill, e2fsck, resize2fs, lvreduce, resize2fs, e2fsck -n, return) in "
          "one command; *lift*: the same steps run one by one by the scenario (plan, enter --bring "
          "e2fsck, holders, a refused release, release --kill, e2fsck -fn, return).")
        w("")
        if mode == "reuse":
            w("**The scenarios were not run by this bench** (`BENCH_VM=reuse`): the logs "
              "(demo, lift, bench_lift) are from an earlier `tests/vm/run`, so there is no wall time.")
            w("")
        failed = [n for n in ("demo", "lift", "bench_lift") if get(vm, n, "rig", "guest_failure")]
        if failed:
            w("**Failed:** " + "; ".join(
                f"`{n}`: {get(vm, n, 'rig', 'guest_failure')}" for n in failed)
              + ". The figures of a failed scenario are missing or partial below; see "
              "`target/vm/run/NAME/serial.log`.")
            w("")
        names = [n for n in ("demo", "lift") if n in vm]
        keys = []
        for n in names:
            for k in get(vm, n, "journal", "phases_s", default={}):
                if k not in keys:
                    keys.append(k)
        w("| phase (s) | " + " | ".join(names) + " |")
        w("| --- | " + " | ".join("---:" for _ in names) + " |")
        w("| verdict | " + " | ".join(get(vm, n, "rig", "verdict", default="-") for n in names) + " |")
        w("| whole scenario incl. boot (rig wall time) | " + " | ".join(
            (get(vm, n, "rig", "wall_s") or "-") for n in names) + " |")
        if "demo" in names:
            w("| `rootlift shrink`, as the scenario timed it (`date +%s`) | " + " | ".join(
                (get(vm, n, "scenario", "shrink_s") or "-") if n == "demo" else "" for n in names) + " |")
        for k in keys:
            w(f"| {k} | " + " | ".join(str(get(vm, n, "journal", "phases_s", k, default="")) for n in names) + " |")
        w("")
        w("| log | " + " | ".join(names) + " |")
        w("| --- | " + " | ".join("---" for _ in names) + " |")
        w("| written | " + " | ".join(get(vm, n, "rig", "serial_log_mtime", default="missing") for n in names) + " |")
        w("")
        dp = get(vm, "demo", "journal", "phases_s", default={})
        if dp:
            w(f"In the demo, enter took {dp.get('enter', '?')} s, release --kill "
              f"{dp.get('release --kill', '?')} s and return {dp.get('return', '?')} s (whole seconds); "
              f"the job's own tools (resize2fs {dp.get('job: resize2fs', '?')} s, lvreduce "
              f"{dp.get('job: lvreduce', '?')} s) make up most of the {dp.get('enter.begin to the end', '?')} s "
              "from enter to the end.")
            w("")
        bl = get(vm, "bench_lift", "bench", default={})
        if bl:
            rounds = len(bl.get("rootlift.enter", []))
            med = lambda k: statistics.median(bl[k]) if bl.get(k) else None
            w("### rootlift vs the manual procedure, same guest (`bench/vm/bench_lift.sh`)")
            w("")
            w(f"The lift of the guest's root LV (64 MiB ext4 holding a {'%.0f' % med('system.mib') if med('system.mib') else '?'} MiB "
              f"system: busybox, e2fsck, resize2fs and lvm with their libraries), timed from "
              f"`/proc/uptime` (10 ms), {rounds} rounds alternating rootlift and the manual "
              "procedure; each round starts a daemon holding the root (its busybox binary and an "
              "open log file), runs `e2fsck -fn` on the freed LV, and must leave the mount table "
              "as it was. Manual: `mount -t tmpfs`, `cp -a` of /bin /sbin /lib /lib64 /etc /mnt "
              "/usr/{bin,sbin,lib,lib64}, `mount --make-rprivate /`, `pivot_root`, `mount --move` "
              "of proc/sys/dev/run, SIGKILL to every process a /proc scan finds under /oldroot "
              "(Debian's busybox has no `fuser`), `umount`; back: mount the LV, move, pivot_root, "
              "umount the tmpfs, `mount --make-shared /`. rootlift: `enter --bring "
              "/usr/sbin/e2fsck`, `release --kill --grace 2s` (SIGTERM, then SIGKILL after the "
              "grace), `return`.")
            w("")
            med = lambda k: statistics.median(bl[k]) if bl.get(k) else None
            def per_round(*keys):
                lists = [bl.get(k, []) for k in keys]
                n = min(len(l) for l in lists) if lists else 0
                return [sum(l[i] for l in lists) for i in range(n)]

            def mid(values):
                return statistics.median(values) if values else None

            rows = [("enter: tmpfs, copy, pivot_root, move proc/sys/dev/run",
                     ["rootlift.enter"], ["manual.copy", "manual.pivot"]),
                    ("release: stop the holders, unmount the old root",
                     ["rootlift.release"], ["manual.release"]),
                    ("return: mount, move back, pivot_root, unmount the tmpfs",
                     ["rootlift.return"], ["manual.return"]),
                    ("**lift and return (the three above, per round)**",
                     ["rootlift.enter", "rootlift.release", "rootlift.return"],
                     ["manual.copy", "manual.pivot", "manual.release", "manual.return"]),
                    ("the job: e2fsck -fn on the freed LV", ["rootlift.e2fsck"], ["manual.e2fsck"])]
            w("| phase (median s) | rootlift | manual | manual / rootlift |")
            w("| --- | ---: | ---: | ---: |")
            for label, rk, mk in rows:
                r, m = mid(per_round(*rk)), mid(per_round(*mk))
                w(f"| {label} | {r:.2f} | {m:.2f} | {ratio(m, r)} |" if r is not None and m is not None
                  else f"| {label} | - | - | |")
            cp, pv = mid(bl.get("manual.copy", [])), mid(bl.get("manual.pivot", []))
            rt, mt = med("rootlift.tmpfs_bytes"), med("manual.tmpfs_bytes")
            w(f"| tmpfs used | {fmt_bytes(rt)} | {fmt_bytes(mt)} | {ratio(mt, rt)} |")
            w("")
            if cp is not None and pv is not None:
                w(f"The manual enter splits into {cp:.2f} s of `cp -a` and {pv:.2f} s of pivot and moves.")
                w("")
            lift_r = mid(per_round("rootlift.enter", "rootlift.release", "rootlift.return")) or 0
            lift_m = mid(per_round("manual.copy", "manual.pivot", "manual.release", "manual.return")) or 0
            w("Per-round values are in `results.json` (`vm.bench_lift.bench`).")
            w("")
            w(f"Scenario verdict: {get(vm, 'bench_lift', 'rig', 'verdict', default='-')}, "
              f"{get(vm, 'bench_lift', 'rig', 'wall_s', default='-')} s with the boot.")
            w("")
            w(f"**What this means.** On the same emulated guest, rootlift lifts the root, frees it "
              f"and puts it back in {lift_r:.2f} s against {lift_m:.2f} s for the manual procedure, "
              f"and uses {fmt_bytes(rt)} of tmpfs against {fmt_bytes(mt)}. The guest's system is tiny; "
              f"the manual copy grows with the system (item 2: {fmt_bytes(base)} on this host), "
              "rootlift's with the job's kit only. rootlift's release includes the SIGTERM grace that lets "
              "services exit cleanly, which the manual SIGKILL skips. Item 5b has the Debian "
              "acceptance guest (systemd, sshd, an LVM root) beside the manual procedure's copy set.")
            w("")
            summary_rows.append(("5 VM lift", "enter + release + return (busybox guest)",
                                 f"{lift_r:.2f} s, tmpfs {fmt_bytes(rt)}",
                                 f"manual procedure {lift_m:.2f} s ({ratio(lift_m, lift_r)}), tmpfs {fmt_bytes(mt)}"))
        elif failed:
            summary_rows.append(("5 VM", "lift latency", "not measured",
                                 "scenario(s) failed in this run: " + ", ".join(failed)))
        elif dp:
            summary_rows.append(("5 VM demo", "shrink --live, enter → return",
                                 f"{dp.get('enter.begin to the end', '?')} s (enter {dp.get('enter', '?')} s, release {dp.get('release --kill', '?')} s, return {dp.get('return', '?')} s)",
                                 f"scenario incl. boot {get(vm, 'demo', 'rig', 'wall_s') or '-'} s; manual procedure: not measured"))

    # ---------------------------------------------------------- 5b Debian guest
    e2e_path = get(data, "e2e", "-", "report", "path")
    w("## 5b. The Debian guest (systemd, sshd, LVM root), from the acceptance run")
    w("")
    if not e2e_path or not os.path.exists(e2e_path):
        w(f"Not measured in this run (`BENCH_E2E={get(data, 'e2e', '-', 'report', 'mode', default='skip')}`, "
          "or `tests/e2e/run` left no report).")
        w("")
    else:
        rep = json.load(open(e2e_path, encoding="utf-8"))
        data["e2e"]["-"]["report"]["content"] = rep
        sec = rep.get("seconds", {})
        ks = rep.get("kernel_log_seconds", {})
        ssh = rep.get("ssh", {})
        tmpfs = rep.get("tmpfs_used_bytes")
        manual = rep.get("manual_cp_ax_bytes")
        how = "run now" if get(data, "e2e", "-", "report", "mode") == "run" else "reused"
        w(f"`target/e2e/networkd/report.json` ({how}, written {get(data, 'e2e', '-', 'report', 'written', default='?')}, "
          f"verdict {rep.get('verdict', '?')}): a Debian 12 guest under qemu TCG, "
          f"`rootlift shrink {rep.get('shrink_to', '?')} --live --yes` over SSH, then "
          f"`rootlift shrink {rep.get('at_shutdown_to', '?')} --at-shutdown --yes` and `systemctl reboot`. "
          "Phases from the guest's kernel log (the journal's copy, microseconds).")
        w("")
        w("| what | rootlift | compared with |")
        w("| --- | ---: | --- |")
        w(f"| tmpfs of the live shrink (shrink kit + sshd kit + systemctl) | {fmt_bytes(tmpfs)} | "
          f"the howto's `cp -ax` set on the same guest (du): {fmt_bytes(manual)} ({ratio(manual, tmpfs)}) |")
        for key, label in (("enter", "enter"), ("release", "release (sshd already in the tmpfs, user managers, PID 1 handoff, stop, unmount, proof)"),
                           ("job", "the job (e2fsck, resize2fs, lvreduce, resize2fs, e2fsck -n)"),
                           ("return", "return (pivot back, systemd resumes, `systemctl start multi-user.target`, sshd back)"),
                           ("lift_total", "enter.begin to job.done")):
            v = ks.get(key)
            w(f"| {label} | {'-' if v is None else f'{v:.2f} s'} | |")
        w(f"| waiting for the operator's confirm (a new login) | {sec.get('confirm_wait', '-')} s | |")
        w(f"| longest stretch without a working SSH login during the shrink | {ssh.get('longest_gap_seconds', '-')} s | "
          f"{ssh.get('attempts', '-')} logins tried, one every {ssh.get('interval_seconds', '-')} s; {ssh.get('failed', '-')} failed |")
        pr = rep.get("plain_restart") or {}
        if pr.get("return_ms") is not None:
            w(f"| the return's unit restarts (systemd's start of them to the last one active) | {pr['return_ms'] / 1000:.2f} s | "
              f"`systemctl restart` of the same {len(pr.get('units', '').split())} units on the running guest: "
              f"{pr.get('plain_ms', 0) / 1000:.2f} s; ratio return / plain {pr.get('ratio', '-')} |")
        else:
            w(f"| the return's unit restarts vs `systemctl restart` | - | not measured: {pr.get('why', 'no plain_restart in the report')} |")
        w(f"| SSH connections reset or refused during the shrink | {ssh.get('reset_or_refused', '-')} | "
          f"logins failed otherwise: {ssh.get('other_failures', '-')} |")
        w(f"| the same while the root stayed released {ssh.get('released_window_seconds', '-')} s | "
          f"{ssh.get('released_window_longest_gap_seconds', '-')} s | |")
        w(f"| `--at-shutdown`: `systemctl reboot` to the guest's reboot(2), shrink included | {sec.get('at_shutdown_reboot', '-')} s | |")
        w(f"| `--at-shutdown`: `systemctl reboot` to systemd up again | {sec.get('reboot_to_up', '-')} s | "
          f"a plain boot of the guest: {sec.get('boot', '-')} s (qemu start to SSH) |")
        w("")
        w("**What this means.** On a real systemd system the lift itself is quick (enter and the "
          "job take seconds under software emulation); most of `return` is systemd resuming and "
          "starting the stopped units again, during which the tmpfs sshd keeps serving logins. "
          "The tmpfs holds what the job and the operator need, not the system.")
        w("")
        summary_rows.append(("5b Debian guest", "live shrink with systemd + sshd",
                             f"{'-' if ks.get('lift_total') is None else format(ks['lift_total'], '.1f')} s enter→done, "
                             f"tmpfs {fmt_bytes(tmpfs)}, SSH gap {ssh.get('longest_gap_seconds', '-')} s",
                             f"cp -ax set {fmt_bytes(manual)} ({ratio(manual, tmpfs)}); "
                             f"unit restarts return/plain {pr.get('ratio', '-')}; "
                             f"--at-shutdown reboot to reboot {sec.get('reboot_to_up', '-')} s"))

    # ---------------------------------------------------------- 6 growth
    w("## 6. How the cost grows")
    w("")
    if ns and len(ns) >= 2:
        w("Holder scan time vs N (medians from item 3) and the cost of each extra holder "
          "between consecutive N (a constant cost per holder means linear growth):")
        w("")
        pairs = list(zip(ns, ns[1:]))
        w("| tool | " + " | ".join(f"N={c[2:]}" for c in ns) + " | "
          + " | ".join(f"µs/holder {a[2:]}→{b[2:]}" for a, b in pairs) + " |")
        w("| --- | " + " | ".join("---:" for _ in ns + pairs) + " |")
        for tool in ("rootlift", "fuser", "lsof"):
            ms = {c: get(hd, c, tool, "summary", "wall_ms_median") for c in ns}
            cells = []
            for a, b in pairs:
                if ms[a] is None or ms[b] is None:
                    cells.append("-")
                else:
                    cells.append(f"{(ms[b] - ms[a]) / (int(b[2:]) - int(a[2:])) * 1000:.0f}")
            w(f"| {tool} | " + " | ".join(f"{fmt_ms(ms[c])} ms" for c in ns) + " | "
              + " | ".join(cells) + " |")
        w("")
    kits = [k for k in grow if k != "-"]
    if kits:
        kits.sort(key=lambda k: num(get(grow, k, "rootlift", "tmpfs_used"), 0))
        w("`rootlift enter --bring ...` then `rootlift return`, timed in a private mount + PID "
          "namespace whose root is a loop ext4 image holding the kits (the `tests/root_lift.rs` "
          "set-up); *tmpfs used* is statfs of `/` while lifted.")
        w("")
        w("| kit | programs | tmpfs used | enter median | enter min–max | return median | enter peak RSS |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        xs, ys = [], []
        for k in kits:
            node = get(grow, k, "rootlift", default={})
            e = node.get("enter_summary", {})
            r = node.get("return_summary", {})
            used = num(node.get("tmpfs_used"))
            words = node.get("programs", "").split()
            nprog = str(len([x for x in words if x != "--ssh"])) + (" + `--ssh`" if "--ssh" in words else "")
            if used is not None and e.get("wall_ms_median") is not None:
                xs.append(used)
                ys.append(e["wall_ms_median"])
            w(f"| {k} | {nprog} | {fmt_bytes(used)} | {fmt_ms(e.get('wall_ms_median'))} ms | "
              f"{fmt_ms(e.get('wall_ms_min'))}–{fmt_ms(e.get('wall_ms_max'))} ms | "
              f"{fmt_ms(r.get('wall_ms_median'))} ms | {fmt_bytes((e.get('maxrss_kib_median') or 0) * 1024)} |")
        w("")
        reps = get(grow, kits[0], "rootlift", "enter_summary", "n")
        w(f"{reps} enter/return cycles per kit. Big kit programs (only to show the trend): "
          f"`{' '.join(p for p in get(grow, kits[-1], 'rootlift', 'programs', default='').split() if 'sbin' not in p and p != '--ssh')}`.")
        w("")
        if len(xs) >= 2:
            mx, my = statistics.mean(xs), statistics.mean(ys)
            sxx = sum((x - mx) ** 2 for x in xs)
            slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0
            icpt = my - slope * mx
            per_mib = slope * (1 << 20)
            rate = (1000 / per_mib) if per_mib > 0 else None
            grow["-"] = grow.get("-", {})
            grow["-"]["fit"] = {"ms_per_mib": per_mib, "intercept_ms": icpt}
            syy = sum((y - my) ** 2 for y in ys)
            r2 = (slope * slope * sxx / syy) if syy else 1.0
            ret0 = get(grow, kits[0], "rootlift", "return_summary", "wall_ms_median")
            ret1 = get(grow, kits[-1], "rootlift", "return_summary", "wall_ms_median")
            e0 = get(grow, kits[0], "rootlift", "enter_summary", "wall_ms_median")
            w(f"**What this means.** With nothing brought, enter takes {fmt_ms(e0)} ms (checks, "
              f"mounts, the copy of rootlift, pivot, moves, journal fsyncs, re-exec). A least-squares "
              f"line through the enter medians adds {per_mib:.2f} ms per MiB brought"
              + (f" (about {rate:.0f} MiB/s of ELF parsing and copying into the tmpfs)" if rate else "")
              + f", r² = {r2:.3f}: enter's cost follows what the job needs, not the size of the "
              f"system. `return` took {fmt_ms(ret0)} ms with nothing brought and {fmt_ms(ret1)} ms "
              f"with the largest kit (unmounting the tmpfs frees its pages).")
            w("")
            e_sh = get(grow, "shrink+ssh", "rootlift", "enter_summary", "wall_ms_median")
            summary_rows.append(("6 growth", "enter --ssh with the shrink kit",
                                 f"{fmt_ms(e_sh)} ms" if e_sh else "-",
                                 f"nothing brought {fmt_ms(e0)} ms; +{per_mib:.2f} ms per MiB brought"))

    # ---------------------------------------------------------- summary
    summary = ["## Summary", "",
               "| item | rootlift | figure | compared with (same run) |",
               "| --- | --- | ---: | --- |"]
    for row in summary_rows:
        summary.append("| " + " | ".join(row) + " |")
    summary.append("")
    # The summary goes right after the machine table.
    idx = md.index("## 1. Binary size")
    md[idx:idx] = summary

    text = "\n".join(l for l in md) + "\n"
    text = re.sub(r"\n{3,}", "\n\n", text)
    with open(out_md, "w", encoding="utf-8") as f:
        f.write(text)
    # Innermost objects (a run, a journal event, a summary) on one line each,
    # so the file stays readable and diffable.
    text = json.dumps(data, indent=1, sort_keys=True)
    text = text.replace(work, "$W").replace(repo + "/", "")
    text = re.sub(r"\{\n[^{}\[\]]*?\n\s*\}",
                  lambda m: re.sub(r"\s*\n\s*", " ", m.group(0)), text)
    with open(out_json, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
