# shellcheck shell=bash
# After a job, beyond the snapshots: the holders, the DHCP client, the
# loggers, cron, docker's container and the files of a tmpfs /tmp are
# alive (or intact) again, each checked the way its profile runs it.

# The holders of the root the profile starts, as its init names them.
_holder_names() {
    case $P_INIT in
        systemd)
            printf '%s\n' holder-private.service holder-log.service
            has_feature mounts && echo holder-home.service
            ;;
        sysvinit) echo e2e-holder ;;
    esac
    return 0
}

# save_holders NAME: "active" or not for each holder, one a line.
save_holders() {
    local -a names
    mapfile -t names < <(_holder_names)
    case $P_INIT in
        systemd) gsave "$1.holders" systemctl is-active "${names[@]}" ;;
        sysvinit) gsave "$1.holders" "for s in ${names[*]}; do /etc/init.d/\$s status >/dev/null && echo active || echo inactive; done" ;;
    esac
}

# Before the job: a file on /tmp when it is a tmpfs (its checksum must
# survive the lift), and the holders running (the scenario's premise).
services_before() {
    save_holders before
    [[ $(sort -u "$RUN_DIR/before.holders") == active ]] \
        || die "the holders are not running ($(paste -sd' ' "$RUN_DIR/before.holders")): the scenario's premise fails"
    # shellcheck disable=SC2016  # expanded in the guest
    gsave before.tmpfile '[ "$(findmnt -n -o FSTYPE /tmp)" = tmpfs ] || { echo "no tmpfs /tmp"; exit 0; }
        head -c 262144 /dev/urandom >/tmp/e2e-before.bin && md5sum /tmp/e2e-before.bin'
    [[ -s $RUN_DIR/before.tmpfile ]] || die "could not write the file on /tmp ($(cat "$RUN_DIR/before.tmpfile.err"))"
}

# check_services_back RETURNED: RETURNED is the unix time of return.done.
check_services_back() {
    local returned=$1 token
    save_holders after
    check_same holders-back "$RUN_DIR/before.holders" "$RUN_DIR/after.holders"
    # shellcheck disable=SC2016  # expanded in the guest
    gsave after.tmpfile '[ "$(findmnt -n -o FSTYPE /tmp)" = tmpfs ] || { echo "no tmpfs /tmp"; exit 0; }
        md5sum /tmp/e2e-before.bin'
    check_same tmpfs-file-kept "$RUN_DIR/before.tmpfile" "$RUN_DIR/after.tmpfile"
    if has_feature mounts; then
        # shellcheck disable=SC2016  # expanded in the guest
        gsave after.home-cwd 'readlink /proc/$(systemctl show -p MainPID --value holder-home.service)/cwd'
        check_eq home-holder-cwd /home/e2e "$(cat "$RUN_DIR/after.home-cwd")" "holder-home.service's cwd:"
    fi
    if [[ -s $RUN_DIR/before.dhcp ]]; then
        check_same dhcp-client-alive "$RUN_DIR/before.dhcp" "$RUN_DIR/after.dhcp"
    else
        check_fail dhcp-client-alive "no $P_DHCP ran before the job"
    fi
    [[ $P_INIT == sysvinit ]] && check_respawned
    token=e2e-after-$RANDOM$RANDOM
    gssh logger -t e2e-check "$token" 2>/dev/null || true
    has_feature syslog && check_rsyslog "$token"
    [[ $P_INIT == systemd ]] && check_journald "$token" "$returned"
    has_feature docker && check_docker "$returned"
    has_feature syslog && check_cron "$returned"
    return 0
}

# wait_services: what starts after the init says it is ready is up (the
# docker container: dockerd restarts it after docker.service is active).
wait_services() {
    local n=0
    has_feature docker || return 0
    until gssh "docker ps --filter name=ticker --format '{{.Status}}' | grep -q '^Up'" 2>/dev/null; do
        ((++n < 30)) || { say "the ticker container is not up after 60 s"; return 0; }
        sleep 2
    done
}

# The inittab respawn entry came back (init respawned it after resuming).
check_respawned() {
    gsave after.respawn "pgrep -x e2e-watch"
    check_eq respawn-entry-back yes "$([[ -s $RUN_DIR/after.respawn ]] && echo yes || echo no)" "e2e-watch running:"
}

check_rsyslog() {
    local token=$1 n=0
    until gssh grep -q "$token" /var/log/syslog 2>/dev/null; do
        ((++n < 10)) || break
        sleep 1
    done
    check_eq rsyslog-writes yes "$( ((n < 10)) && echo yes || echo no)" "a logger line in /var/log/syslog:"
}

check_journald() {
    local token=$1 returned=$2
    gsave after.journald "journalctl -t e2e-check -o cat --no-pager | grep -c $token"
    check_eq journald-writes 1 "$(cat "$RUN_DIR/after.journald")" "logger lines in journalctl:"
    if has_feature journald; then
        gsave after.journal-files "find /var/log/journal -name '*.journal' -newermt @$returned"
        check_eq journal-on-disk yes "$([[ -s $RUN_DIR/after.journal-files ]] && echo yes || echo no)" \
            "a file of /var/log/journal written after return.done:"
    fi
}

# The container runs again and writes its ticks into its bind-mounted dir.
check_docker() {
    local returned=$1 last n=0
    gsave after.docker "docker ps --filter name=ticker --format '{{.Names}} {{.Status}}'"
    check_eq docker-container-up "ticker Up" "$(cut -d' ' -f1,2 "$RUN_DIR/after.docker")"
    until last=$(gssh tail -n 1 /srv/ticker/ticks 2>/dev/null) && ((${last:-0} > returned)); do
        ((++n < 15)) || break
        sleep 2
    done
    check_eq docker-ticks-after-return yes "$( ((${last:-0} > returned)) && echo yes || echo no)" \
        "last tick ${last:-none}, return.done $returned; newer:"
}

# cron runs its minute job again: a line stamped after the return within
# 75 s (a job a minute).
check_cron() {
    local returned=$1 last deadline=$((SECONDS + 75))
    until last=$(gssh tail -n 1 /var/log/e2e-cron.log 2>/dev/null | cut -d' ' -f1) && ((${last:-0} > returned)); do
        ((SECONDS < deadline)) || break
        sleep 5
    done
    check_eq cron-after-return yes "$( ((${last:-0} > returned)) && echo yes || echo no)" \
        "last cron line ${last:-none}, return.done $returned; newer:"
}
