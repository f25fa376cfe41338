# -*- coding: utf-8 -*-
# Copyright: rootlift contributors
# MIT License (see the collection's LICENSE)
"""The journal reader on journals shaped like rootlift's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.rootlift.live.plugins.module_utils.journal import (
    detail_fields,
    is_final,
    last_job,
    parse_lines,
    summarize,
    summarize_status,
)

# A live shrink as `rootlift status --json` prints it (abridged).
STATUS = {
    "stage": "returned",
    "lifted": False,
    "events": [
        {"time": 100, "stage": "idle", "event": "enter.begin", "detail": "size=26390528"},
        {"time": 100, "stage": "idle", "event": "job.spec",
         "detail": "kind=shrink device=/dev/mapper/vg0-root e2fsck=/usr/sbin/e2fsck "
                   "resize2fs=/usr/sbin/resize2fs lvm=/usr/sbin/lvm confirm_ms=600000 "
                   "grace_ms=5000 fs_blocks=378880 lv=vg0/root"},
        {"time": 101, "stage": "entered", "event": "enter.done", "detail": "oldroot=/oldroot"},
        {"time": 101, "stage": "entered", "event": "job.worker", "detail": "pid=662"},
        {"time": 105, "stage": "entered", "event": "job.wait-confirm", "detail": "seconds=600"},
        {"time": 110, "stage": "entered", "event": "job.confirm", "detail": "pid=7"},
        {"time": 112, "stage": "released", "event": "release.done", "detail": ""},
        {"time": 112, "stage": "job", "event": "job.begin", "detail": "kind=shrink device=/dev/mapper/vg0-root"},
        {"time": 130, "stage": "job", "event": "job.result",
         "detail": "fs_blocks_before=409600 fs_blocks_after=378880 block_size=4096 device_bytes=1551892480"},
        {"time": 131, "stage": "returning", "event": "return.begin", "detail": ""},
        {"time": 150, "stage": "returned", "event": "return.done", "detail": ""},
        {"time": 150, "stage": "returned", "event": "job.done", "detail": "code=0 result=ok"},
    ],
}


def test_values_are_unescaped():
    fields = detail_fields("result=no%20space%3d%25%0aleft code=1 bare")
    assert fields == {"result": "no space=%\nleft", "code": "1"}


def test_a_finished_shrink():
    s = summarize_status(STATUS)
    assert s["final"] and s["began"] and s["confirmed"] and s["waiting_confirm"]
    assert s["job"] == {"kind": "shrink", "device": "/dev/mapper/vg0-root",
                        "fs_blocks": 378880, "confirm_ms": 600000, "lv": "vg0/root"}
    assert s["done"] == {"code": 0, "result": "ok"}
    assert s["worker_pid"] == 662
    assert s["shrink"]["fs_blocks_after"] == 378880
    assert s["times"] == {"begin": 100, "entered": 101, "released": 112, "job_begin": 112,
                          "return_begin": 131, "returned": 150, "done": 150}


def test_a_lift_waiting_for_its_confirm():
    status = {"stage": "entered", "lifted": True, "events": STATUS["events"][:5]}
    s = summarize_status(status)
    assert not s["final"] and s["waiting_confirm"] and not s["confirmed"]
    assert s["done"] is None and not s["began"]


def test_a_failed_job_says_why():
    events = STATUS["events"][:8] + [
        {"time": 120, "stage": "returned", "event": "job.done",
         "detail": "code=1 result=resize2fs%20exited%201"}]
    s = summarize(events, "returned")
    assert s["done"] == {"code": 1, "result": "resize2fs exited 1"}
    assert s["shrink"] is None


def test_no_journal_is_idle():
    s = summarize_status({"stage": "idle", "lifted": False, "events": []})
    assert s["stage"] == "idle" and s["final"] and s["job"] is None and s["events"] == 0


def test_final_stages():
    assert is_final("returned") and is_final("idle") and is_final("aborted:dead-man")
    assert is_final("failed:return-remount")
    assert not is_final("entered") and not is_final("failed:release") and not is_final("job")


def test_the_shutdown_log_keeps_the_last_job():
    log = (
        "1 job job.begin kind=shrink device=/dev/mapper/vg0-root\n"
        "2 returned job.done code=0 result=ok\n"
        "9 job job.begin kind=fsck device=/dev/mapper/vg0-root\n"
        "10 returned job.done code=1 result=e2fsck%20found%20errors\n"
        "11 retur"  # a cut last line
    )
    s = summarize(last_job(parse_lines(log)))
    assert s["job"]["kind"] == "fsck" and s["done"]["code"] == 1
    assert s["events"] == 2
    assert summarize(last_job(parse_lines("")))["job"] is None


def test_the_shutdown_log_as_rootlift_writes_it_with_milliseconds():
    log = (
        "1796441355.629 returned job.done code=0 result=ok\n"
        "1796441457.311 released shutdown.free device=/dev/mapper/vg0-root\n"
        "1796441457.312 job job.begin kind=shrink device=/dev/mapper/vg0-root\n"
        "1796441459.165 returned job.done code=0 result=ok\n"
        "1796441459.x returned job.done code=1\n"  # not a time: skipped
    )
    events = parse_lines(log)
    assert [e["time"] for e in events] == [1796441355, 1796441457, 1796441457, 1796441459]
    s = summarize(last_job(events))
    assert s["job"]["kind"] == "shrink" and s["done"]["code"] == 0
    assert s["events"] == 2
