# shellcheck shell=bash
# Item 5b: the Debian guest of the acceptance test (tests/e2e): systemd,
# sshd, dbus/logind, an LVM root, driven over SSH. Its report
# (target/e2e/networkd/report.json, the default profile) holds the lift's phases from the guest's kernel
# log, the tmpfs it used, the manual procedure's cp -ax set measured on the
# same guest (du), the SSH gaps, and the --at-shutdown reboot. The acceptance
# run's report is reused: BENCH_E2E=reuse (default)
# reads it when it exists and runs tests/e2e/run when it does not;
# BENCH_E2E=run always runs it (about 6 minutes); skip leaves it out.

e2e_section() {
    local mode=${BENCH_E2E:-reuse} report=$REPO_ROOT/target/e2e/networkd/report.json rc=0
    case $mode in
        skip)
            rec e2e - report mode skip
            return 0
            ;;
        reuse | run) ;;
        *) die "BENCH_E2E must be reuse, run or skip (not '$mode')" ;;
    esac
    if [[ $mode == run || ! -s $report ]]; then
        say "5b/6 Debian guest: tests/e2e/run (qemu TCG, about 6 minutes)"
        ROOTLIFT_BIN=$ROOTLIFT_BIN PROFILE=networkd "$REPO_ROOT/tests/e2e/run" >"$BENCH_WORK/e2e.out" 2>&1 || rc=$?
        ((rc == 0)) || say "tests/e2e/run failed (exit $rc): see target/e2e/networkd/report.md"
        mode=run
    else
        say "5b/6 Debian guest: reusing target/e2e/networkd/report.json"
    fi
    rec e2e - report mode "$mode"
    if [[ -s $report ]]; then
        rec e2e - report path "$report"
        rec e2e - report written "$(date -u -r "$report" '+%Y-%m-%d %H:%M:%S UTC')"
    fi
}
