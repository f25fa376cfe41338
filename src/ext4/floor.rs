//! The shrink floor: the smallest block count rootlift will ever ask
//! resize2fs for.
//!
//! # The formula
//!
//! First the minimum resize2fs itself would accept (`resize2fs -P`), computed
//! the way e2fsprogs' calculate_minimum_resize_size() (resize/resize2fs.c,
//! 1.47) does, from the superblock and the group descriptors:
//!
//! 1. Groups needed for the inodes in use:
//!    `groups = ceil((s_inodes_count - s_free_inodes_count) / s_inodes_per_group)`.
//! 2. Per-group overhead `ovh(g)`: the inode table blocks, plus 2 bitmaps,
//!    plus 1 if g holds a superblock (g = 0 or a backup group), plus the
//!    old-style descriptor blocks (descriptor blocks + s_reserved_gdt_blocks,
//!    or s_first_meta_bg with meta_bg) if g holds a backup, else 1 if g holds
//!    a meta_bg descriptor block.
//! 3. Data blocks in use: `data_needed = s_blocks_count -
//!    Σ_g (min(bg_free_blocks_count(g), blocks per group) + ovh(g))`.
//! 4. With flex_bg, the inode tables of a whole flex group must fit:
//!    `flex_groups = groups` rounded up to the next multiple of the flex
//!    size (capped at the group count). The room for data in `groups`
//!    groups is `groups × blocks per group - Σ_{g < flex_groups} ovh(g)`;
//!    while the data does not fit, whole groups are added (and the flex
//!    range grows with them), keeping `last_start`, the data room of all
//!    groups before the last one.
//! 5. The last group needs its own overhead (from the start of its flex
//!    group) plus `max(50, data_needed - last_start)` blocks, plus
//!    s_first_data_block, plus two clusters under bigalloc:
//!    `minimum = (groups - 1) × blocks per group + that`, at least the end
//!    of the last group's inode table.
//! 6. With extents, a slack for extent tree growth:
//!    `min((s_blocks_count - minimum) / 500, max(ceil(data_needed /
//!    (block size / 12 - 1)), inodes in use))`.
//!
//! # A mounted filesystem
//!
//! On a mounted filesystem the counts on disk are not the truth: the
//! kernel keeps the free block and inode totals in memory and writes them
//! to the superblock only now and then (at a freeze, an unmount, some
//! superblock updates), while the descriptors change with every allocation
//! (in the page cache a reader of the device shares) and delayed
//! allocations are in neither. Mixing the two counts the same blocks twice
//! or not at all. [`live_min_blocks`] therefore takes both totals from one
//! place, statfs(2) of the mounted filesystem (`f_bfree`, which already
//! subtracts the blocks delayed allocation has promised, and `f_ffree`),
//! and the descriptors only for what does not move while mounted (where
//! inode tables are). Only the sum of the groups' free counts enters step
//! 3, so the computation is the same one, from one consistent source.
//!
//! Any input on which that computation would go wrong (an overhead larger
//! than a group, more groups than the filesystem has) yields the block
//! count itself, i.e. "no shrink possible", which is never below
//! `resize2fs -P` (that is at most the block count).
//!
//! Then the margin: `floor = min(s_blocks_count, minimum + max(ceil(minimum
//! / 50), 16))`, i.e. 2 % and at least 16 blocks above resize2fs's own
//! minimum. It covers free counts that moved between our read and the
//! resize (a filesystem read while mounted) and small differences between
//! e2fsprogs versions; a shrink to the floor leaves the filesystem room to
//! breathe until the job grows it back to the device.

use super::descriptors::Descriptors;
use super::error::Ext4Error;
use super::features::{INCOMPAT_EXTENTS, INCOMPAT_FLEX_BG, INCOMPAT_JOURNAL_DEV, INCOMPAT_META_BG};
use super::superblock::Superblock;
use crate::probe::device::BlockSource;

/// The margin above resize2fs's minimum: 1/MARGIN_DIVISOR of it...
pub const MARGIN_DIVISOR: u64 = 50;
/// ...and at least this many blocks.
pub const MARGIN_MIN_BLOCKS: u64 = 16;

/// The floor and the resize2fs minimum it was derived from, in blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Floor {
    /// What `resize2fs -P` reports for this filesystem.
    pub resize2fs: u64,
    /// `resize2fs` plus the margin, capped at the block count.
    pub floor: u64,
}

/// The free totals of a mounted filesystem, as statfs(2) counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Live {
    /// `f_bfree × f_frsize`.
    pub free_bytes: u64,
    /// `f_ffree`.
    pub free_inodes: u64,
}

/// Computes the floor of `sb`, reading its group descriptors from `src`
/// (the device or image the superblock came from).
pub fn min_blocks<S: BlockSource + ?Sized>(sb: &Superblock, src: &S) -> Result<Floor, Ext4Error> {
    floor(sb, src, None)
}

/// The floor of a mounted filesystem: the same computation with its free
/// blocks and inodes from `live` (see the module doc).
pub fn live_min_blocks<S: BlockSource + ?Sized>(
    sb: &Superblock,
    src: &S,
    live: Live,
) -> Result<Floor, Ext4Error> {
    floor(sb, src, Some(live))
}

/// [`min_blocks`], or [`live_min_blocks`] when `live` is given.
pub fn floor<S: BlockSource + ?Sized>(
    sb: &Superblock,
    src: &S,
    live: Option<Live>,
) -> Result<Floor, Ext4Error> {
    if sb.has_incompat(INCOMPAT_JOURNAL_DEV) {
        return Err(Ext4Error::JournalDevice);
    }
    // Bounds the work below: every group read is a group of this device.
    let fs_bytes = sb.fs_bytes();
    if fs_bytes > src.size() {
        return Err(Ext4Error::BeyondDevice {
            fs_bytes,
            device_bytes: src.size(),
        });
    }
    let mut descs = Descriptors::new(sb, src);
    let resize2fs = resize2fs_minimum(sb, &mut descs, live)?;
    let margin = resize2fs.div_ceil(MARGIN_DIVISOR).max(MARGIN_MIN_BLOCKS);
    Ok(Floor {
        resize2fs,
        floor: resize2fs.saturating_add(margin).min(sb.blocks_count),
    })
}

/// The per-group figures the calculation needs, from the superblock.
struct Geometry<'a> {
    sb: &'a Superblock,
    bpg: u64,
    inode_blocks: u64,
    old_desc_blocks: u64,
    desc_per_block: u64,
    meta_bg: bool,
    first_meta_bg: u64,
}

impl Geometry<'_> {
    /// calc_group_overhead(): inode table, two bitmaps, the superblock copy
    /// and the descriptor blocks group `g` holds.
    fn overhead(&self, g: u64) -> u64 {
        let has_super = self.sb.has_super(g);
        let mut overhead = self.inode_blocks + 2 + u64::from(has_super);
        let meta_index = g / self.desc_per_block;
        if !self.meta_bg || meta_index < self.first_meta_bg {
            if has_super {
                overhead += self.old_desc_blocks;
            }
        } else {
            let pos = g % self.desc_per_block;
            if pos == 0 || pos == 1 || pos == self.desc_per_block - 1 {
                overhead += 1;
            }
        }
        overhead
    }

    /// The data room of group `g` (blocks per group minus its overhead);
    /// `None` when the overhead does not even fit the group.
    fn room(&self, g: u64) -> Option<u64> {
        self.bpg.checked_sub(self.overhead(g))
    }
}

/// calculate_minimum_resize_size(), step by step (see the module doc); the
/// free totals from `live` when given, else from the superblock and the
/// descriptors.
fn resize2fs_minimum<S: BlockSource + ?Sized>(
    sb: &Superblock,
    descs: &mut Descriptors<'_, S>,
    live: Option<Live>,
) -> Result<u64, Ext4Error> {
    let count = sb.blocks_count;
    let group_count = sb.group_count();
    let no_shrink = Ok(count);
    let old_desc_blocks = if sb.has_incompat(INCOMPAT_META_BG) {
        u64::from(sb.first_meta_bg)
    } else {
        sb.desc_blocks()
            .saturating_add(u64::from(sb.reserved_gdt_blocks))
    };
    let geo = Geometry {
        sb,
        bpg: u64::from(sb.blocks_per_group),
        inode_blocks: sb.inode_blocks_per_group(),
        old_desc_blocks,
        desc_per_block: sb.desc_per_block(),
        meta_bg: sb.has_incompat(INCOMPAT_META_BG),
        first_meta_bg: u64::from(sb.first_meta_bg),
    };
    let bpg = geo.bpg;

    // 1. Groups for the inodes in use. resize2fs refuses (asks for e2fsck)
    // when the free count exceeds the total; so do we.
    let free_inodes = match live {
        Some(l) => l.free_inodes,
        None => u64::from(sb.free_inodes_count),
    };
    let inodes_used = u64::from(sb.inodes_count)
        .checked_sub(free_inodes)
        .ok_or(Ext4Error::Inconsistent("free inodes above the inode count"))?;
    // At least one group: a filesystem always has its root inode, and the
    // arithmetic below needs `groups - 1`.
    let mut groups = inodes_used
        .div_ceil(u64::from(sb.inodes_per_group).max(1))
        .max(1);

    // 3. Data blocks in use. Live, the free total is subtracted once and
    // the groups give only their overhead.
    let mut data_needed = match live {
        Some(l) => match l
            .free_bytes
            .checked_div(sb.block_size())
            .and_then(|free| count.checked_sub(free))
        {
            Some(rest) => rest,
            None => return Err(Ext4Error::Inconsistent("free blocks above the block count")),
        },
        None => count,
    };
    for g in 0..group_count {
        let free = match live {
            Some(_) => 0,
            None => u64::from(descs.free_blocks(g)?).min(bpg),
        };
        let n = free + geo.overhead(g);
        match data_needed.checked_sub(n) {
            Some(rest) => data_needed = rest,
            // resize2fs: "file system appears inconsistent?!?"
            None => return no_shrink,
        }
    }

    // 4. Whole flex groups of inode tables, then add groups until the data
    // fits.
    let flex = sb.has_incompat(INCOMPAT_FLEX_BG);
    let flex_size = 1u64 << sb.log_groups_per_flex.min(31);
    let round_flex = |groups: u64| -> u64 {
        let remainder = groups & (flex_size - 1);
        (groups + flex_size - remainder).min(group_count)
    };
    let mut flex_groups = if flex { round_flex(groups) } else { groups };

    let mut data_blocks = groups * bpg;
    let mut last_start = 0u64;
    for g in 0..flex_groups {
        if g + 1 < groups {
            let Some(room) = geo.room(g) else {
                return no_shrink;
            };
            last_start += room;
        }
        data_blocks = data_blocks.saturating_sub(geo.overhead(g));
    }

    let blks_needed = data_needed;
    while blks_needed > data_blocks {
        let extra = (blks_needed - data_blocks).div_ceil(bpg);
        data_blocks += extra * bpg;
        let Some(room) = geo.room(groups - 1) else {
            return no_shrink;
        };
        last_start += room;
        let start = flex_groups;
        groups += extra;
        // More groups than the filesystem has: resize2fs ends at the block
        // count too (its estimate passes the end), but would first read a
        // descriptor past the table.
        if groups > group_count {
            return no_shrink;
        }
        if !flex {
            flex_groups = groups;
        } else if groups > flex_groups {
            flex_groups = round_flex(groups);
        }
        for g in start..flex_groups {
            if g + 1 < groups {
                let Some(room) = geo.room(g) else {
                    return no_shrink;
                };
                last_start += room;
            }
            // resize2fs subtracts unchecked here; an underflow there ends
            // its loop with a meaningless size, so we stop at "no shrink".
            let Some(rest) = data_blocks.checked_sub(geo.overhead(g)) else {
                return no_shrink;
            };
            data_blocks = rest;
        }
    }

    // 5. The last group: its own overhead (from the start of its flex group
    // when that is group 0's), then its share of the data.
    let mut grp = groups - 1;
    if flex && grp & !(flex_size - 1) == 0 {
        grp &= !(flex_size - 1);
    }
    let mut last = (grp..flex_groups).map(|g| geo.overhead(g)).sum::<u64>();
    last += if last_start < blks_needed {
        (blks_needed - last_start).max(50)
    } else {
        50
    };
    last += u64::from(sb.first_data_block);
    if sb.cluster_ratio() > 1 {
        last += sb.cluster_ratio() * 2;
    }
    let mut minimum = (groups - 1) * bpg + last;
    let itable_end = descs
        .inode_table(groups - 1)?
        .saturating_add(geo.inode_blocks);
    minimum = minimum.max(itable_end);
    if minimum >= count {
        return no_shrink;
    }

    // 6. Extent tree slack.
    if sb.has_incompat(INCOMPAT_EXTENTS) {
        let safe_margin = (count - minimum) / 500;
        let exts_per_blk = (sb.block_size() / 12).saturating_sub(1).max(1);
        let worst_case = data_needed.div_ceil(exts_per_blk).max(inodes_used);
        minimum += safe_margin.min(worst_case);
    }
    Ok(minimum)
}
