# shellcheck shell=bash
# Can an administrator log in right now? A background loop starts a fresh
# SSH login every E2E_PROBE_INTERVAL seconds (default 0.25) during a lift,
# whether the last one ended or not, unless E2E_PROBE_INFLIGHT (default 3)
# are still under way: then that tick is skipped (a line "skip"), so the
# probe cannot bury a software-emulated guest under logins it cannot serve
# (a login takes it about a second of CPU). Each attempt writes one line to
# RUN_DIR/NAME.probe.log:
#   START END RESULT EXIT MESSAGE
# RESULT is ok; reset (the connection was refused, reset, or closed before
# sshd's banner: nothing served the port); fail (anything else: a timeout,
# a refused key, a login cut after the banner); hostkey (another host key:
# a failure too). MESSAGE is ssh's first line of complaint (at LogLevel
# INFO), blanks as underscores.

PROBE_PID=""
PROBE_INTERVAL=${E2E_PROBE_INTERVAL:-0.25}
PROBE_INFLIGHT=${E2E_PROBE_INFLIGHT:-3}
PROBE_TIMEOUT=${E2E_PROBE_TIMEOUT:-15}   # seconds to connect and to get sshd's banner

# start_prober NAME
start_prober() {
    local log=$RUN_DIR/$1.probe.log
    : >"$log"
    (
        local -a argv running
        mapfile -t argv < <(ssh_argv)
        argv=("${argv[@]/#ConnectTimeout=*/ConnectTimeout=$PROBE_TIMEOUT}")
        argv=("${argv[@]/#LogLevel=*/LogLevel=INFO}")
        while :; do
            mapfile -t running < <(jobs -rp)
            if ((${#running[@]} < PROBE_INFLIGHT)); then
                _attempt "$log" "${argv[@]}" &
            else
                echo "$(stamp) $(stamp) skip 0 ${#running[@]}_in_flight" >>"$log"
            fi
            sleep "$PROBE_INTERVAL"
        done
    ) &
    PROBE_PID=$!
}

# _attempt LOG SSH_ARGV...: one login, one line in LOG.
_attempt() {
    local log=$1 t0 r rc=0 err msg
    shift
    t0=$(stamp)
    err=$(timeout $((2 * PROBE_TIMEOUT)) "$@" true 2>&1 >/dev/null) || rc=$?
    msg=$(head -n 1 <<<"$err" | tr -s ' \t' '__')
    if ((rc == 0)); then
        r=ok
    elif [[ $err == *"IDENTIFICATION HAS CHANGED"* || $err == *"Host key verification failed"* ]]; then
        r=hostkey
    elif [[ $err == *"Connection refused"* || $err == *"reset by peer"* || $err == *"kex_exchange_identification"* ]]; then
        r=reset
    else
        r=fail
        ((rc == 124)) && msg=timeout_$((2 * PROBE_TIMEOUT))s
    fi
    echo "$t0 $(stamp) $r $rc ${msg:--}" >>"$log"
}

# Stops the loop; attempts under way end by themselves (2 * PROBE_TIMEOUT).
stop_prober() {
    [[ -n $PROBE_PID ]] || return 0
    kill "$PROBE_PID" 2>/dev/null || true
    wait "$PROBE_PID" 2>/dev/null || true
    PROBE_PID=""
}

# probe_summary NAME: "ATTEMPTS BAD RESET FAIL HOSTKEY GAP_SECONDS
# GAP_ATTEMPTS SKIPPED", where BAD = RESET + FAIL + HOSTKEY, GAP is the
# longest run of attempts that did not log in, from the start of its first
# to the start of the next successful login (or the end of its last
# attempt, when none came back), and SKIPPED the ticks with
# E2E_PROBE_INFLIGHT attempts under way.
probe_summary() {
    awk '
        $3 == "skip" { skip++; next }
        { n++ }
        $3 == "reset" { reset++ }
        $3 == "fail" { fail++ }
        $3 == "hostkey" { hk++ }
        $3 != "ok" { bad++; if (!run) { run_start = $1; run = 0 } run++ }
        $3 == "ok" && run { if ($1 - run_start > gap) { gap = $1 - run_start; gapn = run } run = 0 }
        END {
            if (run && $2 - run_start > gap) { gap = $2 - run_start; gapn = run }
            printf "%d %d %d %d %d %.2f %d %d\n", n, bad, reset, fail, hk, gap, gapn, skip
        }' < <(sort -n "$RUN_DIR/$1.probe.log")
}

# probe_ok_between NAME FROM TO: the logins that started after FROM and
# worked before TO (unix times).
probe_ok_between() {
    awk -v a="$2" -v b="$3" '$3 == "ok" && $1 > a && $2 < b { n++ } END { print n + 0 }' "$RUN_DIR/$1.probe.log"
}

# probe_messages NAME: each distinct complaint of the attempts that did not
# log in, with its count ("3x reset kex_exchange_identification:...").
probe_messages() {
    awk '$3 != "ok" && $3 != "skip" { c[$3 " " $5]++ } END { for (m in c) printf "%dx %s\n", c[m], m }' "$RUN_DIR/$1.probe.log" \
        | sort -rn
}

# check_probe NAME SUMMARY...: the login checks of a lift, strict unless
# E2E_PROBE_ALLOW (attempts of each kind let through) says otherwise.
check_probe() {
    local name=$1 attempts=$2 reset=$4 fail=$5 hk=$6 gap=$7 skip=$9 allow=${E2E_PROBE_ALLOW:-0} why
    why="$attempts logins every ${PROBE_INTERVAL} s ($skip ticks skipped, $PROBE_INFLIGHT in flight), longest gap $gap s; allowed ${allow} (E2E_PROBE_ALLOW);"
    why+=" $(probe_messages "$name" | awk 'NR <= 3' | paste -sd';' -)"
    if ((reset <= allow)); then check_pass "$name-ssh-reset" "$reset reset/refused. $why"; else check_fail "$name-ssh-reset" "$reset reset/refused. $why"; fi
    if ((fail <= allow)); then check_pass "$name-ssh-failed" "$fail failed. $why"; else check_fail "$name-ssh-failed" "$fail failed. $why"; fi
    check_eq "$name-ssh-host-key-kept" 0 "$hk" "logins that saw another host key:"
}
