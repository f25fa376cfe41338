# shellcheck shell=bash
# Debian packages the harness needs on the host.

# The guest's tools are the host's own (copied with their libraries), or
# for a foreign guest come from packages of its architecture (lib/foreign.sh);
# busybox-static lists the applets either way.
VM_PACKAGES=("${QEMU_PACKAGE:-qemu-system-x86}" busybox-static lvm2 e2fsprogs cpio kmod fdisk gdisk)
if [[ ${FOREIGN:-no} == yes ]]; then
    VM_PACKAGES+=(binutils "${TARGET_CC_PACKAGES[@]}")
fi

# `apt-get update` costs ~10 s, so it runs at most once per harness run,
# and only when something is actually missing.
apt_update_once() {
    [[ -n ${VM_APT_UPDATED:-} ]] && return 0
    say "apt-get update"
    apt_get update -qq
    VM_APT_UPDATED=1
}

# apt may already be busy on this machine (a provisioning job): wait for
# its lock instead of failing on it.
apt_get() {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}

# ensure_packages [PACKAGE...]: those (default: VM_PACKAGES) are installed.
ensure_packages() {
    local missing=() p
    (($# > 0)) || set -- "${VM_PACKAGES[@]}"
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    [[ $(id -u) == 0 ]] || die "missing Debian packages: ${missing[*]} (run as root to install them, or apt-get install them)"
    apt_update_once
    say "installing ${missing[*]}"
    apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "could not install ${missing[*]}"
}
