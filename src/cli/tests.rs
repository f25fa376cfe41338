use std::path::PathBuf;
use std::time::Duration;

use super::*;
use crate::cli::dm::TableSource;

fn ok(args: &[&str]) -> Command {
    parse(args.iter().copied()).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn usage_err(args: &[&str]) -> String {
    match parse(args.iter().copied()) {
        Err(e) if matches!(e.kind(), crate::error::Kind::Usage(_)) => e.to_string(),
        other => panic!("{args:?}: expected a usage error, got {other:?}"),
    }
}

#[test]
fn top_level_help_and_version() {
    assert_eq!(ok(&["--help"]), Command::Help(None));
    assert_eq!(ok(&["-h"]), Command::Help(None));
    assert_eq!(ok(&["--version"]), Command::Version);
    assert_eq!(
        ok(&["help", "shrink"]),
        Command::Help(Some("shrink".into()))
    );
    usage_err(&[]);
    assert!(usage_err(&["frobnicate"]).contains("unknown command 'frobnicate'"));
    assert!(usage_err(&["--bogus"]).contains("--bogus"));
}

#[test]
fn every_subcommand_has_help() {
    for cmd in [
        "plan",
        "shrink",
        "fsck",
        "run",
        "grow",
        "status",
        "confirm",
        "abort",
        "enter",
        "release",
        "return",
        "probe",
        "ext4",
        "parts",
        "holders",
        "dm",
        "bring",
        "switch-root",
    ] {
        assert_eq!(
            ok(&[cmd, "--help"]),
            Command::Help(Some(cmd.into())),
            "{cmd}"
        );
        assert!(help_text(cmd).is_some(), "{cmd}");
    }
}

#[test]
fn shrink_forms() {
    assert_eq!(
        ok(&["shrink", "8G"]),
        Command::Shrink {
            size: Size(8 << 30),
            device: None,
            job: JobOptions {
                mode: Mode::Live,
                yes: false,
                confirm_within: None,
                bring: vec![],
                drop_unrestorable: false,
            },
            growpart: Growpart::Refuse,
        }
    );
    let Command::Shrink {
        size,
        device,
        job,
        growpart,
    } = ok(&[
        "shrink",
        "--at-shutdown",
        "409600000",
        "--drop-unrestorable",
        "--device",
        "/dev/vg0/root",
        "--confirm-within",
        "5m",
        "--yes",
        "--keep-growpart",
    ])
    else {
        panic!()
    };
    assert_eq!(growpart, Growpart::Keep);
    assert_eq!(size, Size(409_600_000));
    assert!(job.drop_unrestorable);
    assert_eq!(device, Some(PathBuf::from("/dev/vg0/root")));
    assert_eq!(job.mode, Mode::AtShutdown);
    assert!(job.yes);
    assert_eq!(job.confirm_within, Some(Duration::from_secs(300)));

    usage_err(&["shrink"]);
    usage_err(&["shrink", "8G", "9G"]);
    usage_err(&["shrink", "0"]);
    usage_err(&["shrink", "8Q"]);
    usage_err(&["shrink", "-1G"]);
    assert!(usage_err(&["shrink", "100000b"]).contains("bytes or filesystem blocks"));
    assert!(usage_err(&["shrink", "8G", "--live", "--at-shutdown"]).contains("exclude"));
    assert!(
        usage_err(&["shrink", "8G", "--keep-growpart", "--disable-growpart"]).contains("exclude")
    );
    assert!(matches!(
        ok(&["shrink", "8G", "--disable-growpart"]),
        Command::Shrink {
            growpart: Growpart::Disable,
            ..
        }
    ));
    usage_err(&["shrink", "8G", "--confirm-within", "soon"]);
}

#[test]
fn run_takes_everything_after_double_dash() {
    let Command::Run { job, argv } = ok(&[
        "run",
        "--bring",
        "/sbin/debugfs",
        "--",
        "/sbin/debugfs",
        "-R",
        "stats",
        "--json",
    ]) else {
        panic!()
    };
    assert_eq!(job.bring, vec![PathBuf::from("/sbin/debugfs")]);
    assert_eq!(argv, ["/sbin/debugfs", "-R", "stats", "--json"]);
    usage_err(&["run"]);
    usage_err(&["run", "--"]);
}

#[test]
fn grow_forms() {
    assert_eq!(
        ok(&["grow"]),
        Command::Grow {
            target: GrowTarget::Max,
            path: None
        }
    );
    assert_eq!(
        ok(&["grow", "max", "/srv"]),
        Command::Grow {
            target: GrowTarget::Max,
            path: Some("/srv".into())
        }
    );
    assert_eq!(
        ok(&["grow", "/srv"]),
        Command::Grow {
            target: GrowTarget::Max,
            path: Some("/srv".into())
        }
    );
    assert_eq!(
        ok(&["grow", "20G"]),
        Command::Grow {
            target: GrowTarget::Size(Size(20 << 30)),
            path: None
        }
    );
    usage_err(&["grow", "big"]);
    usage_err(&["grow", "1G", "/a", "/b"]);
}

#[test]
fn steps() {
    assert_eq!(
        ok(&["enter", "--size", "64M", "--bring", "/sbin/e2fsck", "--ssh"]),
        Command::Enter {
            size: Some(Size(64 << 20)),
            bring: vec!["/sbin/e2fsck".into()],
            ssh: true
        }
    );
    assert_eq!(
        ok(&["release"]),
        Command::Release {
            kill: false,
            grace: DEFAULT_GRACE,
            drop_unrestorable: false
        }
    );
    assert_eq!(
        ok(&["release", "--kill", "--grace", "10s", "--drop-unrestorable"]),
        Command::Release {
            kill: true,
            grace: Duration::from_secs(10),
            drop_unrestorable: true
        }
    );
    assert_eq!(ok(&["return"]), Command::Return);
    usage_err(&["return", "now"]);
    assert_eq!(ok(&["confirm"]), Command::Confirm);
    assert_eq!(ok(&["abort"]), Command::Abort);
}

#[test]
fn read_only_commands_take_json() {
    assert_eq!(ok(&["plan", "--json"]), Command::Plan { json: true });
    assert_eq!(
        ok(&["status", "--json", "--follow"]),
        Command::Status {
            json: true,
            follow: true
        }
    );
    assert_eq!(
        ok(&["probe", "a.img", "--json", "/dev/vda"]),
        Command::Probe {
            paths: vec!["a.img".into(), "/dev/vda".into()],
            json: true
        }
    );
    assert_eq!(
        ok(&["ext4", "--json", "a.img"]),
        Command::Ext4 {
            path: "a.img".into(),
            json: true
        }
    );
    assert_eq!(
        ok(&["parts", "/dev/vda", "--json"]),
        Command::Parts {
            path: "/dev/vda".into(),
            json: true
        }
    );
    assert_eq!(
        ok(&["holders"]),
        Command::Holders {
            target: None,
            json: false
        }
    );
    usage_err(&["probe"]);
    usage_err(&["ext4"]);
    usage_err(&["ext4", "a", "b"]);
    assert!(usage_err(&["parts"]).contains("parts needs a DEV or FILE"));
    usage_err(&["parts", "a", "b"]);
    usage_err(&["plan", "extra"]);
}

#[test]
fn bring_and_switch_root() {
    assert_eq!(
        ok(&["bring", "/tmp/kit", "/sbin/e2fsck", "/sbin/resize2fs"]),
        Command::Bring {
            dest: "/tmp/kit".into(),
            programs: vec!["/sbin/e2fsck".into(), "/sbin/resize2fs".into()],
            json: false
        }
    );
    usage_err(&["bring", "/tmp/kit"]);
    assert_eq!(
        ok(&["switch-root", "/newroot", "/sbin/init", "--system", "-x"]),
        Command::SwitchRoot {
            newroot: "/newroot".into(),
            init: "/sbin/init".into(),
            args: vec!["--system".into(), "-x".into()],
        }
    );
    usage_err(&["switch-root", "/newroot"]);
    assert_eq!(
        parse_switch_root_multicall(["/sysroot", "/sbin/init"]).unwrap(),
        Command::SwitchRoot {
            newroot: "/sysroot".into(),
            init: "/sbin/init".into(),
            args: vec![],
        }
    );
}

#[test]
fn dm_forms() {
    assert_eq!(
        ok(&["dm", "ls", "--json"]),
        Command::Dm(DmCommand::Ls { json: true })
    );
    assert_eq!(
        ok(&["dm", "info", "vg0-root"]),
        Command::Dm(DmCommand::Info {
            device: "vg0-root".into(),
            json: false
        })
    );
    assert_eq!(
        ok(&[
            "dm",
            "create",
            "lin",
            "--uuid",
            "U1",
            "--table",
            "0 100 linear /dev/vda 0",
            "--table",
            "100 50 zero",
        ]),
        Command::Dm(DmCommand::Create {
            name: "lin".into(),
            uuid: Some("U1".into()),
            readonly: false,
            table: TableSource::Lines(vec!["0 100 linear /dev/vda 0".into(), "100 50 zero".into()]),
        })
    );
    assert_eq!(
        ok(&["dm", "load", "lin", "--table-file", "t.txt"]),
        Command::Dm(DmCommand::Load {
            name: "lin".into(),
            readonly: false,
            table: TableSource::File("t.txt".into()),
        })
    );
    assert_eq!(
        ok(&["dm", "rename", "a", "b"]),
        Command::Dm(DmCommand::Rename {
            old: "a".into(),
            new: "b".into()
        })
    );
    assert_eq!(
        ok(&["dm", "suspend", "a", "--noflush"]),
        Command::Dm(DmCommand::Suspend {
            name: "a".into(),
            nolockfs: false,
            noflush: true
        })
    );
    usage_err(&["dm", "create", "lin"]);
    usage_err(&["dm", "create", "lin", "--table", "x", "--table-file", "f"]);
    usage_err(&["dm", "info"]);
    usage_err(&["dm", "ls", "extra"]);
    assert!(usage_err(&["dm", "remove", "a", "--json"]).contains("does not take --json"));
    usage_err(&["dm", "explode"]);
}
