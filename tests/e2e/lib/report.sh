# shellcheck shell=bash
# target/e2e/report.md and report.json: the timings of the run and every
# check. The job's own phases come from the journal (whole seconds).

# _phase FROM TO: seconds between two journal events ("" if one is missing).
_phase() {
    local a b
    a=$(ev_time "$1") b=$(ev_time "$2")
    [[ -n $a && -n $b ]] && echo $((b - a))
    return 0
}

# _kphase FROM TO: seconds (3 decimals) between the first FROM and the
# first TO after it in the kernel log of the shrink (RUN_DIR/dmesg), whose
# timestamps are finer than the journal's whole seconds.
_kphase() {
    [[ -s $RUN_DIR/dmesg ]] || return 0
    awk -v a="$1" -v b="$2" '
        /rootlift: / {
            t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t)
            n = split($0, w, " "); ev = ""
            for (i = 1; i < n; i++) if (w[i] == "rootlift:") { ev = w[i + 2]; break }
            if (ev == a && ta == "") ta = t
            if (ev == b && ta != "" && tb == "") tb = t
        }
        END { if (ta != "" && tb != "") printf "%.3f\n", tb - ta }' "$RUN_DIR/dmesg"
}

write_report() {
    local verdict=$1 total=$2 md=$E2E_OUT/report.md json=$E2E_OUT/report.json c
    local enter release job ret confirm_wait lift tmpfs n r d
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
    local -a rows=()
    for c in "${CHECKS[@]}"; do
        rows+=("$(jq -cn --arg n "${c%%$'\t'*}" --arg r "$(cut -f2 <<<"$c")" --arg d "$(cut -f3- <<<"$c")" \
            '{name: $n, result: $r, detail: $d}')")
    done
    jq -n --arg verdict "$verdict" --arg build "${GUEST_BUILD_SECONDS:-}" --arg cached "${GUEST_CACHED:-}" \
        --arg boot "${BOOT_SECONDS:-}" --arg plan "${PLAN_SECONDS:-}" --arg job_wall "${JOB_SECONDS:-}" \
        --arg enter "${enter:-}" --arg confirm_wait "${confirm_wait:-}" --arg release "${release:-}" \
        --arg job "${job:-}" --arg ret "${ret:-}" --arg lift "${lift:-}" --arg reboot "${REBOOT_SECONDS:-}" --arg shutdown "${SHUTDOWN_SECONDS:-}" \
        --arg total "$total" --arg tmpfs "${tmpfs:-}" --arg probes "${PROBES:-}" \
        --arg failed "${PROBES_FAILED:-}" --arg gap "${SSH_GAP:-}" --arg gapn "${SSH_GAP_FAILS:-}" \
        --arg wgap "${WINDOW_GAP:-}" --arg wrel "${WINDOW_RELEASED:-}" --arg manual "${MANUAL_BYTES:-}" \
        --arg k_enter "${k_enter:-}" --arg k_release "${k_release:-}" --arg k_job "${k_job:-}" \
        --arg k_return "${k_return:-}" --arg k_total "${k_total:-}" \
        --arg shrink "$SHRINK_TO" --arg shutdown_to "$SHUTDOWN_TO" --arg session "${SHRINK_SESSION:-}" --argjson checks "[$(IFS=,; echo "${rows[*]}")]" '
        def num: if . == "" then null else tonumber end;
        {verdict: $verdict, shrink_to: $shrink, at_shutdown_to: $shutdown_to, guest_cached: ($cached == "yes"),
         shrink_session: $session,
         seconds: {guest_build: ($build | num), boot: ($boot | num), plan: ($plan | num),
                   job_wall: ($job_wall | num), enter: ($enter | num), confirm_wait: ($confirm_wait | num),
                   release: ($release | num), job: ($job | num), return: ($ret | num),
                   lift_total: ($lift | num), at_shutdown_reboot: ($shutdown | num),
                   reboot_to_up: ($reboot | num), total: ($total | num)},
         kernel_log_seconds: {enter: ($k_enter | num), release: ($k_release | num), job: ($k_job | num),
                              return: ($k_return | num), lift_total: ($k_total | num)},
         tmpfs_used_bytes: ($tmpfs | num), manual_cp_ax_bytes: ($manual | num),
         ssh: {attempts: ($probes | num), failed: ($failed | num),
               longest_gap_seconds: ($gap | num), longest_gap_failed_attempts: ($gapn | num),
               released_window_seconds: ($wrel | num), released_window_longest_gap_seconds: ($wgap | num)},
         checks: $checks}' >"$json"
    {
        echo "# rootlift e2e: $verdict"
        echo
        echo "Debian 12 guest (systemd, sshd, LVM root), \`rootlift shrink $SHRINK_TO --live --yes\` over SSH."
        echo
        echo "| what | seconds |"
        echo "| --- | --- |"
        echo "| guest build${GUEST_CACHED:+ (cached: $GUEST_CACHED)} | ${GUEST_BUILD_SECONDS:-} |"
        echo "| boot (qemu start to systemd up, SSH working) | ${BOOT_SECONDS:-} |"
        echo "| \`rootlift plan\` | ${PLAN_SECONDS:-} |"
        echo "| shrink command to job.done (wall) | ${JOB_SECONDS:-} |"
        echo "| journal: enter (enter.begin to enter.done) | ${enter:-} |"
        echo "| journal: waiting for confirm | ${confirm_wait:-} |"
        echo "| journal: release | ${release:-} |"
        echo "| journal: job (job.begin to return.begin) | ${job:-} |"
        echo "| journal: return | ${ret:-} |"
        echo "| journal: enter.begin to job.done | ${lift:-} |"
        echo "| kernel log: enter / release / job / return / enter.begin to job.done | ${k_enter:-?} / ${k_release:-?} / ${k_job:-?} / ${k_return:-?} / ${k_total:-?} |"
        echo "| \`systemctl reboot\` to the guest's reboot(2), with the --at-shutdown shrink to $SHUTDOWN_TO | ${SHUTDOWN_SECONDS:-} |"
        echo "| \`systemctl reboot\` to systemd up again (reboot to reboot) | ${REBOOT_SECONDS:-} |"
        echo "| whole run | $total |"
        echo
        echo "tmpfs used: ${tmpfs:-?} bytes (the manual procedure's cp -ax set on this guest: ${MANUAL_BYTES:-?} bytes)."
        echo
        echo "SSH logins tried every second during the job: ${PROBES:-?}," \
            "${PROBES_FAILED:-?} failed; longest stretch without a working login: ${SSH_GAP:-?} s" \
            "(${SSH_GAP_FAILS:-?} failed attempts in a row)."
        echo
        echo "The SSH session that ran the shrink: ${SHRINK_SESSION:-?}"
        echo
        echo "A \`rootlift run --live -- sleep 20\` kept the root released ${WINDOW_RELEASED:-?} s;" \
            "the longest stretch without a working login around it: ${WINDOW_GAP:-?} s."
        echo
        echo "| check | result | detail |"
        echo "| --- | --- | --- |"
        for c in "${CHECKS[@]}"; do
            IFS=$'\t' read -r n r d <<<"$c"
            echo "| $n | $r | ${d//|/\\|} |"
        done
    } >"$md"
}
