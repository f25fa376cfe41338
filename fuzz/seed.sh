#!/usr/bin/env bash
# Fills fuzz/corpus/TARGET/ with seeds from real tools and real captures:
# the first 128 KiB of images made by mkfs (ext2/3/4 in several layouts,
# swap, vfat, btrfs, xfs, squashfs, iso9660) for ext4 and probe; small
# programs and libraries of this machine for elf; the dm replies captured
# from a live kernel (src/dm/reply/captured.rs) for dm_reply; this
# machine's mountinfo files; the committed journal and CLI seeds
# (fuzz/seeds/); for ext4_image, mkfs images as sparse-device inputs
# (tosparse.py keeps the superblock and descriptors); for holders, this
# machine's /proc texts. Needs no root: every image is a plain file.
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
mkdir -p "$corpus"/{ext4_image,holders,journal_records,dm_input}

# ext4_image: mkfs images as sparse-device inputs (superblock and group
# descriptors only; tosparse.py), each layout the floor code branches on.
sparse() {
    local name=$1 mib=$2
    shift 2
    truncate -s "${mib}M" "$work/$name"
    "$@" "$work/$name" >/dev/null 2>&1 \
        && python3 "$here/tosparse.py" "$work/$name" "$corpus/ext4_image/$name"
    rm -f "$work/$name"
}
sparse ext2 8 mkfs.ext2 -q -F
sparse ext2-rev0 8 mkfs.ext2 -q -F -r 0
sparse ext3 16 mkfs.ext3 -q -F
sparse ext4 32 mkfs.ext4 -q -F
sparse ext4-1k 64 mkfs.ext4 -q -F -b 1024
sparse ext4-2k 96 mkfs.ext4 -q -F -b 2048
sparse ext4-4k 600 mkfs.ext4 -q -F -b 4096
sparse ext4-nocsum 32 mkfs.ext4 -q -F -O ^metadata_csum,^64bit
sparse ext4-bigalloc 256 mkfs.ext4 -q -F -O bigalloc -C 16384
sparse ext4-meta-bg 300 mkfs.ext4 -q -F -b 1024 -O meta_bg,^resize_inode
sparse ext4-noflex 128 mkfs.ext4 -q -F -b 1024 -O ^flex_bg
sparse ext4-sparse2 128 mkfs.ext4 -q -F -b 1024 -O sparse_super2
sparse ext4-many-groups 512 mkfs.ext4 -q -F -b 1024 -g 1024 -N 4096

# holders: the first byte picks the parser (see fuzz_targets/holders.rs).
# shellcheck disable=SC2059  # the format is the byte itself
pick() { { printf "\\x$(printf %02x "$1")"; cat; } >"$corpus/holders/$2"; }
pick 0 stat </proc/self/stat
printf '1234 (a) b (c)) S 1 1234 1234 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n' | pick 0 stat-paren
pick 1 maps </proc/self/maps
printf '7f0000000000-7f0000001000 r-xp 00000000 fd:00 1234  /usr/lib/libc.so.6 (deleted)\n' | pick 1 maps-deleted
pick 2 mountinfo </proc/self/mountinfo
pick 3 unix </proc/net/unix
pick 4 cgroup </proc/self/cgroup
printf '0::/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope\n' | pick 4 cgroup-user
pick 5 swaps </proc/swaps
printf 'Filename\tType\tSize\tUsed\tPriority\n/swap\\040file file 1048572 0 -2\n/dev/dm-1 partition 1048572 0 -3\n' | pick 5 swaps-two
pick 6 meminfo </proc/meminfo
printf 'my--vg-my--lv' | pick 7 lvm

# journal_records: the committed journals, and a run job with a mount.
cp "$here"/seeds/journal/* "$corpus/journal_records/"
cat >"$corpus/journal_records/run-spec" <<'J'
1795891940 idle enter.begin pid=513 size=42991616
1795891940 idle job.spec kind=run device=/dev/vda1 e2fsck=/sbin/e2fsck resize2fs=/sbin/resize2fs lvm=/sbin/lvm confirm_ms=600000 grace_ms=5000 argc=3 arg0=/bin/sh arg1=-c arg2=echo%20hi%3dx
1795891940 idle record.root source=/dev/vda1 fstype=ext4 dev=254:1 options=rw super=rw
1795891940 idle record.mount path=/boot source=/dev/vda2 fstype=ext2 options=rw super=rw fsroot=/
1795891940 idle record.slave path=/mnt
1795891941 entered enter.end
J

# dm_input: a spec on the first line, then table text.
printf '0 1024 linear /dev/vda 2048\n1024 512 linear 254:0 8192 # comment\n\n' >"$corpus/dm_input/linear"
printf 'vg0-root\n0 4096 striped 2 128 /dev/vda 16384 /dev/vdb 16384\n' >"$corpus/dm_input/striped"
printf 'crypt aes-xts-plain64 0123456789abcdef 0 /dev/vda 4096\n0 8192 crypt aes-xts-plain64 :64:logon:cryptsetup:1234 0 /dev/vda 4096 1 allow_discards\n' >"$corpus/dm_input/crypt"
printf '254:0\n0 8192 zero\n' >"$corpus/dm_input/zero"

# parts: partition tables made by sfdisk and sgdisk as sparse-device
# inputs: the first and the last MiB (protective MBR, GPT headers and
# arrays, EBRs near the start).
mkdir -p "$corpus/parts"
table() {
    local name=$1 mib=$2
    shift 2
    truncate -s "${mib}M" "$work/$name"
    if "$@" "$work/$name" >/dev/null 2>&1; then
        python3 "$here/tosparse.py" "$work/$name" "$corpus/parts/$name" \
            0:1048576 $(((mib - 1) << 20)):1048576
    fi
    rm -f "$work/$name"
}
sf() { sfdisk -q "$2" <<<"$1"; }
table gpt-1 8 sf $'label: gpt\n,\n'
table gpt-3 16 sf $'label: gpt\nsize=2M, name="root"\nsize=2M, attrs="RequiredPartition GUID:60"\n,\n'
table gpt-sgdisk 16 sgdisk -n 1:0:+2M -c 1:efi -n 3:0:+4M -A 3:set:2
table gpt-256 16 sgdisk --resize-table=256 -n 1:0:+1M
table mbr 8 sf $'label: dos\n,2M,83,*\n,2M,c\n'
table mbr-logical 16 sf $'label: dos\n,2M,83\n,,5\n,2M,83\n,2M,82\n,,83\n'

for t in "$corpus"/*; do
    echo "seed: $(basename "$t"): $(find "$t" -type f | wc -l) files"
done
