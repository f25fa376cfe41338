# shellcheck shell=bash disable=SC2034  # sets FINAL_SIZE, STATUS_JSON, REPORT_LIFT... for the scenario and report
# E2E_REPEAT=N: N consecutive live shrinks of one boot of the guest, each a
# few MiB smaller than the last, each with the login probe. A shrink passes
# when its job.done says code=0, the root's volume and fs are the new size,
# no login was reset, refused or failed (E2E_PROBE_ALLOW), and a new login
# works after it. The loop stops at a guest no login reaches. Afterwards
# the state is compared with the boot's once, and the disk checked from the
# host. RUN_DIR/repeat.md and repeat.json hold the table.

REPEAT_STEP_MIB=8

scenario_repeat() {
    local n=$1 i size base passed=0 want summary attempts reset fail gap code ok
    scenario_boot
    scenario_plan
    base=$(target_size $((64 + REPEAT_STEP_MIB * n)))
    SHRINK_TO=$base
    : >"$RUN_DIR/repeat.tsv"
    for ((i = 1; i <= n; i++)); do
        size=$((${base%M} - (i - 1) * REPEAT_STEP_MIB))M
        STATUS_JSON=$RUN_DIR/repeat-$i.status.json
        say "repeat $i of $n: shrink to $size"
        run_lift "repeat-$i" "$JOB_TIMEOUT" /root/rootlift shrink "$size" --live --yes
        summary=$(probe_summary "repeat-$i")
        REPORT_LIFT=repeat-$i PROBE_SUMMARY=$summary JOB_SECONDS=$LIFT_SECONDS SHRINK_SESSION=$LIFT_SESSION
        read -r attempts _ reset fail _ gap _ _ <<<"$summary"
        if [[ $LIFT_REACHABLE == no ]]; then
            code=$(grep ' job\.done ' "$RUN_DIR/repeat-$i.console-journal" | tail -n 1 | grep -o ' code=[0-9]*' | cut -d= -f2) || true
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$size" "${code:-?}" "$attempts" "$reset" "$fail" "$gap" "$LIFT_SECONDS" \
                "FAIL: no login after job.done" >>"$RUN_DIR/repeat.tsv"
            FINAL_SIZE=$size
            _repeat_verdict "$n" "$passed"
            postmortem "repeat-$i"
            return 0
        fi
        want=$((${size%M} * MIB))
        code=$(ev_value job.done code)
        ok=PASS
        [[ $code == 0 ]] || ok="FAIL: code=$code"
        [[ $(root_sizes) == "$want $want" ]] || ok="FAIL: sizes $(root_sizes)"
        ((reset <= ${E2E_PROBE_ALLOW:-0} && fail <= ${E2E_PROBE_ALLOW:-0})) || ok="FAIL: $reset reset, $fail failed logins"
        gssh true 2>/dev/null || ok="FAIL: no login after it"
        [[ $ok == PASS ]] && passed=$((passed + 1))
        downtime "repeat-$i"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$size" "$code" "$attempts" "$reset" "$fail" "$gap" "$LIFT_SECONDS" "$ok" \
            >>"$RUN_DIR/repeat.tsv"
        say "repeat $i of $n: $ok"
        FINAL_SIZE=$size
    done
    STATUS_JSON=$RUN_DIR/repeat-$n.status.json
    _repeat_verdict "$n" "$passed"
    # Each shrink's kernel log (saved after it; the ring buffer does not
    # hold the whole loop), as one.
    for ((i = 1; i <= n; i++)); do
        cat "$RUN_DIR/repeat-$i.dmesg"
    done >"$RUN_DIR/repeat-all.dmesg" 2>/dev/null || true
    check_no_sshd_killed repeat-all
    wait_ready 120 >/dev/null
    wait_services
    snapshot after
    check_snapshots "" before after
    check_services_back "$(ev_time return.done)"
    scenario_poweroff
}

# _repeat_verdict N PASSED: the check, and the table as markdown and JSON.
_repeat_verdict() {
    local n=$1 passed=$2
    check_eq repeat-passes "$n of $n" "$passed of $n" "live shrinks that passed:"
    {
        echo "## $n consecutive live shrinks (E2E_REPEAT): $passed passed"
        echo
        echo "| # | size | job.done code | logins | reset/refused | failed | longest gap s | wall s | result |"
        echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        awk -F'\t' '{ printf "| %s |\n", $1 " | " $2 " | " $3 " | " $4 " | " $5 " | " $6 " | " $7 " | " $8 " | " $9 }' "$RUN_DIR/repeat.tsv"
    } >"$RUN_DIR/repeat.md"
    jq -R -s --argjson n "$n" --argjson passed "$passed" '
        {runs: $n, passed: $passed,
         shrinks: [split("\n")[] | select(. != "") | split("\t")
                   | {n: (.[0] | tonumber), size: .[1], code: .[2], logins: .[3], reset_or_refused: .[4],
                      failed: .[5], longest_gap_seconds: .[6], wall_seconds: .[7], result: .[8]}]}' \
        "$RUN_DIR/repeat.tsv" >"$RUN_DIR/repeat.json"
}
