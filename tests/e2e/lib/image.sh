# shellcheck shell=bash
# The guest disk: one raw file holding an LVM PV with vg0/root, an ext4 LV
# at the start of the PV's extent area, and free extents left in the VG.
# This host's kernel has no device-mapper: lvm writes the metadata through
# a loop device without activating anything (--driverloaded n), and mke2fs
# writes the filesystem straight into the LV's byte range of the file.
# Every loop device is detached by the subshell's trap, even on failure.

# The tree is ~700 MB, and resize2fs -P puts the floor of such a
# filesystem near 1.1 GiB (~290000 blocks of 4 KiB, whatever its size):
# a 1600M LV leaves room to shrink to 1280M, and the VG keeps ~440M free.
IMAGE_SIZE=2048M
LV_SIZE=1600M

# lvm on the host: only DEV is looked at; no udev, no backups in /etc/lvm.
host_lvm() {
    local dev=$1
    shift
    LVM_SUPPRESS_FD_WARNINGS=1 lvm "$@" --config "devices { global_filter = [ \"a|^$dev\$|\", \"r|.*|\" ] obtain_device_list_from_udev = 0 use_devicesfile = 0 } activation { udev_sync = 0 udev_rules = 0 monitoring = 0 } backup { backup = 0 archive = 0 } global { use_lvmpolld = 0 }"
}

# make_image ROOT IMG: IMG from the tree ROOT.
make_image() (
    local root=$1 img=$2 loop="" pe_start lv_bytes ranges
    trap '[[ -z $loop ]] || losetup -d "$loop"' EXIT
    rm -f "$img"
    truncate -s "$IMAGE_SIZE" "$img"
    loop=$(losetup --find --show "$img")
    host_lvm "$loop" pvcreate -q -y "$loop"
    host_lvm "$loop" vgcreate -q vg0 "$loop"
    # -an -Zn: nothing to activate or zero without device-mapper.
    host_lvm "$loop" lvcreate -q --driverloaded n -an -Zn -Wn -L "$LV_SIZE" -n root vg0
    pe_start=$(host_lvm "$loop" pvs --units b --nosuffix --noheadings -o pe_start "$loop" | tr -d ' ')
    lv_bytes=$(host_lvm "$loop" lvs --units b --nosuffix --noheadings -o lv_size vg0/root | tr -d ' ')
    ranges=$(host_lvm "$loop" lvs --noheadings -o seg_pe_ranges vg0/root | tr -d ' ')
    [[ $ranges == "$loop:0-"* ]] || die "vg0/root does not start at the first extent: $ranges"
    losetup -d "$loop"
    loop=""
    # -E offset: the LV's bytes in the file; nodiscard: never punch holes
    # into the file outside the filesystem. The size is in KiB.
    mkfs.ext4 -F -q -L root -E "offset=$pe_start,nodiscard" -d "$root" "$img" "$((lv_bytes / 1024))k" </dev/null \
        || die "mkfs.ext4 -d into the LV of $img failed"
    echo "$pe_start $lv_bytes" >"$img.layout"
)

# fsck_image IMG: e2fsck -f -n of vg0/root inside IMG (the guest is off), and
# prints "LV_BYTES FS_BYTES" read from the LVM metadata and the superblock.
fsck_image() (
    local img=$1 loop="" fs="" pe_start lv_bytes blocks bsize
    trap '[[ -z $fs ]] || losetup -d "$fs"; [[ -z $loop ]] || losetup -d "$loop"' EXIT
    loop=$(losetup --find --show --read-only "$img")
    pe_start=$(host_lvm "$loop" pvs --units b --nosuffix --noheadings -o pe_start "$loop" | tr -d ' ')
    lv_bytes=$(host_lvm "$loop" lvs --units b --nosuffix --noheadings -o lv_size vg0/root | tr -d ' ')
    [[ $(host_lvm "$loop" lvs --noheadings -o seg_pe_ranges vg0/root | tr -d ' ') == "$loop:0-"* ]] \
        || die "vg0/root in $img no longer starts at the first extent"
    fs=$(losetup --find --show --read-only --offset "$pe_start" --sizelimit "$lv_bytes" "$img")
    e2fsck -f -n "$fs" >&2 || die "e2fsck -f -n of vg0/root in $img: exit $?"
    blocks=$(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '$1 == "Block count" { print $2 + 0 }')
    bsize=$(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '$1 == "Block size" { print $2 + 0 }')
    echo "$lv_bytes $((blocks * bsize))"
)
