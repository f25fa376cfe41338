//! sysvinit's services (init(8), Debian's /etc/init.d and /etc/rcN.d):
//! which init script starts a given daemon, and the order the runlevel
//! starts them in (the `S<NN>` links). Return starts what release stopped
//! with `/etc/init.d/NAME start`, in that order, never re-running the
//! boot-only scripts of rcS.d.

use std::path::Path;

/// The runlevels a Debian system runs in normally.
const RUNLEVELS: [&str; 4] = ["rc2.d", "rc3.d", "rc4.d", "rc5.d"];

/// A path with a leading /usr taken off (merged /usr: /usr/sbin/cron and
/// /sbin/cron are one file).
fn unmerged(path: &str) -> &str {
    path.strip_prefix("/usr")
        .filter(|p| p.starts_with('/'))
        .unwrap_or(path)
}

/// The start position of script `name` in the normal runlevels (its
/// smallest `S<NN>` number), when one of them starts it.
pub fn start_position(etc: &Path, name: &str) -> Option<u32> {
    RUNLEVELS
        .iter()
        .filter_map(|rl| std::fs::read_dir(etc.join(rl)).ok())
        .flat_map(|rd| rd.flatten())
        .filter_map(|e| {
            let f = e.file_name();
            let f = f.to_str()?;
            let rest = f.strip_prefix('S')?;
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            (rest.get(digits..)? == name).then(|| rest[..digits].parse().ok())?
        })
        .min()
}

/// The init script (its name in `etc`/init.d) that runs executable `exe`:
/// one whose text names that path (with or without a /usr prefix) and
/// that a normal runlevel starts.
pub fn script_of(etc: &Path, exe: &str) -> Option<String> {
    let want = unmerged(exe);
    if want.len() < 2 {
        return None;
    }
    let mut found: Vec<(u32, String)> = Vec::new();
    for e in std::fs::read_dir(etc.join("init.d")).ok()?.flatten() {
        let Some(name) = e.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let names_it = text
            .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '=' | ';'))
            .any(|w| unmerged(w) == want);
        if names_it && let Some(pos) = start_position(etc, &name) {
            found.push((pos, name));
        }
    }
    found.sort();
    found.into_iter().next().map(|(_, n)| n)
}

/// `names` in the order the runlevel starts them.
pub fn in_start_order(etc: &Path, names: &[String]) -> Vec<String> {
    let mut v: Vec<(u32, String)> = names
        .iter()
        .map(|n| (start_position(etc, n).unwrap_or(u32::MAX), n.clone()))
        .collect();
    v.sort();
    v.dedup();
    v.into_iter().map(|(_, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_found_by_the_daemon_they_run_and_ordered_by_runlevel() {
        let etc = std::env::temp_dir().join(format!("rootlift-sysv-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&etc);
        for d in ["init.d", "rc2.d", "rcS.d"] {
            std::fs::create_dir_all(etc.join(d)).unwrap();
        }
        let script =
            |name: &str, text: &str| std::fs::write(etc.join("init.d").join(name), text).unwrap();
        script(
            "cron",
            "#!/bin/sh\nDAEMON=/usr/sbin/cron\nPIDFILE=/var/run/crond.pid\n",
        );
        script(
            "ssh",
            "#!/bin/sh\nstart-stop-daemon --start --exec /usr/sbin/sshd -- $SSHD_OPTS\n",
        );
        script(
            "rsyslog",
            "#!/bin/sh\nRSYSLOGD_BIN=\"/usr/sbin/rsyslogd\"\n",
        );
        script("udev", "#!/bin/sh\nDAEMON=/lib/systemd/systemd-udevd\n");
        script("notstarted", "DAEMON=/usr/sbin/atd\n");
        for l in ["S01rsyslog", "S01udev", "S02cron", "S03ssh"] {
            std::os::unix::fs::symlink("../init.d/x", etc.join("rc2.d").join(l)).unwrap();
        }
        std::os::unix::fs::symlink("../init.d/x", etc.join("rcS.d/S01udev")).unwrap();
        assert_eq!(script_of(&etc, "/usr/sbin/cron").as_deref(), Some("cron"));
        assert_eq!(script_of(&etc, "/sbin/cron").as_deref(), Some("cron"));
        assert_eq!(script_of(&etc, "/usr/sbin/sshd").as_deref(), Some("ssh"));
        assert_eq!(
            script_of(&etc, "/usr/sbin/rsyslogd").as_deref(),
            Some("rsyslog")
        );
        assert_eq!(
            script_of(&etc, "/usr/lib/systemd/systemd-udevd").as_deref(),
            Some("udev")
        );
        assert_eq!(script_of(&etc, "/usr/sbin/atd"), None, "not in a runlevel");
        assert_eq!(script_of(&etc, "/usr/bin/bash"), None);
        assert_eq!(
            in_start_order(
                &etc,
                &["ssh".into(), "cron".into(), "rsyslog".into(), "ssh".into()]
            ),
            ["rsyslog", "cron", "ssh"]
        );
        let _ = std::fs::remove_dir_all(&etc);
    }
}
