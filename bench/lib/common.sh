# shellcheck shell=bash disable=SC2034  # sets paths for the other files
# Shared paths, messages, the record writer and the namespace guard of the
# benchmark. Sourced by bench/run and by the scripts it runs in namespaces.

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)   # bench/
REPO_ROOT=$(cd "$BENCH_SRC/.." && pwd)

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: FAIL %s\n' "$*" >&2; exit 1; }

# One measurement or fact a line in $BENCH_RECORDS, tab-separated:
#   SECTION CASE TOOL KIND VALUE
# KIND "run" values are timeit's `wall_ns maxrss_kib status user_us sys_us`;
# report.py turns the file into results.json and results.md.
rec() {
    local section=$1 case=$2 tool=$3 kind=$4
    shift 4
    printf '%s\t%s\t%s\t%s\t%s\n' "$section" "$case" "$tool" "$kind" "$*" >>"$BENCH_RECORDS"
}

# timed SECTION CASE RUNS WARMUP TOOL... -- CMD... [::: CMD...]...: RUNS
# timed runs (after WARMUP untimed ones) of each command, round-robin (see
# timeit.c), each a "run" record of its TOOL, and each command line as "cmd".
timed() {
    local section=$1 case=$2 runs=$3 warmup=$4 tools=() cmd=() i=0 idx line
    shift 4
    while (($# > 0)) && [[ $1 != -- ]]; do tools+=("$1"); shift; done
    (($# > 0)) || die "timed: no -- before the commands"
    shift
    local all=("$@")
    for arg in "${all[@]}" :::; do
        if [[ $arg == ::: ]]; then
            rec "$section" "$case" "${tools[$i]:?timed: fewer tools than commands}" cmd "${cmd[*]}"
            cmd=()
            i=$((i + 1))
        else
            cmd+=("$arg")
        fi
    done
    ((i == ${#tools[@]})) || die "timed: ${#tools[@]} tools for $i commands"
    "$BENCH_BIN/timeit" -n "$runs" -w "$warmup" -- "${all[@]}" >"$BENCH_WORK/timeit.out" \
        || die "timeit failed on: ${all[*]}"
    while read -r idx line; do
        rec "$section" "$case" "${tools[$idx]}" run "$line"
    done <"$BENCH_WORK/timeit.out"
}

# A body that mounts must never run in the host's mount namespace: bench/run
# exports its own namespace as BENCH_HOST_MNTNS, and every script started
# under unshare calls this first.
refuse_host_namespace() {
    [[ -n ${BENCH_HOST_MNTNS:-} ]] || die "BENCH_HOST_MNTNS is not set (run bench/run)"
    if [[ $(readlink /proc/self/ns/mnt) == "$BENCH_HOST_MNTNS" ]]; then
        die "refusing to mount in the host's mount namespace"
    fi
}

# apt may already be busy on this machine: wait for its lock.
apt_get() {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}

# Installs the Debian packages the benchmark compares with or needs, once.
ensure_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    say "installing ${missing[*]}"
    apt_get update -qq || die "apt-get update failed"
    apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "could not install ${missing[*]}"
}
