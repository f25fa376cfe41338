# shellcheck shell=bash
# Item 4b: `rootlift parts --json` vs `sfdisk --json` on the same image
# files (no loop device: both read files): GPT tables made by sgdisk with
# 4 and 128 partitions and with a 1024-entry array, and an MBR with an
# extended partition and logicals made by sfdisk. Both read a few sectors,
# so process start-up is most of each call. Each pair must give the same
# document (jq -S -c of both).

parts_images() {
    local img=$BENCH_WORK/parts n args=()
    mkdir -p "$img"
    truncate -s 1G "$img/gpt-4.img"
    sgdisk -n 1:0:+100M -n 2:0:+100M -n 3:0:+100M -n 4:0:0 "$img/gpt-4.img" >/dev/null
    truncate -s 1G "$img/gpt-128.img"
    for n in $(seq 1 128); do args+=(-n "$n:0:+4M"); done
    sgdisk "${args[@]}" "$img/gpt-128.img" >/dev/null
    truncate -s 1G "$img/gpt-1024-entries.img"
    sgdisk --resize-table=1024 -n 1:0:+100M -n 2:0:0 "$img/gpt-1024-entries.img" >/dev/null
    truncate -s 1G "$img/mbr-logicals.img"
    printf 'label: dos\n,100M,83,*\n,,5\n,100M,83\n,100M,83\n,100M,82\n,,83\n' \
        | sfdisk -q "$img/mbr-logicals.img"
}

parts_section() {
    local runs=${BENCH_PROBE_RUNS:-100} f name
    say "4b parts vs sfdisk --json ($runs runs each)"
    parts_images
    for f in "$BENCH_WORK"/parts/*.img; do
        name=$(basename "$f" .img)
        timed parts "$name" "$runs" 5 rootlift sfdisk -- \
            "$ROOTLIFT_BIN" parts --json "$f" ::: sfdisk --json "$f"
        rec parts "$name" rootlift answer "$("$ROOTLIFT_BIN" parts --json "$f" | jq -S -c . | sha256sum | cut -c1-16) $(
            "$ROOTLIFT_BIN" parts --json "$f" | jq '.partitiontable.partitions | length') partitions"
        rec parts "$name" sfdisk answer "$(sfdisk --json "$f" | jq -S -c . | sha256sum | cut -c1-16) $(
            sfdisk --json "$f" | jq '.partitiontable.partitions | length') partitions"
    done
    rec parts - sfdisk version "$(sfdisk --version 2>&1 | head -n1)"
}
