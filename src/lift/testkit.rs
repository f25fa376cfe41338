//! What the lift's unit tests share: a server's mount table, classification
//! facts for it, and enter's and return's mount sequences played on the
//! recording fake.

use rustix::mount::MountFlags;

use super::classify;
use super::ops::fake::Fake;
use super::ops::{Ops, Propagation};
use super::record::{self, Record, SwapRecord};
use crate::journal::Journal;
use crate::loopdev::LoopSetup;
use crate::proc::mountinfo::Mount;

/// A server's mount table: / on an LV, API filesystems, /boot on another
/// disk, a tmpfs /tmp with a tmpfs below it, /home on another LV with a
/// bind of a root directory below it, a bind of a root directory with a
/// tmpfs below it, a loop-mounted image file of the root, two mounts
/// stacked at one path.
pub const TABLE: &str = "\
1 0 252:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg0-root rw
2 1 0:22 / /proc rw shared:2 - proc proc rw
3 1 0:23 / /sys rw shared:3 - sysfs sysfs rw
4 1 0:5 / /dev rw shared:4 - devtmpfs udev rw
5 4 0:24 / /dev/pts rw shared:5 - devpts devpts rw
6 1 0:25 / /run rw shared:6 - tmpfs tmpfs rw
10 1 254:1 / /boot rw shared:10 - ext2 /dev/vdb1 rw
11 1 0:40 / /tmp rw shared:11 - tmpfs tmpfs rw
12 11 0:41 / /tmp/sub rw shared:12 - tmpfs tmpfs rw
13 1 252:1 / /home rw shared:13 - ext4 /dev/mapper/vg0-home rw
14 13 252:0 /srv/data /home/data rw shared:1 - ext4 /dev/mapper/vg0-root rw
15 1 252:0 /var/www /srv/www rw shared:1 - ext4 /dev/mapper/vg0-root rw
16 15 0:42 / /srv/www/cache rw - tmpfs tmpfs rw
17 1 7:0 / /mnt/img ro shared:17 - ext4 /dev/loop0 ro
18 1 0:43 / /mnt/stack rw shared:18 - tmpfs one rw
19 18 0:44 / /mnt/stack rw shared:19 - tmpfs two rw
";

pub struct Facts;

impl classify::Facts for Facts {
    fn dev_of(&self, path: &str) -> Option<(u32, u32)> {
        Some(if path.starts_with("/home") {
            (252, 1)
        } else {
            (252, 0)
        })
    }
    fn loop_setup(&self, device: &str) -> Option<LoopSetup> {
        (device == "/dev/loop0").then(|| LoopSetup {
            device: device.into(),
            backing: "/var/lib/img.ext4".into(),
            offset: 0,
            sizelimit: 0,
            read_only: true,
            autoclear: true,
            partscan: false,
            direct_io: false,
            block_size: 512,
        })
    }
    fn loop_backing_dev(&self, device: &str) -> Option<(u32, u32)> {
        (device == "/dev/loop0").then_some((252, 0))
    }
    fn stacked_on(&self, _dev: (u32, u32), _root: (u32, u32)) -> bool {
        false
    }
}

pub fn record(table: &[Mount]) -> Record {
    let root = record::root_of(table).unwrap();
    Record {
        mounts: classify::records(table, &root, &Facts),
        root,
        swaps: vec![SwapRecord {
            path: "/swapfile".into(),
            priority: -2,
            on_root: true,
        }],
    }
}

pub fn journal(dir: &std::path::Path) -> Journal {
    Journal::for_test(&dir.join("journal"))
}

pub fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("rootlift-mounts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// enter on the fake: rprivate, the tmpfs, pivot, API filesystems moved.
pub fn lift(f: &mut Fake) {
    f.propagation("/", Propagation::Private, true).unwrap();
    f.mount_fs(
        "rootlift",
        "/run/rootlift/root",
        "tmpfs",
        MountFlags::empty(),
        "",
    )
    .unwrap();
    f.pivot_root("/run/rootlift/root", "/run/rootlift/root/oldroot")
        .unwrap();
    for api in ["/proc", "/sys", "/dev", "/run"] {
        f.move_mount(&format!("/oldroot{api}"), api).unwrap();
    }
}

/// return on the fake, up to the mounts: the root mounted again, the API
/// filesystems back under it, the pivot back.
pub fn unlift(f: &mut Fake) {
    f.mount_fs(
        "/dev/mapper/vg0-root",
        "/oldroot",
        "ext4",
        MountFlags::RELATIME,
        "rw",
    )
    .unwrap();
    // The remounted root is the same filesystem as before.
    let i = f
        .table
        .iter()
        .position(|m| m.mount_point == "/oldroot")
        .unwrap();
    f.table[i].major = 252;
    f.table[i].minor = 0;
    for api in ["/proc", "/sys", "/dev", "/run"] {
        f.move_mount(api, &format!("/oldroot{api}")).unwrap();
    }
    f.pivot_root("/oldroot", "/oldroot/run/rootlift/root")
        .unwrap();
}
