# shellcheck shell=bash source-path=SCRIPTDIR disable=SC2034  # sets paths for the other files
# Paths and messages of the e2e harness. The VM tier's common.sh gives
# console_text, now and elapsed; say and die are redefined with our prefix.

E2E_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)   # tests/e2e
# shellcheck source=../../vm/lib/common.sh
source "$E2E_SRC/../vm/lib/common.sh"
# shellcheck source=../../vm/lib/packages.sh
source "$E2E_SRC/../vm/lib/packages.sh"

E2E_OUT=$REPO_ROOT/target/e2e          # every cache, log and report
GUEST_DIR=$E2E_OUT/guest               # the cached guest: disk, kernel, initrd
KEY=$E2E_OUT/key                       # the test's SSH key (ed25519, no passphrase)
KNOWN_HOSTS=$E2E_OUT/known_hosts       # the guest's host key, pinned per run
SERIAL_LOG=$E2E_OUT/serial.log         # the guest console of the last boot
RUN_DIR=$E2E_OUT/run                   # this run: disk copy, snapshots, outputs

E2E_PACKAGES=(qemu-system-x86 debootstrap lvm2 e2fsprogs openssh-client util-linux jq)

say() { printf 'e2e: %s\n' "$*" >&2; }
die() { printf 'e2e: FAIL %s\n' "$*" >&2; exit 1; }

# Unix time with centiseconds (for the report's durations).
stamp() { date +%s.%N | cut -c1-13; }
# seconds between two stamps, one decimal.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
