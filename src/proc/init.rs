//! Which init system PID 1 is, from `/proc/1/exe`, `/proc/1/comm` and the
//! markers each init leaves (sd_booted(3): `/run/systemd/system` exists
//! when systemd is PID 1; sysvinit's `/run/initctl` FIFO).

use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Init {
    Systemd,
    Sysvinit,
    Busybox,
    /// Anything else, by its comm (or `unknown`).
    Other(String),
}

impl Init {
    pub fn name(&self) -> &str {
        match self {
            Init::Systemd => "systemd",
            Init::Sysvinit => "sysvinit",
            Init::Busybox => "busybox",
            Init::Other(s) => s,
        }
    }
}

/// Detects PID 1's init system under `root` (`/` on a live system).
pub fn detect(root: &Path) -> Init {
    let exe = std::fs::read_link(root.join("proc/1/exe"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let comm = std::fs::read_to_string(root.join("proc/1/comm"))
        .map(|s| s.trim_end().to_owned())
        .unwrap_or_default();
    classify(
        &exe,
        &comm,
        root.join("run/systemd/system").is_dir(),
        root.join("run/initctl").exists(),
    )
}

/// The decision, apart from the filesystem.
pub fn classify(exe: &str, comm: &str, systemd_marker: bool, initctl: bool) -> Init {
    let exe_name = exe.rsplit('/').next().unwrap_or("");
    if exe_name == "systemd" || comm == "systemd" || (systemd_marker && comm != "init") {
        Init::Systemd
    } else if exe_name == "busybox" {
        Init::Busybox
    } else if comm == "init" && (initctl || exe_name == "init") {
        Init::Sysvinit
    } else if comm.is_empty() {
        Init::Other("unknown".into())
    } else {
        Init::Other(comm.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_common_inits() {
        assert_eq!(
            classify("/usr/lib/systemd/systemd", "systemd", true, false),
            Init::Systemd
        );
        assert_eq!(classify("", "systemd", false, false), Init::Systemd);
        assert_eq!(classify("/sbin/init", "init", false, true), Init::Sysvinit);
        assert_eq!(
            classify("/bin/busybox", "init", false, false),
            Init::Busybox
        );
        assert_eq!(
            classify("/sbin/tini", "tini", false, false),
            Init::Other("tini".into())
        );
        assert_eq!(
            classify("", "", false, false),
            Init::Other("unknown".into())
        );
    }
}
