//! `--help` texts: one for the tool, one per subcommand.

pub fn usage_text() -> &'static str {
    "rootlift - take the root filesystem offline without a reboot, and put it back

usage: rootlift COMMAND [OPTIONS]

jobs:
  plan [--json]                       show what a lift would do (read-only)
  shrink SIZE [--live|--at-shutdown]  shrink the root ext2/3/4 fs (and its LV)
  fsck [--live|--at-shutdown]         full offline e2fsck of the root
  run [--live|--at-shutdown] -- CMD   any offline job on the free root device
  grow [SIZE|max] [PATH]              grow a mounted fs online (no lift)
  status [--json] [--follow]          where a lift/job stands
  confirm                             disarm the dead-man timer
  abort                               return the system now

steps:
  enter [--size SIZE] [--bring PATH]... [--ssh]
  release [--kill] [--grace DUR] [--drop-unrestorable]
  return

rescue toolbox:
  probe DEV|FILE... [--json]          what is on it
  ext4 DEV|FILE [--json]              the ext2/3/4 superblock and shrink floor
  holders [PATH|DEV] [--json]         who keeps a filesystem busy, and how
  dm ls|info|table|status|deps|version|targets|create|load|suspend|resume|remove|rename
  bring DEST PROGRAM... [--json]      copy programs with their libraries
  switch-root NEWROOT INIT [ARGS...]  initramfs -> real root

  rootlift COMMAND --help             help for one command
  rootlift --version

exit codes: 0 ok, 1 failed, 2 usage error, 3 refused by a safety check (nothing changed)
"
}

/// The help for one subcommand; `None` for a name that is not one.
pub fn help_text(cmd: &str) -> Option<&'static str> {
    Some(match cmd {
        "plan" => {
            "usage: rootlift plan [--json]

Read-only survey: the root mount and its device stack, filesystem facts and
shrink floor, RAM available vs the tmpfs a lift needs, the init system, the
processes that would hold the old root and why, and the exact step list.
"
        }
        "shrink" => {
            "usage: rootlift shrink SIZE [--live | --at-shutdown] [--device DEV]
                       [--confirm-within DUR] [--bring PATH]... [--drop-unrestorable] [--yes]

Shrink the root ext2/3/4 filesystem to SIZE and, when it sits on an LVM LV,
the LV too: e2fsck -f, resize2fs, LV reduce, resize2fs to fill, e2fsck -f -n.
SIZE: bytes, or K, M, G, T (powers of 1024); no other suffix.
Refused (exit 3) below the floor plus a margin, on xfs, on devices that
cannot be proven free, and while a mount below / cannot be put back exactly
(unless --drop-unrestorable: such mounts are unmounted for good).
"
        }
        "fsck" => {
            "usage: rootlift fsck [--live | --at-shutdown] [--confirm-within DUR]
                     [--drop-unrestorable] [--yes]

A full offline e2fsck -f of the root filesystem. A filesystem it cannot
repair is not mounted again: the root stays unmounted and status says why.
"
        }
        "run" => {
            "usage: rootlift run [--live | --at-shutdown] [--confirm-within DUR] [--bring PATH]...
                    [--drop-unrestorable] [--yes] -- CMD ARGS...

Run any command on the free root device; its path is in ROOTLIFT_DEVICE.
"
        }
        "grow" => {
            "usage: rootlift grow [SIZE|max] [PATH]

Grow the filesystem holding PATH (default /) online, without a lift:
ext4 through EXT4_IOC_RESIZE_FS, btrfs through BTRFS_IOC_RESIZE.
"
        }
        "status" => {
            "usage: rootlift status [--json] [--follow]

Where a lift or job stands, read from /run/rootlift/journal.
"
        }
        "confirm" => {
            "usage: rootlift confirm

Disarm the dead-man timer. Run it from a NEW login to prove that logging in
to the lifted system works.
"
        }
        "abort" => {
            "usage: rootlift abort

Return the system: a running job's worker returns it after the step it is
in (the tool running then finishes first); without a worker, now. Cancels
a job installed for the next shutdown.
"
        }
        "enter" => {
            "usage: rootlift enter [--size SIZE] [--bring PATH]... [--ssh]

Lift the running system into a tmpfs at /run/rootlift/root and pivot into it;
the old root stays mounted at /oldroot. SIZE: bytes, or K, M, G, T.
"
        }
        "release" => {
            "usage: rootlift release [--kill] [--grace DUR] [--drop-unrestorable]

Stop everything that holds the old root, hand PID 1 off to rootlift's init
stub, park the mounts below it that do not depend on it and unmount those
that do, unmount /oldroot and prove the device free. Without --kill,
remaining holders are listed and nothing is killed (exit 3). --grace:
SIGTERM, then SIGKILL after DUR (default 5s). A mount that cannot be put
back exactly refuses the release unless --drop-unrestorable.
"
        }
        "return" => {
            "usage: rootlift return

Put the original root back, from any stage. Idempotent.
"
        }
        "probe" => {
            "usage: rootlift probe DEV|FILE... [--json]

What is on a device or image: ext2/3/4, xfs, btrfs, swap, LUKS, LVM2 PV,
vfat, iso9660, squashfs; with uuid, label and size.
"
        }
        "ext4" => {
            "usage: rootlift ext4 DEV|FILE [--json]

The ext2/3/4 superblock, fields named as dumpe2fs -h names them, with the
checksum verdict and the shrink floor.
"
        }
        "holders" => {
            "usage: rootlift holders [PATH|DEV] [--json]

Every process keeping a filesystem busy, and how: exe, cwd, root, fds, mapped
files, mounts in other namespaces; plus swap files, loop devices and holders.
"
        }
        "dm" => {
            "usage: rootlift dm COMMAND ...

  dm version|ls|targets [--json]
  dm info|table|status|deps NAME|UUID|MAJ:MIN [--json]
  dm create NAME [--uuid U] [--readonly] (--table 'START LEN TYPE ARGS'... | --table-file F)
  dm load NAME [--readonly] (--table ... | --table-file F)
  dm suspend NAME [--nolockfs] [--noflush]
  dm resume NAME
  dm remove NAME [--force]
  dm rename OLD NEW
"
        }
        "bring" => {
            "usage: rootlift bring DEST PROGRAM... [--json]

Copy programs into DEST with their exact shared-library closure.
"
        }
        "switch-root" => {
            "usage: rootlift switch-root NEWROOT INIT [ARGS...]

From an initramfs: move /dev /proc /sys /run into NEWROOT, free the
initramfs, make NEWROOT the root and exec INIT as PID 1.
"
        }
        "help" => "usage: rootlift help [COMMAND]\n",
        "version" => "usage: rootlift version\n",
        _ => return None,
    })
}
