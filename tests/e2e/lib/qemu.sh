# shellcheck shell=bash disable=SC2034  # sets PORT, QEMU_PID for the other files
# The guest under qemu (TCG: this machine's KVM cannot run a stock kernel),
# in the background, its console appended to SERIAL_LOG, reachable over
# SSH at 127.0.0.1:PORT. Every boot is bounded by a hard timeout.

QEMU_PID=""
QEMU_TIMEOUT=${E2E_QEMU_TIMEOUT:-1500}   # seconds, per boot
QEMU_MEM=1536

# A TCP port on 127.0.0.1 nobody listens on.
free_port() {
    local p i
    for i in {1..100}; do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        [[ -z $(ss -Hltn "sport = :$p") ]] && { echo "$p"; return 0; }
    done
    die "no free TCP port on 127.0.0.1 after $i tries"
}

# start_qemu DISK: boots the guest from DISK in the background; sets
# QEMU_PID (the timeout(1) wrapping qemu) and, on the first boot, PORT.
start_qemu() {
    local disk=$1 err=$RUN_DIR/qemu.err
    [[ -n ${PORT:-} ]] || PORT=$(free_port)
    local -a qemu=(qemu-system-x86_64 -accel tcg -cpu max -machine q35 -smp 2 -m "$QEMU_MEM"
        -nographic -no-reboot -monitor none -serial stdio
        -kernel "$GUEST_DIR/vmlinuz" -initrd "$GUEST_DIR/initrd.img"
        -append 'root=/dev/mapper/vg0-root ro console=ttyS0 quiet loglevel=5 no_timer_check'
        -drive "file=$disk,if=virtio,format=raw"
        -nic "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$PORT-:22")
    echo "=== e2e: boot at $(date -u +%FT%TZ), ssh port $PORT" >>"$SERIAL_LOG"
    # stdin from /dev/null: qemu must not take the terminal.
    timeout -k 10 "$QEMU_TIMEOUT" "${qemu[@]}" </dev/null >>"$SERIAL_LOG" 2>>"$err" &
    QEMU_PID=$!
    sleep 1
    qemu_alive || die "qemu did not start: $(tail -n 3 "$err")"
}

qemu_alive() { [[ -n $QEMU_PID ]] && kill -0 "$QEMU_PID" 2>/dev/null; }

# wait_qemu_exit SECONDS: true when qemu ended by itself in time (with
# -no-reboot a guest reboot or poweroff ends it).
wait_qemu_exit() {
    local deadline=$((SECONDS + $1))
    while qemu_alive; do
        ((SECONDS < deadline)) || return 1
        sleep 1
    done
    wait "$QEMU_PID" 2>/dev/null || true
    QEMU_PID=""
}

# Ends our qemu (for the EXIT trap).
stop_qemu() {
    qemu_alive || return 0
    kill "$QEMU_PID" 2>/dev/null || true
    wait "$QEMU_PID" 2>/dev/null || true
    QEMU_PID=""
}
