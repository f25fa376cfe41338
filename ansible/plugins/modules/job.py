#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rootlift contributors
# MIT License (see the collection's LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: job
short_description: Run a live rootlift job and follow it to its end
description:
  - Starts a live rootlift job (for example C(shrink SIZE)) on the host,
    detached from the connection, confirms the dead-man timer from a new
    connection once the job waits for it, and follows C(rootlift status --json)
    until the job is done and the root is back. Returns the job's journal
    summary.
  - The connection that starts the job is cut when the old root is released
    (its sshd maps the old root). Every later command is a new login into the
    lifted system, where only rootlift, sshd, root's login shell and the job's
    programs exist, so this action sends plain shell commands and needs no
    Python on the host (it runs on the controller).
  - It never starts a second job. When the host is already lifted (a job
    started by an earlier, interrupted run is still going), it follows that
    job instead; when the latest job on the host began and failed, it fails
    and reports it unless O(rerun_failed) is set.
  - With O(start=false) it only follows a lift in progress, if any, and
    reports the latest job; this is how a play settles a host before its
    first Python task.
version_added: "0.1.0"
author:
  - rootlift developers (!UNKNOWN)
options:
  binary:
    description:
      - Path of the rootlift binary on the host. While lifted, the tmpfs copy
        at C(/usr/bin/rootlift) is used.
    type: str
    required: true
  argv:
    description:
      - The job and its arguments, without C(--live), C(--yes) and
        C(--confirm-within), which this action adds.
    type: list
    elements: str
    default: []
  start:
    description:
      - Whether to start the job (when no lift is in progress).
    type: bool
    default: true
  confirm_within:
    description:
      - The dead-man time in seconds; the host returns by itself when nobody
        confirms a new login within it.
    type: int
    default: 600
  timeout:
    description:
      - Seconds to wait for the job to end.
    type: int
    default: 3600
  start_timeout:
    description:
      - Seconds to wait for a started job to show up in the journal.
    type: int
    default: 300
  poll:
    description:
      - Seconds between two status reads.
    type: int
    default: 5
  rerun_failed:
    description:
      - Start the job even when the host's latest job began and failed.
    type: bool
    default: false
notes:
  - Connect as root. The lifted system lets root in with the host's own keys
    and sshd configuration; it has no sudo.
  - Play with C(gather_facts=false), since fact gathering fails on a host
    while it is lifted (no Python).
"""

EXAMPLES = r"""
- name: Shrink the root to 20 GiB, live
  rootlift.live.job:
    binary: /usr/local/sbin/rootlift
    argv: [shrink, "21474836480"]
    confirm_within: 600
  register: shrink_job

- name: Follow a lift in progress, if any
  rootlift.live.job:
    binary: /usr/local/sbin/rootlift
    start: false
"""

RETURN = r"""
journal:
  description: Summary of the latest lift in the host's journal.
  returned: always
  type: dict
  sample:
    stage: returned
    final: true
    job: {kind: shrink, fs_blocks: 358400, lv: vg0/root}
    began: true
    confirmed: true
    done: {code: 0, result: ok}
    shrink: {fs_blocks_before: 409600, fs_blocks_after: 358400, block_size: 4096, device_bytes: 1468006400}
started:
  description: Whether this task started the job.
  returned: always
  type: bool
attached:
  description: Whether this task followed a job an earlier run had started.
  returned: always
  type: bool
confirmed_by_us:
  description: Whether this task ran C(rootlift confirm).
  returned: always
  type: bool
connection_failures:
  description: Status reads that found no working login (sshd being restarted, the root released).
  returned: always
  type: int
seconds:
  description: Wall time of the task.
  returned: always
  type: float
"""
