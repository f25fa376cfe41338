# shellcheck shell=bash
# Item 4: `rootlift probe` vs `blkid -p` and `rootlift ext4` vs
# `dumpe2fs -h` on the same image files (no loop device: all four read
# files). Each command is short, so process start-up is most of it; the
# start-up itself is measured on a static no-op, `rootlift --version` and
# /bin/true, and each pair must agree on the type and UUID.

probe_images() {
    local img=$BENCH_WORK/img
    mkdir -p "$img"
    truncate -s 64M "$img/ext4-64M.img" && mkfs.ext4 -q -F "$img/ext4-64M.img"
    truncate -s 4G "$img/ext4-4G.img" && mkfs.ext4 -q -F "$img/ext4-4G.img"
    truncate -s 300M "$img/xfs-300M.img" && mkfs.xfs -q -f "$img/xfs-300M.img"
    truncate -s 128M "$img/btrfs-128M.img" && mkfs.btrfs -q -f "$img/btrfs-128M.img" >/dev/null
    truncate -s 64M "$img/vfat-64M.img" && mkfs.vfat "$img/vfat-64M.img" >/dev/null
    truncate -s 64M "$img/swap-64M.img" && mkswap "$img/swap-64M.img" >/dev/null 2>&1
}

probe_section() {
    local runs=${BENCH_PROBE_RUNS:-100} f name
    say "4/6 probe/ext4 vs blkid -p/dumpe2fs -h ($runs runs each)"
    probe_images
    # One case, three tools, run round-robin.
    timed startup start-up "$runs" 5 noop rootlift true -- \
        "$BENCH_BIN/noop" ::: "$ROOTLIFT_BIN" --version ::: /bin/true
    for f in "$BENCH_WORK"/img/*.img; do
        name=$(basename "$f" .img)
        timed probe "$name" "$runs" 5 rootlift blkid -- "$ROOTLIFT_BIN" probe "$f" ::: blkid -p "$f"
        rec probe "$name" rootlift answer "$("$ROOTLIFT_BIN" probe --json "$f" \
            | python3 -c 'import json, sys; d = json.load(sys.stdin)[0]; print(d.get("type"), d.get("uuid"))')"
        rec probe "$name" blkid answer "$(blkid -p -o value -s TYPE "$f") $(blkid -p -o value -s UUID "$f" || echo None)"
        case $name in ext4-*)
            timed ext4 "$name" "$runs" 5 rootlift dumpe2fs -- "$ROOTLIFT_BIN" ext4 "$f" ::: dumpe2fs -h "$f"
            rec ext4 "$name" rootlift answer "$("$ROOTLIFT_BIN" ext4 --json "$f" \
                | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["block_count"], d["free_blocks"], d["uuid"])')"
            rec ext4 "$name" dumpe2fs answer "$(dumpe2fs -h "$f" 2>/dev/null \
                | awk -F': *' '/^Block count:/ {b = $2} /^Free blocks:/ {f = $2} /^Filesystem UUID:/ {u = $2} END {print b, f, u}')"
            ;;
        esac
    done
    rec probe - blkid version "$(blkid -V 2>&1 | head -n1)"
    rec ext4 - dumpe2fs version "$(dumpe2fs -V 2>&1 | head -n1)"
}
