//! rootlift: take a running Linux system's root filesystem offline without a
//! reboot, and put it back. This file only parses and dispatches; each
//! kernel interface lives in its own module of the library.
//!
//! The functions `dispatch` calls are `#[inline(never)]`: each called once,
//! LTO would merge them all into `main`, whose one large stack frame x86_64
//! then reaches with 4-byte offsets where a small frame takes 1 (4.4 KiB).

use std::ffi::OsStr;
use std::path::Path;
use std::process::ExitCode;

use rootlift::cli::{self, Command};
use rootlift::error::{Error, Result};
use rootlift::{bring, dm, ext4, job, lift, output, parts, plan, probe, stub};

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let argv0 = args.next();
    // Exec'd as PID 1 under an init's name: the init stub, which never
    // returns (see stub.rs).
    if stub::is_stub(argv0.as_deref()) {
        stub::run();
    }
    // Exec'd by systemd-shutdown as /run/initramfs/shutdown: the job
    // installed with --at-shutdown, then reboot(2).
    if job::shutdown::is_shutdown(argv0.as_deref()) {
        job::shutdown::run(&std::env::args_os().collect::<Vec<_>>());
    }
    let parsed = match argv0.as_deref().map(Path::new).and_then(Path::file_name) {
        // Multi-call: as `switch_root` in an initramfs, util-linux's syntax.
        Some(name) if name == OsStr::new("switch_root") => cli::parse_switch_root_multicall(args),
        _ => cli::parse(args),
    };
    match parsed.and_then(dispatch) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

fn dispatch(cmd: Command) -> Result<()> {
    match cmd {
        Command::Help(None) => output::text(cli::usage_text()),
        Command::Help(Some(topic)) => match cli::help_text(&topic) {
            Some(text) => output::text(text),
            None => Err(Error::usage(format!(
                "no help for unknown command '{topic}' (see rootlift --help)"
            ))),
        },
        Command::Version => output::text(concat!("rootlift ", env!("CARGO_PKG_VERSION"), "\n")),
        Command::Ext4 { path, json } => ext4::command(&path, json),
        Command::Parts { path, json } => parts::command(&path, json),
        Command::Probe { paths, json } => probe::command(&paths, json),
        Command::Dm(dm_cmd) => dm::command(dm_cmd),
        Command::Bring {
            dest,
            programs,
            json,
        } => bring::command(&dest, &programs, json),
        Command::Enter { size, bring, ssh } => job::live::enter(size, bring, ssh),
        Command::InternalEntered => job::worker::entered(),
        Command::InternalWorker => job::worker::worker(),
        Command::InternalSpawn { cgroup, argv } => lift::resume::internal_spawn(&cgroup, &argv),
        Command::InternalKeeper { fds } => lift::sshd::keeper(&fds),
        Command::InternalHandback { keeper, fds, argv } => {
            lift::sshd::handback(&keeper, &fds, &argv)
        }
        Command::Shrink {
            size,
            device,
            job,
            growpart,
        } => job::live::shrink(size, device.as_deref(), &job, growpart),
        Command::Fsck { job } => job::live::fsck(&job),
        Command::Run { job, argv } => job::live::run(&job, &argv),
        Command::Confirm => job::control::confirm(),
        Command::Abort => job::control::abort(),
        Command::Plan { json } => plan::command(json),
        Command::Grow { target, path } => rootlift::grow::command(target, path.as_deref()),
        Command::Return => job::control::return_command(),
        Command::Release {
            kill,
            grace,
            drop_unrestorable,
        } => lift::release::command(&lift::release::ReleaseOptions {
            kill,
            grace,
            drop_unrestorable,
        }),
        Command::Holders { target, json } => {
            rootlift::proc::holders::command(target.as_deref(), json)
        }
        Command::Status { json, follow } => job::status::command(json, follow),
        Command::SwitchRoot {
            newroot,
            init,
            args,
        } => rootlift::switch_root::command(&newroot, &init, &args),
    }
}
