//! A recording fake of [`Ops`] for the unit tests: a mount table in
//! memory with the rules of mount(2), umount2(2), pivot_root(2) and
//! propagation that the lift relies on (EINVAL for a move out of or into
//! a shared parent, EBUSY for a mount with submounts, the renaming a pivot
//! does), and a log of every call in order.

use rustix::io::Errno;
use rustix::mount::{MountFlags, UnmountFlags};

use super::{LoopSetup, Ops, Propagation};
use crate::error::{Error, Result};
use crate::proc::mountinfo::{self, Mount};

#[derive(Debug, Default)]
pub struct Fake {
    pub table: Vec<Mount>,
    /// Every call, as `op args`.
    pub calls: Vec<String>,
    /// Paths whose plain umount is EBUSY (a process uses them).
    pub busy: Vec<String>,
    /// Device nodes held by something besides the mounts.
    pub held: Vec<String>,
    /// Loop devices bound now.
    pub loops: Vec<String>,
    /// Swap areas on now.
    pub swaps: Vec<String>,
    /// The call (by its op name) that fails with EIO, once.
    pub fail: Option<&'static str>,
    next_id: u32,
    next_group: u32,
}

fn err(call: &'static str, path: &str, errno: Errno) -> Error {
    Error::sys(call, path, errno)
}

/// `/` joined with a path relative to it.
fn join(base: &str, rest: &str) -> String {
    match (base, rest) {
        (b, "/") => b.to_owned(),
        ("/", r) => r.to_owned(),
        (b, r) => format!("{b}{r}"),
    }
}

impl Fake {
    /// A fake whose table is `lines` of mountinfo.
    pub fn with_table(lines: &str) -> Fake {
        let table = mountinfo::parse(lines).expect("test mountinfo");
        let next_id = table.iter().map(|m| m.mount_id).max().unwrap_or(0) + 1;
        let next_group = table
            .iter()
            .filter_map(|m| m.shared.max(m.master))
            .max()
            .unwrap_or(0)
            + 1;
        Fake {
            table,
            next_id,
            next_group,
            ..Fake::default()
        }
    }

    fn log(&mut self, op: &'static str, args: String) -> Result<()> {
        self.calls.push(format!("{op} {args}"));
        if self.fail == Some(op) {
            self.fail = None;
            return Err(err("fake", op, Errno::IO));
        }
        Ok(())
    }

    /// Index of the topmost mount at exactly `path`.
    fn top_at(&self, path: &str) -> Option<usize> {
        self.table
            .iter()
            .enumerate()
            .filter(|(_, m)| m.mount_point == path)
            .max_by_key(|(_, m)| m.mount_id)
            .map(|(i, _)| i)
    }

    /// Index of the mount `path` lies on.
    fn covering(&self, path: &str, except: &[u32]) -> Option<usize> {
        self.table
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                !except.contains(&m.mount_id) && mountinfo::is_under(path, &m.mount_point)
            })
            .max_by_key(|(_, m)| {
                (
                    m.mount_point.matches('/').count(),
                    m.mount_point.len(),
                    m.mount_id,
                )
            })
            .map(|(i, _)| i)
    }

    /// Mount IDs of `id` and everything mounted below it.
    fn subtree(&self, id: u32) -> Vec<u32> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() {
            let p = out[i];
            out.extend(
                self.table
                    .iter()
                    .filter(|m| m.parent_id == p && m.mount_id != p)
                    .map(|m| m.mount_id),
            );
            i += 1;
        }
        out
    }

    fn parent_shared(&self, idx: usize) -> bool {
        let pid = self.table[idx].parent_id;
        self.table
            .iter()
            .any(|m| m.mount_id == pid && m.shared.is_some())
    }

    fn add(&mut self, mut m: Mount) -> Result<()> {
        let parent = self
            .covering(&m.mount_point, &[])
            .map(|i| self.table[i].mount_id)
            .ok_or_else(|| err("mount", &m.mount_point, Errno::NOENT))?;
        m.mount_id = self.next_id;
        m.parent_id = parent;
        self.next_id += 1;
        self.table.push(m);
        Ok(())
    }

    /// Per-mount options as mountinfo shows them, in the kernel's order.
    fn options(flags: MountFlags) -> String {
        let mut s = String::from(if flags.contains(MountFlags::RDONLY) {
            "ro"
        } else {
            "rw"
        });
        for (flag, name) in [
            (MountFlags::NOSUID, "nosuid"),
            (MountFlags::NODEV, "nodev"),
            (MountFlags::NOEXEC, "noexec"),
            (MountFlags::NOATIME, "noatime"),
            (MountFlags::RELATIME, "relatime"),
        ] {
            if flags.contains(flag) {
                s.push(',');
                s.push_str(name);
            }
        }
        s
    }
}

impl Ops for Fake {
    fn mounts(&self) -> Result<Vec<Mount>> {
        Ok(self.table.clone())
    }

    fn mount_fs(
        &mut self,
        source: &str,
        target: &str,
        fstype: &str,
        flags: MountFlags,
        data: &str,
    ) -> Result<()> {
        self.log("mount", format!("{source} {target} {fstype} {data}"))?;
        self.add(Mount {
            mount_id: 0,
            parent_id: 0,
            major: 0,
            minor: 99,
            root: "/".into(),
            mount_point: target.into(),
            mount_options: Fake::options(flags),
            shared: None,
            master: None,
            propagate_from: None,
            unbindable: false,
            fstype: fstype.into(),
            source: source.into(),
            super_options: data.into(),
        })
    }

    fn bind(&mut self, source: &str, target: &str) -> Result<()> {
        self.log("bind", format!("{source} {target}"))?;
        let i = self
            .covering(source, &[])
            .ok_or_else(|| err("mount(MS_BIND)", source, Errno::NOENT))?;
        let from = self.table[i].clone();
        let rel = source
            .strip_prefix(from.mount_point.trim_end_matches('/'))
            .unwrap_or("");
        let mut m = from;
        m.root = join(&m.root, if rel.is_empty() { "/" } else { rel });
        m.mount_point = target.into();
        m.master = None;
        self.add(m)
    }

    fn remount_bind(&mut self, target: &str, flags: MountFlags) -> Result<()> {
        self.log("remount-bind", target.to_owned())?;
        let i = self
            .top_at(target)
            .ok_or_else(|| err("mount(MS_REMOUNT|MS_BIND)", target, Errno::INVAL))?;
        self.table[i].mount_options = Fake::options(flags);
        Ok(())
    }

    fn move_mount(&mut self, from: &str, to: &str) -> Result<()> {
        self.log("move", format!("{from} -> {to}"))?;
        let i = self
            .top_at(from)
            .ok_or_else(|| err("mount(MS_MOVE)", from, Errno::INVAL))?;
        if self.table[i].shared.is_some() || self.parent_shared(i) {
            return Err(err("mount(MS_MOVE)", from, Errno::INVAL));
        }
        let moving = self.subtree(self.table[i].mount_id);
        let dest = self
            .covering(to, &moving)
            .ok_or_else(|| err("mount(MS_MOVE)", to, Errno::NOENT))?;
        // Into a shared parent is allowed (the kernel would propagate a
        // copy to its peers, which this fake does not model).
        let new_parent = self.table[dest].mount_id;
        for m in self
            .table
            .iter_mut()
            .filter(|m| moving.contains(&m.mount_id))
        {
            let rest = m.mount_point.strip_prefix(from).unwrap_or("");
            m.mount_point = join(to, if rest.is_empty() { "/" } else { rest });
        }
        self.table[i].parent_id = new_parent;
        Ok(())
    }

    fn umount(&mut self, target: &str, flags: UnmountFlags) -> Result<()> {
        let detach = flags.contains(UnmountFlags::DETACH);
        self.log(
            if detach { "umount-detach" } else { "umount" },
            target.into(),
        )?;
        let i = self
            .top_at(target)
            .ok_or_else(|| err("umount2", target, Errno::INVAL))?;
        let id = self.table[i].mount_id;
        let sub = self.subtree(id);
        if !detach && (sub.len() > 1 || self.busy.iter().any(|b| b == target)) {
            return Err(err("umount2", target, Errno::BUSY));
        }
        self.table.retain(|m| !sub.contains(&m.mount_id));
        Ok(())
    }

    fn pivot_root(&mut self, new_root: &str, put_old: &str) -> Result<()> {
        self.log("pivot", format!("{new_root} {put_old}"))?;
        let n = self
            .top_at(new_root)
            .ok_or_else(|| err("pivot_root", new_root, Errno::INVAL))?;
        let r = self
            .top_at("/")
            .ok_or_else(|| err("pivot_root", "/", Errno::INVAL))?;
        if self.table[r].shared.is_some()
            || self.parent_shared(n)
            || !mountinfo::is_under(put_old, new_root)
        {
            return Err(err("pivot_root", new_root, Errno::INVAL));
        }
        let (nid, rid) = (self.table[n].mount_id, self.table[r].mount_id);
        let under_new = self.subtree(nid);
        let old_rel = put_old.strip_prefix(new_root).unwrap_or("/").to_owned();
        let old_parent = self.table[r].parent_id;
        for m in &mut self.table {
            if under_new.contains(&m.mount_id) {
                let rest = m.mount_point.strip_prefix(new_root).unwrap_or("");
                m.mount_point = if rest.is_empty() {
                    "/".into()
                } else {
                    rest.into()
                };
            } else if m.mount_id != rid {
                m.mount_point = join(&old_rel, &m.mount_point);
            }
        }
        self.table[r].mount_point = old_rel.clone();
        self.table[n].parent_id = old_parent;
        let covering = self
            .covering(&old_rel, &self.subtree(rid))
            .map(|i| self.table[i].mount_id)
            .unwrap_or(nid);
        self.table[r].parent_id = covering;
        Ok(())
    }

    fn propagation(&mut self, target: &str, p: Propagation, recursive: bool) -> Result<()> {
        self.log(
            "propagation",
            format!("{target} {p:?}{}", if recursive { " rec" } else { "" }),
        )?;
        let i = self
            .top_at(target)
            .ok_or_else(|| err("mount(propagation)", target, Errno::INVAL))?;
        let ids = if recursive {
            self.subtree(self.table[i].mount_id)
        } else {
            vec![self.table[i].mount_id]
        };
        for m in self.table.iter_mut().filter(|m| ids.contains(&m.mount_id)) {
            match p {
                Propagation::Private => {
                    m.shared = None;
                    m.master = None;
                    m.unbindable = false;
                }
                Propagation::Shared => {
                    if m.shared.is_none() {
                        m.shared = Some(self.next_group);
                        self.next_group += 1;
                    }
                }
                Propagation::Slave => {
                    if let Some(g) = m.shared.take() {
                        m.master = Some(g);
                    }
                }
                Propagation::Unbindable => {
                    m.shared = None;
                    m.master = None;
                    m.unbindable = true;
                }
            }
        }
        Ok(())
    }

    fn join_group(&mut self, from: &str, to: &str) -> Result<()> {
        self.log("join-group", format!("{from} -> {to}"))?;
        let (Some(f), Some(t)) = (self.top_at(from), self.top_at(to)) else {
            return Err(err("move_mount(MOVE_MOUNT_SET_GROUP)", to, Errno::INVAL));
        };
        let (src, dst) = (self.table[f].clone(), &self.table[t]);
        let same_sb = (src.major, src.minor) == (dst.major, dst.minor);
        if !same_sb || src.shared.is_none() || dst.shared.is_some() || dst.master.is_some() {
            return Err(err("move_mount(MOVE_MOUNT_SET_GROUP)", to, Errno::INVAL));
        }
        self.table[t].shared = src.shared;
        self.table[t].master = src.master;
        Ok(())
    }

    fn mkdir_all(&mut self, path: &str) -> Result<()> {
        self.log("mkdir", path.into())
    }

    fn exclusive(&self, node: &str) -> Result<()> {
        if self.held.iter().any(|h| h == node) || self.table.iter().any(|m| m.source == node) {
            return Err(err("open(O_EXCL)", node, Errno::BUSY));
        }
        Ok(())
    }

    fn root_node(&mut self, root: &crate::lift::record::RootRecord) -> Result<String> {
        Ok(root.source.clone())
    }

    fn loop_detach(&mut self, device: &str) -> Result<()> {
        self.log("loop-detach", device.into())?;
        self.loops.retain(|l| l != device);
        Ok(())
    }

    fn loop_attach(&mut self, setup: &LoopSetup) -> Result<crate::loopdev::Attached> {
        self.log("loop-attach", format!("{} {}", setup.device, setup.backing))?;
        self.loops.push(setup.device.clone());
        Ok(crate::loopdev::Attached {
            device: setup.device.clone(),
            held: None,
        })
    }

    fn swapoff(&mut self, path: &str) -> Result<()> {
        self.log("swapoff", path.into())?;
        self.swaps.retain(|s| s != path);
        Ok(())
    }

    fn swapon(&mut self, path: &str, priority: Option<i32>) -> Result<()> {
        self.log("swapon", format!("{path} {priority:?}"))?;
        if self.swaps.iter().any(|s| s == path) {
            return Err(err("swapon", path, Errno::BUSY));
        }
        self.swaps.push(path.into());
        Ok(())
    }

    /// No sshd to hold: the fake's processes are not the host's.
    fn hold_logins(
        &mut self,
        _cycle: &[crate::journal::Entry],
    ) -> Option<crate::lift::sshd::LoginPause> {
        None
    }
}
