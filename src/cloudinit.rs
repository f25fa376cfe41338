//! cloud-init's configuration, as far as growing the root at boot goes
//! (cloud-init's module docs "Growpart" and "Resizefs"): /etc/cloud/
//! cloud.cfg, then /etc/cloud/cloud.cfg.d/*.cfg in name order, a later file
//! winning per key. The growpart module grows the partitions its
//! `devices` name (default `/`) to fill the disk unless `mode` is off or
//! /etc/growroot-disabled exists; resizefs grows the root filesystem to
//! fill its device unless `resize_rootfs` is false. Both run at every boot
//! when listed in a module list. cloud-init itself is off when
//! /etc/cloud/cloud-init.disabled exists or the kernel command line says
//! `cloud-init=disabled`.
//!
//! Only the YAML these keys are written in is read: block mappings and
//! sequences, flow `{...}` and `[...]`, plain and quoted scalars, comments.
//! Whatever else a file holds is skipped.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub const CFG: &str = "etc/cloud/cloud.cfg";
pub const CFG_D: &str = "etc/cloud/cloud.cfg.d";
/// The drop-in `--disable-growpart` writes; last in name order.
pub const DROPIN: &str = "etc/cloud/cloud.cfg.d/99-rootlift-no-growpart.cfg";
const MODULE_LISTS: [&str; 3] = [
    "cloud_init_modules",
    "cloud_config_modules",
    "cloud_final_modules",
];

/// What cloud-init would do to the root at the next boot.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CloudInit {
    /// growpart would grow the partition under `/`.
    pub growpart: bool,
    /// resizefs would grow the root filesystem to fill its device.
    pub resize_rootfs: bool,
    /// The growpart devices other than `/` (kept by the drop-in).
    pub other_devices: Vec<String>,
    /// The files read, in order.
    pub files: Vec<String>,
}

/// What a shrink of a root of this kind leaves for cloud-init to undo at
/// the next boot: on a partition, growpart grows it back (resize_rootfs
/// then follows); on a bare device the filesystem is smaller than the
/// device, and resize_rootfs grows it back. An LV root is neither: lvm
/// keeps the LV's size and the filesystem fills it exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootKind {
    Lv,
    Partition,
    Bare,
}

impl CloudInit {
    /// What would undo a shrink of a root of `kind`, if anything would.
    pub fn undoes(&self, kind: RootKind) -> Option<&'static str> {
        match kind {
            RootKind::Lv => None,
            RootKind::Partition => self
                .growpart
                .then_some("growpart would grow the partition back"),
            RootKind::Bare => self
                .resize_rootfs
                .then_some("resize_rootfs would grow the filesystem back to its device"),
        }
    }
}

/// The keys read, as the last file that set them has them.
#[derive(Default)]
struct Keys {
    mode: Option<String>,
    devices: Option<Vec<String>>,
    ignore_growroot_disabled: Option<String>,
    resize_rootfs: Option<String>,
    /// Which module lists were given, and whether any names a module.
    lists: Vec<(String, Vec<String>)>,
}

/// cloud-init's verdict for the system under `root`; `None` when it is not
/// installed or is disabled.
pub fn detect(root: &Path) -> Option<CloudInit> {
    let installed = ["usr/bin/cloud-init", "bin/cloud-init"]
        .iter()
        .any(|p| root.join(p).exists());
    let cmdline = std::fs::read_to_string("/proc/cmdline").unwrap_or_default();
    if !installed
        || root.join("etc/cloud/cloud-init.disabled").exists()
        || cmdline
            .split_whitespace()
            .any(|w| w == "cloud-init=disabled")
    {
        return None;
    }
    let mut files = vec![root.join(CFG)];
    let mut more: Vec<PathBuf> = std::fs::read_dir(root.join(CFG_D))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    more.retain(|p| p.extension().is_some_and(|x| x == "cfg"));
    more.sort_unstable();
    files.extend(more);
    let mut keys = Keys::default();
    let mut read = Vec::new();
    for f in &files {
        if let Ok(text) = std::fs::read_to_string(f) {
            parse_into(&text, &mut keys);
            read.push(f.display().to_string());
        }
    }
    let mut ci = verdict(&keys, root.join("etc/growroot-disabled").exists());
    ci.files = read;
    Some(ci)
}

/// Whether a YAML scalar is false as cloud-init reads it.
fn is_false(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "false" | "off" | "no" | "0" | "disabled"
    )
}

fn verdict(k: &Keys, growroot_disabled: bool) -> CloudInit {
    // With no module list anywhere, cloud-init's built-in lists apply,
    // which run both.
    let listed = |module: &str| {
        k.lists.is_empty() || k.lists.iter().any(|(_, l)| l.iter().any(|m| m == module))
    };
    let devices = k.devices.clone().unwrap_or_else(|| vec!["/".to_owned()]);
    let mode_on = k.mode.as_deref().is_none_or(|m| !is_false(m));
    let honours_marker = k.ignore_growroot_disabled.as_deref().is_none_or(is_false);
    CloudInit {
        growpart: listed("growpart")
            && mode_on
            && devices.iter().any(|d| d == "/")
            && !(growroot_disabled && honours_marker),
        resize_rootfs: listed("resizefs")
            && k.resize_rootfs.as_deref().is_none_or(|v| !is_false(v)),
        other_devices: devices.into_iter().filter(|d| d != "/").collect(),
        files: Vec::new(),
    }
}

/// A scalar without its quotes.
fn scalar(v: &str) -> String {
    let v = v.trim();
    let unquoted = v
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')));
    unquoted.unwrap_or(v).to_owned()
}

/// `[a, 'b']` as a list; a single scalar as a list of one.
fn flow_list(v: &str) -> Vec<String> {
    let v = v.trim();
    match v.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        Some(inner) => inner
            .split(',')
            .map(scalar)
            .filter(|s| !s.is_empty())
            .collect(),
        None if v.is_empty() => Vec::new(),
        None => vec![scalar(v)],
    }
}

/// A line without its comment (a `#` at the start or after a blank).
fn uncomment(line: &str) -> &str {
    let cut = line
        .char_indices()
        .find(|&(i, c)| c == '#' && (i == 0 || line[..i].ends_with([' ', '\t'])))
        .map_or(line.len(), |(i, _)| i);
    line[..cut].trim_end()
}

/// Reads the keys one file sets into `k` (a later file wins per key).
fn parse_into(text: &str, k: &mut Keys) {
    // The top-level key the indented lines below belong to, and for
    // growpart the nested key a block sequence belongs to.
    let mut top = String::new();
    let mut nested = String::new();
    let mut list: Option<Vec<String>> = None;
    let finish_list = |top: &str, nested: &str, list: Option<Vec<String>>, k: &mut Keys| {
        let Some(items) = list else { return };
        if top == "growpart" && nested == "devices" {
            k.devices = Some(items);
        } else if MODULE_LISTS.contains(&top) {
            k.lists.retain(|(name, _)| name != top);
            k.lists.push((top.to_owned(), items));
        }
    };
    for raw in text.lines() {
        let line = uncomment(raw);
        if line.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        let body = line.trim();
        if let Some(item) = body
            .strip_prefix("- ")
            .or(if body == "-" { Some("") } else { None })
        {
            // A module entry may be `name` or `[name, frequency]`.
            let name = flow_list(item).into_iter().next().unwrap_or_default();
            list.get_or_insert_with(Vec::new)
                .push(name.replace('-', "_"));
            continue;
        }
        let Some((key, value)) = body.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if !indented {
            finish_list(&top, &nested, list.take(), k);
            top = key.to_owned();
            nested.clear();
            match key {
                "resize_rootfs" => k.resize_rootfs = Some(scalar(value)),
                "growpart" if value.starts_with('{') => {
                    let inner = value.trim_start_matches('{').trim_end_matches('}');
                    flow_mapping(inner, k);
                }
                _ if MODULE_LISTS.contains(&key) && value.starts_with('[') => {
                    list = Some(flow_list(value));
                }
                _ => {}
            }
        } else if top == "growpart" {
            finish_list(&top, &nested, list.take(), k);
            nested = key.to_owned();
            growpart_key(key, value, k);
        }
    }
    finish_list(&top, &nested, list, k);
}

/// `mode: auto, devices: ['/']` inside `growpart: {...}`.
fn flow_mapping(inner: &str, k: &mut Keys) {
    let mut depth = 0i32;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in inner.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    for p in parts {
        if let Some((key, value)) = p.split_once(':') {
            growpart_key(key.trim(), value.trim(), k);
        }
    }
}

fn growpart_key(key: &str, value: &str, k: &mut Keys) {
    match key {
        "mode" => k.mode = Some(scalar(value)),
        "devices" if !value.is_empty() => k.devices = Some(flow_list(value)),
        "ignore_growroot_disabled" => k.ignore_growroot_disabled = Some(scalar(value)),
        _ => {}
    }
}

/// The drop-in that turns growpart off for `/` (keeping its other
/// devices) and resize_rootfs off.
pub fn dropin_text(ci: &CloudInit) -> String {
    let growpart = if ci.other_devices.is_empty() {
        "  mode: \"off\"\n".to_owned()
    } else {
        let quoted: Vec<String> = ci
            .other_devices
            .iter()
            .map(|d| format!("\"{d}\""))
            .collect();
        format!("  devices: [{}]\n", quoted.join(", "))
    };
    format!(
        "# Written by 'rootlift shrink --disable-growpart': the root was shrunk on\n\
         # purpose, and cloud-init must not grow it back at boot. Remove this file\n\
         # to let growpart and resize_rootfs act on / again.\n\
         growpart:\n{growpart}resize_rootfs: false\n"
    )
}

/// Writes the drop-in under `root`; returns its path.
pub fn write_dropin(root: &Path, ci: &CloudInit) -> Result<String> {
    let path = root.join(DROPIN);
    let shown = path.display().to_string();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("mkdir", dir.display(), &e))?;
    }
    std::fs::write(&path, dropin_text(ci)).map_err(|e| Error::io("write", &shown, &e))?;
    let f = std::fs::File::open(&path).map_err(|e| Error::io("open", &shown, &e))?;
    rustix::fs::fsync(&f).map_err(|e| Error::sys("fsync", &shown, e))?;
    Ok(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(files: &[&str]) -> Keys {
        let mut k = Keys::default();
        for f in files {
            parse_into(f, &mut k);
        }
        k
    }

    /// The module lists and growpart block of Debian's cloud.cfg.
    const DEBIAN: &str = "\
# The top level settings
users:
   - default
disable_root: true
cloud_init_modules:
 - migrator
 - seed_random
 - bootcmd
 - write-files
 - growpart
 - resizefs
 - disk_setup
cloud_config_modules:
 - locale
 - [ runcmd, always ]
system_info:
   distro: debian
";

    #[test]
    fn debian_defaults_grow_the_root() {
        let ci = verdict(&keys(&[DEBIAN]), false);
        assert!(ci.growpart && ci.resize_rootfs, "{ci:?}");
        assert!(ci.other_devices.is_empty());
    }

    #[test]
    fn later_files_win_per_key() {
        let off = "growpart:\n  mode: off\n";
        let ci = verdict(&keys(&[DEBIAN, off]), false);
        assert!(!ci.growpart && ci.resize_rootfs, "{ci:?}");
        let flow = "growpart: {mode: auto, devices: ['/dev/vdb']}  # not /\nresize_rootfs: false\n";
        let ci = verdict(&keys(&[DEBIAN, flow]), false);
        assert!(!ci.growpart && !ci.resize_rootfs, "{ci:?}");
        assert_eq!(ci.other_devices, vec!["/dev/vdb".to_owned()]);
        let back = "growpart:\n  devices:\n    - '/'\n    - /dev/vdc\n";
        let ci = verdict(&keys(&[DEBIAN, flow, back]), false);
        assert!(ci.growpart, "{ci:?}");
        assert_eq!(ci.other_devices, vec!["/dev/vdc".to_owned()]);
    }

    #[test]
    fn module_lists_and_the_marker_file() {
        let without = "cloud_init_modules:\n - bootcmd\ncloud_config_modules: [runcmd]\n";
        let ci = verdict(&keys(&[DEBIAN, without]), false);
        assert!(!ci.growpart && !ci.resize_rootfs, "{ci:?}");
        let ci = verdict(&keys(&[DEBIAN]), true);
        assert!(!ci.growpart && ci.resize_rootfs, "{ci:?}");
        let ignore = "growpart:\n  ignore_growroot_disabled: true\n";
        assert!(verdict(&keys(&[DEBIAN, ignore]), true).growpart);
        assert!(verdict(&keys(&[]), false).growpart, "built-in lists");
    }

    #[test]
    fn the_dropin_reads_back_as_off() {
        let mut ci = verdict(&keys(&[DEBIAN]), false);
        let text = dropin_text(&ci);
        let after = verdict(&keys(&[DEBIAN, &text]), false);
        assert!(!after.growpart && !after.resize_rootfs, "{text}");
        ci.other_devices = vec!["/dev/vdb".into()];
        let text = dropin_text(&ci);
        let after = verdict(&keys(&[DEBIAN, &text]), false);
        assert!(!after.growpart && !after.resize_rootfs, "{text}");
        assert_eq!(after.other_devices, vec!["/dev/vdb".to_owned()]);
    }

    #[test]
    fn what_undoes_a_shrink_depends_on_the_root() {
        let mut ci = verdict(&keys(&[DEBIAN]), false);
        assert_eq!(ci.undoes(RootKind::Lv), None);
        assert!(
            ci.undoes(RootKind::Partition)
                .is_some_and(|w| w.starts_with("growpart"))
        );
        assert!(
            ci.undoes(RootKind::Bare)
                .is_some_and(|w| w.starts_with("resize_rootfs"))
        );
        ci.growpart = false;
        assert_eq!(ci.undoes(RootKind::Partition), None);
        ci.resize_rootfs = false;
        assert_eq!(ci.undoes(RootKind::Bare), None);
    }

    #[test]
    fn comments_and_quotes() {
        assert_eq!(uncomment("mode: 'auto' # grow"), "mode: 'auto'");
        assert_eq!(uncomment("a#b: c"), "a#b: c");
        assert_eq!(scalar(" \"off\" "), "off");
        assert_eq!(flow_list("['/', \"/dev/vdb\" ]"), vec!["/", "/dev/vdb"]);
    }
}
