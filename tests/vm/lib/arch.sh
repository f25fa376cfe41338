# shellcheck shell=bash disable=SC2034  # sets the guest's CPU facts for the other files
# The guest's CPU: VM_ARCH=x86_64 (the default) or aarch64. Everything the
# harness does differently per CPU is decided here; the other files read
# these variables. A guest of the host's own CPU takes its programs from the
# host (ldd); a foreign one from Debian packages of its architecture,
# unpacked under target/ (lib/foreign.sh).

VM_ARCH=${VM_ARCH:-x86_64}
case $VM_ARCH in
    x86_64)
        DEB_ARCH=amd64
        QEMU=qemu-system-x86_64
        QEMU_PACKAGE=qemu-system-x86
        QEMU_MACHINE=(-machine q35 -cpu max)
        CONSOLE=ttyS0
        # no_timer_check: under software emulation on a busy host the
        # kernel's IO-APIC timer check can fail and panic the boot ("IO-APIC
        # + timer doesn't work"); the check proves nothing about rootlift.
        KERNEL_ARGS=no_timer_check
        ;;
    aarch64)
        DEB_ARCH=arm64
        QEMU=qemu-system-aarch64
        QEMU_PACKAGE=qemu-system-arm
        # virt: a generic PCIe host (so -drive if=virtio is virtio-blk-pci,
        # as on q35), a PL011 UART, PSCI for poweroff. pauth-impdef: the
        # pointer-authentication emulation of -cpu max costs TCG much time
        # with the architected algorithm, little with QEMU's own.
        QEMU_MACHINE=(-machine virt -cpu 'max,pauth-impdef=on')
        CONSOLE=ttyAMA0
        KERNEL_ARGS=""   # no IO-APIC: nothing like x86's timer check
        ;;
    *) die "VM_ARCH=$VM_ARCH: the VM tier runs x86_64 or aarch64 guests" ;;
esac

if [[ $(uname -m) == "$VM_ARCH" ]]; then
    FOREIGN=no
    TARGET_CC=cc
    TARGET_CC_PACKAGES=(gcc libc6-dev)
else
    FOREIGN=yes
    TARGET_CC=$VM_ARCH-linux-gnu-gcc
    TARGET_CC_PACKAGES=("gcc-$VM_ARCH-linux-gnu" "libc6-dev-$DEB_ARCH-cross")
fi
