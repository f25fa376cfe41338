# shellcheck shell=bash
# The guest's state as an administrator would record it before and after a
# job, one file per aspect in RUN_DIR:
#   NAME.md5      every regular file of every volume (the root and the
#                 profile's other filesystems) but tests/e2e/volatile-files
#   NAME.sizes    the volumes' sizes (lvs, or the partitions' sysfs sizes)
#   NAME.findmnt  the mounts, sorted by mount point (a remount changes the
#                 order of mountinfo, not what is mounted where), but those
#                 of tests/e2e/volatile-mounts
#   NAME.devnodes the device nodes of the disk's volumes and links
#   NAME.procs    the names of the running programs (not kernel threads)
#                 but tests/e2e/volatile-procs; NAME.ps has them with PIDs
#   NAME.dhcp     the DHCP client's command line (networkd: its name),
#                 compared by lib/services.sh
#   NAME.pid1     /proc/1/exe
#   NAME.state    is-system-running, or the runlevel under sysvinit
#   NAME.units    active units but tests/e2e/volatile-units (systemd)
#   NAME.failed   failed units (systemd)

# _patterns FILE: the patterns of a volatile-* file, comments stripped.
_patterns() {
    grep -v '^[[:space:]]*\(#\|$\)' "$E2E_SRC/$1" | awk '{ print $1 }'
}

# The remote find(1) expression that prunes the paths of tests/e2e/volatile-files.
_prune_expr() {
    local path expr=""
    while read -r path; do
        expr+="${expr:+ -o }-path '$path'"
    done < <(_patterns volatile-files)
    echo "\\( $expr \\) -prune -o"
}

# The volumes' mount points, blank-separated.
_volume_mounts() {
    local v
    for v in "${P_VOLUMES[@]}"; do
        printf '%s ' "$(volume_field "$v" 4)"
    done
}

# _drop NAME VOLATILE [SUFFIX]: removes the lines of RUN_DIR/NAME matching
# a pattern of tests/e2e/VOLATILE (extended regular expressions, whole
# lines, or their first word when SUFFIX is " .*").
_drop() {
    local f=$RUN_DIR/$1
    grep -vxE -f <(_patterns "$2" | sed "s/\$/${3:-}/") "$f" >"$f.tmp" || true
    mv "$f.tmp" "$f"
}

# snapshot NAME
snapshot() {
    local n=$1
    gsave "$n.md5" "find $(_volume_mounts) -xdev $(_prune_expr) -type f -print0 | xargs -0 md5sum | LC_ALL=C sort -k 2"
    case $P_DISK in
        lvm)
            gsave "$n.sizes" "lvs --units b --nosuffix -o vg_name,lv_name,lv_size,seg_pe_ranges"
            gsave "$n.devnodes" "find /dev/mapper /dev/vg0 -printf '%p %y %l\\n' | LC_ALL=C sort"
            ;;
        gpt)
            gsave "$n.sizes" "for p in /sys/class/block/vda[0-9]*; do echo \"\${p##*/} \$(cat \$p/start) \$(cat \$p/size)\"; done"
            gsave "$n.devnodes" "find /dev/vda* /dev/disk/by-partlabel -printf '%p %y %l\\n' | LC_ALL=C sort"
            ;;
    esac
    # A stable sort: mounts stacked on one mount point keep their order.
    # An automount's pipe_ino is new after a reboot.
    gsave "$n.findmnt" "findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS,PROPAGATION | sed 's/,pipe_ino=[0-9]*//' | LC_ALL=C sort -s -k 1,1"
    _drop "$n.findmnt" volatile-mounts " .*"
    gsave "$n.ps" "ps -N --ppid 2 -p 2 -o pid=,comm= | LC_ALL=C sort -k 2"
    awk '{ print $2 }' "$RUN_DIR/$n.ps" | LC_ALL=C sort -u >"$RUN_DIR/$n.procs"
    _drop "$n.procs" volatile-procs
    case $P_DHCP in
        dhclient) gsave "$n.dhcp" "pgrep -a -x dhclient | cut -d' ' -f2- | LC_ALL=C sort" ;;
        networkd) gsave "$n.dhcp" "pgrep -x systemd-network >/dev/null && echo systemd-networkd" ;;
    esac
    gsave "$n.pid1" readlink /proc/1/exe
    case $P_INIT in
        systemd)
            gsave "$n.units" "systemctl list-units --state=active --no-legend --plain | awk '{ print \$1 }' | LC_ALL=C sort"
            _drop "$n.units" volatile-units
            gsave "$n.state" "systemctl is-system-running"
            gsave "$n.failed" "systemctl --failed --no-legend --plain | awk '{ print \$1 }' | LC_ALL=C sort"
            ;;
        sysvinit)
            gsave "$n.state" runlevel
            ;;
    esac
}

# The snapshot files every profile compares before and after a job, and
# the name of each one's check.
SNAPSHOT_SAME=(md5 findmnt devnodes procs pid1 state)
SNAPSHOT_SAME_SYSTEMD=(units failed)
declare -A SNAPSHOT_CHECK=([md5]=checksums [findmnt]=mounts [devnodes]=dev-nodes [procs]=programs
    [pid1]=pid1-exe [state]=system-state [units]=active-units [failed]=failed-units)

# check_snapshots CHECK_PREFIX BEFORE AFTER: each aspect unchanged.
check_snapshots() {
    local p=$1 a=$2 b=$3 s
    local -a aspects=("${SNAPSHOT_SAME[@]}")
    [[ $P_INIT == systemd ]] && aspects+=("${SNAPSHOT_SAME_SYSTEMD[@]}")
    for s in "${aspects[@]}"; do
        check_same "$p${SNAPSHOT_CHECK[$s]}" "$RUN_DIR/$a.$s" "$RUN_DIR/$b.$s"
    done
}

# check_reboot_snapshots BEFORE AFTER: check_snapshots across a reboot. A
# tmpfs mounted at 50 % of RAM shows its size= only when the RAM the kernel
# counts changed after the mount (shmem's default is computed when shown),
# and devtmpfs's default nr_inodes= is half the RAM pages the kernel
# counts at boot: both differ from boot to boot by a few pages (nr_inodes
# 182222 and 182221 on two boots of the trixie guest), so sizes and inode
# counts are left out of that comparison.
check_reboot_snapshots() {
    local f
    for f in "$1" "$2"; do
        cp "$RUN_DIR/$f.findmnt" "$RUN_DIR/$f.findmnt.raw"
        sed -i 's/,size=[0-9]*k//; s/,nr_inodes=[0-9]*//' "$RUN_DIR/$f.findmnt"
    done
    check_snapshots reboot- "$1" "$2"
    for f in "$1" "$2"; do
        mv "$RUN_DIR/$f.findmnt.raw" "$RUN_DIR/$f.findmnt"
    done
}
