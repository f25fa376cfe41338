//! sysvinit's services (init(8), Debian's /etc/init.d and /etc/rcN.d):
//! which init script starts a given daemon, and the order boot starts them
//! in (the `S<NN>` links of rcS.d, then of the runlevel). Return starts
//! what release stopped with `/etc/init.d/NAME start`, in that order; only
//! scripts of daemons that were running, never the other boot scripts.

use std::path::Path;

/// The start directories, in boot order: rcS.d (udev lives there), then
/// the runlevels a Debian system runs in normally.
const RUNLEVELS: [&str; 5] = ["rcS.d", "rc2.d", "rc3.d", "rc4.d", "rc5.d"];

/// A path with a leading /usr taken off (merged /usr: /usr/sbin/cron and
/// /sbin/cron are one file).
fn unmerged(path: &str) -> &str {
    path.strip_prefix("/usr")
        .filter(|p| p.starts_with('/'))
        .unwrap_or(path)
}

/// When boot starts script `name`: (its start directory's place in
/// [`RUNLEVELS`], its `S<NN>` number), the earliest, if any does.
pub fn start_position(etc: &Path, name: &str) -> Option<(usize, u32)> {
    RUNLEVELS
        .iter()
        .enumerate()
        .filter_map(|(i, rl)| Some((i, std::fs::read_dir(etc.join(rl)).ok()?)))
        .flat_map(|(i, rd)| rd.flatten().map(move |e| (i, e)))
        .filter_map(|(i, e)| {
            let f = e.file_name();
            let f = f.to_str()?;
            let rest = f.strip_prefix('S')?;
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let n: u32 = rest.get(..digits)?.parse().ok()?;
            (rest.get(digits..)? == name).then_some((i, n))
        })
        .min()
}

/// The init script (its name in `etc`/init.d) that runs executable `exe`:
/// one whose text names that path (with or without a /usr prefix) and
/// that a normal runlevel starts.
pub fn script_of(etc: &Path, exe: &str) -> Option<String> {
    let want = unmerged(exe);
    // Only a whole path names a program: a bare `ssh` (a client's argv[0])
    // is a word of the ssh script's header too.
    if want.len() < 2 || !want.starts_with('/') {
        return None;
    }
    let mut found: Vec<((usize, u32), String)> = Vec::new();
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
    found.sort_unstable();
    found.into_iter().next().map(|(_, n)| n)
}

/// `names` in the order the runlevel starts them.
pub fn in_start_order(etc: &Path, names: &[String]) -> Vec<String> {
    let mut v: Vec<((usize, u32), String)> = names
        .iter()
        .map(|n| {
            (
                start_position(etc, n).unwrap_or((usize::MAX, u32::MAX)),
                n.clone(),
            )
        })
        .collect();
    v.sort_unstable();
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
        for l in ["S01rsyslog", "S02cron", "S03ssh"] {
            std::os::unix::fs::symlink("../init.d/x", etc.join("rc2.d").join(l)).unwrap();
        }
        std::os::unix::fs::symlink("../init.d/x", etc.join("rcS.d/S02udev")).unwrap();
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
        assert_eq!(script_of(&etc, "cron"), None, "not a path");
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
