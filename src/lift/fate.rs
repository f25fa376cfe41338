//! What release does to each process that holds the old root: one
//! decision, which `release` acts on and `plan` describes, so the two can
//! never tell different stories.

use super::units;
use crate::proc::holders::Holder;
use crate::proc::init::Init;

/// Process names (comm, at most 15 bytes) of the daemons that keep the
/// network configured: their SIGTERM handlers take the configuration down
/// (systemd.network(5) KeepConfiguration= is "no" by default, so a stopped
/// systemd-networkd drops its DHCP addresses; dhclient(8) and dhcpcd(8)
/// release their leases on exit), and the operator's SSH would go with it.
/// SIGKILL leaves addresses and routes in the kernel.
const NETWORK_DAEMONS: [&str; 8] = [
    "systemd-network",
    "NetworkManager",
    "dhclient",
    "dhcpcd",
    "udhcpc",
    "wpa_supplicant",
    "iwd",
    "connmand",
];

/// The fate of one holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// PID 1: handed off to the init stub, resumed on return.
    HandOff,
    /// PID 1 of an init rootlift cannot hand off: release refuses.
    CannotHandOff,
    /// rootlift itself, which runs from the tmpfs.
    Itself,
    /// A root-storage daemon (argv[0] starting with `@`, started from the
    /// initramfs): never killed; release refuses while it holds the root.
    Storage,
    /// sshd: its listening sockets are kept by rootlift's keeper and
    /// served from the tmpfs (lift::sshd); the old processes stop.
    KitDaemon,
    /// `user@UID.service`: SIGKILL through systemd, reset-failed.
    UserManager,
    /// Container runtimes, dbus and logind: stopped through systemd before
    /// the handoff.
    StoppedBeforeHandoff,
    /// A network daemon: SIGKILL only, brought back on return.
    Network,
    /// Everything else: SIGTERM, the grace time, SIGKILL; brought back on
    /// return the way its init starts it.
    Stopped,
}

/// Whether `comm` names a daemon that de-configures the network on SIGTERM.
pub fn keeps_network(comm: &str) -> bool {
    NETWORK_DAEMONS.contains(&comm)
}

/// The fate of `h` under `init`; `argv0` is its /proc/PID/cmdline's first
/// word; `sshd_kept` whether an sshd in reach takes over the SSH port
/// (lift::sshd: the kit in the tmpfs, or the host's own before a lift).
pub fn decide(h: &Holder, init: &Init, argv0: &str, sshd_kept: bool) -> Fate {
    let unit = h.unit.as_deref().unwrap_or("");
    if h.pid == 1 {
        return match init {
            Init::Systemd | Init::Sysvinit => Fate::HandOff,
            _ => Fate::CannotHandOff,
        };
    }
    if h.is_self {
        Fate::Itself
    } else if argv0.starts_with('@') {
        Fate::Storage
    } else if keeps_network(&h.comm) {
        Fate::Network
    } else if sshd_kept && units::is_kit_daemon(&h.comm) {
        Fate::KitDaemon
    } else if *init == Init::Systemd && units::is_user_manager(unit) {
        Fate::UserManager
    } else if *init == Init::Systemd && units::stopped_before_handoff(unit) {
        Fate::StoppedBeforeHandoff
    } else {
        Fate::Stopped
    }
}

/// [`decide`], with argv[0] read from /proc and the sshd looked for where
/// the keeper runs it.
pub fn of(h: &Holder, init: &Init) -> Fate {
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", h.pid)).unwrap_or_default();
    let argv0 = cmdline.split(|&b| b == 0).next().unwrap_or(&[]);
    let kept = std::path::Path::new(super::sshd::SSHD).is_file() && super::sshd::can_take_sockets();
    decide(h, init, &String::from_utf8_lossy(argv0), kept)
}

impl Fate {
    /// Whether release's stop step signals this holder if it is still
    /// there (SIGKILL for a network daemon, else SIGTERM, the grace,
    /// SIGKILL): every fate but PID 1's, rootlift's own and a storage
    /// daemon's. Those stopped through systemd earlier are signalled too
    /// when they outlived it.
    pub fn is_signalled(self) -> bool {
        !matches!(
            self,
            Fate::HandOff | Fate::CannotHandOff | Fate::Itself | Fate::Storage
        )
    }

    /// What release does, for `plan`.
    pub fn describe(self, init: &Init) -> &'static str {
        match self {
            Fate::HandOff if *init == Init::Sysvinit => {
                "handed off to the init stub (telinit u), resumed on return"
            }
            Fate::HandOff => {
                "handed off to the init stub (SIGTERM: systemd re-execs), resumed on return"
            }
            Fate::CannotHandOff => {
                "cannot be handed off: release refuses while PID 1 holds the root"
            }
            Fate::Itself => "rootlift itself: runs from the tmpfs after enter",
            Fate::Storage => {
                "a root-storage daemon (argv[0] '@'): never killed, so release refuses while it holds the root"
            }
            Fate::KitDaemon => {
                "its listening sockets are taken over by rootlift's keeper (no connection is refused), logins served by the tmpfs sshd; the old processes stop; the real sshd takes the sockets back on return"
            }
            Fate::UserManager => {
                "user manager: SIGKILL (systemctl kill), reset-failed; logind starts it at the next login"
            }
            Fate::StoppedBeforeHandoff => {
                "stopped with systemctl before the PID 1 handoff, started again on return"
            }
            Fate::Network => {
                "SIGKILL only (its SIGTERM would take the network down), started again on return"
            }
            Fate::Stopped => "SIGTERM, then SIGKILL after the grace time",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stop_step_signals_all_but_pid1_itself_and_storage() {
        use Fate::*;
        for f in [HandOff, CannotHandOff, Itself, Storage] {
            assert!(!f.is_signalled(), "{f:?}");
        }
        for f in [
            KitDaemon,
            UserManager,
            StoppedBeforeHandoff,
            Network,
            Stopped,
        ] {
            assert!(f.is_signalled(), "{f:?}");
        }
    }

    fn holder(pid: u32, comm: &str, unit: Option<&str>) -> Holder {
        Holder {
            pid,
            comm: comm.into(),
            unit: unit.map(Into::into),
            is_self: false,
            access: Vec::new(),
        }
    }

    #[test]
    fn every_holder_gets_one_fate() {
        let sd = Init::Systemd;
        let cases = [
            (holder(1, "systemd", None), "/sbin/init", Fate::HandOff),
            (
                holder(5, "dhclient", Some("networking.service")),
                "dhclient",
                Fate::Network,
            ),
            (
                holder(6, "systemd-network", Some("systemd-networkd.service")),
                "x",
                Fate::Network,
            ),
            (
                holder(7, "sshd", Some("ssh.service")),
                "sshd: /usr/sbin/sshd",
                Fate::KitDaemon,
            ),
            (
                holder(8, "systemd", Some("user@0.service")),
                "/lib/systemd/systemd",
                Fate::UserManager,
            ),
            (
                holder(9, "dbus-daemon", Some("dbus.service")),
                "dbus",
                Fate::StoppedBeforeHandoff,
            ),
            (
                holder(10, "cron", Some("cron.service")),
                "/usr/sbin/cron",
                Fate::Stopped,
            ),
            (
                holder(11, "iscsid", Some("iscsid.service")),
                "@iscsid",
                Fate::Storage,
            ),
            (
                holder(12, "bash", Some("session-1.scope")),
                "-bash",
                Fate::Stopped,
            ),
        ];
        for (h, argv0, want) in cases {
            assert_eq!(decide(&h, &sd, argv0, true), want, "{}", h.comm);
        }
        let mut me = holder(13, "rootlift", None);
        me.is_self = true;
        let sv = Init::Sysvinit;
        assert_eq!(decide(&me, &sd, "rootlift", true), Fate::Itself);
        assert_eq!(
            decide(&holder(1, "init", None), &sv, "init", true),
            Fate::HandOff
        );
        let busybox = Init::Busybox;
        assert_eq!(
            decide(&holder(1, "sh", None), &busybox, "sh", true),
            Fate::CannotHandOff
        );
        // Without systemd, unit names mean nothing.
        let dbus = holder(9, "dbus-daemon", Some("dbus.service"));
        assert_eq!(decide(&dbus, &sv, "dbus", true), Fate::Stopped);
        // sshd under sysvinit is kept too; without an sshd to keep its
        // sockets, it is stopped like any daemon (and started again).
        assert_eq!(
            decide(&holder(7, "sshd", None), &sv, "sshd", true),
            Fate::KitDaemon
        );
        let sshd = holder(7, "sshd", Some("ssh.service"));
        assert_eq!(decide(&sshd, &sd, "sshd", false), Fate::Stopped);
    }

    #[test]
    fn network_daemons_are_named_as_comm_shows_them() {
        // comm is cut to 15 bytes: systemd-networkd shows as systemd-network.
        assert!(keeps_network("systemd-network"));
        assert!(keeps_network("dhclient"));
        assert!(!keeps_network("systemd-networkd"));
        assert!(!keeps_network("sshd"));
        assert!(NETWORK_DAEMONS.iter().all(|c| c.len() <= 15));
    }
}
