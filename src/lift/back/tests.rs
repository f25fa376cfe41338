//! return's steps on the recording fake, from every mount state a return
//! can meet: lifted but not released, released, an enter cut short before
//! or after its pivot or between the moves, a return cut short after its
//! moves back, already returned; and a refusal of the layer above.

use super::*;
use crate::lift::mounts;
use crate::lift::ops::fake::Fake;
use crate::lift::testkit::*;
use crate::proc::mountinfo;

/// An init that records what it is asked.
#[derive(Default)]
struct FakeInit {
    calls: Vec<&'static str>,
}

impl Resume for FakeInit {
    fn wake_init(&mut self, _j: &mut Journal, _cycle: &[journal::Entry]) -> Result<bool> {
        self.calls.push("wake");
        Ok(true)
    }

    fn start_services(&mut self, _j: &mut Journal, _cycle: &[journal::Entry]) -> Result<()> {
        self.calls.push("services");
        Ok(())
    }
}

struct Run {
    fake: Fake,
    init: FakeInit,
    rec: Record,
    dir: std::path::PathBuf,
}

impl Run {
    fn new(name: &str) -> Run {
        let table = mountinfo::parse(TABLE).unwrap();
        let dir = scratch(name);
        // The journal starts with the lift's first line, as enter wrote it.
        std::fs::write(dir.join("journal"), "1.000 idle enter.begin pid=1\n").unwrap();
        Run {
            fake: Fake::with_table(TABLE),
            init: FakeInit::default(),
            rec: record(&table),
            dir,
        }
    }

    fn journal(&self) -> Journal {
        journal(&self.dir)
    }

    fn back(&mut self, before: BeforeRemount) -> StepResult {
        let mut j = self.journal();
        steps(&mut self.fake, &mut self.init, &mut j, &self.rec, before)
    }

    /// The table equals the one before enter, as return promises.
    fn assert_returned(&self) {
        assert_eq!(
            mounts::differences(&self.rec, &self.fake.table),
            Vec::<String>::new(),
            "{:#?}",
            self.fake.table
        );
        assert!(!is_lifted(&self.fake.table));
    }
}

#[test]
fn from_lifted_but_not_released() {
    let mut r = Run::new("back-lifted");
    lift(&mut r.fake);
    let mut asked = false;
    r.back(&mut |_| {
        asked = true;
        Ok(())
    })
    .unwrap();
    assert!(!asked, "the root was still mounted: nothing to check");
    r.assert_returned();
    assert!(
        !r.fake
            .calls
            .iter()
            .any(|c| c.starts_with("mount /dev/mapper"))
    );
    assert_eq!(r.init.calls, ["wake", "services"]);
}

#[test]
fn from_released_with_parked_and_unmounted_mounts() {
    let mut r = Run::new("back-released");
    lift(&mut r.fake);
    let mut j = r.journal();
    mounts::release(&mut r.fake, &mut j, &mut r.rec, &Facts).unwrap();
    r.fake.calls.clear();
    let mut asked = 0;
    r.back(&mut |_| {
        asked += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(asked, 1);
    // The root first, then the API filesystems, the pivot, the mounts, and
    // only then PID 1.
    let order: Vec<&str> = r
        .fake
        .calls
        .iter()
        .map(|c| c.split(' ').next().unwrap_or(""))
        .collect();
    let first = |op: &str| order.iter().position(|o| *o == op).unwrap();
    assert!(first("mount") < first("move"));
    assert!(first("move") < first("pivot"));
    assert!(first("pivot") < first("bind"));
    assert!(first("bind") < first("propagation"));
    r.assert_returned();
    for id in [10, 11, 12, 13, 16, 18, 19] {
        assert!(
            r.fake.table.iter().any(|m| m.mount_id == id),
            "parked mount {id} is back"
        );
    }
}

#[test]
fn a_refusal_of_the_layer_above_leaves_the_root_unmounted() {
    let mut r = Run::new("back-refused");
    lift(&mut r.fake);
    let mut j = r.journal();
    mounts::release(&mut r.fake, &mut j, &mut r.rec, &Facts).unwrap();
    r.fake.calls.clear();
    let (step, e) = r
        .back(&mut |_| Err(Error::failed("the repair failed".into())))
        .unwrap_err();
    assert_eq!(step, "finish-job");
    assert_eq!(e.to_string(), "the repair failed");
    assert!(r.fake.calls.is_empty(), "{:?}", r.fake.calls);
    assert!(r.init.calls.is_empty());
    assert!(is_lifted(&r.fake.table));
}

#[test]
fn a_busy_root_device_is_not_mounted_again() {
    let mut r = Run::new("back-busy");
    lift(&mut r.fake);
    let mut j = r.journal();
    mounts::release(&mut r.fake, &mut j, &mut r.rec, &Facts).unwrap();
    r.fake.held.push("/dev/mapper/vg0-root".into());
    let (step, e) = r.back(&mut |_| Ok(())).unwrap_err();
    assert_eq!(step, "mount-root");
    assert!(e.is_refused(), "{e}");
}

#[test]
fn from_an_enter_cut_short_before_its_pivot() {
    let mut r = Run::new("back-before-pivot");
    r.fake
        .propagation("/", super::super::ops::Propagation::Private, true)
        .unwrap();
    r.fake
        .mount_fs(
            TMPFS_SOURCE,
            NEWROOT,
            "tmpfs",
            rustix::mount::MountFlags::empty(),
            "",
        )
        .unwrap();
    r.back(&mut |_| Ok(())).unwrap();
    r.assert_returned();
    assert!(!r.fake.calls.iter().any(|c| c.starts_with("pivot")));
}

#[test]
fn from_an_enter_cut_short_between_its_moves() {
    let mut r = Run::new("back-mid-moves");
    r.fake
        .propagation("/", super::super::ops::Propagation::Private, true)
        .unwrap();
    r.fake
        .mount_fs(
            TMPFS_SOURCE,
            NEWROOT,
            "tmpfs",
            rustix::mount::MountFlags::empty(),
            "",
        )
        .unwrap();
    r.fake
        .pivot_root(NEWROOT, &format!("{NEWROOT}{OLDROOT}"))
        .unwrap();
    r.fake.move_mount("/oldroot/proc", "/proc").unwrap();
    r.back(&mut |_| Ok(())).unwrap();
    r.assert_returned();
}

#[test]
fn from_a_return_cut_short_after_its_moves_back() {
    let mut r = Run::new("back-mid-return");
    lift(&mut r.fake);
    for api in MOVED {
        r.fake.move_mount(api, &format!("{OLDROOT}{api}")).unwrap();
    }
    r.back(&mut |_| Ok(())).unwrap();
    r.assert_returned();
}

#[test]
fn twice_in_a_row_and_from_a_returned_system() {
    let mut r = Run::new("back-twice");
    lift(&mut r.fake);
    r.back(&mut |_| Ok(())).unwrap();
    r.assert_returned();
    r.fake.calls.clear();
    r.back(&mut |_| Ok(())).unwrap();
    r.assert_returned();
    assert!(
        r.fake.calls.is_empty(),
        "a second return changes nothing: {:?}",
        r.fake.calls
    );
}

/// The cleanup after a return removes empty directories only: a park
/// directory with something in it (a mount that did not move back would
/// show its files there) keeps every file, and so does the park.
#[test]
fn only_empty_directories_are_removed_after_a_return() {
    let park = std::env::temp_dir().join(format!("rootlift-park-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&park);
    for d in ["7", "9", "12/sub"] {
        std::fs::create_dir_all(park.join(d)).unwrap();
    }
    std::fs::write(park.join("9/data"), b"kept").unwrap();
    remove_empty_dirs(&park);
    let left: Vec<bool> = ["7", "9", "9/data", "12", "12/sub"]
        .iter()
        .map(|p| park.join(p).exists())
        .collect();
    let data = std::fs::read(park.join("9/data"));
    let _ = std::fs::remove_dir_all(&park);
    assert_eq!(left, [false, true, true, true, true]);
    assert_eq!(data.unwrap(), b"kept");

    let empty = std::env::temp_dir().join(format!("rootlift-newroot-{}", std::process::id()));
    std::fs::create_dir_all(empty.join("a")).unwrap();
    remove_empty_dirs(&empty);
    assert!(!empty.exists(), "an empty tree of one level goes");
}
