# shellcheck shell=bash disable=SC2034  # read by lib/profile.sh
# sysvinit: sysvinit-core instead of systemd. ifupdown + dhclient, rsyslog
# (its init script from orphan-sysvinit-scripts), cron, sshd and a holder
# started from init.d scripts; an inittab respawn entry that reports the
# daemons on the console. Ready when `runlevel` says "N 2" and rc is done.
# No --at-shutdown (systemd only).
P_DESCRIPTION="Debian 12, sysvinit-core, ifupdown + dhclient, rsyslog, cron, sshd from init.d, LVM root"
P_SUITE=bookworm
P_INIT=sysvinit
P_DISK=lvm
P_VOLUMES=(root:1600M:ext4:/)
P_FEATURES=(base sysvinit ifupdown syslog)
P_DHCP=dhclient
P_AT_SHUTDOWN=0
P_WINDOW=no
