#!/bin/sh
# Smoke test of the VM tier itself: the rootlift binary runs in the guest, and
# LVM + ext4 work there without udev (what later scenarios build on).
# vm-disk: lvm-pv 128M
# vm-timeout: 180
set -eu
. /usr/lib/vm/lib.sh

for arg in --version --help; do
    step "rootlift $arg"
    out=$(/bin/rootlift $arg 2>&1) || fail "rootlift $arg exited $?"
    echo "$out"
    case $out in *rootlift*) ;; *) fail "rootlift $arg does not mention rootlift" ;; esac
done

step "LVM on /dev/vda"
wait_for_dev /dev/vda
must "pvcreate" /usr/sbin/pvcreate /dev/vda
must "vgcreate" /usr/sbin/vgcreate vg0 /dev/vda
must "lvcreate" /usr/sbin/lvcreate -y -L 32M -n root vg0
[ -b /dev/mapper/vg0-root ] || [ -b /dev/vg0/root ] || fail "lvcreate made neither /dev/mapper/vg0-root nor /dev/vg0/root"
[ "$(cat /sys/block/dm-0/dm/name)" = vg0-root ] || fail "dm-0 is not vg0-root"
sectors=$(cat /sys/block/dm-0/size)
[ "$sectors" = $((32 * 1024 * 1024 / 512)) ] || fail "vg0-root is $sectors sectors, not 32 MiB"

step "ext4 on vg0-root"
dev=/dev/mapper/vg0-root
must "mkfs.ext4" /usr/sbin/mkfs.ext4 -q "$dev"
mkdir -p /mnt
must "mount" mount -t ext4 "$dev" /mnt
echo "lifted" >/mnt/probe
must "umount" umount /mnt
must "e2fsck -fn" /usr/sbin/e2fsck -fn "$dev"
must "mount read-only" mount -t ext4 -o ro "$dev" /mnt
[ "$(cat /mnt/probe)" = lifted ] || fail "the file written to vg0-root did not survive umount"
must "umount" umount /mnt

pass
