#!/bin/sh
# rootlift dm writes, checked by dmsetup and sysfs: create -> suspend ->
# load a shorter table -> resume -> rename -> remove, the device size read
# from /sys/block/dm-N/size at each step; open_count 0 vs 1 with a process
# holding the device; remove while held (refused, --force errors the table
# out), and remove riding out a short-lived open.
# The control node itself is removed first and must come back.
# vm-disk: raw 64M
# vm-timeout: 240
set -eu
. /usr/lib/vm/lib.sh

DM=/usr/sbin/dmsetup
RL=/bin/rootlift

# refuse CODE WHAT ARGS...: rootlift ARGS must exit CODE.
refuse() {
    _want=$1 _what=$2
    shift 2
    rc=0
    $RL "$@" >/tmp/out 2>/tmp/err || rc=$?
    echo "vm: rootlift $* -> $rc: $(cat /tmp/err)"
    [ "$rc" = "$_want" ] || fail "$_what: rootlift $* exited $rc, not $_want"
}

# field WHAT NAME LINE: dmsetup info NAME has exactly LINE.
field() {
    $DM info "$2" | grep -qx "$3" || fail "$1: dmsetup info $2 has no line '$3': $($DM info "$2")"
}

# size_is SECTORS: the size of dm-N, from sysfs.
size_is() {
    _s=$(cat "$sys/size")
    [ "$_s" = "$1" ] || fail "$sys/size is $_s, not $1"
}

# open_count_is N NAME: rootlift's JSON and dmsetup agree on N.
open_count_is() {
    $RL dm info "$2" --json | grep -q "\"open_count\":$1," || fail "rootlift: open_count of $2 is not $1: $($RL dm info "$2" --json)"
    field "open count" "$2" "Open count:        $1"
}

wait_for_dev /dev/vda
vda=$(cat /sys/block/vda/dev)

step "no /dev/mapper at all, as in a bare initramfs"
rm -rf /dev/mapper
must "version without a control node" $RL dm version
[ "$(stat -c '%F %t:%T %a' /dev/mapper/control)" = "character special file a:ec 600" ] ||
    fail "/dev/mapper/control is $(stat -c '%F %t:%T %a' /dev/mapper/control), not char 10:236 0600"
[ "$(stat -c %a /dev/mapper)" = 755 ] || fail "/dev/mapper is mode $(stat -c %a /dev/mapper)"

step "create"
must "create" $RL dm create rt --table "0 8192 linear /dev/vda 0"
[ -b /dev/mapper/rt ] || fail "create made no /dev/mapper/rt"
set -- $(stat -c '%t %T' /dev/mapper/rt)
dev=$(printf '%d:%d' "0x$1" "0x$2")
sys=/sys/dev/block/$dev
[ "$(cat "$sys/dm/name")" = rt ] || fail "/dev/mapper/rt ($dev) is not the device rt"
echo "vm: rt is $dev, $(readlink -f "$sys")"
size_is 8192
field "created" rt "State:             ACTIVE"
field "created" rt "Tables present:    LIVE"

step "suspend"
must "suspend" $RL dm suspend rt
field "suspended" rt "State:             SUSPENDED"
$RL dm info rt | grep -qx "State:             SUSPENDED" || fail "rootlift dm info does not see SUSPENDED"

step "load a shorter table"
must "load" $RL dm load rt --table "0 4096 linear /dev/vda 2048"
field "loaded" rt "Tables present:    LIVE & INACTIVE"
size_is 8192

step "resume"
must "resume" $RL dm resume rt
field "resumed" rt "State:             ACTIVE"
field "resumed" rt "Tables present:    LIVE"
size_is 4096
[ "$($DM table rt)" = "0 4096 linear $vda 2048" ] || fail "table after resume: $($DM table rt)"

step "suspend --nolockfs --noflush, resume"
must "suspend --nolockfs --noflush" $RL dm suspend rt --nolockfs --noflush
field "suspended" rt "State:             SUSPENDED"
must "resume" $RL dm resume rt
field "resumed" rt "State:             ACTIVE"

step "rename"
must "rename" $RL dm rename rt rt2
[ "$($DM ls)" = "$(printf 'rt2\t(%s)' "$dev")" ] || fail "dmsetup ls after rename: $($DM ls)"
[ "$(cat "$sys/dm/name")" = rt2 ] || fail "sysfs name after rename: $(cat "$sys/dm/name")"
[ -b /dev/mapper/rt2 ] && [ ! -e /dev/mapper/rt ] || fail "rename did not move /dev/mapper/rt to rt2: $(ls /dev/mapper)"
refuse 2 "rename onto a reserved name" dm rename rt2 control

step "open_count 0 vs 1"
open_count_is 0 rt2
sleep 600 </dev/mapper/rt2 &
holder=$!
i=0
until $RL dm info rt2 --json | grep -q '"open_count":1,'; do
    i=$((i + 1))
    [ $i -lt 50 ] || fail "the holder never opened rt2"
    sleep 0.1
done
open_count_is 1 rt2
refuse 1 "remove while held" dm remove rt2
[ -b /dev/mapper/rt2 ] && [ -d "$sys" ] || fail "a refused remove took rt2 away"
refuse 1 "remove --force while held" dm remove rt2 --force
[ "$($DM table rt2)" = "0 4096 error " ] || fail "remove --force did not error the table out: $($DM table rt2)"
kill "$holder"
wait "$holder" || true
open_count_is 0 rt2

step "remove"
must "remove" $RL dm remove rt2
[ "$($DM ls)" = "No devices found" ] || fail "dmsetup ls after remove: $($DM ls)"
[ ! -e /dev/mapper/rt2 ] || fail "remove left /dev/mapper/rt2"
[ ! -e "$sys" ] || fail "remove left $sys"

step "remove rides out a short-lived open"
must "create" $RL dm create brief --table "0 8 linear /dev/vda 0"
sleep 0.5 </dev/mapper/brief &
i=0
until $RL dm info brief --json | grep -q '"open_count":1,'; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "the brief holder was never seen"
    sleep 0.01
done
must "remove during a brief open" $RL dm remove brief
[ "$($DM ls)" = "No devices found" ] || fail "brief was not removed: $($DM ls)"
wait

pass
