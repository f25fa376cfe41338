# shellcheck shell=bash disable=SC2034  # sets the timings for lib/report.sh
# The acceptance scenario of every profile, driven from the host like an
# administrator would over SSH: boot, record, plan, `rootlift shrink --live`
# with a confirm from a new login, check everything came back unchanged,
# (networkd) check that logins work while the root is released, then the
# --at-shutdown jobs the profile's init supports, power off and check the
# disk from the host. A guest that no login reaches after a job is
# examined from its console and its disk instead (lib/postmortem.sh).
# Sourced by tests/e2e/run.

JOB_TIMEOUT=600                     # seconds from the shrink command to job.done
BOOT_TIMEOUT=300
MIB=1048576

# 1. Boot the run's copy of the guest; record its state.
scenario_boot() {
    local t0 state
    t0=$(stamp)
    start_qemu "$RUN_DIR/disk.img"
    wait_ssh "$BOOT_TIMEOUT"
    state=$(wait_ready "$BOOT_TIMEOUT")
    BOOT_SECONDS=$(secs "$t0" "$(stamp)")
    say "booted to '$state' in $BOOT_SECONDS s (guest uptime $(gssh "cut -d' ' -f1 /proc/uptime") s)"
    wait_services
    services_before
    snapshot before
    measure_manual_footprint
    [[ -s $RUN_DIR/before.md5 && -s $RUN_DIR/before.findmnt && -s $RUN_DIR/before.procs ]] \
        || die "could not record the guest's state before the job (see ${RUN_DIR#"$REPO_ROOT"/}/before.*.err)"
}

# 2. rootlift in the guest, its plan, and the sizes the jobs shrink to.
scenario_plan() {
    local t0 want
    gscp "$ROOTLIFT_BIN" /root/rootlift
    t0=$(stamp)
    gssh /root/rootlift plan >"$RUN_DIR/plan.txt" 2>&1 || true
    PLAN_SECONDS=$(secs "$t0" "$(stamp)")
    gssh /root/rootlift plan --json >"$RUN_DIR/plan.json" 2>"$RUN_DIR/plan.err" || true
    case $P_DISK in
        lvm) want=vg0/root ;;
        gpt) want="partition 1 of vda" ;;
    esac
    check_eq plan-names-the-device "$want" \
        "$(jq -r '.device_stack | if .kind == "partition" then "partition \(.partition) of \(.disk)" else "\(.vg)/\(.lv)" end' \
            "$RUN_DIR/plan.json" 2>/dev/null)" "device_stack"
    check_eq plan-names-the-init "$P_INIT" "$(jq -r .init "$RUN_DIR/plan.json" 2>/dev/null)" "init"
    SHRINK_TO=${E2E_SHRINK_TO:-$(target_size 64)}
    say "live shrink to $SHRINK_TO (the root is $(($(root_bytes) / MIB))M)"
}

# The kernel's node of the mounted root (/dev/dm-N or /dev/vda1), whatever
# became of /dev/mapper.
# shellcheck disable=SC2016  # expanded in the guest
_root_node='/dev/$(basename "$(readlink "/sys/dev/block/$(mountpoint -d /)")")'

# shellcheck disable=SC2016  # expanded in the guest
_part_bytes='echo $(($(cat /sys/class/block/vda1/size) * 512))'

# The root's LV or partition in bytes, now.
root_bytes() {
    case $P_DISK in
        lvm) gssh "lvs --units b --nosuffix --noheadings -o lv_size vg0/root" | tr -d ' ' ;;
        gpt) gssh "$_part_bytes" ;;
    esac
}

# target_size MARGIN_MIB: rootlift's own floor for the root filesystem now
# (`rootlift ext4 --json`: min_blocks, its margin included) plus MARGIN,
# rounded up to 4 MiB, as "NM"; it must leave the root smaller.
target_size() {
    local json floor mib
    json=$(gssh "/root/rootlift ext4 $_root_node --json") || die "rootlift ext4 of the root failed"
    floor=$(jq '.min_blocks * .block_size' <<<"$json")
    mib=$(((floor / MIB + $1 + 3) / 4 * 4))
    ((mib * MIB < $(root_bytes))) || die "the root's floor ($((floor / MIB))M) + $1M is not below its size: make the profile's root volume larger"
    echo "${mib}M"
}

# root_sizes: "BYTES FS_BYTES" of the root now (its LV or partition, and
# the superblock's size).
root_sizes() {
    local fs
    fs=$(gssh "dumpe2fs -h $_root_node 2>/dev/null" \
        | awk -F: '$1 == "Block count" { c = $2 } $1 == "Block size" { s = $2 } END { print c * s }')
    echo "$(root_bytes) $fs"
}

# 3. The job, as lib/lift.sh drives it.
scenario_shrink() {
    run_lift shrink "$JOB_TIMEOUT" /root/rootlift shrink "$SHRINK_TO" --live --yes
    JOB_SECONDS=$LIFT_SECONDS SHRINK_SESSION=$LIFT_SESSION SHRINK_REACHABLE=$LIFT_REACHABLE
    PROBE_SUMMARY=$(probe_summary shrink)
    # shellcheck disable=SC2086  # the summary's words are the arguments
    check_probe shrink $PROBE_SUMMARY
}

# 4. Everything as before, but smaller.
scenario_checks() {
    local want
    check_eq job-done-code 0 "$(ev_value job.done code)" "job.done code="
    # What sshd's unit said through the job (evidence when its restart failed).
    [[ $P_INIT == systemd ]] \
        && gsave after.ssh-journal "journalctl -b -u ssh.service --no-pager -o short-monotonic | grep -v ' sshd-session\\[\\| sshd\\[[0-9]*\\]: \\(Accepted\\|pam_\\|Received disconnect\\|Disconnected\\|Connection closed\\)' | tail -n 60"
    # sshd runs, so the dead-man timer is on by default, and our confirm
    # from a new login released it.
    check_eq dead-man-armed 600 "$(ev_value job.wait-confirm seconds)" "job.wait-confirm seconds="
    check_eq confirmed yes "$([[ -n $(ev_time job.confirm) ]] && echo yes || echo no)" "job.confirm journaled:"
    # The worker waits for the confirm once the tmpfs sshd is up, so that
    # the confirming login proves the new sshd works: the keeper took the
    # listening sockets over before the wait.
    local kept waiting
    kept=$(ev_index release.ssh-keeper) waiting=$(ev_index job.wait-confirm)
    check_eq sshd-in-tmpfs-before-confirm yes \
        "$([[ -n $kept && -n $waiting ]] && ((kept < waiting)) && echo yes || echo no)" \
        "journal line of the sshd keeper ${kept:-none}, of job.wait-confirm ${waiting:-none}; keeper first:"
    check_eq sshd-handed-back sockets "$(ev_value return.ssh-handback how)" \
        "return.ssh-handback how="
    check_eq fsck-verify-clean 0 "$(fsck_verify_code)" "e2fsck -f -n exit"
    want=$((${SHRINK_TO%M} * MIB))
    check_eq sizes "$want $want" "$(root_sizes)" "bytes of the $([[ $P_DISK == lvm ]] && echo LV || echo partition) and of the fs:"
    # The same state as before, once the init says it is done starting.
    wait_ready 120 >/dev/null
    wait_services
    snapshot after
    check_snapshots "" before after
    check_services_back "$(ev_time return.done)"
    # The guest's network stays configured while lifted (else no SSH).
    if [[ $P_DHCP == networkd ]]; then
        gsave after.networkd "journalctl -b -u systemd-networkd --no-pager -o cat"
        check_eq network-kept "" "$(grep -i 'lease lost\|link down' "$RUN_DIR/after.networkd" | sort -u | paste -sd'|' -)" \
            "systemd-networkd said:"
    fi
    if gssh true 2>"$RUN_DIR/ssh-after.err"; then
        check_pass ssh-after-return "a new login, same host key"
    else
        check_fail ssh-after-return "$(tail -n 1 "$RUN_DIR/ssh-after.err")"
    fi
    check_journal_in_dmesg shrink
    check_no_sshd_killed shrink
    downtime shrink
    measure_plain_restart
}

# Every journal line of a lift is in the kernel log, as "rootlift: STAGE
# EVENT DETAIL" (without the time).
check_journal_in_dmesg() {
    local name=$1
    jq -r '.events[] | "rootlift: \(.stage) \(.event) \(.detail)"' "$STATUS_JSON" \
        | while IFS= read -r line; do
            grep -qF -- "$line" "$RUN_DIR/$name.dmesg" || echo "$(cut -d' ' -f3 <<<"$line")(${#line} bytes)"
        done >"$RUN_DIR/$name.dmesg-missing"
    check_eq journal-in-dmesg "" "$(paste -sd' ' "$RUN_DIR/$name.dmesg-missing")" \
        "of $(jq '.events | length' "$STATUS_JSON") journal lines, missing from dmesg:"
}

# No sshd process was killed by its seccomp filter (the kernel's audit
# record, type 1326, with sig=31): a pre-auth child stopped and continued
# is (restart_syscall is not in OpenSSH's filter), and its login closes.
check_no_sshd_killed() {
    local name=$1 killed
    killed=$(grep -c 'audit: type=1326 .*comm="sshd.*sig=31' "$RUN_DIR/$name.dmesg" || true)
    check_eq sshd-not-killed-by-seccomp 0 "$killed" "sshd processes killed by their seccomp filter (kernel log):"
}

# 4b. The shrink leaves the root released for ~2 s: too short to see
#     whether an administrator can log in meanwhile. A `rootlift run` of
#     a 20 s sleep keeps it released long enough to tell.
scenario_released_window() {
    local keep=$STATUS_JSON released back ok
    STATUS_JSON=$RUN_DIR/window.status.json
    run_lift window "$JOB_TIMEOUT" /root/rootlift run --live --yes -- /usr/bin/sleep 20
    if [[ $LIFT_REACHABLE == no ]]; then
        check_fail window-ssh-after-return "no login for $UNREACHABLE_AFTER s after job.done"
        STATUS_JSON=$keep
        return 1
    fi
    check_eq window-job-done-code 0 "$(ev_value job.done code)" "job.done code="
    released=$(ev_time release.done) back=$(ev_time return.begin)
    ok=$(probe_ok_between window "$((released + 1))" "${back:-0}")
    WINDOW_SUMMARY=$(probe_summary window)
    WINDOW_RELEASED=$((${back:-0} - ${released:-0}))
    check_eq ssh-while-released yes "$( ((ok > 0)) && echo yes || echo no)" \
        "$ok logins worked in the ${WINDOW_RELEASED} s between release.done and return.begin; any:"
    STATUS_JSON=$keep
}

# 5. --at-shutdown (systemd only): the next reboot shrinks the root again,
#    from systemd-shutdown, with rootlift as PID 1 in /run/initramfs; the
#    guest comes up on the smaller root. P_AT_SHUTDOWN=2 adds an
#    `fsck --at-shutdown` reboot.
scenario_reboot() {
    local t0 t1 state log=$RUN_DIR/rootlift.log rc=0
    SHUTDOWN_TO=${E2E_SHUTDOWN_TO:-$(target_size 24)}
    ((${SHUTDOWN_TO%M} < ${SHRINK_TO%M})) || SHUTDOWN_TO=$((${SHRINK_TO%M} - 4))M
    # A refused preflight (below the floor) installs nothing.
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
    state=$(wait_ready "$BOOT_TIMEOUT")
    REBOOT_SECONDS=$(secs "$t0" "$(stamp)")
    wait_services
    gsave rootlift.log cat /var/log/rootlift.log
    check_eq at-shutdown-done "code=0" "$(grep -o ' job.done code=[0-9]*' "$log" | tail -n 1 | cut -d' ' -f3)" \
        "/var/log/rootlift.log: last job.done"
    check_eq at-shutdown-verify 0 "$(grep 'job.exit program=/usr/sbin/e2fsck' "$log" | tail -n 1 | grep -o 'code=[0-9]*' | cut -d= -f2)" \
        "the job's last e2fsck (-f -n) exit"
    check_eq reboot-sizes "$((${SHUTDOWN_TO%M} * MIB)) $((${SHUTDOWN_TO%M} * MIB))" "$(root_sizes)" \
        "bytes of the root's volume and fs:"
    save_holders reboot
    check_same reboot-holders "$RUN_DIR/before.holders" "$RUN_DIR/reboot.holders"
    snapshot reboot
    check_reboot_snapshots before reboot
    ((P_AT_SHUTDOWN < 2)) || scenario_fsck_at_shutdown
    FINAL_SIZE=$SHUTDOWN_TO
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
    wait_ready "$BOOT_TIMEOUT" >/dev/null
    gsave fsck-at-shutdown.log cat /var/log/rootlift.log
    check_eq fsck-at-shutdown "kind=fsck code=0" \
        "$(grep -o ' job.begin kind=[a-z]*' "$log" | tail -n 1 | cut -d' ' -f3) $(grep -o ' job.done code=[0-9]*' "$log" | tail -n 1 | cut -d' ' -f3)" \
        "/var/log/rootlift.log, the last job:"
}

# 6. Power off, then e2fsck -f -n of every volume from the host: no errors
#    flag, the root's volume and filesystem of the last job's size.
scenario_poweroff() {
    local sizes want=$((${FINAL_SIZE%M} * MIB))
    case $P_INIT in
        systemd) gssh systemctl poweroff >/dev/null 2>&1 || true ;;
        sysvinit) gssh poweroff >/dev/null 2>&1 || true ;;
    esac
    wait_qemu_exit 180 || die "the guest did not power off within 180 s"
    if sizes=$(fsck_image "$RUN_DIR/disk.img" 2>"$RUN_DIR/host-fsck.log"); then
        check_eq host-fsck "$want $want" "$sizes" "e2fsck -f -n of every volume of the powered-off image: clean; root's volume and fs bytes:"
    else
        check_fail host-fsck "$(grep -v '^==' "$RUN_DIR/host-fsck.log" | tail -n 2 | paste -sd'|' -)"
    fi
    check_image_states host-fs-state "$RUN_DIR/disk.img"
}

# The manual procedure's footprint (docs/design.md, "What it replaces": the
# how-to copies these with cp -ax into RAM), measured on the guest as du sees them, for make bench.
measure_manual_footprint() {
    # shellcheck disable=SC2016  # expanded in the guest
    MANUAL_BYTES=$(gssh 'set -- /bin /etc /mnt /sbin /lib /lib64 /run /usr/bin /usr/sbin /usr/lib /usr/lib64 /var/account /var/empty /var/lib /var/local /var/lock /var/nis /var/opt /var/preserve /var/run /var/spool /var/tmp /var/yp; for p; do [ -e "$p" ] && echo "$p"; done | xargs du -sxbc | tail -n 1 | cut -f1') || MANUAL_BYTES=""
}

# The whole scenario of a profile.
scenario_all() {
    scenario_boot
    scenario_plan
    FINAL_SIZE=$SHRINK_TO
    scenario_shrink
    if [[ $SHRINK_REACHABLE == no ]]; then
        postmortem shrink
        return 0
    fi
    scenario_checks
    if [[ $P_WINDOW == yes ]] && ! scenario_released_window; then
        postmortem window
        return 0
    fi
    ((P_AT_SHUTDOWN == 0)) || scenario_reboot
    scenario_poweroff
    # The Debian package, installed with apt, on one guest (make e2e builds
    # it and sets ROOTLIFT_DEB).
    if [[ $PROFILE == networkd && -n ${ROOTLIFT_DEB:-} ]]; then
        scenario_deb
    fi
}
