# shellcheck shell=bash
# ansible-playbook against the guest: an inventory in the example's shape
# (group rootlift_fleet, root with the test key, strict host keys against
# the host key pinned by wait_ssh), the collection from target/, and per
# run its log and PLAY RECAP in RUN_DIR.

PLAYBOOK=rootlift.live.shrink_root
RECAPS=()   # "NAME<TAB>SECONDS<TAB>RC<TAB>recap line"

write_inventory() {
    local sum
    sum=$(sha256sum "$ROOTLIFT_BIN" | cut -d' ' -f1)
    cat >"$RUN_DIR/inventory.yml" <<EOF
---
rootlift_fleet:
  hosts:
    e2e-guest:
      ansible_host: 127.0.0.1
      ansible_port: $PORT
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: $KEY
    ansible_ssh_common_args: >-
      -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$KNOWN_HOSTS
      -o GlobalKnownHostsFile=/dev/null -o HostKeyAlgorithms=ssh-ed25519
      -o IdentitiesOnly=yes -o ConnectTimeout=10
    ansible_python_interpreter: /usr/bin/python3
    rootlift_binary_src: $ROOTLIFT_BIN
    rootlift_binary_sha256: $sum
    shrink_lv_devices:
      - device: /dev/mapper/vg0-root
        size: $SHRINK_TO
# The roles read the binary's checksum on the controller (delegate_to
# localhost): its temporary files under target/ too, not in ~/.ansible.
controller:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: "{{ ansible_playbook_python }}"
      ansible_remote_tmp: $RUN_DIR/home/tmp
EOF
    cat >"$RUN_DIR/ansible.cfg" <<EOF
[defaults]
collections_path = $COLLECTIONS
inventory = $RUN_DIR/inventory.yml
host_key_checking = True
retry_files_enabled = False
[ssh_connection]
control_path_dir = $RUN_DIR/cp
EOF
    # Every ansible command of the run: this configuration, a HOME under target/.
    export ANSIBLE_CONFIG=$RUN_DIR/ansible.cfg ANSIBLE_HOME=$RUN_DIR/home ANSIBLE_NOCOLOR=1
}

# play NAME [ansible-playbook ARGS...]: runs the example playbook; its
# output in RUN_DIR/NAME.log, its recap line for e2e-guest in RECAPS.
# Sets PLAY_RC and PLAY_SECONDS.
play() {
    local name=$1 t0
    shift
    t0=$SECONDS
    PLAY_RC=0
    "$VENV/bin/ansible-playbook" "$PLAYBOOK" "$@" >"$RUN_DIR/$name.log" 2>&1 || PLAY_RC=$?
    PLAY_SECONDS=$((SECONDS - t0))
    RECAPS+=("$name"$'\t'"$PLAY_SECONDS"$'\t'"$PLAY_RC"$'\t'"$(recap "$name")")
    say "$name: exit $PLAY_RC after $PLAY_SECONDS s: $(recap "$name")"
}

# recap NAME: the PLAY RECAP line of e2e-guest, spaces squeezed.
recap() {
    awk '/^PLAY RECAP/ { on = 1; next } on && /^e2e-guest/ { $1 = $1; print; exit }' "$RUN_DIR/$1.log"
}

# recap_count NAME FIELD: ok, changed, failed... of NAME's recap.
recap_count() {
    recap "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'
}

# Ends the ControlPersist masters of this run's connections.
stop_ssh_masters() {
    local s
    for s in "$RUN_DIR"/cp/*; do
        [[ -S $s ]] && ssh -o ControlPath="$s" -O exit dummy >/dev/null 2>&1
    done
    return 0
}

write_report() {
    local verdict=$1
    {
        echo "# make e2e-ansible: $verdict"
        echo
        echo "The example playbook \`$PLAYBOOK\` against the Debian guest (tests/e2e), $((SECONDS - T0)) s in all."
        echo
        echo "| run | seconds | exit | PLAY RECAP (e2e-guest) |"
        echo "| --- | ---: | ---: | --- |"
        _md_rows "${RECAPS[@]}"
        echo
        echo "| check | verdict | detail |"
        echo "| --- | --- | --- |"
        _md_rows "${CHECKS[@]}"
    } >"$RUN_DIR/report.md"
}

# _md_rows ROW...: tab-separated rows as markdown table rows.
_md_rows() {
    (($# > 0)) || return 0
    printf '%s\n' "$@" | sed 's/|/\\|/g; s/\t/ | /g; s/^/| /; s/$/ |/'
}
