# shellcheck shell=bash
# Item 5: lift latency in the busybox guest of the VM tier. Runs
# `tests/vm/run demo lift` and the benchmark's own scenario
# bench/vm/bench_lift.sh (through the rig's VM_SCENARIO_DIR), keeps the wall
# time the rig prints per scenario, and hands the serial logs to report.py,
# which reads the journal events (demo, lift: whole seconds) and the
# BENCH lines (bench_lift: 10 ms, rootlift vs the manual procedure) out of
# them. BENCH_VM=reuse only reads the logs a previous rig run left (no wall
# time then); BENCH_VM=skip leaves the item out.

vm_section() {
    local mode=${BENCH_VM:-run} name line
    case $mode in
        skip)
            rec vm - rig skipped "BENCH_VM=skip"
            return 0
            ;;
        run)
            say "5/6 lift latency: tests/vm/run demo lift, and bench/vm/bench_lift (qemu TCG, 1-2 minutes)"
            local out=$BENCH_WORK/vm.out rc=0
            ROOTLIFT_BIN=$ROOTLIFT_BIN "$REPO_ROOT/tests/vm/run" demo lift >"$out" 2>&1 || rc=$?
            ROOTLIFT_BIN=$ROOTLIFT_BIN VM_SCENARIO_DIR=$BENCH_SRC/vm "$REPO_ROOT/tests/vm/run" bench_lift \
                >>"$out" 2>&1 || rc=$?
            while read -r line; do
                # vm: demo: PASS (33.0 s)
                if [[ $line =~ ^vm:\ ([a-z_]+):\ (PASS|FAIL).*\(([0-9.]+)\ s\)$ ]]; then
                    rec vm "${BASH_REMATCH[1]}" rig verdict "${BASH_REMATCH[2]}"
                    rec vm "${BASH_REMATCH[1]}" rig wall_s "${BASH_REMATCH[3]}"
                fi
            done <"$out"
            ((rc == 0)) || say "tests/vm/run failed (exit $rc): the report says which scenario"
            ;;
        reuse) say "5/6 lift latency: reusing the serial logs in target/vm/run (not run now)" ;;
        *) die "BENCH_VM must be run, reuse or skip (not '$mode')" ;;
    esac
    rec vm - rig mode "$mode"
    rec vm - rig cmd "tests/vm/run demo lift; VM_SCENARIO_DIR=bench/vm tests/vm/run bench_lift"
    for name in demo lift bench_lift; do
        local log=$REPO_ROOT/target/vm/run/$name/serial.log
        if [[ -f $log ]]; then
            # The console without \r and escapes; report.py parses it.
            sed 's/\r//g; s/\x1bc/\n/g; s/\x1b\[[0-9;?]*[A-Za-z]//g' "$log" >"$BENCH_WORK/serial-$name.log"
            rec vm "$name" rig serial_log "$BENCH_WORK/serial-$name.log"
            rec vm "$name" rig serial_log_mtime "$(date -u -r "$log" '+%Y-%m-%d %H:%M:%S UTC')"
        else
            rec vm "$name" rig serial_log missing
        fi
    done
}
