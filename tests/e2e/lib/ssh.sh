# shellcheck shell=bash
# SSH into the guest as its administrator would: root, the test key, and a
# host key pinned once per run (strict checking afterwards, so a new host
# key after rootlift restarted sshd in the tmpfs is a failure).

_ssh_opts() {
    printf '%s\n' -i "$KEY" -o IdentitiesOnly=yes -o BatchMode=yes \
        -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KNOWN_HOSTS" \
        -o GlobalKnownHostsFile=/dev/null -o HostKeyAlgorithms=ssh-ed25519 \
        -o ConnectTimeout=5 -o ServerAliveInterval=5 -o ServerAliveCountMax=6 \
        -o LogLevel=ERROR
}

# The ssh command line up to the remote command, one word a line (for
# timeout(1), which cannot run a shell function).
ssh_argv() {
    printf '%s\n' ssh -n -p "$PORT"
    _ssh_opts
    echo root@127.0.0.1
}

# gssh CMD...: CMD in the guest (a new login every time; stdin is /dev/null).
gssh() {
    local -a argv
    mapfile -t argv < <(ssh_argv)
    "${argv[@]}" "$@"
}

# gscp LOCAL REMOTE_PATH: copies a file into the guest.
gscp() {
    local -a o
    mapfile -t o < <(_ssh_opts)
    scp -q "${o[@]}" -P "$PORT" "$1" "root@127.0.0.1:$2"
}

# The guest's host key as ssh-keyscan sees it now ("" when none answers).
_scan_host_key() {
    ssh-keyscan -T 5 -t ed25519 -p "$PORT" 127.0.0.1 2>/dev/null | awk '$2 == "ssh-ed25519" { print $3; exit }'
}

# wait_ssh SECONDS: waits for sshd, pins its host key on the first call of
# the run (it must be the one the guest was built with), then waits for a
# login to work.
wait_ssh() {
    local deadline=$((SECONDS + $1)) key want
    want=$(awk '{ print $2 }' "$GUEST_DIR/host_ed25519.pub")
    if [[ ! -s $KNOWN_HOSTS ]]; then
        until key=$(_scan_host_key) && [[ -n $key ]]; do
            qemu_alive || die "qemu ended before sshd answered (see ${SERIAL_LOG#"$REPO_ROOT"/})"
            ((SECONDS < deadline)) || die "no sshd answered on port $PORT within $1 s"
            sleep 2
        done
        [[ $key == "$want" ]] || die "the guest's sshd shows host key $key, not the one built into it ($want)"
        echo "[127.0.0.1]:$PORT ssh-ed25519 $key" >"$KNOWN_HOSTS"
    fi
    until gssh true 2>>"$RUN_DIR/ssh.err"; do
        qemu_alive || die "qemu ended before a login worked (see ${SERIAL_LOG#"$REPO_ROOT"/})"
        ((SECONDS < deadline)) || die "no login within $1 s: $(tail -n 1 "$RUN_DIR/ssh.err")"
        sleep 2
    done
}

# wait_systemd SECONDS: prints systemd's state once the boot is done
# ("running" or "degraded"; the failed units go to the log).
wait_systemd() {
    local state
    state=$(gssh "timeout $1 systemctl is-system-running --wait" 2>/dev/null) || true
    case $state in
        running) ;;
        degraded) say "systemd is degraded; failed units: $(gssh systemctl --failed --no-legend --plain | awk '{ print $1 }' | paste -sd' ' -)" ;;
        *) die "systemd did not finish booting within $1 s (state '${state:-no answer}')" ;;
    esac
    echo "$state"
}

# wait_sysvinit SECONDS: prints the runlevel ("N 2") once init reached it
# and rc ran its scripts.
wait_sysvinit() {
    local deadline=$((SECONDS + $1)) state=""
    while ((SECONDS < deadline)); do
        # shellcheck disable=SC2016  # expanded in the guest
        state=$(gssh 'r=$(runlevel); pgrep -f "^/bin/sh /etc/init.d/rc " >/dev/null && r="$r (rc running)"; echo "$r"' 2>/dev/null) || true
        [[ $state == "N 2" ]] && { echo "$state"; return 0; }
        sleep 2
    done
    die "sysvinit did not reach runlevel 2 within $1 s (runlevel '${state:-no answer}')"
}

# wait_ready SECONDS: the init's own word that the boot is done.
wait_ready() {
    case $P_INIT in
        systemd) wait_systemd "$1" ;;
        sysvinit) wait_sysvinit "$1" ;;
    esac
}

# gsave NAME CMD...: CMD's stdout in RUN_DIR/NAME, its stderr (and "exit N"
# when the login or the command failed) in RUN_DIR/NAME.err. Never fails:
# the checks compare what was saved.
gsave() {
    local f=$RUN_DIR/$1 rc=0
    shift
    gssh "$@" >"$f" 2>"$f.err" || rc=$?
    ((rc == 0)) || echo "exit $rc" >>"$f.err"
    return 0
}
