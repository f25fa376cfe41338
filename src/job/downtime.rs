//! How long each service that release stopped was down, from the journal:
//! down at its `release.stopped` line (the first for its unit), up at its
//! `return.up` line; shown by `status` and carried in `status --json`.

use std::fmt;

use crate::journal::{Entry, Event};
use crate::json::Json;

/// One unit's outage, in unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Down {
    pub unit: String,
    pub down_ms: u64,
    /// `None`: not seen active again (yet).
    pub up_ms: Option<u64>,
    /// Milliseconds since the lift began, for people.
    since: u64,
}

impl Down {
    pub fn seconds(&self) -> Option<f64> {
        self.up_ms
            .map(|up| up.saturating_sub(self.down_ms) as f64 / 1000.0)
    }

    pub fn json(&self, j: &mut Json) {
        j.begin_object();
        j.key("unit").str(&self.unit);
        j.key("down_at_ms").u64(self.down_ms);
        j.key("up_at_ms").opt_u64(self.up_ms);
        match self.up_ms {
            Some(up) => j.key("ms_down").u64(up.saturating_sub(self.down_ms)),
            None => j.key("ms_down").null(),
        };
        j.end_object();
    }
}

impl fmt::Display for Down {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rel = |ms: u64| ms.saturating_sub(self.since) as f64 / 1000.0;
        write!(f, "{} +{:.1}s", self.unit, rel(self.down_ms))?;
        match (self.up_ms, self.seconds()) {
            (Some(up), Some(s)) => write!(f, " +{:.1}s {s:.1}", rel(up)),
            _ => write!(f, " - (not up again)"),
        }
    }
}

/// The outage of every unit release stopped, in the order it went down.
pub fn table(cycle: &[Entry]) -> Vec<Down> {
    let since = cycle.first().map_or(0, |e| e.ms);
    let mut out: Vec<Down> = Vec::new();
    for e in cycle {
        let Some(unit) = e.get("unit").filter(|u| u.ends_with(".service")) else {
            continue;
        };
        match e.event {
            Event::ReleaseStopped if !out.iter().any(|d| d.unit == unit) => {
                out.push(Down {
                    unit,
                    down_ms: e.ms,
                    up_ms: None,
                    since,
                });
            }
            Event::ReturnUp => {
                if let Some(d) = out.iter_mut().find(|d| d.unit == unit && d.up_ms.is_none()) {
                    d.up_ms = Some(e.ms);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::parse;

    #[test]
    fn each_unit_is_down_from_its_first_stop_to_its_first_up() {
        let text = "\
100.000 idle enter.begin pid=1
101.500 entered release.stopped pid=5 comm=sshd unit=ssh.service back=none served_by=keeper
102.000 entered release.stopped unit=dbus.service back=unit name=dbus.service
102.250 entered release.stopped pid=7 comm=cron unit=cron.service back=unit name=cron.service
102.300 entered release.stopped pid=8 comm=cron unit=cron.service back=unit name=cron.service
102.400 entered release.stopped pid=9 comm=bash unit=session-1.scope back=none
110.000 returning return.up unit=cron.service after_ms=10
111.250 returning return.up unit=dbus.service after_ms=10
";
        let t = table(&parse(text).unwrap());
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].unit, "ssh.service");
        assert_eq!(t[0].up_ms, None);
        assert_eq!(t[1].seconds(), Some(9.25));
        assert_eq!(t[2].unit, "cron.service");
        assert_eq!(t[2].seconds(), Some(7.75));
        assert_eq!(t[2].to_string(), "cron.service +2.2s +10.0s 7.8");
        assert_eq!(t[0].to_string(), "ssh.service +1.5s - (not up again)");
    }
}
