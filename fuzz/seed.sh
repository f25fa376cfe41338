#!/usr/bin/env bash
# Fills fuzz/corpus/TARGET/ with seeds from real tools and real captures:
# the first 128 KiB of images made by mkfs (ext2/3/4 in several layouts,
# swap, vfat, btrfs, xfs, squashfs, iso9660) for ext4 and probe; small
# programs and libraries of this machine for elf; the dm replies captured
# from a live kernel (src/dm/reply/captured.rs) for dm_reply; this
# machine's mountinfo files; the committed journal and CLI seeds
# (fuzz/seeds/). Needs no root: every image is a plain file.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
corpus=$here/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$corpus"/{ext4,probe,elf,dm_reply,mountinfo,journal,cli}

# image NAME SIZE_MIB CMD...: CMD run on a new sparse file (its last word).
image() {
    local name=$1 mib=$2
    shift 2
    truncate -s "${mib}M" "$work/$name"
    if "$@" "$work/$name" >/dev/null 2>&1; then
        head -c 131072 "$work/$name" >"$corpus/probe/$name"
        case $name in ext*) cp "$corpus/probe/$name" "$corpus/ext4/$name" ;; esac
    fi
    rm -f "$work/$name"
}
image ext2 8 mkfs.ext2 -q -F
image ext3 16 mkfs.ext3 -q -F
image ext4 32 mkfs.ext4 -q -F
image ext4-1k 16 mkfs.ext4 -q -F -b 1024
image ext4-nocsum 32 mkfs.ext4 -q -F -O ^metadata_csum,^64bit
image ext4-bigalloc 64 mkfs.ext4 -q -F -O bigalloc -C 16384
image ext4-meta-bg 32 mkfs.ext4 -q -F -O meta_bg,^resize_inode
image ext4-rev0 8 mkfs.ext2 -q -F -r 0
image swap 8 mkswap
image vfat 16 mkfs.vfat
image btrfs 128 mkfs.btrfs -q -f
image xfs 320 mkfs.xfs -q -f
if command -v mksquashfs >/dev/null; then
    mkdir -p "$work/sq" && echo seed >"$work/sq/file"
    mksquashfs "$work/sq" "$corpus/probe/squashfs" -quiet -noappend >/dev/null 2>&1 || true
fi
if command -v xorriso >/dev/null; then
    if xorriso -as mkisofs -quiet -o "$work/iso" "$work" >/dev/null 2>&1; then
        head -c 131072 "$work/iso" >"$corpus/probe/iso9660"
    fi
fi

for f in /usr/bin/true /usr/bin/env /usr/lib/x86_64-linux-gnu/libpam.so.0 \
    /usr/lib/x86_64-linux-gnu/libz.so.1 /bin/busybox; do
    [[ -f $f ]] && cp -L "$f" "$corpus/elf/$(basename "$f")"
done

python3 - "$here/../src/dm/reply/captured.rs" "$corpus/dm_reply" <<'PY'
import re, sys
src, out = sys.argv[1], sys.argv[2]
text = open(src).read()
for m in re.finditer(r"const (\w+): &str = concat!\((.*?)\);", text, re.S):
    hexs = "".join(re.findall(r'"([0-9a-f]*)"', m.group(2)))
    open(f"{out}/{m.group(1).lower()}", "wb").write(bytes.fromhex(hexs))
PY

for f in /proc/self/mountinfo /proc/1/mountinfo; do
    cat "$f" >"$corpus/mountinfo/$(echo "$f" | tr / _)" 2>/dev/null || true
done
cp "$here"/seeds/journal/* "$corpus/journal/"
cp "$here"/seeds/cli/* "$corpus/cli/"
for t in "$corpus"/*; do
    echo "seed: $(basename "$t"): $(find "$t" -type f | wc -l) files"
done
