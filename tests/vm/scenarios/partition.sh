#!/bin/sh
# A cloud-style root: ext4 directly on vda1 of a GPT disk, with a data
# partition vda2 right after it. Stage 1 (PID 1 of the initramfs) puts a
# small system on vda1 and random bytes on vda2, and switch_roots onto
# vda1. Stage 2, with a daemon holding the root, runs
#   rootlift shrink 120M --live --yes --confirm-within 0
# and checks: vda1 is 120 MiB in the table and in the kernel, the
# filesystem fills it, the job's e2fsck -f -n was clean, `sfdisk --dump`
# differs only in vda1's size, `sgdisk -v` is clean, vda2's bytes and every
# root file's checksum are unchanged, the mounts are as before. Then
#   rootlift grow max /
# online: vda1 ends right before vda2 again, the table is byte for byte
# the first one (sfdisk --dump), the filesystem fills it, the same checks,
# and an offline e2fsck -fn after a read-only remount.
# vm-disk: gpt-ext4 320M
# vm-timeout: 300
# vm-pid1: yes
set -eu
. "${VM_LIB:-/usr/lib/vm/lib.sh}"

if [ "${VM_STAGE:-1}" = 1 ]; then
    step "stage 1: a small system on vda1, random bytes on vda2"
    wait_for_dev /dev/vda1
    wait_for_dev /dev/vda2
    mkdir -p /newroot
    must "mount vda1" mount -t ext4 /dev/vda1 /newroot
    newroot_fill
    # The checks of stage 2 run from the root itself.
    must "bring sfdisk, sgdisk" /bin/rootlift bring /newroot /usr/sbin/sfdisk /usr/sbin/sgdisk >/dev/null
    i=1
    while [ $i -le 12 ]; do
        dd if=/dev/urandom of=/newroot/var/data/file$i bs=4096 count=$((i * 64)) 2>/dev/null
        i=$((i + 1))
    done
    echo "a name with spaces" >"/newroot/var/data/with space"
    must "fill vda2" dd if=/dev/urandom of=/dev/vda2 bs=1048576 count=16 2>/dev/null
    md5sum </dev/vda2 >/newroot/root/vda2.md5
    # The superblock's free count on disk is current: the job's floor,
    # corrected by what the kernel allocated since, stays near the exact one.
    sync
    step "switch_root onto vda1"
    lvroot_switch
fi

# Stage 2: PID 1 runs from /run/vm; / is vda1.
lvroot_stage2
RL=/run/vm/rootlift
MIB=1048576

# sizes SECTORS: vda1 has SECTORS in sysfs, and its ext4 fills it.
sizes() {
    [ "$(cat /sys/class/block/vda1/size)" = "$1" ] ||
        fail "vda1 has $(cat /sys/class/block/vda1/size) sectors in sysfs, not $1"
    json=$($RL ext4 --json /dev/vda1) || fail "rootlift ext4 /dev/vda1"
    bs=$(echo "$json" | sed -n 's/.*"block_size":\([0-9]*\).*/\1/p')
    blocks=$(echo "$json" | sed -n 's/.*"block_count":\([0-9]*\).*/\1/p')
    [ $((bs * blocks)) = $(($1 * 512)) ] || fail "the fs is $blocks x $bs bytes, vda1 $1 sectors"
}
# unchanged: vda2's bytes, the root's files, the mounts.
unchanged() {
    [ "$(md5sum </dev/vda2)" = "$(cat /root/vda2.md5)" ] || fail "vda2's bytes changed ($1)"
    root_checksums ' ./var/log/app.log$' >/run/vm/now.md5
    cmp /run/vm/before.md5 /run/vm/now.md5 || fail "file checksums changed ($1)"
    mounts_normalized >/run/vm/mounts.now
    diff /run/vm/mounts.before /run/vm/mounts.now || fail "the mount table changed ($1)"
    /usr/sbin/sgdisk -v /dev/vda | grep -q "No problems found" || fail "sgdisk -v /dev/vda ($1)"
    echo "vm: partition: $(grep -c . /run/vm/now.md5) file checksums and vda2 unchanged ($1)"
}

step "before"
root_checksums ' ./var/log/app.log$' >/run/vm/before.md5
mounts_normalized >/run/vm/mounts.before
/usr/sbin/sfdisk --dump /dev/vda >/run/vm/dump.before
sizes 327680
/bin/busybox sh -c 'exec 3>>/var/log/app.log; while :; do echo tick >&3; sleep 1; done' &

step "rootlift plan"
$RL plan >/run/vm/plan.txt || fail "plan exited $?"
cat /run/vm/plan.txt
grep -qF "partition:   vda1 is partition 1 of /dev/vda (gpt table, 512-byte sectors): sectors 2048-329727 (160.0 MiB), aligned to 1.0 MiB" /run/vm/plan.txt ||
    fail "plan does not show vda1"
grep -qF "after it:    partition 2: sectors 329728-" /run/vm/plan.txt || fail "plan does not show vda2 after it"
grep -qF "grow max:    the partition would end at sector 329727" /run/vm/plan.txt || fail "plan's grow max"

step "rootlift shrink 120M --live --yes --confirm-within 0"
t0=$(date +%s)
rc=0
$RL shrink 120M --live --yes --confirm-within 0 || rc=$?
if [ "$rc" != 0 ]; then
    cat /run/rootlift/worker.log 2>/dev/null
    fail "shrink exited $rc"
fi
echo "vm: partition: the shrink took $(($(date +%s) - t0)) s"
grep -E 'job.step|job.result|job.disk|job.done' /run/rootlift/journal
sizes $((120 * MIB / 512))
grep -q 'job.result part_sectors_before=327680 part_sectors_after=245760' /run/rootlift/journal ||
    fail "no partition result in the journal"
grep -q 'step=part-verify' /run/rootlift/journal || fail "the job did not verify the partition"
grep -q 'job.exit program=/usr/sbin/e2fsck code=0' /run/rootlift/journal || fail "no clean e2fsck"
$RL status | grep -qF "disk: partition 1 of /dev/vda: shrunk: table, kernel and filesystem agree (245760 sectors)" ||
    fail "status does not say the disk is shrunk: $($RL status | grep disk:)"
/usr/sbin/sfdisk --dump /dev/vda >/run/vm/dump.shrunk
# busybox diff is unified: one line out (-), one line in (+).
changed=$(diff /run/vm/dump.before /run/vm/dump.shrunk | grep -c '^[-+]/dev/') || true
[ "$changed" = 2 ] || fail "sfdisk --dump: $changed lines changed, not 1: $(diff /run/vm/dump.before /run/vm/dump.shrunk)"
diff /run/vm/dump.before /run/vm/dump.shrunk | grep -q '^+/dev/vda1 : start= *2048, size= *245760,' ||
    fail "sfdisk --dump: vda1 is not 245760 sectors"
unchanged "after the shrink"

step "rootlift grow max /"
out=$($RL grow max / 2>&1) || fail "grow max exited $?: $out"
echo "$out"
echo "$out" | grep -qxF "extended partition vda1 of /dev/vda from 120.0 MiB to 160.0 MiB" || fail "grow: $out"
echo "$out" | grep -qxF "grew / (ext4 on /dev/vda1) from 120.0 MiB to 160.0 MiB" || fail "grow: $out"
sizes 327680
/usr/sbin/sfdisk --dump /dev/vda >/run/vm/dump.grown
cmp /run/vm/dump.before /run/vm/dump.grown || fail "the table is not the first one again: $(diff /run/vm/dump.before /run/vm/dump.grown)"
unchanged "after grow max"

step "offline check"
pkill -f 'echo tick' 2>/dev/null || true
sync
must "remount / read-only" mount -o remount,ro /
must "e2fsck -fn /dev/vda1" /usr/sbin/e2fsck -fn /dev/vda1
must "remount / read-write" mount -o remount,rw /

pass
