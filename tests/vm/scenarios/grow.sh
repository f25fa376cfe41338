#!/bin/sh
# rootlift grow with the capabilities a real root has (the dev containers
# drop CAP_SYS_RESOURCE, so ext4 online growth is proven here): ext4 on an
# LV grown to a SIZE beyond the LV (lvextend from the VG's free extents
# first), to max after an lvextend, the refusals (the VG too small, an ext4
# shrink), and ext4 on a loop device whose backing file grew (losetup -c).
# vm-disk: lvm-pv 256M
# vm-timeout: 300
set -eu
. /usr/lib/vm/lib.sh

ext4_bytes() {
    /usr/sbin/dumpe2fs -h "$1" 2>/dev/null |
        awk -F: '/^Block count:/ {c=$2} /^Block size:/ {s=$2} END {print c*s}'
}
# The line $1 must be in $out.
expect() {
    printf '%s\n' "$out" | grep -qxF "$1" || fail "no line '$1' in: $out"
}
grow() {
    out=$(/bin/rootlift grow "$@" 2>&1) || fail "rootlift grow $* exited $?: $out"
    echo "$out"
}
refused() {
    rc=0
    out=$(/bin/rootlift grow "$@" 2>&1) || rc=$?
    echo "$out"
    [ "$rc" = 3 ] || fail "rootlift grow $* exited $rc, not 3: $out"
}
same() {
    [ "$1" = "$2" ] || fail "$3: $1, expected $2"
}

step "ext4 on a 64 MiB LV in a 256 MiB VG"
wait_for_dev /dev/vda
must "pvcreate" /usr/sbin/pvcreate /dev/vda
must "vgcreate" /usr/sbin/vgcreate vg0 /dev/vda
must "lvcreate" /usr/sbin/lvcreate -y -L 64M -n data vg0
dev=/dev/mapper/vg0-data
must "mkfs.ext4" /usr/sbin/mkfs.ext4 -q "$dev"
mkdir -p /mnt/data
must "mount" mount -t ext4 "$dev" /mnt/data
head -c 4194304 /dev/urandom >/mnt/data/file
sum=$(sha256sum </mnt/data/file)

step "grow 96M: the LV is extended first, then the filesystem"
grow 96M /mnt/data
expect "extended LV vg0/data from 64.0 MiB to 96.0 MiB"
expect "grew /mnt/data (ext4 on $dev) from 64.0 MiB to 96.0 MiB"
same "$(blockdev --getsize64 "$dev")" $((96 << 20)) "LV after grow 96M"
same "$(ext4_bytes "$dev")" $((96 << 20)) "ext4 after grow 96M"

step "grow max: the LV as it is"
grow max /mnt/data
expect "/mnt/data (ext4 on $dev) is already 96.0 MiB: nothing to do"
must "lvextend" /usr/sbin/lvextend -L 128M vg0/data
grow max /mnt/data
expect "grew /mnt/data (ext4 on $dev) from 96.0 MiB to 128.0 MiB"
case $out in *"extended LV"*) fail "grow max extended the LV: $out" ;; esac
same "$(ext4_bytes "$dev")" $((128 << 20)) "ext4 after grow max"

step "refusals change nothing"
refused 1G /mnt/data
case $out in
    *"refused: the LV vg0/data (128.0 MiB) would need 896.0 MiB more, and its VG has "*" free"*) ;;
    *) fail "unexpected refusal of 1G: $out" ;;
esac
refused 32M /mnt/data
expect "rootlift: error: refused: ext4 cannot shrink online: use rootlift shrink (32.0 MiB is below the filesystem's 128.0 MiB)"
same "$(blockdev --getsize64 "$dev")" $((128 << 20)) "LV after the refusals"
same "$(ext4_bytes "$dev")" $((128 << 20)) "ext4 after the refusals"
same "$(sha256sum </mnt/data/file)" "$sum" "file checksum on the LV"
must "umount" umount /mnt/data
must "e2fsck -fn on the LV" /usr/sbin/e2fsck -fn "$dev"

step "ext4 on a loop device whose backing file grew"
truncate -s 64M /tmp/ext4.img
must "mkfs.ext4 on a file" /usr/sbin/mkfs.ext4 -q -F /tmp/ext4.img
lo=$(/usr/sbin/losetup -f --show /tmp/ext4.img) || fail "losetup"
mkdir -p /mnt/loop
must "mount the loop" mount -t ext4 "$lo" /mnt/loop
head -c 4194304 /dev/urandom >/mnt/loop/file
sum=$(sha256sum </mnt/loop/file)
truncate -s 128M /tmp/ext4.img
must "losetup -c" /usr/sbin/losetup -c "$lo"
same "$(blockdev --getsize64 "$lo")" $((128 << 20)) "loop after losetup -c"
grow 96M /mnt/loop
expect "grew /mnt/loop (ext4 on $lo) from 64.0 MiB to 96.0 MiB"
same "$(ext4_bytes "$lo")" $((96 << 20)) "ext4 on the loop after grow 96M"
grow max /mnt/loop
expect "grew /mnt/loop (ext4 on $lo) from 96.0 MiB to 128.0 MiB"
same "$(ext4_bytes "$lo")" "$(blockdev --getsize64 "$lo")" "ext4 on the loop vs the loop"
step "a tail too small for a block group is left out, and said so"
truncate -s $(((128 << 20) + (64 << 10))) /tmp/ext4.img
must "losetup -c" /usr/sbin/losetup -c "$lo"
grow max /mnt/loop
expect "grew /mnt/loop (ext4 on $lo) from 134217728 bytes to 134218752 bytes"
case $out in
    *"the kernel stopped at "*" blocks of the 131136 asked for: the rest is too small for a block group"*) ;;
    *) fail "no note about the tail: $out" ;;
esac
refused 1G /mnt/loop
expect "rootlift: error: refused: 1.0 GiB is larger than the device $lo (128.1 MiB)"
same "$(sha256sum </mnt/loop/file)" "$sum" "file checksum on the loop"
must "umount the loop" umount /mnt/loop
must "e2fsck -fn on the loop" /usr/sbin/e2fsck -fn "$lo"
must "losetup -d" /usr/sbin/losetup -d "$lo"

pass
