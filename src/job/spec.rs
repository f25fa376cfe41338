//! A job as the journal records it (`job.spec`), so the detached worker —
//! a new process running from the tmpfs — knows exactly what the operator
//! confirmed, and `status` can tell it from any session.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::journal::{Detail, Entry, Event};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Shrink the fs to `fs_blocks` blocks and, on an LV, the LV to
    /// `lv_bytes` (`None`: a bare fs, only the fs shrinks).
    Shrink {
        fs_blocks: u64,
        lv: Option<String>,
    },
    Fsck,
    Run {
        argv: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    pub kind: Kind,
    /// The root device as the job reaches it in the tmpfs.
    pub device: String,
    /// Programs the job runs, by their absolute path (brought into the tmpfs
    /// at the same path).
    pub e2fsck: String,
    pub resize2fs: String,
    pub lvm: String,
    /// Zero: no dead-man timer.
    pub confirm_within: Duration,
    pub grace: Duration,
    /// The operator agreed to lose the mounts that cannot be put back.
    pub drop_unrestorable: bool,
}

impl JobSpec {
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Shrink { .. } => "shrink",
            Kind::Fsck => "fsck",
            Kind::Run { .. } => "run",
        }
    }

    /// The `job.spec` detail.
    pub fn encode(&self) -> Detail {
        let d = Detail::new()
            .with("kind", self.name())
            .with("device", &self.device)
            .with("e2fsck", &self.e2fsck)
            .with("resize2fs", &self.resize2fs)
            .with("lvm", &self.lvm)
            .with("confirm_ms", self.confirm_within.as_millis())
            .with("grace_ms", self.grace.as_millis())
            .with("drop_unrestorable", u8::from(self.drop_unrestorable));
        match &self.kind {
            Kind::Shrink { fs_blocks, lv } => {
                d.with("fs_blocks", fs_blocks).with_opt("lv", lv.as_deref())
            }
            Kind::Fsck => d,
            Kind::Run { argv } => {
                let mut d = d.with("argc", argv.len());
                for (i, a) in argv.iter().enumerate() {
                    d = d.with(&format!("arg{i}"), a);
                }
                d
            }
        }
    }

    pub fn decode(e: &Entry) -> Result<JobSpec> {
        let bad = |why: String| {
            Error::invalid("journal", crate::journal::PATH, format!("job.spec: {why}"))
        };
        let get = |k: &str| e.get(k).ok_or_else(|| bad(format!("no {k}")));
        let num = |k: &str| -> Result<u64> { get(k)?.parse().map_err(|_| bad(format!("bad {k}"))) };
        let kind = match get("kind")?.as_str() {
            "shrink" => Kind::Shrink {
                fs_blocks: num("fs_blocks")?,
                lv: e.get("lv"),
            },
            "fsck" => Kind::Fsck,
            "run" => {
                let argc = num("argc")?;
                let argv = (0..argc.min(4096))
                    .map(|i| get(&format!("arg{i}")))
                    .collect::<Result<Vec<_>>>()?;
                Kind::Run { argv }
            }
            other => return Err(bad(format!("unknown kind {other}"))),
        };
        Ok(JobSpec {
            kind,
            device: get("device")?,
            e2fsck: get("e2fsck")?,
            resize2fs: get("resize2fs")?,
            lvm: get("lvm")?,
            confirm_within: Duration::from_millis(num("confirm_ms")?),
            grace: Duration::from_millis(num("grace_ms")?),
            drop_unrestorable: num("drop_unrestorable")? != 0,
        })
    }

    /// The spec of the latest lift, if it is a job.
    pub fn of_cycle(cycle: &[Entry]) -> Result<Option<JobSpec>> {
        cycle
            .iter()
            .find(|e| e.event == Event::JobSpec)
            .map(JobSpec::decode)
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Stage, parse};

    fn round_trip(spec: &JobSpec) -> JobSpec {
        let line = format!("5 idle job.spec {}\n", spec.encode());
        let e = parse(&line).unwrap();
        assert_eq!(e[0].stage, Stage::Idle);
        JobSpec::decode(&e[0]).unwrap()
    }

    #[test]
    fn specs_survive_the_journal() {
        let mut spec = JobSpec {
            kind: Kind::Shrink {
                fs_blocks: 123_456,
                lv: Some("vg0/root".into()),
            },
            device: "/dev/mapper/vg0-root".into(),
            e2fsck: "/usr/sbin/e2fsck".into(),
            resize2fs: "/usr/sbin/resize2fs".into(),
            lvm: "/usr/sbin/lvm".into(),
            confirm_within: Duration::from_secs(600),
            grace: Duration::from_secs(5),
            drop_unrestorable: true,
        };
        assert_eq!(round_trip(&spec), spec);
        spec.kind = Kind::Run {
            argv: vec!["/sbin/debugfs".into(), "-R".into(), "stats x=y".into()],
        };
        assert_eq!(round_trip(&spec), spec);
        spec.kind = Kind::Fsck;
        assert_eq!(round_trip(&spec), spec);
    }

    #[test]
    fn a_spec_missing_a_field_is_an_error() {
        let e = parse("5 idle job.spec kind=shrink device=/dev/x\n").unwrap();
        assert!(JobSpec::decode(&e[0]).is_err());
        let e = parse("5 idle job.spec kind=dance\n").unwrap();
        assert!(JobSpec::decode(&e[0]).is_err());
    }
}
