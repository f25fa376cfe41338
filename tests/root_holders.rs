//! `rootlift holders` against crafted holders of a loop ext4 mounted in a
//! private mount + PID namespace: an open fd, a cwd, a running binary, a
//! file only mmapped (its fd closed), a chroot, a child mount namespace
//! with its own mount of the filesystem, a bound unix socket, an fd of the
//! block device itself and a loop device backed by a file on it. Every
//! holder must be found with the right access kind, and the PIDs that
//! `fuser -m` and `lsof` report must be a subset of rootlift's.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;

/// Every holder of the filesystem, started in the background; `$M` is the
/// mount point, `$DEV` the loop device. Each waits until it holds what it
/// should, then the three tools run. The PID namespace takes all of them
/// down when the body ends; the inner loop device is detached by the trap.
const BODY: &str = r#"
M="$T/mnt"; X="$T/x"
mkdir -p "$M" "$X"
mount "$DEV" "$M"
INNER=
trap '[ -z "$INNER" ] || losetup -d "$INNER"' EXIT

ready() { for _ in $(seq 100); do [ -e "$T/$1.ready" ] && return 0; sleep 0.1; done; echo "holder $1 never got ready" >&2; exit 1; }

sleep 1000 3<"$M/open.txt" & echo "PID fd $!"
(cd "$M/dir" && exec sleep 1000) & echo "PID cwd $!"
"$M/bin/busybox" sleep 1000 & echo "PID exe $!"
/usr/bin/python3 -c '
# mmap(2) through libc: the mmap module keeps a dup of the fd.
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
fd = os.open(sys.argv[1], os.O_RDONLY)
PROT_READ, MAP_PRIVATE = 1, 2
p = libc.mmap(None, 8192, PROT_READ, MAP_PRIVATE, fd, 0)
assert p not in (None, ctypes.c_void_p(-1).value), ctypes.get_errno()
os.close(fd)
open(sys.argv[2], "w").close()
time.sleep(1000)
' "$M/data.bin" "$T/map.ready" & echo "PID map $!"
chroot "$M" /bin/busybox sleep 1000 & echo "PID root $!"
unshare --mount --propagation private sh -c 'mount "$1" "$2" && touch "$3" && exec sleep 1000' \
    sh "$DEV" "$X" "$T/ns.ready" & echo "PID mountns $!"
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen()
open(sys.argv[2], "w").close()
time.sleep(1000)
' "$M/listen.sock" "$T/unix.ready" & echo "PID unix $!"
sleep 1000 4<"$DEV" & echo "PID device $!"
INNER=$(losetup --find --show --read-only "$M/inner.img")
echo "INNER $INNER"

ready map; ready ns; ready unix
# The plain ones need no more than their exec.
sleep 0.5

"$ROOTLIFT" holders "$M" >"$T/text.out"
grep -q "^holders of $M " "$T/text.out"
"$ROOTLIFT" holders "$M" --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
for p in d["processes"]:
    for a in p["access"]:
        what = a.get("path") or " ".join(a.get("mount_points", []))
        print("ACCESS", p["pid"], a["kind"], "device" if a.get("device") else "-", what)
for o in d["other"]:
    print("OTHER", o["kind"], o.get("path") or o.get("device") + " " + o.get("backing_file"))
'
for p in $(fuser -m "$M" 2>/dev/null); do echo "FUSER $p"; done
for p in $(lsof -t "$M" 2>/dev/null || true); do echo "LSOF $p"; done
"#;

/// What the body printed: the holders' PIDs by role, rootlift's accesses
/// (pid -> [(kind, device, path)]), its other pins, and the PID sets of
/// fuser and lsof.
#[derive(Default)]
struct Seen {
    role: BTreeMap<String, u32>,
    access: BTreeMap<u32, Vec<(String, bool, String)>>,
    other: Vec<(String, String)>,
    inner: String,
    fuser: BTreeSet<u32>,
    lsof: BTreeSet<u32>,
}

fn parse(stdout: &str) -> Seen {
    let mut s = Seen::default();
    for line in stdout.lines() {
        let f: Vec<&str> = line.splitn(5, ' ').collect();
        match f.as_slice() {
            ["PID", role, pid] => {
                s.role.insert(role.to_string(), pid.parse().unwrap());
            }
            ["ACCESS", pid, kind, dev, path] => s
                .access
                .entry(pid.parse().unwrap())
                .or_default()
                .push((kind.to_string(), *dev == "device", path.to_string())),
            ["OTHER", kind, rest @ ..] => s.other.push((kind.to_string(), rest.join(" "))),
            ["INNER", dev] => s.inner = dev.to_string(),
            ["FUSER", pid] => {
                s.fuser
                    .insert(pid.trim_end_matches(char::is_alphabetic).parse().unwrap());
            }
            ["LSOF", pid] => {
                s.lsof.insert(pid.parse().unwrap());
            }
            _ => {}
        }
    }
    s
}

#[test]
fn root_holders_finds_every_kind_and_more_than_fuser_and_lsof() {
    require_root();
    let scratch = Scratch::new("holders");
    let content = scratch.path.join("content");
    for d in ["bin", "dir"] {
        std::fs::create_dir_all(content.join(d)).unwrap();
    }
    std::fs::copy("/bin/busybox", content.join("bin/busybox"))
        .expect("busybox-static at /bin/busybox");
    std::fs::write(content.join("open.txt"), "held open\n").unwrap();
    std::fs::write(content.join("data.bin"), vec![7u8; 8192]).unwrap();
    std::fs::write(content.join("inner.img"), vec![0u8; 1 << 20]).unwrap();
    let image = scratch.path.join("holders.img");
    mkfs_ext4(&image, 32, Some(&content));
    let lo = Loop::attach(&image);

    let out = in_ns(Pid::New, &scratch.path, &format!("DEV={}\n{BODY}", lo.dev));
    let stdout = assert_ok(&out);
    let s = parse(&stdout);
    let m = format!("{}/mnt", scratch.path.display());
    let show = || format!("--- body stdout\n{stdout}");

    let has = |role: &str, kind: &str, device: bool, path: &str| {
        let pid = s.role[role];
        let found = s.access.get(&pid).is_some_and(|v| {
            v.iter()
                .any(|(k, d, p)| k == kind && *d == device && p == path)
        });
        assert!(found, "{role} (pid {pid}): no {kind} {path}\n{}", show());
    };
    has("fd", "fd", false, &format!("{m}/open.txt"));
    has("cwd", "cwd", false, &format!("{m}/dir"));
    has("exe", "exe", false, &format!("{m}/bin/busybox"));
    has("map", "map", false, &format!("{m}/data.bin"));
    has("root", "root", false, &m);
    has("root", "exe", false, &format!("{m}/bin/busybox"));
    has("unix", "unix", false, &format!("{m}/listen.sock"));
    has("device", "fd", true, &lo.dev);

    // The mmap holder closed its fd: only the mapping pins the fs.
    let map_kinds: Vec<&str> = s.access[&s.role["map"]]
        .iter()
        .map(|(k, ..)| k.as_str())
        .collect();
    assert_eq!(map_kinds, ["map"], "{}", show());
    // The namespace holder has nothing open there; its own mounts pin it.
    let ns = &s.access[&s.role["mountns"]];
    assert_eq!(ns.len(), 1, "{}", show());
    assert_eq!(ns[0].0, "mountns");
    let points: Vec<&str> = ns[0].2.split(' ').collect();
    assert!(
        points.contains(&format!("{}/x", scratch.path.display()).as_str()),
        "{}",
        show()
    );

    // Pins that are not processes.
    let sock = ("unix-socket".to_owned(), format!("{m}/listen.sock"));
    assert!(s.other.contains(&sock), "{}", show());
    assert!(s.inner.starts_with("/dev/loop"), "{}", show());
    let inner = ("loop".to_owned(), format!("{} {m}/inner.img", s.inner));
    assert!(s.other.contains(&inner), "{}", show());

    // fuser and lsof: whatever they find, rootlift found too.
    let ours: BTreeSet<u32> = s.access.keys().copied().collect();
    let roles: BTreeSet<u32> = s.role.values().copied().collect();
    assert!(roles.is_subset(&ours), "a holder was missed\n{}", show());
    assert!(!s.fuser.is_empty() && !s.lsof.is_empty(), "{}", show());
    assert!(s.fuser.is_subset(&ours), "fuser found more\n{}", show());
    assert!(s.lsof.is_subset(&ours), "lsof found more\n{}", show());
    // And what they miss: the namespace holder at least.
    assert!(!s.fuser.contains(&s.role["mountns"]), "{}", show());
    assert!(!s.lsof.contains(&s.role["mountns"]), "{}", show());
    eprintln!(
        "rootlift: {} pids, fuser: {} {:?}, lsof: {} {:?}",
        ours.len(),
        s.fuser.len(),
        ours.difference(&s.fuser).collect::<Vec<_>>(),
        s.lsof.len(),
        ours.difference(&s.lsof).collect::<Vec<_>>()
    );
    eprintln!("roles: {:?}", s.role);
}

/// Processes exit while /proc is walked: the scan must neither fail nor
/// report garbage.
#[test]
fn root_holders_survives_processes_vanishing_mid_scan() {
    require_root();
    let scratch = Scratch::new("holders-churn");
    let out = in_ns(
        Pid::New,
        &scratch.path,
        r#"
( while :; do for _ in 1 2 3 4 5 6 7 8; do /bin/true & done; wait; done ) &
CHURN=$!
for i in $(seq 50); do
    "$ROOTLIFT" holders / --json >/dev/null
    "$ROOTLIFT" holders / >/dev/null
done
kill $CHURN
echo survived
"#,
    );
    let stdout = assert_ok(&out);
    assert!(stdout.contains("survived"), "{stdout}");
}
