//! Proves the root-tier rig itself: a body can mount a loop ext4 image and
//! pivot_root into a tmpfs inside its private namespace, while the host's
//! mount table stays byte-for-byte the same; and a body that would run in
//! the host's namespace is refused before it starts.

mod common;

use common::*;

#[test]
fn root_rig_pivot_in_private_namespace_leaves_host_untouched() {
    require_root();
    let scratch = Scratch::new("rig");
    let content = scratch.path.join("content");
    std::fs::create_dir_all(&content).unwrap();
    std::fs::write(content.join("hello"), "from the loop image\n").unwrap();
    let image = scratch.path.join("root.img");
    mkfs_ext4(&image, 16, Some(&content));
    let lo = Loop::attach(&image);

    let before = host_mountinfo();
    let out = in_ns(
        Pid::New,
        &scratch.path,
        &format!(
            r#"
mkdir -p "$T/mnt" "$T/new"
mount -t ext4 {dev} "$T/mnt"
mount -t tmpfs -o size=8m tmpfs "$T/new"
mkdir "$T/new/old"
cp /bin/busybox "$T/new/busybox"
cd "$T/new"
pivot_root . old
# From here on only the static busybox in the tmpfs runs.
exec /busybox sh -euc '
    /busybox mkdir /proc && /busybox mount -t proc proc /proc
    [ "$(/busybox stat -f -c %T /)" = tmpfs ] || {{ echo "root is not tmpfs"; exit 1; }}
    /busybox cat "/old$T/mnt/hello"
    /busybox grep -q " / / " /proc/self/mountinfo
    echo pivoted
'
"#,
            dev = lo.dev
        ),
    );
    let stdout = assert_ok(&out);
    assert!(stdout.contains("from the loop image"), "{stdout}");
    assert!(stdout.contains("pivoted"), "{stdout}");

    let after = host_mountinfo();
    assert_eq!(before, after, "the host's mount table changed");
    assert!(
        !after.contains(&lo.dev),
        "the loop device is mounted on the host"
    );
}

#[test]
fn root_rig_refuses_to_run_a_body_in_the_host_namespace() {
    require_root();
    let scratch = Scratch::new("guard");
    let marker = scratch.path.join("ran");
    let out = in_host_ns_for_guard_test(&scratch.path, "touch \"$T/ran\"");
    assert_eq!(out.status.code(), Some(HOST_NAMESPACE_REFUSED));
    assert!(!marker.exists(), "the body ran in the host's namespace");
}
