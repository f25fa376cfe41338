#!/usr/bin/env python3
"""IMAGE OUT [START:LEN ...]: the image as a sparse-device fuzz input
(common/sparse.rs): its size, then its non-zero 512-byte sectors in the
given byte ranges (default: the superblock and group descriptors of an
ext2/3/4 image), merged into records of at most 65535 bytes."""
import struct, sys

img, out = sys.argv[1], sys.argv[2]
data = open(img, "rb").read()

def ext4_ranges():
    sb = data[1024:2048]
    u32 = lambda o: struct.unpack_from("<I", sb, o)[0]
    u16 = lambda o: struct.unpack_from("<H", sb, o)[0]
    bs = 1024 << u32(0x18)
    first, bpg = u32(0x14), u32(0x20)
    blocks = u32(0x04)
    incompat = u32(0x60)
    if incompat & 0x80:
        blocks |= u32(0x150) << 32
    dsize = u16(0xFE) if incompat & 0x80 else 32
    groups = -(-(blocks - first) // bpg)
    dpb = bs // dsize
    ranges = [(0, 2048)]
    desc_blocks = -(-groups // dpb)
    if incompat & 0x10:  # meta_bg: block i at group i*dpb, after its backup
        fmb = u32(0x104)
        ranges.append(((first + 1) * bs, fmb * bs))
        for i in range(fmb, desc_blocks):
            g0 = i * dpb * bpg + first
            ranges.append((g0 * bs, 2 * bs))
    else:
        adj = 1 if (first == 0 and bs == 1024) else 0
        ranges.append(((first + adj + 1) * bs, desc_blocks * bs))
    return ranges

ranges = [tuple(int(x, 0) for x in r.split(":")) for r in sys.argv[3:]] or ext4_ranges()
keep = set()
for start, length in ranges:
    for s in range(start // 512, -(-(start + length) // 512)):
        if any(data[s * 512:(s + 1) * 512]):
            keep.add(s)
recs, run = [], None
for s in sorted(keep):
    if run and run[1] == s and (s - run[0] + 1) * 512 <= 65535:
        run[1] = s + 1
    else:
        run = [s, s + 1]
        recs.append(run)
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(data)))
    for a, b in recs:
        body = data[a * 512:b * 512]
        f.write(struct.pack("<IH", a * 512, len(body)) + body)
