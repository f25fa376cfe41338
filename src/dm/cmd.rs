//! What the user asks of device-mapper (`rootlift dm ...`), as the command
//! line parser hands it over; dmsetup(8) names the subcommands.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DmCommand {
    Version {
        json: bool,
    },
    Ls {
        json: bool,
    },
    Targets {
        json: bool,
    },
    /// NAME, UUID or MAJ:MIN.
    Info {
        device: String,
        json: bool,
    },
    Table {
        device: String,
        json: bool,
    },
    Status {
        device: String,
        json: bool,
    },
    Deps {
        device: String,
        json: bool,
    },
    Create {
        name: String,
        uuid: Option<String>,
        readonly: bool,
        table: TableSource,
    },
    Load {
        name: String,
        readonly: bool,
        table: TableSource,
    },
    Suspend {
        name: String,
        nolockfs: bool,
        noflush: bool,
    },
    Resume {
        name: String,
    },
    Remove {
        name: String,
        force: bool,
    },
    Rename {
        old: String,
        new: String,
    },
}

/// Where a table comes from: `--table` lines or a `--table-file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableSource {
    Lines(Vec<String>),
    File(PathBuf),
}
