//! release and return of the mounts below the root, on the recording fake:
//! the order release acts in, what return puts back, and that the table
//! after the round trip equals the one before.

use super::*;
use crate::journal::parse;
use crate::lift::ops::fake::Fake;
use crate::lift::testkit::*;

#[test]
fn release_parks_independent_mounts_and_unmounts_dependent_ones_deepest_first() {
    let table = mountinfo::parse(TABLE).unwrap();
    let mut rec = record(&table);
    let mut f = Fake::with_table(TABLE);
    f.swaps.push("/oldroot/swapfile".into());
    lift(&mut f);
    f.calls.clear();
    let dir = scratch("release");
    let mut j = journal(&dir);
    release(&mut f, &mut j, &mut rec, &Facts).unwrap();
    let acts: Vec<&str> = f
        .calls
        .iter()
        .map(String::as_str)
        .filter(|c| !c.starts_with("mkdir"))
        .collect();
    assert_eq!(
        acts,
        [
            "swapoff /oldroot/swapfile",
            // Deepest first: the tmpfs below a bind is parked before the
            // bind goes, the bind below /home is unmounted before /home
            // moves; /tmp/sub moves with /tmp; of the two mounts stacked at
            // /mnt/stack the upper one goes first.
            "move /oldroot/srv/www/cache -> /run/rootlift/park/16",
            "move /oldroot/mnt/stack -> /run/rootlift/park/19",
            "move /oldroot/mnt/stack -> /run/rootlift/park/18",
            "umount /oldroot/mnt/img",
            "loop-detach /dev/loop0",
            "umount /oldroot/srv/www",
            "umount /oldroot/home/data",
            "move /oldroot/home -> /run/rootlift/park/13",
            "move /oldroot/tmp -> /run/rootlift/park/11",
            "move /oldroot/boot -> /run/rootlift/park/10",
            "umount /oldroot",
        ]
    );
    // Nothing of the root is left mounted; the parked ones kept their IDs.
    assert!(f.table.iter().all(|m| m.source != "/dev/mapper/vg0-root"));
    f.exclusive("/dev/mapper/vg0-root").unwrap();
    for (id, at) in [
        (10, "/run/rootlift/park/10"),
        (12, "/run/rootlift/park/11/sub"),
        (19, "/run/rootlift/park/19"),
    ] {
        assert!(
            f.table
                .iter()
                .any(|m| m.mount_id == id && m.mount_point == at),
            "{id} at {at}"
        );
    }
    // Every step is in the journal, and return can read them back.
    let text = std::fs::read_to_string(dir.join("journal")).unwrap();
    let done = Released::from_cycle(&parse(&text).unwrap());
    assert_eq!(done.parked.len(), 6);
    assert_eq!(done.unmounted, [17, 15, 14]);
    assert_eq!(done.swapped_off, ["/swapfile"]);
}

#[test]
fn a_round_trip_gives_the_same_table_with_the_same_propagation() {
    let table = mountinfo::parse(TABLE).unwrap();
    let mut rec = record(&table);
    let mut f = Fake::with_table(TABLE);
    lift(&mut f);
    let dir = scratch("round");
    let mut j = journal(&dir);
    release(&mut f, &mut j, &mut rec, &Facts).unwrap();
    unlift(&mut f);
    let text = std::fs::read_to_string(dir.join("journal")).unwrap();
    let done = Released::from_cycle(&parse(&text).unwrap());
    restore(&mut f, &mut j, &rec, &done).unwrap();
    f.umount("/run/rootlift/root", rustix::mount::UnmountFlags::empty())
        .unwrap();
    assert_eq!(
        differences(&rec, &f.table),
        Vec::<String>::new(),
        "{:#?}",
        f.table
    );
    // Parked mounts are the same mounts; the binds are peers of / again.
    for id in [10, 11, 12, 13, 16, 18, 19] {
        assert!(f.table.iter().any(|m| m.mount_id == id), "{id}");
    }
    let group = |p: &str| mountinfo::at(&f.table, p).unwrap().shared;
    assert_eq!(group("/srv/www"), group("/"));
    assert_eq!(group("/home/data"), group("/"));
    assert_ne!(group("/boot"), group("/"));
    // Again: nothing left to do, nothing done twice.
    let text = std::fs::read_to_string(dir.join("journal")).unwrap();
    let done = Released::from_cycle(&parse(&text).unwrap());
    f.calls.clear();
    restore(&mut f, &mut j, &rec, &done).unwrap();
    assert!(
        f.calls.iter().all(|c| c.starts_with("swapon")),
        "{:?}",
        f.calls
    );
}

#[test]
fn return_after_a_crash_half_way_through_release_restores_what_was_done() {
    let table = mountinfo::parse(TABLE).unwrap();
    let mut rec = record(&table);
    let mut f = Fake::with_table(TABLE);
    lift(&mut f);
    // The move of /oldroot/tmp fails (say, the worker was killed there).
    f.fail = Some("move");
    let dir = scratch("crash");
    let mut j = journal(&dir);
    assert!(release(&mut f, &mut j, &mut rec, &Facts).is_err());
    // The root was never unmounted: return finds it at /oldroot.
    for api in ["/proc", "/sys", "/dev", "/run"] {
        f.move_mount(api, &format!("/oldroot{api}")).unwrap();
    }
    f.pivot_root("/oldroot", "/oldroot/run/rootlift/root")
        .unwrap();
    let text = std::fs::read_to_string(dir.join("journal")).unwrap();
    let done = Released::from_cycle(&parse(&text).unwrap());
    // The failed park was journaled first: return finds the mount still in
    // place and leaves it.
    assert_eq!(done.parked.len(), 1);
    restore(&mut f, &mut j, &rec, &done).unwrap();
    f.umount("/run/rootlift/root", rustix::mount::UnmountFlags::empty())
        .unwrap();
    assert_eq!(differences(&rec, &f.table), Vec::<String>::new());
}

#[test]
fn unrestorable_mounts_refuse_the_release_unless_dropped() {
    let lines = format!("{TABLE}20 1 0:50 / /mnt/sshfs rw - fuse.sshfs u@h: rw\n");
    let table = mountinfo::parse(&lines).unwrap();
    let rec = record(&table);
    let mut f = Fake::with_table(&lines);
    lift(&mut f);
    let err = check_restorable(&f, &rec, &Facts, false).unwrap_err();
    assert!(err.is_refused(), "{err}");
    assert!(
        err.to_string().contains("/mnt/sshfs (a fuse filesystem"),
        "{err}"
    );
    check_restorable(&f, &rec, &Facts, true).unwrap();
    let mut rec = rec;
    let dir = scratch("drop");
    let mut j = journal(&dir);
    release(&mut f, &mut j, &mut rec, &Facts).unwrap();
    assert!(f.calls.iter().any(|c| c == "umount /oldroot/mnt/sshfs"));
    let text = std::fs::read_to_string(dir.join("journal")).unwrap();
    let done = Released::from_cycle(&parse(&text).unwrap());
    assert!(
        !done.unmounted.contains(&20),
        "a lost mount is not re-created"
    );
}

#[test]
fn a_mount_that_appeared_after_enter_is_recorded_and_handled() {
    let table = mountinfo::parse(TABLE).unwrap();
    let mut rec = record(&table);
    let mut f = Fake::with_table(TABLE);
    lift(&mut f);
    f.mount_fs(
        "tmpfs",
        "/oldroot/mnt/late",
        "tmpfs",
        rustix::mount::MountFlags::empty(),
        "",
    )
    .unwrap();
    let dir = scratch("late");
    let mut j = journal(&dir);
    release(&mut f, &mut j, &mut rec, &Facts).unwrap();
    let late = rec.mounts.iter().find(|m| m.path == "/mnt/late").unwrap();
    assert_eq!(late.class, Class::Independent);
    let text = std::fs::read_to_string(dir.join("journal")).unwrap();
    assert!(text.contains("record.mount id=") && text.contains("path=/mnt/late"));
}

#[test]
fn a_busy_dependent_mount_fails_the_release_with_its_path() {
    let table = mountinfo::parse(TABLE).unwrap();
    let mut rec = record(&table);
    let mut f = Fake::with_table(TABLE);
    lift(&mut f);
    f.busy.push("/oldroot/srv/www".into());
    let dir = scratch("busy");
    let mut j = journal(&dir);
    let err = release(&mut f, &mut j, &mut rec, &Facts).unwrap_err();
    assert!(err.to_string().contains("/oldroot/srv/www"), "{err}");
    assert!(!f.calls.iter().any(|c| c == "umount /oldroot"));
}
