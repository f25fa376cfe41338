# shellcheck shell=bash
# The return's unit restarts beside a plain `systemctl restart` of the same
# units on the running system: how long the return took from its
# `systemctl start` of the stopped units (the `return.services` line's time
# minus its call_ms: systemd answers only once it has resumed, which is
# the PID 1 resume phase) to the last unit release stopped active again
# (the last `return.up` of the downtime table), and how long `systemctl
# restart` of those units takes in the same guest. Measured, not checked: the numbers go
# to RUN_DIR/restart.json and the report; a measurement that cannot be made
# says why there.

# _return_phase STATUS_JSON: "MS UNITS" (UNITS blank-separated) or nothing:
# the units of the downtime table (those release stopped), and the time
# from the return's start of them to the last of them active again.
_return_phase() {
    jq -r '
        ([.events[] | select(.event == "return.services" and (.detail | test("call_ms=")))][0]
            | .ms - (.detail | capture("call_ms=(?<c>[0-9]+)").c | tonumber)) as $from
        | ([.downtime[] | select(.up_at_ms != null)]) as $rows
        | if $from and ($rows | length) > 0
          then "\(($rows | map(.up_at_ms) | max) - $from) \($rows | map(.unit) | join(" "))"
          else empty end
    ' "$1" 2>/dev/null
}

# measure_plain_restart: writes RUN_DIR/restart.json
# {units, return_ms, plain_ms, plain_exit, ratio} (ratio = return / plain).
measure_plain_restart() {
    local out=$RUN_DIR/restart.json phase return_ms units res i
    [[ $P_INIT == systemd ]] || return 0
    phase=$(_return_phase "$STATUS_JSON")
    if [[ -z $phase ]]; then
        jq -n '{why: "the journal has no return.services with call_ms or no unit back up to compare"}' >"$out"
        return 0
    fi
    return_ms=${phase%% *} units=${phase#* }
    # Detached from the login: restarting the network daemon may drop this
    # connection; the result is read back by a later login. Guest uptime in
    # centiseconds, before and after. The names go through a file: a unit
    # name may hold a backslash.
    printf '%s\n' "$units" >"$RUN_DIR/restart.units"
    gscp "$RUN_DIR/restart.units" /run/e2e-restart-units || true
    gssh "rm -f /run/e2e-restart; setsid -f sh -c '
        a=\$(cut -d\" \" -f1 /proc/uptime); systemctl restart \$(cat /run/e2e-restart-units); rc=\$?
        b=\$(cut -d\" \" -f1 /proc/uptime); echo \"\$rc \$a \$b\" >/run/e2e-restart.new
        mv /run/e2e-restart.new /run/e2e-restart' </dev/null >/dev/null 2>&1" || true
    res=""
    for ((i = 0; i < 120; i++)); do
        res=$(gssh "cat /run/e2e-restart 2>/dev/null" 2>/dev/null || true)
        [[ -n $res ]] && break
        sleep 2
    done
    if [[ -z $res ]]; then
        jq -n --arg u "$units" '{units: $u, why: "systemctl restart did not finish within 240 s"}' >"$out"
        return 0
    fi
    read -r rc a b <<<"$res"
    jq -n --arg u "$units" --argjson r "$return_ms" --argjson rc "$rc" \
        --argjson p "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%d", (b - a) * 1000 }')" \
        '{units: $u, return_ms: $r, plain_ms: $p, plain_exit: $rc,
          ratio: (if $p > 0 then (($r / $p) * 100 | round) / 100 else null end)}' >"$out"
    wait_ready 120 >/dev/null || true
    say "return's unit restarts ${return_ms} ms, systemctl restart of the same units $(jq -r .plain_ms "$out") ms (exit $rc)"
}
