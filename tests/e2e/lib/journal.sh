# shellcheck shell=bash
# Reading the lift's journal as `rootlift status --json` prints it
# ({"stage", "lifted", "events": [{time, stage, event, detail}]}), saved in
# RUN_DIR/status.json. Details are `key=value` words, values %-escaped.

STATUS_JSON=${STATUS_JSON:-}   # set by the scenario

# ev_time EVENT: the unix time of the first EVENT ("" when absent).
ev_time() {
    jq -r --arg e "$1" '[.events[] | select(.event == $e)][0].time // empty' "$STATUS_JSON"
}

# ev_value EVENT KEY: KEY's value in the last EVENT's detail (still escaped).
ev_value() {
    jq -r --arg e "$1" --arg k "$2" '
        [.events[] | select(.event == $e)] | last | .detail // "" | split(" ")[]
        | select(startswith($k + "=")) | ltrimstr($k + "=")' "$STATUS_JSON"
}

# The exit code journaled for the job's `e2fsck -f -n` (the first job.exit
# after the job.exec whose argv has -f -n); "" when it never ran.
fsck_verify_code() {
    jq -r '
        .events as $e
        | [range(0; $e | length) | select($e[.].event == "job.exec" and ($e[.].detail | test("-f%20-n")))][0] as $i
        | if $i == null then empty else
            [$e[$i + 1:][] | select(.event == "job.exit")][0].detail // ""
            | split(" ")[] | select(startswith("code=")) | ltrimstr("code=") end' "$STATUS_JSON"
}

# The journal as lines `TIME STAGE EVENT DETAIL`.
journal_lines() {
    jq -r '.events[] | "\(.time) \(.stage) \(.event) \(.detail)"' "$STATUS_JSON"
}

# ev_index EVENT [DETAIL_REGEX]: the position of the first EVENT (whose
# detail matches) in the journal ("" when absent): the journal's order is
# exact where its whole-second times are not.
ev_index() {
    jq -r --arg e "$1" --arg d "${2:-}" '
        [.events | to_entries[] | select(.value.event == $e and (.value.detail | test($d)))][0].key // empty' \
        "$STATUS_JSON"
}
