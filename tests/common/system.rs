//! A tiny "system" for the lift tests: a loop-mounted ext4 image holding
//! busybox-static and rootlift, pivoted into inside the test's namespace
//! with /proc, /sys, /dev and /run mounted, as a booted host has them.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use super::{Loop, Scratch, mkfs_ext4, rootlift};

/// The body that mounts the system image on `dev`, with /proc, /sys, /dev
/// and a tmpfs /run as an init would have them, pivots the namespace into
/// it, drops the host's root, and hands PID 1 to `init` (a shell line run
/// by bash, which still runs from the host's root at that point).
pub fn system_script(dev: &str, init: &str) -> String {
    format!(
        r#"
R="$T/sysroot"
mkdir -p "$R"
mount {dev} "$R"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
cd "$R"
pivot_root . host
/bin/busybox umount -l /host
{init}
"#
    )
}

/// The usual PID 1 of a test system: busybox sh from the image, with / and
/// /run made shared as systemd does, running `inner`.
pub fn busybox_init(inner: &str) -> String {
    format!(
        r#"exec /bin/busybox sh -eu -c '
export PATH=/bin
busybox mount --make-shared /
busybox mount --make-shared /run
{inner}
'"#
    )
}

/// A 64 MiB ext4 image holding busybox-static, rootlift and the files
/// `extra` names (path inside the image, contents, mode), attached to a loop
/// device.
pub fn make_system(scratch: &Scratch, extra: &[(&str, &[u8], u32)]) -> (PathBuf, Loop) {
    make_system_with(scratch, extra, &[])
}

/// [`make_system`] with host `programs` brought in with their libraries by
/// `rootlift bring` (which lays out the host's merged-/usr links, so /bin is
/// then usr/bin).
pub fn make_system_with(
    scratch: &Scratch,
    extra: &[(&str, &[u8], u32)],
    programs: &[&str],
) -> (PathBuf, Loop) {
    let content = system_content(scratch, extra, programs);
    let image = scratch.path.join("system.img");
    mkfs_ext4(&image, 64, Some(&content));
    let lo = Loop::attach(&image);
    (image, lo)
}

/// The files of [`make_system_with`]'s image, in a folder of `scratch`.
pub fn system_content(
    scratch: &Scratch,
    extra: &[(&str, &[u8], u32)],
    programs: &[&str],
) -> PathBuf {
    let content = scratch.path.join("content");
    std::fs::create_dir_all(&content).unwrap();
    if !programs.is_empty() {
        let out = std::process::Command::new(rootlift())
            .arg("bring")
            .arg(&content)
            .args(programs)
            .output()
            .expect("spawn rootlift bring");
        assert!(out.status.success(), "rootlift bring: {out:?}");
    }
    for d in ["usr/bin", "proc", "sys", "dev", "run", "host", "tmp"] {
        std::fs::create_dir_all(content.join(d)).unwrap();
    }
    if std::fs::symlink_metadata(content.join("bin")).is_err() {
        std::os::unix::fs::symlink("usr/bin", content.join("bin")).unwrap();
    }
    std::fs::copy("/bin/busybox", content.join("usr/bin/busybox"))
        .expect("busybox-static at /bin/busybox");
    std::fs::copy(rootlift(), content.join("usr/bin/rootlift")).unwrap();
    std::fs::write(content.join("hello"), "on the old root\n").unwrap();
    for (path, bytes, mode) in extra {
        let at = content.join(path);
        std::fs::create_dir_all(at.parent().expect("a path with a parent")).unwrap();
        std::fs::write(&at, bytes).unwrap();
        std::fs::set_permissions(&at, std::fs::Permissions::from_mode(*mode)).unwrap();
    }
    content
}

/// A mount table reduced to what must survive a round trip: mount point,
/// source, type, options and propagation kind (peer group numbers change).
pub fn normalize(mountinfo: &str) -> Vec<String> {
    let mut v: Vec<String> = mountinfo
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let sep = f.iter().position(|x| *x == "-").expect("separator");
            let prop = if f[6..sep].iter().any(|x| x.starts_with("shared:")) {
                "shared"
            } else if f[6..sep].iter().any(|x| x.starts_with("master:")) {
                "slave"
            } else {
                "private"
            };
            format!(
                "{} {} {} {} {} {}",
                f[4],
                f[5],
                prop,
                f[sep + 1],
                f[sep + 2],
                f[sep + 3]
            )
        })
        .collect();
    v.sort();
    v
}

/// Splits the body's stdout into `== NAME` sections.
pub fn sections(stdout: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut cur = String::from("preamble");
    for line in stdout.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            cur = name.to_owned();
            map.entry(cur.clone()).or_insert_with(String::new);
        } else {
            let s = map.entry(cur.clone()).or_insert_with(String::new);
            s.push_str(line);
            s.push('\n');
        }
    }
    map
}
