//! Online growth of a mounted ext2/3/4 filesystem with `EXT4_IOC_RESIZE_FS`
//! (Documentation/admin-guide/ext4.rst, "Ioctls": the new block count is
//! passed in, the kernel allocates the bitmaps and inode tables;
//! resize2fs(8): a mounted filesystem can only be enlarged).

use std::path::Path;

use rustix::fd::AsFd;

use super::mounted::Mounted;
use super::{
    CAP_SYS_RESOURCE, Outcome, check_capability, check_writable, device_fit, extend_lv, wanted,
};
use crate::error::{Error, Result};
use crate::ext4::{self, features::INCOMPAT_64BIT};
use crate::job::facts;
use crate::sysfs::block::human_bytes;

pub fn grow(fs: &Mounted, target: crate::size::GrowTarget) -> Result<Outcome> {
    let mp = fs.mount.mount_point.as_str();
    check_writable(fs)?;
    let dev = fs.device()?;
    // Before: the superblock through our own reader, which refuses a bad
    // magic, a wrong metadata_csum checksum or a filesystem beyond its
    // device (ext4/mod.rs `read_superblock`).
    let before = ext4::read_superblock(Path::new(&dev.node))?;
    // ext4_resize_begin() refuses (EPERM) a filesystem with errors recorded.
    if before.has_errors() {
        return Err(Error::refused(format!(
            "{mp} has errors recorded in its superblock: the kernel does not resize it online; run 'rootlift fsck' first"
        )));
    }
    let bs = before.block_size();
    let device_bytes = facts::device_bytes(dev.major, dev.minor)?;
    let reach = super::partition::room(&dev, device_bytes);
    let want_blocks = wanted(target, reach) / bs;
    // ext4_resize_fs(): "can't shrink FS - resize aborted" (EINVAL).
    if want_blocks < before.blocks_count {
        return Err(Error::refused(format!(
            "ext4 cannot shrink online: use rootlift shrink ({} is below the filesystem's {})",
            human_bytes(want_blocks.saturating_mul(bs)),
            human_bytes(before.fs_bytes())
        )));
    }
    if want_blocks == before.blocks_count {
        return Ok(Outcome::of(
            fs,
            &dev.node,
            before.fs_bytes(),
            before.fs_bytes(),
        ));
    }
    // Block numbers above 2^32 need the 64bit feature (ext4_resize_fs:
    // "filesystem too large to resize to N blocks safely"), which only an
    // offline resize2fs -b can turn on.
    if !before.has_incompat(INCOMPAT_64BIT) && want_blocks > u64::from(u32::MAX) {
        return Err(Error::refused(format!(
            "{mp} has no 64bit feature: it cannot grow past 2^32 blocks online"
        )));
    }
    let want = want_blocks.saturating_mul(bs);
    let lv = device_fit(&dev, want, device_bytes)?;
    // ext4_resize_begin(): `!capable(CAP_SYS_RESOURCE)` is EPERM.
    check_capability(CAP_SYS_RESOURCE, "CAP_SYS_RESOURCE", "EXT4_IOC_RESIZE_FS")?;
    // The first change: the LV, when SIZE is beyond it.
    let lv = extend_lv(lv, &dev, want, device_bytes)?;
    let vfs_before = rustix::fs::fstatvfs(&fs.dir).map_err(|e| Error::sys("statvfs", mp, e))?;
    // The resize itself, on the mount point: the kernel adds the groups
    // (flex_bg, resize_inode or meta_bg as the filesystem has them) and
    // journals every step, so a crash leaves a consistent filesystem.
    crate::sys::ext4_resize_fs(fs.dir.as_fd(), want_blocks)
        .map_err(|e| Error::sys("ioctl EXT4_IOC_RESIZE_FS", mp, e))?;
    // After: commit the journal (syncfs(2)) so the superblock on the device
    // is the kernel's, then read it again with the same reader; statvfs(2)
    // must see the larger filesystem too.
    rustix::fs::syncfs(&fs.dir).map_err(|e| Error::sys("syncfs", mp, e))?;
    let after = ext4::read_superblock(Path::new(&dev.node))?;
    let vfs_after = rustix::fs::fstatvfs(&fs.dir).map_err(|e| Error::sys("statvfs", mp, e))?;
    let grew = after.blocks_count > before.blocks_count;
    if after.blocks_count < before.blocks_count
        || (grew && vfs_after.f_blocks <= vfs_before.f_blocks)
    {
        return Err(Error::failed(format!(
            "EXT4_IOC_RESIZE_FS on {mp} succeeded but the filesystem did not grow: superblock {} -> {} blocks, statvfs {} -> {} blocks",
            before.blocks_count, after.blocks_count, vfs_before.f_blocks, vfs_after.f_blocks
        )));
    }
    // ext4_resize_fs() leaves out a last group too small for its own
    // metadata ("Make sure the last group has enough space..."), so the
    // filesystem can end short of SIZE, or not grow at all.
    let note = (after.blocks_count != want_blocks).then(|| {
        format!(
            "the kernel stopped at {} blocks of the {} asked for: the rest is too small for a block group",
            after.blocks_count, want_blocks
        )
    });
    Ok(Outcome {
        lv,
        note,
        ..Outcome::of(fs, &dev.node, before.fs_bytes(), after.fs_bytes())
    })
}
