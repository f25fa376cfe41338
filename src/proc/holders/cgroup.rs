//! The systemd unit of a process, from `/proc/PID/cgroup` (cgroups(7)):
//! lines `hierarchy-ID:controller-list:cgroup-path`. The unified (v2)
//! hierarchy is the line `0::/system.slice/ssh.service`; on a v1 or hybrid
//! system systemd keeps its tree in `N:name=systemd:/...`, used when the v2
//! line names no unit. The unit is the
//! first path component that names one (systemd.unit(5) suffixes of units
//! that own processes): `session-3.scope`, `ssh.service`. That is the unit
//! of the system manager, the one systemctl acts on: a delegated subgroup
//! below it (`/system.slice/foo.service/payload`) does not hide it, and the
//! processes of a user manager belong to its `user@UID.service`, whatever
//! user unit they run in (`.../user@0.service/init.scope`).

/// Unit suffixes whose units can hold processes.
const SUFFIXES: [&[u8]; 4] = [b".service", b".scope", b".socket", b".mount"];

/// The unit named by a whole cgroup file, if any.
pub fn unit(text: &[u8]) -> Option<&[u8]> {
    let (mut v2, mut v1) = (None, None);
    for line in text.split(|&c| c == b'\n') {
        let mut f = line.splitn(3, |&c| c == b':');
        let (Some(hierarchy), Some(controllers), Some(path)) = (f.next(), f.next(), f.next())
        else {
            continue;
        };
        if hierarchy == b"0" && controllers.is_empty() {
            v2 = Some(path);
        }
        if controllers == b"name=systemd" {
            v1 = Some(path);
        }
    }
    // A v2 line of `/` on a v1 system says nothing; systemd's own v1
    // hierarchy may still name the unit.
    v2.and_then(unit_of_path)
        .or_else(|| v1.and_then(unit_of_path))
}

/// The first component of a cgroup path that is a unit name.
/// The systemd unit process `pid` runs in, from /proc/PID/cgroup.
pub fn unit_of(pid: u32) -> Option<String> {
    let text = std::fs::read(format!("/proc/{pid}/cgroup")).ok()?;
    unit(&text).map(|u| String::from_utf8_lossy(u).into_owned())
}

pub fn unit_of_path(path: &[u8]) -> Option<&[u8]> {
    path.split(|&c| c == b'/')
        .find(|c| SUFFIXES.iter().any(|s| c.len() > s.len() && c.ends_with(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_hierarchy() {
        assert_eq!(
            unit(b"0::/system.slice/ssh.service\n"),
            Some(&b"ssh.service"[..])
        );
        assert_eq!(
            unit(b"0::/user.slice/user-0.slice/session-3.scope\n"),
            Some(&b"session-3.scope"[..])
        );
        assert_eq!(
            unit(b"0::/system.slice/foo.service/payload\n"),
            Some(&b"foo.service"[..])
        );
        assert_eq!(
            unit(b"0::/user.slice/user-1000.slice/user@1000.service/app.slice/dbus.service\n"),
            Some(&b"user@1000.service"[..])
        );
        assert_eq!(
            unit(b"0::/user.slice/user-0.slice/user@0.service/init.scope\n"),
            Some(&b"user@0.service"[..])
        );
        assert_eq!(unit(b"0::/init.scope\n"), Some(&b"init.scope"[..]));
        assert_eq!(unit(b"0::/\n"), None);
        assert_eq!(unit(b"0::/system.slice\n"), None);
        assert_eq!(unit(b"0::/.service\n"), None, "a bare suffix is no unit");
    }

    #[test]
    fn hybrid_uses_the_v2_line_first() {
        let hybrid = b"12:pids:/system.slice/cron.service\n1:name=systemd:/system.slice/cron.service\n0::/system.slice/cron.service\n";
        assert_eq!(unit(hybrid), Some(&b"cron.service"[..]));
    }

    #[test]
    fn v1_falls_back_to_name_systemd() {
        // This machine: cgroup v1 with an empty v2 line (no systemd).
        let here = b"9:name=systemd:/\n8:pids:/\n4:memory:/process_api/6d4b5f79a3cf89b6412465b3ac988389\n0::/\n";
        assert_eq!(unit(here), None);
        let v1 = b"9:name=systemd:/system.slice/ssh.service\n4:memory:/system.slice/ssh.service\n";
        assert_eq!(unit(v1), Some(&b"ssh.service"[..]));
    }

    #[test]
    fn paths_with_colons_and_garbage() {
        assert_eq!(
            unit(b"0::/system.slice/a:b.service\n"),
            Some(&b"a:b.service"[..])
        );
        assert_eq!(unit(b""), None);
        assert_eq!(unit(b"garbage\n::\n"), None);
    }
}
