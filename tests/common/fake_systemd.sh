#!/bin/busybox sh
# A stand-in systemd for the root tests (root_at_shutdown, root_parts): it
# installs `shrink 40M --at-shutdown`, then plays systemd-shutdown(8):
# root read-only, switch root into /run/initramfs, exec ./shutdown reboot.
export PATH=/bin
busybox mount --make-shared /
rc=0; /bin/rootlift shrink 40M --at-shutdown --yes >/run/install.out 2>&1 || rc=$?
echo "install rc=$rc"; cat /run/install.out
/bin/rootlift status | grep 'installed for the next shutdown' || echo "status does not show the job"
[ -x /run/initramfs/shutdown ] || { echo "no /run/initramfs/shutdown"; exit 1; }
# systemd-shutdown, as far as a root test can play it.
sync
mount -o remount,ro /
# As systemd's switch-root: MS_MOVE is refused under shared propagation.
mount --make-rprivate /
mount --bind /run/initramfs /run/initramfs
mount --make-private /run/initramfs
# /proc last: busybox runs its applets through /proc/self/exe.
for api in dev sys proc; do mount --move /$api /run/initramfs/$api; done
cd /run/initramfs
pivot_root . oldroot
exec ./shutdown reboot
