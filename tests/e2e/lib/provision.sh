# shellcheck shell=bash
# One boot of a freshly built guest that runs /usr/local/sbin/e2e-provision
# as a transient unit (systemd.run=, systemd's run generator) and powers off
# after it, success or not: for what needs the guest's own daemons (docker
# importing an image). The script leaves /var/lib/e2e-provisioned; no mark,
# no guest.

# provision_boot OUT: boots OUT/disk.img once (no network), checks the mark.
provision_boot() {
    local out=$1 log=$1/provision.log offset bytes loop mark
    timeout -k 10 900 qemu-system-x86_64 -accel tcg -cpu max -machine q35 -smp 2 -m 1536 \
        -nographic -no-reboot -monitor none -serial stdio -nic none \
        -kernel "$out/vmlinuz" -initrd "$out/initrd.img" \
        -append "$(kernel_cmdline) systemd.run=/usr/local/sbin/e2e-provision systemd.run_success_action=poweroff systemd.run_failure_action=poweroff" \
        -drive "file=$out/disk.img,if=virtio,format=raw" </dev/null >"$log" 2>&1 \
        || die "the provisioning boot failed or timed out (see ${log#"$REPO_ROOT"/})"
    loop=$(losetup --find --show --read-only "$out/disk.img")
    read -r _ offset bytes < <(volume_ranges "$out/disk.img" "$loop" | grep '^root ')
    losetup -d "$loop"
    mark=$(image_cat "$out/disk.img" "$offset" "$bytes" /var/lib/e2e-provisioned | tail -n +2)
    [[ -n $mark ]] || die "the provisioning boot left no /var/lib/e2e-provisioned (see ${log#"$REPO_ROOT"/})"
    say "provisioned: $mark"
}
