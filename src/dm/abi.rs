//! The device-mapper ioctl ABI, verbatim from include/uapi/linux/dm-ioctl.h:
//! the structs (for their layout only: replies are parsed as bytes at these
//! offsets, never overlaid), the flags, the command numbers and opcodes, and
//! the interface version each command needs.
//!
//! Every struct's size and key offsets are asserted here against the header,
//! and every opcode against linux-raw-sys's `DM_*` constants: the opcode
//! encodes `sizeof(struct dm_ioctl)`, so a wrong layout cannot compile.

// The structs exist for their layout (size_of/offset_of and the opcode
// size); the fields are never read through them.
#![allow(dead_code)]

use core::mem::{offset_of, size_of};

use rustix::ioctl::{Opcode, opcode};
use static_assertions::{assert_eq_size, const_assert_eq};

pub const DM_IOCTL: u8 = 0xfd;
pub const DM_MAX_TYPE_NAME: usize = 16;
pub const DM_NAME_LEN: usize = 128;
pub const DM_UUID_LEN: usize = 129;

/// `struct dm_ioctl`: the header of every request and reply.
#[repr(C)]
pub struct DmIoctl {
    /// in/out: the interface version the caller speaks; the kernel writes
    /// back its own.
    pub version: [u32; 3],
    /// Total size of the buffer, this header included.
    pub data_size: u32,
    /// Offset of the payload from the start of this struct.
    pub data_start: u32,
    pub target_count: u32,
    pub open_count: i32,
    pub flags: u32,
    /// in/out; on input only DM_DEV_WAIT and (as a udev cookie) the
    /// uevent-sending commands read it.
    pub event_nr: u32,
    pub padding: u32,
    /// huge_encode_dev() of the device number.
    pub dev: u64,
    pub name: [u8; DM_NAME_LEN],
    pub uuid: [u8; DM_UUID_LEN],
    pub data: [u8; 7],
}

/// `struct dm_target_spec`: one table line; its params string follows it.
#[repr(C)]
pub struct DmTargetSpec {
    pub sector_start: u64,
    pub length: u64,
    /// Used when reading from the kernel only.
    pub status: i32,
    /// Input (DM_TABLE_LOAD): offset of the next spec from this one.
    /// Output (DM_TABLE_STATUS): offset of the next spec from the start of
    /// the payload.
    pub next: u32,
    pub target_type: [u8; DM_MAX_TYPE_NAME],
}

/// `struct dm_target_deps`: the DM_TABLE_DEPS reply.
#[repr(C)]
pub struct DmTargetDeps {
    pub count: u32,
    pub padding: u32,
    pub dev: [u64; 0],
}

/// `struct dm_name_list`: one DM_LIST_DEVICES record. After the name's NUL,
/// aligned up to 8 bytes, interface 4.38+ puts `__u32 event_nr; __u32 flags;`
/// and, with DM_NAME_LIST_FLAG_HAS_UUID in flags (4.45+, asked for with
/// DM_UUID_FLAG), the NUL-terminated uuid (see [`DmNameListExt`]).
#[repr(C)]
pub struct DmNameList {
    pub dev: u64,
    /// Offset of the next record from the start of this one; 0 on the last.
    pub next: u32,
    pub name: [u8; 0],
}

/// The extension that follows a `dm_name_list` name (a comment in the
/// header, not a struct there).
#[repr(C)]
pub struct DmNameListExt {
    pub event_nr: u32,
    pub flags: u32,
    pub uuid: [u8; 0],
}

/// `struct dm_target_versions`: one DM_LIST_VERSIONS record.
#[repr(C)]
pub struct DmTargetVersions {
    /// Offset of the next record from the start of this one; 0 on the last.
    pub next: u32,
    pub version: [u32; 3],
    pub name: [u8; 0],
}

// The header: 312 bytes, as the opcodes encode it.
assert_eq_size!(DmIoctl, [u8; 312]);
const_assert_eq!(offset_of!(DmIoctl, version), 0);
const_assert_eq!(offset_of!(DmIoctl, data_size), 12);
const_assert_eq!(offset_of!(DmIoctl, data_start), 16);
const_assert_eq!(offset_of!(DmIoctl, target_count), 20);
const_assert_eq!(offset_of!(DmIoctl, open_count), 24);
const_assert_eq!(offset_of!(DmIoctl, flags), 28);
const_assert_eq!(offset_of!(DmIoctl, event_nr), 32);
const_assert_eq!(offset_of!(DmIoctl, dev), 40);
const_assert_eq!(offset_of!(DmIoctl, name), 48);
const_assert_eq!(offset_of!(DmIoctl, uuid), 176);
const_assert_eq!(offset_of!(DmIoctl, data), 305);
assert_eq_size!(DmTargetSpec, [u8; 40]);
const_assert_eq!(offset_of!(DmTargetSpec, status), 16);
const_assert_eq!(offset_of!(DmTargetSpec, next), 20);
const_assert_eq!(offset_of!(DmTargetSpec, target_type), 24);
assert_eq_size!(DmTargetDeps, [u8; 8]);
const_assert_eq!(offset_of!(DmTargetDeps, dev), 8);
assert_eq_size!(DmNameList, [u8; 16]);
const_assert_eq!(offset_of!(DmNameList, next), 8);
const_assert_eq!(offset_of!(DmNameList, name), 12);
assert_eq_size!(DmNameListExt, [u8; 8]);
const_assert_eq!(offset_of!(DmNameListExt, uuid), 8);
assert_eq_size!(DmTargetVersions, [u8; 16]);
const_assert_eq!(offset_of!(DmTargetVersions, name), 16);

/// Size of the header; requests put their payload right after it.
pub const HEADER_SIZE: usize = size_of::<DmIoctl>();
/// The kernel's minimum `data_size`: everything before `data`.
pub const HEADER_MIN_DATA_SIZE: usize = offset_of!(DmIoctl, data);
pub const SPEC_SIZE: usize = size_of::<DmTargetSpec>();
/// Records in the payload start 8-byte aligned (ALIGN_MASK in dm-ioctl.c).
pub const ALIGN: usize = 8;

// Header field offsets, named for the request encoder and reply parser.
pub const OFF_VERSION: usize = offset_of!(DmIoctl, version);
pub const OFF_DATA_SIZE: usize = offset_of!(DmIoctl, data_size);
pub const OFF_DATA_START: usize = offset_of!(DmIoctl, data_start);
pub const OFF_TARGET_COUNT: usize = offset_of!(DmIoctl, target_count);
pub const OFF_OPEN_COUNT: usize = offset_of!(DmIoctl, open_count);
pub const OFF_FLAGS: usize = offset_of!(DmIoctl, flags);
pub const OFF_EVENT_NR: usize = offset_of!(DmIoctl, event_nr);
pub const OFF_DEV: usize = offset_of!(DmIoctl, dev);
pub const OFF_NAME: usize = offset_of!(DmIoctl, name);
pub const OFF_UUID: usize = offset_of!(DmIoctl, uuid);

pub const SPEC_OFF_START: usize = offset_of!(DmTargetSpec, sector_start);
pub const SPEC_OFF_LENGTH: usize = offset_of!(DmTargetSpec, length);
pub const SPEC_OFF_STATUS: usize = offset_of!(DmTargetSpec, status);
pub const SPEC_OFF_NEXT: usize = offset_of!(DmTargetSpec, next);
pub const SPEC_OFF_TYPE: usize = offset_of!(DmTargetSpec, target_type);

pub const DEPS_OFF_COUNT: usize = offset_of!(DmTargetDeps, count);
pub const DEPS_OFF_DEV: usize = offset_of!(DmTargetDeps, dev);

pub const NAMES_OFF_DEV: usize = offset_of!(DmNameList, dev);
pub const NAMES_OFF_NEXT: usize = offset_of!(DmNameList, next);
pub const NAMES_OFF_NAME: usize = offset_of!(DmNameList, name);
pub const NAMES_EXT_OFF_EVENT_NR: usize = offset_of!(DmNameListExt, event_nr);
pub const NAMES_EXT_OFF_FLAGS: usize = offset_of!(DmNameListExt, flags);
pub const NAMES_EXT_OFF_UUID: usize = offset_of!(DmNameListExt, uuid);

pub const VERSIONS_OFF_NEXT: usize = offset_of!(DmTargetVersions, next);
pub const VERSIONS_OFF_VERSION: usize = offset_of!(DmTargetVersions, version);
pub const VERSIONS_OFF_NAME: usize = offset_of!(DmTargetVersions, name);

// Flags (dm_ioctl.flags).
pub const DM_READONLY_FLAG: u32 = 1 << 0;
pub const DM_SUSPEND_FLAG: u32 = 1 << 1;
pub const DM_PERSISTENT_DEV_FLAG: u32 = 1 << 3;
pub const DM_STATUS_TABLE_FLAG: u32 = 1 << 4;
pub const DM_ACTIVE_PRESENT_FLAG: u32 = 1 << 5;
pub const DM_INACTIVE_PRESENT_FLAG: u32 = 1 << 6;
pub const DM_BUFFER_FULL_FLAG: u32 = 1 << 8;
pub const DM_SKIP_BDGET_FLAG: u32 = 1 << 9;
pub const DM_SKIP_LOCKFS_FLAG: u32 = 1 << 10;
pub const DM_NOFLUSH_FLAG: u32 = 1 << 11;
pub const DM_QUERY_INACTIVE_TABLE_FLAG: u32 = 1 << 12;
pub const DM_UEVENT_GENERATED_FLAG: u32 = 1 << 13;
pub const DM_UUID_FLAG: u32 = 1 << 14;
pub const DM_SECURE_DATA_FLAG: u32 = 1 << 15;
pub const DM_DATA_OUT_FLAG: u32 = 1 << 16;
pub const DM_DEFERRED_REMOVE: u32 = 1 << 17;
pub const DM_INTERNAL_SUSPEND_FLAG: u32 = 1 << 18;

pub const DM_NAME_LIST_FLAG_HAS_UUID: u32 = 1;
pub const DM_NAME_LIST_FLAG_DOESNT_HAVE_UUID: u32 = 2;

/// An interface version `[major, minor, patchlevel]`.
pub type Version = [u32; 3];

/// The ioctl commands rootlift issues (enum `DM_*_CMD` of dm-ioctl.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Version,
    ListDevices,
    DevCreate,
    DevRemove,
    DevRename,
    DevSuspend,
    DevStatus,
    TableLoad,
    TableClear,
    TableDeps,
    TableStatus,
    ListVersions,
}

impl Cmd {
    /// The command number, `DM_*_CMD`.
    pub const fn nr(self) -> u8 {
        match self {
            Cmd::Version => 0,
            Cmd::ListDevices => 2,
            Cmd::DevCreate => 3,
            Cmd::DevRemove => 4,
            Cmd::DevRename => 5,
            Cmd::DevSuspend => 6,
            Cmd::DevStatus => 7,
            Cmd::TableLoad => 9,
            Cmd::TableClear => 10,
            Cmd::TableDeps => 11,
            Cmd::TableStatus => 12,
            Cmd::ListVersions => 13,
        }
    }

    /// `_IOWR(DM_IOCTL, DM_*_CMD, struct dm_ioctl)`.
    pub const fn opcode(self) -> Opcode {
        opcode::read_write::<DmIoctl>(DM_IOCTL, self.nr())
    }

    /// The ioctl's name, for error messages.
    pub const fn name(self) -> &'static str {
        match self {
            Cmd::Version => "DM_VERSION",
            Cmd::ListDevices => "DM_LIST_DEVICES",
            Cmd::DevCreate => "DM_DEV_CREATE",
            Cmd::DevRemove => "DM_DEV_REMOVE",
            Cmd::DevRename => "DM_DEV_RENAME",
            Cmd::DevSuspend => "DM_DEV_SUSPEND",
            Cmd::DevStatus => "DM_DEV_STATUS",
            Cmd::TableLoad => "DM_TABLE_LOAD",
            Cmd::TableClear => "DM_TABLE_CLEAR",
            Cmd::TableDeps => "DM_TABLE_DEPS",
            Cmd::TableStatus => "DM_TABLE_STATUS",
            Cmd::ListVersions => "DM_LIST_VERSIONS",
        }
    }

    /// The lowest interface version with this command, as libdm's
    /// `_cmd_data_v4` table has it. The kernel's check_version() refuses
    /// (EINVAL) a request whose minor is above its own, so stamping the
    /// minimum keeps old kernels working.
    pub const fn min_version(self) -> Version {
        match self {
            Cmd::ListVersions => [4, 1, 0],
            _ => [4, 0, 0],
        }
    }
}

/// Interface 4.3: a device looked up by `dev` alone (no name, no uuid).
pub const VERSION_LOOKUP_BY_DEV: Version = [4, 3, 0];
/// Interface 4.12: DM_NOFLUSH_FLAG on suspend.
pub const VERSION_NOFLUSH: Version = [4, 12, 0];
/// Interface 4.38: `event_nr` and `flags` after each dm_name_list name.
pub const VERSION_NAME_LIST_EXT: Version = [4, 38, 0];

const_assert_eq!(Cmd::Version.opcode(), linux_raw_sys::ioctl::DM_VERSION);
const_assert_eq!(
    Cmd::ListDevices.opcode(),
    linux_raw_sys::ioctl::DM_LIST_DEVICES
);
const_assert_eq!(Cmd::DevCreate.opcode(), linux_raw_sys::ioctl::DM_DEV_CREATE);
const_assert_eq!(Cmd::DevRemove.opcode(), linux_raw_sys::ioctl::DM_DEV_REMOVE);
const_assert_eq!(Cmd::DevRename.opcode(), linux_raw_sys::ioctl::DM_DEV_RENAME);
const_assert_eq!(
    Cmd::DevSuspend.opcode(),
    linux_raw_sys::ioctl::DM_DEV_SUSPEND
);
const_assert_eq!(Cmd::DevStatus.opcode(), linux_raw_sys::ioctl::DM_DEV_STATUS);
const_assert_eq!(Cmd::TableLoad.opcode(), linux_raw_sys::ioctl::DM_TABLE_LOAD);
const_assert_eq!(
    Cmd::TableClear.opcode(),
    linux_raw_sys::ioctl::DM_TABLE_CLEAR
);
const_assert_eq!(Cmd::TableDeps.opcode(), linux_raw_sys::ioctl::DM_TABLE_DEPS);
const_assert_eq!(
    Cmd::TableStatus.opcode(),
    linux_raw_sys::ioctl::DM_TABLE_STATUS
);
const_assert_eq!(
    Cmd::ListVersions.opcode(),
    linux_raw_sys::ioctl::DM_LIST_VERSIONS
);
// DM_VERSION = _IOWR(0xfd, 0, struct dm_ioctl): dir 3, size 312 = 0x138.
const_assert_eq!(Cmd::Version.opcode(), 0xc138_fd00);

/// Whether interface version `have` is at least `want`.
pub fn at_least(have: Version, want: Version) -> bool {
    have[0] > want[0] || (have[0] == want[0] && have[1..] >= want[1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_major_then_minor_then_patch() {
        assert!(at_least([4, 48, 0], [4, 38, 0]));
        assert!(at_least([4, 38, 0], [4, 38, 0]));
        assert!(!at_least([4, 37, 9], [4, 38, 0]));
        assert!(at_least([4, 38, 1], [4, 38, 0]));
        assert!(!at_least([4, 38, 0], [4, 38, 1]));
        assert!(at_least([5, 0, 0], [4, 45, 0]));
    }
}
