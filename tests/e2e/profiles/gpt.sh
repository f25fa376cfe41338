# shellcheck shell=bash disable=SC2034  # read by lib/profile.sh
# gpt: a cloud-style disk. The root is ext4 directly on the first GPT
# partition (no LVM), a data partition right after it mounted at /data.
# systemd + networkd.
P_DESCRIPTION="Debian 12, systemd + networkd, ext4 root on GPT partition 1, /data on partition 2"
P_SUITE=bookworm
P_INIT=systemd
P_DISK=gpt
P_VOLUMES=(root:1600M:ext4:/ data:128M:ext4:/data)
P_FEATURES=(base systemd networkd)
P_DHCP=networkd
P_AT_SHUTDOWN=1
P_WINDOW=no
