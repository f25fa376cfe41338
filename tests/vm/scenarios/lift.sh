#!/bin/sh
# The lift step by step on a system whose root is an ext4 LV:
#   plan names the LV and the disk under it;
#   enter --bring e2fsck → release without --kill refuses and kills nothing
#   → release --kill stops the holders, unmounts, proves the LV free
#   (O_EXCL, dm open_count 0) → the brought e2fsck -fn is clean on it
#   → return: the mount table and every file as before.
# vm-disk: lvm-pv 128M
# vm-timeout: 300
# vm-pid1: yes
set -eu
. "${VM_LIB:-/usr/lib/vm/lib.sh}"

if [ "${VM_STAGE:-1}" = 1 ]; then
    step "stage 1: vg0/root, 64 MiB ext4"
    lvroot_build 64M
    echo "kept across the lift" >/newroot/var/data/note
    lvroot_switch
fi

lvroot_stage2
R=/run/vm/rootlift

step "plan names the LV and the disk under it"
plan=$($R plan --json) || fail "plan exited $?"
echo "$plan"
case $plan in *'"vg":"vg0","lv":"root"'*) ;; *) fail "plan does not name vg0/root" ;; esac
case $plan in *'"name":"vda"'*) ;; *) fail "plan does not name vda under the LV" ;; esac
case $plan in *'"lift_possible":true'*) ;; *) fail "plan says no lift is possible" ;; esac

root_checksums ' ./var/log/app.log$' >/run/vm/before.md5
mounts_normalized >/run/vm/mounts.before
start_holders /var/data/note
logger=$HOLDER_LOGGER
mapper=$HOLDER_MAPPER

step "enter --bring e2fsck"
must "enter" $R enter --bring /usr/sbin/e2fsck
[ "$(stat -f -c %T /)" = tmpfs ] || fail "/ is not the tmpfs after enter"
[ -f /oldroot/var/data/note ] || fail "the old root is not at /oldroot"

step "holders of the old root"
$R holders /oldroot || fail "holders exited $?"
h=$($R holders /oldroot --json)
case $h in *"\"pid\":$logger,"*) ;; *) fail "holders misses the logger $logger" ;; esac
case $h in *"\"pid\":$mapper,"*) ;; *) fail "holders misses the mapper $mapper" ;; esac

step "release without --kill refuses and kills nothing"
rc=0
$R release 2>/run/vm/err || rc=$?
cat /run/vm/err
[ "$rc" = 3 ] || fail "release without --kill exited $rc, not 3"
kill -0 "$logger" || fail "release without --kill killed the logger"

step "release --kill --grace 2s"
must "release" $R release --kill --grace 2s
grep 'release.free' /run/rootlift/journal || fail "no release.free in the journal"
grep -q 'release.free .*dm_open_count=0' /run/rootlift/journal || fail "dm open count is not 0"
info=$($R dm info vg0-root --json) || fail "dm info exited $?"
echo "$info"
case $info in *'"open_count":0'*) ;; *) fail "dm info does not say open_count 0" ;; esac

step "the brought e2fsck -fn on the free LV"
must "e2fsck -fn" /usr/sbin/e2fsck -fn "$LV"

step "return"
must "return" $R return
[ "$(stat -f -c %T /)" = ext2/ext3 ] || fail "/ is not the LV after return ($(stat -f -c %T /))"
mounts_normalized >/run/vm/mounts.after
diff /run/vm/mounts.before /run/vm/mounts.after || fail "the mount table changed"
root_checksums ' ./var/log/app.log$' >/run/vm/after.md5
cmp /run/vm/before.md5 /run/vm/after.md5 || fail "file checksums changed"
$R status
pass
