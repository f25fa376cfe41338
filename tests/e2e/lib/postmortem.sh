# shellcheck shell=bash
# A guest that no login reaches after a job: what can still be known
# without it. The job's end from the console (its kernel-log lines), what
# the console reporter printed (sysvinit's e2e-watch), then the guest is
# stopped (a hard power-off) and its disk read from the host: the root's
# journal replayed in a copy, e2fsck -f -n of every volume, the sizes, and
# the guest's logs. Every check the guest could not answer fails.

postmortem() {
    local name=$1 console=$RUN_DIR/$1.console-journal copy=$RUN_DIR/disk.replayed offset bytes sizes done_line f
    done_line=$(grep ' job\.done ' "$console" | tail -n 1) || true
    check_fail ssh-after-return "no login for $UNREACHABLE_AFTER s after return.begin on the console ($name); the guest was examined from its console and disk"
    check_eq job-done-code 0 "$(grep -o ' code=[0-9]*' <<<"$done_line" | cut -d= -f2)" \
        "job.done on the console (${done_line:+${done_line%% *} s after boot}${done_line:-not there: $(grep -c 'output lines suppressed' "$SERIAL_LOG") kernel-log rate limit notes}) code="
    check_fail guest-checks "not run: no login (snapshots, services, sizes through the guest): see ${RUN_DIR#"$REPO_ROOT"/}/postmortem.*"
    { grep -a 'e2e-watch:' "$SERIAL_LOG" | tr -d '\r' | tail -n 8 || true; } >"$RUN_DIR/postmortem.watch"
    stop_qemu
    say "postmortem: the guest is stopped; reading its disk"
    read -r offset bytes < <(replayed_copy "$RUN_DIR/disk.img" "$copy" 2>"$RUN_DIR/postmortem.replay.log")
    if sizes=$(fsck_image "$copy" 2>"$RUN_DIR/postmortem.fsck.log"); then
        check_eq host-fsck "$((${FINAL_SIZE%M} * MIB)) $((${FINAL_SIZE%M} * MIB))" "$sizes" \
            "after a hard stop and the journal's replay, e2fsck -f -n of every volume: clean; root's volume and fs bytes:"
    else
        check_fail host-fsck "$(grep -v '^==' "$RUN_DIR/postmortem.fsck.log" | tail -n 2 | paste -sd'|' -)"
    fi
    check_image_states host-fs-state "$copy"
    for f in /var/log/syslog /var/log/daemon.log /var/log/auth.log /var/log/e2e-cron.log /var/log/holder.log; do
        image_cat "$copy" "$offset" "$bytes" "$f" 2>/dev/null | awk 'NR == 1 { print; next } { l[NR % 40] = $0 } END { for (i = NR + 1; i <= NR + 40; i++) if ((i % 40) in l) print l[i % 40] }'
    done >"$RUN_DIR/postmortem.logs"
    rm -f "$copy"
}
