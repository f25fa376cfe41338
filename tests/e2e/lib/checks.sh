# shellcheck shell=bash
# The verdict: every check is recorded (none stops the others), printed as
# it happens, and listed in the report. The run passes only when all did.

CHECKS=()   # "NAME<TAB>pass|fail<TAB>DETAIL"

check_pass() {
    CHECKS+=("$1"$'\t'pass$'\t'"$2")
    say "check $1: ok${2:+ ($2)}"
}

check_fail() {
    CHECKS+=("$1"$'\t'fail$'\t'"$2")
    say "check $1: FAIL $2"
}

# check_eq NAME WANT GOT [WHAT]
check_eq() {
    if [[ $2 == "$3" ]]; then
        check_pass "$1" "${4:+$4 }$3"
    else
        check_fail "$1" "${4:+$4 }expected '$2', got '$3'"
    fi
}

# check_same NAME BEFORE AFTER: the two files are equal; else the diff is
# kept in RUN_DIR/NAME.diff and its first lines are the detail.
check_same() {
    local diff=$RUN_DIR/$1.diff
    if diff -u "$2" "$3" >"$diff"; then
        rm -f "$diff"
        check_pass "$1" "$(wc -l <"$2") lines equal"
    else
        check_fail "$1" "$(grep '^[-+][^-+]' "$diff" | head -n 6 | paste -sd'|' -) (${diff#"$REPO_ROOT"/})"
    fi
}

# The failed checks' names, space-separated ("" when all passed).
failed_checks() {
    local c
    for c in "${CHECKS[@]}"; do
        [[ $c == *$'\t'fail$'\t'* ]] && printf '%s ' "${c%%$'\t'*}"
    done
    return 0
}
