#!/bin/sh
# The jobs' safety paths on an ext4 LV root (a 256 MiB vg0/root):
#   refusals (below the floor, not smaller, above the device, not the root
#   device, an LV with a snapshot) change nothing and journal nothing; the
#   dead-man timer returns the system when nobody confirms, and lets the job
#   go on after `rootlift confirm`; the worker runs in a session of its own;
#   `rootlift abort` returns the system, during the dead-man wait and
#   between two offline steps (the e2fsck running then finishes, resize2fs
#   never starts, the stage is aborted:operator); a resize2fs that fails
#   returns the system with the fs repaired and the sizes unchanged; when
#   the repair after it fails too, the root stays unmounted (exit 1, the
#   message, return.blocked, status) until the operator repairs it and runs
#   `rootlift return`; the fsck and run jobs report their results. Every
#   file is intact at the end (but lvm's own metadata backups, which the
#   snapshot test makes it write).
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
    journal_tail_shows 3 'job.wait-confirm' "the worker never waited for a confirm"
}
# journal_tail_shows N PATTERN WHAT: waits (30 s at most) until one of the
# journal's last N lines matches PATTERN; else fails with WHAT and the
# background job's output.
journal_tail_shows() {
    _i=0
    until tail -n "$1" "$J" 2>/dev/null | grep -q "$2"; do
        _i=$((_i + 1))
        [ $_i -lt 300 ] || { cat /run/vm/bg.out; fail "$3"; }
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

step "the worker runs in a session of its own"
# It must outlive the operator's SSH session, which ends at release: a
# session of its own is what no hangup of that terminal reaches. Seen from
# outside, in /proc/PID/stat (after "PID (comm) ": state ppid pgrp session).
shrink_waiting_for_confirm 192M
wpid=$(last_cycle | sed -n 's/.* job\.worker pid=\([0-9]*\) .*/\1/p')
[ -n "$wpid" ] || fail "no job.worker pid in the journal"
tr '\0' ' ' <"/proc/$wpid/cmdline" | grep -q ' internal-worker' || fail "pid $wpid is not the worker: $(tr '\0' ' ' <"/proc/$wpid/cmdline")"
stat_field() { sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f"$(($2 - 2))"; }
wsid=$(stat_field "$wpid" 6)
shell_sid=$(stat_field $$ 6)
fg_sid=$(stat_field "$bg" 6)
echo "worker $wpid: ppid $(stat_field "$wpid" 4) session $wsid; the shrink $bg: session $fg_sid; this shell ($$): session $shell_sid"
[ "$wsid" = "$wpid" ] || fail "the worker's session is $wsid, not its own ($wpid)"
[ "$wsid" != "$shell_sid" ] || fail "the worker shares the session $wsid of the shell that started the shrink"
[ "$fg_sid" = "$shell_sid" ] || fail "the shrink itself left the shell's session ($fg_sid, the shell's $shell_sid)"
[ "$(stat_field "$wpid" 4)" = "$bg" ] || fail "the worker's parent is $(stat_field "$wpid" 4), not the shrink ($bg)"
last_cycle | grep -q " job\.worker pid=$wpid sid=$wpid\$" || fail "the worker journaled another session than its pid"

step "abort during the dead-man wait returns the system"
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
rm -f /run/vm/resize2fs-failed

step "a failed repair keeps the root unmounted until the operator repairs it"
# resize2fs fails, and the e2fsck -f -y after it fails too: e2fsck-fake
# exits 8 once resize2fs-fail left its mark. The fs may not be whole, so the
# way back must stop before mounting it (offline::before_remount: its own
# e2fsck -f -n, the fake again, says 8), say what to do, and leave the
# system on the tmpfs, where the operator still has rootlift, the real
# e2fsck (--bring) and the journal.
cp /run/vm/resize2fs-fail /usr/local/sbin/resize2fs
cp /run/vm/e2fsck-fake /usr/local/sbin/e2fsck
rc=0
$R shrink 160M --yes --confirm-within 0 --bring /usr/sbin/e2fsck >/run/vm/out 2>&1 || rc=$?
cat /run/vm/out
[ "$rc" = 1 ] || fail "the shrink whose repair failed exited $rc, not 1"
[ -e /run/vm/resize2fs-failed ] || fail "the fake resize2fs did not run"
grep -q "it stays unmounted\. Repair it with '/usr/local/sbin/e2fsck -f $LV', then run 'rootlift return'" /run/vm/out \
    || fail "the shrink did not say the root stays unmounted and what to run"
last_cycle | grep -q ' job job\.failed why=/usr/local/sbin/resize2fs:%20exit%201;%20then%20/usr/local/sbin/e2fsck%20-f%20-y:%20exit%208' \
    || fail "job.failed does not name the failed resize2fs and the failed repair"
last_cycle | grep -q ' returning job\.exit program=/usr/local/sbin/e2fsck code=8$' || fail "return did not check the fs read-only first"
last_cycle | grep -q ' returning return\.blocked why=the%20root%20filesystem%20on%20/dev/mapper/vg0-root%20is%20not%20whole' \
    || fail "no return.blocked in the journal"
last_cycle | grep -q 'return\.step step=mount-root' && fail "return mounted the root after the failed repair"
last_cycle | tail -n 1 | grep -q ' failed:return-finish-job job\.done code=1 ' || fail "the last line is not job.done in failed:return-finish-job: $(last_cycle | tail -n 1)"
[ "$(stat -f -c %T /)" = tmpfs ] || fail "/ is $(stat -f -c %T /), not the tmpfs, after the failed repair"
majmin=$(cat /sys/block/dm-0/dev)
awk -v d="$majmin" '$3 == d' /proc/self/mountinfo | grep -q . && fail "the LV ($majmin) is mounted after the failed repair"
$R status >/run/vm/status 2>&1 || fail "status exited $? while the root is away"
cat /run/vm/status
grep -q '^stage: failed:return-finish-job$' /run/vm/status || fail "status does not show stage failed:return-finish-job"
grep -q ' return\.blocked why=' /run/vm/status || fail "status does not show return.blocked"
grep -q '^return would:$' /run/vm/status && grep -q '^  1\. check the job left the filesystem whole (a failed repair keeps it unmounted)$' /run/vm/status \
    || fail "status does not say what return would check first"
grep -q "^  2\. mount $LV (ext4) at /oldroot" /run/vm/status || fail "status does not say return would mount the LV"
# PID 1 here (this script) was never handed to the init stub: return has
# no stub to wake, and status must not say it would.
grep -q 'wake PID 1 from the init stub' /run/vm/status && fail "status says return would wake an init stub that is not PID 1"
# The operator: e2fsck works again (the mark gone), the real one repairs by
# hand as the message says, and return mounts the fs once its read-only
# check is clean.
rm /run/vm/resize2fs-failed
rc=0
/usr/sbin/e2fsck -f -y "$LV" || rc=$?
[ "$rc" = 0 ] || fail "the operator's e2fsck -f -y exited $rc"
$R return >/run/vm/out 2>&1 || { cat /run/vm/out; fail "rootlift return after the repair failed"; }
cat /run/vm/out
grep -q "^returned: / is $LV again (ext4)$" /run/vm/out || fail "return did not say / is the LV again"
rm /usr/local/sbin/resize2fs /usr/local/sbin/e2fsck
[ "$(stat -f -c %T /)" = ext2/ext3 ] || fail "/ is not the LV after the repair and return"
[ "$(awk '$5 == "/" { print $3 }' /proc/self/mountinfo)" = "$majmin" ] || fail "/ is not mounted from the LV ($majmin)"
last_cycle | sed -n '/return\.blocked/,$p' | grep -q ' returning job\.exit program=/usr/local/sbin/e2fsck code=0$' \
    || fail "return did not find the fs clean read-only before mounting it"
last_cycle | grep -q 'return\.mounts-differ' && fail "the mounts differ after the return"
$R status >/run/vm/status 2>&1 || fail "status exited $?"
grep -q '^stage: returned$' /run/vm/status || fail "status after the return: $(head -n 1 /run/vm/status)"
grep -q '^return would:$' /run/vm/status && fail "status still lists what return would do"
[ "$(lv_sectors)" = "$sectors" ] && [ "$(fs_blocks)" = "$blocks" ] || fail "the shrink with the failed repair changed a size"

step "abort between offline steps: the running e2fsck finishes, resize2fs never runs"
# e2fsck-fake waits 3 s before the real e2fsck: the abort comes while the
# job's first step runs. The worker checks for an abort only between steps,
# so this e2fsck must end normally, the check and resize2fs never start,
# and the system comes back with the stage aborted:operator (not the
# dead-man's aborted:no-confirm).
cp /run/vm/e2fsck-fake /usr/local/sbin/e2fsck
: >/run/vm/e2fsck-slow
$R shrink 160M --yes --confirm-within 0 --bring /usr/sbin/e2fsck >/run/vm/bg.out 2>&1 &
bg=$!
journal_tail_shows 1 ' job job\.exec argv=/usr/local/sbin/e2fsck%20-f%20-y%20' "the job never started its e2fsck"
$R abort >/run/vm/out 2>&1 || { cat /run/vm/out; fail "abort exited $?"; }
cat /run/vm/out
grep -q '^abort requested: worker [0-9]* returns the system after the step it is in' /run/vm/out \
    || fail "abort did not hand the word to the running worker"
rc=0; wait $bg || rc=$?
rm /run/vm/e2fsck-slow /usr/local/sbin/e2fsck
cat /run/vm/bg.out
[ "$rc" = 1 ] || fail "the shrink aborted between steps exited $rc, not 1"
grep -q "the job did not complete: aborted: 'rootlift abort' before the check step" /run/vm/bg.out \
    || fail "the shrink did not say it was aborted before the check step"
last_cycle >/run/vm/cycle
line_of() { grep -n "$1" /run/vm/cycle | head -n 1 | cut -d: -f1; }
exec_at=$(line_of ' job\.exec argv=/usr/local/sbin/e2fsck%20-f%20-y')
abort_at=$(line_of ' job\.abort pid=')
exit_at=$(line_of ' job\.exit program=/usr/local/sbin/e2fsck code=0$')
[ -n "$exec_at" ] && [ -n "$abort_at" ] && [ -n "$exit_at" ] || fail "the e2fsck run or the abort is missing from the journal"
[ "$exec_at" -lt "$abort_at" ] && [ "$abort_at" -lt "$exit_at" ] \
    || fail "the abort did not come while e2fsck ran, or e2fsck did not finish (exec $exec_at, abort $abort_at, exit $exit_at)"
# The one program the job ran is that e2fsck (the way back runs none: it
# left no errors); no resize2fs, no lvm.
[ "$(grep -c ' job\.exec ' /run/vm/cycle)" = 1 ] || fail "the aborted job ran more than its e2fsck: $(grep ' job\.exec ' /run/vm/cycle)"
grep -q 'step=resize2fs' /run/vm/cycle && fail "the resize2fs step started after the abort"
grep -q ' job\.step step=check' /run/vm/cycle && fail "the check step ran after the abort"
grep -q ' returned return\.done' /run/vm/cycle || fail "no return.done after the abort"
grep -q " aborted:operator job\.aborted why='rootlift%20abort'%20before%20the%20check%20step$" /run/vm/cycle \
    || fail "no aborted:operator job.aborted naming the check step"
grep -q 'aborted:no-confirm' /run/vm/cycle && fail "the abort between steps counted as no-confirm"
tail -n 1 /run/vm/cycle | grep -q ' aborted:operator job\.done code=1 ' || fail "the last line is not job.done in aborted:operator: $(tail -n 1 /run/vm/cycle)"
$R status >/run/vm/status 2>&1 || fail "status exited $?"
grep -q '^stage: aborted:operator$' /run/vm/status || fail "status after the abort: $(head -n 1 /run/vm/status)"
[ "$(stat -f -c %T /)" = ext2/ext3 ] || fail "/ is not the LV after the abort between steps"
[ "$(lv_sectors)" = "$sectors" ] && [ "$(fs_blocks)" = "$blocks" ] || fail "the aborted shrink changed a size"

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
