# shellcheck shell=bash disable=SC2034  # sets VERDICT for the other files
# One boot of the guest under qemu. KVM cannot run a stock kernel on this
# kind of machine (it is itself a VM), so it is always software emulation.

# boot_guest RUNDIR sets VERDICT ("PASS" or "FAIL <why>"). Uses TIMEOUT, MEM,
# DISK_FILES, KERNEL_IMAGE; the console goes to RUNDIR/serial.log.
boot_guest() {
    local run=$1 log=$1/serial.log disk rc=0 result err
    # no_timer_check: the kernel's boot-time test that the timer interrupt
    # arrives gives up when emulation is starved of host CPU (a loaded
    # machine) and panics with "IO-APIC + timer doesn't work!".
    local append="console=ttyS0 panic=-1 no_timer_check"
    [[ ${VM_DEBUG:-} == 1 ]] || append+=" quiet loglevel=3"
    [[ ${VM_TRACE:-} == 1 ]] && append+=" vm.trace=1"
    [[ $PID1 == yes ]] && append+=" vm.pid1=1"
    local -a qemu=(qemu-system-x86_64 -accel tcg -cpu max -machine q35 -smp 2 -m "$MEM"
        -nographic -no-reboot -monitor none -serial stdio -nic none
        -kernel "$KERNEL_IMAGE" -initrd "$run/initrd.img" -append "$append")
    for disk in "${DISK_FILES[@]}"; do
        qemu+=(-drive "file=$disk,if=virtio,format=raw")
    done

    # stdin from /dev/null: qemu must not put the operator's terminal in raw mode.
    if [[ ${VM_DEBUG:-} == 1 ]]; then
        timeout -k 10 "$TIMEOUT" "${qemu[@]}" </dev/null 2>"$run/qemu.err" | tee "$log" || rc=${PIPESTATUS[0]}
    else
        timeout -k 10 "$TIMEOUT" "${qemu[@]}" </dev/null >"$log" 2>"$run/qemu.err" || rc=$?
    fi

    # /init prints the verdict last.
    result=$(console_text "$log" | sed -n 's/^RESULT: //p' | tail -n 1)
    if ((rc == 124 || rc == 137)); then
        VERDICT="FAIL timed out after ${TIMEOUT} s${result:+ (last verdict: $result)}"
    elif [[ -z $result ]] && grep -aq 'Attempted to kill init' "$log"; then
        # A PID 1 scenario that exits panics the kernel.
        VERDICT="FAIL the scenario, as PID 1, exited: $(grep -ao 'Attempted to kill init! exitcode=0x[0-9a-f]*' "$log" | head -n 1)"
    elif [[ -z $result ]]; then
        err=$(tail -n 1 "$run/qemu.err")
        VERDICT="FAIL no RESULT line (qemu exit $rc)${err:+: $err}"
    else
        VERDICT=$result
    fi
}
