//! Jobs (docs/design.md, "Jobs"): shrink, fsck and run as one command
//! each — the plan shown first, then enter, a detached worker with a
//! dead-man timer, release, the offline steps, and always the way back —
//! and what rules them from any session: status, confirm, abort, return.

pub mod control;
pub mod downtime;
pub mod facts;
pub mod live;
pub mod offline;
pub mod shutdown;
pub mod spec;
pub mod status;
pub mod tools;
pub mod worker;

use std::path::PathBuf;
use std::time::Duration;

/// Where an offline job runs: in the live system lifted into a tmpfs, or at
/// the end of the next reboot as systemd's shutdown program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Live,
    AtShutdown,
}

/// What every offline job (shrink, fsck, run) shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOptions {
    pub mode: Mode,
    pub yes: bool,
    /// `None`: the default (10 min for live jobs when sshd runs); `Some(0)`
    /// disables the dead-man timer.
    pub confirm_within: Option<Duration>,
    pub bring: Vec<PathBuf>,
    /// Unmount for good the mounts that cannot be put back exactly.
    pub drop_unrestorable: bool,
}
