# Helpers for scenarios (busybox sh), installed in the guest as
# /usr/lib/vm/lib.sh; a scenario starts with `. /usr/lib/vm/lib.sh`.
#
# The verdict: call `pass` at the very end, or `fail WHY` anywhere. /init
# turns it into the one `RESULT:` line the host reads; a scenario that exits
# otherwise (e.g. through `set -e`) fails with its exit status. A scenario
# that is PID 1 (vm-pid1: yes) has no /init after it: there pass and fail
# print the line and power off themselves.
#
# Busybox sh runs its own applets before PATH, so the real tools are called by
# absolute path: they all live in /usr/sbin (see tests/vm/guest/contents).

pass() {
    _as_pid1 PASS
    : >/run/vm/passed
    exit 0
}

fail() {
    echo "vm: FAIL $*" >&2      # stdout may be a $(...) capture
    _as_pid1 "FAIL $*"
    echo "$*" >/run/vm/why
    exit 1
}

_as_pid1() {
    [ "$$" = 1 ] || return 0
    printf '\nRESULT: %s\n' "$1" >/dev/console
    sync
    poweroff -f
}

# Progress lines, so the serial log shows how far a scenario got.
step() {
    echo "vm: -- $*"
}

# must WHAT CMD [ARG...]: run CMD (its output goes to the log); if it fails,
# the scenario fails with WHAT and the exit status.
must() {
    _what=$1
    shift
    "$@" || fail "$_what: exit $? from $*"
}

# wait_for_dev PATH [SECONDS]: block devices appear asynchronously.
wait_for_dev() {
    _i=0
    while [ ! -b "$1" ]; do
        [ "$_i" -ge "$((${2:-10} * 10))" ] && fail "no block device $1 after ${2:-10} s"
        sleep 0.1
        _i=$((_i + 1))
    done
}
