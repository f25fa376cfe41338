# shellcheck shell=bash
# The guest disk: one raw file holding the profile's volumes (P_VOLUMES),
# either as LVs of vg0 on an LVM PV (P_DISK=lvm) or as GPT partitions
# (P_DISK=gpt), each filesystem written straight into its byte range of the
# file with mke2fs -d. Free space is left after them (the VG's or the
# disk's), so a shrink has somewhere to give its space back to.
# This host's kernel has no device-mapper: lvm writes the metadata through
# a loop device without activating anything (--driverloaded n).
# Every loop device is detached by the subshell's trap, even on failure.

IMAGE_FREE_MIB=256   # left free after the volumes
GPT_START_MIB=1      # the first partition starts at 1 MiB

# lvm on the host: only DEV is looked at; no udev, no backups in /etc/lvm.
host_lvm() {
    local dev=$1
    shift
    LVM_SUPPRESS_FD_WARNINGS=1 lvm "$@" --config "devices { global_filter = [ \"a|^$dev\$|\", \"r|.*|\" ] obtain_device_list_from_udev = 0 use_devicesfile = 0 } activation { udev_sync = 0 udev_rules = 0 monitoring = 0 } backup { backup = 0 archive = 0 } global { use_lvmpolld = 0 }"
}

# The fstab lines of the volumes (the harness's other mounts are added by
# the features).
volumes_fstab() {
    local v name fstype mnt pass src
    echo '# <file system> <mount point> <type> <options> <dump> <pass>'
    for v in "${P_VOLUMES[@]}"; do
        IFS=: read -r name _ fstype mnt <<<"$v"
        case $P_DISK in
            lvm) src=/dev/mapper/vg0-$name ;;
            gpt) src=/dev/vda$(volume_number "$name") ;;
        esac
        if [[ $mnt == / ]]; then
            echo "$src / $fstype errors=remount-ro 0 1"
        else
            pass=2
            echo "$src $mnt $fstype defaults 0 $pass"
        fi
    done
}

# volume_number NAME: the volume's position in P_VOLUMES, from 1 (its
# partition number on a GPT disk).
volume_number() {
    local i
    for i in "${!P_VOLUMES[@]}"; do
        [[ $(volume_field "${P_VOLUMES[$i]}" 1) == "$1" ]] && { echo $((i + 1)); return 0; }
    done
    die "no volume $1 in P_VOLUMES"
}

# volume_ranges IMG LOOP: "NAME OFFSET BYTES" of each volume, as the disk's
# metadata says now (LVM: the LV's first extent must be where its
# segment's range starts; GPT: the partition table).
volume_ranges() {
    local img=$1 loop=$2 v name pe_start ext ranges first
    case $P_DISK in
        lvm)
            pe_start=$(host_lvm "$loop" pvs --units b --nosuffix --noheadings -o pe_start "$loop" | tr -d ' ')
            ext=$(host_lvm "$loop" vgs --units b --nosuffix --noheadings -o vg_extent_size vg0 | tr -d ' ')
            for v in "${P_VOLUMES[@]}"; do
                name=$(volume_field "$v" 1)
                ranges=$(host_lvm "$loop" lvs --noheadings -o seg_pe_ranges "vg0/$name" | tr -d ' ')
                [[ $ranges =~ ^$loop:([0-9]+)-[0-9]+$ ]] || die "vg0/$name is not one run of extents: $ranges"
                first=${BASH_REMATCH[1]}
                echo "$name $((pe_start + first * ext)) $(host_lvm "$loop" lvs --units b --nosuffix --noheadings -o lv_size "vg0/$name" | tr -d ' ')"
            done
            ;;
        gpt)
            sfdisk --json "$img" | jq -r '.partitiontable | .sectorsize as $s
                | .partitions[] | "\(.name) \(.start * $s) \(.size * $s)"'
            ;;
    esac
}

# make_image ROOT IMG: IMG from the tree ROOT; every volume but the root
# gets the tree below its mount point (emptied in ROOT), the root last.
make_image() (
    local root=$1 img=$2 loop="" total=0 v name size fstype mnt offset bytes i
    trap '[[ -z $loop ]] || losetup -d "$loop"' EXIT
    for v in "${P_VOLUMES[@]}"; do
        size=$(volume_field "$v" 2)
        total=$((total + ${size%M}))
    done
    rm -f "$img"
    truncate -s "$((total + IMAGE_FREE_MIB + 2 * GPT_START_MIB))M" "$img"
    case $P_DISK in
        lvm)
            loop=$(losetup --find --show "$img")
            host_lvm "$loop" pvcreate -q -y "$loop"
            host_lvm "$loop" vgcreate -q vg0 "$loop"
            for v in "${P_VOLUMES[@]}"; do
                IFS=: read -r name size _ <<<"$v"
                # -an -Zn: nothing to activate or zero without device-mapper.
                host_lvm "$loop" lvcreate -q --driverloaded n -an -Zn -Wn -L "$size" -n "$name" vg0
            done
            ;;
        gpt)
            local -a args=(-o)
            for i in "${!P_VOLUMES[@]}"; do
                IFS=: read -r name size _ mnt <<<"${P_VOLUMES[$i]}"
                # 8304: Linux x86-64 root (/); 8300: Linux filesystem.
                args+=(-n "$((i + 1)):$([[ $i == 0 ]] && echo $((GPT_START_MIB * 2048)) || echo 0):+$size"
                    -c "$((i + 1)):$name" -t "$((i + 1)):$([[ $mnt == / ]] && echo 8304 || echo 8300)")
            done
            sgdisk "${args[@]}" "$img" >/dev/null
            loop=$(losetup --find --show "$img")
            ;;
    esac
    volume_ranges "$img" "$loop" >"$img.layout"
    losetup -d "$loop"
    loop=""
    for i in $(seq $((${#P_VOLUMES[@]} - 1)) -1 0); do
        IFS=: read -r name _ fstype mnt <<<"${P_VOLUMES[$i]}"
        read -r _ offset bytes < <(grep "^$name " "$img.layout")
        install -d "$root$mnt"
        # A mark of the volume, for the checksums of every volume.
        echo "$name" >"$root$mnt/.e2e-volume"
        # -E offset: the volume's bytes in the file; nodiscard: never punch
        # holes into the file outside the filesystem. The size is in KiB.
        "mkfs.$fstype" -F -q -L "$name" -E "offset=$offset,nodiscard" -d "$root$mnt" "$img" "$((bytes / 1024))k" </dev/null \
            || die "mkfs.$fstype -d of volume $name in $img failed"
        [[ $mnt == / ]] || find "$root$mnt" -mindepth 1 -delete
    done
)

# fsck_image IMG: e2fsck -f -n of every volume inside IMG (the guest is
# off), and prints "BYTES FS_BYTES" of the root: its LV or partition from
# the disk's metadata, its filesystem from the superblock. Fails when any
# e2fsck does.
fsck_image() (
    local img=$1 loop="" fs="" name offset bytes blocks bsize rc=0 root_line=""
    trap '[[ -z $fs ]] || losetup -d "$fs"; [[ -z $loop ]] || losetup -d "$loop"' EXIT
    loop=$(losetup --find --show --read-only "$img")
    while read -r name offset bytes; do
        fs=$(losetup --find --show --read-only --offset "$offset" --sizelimit "$bytes" "$img")
        echo "== e2fsck -f -n of $name" >&2
        e2fsck -f -n "$fs" >&2 || { echo "e2fsck -f -n of $name in $img: exit $?" >&2; rc=1; }
        if [[ $name == root ]]; then
            blocks=$(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '$1 == "Block count" { print $2 + 0 }')
            bsize=$(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '$1 == "Block size" { print $2 + 0 }')
            root_line="$bytes $((blocks * bsize))"
        fi
        losetup -d "$fs"
        fs=""
    done < <(volume_ranges "$img" "$loop")
    echo "$root_line"
    return "$rc"
)

# replayed_copy IMG COPY: a copy of IMG whose root filesystem had its
# journal replayed (e2fsck -E journal_only), for a guest that was stopped
# without a shutdown: what its disk holds, readable with debugfs.
replayed_copy() (
    local img=$1 copy=$2 loop="" fs="" offset bytes
    trap '[[ -z $fs ]] || losetup -d "$fs"; [[ -z $loop ]] || losetup -d "$loop"' EXIT
    cp --sparse=always "$img" "$copy"
    loop=$(losetup --find --show --read-only "$copy")
    read -r _ offset bytes < <(volume_ranges "$copy" "$loop" | grep '^root ')
    losetup -d "$loop"
    loop=""
    fs=$(losetup --find --show --offset "$offset" --sizelimit "$bytes" "$copy")
    e2fsck -E journal_only -p "$fs" >&2 || true
    echo "$offset $bytes"
)

# image_cat IMG OFFSET BYTES PATH...: the files' contents from the root
# filesystem in IMG (debugfs, read-only; nothing is mounted).
image_cat() (
    local img=$1 offset=$2 bytes=$3 fs="" p
    shift 3
    trap '[[ -z $fs ]] || losetup -d "$fs"' EXIT
    fs=$(losetup --find --show --read-only --offset "$offset" --sizelimit "$bytes" "$img")
    for p; do
        echo "==== $p"
        debugfs -R "cat $p" "$fs" 2>/dev/null
    done
)
