#!/usr/bin/env bash
# Item 6 (enter time vs bytes brought), run by bench/run under `unshare
# --mount --propagation private --pid --fork --mount-proc`, as
# tests/root_lift.rs does it: the loop ext4 image $1 (a small system:
# busybox, rootlift, timeit, the kits' programs with their libraries)
# becomes this namespace's root, with /proc, /sys, /dev and /run mounted and
# / and /run shared as on a real host; then bench/lib/enter_inner.sh runs
# there as PID 1 under busybox sh and times `rootlift enter --bring ...` and
# `rootlift return` for each kit. Nothing here can reach the host's mounts:
# the pivot is of this namespace's root, and everything dies with it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
refuse_host_namespace
[[ $$ == 1 ]] || die "enter_ns.sh must be PID 1 of its own PID namespace"
dev=$1

R=$BENCH_WORK/sysroot
mkdir -p "$R"
mount "$dev" "$R"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
cd "$R"
pivot_root . host
/bin/busybox umount -l /host
exec /bin/busybox sh -eu /enter_inner.sh
