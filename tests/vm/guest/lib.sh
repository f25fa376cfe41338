# Helpers for scenarios (busybox sh), installed in the guest as
# /usr/lib/vm/lib.sh; a scenario starts with `. /usr/lib/vm/lib.sh`.
#
# The verdict: call `pass` at the very end, or `fail WHY` anywhere. /init
# turns it into the one `RESULT:` line the host reads; a scenario that exits
# otherwise (e.g. through `set -e`) fails with its exit status. A scenario
# that is PID 1 (vm-pid1: yes) has no /init after it: there pass and fail
# print the line and power off themselves.
#
# Busybox sh runs its own applets before PATH, so the real tools are called by
# absolute path: they all live in /usr/sbin (see tests/vm/guest/contents).

pass() {
    _as_pid1 PASS
    : >/run/vm/passed
    exit 0
}

fail() {
    echo "vm: FAIL $*" >&2      # stdout may be a $(...) capture
    _as_pid1 "FAIL $*"
    echo "$*" >/run/vm/why
    exit 1
}

_as_pid1() {
    [ "$$" = 1 ] || return 0
    printf '\nRESULT: %s\n' "$1" >/dev/console
    sync
    poweroff -f
}

# Progress lines, so the serial log shows how far a scenario got.
step() {
    echo "vm: -- $*"
}

# must WHAT CMD [ARG...]: run CMD (its output goes to the log); if it fails,
# the scenario fails with WHAT and the exit status.
must() {
    _what=$1
    shift
    "$@" || fail "$_what: exit $? from $*"
}

# wait_for_dev PATH [SECONDS]: block devices appear asynchronously.
wait_for_dev() {
    _i=0
    while [ ! -b "$1" ]; do
        [ "$_i" -ge "$((${2:-10} * 10))" ] && fail "no block device $1 after ${2:-10} s"
        sleep 0.1
        _i=$((_i + 1))
    done
}

# --- An ext4 LV as the root (scenarios with `vm-pid1: yes`) ----------------
# Stage 1 (PID 1 of the initramfs): lvroot_build SIZE makes vg0/root on
# /dev/vda with a small system on it (busybox; e2fsck, resize2fs and lvm
# brought with their libraries), mounted at /newroot. lvroot_switch then
# switch_roots onto it with PID 1 running from a tmpfs at /run, so that PID 1
# does not pin the LV, and re-runs the scenario there with VM_STAGE=2.
# Stage 2: lvroot_stage2 checks that the API filesystems came along and
# makes / shared, as an init would.
LV=/dev/mapper/vg0-root

lvroot_build() {
    wait_for_dev /dev/vda
    must "pvcreate" /usr/sbin/pvcreate -q /dev/vda
    must "vgcreate" /usr/sbin/vgcreate -q vg0 /dev/vda
    must "lvcreate" /usr/sbin/lvcreate -q -y -L "$1" -n root vg0
    # 4 KiB blocks as on a real root (mke2fs would pick 1 KiB this small).
    must "mkfs.ext4" /usr/sbin/mkfs.ext4 -q -b 4096 -L lv-root "$LV"
    mkdir -p /newroot
    must "mount the LV" mount -t ext4 "$LV" /newroot
    newroot_fill
}

# newroot_fill: the small system of lvroot_build in the filesystem mounted
# at /newroot (also used for a root on a partition, see the partition
# scenario); lvroot_switch then switch_roots onto it.
newroot_fill() {
    # bring lays out the merged-/usr links (/bin -> usr/bin...) as the
    # initramfs has them; everything else goes in beside them.
    must "bring the kit" /bin/rootlift bring /newroot /usr/sbin/e2fsck /usr/sbin/resize2fs /usr/sbin/lvm >/dev/null
    for d in usr/bin etc/lvm proc sys dev run tmp var/log var/data root; do mkdir -p "/newroot/$d"; done
    cp /bin/busybox /newroot/usr/bin/busybox
    cp /etc/lvm/lvm.conf /newroot/etc/lvm/
}

lvroot_switch() {
    must "mount /run" mount -t tmpfs -o mode=0755 tmpfs /newroot/run
    mkdir -p /newroot/run/vm
    cp /bin/busybox /bin/rootlift /scenario.sh /usr/lib/vm/lib.sh /newroot/run/vm/
    for helper in /usr/lib/vm/*; do
        [ -x "$helper" ] && [ ! -d "$helper" ] && cp "$helper" /newroot/run/vm/
    done
    export VM_STAGE=2 VM_LIB=/run/vm/lib.sh
    # rootlift's own switch_root(8), as PID 1: /dev (with /dev/pts), /proc
    # and /sys move into /newroot; its /run is the tmpfs above, so the
    # initramfs's /run is detached; the initramfs's files are freed.
    exec /bin/rootlift switch-root /newroot /run/vm/busybox sh /run/vm/scenario.sh
}

lvroot_stage2() {
    export PATH=/usr/sbin:/usr/bin:/sbin:/bin
    # rootlift switch-root brought /proc, /sys and /dev (with /dev/pts)
    # along from the initramfs: nothing to mount, only / to make shared.
    [ -e /proc/self/exe ] || fail "/proc did not come along"
    [ -d /sys/block ] || fail "/sys did not come along"
    [ -c /dev/null ] && [ -c /dev/pts/ptmx ] || fail "/dev or /dev/pts did not come along"
    mount --make-shared /
}

# The mount table reduced to what a lift must give back: mount point,
# options, propagation kind, type, source, super options.
mounts_normalized() {
    awk '{ p = "private"; for (i = 7; $i != "-"; i++) { if ($i ~ /^shared:/) p = "shared"; if ($i ~ /^master:/) p = "slave" }
           print $5, $6, p, $(i + 1), $(i + 2), $(i + 3) }' /proc/self/mountinfo | sort
}

# Checksums of every regular file of the root filesystem but those named.
root_checksums() {
    (cd / && find . -xdev -type f | sort | while read -r f; do md5sum "$f"; done) | grep -v "$1"
}

# start_holders FILE: two daemons that pin the root from it, as services do:
# busybox from the LV writing to an open /var/log/app.log, and the mapper
# holding FILE only through a mapping. Sets HOLDER_LOGGER and HOLDER_MAPPER.
start_holders() {
    /bin/busybox sh -c 'exec 3>>/var/log/app.log; while :; do echo tick >&3; sleep 1; done' &
    HOLDER_LOGGER=$!
    /run/vm/mapper "$1" &
    HOLDER_MAPPER=$!
    sleep 1
}
