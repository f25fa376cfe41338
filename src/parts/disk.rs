//! A disk (block device) or disk image holding a partition table: opened
//! read-only to look, read-write to edit; its size from BLKGETSIZE64 (or
//! st_size for an image), its logical sector size from BLKSSZGET (or, for
//! an image, where the GPT header is). Writes are pwrite(2) of the runs a
//! patch changes, each followed by fsync(2), so they reach the disk in
//! the order given. Also the kernel's view of a partition
//! (Documentation/ABI/stable/sysfs-block: `start` and `size` in 512-byte
//! sectors) and BLKPG_RESIZE_PARTITION.

use std::fs::File;
use std::os::unix::fs::{FileExt, FileTypeExt};
use std::path::Path;

use rustix::fd::AsFd;
use rustix::fs::{CWD, FileType, Mode};
use rustix::io::Errno;

use super::blkpg::BlkpgPartition;
use super::{Patch, Table, detect_sector_size};
use crate::error::{Error, Result};
use crate::probe::device::BlockSource;

/// An opened disk or image.
pub struct Disk {
    file: File,
    path: String,
    size: u64,
    pub sector_size: u64,
}

impl Disk {
    /// Opens `path` to read its table.
    pub fn open_read(path: &Path) -> Result<Disk> {
        Disk::open(path, false)
    }

    /// Opens `path` to write its table. No O_EXCL: the disk's other
    /// partitions may be mounted, and the kernel allows that.
    pub fn open_write(path: &Path) -> Result<Disk> {
        Disk::open(path, true)
    }

    fn open(path: &Path, write: bool) -> Result<Disk> {
        let shown = path.display().to_string();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(write)
            .open(path)
            .map_err(|e| Error::io("open", &shown, &e))?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io("fstat", &shown, &e))?;
        let mut disk = Disk {
            file,
            path: shown,
            size: meta.len(),
            sector_size: 512,
        };
        if meta.file_type().is_block_device() {
            let fd = disk.file.as_fd();
            disk.size = crate::sys::blkgetsize64(fd)
                .map_err(|e| Error::sys("ioctl BLKGETSIZE64", &disk.path, e))?;
            disk.sector_size = u64::from(
                rustix::fs::ioctl_blksszget(fd)
                    .map_err(|e| Error::sys("ioctl BLKSSZGET", &disk.path, e))?,
            );
        } else if meta.is_file() {
            disk.sector_size = detect_sector_size(&disk);
        } else {
            return Err(Error::failed(format!(
                "{} is neither a block device nor a disk image",
                disk.path
            )));
        }
        Ok(disk)
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The table, checked (see `Table::read`).
    pub fn table(&self) -> Result<Table> {
        Table::read(self, self.sector_size)
            .map_err(|why| Error::invalid("partition table", &self.path, why))
    }

    /// What writing `table` would change on this disk.
    pub fn patches(&self, table: &Table) -> Result<Vec<Patch>> {
        super::patches(self, &table.blocks())
            .map_err(|why| Error::invalid("partition table", &self.path, why))
    }

    /// Writes each patch's new bytes (`old == false`: its old bytes), in
    /// order, each made durable before the next.
    pub fn write(&self, patches: &[Patch], old: bool) -> Result<()> {
        for p in patches {
            let bytes = if old { &p.old } else { &p.new };
            self.file.write_all_at(bytes, p.offset).map_err(|e| {
                Error::io("pwrite", format_args!("{} at {}", self.path, p.offset), &e)
            })?;
            rustix::fs::fsync(&self.file).map_err(|e| Error::sys("fsync", &self.path, e))?;
        }
        Ok(())
    }

    /// Tells the kernel partition `number` now has `sectors` sectors of
    /// this disk from `start` (BLKPG_RESIZE_PARTITION).
    pub fn resize_partition(&self, number: u32, start: u64, sectors: u64) -> Result<()> {
        let bytes = |n: u64| n.checked_mul(self.sector_size);
        let part = bytes(start)
            .zip(bytes(sectors))
            .and_then(|(s, l)| BlkpgPartition::new(number, s, l))
            .ok_or_else(|| Error::failed(format!("partition {number}: size overflows")))?;
        crate::sys::blkpg_resize_partition(self.file.as_fd(), &part).map_err(|e| {
            Error::sys(
                "ioctl BLKPG_RESIZE_PARTITION",
                format_args!("{} partition {number}", self.path),
                e,
            )
        })
    }
}

impl BlockSource for Disk {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        self.file.read_at(buf, offset)
    }
}

/// The kernel's start and size of block device MAJ:MIN, in 512-byte
/// sectors (a partition's `start` in sysfs).
pub fn kernel_extent(major: u32, minor: u32) -> Result<(u64, u64)> {
    let read = |what: &str| -> Result<u64> {
        let path = format!("/sys/dev/block/{major}:{minor}/{what}");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, &e))?;
        text.trim()
            .parse()
            .map_err(|_| Error::invalid("sysfs", &path, format!("{text:?}")))
    };
    Ok((read("start")?, read("size")?))
}

/// A device node for MAJ:MIN: `hint` when it is one, else
/// /dev/block/MAJ:MIN, else (with `make_at`) one made there, for a tmpfs
/// without /dev entries as at shutdown.
pub fn node(hint: &str, major: u32, minor: u32, make_at: Option<&str>) -> Result<String> {
    let want = rustix::fs::makedev(major, minor);
    let by_dev = format!("/dev/block/{major}:{minor}");
    for candidate in [hint, by_dev.as_str()] {
        if let Ok(st) = rustix::fs::stat(candidate)
            && FileType::from_raw_mode(st.st_mode) == FileType::BlockDevice
            && st.st_rdev == want
        {
            return Ok(candidate.to_owned());
        }
    }
    let Some(at) = make_at else {
        return Err(Error::refused(format!(
            "no device node for {major}:{minor} ({hint}) under /dev"
        )));
    };
    match rustix::fs::mknodat(
        CWD,
        at,
        FileType::BlockDevice,
        Mode::from_raw_mode(0o600),
        want,
    ) {
        Ok(()) | Err(Errno::EXIST) => Ok(at.to_owned()),
        Err(e) => Err(Error::sys("mknod", at, e)),
    }
}
