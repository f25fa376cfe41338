#!/usr/bin/env bash
# Item 2, run by bench/run under `unshare --mount --propagation private`:
# the tmpfs bytes of each kit, measured in a fresh tmpfs per kit (statfs
# used blocks, as df shows them, and du -sb's apparent bytes), and, when
# BENCH_MANUAL_COPY=1, the manual procedure's cp -ax really done into a
# tmpfs and timed. The tmpfs mounts die with this namespace.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/kits.sh"
refuse_host_namespace

FP=$BENCH_WORK/fp
mkdir -p "$FP"

# tmpfs_used DIR: bytes the tmpfs at DIR holds, from statfs(2).
tmpfs_used() { stat -f -c '%b %f %S' "$1" | awk '{printf "%.0f\n", ($1 - $2) * $3}'; }

measure_kit() {
    local kit=$1 files
    mount -t tmpfs -o mode=755 bench-footprint "$FP"
    local empty
    empty=$(tmpfs_used "$FP")
    mkdir -p "$FP/usr/bin"
    install -m 755 "$ROOTLIFT_BIN" "$FP/usr/bin/rootlift"
    local programs=() configs=()
    case $kit in
        enter) ;;
        shrink)
            mapfile -t programs < <(shrink_programs | tr ' ' '\n')
            mapfile -t configs < <(shrink_files)
            ;;
        shrink+sshd)
            mapfile -t programs < <(shrink_programs | tr ' ' '\n'; sshd_programs)
            mapfile -t configs < <(shrink_files; sshd_files)
            ;;
    esac
    if ((${#programs[@]} > 0)); then
        "$ROOTLIFT_BIN" bring "$FP" "${programs[@]}" >"$BENCH_WORK/bring-$kit.out" \
            || die "rootlift bring failed for the $kit kit"
    fi
    if ((${#configs[@]} > 0)); then
        # Relative paths from /: coreutils 9.1's cp -a --parents fails on
        # absolute ones ("cp: 'etc': No such file or directory").
        (cd / && cp -a --parents "${configs[@]#/}" "$FP/")
    fi
    files=$(find "$FP" -type f | wc -l)
    rec footprint "$kit" rootlift tmpfs_used "$(($(tmpfs_used "$FP") - empty))"
    rec footprint "$kit" rootlift du_sb "$(du -sb "$FP" | cut -f1)"
    rec footprint "$kit" rootlift files "$files"
    rec footprint "$kit" rootlift programs "rootlift ${programs[*]}"
    rec footprint "$kit" rootlift configs "${configs[*]}"
    umount "$FP"
}

say "2/6 tmpfs footprint of the kits"
for kit in enter shrink shrink+sshd; do
    measure_kit "$kit"
done

say "2/6 du of the manual procedure's directories"
# One du call: hard links count once, as cp -a copies them once; the /bin
# style symlinks of a merged-/usr system count as links, as cp -a copies.
# shellcheck disable=SC2046  # one word per directory
need=$(du -sxb $(manual_dirs) | awk '{s += $1} END {printf "%.0f\n", s}')
rec footprint manual du du_sxb "$need"
rec footprint manual du cmd "du -sxb $(manual_dirs | tr '\n' ' ')"
# shellcheck disable=SC2046
rec footprint manual du du_sx_alloc "$(du -sx --block-size=1 $(manual_dirs) | awk '{s += $1} END {printf "%.0f\n", s}')"
# shellcheck disable=SC2046
rec footprint howto du du_sxb "$(du -sxb $(howto_dirs) | awk '{s += $1} END {printf "%.0f\n", s}')"
rec footprint howto du cmd "du -sxb $(howto_dirs | tr '\n' ' ')"
# What makes this machine's /usr/lib big (a development machine).
while read -r bytes dir; do
    rec footprint usr_lib_top du part "$bytes $dir"
done < <(du -sxb /usr/lib/* 2>/dev/null | sort -rn | head -n 6)

if [[ ${BENCH_MANUAL_COPY:-1} == 1 ]]; then
    avail=$(awk '/^MemAvailable:/ {printf "%.0f\n", $2 * 1024}' /proc/meminfo)
    if ((avail > 2 * need + (2 << 30))); then
        say "2/6 the manual procedure's cp -ax into a tmpfs ($((need >> 20)) MiB)"
        mount -t tmpfs -o mode=755 bench-manual "$FP"
        mkdir -p "$FP/usr"
        # Two cp calls as in the howto: /usr/bin must land in usr/, not
        # next to the /bin symlink.
        # shellcheck disable=SC2016  # $1 is for sh -c
        timed footprint manual 1 0 cp -- sh -c \
            'cp -ax /bin /sbin /lib /lib64 /etc "$1"/ && cp -ax /usr/bin /usr/sbin /usr/lib /usr/lib64 "$1"/usr/' \
            sh "$FP"
        rec footprint manual cp tmpfs_used "$(tmpfs_used "$FP")"
        rec footprint manual cp files "$(find "$FP" -type f | wc -l)"
        umount "$FP"
    else
        rec footprint manual cp skipped "MemAvailable $avail < 2 x $need + 2 GiB"
    fi
else
    rec footprint manual cp skipped "BENCH_MANUAL_COPY=0"
fi
