# shellcheck shell=bash
# How long each stopped service was down during a live job, and what the
# return spent its time on (lib/downtime.py), from the journal, the kernel
# log and what systemd or /proc say after the job. Computed for the report,
# checked for nothing: the numbers are the result.

# The guest's facts after a job, one line each (see lib/downtime.py).
# shellcheck disable=SC2016  # expanded in the guest
_facts_script='
read -r up _ </proc/uptime; echo "clock $(date +%s.%N) $up"
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl list-units --all --type=service,socket --no-legend --plain | awk "{ print \$1 }" \
        | xargs systemctl show -p Id,ActiveState,InactiveEnterTimestampMonotonic,ActiveEnterTimestampMonotonic \
        | awk -F= "/^Id=/ { id = \$2 } /^ActiveState=/ { st = \$2 } /^InactiveEnter/ { ie = \$2 }
                   /^ActiveEnter/ { ae = \$2 } /^$/ { if (id != \"\") print \"unit\", id, st, ie + 0, ae + 0; id = \"\" }
                   END { if (id != \"\") print \"unit\", id, st, ie + 0, ae + 0 }"
fi
echo "hz $(getconf CLK_TCK)"
for d in /proc/[0-9]*; do
    read -r stat 2>/dev/null <"$d/stat" || continue
    read -r comm 2>/dev/null <"$d/comm" || continue
    set -- ${stat##*) }
    shift 19
    echo "proc ${d#/proc/} $comm $1"
done'

# downtime NAME: RUN_DIR/NAME.downtime.json from RUN_DIR/NAME.status.json
# and RUN_DIR/NAME.dmesg; "" when the guest cannot be asked.
downtime() {
    local name=$1 out=$RUN_DIR/$1.downtime.json
    rm -f "$out"
    gssh "$_facts_script" >"$RUN_DIR/$name.facts" 2>"$RUN_DIR/$name.facts.err" || return 0
    python3 "$E2E_SRC/lib/downtime.py" "$STATUS_JSON" "$RUN_DIR/$name.dmesg" "$RUN_DIR/$name.facts" \
        >"$out" 2>"$out.err" || rm -f "$out"
    return 0
}
