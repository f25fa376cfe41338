//! How a process that release stops comes back on return, decided before
//! it is stopped (while its /proc entries still say what it was) and
//! journaled with it:
//!
//! - under systemd, the service unit it ran in (systemd.service(5)), all of
//!   them started again in one `systemctl start`;
//! - a network client that is not its unit's own daemon (dhclient started
//!   by ifup inside the oneshot networking.service, which starting again
//!   does nothing for) runs again with exactly its command line
//!   (/proc/PID/cmdline) in its cgroup (/proc/PID/cgroup);
//! - under sysvinit, the init script of /etc/init.d whose daemon it is
//!   (by executable path), when the current runlevel starts it, run with
//!   `start` in the runlevel's order; network clients by command line;
//! - login shells, scopes, user managers and gettys come back by
//!   themselves (logind, inittab respawn) or not at all.

use super::fate::{Fate, keeps_network};
use crate::journal::{Detail, Entry};
use crate::proc::holders::{Access, Holder};
use crate::proc::init::Init;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comeback {
    /// `systemctl start UNIT`.
    Unit(String),
    /// `/etc/init.d/NAME start`.
    Script(String),
    /// The same command line, in the same cgroup (v2 path, when known).
    Argv {
        argv: Vec<String>,
        cgroup: Option<String>,
    },
    /// Nothing rootlift starts: what it was comes back by itself or is
    /// gone (a login shell).
    Nothing,
}

impl Comeback {
    /// Adds `back=...` and what it needs to a journal detail.
    pub fn encode(&self, d: Detail) -> Detail {
        match self {
            Comeback::Unit(u) => d.with("back", "unit").with("name", u),
            Comeback::Script(s) => d.with("back", "script").with("name", s),
            Comeback::Argv { argv, cgroup } => {
                let mut d = d
                    .with("back", "argv")
                    .with_opt("cgroup", cgroup.as_deref())
                    .with("argc", argv.len());
                for (i, a) in argv.iter().enumerate() {
                    d = d.with(&format!("arg{i}"), a);
                }
                d
            }
            Comeback::Nothing => d.with("back", "none"),
        }
    }

    /// Reads it back from a `release.stopped` line.
    pub fn decode(e: &Entry) -> Option<Comeback> {
        Some(match e.get("back")?.as_str() {
            "unit" => Comeback::Unit(e.get("name")?),
            "script" => Comeback::Script(e.get("name")?),
            "argv" => {
                let argc: usize = e.get("argc")?.parse().ok()?;
                let argv = (0..argc.min(4096))
                    .map(|i| e.get(&format!("arg{i}")))
                    .collect::<Option<Vec<_>>>()?;
                if argv.is_empty() {
                    return None;
                }
                Comeback::Argv {
                    argv,
                    cgroup: e.get("cgroup"),
                }
            }
            "none" => Comeback::Nothing,
            _ => return None,
        })
    }
}

/// What `h`'s process looked like, read from /proc before it is stopped.
pub struct Seen {
    pub argv: Vec<String>,
    /// The cgroup v2 path (`0::/system.slice/x.service`).
    pub cgroup: Option<String>,
}

impl Seen {
    pub fn read(pid: u32) -> Seen {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let argv = cmdline
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("0::").map(str::to_owned))
            });
        Seen { argv, cgroup }
    }
}

/// How `h` (whose fate is `fate`) comes back under `init`; `script_of`
/// finds the init script of an executable (sysvinit).
pub fn decide(
    h: &Holder,
    fate: Fate,
    init: &Init,
    seen: &Seen,
    script_of: &dyn Fn(&str) -> Option<String>,
) -> Comeback {
    if !matches!(
        fate,
        Fate::Network | Fate::Stopped | Fate::StoppedBeforeHandoff
    ) {
        return Comeback::Nothing;
    }
    let argv = || Comeback::Argv {
        argv: seen.argv.clone(),
        cgroup: seen.cgroup.clone(),
    };
    let unit = h.unit.as_deref().unwrap_or("");
    if *init == Init::Systemd {
        if !unit.ends_with(".service") || unit.starts_with("user@") {
            return Comeback::Nothing;
        }
        // A network client inside another unit (ifup's dhclient in
        // networking.service): starting that unit again does nothing.
        if keeps_network(&h.comm) && !unit.starts_with(h.comm.as_str()) && !seen.argv.is_empty() {
            return argv();
        }
        return Comeback::Unit(unit.to_owned());
    }
    let exe = h.access.iter().find_map(|a| match a {
        Access::Exe(p) => Some(p.to_string_lossy().into_owned()),
        _ => None,
    });
    let exe = exe
        .as_deref()
        .map(|p| p.strip_prefix(super::OLDROOT).unwrap_or(p));
    // The executable, else the name it was started by: Debian 12's
    // systemd-udevd is a symlink to udevadm, and its init script names
    // the link (argv[0]), not the file the link leads to.
    let argv0 = seen.argv.first().map(String::as_str);
    if let Some(script) = exe
        .and_then(script_of)
        .or_else(|| argv0.and_then(script_of))
    {
        return Comeback::Script(script);
    }
    if keeps_network(&h.comm) && !seen.argv.is_empty() {
        return argv();
    }
    Comeback::Nothing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Event, Stage};
    use std::path::PathBuf;

    fn holder(comm: &str, unit: Option<&str>, exe: &str) -> Holder {
        Holder {
            pid: 40,
            comm: comm.into(),
            unit: unit.map(Into::into),
            is_self: false,
            access: vec![Access::Exe(PathBuf::from(exe))],
        }
    }

    fn seen(argv: &[&str]) -> Seen {
        Seen {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            cgroup: Some("/system.slice/networking.service".into()),
        }
    }

    fn scripts(exe: &str) -> Option<String> {
        match exe {
            "/usr/sbin/cron" => Some("cron".into()),
            "/usr/sbin/sshd" => Some("ssh".into()),
            "/lib/systemd/systemd-udevd" => Some("udev".into()),
            _ => None,
        }
    }

    #[test]
    fn how_each_kind_of_process_comes_back() {
        let sd = Init::Systemd;
        let dhclient = holder(
            "dhclient",
            Some("networking.service"),
            "/oldroot/usr/sbin/dhclient",
        );
        let args = [
            "/sbin/dhclient",
            "-4",
            "-v",
            "-pf",
            "/run/dhclient.eth0.pid",
            "eth0",
        ];
        assert_eq!(
            decide(&dhclient, Fate::Network, &sd, &seen(&args), &scripts),
            Comeback::Argv {
                argv: args.iter().map(|s| s.to_string()).collect(),
                cgroup: Some("/system.slice/networking.service".into())
            }
        );
        let networkd = holder("systemd-network", Some("systemd-networkd.service"), "/x");
        assert_eq!(
            decide(&networkd, Fate::Network, &sd, &seen(&["x"]), &scripts),
            Comeback::Unit("systemd-networkd.service".into())
        );
        let cron = holder("cron", Some("cron.service"), "/oldroot/usr/sbin/cron");
        assert_eq!(
            decide(&cron, Fate::Stopped, &sd, &seen(&[]), &scripts),
            Comeback::Unit("cron.service".into())
        );
        let shell = holder("bash", Some("session-3.scope"), "/oldroot/usr/bin/bash");
        assert_eq!(
            decide(&shell, Fate::Stopped, &sd, &seen(&["-bash"]), &scripts),
            Comeback::Nothing
        );
        let um = holder("systemd", Some("user@0.service"), "/x");
        assert_eq!(
            decide(&um, Fate::UserManager, &sd, &seen(&[]), &scripts),
            Comeback::Nothing
        );

        let sv = Init::Sysvinit;
        assert_eq!(
            decide(
                &holder("cron", None, "/oldroot/usr/sbin/cron"),
                Fate::Stopped,
                &sv,
                &seen(&[]),
                &scripts
            ),
            Comeback::Script("cron".into())
        );
        assert!(matches!(
            decide(
                &holder("dhclient", None, "/oldroot/sbin/dhclient"),
                Fate::Network,
                &sv,
                &seen(&args),
                &scripts
            ),
            Comeback::Argv { .. }
        ));
        assert_eq!(
            decide(
                &holder("getty", None, "/oldroot/sbin/agetty"),
                Fate::Stopped,
                &sv,
                &seen(&["/sbin/getty"]),
                &scripts
            ),
            Comeback::Nothing
        );
    }

    #[test]
    fn comebacks_round_trip_through_the_journal() {
        for c in [
            Comeback::Unit("cron.service".into()),
            Comeback::Script("rsyslog".into()),
            Comeback::Argv {
                argv: vec!["/sbin/dhclient".into(), "-pf".into(), "/run/a b.pid".into()],
                cgroup: Some("/system.slice/networking.service".into()),
            },
            Comeback::Argv {
                argv: vec!["/sbin/udhcpc".into()],
                cgroup: None,
            },
            Comeback::Nothing,
        ] {
            let d = c.encode(Detail::new().with("pid", 5));
            let e = Entry {
                time: 1,
                ms: 1000,
                stage: Stage::Entered,
                event: Event::ReleaseStopped,
                detail: d.as_str().to_owned(),
            };
            assert_eq!(Comeback::decode(&e), Some(c));
        }
    }
}
