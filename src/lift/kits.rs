//! What a lift brings besides rootlift, chosen from the running system
//! (enter 4 of docs/design.md; docs/pid1.md):
//!
//! - the systemd kit: `systemctl`, so release can restart the units whose
//!   programs were brought and stop dbus and logind before the handoff;
//! - the sshd kit: sshd and root's login shell, /etc/ssh with the SAME host
//!   keys (clients see no new key), root's authorized_keys, the account
//!   files, nsswitch.conf with the NSS modules it names, /etc/pam.d with the
//!   PAM modules its files name (both dlopened, so not in any DT_NEEDED),
//!   and the files those modules read.

use std::path::{Path, PathBuf};

use crate::bring;
use crate::error::Result;

/// Programs (and shared objects) to bring with their closure, and plain
/// files to copy as they are.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Kit {
    pub programs: Vec<PathBuf>,
    pub files: Vec<PathBuf>,
}

impl Kit {
    pub fn extend(&mut self, other: Kit) {
        self.programs.extend(other.programs);
        self.files.extend(other.files);
    }
}

/// Where NSS and PAM modules live on a multiarch system (Debian's tuple of
/// the CPU rootlift is built for: its sshd is that CPU's too).
#[cfg(not(target_arch = "aarch64"))]
const LIB_DIRS: [&str; 4] = [
    "/usr/lib/x86_64-linux-gnu",
    "/lib/x86_64-linux-gnu",
    "/usr/lib64",
    "/lib64",
];
#[cfg(target_arch = "aarch64")]
const LIB_DIRS: [&str; 4] = [
    "/usr/lib/aarch64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/lib64",
];

/// The files sshd, PAM and the login shell read, besides /etc/ssh and
/// /etc/pam.d; the missing ones are skipped.
const SSH_FILES: [&str; 15] = [
    "/etc/passwd",
    "/etc/group",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/nsswitch.conf",
    "/etc/environment",
    "/etc/default/locale",
    "/etc/login.defs",
    "/etc/shells",
    "/etc/hosts",
    "/etc/hostname",
    "/etc/motd",
    "/etc/ld.so.cache",
    "/root/.ssh/authorized_keys",
    "/root/.ssh/authorized_keys2",
];
/// Directories copied whole (regular files only, a few levels deep).
const SSH_DIRS: [&str; 3] = ["/etc/ssh", "/etc/pam.d", "/etc/security"];

/// What a lift brings on this host besides what the job asks for: the
/// sshd kit when `with_sshd`, and systemctl when systemd is PID 1.
pub fn for_host(with_sshd: bool) -> Result<Kit> {
    let mut kit = if with_sshd { sshd()? } else { Kit::default() };
    if crate::proc::init::detect(Path::new("/")) == crate::proc::init::Init::Systemd {
        kit.extend(systemd());
    }
    Ok(kit)
}

/// `systemctl`, when this host has one.
pub fn systemd() -> Kit {
    Kit {
        programs: bring::find_program(Path::new("systemctl"))
            .into_iter()
            .collect(),
        files: Vec::new(),
    }
}

/// The kits' programs that run as services: the units running them are
/// restarted into the tmpfs (and back on return). Other programs a kit
/// brings (root's shell, systemctl) are tools, and a service that happens
/// to run one (a `bash -c` unit) is stopped at release like any holder.
pub const DAEMONS: [&str; 1] = ["sshd"];

/// Whether an sshd runs on this host (then jobs bring the sshd kit).
pub fn sshd_runs() -> bool {
    crate::proc::processes().any(|(_, dir)| {
        std::fs::read_to_string(dir.join("comm")).is_ok_and(|c| c.trim_end() == "sshd")
    })
}

/// The sshd kit of this host.
pub fn sshd() -> Result<Kit> {
    let mut kit = Kit::default();
    let sshd = bring::find_program(Path::new("sshd"))?;
    // The programs the installed OpenSSH execs itself: sshd-session and
    // sshd-auth (9.8 and later), the sk and pkcs11 helpers, and those its
    // configuration names (Subsystem sftp).
    let text = std::fs::read_to_string("/etc/ssh/sshd_config").unwrap_or_default();
    kit.programs.extend(openssh_helpers(
        &std::fs::read(&sshd).unwrap_or_default(),
        &text,
    ));
    kit.programs.push(sshd);
    if let Some(shell) = root_shell() {
        kit.programs.push(shell);
    }
    if let Ok(text) = std::fs::read_to_string("/etc/nsswitch.conf") {
        let text = nsswitch_for_tmpfs(&text).unwrap_or(text);
        for name in nss_services(&text) {
            if let Some(m) = find_lib(&format!("libnss_{name}.so.2"), &[]) {
                kit.programs.push(m);
            }
        }
    }
    let mut pam_names = Vec::new();
    for f in regular_files(Path::new("/etc/pam.d"), 1) {
        if let Ok(text) = std::fs::read_to_string(&f) {
            let text = pam_for_tmpfs(&text).unwrap_or(text);
            for m in pam_modules(&text) {
                if !pam_names.contains(&m) {
                    pam_names.push(m);
                }
            }
        }
    }
    for helper in pam_helpers(&pam_names) {
        if let Ok(path) = bring::find_program(Path::new(helper)) {
            kit.programs.push(path);
        }
    }
    for m in pam_names {
        if let Some(path) = find_lib(&m, &["security"]) {
            kit.programs.push(path);
        }
    }
    for f in SSH_FILES {
        if Path::new(f).is_file() {
            kit.files.push(PathBuf::from(f));
        }
    }
    for d in SSH_DIRS {
        kit.files.extend(regular_files(Path::new(d), 3));
    }
    Ok(kit)
}

/// The helper programs an OpenSSH sshd runs, that exist on this host: the
/// absolute paths under an `openssh` libexec directory compiled into the
/// binary `sshd` (NUL-terminated strings), and the programs of its
/// configuration's `Subsystem` lines.
pub fn openssh_helpers(sshd: &[u8], config: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    let mut add = |p: PathBuf| {
        if p.is_file() && !found.contains(&p) {
            found.push(p);
        }
    };
    for s in sshd.split(|&b| b == 0) {
        let Ok(s) = std::str::from_utf8(s) else {
            continue;
        };
        if let Some(i) = s.find("/usr/lib") {
            let path = &s[i..];
            let dir_ok = path.starts_with("/usr/lib/openssh/")
                || path.starts_with("/usr/libexec/openssh/")
                || path.starts_with("/usr/libexec/ssh");
            if dir_ok && path.bytes().all(|b| b.is_ascii_graphic()) {
                add(PathBuf::from(path));
            }
        }
    }
    for line in config.lines() {
        let mut w = line.split_whitespace();
        if w.next()
            .is_some_and(|k| k.eq_ignore_ascii_case("subsystem"))
            && let Some(program) = w.nth(1).filter(|p| p.starts_with('/'))
        {
            add(PathBuf::from(program));
        }
    }
    found
}

/// root's login shell from /etc/passwd, when it exists.
fn root_shell() -> Option<PathBuf> {
    let text = std::fs::read_to_string("/etc/passwd").ok()?;
    let line = text.lines().find(|l| l.starts_with("root:"))?;
    let shell = line.rsplit(':').next()?;
    Path::new(shell).is_file().then(|| PathBuf::from(shell))
}

/// The NSS service names of the databases sshd and PAM use (nsswitch.conf(5):
/// `db: service [STATUS=action] service...`).
pub fn nss_services(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let Some((db, services)) = line.split_once(':') else {
            continue;
        };
        if !matches!(
            db.trim(),
            "passwd" | "group" | "shadow" | "gshadow" | "hosts"
        ) {
            continue;
        }
        for s in services.split_whitespace() {
            if s.starts_with('[') || names.iter().any(|n| n == s) {
                continue;
            }
            names.push(s.to_owned());
        }
    }
    names
}

/// The nsswitch.conf the tmpfs gets: the host's, without the `systemd`
/// service (nss-systemd) in the account databases, or `None` when there is
/// none to drop. nss-systemd asks PID 1 over varlink
/// (/run/systemd/userdb/io.systemd.DynamicUser); while the init stub is
/// PID 1 that listening socket still takes connections and nobody answers,
/// so every login hung in initgroups(3) until its ~25 s timeout (seen in
/// the e2e guest). Accounts come from the kit's copies of passwd and group.
pub fn nsswitch_for_tmpfs(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let (body, comment) = line.split_once('#').unwrap_or((line, ""));
        let Some((db, services)) = body.split_once(':') else {
            out.push_str(line);
            continue;
        };
        if !matches!(db.trim(), "passwd" | "group" | "shadow" | "gshadow") {
            out.push_str(line);
            continue;
        }
        let mut kept: Vec<&str> = Vec::new();
        let mut dropping = false;
        for word in services.split_whitespace() {
            // An action in brackets belongs to the service before it.
            if word.starts_with('[') && dropping {
                continue;
            }
            dropping = word == "systemd";
            if !dropping {
                kept.push(word);
            }
        }
        let before = services.split_whitespace().count();
        if kept.len() == before {
            out.push_str(line);
            continue;
        }
        changed = true;
        if kept.is_empty() {
            kept.push("files");
        }
        out.push_str(&format!("{}: {}", db.trim(), kept.join(" ")));
        if !comment.is_empty() {
            out.push_str(" #");
            out.push_str(comment.trim_end_matches('\n'));
        }
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    changed.then_some(out)
}

/// A PAM configuration for the tmpfs: the host's, with the lines that
/// load pam_systemd.so commented out, or `None` when there are none.
/// pam_systemd registers the session with logind, which release stops, and
/// first looks the user up over varlink in /run/systemd/userdb/, whose
/// socket PID 1 holds: while the init stub is PID 1 nobody answers, and
/// every login hung ~25 s in it (seen in the e2e guest).
pub fn pam_for_tmpfs(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let body = line.split('#').next().unwrap_or("");
        let loads_it = body
            .split_whitespace()
            .any(|w| w.rsplit('/').next() == Some("pam_systemd.so"));
        if loads_it {
            out.push_str("# left out by rootlift while lifted: ");
            changed = true;
        }
        out.push_str(line);
    }
    changed.then_some(out)
}

/// The helper programs the named PAM modules exec, by program name:
/// pam_unix(8) runs unix_chkpwd to read the shadow entry when it checks an
/// account (Linux-PAM 1.7, Debian 13, does so for root too) and unix_update
/// to change a password; pam_mkhomedir(8) runs mkhomedir_helper. A kit
/// without them refuses every login at PAM's account step.
pub fn pam_helpers(modules: &[String]) -> Vec<&'static str> {
    const HELPERS: [(&str, &str); 3] = [
        ("pam_unix.so", "unix_chkpwd"),
        ("pam_unix.so", "unix_update"),
        ("pam_mkhomedir.so", "mkhomedir_helper"),
    ];
    HELPERS
        .iter()
        .filter(|(m, _)| modules.iter().any(|n| n == m))
        .map(|&(_, h)| h)
        .collect()
}

/// The module file names a PAM configuration names (pam.d(5): `type
/// control module-path args`; `@include` lines are other files, read on
/// their own).
pub fn pam_modules(text: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        for word in line.split_whitespace() {
            let name = word.rsplit('/').next().unwrap_or(word);
            if name.starts_with("pam_") && name.ends_with(".so") && !v.iter().any(|m| m == name) {
                v.push(name.to_owned());
            }
        }
    }
    v
}

/// A library file by name in the multiarch dirs (or a subdir of them).
fn find_lib(name: &str, subdirs: &[&str]) -> Option<PathBuf> {
    for dir in LIB_DIRS {
        let mut candidates = vec![Path::new(dir).join(name)];
        candidates.extend(subdirs.iter().map(|s| Path::new(dir).join(s).join(name)));
        if let Some(found) = candidates.into_iter().find(|p| p.is_file()) {
            return Some(found);
        }
    }
    None
}

/// The regular files under `dir`, `depth` levels deep at most, sorted.
fn regular_files(dir: &Path, depth: u32) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let Ok(t) = e.file_type() else { continue };
        if t.is_file() {
            out.push(e.path());
        } else if t.is_dir() && depth > 1 {
            out.extend(regular_files(&e.path(), depth - 1));
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nss_services_of_the_databases_logins_use() {
        let t = "passwd:         files systemd\ngroup: files [NOTFOUND=return] systemd\n# x\nhosts: files dns\nnetworks: files\nnetgroup: nis\n";
        assert_eq!(nss_services(t), ["files", "systemd", "dns"]);
    }

    #[test]
    fn pam_helpers_of_the_modules_named() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            pam_helpers(&names(&["pam_permit.so", "pam_unix.so"])),
            ["unix_chkpwd", "unix_update"]
        );
        assert_eq!(
            pam_helpers(&names(&["pam_mkhomedir.so"])),
            ["mkhomedir_helper"]
        );
        assert!(pam_helpers(&names(&["pam_deny.so", "pam_unix_x.so"])).is_empty());
    }

    #[test]
    fn pam_modules_named_in_a_config() {
        let t = "@include common-auth\naccount required pam_nologin.so\nsession [success=ok ignore=ignore module_unknown=ignore default=bad] pam_selinux.so close\nsession optional /lib/x86_64-linux-gnu/security/pam_systemd.so\n# session pam_commented.so\nsession required pam_nologin.so\n";
        assert_eq!(
            pam_modules(t),
            ["pam_nologin.so", "pam_selinux.so", "pam_systemd.so"]
        );
    }

    #[test]
    fn this_hosts_sshd_kit_has_the_dlopened_modules_and_the_same_host_keys() {
        let Ok(kit) = sshd() else {
            panic!("sshd is installed on the test machines (.ci/run installs openssh-server)");
        };
        let has = |p: &str| {
            kit.programs
                .iter()
                .chain(&kit.files)
                .any(|x| x.ends_with(p))
        };
        assert!(has("sbin/sshd"), "{kit:?}");
        assert!(has("security/pam_unix.so"), "{kit:?}");
        assert!(has("libnss_files.so.2"), "{kit:?}");
        assert!(has("etc/ssh/sshd_config"), "{kit:?}");
        assert!(has("etc/ssh/ssh_host_ed25519_key"), "{kit:?}");
        assert!(has("etc/pam.d/sshd"), "{kit:?}");
        // A helper compiled into Debian's sshd (OpenSSH 9.2 and later).
        assert!(has("lib/openssh/ssh-sk-helper"), "{kit:?}");
        assert!(has("etc/shadow"), "{kit:?}");
        // pam_unix's helper (libpam-modules-bin, with every Debian PAM).
        assert!(has("sbin/unix_chkpwd"), "{kit:?}");
    }

    #[test]
    fn openssh_helpers_are_found_in_the_binary_and_its_config() {
        let me = std::env::current_exe().unwrap();
        let fake_sshd = format!(
            "junk\0/usr/lib/openssh/sshd-session\0%s /usr/lib/openssh/not-here\0{}\0",
            "x"
        );
        // Files that exist only: none of these paths exist on a test host
        // but the current test binary, named through a Subsystem line.
        let config = format!(
            "Port 22\nSubsystem sftp {}\n# Subsystem x /bin/sh\nsubsystem  other relative\n",
            me.display()
        );
        let found = openssh_helpers(fake_sshd.as_bytes(), &config);
        assert_eq!(found, std::slice::from_ref(&me), "{found:?}");
    }

    #[test]
    fn nsswitch_for_tmpfs_drops_nss_systemd_only() {
        let debian = "# /etc/nsswitch.conf\npasswd:         files systemd\ngroup:          files systemd\nshadow:         files systemd\ngshadow:        files systemd\n\nhosts:          files myhostname resolve [!UNAVAIL=return] dns\nnetgroup:       nis\n";
        let got = nsswitch_for_tmpfs(debian).unwrap();
        assert_eq!(
            got,
            "# /etc/nsswitch.conf\npasswd: files\ngroup: files\nshadow: files\ngshadow: files\n\nhosts:          files myhostname resolve [!UNAVAIL=return] dns\nnetgroup:       nis\n"
        );
        assert_eq!(
            nsswitch_for_tmpfs("passwd: systemd [NOTFOUND=return] files # x\n").unwrap(),
            "passwd: files # x\n"
        );
        assert_eq!(
            nsswitch_for_tmpfs("group: systemd").unwrap(),
            "group: files"
        );
        assert_eq!(
            nsswitch_for_tmpfs("passwd: files sss\nhosts: files dns\n"),
            None
        );
        assert_eq!(nsswitch_for_tmpfs(""), None);
    }

    #[test]
    fn pam_for_tmpfs_comments_out_pam_systemd() {
        let common = "session\t[default=1]\t\t\tpam_permit.so\nsession\trequired\tpam_unix.so \nsession\toptional\tpam_systemd.so \n";
        let got = pam_for_tmpfs(common).unwrap();
        assert!(
            got.contains(
                "# left out by rootlift while lifted: session\toptional\tpam_systemd.so \n"
            )
        );
        assert!(got.starts_with(
            "session\t[default=1]\t\t\tpam_permit.so\nsession\trequired\tpam_unix.so \n"
        ));
        assert!(!pam_modules(&got).contains(&"pam_systemd.so".to_owned()));
        assert_eq!(
            pam_for_tmpfs("session optional /lib/security/pam_systemd.so\n").unwrap(),
            "# left out by rootlift while lifted: session optional /lib/security/pam_systemd.so\n"
        );
        assert_eq!(pam_for_tmpfs("# session optional pam_systemd.so\n"), None);
        assert_eq!(pam_for_tmpfs("@include common-session\n"), None);
    }
}
