# -*- coding: utf-8 -*-
# Copyright: rootlift contributors
# MIT License (see the collection's LICENSE)
"""The `job` action: a live rootlift job driven from the controller with
plain shell commands (the lifted host has no Python). See the module's
documentation in plugins/modules/job.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import shlex
import time

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.action import ActionBase
from ansible_collections.rootlift.live.plugins.module_utils.journal import (
    summarize_status,
)

# The tmpfs copy of rootlift while the root is lifted.
LIFTED_BINARY = "/usr/bin/rootlift"
# What the detached starter leaves in /run (which moves with the lift, so
# these stay writable): rootlift's output, and its exit code when it ends
# before the old root is released (a refusal, a failed enter).
START_OUT = "/run/rootlift-ansible.out"
START_RC = "/run/rootlift-ansible.rc"
# Seconds between two checks that the job's worker still runs.
WORKER_CHECK = 30
# A host without any rootlift yet answers this instead of a status.
NO_ROOTLIFT = '{"stage":"idle","lifted":false,"events":[],"absent":true}'


class Gone(Exception):
    """No login worked, or the command printed no usable answer."""


class JobRefused(Gone):
    """The job ended before it lifted anything: rootlift's exit code and message."""

    def __init__(self, code, message, lines):
        super(JobRefused, self).__init__(message)
        self.code = code
        self.lines = lines


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True
    _supports_check_mode = True
    _supports_async = False

    _VALID_ARGS = frozenset(
        ("binary", "argv", "start", "confirm_within", "timeout", "start_timeout",
         "poll", "rerun_failed")
    )

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = self.validate_argument_spec(
            argument_spec=dict(
                binary=dict(type="str", required=True),
                argv=dict(type="list", elements="str", default=[]),
                start=dict(type="bool", default=True),
                confirm_within=dict(type="int", default=600),
                timeout=dict(type="int", default=3600),
                start_timeout=dict(type="int", default=300),
                poll=dict(type="int", default=5),
                rerun_failed=dict(type="bool", default=False),
            )
        )[1]
        self._binary = args["binary"]
        self._poll = max(1, args["poll"])
        self._failures = 0
        t0 = time.time()
        result.update(started=False, attached=False, confirmed_by_us=False, changed=False)
        try:
            result.update(self._drive(args))
        except JobRefused as e:
            # rootlift's own verdict: nothing was lifted, nothing changed.
            result.update(failed=True, rc=e.code, msg=str(e), stdout_lines=e.lines)
        except Gone as e:
            result.update(failed=True, msg="no answer from the host: %s" % e)
        result["connection_failures"] = self._failures
        result["seconds"] = round(time.time() - t0, 1)
        return result

    def _drive(self, args):
        status = self._status_retrying(args["start_timeout"])
        summary = summarize_status(status)
        if status.get("lifted"):
            if self._task.check_mode:
                return dict(
                    failed=True, journal=summary,
                    msg="a lift is in progress on this host (stage %s); check mode does not follow it"
                    % summary["stage"],
                )
            # An earlier run started this job: follow it, never start another.
            out = self._follow(summary, args["timeout"])
            out.update(attached=True, changed=True)
            return out
        if not args["start"]:
            return dict(journal=summary)
        if not args["argv"]:
            return dict(failed=True, msg="argv is empty: nothing to start")
        if args["confirm_within"] < 1:
            return dict(
                failed=True,
                msg="confirm_within must be at least 1 s: the job waits for a confirm from a new login before it releases the root",
            )
        done = summary["done"]
        if summary["began"] and done and done["code"] != 0 and not args["rerun_failed"]:
            return dict(
                failed=True, journal=summary,
                msg="the latest rootlift job on this host (%s) began and failed: %s; "
                "nothing was started (set rerun_failed to run it again)"
                % ((summary["job"] or {}).get("kind"), done["result"]),
            )
        argv = [self._binary] + list(args["argv"]) + [
            "--live", "--yes", "--confirm-within", "%ds" % args["confirm_within"]]
        if self._task.check_mode:
            return dict(changed=True, journal=summary, msg="would run: %s" % " ".join(argv))
        before = (status.get("events") or [None])[0]
        self._start(argv)
        summary = self._wait_started(before, args["start_timeout"])
        out = self._follow(summary, args["timeout"])
        out.update(started=True, changed=True, cmd=argv)
        return out

    # --- commands on the host -------------------------------------------

    def _sh(self, command):
        """rc, stdout, stderr of COMMAND run by the login shell (no /bin/sh
        wrapper, no become: the lifted system has neither)."""
        r = self._low_level_execute_command(command, sudoable=False, executable=False)
        return r.get("rc"), r.get("stdout", ""), r.get("stderr", "")

    def _rootlift(self, *words):
        """A rootlift command from whichever copy exists now: the installed
        binary, or the tmpfs copy while lifted."""
        b, lifted = shlex.quote(self._binary), LIFTED_BINARY
        rest = " ".join(shlex.quote(w) for w in words)
        return (
            "if [ -x {b} ]; then exec {b} {rest}; "
            "elif [ -x {l} ]; then exec {l} {rest}; "
            "else echo '{none}'; fi"
        ).format(b=b, l=lifted, rest=rest, none=NO_ROOTLIFT)

    def _status(self):
        """`rootlift status --json`, parsed; Gone when no login works."""
        try:
            rc, out, err = self._sh(self._rootlift("status", "--json"))
        except AnsibleConnectionFailure as e:
            self._failures += 1
            self._reset()
            raise Gone(str(e))
        try:
            status = json.loads(out)
        except ValueError:
            status = None
        if rc != 0 or not isinstance(status, dict):
            self._failures += 1
            raise Gone("rootlift status --json: exit %s: %s" % (rc, (err or out).strip()[-300:]))
        return status

    def _status_retrying(self, seconds):
        deadline = time.time() + seconds
        while True:
            try:
                return self._status()
            except Gone:
                if time.time() > deadline:
                    raise
            time.sleep(self._poll)

    def _reset(self):
        """Drop a shared (ControlPersist) connection, so the next command is
        a new login to whatever sshd listens now."""
        try:
            self._connection.reset()
        except Exception:  # a reset that fails leaves nothing to drop
            pass

    def _start(self, argv):
        """Starts the job in a session of its own, so it survives the end of
        this connection; its exit code is kept when it ends early."""
        inner = '"$0" "$@" </dev/null >%s 2>&1; echo $? >%s' % (START_OUT, START_RC)
        # Nothing of it may keep this connection's stdio open: the command
        # returns as soon as the job is on its own.
        command = "rm -f %s %s && setsid -f /bin/sh -c %s %s </dev/null >/dev/null 2>&1" % (
            START_OUT, START_RC, shlex.quote(inner), " ".join(shlex.quote(a) for a in argv))
        rc, out, err = self._sh(command)
        if rc != 0:
            raise Gone("could not start %s: exit %s: %s" % (argv[1], rc, (err or out).strip()))

    def _early_end(self):
        """(rc, output) of a job that ended before any lift, or None."""
        command = (
            "if read rc < {rc}; then echo \"rc=$rc\"; "
            "while IFS= read -r l; do echo \"$l\"; done < {out}; fi"
        ).format(rc=START_RC, out=START_OUT)
        try:
            rc, out = self._sh(command)[:2]
        except AnsibleConnectionFailure:
            return None
        lines = out.splitlines()
        if rc != 0 or not lines or not lines[0].startswith("rc="):
            return None
        code = lines[0][3:]
        return (int(code) if code.isdigit() else None, lines[1:])

    def _wait_started(self, before, seconds):
        """The summary of the lift our start began, once the journal has it;
        fails with rootlift's own message and exit code when it ended first."""
        deadline = time.time() + seconds
        while True:
            try:
                status = self._status()
            except Gone:
                status = None
            events = (status or {}).get("events") or []
            if events and events[0] != before:
                return summarize_status(status)
            if status is not None:
                ended = self._early_end()
                if ended is not None:
                    code, lines = ended
                    errors = [l for l in lines if l.startswith("rootlift: error:")]
                    raise JobRefused(code, errors[-1] if errors else "\n".join(lines[-5:]), lines)
            if time.time() > deadline:
                raise Gone("the started job did not show up in the journal within %d s" % seconds)
            time.sleep(self._poll)

    def _follow(self, summary, seconds):
        """Confirms once the worker waits for it (from a new login), then
        reads the journal until the job is done."""
        deadline = time.time() + seconds
        confirmed = False
        next_worker_check = time.time() + WORKER_CHECK
        while not (summary["done"] and summary["final"]):
            if summary["waiting_confirm"] and not summary["confirmed"] and not confirmed:
                confirmed = self._confirm()
            if time.time() > next_worker_check:
                next_worker_check = time.time() + WORKER_CHECK
                if self._worker_gone(summary):
                    return dict(
                        failed=True, journal=summary, confirmed_by_us=confirmed,
                        msg="rootlift's worker (pid %s) ended before the job was done, in stage %s: "
                        "the host may still be lifted; 'rootlift status' tells, 'rootlift return' "
                        "brings it back" % (summary["worker_pid"], summary["stage"]),
                    )
            if time.time() > deadline:
                return dict(
                    failed=True, journal=summary, confirmed_by_us=confirmed,
                    msg="the job did not end within %d s (stage %s); "
                    "see 'rootlift status' on the host" % (seconds, summary["stage"]),
                )
            time.sleep(self._poll)
            try:
                summary = summarize_status(self._status())
            except Gone:
                continue
        out = dict(journal=summary, confirmed_by_us=confirmed)
        if summary["done"]["code"] != 0:
            out.update(failed=True, msg="the rootlift job failed: %s" % summary["done"]["result"])
        return out

    def _worker_gone(self, summary):
        """Whether the job's worker has ended without writing job.done
        (read again after the check, which may race with job.done)."""
        pid = summary.get("worker_pid")
        if not pid or summary["done"]:
            return False
        try:
            rc, out = self._sh("if [ -d /proc/%d ]; then echo alive; else echo gone; fi" % pid)[:2]
        except AnsibleConnectionFailure:
            return False
        if rc != 0 or out.strip() != "gone":
            return False
        try:
            return summarize_status(self._status())["done"] is None
        except Gone:
            return False

    def _confirm(self):
        """`rootlift confirm` from a NEW login: that it works proves logins
        into the lifted system work, which is what the dead-man timer waits for."""
        self._reset()
        try:
            rc = self._sh(self._rootlift("confirm"))[0]
        except AnsibleConnectionFailure:
            self._failures += 1
            return False
        return rc == 0
