# shellcheck shell=bash disable=SC2034  # sets LIFT_* for the scenario
# One live lift driven over SSH like an administrator would: the command
# runs in the background in its own session (cut when release stops that
# session's sshd), the dead-man timer is confirmed from a new login, and
# `rootlift status --json` is polled from new logins until job.done. A
# prober tries a fresh login every E2E_PROBE_INTERVAL seconds meanwhile.

# The lift's status from whichever rootlift exists now: /usr/bin/rootlift
# in the tmpfs while lifted, /root/rootlift once the root is back.
_remote_status='if [ -x /usr/bin/rootlift ]; then exec /usr/bin/rootlift status --json; else exec /root/rootlift status --json; fi'

# run_lift NAME TIMEOUT CMD...: runs CMD (a rootlift job) in the guest and
# follows it into STATUS_JSON. Sets LIFT_SECONDS (command to job.done),
# LIFT_SESSION (how CMD's own session ended) and LIFT_REACHABLE (no when
# the console showed the return begin but no login worked for
# UNREACHABLE_AFTER seconds after it; the journal then comes from the
# console, as far as printk's rate limit let it through). Output in
# RUN_DIR/NAME.*.
UNREACHABLE_AFTER=${E2E_UNREACHABLE_AFTER:-180}
run_lift() {
    local name=$1 timeout=$2 t0 deadline status confirmed=no pid rc=0 done0 seen="" old last_ok=$SECONDS
    shift 2
    LIFT_REACHABLE=yes
    done0=$(_console_return_count)
    # status shows the journal's last cycle: until this job's enter.begin,
    # that is the previous job's, job.done and all.
    old=$(gssh "$_remote_status" 2>/dev/null | jq -c '.events[0] // empty' 2>/dev/null) || true
    start_prober "$name"
    t0=$(stamp)
    gssh "$@" >"$RUN_DIR/$name.out" 2>&1 &
    pid=$!
    BG_PIDS+=("$pid")
    deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        sleep 2
        if ! status=$(gssh "$_remote_status" 2>/dev/null) || ! jq -e . >/dev/null 2>&1 <<<"$status"; then
            # No login: the console (kernel log) still tells when the return began.
            if [[ -z $seen ]] && (($(_console_return_count) > done0)); then
                seen=$SECONDS
                say "$name: the return began (console), but no login works"
            fi
            if [[ -n $seen ]] && ((SECONDS - seen > UNREACHABLE_AFTER)); then
                LIFT_REACHABLE=no
                break
            fi
            continue
        fi
        last_ok=$SECONDS
        [[ -n $old && $(jq -c '.events[0] // empty' <<<"$status") == "$old" ]] && continue
        echo "$status" >"$STATUS_JSON"
        [[ -n $(ev_time job.done) ]] && break
        # Each gssh is a new login: a confirm that works proves logins do.
        if [[ $confirmed == no && -n $(ev_time job.wait-confirm) && -z $(ev_time job.confirm) ]]; then
            gssh /usr/bin/rootlift confirm >>"$RUN_DIR/$name.confirm" 2>&1 && confirmed=yes
            say "$name: confirm: $confirmed ($(tail -n 1 "$RUN_DIR/$name.confirm"))"
        fi
    done
    # Out of time with no login for long: examined like an unreachable guest.
    ((SECONDS < deadline || SECONDS - last_ok < UNREACHABLE_AFTER)) || LIFT_REACHABLE=no
    LIFT_SECONDS=$(secs "$t0" "$(stamp)")
    # The prober runs on until a login works again after the job, so the
    # longest gap is measured to its real end.
    deadline=$((SECONDS + 60))
    until [[ $LIFT_REACHABLE == no || $(tail -n 1 "$RUN_DIR/$name.probe.log" | awk '{ print $3 }') == ok ]] \
        || ((SECONDS > deadline)); do
        sleep 1
    done
    stop_prober
    # CMD's session ends with the job, or was cut; give it a moment.
    timeout 30 tail --pid="$pid" -f /dev/null || kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || rc=$?
    LIFT_SESSION="exit $rc: $(tail -n 1 "$RUN_DIR/$name.out" | cut -c1-100)"
    _console_journal >"$RUN_DIR/$name.console-journal"
    if [[ $LIFT_REACHABLE == no ]]; then
        say "$name: no login for $UNREACHABLE_AFTER s after the return began: $(tail -n 1 "$RUN_DIR/$name.console-journal")"
        return 0
    fi
    journal_lines >"$RUN_DIR/$name.journal" 2>/dev/null || true
    gssh cat /run/rootlift/worker.log >"$RUN_DIR/$name.worker.log" 2>/dev/null || true
    gsave "$name.dmesg" dmesg
    [[ -s $STATUS_JSON && -n $(ev_time job.done) ]] \
        || die "$name: no job.done within $timeout s (stage $(jq -r .stage "$STATUS_JSON" 2>/dev/null)); $(_lift_trouble)"
    say "$name: job.done after $LIFT_SECONDS s: code=$(ev_value job.done code) result=$(ev_value job.done result)"
}

# The journal lines the console got through the kernel log, as
# "UPTIME STAGE EVENT DETAIL".
_console_journal() {
    console_text "$SERIAL_LOG" | sed -n 's/^\[ *\([0-9.]*\)\] rootlift: /\1 /p'
}

# The returns the console saw begin: return.begin, or the stub's exec of
# the real init (either may be lost to printk's rate limit, rarely both).
_console_return_count() {
    _console_journal | grep -c ' return\.begin \| stub: exec ' || true
}

# When a lift never ended: the raw journal and the worker's output (in
# RUN_DIR), and the last journal lines the console got through the kernel
# log.
_lift_trouble() {
    gssh cat /run/rootlift/journal >"$RUN_DIR/journal.raw" 2>/dev/null || true
    gssh cat /run/rootlift/worker.log >"$RUN_DIR/worker.log" 2>/dev/null || true
    { grep -a 'rootlift:' "$SERIAL_LOG" || true; } | tail -n 5 | tr -d '\r' | paste -sd'|' -
}
