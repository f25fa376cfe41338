#!/usr/bin/env bash
# Item 3, run by bench/run under `unshare --mount --propagation private
# --pid --fork --mount-proc`: this script is PID 1 of a fresh PID namespace
# with its own /proc, so the three scanners see only the synthetic load, and
# everything it starts dies with it. For each N: a tmpfs, holdfarm's N
# holders (M open files each and a mapping; every 10th a mapping only),
# then `rootlift holders`, `fuser -vm` and `lsof` timed on it, and the PIDs
# each one names compared with holdfarm's list.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
refuse_host_namespace
[[ $$ == 1 ]] || die "holders_ns.sh must be PID 1 of its own PID namespace"

M=${BENCH_HOLDER_FILES:-10}
RUNS=${BENCH_HOLDER_RUNS:-5}
TGT=$BENCH_WORK/holders-mnt
mkdir -p "$TGT"
cd /   # the scanners' own cwd is not on the target

farm=
cleanup() {
    if [[ -n $farm ]]; then
        if [[ -f $TGT.pids ]]; then xargs -r kill -KILL <"$TGT.pids" 2>/dev/null || true; fi
        kill -KILL "$farm" 2>/dev/null || true
        wait "$farm" 2>/dev/null || true
        farm=
    fi
    if mountpoint -q "$TGT"; then umount "$TGT" 2>/dev/null || umount -l "$TGT" || true; fi
    rm -f "$TGT.pids"
}
trap cleanup EXIT

# found TOOL N: how many of the holders the tool's PID list names, and how
# many other PIDs it names.
found() {
    local tool=$1 n=$2 list=$BENCH_WORK/found-$1
    sort -u "$list" >"$list.sorted"
    sort -u "$TGT.pids" >"$TGT.pids.sorted"
    rec holders "N=$n" "$tool" found "$(comm -12 "$list.sorted" "$TGT.pids.sorted" | wc -l)"
    rec holders "N=$n" "$tool" extra "$(comm -23 "$list.sorted" "$TGT.pids.sorted" | wc -l)"
}

for n in ${BENCH_HOLDER_NS:-200 1000 3000}; do
    say "3/6 holder scan, N=$n processes x M=$M files + a mapping"
    mount -t tmpfs -o size=16m,mode=755 bench-holders "$TGT"
    rm -f "$TGT.pids"
    "$BENCH_BIN/holdfarm" "$TGT" "$n" "$M" "$TGT.pids" &
    farm=$!
    for _ in $(seq 1200); do
        [[ -f $TGT.pids ]] && break
        kill -0 "$farm" 2>/dev/null || die "holdfarm exited before its $n holders were ready"
        sleep 0.05
    done
    [[ -f $TGT.pids ]] || die "holdfarm's $n holders not ready after 60 s"
    rec holders "N=$n" load holders "$(wc -l <"$TGT.pids")"
    rec holders "N=$n" load files_per_holder "$M"

    timed holders "N=$n" "$RUNS" 1 rootlift fuser lsof -- \
        "$ROOTLIFT_BIN" holders "$TGT" ::: fuser -vm "$TGT" ::: lsof -w "$TGT"

    "$ROOTLIFT_BIN" holders --json "$TGT" \
        | python3 -c 'import json, sys; [print(p["pid"]) for p in json.load(sys.stdin)["processes"]]' \
            >"$BENCH_WORK/found-rootlift"
    found rootlift "$n"
    fuser -m "$TGT" 2>/dev/null | tr -s ' ' '\n' | grep -E '^[0-9]+$' >"$BENCH_WORK/found-fuser" || true
    found fuser "$n"
    lsof -w -t "$TGT" >"$BENCH_WORK/found-lsof" || true
    found lsof "$n"
    # A cross-check of timeit's figures with GNU time, one run each.
    for tool in rootlift fuser lsof; do
        case $tool in
            rootlift) cmd=("$ROOTLIFT_BIN" holders "$TGT") ;;
            fuser) cmd=(fuser -vm "$TGT") ;;
            lsof) cmd=(lsof -w "$TGT") ;;
        esac
        /usr/bin/time -v -o "$BENCH_WORK/gnutime" "${cmd[@]}" >/dev/null 2>&1 || true
        rec holders "N=$n" "$tool" gnu_time "$(awk -F': ' '/Elapsed \(wall clock\)/ {e = $2} /Maximum resident/ {m = $2} END {print e, m}' "$BENCH_WORK/gnutime")"
    done
    cleanup
done
rec holders - fuser version "$(fuser -V 2>&1 | head -n1)"
rec holders - lsof version "$(lsof -v 2>&1 | awk '/revision:/ {print "lsof " $2; exit}')"
