# shellcheck shell=bash disable=SC2034  # sets KERNEL_IMAGE for the other files
# The guest kernel: Debian's current linux-image-amd64 (linux-image-arm64
# for an aarch64 guest), downloaded and unpacked (never installed on the
# host), cached under target/vm/kernel/ (target/vm-aarch64/kernel/).
# Sets KERNEL_VER, KERNEL_ROOT (the unpacked package, with modules.dep)
# and KERNEL_IMAGE.

# The version the linux-image-amd64 metapackage points at, e.g. 6.1.0-56-amd64.
# Empty (never a failure under set -e) when the package lists lack it:
# the callers fetch the lists, then ask again.
_kernel_version_from_apt() {
    { guest_apt_cache depends "linux-image-$DEB_ARCH" 2>/dev/null || true; } \
        | sed -n "s/^ *|\{0,1\}Depends: linux-image-\([0-9][^ ]*-$DEB_ARCH\)\$/\1/p" | head -n 1
}

ensure_kernel() {
    KERNEL_VER=$(_kernel_version_from_apt)
    if [[ -z $KERNEL_VER && $FOREIGN == yes ]]; then
        ensure_guest_apt
        KERNEL_VER=$(_kernel_version_from_apt)
    elif [[ -z $KERNEL_VER && $(id -u) == 0 ]]; then
        apt_update_once                       # a fresh machine has no package lists yet
        KERNEL_VER=$(_kernel_version_from_apt)
    fi
    [[ -n $KERNEL_VER ]] || die "cannot find the Debian kernel: 'apt-cache depends linux-image-$DEB_ARCH' names no linux-image-<ver>-$DEB_ARCH (run 'apt-get update' as root)"

    KERNEL_ROOT=$VM_OUT/kernel/$KERNEL_VER
    KERNEL_IMAGE=$KERNEL_ROOT/boot/vmlinuz-$KERNEL_VER
    [[ -e $KERNEL_ROOT/.ready ]] && return 0

    # Work in a scratch folder, so an interrupted run leaves nothing that
    # looks ready; the .deb is not kept once unpacked.
    local tmp=$VM_OUT/kernel/unpacking
    rm -rf "$tmp" && mkdir -p "$tmp/deb"
    say "downloading linux-image-$KERNEL_VER (once; cached in ${KERNEL_ROOT#"$REPO_ROOT"/})"
    # As root, apt would try to drop to the _apt user, who cannot write here.
    guest_apt_download "$tmp/deb" "linux-image-$KERNEL_VER" \
        || die "cannot download linux-image-$KERNEL_VER (network? apt sources?)"
    dpkg-deb -x "$tmp/deb/"*.deb "$tmp" || die "cannot unpack linux-image-$KERNEL_VER"
    rm -rf "$tmp/deb"
    [[ -f $tmp/boot/vmlinuz-$KERNEL_VER ]] || die "linux-image-$KERNEL_VER has no boot/vmlinuz-$KERNEL_VER"
    # The package ships no modules.dep; modprobe --show-depends needs it.
    depmod -b "$tmp" "$KERNEL_VER" || die "depmod failed for $KERNEL_VER"
    rm -rf "$KERNEL_ROOT" && mv "$tmp" "$KERNEL_ROOT" && touch "$KERNEL_ROOT/.ready"
}
