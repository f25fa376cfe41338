# shellcheck shell=bash
# Can an administrator log in right now? A background loop starts a fresh
# SSH login every second during a lift; each writes one line to
# RUN_DIR/NAME.probe.log: START END ok|fail|hostkey (hostkey: the host key
# changed, which counts as a failure too).

PROBE_PID=""

# start_prober NAME
start_prober() {
    local log=$RUN_DIR/$1.probe.log
    : >"$log"
    (
        local -a argv
        mapfile -t argv < <(ssh_argv)
        # One attempt starts every second, whether the last one ended or
        # not (a login may hang up to ConnectTimeout): the gap is measured
        # to the second, not to the length of an attempt.
        while :; do
            _attempt "$log" "${argv[@]}" &
            sleep 1
        done
    ) &
    PROBE_PID=$!
}

# _attempt LOG SSH_ARGV...: one login, one line in LOG.
_attempt() {
    local log=$1 t0 r err
    shift
    t0=$(stamp)
    err=$(timeout 20 "$@" true 2>&1 >/dev/null) && r=ok || r=fail
    if [[ $err == *"IDENTIFICATION HAS CHANGED"* || $err == *"Host key verification failed"* ]]; then
        r=hostkey
    fi
    echo "$t0 $(stamp) $r" >>"$log"
}

# Stops the loop; attempts under way end by themselves within 20 s.
stop_prober() {
    [[ -n $PROBE_PID ]] || return 0
    kill "$PROBE_PID" 2>/dev/null || true
    wait "$PROBE_PID" 2>/dev/null || true
    PROBE_PID=""
}

# probe_summary NAME: "ATTEMPTS FAILED HOSTKEY GAP_SECONDS GAP_FAILS", where
# GAP is the longest run of failed attempts, measured from the start of its
# first failure to the start of the next successful login.
probe_summary() {
    awk '
        { n++ }
        $3 == "hostkey" { hk++ }
        $3 != "ok" { bad++; if (!run) { run_start = $1; run = 0 } run++ }
        $3 == "ok" && run { if ($1 - run_start > gap) { gap = $1 - run_start; gapn = run } run = 0 }
        END {
            if (run && $2 - run_start > gap) { gap = $2 - run_start; gapn = run }   # never came back
            printf "%d %d %d %.1f %d\n", n, bad, hk, gap, gapn
        }' < <(sort -n "$RUN_DIR/$1.probe.log")
}

# probe_ok_between NAME FROM TO: the logins that started after FROM and
# worked before TO (unix times).
probe_ok_between() {
    awk -v a="$2" -v b="$3" '$3 == "ok" && $1 > a && $2 < b { n++ } END { print n + 0 }' "$RUN_DIR/$1.probe.log"
}
