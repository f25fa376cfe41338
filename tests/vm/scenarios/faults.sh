#!/bin/sh
# Fault injection: a live shrink of the root LV whose worker is killed with
# SIGKILL right as it reaches each journaled step in turn. After each fault:
# `rootlift status` tells the truth, `rootlift return` brings the system back
# (retried while a job program the worker left behind still holds the
# device), a full offline `rootlift fsck` is clean, every file's checksum is
# unchanged, the mount table is as before, and either the shrink completed
# or the sizes are exactly the old ones. One table row per fault.
# vm-disk: lvm-pv 384M
# vm-timeout: 900
# vm-pid1: yes
set -eu
. "${VM_LIB:-/usr/lib/vm/lib.sh}"

if [ "${VM_STAGE:-1}" = 1 ]; then
    step "stage 1: vg0/root, 256 MiB ext4"
    lvroot_build 256M
    dd if=/dev/urandom of=/newroot/var/data/blob bs=1M count=8 2>/dev/null
    lvroot_switch
fi

lvroot_stage2
R=/run/vm/rootlift
J=/run/rootlift/journal
EXCLUDE=' ./var/log/\| ./etc/lvm/archive/\| ./etc/lvm/backup/'
root_checksums "$EXCLUDE" >/run/vm/before.md5
mounts_normalized >/run/vm/mounts.before
lv_bytes() { echo $(($(cat /sys/block/dm-0/size) * 512)); }
fs_bytes() {
    $R ext4 --json "$LV" | sed -n 's/.*"block_size":\([0-9]*\).*"block_count":\([0-9]*\).*/\1 \2/p' |
        { read -r bs n; echo $((bs * n)); }
}
last_cycle() { awk '/ enter.begin / { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$J" 2>/dev/null; }

rows=""
for marker in 'job.worker' 'release.done' 'job.step step=e2fsck $' 'job.step step=check' \
    'job.step step=resize2fs blocks' 'job.step step=lvreduce' 'job.step step=resize2fs-fill' \
    'job.step step=e2fsck-verify' 'job.result' 'return.begin'; do
    old_lv=$(lv_bytes)
    old_fs=$(fs_bytes)
    target=$(((old_lv >> 20) - 8))M
    step "fault at '$marker' (shrink $old_lv -> $target)"
    /run/vm/killat "$J" " $marker" >/run/vm/kill.out &
    killer=$!
    $R shrink "$target" --yes --confirm-within 0 >/run/vm/fg.out 2>&1 &
    fg=$!
    wait "$killer" || fail "the killer never saw '$marker'"
    hit=$(cat /run/vm/kill.out)
    rc=0; wait "$fg" || rc=$?
    # What the worker left behind finishes on its own; return waits for it.
    stage=$($R status --json | sed -n 's/^{"stage":"\([^"]*\)".*/\1/p')
    tries=0
    until $R return >/run/vm/ret.out 2>&1; do
        tries=$((tries + 1)); [ $tries -lt 120 ] || { cat /run/vm/ret.out; fail "return never succeeded after '$marker'"; }
        sleep 0.5
    done
    [ "$(stat -f -c %T /)" = ext2/ext3 ] || fail "/ is not the LV after '$marker'"
    $R status --json | grep -q '"lifted":false' || fail "status says lifted after the return ('$marker')"
    $R fsck --yes --confirm-within 0 >/run/vm/fsck.out 2>&1 ||
        { tail -n 15 /run/vm/fsck.out; echo "-- worker.log"; tail -n 5 /run/rootlift/worker.log; echo "-- journal"; tail -n 3 "$J"; fail "offline fsck after '$marker'"; }
    last_cycle | grep -q 'job.result e2fsck_code=0 ' || fail "fsck after '$marker' was not clean"
    new_lv=$(lv_bytes); new_fs=$(fs_bytes)
    if [ "$new_lv" = "$old_lv" ] && [ "$new_fs" = "$old_fs" ]; then outcome="old sizes"
    elif [ "$new_lv" = "$new_fs" ] && [ "$new_lv" = $(((old_lv >> 20) - 8 << 20)) ]; then outcome="shrunk"
    else fail "after '$marker': LV $old_lv -> $new_lv, fs $old_fs -> $new_fs: neither old nor shrunk"
    fi
    root_checksums "$EXCLUDE" >/run/vm/after.md5
    cmp -s /run/vm/before.md5 /run/vm/after.md5 || fail "checksums changed after '$marker'"
    mounts_normalized >/run/vm/mounts.after
    diff /run/vm/mounts.before /run/vm/mounts.after || fail "mounts changed after '$marker'"
    rows="$rows| $marker | SIGKILL worker: $hit (stage then: $stage, shrink exit $rc) | $outcome | yes |
"
done
echo "vm: faults: table"
echo "| step | fault | outcome | data intact |"
echo "| --- | --- | --- | --- |"
printf '%s' "$rows"
pass
