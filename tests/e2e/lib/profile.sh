# shellcheck shell=bash disable=SC2034  # sets P_* and the paths for the other files
# Guest profiles (tests/e2e/profiles/NAME.sh): what a guest is made of and
# which parts of the scenario it runs. A profile sets
#   P_DESCRIPTION  one line for the report
#   P_SUITE        the Debian suite (bookworm, trixie)
#   P_INIT         systemd or sysvinit
#   P_DISK         lvm (vg0, one LV per volume) or gpt (one partition each)
#   P_VOLUMES      name:size:fstype:mount point, the root first
#   P_FEATURES     guest/FEATURE/ and configure_FEATURE (lib/features.sh)
#   P_DHCP         networkd or dhclient: the DHCP client that must survive
#   P_AT_SHUTDOWN  2: --at-shutdown shrink and fsck; 1: the shrink; 0: none
#   P_WINDOW       yes: the `run -- sleep 20` released window
# Everything of a profile lives in target/e2e/NAME/.

# The profiles, in the order `make test-all` runs them.
all_profiles() {
    local f
    for f in "$E2E_SRC"/profiles/*.sh; do
        basename "$f" .sh
    done
}

# use_profile NAME: loads the profile and sets its paths.
use_profile() {
    local name=$1
    [[ $name =~ ^[a-z0-9-]+$ && -f $E2E_SRC/profiles/$name.sh ]] \
        || die "no guest profile '$name' (tests/e2e/profiles/: $(all_profiles | paste -sd' ' -))"
    PROFILE=$name
    P_DESCRIPTION="" P_SUITE="" P_INIT="" P_DISK="" P_DHCP="" P_AT_SHUTDOWN=0 P_WINDOW=no
    P_VOLUMES=() P_FEATURES=()
    # shellcheck source=/dev/null
    source "$E2E_SRC/profiles/$name.sh"
    [[ -n $P_SUITE && $P_INIT =~ ^(systemd|sysvinit)$ && $P_DISK =~ ^(lvm|gpt)$ \
        && ${#P_VOLUMES[@]} -gt 0 && ${P_VOLUMES[0]} == *:/ ]] \
        || die "profile $name: P_SUITE, P_INIT (systemd|sysvinit), P_DISK (lvm|gpt) and P_VOLUMES (root first) must be set"
    # The disk layout is a feature too: its packages and configuration.
    [[ $P_DISK == lvm ]] && P_FEATURES=(lvm "${P_FEATURES[@]}")
    PROFILE_OUT=$E2E_OUT/$name             # this profile's cache, logs and report
    GUEST_DIR=$PROFILE_OUT/guest           # the cached guest: disk, kernel, initrd
    KNOWN_HOSTS=$PROFILE_OUT/known_hosts   # the guest's host key, pinned per run
    SERIAL_LOG=$PROFILE_OUT/serial.log     # the guest console of the last run
    RUN_DIR=$PROFILE_OUT/run               # this run: disk copy, snapshots, outputs
    return 0
}

has_feature() {
    local f
    for f in "${P_FEATURES[@]}"; do
        [[ $f == "$1" ]] && return 0
    done
    return 1
}

# The root volume's size in MiB, and each volume's fields.
volume_field() { cut -d: -f"$2" <<<"$1"; }
root_mib() { local s; s=$(volume_field "${P_VOLUMES[0]}" 2); echo "${s%M}"; }

# The kernel command line of the guest.
kernel_cmdline() {
    local root
    case $P_DISK in
        lvm) root=/dev/mapper/vg0-root ;;
        gpt) root=/dev/vda1 ;;
    esac
    # no_timer_check: under emulation on a busy host the IO-APIC timer
    # check can panic the boot; it proves nothing about rootlift.
    printf 'root=%s ro console=ttyS0 quiet loglevel=5 no_timer_check' "$root"
    has_feature ifupdown && printf ' net.ifnames=0'
    echo
}
