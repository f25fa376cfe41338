#!/bin/sh
# Benchmark scenario (item 5 of bench/run; run with VM_SCENARIO_DIR=bench/vm
# tests/vm/run bench_lift, not part of the test tier): the lift of an ext4
# root LV, timed step by step from /proc/uptime (10 ms), by rootlift and by
# the manual procedure (docs/design.md, "What it replaces": tmpfs, cp -a,
# pivot_root, kill the holders, umount, and back), alternating, on the same
# guest.
# Each round starts a daemon that holds the root (an open log file and its
# busybox binary) and must leave the mount table as it found it. Prints
# `BENCH <procedure>.<phase> <value>` lines for bench/lib/report.py.
# vm-disk: lvm-pv 128M
# vm-timeout: 300
# vm-pid1: yes
set -eu
# shellcheck source=/dev/null  # the guest's /usr/lib/vm/lib.sh
. "${VM_LIB:-/usr/lib/vm/lib.sh}"

if [ "${VM_STAGE:-1}" = 1 ]; then
    step "stage 1: vg0/root, 64 MiB ext4 with a small system"
    lvroot_build 64M
    lvroot_switch
fi

lvroot_stage2
R=/run/vm/rootlift
ROUNDS=5

now() { cut -d' ' -f1 /proc/uptime; }
# lap NAME T0: the seconds since T0, as a BENCH line.
lap() { echo "BENCH $1 $(awk -v a="$2" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')"; }
used() { stat -f -c '%b %f %S' / | awk '{ printf "%.0f", ($1 - $2) * $3 }'; }
holder() {
    /bin/busybox sh -c 'exec 3>>/var/log/app.log; while :; do echo tick >&3; sleep 1; done' &
    sleep 0.5
}

# What `fuser -m /oldroot` finds (Debian's busybox has no fuser applet), in
# one pass over /proc: the PIDs (but 1) whose exe, cwd, root, an fd or a
# mapping is under /oldroot.
old_root_holders() {
    {
        # shellcheck disable=SC2012  # /proc link names are plain
        ls -l /proc/[0-9]*/exe /proc/[0-9]*/cwd /proc/[0-9]*/root /proc/[0-9]*/fd/* 2>/dev/null \
            | awk '/-> \/oldroot/ { split($(NF - 2), a, "/"); print a[3] }'
        grep -l ' /oldroot' /proc/[0-9]*/maps 2>/dev/null | cut -d/ -f3
    } | grep -vx 1 | sort -u
}

rootlift_round() {
    holder
    t=$(now)
    must "enter" $R enter --bring /usr/sbin/e2fsck >/dev/null
    lap rootlift.enter "$t"
    echo "BENCH rootlift.tmpfs_bytes $(used)"
    t=$(now)
    must "release" $R release --kill --grace 2s >/dev/null
    lap rootlift.release "$t"
    t=$(now)
    must "e2fsck" /usr/sbin/e2fsck -fn "$LV" >/dev/null 2>&1
    lap rootlift.e2fsck "$t"
    t=$(now)
    must "return" $R return >/dev/null
    lap rootlift.return "$t"
}

# The howto's step 3-4 and its way back, with what a kernel with shared
# propagation needs besides (make-rprivate before pivot_root, mount --move
# of the API filesystems instead of fresh mounts, make-shared after).
manual_round() {
    T=/tmp/tmproot
    holder
    t=$(now)
    mkdir -p $T
    mount -t tmpfs none $T
    mkdir -p $T/proc $T/sys $T/dev $T/run $T/usr $T/var $T/tmp $T/oldroot
    # busybox cp has no -x; nothing is mounted below these here.
    for d in /bin /sbin /lib /lib64 /etc /mnt; do [ ! -e $d ] || cp -a $d $T/; done
    for d in /usr/bin /usr/sbin /usr/lib /usr/lib64; do [ ! -e $d ] || cp -a $d $T/usr/; done
    lap manual.copy "$t"
    t=$(now)
    mount --make-rprivate /
    cd $T
    pivot_root . oldroot
    cd /
    # busybox sh runs applets through /proc/self/exe: until /proc is back
    # at /proc, busybox is called by its path.
    /oldroot/run/vm/busybox mount --move /oldroot/proc /proc
    for m in sys dev run; do mount --move /oldroot/$m /$m; done
    lap manual.pivot "$t"
    echo "BENCH manual.tmpfs_bytes $(used)"
    t=$(now)
    n=0
    while [ -n "$(old_root_holders)" ]; do
        [ $n -lt 100 ] || fail "manual: holders of /oldroot survive SIGKILL"
        # shellcheck disable=SC2046  # one word per PID
        kill -9 $(old_root_holders) 2>/dev/null || true
        sleep 0.1
        n=$((n + 1))
    done
    if ! umount /oldroot; then
        cat /proc/self/mountinfo
        # shellcheck disable=SC2010  # /proc link names are plain
        ls -l /proc/[0-9]*/exe /proc/[0-9]*/cwd /proc/[0-9]*/root /proc/[0-9]*/fd/* 2>/dev/null | grep oldroot
        fail "manual: umount /oldroot"
    fi
    lap manual.release "$t"
    t=$(now)
    must "manual e2fsck" /usr/sbin/e2fsck -fn "$LV" >/dev/null 2>&1
    lap manual.e2fsck "$t"
    t=$(now)
    mount -t ext4 "$LV" /oldroot
    for m in sys dev run proc; do mount --move /$m /oldroot/$m; done
    cd /oldroot
    /oldroot/run/vm/busybox pivot_root . tmp/tmproot
    cd /
    umount $T
    mount --make-shared /
    lap manual.return "$t"
}

mounts_normalized >/run/vm/mounts.before
echo "BENCH system.mib $(du -sxm / | cut -f1)"
i=1
while [ $i -le $ROUNDS ]; do
    step "round $i: rootlift"
    rootlift_round
    mounts_normalized >/run/vm/mounts.after
    diff /run/vm/mounts.before /run/vm/mounts.after || fail "rootlift round $i changed the mount table"
    step "round $i: manual"
    manual_round
    mounts_normalized >/run/vm/mounts.after
    diff /run/vm/mounts.before /run/vm/mounts.after || fail "manual round $i changed the mount table"
    i=$((i + 1))
done
pass
