//! A job as the journal records it (`job.spec`), so the detached worker —
//! a new process running from the tmpfs — knows exactly what the operator
//! confirmed, and `status` can tell it from any session.

use std::time::Duration;

use crate::error::Result;
use crate::journal::{Detail, Entry, Event, Fields};

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
    /// Shrink the fs to `fs_blocks` blocks, then the partition it sits on
    /// (job/partition.rs).
    ShrinkPartition {
        fs_blocks: u64,
        part: super::partition::Target,
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
    /// What the job did about cloud-init growing the root back at the
    /// next boot (cloudinit.rs), when it applies.
    pub cloud_init: Option<String>,
}

impl JobSpec {
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Shrink { .. } | Kind::ShrinkPartition { .. } => "shrink",
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
            .with("drop_unrestorable", u8::from(self.drop_unrestorable))
            .with_opt("cloud_init", self.cloud_init.as_deref());
        match &self.kind {
            Kind::Shrink { fs_blocks, lv } => {
                d.with("fs_blocks", fs_blocks).with_opt("lv", lv.as_deref())
            }
            Kind::ShrinkPartition { fs_blocks, part } => {
                d.with("fs_blocks", fs_blocks).then(part.encode())
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
        let f = Fields(e);
        let kind = match f.str("kind")?.as_str() {
            "shrink" if e.get("part_disk").is_some() => Kind::ShrinkPartition {
                fs_blocks: f.num("fs_blocks")?,
                part: super::partition::Target::decode(&f)?,
            },
            "shrink" => Kind::Shrink {
                fs_blocks: f.num("fs_blocks")?,
                lv: e.get("lv"),
            },
            "fsck" => Kind::Fsck,
            "run" => {
                let argc: u64 = f.num("argc")?;
                let argv = (0..argc.min(4096))
                    .map(|i| f.str(&format!("arg{i}")))
                    .collect::<Result<Vec<_>>>()?;
                Kind::Run { argv }
            }
            other => return Err(f.bad(&format!("unknown kind {other}"))),
        };
        Ok(JobSpec {
            kind,
            device: f.str("device")?,
            e2fsck: f.str("e2fsck")?,
            resize2fs: f.str("resize2fs")?,
            lvm: f.str("lvm")?,
            confirm_within: Duration::from_millis(f.num("confirm_ms")?),
            grace: Duration::from_millis(f.num("grace_ms")?),
            drop_unrestorable: f.flag("drop_unrestorable")?,
            cloud_init: e.get("cloud_init"),
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
            cloud_init: None,
        };
        assert_eq!(round_trip(&spec), spec);
        spec.kind = Kind::Run {
            argv: vec!["/sbin/debugfs".into(), "-R".into(), "stats x=y".into()],
        };
        assert_eq!(round_trip(&spec), spec);
        spec.kind = Kind::Fsck;
        assert_eq!(round_trip(&spec), spec);
        spec.kind = Kind::ShrinkPartition {
            fs_blocks: 10240,
            part: super::super::partition::Target {
                disk: "/dev/disk with space".into(),
                disk_major: 254,
                disk_minor: 0,
                number: 1,
                sector_size: 4096,
                start: 256,
                old_sectors: 16384,
                new_sectors: 10240,
            },
        };
        spec.cloud_init = Some("disabled by /etc/cloud/cloud.cfg.d/x.cfg".into());
        assert_eq!(round_trip(&spec), spec);
        // A partition spec missing one of its fields is an error.
        let line = format!("5 idle job.spec {}", spec.encode());
        for key in ["part_number", "part_start", "part_new", "part_dev"] {
            let cut: Vec<&str> = line
                .split(' ')
                .filter(|w| !w.starts_with(&format!("{key}=")))
                .collect();
            let e = parse(&format!("{}\n", cut.join(" "))).unwrap();
            assert!(JobSpec::decode(&e[0]).is_err(), "{key}");
        }
    }

    #[test]
    fn a_spec_missing_a_field_is_an_error() {
        let e = parse("5 idle job.spec kind=shrink device=/dev/x\n").unwrap();
        assert!(JobSpec::decode(&e[0]).is_err());
        let e = parse("5 idle job.spec kind=dance\n").unwrap();
        assert!(JobSpec::decode(&e[0]).is_err());
    }
}
