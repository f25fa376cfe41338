# shellcheck shell=bash
# Item 6, enter time vs bytes brought: builds the small system image with
# every kit's programs (and their libraries, by `rootlift bring`), attaches
# it to a loop device (detached by bench/run's trap), and runs
# enter_ns.sh/enter_inner.sh in a private mount + PID namespace.

# `NAME WORD...` lines: a word is a program for --bring, or --ssh (enter's
# own sshd kit, chosen by rootlift from the image's /etc).
growth_kits() {
    echo "none"
    echo "e2fsck /usr/sbin/e2fsck"
    echo "shrink $(shrink_programs)"
    echo "shrink+ssh --ssh $(shrink_programs)"
    local big=() p
    for p in /usr/bin/qemu-system-x86_64 /usr/lib/gcc/x86_64-linux-gnu/12/cc1 /usr/bin/python3.11; do
        [[ -x $p ]] && big+=("$p")
    done
    ((${#big[@]} > 0)) && echo "shrink+ssh+big --ssh $(shrink_programs) ${big[*]}"
    return 0
}

# What `enter --ssh` looks for in the image (src/lift/kits.rs): sshd, root's
# shell, every PAM and NSS module (then it picks the ones the configs name)
# as programs; the account files, /etc/ssh, /etc/pam.d, /etc/security as
# files. The image is root-only and removed with the run's directory.
ssh_image_programs() {
    local shell
    echo /usr/sbin/sshd
    shell=$(awk -F: '$1 == "root" {print $7}' /etc/passwd)
    [[ -x $shell ]] && echo "$shell"
    ls "$LIBDIR"/security/*.so "$LIBDIR"/libnss_*.so.2 2>/dev/null
    return 0
}
ssh_image_files() {
    local f
    for f in /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/nsswitch.conf /etc/environment \
        /etc/default/locale /etc/login.defs /etc/shells /etc/hosts /etc/hostname /etc/motd \
        /root/.ssh/authorized_keys /root/.ssh/authorized_keys2 /etc/ssh /etc/pam.d /etc/security; do
        [[ -e $f ]] && echo "${f#/}"
    done
    return 0
}

growth_section() {
    say "6/6 enter/return time vs bytes brought (private mount + PID namespace)"
    local content=$BENCH_WORK/system progs all=() files=() d
    rm -rf "$content"
    mkdir -p "$content"
    growth_kits >"$content/kits.txt"
    while read -r _ progs; do
        # shellcheck disable=SC2206  # one word per program
        all+=(${progs//--ssh/})
    done <"$content/kits.txt"
    mapfile -t -O "${#all[@]}" all < <(ssh_image_programs)
    "$ROOTLIFT_BIN" bring "$content" "${all[@]}" >/dev/null || die "rootlift bring into the image failed"
    mapfile -t files < <(ssh_image_files)
    # Relative paths: coreutils 9.1's cp -a --parents fails on absolute ones.
    (cd / && cp -a --parents "${files[@]}" "$content/")
    mkdir -p "$content/usr/bin" "$content/etc"
    for d in proc sys dev run host tmp; do mkdir -p "$content/$d"; done
    install -m 755 "$(dpkg -L busybox-static | grep -m1 '/busybox$')" "$content/usr/bin/busybox"
    install -m 755 "$ROOTLIFT_BIN" "$content/usr/bin/rootlift"
    install -m 755 "$BENCH_BIN/timeit" "$content/usr/bin/timeit"
    # bring inside the image resolves libraries as on the host.
    cp -a /etc/ld.so.cache /etc/ld.so.conf /etc/ld.so.conf.d "$content/etc/"
    install -m 755 "$BENCH_SRC/lib/enter_inner.sh" "$content/enter_inner.sh"
    echo "${BENCH_GROWTH_REPS:-5}" >"$content/reps"

    local mib
    mib=$(du -sm "$content" | cut -f1)
    mib=$((mib * 3 / 2 + 64))
    rm -f "$BENCH_WORK/system.img"
    truncate -s "${mib}M" "$BENCH_WORK/system.img"
    mkfs.ext4 -q -F -d "$content" "$BENCH_WORK/system.img" "${mib}M" || die "mkfs.ext4 -d of the bench system failed"
    BENCH_LOOP=$(losetup --find --show "$BENCH_WORK/system.img") || die "losetup failed"
    [[ $BENCH_LOOP == /dev/loop* ]] || die "losetup printed '$BENCH_LOOP'"

    local out=$BENCH_WORK/growth.out
    if ! unshare --mount --propagation private --pid --fork --mount-proc \
        bash "$BENCH_SRC/lib/enter_ns.sh" "$BENCH_LOOP" >"$out" 2>"$BENCH_WORK/growth.err"; then
        cat "$BENCH_WORK/growth.err" >&2
        die "the enter/return namespace run failed (see above)"
    fi
    grep -q "^REC	growth	-	rootlift	done	ok$" "$out" || die "the enter/return run did not finish: $(tail -n 5 "$BENCH_WORK/growth.err")"
    grep '^REC	' "$out" | cut -f2- >>"$BENCH_RECORDS"
    losetup -d "$BENCH_LOOP" && BENCH_LOOP=
    rec growth - rootlift cmd "rootlift enter --bring P... ; rootlift return  (PID 1 of a private mount+PID namespace whose root is a loop ext4 image)"
}
