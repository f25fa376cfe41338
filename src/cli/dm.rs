//! `rootlift dm ...`: the device-mapper subcommands, named as dmsetup(8)
//! names them.

use std::path::PathBuf;

use lexopt::prelude::*;

use super::{Command, help_for, string, usage};
pub use crate::dm::{DmCommand, TableSource};
use crate::error::Result;

/// The options any dm subcommand may carry; each subcommand then says which
/// of them it accepts.
#[derive(Default)]
struct DmArgs {
    values: Vec<String>,
    json: bool,
    uuid: Option<String>,
    readonly: bool,
    tables: Vec<String>,
    table_file: Option<PathBuf>,
    nolockfs: bool,
    noflush: bool,
    force: bool,
    given: Vec<&'static str>,
}

pub(super) fn parse(p: &mut lexopt::Parser) -> Result<Command> {
    let sub = match p.next().map_err(usage)? {
        Some(Value(v)) => string(v)?,
        Some(Long("help") | Short('h')) | None => return Ok(help_for("dm")),
        Some(other) => return Err(usage(other.unexpected())),
    };
    let mut a = DmArgs::default();
    while let Some(arg) = p.next().map_err(usage)? {
        match arg {
            Long("help") | Short('h') => return Ok(help_for("dm")),
            Long("json") => a.flag("--json", |a| a.json = true),
            Long("readonly") => a.flag("--readonly", |a| a.readonly = true),
            Long("nolockfs") => a.flag("--nolockfs", |a| a.nolockfs = true),
            Long("noflush") => a.flag("--noflush", |a| a.noflush = true),
            Long("force") => a.flag("--force", |a| a.force = true),
            Long("uuid") => {
                a.uuid = Some(string(p.value().map_err(usage)?)?);
                a.given.push("--uuid");
            }
            Long("table") => {
                a.tables.push(string(p.value().map_err(usage)?)?);
                a.given.push("--table");
            }
            Long("table-file") => {
                a.table_file = Some(PathBuf::from(p.value().map_err(usage)?));
                a.given.push("--table-file");
            }
            Value(v) => a.values.push(string(v)?),
            other => return Err(usage(other.unexpected())),
        }
    }
    let cmd = match sub.as_str() {
        "version" => {
            a.shape(&sub, 0, &["--json"])?;
            DmCommand::Version { json: a.json }
        }
        "ls" => {
            a.shape(&sub, 0, &["--json"])?;
            DmCommand::Ls { json: a.json }
        }
        "targets" => {
            a.shape(&sub, 0, &["--json"])?;
            DmCommand::Targets { json: a.json }
        }
        "info" | "table" | "status" | "deps" => {
            a.shape(&sub, 1, &["--json"])?;
            let device = a.values.remove(0);
            let json = a.json;
            match sub.as_str() {
                "info" => DmCommand::Info { device, json },
                "table" => DmCommand::Table { device, json },
                "status" => DmCommand::Status { device, json },
                _ => DmCommand::Deps { device, json },
            }
        }
        "create" => {
            a.shape(
                &sub,
                1,
                &["--uuid", "--readonly", "--table", "--table-file"],
            )?;
            let table = a.table_source()?;
            DmCommand::Create {
                name: a.values.remove(0),
                uuid: a.uuid,
                readonly: a.readonly,
                table,
            }
        }
        "load" => {
            a.shape(&sub, 1, &["--readonly", "--table", "--table-file"])?;
            let table = a.table_source()?;
            DmCommand::Load {
                name: a.values.remove(0),
                readonly: a.readonly,
                table,
            }
        }
        "suspend" => {
            a.shape(&sub, 1, &["--nolockfs", "--noflush"])?;
            DmCommand::Suspend {
                name: a.values.remove(0),
                nolockfs: a.nolockfs,
                noflush: a.noflush,
            }
        }
        "resume" => {
            a.shape(&sub, 1, &[])?;
            DmCommand::Resume {
                name: a.values.remove(0),
            }
        }
        "remove" => {
            a.shape(&sub, 1, &["--force"])?;
            DmCommand::Remove {
                name: a.values.remove(0),
                force: a.force,
            }
        }
        "rename" => {
            a.shape(&sub, 2, &[])?;
            let new = a.values.remove(1);
            DmCommand::Rename {
                old: a.values.remove(0),
                new,
            }
        }
        other => {
            return Err(usage(format!(
                "unknown dm command '{other}' (ls, info, table, status, deps, version, targets, create, load, suspend, resume, remove, rename)"
            )));
        }
    };
    Ok(Command::Dm(cmd))
}

impl DmArgs {
    fn flag(&mut self, name: &'static str, set: impl FnOnce(&mut Self)) {
        set(self);
        self.given.push(name);
    }

    /// Checks the number of positional values and that only `allowed`
    /// options were given.
    fn shape(&self, sub: &str, values: usize, allowed: &[&str]) -> Result<()> {
        if self.values.len() != values {
            let what = match values {
                0 => "no arguments",
                1 => "one device",
                _ => "OLD and NEW names",
            };
            return Err(usage(format!("dm {sub} takes {what}")));
        }
        if let Some(bad) = self.given.iter().find(|o| !allowed.contains(o)) {
            return Err(usage(format!("dm {sub} does not take {bad}")));
        }
        Ok(())
    }

    fn table_source(&mut self) -> Result<TableSource> {
        match (self.tables.is_empty(), self.table_file.take()) {
            (false, None) => Ok(TableSource::Lines(std::mem::take(&mut self.tables))),
            (true, Some(f)) => Ok(TableSource::File(f)),
            (true, None) => Err(usage(
                "a table is needed: --table 'START LEN TYPE ARGS' or --table-file F",
            )),
            (false, Some(_)) => Err(usage("--table and --table-file exclude each other")),
        }
    }
}
