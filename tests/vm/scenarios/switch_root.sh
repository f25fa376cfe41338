#!/bin/sh
# rootlift switch-root as the initramfs's PID 1, onto a plain ext4 disk.
# Stage 1 (the initramfs) mounts the disk at /newroot, records the free
# memory and what the initramfs's files take, keeps fd 9 on its own root,
# and switches through lvroot_switch. Stage 2 (INIT, PID 1 on the disk)
# checks, before mounting anything: /proc, /sys and /dev (with /dev/pts)
# came along, each mounted once; / is the disk; the old root, seen through
# fd 9, holds nothing but the mount points the delete had to pass by; and
# the page cache (Cached, where a tmpfs's or a ramfs's files live) shrank by
# at least half of what the initramfs's files took. MemFree is printed but
# is no verdict: at this point of the boot it moves by tens of MiB either
# way between runs (-3 MiB to +30 MiB for the same 17 MiB freed).
# vm-disk: ext4 64M
# vm-pid1: yes
set -eu
. "${VM_LIB:-/usr/lib/vm/lib.sh}"

if [ "${VM_STAGE:-1}" = 1 ]; then
    step "stage 1: the initramfs, PID $$, / is $(stat -f -c %T /)"
    wait_for_dev /dev/vda
    mkdir -p /newroot
    must "mount the disk" mount -t ext4 /dev/vda /newroot
    for d in proc sys dev run; do mkdir -p "/newroot/$d"; done
    echo "on the disk" >/newroot/marker
    # -x: the initramfs's own files only, not the mounts in it.
    INITRAMFS_KB=$(du -s -x -k / | awk '{ print $1 }')
    MEMFREE_BEFORE=$(awk '/^MemFree:/ { print $2 }' /proc/meminfo)
    CACHED_BEFORE=$(awk '/^Cached:/ { print $2 }' /proc/meminfo)
    export INITRAMFS_KB MEMFREE_BEFORE CACHED_BEFORE
    echo "vm: initramfs files ${INITRAMFS_KB} KiB, Cached ${CACHED_BEFORE} KiB, MemFree ${MEMFREE_BEFORE} KiB"
    # Kept across both execs (no FD_CLOEXEC): the old root, for stage 2.
    exec 9</
    lvroot_switch
fi

step "stage 2: PID $$ on the disk"
[ "$$" = 1 ] || fail "INIT is not PID 1 (it is $$)"
args=$(tr '\0' ' ' </proc/1/cmdline)
[ "$args" = "/run/vm/busybox sh /run/vm/scenario.sh " ] || fail "INIT's argv is '$args'"

step "the API filesystems came along"
cat /proc/self/mountinfo
[ -e /proc/self/status ] || fail "/proc did not come along"
[ -d /sys/block/vda ] || fail "/sys did not come along"
[ -b /dev/vda ] || fail "/dev did not come along"
[ -c /dev/console ] || fail "no /dev/console"
mounted() {
    awk -v p="$1" '$5 == p { n++ } END { print n + 0 }' /proc/self/mountinfo
}
for m in /proc /sys /dev /dev/pts /run; do
    [ "$(mounted "$m")" = 1 ] || fail "$m is mounted $(mounted "$m") times"
done
grep -q ' / / .* - ext4 /dev/vda ' /proc/self/mountinfo || fail "/ is not the disk"
[ "$(cat /marker)" = "on the disk" ] || fail "no marker on /"
[ -x /run/vm/rootlift ] || fail "/run is not the disk's tmpfs"

step "the initramfs was freed"
[ -d /proc/self/fd/9/ ] || fail "fd 9 (the old root) did not survive the switch"
echo "vm: the old root is $(stat -f -c %T /proc/self/fd/9/)"
# /newroot was the disk's mount point and /tmp is the initramfs's tmpfs:
# other devices, passed by. Everything else is gone.
left=$(ls -A /proc/self/fd/9/ | sort | tr '\n' ' ')
[ "$left" = "newroot tmp " ] || fail "the old root still holds: $left"
memfree=$(awk '/^MemFree:/ { print $2 }' /proc/meminfo)
cached=$(awk '/^Cached:/ { print $2 }' /proc/meminfo)
drop=$((CACHED_BEFORE - cached))
echo "vm: Cached ${CACHED_BEFORE} -> ${cached} KiB (-${drop}), MemFree ${MEMFREE_BEFORE} -> ${memfree} KiB, initramfs files ${INITRAMFS_KB} KiB"
# The copies lvroot_switch made into /run (busybox, rootlift) count
# against the drop.
[ "$drop" -ge $((INITRAMFS_KB / 2)) ] || fail "Cached shrank by ${drop} KiB only, the initramfs took ${INITRAMFS_KB} KiB"
# Not a verdict: which signals INIT inherited as ignored (SIGPIPE is bit 12).
grep SigIgn /proc/1/status
pass
