//! shrink on a loop ext4 "system" in a private mount + PID namespace: the
//! root is not on an LV, so only the filesystem shrinks (a partition's
//! case). Refusals leave the device byte-identical; a filesystem with the
//! errors flag and an xfs root are refused; a real live shrink ends with
//! the filesystem exactly at the asked size, clean, files intact.

mod common;

use common::system::*;
use common::*;

/// PID 1 runs from /run so it does not pin the root (no handoff needed).
const INIT: &str = "/bin/busybox cp /bin/busybox /run/busybox\n\
                    exec /run/busybox sh -eu -c \"$(/bin/busybox cat /run-body.sh)\"";

/// The shrink kit the job brings, present on the system as on a host.
const KIT: [&str; 2] = ["/usr/sbin/e2fsck", "/usr/sbin/resize2fs"];

const BODY: &str = r#"
export PATH=/bin
/run/busybox mount --make-shared /
dev=$(/run/busybox awk '$2 == "/" { print $1 }' /proc/self/mounts)
sum() { /run/busybox md5sum "$dev" | /run/busybox cut -d' ' -f1; }
refuse() {
    rc=0; /bin/rootlift shrink "$@" --yes 2>/run/err || rc=$?
    echo "$* -> $rc $(/run/busybox cat /run/err)"
}
# Read-only, the kernel writes nothing more (remount,ro also checkpoints
# the journal), so the device's bytes can show that refusals write nothing.
/run/busybox mount -o remount,ro /
echo "== refusals"
before=$(sum)
refuse 1M
refuse 64M
refuse 1G
refuse 40M --device /dev/null
[ "$(sum)" = "$before" ] && echo "device unchanged"
[ ! -e /run/rootlift/journal ] && echo "nothing journaled"
/run/busybox mount -o remount,rw /
echo "== shrink"
/bin/rootlift shrink 40M --yes --confirm-within 0 >/run/out 2>&1 || { /run/busybox cat /run/out; exit 1; }
/run/busybox grep -E 'job.step|job.result|job.done' /run/rootlift/journal
echo "== after"
/bin/rootlift ext4 --json "$dev"
echo
/run/busybox cat /hello
"#;

#[test]
fn root_shrink_only_the_fs_on_a_partition_like_device() {
    require_root();
    let scratch = Scratch::new("shrink");
    let (_image, lo) = make_system_with(&scratch, &[("run-body.sh", BODY.as_bytes(), 0o644)], &KIT);
    let out = in_ns(Pid::New, &scratch.path, &system_script(&lo.dev, INIT));
    let stdout = assert_ok(&out);
    let s = sections(&stdout);

    let r = &s["refusals"];
    assert!(
        r.contains("1M -> 3 rootlift: error: refused: 1.0 MiB is below the shrink floor"),
        "{r}"
    );
    assert!(
        r.contains(
            "64M -> 3 rootlift: error: refused: 64.0 MiB is not smaller than the filesystem"
        ),
        "{r}"
    );
    assert!(
        r.contains("1G -> 3 rootlift: error: refused: 1.0 GiB is larger than the device"),
        "{r}"
    );
    assert!(r.contains("is not the root device"), "{r}");
    assert!(r.contains("device unchanged"), "{r}");
    assert!(r.contains("nothing journaled"), "{r}");

    let j = &s["shrink"];
    assert!(j.contains("step=resize2fs blocks=10240"), "{j}");
    assert!(j.contains("step=e2fsck-verify"), "{j}");
    assert!(j.contains("job.done code=0 result=ok"), "{j}");
    assert!(!j.contains("lvreduce"), "no LV here: {j}");
    let after = &s["after"];
    assert!(after.contains(r#""block_count":10240"#), "{after}");
    assert!(after.contains(r#""block_size":4096"#), "{after}");
    assert!(after.contains("on the old root"), "{after}");
}

#[test]
fn root_shrink_refuses_a_filesystem_with_errors() {
    require_root();
    let scratch = Scratch::new("shrinkerr");
    let body = r#"
export PATH=/bin
rc=0; /bin/rootlift shrink 40M --yes 2>/run/err || rc=$?
echo "rc=$rc $(/run/busybox cat /run/err)"
"#;
    let (image, lo) = make_system_with(&scratch, &[("run-body.sh", body.as_bytes(), 0o644)], &KIT);
    // s_state with EXT2_ERROR_FS: what the kernel records after an error.
    let set = std::process::Command::new("/usr/sbin/debugfs")
        .args(["-w", "-R", "ssv state 3"])
        .arg(&image)
        .output()
        .expect("spawn debugfs");
    assert!(set.status.success(), "{set:?}");
    let out = in_ns(Pid::New, &scratch.path, &system_script(&lo.dev, INIT));
    let stdout = assert_ok(&out);
    assert!(stdout.contains("rc=3"), "{stdout}");
    assert!(stdout.contains("not sane (errors=true"), "{stdout}");
}

#[test]
fn root_shrink_refuses_an_xfs_root() {
    require_root();
    let scratch = Scratch::new("shrinkxfs");
    let image = scratch.path.join("xfs.img");
    std::fs::File::create(&image)
        .and_then(|f| f.set_len(320 << 20))
        .expect("create the xfs image");
    let mk = std::process::Command::new("/usr/sbin/mkfs.xfs")
        .args(["-q", "-f"])
        .arg(&image)
        .output()
        .expect("spawn mkfs.xfs");
    assert!(mk.status.success(), "{mk:?}");
    let lo = Loop::attach(&image);
    // The system's files go onto the xfs in the namespace, then the same
    // pivot as for an ext4 system.
    let fill = format!(
        r#"mkdir -p "$T/x" && mount {dev} "$T/x"
mkdir -p "$T/x/bin" "$T/x/proc" "$T/x/sys" "$T/x/dev" "$T/x/run" "$T/x/host"
cp /bin/busybox "$ROOTLIFT" "$T/x/bin/"
umount "$T/x"
"#,
        dev = lo.dev
    );
    let init = "exec /bin/busybox sh -c 'rc=0; /bin/rootlift shrink 100M --yes 2>/tmp.err || rc=$?; echo \"rc=$rc $(/bin/busybox cat /tmp.err)\"'";
    let out = in_ns(
        Pid::New,
        &scratch.path,
        &format!("{fill}{}", system_script(&lo.dev, init)),
    );
    let stdout = assert_ok(&out);
    assert!(stdout.contains("rc=3"), "{stdout}");
    assert!(stdout.contains("xfs cannot be shrunk"), "{stdout}");
}
