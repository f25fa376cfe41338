#!/bin/sh
# The main job on a built-in default: a live shrink of the root LV.
#
# Stage 1 (PID 1 of the initramfs) builds vg0/root, a 256 MiB ext4 LV holding a small
# system (busybox, and e2fsck, resize2fs, lvm with their libraries brought by
# `rootlift bring`), and switch_roots onto it. Stage 2 is PID 1 on the LV,
# running from a tmpfs at /run so that PID 1 itself does not pin the LV (this
# guest's init cannot be handed off). It starts two daemons from the LV — one
# with an open file, one holding only a mapping — and runs
#   rootlift shrink 128M --live --yes --confirm-within 0
# then checks: the LV and the fs are exactly the new size, the job's
# e2fsck -f -n was clean, every file's checksum is unchanged, the mount
# table is as before.
# vm-disk: lvm-pv 384M
# vm-timeout: 300
# vm-pid1: yes
set -eu
. "${VM_LIB:-/usr/lib/vm/lib.sh}"

if [ "${VM_STAGE:-1}" = 1 ]; then
    step "stage 1: vg0/root, 256 MiB ext4 with a small system"
    lvroot_build 256M
    i=1
    while [ $i -le 24 ]; do
        dd if=/dev/urandom of=/newroot/var/data/file$i bs=4096 count=$((i * 40)) 2>/dev/null
        i=$((i + 1))
    done
    echo "a name with spaces" >"/newroot/var/data/with space"
    ln -s file1 /newroot/var/data/link1
    step "switch_root onto the LV"
    lvroot_switch
fi

# Stage 2: PID 1 runs from /run/vm; / is the LV.
lvroot_stage2

step "checksums and mounts before"
# Not the log the daemon below keeps writing until release stops it.
root_checksums ' ./var/log/app.log$' >/run/vm/before.md5
mounts_normalized >/run/vm/mounts.before

step "two daemons holding the root: an open log file, and a mapping only"
start_holders /var/data/file3
logger_pid=$HOLDER_LOGGER
mapper_pid=$HOLDER_MAPPER

step "rootlift plan"
/run/vm/rootlift plan || fail "plan exited $?"

before_lv=$(cat /sys/block/dm-0/size)
/run/vm/rootlift ext4 "$LV" || true

step "rootlift shrink 128M --live --yes --confirm-within 0"
t0=$(date +%s)
rc=0
/run/vm/rootlift shrink 128M --live --yes --confirm-within 0 || rc=$?
if [ "$rc" != 0 ]; then
    cat /run/rootlift/worker.log 2>/dev/null
    fail "shrink exited $rc"
fi
t1=$(date +%s)
echo "vm: demo: the shrink took $((t1 - t0)) s"

step "after"
for pid in $logger_pid $mapper_pid; do
    state=$(sed 's/.*) //' /proc/$pid/stat 2>/dev/null | cut -c1)
    [ -z "$state" ] || [ "$state" = Z ] || fail "holder $pid survived the release (state $state)"
done
after_lv=$(cat /sys/block/dm-0/size)
echo "LV: $before_lv -> $after_lv sectors"
[ "$after_lv" = $((128 * 1024 * 1024 / 512)) ] || fail "the LV is $after_lv sectors, not 128 MiB"
/run/vm/rootlift ext4 "$LV" || true
json=$(/run/vm/rootlift ext4 --json "$LV") || fail "rootlift ext4 failed after the shrink"
bs=$(echo "$json" | sed -n 's/.*"block_size":\([0-9]*\).*/\1/p')
blocks=$(echo "$json" | sed -n 's/.*"block_count":\([0-9]*\).*/\1/p')
[ $((bs * blocks)) = $((128 * 1024 * 1024)) ] || fail "fs is $blocks x $bs bytes, not 128 MiB"
grep -q 'job.exit program=/usr/sbin/e2fsck code=0' /run/rootlift/journal || fail "no clean e2fsck in the journal"
grep -q 'step=e2fsck-verify' /run/rootlift/journal || fail "the job did not verify with e2fsck -f -n"
root_checksums ' ./var/log/app.log$' >/run/vm/after.md5
n=$(grep -c . /run/vm/after.md5)
cmp /run/vm/before.md5 /run/vm/after.md5 || fail "file checksums changed"
echo "vm: demo: $n file checksums unchanged"
mounts_normalized >/run/vm/mounts.after
diff /run/vm/mounts.before /run/vm/mounts.after || fail "the mount table changed"
cat /run/rootlift/journal

pass
