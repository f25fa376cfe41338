# shellcheck shell=bash disable=SC2034  # read by lib/profile.sh
# networkd: the first acceptance guest. Debian 12, systemd, systemd-networkd
# (DHCP), sshd, an ext4 root on LVM, and the mounts a server has below its
# root: /boot and /home on LVs of their own, a tmpfs /tmp, a bind mount
# (/srv/www of /var/www), a process whose cwd is on /home; python3 for the
# Ansible helper. Both --at-shutdown jobs (shrink, fsck) and the
# released-window run.
P_DESCRIPTION="Debian 12, systemd + networkd, LVM root; /boot and /home on LVs, tmpfs /tmp, bind /srv/www"
P_SUITE=bookworm
P_INIT=systemd
P_DISK=lvm
# name:size:fstype:mount point, root first (lib/image.sh).
P_VOLUMES=(root:1600M:ext4:/ boot:192M:ext2:/boot home:64M:ext4:/home)
P_FEATURES=(base systemd networkd mounts python)
P_DHCP=networkd
P_AT_SHUTDOWN=2      # 2: shrink and fsck at a reboot; 1: the shrink only; 0: none
P_WINDOW=yes         # the `run -- sleep 20` released window
