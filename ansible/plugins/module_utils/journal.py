# -*- coding: utf-8 -*-
# Copyright: rootlift contributors
# MIT License (see the collection's LICENSE)
"""rootlift's journal as `rootlift status --json` prints it.

The JSON object has `stage`, `lifted` and `events`: the events of the latest
lift only (from its `enter.begin`), each `{time, stage, event, detail}`.
`detail` is a list of `key=value` words whose values are percent-escaped
(`%20` space, `%25` percent, `%0a` newline, `%09` tab, `%3d` equals sign).
The same lines, `<time> <stage> <event> <detail>`, are what an
`--at-shutdown` job appends to `/var/log/rootlift.log` on the root.

Used by the `facts` module on the host and by the `job` action on the
controller, so both read a journal the same way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

_ESCAPES = (("%20", " "), ("%0a", "\n"), ("%09", "\t"), ("%3d", "="), ("%25", "%"))

# Stages after which nothing more is written until the next lift.
_FINAL = ("idle", "returned")


def unescape(value):
    """The value of a `key=value` word, unescaped."""
    for code, char in _ESCAPES:
        value = value.replace(code, char)
    return value


def detail_fields(detail):
    """`key=value` words of an event's detail as a dict (the last wins)."""
    fields = {}
    for word in (detail or "").split(" "):
        key, sep, value = word.partition("=")
        if sep:
            fields[key] = unescape(value)
    return fields


def is_final(stage):
    """Whether a lift in this stage has ended (see `rootlift status`)."""
    return (
        stage in _FINAL
        or stage.startswith("aborted:")
        or stage.startswith("failed:return-")
    )


def parse_lines(text):
    """Journal lines (`<time> <stage> <event> <detail>`) as events; lines
    that do not have that shape (a cut last line) are skipped. The time is
    Unix seconds with milliseconds (`1796441457.312`), kept as whole
    seconds like `rootlift status --json` gives them."""
    events = []
    for line in text.splitlines():
        parts = line.split(" ", 3)
        if len(parts) < 3:
            continue
        secs, _dot, millis = parts[0].partition(".")
        if not secs.isdigit() or (millis and not millis.isdigit()):
            continue
        events.append(
            {
                "time": int(secs),
                "stage": parts[1],
                "event": parts[2],
                "detail": parts[3] if len(parts) > 3 else "",
            }
        )
    return events


def last_job(events):
    """The events of the latest job in a log of several (the
    `--at-shutdown` log on the root): from its last `job.begin` on."""
    starts = [i for i, e in enumerate(events) if e.get("event") == "job.begin"]
    return events[starts[-1]:] if starts else []


def _first(events, name):
    for e in events:
        if e.get("event") == name:
            return e
    return None


def _last(events, name):
    found = None
    for e in events:
        if e.get("event") == name:
            found = e
    return found


def _int_fields(fields, keys):
    out = {}
    for key in keys:
        value = fields.get(key)
        if value is not None and value.isdigit():
            out[key] = int(value)
    return out


def summarize(cycle, stage=None):
    """What the events of one lift say, as plain data: stage, the job's
    spec, whether it began, was confirmed, and how it ended, the shrink's
    sizes, and the times of the phases."""
    if stage is None:
        stage = cycle[-1]["stage"] if cycle else "idle"
    # A job's own journal has its spec; a log of an --at-shutdown job
    # starts at job.begin, which names the kind and the device too.
    spec = _first(cycle, "job.spec") or _first(cycle, "job.begin")
    done = _last(cycle, "job.done")
    shrink = None
    for e in cycle:
        if e["event"] == "job.result" and "fs_blocks_after=" in e["detail"]:
            shrink = e
    summary = {
        "stage": stage,
        "final": is_final(stage),
        "events": len(cycle),
        "job": None,
        "began": _first(cycle, "job.begin") is not None,
        "waiting_confirm": _first(cycle, "job.wait-confirm") is not None,
        "confirmed": _first(cycle, "job.confirm") is not None,
        "done": None,
        "worker_pid": None,
        "shrink": None,
        "times": {},
    }
    if spec is not None:
        fields = detail_fields(spec["detail"])
        job = {"kind": fields.get("kind"), "device": fields.get("device")}
        job.update(_int_fields(fields, ("fs_blocks", "confirm_ms")))
        if "lv" in fields:
            job["lv"] = fields["lv"]
        summary["job"] = job
    if done is not None:
        fields = detail_fields(done["detail"])
        code = fields.get("code", "")
        summary["done"] = {
            "code": int(code) if code.isdigit() else None,
            "result": fields.get("result", ""),
        }
    worker = _last(cycle, "job.worker")
    if worker is not None:
        pid = detail_fields(worker["detail"]).get("pid", "")
        summary["worker_pid"] = int(pid) if pid.isdigit() else None
    if shrink is not None:
        summary["shrink"] = _int_fields(
            detail_fields(shrink["detail"]),
            ("fs_blocks_before", "fs_blocks_after", "block_size", "device_bytes"),
        )
    for key, name in (
        ("begin", "enter.begin"),
        ("entered", "enter.done"),
        ("released", "release.done"),
        ("job_begin", "job.begin"),
        ("return_begin", "return.begin"),
        ("returned", "return.done"),
        ("done", "job.done"),
    ):
        e = _first(cycle, name)
        if e is not None:
            summary["times"][key] = e["time"]
    return summary


def summarize_status(status):
    """`summarize` of a parsed `rootlift status --json` object (whose
    events are those of the latest lift)."""
    return summarize(status.get("events") or [], status.get("stage"))
