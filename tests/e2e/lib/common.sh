# shellcheck shell=bash source-path=SCRIPTDIR disable=SC2034  # sets paths for the other files
# Paths and messages of the e2e harness. The VM tier's common.sh gives
# console_text, now and elapsed; say and die are redefined with our prefix.
# The guest profile (PROFILE, default networkd: tests/e2e/profiles/) is
# loaded here, so every path below is the profile's.

E2E_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)   # tests/e2e
# shellcheck source=../../vm/lib/common.sh
source "$E2E_SRC/../vm/lib/common.sh"
# shellcheck source=../../vm/lib/packages.sh
source "$E2E_SRC/../vm/lib/packages.sh"

E2E_OUT=$REPO_ROOT/target/e2e          # every cache, log and report
KEY=$E2E_OUT/key                       # the test's SSH key (ed25519, no passphrase), all profiles
DEB_CACHE=$E2E_OUT/debs                # debootstrap's .deb cache, all profiles and suites

E2E_PACKAGES=(qemu-system-x86 debootstrap lvm2 e2fsprogs openssh-client util-linux jq gdisk fdisk)

say() { printf 'e2e%s: %s\n' "${PROFILE:+ $PROFILE}" "$*" >&2; }
die() { printf 'e2e%s: FAIL %s\n' "${PROFILE:+ $PROFILE}" "$*" >&2; exit 1; }

# Unix time with centiseconds (for the report's durations).
stamp() { date +%s.%N | cut -c1-13; }
# seconds between two stamps, one decimal.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# shellcheck source=profile.sh
source "$E2E_SRC/lib/profile.sh"
use_profile "${PROFILE:-networkd}"
