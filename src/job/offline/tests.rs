//! The offline checks before and after a shrink, and the way back's
//! reading of a failed repair, on plain values and journal text.

use super::*;
use crate::journal::parse;

fn facts() -> Facts {
    Facts {
        device: "/dev/test".into(),
        block_size: 4096,
        block_count: 100_000,
        free_blocks: 60_000,
        min_blocks: 30_000,
        clean: true,
        errors: false,
        needs_recovery: false,
        orphans: false,
        checksum_ok: true,
        refusal: None,
    }
}

#[test]
fn the_gate_before_resize2fs_refuses_every_unsafe_state() {
    check_before(&facts(), 50_000).unwrap();
    check_before(&facts(), 30_000).unwrap();
    type Change = Box<dyn Fn(&mut Facts)>;
    let cases: [(&str, Change, u64); 8] = [
        ("below the shrink floor", Box::new(|_| {}), 29_999),
        ("not smaller", Box::new(|_| {}), 100_000),
        ("not clean", Box::new(|f| f.clean = false), 50_000),
        ("not clean", Box::new(|f| f.errors = true), 50_000),
        ("not clean", Box::new(|f| f.needs_recovery = true), 50_000),
        ("not clean", Box::new(|f| f.orphans = true), 50_000),
        ("checksum", Box::new(|f| f.checksum_ok = false), 50_000),
        (
            "cannot be shrunk",
            Box::new(|f| f.refusal = Some("bigalloc".into())),
            50_000,
        ),
    ];
    for (want, change, target) in cases {
        let mut f = facts();
        change(&mut f);
        let e = check_before(&f, target).unwrap_err();
        assert!(e.is_refused(), "{want}: {e}");
        assert!(e.to_string().contains(want), "{want}: {e}");
    }
}

#[test]
fn after_a_shrink_the_sizes_must_be_exact() {
    let mut f = facts();
    f.block_count = 50_000;
    check_after(&f, 50_000, false, 400 << 20).unwrap();
    check_after(&f, 49_000, true, 50_000 * 4096).unwrap();
    assert!(check_after(&f, 49_000, false, 400 << 20).is_err());
    assert!(check_after(&f, 50_000, true, 50_001 * 4096).is_err());
}

#[test]
fn a_failed_repair_is_read_from_the_journal_until_a_check_is_clean() {
    let head = "1.000 idle enter.begin pid=1\n";
    let exec =
        |args: &str| format!("2.000 job job.exec argv=/sbin/e2fsck%20-f%20{args}%20/dev/x\n");
    let exit = |code: i32| format!("3.000 job job.exit program=/sbin/e2fsck code={code}\n");
    let read = |t: String| last_e2fsck_failure(&parse(&t).unwrap());
    assert_eq!(read(format!("{head}{}{}", exec("-y"), exit(0))), None);
    assert_eq!(read(format!("{head}{}{}", exec("-y"), exit(1))), None);
    assert_eq!(read(format!("{head}{}{}", exec("-y"), exit(2))), None);
    assert_eq!(read(format!("{head}{}{}", exec("-y"), exit(4))), Some(4));
    assert_eq!(read(format!("{head}{}{}", exec("-y"), exit(8))), Some(8));
    assert_eq!(read(format!("{head}{}{}", exec("-n"), exit(1))), Some(1));
    assert_eq!(read(format!("{head}{}{}", exec("-n"), exit(0))), None);
    // A clean read-only check after the failed repair clears it.
    assert_eq!(
        read(format!(
            "{head}{}{}{}{}",
            exec("-y"),
            exit(4),
            exec("-n"),
            exit(0)
        )),
        None
    );
    // Other programs do not count.
    let lvm = "4.000 job job.exec argv=/sbin/lvm%20lvreduce\n5.000 job job.exit program=/sbin/lvm code=5\n";
    assert_eq!(read(format!("{head}{}{}{lvm}", exec("-y"), exit(0))), None);
}

#[test]
fn an_abort_stops_the_job_before_its_next_step() {
    let dir = std::env::temp_dir().join(format!("rootlift-abort-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("journal");
    std::fs::write(&path, "1.000 idle enter.begin pid=1\n").unwrap();
    let mut j = Journal::for_test(&path);
    step(&mut j, "e2fsck", Detail::new()).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"2.000 job job.abort pid=9\n"))
        .unwrap();
    let e = step(&mut j, "resize2fs", Detail::new().with("blocks", 10)).unwrap_err();
    assert!(matches!(e.kind(), crate::error::Kind::Aborted(_)), "{e}");
    assert_eq!(
        e.to_string(),
        "aborted: 'rootlift abort' before the resize2fs step"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("job.step step=e2fsck"), "{text}");
    assert!(
        !text.contains("step=resize2fs"),
        "the aborted step is not begun: {text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
