# shellcheck shell=bash
# The guest's virtio disks: plain image files under the scenario's run folder,
# made fresh for every run. KIND is one of
#   raw      zeros (sparse)
#   lvm-pv   the same; says that the guest will pvcreate it
#   ext4     mkfs.ext4 on the image file; with SRC, filled from the folder
#            tests/vm/scenarios/NAME.d/SRC (mke2fs -d)
#   gpt-ext4 a GPT disk (sfdisk): partition 1 "root", half the disk from
#            1 MiB, holding an ext4 with 4 KiB blocks (filled from SRC when
#            given); partition 2 "data", the rest, left blank
# No loop device is involved: sfdisk and mke2fs write into a plain file.

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
            gpt-ext4) _gpt_ext4 "$file" "${src:+${scenario%.sh}.d/$src}" ;;
            *) die "vm-disk '$spec': unknown kind '$kind' (raw, lvm-pv, ext4, gpt-ext4)" ;;
        esac
        DISK_FILES+=("$file")
        i=$((i + 1))
    done
}

_mkfs_ext4() {
    local file=$1 src=$2
    local -a fill=()
    _fill_from "$src"
    "$(host_program mkfs.ext4)" -F -q "${fill[@]}" "$file" || die "mkfs.ext4 failed on $file"
}

# _fill_from SRC sets fill (mke2fs -d SRC) when SRC is given.
_fill_from() {
    fill=()
    if [[ -n $1 ]]; then
        [[ -d $1 ]] || die "vm-disk: no folder $1 to fill the ext4 disk from"
        fill=(-d "$1")
    fi
}

_gpt_ext4() {
    local file=$1 src=$2 half
    local -a fill=()
    half=$(($(stat -c %s "$file") / 2 >> 20))
    printf 'label: gpt\nstart=2048, size=%dM, name="root"\nname="data"\n' "$half" \
        | "$(host_program sfdisk)" -q "$file" || die "sfdisk failed on $file"
    _fill_from "$src"
    "$(host_program mkfs.ext4)" -F -q -b 4096 -E offset=1048576 "${fill[@]}" "$file" "${half}M" \
        || die "mkfs.ext4 failed on partition 1 of $file"
}
