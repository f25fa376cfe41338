# shellcheck shell=bash
# The guest's initramfs, in two gzip'd newc cpio archives that the kernel
# unpacks one over the other:
#   base     busybox, the kernel modules, the real tools of guest/contents and
#            /init; slow-ish to build, so cached in target/vm/ and rebuilt only
#            when its inputs change.
#   overlay  per scenario: /bin/rootlift, /scenario.sh, /scenario.d/, the
#            scenario helpers and the scenario's own C helpers; rebuilt on
#            every run (the binary changes).
# The guest tree is usr-merged (/bin, /sbin, /lib, /lib64 are symlinks into
# /usr) like Debian's, whatever the host's layout.

BASE_INITRAMFS=$VM_OUT/base-initramfs.cpio.gz

# Everything the base image is made from; a change to any of it rebuilds.
_base_recipe() {
    echo "kernel $KERNEL_VER arch $VM_ARCH"
    cat "$VM_SRC/lib/initramfs.sh" "$VM_SRC/lib/closure.sh" \
        "$VM_SRC/guest/init" "$VM_SRC/guest/lvm.conf" \
        "$VM_SRC/guest/contents" "$VM_SRC/guest/modules"
    # A foreign guest's tools: the package versions of its sysroot.
    if [[ $FOREIGN == yes ]]; then
        cat "$VM_SRC/lib/foreign.sh" "$SYSROOT.recipe"
        return 0
    fi
    # The host's tools themselves: an apt upgrade of lvm2 or busybox counts.
    sha256sum /bin/busybox
    local kind name rest
    while read -r kind name rest; do
        case $kind in
            program) sha256sum "$(host_program "$name")" ;;
            file) sha256sum "$name" ;;
        esac
    done < <(grep -v '^[[:space:]]*\(#\|$\)' "$VM_SRC/guest/contents")
}

# A directory as a gzip'd newc cpio, owned by root whoever builds it.
pack_cpio() {
    local dir=$1 out=$2
    (cd "$dir" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
        | gzip -n -6 >"$out.tmp"
    mv "$out.tmp" "$out"
}

# The module files, dependencies first, as modprobe resolves them for the
# downloaded kernel; absolute host paths, no duplicates.
_module_files() {
    local name flag deps
    while read -r name flag; do
        if ! deps=$(modprobe -d "$KERNEL_ROOT" -S "$KERNEL_VER" --show-depends "$name" 2>&1); then
            [[ $flag == optional ]] && continue
            die "kernel $KERNEL_VER has no module $name: $deps"
        fi
        awk '$1 == "insmod" { print $2 }' <<<"$deps"   # "builtin X" needs no file
    done < <(grep -v '^[[:space:]]*\(#\|$\)' "$VM_SRC/guest/modules") | awk '!seen[$0]++'
}

_stage_modules() {
    local root=$1 files ko rel
    files=$(_module_files)
    while IFS= read -r ko; do
        # busybox insmod reads plain .ko only; Debian 12 ships them plain.
        [[ $ko == *.ko ]] || die "module $ko is compressed; the guest's insmod cannot load it"
        rel=${ko#"$KERNEL_ROOT"/}
        copy_file "$root" "$ko" "/$rel"
        echo "$rel" >>"$root/etc/vm/modules"
    done <<<"$files"
}

_stage_busybox() {
    local root=$1 applet src=/bin/busybox
    # A foreign busybox cannot run here to list its applets: the host's
    # busybox-static, the same Debian package, lists the same ones.
    [[ $FOREIGN == yes ]] && src=$(sysroot_resolve /bin/busybox)
    copy_file "$root" "$src" /usr/bin/busybox
    for applet in $(/bin/busybox --list); do
        [[ $applet == busybox ]] && continue     # Debian lists itself
        ln -sfn busybox "$root/usr/bin/$applet"
    done
}

_stage_contents() {
    local root=$1 kind name rest
    local -a aliases
    while read -r kind name rest; do
        read -ra aliases <<<"$rest"
        case $kind in
            program) install_program "$root" "$name" "${aliases[@]}" ;;
            file) copy_file "$root" "$name" "$name" ;;
            *) die "guest/contents: unknown kind '$kind'" ;;
        esac
    done < <(grep -v '^[[:space:]]*\(#\|$\)' "$VM_SRC/guest/contents")
}

_build_base() {
    local root=$VM_OUT/base-root d
    rm -rf "$root"
    mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc/vm,etc/lvm,dev,proc,sys,run,tmp,root,mnt}
    for d in bin sbin lib lib64; do
        ln -s "usr/$d" "$root/$d"
    done
    ln -s ../proc/self/mounts "$root/etc/mtab"
    echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
    echo 'root:x:0:' >"$root/etc/group"
    install -m 0755 "$VM_SRC/guest/init" "$root/init"
    install -m 0644 "$VM_SRC/guest/lvm.conf" "$root/etc/lvm/lvm.conf"
    _stage_busybox "$root"
    _stage_modules "$root"
    _stage_contents "$root"
    pack_cpio "$root" "$BASE_INITRAMFS"
    rm -rf "$root"
}

ensure_base_initramfs() {
    local hash stamp=$BASE_INITRAMFS.recipe
    hash=$(_base_recipe | sha256sum | cut -d' ' -f1)
    if [[ -f $BASE_INITRAMFS && $(cat "$stamp" 2>/dev/null) == "$hash" ]]; then
        return 0
    fi
    local t0
    t0=$(now)
    say "building the base initramfs"
    _build_base
    echo "$hash" >"$stamp"
    say "base initramfs: $(du -h "$BASE_INITRAMFS" | cut -f1) in $(elapsed "$t0")"
}

# Tiny test programs a shell cannot be (e.g. a process that holds a file only
# through a mapping): NAME.d/X.c becomes the static /usr/lib/vm/X, built by
# the guest CPU's compiler (lib/arch.sh: TARGET_CC).
_compile_helpers() {
    local src=$1 dest=$2 c cc
    for c in "$src"/*.c; do
        [[ -f $c ]] || continue
        cc=$(command -v "$TARGET_CC" || { [[ $FOREIGN == no ]] && command -v gcc; }) \
            || die "no C compiler $TARGET_CC for $c (apt-get install ${TARGET_CC_PACKAGES[*]})"
        "$cc" -static -Os -s -Wall -o "$dest/$(basename "$c" .c)" "$c" || die "cannot compile $c"
    done
}

# make_initrd RUNDIR SCENARIO: RUNDIR/initrd.img, the base plus this
# scenario's overlay.
make_initrd() {
    local run=$1 scenario=$2 root=$1/overlay-root
    local extras=${scenario%.sh}.d
    rm -rf "$root"
    mkdir -p "$root/usr/bin" "$root/usr/lib/vm"
    install -m 0755 "$ROOTLIFT_BIN" "$root/usr/bin/rootlift"     # /bin/rootlift
    install -m 0644 "$VM_SRC/guest/lib.sh" "$root/usr/lib/vm/lib.sh"
    install -m 0755 "$scenario" "$root/scenario.sh"
    if [[ -d $extras ]]; then
        cp -a "$extras" "$root/scenario.d"
        _compile_helpers "$extras" "$root/usr/lib/vm"
    fi
    pack_cpio "$root" "$run/overlay.cpio.gz"
    rm -rf "$root"
    cat "$BASE_INITRAMFS" "$run/overlay.cpio.gz" >"$run/initrd.img"
}
