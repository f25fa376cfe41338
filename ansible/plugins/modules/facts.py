#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: rootlift contributors
# MIT License (see the collection's LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: facts
short_description: What rootlift would do to this host's root, as facts
description:
  - Runs C(rootlift plan --json) (read-only) and C(rootlift status --json) on
    the host, reads the root filesystem's superblock with C(rootlift ext4 --json)
    and, for an LVM root, the LV and extent sizes with C(lvs), and returns them
    as the C(rootlift) fact.
  - The fact holds the root mount and its device stack, the exact filesystem
    size and its live shrink floor (the one a job checks SIZE against), the
    RAM available against the tmpfs a lift needs, the init system, the
    processes that hold the root and what release would do to each, the
    verdict (whether a lift is possible, and if not why), and a summary of
    rootlift's journal (the latest lift and its job).
  - Changes nothing, so it runs the same in check mode; use it as a pre-flight.
  - A C(plan) that refuses (exit code 3) is not a module failure; the verdict
    says so. Any other plan failure fails the module with rootlift's message
    and exit code.
version_added: "0.1.0"
author:
  - rootlift developers (!UNKNOWN)
options:
  binary:
    description:
      - Path of the rootlift binary on the host.
    type: path
    required: true
  devices:
    description:
      - Block device paths to look up (for example the C(device) of each
        C(shrink_lv_devices) entry). Each is reported with its device number,
        whether it is the root device, and where it is mounted.
    type: list
    elements: path
    default: []
  shutdown_log:
    description:
      - Where an C(--at-shutdown) job leaves its journal on the root; its
        latest job is summarized in C(rootlift.shutdown_log).
    type: path
    default: /var/log/rootlift.log
notes:
  - Needs root, like rootlift itself.
  - While the root is lifted, the host has no Python; run the C(job) action
    (the roles do it first) to follow a lift to its end before this module.
"""

EXAMPLES = r"""
- name: Pre-flight
  rootlift.live.facts:
    binary: /usr/local/sbin/rootlift
    devices: [/dev/mapper/vg0-root]

- name: Refuse early
  ansible.builtin.assert:
    that: ansible_facts.rootlift.verdict.lift_possible
    fail_msg: "{{ ansible_facts.rootlift.verdict.refused }}"
"""

RETURN = r"""
ansible_facts:
  description: The C(rootlift) fact.
  returned: always
  type: dict
  contains:
    rootlift:
      description: Root, device stack, filesystem and floor, LVM sizes, RAM,
        init, holders, verdict, journal summary, looked-up devices.
      type: dict
      sample:
        root: {source: /dev/mapper/vg0-root, fstype: ext4, dev: "254:0"}
        filesystem: {type: ext4, block_size: 4096, fs_bytes: 1677721600, floor_bytes: 1382027264, floor_source: live}
        lvm: {vg: vg0, lv: root, lv_bytes: 1677721600, extent_bytes: 4194304, vg_free_bytes: 461373440}
        verdict: {lift_possible: true, refused: null, plan_rc: 0}
        journal: {stage: returned, final: true, job: {kind: shrink, fs_blocks: 358400}, done: {code: 0, result: ok}}
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.rootlift.live.plugins.module_utils.journal import (
    last_job,
    parse_lines,
    summarize,
    summarize_status,
)
from ansible_collections.rootlift.live.plugins.module_utils.superblock import fs_sizes

EXT_TYPES = ("ext2", "ext3", "ext4")


def run_json(module, argv, ok_codes=(0,)):
    """(rc, parsed stdout) of a rootlift command; fails the module when the
    exit code is not one of ok_codes or stdout is not JSON."""
    rc, out, err = module.run_command(argv)
    if rc not in ok_codes:
        module.fail_json(
            msg="%s: %s" % (" ".join(argv[1:]), (err or out).strip()),
            rc=rc,
            stdout=out,
            stderr=err,
        )
    try:
        return rc, json.loads(out)
    except ValueError:
        module.fail_json(msg="%s printed no JSON" % " ".join(argv[1:]), rc=rc, stdout=out, stderr=err)


def filesystem(module, binary, plan):
    """The exact size from the superblock and the live floor a job checks
    against (ext2/3/4), else what plan saw through statvfs."""
    fs = dict(plan.get("filesystem") or {})
    root = plan.get("root") or {}
    if fs.get("type") not in EXT_TYPES:
        return fs
    rc, out, err = module.run_command([binary, "ext4", root.get("source", ""), "--json"])
    if rc != 0:
        fs["superblock_error"] = (err or out).strip()
        return fs
    try:
        sb = json.loads(out)
    except ValueError:
        fs["superblock_error"] = "rootlift ext4 printed no JSON"
        return fs
    fs.update(fs_sizes(sb))
    fs.update(
        state=sb.get("state"),
        checksum=sb.get("checksum"),
        problems=sb.get("problems") or [],
    )
    return fs


def lvm_sizes(module, stack):
    """LV, extent and free VG bytes of an LVM root (from lvs)."""
    if stack.get("kind") != "lvm":
        return None
    vg, lv = stack.get("vg"), stack.get("lv")
    info = {"vg": vg, "lv": lv}
    lvs = module.get_bin_path("lvs")
    if not lvs:
        info["error"] = "no lvs on this host"
        return info
    rc, out, err = module.run_command(
        [lvs, "--units", "b", "--nosuffix", "--noheadings", "--separator", "|",
         "-o", "lv_size,vg_extent_size,vg_free", "%s/%s" % (vg, lv)]
    )
    words = out.strip().split("|")
    if rc != 0 or len(words) != 3 or not all(w.strip().isdigit() for w in words):
        info["error"] = "lvs %s/%s: %s" % (vg, lv, (err or out).strip())
        return info
    info.update(
        lv_bytes=int(words[0]), extent_bytes=int(words[1]), vg_free_bytes=int(words[2])
    )
    return info


def mounts_of(dev):
    """(mount point, fstype) of each mount of device MAJ:MIN, from
    /proc/self/mountinfo (proc(5): fields, then " - ", fstype, source)."""
    found = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                head, rest = line.split(" - ", 1) if " - " in line else (line, "")
                fields = head.split()
                if len(fields) > 4 and fields[2] == dev:
                    found.append((fields[4].replace("\\040", " "), rest.split(" ")[0]))
    except OSError:
        pass
    return found


def fs_bytes(module, binary, node, mount_point, fstype):
    """The filesystem's exact size: block count times block size from the
    superblock for ext2/3/4; statvfs(2) for the others."""
    if fstype in EXT_TYPES:
        rc, out = module.run_command([binary, "ext4", node, "--json"])[:2]
        try:
            sb = json.loads(out) if rc == 0 else {}
        except ValueError:
            sb = {}
        if sb.get("block_count") and sb.get("block_size"):
            return sb["block_count"] * sb["block_size"]
    try:
        vfs = os.statvfs(mount_point)
    except OSError:
        return None
    return vfs.f_blocks * vfs.f_frsize


def device_info(module, binary, path, root_dev):
    try:
        st = os.stat(path)
    except OSError as e:
        return {"exists": False, "error": str(e), "is_root": False}
    if not (st.st_mode & 0o170000) == 0o060000:
        return {"exists": True, "error": "not a block device", "is_root": False}
    dev = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    mounts = mounts_of(dev)
    info = {"exists": True, "dev": dev, "is_root": dev == root_dev,
            "mount_points": [m[0] for m in mounts]}
    if mounts:
        info["fstype"] = mounts[0][1]
        info["fs_bytes"] = fs_bytes(module, binary, path, mounts[0][0], mounts[0][1])
    return info


def shutdown_log(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    return summarize(last_job(parse_lines(text)))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            binary=dict(type="path", required=True),
            devices=dict(type="list", elements="path", default=[]),
            shutdown_log=dict(type="path", default="/var/log/rootlift.log"),
        ),
        supports_check_mode=True,
    )
    binary = module.params["binary"]
    if not os.access(binary, os.X_OK):
        module.fail_json(msg="no executable rootlift at %s" % binary)
    # plan exits 3 when a lift is impossible, and says why in its JSON.
    plan_rc, plan = run_json(module, [binary, "plan", "--json"], ok_codes=(0, 3))
    status = run_json(module, [binary, "status", "--json"])[1]
    root = plan.get("root") or {}
    stack = plan.get("device_stack") or {}
    facts = {
        "binary": binary,
        "root": root,
        "device_stack": stack,
        "filesystem": filesystem(module, binary, plan),
        "lvm": lvm_sizes(module, stack),
        "ram_available_bytes": plan.get("ram_available_bytes"),
        "tmpfs_bytes": plan.get("tmpfs_bytes"),
        "init": plan.get("init"),
        "other_mount_namespaces": plan.get("other_mount_namespaces") or [],
        "holders": [
            {k: h.get(k) for k in ("pid", "comm", "unit", "release")}
            for h in plan.get("holders") or []
        ],
        "steps": plan.get("steps") or [],
        "verdict": {
            "lift_possible": bool(plan.get("lift_possible")),
            "refused": plan.get("refused"),
            "plan_rc": plan_rc,
        },
        "journal": summarize_status(status),
        "shutdown_log": shutdown_log(module.params["shutdown_log"]),
        "at_shutdown_installed": os.path.exists("/run/initramfs/rootlift-job"),
        "devices": dict(
            (p, device_info(module, binary, p, root.get("dev"))) for p in module.params["devices"]
        ),
    }
    module.exit_json(changed=False, ansible_facts={"rootlift": facts})


if __name__ == "__main__":
    main()
