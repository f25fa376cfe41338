#!/usr/bin/env bash
# Runs every cargo-fuzz target for FUZZ_SECONDS (default 60) under nice,
# after seeding (seed.sh), and writes target/fuzz/summary.md: executions,
# exec/s, coverage and crashes per target. Exit 1 when any target crashed
# (its reproducer is left in fuzz/artifacts/TARGET/).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$here/..
seconds=${FUZZ_SECONDS:-60}   # per target; FUZZ_SECONDS_<TARGET> overrides it
targets=${FUZZ_TARGETS:-ext4 ext4_image probe mountinfo elf dm_reply dm_input journal journal_records holders cli parts}
out=$repo/target/fuzz
mkdir -p "$out"
cd "$repo"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
"$here/seed.sh"
# Not -O: cargo-fuzz keeps debug assertions and overflow checks only
# without it, and an arithmetic overflow is a bug we want as a crash.
# No sanitizer: the parsers are safe Rust; it would only slow them down.
cargo +nightly fuzz build --target x86_64-unknown-linux-gnu --sanitizer none
summary=${FUZZ_SUMMARY:-$out/summary.md}
{
    echo "# rootlift fuzzing, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "| target | seconds | executions | exec/s | coverage (cov) | features (ft) | corpus | crashes |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} >"$summary"
crashed=0
for t in $targets; do
    log=$out/$t.log rc=0
    var=FUZZ_SECONDS_${t^^}
    secs=${!var:-$seconds}
    # Images need their first 128 KiB (btrfs's superblock is at 64 KiB);
    # text and argv inputs stay short, so each run is cheap.
    case $t in
        ext4 | probe) max_len=131072 ;;
        elf | ext4_image | parts) max_len=65536 ;;
        *) max_len=4096 ;;
    esac
    nice -n 19 cargo +nightly fuzz run --target x86_64-unknown-linux-gnu --sanitizer none "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -print_final_stats=1 -max_len=$max_len -timeout=10 -rss_limit_mb=2048 \
        >"$log" 2>&1 || rc=$?
    execs=$(awk '/stat::number_of_executed_units:/ { print $2 }' "$log" | tail -n 1)
    line=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 || true)
    cov=$(grep -o 'cov: [0-9]*' <<<"$line" | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' <<<"$line" | cut -d' ' -f2)
    corp=$(grep -o 'corp: [0-9]*' <<<"$line" | cut -d' ' -f2)
    crashes=0
    if ((rc != 0)); then
        crashes=1 crashed=1
        echo "fuzz: $t: CRASH (exit $rc), see $log and fuzz/artifacts/$t/" >&2
    fi
    rate=$(awk -v e="${execs:-0}" -v s="$secs" 'BEGIN { printf "%.0f", e / s }')
    echo "| $t | $secs | ${execs:-?} | $rate | ${cov:-?} | ${ft:-?} | ${corp:-?} | $crashes |" >>"$summary"
    echo "fuzz: $t: ${execs:-?} executions in $secs s, cov ${cov:-?}, crashes $crashes"
done
echo "fuzz: summary in ${summary#"$repo"/}"
exit "$crashed"
