# shellcheck shell=bash
# The guest's virtio disks: plain image files under the scenario's run folder,
# made fresh for every run. KIND is one of
#   raw      zeros (sparse)
#   lvm-pv   the same; says that the guest will pvcreate it
#   ext4     mkfs.ext4 on the image file; with SRC, filled from the folder
#            tests/vm/scenarios/NAME.d/SRC (mke2fs -d)
# No loop device is involved: mke2fs writes into a plain file.

# make_disks RUNDIR SCENARIO sets DISK_FILES from DISK_SPECS.
make_disks() {
    local run=$1 scenario=$2 spec kind size src file i=0 letters=abcdefghijklmnopqrstuvwxyz
    DISK_FILES=()
    ((${#DISK_SPECS[@]} <= ${#letters})) || die "more than ${#letters} disks"
    for spec in "${DISK_SPECS[@]}"; do
        read -r kind size src <<<"$spec"
        [[ $size =~ ^[0-9]+[KMG]$ ]] || die "vm-disk '$spec': size must look like 64M (K, M or G)"
        file=$run/disk-vd${letters:i:1}.img
        truncate -s "$size" "$file"
        case $kind in
            raw | lvm-pv) [[ -z $src ]] || die "vm-disk '$spec': a $kind disk takes no source folder" ;;
            ext4) _mkfs_ext4 "$file" "${src:+${scenario%.sh}.d/$src}" ;;
            *) die "vm-disk '$spec': unknown kind '$kind' (raw, lvm-pv, ext4)" ;;
        esac
        DISK_FILES+=("$file")
        i=$((i + 1))
    done
}

_mkfs_ext4() {
    local file=$1 src=$2
    local -a fill=()
    if [[ -n $src ]]; then
        [[ -d $src ]] || die "vm-disk: no folder $src to fill the ext4 disk from"
        fill=(-d "$src")
    fi
    "$(host_program mkfs.ext4)" -F -q "${fill[@]}" "$file" || die "mkfs.ext4 failed on $file"
}
