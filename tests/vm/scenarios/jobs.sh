#!/bin/sh
# The jobs' safety paths on an ext4 LV root (a 256 MiB vg0/root):
#   refusals (below the floor, not smaller, above the device, not the root
#   device, an LV with a snapshot) change nothing and journal nothing; the
#   dead-man timer returns the system when nobody confirms, and lets the job
#   go on after `rootlift confirm`; `rootlift abort` returns it; a resize2fs
#   that fails returns the system with the fs repaired and the sizes
#   unchanged; the fsck and run jobs report their results. Every file is
#   intact at the end (but lvm's own metadata backups, which the snapshot
#   test makes it write).
# vm-disk: lvm-pv 384M
# vm-timeout: 420
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
root_checksums ' ./var/log/\| ./usr/local/sbin/\| ./etc/lvm/archive/\| ./etc/lvm/backup/' >/run/vm/before.md5
mounts_normalized >/run/vm/mounts.before
lv_sectors() { cat /sys/block/dm-0/size; }
# shrink_waiting_for_confirm SIZE: a shrink in the background (pid in $bg,
# output in /run/vm/bg.out), once its worker waits for `rootlift confirm`.
shrink_waiting_for_confirm() {
    $R shrink "$1" --yes --confirm-within 60s >/run/vm/bg.out 2>&1 &
    bg=$!
    _i=0
    until tail -n 3 "$J" 2>/dev/null | grep -q 'job.wait-confirm'; do
        _i=$((_i + 1))
        [ $_i -lt 300 ] || { cat /run/vm/bg.out; fail "the worker never waited for a confirm"; }
        sleep 0.1
    done
}
# The journal lines of the latest lift.
last_cycle() { awk '/ enter.begin / { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$J"; }
fs_blocks() { $R ext4 --json "$LV" | sed -n 's/.*"block_count":\([0-9]*\).*/\1/p'; }

# refused EXPECTED-TEXT ARGS...: exit 3, the message, nothing journaled.
refused() {
    _want=$1
    shift
    _lines=$(cat "$J" 2>/dev/null | wc -l)
    _rc=0
    $R "$@" >/run/vm/out 2>/run/vm/err || _rc=$?
    cat /run/vm/err
    [ "$_rc" = 3 ] || fail "rootlift $* exited $_rc, not 3"
    grep -q "$_want" /run/vm/err || fail "rootlift $*: no '$_want' in the message"
    [ "$(cat "$J" 2>/dev/null | wc -l)" = "$_lines" ] || fail "rootlift $* wrote to the journal"
}

step "refusals change nothing"
sectors=$(lv_sectors)
blocks=$(fs_blocks)
refused "below the shrink floor" shrink 8M --yes
refused "not smaller than the filesystem" shrink 256M --yes
refused "larger than the device" shrink 1G --yes
refused "is not the root device" shrink 128M --device /dev/vda --yes
must "snapshot" /usr/sbin/lvm lvcreate -q -s -L 16M -n snap vg0/root
refused "has snapshots" shrink 128M --yes
must "lvremove" /usr/sbin/lvm lvremove -q -f vg0/snap
[ "$(lv_sectors)" = "$sectors" ] && [ "$(fs_blocks)" = "$blocks" ] || fail "a refusal changed a size"

step "dead-man: no confirm within 3 s returns the system, nothing released"
rc=0
$R shrink 128M --yes --confirm-within 3s || rc=$?
[ "$rc" = 1 ] || fail "an unconfirmed shrink exited $rc, not 1"
tail -n 12 "$J"
grep -q ' aborted:no-confirm job.aborted' "$J" || fail "no aborted:no-confirm in the journal"
last_cycle | grep -q 'release.begin' && fail "release ran without a confirm"
[ "$(lv_sectors)" = "$sectors" ] || fail "the LV changed without a confirm"

step "dead-man: rootlift confirm lets the job go on"
shrink_waiting_for_confirm 224M
must "confirm" $R confirm
rc=0; wait $bg || rc=$?
cat /run/vm/bg.out
[ "$rc" = 0 ] || fail "the confirmed shrink exited $rc"
[ "$(lv_sectors)" = $((224 * 2048)) ] || fail "the LV is $(lv_sectors) sectors, not 224 MiB"

step "abort during the dead-man wait returns the system"
shrink_waiting_for_confirm 192M
must "abort" $R abort
rc=0; wait $bg || rc=$?
[ "$rc" = 1 ] || fail "an aborted shrink exited $rc, not 1"
grep -q 'job.abort' "$J" || fail "no job.abort in the journal"
[ "$(lv_sectors)" = $((224 * 2048)) ] || fail "the aborted shrink changed the LV"
[ "$(stat -f -c %T /)" = ext2/ext3 ] || fail "/ is not the LV after the abort"

step "a resize2fs that fails returns the system, sizes unchanged, fs repaired"
mkdir -p /usr/local/sbin
cp /run/vm/resize2fs-fail /usr/local/sbin/resize2fs
sectors=$(lv_sectors)
blocks=$(fs_blocks)
rc=0
$R shrink 160M --yes --confirm-within 0 || rc=$?
rm /usr/local/sbin/resize2fs
[ "$rc" = 1 ] || fail "the shrink with a failing resize2fs exited $rc, not 1"
last_cycle | grep -q 'job.exit program=/usr/local/sbin/resize2fs code=1' || fail "the failing resize2fs is not in the journal"
grep -q ' job job.failed ' "$J" || fail "no job.failed in the journal"
last_cycle | sed -n '/resize2fs code=1/,$p' | grep -q 'job.exit program=/usr/sbin/e2fsck code=0' || fail "no clean e2fsck after the failed resize2fs"
[ "$(lv_sectors)" = "$sectors" ] && [ "$(fs_blocks)" = "$blocks" ] || fail "the failed shrink changed a size"

step "fsck job"
must "fsck" $R fsck --yes --confirm-within 0
last_cycle | grep -q 'job.result e2fsck_code=0' || fail "fsck did not report e2fsck code 0"

step "run job sees ROOTLIFT_DEVICE"
must "run" $R run --yes --confirm-within 0 -- /usr/bin/busybox sh -c 'echo "$ROOTLIFT_DEVICE" >/run/vm/run-device'
[ "$(cat /run/vm/run-device)" = "$LV" ] || fail "ROOTLIFT_DEVICE was '$(cat /run/vm/run-device)'"

step "everything as before"
root_checksums ' ./var/log/\| ./usr/local/sbin/\| ./etc/lvm/archive/\| ./etc/lvm/backup/' >/run/vm/after.md5
cmp /run/vm/before.md5 /run/vm/after.md5 || fail "file checksums changed"
mounts_normalized >/run/vm/mounts.after
diff /run/vm/mounts.before /run/vm/mounts.after || fail "the mount table changed"
pass
