//! Partition roots on loop disks (`losetup --partscan`), each body in a
//! private mount (and PID) namespace:
//!
//! - a live `shrink` of an ext4 "system" on partition 1 of a GPT and of an
//!   MBR disk, with partition 2 mounted read-only all along: refused while
//!   cloud-init's growpart is on, then done with --disable-growpart (the
//!   drop-in journaled); afterwards `sfdisk --dump` differs from before only
//!   in partition 1's size, `sgdisk -v` / `sfdisk --verify` are clean,
//!   partition 2's bytes are identical, sysfs, table and filesystem agree,
//!   `e2fsck -fn` is clean and `status` says what the disk holds;
//! - `grow max /` there is refused before anything changes (this machine's
//!   containers lack CAP_SYS_RESOURCE; the VM scenario `partition` grows
//!   ext4 for real);
//! - the way back: a failure after the table write rolls back inline, and a
//!   worker that dies right after the write is rolled back by `return`
//!   from the journal's old bytes: the old sizes, exactly;
//! - the same shrink `--at-shutdown`, run by rootlift as the shutdown
//!   program under a stand-in systemd (tests/common/fake_systemd.sh);
//! - `grow` of a btrfs partition (BTRFS_IOC_RESIZE needs only
//!   CAP_SYS_ADMIN): to a SIZE, to the next partition, and after the disk
//!   grew, to its new end with the GPT backup moved there;
//! - `rootlift parts --json` against `sfdisk --json` on loop devices with
//!   4096-byte sectors (GPT and MBR), where BLKSSZGET gives the size.

mod common;

use std::path::Path;
use std::process::Command;

use common::system::{sections, system_content, system_script};
use common::{Pid, Scratch, assert_ok, in_ns, require_root, run_ok};

/// PID 1 runs from /run so it does not pin the root (no handoff needed).
const INIT: &str = "/bin/busybox cp /bin/busybox /run/busybox\n\
                    exec /run/busybox sh -eu -c \"$(/bin/busybox cat /run-body.sh)\"";

/// The shrink kit the job brings, present on the system as on a host.
const KIT: [&str; 2] = ["/usr/sbin/e2fsck", "/usr/sbin/resize2fs"];

/// cloud-init as installed on a Debian cloud image, reduced to what the
/// growpart check reads.
const CLOUD_CFG: &str = "cloud_init_modules:\n - migrator\n - growpart\n - resizefs\n";

const MIB: u64 = 1 << 20;
/// Partition 1 starts at 1 MiB and has 64 MiB; partition 2 follows.
const P1_START: u64 = MIB;
const P_SIZE: u64 = 64 * MIB;
const P2_START: u64 = P1_START + P_SIZE;

/// A disk image: `label` table with two 64 MiB partitions, an ext4 system
/// (from `content`) on the first, an ext4 with a data file on the second.
fn make_disk(s: &Scratch, label: &str, content: &Path) -> std::path::PathBuf {
    let img = s.path.join("disk.img");
    std::fs::File::create(&img)
        .unwrap()
        .set_len(160 * MIB)
        .unwrap();
    let script = match label {
        "gpt" => "label: gpt\nsize=64M, name=\"root\"\nsize=64M, name=\"data\"\n",
        _ => "label: dos\nsize=64M, type=83\nsize=64M, type=83\n",
    };
    run_ok(
        Command::new("/usr/sbin/sfdisk").arg("-q").arg(&img),
        Some(script),
    );
    let data = s.path.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let bytes: Vec<u8> = (0..4 * MIB)
        .map(|i| ((i * 2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(data.join("file"), bytes).unwrap();
    for (offset, dir) in [(P1_START, content), (P2_START, data.as_path())] {
        run_ok(
            Command::new("/usr/sbin/mkfs.ext4")
                .args(["-q", "-F", "-b", "4096", "-E"])
                .arg(format!(
                    "offset={offset},lazy_itable_init=0,lazy_journal_init=0"
                ))
                .arg("-d")
                .arg(dir)
                .arg(&img)
                .arg("64M"),
            None,
        );
    }
    img
}

/// A loop device with its partitions, detached on drop.
struct PartLoop {
    dev: String,
}

impl PartLoop {
    fn attach(image: &Path) -> PartLoop {
        let dev = run_ok(
            Command::new("losetup")
                .args(["--find", "--show", "--partscan"])
                .arg(image),
            None,
        )
        .trim()
        .to_owned();
        let lo = PartLoop { dev };
        // The scan at attach is not always done (or seen) here; partx adds
        // what is missing.
        let _ = Command::new("partx").args(["-a", &lo.dev]).output();
        let name = lo.dev.trim_start_matches("/dev/");
        for n in [1, 2] {
            let sys = format!("/sys/block/{name}/{name}p{n}");
            assert!(Path::new(&sys).exists(), "{sys} missing");
        }
        lo
    }
}

impl Drop for PartLoop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").args(["-d", &self.dev]).status();
    }
}

fn read_range(img: &Path, offset: u64, len: u64) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; len as usize];
    std::fs::File::open(img)
        .unwrap()
        .read_exact_at(&mut buf, offset)
        .unwrap();
    buf
}

/// `sfdisk --dump` of the image with its path left out.
fn dump(img: &Path) -> Vec<String> {
    run_ok(
        Command::new("/usr/sbin/sfdisk").arg("--dump").arg(img),
        None,
    )
    .lines()
    .map(|l| l.replace(&img.display().to_string(), "IMG"))
    .collect()
}

/// The number after `"KEY":` in a JSON text, the first from `from` on.
fn json_u64(text: &str, from: &str, key: &str) -> u64 {
    let start = text
        .find(from)
        .unwrap_or_else(|| panic!("no {from} in {text}"));
    let pat = format!("\"{key}\":");
    let at = text[start..]
        .find(&pat)
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        + start
        + pat.len();
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not a number in {text}"))
}

fn ext4_blocks(dev: &str) -> u64 {
    let out = run_ok(Command::new("/usr/sbin/dumpe2fs").args(["-h", dev]), None);
    out.lines()
        .find_map(|l| l.strip_prefix("Block count:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("block count")
}

/// The body: refusal while cloud-init grows roots (GPT run only), the
/// shrink, the state after, a refused grow.
const SHRINK_BODY: &str = r#"
export PATH=/bin
p1=${DISK}p1
/run/busybox mount --make-shared /
# Partition 2 in use all along: mounted under /run, which moves with the
# lift instead of being unmounted.
/run/busybox mkdir -p /run/data
/run/busybox mount -o ro,noload ${DISK}p2 /run/data
# plan's floor is the live floor a job checks against: after fresh writes
# and a sync (the group descriptors current in the page cache, the
# superblock's free count not yet), the partition end it shows is the one
# `rootlift ext4` derives from its live floor.
echo "== floor"
/run/busybox dd if=/dev/urandom of=/fill bs=1M count=4 2>/dev/null
/run/busybox sync
/bin/rootlift plan --json
echo
/bin/rootlift ext4 --json $p1
echo
/run/busybox rm /fill
echo "== plan"
/bin/rootlift plan
echo "== plan-json"
/bin/rootlift plan --json
echo
echo "== refused"
if [ -n "$GROWPART" ]; then
    rc=0; /bin/rootlift shrink 40M --yes --confirm-within 0 2>/run/err || rc=$?
    echo "rc=$rc $(/run/busybox cat /run/err)"
    [ ! -e /run/rootlift/journal ] && echo "nothing journaled"
fi
echo "== shrink"
/bin/rootlift shrink 40M --yes --confirm-within 0 $GROWPART >/run/out 2>&1 ||
    { /run/busybox cat /run/out /run/rootlift/worker.log; exit 1; }
/run/busybox grep -E 'job.spec|job.step|job.result|job.done|job.disk' /run/rootlift/journal
echo "== status"
/bin/rootlift status | /run/busybox grep '^disk:'
echo "== after"
echo "sysfs=$(/run/busybox cat /sys/class/block/${p1#/dev/}/size)"
/bin/rootlift parts --json $DISK
echo
/run/busybox grep -c " /run/data " /proc/mounts
/run/busybox cat /hello
echo "== cloud"
/run/busybox cat /etc/cloud/cloud.cfg.d/99-rootlift-no-growpart.cfg 2>/dev/null || echo "no drop-in"
/bin/rootlift plan | /run/busybox grep cloud-init || echo "no cloud-init line"
echo "== grow"
rc=0; /bin/rootlift grow max / 2>/run/err || rc=$?
echo "rc=$rc $(/run/busybox cat /run/err)"
/bin/rootlift parts --json $DISK
echo
"#;

fn shrink_case(label: &str, cloud: bool) {
    require_root();
    let s = Scratch::new(&format!("parts-{label}"));
    let mut extra: Vec<(&str, &[u8], u32)> = vec![("run-body.sh", SHRINK_BODY.as_bytes(), 0o644)];
    if cloud {
        extra.push(("usr/bin/cloud-init", b"#!/bin/sh\nexit 0\n", 0o755));
        extra.push(("etc/cloud/cloud.cfg", CLOUD_CFG.as_bytes(), 0o644));
    }
    let content = system_content(&s, &extra, &KIT);
    let img = make_disk(&s, label, &content);
    let before = dump(&img);
    let p2_before = read_range(&img, P2_START, P_SIZE);
    let lo = PartLoop::attach(&img);
    let growpart = if cloud { "--disable-growpart" } else { "" };
    let body = format!(
        "export DISK={} GROWPART={growpart}\n{}",
        lo.dev,
        system_script(&format!("{}p1", lo.dev), INIT)
    );
    let out = in_ns(Pid::New, &s.path, &body);
    let stdout = assert_ok(&out);
    let sec = sections(&stdout);

    // Partition 1 starts at sector 2048, aligned to 1 MiB (2048 sectors).
    let floor = &sec["floor"];
    let min_blocks = json_u64(floor, r#""live":{"#, "min_blocks");
    let block_size = json_u64(floor, r#""block_size""#, "block_size");
    let align = 2048 * 512;
    let want = 2048 + (min_blocks * block_size).div_ceil(align) * align / 512 - 1;
    assert_eq!(
        json_u64(floor, r#""partition":{"#, "floor_end"),
        want,
        "{floor}"
    );

    let plan = &sec["plan"];
    let name = format!("{}p1", lo.dev.trim_start_matches("/dev/"));
    assert!(
        plan.contains(&format!(
            "partition:   {name} is partition 1 of {} ({label} table, 512-byte sectors): sectors 2048-133119 (64.0 MiB), aligned to 1.0 MiB",
            lo.dev
        )),
        "{plan}"
    );
    assert!(
        plan.contains("after it:    partition 2: sectors 133120-264191 (64.0 MiB)"),
        "{plan}"
    );
    assert!(
        plan.contains("shrink:      to the floor, the partition would end at sector "),
        "{plan}"
    );
    assert!(
        plan.contains("grow max:    the partition would end at sector 133119"),
        "{plan}"
    );
    let pj = &sec["plan-json"];
    assert!(
        pj.contains(r#""after":[{"number":2,"start":133120,"end":264191,"sectors":131072}]"#),
        "{pj}"
    );

    let refused = &sec["refused"];
    if cloud {
        assert!(refused.contains("rc=3 "), "{refused}");
        assert!(
            refused.contains("cloud-init is installed and growpart would grow the partition back at the next boot"),
            "{refused}"
        );
        assert!(refused.contains("nothing journaled"), "{refused}");
        assert!(plan.contains("cloud-init:  installed (growpart for / on, resize_rootfs on): growpart would grow the partition back at the next boot: shrink refuses unless --disable-growpart"), "{plan}");
    }

    let j = &sec["shrink"];
    assert!(j.contains("step=resize2fs blocks=10240"), "{j}");
    assert!(j.contains("step=part-write"), "{j}");
    assert!(j.contains("step=part-kernel sectors=81920"), "{j}");
    assert!(
        j.contains(
            "job.result part_sectors_before=131072 part_sectors_after=81920 fs_blocks_after=10240"
        ),
        "{j}"
    );
    assert!(j.contains("job.done code=0 result=ok"), "{j}");
    if cloud {
        assert!(
            j.contains(
                "cloud_init=disabled%20by%20/etc/cloud/cloud.cfg.d/99-rootlift-no-growpart.cfg"
            ),
            "{j}"
        );
    }
    let status = &sec["status"];
    assert!(
        status.contains(&format!(
            "disk: partition 1 of {}: shrunk: table, kernel and filesystem agree (81920 sectors)",
            lo.dev
        )),
        "{status}"
    );
    let after = &sec["after"];
    assert!(after.contains("sysfs=81920"), "{after}");
    assert!(after.contains(r#""start":2048,"size":81920"#), "{after}");
    assert!(
        after.contains("\n1\n"),
        "partition 2 is mounted again: {after}"
    );
    assert!(after.contains("on the old root"), "{after}");
    let cloud_sec = &sec["cloud"];
    if cloud {
        assert!(
            cloud_sec.contains("growpart:\n  mode: \"off\"\nresize_rootfs: false"),
            "{cloud_sec}"
        );
        assert!(
            cloud_sec.contains("installed (growpart for / off, resize_rootfs off)"),
            "{cloud_sec}"
        );
    } else {
        assert!(
            cloud_sec.contains("no drop-in") && cloud_sec.contains("no cloud-init line"),
            "{cloud_sec}"
        );
    }
    let grow = &sec["grow"];
    assert!(
        grow.contains("rc=3 rootlift: error: refused: EXT4_IOC_RESIZE_FS needs CAP_SYS_RESOURCE"),
        "{grow}"
    );
    assert!(
        grow.contains(r#""start":2048,"size":81920"#),
        "the refused grow changed nothing: {grow}"
    );

    // From the host, the namespace gone: only partition 1's size changed.
    let after_dump = dump(&img);
    let changed: Vec<(&String, &String)> = before
        .iter()
        .zip(&after_dump)
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(
        changed[0].0.contains("size=      131072") && changed[0].1.contains("size=       81920"),
        "{changed:?}"
    );
    assert_eq!(before.len(), after_dump.len());
    if label == "gpt" {
        let v = run_ok(Command::new("/usr/sbin/sgdisk").arg("-v").arg(&img), None);
        assert!(v.contains("No problems found"), "{v}");
    }
    let v = run_ok(
        Command::new("/usr/sbin/sfdisk").arg("--verify").arg(&img),
        None,
    );
    assert!(v.contains("No errors detected"), "{v}");
    assert!(
        read_range(&img, P2_START, P_SIZE) == p2_before,
        "partition 2's bytes changed"
    );
    let p1 = format!("{}p1", lo.dev);
    run_ok(Command::new("/usr/sbin/e2fsck").args(["-fn", &p1]), None);
    assert_eq!(ext4_blocks(&p1), 10240);
    let sysfs = std::fs::read_to_string(format!("/sys/class/block/{name}/size")).unwrap();
    assert_eq!(sysfs.trim(), "81920");
}

#[test]
fn root_parts_shrink_a_gpt_partition_root() {
    shrink_case("gpt", true);
}

#[test]
fn root_parts_shrink_an_mbr_partition_root() {
    shrink_case("dos", false);
}

/// A failure after the table write, then a worker killed right after it.
const ROLLBACK_BODY: &str = r#"
export PATH=/bin
p1=${DISK}p1
/run/busybox mount --make-shared /
sizes() {
    echo "sysfs=$(/run/busybox cat /sys/class/block/${p1#/dev/}/size) $(/bin/rootlift parts --json $DISK | /run/busybox grep -o '"start":2048,"size":[0-9]*')"
}
echo "== fail"
rc=0; ROOTLIFT_TEST_FAIL_AT=job:part-resized /bin/rootlift shrink 40M --yes --confirm-within 0 >/run/out 2>&1 || rc=$?
echo "rc=$rc"
/run/busybox grep -E 'job.step|job.disk|job.failed' /run/rootlift/journal
/bin/rootlift status | /run/busybox grep '^disk:'
sizes
echo "== die"
rc=0; ROOTLIFT_TEST_KILL_AT=job:part-written /bin/rootlift shrink 40M --yes --confirm-within 0 >/run/out 2>&1 || rc=$?
echo "rc=$rc"
/bin/rootlift status | /run/busybox grep -E '^(stage|disk):'
/bin/rootlift return
/run/busybox grep -E 'return.finish-job|job.disk' /run/rootlift/journal | /run/busybox tail -n 3
/bin/rootlift status | /run/busybox grep -E '^(stage|disk):'
sizes
/run/busybox cat /hello
"#;

#[test]
fn root_parts_rollback_to_the_old_sizes() {
    require_root();
    let s = Scratch::new("parts-rollback");
    let content = system_content(
        &s,
        &[("run-body.sh", ROLLBACK_BODY.as_bytes(), 0o644)],
        &KIT,
    );
    let img = make_disk(&s, "gpt", &content);
    let before = dump(&img);
    let lo = PartLoop::attach(&img);
    let body = format!(
        "export DISK={}\n{}",
        lo.dev,
        system_script(&format!("{}p1", lo.dev), INIT)
    );
    let stdout = assert_ok(&in_ns(Pid::New, &s.path, &body));
    let sec = sections(&stdout);
    let old = r#"sysfs=131072 "start":2048,"size":131072"#;

    let fail = &sec["fail"];
    assert!(fail.contains("rc=1"), "{fail}");
    assert!(
        fail.contains("step=part-kernel sectors=81920"),
        "the kernel was told: {fail}"
    );
    assert!(
        fail.contains("step=part-rollback why=job:part-resized:%20failure%20injected"),
        "{fail}"
    );
    let rolled = format!(
        "disk: partition 1 of {}: rolled back: table, kernel and filesystem have the old size (131072 sectors)",
        lo.dev
    );
    assert!(fail.contains(&rolled), "{fail}");
    assert!(fail.contains(old), "{fail}");

    let die = &sec["die"];
    assert!(die.contains("rc=1"), "{die}");
    assert!(die.contains("stage: job"), "the worker died lifted: {die}");
    assert!(
        die.contains(&format!(
            "disk: partition 1 of {}: being written to the table (the old bytes are journaled",
            lo.dev
        )),
        "status tells what the dead worker was doing: {die}"
    );
    assert!(
        die.contains("return.finish-job why=the%20worker%20died%20during%20a%20partition%20shrink"),
        "{die}"
    );
    assert!(die.contains("stage: returned"), "{die}");
    assert!(die.contains(&rolled), "{die}");
    assert!(die.contains(old), "{die}");
    assert!(die.contains("on the old root"), "{die}");

    assert_eq!(dump(&img), before, "the table is the old one, to the byte");
    let v = run_ok(Command::new("/usr/sbin/sgdisk").arg("-v").arg(&img), None);
    assert!(v.contains("No problems found"), "{v}");
    let p1 = format!("{}p1", lo.dev);
    run_ok(Command::new("/usr/sbin/e2fsck").args(["-fn", &p1]), None);
    assert_eq!(ext4_blocks(&p1), 16384);
}

const GROW_BODY: &str = r#"
img=$T/disk.img
truncate -s 600M "$img"
printf 'label: gpt\nsize=300M, name="btrfs"\nstart=1048576, size=64M, name="next"\n' | sfdisk -q "$img"
lo=$(losetup --find --show --partscan "$img")
# Every loop device still backed by this image goes at exit (both the
# first and the second attach, whatever happened in between).
trap 'umount "$T/mnt" 2>/dev/null; losetup -j "$img" -O NAME -n | xargs -r -n1 losetup -d' EXIT
partx -a "$lo" 2>/dev/null || true
mkfs.btrfs -q -f "${lo}p1" >/dev/null
mkdir -p "$T/mnt"
mount "${lo}p1" "$T/mnt"
head -c 8388608 /dev/urandom >"$T/mnt/file"
sum=$(md5sum <"$T/mnt/file")
size() { cat "/sys/class/block/${lo#/dev/}p1/size"; }
echo "== to a size"
"$ROOTLIFT" grow 400M "$T/mnt"
echo "sysfs=$(size)"
echo "== to the next partition"
"$ROOTLIFT" grow max "$T/mnt"
echo "sysfs=$(size)"
sgdisk -v "$img" | grep -c "No problems found"
echo "== refused"
rc=0; "$ROOTLIFT" grow 600M "$T/mnt" 2>"$T/err" || rc=$?
echo "rc=$rc $(cat "$T/err")"
echo "== disk grew"
umount "$T/mnt"
losetup -d "$lo"
# A disk whose only partition ends where it did, then the disk grows.
printf 'label: gpt\nsize=511M, name="btrfs"\n' | sfdisk -q "$img"
lo=$(losetup --find --show --partscan "$img")
partx -a "$lo" 2>/dev/null || true
mount "${lo}p1" "$T/mnt"
truncate -s 700M "$img"
losetup -c "$lo"
"$ROOTLIFT" grow max "$T/mnt"
echo "sysfs=$(size)"
sfdisk --json "$lo" | grep -E '"lastlba"|"size"'
sgdisk -v "$img" | grep -c "No problems found"
btrfs filesystem show --raw "${lo}p1" | awk '$1 == "devid" {print "btrfs=" $4}'
[ "$(md5sum <"$T/mnt/file")" = "$sum" ] && echo "file intact"
"#;

#[test]
fn root_parts_grow_a_btrfs_partition() {
    require_root();
    let s = Scratch::new("parts-grow");
    let stdout = assert_ok(&in_ns(Pid::New, &s.path, GROW_BODY));
    let sec = sections(&stdout);
    let a = &sec["to a size"];
    assert!(
        a.contains("extended partition loop") && a.contains("from 300.0 MiB to 400.0 MiB"),
        "{a}"
    );
    assert!(
        a.contains("grew ")
            && a.contains("(btrfs on /dev/loop")
            && a.contains("from 300.0 MiB to 400.0 MiB"),
        "{a}"
    );
    assert!(a.contains("sysfs=819200"), "{a}");
    let b = &sec["to the next partition"];
    assert!(b.contains("from 400.0 MiB to 511.0 MiB"), "{b}");
    assert!(b.contains("sysfs=1046528\n1\n"), "{b}");
    let r = &sec["refused"];
    assert!(
        r.contains("rc=3 rootlift: error: refused: 600.0 MiB is larger than loop"),
        "{r}"
    );
    assert!(r.contains("partition 2 starts at sector 1048576"), "{r}");
    let c = &sec["disk grew"];
    assert!(
        c.contains("(its GPT backup moved to the disk's new end) from 511.0 MiB to"),
        "{c}"
    );
    // 700 MiB: last usable = 1433600 - 34, partition 1 from 2048.
    let last = 700 * 2048 - 34;
    assert!(c.contains(&format!("\"lastlba\": {last}")), "{c}");
    assert!(c.contains(&format!("sysfs={}", last - 2048 + 1)), "{c}");
    assert!(c.contains(&format!("\"size\": {}", last - 2048 + 1)), "{c}");
    assert!(c.contains("\n1\n"), "sgdisk -v: {c}");
    assert!(
        c.contains(&format!("btrfs={}", (last - 2048 + 1) * 512 / 4096 * 4096)),
        "{c}"
    );
    assert!(c.contains("file intact"), "{c}");
}

#[test]
fn root_parts_shrink_a_partition_root_at_shutdown() {
    require_root();
    let s = Scratch::new("parts-atshutdown");
    let content = system_content(
        &s,
        &[(
            "usr/lib/systemd/systemd",
            include_str!("common/fake_systemd.sh").as_bytes(),
            0o755,
        )],
        &KIT,
    );
    let img = make_disk(&s, "gpt", &content);
    let before = dump(&img);
    let p2_before = read_range(&img, P2_START, P_SIZE);
    let lo = PartLoop::attach(&img);
    let p1 = format!("{}p1", lo.dev);
    let out = in_ns(
        Pid::New,
        &s.path,
        &system_script(&p1, "exec /usr/lib/systemd/systemd --system"),
    );
    let all = format!(
        "{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // reboot(2) ends the PID namespace as a SIGHUP of its init would.
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(1), "{all}");
    assert!(all.contains("install rc=0"), "{all}");
    assert!(
        all.contains("partition 1 ends at sector 83967 instead of 133119"),
        "{all}"
    );

    let log = run_ok(
        Command::new("/usr/sbin/debugfs").args(["-R", "cat /var/log/rootlift.log", &p1]),
        None,
    );
    assert!(
        log.contains("step=part-kernel sectors=81920"),
        "{log}\n{all}"
    );
    assert!(log.contains("part_sectors_after=81920"), "{log}");
    assert!(log.contains("job.done code=0 result=ok"), "{log}");
    let after = dump(&img);
    let changed: Vec<_> = before.iter().zip(&after).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].1.contains("size=       81920"), "{changed:?}");
    assert!(
        read_range(&img, P2_START, P_SIZE) == p2_before,
        "partition 2's bytes changed"
    );
    run_ok(Command::new("/usr/sbin/e2fsck").args(["-fn", &p1]), None);
    assert_eq!(ext4_blocks(&p1), 10240);
}

const FOURK_BODY: &str = r#"
flat() { jq -r 'paths(scalars) as $p | "\($p | map(tostring) | join("."))=\(getpath($p))"'; }
img=$T/disk.img
for label in gpt dos; do
    echo "== $label"
    rm -f "$img"; truncate -s 64M "$img"
    lo=$(losetup --find --show --sector-size 4096 "$img")
    trap 'losetup -d "$lo"' EXIT
    printf 'label: %s\nsize=16M, type=L\nsize=8M\n,\n' "$label" | sfdisk -q "$lo"
    diff <("$ROOTLIFT" parts --json "$lo" | flat) <(sfdisk --json "$lo" | flat) && echo "same as sfdisk"
    "$ROOTLIFT" parts --json "$lo" | flat | grep -E 'sectorsize|partitions.0.start'
    losetup -d "$lo"; trap - EXIT
done
"#;

#[test]
fn root_parts_4096_byte_sectors_as_sfdisk_reads_them() {
    require_root();
    let s = Scratch::new("parts-4k");
    let stdout = assert_ok(&in_ns(Pid::Shared, &s.path, FOURK_BODY));
    let sec = sections(&stdout);
    for label in ["gpt", "dos"] {
        let t = &sec[label];
        assert!(t.contains("same as sfdisk"), "{label}: {t}");
        assert!(t.contains("partitiontable.sectorsize=4096"), "{label}: {t}");
    }
    assert!(
        sec["gpt"].contains("partitions.0.start=256"),
        "{}",
        sec["gpt"]
    );
}
