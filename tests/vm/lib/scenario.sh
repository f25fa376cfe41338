# shellcheck shell=bash
# One scenario from its script to its verdict.

# run_scenario NAME: prints "vm: NAME: PASS|FAIL ... (wall time)"; returns 0
# on PASS. Everything it makes is in target/vm/run/NAME/, fresh each run.
# Meant to run in its own subshell (it sets an EXIT trap).
run_scenario() {
    local name=$1 scenario=$SCENARIO_DIR/$1.sh run=$VM_OUT/run/$1 t0
    VM_SCENARIO=$name VERDICT=
    # A setup step that fails before the boot still gets a verdict line.
    trap '[[ -n $VERDICT ]] || echo "vm: $VM_SCENARIO: FAIL could not set up the VM (exit $?)"' EXIT
    t0=$(now)
    rm -rf "$run" && mkdir -p "$run"
    read_headers "$scenario"
    make_disks "$run" "$scenario"
    make_initrd "$run" "$scenario"
    boot_guest "$run"
    if [[ $VERDICT == PASS ]]; then
        echo "vm: $name: PASS ($(elapsed "$t0"))"
        return 0
    fi
    echo "vm: $name: $VERDICT ($(elapsed "$t0"))"
    echo "vm: last 40 lines of ${run#"$REPO_ROOT"/}/serial.log:"
    console_text "$run/serial.log" | tail -n 40 | sed 's/^/    /'
    echo "vm: (VM_TRACE=1 traces the scenario, VM_DEBUG=1 shows kernel messages)"
    return 1
}
