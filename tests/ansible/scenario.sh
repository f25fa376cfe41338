# shellcheck shell=bash
# The four runs of the collection's playbook (README.md) against the guest, each checked from the host
# over SSH (a fresh login each time). Sourced by tests/ansible/e2e.

# The guest's root LV is 1600M; its filesystem's floor is near 1.3 GiB.
SHRINK_TO=${E2E_ANSIBLE_SHRINK_TO:-1480M}   # the first shrink
KILLED_TO=${E2E_ANSIBLE_KILLED_TO:-1440M}   # the run that gets killed
GROW_TO=${E2E_ANSIBLE_GROW_TO:-1520M}       # grown back online
SHUTDOWN_TO=${E2E_ANSIBLE_SHUTDOWN_TO:-1480M}  # then shrunk --at-shutdown
BIN_ON_GUEST=/usr/local/sbin/rootlift
BOOT_TIMEOUT=300

# rootlift status --json on the guest, from whichever copy exists now.
_guest_status="if [ -x $BIN_ON_GUEST ]; then exec $BIN_ON_GUEST status --json; elif [ -x /usr/bin/rootlift ]; then exec /usr/bin/rootlift status --json; fi"

scenario_boot() {
    local t0=$SECONDS state
    start_qemu "$RUN_DIR/disk.img"
    wait_ssh "$BOOT_TIMEOUT"
    state=$(wait_systemd "$BOOT_TIMEOUT")
    BEFORE_STATE=$state
    BEFORE_LV=$(lv_bytes)
    say "booted to '$state' in $((SECONDS - t0)) s; root LV $BEFORE_LV bytes"
}

lv_bytes() { gssh "lvs --units b --nosuffix --noheadings -o lv_size vg0/root" | tr -d ' '; }

# The root filesystem's bytes from its superblock (through the kernel's
# node for the mounted root).
fs_bytes() {
    # shellcheck disable=SC2016  # expanded in the guest
    gssh 'dumpe2fs -h "/dev/$(basename "$(readlink "/sys/dev/block/$(mountpoint -d /)")")" 2>/dev/null' \
        | awk -F: '$1 == "Block count" { c = $2 } $1 == "Block size" { s = $2 } END { print c * s }'
}

# How many lifts the guest's journal holds since boot (every one begins
# with enter.begin; the file keeps them all).
lifts() {
    local n
    n=$(gssh "grep -c ' enter.begin ' /run/rootlift/journal 2>/dev/null || true")
    echo "${n:-0}"
}

mib() { echo $((${1%M} * 1024 * 1024)); }

# The system as an administrator checks it after a run.
check_system() {
    local name=$1 state
    state=$(gssh "timeout 120 systemctl is-system-running --wait" 2>/dev/null || true)
    check_eq "$name-system-state" "$BEFORE_STATE" "$state" "is-system-running:"
}

# 1. Check mode: a pre-flight that changes nothing.
scenario_check_mode() {
    play check --check --diff
    check_eq check-exit 0 "$PLAY_RC" "ansible-playbook --check exit"
    check_eq check-failed 0 "$(recap_count check failed)" "failed tasks:"
    check_eq check-lv-unchanged "$BEFORE_LV" "$(lv_bytes)" "root LV bytes"
    check_eq check-nothing-installed absent "$(gssh "test -e $BIN_ON_GUEST && echo present || echo absent")" "$BIN_ON_GUEST:"
    check_eq check-no-lift absent "$(gssh 'test -e /run/rootlift/journal && echo present || echo absent')" "/run/rootlift/journal:"
    check_eq check-no-leftovers "" "$(gssh 'ls -d /tmp/rootlift-check.* 2>/dev/null' | paste -sd' ' -)" "check-mode copies left in /tmp:"
    # What the pre-flight saw (the fact's verdict and floor) for the report.
    grep -o 'vg0-root: filesystem [^"]*' "$RUN_DIR/check.log" | head -n 1 >"$RUN_DIR/check.would" || true
    check_eq check-would-shrink yes "$(grep -q "would shrink it" "$RUN_DIR/check.would" && echo yes || echo no)" \
        "the pre-flight said ($(cat "$RUN_DIR/check.would")):"
    # The floor it predicts with is the live one, which the job checks.
    check_eq check-live-floor yes "$(grep -q ' bytes (live), asked for' "$RUN_DIR/check.would" && echo yes || echo no)" \
        "the pre-flight's floor is the live one:"
}

# 1b. A size below the floor: rootlift refuses, the host fails with its
#     message and exit code, nothing is lifted or changed.
scenario_refused() {
    play refused -e '{"shrink_lv_devices": [{"device": "/dev/mapper/vg0-root", "size": "1000M"}]}'
    check_eq refused-failed 1 "$(recap_count refused failed)" "failed tasks:"
    check_eq refused-rc yes "$(grep -q '"rc": 3,' "$RUN_DIR/refused.log" && echo yes || echo no)" "the job action's rc is rootlift's 3:"
    check_eq refused-message yes \
        "$(grep -q 'rootlift: error: refused: 1000.0 MiB is below the shrink floor' "$RUN_DIR/refused.log" && echo yes || echo no)" \
        "rootlift's own message:"
    check_eq refused-lv-unchanged "$BEFORE_LV" "$(lv_bytes)" "root LV bytes"
    check_eq refused-no-lift 0 "$(lifts)" "lifts in the journal:"
}

# 2. The real shrink, live.
scenario_shrink() {
    local want
    want=$(mib "$SHRINK_TO")
    play shrink
    check_eq shrink-exit 0 "$PLAY_RC" "ansible-playbook exit"
    check_eq shrink-changed yes "$( (($(recap_count shrink changed) > 0)) && echo yes || echo no)" "changed > 0:"
    check_eq shrink-lv "$want" "$(lv_bytes)" "root LV bytes"
    check_eq shrink-fs "$want" "$(fs_bytes)" "root filesystem bytes"
    check_eq shrink-one-lift 1 "$(lifts)" "lifts in the journal:"
    check_eq shrink-started yes "$(grep -q '"started_job": true' "$RUN_DIR/shrink.log" && echo yes || echo no)" "shrink_lv_result.started_job:"
    gssh "$_guest_status" >"$RUN_DIR/shrink.status.json" 2>/dev/null || true
    check_eq shrink-job-done "returned 0" \
        "$(jq -r '[.stage, ([.events[] | select(.event == "job.done")][0].detail | capture("code=(?<c>[0-9]+)").c)] | join(" ")' \
            "$RUN_DIR/shrink.status.json" 2>/dev/null)" "stage and job.done code:"
    check_system shrink
}

# 3. The same playbook again: nothing to do.
scenario_again() {
    play again
    check_eq again-exit 0 "$PLAY_RC" "ansible-playbook exit"
    check_eq again-unchanged 0 "$(recap_count again changed)" "changed tasks:"
    check_eq again-no-lift 1 "$(lifts)" "lifts in the journal:"
}

# 4. A run killed once its job has lifted the guest, then the same run
#    again: it follows the job the killed run started, and starts none.
scenario_killed() {
    local want pid deadline lifted=no extra
    want=$(mib "$KILLED_TO")
    extra="{\"shrink_lv_devices\": [{\"device\": \"/dev/mapper/vg0-root\", \"size\": \"$KILLED_TO\"}]}"
    # Its own session, so the kill takes its workers and ssh clients too.
    setsid "$VENV/bin/ansible-playbook" "$PLAYBOOK" -e "$extra" >"$RUN_DIR/killed.log" 2>&1 &
    pid=$!
    BG_PIDS+=("$pid")
    deadline=$((SECONDS + 600))
    while ((SECONDS < deadline)) && kill -0 "$pid" 2>/dev/null; do
        if gssh "$_guest_status" 2>/dev/null | jq -e '.lifted' >/dev/null 2>&1; then
            lifted=yes
            break
        fi
        sleep 1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    stop_ssh_masters
    # Where the job stood then (a login may fail while sshd moves).
    for _ in 1 2 3 4 5; do
        gssh "$_guest_status" >"$RUN_DIR/killed.status.json" 2>/dev/null && break
        sleep 2
    done
    local at task
    at=$(jq -r '"\(.stage) \(.events[-1].event)"' "$RUN_DIR/killed.status.json" 2>/dev/null || true)
    task=$(grep -o '^TASK \[[^]]*\]' "$RUN_DIR/killed.log" | tail -n 1)
    RECAPS+=("killed"$'\t'"$((SECONDS - deadline + 600))"$'\t'"SIGKILL"$'\t'"killed in $task; the guest's journal then: ${at:-?}")
    check_eq killed-while-lifted yes "$lifted" "the run was killed in $task while its job had the guest lifted ($at):"
    play rerun -e "$extra"
    check_eq rerun-exit 0 "$PLAY_RC" "ansible-playbook exit"
    check_eq rerun-followed yes "$(grep -q '"followed_earlier_job": true' "$RUN_DIR/rerun.log" && echo yes || echo no)" \
        "shrink_lv_result.followed_earlier_job:"
    check_eq rerun-no-second-job 2 "$(lifts)" "lifts in the journal (the first shrink and the killed run's):"
    check_eq rerun-lv "$want" "$(lv_bytes)" "root LV bytes"
    check_eq rerun-fs "$want" "$(fs_bytes)" "root filesystem bytes"
    check_system rerun
}

# 6. Grow online (rootlift.live.grow_root, no lift), then again: unchanged.
scenario_grow() {
    local want keep=$PLAYBOOK extra
    want=$(mib "$GROW_TO")
    extra="{\"grow_lv_devices\": [{\"device\": \"/dev/mapper/vg0-root\", \"size\": \"$GROW_TO\"}]}"
    PLAYBOOK=rootlift.live.grow_root
    play grow -e "$extra"
    check_eq grow-exit 0 "$PLAY_RC" "ansible-playbook exit"
    check_eq grow-lv "$want" "$(lv_bytes)" "root LV bytes"
    check_eq grow-fs "$want" "$(fs_bytes)" "root filesystem bytes"
    check_eq grow-no-lift 2 "$(lifts)" "lifts in the journal:"
    play grow-again -e "$extra"
    check_eq grow-again-exit 0 "$PLAY_RC" "ansible-playbook exit"
    check_eq grow-again-unchanged 0 "$(recap_count grow-again changed)" "changed tasks:"
    PLAYBOOK=$keep
    check_system grow
}

# 7. --at-shutdown: the role installs the job and reboots the guest; the
#    guest's reboot(2) ends qemu (-no-reboot), so the harness boots the
#    same disk again while the playbook waits for the host to come back.
scenario_at_shutdown() {
    local want pid extra
    want=$(mib "$SHUTDOWN_TO")
    extra="{\"shrink_lv_devices\": [{\"device\": \"/dev/mapper/vg0-root\", \"size\": \"$SHUTDOWN_TO\"}], \"shrink_lv_at_shutdown\": true}"
    "$VENV/bin/ansible-playbook" "$PLAYBOOK" -e "$extra" >"$RUN_DIR/at-shutdown.log" 2>&1 &
    pid=$!
    BG_PIDS+=("$pid")
    local t0=$SECONDS
    wait_qemu_exit 900 || die "the guest did not reboot within 900 s of the --at-shutdown run's start"
    start_qemu "$RUN_DIR/disk.img"
    PLAY_RC=0
    wait "$pid" || PLAY_RC=$?
    RECAPS+=("at-shutdown"$'\t'"$((SECONDS - t0))"$'\t'"$PLAY_RC"$'\t'"$(recap at-shutdown)")
    say "at-shutdown: exit $PLAY_RC after $((SECONDS - t0)) s: $(recap at-shutdown)"
    check_eq at-shutdown-exit 0 "$PLAY_RC" "ansible-playbook exit"
    check_eq at-shutdown-lv "$want" "$(lv_bytes)" "root LV bytes"
    check_eq at-shutdown-fs "$want" "$(fs_bytes)" "root filesystem bytes"
    check_eq at-shutdown-log "code=0" "$(gssh "grep -o ' job.done code=[0-9]*' /var/log/rootlift.log | tail -n 1" | cut -d' ' -f3)" \
        "/var/log/rootlift.log: last job.done"
    check_eq at-shutdown-reported yes "$(grep -q '"kind": "shrink"' "$RUN_DIR/at-shutdown.log" && echo yes || echo no)" \
        "shrink_lv_result.journal read from the log:"
    check_system at-shutdown
}
