# shellcheck shell=bash
# configure_FEATURE ROOT: what each feature of a profile (P_FEATURES) adds to
# the debootstrapped tree, with its files from guest/FEATURE/. Called by
# configure_guest (lib/chroot.sh) in the profile's order; a feature with
# packages only needs no function here.

configure_systemd() {
    local root=$1 g=$E2E_SRC/guest/systemd unit
    for unit in holder-private.service holder-log.service; do
        install -m 0644 "$g/$unit" "$root/etc/systemd/system/$unit"
    done
    in_chroot "$root" systemctl enable --quiet holder-private.service holder-log.service ssh.service
}

configure_networkd() {
    local root=$1
    install -m 0644 "$E2E_SRC/guest/networkd/20-wired.network" "$root/etc/systemd/network/20-wired.network"
    in_chroot "$root" systemctl enable --quiet systemd-networkd.service
}

# Mounts below the root besides the volumes' own: a tmpfs /tmp, a bind
# mount of a root directory, and a process with its cwd on /home. The
# files on /home and /var/www are there for the checksums.
configure_mounts() {
    local root=$1
    printf '%s\n' 'tmpfs     /tmp     tmpfs nosuid,nodev,size=64m 0 0' \
        '/var/www  /srv/www none  bind                   0 0' >>"$root/etc/fstab"
    install -d "$root/var/www" "$root/srv/www" "$root/home/e2e"
    echo '<p>e2e</p>' >"$root/var/www/index.html"
    head -c 1048576 /dev/urandom >"$root/home/e2e/data.bin"
    install -m 0644 "$E2E_SRC/guest/mounts/holder-home.service" "$root/etc/systemd/system/"
    in_chroot "$root" systemctl enable --quiet holder-home.service
}

configure_ifupdown() {
    local root=$1
    install -m 0644 "$E2E_SRC/guest/ifupdown/interfaces" "$root/etc/network/interfaces"
}

configure_syslog() {
    local root=$1
    install -m 0644 "$E2E_SRC/guest/syslog/e2e-tick" "$root/etc/cron.d/e2e-tick"
}

configure_journald() {
    local root=$1
    install -d "$root/var/log/journal" "$root/etc/systemd/journald.conf.d"
    install -m 0644 "$E2E_SRC/guest/journald/e2e.conf" "$root/etc/systemd/journald.conf.d/e2e.conf"
}

# The container's image is a busybox tree (the guest's busybox-static),
# imported at build time by e2e-provision in one boot of the guest.
configure_docker() {
    local root=$1 tree
    tree=$(mktemp -d)
    install -d "$tree/bin" "$root/usr/local/share/e2e" "$root/srv/ticker"
    cp "$root/bin/busybox" "$tree/bin/busybox"
    ln -s busybox "$tree/bin/sh"
    ln -s busybox "$tree/bin/date"
    ln -s busybox "$tree/bin/sleep"
    tar -C "$tree" -cf "$root/usr/local/share/e2e/busybox.tar" .
    rm -rf "$tree"
    install -m 0755 "$E2E_SRC/guest/docker/e2e-provision" "$root/usr/local/sbin/e2e-provision"
}

# sysvinit: the holder from an init script (in the runlevels like any
# service), and the console report as an inittab respawn entry.
configure_sysvinit() {
    local root=$1 g=$E2E_SRC/guest/sysvinit
    install -m 0755 "$g/e2e-holder" "$root/etc/init.d/e2e-holder"
    in_chroot "$root" update-rc.d e2e-holder defaults
    install -m 0755 "$g/e2e-watch" "$root/usr/local/sbin/e2e-watch"
    echo 'ew:2345:respawn:/usr/local/sbin/e2e-watch' >>"$root/etc/inittab"
}
