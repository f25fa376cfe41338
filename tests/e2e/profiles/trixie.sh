# shellcheck shell=bash disable=SC2034  # read by lib/profile.sh
# trixie: Debian 13 (systemd 257, OpenSSH 10 with sshd-session and
# sshd-auth, usr-merged, a tmpfs /tmp by default), systemd-networkd, LVM
# root.
P_DESCRIPTION="Debian 13, systemd 257 + networkd, OpenSSH 10, tmpfs /tmp by default, LVM root"
P_SUITE=trixie
P_INIT=systemd
P_DISK=lvm
P_VOLUMES=(root:1600M:ext4:/)
P_FEATURES=(base systemd networkd)
P_DHCP=networkd
P_AT_SHUTDOWN=1
P_WINDOW=no
