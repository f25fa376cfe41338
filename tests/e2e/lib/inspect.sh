# shellcheck shell=bash
# Reading a powered-off guest's disk from the host, beyond lib/image.sh's
# e2fsck (kept apart: lib/image.sh is part of the guests' recipe, and what
# only reads a disk must not rebuild them).

# image_states IMG: "NAME STATE" of every volume's superblock ("clean", or
# "clean with errors", "not clean"...): e2fsck -n cannot clear the errors
# flag, so a clean check alone does not prove the flag is off.
image_states() (
    local img=$1 loop="" fs="" name offset bytes
    trap '[[ -z $fs ]] || losetup -d "$fs"; [[ -z $loop ]] || losetup -d "$loop"' EXIT
    loop=$(losetup --find --show --read-only "$img")
    while read -r name offset bytes; do
        fs=$(losetup --find --show --read-only --offset "$offset" --sizelimit "$bytes" "$img")
        echo "$name $(dumpe2fs -h "$fs" 2>/dev/null | sed -n 's/^Filesystem state: *//p')"
        losetup -d "$fs"
        fs=""
    done < <(volume_ranges "$img" "$loop")
)

# check_image_states NAME IMG: every volume's superblock says "clean".
check_image_states() {
    local states
    states=$(image_states "$2" | paste -sd, -)
    check_eq "$1" "" "$(tr ',' '\n' <<<"$states" | grep -v ' clean$' | paste -sd, -)" \
        "superblock states ($states); not clean:"
}
