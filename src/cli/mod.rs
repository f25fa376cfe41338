//! The command line, as docs/commands.md defines it.
//!
//! Parsing is pure: [`parse`] takes the arguments after the program name and
//! returns a [`Command`] or a usage error (exit 2). Nothing here touches the
//! system, so every form is unit-tested from a plain list of strings.

mod dm;
mod help;
mod value;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use lexopt::prelude::*;

pub use crate::dm::{DmCommand, TableSource};
pub use crate::job::{Growpart, JobOptions, Mode};
pub use crate::size::{GrowTarget, Size};
pub use help::{help_text, usage_text};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `--help` or `help [COMMAND]`.
    Help(Option<String>),
    Version,
    Plan {
        json: bool,
    },
    Shrink {
        size: Size,
        device: Option<PathBuf>,
        job: JobOptions,
        growpart: Growpart,
    },
    Fsck {
        job: JobOptions,
    },
    Run {
        job: JobOptions,
        argv: Vec<OsString>,
    },
    Grow {
        target: GrowTarget,
        path: Option<PathBuf>,
    },
    Status {
        json: bool,
        follow: bool,
    },
    Confirm,
    Abort,
    Enter {
        size: Option<Size>,
        bring: Vec<PathBuf>,
        ssh: bool,
    },
    Release {
        kill: bool,
        grace: Duration,
        drop_unrestorable: bool,
    },
    Return,
    Probe {
        paths: Vec<PathBuf>,
        json: bool,
    },
    Ext4 {
        path: PathBuf,
        json: bool,
    },
    Parts {
        path: PathBuf,
        json: bool,
    },
    Holders {
        target: Option<PathBuf>,
        json: bool,
    },
    Dm(DmCommand),
    Bring {
        dest: PathBuf,
        programs: Vec<PathBuf>,
        json: bool,
    },
    SwitchRoot {
        newroot: PathBuf,
        init: PathBuf,
        args: Vec<OsString>,
    },
    /// See [`INTERNAL_ENTERED`].
    InternalEntered,
    /// See [`INTERNAL_WORKER`].
    InternalWorker,
    /// See [`INTERNAL_SPAWN`]: join CGROUP (may be empty), exec ARGV.
    InternalSpawn {
        cgroup: String,
        argv: Vec<OsString>,
    },
    /// See [`INTERNAL_KEEPER`]: serve the inherited listening FDS.
    InternalKeeper {
        fds: Vec<String>,
    },
    /// See [`INTERNAL_HANDBACK`]: take KEEPER's FDS, exec ARGV with them.
    InternalHandback {
        keeper: String,
        fds: String,
        argv: Vec<OsString>,
    },
}

pub use crate::job::worker::INTERNAL_WORKER;
pub use crate::lift::INTERNAL_ENTERED;
pub use crate::lift::release::DEFAULT_GRACE;
pub use crate::lift::resume::INTERNAL_SPAWN;
pub use crate::lift::sshd::{INTERNAL_HANDBACK, INTERNAL_KEEPER};

impl Command {
    /// The subcommand's name as the user types it.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Help(_) => "help",
            Command::Version => "version",
            Command::Plan { .. } => "plan",
            Command::Shrink { .. } => "shrink",
            Command::Fsck { .. } => "fsck",
            Command::Run { .. } => "run",
            Command::Grow { .. } => "grow",
            Command::Status { .. } => "status",
            Command::Confirm => "confirm",
            Command::Abort => "abort",
            Command::Enter { .. } => "enter",
            Command::Release { .. } => "release",
            Command::Return => "return",
            Command::Probe { .. } => "probe",
            Command::Ext4 { .. } => "ext4",
            Command::Parts { .. } => "parts",
            Command::Holders { .. } => "holders",
            Command::Dm(_) => "dm",
            Command::Bring { .. } => "bring",
            Command::SwitchRoot { .. } => "switch-root",
            Command::InternalEntered => INTERNAL_ENTERED,
            Command::InternalWorker => INTERNAL_WORKER,
            Command::InternalSpawn { .. } => INTERNAL_SPAWN,
            Command::InternalKeeper { .. } => INTERNAL_KEEPER,
            Command::InternalHandback { .. } => INTERNAL_HANDBACK,
        }
    }
}

/// Parses the arguments that follow the program name.
#[inline(never)]
pub fn parse<I>(args: I) -> Result<Command>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let mut p = lexopt::Parser::from_args(args);
    let sub = match p.next().map_err(usage)? {
        Some(Long("help") | Short('h')) => return Ok(Command::Help(None)),
        Some(Long("version") | Short('V')) => return Ok(Command::Version),
        Some(Value(v)) => string(v)?,
        Some(other) => return Err(usage(other.unexpected())),
        None => {
            return Err(Error::usage(
                "no command given (see rootlift --help)".into(),
            ));
        }
    };
    let cmd = match sub.as_str() {
        "help" => parse_help(&mut p)?,
        "version" => no_args(&mut p, "version", Command::Version)?,
        "plan" => parse_plan(&mut p)?,
        "shrink" => parse_shrink(&mut p)?,
        "fsck" => parse_fsck(&mut p)?,
        "run" => parse_run(&mut p)?,
        "grow" => parse_grow(&mut p)?,
        "status" => parse_status(&mut p)?,
        "confirm" => no_args(&mut p, "confirm", Command::Confirm)?,
        "abort" => no_args(&mut p, "abort", Command::Abort)?,
        "enter" => parse_enter(&mut p)?,
        "release" => parse_release(&mut p)?,
        "return" => no_args(&mut p, "return", Command::Return)?,
        "probe" => parse_probe(&mut p)?,
        "ext4" => parse_ext4(&mut p)?,
        "parts" => parse_parts(&mut p)?,
        "holders" => parse_holders(&mut p)?,
        "dm" => dm::parse(&mut p)?,
        "bring" => parse_bring(&mut p)?,
        "switch-root" => parse_switch_root(&mut p)?,
        INTERNAL_ENTERED => no_args(&mut p, INTERNAL_ENTERED, Command::InternalEntered)?,
        INTERNAL_WORKER => no_args(&mut p, INTERNAL_WORKER, Command::InternalWorker)?,
        INTERNAL_SPAWN => parse_internal_spawn(&mut p)?,
        INTERNAL_KEEPER => Command::InternalKeeper {
            fds: p
                .raw_args()
                .map_err(usage)?
                .map(string)
                .collect::<Result<_>>()?,
        },
        INTERNAL_HANDBACK => parse_internal_handback(&mut p)?,
        other => {
            return Err(Error::usage(format!(
                "unknown command '{other}' (see rootlift --help)"
            )));
        }
    };
    Ok(cmd)
}

/// Parses util-linux `switch_root NEWROOT INIT [ARGS...]`, for when rootlift
/// is invoked under that name (multi-call, as in an initramfs).
#[inline(never)]
pub fn parse_switch_root_multicall<I>(args: I) -> Result<Command>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let mut p = lexopt::Parser::from_args(args);
    parse_switch_root(&mut p)
}

fn usage(e: impl std::fmt::Display) -> Error {
    Error::usage(format!("{e} (see rootlift --help)"))
}

fn string(v: OsString) -> Result<String> {
    v.into_string()
        .map_err(|v| Error::usage(format!("argument is not valid UTF-8: {v:?}")))
}

/// `--help` inside a subcommand answers with that subcommand's help.
fn help_for(cmd: &str) -> Command {
    Command::Help(Some(cmd.to_owned()))
}

#[inline(never)]
fn parse_help(p: &mut lexopt::Parser) -> Result<Command> {
    let topic = match p.next().map_err(usage)? {
        Some(Value(v)) => Some(string(v)?),
        Some(other) => return Err(usage(other.unexpected())),
        None => None,
    };
    if let Some(extra) = p.next().map_err(usage)? {
        return Err(usage(extra.unexpected()));
    }
    Ok(Command::Help(topic))
}

fn no_args(p: &mut lexopt::Parser, name: &str, cmd: Command) -> Result<Command> {
    match p.next().map_err(usage)? {
        None => Ok(cmd),
        Some(Long("help") | Short('h')) => Ok(help_for(name)),
        Some(other) => Err(usage(other.unexpected())),
    }
}

#[inline(never)]
fn parse_plan(p: &mut lexopt::Parser) -> Result<Command> {
    let mut json = false;
    while let Some(arg) = p.next().map_err(usage)? {
        match arg {
            Long("json") => json = true,
            Long("help") | Short('h') => return Ok(help_for("plan")),
            other => return Err(usage(other.unexpected())),
        }
    }
    Ok(Command::Plan { json })
}

/// An option every job accepts (it borrows nothing from the parser, so the
/// option's value can be read right after).
#[derive(Clone, Copy)]
enum JobKey {
    Live,
    AtShutdown,
    Yes,
    ConfirmWithin,
    Bring,
    DropUnrestorable,
}

impl JobKey {
    fn of(arg: &lexopt::Arg) -> Option<JobKey> {
        Some(match arg {
            Long("live") => JobKey::Live,
            Long("at-shutdown") => JobKey::AtShutdown,
            Long("yes") | Short('y') => JobKey::Yes,
            Long("confirm-within") => JobKey::ConfirmWithin,
            Long("bring") => JobKey::Bring,
            Long("drop-unrestorable") => JobKey::DropUnrestorable,
            _ => return None,
        })
    }
}

/// The options every job accepts, gathered while its own options are parsed.
struct JobArgs {
    job: JobOptions,
    modes_given: u8,
}

impl JobArgs {
    fn new() -> Self {
        JobArgs {
            job: JobOptions {
                mode: Mode::Live,
                yes: false,
                confirm_within: None,
                bring: Vec::new(),
                drop_unrestorable: false,
            },
            modes_given: 0,
        }
    }

    /// Takes a job option, with its value when it has one.
    fn take(&mut self, p: &mut lexopt::Parser, key: JobKey) -> Result<()> {
        match key {
            JobKey::Live => self.set_mode(Mode::Live),
            JobKey::AtShutdown => self.set_mode(Mode::AtShutdown),
            JobKey::Yes => self.job.yes = true,
            JobKey::ConfirmWithin => {
                let v = string(p.value().map_err(usage)?)?;
                self.job.confirm_within = Some(value::duration(&v)?);
            }
            JobKey::Bring => self
                .job
                .bring
                .push(PathBuf::from(p.value().map_err(usage)?)),
            JobKey::DropUnrestorable => self.job.drop_unrestorable = true,
        }
        Ok(())
    }

    fn set_mode(&mut self, mode: Mode) {
        self.job.mode = mode;
        self.modes_given = self.modes_given.saturating_add(1);
    }

    fn finish(self) -> Result<JobOptions> {
        if self.modes_given > 1 {
            return Err(usage("--live and --at-shutdown exclude each other"));
        }
        Ok(self.job)
    }
}

#[inline(never)]
fn parse_shrink(p: &mut lexopt::Parser) -> Result<Command> {
    let mut job = JobArgs::new();
    let mut size = None;
    let mut device = None;
    let mut growpart = Vec::new();
    while let Some(arg) = p.next().map_err(usage)? {
        if let Some(key) = JobKey::of(&arg) {
            job.take(p, key)?;
            continue;
        }
        match arg {
            Long("device") => device = Some(PathBuf::from(p.value().map_err(usage)?)),
            Long("disable-growpart") => growpart.push(Growpart::Disable),
            Long("keep-growpart") => growpart.push(Growpart::Keep),
            Long("help") | Short('h') => return Ok(help_for("shrink")),
            Value(v) if size.is_none() => size = Some(Size::parse(&string(v)?)?),
            other => return Err(usage(other.unexpected())),
        }
    }
    let job = job.finish()?;
    let size = size.ok_or_else(|| usage("shrink needs a SIZE, e.g. 'rootlift shrink 8G'"))?;
    let growpart = match growpart.as_slice() {
        [] => Growpart::Refuse,
        [one] => *one,
        _ => {
            return Err(usage(
                "--disable-growpart and --keep-growpart exclude each other",
            ));
        }
    };
    Ok(Command::Shrink {
        size,
        device,
        job,
        growpart,
    })
}

#[inline(never)]
fn parse_fsck(p: &mut lexopt::Parser) -> Result<Command> {
    let mut job = JobArgs::new();
    while let Some(arg) = p.next().map_err(usage)? {
        if let Some(key) = JobKey::of(&arg) {
            job.take(p, key)?;
            continue;
        }
        match arg {
            Long("help") | Short('h') => return Ok(help_for("fsck")),
            other => return Err(usage(other.unexpected())),
        }
    }
    let job = job.finish()?;
    Ok(Command::Fsck { job })
}

#[inline(never)]
fn parse_run(p: &mut lexopt::Parser) -> Result<Command> {
    let mut job = JobArgs::new();
    let mut argv = Vec::new();
    while let Some(arg) = p.next().map_err(usage)? {
        if let Some(key) = JobKey::of(&arg) {
            job.take(p, key)?;
            continue;
        }
        match arg {
            Long("help") | Short('h') => return Ok(help_for("run")),
            // lexopt hands out everything after `--` as plain values.
            Value(v) => {
                argv.push(v);
                argv.extend(p.raw_args().map_err(usage)?);
            }
            other => return Err(usage(other.unexpected())),
        }
    }
    let job = job.finish()?;
    if argv.is_empty() {
        return Err(usage("run needs a command after '--'"));
    }
    Ok(Command::Run { job, argv })
}

#[inline(never)]
fn parse_grow(p: &mut lexopt::Parser) -> Result<Command> {
    let mut values = Vec::new();
    while let Some(arg) = p.next().map_err(usage)? {
        match arg {
            Long("help") | Short('h') => return Ok(help_for("grow")),
            Value(v) if values.len() < 2 => values.push(v),
            other => return Err(usage(other.unexpected())),
        }
    }
    let mut values = values.into_iter();
    let (target, path) = match (values.next(), values.next()) {
        (None, _) => (GrowTarget::Max, None),
        (Some(first), second) => {
            let first_s = string(first.clone())?;
            match GrowTarget::parse(&first_s) {
                Ok(t) => (t, second.map(PathBuf::from)),
                // A single argument that is not a size is the PATH.
                Err(_) if second.is_none() && first_s.starts_with('/') => {
                    (GrowTarget::Max, Some(PathBuf::from(first)))
                }
                Err(e) => return Err(e),
            }
        }
    };
    Ok(Command::Grow { target, path })
}

#[inline(never)]
fn parse_status(p: &mut lexopt::Parser) -> Result<Command> {
    let (mut json, mut follow) = (false, false);
    while let Some(arg) = p.next().map_err(usage)? {
        match arg {
            Long("json") => json = true,
            Long("follow") | Short('f') => follow = true,
            Long("help") | Short('h') => return Ok(help_for("status")),
            other => return Err(usage(other.unexpected())),
        }
    }
    Ok(Command::Status { json, follow })
}

#[inline(never)]
fn parse_enter(p: &mut lexopt::Parser) -> Result<Command> {
    let (mut size, mut bring, mut ssh) = (None, Vec::new(), false);
    while let Some(arg) = p.next().map_err(usage)? {
        match arg {
            Long("size") => size = Some(Size::parse(&string(p.value().map_err(usage)?)?)?),
            Long("bring") => bring.push(PathBuf::from(p.value().map_err(usage)?)),
            Long("ssh") => ssh = true,
            Long("help") | Short('h') => return Ok(help_for("enter")),
            other => return Err(usage(other.unexpected())),
        }
    }
    Ok(Command::Enter { size, bring, ssh })
}

#[inline(never)]
fn parse_release(p: &mut lexopt::Parser) -> Result<Command> {
    let (mut kill, mut grace) = (false, DEFAULT_GRACE);
    let mut drop_unrestorable = false;
    while let Some(arg) = p.next().map_err(usage)? {
        match arg {
            Long("kill") => kill = true,
            Long("drop-unrestorable") => drop_unrestorable = true,
            Long("grace") => grace = value::duration(&string(p.value().map_err(usage)?)?)?,
            Long("help") | Short('h') => return Ok(help_for("release")),
            other => return Err(usage(other.unexpected())),
        }
    }
    Ok(Command::Release {
        kill,
        grace,
        drop_unrestorable,
    })
}

/// `internal-ssh-handback KEEPER FDS -- ARGV...` (not for users).
#[inline(never)]
fn parse_internal_handback(p: &mut lexopt::Parser) -> Result<Command> {
    let mut words = p.raw_args().map_err(usage)?;
    let bad = || usage("internal-ssh-handback needs KEEPER FDS -- ARGV");
    let keeper = string(words.next().ok_or_else(bad)?)?;
    let fds = string(words.next().ok_or_else(bad)?)?;
    if words.next().is_none_or(|w| w != "--") {
        return Err(bad());
    }
    let argv: Vec<OsString> = words.collect();
    if argv.is_empty() {
        return Err(bad());
    }
    Ok(Command::InternalHandback { keeper, fds, argv })
}

/// `internal-spawn CGROUP -- ARGV...` (not for users).
#[inline(never)]
fn parse_internal_spawn(p: &mut lexopt::Parser) -> Result<Command> {
    let cgroup = match p.next().map_err(usage)? {
        Some(Value(v)) => string(v)?,
        _ => return Err(usage("internal-spawn needs CGROUP -- ARGV")),
    };
    let argv: Vec<OsString> = p.raw_args().map_err(usage)?.collect();
    let argv = match argv.split_first() {
        Some((dashes, rest)) if dashes == "--" && !rest.is_empty() => rest.to_vec(),
        _ => return Err(usage("internal-spawn needs CGROUP -- ARGV")),
    };
    Ok(Command::InternalSpawn { cgroup, argv })
}

#[inline(never)]
fn parse_probe(p: &mut lexopt::Parser) -> Result<Command> {
    let (mut paths, mut json) = (Vec::new(), false);
    while let Some(arg) = p.next().map_err(usage)? {
        match arg {
            Long("json") => json = true,
            Long("help") | Short('h') => return Ok(help_for("probe")),
            Value(v) => paths.push(PathBuf::from(v)),
            other => return Err(usage(other.unexpected())),
        }
    }
    if paths.is_empty() {
        return Err(usage("probe needs at least one DEV or FILE"));
    }
    Ok(Command::Probe { paths, json })
}

#[inline(never)]
fn parse_ext4(p: &mut lexopt::Parser) -> Result<Command> {
    Ok(match parse_path_json(p, "ext4")? {
        Some((path, json)) => Command::Ext4 { path, json },
        None => help_for("ext4"),
    })
}

#[inline(never)]
fn parse_parts(p: &mut lexopt::Parser) -> Result<Command> {
    Ok(match parse_path_json(p, "parts")? {
        Some((path, json)) => Command::Parts { path, json },
        None => help_for("parts"),
    })
}

/// `DEV|FILE [--json]`; `None` for `--help`.
fn parse_path_json(p: &mut lexopt::Parser, cmd: &str) -> Result<Option<(PathBuf, bool)>> {
    let (mut path, mut json) = (None, false);
    while let Some(arg) = p.next().map_err(usage)? {
        match arg {
            Long("json") => json = true,
            Long("help") | Short('h') => return Ok(None),
            Value(v) if path.is_none() => path = Some(PathBuf::from(v)),
            other => return Err(usage(other.unexpected())),
        }
    }
    let path = path.ok_or_else(|| usage(format!("{cmd} needs a DEV or FILE")))?;
    Ok(Some((path, json)))
}

#[inline(never)]
fn parse_holders(p: &mut lexopt::Parser) -> Result<Command> {
    let (mut target, mut json) = (None, false);
    while let Some(arg) = p.next().map_err(usage)? {
        match arg {
            Long("json") => json = true,
            Long("help") | Short('h') => return Ok(help_for("holders")),
            Value(v) if target.is_none() => target = Some(PathBuf::from(v)),
            other => return Err(usage(other.unexpected())),
        }
    }
    Ok(Command::Holders { target, json })
}

#[inline(never)]
fn parse_bring(p: &mut lexopt::Parser) -> Result<Command> {
    let (mut values, mut json) = (Vec::new(), false);
    while let Some(arg) = p.next().map_err(usage)? {
        match arg {
            Long("json") => json = true,
            Long("help") | Short('h') => return Ok(help_for("bring")),
            Value(v) => values.push(PathBuf::from(v)),
            other => return Err(usage(other.unexpected())),
        }
    }
    if values.len() < 2 {
        return Err(usage("bring needs DEST and at least one PROGRAM"));
    }
    let dest = values.remove(0);
    Ok(Command::Bring {
        dest,
        programs: values,
        json,
    })
}

#[inline(never)]
fn parse_switch_root(p: &mut lexopt::Parser) -> Result<Command> {
    let mut values: Vec<OsString> = Vec::new();
    while let Some(arg) = p.next().map_err(usage)? {
        match arg {
            Long("help") | Short('h') if values.is_empty() => return Ok(help_for("switch-root")),
            Value(v) => {
                values.push(v);
                if values.len() == 2 {
                    // Everything after INIT belongs to INIT, options included.
                    values.extend(p.raw_args().map_err(usage)?);
                    break;
                }
            }
            other => return Err(usage(other.unexpected())),
        }
    }
    if values.len() < 2 {
        return Err(usage("switch-root needs NEWROOT and INIT"));
    }
    let mut values = values.into_iter();
    let newroot = PathBuf::from(values.next().unwrap_or_default());
    let init = PathBuf::from(values.next().unwrap_or_default());
    Ok(Command::SwitchRoot {
        newroot,
        init,
        args: values.collect(),
    })
}

#[cfg(test)]
mod tests;
