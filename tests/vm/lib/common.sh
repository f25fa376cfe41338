# shellcheck shell=bash disable=SC2034  # sets VM_OUT, SCENARIO_DIR for the other files
# Shared paths and messages for the VM harness. Sourced by tests/vm/run.

VM_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)   # tests/vm
REPO_ROOT=$(cd "$VM_SRC/../.." && pwd)
VM_OUT=$REPO_ROOT/target/vm                               # every cache and log
[[ ${VM_ARCH:-x86_64} == x86_64 ]] || VM_OUT+=-$VM_ARCH    # another CPU's: target/vm-aarch64
SCENARIO_DIR=${VM_SCENARIO_DIR:-$VM_SRC/scenarios}   # overridable to test the harness itself

say() { printf 'vm: %s\n' "$*" >&2; }
# Inside a scenario, VM_SCENARIO names it, so setup errors read like verdicts.
die() { printf 'vm: %sFAIL %s\n' "${VM_SCENARIO:+$VM_SCENARIO: }" "$*" >&2; exit 1; }

# The console as text: no \r, no terminal escapes (SeaBIOS and the kernel
# reset the terminal: ESC c becomes a line break), a newline at the end.
console_text() {
    sed 's/\r//g; s/\x1bc/\n/g; s/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[()][0-9A-B]//g' "$1" | awk 1
}

# Seconds since the epoch with tenths, for wall times.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
