#!/bin/busybox sh
# shellcheck shell=dash
# Runs as PID 1 of the bench's namespace, inside the small system image (see
# enter_ns.sh), under busybox sh. For each kit of /kits.txt (`NAME WORD...`
# lines, a WORD is a program to --bring or --ssh) and each of $REPS repetitions: time `rootlift enter --bring ...`,
# read the tmpfs's used bytes (statfs of / while lifted), time `rootlift
# return`, and check / really was the tmpfs and really is back. Prints one
# `REC<TAB>...` line per figure for bench/run.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/oldroot/bin
busybox mount --make-shared /
busybox mount --make-shared /run
REPS=$(cat /reps)
tab=$(printf '\t')

rec() { echo "REC${tab}growth${tab}$1${tab}rootlift${tab}$2${tab}$3"; }

while read -r kit progs; do
    set --
    for p in $progs; do
        if [ "$p" = --ssh ]; then set -- "$@" --ssh; else set -- "$@" --bring "$p"; fi
    done
    rec "$kit" programs "$progs"
    i=0
    while [ $i -lt "$REPS" ]; do
        # timeit prints `0 wall_ns maxrss_kib status user_us sys_us`.
        line=$(/bin/timeit -n 1 -- /bin/rootlift enter "$@")
        line=${line#0 }
        if [ "$(echo "$line" | awk '{print $3}')" != 0 ]; then
            echo "bench: enter with the $kit kit failed: $line" >&2
            /bin/rootlift enter "$@" >&2 || true
            exit 1
        fi
        [ "$(stat -f -c %T /)" = tmpfs ] || { echo "bench: / is not the tmpfs after enter" >&2; exit 1; }
        used=$(stat -f -c '%b %f %S' / | awk '{printf "%.0f\n", ($1 - $2) * $3}')
        # timeit and the shell live on the old root, now at /oldroot.
        back=$(/oldroot/bin/timeit -n 1 -- /bin/rootlift return)
        back=${back#0 }
        if [ "$(echo "$back" | awk '{print $3}')" != 0 ]; then
            echo "bench: return after the $kit kit failed: $back" >&2
            exit 1
        fi
        [ "$(stat -f -c %T /)" != tmpfs ] || { echo "bench: / is still the tmpfs after return" >&2; exit 1; }
        rec "$kit" enter_run "$line"
        rec "$kit" return_run "$back"
        rec "$kit" tmpfs_used "$used"
        i=$((i + 1))
    done
done </kits.txt
echo "REC${tab}growth${tab}-${tab}rootlift${tab}done${tab}ok"
