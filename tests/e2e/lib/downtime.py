#!/usr/bin/env python3
"""Per-unit downtime and the return's breakdown of one live job, from
what the guest says after it:

  downtime.py STATUS_JSON DMESG FACTS

STATUS_JSON is `rootlift status --json` (the journal), DMESG the guest's
kernel log (its `rootlift:` lines carry the journal's events with
microsecond times since boot), FACTS lines the harness gathered in the
guest after the job:

  clock UNIX_NOW UPTIME             one instant on both clocks
  unit ID STATE INACTIVE_US ACTIVE_US  systemctl show, monotonic microseconds
  hz TICKS                          clock ticks a second
  proc PID COMM START               a running program, its start in ticks since boot

Prints one JSON object: rows (unit or program, down at, up at, seconds
down, what stopped it), the return's phases, and how many journal lines
the kernel log lacks. Times are seconds after the job's enter.begin.
"""
import json
import re
import sys
from urllib.parse import unquote

KMSG = re.compile(r"^\[\s*(\d+\.\d+)\]\s+rootlift: (\S+) (\S+) ?(.*)$")


def words(detail):
    out = {}
    for w in detail.split(" "):
        if "=" in w:
            k, v = w.split("=", 1)
            out[k] = unquote(v)
    return out


def main(status_path, dmesg_path, facts_path):
    events = json.load(open(status_path, encoding="utf-8")).get("events", [])
    kmsg = []
    for line in open(dmesg_path, encoding="utf-8", errors="replace"):
        m = KMSG.match(line.rstrip("\n"))
        if m:
            kmsg.append((float(m.group(1)), m.group(2), m.group(3), m.group(4)))
    base, units, procs, hz = None, {}, [], 100.0
    for line in open(facts_path, encoding="utf-8", errors="replace"):
        f = line.split()
        if len(f) >= 3 and f[0] == "clock":
            base = float(f[1]) - float(f[2])
        elif len(f) >= 5 and f[0] == "unit":
            units[f[1]] = (f[2], int(f[3] or 0) / 1e6, int(f[4] or 0) / 1e6)
        elif len(f) >= 2 and f[0] == "hz":
            hz = float(f[1])
        elif len(f) >= 4 and f[0] == "proc" and f[-1].isdigit():
            procs.append((int(f[1]), " ".join(f[2:-1]), int(f[-1]) / hz))
    if base is None:
        raise SystemExit("downtime.py: no clock line in " + facts_path)

    # Each journal event's time since boot: its kernel-log line (in order),
    # else its whole-second journal time.
    missing, k = 0, 0
    for e in events:
        e["t"] = None
        for i in range(k, len(kmsg)):
            ts, stage, ev, detail = kmsg[i]
            if stage == e["stage"] and ev == e["event"] and detail == e["detail"]:
                e["t"], k = ts, i + 1
                break
        if e["t"] is None:
            missing += 1
            e["t"] = e["time"] - base
    first = {}
    for e in events:
        first.setdefault(e["event"], e["t"])
        if e["event"] == "return.step":
            first.setdefault("return.step " + words(e["detail"]).get("step", ""), e["t"])
    t0 = first.get("enter.begin")
    if t0 is None:
        raise SystemExit("downtime.py: no enter.begin in the journal")

    # What each stopped holder was, and when release stopped it.
    holder = {}
    for e in events:
        if e["event"] == "release.holder":
            w = words(e["detail"])
            unit = w.get("unit", "-")
            holder[w.get("pid")] = unit if unit != "-" else "program " + w.get("comm", "?")
    down = {}

    def stopped(key, t, how):
        if key.endswith(".scope"):
            return  # a login session (the operator's own ends at release)
        if key not in down or t < down[key][0]:
            down[key] = (t, how)

    restarted = []  # (unit, down, up): restarted into the tmpfs by systemctl
    for i, e in enumerate(events):
        w = words(e["detail"])
        if e["event"] == "release.stopped":
            # One line per process, journaled just before its signal.
            pid = w.get("pid")
            if pid in holder:
                stopped(holder[pid], e["t"], "sig" + w.get("signal", "TERM").lower())
        elif e["event"] == "release.sigkill":
            # Those still there after the grace (SIGTERM came first).
            for pid in w.get("pids", "").split(","):
                if pid in holder:
                    stopped(holder[pid], e["t"], "sigkill (" + w.get("why", "?") + ")")
        elif e["event"] == "release.units":
            for name in w.get("systemctl", "").split(" ")[1:]:
                if name in units:
                    stopped(name, e["t"], "systemctl " + w["systemctl"].split(" ")[0])
        elif e["event"] == "release.restarted":
            # Journaled before `systemctl restart`; the next line comes after it.
            nxt = events[i + 1]["t"] if i + 1 < len(events) else None
            restarted.append((w.get("unit", "?"), e["t"], nxt))

    rows = []

    def row(key, how, t, up, note=""):
        rows.append({
            "unit": key,
            "how": how,
            "note": note,
            "down_at": round(t - t0, 3),
            "up_at": None if up is None else round(up - t0, 3),
            "seconds_down": None if up is None else round(up - t, 3),
        })

    for unit, t, up in restarted:
        row(unit, "restarted into the tmpfs", t, up)
        if unit in units:
            state, inactive, active = units[unit]
            if inactive > t:
                row(unit, "restarted onto the root by return", inactive,
                    active if state == "active" and active > inactive else None)
    for key, (t, how) in sorted(down.items(), key=lambda kv: kv[1][0]):
        up, note = None, ""
        if key in units:
            state, _, active = units[key]
            if state == "active" and active > t:
                up = active
            elif state == "active":
                note = "the unit stayed active (exited) since before: its process was not started again"
            else:
                note = "unit " + state
        elif key.startswith("program "):
            starts = [s for _, c, s in procs if c == key[8:] and s > t]
            up = min(starts) if starts else None
        row(key, how, t, up, note)
    rows.sort(key=lambda r: r["down_at"])

    def span(a, b):
        if a in first and b in first:
            return round(first[b] - first[a], 3)
        return None

    ups = [r["up_at"] for r in rows if r["up_at"] is not None]
    restarts_end = max([first[x] for x in ("return.services", "return.restarted") if x in first], default=None)
    ret = {
        "mount_and_pivot": span("return.begin", "return.step pivot"),
        "pid1_resume": span("return.step pivot", "return.init-resumed"),
        "unit_restarts": None if restarts_end is None or "return.init-resumed" not in first
        else round(restarts_end - first["return.init-resumed"], 3),
        "total": span("return.begin", "return.done"),
        "last_unit_up_after_return_begin": None if not ups or "return.begin" not in first
        else round(max(ups) + t0 - first["return.begin"], 3),
    }
    json.dump({"rows": rows, "return": ret, "journal_lines": len(events),
               "missing_from_kernel_log": missing}, sys.stdout)
    print()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
