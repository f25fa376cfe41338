#!/bin/sh
# rootlift dm against the guest's dmsetup: mappings made by each of them
# (linear with one and with several segments, striped, zero, error, a
# stack) and an LVM LV made by lvm, then every read command of rootlift
# compared byte for byte with dmsetup's; bad input to rootlift changes
# nothing.
# vm-disk: raw 64M
# vm-disk: raw 64M
# vm-disk: lvm-pv 64M
# vm-timeout: 300
set -eu
. /usr/lib/vm/lib.sh

DM=/usr/sbin/dmsetup
RL=/bin/rootlift
SAME=0

# check LABEL "DMSETUP ARGS" "ROOTLIFT DM ARGS": identical stdout.
check() {
    rc=0
    eval "$DM $2" >/tmp/want 2>/tmp/want.err || rc=$?
    [ "$rc" = 0 ] || { cat /tmp/want.err; fail "$1: dmsetup $2 exited $rc"; }
    eval "$RL dm $3" >/tmp/got 2>/tmp/got.err || rc=$?
    [ "$rc" = 0 ] || { cat /tmp/got.err; fail "$1: rootlift dm $3 exited $rc"; }
    if ! cmp -s /tmp/want /tmp/got; then
        echo "vm: dmsetup $2:"; od -c /tmp/want | head -n 20
        echo "vm: rootlift dm $3:"; od -c /tmp/got | head -n 20
        fail "$1: rootlift dm $3 differs from dmsetup $2"
    fi
    SAME=$((SAME + 1))
}

# same ARGS...: the same arguments to both.
same() {
    check "$*" "$*" "$*"
}

# refuse CODE WHAT ARGS...: rootlift ARGS must exit CODE.
refuse() {
    _want=$1 _what=$2
    shift 2
    rc=0
    $RL "$@" >/tmp/out 2>/tmp/err || rc=$?
    echo "vm: rootlift $* -> $rc: $(cat /tmp/err)"
    [ "$rc" = "$_want" ] || fail "$_what: rootlift $* exited $rc, not $_want"
}

# dev_of NAME: MAJ:MIN of the dm device NAME, from sysfs.
dev_of() {
    for _d in /sys/block/dm-*; do
        [ "$(cat "$_d/dm/name")" = "$1" ] && { cat "$_d/dev"; return 0; }
    done
    echo none
}

# expect_table NAME TEXT: dmsetup prints TEXT as NAME's table.
expect_table() {
    printf '%s\n' "$2" >/tmp/want
    $DM table "$1" >/tmp/got
    cmp -s /tmp/want /tmp/got || fail "table of $1 is '$(cat /tmp/got)', not '$2'"
}

# expect_node NAME: /dev/mapper/NAME is a block node of NAME's device.
expect_node() {
    [ -b "/dev/mapper/$1" ] || fail "no block node /dev/mapper/$1"
    set -- "$1" $(stat -L -c '%t %T' "/dev/mapper/$1")
    [ "$(printf '%d:%d' "0x$2" "0x$3")" = "$(dev_of "$1")" ] ||
        fail "/dev/mapper/$1 is $2:$3 (hex), not $(dev_of "$1")"
}

wait_for_dev /dev/vda
wait_for_dev /dev/vdb
wait_for_dev /dev/vdc

# linear, striped and error are in dm-mod; zero is its own module.
$DM targets | grep -q '^zero ' || fail "no zero target: tests/vm/guest/modules must list dm-zero"

step "mappings made by dmsetup"
must "dmsetup create d-lin1" $DM create d-lin1 --table "0 2048 linear /dev/vda 0"
must "dmsetup create d-lin3" $DM create d-lin3 --table "0 1024 linear /dev/vda 4096
1024 2048 linear /dev/vdb 0
3072 512 linear /dev/vda 8192"
must "dmsetup create d-str" $DM create d-str --table "0 4096 striped 2 128 /dev/vda 16384 /dev/vdb 16384"
must "dmsetup create d-zero" $DM create d-zero -u DM-ZERO-UUID --table "0 8192 zero"
must "dmsetup create d-err" $DM create d-err --readonly --table "0 100 error"
must "dmsetup create d-stack" $DM create d-stack --table "0 1024 linear $(dev_of d-lin1) 512"

step "mappings made by rootlift"
must "rootlift dm create r-lin1" $RL dm create r-lin1 --table "0 2048 linear /dev/vda 20480"
must "rootlift dm create r-lin3" $RL dm create r-lin3 \
    --table "0 1024 linear /dev/vda 24576" \
    --table "1024 2048 linear /dev/vdb 20480" \
    --table "3072 512 linear /dev/vda 28672"
must "rootlift dm create r-str" $RL dm create r-str --table "0 4096 striped 2 128 /dev/vda 32768 /dev/vdb 32768"
must "rootlift dm create r-zero" $RL dm create r-zero --uuid RL-ZERO-UUID --table "0 8192 zero"
must "rootlift dm create r-err" $RL dm create r-err --readonly --table "0 100 error"
printf '# a table file\n0 1024 linear /dev/mapper/r-lin1 512 # the stack\n' >/tmp/stack.table
must "rootlift dm create r-stack" $RL dm create r-stack --table-file /tmp/stack.table

step "what rootlift made, seen by dmsetup and the kernel"
vda=$(cat /sys/block/vda/dev)
vdb=$(cat /sys/block/vdb/dev)
rlin1=$(dev_of r-lin1)
expect_table r-lin1 "0 2048 linear $vda 20480"
expect_table r-lin3 "0 1024 linear $vda 24576
1024 2048 linear $vdb 20480
3072 512 linear $vda 28672"
expect_table r-str "0 4096 striped 2 128 $vda 32768 $vdb 32768"
expect_table r-zero "0 8192 zero "
expect_table r-err "0 100 error "
expect_table r-stack "0 1024 linear $rlin1 512"
for n in r-lin1 r-lin3 r-str r-zero r-err r-stack; do
    expect_node "$n"
done
$DM info r-err | grep -qx 'State:             ACTIVE (READ-ONLY)' || fail "r-err is not read-only"
$DM info r-zero | grep -qx 'UUID: RL-ZERO-UUID' || fail "r-zero has not its uuid"

step "every read command, rootlift vs dmsetup"
same ls
for n in d-lin1 d-lin3 d-str d-zero d-err d-stack r-lin1 r-lin3 r-str r-zero r-err r-stack; do
    same info "$n"
    same table "$n"
    same status "$n"
    same deps "$n"
done
same targets
check "info by uuid" "info -u DM-ZERO-UUID" "info DM-ZERO-UUID"
check "table by uuid" "table -u RL-ZERO-UUID" "table RL-ZERO-UUID"
maj=${rlin1%:*} min=${rlin1#*:}
check "info by MAJ:MIN" "info -j $maj -m $min" "info $rlin1"
check "deps by MAJ:MIN" "deps -j $maj -m $min" "deps $rlin1"
$DM version | grep '^Driver version:' >/tmp/want
$RL dm version >/tmp/got
cmp -s /tmp/want /tmp/got || fail "dm version: '$(cat /tmp/got)' is not '$(cat /tmp/want)'"

step "an LVM LV"
must "pvcreate" /usr/sbin/pvcreate /dev/vdc
must "vgcreate" /usr/sbin/vgcreate vg0 /dev/vdc
must "lvcreate" /usr/sbin/lvcreate -y -L 16M -n lv vg0
same ls
same info vg0-lv
same table vg0-lv
same status vg0-lv
same deps vg0-lv
$RL dm ls --json | grep -q '"name":"vg0-lv","dev":"[0-9:]*","major":[0-9]*,"minor":[0-9]*,"uuid":"LVM-' ||
    fail "dm ls --json does not list vg0-lv with an LVM- uuid: $($RL dm ls --json)"
$RL dm deps vg0-lv --json | grep -q '"path":"/dev/vdc"' ||
    fail "deps of vg0-lv do not resolve to /dev/vdc: $($RL dm deps vg0-lv --json)"
echo "vm: $SAME outputs identical to dmsetup's, e.g.:"
$RL dm ls
$RL dm info vg0-lv
$RL dm table r-lin3
$RL dm status r-str
$RL dm deps r-lin3

step "json"
$RL dm ls --json >/tmp/ls.json
grep -q '"name":"r-zero","dev":"[0-9]*:[0-9]*","major":[0-9]*,"minor":[0-9]*,"uuid":"RL-ZERO-UUID"' /tmp/ls.json ||
    fail "dm ls --json lacks r-zero's uuid: $(cat /tmp/ls.json)"
grep -q '"name":"r-lin1","dev":"'"$rlin1"'"' /tmp/ls.json || fail "dm ls --json lacks r-lin1 at $rlin1"
$RL dm deps r-stack --json >/tmp/deps.json
grep -q '"path":"/dev/mapper/r-lin1"' /tmp/deps.json || fail "deps of r-stack do not resolve to r-lin1: $(cat /tmp/deps.json)"
$RL dm deps r-lin3 --json >/tmp/deps.json
grep -q '"path":"/dev/vda"' /tmp/deps.json && grep -q '"path":"/dev/vdb"' /tmp/deps.json ||
    fail "deps of r-lin3 do not resolve to vda and vdb: $(cat /tmp/deps.json)"
$RL dm info r-err --json | grep -q '"read_only":true' || fail "dm info --json: r-err not read_only"
$RL dm targets --json | grep -q '"name":"striped","version":"' || fail "dm targets --json lacks striped"

step "bad input changes nothing"
$DM ls >/tmp/before
refuse 2 "malformed line" dm create bad1 --table "0 x linear /dev/vda 0"
refuse 2 "gap" dm create bad2 --table "0 8 zero" --table "9 8 zero"
refuse 2 "long name" dm create "$(printf '%0128d' 0)" --table "0 8 zero"
refuse 2 "slash in name" dm create a/b --table "0 8 zero"
refuse 2 "long uuid" dm create bad3 --uuid "$(printf '%0129d' 0)" --table "0 8 zero"
refuse 2 "long target type" dm create bad4 --table "0 8 zerozerozerozero"
refuse 1 "missing table file" dm create bad5 --table-file /nonexistent
refuse 1 "unknown device" dm info nosuch
refuse 1 "unknown device" dm table nosuch
refuse 1 "unknown device" dm remove nosuch
refuse 1 "not a dm device" dm info "$vda"
refuse 1 "existing name" dm create r-zero --table "0 8 zero"
# The kernel refuses the table at load: the created device must go again.
refuse 1 "table the kernel refuses" dm create bad6 --table "0 8 linear /dev/nonexistent 0"
refuse 1 "unknown target" dm create bad7 --table "0 8 nosuchtarget"
$DM ls >/tmp/after
cmp -s /tmp/before /tmp/after || { diff /tmp/before /tmp/after; fail "bad input changed the device list"; }
[ ! -e /dev/mapper/bad6 ] && [ ! -e /dev/mapper/bad7 ] || fail "a failed create left its /dev/mapper node"

pass
