# shellcheck shell=bash
# The guest's state as an administrator would record it before and after a
# job, one file per aspect in RUN_DIR: NAME.md5 (every regular file of the
# root but those of tests/e2e/volatile-files), NAME.lvs, NAME.findmnt
# (sorted by mount point: a remount changes the order of mountinfo, not what
# is mounted where), NAME.devnodes (the LVM device nodes and links),
# NAME.units (active units but those of tests/e2e/volatile-units),
# NAME.state (is-system-running), NAME.failed (failed units).

# The remote find(1) expression that prunes the paths of tests/e2e/volatile-files.
_prune_expr() {
    local path expr=""
    while read -r path _; do
        expr+="${expr:+ -o }-path '$path'"
    done < <(grep -v '^[[:space:]]*\(#\|$\)' "$E2E_SRC/volatile-files")
    echo "\\( $expr \\) -prune -o"
}

_volatile_units() {
    grep -v '^[[:space:]]*\(#\|$\)' "$E2E_SRC/volatile-units" | awk '{ print $1 }'
}

# snapshot NAME
snapshot() {
    local n=$1
    gsave "$n.md5" "find / -xdev $(_prune_expr) -type f -print0 | xargs -0 md5sum | LC_ALL=C sort -k 2"
    gsave "$n.lvs" "lvs --units b --nosuffix -o vg_name,lv_name,lv_size,seg_pe_ranges"
    # A stable sort: mounts stacked on one mount point keep their order.
    gsave "$n.findmnt" "findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS,PROPAGATION | LC_ALL=C sort -s -k 1,1"
    gsave "$n.devnodes" "find /dev/mapper /dev/vg0 -printf '%p %y %l\\n' | LC_ALL=C sort"
    gsave "$n.units" "systemctl list-units --state=active --no-legend --plain | awk '{ print \$1 }' | LC_ALL=C sort"
    grep -vxE -f <(_volatile_units) "$RUN_DIR/$n.units" >"$RUN_DIR/$n.units.tmp" || true
    mv "$RUN_DIR/$n.units.tmp" "$RUN_DIR/$n.units"
    gsave "$n.state" "systemctl is-system-running"
    gsave "$n.failed" "systemctl --failed --no-legend --plain | awk '{ print \$1 }' | LC_ALL=C sort"
}
