# shellcheck shell=bash
# The guest's configuration, written into the debootstrapped tree ROOT.
# Runs inside the private mount namespace of build-guest: the binds below
# never reach the host, and are undone by unbind_api (build-guest's trap).

# in_chroot ROOT CMD...: CMD in the guest tree with a clean environment.
in_chroot() {
    local root=$1
    shift
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"
}

# /proc, /sys and /dev for the tools that need them (update-initramfs).
bind_api() {
    local root=$1 d
    for d in proc sys dev; do
        mount --rbind "/$d" "$root/$d"
        mount --make-rslave "$root/$d"
    done
}

# Undoes bind_api, whatever of it was done; quiet, for a trap.
unbind_api() {
    local root=$1 d
    for d in dev sys proc; do
        mountpoint -q "$root/$d" 2>/dev/null && umount -R "$root/$d"
    done
    return 0
}

# The debootstrap --include list of the profile: guest/FEATURE/packages
# of every feature, comma-separated.
profile_packages() {
    local f
    for f in base "${P_FEATURES[@]}"; do
        [[ -f $E2E_SRC/guest/$f/packages ]] && grep -v '^[[:space:]]*\(#\|$\)' "$E2E_SRC/guest/$f/packages"
    done | sort -u | paste -sd, -
}

# configure_guest ROOT KEY_PUB: the base every profile has (root's key,
# sshd, names, machine-id, fstab), then each feature of the profile, then
# the initramfs (it reads fstab: lvm2's hook activates vg0).
configure_guest() {
    local root=$1 key_pub=$2 f
    # The root password stays locked: the only way in is the test key.
    in_chroot "$root" passwd -l root >/dev/null
    install -d -m 0700 "$root/root/.ssh"
    install -m 0600 "$key_pub" "$root/root/.ssh/authorized_keys"
    install -m 0644 "$E2E_SRC/guest/base/sshd.conf" "$root/etc/ssh/sshd_config.d/e2e.conf"

    echo e2e-guest >"$root/etc/hostname"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\te2e-guest\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
        >"$root/etc/hosts"
    # A machine-id of its own, so the first boot is not a "first boot"
    # (no preset-all) and nothing comes from the build host's DMI uuid.
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$root/etc/machine-id"
    echo >>"$root/etc/machine-id"
    volumes_fstab >"$root/etc/fstab"

    for f in "${P_FEATURES[@]}"; do
        [[ $(type -t "configure_$f") == function ]] && "configure_$f" "$root"
    done

    bind_api "$root"
    in_chroot "$root" update-initramfs -u -k all
    unbind_api "$root"
    in_chroot "$root" apt-get clean
}
