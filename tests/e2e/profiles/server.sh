# shellcheck shell=bash disable=SC2034  # read by lib/profile.sh
# server: Debian's default server networking and the daemons of a common
# host. systemd, ifupdown + isc-dhcp-client, rsyslog, cron (a job every
# minute), persistent journald, docker with a --restart=always container
# writing into a bind-mounted directory (its image imported offline from a
# busybox tree at build time, in one boot of the guest).
P_DESCRIPTION="Debian 12, systemd, ifupdown + dhclient, rsyslog, cron, persistent journald, docker, LVM root"
P_SUITE=bookworm
P_INIT=systemd
P_DISK=lvm
P_VOLUMES=(root:2048M:ext4:/)
P_FEATURES=(base systemd ifupdown syslog journald docker)
P_DHCP=dhclient
P_AT_SHUTDOWN=1
P_WINDOW=no
