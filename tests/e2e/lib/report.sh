# shellcheck shell=bash
# target/e2e/PROFILE/report.md and report.json: the timings of the run,
# the logins during the job, each stopped service's downtime and the
# return's breakdown (lib/downtime.py), and every check. The job's phases
# come from the journal (whole seconds) and from the kernel log (its
# microsecond times).

# _phase FROM TO: seconds between two journal events ("" if one is missing).
_phase() {
    local a b
    a=$(ev_time "$1") b=$(ev_time "$2")
    [[ -n $a && -n $b ]] && echo $((b - a))
    return 0
}

# The kernel log of the reported lift (REPORT_LIFT, default shrink): the
# guest's dmesg, else the lines the console got (a guest no login reached).
_klog() {
    local name=${REPORT_LIFT:-shrink}
    if [[ -s $RUN_DIR/$name.dmesg ]]; then
        cat "$RUN_DIR/$name.dmesg"
    elif [[ -s $RUN_DIR/$name.console-journal ]]; then
        sed 's/^\([0-9.]*\) /[\1] rootlift: /' "$RUN_DIR/$name.console-journal"
    fi
}

# _kphase FROM TO: seconds (3 decimals) between the first FROM and the
# first TO after it in the kernel log of the reported lift.
_kphase() {
    awk -v a="$1" -v b="$2" '
        /rootlift: / {
            t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t)
            n = split($0, w, " "); ev = ""
            for (i = 1; i < n; i++) if (w[i] == "rootlift:") { ev = w[i + 2]; break }
            if (ev == a && ta == "") ta = t
            if (ev == b && ta != "" && tb == "") tb = t
        }
        END { if (ta != "" && tb != "") printf "%.3f\n", tb - ta }' < <(_klog)
}

# The guest build's phases ("debootstrap 80.1, configure 20.3, ...").
_build_phases() {
    [[ -s $GUEST_DIR/build-phases ]] && awk '{ printf "%s%s %s s", (NR > 1 ? ", " : ""), $1, $2 }' "$GUEST_DIR/build-phases"
    return 0
}

write_report() {
    local verdict=$1 total=$2 md=$PROFILE_OUT/report.md json=$PROFILE_OUT/report.json c
    local enter release job ret confirm_wait lift tmpfs n r d dt=$RUN_DIR/${REPORT_LIFT:-shrink}.downtime.json
    mkdir -p "$PROFILE_OUT"
    if [[ -s ${STATUS_JSON:-} ]]; then
        enter=$(_phase enter.begin enter.done)
        confirm_wait=$(_phase job.wait-confirm job.confirm)
        release=$(_phase release.begin release.done)
        job=$(_phase job.begin return.begin)
        ret=$(_phase return.begin return.done)
        lift=$(_phase enter.begin job.done)
        tmpfs=$(ev_value enter.done tmpfs_used)
    fi
    local k_enter k_release k_job k_return k_total
    k_enter=$(_kphase enter.begin enter.done) k_release=$(_kphase release.begin release.done)
    k_job=$(_kphase job.begin return.begin) k_return=$(_kphase return.begin return.done)
    k_total=$(_kphase enter.begin job.done)
    local attempts bad reset fail hk gap gapn skip w_gap
    read -r attempts bad reset fail hk gap gapn skip <<<"${PROBE_SUMMARY:-}"
    read -r _ _ _ _ _ w_gap _ _ <<<"${WINDOW_SUMMARY:-}"
    local -a rows=()
    for c in "${CHECKS[@]}"; do
        rows+=("$(jq -cn --arg n "${c%%$'\t'*}" --arg r "$(cut -f2 <<<"$c")" --arg d "$(cut -f3- <<<"$c")" \
            '{name: $n, result: $r, detail: $d}')")
    done
    local downtime=null repeat=null restart=null
    [[ -s $dt ]] && downtime=$(cat "$dt")
    [[ -s $RUN_DIR/restart.json ]] && restart=$(cat "$RUN_DIR/restart.json")
    [[ -s $RUN_DIR/repeat.json ]] && repeat=$(cat "$RUN_DIR/repeat.json")
    jq -n --arg verdict "$verdict" --arg profile "$PROFILE" --arg description "$P_DESCRIPTION" \
        --arg build "${GUEST_BUILD_SECONDS:-}" --arg cached "${GUEST_CACHED:-}" --arg phases "$(_build_phases)" \
        --arg boot "${BOOT_SECONDS:-}" --arg plan "${PLAN_SECONDS:-}" --arg job_wall "${JOB_SECONDS:-}" \
        --arg enter "${enter:-}" --arg confirm_wait "${confirm_wait:-}" --arg release "${release:-}" \
        --arg job "${job:-}" --arg ret "${ret:-}" --arg lift "${lift:-}" --arg reboot "${REBOOT_SECONDS:-}" --arg shutdown "${SHUTDOWN_SECONDS:-}" \
        --arg total "$total" --arg tmpfs "${tmpfs:-}" --arg probes "${attempts:-}" --arg interval "$PROBE_INTERVAL" \
        --arg skip "${skip:-}" --arg inflight "$PROBE_INFLIGHT" \
        --arg failed "${bad:-}" --arg reset "${reset:-}" --arg other "${fail:-}" --arg hostkey "${hk:-}" \
        --arg gap "${gap:-}" --arg gapn "${gapn:-}" --arg allow "${E2E_PROBE_ALLOW:-0}" \
        --arg wgap "${w_gap:-}" --arg wrel "${WINDOW_RELEASED:-}" --arg manual "${MANUAL_BYTES:-}" \
        --arg k_enter "${k_enter:-}" --arg k_release "${k_release:-}" --arg k_job "${k_job:-}" \
        --arg k_return "${k_return:-}" --arg k_total "${k_total:-}" \
        --arg shrink "${SHRINK_TO:-}" --arg shutdown_to "${SHUTDOWN_TO:-}" --arg session "${SHRINK_SESSION:-}" \
        --argjson downtime "$downtime" --argjson repeat "$repeat" --argjson restart "$restart" \
        --argjson checks "[$(IFS=,; echo "${rows[*]}")]" '
        def num: if . == "" then null else tonumber end;
        {verdict: $verdict, profile: $profile, description: $description,
         shrink_to: $shrink, at_shutdown_to: $shutdown_to, guest_cached: ($cached == "yes"),
         guest_build_phases: $phases, shrink_session: $session,
         seconds: {guest_build: ($build | num), boot: ($boot | num), plan: ($plan | num),
                   job_wall: ($job_wall | num), enter: ($enter | num), confirm_wait: ($confirm_wait | num),
                   release: ($release | num), job: ($job | num), return: ($ret | num),
                   lift_total: ($lift | num), at_shutdown_reboot: ($shutdown | num),
                   reboot_to_up: ($reboot | num), total: ($total | num)},
         kernel_log_seconds: {enter: ($k_enter | num), release: ($k_release | num), job: ($k_job | num),
                              return: ($k_return | num), lift_total: ($k_total | num)},
         tmpfs_used_bytes: ($tmpfs | num), manual_cp_ax_bytes: ($manual | num),
         ssh: {interval_seconds: ($interval | num), max_in_flight: ($inflight | num),
               ticks_skipped_in_flight: ($skip | num), attempts: ($probes | num), failed: ($failed | num),
               reset_or_refused: ($reset | num), other_failures: ($other | num), host_key_changed: ($hostkey | num),
               allowed_each: ($allow | num),
               longest_gap_seconds: ($gap | num), longest_gap_failed_attempts: ($gapn | num),
               released_window_seconds: ($wrel | num), released_window_longest_gap_seconds: ($wgap | num)},
         downtime: $downtime, repeat: $repeat, plain_restart: $restart,
         checks: $checks}' >"$json"
    {
        echo "# rootlift e2e, profile $PROFILE: $verdict"
        echo
        echo "$P_DESCRIPTION. \`rootlift shrink ${SHRINK_TO:-?} --live --yes\` over SSH."
        echo
        echo "| what | seconds |"
        echo "| --- | --- |"
        echo "| guest build${GUEST_CACHED:+ (cached: $GUEST_CACHED)} | ${GUEST_BUILD_SECONDS:-} ($(_build_phases)) |"
        echo "| boot (qemu start to the init ready, SSH working) | ${BOOT_SECONDS:-} |"
        echo "| \`rootlift plan\` | ${PLAN_SECONDS:-} |"
        echo "| shrink command to job.done (wall) | ${JOB_SECONDS:-} |"
        echo "| journal: enter (enter.begin to enter.done) | ${enter:-} |"
        echo "| journal: waiting for confirm | ${confirm_wait:-} |"
        echo "| journal: release | ${release:-} |"
        echo "| journal: job (job.begin to return.begin) | ${job:-} |"
        echo "| journal: return | ${ret:-} |"
        echo "| journal: enter.begin to job.done | ${lift:-} |"
        echo "| kernel log: enter / release / job / return / enter.begin to job.done | ${k_enter:-?} / ${k_release:-?} / ${k_job:-?} / ${k_return:-?} / ${k_total:-?} |"
        echo "| \`systemctl reboot\` to the guest's reboot(2), with the --at-shutdown shrink to ${SHUTDOWN_TO:-?} | ${SHUTDOWN_SECONDS:-} |"
        echo "| \`systemctl reboot\` to the init ready again (reboot to reboot) | ${REBOOT_SECONDS:-} |"
        echo "| whole run | $total |"
        echo
        echo "tmpfs used: ${tmpfs:-?} bytes (the manual procedure's cp -ax set on this guest: ${MANUAL_BYTES:-?} bytes)."
        echo
        echo "SSH logins started every ${PROBE_INTERVAL} s during the ${REPORT_LIFT:-shrink} (a tick skipped while" \
            "$PROBE_INFLIGHT were under way: ${skip:-?} skipped): ${attempts:-?};" \
            "${reset:-?} reset or refused, ${fail:-?} failed otherwise, ${hk:-?} with another host key" \
            "(allowed: ${E2E_PROBE_ALLOW:-0} of each, E2E_PROBE_ALLOW); longest stretch without a working login:" \
            "${gap:-?} s (${gapn:-?} attempts in a row)."
        [[ -s $RUN_DIR/${REPORT_LIFT:-shrink}.probe.log ]] && probe_messages "${REPORT_LIFT:-shrink}" | awk 'NR <= 5 { print "- " $0 }'
        echo
        echo "The SSH session that ran the shrink: ${SHRINK_SESSION:-?}"
        echo
        if [[ $P_WINDOW == yes ]]; then
            echo "A \`rootlift run --live -- sleep 20\` kept the root released ${WINDOW_RELEASED:-?} s;" \
                "the longest stretch without a working login around it: ${w_gap:-?} s."
            echo
        fi
        _downtime_md "$dt"
        _restart_md "$RUN_DIR/restart.json"
        [[ -s $RUN_DIR/repeat.md ]] && cat "$RUN_DIR/repeat.md" && echo
        echo "| check | result | detail |"
        echo "| --- | --- | --- |"
        for c in "${CHECKS[@]}"; do
            IFS=$'\t' read -r n r d <<<"$c"
            echo "| $n | $r | ${d//|/\\|} |"
        done
    } >"$md"
}

# The downtime table and the return's breakdown, as markdown.
_downtime_md() {
    local dt=$1
    echo "## Downtime of each stopped service (seconds after enter.begin)"
    echo
    if [[ ! -s $dt ]]; then
        echo "Not computed (no login after the job, or the guest could not be asked)."
        echo
        return 0
    fi
    echo "| unit or program | stopped by | down at | up at | seconds down |"
    echo "| --- | --- | --- | --- | --- |"
    jq -r '.rows[] | "| \(.unit) | \(.how) | \(.down_at) | \(.up_at // "never") | \(.seconds_down // "still down")\(if (.note // "") != "" then " (" + .note + ")" else "" end) |"' "$dt"
    echo
    echo "Return (kernel-log times): $(jq -r '.return | "mount + pivot \(.mount_and_pivot // "?") s, PID 1 resume (submounts, stub to the real init) \(.pid1_resume // "?") s, unit restarts \(.unit_restarts // "?") s, return.begin to return.done \(.total // "?") s; the last stopped unit was up \(.last_unit_up_after_return_begin // "?") s after return.begin"' "$dt")."
    echo "Journal lines not in the kernel log (times from the journal's seconds instead): $(jq -r .missing_from_kernel_log "$dt") of $(jq -r .journal_lines "$dt")."
    echo
}

# The return's unit restarts beside a plain restart (lib/restart.sh).
_restart_md() {
    [[ -s $1 ]] || return 0
    echo "## The return's unit restarts beside \`systemctl restart\`"
    echo
    jq -r 'if .why then "Not measured: \(.why)." else
        "The return started \(.units | split(" ") | length) units in \(.return_ms) ms (its `systemctl start` of them, once systemd answered, to the last `return.up`); `systemctl restart` of the same units on the running system took \(.plain_ms) ms (exit \(.plain_exit)): ratio \(.ratio).\n\nUnits: \(.units)." end' "$1"
    echo
}
