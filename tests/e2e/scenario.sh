# shellcheck shell=bash disable=SC2034  # sets the timings for lib/report.sh
# Issue 8's acceptance scenario, driven from the host like an administrator
# would over SSH: boot, record, plan, `rootlift shrink --live` with a
# confirm from a new login, check everything came back unchanged, check
# that logins work while the root is released, reboot.
# Sourced by tests/e2e/run.

SHRINK_TO=${E2E_SHRINK_TO:-1400M}   # MiB, a whole number of 4 MiB extents
SHUTDOWN_TO=${E2E_SHUTDOWN_TO:-1360M}  # the --at-shutdown shrink after it
JOB_TIMEOUT=600                     # seconds from the shrink command to job.done
BOOT_TIMEOUT=300

# 1. Boot the run's copy of the guest; record its state.
scenario_boot() {
    local t0 state
    t0=$(stamp)
    start_qemu "$RUN_DIR/disk.img"
    wait_ssh "$BOOT_TIMEOUT"
    state=$(wait_systemd "$BOOT_TIMEOUT")
    BOOT_SECONDS=$(secs "$t0" "$(stamp)")
    say "booted to '$state' in $BOOT_SECONDS s (guest uptime $(gssh "cut -d' ' -f1 /proc/uptime") s)"
    gsave before.holders systemctl is-active holder-private.service holder-log.service
    [[ $(paste -sd' ' "$RUN_DIR/before.holders") == "active active" ]] \
        || die "the holder services are not running: the scenario's premise fails"
    snapshot before
    measure_manual_footprint
    [[ -s $RUN_DIR/before.md5 && -s $RUN_DIR/before.findmnt && -s $RUN_DIR/before.units ]] \
        || die "could not record the guest's state before the job (see ${RUN_DIR#"$REPO_ROOT"/}/before.*.err)"
}

# 2. rootlift in the guest, and its plan.
scenario_plan() {
    local t0
    gscp "$ROOTLIFT_BIN" /root/rootlift
    t0=$(stamp)
    gssh /root/rootlift plan >"$RUN_DIR/plan.txt" 2>&1 || true
    PLAN_SECONDS=$(secs "$t0" "$(stamp)")
    gssh /root/rootlift plan --json >"$RUN_DIR/plan.json" 2>"$RUN_DIR/plan.err" || true
    check_eq plan-names-the-lv "vg0/root" \
        "$(jq -r '.device_stack | "\(.vg)/\(.lv)"' "$RUN_DIR/plan.json" 2>/dev/null)" "device_stack"
    check_eq plan-names-systemd systemd "$(jq -r .init "$RUN_DIR/plan.json" 2>/dev/null)" "init"
}

# 3. The job, as lib/lift.sh drives it.
scenario_shrink() {
    run_lift shrink "$JOB_TIMEOUT" /root/rootlift shrink "$SHRINK_TO" --live --yes
    JOB_SECONDS=$LIFT_SECONDS SHRINK_SESSION=$LIFT_SESSION
    read -r PROBES PROBES_FAILED PROBES_HOSTKEY SSH_GAP SSH_GAP_FAILS < <(probe_summary shrink)
}

# 4. Everything as before, but smaller.
scenario_checks() {
    local want_bytes fs_bytes
    check_eq job-done-code 0 "$(ev_value job.done code)" "job.done code="
    # sshd runs, so the dead-man timer is on by default, and our confirm
    # from a new login released it.
    check_eq dead-man-armed 600 "$(ev_value job.wait-confirm seconds)" "job.wait-confirm seconds="
    check_eq confirmed yes "$([[ -n $(ev_time job.confirm) ]] && echo yes || echo no)" "job.confirm journaled:"
    # The worker waits for the confirm once the tmpfs sshd is up, so
    # that the confirming login proves the new sshd works.
    local restarted waiting
    restarted=$(ev_index release.restarted 'unit=ssh') waiting=$(ev_index job.wait-confirm)
    check_eq sshd-in-tmpfs-before-confirm yes \
        "$([[ -n $restarted && -n $waiting ]] && ((restarted < waiting)) && echo yes || echo no)" \
        "journal line of ssh.service's restart ${restarted:-none}, of job.wait-confirm ${waiting:-none}; restart first:"
    check_eq fsck-verify-clean 0 "$(fsck_verify_code)" "e2fsck -f -n exit"
    want_bytes=$((${SHRINK_TO%M} * 1024 * 1024))
    gsave after.lv-bytes "lvs --units b --nosuffix --noheadings -o lv_size vg0/root"
    check_eq lv-size "$want_bytes" "$(tr -d ' ' <"$RUN_DIR/after.lv-bytes")" "bytes"
    # The superblock through the kernel's own node for the mounted root
    # (/dev/dm-N from devtmpfs), whatever became of /dev/mapper.
    # shellcheck disable=SC2016  # expanded in the guest
    gsave after.dumpe2fs 'dumpe2fs -h "/dev/$(basename "$(readlink "/sys/dev/block/$(mountpoint -d /)")")"'
    fs_bytes=$(awk -F: '$1 == "Block count" { c = $2 } $1 == "Block size" { s = $2 } END { print c * s }' \
        "$RUN_DIR/after.dumpe2fs")
    check_eq fs-size "$want_bytes" "$fs_bytes" "bytes"
    gsave after.pid1-exe readlink /proc/1/exe
    check_eq pid1-exe /usr/lib/systemd/systemd "$(cat "$RUN_DIR/after.pid1-exe")"
    # The same state as before, once systemd says it is done starting.
    gsave after.wait "timeout 120 systemctl is-system-running --wait"
    snapshot after
    check_eq system-state "$(cat "$RUN_DIR/before.state")" "$(cat "$RUN_DIR/after.state")"
    check_same failed-units "$RUN_DIR/before.failed" "$RUN_DIR/after.failed"
    check_same active-units "$RUN_DIR/before.units" "$RUN_DIR/after.units"
    check_same checksums "$RUN_DIR/before.md5" "$RUN_DIR/after.md5"
    check_same mounts "$RUN_DIR/before.findmnt" "$RUN_DIR/after.findmnt"
    check_same dev-nodes "$RUN_DIR/before.devnodes" "$RUN_DIR/after.devnodes"
    gsave after.holders systemctl is-active holder-private.service holder-log.service
    check_eq holders-back "active active" "$(paste -sd' ' "$RUN_DIR/after.holders")"
    # The guest's network stays configured while lifted (else no SSH). Only
    # as good as networkd's log: journald may be gone before it says so.
    gsave after.networkd "journalctl -b -u systemd-networkd --no-pager -o cat"
    check_eq network-kept "" "$(grep -i 'lease lost\|link down' "$RUN_DIR/after.networkd" | sort -u | paste -sd'|' -)" \
        "systemd-networkd said:"
    check_eq ssh-host-key-kept 0 "$PROBES_HOSTKEY" "logins that saw another host key:"
    if gssh true 2>"$RUN_DIR/ssh-after.err"; then
        check_pass ssh-after-return "a new login, same host key"
    else
        check_fail ssh-after-return "$(tail -n 1 "$RUN_DIR/ssh-after.err")"
    fi
    # Every journal line of the lift is in the kernel log, as "rootlift:
    # STAGE EVENT DETAIL" (without the time).
    gsave dmesg dmesg
    jq -r '.events[] | "rootlift: \(.stage) \(.event) \(.detail)"' "$STATUS_JSON" \
        | while IFS= read -r line; do
            grep -qF -- "$line" "$RUN_DIR/dmesg" || echo "$(cut -d' ' -f3 <<<"$line")(${#line} bytes)"
        done >"$RUN_DIR/dmesg.missing"
    check_eq journal-in-dmesg "" "$(paste -sd' ' "$RUN_DIR/dmesg.missing")" \
        "of $(jq '.events | length' "$STATUS_JSON") journal lines, missing from dmesg:"
}

# 3b. The shrink leaves the root released for ~2 s: too short to see
#     whether an administrator can log in meanwhile. A `rootlift run` of
#     a 20 s sleep keeps it released long enough to tell.
scenario_released_window() {
    local keep=$STATUS_JSON released back ok
    STATUS_JSON=$RUN_DIR/window.status.json
    run_lift window "$JOB_TIMEOUT" /root/rootlift run --live --yes -- /usr/bin/sleep 20
    check_eq window-job-done-code 0 "$(ev_value job.done code)" "job.done code="
    released=$(ev_time release.done) back=$(ev_time return.begin)
    ok=$(probe_ok_between window "$((released + 1))" "${back:-0}")
    read -r _ _ _ WINDOW_GAP _ < <(probe_summary window)
    WINDOW_RELEASED=$((${back:-0} - ${released:-0}))
    check_eq ssh-while-released yes "$( ((ok > 0)) && echo yes || echo no)" \
        "$ok logins worked in the ${WINDOW_RELEASED} s between release.done and return.begin; longest gap ${WINDOW_GAP} s; any:"
    STATUS_JSON=$keep
}

# 5. --at-shutdown (issue 9): the next reboot shrinks the root again, from
#    systemd-shutdown, with rootlift as PID 1 in /run/initramfs; the guest
#    comes up on the smaller root. Then an offline fsck from the host.
scenario_reboot() {
    local t0 t1 state sizes want log=$RUN_DIR/rootlift.log
    want=$((${SHUTDOWN_TO%M} * 1024 * 1024))
    # A refused preflight (below the floor) installs nothing.
    local rc=0
    gssh /root/rootlift shrink 64M --at-shutdown --yes >"$RUN_DIR/at-shutdown-refused.out" 2>&1 || rc=$?
    check_eq at-shutdown-refused "exit 3, nothing installed" \
        "exit $rc, $(gssh 'test -e /run/initramfs/shutdown && echo installed || echo nothing installed')"
    gssh /root/rootlift shrink "$SHUTDOWN_TO" --at-shutdown --yes >"$RUN_DIR/at-shutdown.out" 2>&1 \
        || die "rootlift shrink $SHUTDOWN_TO --at-shutdown: $(tail -n 1 "$RUN_DIR/at-shutdown.out")"
    t0=$(stamp)
    gssh systemctl reboot >/dev/null 2>&1 || true
    # -no-reboot: the guest's reboot(2), here rootlift's after the job, ends qemu.
    wait_qemu_exit 600 || die "the guest did not reboot within 600 s of 'systemctl reboot'"
    t1=$(stamp)
    SHUTDOWN_SECONDS=$(secs "$t0" "$t1")
    start_qemu "$RUN_DIR/disk.img"
    wait_ssh "$BOOT_TIMEOUT"
    state=$(wait_systemd "$BOOT_TIMEOUT")
    REBOOT_SECONDS=$(secs "$t0" "$(stamp)")
    check_eq reboot-state "$(cat "$RUN_DIR/before.state")" "$state"
    gsave rootlift.log cat /var/log/rootlift.log
    check_eq at-shutdown-done "code=0" "$(grep -o ' job.done code=[0-9]*' "$log" | tail -n 1 | cut -d' ' -f3)" \
        "/var/log/rootlift.log: last job.done"
    check_eq at-shutdown-verify 0 "$(grep 'job.exit program=/usr/sbin/e2fsck' "$log" | tail -n 1 | grep -o 'code=[0-9]*' | cut -d= -f2)" \
        "the job's last e2fsck (-f -n) exit"
    gsave reboot.root findmnt -rn -o SOURCE,FSTYPE /
    check_eq reboot-root "/dev/mapper/vg0-root ext4" "$(cat "$RUN_DIR/reboot.root")"
    gsave reboot.lv-bytes "lvs --units b --nosuffix --noheadings -o lv_size vg0/root"
    check_eq reboot-lv-size "$want" "$(tr -d ' ' <"$RUN_DIR/reboot.lv-bytes")" "bytes"
    gsave reboot.holders systemctl is-active holder-private.service holder-log.service
    check_eq reboot-holders "active active" "$(paste -sd' ' "$RUN_DIR/reboot.holders")"
    snapshot reboot
    check_same reboot-checksums "$RUN_DIR/before.md5" "$RUN_DIR/reboot.md5"
    scenario_fsck_at_shutdown
    gssh systemctl poweroff >/dev/null 2>&1 || true
    wait_qemu_exit 180 || die "the guest did not power off within 180 s"
    if sizes=$(fsck_image "$RUN_DIR/disk.img" 2>"$RUN_DIR/host-fsck.log"); then
        check_eq host-fsck "$want $want" "$sizes" "e2fsck -f -n of the powered-off image: clean; LV and fs bytes:"
    else
        check_fail host-fsck "$(tail -n 2 "$RUN_DIR/host-fsck.log" | paste -sd'|' -)"
    fi
}

# 5b. `fsck --at-shutdown`: the next reboot checks the released root.
scenario_fsck_at_shutdown() {
    local log=$RUN_DIR/fsck-at-shutdown.log
    gssh /root/rootlift fsck --at-shutdown --yes >"$RUN_DIR/fsck-at-shutdown.out" 2>&1 \
        || die "rootlift fsck --at-shutdown: $(tail -n 1 "$RUN_DIR/fsck-at-shutdown.out")"
    gssh systemctl reboot >/dev/null 2>&1 || true
    wait_qemu_exit 600 || die "the guest did not reboot within 600 s (fsck --at-shutdown)"
    start_qemu "$RUN_DIR/disk.img"
    wait_ssh "$BOOT_TIMEOUT"
    wait_systemd "$BOOT_TIMEOUT" >/dev/null
    gsave fsck-at-shutdown.log cat /var/log/rootlift.log
    check_eq fsck-at-shutdown "kind=fsck code=0" \
        "$(grep -o ' job.begin kind=[a-z]*' "$log" | tail -n 1 | cut -d' ' -f3) $(grep -o ' job.done code=[0-9]*' "$log" | tail -n 1 | cut -d' ' -f3)" \
        "/var/log/rootlift.log, the last job:"
}

# The manual procedure's footprint (the reference howto copies these with
# cp -ax into RAM), measured on the guest as du sees them, for make bench.
measure_manual_footprint() {
    # shellcheck disable=SC2016  # expanded in the guest
    MANUAL_BYTES=$(gssh 'set -- /bin /etc /mnt /sbin /lib /lib64 /run /usr/bin /usr/sbin /usr/lib /usr/lib64 /var/account /var/empty /var/lib /var/local /var/lock /var/nis /var/opt /var/preserve /var/run /var/spool /var/tmp /var/yp; for p; do [ -e "$p" ] && echo "$p"; done | xargs du -sxbc | tail -n 1 | cut -f1') || MANUAL_BYTES=""
}
